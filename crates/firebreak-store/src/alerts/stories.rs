//! Stories: alerts that share an entity within the grouping window, which
//! intake puts together (see `intake::plan::assign_stories`).
//!
//! The API calls a story an alert group: [`AlertGroup`] on the wire, the
//! `alert_groups` table and an alert's `group_id` column in the database.
//! Those names are public and stay; inside the store, it is a story.

use firebreak_domain::clock::from_millis;
use firebreak_types::{AlertGroup, AlertGroupQuery, Page};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use crate::audit::append;
use crate::columns::uuid_col;
use crate::sql::{Filter, paging};
use crate::{Result, SqlStore, StoreError, WriteCtx};

const GROUP_COLS: &str = "id, org_id, title, severity_rank, alert_count, first_event, last_event, case_id";

fn group_from(row: &AnyRow) -> Result<AlertGroup> {
    let rank: i64 = row.try_get("severity_rank")?;
    let severity = match rank {
        i64::MIN..=1 => firebreak_types::Severity::Low,
        2 => firebreak_types::Severity::Medium,
        3 => firebreak_types::Severity::High,
        _ => firebreak_types::Severity::Critical,
    };
    Ok(AlertGroup {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        title: row.try_get("title")?,
        severity,
        alert_count: row.try_get("alert_count")?,
        first_event: from_millis(row.try_get("first_event")?),
        last_event: from_millis(row.try_get("last_event")?),
        case_id: crate::columns::opt_uuid_col(row, "case_id")?,
    })
}

pub(super) async fn list_alert_groups(
    store: &SqlStore,
    org: Uuid,
    query: &AlertGroupQuery,
) -> Result<Page<AlertGroup>> {
    store.group_page(org, query).await
}

pub(super) async fn get_alert_group(store: &SqlStore, org: Uuid, id: Uuid) -> Result<Option<AlertGroup>> {
    let row = sqlx::query(&format!("SELECT {GROUP_COLS} FROM alert_groups WHERE org_id = $1 AND id = $2"))
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&store.reader)
        .await?;
    row.as_ref().map(group_from).transpose()
}

pub(super) async fn set_group_case(store: &SqlStore, ctx: &WriteCtx, org: Uuid, id: Uuid, case_id: Uuid) -> Result<()> {
    let mut tx = store.writer.begin().await?;
    let done = sqlx::query("UPDATE alert_groups SET case_id = $1 WHERE org_id = $2 AND id = $3")
        .bind(case_id.to_string())
        .bind(org.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    append(
        &mut tx,
        &store.audit_key,
        ctx,
        org,
        "alert_group",
        &id.to_string(),
        "escalate",
        &json!({ "case_id": case_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn group_page(&self, org: Uuid, q: &AlertGroupQuery) -> Result<Page<AlertGroup>> {
        let paging = paging(q.limit, q.offset, Some("-last_event"), q.total, &[("last_event", "last_event")], "id")?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.cmp_int("alert_count", ">=", q.min_alerts.unwrap_or(2).max(1));
        self.page(GROUP_COLS, "alert_groups", &f, &paging, group_from).await
    }
}
