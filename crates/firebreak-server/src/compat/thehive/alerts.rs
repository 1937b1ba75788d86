//! TheHive 5 alerts: `/api/v1/alert`.
//!
//! An alert sent here goes through the same intake as `/api/v1/alerts`
//! (deduplication, stories, assets, rules): TheHive's body is read into
//! Firebreak's alert, the body as sent is kept as the alert's raw event, and
//! a repeat (same source and `sourceRef`) is counted as any repeat is, then
//! refused as TheHive refuses it (`CreateError`). Triage goes through the
//! triage use cases: a status set is a take or a close, an assignee an
//! assignment, a promotion or a merge an escalation.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post};
use axum::{Json, Router};
use base64::Engine;
use firebreak_app::alert_attachments::{self, NewAttachment};
use firebreak_app::{alerts as app_alerts, intake, templates};
use firebreak_types::{
    AddAlertObservables, Alert, AlertAttachment, AlertState, AmendAlert, AssignAlert, BulkEscalate, BulkStatus, Case,
    CloseAlert, Disposition, EscalateAlert, Severity,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use super::error::{HiveError, HiveResult};
use super::form::{self, Sent, SentFile};
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/alert", post(create))
        .route("/api/v1/alert/_bulk", patch(bulk_update))
        .route("/api/v1/alert/merge/_bulk", post(bulk_merge))
        .route("/api/v1/alert/delete/_bulk", post(bulk_delete))
        .route("/api/v1/alert/{id}", axum::routing::get(get).patch(update).delete(delete))
        .route("/api/v1/alert/{id}/follow", post(follow))
        .route("/api/v1/alert/{id}/unfollow", post(unfollow))
        .route("/api/v1/alert/{id}/case", post(promote))
        .route("/api/v1/alert/{id}/merge/{case_id}", post(merge))
        .route("/api/v1/alert/{id}/observable", post(add_observable))
        .route("/api/v1/alert/{id}/attachments", post(add_attachments))
        .route("/api/v1/alert/{id}/attachment/{attachment_id}/download", axum::routing::get(download_attachment))
}

// ---------------------------------------------------------------------------
// The mapping tables

// An alert's status and stage, its shape and its observables' are written
// once in the application: a webhook in TheHive's format sends the same.
pub(super) use firebreak_app::thehive::shape::{alert, alert_observables as observables, alert_status as status_of};

/// What a status TheHive's client sets does: `None` to take the alert into
/// triage, a disposition to close it with.
enum StatusChange {
    Open,
    Take,
    Close(Disposition),
}

/// The statuses a client may set, and what each does in Firebreak.
const STATUS_CHANGES: &[(&str, StatusChange)] = &[
    ("New", StatusChange::Open),
    ("Updated", StatusChange::Open),
    ("InProgress", StatusChange::Take),
    ("FalsePositive", StatusChange::Close(Disposition::FalsePositive)),
    ("Duplicated", StatusChange::Close(Disposition::Duplicate)),
    ("TruePositive", StatusChange::Close(Disposition::BenignTruePositive)),
    ("Ignored", StatusChange::Close(Disposition::BenignTruePositive)),
    ("Other", StatusChange::Close(Disposition::BenignTruePositive)),
];

// ---------------------------------------------------------------------------
// Shapes

// ---------------------------------------------------------------------------
// TheHive's body as Firebreak's alert

/// A file sent with an alert as a multipart part, by the part's field: its
/// name and SHA-256.
pub(super) struct Attachment {
    pub name: String,
    pub sha256: String,
}

/// The files of a request by field (the last of a field that repeats).
fn by_field(files: &[SentFile]) -> HashMap<String, Attachment> {
    files
        .iter()
        .map(|f| (f.field.clone(), Attachment { name: f.name.clone(), sha256: f.file.sha256.clone() }))
        .collect()
}

