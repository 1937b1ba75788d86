//! The rest of TheHive 5's alert, case and task paths: an alert's comments,
//! its ATT&CK techniques (`procedure`), its import into a case, the
//! observables two alerts or cases share, a case template applied to cases,
//! procedures deleted in bulk, the organisations asked to act on a task, and
//! what Firebreak answers for what it keeps otherwise (a case's owner and
//! access, duplicate observables).

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use firebreak_app::{alerts as app_alerts, case_notes, templates};
use firebreak_types::{AmendAlert, CreateTask, NewAlertComment, Task, TimelineEntry};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cases::{attribute, no_content, object, strings, text};
use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alert/{id}/comment", post(add_alert_comment).get(list_alert_comments))
        .route("/api/v1/alert/{id}/procedure", post(add_alert_procedure))
        .route("/api/v1/alert/{id}/procedures", post(add_alert_procedures))
        .route("/api/v1/alert/{id}/import/{case_id}", post(import_alert))
        .route("/api/v1/alert/{id}/similar/{other}/observables", get(similar_to_alert))
        .route("/api/v1/case/{id}/similar/{other}/observables", get(similar_to_case))
        .route("/api/v1/case/{id}/alert/{alert_id}", delete(unlink_alert))
        .route("/api/v1/case/{id}/observable/_merge", post(merge_observables))
        .route("/api/v1/case/{id}/owner", post(change_owner).patch(change_owner))
        .route("/api/v1/case/{id}/access", post(manage_access).patch(manage_access))
        .route("/api/v1/case/customField/{id}", delete(delete_case_custom_field))
        .route("/api/v1/case/_bulk/caseTemplate", post(apply_case_template))
        .route("/api/v1/procedure/delete/_bulk", post(bulk_delete_procedures))
        .route("/api/v1/task/{id}/actionRequired", get(required_actions))
        .route("/api/v1/task/{id}/actionRequired/{org}", put(action_required))
        .route("/api/v1/task/{id}/actionDone/{org}", put(action_done))
}

/// TheHive's answer for what Firebreak does not do, and what it offers.
pub(super) fn not_supported(message: impl Into<String>) -> HiveError {
    HiveError::new(StatusCode::NOT_IMPLEMENTED, "NotSupportedError", message)
}

// ---------------------------------------------------------------------------
// Alerts

async fn add_alert_comment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let id = shape::path_id(&id, "alert")?;
    let m = object(&body)?;
    let message = text(&m, "message")?.ok_or_else(|| attribute("message: the comment's Markdown (required)"))?;
    let c = app_alerts::add_comment(&state, &caller, id, NewAlertComment { body: message }).await?;
    Ok((StatusCode::CREATED, Json(firebreak_app::thehive::shape::alert_comment(&c))))
}

async fn list_alert_comments(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let list = app_alerts::comments(&state, &caller, shape::path_id(&id, "alert")?).await?;
    Ok(Json(Value::Array(list.iter().map(firebreak_app::thehive::shape::alert_comment).collect())))
}

/// The ATT&CK techniques of the procedures sent, checked against ATT&CK
/// Enterprise, as the tags Sigma's rules write (`attack.t1059.001`).
fn technique_tags(procedures: &[&Map<String, Value>]) -> HiveResult<Vec<(String, &'static str)>> {
    let attack = firebreak_domain::attack::attack();
    let mut out = Vec::with_capacity(procedures.len());
    for p in procedures {
        let id = text(p, "patternId")?.ok_or_else(|| attribute("patternId: an ATT&CK technique id (required)"))?;
        let t = attack
            .technique(id.trim())
            .ok_or_else(|| attribute(format!("patternId: {id} is not a technique of ATT&CK Enterprise")))?;
        let tag = firebreak_domain::formats::attack_tag(t.id)
            .ok_or_else(|| attribute(format!("patternId: {id} is not a technique id")))?;
        out.push((tag, t.name));
    }
    Ok(out)
}

