//! Metrics: each one a table (the numbers behind a chart), over a period,
//! optionally broken down by a dimension. Their definitions live in the
//! domain crate (`firebreak_domain::metrics`) and are served by
//! `GET /api/v1/metrics`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// What a metric measures and how it can be cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MetricInfo {
    /// The name in `/api/v1/metrics/{name}`.
    pub name: String,
    pub title: String,
    /// The definition, in one or two sentences: what is counted, from when
    /// to when, and which period a value belongs to.
    pub definition: String,
    /// The values `group_by` accepts (empty: the metric has one shape).
    pub group_by: Vec<String>,
}

/// A column of a metric table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MetricColumn {
    pub name: String,
    /// `count`, `seconds`, `percent`, `ratio`, `text` or `time`.
    pub unit: String,
}

/// A metric over a period: the table behind its chart. Values are numbers,
/// text or null (a mean of nothing is null, never NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MetricTable {
    pub metric: String,
    pub title: String,
    pub definition: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub to: OffsetDateTime,
    pub group_by: Option<String>,
    pub columns: Vec<MetricColumn>,
    /// A row per period or breakdown value; a cell per column.
    #[schema(schema_with = metric_rows)]
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// The rows' schema: cells are numbers, text, flags or null, never objects.
fn metric_rows() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let cell = ObjectBuilder::new().schema_type(SchemaType::from_iter([
        Type::Number,
        Type::String,
        Type::Boolean,
        Type::Null,
    ]));
    ArrayBuilder::new().items(ArrayBuilder::new().items(cell)).build()
}

impl MetricTable {
    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The value in `row` under column `name`.
    pub fn value(&self, row: usize, name: &str) -> Option<&serde_json::Value> {
        self.column(name).and_then(|c| self.rows.get(row).and_then(|r| r.get(c)))
    }

    /// The row whose first column is `key`.
    pub fn row(&self, key: &str) -> Option<&[serde_json::Value]> {
        self.rows.iter().find(|r| r.first().and_then(|v| v.as_str()) == Some(key)).map(Vec::as_slice)
    }

    /// The table as CSV (RFC 4180): a header of column names, then the rows.
    pub fn to_csv(&self) -> String {
        fn cell(v: &serde_json::Value) -> String {
            // Text is neutralised; numbers stay numbers (see `export_cell`).
            let s = match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => crate::csv::export_cell(s).into_owned(),
                other => other.to_string(),
            };
            if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
        }
        let mut out = String::new();
        let header: Vec<String> =
            self.columns.iter().map(|c| cell(&serde_json::Value::String(c.name.clone()))).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// The period, breakdown and filters of a metric request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricQuery {
    /// Start of the period (inclusive), RFC 3339; default 30 days before `to`.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// End of the period (exclusive), RFC 3339; default now.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// A breakdown the metric accepts (see `GET /api/v1/metrics`).
    pub group_by: Option<String>,
    pub severity: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    /// The alert source (for cases: the source of the alert they were raised from, or `manual`).
    pub source: Option<String>,
    /// A team's id.
    pub team: Option<String>,
    /// A detection rule (the alert's `rule`).
    pub rule: Option<String>,
    /// `json` (default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    pub format: Option<String>,
}
