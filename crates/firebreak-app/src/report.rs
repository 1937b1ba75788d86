//! The management report's content: a month or a quarter of headline numbers
//! against the previous period, figures, SLA attainment, notable incidents
//! with their lessons, the noisiest rules and the tuning done, coverage
//! change, and open action items. Built from the same metrics as the
//! dashboards; the server renders it (HTML for print, CSV, PDF).

use std::collections::HashMap;

use firebreak_domain::clock::to_millis;
use firebreak_domain::metrics::{metric, previous_period};
use firebreak_types::{ActionItem, ItemStatus, MetricQuery, MetricTable, Review, Rule, RuleException};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::dashboards::Chart;
use crate::error::AppResult;
use crate::items;
use crate::metrics::{compute, day, request};

/// A headline figure for the period and the one before.
#[derive(Debug, Clone)]
pub struct Headline {
    pub label: &'static str,
    pub now: Option<f64>,
    pub before: Option<f64>,
    /// `count`, `seconds` or `percent`.
    pub unit: &'static str,
    /// Whether a smaller figure is the better one (times, false positives).
    pub lower_is_better: bool,
}

impl Headline {
    pub fn shown(&self, v: Option<f64>) -> String {
        match v {
            None => "—".to_owned(),
            Some(v) => match self.unit {
                "seconds" => crate::metrics::duration(v),
                "percent" => format!("{:.1}%", v),
                _ => format!("{}", v.round()),
            },
        }
    }

    /// The change as people read it, with whether it is good news.
    pub fn change(&self) -> (String, &'static str) {
        match (self.now, self.before) {
            (Some(n), Some(b)) if b != 0.0 => {
                let pct = (n - b) / b * 100.0;
                let better = if self.lower_is_better { pct < 0.0 } else { pct > 0.0 };
                let class = if pct.abs() < 0.5 {
                    "same"
                } else if better {
                    "better"
                } else {
                    "worse"
                };
                (format!("{}{:.0}%", if pct > 0.0 { "+" } else { "" }, pct), class)
            }
            (Some(_), Some(_)) => ("new".to_owned(), "same"),
            _ => ("—".to_owned(), "same"),
        }
    }
}

/// A closed incident worth telling about.
#[derive(Debug, Clone)]
pub struct Notable {
    pub number: i64,
    pub title: String,
    pub priority: String,
    pub severity: String,
    pub summary: String,
    pub lessons: String,
}

/// A chart of the report: a metric's table and how to draw it.
pub struct Figure {
    pub title: String,
    pub definition: String,
    pub chart: Chart,
    pub table: MetricTable,
}

/// The report, computed.
pub struct Report {
    pub org_name: String,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub previous: (OffsetDateTime, OffsetDateTime),
    pub generated: OffsetDateTime,
    pub headlines: Vec<Headline>,
    pub figures: Vec<Figure>,
    pub sla: MetricTable,
    pub breaches: MetricTable,
    pub notable: Vec<Notable>,
    pub noisy: MetricTable,
    pub tuning: Vec<(String, String, String)>,
    pub coverage_start: Option<i64>,
    pub coverage_end: Option<i64>,
    pub actions: Vec<(String, String, String)>,
}

