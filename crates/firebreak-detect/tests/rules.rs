#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Rules that cannot be used are reported by file, line and reason; the
//! others are kept.

use firebreak_detect::{Detector, Library, event};
use serde_json::json;

const GOOD: &str = "title: Whoami
id: 11111111-1111-4111-8111-111111111111
status: test
level: medium
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
";

fn one(file: &str, text: &str) -> Library {
    let mut lib = Library::default();
    lib.add_file(file, text);
    lib
}

#[test]
fn a_good_rule_is_read_with_its_metadata() {
    let lib = one("whoami.yml", GOOD);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let m = &lib.rules[0].meta;
    assert_eq!((m.title.as_str(), m.level.as_str(), m.status.as_str()), ("Whoami", "medium", "test"));
    assert_eq!(m.techniques, vec!["T1033"]);
    assert_eq!(m.category, "process_creation");
}

#[test]
fn invalid_yaml_is_reported_with_its_line() {
    let lib = one("bad.yml", "title: x\nid: 1\ndetection:\n  sel: [a\n  condition: sel\n");
    assert!(lib.rules.is_empty());
    assert_eq!(lib.problems.len(), 1, "{:?}", lib.problems);
    assert!(lib.problems[0].line >= 4, "{:?}", lib.problems);
}

#[test]
fn an_unknown_modifier_is_named() {
    let text = GOOD.replace("Image|endswith", "Image|endswithh");
    let lib = one("m.yml", &text);
    assert!(lib.rules.is_empty());
    let p = &lib.problems[0];
    assert!(p.reason.contains("endswithh"), "{p:?}");
    assert_eq!(p.line, 9, "{p:?}");
}

#[test]
fn a_condition_naming_a_missing_selection_is_refused() {
    let text = GOOD.replace("condition: selection", "condition: selection and not filter");
    let lib = one("c.yml", &text);
    assert!(lib.rules.is_empty(), "{:?}", lib.rules.len());
    assert!(lib.problems[0].reason.contains("filter"), "{:?}", lib.problems);
    assert_eq!(lib.problems[0].line, 10, "{:?}", lib.problems);
}

#[test]
fn a_duplicate_id_is_refused_and_the_first_kept() {
    let mut lib = one("a.yml", GOOD);
    lib.add_file("b.yml", &GOOD.replace("Whoami", "Other"));
    assert_eq!(lib.rules.len(), 1);
    assert_eq!(lib.rules[0].meta.title, "Whoami");
    assert!(lib.problems[0].reason.contains("duplicate rule id"), "{:?}", lib.problems);
    assert_eq!(lib.problems[0].file, "b.yml");
}

#[test]
fn one_bad_document_does_not_stop_the_others() {
    let text =
        format!("{GOOD}---\ntitle: broken\nid: x\nlogsource: {{product: windows}}\ndetection:\n  condition: nothing\n");
    let lib = one("multi.yml", &text);
    assert_eq!(lib.rules.len(), 1);
    assert_eq!(lib.problems.len(), 1, "{:?}", lib.problems);
}

#[test]
fn a_filter_document_suppresses_matches_of_its_rule() {
    let filter = "title: Not on the admin host
id: 22222222-2222-4222-8222-222222222222
logsource: {product: windows, category: process_creation}
filter:
    rules: [11111111-1111-4111-8111-111111111111]
    selection:
        Computer: admin01
    condition: not selection
";
    let mut lib = one("whoami.yml", GOOD);
    let (plain, _) = Detector::new(&lib.rules, &[]);
    lib.add_file("filter.yml", filter);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let (tuned, problems) = Detector::new(&lib.rules, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let ev = |host: &str| {
        event::flatten(json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Computer": host}, "EventData": {"Image": "C:\\Windows\\System32\\whoami.exe"}}}))
    };
    for (host, before, after) in [("admin01", 1, 0), ("ws17", 1, 1)] {
        let e = ev(host);
        let src = event::source_of(&e);
        assert_eq!(plain.matches(&e, &src).len(), before, "{host}");
        assert_eq!(tuned.matches(&e, &src).len(), after, "{host}");
        assert_eq!(tuned.naive_matches(&e, &src).len(), after, "{host}");
    }
}

#[test]
fn a_filter_states_a_status_but_no_level() {
    let filter = "title: Quiet admin\nid: 0d9c1c3e-6c84-4c2e-9d0e-2b8f3b1f6a10\nstatus: experimental\nlogsource:\n  category: process_creation\n  product: windows\nfilter:\n  rules:\n    - 4f2b5d3c-0000-4000-8000-000000000001\n  selection:\n    User: admin\n  condition: selection\n";
    let lib = one("filter.yml", filter);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let m = &lib.rules[0].meta;
    assert_eq!((m.status, m.level), (firebreak_types::RuleStatus::Experimental, firebreak_types::RuleLevel::Unstated));
}

/// A hunt reads every rule but compiles one only when an event of its log
/// source makes it a candidate; what it finds is what the rules compiled at
/// once find.
#[test]
fn rules_read_for_a_hunt_are_compiled_when_an_event_first_needs_them() {
    let pipe = GOOD
        .replace("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222")
        .replace("process_creation", "pipe_created")
        .replace("Image|endswith: '\\\\whoami.exe'", "PipeName: '\\\\evil'");
    let texts = vec![
        ("whoami.yml".to_owned(), GOOD.to_owned()),
        ("pipe.yml".to_owned(), pipe),
        ("whoami-copy.yml".to_owned(), GOOD.to_owned()),
    ];
    let deferred = Library::from_texts(&texts, false);
    let eager = Library::from_texts(&texts, true);
    for lib in [&deferred, &eager] {
        assert_eq!(lib.rules.len(), 2);
        assert_eq!(lib.problems.len(), 1, "the duplicate id: {:?}", lib.problems);
        assert!(lib.problems[0].reason.contains("duplicate rule id"), "{:?}", lib.problems);
    }
    let (lazy, _) = Detector::new(&deferred.rules, &[]);
    let (ready, _) = Detector::new(&eager.rules, &[]);
    assert_eq!((lazy.compiled_count(), ready.compiled_count()), (0, 2));
    let process = |image: &str| {
        event::flatten(json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
            "EventData": {"Image": image}}}))
    };
    // Not a candidate: nothing compiled.
    let calc = process("C:\\w\\calc.exe");
    assert!(lazy.matches(&calc, &event::source_of(&calc)).is_empty());
    assert_eq!(lazy.compiled_count(), 0);
    let whoami = process("C:\\w\\whoami.exe");
    let src = event::source_of(&whoami);
    assert_eq!(lazy.matches(&whoami, &src), ready.matches(&whoami, &src));
    assert_eq!(lazy.matches(&whoami, &src), vec![0]);
    assert_eq!(lazy.compiled_count(), 1, "the pipe rule waits for a pipe event");
    assert!(lazy.late_problems().is_empty());
}

