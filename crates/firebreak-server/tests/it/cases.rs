use firebreak_types::{Case, CaseState, Priority, Role, TransitionCase};
use serde_json::json;
use time::Duration;

use crate::helpers::{code, spawn_app};

fn to(state: CaseState, reason: &str) -> TransitionCase {
    TransitionCase { state, reason: reason.into(), merge_into: None }
}

#[tokio::test]
async fn a_case_walks_its_lifecycle_with_guards_and_history() {
    let app = spawn_app().await;
    let (analyst, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let case: Case = l2
        .post(
            "/api/v1/cases",
            &json!({ "title": "Ransomware on FS01", "impact": "high", "urgency": "high", "tags": ["ransomware"] }),
        )
        .await
        .unwrap();
    assert_eq!((case.number, case.state, case.priority), (1, CaseState::New, Priority::P1));

    let r = l2.transition_case(case.id, &to(CaseState::Analysis, "")).await;
    assert_eq!(code(&r), "invalid_state");
    let msg = r.unwrap_err().body().unwrap().message.clone();
    assert!(msg.contains("an assignee") && msg.contains("a severity") && msg.contains("a category"), "{msg}");

    let _: Case = l2
        .patch(
            &format!("/api/v1/cases/{}", case.id),
            &json!({ "assignee_id": analyst.id, "severity": "critical", "category": "malware" }),
        )
        .await
        .unwrap();
    for state in
        [CaseState::Analysis, CaseState::Containment, CaseState::Eradication, CaseState::Recovery, CaseState::Review]
    {
        app.clock.advance(Duration::minutes(10));
        let c = l2.transition_case(case.id, &to(state, "")).await.unwrap();
        assert_eq!(c.state, state);
    }
    // Settling the review, closing and reopening are case management: an incident manager's.
    let (_, manager) = app.user(&app.admin, "manager", Role::IncidentManager).await;
    let r = manager.transition_case(case.id, &to(CaseState::Closed, "")).await;
    let msg = r.unwrap_err().body().unwrap().message.clone();
    assert!(msg.contains("resolution") && msg.contains("summary") && msg.contains("review"), "{msg}");
    let path = format!("/api/v1/cases/{}", case.id);
    let _: Case =
        l2.patch(&path, &json!({ "resolution": "true_positive", "summary": "Contained and restored." })).await.unwrap();
    let r = l2.patch::<_, Case>(&path, &json!({ "review_status": "completed" })).await;
    assert_eq!(code(&r), "forbidden");
    let _: Case = manager.patch(&path, &json!({ "review_status": "completed" })).await.unwrap();
    assert_eq!(code(&l2.transition_case(case.id, &to(CaseState::Closed, "")).await), "forbidden");
    let closed = manager.transition_case(case.id, &to(CaseState::Closed, "")).await.unwrap();
    assert!(closed.closed_at.is_some());
    assert_eq!(
        code(&manager.transition_case(case.id, &to(CaseState::Analysis, "")).await),
        "invalid_state",
        "reopening needs a reason"
    );
    assert_eq!(code(&l2.transition_case(case.id, &to(CaseState::Analysis, "new evidence")).await), "forbidden");
    let reopened = manager.transition_case(case.id, &to(CaseState::Analysis, "new evidence")).await.unwrap();
    assert!(reopened.closed_at.is_none());

    let history = l2.case_history(case.id).await.unwrap();
    let states: Vec<_> = history.iter().map(|t| t.to).collect();
    assert_eq!(states.len(), 7);
    assert_eq!(history[6].reason, "new evidence");
    assert_eq!(history[0].actor_name, "responder");
    assert_eq!(history[1].at - history[0].at, Duration::minutes(10));
    let audit = app.admin.audit(&format!("?object_id={}&action=transition&total=true", case.id)).await.unwrap();
    assert_eq!(audit.total, Some(7));
}

#[tokio::test]
async fn cases_filter_sort_link_and_reject_bad_input() {
    let app = spawn_app().await;
    let mk = |title: &'static str, body: serde_json::Value| {
        let admin = app.admin.clone();
        async move {
            let mut b = body;
            b["title"] = json!(title);
            admin.post::<_, Case>("/api/v1/cases", &b).await.unwrap()
        }
    };
    let a = mk("Phishing wave", json!({ "severity": "high", "tags": ["Mail"], "category": "phishing" })).await;
    let b = mk("Odd login", json!({ "severity": "low", "impact": "low", "urgency": "low" })).await;
    let c = mk("Mail relay abuse", json!({ "tags": ["mail"] })).await;
    assert_eq!(app.admin.list_cases("?tag=mail&total=true").await.unwrap().total, Some(2));
    assert_eq!(app.admin.list_cases("?severity=high").await.unwrap().items[0].id, a.id);
    assert_eq!(app.admin.list_cases("?priority=P4").await.unwrap().items[0].id, b.id);
    assert_eq!(app.admin.list_cases("?q=relay").await.unwrap().items[0].id, c.id);
    let newest_first: Vec<_> = app.admin.list_cases("").await.unwrap().items.iter().map(|c| c.number).collect();
    assert_eq!(newest_first, [3, 2, 1]);
    let by_severity = app.admin.list_cases("?sort=-severity&limit=1").await.unwrap();
    assert_eq!(by_severity.items[0].id, a.id);

    let links: Vec<serde_json::Value> = app
        .admin
        .post(&format!("/api/v1/cases/{}/links", b.id), &json!({ "target_id": a.id, "kind": "parent" }))
        .await
        .unwrap();
    assert_eq!(links[0]["kind"], "parent");
    let from_parent: Vec<serde_json::Value> = app.admin.get(&format!("/api/v1/cases/{}/links", a.id)).await.unwrap();
    assert_eq!(from_parent[0]["kind"], "child");

    for (body, field, status) in [
        (json!({ "title": "" }), "title", 400),
        (json!({ "title": "x", "severity": "apocalyptic" }), "severity", 400),
        (json!({ "title": "x", "category": "aliens" }), "category", 400),
        (json!({ "title": "x", "custom_fields": [1, 2] }), "custom_fields", 400),
        // Well formed, but no such user here: as for an id in the path.
        (json!({ "title": "x", "assignee_id": uuid::Uuid::nil() }), "assignee_id", 404),
    ] {
        let r = app.admin.post::<_, Case>("/api/v1/cases", &body).await;
        let e = r.unwrap_err();
        assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{body}");
        assert_eq!(e.body().unwrap().field.as_deref(), Some(field), "{body}");
    }
    let r = app.admin.transition_case(a.id, &to(CaseState::Merged, "")).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("merge_into"));
}

