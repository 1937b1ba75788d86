//! Slows down password guessing, counted both per account and per client
//! address: after a few failures each further attempt must wait, twice as long
//! after every failure, up to 15 minutes.
//!
//! An address that failed too often is refused before its password is
//! checked, so one password tried across many accounts is slowed down. An
//! account that failed too often refuses wrong passwords only: its owner,
//! signing in from an address that is not itself throttled, still gets in, so
//! that guessing from elsewhere cannot lock them out.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

const MAX_LOCK: Duration = Duration::minutes(15);
/// Failures stop counting this long after the last one, so that the typos of
/// a day do not add up; longer than the longest lock, so that waiting a lock
/// out does not start the count again.
const FORGET_AFTER: Duration = Duration::hours(1);
/// One address may be many people (an office behind one NAT address), so it
/// is allowed this many times an account's free attempts.
const ADDRESS_ALLOWANCE: u32 = 4;
/// Accounts or addresses remembered at most, each, whatever is sprayed.
const MAX_TRACKED: usize = 100_000;

struct Failures {
    count: u32,
    last: OffsetDateTime,
    locked_until: Option<OffsetDateTime>,
}

/// Failures counted per key (an account name or an address).
struct Tally<K> {
    free_attempts: u32,
    capacity: usize,
    entries: Mutex<HashMap<K, Failures>>,
}

impl<K: Hash + Eq + Clone> Tally<K> {
    fn new(free_attempts: u32, capacity: usize) -> Self {
        Self { free_attempts, capacity, entries: Mutex::new(HashMap::new()) }
    }

    fn wait(&self, key: &K, now: OffsetDateTime) -> Option<u64> {
        let entries = self.entries.lock().ok()?;
        seconds_left(entries.get(key)?.locked_until?, now)
    }

    /// Records a failure; returns the lock it caused, in seconds.
    fn failed(&self, key: K, now: OffsetDateTime) -> Option<u64> {
        let mut entries = self.entries.lock().ok()?;
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, f| f.locked_until.is_some_and(|t| t > now) || now - f.last <= FORGET_AFTER);
            if entries.len() >= self.capacity {
                // Still full of fresh failures: forget the stalest one.
                let stalest = entries.iter().min_by_key(|(_, f)| f.last).map(|(k, _)| k.clone());
                if let Some(k) = stalest {
                    entries.remove(&k);
                }
            }
        }
        let f = entries.entry(key).or_insert(Failures { count: 0, last: now, locked_until: None });
        if now - f.last > FORGET_AFTER {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        let over = f.count.checked_sub(self.free_attempts)?;
        let lock = Duration::seconds(1_i64 << over.min(10)).min(MAX_LOCK);
        f.locked_until = Some(now + lock);
        Some(u64::try_from(lock.whole_seconds()).unwrap_or(0))
    }

    fn forget(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

fn seconds_left(until: OffsetDateTime, now: OffsetDateTime) -> Option<u64> {
    let left = until - now;
    (left > Duration::ZERO).then(|| u64::try_from(left.whole_seconds()).unwrap_or(0).max(1))
}

/// The locks a failure caused, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Locks {
    pub account: Option<u64>,
    pub address: Option<u64>,
}

pub struct LoginThrottle {
    accounts: Tally<String>,
    addresses: Tally<IpAddr>,
}

impl LoginThrottle {
    /// `free_attempts`: failures an account may have before it is slowed down.
    pub fn new(free_attempts: u32) -> Self {
        Self::with_capacity(free_attempts, MAX_TRACKED)
    }

    fn with_capacity(free_attempts: u32, capacity: usize) -> Self {
        Self {
            accounts: Tally::new(free_attempts, capacity),
            addresses: Tally::new(free_attempts.saturating_mul(ADDRESS_ALLOWANCE), capacity),
        }
    }

    /// Seconds `addr` must wait before it may try any password again, if it must.
    pub fn address_wait(&self, addr: IpAddr, now: OffsetDateTime) -> Option<u64> {
        self.addresses.wait(&address_key(addr), now)
    }

    /// Seconds before a wrong password for `username` is answered as such
    /// again, if it is slowed down.
    pub fn account_wait(&self, username: &str, now: OffsetDateTime) -> Option<u64> {
        self.accounts.wait(&username.to_owned(), now)
    }

    /// Records a failed sign-in against both the account and the address.
    pub fn failed(&self, username: &str, addr: IpAddr, now: OffsetDateTime) -> Locks {
        Locks {
            account: self.accounts.failed(username.to_owned(), now),
            address: self.addresses.failed(address_key(addr), now),
        }
    }

