//! PostgreSQL intake: the intake plan (see `plan`) carried out through sqlx
//! within the request's transaction, a few multi-row statements per step.
//!
//! Several nodes may write at once, so the database, not a memory, is the
//! truth: the entities' stories are the `group_entities` table; a key found
//! absent may be inserted by another batch before this one inserts it
//! (`ON CONFLICT DO NOTHING` then makes it a repeat); rows are inserted and
//! updated in key order, the same in every batch, so that concurrent
//! batches over the same alerts queue instead of deadlocking.

use std::collections::HashMap;

use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::to_millis;
use firebreak_types::Alert;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::plan::{
    Collapsed, EntityState, FastMap, Key, ORG_ENTITY, Repeat, Rules, StoryTotal, assign_stories, hourly_counts, key_of,
    story_totals,
};
use super::{COUNTS_UPSERT, STORY_UPSERT, audit_entry};
use crate::audit::append;
use crate::columns::uuid_col;
use crate::idempotency::{Idempotency, Intake};
use crate::rows::{ALERT_COLS, N_COLS, Val, alert_row, chunk_rows, placeholders};
use crate::{Backend, Grouping, Result, SqlStore, StoreError, WriteCtx};

/// Whether a key is among `keys`, which the database's answers filled.
fn has(keys: &HashMap<(String, String), Uuid>, k: Key<'_>) -> bool {
    keys.contains_key(&(k.0.to_owned(), k.1.to_owned()))
}

/// `rows` tuples of `cols` numbered placeholders.
fn values(rows: usize, cols: usize) -> String {
    placeholders(Backend::Postgres, rows, cols)
}

/// Stores one batch of alerts within `tx`'s transaction (see
/// [`crate::AlertStore::ingest_alerts`]).
pub(crate) async fn ingest_in(
    tx: &mut AnyConnection,
    key: &AuditKey,
    ctx: &WriteCtx,
    org: Uuid,
    alerts: &[Alert],
    grouping: Option<&Grouping>,
) -> Result<Vec<(Uuid, bool)>> {
    let batch = Collapsed::new(alerts);
    let stored = stored_keys(tx, org, &batch.candidates).await?;
    let mut new = batch.new_alerts(|k| has(&stored, k));
    // Inserted in key order (see the module's note).
    new.sort_by(|a, b| key_of(a).cmp(&key_of(b)));

    let (in_story, mut changed) = match grouping {
        Some(g) => {
            // The organisation's count of alerts is a row of its own, read
            // with the entities'.
            let mut current = entity_stories(tx, org, &all_entities(g)).await?;
            let org_alerts = current.remove(ORG_ENTITY).unwrap_or(EntityState::NEW);
            let rules = Rules { window_ms: g.window_ms, stop_words: g.stop_words };
            let (in_story, mut changed, org_alerts) =
                assign_stories(&batch, &new, &g.entities, rules, current, org_alerts);
            changed.push((ORG_ENTITY.to_owned(), org_alerts));
            (in_story, changed)
        }
        None => (vec![None; new.len()], Vec::new()),
    };
    // In entity order, as every batch writes them.
    changed.sort_by(|a, b| a.0.cmp(&b.0));
    let inserted = insert_new(tx, &new, &in_story).await?;
    let created = |a: &Alert| has(&inserted, key_of(a));
    if grouping.is_some() {
        let members: Vec<(&Alert, Uuid)> =
            new.iter().zip(&in_story).filter(|(a, _)| created(a)).filter_map(|(a, g)| g.map(|g| (*a, g))).collect();
        add_to_stories(tx, org, to_millis(ctx.now), &story_totals(&members), &changed).await?;
    }
    add_counts(tx, org, &hourly_counts(new.iter().copied().filter(|a| created(a)))).await?;

    let repeats = batch.repeats(created);
    let mut ids = inserted.clone();
    ids.extend(add_repeats(tx, org, &repeats).await?);
    add_observable_rows(tx, org, &new, &inserted).await?;
    let new_ids: Vec<Uuid> = inserted.values().copied().collect();
    let details = batch.audit_details(&new_ids);
    let batch_id = Uuid::now_v7().to_string();
    let e = audit_entry(&batch_id, &details);
    append(tx, key, ctx, org, e.object_type, e.object_id, e.action, e.changes).await?;
    Ok(batch.answers(|a| ids.get(&(a.source.clone(), a.source_ref.clone())).copied(), created))
}

/// Of the batch's keys, those stored already, with their alerts' ids.
async fn stored_keys(
    conn: &mut AnyConnection,
    org: Uuid,
    candidates: &[&Alert],
) -> Result<HashMap<(String, String), Uuid>> {
    let mut out = HashMap::new();
    for chunk in candidates.chunks(chunk_rows(2) - 1) {
        // A join with the list, as `entity_stories` (see there).
        let sql = format!(
            "SELECT a.id, a.source, a.source_ref FROM (VALUES {}) AS v(source, source_ref) \
             JOIN alerts a ON a.org_id = $1 AND a.source = v.source AND a.source_ref = v.source_ref",
            (0..chunk.len()).map(|i| format!("(${}, ${})", 2 * i + 2, 2 * i + 3)).collect::<Vec<_>>().join(",")
        );
        let mut q = sqlx::query(&sql).persistent(false).bind(org.to_string());
        for a in chunk {
            q = q.bind(a.source.as_str()).bind(a.source_ref.as_str());
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.insert((row.try_get("source")?, row.try_get("source_ref")?), uuid_col(&row, "id")?);
        }
    }
    Ok(out)
}

