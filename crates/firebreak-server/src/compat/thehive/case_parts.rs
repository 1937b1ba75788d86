//! What a TheHive 5 case holds: tasks (`/api/v1/case/{id}/task`,
//! `/api/v1/task/{id}`), their logs (`/api/v1/task/{id}/log`,
//! `/api/v1/log/{id}`), observables (`/api/v1/case/{id}/observable`,
//! `/api/v1/observable/{id}`), comments, pages, timeline events, procedures
//! (ATT&CK onto the case's timeline) and shares.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use firebreak_app::auth::Caller;
use firebreak_app::case_notes;
use firebreak_domain::observable::thehive_kind;
use firebreak_types::{
    CaseComment, CasePage, CaseShare, CreateCaseShare, CreateObservable, CreateTaskLog, CreateTimelineEntry,
    Observable, ShareRule, SourceRef, Task, TaskLog, TimelineEntry, UpdateCaseShare, UpdateObservable, UpdateTask,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub(super) use firebreak_app::thehive::shape::{comment, procedure};

use super::cases::{self as hive, attribute, boolean, date, no_content, object, strings, text, tlp, user_id};
use super::error::{HiveError, HiveResult};
use super::form::{self, Sent, SentFile};
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/case/{id}/task", post(create_task).get(list_tasks))
        .route("/api/v1/task/_bulk", axum::routing::patch(bulk_update_tasks))
        .route("/api/v1/observable/_bulk", axum::routing::patch(bulk_update_observables))
        .route("/api/v1/task/{id}", get(read_task).patch(update_task).delete(delete_task))
        .route("/api/v1/task/{id}/log", post(create_log).get(list_logs))
        .route("/api/v1/log/{id}", get(read_log).patch(update_log).delete(delete_log))
        .route("/api/v1/case/{id}/observable", post(create_observable).get(list_observables))
        .route("/api/v1/observable/{id}", get(read_observable).patch(update_observable).delete(delete_observable))
        .route("/api/v1/case/{id}/comment", post(create_comment).get(list_comments))
        .route("/api/v1/comment/{id}", get(read_comment).patch(update_comment).delete(delete_comment))
        .route("/api/v1/case/{id}/page", post(create_page).get(list_pages))
        .route("/api/v1/case/{id}/page/{page}", get(read_page).patch(update_page).delete(delete_page))
        .route("/api/v1/case/{id}/timeline", get(timeline))
        .route("/api/v1/case/{id}/customEvent", post(create_event))
        .route("/api/v1/customEvent/{id}", axum::routing::delete(delete_timeline_entry).patch(update_event))
        .route("/api/v1/case/{id}/procedure", post(create_procedure))
        .route("/api/v1/case/{id}/procedures", post(create_procedures))
        .route("/api/v1/procedure/{id}", get(read_procedure).patch(update_procedure).delete(delete_timeline_entry))
        .route("/api/v1/case/{id}/links", get(links))
        .route("/api/v1/case/link/types", get(link_types))
        .route("/api/v1/case/{id}/link/{kind}/{change}", post(hand_made_link))
        .route("/api/v1/case/{id}/shares", get(list_shares).post(share).put(replace_shares).delete(unshare))
        .route("/api/v1/case/share/{id}", axum::routing::delete(remove_share).patch(update_share))
        .route("/api/v1/task/{id}/shares", get(task_shares).post(share_item).delete(share_item))
        .route("/api/v1/observable/{id}/shares", get(observable_shares).post(share_item).delete(share_item))
}

// ---------------------------------------------------------------------------
// Bodies with files (a file observable, a log with an attachment)

/// TheHive's requests that may carry a file: JSON, or multipart with the
/// JSON in the `_json` field beside the files.
pub(super) fn json_and_files(sent: Sent) -> HiveResult<(Map<String, Value>, Vec<SentFile>)> {
    match sent {
        Sent::Whole(body) => Ok((object(&body)?, Vec::new())),
        Sent::Form { fields, files } => {
            let json = match fields.get("_json") {
                Some(j) => object(j)?,
                None => Map::new(),
            };
            Ok((json, files))
        }
    }
}

/// Keeps a file sent with a request as evidence of the case.
pub(super) async fn keep_file(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    file: SentFile,
    description: &str,
) -> HiveResult<firebreak_types::Evidence> {
    let params = firebreak_app::evidence::UploadParams {
        filename: file.name,
        description: description.to_owned(),
        collected_from: "TheHive API".to_owned(),
        collected_by: None,
    };
    Ok(firebreak_app::evidence::record_staged(&state.app, caller, case_id, params, file.content_type, file.file)
        .await?)
}

