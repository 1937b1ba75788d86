//! What a case holds beside its record: tasks and their logs, templates,
//! observables and sightings, timeline entries, escalations; and what an
//! organisation keeps for its cases: notifications and webhooks.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{CaseState, Role, Severity, Tier, Tlp};

// ---------------------------------------------------------------------------
// Tasks and templates

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

/// A piece of work on a case, placed in the phase it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub case_id: Uuid,
    pub phase: CaseState,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub status: TaskStatus,
    pub assignee_id: Option<Uuid>,
    /// The role expected to take it, from the template.
    pub assignee_role: Option<Role>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Defaults to the phase the case is in.
    pub phase: Option<CaseState>,
    pub assignee_id: Option<Uuid>,
    pub assignee_role: Option<Role>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    #[schema(schema_with = crate::text::title_or_null)]
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<TaskStatus>,
    pub phase: Option<CaseState>,
    #[serde(default, with = "crate::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    #[serde(default, with = "crate::double_option_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<OffsetDateTime>>,
}

/// A Markdown entry in a task's log, with evidence attached by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskLog {
    pub id: Uuid,
    pub task_id: Uuid,
    pub body: String,
    pub attachments: Vec<Uuid>,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskLog {
    /// Markdown.
    #[schema(schema_with = crate::text::required)]
    pub body: String,
    /// Evidence of the same case to attach.
    #[serde(default)]
    pub attachments: Vec<Uuid>,
}

/// A task a template creates, due `due_hours` after the case is opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateTask {
    pub phase: CaseState,
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub assignee_role: Option<Role>,
    pub due_hours: Option<u32>,
}

/// Defaults for a category of case: severity, tags and tasks by phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseTemplate {
    pub id: Uuid,
    pub name: String,
    pub category: String,
    pub description: String,
    pub severity: Option<Severity>,
    pub tags: Vec<String>,
    pub tasks: Vec<TemplateTask>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    #[schema(schema_with = crate::text::name)]
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub description: String,
    pub severity: Option<Severity>,
    #[serde(default)]
    #[schema(schema_with = crate::text::tags)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub tasks: Vec<TemplateTask>,
}

// ---------------------------------------------------------------------------
// Observables

/// A typed observable on a case; `value` is normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Observable {
    pub id: Uuid,
    pub case_id: Uuid,
    /// ip, domain, url, email, md5, sha1, sha256, filename, file_path,
    /// hostname, user_account, registry_key, process, ja3, ja3s,
    /// certificate_fingerprint, other.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    /// For IPs: public, private, loopback, link_local, reserved, multicast,
    /// documentation, unspecified, broadcast.
    pub ip_class: Option<String>,
    pub tlp: Tlp,
    pub ioc: bool,
    pub tags: Vec<String>,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateObservable {
    #[serde(rename = "type")]
    pub kind: String,
    /// Defanged forms (`hxxp`, `[.]`) are accepted.
    pub value: String,
    #[serde(default = "tlp_amber")]
    pub tlp: Tlp,
    #[serde(default)]
    pub ioc: bool,
    #[serde(default)]
    #[schema(schema_with = crate::text::tags)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub description: String,
}

fn tlp_amber() -> Tlp {
    Tlp::Amber
}

/// Where else an observable was seen: another case of the organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sighting {
    pub case_id: Uuid,
    pub case_number: i64,
    pub case_title: String,
    pub observable_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: OffsetDateTime,
}

/// An observable with its sightings elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ObservableWithSightings {
    #[serde(flatten)]
    pub observable: Observable,
    pub sightings: Vec<Sighting>,
    /// Alerts outside this case that carry the same type and value, newest
    /// first: at most 50 (none for a caller who may not read alerts).
    #[serde(default)]
    pub alerts: Vec<Uuid>,
}

// ---------------------------------------------------------------------------
// Timeline

/// What a timeline entry came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceRef {
    /// alert, task_log, evidence, transition, escalation, observable.
    pub kind: String,
    pub id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub case_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub description: String,
    /// ATT&CK tactic id (TA0001…).
    pub tactic: Option<String>,
    /// ATT&CK technique id (T1566, T1566.001…).
    pub technique: Option<String>,
    pub asset: Option<String>,
    pub source: Option<SourceRef>,
    /// Added by Firebreak itself (a state change, an escalation).
    pub automatic: bool,
    pub author: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTimelineEntry {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    #[schema(schema_with = crate::text::required)]
    pub description: String,
    /// A tactic id (TA0001) or name ("Initial Access"); implied by the technique when absent.
    pub tactic: Option<String>,
    pub technique: Option<String>,
    pub asset: Option<String>,
    pub source: Option<SourceRef>,
}

// ---------------------------------------------------------------------------
// Escalation and notifications

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateCase {
    /// The tier to hand the case to.
    pub tier: Option<Tier>,
    /// A team of the organisation's directory, by id.
    pub team_id: Option<Uuid>,
    #[schema(schema_with = crate::text::required)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Escalation {
    pub id: Uuid,
    pub case_id: Uuid,
    pub from_tier: Tier,
    pub to_tier: Tier,
    pub team_id: Option<Uuid>,
    pub team_name: Option<String>,
    pub reason: String,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Users notified.
    pub notified: Vec<Uuid>,
}

