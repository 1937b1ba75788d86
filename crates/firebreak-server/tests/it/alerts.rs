//! Alert intake: one and many, per-item answers, deduplication under
//! concurrency, bad input.

use firebreak_types::{Alert, BulkResult, Page, Role, SentAlert};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{code, spawn_app};

fn alert(n: usize) -> Value {
    json!({
        "source": "wazuh", "source_ref": format!("evt-{n}"), "type": "auth_failure",
        "title": format!("Brute force on host-{n}"), "severity": "high",
        "observables": [ { "type": "ip", "value": "203.0.113[.]9" }, { "type": "hostname", "value": format!("HOST-{n}") },
                         { "type": "ip", "value": "203.0.113.9" } ],
        "raw": { "rule": { "id": 5712 }, "agent": { "name": format!("host-{n}") } }
    })
}

#[tokio::test]
async fn one_alert_then_its_repeat() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let resp = siem.request(Method::POST, "/api/v1/alerts").json(&alert(1)).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let location = resp.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
    // One alert sent on its own is answered with the alert, as stored.
    let first: SentAlert = resp.json().await.unwrap();
    assert_eq!(first.status, firebreak_types::BulkStatus::Created);
    assert_eq!(location, Some(format!("/api/v1/alerts/{}", first.alert.id)));
    assert_eq!((first.alert.title.as_str(), first.alert.occurrences), ("Brute force on host-1", 1));
    app.clock.advance(time::Duration::minutes(5));
    let resp = siem.request(Method::POST, "/api/v1/alerts").json(&alert(1)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let again: SentAlert = resp.json().await.unwrap();
    assert_eq!((again.status.as_str(), again.alert.id, again.alert.occurrences), ("duplicate", first.alert.id, 2));
    let stored: Alert = siem.get(&format!("/api/v1/alerts/{}", first.alert.id)).await.unwrap();
    assert_eq!(stored.occurrences, 2);
    assert_eq!(stored.last_seen - stored.first_seen, time::Duration::minutes(5));
    assert_eq!(stored.observables.len(), 2, "defanged and plain forms collapse: {:?}", stored.observables);
    assert_eq!(stored.raw.to_value()["rule"]["id"], 5712, "the raw event is kept");
    let repeats: Vec<String> = siem.get(&format!("/api/v1/alerts/{}/repeats", first.alert.id)).await.unwrap();
    assert_eq!(repeats.len(), 1);
    let r = siem
        .post::<_, Value>(
            "/api/v1/alerts",
            &json!({ "source": "x", "source_ref": "y", "title": "t", "severity": "apocalyptic" }),
        )
        .await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("severity"));
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    assert_eq!(
        code(&l1.post::<_, Value>("/api/v1/alerts", &alert(2)).await),
        "forbidden",
        "L1 triages, does not ingest"
    );
}

#[tokio::test]
async fn a_bulk_batch_answers_every_item_and_keeps_the_good_ones() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let mut bad_obs = alert(4);
    bad_obs["observables"][0]["value"] = json!("999.1.1.1");
    let mut no_title = alert(5);
    no_title.as_object_mut().unwrap().remove("title");
    let mut huge = alert(6);
    huge["raw"] = json!({ "blob": "x".repeat(300 * 1024) });
    let batch = json!([alert(1), alert(2), alert(1), bad_obs, no_title, huge, { "source": 1 }]);
    let result: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let statuses: Vec<&str> = result.items.iter().map(|i| i.status.as_str()).collect();
    assert_eq!(statuses, ["created", "created", "duplicate", "rejected", "rejected", "rejected", "rejected"]);
    assert_eq!(result.items[2].id, result.items[0].id);
    assert_eq!(result.items[3].field.as_deref(), Some("observables[0].value"));
    assert_eq!(result.items[4].field.as_deref(), Some("title"));
    assert_eq!(result.items[5].field.as_deref(), Some("raw"));
    assert_eq!((result.created, result.duplicates, result.rejected), (2, 1, 4));

    // NDJSON: a line that is not JSON is reported by its index; the rest go in.
    // A raw event nested past the limit is refused by its field; one within
    // it is kept byte for byte, as sent.
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let with_raw = |n: usize, raw: &str| {
        let mut a = alert(n);
        a.as_object_mut().unwrap().remove("raw");
        let mut text = a.to_string();
        text.replace_range(text.len() - 1.., &format!(r#","raw":{raw}}}"#));
        text
    };
    let deep_raw = with_raw(9, &deep);
    let raw_text = r#"{ "b" : 1,  "a": [1, 2.50, "\u00e9"] }"#;
    let kept = with_raw(10, raw_text);
    let ndjson = format!("{}\n{{not json\n{}\n{deep_raw}\n{} trailing\n{kept}\n", alert(7), alert(8), alert(11));
    let resp = siem
        .request(Method::POST, "/api/v1/alerts/_bulk")
        .header("content-type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .await
        .unwrap();
    let result: BulkResult = resp.json().await.unwrap();
    assert_eq!(
        result.items.iter().map(|i| i.status.as_str()).collect::<Vec<_>>(),
        ["created", "rejected", "created", "rejected", "rejected", "created"]
    );
    assert!(result.items[1].reason.as_deref().unwrap().starts_with("not JSON"));
    assert_eq!(result.items[3].field.as_deref(), Some("raw"), "{:?}", result.items[3]);
    assert!(result.items[4].reason.as_deref().unwrap().starts_with("not JSON"), "{:?}", result.items[4]);
    let stored: Alert = siem.get(&format!("/api/v1/alerts/{}", result.items[5].id.unwrap())).await.unwrap();
    assert_eq!(stored.raw.get(), raw_text, "the raw event is kept as sent");

    let bad = siem.request(Method::POST, "/api/v1/alerts/_bulk").body(vec![0xff, 0xfe, b'{']).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let page: Page<Alert> = siem.get("/api/v1/alerts?total=true&state=new").await.unwrap();
    assert_eq!(page.total, Some(5));
}

#[tokio::test]
async fn repeats_sent_concurrently_are_counted_not_duplicated() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let batch: Vec<Value> = (0..50).map(alert).collect();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let siem = siem.clone();
        let batch = batch.clone();
        tasks.push(tokio::spawn(async move {
            let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
            (r.created, r.duplicates)
        }));
    }
    let mut created = 0;
    let mut duplicates = 0;
    for t in tasks {
        let (c, d) = t.await.unwrap();
        created += c;
        duplicates += d;
    }
    assert_eq!((created, duplicates), (50, 350));
    let page: Page<Alert> = siem.get("/api/v1/alerts?total=true&limit=100").await.unwrap();
    assert_eq!(page.total, Some(50));
    assert_eq!(page.items.iter().map(|a| a.occurrences).sum::<i64>(), 400);
}

