//! Where `rsigma` departs from the Sigma specification, rules are rewritten
//! here, after parsing and before compilation, so that they mean what the
//! specification says. Every rule, filter and tuning exception passes
//! through [`conform`]; a rewritten rule no longer holds what was rewritten,
//! so a second pass changes nothing.
//!
//! `windash` (modifiers appendix 2.1.0): every dash form a value holds,
//! `-`, `/`, en dash `–`, em dash `—` and horizontal bar `―`, stands for all
//! five, whichever of them the rule wrote. `rsigma` 0.23 expands only `-`
//! (so `' /accepteula'` missed `-accepteula`) and reads a value holding
//! wildcards as plain text (so `*` matched only an asterisk). Rather than
//! carry a fork, the item is rewritten into the plain values it stands for:
//! the `windash` modifier is dropped and each value is replaced by its
//! permutations, wildcards kept as wildcards; with `all`, each value becomes
//! an item of its own (any of its permutations, all of the values).
//!
//! The same way, without forking `rsigma` 0.23: `startswith`/`endswith`
//! with wildcards (anchored at the wrong end by it) become the plain
//! wildcard pattern they stand for; keywords with modifiers (`'|all':`),
//! which it compares whole, are searched for as `contains`; and around
//! processing pipelines ([`before_pipelines`], [`after_pipelines`]) only
//! `expand` values have placeholders, and a filled-in `expand` item keeps
//! its other modifiers. Each rewrite is proven by the conformance table
//! (`tests/conformance.rs`) and can go when `rsigma` reads the rule so.

use rsigma_parser::{Detection, DetectionItem, Detections, Modifier, SigmaString, SigmaValue, SpecialChar, StringPart};

/// The dash forms `windash` makes interchangeable.
pub const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// The most dash forms one `windash` value may hold: it stands for
/// 5ⁿ strings (390,625 at 8, the bound `rsigma` itself sets).
pub const MAX_WINDASH_DASHES: usize = 8;

/// Rewrites a rule's (or filter's) detections to the specification's
/// meaning. An error names what cannot be rewritten; the rule is then
/// refused with it.
pub fn conform(d: &mut Detections) -> Result<(), String> {
    for det in d.named.values_mut() {
        detection(det, false)?;
    }
    Ok(())
}

/// `in_array`: inside an array block, where an item without a field is the
/// array member itself rather than a keyword.
fn detection(d: &mut Detection, in_array: bool) -> Result<(), String> {
    match d {
        Detection::AllOf(items) => {
            let mut out = Vec::with_capacity(items.len());
            for mut item in std::mem::take(items) {
                if !in_array {
                    keyword(&mut item);
                }
                for mut item in windash(item)? {
                    anchored_wildcards(&mut item);
                    out.push(item);
                }
            }
            *items = out;
        }
        Detection::AnyOf(ds) | Detection::And(ds) => {
            for d in ds {
                detection(d, in_array)?;
            }
        }
        Detection::ArrayMatch { body, .. } => detection(body, true)?,
        Detection::Conditional { named, .. } => {
            for d in named.values_mut() {
                detection(d, in_array)?;
            }
        }
        Detection::Keywords(_) => {}
    }
    Ok(())
}

/// Modifiers that say how a value is compared, or what it is.
fn compares(m: &Modifier) -> bool {
    matches!(m, Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith) || not_text(m)
}

/// Keywords with modifiers (`'|all': [a, b]`) are still keywords, looked
/// for anywhere in the event's values; `rsigma` compares them whole.
fn keyword(item: &mut DetectionItem) {
    if item.field.name.is_none() && !item.field.modifiers.iter().any(compares) {
        item.field.modifiers.insert(0, Modifier::Contains);
    }
}

/// `startswith` and `endswith` with a value holding wildcards: `rsigma`
/// anchors such a pattern at the wrong end (`'\7z*.exe'` as an ending
/// matched only values starting with it). Written as the plain pattern the
/// modifier stands for (`'\7z*.exe'` → `'*\7z*.exe'`), it is anchored at
/// both ends as it should be.
fn anchored_wildcards(item: &mut DetectionItem) {
    let mods = &item.field.modifiers;
    let start = mods.contains(&Modifier::StartsWith);
    let end = mods.contains(&Modifier::EndsWith);
    let wild = |v: &SigmaValue| matches!(v, SigmaValue::String(s) if s.contains_wildcards());
    // Only plain text compared: encodings read the value's written form.
    let plain = mods.iter().all(|m| {
        matches!(m, Modifier::StartsWith | Modifier::EndsWith | Modifier::Cased | Modifier::All | Modifier::Neq)
    });
    if start == end || !plain || !item.values.iter().any(wild) {
        return;
    }
    item.field.modifiers.retain(|m| !matches!(m, Modifier::StartsWith | Modifier::EndsWith));
    for v in &mut item.values {
        let SigmaValue::String(s) = v else { continue };
        let star = StringPart::Special(SpecialChar::WildcardMulti);
        if start && s.parts.last() != Some(&star) {
            s.parts.push(star);
        } else if end && s.parts.first() != Some(&star) {
            s.parts.insert(0, star);
        }
        s.original = written(&s.parts);
    }
}

