//! Reading alerts: one, a page of them, an alert's repeats, the alerts
//! that carry an observable.

use firebreak_domain::clock::from_millis;
use firebreak_types::{Alert, AlertQuery, Page};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::columns::enum_text;
use crate::columns::uuid_col;
use crate::rows::{ALERT_COLS, sighting_term};
use crate::sql::{Backend, Filter, paging};
use crate::{Result, SqlStore, StoreError};

/// The columns triage writes, read with [`ALERT_COLS`].
pub(super) const TRIAGE_COLS: &str =
    "assignee_id, acknowledged_at, disposition, disposition_reason, case_id, closed_at";
/// Every column [`alert_from`] reads.
pub(crate) const ALERT_READ_COLS: &str = "id, org_id, source, source_ref, kind, title, title_key, description, \
    severity, severity_rank, event_time, tags, tlp, pap, observables, custom_fields, raw, state, occurrences, \
    first_seen, last_seen, assets, triage_rank, rule, group_id, \
    assignee_id, acknowledged_at, disposition, disposition_reason, case_id, closed_at";

fn parse<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str, as_string: bool) -> Result<T> {
    let s: String = row.try_get(col)?;
    let v = if as_string {
        serde_json::Value::String(s)
    } else {
        serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))?
    };
    serde_json::from_value(v).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn alert_from(row: &AnyRow) -> Result<Alert> {
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
        assignee_id: crate::columns::opt_uuid_col(row, "assignee_id")?,
        acknowledged_at: row.try_get::<Option<i64>, _>("acknowledged_at")?.map(from_millis),
        disposition: row
            .try_get::<Option<String>, _>("disposition")?
            .map(|d| serde_json::from_value(serde_json::Value::String(d)))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("disposition: {e}")))?,
        disposition_reason: row.try_get("disposition_reason")?,
        case_id: crate::columns::opt_uuid_col(row, "case_id")?,
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
        assets: parse(row, "assets", false)?,
        triage_rank: row.try_get("triage_rank")?,
        rule: row.try_get("rule")?,
        group_id: crate::columns::opt_uuid_col(row, "group_id")?,
    })
}

pub(super) async fn get_alert(store: &SqlStore, org: Uuid, id: Uuid) -> Result<Option<Alert>> {
    let row = sqlx::query(&format!("SELECT {ALERT_COLS}, {TRIAGE_COLS} FROM alerts WHERE org_id = $1 AND id = $2"))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await?;
    row.as_ref().map(alert_from).transpose()
}

pub(super) async fn list_alerts(store: &SqlStore, org: Uuid, q: &AlertQuery) -> Result<Page<Alert>> {
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
    if let Some(v) = q.case_id {
        f.eq_text("case_id", v.to_string());
    }
    // SQLite finds a story's alerts by its full-text index of stories,
    // read first (CROSS JOIN keeps SQLite from starting with another
    // index and testing every row it meets).
    let mut from = "alerts";
    if let Some(v) = q.group_id {
        if store.backend == Backend::Sqlite {
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
    if q.open == Some(true) {
        f.clause("state IN ('new', 'in_triage')");
    }
    f.search(&["title"], q.q.as_deref());
    // Keyset paging reads on from the last row of the previous page: the
    // sort column's value and the id, each index of the queue's orders
    // ending in them (`alerts_triage`: organisation, state, rank, id).
    let keyed = paging.col != "title_key";
    let count = f.clone();
    if let Some(after) = q.after.as_deref() {
        if paging.offset > 0 {
            return Err(bad_after("not both after and offset"));
        }
        if !keyed {
            return Err(bad_after("not with the title sort"));
        }
        let (v, id) = parse_cursor(after)?;
        f.after(&paging.col, "id", paging.desc, v, id);
    }
    let col = paging.col.clone();
    let page = store
        .page_after(&format!("{ALERT_COLS}, {TRIAGE_COLS}"), from, &f, &count, &paging, |row| {
            let key: Option<i64> = if keyed { Some(row.try_get(col.as_str())?) } else { None };
            Ok((alert_from(row)?, key))
        })
        .await?;
    let full = page.items.len() == paging.limit as usize;
    let next = match page.items.last() {
        Some((a, Some(v))) if full => Some(format!("{v}:{}", a.id)),
        _ => None,
    };
    Ok(Page {
        items: page.items.into_iter().map(|(a, _)| a).collect(),
        limit: page.limit,
        offset: page.offset,
        total: page.total,
        next,
    })
}

fn bad_after(why: &str) -> StoreError {
    StoreError::BadQuery { param: "after".into(), expected: format!("the next of a page ({why})") }
}

/// A cursor is the last row's sort value and its id: `1733500000000:0193…`.
fn parse_cursor(after: &str) -> Result<(i64, String)> {
    let (v, id) = after.split_once(':').ok_or_else(|| bad_after("value:id"))?;
    let v = v.parse::<i64>().map_err(|_| bad_after("an integer value"))?;
    let id = id.parse::<Uuid>().map_err(|_| bad_after("an alert id"))?;
    Ok((v, id.to_string()))
}

pub(super) async fn alert_repeats(store: &SqlStore, org: Uuid, id: Uuid) -> Result<Vec<time::OffsetDateTime>> {
    let rows = sqlx::query(
        "SELECT r.seen_at FROM alert_repeats r JOIN alerts a ON a.id = r.alert_id \
         WHERE a.org_id = $1 AND r.alert_id = $2 ORDER BY r.seen_at",
    )
    .bind(org.to_string())
    .bind(id.to_string())
    .fetch_all(&store.reader)
    .await?;
    rows.iter().map(|r| Ok(from_millis(r.try_get("seen_at")?))).collect()
}

pub(super) async fn alerts_with_observable(
    store: &SqlStore,
    org: Uuid,
    key: &str,
    limit: u32,
) -> Result<Vec<(Uuid, time::OffsetDateTime)>> {
    let limit = limit.clamp(1, 1000);
    let rows = match store.backend {
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
            .fetch_all(&store.reader)
            .await?
        }
        Backend::Postgres => {
            sqlx::query(&format!(
                "SELECT alert_id, seen_at FROM alert_observables WHERE org_id = $1 AND obs_key = $2 \
                 ORDER BY seen_at DESC LIMIT {limit}"
            ))
            .bind(org.to_string())
            .bind(key)
            .fetch_all(&store.reader)
            .await?
        }
    };
    rows.iter().map(|r| Ok((uuid_col(r, "alert_id")?, from_millis(r.try_get("seen_at")?)))).collect()
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