/// A TheHive alert body (TheHive 5's, or TheHive 4's with `artifacts`) as
/// the JSON of Firebreak's alert. Observables are sent on as TheHive typed
/// them (intake maps each data type onto Firebreak's kind and keeps the
/// original); a `file` is its name and its SHA-256, the file itself kept as
/// an attachment (`files_sent`). The body as sent, without file contents,
/// is the raw event.
pub(super) fn to_native(body: &Value, files: &HashMap<String, Attachment>) -> HiveResult<Value> {
    let Some(b) = body.as_object() else {
        return Err(HiveError::bad_request("the alert must be a JSON object"));
    };
    let text = |field: &str, required: bool| -> HiveResult<String> {
        match b.get(field) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) if !required => Ok(String::new()),
            None | Some(Value::Null) => Err(attribute(field, "is required")),
            Some(_) => Err(attribute(field, "must be a string")),
        }
    };
    let number = |field: &str| -> HiveResult<Option<i64>> {
        match b.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().map(Some).ok_or_else(|| attribute(field, "must be a whole number")),
        }
    };
    let severity = match number("severity")? {
        None => Severity::Medium,
        Some(n) => shape::severity_from_number(n).ok_or_else(|| attribute("severity", "is 1 to 4"))?,
    };
    let tlp = match number("tlp")? {
        None => firebreak_types::Tlp::Amber,
        Some(n) => shape::tlp_from_number(n).ok_or_else(|| attribute("tlp", "is 0 to 4"))?,
    };
    let pap = match number("pap")? {
        None => firebreak_types::Pap::Amber,
        Some(n) => shape::pap_from_number(n).ok_or_else(|| attribute("pap", "is 0 to 3"))?,
    };
    let event_time = match number("date")? {
        None => None,
        Some(ms) => Some(
            shape::from_millis(ms)
                .and_then(|t| t.format(&Rfc3339).ok())
                .ok_or_else(|| attribute("date", "is not a date in epoch milliseconds"))?,
        ),
    };
    let tags = match b.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) => tags
            .iter()
            .map(|t| t.as_str().map(str::to_owned).ok_or_else(|| attribute("tags", "must be a list of strings")))
            .collect::<HiveResult<Vec<_>>>()?,
        Some(_) => return Err(attribute("tags", "must be a list of strings")),
    };
    let (list_name, list) = match (b.get("observables"), b.get("artifacts")) {
        (Some(Value::Array(l)), _) => ("observables", l.as_slice()),
        (_, Some(Value::Array(l))) => ("artifacts", l.as_slice()),
        (None | Some(Value::Null), None | Some(Value::Null)) => ("observables", &[][..]),
        (Some(_), _) => return Err(attribute("observables", "must be a list")),
        (_, Some(_)) => return Err(attribute("artifacts", "must be a list")),
    };
    let mut observables = Vec::new();
    let mut kept = Vec::new();
    for (i, o) in list.iter().enumerate() {
        let field = format!("{list_name}[{i}]");
        let (obs, raw) = observable_in(o, &field, files)?;
        observables.extend(obs);
        kept.push(raw);
    }
    let mut raw = b.clone();
    if !kept.is_empty() {
        raw.insert(list_name.into(), Value::Array(kept));
    }
    let mut native = json!({
        "source": text("source", true)?,
        "source_ref": text("sourceRef", true)?,
        "type": text("type", true)?,
        "title": text("title", true)?,
        "description": text("description", false)?,
        "severity": severity,
        "tags": tags,
        "tlp": tlp,
        "pap": pap,
        "observables": observables,
        "custom_fields": custom_fields_in(b.get("customFields"))?,
        "raw": Value::Object(raw),
    });
    if let Some(t) = event_time {
        native["event_time"] = json!(t);
    }
    Ok(native)
}

fn attribute(field: &str, what: &str) -> HiveError {
    HiveError::new(StatusCode::BAD_REQUEST, "AttributeCheckingError", format!("{field} {what}"))
}

