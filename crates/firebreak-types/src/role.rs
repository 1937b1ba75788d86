use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a person (or an API key) may do in an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, API keys, organisations and settings; can do everything.
    Admin,
    /// Owns incidents: priority, roles, communication, closure, review.
    IncidentManager,
    /// Level 1: watches the alert queue, triages and escalates.
    AnalystL1,
    /// Level 2: investigates and responds to cases.
    AnalystL2,
    /// Level 3 / detection engineer: manages rules, tuning and coverage.
    AnalystL3,
    /// Business stakeholder: reads, never writes.
    Stakeholder,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Admin, Role::IncidentManager, Role::AnalystL1, Role::AnalystL2, Role::AnalystL3, Role::Stakeholder];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::IncidentManager => "incident_manager",
            Role::AnalystL1 => "analyst_l1",
            Role::AnalystL2 => "analyst_l2",
            Role::AnalystL3 => "analyst_l3",
            Role::Stakeholder => "stakeholder",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::IncidentManager => "Incident manager",
            Role::AnalystL1 => "Analyst L1",
            Role::AnalystL2 => "Analyst L2",
            Role::AnalystL3 => "Analyst L3 / detection engineer",
            Role::Stakeholder => "Stakeholder (read-only)",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
