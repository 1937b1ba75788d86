//! The batch plan of intake, written once for both backends, with no I/O:
//! which occurrences of a batch share a key, which alerts are new and which
//! are repeats, which story each new alert joins, what the batch adds to
//! its stories and to the hourly counts, the audit entry's details, and the
//! answer. The backends (`sqlite`, `postgres`) only carry it out, each with
//! its own driver, in the same steps:
//!
//! 1. [`Collapsed::new`]: the batch by key, repeats within it collapsed;
//! 2. the backend finds which keys are stored already, and
//!    [`Collapsed::new_alerts`] keeps the others;
//! 3. [`assign_stories`] puts the new alerts in stories, from the stories
//!    their entities are in so far (the backend reads them);
//! 4. the backend inserts the new alerts; should another writer have
//!    inserted a key meanwhile (PostgreSQL, several nodes), that alert is a
//!    repeat after all: everything below is computed from what was created;
//! 5. [`story_totals`], [`hourly_counts`], [`Collapsed::repeats`],
//!    [`Collapsed::audit_details`] and [`Collapsed::answers`].

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::clock::to_millis;
use firebreak_domain::grouping::StopWords;
use firebreak_types::Alert;
use serde_json::json;
use uuid::Uuid;

use crate::columns::enum_text;

/// The maps intake fills for every alert of a batch: foldhash, seeded at
/// random as the standard library's hasher is, but several times faster
/// on the short keys they hold (source references, entity hashes).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// What deduplicates alerts: (source, source reference).
pub(crate) type Key<'a> = (&'a str, &'a str);

/// An alert's [`Key`].
pub(crate) fn key_of(a: &Alert) -> Key<'_> {
    (a.source.as_str(), a.source_ref.as_str())
}

/// A batch's alerts by key, repeats within it collapsed onto their first
/// occurrence.
pub(crate) struct Collapsed<'a> {
    alerts: &'a [Alert],
    /// Where each key first occurs in the batch.
    first: FastMap<Key<'a>, usize>,
    /// Those first occurrences, in batch order.
    pub(crate) candidates: Vec<&'a Alert>,
}

impl<'a> Collapsed<'a> {
    pub(crate) fn new(alerts: &'a [Alert]) -> Collapsed<'a> {
        let mut first: FastMap<Key<'a>, usize> = FastMap::default();
        let mut candidates: Vec<&Alert> = Vec::new();
        for (i, a) in alerts.iter().enumerate() {
            first.entry(key_of(a)).or_insert_with(|| {
                candidates.push(a);
                i
            });
        }
        Collapsed { alerts, first, candidates }
    }

    /// Where the alert's key first occurs in the batch.
    pub(crate) fn first_of(&self, a: &Alert) -> Option<usize> {
        self.first.get(&key_of(a)).copied()
    }

    /// The candidates whose key is not `stored`, in batch order: the alerts
    /// the batch creates.
    pub(crate) fn new_alerts(&self, stored: impl Fn(Key<'_>) -> bool) -> Vec<&'a Alert> {
        self.candidates.iter().copied().filter(|a| !stored(key_of(a))).collect()
    }

    /// Whether this occurrence of the batch created its alert, given which
    /// keys the batch created.
    fn created_here(&self, i: usize, a: &Alert, created: &impl Fn(&Alert) -> bool) -> bool {
        self.first.get(&key_of(a)) == Some(&i) && created(a)
    }

    /// Every occurrence that did not create its alert is a repeat of it: by
    /// key (in key order, the order in which PostgreSQL locks the rows),
    /// how many and the latest time seen.
    pub(crate) fn repeats(&self, created: impl Fn(&Alert) -> bool) -> Vec<Repeat<'a>> {
        let mut repeats: BTreeMap<Key<'a>, (i64, i64)> = BTreeMap::new();
        for (i, a) in self.alerts.iter().enumerate() {
            if !self.created_here(i, a, &created) {
                let e = repeats.entry(key_of(a)).or_insert((0, 0));
                e.0 += 1;
                e.1 = e.1.max(to_millis(a.last_seen));
            }
        }
        repeats.into_iter().collect()
    }

    /// One audit entry per batch: who sent how many, and the range of the
    /// new ids (UUIDv7, so time-ordered), rather than one chained entry per
    /// alert.
    pub(crate) fn audit_details(&self, new_ids: &[Uuid]) -> serde_json::Value {
        json!({
            "created": new_ids.len(),
            "repeats": self.alerts.len() - new_ids.len(),
            "first_id": new_ids.iter().min(),
            "last_id": new_ids.iter().max(),
        })
    }

    /// Each alert of the batch, in order: the id it is stored under and
    /// whether this occurrence created it.
    pub(crate) fn answers(
        &self,
        id_of: impl Fn(&Alert) -> Option<Uuid>,
        created: impl Fn(&Alert) -> bool,
    ) -> Vec<(Uuid, bool)> {
        self.alerts
            .iter()
            .enumerate()
            .map(|(i, a)| (id_of(a).unwrap_or(a.id), self.created_here(i, a, &created)))
            .collect()
    }
}

/// A repeated key and its (count, last seen).
pub(crate) type Repeat<'a> = (Key<'a>, (i64, i64));

/// What intake knows of an entity (or, keyed [`ORG_ENTITY`], of the
/// organisation's alerts): its current story (none while it has only been
/// a stop word), the event times (ms) of its first and last alerts there,
/// and how many alerts carried it in the latest period it was seen in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntityState {
    pub(crate) story: Option<Uuid>,
    pub(crate) first: i64,
    pub(crate) last: i64,
    /// The start (ms) of that period.
    pub(crate) period: i64,
    pub(crate) carried: i64,
}