/// Keeps each file sent with a request as evidence of the case, in order.
pub(super) async fn keep_all(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    files: Vec<SentFile>,
    description: &str,
) -> HiveResult<Vec<firebreak_types::Evidence>> {
    let mut kept = Vec::with_capacity(files.len());
    for f in files {
        kept.push(keep_file(state, caller, case_id, f, description).await?);
    }
    Ok(kept)
}

/// A case's evidence file as TheHive 5's attachment (a log's, an observable's, the query API's
/// `case → attachments`).
pub(super) fn evidence_attachment(e: &firebreak_types::Evidence) -> Value {
    let mut m = shape::header("Attachment", e.id, &e.collected_by, e.collected_at, None);
    m.insert("name".into(), json!(e.filename));
    m.insert("size".into(), json!(e.size));
    m.insert("contentType".into(), json!(e.content_type));
    m.insert("id".into(), json!(e.id.to_string()));
    m.insert("hashes".into(), json!([e.sha256]));
    m.insert("external".into(), json!(false));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

// ---------------------------------------------------------------------------
// Tasks and logs

async fn create_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let case_id = shape::path_id(&id, "case")?;
    let m = object(&body)?;
    let names = Names::of(&state.app, &caller).await?;
    let t = hive::create_task_from(&state, &caller, &names, case_id, &m).await?;
    Ok((StatusCode::CREATED, Json(hive::task(&t, &names))))
}

async fn list_tasks(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let case_id = shape::path_id(&id, "case")?;
    let tasks = firebreak_app::tasks::list_tasks(&state.app, &caller, case_id).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(Value::Array(tasks.iter().map(|t| hive::task(t, &names)).collect())))
}

async fn read_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, t) = case_notes::case_of::<Task>(&state.app, &caller, shape::path_id(&id, "task")?).await?;
    let names = Names::of(&state.app, &caller).await?;
    Ok(Json(hive::task(&t, &names)))
}

/// Applies TheHive's task update body.
pub(super) async fn update_task_from(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    m: &Map<String, Value>,
) -> HiveResult<Task> {
    let (case_id, _) = case_notes::case_of::<Task>(&state.app, caller, id).await?;
    let names = Names::of(&state.app, caller).await?;
    let mut req = UpdateTask {
        title: text(m, "title")?,
        description: text(m, "description")?,
        status: text(m, "status")?.map(|s| hive::task_status_from(&s)).transpose()?,
        phase: text(m, "group")?.and_then(|g| firebreak_types::CaseState::parse(&g.trim().to_lowercase())),
        ..UpdateTask::default()
    };
    for field in ["assignee", "owner"] {
        match m.get(field) {
            Some(Value::Null) => req.assignee_id = Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => req.assignee_id = Some(None),
            Some(Value::String(s)) => req.assignee_id = Some(Some(user_id(&names, field, s)?)),
            Some(_) => return Err(attribute(format!("{field}: a login"))),
            None => {}
        }
    }
    if m.contains_key("dueDate") {
        req.due_at = Some(date(m, "dueDate")?);
    }
    Ok(firebreak_app::tasks::update_task(&state.app, caller, case_id, id, req).await?)
}

async fn update_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    update_task_from(&state, &caller, shape::path_id(&id, "task")?, &object(&body)?).await?;
    Ok(no_content())
}

/// The ids of a bulk update (`ids`) and the fields to set on each.
fn bulk(body: &Bytes, noun: &str) -> HiveResult<(Vec<Uuid>, Map<String, Value>)> {
    let mut m = object(body)?;
    let ids = strings(&m, "ids")?.ok_or_else(|| attribute(format!("ids: a list of {noun} ids (required)")))?;
    m.remove("ids");
    Ok((ids.iter().map(|i| shape::path_id(i, noun)).collect::<HiveResult<Vec<_>>>()?, m))
}

async fn bulk_update_tasks(State(state): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Response> {
    let (ids, m) = bulk(&body, "task")?;
    for id in ids {
        update_task_from(&state, &caller, id, &m).await?;
    }
    Ok(no_content())
}

async fn delete_task(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "task")?;
    let (case_id, _) = case_notes::case_of::<Task>(&state.app, &caller, id).await?;
    firebreak_app::tasks::delete_task(&state.app, &caller, case_id, id).await?;
    Ok(no_content())
}

