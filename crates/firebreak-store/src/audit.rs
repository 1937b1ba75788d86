//! The one path by which audit entries are written: inside the transaction
//! of the change they describe.

use firebreak_domain::audit::{AuditKey, AuditRecord, GENESIS_HASH, entry_hash, head_mac};
use firebreak_domain::clock::to_millis;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::{Result, WriteCtx};

/// The statements of [`append`], which SQLite's alert writer runs too.
pub(crate) const HEAD_NEXT: &str = "UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash";
pub(crate) const HEAD_START: &str = "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 1, $2)";
pub(crate) const ENTRY_INSERT: &str = "INSERT INTO audit_log (org_id, seq, at, actor_kind, actor_id, actor_name, \
    object_type, object_id, action, changes, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
pub(crate) const HEAD_SET: &str = "UPDATE audit_heads SET hash = $1, mac = $2 WHERE org_id = $3";

/// Appends one entry to `org`'s chain. The `UPDATE … RETURNING` on the chain
/// head takes the head's row lock, so concurrent writers to one chain (on
/// PostgreSQL, across nodes) queue behind each other instead of forking it.
/// The head is signed with `key` in the same transaction.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append(
    conn: &mut AnyConnection,
    key: &AuditKey,
    ctx: &WriteCtx,
    org: Uuid,
    object_type: &str,
    object_id: &str,
    action: &str,
    changes: &serde_json::Value,
) -> Result<()> {
    let org_text = org.to_string();
    let head = sqlx::query(HEAD_NEXT).bind(&org_text).fetch_optional(&mut *conn).await?;
    let (seq, prev_hash) = match head {
        Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
        None => {
            sqlx::query(HEAD_START).bind(&org_text).bind(GENESIS_HASH).execute(&mut *conn).await?;
            (1, GENESIS_HASH.to_owned())
        }
    };
    let record = record(ctx, org, seq, prev_hash, object_type, object_id, action, changes);
    sqlx::query(ENTRY_INSERT)
        .bind(&org_text)
        .bind(record.seq)
        .bind(record.at_ms)
        .bind(&record.actor_kind)
        .bind(record.actor_id.map(|id| id.to_string()))
        .bind(&record.actor_name)
        .bind(&record.object_type)
        .bind(&record.object_id)
        .bind(&record.action)
        .bind(&record.changes)
        .bind(&record.prev_hash)
        .bind(&record.hash)
        .execute(&mut *conn)
        .await?;
    let mac = head_mac(key, org, record.seq, &record.hash);
    sqlx::query(HEAD_SET).bind(&record.hash).bind(mac).bind(&org_text).execute(&mut *conn).await?;
    Ok(())
}

/// The entry `seq` of `org`'s chain, after the one hashed `prev_hash`, with its own hash.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record(
    ctx: &WriteCtx,
    org: Uuid,
    seq: i64,
    prev_hash: String,
    object_type: &str,
    object_id: &str,
    action: &str,
    changes: &serde_json::Value,
) -> AuditRecord {
    let mut record = AuditRecord {
        org_id: org,
        seq,
        at_ms: to_millis(ctx.now),
        actor_kind: ctx.actor.kind().as_str().to_owned(),
        actor_id: ctx.actor.id(),
        actor_name: ctx.actor.name().to_owned(),
        object_type: object_type.to_owned(),
        object_id: object_id.to_owned(),
        action: action.to_owned(),
        changes: changes.to_string(),
        prev_hash,
        hash: String::new(),
    };
    record.hash = entry_hash(&record);
    record
}

/// `{"field": {"before": …, "after": …}}` for the fields that differ.
pub(crate) fn diff(fields: &[(&str, serde_json::Value, serde_json::Value)]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, before, after) in fields {
        if before != after {
            out.insert((*name).to_owned(), serde_json::json!({ "before": before, "after": after }));
        }
    }
    serde_json::Value::Object(out)
}

/// The field-by-field difference of two JSON objects, for an audit entry:
/// `{field: {before, after}}` for each field of `after` that changed, except
/// those in `skip`. Values that are not objects are recorded whole.
pub(crate) fn object_diff(before: &serde_json::Value, after: &serde_json::Value, skip: &[&str]) -> serde_json::Value {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return serde_json::json!({ "before": before, "after": after });
    };
    let mut out = serde_json::Map::new();
    for (k, av) in a {
        if skip.contains(&k.as_str()) {
            continue;
        }
        let bv = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
        if &bv != av {
            out.insert(k.clone(), serde_json::json!({ "before": bv, "after": av }));
        }
    }
    serde_json::Value::Object(out)
}
