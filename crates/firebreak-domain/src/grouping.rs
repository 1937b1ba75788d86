//! Grouping alerts into stories: which of an alert's observables join it to
//! others, by the organisation's settings.
//!
//! Three rules keep a story to what belongs together:
//! - the window holds both ways: an alert joins an entity's story only when
//!   its event time lies within the window of that entity's time span there
//!   (the store's intake plan applies it, whatever the order alerts come in);
//! - addresses no one host owns never join by default
//!   ([`is_shared_address`]);
//! - a value carried by more than a share of the organisation's alerts of a
//!   period (a gateway, a DNS server) stops joining there: a stop word
//!   ([`StopWords`], applied by the intake plan, which counts).

use std::net::IpAddr;
use std::str::FromStr;

use firebreak_types::{AlertObservable, GroupingSettings};

use crate::observable::ObservableKind;
use crate::validate::FieldError;

/// Longest window: a week. Longer windows chain unrelated activity together.
pub const MAX_WINDOW_MINUTES: u32 = 7 * 24 * 60;

/// Hosts, accounts, addresses and file hashes join alerts within an hour;
/// the accounts every system alert carries do not.
pub fn default_settings() -> GroupingSettings {
    GroupingSettings {
        enabled: true,
        keys: ["hostname", "user_account", "ip", "md5", "sha1", "sha256"].map(str::to_owned).to_vec(),
        window_minutes: 60,
        ignore: ["system", "nt authority\\system", "root", "local service", "network service", "-"]
            .map(str::to_owned)
            .to_vec(),
        join_non_routable: false,
        max_share_percent: 5,
        share_min_alerts: 50,
    }
}

/// Most alerts a period may need before the share applies.
pub const MAX_SHARE_MIN_ALERTS: u32 = 1_000_000;

/// Whether an address is one no single host owns, and so tells nothing of
/// which alerts belong together: unspecified, loopback, link-local,
/// multicast, reserved (240/4, with the limited broadcast
/// 255.255.255.255, and 0/8), and a private IPv4 address ending in `.255`.
///
/// The last is the broadcast address of a /24 subnet, the usual size of
/// private ones. In a wider subnet it can be a host's; such a host still
/// joins its alerts by its name, only not by this address. A public address
/// ending in `.255` is left alone: whose broadcast it would be is unknown.
pub fn is_shared_address(ip: IpAddr) -> bool {
    use crate::observable::{IpClass, classify};
    match classify(ip) {
        IpClass::Unspecified
        | IpClass::Loopback
        | IpClass::LinkLocal
        | IpClass::Multicast
        | IpClass::Broadcast
        | IpClass::Reserved => true,
        IpClass::Private => match ip {
            IpAddr::V4(v4) => v4.octets()[3] == 255,
            IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some_and(|v4| v4.octets()[3] == 255),
        },
        IpClass::Public | IpClass::Documentation => false,
    }
}

/// When a value is a stop word: carried by more than `percent` of the
/// alerts of a period that holds at least `min_alerts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopWords {
    pub percent: u32,
    pub min_alerts: u32,
}

impl StopWords {
    /// Whether a value carried by `carried` of a period's `alerts` alerts
    /// stops joining them.
    pub fn stops(&self, carried: i64, alerts: i64) -> bool {
        self.percent < 100 && alerts >= i64::from(self.min_alerts) && carried * 100 > i64::from(self.percent) * alerts
    }
}

pub fn check_settings(s: &GroupingSettings) -> Result<(), FieldError> {
    for (i, k) in s.keys.iter().enumerate() {
        ObservableKind::from_str(k)
            .map_err(|_| FieldError::new(format!("keys[{i}]"), format!("an observable type (got {k:?})")))?;
    }
    if s.window_minutes == 0 || s.window_minutes > MAX_WINDOW_MINUTES {
        return Err(FieldError::new("window_minutes", format!("1 to {MAX_WINDOW_MINUTES} minutes")));
    }
    if s.ignore.len() > 1000 {
        return Err(FieldError::new("ignore", "at most 1000 values"));
    }
    if !(1..=100).contains(&s.max_share_percent) {
        return Err(FieldError::new("max_share_percent", "1 to 100 percent"));
    }
    if !(1..=MAX_SHARE_MIN_ALERTS).contains(&s.share_min_alerts) {
        return Err(FieldError::new("share_min_alerts", format!("1 to {MAX_SHARE_MIN_ALERTS} alerts")));
    }
    Ok(())
}

/// The settings made ready for intake: a lookup instead of lists.
pub struct Grouper {
    keys: Vec<String>,
    ignore: std::collections::HashSet<String>,
    join_non_routable: bool,
    pub window_ms: i64,
    pub stop_words: StopWords,
}

impl Grouper {
    /// `None` when grouping is off.
    pub fn new(s: &GroupingSettings) -> Option<Grouper> {
        s.enabled.then(|| Grouper {
            keys: s.keys.clone(),
            ignore: s.ignore.iter().map(|v| v.trim().to_lowercase()).collect(),
            join_non_routable: s.join_non_routable,
            window_ms: i64::from(s.window_minutes) * 60_000,
            stop_words: StopWords { percent: s.max_share_percent, min_alerts: s.share_min_alerts },
        })
    }

