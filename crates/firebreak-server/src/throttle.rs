//! Slows down guessing: after a few failed sign-ins for one account, each
//! further attempt must wait, twice as long after every failure.

use std::collections::HashMap;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

const MAX_LOCK: Duration = Duration::minutes(15);

#[derive(Default)]
struct Failures {
    count: u32,
    locked_until: Option<OffsetDateTime>,
}

pub struct LoginThrottle {
    free_attempts: u32,
    accounts: Mutex<HashMap<String, Failures>>,
}

impl LoginThrottle {
    pub fn new(free_attempts: u32) -> Self {
        Self { free_attempts, accounts: Mutex::new(HashMap::new()) }
    }

    /// Seconds to wait before `username` may try again, if it must.
    pub fn wait(&self, username: &str, now: OffsetDateTime) -> Option<u64> {
        let accounts = self.accounts.lock().ok()?;
        let until = accounts.get(username)?.locked_until?;
        let left = until - now;
        (left > Duration::ZERO).then(|| u64::try_from(left.whole_seconds()).unwrap_or(0).max(1))
    }

    /// Records a failure; returns the lock it caused, in seconds.
    pub fn failed(&self, username: &str, now: OffsetDateTime) -> Option<u64> {
        let mut accounts = self.accounts.lock().ok()?;
        if accounts.len() > 100_000 {
            // Bound memory under a spray of invented names.
            accounts.retain(|_, f| f.locked_until.is_some_and(|t| t > now));
        }
        let f = accounts.entry(username.to_owned()).or_default();
        f.count += 1;
        let over = f.count.checked_sub(self.free_attempts)?;
        let lock = Duration::seconds(1_i64 << over.min(10)).min(MAX_LOCK);
        f.locked_until = Some(now + lock);
        Some(u64::try_from(lock.whole_seconds()).unwrap_or(0))
    }

    pub fn succeeded(&self, username: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(username);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn locks_grow_after_the_free_attempts() {
        let t = LoginThrottle::new(3);
        let now = datetime!(2026-01-01 0:00 UTC);
        assert_eq!(t.failed("a", now), None);
        assert_eq!(t.failed("a", now), None);
        assert_eq!(t.failed("a", now), Some(1));
        assert_eq!(t.wait("a", now), Some(1));
        assert_eq!(t.failed("a", now), Some(2));
        assert_eq!(t.wait("a", now + Duration::seconds(3)), None);
        assert_eq!(t.wait("b", now), None);
        t.succeeded("a");
        assert_eq!(t.wait("a", now), None);
    }
}