#[tokio::test]
async fn an_alert_is_taken_closed_or_escalated_into_a_case() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (analyst, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let batch: BulkResult = siem.post("/api/v1/alerts/_bulk", &json!([alert(1), alert(2), alert(3)])).await.unwrap();
    let ids: Vec<_> = batch.items.iter().map(|i| i.id.unwrap()).collect();

    app.clock.advance(time::Duration::minutes(3));
    let taken: Alert = l1.post(&format!("/api/v1/alerts/{}/take", ids[0]), &json!({})).await.unwrap();
    assert_eq!((taken.state, taken.assignee_id), (firebreak_types::AlertState::InTriage, Some(analyst.id)));
    assert_eq!(taken.acknowledged_at.unwrap() - taken.first_seen, time::Duration::minutes(3));

    let r = l1
        .post::<_, Alert>(
            &format!("/api/v1/alerts/{}/close", ids[0]),
            &json!({ "disposition": "false_positive", "reason": " " }),
        )
        .await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("reason"));
    let closed: Alert = l1
        .post(
            &format!("/api/v1/alerts/{}/close", ids[0]),
            &json!({ "disposition": "false_positive", "reason": "the admin's own scanner" }),
        )
        .await
        .unwrap();
    assert_eq!(closed.disposition, Some(firebreak_types::Disposition::FalsePositive));
    let again = l1.post::<_, Alert>(&format!("/api/v1/alerts/{}/take", ids[0]), &json!({})).await;
    assert_eq!(code(&again), "invalid_state");

    // Escalated into a new case: observables and a timeline entry go with it.
    let case: firebreak_types::Case =
        l1.post(&format!("/api/v1/alerts/{}/escalate", ids[1]), &json!({})).await.unwrap();
    assert_eq!(case.title, "Brute force on host-2");
    // Its priority follows the alert: a high alert is urgent, of medium impact on no known asset.
    assert_eq!(
        (case.impact, case.urgency, case.priority),
        (firebreak_types::Level::Medium, firebreak_types::Level::High, firebreak_types::Priority::P2)
    );
    let obs: Vec<firebreak_types::ObservableWithSightings> =
        l1.get(&format!("/api/v1/cases/{}/observables", case.id)).await.unwrap();
    assert_eq!(obs.len(), 2);
    let timeline: Vec<firebreak_types::TimelineEntry> =
        l1.get(&format!("/api/v1/cases/{}/timeline", case.id)).await.unwrap();
    assert!(timeline.iter().any(|t| t.source.as_ref().is_some_and(|s| s.kind == "alert" && s.id == Some(ids[1]))));
    // Merged into that open case: no duplicate observables.
    let same: firebreak_types::Case =
        l1.post(&format!("/api/v1/alerts/{}/escalate", ids[2]), &json!({ "case_id": case.id })).await.unwrap();
    assert_eq!(same.id, case.id);
    let obs: Vec<firebreak_types::ObservableWithSightings> =
        l1.get(&format!("/api/v1/cases/{}/observables", case.id)).await.unwrap();
    assert_eq!(obs.len(), 3, "the shared IP once, each host once");
    let escalated: Alert = l1.get(&format!("/api/v1/alerts/{}", ids[2])).await.unwrap();
    assert_eq!((escalated.state, escalated.case_id), (firebreak_types::AlertState::Escalated, Some(case.id)));
    // The case's alerts, by its id; the shared address was also seen in the closed alert.
    let of_case: Page<Alert> = l1.get(&format!("/api/v1/alerts?case_id={}&total=true", case.id)).await.unwrap();
    assert_eq!(of_case.items.iter().map(|a| a.id).collect::<Vec<_>>(), [ids[2], ids[1]], "newest first");
    assert_eq!(of_case.total, Some(2));
    let none: Page<Alert> = l1.get(&format!("/api/v1/alerts?case_id={}", uuid::Uuid::now_v7())).await.unwrap();
    assert!(none.items.is_empty());
    let ip = obs.iter().find(|o| o.observable.kind == "ip").unwrap();
    assert_eq!(ip.alerts, [ids[0]], "seen in the other alert, not in the case's own");
    let host = obs.iter().find(|o| o.observable.kind == "hostname").unwrap();
    assert!(host.alerts.is_empty(), "each host is only in the case's own alerts");
}

