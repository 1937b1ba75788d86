//! Bad input: a clear 4xx with a stable code naming the field, never a 5xx,
//! and nothing half-written.

use firebreak_server::ServerSettings;
use firebreak_types::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_with};

async fn call(c: &firebreak_client::Client, method: Method, path: &str, body: Option<&str>, ct: &str) -> (u16, Value) {
    let mut req = c.request(method, path);
    if let Some(b) = body {
        req = req.header("content-type", ct).body(b.to_owned());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn bad_bodies_are_named_and_write_nothing() {
    let app = spawn_app().await;
    let before = app.admin.list_users("?total=true").await.unwrap().total;
    let json_ct = "application/json";
    let cases: &[(&str, &str, u16, &str, Option<&str>)] = &[
        ("malformed", r#"{"username": "x", "role": "#, 400, "malformed_json", None),
        (
            "wrong type",
            r#"{"username": 5, "role": "admin", "password": "long enough pass"}"#,
            400,
            "invalid_field",
            Some("username"),
        ),
        (
            "unknown enum",
            r#"{"username": "eve", "role": "overlord", "password": "long enough pass"}"#,
            400,
            "invalid_field",
            Some("role"),
        ),
        (
            "unknown field",
            r#"{"username": "eve", "role": "admin", "password": "long enough pass", "is_root": true}"#,
            400,
            "unknown_field",
            Some("is_root"),
        ),
        ("missing field", r#"{"username": "eve", "password": "long enough pass"}"#, 400, "missing_field", Some("role")),
        (
            "too long",
            &format!(r#"{{"username": "{}", "role": "admin", "password": "long enough pass"}}"#, "e".repeat(65)),
            400,
            "invalid_field",
            Some("username"),
        ),
        (
            "short password",
            r#"{"username": "eve", "role": "admin", "password": "short"}"#,
            400,
            "invalid_field",
            Some("password"),
        ),
        (
            "bad email",
            r#"{"username": "eve", "role": "admin", "password": "long enough pass", "email": "nope"}"#,
            400,
            "invalid_field",
            Some("email"),
        ),
    ];
    for (what, body, status, code, field) in cases {
        let (s, v) = call(&app.admin, Method::POST, "/api/v1/users", Some(body), json_ct).await;
        assert_eq!(s, *status, "{what}: {v}");
        assert_eq!(v["code"], *code, "{what}: {v}");
        if let Some(f) = field {
            assert_eq!(v["field"], *f, "{what}: {v}");
            assert!(v["message"].as_str().unwrap().contains(f), "{what}: the message names the field: {v}");
        }
        assert!(v["docs"].as_str().unwrap().starts_with("/api/docs#error-"), "{v}");
    }
    let (s, v) =
        call(&app.admin, Method::POST, "/api/v1/users", Some("username=eve"), "application/x-www-form-urlencoded")
            .await;
    assert_eq!((s, v["code"].as_str()), (415, Some("unsupported_media_type")));
    let (s, v) =
        call(&app.admin, Method::POST, "/api/v1/orgs", Some(&format!(r#"{{"name": "{}"}}"#, "o".repeat(101))), json_ct)
            .await;
    assert_eq!((s, v["field"].as_str()), (400, Some("name")), "{v}");
    assert_eq!(app.admin.list_users("?total=true").await.unwrap().total, before, "nothing was written");
}

#[tokio::test]
async fn bad_queries_paths_and_routes() {
    let app = spawn_app().await;
    for (path, field) in [
        ("/api/v1/users?limit=0", "limit"),
        ("/api/v1/users?limit=1001", "limit"),
        ("/api/v1/users?limit=abc", "limit"),
        ("/api/v1/users?sort=nope", "sort"),
        ("/api/v1/users?colour=red", "colour"),
        ("/api/v1/cases?state=sleeping", "state"),
    ] {
        let (s, v) = call(&app.admin, Method::GET, path, None, "").await;
        assert_eq!(s, 400, "{path}: {v}");
        assert_eq!(v["code"], "invalid_query", "{path}: {v}");
        assert_eq!(v["field"], field, "{path}: {v}");
    }
    let (s, v) = call(&app.admin, Method::GET, "/api/v1/users/not-a-uuid", None, "").await;
    assert_eq!((s, v["field"].as_str()), (400, Some("id")), "{v}");
    let (s, v) = call(&app.admin, Method::GET, "/api/v1/nothing-here", None, "").await;
    assert_eq!((s, v["code"].as_str()), (404, Some("not_found")), "{v}");
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app_with(ServerSettings { max_body_bytes: 2048, ..ServerSettings::default() }).await;
    let big = format!(r#"{{"username": "eve", "role": "admin", "password": "{}"}}"#, "p".repeat(4096));
    let (s, v) = call(&app.admin, Method::POST, "/api/v1/users", Some(&big), "application/json").await;
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["code"], "payload_too_large");
}

#[tokio::test]
async fn roles_limit_what_callers_may_do() {
    let app = spawn_app().await;
    let (_, stakeholder) = app.user(&app.admin, "viewer", Role::Stakeholder).await;
    let (s, v) = call(
        &stakeholder,
        Method::POST,
        "/api/v1/users",
        Some(r#"{"username":"x2","role":"admin","password":"long enough pass"}"#),
        "application/json",
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    assert!(stakeholder.list_users("").await.is_ok(), "stakeholders read");
    let (_, l1) = app.user(&app.admin, "level-one", Role::AnalystL1).await;
    assert_eq!(l1.list_api_keys("").await.unwrap_err().status().map(|s| s.as_u16()), Some(403));
    let (s, _) = call(&l1, Method::POST, "/api/v1/orgs", Some(r#"{"name":"mine"}"#), "application/json").await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn lists_page_sort_and_count_the_same_way() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.user(&app.admin, &format!("pager-{i}"), Role::AnalystL1).await;
    }
    let page = app.admin.list_users("?q=pager&sort=username&limit=3&offset=3&total=true").await.unwrap();
    assert_eq!(page.total, Some(7));
    let names: Vec<_> = page.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["pager-3", "pager-4", "pager-5"]);
    let desc = app.admin.list_users("?q=pager&sort=-username&limit=2").await.unwrap();
    let names: Vec<_> = desc.items.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["pager-6", "pager-5"]);
    assert_eq!(desc.total, None, "no count unless asked");
    // Search treats % and _ literally.
    assert_eq!(app.admin.list_users("?q=%25&total=true").await.unwrap().total, Some(0));
    let _ = json!({});
}

#[tokio::test]
async fn bodies_are_what_the_document_says_they_are() {
    let app = spawn_app().await;
    let c = &app.admin;
    let json_ct = "application/json";
    for path in ["/api/v1/alerts/_bulk", "/api/v1/events/_bulk", "/api/v1/intake/wazuh"] {
        // A batch sent without its body is refused, naming the body.
        let (s, v) = call(c, Method::POST, path, Some(""), json_ct).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some("missing_field"), Some("body")), "{path}");
        let (s, v) = call(c, Method::POST, path, Some("  \n"), "application/x-ndjson").await;
        assert_eq!((s, v["field"].as_str()), (400, Some("body")), "{path}: {v}");
        // Sent as JSON, a batch is an array or objects: stray bytes are not one.
        for body in ["\u{0}", "5", "\"alert\""] {
            let (s, v) = call(c, Method::POST, path, Some(body), json_ct).await;
            assert_eq!((s, v["field"].as_str()), (400, Some("body")), "{path} {body:?}: {v}");
        }
    }
    // serde would read a struct from the array of its fields.
    let me = c.me().await.unwrap();
    let org = me.home_org.id;
    let (s, v) = call(c, Method::PATCH, &format!("/api/v1/orgs/{org}"), Some("[null, null]"), json_ct).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("body")), "{v}");
    // JSON Schema counts 30.0 as an integer; so does the server.
    let (s, v) = call(c, Method::PUT, "/api/v1/event-settings", Some(r#"{"retention_days": 30.0}"#), json_ct).await;
    assert_eq!((s, &v["retention_days"]), (200, &json!(30)), "{v}");
    let (s, v) = call(c, Method::PUT, "/api/v1/event-settings", Some(r#"{"retention_days": 30.5}"#), json_ct).await;
    assert_eq!((s, v["field"].as_str()), (400, Some("retention_days")), "{v}");
    // A page size outside the documented bounds is refused, not quietly changed.
    for q in ["limit=0", "limit=501", "offset=9223372036854775808"] {
        let (s, v) = call(c, Method::GET, &format!("/api/v1/rules?{q}"), None, json_ct).await;
        assert_eq!((s, v["code"].as_str()), (400, Some("invalid_query")), "{q}: {v}");
    }
    // An alert's source counts characters, as its schema does.
    let alert = json!({"source": "ü".repeat(200), "source_ref": "r-1", "title": "t", "severity": "low"});
    let (s, v) = call(c, Method::POST, "/api/v1/alerts", Some(&alert.to_string()), json_ct).await;
    assert_eq!(s, 201, "{v}");
    // An upload without the file's bytes is refused, naming the body, and keeps nothing.
    let case = json!({"title": "empty upload", "severity": "low"});
    let (s, v) = call(c, Method::POST, "/api/v1/cases", Some(&case.to_string()), json_ct).await;
    assert_eq!(s, 201, "{v}");
    let evidence = format!("/api/v1/cases/{}/evidence?filename=e.bin", v["id"].as_str().unwrap());
    let (s, v) = call(c, Method::POST, &evidence, Some(""), "application/octet-stream").await;
    assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (400, Some("missing_field"), Some("body")), "{v}");
    let (s, v) = call(c, Method::GET, &evidence, None, json_ct).await;
    assert_eq!((s, v.as_array().map(Vec::len)), (200, Some(0)), "{v}");
}
