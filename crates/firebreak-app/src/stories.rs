//! Stories: alerts that share an entity (a host, an account, an address)
//! within the grouping window, read and escalated as one. The API calls a
//! story an alert group (`AlertGroup`); it is the same thing.

use firebreak_domain::grouping::Grouper;
use firebreak_domain::permission::Action;
use firebreak_domain::triage::{self};
use firebreak_types::{
    Alert, AlertGroup, AlertGroupDetail, AlertGroupQuery, AlertQuery, Case, ErrorCode, EscalateAlert, GroupEntity,
    GroupingSettings, Page,
};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

const GROUPING: &str = "alert_grouping";

/// The organisation's grouping settings (the documented defaults until it
/// sets its own).
pub async fn grouping_settings(state: &App, org: Uuid) -> AppResult<GroupingSettings> {
    crate::items::setting_or(state, org, GROUPING, firebreak_domain::grouping::default_settings).await
}

pub async fn get_grouping(state: &App, caller: &Caller) -> AppResult<GroupingSettings> {
    caller.require(Action::AlertRead)?;
    grouping_settings(state, caller.org_id()).await
}

pub async fn set_grouping(state: &App, caller: &Caller, new: GroupingSettings) -> AppResult<GroupingSettings> {
    caller.require(Action::OrgSettings)?;
    firebreak_domain::grouping::check_settings(&new)?;
    crate::items::put_setting(state, &caller.ctx(state), caller.org_id(), GROUPING, &new).await?;
    Ok(new)
}

pub async fn list_groups(state: &App, caller: &Caller, q: &AlertGroupQuery) -> AppResult<Page<AlertGroup>> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.list_alert_groups(caller.org_id(), q).await?)
}

/// Most alerts shown on a story's timeline.
const STORY_ALERTS: u32 = 500;

/// A story and its alerts, oldest first.
async fn group_alerts(state: &App, caller: &Caller, id: Uuid) -> AppResult<(AlertGroup, Vec<Alert>)> {
    caller.require(Action::AlertRead)?;
    let org = caller.org_id();
    let group = state.store.get_alert_group(org, id).await?.ok_or_else(|| AppError::not_found("alert group"))?;
    let q = AlertQuery {
        group_id: Some(id),
        sort: Some("event_time".into()),
        limit: Some(STORY_ALERTS),
        ..AlertQuery::default()
    };
    Ok((group, state.store.list_alerts(org, &q).await?.items))
}

/// A story: its alerts oldest first (its timeline) and the entities they
/// share, most common first.
pub async fn get_group(state: &App, caller: &Caller, id: Uuid) -> AppResult<AlertGroupDetail> {
    let org = caller.org_id();
    let (group, alerts) = group_alerts(state, caller, id).await?;
    let settings = grouping_settings(state, org).await?;
    let grouper = Grouper::new(&GroupingSettings { enabled: true, ..settings });
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for a in &alerts {
        for e in grouper.as_ref().map(|g| g.entities(&a.observables)).unwrap_or_default() {
            *counts.entry(e).or_default() += 1;
        }
    }
    let mut entities: Vec<GroupEntity> = counts
        .into_iter()
        .filter_map(|(k, n)| {
            k.split_once(':').map(|(kind, value)| GroupEntity { kind: kind.into(), value: value.into(), alerts: n })
        })
        .collect();
    entities.sort_by(|a, b| b.alerts.cmp(&a.alerts).then_with(|| (&a.kind, &a.value).cmp(&(&b.kind, &b.value))));
    Ok(AlertGroupDetail { group, entities, alerts })
}

/// Escalates a story into one case: a new case from its most severe open
/// alert (or the open case given), into which every other open alert of the
/// story is merged with its observables and a timeline entry.
pub async fn escalate_group(state: &App, caller: &Caller, id: Uuid, req: EscalateAlert) -> AppResult<Case> {
    caller.require(Action::AlertTriage)?;
    caller.require(Action::CaseWrite)?;
    let (_, alerts) = group_alerts(state, caller, id).await?;
    let open: Vec<&Alert> = alerts.iter().filter(|a| triage::is_open(a.state)).collect();
    if open.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidState, "state", "the story has no open alerts left"));
    }
    let case = crate::alerts::escalate_together(state, caller, open, req).await?;
    state.store.set_group_case(&caller.ctx(state), caller.org_id(), id, case.id).await?;
    crate::cases::get_case(state, caller, case.id).await
}
