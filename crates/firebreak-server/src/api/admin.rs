use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use firebreak_domain::permission::{Action, PERMISSIONS};
use firebreak_types::{
    ApiKey, CreateApiKey, CreateOrganisation, CreateUser, CreatedApiKey, ErrorBody, ListParams, Me, OrgGrant,
    Organisation, Page, Role, SetPassword, UpdateOrganisation, UpdateUser, User,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::service;

/// Who is calling and where.
#[utoipa::path(get, path = "/api/v1/me", tag = "people",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    Ok(Json(service::me(&s, &caller).await?))
}

/// One row of the permission table.
#[derive(Serialize, ToSchema)]
pub struct Permission {
    pub action: String,
    pub roles: Vec<Role>,
}

/// The permission table: which roles may take which actions.
#[utoipa::path(get, path = "/api/v1/roles", tag = "people",
    responses((status = 200, body = [Permission]), (status = 401, body = ErrorBody)))]
pub async fn roles(caller: Caller) -> ApiResult<Json<Vec<Permission>>> {
    caller.require(Action::OrgRead)?;
    Ok(Json(PERMISSIONS.iter().map(|(a, r)| Permission { action: a.as_str(), roles: r.to_vec() }).collect()))
}

/// Organisations the caller may act in.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "people", params(ListParams),
    responses((status = 200, body = Page<Organisation>), (status = 400, body = ErrorBody)))]
pub async fn list_orgs(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Organisation>>> {
    Ok(Json(service::list_orgs(&s, &caller, &p).await?))
}

/// Create an organisation (platform admins). The root organisation is granted access to it.
#[utoipa::path(post, path = "/api/v1/orgs", tag = "people", request_body = CreateOrganisation,
    responses((status = 201, body = Organisation), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_org(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateOrganisation>,
) -> ApiResult<(StatusCode, Json<Organisation>)> {
    Ok((StatusCode::CREATED, Json(service::create_org(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = Organisation), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(service::get_org(&s, &caller, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "people", params(("id" = Uuid, Path)), request_body = UpdateOrganisation,
    responses((status = 200, body = Organisation), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_org(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateOrganisation>,
) -> ApiResult<Json<Organisation>> {
    Ok(Json(service::update_org(&s, &caller, id, req).await?))
}

/// The customer organisations a provider has been granted.
#[utoipa::path(get, path = "/api/v1/orgs/{id}/grants", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Uuid]), (status = 404, body = ErrorBody)))]
pub async fn list_grants(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Uuid>>> {
    Ok(Json(service::list_grants(&s, &caller, id).await?))
}

/// Grant a provider organisation access to a customer organisation (platform admins).
#[utoipa::path(put, path = "/api/v1/orgs/{id}/grants/{customer_id}", tag = "people",
    params(("id" = Uuid, Path, description = "The provider"), ("customer_id" = Uuid, Path)),
    responses((status = 200, body = OrgGrant), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn grant(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, customer)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Json<OrgGrant>> {
    Ok(Json(service::grant_access(&s, &caller, id, customer).await?))
}

#[utoipa::path(delete, path = "/api/v1/orgs/{id}/grants/{customer_id}", tag = "people",
    params(("id" = Uuid, Path), ("customer_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, customer)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::revoke_access(&s, &caller, id, customer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Users of the acting organisation. Sortable by username, display_name, role, created_at, last_login_at.
#[utoipa::path(get, path = "/api/v1/users", tag = "people", params(ListParams),
    responses((status = 200, body = Page<User>), (status = 400, body = ErrorBody)))]
pub async fn list_users(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(service::list_users(&s, &caller, &p).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = CreateUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((StatusCode::CREATED, Json(service::create_user(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn get_user(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<User>> {
    Ok(Json(service::get_user(&s, &caller, id).await?))
}

/// Change a user; `disabled: true` ends their sessions and stops their keys at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", params(("id" = Uuid, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    Ok(Json(service::update_user(&s, &caller, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_user(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::delete_user(&s, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set a password (your own, or anyone's in your organisation as an admin). Ends the user's sessions.
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "people", params(("id" = Uuid, Path)), request_body = SetPassword,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_password(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SetPassword>,
) -> ApiResult<StatusCode> {
    service::set_password(&s, &caller, id, &req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// API keys of the acting organisation (without their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "people", params(ListParams),
    responses((status = 200, body = Page<ApiKey>), (status = 403, body = ErrorBody)))]
pub async fn list_keys(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ApiKey>>> {
    Ok(Json(service::list_api_keys(&s, &caller, &p).await?))
}

/// Create an API key. The secret is in this answer only; it is stored hashed.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "people", request_body = CreateApiKey,
    responses((status = 201, body = CreatedApiKey), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_key(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, Json(service::create_api_key(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)))]
pub async fn get_key(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<Json<ApiKey>> {
    Ok(Json(service::get_api_key(&s, &caller, id).await?))
}

/// Revoke an API key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "people", params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiKey), (status = 404, body = ErrorBody)))]
pub async fn revoke_key(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<ApiKey>> {
    Ok(Json(service::revoke_api_key(&s, &caller, id).await?))
}
