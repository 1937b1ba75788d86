//! A case shared by its organisation with another one (TheHive's "shares"):
//! the recipient's people work on that one case, within the share's role.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};
use uuid::Uuid;

use crate::{Case, Role};

/// Which of a shared case's tasks (or observables) the recipient sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareRule {
    /// Every one, present and future.
    #[default]
    All,
    /// None: the recipient's view of the case lists none of them.
    None,
    /// Those shared one by one (TheHive's `manual`); Firebreak shares no
    /// single task or observable, so `manual` shows none, as `none` does.
    Manual,
}

impl ShareRule {
    pub const ALL: [ShareRule; 3] = [ShareRule::All, ShareRule::None, ShareRule::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            ShareRule::All => "all",
            ShareRule::None => "none",
            ShareRule::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<ShareRule> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether the recipient sees the items this rule governs.
    pub fn shows(self) -> bool {
        self == ShareRule::All
    }
}

/// One case shared with one organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CaseShare {
    pub id: Uuid,
    pub case_id: Uuid,
    /// The organisation that owns the case.
    pub owner_org_id: Uuid,
    /// The organisation the case is shared with.
    pub org_id: Uuid,
    pub org_name: String,
    /// The most a member of `org_id` may do on the case: each acts with the
    /// lesser of their own role and this one.
    pub role: Role,
    pub task_rule: ShareRule,
    pub observable_rule: ShareRule,
    /// Who shared it.
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// Shares a case with an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseShare {
    /// The organisation to share with (one the caller may see).
    pub org_id: Uuid,
    /// `stakeholder` to let it read, an analyst role to let it work;
    /// `admin` is refused.
    #[schema(schema_with = share_role)]
    pub role: Role,
    #[serde(default)]
    pub task_rule: ShareRule,
    #[serde(default)]
    pub observable_rule: ShareRule,
}

/// Changes what a share allows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCaseShare {
    /// Any role but `admin`.
    #[schema(schema_with = share_role_or_null)]
    pub role: Option<Role>,
    pub task_rule: Option<ShareRule>,
    pub observable_rule: Option<ShareRule>,
}

/// A case another organisation shares with the caller's, with its owner.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SharedCase {
    pub case: Case,
    pub owner_org_id: Uuid,
    pub owner_org_name: String,
    pub share: CaseShare,
}

/// The roles a case may be shared with: every role but `admin`.
fn share_roles(nullable: bool) -> Object {
    let names = Role::ALL.iter().filter(|r| **r != Role::Admin).map(|r| serde_json::Value::from(r.as_str()));
    let (kind, values): (SchemaType, Vec<serde_json::Value>) = if nullable {
        (SchemaType::from_iter([Type::String, Type::Null]), names.chain([serde_json::Value::Null]).collect())
    } else {
        (SchemaType::new(Type::String), names.collect())
    };
    ObjectBuilder::new().schema_type(kind).enum_values(Some(values)).build()
}

fn share_role() -> Object {
    share_roles(false)
}

fn share_role_or_null() -> Object {
    share_roles(true)
}
