//! Which organisations a caller may act in.

use uuid::Uuid;

use crate::OrgKind;

/// A caller's standing: its home organisation and, for members of a
/// provider, the customers that provider has been granted.
#[derive(Debug, Clone)]
pub struct Tenancy {
    pub home_org: Uuid,
    pub home_kind: OrgKind,
    /// Customers granted to the home organisation (empty unless a provider).
    pub granted: Vec<Uuid>,
    /// API keys are bound to their one organisation and never switch.
    pub bound_to_home: bool,
}

impl Tenancy {
    /// Whether the caller may act in `org`.
    pub fn may_act_in(&self, org: Uuid) -> bool {
        org == self.home_org
            || (!self.bound_to_home && self.home_kind == OrgKind::Provider && self.granted.contains(&org))
    }

    /// The organisations the caller may act in, its home first.
    pub fn orgs(&self) -> Vec<Uuid> {
        let mut orgs = vec![self.home_org];
        if !self.bound_to_home && self.home_kind == OrgKind::Provider {
            orgs.extend(self.granted.iter().filter(|o| **o != self.home_org));
        }
        orgs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_only_themselves() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        // A customer cannot use grants even if some were recorded.
        let t = Tenancy { home_org: a, home_kind: OrgKind::Customer, granted: vec![b], bound_to_home: false };
        assert!(t.may_act_in(a));
        assert!(!t.may_act_in(b));
        assert_eq!(t.orgs(), vec![a]);
    }

    #[test]
    fn providers_reach_granted_customers_but_keys_do_not() {
        let p = Uuid::from_u128(1);
        let c = Uuid::from_u128(2);
        let other = Uuid::from_u128(3);
        let user = Tenancy { home_org: p, home_kind: OrgKind::Provider, granted: vec![c], bound_to_home: false };
        assert!(user.may_act_in(c));
        assert!(!user.may_act_in(other));
        assert_eq!(user.orgs(), vec![p, c]);
        let key = Tenancy { bound_to_home: true, ..user };
        assert!(!key.may_act_in(c));
    }
}
