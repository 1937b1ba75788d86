//! The audit chain: every entry holds the SHA-256 of its predecessor's
//! content and hash, so a changed, removed or reordered entry breaks a link.
//!
//! Each organisation has its own chain (writes in different tenants do not
//! wait on each other); a chain head (last sequence number and hash) is kept
//! beside it so that removing the newest entries is detected too.
//!
//! The rows cannot vouch for themselves: whoever can write them can cut a
//! chain back and rewind its head to match. So the chain is anchored outside
//! them, with a key the database does not hold ([`AuditKey`]): each head
//! carries a MAC, and signed checkpoints of every head, kept away from the
//! database, record how far each chain had reached.

use std::collections::BTreeMap;

use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use firebreak_types::{AuditProblem, AuditProblemKind};

use crate::clock::{from_millis, to_millis};

/// The hash that the first entry of every chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of an entry that the hash covers.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub org_id: Uuid,
    pub seq: i64,
    pub at_ms: i64,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    /// The changes exactly as stored (JSON text), so the hash never depends on
    /// how a JSON library orders keys.
    pub changes: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry from its content and its predecessor's hash. Every
/// field is length-prefixed, so no two different entries encode alike.
pub fn entry_hash(r: &AuditRecord) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    field(b"firebreak-audit-v1");
    field(r.prev_hash.as_bytes());
    field(r.org_id.as_bytes());
    field(&r.seq.to_be_bytes());
    field(&r.at_ms.to_be_bytes());
    field(r.actor_kind.as_bytes());
    field(r.actor_id.map(|id| id.into_bytes()).unwrap_or_default().as_slice());
    field(r.actor_name.as_bytes());
    field(r.object_type.as_bytes());
    field(r.object_id.as_bytes());
    field(r.action.as_bytes());
    field(r.changes.as_bytes());
    hex::encode(h.finalize())
}

/// Where a chain stops holding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: String,
}

/// Walks one organisation's chain in sequence order and checks every link,
/// then that the head (last sequence number and hash) matches the last entry.
/// Returns the number of entries checked.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditRecord>,
    head: Option<(i64, &str)>,
) -> Result<u64, Break> {
    let mut expected_seq = 1_i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut checked = 0;
    for e in entries {
        if e.seq != expected_seq {
            return Err(Break {
                seq: expected_seq,
                reason: format!("entry {expected_seq} is missing (found {} next)", e.seq),
            });
        }
        if e.prev_hash != prev_hash {
            return Err(Break { seq: e.seq, reason: "does not point to its predecessor's hash".into() });
        }
        if entry_hash(e) != e.hash {
            return Err(Break { seq: e.seq, reason: "content does not match its hash".into() });
        }
        prev_hash.clone_from(&e.hash);
        expected_seq += 1;
        checked += 1;
    }
    let last_seq = expected_seq - 1;
    match head {
        Some((seq, hash)) if seq != last_seq || hash != prev_hash => Err(Break {
            seq: last_seq + 1,
            reason: format!("the chain head records entry {seq}, but the log ends at entry {last_seq}"),
        }),
        None if last_seq > 0 => Err(Break { seq: 1, reason: "the chain has entries but no head".into() }),
        _ => Ok(checked),
    }
}

