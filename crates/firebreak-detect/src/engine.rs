//! The matcher: rules compiled by `rsigma-eval`, asked only when the
//! event's log source fits theirs and the [`Prefilter`] names them as
//! candidates. A naive matcher that evaluates every rule against every
//! event is kept beside it as the reference the fast one must agree with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use rsigma_eval::{CompiledRule, Engine, JsonEvent, Pipeline, apply_pipelines, compile_rule, evaluate_rule};
use rsigma_parser::{FilterRule, SigmaRule};
use serde_json::Value;

use crate::event::EventSource;
use crate::prefilter::{Needles, Prefilter, necessary};
use crate::rules::{CheckedRule, Document, Problem, RuleKind};

/// A rule's log source as the matcher compares it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Source {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
}

impl Source {
    /// The log source of a rule read unparsed, from its metadata.
    fn of_meta(meta: &crate::rules::RuleMeta) -> Source {
        let norm = |v: &str| Some(v.to_lowercase()).filter(|s| !s.is_empty());
        Source { product: norm(&meta.product), category: norm(&meta.category), service: norm(&meta.service) }
    }

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
    pub level: firebreak_types::RuleLevel,
    pub tags: Vec<String>,
    /// The ATT&CK techniques among the tags, read once for all hits.
    pub techniques: Vec<String>,
}

/// The prefilter over the rules whose log source fits one kind of event.
struct SourceFilter {
    prefilter: Prefilter,
    /// Each of the prefilter's rules as an index into [`Detector::rules`], ascending.
    rules: Vec<u32>,
}

/// One rule as the matcher holds it: its log source, and the rule
/// compiled with its necessary strings, made the first time an event of a
/// source it fits is seen (or at once, where pipelines or filters apply).
/// A rule read unparsed is parsed then too, from its text.
struct Slot {
    source: Source,
    /// The text of a rule read unparsed.
    text: Option<String>,
    /// The rule as parsed, while it waits to be compiled (`None` inside
    /// when its text turned out not to be a usable rule).
    parsed: OnceLock<Option<Arc<SigmaRule>>>,
    /// The rule compiled, `None` when it could not be (never matches).
    compiled: OnceLock<Option<CompiledRule>>,
    /// The rule's necessary strings, for the prefilters.
    needles: OnceLock<Needles>,
    file: String,
}

/// Detection rules compiled for matching.
pub struct Detector {
    rules: Vec<LoadedRule>,
    by_id: HashMap<String, usize>,
    /// Every rule, with its log source.
    slots: Vec<Slot>,
    /// Rules that could not be compiled when they were first needed.
    late_problems: Mutex<Vec<Problem>>,
    /// A prefilter per log source of the events seen so far, built on first
    /// sight from the rules that fit it. An event then meets only its own
    /// rules' strings: automata a third the size, and the keyword strings
    /// (searched in every value) are not searched at all where no keyword
    /// rule fits, as for Sysmon events.
    by_source: RwLock<HashMap<EventSource, Arc<SourceFilter>>>,
}

impl Detector {
    /// Takes the detection rules of `rules` (compiled when they were
    /// checked) and applies the filter documents among them, and `filters`
    /// (such as tuning exceptions), to the rules they name. Filters that
    /// name no loaded rule are returned as problems.
    pub fn new(rules: &[CheckedRule], filters: &[FilterRule]) -> (Detector, Vec<Problem>) {
        Detector::with_pipelines(rules, filters, &[])
    }

