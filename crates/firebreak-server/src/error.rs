//! The HTTP face of the application's one error: its code's fixed status,
//! the JSON error body, and the headers some codes carry.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use firebreak_app::AppError;
use firebreak_domain::validate::FieldError;
use firebreak_types::ErrorCode;

/// An error as an HTTP answer. Handlers build it from the application's
/// [`AppError`] (with `?`) or, for what only HTTP knows (a header, a body that
/// cannot be read), with the same constructors.
#[derive(Debug, Clone)]
pub struct ApiError(pub AppError);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(AppError::new(code, message))
    }

    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(AppError::field(code, field, message))
    }

    pub fn not_found(what: &str) -> Self {
        Self(AppError::not_found(what))
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self(AppError::unauthenticated(message))
    }

    pub fn forbidden(action: &str) -> Self {
        Self(AppError::forbidden(action))
    }

    pub fn internal() -> Self {
        Self(AppError::internal())
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::ops::Deref for ApiError {
    type Target = AppError;

    fn deref(&self) -> &AppError {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut AppError {
        &mut self.0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status(), Json(self.0.body())).into_response();
        if self.0.code == ErrorCode::Unauthenticated {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"firebreak\", charset=\"UTF-8\""),
            );
        }
        if let Some(secs) = self.0.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}
