#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
//! The public SigmaHQ rule set and its regression samples, read from the
//! folder named by `FIREBREAK_SIGMA_DIR` (default: `shared/sigma` beside the
//! project's folder). Skipped, saying so, where the data is not there.

use std::path::PathBuf;

use firebreak_detect::hunt::{read_evtx, read_json};

use firebreak_detect::{Detector, Library, event};

fn sigma_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FIREBREAK_SIGMA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sigma"));
    if dir.join("rules").is_dir() {
        Some(dir)
    } else {
        println!("SigmaHQ data not found at {}: skipped", dir.display());
        None
    }
}

fn library(dir: &std::path::Path) -> Library {
    let mut lib = Library::default();
    for folder in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        let part = firebreak_detect::rules::load(&dir.join(folder), |_, _| {}).unwrap();
        for r in part.rules {
            let text = r.yaml.clone();
            lib.add_file(&format!("{folder}/{}", r.file), &text);
        }
        lib.problems.extend(part.problems);
    }
    lib
}

/// Every Windows rule of the SigmaHQ set loads (the folders the hunt bench
/// loads); a Windows rule refused is a detection lost.
#[test]
fn every_sigmahq_windows_rule_loads() {
    let Some(dir) = sigma_dir() else { return };
    let mut loaded = 0;
    let mut refused = Vec::new();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        let part = firebreak_detect::rules::load(&dir.join(folder), |_, _| {}).unwrap();
        loaded += part.rules.iter().filter(|r| r.meta.product == "windows").count();
        for p in part.problems {
            let text = std::fs::read_to_string(dir.join(folder).join(&p.file)).unwrap_or_default();
            if text.contains("product: windows") {
                refused.push(p.to_string());
            }
        }
    }
    println!("SigmaHQ Windows rules loaded: {loaded}, refused: {}", refused.len());
    assert!(refused.is_empty(), "{}", refused.join("\n"));
    assert!(loaded > 2000, "only {loaded} Windows rules");
}

/// Every SigmaHQ rule file the hunt reads unparsed (by `rules::scan`) has
/// the id, title, status, level, tags and log source that parsing finds,
/// and nearly every Windows rule is read so.
#[test]
fn sigmahq_rules_scanned_unparsed_have_the_metadata_parsing_finds() {
    let Some(dir) = sigma_dir() else { return };
    let (mut scanned, mut windows, mut windows_scanned) = (0, 0, 0);
    for folder in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        for f in firebreak_detect::rules::rule_files(&dir.join(folder)).unwrap() {
            let text = std::fs::read_to_string(&f).unwrap();
            let is_windows = folder != "rules" || f.starts_with(dir.join("rules/windows"));
            windows += usize::from(is_windows);
            let Some(fast) = firebreak_detect::rules::scan(&text) else { continue };
            scanned += 1;
            windows_scanned += usize::from(is_windows);
            let (rules, problems) = firebreak_detect::rules::check_file("f.yml", &text);
            let name = f.display();
            assert!(problems.is_empty(), "{name}: {problems:?}");
            assert_eq!(rules.len(), 1, "{name}");
            let m = &rules[0].meta;
            assert_eq!(
                (&fast.id, &fast.title, fast.status, fast.level, &fast.tags, &fast.techniques),
                (&m.id, &m.title, m.status, m.level, &m.tags, &m.techniques),
                "{name}"
            );
            assert_eq!((&fast.product, &fast.category, &fast.service), (&m.product, &m.category, &m.service), "{name}");
        }
    }
    println!("SigmaHQ rule files read unparsed: {scanned}; Windows: {windows_scanned} of {windows}");
    assert!(windows_scanned * 100 >= windows * 95, "only {windows_scanned} of {windows}");
}