/// Modifiers with which `windash` means nothing (the value is no string to
/// match as text): such an item is kept as it is.
fn not_text(m: &Modifier) -> bool {
    matches!(
        m,
        Modifier::Re
            | Modifier::Cidr
            | Modifier::Exists
            | Modifier::Expand
            | Modifier::FieldRef
            | Modifier::Gt
            | Modifier::Gte
            | Modifier::Lt
            | Modifier::Lte
    )
}

/// The items a `windash` item stands for (any other item is itself).
fn windash(mut item: DetectionItem) -> Result<Vec<DetectionItem>, String> {
    if !item.field.modifiers.contains(&Modifier::WindAsh) || item.field.modifiers.iter().any(not_text) {
        return Ok(vec![item]);
    }
    item.field.modifiers.retain(|m| *m != Modifier::WindAsh);
    let field = item.field.name.clone().unwrap_or_default();
    let expand = |v: &SigmaValue| -> Result<Vec<SigmaValue>, String> {
        match v {
            SigmaValue::String(s) => Ok(permutations(s)
                .map_err(|n| {
                    format!(
                        "windash on {field}: the value '{}' holds {n} dashes, at most {MAX_WINDASH_DASHES} are expanded",
                        s.original
                    )
                })?
                .into_iter()
                .map(SigmaValue::String)
                .collect()),
            other => Ok(vec![other.clone()]),
        }
    };
    if item.field.modifiers.contains(&Modifier::All) && item.values.len() > 1 {
        // All of the values, each by any of its forms: an item apiece.
        item.field.modifiers.retain(|m| *m != Modifier::All);
        item.values.iter().map(|v| Ok(DetectionItem { field: item.field.clone(), values: expand(v)? })).collect()
    } else {
        let mut values = Vec::new();
        for v in &item.values {
            values.extend(expand(v)?);
        }
        item.values = values;
        Ok(vec![item])
    }
}

/// Stands for `%` in the values without `expand` while processing
/// pipelines run (a character of Unicode's private use area, which no rule
/// or event has reason to hold).
const HIDDEN_PERCENT: char = '\u{F8FF}';

/// Before processing pipelines: `value_placeholders` in `rsigma` fills in
/// `%name%` in every value, while the specification (rules 2.1.0,
/// Placeholders) has a placeholder only where the value has `expand`; the
/// `%` of the others is hidden from it until [`after_pipelines`].
pub fn before_pipelines(d: &mut Detections) {
    for det in d.named.values_mut() {
        each_item(det, &mut |values, modifiers| {
            if !modifiers.is_some_and(|m| m.contains(&Modifier::Expand)) {
                swap_percent(values, '%', HIDDEN_PERCENT);
            }
        });
    }
}

/// After processing pipelines: the hidden `%` back, and an `expand` item
/// whose placeholders the pipelines filled in becomes the plain item it now
/// is, so that its other modifiers (`contains`…) and the wildcards of the
/// values put in apply; `rsigma` would compare the filled-in value whole
/// and plain. A placeholder no pipeline defines is left to `rsigma`. The
/// values the pipelines put in are then read as [`conform`] reads a rule's.
pub fn after_pipelines(d: &mut Detections) -> Result<(), String> {
    for det in d.named.values_mut() {
        each_item(det, &mut |values, _| swap_percent(values, HIDDEN_PERCENT, '%'));
        settle_expanded(det);
    }
    conform(d)
}

fn settle_expanded(d: &mut Detection) {
    match d {
        Detection::AllOf(items) => {
            for item in items {
                let filled = item.values.iter().all(|v| match v {
                    SigmaValue::String(s) => !s.original.contains('%'),
                    _ => true,
                });
                if filled {
                    item.field.modifiers.retain(|m| *m != Modifier::Expand);
                }
            }
        }
        Detection::AnyOf(ds) | Detection::And(ds) => ds.iter_mut().for_each(settle_expanded),
        Detection::ArrayMatch { body, .. } => settle_expanded(body),
        Detection::Conditional { named, .. } => named.values_mut().for_each(settle_expanded),
        Detection::Keywords(_) => {}
    }
}

