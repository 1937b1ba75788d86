//! Incident management: roles, communications and update reminders,
//! stakeholder updates, requests, response actions, review and backlog.

use firebreak_app::incident;
use firebreak_domain::clock::Clock;
use firebreak_types::{
    ActionItem, ActionStatus, Case, CaseRequest, CaseRole, CaseState, Communication, Notification, ResponseAction,
    Review, Role, SlaState, TransitionCase, UpdateDraft,
};
use serde_json::{Value, json};
use time::Duration;

use crate::helpers::{PASSWORD, code, spawn_app};

fn to(state: CaseState) -> TransitionCase {
    TransitionCase { state, reason: String::new(), merge_into: None }
}

#[tokio::test]
async fn an_incident_is_managed_from_roles_to_review() {
    let app = spawn_app().await;
    let (lead, l2) = app.user(&app.admin, "lead", Role::AnalystL2).await;
    let (comms_user, _) = app.user(&app.admin, "comms", Role::IncidentManager).await;
    let case: Case = l2
        .post(
            "/api/v1/cases",
            &json!({ "title": "Ransomware in finance", "impact": "high", "urgency": "high", "assignee_id": lead.id,
                     "severity": "critical", "category": "malware", "description": "Files encrypted on FS01." }),
        )
        .await
        .unwrap();
    let base = format!("/api/v1/cases/{}", case.id);

    // Roles: users and named outsiders.
    let _: CaseRole =
        l2.post(&format!("{base}/roles"), &json!({ "role": "lead_responder", "user_id": lead.id })).await.unwrap();
    let _: CaseRole = l2
        .post(&format!("{base}/roles"), &json!({ "role": "communications", "user_id": comms_user.id }))
        .await
        .unwrap();
    let owner: CaseRole =
        l2.post(&format!("{base}/roles"), &json!({ "role": "business_owner", "name": "CFO Jane Doe" })).await.unwrap();
    assert_eq!(owner.name, "CFO Jane Doe");
    let r = l2.post::<_, Value>(&format!("{base}/roles"), &json!({ "role": "scribe" })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("user_id"));
    let r = l2.post::<_, Value>(&format!("{base}/roles"), &json!({ "role": "janitor", "name": "x" })).await;
    assert_eq!(code(&r), "invalid_field");

    // Communications: an update promised in an hour raises a reminder when missed…
    let due = case.created_at + Duration::hours(1);
    let c: Communication = l2
        .post(
            &format!("{base}/communications"),
            &json!({ "contact": "CFO Jane Doe", "channel": "phone", "direction": "outbound",
                     "summary": "Told her finance shares are encrypted", "asked": "Who can approve downtime?",
                     "next_update_due": due.format(&time::format_description::well_known::Rfc3339).unwrap() }),
        )
        .await
        .unwrap();
    assert!(!c.reminded);
    app.clock.advance(Duration::minutes(59));
    assert_eq!(incident::remind_due_updates(&app.state).await.unwrap(), 0);
    app.clock.advance(Duration::minutes(2));
    assert_eq!(incident::remind_due_updates(&app.state).await.unwrap(), 1);
    assert_eq!(incident::remind_due_updates(&app.state).await.unwrap(), 0, "once");
    let comms = app.client("comms", PASSWORD);
    let notes: Vec<Notification> = comms.get("/api/v1/notifications").await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].event, "case.update_due");

    // …but not when a later message to the same contact went out in time.
    let soon = app.clock.now() + Duration::minutes(30);
    let _: Communication = l2
        .post(
            &format!("{base}/communications"),
            &json!({ "contact": "Legal", "channel": "email", "direction": "outbound", "summary": "Heads-up",
                     "next_update_due": soon.format(&time::format_description::well_known::Rfc3339).unwrap() }),
        )
        .await
        .unwrap();
    let _: Communication = l2
        .post(
            &format!("{base}/communications"),
            &json!({ "contact": "legal", "channel": "update", "direction": "outbound", "audience": "executive",
                     "summary": "Status update sent" }),
        )
        .await
        .unwrap();
    app.clock.advance(Duration::hours(1));
    assert_eq!(incident::remind_due_updates(&app.state).await.unwrap(), 0, "answered in time");
    let past = l2
        .post::<_, Value>(
            &format!("{base}/communications"),
            &json!({ "contact": "x", "channel": "email", "direction": "outbound", "summary": "s",
                     "next_update_due": "2020-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(past.unwrap_err().body().unwrap().field.as_deref(), Some("next_update_due"));

    // Requests: of business teams and for detection (the backlog).
    let r = l2
        .post::<_, Value>(&format!("{base}/requests"), &json!({ "kind": "business", "title": "Approve downtime" }))
        .await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("asked_of"));
    let biz: CaseRequest = l2
        .post(
            &format!("{base}/requests"),
            &json!({ "kind": "business", "title": "Approve downtime", "asked_of": "Finance" }),
        )
        .await
        .unwrap();
    let det: CaseRequest = l2
        .post(&format!("{base}/requests"), &json!({ "kind": "detection", "title": "Alert on mass file renames" }))
        .await
        .unwrap();
    let _: CaseRequest = l2.patch(&format!("{base}/requests/{}", biz.id), &json!({ "status": "done" })).await.unwrap();
    let backlog: Vec<CaseRequest> = l2.get("/api/v1/requests?kind=detection&open=true").await.unwrap();
    assert_eq!(backlog.iter().map(|r| r.id).collect::<Vec<_>>(), [det.id]);

    // Response actions: the first containment action done marks the case contained.
    let c = l2.transition_case(case.id, &to(CaseState::Analysis)).await.unwrap();
    let c = l2.transition_case(c.id, &to(CaseState::Containment)).await.unwrap();
    assert!(c.contained_at.is_none());
    let patch: ResponseAction =
        l2.post(&format!("{base}/actions"), &json!({ "kind": "patch", "target": "FS01" })).await.unwrap();
    let isolate: ResponseAction = l2
        .post(&format!("{base}/actions"), &json!({ "kind": "isolate_host", "target": "FS01", "owner_id": lead.id }))
        .await
        .unwrap();
    let _: ResponseAction =
        l2.patch(&format!("{base}/actions/{}", patch.id), &json!({ "status": "done" })).await.unwrap();
    let c: Case = l2.get(&base).await.unwrap();
    assert!(c.contained_at.is_none(), "patching does not contain");
    let _: ResponseAction =
        l2.patch(&format!("{base}/actions/{}", isolate.id), &json!({ "status": "in_progress" })).await.unwrap();
    app.clock.advance(Duration::minutes(5));
    let done: ResponseAction = l2
        .patch(&format!("{base}/actions/{}", isolate.id), &json!({ "status": "done", "note": "EDR isolation" }))
        .await
        .unwrap();
    assert_eq!((done.status, done.started_at.is_some()), (ActionStatus::Done, true));
    let c: Case = l2.get(&base).await.unwrap();
    assert_eq!(c.contained_at, done.done_at);
    assert_eq!(c.sla.unwrap().contain.state, SlaState::Met);

    // A stakeholder update drafted from all this.
    let task: Value = l2.post(&format!("{base}/tasks"), &json!({ "title": "Restore FS01 from backup" })).await.unwrap();
    let _: Value = l2
        .patch(&format!("{base}/tasks/{}", task["id"].as_str().unwrap()), &json!({ "status": "done" }))
        .await
        .unwrap();
    let exec: UpdateDraft =
        l2.get(&format!("{base}/update-draft?audience=executive&utc_offset_minutes=120")).await.unwrap();
    assert!(
        exec.body.contains("isolate host on FS01") && exec.subject.contains("Ransomware in finance"),
        "{}",
        exec.body
    );
    // What was done counts the tasks completed too; times are the reader's, to the minute.
    assert!(exec.body.contains("- Restore FS01 from backup"), "{}", exec.body);
    let due = exec.next_update_due.unwrap().to_offset(time::macros::offset!(+2));
    let shown = format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC+02:00",
        due.year(),
        u8::from(due.month()),
        due.day(),
        due.hour(),
        due.minute()
    );
    assert!(exec.body.contains(&shown), "{shown} in {}", exec.body);
    let tech: UpdateDraft = l2.get(&format!("{base}/update-draft?audience=technical")).await.unwrap();
    assert!(tech.body.contains("Files encrypted on FS01"));
    assert_eq!(code(&l2.get::<UpdateDraft>(&format!("{base}/update-draft?audience=board")).await), "invalid_query");

    // The review: incomplete is refused, complete lets the case close.
    for s in [CaseState::Eradication, CaseState::Recovery, CaseState::Review] {
        l2.transition_case(case.id, &to(s)).await.unwrap();
    }
    let _: Case = l2
        .patch(&base, &json!({ "resolution": "true_positive", "summary": "Contained within the hour." }))
        .await
        .unwrap();
    // Analysts draft the review; completing it, and closing, are an incident manager's.
    let manager = app.client("comms", PASSWORD);
    let r = manager.transition_case(case.id, &to(CaseState::Closed)).await;
    assert!(r.unwrap_err().body().unwrap().message.contains("review"));
    let draft = json!({ "summary": "Phish led to ransomware", "root_cause": "Macro-enabled attachment" });
    assert!(!l2.put::<_, Review>(&format!("{base}/review"), &draft).await.unwrap().completed);
    let r = l2.put::<_, Review>(&format!("{base}/review"), &json!({ "summary": "s", "complete": true })).await;
    assert_eq!(code(&r), "forbidden");
    let r = manager.put::<_, Review>(&format!("{base}/review"), &json!({ "summary": "s", "complete": true })).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("root_cause"));
    let review: Review = manager
        .put(
            &format!("{base}/review"),
            &json!({ "summary": "Phish led to ransomware", "root_cause": "Macro-enabled attachment",
                     "went_well": "Fast isolation", "to_improve": "Block macros from the internet", "complete": true }),
        )
        .await
        .unwrap();
    assert!(review.completed);
    let item: ActionItem = l2
        .post(&format!("{base}/action-items"), &json!({ "title": "Block internet macros by GPO", "owner_id": lead.id }))
        .await
        .unwrap();
    assert_eq!(code(&l2.transition_case(case.id, &to(CaseState::Closed)).await), "forbidden");
    let closed = manager.transition_case(case.id, &to(CaseState::Closed)).await.unwrap();
    assert_eq!(closed.state, CaseState::Closed);
    let backlog: Vec<ActionItem> = l2.get("/api/v1/action-items?open=true").await.unwrap();
    assert_eq!(backlog.iter().map(|i| i.id).collect::<Vec<_>>(), [item.id]);
    let _: ActionItem =
        l2.patch(&format!("{base}/action-items/{}", item.id), &json!({ "status": "done" })).await.unwrap();
    let backlog: Vec<ActionItem> = l2.get("/api/v1/action-items?open=true").await.unwrap();
    assert!(backlog.is_empty());
}
