//! The SQL implementation of [`Store`], on SQLite and PostgreSQL.
//!
//! One body of SQL serves both databases through sqlx's `Any` driver: the
//! schema is kept to types both share (TEXT, BIGINT), placeholders are `$n`
//! (which SQLite accepts too), and what truly differs between them lives in
//! [`Backend`]: connection setup, the migrations folder and the pool layout.
//!
//! This file opens the store; the [`Store`] methods are by topic:
//! `orgs`, `users`, `keys`, `sessions`, `audit_log`; `columns` reads typed
//! values out of rows and `lists` builds every list's filter and page.

mod audit_log;
mod keys;
mod lists;
mod orgs;
mod sessions;
mod shares;
mod users;

pub(crate) use lists::{Bind, Filter, paging};

use std::time::Duration;

use async_trait::async_trait;
use firebreak_domain::audit::{AuditKey, AuditRecord, ChainHead};
use firebreak_types::{
    ApiKey, AuditEntry, AuditQuery, CaseShare, ListParams, OrgGrant, Organisation, Page, Role, ShareRule, User,
};
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor, Row};
use uuid::Uuid;

use crate::{
    AuditEvent, KeyCredential, NewApiKey, NewOrg, NewSession, NewUser, OrgPatch, PoolState, Result, SessionRecord,
    Store, StoreError, UserPatch, WriteCtx,
};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(url.split('@').next_back().unwrap_or_default().to_owned()))
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Connections for reading (PostgreSQL: in all).
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Signs each audit chain head as it is written. It must be the same
    /// every time the database is opened, by every node: the default, a
    /// fresh random key, suits only a database that is never verified after
    /// it is closed (tests, benchmarks).
    pub audit_key: AuditKey,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { max_connections: 8, acquire_timeout: Duration::from_secs(10), audit_key: random_key() }
    }
}

fn random_key() -> AuditKey {
    let mut bytes = [0u8; 32];
    // Without the system's randomness, a key of zeros would sign heads anyone
    // could forge; such a system cannot run the server anyway (sessions need it).
    if getrandom::fill(&mut bytes).is_err() {
        tracing::error!("no system randomness for the audit key");
    }
    AuditKey::from_bytes(bytes)
}

/// [`Store`] on SQLite or PostgreSQL.
///
/// On SQLite, writes go through a pool of one connection: SQLite admits one
/// writer at a time anyway, and queuing in the pool avoids the busy errors
/// of several connections racing for the write lock. Reads use WAL mode and
/// run beside the writer.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) backend: Backend,
    pub(crate) writer: AnyPool,
    pub(crate) reader: AnyPool,
    /// SQLite: where alert batches queue for the group writer. Held by every
    /// clone: the writer and the checkpointer stop once all are gone.
    pub(crate) batches: Option<tokio::sync::mpsc::UnboundedSender<crate::intake::sqlite::Batch>>,
    /// Signs the audit chain heads this store writes.
    pub(crate) audit_key: AuditKey,
}

/// How soon the SQLite write-ahead log is copied back into the database
/// again while it grows, and while it does not.
const CHECKPOINT_BUSY: Duration = Duration::from_millis(10);
const CHECKPOINT_IDLE: Duration = Duration::from_millis(250);

/// Copies the write-ahead log back into the database file, on a reading
/// connection, beside the writer: every [`CHECKPOINT_BUSY`] while frames
/// keep coming, every [`CHECKPOINT_IDLE`] otherwise. The writer still
/// checkpoints itself past 16,000 pages, which is also when the log starts
/// again from its beginning; what this leaves it is the few frames of its
/// last transaction. Left to the writer (SQLite's default), each commit past
/// a thousand pages stopped intake while it copied them; checkpointing every
/// 250 ms still left it half of the copying under sustained intake (300k
/// alerts: 34.7k alerts/s, against 36.8k at 10 ms).
fn spawn_checkpointer<T: Send + 'static>(reader: AnyPool, alive: tokio::sync::mpsc::WeakUnboundedSender<T>) {
    tokio::spawn(async move {
        let mut wait = CHECKPOINT_IDLE;
        let mut copied_before = -1i64;
        loop {
            tokio::time::sleep(wait).await;
            if alive.strong_count() == 0 || reader.is_closed() {
                break;
            }
            // (busy, frames in the log, frames copied back)
            match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&reader).await {
                Ok(row) => {
                    let log: i64 = row.try_get(1).unwrap_or(0);
                    let copied: i64 = row.try_get(2).unwrap_or(0);
                    let growing = copied != copied_before || copied < log;
                    wait = if growing { CHECKPOINT_BUSY } else { CHECKPOINT_IDLE };
                    copied_before = copied;
                }
                Err(e) => {
                    tracing::debug!("checkpoint: {e}");
                    wait = CHECKPOINT_IDLE;
                }
            }
        }
    });
}

