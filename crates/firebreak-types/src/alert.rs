//! Alerts: what detection tools send in, deduplicated by source reference.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{Level, Pap, Severity, Tlp};

/// Where an alert stands in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    New,
    InTriage,
    Closed,
    Escalated,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::New => "new",
            AlertState::InTriage => "in_triage",
            AlertState::Closed => "closed",
            AlertState::Escalated => "escalated",
        }
    }
}

/// A typed value the sender saw (an IP, a hash, a user…).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertObservable {
    /// One of Firebreak's observable types; TheHive's data types are
    /// accepted too (`mail`, `fqdn`, `hash`, `registry`, `user-agent`, …) and
    /// stored as the type they stand for, or as `other`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    /// The type as the sender named it, when it was not one of Firebreak's
    /// (a TheHive data type such as `user-agent` or `autonomous-system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
}

/// An alert as a sender posts it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlert {
    /// The sending system (`wazuh`, `suricata`, `elastic`, a SIEM's name).
    #[schema(schema_with = crate::text::source)]
    pub source: String,
    /// The sender's own id for the alert; with the source, what makes a repeat.
    #[schema(schema_with = crate::text::source_ref)]
    pub source_ref: String,
    /// The kind of alert, as the sender names it.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The detection rule that raised it, as the sender names it (a rule id
    /// or name); dispositions are counted per rule.
    #[serde(default)]
    pub rule: Option<String>,
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Severity,
    /// When the event happened (default: when it was received).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub event_time: Option<OffsetDateTime>,
    #[serde(default)]
    #[schema(schema_with = crate::text::tags)]
    pub tags: Vec<String>,
    #[serde(default = "amber")]
    pub tlp: Tlp,
    #[serde(default = "pap_amber")]
    pub pap: Pap,
    #[serde(default)]
    pub observables: Vec<AlertObservable>,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    /// The original event, kept as received.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub raw: RawEvent,
}

/// An event as its sender wrote it: the JSON text, byte for byte, never
/// parsed into a tree on the way in, nor serialised again on the way out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawEvent(Box<serde_json::value::RawValue>);

impl RawEvent {
    /// The JSON text of `value`.
    pub fn from_value(value: &serde_json::Value) -> RawEvent {
        RawEvent(serde_json::value::to_raw_value(value).unwrap_or_else(|_| null_raw()))
    }

    /// `text`, if it is one JSON value.
    pub fn from_text(text: String) -> serde_json::Result<RawEvent> {
        serde_json::value::RawValue::from_string(text).map(RawEvent)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }

    /// The event as a JSON tree; `null` if it nests deeper than a tree is
    /// read (128 levels; intake refuses such events).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(self.0.get()).unwrap_or(serde_json::Value::Null)
    }
}

fn null_raw() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::NULL.to_owned()
}

impl Default for RawEvent {
    fn default() -> RawEvent {
        RawEvent(null_raw())
    }
}

/// The same text is the same event.
impl PartialEq for RawEvent {
    fn eq(&self, other: &RawEvent) -> bool {
        self.get() == other.get()
    }
}

fn amber() -> Tlp {
    Tlp::Amber
}
fn pap_amber() -> Pap {
    Pap::Amber
}
fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: Uuid,
    pub org_id: Uuid,
    pub source: String,
    pub source_ref: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub rule: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub event_time: OffsetDateTime,
    pub tags: Vec<String>,
    pub tlp: Tlp,
    pub pap: Pap,
    /// Normalised, duplicates collapsed.
    pub observables: Vec<AlertObservable>,
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    pub raw: RawEvent,
    pub state: AlertState,
    /// How many times the sender sent it (1 for the first).
    pub occurrences: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: OffsetDateTime,
    /// Who took it in triage.
    #[serde(default)]
    pub assignee_id: Option<Uuid>,
    /// When it was first taken (its acknowledge time).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub disposition: Option<Disposition>,
    #[serde(default)]
    pub disposition_reason: Option<String>,
    /// The case it was escalated into.
    #[serde(default)]
    pub case_id: Option<Uuid>,
    /// When it was triaged: closed with a disposition, or escalated.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// Assets of the inventory the alert's hosts, IPs and accounts match.
    #[serde(default)]
    pub assets: Vec<Uuid>,
    /// The queue's order: the severity's rank (low 1 … critical 4), plus 1
    /// when a matched asset is of high criticality, plus 2 when critical.
    #[serde(default)]
    pub triage_rank: i64,
    /// The story (alert group) it belongs to.
    #[serde(default)]
    pub group_id: Option<Uuid>,
}

/// How a closed alert was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    FalsePositive,
    BenignTruePositive,
    Duplicate,
}

/// Close an alert with a disposition and a reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseAlert {
    pub disposition: Disposition,
    #[schema(schema_with = crate::text::required)]
    pub reason: String,
}

