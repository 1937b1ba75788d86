//! Detection rules and event matching.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use firebreak_types::{
    Coverage, CoverageQuery, ErrorBody, EventBulkResult, EventSettings, EventSighting, EventSightingQuery,
    ExceptionPreview, HuntJob, NewRuleException, NewRuleTest, NewThreatProfile, Page, QualityQuery, Rule,
    RuleException, RuleImport, RuleImportReport, RulePatch, RuleQuality, RuleQuery, RuleRevision, RuleTest,
    RuleTestResult, ThreatProfile,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::detection;
use firebreak_app::intake;

/// Import Sigma rule files (YAML, one or more documents each, detection,
/// correlation and filter rules). New rules are created, changed ones
/// updated with their earlier text kept as a revision, the same ones left.
/// A file that cannot be used is reported by name, line and reason; the
/// others are imported.
#[utoipa::path(post, path = "/api/v1/rules/_import", tag = "detection", request_body = RuleImport,
    responses((status = 200, body = RuleImportReport), (status = 400, body = ErrorBody)))]
pub async fn import(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RuleImport>,
) -> ApiResult<Json<RuleImportReport>> {
    Ok(Json(detection::import(&s, &caller, body).await?))
}

/// Import the Sigma rules of a zip archive (the request body, as
/// `application/zip`): every `.yml` and `.yaml` entry, in any folder. Entries
/// that cannot be read (damaged, too large, not UTF-8) are listed among the
/// rejected with the rules that cannot be used; the rest are imported. An
/// archive that cannot be opened is a 400 naming `body`.
#[utoipa::path(post, path = "/api/v1/rules/_import/zip", tag = "detection", params(detection::ZipImportParams),
    request_body(content = Vec<u8>, content_type = "application/zip"),
    responses((status = 200, body = RuleImportReport), (status = 400, body = ErrorBody)))]
pub async fn import_zip(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<detection::ZipImportParams>,
    body: Bytes,
) -> ApiResult<Json<RuleImportReport>> {
    Ok(Json(detection::import_zip(&s, &caller, params, body).await?))
}

