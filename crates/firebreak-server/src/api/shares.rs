//! Cases shared with other organisations: the owner's shares of a case, and
//! the cases others share with the caller's organisation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use firebreak_app::shares;
use firebreak_types::{CaseShare, CreateCaseShare, ErrorBody, Organisation, SharedCase, UpdateCaseShare};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath};
use crate::state::AppState;

/// The organisations the case is shared with. A member of one of them,
/// working through its share, sees that share alone.
#[utoipa::path(get, path = "/api/v1/cases/{id}/shares", tag = "cases", params(("id" = Uuid, Path)),
    responses((status = 200, body = [CaseShare]), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<CaseShare>>> {
    Ok(Json(shares::case_shares(&s, &caller, id).await?))
}

/// Share the case with an organisation this one works with (its provider or
/// a customer), within a role: its members then read or work on this case
/// alone, each with the lesser of their role and the share's. Incident
/// managers and admins of the case's organisation only.
#[utoipa::path(post, path = "/api/v1/cases/{id}/shares", tag = "cases", params(("id" = Uuid, Path)),
    request_body = CreateCaseShare,
    responses((status = 201, body = CaseShare), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateCaseShare>,
) -> ApiResult<(StatusCode, Json<CaseShare>)> {
    Ok((StatusCode::CREATED, Json(shares::share_case(&s, &caller, id, req).await?)))
}

/// Change a share's role or its task and observable rules.
#[utoipa::path(patch, path = "/api/v1/cases/{id}/shares/{share_id}", tag = "cases",
    params(("id" = Uuid, Path), ("share_id" = Uuid, Path)), request_body = UpdateCaseShare,
    responses((status = 200, body = CaseShare), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, share_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(req): ApiJson<UpdateCaseShare>,
) -> ApiResult<Json<CaseShare>> {
    Ok(Json(shares::update_share(&s, &caller, Some(id), share_id, req).await?))
}

/// End a share: the organisation loses the case on its next request.
#[utoipa::path(delete, path = "/api/v1/cases/{id}/shares/{share_id}", tag = "cases",
    params(("id" = Uuid, Path), ("share_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, share_id)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    shares::unshare(&s, &caller, Some(id), share_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cases other organisations share with the acting organisation, newest
/// share first, each with its owner and the share.
#[utoipa::path(get, path = "/api/v1/shared-cases", tag = "cases",
    responses((status = 200, body = [SharedCase])))]
pub async fn shared_with_us(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<SharedCase>>> {
    Ok(Json(shares::shared_with_us(&s, &caller).await?))
}

/// The organisations the acting one may share a case with: its provider and
/// its customers (any organisation, for a platform admin).
#[utoipa::path(get, path = "/api/v1/share-partners", tag = "cases",
    responses((status = 200, body = [Organisation])))]
pub async fn partners(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Organisation>>> {
    Ok(Json(shares::partners(&s, &caller).await?))
}
