//! The candidate filter in front of rule evaluation, and the heart of the
//! matcher's speed: written here because no Sigma engine we know of offers
//! it for rule sets like SigmaHQ's, where nearly every rule ends in
//! `and not filter_*` (which keeps `rsigma`'s own cross-rule index from
//! pruning them) and so every process-creation event would meet a thousand
//! rules, each scanning the same command line with its own automaton.
//!
//! For each rule we derive, from its detection and condition, sets of
//! strings (clauses) of which each must have one occur (case-insensitively) somewhere
//! in any event the rule matches: the values of a positive `contains`,
//! `startswith`, `endswith` or plain item (the longest literal run between
//! wildcards). Where no such set can be proven (a `not`, a regular
//! expression, base64, a comparison, a field reference…) the rule is always
//! a candidate. One Aho-Corasick pass over all of an event's values then
//! names the candidate rules, and only they are evaluated, by the same
//! compiled rules as the naive matcher: the answers are identical by
//! construction, only fewer rules are asked.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SelectorPattern, SigmaRule, SigmaValue, StringPart,
    detection_name_matches,
};
use serde_json::Value;

/// Lower-cases char by char (no context rules), the same way for needles
/// and events, so that a case-insensitive match is always a substring match
/// of the folded strings.
pub fn fold(s: &str, out: &mut String) {
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// What must occur in a matching event: every clause, by at least one of
/// its strings. `None`: nothing can be proven.
type Needles = Option<Vec<Vec<String>>>;

/// The shortest string worth looking for.
const MIN_NEEDLE: usize = 3;

/// The most clauses kept per rule (the most selective ones).
const MAX_CLAUSES: usize = 16;

/// How selective a clause is: its shortest string's length, then fewer
/// alternatives.
fn score(c: &[String]) -> (usize, usize) {
    (c.iter().map(String::len).min().unwrap_or(0), usize::MAX - c.len())
}

/// Both must hold: all clauses of each.
fn both(a: Needles, b: Needles) -> Needles {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(mut a), Some(b)) => {
            a.extend(b);
            a.sort_by_key(|c| std::cmp::Reverse(score(c)));
            a.dedup();
            a.truncate(MAX_CLAUSES);
            Some(a)
        }
    }
}

/// Either of several: one clause, the union of each one's best clause;
/// unknown if any is.
fn union(sets: impl IntoIterator<Item = Needles>) -> Needles {
    let mut out = Vec::new();
    let mut any = false;
    for s in sets {
        let best = s?.into_iter().max_by_key(|c| score(c))?;
        out.extend(best);
        any = true;
    }
    out.sort();
    out.dedup();
    any.then(|| vec![out])
}

fn value_needle(v: &SigmaValue) -> Option<String> {
    let mut out = String::new();
    match v {
        SigmaValue::String(s) => {
            // The longest literal run: every match contains it.
            let mut best = String::new();
            let mut run = String::new();
            for p in &s.parts {
                match p {
                    StringPart::Plain(t) => run.push_str(t),
                    StringPart::Special(_) => {
                        if run.len() > best.len() {
                            best = std::mem::take(&mut run);
                        }
                        run.clear();
                    }
                }
            }
            if run.len() > best.len() {
                best = run;
            }
            fold(&best, &mut out);
        }
        SigmaValue::Integer(i) => out = i.to_string(),
        _ => return None,
    }
    (!out.is_empty()).then_some(out)
}

fn item(i: &DetectionItem) -> Needles {
    let plain = i.field.modifiers.iter().all(|m| {
        matches!(m, Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith | Modifier::All | Modifier::Cased)
    });
    if !plain || i.values.is_empty() {
        return None;
    }
    let needles: Option<Vec<String>> = i.values.iter().map(value_needle).collect();
    let needles = needles?;
    if i.field.modifiers.contains(&Modifier::All) {
        // Every value must occur: each is a clause.
        needles.into_iter().map(|n| Some(vec![vec![n]])).fold(None, both)
    } else {
        Some(vec![needles])
    }
}

fn detection(d: &Detection) -> Needles {
    match d {
        Detection::AllOf(items) => items.iter().map(item).fold(None, both),
        Detection::AnyOf(ds) => union(ds.iter().map(detection)),
        Detection::Keywords(values) => values.iter().map(value_needle).collect::<Option<Vec<_>>>().map(|v| vec![v]),
        Detection::And(ds) => ds.iter().map(detection).fold(None, both),
        _ => None,
    }
}

fn condition(c: &ConditionExpr, named: &HashMap<String, Detection>) -> Needles {
    match c {
        ConditionExpr::Identifier(name) => named.get(name).and_then(detection),
        ConditionExpr::And(cs) => cs.iter().map(|c| condition(c, named)).fold(None, both),
        ConditionExpr::Or(cs) => union(cs.iter().map(|c| condition(c, named))),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Selector { quantifier, pattern } => {
            let pick = |name: &&String| match pattern {
                SelectorPattern::Them => !name.starts_with('_'),
                SelectorPattern::Pattern(p) => detection_name_matches(p, name),
            };
            let mut names: Vec<&String> = named.keys().filter(pick).collect();
            names.sort();
            match quantifier {
                Quantifier::All => names.iter().map(|n| named.get(*n).and_then(detection)).fold(None, both),
                Quantifier::Count(0) => None,
                // At least one of them: all of them (and, for `them`, the
                // underscore ones too, a harmless superset) must be allowed.
                _ => {
                    if names.is_empty() {
                        None
                    } else {
                        union(
                            named
                                .iter()
                                .filter(|(n, _)| {
                                    matches!(pattern, SelectorPattern::Them) || names.iter().any(|m| m == n)
                                })
                                .map(|(_, d)| detection(d)),
                        )
                    }
                }
            }
        }
    }
}

