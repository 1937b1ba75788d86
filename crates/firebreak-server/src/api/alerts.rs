//! Alert intake and reading.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use firebreak_types::{
    AddAlertObservables, Alert, AlertAttachment, AlertComment, AlertGroup, AlertGroupDetail, AlertGroupQuery,
    AlertQuery, AssignAlert, BulkResult, BulkStatus, Case, CloseAlert, ErrorBody, ErrorCode, EscalateAlert,
    GroupingSettings, NewAlert, NewAlertComment, Page, SentAlert,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::request::{ApiJson, ApiPath, ApiQuery};
use firebreak_app::intake::{self, Answer, IdempotencyKey};
use firebreak_app::{alert_attachments, alerts, stories};

/// A bulk intake's answer: made now, or kept from the first request sent
/// with its idempotency key (status and body as they were).
pub struct BulkAnswer(pub Answer);

impl IntoResponse for BulkAnswer {
    fn into_response(self) -> Response {
        match self.0 {
            Answer::Fresh(result) => Json(result).into_response(),
            Answer::Kept(kept) => {
                let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::OK);
                let headers = [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::HeaderName::from_static("idempotent-replayed"), "true"),
                ];
                (status, headers, kept.body).into_response()
            }
        }
    }
}

use crate::state::AppState;

/// Send one alert. 201 with the stored alert (`status: created`, and a
/// `Location` header) when new; 200 with the alert it repeats (`status:
/// duplicate`, its occurrences counted) when the same source and source
/// reference was seen before; 400 naming the field otherwise.
#[utoipa::path(post, path = "/api/v1/alerts", tag = "alerts", request_body = NewAlert,
    responses((status = 201, body = SentAlert, headers(("Location" = String, description = "The alert's address"))),
        (status = 200, body = SentAlert), (status = 400, body = ErrorBody)))]
pub async fn create(State(s): State<AppState>, caller: Caller, body: Bytes) -> ApiResult<Response> {
    let value: serde_json::Value = crate::request::parse_json(&body)?;
    let sent = intake::ingest_one(&s, &caller, value.into()).await?;
    Ok(match sent.status {
        BulkStatus::Created => {
            let location = format!("/api/v1/alerts/{}", sent.alert.id);
            (StatusCode::CREATED, [(header::LOCATION, location)], Json(sent)).into_response()
        }
        _ => Json(sent).into_response(),
    })
}

/// Send many alerts: a JSON array, NDJSON (one alert a line), or JSON
/// objects one after another (pretty-printed or not), up to
/// 10,000 per request. Every item is answered by its index: created (with
/// its id), duplicate (with the id it repeats) or rejected (with the field
/// and the reason). A rejected item never stops the others; the good ones
/// are committed together before the answer.
///
/// With an `Idempotency-Key` header, the batch's answer is kept with it (in
/// the transaction that stores the alerts) for 24 hours: the same batch
/// sent again with the key, by the same caller, is answered as the first
/// was (header `Idempotent-Replayed: true`) and stores nothing, even if the
/// first answer never arrived. The key with another body is refused (422,
/// `idempotency_key_reused`); a second request with a key whose first is
/// still being stored waits for it and gets its answer.
#[utoipa::path(post, path = "/api/v1/alerts/_bulk", tag = "alerts",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any 1 to 255 visible ASCII characters (spaces only between them), new for each batch (a UUID, say); a retry sends the batch's key again", min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    request_body(content = Vec<NewAlert>, description = "A JSON array; NDJSON (application/x-ndjson, one item a line); or JSON objects, pretty-printed or not, one after another"),
    responses((status = 200, body = BulkResult), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk(State(s): State<AppState>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult<BulkAnswer> {
    intake::check_bulk_type(crate::request::content_type(&headers), &body)?;
    let key = IdempotencyKey::from_header(headers.get(intake::IDEMPOTENCY_HEADER).map(|v| v.as_bytes()), &body)?;
    let items = intake::split_alerts(&body)?;
    Ok(BulkAnswer(intake::ingest_once(&s, &caller, items, key).await?))
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = Page<Alert>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Json<Page<Alert>>> {
    Ok(Json(alerts::list_alerts(&s, &caller, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::get_alert(&s, &caller, id).await?))
}

/// When the alert was sent again, oldest first.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/repeats", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = [String]), (status = 404, body = ErrorBody)))]
pub async fn repeats(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<String>>> {
    let times = alerts::repeats(&s, &caller, id).await?;
    Ok(Json(times.into_iter().filter_map(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).collect()))
}

/// Take the alert into triage (the first take is its acknowledge time).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/take", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = Alert), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn take(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::take(&s, &caller, id).await?))
}

/// Close with a disposition (false positive, benign true positive,
/// duplicate) and a reason; dispositions are kept per source rule.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "alerts", params(("id" = Uuid, Path)), request_body = CloseAlert,
    responses((status = 200, body = Alert), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CloseAlert>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::close(&s, &caller, id, req).await?))
}

/// Escalate into a new case (from a template when given) or into an open
/// case; the alert's observables go with it and the case timeline records it.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/escalate", tag = "alerts", params(("id" = Uuid, Path)), request_body = EscalateAlert,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn escalate(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<EscalateAlert>,
) -> ApiResult<Json<Case>> {
    Ok(Json(alerts::escalate(&s, &caller, id, req).await?))
}

/// The inventory's assets the alert touches, with owners and contacts.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/assets", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = [firebreak_types::AssetWithContacts]), (status = 404, body = ErrorBody)))]
pub async fn assets(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<firebreak_types::AssetWithContacts>>> {
    Ok(Json(alerts::alert_assets(&s, &caller, id).await?))
}

/// Take many alerts: each becomes the caller's, in triage; those no longer
/// open are skipped.
#[utoipa::path(post, path = "/api/v1/alerts/_take", tag = "alerts", request_body = firebreak_types::BulkTake,
    responses((status = 200, body = firebreak_types::BulkTriageResult), (status = 400, body = ErrorBody)))]
