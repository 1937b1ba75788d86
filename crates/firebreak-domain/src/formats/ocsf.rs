//! OCSF findings: Detection Finding (class 2004) and Incident Finding
//! (class 2005). Other classes are not alerts.

use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, epoch_millis, first, get, keep, required, text, texts};
use super::{MapError, Mapped};

/// OCSF `severity_id`: 1 informational and 2 low are low, 3 medium, 4 high,
/// 5 critical and 6 fatal are critical; 0 and 99 (unknown, other) fall back
/// on the `severity` caption, or medium.
fn severity(event: &Value) -> &'static str {
    match get(event, "severity_id").and_then(Value::as_i64) {
        Some(1 | 2) => "low",
        Some(3) => "medium",
        Some(4) => "high",
        Some(5 | 6) => "critical",
        _ => match text(event, "severity").map(|s| s.to_lowercase()).as_deref() {
            Some("informational" | "low") => "low",
            Some("high") => "high",
            Some("critical" | "fatal") => "critical",
            _ => "medium",
        },
    }
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let class = get(&event, "class_uid").and_then(Value::as_i64);
    if !matches!(class, Some(2004 | 2005)) {
        return Ok(Mapped::Skip(format!(
            "class_uid {} is not a Detection Finding (2004) or an Incident Finding (2005)",
            class.map_or("(none)".to_owned(), |c| c.to_string())
        )));
    }
    let source_ref = required(&event, "finding_info.uid", "an OCSF finding needs it as its id")?;
    let title = first(&event, &["finding_info.title", "message"]).ok_or_else(|| {
        MapError::new(
            "finding_info.title",
            "finding_info.title is missing: an OCSF finding needs it (or message) as its title",
        )
    })?;
    let time = match get(&event, "time") {
        Some(Value::Number(n)) => Some(epoch_millis(n.as_i64().unwrap_or(i64::MIN), "time")?),
        Some(_) => return Err(MapError::new("time", "time must be milliseconds since the epoch")),
        None => None,
    };
    let product = text(&event, "metadata.product.name").map(|p| p.to_lowercase());
    let mut tags: Vec<String> = Vec::new();
    if let Some(Value::Array(attacks)) = get(&event, "finding_info.attacks") {
        for a in attacks {
            tags.extend(text(a, "technique.uid").and_then(|id| attack_tag(&id)));
            tags.extend(text(a, "sub_technique.uid").and_then(|id| attack_tag(&id)));
        }
    }
    let mut obs = Observables::default();
    if let Some(Value::Array(list)) = get(&event, "observables") {
        for o in list {
            let value = text(o, "value");
            match get(o, "type_id").and_then(Value::as_i64) {
                Some(1) => obs.add("hostname", value),
                Some(2) => obs.add("ip", value),
                Some(4) => obs.add("user_account", value),
                Some(5) => obs.add("email", value),
                Some(6) => obs.add("url", value),
                Some(7) => obs.add_file(value),
                Some(8) => obs.add_hash(value),
                Some(9) => obs.add("process", value),
                _ => {}
            }
        }
    }
    for p in ["src_endpoint", "dst_endpoint", "device"] {
        obs.add("ip", text(&event, &format!("{p}.ip")));
        obs.add("hostname", text(&event, &format!("{p}.hostname")));
    }
    obs.add("user_account", text(&event, "actor.user.name"));
    if let Some(Value::Array(evidences)) = get(&event, "evidences") {
        for e in evidences {
            obs.add("process", text(e, "process.name"));
            obs.add("file_path", text(e, "file.path"));
            obs.add("file_path", text(e, "process.file.path"));
            for h in texts(e, "file.hashes").into_iter() {
                obs.add_hash(Some(h));
            }
            if let Some(Value::Array(hashes)) = get(e, "file.hashes") {
                for h in hashes {
                    obs.add_hash(text(h, "value"));
                }
            }
        }
    }
    let mut custom = Map::new();
    keep(
        &event,
        &mut custom,
        &["class_uid", "activity_id", "status", "confidence", "metadata.product.vendor_name", "finding_info.types"],
    );
    let native = Native {
        source: product.map_or_else(|| "ocsf".to_owned(), |p| format!("ocsf:{p}")),
        source_ref,
        kind: if class == Some(2005) { "incident_finding" } else { "detection_finding" }.into(),
        rule: first(&event, &["finding_info.analytic.uid", "finding_info.analytic.name"]),
        title,
        description: first(&event, &["finding_info.desc", "message"]).unwrap_or_default(),
        severity: severity(&event),
        event_time: time,
        tags,
        observables: obs,
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}
