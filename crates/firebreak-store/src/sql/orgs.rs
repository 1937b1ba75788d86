//! Organisations and the access a provider is granted to its customers.

use firebreak_domain::audit::AuditKey;
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{ListParams, OrgGrant, OrgKind, Organisation, Page};
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::SqlStore;
use super::lists::{Filter, list_paging};
use crate::audit::{append, diff};
use crate::columns::{time_col, uuid_col};
use crate::error::conflict_as;
use crate::{NewOrg, OrgPatch, Result, StoreError, WriteCtx};

pub(super) fn org_from(row: &AnyRow) -> Result<Organisation> {
    let kind: String = row.try_get("kind")?;
    Ok(Organisation {
        id: uuid_col(row, "id")?,
        name: row.try_get("name")?,
        kind: OrgKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("org kind {kind:?}")))?,
        description: row.try_get("description")?,
        created_at: time_col(row, "created_at")?,
    })
}

/// Records a provider's access to a customer, in both tenants' chains.
pub(super) async fn insert_grant(
    conn: &mut AnyConnection,
    key: &AuditKey,
    ctx: &WriteCtx,
    provider: Uuid,
    customer: Uuid,
) -> Result<OrgGrant> {
    let now = to_millis(ctx.now);
    sqlx::query("INSERT INTO org_grants (provider_id, customer_id, created_at) VALUES ($1, $2, $3)")
        .bind(provider.to_string())
        .bind(customer.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(conflict_as("this grant"))?;
    let details = json!({ "provider_id": provider, "customer_id": customer });
    append(conn, key, ctx, customer, "org_grant", &provider.to_string(), "grant", &details).await?;
    if provider != customer {
        append(conn, key, ctx, provider, "org_grant", &customer.to_string(), "grant", &details).await?;
    }
    Ok(OrgGrant { provider_id: provider, customer_id: customer, created_at: from_millis(now) })
}

pub(super) async fn create_org(store: &SqlStore, ctx: &WriteCtx, org: NewOrg) -> Result<Organisation> {
    let now = to_millis(ctx.now);
    let mut tx = store.writer.begin().await?;
    sqlx::query(
        "INSERT INTO organisations (id, name, name_key, kind, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(org.id.to_string())
    .bind(&org.name)
    .bind(org.name.to_lowercase())
    .bind(org.kind.as_str())
    .bind(&org.description)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("organisation name"))?;
    if org.root {
        sqlx::query("INSERT INTO settings (key, value) VALUES ('root_org', $1)")
            .bind(org.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("the root organisation"))?;
    }
    let changes = json!({ "name": org.name, "kind": org.kind.as_str(), "description": org.description });
    append(&mut tx, &store.audit_key, ctx, org.id, "organisation", &org.id.to_string(), "create", &changes).await?;
    if let Some(provider) = org.grant_to {
        insert_grant(&mut tx, &store.audit_key, ctx, provider, org.id).await?;
    }
    tx.commit().await?;
    Ok(Organisation {
        id: org.id,
        name: org.name,
        kind: org.kind,
        description: org.description,
        created_at: from_millis(now),
    })
}

pub(super) async fn get_org(store: &SqlStore, id: Uuid) -> Result<Option<Organisation>> {
    let row = sqlx::query("SELECT id, name, kind, description, created_at FROM organisations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await?;
    row.as_ref().map(org_from).transpose()
}

pub(super) async fn root_org(store: &SqlStore) -> Result<Option<Uuid>> {
    let row = sqlx::query("SELECT value FROM settings WHERE key = 'root_org'").fetch_optional(&store.reader).await?;
    row.map(|r| uuid_col(&r, "value")).transpose()
}

pub(super) async fn org_count(store: &SqlStore) -> Result<u64> {
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM organisations").fetch_one(&store.reader).await?.try_get(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) async fn list_orgs(store: &SqlStore, visible: &[Uuid], params: &ListParams) -> Result<Page<Organisation>> {
    let paging = list_paging(params, &[("name", "name_key"), ("created_at", "created_at"), ("kind", "kind")], "id")?;
    let mut f = Filter::new();
    f.any_text("id", visible);
    f.search(&["name", "description"], params.q.as_deref());
    store.page("id, name, kind, description, created_at", "organisations", &f, &paging, org_from).await
}

pub(super) async fn update_org(store: &SqlStore, ctx: &WriteCtx, id: Uuid, patch: OrgPatch) -> Result<Organisation> {
    let mut tx = store.writer.begin().await?;
    let row = sqlx::query("SELECT id, name, kind, description, created_at FROM organisations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = org_from(&row)?;
    let mut after = before.clone();
    if let Some(name) = patch.name {
        after.name = name;
    }
    if let Some(d) = patch.description {
        after.description = d;
    }
    sqlx::query("UPDATE organisations SET name = $1, name_key = $2, description = $3, updated_at = $4 WHERE id = $5")
        .bind(&after.name)
        .bind(after.name.to_lowercase())
        .bind(&after.description)
        .bind(to_millis(ctx.now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("organisation name"))?;
    let changes = diff(&[
        ("name", json!(before.name), json!(after.name)),
        ("description", json!(before.description), json!(after.description)),
    ]);
    append(&mut tx, &store.audit_key, ctx, id, "organisation", &id.to_string(), "update", &changes).await?;
    tx.commit().await?;
    Ok(after)
}

pub(super) async fn grant_access(store: &SqlStore, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<OrgGrant> {
    let mut tx = store.writer.begin().await?;
    let grant = insert_grant(&mut tx, &store.audit_key, ctx, provider, customer).await?;
    tx.commit().await?;
    Ok(grant)
}

pub(super) async fn revoke_access(store: &SqlStore, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    let done = sqlx::query("DELETE FROM org_grants WHERE provider_id = $1 AND customer_id = $2")
        .bind(provider.to_string())
        .bind(customer.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let details = json!({ "provider_id": provider, "customer_id": customer });
    append(&mut tx, &store.audit_key, ctx, customer, "org_grant", &provider.to_string(), "revoke", &details).await?;
    if provider != customer {
        append(&mut tx, &store.audit_key, ctx, provider, "org_grant", &customer.to_string(), "revoke", &details)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn grants_of(store: &SqlStore, provider: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query("SELECT customer_id FROM org_grants WHERE provider_id = $1 ORDER BY created_at")
        .bind(provider.to_string())
        .fetch_all(&store.reader)
        .await?;
    rows.iter().map(|r| uuid_col(r, "customer_id")).collect()
}

pub(super) async fn providers_of(store: &SqlStore, customer: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query("SELECT provider_id FROM org_grants WHERE customer_id = $1 ORDER BY created_at")
        .bind(customer.to_string())
        .fetch_all(&store.reader)
        .await?;
    rows.iter().map(|r| uuid_col(r, "provider_id")).collect()
}