    /// [`Detector::new`] with Sigma processing pipelines applied to every
    /// detection rule first, in the order given: field name mappings,
    /// log source changes, value transformations, so that the same rules
    /// match logs whose fields are named otherwise; filters (tuning
    /// exceptions) are mapped the same way. A rule or filter a pipeline
    /// cannot transform is left out and returned as a problem.
    pub fn with_pipelines(
        rules: &[CheckedRule],
        filters: &[FilterRule],
        pipelines: &[Pipeline],
    ) -> (Detector, Vec<Problem>) {
        let mut all_filters: Vec<FilterRule> = filters.to_vec();
        let mut pipeline_problems = Vec::new();
        let mut loaded = Vec::new();
        let mut by_id = HashMap::new();
        let mut slots = Vec::new();
        // Filters narrow compiled rules, and pipelines can change a rule's
        // log source: with either, every rule is compiled at once.
        let eager = !pipelines.is_empty() || !filters.is_empty() || rules.iter().any(|r| r.kind() == RuleKind::Filter);
        for r in rules {
            let (parsed, c) = match &r.doc {
                Document::Detection { rule, compiled } => (rule.clone(), compiled.as_deref()),
                Document::Unparsed if !eager => {
                    // Routed by its metadata; parsed when an event of its
                    // log source first comes.
                    by_id.insert(r.meta.id.clone(), loaded.len());
                    loaded.push(LoadedRule {
                        id: r.meta.id.clone(),
                        title: r.meta.title.clone(),
                        level: r.meta.level,
                        tags: r.meta.tags.clone(),
                        techniques: crate::rules::techniques(&r.meta.tags),
                    });
                    slots.push(Slot {
                        source: Source::of_meta(&r.meta),
                        text: Some(r.yaml.clone()),
                        parsed: OnceLock::new(),
                        compiled: OnceLock::new(),
                        needles: OnceLock::new(),
                        file: r.file.clone(),
                    });
                    continue;
                }
                Document::Unparsed => match crate::rules::parse_late(&r.file, &r.yaml) {
                    (Some(rule), _) => (rule, None),
                    (None, problems) => {
                        pipeline_problems.extend(problems);
                        continue;
                    }
                },
                Document::Filter(f) => {
                    all_filters.push((**f).clone());
                    continue;
                }
                Document::Correlation(_) => continue,
            };
            let transformed;
            let (rule, c) = if pipelines.is_empty() {
                let c = match c {
                    Some(c) => Some(c.clone()),
                    None if eager => match compile_rule(&parsed) {
                        Ok(c) => Some(c),
                        Err(e) => {
                            pipeline_problems.push(Problem {
                                file: r.file.clone(),
                                line: 1,
                                reason: format!("{}: {e}", r.meta.title),
                            });
                            continue;
                        }
                    },
                    None => None,
                };
                (&*parsed, c)
            } else {
                let mut t = (*parsed).clone();
                crate::spec::before_pipelines(&mut t.detection);
                let applied = apply_pipelines(pipelines, &mut t)
                    .map_err(|e| e.to_string())
                    .and_then(|()| crate::spec::after_pipelines(&mut t.detection))
                    .and_then(|()| compile_rule(&t).map_err(|e| e.to_string()));
                match applied {
                    Ok(c) => {
                        transformed = t;
                        (&transformed, Some(c))
                    }
                    Err(e) => {
                        pipeline_problems.push(Problem {
                            file: r.file.clone(),
                            line: 1,
                            reason: format!("{}: the processing pipelines do not apply: {e}", r.meta.title),
                        });
                        continue;
                    }
                }
            };
            by_id.insert(r.meta.id.clone(), loaded.len());
            loaded.push(LoadedRule {
                id: r.meta.id.clone(),
                title: r.meta.title.clone(),
                level: r.meta.level,
                tags: r.meta.tags.clone(),
                techniques: crate::rules::techniques(&r.meta.tags),
            });
            let slot = Slot {
                source: Source::of(rule),
                text: None,
                parsed: OnceLock::new(),
                compiled: OnceLock::new(),
                needles: OnceLock::new(),
                file: r.file.clone(),
            };
            match c {
                Some(c) => {
                    let _ = slot.needles.set(necessary(rule));
                    let _ = slot.compiled.set(Some(c));
                    slots.push(slot);
                }
                None => slots.push(Slot { parsed: OnceLock::from(Some(parsed.clone())), ..slot }),
            }
        }
        if !pipelines.is_empty() {
            // Exceptions name fields as their rules do: mapped the same way.
            all_filters = all_filters
                .into_iter()
                .filter_map(|f| match crate::pipeline::map_filter(pipelines, &f) {
                    Ok(mapped) => Some(mapped),
                    Err(e) => {
                        pipeline_problems.push(Problem {
                            file: "filter".into(),
                            line: 1,
                            reason: format!("{}: the processing pipelines do not apply: {e}", f.title),
                        });
                        None
                    }
                })
                .collect();
        }
        let mut detector = Detector {
            rules: loaded,
            by_id,
            slots,
            late_problems: Mutex::new(Vec::new()),
            by_source: RwLock::new(HashMap::new()),
        };
        let mut problems = pipeline_problems;
        problems.extend(detector.apply_filters(&all_filters).into_iter().map(|reason| Problem {
            file: "filter".into(),
            line: 1,
            reason,
        }));
        (detector, problems)
    }

