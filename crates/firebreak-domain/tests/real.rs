//! The adapters over alerts as their real producers write them: public
//! samples in `tests/fixtures/real/<format>/`, their sources and licences in
//! the README beside them.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

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
