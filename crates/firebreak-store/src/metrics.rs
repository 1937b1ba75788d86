//! The queries behind the metrics (defined in `firebreak_domain::metrics`).
//!
//! Each answers from an index or from the hourly alert counts kept on write,
//! never from a scan of all alerts: durations use the partial indexes on
//! the moment an interval ended, and the database sorts each group's values
//! itself (window functions), so only the ranks that make the median and the
//! 90th percentile come back.

use async_trait::async_trait;
use firebreak_domain::metrics::{AGE_BUCKETS, Interval, Point, Stats, Subject, median_ranks, p90_rank};
use sqlx::Row;
use uuid::Uuid;

use crate::sql::{Backend, Filter};
use crate::{Result, SqlStore};

/// A duration metric's request: its interval, period (ms, `[from, to)`),
/// breakdown and filters (dimension name, value).
#[derive(Debug, Clone)]
pub struct DurationQuery {
    pub interval: Interval,
    pub from: i64,
    pub to: i64,
    pub group: Option<String>,
    pub filters: Vec<(String, String)>,
}

/// One group's statistics (`group` is `None` without a breakdown).
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub group: Option<String>,
    pub stats: Stats,
}

/// Counts by a group value.
pub type Counts = Vec<(String, i64)>;

#[async_trait]
pub trait MetricStore: Send + Sync {
    /// Count, mean, median and p90 of an interval, per group, largest group first.
    async fn duration_stats(&self, org: Uuid, q: &DurationQuery) -> Result<Vec<StatRow>>;
    /// Alerts received in `[from, to)` by `group` (day: days since the epoch
    /// as text; source, rule, severity), with filters on those dimensions.
    async fn alert_volume(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        group: &str,
        filters: &[(String, String)],
    ) -> Result<Counts>;
    /// Alerts received in `[from, to)` by (weekday, Monday = 0; hour), UTC.
    async fn alert_heatmap(&self, org: Uuid, from: i64, to: i64) -> Result<Vec<(i64, i64, i64)>>;
    /// Alerts triaged in `[from, to)`: (group value or "", outcome, count);
    /// outcome is the disposition or `escalated`; `by` is `rule` or `source`.
    async fn alert_outcomes(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        by: Option<&str>,
        filters: &[(String, String)],
    ) -> Result<Vec<(String, String, i64)>>;
    /// Cases declared in `[from, to)` by `group` (day, severity, priority, category, source).
    async fn case_volume(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        group: &str,
        filters: &[(String, String)],
    ) -> Result<Counts>;
    /// Open cases by phase, severity or age at `now`.
    async fn open_cases(&self, org: Uuid, now: i64, group: &str) -> Result<Counts>;
    /// The SLA clocks of cases that never waited and stopped in `[from, to)`,
    /// counted in the database: (clock: 0 acknowledge, 1 contain, 2 resolve;
    /// priority; met; breached), against `targets` (ms per priority and clock).
    async fn sla_unpaused(&self, org: Uuid, from: i64, to: i64, targets: &SlaTargets) -> Result<Vec<SlaCount>>;
    /// Those of them that breached, latest first, up to `limit`.
    async fn sla_unpaused_breaches(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        targets: &SlaTargets,
        limit: u32,
    ) -> Result<Vec<SlaBreach>>;
    /// The cases whose clocks need reading one by one: open cases (running
    /// clocks), and closed cases that waited with a clock stopped in `[from, to)`.
    async fn sla_cases(&self, org: Uuid, from: i64, to: i64) -> Result<Vec<SlaCase>>;
    /// Cases closed in `[from, to)`, most urgent first, up to `limit`.
    async fn closed_cases(&self, org: Uuid, from: i64, to: i64, limit: u32) -> Result<Vec<firebreak_types::Case>>;
    /// Items of `kind` whose time (`at`) is in `[from, to)`, counted by key and status.
    async fn item_counts(&self, org: Uuid, kind: &str, from: i64, to: i64) -> Result<Vec<(String, String, i64)>>;
    /// Items of `kind` falling due in `[from, to)`.
    async fn items_due_between(&self, org: Uuid, kind: &str, from: i64, to: i64) -> Result<Vec<crate::Item>>;
}

/// SLA targets in ms: per priority (`P1`…`P4`), acknowledge, contain, resolve.
pub type SlaTargets = Vec<(String, [i64; 3])>;