    /// Adds filters (tuning exceptions) to the rules they name; a filter
    /// naming no loaded rule is an error. A filter only narrows a rule, so
    /// the prefilter stays valid.
    pub fn apply_filters(&mut self, filters: &[FilterRule]) -> Vec<String> {
        if filters.is_empty() {
            return Vec::new();
        }
        self.compile_all();
        let mut engine = Engine::new();
        engine.extend_compiled_rules(self.slots.iter().filter_map(|s| s.compiled.get().cloned().flatten()));
        let errors: Vec<String> = filters
            .iter()
            .filter_map(|f| {
                // Exceptions written by hand or sent to the API are read
                // as the specification says, like the rules they narrow.
                let mut f = f.clone();
                crate::spec::conform(&mut f.detection)
                    .and_then(|()| engine.apply_filter(&f).map_err(|e| e.to_string()))
                    .err()
                    .map(|e| format!("{}: {e}", f.title))
            })
            .collect();
        let mut tuned = engine.rules().iter();
        for slot in &mut self.slots {
            if let Some(Some(rule)) = slot.compiled.get_mut() {
                match tuned.next() {
                    Some(t) => *rule = t.clone(),
                    None => break,
                }
            }
        }
        errors
    }

    /// The rule of `slot` compiled, compiling it (and reading its
    /// necessary strings) the first time it is asked for.
    fn compiled<'a>(&self, slot: &'a Slot) -> Option<&'a CompiledRule> {
        slot.compiled
            .get_or_init(|| {
                let rule = self.parsed(slot)?;
                match compile_rule(rule) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        let problem =
                            Problem { file: slot.file.clone(), line: 1, reason: format!("{}: {e}", rule.title) };
                        self.late_problems.lock().unwrap_or_else(PoisonError::into_inner).push(problem);
                        None
                    }
                }
            })
            .as_ref()
    }

    /// The rule of `slot` as parsed, parsing (and checking) its text the
    /// first time it is asked for; its problems are reported late.
    fn parsed<'a>(&self, slot: &'a Slot) -> Option<&'a SigmaRule> {
        slot.parsed
            .get_or_init(|| {
                let text = slot.text.as_deref()?;
                let (rule, problems) = crate::rules::parse_late(&slot.file, text);
                if !problems.is_empty() {
                    self.late_problems.lock().unwrap_or_else(PoisonError::into_inner).extend(problems);
                }
                rule
            })
            .as_deref()
    }

    /// The necessary strings of the rule of `slot`, read from the rule as
    /// parsed: a rule is compiled only once an event needs it asked.
    fn needles<'a>(&self, slot: &'a Slot) -> &'a Needles {
        slot.needles.get_or_init(|| self.parsed(slot).and_then(necessary))
    }

    /// Compiles every rule not compiled yet.
    fn compile_all(&self) {
        self.compile(&(0..self.slots.len()).collect::<Vec<_>>());
    }

    /// Compiles the rules `indexes` not compiled yet, shared out over the
    /// machine's cores when there are many.
    fn compile(&self, indexes: &[usize]) {
        let todo: Vec<&Slot> = indexes.iter().map(|&i| &self.slots[i]).filter(|s| s.compiled.get().is_none()).collect();
        self.on_cores(&todo, |s| _ = self.compiled(s));
    }

    /// `work` done on each of `slots`, shared out over the machine's cores
    /// when there are many.
    fn on_cores(&self, slots: &[&Slot], work: impl Fn(&Slot) + Sync) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(slots.len() / 64).max(1);
        if threads == 1 {
            slots.iter().for_each(|s| work(s));
            return;
        }
        let per = slots.len().div_ceil(threads);
        let work = &work;
        std::thread::scope(|scope| {
            for part in slots.chunks(per) {
                scope.spawn(move || part.iter().for_each(|s| work(s)));
            }
        });
    }

    /// Rules that turned out not to compile when they were first needed
    /// (so far): each never matches.
    pub fn late_problems(&self) -> Vec<Problem> {
        let mut out = self.late_problems.lock().unwrap_or_else(PoisonError::into_inner).clone();
        // Found on several cores: in a stable order.
        out.sort_by(|a, b| (&a.file, a.line, &a.reason).cmp(&(&b.file, b.line, &b.reason)));
        out
    }

    /// How many rules have been compiled so far.
    pub fn compiled_count(&self) -> usize {
        self.slots.iter().filter(|s| s.compiled.get().is_some()).count()
    }

    /// The prefilter for events of `src`, built the first time one is seen.
    fn source_filter(&self, src: &EventSource) -> Arc<SourceFilter> {
        if let Some(f) = self.by_source.read().unwrap_or_else(PoisonError::into_inner).get(src) {
            return f.clone();
        }
        let fitting: Vec<usize> = (0..self.slots.len()).filter(|&i| self.slots[i].source.fits(src)).collect();
        // The rules read unparsed are parsed now, on every core.
        let unread: Vec<&Slot> =
            fitting.iter().map(|&i| &self.slots[i]).filter(|s| s.needles.get().is_none()).collect();
        self.on_cores(&unread, |s| _ = self.needles(s));
        let rules: Vec<u32> = fitting.iter().map(|&i| i as u32).collect();
        let needles: Vec<Needles> = fitting.iter().map(|&i| self.needles(&self.slots[i]).clone()).collect();
        let built = Arc::new(SourceFilter { prefilter: Prefilter::new(&needles), rules });
        self.by_source.write().unwrap_or_else(PoisonError::into_inner).entry(src.clone()).or_insert(built).clone()
    }

    /// The rules (indexes into [`Detector::rules`], ascending) that fit
    /// `src` and that the prefilter names for `event`.
    fn candidates(&self, event: &Value, src: &EventSource) -> Vec<usize> {
        let f = self.source_filter(src);
        f.prefilter.candidates(event).into_iter().map(|i| f.rules[i as usize] as usize).collect()
    }

    /// How many rules an event is asked: the prefilter's candidates among
    /// the rules whose log source fits.
    pub fn asked(&self, event: &Value, src: &EventSource) -> usize {
        self.candidates(event, src).len()
    }

    /// How many rules have a log source that fits `src`.
    pub fn fitting(&self, src: &EventSource) -> usize {
        self.source_filter(src).rules.len()
    }

    /// How many rules every event is asked, whatever it holds.
    pub fn unfiltered_rules(&self) -> usize {
        self.compile_all();
        let needles: Vec<Needles> = self.slots.iter().map(|s| self.needles(s).clone()).collect();
        Prefilter::always_count_of(&needles)
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
        let mut found = self.candidates(event, src);
        found.retain(|&i| self.compiled(&self.slots[i]).is_some_and(|r| evaluate_rule(r, &ev).is_some()));
        found
    }

    /// The same answer as [`Detector::matches`], by evaluating every rule in
    /// turn: the reference for tests and the baseline for benchmarks.
    pub fn naive_matches(&self, event: &Value, src: &EventSource) -> Vec<usize> {
        let ev = JsonEvent::borrow(event);
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.source.fits(src) && self.compiled(s).is_some_and(|r| evaluate_rule(r, &ev).is_some()))
            .map(|(i, _)| i)
            .collect()
    }
}