/// The key under which PostgreSQL's `group_entities` counts the
/// organisation's alerts per period: no entity is empty.
pub(crate) const ORG_ENTITY: &str = "";

impl EntityState {
    /// Nothing known yet.
    pub(crate) const NEW: EntityState = EntityState { story: None, first: 0, last: 0, period: i64::MIN, carried: 0 };

    /// Whether an alert at `at` falls within the window of this entity's
    /// time span in its story, before or after it.
    fn within(&self, at: i64, window_ms: i64) -> bool {
        self.story.is_some() && self.first.saturating_sub(window_ms) <= at && at <= self.last.saturating_add(window_ms)
    }

    /// Counts an alert of the period starting at `period`: how many this
    /// period holds now, or `None` for a period older than the latest one,
    /// which is no longer counted.
    fn count(&mut self, period: i64) -> Option<i64> {
        if period > self.period {
            self.period = period;
            self.carried = 0;
        }
        (period == self.period).then(|| {
            self.carried += 1;
            self.carried
        })
    }

    /// The entity is in `story` at `at`: its span there grows; it moves to
    /// a story it was not in unless its own is later (so that a late, old
    /// alert does not take an entity away from what it is doing now).
    pub(crate) fn enter(&mut self, story: Uuid, at: i64) {
        match self.story {
            Some(s) if s == story => {
                self.first = self.first.min(at);
                self.last = self.last.max(at);
            }
            Some(_) if self.last > at => {}
            _ => {
                self.story = Some(story);
                self.first = at;
                self.last = at;
            }
        }
    }
}

/// How intake joins alerts: the window, and when a value is a stop word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) window_ms: i64,
    pub(crate) stop_words: StopWords,
}

impl Rules {
    /// Counts an alert at `at` for the organisation and for each of its
    /// entities' states; returns which entities are stop words for it.
    /// Periods are one window long, from the epoch, in event time.
    pub(crate) fn count(&self, org: &mut EntityState, entities: &mut [EntityState], at: i64) -> Vec<bool> {
        let period = at.div_euclid(self.window_ms.max(1)) * self.window_ms.max(1);
        let alerts = org.count(period);
        entities
            .iter_mut()
            .map(|e| match (e.count(period), alerts) {
                (Some(carried), Some(alerts)) => self.stop_words.stops(carried, alerts),
                _ => false,
            })
            .collect()
    }
}

/// An entity (its key, or on SQLite its key's hash) and what intake now
/// knows of it.
pub(crate) type EntityStory<K> = (K, EntityState);