/// The necessary strings of a rule, or `None` when it must always be asked.
pub fn necessary(rule: &SigmaRule) -> Needles {
    match rule.detection.conditions.as_slice() {
        [] => None,
        [one] => condition(one, &rule.detection.named),
        many => union(many.iter().map(|c| condition(c, &rule.detection.named))),
    }
}

/// All rules' necessary strings in one automaton.
pub struct Prefilter {
    ac: Option<AhoCorasick>,
    /// The (rule, clause) pairs each needle satisfies.
    needle_clauses: Vec<Vec<(u32, u8)>>,
    /// Per rule, the mask of all its clauses; 0 for rules always asked.
    full: Vec<u16>,
    /// The rules always asked, ascending.
    always_asked: Vec<u32>,
}

impl Prefilter {
    /// `rules[i]` is rule `i`'s necessary clauses.
    pub fn new(rules: &[Needles]) -> Prefilter {
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut needles: Vec<&str> = Vec::new();
        let mut needle_clauses: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut full = vec![0u16; rules.len()];
        for (r, set) in rules.iter().enumerate() {
            let Some(clauses) = set else { continue };
            // A clause with a very short string ("1", "ab") is met by nearly
            // every event and floods the automaton with matches: it is left
            // out, which only lets more rules through, never fewer.
            let kept = clauses.iter().filter(|c| c.iter().all(|n| n.len() >= MIN_NEEDLE));
            for (c, clause) in kept.take(MAX_CLAUSES).enumerate() {
                full[r] |= 1 << c;
                for n in clause {
                    let id = *index.entry(n.as_str()).or_insert_with(|| {
                        needles.push(n.as_str());
                        needle_clauses.push(Vec::new());
                        needles.len() - 1
                    });
                    needle_clauses[id].push((r as u32, c as u8));
                }
            }
        }
        // A contiguous NFA: for tens of thousands of needles a DFA took
        // hundreds of megabytes and searched slower for its cache misses.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&needles)
            .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&needles))
            .ok();
        if ac.is_none() {
            // Cannot happen with string needles; then every rule is asked.
            full.iter_mut().for_each(|f| *f = 0);
        }
        let always_asked = (0..full.len() as u32).filter(|&r| full[r as usize] == 0).collect();
        Prefilter { ac, needle_clauses, full, always_asked }
    }

    /// How many rules can never be skipped.
    pub fn always_count(&self) -> usize {
        self.always_asked.len()
    }

    /// The candidate rules for an event, ascending.
    pub fn candidates(&self, event: &Value) -> Vec<u32> {
        SCRATCH.with_borrow_mut(|s| {
            s.hay.clear();
            haystack(event, &mut s.hay);
            s.seen.clear();
            s.seen.resize(self.needle_clauses.len(), false);
            if s.got.len() != self.full.len() {
                s.got.clear();
                s.got.resize(self.full.len(), 0);
            }
            // Rules whose clauses were met in part, to reset afterwards
            // without sweeping every rule.
            for &r in &s.touched {
                if let Some(g) = s.got.get_mut(r as usize) {
                    *g = 0;
                }
            }
            s.touched.clear();
            if let Some(ac) = &self.ac {
                for m in ac.find_overlapping_iter(&s.hay) {
                    let p = m.pattern().as_usize();
                    if !s.seen[p] {
                        s.seen[p] = true;
                        for &(r, c) in &self.needle_clauses[p] {
                            let got = &mut s.got[r as usize];
                            if *got == 0 {
                                s.touched.push(r);
                            }
                            *got |= 1 << c;
                        }
                    }
                }
            }
            let mut out: Vec<u32> = self.always_asked.clone();
            for &r in &s.touched {
                if s.got[r as usize] == self.full[r as usize] {
                    out.push(r);
                }
                s.got[r as usize] = 0;
            }
            out.sort_unstable();
            out
        })
    }
}

/// Buffers reused from one event to the next on each thread.
#[derive(Default)]
struct Scratch {
    hay: String,
    seen: Vec<bool>,
    got: Vec<u16>,
    touched: Vec<u32>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Every scalar of an event, folded, one after another with a separator
/// that no needle contains.
fn haystack(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            fold(s, out);
            out.push('\u{1}');
        }
        Value::Number(n) => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
            out.push('\u{1}');
        }
        Value::Bool(b) => {
            out.push_str(if *b { "true" } else { "false" });
            out.push('\u{1}');
        }
        Value::Array(items) => items.iter().for_each(|i| haystack(i, out)),
        Value::Object(map) => map.values().for_each(|i| haystack(i, out)),
        Value::Null => {}
    }
}
