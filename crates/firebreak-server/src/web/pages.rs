//! The layout every page shares, and the area pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use firebreak_domain::permission::Action;
use firebreak_types::{Case, CaseQuery, CaseState};
use serde::Deserialize;

use super::session::{WebCaller, render};
use crate::auth::{Caller, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// An organisation in the switcher.
pub struct OrgChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// What the shared layout shows: who, where, what they may open.
pub struct Layout {
    pub title: String,
    pub section: &'static str,
    pub user_name: String,
    pub role_label: String,
    pub org_name: String,
    pub orgs: Vec<OrgChoice>,
    pub csrf: String,
    pub can_users: bool,
    pub can_keys: bool,
    pub can_audit: bool,
    pub notice: String,
    pub error: String,
    /// The caller's unread notifications.
    pub unread: u64,
}

/// `?notice=` and `?error=` carried over a redirect after a form.
#[derive(Deserialize, Default)]
pub struct Flash {
    #[serde(default)]
    pub notice: String,
    #[serde(default)]
    pub error: String,
}

impl Layout {
    pub async fn new(state: &AppState, caller: &Caller, title: &str, section: &'static str, flash: Flash) -> Layout {
        let known = firebreak_app::service::acting_orgs(state, caller).await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not read the organisations for the picker");
            Vec::new()
        });
        let orgs = known
            .into_iter()
            .map(|o| OrgChoice { id: o.id.to_string(), name: o.name, selected: o.id == caller.org.id })
            .collect();
        let user_name = match &caller.principal {
            Principal::User(u) if !u.display_name.is_empty() => u.display_name.clone(),
            _ => caller.name().to_owned(),
        };
        Layout {
            title: title.to_owned(),
            section,
            user_name,
            role_label: caller.role.label().to_owned(),
            org_name: caller.org.name.clone(),
            orgs,
            csrf: caller.csrf_token.clone().unwrap_or_default(),
            can_users: caller.may(Action::UserRead),
            can_keys: caller.may(Action::ApiKeyManage),
            can_audit: caller.may(Action::AuditRead),
            notice: flash.notice,
            error: flash.error,
            unread: firebreak_app::work::unread_count(state, caller).await.unwrap_or(0),
        }
    }
}

pub async fn home() -> Redirect {
    Redirect::to("/alerts")
}

/// A case row as the list shows it.
pub struct CaseRow {
    pub id: String,
    pub sla: &'static str,
    pub number: i64,
    pub title: String,
    pub state: &'static str,
    pub priority: String,
    pub severity: String,
    pub category: String,
    pub tags: String,
    pub updated: String,
}

impl From<&Case> for CaseRow {
    fn from(c: &Case) -> Self {
        let text = |v: serde_json::Value| v.as_str().unwrap_or("—").to_owned();
        CaseRow {
            id: c.id.to_string(),
            sla: c.sla.map_or("due", |s| s.worst().as_str()),
            number: c.number,
            title: c.title.clone(),
            state: c.state.as_str(),
            priority: text(serde_json::json!(c.priority)),
            severity: c.severity.map_or_else(|| "—".to_owned(), |s| text(serde_json::json!(s))),
            category: c.category.clone().unwrap_or_else(|| "—".into()).replace('_', " "),
            tags: c.tags.join(", "),
            updated: super::admin::when(c.updated_at),
        }
    }
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    layout: Layout,
    rows: Vec<CaseRow>,
    total: u64,
    states: Vec<(&'static str, bool)>,
    q: String,
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
}

pub async fn cases(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<CasesQuery>) -> Response {
    let query = CaseQuery {
        state: CaseState::parse(&f.state),
        q: Some(f.q.clone()).filter(|q| !q.is_empty()),
        limit: Some(200),
        total: Some(true),
        ..CaseQuery::default()
    };
    let page = match firebreak_app::cases::list_cases(&s, &c, &query).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let layout = Layout::new(&s, &c, "Cases", "cases", Flash::default()).await;
    let states = CaseState::ALL.iter().map(|st| (st.as_str(), st.as_str() == f.state)).collect();
    let rows = page.items.iter().map(CaseRow::from).collect();
    render(&CasesPage { layout, rows, total: page.total.unwrap_or(0), states, q: f.q })
}
