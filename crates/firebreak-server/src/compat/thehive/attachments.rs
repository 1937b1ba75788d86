//! TheHive 5's attachments: a case's (`/api/v1/case/{id}/attachments`), a
//! task log's (`/api/v1/log/{id}/attachments`), an alert's, and the
//! organisation's (`/api/v1/attachment/{id}`).
//!
//! A case's attachment is Firebreak's evidence: hashed on the way in, each
//! download an entry of its chain of custody. Evidence and an alert's files
//! are never deleted through TheHive's API: a forensic record that could be
//! erased by a script proves nothing, so a delete is refused and the file
//! stays with its custody. A log entry can let go of a file it lists; the
//! file stays the case's evidence.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use firebreak_app::{alert_attachments, case_notes, evidence};
use firebreak_types::{Evidence, TaskLog};
use serde_json::{Value, json};
use uuid::Uuid;

use super::case_parts;
use super::cases::{attribute, no_content};
use super::error::{HiveError, HiveResult};
use super::form::{self, Sent, SentFile};
use super::session::HiveCaller;
use super::shape;
use crate::api::alerts::file_response;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/case/{id}/attachments", post(add_to_case))
        .route("/api/v1/case/{id}/attachment/{attachment_id}", delete(delete_evidence))
        .route("/api/v1/case/{id}/attachment/{attachment_id}/download", get(download_from_case))
        .route("/api/v1/alert/{id}/attachment/{attachment_id}", delete(delete_alert_attachment))
        .route("/api/v1/log/{id}/attachments", post(add_to_log))
        .route("/api/v1/log/{id}/attachments/{attachment_id}", delete(remove_from_log))
        .route("/api/v1/attachment", post(add_to_organisation))
        .route("/api/v1/attachment/{id}", get(read).delete(delete_any))
        .route("/api/v1/attachment/{id}/download", get(download))
}

/// The files of a multipart body (thehive4py names each part `attachments`),
/// each streamed to the data folder as it arrives.
async fn files(state: &AppState, caller: &HiveCaller, headers: &HeaderMap, body: Body) -> HiveResult<Vec<SentFile>> {
    if !form::is_multipart(headers) {
        return Err(attribute("attachments: files sent as multipart/form-data, one a part"));
    }
    let Sent::Form { files, .. } = form::read(state, caller, headers, body).await? else {
        return Err(attribute("attachments: files sent as multipart/form-data, one a part"));
    };
    if files.is_empty() {
        return Err(attribute("attachments: at least one file (required)"));
    }
    Ok(files)
}

/// Files kept as the case's evidence, each hashed and its custody begun.
async fn add_to_case(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let case_id = shape::path_id(&id, "case")?;
    firebreak_app::cases::get_case(&state.app, &caller, case_id).await?;
    let files = files(&state, &caller, &headers, body).await?;
    let kept = case_parts::keep_all(&state, &caller, case_id, files, "attached through TheHive's API").await?;
    let list: Vec<Value> = kept.iter().map(case_parts::evidence_attachment).collect();
    Ok((StatusCode::CREATED, Json(json!({ "attachments": list }))))
}

fn kept_as_evidence() -> HiveError {
    HiveError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationError",
        "evidence is never deleted: it stays with its chain of custody (record a transfer or where it is \
         stored with POST /api/v1/cases/{id}/evidence/{evidenceId}/custody)",
    )
}

async fn delete_evidence(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let case_id = shape::path_id(&id, "case")?;
    let attachment_id = shape::path_id(&attachment_id, "attachment")?;
    evidence::load(&state, &caller, case_id, attachment_id).await?;
    Err(kept_as_evidence())
}

async fn delete_alert_attachment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let alert_id = shape::path_id(&id, "alert")?;
    let a = alert_attachments::find(&state, &caller, shape::path_id(&attachment_id, "attachment")?).await?;
    if a.alert_id != alert_id {
        return Err(HiveError::not_found(format!("attachment {attachment_id} not found")));
    }
    Err(HiveError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationError",
        "an alert's files are never deleted: they become the evidence of the case it is escalated into",
    ))
}

