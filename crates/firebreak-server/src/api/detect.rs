//! Detection rules and event matching.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use firebreak_types::{
    ErrorBody, EventBulkResult, Page, Rule, RuleImport, RuleImportReport, RulePatch, RuleQuery, RuleRevision,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::detection;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake;
use crate::state::AppState;

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
    request_body(content = Vec<serde_json::Value>, description = "A JSON array, or NDJSON (application/x-ndjson)"),
    responses((status = 200, body = EventBulkResult), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn events(State(s): State<AppState>, caller: Caller, body: Bytes) -> ApiResult<Json<EventBulkResult>> {
    let items = intake::split_bulk(&body)?;
    Ok(Json(detection::match_events(&s, &caller, items).await?))
}