#[tokio::test]
async fn alerts_find_their_assets_and_critical_ones_rise_in_the_queue() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let owner: Value =
        app.admin.post("/api/v1/contacts", &json!({ "name": "Dana DBA", "phone": "+33 1 23" })).await.unwrap();
    let ws: Value = app
        .admin
        .post("/api/v1/assets", &json!({ "kind": "host", "name": "WS-042", "criticality": "critical", "owner": "Payroll", "contacts": [owner["id"]] }))
        .await
        .unwrap();
    let lan: Value = app
        .admin
        .post(
            "/api/v1/assets",
            &json!({ "kind": "ip_range", "name": "Finance LAN", "address": "10.20.0.0/16", "criticality": "high" }),
        )
        .await
        .unwrap();
    let mk = |r: &str, sev: &str, obs: Value| json!({ "source": "edr", "source_ref": r, "title": format!("Alert {r}"), "severity": sev, "observables": obs });
    let batch = json!([
        mk("plain", "low", json!([])),
        mk("on-ws", "medium", json!([{ "type": "hostname", "value": "ws-042.corp.example" }])),
        mk("in-lan", "medium", json!([{ "type": "ip", "value": "10.20.3.4" }])),
    ]);
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let on_ws: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[1].id.unwrap())).await.unwrap();
    assert_eq!(on_ws.assets.len(), 1);
    assert_eq!(on_ws.assets[0].to_string(), ws["id"].as_str().unwrap());
    assert_eq!(on_ws.triage_rank, 4, "medium (2) on a critical asset (+2)");
    let in_lan: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[2].id.unwrap())).await.unwrap();
    assert_eq!(in_lan.assets[0].to_string(), lan["id"].as_str().unwrap());
    assert_eq!(in_lan.triage_rank, 3);
    let shown: Vec<firebreak_types::AssetWithContacts> =
        siem.get(&format!("/api/v1/alerts/{}/assets", on_ws.id)).await.unwrap();
    assert_eq!((shown[0].asset.owner.as_str(), shown[0].contact_details[0].phone.as_str()), ("Payroll", "+33 1 23"));
    let queue: Page<Alert> = siem.get("/api/v1/alerts?sort=-triage_rank").await.unwrap();
    let order: Vec<&str> = queue.items.iter().map(|a| a.source_ref.as_str()).collect();
    assert_eq!(
        order,
        ["on-ws", "in-lan", "plain"],
        "critical asset first, then the high-criticality range, then the rest"
    );
}

#[tokio::test]
async fn five_hundred_false_positives_close_in_one_action() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let noisy: Vec<Value> = (0..500)
        .map(|i| json!({ "source": "noisy-rule", "source_ref": format!("n-{i}"), "title": "Scanner seen", "severity": "low" }))
        .collect();
    let _: BulkResult = siem.post("/api/v1/alerts/_bulk", &noisy).await.unwrap();
    let _: BulkResult = siem.post("/api/v1/alerts/_bulk", &json!([alert(1)])).await.unwrap();
    let r =
        l1.post::<_, Value>("/api/v1/alerts/_close", &json!({ "disposition": "false_positive", "reason": "x" })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("ids"), "a filter or ids is needed");
    let done: firebreak_types::BulkCloseResult = l1
        .post(
            "/api/v1/alerts/_close",
            &json!({ "source": "noisy-rule", "disposition": "false_positive", "reason": "the vulnerability scanner" }),
        )
        .await
        .unwrap();
    assert_eq!((done.closed, done.skipped), (500, 0));
    let open: Page<Alert> = l1.get("/api/v1/alerts?state=new&total=true").await.unwrap();
    assert_eq!(open.total, Some(1), "the other source's alert stays open");
    let closed: Page<Alert> = l1.get("/api/v1/alerts?state=closed&limit=1").await.unwrap();
    assert_eq!(closed.items[0].disposition_reason.as_deref(), Some("the vulnerability scanner"));
}

fn on(r: &str, sev: &str, minutes: i64, obs: Value) -> Value {
    let at = time::OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() + time::Duration::minutes(minutes);
    json!({ "source": "edr", "source_ref": r, "title": format!("Alert {r}"), "severity": sev,
            "event_time": at.format(&time::format_description::well_known::Rfc3339).unwrap(), "observables": obs })
}

#[tokio::test]
async fn alerts_sharing_an_entity_within_the_window_become_one_story() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (_, l2) = app.user(&app.admin, "second-line", Role::AnalystL2).await;
    let host = |h: &str| json!({ "type": "hostname", "value": h });
    let user = |u: &str| json!({ "type": "user_account", "value": u });
    let batch = json!([
        on("phish", "medium", 0, json!([user("CORP\\alice"), { "type": "email", "value": "x@phish.example" }])),
        on("macro", "high", 10, json!([user("alice"), host("ws-7")])),
        on("beacon", "critical", 30, json!([host("WS-7"), { "type": "ip", "value": "203.0.113.50" }])),
        on("lone", "low", 5, json!([host("ws-99")])),
        on("system", "low", 6, json!([user("SYSTEM"), host("ws-98")])),
    ]);
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let ids: Vec<_> = r.items.iter().map(|i| i.id.unwrap()).collect();
    let get = |i: usize| {
        let siem = siem.clone();
        let id = ids[i];
        async move { siem.get::<Alert>(&format!("/api/v1/alerts/{id}")).await.unwrap() }
    };
    let (phish, macro_, beacon, lone) = (get(0).await, get(1).await, get(2).await, get(3).await);
    assert!(phish.group_id.is_some());
    assert_eq!(macro_.group_id, phish.group_id, "alice joins the phish and the macro");
    assert_eq!(beacon.group_id, phish.group_id, "ws-7 joins the macro and the beacon");
    assert_ne!(lone.group_id, phish.group_id);
    // A later batch: the same host within the hour joins; two hours later it does not.
    let r: BulkResult = siem
        .post(
            "/api/v1/alerts/_bulk",
            &json!([on("late", "low", 80, json!([host("ws-7")])), on("later", "low", 300, json!([host("ws-7")]))]),
        )
        .await
        .unwrap();
    let late: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[0].id.unwrap())).await.unwrap();
    let later: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[1].id.unwrap())).await.unwrap();
    assert_eq!(late.group_id, phish.group_id, "50 minutes after the beacon");
    assert_ne!(later.group_id, phish.group_id, "220 minutes after the last alert on ws-7");

    let stories: Page<firebreak_types::AlertGroup> = siem.get("/api/v1/alert-groups?total=true").await.unwrap();
    assert_eq!(stories.total, Some(1), "stories of one alert are not listed: {stories:?}");
    let story = &stories.items[0];
    assert_eq!((story.alert_count, story.severity), (4, firebreak_types::Severity::Critical));
    assert_eq!(story.title, "Alert phish");
    let detail: firebreak_types::AlertGroupDetail =
        siem.get(&format!("/api/v1/alert-groups/{}", story.id)).await.unwrap();
    let order: Vec<&str> = detail.alerts.iter().map(|a| a.source_ref.as_str()).collect();
    assert_eq!(order, ["phish", "macro", "beacon", "late"], "the timeline is in event order");
    let top = &detail.entities[0];
    assert_eq!((top.kind.as_str(), top.value.as_str(), top.alerts), ("hostname", "ws-7", 3));

    // One escalation: one case with every alert, its observables and timeline entries.
    let case: firebreak_types::Case =
        l2.post(&format!("/api/v1/alert-groups/{}/escalate", story.id), &json!({})).await.unwrap();
    assert_eq!(case.title, "Alert beacon", "the most severe alert names the case");
    assert_eq!(case.priority, firebreak_types::Priority::P1, "a critical story makes a P1 case");
    let detail: firebreak_types::AlertGroupDetail =
        siem.get(&format!("/api/v1/alert-groups/{}", story.id)).await.unwrap();
    assert_eq!(detail.group.case_id, Some(case.id));
    assert!(detail.alerts.iter().all(|a| a.case_id == Some(case.id)));
    let obs: Vec<firebreak_types::ObservableWithSightings> =
        l2.get(&format!("/api/v1/cases/{}/observables", case.id)).await.unwrap();
    assert_eq!(obs.len(), 5, "alice as written twice, the mail, ws-7, the IP: {obs:?}");
    let timeline: Vec<firebreak_types::TimelineEntry> =
        l2.get(&format!("/api/v1/cases/{}/timeline", case.id)).await.unwrap();
    assert_eq!(timeline.iter().filter(|t| t.source.as_ref().is_some_and(|s| s.kind == "alert")).count(), 4);
    let again = l2.post::<_, Value>(&format!("/api/v1/alert-groups/{}/escalate", story.id), &json!({})).await;
    assert_eq!(code(&again), "invalid_state");
}

