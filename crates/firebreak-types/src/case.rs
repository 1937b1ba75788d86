use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// How bad it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Impact or urgency, the two inputs of the priority matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Low, Level::Medium, Level::High];
    /// As sent: `low`, `medium`, `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];
    /// As stored and sent: `P1`…`P4`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }
}

/// Traffic Light Protocol: who may see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// Permissible Actions Protocol: what may be done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pap {
    Clear,
    Green,
    Amber,
    Red,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Tier {
    L1,
    L2,
    L3,
}

/// Where a case stands (NIST SP 800-61 phases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    New,
    Analysis,
    Containment,
    Eradication,
    Recovery,
    Review,
    Closed,
    Cancelled,
    Merged,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::New,
        CaseState::Analysis,
        CaseState::Containment,
        CaseState::Eradication,
        CaseState::Recovery,
        CaseState::Review,
        CaseState::Closed,
        CaseState::Cancelled,
        CaseState::Merged,
    ];

    /// States in which the case is being worked on.
    pub fn is_active(self) -> bool {
        !matches!(self, CaseState::Closed | CaseState::Cancelled | CaseState::Merged)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::New => "new",
            CaseState::Analysis => "analysis",
            CaseState::Containment => "containment",
            CaseState::Eradication => "eradication",
            CaseState::Recovery => "recovery",
            CaseState::Review => "review",
            CaseState::Closed => "closed",
            CaseState::Cancelled => "cancelled",
            CaseState::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    TruePositive,
    FalsePositive,
    Benign,
    Duplicate,
    /// The investigation could not tell whether it was malicious.
    Indeterminate,
    /// None of the above; the summary says what.
    Other,
}

/// The post-incident review's standing, as far as closing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    NotStarted,
    InProgress,
    Completed,
    Waived,
}

/// An incident: what a team owns from declaration to lessons learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Case {
    pub id: Uuid,
    pub org_id: Uuid,
    /// Per-organisation number, shown as `#123`.
    pub number: i64,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub severity: Option<Severity>,
    pub impact: Level,
    pub urgency: Level,
    /// Computed from impact and urgency by the organisation's matrix.
    pub priority: Priority,
    pub category: Option<String>,
    pub tlp: Tlp,
    pub pap: Pap,
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    pub tier: Tier,
    pub state: CaseState,
    pub resolution: Option<Resolution>,
    pub summary: String,
    pub review_status: ReviewStatus,
    pub review_waiver_reason: Option<String>,
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    pub merged_into: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
    /// When the team first took the case (it got an assignee or left `new`).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<OffsetDateTime>,
    /// When the threat was first contained (a containment action done, or the
    /// case moved past containment).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub contained_at: Option<OffsetDateTime>,
    /// When recovery was done: the case left `recovery` for review or closing.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub recovered_at: Option<OffsetDateTime>,
    /// The earliest event time of the alerts escalated or merged into the case.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub detected_at: Option<OffsetDateTime>,
    /// The first malicious activity, once the investigation knows it.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_activity_at: Option<OffsetDateTime>,
    /// The source of the alert the case was raised from; none when declared by hand.
    #[serde(default)]
    pub source: Option<String>,
    /// The team that owns the case: the last team it was escalated to.
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// Set while the case waits on someone outside the team; SLA clocks pause.
    pub waiting_reason: Option<String>,
    /// The spans the case waited, oldest first; the last may still be open.
    pub pauses: Vec<PauseSpan>,
    /// The SLA clocks as read now (computed, never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sla: Option<CaseSla>,
}

/// A span during which a case waited on someone outside the team.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PauseSpan {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end: Option<OffsetDateTime>,
}

/// An SLA clock's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Running, with time to spare.
    Due,
    /// Running, with less than a quarter of the target left.
    AtRisk,
    /// Past its target (running or stopped).
    Breached,
    /// Stopped within its target.
    Met,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::Due => "due",
            SlaState::AtRisk => "at_risk",
            SlaState::Breached => "breached",
            SlaState::Met => "met",
        }
    }
}

/// One SLA clock of a case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaClock {
    pub state: SlaState,
    /// The policy's target, in seconds of working (unpaused) time.
    pub target_seconds: i64,
    /// Working time used so far.
    pub used_seconds: i64,
    /// Working time left; negative once breached.
    pub left_seconds: i64,
    /// When it falls due if nothing pauses it; absent once stopped or while paused.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    pub paused: bool,
}

/// The three clocks of a case's SLA policy, chosen by its priority.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseSla {
    pub acknowledge: SlaClock,
    pub contain: SlaClock,
    pub resolve: SlaClock,
}

impl CaseSla {
    /// The worst standing of the three, for a card or a list row.
    pub fn worst(&self) -> SlaState {
        let rank = |s: SlaState| match s {
            SlaState::Met => 0,
            SlaState::Due => 1,
            SlaState::AtRisk => 2,
            SlaState::Breached => 3,
        };
        [self.acknowledge.state, self.contain.state, self.resolve.state]
            .into_iter()
            .max_by_key(|s| rank(*s))
            .unwrap_or(SlaState::Due)
    }
}

/// Start or stop waiting on someone outside the team.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetWaiting {
    pub waiting: bool,
    /// Who or what the case waits for; required when `waiting` is true.
    #[serde(default)]
    pub reason: String,
}

