//! The dashboards: one per role, each a list of panels, each panel one
//! metric drawn one way. The pages, the benchmark and the report all read
//! these lists, so what is timed is what is shown.

use firebreak_types::{MetricQuery, MetricTable};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::error::AppResult;
use crate::metrics;

/// How a panel draws its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// One bar per day (or per period), the first column as the x axis.
    Series,
    /// Horizontal bars, one per row, longest first.
    Bars,
    /// Weekday by hour.
    Heatmap,
    /// A gauge per row (SLA attainment, update compliance).
    Gauges,
    /// Count, mean, median and p90 as tiles.
    Stats,
    /// The rows as they are.
    Table,
}

/// One panel of a dashboard.
#[derive(Debug, Clone, Copy)]
pub struct Panel {
    pub metric: &'static str,
    pub group_by: Option<&'static str>,
    pub chart: Chart,
}

/// A dashboard for one role.
#[derive(Debug, Clone, Copy)]
pub struct Dashboard {
    pub slug: &'static str,
    pub title: &'static str,
    /// Who it is for and what it answers.
    pub about: &'static str,
    pub panels: &'static [Panel],
}

const fn panel(metric: &'static str, group_by: Option<&'static str>, chart: Chart) -> Panel {
    Panel { metric, group_by, chart }
}

pub const DASHBOARDS: &[Dashboard] = &[
    Dashboard {
        slug: "soc",
        title: "SOC lead",
        about: "Queue health and SLA: what arrives, when, how fast it is taken and triaged, and what it turns out to be.",
        panels: &[
            panel("alert_volume", Some("day"), Chart::Series),
            panel("alert_time_to_acknowledge", None, Chart::Stats),
            panel("alert_time_to_triage", None, Chart::Stats),
            panel("sla", None, Chart::Gauges),
            panel("alert_heatmap", None, Chart::Heatmap),
            panel("dispositions", None, Chart::Bars),
            panel("backlog", Some("phase"), Chart::Bars),
        ],
    },
    Dashboard {
        slug: "incident",
        title: "Incident manager",
        about: "Open incidents by phase, severity and age; containment and resolution times; breaches, overdue \
                updates and response actions.",
        panels: &[
            panel("backlog", Some("phase"), Chart::Bars),
            panel("backlog", Some("severity"), Chart::Bars),
            panel("backlog", Some("age"), Chart::Bars),
            panel("time_to_contain", None, Chart::Stats),
            panel("time_to_resolve", None, Chart::Stats),
            panel("update_cadence", None, Chart::Gauges),
            panel("sla_breaches", None, Chart::Table),
            panel("response_actions", None, Chart::Table),
        ],
    },
    Dashboard {
        slug: "detection",
        title: "Detection engineer",
        about: "Rule noise and coverage: which rules raise the most alerts, how many are false positives, and how \
                much of ATT&CK the enabled rules cover.",
        panels: &[
            panel("rule_noise", None, Chart::Table),
            panel("alert_volume", Some("rule"), Chart::Bars),
            panel("dispositions", Some("rule"), Chart::Table),
            panel("alert_to_case", None, Chart::Table),
            panel("coverage", None, Chart::Series),
        ],
    },
    Dashboard {
        slug: "executive",
        title: "Executive",
        about: "Trends: incidents and alerts over time, how fast they are detected, contained and resolved, SLA \
                attainment and detection coverage.",
        panels: &[
            panel("case_volume", Some("day"), Chart::Series),
            panel("time_to_detect", None, Chart::Stats),
            panel("time_to_contain", None, Chart::Stats),
            panel("time_to_resolve", None, Chart::Stats),
            panel("sla", None, Chart::Gauges),
            panel("alert_volume", Some("day"), Chart::Series),
            panel("case_volume", Some("severity"), Chart::Bars),
            panel("coverage", None, Chart::Series),
        ],
    },
];

pub fn dashboard(slug: &str) -> Option<&'static Dashboard> {
    DASHBOARDS.iter().find(|d| d.slug == slug)
}

/// Computes one panel for `org` over `[from, to)`.
pub async fn panel_table(
    state: &App,
    org: Uuid,
    p: &Panel,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> AppResult<MetricTable> {
    let q = MetricQuery {
        from: Some(from),
        to: Some(to),
        group_by: p.group_by.map(str::to_owned),
        ..MetricQuery::default()
    };
    let r = metrics::request(p.metric, &q, state.clock.now())?;
    metrics::compute(state, org, &r).await
}
