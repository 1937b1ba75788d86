//! The case pages: the board (one column per phase), the case page with
//! everything a case holds, the new-case form, and the asset inventory.
//! Changes go through the JSON API from the page's script, with the
//! session's CSRF token, so the rules and the audit trail are the API's.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use firebreak_domain::attack::attack;
use firebreak_domain::case::{allowed_targets, transition_action};
use firebreak_domain::permission::Action;
use firebreak_types::{AuditQuery, Case, CaseQuery, CaseState, CaseTemplate, SlaClock, SlaState, TimelineEntry};
use uuid::Uuid;

use super::admin::when;
use super::markdown::markdown_html;
use super::pages::{Flash, Layout, Section};
use super::session::{WebCaller, render};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::state::AppState;
use firebreak_app::{assets, cases, evidence, incident, work};

pub(super) fn text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn label(s: &str) -> String {
    s.replace('_', " ")
}

fn duration(secs: i64) -> String {
    let neg = secs < 0;
    let s = secs.unsigned_abs();
    let body = if s >= 86_400 {
        format!("{}d {}h", s / 86_400, (s % 86_400) / 3600)
    } else if s >= 3600 {
        format!("{}h {}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}m", s / 60)
    };
    if neg { format!("-{body}") } else { body }
}

/// One SLA clock as the page draws it: a bar of used time against the target.
pub struct ClockView {
    pub name: &'static str,
    pub state: &'static str,
    pub percent: i64,
    pub detail: String,
}

fn clock_view(name: &'static str, c: &SlaClock) -> ClockView {
    let percent = if c.target_seconds > 0 { (c.used_seconds * 100 / c.target_seconds).clamp(0, 100) } else { 0 };
    let detail = match c.state {
        SlaState::Met => format!("met in {}", duration(c.used_seconds)),
        SlaState::Breached if c.left_seconds < 0 => format!("breached by {}", duration(-c.left_seconds)),
        _ if c.paused => format!("paused, {} left", duration(c.left_seconds)),
        _ => format!("{} left of {}", duration(c.left_seconds), duration(c.target_seconds)),
    };
    ClockView { name, state: c.state.as_str(), percent, detail }
}

/// A card on the board.
pub struct Card {
    pub id: String,
    pub number: i64,
    pub title: String,
    pub priority: String,
    pub severity: String,
    pub sla: &'static str,
    pub assignee: String,
    pub waiting: bool,
}

pub struct Column {
    pub state: &'static str,
    pub cards: Vec<Card>,
    /// Whether the caller may move cases into and out of this column: closing
    /// and reopening are case management, so the board offers them only to
    /// those who may.
    pub movable: bool,
}

#[derive(Template)]
#[template(path = "case_board.html")]
struct BoardPage {
    layout: Layout,
    columns: Vec<Column>,
}

/// Names of the organisation's users; without them a page shows ids, and
/// says why (see [`Names::note`]).
struct Names(Section<HashMap<Uuid, String>>);

impl Names {
    async fn load(state: &AppState, caller: &Caller) -> Names {
        Names(Section::load(firebreak_app::service::user_names(state, caller).await, "user names"))
    }

    /// A user's name; their id when the names could not be loaded.
    fn of(&self, id: Uuid) -> Option<String> {
        match &self.0 {
            Section::Shown(names) => names.get(&id).cloned(),
            Section::Failed => Some(id.to_string()),
            Section::Hidden => None,
        }
    }

    /// (id, name) of every user, by name, for pickers.
    fn sorted(&self) -> Vec<(String, String)> {
        let mut users: Vec<(String, String)> =
            self.0.shown().into_iter().flatten().map(|(id, n)| (id.to_string(), n.clone())).collect();
        users.sort_by(|a, b| a.1.cmp(&b.1));
        users
    }

    /// Tells the page's reader when names could not be loaded.
    fn note(&self, layout: &mut Layout) {
        if self.0.failed() {
            layout.unavailable.push("the users' names (ids are shown instead)");
        }
    }
}

