use axum::Json;
use axum::extract::State;
use firebreak_types::{AuditEntry, AuditQuery, AuditVerification, ErrorBody, Page};

use crate::auth::Caller;
use crate::error::ApiResult;
use crate::request::ApiQuery;
use crate::state::AppState;
use firebreak_app::service;

/// The acting organisation's audit log, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(s): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(service::list_audit(&s, &caller, &q).await?))
}

/// Check the hash chains, the chain heads' MACs and the signed checkpoints,
/// and report everything that does not verify.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = AuditVerification), (status = 403, body = ErrorBody)))]
pub async fn verify(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<AuditVerification>> {
    Ok(Json(service::verify_audit(&s, &caller).await?))
}