pub async fn bulk_take(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<firebreak_types::BulkTake>,
) -> ApiResult<Json<firebreak_types::BulkTriageResult>> {
    Ok(Json(alerts::bulk_take(&s, &caller, req).await?))
}

/// Give many alerts to one analyst (or to nobody); those no longer open are skipped.
#[utoipa::path(post, path = "/api/v1/alerts/_assign", tag = "alerts", request_body = firebreak_types::BulkAssign,
    responses((status = 200, body = firebreak_types::BulkTriageResult), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn bulk_assign(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<firebreak_types::BulkAssign>,
) -> ApiResult<Json<firebreak_types::BulkTriageResult>> {
    Ok(Json(alerts::bulk_assign(&s, &caller, req).await?))
}

/// Escalate many open alerts into one case: a new one, named after the most
/// severe, its priority from all of them, or an open one.
#[utoipa::path(post, path = "/api/v1/alerts/_escalate", tag = "alerts", request_body = firebreak_types::BulkEscalate,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn bulk_escalate(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<firebreak_types::BulkEscalate>,
) -> ApiResult<Json<Case>> {
    Ok(Json(alerts::bulk_escalate(&s, &caller, req).await?))
}

/// Close many alerts with one disposition and reason: by ids, or every open
/// alert matching a filter (source, title text, severity), up to 10,000.
#[utoipa::path(post, path = "/api/v1/alerts/_close", tag = "alerts", request_body = firebreak_types::BulkClose,
    responses((status = 200, body = firebreak_types::BulkCloseResult), (status = 400, body = ErrorBody)))]
pub async fn bulk_close(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<firebreak_types::BulkClose>,
) -> ApiResult<Json<firebreak_types::BulkCloseResult>> {
    Ok(Json(alerts::bulk_close(&s, &caller, req).await?))
}

/// The formats `/api/v1/intake/{format}` reads.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // documents the path parameter; the handler parses the text
pub enum IntakeFormat {
    Native,
    Ecs,
    Ocsf,
    Wazuh,
    Suricata,
}

