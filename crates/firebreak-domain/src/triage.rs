//! Alert triage: which alerts may still be triaged, what taking, closing,
//! assigning and escalating one make of it, and how an alert is matched to
//! the organisation's assets and ranked in the queue.

use std::collections::HashMap;
use std::net::IpAddr;

use firebreak_types::{Alert, AlertState, Asset, AssetKind, Criticality, Disposition, Level, Severity};
use time::OffsetDateTime;
use uuid::Uuid;

/// Why a triage action is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriageError {
    /// The alert was closed or escalated already.
    #[error("the alert is already {}", .0.as_str().replace('_', " "))]
    NotOpen(AlertState),
    /// Closing needs to say why.
    #[error("reason is required to close an alert")]
    NeedsReason,
}

impl TriageError {
    /// The request field (or alert field) at fault, for API errors.
    pub fn field(&self) -> &'static str {
        match self {
            TriageError::NotOpen(_) => "state",
            TriageError::NeedsReason => "reason",
        }
    }
}

/// Whether the alert is still to be triaged (new or in triage).
pub fn is_open(state: AlertState) -> bool {
    matches!(state, AlertState::New | AlertState::InTriage)
}

/// Refuses an alert that was closed or escalated already.
pub fn check_open(alert: &Alert) -> Result<(), TriageError> {
    if is_open(alert.state) { Ok(()) } else { Err(TriageError::NotOpen(alert.state)) }
}

/// The alert taken into triage by `taker` (none for an API key, which keeps
/// the assignee); the first take is its acknowledge time.
pub fn take(alert: &Alert, taker: Option<Uuid>, now: OffsetDateTime) -> Result<Alert, TriageError> {
    check_open(alert)?;
    let mut after = alert.clone();
    after.state = AlertState::InTriage;
    after.assignee_id = taker.or(alert.assignee_id);
    after.acknowledged_at = alert.acknowledged_at.or(Some(now));
    Ok(after)
}

/// The alert closed with its disposition and reason.
pub fn close(alert: &Alert, disposition: Disposition, reason: &str, now: OffsetDateTime) -> Result<Alert, TriageError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(TriageError::NeedsReason);
    }
    check_open(alert)?;
    let mut after = alert.clone();
    after.state = AlertState::Closed;
    after.disposition = Some(disposition);
    after.disposition_reason = Some(reason.to_owned());
    after.acknowledged_at = alert.acknowledged_at.or(Some(now));
    after.closed_at = Some(now);
    Ok(after)
}

/// The alert given to an analyst (or to nobody); its state does not change.
pub fn assign(alert: &Alert, assignee: Option<Uuid>) -> Result<Alert, TriageError> {
    check_open(alert)?;
    Ok(Alert { assignee_id: assignee, ..alert.clone() })
}

/// The alert escalated into `case`: it is done with as an alert.
pub fn escalate(alert: &Alert, case: Uuid, now: OffsetDateTime) -> Result<Alert, TriageError> {
    check_open(alert)?;
    let mut after = alert.clone();
    after.state = AlertState::Escalated;
    after.case_id = Some(case);
    after.acknowledged_at = alert.acknowledged_at.or(Some(now));
    after.closed_at = Some(now);
    Ok(after)
}

/// How much an asset's criticality raises the rank of an alert that touches it.
pub fn criticality_bump(c: Criticality) -> i64 {
    match c {
        Criticality::Critical => 2,
        Criticality::High => 1,
        _ => 0,
    }
}

/// The queue's triage rank: the severity (1 for low … 4 for critical),
/// raised by the most critical asset the alert touches, at most 6.
pub fn triage_rank(severity: Severity, bump: i64) -> i64 {
    (severity as i64 + 1 + bump).min(6)
}

/// Why an alert ranks where it does, in words for the queue:
/// "high severity (3) + critical asset ws-042 (+2)". `assets` are the
/// names and criticalities of the assets it touches, as far as they are
/// known; the part of the rank they add is read from the rank itself.
pub fn rank_reason(severity: Severity, rank: i64, assets: &[(String, Criticality)]) -> String {
    let base = triage_rank(severity, 0);
    let severity_name = match severity {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    };
    let mut out = format!("{severity_name} severity ({base})");
    let bump = rank - base;
    if bump > 0 {
        let top = assets.iter().filter(|(_, c)| criticality_bump(*c) > 0).max_by_key(|(_, c)| criticality_bump(*c));
        match top {
            Some((name, c)) => out.push_str(&format!(" + {} asset {name} (+{})", c.as_str(), criticality_bump(*c))),
            None => out.push_str(&format!(" + the assets it touches (+{bump})")),
        }
    }
    out
}

