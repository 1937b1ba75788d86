//! The adapters over alerts as their real producers write them: public
//! samples in `tests/fixtures/real/<format>/`, their sources and licences in
//! the README beside them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use firebreak_domain::formats::{Format, MapError, Mapped, map};
use serde_json::{Value, json};

fn lines(path: &str) -> Vec<Value> {
    let path = format!("{}/tests/fixtures/real/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn alert(format: Format, event: Value) -> Value {
    match map(format, event.clone()) {
        Ok(Mapped::Alert(a)) => {
            let native: firebreak_types::NewAlert =
                serde_json::from_value(a.clone()).unwrap_or_else(|e| panic!("{e}: {a}"));
            assert!(!native.title.is_empty() && !native.source_ref.is_empty());
            assert_eq!(a["raw"], event, "the raw event is kept as received");
            a
        }
        other => panic!("not an alert: {other:?}"),
    }
}

fn skip(format: Format, event: Value) -> String {
    match map(format, event) {
        Ok(Mapped::Skip(reason)) => reason,
        other => panic!("not skipped: {other:?}"),
    }
}

fn error(format: Format, event: Value) -> MapError {
    match map(format, event) {
        Err(e) => e,
        other => panic!("mapped: {other:?}"),
    }
}

fn refs(alerts: &[Value]) -> Vec<&str> {
    let mut refs: Vec<&str> = alerts.iter().map(|a| a["source_ref"].as_str().unwrap()).collect();
    refs.sort_unstable();
    refs.dedup();
    refs
}

#[test]
fn wazuh_alerts_that_share_an_id_are_told_apart_by_manager_agent_and_rule() {
    let alerts: Vec<Value> =
        lines("wazuh/events-generator-alerts.json").into_iter().map(|e| alert(Format::Wazuh, e)).collect();
    assert_eq!(alerts.len(), 4);
    assert_eq!(refs(&alerts).len(), 4, "one id, four alerts: {:?}", refs(&alerts));
    assert_eq!(alerts[0]["source_ref"], "wazuh-manager:001:550:1580123327.49031");
    assert_eq!(alerts[1]["source_ref"], "wazuh-manager:004:510:1580123327.49031");
    assert_eq!(alerts[2]["source_ref"], "wazuh-manager:003:510:1580123327.49031");
    // A rootcheck alert's description is its log line.
    assert_eq!(alerts[1]["description"], "Rootkit 'Rh-Sharpe' detected by the presence of file '/usr/bin/.ps'.");

    let alerts: Vec<Value> =
        lines("wazuh/security-lake-readme-alerts.json").into_iter().map(|e| alert(Format::Wazuh, e)).collect();
    assert_eq!(refs(&alerts).len(), 3, "{:?}", refs(&alerts));
    assert_eq!(alerts[2]["source_ref"], "wazuh-manager:006:1740:1580123327.49031");
    assert_eq!(alerts[2]["event_time"], "2024-04-22T14:22:08.087Z");
}

#[test]
fn a_wazuh_windows_alert_is_described_by_its_message_not_its_json() {
    let events = lines("wazuh/eventchannel-documented.json");
    let with_message = alert(Format::Wazuh, events[0].clone());
    assert_eq!(with_message["description"], "Product: Dr. Memory -- Installation completed successfully.");
    let without = alert(Format::Wazuh, events[1].clone());
    assert_eq!(without["description"], "Application event 11707 from MsiInstaller on pcname");
    for a in [&with_message, &without] {
        assert!(!a["description"].as_str().unwrap().contains("{\""), "{}", a["description"]);
        assert_eq!(a["title"], "Application Installed Product: Dr. Memory -- Installation completed successfully.");
    }
    // The decoder keeps the message in the quotes it came in.
    let mut quoted = events[0].clone();
    quoted["data"]["win"]["system"]["message"] = json!("\"An account failed to log on.\r\n\r\nSubject:\"");
    assert_eq!(alert(Format::Wazuh, quoted)["description"], "An account failed to log on.\r\n\r\nSubject:");
}

#[test]
fn ocsf_times_in_seconds_and_time_dt() {
    let events = lines("ocsf/ocsf-examples.ndjson");
    // Okta (OCSF 1.3.0): `time` 1723564700 is seconds; `time_dt` says so too.
    let okta = alert(Format::Ocsf, events[0].clone());
    assert_eq!(okta["event_time"], "2024-08-13T15:58:20Z", "not January 1970");
    assert_eq!(okta["source_ref"], "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a");
    let mut seconds_only = events[0].clone();
    seconds_only.as_object_mut().unwrap().remove("time_dt");
    assert_eq!(alert(Format::Ocsf, seconds_only)["event_time"], "2024-08-13T15:58:20Z");
    // GuardDuty through Security Hub (OCSF 1.1.0): `time_dt` with its offset.
    let guardduty = alert(Format::Ocsf, events[2].clone());
    assert_eq!(guardduty["event_time"], "2023-09-19T11:05:22.487-04:00");
    // Prowler writes a passed check as a finding; it is skipped.
    let reason = skip(Format::Ocsf, events[1].clone());
    assert!(reason.contains("status_code PASS") && reason.contains("passed check"), "{reason}");
    // A failed one is read: `time` in seconds, since its `time_dt` has no
    // offset (it is the scanning host's local time, four hours off).
    let mut failed = events[1].clone();
    failed["status_code"] = json!("FAIL");
    let prowler = alert(Format::Ocsf, failed);
    assert_eq!(prowler["event_time"], "2024-10-04T13:49:02Z");
    assert_eq!(prowler["source"], "ocsf:prowler");
}

#[test]
fn ocsf_security_findings_of_ocsf_1_0_are_read() {
    let events = lines("ocsf/ocsf-examples.ndjson");
    let qradar = alert(Format::Ocsf, events[4].clone());
    assert_eq!((qradar["type"].as_str(), qradar["source_ref"].as_str()), (Some("security_finding"), Some("591")));
    assert_eq!(qradar["title"], "BLEEDING-EDGE DOS -ISC- ICMP blind TCP reset DoS guessing attempt");
    assert_eq!(qradar["event_time"], "2023-04-24T14:44:23.218Z");
    let falco = alert(Format::Ocsf, events[5].clone());
    assert_eq!(falco["source_ref"], "ec834826-90c1-458a-8eec-a014e7266754");
    assert_eq!(falco["title"], "Linux Kernel Module Injection Detected");
    assert!(falco["description"].as_str().unwrap().starts_with("Linux Kernel Module injection using insmod"));
    // Security Hub's control that passed is skipped.
    let reason = skip(Format::Ocsf, events[3].clone());
    assert!(reason.contains("compliance.status PASSED"), "{reason}");
    // So are vulnerability and compliance findings, with the reason.
    let reason = skip(Format::Ocsf, events[6].clone());
    assert!(reason.starts_with("class_uid 2002 (Vulnerability Finding) is not an alert: a vulnerability"), "{reason}");
    let reason = skip(Format::Ocsf, events[7].clone());
    assert!(reason.starts_with("class_uid 2003 (Compliance Finding) is not an alert"), "{reason}");
    let mut no_uid = events[5].clone();
    no_uid["finding"].as_object_mut().unwrap().remove("uid");
    assert_eq!(error(Format::Ocsf, no_uid).field, "finding.uid");
}

#[test]
fn ocsf_incident_findings_are_referenced_by_the_findings_they_list() {
    // An Incident Finding as the OCSF schema defines class 2005: no
    // finding_info of its own, its findings in finding_info_list.
    let incident = json!({
        "class_uid": 2005, "class_name": "Incident Finding", "category_uid": 2, "activity_id": 1,
        "type_uid": 200501, "status_id": 1, "severity_id": 4, "time": 1_723_564_700_000_i64,
        "desc": "Credential theft on two hosts",
        "assignee_group": { "name": "SOC" },
        "finding_info_list": [
            { "uid": "det-8843200113", "title": "LSASS memory read",
              "attacks": [{ "technique": { "uid": "T1003.001" } }] },
            { "uid": "det-8843200207", "title": "Pass the hash" }
        ],
        "metadata": { "version": "1.1.0", "product": { "name": "Example", "vendor_name": "Example" } }
    });
    let a = alert(Format::Ocsf, incident.clone());
    assert_eq!((a["type"].as_str(), a["source_ref"].as_str()), (Some("incident_finding"), Some("det-8843200113")));
    assert_eq!((a["title"].as_str(), a["severity"].as_str()), (Some("Credential theft on two hosts"), Some("high")));
    assert!(a["tags"].as_array().unwrap().contains(&json!("attack.t1003.001")));
    let mut empty = incident;
    empty["finding_info_list"] = json!([{ "title": "no uid" }]);
    assert_eq!(error(Format::Ocsf, empty).field, "finding_info_list");
}

#[test]
fn legacy_elastic_signals_are_read() {
    let docs = lines("ecs/kibana-7.16-signals.ndjson");
    let alerts: Vec<Value> = docs.iter().map(|d| alert(Format::Ecs, d.clone())).collect();
    let a = &alerts[0];
    assert_eq!(a["source_ref"], "0bb0c0d5488d757907f6be6e4c27ff698666948e2cf01d53e8fa43958b36c6a8");
    assert_eq!((a["title"].as_str(), a["type"].as_str()), (Some("threat-match-rule"), Some("threat_match")));
    assert_eq!(
        (a["rule"].as_str(), a["severity"].as_str()),
        (Some("bef9b0da-8c2f-4b82-930f-37ffa1b57fc1"), Some("low"))
    );
    assert_eq!(a["event_time"], "2022-03-23T16:50:32.045Z", "the source event's time");
    assert_eq!(a["description"], "event on security-linux-1 created low alert threat-match-rule.");
    assert_eq!(a["custom_fields"]["signal.status"], "open");
    assert_eq!(refs(&alerts).len(), 3);
    // Without the hit's _id (a document exported from _source alone): the
    // rule and the event it was raised on.
    let source = alert(Format::Ecs, docs[0]["_source"].clone());
    assert_eq!(
        source["source_ref"],
        "signal:62f9a8c0-aac9-11ec-aa31-c9ea2cb79db7:events-index-000001:P2yvt38BIyEvspK05HSe"
    );
    let mut bare = docs[0]["_source"].clone();
    for field in ["parent", "ancestors"] {
        bare["signal"].as_object_mut().unwrap().remove(field);
    }
    let e = error(Format::Ecs, bare);
    assert!(e.field == "_id" && e.reason.contains("legacy Elastic signal"), "{e:?}");
}

#[test]
fn suricata_alerts_shipped_by_elastic_agent_are_read_by_their_rule() {
    let docs = lines("ecs/suricata-eve-alerts.ndjson");
    let a = alert(Format::Ecs, docs[0].clone());
    assert_eq!(a["title"], "ET POLICY curl User-Agent Outbound", "the rule's name, not Filebeat's category line");
    assert_eq!((a["rule"].as_str(), a["type"].as_str()), (Some("2013028"), Some("suricata")));
    assert_eq!(a["severity"], "medium", "Suricata's priority 2");
    assert_eq!(a["description"], "Attempted Information Leak");
    assert_eq!(a["source_ref"], "suricata:2013028:2191386088856669:2018-10-03T14:42:44.836Z:0");
    assert_eq!(a["event_time"], "2018-10-03T14:42:44.836Z");
    let b = alert(Format::Ecs, docs[1].clone());
    assert_eq!(b["severity"], "low", "Suricata's priority 3");
    let mut first = docs[0].clone();
    first["event"]["severity"] = json!(1);
    assert_eq!(alert(Format::Ecs, first)["severity"], "high", "Suricata's priority 1");
    // The same document as an event rather than an alert is skipped.
    let mut flow = docs[0].clone();
    flow["event"]["kind"] = json!("event");
    let reason = skip(Format::Ecs, flow);
    assert!(reason.starts_with("event.kind \"event\" is not an alert"), "{reason}");
}