/// Adds the techniques to the alert's tags (an audited amendment) and
/// answers each as TheHive's procedure, under the alert's id: an alert
/// keeps its techniques as tags, not as procedures of their own.
async fn tag_techniques(
    state: &AppState,
    caller: &HiveCaller,
    id: Uuid,
    procedures: &[&Map<String, Value>],
) -> HiveResult<Vec<Value>> {
    let found = technique_tags(procedures)?;
    let alert = app_alerts::get_alert(state, caller, id).await?;
    let mut tags = alert.tags.clone();
    for (tag, _) in &found {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.clone());
        }
    }
    let alert = if tags == alert.tags {
        alert
    } else {
        app_alerts::amend(state, caller, id, AmendAlert { tags: Some(tags), ..AmendAlert::default() }).await?
    };
    let now = state.now();
    Ok(procedures
        .iter()
        .zip(&found)
        .map(|(p, (tag, name))| {
            let mut m = shape::header("Procedure", alert.id, caller.name(), now, None);
            let pattern = tag.trim_start_matches("attack.").to_ascii_uppercase();
            m.insert("occurDate".into(), p.get("occurDate").cloned().unwrap_or_else(|| json!(shape::millis(now))));
            m.insert("description".into(), p.get("description").cloned().unwrap_or_else(|| json!("")));
            m.insert("patternId".into(), json!(pattern));
            m.insert("patternName".into(), json!(name));
            m.insert("tag".into(), json!(tag));
            m.insert("extraData".into(), json!({}));
            Value::Object(m)
        })
        .collect())
}

async fn add_alert_procedure(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let id = shape::path_id(&id, "alert")?;
    let m = object(&body)?;
    let mut out = tag_techniques(&state, &caller, id, &[&m]).await?;
    Ok((StatusCode::CREATED, Json(out.pop().unwrap_or_default())))
}

async fn add_alert_procedures(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let id = shape::path_id(&id, "alert")?;
    let m = object(&body)?;
    let Some(Value::Array(list)) = m.get("procedures") else {
        return Err(attribute("procedures: a list (required)"));
    };
    let list: Vec<&Map<String, Value>> = list
        .iter()
        .map(|p| p.as_object().ok_or_else(|| attribute("procedures: a list of objects")))
        .collect::<HiveResult<_>>()?;
    let out = tag_techniques(&state, &caller, id, &list).await?;
    Ok((StatusCode::CREATED, Json(Value::Array(out))))
}

/// TheHive's import of an alert into a case is a merge: the escalation of
/// the alert into that open case.
async fn import_alert(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, case_id)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let case_id = shape::path_id(&case_id, "case")?;
    let case = super::alerts::merge_alert(&state, &caller, id, case_id).await?;
    let names = Names::of(&state, &caller).await?;
    Ok(Json(super::cases::case(&case, &names)))
}

// ---------------------------------------------------------------------------
// Observables two alerts or cases share

/// An observable's identity for comparing: its type and value, the value's
/// case ignored (a domain or a hash in capitals is the same one).
fn key(kind: &str, value: &str) -> (String, String) {
    (kind.to_ascii_lowercase(), value.trim().to_lowercase())
}

