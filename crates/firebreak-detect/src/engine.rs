//! The matcher: `rsigma-eval` engines, one per rule log source, so that an
//! event is only evaluated by the rules of its own log source, and each of
//! those engines finds its candidate rules through its own field index.
//! A naive matcher that evaluates every rule against every event is kept
//! beside it as the reference the fast one must agree with.

use std::collections::HashMap;

use rsigma_eval::{CompiledRule, Engine, JsonEvent, compile_rule, evaluate_rule};
use rsigma_parser::{FilterRule, SigmaRule, parse_sigma_yaml};
use serde_json::Value;

use crate::event::EventSource;
use crate::rules::{CheckedRule, Problem, RuleKind};

/// A rule's log source as the matcher compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Source {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl Source {
    fn of(rule: &SigmaRule) -> Source {
        let norm = |v: &Option<String>| v.as_ref().map(|s| s.to_lowercase()).filter(|s| !s.is_empty());
        Source {
            product: norm(&rule.logsource.product),
            category: norm(&rule.logsource.category),
            service: norm(&rule.logsource.service),
        }
    }

    /// Whether an event of `src` can be matched by a rule of this source.
    /// Parts the event does not know always fit; a known Windows event has
    /// exactly the categories listed.
    fn fits(&self, src: &EventSource) -> bool {
        let product_fits = match (&self.product, src.product) {
            (Some(p), Some(e)) => p == e,
            _ => true,
        };
        let service_fits = match (&self.service, &src.service) {
            (Some(s), Some(e)) => s == e,
            _ => true,
        };
        let category_fits = match &self.category {
            None => true,
            Some(c) => src.product.is_none() || src.categories.iter().any(|e| e == c),
        };
        product_fits && service_fits && category_fits
    }
}

/// What the matcher knows of each loaded rule.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub id: String,
    pub title: String,
    pub level: String,
    pub tags: Vec<String>,
}

struct Bucket {
    source: Source,
    engine: Engine,
}

/// Detection rules compiled for matching.
pub struct Detector {
    buckets: Vec<Bucket>,
    rules: Vec<LoadedRule>,
    by_id: HashMap<String, usize>,
    /// Every rule with its source, for the naive reference matcher.
    naive: Vec<(Source, CompiledRule)>,
}

impl Detector {
    /// Compiles the detection rules of `rules` and applies the filter
    /// documents among them (and `filters`, such as tuning exceptions) to the
    /// rules they name. Rules that do not compile are returned as problems.
    pub fn new(rules: &[CheckedRule], filters: &[FilterRule]) -> (Detector, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut sigma: Vec<(SigmaRule, &CheckedRule)> = Vec::new();
        let mut all_filters: Vec<FilterRule> = filters.to_vec();
        // A multi-document file is parsed once for all of its rules.
        let mut parsed: HashMap<&str, rsigma_parser::SigmaCollection> = HashMap::new();
        for r in rules {
            if !parsed.contains_key(r.yaml.as_str()) {
                match parse_sigma_yaml(&r.yaml) {
                    Ok(c) => {
                        all_filters.extend(c.filters.iter().cloned());
                        parsed.insert(r.yaml.as_str(), c);
                    }
                    Err(e) => {
                        problems.push(Problem { file: r.file.clone(), line: 1, reason: e.to_string() });
                        continue;
                    }
                }
            }
            if r.kind != RuleKind::Detection {
                continue;
            }
            if let Some(rule) = parsed
                .get(r.yaml.as_str())
                .and_then(|c| c.rules.iter().find(|x| x.id.as_deref() == Some(r.meta.id.as_str())))
            {
                sigma.push((rule.clone(), r));
            }
        }
        let mut by_source: HashMap<Source, Vec<SigmaRule>> = HashMap::new();
        let mut loaded = Vec::new();
        let mut by_id = HashMap::new();
        let mut naive = Vec::new();
        for (rule, checked) in sigma {
            let compiled = match compile_rule(&rule) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(Problem { file: checked.file.clone(), line: 1, reason: e.to_string() });
                    continue;
                }
            };
            by_id.insert(checked.meta.id.clone(), loaded.len());
            loaded.push(LoadedRule {
                id: checked.meta.id.clone(),
                title: checked.meta.title.clone(),
                level: checked.meta.level.clone(),
                tags: checked.meta.tags.clone(),
            });
            let source = Source::of(&rule);
            naive.push((source.clone(), compiled));
            by_source.entry(source).or_default().push(rule);
        }
        let mut buckets = Vec::new();
        for (source, rules) in by_source {
            let mut engine = Engine::new();
            for (i, e) in engine.add_rules(rules.iter()) {
                problems.push(Problem { file: rules[i].title.clone(), line: 1, reason: e.to_string() });
            }
            buckets.push(Bucket { source, engine });
        }
        let mut detector = Detector { buckets, rules: loaded, by_id, naive };
        for f in &all_filters {
            if let Err(e) = detector.apply_filter(f) {
                problems.push(Problem { file: f.title.clone(), line: 1, reason: e });
            }
        }
        (detector, problems)
    }

    /// Adds a filter (a tuning exception) to the rules it names.
    pub fn apply_filter(&mut self, filter: &FilterRule) -> Result<(), String> {
        for b in &mut self.buckets {
            b.engine.apply_filter(filter).map_err(|e| e.to_string())?;
        }
        // The naive matcher gets the same rules through a one-rule engine each.
        let mut one = Engine::new();
        for (_, rule) in &mut self.naive {
            one.extend_compiled_rules(std::iter::once(rule.clone()));
            one.apply_filter(filter).map_err(|e| e.to_string())?;
            if let Some(r) = one.rules().first() {
                *rule = r.clone();
            }
            one = Engine::new();
        }
        Ok(())
    }

    pub fn rules(&self) -> &[LoadedRule] {
        &self.rules
    }

    pub fn rule_index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The rules (indexes into [`Detector::rules`], ascending) that match a
    /// flattened event of log source `src`.
    pub fn matches(&self, event: &Value, src: &EventSource) -> Vec<usize> {
        let ev = JsonEvent::borrow(event);
        let mut out = Vec::new();
        for b in self.buckets.iter().filter(|b| b.source.fits(src)) {
            for r in b.engine.evaluate(&ev) {
                if let Some(i) = r.header.rule_id.as_deref().and_then(|id| self.by_id.get(id)) {
                    out.push(*i);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The same answer as [`Detector::matches`], by evaluating every rule in
    /// turn: the reference for tests and the baseline for benchmarks.
    pub fn naive_matches(&self, event: &Value, src: &EventSource) -> Vec<usize> {
        let ev = JsonEvent::borrow(event);
        self.naive
            .iter()
            .enumerate()
            .filter(|(_, (source, rule))| source.fits(src) && evaluate_rule(rule, &ev).is_some())
            .map(|(i, _)| i)
            .collect()
    }
}