/// The impact and urgency a case escalated from `alerts` starts with, so
/// that its priority follows what raised it rather than a default P3:
///
/// - urgency is the most severe alert's severity (critical counts as high:
///   the matrix has three levels);
/// - impact is the most critical asset the alerts touch (a critical or high
///   asset: high; none matched: high for a critical alert, low for a low
///   one, medium otherwise).
///
/// A low alert makes a P4, medium P3, high P2, critical P1; an alert on a
/// critical or high asset one or two steps more.
///
/// The asset part is read from each alert's triage rank, which holds it.
/// Both stay editable on the case.
pub fn case_levels<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> (Level, Level) {
    let (mut severity, mut bump) = (Severity::Low, 0);
    for a in alerts {
        severity = severity.max(a.severity);
        bump = bump.max(a.triage_rank - triage_rank(a.severity, 0));
    }
    let urgency = match severity {
        Severity::Low => Level::Low,
        Severity::Medium => Level::Medium,
        Severity::High | Severity::Critical => Level::High,
    };
    let impact = match (bump, severity) {
        (b, _) if b >= 1 => Level::High,
        (_, Severity::Critical) => Level::High,
        (_, Severity::High | Severity::Medium) => Level::Medium,
        (_, Severity::Low) => Level::Low,
    };
    (impact, urgency)
}

/// Whether `ip` lies in `net/len` (addresses of another family never do).
pub fn in_range(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - u32::from(len.min(32))) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - u32::from(len.min(128))) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// An organisation's inventory, indexed for matching alerts: host and
/// account names, host addresses, and IP ranges.
#[derive(Debug, Default)]
pub struct AssetMatcher {
    by_name: HashMap<(&'static str, String), (Uuid, i64)>,
    by_ip: HashMap<IpAddr, (Uuid, i64)>,
    /// (network, prefix length, asset, bump), narrowest first.
    ranges: Vec<(IpAddr, u8, Uuid, i64)>,
}

impl AssetMatcher {
    pub fn new(assets: &[Asset]) -> AssetMatcher {
        let mut m = AssetMatcher::default();
        for a in assets {
            let v = (a.id, criticality_bump(a.criticality));
            match a.kind {
                AssetKind::Host => {
                    m.by_name.insert(("hostname", a.name.to_lowercase()), v);
                    if let Some(ip) = a.address.as_deref().and_then(|s| s.parse().ok()) {
                        m.by_ip.insert(ip, v);
                    }
                }
                AssetKind::UserAccount => {
                    m.by_name.insert(("user_account", a.name.to_lowercase()), v);
                }
                AssetKind::IpRange => {
                    if let Some((ip, len)) = a.address.as_deref().and_then(|s| s.split_once('/'))
                        && let (Ok(ip), Ok(len)) = (ip.parse(), len.parse())
                    {
                        m.ranges.push((ip, len, a.id, v.1));
                    }
                }
                AssetKind::Application | AssetKind::Service => {}
            }
        }
        // Narrowest range first: the most specific asset wins.
        m.ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
        m
    }

    /// The asset an observable names, and its bump.
    fn find(&self, kind: &str, value: &str) -> Option<(Uuid, i64)> {
        match kind {
            "hostname" | "user_account" => {
                // A host by its short name, an account without its domain.
                let (kind, name): (&'static str, &str) = if kind == "hostname" {
                    ("hostname", value.split('.').next().unwrap_or(value))
                } else {
                    ("user_account", value.rsplit('\\').next().unwrap_or(value))
                };
                self.by_name
                    .get(&(kind, name.to_lowercase()))
                    .or_else(|| self.by_name.get(&(kind, value.to_lowercase())))
                    .copied()
            }
            "ip" => value.parse::<IpAddr>().ok().and_then(|ip| {
                self.by_ip.get(&ip).copied().or_else(|| {
                    self.ranges.iter().find(|(n, l, _, _)| in_range(ip, *n, *l)).map(|(_, _, id, b)| (*id, *b))
                })
            }),
            _ => None,
        }
    }

