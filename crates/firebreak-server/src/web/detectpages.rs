//! Detection pages: the rule library with its noisiest rules, a rule with
//! its tuning, and the ATT&CK coverage matrix. Changes go through the JSON
//! API from the page's script.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use firebreak_types::{
    Coverage, CoverageQuery, QualityQuery, Rule, RuleException, RuleQuality, RuleQuery, RuleRevision, RuleTestResult,
    ThreatProfile,
};
use uuid::Uuid;

use super::pages::{Flash, Layout};
use super::session::{WebCaller, render};
use crate::error::ApiError;
use crate::state::AppState;
use firebreak_app::detection;

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<Rule>,
    total: u64,
    q: RuleQuery,
    /// The noisiest rules, each with its page in the library when it is a
    /// Sigma rule there (another source's rule has none to tune).
    noisy: Vec<(RuleQuality, Option<String>)>,
    /// Rows shown: the first's position (1-based) and the last's.
    from: u64,
    to: u64,
    prev: Option<String>,
    next: Option<String>,
}

impl RulesPage {
    fn value(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
}

/// Rules a page of the library shows.
const RULES_PAGE: u32 = 100;

/// The query string of a rule search at another offset.
fn rules_href(q: &RuleQuery, offset: u64) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &q.q),
        ("attack", &q.attack),
        ("level", &q.level),
        ("status", &q.status),
        ("category", &q.category),
        ("product", &q.product),
        ("service", &q.service),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.append_pair(k, v);
        }
    }
    if let Some(e) = q.enabled {
        pairs.append_pair("enabled", if e { "true" } else { "false" });
    }
    if let Some(u) = q.use_case {
        pairs.append_pair("use_case", u.as_str());
    }
    if offset > 0 {
        pairs.append_pair("offset", &offset.to_string());
    }
    format!("/detection?{}", pairs.finish())
}

/// The rule library, searchable, a page at a time with the total, and the
/// noisiest rules of the month.
pub async fn rules(State(s): State<AppState>, WebCaller(c): WebCaller, Query(q): Query<RuleQuery>) -> Response {
    let q = RuleQuery { limit: Some(q.limit.unwrap_or(RULES_PAGE)), ..q };
    let page = match detection::list(&s, &c, &q).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let noisy = detection::quality(&s, &c, &QualityQuery { days: Some(30), limit: Some(10) }).await.unwrap_or_default();
    let names: Vec<&str> = noisy.iter().map(|n| n.rule.as_str()).collect();
    let pages = detection::by_sigma_id(&s, &c, &names).await.unwrap_or_default();
    let noisy = noisy
        .into_iter()
        .map(|n| {
            let href = pages.get(&n.rule).map(|(id, _)| format!("/detection/rules/{id}"));
            (n, href)
        })
        .collect();
    let layout = Layout::new(&s, &c, "Detection", "detection", Flash::default()).await;
    let total = page.total.unwrap_or(0);
    let shown = page.items.len() as u64;
    let limit = u64::from(page.limit);
    let (from, to) = if shown == 0 { (0, 0) } else { (page.offset + 1, page.offset + shown) };
    let prev = (page.offset > 0).then(|| rules_href(&q, page.offset.saturating_sub(limit)));
    let next = (page.offset + shown < total).then(|| rules_href(&q, page.offset + shown));
    render(&RulesPage { layout, total, rules: page.items, q, noisy, from, to, prev, next })
}

/// One day's bar of the rule's chart.
pub struct DayBar {
    pub x: u32,
    /// Heights in pixels: all hits, and the false-positive share of alerts.
    pub hits_h: u32,
    pub fp_h: u32,
    pub label: String,
}

/// The last 30 days of a rule: hits a day, with the alerts judged false
/// positives in a darker part of each bar.
pub struct Chart {
    pub bars: Vec<DayBar>,
    pub max: i64,
    pub empty: bool,
}

const CHART_DAYS: i64 = 30;
const CHART_HEIGHT: i64 = 80;

fn chart(today: i64, days: &[(i64, firebreak_app::detection::RuleOutcome)]) -> Chart {
    let max = days.iter().map(|(_, o)| o.hits).max().unwrap_or(0).max(1);
    let bars = (0..CHART_DAYS)
        .map(|i| {
            let day = today - (CHART_DAYS - 1) + i;
            let o = days.iter().find(|(d, _)| *d == day).map(|(_, o)| o);
            let hits = o.map_or(0, |o| o.hits);
            let fp_share = o.map_or(0.0, |o| o.false_positives as f64 / o.alerts.max(1) as f64);
            let hits_h = (hits * CHART_HEIGHT / max) as u32;
            let date = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(day);
            DayBar {
                x: (i * 12) as u32,
                hits_h,
                fp_h: (f64::from(hits_h) * fp_share).round() as u32,
                label: format!(
                    "{}: {hits} hits, {} alerts, {} false positives",
                    date.date(),
                    o.map_or(0, |o| o.alerts),
                    o.map_or(0, |o| o.false_positives)
                ),
            }
        })
        .collect();
    Chart { bars, max, empty: days.is_empty() }
}