async fn table(
    state: &App,
    org: Uuid,
    name: &str,
    group: Option<&str>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> AppResult<MetricTable> {
    let q =
        MetricQuery { from: Some(from), to: Some(to), group_by: group.map(str::to_owned), ..MetricQuery::default() };
    compute(state, org, &request(name, &q, state.clock.now())?).await
}

fn f(t: &MetricTable, col: &str) -> Option<f64> {
    t.value(0, col).and_then(Value::as_f64)
}

/// SLA attainment over all clocks and priorities, in percent.
fn attainment(t: &MetricTable) -> Option<f64> {
    let (met, breached) = t.rows.iter().fold((0.0, 0.0), |(m, b), r| {
        (m + r.get(3).and_then(Value::as_f64).unwrap_or(0.0), b + r.get(4).and_then(Value::as_f64).unwrap_or(0.0))
    });
    (met + breached > 0.0).then(|| met / (met + breached) * 100.0)
}

/// False positives / (true + false positives) over all triaged alerts, in percent.
fn fp_rate(t: &MetricTable) -> Option<f64> {
    let n = |k: &str| t.row(k).and_then(|r| r.get(1)).and_then(Value::as_f64).unwrap_or(0.0);
    let (fp, tp) = (n("false_positive"), n("benign_true_positive") + n("escalated"));
    (fp + tp > 0.0).then(|| fp / (fp + tp) * 100.0)
}

fn last_count(t: &MetricTable) -> Option<i64> {
    t.rows.last().and_then(|r| r.get(1)).and_then(Value::as_i64)
}

/// Computes the report of `org` for `[from, to)`.
pub async fn build(state: &App, org: Uuid, from: OffsetDateTime, to: OffsetDateTime) -> AppResult<Report> {
    let previous = previous_period(from, to);
    let org_name = state.store.get_org(org).await?.map(|o| o.name).unwrap_or_default();
    let mut headlines = Vec::new();
    for (label, name, col, unit, lower) in [
        ("Alerts received", "alert_to_case", "alerts", "count", false),
        ("Cases declared", "alert_to_case", "cases", "count", false),
        ("Median time to acknowledge an alert", "alert_time_to_acknowledge", "median", "seconds", true),
        ("Median time to detect", "time_to_detect", "median", "seconds", true),
        ("Median time to contain", "time_to_contain", "median", "seconds", true),
        ("Median time to resolve", "time_to_resolve", "median", "seconds", true),
    ] {
        let now = table(state, org, name, None, from, to).await?;
        let before = table(state, org, name, None, previous.0, previous.1).await?;
        headlines.push(Headline { label, now: f(&now, col), before: f(&before, col), unit, lower_is_better: lower });
    }
    // Ratios over whole tables: SLA attainment, and the false-positive rate.
    let sla = table(state, org, "sla", None, from, to).await?;
    let disp = table(state, org, "dispositions", None, from, to).await?;
    for (label, name, now, of, lower) in [
        ("SLA attainment", "sla", &sla, attainment as fn(&MetricTable) -> Option<f64>, false),
        ("False-positive rate", "dispositions", &disp, fp_rate, true),
    ] {
        let before = table(state, org, name, None, previous.0, previous.1).await?;
        headlines.push(Headline { label, now: of(now), before: of(&before), unit: "percent", lower_is_better: lower });
    }

    let mut figures = Vec::new();
    for (name, group, chart) in [
        ("case_volume", Some("day"), Chart::Series),
        ("alert_volume", Some("day"), Chart::Series),
        ("case_volume", Some("category"), Chart::Bars),
        ("dispositions", None, Chart::Bars),
    ] {
        let t = table(state, org, name, group, from, to).await?;
        let m = metric(name);
        figures.push(Figure {
            title: match (m, group) {
                (Some(m), Some(g)) if g != "day" => format!("{} by {g}", m.title),
                (Some(m), _) => m.title.to_owned(),
                _ => name.to_owned(),
            },
            definition: m.map(|m| m.definition.to_owned()).unwrap_or_default(),
            chart,
            table: t,
        });
    }
    let breaches = table(state, org, "sla_breaches", None, from, to).await?;
    let mut noisy = table(state, org, "rule_noise", None, from, to).await?;
    noisy.rows.truncate(10);

    // Notable incidents: closed in the period, most urgent first.
    let closed = state.store.closed_cases(org, to_millis(from), to_millis(to), 5).await?;
    let mut notable = Vec::new();
    for c in closed {
        let review: Option<Review> = items::of_case::<Review>(state, org, c.id).await?.into_iter().next();
        let lessons = review
            .map(|r| {
                [("Root cause", r.root_cause), ("Went well", r.went_well), ("To improve", r.to_improve)]
                    .into_iter()
                    .filter(|(_, v)| !v.trim().is_empty())
                    .map(|(k, v)| format!("{k}: {}", v.trim()))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default();
        notable.push(Notable {
            number: c.number,
            title: c.title,
            priority: c.priority.as_str().to_owned(),
            severity: c.severity.map(|s| format!("{s:?}").to_lowercase()).unwrap_or_default(),
            summary: c.summary,
            lessons,
        });
    }

    // Tuning done: the exceptions added to rules in the period.
    let exceptions: Vec<RuleException> = items::list(state, org, &items::query::<RuleException>()).await?;
    let recent: Vec<&RuleException> = exceptions.iter().filter(|e| e.created_at >= from && e.created_at < to).collect();
    let mut titles: HashMap<Uuid, String> = HashMap::new();
    for e in &recent {
        if !titles.contains_key(&e.rule_id)
            && let Ok((_, r)) = items::load::<Rule>(state, org, e.rule_id).await
        {
            titles.insert(e.rule_id, r.title);
        }
    }
    let tuning = recent
        .iter()
        .map(|e| {
            let rule = titles.get(&e.rule_id).cloned().unwrap_or_default();
            let what = format!("{:?} {} {}", e.kind, e.field, e.values.join(", ")).to_lowercase();
            (rule, what, e.reason.clone())
        })
        .collect();

    let coverage = table(state, org, "coverage", None, from, to).await?;
    // The first row carries the coverage from before the period when there
    // is one (dated the period's first day); otherwise nothing was covered yet.
    let start_day = day(from);
    let coverage_start = match coverage.rows.first() {
        Some(r) if r.first().and_then(Value::as_str) == Some(start_day.as_str()) => r.get(1).and_then(Value::as_i64),
        _ => Some(0),
    };
    let coverage_end = last_count(&coverage);

    let open: Vec<ActionItem> = items::list(
        state,
        org,
        &firebreak_store::ItemQuery {
            statuses: vec![ItemStatus::Open.as_str().to_owned()],
            ..items::query::<ActionItem>()
        },
    )
    .await?;
    let numbers = crate::cases::numbers_in(state, org, &open.iter().map(|a| a.case_id).collect::<Vec<_>>()).await?;
    let actions = open
        .iter()
        .map(|a| {
            let due = a.due_at.map(day).unwrap_or_else(|| "—".to_owned());
            (numbers.get(&a.case_id).map(|n| format!("#{n}")).unwrap_or_default(), a.title.clone(), due)
        })
        .collect();

    Ok(Report {
        org_name,
        from,
        to,
        previous,
        generated: state.clock.now(),
        headlines,
        figures,
        sla,
        breaches,
        notable,
        noisy,
        tuning,
        coverage_start,
        coverage_end,
        actions,
    })
}
