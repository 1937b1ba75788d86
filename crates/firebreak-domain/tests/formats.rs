//! The adapters over realistic sample files of each format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use firebreak_domain::formats::{Format, MapError, Mapped, map};
use serde_json::{Value, json};

fn lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/intake/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Maps every line; returns the alerts and the number skipped, and checks
/// what must hold of every alert of every format.
fn map_all(format: Format, name: &str) -> (Vec<Value>, usize) {
    let mut alerts = Vec::new();
    let mut skipped = 0;
    for event in lines(name) {
        match map(format, event.clone()) {
            Ok(Mapped::Alert(a)) => {
                assert_eq!(a["raw"], event, "the raw event is kept as received");
                let again = match map(format, event.clone()) {
                    Ok(Mapped::Alert(b)) => b,
                    other => panic!("{other:?}"),
                };
                assert_eq!(a["source_ref"], again["source_ref"], "the same line, the same reference");
                let native: firebreak_types::NewAlert =
                    serde_json::from_value(a.clone()).unwrap_or_else(|e| panic!("{name}: {e}: {a}"));
                assert!(!native.title.is_empty() && !native.source_ref.is_empty());
                alerts.push(a);
            }
            Ok(Mapped::Skip(reason)) => {
                assert!(!reason.is_empty());
                skipped += 1;
            }
            Err(e) => panic!("{name}: {e:?}"),
        }
    }
    (alerts, skipped)
}

fn has(a: &Value, kind: &str, value: &str) -> bool {
    a["observables"].as_array().unwrap().iter().any(|o| o["type"] == kind && o["value"] == value)
}

#[test]
fn elastic_security_alerts() {
    let (alerts, skipped) = map_all(Format::Ecs, "ecs.ndjson");
    assert_eq!((alerts.len(), skipped), (6, 0));
    let a = &alerts[0];
    assert_eq!(a["source"], "elastic");
    assert_eq!(a["title"], "Suspicious PowerShell Encoded Command");
    assert_eq!(
        (a["severity"].as_str(), a["rule"].as_str()),
        (Some("high"), Some("9a1a2dae-0b5f-4c3d-8305-a268d404c306"))
    );
    assert_eq!(a["event_time"], "2026-11-20T09:10:01Z");
    assert!(a["tags"].as_array().unwrap().contains(&json!("attack.t1059.001")));
    assert!(has(a, "hostname", "WS-FIN-014") && has(a, "user_account", "CORP\\j.doe") && has(a, "ip", "10.20.3.40"));
    assert!(has(a, "process", "powershell.exe"));
    assert!(has(&alerts[2], "ip", "203.0.113.77"));
    assert!(has(&alerts[3], "domain", "aGVsbG8.tunnel.example.net"));
    assert!(has(&alerts[5], "url", "http://198.51.100.23/payload/stage2.ps1"));
    assert!(has(&alerts[5], "md5", "5d41402abc4b2a76b9719d911017c592"));
    assert_eq!(alerts[1]["severity"], "critical");
}

#[test]
fn ocsf_findings() {
    let (alerts, skipped) = map_all(Format::Ocsf, "ocsf.ndjson");
    assert_eq!((alerts.len(), skipped), (4, 1), "the network activity record is skipped");
    let a = &alerts[0];
    assert_eq!(a["source"], "ocsf:crowdstrike falcon");
    assert_eq!((a["severity"].as_str(), a["rule"].as_str()), (Some("high"), Some("falcon-1000")));
    assert_eq!(a["event_time"], "2025-11-20T09:13:20Z");
    assert!(a["tags"].as_array().unwrap().contains(&json!("attack.t1003.001")));
    assert!(
        has(a, "hostname", "LAPTOP-7Q2K")
            && has(a, "ip", "198.51.100.60")
            && has(a, "md5", "44d88612fea8a8f36de82e1278abb02f")
    );
    assert!(has(a, "process", "mimikatz.exe") && has(a, "user_account", "CORP\\p.martin"));
    assert_eq!(alerts[2]["severity"], "critical");
    assert_eq!(alerts[3]["type"], "incident_finding");
    assert!(has(&alerts[3], "user_account", "deploy-bot"));
}

#[test]
fn wazuh_alerts() {
    let (alerts, skipped) = map_all(Format::Wazuh, "wazuh-alerts.json");
    assert_eq!((alerts.len(), skipped), (8, 0));
    let a = &alerts[1];
    assert_eq!((a["source"].as_str(), a["rule"].as_str()), (Some("wazuh"), Some("5712")));
    assert_eq!((a["severity"].as_str(), a["event_time"].as_str()), (Some("medium"), Some("2026-11-21T14:21:51.553Z")));
    assert!(has(a, "ip", "198.51.100.14") && has(a, "hostname", "web-01") && has(a, "user_account", "oracle"));
    assert!(a["tags"].as_array().unwrap().contains(&json!("attack.t1110")));
    assert!(has(&alerts[3], "file_path", "/etc/passwd") && has(&alerts[3], "md5", "7c6a180b36896a0a8c02787eeafb0e4c"));
    let win = &alerts[4];
    assert_eq!(win["severity"], "high");
    assert!(
        has(win, "file_path", "C:\\Windows\\System32\\cmd.exe")
            && has(win, "sha1", "99ae9c8c6f0b1a9fbb1d4ae3f11a6dd2f3e2b8f7")
    );
    assert!(has(&alerts[5], "user_account", "CORP\\adm.jdoe"));
    assert_eq!(alerts[6]["severity"], "critical");
    assert_eq!(alerts[0]["severity"], "low");
}

#[test]
fn suricata_eve() {
    let (alerts, skipped) = map_all(Format::Suricata, "suricata-eve.json");
    assert_eq!((alerts.len(), skipped), (6, 4), "flow, dns, http and stats records are skipped");
    let a = &alerts[0];
    assert_eq!((a["severity"].as_str(), a["rule"].as_str()), (Some("medium"), Some("2024897")));
    assert!(has(a, "domain", "update.badcdn.example") && has(a, "url", "http://update.badcdn.example/check?id=42"));
    assert!(has(a, "ip", "10.1.5.23") && has(a, "ip", "198.51.100.8"));
    assert_eq!(alerts[1]["severity"], "high");
    assert!(alerts[1]["tags"].as_array().unwrap().contains(&json!("attack.t1071")));
    assert!(has(&alerts[1], "domain", "cdn.beacon-c2.example"));
    assert!(has(&alerts[3], "md5", "098f6bcd4621d373cade4e832627b4f6"));
    assert!(!has(&alerts[3], "domain", "192.0.2.44"), "an address is not a domain");
    assert!(has(&alerts[4], "domain", "abcdefghijklmnop.onion.example"));
    assert_eq!(alerts[2]["custom_fields"]["dest_port"], 445);
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
    assert_eq!(err(Format::Wazuh, level).field, "rule.level");
    let mut no_id = ok.clone();
    no_id.as_object_mut().unwrap().remove("id");
    let e = err(Format::Wazuh, no_id);
    assert_eq!(e.field, "id");
    assert!(e.reason.contains("missing"), "{}", e.reason);
    let mut when = ok.clone();
    when["timestamp"] = json!("last tuesday");
    assert_eq!(err(Format::Wazuh, when).field, "timestamp");
    assert!(err(Format::Suricata, json!([1, 2])).reason.contains("JSON object"));
    assert!("splunk".parse::<Format>().unwrap_err().contains("known: native, ecs, ocsf, wazuh, suricata"));
    assert_eq!(map(Format::Native, json!({ "a": 1 })), Ok(Mapped::Alert(json!({ "a": 1 }))));
}
