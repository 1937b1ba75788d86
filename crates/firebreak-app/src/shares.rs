//! Cases shared with another organisation (TheHive's "shares"): the owner's
//! incident managers share one case with an organisation it works with,
//! within a role; that organisation's people then work on that case alone.
//!
//! One permission model serves both sides: a request that names a case
//! shared with the caller's organisation is made by a caller *derived* for
//! the owner ([`for_case`], [`for_item`]), acting in the owner's organisation
//! with the lesser of the person's role and the share's, and bound to that
//! one case (`Caller::share`, checked by `cases::load`). Anything not shared
//! stays a 404, and ending the share ends the access on the next request.

use firebreak_domain::permission::{Action, lesser};
use firebreak_types::{
    Case, CaseShare, CreateCaseShare, ErrorCode, OrgKind, Organisation, Role, SharedCase, SourceRef, UpdateCaseShare,
};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

/// Refuses what only the case's own organisation may do: a caller working on
/// a case through a share sees its shares but never changes them.
pub fn owner_only(caller: &Caller) -> AppResult<()> {
    caller.require(Action::CaseManage)?;
    if caller.share.is_some() {
        return Err(AppError::forbidden("sharing a case (its own organisation only)"));
    }
    Ok(())
}

/// The organisations `caller`'s organisation works with, which it may share
/// a case with: those it has been granted or that are granted it (a provider
/// and its customers); a platform admin may share with any.
pub async fn partners(state: &App, caller: &Caller) -> AppResult<Vec<Organisation>> {
    caller.require(Action::CaseRead)?;
    let org = caller.org_id();
    let ids: Vec<Uuid> = if caller.is_platform_admin(state) {
        state.store.audit_orgs().await?
    } else {
        let mut ids = state.store.providers_of(org).await?;
        if caller.org.kind == OrgKind::Provider {
            ids.extend(state.store.grants_of(org).await?);
        }
        ids
    };
    let mut orgs = Vec::new();
    for id in ids {
        if id != org
            && !orgs.iter().any(|o: &Organisation| o.id == id)
            && let Some(o) = state.store.get_org(id).await?
        {
            orgs.push(o);
        }
    }
    orgs.sort_by_key(|o| o.name.to_lowercase());
    Ok(orgs)
}

fn check_role(role: Role) -> AppResult<()> {
    if role == Role::Admin {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "role",
            "role: a case is shared with at most incident_manager; admin is refused",
        ));
    }
    Ok(())
}

/// Shares the case with an organisation.
pub async fn share_case(state: &App, caller: &Caller, case_id: Uuid, req: CreateCaseShare) -> AppResult<CaseShare> {
    owner_only(caller)?;
    let case = crate::cases::load(state, caller, case_id).await?;
    check_role(req.role)?;
    if req.org_id == caller.org_id() {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "org_id",
            "org_id: a case cannot be shared with its own organisation",
        ));
    }
    let org = partners(state, caller).await?.into_iter().find(|o| o.id == req.org_id).ok_or_else(|| {
        AppError::field(ErrorCode::NotFound, "org_id", "org_id must be an organisation this one works with")
    })?;
    let ctx = crate::cases::request_time(state);
    let ctx = firebreak_store::WriteCtx { actor: caller.actor(), now: ctx };
    let share = CaseShare {
        id: Uuid::now_v7(),
        case_id,
        owner_org_id: caller.org_id(),
        org_id: org.id,
        org_name: org.name.clone(),
        role: req.role,
        task_rule: req.task_rule,
        observable_rule: req.observable_rule,
        created_by: caller.name().to_owned(),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let share = state.store.create_case_share(&ctx, &share).await?;
    let text = format!("Shared with {} as {}", org.name, share.role.label());
    crate::timeline::auto_entry(state, &ctx, &case, text, source(&share)).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(share)
}

fn source(share: &CaseShare) -> SourceRef {
    SourceRef { kind: "case_share".into(), id: Some(share.id) }
}

/// A share of the caller's organisation, by id; with `case_id`, only one of that case.
async fn owned(state: &App, caller: &Caller, case_id: Option<Uuid>, id: Uuid) -> AppResult<(Case, CaseShare)> {
    let share = state
        .store
        .case_share(caller.org_id(), id)
        .await?
        .filter(|s| case_id.is_none_or(|c| c == s.case_id))
        .ok_or_else(|| AppError::not_found("share"))?;
    let case = crate::cases::load(state, caller, share.case_id).await?;
    Ok((case, share))
}