/// The observables of an alert or a case (the id names one or the other),
/// as keys and in TheHive's shape.
async fn observables_of(
    state: &AppState,
    caller: &HiveCaller,
    raw: &str,
) -> HiveResult<Vec<((String, String), Value)>> {
    let id = shape::path_id(raw, "alert or case")?;
    match app_alerts::get_alert(state, caller, id).await {
        Ok(a) => {
            let shaped = super::alerts::observables(&a);
            return Ok(a.observables.iter().map(|o| key(&o.kind, &o.value)).zip(shaped).collect());
        }
        Err(e) if e.code != firebreak_types::ErrorCode::NotFound => return Err(e.into()),
        Err(_) => {}
    }
    match firebreak_app::observables::list_observables(state, caller, id).await {
        Ok(list) => Ok(list
            .iter()
            .map(|o| (key(&o.observable.kind, &o.observable.value), super::cases::observable(&o.observable)))
            .collect()),
        Err(e) if e.code == firebreak_types::ErrorCode::NotFound => {
            Err(HiveError::not_found(format!("alert or case {raw} not found")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The first one's observables that the other has too.
async fn similar(state: &AppState, caller: &HiveCaller, id: &str, other: &str) -> HiveResult<Json<Value>> {
    let mine = observables_of(state, caller, id).await?;
    let theirs: HashSet<(String, String)> =
        observables_of(state, caller, other).await?.into_iter().map(|(k, _)| k).collect();
    Ok(Json(Value::Array(mine.into_iter().filter(|(k, _)| theirs.contains(k)).map(|(_, v)| v).collect())))
}

async fn similar_to_alert(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, other)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    app_alerts::get_alert(&state, &caller, shape::path_id(&id, "alert")?).await?;
    similar(&state, &caller, &id, &other).await
}

async fn similar_to_case(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, other)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    firebreak_app::cases::get_case(&state, &caller, shape::path_id(&id, "case")?).await?;
    similar(&state, &caller, &id, &other).await
}

// ---------------------------------------------------------------------------
// Cases

/// An escalated alert is the record of the triage that made the case: it
/// stays with it.
async fn unlink_alert(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, alert_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let case_id = shape::path_id(&id, "case")?;
    firebreak_app::cases::get_case(&state, &caller, case_id).await?;
    let alert = app_alerts::get_alert(&state, &caller, shape::path_id(&alert_id, "alert")?).await?;
    if alert.case_id != Some(case_id) {
        return Err(HiveError::not_found(format!("alert {alert_id} is not in case {id}")));
    }
    Err(HiveError::bad_request(
        "an alert escalated into a case stays with it, as the record of the triage that made the case; \
         link the other case instead, or close this one as a duplicate",
    ))
}

/// A case holds one observable of a type and value (a second is refused
/// when it is added), so there is never anything to merge.
async fn merge_observables(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let case_id = shape::path_id(&id, "case")?;
    let list = firebreak_app::observables::list_observables(&state, &caller, case_id).await?;
    Ok(Json(json!({ "untouched": list.len(), "updated": 0, "deleted": 0 })))
}

async fn change_owner(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    firebreak_app::cases::get_case(&state, &caller, shape::path_id(&id, "case")?).await?;
    Err(not_supported(
        "a case never leaves its organisation: Firebreak does not hand a case to another one. A provider \
         organisation granted a customer acts in all of that customer's cases",
    ))
}

async fn manage_access(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    firebreak_app::cases::get_case(&state, &caller, shape::path_id(&id, "case")?).await?;
    Err(not_supported(
        "a case is open to the roles of its organisation; Firebreak does not restrict one case to named users. \
         Give the case its TLP, and its assignee",
    ))
}

async fn delete_case_custom_field(_caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    Err(not_supported(format!(
        "a case's custom field {id} is a value of its case: remove it with PATCH /api/v1/case/{{caseId}} and the \
         customFields the case keeps"
    )))
}

/// Adds a case template's tasks to cases (all of them, or those
/// `importTasks` names by title), each task in the template's
/// phase. Only the tasks: a case's own fields stay as they are.
async fn apply_case_template(State(state): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Response> {
    let m = object(&body)?;
    let ids = strings(&m, "ids")?.ok_or_else(|| attribute("ids: a list of case ids (required)"))?;
    let ids: Vec<Uuid> = ids.iter().map(|i| shape::path_id(i, "case")).collect::<HiveResult<_>>()?;
    let name =
        text(&m, "caseTemplate")?.ok_or_else(|| attribute("caseTemplate: a case template's name or id (required)"))?;
    for field in [
        "updateTitlePrefix",
        "updateDescription",
        "updateTags",
        "updateSeverity",
        "updateFlag",
        "updateTlp",
        "updatePap",
        "updateCustomFields",
    ] {
        if m.get(field).and_then(Value::as_bool) == Some(true) {
            return Err(attribute(format!(
                "{field}: a template adds its tasks to a case, the case's own fields stay; change them with \
                 PATCH /api/v1/case/_bulk"
            )));
        }
    }
    if strings(&m, "importPages")?.is_some_and(|p| !p.is_empty()) {
        return Err(attribute("importPages: Firebreak's case templates have no pages"));
    }
    let template = templates::list_templates(&state, &caller)
        .await?
        .into_iter()
        .find(|t| t.name == name || t.id.to_string() == name)
        .ok_or_else(|| HiveError::not_found(format!("case template {name} not found")))?;
    let wanted = strings(&m, "importTasks")?;
    let tasks: Vec<_> =
        template.tasks.iter().filter(|t| wanted.as_ref().is_none_or(|w| w.contains(&t.title))).collect();
    let now = state.now();
    for case_id in ids {
        for t in &tasks {
            let due_at = t.due_hours.map(|h| now + time::Duration::hours(i64::from(h)));
            let req = CreateTask {
                title: t.title.clone(),
                description: t.description.clone(),
                phase: Some(t.phase),
                assignee_id: None,
                assignee_role: t.assignee_role,
                due_at,
            };
            firebreak_app::tasks::create_task(&state, &caller, case_id, req).await?;
        }
    }
    Ok(no_content())
}

async fn bulk_delete_procedures(
    State(state): State<AppState>,
    caller: HiveCaller,
    body: Bytes,
) -> HiveResult<Response> {
    let m = object(&body)?;
    let ids = strings(&m, "ids")?.ok_or_else(|| attribute("ids: a list of procedure ids (required)"))?;
    let mut found = Vec::with_capacity(ids.len());
    // Every id is checked before any is deleted.
    for raw in &ids {
        let id = shape::path_id(raw, "procedure")?;
        let (case_id, e) = case_notes::case_of::<TimelineEntry>(&state, &caller, id).await?;
        if e.technique.is_none() {
            return Err(HiveError::not_found(format!("procedure {raw} not found")));
        }
        found.push((case_id, id));
    }
    for (case_id, id) in found {
        firebreak_app::timeline::delete_timeline_entry(&state, &caller, case_id, id).await?;
    }
    Ok(no_content())
}

// ---------------------------------------------------------------------------
// Tasks

/// The organisations asked to act on a task, by name: `true` while the
/// action is required, `false` once done.
async fn required_actions(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let task_id = shape::path_id(&id, "task")?;
    let (case_id, _) = case_notes::case_of::<Task>(&state, &caller, task_id).await?;
    let actions = firebreak_app::tasks::task_actions(&state, &caller, case_id, task_id).await?;
    let orgs = firebreak_app::service::acting_orgs(&state, &caller).await?;
    let mut out = Map::new();
    for a in actions {
        let name = orgs.iter().find(|o| o.id == a.org_id).map_or_else(|| a.org_id.to_string(), |o| o.name.clone());
        out.insert(name, json!(a.required));
    }
    Ok(Json(Value::Object(out)))
}

async fn set_action(
    state: &AppState,
    caller: &HiveCaller,
    id: &str,
    org: &str,
    required: bool,
) -> HiveResult<Response> {
    let task_id = shape::path_id(id, "task")?;
    let (case_id, _) = case_notes::case_of::<Task>(state, caller, task_id).await?;
    // The organisation by id or by name, among those the caller acts in.
    let org_id = firebreak_app::service::acting_orgs(state, caller)
        .await?
        .into_iter()
        .find(|o| o.id.to_string() == org.trim() || o.name.eq_ignore_ascii_case(org.trim()))
        .map(|o| o.id)
        .ok_or_else(|| HiveError::not_found(format!("organisation {org} not found")))?;
    firebreak_app::tasks::set_task_action(state, caller, case_id, task_id, org_id, required).await?;
    Ok(no_content())
}

async fn action_required(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, org)): Path<(String, String)>,
) -> HiveResult<Response> {
    set_action(&state, &caller, &id, &org, true).await
}

async fn action_done(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, org)): Path<(String, String)>,
) -> HiveResult<Response> {
    set_action(&state, &caller, &id, &org, false).await
}