/// Puts each new alert in a story, earliest event first (then by key): the story of the
/// first of its entities, stop words aside, whose time span there its event
/// time lies within the window of ([`EntityState::within`]), or a new one;
/// no story when every entity is a stop word. `entities` are each alert's,
/// by its index in the batch; `current`, what is known of the entities so
/// far; `org`, of the organisation's alerts. Returns each new alert's
/// story, the entities whose state changed, and the organisation's state.
pub(crate) fn assign_stories<K: Clone + Eq + std::hash::Hash + Ord>(
    batch: &Collapsed<'_>,
    new: &[&Alert],
    entities: &[Vec<K>],
    rules: Rules,
    mut current: FastMap<K, EntityState>,
    mut org: EntityState,
) -> (Vec<Option<Uuid>>, Vec<EntityStory<K>>, EntityState) {
    // Earliest event first, then by key: the same order on either backend,
    // whatever order each holds the new alerts in.
    let mut order: Vec<usize> = (0..new.len()).collect();
    order.sort_by_key(|&i| (to_millis(new[i].event_time), key_of(new[i])));
    let mut stories = vec![None; new.len()];
    let mut touched: Vec<K> = Vec::new();
    for i in order {
        let a = new[i];
        let Some(entities) = batch.first_of(a).and_then(|k| entities.get(k)) else { continue };
        let at = to_millis(a.event_time);
        let mut states: Vec<EntityState> =
            entities.iter().map(|e| current.get(e).copied().unwrap_or(EntityState::NEW)).collect();
        let stops = rules.count(&mut org, &mut states, at);
        let joining = || states.iter().zip(&stops).filter(|(_, stop)| !**stop).map(|(s, _)| s);
        if joining().next().is_some() {
            let story = joining().find(|s| s.within(at, rules.window_ms)).and_then(|s| s.story);
            let story = story.unwrap_or_else(Uuid::now_v7);
            for (s, stop) in states.iter_mut().zip(&stops) {
                if !stop {
                    s.enter(story, at);
                }
            }
            stories[i] = Some(story);
        }
        for (e, s) in entities.iter().zip(states) {
            current.insert(e.clone(), s);
            touched.push(e.clone());
        }
    }
    touched.sort_unstable();
    touched.dedup();
    let changed = touched.into_iter().filter_map(|e| current.get(&e).map(|&s| (e, s))).collect();
    (stories, changed, org)
}

/// What a batch adds to a story: the title of its earliest alert, the
/// count, the highest severity rank, the first and last event times.
pub(crate) type StoryTotal<'a> = (&'a str, i64, i64, i64, i64);

/// The new alerts summed per story.
pub(crate) fn story_totals<'a>(members: &[(&'a Alert, Uuid)]) -> Vec<(Uuid, StoryTotal<'a>)> {
    let mut agg: BTreeMap<Uuid, StoryTotal> = BTreeMap::new();
    for (a, g) in members {
        let t = to_millis(a.event_time);
        let rank = a.severity as i64 + 1;
        let e = agg.entry(*g).or_insert((a.title.as_str(), 0, rank, t, t));
        if t < e.3 {
            e.0 = a.title.as_str();
        }
        e.1 += 1;
        e.2 = e.2.max(rank);
        e.3 = e.3.min(t);
        e.4 = e.4.max(t);
    }
    agg.into_iter().collect()
}

/// An hour's count of new alerts of one source, rule and severity.
pub(crate) type HourCount<'a> = ((i64, &'a str, &'a str, String), i64);

