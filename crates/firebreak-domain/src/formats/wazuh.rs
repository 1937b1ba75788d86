//! Wazuh alerts: the JSON lines of the manager's `alerts.json`.

use firebreak_types::Severity;
use serde_json::{Map, Value};

use super::fields::{Native, Observables, attack_tag, first, get, keep, required, text, texts, timestamp};
use super::{MapError, Mapped};
use crate::observable::ObservableKind as K;

/// Wazuh rule levels (0–15) as severities:
///
/// | `rule.level` | severity |
/// |--------------|----------|
/// | 0–6          | low      |
/// | 7–10         | medium   |
/// | 11–13        | high     |
/// | 14–15        | critical |
///
/// Anything else is an error naming `rule.level`.
fn severity(event: &Value) -> Result<Severity, MapError> {
    let level = match get(event, "rule.level") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None | Some(Value::Null) => {
            return Err(MapError::new("rule.level", "rule.level is missing: a Wazuh alert needs it for its severity"));
        }
        Some(_) => None,
    };
    match level {
        Some(0..=6) => Ok(Severity::Low),
        Some(7..=10) => Ok(Severity::Medium),
        Some(11..=13) => Ok(Severity::High),
        Some(14..=15) => Ok(Severity::Critical),
        _ => {
            let got = get(event, "rule.level").map(Value::to_string).unwrap_or_default();
            Err(MapError::new("rule.level", format!("rule.level must be a whole number from 0 to 15 (got {got})")))
        }
    }
}

/// Sysmon's hash lists (`SHA1=…,MD5=…,SHA256=…,IMPHASH=…`). The import hash
/// is not the file's hash, so it is left out.
fn sysmon_hashes(list: &str, obs: &mut Observables) {
    for part in list.split(',') {
        if let Some((algorithm, hash)) = part.split_once('=')
            && matches!(algorithm.trim().to_ascii_uppercase().as_str(), "MD5" | "SHA1" | "SHA256")
        {
            obs.add_hash(Some(hash.to_owned()));
        }
    }
}

/// `DOMAIN\user` when the event names the domain apart.
fn account(event: &Value, user: &str, domain: &str) -> Option<String> {
    let u = text(event, user)?;
    Some(match text(event, domain) {
        Some(d) if !u.contains('\\') => format!("{d}\\{u}"),
        _ => u,
    })
}

/// What Windows events (through the eventchannel decoder) name.
fn windows(event: &Value, obs: &mut Observables) {
    let data = |field: &str| text(event, &format!("data.win.eventdata.{field}"));
    obs.add_host(text(event, "data.win.system.computer"));
    obs.add(K::UserAccount, account(event, "data.win.eventdata.targetUserName", "data.win.eventdata.targetDomainName"));
    obs.add(
        K::UserAccount,
        account(event, "data.win.eventdata.subjectUserName", "data.win.eventdata.subjectDomainName"),
    );
    obs.add(K::UserAccount, data("user"));
    for field in ["ipAddress", "sourceIp", "destinationIp"] {
        obs.add(K::Ip, data(field));
    }
    obs.add_host(data("destinationHostname"));
    obs.add(K::Domain, data("queryName"));
    // A process image is both the process (by its name) and a file on disk.
    if let Some(image) = data("image") {
        obs.add(K::Process, image.rsplit('\\').next().map(str::to_owned));
        obs.add(K::FilePath, Some(image));
    }
    obs.add(K::FilePath, data("targetFilename"));
    obs.add(K::RegistryKey, data("targetObject"));
    if let Some(h) = data("hashes") {
        sysmon_hashes(&h, obs);
    }
}

/// The alert's reference: the manager, the agent, the rule and the alert
/// `id`, as `manager:agent:rule:id`. Wazuh's `id` is the second the alert
/// was written and its offset in that manager's `alerts.json`, so it is
/// unique on one manager only: the managers of a cluster, and Wazuh's own
/// sample alerts, reuse it for alerts of other agents and rules. A part
/// the alert lacks is `-`; the same alert sent again has the same reference.
fn source_ref(event: &Value, id: &str) -> String {
    let part = |paths: &[&str]| first(event, paths).unwrap_or_else(|| "-".to_owned());
    format!("{}:{}:{}:{id}", part(&["manager.name", "cluster.node"]), part(&["agent.id"]), part(&["rule.id"]))
}

/// Text the eventchannel decoder kept in the quotes it came in, without them.
fn unquoted(text: String) -> String {
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).map(str::to_owned).unwrap_or(text)
}

/// What happened, in words. A Windows event (the eventchannel decoder's
/// `data.win`) is its rendered message, or, when the agent sent none, a line
/// naming the channel, the event id, the provider and the computer: its
/// `full_log` is the event again as JSON, no reading for an analyst. Other
/// alerts carry the log line that raised them in `full_log`.
fn description(event: &Value) -> String {
    if get(event, "data.win.system").is_some_and(Value::is_object) {
        if let Some(message) = text(event, "data.win.system.message").map(unquoted).filter(|m| !m.trim().is_empty()) {
            return message;
        }
        return windows_summary(event);
    }
    text(event, "full_log").map(unquoted).unwrap_or_default()
}