/// The window holds both ways: an alert two years older than a host's
/// story joins it neither when sent after it nor when sent before it.
#[tokio::test]
async fn an_alert_far_older_than_a_story_joins_it_in_neither_order() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let on = |r: &str, at: &str, host: &str| {
        json!({ "source": "r", "source_ref": r, "title": "a", "severity": "low", "event_time": at,
                "observables": [{ "type": "hostname", "value": host }] })
    };
    let (recent, old) = ("2026-05-26T10:00:00Z", "2024-01-01T00:00:00Z");
    for (host, order) in [("h", [recent, old]), ("g", [old, recent])] {
        let mut stories = Vec::new();
        for (n, at) in order.into_iter().enumerate() {
            let sent: SentAlert = siem.post("/api/v1/alerts", &on(&format!("{host}{n}"), at, host)).await.unwrap();
            stories.push(sent.alert.group_id.expect("a host joins a story"));
        }
        assert_ne!(stories[0], stories[1], "{order:?}: two stories");
    }
    let joined: Page<firebreak_types::AlertGroup> = siem.get("/api/v1/alert-groups?total=true").await.unwrap();
    assert_eq!(joined.total, Some(0), "no story holds two alerts: {joined:?}");
}

/// A broadcast or multicast address joins nothing by default; an
/// organisation may have it join again.
#[tokio::test]
async fn shared_addresses_join_no_story_unless_the_organisation_says_so() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let ip = |v: &str| json!([{ "type": "ip", "value": v }]);
    let batch = |tag: &str| {
        json!([
            on(&format!("{tag}-1"), "low", 0, ip("255.255.255.255")),
            on(&format!("{tag}-2"), "low", 1, ip("255.255.255.255")),
            on(&format!("{tag}-3"), "low", 2, ip("239.255.255.250")),
            on(&format!("{tag}-4"), "low", 3, ip("239.255.255.250")),
            on(&format!("{tag}-5"), "low", 4, ip("192.168.1.255")),
            on(&format!("{tag}-6"), "low", 5, ip("192.168.1.255")),
        ])
    };
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch("off")).await.unwrap();
    assert_eq!(r.created, 6);
    for item in &r.items {
        let a: Alert = siem.get(&format!("/api/v1/alerts/{}", item.id.unwrap())).await.unwrap();
        assert_eq!(a.group_id, None, "{:?} joins nothing", a.observables);
    }
    let mut s: firebreak_types::GroupingSettings = app.admin.get("/api/v1/grouping-settings").await.unwrap();
    assert!(!s.join_non_routable);
    s.join_non_routable = true;
    let _: firebreak_types::GroupingSettings = app.admin.put("/api/v1/grouping-settings", &s).await.unwrap();
    siem.post::<_, BulkResult>("/api/v1/alerts/_bulk", &batch("on")).await.unwrap();
    let stories: Page<firebreak_types::AlertGroup> = siem.get("/api/v1/alert-groups?total=true").await.unwrap();
    assert_eq!(stories.total, Some(3), "two alerts on each address: {stories:?}");
}

/// Real Suricata alerts (see `tests/fixtures/real/suricata/README.md`) make
/// small stories: the host in most of a burst stops joining it once it is
/// too common, and a DHCP request from 0.0.0.0 to 255.255.255.255, which
/// names no other address, is in no story.
#[tokio::test]
async fn a_real_capture_makes_small_stories() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real/suricata");
    let mut stored = 0;
    for file in ["first-org-conf-2015.ndjson", "wrccdc-2017.ndjson"] {
        let body = std::fs::read(dir.join(file)).unwrap();
        let resp = siem
            .request(Method::POST, "/api/v1/intake/suricata")
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{file}");
        let r: BulkResult = resp.json().await.unwrap();
        assert_eq!(r.rejected, 0, "{file}: {r:?}");
        stored += r.created;
    }
    assert_eq!(stored, 136 + 161);
    let stories: Page<firebreak_types::AlertGroup> =
        siem.get("/api/v1/alert-groups?min_alerts=2&limit=200&total=true").await.unwrap();
    let mut sizes: Vec<i64> = stories.items.iter().map(|g| g.alert_count).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    eprintln!("{} stories of 2 alerts or more, largest {:?}", sizes.len(), &sizes[..sizes.len().min(5)]);
    assert!(sizes[0] < 50, "no story grows past the share's minimum of 50 alerts: {sizes:?}");
    let dhcp: Page<Alert> = siem.get("/api/v1/alerts?q=DHCP&limit=10").await.unwrap();
    assert_eq!(dhcp.items.len(), 1, "sent twice, stored once");
    assert_eq!(dhcp.items[0].group_id, None, "0.0.0.0 and 255.255.255.255 join nothing");
}

