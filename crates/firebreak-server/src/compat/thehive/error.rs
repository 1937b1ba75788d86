//! Errors as TheHive answers them: `{"type": "...", "message": "..."}` with
//! TheHive's status for that type, since clients branch on both.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use firebreak_app::AppError;
use firebreak_domain::validate::FieldError;
use firebreak_types::ErrorCode;
use serde_json::json;

use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct HiveError {
    pub status: StatusCode,
    /// TheHive's error type, such as `NotFoundError` or `AuthenticationError`.
    pub kind: &'static str,
    pub message: String,
    /// Seconds to wait, for a throttled sign-in.
    pub retry_after: Option<u64>,
}

pub type HiveResult<T> = Result<T, HiveError>;

impl HiveError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), retry_after: None }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFoundError", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn authentication(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AuthenticationError", message)
    }
}

impl From<AppError> for HiveError {
    fn from(e: AppError) -> Self {
        let (status, kind) = match e.code {
            ErrorCode::MalformedJson | ErrorCode::UnsupportedMediaType => (StatusCode::BAD_REQUEST, "BadRequest"),
            ErrorCode::InvalidField | ErrorCode::MissingField | ErrorCode::UnknownField | ErrorCode::InvalidQuery => {
                (StatusCode::BAD_REQUEST, "AttributeCheckingError")
            }
            ErrorCode::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "BadRequest"),
            ErrorCode::IncompleteUpload | ErrorCode::StorageLimit => (StatusCode::BAD_REQUEST, "BadRequest"),
            ErrorCode::Unauthenticated => (StatusCode::UNAUTHORIZED, "AuthenticationError"),
            ErrorCode::Forbidden | ErrorCode::CsrfFailed => (StatusCode::FORBIDDEN, "AuthorizationError"),
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "NotFoundError"),
            ErrorCode::Conflict | ErrorCode::IdempotencyKeyReused => (StatusCode::BAD_REQUEST, "CreateError"),
            ErrorCode::InvalidState => (StatusCode::BAD_REQUEST, "BadRequest"),
            ErrorCode::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, "AuthenticationError"),
            ErrorCode::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "InternalError"),
            ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
        };
        let message = match &e.field {
            Some(field) if !e.message.contains(field.as_str()) => format!("{field}: {}", e.message),
            _ => e.message.clone(),
        };
        Self { status, kind, message, retry_after: e.retry_after }
    }
}

impl From<ApiError> for HiveError {
    fn from(e: ApiError) -> Self {
        e.0.into()
    }
}

impl From<FieldError> for HiveError {
    fn from(e: FieldError) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for HiveError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(json!({ "type": self.kind, "message": self.message }))).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