/// Adds a log to a task from TheHive's body (JSON, or multipart with the
/// JSON in `_json` and a file): the file is kept as the case's evidence and
/// attached to the log.
pub(super) async fn add_log_from(
    state: &AppState,
    caller: &Caller,
    task_id: Uuid,
    headers: &HeaderMap,
    body: Body,
) -> HiveResult<(TaskLog, Vec<firebreak_types::Evidence>)> {
    let (case_id, _) = case_notes::case_of::<Task>(&state.app, caller, task_id).await?;
    let (m, files) = json_and_files(form::read(state, caller, headers, body).await?)?;
    let message = text(&m, "message")?.unwrap_or_default();
    let attachments = keep_all(state, caller, case_id, files, "attached to a task log through TheHive's API").await?;
    let body = if message.trim().is_empty() && !attachments.is_empty() {
        attachments.iter().map(|e| format!("Attached {}", e.filename)).collect::<Vec<_>>().join("\n")
    } else {
        message
    };
    let req = CreateTaskLog { body, attachments: attachments.iter().map(|e| e.id).collect() };
    let log = firebreak_app::tasks::add_task_log(&state.app, caller, case_id, task_id, req).await?;
    Ok((log, attachments))
}

pub(super) fn log_with(log: &TaskLog, attachments: &[firebreak_types::Evidence]) -> Value {
    let mut v = hive::log(log);
    if !attachments.is_empty() {
        v["attachments"] = Value::Array(attachments.iter().map(evidence_attachment).collect());
    }
    v
}

async fn create_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let (log, files) = add_log_from(&state, &caller, shape::path_id(&id, "task")?, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(log_with(&log, &files))))
}

async fn list_logs(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let task_id = shape::path_id(&id, "task")?;
    let (case_id, _) = case_notes::case_of::<Task>(&state.app, &caller, task_id).await?;
    let logs = firebreak_app::tasks::task_logs(&state.app, &caller, case_id, task_id).await?;
    Ok(Json(Value::Array(logs.iter().map(hive::log).collect())))
}

async fn read_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, log) = case_notes::log_case(&state.app, &caller, shape::path_id(&id, "log")?).await?;
    Ok(Json(hive::log(&log)))
}

async fn update_log(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "log")?;
    let m = object(&body)?;
    let (case_id, _) = case_notes::log_case(&state.app, &caller, id).await?;
    if let Some(message) = text(&m, "message")? {
        firebreak_app::tasks::update_task_log(&state.app, &caller, case_id, id, &message).await?;
    }
    Ok(no_content())
}

async fn delete_log(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let id = shape::path_id(&id, "log")?;
    let (case_id, _) = case_notes::log_case(&state.app, &caller, id).await?;
    firebreak_app::tasks::delete_task_log(&state.app, &caller, case_id, id).await?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------
// Observables

/// Adds observables to a case from TheHive's body: `data` one value or a
/// list; a `file` observable (multipart) is kept as the case's evidence and
/// added as its SHA-256.
pub(super) async fn add_observables_from(
    state: &AppState,
    caller: &Caller,
    case_id: Uuid,
    headers: &HeaderMap,
    body: Body,
) -> HiveResult<Vec<Value>> {
    // The case first: another organisation's is not there, whatever the body.
    firebreak_app::cases::get_case(&state.app, caller, case_id).await?;
    let (m, files) = json_and_files(form::read(state, caller, headers, body).await?)?;
    let file = files.into_iter().next();
    let data_type = text(&m, "dataType")?.ok_or_else(|| attribute("dataType: a string (required)"))?;
    let message = text(&m, "message")?.unwrap_or_default();
    let mut values: Vec<(String, String)> = Vec::new();
    let mut kept = None;
    if data_type.eq_ignore_ascii_case("file") {
        let file = file.ok_or_else(|| attribute("attachment: a file observable needs its file"))?;
        let e = keep_file(state, caller, case_id, file, &message).await?;
        values.push(("sha256".to_owned(), e.sha256.clone()));
        kept = Some(e);
    } else {
        let data: Vec<String> = match m.get("data") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(_)) => strings(&m, "data")?.unwrap_or_default(),
            _ => return Err(attribute("data: a string or a list of strings (required)")),
        };
        for d in data {
            let kind = thehive_kind(&data_type, &d).ok_or_else(|| {
                attribute(format!(
                    "dataType: one of TheHive's data types (ip, domain, fqdn, url, mail, hash, filename, hostname, registry, other…), not {data_type:?}"
                ))
            })?;
            values.push((kind.as_str().to_owned(), d));
        }
    }
    let mut out = Vec::new();
    for (kind, value) in values {
        let req = CreateObservable {
            kind,
            value,
            tlp: tlp(&m)?.unwrap_or(firebreak_types::Tlp::Amber),
            ioc: boolean(&m, "ioc")?.unwrap_or(false),
            tags: strings(&m, "tags")?.unwrap_or_default(),
            description: match &kept {
                Some(e) if message.trim().is_empty() => format!("File {} (evidence {})", e.filename, e.id),
                _ => message.clone(),
            },
        };
        let o = firebreak_app::observables::add_observable(&state.app, caller, case_id, req).await?;
        let mut v = hive::observable(&o.observable);
        if let Some(e) = &kept {
            v["dataType"] = json!("file");
            v["attachment"] = evidence_attachment(e);
        }
        out.push(v);
    }
    Ok(out)
}