#[tokio::test]
async fn grouping_is_configured_per_organisation() {
    let app = spawn_app().await;
    let defaults: firebreak_types::GroupingSettings = app.admin.get("/api/v1/grouping-settings").await.unwrap();
    assert_eq!(defaults.window_minutes, 60);
    let mut bad = defaults.clone();
    bad.keys.push("colour".into());
    let r = app.admin.put::<_, Value>("/api/v1/grouping-settings", &bad).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("keys[6]"));
    assert_eq!((defaults.join_non_routable, defaults.max_share_percent, defaults.share_min_alerts), (false, 5, 50));
    for (field, bad) in [
        ("max_share_percent", firebreak_types::GroupingSettings { max_share_percent: 101, ..defaults.clone() }),
        ("share_min_alerts", firebreak_types::GroupingSettings { share_min_alerts: 0, ..defaults.clone() }),
    ] {
        let r = app.admin.put::<_, Value>("/api/v1/grouping-settings", &bad).await;
        assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some(field));
    }
    // Settings sent without the newer fields take their defaults.
    let sparse = json!({ "enabled": true, "keys": ["ip"], "window_minutes": 30, "ignore": [] });
    let kept: firebreak_types::GroupingSettings = app.admin.put("/api/v1/grouping-settings", &sparse).await.unwrap();
    assert_eq!((kept.window_minutes, kept.max_share_percent, kept.share_min_alerts), (30, 5, 50));
    let off = firebreak_types::GroupingSettings { enabled: false, ..defaults };
    let _: firebreak_types::GroupingSettings = app.admin.put("/api/v1/grouping-settings", &off).await.unwrap();
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &json!([alert(1), alert(2)])).await.unwrap();
    let a: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[0].id.unwrap())).await.unwrap();
    assert_eq!(a.group_id, None, "grouping is off");
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    assert_eq!(code(&l1.put::<_, Value>("/api/v1/grouping-settings", &off).await), "forbidden");
}

#[tokio::test]
async fn alerts_are_assigned_commented_and_filtered() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (analyst, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let ws: Value = app
        .admin
        .post("/api/v1/assets", &json!({ "kind": "host", "name": "db-01", "criticality": "high" }))
        .await
        .unwrap();
    let mk = |r: &str, rule: &str, tags: Value, obs: Value| {
        json!({ "source": "siem", "source_ref": r, "rule": rule, "title": format!("Alert {r}"), "severity": "low",
                "tags": tags, "observables": obs })
    };
    let r: BulkResult = siem
        .post(
            "/api/v1/alerts/_bulk",
            &json!([
                mk("a", "R-1", json!(["ssh", "brute_force"]), json!([{ "type": "hostname", "value": "db-01" }])),
                mk("b", "R-1", json!(["ssh"]), json!([])),
                mk("c", "R-2", json!(["brute"]), json!([])),
            ]),
        )
        .await
        .unwrap();
    let a = r.items[0].id.unwrap();
    let assigned: Alert =
        app.admin.post(&format!("/api/v1/alerts/{a}/assign"), &json!({ "assignee_id": analyst.id })).await.unwrap();
    assert_eq!((assigned.assignee_id, assigned.state), (Some(analyst.id), firebreak_types::AlertState::New));
    let r2 = app.admin.post::<_, Value>(&format!("/api/v1/alerts/{a}/assign"), &json!({ "assignee_id": a })).await;
    assert_eq!(r2.unwrap_err().body().unwrap().field.as_deref(), Some("assignee_id"));
    let c: firebreak_types::AlertComment =
        l1.post(&format!("/api/v1/alerts/{a}/comments"), &json!({ "body": "Seen this **before**" })).await.unwrap();
    assert_eq!(c.author, "first-line");
    let empty = l1.post::<_, Value>(&format!("/api/v1/alerts/{a}/comments"), &json!({ "body": "  " })).await;
    assert_eq!(empty.unwrap_err().body().unwrap().field.as_deref(), Some("body"));
    let listed: Vec<firebreak_types::AlertComment> = l1.get(&format!("/api/v1/alerts/{a}/comments")).await.unwrap();
    assert_eq!(listed, vec![c]);

    let count = |q: String| {
        let l1 = l1.clone();
        async move { l1.get::<Page<Alert>>(&format!("/api/v1/alerts?total=true&{q}")).await.unwrap().total.unwrap() }
    };
    assert_eq!(count("rule=R-1".into()).await, 2);
    assert_eq!(count(format!("assignee_id={}", analyst.id)).await, 1);
    assert_eq!(count("tag=ssh".into()).await, 2);
    assert_eq!(count("tag=brute".into()).await, 1, "a whole tag, not a part of one");
    assert_eq!(count(format!("asset_id={}", ws["id"].as_str().unwrap())).await, 1);
    // Close every open alert of one rule in one action.
    let done: firebreak_types::BulkCloseResult = l1
        .post("/api/v1/alerts/_close", &json!({ "rule": "R-1", "disposition": "false_positive", "reason": "tuned" }))
        .await
        .unwrap();
    assert_eq!(done.closed, 2);
}

