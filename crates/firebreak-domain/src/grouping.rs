//! Grouping alerts into stories: which of an alert's observables join it to
//! others, by the organisation's settings.

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
    Ok(())
}

/// The settings made ready for intake: a lookup instead of lists.
pub struct Grouper {
    keys: Vec<String>,
    ignore: std::collections::HashSet<String>,
    pub window_ms: i64,
}

impl Grouper {
    /// `None` when grouping is off.
    pub fn new(s: &GroupingSettings) -> Option<Grouper> {
        s.enabled.then(|| Grouper {
            keys: s.keys.clone(),
            ignore: s.ignore.iter().map(|v| v.trim().to_lowercase()).collect(),
            window_ms: i64::from(s.window_minutes) * 60_000,
        })
    }

    /// The entities (`type:value`, as the sightings index keys them) by which
    /// an alert joins others. An account is compared without its domain
    /// (`CORP\\alice` is `alice`), since senders write it both ways.
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
}