    /// The account's owner got in: its count starts again. The address keeps
    /// its count, so that signing in to one's own account between guesses at
    /// others does not earn more guesses.
    pub fn succeeded(&self, username: &str) {
        self.accounts.forget(&username.to_owned());
    }
}

/// The address as throttled: an IPv6 client usually holds a whole /64, so it
/// counts as one; an IPv4 address mapped into IPv6 counts as itself.
pub fn address_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !(u128::from(u64::MAX))).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_account_is_slowed_after_its_free_attempts_and_more_after_each_failure() {
        let t = LoginThrottle::new(3);
        let a = ip("192.0.2.1");
        assert_eq!(t.failed("a", a, NOW).account, None);
        assert_eq!(t.failed("a", a, NOW).account, None);
        assert_eq!(t.failed("a", a, NOW).account, Some(1));
        assert_eq!(t.account_wait("a", NOW), Some(1));
        assert_eq!(t.failed("a", a, NOW).account, Some(2));
        assert_eq!(t.account_wait("a", NOW + Duration::seconds(3)), None);
        assert_eq!(t.account_wait("b", NOW), None);
        t.succeeded("a");
        assert_eq!(t.account_wait("a", NOW), None);
    }

    #[test]
    fn locks_stop_growing_at_fifteen_minutes() {
        let t = LoginThrottle::new(1);
        let mut last = Locks::default();
        for _ in 0..30 {
            last = t.failed("a", ip("192.0.2.1"), NOW);
        }
        assert_eq!(last.account, Some(15 * 60));
    }

    #[test]
    fn failures_from_one_address_across_accounts_slow_the_address() {
        let t = LoginThrottle::new(5);
        let attacker = ip("192.0.2.1");
        for n in 0..5 * ADDRESS_ALLOWANCE - 1 {
            let locks = t.failed(&format!("user{n}"), attacker, NOW);
            assert_eq!(locks, Locks::default(), "no account failed more than once");
        }
        assert_eq!(t.address_wait(attacker, NOW), None);
        assert_eq!(t.failed("one-more", attacker, NOW).address, Some(1));
        assert_eq!(t.address_wait(attacker, NOW), Some(1));
        assert_eq!(t.address_wait(ip("192.0.2.2"), NOW), None, "another address is not slowed");
    }

    #[test]
    fn signing_in_does_not_clear_the_address() {
        let t = LoginThrottle::new(1);
        let attacker = ip("192.0.2.1");
        for n in 0..ADDRESS_ALLOWANCE {
            t.failed(&format!("user{n}"), attacker, NOW);
            t.succeeded("attacker's own");
        }
        assert!(t.address_wait(attacker, NOW).is_some());
    }

    #[test]
    fn an_account_locked_from_one_address_leaves_other_addresses_free() {
        let t = LoginThrottle::new(2);
        for _ in 0..3 {
            t.failed("victim", ip("192.0.2.1"), NOW);
        }
        assert!(t.account_wait("victim", NOW).is_some());
        assert_eq!(t.address_wait(ip("198.51.100.7"), NOW), None);
    }

    #[test]
    fn failures_are_forgotten_an_hour_after_the_last() {
        let t = LoginThrottle::new(2);
        let a = ip("192.0.2.1");
        t.failed("a", a, NOW);
        t.failed("a", a, NOW + Duration::minutes(30));
        let later = NOW + Duration::minutes(30) + FORGET_AFTER + Duration::seconds(1);
        assert_eq!(t.failed("a", a, later).account, None, "the count started again");
        assert_eq!(t.failed("a", a, later).account, Some(1));
    }

    #[test]
    fn ipv6_addresses_count_per_64_block() {
        let t = LoginThrottle::new(1);
        for n in 0..ADDRESS_ALLOWANCE {
            t.failed("a", ip(&format!("2001:db8:1:2::{n:x}")), NOW);
        }
        assert!(t.address_wait(ip("2001:db8:1:2:ffff::1"), NOW).is_some(), "same /64");
        assert_eq!(t.address_wait(ip("2001:db8:1:3::1"), NOW), None, "another /64");
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }

    #[test]
    fn memory_stays_bounded_under_a_spray() {
        let t = LoginThrottle::with_capacity(5, 100);
        for n in 0..1000u32 {
            t.failed(&format!("invented{n}"), IpAddr::V4(n.into()), NOW + Duration::seconds(i64::from(n)));
        }
        let (accounts, addresses) = (
            t.accounts.entries.lock().map(|e| e.len()).unwrap_or(0),
            t.addresses.entries.lock().map(|e| e.len()).unwrap_or(0),
        );
        assert!(accounts <= 100 && addresses <= 100, "{accounts} accounts, {addresses} addresses");
    }
}
