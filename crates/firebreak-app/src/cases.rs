//! The case use cases: open, change, move through the lifecycle, list.
//! Same shape as `service`: permission, validation, store, live update.

use firebreak_domain::case::{
    TransitionRequest, apply_transition, check_category, check_custom_fields, transition_action,
};
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_domain::permission::Action;
use firebreak_domain::priority::{Level, Priority, PriorityMatrix};
use firebreak_domain::validate::{FieldError, Title, markdown, tags};
use firebreak_store::{CaseWrite, WriteCtx};
use firebreak_types::{
    Case, CaseLink, CaseLinkKind, CaseQuery, CaseSettings, CaseState, CaseTransition, CreateCase, ErrorCode, Page,
    ReviewStatus, SetWaiting, SourceRef, TransitionCase, UpdateCase,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
pub use crate::case_settings::{get_settings, set_settings, settings};
use crate::error::{AppError, AppResult};
use crate::events::{self, CaseChange};
use crate::items;
use crate::sla;

/// The one time of a request that changes a case: the change, its history,
/// audit entry, timeline entry, notifications and deliveries all carry it.
/// Read at storage precision (milliseconds), so what is answered is what is
/// read back.
pub fn request_time(state: &App) -> OffsetDateTime {
    from_millis(to_millis(state.clock.now()))
}

fn write_ctx(caller: &Caller, now: OffsetDateTime) -> WriteCtx {
    WriteCtx { actor: caller.actor(), now }
}

/// The organisation's priority matrix, categories and custom fields (the
/// documented defaults until it sets its own).
fn priority(settings: &CaseSettings, impact: Level, urgency: Level) -> Priority {
    PriorityMatrix(settings.priority_matrix).priority(impact, urgency)
}

fn custom_fields(settings: &CaseSettings, value: serde_json::Value) -> Result<serde_json::Value, FieldError> {
    if value.to_string().len() > 64 * 1024 {
        return Err(FieldError::new("custom_fields", "at most 64 KiB of JSON"));
    }
    check_custom_fields(settings, &value)?;
    Ok(value)
}

async fn check_assignee(state: &App, caller: &Caller, assignee: Option<Uuid>) -> AppResult<()> {
    if let Some(id) = assignee {
        crate::service::enabled_user(state, caller.org_id(), "assignee_id", id).await?;
    }
    Ok(())
}

pub async fn create_case(state: &App, caller: &Caller, req: CreateCase) -> AppResult<Case> {
    create_case_at(state, caller, req, request_time(state)).await
}

/// Declares a case at `now`, the time of the request that does it.
pub async fn create_case_at(state: &App, caller: &Caller, mut req: CreateCase, now: OffsetDateTime) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    check_assignee(state, caller, req.assignee_id).await?;
    let template = match req.template_id {
        Some(id) => Some(crate::templates::get_template(state, caller, id).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "template_id", "template_id must be a template of this organisation")
        })?),
        None => None,
    };
    if let Some(t) = &template {
        req.severity = req.severity.or(t.severity);
        req.category = req.category.or_else(|| Some(t.category.clone()));
        for tag in &t.tags {
            if !req.tags.iter().any(|x| x.eq_ignore_ascii_case(tag)) {
                req.tags.push(tag.clone());
            }
        }
    }
    let org_settings = settings(state, caller.org_id()).await?;
    let case = Case {
        id: Uuid::now_v7(),
        org_id: caller.org_id(),
        number: 0,
        title: Title::parse("title", &req.title)?.into_inner(),
        description: markdown("description", &req.description)?,
        severity: req.severity,
        impact: req.impact,
        urgency: req.urgency,
        priority: priority(&org_settings, req.impact, req.urgency),
        category: check_category(&org_settings, req.category)?,
        tlp: req.tlp,
        pap: req.pap,
        tags: tags("tags", &req.tags)?,
        assignee_id: req.assignee_id,
        tier: req.tier,
        state: CaseState::New,
        resolution: None,
        summary: String::new(),
        review_status: ReviewStatus::NotStarted,
        review_waiver_reason: None,
        custom_fields: custom_fields(&org_settings, req.custom_fields)?,
        merged_into: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
        acknowledged_at: req.assignee_id.map(|_| now),
        contained_at: None,
        waiting_reason: None,
        pauses: Vec::new(),
        recovered_at: None,
        detected_at: None,
        first_activity_at: None,
        source: None,
        team_id: None,
        sla: None,
    };
    let tasks = match &template {
        Some(t) => crate::templates::template_tasks(t, &case)
            .iter()
            .map(|task| items::to_item(case.org_id, task, now))
            .collect::<AppResult<Vec<_>>>()?,
        None => Vec::new(),
    };
    let how = template.as_ref().map(|t| format!(" from the template {}", t.name)).unwrap_or_default();
    let notify = case.assignee_id.into_iter().filter(|a| *a != caller.id()).collect();
    let data = serde_json::json!({ "template": template.map(|t| t.name) });
    let change = CaseChange {
        source: SourceRef { kind: "case".into(), id: Some(case.id) },
        write: CaseWrite::Create(case),
        name: "case.created",
        text: &|c: &Case| format!("Case #{} {} declared{how}", c.number, c.title),
        event: Some((notify, data)),
        also: tasks,
    };
    let case = events::commit(state, &write_ctx(caller, now), change).await?;
    clocks(state, case).await
}