async fn create_observable(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let list = add_observables_from(&state, &caller, shape::path_id(&id, "case")?, &headers, body).await?;
    Ok((StatusCode::CREATED, Json(Value::Array(list))))
}

async fn list_observables(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let list = firebreak_app::observables::list_observables(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    Ok(Json(Value::Array(list.iter().map(|o| hive::observable(&o.observable)).collect())))
}

async fn read_observable(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, o) = case_notes::case_of::<Observable>(&state.app, &caller, shape::path_id(&id, "observable")?).await?;
    Ok(Json(hive::observable(&o)))
}

async fn update_observable_from(state: &AppState, caller: &Caller, id: Uuid, m: &Map<String, Value>) -> HiveResult<()> {
    let (case_id, _) = case_notes::case_of::<Observable>(&state.app, caller, id).await?;
    let req = UpdateObservable {
        tlp: tlp(m)?,
        ioc: boolean(m, "ioc")?,
        tags: strings(m, "tags")?,
        description: text(m, "message")?,
    };
    firebreak_app::observables::update_observable(&state.app, caller, case_id, id, req).await?;
    Ok(())
}

async fn update_observable(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    update_observable_from(&state, &caller, shape::path_id(&id, "observable")?, &object(&body)?).await?;
    Ok(no_content())
}

async fn bulk_update_observables(
    State(state): State<AppState>,
    caller: HiveCaller,
    body: Bytes,
) -> HiveResult<Response> {
    let (ids, m) = bulk(&body, "observable")?;
    for id in ids {
        update_observable_from(&state, &caller, id, &m).await?;
    }
    Ok(no_content())
}

async fn delete_observable(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "observable")?;
    let (case_id, _) = case_notes::case_of::<Observable>(&state.app, &caller, id).await?;
    firebreak_app::observables::delete_observable(&state.app, &caller, case_id, id).await?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------
// Comments and pages

/// In TheHive 5's shape (the query API answers with it too).
pub(super) fn page(p: &CasePage) -> Value {
    let mut m = shape::header("Page", p.id, &p.author, p.created_at, Some(p.updated_at));
    m.insert("title".into(), json!(p.title));
    m.insert("category".into(), json!(p.category));
    m.insert("content".into(), json!(p.content));
    m.insert("order".into(), json!(p.order));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

async fn create_comment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let message = text(&m, "message")?.ok_or_else(|| attribute("message: a string (required)"))?;
    let c = case_notes::add_comment(&state.app, &caller, shape::path_id(&id, "case")?, &message).await?;
    Ok((StatusCode::CREATED, Json(comment(&c))))
}

async fn list_comments(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let list = case_notes::comments(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    Ok(Json(Value::Array(list.iter().map(comment).collect())))
}

async fn read_comment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, c) = case_notes::case_of::<CaseComment>(&state.app, &caller, shape::path_id(&id, "comment")?).await?;
    Ok(Json(comment(&c)))
}

async fn update_comment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let m = object(&body)?;
    let message = text(&m, "message")?.ok_or_else(|| attribute("message: a string (required)"))?;
    case_notes::edit_comment(&state.app, &caller, shape::path_id(&id, "comment")?, &message).await?;
    Ok(no_content())
}

async fn delete_comment(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    case_notes::delete_comment(&state.app, &caller, shape::path_id(&id, "comment")?).await?;
    Ok(no_content())
}

async fn create_page(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let input = hive::page_input(&object(&body)?)?;
    let p = case_notes::add_page(&state.app, &caller, shape::path_id(&id, "case")?, input).await?;
    Ok((StatusCode::CREATED, Json(page(&p))))
}

async fn list_pages(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let list = case_notes::pages(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    Ok(Json(Value::Array(list.iter().map(page).collect())))
}

async fn read_page(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, page_id)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    let case_id = shape::path_id(&id, "case")?;
    let page_id = shape::path_id(&page_id, "page")?;
    let list = case_notes::pages(&state.app, &caller, case_id).await?;
    let p = list
        .iter()
        .find(|p| p.id == page_id)
        .ok_or_else(|| HiveError::not_found(format!("page {page_id} not found")))?;
    Ok(Json(page(p)))
}

