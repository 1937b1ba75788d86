//! The rule library and event matching, through the API.

use firebreak_types::{Alert, EventBulkResult, Page, Role, Rule, RuleImportReport, RuleRevision};
use serde_json::{Value, json};

use crate::helpers::{code, spawn_app};

pub const WHOAMI: &str = "title: Whoami Execution
id: 3c2a6a37-5b0a-4f7e-9a39-2b2f5b6a0a01
status: test
level: high
description: Discovery of the current user.
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
falsepositives: [Admin scripts]
";

const CERTUTIL: &str = "title: Certutil Download
id: 3c2a6a37-5b0a-4f7e-9a39-2b2f5b6a0a02
status: stable
level: medium
tags: [attack.command-and-control, attack.t1105]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\certutil.exe'
        CommandLine|contains: 'urlcache'
    condition: selection
";

pub fn sysmon(image: &str, host: &str) -> Value {
    json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": host,
        "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T10:00:00.000000Z"}}},
        "EventData": {"Image": image, "CommandLine": image, "User": "CORP\\alice",
        "Hashes": "SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}}})
}

#[tokio::test]
async fn rules_are_imported_versioned_enabled_and_matched_into_alerts() {
    let app = spawn_app().await;
    let files = json!({"files": [
        {"name": "whoami.yml", "content": WHOAMI},
        {"name": "certutil.yml", "content": CERTUTIL},
        {"name": "broken.yml", "content": WHOAMI.replace("Image|endswith", "Image|endswithh")},
        {"name": "again.yml", "content": WHOAMI},
    ]});
    let r: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (2, 0, 0), "{r:?}");
    assert_eq!(r.rejected.len(), 2, "{r:?}");
    assert!(r.rejected.iter().any(|p| p.file == "broken.yml" && p.line == 10 && p.reason.contains("endswithh")));
    assert!(r.rejected.iter().any(|p| p.file == "again.yml" && p.reason.contains("duplicate")));

    // Search and filters.
    let page: Page<Rule> = app.admin.get("/api/v1/rules?attack=T1033").await.unwrap();
    assert_eq!(page.items.len(), 1);
    let whoami = page.items[0].clone();
    assert_eq!((whoami.level.as_str(), whoami.enabled), ("high", false));
    let page: Page<Rule> = app.admin.get("/api/v1/rules?attack=command-and-control&level=medium").await.unwrap();
    assert_eq!(page.total, Some(1));
    let page: Page<Rule> = app.admin.get("/api/v1/rules?q=certutil").await.unwrap();
    assert_eq!(page.items[0].title, "Certutil Download");

    // Disabled rules match nothing; enabled ones raise alerts.
    let (_, sensor) = app.key(&app.admin, "sensor", Role::AnalystL2).await;
    let events =
        json!([sysmon("C:\\Windows\\System32\\whoami.exe", "ws-17"), sysmon("C:\\x\\notepad.exe", "ws-17"), 7]);
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &events).await.unwrap();
    assert_eq!((m.events, m.matches, m.alerts_created), (3, 0, 0), "{m:?}");
    assert_eq!(m.rejected.len(), 1);
    assert_eq!(m.rejected[0].index, 2);
    for p in page_of(&app.admin, "/api/v1/rules").await {
        let _: Rule = app.admin.patch(&format!("/api/v1/rules/{}", p.id), &json!({"enabled": true})).await.unwrap();
    }
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &events).await.unwrap();
    assert_eq!((m.matches, m.alerts_created), (1, 1), "{m:?}");
    // The same event again is the same alert.
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &events).await.unwrap();
    assert_eq!((m.matches, m.alerts_created, m.alerts_repeated), (1, 0, 1), "{m:?}");
    let alerts: Page<Alert> = app.admin.get(&format!("/api/v1/alerts?rule={}", whoami.sigma_id)).await.unwrap();
    assert_eq!(alerts.items.len(), 1);
    let a = &alerts.items[0];
    assert_eq!(a.title, "Whoami Execution on ws-17");
    assert_eq!(a.severity, firebreak_types::Severity::High);
    assert_eq!(a.occurrences, 2);
    assert!(a.tags.contains(&"attack.t1033".to_owned()));
    let kinds: Vec<String> = a.observables.iter().map(|o| format!("{:?}", o.kind).to_lowercase()).collect();
    assert!(kinds.iter().any(|k| k.contains("sha256")), "{kinds:?}");
    assert!(kinds.iter().any(|k| k.contains("hostname")), "{kinds:?}");

    // A changed re-import is a new revision; the use case keeps its settings.
    let changed = WHOAMI.replace("level: high", "level: critical");
    let files =
        json!({"files": [{"name": "whoami.yml", "content": changed}, {"name": "certutil.yml", "content": CERTUTIL}]});
    let r: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    assert_eq!((r.created, r.updated, r.unchanged), (0, 1, 1), "{r:?}");
    let now: Rule = app.admin.get(&format!("/api/v1/rules/{}", whoami.id)).await.unwrap();
    assert_eq!((now.level.as_str(), now.revision, now.enabled), ("critical", 2, true));
    let revs: Vec<RuleRevision> = app.admin.get(&format!("/api/v1/rules/{}/revisions", whoami.id)).await.unwrap();
    assert_eq!(revs.iter().map(|r| r.revision).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(revs[0].changed_by, "admin");

    // Retiring a use case disables it; analysts may read but not change rules.
    let retired: Rule =
        app.admin.patch(&format!("/api/v1/rules/{}", whoami.id), &json!({"use_case": "retired"})).await.unwrap();
    assert!(!retired.enabled);
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    let _: Page<Rule> = l1.get("/api/v1/rules").await.unwrap();
    let r = l1.patch::<_, Value>(&format!("/api/v1/rules/{}", whoami.id), &json!({"enabled": true})).await;
    assert_eq!(code(&r), "forbidden");
    let r = app.admin.post::<_, Value>("/api/v1/rules/_import", &json!({"files": []})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("files"));
}