/// (clock, priority, met, breached).
pub type SlaCount = (i64, String, i64, i64);

/// A breached clock counted in the database.
#[derive(Debug, Clone)]
pub struct SlaBreach {
    pub number: i64,
    pub title: String,
    pub clock: i64,
    pub priority: String,
    /// When the clock stopped (ms).
    pub stop: i64,
    pub used: i64,
}

/// What reading a case's SLA clocks needs.
#[derive(Debug, Clone)]
pub struct SlaCase {
    pub id: Uuid,
    pub number: i64,
    pub title: String,
    pub priority: String,
    pub created_at: i64,
    pub acknowledged_at: Option<i64>,
    pub contained_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Empty when the case never waited.
    pub pauses: Vec<firebreak_types::PauseSpan>,
}

/// Each clock's stop, and a condition on it that the partial indexes serve;
/// `{a}` and `{b}` are the period's bounds.
const CLOCK_STOPS: [(&str, &str); 3] = [
    (
        "COALESCE(acknowledged_at, closed_at)",
        "((acknowledged_at >= {a} AND acknowledged_at < {b}) OR (acknowledged_at IS NULL AND closed_at >= {a} AND closed_at < {b}))",
    ),
    (
        "COALESCE(contained_at, closed_at)",
        "((contained_at >= {a} AND contained_at < {b}) OR (contained_at IS NULL AND closed_at >= {a} AND closed_at < {b}))",
    ),
    ("closed_at", "(closed_at >= {a} AND closed_at < {b})"),
];

/// One row per stopped clock of the unpaused cases of the period: clock,
/// priority, case, stop, used (ms) and whether it breached. `$1` is the
/// organisation, `$2`/`$3` the period, `$4`… the targets.
fn unpaused_clocks(targets: &SlaTargets) -> (String, Vec<i64>) {
    let mut binds = Vec::new();
    let mut parts = Vec::new();
    for (clock, (stop, cond)) in CLOCK_STOPS.iter().enumerate() {
        let mut target = String::from("CASE priority");
        for (priority, ms) in targets {
            binds.push(ms[clock]);
            // Priorities are the domain's own names (P1…P4), not input.
            target.push_str(&format!(" WHEN '{priority}' THEN ${}", binds.len() + 3));
        }
        target.push_str(" ELSE 0 END");
        let cond = cond.replace("{a}", "$2").replace("{b}", "$3");
        parts.push(format!(
            "SELECT CAST({clock} AS BIGINT) AS clock, priority, number, title, {stop} AS stop, \
             CASE WHEN {stop} > created_at THEN {stop} - created_at ELSE 0 END AS used, \
             CASE WHEN {stop} - created_at > {target} THEN 1 ELSE 0 END AS late \
             FROM cases WHERE org_id = $1 AND pauses = '[]' AND {cond}"
        ));
    }
    (parts.join(" UNION ALL "), binds)
}

/// The histogram's last bucket: a week, in minutes.
const WEEK_MINUTES: i64 = 7 * 24 * 60;

/// The column of a moment.
fn column(p: Point) -> &'static str {
    match p {
        Point::AlertCreated => "first_seen",
        Point::AlertAcknowledged | Point::CaseAcknowledged => "acknowledged_at",
        Point::AlertTriaged | Point::CaseClosed => "closed_at",
        Point::CaseDetected => "detected_at",
        Point::CaseFirstActivity => "first_activity_at",
        Point::CaseDeclared => "created_at",
        Point::CaseContained => "contained_at",
        Point::CaseRecovered => "recovered_at",
    }
}

/// Days since the epoch, weeks (Monday-based, numbered by their Monday's
/// day) and months of a time column.
fn time_group(backend: Backend, col: &str, group: &str) -> Option<String> {
    Some(match group {
        "day" => format!("CAST({col} / 86400000 AS TEXT)"),
        "week" => format!("CAST((({col} / 86400000 + 3) / 7) * 7 - 3 AS TEXT)"),
        "month" => match backend {
            Backend::Sqlite => format!("strftime('%Y-%m', {col} / 1000, 'unixepoch')"),
            Backend::Postgres => format!("to_char(to_timestamp({col} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')"),
        },
        _ => return None,
    })
}

