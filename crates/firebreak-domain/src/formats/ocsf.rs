//! OCSF findings: Detection Finding (class 2004) and Incident Finding
//! (class 2005). Events of other classes are not alerts.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{
    Native, Observables, attack_tag, epoch_millis, first, get, items, keep, required, severity_word, text, timestamp,
};
use super::{MapError, Mapped};
use crate::observable::ObservableKind as K;

/// `severity_id`: 1 informational and 2 low are low, 3 medium, 4 high,
/// 5 critical and 6 fatal critical. 0 (unknown), 99 (other) and anything
/// else fall back on the `severity` caption when it is a severity word, and
/// on medium when it is not.
fn severity(event: &Value) -> Severity {
    match get(event, "severity_id").and_then(Value::as_i64) {
        Some(1 | 2) => Severity::Low,
        Some(3) => Severity::Medium,
        Some(4) => Severity::High,
        Some(5 | 6) => Severity::Critical,
        _ => text(event, "severity").and_then(|s| severity_word(&s)).unwrap_or(Severity::Medium),
    }
}

/// `time` (milliseconds since the epoch), else `time_dt` (RFC 3339).
fn event_time(event: &Value) -> Result<Option<String>, MapError> {
    match get(event, "time") {
        Some(Value::Number(n)) => {
            // Some producers write the milliseconds as a float.
            let ms = n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64));
            let ms = ms.ok_or_else(|| MapError::new("time", format!("time is not milliseconds (got {n})")))?;
            epoch_millis(ms, "time").map(Some)
        }
        Some(Value::Null) | None => text(event, "time_dt").map(|t| timestamp(&t, "time_dt")).transpose(),
        Some(other) => Err(MapError::new("time", format!("time must be milliseconds since the epoch (got {other})"))),
    }
}

/// `attack.tXXXX` tags from `finding_info.attacks` (and the top-level
/// `attacks` of schema versions before 1.1).
fn attack_tags(event: &Value) -> Vec<String> {
    let attacks = items(event, "finding_info.attacks").iter().chain(items(event, "attacks"));
    let mut tags = Vec::new();
    for a in attacks {
        tags.extend(text(a, "technique.uid").and_then(|id| attack_tag(&id)));
        tags.extend(text(a, "sub_technique.uid").and_then(|id| attack_tag(&id)));
    }
    tags
}

/// An OCSF file: its path when it has one, else its name, and its hashes.
fn file(obs: &mut Observables, f: &Value) {
    match text(f, "path") {
        Some(p) => obs.add_file(Some(p)),
        None => obs.add_file(text(f, "name")),
    }
    for h in items(f, "hashes") {
        obs.add_hash(text(h, "value"));
    }
}

/// Endpoints, users, processes, files, URLs and DNS queries of an object
/// that may hold them (the event itself, or one of its evidences).
fn entities(obs: &mut Observables, v: &Value) {
    for endpoint in ["src_endpoint", "dst_endpoint", "device"] {
        obs.add(K::Ip, text(v, &format!("{endpoint}.ip")));
        obs.add_host(text(v, &format!("{endpoint}.hostname")));
    }
    obs.add(K::UserAccount, text(v, "actor.user.name"));
    obs.add(K::UserAccount, text(v, "user.name"));
    for process in ["process", "actor.process"] {
        obs.add(K::Process, text(v, &format!("{process}.name")));
        if let Some(f) = get(v, &format!("{process}.file")) {
            file(obs, f);
        }
    }
    if let Some(f) = get(v, "file") {
        file(obs, f);
    }
    obs.add(K::Url, text(v, "url.url_string"));
    obs.add(K::Domain, text(v, "query.hostname"));
    obs.add_text(text(v, "process.cmd_line"));
}

/// The finding's own `observables` list, by its `type_id`; types without a
/// counterpart here (MAC addresses, ports, resource ids…) are left out.
fn listed(obs: &mut Observables, event: &Value) {
    for o in items(event, "observables") {
        let value = text(o, "value");
        let name = text(o, "name").unwrap_or_default().to_ascii_lowercase();
        // Who the finding is assigned to is no indicator of it.
        if name.contains("assigned") {
            continue;
        }
        match get(o, "type_id").and_then(Value::as_i64) {
            // Hostname, Endpoint.
            Some(1 | 20) => obs.add_host(value),
            Some(2) => obs.add(K::Ip, value),
            // User Name, User.
            Some(4 | 21) => obs.add(K::UserAccount, value),
            Some(5) => obs.add(K::Email, value),
            // URL String, URL.
            Some(6 | 23) => obs.add(K::Url, value),
            // File Name, File.
            Some(7 | 24) => obs.add_file(value),
            Some(8) => obs.add_hash(value),
            // Process Name, Process.
            Some(9 | 25) => obs.add(K::Process, value),
            Some(13) => obs.add_text(value),
            Some(28) => obs.add(K::RegistryKey, value),
            // Typed `Other` but named for what it holds (Falco's `hostname`).
            Some(0 | 99) if name == "hostname" || name.ends_with(".hostname") => obs.add_host(value),
            _ => {}
        }
    }
}