/// Per-priority targets, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaTargetsSecs {
    pub acknowledge: i64,
    pub contain: i64,
    pub resolve: i64,
}

/// An organisation's SLA policy: targets for each priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    #[serde(rename = "P1")]
    pub p1: SlaTargetsSecs,
    #[serde(rename = "P2")]
    pub p2: SlaTargetsSecs,
    #[serde(rename = "P3")]
    pub p3: SlaTargetsSecs,
    #[serde(rename = "P4")]
    pub p4: SlaTargetsSecs,
}

impl SlaPolicy {
    pub fn for_priority(&self, p: Priority) -> SlaTargetsSecs {
        match p {
            Priority::P1 => self.p1,
            Priority::P2 => self.p2,
            Priority::P3 => self.p3,
            Priority::P4 => self.p4,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCase {
    /// 1 to 200 characters.
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub severity: Option<Severity>,
    #[serde(default = "medium")]
    pub impact: Level,
    #[serde(default = "medium")]
    pub urgency: Level,
    pub category: Option<String>,
    #[serde(default = "amber")]
    pub tlp: Tlp,
    #[serde(default = "pap_amber")]
    pub pap: Pap,
    #[serde(default)]
    #[schema(schema_with = crate::text::tags)]
    pub tags: Vec<String>,
    pub assignee_id: Option<Uuid>,
    #[serde(default = "l1")]
    pub tier: Tier,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    /// A case template: its category, severity and tags fill what is not
    /// given here, and its tasks are created with the case.
    #[serde(default)]
    pub template_id: Option<Uuid>,
}

fn medium() -> Level {
    Level::Medium
}
fn amber() -> Tlp {
    Tlp::Amber
}
fn pap_amber() -> Pap {
    Pap::Amber
}
fn l1() -> Tier {
    Tier::L1
}
fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// Fields to change; absent fields stay. `null` clears an optional field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCase {
    #[schema(schema_with = crate::text::title_or_null)]
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, with = "crate::double_option")]
    #[schema(value_type = Option<Severity>)]
    pub severity: Option<Option<Severity>>,
    pub impact: Option<Level>,
    pub urgency: Option<Level>,
    #[serde(default, with = "crate::double_option")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    pub tlp: Option<Tlp>,
    pub pap: Option<Pap>,
    #[schema(schema_with = crate::text::tags_or_null)]
    pub tags: Option<Vec<String>>,
    #[serde(default, with = "crate::double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
    pub tier: Option<Tier>,
    #[serde(default, with = "crate::double_option")]
    #[schema(value_type = Option<Resolution>)]
    pub resolution: Option<Option<Resolution>>,
    pub summary: Option<String>,
    pub review_status: Option<ReviewStatus>,
    /// Needed when `review_status` is `waived`.
    pub review_waiver_reason: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
    /// The first malicious activity, when the investigation knows it (the start of the dwell time).
    #[serde(default, with = "crate::double_option_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub first_activity_at: Option<Option<OffsetDateTime>>,
}

/// `Some(None)` for an explicit `null`, `None` for an absent field.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<Option<T>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}

/// Move a case to another state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionCase {
    pub state: CaseState,
    /// Why; required to cancel or reopen.
    #[serde(default)]
    pub reason: String,
    /// The case to merge into, when `state` is `merged`.
    pub merge_into: Option<Uuid>,
}

/// One recorded state change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseTransition {
    pub from: CaseState,
    pub to: CaseState,
    pub reason: String,
    pub actor_name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// Filters of the case list, beside the shared list parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    pub state: Option<CaseState>,
    pub severity: Option<Severity>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Uuid>,
    pub tag: Option<String>,
    pub category: Option<String>,
    /// Text search in title and description.
    pub q: Option<String>,
    /// number, created_at, updated_at, priority, severity, title; `-` for descending.
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    pub offset: Option<u64>,
    pub total: Option<bool>,
}

/// How two cases are linked, seen from the case asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseLinkKind {
    /// Linked as related (both ways).
    Related,
    /// The other case is this one's parent (the major incident grouping it).
    Parent,
    /// The other case is a child of this one.
    Child,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCase {
    pub target_id: Uuid,
    pub kind: CaseLinkKind,
}

/// A link from one case to another, with enough of the other to show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseLink {
    pub kind: CaseLinkKind,
    pub case_id: Uuid,
    pub number: i64,
    pub title: String,
    pub state: CaseState,
}

/// The type of a custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    Text,
    Number,
    Boolean,
    /// An RFC 3339 date or date-time.
    Date,
    /// One of `options`.
    Choice,
}

/// A custom field an organisation defines for its cases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldDef {
    /// The key in `custom_fields`: lower-case letters, digits and `_`.
    pub name: String,
    #[serde(default)]
    pub label: String,
    pub kind: CustomFieldKind,
    /// For `choice`.
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// How an organisation classifies its cases: the priority matrix, the
/// category taxonomy and its custom fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseSettings {
    /// `priority_matrix[impact][urgency]`, impact and urgency in the order
    /// low, medium, high.
    pub priority_matrix: [[Priority; 3]; 3],
    /// The categories a case may have.
    pub categories: Vec<String>,
    /// Fields every case of the organisation carries in `custom_fields`.
    /// With none defined, `custom_fields` is free-form.
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldDef>,
}
