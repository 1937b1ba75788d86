//! The one error of every use case: a stable code (the HTTP layer maps it to
//! its fixed status), a message for people that names the field and what was
//! expected.

use firebreak_domain::validate::FieldError;
use firebreak_store::StoreError;
use firebreak_types::{ErrorBody, ErrorCode};

#[derive(Debug, Clone)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds to wait, for `too_many_attempts`.
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
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

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            field: self.field.clone(),
            docs: format!("/api/docs#error-{}", self.code.as_str()),
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        let message = format!("{} must be {}", e.field, e.expected);
        AppError::field(ErrorCode::InvalidField, e.field, message)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::new(ErrorCode::NotFound, "no such object in this organisation"),
            StoreError::Conflict(what) => AppError::new(ErrorCode::Conflict, format!("{what} already exists")),
            StoreError::Stale => {
                AppError::new(ErrorCode::Conflict, "someone changed this meanwhile; reload it and try again")
            }
            StoreError::BadQuery { param, expected } => {
                let message = format!("{param} must be {expected}");
                AppError::field(ErrorCode::InvalidQuery, param, message)
            }
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "database unavailable");
                AppError::new(ErrorCode::Unavailable, "the database cannot be reached; retry shortly")
            }
            e => {
                tracing::error!(error = %e, "store error");
                AppError::internal()
            }
        }
    }
}
impl std::error::Error for AppError {}
