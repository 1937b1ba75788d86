//! Endpoints of the work on a case (tasks, observables, timeline,
//! escalations), of templates, teams, SLA policy, webhooks and notifications.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use firebreak_types::{
    Case, CaseSettings, CaseTemplate, CreateCustodyEntry, CreateObservable, CreateTask, CreateTaskLog, CreateTeam,
    CreateTemplate, CreateTimelineEntry, CreateWebhook, CreatedWebhook, CustodyEntry, Delivery, ErrorBody,
    EscalateCase, Escalation, Evidence, EvidenceVerification, Notification, ObservableWithSightings, SetWaiting,
    Sighting, SlaPolicy, Task, TaskLog, Team, TimelineEntry, UpdateTask, Webhook,
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::{cases, evidence, sla, webhooks, work};

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

fn created<T>(v: T) -> Created<T> {
    Ok((StatusCode::CREATED, Json(v)))
}

/// Start or stop waiting on someone outside the team. While waiting, the
/// SLA clocks pause; the paused time is excluded from every target.
#[utoipa::path(post, path = "/api/v1/cases/{id}/waiting", tag = "cases", params(("id" = Uuid, Path)), request_body = SetWaiting,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn waiting(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SetWaiting>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::set_waiting(&s, &caller, id, req).await?))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/tasks", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Task]), (status = 404, body = ErrorBody)))]
pub async fn list_tasks(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Task>>> {
    Ok(Json(work::list_tasks(&s, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks", tag = "tasks", params(("id" = Uuid, Path)), request_body = CreateTask,
    responses((status = 201, body = Task), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_task(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateTask>,
) -> Created<Task> {
    created(work::create_task(&s, &caller, id, req).await?)
}

#[utoipa::path(patch, path = "/api/v1/cases/{id}/tasks/{task_id}", tag = "tasks",
    params(("id" = Uuid, Path), ("task_id" = Uuid, Path)), request_body = UpdateTask,
    responses((status = 200, body = Task), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_task(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, task)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<UpdateTask>,
) -> ApiResult<Json<Task>> {
    Ok(Json(work::update_task(&s, &caller, id, task, req).await?))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/tasks/{task_id}/log", tag = "tasks",
    params(("id" = Uuid, Path), ("task_id" = Uuid, Path)),
    responses((status = 200, body = [TaskLog]), (status = 404, body = ErrorBody)))]
pub async fn task_log(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, task)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<TaskLog>>> {
    Ok(Json(work::task_logs(&s, &caller, id, task).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/tasks/{task_id}/log", tag = "tasks",
    params(("id" = Uuid, Path), ("task_id" = Uuid, Path)), request_body = CreateTaskLog,
    responses((status = 201, body = TaskLog), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_task_log(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, task)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<CreateTaskLog>,
) -> Created<TaskLog> {
    created(work::add_task_log(&s, &caller, id, task, req).await?)
}

/// The case's observables, each with its sightings in other cases.
#[utoipa::path(get, path = "/api/v1/cases/{id}/observables", tag = "observables", params(("id" = Uuid, Path)),
    responses((status = 200, body = [ObservableWithSightings]), (status = 404, body = ErrorBody)))]
pub async fn list_observables(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<ObservableWithSightings>>> {
    Ok(Json(work::list_observables(&s, &caller, id).await?))
}

/// Add an observable; its value is checked and normalised for its type
/// (defanged forms accepted). Answers with its sightings.
#[utoipa::path(post, path = "/api/v1/cases/{id}/observables", tag = "observables", params(("id" = Uuid, Path)),
    request_body = CreateObservable,
    responses((status = 201, body = ObservableWithSightings), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_observable(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateObservable>,
) -> Created<ObservableWithSightings> {
    created(work::add_observable(&s, &caller, id, req).await?)
}

#[utoipa::path(delete, path = "/api/v1/cases/{id}/observables/{observable_id}", tag = "observables",
    params(("id" = Uuid, Path), ("observable_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_observable(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, oid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    work::delete_observable(&s, &caller, id, oid).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SightingQuery {
    /// The observable type (ip, domain, sha256, …).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: String,
    pub value: String,
}

/// Every case of the organisation that saw a value.
#[utoipa::path(get, path = "/api/v1/sightings", tag = "observables", params(SightingQuery),
    responses((status = 200, body = [Sighting]), (status = 400, body = ErrorBody)))]
pub async fn sightings(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<SightingQuery>,
) -> ApiResult<Json<Vec<Sighting>>> {
    Ok(Json(work::search_sightings(&s, &caller, &q.kind, &q.value).await?))
}

/// The case's timeline, oldest first: entries added by people and by
/// Firebreak (state changes, escalations).
#[utoipa::path(get, path = "/api/v1/cases/{id}/timeline", tag = "timeline", params(("id" = Uuid, Path)),
    responses((status = 200, body = [TimelineEntry]), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(work::timeline(&s, &caller, id).await?))
}

/// Add a timeline entry, optionally placed under an ATT&CK tactic and technique.
#[utoipa::path(post, path = "/api/v1/cases/{id}/timeline", tag = "timeline", params(("id" = Uuid, Path)),
    request_body = CreateTimelineEntry,
    responses((status = 201, body = TimelineEntry), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_timeline(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateTimelineEntry>,
) -> Created<TimelineEntry> {
    created(work::add_timeline_entry(&s, &caller, id, req).await?)
}

/// Hand the case to a tier or a team, with a reason. The new owners are
/// notified in the app and through the organisation's webhooks.
#[utoipa::path(post, path = "/api/v1/cases/{id}/escalations", tag = "cases", params(("id" = Uuid, Path)),
    request_body = EscalateCase,
    responses((status = 201, body = Escalation), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn escalate(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<EscalateCase>,
) -> Created<Escalation> {
    created(work::escalate(&s, &caller, id, req).await?)
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/escalations", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Escalation]), (status = 404, body = ErrorBody)))]
pub async fn escalations(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Escalation>>> {
    Ok(Json(work::escalations(&s, &caller, id).await?))
}

/// The organisation's case templates (the defaults until it changes them).
#[utoipa::path(get, path = "/api/v1/templates", tag = "tasks",
    responses((status = 200, body = [CaseTemplate])))]
pub async fn list_templates(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<CaseTemplate>>> {
    Ok(Json(work::list_templates(&s, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "tasks", request_body = CreateTemplate,
    responses((status = 201, body = CaseTemplate), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_template(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateTemplate>,
) -> Created<CaseTemplate> {
    created(work::create_template(&s, &caller, req).await?)
}

#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 200, body = CaseTemplate), (status = 404, body = ErrorBody)))]
pub async fn get_template(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<CaseTemplate>> {
    Ok(Json(work::get_template(&s, &caller, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "tasks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_template(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    work::delete_template(&s, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "people", responses((status = 200, body = [Team])))]
pub async fn list_teams(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(work::list_teams(&s, &caller).await?))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_team(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Team>> {
    Ok(Json(work::get_team(&s, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "people", request_body = CreateTeam,
    responses((status = 201, body = Team), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_team(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateTeam>,
) -> Created<Team> {
    created(work::create_team(&s, &caller, req).await?)
}

/// The organisation's priority matrix (impact × urgency → P1–P4), category
/// taxonomy and custom fields. Defaults: the matrix in the docs, the
/// categories malware, phishing, unauthorised access, denial of service,
/// data exposure, insider, policy violation, other; no custom fields.
#[utoipa::path(get, path = "/api/v1/case-settings", tag = "cases", responses((status = 200, body = CaseSettings)))]
pub async fn get_case_settings(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<CaseSettings>> {
    Ok(Json(cases::get_settings(&s, &caller).await?))
}

/// Replace the case settings. With custom fields defined, a case's
/// `custom_fields` may hold only those, each of its type, the required ones present.
#[utoipa::path(put, path = "/api/v1/case-settings", tag = "cases", request_body = CaseSettings,
    responses((status = 200, body = CaseSettings), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_case_settings(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CaseSettings>,
) -> ApiResult<Json<CaseSettings>> {
    Ok(Json(cases::set_settings(&s, &caller, req).await?))
}

/// Targets per priority, in seconds of working time (paused time excluded).
/// Defaults: P1 15 min / 4 h / 24 h; P2 1 h / 12 h / 3 d; P3 4 h / 2 d / 7 d;
/// P4 1 d / 5 d / 30 d (acknowledge / contain / resolve).
#[utoipa::path(get, path = "/api/v1/sla-policy", tag = "cases", responses((status = 200, body = SlaPolicy)))]
pub async fn get_sla_policy(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(sla::get_policy(&s, &caller).await?))
}

#[utoipa::path(put, path = "/api/v1/sla-policy", tag = "cases", request_body = SlaPolicy,
    responses((status = 200, body = SlaPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_sla_policy(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<SlaPolicy>,
) -> ApiResult<Json<SlaPolicy>> {
    Ok(Json(sla::set_policy(&s, &caller, req).await?))
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", responses((status = 200, body = [Webhook])))]
pub async fn list_webhooks(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(webhooks::list(&s, &caller).await?))
}

/// Register a receiver of case events. The answer carries the signing
/// secret once: each delivery has `X-Firebreak-Signature: sha256=<hex>`,
/// the HMAC-SHA256 of `<X-Firebreak-Timestamp>.<body>`.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = CreateWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_webhook(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateWebhook>,
) -> Created<CreatedWebhook> {
    created(webhooks::create(&s, &caller, req).await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub enabled: bool,
}

#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), request_body = WebhookPatch,
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody)))]
pub async fn update_webhook(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<WebhookPatch>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(webhooks::set_enabled(&s, &caller, id, req.enabled).await?))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&s, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log: every event sent to this webhook, its attempts and outcome.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Delivery]), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Delivery>>> {
    Ok(Json(webhooks::deliveries(&s, &caller, id).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "people", params(NotificationQuery),
    responses((status = 200, body = [Notification])))]
pub async fn notifications(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Vec<Notification>>> {
    Ok(Json(work::my_notifications(&s, &caller, q.unread).await?))
}

#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = Notification), (status = 404, body = ErrorBody)))]
pub async fn read_notification(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Notification>> {
    Ok(Json(work::mark_read(&s, &caller, id).await?))
}

/// Upload a file as evidence: the raw body is the file (any size, streamed
/// to disk); its SHA-256 and size are computed on the way in. An upload cut
/// off mid-stream is refused with `incomplete_upload` and nothing is kept.
/// A file over the per-file limit (`max_file_bytes`) is refused with
/// `payload_too_large`, one that would take the organisation past its total
/// (`max_org_storage_bytes`) with `storage_limit`; both 413, nothing kept.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence", tag = "evidence", params(("id" = Uuid, Path), evidence::UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Evidence), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn upload_evidence(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<evidence::UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Created<Evidence> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let declared = crate::request::declared_length(&headers);
    created(evidence::upload(&s, &caller, id, params, ct, declared, crate::request::upload(body)).await?)
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence", tag = "evidence", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Evidence]), (status = 404, body = ErrorBody)))]
pub async fn list_evidence(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Evidence>>> {
    Ok(Json(evidence::list(&s, &caller, id).await?))
}

/// Download the file; the download is recorded in its chain of custody.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{evidence_id}/content", tag = "evidence",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn download_evidence(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, eid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let (e, file) = evidence::download(&s, &caller, id, eid).await?;
    Ok(super::alerts::file_response(&e.filename, e.size, &e.sha256, file))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}/evidence/{evidence_id}/custody", tag = "evidence",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, body = [CustodyEntry]), (status = 404, body = ErrorBody)))]
pub async fn custody(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, eid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<Vec<CustodyEntry>>> {
    Ok(Json(evidence::chain(&s, &caller, id, eid).await?))
}

/// Record a hand-over (`transferred`, with `to`) or a move (`stored`, with `location`).
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence/{evidence_id}/custody", tag = "evidence",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)), request_body = CreateCustodyEntry,
    responses((status = 201, body = CustodyEntry), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_custody(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, eid)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<CreateCustodyEntry>,
) -> Created<CustodyEntry> {
    created(evidence::add_custody(&s, &caller, id, eid, req).await?)
}

/// Recompute the stored file's SHA-256 and size and compare them with those
/// taken at collection. The result is recorded in the chain of custody.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence/{evidence_id}/verify", tag = "evidence",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, body = EvidenceVerification), (status = 404, body = ErrorBody)))]
pub async fn verify_evidence(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, eid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<EvidenceVerification>> {
    Ok(Json(evidence::verify(&s, &caller, id, eid).await?))
}