/// Calls `f` with the values of every item (and its modifiers; `None` for
/// a keyword list).
fn each_item(d: &mut Detection, f: &mut impl FnMut(&mut Vec<SigmaValue>, Option<&[Modifier]>)) {
    match d {
        Detection::AllOf(items) => {
            for item in items {
                f(&mut item.values, Some(&item.field.modifiers));
            }
        }
        Detection::AnyOf(ds) | Detection::And(ds) => ds.iter_mut().for_each(|d| each_item(d, f)),
        Detection::ArrayMatch { body, .. } => each_item(body, f),
        Detection::Conditional { named, .. } => named.values_mut().for_each(|d| each_item(d, f)),
        Detection::Keywords(values) => f(values, None),
    }
}

fn swap_percent(values: &mut [SigmaValue], from: char, to: char) {
    for v in values {
        let SigmaValue::String(s) = v else { continue };
        if !s.original.contains(from) {
            continue;
        }
        s.original = s.original.replace(from, to.encode_utf8(&mut [0; 4]));
        for p in &mut s.parts {
            if let StringPart::Plain(t) = p {
                *t = t.replace(from, to.encode_utf8(&mut [0; 4]));
            }
        }
    }
}

/// Every string a `windash` value stands for: each dash form in its text
/// replaced by each of the five, wildcards kept. `Err(n)` when it holds more
/// than [`MAX_WINDASH_DASHES`].
pub fn permutations(s: &SigmaString) -> Result<Vec<SigmaString>, usize> {
    let n: usize = s
        .parts
        .iter()
        .map(|p| match p {
            StringPart::Plain(t) => t.chars().filter(|c| DASHES.contains(c)).count(),
            StringPart::Special(_) => 0,
        })
        .sum();
    if n > MAX_WINDASH_DASHES {
        return Err(n);
    }
    let total = DASHES.len().pow(n as u32);
    let mut out = Vec::with_capacity(total);
    for combo in 0..total {
        // The k-th dash of the value takes digit k (base 5) of `combo`.
        let mut digits = combo;
        let mut next_dash = || {
            let d = DASHES[digits % DASHES.len()];
            digits /= DASHES.len();
            d
        };
        let parts: Vec<StringPart> = s
            .parts
            .iter()
            .map(|p| match p {
                StringPart::Plain(t) => {
                    StringPart::Plain(t.chars().map(|c| if DASHES.contains(&c) { next_dash() } else { c }).collect())
                }
                StringPart::Special(sc) => StringPart::Special(sc.clone()),
            })
            .collect();
        let original = written(&parts);
        out.push(SigmaString { parts, original });
    }
    Ok(out)
}

/// A value's parts as a rule would write them, so that reading the text
/// again gives the same parts: wildcards bare, a literal `*`, `?` or `\`
/// escaped.
fn written(parts: &[StringPart]) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            StringPart::Plain(t) => {
                for c in t.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            StringPart::Special(SpecialChar::WildcardMulti) => out.push('*'),
            StringPart::Special(SpecialChar::WildcardSingle) => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use rsigma_parser::{SigmaString, StringPart};

    use super::{DASHES, permutations};

    #[test]
    fn every_dash_form_becomes_all_five_and_wildcards_stay() {
        let s = SigmaString::new("* /s \u{2013}x*");
        let all = permutations(&s).unwrap();
        assert_eq!(all.len(), 25);
        for p in &all {
            assert_eq!(SigmaString::new(&p.original), *p, "the written form reads back the same");
            assert!(matches!(p.parts.first(), Some(StringPart::Special(_))));
        }
        let texts: Vec<String> = all.iter().map(|p| p.original.clone()).collect();
        for a in DASHES {
            for b in DASHES {
                assert!(texts.contains(&format!("* {a}s {b}x*")), "{a} {b}");
            }
        }
    }

    #[test]
    fn a_value_without_dashes_stands_for_itself_and_too_many_dashes_are_refused() {
        let s = SigmaString::new("C:\\\\?\\x");
        let same = permutations(&s).unwrap();
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].parts, s.parts);
        assert_eq!(permutations(&SigmaString::new("-a-b-c-d-e-f-g-h-i")).unwrap_err(), 9);
    }
}