/// A hunt's rules, read unparsed and parsed as their log sources come,
/// find on every regression sample what the same rules read and compiled
/// at once find.
#[test]
fn rules_read_unparsed_find_what_rules_compiled_at_once_find() {
    let Some(dir) = sigma_dir() else { return };
    let mut texts = Vec::new();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        for f in firebreak_detect::rules::rule_files(&dir.join(folder)).unwrap() {
            texts.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
        }
    }
    let (lazy, eager) = (Library::from_texts(&texts, false), Library::from_texts(&texts, true));
    let (lazy, _) = Detector::new(&lazy.rules, &[]);
    let (eager, _) = Detector::new(&eager.rules, &[]);
    let ids = |d: &Detector, found: Vec<usize>| found.into_iter().map(|i| d.rules()[i].id.clone()).collect::<Vec<_>>();
    let (samples, _) = firebreak_detect::regression::samples(&dir);
    let (mut events, mut hits) = (0, 0);
    for s in &samples {
        read_evtx(&s.evtx, |_, raw| {
            let ev = event::flatten(raw);
            let src = event::source_of(&ev);
            let found = ids(&lazy, lazy.matches(&ev, &src));
            assert_eq!(found, ids(&eager, eager.matches(&ev, &src)), "{}", s.evtx.display());
            events += 1;
            hits += found.len();
        })
        .unwrap();
    }
    println!("{events} events, {hits} hits either way");
    assert!(hits > 150, "only {hits} hits");
}

/// The missed detection of issue 26: the rule writes ` /accepteula`, the
/// attacker `-accepteula`.
#[test]
fn renamed_procdump_fires_whichever_dash_the_command_line_uses() {
    let Some(dir) = sigma_dir() else { return };
    let file = "rules/windows/process_creation/proc_creation_win_renamed_sysinternals_procdump.yml";
    let mut lib = Library::default();
    lib.add_file(file, &std::fs::read_to_string(dir.join(file)).unwrap());
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let (detector, _) = Detector::new(&lib.rules, &[]);
    let process = |cli: &str| {
        event::flatten(serde_json::json!({"Event": {"System": {"EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational", "Computer": "ws1"},
            "EventData": {"Image": "C:\\Users\\Public\\pd.exe", "OriginalFileName": "pd.exe", "CommandLine": cli}}}))
    };
    for (cli, fires) in [
        ("pd.exe /accepteula /ma lsass.exe", true),
        ("pd.exe -accepteula -ma lsass.exe", true),
        ("pd.exe \u{2013}accepteula \u{2014}mp lsass.exe", true),
        ("pd.exe -ma lsass.exe", false),
    ] {
        let ev = process(cli);
        let src = event::source_of(&ev);
        assert_eq!(detector.matches(&ev, &src).len(), usize::from(fires), "{cli}");
        assert_eq!(detector.naive_matches(&ev, &src).len(), usize::from(fires), "{cli}");
    }
}