/// The secret that signs chain heads and checkpoints: 256 bits, kept out
/// of the database it protects. The caller makes it (randomly) and keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit key must be 64 hexadecimal digits (256 bits)")]
pub struct BadAuditKey;

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }

    /// The key written as 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<AuditKey, BadAuditKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadAuditKey)?;
        Ok(AuditKey(bytes.try_into().map_err(|_| BadAuditKey)?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// HMAC-SHA256 keyed with this key, over length-prefixed fields.
    fn mac(&self, fields: &[&[u8]]) -> Hmac<Sha256> {
        // HMAC pads a short key with zeros to the hash's block; padding it
        // here gives the same MAC without a fallible constructor.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        let mut mac = <Hmac<Sha256> as KeyInit>::new(GenericArray::from_slice(&block));
        for f in fields {
            mac.update(&(f.len() as u64).to_be_bytes());
            mac.update(f);
        }
        mac
    }

    fn sign(&self, fields: &[&[u8]]) -> String {
        hex::encode(self.mac(fields).finalize().into_bytes())
    }

    /// Whether `mac_hex` is the MAC of `fields`, compared in constant time.
    fn verifies(&self, fields: &[&[u8]], mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| self.mac(fields).verify_slice(&mac).is_ok())
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

fn head_fields<'a>(org: &'a Uuid, seq: &'a [u8; 8], hash: &'a str) -> [&'a [u8]; 4] {
    [b"firebreak-audit-head-v1", org.as_bytes(), seq, hash.as_bytes()]
}

/// The MAC of a chain head: the organisation, its last sequence number and hash.
pub fn head_mac(key: &AuditKey, org: Uuid, seq: i64, hash: &str) -> String {
    key.sign(&head_fields(&org, &seq.to_be_bytes(), hash))
}

/// A chain head as stored: its MAC is missing on heads written before heads
/// were signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
    pub mac: Option<String>,
}

/// One organisation's head as a checkpoint records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointHead {
    pub org_id: Uuid,
    pub seq: i64,
    pub hash: String,
}

/// Every chain head at one moment, signed with the audit key. Each names the
/// MAC of the one before it, so that a removed checkpoint breaks the sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub heads: Vec<CheckpointHead>,
    /// The previous checkpoint's MAC; empty for the first.
    pub prev: String,
    pub mac: String,
}

impl Checkpoint {
    /// Signs `heads` as they were at `at` (kept to the millisecond).
    pub fn sign(key: &AuditKey, at: OffsetDateTime, heads: Vec<CheckpointHead>, prev: String) -> Checkpoint {
        let mut c = Checkpoint { at: from_millis(to_millis(at)), heads, prev, mac: String::new() };
        c.mac = key.sign(&c.fields().iter().map(Vec::as_slice).collect::<Vec<_>>());
        c
    }

    pub fn verifies(&self, key: &AuditKey) -> bool {
        key.verifies(&self.fields().iter().map(Vec::as_slice).collect::<Vec<_>>(), &self.mac)
    }

    fn fields(&self) -> Vec<Vec<u8>> {
        let mut f = vec![
            b"firebreak-audit-checkpoint-v1".to_vec(),
            to_millis(self.at).to_be_bytes().to_vec(),
            self.prev.as_bytes().to_vec(),
            (self.heads.len() as u64).to_be_bytes().to_vec(),
        ];
        for h in &self.heads {
            f.push(h.org_id.as_bytes().to_vec());
            f.push(h.seq.to_be_bytes().to_vec());
            f.push(h.hash.as_bytes().to_vec());
        }
        f
    }
}

/// A point a chain must still pass through: entry `seq` hashed `hash`, as
/// the checkpoint of `at` recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub at: OffsetDateTime,
}

/// What the checkpoints that verify say about the chains, and what is wrong
/// with the others.
#[derive(Debug, Default)]
pub struct Anchors {
    /// Each organisation's anchors, oldest first.
    pub by_org: BTreeMap<Uuid, Vec<Anchor>>,
    /// Checkpoints that verified.
    pub count: u64,
    pub last_at: Option<OffsetDateTime>,
    pub problems: Vec<AuditProblem>,
}

impl Anchors {
    pub fn of(&self, org: Uuid) -> &[Anchor] {
        self.by_org.get(&org).map_or(&[], Vec::as_slice)
    }
}

