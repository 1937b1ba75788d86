//! Tuning exceptions: a detection rule's exceptions written, previewed
//! against its recent alerts and stored as Sigma filters.

use firebreak_detect::event::source_of;
use firebreak_detect::{Detector, Library, RuleKind};
use firebreak_domain::permission::Action;
use firebreak_store::ItemQuery;
use firebreak_types::{
    ErrorCode, ExceptionKind, ExceptionMatch, ExceptionPreview, NewRuleException, PreviewAlert, Rule, RuleException,
};
use serde_json::Value;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for RuleException {
    const KIND: &'static str = "rule_exception";
    const NOUN: &'static str = "exception";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { parent_id: Some(self.rule_id), at: Some(self.created_at), due_at: self.expires_at, ..Index::default() }
    }
}

/// Reading stored exception filters back.
mod rsigma_filter {
    pub use firebreak_detect::rsigma_parser::FilterRule;

    pub fn parse(yaml: &str) -> Option<FilterRule> {
        firebreak_detect::rsigma_parser::parse_sigma_yaml(yaml).ok()?.filters.into_iter().next()
    }
}

pub(super) trait Live {
    /// Whether the exception still applies at `now`.
    fn live(&self, now: time::OffsetDateTime) -> bool;
}

impl Live for RuleException {
    fn live(&self, now: time::OffsetDateTime) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

/// Exceptions as the Sigma filters the matcher applies.
pub(super) fn filters_of<'a>(
    exceptions: impl IntoIterator<Item = &'a RuleException>,
) -> Vec<rsigma_filter::FilterRule> {
    exceptions.into_iter().filter_map(|e| rsigma_filter::parse(&e.sigma)).collect()
}

/// A stored rule as the matcher reads it on its own: its document and the
/// filter documents written beside it in the same file.
pub(super) fn checked_alone(rule: &Rule) -> Vec<firebreak_detect::CheckedRule> {
    let mut lib = Library::default();
    lib.add_file(&rule.file, &rule.yaml);
    lib.rules.retain(|c| c.meta.id == rule.sigma_id || c.kind() == RuleKind::Filter);
    lib.rules
}

/// Checks a new exception and writes its Sigma filter; nothing is stored.
fn build_exception(
    caller: &Caller,
    now: time::OffsetDateTime,
    rule: &Rule,
    new: NewRuleException,
) -> AppResult<RuleException> {
    let bad = |field: &str, why: &str| AppError::field(ErrorCode::InvalidField, field, why);
    if rule.kind != RuleKind::Detection.as_str() {
        return Err(bad("rule", "exceptions apply to detection rules"));
    }
    if !firebreak_detect::tuning::valid_field(new.field.trim()) {
        return Err(bad("field", "an event field name: letters, digits, `_`, `.`, `-`"));
    }
    if new.values.is_empty() || new.values.iter().any(|v| v.is_empty()) {
        return Err(bad("values", "one or more values, none empty"));
    }
    if new.reason.trim().is_empty() {
        return Err(bad("reason", "say why the rule should not fire here"));
    }
    if new.expires_at.is_some_and(|t| t <= now) {
        return Err(bad("expires_at", "a time in the future"));
    }
    let id = Uuid::now_v7();
    let (id_s, date) = (id.to_string(), now.date().to_string());
    let sigma = firebreak_detect::tuning::filter_yaml(&firebreak_detect::tuning::Exception {
        id: &id_s,
        rule: &rule.sigma_id,
        product: &rule.product,
        category: &rule.category,
        service: &rule.service,
        field: new.field.trim(),
        modifier: match new.matching {
            ExceptionMatch::Equals => None,
            ExceptionMatch::Contains => Some("contains"),
            ExceptionMatch::Startswith => Some("startswith"),
            ExceptionMatch::Endswith => Some("endswith"),
        },
        values: &new.values,
        exclude: new.kind == ExceptionKind::Exclude,
        reason: new.reason.trim(),
        author: caller.name(),
        date: &date,
    });
    if rsigma_filter::parse(&sigma).is_none() {
        return Err(bad("values", "these values do not make a valid Sigma filter"));
    }
    Ok(RuleException {
        id,
        rule_id: rule.id,
        kind: new.kind,
        field: new.field.trim().to_owned(),
        matching: new.matching,
        values: new.values,
        reason: new.reason.trim().to_owned(),
        author: caller.name().to_owned(),
        created_at: now,
        expires_at: new.expires_at,
        sigma,
    })
}