#[test]
fn every_regression_sample_yields_its_expected_matches() {
    let Some(dir) = sigma_dir() else { return };
    let lib = library(&dir);
    println!("rules accepted: {}, rejected: {}", lib.rules.len(), lib.problems.len());
    for (reason, n) in lib.problem_summary() {
        println!("  {n:5}  {reason}");
    }
    let (detector, problems) = Detector::new(&lib.rules, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    let (samples, bad) = firebreak_detect::regression::samples(&dir);
    assert!(bad.is_empty(), "{bad:?}");
    assert!(samples.len() > 150, "only {} samples", samples.len());
    let mut failures = Vec::new();
    let mut checked = 0;
    for s in &samples {
        let Some(rule) = detector.rule_index(&s.rule_id) else {
            failures.push(format!("{}: rule {} not loaded", s.evtx.display(), s.rule_id));
            continue;
        };
        let mut count = 0u64;
        let mut disagree = 0;
        read_evtx(&s.evtx, |_, raw| {
            let ev = event::flatten(raw);
            let src = event::source_of(&ev);
            let fast = detector.matches(&ev, &src);
            if fast != detector.naive_matches(&ev, &src) {
                disagree += 1;
            }
            if fast.contains(&rule) {
                count += 1;
            }
        })
        .unwrap();
        assert_eq!(disagree, 0, "{}: the matcher and the naive baseline disagree", s.evtx.display());
        // The same events as JSON, read by the JSON reader, match the same.
        let json = s.evtx.with_extension("json");
        if json.exists() {
            let mut from_json = 0u64;
            let stats = read_json(&json, |_, raw| {
                let ev = event::flatten(raw);
                if detector.matches(&ev, &event::source_of(&ev)).contains(&rule) {
                    from_json += 1;
                }
            })
            .unwrap();
            assert_eq!(stats.skipped, 0, "{}: {:?}", json.display(), stats.warnings);
            assert_eq!(from_json, count, "{}: JSON and EVTX differ", json.display());
        }
        let stated = firebreak_detect::regression::expected(s);
        let expected = stated.unwrap_or(1);
        let ok = if stated.is_some() { count == expected } else { count >= 1 };
        if !ok {
            failures.push(format!("{} ({}): {count} matches, expected {expected}", s.rule_title, s.evtx.display()));
        }
        checked += 1;
    }
    println!("regression samples: {checked} checked, {} failed", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_damaged_evtx_chunk_is_skipped_with_a_warning_never_a_crash() {
    let Some(dir) = sigma_dir() else { return };
    let (samples, _) = firebreak_detect::regression::samples(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let mut damaged_files = 0;
    for s in samples.iter().take(40) {
        let mut bytes = std::fs::read(&s.evtx).unwrap();
        if bytes.len() < 4096 + 1024 {
            continue;
        }
        // Overwrite part of the first chunk's records (after its 512-byte header).
        for b in &mut bytes[4096 + 600..4096 + 1000] {
            *b = 0x5A;
        }
        let path = tmp.path().join("damaged.evtx");
        std::fs::write(&path, &bytes).unwrap();
        let result = std::panic::catch_unwind(|| read_evtx(&path, |_, _| {}));
        let stats = result.expect("no panic").expect("a damaged record is not a failed file");
        if stats.skipped > 0 {
            damaged_files += 1;
            assert!(!stats.warnings.is_empty());
        }
        // Cut off mid-chunk: also read as far as it goes.
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let _ = std::panic::catch_unwind(|| read_evtx(&path, |_, _| {})).expect("no panic");
    }
    assert!(damaged_files > 0, "the damage was noticed in some files");
}

#[test]
fn evtx_records_flattened_as_parsed_equal_the_parsed_records_flattened() {
    let Some(dir) = sigma_dir() else { return };
    let (samples, _) = firebreak_detect::regression::samples(&dir);
    let mut records = 0;
    for s in &samples {
        let mut whole = Vec::new();
        read_evtx(&s.evtx, |_, v| whole.push(serde_json::to_string(&event::flatten(v)).unwrap())).unwrap();
        let mut streamed = Vec::new();
        firebreak_detect::hunt::read_events_flat(&s.evtx, |_, v| streamed.push(serde_json::to_string(&v).unwrap()))
            .unwrap();
        // Compared as text: the same fields, in the same order.
        assert_eq!(streamed, whole, "{}", s.evtx.display());
        records += whole.len();
    }
    assert!(records > 200, "{records} records compared");
}

#[test]
fn every_rule_nests_well_within_the_depth_limit() {
    let Some(dir) = sigma_dir() else { return };
    let limit = firebreak_detect::nesting::MAX_DEPTH;
    let mut deepest = (0, PathBuf::new());
    let mut files = 0;
    for folder in ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-placeholder", "rules-dfir"] {
        let Ok(paths) = firebreak_detect::rules::rule_files(&dir.join(folder)) else { continue };
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let depth = firebreak_detect::nesting::depth(&text);
            files += 1;
            if depth > deepest.0 {
                deepest = (depth, path);
            }
        }
    }
    println!("{files} rule files; the deepest nests {} levels: {}", deepest.0, deepest.1.display());
    assert!(files > 3000, "only {files} rule files");
    assert!(deepest.0 * 4 <= limit, "{} levels in {} leave too little margin", deepest.0, deepest.1.display());
}
