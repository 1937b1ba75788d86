//! Rule tests: sample events a rule must match, and their runs.

use std::collections::HashMap;

use firebreak_detect::Detector;
use firebreak_detect::event::{flatten, source_of};
use firebreak_domain::permission::Action;
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::{ErrorCode, NewRuleTest, Rule, RuleException, RuleTest, RuleTestResult};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

use super::exceptions::{Live, checked_alone, filters_of};
use super::library::all_rules;

impl Kind for RuleTest {
    const KIND: &'static str = "rule_test";
    const NOUN: &'static str = "rule test";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index {
            parent_id: Some(self.rule_id),
            key: Some(self.name.clone()),
            at: Some(self.created_at),
            ..Index::default()
        }
    }
}

/// Adds sample events to a rule with how many it must match.
pub async fn add_test_as(
    state: &App,
    ctx: &WriteCtx,
    org: Uuid,
    rule_id: Uuid,
    new: NewRuleTest,
) -> AppResult<RuleTest> {
    let bad = |field: &str, why: &str| AppError::field(ErrorCode::InvalidField, field, why);
    items::load::<Rule>(state, org, rule_id).await?;
    if new.name.trim().is_empty() {
        return Err(bad("name", "a name"));
    }
    if new.events.is_empty() {
        return Err(bad("events", "one or more events"));
    }
    if let Some(i) = new.events.iter().position(|e| !e.is_object()) {
        return Err(bad(&format!("events[{i}]"), "an event is a JSON object"));
    }
    if new.expected_matches > new.events.len() as u64 {
        return Err(bad("expected_matches", "at most the number of events"));
    }
    let test = RuleTest {
        id: Uuid::now_v7(),
        rule_id,
        name: new.name.trim().to_owned(),
        events: new.events,
        expected_matches: new.expected_matches,
        at_least: new.at_least,
        author: ctx.actor.name().to_owned(),
        created_at: ctx.now,
    };
    items::create(state, ctx, org, test).await
}

pub async fn add_test(state: &App, caller: &Caller, rule_id: Uuid, new: NewRuleTest) -> AppResult<RuleTest> {
    caller.require(Action::RuleManage)?;
    add_test_as(state, &caller.ctx(state), caller.org_id(), rule_id, new).await
}

pub async fn tests(state: &App, caller: &Caller, rule_id: Uuid) -> AppResult<Vec<RuleTest>> {
    caller.require(Action::RuleRead)?;
    tests_as(state, caller.org_id(), rule_id).await
}

/// A rule's tests, for a caller already allowed to read them.
pub async fn tests_as(state: &App, org: Uuid, rule_id: Uuid) -> AppResult<Vec<RuleTest>> {
    items::load::<Rule>(state, org, rule_id).await?;
    let q = ItemQuery { parent_id: Some(rule_id), ..items::query::<RuleTest>() };
    items::list(state, org, &q).await
}

/// Runs the tests of one rule (or of every rule): each rule as tuned by its
/// live exceptions, whether or not it is enabled.
pub async fn run_tests_as(state: &App, org: Uuid, rule_id: Option<Uuid>) -> AppResult<Vec<RuleTestResult>> {
    let now = state.clock.now();
    let mut q = items::query::<RuleTest>();
    q.parent_id = rule_id;
    let all_tests: Vec<RuleTest> = items::list(state, org, &q).await?;
    let rules: HashMap<Uuid, Rule> = all_rules(state, org).await?.into_iter().map(|(_, r)| (r.id, r)).collect();
    let exceptions: Vec<RuleException> = items::list(state, org, &items::query::<RuleException>()).await?;
    let mut by_rule: HashMap<Uuid, Vec<RuleTest>> = HashMap::new();
    for t in all_tests {
        by_rule.entry(t.rule_id).or_default().push(t);
    }
    let mut work = Vec::new();
    for (rid, tests) in by_rule {
        let Some(rule) = rules.get(&rid).cloned() else { continue };
        let filters = filters_of(exceptions.iter().filter(|e| e.rule_id == rid && e.live(now)));
        work.push((rule, tests, filters));
    }
    let settings = state.settings.clone();
    let mut results = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for (rule, tests, filters) in work {
            let (detector, _) = Detector::with_pipelines(&checked_alone(&rule), &filters, &settings.sigma_pipelines);
            for t in tests {
                let matches = t
                    .events
                    .iter()
                    .filter(|e| {
                        let ev = flatten((*e).clone());
                        !detector.matches(&ev, &source_of(&ev)).is_empty()
                    })
                    .count() as u64;
                out.push(RuleTestResult {
                    rule_id: rule.id,
                    sigma_id: rule.sigma_id.clone(),
                    title: rule.title.clone(),
                    test_id: t.id,
                    name: t.name,
                    expected_matches: t.expected_matches,
                    at_least: t.at_least,
                    matches,
                    passed: if t.at_least { matches >= t.expected_matches } else { matches == t.expected_matches },
                });
            }
        }
        out
    })
    .await
    .map_err(|_| AppError::internal())?;
    results.sort_by(|a, b| (&a.title, &a.name).cmp(&(&b.title, &b.name)));
    Ok(results)
}

pub async fn run_tests(state: &App, caller: &Caller, rule_id: Option<Uuid>) -> AppResult<Vec<RuleTestResult>> {
    caller.require(Action::RuleRead)?;
    if let Some(id) = rule_id {
        items::load::<Rule>(state, caller.org_id(), id).await?;
    }
    run_tests_as(state, caller.org_id(), rule_id).await
}
