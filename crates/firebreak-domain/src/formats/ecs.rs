//! Elastic Security alerts: the documents of the `.alerts-security.alerts-*`
//! indices, with `kibana.alert.*` fields beside the source event's ECS fields.

use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, first, get, keep, text, texts, timestamp};
use super::{MapError, Mapped};

/// `event.severity` (0–100, Elastic's risk-score scale) when the alert
/// carries no severity word.
fn severity(event: &Value) -> Result<&'static str, MapError> {
    if let Some(s) = first(event, &["kibana.alert.severity", "kibana.alert.rule.severity", "signal.rule.severity"]) {
        return match s.to_lowercase().as_str() {
            "low" => Ok("low"),
            "medium" => Ok("medium"),
            "high" => Ok("high"),
            "critical" => Ok("critical"),
            _ => Err(MapError::new(
                "kibana.alert.severity",
                format!("kibana.alert.severity must be low, medium, high or critical (got {s:?})"),
            )),
        };
    }
    match get(event, "event.severity").and_then(Value::as_i64) {
        Some(0..=21) | None => Ok("low"),
        Some(22..=47) => Ok("medium"),
        Some(48..=73) => Ok("high"),
        Some(_) => Ok("critical"),
    }
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let source_ref = first(&event, &["kibana.alert.uuid", "_id", "event.id"]).ok_or_else(|| {
        MapError::new(
            "kibana.alert.uuid",
            "kibana.alert.uuid is missing: an Elastic alert needs an id (or _id, or event.id)",
        )
    })?;
    let title = first(&event, &["kibana.alert.rule.name", "signal.rule.name", "message"]).ok_or_else(|| {
        MapError::new(
            "kibana.alert.rule.name",
            "kibana.alert.rule.name is missing: an Elastic alert needs it as its title",
        )
    })?;
    let time = match first(&event, &["kibana.alert.original_time", "@timestamp"]) {
        Some(t) => {
            let field = if text(&event, "kibana.alert.original_time").is_some() {
                "kibana.alert.original_time"
            } else {
                "@timestamp"
            };
            Some(timestamp(&t, field)?)
        }
        None => None,
    };
    let mut tags = texts(&event, "kibana.alert.rule.tags");
    if let Some(Value::Array(threats)) = get(&event, "kibana.alert.rule.threat") {
        for t in threats {
            if let Some(Value::Array(techniques)) = get(t, "technique") {
                for tech in techniques {
                    tags.extend(text(tech, "id").and_then(|id| attack_tag(&id)));
                    if let Some(Value::Array(subs)) = get(tech, "subtechnique") {
                        tags.extend(subs.iter().filter_map(|s| text(s, "id")).filter_map(|id| attack_tag(&id)));
                    }
                }
            }
        }
    }
    let mut obs = Observables::default();
    obs.add_all("ip", texts(&event, "source.ip"));
    obs.add_all("ip", texts(&event, "destination.ip"));
    obs.add_all("ip", texts(&event, "host.ip"));
    obs.add("hostname", first(&event, &["host.hostname", "host.name"]));
    obs.add("hostname", text(&event, "host.name"));
    let user = text(&event, "user.name").map(|u| match text(&event, "user.domain") {
        Some(d) => format!("{d}\\{u}"),
        None => u,
    });
    obs.add("user_account", user);
    obs.add("process", text(&event, "process.name"));
    obs.add("file_path", text(&event, "process.executable"));
    obs.add("file_path", text(&event, "file.path"));
    obs.add_file(text(&event, "file.name"));
    for h in [
        "file.hash.md5",
        "file.hash.sha1",
        "file.hash.sha256",
        "process.hash.md5",
        "process.hash.sha1",
        "process.hash.sha256",
    ] {
        obs.add_hash(text(&event, h));
    }
    obs.add("url", first(&event, &["url.full", "url.original"]));
    obs.add("domain", text(&event, "dns.question.name"));
    obs.add("domain", text(&event, "destination.domain"));
    obs.add_all("email", texts(&event, "email.from.address"));
    obs.add_all("email", texts(&event, "email.to.address"));
    let mut custom = Map::new();
    keep(
        &event,
        &mut custom,
        &[
            "kibana.alert.risk_score",
            "kibana.alert.workflow_status",
            "source.port",
            "destination.port",
            "process.command_line",
            "event.dataset",
        ],
    );
    let native = Native {
        source: "elastic".into(),
        source_ref,
        kind: first(&event, &["kibana.alert.rule.type", "event.kind"]).unwrap_or_else(|| "signal".into()),
        rule: first(&event, &["kibana.alert.rule.rule_id", "kibana.alert.rule.uuid", "kibana.alert.rule.name"]),
        title,
        description: first(&event, &["kibana.alert.reason", "kibana.alert.rule.description"]).unwrap_or_default(),
        severity: severity(&event)?,
        event_time: time,
        tags,
        observables: obs,
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}
