//! The API fuzzed from its own OpenAPI document: schemathesis sends requests
//! that keep to the document and requests that break it, and checks every
//! answer against it (no 5xx, no status or body the document does not
//! describe, valid requests accepted, invalid ones refused). What it checks,
//! and where it cannot, is in `tests/schemathesis.toml`.

use std::process::Command;

use serde_json::{Value, json};

use super::Server;

const ADMIN_PASSWORD: &str = "a fuzzing admin passphrase";

#[tokio::test]
async fn schemathesis_finds_nothing() {
    let Some(st) = std::env::var_os("FIREBREAK_TEST_SCHEMATHESIS") else {
        eprintln!("skipped: set FIREBREAK_TEST_SCHEMATHESIS to schemathesis's `st` command to fuzz the API");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", ADMIN_PASSWORD)]);
    let (key, seeded) = seed(&server).await;

    // The committed settings, plus what this run made: ids that paths can find.
    let settings = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml")).unwrap();
    let ids: Vec<String> = seeded.iter().map(|id| format!("\"{id}\"")).collect();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "{settings}\n[dictionaries.seeded]\nvalues = [{}]\n\n[parameters]\n\
             \"path.id\" = {{ dictionary = \"seeded\", probability = 0.5 }}\n",
            ids.join(", ")
        ),
    )
    .unwrap();

    let started = std::time::Instant::now();
    let out = Command::new(st)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &server.url("/api/v1/openapi.json"), "--no-color"])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let summary = report.find("SUMMARY").map_or(&report[..], |at| &report[at..]);
    eprintln!("schemathesis ran {:.0} s:\n{summary}", started.elapsed().as_secs_f64());
    assert!(server.stop().success());
    assert!(out.status.success(), "schemathesis found failures:\n{report}\n{}", String::from_utf8_lossy(&out.stderr));
}

/// An admin's API key, and a case, an alert and an asset for paths to find.
async fn seed(server: &Server) -> (String, Vec<String>) {
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(server.url(path)).basic_auth("admin", Some(ADMIN_PASSWORD)).json(&body).send()
    };
    let created: Value =
        post("/api/v1/api-keys", json!({"name": "fuzzing", "role": "admin"})).await.unwrap().json().await.unwrap();
    let key = created["secret"].as_str().unwrap().to_owned();
    let case: Value = post(
        "/api/v1/cases",
        json!({"title": "Seeded case", "severity": "high", "impact": "high", "urgency": "high", "category": "phishing"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let alert: Value = post(
        "/api/v1/alerts",
        json!({"source": "wazuh", "source_ref": "seed-1", "title": "Seeded alert", "severity": "high",
               "observables": [{"type": "ip", "value": "198.51.100.7"}]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let asset: Value = post("/api/v1/assets", json!({"kind": "host", "name": "ws-042", "address": "198.51.100.7"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids = [&case["id"], &alert["id"], &asset["id"]].map(|id| id.as_str().unwrap().to_owned());
    (key, ids.to_vec())
}