/// One observable (or TheHive 4 artifact) as Firebreak's alert observables,
/// and what is kept of it in the raw event (a file's contents left out).
fn observable_in(o: &Value, field: &str, files: &HashMap<String, Attachment>) -> HiveResult<(Vec<Value>, Value)> {
    let Some(m) = o.as_object() else {
        return Err(attribute(field, "must be an object"));
    };
    let data_type = match m.get("dataType") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => return Err(attribute(&format!("{field}.dataType"), "is required")),
    };
    let mut kept = m.clone();
    if data_type.eq_ignore_ascii_case("file") {
        let mut file = file_of(m, field, files)?;
        // A sender may name the file by its path (thehive4py 1.x does).
        file.name = file.name.rsplit(['/', '\\']).next().unwrap_or_default().to_owned();
        let mut out = vec![json!({ "type": "filename", "value": file.name, "original_type": "file" })];
        if let Some(digest) = file.sha256 {
            out.push(json!({ "type": "sha256", "value": digest }));
            kept.insert("sha256".into(), json!(digest));
        }
        kept.insert("data".into(), json!(file.name));
        kept.remove("attachment");
        return Ok((out, Value::Object(kept)));
    }
    let values: Vec<&str> = match m.get("data") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(l)) => l
            .iter()
            .map(|v| {
                v.as_str().ok_or_else(|| attribute(&format!("{field}.data"), "must be a string or a list of strings"))
            })
            .collect::<HiveResult<_>>()?,
        _ => return Err(attribute(&format!("{field}.data"), "is required")),
    };
    let out = values.into_iter().map(|v| json!({ "type": data_type, "value": v })).collect();
    Ok((out, Value::Object(kept)))
}

struct FileSeen {
    name: String,
    sha256: Option<String>,
}

/// A `file` observable's name and digest: from the multipart part its
/// `attachment` names (TheHive 5), or from its `data` written as TheHive 4
/// writes it, `name;mime;base64`.
fn file_of(m: &Map<String, Value>, field: &str, files: &HashMap<String, Attachment>) -> HiveResult<FileSeen> {
    let digest = |data: &[u8]| hex::encode(Sha256::digest(data));
    match m.get("attachment") {
        Some(Value::String(key)) => {
            let file = files
                .get(key)
                .ok_or_else(|| attribute(&format!("{field}.attachment"), "names no file sent with the alert"))?;
            return Ok(FileSeen { name: file.name.clone(), sha256: Some(file.sha256.clone()) });
        }
        Some(Value::Object(a)) => {
            let name = a.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            if !name.is_empty() {
                return Ok(FileSeen { name, sha256: None });
            }
        }
        _ => {}
    }
    let data = m
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| attribute(&format!("{field}.data"), "of a file is name;mime;base64"))?;
    let mut parts = data.splitn(3, ';');
    let (Some(name), Some(_mime), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(attribute(&format!("{field}.data"), "of a file is name;mime;base64"));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| attribute(&format!("{field}.data"), "of a file ends with its contents in base64"))?;
    Ok(FileSeen { name: name.to_owned(), sha256: Some(digest(&bytes)) })
}

/// TheHive's custom fields (TheHive 5's list of `name`/`value`, or an object
/// by name, TheHive 4's `{"name": {"order": 1, "string": "x"}}` among them)
/// as Firebreak's object of values by name.
fn custom_fields_in(v: Option<&Value>) -> HiveResult<Value> {
    let mut out = Map::new();
    match v {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (i, f) in list.iter().enumerate() {
                let name = f
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| attribute(&format!("customFields[{i}].name"), "is required"))?;
                out.insert(name.to_owned(), f.get("value").cloned().unwrap_or(Value::Null));
            }
        }
        Some(Value::Object(m)) => {
            for (name, value) in m {
                let typed = ["string", "integer", "float", "boolean", "date", "url"]
                    .iter()
                    .find_map(|k| value.as_object().and_then(|o| o.get(*k)).cloned());
                out.insert(name.clone(), typed.unwrap_or_else(|| value.clone()));
            }
        }
        Some(_) => return Err(attribute("customFields", "must be a list or an object")),
    }
    Ok(Value::Object(out))
}

/// TheHive's alert body of a request: JSON, or multipart with the JSON as
/// `_json` and the files its observables name.
fn alert_body(sent: Sent) -> HiveResult<(Value, Vec<SentFile>)> {
    match sent {
        Sent::Whole(body) => Ok((parse(&body)?, Vec::new())),
        Sent::Form { mut fields, files } => {
            let json = fields.remove("_json").ok_or_else(|| attribute("_json", "is required beside the files"))?;
            Ok((parse(&json)?, files))
        }
    }
}

