//! The rest of TheHive 5's paths (`parts.py`): attachments kept as evidence,
//! an alert's comments, procedures, import and similar observables, a
//! template's tasks applied, and the precise refusals.

use serde_json::{Value, json};

use super::{Client, run};
use crate::helpers::{ADMIN_PASSWORD, spawn_app};

fn refused(out: &Value, key: &str, status: u16, kind: &str, says: &str) {
    let e = &out[key];
    assert_eq!(e["status"], status, "{key}: {e}");
    assert_eq!(e["type"], kind, "{key}: {e}");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{key}: {message:?} should say {says:?}");
}

// The client blocks this thread while the server answers on the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_2_reaches_attachments_alert_parts_and_the_refusals() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "parts.py", &[]) else { return };

    // A case's attachments are its evidence: hashed, downloaded whole (each
    // download in the chain of custody), never deleted.
    let attached = out["case_attachments"].as_array().unwrap();
    assert_eq!(attached.len(), 2, "{out}");
    assert_eq!(attached[0]["_type"], "Attachment");
    assert_eq!(attached[0]["name"], "shell.php");
    assert_eq!(attached[0]["hashes"][0], out["sha256"]);
    assert_eq!(out["case_download_same"], true);
    assert_eq!(out["org_download_same"], true);
    assert_eq!(out["org_get"]["name"], "shell.php");
    let case_id = out["imported"]["_id"].as_str().unwrap();
    let evidence_id = attached[0]["_id"].as_str().unwrap();
    let custody: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/cases/{case_id}/evidence/{evidence_id}/custody", app.base_url))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = custody.as_array().unwrap().iter().filter_map(|c| c["action"].as_str()).collect();
    assert_eq!(actions, ["collected", "downloaded", "downloaded"], "{custody}");
    refused(&out, "case_delete", 403, "AuthorizationError", "evidence is never deleted");
    refused(&out, "org_delete", 403, "AuthorizationError", "chain of custody");
    refused(&out, "org_add", 501, "NotSupportedError", "POST /api/v1/case/{id}/attachments");
    refused(&out, "missing", 404, "NotFoundError", "attachment");
    refused(&out, "alert_attachment_delete", 403, "AuthorizationError", "evidence of the case");

    // A log entry lists a file added later, and lets go of it.
    assert_eq!(out["log_after_add"]["attachments"].as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(out["log_after_delete"]["attachments"], json!([]));

    // An alert's comments and ATT&CK techniques (as Sigma's tags).
    assert_eq!(out["comment"]["message"], "Seen from WEB01 too");
    assert_eq!(out["comments"][0]["_id"], out["comment"]["_id"]);
    assert_eq!(out["procedure"]["patternId"], "T1071.001");
    assert_eq!(out["procedure"]["patternName"], "Web Protocols");
    assert_eq!(out["procedures"].as_array().map(Vec::len), Some(2));
    refused(&out, "bad_procedure", 400, "AttributeCheckingError", "patternId");
    let tags = out["alert_tags"].as_array().unwrap();
    assert!(tags.contains(&json!("attack.t1071.001")) && tags.contains(&json!("attack.t1059")), "{tags:?}");
    assert_eq!(tags.iter().filter(|t| *t == "attack.t1071.001").count(), 1);
    let alert_id = out["alert_id"].as_str().unwrap();
    let audit = app.admin.audit(&format!("?object_id={alert_id}")).await.unwrap();
    assert!(audit.items.iter().any(|e| e.action == "amend"), "the techniques are an audited amendment");

    // The observables two alerts, or a case and an alert, share.
    let similar: Vec<&str> =
        out["similar_alerts"].as_array().unwrap().iter().filter_map(|o| o["data"].as_str()).collect();
    assert_eq!(similar, ["203.0.113.9"]);
    let similar: Vec<&str> =
        out["similar_case"].as_array().unwrap().iter().filter_map(|o| o["data"].as_str()).collect();
    assert_eq!(similar, ["203.0.113.9"]);

    // Import is a merge into the case; the alert stays with it.
    assert_eq!(out["imported"]["_type"], "Case");
    refused(&out, "unlink", 400, "BadRequest", "stays with it");
    assert_eq!(out["merged_observables"], json!({"untouched": 1, "updated": 0, "deleted": 0}));

    assert_eq!(out["tasks_added"], json!(["Remove the webshell"]));
    refused(&out, "template_update", 400, "AttributeCheckingError", "updateTags");
    refused(&out, "procedure_gone", 404, "NotFoundError", "");

    refused(&out, "owner", 501, "NotSupportedError", "never leaves its organisation");
    refused(&out, "access", 501, "NotSupportedError", "named users");
    refused(&out, "custom_field", 501, "NotSupportedError", "PATCH /api/v1/case/");
    // An organisation asked to act on a task, then done: audited.
    assert_eq!(out["required_before"], json!({}));
    let org = out["required"].as_object().unwrap();
    assert_eq!(org.values().collect::<Vec<_>>(), [&json!(true)], "{}", out["required"]);
    let done = out["done"].as_object().unwrap();
    assert_eq!(done.keys().collect::<Vec<_>>(), org.keys().collect::<Vec<_>>());
    assert_eq!(done.values().collect::<Vec<_>>(), [&json!(false)]);
    refused(&out, "required_elsewhere", 404, "NotFoundError", "organisation nowhere");
    let audit = app.admin.audit("?object_type=task_action").await.unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.len(), 2, "{actions:?}");
    refused(&out, "cortex", 501, "NotSupportedError", "Cortex");
    refused(&out, "misp", 501, "NotSupportedError", "MISP");
    refused(&out, "export", 501, "NotSupportedError", ".thar");
    refused(&out, "import", 501, "NotSupportedError", ".thar");
    refused(&out, "page_template", 501, "NotSupportedError", "page templates");
    refused(&out, "link_pages", 501, "NotSupportedError", "page templates");
}

#[tokio::test]
async fn another_organisation_finds_none_of_the_attachments_or_alert_parts() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let hive = super::base(&app);
    let case: Value = http
        .post(format!("{hive}/api/v1/case"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&json!({ "title": "Beacon", "description": "d" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case_id = case["_id"].as_str().unwrap();
    let evidence: Value = http
        .post(format!("{}/api/v1/cases/{case_id}/evidence?filename=note.txt", app.base_url))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .body("a note")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let evidence_id = evidence["id"].as_str().unwrap();
    let own = http
        .get(format!("{hive}/api/v1/attachment/{evidence_id}"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);

    app.tenant("Other").await;
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/attachment/{evidence_id}")),
        (reqwest::Method::GET, format!("/api/v1/attachment/{evidence_id}/download")),
        (reqwest::Method::DELETE, format!("/api/v1/attachment/{evidence_id}")),
        (reqwest::Method::GET, format!("/api/v1/case/{case_id}/attachment/{evidence_id}/download")),
        (reqwest::Method::DELETE, format!("/api/v1/case/{case_id}/attachment/{evidence_id}")),
        (reqwest::Method::GET, format!("/api/v1/case/{case_id}/similar/{case_id}/observables")),
        (reqwest::Method::POST, format!("/api/v1/case/{case_id}/observable/_merge")),
        (reqwest::Method::POST, format!("/api/v1/case/{case_id}/owner")),
    ] {
        let res = http
            .request(method.clone(), format!("{hive}{path}"))
            .basic_auth("other-admin", Some(crate::helpers::PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{method} {path}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["type"], "NotFoundError", "{method} {path}: {body}");
    }
}
