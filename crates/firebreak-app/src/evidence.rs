//! Evidence: files of any size streamed to the data folder, hashed on the
//! way in, with a chain of custody in which every download is an entry.
//!
//! A file is written to `<files>/<org>/<id>.part` and renamed to its final
//! name only once the whole body arrived and was flushed to disk; the record
//! is stored after that. A cut-off upload leaves no record and no file.

use firebreak_domain::permission::Action;
use firebreak_domain::validate::markdown;
use firebreak_types::{CreateCustodyEntry, CustodyEntry, ErrorCode, Evidence, EvidenceVerification};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::files::{self, clean_filename, io_error, path_of};
use crate::items::{self, Index, Kind};

impl Kind for Evidence {
    const KIND: &'static str = "evidence";
    const NOUN: &'static str = "evidence";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            case_id: Some(self.case_id),
            key: Some(self.sha256.clone()),
            at: Some(self.collected_at),
            ..Index::default()
        }
    }
}

impl Kind for CustodyEntry {
    const KIND: &'static str = "custody";
    const NOUN: &'static str = "custody entry";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            parent_id: Some(self.evidence_id),
            status: Some(self.action.clone()),
            at: Some(self.at),
            ..Index::default()
        }
    }
}

/// What the uploader says of the file (query parameters of the upload).
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// The file's name as collected.
    #[param(schema_with = firebreak_types::text::filename)]
    pub filename: String,
    #[serde(default)]
    pub description: String,
    /// Where it was taken from (a host, a mailbox).
    #[serde(default)]
    pub collected_from: String,
    /// Who collected it; defaults to the uploader.
    pub collected_by: Option<String>,
}

/// The type an uploaded file is kept under: the one the request declared,
/// unless that says nothing of the file (none, `application/octet-stream`,
/// or the form encoding `curl --data-binary` sends by default), when the
/// file name's extension tells it.
pub(crate) fn stored_type(declared: &str, filename: &str) -> String {
    let essence = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let says_nothing = matches!(
        essence.as_str(),
        "" | "application/octet-stream" | "application/x-www-form-urlencoded" | "multipart/form-data"
    );
    if !says_nothing {
        return declared.trim().to_owned();
    }
    mime_guess::from_path(filename).first_raw().unwrap_or("application/octet-stream").to_owned()
}

/// Streams `body` to disk, hashing as it goes; records the evidence and its
/// first custody entry only after the file is complete.
pub async fn upload(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    params: UploadParams,
    content_type: String,
    declared: Option<u64>,
    body: crate::files::Upload,
) -> AppResult<Evidence> {
    crate::cases::writable(state, caller, case_id).await?;
    clean_filename(&params.filename)?;
    markdown("description", &params.description)?;
    let staged = files::stage(state, caller.org_id(), declared, 0, body).await?;
    record(state, caller, case_id, params, content_type, staged).await
}

/// Records a file already streamed to the data folder (a file part of
/// TheHive's multipart request) as evidence of the case, with its first
/// custody entry. A refusal removes the file.
pub async fn record_staged(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    params: UploadParams,
    content_type: String,
    staged: files::Staged,
) -> AppResult<Evidence> {
    crate::cases::writable(state, caller, case_id).await?;
    record(state, caller, case_id, params, content_type, staged).await
}

async fn record(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    params: UploadParams,
    content_type: String,
    staged: files::Staged,
) -> AppResult<Evidence> {
    let filename = clean_filename(&params.filename)?;
    let description = markdown("description", &params.description)?;
    let now = state.clock.now();
    let who = params.collected_by.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let evidence = Evidence {
        id: staged.id,
        case_id,
        filename,
        description,
        content_type: stored_type(&content_type, &params.filename),
        size: staged.size,
        sha256: staged.sha256.clone(),
        collected_by: who.unwrap_or_else(|| caller.name().to_owned()),
        collected_from: params.collected_from.trim().to_owned(),
        collected_at: now,
        stored_at: "Firebreak evidence store".into(),
    };
    let ctx = caller.ctx(state);
    items::create(state, &ctx, caller.org_id(), evidence.clone()).await?;
    staged.recorded();
    let note = format!("uploaded, {} bytes, SHA-256 {}", evidence.size, evidence.sha256);
    custody(state, caller, &evidence, "collected", None, Some(evidence.stored_at.clone()), note).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(evidence)
}