fn fixture(name: &str) -> String {
    let path = format!("{}/../firebreak-domain/tests/fixtures/intake/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[tokio::test]
async fn each_format_is_taken_in_and_a_resend_creates_nothing() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    for (format, file, source) in [
        ("ecs", "ecs.ndjson", "elastic"),
        ("ocsf", "ocsf.ndjson", "ocsf:"),
        ("wazuh", "wazuh-alerts.json", "wazuh"),
        ("suricata", "suricata-eve.json", "suricata"),
    ] {
        let body = fixture(file);
        let lines = body.lines().filter(|l| !l.trim().is_empty()).count();
        let send = || {
            siem.request(Method::POST, &format!("/api/v1/intake/{format}"))
                .header("content-type", "application/x-ndjson")
                .body(body.clone())
                .send()
        };
        let first: BulkResult = send().await.unwrap().json().await.unwrap();
        assert_eq!(first.rejected, 0, "{format}: {:?}", first.items);
        assert!(first.created > 0, "{format}");
        assert_eq!(first.created + first.skipped, lines, "{format}: every line is an alert or skipped");
        let again: BulkResult = send().await.unwrap().json().await.unwrap();
        assert_eq!((again.created, again.duplicates), (0, first.created), "{format}: a resend only repeats");
        let alert: Alert =
            siem.get(&format!("/api/v1/alerts/{}", first.items.iter().find_map(|i| i.id).unwrap())).await.unwrap();
        assert!(alert.source.starts_with(source), "{format}: {}", alert.source);
        assert!(!alert.observables.is_empty(), "{format}: observables from the well-known fields");
        assert!(alert.raw.to_value().is_object(), "{format}: the raw event is kept");
    }
    let r = siem.request(Method::POST, "/api/v1/intake/splunk").body("{}").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["field"], "format");
    // A Wazuh line that cannot be mapped names the Wazuh field.
    let r: BulkResult = siem
        .request(Method::POST, "/api/v1/intake/wazuh")
        .body(r#"{"id": "1.2", "timestamp": "2026-01-01T00:00:00.000+0000", "rule": {"level": 99, "description": "x", "id": "1"}}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r.items[0].field.as_deref(), Some("rule.level"));
}

/// Alerts as their producers write them (`tests/fixtures/real/` of the
/// domain crate, sources in the README beside each file): how many of each
/// are new, repeats and skipped, sent once and again.
#[tokio::test]
async fn intake_takes_real_alerts_of_each_format_as_their_producers_write_them() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    for (format, file, created, skipped) in [
        // Four alerts of three agents and three rules, one alert id.
        ("wazuh", "wazuh/events-generator-alerts.json", 4, 0),
        ("wazuh", "wazuh/security-lake-readme-alerts.json", 3, 0),
        // Okta, GuardDuty, QRadar and Falco findings; Prowler's and Security
        // Hub's passed checks, a vulnerability and a compliance finding skipped.
        ("ocsf", "ocsf/ocsf-examples.ndjson", 4, 4),
        ("ecs", "ecs/kibana-7.16-signals.ndjson", 3, 0),
        ("ecs", "ecs/suricata-eve-alerts.ndjson", 2, 0),
    ] {
        let path = format!("{}/../firebreak-domain/tests/fixtures/real/{file}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let send = || {
            siem.request(Method::POST, &format!("/api/v1/intake/{format}"))
                .header("content-type", "application/x-ndjson")
                .body(body.clone())
                .send()
        };
        let first: BulkResult = send().await.unwrap().json().await.unwrap();
        assert_eq!(
            (first.created, first.duplicates, first.rejected, first.skipped),
            (created, 0, 0, skipped),
            "{file}: {:?}",
            first.items
        );
        let again: BulkResult = send().await.unwrap().json().await.unwrap();
        assert_eq!((again.created, again.duplicates), (0, created), "{file}: a resend only repeats");
    }
}

#[tokio::test]
async fn a_pretty_printed_document_is_read_as_a_document_not_as_lines() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    // An export as people save it: each event pretty-printed, one after another.
    let events: Vec<Value> =
        fixture("wazuh-alerts.json").lines().take(2).map(|l| serde_json::from_str(l).unwrap()).collect();
    let one = serde_json::to_string_pretty(&events[0]).unwrap();
    let two = format!("{one}\n{}\n", serde_json::to_string_pretty(&events[1]).unwrap());
    assert!(one.lines().count() > 10);
    for (body, created) in [(one, 1), (two, 1)] {
        let r: BulkResult = siem
            .request(Method::POST, "/api/v1/intake/wazuh")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!((r.created, r.rejected, r.items.len()), (created, 0, created + r.duplicates), "{:?}", r.items);
    }
    // A document cut short is refused as one, naming the body, and stores nothing.
    let r = siem
        .request(Method::POST, "/api/v1/alerts/_bulk")
        .header("content-type", "application/json")
        .body("{\n  \"source\": \"wazuh\",\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["field"].as_str()), (Some("malformed_json"), Some("body")), "{body}");
}

#[tokio::test]
async fn a_bulk_batch_sent_again_with_its_idempotency_key_is_answered_as_before() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let batch = serde_json::to_vec(&json!([alert(1), alert(2), { "source": "wazuh" }])).unwrap();
    let send = |key: &str, body: Vec<u8>, path: &str| {
        siem.request(Method::POST, path)
            .header("content-type", "application/json")
            .header("Idempotency-Key", key)
            .body(body)
            .send()
    };
    let first = send("batch-0001", batch.clone(), "/api/v1/alerts/_bulk").await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.text().await.unwrap();
    let result: BulkResult = serde_json::from_str(&first).unwrap();
    assert_eq!((result.created, result.rejected), (2, 1), "{first}");

    // The same batch and key: the first answer, nothing stored again.
    let again = send("batch-0001", batch.clone(), "/api/v1/alerts/_bulk").await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.text().await.unwrap(), first);
    for item in &result.items[..2] {
        let a: Alert = siem.get(&format!("/api/v1/alerts/{}", item.id.unwrap())).await.unwrap();
        assert_eq!(a.occurrences, 1);
    }

    // The key with another body is refused, naming the header.
    let other = serde_json::to_vec(&json!([alert(3)])).unwrap();
    let refused = send("batch-0001", other.clone(), "/api/v1/alerts/_bulk").await.unwrap();
    assert_eq!(refused.status(), 422);
    let e: firebreak_types::ErrorBody = refused.json().await.unwrap();
    assert_eq!((e.code.as_str(), e.field.as_deref()), ("idempotency_key_reused", Some("Idempotency-Key")));
    let page: Page<Alert> = siem.get("/api/v1/alerts?source=wazuh&total=true").await.unwrap();
    assert_eq!(page.total, Some(2), "nothing of the refused batch was stored");

    // A key that is not one is refused; without a key, a batch is stored again.
    let bad = send("", batch.clone(), "/api/v1/alerts/_bulk").await.unwrap();
    assert_eq!(bad.status(), 400);
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &json!([alert(1)])).await.unwrap();
    assert_eq!(r.duplicates, 1);

    // The intake formats take keys too.
    let native = serde_json::to_vec(&json!([alert(4)])).unwrap();
    let a = send("native-1", native.clone(), "/api/v1/intake/native").await.unwrap().text().await.unwrap();
    let b = send("native-1", native, "/api/v1/intake/native").await.unwrap().text().await.unwrap();
    assert_eq!(a, b);
    let r: BulkResult = serde_json::from_str(&b).unwrap();
    let stored: Alert = siem.get(&format!("/api/v1/alerts/{}", r.items[0].id.unwrap())).await.unwrap();
    assert_eq!(stored.occurrences, 1);

    // Expired keys are forgotten by the background jobs.
    app.clock.advance(time::Duration::hours(25));
    firebreak_app::jobs::tick(&app.state).await;
    let late = send("batch-0001", other, "/api/v1/alerts/_bulk").await.unwrap();
    assert_eq!(late.status(), 200);
}

