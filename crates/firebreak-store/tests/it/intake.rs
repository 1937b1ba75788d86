//! Intake in the conformance suite: the one intake plan, carried out by
//! SQLite's writer and by PostgreSQL's statements, gives the same answers,
//! rows, stories, counts and audit entries.

use firebreak_domain::clock::to_millis;
use firebreak_domain::grouping::StopWords;
use firebreak_store::{AlertStore, Grouping, MetricStore, SqlStore, Store};
use firebreak_types::{Alert, AlertGroupQuery, AuditQuery};
use uuid::Uuid;

use crate::harness::Harness;
use crate::suite::org;

/// An alert of `org` at 09:00 plus `minute`, with one host observable.
fn alert(org: Uuid, source_ref: &str, minute: i64, host: &str) -> Alert {
    let at = time::macros::datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(minute);
    alert_at(org, source_ref, &at.format(&time::format_description::well_known::Rfc3339).unwrap(), host)
}

/// An alert of `org` at `at` (RFC 3339), with one host observable.
fn alert_at(org: Uuid, source_ref: &str, at: &str, host: &str) -> Alert {
    serde_json::from_value(serde_json::json!({
        "id": Uuid::now_v7(), "org_id": org, "source": "edr", "source_ref": source_ref, "type": "external",
        "title": format!("alert {source_ref}"), "description": "", "severity": "medium",
        "event_time": at, "tags": [], "tlp": "amber", "pap": "amber",
        "observables": [{ "type": "hostname", "value": host }],
        "custom_fields": {}, "raw": {}, "state": "new", "occurrences": 1, "first_seen": at, "last_seen": at,
    }))
    .unwrap()
}

/// The default stop words: over 5% of a period of at least 50 alerts.
const STOP_WORDS: StopWords = StopWords { percent: 5, min_alerts: 50 };

/// Each alert grouped by its host, within an hour.
fn by_host(alerts: &[Alert]) -> Grouping {
    Grouping {
        window_ms: 3_600_000,
        entities: alerts.iter().map(|a| vec![format!("hostname:{}", a.observables[0].value)]).collect(),
        stop_words: STOP_WORDS,
    }
}

fn created(answers: &[(Uuid, bool)]) -> Vec<bool> {
    answers.iter().map(|(_, c)| *c).collect()
}

/// A key repeated within a batch is stored once; sent again in a later
/// batch it is a repeat: its occurrences and repeat times count both.
pub async fn intake_dedups_within_and_across_batches(h: &Harness) {
    let acme = org(h, "acme").await;
    let first = vec![alert(acme, "a", 0, "ws-1"), alert(acme, "b", 1, "ws-2"), alert(acme, "a", 2, "ws-1")];
    let one = h.store.ingest_alerts(&h.ctx(1), acme, first, None).await.unwrap();
    assert_eq!(created(&one), [true, true, false]);
    assert_eq!(one[0].0, one[2].0, "a repeat answers its alert's id");
    let second = vec![alert(acme, "b", 3, "ws-2"), alert(acme, "c", 4, "ws-3"), alert(acme, "a", 5, "ws-1")];
    let two = h.store.ingest_alerts(&h.ctx(2), acme, second, None).await.unwrap();
    assert_eq!(created(&two), [false, true, false]);
    assert_eq!((two[0].0, two[2].0), (one[1].0, one[0].0));

    let a = h.store.get_alert(acme, one[0].0).await.unwrap().unwrap();
    assert_eq!(a.occurrences, 3);
    assert_eq!(a.last_seen, time::macros::datetime!(2026-03-02 09:05 UTC));
    assert_eq!(h.store.alert_repeats(acme, a.id).await.unwrap().len(), 2);
    assert_eq!(h.store.get_alert(acme, one[1].0).await.unwrap().unwrap().occurrences, 2);
    let all = firebreak_types::AlertQuery { total: Some(true), ..Default::default() };
    assert_eq!(h.store.list_alerts(acme, &all).await.unwrap().total, Some(3), "one alert per key");
}

