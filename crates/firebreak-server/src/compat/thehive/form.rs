//! TheHive's request bodies that may carry files: JSON, read whole (to
//! `max_body_bytes`), or `multipart/form-data`, read as it arrives. Each
//! file part is streamed into the data folder as an evidence upload is,
//! held to `max_file_bytes` and the organisation's storage rather than to
//! `max_body_bytes`; the other fields are read whole, to `max_body_bytes`
//! in all. A file is removed again unless a record comes to name it.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use firebreak_app::auth::Caller;
use firebreak_app::files::{self, Staged};
use firebreak_app::{AppError, AppResult};
use firebreak_types::ErrorCode;
use futures::{StreamExt, TryStreamExt};

use super::error::{HiveError, HiveResult};
use crate::state::AppState;

/// A file part: its field, the file's name and declared type as sent, and
/// the file in the data folder.
pub(super) struct SentFile {
    pub field: String,
    pub name: String,
    pub content_type: String,
    pub file: Staged,
}

/// What a request sent.
pub(super) enum Sent {
    /// Any body that is not multipart (JSON, as TheHive's clients send it).
    Whole(Bytes),
    /// A multipart body: its text fields by name, and its files in order.
    Form { fields: HashMap<String, Bytes>, files: Vec<SentFile> },
}

pub(super) fn is_multipart(headers: &HeaderMap) -> bool {
    content_type(headers).trim_start().to_ascii_lowercase().starts_with("multipart/form-data")
}

fn content_type(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn too_large(limit: usize) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("the body (files aside) is larger than the server's limit (max_body_bytes = {limit} bytes)"),
    )
}

fn malformed(e: multer::Error) -> HiveError {
    HiveError::bad_request(format!("the multipart body is not well formed: {e}"))
}

/// Reads the body of a request that may carry files, storing each file
/// part in `caller`'s organisation as it arrives.
pub(super) async fn read(state: &AppState, caller: &Caller, headers: &HeaderMap, body: Body) -> HiveResult<Sent> {
    let limit = state.settings.max_body_bytes;
    if !is_multipart(headers) {
        return Ok(Sent::Whole(whole(body, limit).await?));
    }
    let boundary = multer::parse_boundary(content_type(headers))
        .map_err(|_| HiveError::bad_request("a multipart body needs its boundary in the Content-Type header"))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let mut text = 0usize;
    let mut pending = 0u64;
    while let Some(mut part) = form.next_field().await.map_err(malformed)? {
        let field = part.name().unwrap_or_default().to_owned();
        // Python's requests sends a text given among the files (thehive4py's
        // `_json`) as a file named after its field.
        let file_name = part.file_name().filter(|n| *n != field && field != "_json").map(str::to_owned);
        let Some(name) = file_name else {
            let mut value = Vec::new();
            while let Some(chunk) = part.chunk().await.map_err(malformed)? {
                text += chunk.len();
                if text > limit {
                    return Err(too_large(limit).into());
                }
                value.extend_from_slice(&chunk);
            }
            fields.insert(field, Bytes::from(value));
            continue;
        };
        let content_type = part.content_type().map(ToString::to_string).unwrap_or_default();
        // An empty file part (a form sent without its file) is no file.
        let mut first = Bytes::new();
        while first.is_empty() {
            match part.chunk().await.map_err(malformed)? {
                Some(chunk) => first = chunk,
                None => break,
            }
        }
        if first.is_empty() {
            continue;
        }
        let rest = part.map_err(std::io::Error::other);
        let stream = futures::stream::iter([Ok(first)]).chain(rest);
        let file = stage(state, caller, pending, Box::pin(stream)).await?;
        pending = pending.saturating_add(file.size);
        files.push(SentFile { field, name, content_type, file });
    }
    Ok(Sent::Form { fields, files })
}

/// How much of a body past its limit is still read (and dropped) before the
/// refusal is answered.
const DRAIN_BYTES: usize = 4 << 20;

/// A body read whole, to `limit` bytes. Past the limit the rest is read and
/// dropped, up to [`DRAIN_BYTES`] more, before the 413 is answered: a client
/// still sending its body then reads the refusal rather than a connection
/// closed under it.
async fn whole(body: Body, limit: usize) -> HiveResult<Bytes> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| too_large(limit))?;
        seen = seen.saturating_add(chunk.len());
        if seen <= limit {
            kept.extend_from_slice(&chunk);
        } else if seen > limit.saturating_add(DRAIN_BYTES) {
            break;
        }
    }
    if seen > limit {
        return Err(too_large(limit).into());
    }
    Ok(Bytes::from(kept))
}

async fn stage<S>(state: &AppState, caller: &Caller, pending: u64, stream: S) -> AppResult<Staged>
where
    S: futures::Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    files::stage(&state.app, caller.org_id(), None, pending, stream).await
}
