use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// Whether an organisation may be granted access to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A provider (an MSSP, or the operator of this server) whose members can
    /// work in the customer organisations it has been granted.
    Provider,
    /// A customer: its members see only their own organisation.
    Customer,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Provider => "provider",
            OrgKind::Customer => "customer",
        }
    }
    pub fn parse(s: &str) -> Option<OrgKind> {
        match s {
            "provider" => Some(OrgKind::Provider),
            "customer" => Some(OrgKind::Customer),
            _ => None,
        }
    }
}

/// An organisation: a tenant whose data no other tenant sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    pub name: String,
    pub kind: OrgKind,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganisation {
    /// 1 to 100 characters, unique.
    #[schema(schema_with = crate::text::name)]
    pub name: String,
    #[serde(default = "default_kind")]
    pub kind: OrgKind,
    #[serde(default)]
    #[schema(schema_with = crate::text::description)]
    pub description: String,
}

fn default_kind() -> OrgKind {
    OrgKind::Customer
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganisation {
    #[schema(schema_with = crate::text::name_or_null)]
    pub name: Option<String>,
    #[schema(schema_with = crate::text::description_or_null)]
    pub description: Option<String>,
}

/// A provider organisation's access to a customer organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgGrant {
    pub provider_id: Uuid,
    pub customer_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}
