//! Basic credentials recently verified, so that an integration sending its
//! username and password on every request pays Argon2 once every few minutes
//! rather than on every request.
//!
//! An entry is found by an HMAC-SHA256, under a key drawn at random when the
//! process starts, of the username and the password: the password itself is
//! never kept, and the key never leaves memory. An entry holds the user's id
//! and the stored password hash it was verified against; a hit still reads
//! the user (one indexed look-up, as an API key costs) and counts only if the
//! user is still enabled and the stored hash is still that one, so a password
//! changed, a user disabled or deleted, also on another node, ends it at once.
//! A wrong password is never kept: it misses, is verified and counted by the
//! sign-in throttle as before. Entries of a user are dropped when they sign
//! out, change password, are disabled or deleted on this node.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// How long a verified credential is kept.
pub const KEEP_FOR: Duration = Duration::minutes(3);
/// Entries kept at most; past it the expired ones go, then all.
const CAPACITY: usize = 10_000;

type Digest = [u8; 32];

struct Entry {
    user: Uuid,
    /// The stored password hash the password was verified against.
    hash: String,
    until: OffsetDateTime,
}

/// Verified Basic credentials of this process.
pub struct BasicCache {
    key: [u8; 32],
    entries: Mutex<HashMap<Digest, Entry>>,
}

impl Default for BasicCache {
    fn default() -> Self {
        Self::new()
    }
}

impl BasicCache {
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            // Without randomness nothing is cached: every look-up misses,
            // since no entry is ever stored (see `keep`).
            tracing::error!("no randomness for the Basic credential cache; it stays empty");
        }
        Self { key, entries: Mutex::new(HashMap::new()) }
    }

    fn usable(&self) -> bool {
        self.key != [0u8; 32]
    }

    fn digest(&self, username: &str, password: &str) -> Option<Digest> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).ok()?;
        // The length first, so that no two pairs write the same bytes.
        mac.update(&(username.len() as u64).to_be_bytes());
        mac.update(username.as_bytes());
        mac.update(password.as_bytes());
        Some(mac.finalize().into_bytes().into())
    }

    /// The user and stored hash a credential was verified against, if it
    /// was within [`KEEP_FOR`].
    pub fn get(&self, username: &str, password: &str, now: OffsetDateTime) -> Option<(Uuid, String)> {
        if !self.usable() {
            return None;
        }
        let d = self.digest(username, password)?;
        let mut entries = self.entries.lock().ok()?;
        match entries.get(&d) {
            Some(e) if e.until > now => Some((e.user, e.hash.clone())),
            Some(_) => {
                entries.remove(&d);
                None
            }
            None => None,
        }
    }

    /// Keeps a credential just verified against `hash`.
    pub fn keep(&self, username: &str, password: &str, user: Uuid, hash: &str, now: OffsetDateTime) {
        if !self.usable() {
            return;
        }
        let Some(d) = self.digest(username, password) else { return };
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() >= CAPACITY && !entries.contains_key(&d) {
            entries.retain(|_, e| e.until > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(d, Entry { user, hash: hash.to_owned(), until: now + KEEP_FOR });
    }

    /// Forgets a credential (it did not hold when checked again).
    pub fn forget(&self, username: &str, password: &str) {
        if let (Some(d), Ok(mut entries)) = (self.digest(username, password), self.entries.lock()) {
            entries.remove(&d);
        }
    }

    /// Drops every credential of `user`.
    pub fn drop_user(&self, user: Uuid) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, e| e.user != user);
        }
    }

    /// How many credentials are kept (expired ones included until touched).
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_is_kept_for_a_while_and_only_that_one() {
        let cache = BasicCache::new();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let user = Uuid::now_v7();
        cache.keep("ana", "right horse", user, "$argon2id$one", now);
        assert_eq!(cache.get("ana", "right horse", now), Some((user, "$argon2id$one".to_owned())));
        assert_eq!(cache.get("ana", "wrong horse", now), None);
        assert_eq!(cache.get("anar", "ight horse", now), None, "the split between name and password counts");
        assert_eq!(cache.get("ana", "right horse", now + KEEP_FOR), None, "expired");
        assert!(cache.is_empty(), "an expired entry is dropped when met");

        cache.keep("ana", "right horse", user, "$argon2id$one", now);
        cache.keep("bo", "x", Uuid::now_v7(), "$argon2id$two", now);
        cache.drop_user(user);
        assert_eq!(cache.get("ana", "right horse", now), None);
        assert_eq!(cache.len(), 1);
        cache.forget("bo", "x");
        assert!(cache.is_empty());
    }

    #[test]
    fn the_key_is_per_process_and_the_password_is_not_kept() {
        let (a, b) = (BasicCache::new(), BasicCache::new());
        assert_ne!(a.digest("ana", "pw"), b.digest("ana", "pw"));
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        a.keep("ana", "a very particular password", Uuid::now_v7(), "h", now);
        let entries = a.entries.lock().unwrap();
        let (d, e) = entries.iter().next().unwrap();
        assert!(!d.windows(8).any(|w| w == &b"a very particular password"[..8]));
        assert_eq!(e.hash, "h");
    }
}