pub async fn board(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let names = Names::load(&s, &c).await;
    let mut columns = Vec::new();
    for st in [
        CaseState::New,
        CaseState::Analysis,
        CaseState::Containment,
        CaseState::Eradication,
        CaseState::Recovery,
        CaseState::Review,
        CaseState::Closed,
    ] {
        let q = CaseQuery {
            state: Some(st),
            sort: Some(if st == CaseState::Closed { "-updated_at".into() } else { "priority".into() }),
            limit: Some(if st == CaseState::Closed { 20 } else { 200 }),
            ..CaseQuery::default()
        };
        let page = match cases::list_cases(&s, &c, &q).await {
            Ok(p) => p,
            Err(e) => return ApiError::from(e).into_response(),
        };
        let cards = page
            .items
            .iter()
            .map(|case| Card {
                id: case.id.to_string(),
                number: case.number,
                title: case.title.clone(),
                priority: text(&case.priority),
                severity: case.severity.map(|v| text(&v)).unwrap_or_default(),
                sla: case.sla.map_or("due", |s| s.worst().as_str()),
                assignee: case.assignee_id.and_then(|a| names.of(a)).unwrap_or_else(|| "unassigned".into()),
                waiting: case.waiting_reason.is_some(),
            })
            .collect();
        let movable = st.is_active() || c.may(Action::CaseManage);
        columns.push(Column { state: st.as_str(), cards, movable });
    }
    let mut layout = Layout::new(&s, &c, "Case board", "cases", Flash::default()).await;
    names.note(&mut layout);
    render(&BoardPage { layout, columns })
}

// ---------------------------------------------------------------------------
// The case page

pub struct TaskView {
    /// (when, author, body as HTML)
    pub log: Vec<(String, String, String)>,
    pub id: String,
    pub phase: &'static str,
    pub title: String,
    pub status: &'static str,
    pub done: bool,
    pub due: String,
    pub role: String,
}

pub struct ObservableView {
    pub kind: String,
    /// The type as the API names it, for the search of stored events.
    pub type_name: String,
    pub value: String,
    pub ioc: bool,
    pub class: String,
    pub sightings: Vec<(String, i64, String)>,
    /// How many other alerts carry it (at most 50 counted).
    pub alerts: usize,
}

/// An alert as the case page lists it.
pub struct AlertRow {
    pub id: String,
    pub title: String,
    pub state: String,
    pub severity: String,
    pub source: String,
    pub rule: String,
    pub occurrences: i64,
    pub last_seen: String,
}

impl AlertRow {
    pub(super) fn of(a: &firebreak_types::Alert) -> AlertRow {
        AlertRow {
            id: a.id.to_string(),
            title: a.title.clone(),
            state: label(a.state.as_str()),
            severity: text(&a.severity),
            source: a.source.clone(),
            rule: a.rule.clone().unwrap_or_default(),
            occurrences: a.occurrences,
            last_seen: when(a.last_seen),
        }
    }
}

/// An evidence file on the case page, with its chain of custody.
pub struct EvidenceView {
    pub id: String,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub stored_at: String,
    pub collected: String,
    /// EVTX, JSON or NDJSON: a file a hunt can read.
    pub huntable: bool,
    /// The last verification: Some(true) matched, Some(false) did not.
    pub verified: Option<bool>,
    pub verified_at: String,
    /// When, what, who, and what else it says (to, where, a note).
    pub custody: Vec<(String, String, String, String)>,
}

impl EvidenceView {
    fn of(e: firebreak_types::Evidence, custody: Vec<firebreak_types::CustodyEntry>) -> Self {
        let lower = e.filename.to_ascii_lowercase();
        let huntable = [".evtx", ".json", ".ndjson", ".jsonl"].iter().any(|x| lower.ends_with(x));
        let last = custody.iter().rev().find(|c| c.action == "verified" || c.action == "verify_failed");
        EvidenceView {
            id: e.id.to_string(),
            huntable,
            verified: last.map(|c| c.action == "verified"),
            verified_at: last.map(|c| when(c.at)).unwrap_or_default(),
            collected: format!(
                "{} from {}",
                e.collected_by,
                if e.collected_from.is_empty() { "—" } else { &e.collected_from }
            ),
            custody: custody
                .into_iter()
                .map(|c| {
                    let mut more = Vec::new();
                    if let Some(to) = c.to.filter(|t| !t.is_empty()) {
                        more.push(format!("to {to}"));
                    }
                    if let Some(at) = c.location.filter(|l| !l.is_empty()) {
                        more.push(format!("at {at}"));
                    }
                    if !c.note.is_empty() {
                        more.push(c.note);
                    }
                    (when(c.at), c.action.replace('_', " "), c.actor, more.join(" · "))
                })
                .collect(),
            filename: e.filename,
            size: e.size,
            sha256: e.sha256,
            stored_at: e.stored_at,
        }
    }
}

/// A hunt of an evidence file: how far it came and what it found.
pub struct HuntView {
    pub filename: String,
    pub status: &'static str,
    pub running: bool,
    pub events: u64,
    pub hits: u64,
    pub skipped: u64,
    pub started: String,
    pub detail: String,
}

