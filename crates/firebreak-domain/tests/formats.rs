//! The adapters over sample files of each format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use firebreak_domain::formats::{Format, MapError, Mapped, map};
use serde_json::{Value, json};

fn lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/intake/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Maps every line; returns the alerts and the number skipped, and checks
/// what must hold of every alert of every format.
fn map_all(format: Format, name: &str) -> (Vec<Value>, usize) {
    let mut alerts = Vec::new();
    let mut skipped = 0;
    for (i, event) in lines(name).into_iter().enumerate() {
        match map(format, event.clone()) {
            Ok(Mapped::Alert(a)) => {
                assert_eq!(a["raw"], event, "{name}:{}: the raw event is kept as received", i + 1);
                let Ok(Mapped::Alert(again)) = map(format, event.clone()) else { panic!("{name}:{}", i + 1) };
                assert_eq!(a, again, "{name}:{}: the same line maps the same way", i + 1);
                let native: firebreak_types::NewAlert =
                    serde_json::from_value(a.clone()).unwrap_or_else(|e| panic!("{name}:{}: {e}: {a}", i + 1));
                assert!(!native.title.is_empty() && !native.source_ref.is_empty());
                assert!(!native.observables.is_empty(), "{name}:{}: no observables", i + 1);
                for o in &native.observables {
                    let kind: firebreak_domain::observable::ObservableKind = o.kind.parse().unwrap();
                    firebreak_domain::observable::normalise(kind, &o.value)
                        .unwrap_or_else(|e| panic!("{name}:{}: {o:?}: {e:?}", i + 1));
                }
                alerts.push(a);
            }
            Ok(Mapped::Skip(reason)) => {
                assert!(reason.ends_with("not an alert") || reason.contains("is not a"), "{reason}");
                skipped += 1;
            }
            Err(e) => panic!("{name}:{}: {e:?}", i + 1),
        }
    }
    let mut refs: Vec<&str> = alerts.iter().map(|a| a["source_ref"].as_str().unwrap()).collect();
    refs.sort_unstable();
    refs.dedup();
    assert_eq!(refs.len(), alerts.len(), "{name}: every alert has its own reference");
    (alerts, skipped)
}

fn has(a: &Value, kind: &str, value: &str) -> bool {
    a["observables"].as_array().unwrap().iter().any(|o| o["type"] == kind && o["value"] == value)
}

fn kinds(a: &Value, kind: &str) -> usize {
    a["observables"].as_array().unwrap().iter().filter(|o| o["type"] == kind).count()
}

fn tagged(a: &Value, tag: &str) -> bool {
    a["tags"].as_array().unwrap().contains(&json!(tag))
}

