//! Alerts and cases found by a filter of any shape, sorted and paged in the
//! store (TheHive's query API is its caller), and the items a query may
//! start from across every case of the organisation. The same permissions
//! and organisation as the lists of the native API.

use firebreak_domain::permission::Action;
use firebreak_store::ItemQuery;
use firebreak_types::query::{Cond, EntityQuery, MAX_QUERY_ROWS};
use firebreak_types::{Alert, Case, Observable, Task, TaskLog};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;
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