impl HuntView {
    fn of(h: firebreak_types::HuntJob) -> Self {
        let mut detail = Vec::new();
        if let Some(e) = &h.error {
            detail.push(e.clone());
        }
        detail.extend(h.warnings.iter().take(3).cloned());
        HuntView {
            status: h.status.as_str(),
            running: h.status == firebreak_types::HuntStatus::Running,
            events: h.events,
            hits: h.hits,
            skipped: h.skipped,
            started: format!("{} by {}", when(h.started_at), h.started_by),
            detail: detail.join("; "),
            filename: h.filename,
        }
    }
}

/// The case page's tabs, in order: the query's `tab` and its label.
pub const CASE_TABS: [(&str, &str); 10] = [
    ("summary", "Summary"),
    ("alerts", "Alerts"),
    ("tasks", "Tasks"),
    ("observables", "Observables"),
    ("timeline", "Timeline"),
    ("evidence", "Evidence"),
    ("communications", "Communications"),
    ("response", "Response"),
    ("review", "Review"),
    ("history", "History"),
];

/// Which tab of the case page to open (`?tab=`); the summary if none or unknown.
#[derive(serde::Deserialize, Default)]
pub struct CaseTab {
    #[serde(default)]
    tab: String,
}

/// The kill-chain picture: one column per tactic, entries under theirs.
pub struct KillChain {
    pub width: i64,
    pub height: i64,
    pub columns: Vec<(i64, String, String)>,
    pub boxes: Vec<ChainBox>,
    /// Tactic ids that have entries, to highlight their columns.
    pub hit: Vec<String>,
}

pub struct ChainBox {
    pub x: i64,
    pub y: i64,
    pub w: i64,
    pub label: String,
    pub title: String,
    pub automatic: bool,
}

const COL_W: i64 = 96;

fn kill_chain(entries: &[TimelineEntry]) -> KillChain {
    let a = attack();
    // Every tactic in kill-chain order, then "Response" for entries without
    // a tactic (state changes, escalations, notes).
    let used: Vec<&firebreak_domain::attack::Tactic> = a.tactics.iter().collect();
    let mut columns: Vec<(i64, String, String)> =
        used.iter().enumerate().map(|(i, t)| (i as i64 * COL_W, t.name.to_owned(), t.id.to_owned())).collect();
    let response_x = columns.len() as i64 * COL_W;
    columns.push((response_x, "Response".into(), String::new()));
    let mut rows_in: HashMap<i64, i64> = HashMap::new();
    let mut boxes = Vec::new();
    for e in entries {
        let x = match e.tactic.as_deref() {
            Some(id) => used.iter().position(|t| t.id == id).map_or(response_x, |i| i as i64 * COL_W),
            None => response_x,
        };
        let row = rows_in.entry(x).or_insert(0);
        // Firebreak's own entries start "Case #N …"; the column says which case.
        let text = match e.description.strip_prefix("Case #") {
            Some(rest) if e.automatic => rest.split_once(' ').map_or(rest, |(_, r)| r),
            _ => e.description.as_str(),
        };
        let mut label: String = text.chars().take(13).collect();
        if text.chars().count() > 13 {
            label.push('…');
        }
        let tech = e.technique.as_deref().map(|t| format!(" [{t}]")).unwrap_or_default();
        boxes.push(ChainBox {
            x: x + 4,
            y: 34 + *row * 30,
            w: COL_W - 8,
            label,
            title: format!("{} — {}{tech}", when(e.at), e.description),
            automatic: e.automatic,
        });
        *row += 1;
    }
    let rows = rows_in.values().copied().max().unwrap_or(0).max(1);
    let hit = entries.iter().filter_map(|e| e.tactic.clone()).collect();
    KillChain { width: columns.len() as i64 * COL_W, height: 40 + rows * 30, columns, boxes, hit }
}

