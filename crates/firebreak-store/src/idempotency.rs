//! Idempotency keys of bulk intake: a batch sent with a key is stored
//! together with the answer it was given, in one transaction, so that the
//! batch sent again with the key (its answer was lost, the server was
//! killed after the commit) is answered the same and stores nothing.
//!
//! A key is looked up inside the batch's own transaction, so that of two
//! batches sent at once with one key, one is stored and the other gets its
//! answer: on SQLite the writer stores them one after the other; on
//! PostgreSQL the second's claim of the key waits for the first's
//! transaction, then finds the key taken.

use std::sync::Arc;

use sqlx::Row;
use uuid::Uuid;

use crate::{Result, SqlStore};

/// Makes the answer to keep from what became of a batch's alerts: (HTTP
/// status, body).
pub type MakeAnswer = dyn Fn(&[(Uuid, bool)]) -> (u16, String) + Send + Sync;

/// What a bulk request sent with an idempotency key keeps.
#[derive(Clone)]
pub struct Idempotency {
    /// The key, as the caller sent it.
    pub key: String,
    /// Who sent it: a key is its caller's own.
    pub caller: String,
    /// SHA-256 of the request body, hex.
    pub body_hash: String,
    /// When the batch is stored (ms), and so when its key was first used.
    pub now_ms: i64,
    /// Keys first used before this (ms) have expired: they are forgotten,
    /// not answered from.
    pub since_ms: i64,
    /// The answer to keep once the batch is stored.
    pub answer: Arc<MakeAnswer>,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").field("key", &self.key).field("caller", &self.caller).finish_non_exhaustive()
    }
}

/// The answer kept under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub body: String,
    /// SHA-256 of the body of the request first sent with the key, hex.
    pub body_hash: String,
}

/// What became of a batch sent with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// Stored now: what became of each alert, as `ingest_alerts` answers.
    Stored(Vec<(Uuid, bool)>),
    /// The key was used before (or meanwhile): nothing was stored.
    Kept(KeptAnswer),
}

pub(crate) const KEPT_SELECT: &str = "SELECT status, body, body_hash FROM idempotency_keys \
     WHERE org_id = $1 AND caller = $2 AND idem_key = $3 AND created_at >= $4";

fn kept_from(status: i64, body: String, body_hash: String) -> KeptAnswer {
    KeptAnswer { status: u16::try_from(status).unwrap_or(500), body, body_hash }
}

impl SqlStore {
    /// The answer kept under `key` of `caller` in `org`, unless it expired.
    pub(crate) async fn kept(&self, org: Uuid, caller: &str, key: &str, since_ms: i64) -> Result<Option<KeptAnswer>> {
        let row = sqlx::query(KEPT_SELECT)
            .bind(org.to_string())
            .bind(caller)
            .bind(key)
            .bind(since_ms)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok(kept_from(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
    }

    /// Forgets the keys first used before `before_ms`.
    pub(crate) async fn prune_keys(&self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before_ms)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}

/// The SQLite writer's side: looks the key up, and keeps the answer, on its
/// own connection within the open transaction.
pub(crate) mod sqlite {
    use rusqlite::{Connection, OptionalExtension, params};
    use uuid::Uuid;

    use super::{Idempotency, KeptAnswer, kept_from};
    use crate::Result;

    pub(crate) fn kept(conn: &Connection, org: &str, once: &Idempotency) -> Result<Option<KeptAnswer>> {
        let sql = "SELECT status, body, body_hash FROM idempotency_keys \
                   WHERE org_id = ?1 AND caller = ?2 AND idem_key = ?3 AND created_at >= ?4";
        let row = conn
            .prepare_cached(sql)?
            .query_row(params![org, once.caller, once.key, once.since_ms], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })
            .optional()?;
        Ok(row.map(|(s, b, h)| kept_from(s, b, h)))
    }

    /// Keeps the batch's answer; an expired entry of the key is replaced.
    pub(crate) fn keep(conn: &Connection, org: &str, once: &Idempotency, stored: &[(Uuid, bool)]) -> Result<()> {
        let (status, body) = (once.answer)(stored);
        conn.prepare_cached(
            "INSERT OR REPLACE INTO idempotency_keys (org_id, caller, idem_key, body_hash, status, body, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![org, once.caller, once.key, once.body_hash, i64::from(status), body, once.now_ms])?;
        Ok(())
    }
}
