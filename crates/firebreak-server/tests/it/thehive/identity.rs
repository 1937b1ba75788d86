//! Identity, status, licence, organisations, users and profiles; errors.

use firebreak_types::{Role, UpdateUser};
use reqwest::StatusCode;
use serde_json::Value;

use super::{Client, base, run};
use crate::helpers::{ADMIN_PASSWORD, PASSWORD, spawn_app};

async fn get(url: &str, user: &str, password: &str, org: Option<&str>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().get(url).basic_auth(user, Some(password));
    if let Some(org) = org {
        req = req.header("X-Organisation", org);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn basic_credentials_are_kept_verified_until_the_password_changes_or_the_user_is_disabled() {
    let app = spawn_app().await;
    let cache = app.state.app.basic_credentials();
    let (user, _) = app.user(&app.admin, "keeper", Role::AnalystL2).await;
    let url = format!("{}/api/v1/user/current", base(&app));
    // The admin's client signs in with Basic too.
    let before = cache.len();

    let (status, body) = get(&url, "keeper", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["login"], "keeper");
    assert_eq!(body["profile"], "analyst");
    assert_eq!(cache.len(), before + 1, "a verified credential is kept");
    assert_eq!(get(&url, "keeper", PASSWORD, None).await.0, 200);
    assert_eq!(cache.len(), before + 1, "and found again");

    // A wrong password is verified, counted by the throttle and never kept.
    let (status, body) = get(&url, "keeper", "not the password", None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["type"], "AuthenticationError");
    assert_eq!(cache.len(), before + 1);

    // The native API shares it.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.base_url))
        .basic_auth("keeper", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A new password ends the old one at once.
    app.admin.set_password(user.id, "the keeper's next password").await.unwrap();
    assert_eq!(cache.len(), before, "the user's credentials were dropped");
    assert_eq!(get(&url, "keeper", PASSWORD, None).await.0, 401);
    assert_eq!(get(&url, "keeper", "the keeper's next password", None).await.0, 200);

    // A password changed behind this node's back (another node) is seen by
    // the stored hash, which a kept credential must still match.
    app.raw_sql().await.execute("UPDATE users SET password_hash = 'changed elsewhere' WHERE username = 'keeper'").await;
    assert_eq!(get(&url, "keeper", "the keeper's next password", None).await.0, 401);

    // Disabled: refused, kept or not.
    let (other, _) = app.user(&app.admin, "disabled-soon", Role::AnalystL1).await;
    assert_eq!(get(&url, "disabled-soon", PASSWORD, None).await.0, 200);
    app.admin
        .update_user(other.id, &UpdateUser { display_name: None, email: None, role: None, disabled: Some(true) })
        .await
        .unwrap();
    assert_eq!(get(&url, "disabled-soon", PASSWORD, None).await.0, 401);
}

#[tokio::test]
async fn x_organisation_naming_another_tenant_is_not_found_and_shows_nothing() {
    let app = spawn_app().await;
    let a = app.tenant("Alpha").await;
    let b = app.tenant("Bravo").await;
    let base = base(&app);

    let (status, body) = get(&format!("{base}/api/v1/user/current"), "alpha-admin", PASSWORD, Some("Alpha")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organisation"], "Alpha");
    assert_eq!(body["profile"], "org-admin");

    for path in ["/api/v1/user/current", "/api/v1/user/bravo-admin", "/api/v1/organisation/Bravo"] {
        let (status, body) = get(&format!("{base}{path}"), "alpha-admin", PASSWORD, Some("Bravo")).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["type"], "NotFoundError", "{body}");
        assert!(!body.to_string().contains(&b.org.id.to_string()), "{body}");
    }
    // Named in the path rather than the header: the same.
    for path in [format!("/api/v1/organisation/{}", b.org.id), "/api/v1/organisation/Bravo".into()] {
        let (status, body) = get(&format!("{base}{path}"), "alpha-admin", PASSWORD, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, body) = get(&format!("{base}/api/v1/user/{}", b.admin_user.id), "alpha-admin", PASSWORD, None).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = get(&format!("{base}/api/v1/organisation/{}", a.org.id), "alpha-admin", PASSWORD, None).await;
    assert_eq!(status, 200);

    // The platform admin reaches both by name.
    let (status, body) = get(&format!("{base}/api/v1/user/bravo-admin"), "admin", ADMIN_PASSWORD, Some("Bravo")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["organisation"], "Bravo");
}

#[tokio::test]
async fn status_and_licence_answer_in_thehive_s_shape() {
    let app = spawn_app().await;
    let base = base(&app);
    for path in ["/api/status", "/api/v1/status"] {
        let res = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert!(body["versions"]["TheHive"].is_string(), "{body}");
        assert!(body["config"]["authType"].as_array().is_some_and(|a| a.contains(&"basic".into())), "{body}");
    }
    let (status, body) = get(&format!("{base}/api/v1/license/current"), "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["current"]["expiresAt"], Value::Null);
    let (status, body) = get(&format!("{base}/api/v1/license/current"), "admin", "wrong", None).await;
    assert_eq!((status, body["type"].as_str()), (StatusCode::UNAUTHORIZED, Some("AuthenticationError")));
    let (status, body) = get(&format!("{base}/api/v1/profile/read-only"), "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["firebreakRole"], "stakeholder");
}

// The script blocks its thread while the server answers it: the server
// needs a worker of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_manages_users_organisations_and_keys_and_gets_thehive_s_errors() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "identity_users.py", &[]) else { return };
    assert_eq!(out["current"]["login"], "admin", "{out}");
    assert_eq!(out["current"]["profile"], "admin", "{out}");
    assert_eq!(out["org_created"]["name"], "Hive Customer");
    assert_eq!(out["org_by_name"]["description"], "changed by thehive4py");
    assert_eq!(out["user_created"]["organisation"], "Hive Customer");
    assert_eq!(out["user_by_login"]["name"], "Hive Analyst Renamed");
    assert_eq!(out["user_by_login"]["profile"], "org-admin");
    assert_eq!(out["analyst_current"]["login"], "hive.analyst");
    assert_eq!(out["key_current"]["login"], "hive.analyst");
    assert_eq!(out["key_profile"]["name"], "org-admin");

    let error = |name: &str, status: u16, kind: &str| {
        assert_eq!(out[name]["status"], status, "{name}: {}", out[name]);
        assert_eq!(out[name]["type"], kind, "{name}: {}", out[name]);
    };
    error("key_get", 404, "NotFoundError");
    error("key_removed", 401, "AuthenticationError");
    error("other_org_user", 404, "NotFoundError");
    error("wrong_password", 401, "AuthenticationError");
    error("unknown_org", 404, "NotFoundError");
    error("duplicate", 400, "CreateError");
    error("bad_profile", 400, "AttributeCheckingError");
    error("unknown_profile", 404, "NotFoundError");
    error("forbidden", 403, "AuthorizationError");
    error("locked", 401, "AuthenticationError");
    error("deleted", 404, "NotFoundError");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_manages_case_templates_custom_fields_and_reads_observable_types() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "identity_templates.py", &[]) else { return };
    assert_eq!(out["created"]["_type"], "CaseTemplate", "{out}");
    assert_eq!(out["created"]["severity"], 3);
    assert_eq!(out["created"]["tasks"][0]["group"], "containment");
    assert_eq!(out["created"]["tasks"][1]["group"], "analysis");
    assert_eq!(out["by_name"]["description"], "A reported e-mail, checked");
    assert_eq!(out["by_name"]["tasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["duplicate_name_field"]["type"], "AttributeCheckingError", "{out}");
    assert_eq!(out["deleted"]["status"], 404);

    assert_eq!(out["field"]["type"], "string", "{out}");
    assert_eq!(out["field"]["options"], serde_json::json!(["finance", "sales"]));
    assert_eq!(out["fields"][0]["mandatory"], true);
    assert_eq!(out["field_again"]["type"], "CreateError");
    assert_eq!(out["field_bad_type"]["type"], "AttributeCheckingError");
    assert_eq!(out["fields_after"], serde_json::json!([]));

    assert_eq!(out["type"]["name"], "fqdn");
    assert_eq!(out["type_created"]["name"], "mail");
    assert_eq!(out["type_unknown"]["status"], 400);
    assert_eq!(out["type_delete"]["status"], 400);
}

/// A webhook receiver on port 0 that keeps every body it is sent.
pub(super) async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

#[tokio::test]
async fn a_webhook_in_thehive_s_format_sends_thehive_s_notification() {
    let app = spawn_app().await;
    let (hive_url, hive_got) = receiver().await;
    let (native_url, native_got) = receiver().await;
    let hook: Value = app
        .admin
        .post("/api/v1/webhooks", &serde_json::json!({ "name": "shuffle", "url": hive_url, "format": "thehive" }))
        .await
        .unwrap();
    assert_eq!(hook["format"], "thehive", "{hook}");
    let hook: Value =
        app.admin.post("/api/v1/webhooks", &serde_json::json!({ "name": "itsm", "url": native_url })).await.unwrap();
    assert_eq!(hook["format"], "firebreak", "{hook}");

    let case: Value = app
        .admin
        .post("/api/v1/cases", &serde_json::json!({ "title": "Ransomware on the file server", "severity": "high" }))
        .await
        .unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 2);

    let got = hive_got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let n: Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(n["operation"], "Creation", "{n}");
    assert_eq!(n["objectType"], "Case");
    assert_eq!(n["action"], "create");
    assert_eq!(n["objectId"], case["id"]);
    assert_eq!(n["rootId"], case["id"]);
    assert_eq!(n["organisationId"], app.root_org.to_string());
    assert!(n["organisation"].as_str().is_some_and(|o| !o.is_empty()), "{n}");
    assert!(n["startDate"].as_i64().is_some_and(|t| t > 0), "{n}");
    assert!(n["requestId"].is_string());
    assert_eq!(n["object"]["_type"], "Case");
    assert_eq!(n["object"]["title"], "Ransomware on the file server");
    assert_eq!(n["object"]["severity"], 3);
    assert_eq!(n["object"]["stage"], "New");
    assert_eq!(n["object"]["number"], case["number"]);
    assert_eq!(n["details"]["title"], "Ransomware on the file server");

    // The other webhook still gets Firebreak's body.
    let native: Value = serde_json::from_str(&native_got.lock().unwrap()[0]).unwrap();
    assert_eq!(native["event"], "case.created", "{native}");
}

#[tokio::test]
async fn an_alert_sent_to_the_native_api_is_notified_in_thehive_s_shape() {
    let app = spawn_app().await;
    let (url, got) = receiver().await;
    let (every_url, every_got) = receiver().await;
    let _: Value = app
        .admin
        .post(
            "/api/v1/webhooks",
            &serde_json::json!({ "name": "n8n", "url": url, "format": "thehive", "events": ["alert.created"] }),
        )
        .await
        .unwrap();
    // A webhook of every case event does not get alerts.
    let _: Value =
        app.admin.post("/api/v1/webhooks", &serde_json::json!({ "name": "all", "url": every_url })).await.unwrap();
    let sent: Value = app
        .admin
        .post(
            "/api/v1/alerts",
            &serde_json::json!({
                "source": "wazuh", "source_ref": "1700000000.1", "type": "authentication_failed",
                "title": "sshd: brute force", "severity": "critical",
                "observables": [{ "type": "ip", "value": "198.51.100.7" }],
            }),
        )
        .await
        .unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 1);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    let n: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(n["operation"], "Creation", "{n}");
    assert_eq!(n["objectType"], "Alert");
    assert_eq!(n["action"], "create");
    assert_eq!(n["objectId"], sent["id"], "{sent}");
    assert_eq!(n["organisationId"], app.root_org.to_string());
    assert_eq!(n["object"]["_type"], "Alert");
    assert_eq!(n["object"]["sourceRef"], "1700000000.1");
    assert_eq!(n["object"]["severity"], 4);
    assert_eq!(n["object"]["type"], "authentication_failed");
    assert!(every_got.lock().unwrap().is_empty());

    // A repeat is no new alert: nothing more is sent.
    let _: Value = app
        .admin
        .post(
            "/api/v1/alerts",
            &serde_json::json!({ "source": "wazuh", "source_ref": "1700000000.1", "type": "authentication_failed",
                                 "title": "sshd: brute force", "severity": "critical" }),
        )
        .await
        .unwrap();
    assert_eq!(firebreak_app::webhooks::deliver_due(&app.state).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thehive4py_changes_its_password_sets_organisations_and_an_admin_renews_another_s_key() {
    let app = spawn_app().await;
    let Some(out) = run(Client::V2, &app, "identity_accounts.py", &[]) else { return };
    let error = |name: &str, status: u16, kind: &str| {
        assert_eq!(out[name]["status"], status, "{name}: {}", out[name]);
        assert_eq!(out[name]["type"], kind, "{name}: {}", out[name]);
        out[name]["message"].as_str().unwrap_or_default().to_owned()
    };

    // Password change: one's own, with the current password.
    assert_eq!(out["owner_before"]["login"], "hive.owner", "{out}");
    assert_eq!(out["owner_after"]["login"], "hive.owner");
    assert!(error("wrong_current", 403, "AuthorizationError").contains("current password"));
    error("someone_else", 403, "AuthorizationError");
    // The Basic credential kept for the old password was dropped with it.
    let cache = app.state.app.basic_credentials();
    let now = app.state.app.now();
    assert!(cache.get("hive.owner", "the owner's first password", now).is_none());
    let url = format!("{}/api/v1/user/current", base(&app));
    assert_eq!(get(&url, "hive.owner", "the owner's first password", None).await.0, 401);

    // Organisations: the one organisation maps onto the user's role.
    assert_eq!(out["set_orgs"][0]["organisation"], "Accounts Org", "{out}");
    assert_eq!(out["set_orgs"][0]["profile"], "read-only");
    assert_eq!(out["set_orgs"][0]["default"], true);
    assert_eq!(out["member_after"]["profile"], "read-only");
    assert!(error("other_org", 400, "BadRequest").contains("one organisation"));
    assert!(error("no_org", 400, "BadRequest").contains("exactly one organisation"));
    error("orgs_bad_profile", 400, "AttributeCheckingError");
    error("orgs_by_analyst", 403, "AuthorizationError");

    // Profiles: listed, never made, changed or removed.
    let names: Vec<&str> =
        out["profiles"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, ["admin", "org-admin", "incident-manager", "analyst", "analyst-l1", "analyst-l3", "read-only"]);
    let refused = error("profile_create", 403, "AuthorizationError");
    assert!(refused.contains("fixed roles") && refused.contains("org-admin (admin)"), "{refused}");
    error("profile_update", 403, "AuthorizationError");
    error("profile_delete", 403, "AuthorizationError");

    // An admin renews another user's key: it is that user's, with their role.
    assert_eq!(out["member_by_key"]["login"], "hive.member", "{out}");
    assert_eq!(out["member_by_key"]["profile"], "read-only");
    error("first_key_after_renewal", 401, "AuthenticationError");
    assert_eq!(out["second_key"]["login"], "hive.member");
    error("second_key_removed", 401, "AuthenticationError");
    error("renew_by_analyst", 403, "AuthorizationError");
}