/// Changes a share's role or rules.
pub async fn update_share(
    state: &App,
    caller: &Caller,
    case_id: Option<Uuid>,
    id: Uuid,
    req: UpdateCaseShare,
) -> AppResult<CaseShare> {
    owner_only(caller)?;
    let (case, share) = owned(state, caller, case_id, id).await?;
    let role = req.role.unwrap_or(share.role);
    check_role(role)?;
    let ctx = firebreak_store::WriteCtx { actor: caller.actor(), now: crate::cases::request_time(state) };
    let after = state
        .store
        .update_case_share(
            &ctx,
            caller.org_id(),
            id,
            role,
            req.task_rule.unwrap_or(share.task_rule),
            req.observable_rule.unwrap_or(share.observable_rule),
        )
        .await?;
    if after.role != share.role {
        let text = format!("Share with {} now {}", after.org_name, after.role.label());
        crate::timeline::auto_entry(state, &ctx, &case, text, source(&after)).await?;
    }
    state.live.publish(caller.org_id(), "case.updated", case.id);
    Ok(after)
}

/// Ends a share; the recipient loses the case on its next request.
pub async fn unshare(state: &App, caller: &Caller, case_id: Option<Uuid>, id: Uuid) -> AppResult<CaseShare> {
    owner_only(caller)?;
    let (case, _) = owned(state, caller, case_id, id).await?;
    let ctx = firebreak_store::WriteCtx { actor: caller.actor(), now: crate::cases::request_time(state) };
    let share = state.store.delete_case_share(&ctx, caller.org_id(), id).await?;
    let text = format!("No longer shared with {}", share.org_name);
    crate::timeline::auto_entry(state, &ctx, &case, text, source(&share)).await?;
    state.live.publish(caller.org_id(), "case.updated", case.id);
    Ok(share)
}

/// The case's shares: for its owner, every one; for a recipient, its own.
pub async fn case_shares(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<CaseShare>> {
    let case = crate::cases::load(state, caller, case_id).await?;
    let shares = state.store.case_shares(case.org_id, case_id).await?;
    Ok(match &caller.share {
        Some(mine) => shares.into_iter().filter(|s| s.id == mine.id).collect(),
        None => shares,
    })
}

/// The cases other organisations share with the caller's, newest share
/// first, each with its owner.
pub async fn shared_with_us(state: &App, caller: &Caller) -> AppResult<Vec<SharedCase>> {
    caller.require(Action::CaseRead)?;
    let mut out = Vec::new();
    for share in state.store.shares_with(caller.org_id()).await? {
        let Some(case) = state.store.get_case(share.owner_org_id, share.case_id).await? else { continue };
        let owner = state.store.get_org(share.owner_org_id).await?;
        out.push(SharedCase {
            case,
            owner_org_id: share.owner_org_id,
            owner_org_name: owner.map(|o| o.name).unwrap_or_default(),
            share,
        });
    }
    Ok(out)
}

/// The caller to act on `case_id` with: the caller itself when the case is
/// its organisation's (or not shared with it, which then answers 404), else
/// one derived for the owner through the share. A case is never shared with
/// its own organisation, so one look-up in the (small, indexed) shares
/// decides, without reading the case the handler reads next.
pub async fn for_case(state: &App, caller: Caller, case_id: Uuid) -> AppResult<Caller> {
    if caller.share.is_some() {
        return Ok(caller);
    }
    let share = state.store.case_share_with(caller.org_id(), case_id).await?;
    derived(state, caller, share).await
}

/// [`for_case`] for a request naming a task, a log entry, an observable, a
/// comment or a page by its id alone.
pub async fn for_item(state: &App, caller: Caller, item_id: Uuid) -> AppResult<Caller> {
    if caller.share.is_some() {
        return Ok(caller);
    }
    let share = state.store.item_share_with(caller.org_id(), item_id).await?;
    derived(state, caller, share).await
}

async fn derived(state: &App, caller: Caller, share: Option<CaseShare>) -> AppResult<Caller> {
    let Some(share) = share else { return Ok(caller) };
    let Some(owner) = state.store.get_org(share.owner_org_id).await? else { return Ok(caller) };
    Ok(Caller { role: lesser(caller.role, share.role), org: owner, share: Some(share), ..caller })
}
