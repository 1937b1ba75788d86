//! Rule quality: what became of each rule's alerts.

use std::collections::HashMap;

use firebreak_domain::permission::Action;
use firebreak_types::{ErrorCode, QualityQuery, RuleQuality};

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};

use super::library::{all_rules, page_size};

/// A rule's quality from what became of its alerts over `days`: the
/// false-positive rate is false positives / (true + false positives).
/// A rule's outcomes (alerts and how they were closed) per day since `since`.
pub async fn rule_days(
    state: &App,
    caller: &Caller,
    sigma_id: &str,
    since: time::OffsetDateTime,
) -> AppResult<Vec<(i64, firebreak_store::RuleOutcome)>> {
    caller.require(Action::RuleRead)?;
    Ok(state.store.rule_days(caller.org_id(), sigma_id, since).await?)
}

pub fn quality_of(o: firebreak_store::RuleOutcome, title: String, days: u32) -> RuleQuality {
    let judged = o.false_positives + o.true_positives;
    RuleQuality {
        title,
        rule: o.rule,
        alerts: o.alerts.max(0) as u64,
        hits: o.hits.max(0) as u64,
        hits_per_day: o.hits.max(0) as f64 / f64::from(days),
        false_positives: o.false_positives.max(0) as u64,
        true_positives: o.true_positives.max(0) as u64,
        false_positive_rate: (judged > 0).then(|| o.false_positives as f64 / judged as f64),
    }
}

/// The rules that raised alerts in the period, noisiest first: most hits,
/// then the highest false-positive rate.
pub async fn quality(state: &App, caller: &Caller, q: &QualityQuery) -> AppResult<Vec<RuleQuality>> {
    caller.require(Action::RuleRead)?;
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(AppError::field(ErrorCode::InvalidField, "days", "from 1 to 366"));
    }
    let since = state.clock.now() - time::Duration::days(days.into());
    let outcomes = state.store.rule_outcomes(caller.org_id(), since).await?;
    let titles: HashMap<String, String> =
        all_rules(state, caller.org_id()).await?.into_iter().map(|(_, r)| (r.sigma_id, r.title)).collect();
    let mut out: Vec<RuleQuality> = outcomes
        .into_iter()
        .map(|o| {
            let title = titles.get(&o.rule).cloned().unwrap_or_else(|| o.rule.clone());
            quality_of(o, title, days)
        })
        .collect();
    out.sort_by(|a, b| {
        b.hits.cmp(&a.hits).then(b.false_positive_rate.unwrap_or(0.0).total_cmp(&a.false_positive_rate.unwrap_or(0.0)))
    });
    out.truncate(page_size(q.limit, 20)? as usize);
    Ok(out)
}
