//! Lists: one filter/sort/page builder for every list.

use firebreak_types::{ListParams, Page};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::SqlStore;
use crate::{Result, StoreError};

#[derive(Clone)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// A `WHERE` clause under construction, with `$n` placeholders numbered as
/// conditions are added.
#[derive(Clone)]
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    pub(crate) fn new() -> Self {
        Self { clauses: Vec::new(), binds: Vec::new() }
    }

    pub(crate) fn next(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub(crate) fn eq_text(&mut self, col: &str, v: impl Into<String>) {
        let p = self.next(Bind::Text(v.into()));
        self.clauses.push(format!("{col} = {p}"));
    }

    /// A condition with one text parameter, written as `{}` in `template`.
    pub(crate) fn cond_text(&mut self, template: &str, v: impl Into<String>) {
        let p = self.next(Bind::Text(v.into()));
        self.clauses.push(template.replace("{}", &p));
    }

    /// A condition without parameters.
    pub(crate) fn clause(&mut self, sql: &str) {
        self.clauses.push(sql.to_owned());
    }

    /// Keyset paging: rows after `(v, id)` in the order of `(col, tiebreak)`,
    /// as one row-value comparison, which an index on those columns serves
    /// on SQLite and PostgreSQL alike.
    pub(crate) fn after(&mut self, col: &str, tiebreak: &str, desc: bool, v: i64, id: String) {
        let pv = self.next(Bind::Int(v));
        let pid = self.next(Bind::Text(id));
        let op = if desc { "<" } else { ">" };
        self.clauses.push(format!("({col}, {tiebreak}) {op} ({pv}, {pid})"));
    }

    pub(crate) fn cmp_int(&mut self, col: &str, op: &str, v: i64) {
        let p = self.next(Bind::Int(v));
        self.clauses.push(format!("{col} {op} {p}"));
    }

    pub(crate) fn any_of(&mut self, col: &str, values: &[String]) {
        let ps: Vec<String> = values.iter().map(|v| self.next(Bind::Text(v.clone()))).collect();
        if ps.is_empty() {
            self.clauses.push("1 = 0".into());
        } else {
            self.clauses.push(format!("{col} IN ({})", ps.join(", ")));
        }
    }

    pub(crate) fn any_text(&mut self, col: &str, values: &[Uuid]) {
        if values.is_empty() {
            self.clauses.push("1 = 0".into());
            return;
        }
        let ps: Vec<String> = values.iter().map(|v| self.next(Bind::Text(v.to_string()))).collect();
        self.clauses.push(format!("{col} IN ({})", ps.join(", ")));
    }

    /// Case-insensitive substring search over `cols`.
    pub(crate) fn search(&mut self, cols: &[&str], q: Option<&str>) {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
            return;
        };
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let p = self.next(Bind::Text(format!("%{escaped}%")));
        let ors: Vec<String> = cols.iter().map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'")).collect();
        self.clauses.push(format!("({})", ors.join(" OR ")));
    }

    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    pub(crate) fn query<'a>(&'a self, sql: &'a str) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>> {
        let mut q = sqlx::query(sql);
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// Validated paging and sorting. `sortable` maps API field names to columns;
/// the first is the default. A unique tiebreaker keeps pages stable.
pub(crate) struct Paging {
    pub(crate) limit: u32,
    pub(crate) offset: u64,
    order_by: String,
    pub(crate) total: bool,
    /// The sort column and its direction, for keyset paging.
    pub(crate) col: String,
    pub(crate) desc: bool,
}

const MAX_LIMIT: u32 = 1000;

pub(crate) fn paging(
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<&str>,
    total: Option<bool>,
    sortable: &[(&str, &str)],
    tiebreak: &str,
) -> Result<Paging> {
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(StoreError::BadQuery {
            param: "limit".into(),
            expected: format!("1 to {MAX_LIMIT} (got {limit})"),
        });
    }
    let offset = offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(StoreError::BadQuery { param: "offset".into(), expected: "a smaller number".into() });
    }
    let (desc, field) = match sort {
        Some(s) => match s.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, s),
        },
        None => (false, sortable.first().map(|(f, _)| *f).unwrap_or_default()),
    };
    let Some((_, col)) = sortable.iter().find(|(f, _)| *f == field) else {
        let names: Vec<&str> = sortable.iter().map(|(f, _)| *f).collect();
        return Err(StoreError::BadQuery {
            param: "sort".into(),
            expected: format!("one of {}, optionally prefixed with '-' (got {field:?})", names.join(", ")),
        });
    };
    let dir = if desc { "DESC" } else { "ASC" };
    Ok(Paging {
        limit,
        offset,
        order_by: format!("{col} {dir}, {tiebreak} {dir}"),
        total: total.unwrap_or(false),
        col: (*col).to_owned(),
        desc,
    })
}

impl SqlStore {
    pub(crate) async fn page<T>(
        &self,
        select: &str,
        from: &str,
        filter: &Filter,
        paging: &Paging,
        map: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let sql = format!(
            "SELECT {select} FROM {from}{} ORDER BY {} LIMIT {} OFFSET {}",
            filter.where_sql(),
            paging.order_by,
            paging.limit,
            paging.offset
        );
        let rows = filter.query(&sql).fetch_all(&self.reader).await?;
        let items = rows.iter().map(map).collect::<Result<Vec<T>>>()?;
        let total = if paging.total {
            let sql = format!("SELECT COUNT(*) FROM {from}{}", filter.where_sql());
            let n: i64 = filter.query(&sql).fetch_one(&self.reader).await?.try_get(0)?;
            Some(u64::try_from(n).unwrap_or(0))
        } else {
            None
        };
        Ok(Page { items, limit: paging.limit, offset: paging.offset, total, next: None })
    }

    /// A page read after a keyset condition (in `filter`), its total counted
    /// without it (`count`).
    pub(crate) async fn page_after<T>(
        &self,
        select: &str,
        from: &str,
        filter: &Filter,
        count: &Filter,
        paging: &Paging,
        map: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let total = paging.total;
        let unpaged = Paging { total: false, order_by: paging.order_by.clone(), col: paging.col.clone(), ..*paging };
        let mut page = self.page(select, from, filter, &unpaged, map).await?;
        if total {
            let sql = format!("SELECT COUNT(*) FROM {from}{}", count.where_sql());
            let n: i64 = count.query(&sql).fetch_one(&self.reader).await?.try_get(0)?;
            page.total = Some(u64::try_from(n).unwrap_or(0));
        }
        Ok(page)
    }
}

pub(crate) fn list_paging(p: &ListParams, sortable: &[(&str, &str)], tiebreak: &str) -> Result<Paging> {
    paging(p.limit, p.offset, p.sort.as_deref(), p.total, sortable, tiebreak)
}
