//! Endpoints of the asset inventory, the contact directory, documents, CSV
//! import and export, and the assets of a case.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use firebreak_types::{
    Asset, AssetWithContacts, Contact, CreateAsset, CreateContact, Document, ErrorBody, ImportReport, LinkAsset,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use firebreak_app::assets::{self, AssetQuery, DocumentParams};

type Created<T> = ApiResult<(StatusCode, Json<T>)>;

/// The inventory, by name, with filters.
#[utoipa::path(get, path = "/api/v1/assets", tag = "assets", params(AssetQuery),
    responses((status = 200, body = [Asset]), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Vec<Asset>>> {
    Ok(Json(assets::list_assets(&s, &caller, &q).await?))
}

#[utoipa::path(post, path = "/api/v1/assets", tag = "assets", request_body = CreateAsset,
    responses((status = 201, body = Asset), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(State(s): State<AppState>, caller: Caller, ApiJson(req): ApiJson<CreateAsset>) -> Created<Asset> {
    Ok((StatusCode::CREATED, Json(assets::create_asset(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssetWithContacts), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<AssetWithContacts>> {
    Ok(Json(assets::get_asset(&s, &caller, id).await?))
}

#[utoipa::path(put, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = Uuid, Path)), request_body = CreateAsset,
    responses((status = 200, body = Asset), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateAsset>,
) -> ApiResult<Json<Asset>> {
    Ok(Json(assets::update_asset(&s, &caller, id, req).await?))
}

#[utoipa::path(delete, path = "/api/v1/assets/{id}", tag = "assets", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(State(s): State<AppState>, caller: Caller, ApiPath(id): ApiPath<Uuid>) -> ApiResult<StatusCode> {
    assets::delete_asset(&s, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import assets from CSV (columns: kind, name, address, owner,
/// business_unit, criticality, location, contacts, tags, description; the
/// header line names them). Existing assets of the same kind and name are
/// updated. Each bad line is reported by number; the others are imported.
#[utoipa::path(post, path = "/api/v1/assets/_import", tag = "assets",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 400, body = ErrorBody)))]
pub async fn import(State(s): State<AppState>, caller: Caller, body: Bytes) -> ApiResult<Json<ImportReport>> {
    Ok(Json(assets::import(&s, &caller, &body).await?))
}

/// The inventory as CSV, in the columns the import reads.
#[utoipa::path(get, path = "/api/v1/assets/_export", tag = "assets",
    responses((status = 200, content_type = "text/csv", body = String)))]
pub async fn export(State(s): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let csv = assets::export(&s, &caller).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"assets.csv\""),
        ],
        csv,
    ))
}

#[utoipa::path(get, path = "/api/v1/assets/{id}/documents", tag = "assets", params(("id" = Uuid, Path)),
    responses((status = 200, body = [Document]), (status = 404, body = ErrorBody)))]
pub async fn documents(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<Document>>> {
    assets::get_asset(&s, &caller, id).await?;
    Ok(Json(assets::documents_of(&s, &caller, id).await?))
}

/// Attach a document (the raw body, streamed) to an asset or a team. A
/// file over the per-file limit (`max_file_bytes`) is refused with
/// `payload_too_large`, one that would take the organisation past its total
/// (`max_org_storage_bytes`) with `storage_limit`; both 413, nothing kept.
#[utoipa::path(post, path = "/api/v1/documents", tag = "assets", params(DocumentParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Document), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody)))]
pub async fn upload_document(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<DocumentParams>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Created<Document> {
    let declared = crate::request::declared_length(&headers);
    Ok((
        StatusCode::CREATED,
        Json(assets::upload_document(&s, &caller, p, declared, crate::request::upload(body)).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/contacts", tag = "assets", responses((status = 200, body = [Contact])))]
pub async fn contacts(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Contact>>> {
    Ok(Json(assets::list_contacts(&s, &caller).await?))
}

#[utoipa::path(post, path = "/api/v1/contacts", tag = "assets", request_body = CreateContact,
    responses((status = 201, body = Contact), (status = 400, body = ErrorBody)))]
pub async fn create_contact(
    State(s): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateContact>,
) -> Created<Contact> {
    Ok((StatusCode::CREATED, Json(assets::create_contact(&s, &caller, req).await?)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "assets", params(("id" = Uuid, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(assets::get_contact(&s, &caller, id).await?))
}

/// The assets a case involves, with their owners and contacts.
#[utoipa::path(get, path = "/api/v1/cases/{id}/assets", tag = "assets", params(("id" = Uuid, Path)),
    responses((status = 200, body = [AssetWithContacts]), (status = 404, body = ErrorBody)))]
pub async fn case_assets(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<Vec<AssetWithContacts>>> {
    Ok(Json(assets::case_assets(&s, &caller, id).await?))
}

#[utoipa::path(post, path = "/api/v1/cases/{id}/assets", tag = "assets", params(("id" = Uuid, Path)), request_body = LinkAsset,
    responses((status = 200, body = [AssetWithContacts]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn link_case_asset(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<LinkAsset>,
) -> ApiResult<Json<Vec<AssetWithContacts>>> {
    Ok(Json(assets::link_asset(&s, &caller, id, req.asset_id).await?))
}

#[utoipa::path(delete, path = "/api/v1/cases/{id}/assets/{asset_id}", tag = "assets",
    params(("id" = Uuid, Path), ("asset_id" = Uuid, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn unlink_case_asset(
    State(s): State<AppState>,
    caller: Caller,
    ApiPath((id, aid)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    assets::unlink_asset(&s, &caller, id, aid).await?;
    Ok(StatusCode::NO_CONTENT)
}
