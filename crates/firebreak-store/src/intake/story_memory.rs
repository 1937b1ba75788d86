//! SQLite's story memory: the story (alert group) each entity last joined,
//! kept by the alert writer instead of in a table.
//!
//! A table of one row per entity, keyed by the entity, had each batch of a
//! thousand alerts write thousands of rows at random places in a B-tree of
//! millions: a page of the write-ahead log for nearly every one. SQLite has
//! one writer, so the writer can keep the table in memory instead. What
//! makes it durable is what the alerts keep: each new alert stores its story
//! and the entities it was grouped by (`group_keys`, as their hashes), and
//! the memory of an organisation is rebuilt from its alerts of the grouping
//! window the first time the writer meets it. PostgreSQL, written by many
//! nodes at once, keeps the table.
//!
//! Another process writing the same file (the command line's `ingest`
//! beside a running server) keeps a memory of its own: deduplication stays
//! exact, since the unique constraint decides, but each joins the other's
//! new stories only once it opens the file again.
//!
//! Changes are applied at once, so the next batch of the same transaction
//! sees them, and logged, so that a batch rolled back, or a transaction that
//! fails to commit, takes them back.
//!
//! Beside each entity's story, its time span there and its count of alerts
//! in the latest period (see `plan::EntityState`), the memory counts the
//! organisation's alerts per period, for stop words. Rebuilt, the memory
//! replays the alerts of the last two windows through the plan's own rules
//! (`plan::Rules::count`, `EntityState::enter`), in the order they were
//! stored: counts come back as intake made them, give or take the order
//! within a batch (intake counts a batch's alerts earliest event first).

use std::collections::HashMap;
use std::hash::Hasher;

use fnv::FnvHasher;
use uuid::Uuid;

use super::plan::{EntityState, FastMap, Rules};

/// Entities are kept by a 64-bit hash of their key: a tenth of the memory
/// of the keys themselves. Two entities would share a story only if their
/// hashes collided, about once in 10^12 for millions of entities by
/// chance. FNV-1a is not keyed, so a sender who chose an entity's value to
/// collide with another's could join that entity's story: grouping within
/// its own organisation, whose memory is its own, nothing more. The alerts
/// store these hashes, so the function must never change: FNV-1a is
/// defined once and for all, where the standard library's hasher is not.
pub(crate) fn entity_hash(entity: &str) -> u64 {
    let mut h = FnvHasher::default();
    h.write(entity.as_bytes());
    h.finish()
}

/// An alert's grouping entities as its `group_keys` column keeps them:
/// their hashes, eight bytes each (little-endian). A fifth of the entities'
/// keys as JSON, which the alert row would otherwise carry.
pub(crate) fn keys_blob(hashes: &[u64]) -> Vec<u8> {
    hashes.iter().flat_map(|h| h.to_le_bytes()).collect()
}

/// The entity hashes of a `group_keys` value: the hashes of
/// [`keys_blob`], or the keys themselves as a JSON array of strings, as
/// alerts stored before kept them.
pub(crate) fn stored_keys(value: rusqlite::types::ValueRef<'_>) -> Vec<u64> {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Blob(b) => b.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect(),
        ValueRef::Text(t) => {
            let keys: Vec<String> = serde_json::from_slice(t).unwrap_or_default();
            keys.iter().map(|k| entity_hash(k)).collect()
        }
        _ => Vec::new(),
    }
}

struct OrgStories {
    entities: FastMap<u64, EntityState>,
    /// The organisation's alerts in the latest period.
    alerts: EntityState,
    /// The newest event time seen, from which stale entities are pruned.
    newest: i64,
    /// Entities kept after the last pruning: the next comes at twice as many.
    kept: usize,
    window_ms: i64,
}

impl Default for OrgStories {
    fn default() -> OrgStories {
        OrgStories { entities: FastMap::default(), alerts: EntityState::NEW, newest: 0, kept: 0, window_ms: 0 }
    }
}

/// What a change replaced, to take it back: an entity's state, or (`None`
/// for the entity) the organisation's count.
type Undo = (Uuid, Option<u64>, Option<EntityState>);

/// An alert as the memory is rebuilt from it: its story, if any, its event
/// time and its entities' hashes.
pub(crate) type StoredAlert = (Option<Uuid>, i64, Vec<u64>);

/// Pruning starts past this many entities in an organisation.
const PRUNE_FROM: usize = 100_000;

#[derive(Default)]
pub(crate) struct StoryMemory {
    orgs: HashMap<Uuid, OrgStories>,
    /// What each change replaced, to take it back.
    undo: Vec<Undo>,
}

impl StoryMemory {
    /// Whether `org`'s memory is built.
    pub(crate) fn is_loaded(&self, org: Uuid) -> bool {
        self.orgs.contains_key(&org)
    }

    /// Builds `org`'s memory from its alerts of the last two grouping
    /// windows, in the order they were stored (story, event time, entity
    /// hashes): each is counted as intake counts it, and its entities that
    /// were not stop words take its story, as intake gave it.
    pub(crate) fn fill(&mut self, org: Uuid, rules: Rules, alerts: Vec<StoredAlert>) {
        let mut o = OrgStories { window_ms: rules.window_ms, ..OrgStories::default() };
        for (group, at, hashes) in alerts {
            let mut states: Vec<EntityState> =
                hashes.iter().map(|h| o.entities.get(h).copied().unwrap_or(EntityState::NEW)).collect();
            let stops = rules.count(&mut o.alerts, &mut states, at);
            for ((h, mut s), stop) in hashes.into_iter().zip(states).zip(stops) {
                if let (Some(g), false) = (group, stop) {
                    s.enter(g, at);
                }
                o.entities.insert(h, s);
            }
            o.newest = o.newest.max(at);
        }
        o.kept = o.entities.len();
        self.orgs.insert(org, o);
    }