/// The rule library, filtered, by title.
#[utoipa::path(get, path = "/api/v1/rules", tag = "detection", params(RuleQuery),
    responses((status = 200, body = Page<Rule>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<RuleQuery>,
) -> ApiResult<Json<Page<Rule>>> {
    Ok(Json(detection::list(&s, &caller, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/rules/{id}", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = Rule), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Rule>> {
    Ok(Json(detection::get(&s, &caller, id).await?))
}

/// Enable or disable the rule, move its use case through its life (a
/// retired rule is disabled), set its purpose and owner.
#[utoipa::path(patch, path = "/api/v1/rules/{id}", tag = "detection", params(("id" = Uuid, Path)),
    request_body = RulePatch, responses((status = 200, body = Rule), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(p): ApiJson<RulePatch>,
) -> ApiResult<Json<Rule>> {
    Ok(Json(detection::patch(&s, &caller, id, p).await?))
}

/// Every text the rule had, newest first, with who imported it.
#[utoipa::path(get, path = "/api/v1/rules/{id}/revisions", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = [RuleRevision]), (status = 404, body = ErrorBody)))]
pub async fn revisions(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<RuleRevision>>> {
    Ok(Json(detection::revisions(&s, &caller, id).await?))
}

/// Match events (a JSON array or NDJSON; Windows events as the `evtx`
/// crate or Winlogbeat-style flat objects) against the organisation's
/// enabled rules. Each match becomes an alert through intake, deduplicated
/// by rule and event; an item that is not a JSON object is reported by its
/// index.
#[utoipa::path(post, path = "/api/v1/events/_bulk", tag = "detection",
    request_body(content = Vec<serde_json::Value>, description = "A JSON array; NDJSON (application/x-ndjson, one item a line); or JSON objects, pretty-printed or not, one after another"),
    responses((status = 200, body = EventBulkResult), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn events(
    State(s): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> ApiResult<Json<EventBulkResult>> {
    intake::check_bulk_type(crate::request::content_type(&headers), &body)?;
    let items = intake::split_bulk(&body)?;
    Ok(Json(detection::match_events(&s, &caller, items).await?))
}

/// The rule's tuning exceptions, each with the Sigma filter that applies it.
#[utoipa::path(get, path = "/api/v1/rules/{id}/exceptions", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = [RuleException]), (status = 404, body = ErrorBody)))]
pub async fn exceptions(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<RuleException>>> {
    Ok(Json(detection::exceptions(&s, &caller, id).await?))
}

/// Tune the rule: "not on these hosts" (`exclude`), "only for these users"
/// (`only`), with a reason and an optional expiry. Kept as a standard Sigma
/// filter, audited, applied to events from the next request on.
#[utoipa::path(post, path = "/api/v1/rules/{id}/exceptions", tag = "detection", params(("id" = Uuid, Path)),
    request_body = NewRuleException,
    responses((status = 201, body = RuleException), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_exception(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRuleException>,
) -> ApiResult<(StatusCode, Json<RuleException>)> {
    Ok((StatusCode::CREATED, Json(detection::add_exception(&s, &caller, id, body).await?)))
}

#[utoipa::path(delete, path = "/api/v1/rules/{id}/exceptions/{exception}", tag = "detection",
    params(("id" = Uuid, Path), ("exception" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_exception(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, exception)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    detection::delete_exception(&s, &caller, id, exception).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rule quality over the last `days`: alerts, hits per day, and the
/// false-positive rate from triage (false positives / (true + false
/// positives); escalations count as true positives). Noisiest first.
#[utoipa::path(get, path = "/api/v1/rules/quality", tag = "detection", params(QualityQuery),
    responses((status = 200, body = [RuleQuality]), (status = 400, body = ErrorBody)))]
pub async fn quality(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<QualityQuery>,
) -> ApiResult<Json<Vec<RuleQuality>>> {
    Ok(Json(detection::quality(&s, &caller, &q).await?))
}

/// ATT&CK Enterprise as tactics and techniques, each with the number of
/// enabled detection rules that cover it; with `profile`, the profile's
/// techniques are marked and the uncovered ones listed.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "detection", params(CoverageQuery),
    responses((status = 200, body = Coverage), (status = 404, body = ErrorBody)))]
pub async fn coverage(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> ApiResult<Json<Coverage>> {
    Ok(Json(detection::coverage(&s, &caller, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/threat-profiles", tag = "detection",
    responses((status = 200, body = [ThreatProfile])))]
pub async fn profiles(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<ThreatProfile>>> {
    Ok(Json(detection::profiles(&s, &caller).await?))
}

/// A threat profile by hand (`techniques`) or from an ATT&CK group (`group`: `G0016` or `APT29`).
#[utoipa::path(post, path = "/api/v1/threat-profiles", tag = "detection", request_body = NewThreatProfile,
    responses((status = 201, body = ThreatProfile), (status = 400, body = ErrorBody)))]
pub async fn create_profile(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewThreatProfile>,
) -> ApiResult<(StatusCode, Json<ThreatProfile>)> {
    Ok((StatusCode::CREATED, Json(detection::create_profile(&s, &caller, body).await?)))
}

#[utoipa::path(get, path = "/api/v1/threat-profiles/{id}", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = ThreatProfile), (status = 404, body = ErrorBody)))]
pub async fn get_profile(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ThreatProfile>> {
    Ok(Json(detection::get_profile(&s, &caller, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/threat-profiles/{id}", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_profile(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    detection::delete_profile(&s, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/rules/{id}/tests", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = [RuleTest]), (status = 404, body = ErrorBody)))]
pub async fn tests(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<RuleTest>>> {
    Ok(Json(detection::tests(&s, &caller, id).await?))
}

/// Sample events the rule must match (`expected_matches` of them), or must
/// not (`0`).
#[utoipa::path(post, path = "/api/v1/rules/{id}/tests", tag = "detection", params(("id" = Uuid, Path)),
    request_body = NewRuleTest,
    responses((status = 201, body = RuleTest), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_test(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRuleTest>,
) -> ApiResult<(StatusCode, Json<RuleTest>)> {
    Ok((StatusCode::CREATED, Json(detection::add_test(&s, &caller, id, body).await?)))
}

/// Runs one rule's tests, as tuned by its exceptions: pass or fail each.
#[utoipa::path(post, path = "/api/v1/rules/{id}/tests/_run", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = [RuleTestResult]), (status = 404, body = ErrorBody)))]
pub async fn run_rule_tests(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<RuleTestResult>>> {
    Ok(Json(detection::run_tests(&s, &caller, Some(id)).await?))
}

/// Runs every rule's tests: pass or fail per test, by rule.
#[utoipa::path(post, path = "/api/v1/rules/_test", tag = "detection",
    responses((status = 200, body = [RuleTestResult])))]
pub async fn run_all_tests(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<RuleTestResult>>> {
    Ok(Json(detection::run_tests(&s, &caller, None).await?))
}

/// The hosts whose matched events saw an observable within the last `days`
/// (default: the retention), most recent first.
#[utoipa::path(get, path = "/api/v1/events/sightings", tag = "detection", params(EventSightingQuery),
    responses((status = 200, body = [EventSighting]), (status = 400, body = ErrorBody)))]
pub async fn event_sightings(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<EventSightingQuery>,
) -> ApiResult<Json<Vec<EventSighting>>> {
    Ok(Json(detection::event_sightings(&s, &caller, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/event-settings", tag = "detection",
    responses((status = 200, body = EventSettings)))]
pub async fn get_event_settings(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<EventSettings>> {
    Ok(Json(detection::get_event_settings(&s, &caller).await?))
}

/// How many days the organisation keeps where events saw observables.
#[utoipa::path(put, path = "/api/v1/event-settings", tag = "detection", request_body = EventSettings,
    responses((status = 200, body = EventSettings), (status = 400, body = ErrorBody)))]
pub async fn set_event_settings(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EventSettings>,
) -> ApiResult<Json<EventSettings>> {
    Ok(Json(detection::set_event_settings(&s, &caller, body).await?))
}

/// Hunt an evidence file of the case (EVTX, JSON or NDJSON) with the
/// organisation's enabled rules, in the background: answers 202 at once;
/// hits land on the case timeline.
#[utoipa::path(post, path = "/api/v1/cases/{id}/evidence/{evidence_id}/hunt", tag = "detection",
    params(("id" = Uuid, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 202, body = HuntJob), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn hunt_evidence(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, evidence_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, Json<HuntJob>)> {
    Ok((StatusCode::ACCEPTED, Json(firebreak_app::hunts::start(&s, &caller, id, evidence_id).await?)))
}

/// The case's hunts, newest first; a running one shows the events read so far.
#[utoipa::path(get, path = "/api/v1/cases/{id}/hunts", tag = "detection", params(("id" = Uuid, Path)),
    responses((status = 200, body = [HuntJob]), (status = 404, body = ErrorBody)))]
pub async fn hunts(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<HuntJob>>> {
    Ok(Json(firebreak_app::hunts::list(&s, &caller, id).await?))
}

/// What an exception would have suppressed among the rule's last 500
/// alerts, before it is added; the same body as adding it.
#[utoipa::path(post, path = "/api/v1/rules/{id}/exceptions/_preview", tag = "detection", params(("id" = Uuid, Path)),
    request_body = NewRuleException,
    responses((status = 200, body = ExceptionPreview), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn preview_exception(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<NewRuleException>,
) -> ApiResult<Json<ExceptionPreview>> {
    Ok(Json(detection::preview_exception(&s, &caller, id, body).await?))
}
