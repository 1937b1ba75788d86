//! API keys: created, listed, revoked, and found by their secret.

use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{ApiKey, ListParams, Page};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::SqlStore;
use super::lists::{Filter, list_paging};
use crate::audit::append;
use crate::columns::{opt_time_col, opt_uuid_col, role_col, time_col, uuid_col};
use crate::error::conflict_as;
use crate::{KeyCredential, NewApiKey, Result, StoreError, WriteCtx};

pub(super) const KEY_COLS: &str =
    "id, org_id, name, role, prefix, created_by, created_at, expires_at, last_used_at, revoked_at";

pub(super) fn key_from(row: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        name: row.try_get("name")?,
        role: role_col(row, "role")?,
        prefix: row.try_get("prefix")?,
        created_by: opt_uuid_col(row, "created_by")?,
        created_at: time_col(row, "created_at")?,
        expires_at: opt_time_col(row, "expires_at")?,
        last_used_at: opt_time_col(row, "last_used_at")?,
        revoked_at: opt_time_col(row, "revoked_at")?,
    })
}

pub(super) async fn find_key<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    exec: E,
    org: Uuid,
    id: Uuid,
) -> Result<Option<ApiKey>> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()).fetch_optional(exec).await?;
    row.as_ref().map(key_from).transpose()
}

pub(super) async fn create_api_key(store: &SqlStore, ctx: &WriteCtx, org: Uuid, k: NewApiKey) -> Result<ApiKey> {
    let now = to_millis(ctx.now);
    let mut tx = store.writer.begin().await?;
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, role, prefix, secret_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(k.id.to_string())
    .bind(org.to_string())
    .bind(&k.name)
    .bind(k.role.as_str())
    .bind(&k.prefix)
    .bind(&k.secret_hash)
    .bind(k.created_by.map(|u| u.to_string()))
    .bind(now)
    .bind(k.expires_at.map(to_millis))
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("API key"))?;
    let changes =
        json!({ "name": k.name, "role": k.role, "prefix": k.prefix, "expires_at": k.expires_at.map(to_millis) });
    append(&mut tx, &store.audit_key, ctx, org, "api_key", &k.id.to_string(), "create", &changes).await?;
    tx.commit().await?;
    Ok(ApiKey {
        id: k.id,
        org_id: org,
        name: k.name,
        role: k.role,
        prefix: k.prefix,
        created_by: k.created_by,
        created_at: from_millis(now),
        expires_at: k.expires_at,
        last_used_at: None,
        revoked_at: None,
    })
}

pub(super) async fn get_api_key(store: &SqlStore, org: Uuid, id: Uuid) -> Result<Option<ApiKey>> {
    find_key(&store.reader, org, id).await
}

pub(super) async fn list_api_keys(store: &SqlStore, org: Uuid, params: &ListParams) -> Result<Page<ApiKey>> {
    let paging = list_paging(
        params,
        &[
            ("created_at", "created_at"),
            ("name", "name"),
            ("last_used_at", "last_used_at"),
            ("expires_at", "expires_at"),
        ],
        "id",
    )?;
    let mut f = Filter::new();
    f.eq_text("org_id", org.to_string());
    f.search(&["name", "prefix"], params.q.as_deref());
    store.page(KEY_COLS, "api_keys", &f, &paging, key_from).await
}

pub(super) async fn revoke_api_key(store: &SqlStore, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<ApiKey> {
    let now = to_millis(ctx.now);
    let mut tx = store.writer.begin().await?;
    let mut key = find_key(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
    if key.revoked_at.is_none() {
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(now)
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        key.revoked_at = Some(from_millis(now));
        append(&mut tx, &store.audit_key, ctx, org, "api_key", &id.to_string(), "revoke", &json!({ "name": key.name }))
            .await?;
    }
    tx.commit().await?;
    Ok(key)
}

pub(super) async fn api_key_by_secret_hash(store: &SqlStore, secret_hash: &str) -> Result<Option<KeyCredential>> {
    let cols: Vec<String> = KEY_COLS.split(", ").map(|c| format!("k.{c}")).collect();
    let row = sqlx::query(&format!(
        // No owner (none recorded, or deleted) counts as a disabled one.
        "SELECT {}, COALESCE(u.disabled, 1) AS creator_disabled, u.role AS owner_role FROM api_keys k \
         LEFT JOIN users u ON u.id = k.created_by WHERE k.secret_hash = $1",
        cols.join(", ")
    ))
    .bind(secret_hash)
    .fetch_optional(&store.reader)
    .await?;
    match row {
        Some(r) => Ok(Some(KeyCredential {
            key: key_from(&r)?,
            creator_disabled: r.try_get::<i64, _>("creator_disabled")? != 0,
            owner_role: match r.try_get::<Option<String>, _>("owner_role")? {
                Some(_) => Some(role_col(&r, "owner_role")?),
                None => None,
            },
        })),
        None => Ok(None),
    }
}

pub(super) async fn touch_api_key(store: &SqlStore, id: Uuid, at_ms: i64) -> Result<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
        .bind(at_ms)
        .bind(id.to_string())
        .execute(&store.writer)
        .await?;
    Ok(())
}
