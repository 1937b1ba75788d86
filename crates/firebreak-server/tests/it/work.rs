//! The work on a case: SLA clocks, escalation, notifications, webhooks,
//! templates and tasks, observables and sightings, the timeline.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use firebreak_app::{jobs, sla, webhooks};
use firebreak_types::{
    AuditEntry, Case, CaseState, CaseTemplate, CreatedWebhook, Delivery, DeliveryStatus, Escalation, Notification,
    ObservableWithSightings, Page, Role, Sighting, SlaState, Task, TaskLog, Team, Tier, TimelineEntry,
};
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{code, spawn_app};

/// A webhook receiver: answers with the queued statuses (then 200) and keeps
/// every request.
#[derive(Clone, Default)]
struct Receiver {
    answers: Arc<Mutex<VecDeque<u16>>>,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    r.got.lock().unwrap().push((headers, body));
    let code = r.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

async fn start_receiver(answers: &[u16]) -> (String, Receiver) {
    let r = Receiver::default();
    r.answers.lock().unwrap().extend(answers.iter().copied());
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, r)
}

#[tokio::test]
async fn sla_clocks_pause_while_waiting_and_the_sweep_raises_each_event_once() {
    let app = spawn_app().await;
    let (manager, _) = app.user(&app.admin, "manager", Role::IncidentManager).await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let (url, receiver) = start_receiver(&[]).await;
    let _: CreatedWebhook = app
        .admin
        .post(
            "/api/v1/webhooks",
            &json!({ "name": "ITSM", "url": url, "events": ["case.sla_at_risk", "case.sla_breached"] }),
        )
        .await
        .unwrap();
    // P1: 15 minutes to acknowledge.
    let case: Case = l2
        .post("/api/v1/cases", &json!({ "title": "Exfiltration", "impact": "high", "urgency": "high" }))
        .await
        .unwrap();
    let sla = case.sla.unwrap();
    assert_eq!((sla.acknowledge.state, sla.acknowledge.target_seconds), (SlaState::Due, 900));

    app.clock.advance(Duration::minutes(12));
    let c: Case = l2.get(&format!("/api/v1/cases/{}", case.id)).await.unwrap();
    assert_eq!(c.sla.unwrap().acknowledge.state, SlaState::AtRisk);
    let raised = sla::sweep(&app.state).await.unwrap();
    assert_eq!(raised.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(), ["acknowledge:at_risk"]);
    assert!(sla::sweep(&app.state).await.unwrap().is_empty(), "raised once");

    // Waiting on the customer: the clock stops to the second.
    let c: Case = l2
        .post(&format!("/api/v1/cases/{}/waiting", case.id), &json!({ "waiting": true, "reason": "customer's hoster" }))
        .await
        .unwrap();
    assert!(c.sla.unwrap().acknowledge.paused);
    app.clock.advance(Duration::hours(2));
    let c: Case = l2.get(&format!("/api/v1/cases/{}", case.id)).await.unwrap();
    let ack = c.sla.unwrap().acknowledge;
    assert_eq!((ack.state, ack.used_seconds, ack.due_at), (SlaState::AtRisk, 720, None));
    let r = l2.post::<_, Case>(&format!("/api/v1/cases/{}/waiting", case.id), &json!({ "waiting": true })).await;
    assert_eq!(code(&r), "invalid_field", "waiting needs a reason");
    let _: Case = l2.post(&format!("/api/v1/cases/{}/waiting", case.id), &json!({ "waiting": false })).await.unwrap();
    app.clock.advance(Duration::minutes(3) + Duration::seconds(1));
    let c: Case = l2.get(&format!("/api/v1/cases/{}", case.id)).await.unwrap();
    let ack = c.sla.unwrap().acknowledge;
    assert_eq!((ack.state, ack.used_seconds), (SlaState::Breached, 901));
    assert_eq!(c.pauses.len(), 1);

    let raised = sla::sweep(&app.state).await.unwrap();
    assert_eq!(raised.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>(), ["acknowledge:breached"]);
    // Audited, notified to the incident manager (the case has no assignee), sent to the webhook.
    let audit: Page<AuditEntry> = app.admin.get(&format!("/api/v1/audit?object_id={}", case.id)).await.unwrap();
    let actions: Vec<_> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"sla_at_risk") && actions.contains(&"sla_breached"), "{actions:?}");
    let mgr = app.client("manager", crate::helpers::PASSWORD);
    let notes: Vec<Notification> = mgr.get("/api/v1/notifications?unread=true").await.unwrap();
    assert_eq!(notes.len(), 2);
    assert!(notes.iter().all(|n| n.user_id == manager.id && n.case_id == Some(case.id)));
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 2);
    let got = receiver.got.lock().unwrap().clone();
    let events: Vec<_> = got.iter().map(|(h, _)| h["x-firebreak-event"].to_str().unwrap().to_owned()).collect();
    assert_eq!(events, ["case.sla_at_risk", "case.sla_breached"]);

    // A custom policy changes the targets; a bad one is refused naming what is wrong.
    let mut policy: Value = app.admin.get("/api/v1/sla-policy").await.unwrap();
    policy["P1"]["acknowledge"] = json!(3600);
    let _: Value = app.admin.put("/api/v1/sla-policy", &policy).await.unwrap();
    let c: Case = l2.get(&format!("/api/v1/cases/{}", case.id)).await.unwrap();
    assert_eq!(c.sla.unwrap().acknowledge.state, SlaState::Due);
    policy["P2"]["contain"] = json!(1);
    let r = app.admin.put::<_, Value>("/api/v1/sla-policy", &policy).await;
    assert!(r.unwrap_err().body().unwrap().message.contains("P2"));
    assert_eq!(code(&l2.put::<_, Value>("/api/v1/sla-policy", &policy).await), "forbidden");
}

