//! Wazuh alerts: the JSON lines of `alerts.json`.

use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, first, get, keep, required, text, texts, timestamp};
use super::{MapError, Mapped};

/// Wazuh rule levels (0–15) as severities:
///
/// | level  | severity |
/// |--------|----------|
/// | 0–6    | low      |
/// | 7–10   | medium   |
/// | 11–13  | high     |
/// | 14–15  | critical |
fn severity(event: &Value) -> Result<&'static str, MapError> {
    let bad = || MapError::new("rule.level", "rule.level must be a whole number from 0 to 15");
    let level = match get(event, "rule.level") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad())?,
        _ => return Err(MapError::new("rule.level", "rule.level is missing: a Wazuh alert needs it for its severity")),
    };
    match level {
        0..=6 => Ok("low"),
        7..=10 => Ok("medium"),
        11..=13 => Ok("high"),
        14..=15 => Ok("critical"),
        _ => Err(bad()),
    }
}

/// Sysmon's `SHA256=…,MD5=…` lists.
fn hashes(list: &str, obs: &mut Observables) {
    for part in list.split(',') {
        if let Some((_, h)) = part.split_once('=') {
            obs.add_hash(Some(h.to_owned()));
        }
    }
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let source_ref = required(&event, "id", "a Wazuh alert needs its id")?;
    let title = required(&event, "rule.description", "a Wazuh alert needs it as its title")?;
    let severity = severity(&event)?;
    let time = text(&event, "timestamp").map(|t| timestamp(&t, "timestamp")).transpose()?;
    let mut tags = texts(&event, "rule.groups");
    tags.extend(texts(&event, "rule.mitre.id").iter().filter_map(|id| attack_tag(id)));
    let mut obs = Observables::default();
    obs.add("hostname", text(&event, "agent.name"));
    obs.add("ip", text(&event, "agent.ip"));
    obs.add("ip", text(&event, "data.srcip"));
    obs.add("ip", text(&event, "data.dstip"));
    obs.add("user_account", text(&event, "data.srcuser"));
    obs.add("user_account", text(&event, "data.dstuser"));
    obs.add("url", text(&event, "data.url"));
    let win = "data.win.eventdata";
    obs.add(
        "user_account",
        text(&event, &format!("{win}.targetUserName")).map(|u| {
            match text(&event, &format!("{win}.targetDomainName")) {
                Some(d) => format!("{d}\\{u}"),
                None => u,
            }
        }),
    );
    obs.add("ip", text(&event, &format!("{win}.ipAddress")));
    obs.add("file_path", text(&event, &format!("{win}.image")));
    obs.add("file_path", text(&event, &format!("{win}.targetFilename")));
    obs.add("hostname", text(&event, "data.win.system.computer"));
    obs.add("domain", text(&event, &format!("{win}.queryName")));
    if let Some(h) = text(&event, &format!("{win}.hashes")) {
        hashes(&h, &mut obs);
    }
    obs.add("file_path", text(&event, "syscheck.path"));
    for h in ["syscheck.md5_after", "syscheck.sha1_after", "syscheck.sha256_after"] {
        obs.add_hash(text(&event, h));
    }
    let mut custom = Map::new();
    keep(
        &event,
        &mut custom,
        &["agent.id", "manager.name", "location", "decoder.name", "rule.firedtimes", "data.srcport", "data.dstport"],
    );
    let native = Native {
        source: "wazuh".into(),
        source_ref,
        kind: first(&event, &["decoder.name", "rule.groups"]).unwrap_or_else(|| "wazuh".into()),
        rule: text(&event, "rule.id"),
        title,
        description: text(&event, "full_log").unwrap_or_default(),
        severity,
        event_time: time,
        tags,
        observables: obs,
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}