#[tokio::test]
async fn thehive_data_types_are_taken_in_and_kept() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let hive = json!({
        "source": "thehive", "source_ref": "hive-1", "title": "Phishing reported", "severity": "medium",
        "observables": [
            { "type": "mail", "value": "payroll@invoices-portal.example" },
            { "type": "mail_subject", "value": "Your salary slip" },
            { "type": "fqdn", "value": "invoices-portal.example" },
            { "type": "hash", "value": "44D88612FEA8A8F36DE82E1278ABB02F" },
            { "type": "registry", "value": "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run" },
            { "type": "user-agent", "value": "Mozilla/5.0 (compatible; MSIE 10.0)" },
            { "type": "autonomous-system", "value": "AS64500" },
            { "type": "uri_path", "value": "/slip.php" },
            { "type": "filename", "value": "slip.pdf.exe" },
        ],
    });
    let sent: SentAlert = siem.post("/api/v1/alerts", &hive).await.unwrap();
    assert_eq!(sent.status, firebreak_types::BulkStatus::Created, "{sent:?}");
    let stored = sent.alert;
    let got: Vec<(&str, &str, Option<&str>)> =
        stored.observables.iter().map(|o| (o.kind.as_str(), o.value.as_str(), o.original_type.as_deref())).collect();
    assert_eq!(
        got,
        [
            ("email", "payroll@invoices-portal.example", Some("mail")),
            ("other", "Your salary slip", Some("mail_subject")),
            ("domain", "invoices-portal.example", Some("fqdn")),
            ("md5", "44d88612fea8a8f36de82e1278abb02f", Some("hash")),
            ("registry_key", "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", Some("registry")),
            ("other", "Mozilla/5.0 (compatible; MSIE 10.0)", Some("user-agent")),
            ("other", "AS64500", Some("autonomous-system")),
            ("other", "/slip.php", Some("uri_path")),
            ("filename", "slip.pdf.exe", None),
        ]
    );
    // A type that is neither Firebreak's nor TheHive's is still refused, by name.
    let mut bad = hive.clone();
    bad["source_ref"] = json!("hive-2");
    bad["observables"] = json!([{ "type": "colour", "value": "red" }]);
    let result: BulkResult = siem.post("/api/v1/alerts/_bulk", &json!([bad])).await.unwrap();
    assert_eq!(result.items[0].field.as_deref(), Some("observables[0].type"), "{result:?}");
}

#[tokio::test]
async fn a_selection_is_taken_assigned_and_escalated_into_one_case() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (l1_user, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let (_, l2) = app.user(&app.admin, "second-line", Role::AnalystL2).await;
    let batch = json!([
        on("a", "medium", 0, json!([])),
        on("b", "critical", 5, json!([])),
        on("c", "low", 10, json!([])),
        on("d", "high", 15, json!([])),
    ]);
    let r: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let ids: Vec<_> = r.items.iter().map(|i| i.id.unwrap()).collect();
    let closed: firebreak_types::BulkCloseResult = l1
        .post("/api/v1/alerts/_close", &json!({ "ids": [ids[2]], "disposition": "duplicate", "reason": "seen" }))
        .await
        .unwrap();
    assert_eq!(closed.closed, 1);

    // Taking three, one of them closed: two taken, one skipped.
    let took: firebreak_types::BulkTriageResult =
        l1.post("/api/v1/alerts/_take", &json!({ "ids": [ids[0], ids[1], ids[2]] })).await.unwrap();
    assert_eq!((took.done, took.skipped), (2, 1));
    let mine: Page<Alert> =
        l1.get(&format!("/api/v1/alerts?open=true&assignee_id={}&total=true", l1_user.id)).await.unwrap();
    assert_eq!(mine.total, Some(2), "taken alerts are the taker's open alerts");

    let gave: firebreak_types::BulkTriageResult =
        l2.post("/api/v1/alerts/_assign", &json!({ "ids": [ids[3]], "assignee_id": l1_user.id })).await.unwrap();
    assert_eq!(gave.done, 1);
    let mine: Page<Alert> =
        l1.get(&format!("/api/v1/alerts?open=true&assignee_id={}&total=true", l1_user.id)).await.unwrap();
    assert_eq!(mine.total, Some(3), "an assigned new alert is open and the assignee's too");

    // Nothing listed, too many, or someone unknown: refused, naming the field.
    let e = l1.post::<_, Value>("/api/v1/alerts/_take", &json!({ "ids": [] })).await.unwrap_err();
    assert_eq!(e.body().unwrap().field.as_deref(), Some("ids"));
    let many: Vec<uuid::Uuid> = (0..1001).map(|_| uuid::Uuid::now_v7()).collect();
    let e = l1.post::<_, Value>("/api/v1/alerts/_take", &json!({ "ids": many })).await.unwrap_err();
    assert_eq!(e.body().unwrap().field.as_deref(), Some("ids"));
    let e = l2
        .post::<_, Value>("/api/v1/alerts/_assign", &json!({ "ids": [ids[0]], "assignee_id": uuid::Uuid::now_v7() }))
        .await
        .unwrap_err();
    assert_eq!(e.body().unwrap().field.as_deref(), Some("assignee_id"));
    // A closed alert cannot join a case.
    let e = l2.post::<_, Value>("/api/v1/alerts/_escalate", &json!({ "ids": [ids[0], ids[2]] })).await.unwrap_err();
    assert_eq!(e.body().unwrap().field.as_deref(), Some("ids"));

    let case: firebreak_types::Case =
        l2.post("/api/v1/alerts/_escalate", &json!({ "ids": [ids[0], ids[1], ids[3]] })).await.unwrap();
    assert_eq!(case.title, "Alert b", "named after the most severe");
    assert_eq!(case.priority.as_str(), "P1", "a critical alert among them");
    for i in [0, 1, 3] {
        let a: Alert = l2.get(&format!("/api/v1/alerts/{}", ids[i])).await.unwrap();
        assert_eq!((a.state.as_str(), a.case_id), ("escalated", Some(case.id)));
    }
    let escalated: Page<Alert> = l2.get("/api/v1/alerts?state=escalated&total=true").await.unwrap();
    assert_eq!(escalated.total, Some(3));
}