/// Read for a hunt, a rule that does not compile does not hide a good one
/// under the same id.
#[test]
fn a_rule_read_for_a_hunt_that_does_not_compile_gives_way_to_its_duplicate() {
    let bad = GOOD.replace("condition: selection", "condition: nothing");
    let texts = vec![("bad.yml".to_owned(), bad), ("good.yml".to_owned(), GOOD.to_owned())];
    let lib = Library::from_texts(&texts, false);
    assert_eq!(lib.rules.len(), 1);
    assert_eq!(lib.rules[0].file, "good.yml");
    assert_eq!(lib.problems.len(), 1, "{:?}", lib.problems);
    assert_eq!(lib.problems[0].file, "bad.yml");
    assert!(lib.problems[0].reason.contains("nothing"), "{:?}", lib.problems);
}

/// A rule as SigmaHQ writes it: block style, one document.
const BLOCK: &str = "title: Named pipe
id: 33333333-3333-4333-8333-333333333333
status: test
level: high
tags:
    - attack.execution
    - attack.t1559
logsource:
    product: windows
    category: pipe_created
detection:
    selection:
        PipeName|bogus: '\\evil'
    condition: selection
";

/// Read for a hunt, a rule file is not even parsed until an event of its
/// log source comes: what is wrong with it is reported then, and a hunt
/// that meets no such event never parses it.
#[test]
fn rules_read_for_a_hunt_are_parsed_when_an_event_of_their_log_source_comes() {
    let good = BLOCK.replace("PipeName|bogus", "PipeName").replace("3333-4333", "4444-4444");
    let texts = vec![("bad-pipe.yml".to_owned(), BLOCK.to_owned()), ("pipe.yml".to_owned(), good)];
    let eager = Library::from_texts(&texts, true);
    assert_eq!(eager.rules.len(), 1);
    assert!(eager.problems[0].reason.contains("bogus"), "{:?}", eager.problems);
    let lib = Library::from_texts(&texts, false);
    assert!(lib.problems.is_empty(), "not parsed yet: {:?}", lib.problems);
    assert_eq!(lib.rules.len(), 2);
    let m = &lib.rules[1].meta;
    assert_eq!((m.title.as_str(), m.level.as_str(), m.category.as_str()), ("Named pipe", "high", "pipe_created"));
    assert_eq!(m.techniques, vec!["T1559"]);
    let (detector, problems) = Detector::new(&lib.rules, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let process =
        event::flatten(json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"Image": "C:\\w\\calc.exe"}}}));
    assert!(detector.matches(&process, &event::source_of(&process)).is_empty());
    assert!(detector.late_problems().is_empty(), "no pipe event yet");
    let pipe =
        event::flatten(json!({"Event": {"System": {"EventID": 17, "Channel": "Microsoft-Windows-Sysmon/Operational"},
        "EventData": {"PipeName": "\\evil"}}}));
    assert_eq!(detector.matches(&pipe, &event::source_of(&pipe)), vec![1]);
    let late = detector.late_problems();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(late[0].file, "bad-pipe.yml");
    assert!(late[0].reason.contains("bogus"), "{late:?}");
}

/// What the hunt reads of a rule's text without parsing it is what parsing
/// finds; text it cannot be sure of is left to the parser.
#[test]
fn a_rule_scanned_unparsed_has_the_metadata_parsing_finds() {
    let meta = firebreak_detect::rules::scan(BLOCK).unwrap();
    assert_eq!(
        (meta.id.as_str(), meta.product.as_str(), meta.service.as_str()),
        ("33333333-3333-4333-8333-333333333333", "windows", "")
    );
    assert_eq!(meta.tags, vec!["attack.execution", "attack.t1559"]);
    let quoted = BLOCK.replace("title: Named pipe", "title: 'It''s a pipe'");
    assert_eq!(firebreak_detect::rules::scan(&quoted).unwrap().title, "It's a pipe");
    for unsure in [
        GOOD.to_owned(),
        BLOCK.replace("title: Named pipe", "title: \"Named \\u0070ipe\""),
        BLOCK.replace("title: Named pipe", "title: Named pipe # a comment"),
        BLOCK.replace("title: Named pipe", "title: Named\n    pipe"),
        BLOCK.replace("    product: windows", "    product: [windows]"),
        format!("{BLOCK}---\ntitle: second\n"),
        BLOCK.replace("level: high", "level: severe"),
        BLOCK.replace("detection:", "correlation:\n    type: event_count\ndetection:"),
    ] {
        assert!(firebreak_detect::rules::scan(&unsure).is_none(), "{unsure}");
    }
}
