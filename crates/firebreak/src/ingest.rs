//! `firebreak ingest`: alert files of a known format into the database, in
//! batches through the same checks as the API, with a progress bar.
//!
//! Resumable twice over: every alert is deduplicated by its source reference,
//! so a re-run creates no duplicates; and the bytes already committed are
//! remembered in the data folder, so a re-run of a file that has grown (a
//! log still being written) starts where the last one stopped.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use firebreak_app::App;
use firebreak_app::intake::{self, Rejection};
use firebreak_domain::formats::Format;
use firebreak_store::{Actor, WriteCtx};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Lines per batch: one transaction each.
const BATCH: usize = 1000;
/// Bytes of a file's head that identify it (a rotated log starts afresh).
const HEAD: usize = 4096;

/// Where a file was left: its committed length and the hash of its head.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Checkpoints {
    files: std::collections::BTreeMap<String, Checkpoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    offset: u64,
    /// The hash of the file's first `head_len` bytes (at most 4 KiB, at most
    /// what was read), so that a file that has only grown still matches.
    head: String,
    head_len: usize,
}

#[derive(Debug, Default)]
pub struct Totals {
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub skipped: usize,
}

fn head_hash(path: &Path, len: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; len];
    let mut f = std::fs::File::open(path)?;
    let mut n = 0;
    while n < len {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(hex::encode(Sha256::digest(&buf[..n])))
}

fn load_checkpoints(path: &Path) -> Checkpoints {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

fn save_checkpoints(path: &Path, c: &Checkpoints) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(c)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn bar(len: u64, name: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {name} [{{bar:40}}] {{bytes}}/{{total_bytes}} {{bytes_per_sec}} eta {{eta}} {{msg}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}

/// Ingests `files` into `org`, printing rejected lines and a summary.
pub async fn run(
    state: &App,
    org: Uuid,
    format: Format,
    files: &[PathBuf],
    checkpoints_path: &Path,
    from_start: bool,
) -> anyhow::Result<Totals> {
    let mut checkpoints = load_checkpoints(checkpoints_path);
    let mut totals = Totals::default();
    let mut out = std::io::stdout().lock();
    for file in files {
        let canon = file.canonicalize().with_context(|| format!("reading {}", file.display()))?;
        let key = canon.display().to_string();
        let len = std::fs::metadata(&canon)?.len();
        let start = match checkpoints.files.get(&key) {
            Some(c) if !from_start && c.offset <= len && head_hash(&canon, c.head_len)? == c.head => c.offset,
            _ => 0,
        };
        if start > 0 {
            writeln!(out, "{}: resuming at byte {start} of {len}", file.display())?;
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let progress = bar(len, &name);
        progress.set_position(start);
        let mut reader = BufReader::new(std::fs::File::open(&canon)?);
        reader.seek(SeekFrom::Start(start))?;
        let mut offset = start;
        // A JSON array file is one document: read it whole.
        let array = reader.fill_buf()?.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        let mut line_no = 0usize;
        if array {
            let mut body = Vec::new();
            reader.read_to_end(&mut body)?;
            let items = intake::split_bulk(&body).map_err(|e| anyhow::anyhow!(e.body().message))?;
            let mut items = items.into_iter();
            loop {
                let chunk: Vec<_> = items.by_ref().take(BATCH).collect();
                if chunk.is_empty() {
                    break;
                }
                let n = chunk.len();
                send(state, org, format, chunk, line_no, file, &mut totals, &mut out).await?;
                line_no += n;
            }
            offset = len;
            progress.set_position(len);
        } else {
            let mut batch: Vec<Result<serde_json::Value, Rejection>> = Vec::with_capacity(BATCH);
            let mut batch_start = 0usize;
            let mut raw = Vec::new();
            loop {
                raw.clear();
                let n = reader.read_until(b'\n', &mut raw)?;
                if n == 0 {
                    break;
                }
                // A last line without its newline may still be being written.
                if raw.last() != Some(&b'\n') && offset + n as u64 >= len {
                    break;
                }
                offset += n as u64;
                line_no += 1;
                let text = String::from_utf8_lossy(&raw);
                if text.trim().is_empty() {
                    continue;
                }
                if batch.is_empty() {
                    batch_start = line_no - 1;
                }
                batch.push(parse_line(&raw));
                if batch.len() == BATCH {
                    let items = std::mem::take(&mut batch);
                    send(state, org, format, items, batch_start, file, &mut totals, &mut out).await?;
                    checkpoint(&mut checkpoints, checkpoints_path, &canon, &key, offset)?;
                    progress.set_position(offset);
                    progress.set_message(format!("{} created", totals.created));
                }
            }
            if !batch.is_empty() {
                send(state, org, format, batch, batch_start, file, &mut totals, &mut out).await?;
            }
        }
        checkpoint(&mut checkpoints, checkpoints_path, &canon, &key, offset)?;
        progress.finish_and_clear();
    }
    writeln!(
        out,
        "{} created, {} duplicates, {} rejected, {} skipped (not alerts)",
        totals.created, totals.duplicates, totals.rejected, totals.skipped
    )?;
    Ok(totals)
}

fn parse_line(raw: &[u8]) -> Result<serde_json::Value, Rejection> {
    let text = std::str::from_utf8(raw).map_err(|e| Rejection {
        field: None,
        reason: format!("the line is not UTF-8 (at byte {})", e.valid_up_to()),
        skipped: false,
    })?;
    serde_json::from_str(text.trim()).map_err(|e| Rejection {
        field: None,
        reason: format!("not JSON: {e}"),
        skipped: false,
    })
}

fn checkpoint(c: &mut Checkpoints, path: &Path, file: &Path, key: &str, offset: u64) -> anyhow::Result<()> {
    let head_len = usize::try_from(offset).unwrap_or(HEAD).min(HEAD);
    let head = head_hash(file, head_len)?;
    c.files.insert(key.to_owned(), Checkpoint { offset, head, head_len });
    save_checkpoints(path, c)
}

#[allow(clippy::too_many_arguments)]
async fn send(
    state: &App,
    org: Uuid,
    format: Format,
    items: Vec<Result<serde_json::Value, Rejection>>,
    first_line: usize,
    file: &Path,
    totals: &mut Totals,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let ctx = WriteCtx { actor: Actor::System, now: state.now() };
    let items = intake::adapt(format, items);
    let result = intake::ingest_as(state, &ctx, org, items).await.map_err(|e| anyhow::anyhow!(e.body().message))?;
    for item in result.items.iter().filter(|i| i.status == firebreak_types::BulkStatus::Rejected) {
        let field = item.field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default();
        writeln!(
            out,
            "{}:{}: rejected{field}: {}",
            file.display(),
            first_line + item.index + 1,
            item.reason.as_deref().unwrap_or("")
        )?;
    }
    totals.created += result.created;
    totals.duplicates += result.duplicates;
    totals.rejected += result.rejected;
    totals.skipped += result.skipped;
    Ok(())
}

pub fn exit_code(t: &Totals) -> ExitCode {
    if t.rejected == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) }
}
