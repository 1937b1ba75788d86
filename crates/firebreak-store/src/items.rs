//! Items: what a case holds and what an organisation keeps, in one table.
//!
//! Each kind's body is a typed struct of the types crate, stored as JSON; the
//! columns beside it are the ones queries need (the case, a parent, a lookup
//! key, a status, an assignee, a due time). Writes are audited like every
//! other change, except bookkeeping kinds (deliveries, notifications, SLA
//! marks) that are logs in their own right.

use async_trait::async_trait;
use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::{from_millis, to_millis};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::{append, object_diff};
use crate::columns::{opt_uuid_col, uuid_col};
use crate::sql::{Backend, Filter};
use crate::{Result, SqlStore, StoreError, WriteCtx};

/// Kinds whose writes are not audited: they are logs or bookkeeping.
pub const UNAUDITED_KINDS: &[&str] = &["delivery", "notification", "sla_mark"];

/// One stored item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Uuid,
    pub org_id: Uuid,
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub key: Option<String>,
    pub status: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub due_at: Option<OffsetDateTime>,
    /// When it happened or is placed (timeline time, log time, creation).
    pub at: OffsetDateTime,
    pub body: serde_json::Value,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Bumped by every update; an update of a stale copy is refused.
    pub version: i64,
}

/// How many items of one kind a case holds with one status and assignee
/// ([`ItemStore::count_by_case`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseItemCount {
    pub case_id: Uuid,
    pub status: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub count: u64,
}

/// Which items to list. `org` always applies; the rest when set.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub key: Option<String>,
    /// Any of these keys (with `key`, both apply).
    pub keys: Vec<String>,
    pub statuses: Vec<String>,
    pub assignee_id: Option<Uuid>,
    /// Only items due at or before this time.
    pub due_before: Option<OffsetDateTime>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub limit: Option<u32>,
}

#[async_trait]
pub trait ItemStore: Send + Sync {
    /// Stores new items in one transaction (a template's tasks, say).
    async fn create_items(&self, ctx: &WriteCtx, items: Vec<Item>) -> Result<Vec<Item>>;
    async fn get_item(&self, org: Uuid, kind: &str, id: Uuid) -> Result<Option<Item>>;
    /// Replaces `before` with `after` if nobody changed it since (`Stale` otherwise).
    async fn update_item(&self, ctx: &WriteCtx, before: &Item, after: Item) -> Result<Item> {
        self.update_item_with(ctx, before, after, Vec::new()).await
    }
    /// `update_item`, and new items it causes (webhook deliveries, the
    /// outbox) stored in the same transaction.
    async fn update_item_with(&self, ctx: &WriteCtx, before: &Item, after: Item, also: Vec<Item>) -> Result<Item>;
    async fn delete_item(&self, ctx: &WriteCtx, org: Uuid, kind: &str, id: Uuid) -> Result<()> {
        self.delete_item_with(ctx, org, kind, id, Vec::new()).await
    }
    /// `delete_item`, and new items it causes stored in the same transaction.
    async fn delete_item_with(&self, ctx: &WriteCtx, org: Uuid, kind: &str, id: Uuid, also: Vec<Item>) -> Result<()>;
    async fn list_items(&self, org: Uuid, query: &ItemQuery) -> Result<Vec<Item>>;
    async fn count_items(&self, org: Uuid, query: &ItemQuery) -> Result<u64>;
    /// Items of `kind` held by each of `cases`, counted by case, status and
    /// assignee in one grouped query (a page of cases and its statistics).
    async fn count_by_case(&self, org: Uuid, kind: &str, cases: &[Uuid]) -> Result<Vec<CaseItemCount>>;
    /// Items of `kind` in `status` due by `now`, across organisations, for
    /// background jobs (webhook retries, reminders).
    async fn due_items(&self, kind: &str, status: &str, now: OffsetDateTime, limit: u32) -> Result<Vec<Item>>;
    /// The bytes `org`'s stored files take: the `size` of its items of
    /// `kinds`, each content (the body's `sha256`) counted once however many
    /// items name it, so a file linked from an alert into a case's evidence
    /// counts once, and stops counting only with the last item naming it.
    async fn stored_content_bytes(&self, org: Uuid, kinds: &[&str]) -> Result<u64>;
    /// The oldest of `org`'s items of `kinds` whose body names the content
    /// `sha256`: the file a new one with the same bytes can share.
    async fn item_with_content(&self, org: Uuid, kinds: &[&str], sha256: &str) -> Result<Option<Item>>;
}

