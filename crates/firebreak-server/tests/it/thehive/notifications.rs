//! Webhooks in TheHive's format: a notification for each change of what a
//! case or an alert holds, whose `object` is what TheHive's API answers for
//! the same entity.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::base;
use super::identity::receiver;
use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app};

/// A request to the facade as the platform admin: its status and body.
async fn hive(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", base(app)))
        .basic_auth("admin", Some(ADMIN_PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The bodies received so far, as JSON, and forgets them.
fn take(got: &std::sync::Arc<std::sync::Mutex<Vec<String>>>) -> Vec<Value> {
    got.lock().unwrap().drain(..).map(|b| serde_json::from_str(&b).unwrap()).collect()
}

fn only<'a>(ns: &'a [Value], object_type: &str, action: &str) -> &'a Value {
    let found: Vec<&Value> = ns.iter().filter(|n| n["objectType"] == object_type && n["action"] == action).collect();
    assert_eq!(found.len(), 1, "one {object_type} {action} in {ns:#?}");
    found[0]
}

/// What a notification says around its object: who, where, under which root.
fn check_envelope(n: &Value, app: &TestApp, root: &Value) {
    assert_eq!(n["organisationId"], app.root_org.to_string(), "{n}");
    assert!(n["organisation"].as_str().is_some_and(|o| !o.is_empty()), "{n}");
    assert_eq!(n["rootId"], *root, "{n}");
    assert!(n["startDate"].as_i64().is_some_and(|t| t > 0), "{n}");
    assert!(n["requestId"].is_string(), "{n}");
    assert_eq!(n["base"], true);
}

#[tokio::test]
async fn tasks_logs_observables_comments_and_procedures_are_notified_in_thehive_s_shape() {
    let app = spawn_app().await;
    let (url, got) = receiver().await;
    let (native_url, native_got) = receiver().await;
    // TheHive notifies of everything: a webhook in its format naming no
    // event gets these too; one in Firebreak's format gets what it names.
    let _: Value =
        app.admin.post("/api/v1/webhooks", &json!({ "name": "n8n", "url": url, "format": "thehive" })).await.unwrap();
    let _: Value = app
        .admin
        .post("/api/v1/webhooks", &json!({ "name": "itsm", "url": native_url, "events": ["task.updated"] }))
        .await
        .unwrap();

    let (s, case) =
        hive(&app, Method::POST, "/api/v1/case", Some(json!({ "title": "Beaconing", "description": "C2" }))).await;
    assert_eq!(s, 201, "{case}");
    let case_id = case["_id"].as_str().unwrap().to_owned();
    let root = json!(case_id);

    // A task: created, then started.
    let (s, task) =
        hive(&app, Method::POST, &format!("/api/v1/case/{case_id}/task"), Some(json!({ "title": "Isolate" }))).await;
    assert_eq!(s, 201, "{task}");
    let task_id = task["_id"].as_str().unwrap().to_owned();
    let (s, _) =
        hive(&app, Method::PATCH, &format!("/api/v1/task/{task_id}"), Some(json!({ "status": "InProgress" }))).await;
    assert_eq!(s, 204);
    let (_, task_now) = hive(&app, Method::GET, &format!("/api/v1/task/{task_id}"), None).await;

    // Its log.
    let (s, log) =
        hive(&app, Method::POST, &format!("/api/v1/task/{task_id}/log"), Some(json!({ "message": "host isolated" })))
            .await;
    assert_eq!(s, 201, "{log}");

    // An observable: added, marked an IOC, removed.
    let (s, obs) = hive(
        &app,
        Method::POST,
        &format!("/api/v1/case/{case_id}/observable"),
        Some(json!({ "dataType": "ip", "data": "198.51.100.7", "message": "C2 address" })),
    )
    .await;
    assert_eq!(s, 201, "{obs}");
    let obs_id = obs[0]["_id"].as_str().unwrap().to_owned();
    let (s, _) = hive(&app, Method::PATCH, &format!("/api/v1/observable/{obs_id}"), Some(json!({ "ioc": true }))).await;
    assert_eq!(s, 204);
    let (_, obs_now) = hive(&app, Method::GET, &format!("/api/v1/observable/{obs_id}"), None).await;
    let (s, _) = hive(&app, Method::DELETE, &format!("/api/v1/observable/{obs_id}"), None).await;
    assert_eq!(s, 204);

    // A comment and a procedure.
    let (s, comment) = hive(
        &app,
        Method::POST,
        &format!("/api/v1/case/{case_id}/comment"),
        Some(json!({ "message": "seen on two hosts" })),
    )
    .await;
    assert_eq!(s, 201, "{comment}");
    let (s, procedure) = hive(
        &app,
        Method::POST,
        &format!("/api/v1/case/{case_id}/procedure"),
        Some(json!({ "patternId": "T1071", "occurDate": 1_700_000_000_000_i64, "tactic": "command-and-control" })),
    )
    .await;
    assert_eq!(s, 201, "{procedure}");

    firebreak_app::webhooks::deliver_due(&app.state).await.unwrap();
    let ns = take(&got);

    let n = only(&ns, "Case", "create");
    check_envelope(n, &app, &root);

    let n = only(&ns, "Task", "create");
    check_envelope(n, &app, &root);
    assert_eq!(n["operation"], "Creation");
    assert_eq!(n["objectId"], task["_id"]);
    assert_eq!(n["object"], task, "the facade's answer and the notification's object are one shape");
    assert_eq!(n["details"], task);
    assert_eq!(n["context"]["_type"], "Case");
    assert_eq!(n["context"]["_id"], root);

    let n = only(&ns, "Task", "update");
    check_envelope(n, &app, &root);
    assert_eq!(n["operation"], "Update");
    assert_eq!(n["object"], task_now);
    assert_eq!(n["details"]["status"], "InProgress", "the details are what changed: {n}");
    assert!(n["details"].get("title").is_none(), "{n}");

    let n = only(&ns, "Log", "create");
    check_envelope(n, &app, &root);
    assert_eq!(n["object"], log);
    assert_eq!(n["object"]["message"], "host isolated");
    assert_eq!(n["object"]["taskId"], task["_id"]);

    let n = only(&ns, "Observable", "create");
    check_envelope(n, &app, &root);
    assert_eq!(n["object"]["_id"], obs[0]["_id"]);
    assert_eq!(n["object"]["data"], "198.51.100.7");
    assert_eq!(n["object"]["ioc"], false);
    let n = only(&ns, "Observable", "update");
    assert_eq!(n["object"], obs_now);
    assert_eq!(n["details"], json!({ "ioc": true }));
    let n = only(&ns, "Observable", "delete");
    check_envelope(n, &app, &root);
    assert_eq!(n["operation"], "Delete");
    assert_eq!(n["objectId"], obs[0]["_id"]);

    let n = only(&ns, "Comment", "create");
    check_envelope(n, &app, &root);
    assert_eq!(n["object"], comment);
    assert_eq!(n["object"]["message"], "seen on two hosts");

    let n = only(&ns, "Procedure", "create");
    check_envelope(n, &app, &root);
    assert_eq!(n["object"], procedure);
    assert_eq!(n["object"]["patternId"], "T1071");

    // The webhook in Firebreak's format got only the event it named, in its own body.
    let native = take(&native_got);
    assert_eq!(native.len(), 1, "{native:#?}");
    assert_eq!(native[0]["event"], "task.updated");
    assert_eq!(native[0]["case"]["id"], root);
    assert_eq!(native[0]["object"]["status"], "in_progress");
    assert_eq!(native[0]["changed"]["status"], "in_progress");
}

#[tokio::test]
async fn an_observable_added_to_an_alert_is_notified_under_the_alert() {
    let app = spawn_app().await;
    let (url, got) = receiver().await;
    let _: Value = app
        .admin
        .post(
            "/api/v1/webhooks",
            &json!({ "name": "shuffle", "url": url, "format": "thehive", "events": ["observable.created"] }),
        )
        .await
        .unwrap();
    let sent: Value = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "suricata", "source_ref": "flow-1", "type": "ids", "title": "ET MALWARE beacon",
                     "severity": "high" }),
        )
        .await
        .unwrap();
    let alert_id = sent["id"].as_str().unwrap().to_owned();
    let (s, added) = hive(
        &app,
        Method::POST,
        &format!("/api/v1/alert/{alert_id}/observable"),
        Some(json!({ "dataType": "domain", "data": "c2.example.net" })),
    )
    .await;
    assert_eq!(s, 201, "{added}");
    firebreak_app::webhooks::deliver_due(&app.state).await.unwrap();
    let ns = take(&got);
    assert_eq!(ns.len(), 1, "only the event named: {ns:#?}");
    let n = &ns[0];
    check_envelope(n, &app, &json!(alert_id));
    assert_eq!(n["objectType"], "Observable");
    assert_eq!(n["action"], "create");
    assert_eq!(n["object"]["data"], "c2.example.net");
    assert_eq!(n["object"]["dataType"], "domain");
    assert_eq!(n["object"], added[0], "the facade's answer and the notification's object are one shape");
    assert_eq!(n["context"]["_type"], "Alert");
}