async fn page_of(c: &firebreak_client::Client, path: &str) -> Vec<Rule> {
    let p: Page<Rule> = c.get(path).await.unwrap();
    p.items
}

#[tokio::test]
async fn exceptions_tune_a_rule_and_triage_measures_its_noise() {
    let app = spawn_app().await;
    let files = json!({"files": [{"name": "whoami.yml", "content": WHOAMI}], "enable": true});
    let _: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    let rule = page_of(&app.admin, "/api/v1/rules").await.remove(0);
    let (_, sensor) = app.key(&app.admin, "sensor", Role::AnalystL2).await;
    let whoami = "C:\\Windows\\System32\\whoami.exe";

    // Bad exceptions are refused, naming the field.
    let path = format!("/api/v1/rules/{}/exceptions", rule.id);
    for (body, field) in [
        (json!({"field": "Computer|re", "values": ["x"], "reason": "r"}), "field"),
        (json!({"field": "Computer", "values": [], "reason": "r"}), "values"),
        (json!({"field": "Computer", "values": ["x"], "reason": " "}), "reason"),
        (
            json!({"field": "Computer", "values": ["x"], "reason": "r", "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
    ] {
        let r = app.admin.post::<_, Value>(&path, &body).await;
        assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some(field), "{body}");
    }
    // "Not on the admins' jump host", kept as a Sigma filter.
    let e: firebreak_types::RuleException = app
        .admin
        .post(&path, &json!({"field": "Computer", "values": ["JUMP-01"], "reason": "admins run whoami there"}))
        .await
        .unwrap();
    assert!(e.sigma.contains("filter:") && e.sigma.contains("condition: not selection"), "{}", e.sigma);
    assert_eq!(e.author, "admin");
    let m: EventBulkResult =
        sensor.post("/api/v1/events/_bulk", &json!([sysmon(whoami, "jump-01"), sysmon(whoami, "ws-3")])).await.unwrap();
    assert_eq!(m.matches, 1, "the jump host is excepted: {m:?}");
    let list: Vec<firebreak_types::RuleException> = app.admin.get(&path).await.unwrap();
    assert_eq!(list.len(), 1);
    let (_, l1) = app.user(&app.admin, "first-line", Role::AnalystL1).await;
    assert_eq!(
        code(&l1.post::<_, Value>(&path, &json!({"field": "Computer", "values": ["x"], "reason": "r"})).await),
        "forbidden"
    );
    // Removed: the jump host matches again.
    app.admin.delete::<()>(&format!("{path}/{}", e.id)).await.unwrap();
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &json!([sysmon(whoami, "jump-01")])).await.unwrap();
    assert_eq!(m.matches, 1);

    // Before adding one again, a preview says what it would have suppressed.
    let p: firebreak_types::ExceptionPreview = app
        .admin
        .post(&format!("{path}/_preview"), &json!({"field": "Computer", "values": ["jump-01"], "reason": "again"}))
        .await
        .unwrap();
    assert_eq!((p.alerts_checked, p.suppressed), (2, 1), "{p:?}");
    assert_eq!(p.examples[0].title, "Whoami Execution on jump-01");
    assert_eq!(list_len(&app.admin, &path).await, 0, "a preview stores nothing");

    // Two alerts: one closed as a false positive, one escalated.
    let alerts: Page<Alert> = app.admin.get(&format!("/api/v1/alerts?rule={}", rule.sigma_id)).await.unwrap();
    assert_eq!(alerts.items.len(), 2);
    let close = json!({"disposition": "false_positive", "reason": "admin at work"});
    let _: Value = app.admin.post(&format!("/api/v1/alerts/{}/close", alerts.items[0].id), &close).await.unwrap();
    let _: Value =
        app.admin.post(&format!("/api/v1/alerts/{}/escalate", alerts.items[1].id), &json!({})).await.unwrap();
    let q: Vec<firebreak_types::RuleQuality> = app.admin.get("/api/v1/rules/quality?days=7").await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].alerts, q[0].false_positives, q[0].true_positives), (2, 1, 1));
    assert_eq!(q[0].false_positive_rate, Some(0.5));
    assert_eq!(q[0].title, "Whoami Execution");
    let r = app.admin.get::<Value>("/api/v1/rules/quality?days=0").await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("days"));
}