async fn update_page(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, page_id)): Path<(String, String)>,
    body: Bytes,
) -> HiveResult<Response> {
    let input = hive::page_input(&object(&body)?)?;
    case_notes::update_page(
        &state.app,
        &caller,
        shape::path_id(&id, "case")?,
        shape::path_id(&page_id, "page")?,
        input,
    )
    .await?;
    Ok(no_content())
}

async fn delete_page(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, page_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    case_notes::delete_page(&state.app, &caller, shape::path_id(&id, "case")?, shape::path_id(&page_id, "page")?)
        .await?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------
// Timeline, custom events and procedures

/// An entry of a case's timeline as TheHive 5's timeline event.
pub(super) fn event(e: &TimelineEntry) -> Value {
    let kind = if e.technique.is_some() {
        "Procedure"
    } else if e.automatic {
        "Update"
    } else {
        "CustomEvent"
    };
    json!({
        "date": shape::millis(e.at), "kind": kind, "entity": kind, "entityId": e.id.to_string(),
        "title": e.description.lines().next().unwrap_or_default(), "description": e.description,
        "details": { "tactic": e.tactic, "patternId": e.technique, "author": e.author },
    })
}

async fn timeline(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let list = firebreak_app::timeline::timeline(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    Ok(Json(json!({ "events": list.iter().map(event).collect::<Vec<_>>() })))
}

/// In TheHive 5's shape (the query API answers with it too).
pub(super) fn custom_event(e: &TimelineEntry) -> Value {
    let mut m = shape::header("CustomEvent", e.id, &e.author, e.at, None);
    let (title, description) = e.description.split_once("\n\n").unwrap_or((e.description.as_str(), ""));
    m.insert("date".into(), json!(shape::millis(e.at)));
    m.insert("title".into(), json!(title));
    m.insert("description".into(), json!(description));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

async fn create_event(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let m = object(&body)?;
    let at = date(&m, "date")?.ok_or_else(|| attribute("date: epoch milliseconds (required)"))?;
    let title = text(&m, "title")?.ok_or_else(|| attribute("title: a string (required)"))?;
    let description = match text(&m, "description")?.filter(|d| !d.trim().is_empty()) {
        Some(d) => format!("{title}\n\n{d}"),
        None => title,
    };
    let req = CreateTimelineEntry { at, description, tactic: None, technique: None, asset: None, source: None };
    let e = firebreak_app::timeline::add_timeline_entry(&state.app, &caller, shape::path_id(&id, "case")?, req).await?;
    Ok((StatusCode::CREATED, Json(custom_event(&e))))
}

/// A TTP onto the case's timeline: the technique and its tactic, so the
/// case's kill chain shows it.
async fn add_procedure(state: &AppState, caller: &Caller, case_id: Uuid, m: &Map<String, Value>) -> HiveResult<Value> {
    let pattern = text(m, "patternId")?.ok_or_else(|| attribute("patternId: an ATT&CK technique id (required)"))?;
    let at = date(m, "occurDate")?.ok_or_else(|| attribute("occurDate: epoch milliseconds (required)"))?;
    let name = firebreak_domain::attack::attack().technique(pattern.trim()).map(|t| t.name).unwrap_or_default();
    let description = text(m, "description")?
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| format!("{} {name}", pattern.trim()));
    let req = CreateTimelineEntry {
        at,
        description,
        tactic: text(m, "tactic")?,
        technique: Some(pattern),
        asset: None,
        source: Some(SourceRef { kind: "procedure".into(), id: None }),
    };
    let e = firebreak_app::timeline::add_timeline_entry(&state.app, caller, case_id, req).await.map_err(|e| {
        let mut e = HiveError::from(e);
        e.message = e.message.replace("technique", "patternId");
        e
    })?;
    Ok(procedure(&e))
}

async fn create_procedure(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let v = add_procedure(&state, &caller, shape::path_id(&id, "case")?, &object(&body)?).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

async fn create_procedures(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let case_id = shape::path_id(&id, "case")?;
    let m = object(&body)?;
    let Some(Value::Array(list)) = m.get("procedures") else {
        return Err(attribute("procedures: a list (required)"));
    };
    let mut out = Vec::new();
    for p in list {
        let p = p.as_object().ok_or_else(|| attribute("procedures: a list of objects"))?;
        out.push(add_procedure(&state, &caller, case_id, p).await?);
    }
    Ok((StatusCode::CREATED, Json(Value::Array(out))))
}

async fn read_procedure(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (_, e) = case_notes::case_of::<TimelineEntry>(&state.app, &caller, shape::path_id(&id, "procedure")?).await?;
    Ok(Json(procedure(&e)))
}

async fn change_entry(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    change: firebreak_app::timeline::TimelineChange,
) -> HiveResult<()> {
    let (case_id, _) = case_notes::case_of::<TimelineEntry>(&state.app, caller, id).await?;
    firebreak_app::timeline::update_timeline_entry(&state.app, caller, case_id, id, change).await?;
    Ok(())
}

async fn update_event(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "event")?;
    let m = object(&body)?;
    let description = match (text(&m, "title")?, text(&m, "description")?) {
        (None, None) => None,
        (title, description) => {
            let (_, e) = case_notes::case_of::<TimelineEntry>(&state.app, &caller, id).await?;
            let old = e.description.split_once("\n\n").map(|(t, d)| (t.to_owned(), d.to_owned()));
            let (old_title, old_description) = old.unwrap_or((e.description.clone(), String::new()));
            let title = title.unwrap_or(old_title);
            let description = description.unwrap_or(old_description);
            Some(if description.trim().is_empty() { title } else { format!("{title}\n\n{description}") })
        }
    };
    let change = firebreak_app::timeline::TimelineChange { at: date(&m, "date")?, description, ..Default::default() };
    change_entry(&state, &caller, id, change).await?;
    Ok(no_content())
}

async fn update_procedure(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let m = object(&body)?;
    let change = firebreak_app::timeline::TimelineChange {
        at: date(&m, "occurDate")?,
        description: text(&m, "description")?,
        tactic: text(&m, "tactic")?,
        technique: text(&m, "patternId")?,
    };
    change_entry(&state, &caller, shape::path_id(&id, "procedure")?, change).await.map_err(|mut e| {
        e.message = e.message.replace("technique", "patternId");
        e
    })?;
    Ok(no_content())
}

async fn delete_timeline_entry(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "event")?;
    let (case_id, _) = case_notes::case_of::<TimelineEntry>(&state.app, &caller, id).await?;
    firebreak_app::timeline::delete_timeline_entry(&state.app, &caller, case_id, id).await?;
    Ok(no_content())
}

// ---------------------------------------------------------------------------
// Links

/// The other cases of the organisation sharing observables with this one,
/// in TheHive 5's shape: each case, `linksCount` and the observables of it
/// that match (`linkedWith`), most shared first.
pub(super) async fn linked_cases(state: &AppState, caller: &Caller, case_id: Uuid) -> HiveResult<Vec<Value>> {
    let linked = firebreak_app::query::linked_cases(&state.app, caller, case_id).await?;
    let names = Names::of(&state.app, caller).await?;
    Ok(linked
        .iter()
        .map(|(c, observables)| {
            let mut v = hive::case(c, &names);
            v["linksCount"] = json!(observables.len());
            v["linkedWith"] = Value::Array(observables.iter().map(hive::observable).collect());
            v
        })
        .collect())
}

/// TheHive's types of hand-made case links: Firebreak keeps none.
async fn link_types(_caller: HiveCaller) -> Json<Value> {
    Json(json!([]))
}

/// `POST /api/v1/case/{id}/link/{case|external}/{add|remove}`: Firebreak
/// links cases by the observables they share, found again at every read, and
/// keeps no link made by hand (a related case or page is named in a comment
/// or on the timeline instead).
async fn hand_made_link(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path((id, _, _)): Path<(String, String, String)>,
) -> HiveResult<Response> {
    firebreak_app::cases::get_case(&state.app, &caller, shape::path_id(&id, "case")?).await?;
    Err(HiveError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotSupportedError",
        "Firebreak links cases by the observables they share (GET /api/v1/case/{id}/links) and keeps no link made \
         by hand: name a related case or address in a comment or a timeline event",
    ))
}