/// Escalate an alert: into a new case (optionally from a template) or into
/// an existing open case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateAlert {
    pub template_id: Option<Uuid>,
    /// Merge into this open case instead of opening one.
    pub case_id: Option<Uuid>,
    /// The new case's impact; by default, from the most critical asset the
    /// alerts touch (see `urgency`).
    #[serde(default)]
    pub impact: Option<Level>,
    /// The new case's urgency; by default, from the most severe alert's
    /// severity. Together they set the case's priority: a low alert makes a
    /// P4, medium P3, high P2, critical P1, an alert on a high or critical
    /// asset one or two steps more.
    #[serde(default)]
    pub urgency: Option<Level>,
}

/// What happened to one item of a bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    /// A new alert.
    Created,
    /// A repeat of an alert seen before (same source and source reference).
    Duplicate,
    /// Refused; the item's field and reason say why.
    Rejected,
    /// Not an alert of its format (say, a line of another kind of event).
    Skipped,
}

impl BulkStatus {
    pub const ALL: [BulkStatus; 4] =
        [BulkStatus::Created, BulkStatus::Duplicate, BulkStatus::Rejected, BulkStatus::Skipped];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkStatus::Created => "created",
            BulkStatus::Duplicate => "duplicate",
            BulkStatus::Rejected => "rejected",
            BulkStatus::Skipped => "skipped",
        }
    }
}

/// What happened to one item of a bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkItem {
    /// Its position in the request, from 0 (for NDJSON, the line number minus one).
    pub index: usize,
    pub status: BulkStatus,
    /// The alert (for a duplicate, the one it repeats).
    pub id: Option<Uuid>,
    pub field: Option<String>,
    pub reason: Option<String>,
}

/// The answer to one alert sent on its own: the stored alert, and whether
/// it was new (`created`) or repeated one seen before (`duplicate`: the
/// alert it repeats, its occurrences counted).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SentAlert {
    /// `created` or `duplicate`.
    pub status: BulkStatus,
    #[serde(flatten)]
    pub alert: Alert,
}

impl<'de> Deserialize<'de> for SentAlert {
    /// serde's `flatten` buffers the alert's fields, which its raw event (kept
    /// as JSON text) cannot be read from: the status is taken out, and the
    /// rest read as an alert from its text.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SentAlert, D::Error> {
        use serde::de::Error;
        let mut fields = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        let status = fields.remove("status").ok_or_else(|| D::Error::missing_field("status"))?;
        let status = BulkStatus::deserialize(status).map_err(D::Error::custom)?;
        let text = serde_json::to_string(&fields).map_err(D::Error::custom)?;
        let alert = serde_json::from_str(&text).map_err(D::Error::custom)?;
        Ok(SentAlert { status, alert })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkResult {
    pub created: usize,
    pub duplicates: usize,
    pub rejected: usize,
    /// Events of an adapter's format that are not alerts (Suricata flow
    /// records, say).
    #[serde(default)]
    pub skipped: usize,
    pub items: Vec<BulkItem>,
}

/// A file attached to an alert (sent with it, or added during triage):
/// stored whole in the data folder as evidence is, with its SHA-256, and
/// counted in the organisation's storage limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertAttachment {
    pub id: Uuid,
    pub alert_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    /// Who attached it (the sender, for a file sent with the alert).
    pub added_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub added_at: OffsetDateTime,
}

/// Observables an analyst adds to an open alert after intake: read as
/// intake reads an alert's (`type` one of Firebreak's or a TheHive data
/// type), those the alert already has left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAlertObservables {
    pub observables: Vec<AlertObservable>,
}

/// What an analyst changes of what an alert says; the rest, and the event
/// as its sender sent it (`raw`), stay. A field left out is unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmendAlert {
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<Severity>,
    pub tags: Option<Vec<String>>,
    pub tlp: Option<Tlp>,
    pub pap: Option<Pap>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
}

/// Filters of the alert list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    pub state: Option<AlertState>,
    pub severity: Option<Severity>,
    pub source: Option<String>,
    /// The detection rule that raised it.
    pub rule: Option<String>,
    /// Alerts that touch this asset of the inventory.
    pub asset_id: Option<Uuid>,
    /// Alerts taken by this user.
    pub assignee_id: Option<Uuid>,
    /// Only open alerts (new or in triage), whatever `state` says; `false`
    /// is no filter.
    pub open: Option<bool>,
    /// Alerts with this tag.
    pub tag: Option<String>,
    /// Alerts of this story.
    pub group_id: Option<Uuid>,
    /// Alerts escalated or merged into this case.
    pub case_id: Option<Uuid>,
    /// Text search in the title.
    pub q: Option<String>,
    /// first_seen, last_seen, severity, triage_rank, title, event_time; `-` for descending (default
    /// `-first_seen`: newest first, an alert staying where it arrived when it repeats).
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Rows to skip; kept for compatibility: a deep page is read faster with `after`.
    pub offset: Option<u64>,
    /// Keyset paging: the `next` of the previous page (same filters and
    /// sort), so that a deep page costs what the first does. Not with
    /// `offset`, nor with the `title` sort.
    #[param(pattern = "^-?[0-9]{1,19}:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    pub after: Option<String>,
    pub total: Option<bool>,
}