#[tokio::test]
async fn a_refused_change_notifies_nothing() {
    // A task refused (its case is closed) leaves no delivery behind.
    let app = spawn_app().await;
    let (url, got) = receiver().await;
    let _: Value =
        app.admin.post("/api/v1/webhooks", &json!({ "name": "n8n", "url": url, "format": "thehive" })).await.unwrap();
    let (_, case) =
        hive(&app, Method::POST, "/api/v1/case", Some(json!({ "title": "Noise", "description": "-" }))).await;
    let case_id = case["_id"].as_str().unwrap().to_owned();
    let (s, closed) = hive(
        &app,
        Method::PATCH,
        &format!("/api/v1/case/{case_id}"),
        Some(json!({ "status": "FalsePositive", "summary": "scanner" })),
    )
    .await;
    assert_eq!(s, 204, "{closed}");
    firebreak_app::webhooks::deliver_due(&app.state).await.unwrap();
    take(&got);
    let (s, _) =
        hive(&app, Method::POST, &format!("/api/v1/case/{case_id}/task"), Some(json!({ "title": "Late" }))).await;
    assert_eq!(s, 400);
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 0);
    assert!(take(&got).is_empty());
}

#[tokio::test]
async fn a_webhook_made_or_disabled_on_this_node_is_seen_by_the_next_intake_batch() {
    let app = spawn_app().await;
    let alert = |n: u32| json!({ "source": "wazuh", "source_ref": format!("r-{n}"), "type": "auth", "title": "sshd", "severity": "low" });
    // No webhook: the list is read once and kept.
    let _: Value = app.admin.post("/api/v1/alerts", &alert(1)).await.unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 0);
    // A webhook made on this node is seen by the next batch.
    let (url, got) = receiver().await;
    let hook: Value = app
        .admin
        .post(
            "/api/v1/webhooks",
            &json!({ "name": "n8n", "url": url, "format": "thehive", "events": ["alert.created"] }),
        )
        .await
        .unwrap();
    let _: Value = app.admin.post("/api/v1/alerts", &alert(2)).await.unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 1);
    assert_eq!(take(&got)[0]["objectType"], "Alert");
    // Disabled: the next batch sends nothing.
    let id = hook["id"].as_str().unwrap();
    let _: Value = app.admin.patch(&format!("/api/v1/webhooks/{id}"), &json!({ "enabled": false })).await.unwrap();
    let _: Value = app.admin.post("/api/v1/alerts", &alert(3)).await.unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 0);
}

