//! TheHive 5 cases: `/api/v1/case` (create, get, update, bulk update,
//! delete, merge, close), and the shapes of a case and what it holds. What
//! a case holds (tasks, logs, observables, comments, pages, timeline,
//! procedures, shares) is in `case_parts`; TheHive 4's paths in
//! `legacy_cases`.
//!
//! TheHive's statuses and stages are Firebreak's lifecycle seen from
//! outside: the tables are [`STAGES`] and [`CLOSING`], printed in the
//! README.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use firebreak_app::auth::Caller;
use firebreak_types::{
    Case, CaseState, CreateCase, CreateTask, Level, Observable, Resolution, ReviewStatus, Task, TaskLog, TaskStatus,
    Tier, TransitionCase, UpdateCase, UpdateTask,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/case", post(create))
        .route("/api/v1/case/_bulk", patch(bulk_update))
        .route("/api/v1/case/_merge/{ids}", post(merge).get(merge))
        .route("/api/v1/case/{id}", get(read).patch(update).delete(delete))
}

// ---------------------------------------------------------------------------
// The mapping tables

/// Firebreak's phases as TheHive's stage and (open) status.
pub const STAGES: &[(CaseState, &str, &str)] = &[
    (CaseState::New, "New", "New"),
    (CaseState::Analysis, "InProgress", "InProgress"),
    (CaseState::Containment, "InProgress", "InProgress"),
    (CaseState::Eradication, "InProgress", "InProgress"),
    (CaseState::Recovery, "InProgress", "InProgress"),
    (CaseState::Review, "InProgress", "InProgress"),
    (CaseState::Closed, "Closed", "(the resolution's status)"),
    (CaseState::Cancelled, "Closed", "Other"),
    (CaseState::Merged, "Closed", "Duplicated"),
];

/// TheHive's closing statuses and Firebreak's resolutions, both ways
/// (`benign`, which TheHive lacks, reads back as `Other`).
pub const CLOSING: &[(&str, Resolution)] = &[
    ("TruePositive", Resolution::TruePositive),
    ("FalsePositive", Resolution::FalsePositive),
    ("Indeterminate", Resolution::Indeterminate),
    ("Other", Resolution::Other),
    ("Duplicated", Resolution::Duplicate),
];

/// TheHive's status of a case closed without a resolution.
pub const UNRESOLVED_STATUS: &str = "Other";

/// TheHive's task statuses and Firebreak's, both ways.
pub const TASK_STATUSES: &[(&str, TaskStatus)] = &[
    ("Waiting", TaskStatus::Todo),
    ("InProgress", TaskStatus::InProgress),
    ("Completed", TaskStatus::Done),
    ("Cancel", TaskStatus::Cancelled),
];

/// The reason recorded when a case closed through TheHive's API skips
/// Firebreak's post-incident review, which TheHive's clients cannot know of.
pub const REVIEW_WAIVER: &str = "closed through TheHive's API, which has no post-incident review";

fn stage(state: CaseState) -> &'static str {
    STAGES.iter().find(|(s, _, _)| *s == state).map_or("InProgress", |(_, stage, _)| stage)
}

/// TheHive's status of a case.
pub(super) fn status(c: &Case) -> &'static str {
    match c.state {
        CaseState::Closed => match c.resolution {
            Some(r) => CLOSING.iter().find(|(_, x)| *x == r).map_or(UNRESOLVED_STATUS, |(s, _)| s),
            None => UNRESOLVED_STATUS,
        },
        s => STAGES.iter().find(|(x, _, _)| *x == s).map_or("InProgress", |(_, _, status)| status),
    }
}

pub(super) fn task_status(s: TaskStatus) -> &'static str {
    TASK_STATUSES.iter().find(|(_, x)| *x == s).map_or("Waiting", |(n, _)| n)
}

pub(super) fn task_status_from(name: &str) -> HiveResult<TaskStatus> {
    TASK_STATUSES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, s)| *s)
        .ok_or_else(|| attribute(format!("status: one of Waiting, InProgress, Completed, Cancel, not {name:?}")))
}

// ---------------------------------------------------------------------------
// Shapes

