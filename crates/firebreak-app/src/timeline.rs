//! A case's timeline: entries people write (with ATT&CK tactic and
//! technique) and the ones the platform writes as the case moves.

use firebreak_domain::attack::attack;
use firebreak_domain::validate::markdown;
use firebreak_store::WriteCtx;
use firebreak_types::{Case, CreateTimelineEntry, ErrorCode, SourceRef, TimelineEntry};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::items::{self};

fn resolve_attack(tactic: Option<&str>, technique: Option<&str>) -> AppResult<(Option<String>, Option<String>)> {
    let a = attack();
    let technique = match technique.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(a.technique(id).ok_or_else(|| {
            AppError::field(
                ErrorCode::InvalidField,
                "technique",
                format!("{id:?} is not an ATT&CK Enterprise technique id"),
            )
        })?),
        None => None,
    };
    let tactic = match tactic.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(a.tactic(&t.replace(' ', "-")).ok_or_else(|| {
            AppError::field(ErrorCode::InvalidField, "tactic", format!("{t:?} is not an ATT&CK Enterprise tactic"))
        })?),
        None => technique.and_then(|x| a.tactic_of(x)),
    };
    if let (Some(ta), Some(te)) = (tactic, technique)
        && !te.tactics.contains(&ta.shortname)
    {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "technique",
            format!("{} is not a technique of the tactic {}", te.id, ta.name),
        ));
    }
    Ok((tactic.map(|t| t.id.to_owned()), technique.map(|t| t.id.to_owned())))
}

pub async fn add_timeline_entry(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateTimelineEntry,
) -> AppResult<TimelineEntry> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    let description = markdown("description", &req.description)?;
    if description.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "description", "description must not be empty"));
    }
    let (tactic, technique) = resolve_attack(req.tactic.as_deref(), req.technique.as_deref())?;
    let entry = TimelineEntry {
        id: Uuid::now_v7(),
        case_id,
        at: firebreak_domain::clock::from_millis(firebreak_domain::clock::to_millis(req.at)),
        description,
        tactic,
        technique,
        asset: req.asset.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        source: req.source,
        automatic: false,
        author: caller.name().to_owned(),
    };
    let ctx = caller.ctx(state);
    // An entry with a technique is TheHive's procedure (a TTP); other
    // entries are no entity TheHive notifies of.
    let told = if entry.technique.is_some() {
        let hive = |_: &crate::thehive::Names| crate::thehive::shape::procedure(&entry);
        let event = crate::events::ItemEvent {
            name: "procedure.created",
            root: crate::events::Root::Case(&case),
            object_type: "Procedure",
            object_id: entry.id.to_string(),
            object: crate::events::as_json(&entry),
            hive: &hive,
            before: None,
        };
        crate::events::item_deliveries(state, &event, ctx.now).await?
    } else {
        Vec::new()
    };
    let sent = !told.is_empty();
    let entry = items::create_with(state, &ctx, caller.org_id(), entry, told).await?;
    crate::events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(entry)
}

pub async fn timeline(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<TimelineEntry>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

/// Stores an automatic entry ([`crate::events::automatic_entry`]) on its own.
pub async fn auto_entry(
    state: &App,
    ctx: &WriteCtx,
    case: &Case,
    description: String,
    source: SourceRef,
) -> AppResult<()> {
    items::create(state, ctx, case.org_id, crate::events::automatic_entry(ctx, case, description, source)).await?;
    Ok(())
}

/// Deletes an entry people wrote; the platform's own entries stay.
pub async fn delete_timeline_entry(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    crate::cases::writable(state, caller, case_id).await?;
    let (_, entry) = items::load::<TimelineEntry>(state, caller.org_id(), id).await?;
    if entry.case_id != case_id {
        return Err(AppError::not_found("timeline entry"));
    }
    if entry.automatic {
        return Err(AppError::new(ErrorCode::InvalidState, "entries Firebreak wrote itself cannot be deleted"));
    }
    items::delete::<TimelineEntry>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

/// What may change of an entry people wrote: its time, its text, its
/// ATT&CK tactic and technique (checked as when it was written).
#[derive(Debug, Clone, Default)]
pub struct TimelineChange {
    pub at: Option<time::OffsetDateTime>,
    pub description: Option<String>,
    pub tactic: Option<String>,
    pub technique: Option<String>,
}

pub async fn update_timeline_entry(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    change: TimelineChange,
) -> AppResult<TimelineEntry> {
    crate::cases::writable(state, caller, case_id).await?;
    let (item, mut entry) = items::load::<TimelineEntry>(state, caller.org_id(), id).await?;
    if entry.case_id != case_id {
        return Err(AppError::not_found("timeline entry"));
    }
    if entry.automatic {
        return Err(AppError::new(ErrorCode::InvalidState, "entries Firebreak wrote itself cannot be changed"));
    }
    if let Some(at) = change.at {
        entry.at = firebreak_domain::clock::from_millis(firebreak_domain::clock::to_millis(at));
    }
    if let Some(d) = change.description {
        let d = markdown("description", &d)?;
        if d.trim().is_empty() {
            return Err(AppError::field(ErrorCode::InvalidField, "description", "description must not be empty"));
        }
        entry.description = d;
    }
    if change.tactic.is_some() || change.technique.is_some() {
        let technique = change.technique.or_else(|| entry.technique.clone());
        let tactic = change.tactic.or_else(|| entry.tactic.clone());
        let (tactic, technique) = resolve_attack(tactic.as_deref(), technique.as_deref())?;
        entry.tactic = tactic;
        entry.technique = technique;
    }
    let entry = items::save(state, &caller.ctx(state), &item, entry).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(entry)
}
