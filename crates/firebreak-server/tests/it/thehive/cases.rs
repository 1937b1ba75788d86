//! TheHive 5 cases and what they hold (`/api/v1/case`).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Client, base, run};
use crate::helpers::{ADMIN_PASSWORD, PASSWORD, TestApp, spawn_app};

/// The audit log's object types and actions for one object.
async fn audited(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let page = app.admin.audit(&format!("?object_id={id}")).await.unwrap();
    page.items.into_iter().map(|e| (e.object_type, e.action)).collect()
}

async fn case_page(app: &TestApp, id: &str) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let jar = crate::web::sign_in(&http, &app.base_url).await;
    let page = http.get(format!("{}/cases/{id}", app.base_url)).header("cookie", &jar).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

// The client blocks this thread while the server answers on the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_2_drives_a_case_through_its_life() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "cases_flow.py", &[]) else { return };
    let case = &out["case"];
    let id = case["_id"].as_str().unwrap();
    assert_eq!(case["_type"], "Case");
    assert_eq!(case["number"], 1);
    assert_eq!(case["severity"], 3);
    assert_eq!(case["stage"], "New");
    assert_eq!(case["status"], "New");
    assert_eq!(case["customFields"][0]["name"], "ticket", "{case}");
    assert_eq!(case["customFields"][0]["value"], "INC-4242");
    assert_eq!(out["got"]["title"], "Ransomware on FILESRV01");
    // The template named by TheHive's `caseTemplate` gave its tasks and category.
    let tags = out["templated"]["tags"].as_array().unwrap();
    assert!(tags.contains(&json!("phishing")), "{}", out["templated"]);

    assert_eq!(out["task"]["status"], "InProgress");
    assert_eq!(out["task_after"]["status"], "Completed");
    assert!(out["task_after"]["endDate"].is_i64());
    assert_eq!(
        out["log"]["attachments"][0]["name"].as_str().map(|n| n.ends_with(".txt")),
        Some(true),
        "{}",
        out["log"]
    );
    assert!(out["log_after"]["message"].as_str().unwrap().contains("FILESRV01"));

    assert_eq!(out["observable"][0]["dataType"], "ip");
    assert_eq!(out["observable"][0]["ioc"], true);
    assert_eq!(out["observable_after"]["message"], "C2 server");
    assert_eq!(out["observable_after"]["tlp"], 3);
    assert_eq!(out["file_observable"][0]["dataType"], "file", "{}", out["file_observable"]);
    assert_eq!(out["many"], 2);

    assert_eq!(out["comment_after"]["message"], "Backups from Saturday are clean");
    assert_eq!(out["comment_after"]["isEdited"], true);
    assert_eq!(out["page"]["category"], "Recovery");
    assert_eq!(out["event"]["title"], "First file encrypted");
    assert_eq!(out["procedure"]["patternId"], "T1059.001");
    assert_eq!(out["procedure"]["tactic"], "execution");
    assert!(out["bad_procedure"].as_str().unwrap().contains("patternId"), "{}", out["bad_procedure"]);
    let events = out["timeline"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["details"]["patternId"] == "T1059.003"), "the procedure changed: {events:?}");
    assert!(
        events.iter().any(|e| e["description"].as_str().is_some_and(|d| d.starts_with("First file encrypted\n\non "))),
        "the event changed: {events:?}"
    );
    assert_eq!(out["task_bulk"]["assignee"], "admin");
    assert_eq!(out["observable_bulk"]["tags"], json!(["bulk"]));

    assert_eq!(out["shares"][0]["owner"], true);
    // Shares are tested in `shares.rs`; an organisation the owner does not work with is unknown.
    assert_eq!(out["share"]["status"], 404, "{}", out["share"]);

    assert_eq!(out["bulk"], json!([3, 3]));
    assert_eq!(out["merged"]["_id"], id);
    assert_eq!(out["other_after"]["stage"], "Closed");
    assert_eq!(out["other_after"]["status"], "Duplicated");

    let closed = &out["closed"];
    assert_eq!(closed["stage"], "Closed", "{closed}");
    assert_eq!(closed["status"], "TruePositive");
    assert_eq!(closed["summary"], "Contained and restored from backup");
    assert!(closed["endDate"].is_i64());
    assert_eq!(out["reopened"]["stage"], "InProgress");
    assert_eq!(out["closed_again"]["status"], "Indeterminate");
    assert_eq!(out["deleted"]["stage"], "Closed");
    assert_eq!(out["missing"], 404);

    // Firebreak's own view: the review waived with its reason, every write
    // audited, the task on the case's page.
    let native: firebreak_types::Case = app.admin.get(&format!("/api/v1/cases/{id}")).await.unwrap();
    assert_eq!(native.review_status, firebreak_types::ReviewStatus::Waived);
    assert!(native.review_waiver_reason.as_deref().is_some_and(|r| r.contains("TheHive")));
    assert_eq!(native.resolution, Some(firebreak_types::Resolution::Indeterminate));
    let trail = audited(&app, id).await;
    assert!(trail.iter().any(|(_, a)| a == "transition"), "{trail:?}");
    for key in ["task", "log", "comment", "page", "event", "procedure"] {
        let oid = out[key]["_id"].as_str().unwrap();
        assert!(!audited(&app, oid).await.is_empty(), "{key} {oid} is not in the audit log");
    }
    let oid = out["observable"][0]["_id"].as_str().unwrap();
    assert!(audited(&app, oid).await.len() >= 2, "the observable's creation and update are audited");
    let html = case_page(&app, id).await;
    assert!(html.contains("Collect the ransom note"), "the task shows on the case's page");
    assert!(html.contains("Isolate FILESRV01 from the network"));
    assert!(html.contains("Backups from Saturday are clean"), "the comment shows on the case's page");
    assert!(html.contains("Restore plan"), "the page shows on the case's page");
}