/// A case in TheHive 5's shape (the query API answers with it too).
pub(super) fn case(c: &Case, names: &Names) -> Value {
    let mut m = shape::header("Case", c.id, "", c.created_at, Some(c.updated_at));
    let severity = c.severity.map(shape::severity_number).unwrap_or(2);
    let tlp = shape::tlp_number(c.tlp);
    let pap = shape::pap_number(c.pap);
    m.insert("number".into(), json!(c.number));
    m.insert("title".into(), json!(c.title));
    m.insert("description".into(), json!(c.description));
    m.insert("severity".into(), json!(severity));
    m.insert("severityLabel".into(), json!(shape::severity_label(severity)));
    m.insert("startDate".into(), json!(shape::millis(c.created_at)));
    if let Some(t) = c.closed_at {
        m.insert("endDate".into(), json!(shape::millis(t)));
        m.insert("closedDate".into(), json!(shape::millis(t)));
    }
    m.insert("tags".into(), json!(c.tags));
    m.insert("flag".into(), json!(false));
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(shape::colour_label(tlp)));
    m.insert("pap".into(), json!(pap));
    m.insert("papLabel".into(), json!(shape::colour_label(pap)));
    m.insert("stage".into(), json!(stage(c.state)));
    m.insert("status".into(), json!(status(c)));
    m.insert("summary".into(), json!(c.summary));
    m.insert("impactStatus".into(), json!("NotApplicable"));
    let assignee = names.login(c.assignee_id);
    m.insert("assignee".into(), json!(assignee));
    m.insert("owner".into(), json!(assignee));
    m.insert("customFields".into(), shape::custom_fields_out(&c.custom_fields));
    m.insert("newDate".into(), json!(shape::millis(c.created_at)));
    if let Some(t) = c.acknowledged_at {
        m.insert("inProgressDate".into(), json!(shape::millis(t)));
    }
    m.insert("timeToDetect".into(), json!(0));
    m.insert("access".into(), json!({ "kind": "public" }));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A case's task in TheHive 5's shape.
pub(super) fn task(t: &Task, names: &Names) -> Value {
    let mut m = shape::header("Task", t.id, "", t.created_at, t.done_at);
    m.insert("title".into(), json!(t.title));
    m.insert("group".into(), json!(t.phase.as_str()));
    m.insert("description".into(), json!(t.description));
    m.insert("status".into(), json!(task_status(t.status)));
    m.insert("flag".into(), json!(false));
    m.insert("order".into(), json!(0));
    m.insert("mandatory".into(), json!(false));
    m.insert("startDate".into(), json!(shape::millis(t.created_at)));
    if let Some(d) = t.done_at {
        m.insert("endDate".into(), json!(shape::millis(d)));
    }
    if let Some(d) = t.due_at {
        m.insert("dueDate".into(), json!(shape::millis(d)));
    }
    let assignee = names.login(t.assignee_id);
    m.insert("assignee".into(), json!(assignee));
    m.insert("owner".into(), json!(assignee));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A task's log in TheHive 5's shape.
pub(super) fn log(l: &TaskLog) -> Value {
    let mut m = shape::header("Log", l.id, l.author.as_str(), l.at, None);
    m.insert("message".into(), json!(l.body));
    m.insert("date".into(), json!(shape::millis(l.at)));
    m.insert("owner".into(), json!(l.author));
    m.insert("taskId".into(), json!(l.task_id.to_string()));
    let attachments: Vec<Value> =
        l.attachments.iter().map(|a| json!({ "_id": a.to_string(), "id": a.to_string() })).collect();
    m.insert("attachments".into(), Value::Array(attachments));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A case's observable in TheHive 5's shape.
pub(super) fn observable(o: &Observable) -> Value {
    let mut m = shape::header("Observable", o.id, "", o.created_at, None);
    m.insert("dataType".into(), json!(shape::data_type(&o.kind)));
    m.insert("data".into(), json!(o.value));
    m.insert("startDate".into(), json!(shape::millis(o.created_at)));
    let tlp = shape::tlp_number(o.tlp);
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(shape::colour_label(tlp)));
    m.insert("pap".into(), json!(2));
    m.insert("papLabel".into(), json!("AMBER"));
    m.insert("ioc".into(), json!(o.ioc));
    m.insert("sighted".into(), json!(false));
    m.insert("ignoreSimilarity".into(), json!(false));
    m.insert("tags".into(), json!(o.tags));
    m.insert("message".into(), json!(o.description));
    m.insert("reports".into(), json!({}));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

// ---------------------------------------------------------------------------
// Reading TheHive's bodies

/// A field that is not what TheHive's API expects there.
pub(super) fn attribute(message: impl Into<String>) -> HiveError {
    HiveError::new(StatusCode::BAD_REQUEST, "AttributeCheckingError", message)
}

/// A JSON object body.
pub(super) fn object(body: &[u8]) -> HiveResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(HiveError::bad_request("the body must be a JSON object")),
        Err(e) => Err(HiveError::bad_request(format!("the body is not JSON: {e}"))),
    }
}