#[tokio::test]
async fn a_comment_on_an_alert_is_notified_as_the_query_api_answers_it() {
    let app = spawn_app().await;
    let (url, got) = receiver().await;
    let _: Value = app
        .admin
        .post(
            "/api/v1/webhooks",
            &json!({ "name": "n8n", "url": url, "format": "thehive", "events": ["comment.created"] }),
        )
        .await
        .unwrap();
    let sent: Value = app
        .admin
        .post(
            "/api/v1/alerts",
            &json!({ "source": "edr", "source_ref": "det-9", "type": "malware", "title": "Emotet", "severity": "high" }),
        )
        .await
        .unwrap();
    let alert_id = sent["id"].as_str().unwrap().to_owned();
    let _: Value = app
        .admin
        .post(&format!("/api/v1/alerts/{alert_id}/comments"), &json!({ "body": "known campaign" }))
        .await
        .unwrap();
    let (s, listed) = hive(
        &app,
        Method::POST,
        "/api/v1/query",
        Some(json!({ "query": [{ "_name": "getAlert", "idOrName": alert_id }, { "_name": "comments" }] })),
    )
    .await;
    assert_eq!(s, 200, "{listed}");
    firebreak_app::webhooks::deliver_due(&app.state).await.unwrap();
    let ns = take(&got);
    let n = only(&ns, "Comment", "create");
    check_envelope(n, &app, &json!(alert_id));
    assert_eq!(n["object"]["message"], "known campaign");
    assert_eq!(n["object"], listed[0], "the query API's answer and the notification's object are one shape");
    assert_eq!(n["context"]["_type"], "Alert");
}
