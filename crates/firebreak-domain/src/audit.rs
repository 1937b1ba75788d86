//! The audit chain: every entry holds the SHA-256 of its predecessor's
//! content and hash, so a changed, removed or reordered entry breaks a link.
//!
//! Each organisation has its own chain (writes in different tenants do not
//! wait on each other); a chain head (last sequence number and hash) is kept
//! beside it so that removing the newest entries is detected too.

use sha2::{Digest, Sha256};
use uuid::Uuid;

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
}
