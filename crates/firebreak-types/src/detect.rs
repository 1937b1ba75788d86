//! Detection rules: the Sigma rule library of an organisation, its use-case
//! wrapping (purpose, owner, lifecycle, enabled), and event matching.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Where a rule stands in its use case's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UseCaseStatus {
    #[default]
    Draft,
    Testing,
    Production,
    Retired,
}

impl UseCaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UseCaseStatus::Draft => "draft",
            UseCaseStatus::Testing => "testing",
            UseCaseStatus::Production => "production",
            UseCaseStatus::Retired => "retired",
        }
    }
}

/// A Sigma rule's `status`; `""` when the rule states none (filters may not).
///
/// Documented as a string: the unstated status is the empty string, which
/// the schema generator cannot name as an enum value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Stable,
    Test,
    Experimental,
    Deprecated,
    Unsupported,
    #[default]
    #[serde(rename = "")]
    Unstated,
}

impl RuleStatus {
    /// Every status a rule can state, from the most to the least settled.
    pub const ALL: [RuleStatus; 5] = [
        RuleStatus::Stable,
        RuleStatus::Test,
        RuleStatus::Experimental,
        RuleStatus::Deprecated,
        RuleStatus::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Stable => "stable",
            RuleStatus::Test => "test",
            RuleStatus::Experimental => "experimental",
            RuleStatus::Deprecated => "deprecated",
            RuleStatus::Unsupported => "unsupported",
            RuleStatus::Unstated => "",
        }
    }
}

impl std::fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Sigma rule's `level`; `""` when the rule states none (filters do not).
///
/// Documented as a string, as [`RuleStatus`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleLevel {
    Informational,
    Low,
    Medium,
    High,
    Critical,
    #[default]
    #[serde(rename = "")]
    Unstated,
}

impl RuleLevel {
    /// Every level a rule can state, from the least to the most severe.
    pub const ALL: [RuleLevel; 5] =
        [RuleLevel::Informational, RuleLevel::Low, RuleLevel::Medium, RuleLevel::High, RuleLevel::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Informational => "informational",
            RuleLevel::Low => "low",
            RuleLevel::Medium => "medium",
            RuleLevel::High => "high",
            RuleLevel::Critical => "critical",
            RuleLevel::Unstated => "",
        }
    }
}

impl std::fmt::Display for RuleLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Sigma rule in an organisation's library, with its use case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    pub id: Uuid,
    /// The Sigma document's own `id`.
    pub sigma_id: String,
    /// detection, correlation or filter.
    pub kind: String,
    pub title: String,
    /// The Sigma status (stable, test, experimental, deprecated, unsupported).
    #[schema(value_type = String)]
    pub status: RuleStatus,
    /// informational, low, medium, high or critical.
    #[schema(value_type = String)]
    pub level: RuleLevel,
    pub description: String,
    pub author: String,
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags.
    pub techniques: Vec<String>,
    pub product: String,
    pub category: String,
    pub service: String,
    pub falsepositives: Vec<String>,
    pub references: Vec<String>,
    /// The YAML as imported (the whole file for multi-document files).
    pub yaml: String,
    /// The file it was imported from.
    pub file: String,
    /// What the use case is for.
    #[serde(default)]
    pub purpose: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub use_case: UseCaseStatus,
    /// Whether events are matched against it in this organisation.
    pub enabled: bool,
    /// 1 for the first import, up by one with every changed re-import.
    pub revision: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// An earlier text of a rule, kept when a re-import changed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleRevision {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub revision: i64,
    pub yaml: String,
    /// Who imported this text.
    pub changed_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
}

/// A rule file sent for import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Its name, used in problem reports.
    pub name: String,
    /// The YAML text (one or more documents).
    pub content: String,
}

/// Rule files to import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleImport {
    pub files: Vec<RuleFile>,
    /// Enable the new rules at once (default: false, they start as drafts).
    #[serde(default)]
    pub enable: bool,
}

/// A rule that could not be imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleProblem {
    pub file: String,
    pub line: usize,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: Vec<RuleProblem>,
}

