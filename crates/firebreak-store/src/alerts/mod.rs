//! Alerts: the [`AlertStore`] trait and its implementation, by topic:
//! intake (`crate::intake`), reading (`queries`), triage (`triage`),
//! stories (`stories`, the API's alert groups), rule outcomes (`rules`) and
//! event sightings (`sightings`).

mod queries;
mod rules;
mod sightings;
mod stories;
mod triage;

use async_trait::async_trait;
use firebreak_types::{Alert, AlertGroup, AlertGroupQuery, AlertObservable, AlertQuery, Page};
use uuid::Uuid;

use crate::idempotency::{Idempotency, Intake, KeptAnswer};
use crate::{Grouping, Result, SqlStore, StoreError, WriteCtx};

pub(crate) use queries::{ALERT_READ_COLS, alert_from};
pub use rules::RuleOutcome;

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a batch of alerts of `org` in one transaction. Each comes back
    /// as the id it is stored under and whether it was new (`false`: it
    /// repeated an alert of the same source and source reference, whose
    /// occurrence count and last-seen time went up).
    /// With `grouping`, each new alert joins the story of the first of its
    /// entities seen within the window, or starts one.
    async fn ingest_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(Uuid, bool)>>;
    /// As [`AlertStore::ingest_alerts`], with the answer `once` makes of
    /// the outcome kept under its key in the same transaction. Should the key
    /// be kept already (and not expired), nothing is stored and the kept
    /// answer comes back, whatever the body it was kept for (the caller
    /// compares the hashes).
    async fn ingest_alerts_once(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Idempotency,
    ) -> Result<Intake>;
    /// The answer kept under `key` of `caller` in `org`, if it was first
    /// used at or after `since_ms`.
    async fn kept_answer(&self, org: Uuid, caller: &str, key: &str, since_ms: i64) -> Result<Option<KeptAnswer>>;
    /// Forgets idempotency keys first used before `before_ms`; returns how many.
    async fn prune_idempotency_keys(&self, before_ms: i64) -> Result<u64>;
    async fn get_alert(&self, org: Uuid, id: Uuid) -> Result<Option<Alert>>;
    async fn list_alerts(&self, org: Uuid, query: &AlertQuery) -> Result<Page<Alert>>;
    /// When an alert was sent again, oldest first.
    async fn alert_repeats(&self, org: Uuid, id: Uuid) -> Result<Vec<time::OffsetDateTime>>;
    /// Writes the triage fields of `after` if the alert is still in the
    /// state `before` had (`Stale` otherwise), with its audit entry.
    async fn triage_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert, action: &str) -> Result<Alert>;
    /// Writes what an analyst changed of what the alert says (title,
    /// description, severity and the triage rank it sets, tags, TLP, PAP,
    /// custom fields) if it is unchanged since `before` was read (`Stale`
    /// otherwise), with its audit entry naming each changed field.
    async fn amend_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert) -> Result<Alert>;
    /// Adds `added` to the observables of an open alert if its list is
    /// unchanged since `before` was read (`Stale` otherwise), with its audit
    /// entry listing what was added, and with them in the sightings index
    /// intake writes (alerts sharing an observable find it). The alert's
    /// story is left as intake made it: stories are the intake writer's.
    async fn add_alert_observables(&self, ctx: &WriteCtx, before: &Alert, added: &[AlertObservable]) -> Result<Alert>;
    /// Closes those of `ids` that are still open, each with its audit entry,
    /// in one transaction; returns the ids closed.
    async fn close_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        ids: &[Uuid],
        disposition: firebreak_types::Disposition,
        reason: &str,
    ) -> Result<Vec<Uuid>>;
    async fn list_alert_groups(&self, org: Uuid, query: &AlertGroupQuery) -> Result<Page<AlertGroup>>;
    async fn get_alert_group(&self, org: Uuid, id: Uuid) -> Result<Option<AlertGroup>>;
    /// Records the case a story was escalated into, with its audit entry.
    async fn set_group_case(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, case_id: Uuid) -> Result<()>;
    /// Per source rule, the alerts of `org` first seen since `since`.
    async fn rule_outcomes(&self, org: Uuid, since: time::OffsetDateTime) -> Result<Vec<RuleOutcome>>;
    /// One rule's alerts first seen since `since`, by UTC day (days since
    /// the epoch), oldest first: (day, outcome of that day's alerts).
    async fn rule_days(&self, org: Uuid, rule: &str, since: time::OffsetDateTime) -> Result<Vec<(i64, RuleOutcome)>>;
    /// Records where events saw observables: (key `type:value`, host, time in ms).
    async fn record_event_sightings(&self, org: Uuid, rows: &[(String, String, i64)]) -> Result<()>;
    /// Per host, the events that saw `key` since `since`: (host, events, first, last).
    async fn event_sightings(
        &self,
        org: Uuid,
        key: &str,
        since: time::OffsetDateTime,
    ) -> Result<Vec<(String, i64, time::OffsetDateTime, time::OffsetDateTime)>>;
    /// Forgets event sightings of `org` older than `before`; returns how many.
    async fn prune_event_sightings(&self, org: Uuid, before: time::OffsetDateTime) -> Result<u64>;
    /// Alerts of `org` that carry an observable key (`type:value`), newest first.
    async fn alerts_with_observable(
        &self,
        org: Uuid,
        key: &str,
        limit: u32,
    ) -> Result<Vec<(Uuid, time::OffsetDateTime)>>;
}