/// Checks the lines of a checkpoint file in order (`None`: a line that could
/// not be read) and gathers the anchors of those that verify. Every
/// checkpoint counts, not only the last: one written after a chain was cut
/// back still leaves the earlier ones that it contradicts.
pub fn check_checkpoints(key: &AuditKey, lines: &[Option<Checkpoint>]) -> Anchors {
    let mut out = Anchors::default();
    let mut prev = String::new();
    for (i, line) in lines.iter().enumerate() {
        let n = i64::try_from(i + 1).unwrap_or(i64::MAX);
        let problem = |reason: String| AuditProblem {
            kind: AuditProblemKind::CheckpointInvalid,
            org_id: None,
            seq: Some(n),
            reason,
        };
        let Some(c) = line else {
            out.problems.push(problem(format!("checkpoint line {n} cannot be read")));
            continue;
        };
        if !c.verifies(key) {
            out.problems.push(problem(format!("checkpoint line {n} is not signed by the audit key")));
            continue;
        }
        if c.prev != prev {
            out.problems.push(problem(format!(
                "checkpoint line {n} does not follow the checkpoint before it (one was removed or moved)"
            )));
        }
        prev.clone_from(&c.mac);
        out.count += 1;
        out.last_at = Some(c.at);
        for h in &c.heads {
            let anchors = out.by_org.entry(h.org_id).or_default();
            if anchors.last().is_none_or(|a| a.seq != h.seq || a.hash != h.hash) {
                anchors.push(Anchor { seq: h.seq, hash: h.hash.clone(), at: c.at });
            }
        }
    }
    out
}

