//! Reading the audit log and its chains; the heads' signatures.

use firebreak_domain::audit::{AuditRecord, ChainHead, head_mac};
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{AuditEntry, AuditQuery, Page};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::SqlStore;
use super::lists::{Filter, paging};
use crate::audit::append;
use crate::columns::{opt_uuid_col, uuid_col};
use crate::{AuditEvent, Backend, Result, WriteCtx};

pub(super) fn head_from(row: &AnyRow) -> Result<ChainHead> {
    Ok(ChainHead { seq: row.try_get("seq")?, hash: row.try_get("hash")?, mac: row.try_get("mac")? })
}

pub(super) const AUDIT_COLS: &str =
    "org_id, seq, at, actor_kind, actor_id, actor_name, object_type, object_id, action, changes, prev_hash, hash";

pub(super) fn audit_from(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        org_id: uuid_col(row, "org_id")?,
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at")?,
        actor_kind: row.try_get("actor_kind")?,
        actor_id: opt_uuid_col(row, "actor_id")?,
        actor_name: row.try_get("actor_name")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        action: row.try_get("action")?,
        changes: row.try_get("changes")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

pub(super) fn audit_entry(r: AuditRecord) -> Result<AuditEntry> {
    // The record keeps the stored text (the hash covers it); the entry names the kind.
    let actor_kind = firebreak_types::ActorKind::parse(&r.actor_kind).ok_or_else(|| {
        crate::StoreError::Corrupt(format!("audit entry {} has actor kind {:?}", r.seq, r.actor_kind))
    })?;
    Ok(AuditEntry {
        org_id: r.org_id,
        seq: r.seq,
        at: from_millis(r.at_ms),
        actor_kind,
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        object_type: r.object_type,
        object_id: r.object_id,
        action: r.action,
        // The stored text was written by serde_json; keep it verbatim if not.
        changes: serde_json::from_str(&r.changes).unwrap_or(serde_json::Value::String(r.changes)),
        prev_hash: r.prev_hash,
        hash: r.hash,
    })
}

pub(super) async fn record_event(store: &SqlStore, ctx: &WriteCtx, org: Uuid, e: AuditEvent) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    append(&mut tx, &store.audit_key, ctx, org, &e.object_type, &e.object_id, &e.action, &e.details).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn list_audit(store: &SqlStore, org: Uuid, q: &AuditQuery) -> Result<Page<AuditEntry>> {
    let paging = paging(q.limit, q.offset, Some("-seq"), q.total, &[("seq", "seq")], "org_id")?;
    let mut f = Filter::new();
    f.eq_text("org_id", org.to_string());
    if let Some(v) = &q.object_type {
        f.eq_text("object_type", v.clone());
    }
    if let Some(v) = &q.object_id {
        f.eq_text("object_id", v.clone());
    }
    if let Some(v) = q.actor_id {
        f.eq_text("actor_id", v.to_string());
    }
    if let Some(v) = &q.action {
        f.eq_text("action", v.clone());
    }
    if let Some(v) = q.from {
        f.cmp_int("at", ">=", to_millis(v));
    }
    if let Some(v) = q.to {
        f.cmp_int("at", "<", to_millis(v));
    }
    store.page(AUDIT_COLS, "audit_log", &f, &paging, |r| audit_from(r).and_then(audit_entry)).await
}

pub(super) async fn audit_orgs(store: &SqlStore) -> Result<Vec<Uuid>> {
    let rows =
        sqlx::query("SELECT org_id FROM audit_heads UNION SELECT id AS org_id FROM organisations ORDER BY org_id")
            .fetch_all(&store.reader)
            .await?;
    rows.iter().map(|r| uuid_col(r, "org_id")).collect()
}

pub(super) async fn audit_heads(store: &SqlStore) -> Result<Vec<(Uuid, ChainHead)>> {
    let rows =
        sqlx::query("SELECT org_id, seq, hash, mac FROM audit_heads ORDER BY org_id").fetch_all(&store.reader).await?;
    rows.iter().map(|r| Ok((uuid_col(r, "org_id")?, head_from(r)?))).collect()
}

pub(super) async fn anchor_audit_heads(store: &SqlStore) -> Result<u64> {
    let mut tx = store.writer.begin().await?;
    let rows = sqlx::query("SELECT org_id, seq, hash FROM audit_heads WHERE mac IS NULL").fetch_all(&mut *tx).await?;
    let mut signed = 0;
    for r in &rows {
        let (org, seq, hash) = (uuid_col(r, "org_id")?, r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?);
        // Only the head as read: a node appending meanwhile signs its own.
        signed +=
            sqlx::query("UPDATE audit_heads SET mac = $1 WHERE org_id = $2 AND seq = $3 AND hash = $4 AND mac IS NULL")
                .bind(head_mac(&store.audit_key, org, seq, &hash))
                .bind(org.to_string())
                .bind(seq)
                .bind(&hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
    }
    tx.commit().await?;
    Ok(signed)
}

pub(super) async fn audit_chain(store: &SqlStore, org: Uuid) -> Result<(Vec<AuditRecord>, Option<ChainHead>)> {
    // Read the head and the entries in one snapshot, so a write landing
    // in between cannot look like a break.
    let mut tx = store.reader.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
    }
    let head = sqlx::query("SELECT seq, hash, mac FROM audit_heads WHERE org_id = $1")
        .bind(org.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| head_from(&r))
        .transpose()?;
    let rows = sqlx::query(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE org_id = $1 ORDER BY seq"))
        .bind(org.to_string())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let entries = rows.iter().map(audit_from).collect::<Result<Vec<_>>>()?;
    Ok((entries, head))
}