#[tokio::test]
async fn an_organisation_sets_its_matrix_taxonomy_and_custom_fields() {
    let app = crate::helpers::spawn_app().await;
    let (_, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let mut settings: serde_json::Value = l2.get("/api/v1/case-settings").await.unwrap();
    assert_eq!(settings["categories"][0], "malware");
    // Everything with high impact is P1 here; fraud is a category; a ticket is required.
    settings["priority_matrix"][2] = json!(["P1", "P1", "P1"]);
    settings["categories"].as_array_mut().unwrap().push(json!("fraud"));
    settings["custom_fields"] = json!([
        { "name": "ticket", "label": "ITSM ticket", "kind": "text", "required": true },
        { "name": "region", "kind": "choice", "options": ["eu", "us"] }
    ]);
    assert_eq!(code(&l2.put::<_, serde_json::Value>("/api/v1/case-settings", &settings).await), "forbidden");
    let _: serde_json::Value = app.admin.put("/api/v1/case-settings", &settings).await.unwrap();

    let r = l2.post::<_, Case>("/api/v1/cases", &json!({ "title": "CEO fraud", "category": "fraud" })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("custom_fields.ticket"));
    let r = l2
        .post::<_, Case>(
            "/api/v1/cases",
            &json!({ "title": "x", "custom_fields": { "ticket": "T", "region": "mars" } }),
        )
        .await;
    assert!(r.unwrap_err().body().unwrap().message.contains("one of eu, us"));
    let case: Case = l2
        .post(
            "/api/v1/cases",
            &json!({ "title": "CEO fraud", "category": "fraud", "impact": "high", "urgency": "low",
                     "custom_fields": { "ticket": "INC-77", "region": "eu" } }),
        )
        .await
        .unwrap();
    assert_eq!((case.priority, case.category.as_deref()), (Priority::P1, Some("fraud")));
    let r = l2
        .post::<_, Case>(
            "/api/v1/cases",
            &json!({ "title": "x", "category": "aliens", "custom_fields": { "ticket": "T" } }),
        )
        .await;
    assert!(r.unwrap_err().body().unwrap().message.contains("fraud"));
    settings["custom_fields"][0]["name"] = json!("Bad Name");
    let r = app.admin.put::<_, serde_json::Value>("/api/v1/case-settings", &settings).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("custom_fields[0].name"));
}

