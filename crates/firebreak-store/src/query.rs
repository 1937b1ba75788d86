//! Alerts and cases found by a filter of any shape (and, or, not,
//! comparisons, sets, text patterns, tags), sorted and paged in the
//! database: the filter is a tree of [`Cond`], compiled to one `WHERE`
//! clause whose values are all bind parameters. The organisation is always
//! the first condition, so every plan starts from an index of one
//! organisation's rows (for cases, its own and those shared with it).

use async_trait::async_trait;
use firebreak_types::query::{CmpOp, Cond, EntityQuery, Field, MAX_QUERY_ROWS, QueryValue, TextMatch};
use firebreak_types::{Alert, Case};
use sqlx::Row;
use uuid::Uuid;

use crate::alerts::{ALERT_READ_COLS, alert_from};
use crate::cases::{CASE_COLS, case_from};
use crate::columns::opt_uuid_col;
use crate::sql::{Bind, Filter};
use crate::{Result, SqlStore, StoreError};

/// Which rows a [`Field`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Alerts,
    Cases,
}

/// The column of `table`, if it has this field.
fn column(field: Field, table: Table) -> Option<&'static str> {
    use Field::*;
    Some(match (field, table) {
        (Id, _) => "id",
        (Title, _) => "title",
        (Description, _) => "description",
        (Severity, _) => "severity_rank",
        (State, _) => "state",
        (Source, _) => "source",
        (Assignee, _) => "assignee_id",
        (Tlp, _) => "tlp",
        (Pap, _) => "pap",
        (ClosedAt, _) => "closed_at",
        (Tags, _) => "tags",
        (SourceRef, Table::Alerts) => "source_ref",
        (Kind, Table::Alerts) => "kind",
        (Rule, Table::Alerts) => "rule",
        (EventTime, Table::Alerts) => "event_time",
        (CreatedAt, Table::Alerts) => "first_seen",
        (UpdatedAt, Table::Alerts) => "last_seen",
        (CaseId, Table::Alerts) => "case_id",
        (Disposition, Table::Alerts) => "disposition",
        (Occurrences, Table::Alerts) => "occurrences",
        (CreatedAt, Table::Cases) => "created_at",
        (UpdatedAt, Table::Cases) => "updated_at",
        (Number, Table::Cases) => "number",
        (Resolution, Table::Cases) => "resolution",
        _ => return None,
    })
}

/// Whether the column holds integers (ranks, times in ms, numbers).
fn is_int(field: Field) -> bool {
    matches!(
        field,
        Field::Severity
            | Field::EventTime
            | Field::CreatedAt
            | Field::UpdatedAt
            | Field::ClosedAt
            | Field::Number
            | Field::Occurrences
    )
}

fn name(field: Field) -> String {
    format!("{field:?}").to_lowercase()
}

#[async_trait]
pub trait QueryStore: Send + Sync {
    /// Alerts of `org` matching the query, in its order, one page.
    async fn query_alerts(&self, org: Uuid, q: &EntityQuery) -> Result<Vec<Alert>>;
    async fn count_alerts(&self, org: Uuid, filter: &Cond) -> Result<u64>;
    /// Cases of `org`, and those shared with it, matching the query, in its
    /// order, one page.
    async fn query_cases(&self, org: Uuid, q: &EntityQuery) -> Result<Vec<Case>>;
    async fn count_cases(&self, org: Uuid, filter: &Cond) -> Result<u64>;
    /// The alerts escalated or merged into each of `cases`, counted by case,
    /// type and source in one grouped query (served by `alerts_by_case`).
    async fn alert_kinds_by_case(&self, org: Uuid, cases: &[Uuid]) -> Result<Vec<CaseAlertKinds>>;
}

/// How many alerts of one type and source joined a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAlertKinds {
    pub case_id: Uuid,
    pub kind: String,
    pub source: String,
    pub count: u64,
}

