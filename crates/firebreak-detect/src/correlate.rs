//! Sigma correlation rules (event_count, value_count, temporal,
//! temporal_ordered) over an event stream, through `rsigma`'s correlation
//! engine: it keeps the windows and group-by state, and reports each firing
//! with the events behind it.

use std::collections::HashSet;

use rsigma_eval::{
    CorrelationConfig, CorrelationEngine, CorrelationEventMode, JsonEvent, ResultBody, TimestampFallback,
};
use serde::Serialize;
use serde_json::Value;

use crate::rules::{CheckedRule, Document, Problem};

/// One correlation firing.
#[derive(Debug, Clone, Serialize)]
pub struct Firing {
    pub rule_id: String,
    pub title: String,
    pub level: firebreak_types::RuleLevel,
    pub tags: Vec<String>,
    /// `event_count`, `value_count`, `temporal`, …
    pub kind: String,
    /// The group-by fields and their values.
    pub group: Vec<(String, String)>,
    /// The count (or distinct count) that crossed the threshold.
    pub value: f64,
    pub window_secs: u64,
    /// The events behind it (the most recent, up to a bound).
    pub events: Vec<Value>,
}

/// The correlation rules of a library and the detection rules they name.
pub struct Correlator {
    engine: CorrelationEngine,
    count: usize,
    /// The ids of the detection rules the correlations count.
    referenced: HashSet<String>,
}

impl Correlator {
    /// Loads the correlation rules among `rules` with the detection rules
    /// they reference (found among `library`, enabled or not). `None` when
    /// there is no correlation rule.
    pub fn new(rules: &[CheckedRule], library: &[CheckedRule]) -> (Option<Correlator>, Vec<Problem>) {
        Correlator::with_pipelines(rules, library, &[])
    }

    /// [`Correlator::new`] with Sigma processing pipelines applied to the
    /// rules first, as [`crate::Detector::with_pipelines`] does.
    pub fn with_pipelines(
        rules: &[CheckedRule],
        library: &[CheckedRule],
        pipelines: &[rsigma_eval::Pipeline],
    ) -> (Option<Correlator>, Vec<Problem>) {
        Correlator::build(rules, library, pipelines, CorrelationConfig::default())
    }

    /// For logs read after the fact (a hunt): time comes only from the
    /// events (`UtcTime` too); an event without one is never counted at
    /// the moment it happens to be read.
    pub fn for_files(
        rules: &[CheckedRule],
        library: &[CheckedRule],
        pipelines: &[rsigma_eval::Pipeline],
    ) -> (Option<Correlator>, Vec<Problem>) {
        let mut config = CorrelationConfig::default();
        config.timestamp_fields.push("UtcTime".into());
        config.timestamp_fallback = TimestampFallback::Skip;
        Correlator::build(rules, library, pipelines, config)
    }

    fn build(
        rules: &[CheckedRule],
        library: &[CheckedRule],
        pipelines: &[rsigma_eval::Pipeline],
        config: CorrelationConfig,
    ) -> (Option<Correlator>, Vec<Problem>) {
        let mut problems = Vec::new();
        let mut engine = CorrelationEngine::new(config);
        for p in pipelines {
            engine.add_pipeline(p.clone());
        }
        engine.set_correlation_event_mode(CorrelationEventMode::Full);
        let mut wanted: HashSet<String> = HashSet::new();
        let mut count = 0;
        for r in rules {
            let Document::Correlation(corr) = &r.doc else { continue };
            wanted.extend(corr.rules.iter().cloned());
            match engine.add_correlation(corr) {
                Ok(()) => count += 1,
                Err(e) => problems.push(Problem { file: r.file.clone(), line: 1, reason: e.to_string() }),
            }
        }
        if count == 0 {
            return (None, problems);
        }
        let mut added: HashSet<&str> = HashSet::new();
        for r in library {
            let rule = match &r.doc {
                Document::Detection { rule, .. } => rule.clone(),
                // Read unparsed (it has no `name`): parsed if it is counted.
                Document::Unparsed if wanted.contains(&r.meta.id) => {
                    match crate::rules::parse_late(&r.file, &r.yaml).0 {
                        Some(rule) => rule,
                        None => continue,
                    }
                }
                _ => continue,
            };
            let named = wanted.contains(&r.meta.id) || rule.name.as_ref().is_some_and(|n| wanted.contains(n));
            if named
                && added.insert(r.meta.id.as_str())
                && let Err(e) = engine.add_rule(&rule)
            {
                problems.push(Problem { file: r.file.clone(), line: 1, reason: e.to_string() });
            }
        }
        let referenced = added.into_iter().map(str::to_owned).collect();
        (Some(Correlator { engine, count, referenced }), problems)
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether a correlation counts the matches of detection rule `id`:
    /// only the events those rules match need to be fed.
    pub fn references(&self, id: &str) -> bool {
        self.referenced.contains(id)
    }

    /// Feeds one flattened event; returns the correlations it completed.
    pub fn feed(&mut self, event: &Value) -> Vec<Firing> {
        let results = self.engine.process_event(&JsonEvent::borrow(event));
        results
            .into_iter()
            .filter_map(|r| match r.body {
                ResultBody::Correlation(body) => Some(Firing {
                    rule_id: r.header.rule_id.clone().unwrap_or_default(),
                    title: r.header.rule_title.clone(),
                    level: crate::rules::level(r.header.level),
                    tags: r.header.tags.clone(),
                    kind: serde_json::to_value(body.correlation_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    group: body.group_key.clone(),
                    value: body.aggregated_value,
                    window_secs: body.timespan_secs,
                    events: body.events.clone().unwrap_or_default(),
                }),
                ResultBody::Detection(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::Library;
    use serde_json::json;

    /// The Sigma specification's example: many failed logons for one user.
    const RULES: &str = include_str!("../tests/fixtures/failed-logons.yml");

    fn logon(user: &str, at: &str) -> Value {
        json!({"EventID": 4625, "Channel": "Security", "TargetUserName": user, "TimeCreated": at})
    }

    #[test]
    fn an_event_count_fires_once_the_threshold_is_met_within_the_window() {
        let mut lib = Library::default();
        lib.add_file("c.yml", RULES);
        assert!(lib.problems.is_empty(), "{:?}", lib.problems);
        assert!(lib.rules.iter().any(|r| r.kind() == crate::RuleKind::Correlation));
        let (c, problems) = Correlator::new(&lib.rules, &lib.rules);
        assert!(problems.is_empty(), "{problems:?}");
        let mut c = c.unwrap();
        assert_eq!(c.len(), 1);
        let mut fired = Vec::new();
        for (u, t) in [
            ("alice", "2026-11-20T10:00:00Z"),
            ("bob", "2026-11-20T10:00:30Z"),
            ("alice", "2026-11-20T10:01:00Z"),
            ("alice", "2026-11-20T10:20:00Z"),
            ("alice", "2026-11-20T10:21:00Z"),
            ("alice", "2026-11-20T10:22:00Z"),
        ] {
            fired.extend(c.feed(&logon(u, t)));
        }
        assert_eq!(fired.len(), 1, "{fired:?}");
        let f = &fired[0];
        assert_eq!(f.title, "Many failed logons for one user");
        assert_eq!(f.kind, "event_count");
        assert_eq!(f.group, vec![("TargetUserName".to_owned(), "alice".to_owned())]);
        assert_eq!(f.value, 3.0);
        assert_eq!(f.events.len(), 3);
    }
}