/// `Security event 4625 from Microsoft-Windows-Security-Auditing on client1`,
/// with the parts the event has.
fn windows_summary(event: &Value) -> String {
    let system = |field: &str| text(event, &format!("data.win.system.{field}"));
    let mut line = match system("channel") {
        Some(channel) => format!("{channel} event"),
        None => "Windows event".to_owned(),
    };
    if let Some(id) = system("eventID") {
        line.push(' ');
        line.push_str(&id);
    }
    if let Some(provider) = system("providerName") {
        line.push_str(" from ");
        line.push_str(&provider);
    }
    if let Some(computer) = system("computer") {
        line.push_str(" on ");
        line.push_str(&computer);
    }
    line
}

pub fn map(event: Value) -> Result<Mapped, MapError> {
    let id = required(&event, "id", "a Wazuh alert needs its id as its reference")?;
    let source_ref = source_ref(&event, &id);
    let title = required(&event, "rule.description", "a Wazuh alert needs it as its title")?;
    let severity = severity(&event)?;
    let event_time = text(&event, "timestamp").map(|t| timestamp(&t, "timestamp")).transpose()?;
    let mut tags = texts(&event, "rule.groups");
    tags.extend(texts(&event, "rule.mitre.id").iter().filter_map(|id| attack_tag(id)));
    let mut obs = Observables::default();
    obs.add_host(text(&event, "agent.name"));
    obs.add(K::Ip, text(&event, "agent.ip"));
    obs.add(K::Ip, text(&event, "data.srcip"));
    obs.add(K::Ip, text(&event, "data.dstip"));
    obs.add(K::UserAccount, text(&event, "data.srcuser"));
    obs.add(K::UserAccount, text(&event, "data.dstuser"));
    // Web access logs decode `url` as the path alone; only a whole URL is one.
    obs.add(K::Url, text(&event, "data.url"));
    windows(&event, &mut obs);
    obs.add(K::FilePath, text(&event, "syscheck.path"));
    // The VirusTotal integration names the file it looked up.
    obs.add(K::FilePath, text(&event, "data.virustotal.source.file"));
    for h in [
        "syscheck.md5_after",
        "syscheck.sha1_after",
        "syscheck.sha256_after",
        "data.virustotal.source.md5",
        "data.virustotal.source.sha1",
    ] {
        obs.add_hash(text(&event, h));
    }
    let mut custom = Map::new();
    keep(
        &event,
        &mut custom,
        &[
            "agent.id",
            "manager.name",
            "location",
            "decoder.name",
            "rule.firedtimes",
            "data.srcport",
            "data.dstport",
            "data.win.system.eventID",
            "data.win.eventdata.commandLine",
            "syscheck.event",
        ],
    );
    let native = Native {
        source: "wazuh".into(),
        source_ref,
        kind: text(&event, "decoder.name")
            .or_else(|| texts(&event, "rule.groups").into_iter().next())
            .unwrap_or_else(|| "wazuh".into()),
        rule: text(&event, "rule.id"),
        title,
        description: description(&event),
        severity,
        event_time,
        tags,
        observables: obs,
        custom_fields: custom,
    };
    Ok(Mapped::Alert(native.into_json(event)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_level_table() {
        let sev = |level: Value| severity(&json!({ "rule": { "level": level } })).map(|s| format!("{s:?}"));
        for (level, want) in [(0, "Low"), (6, "Low"), (7, "Medium"), (10, "Medium"), (11, "High"), (13, "High")] {
            assert_eq!(sev(json!(level)).unwrap(), want, "{level}");
        }
        assert_eq!(sev(json!(14)).unwrap(), "Critical");
        assert_eq!(sev(json!("15")).unwrap(), "Critical");
        for bad in [json!(16), json!(-1), json!(7.5), json!("high"), json!(true)] {
            let e = sev(bad.clone()).unwrap_err();
            assert_eq!(e.field, "rule.level");
            assert!(e.reason.contains("0 to 15"), "{bad}: {}", e.reason);
        }
        assert!(severity(&json!({})).unwrap_err().reason.contains("missing"));
    }

    #[test]
    fn sysmon_hashes_without_the_import_hash() {
        let mut obs = Observables::default();
        sysmon_hashes(
            "SHA1=8F3C2E1D0B9A7C6E5D4F3A2B1C0D9E8F7A6B5C4D,IMPHASH=1F2E3D4C5B6A79880716253443526170",
            &mut obs,
        );
        assert_eq!(obs.pairs(), [("sha1", "8f3c2e1d0b9a7c6e5d4f3a2b1c0d9e8f7a6b5c4d")]);
    }

    #[test]
    fn domain_and_user_join_once() {
        let e = json!({ "u": "CORP\\a", "v": "b", "d": "CORP" });
        assert_eq!(account(&e, "u", "d").as_deref(), Some("CORP\\a"));
        assert_eq!(account(&e, "v", "d").as_deref(), Some("CORP\\b"));
        assert_eq!(account(&e, "v", "none").as_deref(), Some("b"));
    }
}
