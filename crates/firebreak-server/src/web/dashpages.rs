//! Dashboards (one per role) and the management report page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use firebreak_domain::permission::Action;
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, Time};

use super::pages::{Flash, Layout};
use super::session::{WebCaller, render};
use crate::auth::Caller;
use crate::charts::{self, day};
use crate::error::ApiError;
use crate::state::AppState;
use firebreak_app::dashboards::{self, DASHBOARDS, Dashboard};

/// The period picker: a preset (`days`) or dates (`from`, `to`, both
/// inclusive days, UTC).
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    pub days: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A resolved period, `[from, to)`, with how it reads.
pub struct Period {
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub from_day: String,
    pub to_day: String,
    pub days: i64,
    pub error: String,
}

fn parse_day(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &f).ok()
}

impl Period {
    /// The period asked for; a bad one falls back to the last 30 days with a
    /// message. A period is whole UTC days, so that "the last 30 days" is 30
    /// dates, today the last of them, wherever it is named.
    pub fn resolve(q: &PeriodQuery, now: OffsetDateTime) -> Period {
        let tomorrow = (now.date() + Duration::days(1)).with_time(Time::MIDNIGHT).assume_utc();
        let last = |days: i64| (tomorrow - Duration::days(days), tomorrow);
        let ((from, to), error) = match (q.from.as_deref().and_then(parse_day), q.to.as_deref().and_then(parse_day)) {
            (Some(f), Some(t)) if f <= t => (
                (
                    f.with_time(Time::MIDNIGHT).assume_utc(),
                    (t + Duration::days(1)).with_time(Time::MIDNIGHT).assume_utc(),
                ),
                "",
            ),
            (Some(_), Some(_)) => (last(30), "The period's start is after its end; showing the last 30 days."),
            _ if q.from.is_some() || q.to.is_some() => {
                (last(30), "Dates are written YYYY-MM-DD; showing the last 30 days.")
            }
            _ => (last(q.days.unwrap_or(30).clamp(1, 3_660)), ""),
        };
        Period {
            from,
            to,
            from_day: day(from),
            to_day: day(to - Duration::milliseconds(1)),
            days: (to - from).whole_days().max(1),
            error: error.to_owned(),
        }
    }

    /// The query string for links that keep this period.
    pub fn query(&self) -> String {
        format!("from={}&to={}", self.from_day, self.to_day)
    }

    fn api_query(&self) -> String {
        let f = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        format!("from={}&to={}", f(self.from), f(self.to))
    }
}

/// A panel as drawn.
pub struct PanelView {
    pub metric: &'static str,
    pub group: &'static str,
    pub kind: &'static str,
    pub title: String,
    pub definition: String,
    pub html: String,
    pub csv: String,
    pub json: String,
}

/// Computes and draws every panel of a dashboard, all at once.
pub async fn panels(state: &AppState, caller: &Caller, d: &Dashboard, period: &Period) -> Vec<PanelView> {
    let tables = futures::future::join_all(
        d.panels.iter().map(|p| dashboards::panel_table(state, caller.org_id(), p, period.from, period.to)),
    )
    .await;
    d.panels
        .iter()
        .zip(tables)
        .map(|(p, t)| {
            let m = firebreak_domain::metrics::metric(p.metric);
            let group = p.group_by.unwrap_or("");
            let by = p.group_by.map(|g| format!("&group_by={g}")).unwrap_or_default();
            let title = match (m, p.group_by) {
                (Some(m), Some(g)) if !matches!(g, "day" | "phase") => format!("{} by {g}", m.title),
                (Some(m), _) => m.title.to_owned(),
                (None, _) => p.metric.to_owned(),
            };
            let html = match &t {
                Ok(t) => charts::draw(p.chart, t),
                Err(e) => {
                    tracing::error!(error = %e, metric = p.metric, "could not compute a dashboard panel");
                    format!(
                        "<p class=\"empty-chart\">Could not compute this panel: {}</p>",
                        charts::esc(&e.to_string())
                    )
                }
            };
            let api = format!("/api/v1/metrics/{}?{}{by}", p.metric, period.api_query());
            PanelView {
                metric: p.metric,
                group,
                kind: chart_name(p.chart),
                title,
                definition: m.map(|m| m.definition.to_owned()).unwrap_or_default(),
                html,
                csv: format!("{api}&format=csv"),
                json: api,
            }
        })
        .collect()
}

fn chart_name(c: dashboards::Chart) -> &'static str {
    match c {
        dashboards::Chart::Series => "series",
        dashboards::Chart::Bars => "bars",
        dashboards::Chart::Heatmap => "heatmap",
        dashboards::Chart::Gauges => "gauges",
        dashboards::Chart::Stats => "stats",
        dashboards::Chart::Table => "table",
    }
}

pub struct Tab {
    pub slug: &'static str,
    pub title: &'static str,
    pub about: &'static str,
}

fn tabs() -> Vec<Tab> {
    DASHBOARDS.iter().map(|d| Tab { slug: d.slug, title: d.title, about: d.about }).collect()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    slug: &'static str,
    title: &'static str,
    about: &'static str,
    tabs: Vec<Tab>,
    period: Period,
    panels: Vec<PanelView>,
}

/// The dashboard a role starts on.
fn home_dashboard(c: &Caller) -> &'static str {
    use firebreak_types::Role;
    match c.role {
        Role::Admin | Role::IncidentManager => "incident",
        Role::Stakeholder => "executive",
        _ => "soc",
    }
}

