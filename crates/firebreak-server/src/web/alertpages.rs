//! The alert queue and the alert page. Triage actions go through the JSON
//! API from the page's script, like every other change.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use firebreak_types::{Alert, AlertQuery, AlertState, CaseTemplate, Severity};
use serde::Deserialize;
use uuid::Uuid;

use super::admin::when;
use super::casepages::markdown_html;
use super::pages::{Flash, Layout};
use super::session::{WebCaller, render};
use crate::state::AppState;
use crate::{intake, work};

pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub source: String,
    pub severity: String,
    pub state: &'static str,
    pub occurrences: i64,
    pub last_seen: String,
}

fn sev(s: Severity) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl From<&Alert> for AlertRow {
    fn from(a: &Alert) -> Self {
        AlertRow {
            id: a.id.to_string(),
            title: a.title.clone(),
            source: a.source.clone(),
            severity: sev(a.severity),
            state: a.state.as_str(),
            occurrences: a.occurrences,
            last_seen: when(a.last_seen),
        }
    }
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<AlertRow>,
    total: u64,
    state: String,
    severity: String,
    q: String,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    q: String,
}

/// The queue: open alerts, most severe first, then newest.
pub async fn queue(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<QueueQuery>) -> Response {
    let state = match f.state.as_str() {
        "" | "new" => Some(AlertState::New),
        "in_triage" => Some(AlertState::InTriage),
        "closed" => Some(AlertState::Closed),
        "escalated" => Some(AlertState::Escalated),
        _ => None,
    };
    let severity = serde_json::from_value::<Severity>(serde_json::Value::String(f.severity.clone())).ok();
    let query = AlertQuery {
        state,
        severity,
        q: Some(f.q.clone()).filter(|q| !q.is_empty()),
        sort: Some("-triage_rank".into()),
        limit: Some(200),
        total: Some(true),
        ..AlertQuery::default()
    };
    let page = match intake::list_alerts(&s, &c, &query).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let layout = Layout::new(&s, &c, "Alerts", "alerts", Flash::default()).await;
    let rows = page.items.iter().map(AlertRow::from).collect();
    let state = if f.state.is_empty() { "new".to_owned() } else { f.state };
    render(&QueuePage { layout, rows, total: page.total.unwrap_or(0), state, severity: f.severity, q: f.q })
}

/// An observable row: type, value, how many other alerts saw it, the cases that did (id, number).
type ObservableRow = (String, String, usize, Vec<(String, i64)>);

#[derive(Template)]
#[template(path = "alert_page.html")]
struct AlertPage {
    layout: Layout,
    alert: Alert,
    id: String,
    severity: String,
    state: &'static str,
    open: bool,
    description_html: String,
    raw: String,
    /// (type, value, other alerts, cases as (id, number))
    observables: Vec<ObservableRow>,
    templates: Vec<CaseTemplate>,
    assets: Vec<firebreak_types::AssetWithContacts>,
}

pub async fn alert_page(State(s): State<AppState>, WebCaller(c): WebCaller, Path(id): Path<Uuid>) -> Response {
    let alert = match intake::get_alert(&s, &c, id).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let sightings = match intake::alert_sightings(&s, &c, &alert).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let templates = work::list_templates(&s, &c).await.unwrap_or_default();
    let assets = intake::alert_assets(&s, &c, id).await.unwrap_or_default();
    let observables = sightings
        .into_iter()
        .map(|(o, alerts, cases)| {
            (o.kind, o.value, alerts.len(), cases.into_iter().map(|x| (x.case_id.to_string(), x.case_number)).collect())
        })
        .collect();
    let layout = Layout::new(&s, &c, &alert.title, "alerts", Flash::default()).await;
    render(&AlertPage {
        layout,
        id: alert.id.to_string(),
        severity: sev(alert.severity),
        state: alert.state.as_str(),
        open: matches!(alert.state, AlertState::New | AlertState::InTriage),
        description_html: markdown_html(&alert.description),
        raw: serde_json::to_string_pretty(&alert.raw).unwrap_or_default(),
        observables,
        templates,
        assets,
        alert,
    })
}
