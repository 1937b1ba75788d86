//! The permission table, proven over HTTP.
//!
//! EVERY ACTION HAS PROBES in `probes`: requests that need it. The `match`
//! there has no wildcard arm, so a new action does not compile until it has
//! one. Each probe is sent as a key of every role: a role the table refuses
//! must be answered 403 `forbidden`, a role it allows must not be. A
//! permission that no code checks fails here.

use firebreak_client::Client;
use firebreak_domain::permission::{Action, allows};
use firebreak_types::{Case, Role};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, spawn_app};

/// One request that needs an action.
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
}

fn get(path: impl Into<String>) -> Probe {
    Probe { method: Method::GET, path: path.into(), body: None }
}

fn send(method: Method, path: impl Into<String>, body: Value) -> Probe {
    Probe { method, path: path.into(), body: Some(body) }
}

/// What the probes are made from: an admin key of the organisation, for
/// objects each probe needs fresh (a case another role already closed would
/// prove nothing).
struct Fixtures {
    admin: Client,
    org: Uuid,
    admin_user: Uuid,
}

impl Fixtures {
    async fn case(&self) -> Case {
        self.admin
            .post("/api/v1/cases", &json!({ "title": "Probe case", "impact": "low", "urgency": "low" }))
            .await
            .unwrap()
    }

    /// A case in analysis with all it needs to close.
    async fn closable_case(&self) -> Case {
        let case: Case = self
            .admin
            .post(
                "/api/v1/cases",
                &json!({ "title": "Probe case", "assignee_id": self.admin_user, "severity": "high", "category": "malware" }),
            )
            .await
            .unwrap();
        let path = format!("/api/v1/cases/{}", case.id);
        let _: Case = self.admin.post(&format!("{path}/transition"), &json!({ "state": "analysis" })).await.unwrap();
        let closing = json!({
            "resolution": "false_positive", "summary": "Nothing happened",
            "review_status": "waived", "review_waiver_reason": "a false positive"
        });
        self.admin.patch(&path, &closing).await.unwrap()
    }

    /// A case whose review is completed.
    async fn reviewed_case(&self) -> Case {
        let case = self.case().await;
        let review = json!({ "summary": "s", "root_cause": "r", "to_improve": "t", "complete": true });
        let _: Value = self.admin.put(&format!("/api/v1/cases/{}/review", case.id), &review).await.unwrap();
        case
    }

    async fn closed_case(&self) -> Case {
        let case = self.closable_case().await;
        self.admin.post(&format!("/api/v1/cases/{}/transition", case.id), &json!({ "state": "closed" })).await.unwrap()
    }
}

/// The requests that need `action`.
async fn probes(action: Action, fx: &Fixtures) -> Vec<Probe> {
    let nothing = Uuid::now_v7();
    match action {
        Action::OrgRead => vec![get("/api/v1/orgs")],
        Action::OrgManage => {
            vec![send(Method::PATCH, format!("/api/v1/orgs/{}", fx.org), json!({ "description": "probed" }))]
        }
        Action::UserRead => vec![get("/api/v1/users")],
        Action::UserManage => {
            vec![send(Method::PATCH, format!("/api/v1/users/{nothing}"), json!({ "display_name": "probed" }))]
        }
        Action::ApiKeyManage => vec![
            get("/api/v1/api-keys"),
            send(Method::POST, "/api/v1/api-keys", json!({ "name": "probe", "role": "stakeholder" })),
        ],
        Action::AuditRead => vec![get("/api/v1/audit")],
        Action::AuditVerify => vec![get("/api/v1/audit/verify")],
        Action::LiveSubscribe => vec![get("/api/v1/live")],
        Action::AlertRead => vec![get("/api/v1/alerts")],
        Action::AlertIngest => vec![send(
            Method::POST,
            "/api/v1/alerts",
            json!({ "source": "probe", "source_ref": Uuid::now_v7(), "type": "probe", "title": "Probe", "severity": "low" }),
        )],
        Action::AlertTriage => vec![send(Method::POST, format!("/api/v1/alerts/{nothing}/take"), json!({}))],
        Action::CaseRead => {
            let case = fx.case().await;
            vec![get("/api/v1/cases"), get(format!("/api/v1/cases/{}", case.id))]
        }
        Action::CaseWrite => {
            let (case, ready) = (fx.case().await, fx.closable_case().await);
            vec![
                send(Method::POST, "/api/v1/cases", json!({ "title": "Probe" })),
                send(Method::PATCH, format!("/api/v1/cases/{}", case.id), json!({ "title": "Renamed" })),
                // Moving between working phases is case work, not management.
                send(Method::POST, format!("/api/v1/cases/{}/transition", ready.id), json!({ "state": "containment" })),
                send(Method::PUT, format!("/api/v1/cases/{}/review", case.id), json!({ "summary": "A draft" })),
            ]
        }
        Action::CaseManage => {
            let (fresh, other, closable, closed, reviewed) = (
                fx.case().await,
                fx.case().await,
                fx.closable_case().await,
                fx.closed_case().await,
                fx.reviewed_case().await,
            );
            let case = |id: Uuid, rest: &str| format!("/api/v1/cases/{id}{rest}");
            let review = json!({ "summary": "s", "root_cause": "r", "to_improve": "t", "complete": true });
            vec![
                send(Method::POST, case(fresh.id, "/transition"), json!({ "state": "cancelled", "reason": "probe" })),
                send(Method::POST, case(closable.id, "/transition"), json!({ "state": "closed" })),
                send(
                    Method::POST,
                    case(closed.id, "/transition"),
                    json!({ "state": "analysis", "reason": "new facts" }),
                ),
                send(Method::POST, case(other.id, "/transition"), json!({ "state": "merged", "merge_into": fresh.id })),
                send(Method::PATCH, case(fresh.id, ""), json!({ "impact": "high" })),
                send(Method::PATCH, case(fresh.id, ""), json!({ "urgency": "high" })),
                send(
                    Method::PATCH,
                    case(fresh.id, ""),
                    json!({ "review_status": "waived", "review_waiver_reason": "probe" }),
                ),
                send(Method::PUT, case(fresh.id, "/review"), review),
                // Rewriting a completed review would reopen it.
                send(Method::PUT, case(reviewed.id, "/review"), json!({ "summary": "Rewritten" })),
            ]
        }
        Action::AssetRead => vec![get("/api/v1/assets")],
        Action::AssetWrite => vec![send(Method::DELETE, format!("/api/v1/assets/{nothing}"), json!({}))],
        Action::RuleRead => vec![get("/api/v1/rules")],
        Action::RuleManage => vec![send(Method::POST, "/api/v1/rules/_import", json!({ "files": [] }))],
        Action::MetricsRead => vec![get("/api/v1/metrics")],
        Action::ReportGenerate => vec![get("/reports")],
        Action::OrgSettings => vec![send(Method::DELETE, format!("/api/v1/templates/{nothing}"), json!({}))],
        Action::NotificationRead => vec![get("/api/v1/notifications")],
    }
}

