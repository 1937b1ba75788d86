//! TheHive's `extraData`: what a client asks of a page of cases or alerts
//! beside their fields (`page` with `extraData: ["observableStats", …]`).
//! Computed for the page only, all its entities at once: one grouped query
//! per kind of item a case holds, one for their alerts, one look-up of the
//! observables an alert shares with cases. A name TheHive does not know is
//! ignored, as TheHive ignores it.

use std::collections::{BTreeMap, HashMap};

use firebreak_app::query as q;
use firebreak_domain::permission::Action;
use firebreak_types::query::{Cond, EntityQuery, Field, MAX_QUERY_ROWS, QueryValue};
use firebreak_types::{Alert, AlertState, Case};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::cases;
use super::error::HiveResult;
use super::session::HiveCaller;
use super::shape::{self, Names};
use crate::state::AppState;

/// The names this facade answers for cases; the rest are ignored.
pub const CASE_NAMES: &[&str] = &[
    "observableStats",
    "taskStats",
    "alerts",
    "alertCount",
    "isOwner",
    "shareCount",
    "permissions",
    "actionRequired",
    "contributors",
    "procedureCount",
    "attachmentCount",
    "owningOrganisation",
    "computed.handlingDuration",
    "computed.handlingDurationInSeconds",
    "computed.handlingDurationInMinutes",
    "computed.handlingDurationInHours",
    "computed.handlingDurationInDays",
];

/// The names this facade answers for alerts; the rest are ignored.
pub const ALERT_NAMES: &[&str] = &["caseNumber", "importDate", "observableCount", "similarCases"];

