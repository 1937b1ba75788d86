//! The management report: a month or a quarter on one printable page set —
//! headline numbers against the previous period, charts, SLA attainment,
//! notable incidents with their lessons, the noisiest rules and the tuning
//! done, coverage change, and open action items. Built from the same metrics
//! as the dashboards; rendered as HTML (designed for print), CSV, or PDF
//! through headless Chromium.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_domain::clock::to_millis;
use firebreak_domain::metrics::{metric, previous_period};
use firebreak_types::csv::export_cell;
use firebreak_types::{ActionItem, ItemStatus, MetricQuery, MetricTable, Review, Rule, RuleException};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::charts;
use crate::dashboards::Chart;
use crate::error::ApiResult;
use crate::items;
use crate::metrics::{compute, request};
use crate::state::AppState;

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
                "seconds" => charts::duration(v),
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

/// A chart of the report.
pub struct Figure {
    pub title: String,
    pub definition: String,
    pub html: String,
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
    state: &AppState,
    org: Uuid,
    name: &str,
    group: Option<&str>,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> ApiResult<MetricTable> {
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
pub async fn build(state: &AppState, org: Uuid, from: OffsetDateTime, to: OffsetDateTime) -> ApiResult<Report> {
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
            html: charts::draw(chart, &t),
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
    let start_day = charts::day(from);
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
    let cases = state.store.cases_by_id(org, &open.iter().map(|a| a.case_id).collect::<Vec<_>>()).await?;
    let numbers: HashMap<Uuid, i64> = cases.iter().map(|c| (c.id, c.number)).collect();
    let actions = open
        .iter()
        .map(|a| {
            let due = a.due_at.map(charts::day).unwrap_or_else(|| "—".to_owned());
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

/// The report's style sheet, inline so that the file stands alone (saved,
/// mailed, printed to PDF).
const STYLE: &str = include_str!("../assets/report.css");

/// What the report may load: its own style sheet, named by its hash, and
/// nothing else. The document carries it (so the saved file and the PDF are
/// held to it too) and the page that serves it sends it as a header.
pub static POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!("default-src 'none'; style-src 'sha256-{hash}'; base-uri 'none'; form-action 'none'")
});

#[derive(Template)]
#[template(path = "report.html")]
struct ReportHtml<'a> {
    r: &'a Report,
    style: &'static str,
    policy: &'a str,
    period: String,
    previous: String,
    generated: String,
    sla_definition: &'static str,
}

impl ReportHtml<'_> {
    fn cell(v: &Value, unit: &str) -> String {
        charts::cell(v, unit)
    }
}

fn span(from: OffsetDateTime, to: OffsetDateTime) -> String {
    format!("{} to {}", charts::day(from), charts::day(to - time::Duration::milliseconds(1)))
}

/// The report as a standalone HTML document, designed for print.
pub fn html(r: &Report) -> String {
    let page = ReportHtml {
        r,
        style: STYLE,
        policy: &POLICY,
        period: span(r.from, r.to),
        previous: span(r.previous.0, r.previous.1),
        generated: r.generated.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        sla_definition: metric("sla").map(|m| m.definition).unwrap_or_default(),
    };
    page.render().unwrap_or_else(|e| format!("<p>the report could not be rendered: {e}</p>"))
}

/// The report's tables as CSV: each section under a `# title` line.
pub fn csv(r: &Report) -> String {
    let org = export_cell(&r.org_name).replace(',', " ");
    let mut out = format!("# Firebreak report,{org},{}\r\n", span(r.from, r.to));
    out.push_str("# Headline\r\nfigure,this period,previous period,unit\r\n");
    // Figures are numbers and stay so (see `export_cell`); labels are text.
    let num = |v: Option<f64>| v.map(|v| format!("{}", (v * 1000.0).round() / 1000.0)).unwrap_or_default();
    for h in &r.headlines {
        let (label, unit) = (export_cell(h.label), export_cell(h.unit));
        out.push_str(&format!("{label},{},{},{unit}\r\n", num(h.now), num(h.before)));
    }
    for (title, t) in [("SLA attainment", &r.sla), ("SLA breaches", &r.breaches), ("Noisiest rules", &r.noisy)] {
        out.push_str(&format!("# {title}\r\n"));
        out.push_str(&t.to_csv());
    }
    out.push_str("# Coverage\r\nat start,at end\r\n");
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    out.push_str(&format!("{},{}\r\n", opt(r.coverage_start), opt(r.coverage_end)));
    out
}

/// The Chromium binary, if one is installed.
pub fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// Renders `html` to PDF at `out` with headless Chromium.
pub fn pdf(html: &str, out: &Path) -> Result<(), String> {
    let browser = chromium().ok_or_else(|| {
        "PDF needs Chromium (chromium or google-chrome on PATH), which is not installed here; \
         use --format html and print it from a browser"
            .to_owned()
    })?;
    let dir = tempfile_dir()?;
    let page = dir.join("report.html");
    std::fs::write(&page, html).map_err(|e| format!("writing {}: {e}", page.display()))?;
    let out_abs = std::path::absolute(out).map_err(|e| e.to_string())?;
    let status = std::process::Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", out_abs.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("running {}: {e}", browser.display()));
    let _ = std::fs::remove_dir_all(&dir);
    match status? {
        s if s.success() && out_abs.is_file() => Ok(()),
        s => Err(format!("{} could not print the report ({s})", browser.display())),
    }
}

fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("firebreak-report-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}
