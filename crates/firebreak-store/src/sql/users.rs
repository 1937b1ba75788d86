//! People: accounts, roles, passwords, and signing in.

use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{ListParams, Page, User};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::SqlStore;
use super::lists::{Filter, list_paging};
use crate::audit::{append, diff};
use crate::columns::{opt_time_col, role_col, time_col, uuid_col};
use crate::error::conflict_as;
use crate::{NewUser, Result, StoreError, UserPatch, WriteCtx};

pub(super) const USER_COLS: &str =
    "id, org_id, username, display_name, email, role, disabled, created_at, last_login_at";

pub(super) fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        role: role_col(row, "role")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: time_col(row, "created_at")?,
        last_login_at: opt_time_col(row, "last_login_at")?,
    })
}

pub(super) async fn find_user<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    exec: E,
    org: Uuid,
    id: Uuid,
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()).fetch_optional(exec).await?;
    row.as_ref().map(user_from).transpose()
}

pub(super) async fn create_user(store: &SqlStore, ctx: &WriteCtx, org: Uuid, u: NewUser) -> Result<User> {
    let now = to_millis(ctx.now);
    let mut tx = store.writer.begin().await?;
    sqlx::query(
        "INSERT INTO users (id, org_id, username, display_name, email, role, password_hash, disabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
    )
    .bind(u.id.to_string())
    .bind(org.to_string())
    .bind(&u.username)
    .bind(&u.display_name)
    .bind(&u.email)
    .bind(u.role.as_str())
    .bind(&u.password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("username"))?;
    let changes = json!({ "username": u.username, "display_name": u.display_name, "email": u.email, "role": u.role });
    append(&mut tx, &store.audit_key, ctx, org, "user", &u.id.to_string(), "create", &changes).await?;
    tx.commit().await?;
    Ok(User {
        id: u.id,
        org_id: org,
        username: u.username,
        display_name: u.display_name,
        email: u.email,
        role: u.role,
        disabled: false,
        created_at: from_millis(now),
        last_login_at: None,
    })
}

pub(super) async fn get_user(store: &SqlStore, org: Uuid, id: Uuid) -> Result<Option<User>> {
    find_user(&store.reader, org, id).await
}

pub(super) async fn list_users(store: &SqlStore, org: Uuid, params: &ListParams) -> Result<Page<User>> {
    let paging = list_paging(
        params,
        &[
            ("username", "username"),
            ("display_name", "display_name"),
            ("role", "role"),
            ("created_at", "created_at"),
            ("last_login_at", "last_login_at"),
        ],
        "id",
    )?;
    let mut f = Filter::new();
    f.eq_text("org_id", org.to_string());
    f.search(&["username", "display_name", "email"], params.q.as_deref());
    store.page(USER_COLS, "users", &f, &paging, user_from).await
}

pub(super) async fn update_user(
    store: &SqlStore,
    ctx: &WriteCtx,
    org: Uuid,
    id: Uuid,
    patch: UserPatch,
) -> Result<User> {
    let mut tx = store.writer.begin().await?;
    let before = find_user(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
    let mut after = before.clone();
    if let Some(v) = patch.display_name {
        after.display_name = v;
    }
    if let Some(v) = patch.email {
        after.email = v;
    }
    if let Some(v) = patch.role {
        after.role = v;
    }
    if let Some(v) = patch.disabled {
        after.disabled = v;
    }
    sqlx::query("UPDATE users SET display_name = $1, email = $2, role = $3, disabled = $4, updated_at = $5 WHERE org_id = $6 AND id = $7")
        .bind(&after.display_name)
        .bind(&after.email)
        .bind(after.role.as_str())
        .bind(i64::from(after.disabled))
        .bind(to_millis(ctx.now))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if after.disabled && !before.disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
    }
    let changes = diff(&[
        ("display_name", json!(before.display_name), json!(after.display_name)),
        ("email", json!(before.email), json!(after.email)),
        ("role", json!(before.role), json!(after.role)),
        ("disabled", json!(before.disabled), json!(after.disabled)),
    ]);
    let action = match (before.disabled, after.disabled) {
        (false, true) => "disable",
        (true, false) => "enable",
        _ if before.role != after.role => "change_role",
        _ => "update",
    };
    append(&mut tx, &store.audit_key, ctx, org, "user", &id.to_string(), action, &changes).await?;
    tx.commit().await?;
    Ok(after)
}

pub(super) async fn set_password(
    store: &SqlStore,
    ctx: &WriteCtx,
    org: Uuid,
    id: Uuid,
    password_hash: String,
) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
        .bind(&password_hash)
        .bind(to_millis(ctx.now))
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    // A new password ends every session opened with the old one.
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
    append(
        &mut tx,
        &store.audit_key,
        ctx,
        org,
        "user",
        &id.to_string(),
        "set_password",
        &json!({ "password": "changed" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn delete_user(store: &SqlStore, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    let before = find_user(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    let changes = json!({ "username": before.username, "role": before.role });
    append(&mut tx, &store.audit_key, ctx, org, "user", &id.to_string(), "delete", &changes).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn credentials(store: &SqlStore, username: &str) -> Result<Option<(User, String)>> {
    let row = sqlx::query(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(&store.reader)
        .await?;
    match row {
        Some(r) => Ok(Some((user_from(&r)?, r.try_get("password_hash")?))),
        None => Ok(None),
    }
}
