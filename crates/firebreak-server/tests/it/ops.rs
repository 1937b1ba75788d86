use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/healthz", app.base_url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ready: Value = http.get(format!("{}/readyz", app.base_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert!(ready["schema_version"].as_i64().unwrap() > 0);
    let me = app.admin.me().await.unwrap();
    app.admin.get_user(me.id).await.unwrap();
    let metrics = http.get(format!("{}/metrics", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("firebreak_http_requests_total"), "{metrics}");
    assert!(metrics.contains(r#"route="/api/v1/users/{id}""#), "routes are templates, not raw ids");
    assert!(!metrics.contains(&me.id.to_string()));
    assert!(metrics.contains("firebreak_http_request_duration_seconds"));
    assert!(metrics.contains("firebreak_build_info"));
    assert!(metrics.contains("firebreak_db_pool_connections"));
}

#[tokio::test]
async fn openapi_document_is_served_documented_and_current() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let served: Value =
        http.get(format!("{}/api/v1/openapi.json", app.base_url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(served["openapi"], "3.1.0");
    assert!(served["paths"]["/api/v1/users"].is_object());
    let docs = http.get(format!("{}/api/docs", app.base_url)).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/api/v1/users") && docs.contains("error-invalid_field"));

    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json");
    let pretty = serde_json::to_string_pretty(&served).unwrap() + "\n";
    if std::env::var("FIREBREAK_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, pretty).unwrap();
        return;
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default();
    assert!(
        committed == served,
        "openapi.json differs from the API the code serves. Run \
         `FIREBREAK_UPDATE_OPENAPI=1 cargo test -p firebreak-server --test it openapi` and review the diff."
    );
}

#[tokio::test]
async fn every_operation_documents_the_refusals_it_can_answer() {
    let doc = firebreak_server::api::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            let mut expected = vec!["400", "401", "403", "404", "429"];
            if let Some(body) = op.get("requestBody") {
                assert_eq!(body["required"], true, "{method} {path}: a body it reads is required");
                expected.push("413");
                if body["content"].get("application/json").is_some() {
                    expected.push("415");
                }
            }
            for status in expected {
                let r = responses.get(status).unwrap_or_else(|| panic!("{method} {path} does not document {status}"));
                assert!(r["description"].as_str().is_some_and(|d| !d.is_empty()), "{method} {path} {status}");
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
    assert!(operations > 140, "{operations}");
    // A metric's cells are numbers, text, flags or null; never objects.
    let cell = &doc["components"]["schemas"]["MetricTable"]["properties"]["rows"]["items"]["items"];
    assert_eq!(cell["type"], serde_json::json!(["number", "string", "boolean", "null"]));
    // Each list offers the sort fields its store sorts by.
    let sort = doc["paths"]["/api/v1/users"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "sort")
        .unwrap();
    assert!(sort["schema"]["enum"].as_array().unwrap().contains(&serde_json::json!("-username")));
    // An upload's file name is required, as its handler requires it.
    let upload = doc["paths"]["/api/v1/cases/{id}/evidence"]["post"]["parameters"].as_array().unwrap();
    assert_eq!(upload.iter().find(|p| p["name"] == "filename").unwrap()["required"], true);
}
