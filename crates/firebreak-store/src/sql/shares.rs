//! Cases shared with other organisations. The owner's queries take the
//! owner's id; the recipient's take the recipient's, so that each side finds
//! only its own shares. A share's creation, change and end are audited in
//! both organisations' chains.

use firebreak_domain::clock::to_millis;
use firebreak_types::{CaseShare, Role, ShareRule};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::SqlStore;
use crate::audit::{append, diff};
use crate::columns::{time_col, uuid_col};
use crate::error::conflict_as;
use crate::{Result, StoreError, WriteCtx};

const COLUMNS: &str = "s.id, s.case_id, s.owner_org_id, s.org_id, o.name AS org_name, s.role, s.task_rule, \
                       s.observable_rule, s.created_by, s.created_at, s.updated_at";
const FROM: &str = "case_shares s JOIN organisations o ON o.id = s.org_id";

fn share_from(row: &AnyRow) -> Result<CaseShare> {
    let role: String = row.try_get("role")?;
    let rule = |col: &str| -> Result<ShareRule> {
        let v: String = row.try_get(col)?;
        ShareRule::parse(&v).ok_or_else(|| StoreError::Corrupt(format!("share rule {v:?}")))
    };
    Ok(CaseShare {
        id: uuid_col(row, "id")?,
        case_id: uuid_col(row, "case_id")?,
        owner_org_id: uuid_col(row, "owner_org_id")?,
        org_id: uuid_col(row, "org_id")?,
        org_name: row.try_get("org_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("share role {role:?}")))?,
        task_rule: rule("task_rule")?,
        observable_rule: rule("observable_rule")?,
        created_by: row.try_get("created_by")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
    })
}

fn details(s: &CaseShare) -> serde_json::Value {
    json!({
        "case_id": s.case_id, "org_id": s.org_id, "role": s.role.as_str(),
        "task_rule": s.task_rule.as_str(), "observable_rule": s.observable_rule.as_str(),
    })
}

/// Audits a change of a share in the owner's chain and the recipient's.
async fn audit_both(
    store: &SqlStore,
    conn: &mut AnyConnection,
    ctx: &WriteCtx,
    s: &CaseShare,
    action: &str,
    d: &serde_json::Value,
) -> Result<()> {
    append(conn, &store.audit_key, ctx, s.owner_org_id, "case_share", &s.id.to_string(), action, d).await?;
    append(conn, &store.audit_key, ctx, s.org_id, "case_share", &s.id.to_string(), action, d).await
}

async fn one(conn: &mut AnyConnection, owner: Uuid, id: Uuid) -> Result<Option<CaseShare>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.owner_org_id = $1 AND s.id = $2");
    let row = sqlx::query(&sql).bind(owner.to_string()).bind(id.to_string()).fetch_optional(&mut *conn).await?;
    row.as_ref().map(share_from).transpose()
}