/// The finding's observables: its own list, then what its entities and
/// evidences name.
pub(super) fn observables(event: &Value) -> Observables {
    let mut obs = Observables::default();
    listed(&mut obs, event);
    entities(&mut obs, event);
    for evidence in items(event, "evidences") {
        entities(&mut obs, evidence);
    }
    obs
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let class = get(&event, "class_uid").and_then(Value::as_i64);
    if !matches!(class, Some(2004 | 2005)) {
        let what = match (class, text(&event, "class_name")) {
            (Some(c), Some(name)) => format!("class_uid {c} ({name})"),
            (Some(c), None) => format!("class_uid {c}"),
            (None, _) => "an event without class_uid".to_owned(),
        };
        return Ok(Mapped::Skip(format!("{what} is not a Detection Finding (2004) or an Incident Finding (2005)")));
    }
    let source_ref = required(&event, "finding_info.uid", "an OCSF finding needs it as its reference")?;
    let title = first(&event, &["finding_info.title", "message"]).ok_or_else(|| {
        MapError::new(
            "finding_info.title",
            "finding_info.title is missing: an OCSF finding needs it (or message) as its title",
        )
    })?;
    let mut custom = Map::new();
    keep(
        &event,
        &mut custom,
        &[
            "class_name",
            "status",
            "confidence",
            "metadata.product.vendor_name",
            "finding_info.types",
            "src_endpoint.port",
            "dst_endpoint.port",
        ],
    );
    let product = text(&event, "metadata.product.name").map(|p| p.to_lowercase());
    let native = Native {
        source: product.map_or_else(|| "ocsf".to_owned(), |p| format!("ocsf:{p}")),
        source_ref,
        kind: if class == Some(2005) { "incident_finding" } else { "detection_finding" }.into(),
        rule: first(&event, &["finding_info.analytic.uid", "finding_info.analytic.name"]),
        title,
        description: first(&event, &["finding_info.desc", "message"]).unwrap_or_default(),
        severity: severity(&event),
        event_time: event_time(&event)?,
        tags: attack_tags(&event),
        observables: observables(&event),
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn severity_ids_and_captions() {
        let sev = |v: Value| format!("{:?}", severity(&v));
        assert_eq!(sev(json!({ "severity_id": 1 })), "Low");
        assert_eq!(sev(json!({ "severity_id": 2 })), "Low");
        assert_eq!(sev(json!({ "severity_id": 3 })), "Medium");
        assert_eq!(sev(json!({ "severity_id": 4 })), "High");
        assert_eq!(sev(json!({ "severity_id": 6 })), "Critical");
        assert_eq!(sev(json!({ "severity_id": 99, "severity": "High" })), "High");
        assert_eq!(sev(json!({ "severity_id": 0, "severity": "Unknown" })), "Medium");
        assert_eq!(sev(json!({})), "Medium");
    }

    #[test]
    fn times_in_milliseconds_or_as_text() {
        assert_eq!(event_time(&json!({ "time": 1_700_000_000_000_i64 })).unwrap().unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(event_time(&json!({ "time": 1.7e12 })).unwrap().unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(
            event_time(&json!({ "time_dt": "2023-11-14T22:13:20.5+00:00" })).unwrap().unwrap(),
            "2023-11-14T22:13:20.5Z"
        );
        assert_eq!(event_time(&json!({})).unwrap(), None);
        assert_eq!(event_time(&json!({ "time": "yesterday" })).unwrap_err().field, "time");
        assert_eq!(event_time(&json!({ "time_dt": "yesterday" })).unwrap_err().field, "time_dt");
    }

    #[test]
    fn other_classes_are_skipped_and_a_finding_needs_its_uid() {
        let skip = map(json!({ "class_uid": 3002, "class_name": "Authentication" })).unwrap();
        assert!(matches!(skip, Mapped::Skip(ref r) if r.contains("3002 (Authentication)")), "{skip:?}");
        assert!(matches!(map(json!({})).unwrap(), Mapped::Skip(_)));
        let e = map(json!({ "class_uid": 2004, "finding_info": { "title": "t" } })).unwrap_err();
        assert_eq!(e.field, "finding_info.uid");
    }
}
