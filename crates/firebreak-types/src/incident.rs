//! Incident management around a case: who holds which role, who was told
//! what and when the next update is due, what was asked of others, the
//! response actions taken, and the post-incident review with its actions.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }
    };
}

wire_enum!(
    /// A role on a case.
    CaseRoleKind {
        IncidentManager => "incident_manager",
        LeadResponder => "lead_responder",
        Responder => "responder",
        Communications => "communications",
        Scribe => "scribe",
        BusinessOwner => "business_owner",
    }
);

wire_enum!(
    Channel { Email => "email", Phone => "phone", Chat => "chat", Meeting => "meeting", Update => "update", Other => "other" }
);

wire_enum!(Direction { Inbound => "inbound", Outbound => "outbound" });

wire_enum!(
    /// What a request asks for: an action of a business team, or new detection.
    RequestKind { Business => "business", Detection => "detection" }
);

wire_enum!(
    RequestStatus { Open => "open", InProgress => "in_progress", Done => "done", Declined => "declined" }
);

wire_enum!(
    ActionKind {
        IsolateHost => "isolate_host",
        DisableAccount => "disable_account",
        ResetCredentials => "reset_credentials",
        BlockIndicator => "block_indicator",
        Patch => "patch",
        RestoreFromBackup => "restore_from_backup",
        Other => "other",
    }
);

impl ActionKind {
    /// Actions that contain a threat; the first one done marks the case contained.
    pub fn contains(self) -> bool {
        matches!(
            self,
            ActionKind::IsolateHost
                | ActionKind::DisableAccount
                | ActionKind::ResetCredentials
                | ActionKind::BlockIndicator
        )
    }
}

wire_enum!(
    ActionStatus {
        Requested => "requested",
        InProgress => "in_progress",
        Done => "done",
        Failed => "failed",
        RolledBack => "rolled_back",
    }
);

wire_enum!(ItemStatus { Open => "open", Done => "done" });

wire_enum!(
    /// Who a stakeholder update is written for.
    Audience { Executive => "executive", Technical => "technical" }
);

/// Someone holding a role on a case: a user, or a person named in free text
/// (a business owner outside Firebreak).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseRole {
    pub id: Uuid,
    pub case_id: Uuid,
    pub role: CaseRoleKind,
    pub user_id: Option<Uuid>,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub assigned_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCaseRole {
    pub role: CaseRoleKind,
    /// A user of the organisation…
    pub user_id: Option<Uuid>,
    /// …or a name, for someone outside it.
    #[schema(schema_with = crate::text::title_or_null)]
    pub name: Option<String>,
}

/// One exchange with someone about the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Communication {
    pub id: Uuid,
    pub case_id: Uuid,
    /// Who: a contact's name or free text.
    pub contact: String,
    pub channel: Channel,
    pub direction: Direction,
    pub summary: String,
    /// What was asked of them, or by them.
    pub asked: String,
    /// For stakeholder updates: who it was written for.
    pub audience: Option<Audience>,
    pub by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// When the next update to this contact is due.
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_due: Option<OffsetDateTime>,
    /// Set once the reminder for `next_update_due` was raised.
    pub reminded: bool,
    /// Set when a later outbound message to the same contact made the due update moot.
    #[serde(default)]
    pub superseded: bool,
    /// When that later message went out (on time if at or before `next_update_due`).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunication {
    #[schema(schema_with = crate::text::title)]
    pub contact: String,
    pub channel: Channel,
    pub direction: Direction,
    #[schema(schema_with = crate::text::required)]
    pub summary: String,
    #[serde(default)]
    pub asked: String,
    pub audience: Option<Audience>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_due: Option<OffsetDateTime>,
}

/// A stakeholder update drafted from the case, for the user to edit and send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UpdateDraft {
    pub audience: Audience,
    pub subject: String,
    /// Markdown.
    pub body: String,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_update_due: Option<OffsetDateTime>,
}