#[tokio::test]
async fn the_alert_list_pages_by_cursor() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let sev = ["low", "medium", "high", "critical"];
    let batch: Vec<Value> = (0..45).map(|i| on(&format!("p{i}"), sev[i % 4], i as i64, json!([]))).collect();
    let _: BulkResult = siem.post("/api/v1/alerts/_bulk", &batch).await.unwrap();
    let mut seen = Vec::new();
    let mut url = "/api/v1/alerts?sort=-triage_rank&limit=20".to_owned();
    loop {
        let page: Page<Alert> = siem.get(&url).await.unwrap();
        seen.extend(page.items.iter().map(|a| (a.triage_rank, a.id)));
        let Some(next) = page.next else { break };
        url = format!("/api/v1/alerts?sort=-triage_rank&limit=20&after={next}");
    }
    assert_eq!(seen.len(), 45);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "highest rank first, then newest");
    let r = siem.get::<Page<Alert>>("/api/v1/alerts?after=nonsense").await.unwrap_err();
    assert_eq!(r.body().unwrap().field.as_deref(), Some("after"));
}

#[tokio::test]
async fn observables_are_added_to_an_open_alert_one_of_each_and_audited() {
    let app = spawn_app().await;
    let (_, siem) = app.key(&app.admin, "siem", Role::AnalystL2).await;
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let sent: SentAlert = siem.post("/api/v1/alerts", &alert(1)).await.unwrap();
    let id = sent.alert.id;
    let path = format!("/api/v1/alerts/{id}/observables");

    // Read as intake reads them: the defanged address the alert has already
    // is left out, a TheHive data type is taken and kept.
    let added: Alert = l1
        .post(
            &path,
            &json!({ "observables": [
                { "type": "ip", "value": "203.0.113[.]9" },
                { "type": "domain", "value": "Evil.Example" },
                { "type": "fqdn", "value": "c2.evil.example" },
                { "type": "domain", "value": "evil.example" },
            ] }),
        )
        .await
        .unwrap();
    let seen: Vec<(&str, &str)> = added.observables.iter().map(|o| (o.kind.as_str(), o.value.as_str())).collect();
    assert_eq!(
        seen,
        [("ip", "203.0.113.9"), ("hostname", "host-1"), ("domain", "evil.example"), ("domain", "c2.evil.example")],
    );
    assert_eq!(added.observables[3].original_type.as_deref(), Some("fqdn"));
    let stored: Alert = l1.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(stored.observables, added.observables);
    assert_eq!(stored.raw.to_value()["rule"]["id"], 5712, "the event as sent stays");

    // Nothing new: nothing written.
    let again: Alert =
        l1.post(&path, &json!({ "observables": [{ "type": "domain", "value": "EVIL.example" }] })).await.unwrap();
    assert_eq!(again.observables.len(), 4);
    let entries: Page<firebreak_types::AuditEntry> = app.admin.get("/api/v1/audit?limit=1000").await.unwrap();
    let adds: Vec<_> =
        entries.items.iter().filter(|e| e.object_id == id.to_string() && e.action == "add_observables").collect();
    assert_eq!(adds.len(), 1, "{adds:?}");
    assert_eq!(adds[0].changes["observables"]["added"].as_array().map(Vec::len), Some(2), "{:?}", adds[0].changes);

    // Each refusal names its field or the alert's state.
    let r = l1.post::<_, Alert>(&path, &json!({ "observables": [{ "type": "ip", "value": "not an address" }] })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("observables[0].value"));
    let r = l1.post::<_, Alert>(&path, &json!({ "observables": [{ "type": "colour", "value": "red" }] })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("observables[0].type"));
    let r = l1.post::<_, Alert>(&path, &json!({ "observables": [] })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("observables"));
    l1.post::<_, Alert>(
        &format!("/api/v1/alerts/{id}/close"),
        &json!({ "disposition": "false_positive", "reason": "a scanner we run" }),
    )
    .await
    .unwrap();
    let r = l1.post::<_, Alert>(&path, &json!({ "observables": [{ "type": "ip", "value": "192.0.2.1" }] })).await;
    assert_eq!(code(&r), "invalid_state");
    assert!(r.unwrap_err().to_string().contains("closed"));

    // Another organisation's alert does not exist.
    let acme = app.tenant("Acme").await;
    let r =
        acme.admin.post::<_, Alert>(&path, &json!({ "observables": [{ "type": "ip", "value": "192.0.2.1" }] })).await;
    assert_eq!(code(&r), "not_found");
}