/// Checks one organisation's chain: its links, its head's MAC, and that it
/// still passes through every anchor a checkpoint recorded of it. Every
/// organisation has a chain from its creation on, so none is a problem.
/// Returns the entries checked and what is wrong.
pub fn verify_org(
    key: &AuditKey,
    org: Uuid,
    entries: &[AuditRecord],
    head: Option<&ChainHead>,
    anchors: &[Anchor],
) -> (u64, Vec<AuditProblem>) {
    let problem = |kind, seq, reason| AuditProblem { kind, org_id: Some(org), seq, reason };
    if entries.is_empty() && head.is_none() {
        let reason = format!("organisation {org} has no audit chain: its entries and head were removed");
        return (0, vec![problem(AuditProblemKind::ChainMissing, None, reason)]);
    }
    let mut problems = Vec::new();
    let checked = match verify_chain(entries, head.map(|h| (h.seq, h.hash.as_str()))) {
        Ok(n) => n,
        Err(b) => {
            problems.push(problem(AuditProblemKind::BrokenLink, Some(b.seq), b.reason));
            u64::try_from(b.seq - 1).unwrap_or(0).min(entries.len() as u64)
        }
    };
    match head {
        Some(ChainHead { seq, mac: None, .. }) => problems.push(problem(
            AuditProblemKind::HeadNotAnchored,
            Some(*seq),
            "the chain head carries no MAC".into(),
        )),
        Some(ChainHead { seq, hash, mac: Some(mac) })
            if !key.verifies(&head_fields(&org, &seq.to_be_bytes(), hash), mac) =>
        {
            problems.push(problem(
                AuditProblemKind::HeadMacInvalid,
                Some(*seq),
                format!("the chain head (entry {seq}) is not signed by the audit key"),
            ));
        }
        _ => {}
    }
    let last = entries.last().map_or(0, |e| e.seq);
    for a in anchors.iter().rev() {
        let at = a.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let reason = match entries.binary_search_by_key(&a.seq, |e| e.seq) {
            Err(_) if a.seq > last => {
                format!("the checkpoint of {at} recorded entry {}, but the chain ends at entry {last}", a.seq)
            }
            Err(_) => format!("entry {} that the checkpoint of {at} recorded is missing", a.seq),
            Ok(i) if entries[i].hash != a.hash => {
                format!("entry {} differs from what the checkpoint of {at} recorded", a.seq)
            }
            Ok(_) => continue,
        };
        problems.push(problem(AuditProblemKind::BehindCheckpoint, Some(a.seq), reason));
        break;
    }
    (checked, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for seq in 1..=n {
            let prev_hash = out.last().map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
            let mut r = AuditRecord {
                org_id: Uuid::from_u128(7),
                seq,
                at_ms: 1_000 * seq,
                actor_kind: "user".into(),
                actor_id: Some(Uuid::from_u128(9)),
                actor_name: "alice".into(),
                object_type: "user".into(),
                object_id: format!("{seq}"),
                action: "create".into(),
                changes: "{}".into(),
                prev_hash,
                hash: String::new(),
            };
            r.hash = entry_hash(&r);
            out.push(r);
        }
        out
    }

    fn head(c: &[AuditRecord]) -> Option<(i64, &str)> {
        c.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(5);
        assert_eq!(verify_chain(&c, head(&c)), Ok(5));
        assert_eq!(verify_chain(&[], None), Ok(0));
    }

    #[test]
    fn a_changed_entry_breaks_at_itself() {
        let mut c = chain(5);
        let h = c[4].hash.clone();
        c[2].action = "delete".into();
        assert_eq!(verify_chain(&c, Some((5, &h))).map_err(|b| b.seq), Err(3));
    }

    #[test]
    fn a_removed_entry_breaks_where_it_was() {
        let mut c = chain(5);
        let h = c[4].hash.clone();
        c.remove(1);
        assert_eq!(verify_chain(&c, Some((5, &h))).map_err(|b| b.seq), Err(2));
    }

    #[test]
    fn a_removed_tail_is_caught_by_the_head() {
        let mut c = chain(5);
        let h = c[4].hash.clone();
        c.truncate(3);
        assert_eq!(verify_chain(&c, Some((5, &h))).map_err(|b| b.seq), Err(4));
    }

    #[test]
    fn swapped_entries_break() {
        let mut c = chain(5);
        let h = c[4].hash.clone();
        c.swap(1, 2);
        let (a, b) = (c[1].seq, c[2].seq);
        c[1].seq = b;
        c[2].seq = a;
        assert_eq!(verify_chain(&c, Some((5, &h))).map_err(|b| b.seq), Err(2));
    }

    fn key(n: u8) -> AuditKey {
        AuditKey::from_bytes([n; 32])
    }

    fn signed_head(k: &AuditKey, c: &[AuditRecord]) -> ChainHead {
        let last = &c[c.len() - 1];
        ChainHead { seq: last.seq, hash: last.hash.clone(), mac: Some(head_mac(k, last.org_id, last.seq, &last.hash)) }
    }

    fn kinds(problems: &[AuditProblem]) -> Vec<AuditProblemKind> {
        problems.iter().map(|p| p.kind).collect()
    }

    fn checkpoint(k: &AuditKey, c: &[AuditRecord], prev: &str, minute: i64) -> Checkpoint {
        let last = &c[c.len() - 1];
        let at = from_millis(60_000 * minute);
        Checkpoint::sign(
            k,
            at,
            vec![CheckpointHead { org_id: last.org_id, seq: last.seq, hash: last.hash.clone() }],
            prev.into(),
        )
    }

    #[test]
    fn keys_read_from_hex_and_never_print() {
        let k = key(0xab);
        assert_eq!(AuditKey::from_hex(&format!(" {}\n", k.to_hex())), Ok(k.clone()));
        assert_eq!(AuditKey::from_hex("abcd"), Err(BadAuditKey));
        assert_eq!(AuditKey::from_hex(&"zz".repeat(32)), Err(BadAuditKey));
        assert!(!format!("{k:?}").contains("ab"));
    }

    #[test]
    fn a_signed_intact_chain_has_no_problem() {
        let (k, c) = (key(1), chain(5));
        let anchors = check_checkpoints(&k, &[Some(checkpoint(&k, &c[..3], "", 1))]);
        assert!(anchors.problems.is_empty());
        assert_eq!(verify_org(&k, c[0].org_id, &c, Some(&signed_head(&k, &c)), anchors.of(c[0].org_id)), (5, vec![]));
    }

    #[test]
    fn a_cut_chain_with_a_rewound_head_fails_its_mac() {
        let (k, mut c) = (key(1), chain(5));
        c.truncate(3);
        let forged =
            ChainHead { seq: 3, hash: c[2].hash.clone(), mac: Some(head_mac(&key(2), c[0].org_id, 3, &c[2].hash)) };
        let (_, problems) = verify_org(&k, c[0].org_id, &c, Some(&forged), &[]);
        assert_eq!(kinds(&problems), [AuditProblemKind::HeadMacInvalid]);
        let unsigned = ChainHead { mac: None, ..forged };
        assert_eq!(
            kinds(&verify_org(&k, c[0].org_id, &c, Some(&unsigned), &[]).1),
            [AuditProblemKind::HeadNotAnchored]
        );
    }

    #[test]
    fn a_replayed_older_head_is_behind_the_checkpoint() {
        let (k, c) = (key(1), chain(5));
        let anchors = check_checkpoints(&k, &[Some(checkpoint(&k, &c[..4], "", 1))]);
        let old = signed_head(&k, &c[..2]);
        let (_, problems) = verify_org(&k, c[0].org_id, &c[..2], Some(&old), anchors.of(c[0].org_id));
        assert_eq!(kinds(&problems), [AuditProblemKind::BehindCheckpoint]);
        assert_eq!(problems[0].seq, Some(4));
        // A chain rewritten from entry 2 on no longer passes through the anchor.
        let mut other = chain(5);
        other[3].hash = "f".repeat(64);
        let (_, problems) = verify_org(&k, c[0].org_id, &other, None, anchors.of(c[0].org_id));
        assert!(kinds(&problems).contains(&AuditProblemKind::BehindCheckpoint), "{problems:?}");
    }

    #[test]
    fn a_later_checkpoint_of_a_cut_chain_does_not_hide_the_cut() {
        let (k, c) = (key(1), chain(5));
        let first = checkpoint(&k, &c, "", 1);
        let second = checkpoint(&k, &c[..2], &first.mac, 2);
        let anchors = check_checkpoints(&k, &[Some(first), Some(second)]);
        assert_eq!((anchors.count, anchors.problems.len()), (2, 0));
        let (_, problems) =
            verify_org(&k, c[0].org_id, &c[..2], Some(&signed_head(&k, &c[..2])), anchors.of(c[0].org_id));
        assert_eq!(kinds(&problems), [AuditProblemKind::BehindCheckpoint]);
    }

    #[test]
    fn a_missing_chain_is_reported() {
        let (_, problems) = verify_org(&key(1), Uuid::from_u128(7), &[], None, &[]);
        assert_eq!(kinds(&problems), [AuditProblemKind::ChainMissing]);
    }

    #[test]
    fn tampered_removed_and_unreadable_checkpoints_are_reported() {
        let (k, c) = (key(1), chain(5));
        let first = checkpoint(&k, &c[..2], "", 1);
        let second = checkpoint(&k, &c[..3], &first.mac, 2);
        let third = checkpoint(&k, &c[..4], &second.mac, 3);
        let mut changed = second.clone();
        changed.heads[0].seq = 5;
        let a = check_checkpoints(&k, &[Some(first.clone()), Some(changed), Some(third.clone())]);
        assert_eq!(a.problems.iter().map(|p| p.seq).collect::<Vec<_>>(), [Some(2), Some(3)], "{:?}", a.problems);
        let a = check_checkpoints(&k, &[Some(first.clone()), Some(third.clone())]);
        assert_eq!(a.problems.iter().map(|p| p.seq).collect::<Vec<_>>(), [Some(2)]);
        let a = check_checkpoints(&k, &[Some(first.clone()), None, Some(second), Some(third)]);
        assert_eq!(a.problems.iter().map(|p| p.seq).collect::<Vec<_>>(), [Some(2)]);
        assert_eq!(a.count, 3);
        let a = check_checkpoints(&key(2), &[Some(first)]);
        assert_eq!(kinds(&a.problems), [AuditProblemKind::CheckpointInvalid]);
        assert_eq!(a.count, 0);
    }

    #[test]
    fn a_checkpoint_reads_back_as_it_was_signed() {
        let (k, c) = (key(1), chain(3));
        let cp = checkpoint(&k, &c, "", 1);
        let text = serde_json::to_string(&cp).unwrap();
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert!(back.verifies(&k));
        assert_eq!(back, cp);
    }
}
