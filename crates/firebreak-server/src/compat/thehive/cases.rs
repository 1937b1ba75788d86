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
    Case, CaseState, CreateCase, CreateTask, Level, ReviewStatus, Task, TaskStatus, Tier, TransitionCase, UpdateCase,
    UpdateTask,
};
use serde_json::{Map, Value};
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
// The mapping tables, and the shapes, written once in the application (a
// webhook in TheHive's format sends the same objects)

pub use firebreak_app::thehive::shape::{CLOSING, STAGES, TASK_STATUSES, UNRESOLVED_STATUS};
pub(super) use firebreak_app::thehive::shape::{case, case_status as status, log, observable, task};

/// The reason recorded when a case closed through TheHive's API skips
/// Firebreak's post-incident review, which TheHive's clients cannot know of.
pub const REVIEW_WAIVER: &str = "closed through TheHive's API, which has no post-incident review";

pub(super) fn task_status_from(name: &str) -> HiveResult<TaskStatus> {
    TASK_STATUSES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, s)| *s)
        .ok_or_else(|| attribute(format!("status: one of Waiting, InProgress, Completed, Cancel, not {name:?}")))
}

// ---------------------------------------------------------------------------
// Shapes

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