/// Something asked of a business team or contact, or a request for new detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseRequest {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: RequestKind,
    pub title: String,
    pub description: String,
    /// The team or contact asked.
    pub asked_of: String,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub closed_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub kind: RequestKind,
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub asked_of: String,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRequestStatus {
    pub status: RequestStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetActionStatus {
    pub status: ActionStatus,
    /// Replaces the note when given (what happened, why it failed).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetItemStatus {
    pub status: ItemStatus,
}

/// A response action: what was done to which target, by whom, how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ResponseAction {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: ActionKind,
    /// The asset or observable acted on.
    pub target: String,
    pub observable_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub status: ActionStatus,
    pub note: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateResponseAction {
    pub kind: ActionKind,
    #[schema(schema_with = crate::text::title)]
    pub target: String,
    pub observable_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    #[serde(default)]
    pub note: String,
}

/// The structured post-incident review of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub id: Uuid,
    pub case_id: Uuid,
    pub summary: String,
    pub root_cause: String,
    /// Which part of the timeline the review refers to (free text or an entry id).
    pub timeline_ref: String,
    pub went_well: String,
    pub to_improve: String,
    pub completed: bool,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteReview {
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub root_cause: String,
    #[serde(default)]
    pub timeline_ref: String,
    #[serde(default)]
    pub went_well: String,
    #[serde(default)]
    pub to_improve: String,
    /// Marks the review completed (which lets the case close).
    #[serde(default)]
    pub complete: bool,
}

/// A follow-up from a review, owned by someone, due by a date; all cases'
/// action items make one backlog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ActionItem {
    pub id: Uuid,
    pub case_id: Uuid,
    pub title: String,
    pub owner_id: Option<Uuid>,
    pub status: ItemStatus,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActionItem {
    #[schema(schema_with = crate::text::title)]
    pub title: String,
    pub owner_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
}

// ---------------------------------------------------------------------------
// Assets, contacts and documents

wire_enum!(
    AssetKind {
        Host => "host",
        IpRange => "ip_range",
        UserAccount => "user_account",
        Application => "application",
        Service => "service",
    }
);

wire_enum!(Criticality { Low => "low", Medium => "medium", High => "high", Critical => "critical" });

/// Something the organisation owns and cares about, and who to call about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Asset {
    pub id: Uuid,
    pub kind: AssetKind,
    /// Host name, account name, application name, or a label for a range.
    pub name: String,
    /// For hosts: its address; for IP ranges: the CIDR (10.1.0.0/16).
    pub address: Option<String>,
    pub owner: String,
    pub business_unit: String,
    pub criticality: Criticality,
    pub location: String,
    pub description: String,
    /// Contacts of the directory, by id.
    pub contacts: Vec<Uuid>,
    pub tags: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    pub kind: AssetKind,
    #[schema(schema_with = crate::text::title)]
    pub name: String,
    pub address: Option<String>,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub business_unit: String,
    #[serde(default = "medium_criticality")]
    pub criticality: Criticality,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub contacts: Vec<Uuid>,
    #[serde(default)]
    #[schema(schema_with = crate::text::tags)]
    pub tags: Vec<String>,
}

fn medium_criticality() -> Criticality {
    Criticality::Medium
}

/// A person to reach: inside the organisation or outside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// Their job or function ("DBA on call", "Data protection officer").
    pub role: String,
    pub team_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    #[schema(schema_with = crate::text::title)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = crate::text::email)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub role: String,
    pub team_id: Option<Uuid>,
}

/// An asset as shown on a case: with its contacts resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssetWithContacts {
    #[serde(flatten)]
    pub asset: Asset,
    pub contact_details: Vec<Contact>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkAsset {
    pub asset_id: Uuid,
}

/// A file about an asset or a team: an architecture diagram, a runbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub title: String,
    pub filename: String,
    pub size: u64,
    pub sha256: String,
    pub asset_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub uploaded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: OffsetDateTime,
}

/// What happened to one line of an imported CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportLine {
    /// 1-based, counting the header as line 1.
    pub line: u64,
    /// created, updated or rejected.
    pub outcome: String,
    pub id: Option<Uuid>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    pub rejected: u64,
    /// Contacts the file named by e-mail that were not known, made from it.
    #[serde(default)]
    pub contacts_created: u64,
    /// Every rejected line, and the others when asked.
    pub lines: Vec<ImportLine>,
}