#[tokio::test]
async fn coverage_counts_enabled_rules_against_a_threat_profile() {
    let app = spawn_app().await;
    let files = json!({"files": [{"name": "whoami.yml", "content": WHOAMI}, {"name": "certutil.yml", "content": CERTUTIL}], "enable": true});
    let _: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    // By hand, and from an ATT&CK group by name.
    let p: firebreak_types::ThreatProfile = app
        .admin
        .post("/api/v1/threat-profiles", &json!({"name": "Ours", "techniques": ["T1033", "T1105", "T1059.001"]}))
        .await
        .unwrap();
    let apt: firebreak_types::ThreatProfile =
        app.admin.post("/api/v1/threat-profiles", &json!({"name": "APT29 watch", "group": "APT29"})).await.unwrap();
    assert_eq!(apt.group.as_deref(), Some("G0016"));
    assert!(apt.techniques.len() > 20, "{}", apt.techniques.len());
    let r = app.admin.post::<_, Value>("/api/v1/threat-profiles", &json!({"name": "x", "techniques": ["T9999"]})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("techniques[0]"));
    let r = app.admin.post::<_, Value>("/api/v1/threat-profiles", &json!({"name": "x", "group": "Nobody"})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("group"));

    let cell = |c: &firebreak_types::Coverage, id: &str| {
        c.tactics.iter().flat_map(|t| &t.techniques).find(|x| x.id == id).cloned().unwrap()
    };
    let c: firebreak_types::Coverage = app.admin.get(&format!("/api/v1/coverage?profile={}", p.id)).await.unwrap();
    assert_eq!(c.covered, 2);
    assert!(c.total > 150);
    assert_eq!(c.tactics[0].shortname, "reconnaissance");
    assert_eq!((cell(&c, "T1033").rules, cell(&c, "T1033").in_profile), (1, true));
    assert_eq!(c.uncovered, vec!["T1059"]);
    assert!(c.attribution.contains("MITRE"));
    // Disabling a rule takes its technique out.
    let whoami = page_of(&app.admin, "/api/v1/rules?attack=T1033").await.remove(0);
    let _: Rule = app.admin.patch(&format!("/api/v1/rules/{}", whoami.id), &json!({"enabled": false})).await.unwrap();
    let c: firebreak_types::Coverage = app.admin.get(&format!("/api/v1/coverage?profile={}", p.id)).await.unwrap();
    assert_eq!((c.covered, cell(&c, "T1033").rules), (1, 0));
    assert_eq!(c.uncovered, vec!["T1033", "T1059"]);

    // The matrix colours by tested rules: certutil's has no test yet, then one.
    assert_eq!((cell(&c, "T1105").rules, cell(&c, "T1105").tested), (1, 0));
    let certutil = page_of(&app.admin, "/api/v1/rules?attack=T1105").await.remove(0);
    let test =
        json!({ "name": "download", "events": [sysmon("C:\\Windows\\certutil.exe", "ws-1")], "expected_matches": 1 });
    let _: Value = app.admin.post(&format!("/api/v1/rules/{}/tests", certutil.id), &test).await.unwrap();
    let c: firebreak_types::Coverage = app.admin.get(&format!("/api/v1/coverage?profile={}", p.id)).await.unwrap();
    assert_eq!(cell(&c, "T1105").tested, 1);
    // The backlog lists each profile's techniques without a tested rule.
    let ours = firebreak_app::detection::profile_backlog_of(&app.state, app.root_org).await.unwrap();
    let ours: Vec<_> = ours.into_iter().filter(|r| r.0 == "Ours").map(|r| (r.1, r.3)).collect();
    assert_eq!(ours, vec![("T1033".to_owned(), "uncovered"), ("T1059".to_owned(), "uncovered")]);
}