const ITEM_COLS: &str = "id, org_id, kind, case_id, parent_id, item_key, status, assignee_id, due_at, at, body, created_at, updated_at, \
     version";

fn item_from(row: &AnyRow) -> Result<Item> {
    let body: String = row.try_get("body")?;
    Ok(Item {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        kind: row.try_get("kind")?,
        case_id: opt_uuid_col(row, "case_id")?,
        parent_id: opt_uuid_col(row, "parent_id")?,
        key: row.try_get("item_key")?,
        status: row.try_get("status")?,
        assignee_id: opt_uuid_col(row, "assignee_id")?,
        due_at: row.try_get::<Option<i64>, _>("due_at")?.map(from_millis),
        at: from_millis(row.try_get("at")?),
        body: serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("item body: {e}")))?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        version: row.try_get("version")?,
    })
}

/// Storage keeps milliseconds; what is returned matches what is read back.
fn round(mut item: Item) -> Item {
    item.due_at = item.due_at.map(|t| from_millis(to_millis(t)));
    item.at = from_millis(to_millis(item.at));
    item.created_at = from_millis(to_millis(item.created_at));
    item.updated_at = from_millis(to_millis(item.updated_at));
    item
}

/// Secrets (a webhook's signing key) never enter the audit log.
fn redacted(body: &serde_json::Value) -> serde_json::Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut()
        && map.contains_key("secret")
    {
        map.insert("secret".into(), json!("[redacted]"));
    }
    body
}

fn audited(kind: &str) -> bool {
    !UNAUDITED_KINDS.contains(&kind)
}

