#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The prefilter only skips rules that cannot match: for regular
//! expressions, `windash`, base64 forms, short event ids and rare short
//! strings it names the rules to ask, a field's strings are looked for in
//! that field, and the answers stay those of the naive matcher.

use firebreak_detect::{Detector, Library, event};
use serde_json::{Value, json};

fn rule(n: u32, detection: &str) -> String {
    format!(
        "title: Rule {n}\nid: 00000000-0000-4000-8000-{n:012}\nlevel: high\n\
         logsource: {{product: windows, category: process_creation}}\ndetection:\n{detection}"
    )
}

const RULES: &[&str] = &[
    // A case-insensitive expression whose letters include `s` and `k`
    // (each a class of three characters to the regex engine).
    "    selection:\n        CommandLine|re|i: 'invoke-mimikatz\\s+-dumpcreds'\n    condition: selection\n",
    // An expression with a group and an alternation.
    "    selection:\n        CommandLine|re: 'ipconfig\\s+/(all|displaydns)'\n    condition: selection\n",
    // Dashes that may be written as slashes.
    "    selection:\n        CommandLine|contains|windash: ' -accepteula'\n    condition: selection\n",
    // A base64 form at any offset.
    "    selection:\n        CommandLine|base64offset|contains: 'Set-MpPreference '\n    condition: selection\n",
    // An event id too short to look for as text (the expression has no
    // text to look for either).
    "    selection:\n        EventID: 1\n        CommandLine|re: '^\\d+$'\n    condition: selection\n",
    // A value holding the control character the prefilter marks field
    // numbers with: still looked for as text.
    "    selection:\n        CommandLine|contains: \"\\x02EventID\\x021\"\n    condition: selection\n",
    // Rare short strings.
    "    selection:\n        CommandLine|contains:\n            - '^^'\n            - 'ˣ'\n    condition: selection\n",
    // A string looked for in its own field only.
    "    selection:\n        Image|endswith: '\\whoami.exe'\n    condition: selection\n",
    // A path into nested values: looked for anywhere.
    "    selection:\n        process.command_line|contains: 'rubeus'\n    condition: selection\n",
    // A value holding the control character the prefilter marks a field's
    // own strings with.
    "    selection:\n        CommandLine|contains: \"\\x03Image\\x03zz\"\n    condition: selection\n",
];

fn library() -> Library {
    let mut lib = Library::default();
    for (i, d) in RULES.iter().enumerate() {
        lib.add_file(&format!("r{i}.yml"), &rule(i as u32 + 1, d));
    }
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    lib
}

fn process(id: Value, image: &str, command_line: &str) -> Value {
    event::flatten(json!({"Event": {"System": {"EventID": id, "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Computer": "ws1"}, "EventData": {"Image": image, "CommandLine": command_line}}}))
}

#[test]
fn the_prefilter_asks_only_rules_that_can_match_and_agrees_with_the_naive_matcher() {
    let lib = library();
    let (detector, problems) = Detector::new(&lib.rules, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(detector.unfiltered_rules(), 0, "every rule has something to look for");

    let cases: Vec<(Value, Vec<&str>)> = vec![
        (process(json!(1), "C:\\p.exe", "powershell INVOKE-MIMI\u{212A}ATZ   -DUMPCRED\u{17F}"), vec!["Rule 1"]),
        (process(json!(1), "C:\\p.exe", "powershell Invoke-Mimikatz"), vec![]),
        (process(json!(1), "C:\\ipconfig.exe", "ipconfig   /displaydns"), vec!["Rule 2"]),
        (process(json!(1), "C:\\ipconfig.exe", "ipconfig /release"), vec![]),
        (process(json!(1), "C:\\psexec.exe", "psexec \u{2013}accepteula \\\\host cmd"), vec!["Rule 3"]),
        (process(json!(1), "C:\\psexec.exe", "psexec /accepteula"), vec!["Rule 3"]),
        // "Set-MpPreference " at offsets 0, 1 and 2, base64-encoded.
        (process(json!(1), "C:\\p.exe", "powershell -e U2V0LU1wUHJlZmVyZW5jZSAtRGlzYWJsZQ=="), vec!["Rule 4"]),
        (process(json!(1), "C:\\p.exe", "powershell -e eFNldC1NcFByZWZlcmVuY2UgLURpc2FibGU="), vec!["Rule 4"]),
        // (At offset 2 `rsigma` keeps the last, partly padded character:
        // the text after the value must begin with a byte below 0x10.)
        (process(json!(1), "C:\\p.exe", "powershell -e eHhTZXQtTXBQcmVmZXJlbmNlIAl4"), vec!["Rule 4"]),
        (process(json!(1), "C:\\p.exe", "powershell -e eHhTZXQtTXBQcmVmZXJlbmNlIC1EaXNhYmxl"), vec![]),
        (process(json!(1), "C:\\calc.exe", "12345"), vec!["Rule 5"]),
        (process(json!("1"), "C:\\calc.exe", "12345"), vec!["Rule 5"]),
        (process(json!(1), "C:\\x.exe", "x \u{2}EventID\u{2}1 y"), vec!["Rule 6"]),
        (process(json!(1), "C:\\cmd.exe", "c^^md /c"), vec!["Rule 7"]),
        (process(json!(1), "C:\\cmd.exe", "cmd /c whoamiˣ"), vec!["Rule 7"]),
        (process(json!(1), "C:\\cmd.exe", "cmd /c whoami"), vec![]),
        // Rule 8 is not asked when its string is in another field.
        (process(json!(1), "C:\\Windows\\whoami.exe", "whoami /all"), vec!["Rule 8"]),
        (process(json!(1), "C:\\cmd.exe", "cmd /c C:\\Windows\\whoami.exe /all"), vec![]),
        (json!({"process": {"command_line": "x RUBEUS y"}}), vec!["Rule 9"]),
        (json!({"process": {"command_line": ["a", "rubeus"]}}), vec!["Rule 9"]),
        (process(json!(1), "C:\\x.exe", "a \u{3}Image\u{3}ZZ"), vec!["Rule 10"]),
    ];
    for (ev, want) in cases {
        let src = event::source_of(&ev);
        let fast = detector.matches(&ev, &src);
        assert_eq!(fast, detector.naive_matches(&ev, &src), "{ev}");
        let got: Vec<&str> = fast.iter().map(|&i| detector.rules()[i].title.as_str()).collect();
        assert_eq!(got, want, "{ev}");
        // Only rules whose strings occur were asked: at most the matches
        // and rule 5, asked of every event with its id.
        let asked = detector.asked(&ev, &src);
        assert!(asked <= want.len() + 1, "{asked} rules asked for {ev}");
    }
}

/// A `windash` rule as parsed, before its dashes are expanded: no string
/// the prefilter looks for holds a dash of any form, so no event written
/// with another dash is skipped.
#[test]
fn the_strings_of_a_windash_value_hold_no_dash_of_any_form() {
    let text = rule(
        1,
        "    selection:\n        CommandLine|contains|windash: ' /accepteula \u{2013}ma'\n    condition: selection\n",
    );
    let parsed = firebreak_detect::rsigma_parser::parse_sigma_yaml(&text).unwrap();
    let needles = firebreak_detect::prefilter::necessary(&parsed.rules[0]).expect("strings to look for");
    for n in needles.iter().flatten() {
        assert!(!n.contains(firebreak_detect::spec::DASHES), "{n:?}");
        assert!(n.ends_with("accepteula "), "{n:?}");
    }
}
