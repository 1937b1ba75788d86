//! The layout every page shares, and the area pages.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use firebreak_app::AppResult;
use firebreak_domain::permission::Action;
use firebreak_types::{Case, CaseQuery, CaseState, ErrorCode};
use serde::Deserialize;

use super::session::{WebCaller, render};
use crate::auth::{Caller, Principal};
use crate::error::ApiError;
use crate::state::AppState;

/// A part of a page loaded beside the page's point (a picker's choices, the
/// comments, the story an alert belongs to): the page is still worth showing
/// without it, so a failure does not fail the page; it is logged, and the
/// template says the part could not be loaded instead of drawing it empty.
pub enum Section<T> {
    /// Loaded.
    Shown(T),
    /// Not the caller's to see (refused, or gone): the page leaves it out,
    /// as it would leave out an empty one.
    Hidden,
    /// Could not be loaded; the error is in the server log.
    Failed,
}

impl<T> Section<T> {
    /// The part, from what its use case answered; `what` names it in the log.
    pub fn load(result: AppResult<T>, what: &'static str) -> Self {
        match result {
            Ok(v) => Section::Shown(v),
            Err(e) if matches!(e.code, ErrorCode::Forbidden | ErrorCode::NotFound) => Section::Hidden,
            Err(e) => {
                tracing::error!(error = %e, part = what, "a page could not load one of its parts");
                Section::Failed
            }
        }
    }

    /// The part, when it was loaded.
    pub fn shown(&self) -> Option<&T> {
        match self {
            Section::Shown(v) => Some(v),
            Section::Hidden | Section::Failed => None,
        }
    }

    /// Whether the page must say the part could not be loaded.
    pub fn failed(&self) -> bool {
        matches!(self, Section::Failed)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Section<U> {
        match self {
            Section::Shown(v) => Section::Shown(f(v)),
            Section::Hidden => Section::Hidden,
            Section::Failed => Section::Failed,
        }
    }
}

impl<T> Section<Vec<T>> {
    /// The list, or none when it is not shown.
    pub fn items(&self) -> &[T] {
        self.shown().map_or(&[], Vec::as_slice)
    }
}

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
    /// Webhooks, SLA targets and story grouping.
    pub can_settings: bool,
    pub notice: String,
    pub error: String,
    /// The caller's unread notifications.
    pub unread: u64,
    /// Parts of the layout that could not be loaded (logged), said in a notice.
    pub unavailable: Vec<&'static str>,
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
        let mut unavailable = Vec::new();
        let known = Section::load(firebreak_app::service::acting_orgs(state, caller).await, "organisations");
        let unread = Section::load(firebreak_app::work::unread_count(state, caller).await, "unread count");
        if known.failed() {
            unavailable.push("the organisations you work in");
        }
        if unread.failed() {
            unavailable.push("your unread notifications");
        }
        let orgs = known
            .items()
            .iter()
            .map(|o| OrgChoice { id: o.id.to_string(), name: o.name.clone(), selected: o.id == caller.org.id })
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
            can_settings: caller.may(Action::OrgSettings),
            notice: flash.notice,
            error: flash.error,
            unread: unread.shown().copied().unwrap_or(0),
            unavailable,
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
    /// Cases other organisations share with this one: the row and its owner.
    shared: Vec<(CaseRow, String)>,
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
    let shared = match firebreak_app::shares::shared_with_us(&s, &c).await {
        Ok(v) => v.iter().map(|x| (CaseRow::from(&x.case), x.owner_org_name.clone())).collect(),
        Err(e) => return ApiError::from(e).into_response(),
    };
    render(&CasesPage { layout, rows, shared, total: page.total.unwrap_or(0), states, q: f.q })
}