    /// The organisation's grouping window, by which it is pruned.
    pub(crate) fn set_window(&mut self, org: Uuid, window_ms: i64) {
        self.orgs.entry(org).or_default().window_ms = window_ms;
    }

    /// What is known of those of `entities` (by [`entity_hash`]) that the
    /// memory holds, and the organisation's count of alerts (the
    /// organisation must be loaded).
    pub(crate) fn current(&self, org: Uuid, entities: &[u64]) -> (FastMap<u64, EntityState>, EntityState) {
        let Some(o) = self.orgs.get(&org) else { return (FastMap::default(), EntityState::NEW) };
        (entities.iter().filter_map(|h| o.entities.get(h).map(|s| (*h, *s))).collect(), o.alerts)
    }

    /// Records what is known of the entity hashed `h`.
    pub(crate) fn set(&mut self, org: Uuid, h: u64, state: EntityState) {
        let o = self.orgs.entry(org).or_default();
        let before = o.entities.insert(h, state);
        o.newest = o.newest.max(state.last);
        self.undo.push((org, Some(h), before));
    }

    /// Records the organisation's count of alerts.
    pub(crate) fn set_alerts(&mut self, org: Uuid, alerts: EntityState) {
        let o = self.orgs.entry(org).or_default();
        let before = std::mem::replace(&mut o.alerts, alerts);
        self.undo.push((org, None, Some(before)));
    }

    /// A point to take changes back to.
    pub(crate) fn mark(&self) -> usize {
        self.undo.len()
    }

    /// Takes back the changes made since `mark`, newest first.
    pub(crate) fn undo_to(&mut self, mark: usize) {
        while self.undo.len() > mark {
            let Some((org, h, before)) = self.undo.pop() else { break };
            let Some(o) = self.orgs.get_mut(&org) else { continue };
            match (h, before) {
                (None, Some(alerts)) => o.alerts = alerts,
                (None, None) => {}
                (Some(h), Some(s)) => {
                    o.entities.insert(h, s);
                }
                (Some(h), None) => {
                    o.entities.remove(&h);
                }
            }
        }
    }

    /// The changes are committed: they stay. Organisations that have grown
    /// to twice what they kept forget the entities whose last alert, and
    /// whose latest period, ended more than their window before the newest
    /// event.
    pub(crate) fn committed(&mut self) {
        self.undo.clear();
        for o in self.orgs.values_mut() {
            if o.entities.len() >= PRUNE_FROM && o.entities.len() >= 2 * o.kept {
                let oldest = o.newest.saturating_sub(o.window_ms);
                let window = o.window_ms;
                o.entities.retain(|_, s| s.last >= oldest || s.period.saturating_add(window) >= oldest);
                o.kept = o.entities.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(g: Uuid, at: i64) -> EntityState {
        EntityState { story: Some(g), first: at, last: at, ..EntityState::NEW }
    }

    #[test]
    fn changes_are_taken_back_to_a_mark() {
        let org = Uuid::now_v7();
        let (g1, g2) = (Uuid::now_v7(), Uuid::now_v7());
        let mut m = StoryMemory::default();
        let (a, b) = (entity_hash("host:a"), entity_hash("host:b"));
        m.set(org, a, st(g1, 10));
        m.committed();
        let mark = m.mark();
        m.set(org, a, st(g2, 20));
        m.set(org, b, st(g2, 20));
        m.set_alerts(org, EntityState { carried: 7, ..EntityState::NEW });
        assert_eq!(m.current(org, &[a, b]).0.len(), 2);
        m.undo_to(mark);
        let (now, alerts) = m.current(org, &[a, b]);
        assert_eq!(now.get(&a), Some(&st(g1, 10)));
        assert!(!now.contains_key(&b));
        assert_eq!(alerts, EntityState::NEW);
    }

    #[test]
    fn a_grown_organisation_forgets_entities_older_than_its_window() {
        let org = Uuid::now_v7();
        let g = Uuid::now_v7();
        let mut m = StoryMemory::default();
        m.orgs.insert(org, OrgStories { window_ms: 1_000, ..OrgStories::default() });
        for i in 0..PRUNE_FROM as i64 {
            m.set(org, entity_hash(&format!("host:{i}")), st(g, i));
        }
        m.committed();
        let kept = m.orgs[&org].entities.len();
        assert_eq!(kept, 1_001, "the entities within a second of the newest");
        let newest = entity_hash(&format!("host:{}", PRUNE_FROM - 1));
        assert!(m.current(org, &[newest]).0.contains_key(&newest));
    }

    #[test]
    fn stored_keys_read_as_hashes_whether_new_or_old() {
        use rusqlite::types::ValueRef;
        let hashes = [entity_hash("host:a"), entity_hash("user:b")];
        assert_eq!(stored_keys(ValueRef::Blob(&keys_blob(&hashes))), hashes);
        assert_eq!(stored_keys(ValueRef::Text(br#"["host:a","user:b"]"#)), hashes);
        assert_eq!(stored_keys(ValueRef::Null), Vec::<u64>::new());
        // FNV-1a, fixed for good: alerts keep these hashes.
        assert_eq!(entity_hash(""), 0xcbf2_9ce4_8422_2325);
    }
}
