use firebreak_types::{ActorKind, ApiKey, OrgKind, Role, User};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who makes a change.
#[derive(Debug, Clone, PartialEq)]
pub enum Actor {
    User {
        id: Uuid,
        name: String,
    },
    ApiKey {
        id: Uuid,
        name: String,
    },
    /// Firebreak itself (bootstrap, background jobs).
    System,
    /// Someone not (yet) identified, such as a failed sign-in.
    Anonymous {
        claimed: String,
    },
}

impl Actor {
    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::User { .. } => ActorKind::User,
            Actor::ApiKey { .. } => ActorKind::ApiKey,
            Actor::System => ActorKind::System,
            Actor::Anonymous { .. } => ActorKind::Anonymous,
        }
    }
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } | Actor::ApiKey { id, .. } => Some(*id),
            Actor::System | Actor::Anonymous { .. } => None,
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Actor::User { name, .. } | Actor::ApiKey { name, .. } => name,
            Actor::System => "firebreak",
            Actor::Anonymous { claimed } => claimed,
        }
    }
}

/// Who and when, for every write.
#[derive(Debug, Clone)]
pub struct WriteCtx {
    pub actor: Actor,
    pub now: OffsetDateTime,
}

/// An audit entry that is not a change of data.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub id: Uuid,
    /// Marks the organisation as the root one (first start only).
    pub root: bool,
    /// A provider to grant access to the new organisation, in the same transaction.
    pub grant_to: Option<Uuid>,
    pub name: String,
    pub kind: OrgKind,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub secret_hash: String,
    pub created_by: Option<Uuid>,
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
pub struct KeyCredential {
    pub key: ApiKey,
    /// The user who owns the key is disabled, deleted, or was never recorded.
    pub creator_disabled: bool,
    /// The owner's role now, when the owner exists.
    pub owner_role: Option<Role>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: Uuid,
    pub user_org: Uuid,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub user: User,
    pub csrf_token: String,
    pub expires_at: OffsetDateTime,
}

/// Connection pool figures for the metrics endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolState {
    pub size: u32,
    pub idle: u32,
}

/// How a batch of alerts joins stories: each alert's entities (parallel to
/// the batch), how far apart in event time two alerts may be, and when a
/// value is too common to join them.
#[derive(Debug, Clone)]
pub struct Grouping {
    pub window_ms: i64,
    pub entities: Vec<Vec<String>>,
    pub stop_words: firebreak_domain::grouping::StopWords,
}
