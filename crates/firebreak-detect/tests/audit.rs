#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
//! Windows Security audit events, real ones, under Sigma's field names, so
//! that rules written for Sysmon's names (`Image`, `TargetObject`, …) match
//! them. The samples and their sources are in `tests/fixtures/evtx/README.md`.

use std::path::{Path, PathBuf};

use firebreak_detect::event::source_of;
use firebreak_detect::hunt::{hunt_file, read_events_flat};
use firebreak_detect::{Detector, Library};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/evtx").join(name)
}

/// The flattened events of a sample, by `EventRecordID` (EVTX) or line.
fn events(name: &str) -> Vec<(u64, Value)> {
    let mut out = Vec::new();
    let stats = read_events_flat(&fixture(name), |n, v| {
        let id = v.get("EventRecordID").and_then(Value::as_u64).unwrap_or(n);
        out.push((id, v));
    })
    .unwrap();
    assert_eq!(stats.skipped, 0, "{:?}", stats.warnings);
    out
}

fn event(name: &str, id: u64) -> Value {
    events(name).into_iter().find(|(n, _)| *n == id).unwrap_or_else(|| panic!("no record {id} in {name}")).1
}

fn field<'a>(e: &'a Value, k: &str) -> &'a str {
    e.get(k).and_then(Value::as_str).unwrap_or_else(|| panic!("no {k} in {e}"))
}

/// The rule ids that match `event`, of one rule in YAML.
fn matches(rule: &str, event: &Value) -> usize {
    let mut lib = Library::default();
    lib.add_file("rule.yml", rule);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let (detector, _) = Detector::new(&lib.rules, &[]);
    let src = source_of(event);
    let fast = detector.matches(event, &src).len();
    assert_eq!(fast, detector.naive_matches(event, &src).len());
    fast
}

fn rule(category: &str, detection: &str) -> String {
    format!(
        "title: t\nid: 7d0b5a3e-1c2f-4e5a-9b8c-0d1e2f3a4b5c\nlogsource:\n  product: windows\n  category: {category}\ndetection:\n{detection}  condition: sel\nlevel: high\n"
    )
}

#[test]
fn a_4688_process_creation_reads_as_sysmon_names_it() {
    // LSASSY dumping lsass through comsvcs.dll, audited by 4688 only.
    let e = event("lsassy-4688-4656-4663.evtx", 67790);
    assert_eq!(field(&e, "Image"), "C:\\Windows\\System32\\rundll32.exe");
    assert!(field(&e, "CommandLine").contains("comsvcs.dll MiniDump"));
    // The process runs as its creator (`TargetUserName` is `-`).
    assert_eq!(field(&e, "User"), "OFFSEC\\admmig");
    assert_eq!(field(&e, "LogonId"), "0x26be03c");
    assert_eq!(source_of(&e).categories, ["process_creation"]);
    let r = rule(
        "process_creation",
        "  sel:\n    Image|endswith: '\\rundll32.exe'\n    CommandLine|contains: 'MiniDump'\n",
    );
    assert_eq!(matches(&r, &e), 1);

    // From another sample: the parent and the integrity level.
    let e = event("otrf-reg-commandline-logging-disabled.ndjson", 4);
    assert_eq!(field(&e, "Image"), "C:\\Windows\\System32\\reg.exe");
    assert_eq!(field(&e, "ParentImage"), "C:\\Windows\\System32\\cmd.exe");
    assert_eq!(field(&e, "IntegrityLevel"), "High");
    assert_eq!(field(&e, "User"), "PEDRO-COMPUTER\\pedro-admin");
    let r = rule("process_creation", "  sel:\n    ParentImage|endswith: '\\cmd.exe'\n    IntegrityLevel: High\n");
    assert_eq!(matches(&r, &e), 1);
    // The audit's own names still match.
    let r = "title: t\nid: 7d0b5a3e-1c2f-4e5a-9b8c-0d1e2f3a4b5d\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    EventID: 4688\n    NewProcessName|endswith: '\\reg.exe'\n  condition: sel\n";
    assert_eq!(matches(r, &e), 1);
}

#[test]
fn a_4688_where_the_new_process_has_its_own_account_names_that_account() {
    let e = event("otrf-reg-commandline-logging-disabled.ndjson", 1);
    assert_eq!(field(&e, "Image"), "C:\\Users\\pedro\\Downloads\\payload.exe");
    assert_eq!(field(&e, "User"), "PEDRO-COMPUTER\\pedro-admin");
    assert_eq!(field(&e, "LogonId"), "0xfeff35");
    assert_eq!(field(&e, "ParentImage"), "C:\\Windows\\explorer.exe");
}

