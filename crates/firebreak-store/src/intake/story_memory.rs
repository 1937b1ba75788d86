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

use std::collections::HashMap;
use std::hash::Hasher;

use fnv::FnvHasher;
use uuid::Uuid;

use super::plan::FastMap;

/// An entity's story and the event time (ms) of its last alert there.
pub(crate) type Story = (Uuid, i64);

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

#[derive(Default)]
struct OrgStories {
    entities: FastMap<u64, Story>,
    /// The newest event time seen, from which stale entities are pruned.
    newest: i64,
    /// Entities kept after the last pruning: the next comes at twice as many.
    kept: usize,
    window_ms: i64,
}

/// Pruning starts past this many entities in an organisation.
const PRUNE_FROM: usize = 100_000;

#[derive(Default)]
pub(crate) struct StoryMemory {
    orgs: HashMap<Uuid, OrgStories>,
    /// What each change replaced, to take it back.
    undo: Vec<(Uuid, u64, Option<Story>)>,
}

impl StoryMemory {
    /// Whether `org`'s memory is built.
    pub(crate) fn is_loaded(&self, org: Uuid) -> bool {
        self.orgs.contains_key(&org)
    }

    /// Builds `org`'s memory from its alerts of the grouping window, oldest
    /// first (story, event time, entity hashes): each entity takes the
    /// story of the last alert stored with it, as intake gave it.
    pub(crate) fn fill(&mut self, org: Uuid, alerts: Vec<(Uuid, i64, Vec<u64>)>) {
        let mut o = OrgStories::default();
        for (group, at, hashes) in alerts {
            for h in hashes {
                o.set(h, group, at);
            }
        }
        o.kept = o.entities.len();
        self.orgs.insert(org, o);
    }

    /// The organisation's grouping window, by which it is pruned.
    pub(crate) fn set_window(&mut self, org: Uuid, window_ms: i64) {
        self.orgs.entry(org).or_default().window_ms = window_ms;
    }

    /// The current stories of those of `entities` (by [`entity_hash`])
    /// that have one (the organisation must be loaded).
    pub(crate) fn current(&self, org: Uuid, entities: &[u64]) -> FastMap<u64, Story> {
        let Some(o) = self.orgs.get(&org) else { return FastMap::default() };
        entities.iter().filter_map(|h| o.entities.get(h).map(|s| (*h, *s))).collect()
    }

    /// Records the story and last event time of the entity hashed `h`.
    pub(crate) fn set(&mut self, org: Uuid, h: u64, group: Uuid, last: i64) {
        let o = self.orgs.entry(org).or_default();
        let before = o.entities.insert(h, (group, last));
        o.newest = o.newest.max(last);
        self.undo.push((org, h, before));
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
            match before {
                Some(s) => o.entities.insert(h, s),
                None => o.entities.remove(&h),
            };
        }
    }

    /// The changes are committed: they stay. Organisations that have grown
    /// to twice what they kept forget the entities whose last alert is older
    /// than their window before the newest event.
    pub(crate) fn committed(&mut self) {
        self.undo.clear();
        for o in self.orgs.values_mut() {
            if o.entities.len() >= PRUNE_FROM && o.entities.len() >= 2 * o.kept {
                let oldest = o.newest.saturating_sub(o.window_ms);
                o.entities.retain(|_, (_, last)| *last >= oldest);
                o.kept = o.entities.len();
            }
        }
    }
}

impl OrgStories {
    /// As intake does: an entity staying in its story keeps its latest
    /// time; one that moves takes the new story's.
    fn set(&mut self, h: u64, group: Uuid, at: i64) {
        let last = match self.entities.get(&h) {
            Some((g, last)) if *g == group => (*last).max(at),
            _ => at,
        };
        self.entities.insert(h, (group, last));
        self.newest = self.newest.max(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_taken_back_to_a_mark() {
        let org = Uuid::now_v7();
        let (g1, g2) = (Uuid::now_v7(), Uuid::now_v7());
        let mut m = StoryMemory::default();
        let (a, b) = (entity_hash("host:a"), entity_hash("host:b"));
        m.set(org, a, g1, 10);
        m.committed();
        let mark = m.mark();
        m.set(org, a, g2, 20);
        m.set(org, b, g2, 20);
        assert_eq!(m.current(org, &[a, b]).len(), 2);
        m.undo_to(mark);
        let now = m.current(org, &[a, b]);
        assert_eq!(now.get(&a), Some(&(g1, 10)));
        assert!(!now.contains_key(&b));
    }

    #[test]
    fn a_grown_organisation_forgets_entities_older_than_its_window() {
        let org = Uuid::now_v7();
        let g = Uuid::now_v7();
        let mut m = StoryMemory::default();
        m.orgs.insert(org, OrgStories { window_ms: 1_000, ..OrgStories::default() });
        for i in 0..PRUNE_FROM as i64 {
            m.set(org, entity_hash(&format!("host:{i}")), g, i);
        }
        m.committed();
        let kept = m.orgs[&org].entities.len();
        assert_eq!(kept, 1_001, "the entities within a second of the newest");
        let newest = entity_hash(&format!("host:{}", PRUNE_FROM - 1));
        assert!(m.current(org, &[newest]).contains_key(&newest));
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
