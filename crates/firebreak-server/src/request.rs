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
        // serde reads a struct from an array of its fields in order too; a
        // request body is an object, as its schema says.
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(ApiError::field(ErrorCode::InvalidField, "body", "body must be a JSON object"));
        }
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
    match serde_path_to_error::deserialize(de) {
        Ok(value) => Ok(value),
        // JSON counts 3.0 as the integer 3 (so does the OpenAPI document's
        // schema); serde does not, so whole numbers written so are read again.
        Err(e) if e.inner().to_string().starts_with("invalid type: floating point") => {
            let mut value: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| ApiError::new(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")))?;
            whole_numbers_as_integers(&mut value);
            serde_path_to_error::deserialize(value).map_err(json_error)
        }
        Err(e) => Err(json_error(e)),
    }
}

fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && n.is_f64()) {
                // Within ±2^53 a float holds the integer exactly.
                if f.abs() <= 9_007_199_254_740_992.0 {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
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

/// The request's declared body length, if it gave one.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// The request's Content-Type, if it is text.
pub fn content_type(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// A streamed request body as the application reads uploads.
pub fn upload(body: axum::body::Body) -> firebreak_app::files::Upload {
    use futures::TryStreamExt;
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}