/// A change to a rule's use case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    pub enabled: Option<bool>,
    pub use_case: Option<UseCaseStatus>,
    pub purpose: Option<String>,
    pub owner: Option<String>,
}

/// Filters of the rule list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleQuery {
    /// Words in the title, description or Sigma id.
    pub q: Option<String>,
    /// The Sigma status.
    pub status: Option<String>,
    pub level: Option<String>,
    /// An ATT&CK technique id (T1059 also finds T1059.001) or tactic tag (execution).
    pub attack: Option<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    pub enabled: Option<bool>,
    pub use_case: Option<UseCaseStatus>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub offset: Option<u64>,
}

/// What matching a batch of events did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventBulkResult {
    /// Events read.
    pub events: usize,
    /// Rule matches found.
    pub matches: usize,
    /// Alerts created from the matches (the rest repeated earlier ones).
    pub alerts_created: usize,
    pub alerts_repeated: usize,
    /// Items that were not JSON objects, by index, with the reason.
    pub rejected: Vec<EventRejection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventRejection {
    pub index: usize,
    pub reason: String,
}

/// How an exception narrows its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// The rule does not fire when the field matches one of the values
    /// ("not on these hosts", "not for this parent process").
    #[default]
    Exclude,
    /// The rule fires only when the field matches one of the values
    /// ("only for these users").
    Only,
}

/// How an exception's values are compared with the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionMatch {
    #[default]
    Equals,
    Contains,
    Startswith,
    Endswith,
}

/// A tuning exception of a rule, kept as a standard Sigma filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleException {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub kind: ExceptionKind,
    /// The event field, as the rule names fields (`Computer`, `User`, `ParentImage`).
    pub field: String,
    #[serde(rename = "match")]
    pub matching: ExceptionMatch,
    pub values: Vec<String>,
    /// Why: required, shown with the rule and in the audit log.
    pub reason: String,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// After this the exception no longer applies.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
    /// The Sigma filter document that applies it (exports as standard Sigma).
    pub sigma: String,
}

/// A new tuning exception.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleException {
    #[serde(default)]
    pub kind: ExceptionKind,
    pub field: String,
    #[serde(rename = "match", default)]
    pub matching: ExceptionMatch,
    pub values: Vec<String>,
    pub reason: String,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<OffsetDateTime>,
}

/// A rule's quality over a period, from its alerts and their dispositions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleQuality {
    /// The Sigma id.
    pub rule: String,
    pub title: String,
    /// Alerts raised (first occurrences).
    pub alerts: u64,
    /// Occurrences, repeats included.
    pub hits: u64,
    pub hits_per_day: f64,
    pub false_positives: u64,
    /// Closed as benign true positives or escalated into cases.
    pub true_positives: u64,
    /// false positives / (true + false positives); absent when none was judged.
    pub false_positive_rate: Option<f64>,
}

/// The period of a quality report.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QualityQuery {
    /// Days back from now (default 30, at most 366).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
    /// How many rules (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// A named set of ATT&CK techniques that matter to the organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ThreatProfile {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The ATT&CK group it was built from, if any (`G0016`).
    pub group: Option<String>,
    pub techniques: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// A new threat profile: by hand (`techniques`), from an ATT&CK group
/// (`group`, by id or name), or both.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThreatProfile {
    #[schema(schema_with = crate::text::required)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub techniques: Vec<String>,
}

/// One technique of the coverage matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageCell {
    pub id: String,
    pub name: String,
    /// Enabled detection rules tagged with it or one of its sub-techniques.
    pub rules: u32,
    /// Of those, rules whose use case is in production.
    pub production: u32,
    /// Of those, rules with at least one test: the matrix's colour.
    #[serde(default)]
    pub tested: u32,
    /// Whether the chosen threat profile names it (or one of its sub-techniques).
    pub in_profile: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CoverageTactic {
    pub id: String,
    pub shortname: String,
    pub name: String,
    pub techniques: Vec<CoverageCell>,
}

