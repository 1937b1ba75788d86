//! Alerts: intake in batches, deduplicated by a unique constraint.
//!
//! A batch is one transaction of multi-row statements: the new alerts in one
//! `INSERT … ON CONFLICT DO NOTHING RETURNING` per chunk, then the updates of
//! repeated keys, then the repeats' times and the sightings of the new
//! alerts' observables (SQLite: a full-text index, one document per alert;
//! PostgreSQL: one index row per observable). On SQLite the entities'
//! stories are the writer's memory (see `stories`).
//! Hand-built because it is the heart of intake speed: one statement per
//! alert would cost an order of magnitude.

use std::collections::HashMap;

use async_trait::async_trait;
use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{Alert, AlertGroup, AlertGroupQuery, AlertQuery, Page};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::audit::append;
use crate::cases::enum_text;
use crate::idempotency::{Idempotency, Intake, KeptAnswer};
use crate::sql::{Backend, Bind, Filter, paging, uuid_col};
use crate::{Grouping, Result, SqlStore, StoreError, WriteCtx};

/// The maps intake fills for every alert of a batch: foldhash, seeded at
/// random as the standard library's hasher is, but several times faster
/// on the short keys they hold (source references, entity hashes).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a batch of alerts of `org` in one transaction. Each comes back
    /// as the id it is stored under and whether it was new (`false`: it
    /// repeated an alert of the same source and source reference, whose
    /// occurrence count and last-seen time went up).
    /// With `grouping`, each new alert joins the story of the first of its
    /// entities seen within the window, or starts one.
    async fn ingest_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(Uuid, bool)>>;
    /// As [`AlertStore::ingest_alerts`], with the answer `once` makes of
    /// the outcome kept under its key in the same transaction. Should the key
    /// be kept already (and not expired), nothing is stored and the kept
    /// answer comes back, whatever the body it was kept for (the caller
    /// compares the hashes).
    async fn ingest_alerts_once(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Idempotency,
    ) -> Result<Intake>;
    /// The answer kept under `key` of `caller` in `org`, if it was first
    /// used at or after `since_ms`.
    async fn kept_answer(&self, org: Uuid, caller: &str, key: &str, since_ms: i64) -> Result<Option<KeptAnswer>>;
    /// Forgets idempotency keys first used before `before_ms`; returns how many.
    async fn prune_idempotency_keys(&self, before_ms: i64) -> Result<u64>;
    async fn get_alert(&self, org: Uuid, id: Uuid) -> Result<Option<Alert>>;
    async fn list_alerts(&self, org: Uuid, query: &AlertQuery) -> Result<Page<Alert>>;
    /// When an alert was sent again, oldest first.
    async fn alert_repeats(&self, org: Uuid, id: Uuid) -> Result<Vec<time::OffsetDateTime>>;
    /// Writes the triage fields of `after` if the alert is still in the
    /// state `before` had (`Stale` otherwise), with its audit entry.
    async fn triage_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert, action: &str) -> Result<Alert>;
    /// Closes those of `ids` that are still open, each with its audit entry,
    /// in one transaction; returns the ids closed.
    async fn close_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        ids: &[Uuid],
        disposition: firebreak_types::Disposition,
        reason: &str,
    ) -> Result<Vec<Uuid>>;
    async fn list_alert_groups(&self, org: Uuid, query: &AlertGroupQuery) -> Result<Page<AlertGroup>>;
    async fn get_alert_group(&self, org: Uuid, id: Uuid) -> Result<Option<AlertGroup>>;
    /// Records the case a story was escalated into, with its audit entry.
    async fn set_group_case(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, case_id: Uuid) -> Result<()>;
    /// Per source rule, the alerts of `org` first seen since `since`.
    async fn rule_outcomes(&self, org: Uuid, since: time::OffsetDateTime) -> Result<Vec<RuleOutcome>>;
    /// One rule's alerts first seen since `since`, by UTC day (days since
    /// the epoch), oldest first: (day, outcome of that day's alerts).
    async fn rule_days(&self, org: Uuid, rule: &str, since: time::OffsetDateTime) -> Result<Vec<(i64, RuleOutcome)>>;
    /// Records where events saw observables: (key `type:value`, host, time in ms).
    async fn record_event_sightings(&self, org: Uuid, rows: &[(String, String, i64)]) -> Result<()>;
    /// Per host, the events that saw `key` since `since`: (host, events, first, last).
    async fn event_sightings(
        &self,
        org: Uuid,
        key: &str,
        since: time::OffsetDateTime,
    ) -> Result<Vec<(String, i64, time::OffsetDateTime, time::OffsetDateTime)>>;
    /// Forgets event sightings of `org` older than `before`; returns how many.
    async fn prune_event_sightings(&self, org: Uuid, before: time::OffsetDateTime) -> Result<u64>;
    /// Alerts of `org` that carry an observable key (`type:value`), newest first.
    async fn alerts_with_observable(
        &self,
        org: Uuid,
        key: &str,
        limit: u32,
    ) -> Result<Vec<(Uuid, time::OffsetDateTime)>>;
}

/// What became of one rule's alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    pub rule: String,
    /// Alerts raised (first occurrences).
    pub alerts: i64,
    /// Occurrences, repeats included.
    pub hits: i64,
    pub false_positives: i64,
    /// Closed as benign true positives, or escalated into cases.
    pub true_positives: i64,
}

