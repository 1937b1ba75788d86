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
//! wildcards; `windash` values are expanded into their dash forms before),
//! the literal runs every
//! match of a regular expression holds, the base64 forms of a `base64` or
//! `base64offset` value, and for an integer equality (`EventID: 4688`) the
//! field's number itself. Where no such set can be proven (a `not`, a
//! comparison, a field reference, CIDR…) the rule is always a candidate.
//! A string of an item on a plain field (`CommandLine|contains`) must occur
//! in that field's value, where `rsigma` looks for it: each field has its
//! own Aho-Corasick automaton, run over that value alone; the strings of
//! keywords and nested paths are looked for in all of the event's values.
//! Those passes (and a look at the few numeric fields) name the candidate
//! rules, and only they are evaluated, by the same compiled rules as the
//! naive matcher: the answers are identical by
//! construction, only fewer rules are asked.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind, Literal};
use rsigma_parser::{
    ConditionExpr, Detection, DetectionItem, Modifier, Quantifier, SelectorPattern, SigmaRule, SigmaValue, StringPart,
    detection_name_matches,
};
use serde_json::Value;

/// Lower-cases char by char (no context rules), the same way for needles
/// and events, so that a case-insensitive match is always a substring match
/// of the folded strings. `FIELD_EQ` and `FIELD_IN` become the separator
/// `\u{1}`, so that no folded text can pass for a field's number or scope.
pub fn fold(s: &str, out: &mut String) {
    // Bytes compared, not chars: one vectorised pass over every event value.
    if s.is_ascii() && !s.bytes().any(|b| b == FIELD_EQ as u8 || b == FIELD_IN as u8) {
        // Most event values: copied whole, then lower-cased in place.
        let start = out.len();
        out.push_str(s);
        if let Some(tail) = out.get_mut(start..) {
            tail.make_ascii_lowercase();
        }
        return;
    }
    for c in s.chars() {
        if c == FIELD_EQ || c == FIELD_IN {
            // Kept for field numbers and scopes: no folded text ever holds them.
            out.push('\u{1}');
        } else if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if c == '\u{17F}' {
            // The long s is an `s` to a case-insensitive regular expression.
            out.push('s');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

fn folded(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold(s, &mut out);
    out
}

/// What must occur in a matching event: every clause, by at least one of
/// its strings. `None`: nothing can be proven.
pub type Needles = Option<Vec<Vec<String>>>;

/// The shortest string worth looking for.
const MIN_NEEDLE: usize = 3;

/// Whether a needle is worth looking for: long enough, or holding a
/// character other than ASCII, or two marks such as `^^` (rare in events
/// whatever their length).
fn worth(n: &str) -> bool {
    let n = scope_of(n).1;
    n.len() >= MIN_NEEDLE || !n.is_ascii() || (n.len() == 2 && n.bytes().all(|b| b.is_ascii_punctuation()))
}

/// A needle that is no string but a field's number: `FIELD_EQ`, the field's
/// name, `FIELD_EQ` again, the number. It stands for an equality item with
/// an integer (`EventID: 28`), whose digits alone are too short to look for.
const FIELD_EQ: char = '\u{2}';

fn field_eq_needle(field: &str, n: i64) -> String {
    format!("{FIELD_EQ}{field}{FIELD_EQ}{n}")
}

/// The field and number of a [`field_eq_needle`]; `None` for a string
/// needle (folded text never holds `FIELD_EQ`, see [`fold`]).
fn field_eq_of(needle: &str) -> Option<(&str, f64)> {
    let (field, n) = needle.strip_prefix(FIELD_EQ)?.rsplit_once(FIELD_EQ)?;
    Some((field, n.parse().ok()?))
}

/// A string needle that must occur in one field's value: `FIELD_IN`, the
/// field's name, `FIELD_IN` again, the folded text. Looked for in that
/// value alone, it asks fewer rules for less scanning than a needle
/// looked for anywhere in the event.
const FIELD_IN: char = '\u{3}';

fn scoped(field: &str, text: &str) -> String {
    format!("{FIELD_IN}{field}{FIELD_IN}{text}")
}

/// The field a needle is scoped to, if any, and its text.
fn scope_of(needle: &str) -> (Option<&str>, &str) {
    needle
        .strip_prefix(FIELD_IN)
        .and_then(|rest| rest.split_once(FIELD_IN))
        .map_or((None, needle), |(field, text)| (Some(field), text))
}

/// A field name `rsigma` looks up as a key of the event itself, with no
/// path through nested values.
fn plain_field(name: Option<&str>) -> Option<&str> {
    name.filter(|f| !f.is_empty() && !f.contains(['.', '[', '\\', FIELD_EQ, FIELD_IN]))
}

/// The most clauses kept per rule (the most selective ones).
const MAX_CLAUSES: usize = 16;

/// How selective a clause is: its shortest string's length, then fewer
/// alternatives.
fn score(c: &[String]) -> (usize, usize) {
    // A field's number (an event id) is met by many events: it counts as
    // short as a string can be.
    let len = |n: &String| if n.starts_with(FIELD_EQ) { MIN_NEEDLE } else { scope_of(n).1.len() };
    (c.iter().map(len).min().unwrap_or(0), usize::MAX - c.len())
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
    let mut sets = sets.into_iter().peekable();
    let first = sets.next()?;
    if sets.peek().is_none() {
        // Either of one: all of its clauses still hold.
        return first;
    }
    let sets = std::iter::once(first).chain(sets);
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

/// The longest literal run of a value: every match contains it. With
/// `windash` (which [`crate::spec::conform`] rewrites away before this is
/// asked), any of its dash forms also ends a run: another may match it.
fn value_needle(v: &SigmaValue, windash: bool) -> Option<String> {
    let out = match v {
        SigmaValue::String(s) => {
            let mut best = String::new();
            let mut run = String::new();
            let mut end_run = |run: &mut String| {
                if run.len() > best.len() {
                    best = std::mem::take(run);
                }
                run.clear();
            };
            for p in &s.parts {
                match p {
                    StringPart::Plain(t) if windash => {
                        for c in t.chars() {
                            if crate::spec::DASHES.contains(&c) {
                                end_run(&mut run);
                            } else {
                                run.push(c);
                            }
                        }
                    }
                    StringPart::Plain(t) => run.push_str(t),
                    StringPart::Special(_) => end_run(&mut run),
                }
            }
            end_run(&mut run);
            folded(&best)
        }
        SigmaValue::Integer(i) => i.to_string(),
        _ => return None,
    };
    (!out.is_empty()).then_some(out)
}

/// The text `rsigma` gives a string value before encoding it.
fn plain_text(v: &SigmaValue) -> Option<String> {
    match v {
        SigmaValue::String(s) => Some(s.as_plain().unwrap_or_else(|| s.original.clone())),
        _ => None,
    }
}

/// The base64 forms a `base64` or `base64offset` value is looked for as,
/// computed as `rsigma` computes them (offsets 0, 1 and 2, with the
/// characters the offset's padding touches left off).
fn base64_needles(bytes: &[u8], offsets: bool) -> Vec<String> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    if !offsets {
        return vec![folded(&b64.encode(bytes))];
    }
    (0..3usize)
        .filter_map(|offset| {
            let mut padded = vec![0u8; offset];
            padded.extend_from_slice(bytes);
            let encoded = b64.encode(&padded);
            let trimmed = encoded.trim_end_matches('=');
            let start = (offset * 4).div_ceil(3);
            (start < trimmed.len()).then(|| folded(&trimmed[start..]))
        })
        .collect()
}

/// The one character (folded) that a piece of a regular expression
/// stands for, if it stands for one: a literal, or a class of case
/// variants of one letter.
fn regex_text(h: &Hir) -> Option<String> {
    match h.kind() {
        HirKind::Literal(Literal(bytes)) => std::str::from_utf8(bytes).ok().map(folded),
        HirKind::Class(Class::Unicode(class)) => {
            let mut one: Option<String> = None;
            let mut count = 0u32;
            for r in class.ranges() {
                count += r.end() as u32 - r.start() as u32 + 1;
                if count > 4 {
                    return None;
                }
                for c in r.start()..=r.end() {
                    let f = folded(c.encode_utf8(&mut [0; 4]));
                    match &one {
                        Some(o) if *o != f => return None,
                        Some(_) => {}
                        None => one = Some(f),
                    }
                }
            }
            one
        }
        HirKind::Capture(c) => regex_text(&c.sub),
        _ => None,
    }
}

/// The strings of which every match of a regular expression holds one of
/// each clause: its literal runs, through groups, alternations and
/// repetitions that must occur at least once.
fn regex_hir(h: &Hir) -> Needles {
    match h.kind() {
        HirKind::Concat(items) => {
            let mut out: Needles = None;
            let mut run = String::new();
            for i in items {
                if let Some(t) = regex_text(i) {
                    run.push_str(&t);
                    continue;
                }
                if !run.is_empty() {
                    out = both(out, Some(vec![vec![std::mem::take(&mut run)]]));
                }
                out = both(out, regex_hir(i));
            }
            if !run.is_empty() {
                out = both(out, Some(vec![vec![run]]));
            }
            out
        }
        HirKind::Alternation(branches) => union(branches.iter().map(regex_hir)),
        HirKind::Capture(c) => regex_hir(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => regex_hir(&r.sub),
        _ => regex_text(h).map(|t| vec![vec![t]]),
    }
}

/// [`regex_hir`] of a `re` value, parsed as `rsigma` compiles it.
fn regex_needles(v: &SigmaValue, modifiers: &[Modifier]) -> Needles {
    let pattern = plain_text(v)?;
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(modifiers.contains(&Modifier::IgnoreCase))
        .multi_line(modifiers.contains(&Modifier::Multiline))
        .dot_matches_new_line(modifiers.contains(&Modifier::DotAll))
        .build()
        .parse(&pattern)
        .ok()?;
    regex_hir(&hir)
}

fn item(i: &DetectionItem) -> Needles {
    let mods = &i.field.modifiers;
    if i.values.is_empty() {
        return None;
    }
    let all = mods.contains(&Modifier::All);
    // Each value's clauses; the item needs all of them (`all`) or one.
    let per_value: Vec<Needles> = if mods.contains(&Modifier::Re) {
        if !mods.iter().all(|m| {
            matches!(m, Modifier::Re | Modifier::IgnoreCase | Modifier::Multiline | Modifier::DotAll | Modifier::All)
        }) {
            return None;
        }
        i.values.iter().map(|v| regex_needles(v, mods)).collect()
    } else if mods.iter().any(|m| matches!(m, Modifier::Base64 | Modifier::Base64Offset)) {
        let allowed = |m: &Modifier| {
            matches!(
                m,
                Modifier::Base64
                    | Modifier::Base64Offset
                    | Modifier::Wide
                    | Modifier::Contains
                    | Modifier::All
                    | Modifier::Cased
            )
        };
        if !mods.iter().all(allowed) {
            return None;
        }
        let offsets = mods.contains(&Modifier::Base64Offset);
        i.values
            .iter()
            .map(|v| {
                let text = plain_text(v)?;
                let bytes: Vec<u8> = if mods.contains(&Modifier::Wide) {
                    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
                } else {
                    text.into_bytes()
                };
                Some(vec![base64_needles(&bytes, offsets)])
            })
            .collect()
    } else if mods.is_empty()
        && let Some(field) = plain_field(i.field.name.as_deref())
        && i.values.iter().all(|v| matches!(v, SigmaValue::Integer(_)))
    {
        // `EventID: 4688`: the field's number, read the way `rsigma`
        // compares numbers.
        i.values
            .iter()
            .map(|v| match v {
                SigmaValue::Integer(n) => Some(vec![vec![field_eq_needle(field, *n)]]),
                _ => None,
            })
            .collect()
    } else {
        let plain = mods.iter().all(|m| {
            matches!(
                m,
                Modifier::Contains
                    | Modifier::StartsWith
                    | Modifier::EndsWith
                    | Modifier::All
                    | Modifier::Cased
                    | Modifier::WindAsh
            )
        });
        if !plain {
            return None;
        }
        let windash = mods.contains(&Modifier::WindAsh);
        i.values.iter().map(|v| value_needle(v, windash).map(|n| vec![vec![n]])).collect()
    };
    let needles = if all { per_value.into_iter().fold(None, both) } else { union(per_value) };
    // `rsigma` looks for a plain field's value in that key alone: so can we.
    match plain_field(i.field.name.as_deref()) {
        Some(field) => needles.map(|clauses| {
            clauses
                .into_iter()
                .map(|c| c.into_iter().map(|n| if n.starts_with(FIELD_EQ) { n } else { scoped(field, &n) }).collect())
                .collect()
        }),
        None => needles,
    }
}

fn detection(d: &Detection) -> Needles {
    match d {
        Detection::AllOf(items) => items.iter().map(item).fold(None, both),
        Detection::AnyOf(ds) => union(ds.iter().map(detection)),
        Detection::Keywords(values) => {
            values.iter().map(|v| value_needle(v, false)).collect::<Option<Vec<_>>>().map(|v| vec![v])
        }
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

/// The clauses of a rule the prefilter looks for. A clause with a very
/// short string ("1", "ab") is met by nearly every event and floods the
/// automaton with matches: it is left out, which only lets more rules
/// through, never fewer.
fn kept(set: &Needles) -> impl Iterator<Item = &Vec<String>> {
    set.iter().flatten().filter(|c| c.iter().all(|n| worth(n))).take(MAX_CLAUSES)
}

/// An automaton and, for each of its patterns, the needle it stands for.
struct Scan {
    ac: AhoCorasick,
    needle: Vec<usize>,
}

impl Scan {
    /// `None` when there is nothing to look for; an error when the
    /// automaton cannot be built (which cannot happen with string needles).
    fn new(patterns: Vec<(&str, usize)>) -> Result<Option<Scan>, ()> {
        Scan::with_kind(patterns, AhoCorasickKind::ContiguousNFA)
    }

    /// [`Scan::new`] for the needles looked for in all of an event's
    /// values: a DFA while they are few (a few hundred kilobytes), which
    /// walks the whole event's text faster than the NFA.
    fn anywhere(patterns: Vec<(&str, usize)>) -> Result<Option<Scan>, ()> {
        let kind = if patterns.len() <= 1000 { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
        Scan::with_kind(patterns, kind)
    }

    fn with_kind(patterns: Vec<(&str, usize)>, kind: AhoCorasickKind) -> Result<Option<Scan>, ()> {
        if patterns.is_empty() {
            return Ok(None);
        }
        let (texts, needle): (Vec<&str>, Vec<usize>) = patterns.into_iter().unzip();
        // A contiguous NFA for a field's needles: for tens of thousands of
        // them a DFA took hundreds of megabytes and searched slower for its
        // cache misses, and the values it walks are short.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(kind))
            .build(&texts)
            .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&texts))
            .map_err(|_| ())?;
        Ok(Some(Scan { ac, needle }))
    }

    fn each(&self, hay: &str, mut meet: impl FnMut(usize)) {
        for m in self.ac.find_overlapping_iter(hay) {
            meet(self.needle[m.pattern().as_usize()]);
        }
    }
}

/// All rules' necessary strings in automata: one per field for the strings
/// that must occur in that field's value, one for those that may occur in
/// any value.
pub struct Prefilter {
    /// Needles that may occur anywhere, looked for in all of the event.
    anywhere: Option<Scan>,
    /// Per top-level field, the needles looked for in its value.
    fields: HashMap<String, Scan>,
    /// The (rule, clause) pairs each needle satisfies.
    needle_clauses: Vec<Vec<(u32, u8)>>,
    /// Per field, the numbers looked for in it and their needle ids.
    field_eq: Vec<(String, Vec<(f64, usize)>)>,
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
            for (c, clause) in kept(set).enumerate() {
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
        let mut anywhere = Vec::new();
        let mut by_field: HashMap<&str, Vec<(&str, usize)>> = HashMap::new();
        let mut numbers: HashMap<&str, Vec<(f64, usize)>> = HashMap::new();
        for (id, n) in needles.iter().enumerate() {
            if let Some((field, number)) = field_eq_of(n) {
                numbers.entry(field).or_default().push((number, id));
                continue;
            }
            match scope_of(n) {
                (Some(field), text) => by_field.entry(field).or_default().push((text, id)),
                (None, text) => anywhere.push((text, id)),
            }
        }
        let mut field_eq: Vec<(String, Vec<(f64, usize)>)> =
            numbers.into_iter().map(|(f, v)| (f.to_owned(), v)).collect();
        field_eq.sort_by(|a, b| a.0.cmp(&b.0));
        let built = Scan::anywhere(anywhere).and_then(|anywhere| {
            let mut fields = HashMap::new();
            for (field, patterns) in by_field {
                if let Some(scan) = Scan::new(patterns)? {
                    fields.insert(field.to_owned(), scan);
                }
            }
            Ok((anywhere, fields))
        });
        let (anywhere, fields) = built.unwrap_or_else(|()| {
            // Cannot happen with string needles; then every rule is asked.
            full.iter_mut().for_each(|f| *f = 0);
            (None, HashMap::new())
        });
        let always_asked = (0..full.len() as u32).filter(|&r| full[r as usize] == 0).collect();
        Prefilter { anywhere, fields, needle_clauses, field_eq, full, always_asked }
    }

    /// How many of `rules` a prefilter over them could never skip.
    pub fn always_count_of(rules: &[Needles]) -> usize {
        rules.iter().filter(|set| kept(set).next().is_none()).count()
    }

    /// The candidate rules for an event, ascending.
    pub fn candidates(&self, event: &Value) -> Vec<u32> {
        SCRATCH.with_borrow_mut(|s| {
            s.hay.clear();
            // Needles met by the last event, to reset without sweeping all
            // (tens of thousands) of them.
            for &p in &s.met {
                if let Some(m) = s.seen.get_mut(p) {
                    *m = false;
                }
            }
            s.met.clear();
            // Shared by the prefilters of every log source: grown to the
            // largest, and all clear between events.
            if s.seen.len() < self.needle_clauses.len() {
                s.seen.resize(self.needle_clauses.len(), false);
            }
            if s.got.len() < self.full.len() {
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
            let Scratch { seen, met, got, touched, hay, numbers } = s;
            let mut meet = |p: usize| {
                if !seen[p] {
                    seen[p] = true;
                    met.push(p);
                    for &(r, c) in &self.needle_clauses[p] {
                        let g = &mut got[r as usize];
                        if *g == 0 {
                            touched.push(r);
                        }
                        *g |= 1 << c;
                    }
                }
            };
            // Each field's value folded once: scanned by its field's
            // automaton now, and with all the others by `anywhere` after.
            match event {
                Value::Object(map) => {
                    for (k, v) in map {
                        let start = hay.len();
                        haystack(v, hay);
                        if let Some(scan) = self.fields.get(k.as_str()) {
                            scan.each(&hay[start..], &mut meet);
                        }
                    }
                }
                other => haystack(other, hay),
            }
            if let Some(scan) = &self.anywhere {
                scan.each(hay, &mut meet);
            }
            for (field, wanted) in &self.field_eq {
                let Some(v) = event.get(field) else { continue };
                // Read once, however many numbers are looked for.
                numbers.clear();
                numbers_of(v, numbers);
                for &(want, p) in wanted {
                    if numbers.iter().any(|x| (x - want).abs() < f64::EPSILON) {
                        meet(p);
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

/// The numbers a field's value can equal for `rsigma`, into `out`: a
/// number, a string that parses as one, an array's items. Anything else
/// never equals a number.
fn numbers_of(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(x) => out.extend(x.as_f64()),
        Value::String(s) => out.extend(s.parse::<f64>().ok()),
        Value::Array(items) => items.iter().for_each(|i| numbers_of(i, out)),
        _ => {}
    }
}

/// Buffers reused from one event to the next on each thread.
#[derive(Default)]
struct Scratch {
    hay: String,
    seen: Vec<bool>,
    met: Vec<usize>,
    got: Vec<u16>,
    touched: Vec<u32>,
    numbers: Vec<f64>,
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