pub(super) fn parse(body: &[u8]) -> HiveResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| HiveError::bad_request(format!("the body is not valid JSON: {e}")))
}

// ---------------------------------------------------------------------------
// Use cases shared with TheHive 4's paths

/// Sends one alert through intake. A repeat of an alert (same source and
/// `sourceRef`) is counted on the alert it repeats, and refused as TheHive
/// refuses it.
/// The files sent with an alert, to keep as its attachments: the multipart
/// parts beside `_json`, and the `file` observables (TheHive 4 artifacts)
/// written `name;mime;base64`.
pub(super) async fn files_sent(
    s: &AppState,
    caller: &HiveCaller,
    body: &Value,
    files: Vec<SentFile>,
) -> HiveResult<Vec<NewAttachment>> {
    let mut out: Vec<NewAttachment> =
        files.into_iter().map(|f| NewAttachment { name: f.name, content_type: f.content_type, file: f.file }).collect();
    for list in ["observables", "artifacts"] {
        for o in body.get(list).and_then(Value::as_array).into_iter().flatten() {
            let is_file = o.get("dataType").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("file"));
            let Some(data) = o.get("data").and_then(Value::as_str).filter(|_| is_file) else { continue };
            let mut parts = data.splitn(3, ';');
            if let (Some(name), Some(mime), Some(b64)) = (parts.next(), parts.next(), parts.next())
                && let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.trim())
                && !bytes.is_empty()
            {
                let file = firebreak_app::files::stage_bytes(s, caller.org_id(), bytes.into()).await?;
                out.push(NewAttachment { name: name.to_owned(), content_type: mime.to_owned(), file });
            }
        }
    }
    Ok(out)
}

/// Sends one alert through intake, then keeps the files sent with it as
/// its attachments (see [`send`]).
pub(super) async fn send_with_files(
    s: &AppState,
    caller: &HiveCaller,
    native: Value,
    files: Vec<NewAttachment>,
) -> HiveResult<Alert> {
    let a = send(s, caller, native).await?;
    if !files.is_empty() {
        alert_attachments::sent_with(s, caller, a.id, files).await?;
    }
    Ok(a)
}

pub(super) async fn send(s: &AppState, caller: &HiveCaller, native: Value) -> HiveResult<Alert> {
    let sent = intake::ingest_one(s, caller, native.into()).await?;
    if sent.status == BulkStatus::Duplicate {
        let a = &sent.alert;
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!("Alert {}:{}:{} already exists (id {})", a.kind, a.source, a.source_ref, a.id),
        ));
    }
    Ok(sent.alert)
}

/// Promotes an alert to a new case through the escalation use case
/// (priority from the alert and its assets), from the case template named.
pub(super) async fn promote_alert(
    s: &AppState,
    caller: &HiveCaller,
    id: Uuid,
    template: Option<&str>,
) -> HiveResult<Case> {
    let template_id = match template.map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(name) => Some(
            templates::list_templates(s, caller)
                .await?
                .into_iter()
                .find(|t| t.name == name || t.id.to_string() == name)
                .map(|t| t.id)
                .ok_or_else(|| HiveError::not_found(format!("case template {name} not found")))?,
        ),
    };
    let req = EscalateAlert { template_id, ..EscalateAlert::default() };
    Ok(app_alerts::escalate(s, caller, id, req).await?)
}

/// Merges an alert into an open case through the escalation use case.
pub(super) async fn merge_alert(s: &AppState, caller: &HiveCaller, id: Uuid, case_id: Uuid) -> HiveResult<Case> {
    let req = EscalateAlert { case_id: Some(case_id), ..EscalateAlert::default() };
    Ok(app_alerts::escalate(s, caller, id, req).await?)
}

