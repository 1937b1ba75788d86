//! Who may do what: one table from actions to the roles that may take them.
//!
//! Every endpoint names the action it performs and asks [`allows`]. Adding
//! a feature means adding its actions here, with their roles, in one place.

use serde::Serialize;

use crate::Role;

/// Something a caller can do. Later areas add their actions here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See organisations the caller may act in.
    OrgRead,
    /// Create and rename organisations, grant providers access (platform admins).
    OrgManage,
    /// See the people of an organisation.
    UserRead,
    /// Create, change, disable and delete users.
    UserManage,
    /// See, create and revoke API keys.
    ApiKeyManage,
    /// Read the audit log.
    AuditRead,
    /// Verify the audit chain.
    AuditVerify,
    /// Receive live updates.
    LiveSubscribe,
    /// Read alerts and the queue.
    AlertRead,
    /// Send alerts and events in.
    AlertIngest,
    /// Take, dismiss, merge and escalate alerts.
    AlertTriage,
    /// Read cases.
    CaseRead,
    /// Open and edit cases, tasks, observables and evidence.
    CaseWrite,
    /// Close, reopen and assign priority; run post-incident reviews.
    CaseManage,
    /// Read the asset inventory.
    AssetRead,
    /// Edit the asset inventory.
    AssetWrite,
    /// Read detection rules, use cases and coverage.
    RuleRead,
    /// Import, tune, enable and disable rules.
    RuleManage,
    /// Read dashboards and metrics.
    MetricsRead,
    /// Produce management reports.
    ReportGenerate,
    /// Change the organisation's settings: SLA policy, case templates, teams, webhooks.
    OrgSettings,
    /// Read and dismiss one's own notifications.
    NotificationRead,
}

use Action::*;
use Role::*;