/// A clock that moves a millisecond each time it is read: a request that
/// read it twice would show two times.
struct Ticking(std::sync::Mutex<time::OffsetDateTime>);

impl firebreak_domain::clock::Clock for Ticking {
    fn now(&self) -> time::OffsetDateTime {
        let mut t = self.0.lock().unwrap();
        *t += Duration::milliseconds(1);
        *t
    }
}

#[tokio::test]
async fn a_transition_and_everything_it_tells_carry_one_time() {
    let app = spawn_app().await;
    let (analyst, l2) = app.user(&app.admin, "responder", Role::AnalystL2).await;
    let hook: firebreak_types::CreatedWebhook = app
        .admin
        .post(
            "/api/v1/webhooks",
            &json!({ "name": "ITSM", "url": "http://127.0.0.1:9/hook", "events": ["case.transitioned"] }),
        )
        .await
        .unwrap();
    let case: Case = l2
        .post(
            "/api/v1/cases",
            &json!({ "title": "Beaconing from WS-042", "impact": "high", "urgency": "high", "severity": "high",
                     "category": "malware", "assignee_id": analyst.id }),
        )
        .await
        .unwrap();
    // An incident manager moves the case (so that its assignee is told),
    // through the use case itself, on a clock that moves at every read.
    let (key, _) = app.key(&app.admin, "mover", Role::IncidentManager).await;
    let request =
        axum::http::Request::builder().header("authorization", format!("Bearer {}", key.secret)).body(()).unwrap();
    let mut state = app.state.clone();
    state.app = state
        .app
        .with_clock(std::sync::Arc::new(Ticking(std::sync::Mutex::new(case.updated_at + Duration::minutes(5)))));
    let caller = firebreak_server::auth::authenticate(&state, &request.into_parts().0, false).await.unwrap();
    let moved = firebreak_app::cases::transition_case(&state, &caller, case.id, to(CaseState::Analysis, "triaged"))
        .await
        .unwrap();
    let at = moved.updated_at;
    assert!(at > case.updated_at);

    let history = l2.case_history(case.id).await.unwrap();
    assert_eq!(history.last().map(|t| t.at), Some(at), "history");
    let audit: firebreak_types::Page<firebreak_types::AuditEntry> =
        app.admin.get(&format!("/api/v1/audit?object_id={}", case.id)).await.unwrap();
    let entry = audit.items.iter().find(|e| e.action == "transition").unwrap();
    assert_eq!(entry.at, at, "audit entry");
    let timeline: Vec<firebreak_types::TimelineEntry> =
        l2.get(&format!("/api/v1/cases/{}/timeline", case.id)).await.unwrap();
    let line = timeline.iter().find(|e| e.source.as_ref().is_some_and(|s| s.kind == "transition")).unwrap();
    assert_eq!((line.at, line.description.as_str()), (at, "Case #1 moved from new to analysis: triaged"));
    let notes: Vec<firebreak_types::Notification> = l2.get("/api/v1/notifications").await.unwrap();
    let note = notes.iter().find(|n| n.event == "case.transitioned").unwrap();
    assert_eq!(note.at, at, "notification");
    let deliveries: Vec<firebreak_types::Delivery> =
        app.admin.get(&format!("/api/v1/webhooks/{}/deliveries", hook.webhook.id)).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!((deliveries[0].created_at, deliveries[0].next_attempt_at), (at, Some(at)), "delivery");
    let sent_at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
    assert_eq!(deliveries[0].payload["at"], json!(sent_at));
    assert_eq!(deliveries[0].payload["case"]["state"], "analysis");
}