    /// Sets the alert's assets and its triage rank, raised by their criticality.
    pub fn apply(&self, alert: &mut Alert) {
        let mut bump = 0;
        for o in &alert.observables {
            if let Some((id, b)) = self.find(&o.kind, &o.value) {
                if !alert.assets.contains(&id) {
                    alert.assets.push(id);
                }
                bump = bump.max(b);
            }
        }
        alert.triage_rank = triage_rank(alert.severity, bump);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + s).unwrap()
    }

    fn alert(severity: &str, observables: serde_json::Value) -> Alert {
        let item = json!({
            "source": "edr", "source_ref": "1", "title": "Suspicious logon", "severity": severity,
            "observables": observables,
        });
        crate::intake::prepare(item.into(), Uuid::from_u128(7), Uuid::from_u128(1), at(0)).unwrap()
    }

    fn asset(id: u128, kind: &str, name: &str, address: Option<&str>, criticality: &str) -> Asset {
        serde_json::from_value(json!({
            "id": Uuid::from_u128(id), "kind": kind, "name": name, "address": address, "owner": "",
            "business_unit": "", "criticality": criticality, "location": "", "description": "",
            "contacts": [], "tags": [], "updated_at": "2027-01-01T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn ranges_match_by_prefix_and_family() {
        let net = "10.1.0.0".parse().unwrap();
        assert!(in_range("10.1.200.3".parse().unwrap(), net, 16));
        assert!(!in_range("10.2.0.1".parse().unwrap(), net, 16));
        assert!(in_range("192.0.2.1".parse().unwrap(), net, 0));
        assert!(in_range("10.1.0.0".parse().unwrap(), net, 40), "a length past 32 is the whole address");
        assert!(!in_range("::1".parse().unwrap(), net, 0), "another family never matches");
        let v6 = "2001:db8::".parse().unwrap();
        assert!(in_range("2001:db8::42".parse().unwrap(), v6, 32));
        assert!(!in_range("2001:db9::42".parse().unwrap(), v6, 32));
    }

    #[test]
    fn a_case_starts_with_the_priority_of_what_raised_it() {
        let matrix = crate::priority::PriorityMatrix::default();
        let alert = |severity: Severity, bump: i64| {
            let mut a: Alert = serde_json::from_value(serde_json::json!({
                "id": Uuid::nil(), "org_id": Uuid::nil(), "source": "s", "source_ref": "r", "type": "t",
                "title": "t", "description": "", "severity": "low", "event_time": "2026-01-01T00:00:00Z",
                "tags": [], "tlp": "amber", "pap": "amber", "observables": [], "custom_fields": {}, "raw": null,
                "state": "new", "occurrences": 1, "first_seen": "2026-01-01T00:00:00Z",
                "last_seen": "2026-01-01T00:00:00Z"
            }))
            .unwrap();
            a.severity = severity;
            a.triage_rank = triage_rank(severity, bump);
            a
        };
        let p = |alerts: &[Alert]| {
            let (impact, urgency) = case_levels(alerts);
            matrix.priority(impact, urgency).as_str()
        };
        assert_eq!(p(&[alert(Severity::Low, 0)]), "P4");
        assert_eq!(p(&[alert(Severity::Medium, 0)]), "P3");
        assert_eq!(p(&[alert(Severity::High, 0)]), "P2");
        assert_eq!(p(&[alert(Severity::Critical, 0)]), "P1");
        assert_eq!(p(&[alert(Severity::Medium, 1)]), "P2", "a medium alert on a high asset");
        // A story: the most severe alert and the most critical asset, wherever each is.
        assert_eq!(p(&[alert(Severity::High, 0), alert(Severity::Low, 2)]), "P1");
    }

    #[test]
    fn the_rank_says_why() {
        let assets = [("ws-042".to_owned(), Criticality::Critical), ("printer".to_owned(), Criticality::Low)];
        assert_eq!(rank_reason(Severity::Medium, 4, &assets), "medium severity (2) + critical asset ws-042 (+2)");
        assert_eq!(rank_reason(Severity::High, 3, &[]), "high severity (3)");
        assert_eq!(rank_reason(Severity::Critical, 6, &assets), "critical severity (4) + critical asset ws-042 (+2)");
        assert_eq!(rank_reason(Severity::Low, 2, &[]), "low severity (1) + the assets it touches (+1)");
    }

    #[test]
    fn rank_is_severity_raised_by_criticality_up_to_six() {
        assert_eq!(triage_rank(Severity::Low, 0), 1);
        assert_eq!(triage_rank(Severity::Critical, 0), 4);
        assert_eq!(triage_rank(Severity::High, criticality_bump(Criticality::High)), 4);
        assert_eq!(triage_rank(Severity::Critical, criticality_bump(Criticality::Critical)), 6);
        assert_eq!(triage_rank(Severity::Critical, 5), 6);
        assert_eq!(criticality_bump(Criticality::Medium), 0);
        assert_eq!(criticality_bump(Criticality::Low), 0);
    }

    #[test]
    fn assets_match_by_short_host_name_account_address_and_narrowest_range() {
        let m = AssetMatcher::new(&[
            asset(1, "host", "WS-042", Some("192.0.2.10"), "high"),
            asset(2, "user_account", "jdoe", None, "critical"),
            asset(3, "ip_range", "Office", Some("10.0.0.0/8"), "low"),
            asset(4, "ip_range", "Servers", Some("10.9.0.0/16"), "medium"),
            asset(5, "application", "Mail", None, "critical"),
        ]);
        let mut a = alert(
            "medium",
            json!([
                { "type": "hostname", "value": "ws-042.corp.example" },
                { "type": "ip", "value": "10.9.1.1" },
            ]),
        );
        m.apply(&mut a);
        assert_eq!(a.assets, [Uuid::from_u128(1), Uuid::from_u128(4)]);
        assert_eq!(a.triage_rank, 3, "medium (2) raised by the high host (1)");

        let mut b = alert("low", json!([{ "type": "user_account", "value": "CORP\\JDoe" }]));
        m.apply(&mut b);
        assert_eq!(b.assets, [Uuid::from_u128(2)]);
        assert_eq!(b.triage_rank, 3, "low (1) raised by the critical account (2)");

        let mut c =
            alert("high", json!([{ "type": "ip", "value": "192.0.2.10" }, { "type": "ip", "value": "10.1.1.1" }]));
        m.apply(&mut c);
        assert_eq!(c.assets, [Uuid::from_u128(1), Uuid::from_u128(3)], "a host by its address, then a range");

        let mut d = alert(
            "high",
            json!([{ "type": "domain", "value": "mail.example.com" }, { "type": "ip", "value": "198.51.100.1" }]),
        );
        m.apply(&mut d);
        assert!(d.assets.is_empty());
        assert_eq!(d.triage_rank, 3);
    }

    #[test]
    fn only_open_alerts_are_triaged() {
        let a = alert("low", json!([]));
        let user = Uuid::from_u128(9);
        let taken = take(&a, Some(user), at(5)).unwrap();
        assert_eq!(
            (taken.state, taken.assignee_id, taken.acknowledged_at),
            (AlertState::InTriage, Some(user), Some(at(5)))
        );
        // Taking again keeps the first acknowledge time; an API key keeps the assignee.
        let again = take(&taken, None, at(9)).unwrap();
        assert_eq!((again.assignee_id, again.acknowledged_at), (Some(user), Some(at(5))));

        assert_eq!(close(&taken, Disposition::FalsePositive, "  ", at(7)), Err(TriageError::NeedsReason));
        let closed = close(&taken, Disposition::FalsePositive, " scanner ", at(7)).unwrap();
        assert_eq!(closed.state, AlertState::Closed);
        assert_eq!(closed.disposition_reason.as_deref(), Some("scanner"));
        assert_eq!((closed.acknowledged_at, closed.closed_at), (Some(at(5)), Some(at(7))));

        let err = take(&closed, Some(user), at(8)).unwrap_err();
        assert_eq!(err.to_string(), "the alert is already closed");
        assert_eq!(err.field(), "state");
        assert!(assign(&closed, None).is_err());

        let case = Uuid::from_u128(42);
        let escalated = escalate(&a, case, at(3)).unwrap();
        assert_eq!(escalated.state, AlertState::Escalated);
        assert_eq!(
            (escalated.case_id, escalated.acknowledged_at, escalated.closed_at),
            (Some(case), Some(at(3)), Some(at(3)))
        );
        assert_eq!(escalate(&escalated, case, at(4)), Err(TriageError::NotOpen(AlertState::Escalated)));
        assert_eq!(assign(&a, Some(user)).unwrap().assignee_id, Some(user));
    }
}