#[derive(Template)]
#[template(path = "rule.html")]
struct RulePage {
    layout: Layout,
    rule: Rule,
    exceptions: Vec<RuleException>,
    revisions: Vec<RuleRevision>,
    quality: Option<RuleQuality>,
    tests: Vec<RuleTestResult>,
    passed: usize,
    ran_at: String,
    /// The stages of a use case, the rule's chosen.
    stages: Vec<(&'static str, bool)>,
    /// Whether the caller may add tests and change the stage.
    may_manage: bool,
    chart: Chart,
}

pub(super) fn match_text(m: &firebreak_types::ExceptionMatch) -> &'static str {
    match m {
        firebreak_types::ExceptionMatch::Equals => "is",
        firebreak_types::ExceptionMatch::Contains => "contains",
        firebreak_types::ExceptionMatch::Startswith => "starts with",
        firebreak_types::ExceptionMatch::Endswith => "ends with",
    }
}

pub(super) fn percent(v: &Option<f64>) -> String {
    v.map_or_else(|| "not judged yet".to_owned(), |r| format!("{:.0}%", r * 100.0))
}

/// One rule: its Sigma text, tuning exceptions, revisions and noise.
pub async fn rule(State(s): State<AppState>, WebCaller(c): WebCaller, Path(id): Path<Uuid>) -> Response {
    let rule = match detection::get(&s, &c, id).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let exceptions = detection::exceptions(&s, &c, id).await.unwrap_or_default();
    let revisions = detection::revisions(&s, &c, id).await.unwrap_or_default();
    let tests = detection::run_tests(&s, &c, Some(id)).await.unwrap_or_default();
    let now = s.now();
    let today = (now.unix_timestamp()).div_euclid(86_400);
    let days =
        detection::rule_days(&s, &c, &rule.sigma_id, now - time::Duration::days(CHART_DAYS)).await.unwrap_or_default();
    let chart = chart(today, &days);
    // The period's quality is the sum of its days.
    let quality = (!days.is_empty()).then(|| {
        let total = days.iter().fold(
            firebreak_app::detection::RuleOutcome {
                rule: rule.sigma_id.clone(),
                alerts: 0,
                hits: 0,
                false_positives: 0,
                true_positives: 0,
            },
            |mut t, (_, o)| {
                t.alerts += o.alerts;
                t.hits += o.hits;
                t.false_positives += o.false_positives;
                t.true_positives += o.true_positives;
                t
            },
        );
        detection::quality_of(total, rule.title.clone(), CHART_DAYS as u32)
    });
    let layout = Layout::new(&s, &c, &rule.title, "detection", Flash::default()).await;
    let passed = tests.iter().filter(|t| t.passed).count();
    let stages =
        ["draft", "testing", "production", "retired"].into_iter().map(|v| (v, rule.use_case.as_str() == v)).collect();
    let may_manage = c.may(firebreak_domain::permission::Action::RuleManage);
    render(&RulePage {
        layout,
        rule,
        exceptions,
        revisions,
        quality,
        tests,
        passed,
        ran_at: super::admin::when(now),
        stages,
        may_manage,
        chart,
    })
}

#[derive(Template)]
#[template(path = "coverage.html")]
struct CoveragePage {
    layout: Layout,
    coverage: Coverage,
    profiles: Vec<ThreatProfile>,
    chosen: Option<Uuid>,
    /// ATT&CK groups a profile can start from: (id, name, techniques).
    groups: Vec<(&'static str, &'static str, usize)>,
    may_manage: bool,
}

/// The colour class of a cell, by its enabled rules that have tests: none,
/// one, a few, many; a technique whose rules are all untested is outlined.
pub(super) fn shade(cell: &firebreak_types::CoverageCell) -> &'static str {
    match (cell.tested, cell.rules) {
        (0, 0) => "cov-0",
        (0, _) => "cov-0 cov-untested",
        (1, _) => "cov-1",
        (2..=3, _) => "cov-2",
        _ => "cov-3",
    }
}

/// ATT&CK coverage by enabled rules, against a threat profile.
pub async fn coverage(State(s): State<AppState>, WebCaller(c): WebCaller, Query(q): Query<CoverageQuery>) -> Response {
    let coverage = match detection::coverage(&s, &c, &q).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let profiles = detection::profiles(&s, &c).await.unwrap_or_default();
    let layout = Layout::new(&s, &c, "ATT&CK coverage", "detection", Flash::default()).await;
    let mut groups: Vec<(&'static str, &'static str, usize)> =
        firebreak_domain::attack::attack().groups.iter().map(|g| (g.id, g.name, g.techniques.len())).collect();
    groups.sort_by_key(|g| g.1.to_lowercase());
    let may_manage = c.may(firebreak_domain::permission::Action::RuleManage);
    render(&CoveragePage { layout, coverage, profiles, chosen: q.profile, groups, may_manage })
}