/// Send events in a format security tools already emit: `ecs` (Elastic
/// Security alert documents), `ocsf` (Detection and Incident Findings,
/// classes 2004 and 2005), `wazuh` (lines of alerts.json) or `suricata` (EVE
/// JSON; events other than alerts are skipped), or `native`. The body is a
/// JSON array, NDJSON, or JSON documents one after another (a pretty-printed
/// export), read by its first byte rather than by line; each item is answered by its index as with `_bulk`,
/// and re-sending the same events creates no duplicates. An
/// `Idempotency-Key` header works as on `POST /api/v1/alerts/_bulk`.
#[utoipa::path(post, path = "/api/v1/intake/{format}", tag = "alerts",
    params(("format" = inline(IntakeFormat), Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Any 1 to 255 visible ASCII characters (spaces only between them), new for each batch (a UUID, say); a retry sends the batch's key again", min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    request_body(content = Vec<Object>, description = "A JSON array; NDJSON (one event a line); or JSON objects, pretty-printed or not, one after another"),
    responses((status = 200, body = BulkResult), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn intake_format(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(format): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<BulkAnswer> {
    intake::check_bulk_type(crate::request::content_type(&headers), &body)?;
    let format: firebreak_domain::formats::Format =
        format.parse().map_err(|e: String| ApiError::field(ErrorCode::InvalidField, "format", e))?;
    let key = IdempotencyKey::from_header(headers.get(intake::IDEMPOTENCY_HEADER).map(|v| v.as_bytes()), &body)?;
    let items = intake::adapt(format, intake::split_bulk(&body)?);
    Ok(BulkAnswer(intake::ingest_once(&s, &caller, items, key).await?))
}

/// Give the alert to an analyst (or to nobody with `null`).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/assign", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = AssignAlert,
    responses((status = 200, body = Alert), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AssignAlert>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::assign(&s, &caller, id, req).await?))
}

/// Add observables to an open alert (new or in triage): each is read as
/// intake reads an alert's, and those the alert already has are left out.
/// The alert is answered with its whole list. A closed or escalated alert
/// is refused (`invalid_state`): add to its case instead.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/observables", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = AddAlertObservables,
    responses((status = 200, body = Alert), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn add_observables(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AddAlertObservables>,
) -> ApiResult<Json<Alert>> {
    Ok(Json(alerts::add_observables(&s, &caller, id, req).await?.0))
}

/// The files attached to the alert (sent with it, or added in triage).
#[utoipa::path(get, path = "/api/v1/alerts/{id}/attachments", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = [AlertAttachment]), (status = 404, body = ErrorBody)))]
pub async fn attachments(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<AlertAttachment>>> {
    Ok(Json(alert_attachments::list(&s, &caller, id).await?))
}

/// One file attached to the alert, as stored (its SHA-256 in
/// `X-Firebreak-Sha256`).
#[utoipa::path(get, path = "/api/v1/alerts/{id}/attachments/{attachment_id}/download", tag = "alerts",
    params(("id" = Uuid, Path), ("attachment_id" = Uuid, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn download_attachment(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, attachment_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let (a, file) = alert_attachments::download(&s, &caller, id, attachment_id).await?;
    Ok(file_response(&a.name, a.size, &a.sha256, file))
}

/// A stored file as a download (an alert's attachment, a case's evidence,
/// through either API): its bytes streamed, its name (made safe for the
/// header), size and SHA-256 in the headers.
pub fn file_response(name: &str, size: u64, sha256: &str, file: tokio::fs::File) -> Response {
    let stream = futures::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 1 << 16];
        match tokio::io::AsyncReadExt::read(&mut f, &mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), f))
            }
            Err(err) => Some((Err(err), f)),
        }
    });
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\"")),
            (axum::http::HeaderName::from_static("x-firebreak-sha256"), sha256.to_owned()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// The alert's comments, oldest first.
#[utoipa::path(get, path = "/api/v1/alerts/{id}/comments", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = [AlertComment]), (status = 404, body = ErrorBody)))]
pub async fn comments(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<AlertComment>>> {
    Ok(Json(alerts::comments(&s, &caller, id).await?))
}

/// Comment on the alert (Markdown).
#[utoipa::path(post, path = "/api/v1/alerts/{id}/comments", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = NewAlertComment,
    responses((status = 201, body = AlertComment), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_comment(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewAlertComment>,
) -> ApiResult<(StatusCode, Json<AlertComment>)> {
    Ok((StatusCode::CREATED, Json(alerts::add_comment(&s, &caller, id, req).await?)))
}

/// Stories: alerts that share a host, user, IP or file hash within the
/// organisation's window, newest activity first (by default those of two
/// alerts or more).
#[utoipa::path(get, path = "/api/v1/alert-groups", tag = "alerts", params(AlertGroupQuery),
    responses((status = 200, body = Page<AlertGroup>), (status = 400, body = ErrorBody)))]
pub async fn groups(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AlertGroupQuery>,
) -> ApiResult<Json<Page<AlertGroup>>> {
    Ok(Json(stories::list_groups(&s, &caller, &q).await?))
}

/// A story with its timeline (its alerts, oldest first) and its entities.
#[utoipa::path(get, path = "/api/v1/alert-groups/{id}", tag = "alerts", params(("id" = Uuid, Path)),
    responses((status = 200, body = AlertGroupDetail), (status = 404, body = ErrorBody)))]
pub async fn group(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AlertGroupDetail>> {
    Ok(Json(stories::get_group(&s, &caller, id).await?))
}

/// Escalate a story into one case carrying all its open alerts and their
/// observables (a new case, from a template when given, or an open case).
#[utoipa::path(post, path = "/api/v1/alert-groups/{id}/escalate", tag = "alerts", params(("id" = Uuid, Path)),
    request_body = EscalateAlert,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn escalate_group(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<EscalateAlert>,
) -> ApiResult<Json<Case>> {
    Ok(Json(stories::escalate_group(&s, &caller, id, req).await?))
}

/// How alerts are grouped into stories. Defaults: on; hostname,
/// user_account, ip, md5, sha1 and sha256 join alerts; 60 minutes of event
/// time; `system`, `nt authority\system`, `root`, `local service`,
/// `network service` and `-` never join.
#[utoipa::path(get, path = "/api/v1/grouping-settings", tag = "alerts",
    responses((status = 200, body = GroupingSettings)))]
pub async fn get_grouping(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<GroupingSettings>> {
    Ok(Json(stories::get_grouping(&s, &caller).await?))
}

#[utoipa::path(put, path = "/api/v1/grouping-settings", tag = "alerts", request_body = GroupingSettings,
    responses((status = 200, body = GroupingSettings), (status = 400, body = ErrorBody)))]
pub async fn set_grouping(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<GroupingSettings>,
) -> ApiResult<Json<GroupingSettings>> {
    Ok(Json(stories::set_grouping(&s, &caller, req).await?))
}
