//! Charts drawn on the server as SVG: bars over time, horizontal bars, a
//! weekday-by-hour heatmap, gauges, and duration tiles. No script and no
//! library: the page reads at a glance, prints, and works in the report.
//!
//! Every function takes a metric table and returns HTML (escaped here);
//! an empty table gives a sentence saying so instead of an empty drawing.

use std::fmt::Write;

use firebreak_types::MetricTable;
use serde_json::Value;

use firebreak_app::dashboards::Chart;

/// HTML escaping for text placed in SVG and HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub use firebreak_app::metrics::{day, duration};

/// A cell as text, by its column's unit.
pub fn cell(v: &Value, unit: &str) -> String {
    match (v, unit) {
        (Value::Null, _) => "—".to_owned(),
        (Value::Number(n), "seconds") => n.as_f64().map_or_else(String::new, duration),
        (Value::Number(n), "percent") => format!("{}%", n),
        (Value::Number(n), "ratio") => n.as_f64().map_or_else(String::new, |r| format!("{r:.1}")),
        (Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

fn num(v: Option<&Value>) -> f64 {
    v.and_then(Value::as_f64).unwrap_or(0.0)
}

fn text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn empty(message: &str) -> String {
    format!("<p class=\"empty-chart\">{}</p>", esc(message))
}

/// The panel's drawing.
pub fn draw(chart: Chart, t: &MetricTable) -> String {
    match chart {
        Chart::Series => series(t),
        Chart::Bars => bars(t),
        Chart::Heatmap => heatmap(t),
        Chart::Gauges => gauges(t),
        Chart::Stats => stats(t),
        Chart::Table => table(t),
    }
}

/// Vertical bars, one per row: x the first column, height the second.
pub fn series(t: &MetricTable) -> String {
    let points: Vec<(String, f64)> = t.rows.iter().map(|r| (text(r.first()), num(r.get(1)))).collect();
    if points.is_empty() || points.iter().all(|(_, v)| *v == 0.0) {
        return empty("Nothing in this period.");
    }
    let unit = t.columns.get(1).map_or("", |c| c.name.as_str());
    let max = points.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let (w, h, left, bottom, top) = (640.0, 180.0, 44.0, 22.0, 12.0);
    let step = (w - left) / points.len() as f64;
    let bar = (step * 0.8).max(1.0);
    let mut svg = format!(
        "<svg class=\"chart series\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{} by {}\">",
        esc(unit),
        esc(t.columns.first().map_or("", |c| c.name.as_str()))
    );
    // Gridlines at half and full of the maximum.
    for frac in [0.5, 1.0] {
        let y = top + (h - bottom - top) * (1.0 - frac);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{w}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 4.0,
            y + 4.0,
            (max * frac).round()
        );
    }
    for (i, (label, v)) in points.iter().enumerate() {
        let bh = if max > 0.0 { (h - bottom - top) * v / max } else { 0.0 };
        let x = left + i as f64 * step + (step - bar) / 2.0;
        let _ = write!(
            svg,
            "<rect class=\"datum\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\"><title>{}: {}</title></rect>",
            h - bottom - bh,
            esc(label),
            v
        );
    }
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{left}\" y=\"{}\">{}</text><text class=\"axis\" x=\"{w}\" y=\"{}\" \
             text-anchor=\"end\">{}</text>",
            h - 6.0,
            esc(first),
            h - 6.0,
            esc(last)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars: label the first column, length the last numeric column
/// (the total when there is one), up to 12 rows.
pub fn bars(t: &MetricTable) -> String {
    let value_col = t.column("total").or_else(|| t.column("alerts")).or_else(|| t.column("cases")).unwrap_or(1);
    let rows: Vec<(String, f64)> = t.rows.iter().take(12).map(|r| (text(r.first()), num(r.get(value_col)))).collect();
    if rows.is_empty() || rows.iter().all(|(_, v)| *v == 0.0) {
        return empty("Nothing in this period.");
    }
    let max = rows.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let (w, row_h, label_w) = (640.0, 24.0, 190.0);
    let h = row_h * rows.len() as f64;
    let mut svg = format!("<svg class=\"chart bars\" viewBox=\"0 0 {w} {h}\" role=\"img\">");
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let len = if max > 0.0 { (w - label_w - 60.0) * v / max } else { 0.0 };
        let short: String = label.chars().take(28).collect();
        let _ = write!(
            svg,
            "<text class=\"label\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\
             <rect class=\"datum\" x=\"{label_w}\" y=\"{:.1}\" width=\"{len:.1}\" height=\"{:.1}\"><title>{}: {}</title></rect>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label_w - 8.0,
            y + row_h * 0.68,
            esc(&short),
            y + 3.0,
            row_h - 6.0,
            esc(label),
            v,
            label_w + len + 6.0,
            y + row_h * 0.68,
            v
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Weekday rows by hour columns, shaded by count.
pub fn heatmap(t: &MetricTable) -> String {
    let max = t.rows.iter().map(|r| num(r.get(2))).fold(0.0, f64::max);
    if max == 0.0 {
        return empty("No alerts in this period.");
    }
    let (cell_w, cell_h, left, top) = (24.0, 20.0, 40.0, 16.0);
    let w = left + 24.0 * cell_w;
    let h = top + 7.0 * cell_h;
    let mut svg = format!("<svg class=\"chart heatmap\" viewBox=\"0 0 {w} {h}\" role=\"img\">");
    for hour in (0..24).step_by(3) {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{:.1}\" y=\"11\">{hour:02}</text>",
            left + hour as f64 * cell_w + 2.0
        );
    }
    let mut day_seen = String::new();
    for r in &t.rows {
        let day = text(r.first());
        let hour = num(r.get(1));
        let n = num(r.get(2));
        let row = firebreak_domain::metrics::WEEKDAYS.iter().position(|d| *d == day).unwrap_or(0) as f64;
        if day != day_seen {
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"0\" y=\"{:.1}\">{}</text>",
                top + row * cell_h + cell_h * 0.7,
                esc(&day)
            );
            day_seen = day.clone();
        }
        let shade = if n == 0.0 { 0.0 } else { 0.15 + 0.85 * n / max };
        let _ = write!(
            svg,
            "<rect class=\"heat\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill-opacity=\"{shade:.2}\">\
             <title>{} {hour:02}:00 UTC: {n}</title></rect>",
            left + hour * cell_w,
            top + row * cell_h,
            cell_w - 2.0,
            cell_h - 2.0,
            esc(&day)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One half-circle gauge per row with a percentage (SLA attainment per
/// clock and priority; update compliance).
pub fn gauges(t: &MetricTable) -> String {
    let pct_col = t.columns.iter().position(|c| c.unit == "percent");
    let Some(pct_col) = pct_col else { return table(t) };
    let rows: Vec<&Vec<Value>> = t.rows.iter().filter(|r| !r.get(pct_col).is_none_or(Value::is_null)).collect();
    if rows.is_empty() {
        return empty("Nothing fell due in this period.");
    }
    let mut out = String::from("<div class=\"gauges\">");
    for r in rows {
        let pct = num(r.get(pct_col)).clamp(0.0, 100.0);
        // The caption: the text columns (clock and priority), or the counts.
        let caption: Vec<String> =
            t.columns.iter().zip(r.iter()).filter(|(c, _)| c.unit == "text").map(|(_, v)| text(Some(v))).collect();
        let caption = if caption.is_empty() {
            t.columns
                .iter()
                .zip(r.iter())
                .filter(|(c, _)| c.unit == "count")
                .map(|(c, v)| format!("{} {}", text(Some(v)), c.name.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            caption.join(" ")
        };
        // A half circle of radius 40 centred at (50, 50); the value arc ends at angle pct.
        let angle = std::f64::consts::PI * (1.0 - pct / 100.0);
        let (x, y) = (50.0 + 40.0 * angle.cos(), 50.0 - 40.0 * angle.sin());
        let class = if pct >= 95.0 {
            "good"
        } else if pct >= 80.0 {
            "warn"
        } else {
            "bad"
        };
        let _ = write!(
            out,
            "<figure class=\"gauge\"><svg class=\"chart gauge-svg\" viewBox=\"0 0 100 60\" role=\"img\">\
             <path class=\"track\" d=\"M10 50 A40 40 0 0 1 90 50\"/>\
             <path class=\"arc {class}\" d=\"M10 50 A40 40 0 0 1 {x:.2} {y:.2}\"/>\
             <text x=\"50\" y=\"48\" text-anchor=\"middle\" class=\"gauge-value\">{}%</text></svg>\
             <figcaption>{}</figcaption></figure>",
            (pct * 10.0).round() / 10.0,
            esc(&caption)
        );
    }
    out.push_str("</div>");
    out
}

/// Count, mean, median and p90 as tiles.
pub fn stats(t: &MetricTable) -> String {
    let Some(row) = t.rows.first() else { return empty("Nothing in this period.") };
    if num(t.value(0, "count")) == 0.0 {
        return empty("Nothing ended in this period.");
    }
    let mut out = String::from("<div class=\"tiles\">");
    for (c, v) in t.columns.iter().zip(row.iter()) {
        let _ = write!(
            out,
            "<div class=\"tile\" data-stat=\"{0}\"><span class=\"tile-label\">{0}</span><strong>{1}</strong></div>",
            esc(&c.name),
            esc(&cell(v, &c.unit))
        );
    }
    out.push_str("</div>");
    out
}

/// The rows as an HTML table.
pub fn table(t: &MetricTable) -> String {
    if t.rows.is_empty() {
        return empty("Nothing in this period.");
    }
    let mut out = String::from("<table class=\"metric-table\"><thead><tr>");
    for c in &t.columns {
        let _ = write!(out, "<th>{}</th>", esc(&c.name.replace('_', " ")));
    }
    out.push_str("</tr></thead><tbody>");
    for r in t.rows.iter().take(50) {
        out.push_str("<tr>");
        for (c, v) in t.columns.iter().zip(r.iter()) {
            let _ = write!(out, "<td>{}</td>", esc(&cell(v, &c.unit)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(duration(42.4), "42s");
        assert_eq!(duration(425.0), "7m 05s");
        assert_eq!(duration(12_000.0), "3h 20m");
        assert_eq!(duration(187_200.0), "2d 4h");
    }
}
