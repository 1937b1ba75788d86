//! TheHive 4's case paths, driven by thehive4py 1.x.

use super::{Client, run};
use crate::helpers::spawn_app;

// The client blocks this thread while the server answers on the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_1_creates_a_case_its_task_logs_and_artifacts() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V1, &app, "legacy_cases_flow.py", &[]) else { return };
    let case = &out["case"];
    assert_eq!(case["status"], "Open", "{case}");
    assert_eq!(case["caseId"], 1);
    assert_eq!(case["id"], case["_id"]);
    assert_eq!(out["task"]["status"], "Waiting");
    assert_eq!(out["log"]["attachment"]["name"].as_str().map(|n| n.ends_with(".log")), Some(true), "{}", out["log"]);
    assert_eq!(out["plain_log"]["message"], "Nothing else in the logs");
    assert_eq!(out["artifact"]["dataType"], "ip", "{}", out["artifact"]);
    assert_eq!(out["artifact"]["data"], "198.51.100.9");
    assert_eq!(out["file_artifact"]["dataType"], "file");
    assert_eq!(out["resolved"]["status"], "Resolved", "{}", out["resolved"]);
    assert_eq!(out["resolved"]["resolutionStatus"], "FalsePositive");
    assert_eq!(out["task_done"]["status"], "Completed");
    // A resolved case is read-only until reopened, as on Firebreak's own API.
    assert_eq!(out["late_task"]["status"], 400, "{}", out["late_task"]);
    assert!(out["late_task"]["body"]["message"].as_str().is_some_and(|m| m.contains("closed")), "{}", out["late_task"]);
    assert_eq!(out["deleted_status"], 204);
    assert_eq!(out["deleted"]["status"], "Deleted", "a deleted case is cancelled and kept");

    let id = case["id"].as_str().unwrap();
    let tasks: Vec<firebreak_types::Task> = app.admin.get(&format!("/api/v1/cases/{id}/tasks")).await.unwrap();
    let titles: Vec<&str> = tasks.iter().map(|t| t.title.as_str()).collect();
    assert!(titles.contains(&"Check the proxy logs") && titles.contains(&"Reimage WS-12"), "{titles:?}");
    let audit = app.admin.audit(&format!("?object_id={}", out["task"]["id"].as_str().unwrap())).await.unwrap();
    assert!(audit.items.len() >= 2, "the task's creation and update are audited");
}
