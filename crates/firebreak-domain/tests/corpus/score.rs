//! Scoring the labelled corpus: shared by the corpus test and the
//! `extraction-quality` benchmark, which include this file.

use std::collections::BTreeSet;
use std::path::Path;

use firebreak_domain::formats::{self, Format, Mapped};
use firebreak_domain::intake::{Item, prepare};
use firebreak_domain::observable::{ObservableKind, comparison_key, normalise};
use serde_json::Value;
use uuid::Uuid;

pub const FORMATS: &[&str] = &["suricata", "wazuh", "ecs", "ocsf", "sigma"];

type Key = (ObservableKind, String);

fn key(kind: ObservableKind, value: &str) -> Key {
    (kind, comparison_key(kind, value).into_owned())
}

/// What Firebreak makes of one event of `format`.
fn observed(format: &str, event: &Value) -> Vec<(ObservableKind, String)> {
    if format == "sigma" {
        return formats::event_observables(event);
    }
    let f: Format = format.parse().expect("a listed format");
    match formats::map(f, event.clone()) {
        Ok(Mapped::Alert(a)) => {
            let now = time::OffsetDateTime::UNIX_EPOCH;
            match prepare(Item::Mapped(a), Uuid::nil(), Uuid::nil(), now) {
                Ok(alert) => alert
                    .observables
                    .iter()
                    .filter_map(|o| o.kind.parse::<ObservableKind>().ok().map(|k| (k, o.value.clone())))
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        _ => formats::observables(f, event),
    }
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

/// Tallies of one format.
#[derive(Default)]
pub struct Score {
    pub events: usize,
    pub expected: usize,
    pub found: usize,
    pub right: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.found == 0 { 1.0 } else { self.right as f64 / self.found as f64 }
    }
    pub fn recall(&self) -> f64 {
        if self.expected == 0 { 1.0 } else { self.right as f64 / self.expected as f64 }
    }
}

pub fn score(root: &Path, format: &str, verbose: bool) -> Score {
    let dir = root.join(format);
    let events = lines(&dir.join("events.jsonl"));
    let labels = lines(&dir.join("labels.jsonl"));
    assert_eq!(events.len(), labels.len(), "{format}: one line of labels for each event");
    let mut s = Score::default();
    for (i, (event, label)) in events.iter().zip(&labels).enumerate() {
        let expected: BTreeSet<Key> = label
            .as_array()
            .expect("a list of [type, value]")
            .iter()
            .map(|pair| {
                let kind: ObservableKind = pair[0].as_str().and_then(|k| k.parse().ok()).expect("a kind");
                let value = pair[1].as_str().expect("a value");
                let n = normalise(kind, value).unwrap_or_else(|e| panic!("{format} line {}: {value}: {e}", i + 1));
                key(kind, &n.value)
            })
            .collect();
        let found: BTreeSet<Key> = observed(format, event).iter().map(|(k, v)| key(*k, v)).collect();
        if verbose {
            for missed in expected.difference(&found) {
                println!("  {format} line {}: missed {} {}", i + 1, missed.0, missed.1);
            }
            for extra in found.difference(&expected) {
                println!("  {format} line {}: not expected {} {}", i + 1, extra.0, extra.1);
            }
        }
        s.events += 1;
        s.expected += expected.len();
        s.found += found.len();
        s.right += expected.intersection(&found).count();
    }
    s
}

/// The table of every format's scores.
pub fn table(scores: &[(&str, Score)]) -> String {
    let mut out = format!(
        "{:<10} {:>6} {:>9} {:>6} {:>6} {:>9} {:>7}\n",
        "format", "events", "expected", "found", "right", "precision", "recall"
    );
    for (f, s) in scores {
        out.push_str(&format!(
            "{f:<10} {:>6} {:>9} {:>6} {:>6} {:>9.3} {:>7.3}\n",
            s.events,
            s.expected,
            s.found,
            s.right,
            s.precision(),
            s.recall()
        ));
    }
    out
}