/// ATT&CK Enterprise tactics and techniques, with how many enabled rules
/// cover each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Coverage {
    pub tactics: Vec<CoverageTactic>,
    /// Techniques with at least one enabled rule, of all techniques.
    pub covered: usize,
    pub total: usize,
    pub profile: Option<ThreatProfile>,
    /// The profile's techniques no enabled rule covers: the detection backlog.
    pub uncovered: Vec<String>,
    pub attribution: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// A threat profile to show against the coverage.
    pub profile: Option<Uuid>,
}

/// Sample events for a rule and how many of them it must match (0: none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleTest {
    pub id: Uuid,
    pub rule_id: Uuid,
    pub name: String,
    /// The events, as sent to `/api/v1/events/_bulk`.
    pub events: Vec<serde_json::Value>,
    pub expected_matches: u64,
    /// When true, at least `expected_matches` pass; otherwise exactly.
    #[serde(default)]
    pub at_least: bool,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRuleTest {
    pub name: String,
    pub events: Vec<serde_json::Value>,
    /// How many of the events the rule must match; 0 for events it must not.
    pub expected_matches: u64,
    /// At least that many, rather than exactly.
    #[serde(default)]
    pub at_least: bool,
}

/// One test run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleTestResult {
    pub rule_id: Uuid,
    pub sigma_id: String,
    pub title: String,
    pub test_id: Uuid,
    pub name: String,
    pub expected_matches: u64,
    pub at_least: bool,
    pub matches: u64,
    pub passed: bool,
}

/// How long the organisation keeps where events saw observables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// Days (1 to 3660; default 30).
    #[schema(minimum = 1, maximum = 3660)]
    pub retention_days: u32,
}

impl Default for EventSettings {
    fn default() -> Self {
        EventSettings { retention_days: 30 }
    }
}

/// A host whose events saw an observable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventSighting {
    pub host: String,
    pub events: u64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub first_seen: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen: OffsetDateTime,
}

/// Which observable to look for in the events, and how far back.
#[derive(Debug, Clone, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventSightingQuery {
    /// The observable type (`ip`, `domain`, `sha256`, `user_account`, `hostname`, …).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: String,
    pub value: String,
    /// Days back (default: the retention).
    pub days: Option<u32>,
}

/// Where a hunt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HuntStatus {
    Running,
    Done,
    Failed,
}

impl HuntStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HuntStatus::Running => "running",
            HuntStatus::Done => "done",
            HuntStatus::Failed => "failed",
        }
    }
}

/// A hunt of the organisation's enabled rules over a case's evidence file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HuntJob {
    pub id: Uuid,
    pub case_id: Uuid,
    pub evidence_id: Uuid,
    pub filename: String,
    pub status: HuntStatus,
    /// Events read so far.
    pub events: u64,
    /// Rule matches found (each on the case timeline, up to 1,000).
    pub hits: u64,
    /// Damaged records or lines skipped.
    pub skipped: u64,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    pub started_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

/// What an exception would have done to the rule's recent alerts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExceptionPreview {
    /// The rule's most recent alerts looked at (up to 500).
    pub alerts_checked: u64,
    /// Of those, the ones the exception would have suppressed.
    pub suppressed: u64,
    /// Some of them (up to 20): id and title.
    pub examples: Vec<PreviewAlert>,
    /// The Sigma filter the exception would be.
    pub sigma: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewAlert {
    pub id: Uuid,
    pub title: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_statuses_and_levels_travel_as_the_sigma_words() {
        for s in RuleStatus::ALL.into_iter().chain([RuleStatus::Unstated]) {
            let json = serde_json::to_value(s).expect("serialises");
            assert_eq!(json, serde_json::json!(s.as_str()));
            assert_eq!(serde_json::from_value::<RuleStatus>(json).expect("reads back"), s);
        }
        for l in RuleLevel::ALL.into_iter().chain([RuleLevel::Unstated]) {
            let json = serde_json::to_value(l).expect("serialises");
            assert_eq!(json, serde_json::json!(l.as_str()));
            assert_eq!(serde_json::from_value::<RuleLevel>(json).expect("reads back"), l);
        }
        assert_eq!(serde_json::to_value(RuleLevel::Unstated).expect("serialises"), serde_json::json!(""));
        assert!(serde_json::from_value::<RuleLevel>(serde_json::json!("severe")).is_err());
    }
}
