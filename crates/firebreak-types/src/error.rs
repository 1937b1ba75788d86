use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every error the API can answer, with a stable code that clients match on.
///
/// This is the one table of error codes: each code has exactly one HTTP
/// status and one documentation anchor. Codes are never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON (or NDJSON).
    MalformedJson,
    /// The body is JSON, but a field has the wrong type or value.
    InvalidField,
    /// A required field is absent.
    MissingField,
    /// A field the endpoint does not know was sent.
    UnknownField,
    /// A query-string parameter is invalid.
    InvalidQuery,
    /// The request's Content-Type is not one the endpoint accepts.
    UnsupportedMediaType,
    /// The body is larger than the configured limit.
    PayloadTooLarge,
    /// An upload ended before its whole body arrived; nothing was stored.
    IncompleteUpload,
    /// The organisation's stored files would exceed its storage limit.
    StorageLimit,
    /// No credentials, or credentials that are wrong, expired or revoked.
    Unauthenticated,
    /// The credentials are valid but the role does not allow the action.
    Forbidden,
    /// The web form's CSRF token is absent or wrong.
    CsrfFailed,
    /// The object does not exist in the organisation the request acts in.
    NotFound,
    /// The object conflicts with an existing one (for example a taken name).
    Conflict,
    /// The change is not allowed in the object's current state.
    InvalidState,
    /// An `Idempotency-Key` was used before with a different request body.
    IdempotencyKeyReused,
    /// Too many failed attempts; retry after the time given.
    TooManyAttempts,
    /// The server could not reach its database.
    Unavailable,
    /// An error on the server's side; the log has the details.
    Internal,
}

impl ErrorCode {
    /// All codes, in the order of the documentation table.
    pub const ALL: [ErrorCode; 19] = [
        Self::MalformedJson,
        Self::InvalidField,
        Self::MissingField,
        Self::UnknownField,
        Self::InvalidQuery,
        Self::UnsupportedMediaType,
        Self::PayloadTooLarge,
        Self::IncompleteUpload,
        Self::StorageLimit,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::CsrfFailed,
        Self::NotFound,
        Self::Conflict,
        Self::InvalidState,
        Self::IdempotencyKeyReused,
        Self::TooManyAttempts,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The stable string of the code, as it appears in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidField => "invalid_field",
            Self::MissingField => "missing_field",
            Self::UnknownField => "unknown_field",
            Self::InvalidQuery => "invalid_query",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::IncompleteUpload => "incomplete_upload",
            Self::StorageLimit => "storage_limit",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::CsrfFailed => "csrf_failed",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::InvalidState => "invalid_state",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::TooManyAttempts => "too_many_attempts",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that always accompanies the code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::MalformedJson
            | Self::InvalidField
            | Self::MissingField
            | Self::UnknownField
            | Self::InvalidQuery
            | Self::IncompleteUpload => 400,
            Self::UnsupportedMediaType => 415,
            Self::PayloadTooLarge | Self::StorageLimit => 413,
            Self::Unauthenticated => 401,
            Self::Forbidden | Self::CsrfFailed => 403,
            Self::NotFound => 404,
            Self::Conflict | Self::InvalidState => 409,
            Self::IdempotencyKeyReused => 422,
            Self::TooManyAttempts => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// What the code means, for the documentation table.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::MalformedJson => "The body is not valid JSON.",
            Self::InvalidField => "A field has the wrong type or an invalid value.",
            Self::MissingField => "A required field is absent.",
            Self::UnknownField => "A field the endpoint does not know was sent.",
            Self::InvalidQuery => "A query-string parameter is invalid.",
            Self::UnsupportedMediaType => "The Content-Type is not accepted here.",
            Self::PayloadTooLarge => "The body is larger than the configured limit.",
            Self::IncompleteUpload => "The upload ended before the whole file arrived; nothing was stored.",
            Self::StorageLimit => "The organisation's stored files would exceed its storage limit.",
            Self::Unauthenticated => "Credentials are absent, wrong, expired or revoked.",
            Self::Forbidden => "The role does not allow this action.",
            Self::CsrfFailed => "The form's CSRF token is absent or wrong.",
            Self::NotFound => "No such object in the organisation the request acts in.",
            Self::Conflict => "The object conflicts with an existing one.",
            Self::InvalidState => "The change is not allowed in the object's current state.",
            Self::IdempotencyKeyReused => "The Idempotency-Key was used before with a different body.",
            Self::TooManyAttempts => "Too many failed attempts; retry later.",
            Self::Unavailable => "The database cannot be reached.",
            Self::Internal => "An error on the server's side.",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code; match on this, not on the message.
    pub code: ErrorCode,
    /// What went wrong, for a person: names the field and what was expected.
    pub message: String,
    /// The field (a JSON path such as `items[3].severity`) or parameter at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Where the code is documented.
    pub docs: String,
}