/// What became of alerts, summed: alerts, hits (occurrences), false
/// positives, true positives (benign, or escalated).
const OUTCOME_COLS: &str = "COUNT(*) AS alerts, CAST(SUM(occurrences) AS BIGINT) AS hits, \
    CAST(SUM(CASE WHEN disposition = 'false_positive' THEN 1 ELSE 0 END) AS BIGINT) AS fp, \
    CAST(SUM(CASE WHEN disposition = 'benign_true_positive' OR state = 'escalated' THEN 1 ELSE 0 END) AS BIGINT) AS tp";

fn outcome_from(r: &AnyRow, rule: String) -> Result<RuleOutcome> {
    Ok(RuleOutcome {
        rule,
        alerts: r.try_get("alerts")?,
        hits: r.try_get("hits")?,
        false_positives: r.try_get("fp")?,
        true_positives: r.try_get("tp")?,
    })
}

pub(crate) const ALERT_COLS: &str = "id, org_id, source, source_ref, kind, title, title_key, description, severity, \
    severity_rank, event_time, tags, tlp, pap, observables, custom_fields, raw, state, occurrences, first_seen, \
    last_seen, assets, triage_rank, rule, group_id";
const TRIAGE_COLS: &str = "assignee_id, acknowledged_at, disposition, disposition_reason, case_id, closed_at";
/// The columns an insert writes: [`ALERT_COLS`] and the entities the alert
/// was grouped by.
pub(crate) const N_COLS: usize = 26;

fn parse<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str, as_string: bool) -> Result<T> {
    let s: String = row.try_get(col)?;
    let v = if as_string {
        serde_json::Value::String(s)
    } else {
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))?
    };
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn alert_from(row: &AnyRow) -> Result<Alert> {
    Ok(Alert {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        source: row.try_get("source")?,
        source_ref: row.try_get("source_ref")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        severity: parse(row, "severity", true)?,
        event_time: from_millis(row.try_get("event_time")?),
        tags: parse(row, "tags", false)?,
        tlp: parse(row, "tlp", true)?,
        pap: parse(row, "pap", true)?,
        observables: parse(row, "observables", false)?,
        custom_fields: parse(row, "custom_fields", false)?,
        raw: firebreak_types::RawEvent::from_text(row.try_get("raw")?)
            .map_err(|e| StoreError::Corrupt(format!("raw: {e}")))?,
        state: parse(row, "state", true)?,
        occurrences: row.try_get("occurrences")?,
        first_seen: from_millis(row.try_get("first_seen")?),
        last_seen: from_millis(row.try_get("last_seen")?),
        assignee_id: crate::sql::opt_uuid_col(row, "assignee_id")?,
        acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_millis),
        disposition: row
            .try_get::<Option<String>, _>("disposition")?
            .map(|d| serde_json::from_value(serde_json::Value::String(d)))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("disposition: {e}")))?,
        disposition_reason: row.try_get("disposition_reason")?,
        case_id: crate::sql::opt_uuid_col(row, "case_id")?,
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
        assets: parse(row, "assets", false)?,
        triage_rank: row.try_get("triage_rank")?,
        rule: row.try_get("rule")?,
        group_id: crate::sql::opt_uuid_col(row, "group_id")?,
    })
}

/// `rows` tuples of `cols` placeholders. SQLite gets anonymous `?`s: its
/// driver looks each numbered parameter's name up among all of them, a
/// quadratic cost that dominated the writer's time on big statements.
fn placeholders(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&(r * cols + c + 1).to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row statement, under both databases' parameter limits.
fn chunk_rows(backend: Backend, cols: usize) -> usize {
    let params = match backend {
        Backend::Sqlite => 8_000,
        Backend::Postgres => 8_000,
    };
    (params / cols).max(1)
}

/// A value of a row, for either database's driver.
pub(crate) enum Val {
    Text(String),
    Int(i64),
    Blob(Vec<u8>),
    Null,
}

/// Where [`alert_row`] puts the alert's story.
pub(crate) const GROUP_COL: usize = 24;

/// A new alert's row, in the order of [`ALERT_COLS`] then `group_keys`
/// (the entities that put the alert in its story, as
/// [`crate::stories::keys_blob`] writes them, on SQLite only).
pub(crate) fn alert_row(a: &Alert, group: Option<Uuid>, keys: Val) -> [Val; N_COLS] {
    let json = |v: Result<String, serde_json::Error>| Val::Text(v.unwrap_or_else(|_| "[]".into()));
    let opt = |v: Option<String>| v.map_or(Val::Null, Val::Text);
    [
        Val::Text(a.id.to_string()),
        Val::Text(a.org_id.to_string()),
        Val::Text(a.source.clone()),
        Val::Text(a.source_ref.clone()),
        Val::Text(a.kind.clone()),
        Val::Text(a.title.clone()),
        Val::Text(a.title.to_lowercase()),
        Val::Text(a.description.clone()),
        Val::Text(enum_text(&a.severity)),
        Val::Int(a.severity as i64 + 1),
        Val::Int(to_millis(a.event_time)),
        json(serde_json::to_string(&a.tags)),
        Val::Text(enum_text(&a.tlp)),
        Val::Text(enum_text(&a.pap)),
        json(serde_json::to_string(&a.observables)),
        Val::Text(a.custom_fields.to_string()),
        Val::Text(a.raw.get().to_owned()),
        Val::Text(a.state.as_str().to_owned()),
        Val::Int(a.occurrences),
        Val::Int(to_millis(a.first_seen)),
        Val::Int(to_millis(a.last_seen)),
        json(serde_json::to_string(&a.assets)),
        Val::Int(a.triage_rank),
        opt(a.rule.clone()),
        opt(group.map(|g| g.to_string())),
        keys,
    ]
}

/// A new alert's row: the alert and its story.
type NewRow<'a> = (&'a Alert, Option<Uuid>);