/// The download is an entry of the evidence's chain of custody.
async fn download_from_case(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let case_id = shape::path_id(&id, "case")?;
    let attachment_id = shape::path_id(&attachment_id, "attachment")?;
    let (e, file) = evidence::download(&state, &caller, case_id, attachment_id).await?;
    Ok(file_response(&e.filename, e.size, &e.sha256, file))
}

/// Files kept as the case's evidence and listed by the log entry.
async fn add_to_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let log_id = shape::path_id(&id, "log")?;
    let (case_id, _) = case_notes::log_case(&state, &caller, log_id).await?;
    let files = files(&state, &caller, &headers, body).await?;
    let kept =
        case_parts::keep_all(&state, &caller, case_id, files, "attached to a task log through TheHive's API").await?;
    let ids: Vec<Uuid> = kept.iter().map(|e| e.id).collect();
    firebreak_app::tasks::attach_to_task_log(&state, &caller, case_id, log_id, &ids).await?;
    let list: Vec<Value> = kept.iter().map(case_parts::evidence_attachment).collect();
    Ok((StatusCode::CREATED, Json(json!({ "attachments": list }))))
}

async fn remove_from_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let log_id = shape::path_id(&id, "log")?;
    let attachment_id = shape::path_id(&attachment_id, "attachment")?;
    let (case_id, _): (Uuid, TaskLog) = case_notes::log_case(&state, &caller, log_id).await?;
    firebreak_app::tasks::detach_from_task_log(&state, &caller, case_id, log_id, attachment_id).await?;
    Ok(no_content())
}

/// The caller is signed in first, so a stranger learns nothing of the API.
async fn add_to_organisation(_caller: HiveCaller) -> HiveResult<Response> {
    Err(HiveError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotSupportedError",
        "Firebreak keeps a file with what it belongs to: attach it to a case (POST /api/v1/case/{id}/attachments, \
         kept as evidence), an alert (POST /api/v1/alert/{id}/attachments), or an asset's or team's documents",
    ))
}

/// What an attachment id names: a case's evidence or an alert's file.
enum Found {
    Evidence(Uuid, Evidence),
    Alert(firebreak_types::AlertAttachment),
}

async fn find(state: &AppState, caller: &HiveCaller, raw: &str) -> HiveResult<Found> {
    let id = shape::path_id(raw, "attachment")?;
    match case_notes::case_of::<Evidence>(state, caller, id).await {
        Ok((case_id, e)) => return Ok(Found::Evidence(case_id, e)),
        Err(e) if e.code != firebreak_types::ErrorCode::NotFound => return Err(e.into()),
        Err(_) => {}
    }
    match alert_attachments::find(state, caller, id).await {
        Ok(a) => Ok(Found::Alert(a)),
        Err(e) if e.code == firebreak_types::ErrorCode::NotFound => {
            Err(HiveError::not_found(format!("attachment {raw} not found")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn read(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    Ok(Json(match find(&state, &caller, &id).await? {
        Found::Evidence(_, e) => case_parts::evidence_attachment(&e),
        Found::Alert(a) => super::alerts::attachment(&a),
    }))
}

async fn download(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    Ok(match find(&state, &caller, &id).await? {
        Found::Evidence(case_id, e) => {
            let (e, file) = evidence::download(&state, &caller, case_id, e.id).await?;
            file_response(&e.filename, e.size, &e.sha256, file)
        }
        Found::Alert(a) => {
            let (a, file) = alert_attachments::download(&state, &caller, a.alert_id, a.id).await?;
            file_response(&a.name, a.size, &a.sha256, file)
        }
    })
}

async fn delete_any(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    find(&state, &caller, &id).await?;
    Err(kept_as_evidence())
}
