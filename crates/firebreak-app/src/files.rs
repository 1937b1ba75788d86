//! Files kept in the data folder (evidence, documents): streamed to disk and
//! hashed on the way in, renamed into place only once complete.

use std::path::{Path, PathBuf};

use firebreak_types::ErrorCode;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};

/// An upload's bytes as they arrive; an error means the sender stopped
/// before the end.
pub type Upload = std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>;

/// Where an organisation's file `id` is kept.
pub fn path_of(state: &App, org: Uuid, id: Uuid) -> PathBuf {
    state.settings.files_dir.join(org.to_string()).join(id.to_string())
}

pub fn io_error(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "file storage");
    AppError::internal()
}

/// The item kinds whose records stand for files in the data folder
/// (evidence, documents, files attached to alerts).
const FILE_KINDS: [&str; 3] = ["evidence", "document", "alert_attachment"];

/// How many bytes an upload may write, and the answer once it writes more.
pub struct Allowance {
    pub bytes: u64,
    pub exceeded: AppError,
}

fn file_too_large(limit: u64) -> AppError {
    AppError::new(
        ErrorCode::PayloadTooLarge,
        format!("the file is larger than the per-file limit (max_file_bytes = {limit} bytes); nothing was stored"),
    )
}

fn storage_full(limit: u64, used: u64) -> AppError {
    AppError::new(
        ErrorCode::StorageLimit,
        format!(
            "the file would take the organisation's stored files past its limit \
             (max_org_storage_bytes = {limit} bytes, {used} bytes in use); nothing was stored"
        ),
    )
}

/// What an upload to `org` may write: the per-file limit or what is left of
/// the organisation's, whichever is smaller. A declared length (the
/// request's Content-Length) over it is refused before anything is read.
/// The organisation's use is read when the upload starts, so uploads running
/// at the same moment may pass it by at most one file each.
pub async fn allowance(state: &App, org: Uuid, declared: Option<u64>) -> AppResult<Allowance> {
    let per_file = state.settings.max_file_bytes;
    let mut allowance = Allowance { bytes: u64::MAX, exceeded: AppError::internal() };
    if per_file > 0 {
        allowance = Allowance { bytes: per_file, exceeded: file_too_large(per_file) };
    }
    let total = state.settings.max_org_storage_bytes;
    if total > 0 {
        let used = state.store.sum_item_sizes(org, &FILE_KINDS).await?;
        let left = total.saturating_sub(used);
        if left < allowance.bytes {
            allowance = Allowance { bytes: left, exceeded: storage_full(total, used) };
        }
    }
    match declared {
        Some(n) if n > allowance.bytes => Err(allowance.exceeded),
        _ => Ok(allowance),
    }
}

/// Streams `body` to `path` (through `path.part`), returning its size and
/// SHA-256. A body cut off mid-stream removes the partial file and answers
/// `incomplete_upload`; one that grows past `allowance` stops being read,
/// removes the partial file and answers the allowance's error.
pub async fn store_stream(path: &Path, mut stream: Upload, allowance: Allowance) -> AppResult<(u64, String)> {
    let part = path.with_extension("part");
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io_error)?;
    }
    let mut file = tokio::fs::File::create(&part).await.map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let failed = match chunk {
            Ok(chunk) if size.saturating_add(chunk.len() as u64) > allowance.bytes => allowance.exceeded,
            Ok(chunk) => {
                hasher.update(&chunk);
                size += chunk.len() as u64;
                match file.write_all(&chunk).await {
                    Ok(()) => continue,
                    Err(e) => io_error(e),
                }
            }
            Err(e) => AppError::new(
                ErrorCode::IncompleteUpload,
                format!("the upload was cut off after {size} bytes ({e}); nothing was recorded"),
            ),
        };
        drop(file);
        let _ = tokio::fs::remove_file(&part).await;
        return Err(failed);
    }
    if size == 0 {
        // A request without the file's bytes (an upload form sent empty, a
        // script that lost its file) is refused rather than kept as evidence.
        drop(file);
        let _ = tokio::fs::remove_file(&part).await;
        return Err(AppError::field(
            ErrorCode::MissingField,
            "body",
            "body is required: the file's bytes (it was empty)",
        ));
    }
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    tokio::fs::rename(&part, path).await.map_err(io_error)?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// A file name without its folders, checked.
pub fn clean_filename(name: &str) -> AppResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 255 || base.chars().any(char::is_control) {
        return Err(AppError::field(ErrorCode::InvalidField, "filename", "filename must be 1 to 255 characters"));
    }
    Ok(base.to_owned())
}