pub(super) fn text(m: &Map<String, Value>, field: &str) -> HiveResult<Option<String>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(attribute(format!("{field}: a string"))),
    }
}

pub(super) fn number(m: &Map<String, Value>, field: &str) -> HiveResult<Option<i64>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| attribute(format!("{field}: an integer"))),
    }
}

pub(super) fn boolean(m: &Map<String, Value>, field: &str) -> HiveResult<Option<bool>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(attribute(format!("{field}: true or false"))),
    }
}

pub(super) fn strings(m: &Map<String, Value>, field: &str) -> HiveResult<Option<Vec<String>>> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| attribute(format!("{field}: a list of strings"))))
            .collect::<HiveResult<Vec<_>>>()
            .map(Some),
        Some(_) => Err(attribute(format!("{field}: a list of strings"))),
    }
}

pub(super) fn severity(m: &Map<String, Value>) -> HiveResult<Option<firebreak_types::Severity>> {
    number(m, "severity")?
        .map(|n| shape::severity_from_number(n).ok_or_else(|| attribute("severity: 1, 2, 3 or 4")))
        .transpose()
}

pub(super) fn tlp(m: &Map<String, Value>) -> HiveResult<Option<firebreak_types::Tlp>> {
    number(m, "tlp")?.map(|n| shape::tlp_from_number(n).ok_or_else(|| attribute("tlp: 0 to 4"))).transpose()
}

pub(super) fn pap(m: &Map<String, Value>) -> HiveResult<Option<firebreak_types::Pap>> {
    number(m, "pap")?.map(|n| shape::pap_from_number(n).ok_or_else(|| attribute("pap: 0 to 3"))).transpose()
}

pub(super) fn date(m: &Map<String, Value>, field: &str) -> HiveResult<Option<time::OffsetDateTime>> {
    number(m, field)?
        .map(|n| shape::from_millis(n).ok_or_else(|| attribute(format!("{field}: epoch milliseconds"))))
        .transpose()
}

/// A user of the organisation named by login (TheHive's `assignee`, `owner`).
pub(super) fn user_id(names: &Names, field: &str, login: &str) -> HiveResult<Uuid> {
    names
        .0
        .iter()
        .find(|(_, l)| l.eq_ignore_ascii_case(login.trim()))
        .map(|(id, _)| *id)
        .ok_or_else(|| HiveError::not_found(format!("{field}: user {login} not found")))
}