/// New alerts are counted by hour of first sight; repeats are not.
pub async fn intake_counts_new_alerts_by_hour(h: &Harness) {
    let acme = org(h, "acme").await;
    let batch = vec![alert(acme, "a", 0, "ws-1"), alert(acme, "b", 30, "ws-1"), alert(acme, "c", 70, "ws-1")];
    h.store.ingest_alerts(&h.ctx(1), acme, batch, None).await.unwrap();
    let again = vec![alert(acme, "a", 80, "ws-1"), alert(acme, "d", 90, "ws-1")];
    h.store.ingest_alerts(&h.ctx(2), acme, again, None).await.unwrap();
    let day = to_millis(time::macros::datetime!(2026-03-02 00:00 UTC));
    let mut heat = h.store.alert_heatmap(acme, day, day + 86_400_000).await.unwrap();
    heat.sort();
    let per_hour: Vec<(i64, i64)> = heat.iter().map(|(_, hour, n)| (*hour, *n)).collect();
    assert_eq!(per_hour, [(9, 2), (10, 2)], "a and b at nine, c and d at ten; a's repeat adds nothing");
}

/// A new alert joins the story its entity was in within the window, in a
/// later batch too; a repeat joins none, and does not carry its entity's
/// story on; past the window a new story starts.
pub async fn stories_span_batches_and_repeats_join_none(h: &Harness) {
    let acme = org(h, "acme").await;
    let first = vec![alert(acme, "x", 0, "ws-1")];
    let x = h.store.ingest_alerts(&h.ctx(1), acme, first.clone(), Some(by_host(&first))).await.unwrap();
    let story = h.store.get_alert(acme, x[0].0).await.unwrap().unwrap().group_id.unwrap();

    // y, half an hour later, joins x's story; x sent again (its event now
    // later) is a repeat, which moves no entity's time.
    let second = vec![alert(acme, "y", 30, "ws-1"), alert(acme, "x", 75, "ws-1")];
    let two = h.store.ingest_alerts(&h.ctx(2), acme, second.clone(), Some(by_host(&second))).await.unwrap();
    assert_eq!(created(&two), [true, false]);
    let y = h.store.get_alert(acme, two[0].0).await.unwrap().unwrap();
    assert_eq!(y.group_id, Some(story), "within the hour of x: x's story");
    assert_eq!(h.store.get_alert(acme, x[0].0).await.unwrap().unwrap().group_id, Some(story), "x stays where it was");

    // z, an hour and a half after y: a story of its own.
    let third = vec![alert(acme, "z", 120, "ws-1")];
    let z = h.store.ingest_alerts(&h.ctx(3), acme, third.clone(), Some(by_host(&third))).await.unwrap();
    let z = h.store.get_alert(acme, z[0].0).await.unwrap().unwrap();
    assert!(z.group_id.is_some());
    assert_ne!(z.group_id, Some(story), "past the window since y, whatever x's repeat said");

    let s = h.store.get_alert_group(acme, story).await.unwrap().unwrap();
    assert_eq!(s.alert_count, 2, "x and y; the repeat is not counted");
    assert_eq!((s.first_event, s.last_event), (first[0].event_time, second[0].event_time));
    assert_eq!(s.title, "alert x");
    let q = AlertGroupQuery { min_alerts: Some(1), total: Some(true), ..Default::default() };
    assert_eq!(h.store.list_alert_groups(acme, &q).await.unwrap().total, Some(2));
}