async fn links(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    Ok(Json(Value::Array(linked_cases(&state, &caller, shape::path_id(&id, "case")?).await?)))
}

// ---------------------------------------------------------------------------
// Shares

/// A share in TheHive's shape: the owner's own entry (`owner: true`) or one
/// of the organisations the case is shared with, its role as a profile.
fn share_view(c: &firebreak_types::Case, s: &CaseShare) -> Value {
    let mut m = shape::header("Share", s.id, &s.created_by, s.created_at, Some(s.updated_at));
    m.insert("caseId".into(), json!(c.id.to_string()));
    m.insert("organisationName".into(), json!(s.org_name));
    m.insert("organisationId".into(), json!(s.org_id.to_string()));
    m.insert("profileName".into(), json!(profile_name(s.role)));
    m.insert("owner".into(), json!(false));
    m.insert("taskRule".into(), json!(s.task_rule.as_str()));
    m.insert("observableRule".into(), json!(s.observable_rule.as_str()));
    Value::Object(m)
}

fn owner_view(c: &firebreak_types::Case, owner: &str) -> Value {
    let mut m = shape::header("Share", c.org_id, "", c.created_at, None);
    m.insert("caseId".into(), json!(c.id.to_string()));
    m.insert("organisationName".into(), json!(owner));
    m.insert("organisationId".into(), json!(c.org_id.to_string()));
    m.insert("profileName".into(), json!("org-admin"));
    m.insert("owner".into(), json!(true));
    m.insert("taskRule".into(), json!("all"));
    m.insert("observableRule".into(), json!("all"));
    Value::Object(m)
}