/// TheHive's custom fields, as a list (`[{"name", "value"}]`), an object of
/// values, or TheHive 4's object of typed values (`{"f": {"string": "x"}}`),
/// as Firebreak's object of values.
pub(super) fn custom_fields(v: &Value) -> HiveResult<Map<String, Value>> {
    let mut out = Map::new();
    match v {
        Value::Null => {}
        Value::Array(list) => {
            for (i, f) in list.iter().enumerate() {
                let name = f
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| attribute(format!("customFields[{i}].name: a string")))?;
                out.insert(name.to_owned(), f.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        Value::Object(map) => {
            for (name, value) in map {
                let value = match value {
                    Value::Object(typed) if typed.len() <= 2 => {
                        typed.iter().find(|(k, _)| k.as_str() != "order").map(|(_, v)| v.clone()).unwrap_or(Value::Null)
                    }
                    v => v.clone(),
                };
                out.insert(name.clone(), value);
            }
        }
        _ => return Err(attribute("customFields: a list or an object")),
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Use cases, as TheHive's requests name them

/// Creates a case from TheHive's body (5 or 4), with its tasks.
pub(super) async fn create_from(
    state: &AppState,
    caller: &Caller,
    names: &Names,
    m: &Map<String, Value>,
) -> HiveResult<Case> {
    let app = &state.app;
    let title = text(m, "title")?.ok_or_else(|| attribute("title: a string (required)"))?;
    let template_id = match text(m, "caseTemplate")?.or(text(m, "template")?).filter(|t| !t.trim().is_empty()) {
        Some(name) => {
            let templates = firebreak_app::templates::list_templates(app, caller).await?;
            let t = templates
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(name.trim()) || t.id.to_string() == name.trim())
                .ok_or_else(|| HiveError::not_found(format!("caseTemplate: case template {name} not found")))?;
            Some(t.id)
        }
        None => None,
    };
    let assignee = text(m, "assignee")?.or(text(m, "owner")?).filter(|a| !a.trim().is_empty());
    let assignee_id = assignee.map(|a| user_id(names, "assignee", &a)).transpose()?;
    let custom = match m.get("customFields") {
        Some(v) => Value::Object(custom_fields(v)?),
        None => Value::Object(Map::new()),
    };
    let req = CreateCase {
        title,
        description: text(m, "description")?.unwrap_or_default(),
        // TheHive's cases always have a severity: medium unless given (or
        // left to the template).
        severity: severity(m)?.or(if template_id.is_some() { None } else { Some(firebreak_types::Severity::Medium) }),
        impact: Level::Medium,
        urgency: Level::Medium,
        category: None,
        tlp: tlp(m)?.unwrap_or(firebreak_types::Tlp::Amber),
        pap: pap(m)?.unwrap_or(firebreak_types::Pap::Amber),
        tags: strings(m, "tags")?.unwrap_or_default(),
        assignee_id,
        tier: Tier::L1,
        custom_fields: custom,
        template_id,
    };
    let case = firebreak_app::cases::create_case(app, caller, req).await?;
    if let Some(Value::Array(tasks)) = m.get("tasks") {
        for (i, t) in tasks.iter().enumerate() {
            let Value::Object(t) = t else {
                return Err(attribute(format!("tasks[{i}]: an object")));
            };
            create_task_from(state, caller, names, case.id, t).await?;
        }
    }
    if let Some(Value::Array(pages)) = m.get("pages") {
        for p in pages.iter().filter_map(Value::as_object) {
            firebreak_app::case_notes::add_page(app, caller, case.id, page_input(p)?).await?;
        }
    }
    Ok(case)
}

pub(super) fn page_input(m: &Map<String, Value>) -> HiveResult<firebreak_types::CasePageInput> {
    Ok(firebreak_types::CasePageInput {
        title: text(m, "title")?,
        category: text(m, "category")?,
        content: text(m, "content")?,
        order: number(m, "order")?,
    })
}

/// Creates a task from TheHive's body; its `group` places it in a phase
/// when it names one.
pub(super) async fn create_task_from(
    state: &AppState,
    caller: &Caller,
    names: &Names,
    case_id: Uuid,
    m: &Map<String, Value>,
) -> HiveResult<Task> {
    let title = text(m, "title")?.ok_or_else(|| attribute("title: a string (required)"))?;
    let assignee = text(m, "assignee")?.or(text(m, "owner")?).filter(|a| !a.trim().is_empty());
    let req = CreateTask {
        title,
        description: text(m, "description")?.unwrap_or_default(),
        phase: text(m, "group")?.and_then(|g| CaseState::parse(&g.trim().to_lowercase())),
        assignee_id: assignee.map(|a| user_id(names, "assignee", &a)).transpose()?,
        assignee_role: None,
        due_at: date(m, "dueDate")?,
    };
    let task = firebreak_app::tasks::create_task(&state.app, caller, case_id, req).await?;
    match text(m, "status")?.map(|s| task_status_from(&s)).transpose()? {
        Some(s) if s != task.status => {
            let up = UpdateTask { status: Some(s), ..UpdateTask::default() };
            Ok(firebreak_app::tasks::update_task(&state.app, caller, case_id, task.id, up).await?)
        }
        _ => Ok(task),
    }
}

/// The moves from a phase to closed, forward along Firebreak's lifecycle.
fn path_to_closed(from: CaseState) -> &'static [CaseState] {
    use CaseState::*;
    match from {
        New => &[Analysis, Closed],
        Analysis => &[Closed],
        Containment => &[Eradication, Recovery, Review, Closed],
        Eradication => &[Recovery, Review, Closed],
        Recovery => &[Review, Closed],
        Review => &[Closed],
        Closed | Cancelled | Merged => &[],
    }
}

async fn transition(state: &AppState, caller: &Caller, id: Uuid, to: CaseState, reason: &str) -> HiveResult<Case> {
    let req = TransitionCase { state: to, reason: reason.to_owned(), merge_into: None };
    Ok(firebreak_app::cases::transition_case(&state.app, caller, id, req).await?)
}

/// Applies TheHive's update body to a case: its fields, then its status
/// (closing, reopening or taking the case up).
pub(super) async fn update_from(
    state: &AppState,
    caller: &Caller,
    names: &Names,
    id: Uuid,
    m: &Map<String, Value>,
) -> HiveResult<Case> {
    let app = &state.app;
    let before = firebreak_app::cases::get_case(app, caller, id).await?;
    let mut req = UpdateCase {
        title: text(m, "title")?,
        description: text(m, "description")?,
        severity: severity(m)?.map(Some),
        tlp: tlp(m)?,
        pap: pap(m)?,
        summary: text(m, "summary")?,
        ..UpdateCase::default()
    };
    let mut tags = strings(m, "tags")?;
    let add = strings(m, "addTags")?.unwrap_or_default();
    let remove = strings(m, "removeTags")?.unwrap_or_default();
    if !add.is_empty() || !remove.is_empty() {
        let mut t = tags.take().unwrap_or_else(|| before.tags.clone());
        for a in add {
            if !t.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                t.push(a);
            }
        }
        t.retain(|x| !remove.iter().any(|r| r.eq_ignore_ascii_case(x)));
        tags = Some(t);
    }
    req.tags = tags;
    for field in ["assignee", "owner"] {
        match m.get(field) {
            Some(Value::Null) => req.assignee_id = Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => req.assignee_id = Some(None),
            Some(Value::String(s)) => req.assignee_id = Some(Some(user_id(names, field, s)?)),
            Some(_) => return Err(attribute(format!("{field}: a login"))),
            None => {}
        }
    }
    if let Some(v) = m.get("customFields") {
        let mut merged = before.custom_fields.as_object().cloned().unwrap_or_default();
        merged.extend(custom_fields(v)?);
        req.custom_fields = Some(Value::Object(merged));
    }
    let wanted = text(m, "status")?;
    let closing = match wanted.as_deref() {
        None => None,
        Some(s) => match CLOSING.iter().find(|(n, _)| n.eq_ignore_ascii_case(s)) {
            Some((_, r)) => Some(*r),
            None if s.eq_ignore_ascii_case("New") || s.eq_ignore_ascii_case("InProgress") => None,
            None => {
                return Err(attribute(format!(
                    "status: one of New, InProgress, TruePositive, FalsePositive, Indeterminate, Other, Duplicated, not {s:?}"
                )));
            }
        },
    };
    if let Some(resolution) = closing {
        if !before.state.is_active() && before.state != CaseState::Closed {
            return Err(HiveError::bad_request(format!("the case is {}; it cannot be closed", before.state.as_str())));
        }
        // What Firebreak's lifecycle needs to close that TheHive's clients
        // do not send: filled in here, each said in the README.
        req.resolution = Some(Some(resolution));
        let summary = req.summary.clone().unwrap_or_else(|| before.summary.clone());
        if summary.trim().is_empty() {
            let name = CLOSING.iter().find(|(_, r)| *r == resolution).map_or("Other", |(n, _)| n);
            req.summary = Some(format!("Closed as {name} through TheHive's API."));
        }
        if !matches!(before.review_status, ReviewStatus::Completed | ReviewStatus::Waived) {
            req.review_status = Some(ReviewStatus::Waived);
            req.review_waiver_reason = Some(REVIEW_WAIVER.to_owned());
        }
    }
    let leaving_new = closing.is_some() || wanted.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("InProgress"));
    if leaving_new && before.state == CaseState::New {
        fill_to_leave_new(state, caller, &before, &mut req).await?;
    }
    // A closed case takes no change until reopened: reopening comes first.
    let reopening = closing.is_none()
        && before.state == CaseState::Closed
        && wanted.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("New") || s.eq_ignore_ascii_case("InProgress"));
    if reopening {
        transition(state, caller, id, CaseState::Analysis, "reopened through TheHive's API").await?;
    }
    let mut case = firebreak_app::cases::update_case(app, caller, id, req).await?;
    match (closing, wanted.as_deref()) {
        (Some(_), _) => {
            for to in path_to_closed(case.state) {
                case = transition(state, caller, id, *to, "closed through TheHive's API").await?;
            }
        }
        (None, Some(s)) if s.eq_ignore_ascii_case("New") || s.eq_ignore_ascii_case("InProgress") => {
            if case.state == CaseState::Closed {
                case = transition(state, caller, id, CaseState::Analysis, "reopened through TheHive's API").await?;
            } else if case.state == CaseState::New && s.eq_ignore_ascii_case("InProgress") {
                case = transition(state, caller, id, CaseState::Analysis, "").await?;
            }
        }
        _ => {}
    }
    Ok(case)
}