#[async_trait]
impl QueryStore for SqlStore {
    async fn query_alerts(&self, org: Uuid, q: &EntityQuery) -> Result<Vec<Alert>> {
        let (sql, f) = select(Table::Alerts, org, q, ALERT_READ_COLS, "alerts")?;
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(alert_from).collect()
    }

    async fn count_alerts(&self, org: Uuid, filter: &Cond) -> Result<u64> {
        self.count(Table::Alerts, "alerts", org, filter).await
    }

    async fn query_cases(&self, org: Uuid, q: &EntityQuery) -> Result<Vec<Case>> {
        let (sql, f) = select(Table::Cases, org, q, CASE_COLS, "cases")?;
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(case_from).collect()
    }

    async fn count_cases(&self, org: Uuid, filter: &Cond) -> Result<u64> {
        self.count(Table::Cases, "cases", org, filter).await
    }

    async fn alert_kinds_by_case(&self, org: Uuid, cases: &[Uuid]) -> Result<Vec<CaseAlertKinds>> {
        let mut out = Vec::new();
        for chunk in cases.chunks(500) {
            let mut f = Filter::new();
            f.eq_text("org_id", org.to_string());
            f.any_text("case_id", chunk);
            let sql = format!(
                "SELECT case_id, kind, source, COUNT(*) AS n FROM alerts{} GROUP BY case_id, kind, source",
                f.where_sql()
            );
            for row in f.query(&sql).fetch_all(&self.reader).await? {
                let Some(case_id) = opt_uuid_col(&row, "case_id")? else { continue };
                let n: i64 = row.try_get("n")?;
                out.push(CaseAlertKinds {
                    case_id,
                    kind: row.try_get("kind")?,
                    source: row.try_get("source")?,
                    count: u64::try_from(n).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }
}

impl SqlStore {
    async fn count(&self, table: Table, from: &str, org: Uuid, filter: &Cond) -> Result<u64> {
        let f = scoped(table, org, filter)?;
        let sql = format!("SELECT COUNT(*) FROM {from}{}", f.where_sql());
        let n: i64 = f.query(&sql).fetch_one(&self.reader).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn scoped(table: Table, org: Uuid, filter: &Cond) -> Result<Filter> {
    let mut f = Filter::new();
    match table {
        Table::Alerts => f.eq_text("org_id", org.to_string()),
        // An organisation's cases are its own and those shared with it
        // (each share by `case_shares_by_org`); an alert is never shared.
        Table::Cases => {
            let own = f.next(Bind::Text(org.to_string()));
            let shared = f.next(Bind::Text(org.to_string()));
            f.clause(&format!("(org_id = {own} OR id IN (SELECT case_id FROM case_shares WHERE org_id = {shared}))"));
        }
    }
    let mut sql = String::new();
    compile(table, filter, &mut f, &mut sql)?;
    if sql != "1 = 1" {
        f.clause(&sql);
    }
    Ok(f)
}

fn select(table: Table, org: Uuid, q: &EntityQuery, cols: &str, from: &str) -> Result<(String, Filter)> {
    let f = scoped(table, org, &q.filter)?;
    let limit = q.limit.min(MAX_QUERY_ROWS);
    if q.offset > i64::MAX as u64 {
        return Err(StoreError::BadQuery { param: "offset".into(), expected: "a smaller number".into() });
    }
    let mut order = Vec::new();
    for (field, desc) in &q.sort {
        let col = match field {
            // Titles sort as people read them, by their lower-case key.
            Field::Title => "title_key",
            Field::Tags => return Err(bad_field(*field, "a field that can be sorted by")),
            f => column(*f, table).ok_or_else(|| bad_field(*f, "a field of these entities"))?,
        };
        order.push(format!("{col} {}", if *desc { "DESC" } else { "ASC" }));
    }
    let last_desc = q.sort.last().is_none_or(|(_, d)| *d);
    if q.sort.is_empty() {
        order.push(match table {
            Table::Alerts => "first_seen DESC".to_owned(),
            Table::Cases => "created_at DESC".to_owned(),
        });
    }
    order.push(format!("id {}", if last_desc { "DESC" } else { "ASC" }));
    let sql = format!(
        "SELECT {cols} FROM {from}{} ORDER BY {} LIMIT {limit} OFFSET {}",
        f.where_sql(),
        order.join(", "),
        q.offset
    );
    Ok((sql, f))
}

fn bad_field(field: Field, expected: &str) -> StoreError {
    StoreError::BadQuery { param: name(field), expected: expected.into() }
}

/// Refuses a value of the wrong kind for `field` (PostgreSQL would not
/// compare them).
fn typed(field: Field, v: &QueryValue) -> Result<()> {
    match (v, is_int(field)) {
        (QueryValue::Int(_), false) => Err(bad_field(field, "a text value")),
        (QueryValue::Text(_), true) => Err(bad_field(field, "a number")),
        _ => Ok(()),
    }
}

fn bind(f: &mut Filter, v: &QueryValue) -> String {
    match v {
        QueryValue::Text(s) => f.next(Bind::Text(s.clone())),
        QueryValue::Int(n) => f.next(Bind::Int(*n)),
        QueryValue::Null => "NULL".into(),
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Writes `cond` as SQL into `out`, its values as parameters of `f`.
fn compile(table: Table, cond: &Cond, f: &mut Filter, out: &mut String) -> Result<()> {
    match cond {
        Cond::All(true) => out.push_str("1 = 1"),
        Cond::All(false) => out.push_str("1 = 0"),
        Cond::And(cs) | Cond::Or(cs) if cs.is_empty() => {
            out.push_str(if matches!(cond, Cond::And(_)) { "1 = 1" } else { "1 = 0" })
        }
        Cond::And(cs) | Cond::Or(cs) => {
            let join = if matches!(cond, Cond::And(_)) { " AND " } else { " OR " };
            out.push('(');
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    out.push_str(join);
                }
                compile(table, c, f, out)?;
            }
            out.push(')');
        }
        Cond::Not(c) => {
            // NOT of a comparison with an unset column is unknown in SQL;
            // TheHive's "not" takes such rows in, so unknown counts as false
            // inside and the negation as true.
            out.push_str("NOT COALESCE(");
            compile(table, c, f, out)?;
            out.push_str(", 1 = 0)");
        }
        Cond::Cmp(Field::Tags, op, v) => {
            let QueryValue::Text(tag) = v else {
                return Err(bad_field(Field::Tags, "a tag (text)"));
            };
            let has = tag_sql(table, f, tag);
            match op {
                CmpOp::Eq => out.push_str(&has),
                CmpOp::Ne => out.push_str(&format!("NOT {has}")),
                _ => return Err(bad_field(Field::Tags, "equal or not equal to a tag")),
            }
        }
        Cond::Cmp(field, op, v) => {
            let col = column(*field, table).ok_or_else(|| bad_field(*field, "a field of these entities"))?;
            typed(*field, v)?;
            match (op, v) {
                (CmpOp::Eq, QueryValue::Null) => out.push_str(&format!("{col} IS NULL")),
                (CmpOp::Ne, QueryValue::Null) => out.push_str(&format!("{col} IS NOT NULL")),
                (_, QueryValue::Null) => return Err(bad_field(*field, "a value to compare with")),
                (op, v) => {
                    let sym = match op {
                        CmpOp::Eq => "=",
                        CmpOp::Ne => "<>",
                        CmpOp::Lt => "<",
                        CmpOp::Lte => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::Gte => ">=",
                    };
                    let p = bind(f, v);
                    if *op == CmpOp::Ne {
                        // Not equal includes the rows where it is not set.
                        out.push_str(&format!("({col} IS NULL OR {col} <> {p})"));
                    } else {
                        out.push_str(&format!("{col} {sym} {p}"));
                    }
                }
            }
        }
        Cond::In(Field::Tags, values) => {
            let ors: Vec<Cond> = values.iter().map(|v| Cond::Cmp(Field::Tags, CmpOp::Eq, v.clone())).collect();
            compile(table, &Cond::Or(ors), f, out)?;
        }
        Cond::In(field, values) => {
            let col = column(*field, table).ok_or_else(|| bad_field(*field, "a field of these entities"))?;
            for v in values {
                typed(*field, v)?;
            }
            let ps: Vec<String> = values.iter().filter(|v| **v != QueryValue::Null).map(|v| bind(f, v)).collect();
            let null = values.contains(&QueryValue::Null);
            match (ps.is_empty(), null) {
                (true, false) => out.push_str("1 = 0"),
                (true, true) => out.push_str(&format!("{col} IS NULL")),
                (false, false) => out.push_str(&format!("{col} IN ({})", ps.join(", "))),
                (false, true) => out.push_str(&format!("({col} IN ({}) OR {col} IS NULL)", ps.join(", "))),
            }
        }
        Cond::Text(Field::Tags, how, text) => {
            // A pattern over tags: any tag matching it, read in the JSON
            // text of an alert's tags (a tag's own quotes bound it).
            let quoted = serde_json::Value::String(text.to_lowercase()).to_string();
            let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
            let t = like_escape(inner);
            let pattern = match how {
                TextMatch::Contains => format!("%{t}%"),
                TextMatch::StartsWith => format!("%\"{t}%"),
                TextMatch::EndsWith => format!("%{t}\"%"),
                TextMatch::Wildcard => format!("%\"{}\"%", t.replace('*', "%")),
            };
            let p = f.next(Bind::Text(pattern));
            out.push_str(&match table {
                Table::Alerts => format!("LOWER(alerts.tags) LIKE {p} ESCAPE '\\'"),
                Table::Cases => format!(
                    "id IN (SELECT case_id FROM case_tags WHERE org_id = cases.org_id AND ('\"' || tag || '\"') LIKE {p} ESCAPE '\\')"
                ),
            });
        }
        Cond::Text(field, how, text) => {
            if is_int(*field) {
                return Err(bad_field(*field, "a text field for a text pattern"));
            }
            let col = match field {
                Field::Title => "title_key".to_owned(),
                f => format!("LOWER({})", column(*f, table).ok_or_else(|| bad_field(*f, "a field of these entities"))?),
            };
            let p = f.next(Bind::Text(pattern(*how, text)));
            out.push_str(&format!("{col} LIKE {p} ESCAPE '\\'"));
        }
    }
    Ok(())
}

/// A LIKE pattern, lower-case, its own `%` and `_` escaped.
fn pattern(how: TextMatch, text: &str) -> String {
    let t = like_escape(&text.to_lowercase());
    match how {
        TextMatch::Contains => format!("%{t}%"),
        TextMatch::StartsWith => format!("{t}%"),
        TextMatch::EndsWith => format!("%{t}"),
        TextMatch::Wildcard => t.replace('*', "%"),
    }
}

/// "Carries this tag": an alert's tags are a JSON array in its row, found
/// by the tag's JSON text within it (the other conditions narrow the rows
/// it looks at); a case's are rows of `case_tags`, lower-case, by index.
fn tag_sql(table: Table, f: &mut Filter, tag: &str) -> String {
    match table {
        Table::Alerts => {
            let quoted = serde_json::Value::String(tag.to_lowercase()).to_string();
            let p = f.next(Bind::Text(format!("%{}%", like_escape(&quoted))));
            format!("LOWER(alerts.tags) LIKE {p} ESCAPE '\\'")
        }
        Table::Cases => {
            let p = f.next(Bind::Text(tag.to_lowercase()));
            format!("id IN (SELECT case_id FROM case_tags WHERE org_id = cases.org_id AND tag = {p})")
        }
    }
}
