//! Triage: an alert's state, assignee and disposition, one at a time or
//! closed in bulk, each change with its audit entry.

use firebreak_domain::clock::to_millis;
use firebreak_types::Alert;
use serde_json::json;
use uuid::Uuid;

use crate::audit::append;
use crate::columns::enum_text;
use crate::columns::uuid_col;
use crate::sql::{Bind, Filter};
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