/// The expression of a dimension, on alerts or cases; `None` if unknown.
fn dimension(subject: Subject, dim: &str) -> Option<&'static str> {
    Some(match (subject, dim) {
        (_, "severity") => "COALESCE(severity, '')",
        (Subject::Alerts, "source") => "source",
        (Subject::Alerts, "rule") => "COALESCE(rule, '')",
        (Subject::Cases, "priority") => "priority",
        (Subject::Cases, "category") => "COALESCE(category, '')",
        (Subject::Cases, "source") => "COALESCE(source, 'manual')",
        (Subject::Cases, "team") => "COALESCE(team_id, '')",
        _ => return None,
    })
}

fn add_filters(f: &mut Filter, subject: Subject, filters: &[(String, String)]) {
    for (dim, value) in filters {
        if let Some(expr) = dimension(subject, dim) {
            f.cond_text(&format!("{expr} = {{}}"), value.clone());
        }
    }
}

#[async_trait]
impl MetricStore for SqlStore {
    async fn duration_stats(&self, org: Uuid, q: &DurationQuery) -> Result<Vec<StatRow>> {
        let i = q.interval;
        let table = match i.subject {
            Subject::Alerts => "alerts",
            Subject::Cases => "cases",
        };
        let start = column(i.start);
        // Dwell time ends at the earliest alert, or at the declaration when there is none.
        let end = match (i.end, i.counted) {
            (Point::CaseDetected, Point::CaseDeclared) => "COALESCE(detected_at, created_at)",
            (p, _) => column(p),
        };
        let counted = column(i.counted);
        let group = match q.group.as_deref() {
            // Not a literal: PostgreSQL refuses constants in PARTITION BY and GROUP BY.
            None => "org_id".to_owned(),
            Some(g) => match time_group(self.backend, counted, g) {
                Some(expr) => expr,
                None => dimension(i.subject, g).unwrap_or("org_id").to_owned(),
            },
        };
        let base = || {
            let mut f = Filter::new();
            f.eq_text("org_id", org.to_string());
            f.cmp_int(counted, ">=", q.from);
            f.cmp_int(counted, "<", q.to);
            f.clause(&format!("{start} IS NOT NULL"));
            if i.end == Point::CaseClosed || i.counted == Point::CaseClosed {
                f.clause("state = 'closed'");
            }
            add_filters(&mut f, i.subject, &q.filters);
            f
        };
        let dur = format!("CASE WHEN {end} > {start} THEN {end} - {start} ELSE 0 END");
        // Per group: count, total, the sum of the two middle values (the
        // median doubled) and the p90 value, all in ms.
        let mut acc: std::collections::BTreeMap<String, (i64, i64, i64, i64)> = Default::default();
        match (self.backend, q.group.is_some()) {
            (Backend::Postgres, _) => {
                // percentile_cont(0.5) is the mean of ranks (n+1)/2 and (n+2)/2;
                // percentile_disc(0.9) is rank ceil(0.9 n): the domain's ranks.
                let f = base();
                let sql = format!(
                    "SELECT {group} AS g, COUNT(*) AS n, CAST(SUM({dur}) AS BIGINT) AS total, \
                     CAST(ROUND(2 * percentile_cont(0.5) WITHIN GROUP (ORDER BY {dur})) AS BIGINT) AS middles, \
                     CAST(percentile_disc(0.9) WITHIN GROUP (ORDER BY {dur}) AS BIGINT) AS p90 \
                     FROM {table}{} GROUP BY {group}",
                    f.where_sql()
                );
                for row in f.query(&sql).fetch_all(&self.reader).await? {
                    acc.insert(
                        row.try_get("g")?,
                        (row.try_get("n")?, row.try_get("total")?, row.try_get("middles")?, row.try_get("p90")?),
                    );
                }
            }
            (Backend::Sqlite, false) if i.subject == Subject::Alerts => {
                // SQLite has no percentile aggregate, and sorting every alert
                // of a quarter is slow. A histogram by minute (anything past a
                // week in one bucket) gives the count, the total and the
                // bucket of each rank; only those buckets are then sorted.
                // Cases are fewer: the window functions below serve them.
                let f = base();
                let bucket = format!("MIN({dur} / 60000, {WEEK_MINUTES})");
                let sql = format!(
                    "SELECT {bucket} AS b, COUNT(*) AS n, CAST(SUM({dur}) AS BIGINT) AS total \
                     FROM {table}{} GROUP BY {bucket} ORDER BY b",
                    f.where_sql()
                );
                let mut buckets: Vec<(i64, i64)> = Vec::new();
                let (mut n, mut total) = (0i64, 0i64);
                for row in f.query(&sql).fetch_all(&self.reader).await? {
                    let (b, c, t): (i64, i64, i64) = (row.try_get("b")?, row.try_get("n")?, row.try_get("total")?);
                    buckets.push((b, c));
                    n += c;
                    total += t;
                }
                if n > 0 {
                    let (lo, hi) = median_ranks(n);
                    let mut at_rank = std::collections::HashMap::new();
                    for rank in [lo, hi, p90_rank(n)] {
                        if at_rank.contains_key(&rank) {
                            continue;
                        }
                        let mut before = 0;
                        let Some(&(b, _)) = buckets.iter().find(|(_, c)| {
                            before += c;
                            before >= rank
                        }) else {
                            continue;
                        };
                        let first_of_bucket = before - buckets.iter().find(|(x, _)| *x == b).map_or(0, |(_, c)| *c);
                        let mut f = base();
                        f.cmp_int(&dur, ">=", b * 60_000);
                        if b < WEEK_MINUTES {
                            f.cmp_int(&dur, "<", (b + 1) * 60_000);
                        }
                        let sql = format!(
                            "SELECT {dur} AS v FROM {table}{} ORDER BY v LIMIT 1 OFFSET {}",
                            f.where_sql(),
                            rank - first_of_bucket - 1
                        );
                        let v: i64 = f.query(&sql).fetch_one(&self.reader).await?.try_get("v")?;
                        at_rank.insert(rank, v);
                    }
                    let v = |r: i64| at_rank.get(&r).copied().unwrap_or(0);
                    acc.insert(String::new(), (n, total, v(lo) + v(hi), v(p90_rank(n))));
                }
            }
            (Backend::Sqlite, _) => {
                // Per group: the window functions rank each group's values.
                let f = base();
                let sql = format!(
                    "SELECT g, n, total, v, rn FROM (SELECT {group} AS g, {dur} AS v, \
                     ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY {dur}) AS rn, \
                     COUNT(*) OVER (PARTITION BY {group}) AS n, \
                     CAST(SUM({dur}) OVER (PARTITION BY {group}) AS BIGINT) AS total \
                     FROM {table}{}) t WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 OR rn = (9 * n + 9) / 10",
                    f.where_sql()
                );
                for row in f.query(&sql).fetch_all(&self.reader).await? {
                    let g: String = row.try_get("g")?;
                    let n: i64 = row.try_get("n")?;
                    let total: i64 = row.try_get("total")?;
                    let v: i64 = row.try_get("v")?;
                    let rn: i64 = row.try_get("rn")?;
                    let e = acc.entry(g).or_insert((n, total, 0, 0));
                    let (lo, hi) = median_ranks(n);
                    // Odd counts: the middle value counts twice.
                    e.2 += v * (i64::from(rn == lo) + i64::from(rn == hi));
                    if rn == p90_rank(n) {
                        e.3 = v;
                    }
                }
            }
        }
        let mut out: Vec<StatRow> = acc
            .into_iter()
            .map(|(g, (n, total, middles, p90))| StatRow {
                group: q.group.as_ref().map(|_| g),
                stats: Stats::from_parts(n, total, middles, p90),
            })
            .collect();
        if q.group.as_deref().is_some_and(|g| time_group(self.backend, counted, g).is_none()) {
            out.sort_by(|a, b| b.stats.count.cmp(&a.stats.count).then_with(|| a.group.cmp(&b.group)));
        }
        Ok(out)
    }

