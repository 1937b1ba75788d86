//! SLA policies per organisation, the clocks shown on each case, and the
//! sweep that raises at-risk and breached events once per clock and state.

use firebreak_domain::permission::Action;
use firebreak_domain::sla::{case_sla, check_policy, default_policy};
use firebreak_store::{Actor, AuditEvent, WriteCtx};
use firebreak_types::{Case, ErrorCode, SlaPolicy, SlaState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::events::{self, CaseEvent};
use crate::items::{self, Index, Kind};

/// Records that a clock's event was raised, so it is raised once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlaMark {
    pub id: Uuid,
    pub case_id: Uuid,
    /// `acknowledge:at_risk`, `resolve:breached`, …
    pub mark: String,
}

impl Kind for SlaMark {
    const KIND: &'static str = "sla_mark";
    const NOUN: &'static str = "SLA mark";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { case_id: Some(self.case_id), key: Some(self.mark.clone()), ..Index::default() }
    }
}

const POLICY: &str = "sla_policy";

/// The organisation's policy, or the documented defaults.
pub async fn policy(state: &App, org: Uuid) -> AppResult<SlaPolicy> {
    items::setting_or(state, org, POLICY, default_policy).await
}

pub async fn get_policy(state: &App, caller: &Caller) -> AppResult<SlaPolicy> {
    caller.require(Action::CaseRead)?;
    policy(state, caller.org_id()).await
}

pub async fn set_policy(state: &App, caller: &Caller, new: SlaPolicy) -> AppResult<SlaPolicy> {
    caller.require(Action::OrgSettings)?;
    check_policy(&new).map_err(|m| AppError::field(ErrorCode::InvalidField, "policy", m))?;
    items::put_setting(state, &caller.ctx(state), caller.org_id(), POLICY, &new).await?;
    Ok(new)
}

/// The case with its clocks read now.
pub fn with_clocks(mut case: Case, policy: &SlaPolicy, now: time::OffsetDateTime) -> Case {
    case.sla = Some(case_sla(&case, policy, now));
    case
}

/// Reads every open case's clocks and raises each at-risk and breached event
/// once: audited, notified to the case's owners, sent to webhooks. Returns
/// the events raised.
pub async fn sweep(state: &App) -> AppResult<Vec<(Uuid, String)>> {
    let now = state.clock.now();
    let ctx = WriteCtx { actor: Actor::System, now };
    let mut raised = Vec::new();
    let mut policies = std::collections::HashMap::new();
    let mut after = None;
    loop {
        let batch = state.store.active_cases(after, 500).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for case in batch {
            let policy = match policies.get(&case.org_id) {
                Some(p) => *p,
                None => {
                    let p = policy(state, case.org_id).await?;
                    policies.insert(case.org_id, p);
                    p
                }
            };
            let sla = case_sla(&case, &policy, now);
            let clocks = [("acknowledge", sla.acknowledge), ("contain", sla.contain), ("resolve", sla.resolve)];
            let due: Vec<_> =
                clocks.iter().filter(|(_, c)| matches!(c.state, SlaState::AtRisk | SlaState::Breached)).collect();
            if due.is_empty() {
                continue;
            }
            let marks: Vec<SlaMark> = items::of_case(state, case.org_id, case.id).await?;
            for (name, clock) in due {
                let mark = format!("{name}:{}", clock.state.as_str());
                if marks.iter().any(|m| m.mark == mark) {
                    continue;
                }
                // A clock that jumps straight to breached is not also reported at risk later.
                let mut new_marks = vec![SlaMark { id: Uuid::now_v7(), case_id: case.id, mark: mark.clone() }];
                if clock.state == SlaState::Breached && !marks.iter().any(|m| m.mark == format!("{name}:at_risk")) {
                    new_marks.push(SlaMark { id: Uuid::now_v7(), case_id: case.id, mark: format!("{name}:at_risk") });
                }
                items::create_all(state, &ctx, case.org_id, new_marks).await?;
                let event = if clock.state == SlaState::Breached { "case.sla_breached" } else { "case.sla_at_risk" };
                let details = json!({ "clock": name, "state": clock.state, "target_seconds": clock.target_seconds,
                    "used_seconds": clock.used_seconds, "priority": case.priority });
                let audit = AuditEvent {
                    object_type: "case".into(),
                    object_id: case.id.to_string(),
                    action: event.trim_start_matches("case.").into(),
                    details: details.clone(),
                };
                state.store.record_event(&ctx, case.org_id, audit).await?;
                let verb = if clock.state == SlaState::Breached { "breached" } else { "at risk" };
                let text = format!("Case #{} {}: time to {name} {verb}", case.number, case.title);
                let notify = events::case_owners(state, &case).await?;
                events::emit(state, &ctx, CaseEvent { name: event, case: &case, text, data: details, notify }).await?;
                raised.push((case.id, mark));
            }
        }
    }
    Ok(raised)
}