    /// The entities (`type:value`, as the sightings index keys them) by which
    /// an alert joins others. An account is compared without its domain
    /// (`CORP\\alice` is `alice`), since senders write it both ways. An
    /// address no one host owns ([`is_shared_address`]) is not one, unless
    /// the settings join them.
    pub fn entities(&self, observables: &[AlertObservable]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for o in observables {
            if !self.keys.contains(&o.kind) {
                continue;
            }
            let v = o.value.to_lowercase();
            let bare = if o.kind == "user_account" { v.rsplit('\\').next().unwrap_or(&v) } else { &v };
            if self.ignore.contains(&v) || self.ignore.contains(bare) {
                continue;
            }
            if o.kind == "ip" && !self.join_non_routable && bare.parse::<IpAddr>().is_ok_and(is_shared_address) {
                continue;
            }
            let key = format!("{}:{}", o.kind, bare);
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(kind: &str, value: &str) -> AlertObservable {
        AlertObservable { kind: kind.into(), value: value.into(), original_type: None }
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(check_settings(&default_settings()), Ok(()));
    }

    #[test]
    fn bad_settings_name_the_field() {
        let mut s = default_settings();
        s.keys.push("colour".into());
        assert_eq!(check_settings(&s).map_err(|e| e.field), Err("keys[6]".to_owned()));
        let mut s = default_settings();
        s.window_minutes = 0;
        assert_eq!(check_settings(&s).map_err(|e| e.field), Err("window_minutes".to_owned()));
    }

    #[test]
    fn entities_follow_keys_and_skip_ignored_values() {
        let g = Grouper::new(&default_settings()).into_iter().next();
        let Some(g) = g else { panic!("grouping is on by default") };
        let e = g.entities(&[
            obs("hostname", "WS-01"),
            obs("hostname", "ws-01"),
            obs("domain", "example.org"),
            obs("user_account", "NT AUTHORITY\\SYSTEM"),
            obs("user_account", "CORP\\alice"),
            obs("ip", "10.0.0.5"),
        ]);
        assert_eq!(e, vec!["hostname:ws-01", "user_account:alice", "ip:10.0.0.5"]);
        let off = GroupingSettings { enabled: false, ..default_settings() };
        assert!(Grouper::new(&off).is_none());
    }

    #[test]
    fn addresses_no_one_host_owns_join_nothing_by_default() {
        let shared = [
            "0.0.0.0",
            "::",
            "255.255.255.255",
            "192.168.1.255",
            "10.20.30.255",
            "224.0.0.251",
            "239.255.255.250",
            "ff02::fb",
            "127.0.0.1",
            "::1",
            "169.254.10.1",
            "fe80::1",
            "::ffff:192.168.0.255",
        ];
        let owned = ["10.0.0.5", "192.168.1.254", "8.8.8.255", "203.0.113.9", "2001:db8::1", "fd00::1"];
        let Some(g) = Grouper::new(&default_settings()) else { panic!("grouping is on by default") };
        for ip in shared {
            assert!(g.entities(&[obs("ip", ip)]).is_empty(), "{ip} joins nothing");
        }
        for ip in owned {
            assert_eq!(g.entities(&[obs("ip", ip)]), vec![format!("ip:{ip}")], "{ip} joins");
        }
        let on = GroupingSettings { join_non_routable: true, ..default_settings() };
        let Some(g) = Grouper::new(&on) else { panic!("on") };
        assert_eq!(g.entities(&[obs("ip", "255.255.255.255")]), vec!["ip:255.255.255.255"]);
        // A host name that looks like nothing of the sort is still a host.
        assert_eq!(g.entities(&[obs("hostname", "0.0.0.0")]), vec!["hostname:0.0.0.0"]);
    }

    #[test]
    fn share_settings_are_checked_and_stored_settings_without_them_take_the_defaults() {
        let mut s = default_settings();
        s.max_share_percent = 0;
        assert_eq!(check_settings(&s).map_err(|e| e.field), Err("max_share_percent".to_owned()));
        let mut s = default_settings();
        s.share_min_alerts = 0;
        assert_eq!(check_settings(&s).map_err(|e| e.field), Err("share_min_alerts".to_owned()));
        let old = r#"{"enabled":true,"keys":["ip"],"window_minutes":60,"ignore":[]}"#;
        let Ok(old) = serde_json::from_str::<GroupingSettings>(old) else { panic!("settings stored before read") };
        assert_eq!((old.join_non_routable, old.max_share_percent, old.share_min_alerts), (false, 5, 50));
    }

    #[test]
    fn a_value_in_more_than_its_share_of_a_period_is_a_stop_word() {
        let s = StopWords { percent: 5, min_alerts: 50 };
        assert!(!s.stops(49, 49), "under the minimum, every value joins");
        assert!(s.stops(3, 50), "3 of 50 is 6%");
        assert!(!s.stops(5, 100), "5% is not more than 5%");
        assert!(s.stops(6, 100));
        assert!(!StopWords { percent: 100, min_alerts: 1 }.stops(10, 10), "100% never stops a value");
    }
}