/// TheHive's profile for a share's role (the first profile that is the role).
fn profile_name(role: firebreak_types::Role) -> &'static str {
    super::identity::PROFILES.iter().find(|(_, r)| *r == role).map_or("read-only", |(p, _)| p)
}

/// `GET /api/v1/case/{id}/shares`: the owner's entry, then each share; a
/// member of an organisation the case is shared with sees its own.
async fn list_shares(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let case_id = shape::path_id(&id, "case")?;
    let c = firebreak_app::cases::get_case(&state.app, &caller, case_id).await?;
    let shares = firebreak_app::shares::case_shares(&state.app, &caller, case_id).await?;
    let mut out = Vec::new();
    if caller.share.is_none() {
        out.push(owner_view(&c, &caller.org.name));
    }
    out.extend(shares.iter().map(|s| share_view(&c, s)));
    Ok(Json(Value::Array(out)))
}

/// One entry of TheHive's `shares` list, read into Firebreak's request.
struct ShareInput {
    organisation: String,
    profile: Option<firebreak_types::Role>,
    task_rule: Option<ShareRule>,
    observable_rule: Option<ShareRule>,
}

fn rule(m: &Map<String, Value>, field: &str) -> HiveResult<Option<ShareRule>> {
    text(m, field)?
        .map(|r| ShareRule::parse(&r).ok_or_else(|| attribute(format!("{field}: one of all, none, manual, not {r}"))))
        .transpose()
}

fn share_inputs(body: &Bytes) -> HiveResult<Vec<ShareInput>> {
    let m = object(body)?;
    let Some(Value::Array(list)) = m.get("shares") else {
        return Err(attribute("shares: a list of {organisation, profile, taskRule, observableRule}"));
    };
    list.iter()
        .map(|v| {
            let Value::Object(e) = v else { return Err(attribute("shares: each entry an object")) };
            let organisation = text(e, "organisation")?
                .ok_or_else(|| attribute("shares.organisation: the organisation to share with"))?;
            Ok(ShareInput {
                organisation,
                profile: text(e, "profile")?.map(|p| super::identity::role_of(&p)).transpose()?,
                task_rule: rule(e, "taskRule")?,
                observable_rule: rule(e, "observableRule")?,
            })
        })
        .collect()
}

/// An organisation the caller works with, by TheHive's name or id.
async fn partner(state: &AppState, caller: &Caller, name: &str) -> HiveResult<firebreak_types::Organisation> {
    let n = name.trim();
    if caller.org.name.eq_ignore_ascii_case(n) || caller.org.id.to_string() == n {
        return Err(attribute("organisation: a case cannot be shared with its own organisation"));
    }
    let orgs = firebreak_app::shares::partners(&state.app, caller).await?;
    orgs.into_iter()
        .find(|o| o.name.eq_ignore_ascii_case(n) || o.id.to_string() == n)
        .ok_or_else(|| HiveError::not_found(format!("organisation {name} not found")))
}