/// The window holds both ways, whatever the order alerts arrive in: an
/// alert two years older than a host's story does not join it, sent after
/// it or before it; the host stays in the later story, also once the store
/// is opened again (SQLite rebuilds it from the alerts that arrived).
pub async fn the_window_holds_both_ways_whatever_the_arrival_order(h: &Harness) {
    let acme = org(h, "acme").await;
    // Every alert arrives now, whatever its event time.
    let alert_at = |org: Uuid, source_ref: &str, at: &str, host: &str| {
        let mut a = alert_at(org, source_ref, at, host);
        (a.first_seen, a.last_seen) = (h.ctx(1).now, h.ctx(1).now);
        a
    };
    let recent = "2026-05-26T10:00:00Z";
    let old = "2024-01-01T00:00:00Z";
    let mut stories = Vec::new();
    for (i, order) in [[recent, old], [old, recent]].into_iter().enumerate() {
        let host = format!("h-{i}");
        let mut ids = Vec::new();
        for (n, at) in order.into_iter().enumerate() {
            let one = vec![alert_at(acme, &format!("A{i}{n}"), at, &host)];
            let stored = h.store.ingest_alerts(&h.ctx(1), acme, one.clone(), Some(by_host(&one))).await.unwrap();
            ids.push(h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap().group_id.unwrap());
        }
        assert_ne!(ids[0], ids[1], "{order:?}: two stories");
        let recent_story = if order[0] == recent { ids[0] } else { ids[1] };
        stories.push((host, recent_story));
    }
    // Within the window before the story's first alert, an alert joins it.
    let before = vec![alert_at(acme, "B", "2026-05-26T09:10:00Z", "h-0")];
    let b = h.store.ingest_alerts(&h.ctx(2), acme, before.clone(), Some(by_host(&before))).await.unwrap();
    assert_eq!(h.store.get_alert(acme, b[0].0).await.unwrap().unwrap().group_id, Some(stories[0].1));

    let again = SqlStore::open(&h.url, &Harness::options()).await.unwrap();
    for (n, (host, story)) in stories.iter().enumerate() {
        let later = vec![alert_at(acme, &format!("C{n}"), "2026-05-26T10:30:00Z", host)];
        let c = again.ingest_alerts(&h.ctx(3), acme, later.clone(), Some(by_host(&later))).await.unwrap();
        let c = again.get_alert(acme, c[0].0).await.unwrap().unwrap();
        assert_eq!(c.group_id, Some(*story), "{host} stays in its recent story");
    }
    again.close().await;
}

/// A value carried by more than its share of a period's alerts (a
/// gateway) stops joining them once the period holds enough, across
/// batches and once the store is opened again: the story it would have
/// made one grows no further.
pub async fn a_value_too_common_stops_joining_alerts(h: &Harness) {
    let acme = org(h, "acme").await;
    let with_gateway = |alerts: &[Alert]| Grouping {
        window_ms: 3_600_000,
        entities: alerts
            .iter()
            .map(|a| vec!["ip:10.0.0.1".to_owned(), format!("hostname:{}", a.observables[0].value)])
            .collect(),
        stop_words: STOP_WORDS,
    };
    let mut ids = Vec::new();
    for range in [0..40, 40..60] {
        let batch: Vec<Alert> = range.map(|i| alert(acme, &format!("g{i}"), i / 2, &format!("ws-{i}"))).collect();
        ids.extend(h.store.ingest_alerts(&h.ctx(1), acme, batch.clone(), Some(with_gateway(&batch))).await.unwrap());
    }
    let again = SqlStore::open(&h.url, &Harness::options()).await.unwrap();
    let last = vec![alert(acme, "g60", 40, "ws-60")];
    ids.extend(again.ingest_alerts(&h.ctx(2), acme, last.clone(), Some(with_gateway(&last))).await.unwrap());
    let mut sizes = std::collections::HashMap::new();
    for (id, _) in &ids {
        let a = again.get_alert(acme, *id).await.unwrap().unwrap();
        *sizes.entry(a.group_id.unwrap()).or_insert(0) += 1;
    }
    let mut sizes: Vec<i32> = sizes.into_values().collect();
    sizes.sort_unstable();
    assert_eq!(sizes.last(), Some(&49), "the gateway joined the first 49 alerts, then stopped");
    assert_eq!(sizes.len(), 13, "the other 12 each a story of their own host");
    again.close().await;
}