#[tokio::test]
async fn webhooks_are_signed_retried_with_backoff_and_logged() {
    let app = spawn_app().await;
    let (url, receiver) = start_receiver(&[500, 503]).await;
    let hook: CreatedWebhook = app
        .admin
        .post("/api/v1/webhooks", &json!({ "name": "Chat", "url": url, "events": ["case.created"] }))
        .await
        .unwrap();
    assert!(hook.secret.len() >= 32, "a generated secret");
    let bad = app.admin.post::<_, Value>("/api/v1/webhooks", &json!({ "name": "x", "url": "ftp://x" })).await;
    assert_eq!(bad.unwrap_err().body().unwrap().field.as_deref(), Some("url"));
    let bad =
        app.admin.post::<_, Value>("/api/v1/webhooks", &json!({ "name": "x", "url": url, "events": ["nope"] })).await;
    assert_eq!(bad.unwrap_err().body().unwrap().field.as_deref(), Some("events"));

    let case: Case = app.admin.post("/api/v1/cases", &json!({ "title": "Webhook me" })).await.unwrap();
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 1, "first attempt: 500");
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 0, "not due before its backoff");
    app.clock.advance(Duration::seconds(30));
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 1, "second attempt: 503");
    app.clock.advance(Duration::seconds(59));
    assert_eq!(webhooks::deliver_due(&app.state).await.unwrap(), 0);
    app.clock.advance(Duration::seconds(1));
    jobs::tick(&app.state).await;
    let log: Vec<Delivery> = app.admin.get(&format!("/api/v1/webhooks/{}/deliveries", hook.webhook.id)).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status, log[0].attempts, log[0].last_status_code), (DeliveryStatus::Delivered, 3, Some(200)));

    let got = receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let (headers, body) = &got[2];
    let ts: i64 = headers["x-firebreak-timestamp"].to_str().unwrap().parse().unwrap();
    let sig = headers["x-firebreak-signature"].to_str().unwrap();
    assert_eq!(sig, webhooks::signature(&hook.secret, ts, body.as_bytes()), "signed with the secret");
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["event"], "case.created");
    assert_eq!(payload["case"]["id"], json!(case.id));

    // The secret never shows again, not even in the audit log.
    let listed: Value = app.admin.get("/api/v1/webhooks").await.unwrap();
    assert!(!listed.to_string().contains(&hook.secret));
    let audit: Value = app.admin.get("/api/v1/audit?object_type=webhook").await.unwrap();
    assert!(!audit.to_string().contains(&hook.secret));

    // A receiver that never answers well: failed after the last attempt.
    let (dead_url, _) = start_receiver(&[500; 10]).await;
    let dead: CreatedWebhook =
        app.admin.post("/api/v1/webhooks", &json!({ "name": "Dead", "url": dead_url })).await.unwrap();
    let _: Case = app.admin.post("/api/v1/cases", &json!({ "title": "Nobody listens" })).await.unwrap();
    for _ in 0..webhooks::MAX_ATTEMPTS {
        webhooks::deliver_due(&app.state).await.unwrap();
        app.clock.advance(Duration::hours(1));
    }
    let log: Vec<Delivery> = app.admin.get(&format!("/api/v1/webhooks/{}/deliveries", dead.webhook.id)).await.unwrap();
    assert_eq!((log[0].status, log[0].attempts), (DeliveryStatus::Failed, webhooks::MAX_ATTEMPTS));
}

