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
    // The file artifact (`name;mime;base64`) is kept as the alert's attachment.
    let files: Vec<firebreak_types::AlertAttachment> =
        app.admin.get(&format!("/api/v1/alerts/{id}/attachments")).await.unwrap();
    assert_eq!(files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["ifcfg-eth1"], "{files:?}");

    // An update that changes nothing passes; one that retitles is an amendment.
    assert_eq!(out["same"]["status"], 200, "{out}");
    assert_eq!(out["changed"]["status"], 200, "{out}");
    assert_eq!(out["changed"]["body"]["title"], "new title");

    // Read is taken into triage; a triaged alert is not made unread again.
    assert_eq!(out["read"]["status"], 200, "{out}");
    assert_eq!(out["read"]["body"]["read"], true);
    assert_eq!(out["unread"]["status"], 400);
    assert_eq!(out["unread"]["body"]["type"], "BadRequest");

    assert_eq!(out["promoted"]["status"], 201, "{out}");
    let case_id = out["promoted"]["body"]["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(out["merged"]["status"], 200, "{out}");
    assert_eq!(out["merged"]["body"]["id"], Value::from(case_id.clone()));
    assert_eq!((&out["after"]["status"], &out["after"]["case"]), (&"Imported".into(), &case_id.clone().into()));
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(alert.state, AlertState::Escalated);
    assert_eq!(alert.case_id.map(|c| c.to_string()), Some(case_id));
}

/// ElastAlert 2's `HiveAlerter` posts TheHive 4's alert with `requests`, an
/// API key as `Bearer`: artifacts with `message: null`, custom fields by
/// name, `follow` and `status` set by the rule's `hive_alert_config`.
#[tokio::test]
async fn elastalert_s_hive_alerter_body_is_taken_with_an_api_key() {
    let app = spawn_app().await;
    let (key, _) = app.key(&app.admin, "elastalert", firebreak_types::Role::AnalystL3).await;
    let body = serde_json::json!({
        "artifacts": [
            {"tlp": 2, "tags": [], "message": null, "dataType": "ip", "data": "10.0.0.5"},
            {"tlp": 2, "tags": ["user"], "message": "the login", "dataType": "other", "data": "jdoe"},
        ],
        "customFields": {"rule_name": {"order": 0, "string": "Failed logins"}},
        "date": 1_767_225_600_000_i64,
        "description": "```\nuser: jdoe\nsource.ip: 10.0.0.5\n```\n",
        "sourceRef": "3f2a91",
        "tags": ["elastalert", "bruteforce"],
        "title": "Failed logins for jdoe",
        "type": "external",
        "source": "elastalert",
        "severity": 2,
        "tlp": 2,
        "follow": true,
        "status": "New",
    });
    let res = reqwest::Client::new()
        .post(format!("{}/api/alert", super::base(&app)))
        .bearer_auth(&key.secret)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!((&created["_type"], &created["status"]), (&"alert".into(), &"New".into()), "{created}");
    assert_eq!(created["customFields"]["rule_name"]["string"], "Failed logins");
    let id = created["id"].as_str().unwrap_or_default();
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert_eq!(alert.source, "elastalert");
    assert_eq!(alert.custom_fields["rule_name"], "Failed logins");
    let seen: Vec<(&str, &str)> = alert.observables.iter().map(|o| (o.kind.as_str(), o.value.as_str())).collect();
    assert!(seen.contains(&("ip", "10.0.0.5")) && seen.contains(&("other", "jdoe")), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn thehive4py_1_adds_an_artifact_to_an_alert() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V1, &app, "legacy_alerts_artifact.py", &[]) else { return };
    assert_eq!(out["added"]["status"], 201, "{out}");
    assert_eq!(out["added"]["body"][0]["data"], "later.example", "{out}");
    // What the alert has already is not added again.
    assert_eq!(out["again"]["status"], 201, "{out}");
    assert_eq!(out["again"]["body"], serde_json::json!([]), "{out}");
    let id = out["id"].as_str().unwrap_or_default();
    let alert: Alert = app.admin.get(&format!("/api/v1/alerts/{id}")).await.unwrap();
    assert!(alert.observables.iter().any(|o| o.kind == "domain" && o.value == "later.example"), "{alert:?}");
}
