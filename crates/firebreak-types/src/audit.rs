use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Who made a change the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    /// Firebreak itself (bootstrap, background jobs).
    System,
    /// Someone not identified, such as a failed sign-in.
    Anonymous,
}

impl ActorKind {
    pub const ALL: [ActorKind; 4] = [ActorKind::User, ActorKind::ApiKey, ActorKind::System, ActorKind::Anonymous];

    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ApiKey => "api_key",
            ActorKind::System => "system",
            ActorKind::Anonymous => "anonymous",
        }
    }

    /// The kind a stored entry names; `None` for a name no kind has.
    pub fn parse(s: &str) -> Option<ActorKind> {
        ActorKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_kind_is_written_as_its_name() {
        for k in ActorKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
            assert_eq!(ActorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ActorKind::parse("robot"), None);
    }
}

/// One link of an organisation's tamper-evident audit chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub org_id: Uuid,
    /// Position in the organisation's chain, from 1.
    pub seq: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    /// The changed fields: `{"field": {"before": …, "after": …}}`, or details.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters of the audit log, beside the shared list parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    /// Entries at or after this time (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Entries before this time (RFC 3339).
    #[serde(with = "time::serde::rfc3339::option", default)]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    pub offset: Option<u64>,
    pub total: Option<bool>,
}

/// The result of checking the audit chains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditVerification {
    /// True when nothing below was found.
    pub ok: bool,
    /// Entries checked.
    pub checked: u64,
    /// The first broken link, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken: Option<BrokenLink>,
    /// Everything found wrong, chain by chain, then in the checkpoints.
    #[serde(default)]
    pub problems: Vec<AuditProblem>,
    /// Signed checkpoints the chains were compared with.
    #[serde(default)]
    pub checkpoints: u64,
    /// When the newest of them was written.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_checkpoint_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BrokenLink {
    pub org_id: Uuid,
    /// The sequence number at which the chain stops holding.
    pub seq: i64,
    pub reason: String,
}

/// One thing verification found wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditProblem {
    pub kind: AuditProblemKind,
    /// The organisation whose chain it concerns (none for a checkpoint line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<Uuid>,
    /// The entry, or for a checkpoint problem the line of the checkpoint file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    pub reason: String,
}

/// What kind of tampering (or damage) a problem shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditProblemKind {
    /// An entry was changed, removed or moved, or the head does not match the entries.
    BrokenLink,
    /// The chain head's MAC does not verify: the head was written without the key.
    HeadMacInvalid,
    /// The chain head carries no MAC.
    HeadNotAnchored,
    /// The chain is shorter than a checkpoint recorded, or differs from it.
    BehindCheckpoint,
    /// An organisation that exists or that a checkpoint lists has no chain.
    ChainMissing,
    /// A checkpoint line cannot be read, its MAC does not verify, or it does
    /// not follow the line before it.
    CheckpointInvalid,
}

impl AuditProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditProblemKind::BrokenLink => "broken_link",
            AuditProblemKind::HeadMacInvalid => "head_mac_invalid",
            AuditProblemKind::HeadNotAnchored => "head_not_anchored",
            AuditProblemKind::BehindCheckpoint => "behind_checkpoint",
            AuditProblemKind::ChainMissing => "chain_missing",
            AuditProblemKind::CheckpointInvalid => "checkpoint_invalid",
        }
    }
}