/// To leave `new`, Firebreak wants an assignee, a severity and a category;
/// TheHive does not. The caller takes an unassigned case, TheHive's default
/// severity (medium) stands for none, and a case without a category gets
/// the organisation's `other` when its taxonomy has one.
async fn fill_to_leave_new(state: &AppState, caller: &Caller, before: &Case, req: &mut UpdateCase) -> HiveResult<()> {
    if before.assignee_id.is_none() && req.assignee_id.is_none() {
        req.assignee_id = Some(Some(caller.id()));
    }
    if before.severity.is_none() && req.severity.is_none() {
        req.severity = Some(Some(firebreak_types::Severity::Medium));
    }
    if before.category.is_none() {
        let settings = firebreak_app::cases::get_settings(&state.app, caller).await?;
        if settings.categories.iter().any(|c| c == "other") {
            req.category = Some(Some("other".to_owned()));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Handlers

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

async fn create(
    State(state): State<AppState>,
    caller: HiveCaller,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let names = Names::of(&state.app, &caller).await?;
    let c = create_from(&state, &caller, &names, &m).await?;
    Ok((StatusCode::CREATED, Json(case(&c, &names))))
}

async fn read(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "case")?;
    let c = firebreak_app::cases::get_case(&state.app, &caller, id).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(case(&c, &names)))
}

async fn update(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "case")?;
    let m = object(&body)?;
    let names = Names::of(&state.app, &caller).await?;
    update_from(&state, &caller, &names, id, &m).await?;
    Ok(no_content())
}