#[tokio::test]
async fn rule_tests_pass_or_fail_by_rule_and_see_the_tuning() {
    let app = spawn_app().await;
    let files = json!({"files": [{"name": "whoami.yml", "content": WHOAMI}]});
    let _: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    let rule = page_of(&app.admin, "/api/v1/rules").await.remove(0);
    let whoami = "C:\\Windows\\System32\\whoami.exe";
    let path = format!("/api/v1/rules/{}/tests", rule.id);
    let must = json!({"name": "whoami anywhere", "events": [sysmon(whoami, "ws-1"), sysmon(whoami, "jump-01")], "expected_matches": 2});
    let must_not = json!({"name": "not notepad", "events": [sysmon("C:\\notepad.exe", "ws-1")], "expected_matches": 0});
    let _: firebreak_types::RuleTest = app.admin.post(&path, &must).await.unwrap();
    let _: firebreak_types::RuleTest = app.admin.post(&path, &must_not).await.unwrap();
    let r = app.admin.post::<_, Value>(&path, &json!({"name": "x", "events": [1], "expected_matches": 0})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("events[0]"));
    let r = app.admin.post::<_, Value>(&path, &json!({"name": "x", "events": [{}], "expected_matches": 2})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("expected_matches"));

    let results: Vec<firebreak_types::RuleTestResult> =
        app.admin.post("/api/v1/rules/_test", &json!({})).await.unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.passed), "{results:?}");
    // An exception on the jump host makes the first test fail, as it should.
    let e = json!({"field": "Computer", "values": ["jump-01"], "reason": "jump host"});
    let _: Value = app.admin.post(&format!("/api/v1/rules/{}/exceptions", rule.id), &e).await.unwrap();
    let results: Vec<firebreak_types::RuleTestResult> =
        app.admin.post(&format!("{path}/_run"), &json!({})).await.unwrap();
    let anywhere = results.iter().find(|r| r.name == "whoami anywhere").unwrap();
    assert_eq!((anywhere.matches, anywhere.passed), (1, false));
    assert!(results.iter().find(|r| r.name == "not notepad").unwrap().passed);
}

