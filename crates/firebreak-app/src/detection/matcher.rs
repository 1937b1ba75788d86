//! The compiled rules of each organisation (built once, kept until its
//! library changes) and events matched against them, whose matches become
//! alerts through the intake path.

use std::collections::HashMap;
use std::sync::Arc;

use firebreak_detect::event::{flatten, source_of};
use firebreak_detect::{Detector, Library, RuleKind};
use firebreak_domain::permission::Action;
use firebreak_types::{EventBulkResult, EventRejection, RuleException, RuleLevel, Severity};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::intake::{self, Item, Rejection};
use crate::items;

use super::exceptions::{Live, filters_of};
use super::library::all_rules;
use super::sightings::{event_settings, sighting_key};

/// Correlation state, shared by the requests of one organisation.
pub type SharedCorrelator = Arc<std::sync::Mutex<firebreak_detect::correlate::Correlator>>;

/// A compiled rule set, its correlations, and when the first of its
/// exceptions expires.
#[derive(Clone)]
struct Compiled {
    detector: Arc<Detector>,
    correlator: Option<SharedCorrelator>,
    until: Option<time::OffsetDateTime>,
}

/// Compiled rules per organisation, dropped when its library changes or an
/// exception expires. Correlation windows live here too, so they start
/// afresh when the library changes, and each node keeps its own.
#[derive(Default)]
pub struct Detectors {
    compiled: std::sync::Mutex<HashMap<Uuid, Compiled>>,
    /// When each organisation's old event sightings were last pruned.
    pruned: std::sync::Mutex<HashMap<Uuid, time::OffsetDateTime>>,
}

impl Detectors {
    fn get(&self, org: Uuid, now: time::OffsetDateTime) -> Option<Compiled> {
        self.compiled.lock().ok().and_then(|m| m.get(&org).cloned()).filter(|c| c.until.is_none_or(|u| now < u))
    }
    fn put(&self, org: Uuid, c: Compiled) {
        if let Ok(mut m) = self.compiled.lock() {
            m.insert(org, c);
        }
    }
    pub(super) fn forget(&self, org: Uuid) {
        if let Ok(mut m) = self.compiled.lock() {
            m.remove(&org);
        }
    }
    /// Whether the organisation's old event sightings are due to be pruned
    /// (at most once an hour per node); marks them pruned.
    fn prune_due(&self, org: Uuid, now: time::OffsetDateTime) -> bool {
        let Ok(mut m) = self.pruned.lock() else { return false };
        match m.get(&org) {
            Some(last) if now - *last < time::Duration::hours(1) => false,
            _ => {
                m.insert(org, now);
                true
            }
        }
    }
}

/// The organisation's enabled rules and correlations, compiled (built once,
/// kept until the library changes or an exception expires).
pub(crate) async fn compiled(state: &App, org: Uuid) -> AppResult<(Arc<Detector>, Option<SharedCorrelator>)> {
    let now = state.clock.now();
    if let Some(c) = state.detectors.get(org, now) {
        return Ok((c.detector, c.correlator));
    }
    let rules = all_rules(state, org).await?;
    // The live exceptions of enabled rules, as Sigma filters.
    let on: std::collections::HashSet<Uuid> = rules.iter().filter(|(_, r)| r.enabled).map(|(_, r)| r.id).collect();
    let exceptions: Vec<RuleException> = items::list(state, org, &items::query::<RuleException>()).await?;
    let live: Vec<&RuleException> = exceptions.iter().filter(|e| on.contains(&e.rule_id) && e.live(now)).collect();
    let until = live.iter().filter_map(|e| e.expires_at).min();
    let filters = filters_of(live);
    let mut lib = Library::default();
    for (_, r) in rules.iter().filter(|(_, r)| r.enabled || r.kind == RuleKind::Filter.as_str()) {
        lib.add_file(&r.file, &r.yaml);
    }
    // A multi-document file brings all of its documents: keep only the
    // enabled detection rules and the filters.
    let enabled: std::collections::HashSet<&str> =
        rules.iter().filter(|(_, r)| r.enabled).map(|(_, r)| r.sigma_id.as_str()).collect();
    lib.rules.retain(|c| c.kind() == RuleKind::Filter || enabled.contains(c.meta.id.as_str()));
    // Correlations need the rules they name, enabled or not.
    let mut whole = Library::default();
    if rules.iter().any(|(_, r)| r.enabled && r.kind == RuleKind::Correlation.as_str()) {
        for (_, r) in &rules {
            whole.add_file(&r.file, &r.yaml);
        }
    }
    let settings = state.settings.clone();
    let (d, correlator, problems) = tokio::task::spawn_blocking(move || {
        let (d, mut problems) = Detector::with_pipelines(&lib.rules, &filters, &settings.sigma_pipelines);
        let (c, more) = firebreak_detect::correlate::Correlator::with_pipelines(
            &lib.rules,
            &whole.rules,
            &settings.sigma_pipelines,
        );
        problems.extend(more);
        (d, c, problems)
    })
    .await
    .map_err(|_| AppError::internal())?;
    for p in problems {
        tracing::warn!(%org, problem = %p, "a stored rule or exception does not apply");
    }
    let compiled =
        Compiled { detector: Arc::new(d), correlator: correlator.map(|c| Arc::new(std::sync::Mutex::new(c))), until };
    state.detectors.put(org, compiled.clone());
    Ok((compiled.detector, compiled.correlator))
}