/// Applies TheHive's update fields to one alert: `status` (a take or a
/// close), `assignee` (an assignment), what the alert says (title,
/// description, severity, tags with `addTags` and `removeTags`, TLP, PAP,
/// custom fields: an amendment), `follow` (always on). What makes the alert
/// the sender's (`type`, `source`, `sourceRef`, `date`) may be sent again
/// unchanged; a change to it is refused naming the field.
pub(super) async fn apply_update(
    s: &AppState,
    caller: &HiveCaller,
    names: &Names,
    id: Uuid,
    fields: &Map<String, Value>,
) -> HiveResult<Alert> {
    let mut a = app_alerts::get_alert(s, caller, id).await?;
    let current = alert(&a, names);
    let mut amend = AmendAlert::default();
    let string = |k: &str, v: &Value| v.as_str().map(str::to_owned).ok_or_else(|| attribute(k, "must be a string"));
    let strings = |k: &str, v: &Value| -> HiveResult<Vec<String>> {
        v.as_array()
            .and_then(|l| l.iter().map(|t| t.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| attribute(k, "must be a list of strings"))
    };
    let number = |k: &str, v: &Value| v.as_i64().ok_or_else(|| attribute(k, "must be a whole number"));
    for (k, v) in fields {
        match k.as_str() {
            "status" | "assignee" | "summary" | "ids" | "addTags" | "removeTags" => {}
            "artifacts" | "observables" | "caseTemplate" | "lastSyncDate" | "externalLink" => {}
            "follow" if v == &json!(true) => {}
            "follow" => {
                return Err(attribute("follow", "cannot be turned off: Firebreak counts every repeat of an alert"));
            }
            _ if v.is_null() => {}
            "title" => amend.title = Some(string(k, v)?),
            "description" => amend.description = Some(string(k, v)?),
            "severity" => {
                amend.severity =
                    Some(shape::severity_from_number(number(k, v)?).ok_or_else(|| attribute(k, "is 1 to 4"))?);
            }
            "tlp" => amend.tlp = Some(shape::tlp_from_number(number(k, v)?).ok_or_else(|| attribute(k, "is 0 to 4"))?),
            "pap" => amend.pap = Some(shape::pap_from_number(number(k, v)?).ok_or_else(|| attribute(k, "is 0 to 3"))?),
            "tags" => amend.tags = Some(strings(k, v)?),
            "customFields" => amend.custom_fields = Some(custom_fields_in(Some(v))?),
            _ if current.get(k) == Some(v) => {}
            _ => {
                return Err(attribute(k, "cannot be changed: it is what makes the alert the sender's"));
            }
        }
    }
    let adds = fields.get("addTags").map(|v| strings("addTags", v)).transpose()?;
    let removes = fields.get("removeTags").map(|v| strings("removeTags", v)).transpose()?;
    if adds.is_some() || removes.is_some() {
        let mut tags = amend.tags.take().unwrap_or_else(|| a.tags.clone());
        for t in adds.unwrap_or_default() {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let removes = removes.unwrap_or_default();
        tags.retain(|t| !removes.contains(t));
        amend.tags = Some(tags);
    }
    if amend != AmendAlert::default() {
        a = app_alerts::amend(s, caller, id, amend).await?;
    }
    if let Some(v) = fields.get("assignee") {
        let assignee_id = match v.as_str().map(str::trim).filter(|l| !l.is_empty()) {
            None => None,
            Some(login) => Some(
                names
                    .0
                    .iter()
                    .find(|(_, name)| name.eq_ignore_ascii_case(login))
                    .map(|(id, _)| *id)
                    .ok_or_else(|| attribute("assignee", "is not a user of this organisation"))?,
            ),
        };
        if assignee_id != a.assignee_id {
            a = app_alerts::assign(s, caller, id, AssignAlert { assignee_id }).await?;
        }
    }
    if let Some(v) = fields.get("status") {
        let wanted = v.as_str().ok_or_else(|| attribute("status", "must be a string"))?;
        let (now, _) = status_of(&a);
        if !wanted.eq_ignore_ascii_case(now) {
            let change =
                STATUS_CHANGES.iter().find(|(name, _)| name.eq_ignore_ascii_case(wanted)).map(|(_, c)| c).ok_or_else(
                    || attribute("status", "is not a status Firebreak can set (promote or merge to import)"),
                )?;
            a = match change {
                StatusChange::Open if a.state == AlertState::New => a,
                StatusChange::Open => return Err(attribute("status", "cannot reopen a triaged alert")),
                StatusChange::Take => app_alerts::take(s, caller, id).await?,
                StatusChange::Close(disposition) => {
                    let reason = fields
                        .get("summary")
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map_or_else(|| format!("{wanted} in TheHive's API"), str::to_owned);
                    app_alerts::close(s, caller, id, CloseAlert { disposition: *disposition, reason }).await?
                }
            };
        }
    }
    Ok(a)
}

// ---------------------------------------------------------------------------
// Handlers

async fn create(State(s): State<AppState>, caller: HiveCaller, headers: HeaderMap, body: Body) -> HiveResult<Response> {
    let (body, files) = alert_body(form::read(&s, &caller, &headers, body).await?)?;
    let native = to_native(&body, &by_field(&files))?;
    let files = files_sent(&s, &caller, &body, files).await?;
    let a = send_with_files(&s, &caller, native, files).await?;
    let names = Names::of(&s, &caller).await?;
    Ok((StatusCode::CREATED, Json(alert(&a, &names))).into_response())
}

async fn get(State(s): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    let a = app_alerts::get_alert(&s, &caller, shape::path_id(&id, "alert")?).await?;
    let names = Names::of(&s, &caller).await?;
    Ok(Json(alert(&a, &names)))
}

async fn update(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<StatusCode> {
    let id = shape::path_id(&id, "alert")?;
    let fields = parse(&body)?;
    let fields = fields.as_object().ok_or_else(|| HiveError::bad_request("the update must be a JSON object"))?;
    let names = Names::of(&s, &caller).await?;
    apply_update(&s, &caller, &names, id, fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_update(State(s): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<StatusCode> {
    let fields = parse(&body)?;
    let fields = fields.as_object().ok_or_else(|| HiveError::bad_request("the update must be a JSON object"))?;
    let ids = ids_in(fields, "ids")?;
    let names = Names::of(&s, &caller).await?;
    for id in ids {
        apply_update(&s, &caller, &names, id, fields).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

fn ids_in(fields: &Map<String, Value>, field: &str) -> HiveResult<Vec<Uuid>> {
    let list = fields.get(field).and_then(Value::as_array).ok_or_else(|| attribute(field, "must be a list of ids"))?;
    list.iter()
        .map(|v| {
            v.as_str().ok_or_else(|| attribute(field, "must be a list of ids")).and_then(|i| shape::path_id(i, "alert"))
        })
        .collect()
}

/// Firebreak's alerts are evidence and stay, audited: deleting one is
/// refused as TheHive refuses an action the caller's profile lacks.
async fn delete(caller: HiveCaller, Path(_id): Path<String>) -> HiveError {
    not_deleted(&caller)
}

async fn bulk_delete(caller: HiveCaller) -> HiveError {
    not_deleted(&caller)
}

fn not_deleted(_caller: &HiveCaller) -> HiveError {
    HiveError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationError",
        "Firebreak keeps every alert as evidence: close it (status FalsePositive, Duplicated, TruePositive or Ignored) instead of deleting it",
    )
}

async fn follow(State(s): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    get(State(s), caller, Path(id)).await
}

async fn unfollow(State(s): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Json<Value>> {
    app_alerts::get_alert(&s, &caller, shape::path_id(&id, "alert")?).await?;
    Err(attribute("follow", "cannot be turned off: Firebreak counts every repeat of an alert"))
}

async fn promote(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "alert")?;
    let fields = parse(&body)?;
    let case = promote_alert(&s, &caller, id, fields.get("caseTemplate").and_then(Value::as_str)).await?;
    let names = Names::of(&s, &caller).await?;
    Ok((StatusCode::CREATED, Json(super::cases::case(&case, &names))).into_response())
}

async fn merge(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path((id, case_id)): Path<(String, String)>,
) -> HiveResult<Json<Value>> {
    let id = shape::path_id(&id, "alert")?;
    let case_id = shape::path_id(&case_id, "case")?;
    let case = merge_alert(&s, &caller, id, case_id).await?;
    let names = Names::of(&s, &caller).await?;
    Ok(Json(super::cases::case(&case, &names)))
}

async fn bulk_merge(State(s): State<AppState>, caller: HiveCaller, body: Bytes) -> HiveResult<Json<Value>> {
    let fields = parse(&body)?;
    let fields = fields.as_object().ok_or_else(|| HiveError::bad_request("the body must be a JSON object"))?;
    let case_id = match fields.get("caseId") {
        Some(Value::String(c)) => shape::path_id(c, "case")?,
        _ => return Err(attribute("caseId", "is required")),
    };
    let ids = ids_in(fields, "alertIds")?;
    let req = BulkEscalate { ids, template_id: None, case_id: Some(case_id) };
    let case = app_alerts::bulk_escalate(&s, &caller, req).await?;
    let names = Names::of(&s, &caller).await?;
    Ok(Json(super::cases::case(&case, &names)))
}

/// Adds observables to an open alert through the use case that adds them:
/// JSON (`dataType`, `data` one value or a list, …) or multipart (`_json`
/// beside the file of a `file` observable, its part named `attachment`).
/// Answers the observables added, in TheHive's shape (those the alert had
/// already are not added again). `message`, `ioc`, `tags` and `tlp` are
/// the case observable's: an alert's observables carry the alert's.
pub(super) async fn add_observable(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let id = shape::path_id(&id, "alert")?;
    app_alerts::get_alert(&s, &caller, id).await?;
    let (mut body, files) = alert_body(form::read(&s, &caller, &headers, body).await?)?;
    let named = by_field(&files);
    if let Some(m) = body.as_object_mut()
        && !m.contains_key("attachment")
        && named.contains_key("attachment")
    {
        m.insert("attachment".into(), json!("attachment"));
    }
    let (list, _) = observable_in(&body, "observable", &named)?;
    let list = serde_json::from_value(Value::Array(list))
        .map_err(|e| HiveError::bad_request(format!("the observable cannot be read: {e}")))?;
    let req = AddAlertObservables { observables: list };
    let (a, added) = app_alerts::add_observables(&s, &caller, id, req).await?;
    // The file of a `file` observable is kept as the alert's attachment.
    let sent = files_sent(&s, &caller, &json!({ "observables": [body] }), files).await?;
    if !sent.is_empty() {
        alert_attachments::add(&s, &caller, id, sent).await?;
    }
    let shaped: Vec<Value> =
        observables(&a).into_iter().zip(&a.observables).filter(|(_, o)| added.contains(o)).map(|(v, _)| v).collect();
    Ok((StatusCode::CREATED, Json(Value::Array(shaped))))
}

/// Attaches files to an alert (multipart, each file a part; thehive4py
/// names each `attachments`), answered as TheHive answers: the attachments
/// made, under `attachments`.
async fn add_attachments(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> HiveResult<(StatusCode, Json<Value>)> {
    let id = shape::path_id(&id, "alert")?;
    if !form::is_multipart(&headers) {
        return Err(attribute("attachments", "are sent as multipart/form-data, one file a part"));
    }
    app_alerts::get_alert(&s, &caller, id).await?;
    let Sent::Form { files, .. } = form::read(&s, &caller, &headers, body).await? else {
        return Err(attribute("attachments", "are sent as multipart/form-data, one file a part"));
    };
    let files: Vec<NewAttachment> =
        files.into_iter().map(|f| NewAttachment { name: f.name, content_type: f.content_type, file: f.file }).collect();
    if files.is_empty() {
        return Err(attribute("attachments", "is required: at least one file"));
    }
    let made = alert_attachments::add(&s, &caller, id, files).await?;
    let list: Vec<Value> = made.iter().map(attachment).collect();
    Ok((StatusCode::CREATED, Json(json!({ "attachments": list }))))
}

/// One file attached to an alert, in TheHive's shape.
pub(super) fn attachment(a: &AlertAttachment) -> Value {
    let mut m = shape::header("Attachment", a.id, a.added_by.as_str(), a.added_at, None);
    m.insert("name".into(), json!(a.name));
    m.insert("size".into(), json!(a.size));
    m.insert("contentType".into(), json!(a.content_type));
    m.insert("id".into(), json!(a.id.to_string()));
    m.insert("hashes".into(), json!([a.sha256]));
    Value::Object(m)
}

/// An alert's attachments in TheHive's shape (for the query API's
/// `alert → attachments`), oldest first.
pub(super) async fn attachments(s: &AppState, caller: &HiveCaller, alert_id: Uuid) -> HiveResult<Vec<Value>> {
    Ok(alert_attachments::list(s, caller, alert_id).await?.iter().map(attachment).collect())
}

async fn download_attachment(
    State(s): State<AppState>,
    caller: HiveCaller,
    Path((id, attachment_id)): Path<(String, String)>,
) -> HiveResult<Response> {
    let id = shape::path_id(&id, "alert")?;
    let attachment_id = shape::path_id(&attachment_id, "attachment")?;
    let (a, file) = alert_attachments::download(&s, &caller, id, attachment_id).await?;
    Ok(crate::api::alerts::file_response(&a.name, a.size, &a.sha256, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_set_reads_back_as_the_closed_status_it_maps_to() {
        let mut a: Alert = serde_json::from_value(json!({
            "id": Uuid::nil(), "org_id": Uuid::nil(), "source": "s", "source_ref": "r", "type": "t",
            "title": "x", "description": "", "severity": "low", "event_time": "2026-01-01T00:00:00Z",
            "tags": [], "tlp": "amber", "pap": "amber", "observables": [], "custom_fields": {}, "raw": null,
            "state": "new", "occurrences": 1, "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-01-01T00:00:00Z",
        }))
        .unwrap();
        assert_eq!(status_of(&a), ("New", "New"));
        a.occurrences = 2;
        assert_eq!(status_of(&a), ("Updated", "New"));
        a.state = AlertState::Closed;
        for (name, change) in STATUS_CHANGES {
            if let StatusChange::Close(d) = change {
                a.disposition = Some(*d);
                let (status, stage) = status_of(&a);
                assert_eq!(stage, "Closed");
                assert!(status == *name || ["Ignored", "Other"].contains(name), "{name} reads back as {status}");
            }
        }
    }

    #[test]
    fn thehive_s_body_is_read_into_firebreak_s_alert() {
        let body = json!({
            "type": "t", "source": "s", "sourceRef": "r", "title": "x", "description": "d", "severity": 4,
            "date": 1_767_225_600_000_i64, "tlp": 0, "pap": 3,
            "customFields": [{"name": "a", "value": 1}],
            "artifacts": [
                {"dataType": "ip", "data": ["192.0.2.1", "192.0.2.2"]},
                {"dataType": "file", "data": "/tmp/a.txt;text/plain;aGVsbG8="},
            ],
        });
        let n = to_native(&body, &HashMap::new()).unwrap();
        assert_eq!((&n["severity"], &n["tlp"], &n["pap"]), (&json!("critical"), &json!("clear"), &json!("red")));
        assert_eq!(n["event_time"], "2026-01-01T00:00:00Z");
        assert_eq!(n["custom_fields"], json!({"a": 1}));
        let obs = n["observables"].as_array().unwrap();
        assert_eq!(obs[1]["value"], "192.0.2.2");
        assert_eq!(obs[2], json!({"type": "filename", "value": "a.txt", "original_type": "file"}));
        assert_eq!(obs[3]["value"], hex::encode(Sha256::digest(b"hello")));
        // The file's contents are not kept in the raw event.
        assert!(!n["raw"].to_string().contains("aGVsbG8="), "{}", n["raw"]);

        let e = to_native(&json!({"type": "t", "source": "s", "title": "x"}), &HashMap::new()).unwrap_err();
        assert_eq!((e.kind, e.message.as_str()), ("AttributeCheckingError", "sourceRef is required"));
        let e =
            to_native(&json!({"type": "t", "source": "s", "sourceRef": "r", "title": "x", "tlp": 5}), &HashMap::new())
                .unwrap_err();
        assert_eq!(e.message, "tlp is 0 to 4");
    }
}
