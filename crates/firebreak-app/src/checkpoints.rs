//! Signed checkpoints of the audit chains, appended to a file away from the
//! database: every chain head (sequence number and hash) at a moment, under
//! a MAC with the audit key. A chain cut back and given an older head, with
//! that head's older, valid MAC, is still shorter than a checkpoint says it
//! was; so is an organisation whose whole chain was removed.
//!
//! One JSON object per line ([`Checkpoint`]); each names the MAC of the one
//! before it, so that a removed line shows. `jobs::tick` writes one when one
//! is due and a head moved since the last, and the server on shutdown.

use std::path::{Path, PathBuf};

use firebreak_domain::audit::{Checkpoint, CheckpointHead};
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;

use crate::App;
use crate::error::{AppError, AppResult};

/// The file's name in the data folder.
pub const FILE_NAME: &str = "audit-checkpoints.jsonl";

/// Where this node's checkpoints go, and what it last wrote there.
pub struct CheckpointLog {
    path: PathBuf,
    last: tokio::sync::Mutex<Option<Written>>,
}

/// The newest checkpoint this process wrote (or found, for its MAC).
struct Written {
    at: OffsetDateTime,
    mac: String,
    heads: Vec<CheckpointHead>,
}

impl CheckpointLog {
    pub fn new(path: PathBuf) -> CheckpointLog {
        CheckpointLog { path, last: tokio::sync::Mutex::new(None) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file's lines in order, `None` for one that cannot be read; no file
/// means no checkpoint yet.
pub async fn read(path: &Path) -> std::io::Result<Vec<Option<Checkpoint>>> {
    let text = match tokio::fs::read_to_string(path).await {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(text.lines().map(|line| serde_json::from_str(line).ok()).collect())
}

/// Writes a checkpoint when `every` has passed since this process last
/// wrote one (or it has written none yet).
pub async fn write_due(state: &App) -> AppResult<Option<Checkpoint>> {
    let due = match &*state.checkpoints.last.lock().await {
        Some(w) => state.clock.now() - w.at >= state.settings.audit_checkpoint_every,
        None => true,
    };
    if due { write(state).await } else { Ok(None) }
}

/// Writes a checkpoint of every chain head now, unless no head moved since
/// the last one this process wrote.
pub async fn write(state: &App) -> AppResult<Option<Checkpoint>> {
    let log = &state.checkpoints;
    let key = state.store.audit_key();
    let mut last = log.last.lock().await;
    let heads: Vec<CheckpointHead> = state
        .store
        .audit_heads()
        .await?
        .into_iter()
        .map(|(org_id, h)| CheckpointHead { org_id, seq: h.seq, hash: h.hash })
        .collect();
    let prev = match &*last {
        Some(w) if w.heads == heads => return Ok(None),
        Some(w) => w.mac.clone(),
        // The sequence goes on from the newest checkpoint that verifies.
        None => read(&log.path)
            .await
            .map_err(|e| file_error(&log.path, &e))?
            .into_iter()
            .flatten()
            .rev()
            .find(|c| c.verifies(key))
            .map(|c| c.mac)
            .unwrap_or_default(),
    };
    let checkpoint = Checkpoint::sign(key, state.clock.now(), heads, prev);
    let mut line = serde_json::to_string(&checkpoint).map_err(|_| AppError::internal())?;
    line.push('\n');
    append(&log.path, &line).await.map_err(|e| file_error(&log.path, &e))?;
    *last = Some(Written { at: checkpoint.at, mac: checkpoint.mac.clone(), heads: checkpoint.heads.clone() });
    Ok(Some(checkpoint))
}

/// Appends `line` and flushes it to disk before the checkpoint counts as written.
async fn append(path: &Path, line: &str) -> std::io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(path).await?;
    file.write_all(line.as_bytes()).await?;
    file.sync_all().await
}

fn file_error(path: &Path, e: &std::io::Error) -> AppError {
    tracing::error!(path = %path.display(), error = %e, "audit checkpoint file");
    AppError::internal()
}

/// Signs the chain heads written before heads were signed, on the first
/// start with checkpoints. Once this node has written a checkpoint, a head
/// without a MAC is not signed here any more but reported: someone removed
/// its MAC.
pub async fn anchor_unsigned_heads(state: &App) -> AppResult<u64> {
    let first_start = tokio::fs::try_exists(state.checkpoints.path()).await.map(|exists| !exists).unwrap_or(false);
    if !first_start {
        return Ok(0);
    }
    let signed = state.store.anchor_audit_heads().await?;
    if signed > 0 {
        tracing::info!(heads = signed, "signed the audit chain heads written before heads were signed");
    }
    Ok(signed)
}
