//! The one path by which audit entries are written: inside the transaction
//! of the change they describe.

use firebreak_domain::audit::{AuditKey, AuditRecord, GENESIS_HASH, entry_hash, head_mac};
use firebreak_domain::clock::to_millis;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::rows::Val;
use crate::{Result, WriteCtx};

/// The statements of an append, which SQLite's alert writer runs too (see
/// [`next_entry`] for what each driver does with them).
pub(crate) const HEAD_NEXT: &str = "UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, hash";
pub(crate) const HEAD_START: &str = "INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 1, $2)";
pub(crate) const ENTRY_INSERT: &str = "INSERT INTO audit_log (org_id, seq, at, actor_kind, actor_id, actor_name, \
    object_type, object_id, action, changes, prev_hash, hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
pub(crate) const HEAD_SET: &str = "UPDATE audit_heads SET hash = $1, mac = $2 WHERE org_id = $3";

/// What an entry of the audit log is: the object, the action and its details.
pub(crate) struct Entry<'a> {
    pub(crate) object_type: &'a str,
    pub(crate) object_id: &'a str,
    pub(crate) action: &'a str,
    pub(crate) changes: &'a serde_json::Value,
}

/// An entry ready to append, the same whichever driver writes it: each
/// runs [`HEAD_NEXT`] (taking the head's row lock), [`HEAD_START`] should
/// the chain not have begun, then [`ENTRY_INSERT`] with [`Next::entry_values`]
/// and [`HEAD_SET`] with [`Next::head_values`].
pub(crate) struct Next {
    pub(crate) record: AuditRecord,
    /// The signature of the chain's new head.
    pub(crate) mac: String,
    /// The chain had no head: [`HEAD_START`] begins it.
    pub(crate) starts: bool,
}

impl Next {
    pub(crate) fn entry_values(&self) -> [Val; 12] {
        let r = &self.record;
        [
            Val::Text(r.org_id.to_string()),
            Val::Int(r.seq),
            Val::Int(r.at_ms),
            Val::Text(r.actor_kind.clone()),
            r.actor_id.map_or(Val::Null, |id| Val::Text(id.to_string())),
            Val::Text(r.actor_name.clone()),
            Val::Text(r.object_type.clone()),
            Val::Text(r.object_id.clone()),
            Val::Text(r.action.clone()),
            Val::Text(r.changes.clone()),
            Val::Text(r.prev_hash.clone()),
            Val::Text(r.hash.clone()),
        ]
    }

    pub(crate) fn start_values(&self) -> [Val; 2] {
        [Val::Text(self.record.org_id.to_string()), Val::Text(GENESIS_HASH.to_owned())]
    }

    pub(crate) fn head_values(&self) -> [Val; 3] {
        [Val::Text(self.record.hash.clone()), Val::Text(self.mac.clone()), Val::Text(self.record.org_id.to_string())]
    }
}

/// The entry after `head` (the chain's (seq, hash) once [`HEAD_NEXT`] moved
/// it on; `None` when the chain has not begun), with its hash, and the
/// chain's new head signed with `key`.
pub(crate) fn next_entry(key: &AuditKey, ctx: &WriteCtx, org: Uuid, head: Option<(i64, String)>, e: &Entry) -> Next {
    let starts = head.is_none();
    let (seq, prev_hash) = head.unwrap_or_else(|| (1, GENESIS_HASH.to_owned()));
    let mut record = AuditRecord {
        org_id: org,
        seq,
        at_ms: to_millis(ctx.now),
        actor_kind: ctx.actor.kind().as_str().to_owned(),
        actor_id: ctx.actor.id(),
        actor_name: ctx.actor.name().to_owned(),
        object_type: e.object_type.to_owned(),
        object_id: e.object_id.to_owned(),
        action: e.action.to_owned(),
        changes: e.changes.to_string(),
        prev_hash,
        hash: String::new(),
    };
    record.hash = entry_hash(&record);
    let mac = head_mac(key, org, record.seq, &record.hash);
    Next { record, mac, starts }
}

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
    let head = sqlx::query(HEAD_NEXT).bind(org.to_string()).fetch_optional(&mut *conn).await?;
    let head = match head {
        Some(row) => Some((row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?)),
        None => None,
    };
    let next = next_entry(key, ctx, org, head, &Entry { object_type, object_id, action, changes });
    if next.starts {
        run(conn, HEAD_START, next.start_values()).await?;
    }
    run(conn, ENTRY_INSERT, next.entry_values()).await?;
    run(conn, HEAD_SET, next.head_values()).await?;
    Ok(())
}

async fn run<const N: usize>(conn: &mut AnyConnection, sql: &str, values: [Val; N]) -> Result<()> {
    values.into_iter().fold(sqlx::query(sql), |q, v| v.bind(q)).execute(&mut *conn).await?;
    Ok(())
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
