//! Files attached to an alert: sent with it (TheHive's multipart alert, a
//! TheHive 4 `file` artifact) or added during triage. Each is kept as
//! evidence is (`files`): written to the data folder whole, hashed, counted
//! in the organisation's storage limit, then recorded with the alert as its
//! parent (the record's creation is audited).

use firebreak_domain::permission::Action;
use firebreak_store::ItemQuery;
use firebreak_types::{AlertAttachment, ErrorCode};
use uuid::Uuid;

use crate::App;
use crate::alerts::get_alert;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::files::{self, clean_filename, path_of};
use crate::items::{self, Index, Kind};

impl Kind for AlertAttachment {
    const KIND: &'static str = "alert_attachment";
    const NOUN: &'static str = "attachment";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            parent_id: Some(self.alert_id),
            key: Some(self.sha256.clone()),
            at: Some(self.added_at),
            ..Index::default()
        }
    }
}

/// A file to attach: its name as sent, the type the sender declared (may be
/// empty) and the file, already streamed to the data folder.
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub file: files::Staged,
}

/// Attaches files to an alert during triage (the alert in any state: a file
/// found later belongs with it, as a comment does).
pub async fn add(
    state: &App,
    caller: &Caller,
    alert_id: Uuid,
    new: Vec<NewAttachment>,
) -> AppResult<Vec<AlertAttachment>> {
    caller.require(Action::AlertTriage)?;
    get_alert(state, caller, alert_id).await?;
    store(state, caller, alert_id, new).await
}

/// Attaches the files sent with an alert to it, as its sender: the caller
/// may send alerts.
pub async fn sent_with(
    state: &App,
    caller: &Caller,
    alert_id: Uuid,
    new: Vec<NewAttachment>,
) -> AppResult<Vec<AlertAttachment>> {
    caller.require(Action::AlertIngest)?;
    get_alert(state, caller, alert_id).await?;
    store(state, caller, alert_id, new).await
}

async fn store(
    state: &App,
    caller: &Caller,
    alert_id: Uuid,
    new: Vec<NewAttachment>,
) -> AppResult<Vec<AlertAttachment>> {
    if new.is_empty() {
        return Err(AppError::field(
            ErrorCode::MissingField,
            "attachments",
            "attachments is required: at least one file",
        ));
    }
    let mut out = Vec::with_capacity(new.len());
    for f in new {
        // A refusal drops the files not yet recorded, which removes them.
        let name = clean_filename(&f.name)?;
        let attachment = AlertAttachment {
            id: f.file.id,
            alert_id,
            content_type: crate::evidence::stored_type(&f.content_type, &name),
            name,
            size: f.file.size,
            sha256: f.file.sha256.clone(),
            added_by: caller.name().to_owned(),
            added_at: state.clock.now(),
        };
        out.push(items::create(state, &caller.ctx(state), caller.org_id(), attachment).await?);
        f.file.recorded();
    }
    state.live.publish(caller.org_id(), "alert.updated", alert_id);
    Ok(out)
}

/// The alert's attachments, oldest first.
pub async fn list(state: &App, caller: &Caller, alert_id: Uuid) -> AppResult<Vec<AlertAttachment>> {
    get_alert(state, caller, alert_id).await?;
    let q = ItemQuery { parent_id: Some(alert_id), ..items::query::<AlertAttachment>() };
    items::list(state, caller.org_id(), &q).await
}

/// An attachment by its id alone, in an alert the caller may read.
pub async fn find(state: &App, caller: &Caller, id: Uuid) -> AppResult<AlertAttachment> {
    let (_, a) = items::load::<AlertAttachment>(state, caller.org_id(), id).await?;
    get_alert(state, caller, a.alert_id).await?;
    Ok(a)
}

/// One attachment of the alert, and its file opened for streaming.
pub async fn download(
    state: &App,
    caller: &Caller,
    alert_id: Uuid,
    id: Uuid,
) -> AppResult<(AlertAttachment, tokio::fs::File)> {
    get_alert(state, caller, alert_id).await?;
    let (_, a) = items::load::<AlertAttachment>(state, caller.org_id(), id).await?;
    if a.alert_id != alert_id {
        return Err(AppError::not_found("attachment"));
    }
    let file = tokio::fs::File::open(path_of(state, caller.org_id(), id)).await.map_err(|err| {
        tracing::error!(error = %err, attachment = %id, "alert attachment file missing");
        AppError::new(ErrorCode::Internal, "the attachment's file is missing from the store")
    })?;
    Ok((a, file))
}

/// The alert's attachments as evidence of the case it is escalated into:
/// each file linked (or copied) under the evidence's own id, collected from
/// the alert, its custody starting there. Evidence and attachment are one
/// content: the organisation's storage counts it once.
pub(crate) async fn into_case(
    state: &App,
    caller: &Caller,
    ctx: &firebreak_store::WriteCtx,
    alert: &firebreak_types::Alert,
    case_id: Uuid,
) -> AppResult<()> {
    let q = ItemQuery { parent_id: Some(alert.id), ..items::query::<AlertAttachment>() };
    let list: Vec<AlertAttachment> = items::list(state, caller.org_id(), &q).await?;
    for a in list {
        let id = Uuid::now_v7();
        let from = path_of(state, caller.org_id(), a.id);
        let to = path_of(state, caller.org_id(), id);
        if tokio::fs::hard_link(&from, &to).await.is_err() {
            tokio::fs::copy(&from, &to).await.map_err(files::io_error)?;
        }
        let source = format!("alert {} ({})", alert.source_ref, alert.source);
        let evidence = firebreak_types::Evidence {
            id,
            case_id,
            filename: a.name.clone(),
            description: format!("Attached to {source}"),
            content_type: a.content_type.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            collected_by: a.added_by.clone(),
            collected_from: source,
            collected_at: a.added_at,
            stored_at: "Firebreak evidence store".into(),
        };
        if let Err(e) = items::create(state, ctx, caller.org_id(), evidence).await {
            let _ = tokio::fs::remove_file(&to).await;
            return Err(e);
        }
        let custody = firebreak_types::CustodyEntry {
            id: Uuid::now_v7(),
            evidence_id: id,
            action: "collected".into(),
            actor: caller.name().to_owned(),
            at: ctx.now,
            to: None,
            location: Some("Firebreak evidence store".into()),
            note: format!("escalated with its alert, {} bytes, SHA-256 {}", a.size, a.sha256),
        };
        items::create(state, ctx, caller.org_id(), custody).await?;
    }
    Ok(())
}
