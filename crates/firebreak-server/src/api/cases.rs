use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use firebreak_types::{
    Case, CaseLink, CaseQuery, CaseTransition, CreateCase, ErrorBody, LinkCase, Page, TransitionCase, UpdateCase,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::cases;

/// Cases of the acting organisation, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = Page<Case>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Page<Case>>> {
    Ok(Json(cases::list_cases(&s, &caller, &q).await?))
}

/// Open a case. Its priority is computed from impact and urgency.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CreateCase,
    responses((status = 201, body = Case), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateCase>,
) -> ApiResult<(StatusCode, Json<Case>)> {
    Ok((StatusCode::CREATED, Json(cases::create_case(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = Case), (status = 404, body = ErrorBody)))]
pub async fn get(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<Case>> {
    Ok(Json(cases::get_case(&s, &caller, id).await?))
}

/// Change a case's fields (not its state: see the transition endpoint).
#[utoipa::path(patch, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), request_body = UpdateCase,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateCase>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::update_case(&s, &caller, id, req).await?))
}

/// Move a case through its lifecycle. A refused move answers 409 `invalid_state`
/// with what is missing.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transition", tag = "cases", params(("id" = Uuid, Path)), request_body = TransitionCase,
    responses((status = 200, body = Case), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn transition(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<TransitionCase>,
) -> ApiResult<Json<Case>> {
    Ok(Json(cases::transition_case(&s, &caller, id, req).await?))
}

/// The case's state history: who moved it, when and why.
#[utoipa::path(get, path = "/api/v1/cases/{id}/history", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = [CaseTransition]), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<CaseTransition>>> {
    Ok(Json(cases::case_history(&s, &caller, id).await?))
}

/// Cases linked to this one: related, its parent (the major incident) and its children.
#[utoipa::path(get, path = "/api/v1/cases/{id}/links", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = [CaseLink]), (status = 404, body = ErrorBody)))]
pub async fn links(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<CaseLink>>> {
    Ok(Json(cases::case_links(&s, &caller, id).await?))
}

/// Link another case: `related`, `parent` (the other groups this one) or `child`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/links", tag = "cases", params(("id" = Uuid, Path)), request_body = LinkCase,
    responses((status = 200, body = [CaseLink]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn link(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<LinkCase>,
) -> ApiResult<Json<Vec<CaseLink>>> {
    Ok(Json(cases::link_cases(&s, &caller, id, req.target_id, req.kind).await?))
}

#[utoipa::path(delete, path = "/api/v1/cases/{id}/links/{target_id}", tag = "cases",
    params(("id" = Uuid, Path), ("target_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unlink(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, target)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    cases::unlink_cases(&s, &caller, id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}