async fn send(
    app: &TestApp,
    user: (&str, &str),
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req =
        reqwest::Client::new().request(method, format!("{}{path}", base(app))).basic_auth(user.0, Some(user.1));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The same flow without Python: create with a task, close from `New`, and
/// what another organisation sees of it (nothing).
#[tokio::test]
async fn a_case_is_created_closed_and_kept_from_other_organisations() {
    let app = spawn_app().await;
    let admin = ("admin", ADMIN_PASSWORD);
    let (s, case) = send(
        &app,
        admin,
        reqwest::Method::POST,
        "/api/v1/case",
        Some(json!({ "title": "Beacon", "description": "d", "tasks": [{ "title": "Block the domain" }] })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{case}");
    let id = case["_id"].as_str().unwrap().to_owned();
    let (s, tasks) = send(&app, admin, reqwest::Method::GET, &format!("/api/v1/case/{id}/task"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tasks[0]["title"], "Block the domain");
    assert_eq!(tasks[0]["status"], "Waiting");

    let (s, body) =
        send(&app, admin, reqwest::Method::PATCH, &format!("/api/v1/case/{id}"), Some(json!({ "status": "Nonsense" })))
            .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "AttributeCheckingError");
    assert!(body["message"].as_str().unwrap().starts_with("status"), "{body}");

    let (s, _) = send(
        &app,
        admin,
        reqwest::Method::PATCH,
        &format!("/api/v1/case/{id}"),
        Some(json!({ "status": "FalsePositive", "summary": "A scanner" })),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, got) = send(&app, admin, reqwest::Method::GET, &format!("/api/v1/case/{id}"), None).await;
    assert_eq!((got["stage"].as_str(), got["status"].as_str()), (Some("Closed"), Some("FalsePositive")), "{got}");
    // Closing from `new` took the case (it needs an owner to leave `new`).
    assert_eq!(got["assignee"], "admin");

    // A closed case takes nothing more until it is reopened, as on
    // Firebreak's own API; reopening is TheHive's status InProgress.
    let (s, refused) = send(
        &app,
        admin,
        reqwest::Method::POST,
        &format!("/api/v1/case/{id}/comment"),
        Some(json!({ "message": "late" })),
    )
    .await;
    assert_eq!((s, refused["type"].as_str()), (StatusCode::BAD_REQUEST, Some("BadRequest")), "{refused}");
    assert!(refused["message"].as_str().is_some_and(|m| m.contains("closed")), "{refused}");
    let (s, _) = send(
        &app,
        admin,
        reqwest::Method::PATCH,
        &format!("/api/v1/case/{id}"),
        Some(json!({ "status": "InProgress" })),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // What the case holds, each reached by its own id below.
    let mut held = vec![format!("/api/v1/task/{}", tasks[0]["_id"].as_str().unwrap())];
    for (path, body, kind) in [
        ("comment", json!({ "message": "mine" }), "comment"),
        ("observable", json!({ "dataType": "domain", "data": "evil.example" }), "observable"),
        ("procedure", json!({ "patternId": "T1566", "occurDate": 1_700_000_000_000_i64 }), "procedure"),
        ("customEvent", json!({ "title": "seen", "date": 1_700_000_000_000_i64 }), "customEvent"),
    ] {
        let (s, made) =
            send(&app, admin, reqwest::Method::POST, &format!("/api/v1/case/{id}/{path}"), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{path}: {made}");
        let made = if made.is_array() { made[0].clone() } else { made };
        held.push(format!("/api/v1/{kind}/{}", made["_id"].as_str().unwrap()));
    }
    let (_, page) =
        send(&app, admin, reqwest::Method::POST, &format!("/api/v1/case/{id}/page"), Some(json!({ "title": "Notes" })))
            .await;
    held.push(format!("/api/v1/case/{id}/page/{}", page["_id"].as_str().unwrap()));
    let task_id = tasks[0]["_id"].as_str().unwrap();
    let (s, log) = send(
        &app,
        admin,
        reqwest::Method::POST,
        &format!("/api/v1/task/{task_id}/log"),
        Some(json!({ "message": "looked" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{log}");
    held.push(format!("/api/v1/log/{}", log["_id"].as_str().unwrap()));

    let tenant = app.tenant("Other").await;
    let other = ("other-admin", PASSWORD);
    let _ = tenant;
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/case/{id}")),
        (reqwest::Method::PATCH, format!("/api/v1/case/{id}")),
        (reqwest::Method::DELETE, format!("/api/v1/case/{id}")),
        (reqwest::Method::GET, format!("/api/v1/task/{}", tasks[0]["_id"].as_str().unwrap())),
        (reqwest::Method::POST, format!("/api/v1/case/{id}/comment")),
        (reqwest::Method::POST, format!("/api/v1/case/{id}/observable")),
        (reqwest::Method::GET, format!("/api/v1/case/{id}/shares")),
        (reqwest::Method::GET, format!("/api/v1/case/{id}/links")),
    ] {
        let (s, body) = send(&app, other, method.clone(), &path, Some(json!({ "message": "x" }))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["type"], "NotFoundError");
    }
    for path in &held {
        for method in [reqwest::Method::GET, reqwest::Method::PATCH, reqwest::Method::DELETE] {
            let (s, body) = send(&app, other, method.clone(), path, Some(json!({ "message": "x" }))).await;
            assert!(s == StatusCode::NOT_FOUND || s == StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {s} {body}");
        }
        let (s, _) = send(&app, admin, reqwest::Method::GET, path, None).await;
        assert!(s == StatusCode::OK || s == StatusCode::METHOD_NOT_ALLOWED, "{path} is the owner's: {s}");
    }
}