/// Inserts the new ones of `alerts`; returns the keys that were inserted,
/// with their ids.
async fn insert_new(
    conn: &mut AnyConnection,
    backend: Backend,
    alerts: &[NewRow<'_>],
) -> Result<HashMap<(String, String), Uuid>> {
    let mut inserted = HashMap::new();
    for chunk in alerts.chunks(chunk_rows(backend, N_COLS)) {
        let sql = format!(
            "INSERT INTO alerts ({ALERT_COLS}, group_keys) VALUES {} ON CONFLICT (org_id, source, source_ref) \
             DO NOTHING RETURNING id, source, source_ref",
            placeholders(backend, chunk.len(), N_COLS)
        );
        let mut q = sqlx::query(&sql);
        for (a, group) in chunk {
            for v in alert_row(a, *group, Val::Null) {
                q = match v {
                    Val::Text(t) => q.bind(t),
                    Val::Int(n) => q.bind(n),
                    Val::Blob(b) => q.bind(b),
                    Val::Null => q.bind(None::<String>),
                };
            }
        }
        for row in q.fetch_all(&mut *conn).await? {
            inserted.insert((row.try_get("source")?, row.try_get("source_ref")?), uuid_col(&row, "id")?);
        }
    }
    Ok(inserted)
}

/// An hour's count of new alerts of one source, rule and severity.
pub(crate) type HourCount<'a> = ((i64, &'a str, &'a str, String), i64);

/// New alerts counted by hour (start, ms), source, rule ('' for none) and
/// severity.
pub(crate) fn hourly_counts<'a>(new: impl Iterator<Item = &'a Alert>) -> Vec<HourCount<'a>> {
    let mut counts: std::collections::BTreeMap<(i64, &str, &str, String), i64> = std::collections::BTreeMap::new();
    for a in new {
        let hour = to_millis(a.first_seen).div_euclid(3_600_000) * 3_600_000;
        let key = (hour, a.source.as_str(), a.rule.as_deref().unwrap_or(""), enum_text(&a.severity));
        *counts.entry(key).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// How a count of `alert_counts` adds to the one stored.
pub(crate) const COUNTS_UPSERT: &str = "ON CONFLICT (org_id, hour, source, rule, severity) \
    DO UPDATE SET alerts = alert_counts.alerts + excluded.alerts";

/// Adds new alerts to the hourly counts behind the volume metrics.
async fn add_counts(
    conn: &mut AnyConnection,
    backend: Backend,
    org: Uuid,
    new: impl Iterator<Item = &Alert>,
) -> Result<()> {
    let rows = hourly_counts(new);
    let org = org.to_string();
    for chunk in rows.chunks(chunk_rows(backend, 6)) {
        let sql = format!(
            "INSERT INTO alert_counts (org_id, hour, source, rule, severity, alerts) VALUES {} {COUNTS_UPSERT}",
            placeholders(backend, chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for ((hour, source, rule, severity), n) in chunk {
            q = q.bind(org.as_str()).bind(*hour).bind(*source).bind(*rule).bind(severity.as_str()).bind(*n);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Repeats by alert key: (source, source reference) and (count, last seen).
type Repeats<'a> = [((&'a str, &'a str), (i64, i64))];

/// Adds repeats to their alerts' occurrence counts and last-seen times,
/// returning the alerts' ids by key: one alert at a time, in key order, so that on
/// PostgreSQL concurrent batches lock the rows they share in the same
/// order, so they queue instead of deadlocking.
async fn update_repeats_in_turn(
    conn: &mut AnyConnection,
    org: Uuid,
    repeats: &Repeats<'_>,
) -> Result<HashMap<(String, String), Uuid>> {
    let mut out = HashMap::new();
    for ((source, source_ref), (count, last)) in repeats {
        let row = sqlx::query(
            "UPDATE alerts SET occurrences = occurrences + $1, \
             last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END \
             WHERE org_id = $3 AND source = $4 AND source_ref = $5 RETURNING id",
        )
        .bind(*count)
        .bind(*last)
        .bind(org.to_string())
        .bind(*source)
        .bind(*source_ref)
        .fetch_one(&mut *conn)
        .await?;
        out.insert(((*source).to_owned(), (*source_ref).to_owned()), uuid_col(&row, "id")?);
    }
    Ok(out)
}

/// The current group of each of `entities` (those that have one).
async fn entity_groups(
    conn: &mut AnyConnection,
    backend: Backend,
    org: Uuid,
    entities: &[&str],
) -> Result<FastMap<String, (Uuid, i64)>> {
    let mut out = FastMap::default();
    for chunk in entities.chunks(chunk_rows(backend, 1) - 1) {
        let sql = match backend {
            Backend::Sqlite => format!(
                "SELECT entity, group_id, last_event FROM group_entities WHERE org_id = ? AND entity IN ({})",
                vec!["?"; chunk.len()].join(",")
            ),
            // A join with the list, not `IN`: when the table's statistics
            // lag behind its growth, PostgreSQL may scan it and test each
            // row against a long `IN` list one item at a time (minutes over
            // a million entities); a join stays a hash or index look-up.
            Backend::Postgres => format!(
                "SELECT g.entity, g.group_id, g.last_event FROM (VALUES {}) AS v(entity) \
                 JOIN group_entities g ON g.org_id = $1 AND g.entity = v.entity",
                (2..chunk.len() + 2).map(|i| format!("(${i})")).collect::<Vec<_>>().join(",")
            ),
        };
        // On PostgreSQL, planned for these values each time: a cached generic
        // plan cannot see that the organisation's entities are many and the
        // list short, and hashes the whole table instead of looking each up
        // (a second per batch past a million entities).
        let mut q = sqlx::query(&sql).persistent(matches!(backend, Backend::Sqlite)).bind(org.to_string());
        for e in chunk {
            q = q.bind(*e);
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.insert(row.try_get("entity")?, (uuid_col(&row, "group_id")?, row.try_get("last_event")?));
        }
    }
    Ok(out)
}

/// An entity (its key, or on SQLite its key's hash), its group and the
/// time of its last alert there.
pub(crate) type EntityGroup<K = String> = (K, Uuid, i64);

/// Puts each candidate in a story: the group of the first of its entities
/// seen within `window_ms`, or a new one. `entities` are each alert's, by
/// its index in the batch; `current`, the entities' stories so far. Returns
/// each candidate's group and the entities whose group or time changed.
pub(crate) fn assign_groups<K: Clone + Eq + std::hash::Hash + Ord>(
    candidates: &[&Alert],
    entities: &[Vec<K>],
    window_ms: i64,
    index_of: &FastMap<(&str, &str), usize>,
    mut current: FastMap<K, (Uuid, i64)>,
) -> (Vec<Option<Uuid>>, Vec<EntityGroup<K>>) {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| to_millis(candidates[i].event_time));
    let mut groups = vec![None; candidates.len()];
    let mut touched: Vec<K> = Vec::new();
    for i in order {
        let a = candidates[i];
        let Some(entities) = index_of.get(&(a.source.as_str(), a.source_ref.as_str())).and_then(|&k| entities.get(k))
        else {
            continue;
        };
        if entities.is_empty() {
            continue;
        }
        let at = to_millis(a.event_time);
        let gid = entities
            .iter()
            .filter_map(|e| current.get(e))
            .find(|(_, last)| *last >= at - window_ms)
            .map(|(g, _)| *g)
            .unwrap_or_else(Uuid::now_v7);
        for e in entities {
            let last = match current.get(e) {
                Some((g, last)) if *g == gid => (*last).max(at),
                _ => at,
            };
            current.insert(e.clone(), (gid, last));
            touched.push(e.clone());
        }
        groups[i] = Some(gid);
    }
    touched.sort_unstable();
    touched.dedup();
    let changed = touched
        .into_iter()
        .filter_map(|e| current.get(&e).map(|(g, last)| (*g, *last)).map(|(g, last)| (e, g, last)))
        .collect();
    (groups, changed)
}

/// What a batch adds to a story: the title of its earliest alert, the
/// count, the highest severity rank, the first and last event times.
pub(crate) type GroupTotal<'a> = (&'a str, i64, i64, i64, i64);

/// The new alerts summed per story.
pub(crate) fn group_totals<'a>(members: &[(&'a Alert, Uuid)]) -> Vec<(Uuid, GroupTotal<'a>)> {
    let mut agg: std::collections::BTreeMap<Uuid, GroupTotal> = std::collections::BTreeMap::new();
    for (a, g) in members {
        let t = to_millis(a.event_time);
        let rank = a.severity as i64 + 1;
        let e = agg.entry(*g).or_insert((a.title.as_str(), 0, rank, t, t));
        if t < e.3 {
            e.0 = a.title.as_str();
        }
        e.1 += 1;
        e.2 = e.2.max(rank);
        e.3 = e.3.min(t);
        e.4 = e.4.max(t);
    }
    agg.into_iter().collect()
}

/// How a batch's [`GroupTotal`] adds to a story already stored.
pub(crate) const GROUP_UPSERT: &str = "ON CONFLICT (id) DO UPDATE SET \
    alert_count = alert_groups.alert_count + excluded.alert_count, \
    severity_rank = CASE WHEN excluded.severity_rank > alert_groups.severity_rank \
      THEN excluded.severity_rank ELSE alert_groups.severity_rank END, \
    first_event = CASE WHEN excluded.first_event < alert_groups.first_event \
      THEN excluded.first_event ELSE alert_groups.first_event END, \
    last_event = CASE WHEN excluded.last_event > alert_groups.last_event \
      THEN excluded.last_event ELSE alert_groups.last_event END";

/// Adds the new alerts to their groups' counts, severities and times, and
/// records each entity's current group.
async fn write_groups(
    conn: &mut AnyConnection,
    backend: Backend,
    org: Uuid,
    now: i64,
    members: &[(&Alert, Uuid)],
    entities: &[EntityGroup],
) -> Result<()> {
    let agg = group_totals(members);
    for chunk in agg.chunks(chunk_rows(backend, 8)) {
        let sql = format!(
            "INSERT INTO alert_groups (id, org_id, title, severity_rank, alert_count, first_event, last_event, \
             created_at) VALUES {} {GROUP_UPSERT}",
            placeholders(backend, chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for (id, (title, count, rank, first, last)) in chunk {
            q = q
                .bind(id.to_string())
                .bind(org.to_string())
                .bind(*title)
                .bind(*rank)
                .bind(*count)
                .bind(*first)
                .bind(*last)
                .bind(now);
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in entities.chunks(chunk_rows(backend, 4)) {
        let sql = format!(
            "INSERT INTO group_entities (org_id, entity, group_id, last_event) VALUES {} \
             ON CONFLICT (org_id, entity) DO UPDATE SET group_id = excluded.group_id, last_event = excluded.last_event",
            placeholders(backend, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (e, g, last) in chunk {
            q = q.bind(org.to_string()).bind(e.as_str()).bind(g.to_string()).bind(*last);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stores one batch of alerts within `tx`'s transaction, on PostgreSQL
/// (see [`AlertStore::ingest_alerts`]; SQLite's writer is `sqlite_intake`).
pub(crate) async fn ingest_in(
    tx: &mut AnyConnection,
    backend: Backend,
    key: &AuditKey,
    ctx: &WriteCtx,
    org: Uuid,
    alerts: &[Alert],
    grouping: Option<&Grouping>,
) -> Result<Vec<(Uuid, bool)>> {
    let (first, mut candidates) = collapse(alerts);
    // Rows are locked in key order, the same in every batch, so that
    // concurrent batches over the same alerts queue instead of deadlocking.
    candidates.sort_by(|a, b| (&a.source, &a.source_ref).cmp(&(&b.source, &b.source_ref)));

    // Stories: each candidate's group, from its entities' current groups.
    let (groups, changed) = match grouping {
        Some(g) => {
            let current = entity_groups(tx, backend, org, &all_entities(g)).await?;
            assign_groups(&candidates, &g.entities, g.window_ms, &first, current)
        }
        None => (vec![None; candidates.len()], Vec::new()),
    };
    // PostgreSQL keeps entities in `group_entities`: the alert need not
    // (and a longer row would cross its out-of-line storage threshold).
    let rows: Vec<NewRow> = candidates.iter().zip(&groups).map(|(a, g)| (*a, *g)).collect();
    let inserted = insert_new(tx, backend, &rows).await?;
    let is_new = |a: &Alert| inserted.contains_key(&(a.source.clone(), a.source_ref.clone()));
    if grouping.is_some() {
        let members: Vec<(&Alert, Uuid)> =
            rows.iter().filter(|(a, _)| is_new(a)).filter_map(|(a, g)| g.map(|g| (*a, g))).collect();
        write_groups(tx, backend, org, to_millis(ctx.now), &members, &changed).await?;
    }

    add_counts(tx, backend, org, candidates.iter().copied().filter(|a| is_new(a))).await?;

    let mut ids: HashMap<(String, String), Uuid> = inserted.clone();
    let repeats = repeats_of(alerts, &first, |a| is_new(a));
    let updated = update_repeats_in_turn(tx, org, &repeats).await?;
    let mut repeat_rows: Vec<(Uuid, i64)> = Vec::new();
    for ((source, source_ref), (count, last)) in &repeats {
        let key = ((*source).to_owned(), (*source_ref).to_owned());
        // Every repeat's alert exists: it was stored before, or by this batch.
        let id = updated.get(&key).copied().ok_or(sqlx::Error::RowNotFound)?;
        ids.insert(key, id);
        for _ in 0..*count {
            repeat_rows.push((id, *last));
        }
    }
    for chunk in repeat_rows.chunks(chunk_rows(backend, 2)) {
        let sql =
            format!("INSERT INTO alert_repeats (alert_id, seen_at) VALUES {}", placeholders(backend, chunk.len(), 2));
        let mut q = sqlx::query(&sql);
        for (id, at) in chunk {
            q = q.bind(id.to_string()).bind(*at);
        }
        q.execute(&mut *tx).await?;
    }
    add_observable_rows(tx, backend, org, &candidates, &inserted).await?;
    let new_ids: Vec<Uuid> = inserted.values().copied().collect();
    append(tx, key, ctx, org, "alert_batch", &Uuid::now_v7().to_string(), "ingest", &batch_details(alerts, &new_ids))
        .await?;
    Ok(answers(alerts, &first, |a| ids.get(&(a.source.clone(), a.source_ref.clone())).copied(), is_new))
}

/// A batch's alerts by key, repeats within it collapsed onto their first
/// occurrence: where each key first occurs, and those first occurrences.
pub(crate) fn collapse(alerts: &[Alert]) -> (FastMap<(&str, &str), usize>, Vec<&Alert>) {
    let mut first: FastMap<(&str, &str), usize> = FastMap::default();
    let mut candidates: Vec<&Alert> = Vec::new();
    for (i, a) in alerts.iter().enumerate() {
        first.entry((a.source.as_str(), a.source_ref.as_str())).or_insert_with(|| {
            candidates.push(a);
            i
        });
    }
    (first, candidates)
}

/// Every entity of a batch, once.
pub(crate) fn all_entities(g: &Grouping) -> Vec<&str> {
    let mut all: Vec<&str> = g.entities.iter().flatten().map(String::as_str).collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// A repeated key (source, source reference) and its (count, last seen).
pub(crate) type Repeat<'a> = ((&'a str, &'a str), (i64, i64));

/// Every occurrence that did not create its alert is a repeat of it: by
/// key, how many and the latest time seen.
pub(crate) fn repeats_of<'a>(
    alerts: &'a [Alert],
    first: &FastMap<(&str, &str), usize>,
    is_new: impl Fn(&Alert) -> bool,
) -> Vec<Repeat<'a>> {
    let mut repeats: std::collections::BTreeMap<(&str, &str), (i64, i64)> = std::collections::BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        let key = (a.source.as_str(), a.source_ref.as_str());
        let created_here = first.get(&key) == Some(&i) && is_new(a);
        if !created_here {
            let e = repeats.entry(key).or_insert((0, 0));
            e.0 += 1;
            e.1 = e.1.max(to_millis(a.last_seen));
        }
    }
    repeats.into_iter().collect()
}

/// One audit entry per batch: who sent how many, and the range of the new
/// ids (UUIDv7, so time-ordered), rather than one chained entry per alert.
pub(crate) fn batch_details(alerts: &[Alert], new_ids: &[Uuid]) -> serde_json::Value {
    json!({
        "created": new_ids.len(),
        "repeats": alerts.len() - new_ids.len(),
        "first_id": new_ids.iter().min(),
        "last_id": new_ids.iter().max(),
    })
}

/// Each alert of the batch, in order: the id it is stored under and
/// whether this occurrence created it.
pub(crate) fn answers(
    alerts: &[Alert],
    first: &FastMap<(&str, &str), usize>,
    id_of: impl Fn(&Alert) -> Option<Uuid>,
    created: impl Fn(&Alert) -> bool,
) -> Vec<(Uuid, bool)> {
    alerts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let id = id_of(a).unwrap_or(a.id);
            let created_here = first.get(&(a.source.as_str(), a.source_ref.as_str())) == Some(&i) && created(a);
            (id, created_here)
        })
        .collect()
}

/// The term the SQLite sightings index keeps for an observable key (and
/// the stories index for a story's id): its first 2000 characters in
/// hexadecimal, so one token whatever it holds (the migrations that built
/// the indexes write the same in SQL).
pub(crate) fn sighting_term(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let head = match key.char_indices().nth(2000) {
        Some((at, _)) => &key[..at],
        None => key,
    };
    let mut term = String::with_capacity(1 + 2 * head.len());
    term.push('x');
    for b in head.bytes() {
        term.push(char::from(HEX[usize::from(b >> 4)]));
        term.push(char::from(HEX[usize::from(b & 15)]));
    }
    term
}

/// PostgreSQL: the new alerts' observables as rows of the sightings index.
async fn add_observable_rows(
    tx: &mut AnyConnection,
    backend: Backend,
    org: Uuid,
    candidates: &[&Alert],
    inserted: &HashMap<(String, String), Uuid>,
) -> Result<()> {
    let obs: Vec<(String, Uuid, i64)> = candidates
        .iter()
        .filter(|a| inserted.contains_key(&(a.source.clone(), a.source_ref.clone())))
        .flat_map(|a| a.observables.iter().map(|o| (format!("{}:{}", o.kind, o.value), a.id, to_millis(a.last_seen))))
        .collect();
    let org_s = org.to_string();
    for chunk in obs.chunks(chunk_rows(backend, 4)) {
        let sql = format!(
            "INSERT INTO alert_observables (org_id, obs_key, alert_id, seen_at) VALUES {}",
            placeholders(backend, chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (key, id, at) in chunk {
            q = q.bind(org_s.as_str()).bind(key.as_str()).bind(id.to_string()).bind(*at);
        }
        q.execute(&mut *tx).await?;
    }
    Ok(())
}

/// Hands a batch to the SQLite writer and waits for its answer.
async fn send_batch(
    batches: &tokio::sync::mpsc::UnboundedSender<crate::sqlite_intake::Batch>,
    ctx: &WriteCtx,
    org: Uuid,
    alerts: Vec<Alert>,
    grouping: Option<Grouping>,
    once: Option<Idempotency>,
) -> Result<Intake> {
    let (done, answer) = tokio::sync::oneshot::channel();
    let (job, work) = crate::sqlite_intake::Batch::new(ctx.clone(), org, alerts, grouping, once, done);
    batches.send(job).map_err(|_| sqlx::Error::PoolClosed)?;
    let answer = answer.await;
    // The writer let go of its share before answering: the batch is freed
    // here.
    drop(work);
    answer.map_err(|_| sqlx::Error::PoolClosed)?
}

#[async_trait]
impl AlertStore for SqlStore {
    async fn ingest_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(Uuid, bool)>> {
        if let Some(batches) = &self.batches {
            return match send_batch(batches, ctx, org, alerts, grouping, None).await? {
                Intake::Stored(out) => Ok(out),
                // A batch without a key is never answered from one.
                Intake::Kept(_) => Err(StoreError::Corrupt("a batch without a key was answered from one".into())),
            };
        }
        let mut tx = self.writer.begin().await?;
        let out = ingest_in(&mut tx, self.backend, &self.audit_key, ctx, org, &alerts, grouping.as_ref()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn ingest_alerts_once(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Idempotency,
    ) -> Result<Intake> {
        if let Some(batches) = &self.batches {
            return send_batch(batches, ctx, org, alerts, grouping, Some(once)).await;
        }
        self.ingest_once_in_tx(ctx, org, &alerts, grouping.as_ref(), &once).await
    }

    async fn kept_answer(&self, org: Uuid, caller: &str, key: &str, since_ms: i64) -> Result<Option<KeptAnswer>> {
        self.kept(org, caller, key, since_ms).await
    }

    async fn prune_idempotency_keys(&self, before_ms: i64) -> Result<u64> {
        self.prune_keys(before_ms).await
    }

    async fn get_alert(&self, org: Uuid, id: Uuid) -> Result<Option<Alert>> {
        let row = sqlx::query(&format!("SELECT {ALERT_COLS}, {TRIAGE_COLS} FROM alerts WHERE org_id = $1 AND id = $2"))
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(alert_from).transpose()
    }

    async fn list_alerts(&self, org: Uuid, q: &AlertQuery) -> Result<Page<Alert>> {
        let paging = paging(
            q.limit,
            q.offset,
            Some(q.sort.as_deref().unwrap_or("-first_seen")),
            q.total,
            &[
                ("last_seen", "last_seen"),
                ("first_seen", "first_seen"),
                ("severity", "severity_rank"),
                ("triage_rank", "triage_rank"),
                ("title", "title_key"),
                ("event_time", "event_time"),
            ],
            "id",
        )?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        if let Some(v) = q.state {
            f.eq_text("state", v.as_str());
        }
        if let Some(v) = q.severity {
            f.eq_text("severity", enum_text(&v));
        }
        if let Some(v) = &q.source {
            f.eq_text("source", v.clone());
        }
        if let Some(v) = &q.rule {
            f.eq_text("rule", v.clone());
        }
        if let Some(v) = q.assignee_id {
            f.eq_text("assignee_id", v.to_string());
        }
        // SQLite finds a story's alerts by its full-text index of stories,
        // read first (CROSS JOIN keeps SQLite from starting with another
        // index and testing every row it meets).
        let mut from = "alerts";
        if let Some(v) = q.group_id {
            if self.backend == Backend::Sqlite {
                from = "alert_stories CROSS JOIN alerts ON alerts.rowid = alert_stories.rowid";
                f.cond_text("alert_stories MATCH {}", sighting_term(&v.to_string()));
            }
            f.eq_text("group_id", v.to_string());
        }
        // Tags and assets are JSON arrays in their columns; the other filters
        // (organisation, state) narrow the rows these look at.
        if let Some(v) = &q.tag {
            f.cond_text("tags LIKE {} ESCAPE '\\'", format!("%{}%", like_escape(&json!(v).to_string())));
        }
        if let Some(v) = q.asset_id {
            f.cond_text("assets LIKE {}", format!("%{v}%"));
        }
        f.search(&["title"], q.q.as_deref());
        self.page(&format!("{ALERT_COLS}, {TRIAGE_COLS}"), from, &f, &paging, alert_from).await
    }

    async fn triage_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert, action: &str) -> Result<Alert> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE alerts SET state = $1, assignee_id = $2, acknowledged_at = $3, disposition = $4, \
             disposition_reason = $5, case_id = $6, closed_at = $7 WHERE org_id = $8 AND id = $9 AND state = $10",
        )
        .bind(after.state.as_str())
        .bind(after.assignee_id.map(|u| u.to_string()))
        .bind(after.acknowledged_at.map(to_millis))
        .bind(after.disposition.as_ref().map(enum_text))
        .bind(after.disposition_reason.clone())
        .bind(after.case_id.map(|u| u.to_string()))
        .bind(after.closed_at.map(to_millis))
        .bind(before.org_id.to_string())
        .bind(before.id.to_string())
        .bind(before.state.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let details = json!({
            "state": { "before": before.state, "after": after.state },
            "assignee_id": after.assignee_id, "disposition": after.disposition,
            "reason": after.disposition_reason, "case_id": after.case_id,
        });
        append(&mut tx, &self.audit_key, ctx, before.org_id, "alert", &before.id.to_string(), action, &details).await?;
        tx.commit().await?;
        Ok(after.clone())
    }

    async fn close_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        ids: &[Uuid],
        disposition: firebreak_types::Disposition,
        reason: &str,
    ) -> Result<Vec<Uuid>> {
        let now = to_millis(ctx.now);
        let mut closed = Vec::new();
        let mut tx = self.writer.begin().await?;
        for chunk in ids.chunks(200) {
            // The new values' parameters first, then the filter's.
            let mut f = Filter::new();
            let d = f.next(Bind::Text(enum_text(&disposition)));
            let r = f.next(Bind::Text(reason.to_owned()));
            let t = f.next(Bind::Int(now));
            f.eq_text("org_id", org.to_string());
            f.any_text("id", chunk);
            f.clause("state IN ('new', 'in_triage')");
            let sql = format!(
                "UPDATE alerts SET state = 'closed', disposition = {d}, disposition_reason = {r}, closed_at = {t}, \
                 acknowledged_at = COALESCE(acknowledged_at, {t}){} RETURNING id",
                f.where_sql()
            );
            for row in f.query(&sql).fetch_all(&mut *tx).await? {
                closed.push(uuid_col(&row, "id")?);
            }
        }
        for id in &closed {
            let details =
                json!({ "state": { "after": "closed" }, "disposition": disposition, "reason": reason, "bulk": true });
            append(&mut tx, &self.audit_key, ctx, org, "alert", &id.to_string(), "close", &details).await?;
        }
        tx.commit().await?;
        Ok(closed)
    }

    async fn list_alert_groups(&self, org: Uuid, query: &AlertGroupQuery) -> Result<Page<AlertGroup>> {
        self.group_page(org, query).await
    }

    async fn get_alert_group(&self, org: Uuid, id: Uuid) -> Result<Option<AlertGroup>> {
        let row = sqlx::query(&format!("SELECT {GROUP_COLS} FROM alert_groups WHERE org_id = $1 AND id = $2"))
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(group_from).transpose()
    }

    async fn set_group_case(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, case_id: Uuid) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("UPDATE alert_groups SET case_id = $1 WHERE org_id = $2 AND id = $3")
            .bind(case_id.to_string())
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append(
            &mut tx,
            &self.audit_key,
            ctx,
            org,
            "alert_group",
            &id.to_string(),
            "escalate",
            &json!({ "case_id": case_id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rule_outcomes(&self, org: Uuid, since: time::OffsetDateTime) -> Result<Vec<RuleOutcome>> {
        let rows = sqlx::query(&format!(
            "SELECT rule, {OUTCOME_COLS} FROM alerts WHERE org_id = $1 AND rule IS NOT NULL AND first_seen >= $2 \
             GROUP BY rule"
        ))
        .bind(org.to_string())
        .bind(to_millis(since))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| outcome_from(r, r.try_get("rule")?)).collect()
    }

    async fn record_event_sightings(&self, org: Uuid, rows: &[(String, String, i64)]) -> Result<()> {
        // One row per key and host of the batch: events of one request
        // repeat the same hosts, users and hashes.
        let mut agg: std::collections::BTreeMap<(&str, &str), (i64, i64, i64)> = std::collections::BTreeMap::new();
        for (key, host, at) in rows {
            let e = agg.entry((key.as_str(), host.as_str())).or_insert((*at, *at, 0));
            e.0 = e.0.min(*at);
            e.1 = e.1.max(*at);
            e.2 += 1;
        }
        let agg: Vec<_> = agg.into_iter().collect();
        let org_s = org.to_string();
        let mut tx = self.writer.begin().await?;
        for chunk in agg.chunks(chunk_rows(self.backend, 6)) {
            let sql = format!(
                "INSERT INTO event_sightings (org_id, obs_key, host, first_at, seen_at, events) VALUES {}",
                placeholders(self.backend, chunk.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for ((key, host), (first, last, n)) in chunk {
                q = q.bind(org_s.as_str()).bind(*key).bind(*host).bind(*first).bind(*last).bind(*n);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn event_sightings(
        &self,
        org: Uuid,
        key: &str,
        since: time::OffsetDateTime,
    ) -> Result<Vec<(String, i64, time::OffsetDateTime, time::OffsetDateTime)>> {
        let rows = sqlx::query(
            "SELECT host, CAST(SUM(events) AS BIGINT) AS n, MIN(first_at) AS first, MAX(seen_at) AS last \
             FROM event_sightings \
             WHERE org_id = $1 AND obs_key = $2 AND seen_at >= $3 GROUP BY host ORDER BY MAX(seen_at) DESC LIMIT 1000",
        )
        .bind(org.to_string())
        .bind(key)
        .bind(to_millis(since))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("host")?,
                    r.try_get("n")?,
                    from_millis(r.try_get("first")?),
                    from_millis(r.try_get("last")?),
                ))
            })
            .collect()
    }

    async fn prune_event_sightings(&self, org: Uuid, before: time::OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM event_sightings WHERE org_id = $1 AND seen_at < $2")
            .bind(org.to_string())
            .bind(to_millis(before))
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    async fn rule_days(&self, org: Uuid, rule: &str, since: time::OffsetDateTime) -> Result<Vec<(i64, RuleOutcome)>> {
        let rows = sqlx::query(&format!(
            "SELECT first_seen / 86400000 AS day, {OUTCOME_COLS} FROM alerts \
             WHERE org_id = $1 AND rule = $2 AND first_seen >= $3 GROUP BY first_seen / 86400000 ORDER BY day"
        ))
        .bind(org.to_string())
        .bind(rule)
        .bind(to_millis(since))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("day")?, outcome_from(r, rule.to_owned())?))).collect()
    }

    async fn alerts_with_observable(
        &self,
        org: Uuid,
        key: &str,
        limit: u32,
    ) -> Result<Vec<(Uuid, time::OffsetDateTime)>> {
        let limit = limit.clamp(1, 1000);
        let rows = match self.backend {
            // Newest first is the highest row id first, which the full-text
            // index reads in that order.
            Backend::Sqlite => {
                sqlx::query(&format!(
                    "SELECT a.id AS alert_id, a.last_seen AS seen_at FROM alert_sightings s \
                     JOIN alerts a ON a.rowid = s.rowid \
                     WHERE alert_sightings MATCH $1 AND a.org_id = $2 ORDER BY s.rowid DESC LIMIT {limit}"
                ))
                .bind(format!("\"{}\"", sighting_term(key)))
                .bind(org.to_string())
                .fetch_all(&self.reader)
                .await?
            }
            Backend::Postgres => {
                sqlx::query(&format!(
                    "SELECT alert_id, seen_at FROM alert_observables WHERE org_id = $1 AND obs_key = $2 \
                     ORDER BY seen_at DESC LIMIT {limit}"
                ))
                .bind(org.to_string())
                .bind(key)
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter().map(|r| Ok((uuid_col(r, "alert_id")?, from_millis(r.try_get("seen_at")?)))).collect()
    }

    async fn alert_repeats(&self, org: Uuid, id: Uuid) -> Result<Vec<time::OffsetDateTime>> {
        let rows = sqlx::query(
            "SELECT r.seen_at FROM alert_repeats r JOIN alerts a ON a.id = r.alert_id \
             WHERE a.org_id = $1 AND r.alert_id = $2 ORDER BY r.seen_at",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(from_millis(r.try_get("seen_at")?))).collect()
    }
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

const GROUP_COLS: &str = "id, org_id, title, severity_rank, alert_count, first_event, last_event, case_id";

fn group_from(row: &AnyRow) -> Result<AlertGroup> {
    let rank: i64 = row.try_get("severity_rank")?;
    let severity = match rank {
        i64::MIN..=1 => firebreak_types::Severity::Low,
        2 => firebreak_types::Severity::Medium,
        3 => firebreak_types::Severity::High,
        _ => firebreak_types::Severity::Critical,
    };
    Ok(AlertGroup {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        title: row.try_get("title")?,
        severity,
        alert_count: row.try_get("alert_count")?,
        first_event: from_millis(row.try_get("first_event")?),
        last_event: from_millis(row.try_get("last_event")?),
        case_id: crate::sql::opt_uuid_col(row, "case_id")?,
    })
}

impl SqlStore {
    pub(crate) async fn group_page(&self, org: Uuid, q: &AlertGroupQuery) -> Result<Page<AlertGroup>> {
        let paging = paging(q.limit, q.offset, Some("-last_event"), q.total, &[("last_event", "last_event")], "id")?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.cmp_int("alert_count", ">=", q.min_alerts.unwrap_or(2).max(1));
        self.page(GROUP_COLS, "alert_groups", &f, &paging, group_from).await
    }
}