/// Every entity of a batch, once, and the organisation's count.
fn all_entities(g: &Grouping) -> Vec<&str> {
    let mut all: Vec<&str> = g.entities.iter().flatten().map(String::as_str).collect();
    all.push(ORG_ENTITY);
    all.sort_unstable();
    all.dedup();
    all
}

/// What is known of each of `entities` (those that have a row).
async fn entity_stories(
    conn: &mut AnyConnection,
    org: Uuid,
    entities: &[&str],
) -> Result<FastMap<String, EntityState>> {
    let mut out = FastMap::default();
    for chunk in entities.chunks(chunk_rows(1) - 1) {
        // A join with the list, not `IN`: when the table's statistics lag
        // behind its growth, PostgreSQL may scan it and test each row
        // against a long `IN` list one item at a time (minutes over a
        // million entities); a join stays a hash or index look-up.
        let sql = format!(
            "SELECT g.entity, g.group_id, COALESCE(g.first_event, g.last_event) AS first_event, g.last_event, \
             g.period, g.carried FROM (VALUES {}) AS v(entity) \
             JOIN group_entities g ON g.org_id = $1 AND g.entity = v.entity",
            (2..chunk.len() + 2).map(|i| format!("(${i})")).collect::<Vec<_>>().join(",")
        );
        // Planned for these values each time: a cached generic plan cannot
        // see that the organisation's entities are many and the list short,
        // and hashes the whole table instead of looking each up (a second
        // per batch past a million entities).
        let mut q = sqlx::query(&sql).persistent(false).bind(org.to_string());
        for e in chunk {
            q = q.bind(*e);
        }
        for row in q.fetch_all(&mut *conn).await? {
            let story: Option<String> = row.try_get("group_id")?;
            let story = story
                .map(|g| Uuid::parse_str(&g).map_err(|e| StoreError::Corrupt(format!("group id {g:?}: {e}"))))
                .transpose()?;
            let state = EntityState {
                story,
                first: row.try_get("first_event")?,
                last: row.try_get("last_event")?,
                period: row.try_get("period")?,
                carried: row.try_get("carried")?,
            };
            out.insert(row.try_get("entity")?, state);
        }
    }
    Ok(out)
}

/// Inserts the new alerts, each in its story; returns the keys inserted,
/// with their ids (a key another batch inserted meanwhile is not).
/// PostgreSQL keeps entities in `group_entities`: the alert need not (and
/// a longer row would cross its out-of-line storage threshold).
async fn insert_new(
    conn: &mut AnyConnection,
    new: &[&Alert],
    in_story: &[Option<Uuid>],
) -> Result<HashMap<(String, String), Uuid>> {
    let mut inserted = HashMap::new();
    let rows: Vec<(&Alert, Option<Uuid>)> = new.iter().copied().zip(in_story.iter().copied()).collect();
    for chunk in rows.chunks(chunk_rows(N_COLS)) {
        let sql = format!(
            "INSERT INTO alerts ({ALERT_COLS}, group_keys) VALUES {} ON CONFLICT (org_id, source, source_ref) \
             DO NOTHING RETURNING id, source, source_ref",
            values(chunk.len(), N_COLS)
        );
        let mut q = sqlx::query(&sql);
        for (a, story) in chunk {
            for v in alert_row(a, *story, Val::Null) {
                q = v.bind(q);
            }
        }
        for row in q.fetch_all(&mut *conn).await? {
            inserted.insert((row.try_get("source")?, row.try_get("source_ref")?), uuid_col(&row, "id")?);
        }
    }
    Ok(inserted)
}

