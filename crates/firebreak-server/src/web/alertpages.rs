//! The alert queue, the alert page and the stories (alert groups). Triage
//! actions go through the JSON API from the page's script, like every other
//! change.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use firebreak_types::{
    Alert, AlertComment, AlertGroup, AlertGroupDetail, AlertGroupQuery, AlertQuery, AlertState, CaseTemplate,
    Criticality, ListParams, Severity, User,
};
use serde::Deserialize;
use uuid::Uuid;

use super::admin::when;
use super::casepages::text;
use super::markdown::markdown_html;
use super::pages::{Flash, Layout, Section};
use super::session::{WebCaller, render};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use firebreak_app::{alerts, detection, service, stories, work};
use std::collections::HashMap;

pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub source: String,
    pub rule: String,
    /// The library's rule that raised it (page id, title), when a Sigma rule did.
    pub rule_link: Option<(String, String)>,
    pub severity: String,
    pub state: &'static str,
    pub occurrences: i64,
    pub last_seen: String,
    pub event_time: String,
    pub rank: i64,
    /// Why it ranks where it does, shown on hover.
    pub rank_reason: String,
}

impl From<&Alert> for AlertRow {
    fn from(a: &Alert) -> Self {
        AlertRow {
            id: a.id.to_string(),
            title: a.title.clone(),
            source: a.source.clone(),
            rule: a.rule.clone().unwrap_or_default(),
            rule_link: None,
            severity: text(&a.severity),
            state: a.state.as_str(),
            occurrences: a.occurrences,
            last_seen: when(a.last_seen),
            event_time: when(a.event_time),
            rank: a.triage_rank,
            rank_reason: reason_of(a, &HashMap::new()),
        }
    }
}

/// The rank's reason with the names and criticality of the assets known.
fn reason_of(a: &Alert, assets: &HashMap<Uuid, (String, Criticality)>) -> String {
    let touched: Vec<(String, Criticality)> = a.assets.iter().filter_map(|id| assets.get(id).cloned()).collect();
    firebreak_domain::triage::rank_reason(a.severity, a.triage_rank, &touched)
}

/// Rows with their rules' titles linked to the rule pages, where the
/// library has the rule (Sigma rules; another source's rule name stays text).
async fn with_rules(s: &AppState, c: &Caller, rows: &mut [AlertRow]) {
    let names: Vec<&str> = rows.iter().map(|r| r.rule.as_str()).filter(|r| !r.is_empty()).collect();
    if names.is_empty() {
        return;
    }
    let found = Section::load(detection::by_sigma_id(s, c, &names).await, "rule titles");
    let Some(found) = found.shown() else { return };
    for r in rows.iter_mut() {
        if let Some((id, title)) = found.get(&r.rule) {
            r.rule_link = Some((id.to_string(), title.clone()));
        }
    }
}

/// The organisation's enabled users, for assignee pickers.
async fn people(s: &AppState, c: &Caller) -> Section<Vec<User>> {
    let params = ListParams { limit: Some(1000), ..ListParams::default() };
    Section::load(service::list_users(s, c, &params).await, "users")
        .map(|p| p.items.into_iter().filter(|u| !u.disabled).collect())
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<AlertRow>,
    total: u64,
    f: QueueQuery,
    users: Section<Vec<User>>,
    assets: Section<Vec<(String, String)>>,
    templates: Section<Vec<CaseTemplate>>,
    /// The signed-in user, for "mine" and the saved views' key.
    me: String,
    /// The first row's position in the whole list (1-based), and the last's.
    from: u64,
    to: u64,
    /// The link to the next page, if there is one.
    next: Option<String>,
    /// The link to the first page, when this is not it.
    first: Option<String>,
}

/// Rows a queue page shows.
const QUEUE_PAGE: u32 = 100;

#[derive(Deserialize, Default, Clone)]
pub struct QueueQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    asset: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    q: String,
    /// The keyset cursor of this page (the previous page's `next`).
    #[serde(default)]
    after: String,
    /// How many rows the pages before this one showed.
    #[serde(default)]
    seen: u64,
}

