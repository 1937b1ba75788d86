//! The management report rendered: HTML designed for print (its figures
//! drawn as SVG), CSV, or PDF through headless Chromium. The content comes
//! from [`firebreak_app::report`].

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_domain::metrics::metric;
use firebreak_types::csv::export_cell;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use firebreak_app::report::{Figure, Headline, Notable, Report, build};

use crate::charts;

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

    fn draw(&self, f: &Figure) -> String {
        charts::draw(f.chart, &f.table)
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
    let dir = std::env::temp_dir().join(format!("firebreak-report-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}