#[test]
fn elastic_security_alerts() {
    let (alerts, skipped) = map_all(Format::Ecs, "ecs.ndjson");
    assert_eq!((alerts.len(), skipped), (6, 0));
    let a = &alerts[0];
    assert_eq!((a["source"].as_str(), a["type"].as_str()), (Some("elastic"), Some("query")));
    assert_eq!(a["source_ref"], "3c9f4a1e7b2d4f60a8e5c1d2b3a49f01e6d7c8b9a0f1e2d3c4b5a69788f7e6d5");
    assert_eq!(a["title"], "Suspicious PowerShell Encoded Command");
    assert_eq!(
        (a["severity"].as_str(), a["rule"].as_str()),
        (Some("high"), Some("b1e2c4d6-7f80-4a1b-9c2d-3e4f5a6b7c8d"))
    );
    assert_eq!(a["event_time"], "2026-11-20T09:10:01Z", "the original event's time, not the alert's");
    assert!(a["description"].as_str().unwrap().starts_with("process event with process powershell.exe"));
    assert!(tagged(a, "attack.t1059") && tagged(a, "attack.t1059.001") && tagged(a, "OS: Windows"));
    assert!(has(a, "user_account", "CORP\\j.doe") && has(a, "process", "powershell.exe"));
    assert!(has(a, "ip", "10.20.3.40"), "host.ip as an array");
    assert!(!has(a, "ip", "fe80::8d4a:2c1f:9e0b:5a17"), "a link-local address names no host");
    assert_eq!(kinds(a, "hostname"), 1, "host.name and host.hostname are one host");
    assert!(has(a, "sha256", "de96a6e69944335375dc1ac238336066889d9ffc7d73628ef4fe1b1b160ab32c"));
    assert!(a["custom_fields"]["process.command_line"].as_str().unwrap().contains("-EncodedCommand"));

    assert_eq!(alerts[1]["severity"], "critical");
    assert_eq!(kinds(&alerts[1], "md5") + kinds(&alerts[1], "sha1") + kinds(&alerts[1], "sha256"), 3);
    let net = &alerts[2];
    assert!(has(net, "ip", "203.0.113.77") && has(net, "domain", "sync.cloudfront-cdn.example"));
    assert_eq!(net["custom_fields"]["destination.port"], 443);
    assert!(!net["observables"].to_string().contains("51544"), "ports are not observables");
    // Every key nested rather than dotted.
    let dns = &alerts[3];
    assert_eq!((dns["severity"].as_str(), dns["type"].as_str()), (Some("low"), Some("threshold")));
    assert!(has(dns, "domain", "mzxw6ytboi.q7.exfil-relay.example") && tagged(dns, "attack.t1071.004"));
    // No severity word: event.severity 55 is high.
    let reg = &alerts[4];
    assert_eq!(reg["severity"], "high");
    assert!(reg["observables"].to_string().contains("CurrentVersion\\\\Run\\\\OneDriveSync"));
    // registry.path, and the key the command line names (`reg add HKCU\…\Run`).
    assert_eq!(kinds(reg, "registry_key"), 2);
    // A search hit: its _id is the reference, its _source the document.
    let hit = &alerts[5];
    assert_eq!(hit["source_ref"], "f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f809");
    assert_eq!(hit["rule"], "33f306e8-417c-411b-965c-c2812d6d3f4d");
    assert!(has(hit, "url", "http://198.51.100.23/dl/stage2.ps1") && has(hit, "filename", "stage2.ps1"));
    assert!(has(hit, "file_path", "C:\\Users\\j.doe\\AppData\\Local\\Temp\\stage2.ps1"));
    assert!(
        has(hit, "md5", "32af39350589f4d7ac84452463f2f15e") && has(hit, "email", "accounts@invoice-portal.example")
    );
    assert!(tagged(hit, "attack.t1105"));
}