/// The case with its SLA clocks read now.
pub async fn clocks(state: &App, case: Case) -> AppResult<Case> {
    let policy = sla::policy(state, case.org_id).await?;
    Ok(sla::with_clocks(case, &policy, state.clock.now()))
}

/// Start or stop waiting on someone outside the team; SLA clocks pause meanwhile.
pub async fn set_waiting(state: &App, caller: &Caller, id: Uuid, req: SetWaiting) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    let now = request_time(state);
    let before = load(state, caller, id).await?;
    let after = firebreak_domain::case::set_waiting(&before, req.waiting, &req.reason, now).map_err(|e| {
        let code = match e {
            firebreak_domain::case::WaitingError::Ended => ErrorCode::InvalidState,
            firebreak_domain::case::WaitingError::NeedsReason => ErrorCode::InvalidField,
        };
        AppError::field(code, e.field(), e.to_string())
    })?;
    let Some(after) = after else {
        return clocks(state, before).await;
    };
    let change = CaseChange {
        write: CaseWrite::Update { before: &before, after },
        name: "case.updated",
        text: &|c: &Case| match &c.waiting_reason {
            Some(r) => format!("Waiting: {r} (SLA clocks paused)"),
            None => "Stopped waiting (SLA clocks running)".to_owned(),
        },
        source: SourceRef { kind: "case".into(), id: Some(id) },
        event: None,
        also: Vec::new(),
    };
    let case = events::commit(state, &write_ctx(caller, now), change).await?;
    clocks(state, case).await
}

/// The stored case, without its clocks.
pub async fn load(state: &App, caller: &Caller, id: Uuid) -> AppResult<Case> {
    caller.require(Action::CaseRead)?;
    // A caller working through a share reaches the shared case alone.
    if caller.share.as_ref().is_some_and(|s| s.case_id != id) {
        return Err(AppError::not_found("case"));
    }
    state.store.get_case(caller.org_id(), id).await?.ok_or_else(|| AppError::not_found("case"))
}

/// A case the caller may change: one still being worked on. A closed,
/// cancelled or merged case refuses every change but a move that reopens it.
pub(crate) async fn writable(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    let case = load(state, caller, case_id).await?;
    open(&case)?;
    Ok(case)
}

/// Refuses a change to a case that is no longer worked on, saying why.
pub(crate) fn open(case: &Case) -> AppResult<()> {
    if case.state.is_active() {
        return Ok(());
    }
    let until = match case.state {
        CaseState::Closed => ": reopen it first",
        _ => "",
    };
    Err(AppError::field(
        ErrorCode::InvalidState,
        "state",
        format!("case #{} is {} and takes no changes{until}", case.number, case.state.as_str()),
    ))
}

