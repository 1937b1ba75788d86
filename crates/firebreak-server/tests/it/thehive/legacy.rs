//! TheHive 4 paths for legacy senders (`/api/alert`, `/api/case`).

use firebreak_types::{Alert, AlertState};
use serde_json::Value;

use super::{Client, run};
use crate::helpers::spawn_app;

/// Wazuh's public sample alerts (sources and licence in the README beside them).
const WAZUH_SAMPLE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../firebreak-domain/tests/fixtures/real/wazuh/events-generator-alerts.json");

#[tokio::test(flavor = "multi_thread")]
async fn wazuh_s_thehive_integration_sends_alerts_that_are_promoted_and_merged() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V1, &app, "legacy_alerts_wazuh.py", &[("WAZUH_SAMPLE", WAZUH_SAMPLE)]) else {
        return;
    };
    let first = &out["created"][0];
    assert_eq!(first["status"], 201, "{first}");
    let body = &first["body"];
    assert_eq!((&body["_type"], &body["status"]), (&"alert".into(), &"New".into()), "{body}");
    assert_eq!(body["title"], "Integrity checksum changed.");
    assert_eq!(body["type"], "wazuh_alert");
    let artifacts = body["artifacts"].as_array().cloned().unwrap_or_default();
    let has = |dt: &str, data: &str| artifacts.iter().any(|a| a["dataType"] == dt && a["data"] == data);
    assert!(has("ip", "187.54.247.68"), "{artifacts:#?}");
    assert!(has("hash", "896a6493ad8dd456f9a9d919d9c74a5e"), "{artifacts:#?}");
    assert!(
        artifacts.iter().any(|a| a["dataType"] == "file" && a["attachment"]["name"] == "ifcfg-eth1"),
        "{artifacts:#?}"
    );
    assert_eq!(out["created"][1]["status"], 201);

    // A repeat: TheHive's answer, and the occurrence counted.
    assert_eq!(out["repeat"]["status"], 400, "{out}");
    assert_eq!(out["repeat"]["body"]["type"], "CreateError");
    assert_eq!(out["got"]["status"], "Updated", "{}", out["got"]);
    let id = body["id"].as_str().unwrap_or_default();
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(alert.occurrences, 2);
    assert!(alert.raw.get().contains("| rule.id | 550 |"), "the body as sent is the raw event");

    // An update that changes nothing passes; one that retitles is refused.
    assert_eq!(out["same"]["status"], 200, "{out}");
    assert_eq!(out["changed"]["status"], 400);
    assert_eq!(out["changed"]["body"]["type"], "AttributeCheckingError");

    assert_eq!(out["promoted"]["status"], 201, "{out}");
    let case_id = out["promoted"]["body"]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(out["merged"]["status"], 200, "{out}");
    assert_eq!(out["merged"]["body"]["id"], Value::from(case_id.clone()));
    assert_eq!((&out["after"]["status"], &out["after"]["case"]), (&"Imported".into(), &case_id.clone().into()));
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(alert.state, AlertState::Escalated);
    assert_eq!(alert.case_id.map(|c| c.to_string()), Some(case_id));
}