pub async fn index(WebCaller(c): WebCaller) -> Redirect {
    Redirect::to(&format!("/dashboards/{}", home_dashboard(&c)))
}

pub async fn dashboard(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    if let Err(e) = c.require(Action::MetricsRead) {
        return ApiError::from(e).into_response();
    }
    let Some(d) = dashboards::dashboard(&slug) else {
        return crate::error::ApiError::not_found("dashboard").into_response();
    };
    let period = Period::resolve(&q, s.now());
    let panels = panels(&s, &c, d, &period).await;
    let flash = Flash { error: period.error.clone(), ..Flash::default() };
    let layout = Layout::new(&s, &c, &format!("{} dashboard", d.title), "dashboards", flash).await;
    render(&DashboardPage { layout, slug: d.slug, title: d.title, about: d.about, tabs: tabs(), period, panels })
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    period: Period,
    presets: Vec<(String, String, String)>,
    chromium: bool,
}

/// The report's period presets: the last full month and the last full quarter.
fn presets(now: OffsetDateTime) -> Vec<(String, String, String)> {
    let d = now.date();
    let month_start =
        |y: i32, m: u8| Date::from_calendar_date(y, time::Month::try_from(m).unwrap_or(time::Month::January), 1);
    let (y, m) = (d.year(), u8::from(d.month()));
    let mut out = Vec::new();
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    if let (Ok(a), Ok(b)) = (month_start(py, pm), month_start(y, m)) {
        out.push(("Last month".to_owned(), a.to_string(), (b - Duration::days(1)).to_string()));
    }
    let q = (m - 1) / 3; // 0..3, this quarter
    let (qy, qs) = if q == 0 { (y - 1, 10) } else { (y, q * 3 - 2) };
    if let (Ok(a), Ok(b)) = (month_start(qy, qs), month_start(y, q * 3 + 1)) {
        out.push(("Last quarter".to_owned(), a.to_string(), (b - Duration::days(1)).to_string()));
    }
    out
}

/// The report page: a period, and the report as HTML, PDF or CSV.
pub async fn reports(State(s): State<AppState>, WebCaller(c): WebCaller, Query(q): Query<PeriodQuery>) -> Response {
    if let Err(e) = c.require(Action::ReportGenerate) {
        return ApiError::from(e).into_response();
    }
    let now = s.now();
    let period = Period::resolve(&q, now);
    let flash = Flash { error: period.error.clone(), ..Flash::default() };
    let layout = Layout::new(&s, &c, "Management report", "dashboards", flash).await;
    render(&ReportsPage { layout, period, presets: presets(now), chromium: crate::report::chromium().is_some() })
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub days: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
}

/// The report itself: a printable HTML document, its CSV, or its PDF.
pub async fn report_view(State(s): State<AppState>, WebCaller(c): WebCaller, Query(q): Query<ReportQuery>) -> Response {
    use axum::http::{StatusCode, header};
    if let Err(e) = c.require(Action::ReportGenerate) {
        return ApiError::from(e).into_response();
    }
    let asked = PeriodQuery { days: q.days, from: q.from.clone(), to: q.to.clone() };
    let period = Period::resolve(&asked, s.now());
    let report = match crate::report::build(&s, c.org_id(), period.from, period.to).await {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let name = format!("firebreak-report-{}-{}", period.from_day, period.to_day);
    match q.format.as_deref().unwrap_or("html") {
        "csv" => crate::api::csv_download(&format!("{name}.csv"), crate::report::csv(&report)),
        "pdf" => {
            let html = crate::report::html(&report);
            let out = std::env::temp_dir().join(format!("{name}-{}.pdf", uuid::Uuid::now_v7()));
            let made = tokio::task::spawn_blocking({
                let out = out.clone();
                move || crate::report::pdf(&html, &out)
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
            match made.and_then(|()| std::fs::read(&out).map_err(|e| e.to_string())) {
                Ok(bytes) => {
                    let _ = std::fs::remove_file(&out);
                    (
                        [
                            (header::CONTENT_TYPE, "application/pdf".to_owned()),
                            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.pdf\"")),
                        ],
                        bytes,
                    )
                        .into_response()
                }
                Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e).into_response(),
            }
        }
        _ => {
            // The report's own style sheet is inline, allowed by its hash.
            let policy = format!("{}; frame-ancestors 'none'", *crate::report::POLICY);
            ([(header::CONTENT_SECURITY_POLICY, policy)], axum::response::Html(crate::report::html(&report)))
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Period, PeriodQuery};

    #[test]
    fn the_last_n_days_are_n_dates_ending_today() {
        let now = time::macros::datetime!(2026-12-06 14:02 UTC);
        let p = Period::resolve(&PeriodQuery { days: Some(30), from: None, to: None }, now);
        assert_eq!((p.from_day.as_str(), p.to_day.as_str(), p.days), ("2026-11-07", "2026-12-06", 30));
        let bad = Period::resolve(&PeriodQuery { days: None, from: Some("x".into()), to: None }, now);
        assert_eq!((bad.from_day.as_str(), bad.days), ("2026-11-07", 30));
        let asked = Period::resolve(
            &PeriodQuery { days: None, from: Some("2026-11-01".into()), to: Some("2026-11-30".into()) },
            now,
        );
        assert_eq!((asked.from_day.as_str(), asked.to_day.as_str(), asked.days), ("2026-11-01", "2026-11-30", 30));
    }
}