#[test]
fn a_4657_registry_value_change_reads_as_a_registry_set() {
    let e = event("otrf-reg-commandline-logging-disabled.ndjson", 8);
    assert_eq!(
        field(&e, "TargetObject"),
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\Audit\\ProcessCreationIncludeCmdLine_Enabled"
    );
    assert_eq!(field(&e, "Details"), "0");
    assert_eq!(field(&e, "Image"), "C:\\Windows\\System32\\reg.exe");
    assert_eq!(field(&e, "EventType"), "SetValue");
    assert_eq!(source_of(&e).categories, ["registry_set", "registry_event"]);
    let r = rule(
        "registry_set",
        "  sel:\n    TargetObject|endswith: '\\ProcessCreationIncludeCmdLine_Enabled'\n    Details: '0'\n",
    );
    assert_eq!(matches(&r, &e), 1);
}

#[test]
fn a_4656_and_4663_name_the_object_by_its_type() {
    // A file.
    let e = event("systemnightmare-4688-4656.evtx", 2183524);
    assert_eq!(field(&e, "ObjectType"), "File");
    assert_eq!(field(&e, "TargetFilename"), "C:\\Windows\\INF\\TAPISRV\\0409");
    assert_eq!(field(&e, "Image"), "C:\\Windows\\System32\\spoolsv.exe");
    assert!(e.get("TargetObject").is_none());
    // A registry key, written as Sysmon writes it.
    let e = event("systemnightmare-4688-4656.evtx", 2183534);
    assert_eq!(field(&e, "ObjectType"), "Key");
    assert_eq!(field(&e, "TargetObject"), "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates");
    assert_eq!(field(&e, "Image"), "C:\\Windows\\System32\\drvinst.exe");
    // The same by 4663, from another sample.
    let e = event("otrf-reg-commandline-logging-disabled.ndjson", 7);
    assert_eq!(e["EventID"], 4663);
    assert_eq!(
        field(&e, "TargetObject"),
        "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\Audit"
    );
    // A process: lsass opened by LSASSY's rundll32.
    for id in [67793, 67797] {
        let e = event("lsassy-4688-4656-4663.evtx", id);
        assert_eq!(field(&e, "ObjectType"), "Process");
        assert_eq!(field(&e, "TargetImage"), "\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe");
        assert_eq!(field(&e, "SourceImage"), "C:\\Windows\\System32\\rundll32.exe");
        assert_eq!(field(&e, "GrantedAccess"), field(&e, "AccessMask"));
    }
    let r = "title: t\nid: 7d0b5a3e-1c2f-4e5a-9b8c-0d1e2f3a4b5e\nlogsource:\n  product: windows\n  service: security\ndetection:\n  sel:\n    EventID: 4663\n    TargetImage|endswith: '\\lsass.exe'\n    SourceImage|endswith: '\\rundll32.exe'\n  condition: sel\n";
    assert_eq!(matches(r, &event("lsassy-4688-4656-4663.evtx", 67797)), 1);
}

#[test]
fn a_5156_connection_reads_as_a_network_connection() {
    let e = event("otrf-reg-commandline-logging-disabled.ndjson", 2);
    assert_eq!(e["EventID"], 5156);
    assert_eq!(field(&e, "Image"), "\\device\\harddiskvolume2\\users\\pedro\\downloads\\payload.exe");
    assert_eq!((field(&e, "SourceIp"), field(&e, "DestinationIp")), ("192.168.56.44", "192.168.56.40"));
    assert_eq!(e["DestinationPort"], 8443);
    assert_eq!(field(&e, "Initiated"), "true");
    assert_eq!(source_of(&e).categories, ["network_connection"]);
    let r = rule(
        "network_connection",
        "  sel:\n    Image|endswith: '\\payload.exe'\n    Initiated: 'true'\n    DestinationPort: 8443\n",
    );
    assert_eq!(matches(&r, &e), 1);
}

/// SigmaHQ's own process creation rules find LSASSY's dump in a log that
/// audits process creation with 4688 alone (no Sysmon).
#[test]
fn sigmahq_process_creation_rules_fire_on_4688_events() {
    let dir = std::env::var_os("FIREBREAK_SIGMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma"));
    let file = "rules/windows/process_creation/proc_creation_win_rundll32_process_dump_via_comsvcs.yml";
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        println!("SigmaHQ data not found at {}: skipped", dir.display());
        return;
    };
    let mut lib = Library::default();
    lib.add_file(file, &text);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let (detector, _) = Detector::new(&lib.rules, &[]);
    let mut hits = Vec::new();
    hunt_file(&detector, &fixture("lsassy-4688-4656-4663.evtx"), false, |h| hits.push(h), |_| {}).unwrap();
    let records: Vec<u64> = hits.iter().filter_map(|h| h.event["EventRecordID"].as_u64()).collect();
    // PowerShell starting rundll32 with the dump, then rundll32 itself.
    assert_eq!(records, [67747, 67790], "{hits:?}");
}
