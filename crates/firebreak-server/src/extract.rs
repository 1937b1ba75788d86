//! Extractors that turn every kind of bad input into an [`ApiError`] that
//! names the field, instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use firebreak_types::ErrorCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body, parsed strictly: malformed JSON, a wrong type, a missing or
/// unknown field each get their own code and the JSON path of the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn body_rejection(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "the body is larger than the server's limit (max_body_bytes)")
    } else {
        ApiError::new(ErrorCode::MalformedJson, format!("the body could not be read: {r}"))
    }
}

/// Parses JSON with the path of the offending field in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // serde's messages end with " at line L column C"; the path says where.
        let reason = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
        let field = (path != ".").then_some(path);
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {msg}"))
            }
            Category::Data => {
                if let Some(name) = reason.strip_prefix("missing field ") {
                    let name = name.trim_matches('`');
                    let full = match &field {
                        Some(p) => format!("{p}.{name}"),
                        None => name.to_owned(),
                    };
                    ApiError::field(ErrorCode::MissingField, full.clone(), format!("{full} is required"))
                } else if let Some(rest) = reason.strip_prefix("unknown field ") {
                    let name = rest.split('`').nth(1).unwrap_or(rest).to_owned();
                    let full = match &field {
                        Some(p) if p.ends_with(&name) => p.clone(),
                        Some(p) => format!("{p}.{name}"),
                        None => name.clone(),
                    };
                    ApiError::field(
                        ErrorCode::UnknownField,
                        full.clone(),
                        format!("{full} is not a field of this request ({reason})"),
                    )
                } else {
                    let f = field.unwrap_or_else(|| "body".to_owned());
                    ApiError::field(ErrorCode::InvalidField, f.clone(), format!("{f}: {reason}"))
                }
            }
        }
    })
}

/// Query-string parameters, parsed strictly.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| ApiQuery(v)).map_err(|e: QueryRejection| {
            let text = e.body_text();
            let reason = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).to_owned();
            let field = reason
                .strip_prefix("unknown field `")
                .or_else(|| reason.strip_prefix("missing field `"))
                .and_then(|r| r.split('`').next())
                .or_else(|| reason.split(": ").next().filter(|f| !f.contains(' ')))
                .unwrap_or("query")
                .to_owned();
            ApiError::field(ErrorCode::InvalidQuery, field, format!("query string: {reason}"))
        })
    }
}

/// Path parameters; a malformed id is a 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| {
                let text = e.body_text();
                let field =
                    text.split("parameter `").nth(1).and_then(|r| r.split('`').next()).unwrap_or("id").to_owned();
                ApiError::field(ErrorCode::InvalidField, field, format!("path: {text}"))
            })
    }
}
