//! TheHive 4's case paths, for legacy senders (thehive4py 1.x and the
//! integrations built on it): `/api/case`, `/api/case/{id}`,
//! `/api/case/{id}/artifact`, `/api/case/{id}/task`, `/api/case/task/{id}`
//! and `/api/case/task/{id}/log`. The same use cases as TheHive 5's paths;
//! the shapes add TheHive 4's names (`id`, `caseId`, `owner`, `Open` and
//! `Resolved`).

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use firebreak_types::{Case, CaseState, Task};
use serde_json::{Map, Value, json};

use super::case_parts;
use super::cases::{self as hive, object, text};
use super::error::HiveResult;
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/case", post(create))
        .route("/api/case/{id}", get(read).patch(update).delete(delete))
        .route("/api/case/{id}/force", axum::routing::delete(delete))
        .route("/api/case/{id}/artifact", post(create_artifact))
        .route("/api/case/{id}/task", post(create_task))
        .route("/api/case/task/{id}", get(read_task).patch(update_task))
        .route("/api/case/task/{id}/log", post(create_log))
}

/// Adds TheHive 4's names to an entity in TheHive 5's shape.
fn legacy(mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        if let Some(id) = m.get("_id").cloned() {
            m.insert("id".into(), id);
        }
        for (from, to) in [("_createdBy", "createdBy"), ("_createdAt", "createdAt"), ("_updatedAt", "updatedAt")] {
            if let Some(x) = m.get(from).cloned() {
                m.insert(to.into(), x);
            }
        }
    }
    v
}

/// A case in TheHive 4's shape: `status` Open, Resolved, Deleted (cancelled)
/// or Duplicated (merged), with `resolutionStatus` once resolved.
pub(super) fn case(c: &Case, names: &Names) -> Value {
    let mut v = legacy(hive::case(c, names));
    let (status, resolution) = match c.state {
        CaseState::Closed => ("Resolved", Some(hive::status(c))),
        CaseState::Cancelled => ("Deleted", None),
        CaseState::Merged => ("Duplicated", Some("Duplicated")),
        _ => ("Open", None),
    };
    v["caseId"] = json!(c.number);
    v["status"] = json!(status);
    if let Some(r) = resolution {
        v["resolutionStatus"] = json!(r);
    }
    let fields: Map<String, Value> = c
        .custom_fields
        .as_object()
        .map(|m| {
            m.iter()
                .enumerate()
                .map(|(i, (k, x))| {
                    let kind = match x {
                        Value::Bool(_) => "boolean",
                        Value::Number(_) => "number",
                        _ => "string",
                    };
                    (k.clone(), json!({ kind: x, "order": i }))
                })
                .collect()
        })
        .unwrap_or_default();
    v["customFields"] = Value::Object(fields);
    v
}

fn task(t: &Task, names: &Names) -> Value {
    legacy(hive::task(t, names))
}

/// TheHive 4's update body as TheHive 5's: `Resolved` closes with the
/// `resolutionStatus` (Other when absent), `Open` reopens a resolved case,
/// `Deleted` is not a status one sets (the case is deleted instead).
fn as_v5(mut m: Map<String, Value>, before: &Case) -> HiveResult<Map<String, Value>> {
    let resolution = text(&m, "resolutionStatus")?;
    m.remove("resolutionStatus");
    m.remove("impactStatus");
    match text(&m, "status")?.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("Resolved") => {
            m.insert("status".into(), json!(resolution.unwrap_or_else(|| "Other".to_owned())));
        }
        Some(s) if s.eq_ignore_ascii_case("Open") => {
            if before.state == CaseState::Closed {
                m.insert("status".into(), json!("InProgress"));
            } else {
                m.remove("status");
            }
        }
        Some(s) => {
            return Err(hive::attribute(format!("status: Open or Resolved, not {s:?}")));
        }
        None => {}
    }
    Ok(m)
}

async fn create(
    State(state): State<AppState>,
    caller: HiveCaller,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let names = Names::of(&state.app, &caller).await?;
    let c = hive::create_from(&state, &caller, &names, &m).await?;
    Ok((StatusCode::CREATED, Json(case(&c, &names))))
}

async fn read(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    let c = firebreak_app::cases::get_case(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(case(&c, &names)))
}

async fn update(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "case")?;
    let before = firebreak_app::cases::get_case(&state.app, &caller, id).await?;
    let m = as_v5(object(&body)?, &before)?;
    let names = Names::of(&state.app, &caller).await?;
    let c = hive::update_from(&state, &caller, &names, id, &m).await?;
    Ok(Json(case(&c, &names)))
}

/// As TheHive 5's delete: the case is cancelled, not erased (`/force` too).
async fn delete(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<StatusCode> {
    hive::delete_case(&state, &caller, shape::path_id(&id, "case")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_artifact(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let mut list =
        case_parts::add_observables_from(&state, &caller, shape::path_id(&id, "case")?, &headers, body).await?;
    let list: Vec<Value> = list.drain(..).map(legacy).collect();
    // One value answers one artifact, as TheHive 4 did; several, a list.
    let v = if list.len() == 1 { list.into_iter().next().unwrap_or_default() } else { Value::Array(list) };
    Ok((StatusCode::CREATED, Json(v)))
}

async fn create_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let names = Names::of(&state.app, &caller).await?;
    let t = hive::create_task_from(&state, &caller, &names, shape::path_id(&id, "case")?, &m).await?;
    Ok((StatusCode::CREATED, Json(task(&t, &names))))
}

async fn read_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, t) = firebreak_app::case_notes::case_of::<Task>(&state.app, &caller, shape::path_id(&id, "task")?).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(task(&t, &names)))
}

async fn update_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    let t = case_parts::update_task_from(&state, &caller, shape::path_id(&id, "task")?, &object(&body)?).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(task(&t, &names)))
}

async fn create_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let (log, files) = case_parts::add_log_from(&state, &caller, shape::path_id(&id, "task")?, &headers, body).await?;
    let mut v = legacy(case_parts::log_with(&log, &files));
    v["startDate"] = v["date"].clone();
    v["status"] = json!("Ok");
    if let Some(first) = v["attachments"].as_array().and_then(|a| a.first()).cloned() {
        v["attachment"] = first;
    }
    Ok((StatusCode::CREATED, Json(v)))
}