/// Adds a tuning exception to a detection rule, as a Sigma filter.
pub async fn add_exception(
    state: &App,
    caller: &Caller,
    rule_id: Uuid,
    new: NewRuleException,
) -> AppResult<RuleException> {
    caller.require(Action::RuleManage)?;
    let ctx = caller.ctx(state);
    let org = caller.org_id();
    let (_, rule) = items::load::<Rule>(state, org, rule_id).await?;
    let exception = build_exception(caller, ctx.now, &rule, new)?;
    let exception = items::create(state, &ctx, org, exception).await?;
    state.detectors.forget(org);
    Ok(exception)
}

/// How many of the rule's recent alerts an exception would have
/// suppressed, before it is added.
pub async fn preview_exception(
    state: &App,
    caller: &Caller,
    rule_id: Uuid,
    new: NewRuleException,
) -> AppResult<ExceptionPreview> {
    caller.require(Action::RuleRead)?;
    let org = caller.org_id();
    let (_, rule) = items::load::<Rule>(state, org, rule_id).await?;
    let exception = build_exception(caller, state.clock.now(), &rule, new)?;
    let q = firebreak_types::AlertQuery {
        rule: Some(rule.sigma_id.clone()),
        limit: Some(500),
        ..firebreak_types::AlertQuery::default()
    };
    let alerts = state.store.list_alerts(org, &q).await?.items;
    let filter = rsigma_filter::parse(&exception.sigma).ok_or_else(AppError::internal)?;
    let sigma = exception.sigma.clone();
    let settings = state.settings.clone();
    let (checked, suppressed) = tokio::task::spawn_blocking(move || {
        let alone = checked_alone(&rule);
        let (plain, _) = Detector::with_pipelines(&alone, &[], &settings.sigma_pipelines);
        let (tuned, _) = Detector::with_pipelines(&alone, &[filter], &settings.sigma_pipelines);
        let fires = |d: &Detector, ev: &Value| !d.matches(ev, &source_of(ev)).is_empty();
        let suppressed: Vec<PreviewAlert> = alerts
            .iter()
            .filter(|a| {
                let raw = a.raw.to_value();
                fires(&plain, &raw) && !fires(&tuned, &raw)
            })
            .map(|a| PreviewAlert { id: a.id, title: a.title.clone() })
            .collect();
        (alerts.len() as u64, suppressed)
    })
    .await
    .map_err(|_| AppError::internal())?;
    Ok(ExceptionPreview {
        alerts_checked: checked,
        suppressed: suppressed.len() as u64,
        examples: suppressed.into_iter().take(20).collect(),
        sigma,
    })
}

pub async fn exceptions(state: &App, caller: &Caller, rule_id: Uuid) -> AppResult<Vec<RuleException>> {
    caller.require(Action::RuleRead)?;
    items::load::<Rule>(state, caller.org_id(), rule_id).await?;
    let q = ItemQuery { parent_id: Some(rule_id), ..items::query::<RuleException>() };
    items::list(state, caller.org_id(), &q).await
}

pub async fn delete_exception(state: &App, caller: &Caller, rule_id: Uuid, id: Uuid) -> AppResult<()> {
    caller.require(Action::RuleManage)?;
    let (_, e) = items::load::<RuleException>(state, caller.org_id(), id).await?;
    if e.rule_id != rule_id {
        return Err(AppError::not_found(RuleException::NOUN));
    }
    items::delete::<RuleException>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.detectors.forget(caller.org_id());
    Ok(())
}