#[test]
fn ocsf_findings() {
    let (alerts, skipped) = map_all(Format::Ocsf, "ocsf.ndjson");
    assert_eq!((alerts.len(), skipped), (4, 1), "the network activity record is skipped");
    let a = &alerts[0];
    assert_eq!(
        (a["source"].as_str(), a["type"].as_str()),
        (Some("ocsf:crowdstrike falcon"), Some("detection_finding"))
    );
    assert_eq!(a["source_ref"], "ldt:4c1a9e0b7d2f4a56:8843200113");
    assert_eq!((a["severity"].as_str(), a["rule"].as_str()), (Some("high"), Some("falcon-10402")));
    assert_eq!(a["event_time"], "2026-11-20T09:13:20Z");
    assert!(tagged(a, "attack.t1003") && tagged(a, "attack.t1003.001"));
    assert!(has(a, "hostname", "laptop-7q2k") && has(a, "ip", "10.30.1.10"));
    assert!(has(a, "md5", "beb8daac6a27805dada8dc3ad79c8a4a"), "a listed hash, its MD5: label dropped");
    assert!(has(a, "sha256", "7c987177422ee984adcacd517d557c303796ba0004383e5e65c71607755ad156"), "an evidence's hash");
    assert!(has(a, "process", "mmc-helper.exe") && has(a, "user_account", "CORP\\p.martin"));
    assert!(has(a, "file_path", "C:\\Users\\Public\\Libraries\\mmc-helper.exe"));

    let wmi = &alerts[1];
    assert_eq!((wmi["severity"].as_str(), wmi["rule"].as_str()), (Some("medium"), Some("WmiPersistence")));
    assert!(has(wmi, "registry_key", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Wbem\\ESS"));
    assert!(has(wmi, "sha1", "bd00af971c3c6aea78de91f819ba4d4f253b7ac8"));
    assert_eq!(alerts[2]["severity"], "critical", "severity_id 99 falls back on the caption");
    assert!(has(&alerts[2], "ip", "10.30.1.88"), "an evidence's endpoint");
    let incident = &alerts[3];
    assert_eq!(
        (incident["type"].as_str(), incident["severity"].as_str()),
        (Some("incident_finding"), Some("critical"))
    );
    assert!(has(incident, "user_account", "deploy-bot") && has(incident, "ip", "203.0.113.200"));
    assert!(!incident["observables"].to_string().contains("111122223333"), "resource ids are not observables");
}

#[test]
fn wazuh_alerts() {
    let (alerts, skipped) = map_all(Format::Wazuh, "wazuh-alerts.json");
    assert_eq!((alerts.len(), skipped), (8, 0));
    let severities: Vec<&str> = alerts.iter().map(|a| a["severity"].as_str().unwrap()).collect();
    assert_eq!(severities, ["low", "medium", "medium", "medium", "high", "medium", "critical", "high"]);
    let a = &alerts[1];
    assert_eq!((a["source"].as_str(), a["rule"].as_str()), (Some("wazuh"), Some("5712")));
    assert_eq!(a["source_ref"], "wazuh-manager-01:003:5712:1763734867.49188", "manager, agent, rule and id");
    assert_eq!(a["event_time"], "2026-11-21T14:21:07.91Z", "the +0000 offset read");
    assert!(has(a, "ip", "198.51.100.14") && has(a, "hostname", "web-01") && has(a, "user_account", "oracle"));
    assert!(tagged(a, "attack.t1110") && tagged(a, "authentication_failures"));
    assert_eq!(a["custom_fields"]["agent.id"], "003");
    assert_eq!(a["custom_fields"]["decoder.name"], "sshd");
    assert_eq!(kinds(&alerts[2], "url"), 0, "a bare path is not a URL");
    let fim = &alerts[3];
    assert!(has(fim, "file_path", "/etc/passwd") && has(fim, "md5", "ba1b89f731e0c0f20f32b517992a820c"));
    assert!(has(fim, "sha256", "9dd739b016bfacff9594029f53f0894f7e7b92c6763da05064fd0c881a30882f"));
    let sysmon = &alerts[4];
    assert!(has(sysmon, "file_path", "C:\\Windows\\System32\\cmd.exe") && has(sysmon, "process", "cmd.exe"));
    assert!(
        has(sysmon, "sha1", "e10d40500961f9711c2225c323ca7a366f7f8071") && has(sysmon, "user_account", "CORP\\r.lee")
    );
    assert_eq!(kinds(sysmon, "md5"), 1, "the import hash is not a file hash");
    assert!(has(sysmon, "hostname", "ws-acc-031.corp.example"));
    assert!(!sysmon["observables"].to_string().contains("whoami"), "a command line is not an observable");
    assert_eq!(sysmon["custom_fields"]["data.win.eventdata.commandLine"], "cmd.exe /c whoami /all");
    assert!(sysmon["description"].as_str().unwrap().starts_with("Process Create:"));
    let logon = &alerts[5];
    assert!(has(logon, "user_account", "CORP\\adm.jdoe") && has(logon, "ip", "203.0.113.45"));
    assert_eq!(kinds(logon, "user_account"), 1, "the `-` subject is no one");
    assert!(has(
        &alerts[6],
        "registry_key",
        "HKEY_USERS\\S-1-5-21-3623811015-3361044348-30300820-1107\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater"
    ));
    assert!(
        has(&alerts[7], "file_path", "/tmp/.x/kworker") && has(&alerts[7], "md5", "1e0cea0ef8d603f54b7e045fca1c277d")
    );
}

#[test]
fn suricata_eve() {
    let (alerts, skipped) = map_all(Format::Suricata, "suricata-eve.json");
    assert_eq!((alerts.len(), skipped), (6, 4), "flow, dns, http and stats records are skipped");
    let a = &alerts[0];
    assert_eq!((a["severity"].as_str(), a["rule"].as_str()), (Some("medium"), Some("2024897")));
    assert_eq!(a["source_ref"], "1739403522874551:2024897:2026-11-22T08:15:03.412233+0000:0");
    assert_eq!(a["event_time"], "2026-11-22T08:15:03.412233Z");
    assert!(
        has(a, "domain", "update.badcdn.example") && has(a, "url", "http://update.badcdn.example/check?id=42&os=win")
    );
    assert!(has(a, "ip", "10.1.5.23") && has(a, "ip", "198.51.100.8"));
    assert_eq!(
        (a["custom_fields"]["src_port"].as_i64(), a["custom_fields"]["dest_port"].as_i64()),
        (Some(49822), Some(80))
    );
    assert_eq!(a["custom_fields"]["flow_id"], 1739403522874551_i64);
    assert_eq!(a["description"], "TCP 10.1.5.23:49822 → 198.51.100.8:80 (http), allowed.");
    let beacon = &alerts[1];
    assert_eq!(beacon["severity"], "high");
    assert!(tagged(beacon, "attack.t1071.001") && tagged(beacon, "A Network Trojan was detected"));
    assert!(has(beacon, "domain", "cdn.beacon-c2.example"));
    assert_eq!(beacon["source_ref"], "1420558093117204:2035465:2026-11-22T08:16:41.077902+0000", "no tx_id");
    let download = &alerts[3];
    assert_eq!(download["severity"], "low");
    assert!(has(download, "url", "http://192.0.2.44:8080/files/invoice_88213.exe"));
    assert!(has(download, "filename", "invoice_88213.exe") && has(download, "md5", "614a3c027d1f980e624d8a994c54aa6a"));
    assert_eq!(kinds(download, "domain"), 0, "an address is not a domain");
    assert!(has(&alerts[4], "domain", "xq3v7kz2mp4l.onion.example"));
    assert!(has(&alerts[5], "ip", "2001:db8:5::17"));
}

fn err(format: Format, v: Value) -> MapError {
    match map(format, v) {
        Err(e) => e,
        Ok(m) => panic!("mapped: {m:?}"),
    }
}

#[test]
fn what_cannot_be_mapped_names_the_field() {
    let ok = lines("wazuh-alerts.json").remove(0);
    let mut level = ok.clone();
    level["rule"]["level"] = json!(99);
    let e = err(Format::Wazuh, level);
    assert_eq!(e.field, "rule.level");
    assert!(e.reason.contains("0 to 15") && e.reason.contains("99"), "{}", e.reason);
    let mut no_id = ok.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let e = err(Format::Wazuh, no_id);
    assert_eq!(e.field, "id");
    assert!(e.reason.starts_with("id is missing"), "{}", e.reason);
    let mut no_title = ok.clone();
    no_title["rule"].as_object_mut().unwrap().remove("description");
    let e = err(Format::Wazuh, no_title);
    assert_eq!(e.reason, "rule.description is missing: a Wazuh alert needs it as its title");
    let mut when = ok.clone();
    when["timestamp"] = json!("last tuesday");
    assert_eq!(err(Format::Wazuh, when).field, "timestamp");

    let mut eve = lines("suricata-eve.json").remove(0);
    eve["timestamp"] = json!("22/Nov/2026:08:15:03");
    assert_eq!(err(Format::Suricata, eve).field, "timestamp");
    let mut ecs = lines("ecs.ndjson").remove(0);
    ecs["kibana.alert.original_time"] = json!("soon");
    assert_eq!(err(Format::Ecs, ecs).field, "kibana.alert.original_time");
    let mut ocsf = lines("ocsf.ndjson").remove(0);
    ocsf["finding_info"].as_object_mut().unwrap().remove("uid");
    assert_eq!(err(Format::Ocsf, ocsf).field, "finding_info.uid");

    for format in [Format::Ecs, Format::Ocsf, Format::Wazuh, Format::Suricata] {
        let e = err(format, json!([1, 2]));
        assert_eq!(e.field, ".");
        assert!(e.reason.contains("JSON object"), "{}", e.reason);
        assert_eq!(e.to_string(), e.reason);
    }
}

#[test]
fn formats_by_name() {
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>(), Ok(*f));
    }
    assert_eq!(" Wazuh ".parse::<Format>(), Ok(Format::Wazuh));
    assert_eq!(
        "splunk".parse::<Format>().unwrap_err(),
        "unknown format \"splunk\" (known: native, ecs, ocsf, wazuh, suricata)"
    );
    let native = json!({ "anything": [1, 2] });
    assert_eq!(map(Format::Native, native.clone()), Ok(Mapped::Alert(native)));
}