/// A key of each role in one organisation, made by its admin.
async fn keys_of_every_role(app: &TestApp, admin: &Client) -> Vec<(Role, Client)> {
    let mut keys = Vec::new();
    for role in Role::ALL {
        let (_, client) = app.key(admin, &format!("probe-{}", role.as_str()), role).await;
        keys.push((role, client));
    }
    keys
}

#[tokio::test]
async fn every_action_is_enforced_as_the_table_says() {
    let app = spawn_app().await;
    let t = app.tenant("Probed").await;
    let (_, admin) = app.key(&t.admin, "fixtures", Role::Admin).await;
    let fx = Fixtures { admin, org: t.org.id, admin_user: t.admin_user.id };
    let callers = keys_of_every_role(&app, &t.admin).await;
    let mut wrong = Vec::new();
    let mut sent = 0;
    for action in Action::all() {
        for (role, client) in &callers {
            for p in probes(action, &fx).await {
                let mut req = client.request(p.method.clone(), &p.path);
                if let Some(body) = &p.body {
                    req = req.json(body);
                }
                let resp = req.send().await.unwrap();
                sent += 1;
                let status = resp.status().as_u16();
                // Only a refusal's body is read: the live stream's never ends.
                let code = if status == 403 {
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    body["code"].as_str().unwrap_or_default().to_owned()
                } else {
                    String::new()
                };
                let allowed = allows(*role, action);
                let ok = if allowed { status != 403 } else { status == 403 && code == "forbidden" };
                if !ok {
                    let expected = if allowed { "allowed" } else { "refused" };
                    wrong.push(format!(
                        "{action:?} as {}: {} {} answered {status} {code}, the table says {expected}",
                        role.as_str(),
                        p.method,
                        p.path
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {sent} probes disagree with the table:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test]
async fn case_pages_offer_only_the_moves_the_caller_may_make() {
    let app = spawn_app().await;
    let case: Case = app.admin.post("/api/v1/cases", &json!({ "title": "Offered moves" })).await.unwrap();
    let page = |client: Client, path: String| async move {
        let resp = client.request(Method::GET, &path).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        resp.text().await.unwrap()
    };
    let (_, analyst) = app.key(&app.admin, "analyst", Role::AnalystL1).await;
    let (_, manager) = app.key(&app.admin, "manager", Role::IncidentManager).await;
    let case_path = format!("/cases/{}", case.id);

    let html = page(analyst.clone(), case_path.clone()).await;
    assert!(html.contains(r#"<option value="analysis">"#));
    assert!(!html.contains(r#"<option value="cancelled">"#) && !html.contains(r#"<option value="merged">"#));
    assert!(!html.contains(r#"name="complete""#), "an analyst cannot complete the review");
    let board = page(analyst, "/cases/board".into()).await;
    assert!(board.contains(r#"class="column locked" data-state="closed""#), "the closed column takes no card");

    let html = page(manager.clone(), case_path).await;
    assert!(html.contains(r#"<option value="cancelled">"#) && html.contains(r#"<option value="merged">"#));
    assert!(html.contains(r#"name="complete""#));
    let board = page(manager, "/cases/board".into()).await;
    assert!(!board.contains("column locked"));
}
