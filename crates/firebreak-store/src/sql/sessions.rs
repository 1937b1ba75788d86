//! Web sessions: opened at sign-in, looked up per request, ended.

use firebreak_domain::clock::to_millis;
use serde_json::json;
use sqlx::Row;

use super::SqlStore;
use super::users::{USER_COLS, user_from};
use crate::audit::append;
use crate::columns::{time_col, uuid_col};
use crate::{NewSession, Result, SessionRecord, WriteCtx};

pub(super) async fn create_session(store: &SqlStore, ctx: &WriteCtx, s: NewSession) -> Result<()> {
    let now = to_millis(ctx.now);
    let mut tx = store.writer.begin().await?;
    // Expired sessions are swept whenever someone signs in.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.token_hash)
    .bind(s.user_id.to_string())
    .bind(&s.csrf_token)
    .bind(now)
    .bind(to_millis(s.expires_at))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(s.user_id.to_string())
        .execute(&mut *tx)
        .await?;
    append(
        &mut tx,
        &store.audit_key,
        ctx,
        s.user_org,
        "user",
        &s.user_id.to_string(),
        "login",
        &json!({ "method": "password" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn session(store: &SqlStore, token_hash: &str, now_ms: i64) -> Result<Option<SessionRecord>> {
    let cols: Vec<String> = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect();
    let row = sqlx::query(&format!(
        "SELECT {}, s.csrf_token, s.expires_at AS session_expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
        cols.join(", ")
    ))
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(&store.reader)
    .await?;
    match row {
        Some(r) => Ok(Some(SessionRecord {
            user: user_from(&r)?,
            csrf_token: r.try_get("csrf_token")?,
            expires_at: time_col(&r, "session_expires_at")?,
        })),
        None => Ok(None),
    }
}

pub(super) async fn end_session(store: &SqlStore, ctx: &WriteCtx, token_hash: &str) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    let row =
        sqlx::query("SELECT u.id, u.org_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
    if let Some(r) = row {
        let (id, org) = (uuid_col(&r, "id")?, uuid_col(&r, "org_id")?);
        append(&mut tx, &store.audit_key, ctx, org, "user", &id.to_string(), "logout", &json!({})).await?;
    }
    tx.commit().await?;
    Ok(())
}