#[tokio::test]
async fn a_closed_case_refuses_writes_through_the_api_until_it_is_reopened() {
    let app = spawn_app().await;
    let t = app.tenant("Closers").await;
    let admin = &t.admin;
    let case: Case = admin
        .post(
            "/api/v1/cases",
            &json!({ "title": "Closed and shut", "assignee_id": t.admin_user.id, "severity": "high", "category": "malware" }),
        )
        .await
        .unwrap();
    let path = format!("/api/v1/cases/{}", case.id);
    let task: serde_json::Value = admin.post(&format!("{path}/tasks"), &json!({ "title": "Look" })).await.unwrap();
    let _: Case = admin.post(&format!("{path}/transition"), &json!({ "state": "analysis" })).await.unwrap();
    let closing = json!({ "resolution": "false_positive", "summary": "Nothing happened",
        "review_status": "waived", "review_waiver_reason": "a false positive" });
    let _: Case = admin.patch(&path, &closing).await.unwrap();
    let _: Case = admin.post(&format!("{path}/transition"), &json!({ "state": "closed" })).await.unwrap();
    let task_path = format!("{path}/tasks/{}", task["id"].as_str().unwrap());
    let writes: Vec<(reqwest::Method, String, serde_json::Value)> = vec![
        (reqwest::Method::PATCH, path.clone(), json!({ "summary": "Changed after closing" })),
        (reqwest::Method::POST, format!("{path}/tasks"), json!({ "title": "Too late" })),
        (reqwest::Method::PATCH, task_path.clone(), json!({ "status": "done" })),
        (reqwest::Method::POST, format!("{task_path}/log"), json!({ "body": "Too late" })),
        (reqwest::Method::POST, format!("{path}/observables"), json!({ "type": "ip", "value": "203.0.113.9" })),
        (
            reqwest::Method::POST,
            format!("{path}/timeline"),
            json!({ "at": "2026-11-02T10:00:00Z", "description": "x" }),
        ),
        (
            reqwest::Method::POST,
            format!("{path}/communications"),
            json!({ "contact": "CISO", "channel": "email", "direction": "outbound", "summary": "x" }),
        ),
        (reqwest::Method::POST, format!("{path}/actions"), json!({ "kind": "patch", "target": "FS01" })),
        (reqwest::Method::POST, format!("{path}/escalations"), json!({ "tier": "L2", "reason": "x" })),
    ];
    for (method, url, body) in &writes {
        let r = admin.request(method.clone(), url).json(body).send().await.unwrap();
        assert_eq!(r.status(), 409, "{method} {url}");
        let err: firebreak_types::ErrorBody = r.json().await.unwrap();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (firebreak_types::ErrorCode::InvalidState, Some("state")),
            "{method} {url}"
        );
        assert!(err.message.contains("is closed") && err.message.contains("reopen"), "{}", err.message);
    }
    // Evidence too: nothing is uploaded, nothing is stored.
    let upload = format!("{path}/evidence?filename=late.txt");
    let r = admin.request(reqwest::Method::POST, &upload).body("late").send().await.unwrap();
    assert_eq!(r.status(), 409);
    let evidence: Vec<serde_json::Value> = admin.get(&format!("{path}/evidence")).await.unwrap();
    assert!(evidence.is_empty());
    // Reading still works; reopening works, and then so do writes.
    let _: Vec<serde_json::Value> = admin.get(&format!("{path}/tasks")).await.unwrap();
    let _: Case = admin
        .post(&format!("{path}/transition"), &json!({ "state": "analysis", "reason": "new evidence" }))
        .await
        .unwrap();
    for (method, url, body) in &writes[1..] {
        let r = admin.request(method.clone(), url).json(body).send().await.unwrap();
        assert!(r.status().is_success(), "{method} {url} after reopening: {}", r.status());
    }
}