/// Close many alerts with one disposition and one reason: those listed, or
/// every open one matching the filter (up to 10,000).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkClose {
    #[serde(default)]
    pub ids: Vec<Uuid>,
    /// Open alerts of this source…
    pub source: Option<String>,
    /// …raised by this rule…
    pub rule: Option<String>,
    /// …with this title text…
    pub q: Option<String>,
    /// …and this severity.
    pub severity: Option<Severity>,
    pub disposition: Disposition,
    #[schema(schema_with = crate::text::required)]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkCloseResult {
    pub closed: usize,
    /// Listed alerts that were not open (or not found).
    pub skipped: usize,
}

/// Alerts to take, each as `POST /alerts/{id}/take` would: the caller owns
/// them; those no longer open are skipped.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTake {
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
}

/// Alerts to give to one analyst (or to nobody, with `null`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssign {
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
    pub assignee_id: Option<Uuid>,
}

/// Alerts escalated together into one case: a new one (from a template when
/// given, named after the most severe alert, its priority from all of them)
/// or an open one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEscalate {
    #[schema(min_items = 1, max_items = 1000)]
    pub ids: Vec<Uuid>,
    pub template_id: Option<Uuid>,
    /// Merge into this open case instead of opening one.
    pub case_id: Option<Uuid>,
}

/// What a bulk take or assignment did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkTriageResult {
    /// Alerts changed.
    pub done: usize,
    /// Listed alerts that were not open (or not found).
    pub skipped: usize,
}

/// Assign an alert to an analyst (or to nobody, with `null`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignAlert {
    pub assignee_id: Option<Uuid>,
}

/// A comment on an alert, kept with it through triage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertComment {
    pub id: Uuid,
    pub alert_id: Uuid,
    pub author_id: Option<Uuid>,
    pub author: String,
    /// Markdown.
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlertComment {
    #[schema(schema_with = crate::text::required)]
    pub body: String,
}

/// How an organisation groups alerts into stories: alerts that share one of
/// these entities within the window belong to one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupingSettings {
    pub enabled: bool,
    /// Observable types that join alerts (default: hostname, user_account,
    /// ip, md5, sha1, sha256).
    #[schema(schema_with = crate::text::observable_types)]
    pub keys: Vec<String>,
    /// How far apart, in event time, two alerts may be and still join
    /// (default 60 minutes).
    #[schema(minimum = 1, maximum = 10080)]
    pub window_minutes: u32,
    /// Values that never join alerts, because nearly every alert has them
    /// (`system`, `root`, a proxy's address…). Compared case-insensitively.
    #[schema(max_items = 1000)]
    pub ignore: Vec<String>,
    /// Whether addresses no one host owns join alerts: unspecified
    /// (0.0.0.0, ::), loopback, link-local, multicast, reserved (240/4 with
    /// the limited broadcast 255.255.255.255, 0/8) and private IPv4
    /// addresses ending in `.255` (taken for a subnet's broadcast). Off by
    /// default: they are shared, not evidence of one story.
    #[serde(default)]
    pub join_non_routable: bool,
    /// A value carried by more than this share (in percent) of the
    /// organisation's alerts of a window's period stops joining alerts
    /// there, as a gateway or a DNS server would (default 5; 100 never
    /// stops one).
    #[serde(default = "default_max_share_percent")]
    #[schema(minimum = 1, maximum = 100, default = 5)]
    pub max_share_percent: u32,
    /// The share applies once the period holds at least this many alerts,
    /// so that a small organisation's stories are not cut (default 50).
    #[serde(default = "default_share_min_alerts")]
    #[schema(minimum = 1, maximum = 1000000, default = 50)]
    pub share_min_alerts: u32,
}

fn default_max_share_percent() -> u32 {
    5
}

fn default_share_min_alerts() -> u32 {
    50
}

/// A story: alerts that share an entity within the organisation's window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertGroup {
    pub id: Uuid,
    pub org_id: Uuid,
    /// The first alert's title.
    pub title: String,
    /// The highest severity among its alerts.
    pub severity: Severity,
    pub alert_count: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_event: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_event: OffsetDateTime,
    /// The case it was escalated into.
    pub case_id: Option<Uuid>,
}

/// One entity of a story and how many of its alerts carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupEntity {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub alerts: usize,
}

/// A story with its alerts in event-time order (its timeline) and its entities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlertGroupDetail {
    pub group: AlertGroup,
    pub entities: Vec<GroupEntity>,
    /// Oldest first, up to 500.
    pub alerts: Vec<Alert>,
}

/// Filters of the story list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertGroupQuery {
    /// Only stories of at least this many alerts (default 2).
    pub min_alerts: Option<i64>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    pub offset: Option<u64>,
    pub total: Option<bool>,
}

#[cfg(test)]
mod bulk_status_tests {
    use super::*;

    #[test]
    fn a_bulk_status_is_written_as_its_name() {
        for s in BulkStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
    }
}