async fn custody(
    state: &App,
    caller: &Caller,
    evidence: &Evidence,
    action: &str,
    to: Option<String>,
    location: Option<String>,
    note: String,
) -> AppResult<CustodyEntry> {
    let entry = CustodyEntry {
        id: Uuid::now_v7(),
        evidence_id: evidence.id,
        action: action.to_owned(),
        actor: caller.name().to_owned(),
        at: state.clock.now(),
        to,
        location,
        note,
    };
    items::create(state, &caller.ctx(state), caller.org_id(), entry).await
}

pub async fn load(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
) -> AppResult<(firebreak_store::Item, Evidence)> {
    get_case(state, caller, case_id).await?;
    let (item, e) = items::load::<Evidence>(state, caller.org_id(), id).await?;
    if e.case_id != case_id {
        return Err(AppError::not_found("evidence"));
    }
    Ok((item, e))
}

pub async fn list(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Evidence>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

pub async fn chain(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<Vec<CustodyEntry>> {
    load(state, caller, case_id, id).await?;
    let q = firebreak_store::ItemQuery { parent_id: Some(id), ..items::query::<CustodyEntry>() };
    items::list(state, caller.org_id(), &q).await
}

/// The file, opened for streaming; the download is a custody entry.
pub async fn download(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<(Evidence, tokio::fs::File)> {
    let (_, e) = load(state, caller, case_id, id).await?;
    let file = tokio::fs::File::open(path_of(state, caller.org_id(), id)).await.map_err(|err| {
        tracing::error!(error = %err, evidence = %id, "evidence file missing");
        AppError::new(ErrorCode::Internal, "the evidence file is missing from the store; verify it")
    })?;
    custody(state, caller, &e, "downloaded", Some(caller.name().to_owned()), None, String::new()).await?;
    Ok((e, file))
}

pub async fn add_custody(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    req: CreateCustodyEntry,
) -> AppResult<CustodyEntry> {
    caller.require(Action::CaseWrite)?;
    let (item, mut e) = load(state, caller, case_id, id).await?;
    let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (to, location) = (text(req.to), text(req.location));
    match req.action.as_str() {
        "transferred" if to.is_none() => {
            return Err(AppError::field(ErrorCode::InvalidField, "to", "to is required: who received it"));
        }
        "stored" if location.is_none() => {
            return Err(AppError::field(ErrorCode::InvalidField, "location", "location is required: where it is kept"));
        }
        "transferred" | "stored" => {}
        _ => return Err(AppError::field(ErrorCode::InvalidField, "action", "action must be transferred or stored")),
    }
    if let Some(l) = &location {
        e.stored_at = l.clone();
        items::save(state, &caller.ctx(state), &item, e.clone()).await?;
    }
    custody(state, caller, &e, &req.action, to, location, req.note.trim().to_owned()).await
}

/// Recomputes the stored file's hash and size; a mismatch is recorded.
pub async fn verify(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<EvidenceVerification> {
    caller.require(Action::CaseRead)?;
    let (_, e) = load(state, caller, case_id, id).await?;
    let mut out = EvidenceVerification {
        evidence_id: id,
        ok: false,
        expected_sha256: e.sha256.clone(),
        actual_sha256: None,
        expected_size: e.size,
        actual_size: None,
        problem: None,
    };
    match tokio::fs::File::open(path_of(state, caller.org_id(), id)).await {
        Err(err) => out.problem = Some(format!("the stored file cannot be read: {err}")),
        Ok(mut f) => {
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 16];
            let mut size = 0u64;
            loop {
                let n = f.read(&mut buf).await.map_err(io_error)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            let actual = hex::encode(hasher.finalize());
            out.ok = actual == e.sha256 && size == e.size;
            if !out.ok {
                out.problem = Some("the stored file no longer matches the hash taken at collection".into());
            }
            out.actual_sha256 = Some(actual);
            out.actual_size = Some(size);
        }
    }
    let (action, note) = match &out.problem {
        None => ("verified", format!("SHA-256 {} matches", e.sha256)),
        Some(p) => ("verify_failed", p.clone()),
    };
    custody(state, caller, &e, action, None, None, note).await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::stored_type;

    #[test]
    fn a_type_that_says_nothing_is_taken_from_the_file_name() {
        assert_eq!(stored_type("application/x-www-form-urlencoded", "mail.eml"), "message/rfc822");
        assert_eq!(stored_type("", "capture.pcap"), "application/vnd.tcpdump.pcap");
        assert_eq!(stored_type("application/octet-stream", "notes.txt"), "text/plain");
        assert_eq!(stored_type("", "memory.raw.unknownext"), "application/octet-stream");
        assert_eq!(stored_type("application/pdf", "report.bin"), "application/pdf");
    }
}
