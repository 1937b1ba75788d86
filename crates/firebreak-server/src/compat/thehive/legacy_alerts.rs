//! TheHive 4's alert paths for legacy senders (thehive4py 1.x, Wazuh's
//! integration, ElastAlert 2's `HiveAlerter`): `/api/alert`,
//! `/api/alert/{id}`, `/api/alert/{id}/createCase`,
//! `/api/alert/{id}/merge/{caseId}`, `markAsRead` and `markAsUnread`. The
//! same intake and triage as TheHive 5's paths (`alerts.rs`); the shapes are
//! TheHive 4's (`artifacts`, `id`, `createdAt`, the status New, Updated,
//! Ignored or Imported).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use firebreak_app::alerts as app_alerts;
use firebreak_types::{Alert, AlertState, Case};
use serde_json::{Value, json};

use super::alerts::{self, parse};
use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/alert", post(create))
        .route("/api/alert/{id}", axum::routing::get(get).patch(update))
        .route("/api/alert/{id}/artifact", post(alerts::add_observable))
        .route("/api/alert/{id}/createCase", post(create_case))
        .route("/api/alert/{id}/merge/{case_id}", post(merge))
        .route("/api/alert/{id}/markAsRead", post(mark_as_read))
        .route("/api/alert/{id}/markAsUnread", post(mark_as_unread))
}

/// TheHive 4's status of an alert: `New` until triaged (`Updated` when it
/// was sent again), `Ignored` once closed, `Imported` once in a case.
fn legacy_status(a: &Alert) -> &'static str {
    match a.state {
        AlertState::New | AlertState::InTriage if a.occurrences > 1 => "Updated",
        AlertState::New | AlertState::InTriage => "New",
        AlertState::Closed => "Ignored",
        AlertState::Escalated => "Imported",
    }
}

/// An alert in TheHive 4's shape: TheHive 5's fields, with TheHive 4's
/// names beside them and the observables as `artifacts`.
pub(super) fn legacy_alert(a: &Alert, names: &Names) -> Value {
    let mut v = alerts::alert(a, names);
    let artifacts: Vec<Value> = alerts::observables(a)
        .into_iter()
        .map(|o| {
            let mut artifact = json!({
                "dataType": o["dataType"], "message": o["message"], "tlp": o["tlp"],
                "tags": o["tags"], "ioc": o["ioc"], "sighted": o["sighted"], "startDate": o["startDate"],
            });
            for key in ["data", "attachment"] {
                if let Some(v) = o.get(key) {
                    artifact[key] = v.clone();
                }
            }
            artifact
        })
        .collect();
    if let Some(m) = v.as_object_mut() {
        m.insert("id".into(), json!(a.id.to_string()));
        m.insert("_type".into(), json!("alert"));
        m.insert("createdBy".into(), json!(a.source));
        m.insert("createdAt".into(), json!(shape::millis(a.first_seen)));
        if let Some(u) = m.get("_updatedAt").cloned() {
            m.insert("updatedAt".into(), u);
        }
        m.insert("status".into(), json!(legacy_status(a)));
        m.insert("case".into(), json!(a.case_id.map(|c| c.to_string())));
        m.insert("artifacts".into(), Value::Array(artifacts));
        m.insert("lastSyncDate".into(), json!(shape::millis(a.last_seen)));
        m.insert("similarCases".into(), json!([]));
        // TheHive 4 kept custom fields by name.
        let fields: serde_json::Map<String, Value> = a
            .custom_fields
            .as_object()
            .map(|f| f.iter().map(|(k, v)| (k.clone(), json!({ "string": v }))).collect())
            .unwrap_or_default();
        m.insert("customFields".into(), Value::Object(fields));
    }
    v
}

/// A case in TheHive 4's shape: TheHive 5's with `id` and `caseId`.
fn legacy_case(c: &Case, names: &Names) -> Value {
    let mut v = super::cases::case(c, names);
    if let Some(m) = v.as_object_mut() {
        m.insert("id".into(), json!(c.id.to_string()));
        m.insert("_type".into(), json!("case"));
        m.insert("caseId".into(), json!(c.number));
        m.insert("createdAt".into(), json!(shape::millis(c.created_at)));
    }
    v
}

async fn create(State(s): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Response> {
    let body = parse(&body)?;
    let native = alerts::to_native(&body, &HashMap::new())?;
    let files = alerts::files_sent(&s, &caller, &body, Vec::new()).await?;
    let a = alerts::send_with_files(&s, &caller, native, files).await?;
    let names = Names::of(&s, &caller).await?;
    Ok((StatusCode::CREATED, Json(legacy_alert(&a, &names))).into_response())
}

async fn get(State(s): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    let a = app_alerts::get_alert(&s, &caller, shape::path_id(&id, "alert")?).await?;
    let names = Names::of(&s, &caller).await?;
    Ok(Json(legacy_alert(&a, &names)))
}

async fn update(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let fields = parse(&body)?;
    let fields = fields.as_object().ok_or_else(|| HiveError::bad_request("the update must be a JSON object"))?;
    let names = Names::of(&s, &caller).await?;
    let a = alerts::apply_update(&s, &caller, &names, id, fields).await?;
    Ok(Json(legacy_alert(&a, &names)))
}

async fn create_case(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "alert")?;
    let fields = parse(&body)?;
    let case = alerts::promote_alert(&s, &caller, id, fields.get("caseTemplate").and_then(Value::as_str)).await?;
    let names = Names::of(&s, &caller).await?;
    Ok((StatusCode::CREATED, Json(legacy_case(&case, &names))).into_response())
}

async fn merge(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path((id, case_id)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let case_id = shape::path_id(&case_id, "case")?;
    let case = alerts::merge_alert(&s, &caller, id, case_id).await?;
    let names = Names::of(&s, &caller).await?;
    Ok(Json(legacy_case(&case, &names)))
}

/// TheHive 4's "read": a new alert is taken into triage (its acknowledge
/// time); one already triaged is left as it is.
async fn mark_as_read(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let mut a = app_alerts::get_alert(&s, &caller, id).await?;
    if a.state == AlertState::New {
        a = app_alerts::take(&s, &caller, id).await?;
    }
    let names = Names::of(&s, &caller).await?;
    Ok(Json(legacy_alert(&a, &names)))
}

/// TheHive 4's "unread": a new alert is unread already; a triaged one is
/// not reopened.
async fn mark_as_unread(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let a = app_alerts::get_alert(&s, &caller, id).await?;
    if a.state != AlertState::New {
        return Err(HiveError::bad_request("Firebreak does not reopen a triaged alert"));
    }
    let names = Names::of(&s, &caller).await?;
    Ok(Json(legacy_alert(&a, &names)))
}
