//! The one API error type: a stable code (with its fixed HTTP status), a
//! message for people that names the field and what was expected.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use firebreak_domain::validate::FieldError;
use firebreak_store::StoreError;
use firebreak_types::{ErrorBody, ErrorCode};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds to wait, for `too_many_attempts`.
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, retry_after: None }
    }

    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: Some(field.into()), retry_after: None }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("no such {what} in this organisation"))
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn forbidden(action: &str) -> Self {
        Self::new(ErrorCode::Forbidden, format!("your role does not allow {action}"))
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "an internal error occurred; the server log has the details")
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            field: self.field.clone(),
            docs: format!("/api/docs#error-{}", self.code.as_str()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), Json(self.body())).into_response();
        if self.code == ErrorCode::Unauthenticated {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"firebreak\", charset=\"UTF-8\""),
            );
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        let message = format!("{} must be {}", e.field, e.expected);
        ApiError::field(ErrorCode::InvalidField, e.field, message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound, "no such object in this organisation"),
            StoreError::Conflict(what) => ApiError::new(ErrorCode::Conflict, format!("{what} already exists")),
            StoreError::Stale => {
                ApiError::new(ErrorCode::Conflict, "someone changed this meanwhile; reload it and try again")
            }
            StoreError::BadQuery { param, expected } => {
                let message = format!("{param} must be {expected}");
                ApiError::field(ErrorCode::InvalidQuery, param, message)
            }
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::new(ErrorCode::Unavailable, "the database cannot be reached; retry shortly")
            }
            e => {
                tracing::error!(error = %e, "store error");
                ApiError::internal()
            }
        }
    }
}