async fn insert(conn: &mut AnyConnection, item: &Item) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO items ({ITEM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(item.id.to_string())
    .bind(item.org_id.to_string())
    .bind(&item.kind)
    .bind(item.case_id.map(|u| u.to_string()))
    .bind(item.parent_id.map(|u| u.to_string()))
    .bind(item.key.clone())
    .bind(item.status.clone())
    .bind(item.assignee_id.map(|u| u.to_string()))
    .bind(item.due_at.map(to_millis))
    .bind(to_millis(item.at))
    .bind(item.body.to_string())
    .bind(to_millis(item.created_at))
    .bind(to_millis(item.updated_at))
    .bind(item.version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a new item, with its audit entry unless its kind is bookkeeping,
/// inside the caller's transaction.
pub(crate) async fn create_in(conn: &mut AnyConnection, key: &AuditKey, ctx: &WriteCtx, item: &Item) -> Result<()> {
    if let Some(case) = item.case_id {
        // The case must be the organisation's own.
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM cases WHERE org_id = $1 AND id = $2")
            .bind(item.org_id.to_string())
            .bind(case.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
    }
    insert(conn, item).await?;
    if audited(&item.kind) {
        let body = redacted(&item.body);
        append(conn, key, ctx, item.org_id, &item.kind, &item.id.to_string(), "create", &body).await?;
    }
    Ok(())
}

fn filter_for(org: Uuid, q: &ItemQuery) -> Filter {
    let mut f = Filter::new();
    f.eq_text("org_id", org.to_string());
    f.eq_text("kind", q.kind.clone());
    if let Some(v) = q.case_id {
        f.eq_text("case_id", v.to_string());
    }
    if let Some(v) = q.parent_id {
        f.eq_text("parent_id", v.to_string());
    }
    if let Some(v) = &q.key {
        f.eq_text("item_key", v.clone());
    }
    if !q.keys.is_empty() {
        f.any_of("item_key", &q.keys);
    }
    if !q.statuses.is_empty() {
        f.any_of("status", &q.statuses);
    }
    if let Some(v) = q.assignee_id {
        f.eq_text("assignee_id", v.to_string());
    }
    if let Some(v) = q.due_before {
        f.cmp_int("due_at", "<=", to_millis(v));
    }
    f
}

#[async_trait]
impl ItemStore for SqlStore {
    async fn create_items(&self, ctx: &WriteCtx, items: Vec<Item>) -> Result<Vec<Item>> {
        let mut tx = self.writer.begin().await?;
        for item in &items {
            create_in(&mut tx, &self.audit_key, ctx, item).await?;
        }
        tx.commit().await?;
        Ok(items.into_iter().map(round).collect())
    }

    async fn get_item(&self, org: Uuid, kind: &str, id: Uuid) -> Result<Option<Item>> {
        let row = sqlx::query(&format!("SELECT {ITEM_COLS} FROM items WHERE org_id = $1 AND kind = $2 AND id = $3"))
            .bind(org.to_string())
            .bind(kind)
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(item_from).transpose()
    }

    async fn update_item_with(&self, ctx: &WriteCtx, before: &Item, mut after: Item, also: Vec<Item>) -> Result<Item> {
        after.version = before.version + 1;
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE items SET parent_id = $1, item_key = $2, status = $3, assignee_id = $4, due_at = $5, at = $6, \
             body = $7, updated_at = $8, version = $9 WHERE org_id = $10 AND kind = $11 AND id = $12 AND version = $13",
        )
        .bind(after.parent_id.map(|u| u.to_string()))
        .bind(after.key.clone())
        .bind(after.status.clone())
        .bind(after.assignee_id.map(|u| u.to_string()))
        .bind(after.due_at.map(to_millis))
        .bind(to_millis(after.at))
        .bind(after.body.to_string())
        .bind(to_millis(after.updated_at))
        .bind(after.version)
        .bind(before.org_id.to_string())
        .bind(&before.kind)
        .bind(before.id.to_string())
        .bind(before.version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        if audited(&before.kind) {
            let changes = object_diff(&redacted(&before.body), &redacted(&after.body), &["updated_at"]);
            append(
                &mut tx,
                &self.audit_key,
                ctx,
                before.org_id,
                &before.kind,
                &before.id.to_string(),
                "update",
                &changes,
            )
            .await?;
        }
        for item in &also {
            create_in(&mut tx, &self.audit_key, ctx, item).await?;
        }
        tx.commit().await?;
        Ok(round(after))
    }

    async fn delete_item_with(&self, ctx: &WriteCtx, org: Uuid, kind: &str, id: Uuid, also: Vec<Item>) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("DELETE FROM items WHERE org_id = $1 AND kind = $2 AND id = $3 RETURNING body")
            .bind(org.to_string())
            .bind(kind)
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        if audited(kind) {
            let body: String = row.try_get("body")?;
            let body = redacted(&serde_json::from_str(&body).unwrap_or(serde_json::Value::Null));
            append(&mut tx, &self.audit_key, ctx, org, kind, &id.to_string(), "delete", &json!({ "before": body }))
                .await?;
        }
        for item in &also {
            create_in(&mut tx, &self.audit_key, ctx, item).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_items(&self, org: Uuid, q: &ItemQuery) -> Result<Vec<Item>> {
        let f = filter_for(org, q);
        let dir = if q.newest_first { "DESC" } else { "ASC" };
        let limit = q.limit.unwrap_or(10_000).min(10_000);
        let sql = format!(
            "SELECT {ITEM_COLS} FROM items{} ORDER BY at {dir}, created_at {dir}, id {dir} LIMIT {limit}",
            f.where_sql()
        );
        let rows = f.query(&sql).fetch_all(&self.reader).await?;
        rows.iter().map(item_from).collect()
    }

    async fn count_items(&self, org: Uuid, q: &ItemQuery) -> Result<u64> {
        let f = filter_for(org, q);
        let sql = format!("SELECT COUNT(*) FROM items{}", f.where_sql());
        let n: i64 = f.query(&sql).fetch_one(&self.reader).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn count_by_case(&self, org: Uuid, kind: &str, cases: &[Uuid]) -> Result<Vec<CaseItemCount>> {
        let mut out = Vec::new();
        for chunk in cases.chunks(500) {
            let mut f = Filter::new();
            f.eq_text("org_id", org.to_string());
            f.eq_text("kind", kind);
            f.any_text("case_id", chunk);
            let sql = format!(
                "SELECT case_id, status, assignee_id, COUNT(*) AS n FROM items{} GROUP BY case_id, status, assignee_id",
                f.where_sql()
            );
            for row in f.query(&sql).fetch_all(&self.reader).await? {
                let Some(case_id) = opt_uuid_col(&row, "case_id")? else { continue };
                let n: i64 = row.try_get("n")?;
                out.push(CaseItemCount {
                    case_id,
                    status: row.try_get("status")?,
                    assignee_id: opt_uuid_col(&row, "assignee_id")?,
                    count: u64::try_from(n).unwrap_or(0),
                });
            }
        }
        Ok(out)
    }

    async fn due_items(&self, kind: &str, status: &str, now: OffsetDateTime, limit: u32) -> Result<Vec<Item>> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLS} FROM items WHERE kind = $1 AND status = $2 AND due_at <= $3 ORDER BY due_at LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .bind(kind)
        .bind(status)
        .bind(to_millis(now))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(item_from).collect()
    }

    async fn stored_content_bytes(&self, org: Uuid, kinds: &[&str]) -> Result<u64> {
        if kinds.is_empty() {
            return Ok(0);
        }
        let (size, sha) = body_fields(self.backend);
        // An item without a digest is its own content.
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM (SELECT MAX({size}) AS size FROM items \
             WHERE org_id = $1 AND kind IN ({}) GROUP BY COALESCE({sha}, id)) contents",
            places(kinds.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for k in kinds {
            q = q.bind(*k);
        }
        let n: i64 = q.fetch_one(&self.reader).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn item_with_content(&self, org: Uuid, kinds: &[&str], sha256: &str) -> Result<Option<Item>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let (_, sha) = body_fields(self.backend);
        let sql = format!(
            "SELECT {ITEM_COLS} FROM items WHERE org_id = $1 AND kind IN ({}) AND {sha} = ${} \
             ORDER BY created_at, id LIMIT 1",
            places(kinds.len()),
            kinds.len() + 2
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for k in kinds {
            q = q.bind(*k);
        }
        let row = q.bind(sha256).fetch_optional(&self.reader).await?;
        row.as_ref().map(item_from).transpose()
    }
}

/// The SQL of a file item's `size` and `sha256` body fields.
fn body_fields(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("CAST(json_extract(body, '$.size') AS BIGINT)", "json_extract(body, '$.sha256')"),
        Backend::Postgres => ("CAST(CAST(body AS jsonb) ->> 'size' AS BIGINT)", "(CAST(body AS jsonb) ->> 'sha256')"),
    }
}

/// `$2, $3, …` for `n` values after the organisation's `$1`.
fn places(n: usize) -> String {
    (2..n + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl SqlStore {
    /// Items of `org` and `kind` falling due in `[from, to)` (ms), for the metrics.
    pub(crate) async fn items_due_in(&self, org: Uuid, kind: &str, from: i64, to: i64) -> Result<Vec<Item>> {
        let rows = sqlx::query(&format!(
            "SELECT {ITEM_COLS} FROM items WHERE org_id = $1 AND kind = $2 AND due_at >= $3 AND due_at < $4"
        ))
        .bind(org.to_string())
        .bind(kind)
        .bind(from)
        .bind(to)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(item_from).collect()
    }
}