/// Each batch has one audit entry (how many it created, how many were
/// repeats), a batch that failed beside it has none, and the chain
/// verifies.
pub async fn each_batch_is_audited_and_a_failed_one_is_not(h: &Harness) {
    let acme = org(h, "acme").await;
    let nowhere = Uuid::now_v7();
    let ctx = h.ctx(1);
    let good = vec![alert(acme, "a", 0, "ws-1"), alert(acme, "a", 1, "ws-1"), alert(acme, "b", 2, "ws-2")];
    let (stored, failed) = tokio::join!(
        h.store.ingest_alerts(&ctx, acme, good, None),
        h.store.ingest_alerts(&ctx, nowhere, vec![alert(nowhere, "c", 0, "ws-1")], None),
    );
    assert!(failed.is_err(), "an alert of no organisation breaks a foreign key");
    let stored = stored.unwrap();
    h.store.ingest_alerts(&h.ctx(2), acme, vec![alert(acme, "b", 3, "ws-2")], None).await.unwrap();

    let q = AuditQuery { object_type: Some("alert_batch".into()), total: Some(true), ..Default::default() };
    let entries = h.store.list_audit(acme, &q).await.unwrap();
    assert_eq!(entries.total, Some(2));
    let mut details: Vec<(i64, i64)> = entries
        .items
        .iter()
        .map(|e| (e.changes["created"].as_i64().unwrap(), e.changes["repeats"].as_i64().unwrap()))
        .collect();
    details.sort();
    assert_eq!(details, [(0, 1), (2, 1)]);
    let first = entries.items.iter().find(|e| e.changes["created"] == 2).unwrap();
    let (lo, hi) = (stored[0].0.min(stored[2].0), stored[0].0.max(stored[2].0));
    assert_eq!(first.changes["first_id"], serde_json::json!(lo));
    assert_eq!(first.changes["last_id"], serde_json::json!(hi));
    assert!(h.store.list_audit(nowhere, &q).await.unwrap().items.is_empty());
    assert!(h.verify(acme).await.is_ok(), "the chain verifies");
}

/// An amendment writes what the alert says, with an audit entry naming each
/// changed field; one made from a stale read is refused, and a repeat still
/// finds the amended alert by its source reference.
pub async fn an_amended_alert_is_written_audited_and_still_repeated(h: &Harness) {
    let acme = org(h, "acme").await;
    let answers = h.store.ingest_alerts(&h.ctx(1), acme, vec![alert(acme, "a", 0, "ws-1")], None).await.unwrap();
    let before = h.store.get_alert(acme, answers[0].0).await.unwrap().unwrap();
    let mut after = before.clone();
    after.title = "retitled".into();
    after.tags = vec!["triaged".into()];
    after.severity = firebreak_types::Severity::High;
    after.triage_rank = 3;
    after.custom_fields = serde_json::json!({ "ticket": "INC-1" });
    h.store.amend_alert(&h.ctx(2), &before, &after).await.unwrap();
    let stored = h.store.get_alert(acme, before.id).await.unwrap().unwrap();
    assert_eq!(stored, after);
    // `before` is stale now.
    let err = h.store.amend_alert(&h.ctx(3), &before, &after).await.unwrap_err();
    assert!(matches!(err, firebreak_store::StoreError::Stale), "{err:?}");
    let audit =
        h.store.list_audit(acme, &AuditQuery { action: Some("amend".into()), ..AuditQuery::default() }).await.unwrap();
    assert_eq!(audit.items.len(), 1);
    let changes = &audit.items[0].changes;
    assert_eq!(changes["title"]["before"], "alert a");
    assert_eq!(changes["tags"]["after"], serde_json::json!(["triaged"]));
    assert!(changes.get("tlp").is_none(), "only what changed: {changes}");
    // The sender's repeat counts on the amended alert.
    let again = h.store.ingest_alerts(&h.ctx(4), acme, vec![alert(acme, "a", 4, "ws-1")], None).await.unwrap();
    assert_eq!(again[0], (before.id, false));
    let stored = h.store.get_alert(acme, before.id).await.unwrap().unwrap();
    assert_eq!((stored.title.as_str(), stored.occurrences), ("retitled", 2));
    h.verify(acme).await.unwrap();
}