impl QueueQuery {
    /// The query string of these filters, without paging.
    fn filters(&self) -> String {
        let pairs = [
            ("state", &self.state),
            ("severity", &self.severity),
            ("source", &self.source),
            ("rule", &self.rule),
            ("assignee", &self.assignee),
            ("asset", &self.asset),
            ("tag", &self.tag),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", urlencoding(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// A query-string value, percent-encoded.
fn urlencoding(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The queue: alerts highest triage rank first (severity raised by the
/// criticality of the assets touched), then newest, a page at a time read
/// by keyset (`after`: the rank and id of the last row before), so that a
/// deep page costs what the first does. `state=open` is new and in triage
/// together ("mine" with `assignee`).
pub async fn queue(State(s): State<AppState>, WebCaller(c): WebCaller, Query(mut f): Query<QueueQuery>) -> Response {
    if f.state.is_empty() {
        f.state = "new".into();
    }
    let state = match f.state.as_str() {
        "new" => Some(AlertState::New),
        "in_triage" => Some(AlertState::InTriage),
        "closed" => Some(AlertState::Closed),
        "escalated" => Some(AlertState::Escalated),
        _ => None,
    };
    let severity = serde_json::from_value::<Severity>(serde_json::Value::String(f.severity.clone())).ok();
    let query = AlertQuery {
        state,
        open: (f.state == "open").then_some(true),
        severity,
        source: some(&f.source),
        rule: some(&f.rule),
        assignee_id: f.assignee.parse().ok(),
        asset_id: f.asset.parse().ok(),
        tag: some(&f.tag),
        q: some(&f.q),
        sort: Some("-triage_rank".into()),
        limit: Some(QUEUE_PAGE),
        after: some(&f.after),
        total: Some(true),
        ..AlertQuery::default()
    };
    let page = match alerts::list_alerts(&s, &c, &query).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let users = people(&s, &c).await;
    let all_assets = Section::load(
        firebreak_app::assets::list_assets(&s, &c, &firebreak_app::assets::AssetQuery::default()).await,
        "assets",
    );
    let known: HashMap<Uuid, (String, Criticality)> =
        all_assets.items().iter().map(|a| (a.id, (a.name.clone(), a.criticality))).collect();
    let assets = all_assets.map(|v| v.into_iter().map(|a| (a.id.to_string(), a.name)).collect());
    let templates = Section::load(work::list_templates(&s, &c).await, "case templates");
    let layout = Layout::new(&s, &c, "Alerts", "alerts", Flash::default()).await;
    let mut rows: Vec<AlertRow> =
        page.items.iter().map(|a| AlertRow { rank_reason: reason_of(a, &known), ..AlertRow::from(a) }).collect();
    with_rules(&s, &c, &mut rows).await;
    let me = match &c.principal {
        firebreak_app::auth::Principal::User(u) => u.id.to_string(),
        firebreak_app::auth::Principal::ApiKey(_) => String::new(),
    };
    let shown = rows.len() as u64;
    let base = f.filters();
    let next = page.next.as_ref().map(|n| format!("/alerts?{base}&after={}&seen={}", urlencoding(n), f.seen + shown));
    let first = (!f.after.is_empty()).then(|| format!("/alerts?{base}"));
    let (from, to) = if shown == 0 { (0, 0) } else { (f.seen + 1, f.seen + shown) };
    render(&QueuePage {
        layout,
        rows,
        total: page.total.unwrap_or(0),
        f,
        users,
        assets,
        templates,
        me,
        from,
        to,
        next,
        first,
    })
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
    templates: Section<Vec<CaseTemplate>>,
    assets: Section<Vec<firebreak_types::AssetWithContacts>>,
    users: Section<Vec<User>>,
    assignee: String,
    /// (author, when, body as HTML)
    comments: Section<Vec<(String, String, String)>>,
    /// Files attached to the alert, with their download links.
    attachments: Section<Vec<firebreak_types::AlertAttachment>>,
    story: Section<Option<(AlertGroup, Vec<AlertRow>)>>,
    next: Option<String>,
    /// The library's rule that raised it (page id, title), when a Sigma rule did.
    rule_link: Option<(String, String)>,
    /// Open cases the alert can be merged into, those that saw its
    /// observables first: (id, "#12 Title (phase)").
    open_cases: Section<Vec<(String, String)>>,
    /// The impact and urgency a new case would start with, from the alert.
    levels: (&'static str, &'static str),
}

/// Open cases to merge an alert into: those that share its observables
/// first, then the most recently changed.
async fn open_cases(s: &AppState, c: &Caller, seen_in: &[Uuid]) -> firebreak_app::AppResult<Vec<(String, String)>> {
    let q = firebreak_types::CaseQuery {
        sort: Some("-updated_at".into()),
        limit: Some(200),
        ..firebreak_types::CaseQuery::default()
    };
    let mut open: Vec<firebreak_types::Case> =
        firebreak_app::cases::list_cases(s, c, &q).await?.items.into_iter().filter(|k| k.state.is_active()).collect();
    open.sort_by_key(|k| !seen_in.contains(&k.id));
    Ok(open
        .into_iter()
        .map(|k| {
            let shared = if seen_in.contains(&k.id) { " · shares an observable" } else { "" };
            (k.id.to_string(), format!("#{} {} ({}){shared}", k.number, k.title, k.state.as_str()))
        })
        .collect())
}

/// The next open alert of the queue after this one.
async fn next_alert(s: &AppState, c: &Caller, id: Uuid) -> Option<String> {
    let q = AlertQuery {
        state: Some(AlertState::New),
        sort: Some("-triage_rank".into()),
        limit: Some(2),
        ..AlertQuery::default()
    };
    let page = Section::load(alerts::list_alerts(s, c, &q).await, "next alert");
    page.shown()?.items.iter().map(|a| a.id).find(|a| *a != id).map(|a| a.to_string())
}

pub async fn alert_page(State(s): State<AppState>, WebCaller(c): WebCaller, Path(id): Path<Uuid>) -> Response {
    let alert = match alerts::get_alert(&s, &c, id).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let sightings = match alerts::alert_sightings(&s, &c, &alert).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let templates = Section::load(work::list_templates(&s, &c).await, "case templates");
    let assets = Section::load(alerts::alert_assets(&s, &c, id).await, "alert assets");
    let seen_in: Vec<Uuid> = sightings.iter().flat_map(|(_, _, cases)| cases.iter().map(|x| x.case_id)).collect();
    let open_cases = Section::load(open_cases(&s, &c, &seen_in).await, "open cases");
    let (impact, urgency) = firebreak_domain::triage::case_levels([&alert]);
    let observables = sightings
        .into_iter()
        .map(|(o, alerts, cases)| {
            (o.kind, o.value, alerts.len(), cases.into_iter().map(|x| (x.case_id.to_string(), x.case_number)).collect())
        })
        .collect();
    let users = people(&s, &c).await;
    // Without the users' names an assignee still shows, as an id.
    let assignee = alert
        .assignee_id
        .and_then(|a| match users.items().iter().find(|u| u.id == a) {
            Some(u) => Some(u.username.clone()),
            None => users.failed().then(|| a.to_string()),
        })
        .unwrap_or_default();
    let comments = Section::load(alerts::comments(&s, &c, id).await, "alert comments")
        .map(|v| v.into_iter().map(|k: AlertComment| (k.author, when(k.created_at), markdown_html(&k.body))).collect());
    let attachments = Section::load(firebreak_app::alert_attachments::list(&s, &c, id).await, "alert attachments");
    // A story of one alert is no story; one since removed is none either.
    let story = match alert.group_id {
        Some(g) => Section::load(stories::get_group(&s, &c, g).await, "story").map(|d| {
            (d.group.alert_count > 1).then(|| (d.group, d.alerts.iter().take(20).map(AlertRow::from).collect()))
        }),
        None => Section::Shown(None),
    };
    let next = next_alert(&s, &c, id).await;
    let mut me = [AlertRow::from(&alert)];
    with_rules(&s, &c, &mut me).await;
    let [AlertRow { rule_link, .. }] = me;
    let layout = Layout::new(&s, &c, &alert.title, "alerts", Flash::default()).await;
    render(&AlertPage {
        layout,
        id: alert.id.to_string(),
        severity: text(&alert.severity),
        state: alert.state.as_str(),
        open: matches!(alert.state, AlertState::New | AlertState::InTriage),
        description_html: markdown_html(&alert.description),
        raw: pretty_raw(&alert.raw),
        observables,
        templates,
        assets,
        users,
        assignee,
        comments,
        attachments,
        story,
        next,
        open_cases,
        levels: (impact.as_str(), urgency.as_str()),
        rule_link,
        alert,
    })
}

#[derive(Template)]
#[template(path = "stories.html")]
struct StoriesPage {
    layout: Layout,
    groups: Vec<AlertGroup>,
    /// The organisation's grouping settings, shown above the list.
    rules: Section<firebreak_types::GroupingSettings>,
}

/// Stories: alerts grouped by shared hosts, users, addresses and hashes,
/// below the rules that join them.
pub async fn stories(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let q = AlertGroupQuery { limit: Some(200), ..AlertGroupQuery::default() };
    let groups = match stories::list_groups(&s, &c, &q).await {
        Ok(p) => p.items,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rules = Section::load(stories::get_grouping(&s, &c).await, "grouping settings");
    let layout = Layout::new(&s, &c, "Stories", "alerts", Flash::default()).await;
    render(&StoriesPage { layout, groups, rules })
}

#[derive(Template)]
#[template(path = "story.html")]
struct StoryPage {
    layout: Layout,
    d: AlertGroupDetail,
    id: String,
    severity: String,
    rows: Vec<AlertRow>,
    open: usize,
    templates: Section<Vec<CaseTemplate>>,
}

/// One story: its timeline, its entities, and one escalation for all of it.
pub async fn story(State(s): State<AppState>, WebCaller(c): WebCaller, Path(id): Path<Uuid>) -> Response {
    let d = match stories::get_group(&s, &c, id).await {
        Ok(d) => d,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let templates = Section::load(work::list_templates(&s, &c).await, "case templates");
    let layout = Layout::new(&s, &c, &d.group.title, "alerts", Flash::default()).await;
    let rows = d.alerts.iter().map(AlertRow::from).collect();
    let open = d.alerts.iter().filter(|a| matches!(a.state, AlertState::New | AlertState::InTriage)).count();
    render(&StoryPage { layout, id: id.to_string(), severity: text(&d.group.severity), rows, open, templates, d })
}

/// The raw event indented for reading, or as it came if it cannot be read
/// as a tree.
fn pretty_raw(raw: &firebreak_types::RawEvent) -> String {
    serde_json::from_str::<serde_json::Value>(raw.get())
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| raw.get().to_owned())
}
