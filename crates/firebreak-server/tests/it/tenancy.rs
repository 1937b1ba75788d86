//! Tenant isolation, proven endpoint by endpoint.
//!
//! EVERY OBJECT ENDPOINT IS REGISTERED IN `ENDPOINTS`. A new kind of object
//! (alerts, observables, rules, …) adds a row: how org A makes one, and where
//! it is read, listed, searched, updated and deleted. The test then proves
//! that org B can do none of these to A's object, sees no trace of it in
//! lists, searches or counts, and cannot reach it by naming A's organisation.

use firebreak_client::Client;
use firebreak_types::{Case, CreateApiKey, CreateCase, CreateUser, Page, Role};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// A method, a path with `{id}`, and a valid body for it.
type Change = (Method, &'static str, fn() -> Value);

type BoxFut<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = (String, String)> + Send + 'a>>;

/// One kind of object and its endpoints.
struct Endpoint {
    name: &'static str,
    /// Makes an object as org A's admin; returns its id and a word to search for.
    create: for<'a> fn(&'a Client) -> BoxFut<'a>,
    /// `{id}` is replaced by the object's id.
    read: &'static str,
    /// The list; `{q}` is replaced by the search word.
    list: &'static str,
    /// A valid change, or none when the object cannot be changed.
    update: Option<Change>,
    delete: Option<(Method, &'static str)>,
}

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "users",
        create: |c| {
            Box::pin(async move {
                let u = c
                    .create_user(&CreateUser {
                        username: "secret-agent".into(),
                        display_name: "Secret Agent".into(),
                        email: String::new(),
                        role: Role::AnalystL1,
                        password: PASSWORD.into(),
                    })
                    .await
                    .unwrap();
                (u.id.to_string(), "secret-agent".into())
            })
        },
        read: "/api/v1/users/{id}",
        list: "/api/v1/users?q={q}&total=true",
        update: Some((Method::PATCH, "/api/v1/users/{id}", || json!({ "display_name": "taken over" }))),
        delete: Some((Method::DELETE, "/api/v1/users/{id}")),
    },
    Endpoint {
        name: "api keys",
        create: |c| {
            Box::pin(async move {
                let k = c
                    .create_api_key(&CreateApiKey {
                        name: "hidden-siem".into(),
                        role: Role::AnalystL2,
                        expires_at: None,
                    })
                    .await
                    .unwrap();
                (k.key.id.to_string(), "hidden-siem".into())
            })
        },
        read: "/api/v1/api-keys/{id}",
        list: "/api/v1/api-keys?q={q}&total=true",
        update: None,
        delete: Some((Method::DELETE, "/api/v1/api-keys/{id}")),
    },
    Endpoint {
        name: "organisations",
        create: |c| {
            Box::pin(async move {
                let me = c.me().await.unwrap();
                (me.home_org.id.to_string(), me.home_org.name.to_lowercase())
            })
        },
        read: "/api/v1/orgs/{id}",
        list: "/api/v1/orgs?q={q}&total=true",
        update: Some((Method::PATCH, "/api/v1/orgs/{id}", || json!({ "description": "taken over" }))),
        delete: None,
    },
    Endpoint {
        name: "cases",
        create: |c| {
            Box::pin(async move {
                let case: firebreak_types::Case = c
                    .post("/api/v1/cases", &json!({ "title": "Confidential breach", "tags": ["hush"] }))
                    .await
                    .unwrap();
                (case.id.to_string(), "confidential".into())
            })
        },
        read: "/api/v1/cases/{id}",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((Method::PATCH, "/api/v1/cases/{id}", || json!({ "title": "taken over" }))),
        delete: None,
    },
    Endpoint {
        name: "case history",
        create: |c| {
            Box::pin(async move {
                let case = c
                    .create_case(&serde_json::from_value::<CreateCase>(json!({ "title": "Quiet incident" })).unwrap())
                    .await
                    .unwrap();
                (case.id.to_string(), "quiet".into())
            })
        },
        read: "/api/v1/cases/{id}/history",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((
            Method::POST,
            "/api/v1/cases/{id}/transition",
            || json!({ "state": "cancelled", "reason": "x" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "case shares",
        create: |c| {
            Box::pin(async move {
                let case: firebreak_types::Case =
                    c.post("/api/v1/cases", &json!({ "title": "Shared incident" })).await.unwrap();
                let partners: Vec<firebreak_types::Organisation> = c.get("/api/v1/share-partners").await.unwrap();
                let _: firebreak_types::CaseShare = c
                    .post(
                        &format!("/api/v1/cases/{}/shares", case.id),
                        &json!({ "org_id": partners[0].id, "role": "stakeholder" }),
                    )
                    .await
                    .unwrap();
                (case.id.to_string(), "shared".into())
            })
        },
        read: "/api/v1/cases/{id}/shares",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((
            Method::POST,
            "/api/v1/cases/{id}/shares",
            || json!({ "org_id": uuid::Uuid::nil(), "role": "stakeholder" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "case links",
        create: |c| {
            Box::pin(async move {
                let case: firebreak_types::Case =
                    c.post("/api/v1/cases", &json!({ "title": "Linked incident" })).await.unwrap();
                (case.id.to_string(), "linked".into())
            })
        },
        read: "/api/v1/cases/{id}/links",
        list: "/api/v1/cases?q={q}&total=true",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "audit entries",
        create: |c| {
            Box::pin(async move {
                let u = c
                    .create_user(&CreateUser {
                        username: "audited-one".into(),
                        display_name: String::new(),
                        email: String::new(),
                        role: Role::Stakeholder,
                        password: PASSWORD.into(),
                    })
                    .await
                    .unwrap();
                (u.id.to_string(), "audited".into())
            })
        },
        read: "/api/v1/users/{id}",
        list: "/api/v1/audit?object_id={id}&total=true",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "tasks",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Tasked incident" })).await.unwrap();
                let _: Value = c
                    .post(&format!("/api/v1/cases/{}/tasks", case.id), &json!({ "title": "Secret task" }))
                    .await
                    .unwrap();
                (case.id.to_string(), "tasked".into())
            })
        },
        read: "/api/v1/cases/{id}/tasks",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((Method::POST, "/api/v1/cases/{id}/tasks", || json!({ "title": "taken over" }))),
        delete: None,
    },
    Endpoint {
        name: "observables and sightings",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Observed incident" })).await.unwrap();
                let _: Value = c
                    .post(
                        &format!("/api/v1/cases/{}/observables", case.id),
                        &json!({ "type": "domain", "value": "very-secret.example" }),
                    )
                    .await
                    .unwrap();
                (case.id.to_string(), "observed".into())
            })
        },
        read: "/api/v1/cases/{id}/observables",
        list: "/api/v1/sightings?type=domain&value=very-secret.example",
        update: Some((
            Method::POST,
            "/api/v1/cases/{id}/observables",
            || json!({ "type": "domain", "value": "taken-over.example" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "timeline and escalations",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Escalated incident" })).await.unwrap();
                let _: Value = c
                    .post(
                        &format!("/api/v1/cases/{}/escalations", case.id),
                        &json!({ "tier": "L2", "reason": "private reason" }),
                    )
                    .await
                    .unwrap();
                (case.id.to_string(), "escalated".into())
            })
        },
        read: "/api/v1/cases/{id}/escalations",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((
            Method::POST,
            "/api/v1/cases/{id}/timeline",
            || json!({ "at": "2026-01-01T00:00:00Z", "description": "taken over" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "evidence",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Evidenced incident" })).await.unwrap();
                let url = format!("/api/v1/cases/{}/evidence?filename=secret.eml", case.id);
                let r = c.request(Method::POST, &url).body("From: a@b").send().await.unwrap();
                assert_eq!(r.status(), 201);
                (case.id.to_string(), "evidenced".into())
            })
        },
        read: "/api/v1/cases/{id}/evidence",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((Method::POST, "/api/v1/cases/{id}/evidence?filename=taken-over", || json!({}))),
        delete: None,
    },
    Endpoint {
        name: "roles and communications",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Communicated incident" })).await.unwrap();
                let _: Value = c
                    .post(&format!("/api/v1/cases/{}/roles", case.id), &json!({ "role": "scribe", "name": "Someone" }))
                    .await
                    .unwrap();
                let _: Value = c
                    .post(
                        &format!("/api/v1/cases/{}/communications", case.id),
                        &json!({ "contact": "Regulator", "channel": "email", "direction": "outbound", "summary": "s" }),
                    )
                    .await
                    .unwrap();
                (case.id.to_string(), "communicated".into())
            })
        },
        read: "/api/v1/cases/{id}/communications",
        list: "/api/v1/cases?q={q}&total=true",
        update: Some((Method::POST, "/api/v1/cases/{id}/roles", || json!({ "role": "scribe", "name": "taken over" }))),
        delete: None,
    },
    Endpoint {
        name: "detection requests",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Requested incident" })).await.unwrap();
                let _: Value = c
                    .post(
                        &format!("/api/v1/cases/{}/requests", case.id),
                        &json!({ "kind": "detection", "title": "Detect the requested thing" }),
                    )
                    .await
                    .unwrap();
                (case.id.to_string(), "requested".into())
            })
        },
        read: "/api/v1/cases/{id}/requests",
        list: "/api/v1/requests?kind=detection",
        update: Some((
            Method::POST,
            "/api/v1/cases/{id}/actions",
            || json!({ "kind": "other", "target": "taken over" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "review and action items",
        create: |c| {
            Box::pin(async move {
                let case: Case = c.post("/api/v1/cases", &json!({ "title": "Reviewed incident" })).await.unwrap();
                let _: Value = c
                    .post(&format!("/api/v1/cases/{}/action-items", case.id), &json!({ "title": "Reviewed follow-up" }))
                    .await
                    .unwrap();
                (case.id.to_string(), "reviewed".into())
            })
        },
        read: "/api/v1/cases/{id}/action-items",
        list: "/api/v1/action-items",
        update: Some((Method::PUT, "/api/v1/cases/{id}/review", || json!({ "summary": "taken over" }))),
        delete: None,
    },
    Endpoint {
        name: "assets",
        create: |c| {
            Box::pin(async move {
                let a: Value = c
                    .post("/api/v1/assets", &json!({ "kind": "host", "name": "classified-host", "owner": "Ops" }))
                    .await
                    .unwrap();
                (a["id"].as_str().unwrap().to_owned(), "classified".into())
            })
        },
        read: "/api/v1/assets/{id}",
        list: "/api/v1/assets?q={q}",
        update: Some((Method::PUT, "/api/v1/assets/{id}", || json!({ "kind": "host", "name": "taken over" }))),
        delete: Some((Method::DELETE, "/api/v1/assets/{id}")),
    },
    Endpoint {
        name: "contacts",
        create: |c| {
            Box::pin(async move {
                let a: Value = c.post("/api/v1/contacts", &json!({ "name": "Undercover Contact" })).await.unwrap();
                (a["id"].as_str().unwrap().to_owned(), "undercover".into())
            })
        },
        read: "/api/v1/contacts/{id}",
        list: "/api/v1/contacts",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "alerts",
        create: |c| {
            Box::pin(async move {
                let r: Value = c
                    .post(
                        "/api/v1/alerts",
                        &json!({ "source": "edr", "source_ref": "a-1", "title": "Clandestine beacon", "severity": "high" }),
                    )
                    .await
                    .unwrap();
                (r["id"].as_str().unwrap().to_owned(), "clandestine".into())
            })
        },
        read: "/api/v1/alerts/{id}",
        list: "/api/v1/alerts?q={q}&total=true",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "alert triage (comments, assignment)",
        create: |c| {
            Box::pin(async move {
                let r: Value = c
                    .post(
                        "/api/v1/alerts",
                        &json!({ "source": "edr", "source_ref": "t-1", "title": "Furtive login", "severity": "low" }),
                    )
                    .await
                    .unwrap();
                let id = r["id"].as_str().unwrap().to_owned();
                let _: Value =
                    c.post(&format!("/api/v1/alerts/{id}/comments"), &json!({ "body": "furtive note" })).await.unwrap();
                (id, "furtive".into())
            })
        },
        read: "/api/v1/alerts/{id}/comments",
        list: "/api/v1/alerts?q={q}&total=true",
        update: Some((Method::POST, "/api/v1/alerts/{id}/assign", || json!({ "assignee_id": null }))),
        delete: None,
    },
    Endpoint {
        name: "alert groups",
        create: |c| {
            Box::pin(async move {
                let mk = |r: &str| {
                    json!({ "source": "edr", "source_ref": r, "title": "Stealthy story", "severity": "low",
                    "observables": [{ "type": "hostname", "value": "stealth-host" }] })
                };
                let r: Value = c.post("/api/v1/alerts/_bulk", &json!([mk("g-1"), mk("g-2")])).await.unwrap();
                let a: Value =
                    c.get(&format!("/api/v1/alerts/{}", r["items"][0]["id"].as_str().unwrap())).await.unwrap();
                (a["group_id"].as_str().unwrap().to_owned(), "stealthy".into())
            })
        },
        read: "/api/v1/alert-groups/{id}",
        list: "/api/v1/alert-groups?total=true",
        update: Some((Method::POST, "/api/v1/alert-groups/{id}/escalate", || json!({}))),
        delete: None,
    },
    Endpoint {
        name: "rules",
        create: |c| {
            Box::pin(async move {
                let body = json!({ "files": [{ "name": "w.yml", "content": crate::detect::WHOAMI }], "enable": true });
                let _: Value = c.post("/api/v1/rules/_import", &body).await.unwrap();
                let page: Page<Value> = c.get("/api/v1/rules?q=whoami").await.unwrap();
                (page.items[0]["id"].as_str().unwrap().to_owned(), "whoami".into())
            })
        },
        read: "/api/v1/rules/{id}/revisions",
        list: "/api/v1/rules?q={q}",
        update: Some((Method::PATCH, "/api/v1/rules/{id}", || json!({ "enabled": false }))),
        delete: None,
    },
    Endpoint {
        name: "rule exceptions",
        create: |c| {
            Box::pin(async move {
                let body = json!({ "files": [{ "name": "w.yml", "content": crate::detect::WHOAMI }] });
                let _: Value = c.post("/api/v1/rules/_import", &body).await.unwrap();
                let page: Page<Value> = c.get("/api/v1/rules?q=whoami").await.unwrap();
                let id = page.items[0]["id"].as_str().unwrap().to_owned();
                let e = json!({ "field": "Computer", "values": ["hidden-host"], "reason": "whoami tuning" });
                let _: Value = c.post(&format!("/api/v1/rules/{id}/exceptions"), &e).await.unwrap();
                (id, "whoami".into())
            })
        },
        read: "/api/v1/rules/{id}/exceptions",
        list: "/api/v1/rules?q={q}",
        update: Some((
            Method::POST,
            "/api/v1/rules/{id}/exceptions",
            || json!({ "field": "Computer", "values": ["x"], "reason": "taken over" }),
        )),
        delete: None,
    },
    Endpoint {
        name: "threat profiles",
        create: |c| {
            Box::pin(async move {
                let body = json!({ "name": "Clandestine profile", "techniques": ["T1033"] });
                let p: Value = c.post("/api/v1/threat-profiles", &body).await.unwrap();
                (p["id"].as_str().unwrap().to_owned(), "clandestine".into())
            })
        },
        read: "/api/v1/threat-profiles/{id}",
        list: "/api/v1/threat-profiles",
        update: None,
        delete: Some((Method::DELETE, "/api/v1/threat-profiles/{id}")),
    },
    Endpoint {
        name: "case hunts",
        create: |c| {
            Box::pin(async move {
                let case: Value = c.post("/api/v1/cases", &json!({ "title": "Undercover hunt" })).await.unwrap();
                (case["id"].as_str().unwrap().to_owned(), "undercover".into())
            })
        },
        read: "/api/v1/cases/{id}/hunts",
        list: "/api/v1/cases?q={q}&total=true",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "templates",
        create: |c| {
            Box::pin(async move {
                let t: Value = c
                    .post("/api/v1/templates", &json!({ "name": "Covert template", "category": "insider" }))
                    .await
                    .unwrap();
                (t["id"].as_str().unwrap().to_owned(), "covert".into())
            })
        },
        read: "/api/v1/templates/{id}",
        list: "/api/v1/templates",
        update: None,
        delete: Some((Method::DELETE, "/api/v1/templates/{id}")),
    },
    Endpoint {
        name: "teams",
        create: |c| {
            Box::pin(async move {
                let t: Value = c.post("/api/v1/teams", &json!({ "name": "Shadow team" })).await.unwrap();
                (t["id"].as_str().unwrap().to_owned(), "shadow".into())
            })
        },
        read: "/api/v1/teams/{id}",
        list: "/api/v1/teams",
        update: None,
        delete: None,
    },
    Endpoint {
        name: "webhooks and deliveries",
        create: |c| {
            Box::pin(async move {
                let w: Value = c
                    .post("/api/v1/webhooks", &json!({ "name": "Hidden hook", "url": "http://127.0.0.1:9/x" }))
                    .await
                    .unwrap();
                (w["id"].as_str().unwrap().to_owned(), "hidden hook".into())
            })
        },
        read: "/api/v1/webhooks/{id}/deliveries",
        list: "/api/v1/webhooks",
        update: Some((Method::PATCH, "/api/v1/webhooks/{id}", || json!({ "enabled": false }))),
        delete: Some((Method::DELETE, "/api/v1/webhooks/{id}")),
    },
];

async fn status_and_body(c: &Client, method: Method, path: &str, body: Option<Value>) -> (u16, String) {
    let mut req = c.request(method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A page's total; for endpoints that answer a plain list, the entries that
/// mention `word` (each organisation has its own defaults, such as templates).
async fn total(c: &Client, path: &str, word: &str) -> (u64, String) {
    let (status, text) = status_and_body(c, Method::GET, path, None).await;
    assert_eq!(status, 200, "{path}: {text}");
    if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&text) {
        let n = items.iter().filter(|v| v.to_string().to_lowercase().contains(word)).count();
        return (n as u64, text);
    }
    let page: Page<Value> = serde_json::from_str(&text).unwrap();
    (page.total.expect("total was asked"), text)
}

#[tokio::test]
async fn one_organisation_cannot_reach_another_organisations_objects() {
    let app: TestApp = spawn_app().await;
    let a = app.tenant("Alpha").await;
    let b = app.tenant("Bravo").await;
    for ep in ENDPOINTS {
        let (id, word) = (ep.create)(&a.admin).await;
        let path = |p: &str| p.replace("{id}", &id);
        let list = ep.list.replace("{q}", &word).replace("{id}", &id);

        // A sees its own object.
        let (status, _) = status_and_body(&a.admin, Method::GET, &path(ep.read), None).await;
        assert_eq!(status, 200, "{}: A reads its own object", ep.name);
        let (a_total, _) = total(&a.admin, &list, &word).await;
        assert!(a_total >= 1, "{}: A finds its own object in {list}", ep.name);

        // B reads: 404, and the answer never carries the object.
        let (status, text) = status_and_body(&b.admin, Method::GET, &path(ep.read), None).await;
        assert_eq!(status, 404, "{}: B reads A's object: {text}", ep.name);
        assert!(!text.contains(&id), "{}: the 404 leaks the id", ep.name);

        // B lists, searches, counts: nothing of A's.
        let (b_total, text) = total(&b.admin, &list, &word).await;
        assert!(!text.contains(&id), "{}: B's list shows A's object: {text}", ep.name);
        assert_eq!(b_total, 0, "{}: B's search or count includes A's object", ep.name);

        // B updates and deletes: 404, and the object is unchanged.
        if let Some((method, p, body)) = &ep.update {
            let (status, text) = status_and_body(&b.admin, method.clone(), &path(p), Some(body())).await;
            assert_eq!(status, 404, "{}: B updates A's object: {text}", ep.name);
        }
        if let Some((method, p)) = &ep.delete {
            let (status, text) = status_and_body(&b.admin, method.clone(), &path(p), None).await;
            assert_eq!(status, 404, "{}: B deletes A's object: {text}", ep.name);
        }
        let (status, text) = status_and_body(&a.admin, Method::GET, &path(ep.read), None).await;
        assert_eq!(status, 200, "{}: A's object survived", ep.name);
        assert!(!text.contains("taken over"), "{}: B changed A's object", ep.name);

        // B names A's organisation: 404 for every path.
        let b_in_a = b.admin.clone().org(a.org.id);
        for p in [path(ep.read), list.clone()] {
            let (status, _) = status_and_body(&b_in_a, Method::GET, &p, None).await;
            assert_eq!(status, 404, "{}: B acting in A via the header on {p}", ep.name);
        }
    }
}

#[tokio::test]
async fn a_provider_reaches_granted_customers_only_while_granted() {
    let app = spawn_app().await;
    let a = app.tenant("Alpha").await;
    let provider_in_a = app.admin.clone().org(a.org.id);
    let users = provider_in_a.list_users("?total=true").await.unwrap();
    assert_eq!(users.total, Some(1), "the provider sees A's users through the grant");
    assert_eq!(provider_in_a.me().await.unwrap().acting_org.id, a.org.id);

    app.admin.revoke_grant(app.root_org, a.org.id).await.unwrap();
    let after = provider_in_a.list_users("").await;
    assert_eq!(after.unwrap_err().status().map(|s| s.as_u16()), Some(404));
    // Its own organisation still works.
    assert!(app.admin.list_users("").await.is_ok());

    // A customer's admin cannot grant itself anything, nor create organisations.
    let r = a.admin.grant(a.org.id, app.root_org).await;
    assert_eq!(r.unwrap_err().status().map(|s| s.as_u16()), Some(403));
}