async fn sqlite_pragmas(conn: &mut AnyConnection, writer: bool) -> Result<(), sqlx::Error> {
    if writer {
        // The writer keeps a large alert table's index pages in memory
        // (64 MiB of page cache) rather than reading them again for each
        // batch.
        conn.execute("PRAGMA cache_size = -65536").await?;
        // Checkpoints are the checkpointer's (see `spawn_checkpointer`).
        conn.execute("PRAGMA wal_autocheckpoint = 16000").await?;
    }
    for pragma in [
        "PRAGMA journal_mode = WAL",
        // FULL: a write acknowledged to a client survives power loss, not only a crash.
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 10000",
        "PRAGMA temp_store = MEMORY",
    ] {
        conn.execute(pragma).await?;
    }
    Ok(())
}

impl SqlStore {
    /// Connects, checks that the schema is not newer than this binary, and
    /// applies the migrations this binary has and the database lacks.
    pub async fn open(url: &str, opts: &OpenOptions) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut store = match backend {
            Backend::Sqlite => {
                let url = if url.contains("mode=") {
                    url.to_owned()
                } else if url.contains('?') {
                    format!("{url}&mode=rwc")
                } else {
                    format!("{url}?mode=rwc")
                };
                let pool = |max: u32, writer: bool| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .acquire_timeout(opts.acquire_timeout)
                        .after_connect(move |conn, _| Box::pin(async move { sqlite_pragmas(conn, writer).await }))
                };
                let writer = pool(1, true).connect(&url).await?;
                let reader = pool(opts.max_connections.max(1), false).connect(&url).await?;
                SqlStore { backend, writer, reader, batches: None, audit_key: opts.audit_key.clone() }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(opts.acquire_timeout)
                    .connect(url)
                    .await?;
                SqlStore {
                    backend,
                    writer: pool.clone(),
                    reader: pool,
                    batches: None,
                    audit_key: opts.audit_key.clone(),
                }
            }
        };
        store.migrate().await?;
        if backend == Backend::Sqlite {
            // The alert writer opens the file itself, migrated.
            let path: String = sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&store.writer)
                .await?
                .try_get(0)?;
            if path.is_empty() {
                return Err(StoreError::UnsupportedUrl(format!("{url} (SQLite needs a database file)")));
            }
            let batches = crate::intake::sqlite::spawn(
                std::path::Path::new(&path),
                store.writer.clone(),
                store.audit_key.clone(),
            )?;
            spawn_checkpointer(store.reader.clone(), batches.downgrade());
            store.batches = Some(batches);
        }
        Ok(store)
    }

    /// The newest migration this binary carries.
    pub fn binary_schema_version(&self) -> i64 {
        self.backend.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    async fn applied_version(&self) -> Result<Option<i64>> {
        let exists_sql = match self.backend {
            Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_name = '_sqlx_migrations' AND table_schema = current_schema()"
            }
        };
        let exists: i64 = sqlx::query(exists_sql).fetch_one(&self.writer).await?.try_get(0)?;
        if exists == 0 {
            return Ok(None);
        }
        let v: Option<i64> =
            sqlx::query("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&self.writer).await?.try_get(0)?;
        Ok(v)
    }

    async fn migrate(&self) -> Result<()> {
        let binary = self.binary_schema_version();
        if let Some(database) = self.applied_version().await?
            && database > binary
        {
            return Err(StoreError::SchemaTooNew { database, binary });
        }
        self.backend.migrator().run(&self.writer).await?;
        Ok(())
    }

    /// Closes both pools (at shutdown, so SQLite checkpoints its WAL).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn schema_version(&self) -> Result<i64> {
        Ok(self.applied_version().await?.unwrap_or(0))
    }

    fn pool_state(&self) -> PoolState {
        let (size, idle) = if self.backend == Backend::Sqlite {
            (self.writer.size() + self.reader.size(), self.writer.num_idle() + self.reader.num_idle())
        } else {
            (self.reader.size(), self.reader.num_idle())
        };
        PoolState { size, idle: u32::try_from(idle).unwrap_or(u32::MAX) }
    }

    async fn create_org(&self, ctx: &WriteCtx, org: NewOrg) -> Result<Organisation> {
        orgs::create_org(self, ctx, org).await
    }

    async fn get_org(&self, id: Uuid) -> Result<Option<Organisation>> {
        orgs::get_org(self, id).await
    }

    async fn root_org(&self) -> Result<Option<Uuid>> {
        orgs::root_org(self).await
    }

    async fn org_count(&self) -> Result<u64> {
        orgs::org_count(self).await
    }

    async fn list_orgs(&self, visible: &[Uuid], params: &ListParams) -> Result<Page<Organisation>> {
        orgs::list_orgs(self, visible, params).await
    }

    async fn update_org(&self, ctx: &WriteCtx, id: Uuid, patch: OrgPatch) -> Result<Organisation> {
        orgs::update_org(self, ctx, id, patch).await
    }

    async fn grant_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<OrgGrant> {
        orgs::grant_access(self, ctx, provider, customer).await
    }

    async fn revoke_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<()> {
        orgs::revoke_access(self, ctx, provider, customer).await
    }

    async fn grants_of(&self, provider: Uuid) -> Result<Vec<Uuid>> {
        orgs::grants_of(self, provider).await
    }

    async fn providers_of(&self, customer: Uuid) -> Result<Vec<Uuid>> {
        orgs::providers_of(self, customer).await
    }

    async fn create_case_share(&self, ctx: &WriteCtx, share: &CaseShare) -> Result<CaseShare> {
        shares::create(self, ctx, share).await
    }

    async fn update_case_share(
        &self,
        ctx: &WriteCtx,
        owner: Uuid,
        id: Uuid,
        role: Role,
        task_rule: ShareRule,
        observable_rule: ShareRule,
    ) -> Result<CaseShare> {
        shares::update(self, ctx, owner, id, role, task_rule, observable_rule).await
    }

    async fn delete_case_share(&self, ctx: &WriteCtx, owner: Uuid, id: Uuid) -> Result<CaseShare> {
        shares::delete(self, ctx, owner, id).await
    }

    async fn case_share(&self, owner: Uuid, id: Uuid) -> Result<Option<CaseShare>> {
        shares::get(self, owner, id).await
    }

    async fn case_shares(&self, owner: Uuid, case_id: Uuid) -> Result<Vec<CaseShare>> {
        shares::of_case(self, owner, case_id).await
    }

    async fn shares_with(&self, org: Uuid) -> Result<Vec<CaseShare>> {
        shares::with_org(self, org).await
    }

    async fn case_share_with(&self, org: Uuid, case_id: Uuid) -> Result<Option<CaseShare>> {
        shares::of_case_with(self, org, case_id).await
    }

    async fn item_share_with(&self, org: Uuid, item_id: Uuid) -> Result<Option<CaseShare>> {
        shares::of_item_with(self, org, item_id).await
    }

    async fn create_user(&self, ctx: &WriteCtx, org: Uuid, u: NewUser) -> Result<User> {
        users::create_user(self, ctx, org, u).await
    }

    async fn get_user(&self, org: Uuid, id: Uuid) -> Result<Option<User>> {
        users::get_user(self, org, id).await
    }

    async fn list_users(&self, org: Uuid, params: &ListParams) -> Result<Page<User>> {
        users::list_users(self, org, params).await
    }

    async fn update_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, patch: UserPatch) -> Result<User> {
        users::update_user(self, ctx, org, id, patch).await
    }

    async fn set_password(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, password_hash: String) -> Result<()> {
        users::set_password(self, ctx, org, id, password_hash).await
    }

    async fn delete_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<()> {
        users::delete_user(self, ctx, org, id).await
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        users::credentials(self, username).await
    }

    async fn create_api_key(&self, ctx: &WriteCtx, org: Uuid, k: NewApiKey) -> Result<ApiKey> {
        keys::create_api_key(self, ctx, org, k).await
    }

    async fn get_api_key(&self, org: Uuid, id: Uuid) -> Result<Option<ApiKey>> {
        keys::get_api_key(self, org, id).await
    }

    async fn list_api_keys(&self, org: Uuid, params: &ListParams) -> Result<Page<ApiKey>> {
        keys::list_api_keys(self, org, params).await
    }

    async fn revoke_api_key(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<ApiKey> {
        keys::revoke_api_key(self, ctx, org, id).await
    }

    async fn api_key_by_secret_hash(&self, secret_hash: &str) -> Result<Option<KeyCredential>> {
        keys::api_key_by_secret_hash(self, secret_hash).await
    }

    async fn touch_api_key(&self, id: Uuid, at_ms: i64) -> Result<()> {
        keys::touch_api_key(self, id, at_ms).await
    }

    async fn create_session(&self, ctx: &WriteCtx, s: NewSession) -> Result<()> {
        sessions::create_session(self, ctx, s).await
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<SessionRecord>> {
        sessions::session(self, token_hash, now_ms).await
    }

    async fn end_session(&self, ctx: &WriteCtx, token_hash: &str) -> Result<()> {
        sessions::end_session(self, ctx, token_hash).await
    }

    async fn record_event(&self, ctx: &WriteCtx, org: Uuid, e: AuditEvent) -> Result<()> {
        audit_log::record_event(self, ctx, org, e).await
    }

    async fn list_audit(&self, org: Uuid, q: &AuditQuery) -> Result<Page<AuditEntry>> {
        audit_log::list_audit(self, org, q).await
    }

    async fn audit_orgs(&self) -> Result<Vec<Uuid>> {
        audit_log::audit_orgs(self).await
    }

    fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    async fn audit_heads(&self) -> Result<Vec<(Uuid, ChainHead)>> {
        audit_log::audit_heads(self).await
    }

    async fn anchor_audit_heads(&self) -> Result<u64> {
        audit_log::anchor_audit_heads(self).await
    }

    async fn audit_chain(&self, org: Uuid) -> Result<(Vec<AuditRecord>, Option<ChainHead>)> {
        audit_log::audit_chain(self, org).await
    }
}
