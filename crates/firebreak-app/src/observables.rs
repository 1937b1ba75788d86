//! A case's observables and their sightings across cases and alerts.

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::observable::{ObservableKind, normalise};
use firebreak_domain::permission::Action;
use firebreak_domain::validate::{FieldError, markdown, tags};
use firebreak_store::ItemQuery;
use firebreak_types::{Case, CreateObservable, ErrorCode, Observable, ObservableWithSightings, Sighting};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::events::{self, ItemEvent, Root, as_json};
use crate::items::{self, observable_key};
use crate::thehive::shape;

fn parse_kind(kind: &str) -> Result<ObservableKind, FieldError> {
    kind.trim().to_lowercase().parse::<ObservableKind>().map_err(|_| {
        let names: Vec<&str> = ObservableKind::ALL.iter().map(|k| k.as_str()).collect();
        FieldError::new("type", format!("one of {}", names.join(", ")))
    })
}

/// The observable checks speak in whole sentences; they are passed on as they are.
fn value_error(e: FieldError) -> AppError {
    AppError::field(ErrorCode::InvalidField, e.field, e.expected)
}

pub async fn add_observable(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateObservable,
) -> AppResult<ObservableWithSightings> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    let kind = parse_kind(&req.kind)?;
    let n = normalise(kind, &req.value).map_err(value_error)?;
    let key = observable_key(kind.as_str(), &n.value);
    let same = ItemQuery { case_id: Some(case_id), key: Some(key), ..items::query::<Observable>() };
    if state.store.count_items(caller.org_id(), &same).await? > 0 {
        return Err(AppError::field(ErrorCode::Conflict, "value", "this case already has this observable"));
    }
    let observable = Observable {
        id: Uuid::now_v7(),
        case_id,
        kind: kind.as_str().to_owned(),
        value: n.value,
        ip_class: n.ip_class.map(|c| c.as_str().to_owned()),
        tlp: req.tlp,
        ioc: req.ioc,
        tags: tags("tags", &req.tags)?,
        description: markdown("description", &req.description)?,
        created_at: state.clock.now(),
    };
    let ctx = caller.ctx(state);
    let hive = |_: &shape::Names| shape::observable(&observable);
    let event = ItemEvent {
        name: "observable.created",
        root: Root::Case(&case),
        object_type: "Observable",
        object_id: observable.id.to_string(),
        object: as_json(&observable),
        hive: &hive,
        before: None,
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let observable = items::create_with(state, &ctx, caller.org_id(), observable.clone(), told).await?;
    events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    let sightings = sightings(state, caller.org_id(), &observable).await?;
    let own = case_alert_ids(state, caller, case_id).await?;
    let mut carried = alerts_carrying(state, caller, std::slice::from_ref(&observable), &own, ALERTS_SEEN).await?;
    let alerts = carried.remove(&observable.id).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
    Ok(ObservableWithSightings { observable, sightings, alerts })
}

/// How many other alerts an observable lists as seen with it.
pub const ALERTS_SEEN: u32 = 50;

