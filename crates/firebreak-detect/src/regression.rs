//! SigmaHQ's regression samples: per rule, an EVTX file and how many times
//! the rule must match it (`regression_data/…/info.yml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Samples whose `match_count` is lower than the number of their events
/// that satisfy the rule, each checked by hand against the rule and the
/// events: (the sample's rule id, the right count, why).
pub const RECOUNTED: &[(&str, u64, &str)] = &[
    ("0b9ad457-2554-44c1-82c2-d56a99c42377", 3, "three files are written under AnyDesk\\user.conf*"),
    ("8fbf3271-1ef6-4e94-8210-03c2317947f6", 3, "procdump.exe, procdump64.exe and procdump64a.exe are all dropped"),
    ("45e112d0-7759-4c2a-aa36-9f8fb79d3393", 3, "three ZoneMap\\Domains values are set to 2"),
    ("c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e", 2, "AutoShareServer and AutoShareWks are both set to 0"),
];

/// How many matches a sample must give: the recounted figure where there is
/// one, else its `match_count`, else at least one (`None`).
pub fn expected(sample: &Sample) -> Option<u64> {
    RECOUNTED.iter().find(|(id, _, _)| *id == sample.rule_id).map(|(_, n, _)| *n).or(sample.match_count)
}

/// One sample and what it expects.
#[derive(Debug, Clone)]
pub struct Sample {
    pub rule_id: String,
    pub rule_title: String,
    pub evtx: PathBuf,
    /// How many events of the sample the rule must match, when stated.
    pub match_count: Option<u64>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    rule_metadata: Vec<RuleRef>,
    #[serde(default)]
    regression_tests_info: Vec<TestInfo>,
}

#[derive(Deserialize)]
struct RuleRef {
    id: String,
    #[serde(default)]
    title: String,
}

#[derive(Deserialize)]
struct TestInfo {
    #[serde(rename = "type", default)]
    kind: String,
    path: String,
    match_count: Option<u64>,
}

/// Reads every `info.yml` under `root/regression_data`. `root` is the
/// folder the sample paths are relative to (a SigmaHQ checkout). Files that
/// cannot be read are returned as problems.
pub fn samples(root: &Path) -> (Vec<Sample>, Vec<String>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut stack = vec![root.join("regression_data")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            problems.push(format!("{}: cannot be read", dir.display()));
            continue;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.file_name().is_none_or(|n| n != "info.yml") {
                continue;
            }
            let info: Info = match std::fs::read_to_string(&p)
                .map_err(|e| e.to_string())
                .and_then(|t| yaml_serde::from_str(&t).map_err(|e| e.to_string()))
            {
                Ok(i) => i,
                Err(e) => {
                    problems.push(format!("{}: {e}", p.display()));
                    continue;
                }
            };
            let Some(rule) = info.rule_metadata.first() else { continue };
            for t in info.regression_tests_info.iter().filter(|t| t.kind == "evtx") {
                out.push(Sample {
                    rule_id: rule.id.clone(),
                    rule_title: rule.title.clone(),
                    evtx: root.join(&t.path),
                    match_count: t.match_count,
                });
            }
        }
    }
    out.sort_by(|a, b| a.evtx.cmp(&b.evtx));
    (out, problems)
}
