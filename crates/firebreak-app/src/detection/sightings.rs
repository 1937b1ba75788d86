//! Event sightings: the hosts whose events saw an observable, and how long
//! they are kept.

use firebreak_domain::permission::Action;
use firebreak_types::{ErrorCode, EventSettings, EventSighting, EventSightingQuery};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items;

const EVENT_SETTINGS: &str = "events";

/// The index key of an observable, normalised as alerts and cases store it.
pub(super) fn sighting_key(kind: &str, value: &str) -> Option<String> {
    let kind: firebreak_domain::observable::ObservableKind = kind.trim().to_lowercase().parse().ok()?;
    let n = firebreak_domain::observable::normalise(kind, value).ok()?;
    Some(items::observable_key(kind.as_str(), &n.value))
}

pub async fn event_settings(state: &App, org: Uuid) -> AppResult<EventSettings> {
    items::setting_or(state, org, EVENT_SETTINGS, EventSettings::default).await
}

pub async fn get_event_settings(state: &App, caller: &Caller) -> AppResult<EventSettings> {
    caller.require(Action::RuleRead)?;
    event_settings(state, caller.org_id()).await
}

pub async fn set_event_settings(state: &App, caller: &Caller, new: EventSettings) -> AppResult<EventSettings> {
    caller.require(Action::OrgSettings)?;
    if !(1..=3660).contains(&new.retention_days) {
        return Err(AppError::field(ErrorCode::InvalidField, "retention_days", "from 1 to 3660 days"));
    }
    items::put_setting(state, &caller.ctx(state), caller.org_id(), EVENT_SETTINGS, &new).await?;
    Ok(new)
}

/// The hosts whose events saw an observable, most recent first: an index
/// look-up however many events are kept.
pub async fn event_sightings(state: &App, caller: &Caller, q: &EventSightingQuery) -> AppResult<Vec<EventSighting>> {
    caller.require(Action::AlertRead)?;
    let settings = event_settings(state, caller.org_id()).await?;
    let days = q.days.unwrap_or(settings.retention_days);
    if !(1..=3660).contains(&days) {
        return Err(AppError::field(ErrorCode::InvalidField, "days", "from 1 to 3660"));
    }
    let key = sighting_key(&q.kind, &q.value)
        .ok_or_else(|| AppError::field(ErrorCode::InvalidField, "value", format!("not a valid {} value", q.kind)))?;
    let since = state.clock.now() - time::Duration::days(days.into());
    Ok(state
        .store
        .event_sightings(caller.org_id(), &key, since)
        .await?
        .into_iter()
        .map(|(host, n, first, last)| EventSighting {
            host,
            events: n.max(0) as u64,
            first_seen: first,
            last_seen: last,
        })
        .collect())
}
