//! Passwords, tokens and API-key secrets.
//!
//! Passwords are hashed with Argon2id (slow on purpose). Session tokens and
//! API-key secrets are 256 random bits, so a single SHA-256 is enough to
//! store them: there is nothing to brute-force.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// `n` random bytes, base64url-encoded.
pub fn random_token(n: usize) -> Result<String, AppError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| {
        tracing::error!(error = %e, "no randomness");
        AppError::internal()
    })?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AppError::internal())?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| AppError::internal())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::internal()
    })
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash to verify against when the user does not exist, so that a wrong
/// username takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("firebreak-timing-equaliser").unwrap_or_default())
}

/// The prefix every API key starts with, so leaked keys are recognisable.
pub const API_KEY_PREFIX: &str = "fbk_";

/// A new API key secret and the part of it shown in lists.
pub fn new_api_key() -> Result<(String, String), AppError> {
    let secret = format!("{API_KEY_PREFIX}{}", random_token(32)?);
    let prefix = secret.chars().take(API_KEY_PREFIX.len() + 6).collect();
    Ok((secret, prefix))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
