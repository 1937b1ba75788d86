//! Files kept in the data folder (evidence, documents): streamed to disk and
//! hashed on the way in, renamed into place only once complete.
//!
//! The organisation's storage limit counts each content (SHA-256) once: an
//! alert's attachment escalated into evidence is one file linked twice, and a
//! file uploaded again is linked to the copy already kept, so what is counted
//! is what the disk holds.

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
    allowance_beside(state, org, declared, 0).await
}

/// [`allowance`] for an upload beside others of the same request whose
/// `pending` bytes are stored but not yet recorded.
pub async fn allowance_beside(state: &App, org: Uuid, declared: Option<u64>, pending: u64) -> AppResult<Allowance> {
    let per_file = state.settings.max_file_bytes;
    let mut allowance = Allowance { bytes: u64::MAX, exceeded: AppError::internal() };
    if per_file > 0 {
        allowance = Allowance { bytes: per_file, exceeded: file_too_large(per_file) };
    }
    let total = state.settings.max_org_storage_bytes;
    if total > 0 {
        let used = state.store.stored_content_bytes(org, &FILE_KINDS).await?.saturating_add(pending);
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
pub async fn store_stream<S>(path: &Path, mut stream: S, allowance: Allowance) -> AppResult<(u64, String)>
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
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

/// Streams `body` into the organisation's file `id` (as [`store_stream`]),
/// then shares the disk of a file it already keeps with the same bytes.
pub async fn keep<S>(state: &App, org: Uuid, id: Uuid, body: S, allowance: Allowance) -> AppResult<(u64, String)>
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    let path = path_of(state, org, id);
    let (size, sha256) = store_stream(&path, body, allowance).await?;
    share_same_content(state, org, id, &path, &sha256).await;
    Ok((size, sha256))
}

/// A file streamed into the data folder before the record that names it
/// (a file part of a multipart request, kept once the whole request is
/// read): removed when dropped, unless [`Staged::recorded`] was called.
pub struct Staged {
    /// The id its record takes (the file's name in the data folder).
    pub id: Uuid,
    pub size: u64,
    pub sha256: String,
    path: PathBuf,
    kept: bool,
}

impl Staged {
    /// A record now names the file: it stays.
    pub fn recorded(mut self) {
        self.kept = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.kept {
            // A drop cannot wait; unlinking one file is short.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Streams an upload into the organisation's data folder ahead of its
/// record, held to the per-file limit and to what is left of the
/// organisation's beside the `pending` bytes staged by the same request.
pub async fn stage<S>(state: &App, org: Uuid, declared: Option<u64>, pending: u64, body: S) -> AppResult<Staged>
where
    S: futures::Stream<Item = std::io::Result<bytes::Bytes>> + Unpin,
{
    let allowance = allowance_beside(state, org, declared, pending).await?;
    let id = Uuid::now_v7();
    let (size, sha256) = keep(state, org, id, body, allowance).await?;
    Ok(Staged { id, size, sha256, path: path_of(state, org, id), kept: false })
}

/// [`stage`] for bytes already in memory (a file sent in JSON as base64).
pub async fn stage_bytes(state: &App, org: Uuid, data: bytes::Bytes) -> AppResult<Staged> {
    let len = data.len() as u64;
    stage(state, org, Some(len), 0, futures::stream::iter([Ok::<_, std::io::Error>(data)])).await
}

/// Replaces the file just written at `path` by a link to the organisation's
/// earlier file with the same SHA-256, once their bytes are compared equal
/// (an earlier file altered on disk is never given to a new record). Any
/// failure keeps the copy: it costs space, not correctness.
async fn share_same_content(state: &App, org: Uuid, id: Uuid, path: &Path, sha256: &str) {
    let earlier = match state.store.item_with_content(org, &FILE_KINDS, sha256).await {
        Ok(Some(item)) if item.id != id => path_of(state, org, item.id),
        Ok(_) => return,
        Err(e) => {
            tracing::warn!(error = %e, "looking for a file with the same content");
            return;
        }
    };
    match same_bytes(&earlier, path).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(file = %earlier.display(), "a stored file no longer matches its SHA-256; not shared");
            return;
        }
        Err(_) => return,
    }
    let link = path.with_extension("link");
    let linked = async {
        tokio::fs::hard_link(&earlier, &link).await?;
        tokio::fs::rename(&link, path).await
    };
    if let Err(e) = linked.await {
        tracing::warn!(error = %e, "linking a file to its earlier copy; the copy is kept");
        let _ = tokio::fs::remove_file(&link).await;
    }
}

/// Whether two files hold the same bytes.
async fn same_bytes(a: &Path, b: &Path) -> std::io::Result<bool> {
    use tokio::io::AsyncReadExt;
    let (mut fa, mut fb) = (tokio::fs::File::open(a).await?, tokio::fs::File::open(b).await?);
    if fa.metadata().await?.len() != fb.metadata().await?.len() {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = fa.read(&mut ba).await?;
        if n == 0 {
            return Ok(true);
        }
        fb.read_exact(&mut bb[..n]).await?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// A file name without its folders, checked.
pub fn clean_filename(name: &str) -> AppResult<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() || base.chars().count() > 255 || base.chars().any(char::is_control) {
        return Err(AppError::field(ErrorCode::InvalidField, "filename", "filename must be 1 to 255 characters"));
    }
    Ok(base.to_owned())
}