#[derive(Template)]
#[template(path = "case_page.html")]
struct CasePage {
    layout: Layout,
    case: Case,
    id: String,
    description_html: String,
    state: &'static str,
    priority: String,
    severity: String,
    category: String,
    tier: String,
    assignee: String,
    clocks: Vec<ClockView>,
    /// The moves the caller may make from here.
    targets: Vec<&'static str>,
    /// Whether the caller may complete the review (case management).
    may_manage: bool,
    /// The open tab, and each tab: name, label, what it counts.
    tab: &'static str,
    tabs: Vec<(&'static str, &'static str, String)>,
    /// Closed, cancelled or merged: nothing to change until it is reopened.
    read_only: bool,
    /// On a closed case, whether the caller may reopen it.
    may_reopen: bool,
    /// The case this one was merged into: (id, number).
    merged_into: Option<(String, i64)>,
    own_alerts: Vec<AlertRow>,
    own_total: u64,
    related_alerts: Vec<AlertRow>,
    tasks: Vec<TaskView>,
    observables: Vec<ObservableView>,
    timeline: Vec<(String, EntryText, String, bool)>,
    chain: KillChain,
    evidence: Vec<EvidenceView>,
    hunts: Vec<HuntView>,
    /// A hunt is reading a file: the page redraws until it ends.
    hunting: bool,
    comms: Vec<(String, String, String, String, String)>,
    /// Comments: when, who, the text as HTML.
    comments: Vec<(String, String, String)>,
    /// Pages: title, category, the content as HTML.
    notes: Vec<(String, String, String)>,
    actions: Vec<(String, String, String, &'static str, String)>,
    roles: Vec<(String, String)>,
    requests: Vec<(String, String, String, String, &'static str)>,
    escalations: Vec<(String, String, String)>,
    assets: Vec<(String, String, String, String, String)>,
    review: Option<firebreak_types::Review>,
    review_completed: bool,
    action_items: Vec<(String, &'static str, String)>,
    /// When, who, what, and each field changed: its name, before, after.
    history: Vec<(String, String, String, Vec<FieldChange>)>,
    users: Vec<(String, String)>,
    observable_kinds: Vec<&'static str>,
    waiting: String,
    severities: Vec<(&'static str, bool)>,
    resolutions: Vec<(&'static str, bool)>,
    /// The organisations the case is shared with: share id, name, role, rules.
    shares: Vec<(String, String, &'static str, String)>,
    /// Whether the caller may share the case (its own organisation's managers).
    may_share: bool,
    /// Organisations it may still be shared with: id, name.
    share_orgs: Vec<(String, String)>,
    /// Seen through a share: the owner's name and the share's role.
    shared_from: Option<(String, &'static str)>,
}

async fn case_page_data(s: &AppState, c: &Caller, id: Uuid, tab: &str) -> ApiResult<CasePage> {
    let case = cases::get_case(s, c, id).await?;
    let names = Names::load(s, c).await;
    let name_of = |u: Option<Uuid>| u.and_then(|u| names.of(u)).unwrap_or_default();
    let sla = case.sla;
    let clocks = sla.map_or_else(Vec::new, |s| {
        vec![
            clock_view("Acknowledge", &s.acknowledge),
            clock_view("Contain", &s.contain),
            clock_view("Resolve", &s.resolve),
        ]
    });
    let all_tasks = work::list_tasks(s, c, id).await?;
    let mut logs: Vec<firebreak_types::TaskLog> = Vec::new();
    for t in &all_tasks {
        logs.extend(work::task_logs(s, c, id, t.id).await?);
    }
    let tasks: Vec<TaskView> = all_tasks
        .into_iter()
        .map(|t| TaskView {
            log: logs
                .iter()
                .filter(|l| l.task_id == t.id)
                .map(|l| (when(l.at), l.author.clone(), markdown_html(&l.body)))
                .collect(),
            id: t.id.to_string(),
            phase: t.phase.as_str(),
            title: t.title,
            status: t.status.as_str(),
            done: t.status == firebreak_types::TaskStatus::Done,
            due: t.due_at.map(when).unwrap_or_default(),
            role: t.assignee_role.map(|r| r.label().to_owned()).unwrap_or_default(),
        })
        .collect();
    let listed = work::list_observables(s, c, id).await?;
    // Through a share the case is seen alone: none of the owner's alerts or assets.
    let through_share = c.share.is_some();
    let case_alerts = if through_share {
        firebreak_app::alerts::CaseAlerts::default()
    } else {
        firebreak_app::alerts::case_alerts(s, c, id, &listed).await?
    };
    let observables = listed
        .into_iter()
        .map(|o| ObservableView {
            kind: label(&o.observable.kind),
            type_name: o.observable.kind.clone(),
            value: o.observable.value,
            ioc: o.observable.ioc,
            class: o.observable.ip_class.unwrap_or_default(),
            sightings: o.sightings.into_iter().map(|s| (s.case_id.to_string(), s.case_number, s.case_title)).collect(),
            alerts: o.alerts.len(),
        })
        .collect::<Vec<_>>();
    let entries = work::timeline(s, c, id).await?;
    let chain = kill_chain(&entries);
    let a = attack();
    let timeline = entries
        .iter()
        .map(|e| {
            let tactic = e.tactic.as_deref().and_then(|t| a.tactic(t)).map(|t| t.name.to_owned()).unwrap_or_default();
            let tech = e.technique.clone().unwrap_or_default();
            (when(e.at), EntryText::of(&e.description), format!("{tactic} {tech}").trim().to_owned(), e.automatic)
        })
        .collect();
    let mut evidence = Vec::new();
    let files = if through_share { Vec::new() } else { evidence::list(s, c, id).await? };
    for e in files {
        let custody = evidence::chain(s, c, id, e.id).await?;
        evidence.push(EvidenceView::of(e, custody));
    }
    let hunted = if through_share { Vec::new() } else { firebreak_app::hunts::list(s, c, id).await? };
    let hunts: Vec<HuntView> = hunted.into_iter().map(HuntView::of).collect();
    let hunting = hunts.iter().any(|h| h.running);
    let comments: Vec<_> = firebreak_app::case_notes::comments(s, c, id)
        .await?
        .into_iter()
        .map(|n| (when(n.created_at), n.author, markdown_html(&n.body)))
        .collect();
    let notes: Vec<_> = firebreak_app::case_notes::pages(s, c, id)
        .await?
        .into_iter()
        .map(|p| (p.title, p.category, markdown_html(&p.content)))
        .collect();
    let comms: Vec<_> = incident::communications(s, c, id)
        .await?
        .into_iter()
        .map(|m| {
            let next = m.next_update_due.map(|d| format!("next update by {}", when(d))).unwrap_or_default();
            let summary = markdown_html(&m.summary);
            (when(m.at), m.contact, format!("{} {}", m.direction.as_str(), m.channel.as_str()), summary, next)
        })
        .collect();
    let actions: Vec<_> = incident::actions(s, c, id)
        .await?
        .into_iter()
        .map(|x| (x.id.to_string(), label(x.kind.as_str()), x.target, x.status.as_str(), name_of(x.owner_id)))
        .collect();
    let requests: Vec<_> = incident::case_requests(s, c, id)
        .await?
        .into_iter()
        .map(|r| (r.id.to_string(), r.kind.as_str().to_owned(), r.title, r.asked_of, r.status.as_str()))
        .collect();
    let roles = incident::roles(s, c, id).await?.into_iter().map(|r| (label(r.role.as_str()), r.name)).collect();
    let escalations = work::escalations(s, c, id)
        .await?
        .into_iter()
        .map(|e| {
            (
                when(e.at),
                format!(
                    "{:?} → {:?}{}",
                    e.from_tier,
                    e.to_tier,
                    e.team_name.map(|t| format!(" ({t})")).unwrap_or_default()
                ),
                e.reason,
            )
        })
        .collect();
    let linked = if through_share { Vec::new() } else { assets::case_assets(s, c, id).await? };
    let assets = linked
        .into_iter()
        .map(|a| {
            let contacts: Vec<String> = a
                .contact_details
                .iter()
                .map(|k| format!("{} {} {}", k.name, k.email, k.phone).trim().to_owned())
                .collect();
            (
                a.asset.id.to_string(),
                a.asset.name,
                a.asset.owner,
                a.asset.criticality.as_str().to_owned(),
                contacts.join("; "),
            )
        })
        .collect();
    let review = incident::review(s, c, id).await?;
    let action_items = incident::case_action_items(s, c, id)
        .await?
        .into_iter()
        .map(|i| (i.title, i.status.as_str(), name_of(i.owner_id)))
        .collect();
    let audit = if c.may(Action::AuditRead) {
        let q = AuditQuery { object_id: Some(id.to_string()), limit: Some(100), ..AuditQuery::default() };
        firebreak_app::service::list_audit(s, c, &q).await?.items
    } else {
        Vec::new()
    };
    let history: Vec<_> =
        audit.into_iter().map(|e| (when(e.at), e.actor_name, e.action, changed_fields(&e.changes))).collect();
    let targets: Vec<&'static str> = allowed_targets(case.state)
        .iter()
        .filter(|t| c.may(transition_action(case.state, **t)))
        .map(|t| t.as_str())
        .collect();
    let merged_into = match case.merged_into {
        Some(m) => cases::get_case(s, c, m).await.ok().map(|m| (m.id.to_string(), m.number)),
        None => None,
    };
    let done = tasks.iter().filter(|t: &&TaskView| t.done).count();
    let count = |n: usize| if n == 0 { String::new() } else { n.to_string() };
    let tabs = CASE_TABS
        .iter()
        .map(|(name, label)| {
            let n = match *name {
                "alerts" => count(usize::try_from(case_alerts.own_total).unwrap_or(usize::MAX)),
                "tasks" if !tasks.is_empty() => format!("{done}/{}", tasks.len()),
                "observables" => count(observables.len()),
                "timeline" => count(entries.len()),
                "evidence" => count(evidence.len()),
                "communications" => count(comms.len() + comments.len() + notes.len()),
                "response" => count(actions.len() + requests.len()),
                _ => String::new(),
            };
            (*name, *label, n)
        })
        .collect();
    let tab = CASE_TABS.iter().map(|(n, _)| *n).find(|n| *n == tab).unwrap_or("summary");
    let users = if through_share { Vec::new() } else { names.sorted() };
    let share_list = firebreak_app::shares::case_shares(s, c, id).await?;
    let may_share = c.share.is_none() && c.may(Action::CaseManage);
    let share_orgs = if may_share {
        firebreak_app::shares::partners(s, c)
            .await?
            .into_iter()
            .filter(|o| !share_list.iter().any(|x| x.org_id == o.id))
            .map(|o| (o.id.to_string(), o.name))
            .collect()
    } else {
        Vec::new()
    };
    let shares = share_list
        .iter()
        .map(|x| {
            let rules = format!("tasks: {}, observables: {}", x.task_rule.as_str(), x.observable_rule.as_str());
            (x.id.to_string(), x.org_name.clone(), x.role.label(), rules)
        })
        .collect();
    let shared_from = c.share.as_ref().map(|x| (c.org.name.clone(), x.role.label()));
    let mut layout = Layout::new(s, c, &format!("#{} {}", case.number, case.title), "cases", Flash::default()).await;
    names.note(&mut layout);
    Ok(CasePage {
        layout,
        id: case.id.to_string(),
        description_html: markdown_html(&case.description),
        state: case.state.as_str(),
        priority: text(&case.priority),
        severity: case.severity.map(|v| text(&v)).unwrap_or_else(|| "—".into()),
        category: case.category.clone().map(|c| label(&c)).unwrap_or_else(|| "—".into()),
        tier: text(&case.tier),
        assignee: name_of(case.assignee_id),
        clocks,
        read_only: !case.state.is_active(),
        may_reopen: case.state == CaseState::Closed && targets.contains(&CaseState::Analysis.as_str()),
        targets,
        may_manage: c.may(Action::CaseManage),
        tab,
        tabs,
        merged_into,
        own_total: case_alerts.own_total,
        own_alerts: case_alerts.own.iter().map(AlertRow::of).collect(),
        related_alerts: case_alerts.related.iter().map(AlertRow::of).collect(),
        tasks,
        observables,
        timeline,
        chain,
        evidence,
        hunts,
        hunting,
        comms,
        comments,
        notes,
        actions,
        roles,
        requests,
        escalations,
        assets,
        review_completed: review.as_ref().is_some_and(|r| r.completed)
            || case.review_status == firebreak_types::ReviewStatus::Completed,
        review,
        action_items,
        history,
        users,
        observable_kinds: firebreak_domain::observable::ObservableKind::ALL.iter().map(|k| k.as_str()).collect(),
        waiting: case.waiting_reason.clone().unwrap_or_default(),
        severities: ["low", "medium", "high", "critical"]
            .into_iter()
            .map(|v| (v, case.severity.is_some_and(|x| text(&x) == v)))
            .collect(),
        resolutions: ["true_positive", "false_positive", "benign", "duplicate", "indeterminate", "other"]
            .into_iter()
            .map(|v| (v, case.resolution.is_some_and(|x| text(&x) == v)))
            .collect(),
        shares,
        may_share,
        share_orgs,
        shared_from,
        case,
    })
}

pub async fn case_page(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Path(id): Path<Uuid>,
    Query(t): Query<CaseTab>,
) -> Response {
    match case_page_data(&s, &c, id, &t.tab).await {
        Ok(page) => render(&page),
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    layout: Layout,
    templates: Vec<CaseTemplate>,
    categories: Vec<String>,
}

pub async fn new_case(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let templates = match work::list_templates(&s, &c).await {
        Ok(t) => t,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let categories = match cases::settings(&s, c.org_id()).await {
        Ok(settings) => settings.categories,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let layout = Layout::new(&s, &c, "New case", "cases", Flash::default()).await;
    render(&NewCasePage { layout, templates, categories })
}

// ---------------------------------------------------------------------------
// The asset inventory

#[derive(Template)]
#[template(path = "assets.html")]
struct InventoryPage {
    layout: Layout,
    assets: Vec<firebreak_types::Asset>,
    contacts: Vec<firebreak_types::Contact>,
    q: String,
}

#[derive(serde::Deserialize, Default)]
pub struct InventoryQuery {
    #[serde(default)]
    q: String,
}

pub async fn inventory(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    axum::extract::Query(f): axum::extract::Query<InventoryQuery>,
) -> Response {
    let q = assets::AssetQuery { q: Some(f.q.clone()), ..Default::default() };
    let (assets, contacts) = match (assets::list_assets(&s, &c, &q).await, assets::list_contacts(&s, &c).await) {
        (Ok(a), Ok(k)) => (a, k),
        (Err(e), _) | (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    let layout = Layout::new(&s, &c, "Assets", "assets", Flash::default()).await;
    render(&InventoryPage { layout, assets, contacts, q: f.q })
}

// ---------------------------------------------------------------------------
// Notifications and the organisation chart

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<firebreak_types::Notification>,
}

pub async fn notifications(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let items = match work::my_notifications(&s, &c, false).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let layout = Layout::new(&s, &c, "Notifications", "notifications", Flash::default()).await;
    render(&NotificationsPage { layout, items })
}

/// A team in the chart, indented under the team it reports to.
pub struct TeamRow {
    pub depth: usize,
    pub name: String,
    pub members: String,
    pub contacts: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    layout: Layout,
    rows: Vec<TeamRow>,
    users: Vec<(String, String)>,
    teams: Vec<(String, String)>,
}

pub async fn teams(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let (teams, contacts) = match (work::list_teams(&s, &c).await, assets::list_contacts(&s, &c).await) {
        (Ok(t), Ok(k)) => (t, k),
        (Err(e), _) | (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    let names = Names::load(&s, &c).await;
    // Depth-first from the teams that report to nobody (or to a team that is gone).
    let ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let mut rows = Vec::new();
    let mut stack: Vec<(usize, &firebreak_types::Team)> =
        teams.iter().filter(|t| t.reports_to.is_none_or(|p| !ids.contains(&p))).rev().map(|t| (0, t)).collect();
    while let Some((depth, t)) = stack.pop() {
        let members: Vec<String> = t.members.iter().filter_map(|m| names.of(*m)).collect();
        let people: Vec<String> =
            contacts.iter().filter(|k| k.team_id == Some(t.id)).map(|k| format!("{} ({})", k.name, k.role)).collect();
        rows.push(TeamRow {
            depth,
            name: t.name.clone(),
            members: members.join(", "),
            contacts: people.join(", "),
            email: t.email.clone().unwrap_or_default(),
        });
        if depth < 16 {
            stack.extend(teams.iter().filter(|x| x.reports_to == Some(t.id)).rev().map(|x| (depth + 1, x)));
        }
    }
    let users = names.sorted();
    let team_opts = teams.iter().map(|t| (t.id.to_string(), t.name.clone())).collect();
    let mut layout = Layout::new(&s, &c, "Teams", "teams", Flash::default()).await;
    names.note(&mut layout);
    render(&TeamsPage { layout, rows, users, teams: team_opts })
}

// ---------------------------------------------------------------------------
// The backlog: every case's open action items and detection requests

#[derive(Template)]
#[template(path = "backlog.html")]
struct BacklogPage {
    layout: Layout,
    /// (case id, case number, title, owner, due, status, item id)
    items: Vec<(String, i64, String, String, String, &'static str, String)>,
    /// (case id, case number, title, status, created)
    detection: Vec<(String, i64, String, &'static str, String)>,
    /// (threat profile, technique, name, status: uncovered or untested)
    profiles: Section<Vec<(String, String, String, &'static str)>>,
}

pub async fn backlog(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let (items, requests) = match (
        incident::action_item_backlog(&s, &c, true).await,
        incident::backlog_requests(&s, &c, firebreak_types::RequestKind::Detection, true).await,
    ) {
        (Ok(i), Ok(r)) => (i, r),
        (Err(e), _) | (_, Err(e)) => return ApiError::from(e).into_response(),
    };
    let mut ids: Vec<Uuid> = items.iter().map(|i| i.case_id).chain(requests.iter().map(|r| r.case_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    let numbers = match cases::numbers(&s, &c, &ids).await {
        Ok(n) => n,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let names = Names::load(&s, &c).await;
    let items = items
        .into_iter()
        .map(|i| {
            (
                i.case_id.to_string(),
                numbers.get(&i.case_id).copied().unwrap_or(0),
                i.title,
                i.owner_id.and_then(|o| names.of(o)).unwrap_or_default(),
                i.due_at.map(when).unwrap_or_default(),
                i.status.as_str(),
                i.id.to_string(),
            )
        })
        .collect();
    let detection = requests
        .into_iter()
        .map(|r| {
            (
                r.case_id.to_string(),
                numbers.get(&r.case_id).copied().unwrap_or(0),
                r.title,
                r.status.as_str(),
                when(r.created_at),
            )
        })
        .collect();
    // Techniques the threat profiles name that no tested rule covers yet.
    // Never shown empty when it could not be worked out: an empty list would
    // claim every technique is covered.
    let profiles = Section::load(firebreak_app::detection::profile_backlog(&s, &c).await, "threat profile backlog");
    let mut layout = Layout::new(&s, &c, "Backlog", "backlog", Flash::default()).await;
    names.note(&mut layout);
    render(&BacklogPage { layout, items, detection, profiles })
}

/// A timeline entry as read on the page: an event it carries (a hunt's hit
/// writes the matched event's JSON after its summary) is shown as a few
/// telling fields, the whole event a click away.
pub struct EntryText {
    pub summary: String,
    pub fields: Vec<(String, String)>,
    pub event: Option<String>,
}

/// The event fields an analyst reads first, in that order.
const TELLING_FIELDS: &[&str] = &[
    "Image",
    "CommandLine",
    "ParentImage",
    "User",
    "TargetFilename",
    "TargetObject",
    "DestinationIp",
    "DestinationHostname",
    "QueryName",
    "ScriptBlockText",
    "ServiceName",
    "TargetUserName",
    "IpAddress",
];

impl EntryText {
    fn of(description: &str) -> EntryText {
        let Some(at) = description.find(": {") else {
            return EntryText { summary: description.to_owned(), fields: Vec::new(), event: None };
        };
        let (summary, raw) = (description[..at].to_owned(), &description[at + 2..]);
        let fields = match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Object(map)) => {
                let flat = flat_fields(&map);
                TELLING_FIELDS
                    .iter()
                    .filter_map(|k| flat.iter().find(|(name, _)| name == k).cloned())
                    .take(4)
                    .map(|(k, v)| (k, v.chars().take(160).collect()))
                    .collect()
            }
            _ => Vec::new(),
        };
        EntryText { summary, fields, event: Some(raw.to_owned()) }
    }
}

/// The scalar fields of an event, nested ones named by their last key.
fn flat_fields(map: &serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in map {
        match v {
            serde_json::Value::Object(inner) => out.extend(flat_fields(inner)),
            serde_json::Value::String(s) => out.push((k.clone(), s.clone())),
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => out.push((k.clone(), v.to_string())),
            _ => {}
        }
    }
    out
}

/// A field's name, its value before and its value after.
type FieldChange = (String, String, String);

/// An audit entry's changes as rows a reader can scan: each field with its
/// value before and after (`{"field": {"before": …, "after": …}}`), or, for
/// a record created or removed, its fields as they were, ids left out.
fn changed_fields(changes: &serde_json::Value) -> Vec<FieldChange> {
    fn shown(v: &serde_json::Value) -> String {
        let text = match v {
            serde_json::Value::Null => "—".to_owned(),
            serde_json::Value::String(s) if s.is_empty() => "—".to_owned(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut cut: String = text.chars().take(120).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        cut
    }
    let Some(fields) = changes.as_object() else { return vec![(String::new(), String::new(), shown(changes))] };
    fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "case_id" | "org_id"))
        .map(|(k, v)| match (v.get("before"), v.get("after"), v.as_object().map(|o| o.len())) {
            (Some(b), Some(a), Some(2)) => (k.replace('_', " "), shown(b), shown(a)),
            _ => (k.replace('_', " "), String::new(), shown(v)),
        })
        .take(12)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::changed_fields;

    #[test]
    fn a_hunt_hit_reads_as_a_few_fields_with_the_event_a_click_away() {
        let e = super::EntryText::of(
            r#"Mimikatz (high) on WS1 — a.evtx record 7: {"Event":{"System":{"EventID":1},"EventData":{"Image":"C:\\m.exe","CommandLine":"m.exe sekurlsa::logonpasswords","User":"CORP\\bob"}}}"#,
        );
        assert_eq!(e.summary, "Mimikatz (high) on WS1 — a.evtx record 7");
        let names: Vec<&str> = e.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["Image", "CommandLine", "User"]);
        assert!(e.event.is_some_and(|raw| raw.starts_with("{\"Event\"")));
        let plain = super::EntryText::of("Alert from edr: beacon");
        assert!(plain.fields.is_empty() && plain.event.is_none());
    }

    #[test]
    fn an_audit_entry_reads_as_fields_before_and_after() {
        let rows = changed_fields(
            &serde_json::json!({"tier": {"before": "L1", "after": "L2"}, "summary": {"before": "", "after": "x"}}),
        );
        assert_eq!(rows, vec![("tier".into(), "L1".into(), "L2".into()), ("summary".into(), "—".into(), "x".into())]);
        let created =
            changed_fields(&serde_json::json!({"id": "1", "case_id": "2", "type": "ip", "value": "203.0.113.7"}));
        assert_eq!(
            created,
            vec![("type".into(), String::new(), "ip".into()), ("value".into(), String::new(), "203.0.113.7".into())]
        );
    }
}