/// Adds the new alerts to their stories' counts, severities and times, and
/// records what is now known of each entity (its story, its span there and
/// its count), and the organisation's count. Counts are written as this
/// batch made them: two nodes counting the same entity at once may lose one
/// another's alerts, which only makes a stop word a little later.
async fn add_to_stories(
    conn: &mut AnyConnection,
    org: Uuid,
    now: i64,
    totals: &[(Uuid, StoryTotal<'_>)],
    entities: &[(String, EntityState)],
) -> Result<()> {
    for chunk in totals.chunks(chunk_rows(8)) {
        let sql = format!(
            "INSERT INTO alert_groups (id, org_id, title, severity_rank, alert_count, first_event, last_event, \
             created_at) VALUES {} {STORY_UPSERT}",
            values(chunk.len(), 8)
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
    for chunk in entities.chunks(chunk_rows(7)) {
        let sql = format!(
            "INSERT INTO group_entities (org_id, entity, group_id, first_event, last_event, period, carried) \
             VALUES {} ON CONFLICT (org_id, entity) DO UPDATE SET group_id = excluded.group_id, \
             first_event = excluded.first_event, last_event = excluded.last_event, period = excluded.period, \
             carried = excluded.carried",
            values(chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for (e, s) in chunk {
            q = q
                .bind(org.to_string())
                .bind(e.as_str())
                .bind(s.story.map(|g| g.to_string()))
                .bind(s.first)
                .bind(s.last)
                .bind(s.period)
                .bind(s.carried);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Adds new alerts to the hourly counts behind the volume metrics.
async fn add_counts(conn: &mut AnyConnection, org: Uuid, rows: &[super::plan::HourCount<'_>]) -> Result<()> {
    let org = org.to_string();
    for chunk in rows.chunks(chunk_rows(6)) {
        let sql = format!(
            "INSERT INTO alert_counts (org_id, hour, source, rule, severity, alerts) VALUES {} {COUNTS_UPSERT}",
            values(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for ((hour, source, rule, severity), n) in chunk {
            q = q.bind(org.as_str()).bind(*hour).bind(*source).bind(*rule).bind(severity.as_str()).bind(*n);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Adds repeats to their alerts' occurrence counts and last-seen times and
/// records each repeat's time; returns the alerts' ids by key. One alert at
/// a time, in key order (see the module's note).
async fn add_repeats(
    conn: &mut AnyConnection,
    org: Uuid,
    repeats: &[Repeat<'_>],
) -> Result<HashMap<(String, String), Uuid>> {
    let mut out = HashMap::new();
    let mut repeat_rows: Vec<(Uuid, i64)> = Vec::new();
    for ((source, source_ref), (count, last)) in repeats {
        // Every repeat's alert exists: it was stored before, or by this batch.
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
        let id = uuid_col(&row, "id")?;
        out.insert(((*source).to_owned(), (*source_ref).to_owned()), id);
        repeat_rows.extend(std::iter::repeat_n((id, *last), usize::try_from(*count).unwrap_or(0)));
    }
    for chunk in repeat_rows.chunks(chunk_rows(2)) {
        let sql = format!("INSERT INTO alert_repeats (alert_id, seen_at) VALUES {}", values(chunk.len(), 2));
        let mut q = sqlx::query(&sql);
        for (id, at) in chunk {
            q = q.bind(id.to_string()).bind(*at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(out)
}

/// The new alerts' observables as rows of the sightings index.
async fn add_observable_rows(
    conn: &mut AnyConnection,
    org: Uuid,
    new: &[&Alert],
    inserted: &HashMap<(String, String), Uuid>,
) -> Result<()> {
    let obs: Vec<(String, Uuid, i64)> = new
        .iter()
        .filter(|a| has(inserted, key_of(a)))
        .flat_map(|a| a.observables.iter().map(|o| (format!("{}:{}", o.kind, o.value), a.id, to_millis(a.last_seen))))
        .collect();
    let org_s = org.to_string();
    for chunk in obs.chunks(chunk_rows(4)) {
        let sql = format!(
            "INSERT INTO alert_observables (org_id, obs_key, alert_id, seen_at) VALUES {}",
            values(chunk.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for (key, id, at) in chunk {
            q = q.bind(org_s.as_str()).bind(key.as_str()).bind(id.to_string()).bind(*at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

impl SqlStore {
    /// Stores the batch and its answer in one transaction (PostgreSQL), the
    /// key claimed first so that a second batch with it waits for this one.
    pub(crate) async fn ingest_once_in_tx(
        &self,
        ctx: &crate::WriteCtx,
        org: Uuid,
        alerts: &[firebreak_types::Alert],
        grouping: Option<&crate::Grouping>,
        once: &Idempotency,
    ) -> Result<Intake> {
        let org_text = org.to_string();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE org_id = $1 AND caller = $2 AND idem_key = $3 AND created_at < $4",
        )
        .bind(&org_text)
        .bind(&once.caller)
        .bind(&once.key)
        .bind(once.since_ms)
        .execute(&mut *tx)
        .await?;
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (org_id, caller, idem_key, body_hash, status, body, created_at) \
             VALUES ($1, $2, $3, $4, 0, '', $5) ON CONFLICT DO NOTHING",
        )
        .bind(&org_text)
        .bind(&once.caller)
        .bind(&once.key)
        .bind(&once.body_hash)
        .bind(once.now_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 0 {
            tx.rollback().await?;
            // Taken by a batch whose transaction committed meanwhile.
            let kept = self.kept(org, &once.caller, &once.key, once.since_ms).await?;
            return kept.map(Intake::Kept).ok_or(StoreError::Stale);
        }
        let out = ingest_in(&mut tx, &self.audit_key, ctx, org, alerts, grouping).await?;
        let (status, body) = (once.answer)(&out);
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE org_id = $3 AND caller = $4 AND idem_key = $5",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(&org_text)
        .bind(&once.caller)
        .bind(&once.key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Intake::Stored(out))
    }
}
