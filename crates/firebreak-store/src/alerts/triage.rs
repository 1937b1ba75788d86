//! Triage: an alert's state, assignee and disposition, one at a time or
//! closed in bulk, each change with its audit entry.

use firebreak_domain::clock::to_millis;
use firebreak_types::{Alert, AlertObservable};
use serde_json::json;
use uuid::Uuid;

use crate::audit::append;
use crate::columns::enum_text;
use crate::columns::uuid_col;
use crate::rows::{chunk_rows, placeholders, sighting_term};
use crate::sql::{Backend, Bind, Filter};
use crate::{Result, SqlStore, StoreError, WriteCtx};

pub(super) async fn triage_alert(
    store: &SqlStore,
    ctx: &WriteCtx,
    before: &Alert,
    after: &Alert,
    action: &str,
) -> Result<Alert> {
    let mut tx = store.writer.begin().await?;
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
    append(&mut tx, &store.audit_key, ctx, before.org_id, "alert", &before.id.to_string(), action, &details).await?;
    tx.commit().await?;
    Ok(after.clone())
}

pub(super) async fn amend_alert(store: &SqlStore, ctx: &WriteCtx, before: &Alert, after: &Alert) -> Result<Alert> {
    let json_text = |v: &serde_json::Value| v.to_string();
    let tags = |t: &[String]| serde_json::to_string(t).unwrap_or_else(|_| "[]".into());
    let mut tx = store.writer.begin().await?;
    // The row is written only as `before` read it: a concurrent change (a
    // repeat, another amendment) makes this one stale.
    let done = sqlx::query(
        "UPDATE alerts SET title = $1, title_key = $2, description = $3, severity = $4, severity_rank = $5, \
         tags = $6, tlp = $7, pap = $8, custom_fields = $9, triage_rank = $10 \
         WHERE org_id = $11 AND id = $12 AND title = $13 AND severity = $14 AND tags = $15 AND tlp = $16 AND pap = $17",
    )
    .bind(after.title.clone())
    .bind(after.title.to_lowercase())
    .bind(after.description.clone())
    .bind(enum_text(&after.severity))
    .bind(after.severity as i64 + 1)
    .bind(tags(&after.tags))
    .bind(enum_text(&after.tlp))
    .bind(enum_text(&after.pap))
    .bind(json_text(&after.custom_fields))
    .bind(after.triage_rank)
    .bind(before.org_id.to_string())
    .bind(before.id.to_string())
    .bind(before.title.clone())
    .bind(enum_text(&before.severity))
    .bind(tags(&before.tags))
    .bind(enum_text(&before.tlp))
    .bind(enum_text(&before.pap))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale);
    }
    let mut details = serde_json::Map::new();
    let mut changed = |field: &str, b: serde_json::Value, a: serde_json::Value| {
        if b != a {
            details.insert(field.to_owned(), json!({ "before": b, "after": a }));
        }
    };
    changed("title", json!(before.title), json!(after.title));
    changed("description", json!(before.description), json!(after.description));
    changed("severity", json!(before.severity), json!(after.severity));
    changed("tags", json!(before.tags), json!(after.tags));
    changed("tlp", json!(before.tlp), json!(after.tlp));
    changed("pap", json!(before.pap), json!(after.pap));
    changed("custom_fields", before.custom_fields.clone(), after.custom_fields.clone());
    let details = serde_json::Value::Object(details);
    append(&mut tx, &store.audit_key, ctx, before.org_id, "alert", &before.id.to_string(), "amend", &details).await?;
    tx.commit().await?;
    Ok(after.clone())
}

pub(super) async fn add_alert_observables(
    store: &SqlStore,
    ctx: &WriteCtx,
    before: &Alert,
    added: &[AlertObservable],
) -> Result<Alert> {
    let list = |l: &[AlertObservable]| serde_json::to_string(l).unwrap_or_else(|_| "[]".into());
    let mut after = before.clone();
    after.observables.extend(added.iter().cloned());
    let mut tx = store.writer.begin().await?;
    // Written only over the list `before` read, and only while the alert is
    // open: a concurrent change makes this one stale.
    let done = sqlx::query(
        "UPDATE alerts SET observables = $1 WHERE org_id = $2 AND id = $3 AND observables = $4 \
         AND state IN ('new', 'in_triage')",
    )
    .bind(list(&after.observables))
    .bind(before.org_id.to_string())
    .bind(before.id.to_string())
    .bind(list(&before.observables))
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Stale);
    }
    index_sightings(store, &mut tx, before, added).await?;
    let details = json!({ "observables": { "added": added } });
    append(&mut tx, &store.audit_key, ctx, before.org_id, "alert", &before.id.to_string(), "add_observables", &details)
        .await?;
    tx.commit().await?;
    Ok(after)
}

/// Writes observables added to an alert into the sightings index intake
/// writes, so that alerts sharing them find it as if it came with them.
async fn index_sightings(
    store: &SqlStore,
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    alert: &Alert,
    added: &[AlertObservable],
) -> Result<()> {
    let keys: Vec<String> = added.iter().map(|o| format!("{}:{}", o.kind, o.value)).collect();
    match store.backend {
        // The index keeps no row per alert to rewrite (it is contentless):
        // the new terms are posted under the alert's row id beside the
        // terms intake posted, which none of them repeats (an alert's
        // observables are distinct), and nothing deletes from it.
        Backend::Sqlite => {
            let terms: Vec<String> = keys.iter().map(|k| sighting_term(k)).collect();
            sqlx::query(
                "INSERT INTO alert_sightings (rowid, keys) SELECT rowid, $1 FROM alerts WHERE org_id = $2 AND id = $3",
            )
            .bind(terms.join(" "))
            .bind(alert.org_id.to_string())
            .bind(alert.id.to_string())
            .execute(&mut **tx)
            .await?;
        }
        Backend::Postgres => {
            for chunk in keys.chunks(chunk_rows(4)) {
                let sql = format!(
                    "INSERT INTO alert_observables (org_id, obs_key, alert_id, seen_at) VALUES {}",
                    placeholders(store.backend, chunk.len(), 4)
                );
                let mut q = sqlx::query(&sql);
                for key in chunk {
                    q = q
                        .bind(alert.org_id.to_string())
                        .bind(key.as_str())
                        .bind(alert.id.to_string())
                        .bind(to_millis(alert.last_seen));
                }
                q.execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

pub(super) async fn close_alerts(
    store: &SqlStore,
    ctx: &WriteCtx,
    org: Uuid,
    ids: &[Uuid],
    disposition: firebreak_types::Disposition,
    reason: &str,
) -> Result<Vec<Uuid>> {
    let now = to_millis(ctx.now);
    let mut closed = Vec::new();
    let mut tx = store.writer.begin().await?;
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
        append(&mut tx, &store.audit_key, ctx, org, "alert", &id.to_string(), "close", &details).await?;
    }
    tx.commit().await?;
    Ok(closed)
}