const CORRELATION: &str = include_str!("../../../firebreak-detect/tests/fixtures/failed-logons.yml");

#[tokio::test]
async fn a_correlation_over_the_event_stream_raises_one_alert_with_its_events() {
    let app = spawn_app().await;
    let files = json!({"files": [{"name": "brute.yml", "content": CORRELATION}], "enable": true});
    let r: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    assert_eq!(r.created, 2, "{r:?}");
    let logon = |user: &str, at: &str| json!({"EventID": 4625, "Channel": "Security", "Computer": "dc-1", "TargetUserName": user, "TimeCreated": at});
    let (_, sensor) = app.key(&app.admin, "sensor", Role::AnalystL2).await;
    let first = json!([logon("alice", "2026-11-20T10:00:00Z"), logon("bob", "2026-11-20T10:00:10Z")]);
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &first).await.unwrap();
    assert_eq!(m.matches, 2, "two single failed logons: {m:?}");
    // Across requests, the window holds: the third for alice fires.
    let next = json!([logon("alice", "2026-11-20T10:01:00Z"), logon("alice", "2026-11-20T10:02:00Z")]);
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &next).await.unwrap();
    assert_eq!(m.matches, 3, "two failed logons and one correlation: {m:?}");
    let alerts: Page<Alert> = app.admin.get("/api/v1/alerts?rule=0e95725d-7320-415d-80f7-004da920fc12").await.unwrap();
    assert_eq!(alerts.items.len(), 1);
    let a = &alerts.items[0];
    assert_eq!(a.title, "Many failed logons for one user (TargetUserName=alice)");
    assert_eq!(a.severity, firebreak_types::Severity::High);
    assert_eq!(a.raw.to_value()["events"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn hosts_that_saw_an_indicator_are_found_in_the_kept_events() {
    let app = spawn_app().await;
    let (_, sensor) = app.key(&app.admin, "sensor", Role::AnalystL2).await;
    // No rule needs to match: every event's observables are indexed.
    let events = json!([sysmon("C:\\a.exe", "ws-1"), sysmon("C:\\b.exe", "ws-2"), sysmon("C:\\c.exe", "ws-2")]);
    let m: EventBulkResult = sensor.post("/api/v1/events/_bulk", &events).await.unwrap();
    assert_eq!((m.events, m.matches), (3, 0));
    let hash = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    let seen: Vec<firebreak_types::EventSighting> =
        app.admin.get(&format!("/api/v1/events/sightings?type=sha256&value={hash}")).await.unwrap();
    let mut hosts: Vec<(String, u64)> = seen.iter().map(|s| (s.host.clone(), s.events)).collect();
    hosts.sort();
    assert_eq!(hosts, vec![("ws-1".to_owned(), 1), ("ws-2".to_owned(), 2)]);
    let none: Vec<firebreak_types::EventSighting> =
        app.admin.get("/api/v1/events/sightings?type=ip&value=192.0.2.1").await.unwrap();
    assert!(none.is_empty());
    let r = app.admin.get::<Value>("/api/v1/events/sightings?type=sha256&value=abc").await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("value"));
    // Retention is per organisation.
    let s: firebreak_types::EventSettings = app.admin.get("/api/v1/event-settings").await.unwrap();
    assert_eq!(s.retention_days, 30);
    let r = app.admin.put::<_, Value>("/api/v1/event-settings", &json!({"retention_days": 0})).await;
    assert_eq!(r.unwrap_err().body().unwrap().field.as_deref(), Some("retention_days"));
    let s: firebreak_types::EventSettings =
        app.admin.put("/api/v1/event-settings", &json!({"retention_days": 7})).await.unwrap();
    assert_eq!(s.retention_days, 7);
    // Another organisation sees none of it.
    let other = app.tenant("Other").await;
    let theirs: Vec<firebreak_types::EventSighting> =
        other.admin.get(&format!("/api/v1/events/sightings?type=sha256&value={hash}")).await.unwrap();
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn an_evidence_file_is_hunted_in_the_background_onto_the_case_timeline() {
    let app = spawn_app().await;
    let case: firebreak_types::Case =
        app.admin.post("/api/v1/cases", &json!({ "title": "Host triage" })).await.unwrap();
    let ndjson = format!(
        "{}\n{{not json\n{}\n",
        sysmon("C:\\Windows\\System32\\whoami.exe", "ws-9"),
        sysmon("C:\\Windows\\notepad.exe", "ws-9")
    );
    let url = format!("/api/v1/cases/{}/evidence?filename=events.ndjson&collected_from=ws-9", case.id);
    let resp = app.admin.request(reqwest::Method::POST, &url).body(ndjson).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let e: firebreak_types::Evidence = resp.json().await.unwrap();
    let hunt_url = format!("/api/v1/cases/{}/evidence/{}/hunt", case.id, e.id);
    // No enabled rule: refused, saying what to do.
    let r = app.admin.post::<_, Value>(&hunt_url, &json!({})).await;
    assert_eq!(code(&r), "invalid_state");
    let files = json!({"files": [{"name": "whoami.yml", "content": WHOAMI}], "enable": true});
    let _: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    let job: firebreak_types::HuntJob = app.admin.post(&hunt_url, &json!({})).await.unwrap();
    assert_eq!(job.status, firebreak_types::HuntStatus::Running);
    let mut done = None;
    for _ in 0..100 {
        let jobs: Vec<firebreak_types::HuntJob> =
            app.admin.get(&format!("/api/v1/cases/{}/hunts", case.id)).await.unwrap();
        if jobs[0].status != firebreak_types::HuntStatus::Running {
            done = Some(jobs[0].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let done = done.expect("the hunt finished");
    assert_eq!((done.status.as_str(), done.events, done.hits, done.skipped), ("done", 2, 1, 1), "{done:?}");
    assert!(done.warnings[0].contains("line 2"), "{:?}", done.warnings);
    let timeline: Vec<firebreak_types::TimelineEntry> =
        app.admin.get(&format!("/api/v1/cases/{}/timeline", case.id)).await.unwrap();
    let hit = timeline.iter().find(|t| t.description.starts_with("Whoami Execution")).expect("a hit on the timeline");
    assert_eq!(hit.technique.as_deref(), Some("T1033"));
    assert_eq!(hit.tactic.as_deref(), Some("TA0007"));
    assert_eq!(hit.asset.as_deref(), Some("ws-9"));
    assert!(hit.description.contains("whoami.exe"), "{}", hit.description);
}

async fn list_len(c: &firebreak_client::Client, path: &str) -> usize {
    let v: Vec<Value> = c.get(path).await.unwrap();
    v.len()
}

#[tokio::test]
async fn the_node_s_sigma_pipelines_map_fields_before_events_are_matched() {
    let pipeline = firebreak_detect::pipeline::parse(
        "name: edr fields\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      Image: proc_path\n",
    )
    .unwrap();
    let settings = firebreak_app::AppSettings { sigma_pipelines: vec![pipeline], ..Default::default() };
    let app = crate::helpers::spawn_app_configured(Default::default(), settings).await;
    let files = json!({ "files": [{ "name": "whoami.yml", "content": WHOAMI }], "enable": true });
    let _: RuleImportReport = app.admin.post("/api/v1/rules/_import", &files).await.unwrap();
    // An EDR names the process image `proc_path`; the rule says `Image`.
    let events = json!([{ "proc_path": "C:\\Windows\\System32\\whoami.exe", "hostname": "ws-3" }]);
    let m: EventBulkResult = app.admin.post("/api/v1/events/_bulk", &events).await.unwrap();
    assert_eq!((m.matches, m.alerts_created), (1, 1), "{m:?}");
    // Rule tests see the same mapping.
    let rule = page_of(&app.admin, "/api/v1/rules").await.remove(0);
    let test = json!({ "name": "edr", "events": events, "expected_matches": 1 });
    let _: Value = app.admin.post(&format!("/api/v1/rules/{}/tests", rule.id), &test).await.unwrap();
    let run: Vec<Value> = app.admin.post(&format!("/api/v1/rules/{}/tests/_run", rule.id), &json!({})).await.unwrap();
    assert_eq!(run[0]["passed"], true, "{run:?}");
}

/// A zip archive of `entries`, stored.
pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn rules_are_imported_from_a_zip_archive() {
    let app = spawn_app().await;
    let broken = WHOAMI.replace("condition: selection", "condition: nothing").replace("0a01", "0a09");
    let archive = zip_of(&[
        ("sigma/rules/whoami.yml", WHOAMI.as_bytes()),
        ("sigma/rules/broken.yml", broken.as_bytes()),
        ("sigma/rules/latin1.yml", b"title: caf\xe9\n"),
        ("sigma/README.md", b"# rules"),
    ]);
    let post = |body: Vec<u8>| {
        app.admin
            .request(reqwest::Method::POST, "/api/v1/rules/_import/zip?enable=true")
            .header("content-type", "application/zip")
            .body(body)
            .send()
    };
    let resp = post(archive).await.unwrap();
    assert_eq!(resp.status(), 200);
    let r: RuleImportReport = resp.json().await.unwrap();
    assert_eq!(r.created, 1, "{r:?}");
    let mut rejected: Vec<&str> = r.rejected.iter().map(|p| p.file.as_str()).collect();
    rejected.sort();
    assert_eq!(rejected, ["sigma/rules/broken.yml", "sigma/rules/latin1.yml"], "{r:?}");
    let rule = page_of(&app.admin, "/api/v1/rules").await.remove(0);
    assert!(rule.enabled);
    // Not an archive: a 400 that names the body.
    let resp = post(b"title: not a zip".to_vec()).await.unwrap();
    assert_eq!(resp.status(), 400);
    let e: firebreak_types::ErrorBody = resp.json().await.unwrap();
    assert_eq!(e.field.as_deref(), Some("body"), "{e:?}");
}

#[tokio::test]
async fn deeply_nested_rule_files_are_refused_before_parsing() {
    let app = spawn_app().await;
    let head = "title: Deep\nlogsource:\n  product: windows\ndetection:\n  selection:\n    Image: ";
    let block: String = (0..1_000).map(|i| format!("{}k{i}:\n", " ".repeat(i + 4))).collect();
    let cases = [
        ("flow sequences", format!("{head}{}\n", "[".repeat(100_000))),
        ("flow mappings", format!("{head}{}\n", "{a: ".repeat(100_000))),
        ("compact sequences", format!("{head}\n      {}x\n", "- ".repeat(100_000))),
        ("block mappings", format!("title: Deep\ndetection:\n{block}")),
    ];
    for (what, content) in cases {
        let started = std::time::Instant::now();
        let body = json!({ "files": [{ "name": "deep.yml", "content": content }] });
        let err = app.admin.post::<_, Value>("/api/v1/rules/_import", &body).await.unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "{what}: {:?}", started.elapsed());
        let e = err.body().unwrap();
        assert_eq!(e.field.as_deref(), Some("files[0].content"), "{what}: {e:?}");
        assert!(e.message.starts_with("deep.yml line ") && e.message.contains("at most 64"), "{what}: {e:?}");
    }
    // The zip import is held to the same bound.
    let archive = zip_of(&[("deep.yml", format!("{head}{}\n", "[".repeat(100_000)).as_bytes())]);
    let resp = app
        .admin
        .request(reqwest::Method::POST, "/api/v1/rules/_import/zip")
        .header("content-type", "application/zip")
        .body(archive)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}
