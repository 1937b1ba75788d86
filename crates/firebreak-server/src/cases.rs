//! The case use cases: open, change, move through the lifecycle, list.
//! Same shape as `service`: permission, validation, store, live update.

use firebreak_domain::case::{CaseFacts, DEFAULT_CATEGORIES, TransitionRequest, check_transition};
use firebreak_domain::permission::Action;
use firebreak_domain::priority::PriorityMatrix;
use firebreak_domain::validate::{FieldError, Title, markdown, tags};
use firebreak_types::{
    Case, CaseLink, CaseLinkKind, CaseQuery, CaseState, CaseTransition, CreateCase, ErrorCode, Page, ReviewStatus,
    TransitionCase, UpdateCase,
};
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn category(value: Option<String>) -> Result<Option<String>, FieldError> {
    match value.map(|c| c.trim().to_lowercase()) {
        Some(c) if DEFAULT_CATEGORIES.contains(&c.as_str()) => Ok(Some(c)),
        Some(_) => Err(FieldError::new("category", format!("one of {}", DEFAULT_CATEGORIES.join(", ")))),
        None => Ok(None),
    }
}

fn custom_fields(value: serde_json::Value) -> Result<serde_json::Value, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new("custom_fields", "a JSON object"));
    }
    if value.to_string().len() > 64 * 1024 {
        return Err(FieldError::new("custom_fields", "at most 64 KiB of JSON"));
    }
    Ok(value)
}

async fn check_assignee(state: &AppState, caller: &Caller, assignee: Option<Uuid>) -> ApiResult<()> {
    if let Some(id) = assignee {
        let user = state.store.get_user(caller.org_id(), id).await?;
        if user.is_none_or(|u| u.disabled) {
            return Err(ApiError::field(
                ErrorCode::InvalidField,
                "assignee_id",
                "assignee_id must be an enabled user of this organisation",
            ));
        }
    }
    Ok(())
}

pub async fn create_case(state: &AppState, caller: &Caller, req: CreateCase) -> ApiResult<Case> {
    caller.require(Action::CaseWrite)?;
    check_assignee(state, caller, req.assignee_id).await?;
    let now = state.clock.now();
    let case = Case {
        id: Uuid::now_v7(),
        org_id: caller.org_id(),
        number: 0,
        title: Title::parse("title", &req.title)?.into_inner(),
        description: markdown("description", &req.description)?,
        severity: req.severity,
        impact: req.impact,
        urgency: req.urgency,
        priority: PriorityMatrix::default().priority(req.impact, req.urgency),
        category: category(req.category)?,
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
        custom_fields: custom_fields(req.custom_fields)?,
        merged_into: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
    };
    let case = state.store.create_case(&caller.ctx(state), case).await?;
    state.live.publish(caller.org_id(), "case.created", case.id);
    Ok(case)
}

pub async fn get_case(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Case> {
    caller.require(Action::CaseRead)?;
    state.store.get_case(caller.org_id(), id).await?.ok_or_else(|| ApiError::not_found("case"))
}

pub async fn list_cases(state: &AppState, caller: &Caller, query: &CaseQuery) -> ApiResult<Page<Case>> {
    caller.require(Action::CaseRead)?;
    Ok(state.store.list_cases(caller.org_id(), query).await?)
}

pub async fn update_case(state: &AppState, caller: &Caller, id: Uuid, req: UpdateCase) -> ApiResult<Case> {
    caller.require(Action::CaseWrite)?;
    let before = get_case(state, caller, id).await?;
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
    after.priority = PriorityMatrix::default().priority(after.impact, after.urgency);
    if let Some(v) = req.category {
        after.category = category(v)?;
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
        after.assignee_id = v;
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
        return Err(ApiError::field(
            ErrorCode::InvalidField,
            "review_waiver_reason",
            "review_waiver_reason is required to waive the review",
        ));
    }
    if let Some(v) = req.custom_fields {
        after.custom_fields = custom_fields(v)?;
    }
    if after == before {
        return Ok(before);
    }
    after.updated_at = state.clock.now();
    let case = state.store.update_case(&caller.ctx(state), &before, &after).await?;
    state.live.publish(caller.org_id(), "case.updated", id);
    Ok(case)
}

pub async fn transition_case(state: &AppState, caller: &Caller, id: Uuid, req: TransitionCase) -> ApiResult<Case> {
    caller.require(Action::CaseWrite)?;
    let before = get_case(state, caller, id).await?;
    let facts = CaseFacts {
        state: before.state,
        has_assignee: before.assignee_id.is_some(),
        has_severity: before.severity.is_some(),
        has_category: before.category.is_some(),
        resolution: before.resolution,
        summary: before.summary.clone(),
        review: before.review_status,
        review_waiver_reason: before.review_waiver_reason.clone(),
    };
    let request = TransitionRequest { reason: req.reason.trim().to_owned(), merge_into: req.merge_into };
    check_transition(&facts, req.state, &request)
        .map_err(|e| ApiError::field(ErrorCode::InvalidState, e.field(), e.to_string()))?;
    if let Some(target) = req.merge_into.filter(|_| req.state == CaseState::Merged) {
        let into = get_case(state, caller, target).await.map_err(|_| {
            ApiError::field(ErrorCode::InvalidField, "merge_into", "merge_into must be a case of this organisation")
        })?;
        if into.id == before.id || !into.state.is_active() {
            return Err(ApiError::field(ErrorCode::InvalidField, "merge_into", "merge_into must be another open case"));
        }
    }
    let now = state.clock.now();
    let mut after = before.clone();
    after.state = req.state;
    after.updated_at = now;
    match req.state {
        CaseState::Closed | CaseState::Cancelled | CaseState::Merged => after.closed_at = Some(now),
        _ => after.closed_at = None,
    }
    if req.state == CaseState::Merged {
        after.merged_into = req.merge_into;
    }
    let case = state.store.transition_case(&caller.ctx(state), &before, &after, &request.reason).await?;
    state.live.publish(caller.org_id(), "case.transitioned", id);
    Ok(case)
}

pub async fn case_history(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Vec<CaseTransition>> {
    get_case(state, caller, id).await?;
    Ok(state.store.case_history(caller.org_id(), id).await?)
}

pub async fn link_cases(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    target: Uuid,
    kind: CaseLinkKind,
) -> ApiResult<Vec<CaseLink>> {
    caller.require(Action::CaseWrite)?;
    get_case(state, caller, id).await?;
    if target == id {
        return Err(ApiError::field(ErrorCode::InvalidField, "target_id", "a case cannot be linked to itself"));
    }
    state.store.link_cases(&caller.ctx(state), caller.org_id(), id, target, kind).await.map_err(|e| match e {
        firebreak_store::StoreError::NotFound => {
            ApiError::field(ErrorCode::InvalidField, "target_id", "target_id must be a case of this organisation")
        }
        e => e.into(),
    })?;
    state.live.publish(caller.org_id(), "case.updated", id);
    case_links(state, caller, id).await
}

pub async fn unlink_cases(state: &AppState, caller: &Caller, id: Uuid, target: Uuid) -> ApiResult<()> {
    caller.require(Action::CaseWrite)?;
    get_case(state, caller, id).await?;
    state.store.unlink_cases(&caller.ctx(state), caller.org_id(), id, target).await?;
    state.live.publish(caller.org_id(), "case.updated", id);
    Ok(())
}

pub async fn case_links(state: &AppState, caller: &Caller, id: Uuid) -> ApiResult<Vec<CaseLink>> {
    get_case(state, caller, id).await?;
    Ok(state.store.case_links(caller.org_id(), id).await?)
}
