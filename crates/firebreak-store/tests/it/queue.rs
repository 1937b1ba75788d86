//! The alert queue read a page at a time by keyset: the same rows, in the
//! same order, as by offset, whatever the filters; a bad cursor is refused.

use firebreak_store::{AlertStore, StoreError};
use firebreak_types::{Alert, AlertQuery, AlertState};
use uuid::Uuid;

use crate::harness::Harness;
use crate::suite::org;

/// An alert of `org` with rank `rank`, at 09:00 plus `minute`.
fn ranked(org: Uuid, n: usize, rank: i64, minute: i64) -> Alert {
    let at = time::macros::datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(minute);
    let at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    serde_json::from_value(serde_json::json!({
        "id": Uuid::now_v7(), "org_id": org, "source": if n.is_multiple_of(3) { "wazuh" } else { "edr" },
        "source_ref": format!("r-{n}"), "type": "external",
        "title": format!("alert {n}"), "description": "", "severity": "medium",
        "event_time": at, "tags": [], "tlp": "amber", "pap": "amber", "observables": [],
        "custom_fields": {}, "raw": {}, "state": "new", "occurrences": 1, "first_seen": at, "last_seen": at,
        "triage_rank": rank,
    }))
    .unwrap()
}

async fn every_page(h: &Harness, org: Uuid, q: &AlertQuery) -> Vec<Uuid> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = h.store.list_alerts(org, &AlertQuery { after: after.clone(), ..q.clone() }).await.unwrap();
        out.extend(page.items.iter().map(|a| a.id));
        match page.next {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

pub async fn the_queue_pages_by_keyset_as_by_offset(h: &Harness) {
    let acme = org(h, "acme").await;
    // Ranks 1 to 6, many alerts of each, several batches (ids of a batch
    // share their time).
    for batch in 0..5 {
        let alerts: Vec<Alert> =
            (0..50).map(|i| ranked(acme, batch * 50 + i, ((i * 7 + batch) % 6 + 1) as i64, batch as i64)).collect();
        h.store.ingest_alerts(&h.ctx(batch as i64 + 1), acme, alerts, None).await.unwrap();
    }
    for (sort, filter) in [
        ("-triage_rank", AlertQuery { state: Some(AlertState::New), ..AlertQuery::default() }),
        ("-triage_rank", AlertQuery { source: Some("wazuh".into()), ..AlertQuery::default() }),
        ("first_seen", AlertQuery { open: Some(true), ..AlertQuery::default() }),
        ("-severity", AlertQuery::default()),
    ] {
        let q = AlertQuery { sort: Some(sort.into()), limit: Some(17), total: Some(true), ..filter };
        let by_key = every_page(h, acme, &q).await;
        let all = AlertQuery { limit: Some(1000), offset: None, ..q.clone() };
        let by_offset: Vec<Uuid> = h.store.list_alerts(acme, &all).await.unwrap().items.iter().map(|a| a.id).collect();
        assert_eq!(by_key, by_offset, "{sort}: the same rows in the same order");
        let deep = h.store.list_alerts(acme, &AlertQuery { offset: Some(34), ..q.clone() }).await.unwrap();
        assert_eq!(deep.items.first().map(|a| a.id), by_offset.get(34).copied(), "offset still works");
        let second = h.store.list_alerts(acme, &q).await.unwrap().next;
        let page = h.store.list_alerts(acme, &AlertQuery { after: second, ..q.clone() }).await.unwrap();
        assert_eq!(page.total, Some(by_offset.len() as u64), "the total counts every match, not those after");
    }
    assert_eq!(every_page(h, acme, &AlertQuery { limit: Some(50), ..AlertQuery::default() }).await.len(), 250);

    for (after, sort) in [("x", "-triage_rank"), ("3:nope", "-triage_rank"), ("3:0193", "title")] {
        let q = AlertQuery { after: Some(after.into()), sort: Some(sort.into()), ..AlertQuery::default() };
        let e = h.store.list_alerts(acme, &q).await.unwrap_err();
        assert!(matches!(&e, StoreError::BadQuery { param, .. } if param == "after"), "{after}: {e:?}");
    }
    let both = AlertQuery { after: Some(format!("3:{}", Uuid::nil())), offset: Some(5), ..AlertQuery::default() };
    assert!(matches!(h.store.list_alerts(acme, &both).await, Err(StoreError::BadQuery { .. })));
}
