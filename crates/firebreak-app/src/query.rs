//! Alerts and cases found by a filter of any shape, sorted and paged in the
//! store (TheHive's query API is its caller), and the items a query may
//! start from across every case of the organisation. The same permissions
//! and organisation as the lists of the native API.

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::permission::Action;
use firebreak_store::{CaseAlertKinds, CaseItemCount, ItemQuery};
use firebreak_types::query::{Cond, EntityQuery, MAX_QUERY_ROWS};
use firebreak_types::{Alert, Case, CaseComment, Evidence, Observable, Task, TaskLog, TimelineEntry};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::items::{IOC_STATUS, PROCEDURE_STATUS, observable_key};
use crate::{items, sla};

/// Alerts of the caller's organisation matching `q`, one page.
pub async fn alerts(state: &App, caller: &Caller, q: &EntityQuery) -> AppResult<Vec<Alert>> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.query_alerts(caller.org_id(), q).await?)
}

/// How many alerts of the caller's organisation match `filter`.
pub async fn count_alerts(state: &App, caller: &Caller, filter: &Cond) -> AppResult<u64> {
    caller.require(Action::AlertRead)?;
    Ok(state.store.count_alerts(caller.org_id(), filter).await?)
}

/// Cases of the caller's organisation matching `q`, one page, with their
/// SLA clocks as the case list shows them.
pub async fn cases(state: &App, caller: &Caller, q: &EntityQuery) -> AppResult<Vec<Case>> {
    caller.require(Action::CaseRead)?;
    let found = state.store.query_cases(caller.org_id(), q).await?;
    let policy = sla::policy(state, caller.org_id()).await?;
    let now = state.clock.now();
    Ok(found.into_iter().map(|c| sla::with_clocks(c, &policy, now)).collect())
}

/// How many cases of the caller's organisation match `filter`.
pub async fn count_cases(state: &App, caller: &Caller, filter: &Cond) -> AppResult<u64> {
    caller.require(Action::CaseRead)?;
    Ok(state.store.count_cases(caller.org_id(), filter).await?)
}

fn every<T: items::Kind>() -> ItemQuery {
    ItemQuery { limit: Some(MAX_QUERY_ROWS), ..items::query::<T>() }
}

/// The tasks of every case of the caller's organisation (up to 10,000).
pub async fn tasks(state: &App, caller: &Caller) -> AppResult<Vec<Task>> {
    caller.require(Action::CaseRead)?;
    items::list(state, caller.org_id(), &every::<Task>()).await
}

/// One task, whatever its case.
pub async fn task(state: &App, caller: &Caller, id: Uuid) -> AppResult<Task> {
    caller.require(Action::CaseRead)?;
    Ok(items::load::<Task>(state, caller.org_id(), id).await?.1)
}

/// The task logs of every case of the caller's organisation (up to 10,000).
pub async fn task_logs(state: &App, caller: &Caller) -> AppResult<Vec<TaskLog>> {
    caller.require(Action::CaseRead)?;
    items::list(state, caller.org_id(), &every::<TaskLog>()).await
}

/// One task log, whatever its task.
pub async fn task_log(state: &App, caller: &Caller, id: Uuid) -> AppResult<TaskLog> {
    caller.require(Action::CaseRead)?;
    Ok(items::load::<TaskLog>(state, caller.org_id(), id).await?.1)
}

/// The observables of every case of the caller's organisation (up to 10,000).
pub async fn observables(state: &App, caller: &Caller) -> AppResult<Vec<Observable>> {
    caller.require(Action::CaseRead)?;
    items::list(state, caller.org_id(), &every::<Observable>()).await
}

/// One case observable, whatever its case.
pub async fn observable(state: &App, caller: &Caller, id: Uuid) -> AppResult<Observable> {
    caller.require(Action::CaseRead)?;
    Ok(items::load::<Observable>(state, caller.org_id(), id).await?.1)
}

/// The case an alert joined, if any, and if the caller may read cases.
pub async fn case_of_alert(state: &App, caller: &Caller, alert: &Alert) -> AppResult<Option<Case>> {
    match alert.case_id {
        Some(id) => match crate::cases::get_case(state, caller, id).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.code == firebreak_types::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        },
        None => Ok(None),
    }
}

/// The comments of every case of the caller's organisation (up to 10,000).
pub async fn comments(state: &App, caller: &Caller) -> AppResult<Vec<CaseComment>> {
    caller.require(Action::CaseRead)?;
    items::list(state, caller.org_id(), &every::<CaseComment>()).await
}

/// The timeline entries naming an ATT&CK technique of every case of the
/// caller's organisation (up to 10,000), by their indexed status.
pub async fn procedures(state: &App, caller: &Caller) -> AppResult<Vec<TimelineEntry>> {
    caller.require(Action::CaseRead)?;
    let q = ItemQuery { statuses: vec![PROCEDURE_STATUS.to_owned()], ..every::<TimelineEntry>() };
    items::list(state, caller.org_id(), &q).await
}