/// Severity of a Sigma level (`informational` and unknown levels are low).
fn severity(level: RuleLevel) -> Severity {
    match level {
        RuleLevel::Critical => Severity::Critical,
        RuleLevel::High => Severity::High,
        RuleLevel::Medium => Severity::Medium,
        RuleLevel::Low | RuleLevel::Informational | RuleLevel::Unstated => Severity::Low,
    }
}

/// The observables of a flattened event, each field read as what it holds
/// and its command line as free text (see
/// [`firebreak_domain::formats::event_observables`]), as a native alert lists them.
fn observables(ev: &Value) -> Vec<Value> {
    firebreak_domain::formats::event_observables(ev)
        .into_iter()
        .map(|(kind, value)| json!({"type": kind.as_str(), "value": value}))
        .collect()
}

/// The alert of a correlation firing: the events behind it are its raw
/// event, and the same events firing again are the same alert.
fn correlation_alert(f: &firebreak_detect::correlate::Firing) -> Value {
    let group: Vec<String> = f.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let digest = hex::encode(Sha256::digest(serde_json::to_string(&f.events).unwrap_or_default().as_bytes()));
    let mut obs = Vec::new();
    for e in &f.events {
        obs.extend(observables(e));
    }
    obs.sort_by_key(|o| o.to_string());
    obs.dedup();
    json!({
        "source": "sigma",
        "source_ref": format!("{}:{}", f.rule_id, &digest[..32]),
        "type": "sigma-correlation",
        "rule": f.rule_id,
        "title": if group.is_empty() { f.title.clone() } else { format!("{} ({})", f.title, group.join(", ")) },
        "description": format!("{} {} within {} s ({}).", f.value, f.kind.replace('_', " "), f.window_secs, group.join(", ")),
        "severity": severity(f.level),
        "tags": f.tags,
        "observables": obs,
        "raw": {"correlation": f.kind, "group": group, "value": f.value, "window_secs": f.window_secs, "events": f.events},
    })
}

/// Matches events against the organisation's enabled rules; each match is
/// sent through alert intake (deduplicated by rule and event, so a re-sent
/// event raises no second alert).
pub async fn match_events(
    state: &App,
    caller: &Caller,
    items: Vec<Result<Value, Rejection>>,
) -> AppResult<EventBulkResult> {
    caller.require(Action::AlertIngest)?;
    let org = caller.org_id();
    let (detector, correlator) = compiled(state, org).await?;
    let now = state.clock.now();
    let mut sightings: Vec<(String, String, i64)> = Vec::new();
    let mut result = EventBulkResult { events: items.len(), ..EventBulkResult::default() };
    let mut alerts = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let raw = match item {
            Ok(v) if v.is_object() => v,
            Ok(_) => {
                result.rejected.push(EventRejection { index, reason: "not a JSON object".into() });
                continue;
            }
            Err(r) => {
                result.rejected.push(EventRejection { index, reason: r.reason });
                continue;
            }
        };
        let ev = flatten(raw);
        let (time_s, host) = firebreak_detect::hunt::time_and_host(&ev);
        let event_time = time::OffsetDateTime::parse(&time_s, &time::format_description::well_known::Rfc3339).ok();
        let at = firebreak_domain::clock::to_millis(event_time.unwrap_or(now));
        let seen = observables(&ev);
        for o in &seen {
            if let Some(key) = sighting_key(o["type"].as_str().unwrap_or(""), o["value"].as_str().unwrap_or("")) {
                sightings.push((key, host.clone(), at));
            }
        }
        if let Some(c) = &correlator {
            let firings = c.lock().map(|mut c| c.feed(&ev)).unwrap_or_default();
            for f in firings {
                result.matches += 1;
                alerts.push(Ok(Item::Mapped(correlation_alert(&f))));
            }
        }
        let src = source_of(&ev);
        let found = detector.matches(&ev, &src);
        if found.is_empty() {
            continue;
        }
        let digest = hex::encode(Sha256::digest(ev.to_string().as_bytes()));
        for i in found {
            let r = &detector.rules()[i];
            result.matches += 1;
            let mut alert = json!({
                "source": "sigma",
                "source_ref": format!("{}:{}", r.id, &digest[..32]),
                "type": "sigma",
                "rule": r.id,
                "title": if host.is_empty() { r.title.clone() } else { format!("{} on {host}", r.title) },
                "severity": severity(r.level),
                "tags": r.tags,
                "observables": seen,
                "raw": ev,
            });
            if let Some(t) = event_time {
                alert["event_time"] = json!(t.format(&time::format_description::well_known::Rfc3339).ok());
            }
            alerts.push(Ok(Item::Mapped(alert)));
        }
    }
    state.store.record_event_sightings(org, &sightings).await?;
    if state.detectors.prune_due(org, now) {
        let keep = event_settings(state, org).await?.retention_days;
        state.store.prune_event_sightings(org, now - time::Duration::days(keep.into())).await?;
    }
    if !alerts.is_empty() {
        let answer = intake::ingest_as(state, &caller.ctx(state), org, alerts).await?;
        result.alerts_created = answer.created;
        result.alerts_repeated = answer.duplicates;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_is_as_severe_as_its_rules_level() {
        assert_eq!(severity(RuleLevel::Critical), Severity::Critical);
        assert_eq!(severity(RuleLevel::High), Severity::High);
        assert_eq!(severity(RuleLevel::Medium), Severity::Medium);
        for quiet in [RuleLevel::Low, RuleLevel::Informational, RuleLevel::Unstated] {
            assert_eq!(severity(quiet), Severity::Low, "{quiet:?}");
        }
    }
}