#[async_trait]
impl AlertStore for SqlStore {
    async fn ingest_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(Uuid, bool)>> {
        match self.ingest(ctx, org, alerts, grouping, None).await? {
            Intake::Stored(out) => Ok(out),
            // A batch without a key is never answered from one.
            Intake::Kept(_) => Err(StoreError::Corrupt("a batch without a key was answered from one".into())),
        }
    }

    async fn ingest_alerts_once(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        alerts: Vec<Alert>,
        grouping: Option<Grouping>,
        once: Idempotency,
    ) -> Result<Intake> {
        self.ingest(ctx, org, alerts, grouping, Some(once)).await
    }

    async fn kept_answer(&self, org: Uuid, caller: &str, key: &str, since_ms: i64) -> Result<Option<KeptAnswer>> {
        self.kept(org, caller, key, since_ms).await
    }

    async fn prune_idempotency_keys(&self, before_ms: i64) -> Result<u64> {
        self.prune_keys(before_ms).await
    }

    async fn get_alert(&self, org: Uuid, id: Uuid) -> Result<Option<Alert>> {
        queries::get_alert(self, org, id).await
    }

    async fn list_alerts(&self, org: Uuid, q: &AlertQuery) -> Result<Page<Alert>> {
        queries::list_alerts(self, org, q).await
    }

    async fn triage_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert, action: &str) -> Result<Alert> {
        triage::triage_alert(self, ctx, before, after, action).await
    }

    async fn amend_alert(&self, ctx: &WriteCtx, before: &Alert, after: &Alert) -> Result<Alert> {
        triage::amend_alert(self, ctx, before, after).await
    }

    async fn add_alert_observables(&self, ctx: &WriteCtx, before: &Alert, added: &[AlertObservable]) -> Result<Alert> {
        triage::add_alert_observables(self, ctx, before, added).await
    }

    async fn close_alerts(
        &self,
        ctx: &WriteCtx,
        org: Uuid,
        ids: &[Uuid],
        disposition: firebreak_types::Disposition,
        reason: &str,
    ) -> Result<Vec<Uuid>> {
        triage::close_alerts(self, ctx, org, ids, disposition, reason).await
    }

    async fn list_alert_groups(&self, org: Uuid, query: &AlertGroupQuery) -> Result<Page<AlertGroup>> {
        stories::list_alert_groups(self, org, query).await
    }

    async fn get_alert_group(&self, org: Uuid, id: Uuid) -> Result<Option<AlertGroup>> {
        stories::get_alert_group(self, org, id).await
    }

    async fn set_group_case(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, case_id: Uuid) -> Result<()> {
        stories::set_group_case(self, ctx, org, id, case_id).await
    }

    async fn rule_outcomes(&self, org: Uuid, since: time::OffsetDateTime) -> Result<Vec<RuleOutcome>> {
        rules::rule_outcomes(self, org, since).await
    }

    async fn record_event_sightings(&self, org: Uuid, rows: &[(String, String, i64)]) -> Result<()> {
        sightings::record_event_sightings(self, org, rows).await
    }

    async fn event_sightings(
        &self,
        org: Uuid,
        key: &str,
        since: time::OffsetDateTime,
    ) -> Result<Vec<(String, i64, time::OffsetDateTime, time::OffsetDateTime)>> {
        sightings::event_sightings(self, org, key, since).await
    }

    async fn prune_event_sightings(&self, org: Uuid, before: time::OffsetDateTime) -> Result<u64> {
        sightings::prune_event_sightings(self, org, before).await
    }

    async fn rule_days(&self, org: Uuid, rule: &str, since: time::OffsetDateTime) -> Result<Vec<(i64, RuleOutcome)>> {
        rules::rule_days(self, org, rule, since).await
    }

    async fn alerts_with_observable(
        &self,
        org: Uuid,
        key: &str,
        limit: u32,
    ) -> Result<Vec<(Uuid, time::OffsetDateTime)>> {
        queries::alerts_with_observable(self, org, key, limit).await
    }

    async fn alert_repeats(&self, org: Uuid, id: Uuid) -> Result<Vec<time::OffsetDateTime>> {
        queries::alert_repeats(self, org, id).await
    }
}