/// One timeline entry naming a technique, whatever its case.
pub async fn procedure(state: &App, caller: &Caller, id: Uuid) -> AppResult<TimelineEntry> {
    caller.require(Action::CaseRead)?;
    let (_, e) = items::load::<TimelineEntry>(state, caller.org_id(), id).await?;
    match e.technique {
        Some(_) => Ok(e),
        None => Err(crate::error::AppError::not_found("procedure")),
    }
}

/// What a page of cases holds, counted for all of them at once: one
/// grouped query per kind of item and one for their alerts.
#[derive(Debug, Default)]
pub struct CaseStats {
    /// Observables per case: all, and those marked as IOCs.
    pub observables: HashMap<Uuid, (u64, u64)>,
    /// Tasks per case by Firebreak's task status.
    pub tasks: HashMap<Uuid, BTreeMap<String, u64>>,
    /// Who tasks of each case are assigned to.
    pub task_assignees: HashMap<Uuid, Vec<Uuid>>,
    /// Timeline entries naming a technique, per case.
    pub procedures: HashMap<Uuid, u64>,
    /// Evidence files per case.
    pub evidence: HashMap<Uuid, u64>,
    /// Alerts joined, per case: type, source, how many.
    pub alerts: HashMap<Uuid, Vec<(String, String, u64)>>,
}

/// The statistics of a page of cases (ids the caller's organisation's;
/// others count nothing).
pub async fn case_stats(state: &App, caller: &Caller, cases: &[Uuid]) -> AppResult<CaseStats> {
    caller.require(Action::CaseRead)?;
    let org = caller.org_id();
    let mut out = CaseStats::default();
    if cases.is_empty() {
        return Ok(out);
    }
    let count = |kind: &'static str| state.store.count_by_case(org, kind, cases);
    for CaseItemCount { case_id, status, count, .. } in count(<Observable as items::Kind>::KIND).await? {
        let e = out.observables.entry(case_id).or_default();
        e.0 += count;
        if status.as_deref() == Some(IOC_STATUS) {
            e.1 += count;
        }
    }
    for CaseItemCount { case_id, status, assignee_id, count } in count(<Task as items::Kind>::KIND).await? {
        *out.tasks.entry(case_id).or_default().entry(status.unwrap_or_default()).or_default() += count;
        if let Some(a) = assignee_id {
            let list = out.task_assignees.entry(case_id).or_default();
            if !list.contains(&a) {
                list.push(a);
            }
        }
    }
    for CaseItemCount { case_id, status, count, .. } in count(<TimelineEntry as items::Kind>::KIND).await? {
        if status.as_deref() == Some(PROCEDURE_STATUS) {
            *out.procedures.entry(case_id).or_default() += count;
        }
    }
    for CaseItemCount { case_id, count, .. } in count(<Evidence as items::Kind>::KIND).await? {
        *out.evidence.entry(case_id).or_default() += count;
    }
    if caller.may(Action::AlertRead) {
        for CaseAlertKinds { case_id, kind, source, count } in state.store.alert_kinds_by_case(org, cases).await? {
            out.alerts.entry(case_id).or_default().push((kind, source, count));
        }
    }
    Ok(out)
}

/// Cases of the caller's organisation holding observables of the given
/// `(kind, value)`s: the observables found (each names its case) and the
/// cases, by index look-ups on the observable key, however many there are.
pub async fn cases_with_observables(
    state: &App,
    caller: &Caller,
    values: &[(String, String)],
) -> AppResult<(Vec<Observable>, HashMap<Uuid, Case>)> {
    caller.require(Action::CaseRead)?;
    let org = caller.org_id();
    let mut keys: Vec<String> = values.iter().map(|(k, v)| observable_key(k, v)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut found: Vec<Observable> = Vec::new();
    for chunk in keys.chunks(200) {
        let q = ItemQuery { keys: chunk.to_vec(), ..items::query::<Observable>() };
        found.extend(items::list::<Observable>(state, org, &q).await?);
    }
    let mut ids: Vec<Uuid> = found.iter().map(|o| o.case_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let cases = state.store.cases_by_id(org, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok((found, cases))
}

/// The other cases of the organisation sharing observables with a case,
/// each with its observables that match, most shared first.
pub async fn linked_cases(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<(Case, Vec<Observable>)>> {
    crate::cases::load(state, caller, case_id).await?;
    let own: Vec<Observable> = items::of_case(state, caller.org_id(), case_id).await?;
    let values: Vec<(String, String)> = own.iter().map(|o| (o.kind.clone(), o.value.clone())).collect();
    let (found, mut cases) = cases_with_observables(state, caller, &values).await?;
    let mut by_case: HashMap<Uuid, Vec<Observable>> = HashMap::new();
    for o in found.into_iter().filter(|o| o.case_id != case_id) {
        by_case.entry(o.case_id).or_default().push(o);
    }
    let mut out: Vec<(Case, Vec<Observable>)> =
        by_case.into_iter().filter_map(|(id, list)| cases.remove(&id).map(|c| (c, list))).collect();
    out.sort_by_key(|(c, shared)| std::cmp::Reverse((shared.len(), c.created_at, c.number)));
    Ok(out)
}