    async fn alert_volume(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        group: &str,
        filters: &[(String, String)],
    ) -> Result<Counts> {
        let g = match group {
            "day" => "CAST(hour / 86400000 AS TEXT)",
            "source" => "source",
            "rule" => "rule",
            "severity" => "severity",
            _ => "org_id",
        };
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.cmp_int("hour", ">=", from);
        f.cmp_int("hour", "<", to);
        for (dim, value) in filters {
            if matches!(dim.as_str(), "source" | "rule" | "severity") {
                f.cond_text(&format!("{dim} = {{}}"), value.clone());
            }
        }
        let sql = format!(
            "SELECT {g} AS g, CAST(SUM(alerts) AS BIGINT) AS n FROM alert_counts{} GROUP BY {g} ORDER BY n DESC, g",
            f.where_sql()
        );
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok((r.try_get("g")?, r.try_get("n")?))).collect()
    }

    async fn alert_heatmap(&self, org: Uuid, from: i64, to: i64) -> Result<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT (hour / 86400000 + 3) % 7 AS wd, (hour / 3600000) % 24 AS hr, CAST(SUM(alerts) AS BIGINT) AS n \
             FROM alert_counts WHERE org_id = $1 AND hour >= $2 AND hour < $3 \
             GROUP BY (hour / 86400000 + 3) % 7, (hour / 3600000) % 24",
        )
        .bind(org.to_string())
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("wd")?, r.try_get("hr")?, r.try_get("n")?))).collect()
    }

    async fn alert_outcomes(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        by: Option<&str>,
        filters: &[(String, String)],
    ) -> Result<Vec<(String, String, i64)>> {
        let g = by.and_then(|b| dimension(Subject::Alerts, b)).unwrap_or("org_id");
        let outcome = "CASE WHEN state = 'escalated' THEN 'escalated' ELSE COALESCE(disposition, 'closed') END";
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.cmp_int("closed_at", ">=", from);
        f.cmp_int("closed_at", "<", to);
        add_filters(&mut f, Subject::Alerts, filters);
        let sql = format!(
            "SELECT {g} AS g, {outcome} AS o, COUNT(*) AS n FROM alerts{} GROUP BY {g}, {outcome}",
            f.where_sql()
        );
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok((r.try_get("g")?, r.try_get("o")?, r.try_get("n")?))).collect()
    }

    async fn case_volume(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        group: &str,
        filters: &[(String, String)],
    ) -> Result<Counts> {
        let g = match group {
            "day" => "CAST(created_at / 86400000 AS TEXT)",
            other => dimension(Subject::Cases, other).unwrap_or("org_id"),
        };
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.cmp_int("created_at", ">=", from);
        f.cmp_int("created_at", "<", to);
        add_filters(&mut f, Subject::Cases, filters);
        let sql = format!("SELECT {g} AS g, COUNT(*) AS n FROM cases{} GROUP BY {g} ORDER BY n DESC, g", f.where_sql());
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok((r.try_get("g")?, r.try_get("n")?))).collect()
    }

    async fn open_cases(&self, org: Uuid, now: i64, group: &str) -> Result<Counts> {
        let g = match group {
            "severity" => "COALESCE(severity, '')".to_owned(),
            "age" => {
                // The domain's buckets, youngest first; their bounds are numbers, not input.
                let mut expr = String::from("CASE");
                for (name, days) in AGE_BUCKETS.iter().filter(|(_, d)| *d < i64::MAX) {
                    expr.push_str(&format!(" WHEN created_at > {} THEN '{name}'", now - days * 86_400_000));
                }
                let last = AGE_BUCKETS.last().map_or("", |(n, _)| n);
                expr.push_str(&format!(" ELSE '{last}' END"));
                expr
            }
            _ => "state".to_owned(),
        };
        let sql = format!(
            "SELECT {g} AS g, COUNT(*) AS n FROM cases WHERE org_id = $1 \
             AND state NOT IN ('closed', 'cancelled', 'merged') GROUP BY {g}"
        );
        let rows = sqlx::query(&sql).bind(org.to_string()).fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok((r.try_get("g")?, r.try_get("n")?))).collect()
    }

    async fn sla_unpaused(&self, org: Uuid, from: i64, to: i64, targets: &SlaTargets) -> Result<Vec<SlaCount>> {
        let (clocks, binds) = unpaused_clocks(targets);
        let sql = format!(
            "SELECT clock, priority, COUNT(*) AS n, CAST(SUM(late) AS BIGINT) AS late FROM ({clocks}) t \
             GROUP BY clock, priority"
        );
        let mut q = sqlx::query(&sql).bind(org.to_string()).bind(from).bind(to);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.reader).await?;
        rows.iter()
            .map(|r| {
                let (n, late): (i64, i64) = (r.try_get("n")?, r.try_get("late")?);
                Ok((r.try_get("clock")?, r.try_get("priority")?, n - late, late))
            })
            .collect()
    }

    async fn sla_unpaused_breaches(
        &self,
        org: Uuid,
        from: i64,
        to: i64,
        targets: &SlaTargets,
        limit: u32,
    ) -> Result<Vec<SlaBreach>> {
        let (clocks, binds) = unpaused_clocks(targets);
        let sql = format!(
            "SELECT clock, priority, number, title, stop, used FROM ({clocks}) t WHERE late = 1 \
             ORDER BY stop DESC, number LIMIT {}",
            limit.clamp(1, 100_000)
        );
        let mut q = sqlx::query(&sql).bind(org.to_string()).bind(from).bind(to);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.reader).await?;
        rows.iter()
            .map(|r| {
                Ok(SlaBreach {
                    number: r.try_get("number")?,
                    title: r.try_get("title")?,
                    clock: r.try_get("clock")?,
                    priority: r.try_get("priority")?,
                    stop: r.try_get("stop")?,
                    used: r.try_get("used")?,
                })
            })
            .collect()
    }

    async fn sla_cases(&self, org: Uuid, from: i64, to: i64) -> Result<Vec<SlaCase>> {
        const COLS: &str = "id, number, title, priority, created_at, acknowledged_at, contained_at, closed_at, pauses";
        let open = sqlx::query(&format!(
            "SELECT {COLS} FROM cases WHERE org_id = $1 AND state NOT IN ('closed', 'cancelled', 'merged') \
             AND created_at < $2"
        ))
        .bind(org.to_string())
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        let stopped: Vec<String> =
            CLOCK_STOPS.iter().map(|(_, cond)| cond.replace("{a}", "$2").replace("{b}", "$3")).collect();
        let waited = sqlx::query(&format!(
            "SELECT {COLS} FROM cases WHERE org_id = $1 AND pauses <> '[]' \
             AND state IN ('closed', 'cancelled', 'merged') AND ({})",
            stopped.join(" OR ")
        ))
        .bind(org.to_string())
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        open.iter()
            .chain(waited.iter())
            .map(|r| {
                let pauses: String = r.try_get("pauses")?;
                Ok(SlaCase {
                    id: crate::columns::uuid_col(r, "id")?,
                    number: r.try_get("number")?,
                    title: r.try_get("title")?,
                    priority: r.try_get("priority")?,
                    created_at: r.try_get("created_at")?,
                    acknowledged_at: r.try_get("acknowledged_at")?,
                    contained_at: r.try_get("contained_at")?,
                    closed_at: r.try_get("closed_at")?,
                    pauses: if pauses == "[]" {
                        Vec::new()
                    } else {
                        serde_json::from_str(&pauses).map_err(|e| crate::StoreError::Corrupt(format!("pauses: {e}")))?
                    },
                })
            })
            .collect()
    }

    async fn closed_cases(&self, org: Uuid, from: i64, to: i64, limit: u32) -> Result<Vec<firebreak_types::Case>> {
        let sql = format!(
            "SELECT {} FROM cases WHERE org_id = $1 AND closed_at >= $2 AND closed_at < $3 AND state = 'closed' \
             ORDER BY priority, severity_rank DESC, number LIMIT {}",
            crate::cases::CASE_COLS,
            limit.clamp(1, 10_000)
        );
        let rows = sqlx::query(&sql).bind(org.to_string()).bind(from).bind(to).fetch_all(&self.reader).await?;
        rows.iter().map(crate::cases::case_from).collect()
    }

    async fn item_counts(&self, org: Uuid, kind: &str, from: i64, to: i64) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT COALESCE(item_key, '') AS k, COALESCE(status, '') AS s, COUNT(*) AS n FROM items \
             WHERE org_id = $1 AND kind = $2 AND at >= $3 AND at < $4 GROUP BY item_key, status",
        )
        .bind(org.to_string())
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("k")?, r.try_get("s")?, r.try_get("n")?))).collect()
    }

    async fn items_due_between(&self, org: Uuid, kind: &str, from: i64, to: i64) -> Result<Vec<crate::Item>> {
        self.items_due_in(org, kind, from, to).await
    }
}