async fn bulk_update(State(state): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Response> {
    let mut m = object(&body)?;
    let ids = strings(&m, "ids")?.ok_or_else(|| attribute("ids: a list of case ids (required)"))?;
    m.remove("ids");
    let ids = ids.iter().map(|i| shape::path_id(i, "case")).collect::<HiveResult<Vec<_>>>()?;
    let names = Names::of(&state.app, &caller).await?;
    for id in ids {
        update_from(&state, &caller, &names, id, &m).await?;
    }
    Ok(no_content())
}

/// TheHive deletes a case; Firebreak keeps every case for its audit trail,
/// so deleting cancels it (case management, with the reason recorded). A
/// case already ended stays as it is.
async fn delete(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    delete_case(&state, &caller, shape::path_id(&id, "case")?).await?;
    Ok(no_content())
}

pub(super) async fn delete_case(state: &AppState, caller: &Caller, id: Uuid) -> HiveResult<()> {
    let c = firebreak_app::cases::get_case(&state.app, caller, id).await?;
    if c.state.is_active() {
        transition(state, caller, id, CaseState::Cancelled, "deleted through TheHive's API").await?;
    } else {
        caller.require(firebreak_domain::permission::Action::CaseManage)?;
    }
    Ok(())
}

/// TheHive merges cases into a new one; Firebreak merges cases into one of
/// them: the first id named stays, the others are merged into it.
async fn merge(State(state): State<AppState>, caller: HiveCaller, Path(ids): Path<String>) -> HiveResult<Json<Value>> {
    let ids = ids
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|i| shape::path_id(i, "case"))
        .collect::<HiveResult<Vec<_>>>()?;
    let Some((&into, rest)) = ids.split_first().filter(|(_, rest)| !rest.is_empty()) else {
        return Err(HiveError::bad_request("merging needs at least two case ids, separated by commas"));
    };
    firebreak_app::cases::get_case(&state.app, &caller, into).await?;
    for id in rest {
        let req = TransitionCase {
            state: CaseState::Merged,
            reason: "merged through TheHive's API".to_owned(),
            merge_into: Some(into),
        };
        firebreak_app::cases::transition_case(&state.app, &caller, *id, req).await?;
    }
    let c = firebreak_app::cases::get_case(&state.app, &caller, into).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(case(&c, &names)))
}