fn wants(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

/// What the case asks of the caller: TheHive's permissions are Firebreak's
/// actions the caller may take (the names a profile lists).
fn permissions(caller: &HiveCaller) -> Vec<String> {
    Action::all().filter(|a| caller.may(*a)).map(Action::as_str).collect()
}

/// TheHive's handling duration: from the case's start to its end, for a
/// case that ended (ms, and in whole seconds, minutes, hours, days).
fn handling(c: &Case, unit_ms: i64) -> Option<i64> {
    let end = c.closed_at?;
    let ms = shape::millis(end) - shape::millis(c.created_at);
    Some(ms.max(0) / unit_ms)
}

/// The `extraData` of each case of a page, by case id.
pub async fn for_cases(
    state: &AppState,
    caller: &HiveCaller,
    names: &Names,
    page: &[&Case],
    wanted: &[String],
) -> HiveResult<HashMap<Uuid, Map<String, Value>>> {
    let mut out = HashMap::new();
    if page.is_empty() || !wanted.iter().any(|w| CASE_NAMES.contains(&w.as_str())) {
        return Ok(out);
    }
    let ids: Vec<Uuid> = page.iter().map(|c| c.id).collect();
    let stats = q::case_stats(&state.app, caller, &ids).await?;
    let perms = permissions(caller);
    let want = |name: &str| wanted.iter().any(|w| w == name);
    // Cases shared with the caller's organisation: their owners by name.
    let mut owners: HashMap<Uuid, String> = HashMap::new();
    if want("owningOrganisation") && page.iter().any(|c| c.org_id != caller.org_id()) {
        for s in firebreak_app::shares::shared_with_us(&state.app, caller).await? {
            owners.insert(s.case.id, s.owner_org_name);
        }
    }
    // The organisations each of the caller's own cases is shared with.
    let mut share_counts: HashMap<Uuid, usize> = HashMap::new();
    if want("shareCount") {
        for c in page.iter().filter(|c| c.org_id == caller.org_id()) {
            share_counts.insert(c.id, firebreak_app::shares::case_shares(&state.app, caller, c.id).await?.len());
        }
    }
    for c in page {
        let mut m = Map::new();
        for name in wanted {
            let v = match name.as_str() {
                "observableStats" => {
                    json!({ "total": stats.observables.get(&c.id).map_or(0, |(n, _)| *n) })
                }
                "taskStats" => {
                    let mut t = Map::new();
                    let mut total = 0;
                    for (status, n) in stats.tasks.get(&c.id).into_iter().flatten() {
                        let hive = cases::TASK_STATUSES
                            .iter()
                            .find(|(_, s)| s.as_str() == status)
                            .map_or(status.as_str(), |(h, _)| h);
                        t.insert(hive.to_owned(), json!(n));
                        total += n;
                    }
                    t.insert("total".into(), json!(total));
                    Value::Object(t)
                }
                "alerts" => Value::Array(
                    stats
                        .alerts
                        .get(&c.id)
                        .into_iter()
                        .flatten()
                        .map(|(kind, source, _)| json!({ "type": kind, "source": source }))
                        .collect(),
                ),
                "alertCount" => json!(stats.alerts.get(&c.id).into_iter().flatten().map(|(_, _, n)| n).sum::<u64>()),
                "isOwner" => json!(c.org_id == caller.org_id()),
                "shareCount" => json!(share_counts.get(&c.id).copied().unwrap_or(0)),
                "permissions" => json!(perms),
                "actionRequired" => json!(false),
                "contributors" => {
                    let mut who: Vec<&str> = Vec::new();
                    let ids =
                        c.assignee_id.into_iter().chain(stats.task_assignees.get(&c.id).into_iter().flatten().copied());
                    for id in ids {
                        if let Some(login) = names.login(Some(id))
                            && !who.contains(&login)
                        {
                            who.push(login);
                        }
                    }
                    json!(who)
                }
                "procedureCount" => json!(stats.procedures.get(&c.id).copied().unwrap_or(0)),
                "attachmentCount" => json!(stats.evidence.get(&c.id).copied().unwrap_or(0)),
                "owningOrganisation" => match owners.get(&c.id) {
                    Some(owner) => json!(owner),
                    None => json!(caller.org.name),
                },
                "computed.handlingDuration" => json!(handling(c, 1)),
                "computed.handlingDurationInSeconds" => json!(handling(c, 1_000)),
                "computed.handlingDurationInMinutes" => json!(handling(c, 60_000)),
                "computed.handlingDurationInHours" => json!(handling(c, 3_600_000)),
                "computed.handlingDurationInDays" => json!(handling(c, 86_400_000)),
                _ => continue,
            };
            if !v.is_null() {
                m.insert(name.clone(), v);
            }
        }
        out.insert(c.id, m);
    }
    Ok(out)
}

/// Cases by id, one query for the page (those the caller may read).
async fn cases_by_id(state: &AppState, caller: &HiveCaller, ids: &[Uuid]) -> HiveResult<HashMap<Uuid, Case>> {
    if ids.is_empty() || !caller.may(Action::CaseRead) {
        return Ok(HashMap::new());
    }
    let q = EntityQuery {
        filter: Cond::In(Field::Id, ids.iter().map(|i| QueryValue::Text(i.to_string())).collect()),
        sort: Vec::new(),
        offset: 0,
        limit: MAX_QUERY_ROWS,
    };
    Ok(q::cases(&state.app, caller, &q).await?.into_iter().map(|c| (c.id, c)).collect())
}

/// One case an alert shares observables with, in TheHive's shape.
fn similar_case(
    alert: &Alert,
    c: &Case,
    shared: &[&firebreak_types::Observable],
    totals: (u64, u64),
    names: &Names,
) -> Value {
    let mut types: BTreeMap<String, u64> = BTreeMap::new();
    for o in shared {
        *types.entry(shape::data_type(&o.kind).to_owned()).or_default() += 1;
    }
    let similar = alert.observables.iter().filter(|a| shared.iter().any(|o| o.kind == a.kind && o.value == a.value));
    json!({
        "case": cases::case(c, names),
        "similarObservableCount": similar.count(),
        "observableCount": totals.0,
        "similarIocCount": shared.iter().filter(|o| o.ioc).count(),
        "iocCount": totals.1,
        "observableTypes": types,
    })
}

/// The `extraData` of each alert of a page, by alert id.
pub async fn for_alerts(
    state: &AppState,
    caller: &HiveCaller,
    names: &Names,
    page: &[&Alert],
    wanted: &[String],
) -> HiveResult<HashMap<Uuid, Map<String, Value>>> {
    let mut out = HashMap::new();
    if page.is_empty() || !wanted.iter().any(|w| ALERT_NAMES.contains(&w.as_str())) {
        return Ok(out);
    }
    let mut joined: Vec<Uuid> = page.iter().filter_map(|a| a.case_id).collect();
    joined.sort_unstable();
    joined.dedup();
    let joined = if wants(wanted, "caseNumber") { cases_by_id(state, caller, &joined).await? } else { HashMap::new() };
    // The cases sharing observables with any alert of the page, found at
    // once, and their observable counts in one grouped query.
    let (found, similar, totals) = if wants(wanted, "similarCases") && caller.may(Action::CaseRead) {
        let values: Vec<(String, String)> =
            page.iter().flat_map(|a| a.observables.iter().map(|o| (o.kind.clone(), o.value.clone()))).collect();
        let (found, cases) = q::cases_with_observables(&state.app, caller, &values).await?;
        let ids: Vec<Uuid> = cases.keys().copied().collect();
        let stats = q::case_stats(&state.app, caller, &ids).await?;
        (found, cases, stats.observables)
    } else {
        Default::default()
    };
    for a in page {
        let mut m = Map::new();
        for name in wanted {
            let v = match name.as_str() {
                "caseNumber" => json!(a.case_id.and_then(|id| joined.get(&id)).map(|c| c.number)),
                "importDate" => match (a.state, a.closed_at) {
                    (AlertState::Escalated, Some(t)) => json!(shape::millis(t)),
                    _ => Value::Null,
                },
                "observableCount" => json!(a.observables.len()),
                "similarCases" => {
                    let mut by_case: BTreeMap<Uuid, Vec<&firebreak_types::Observable>> = BTreeMap::new();
                    for o in &found {
                        if a.case_id != Some(o.case_id)
                            && a.observables.iter().any(|x| x.kind == o.kind && x.value == o.value)
                        {
                            by_case.entry(o.case_id).or_default().push(o);
                        }
                    }
                    let mut list: Vec<(&Case, Vec<&firebreak_types::Observable>)> =
                        by_case.into_iter().filter_map(|(id, os)| similar.get(&id).map(|c| (c, os))).collect();
                    // Newest case first, as TheHive orders them.
                    list.sort_by_key(|(c, _)| std::cmp::Reverse((c.created_at, c.number)));
                    Value::Array(
                        list.iter()
                            .map(|(c, os)| {
                                similar_case(a, c, os, totals.get(&c.id).copied().unwrap_or_default(), names)
                            })
                            .collect(),
                    )
                }
                _ => continue,
            };
            if !v.is_null() {
                m.insert(name.clone(), v);
            }
        }
        out.insert(a.id, m);
    }
    Ok(out)
}
