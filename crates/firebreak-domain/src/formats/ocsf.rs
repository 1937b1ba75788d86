//! OCSF findings: Security Finding (class 2001, OCSF 1.0, whose `finding`
//! object later versions call `finding_info`), Detection Finding (2004) and
//! Incident Finding (2005). Other findings (vulnerabilities, compliance,
//! data security, posture) and other events are skipped with the reason, as
//! are findings of a check that passed.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{
    Native, Observables, attack_tag, epoch_millis, first, get, items, keep, severity_word, text, timestamp,
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

/// Below this, an epoch time is in seconds: in milliseconds it would be
/// before March 1973, in seconds it reaches the year 5138.
const SECONDS_BELOW: f64 = 1e11;

/// When the finding happened. `time_dt` (RFC 3339) when it has an offset;
/// else `time`, milliseconds since the epoch by the schema, but seconds as
/// Prowler and converters of Security Hub findings write it (told apart by
/// magnitude); else `time_dt` is refused (a `time_dt` without an offset,
/// as Prowler writes it, is a local time nobody can place).
fn event_time(event: &Value) -> Result<Option<String>, MapError> {
    let dt = text(event, "time_dt").map(|t| timestamp(&t, "time_dt"));
    if let Some(Ok(t)) = dt {
        return Ok(Some(t));
    }
    match get(event, "time") {
        Some(Value::Number(n)) => {
            let t = n.as_f64().filter(|f| f.is_finite());
            let t = t.ok_or_else(|| MapError::new("time", format!("time is not a time since the epoch (got {n})")))?;
            // Some producers write the time as a float.
            let ms = if t.abs() < SECONDS_BELOW { t * 1000.0 } else { t };
            epoch_millis(ms.round() as i64, "time").map(Some)
        }
        Some(Value::Null) | None => dt.transpose(),
        Some(other) => Err(MapError::new("time", format!("time must be milliseconds since the epoch (got {other})"))),
    }
}

/// `attack.tXXXX` tags from `finding_info.attacks` (and the top-level
/// `attacks` of schema versions before 1.1, and an incident's findings).
fn attack_tags(event: &Value) -> Vec<String> {
    let listed = items(event, "finding_info_list").iter().flat_map(|f| items(f, "attacks"));
    let attacks = items(event, "finding_info.attacks").iter().chain(items(event, "attacks")).chain(listed);
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

/// Why a class is not read, for the classes that are findings but not alerts.
fn not_an_alert(class: i64) -> Option<&'static str> {
    Some(match class {
        2002 => "a vulnerability on an asset is work for vulnerability management, not an alert to triage",
        2003 => "a compliance check's result is posture, not an alert to triage",
        2006 => "a data security finding classifies data, which Firebreak does not map yet",
        2007 => "an application security posture finding is posture, not an alert to triage",
        _ => return None,
    })
}

/// The class's finding fields: `finding` in OCSF 1.0, `finding_info` after;
/// an Incident Finding lists its findings in `finding_info_list`.
fn finding_text(event: &Value, field: &str) -> Option<String> {
    first(event, &[&format!("finding_info.{field}"), &format!("finding.{field}")])
}

/// The reference: the finding's `uid`, and for an Incident Finding (which
/// has none of its own) the `uid` of the first finding it lists, the one
/// that opened it, so that updates of the incident repeat it.
fn source_ref(event: &Value, class: i64) -> Result<String, MapError> {
    if let Some(uid) = finding_text(event, "uid") {
        return Ok(uid);
    }
    if class == 2005 {
        return items(event, "finding_info_list").iter().find_map(|f| text(f, "uid")).ok_or_else(|| {
            MapError::new(
                "finding_info_list",
                "finding_info_list has no finding with a uid: an OCSF Incident Finding needs one as its reference",
            )
        });
    }
    let (field, why) = if class == 2001 {
        (
            "finding.uid",
            "finding.uid is missing: an OCSF 1.0 Security Finding needs it (or finding_info.uid) as its reference",
        )
    } else {
        ("finding_info.uid", "finding_info.uid is missing: an OCSF finding needs it as its reference")
    };
    Err(MapError::new(field, why))
}

/// A check that passed (Prowler's `status_code` `PASS`, Security Hub's
/// `compliance.status` `PASSED`) reports that nothing is wrong.
fn passed(event: &Value) -> Option<String> {
    ["status_code", "compliance.status"].into_iter().find_map(|field| {
        let value = text(event, field)?;
        matches!(value.to_ascii_uppercase().as_str(), "PASS" | "PASSED").then(|| format!("{field} {value}"))
    })
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
    let what = match (class, text(&event, "class_name")) {
        (Some(c), Some(name)) => format!("class_uid {c} ({name})"),
        (Some(c), None) => format!("class_uid {c}"),
        (None, _) => "an event without class_uid".to_owned(),
    };
    let Some(class) = class.filter(|c| matches!(c, 2001 | 2004 | 2005)) else {
        if let Some(why) = class.and_then(not_an_alert) {
            return Ok(Mapped::Skip(format!("{what} is not an alert: {why}")));
        }
        return Ok(Mapped::Skip(format!(
            "{what} is not a Security Finding (2001), a Detection Finding (2004) or an Incident Finding (2005)"
        )));
    };
    if let Some(pass) = passed(&event) {
        return Ok(Mapped::Skip(format!("{what} with {pass} is a passed check, not an alert")));
    }
    let source_ref = source_ref(&event, class)?;
    let listed_title = || items(&event, "finding_info_list").iter().find_map(|f| text(f, "title"));
    let title = finding_text(&event, "title")
        .or_else(|| first(&event, &["message", "desc"]))
        .or_else(listed_title)
        .ok_or_else(|| {
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
        kind: match class {
            2001 => "security_finding",
            2005 => "incident_finding",
            _ => "detection_finding",
        }
        .into(),
        rule: first(&event, &["finding_info.analytic.uid", "finding_info.analytic.name"]),
        title,
        description: finding_text(&event, "desc").or_else(|| first(&event, &["desc", "message"])).unwrap_or_default(),
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
        // Seconds, as Prowler and Security Hub converters write them.
        assert_eq!(event_time(&json!({ "time": 1_700_000_000 })).unwrap().unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(event_time(&json!({ "time": 1_700_000_000.5 })).unwrap().unwrap(), "2023-11-14T22:13:20.5Z");
        // time_dt with an offset first; without one, time.
        let both = json!({ "time": 1_700_000_000, "time_dt": "2023-11-14T23:13:20+01:00" });
        assert_eq!(event_time(&both).unwrap().unwrap(), "2023-11-14T23:13:20+01:00");
        let naive = json!({ "time": 1_700_000_000, "time_dt": "2023-11-14T17:13:20.123" });
        assert_eq!(event_time(&naive).unwrap().unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(event_time(&json!({ "time_dt": "2023-11-14T17:13:20" })).unwrap_err().field, "time_dt");
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