/// `POST` (new shares only) and `PUT` (the full set: new ones added, those
/// listed changed, the others removed) on `/api/v1/case/{id}/shares`.
async fn set_shares(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &Bytes,
    replace: bool,
) -> HiveResult<Json<Value>> {
    let case_id = shape::path_id(id, "case")?;
    let c = firebreak_app::cases::get_case(&state.app, caller, case_id).await?;
    firebreak_app::shares::owner_only(caller)?;
    let wanted = share_inputs(body)?;
    let existing = firebreak_app::shares::case_shares(&state.app, caller, case_id).await?;
    let mut kept = Vec::new();
    let mut out = Vec::new();
    for w in wanted {
        let org = partner(state, caller, &w.organisation).await?;
        kept.push(org.id);
        match existing.iter().find(|s| s.org_id == org.id) {
            Some(s) if replace => {
                let change =
                    UpdateCaseShare { role: w.profile, task_rule: w.task_rule, observable_rule: w.observable_rule };
                let s = firebreak_app::shares::update_share(&state.app, caller, Some(case_id), s.id, change).await?;
                out.push(share_view(&c, &s));
            }
            Some(s) => out.push(share_view(&c, s)),
            None => {
                let req = CreateCaseShare {
                    org_id: org.id,
                    role: w.profile.unwrap_or(firebreak_types::Role::AnalystL2),
                    task_rule: w.task_rule.unwrap_or_default(),
                    observable_rule: w.observable_rule.unwrap_or_default(),
                };
                let s = firebreak_app::shares::share_case(&state.app, caller, case_id, req).await?;
                out.push(share_view(&c, &s));
            }
        }
    }
    if replace {
        for s in existing.iter().filter(|s| !kept.contains(&s.org_id)) {
            firebreak_app::shares::unshare(&state.app, caller, Some(case_id), s.id).await?;
        }
    }
    Ok(Json(Value::Array(out)))
}

async fn share(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, set_shares(&state, &caller, &id, &body, false).await?))
}

async fn replace_shares(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Json<Value>> {
    set_shares(&state, &caller, &id, &body, true).await
}

/// `DELETE /api/v1/case/{id}/shares` with `{"organisations": [...]}`, by name or id.
async fn unshare(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let case_id = shape::path_id(&id, "case")?;
    firebreak_app::cases::get_case(&state.app, &caller, case_id).await?;
    let names = strings(&object(&body)?, "organisations")?.unwrap_or_default();
    if names.is_empty() {
        return Err(attribute("organisations: the organisations to stop sharing with"));
    }
    let existing = firebreak_app::shares::case_shares(&state.app, &caller, case_id).await?;
    for name in names {
        let n = name.trim();
        let s = existing
            .iter()
            .find(|s| s.org_name.eq_ignore_ascii_case(n) || s.org_id.to_string() == n)
            .ok_or_else(|| HiveError::not_found(format!("the case is not shared with {name}")))?;
        firebreak_app::shares::unshare(&state.app, &caller, Some(case_id), s.id).await?;
    }
    Ok(no_content())
}

/// `DELETE /api/v1/case/share/{shareId}`.
async fn remove_share(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    firebreak_app::shares::unshare(&state.app, &caller, None, shape::path_id(&id, "share")?).await?;
    Ok(no_content())
}

/// `PATCH /api/v1/case/share/{shareId}` with `{"profile": ...}`.
async fn update_share(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let m = object(&body)?;
    let change = UpdateCaseShare {
        role: text(&m, "profile")?.map(|p| super::identity::role_of(&p)).transpose()?,
        task_rule: rule(&m, "taskRule")?,
        observable_rule: rule(&m, "observableRule")?,
    };
    firebreak_app::shares::update_share(&state.app, &caller, None, shape::path_id(&id, "share")?, change).await?;
    Ok(no_content())
}

/// `GET /api/v1/task/{id}/shares` and `/api/v1/observable/{id}/shares`:
/// the case's shares whose rule shows tasks (or observables).
async fn item_shares(state: &AppState, caller: &Caller, case_id: Uuid, tasks: bool) -> HiveResult<Json<Value>> {
    let c = firebreak_app::cases::get_case(&state.app, caller, case_id).await?;
    let shares = firebreak_app::shares::case_shares(&state.app, caller, case_id).await?;
    let shown = shares.iter().filter(|s| if tasks { s.task_rule.shows() } else { s.observable_rule.shows() });
    Ok(Json(Value::Array(shown.map(|s| share_view(&c, s)).collect())))
}

async fn task_shares(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (case_id, _) = case_notes::case_of::<Task>(&state.app, &caller, shape::path_id(&id, "task")?).await?;
    item_shares(&state, &caller, case_id, true).await
}

async fn observable_shares(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Json<Value>> {
    let (case_id, _) =
        case_notes::case_of::<Observable>(&state.app, &caller, shape::path_id(&id, "observable")?).await?;
    item_shares(&state, &caller, case_id, false).await
}

/// Sharing one task or observable: Firebreak shares a case's tasks and
/// observables by the share's rules (`all`, or none), not one by one.
async fn share_item(caller: HiveCaller) -> HiveResult<Response> {
    let _ = caller;
    Err(HiveError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotSupportedError",
        "Firebreak shares a case's tasks and observables by the share's taskRule and observableRule (all or none), \
         not one by one; change the case share's rule instead",
    ))
}
