//! Files kept in the data folder (evidence, documents): streamed to disk and
//! hashed on the way in, renamed into place only once complete.

use std::path::{Path, PathBuf};

use axum::body::Body;
use firebreak_types::ErrorCode;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Where an organisation's file `id` is kept.
pub fn path_of(state: &AppState, org: Uuid, id: Uuid) -> PathBuf {
    state.settings.files_dir.join(org.to_string()).join(id.to_string())
}

pub fn io_error(e: std::io::Error) -> ApiError {
    tracing::error!(error = %e, "file storage");
    ApiError::internal()
}

/// Streams `body` to `path` (through `path.part`), returning its size and
/// SHA-256. A body cut off mid-stream removes the partial file and answers
/// `incomplete_upload`.
pub async fn store_stream(path: &Path, body: Body) -> ApiResult<(u64, String)> {
    let part = path.with_extension("part");
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    }
    let mut file = tokio::fs::File::create(&part).await.map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let failed = match chunk {
            Ok(chunk) => {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                match file.write_all(&chunk).await {
                    Ok(()) => continue,
                    Err(e) => io_error(e),
                }
            }
            Err(e) => ApiError::new(
                ErrorCode::IncompleteUpload,
                format!("the upload was cut off after {size} bytes ({e}); nothing was recorded"),
            ),
        };
        drop(file);
        let _ = tokio::fs::remove_file(&part).await;
        return Err(failed);
    }
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    tokio::fs::rename(&part, path).await.map_err(io_error)?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// A file name without its folders, checked.
pub fn clean_filename(name: &str) -> ApiResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 255 || base.chars().any(char::is_control) {
        return Err(ApiError::field(ErrorCode::InvalidField, "filename", "filename must be 1 to 255 characters"));
    }
    Ok(base.to_owned())
}