/// Observables added to an alert after intake are in the sightings index
/// intake writes: the alerts carrying one find it, newest first, beside the
/// alerts that came with it. The alert's story stays as intake made it (see
/// `AlertStore::add_alert_observables`).
pub async fn observables_added_later_are_sighted_and_leave_the_story(h: &Harness) {
    let acme = org(h, "acme").await;
    let other = org(h, "other").await;
    let first = vec![alert(acme, "a", 0, "ws-1"), alert(acme, "b", 1, "ws-2")];
    let g = by_host(&first);
    let stored = h.store.ingest_alerts(&h.ctx(1), acme, first, Some(g)).await.unwrap();
    let mut bare = alert(acme, "c", 2, "ws-3");
    bare.observables.clear();
    let c = h.store.ingest_alerts(&h.ctx(2), acme, vec![bare], None).await.unwrap();
    let theirs = vec![alert(other, "a", 0, "ws-1")];
    h.store.ingest_alerts(&h.ctx(2), other, theirs, None).await.unwrap();
    let a = h.store.get_alert(acme, stored[0].0).await.unwrap().unwrap();
    let b = h.store.get_alert(acme, stored[1].0).await.unwrap().unwrap();
    let c = h.store.get_alert(acme, c[0].0).await.unwrap().unwrap();

    let host = |v: &str| -> firebreak_types::AlertObservable {
        serde_json::from_value(serde_json::json!({ "type": "hostname", "value": v })).unwrap()
    };
    let b2 = h.store.add_alert_observables(&h.ctx(3), &b, &[host("ws-1")]).await.unwrap();
    // An alert intake indexed nothing for.
    let c2 = h.store.add_alert_observables(&h.ctx(4), &c, &[host("ws-1"), host("ws-9")]).await.unwrap();
    let seen = h.store.alerts_with_observable(acme, "hostname:ws-1", 10).await.unwrap();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [c.id, b.id, a.id], "newest first, acme's only");
    let seen = h.store.alerts_with_observable(acme, "hostname:ws-2", 10).await.unwrap();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [b.id], "what intake indexed stays");
    let seen = h.store.alerts_with_observable(acme, "hostname:ws-9", 10).await.unwrap();
    assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [c.id]);
    assert!(h.store.alerts_with_observable(other, "hostname:ws-9", 10).await.unwrap().is_empty());
    if let crate::harness::Raw::Sqlite(_) = &h.raw {
        // The full-text index holds together once its segments are merged.
        h.raw.execute("INSERT INTO alert_sightings (alert_sightings) VALUES ('optimize')").await;
        h.raw.execute("INSERT INTO alert_sightings (alert_sightings) VALUES ('integrity-check')").await;
        let seen = h.store.alerts_with_observable(acme, "hostname:ws-1", 10).await.unwrap();
        assert_eq!(seen.len(), 3);
        let seen = h.store.alerts_with_observable(acme, "hostname:ws-2", 10).await.unwrap();
        assert_eq!(seen.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [b.id]);
    }

    // A stale list is refused and indexes nothing.
    let r = h.store.add_alert_observables(&h.ctx(5), &b, &[host("ws-7")]).await;
    assert!(matches!(r, Err(firebreak_store::StoreError::Stale)), "{r:?}");
    assert!(h.store.alerts_with_observable(acme, "hostname:ws-7", 10).await.unwrap().is_empty());

    // The stories are intake's: b stays in its own, c in none.
    let b3 = h.store.get_alert(acme, b.id).await.unwrap().unwrap();
    assert_eq!((b3.group_id, b2.observables.len()), (b.group_id, 2));
    assert_ne!(b3.group_id, a.group_id);
    let c3 = h.store.get_alert(acme, c.id).await.unwrap().unwrap();
    assert_eq!((c3.group_id, c2.observables.len()), (None, 2));
}
