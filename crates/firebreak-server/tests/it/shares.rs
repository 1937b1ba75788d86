//! Cases shared with another organisation: the recipient reaches the shared
//! case alone, within the share's role; everything else of the owner stays a
//! 404; ending the share ends the access at once; bad shares are refused
//! naming the field.

use firebreak_client::Client;
use firebreak_types::{Case, CaseShare, CreateCase, Role, SharedCase};
use serde_json::{Value, json};

use crate::helpers::{code, spawn_app};

fn case(title: &str) -> CreateCase {
    serde_json::from_value(json!({ "title": title })).unwrap()
}

fn field<T: std::fmt::Debug>(r: &Result<T, firebreak_client::ClientError>) -> (String, String) {
    match r {
        Err(e) => {
            let b = e.body().unwrap();
            (b.code.as_str().to_owned(), b.field.clone().unwrap_or_default())
        }
        Ok(v) => (format!("ok: {v:?}"), String::new()),
    }
}

#[tokio::test]
async fn a_shared_case_is_reached_alone_within_the_share_and_revoked_at_once() {
    let app = spawn_app().await;
    // The provider (the platform's organisation) shares one case with its customer.
    let acme = app.tenant("Acme").await;
    let (_, lead) = app.user(&app.admin, "lead", Role::IncidentManager).await;
    let (_, provider_analyst) = app.user(&app.admin, "l2", Role::AnalystL2).await;
    let (_, acme_analyst) = app.user(&acme.admin, "acme-analyst", Role::AnalystL2).await;
    let (_, acme_reader) = app.user(&acme.admin, "acme-reader", Role::Stakeholder).await;
    let shared = lead.create_case(&case("Shared intrusion")).await.unwrap();
    let kept = lead.create_case(&case("Provider's own")).await.unwrap();
    let path = format!("/api/v1/cases/{}/shares", shared.id);

    // Refusals, each naming its field.
    let own = lead.post::<_, CaseShare>(&path, &json!({ "org_id": app.root_org, "role": "analyst_l2" })).await;
    assert_eq!(field(&own), ("invalid_field".into(), "org_id".into()));
    let unknown =
        lead.post::<_, CaseShare>(&path, &json!({ "org_id": uuid::Uuid::now_v7(), "role": "analyst_l2" })).await;
    assert_eq!(field(&unknown), ("not_found".into(), "org_id".into()));
    let admin_role = lead.post::<_, CaseShare>(&path, &json!({ "org_id": acme.org.id, "role": "admin" })).await;
    assert_eq!(field(&admin_role), ("invalid_field".into(), "role".into()));
    let bad_rule = lead
        .post::<_, CaseShare>(&path, &json!({ "org_id": acme.org.id, "role": "analyst_l2", "task_rule": "some" }))
        .await;
    assert_eq!(code(&bad_rule), "invalid_field");
    let by_analyst =
        provider_analyst.post::<_, CaseShare>(&path, &json!({ "org_id": acme.org.id, "role": "analyst_l2" })).await;
    assert_eq!(code(&by_analyst), "forbidden", "sharing is the incident managers' and admins'");

    // Before the share, the customer finds nothing.
    assert_eq!(code(&acme_analyst.get_case(shared.id).await), "not_found");

    let share: CaseShare = lead.post(&path, &json!({ "org_id": acme.org.id, "role": "analyst_l2" })).await.unwrap();
    assert_eq!((share.org_id, share.role, share.org_name.as_str()), (acme.org.id, Role::AnalystL2, "Acme"));
    let again = lead.post::<_, CaseShare>(&path, &json!({ "org_id": acme.org.id, "role": "stakeholder" })).await;
    assert_eq!(code(&again), "conflict");
    let listed: Vec<CaseShare> = lead.get(&path).await.unwrap();
    assert_eq!(listed, vec![share.clone()]);

    // The customer lists it with its owner, reads it and works on it.
    let theirs: Vec<SharedCase> = acme_analyst.get("/api/v1/shared-cases").await.unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!((theirs[0].case.id, theirs[0].owner_org_name.as_str()), (shared.id, "Firebreak"));
    assert_eq!(acme_analyst.get_case(shared.id).await.unwrap().title, "Shared intrusion");
    let obs: Value = acme_analyst
        .post(&format!("/api/v1/cases/{}/observables", shared.id), &json!({ "type": "ip", "value": "203.0.113.9" }))
        .await
        .unwrap();
    assert_eq!(obs["value"], "203.0.113.9");
    let task: Value = acme_analyst
        .post(&format!("/api/v1/cases/{}/tasks", shared.id), &json!({ "title": "Collect firewall logs" }))
        .await
        .unwrap();
    let tasks: Vec<Value> = lead.get(&format!("/api/v1/cases/{}/tasks", shared.id)).await.unwrap();
    assert_eq!(tasks[0]["id"], task["id"], "the owner sees the recipient's work");
    // The recipient sees its own share only, and may not change shares.
    let seen: Vec<CaseShare> = acme_analyst.get(&path).await.unwrap();
    assert_eq!(seen.len(), 1);
    let reshare =
        acme.admin.post::<_, CaseShare>(&path, &json!({ "org_id": app.root_org, "role": "stakeholder" })).await;
    assert_eq!(code(&reshare), "forbidden");
    // A stakeholder of the customer reads, never writes (the lesser role).
    assert!(acme_reader.get_case(shared.id).await.is_ok());
    let write =
        acme_reader.post::<_, Value>(&format!("/api/v1/cases/{}/tasks", shared.id), &json!({ "title": "x" })).await;
    assert_eq!(code(&write), "forbidden");

    // Nothing else of the owner's: every other case, its lists, its alerts, its assets.
    for p in [
        format!("/api/v1/cases/{}", kept.id),
        format!("/api/v1/cases/{}/tasks", kept.id),
        format!("/api/v1/cases/{}/shares", kept.id),
        format!("/api/v1/cases/{}/links", shared.id),
        format!("/api/v1/cases/{}/alerts", shared.id),
        format!("/api/v1/cases/{}/assets", shared.id),
        format!("/api/v1/cases/{}/evidence", shared.id),
    ] {
        let r = acme_analyst.get::<Value>(&p).await;
        assert_eq!(code(&r), "not_found", "{p}");
    }
    let cases: firebreak_types::Page<Case> = acme_analyst.list_cases("?total=true").await.unwrap();
    assert_eq!(cases.total, Some(0), "the customer's own list holds its own cases");
    let other = app.tenant("Other").await;
    assert_eq!(code(&other.admin.get_case(shared.id).await), "not_found", "nor for an organisation not shared with");

    // Narrowed to read-only, then ended: the access follows at once.
    let narrowed: CaseShare =
        lead.patch(&format!("{path}/{}", share.id), &json!({ "role": "stakeholder" })).await.unwrap();
    assert_eq!(narrowed.role, Role::Stakeholder);
    let write =
        acme_analyst.post::<_, Value>(&format!("/api/v1/cases/{}/tasks", shared.id), &json!({ "title": "y" })).await;
    assert_eq!(code(&write), "forbidden");
    lead.delete::<()>(&format!("{path}/{}", share.id)).await.ok();
    assert_eq!(code(&acme_analyst.get_case(shared.id).await), "not_found");
    let theirs: Vec<SharedCase> = acme_analyst.get("/api/v1/shared-cases").await.unwrap();
    assert!(theirs.is_empty());

    // The case's timeline tells the story; the audit log of each side holds it.
    let timeline: Vec<Value> = lead.get(&format!("/api/v1/cases/{}/timeline", shared.id)).await.unwrap();
    let texts: Vec<&str> = timeline.iter().filter_map(|e| e["description"].as_str()).collect();
    assert!(texts.iter().any(|t| t.starts_with("Shared with Acme")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("No longer shared with Acme")), "{texts:?}");
    let audit = acme.admin.audit(&format!("?object_id={}", share.id)).await.unwrap();
    assert_eq!(audit.items.len(), 3, "create, update, delete in the recipient's chain");
}

#[tokio::test]
async fn a_share_with_task_rule_none_lists_no_tasks_to_the_recipient() {
    let app = spawn_app().await;
    let acme = app.tenant("Acme").await;
    let lead: Client = app.admin.clone();
    let c = lead.create_case(&case("Quiet")).await.unwrap();
    let _: Value = lead.post(&format!("/api/v1/cases/{}/tasks", c.id), &json!({ "title": "Internal" })).await.unwrap();
    let _: CaseShare = lead
        .post(
            &format!("/api/v1/cases/{}/shares", c.id),
            &json!({ "org_id": acme.org.id, "role": "stakeholder", "task_rule": "none" }),
        )
        .await
        .unwrap();
    let tasks: Vec<Value> = acme.admin.get(&format!("/api/v1/cases/{}/tasks", c.id)).await.unwrap();
    assert!(tasks.is_empty());
    let obs: Vec<Value> = acme.admin.get(&format!("/api/v1/cases/{}/observables", c.id)).await.unwrap();
    assert!(obs.is_empty(), "no observables yet; the rule is all");
}