/// A message to one user in the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The event: case.escalated, case.sla_at_risk, case.update_due…
    pub event: String,
    pub case_id: Option<Uuid>,
    pub text: String,
    pub read: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// A team of the directory: who is in it and who it reports to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Users of the organisation who act for the team.
    pub members: Vec<Uuid>,
    pub reports_to: Option<Uuid>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    #[schema(schema_with = crate::text::name)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub members: Vec<Uuid>,
    pub reports_to: Option<Uuid>,
    pub email: Option<String>,
}

// ---------------------------------------------------------------------------
// Webhooks

/// The case events a webhook can subscribe to.
/// Alert events a webhook may name (sent only to webhooks that name them).
pub const ALERT_EVENTS: &[&str] = &["alert.created"];

/// Events of what a case or an alert holds: sent to webhooks that name
/// them, and to a webhook in TheHive's format that names no event.
pub const ITEM_EVENTS: &[&str] = &[
    "task.created",
    "task.updated",
    "task_log.created",
    "observable.created",
    "observable.updated",
    "observable.deleted",
    "comment.created",
    "procedure.created",
];

/// Every event a webhook may name: the case events, the alert events, then
/// the events of what cases and alerts hold.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "case.created",
    "case.transitioned",
    "case.escalated",
    "case.sla_at_risk",
    "case.sla_breached",
    "case.update_due",
    "alert.created",
    "task.created",
    "task.updated",
    "task_log.created",
    "observable.created",
    "observable.updated",
    "observable.deleted",
    "comment.created",
    "procedure.created",
];

pub const CASE_EVENTS: &[&str] = &[
    "case.created",
    "case.transitioned",
    "case.escalated",
    "case.sla_at_risk",
    "case.sla_breached",
    "case.update_due",
];

/// The body a webhook sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Firebreak's own event body.
    #[default]
    Firebreak,
    /// TheHive 5's notification (`operation`, `objectType`, `object`,
    /// `details`, …), for workflows written for TheHive's webhooks.
    Thehive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    /// Events sent; empty means every case event (alert events are sent
    /// only to webhooks that name them; the events of tasks, logs,
    /// observables, comments and procedures to those that name them and to
    /// those in TheHive's format).
    pub events: Vec<String>,
    /// The body sent: `firebreak` (the default) or `thehive`.
    #[serde(default)]
    pub format: WebhookFormat,
    pub enabled: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    #[schema(schema_with = crate::text::name)]
    pub name: String,
    /// http or https.
    #[schema(schema_with = crate::text::web_address)]
    pub url: String,
    #[serde(default)]
    #[schema(schema_with = crate::text::case_events)]
    pub events: Vec<String>,
    /// The HMAC-SHA256 key; generated (and shown once) when absent.
    #[schema(schema_with = crate::text::secret_or_null)]
    pub secret: Option<String>,
    /// The body sent: `firebreak` (the default) or `thehive`.
    #[serde(default)]
    pub format: WebhookFormat,
}

/// A webhook as created, with its signing secret (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    Delivered,
    /// Gave up after the last retry.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }
}

/// One event sent (or to be sent) to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub event: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

// ---------------------------------------------------------------------------
// Evidence

/// A file kept as evidence: stored whole in the data folder, with the
/// SHA-256 and size computed while it streamed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub id: Uuid,
    pub case_id: Uuid,
    pub filename: String,
    pub description: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub collected_by: String,
    /// Where it was taken from (a host, a mailbox, a cloud account).
    pub collected_from: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub collected_at: OffsetDateTime,
    /// Where the file is kept now (the last custody entry that moved it).
    pub stored_at: String,
}

/// One link in an item's chain of custody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustodyEntry {
    pub id: Uuid,
    pub evidence_id: Uuid,
    /// collected, downloaded, transferred, stored, verified, verify_failed.
    pub action: String,
    pub actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// Who it went to (transferred).
    pub to: Option<String>,
    /// Where it is kept (stored).
    pub location: Option<String>,
    pub note: String,
}

/// A custody event recorded by hand: a hand-over or a move.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustodyEntry {
    /// transferred or stored.
    pub action: String,
    pub to: Option<String>,
    pub location: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// What a verification found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceVerification {
    pub evidence_id: Uuid,
    pub ok: bool,
    pub expected_sha256: String,
    pub actual_sha256: Option<String>,
    pub expected_size: u64,
    pub actual_size: Option<u64>,
    /// Why it failed, when it did.
    pub problem: Option<String>,
}

// ---------------------------------------------------------------------------
// Comments and pages

/// A comment on a case: the team's discussion beside the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseComment {
    pub id: Uuid,
    pub case_id: Uuid,
    /// Markdown.
    pub body: String,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it was last edited; absent until then.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<OffsetDateTime>,
}

/// A page of a case: a titled Markdown note (a report draft, a runbook
/// followed, what was learned), filed under a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CasePage {
    pub id: Uuid,
    pub case_id: Uuid,
    pub title: String,
    pub category: String,
    /// Markdown.
    pub content: String,
    /// Where it stands among the case's pages (lowest first).
    pub order: i64,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CasePageInput {
    #[schema(schema_with = crate::text::title_or_null)]
    pub title: Option<String>,
    pub category: Option<String>,
    pub content: Option<String>,
    pub order: Option<i64>,
}

/// Fields of an observable to change; its type and value stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateObservable {
    pub tlp: Option<Tlp>,
    pub ioc: Option<bool>,
    #[schema(schema_with = crate::text::tags_or_null)]
    pub tags: Option<Vec<String>>,
    pub description: Option<String>,
}