/// Case numbers by id, for pages that list what belongs to several cases.
pub async fn numbers(state: &App, caller: &Caller, ids: &[Uuid]) -> AppResult<std::collections::HashMap<Uuid, i64>> {
    caller.require(Action::CaseRead)?;
    numbers_in(state, caller.org_id(), ids).await
}

/// [`numbers`] for work already allowed to read `org` (the report).
pub(crate) async fn numbers_in(
    state: &App,
    org: Uuid,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, i64>> {
    let cases = state.store.cases_by_id(org, ids).await?;
    Ok(cases.into_iter().map(|c| (c.id, c.number)).collect())
}

/// The case with its SLA clocks.
pub async fn get_case(state: &App, caller: &Caller, id: Uuid) -> AppResult<Case> {
    let case = load(state, caller, id).await?;
    clocks(state, case).await
}

pub async fn list_cases(state: &App, caller: &Caller, query: &CaseQuery) -> AppResult<Page<Case>> {
    caller.require(Action::CaseRead)?;
    let page = state.store.list_cases(caller.org_id(), query).await?;
    let policy = sla::policy(state, caller.org_id()).await?;
    let now = state.clock.now();
    Ok(Page { items: page.items.into_iter().map(|c| sla::with_clocks(c, &policy, now)).collect(), ..page })
}

pub async fn update_case(state: &App, caller: &Caller, id: Uuid, req: UpdateCase) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    let now = request_time(state);
    let before = writable(state, caller, id).await?;
    let mut after = before.clone();
    if let Some(v) = req.title {
        after.title = Title::parse("title", &v)?.into_inner();
    }
    if let Some(v) = req.description {
        after.description = markdown("description", &v)?;
    }
    if let Some(v) = req.severity {
        after.severity = v;
    }
    if let Some(v) = req.impact {
        after.impact = v;
    }
    if let Some(v) = req.urgency {
        after.urgency = v;
    }
    let org_settings = settings(state, caller.org_id()).await?;
    after.priority = priority(&org_settings, after.impact, after.urgency);
    if let Some(v) = req.category {
        after.category = check_category(&org_settings, v)?;
    }
    if let Some(v) = req.tlp {
        after.tlp = v;
    }
    if let Some(v) = req.pap {
        after.pap = v;
    }
    if let Some(v) = req.tags {
        after.tags = tags("tags", &v)?;
    }
    if let Some(v) = req.assignee_id {
        check_assignee(state, caller, v).await?;
        firebreak_domain::case::assign(&mut after, v, now);
    }
    if let Some(v) = req.tier {
        after.tier = v;
    }
    if let Some(v) = req.resolution {
        after.resolution = v;
    }
    if let Some(v) = req.summary {
        after.summary = markdown("summary", &v)?;
    }
    if let Some(v) = req.review_waiver_reason {
        after.review_waiver_reason = Some(v.trim().to_owned()).filter(|r| !r.is_empty());
    }
    if let Some(v) = req.review_status {
        after.review_status = v;
        if v != ReviewStatus::Waived {
            after.review_waiver_reason = None;
        }
    }
    if after.review_status == ReviewStatus::Waived && after.review_waiver_reason.is_none() {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "review_waiver_reason",
            "review_waiver_reason is required to waive the review",
        ));
    }
    if let Some(v) = req.custom_fields {
        after.custom_fields = custom_fields(&org_settings, v)?;
    }
    // Priority and the review's standing are case management; a request that
    // sends them back unchanged (a whole form) is ordinary case work.
    if after.impact != before.impact
        || after.urgency != before.urgency
        || after.review_status != before.review_status
        || after.review_waiver_reason != before.review_waiver_reason
    {
        caller.require(Action::CaseManage)?;
    }
    if let Some(v) = req.first_activity_at {
        if v.is_some_and(|t| t > after.created_at) && after.detected_at.is_none_or(|d| v.is_some_and(|t| t > d)) {
            return Err(AppError::field(
                ErrorCode::InvalidField,
                "first_activity_at",
                "first_activity_at must be before the case was declared and before its earliest alert",
            ));
        }
        after.first_activity_at = v;
    }
    if after == before {
        return clocks(state, before).await;
    }
    after.updated_at = now;
    let case = state.store.update_case(&write_ctx(caller, now), &before, &after).await?;
    state.live.publish(caller.org_id(), "case.updated", id);
    clocks(state, case).await
}