/// New alerts counted by hour (start, ms), source, rule ('' for none) and
/// severity.
pub(crate) fn hourly_counts<'a>(new: impl Iterator<Item = &'a Alert>) -> Vec<HourCount<'a>> {
    let mut counts: BTreeMap<(i64, &str, &str, String), i64> = BTreeMap::new();
    for a in new {
        let hour = to_millis(a.first_seen).div_euclid(3_600_000) * 3_600_000;
        let key = (hour, a.source.as_str(), a.rule.as_deref().unwrap_or(""), enum_text(&a.severity));
        *counts.entry(key).or_default() += 1;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use firebreak_types::{AlertState, RawEvent, Severity};
    use time::macros::datetime;

    use super::*;

    fn alert(source_ref: &str, minute: i64) -> Alert {
        let at = datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(minute);
        Alert {
            id: Uuid::now_v7(),
            org_id: Uuid::nil(),
            source: "edr".into(),
            source_ref: source_ref.into(),
            kind: "malware".into(),
            title: format!("alert {source_ref}"),
            description: String::new(),
            severity: Severity::Medium,
            event_time: at,
            tags: vec![],
            tlp: firebreak_types::Tlp::Amber,
            pap: firebreak_types::Pap::Amber,
            observables: vec![],
            custom_fields: serde_json::json!({}),
            raw: RawEvent::from_text("{}".into()).unwrap(),
            state: AlertState::New,
            occurrences: 1,
            first_seen: at,
            last_seen: at,
            assignee_id: None,
            acknowledged_at: None,
            disposition: None,
            disposition_reason: None,
            case_id: None,
            closed_at: None,
            assets: vec![],
            triage_rank: 0,
            rule: None,
            group_id: None,
        }
    }

    #[test]
    fn repeats_within_a_batch_collapse_onto_the_first_and_stored_keys_are_repeats() {
        let alerts = vec![alert("a", 0), alert("b", 1), alert("a", 2), alert("c", 3)];
        let batch = Collapsed::new(&alerts);
        assert_eq!(batch.candidates.len(), 3);
        let new = batch.new_alerts(|k| k == ("edr", "c"));
        let new_refs: Vec<&str> = new.iter().map(|a| a.source_ref.as_str()).collect();
        assert_eq!(new_refs, ["a", "b"]);
        let created = |a: &Alert| a.source_ref != "c";
        let repeats = batch.repeats(created);
        let minute = |m: i64| to_millis(datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(m));
        assert_eq!(repeats, vec![(("edr", "a"), (1, minute(2))), (("edr", "c"), (1, minute(3)))]);
        let answers = batch.answers(|a| Some(alerts[batch.first_of(a).unwrap()].id), created);
        let flags: Vec<bool> = answers.iter().map(|(_, n)| *n).collect();
        assert_eq!(flags, [true, true, false, false]);
        assert_eq!(answers[0].0, answers[2].0, "a repeat answers its alert's id");
        let details = batch.audit_details(&[alerts[0].id, alerts[1].id]);
        assert_eq!(details["created"], 2);
        assert_eq!(details["repeats"], 2);
    }

    const HOUR: i64 = 3_600_000;

    fn rules(window_ms: i64) -> Rules {
        Rules { window_ms, stop_words: StopWords { percent: 5, min_alerts: 50 } }
    }

    fn in_story(story: Uuid, first: i64, last: i64) -> EntityState {
        EntityState { story: Some(story), first, last, ..EntityState::NEW }
    }

    #[test]
    fn a_new_alert_joins_the_story_of_an_entity_seen_within_the_window() {
        let alerts = vec![alert("late", 50), alert("early", 0), alert("apart", 5)];
        let batch = Collapsed::new(&alerts);
        let new = batch.new_alerts(|_| false);
        let entities = vec![vec!["host:x"], vec!["host:x", "user:y"], vec!["host:z"]];
        let known = Uuid::now_v7();
        let mut current = FastMap::default();
        // user:y was last seen in `known` a minute before the window opens.
        let before = to_millis(alerts[1].event_time) - 61_000;
        current.insert("user:y", in_story(known, before, before));
        let (stories, changed, org) =
            assign_stories(&batch, &new, &entities, rules(HOUR), current.clone(), EntityState::NEW);
        assert_eq!(stories[1], Some(known), "within the hour: joins user:y's story");
        assert_eq!(stories[0], Some(known), "host:x followed user:y into it");
        assert_ne!(stories[2], Some(known), "another entity: a story of its own");
        assert_eq!(changed.len(), 3);
        assert_eq!(org.carried, 3, "the organisation's alerts of the period");
        // With a minute's window, user:y's story is too old: a new one.
        let (stories, _, _) = assign_stories(&batch, &new, &entities, rules(60_000), current, EntityState::NEW);
        assert_ne!(stories[1], Some(known));
        assert_ne!(stories[0], stories[1], "fifty minutes apart");
    }

    /// The window holds both ways: an alert far older than an entity's
    /// story does not join it, whether it comes after it or before it.
    #[test]
    fn an_alert_outside_the_window_before_a_story_starts_a_story_of_its_own() {
        let mut old = alert("old", 0);
        old.event_time = datetime!(2024-01-01 00:00 UTC);
        let recent = alert("recent", 0);
        let entities = vec![vec!["host:h"]];
        for (first, second) in [(&recent, &old), (&old, &recent)] {
            let one = [first.clone()];
            let batch = Collapsed::new(&one);
            let (a, changed, org) = assign_stories(
                &batch,
                &batch.new_alerts(|_| false),
                &entities,
                rules(HOUR),
                FastMap::default(),
                EntityState::NEW,
            );
            let current: FastMap<&str, EntityState> = changed.into_iter().collect();
            let two = [second.clone()];
            let batch = Collapsed::new(&two);
            let (b, changed, _) =
                assign_stories(&batch, &batch.new_alerts(|_| false), &entities, rules(HOUR), current, org);
            assert!(a[0].is_some() && b[0].is_some());
            assert_ne!(a[0], b[0], "{} then {}: two stories", first.source_ref, second.source_ref);
            // The host stays in the later story, for what comes next.
            let later = if first.source_ref == "recent" { a[0] } else { b[0] };
            assert_eq!(changed[0].1.story, later);
        }
        // Within the window, an earlier alert joins, and the span grows back.
        let story = Uuid::now_v7();
        let at = to_millis(recent.event_time);
        let mut current = FastMap::default();
        current.insert("host:h", in_story(story, at + 30 * 60_000, at + 90 * 60_000));
        let one = [recent.clone()];
        let batch = Collapsed::new(&one);
        let (s, changed, _) =
            assign_stories(&batch, &batch.new_alerts(|_| false), &entities, rules(HOUR), current, EntityState::NEW);
        assert_eq!(s[0], Some(story));
        assert_eq!((changed[0].1.first, changed[0].1.last), (at, at + 90 * 60_000));
    }

    /// A value in more than its share of a period's alerts stops joining
    /// them once the period holds enough; alerts it alone would join stay
    /// apart.
    #[test]
    fn a_stop_word_stops_joining_once_the_period_holds_enough_alerts() {
        let alerts: Vec<Alert> = (0..100).map(|i| alert(&format!("a{i}"), i / 4)).collect();
        let batch = Collapsed::new(&alerts);
        let new = batch.new_alerts(|_| false);
        // Every alert names the gateway and a host of its own.
        let entities: Vec<Vec<String>> =
            (0..100).map(|i| vec!["ip:10.0.0.1".to_owned(), format!("host:{i}")]).collect();
        let (stories, changed, org) =
            assign_stories(&batch, &new, &entities, rules(HOUR), FastMap::default(), EntityState::NEW);
        assert_eq!(org.carried, 100);
        let mut sizes: FastMap<Uuid, usize> = FastMap::default();
        for s in stories.iter().flatten() {
            *sizes.entry(*s).or_default() += 1;
        }
        assert_eq!(stories.iter().flatten().count(), 100, "each has a host: each has a story");
        assert_eq!(sizes.values().max(), Some(&49), "the gateway joined the first 49, then stopped");
        let gateway = changed.iter().find(|(e, _)| e == "ip:10.0.0.1").map(|(_, s)| *s);
        assert_eq!(gateway.map(|s| s.carried), Some(100), "still counted");
        // Under the minimum, the gateway joins all.
        let few = rules(HOUR);
        let few = Rules { stop_words: StopWords { min_alerts: 1000, ..few.stop_words }, ..few };
        let (stories, _, _) = assign_stories(&batch, &new, &entities, few, FastMap::default(), EntityState::NEW);
        assert!(stories.iter().all(|s| *s == stories[0]));
    }

    #[test]
    fn totals_and_counts_sum_the_new_alerts() {
        let mut alerts = [alert("a", 10), alert("b", 0), alert("c", 70)];
        alerts[2].severity = Severity::Critical;
        let s = Uuid::now_v7();
        let members: Vec<(&Alert, Uuid)> = alerts.iter().map(|a| (a, s)).collect();
        let totals = story_totals(&members);
        assert_eq!(totals.len(), 1);
        let (title, count, rank, first, last) = totals[0].1;
        assert_eq!((title, count, rank), ("alert b", 3, Severity::Critical as i64 + 1));
        assert_eq!((first, last), (to_millis(alerts[1].event_time), to_millis(alerts[2].event_time)));
        let counts = hourly_counts(alerts.iter());
        let per_hour: Vec<i64> = counts.iter().map(|(_, n)| *n).collect();
        assert_eq!(per_hour, [2, 1], "two in the first hour (medium), one in the next");
    }
}