#[tokio::test]
async fn escalation_hands_the_case_to_a_tier_or_team_and_tells_them() {
    let app = spawn_app().await;
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let (l2_user, l2) = app.user(&app.admin, "second-line", Role::AnalystL2).await;
    let (l3_user, _) = app.user(&app.admin, "hunter", Role::AnalystL3).await;
    let (url, receiver) = start_receiver(&[]).await;
    let _: CreatedWebhook = app
        .admin
        .post("/api/v1/webhooks", &json!({ "name": "Chat", "url": url, "events": ["case.escalated"] }))
        .await
        .unwrap();
    let case: Case = l1.post("/api/v1/cases", &json!({ "title": "Odd PowerShell" })).await.unwrap();

    let r = l1
        .post::<_, Escalation>(
            &format!("/api/v1/cases/{}/escalations", case.id),
            &json!({ "tier": "L2", "reason": " " }),
        )
        .await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("reason"));
    let e: Escalation = l1
        .post(
            &format!("/api/v1/cases/{}/escalations", case.id),
            &json!({ "tier": "L2", "reason": "beyond the runbook" }),
        )
        .await
        .unwrap();
    assert_eq!((e.from_tier, e.to_tier, e.notified.clone()), (Tier::L1, Tier::L2, vec![l2_user.id]));
    let c: Case = l1.get(&format!("/api/v1/cases/{}", case.id)).await.unwrap();
    assert_eq!(c.tier, Tier::L2);
    let notes: Vec<Notification> = l2.get("/api/v1/notifications").await.unwrap();
    assert_eq!(notes.len(), 1);
    assert!(notes[0].text.contains("beyond the runbook"));
    let read: Notification = l2.post(&format!("/api/v1/notifications/{}/read", notes[0].id), &json!({})).await.unwrap();
    assert!(read.read);
    assert_eq!(
        code(&l1.post::<_, Notification>(&format!("/api/v1/notifications/{}/read", notes[0].id), &json!({})).await),
        "not_found"
    );

    // To a team: its members hear of it.
    let team: Team =
        app.admin.post("/api/v1/teams", &json!({ "name": "Threat hunting", "members": [l3_user.id] })).await.unwrap();
    let e: Escalation = l2
        .post(
            &format!("/api/v1/cases/{}/escalations", case.id),
            &json!({ "tier": "L3", "team_id": team.id, "reason": "needs a hunt" }),
        )
        .await
        .unwrap();
    assert_eq!((e.team_name.as_deref(), e.notified.clone()), (Some("Threat hunting"), vec![l3_user.id]));
    let history: Vec<Escalation> = l1.get(&format!("/api/v1/cases/{}/escalations", case.id)).await.unwrap();
    assert_eq!(history.len(), 2);
    let timeline: Vec<TimelineEntry> = l1.get(&format!("/api/v1/cases/{}/timeline", case.id)).await.unwrap();
    assert_eq!(timeline.iter().filter(|t| t.automatic && t.description.contains("escalated")).count(), 2);
    webhooks::deliver_due(&app.state).await.unwrap();
    assert_eq!(receiver.got.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_case_from_a_template_gets_its_tasks_and_tasks_keep_a_log() {
    let app = spawn_app().await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let templates: Vec<CaseTemplate> = l2.get("/api/v1/templates").await.unwrap();
    let names: Vec<_> = templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Phishing", "Malware on endpoint", "Compromised account", "Data exposure"]);
    let phishing = &templates[0];
    let case: Case = l2
        .post("/api/v1/cases", &json!({ "title": "Invoice lure", "template_id": phishing.id, "tags": ["finance"] }))
        .await
        .unwrap();
    assert_eq!(case.category.as_deref(), Some("phishing"));
    assert_eq!(case.severity, Some(firebreak_types::Severity::Medium));
    assert_eq!(case.tags, ["finance", "phishing", "email"]);
    let tasks: Vec<Task> = l2.get(&format!("/api/v1/cases/{}/tasks", case.id)).await.unwrap();
    assert_eq!(tasks.len(), phishing.tasks.len());
    assert_eq!(tasks[0].phase, CaseState::Analysis);
    assert_eq!(tasks[0].due_at, Some(case.created_at + Duration::hours(1)));

    let done: Task = l2
        .patch(&format!("/api/v1/cases/{}/tasks/{}", case.id, tasks[0].id), &json!({ "status": "done" }))
        .await
        .unwrap();
    assert!(done.done_at.is_some());
    let bad = l2
        .patch::<_, Task>(&format!("/api/v1/cases/{}/tasks/{}", case.id, tasks[0].id), &json!({ "status": "finished" }))
        .await;
    assert_eq!(code(&bad), "invalid_field");
    let log: TaskLog = l2
        .post(
            &format!("/api/v1/cases/{}/tasks/{}/log", case.id, tasks[0].id),
            &json!({ "body": "Saved the **.eml**." }),
        )
        .await
        .unwrap();
    let logs: Vec<TaskLog> = l2.get(&format!("/api/v1/cases/{}/tasks/{}/log", case.id, tasks[0].id)).await.unwrap();
    assert_eq!(logs, [log]);
    let own: Task =
        l2.post(&format!("/api/v1/cases/{}/tasks", case.id), &json!({ "title": "Call the CFO" })).await.unwrap();
    assert_eq!(own.phase, CaseState::New);
    let r = l2.post::<_, Case>("/api/v1/cases", &json!({ "title": "x", "template_id": uuid::Uuid::now_v7() })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("template_id"));
}

#[tokio::test]
async fn observables_are_normalised_and_show_their_sightings() {
    let app = spawn_app().await;
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let first: Case = l1.post("/api/v1/cases", &json!({ "title": "Beaconing" })).await.unwrap();
    let second: Case = l1.post("/api/v1/cases", &json!({ "title": "Phish" })).await.unwrap();
    let path = |c: &Case| format!("/api/v1/cases/{}/observables", c.id);

    let o: ObservableWithSightings =
        l1.post(&path(&first), &json!({ "type": "ip", "value": "203.0.113[.]5", "ioc": true })).await.unwrap();
    assert_eq!((o.observable.value.as_str(), o.observable.ip_class.as_deref()), ("203.0.113.5", Some("documentation")));
    assert!(o.sightings.is_empty());
    app.clock.advance(Duration::hours(1));
    let again: ObservableWithSightings =
        l1.post(&path(&second), &json!({ "type": "ip", "value": "203.0.113.5" })).await.unwrap();
    assert_eq!(again.sightings.len(), 1);
    assert_eq!((again.sightings[0].case_id, again.sightings[0].case_number), (first.id, first.number));
    let listed: Vec<ObservableWithSightings> = l1.get(&path(&first)).await.unwrap();
    assert_eq!(listed[0].sightings[0].case_id, second.id, "seen from either side");
    let found: Vec<Sighting> = l1.get("/api/v1/sightings?type=ip&value=203.0.113.5").await.unwrap();
    assert_eq!(found.len(), 2);

    let dup = l1.post::<_, Value>(&path(&first), &json!({ "type": "ip", "value": "203.0.113.5" })).await;
    assert_eq!(code(&dup), "conflict");
    for (kind, value, words) in [
        ("ip", "999.1.1.1", "IPv4 or IPv6"),
        ("md5", "abc", "32 hexadecimal characters; this has 3"),
        ("sha256", &"a".repeat(63), "64 hexadecimal"),
        ("domain", "not a domain", "letters, digits"),
        ("colour", "red", "one of ip, domain"),
    ] {
        let r = l1.post::<_, Value>(&path(&first), &json!({ "type": kind, "value": value })).await;
        let body = r.unwrap_err().body().unwrap().clone();
        assert!(body.message.contains(words), "{kind} {value}: {}", body.message);
    }
    let url: ObservableWithSightings = l1
        .post(&path(&first), &json!({ "type": "url", "value": "hxxps://Login-Micros0ft[.]example/Reset" }))
        .await
        .unwrap();
    assert_eq!(url.observable.value, "https://login-micros0ft.example/Reset");
}

#[tokio::test]
async fn timeline_entries_carry_attack_tactics_and_state_changes_add_their_own() {
    let app = spawn_app().await;
    let (analyst, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let case: Case = l2.post("/api/v1/cases", &json!({ "title": "Spearphish to payroll" })).await.unwrap();
    let path = format!("/api/v1/cases/{}/timeline", case.id);
    let at = "2026-03-01T08:15:00Z";
    let e: TimelineEntry = l2
        .post(&path, &json!({ "at": at, "description": "Payroll clerk opened the attachment", "technique": "T1566.001", "asset": "ws-042" }))
        .await
        .unwrap();
    assert_eq!((e.tactic.as_deref(), e.technique.as_deref()), (Some("TA0001"), Some("T1566.001")));
    let named: TimelineEntry = l2
        .post(&path, &json!({ "at": at, "description": "Beacon to C2", "tactic": "Command and Control" }))
        .await
        .unwrap();
    assert_eq!(named.tactic.as_deref(), Some("TA0011"));
    let r = l2.post::<_, Value>(&path, &json!({ "at": at, "description": "x", "technique": "T9999" })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("technique"));
    let r = l2
        .post::<_, Value>(&path, &json!({ "at": at, "description": "x", "tactic": "TA0011", "technique": "T1566" }))
        .await;
    assert!(r.unwrap_err().body().unwrap().message.contains("not a technique of the tactic"));

    let _: Case = l2
        .patch(
            &format!("/api/v1/cases/{}", case.id),
            &json!({ "assignee_id": analyst.id, "severity": "high", "category": "phishing" }),
        )
        .await
        .unwrap();
    let c = l2
        .transition_case(
            case.id,
            &firebreak_types::TransitionCase { state: CaseState::Analysis, reason: String::new(), merge_into: None },
        )
        .await
        .unwrap();
    assert!(c.acknowledged_at.is_some());
    let entries: Vec<TimelineEntry> = l2.get(&path).await.unwrap();
    assert_eq!(entries.first().map(|e| e.id), Some(e.id), "oldest first");
    assert!(entries.iter().any(|e| e.automatic && e.description.contains("moved from new to analysis")));
    assert!(entries.iter().any(|e| e.automatic && e.description.contains("declared")));
}

#[tokio::test]
async fn evidence_streams_in_with_its_hash_keeps_custody_and_detects_tampering() {
    use sha2::Digest;
    use tokio::io::AsyncWriteExt;
    // A body limit far below the file: evidence is streamed, not buffered.
    let app = crate::helpers::spawn_app_with(firebreak_server::ServerSettings {
        max_body_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let case: Case = l2.post("/api/v1/cases", &json!({ "title": "Disk image" })).await.unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let expected = hex::encode(sha2::Sha256::digest(&data));
    let url = format!("/api/v1/cases/{}/evidence?filename=C%3A%5Cdumps%5Cmem.raw&collected_from=ws-042", case.id);
    let resp = l2.request(reqwest::Method::POST, &url).body(data.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let e: firebreak_types::Evidence = resp.json().await.unwrap();
    assert_eq!((e.filename.as_str(), e.size, e.sha256.as_str()), ("mem.raw", 3_000_000, expected.as_str()));

    let dl = l2.request(reqwest::Method::GET, &format!("/api/v1/cases/{}/evidence/{}/content", case.id, e.id));
    let bytes = dl.send().await.unwrap().bytes().await.unwrap();
    assert_eq!(bytes.as_ref(), data.as_slice());
    let moved: firebreak_types::CustodyEntry = l2
        .post(
            &format!("/api/v1/cases/{}/evidence/{}/custody", case.id, e.id),
            &json!({ "action": "transferred", "to": "Forensics Ltd", "note": "courier 42" }),
        )
        .await
        .unwrap();
    assert_eq!(moved.to.as_deref(), Some("Forensics Ltd"));
    let bad = l2
        .post::<_, Value>(
            &format!("/api/v1/cases/{}/evidence/{}/custody", case.id, e.id),
            &json!({ "action": "stored" }),
        )
        .await;
    assert_eq!(bad.unwrap_err().body().unwrap().field.as_deref(), Some("location"));
    let v: firebreak_types::EvidenceVerification =
        l2.post(&format!("/api/v1/cases/{}/evidence/{}/verify", case.id, e.id), &json!({})).await.unwrap();
    assert!(v.ok);

    // Tampering on disk is found.
    let path = app.data_dir.join("files").join(case.org_id.to_string()).join(e.id.to_string());
    let mut f = tokio::fs::OpenOptions::new().append(true).open(&path).await.unwrap();
    f.write_all(b"x").await.unwrap();
    drop(f);
    let v: firebreak_types::EvidenceVerification =
        l2.post(&format!("/api/v1/cases/{}/evidence/{}/verify", case.id, e.id), &json!({})).await.unwrap();
    assert!(!v.ok);
    assert_eq!(v.actual_size, Some(3_000_001));
    let chain: Vec<firebreak_types::CustodyEntry> =
        l2.get(&format!("/api/v1/cases/{}/evidence/{}/custody", case.id, e.id)).await.unwrap();
    let actions: Vec<_> = chain.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["collected", "downloaded", "transferred", "verified", "verify_failed"]);

    // An upload cut off mid-stream leaves nothing behind.
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let auth = base64_basic("responder", crate::helpers::PASSWORD);
    let head = format!(
        "POST /api/v1/cases/{}/evidence?filename=cut.bin HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n",
        case.id
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&[7u8; 100_000]).await.unwrap();
    sock.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(sock);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let listed: Vec<firebreak_types::Evidence> = l2.get(&format!("/api/v1/cases/{}/evidence", case.id)).await.unwrap();
    assert_eq!(listed.len(), 1, "the cut-off upload is not recorded");
    let dir = app.data_dir.join("files").join(case.org_id.to_string());
    let names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names, [e.id.to_string()], "no partial file is left");
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Reads the status line's code of the answer to a raw request.
async fn raw_status(sock: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = sock.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    });
    let _ = read.await;
    String::from_utf8_lossy(&answer).split(' ').nth(1).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn uploads_are_held_to_the_file_and_organisation_limits() {
    use tokio::io::AsyncWriteExt;
    let app = crate::helpers::spawn_app_configured(
        Default::default(),
        firebreak_app::AppSettings { max_file_bytes: 100_000, max_org_storage_bytes: 250_000, ..Default::default() },
    )
    .await;
    let (_, l1) = app.user(&app.admin, "triage", Role::AnalystL1).await;
    let case: Case = l1.post("/api/v1/cases", &json!({ "title": "Large files" })).await.unwrap();
    let dir = app.data_dir.join("files").join(case.org_id.to_string());
    let files_left = || -> Vec<String> {
        match std::fs::read_dir(&dir) {
            Ok(d) => d.map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect(),
            Err(_) => Vec::new(),
        }
    };

    // Declared too large: refused before reading, naming the limit.
    let url = format!("/api/v1/cases/{}/evidence?filename=big.bin", case.id);
    let resp = l1.request(reqwest::Method::POST, &url).body(vec![1u8; 150_000]).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large");
    assert!(body["message"].as_str().unwrap().contains("max_file_bytes = 100000"), "{body}");
    assert!(files_left().is_empty(), "{:?}", files_left());

    // Streamed without a length: reading stops at the limit and the partial
    // file is removed.
    let addr = app.base_url.trim_start_matches("http://").to_owned();
    let mut sock = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let auth = base64_basic("triage", crate::helpers::PASSWORD);
    let head = format!(
        "POST /api/v1/cases/{}/evidence?filename=streamed.bin HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        case.id
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..15 {
        let chunk = format!("{:x}\r\n{}\r\n", 10_000, "x".repeat(10_000));
        if sock.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = sock.write_all(b"0\r\n\r\n").await;
    assert_eq!(raw_status(&mut sock).await, "413");
    drop(sock);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(files_left().is_empty(), "no partial file is left: {:?}", files_left());
    let listed: Vec<firebreak_types::Evidence> = l1.get(&format!("/api/v1/cases/{}/evidence", case.id)).await.unwrap();
    assert!(listed.is_empty());

    // Under both limits: stored; evidence and documents count together
    // towards the organisation's total.
    let resp = l1.request(reqwest::Method::POST, &url).body(vec![2u8; 90_000]).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let asset: Value = app.admin.post("/api/v1/assets", &json!({ "kind": "host", "name": "FS-01" })).await.unwrap();
    let doc_url = format!("/api/v1/documents?title=Image&filename=fs.img&asset_id={}", asset["id"].as_str().unwrap());
    let resp = app.admin.request(reqwest::Method::POST, &doc_url).body(vec![3u8; 90_000]).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let resp = l1.request(reqwest::Method::POST, &url).body(vec![4u8; 90_000]).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "storage_limit");
    assert!(body["message"].as_str().unwrap().contains("max_org_storage_bytes = 250000"), "{body}");
    assert_eq!(files_left().len(), 2, "{:?}", files_left());
    let resp = l1.request(reqwest::Method::POST, &url).body(vec![5u8; 60_000]).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
}

/// An alert's attachment escalated into evidence is one file linked twice:
/// the organisation's storage counts it once, and a file uploaded again is
/// linked to the copy already kept rather than counted (and stored) anew.
#[tokio::test]
async fn an_escalated_attachment_counts_once_against_the_storage_limit() {
    let app = crate::helpers::spawn_app_configured(
        Default::default(),
        firebreak_app::AppSettings { max_file_bytes: 0, max_org_storage_bytes: 200_000, ..Default::default() },
    )
    .await;
    let alert: firebreak_types::SentAlert = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "pcap-1", "type": "beacon", "title": "Beacon", "severity": "high" }),
        )
        .await
        .unwrap();
    let id = alert.alert.id;
    let capture: Vec<u8> = (0..90_000u32).map(|i| (i % 251) as u8).collect();
    let mut body =
        b"--B\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"beacon.pcap\"\r\n\r\n".to_vec();
    body.extend_from_slice(&capture);
    body.extend_from_slice(b"\r\n--B--\r\n");
    let res = app
        .admin
        .request(reqwest::Method::POST, &format!("/compat/thehive/api/v1/alert/{id}/attachments"))
        .header("content-type", "multipart/form-data; boundary=B")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // What the organisation uses, as the limit's refusal tells it.
    let spare: Case = app.admin.post("/api/v1/cases", &json!({ "title": "Probe" })).await.unwrap();
    let probe = format!("/api/v1/cases/{}/evidence?filename=probe.bin", spare.id);
    let used = || async {
        let resp = app.admin.request(reqwest::Method::POST, &probe).body(vec![0u8; 199_999]).send().await.unwrap();
        assert_eq!(resp.status(), 413);
        let body: Value = resp.json().await.unwrap();
        let message = body["message"].as_str().unwrap().to_owned();
        let (_, tail) = message.split_once(", ").unwrap();
        tail.split(' ').next().unwrap().parse::<u64>().unwrap()
    };
    assert_eq!(used().await, 90_000);

    let case: Case = app.admin.post(&format!("/api/v1/alerts/{id}/escalate"), &json!({})).await.unwrap();
    let evidence: Vec<firebreak_types::Evidence> =
        app.admin.get(&format!("/api/v1/cases/{}/evidence", case.id)).await.unwrap();
    assert_eq!(evidence.len(), 1);
    assert_eq!(used().await, 90_000, "the escalated attachment is the same bytes, counted once");

    // The capture uploaded again: kept, linked to the copy there is, not
    // counted again.
    let url = format!("/api/v1/cases/{}/evidence?filename=again.pcap", case.id);
    let resp = app.admin.request(reqwest::Method::POST, &url).body(capture.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let again: firebreak_types::Evidence = resp.json().await.unwrap();
    assert_eq!(used().await, 90_000);

    // Room for another 100 000 bytes, which counting the capture twice
    // would refuse.
    let url = format!("/api/v1/cases/{}/evidence?filename=memory.bin", case.id);
    let resp = app.admin.request(reqwest::Method::POST, &url).body(vec![9u8; 100_000]).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    assert_eq!(used().await, 190_000);
    let path = app.data_dir.join("files").join(case.org_id.to_string()).join(again.id.to_string());
    assert_eq!(std::fs::read(&path).unwrap(), capture);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 3, "attachment, escalated evidence, upload");
    }
}
