//! Where events saw observables: per key and host, recorded in batches and
//! pruned by age.

use firebreak_domain::clock::{from_millis, to_millis};
use sqlx::Row;
use uuid::Uuid;

use crate::rows::{chunk_rows, placeholders};
use crate::{Result, SqlStore};

pub(super) async fn record_event_sightings(store: &SqlStore, org: Uuid, rows: &[(String, String, i64)]) -> Result<()> {
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
    let mut tx = store.writer.begin().await?;
    for chunk in agg.chunks(chunk_rows(6)) {
        let sql = format!(
            "INSERT INTO event_sightings (org_id, obs_key, host, first_at, seen_at, events) VALUES {}",
            placeholders(store.backend, chunk.len(), 6)
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

pub(super) async fn event_sightings(
    store: &SqlStore,
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
    .fetch_all(&store.reader)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((r.try_get("host")?, r.try_get("n")?, from_millis(r.try_get("first")?), from_millis(r.try_get("last")?)))
        })
        .collect()
}

pub(super) async fn prune_event_sightings(store: &SqlStore, org: Uuid, before: time::OffsetDateTime) -> Result<u64> {
    let done = sqlx::query("DELETE FROM event_sightings WHERE org_id = $1 AND seen_at < $2")
        .bind(org.to_string())
        .bind(to_millis(before))
        .execute(&store.writer)
        .await?;
    Ok(done.rows_affected())
}