/// The permission table. One row per action; a role not listed is refused.
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (OrgRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (OrgManage, &[Admin]),
    (UserRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (UserManage, &[Admin]),
    (ApiKeyManage, &[Admin]),
    (AuditRead, &[Admin, IncidentManager]),
    (AuditVerify, &[Admin]),
    (LiveSubscribe, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (AlertRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (AlertIngest, &[Admin, AnalystL2, AnalystL3]),
    (AlertTriage, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3]),
    (CaseRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (CaseWrite, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3]),
    (CaseManage, &[Admin, IncidentManager]),
    (AssetRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (AssetWrite, &[Admin, IncidentManager, AnalystL2, AnalystL3]),
    (RuleRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (RuleManage, &[Admin, AnalystL3]),
    (MetricsRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
    (ReportGenerate, &[Admin, IncidentManager]),
    (OrgSettings, &[Admin, IncidentManager]),
    (NotificationRead, &[Admin, IncidentManager, AnalystL1, AnalystL2, AnalystL3, Stakeholder]),
];

/// Whether `role` may take `action`.
pub fn allows(role: Role, action: Action) -> bool {
    PERMISSIONS.iter().any(|(a, roles)| *a == action && roles.contains(&role))
}

/// Whether `role` may take no action that `of` may not: a key made by a
/// caller of role `of` may be given `role`.
pub fn within(role: Role, of: Role) -> bool {
    Action::all().all(|a| !allows(role, a) || allows(of, a))
}

/// The most a caller may do when two roles both bound it (a user acting in
/// a case another organisation shares with theirs): the role within both
/// that may do the most. Roles are not a ladder, so it is one of the two
/// when one is within the other, and else the widest role within both.
pub fn lesser(a: Role, b: Role) -> Role {
    if within(a, b) {
        return a;
    }
    if within(b, a) {
        return b;
    }
    let reach = |r: Role| Action::all().filter(|x| allows(r, *x)).count();
    Role::ALL.into_iter().filter(|r| within(*r, a) && within(*r, b)).max_by_key(|r| reach(*r)).unwrap_or(Stakeholder)
}

impl Action {
    /// All actions, in table order.
    pub fn all() -> impl Iterator<Item = Action> {
        PERMISSIONS.iter().map(|(a, _)| *a)
    }

    pub fn as_str(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_has_exactly_one_row() {
        let mut seen = HashSet::new();
        for (action, _) in PERMISSIONS {
            assert!(seen.insert(*action), "{action:?} listed twice");
        }
        assert_eq!(seen.len(), 22);
    }

    #[test]
    fn the_lesser_role_is_within_both() {
        assert_eq!(lesser(Admin, Stakeholder), Stakeholder);
        assert_eq!(lesser(AnalystL2, Admin), AnalystL2);
        assert_eq!(lesser(IncidentManager, AnalystL2), AnalystL1);
        assert_eq!(lesser(AnalystL3, IncidentManager), AnalystL1);
        for a in Role::ALL {
            for b in Role::ALL {
                let l = lesser(a, b);
                assert!(within(l, a) && within(l, b), "{a:?} and {b:?} gave {l:?}");
            }
        }
    }

    #[test]
    fn admin_may_do_everything() {
        for action in Action::all() {
            assert!(allows(Admin, action), "admin refused {action:?}");
        }
    }

    #[test]
    fn stakeholder_only_reads() {
        let allowed: Vec<_> = Action::all().filter(|a| allows(Stakeholder, *a)).collect();
        assert_eq!(
            allowed,
            vec![
                OrgRead,
                UserRead,
                LiveSubscribe,
                AlertRead,
                CaseRead,
                AssetRead,
                RuleRead,
                MetricsRead,
                NotificationRead
            ]
        );
    }

    #[test]
    fn the_table_by_role() {
        // The expected matrix, written out so that a change to the table is a
        // visible change to this test.
        let expect = |role: Role| -> Vec<Action> { Action::all().filter(|a| allows(role, *a)).collect() };
        assert_eq!(
            expect(AnalystL1),
            vec![
                OrgRead,
                UserRead,
                LiveSubscribe,
                AlertRead,
                AlertTriage,
                CaseRead,
                CaseWrite,
                AssetRead,
                RuleRead,
                MetricsRead,
                NotificationRead
            ]
        );
        assert_eq!(
            expect(AnalystL3),
            vec![
                OrgRead,
                UserRead,
                LiveSubscribe,
                AlertRead,
                AlertIngest,
                AlertTriage,
                CaseRead,
                CaseWrite,
                AssetRead,
                AssetWrite,
                RuleRead,
                RuleManage,
                MetricsRead,
                NotificationRead
            ]
        );
        assert_eq!(
            expect(IncidentManager),
            vec![
                OrgRead,
                UserRead,
                AuditRead,
                LiveSubscribe,
                AlertRead,
                AlertTriage,
                CaseRead,
                CaseWrite,
                CaseManage,
                AssetRead,
                AssetWrite,
                RuleRead,
                MetricsRead,
                ReportGenerate,
                OrgSettings,
                NotificationRead
            ]
        );
        assert!(!allows(AnalystL2, UserManage));
        assert!(!allows(IncidentManager, ApiKeyManage));
        assert!(allows(AnalystL2, AlertIngest));
    }

    #[test]
    fn a_role_is_within_another_when_it_may_do_nothing_more() {
        for role in Role::ALL {
            assert!(within(role, role));
            assert!(within(role, Admin));
            assert!(within(Stakeholder, role), "{role:?} reads what a stakeholder reads");
        }
        assert!(!within(Admin, IncidentManager));
        assert!(!within(AnalystL3, AnalystL1));
        assert!(within(AnalystL1, AnalystL2));
        // Neither holds the other's permissions: an analyst ingests, a manager manages cases.
        assert!(!within(AnalystL2, IncidentManager));
        assert!(!within(IncidentManager, AnalystL2));
    }

    #[test]
    fn action_names_are_snake_case() {
        assert_eq!(ApiKeyManage.as_str(), "api_key_manage");
    }
}
