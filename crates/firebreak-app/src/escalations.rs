//! Escalating a case to another tier or team.

use firebreak_store::{CaseWrite, WriteCtx};
use firebreak_types::{Case, ErrorCode, EscalateCase, Escalation, Role, SourceRef, Team, Tier};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::events::{self, CaseChange};
use crate::items::{self};

fn tier_role(tier: Tier) -> Role {
    match tier {
        Tier::L1 => Role::AnalystL1,
        Tier::L2 => Role::AnalystL2,
        Tier::L3 => Role::AnalystL3,
    }
}

pub async fn escalate(state: &App, caller: &Caller, case_id: Uuid, req: EscalateCase) -> AppResult<Escalation> {
    let before = crate::cases::writable(state, caller, case_id).await?;
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "reason", "reason is required to escalate"));
    }
    if req.tier.is_none() && req.team_id.is_none() {
        return Err(AppError::field(ErrorCode::InvalidField, "tier", "tier or team_id is required to escalate"));
    }
    if !before.state.is_active() {
        return Err(AppError::field(
            ErrorCode::InvalidState,
            "state",
            "a closed case cannot be escalated; reopen it first",
        ));
    }
    let team = match req.team_id {
        Some(id) => Some(
            items::load::<Team>(state, caller.org_id(), id)
                .await
                .map_err(|_| {
                    AppError::field(ErrorCode::NotFound, "team_id", "team_id must be a team of this organisation")
                })?
                .1,
        ),
        None => None,
    };
    let to_tier = req.tier.unwrap_or(before.tier);
    let mut notified = match &team {
        Some(t) => t.members.clone(),
        None => events::users_with_roles(state, caller.org_id(), &[tier_role(to_tier)]).await?,
    };
    notified.retain(|u| *u != caller.id());
    let now = crate::cases::request_time(state);
    let ctx = WriteCtx { actor: caller.actor(), now };
    let team_id = team.as_ref().map(|t| t.id).or(before.team_id);
    let mut after = before.clone();
    after.tier = to_tier;
    after.team_id = team_id;
    after.updated_at = now;
    let escalation = Escalation {
        id: Uuid::now_v7(),
        case_id,
        from_tier: before.tier,
        to_tier,
        team_id: team.as_ref().map(|t| t.id),
        team_name: team.as_ref().map(|t| t.name.clone()),
        reason: reason.clone(),
        by: caller.name().to_owned(),
        at: now,
        notified: notified.clone(),
    };
    let to = match &team {
        Some(t) => format!("{} ({to_tier:?})", t.name),
        None => format!("{to_tier:?}"),
    };
    let text = |case: &Case| format!("Case #{} {} escalated to {to}: {reason}", case.number, case.title);
    let data = serde_json::json!({ "from_tier": before.tier, "to_tier": to_tier, "team": escalation.team_name, "reason": reason });
    // The case's new tier or team, the escalation, its timeline entry,
    // notifications and webhook deliveries: one unit, at one time.
    let change = CaseChange {
        write: CaseWrite::Update { before: &before, after },
        name: "case.escalated",
        text: &text,
        source: SourceRef { kind: "escalation".into(), id: Some(escalation.id) },
        event: Some((notified, data)),
        also: vec![items::to_item(caller.org_id(), &escalation, now)?],
    };
    events::commit(state, &ctx, change).await?;
    Ok(escalation)
}

pub async fn escalations(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Escalation>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}
