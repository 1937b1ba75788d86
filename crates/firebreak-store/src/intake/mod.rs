//! Alert intake: batches stored in one transaction each, deduplicated by
//! key, repeats counted, new alerts put in stories.
//!
//! The algorithm is [`plan`]'s, written once; each backend carries it out
//! with its own driver: [`sqlite`], a writer thread of its own on a
//! `rusqlite` connection, with group commit; [`postgres`], multi-row
//! statements through sqlx in the request's transaction. Hand-built
//! because it is the heart of intake speed: one statement per alert would
//! cost an order of magnitude.
//!
//! Stories: what the API calls an alert group (`AlertGroup`, the
//! `alert_groups` table, an alert's `group_id`) is a story here; the wire
//! and column names stay as they are.

pub(crate) mod plan;
pub(crate) mod postgres;
pub(crate) mod sqlite;
pub(crate) mod story_memory;

use firebreak_types::Alert;
use uuid::Uuid;

use crate::idempotency::{Idempotency, Intake};
use crate::{Grouping, Result, SqlStore, StoreError, WriteCtx};

/// How a count of `alert_counts` adds to the one stored.
pub(crate) const COUNTS_UPSERT: &str = "ON CONFLICT (org_id, hour, source, rule, severity) \
    DO UPDATE SET alerts = alert_counts.alerts + excluded.alerts";

/// How a batch's [`plan::StoryTotal`] adds to a story already stored.
pub(crate) const STORY_UPSERT: &str = "ON CONFLICT (id) DO UPDATE SET \
    alert_count = alert_groups.alert_count + excluded.alert_count, \
    severity_rank = CASE WHEN excluded.severity_rank > alert_groups.severity_rank \
      THEN excluded.severity_rank ELSE alert_groups.severity_rank END, \
    first_event = CASE WHEN excluded.first_event < alert_groups.first_event \
      THEN excluded.first_event ELSE alert_groups.first_event END, \
    last_event = CASE WHEN excluded.last_event > alert_groups.last_event \
      THEN excluded.last_event ELSE alert_groups.last_event END";

/// The audit entry of a batch: its object is the batch, named afresh.
pub(crate) fn audit_entry<'a>(batch_id: &'a str, details: &'a serde_json::Value) -> crate::audit::Entry<'a> {
    crate::audit::Entry { object_type: "alert_batch", object_id: batch_id, action: "ingest", changes: details }
}

impl SqlStore {
    /// Stores a batch (see [`crate::AlertStore::ingest_alerts_once`]): on
    /// SQLite by its writer, on PostgreSQL in a transaction of its own.
    pub(crate) async fn ingest(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Option<Idempotency>,
    ) -> Result<Intake> {
        if let Some(batches) = &self.batches {
            return send_batch(batches, ctx, org, alerts, grouping, once).await;
        }
        match once {
            Some(once) => self.ingest_once_in_tx(ctx, org, &alerts, grouping.as_ref(), &once).await,
            None => {
                let mut tx = self.writer.begin().await?;
                let out = postgres::ingest_in(&mut tx, &self.audit_key, ctx, org, &alerts, grouping.as_ref()).await?;
                tx.commit().await?;
                Ok(Intake::Stored(out))
            }
        }
    }
}

/// Hands a batch to the SQLite writer and waits for its answer.
async fn send_batch(
    batches: &tokio::sync::mpsc::UnboundedSender<sqlite::Batch>,
    ctx: &WriteCtx,
    org: Uuid,
    alerts: Vec<Alert>,
    grouping: Option<Grouping>,
    once: Option<Idempotency>,
) -> Result<Intake> {
    let (done, answer) = tokio::sync::oneshot::channel();
    let (job, work) = sqlite::Batch::new(ctx.clone(), org, alerts, grouping, once, done);
    batches.send(job).map_err(|_| StoreError::Unavailable("the alert writer has stopped".into()))?;
    let answer = answer.await;
    // The writer let go of its share before answering: the batch is freed
    // here.
    drop(work);
    answer.map_err(|_| StoreError::Unavailable("the alert writer stopped before answering".into()))?
}