pub async fn transition_case(state: &App, caller: &Caller, id: Uuid, req: TransitionCase) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    let now = request_time(state);
    let before = load(state, caller, id).await?;
    caller.require(transition_action(before.state, req.state))?;
    let request = TransitionRequest { reason: req.reason.trim().to_owned(), merge_into: req.merge_into };
    let after = apply_transition(&before, req.state, &request, now)
        .map_err(|e| AppError::field(ErrorCode::InvalidState, e.field(), e.to_string()))?;
    if let Some(target) = after.merged_into.filter(|_| after.state == CaseState::Merged) {
        let into = load(state, caller, target).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "merge_into", "merge_into must be a case of this organisation")
        })?;
        if into.id == before.id || !into.state.is_active() {
            return Err(AppError::field(ErrorCode::InvalidField, "merge_into", "merge_into must be another open case"));
        }
    }
    let why = if request.reason.is_empty() { String::new() } else { format!(": {}", request.reason) };
    let from = before.state.as_str();
    let data = serde_json::json!({ "from": before.state, "to": after.state, "reason": request.reason });
    let notify = after.assignee_id.into_iter().filter(|a| *a != caller.id()).collect();
    let change = CaseChange {
        write: CaseWrite::Transition { before: &before, after, reason: &request.reason },
        name: "case.transitioned",
        text: &|c: &Case| format!("Case #{} moved from {from} to {}{why}", c.number, c.state.as_str()),
        source: SourceRef { kind: "transition".into(), id: None },
        event: Some((notify, data)),
        also: Vec::new(),
    };
    let case = events::commit(state, &write_ctx(caller, now), change).await?;
    clocks(state, case).await
}

pub async fn case_history(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<CaseTransition>> {
    load(state, caller, id).await?;
    Ok(state.store.case_history(caller.org_id(), id).await?)
}

pub async fn link_cases(
    state: &App,
    caller: &Caller,
    id: Uuid,
    target: Uuid,
    kind: CaseLinkKind,
) -> AppResult<Vec<CaseLink>> {
    caller.require(Action::CaseWrite)?;
    load(state, caller, id).await?;
    if target == id {
        return Err(AppError::field(ErrorCode::InvalidField, "target_id", "a case cannot be linked to itself"));
    }
    state.store.link_cases(&caller.ctx(state), caller.org_id(), id, target, kind).await.map_err(|e| match e {
        firebreak_store::StoreError::NotFound => {
            AppError::field(ErrorCode::NotFound, "target_id", "target_id must be a case of this organisation")
        }
        e => e.into(),
    })?;
    state.live.publish(caller.org_id(), "case.updated", id);
    case_links(state, caller, id).await
}

pub async fn unlink_cases(state: &App, caller: &Caller, id: Uuid, target: Uuid) -> AppResult<()> {
    caller.require(Action::CaseWrite)?;
    load(state, caller, id).await?;
    state.store.unlink_cases(&caller.ctx(state), caller.org_id(), id, target).await?;
    state.live.publish(caller.org_id(), "case.updated", id);
    Ok(())
}

pub async fn case_links(state: &App, caller: &Caller, id: Uuid) -> AppResult<Vec<CaseLink>> {
    load(state, caller, id).await?;
    Ok(state.store.case_links(caller.org_id(), id).await?)
}