/// The alerts escalated or merged into a case (at most 1,000), none for a
/// caller who may not read alerts.
pub(crate) async fn case_alert_ids(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Uuid>> {
    if !caller.may(Action::AlertRead) {
        return Ok(Vec::new());
    }
    let q = firebreak_types::AlertQuery { case_id: Some(case_id), limit: Some(1000), ..Default::default() };
    Ok(state.store.list_alerts(caller.org_id(), &q).await?.items.into_iter().map(|a| a.id).collect())
}

/// Per observable, the alerts other than `own` that carry its type and
/// value, newest first, at most `per` of them: (alert, when last seen).
/// One index look-up per distinct value; nothing for a caller who may not
/// read alerts.
pub(crate) async fn alerts_carrying(
    state: &App,
    caller: &Caller,
    observables: &[Observable],
    own: &[Uuid],
    per: u32,
) -> AppResult<HashMap<Uuid, Vec<(Uuid, time::OffsetDateTime)>>> {
    let mut out = HashMap::new();
    if !caller.may(Action::AlertRead) {
        return Ok(out);
    }
    let mut by_key: HashMap<String, Vec<(Uuid, time::OffsetDateTime)>> = HashMap::new();
    for o in observables {
        let key = observable_key(&o.kind, &o.value);
        if !by_key.contains_key(&key) {
            // Asked for as many more as the case has alerts, so that its own
            // do not crowd the others out.
            let limit = per.saturating_add(u32::try_from(own.len()).unwrap_or(u32::MAX));
            let found = state.store.alerts_with_observable(caller.org_id(), &key, limit).await?;
            let mut others: Vec<_> = found.into_iter().filter(|(id, _)| !own.contains(id)).collect();
            others.truncate(per as usize);
            by_key.insert(key.clone(), others);
        }
        out.insert(o.id, by_key.get(&key).cloned().unwrap_or_default());
    }
    Ok(out)
}

pub async fn list_observables(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<ObservableWithSightings>> {
    get_case(state, caller, case_id).await?;
    if let Some(share) = &caller.share {
        // Through a share: the case's own observables (if its rule shows
        // them), never where else the owner saw them.
        if !share.observable_rule.shows() {
            return Ok(Vec::new());
        }
        let observables: Vec<Observable> = items::of_case(state, caller.org_id(), case_id).await?;
        let bare = |observable| ObservableWithSightings { observable, sightings: Vec::new(), alerts: Vec::new() };
        return Ok(observables.into_iter().map(bare).collect());
    }
    let observables: Vec<Observable> = items::of_case(state, caller.org_id(), case_id).await?;
    let mut seen = sightings_of(state, caller.org_id(), &observables).await?;
    let own = case_alert_ids(state, caller, case_id).await?;
    let mut carried = alerts_carrying(state, caller, &observables, &own, ALERTS_SEEN).await?;
    Ok(observables
        .into_iter()
        .map(|observable| {
            let sightings = seen.remove(&observable.id).unwrap_or_default();
            let alerts = carried.remove(&observable.id).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
            ObservableWithSightings { observable, sightings, alerts }
        })
        .collect())
}

pub async fn delete_observable(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    let (_, o) = items::load::<Observable>(state, caller.org_id(), id).await?;
    if o.case_id != case_id {
        return Err(AppError::not_found("observable"));
    }
    let ctx = caller.ctx(state);
    let hive = |_: &shape::Names| shape::observable(&o);
    let event = ItemEvent {
        name: "observable.deleted",
        root: Root::Case(&case),
        object_type: "Observable",
        object_id: o.id.to_string(),
        object: as_json(&o),
        hive: &hive,
        before: None,
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    items::delete_with::<Observable>(state, &ctx, caller.org_id(), id, told).await?;
    events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

/// Every other case of the organisation with the same type and value: an
/// index look-up on `(org, kind, key)`.
pub async fn sightings(state: &App, org: Uuid, observable: &Observable) -> AppResult<Vec<Sighting>> {
    let mut all = sightings_of(state, org, std::slice::from_ref(observable)).await?;
    Ok(all.remove(&observable.id).unwrap_or_default())
}

/// The sightings of several observables at once: one index look-up for all
/// their keys and one for the cases that saw them, however many there are.
pub async fn sightings_of(
    state: &App,
    org: Uuid,
    observables: &[Observable],
) -> AppResult<HashMap<Uuid, Vec<Sighting>>> {
    let mut out: HashMap<Uuid, Vec<Sighting>> = HashMap::new();
    if observables.is_empty() {
        return Ok(out);
    }
    let keys: Vec<String> = observables.iter().map(|o| observable_key(&o.kind, &o.value)).collect();
    let mut seen = Vec::new();
    for chunk in keys.chunks(200) {
        let q = ItemQuery { keys: chunk.to_vec(), ..items::query::<Observable>() };
        seen.extend(state.store.list_items(org, &q).await?);
    }
    // key -> case -> (an observable id there, first seen, last seen)
    type Seen = BTreeMap<Uuid, (Uuid, time::OffsetDateTime, time::OffsetDateTime)>;
    let mut by_key: HashMap<&str, Seen> = HashMap::new();
    for item in &seen {
        let (Some(key), Some(case)) = (item.key.as_deref(), item.case_id) else { continue };
        let e = by_key.entry(key).or_default().entry(case).or_insert((item.id, item.at, item.at));
        e.1 = e.1.min(item.at);
        e.2 = e.2.max(item.at);
    }
    let mut case_ids: Vec<Uuid> = by_key.values().flat_map(|m| m.keys().copied()).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let cases: HashMap<Uuid, Case> =
        state.store.cases_by_id(org, &case_ids).await?.into_iter().map(|c| (c.id, c)).collect();
    for (o, key) in observables.iter().zip(&keys) {
        let Some(per_case) = by_key.get(key.as_str()) else { continue };
        let mut list: Vec<Sighting> = per_case
            .iter()
            .filter(|(case, _)| **case != o.case_id)
            .filter_map(|(case, (oid, first, last))| {
                cases.get(case).map(|c| Sighting {
                    case_id: c.id,
                    case_number: c.number,
                    case_title: c.title.clone(),
                    observable_id: *oid,
                    first_seen: *first,
                    last_seen: *last,
                })
            })
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse(s.last_seen));
        out.insert(o.id, list);
    }
    Ok(out)
}

/// Sightings of a value typed by hand (the observable search box).
pub async fn search_sightings(state: &App, caller: &Caller, kind: &str, value: &str) -> AppResult<Vec<Sighting>> {
    caller.require(Action::CaseRead)?;
    let kind = parse_kind(kind)?;
    let n = normalise(kind, value).map_err(value_error)?;
    let probe = Observable {
        id: Uuid::nil(),
        case_id: Uuid::nil(),
        kind: kind.as_str().to_owned(),
        value: n.value,
        ip_class: None,
        tlp: firebreak_types::Tlp::Clear,
        ioc: false,
        tags: Vec::new(),
        description: String::new(),
        created_at: state.clock.now(),
    };
    sightings(state, caller.org_id(), &probe).await
}

/// Changes what is said of an observable (TLP, IOC, tags, description);
/// its type and value stay, as they are what it is.
pub async fn update_observable(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    req: firebreak_types::UpdateObservable,
) -> AppResult<Observable> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    let (item, mut o) = items::load::<Observable>(state, caller.org_id(), id).await?;
    if o.case_id != case_id {
        return Err(AppError::not_found("observable"));
    }
    let before = o.clone();
    if let Some(v) = req.tlp {
        o.tlp = v;
    }
    if let Some(v) = req.ioc {
        o.ioc = v;
    }
    if let Some(v) = req.tags {
        o.tags = tags("tags", &v)?;
    }
    if let Some(v) = req.description {
        o.description = markdown("description", &v)?;
    }
    let ctx = caller.ctx(state);
    let hive = |_: &shape::Names| shape::observable(&o);
    let hive_before = |_: &shape::Names| shape::observable(&before);
    let event = ItemEvent {
        name: "observable.updated",
        root: Root::Case(&case),
        object_type: "Observable",
        object_id: o.id.to_string(),
        object: as_json(&o),
        hive: &hive,
        before: Some((as_json(&before), &hive_before)),
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let o = items::save_with(state, &ctx, &item, o.clone(), told).await?;
    events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(o)
}