pub(super) async fn create(store: &SqlStore, ctx: &WriteCtx, share: &CaseShare) -> Result<CaseShare> {
    let mut tx = store.writer.begin().await?;
    // The case must be the owner's: a share never reaches another's case.
    let owned = sqlx::query("SELECT id FROM cases WHERE org_id = $1 AND id = $2")
        .bind(share.owner_org_id.to_string())
        .bind(share.case_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    if owned.is_none() {
        return Err(StoreError::NotFound);
    }
    let now = to_millis(ctx.now);
    sqlx::query(
        "INSERT INTO case_shares (id, case_id, owner_org_id, org_id, role, task_rule, observable_rule, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(share.id.to_string())
    .bind(share.case_id.to_string())
    .bind(share.owner_org_id.to_string())
    .bind(share.org_id.to_string())
    .bind(share.role.as_str())
    .bind(share.task_rule.as_str())
    .bind(share.observable_rule.as_str())
    .bind(&share.created_by)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("a share of this case with this organisation"))?;
    let stored = one(&mut tx, share.owner_org_id, share.id).await?.ok_or(StoreError::NotFound)?;
    audit_both(store, &mut tx, ctx, &stored, "create", &details(&stored)).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn update(
    store: &SqlStore,
    ctx: &WriteCtx,
    owner: Uuid,
    id: Uuid,
    role: Role,
    task_rule: ShareRule,
    observable_rule: ShareRule,
) -> Result<CaseShare> {
    let mut tx = store.writer.begin().await?;
    let before = one(&mut tx, owner, id).await?.ok_or(StoreError::NotFound)?;
    sqlx::query(
        "UPDATE case_shares SET role = $1, task_rule = $2, observable_rule = $3, updated_at = $4 \
         WHERE owner_org_id = $5 AND id = $6",
    )
    .bind(role.as_str())
    .bind(task_rule.as_str())
    .bind(observable_rule.as_str())
    .bind(to_millis(ctx.now))
    .bind(owner.to_string())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    let after = one(&mut tx, owner, id).await?.ok_or(StoreError::NotFound)?;
    let changes = diff(&[
        ("role", json!(before.role.as_str()), json!(after.role.as_str())),
        ("task_rule", json!(before.task_rule.as_str()), json!(after.task_rule.as_str())),
        ("observable_rule", json!(before.observable_rule.as_str()), json!(after.observable_rule.as_str())),
    ]);
    audit_both(store, &mut tx, ctx, &after, "update", &changes).await?;
    tx.commit().await?;
    Ok(after)
}

pub(super) async fn delete(store: &SqlStore, ctx: &WriteCtx, owner: Uuid, id: Uuid) -> Result<CaseShare> {
    let mut tx = store.writer.begin().await?;
    let share = one(&mut tx, owner, id).await?.ok_or(StoreError::NotFound)?;
    sqlx::query("DELETE FROM case_shares WHERE owner_org_id = $1 AND id = $2")
        .bind(owner.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    audit_both(store, &mut tx, ctx, &share, "delete", &details(&share)).await?;
    tx.commit().await?;
    Ok(share)
}

pub(super) async fn get(store: &SqlStore, owner: Uuid, id: Uuid) -> Result<Option<CaseShare>> {
    let mut conn = store.reader.acquire().await?;
    one(&mut conn, owner, id).await
}

pub(super) async fn of_case(store: &SqlStore, owner: Uuid, case_id: Uuid) -> Result<Vec<CaseShare>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.owner_org_id = $1 AND s.case_id = $2 ORDER BY o.name_key");
    let rows = sqlx::query(&sql).bind(owner.to_string()).bind(case_id.to_string()).fetch_all(&store.reader).await?;
    rows.iter().map(share_from).collect()
}

pub(super) async fn with_org(store: &SqlStore, org: Uuid) -> Result<Vec<CaseShare>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.org_id = $1 ORDER BY s.created_at DESC, s.id");
    let rows = sqlx::query(&sql).bind(org.to_string()).fetch_all(&store.reader).await?;
    rows.iter().map(share_from).collect()
}

pub(super) async fn of_case_with(store: &SqlStore, org: Uuid, case_id: Uuid) -> Result<Option<CaseShare>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.org_id = $1 AND s.case_id = $2");
    let row = sqlx::query(&sql).bind(org.to_string()).bind(case_id.to_string()).fetch_optional(&store.reader).await?;
    row.as_ref().map(share_from).transpose()
}

pub(super) async fn of_item_with(store: &SqlStore, org: Uuid, item_id: Uuid) -> Result<Option<CaseShare>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} JOIN items i ON i.org_id = s.owner_org_id \
         LEFT JOIN items p ON p.id = i.parent_id \
         WHERE s.org_id = $1 AND i.id = $2 AND s.case_id = COALESCE(i.case_id, p.case_id)"
    );
    let row = sqlx::query(&sql).bind(org.to_string()).bind(item_id.to_string()).fetch_optional(&store.reader).await?;
    row.as_ref().map(share_from).transpose()
}
