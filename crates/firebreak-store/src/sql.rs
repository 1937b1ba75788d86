//! The SQL implementation of [`Store`], on SQLite and PostgreSQL.
//!
//! One body of SQL serves both databases through sqlx's `Any` driver: the
//! schema is kept to types both share (TEXT, BIGINT), placeholders are `$n`
//! (which SQLite accepts too), and what truly differs between them lives in
//! [`Backend`]: connection setup, the migrations folder and the pool layout.

use std::time::Duration;

use async_trait::async_trait;
use firebreak_domain::audit::{AuditKey, AuditRecord, ChainHead, head_mac};
use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_types::{ApiKey, AuditEntry, AuditQuery, ListParams, OrgGrant, OrgKind, Organisation, Page, Role, User};
use serde_json::json;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor, Row};
use uuid::Uuid;

use crate::audit::{append, diff};
use crate::error::conflict_as;
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

// ---------------------------------------------------------------------------
// Row mapping

pub(crate) fn uuid_col(row: &AnyRow, col: &str) -> Result<Uuid> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("{col} {s:?}: {e}")))
}

pub(crate) fn opt_uuid_col(row: &AnyRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("{col} {s:?}: {e}")))).transpose()
}

pub(crate) fn time_col(row: &AnyRow, col: &str) -> Result<time::OffsetDateTime> {
    Ok(from_millis(row.try_get(col)?))
}

pub(crate) fn opt_time_col(row: &AnyRow, col: &str) -> Result<Option<time::OffsetDateTime>> {
    Ok(row.try_get::<Option<i64>, _>(col)?.map(from_millis))
}

fn role_col(row: &AnyRow, col: &str) -> Result<Role> {
    let s: String = row.try_get(col)?;
    Role::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("unknown role {s:?}")))
}

fn org_from(row: &AnyRow) -> Result<Organisation> {
    let kind: String = row.try_get("kind")?;
    Ok(Organisation {
        id: uuid_col(row, "id")?,
        name: row.try_get("name")?,
        kind: OrgKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("org kind {kind:?}")))?,
        description: row.try_get("description")?,
        created_at: time_col(row, "created_at")?,
    })
}

const USER_COLS: &str = "id, org_id, username, display_name, email, role, disabled, created_at, last_login_at";

fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        role: role_col(row, "role")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: time_col(row, "created_at")?,
        last_login_at: opt_time_col(row, "last_login_at")?,
    })
}

const KEY_COLS: &str = "id, org_id, name, role, prefix, created_by, created_at, expires_at, last_used_at, revoked_at";

fn key_from(row: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: uuid_col(row, "id")?,
        org_id: uuid_col(row, "org_id")?,
        name: row.try_get("name")?,
        role: role_col(row, "role")?,
        prefix: row.try_get("prefix")?,
        created_by: opt_uuid_col(row, "created_by")?,
        created_at: time_col(row, "created_at")?,
        expires_at: opt_time_col(row, "expires_at")?,
        last_used_at: opt_time_col(row, "last_used_at")?,
        revoked_at: opt_time_col(row, "revoked_at")?,
    })
}

fn head_from(row: &AnyRow) -> Result<ChainHead> {
    Ok(ChainHead { seq: row.try_get("seq")?, hash: row.try_get("hash")?, mac: row.try_get("mac")? })
}

const AUDIT_COLS: &str =
    "org_id, seq, at, actor_kind, actor_id, actor_name, object_type, object_id, action, changes, prev_hash, hash";

fn audit_from(row: &AnyRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        org_id: uuid_col(row, "org_id")?,
        seq: row.try_get("seq")?,
        at_ms: row.try_get("at")?,
        actor_kind: row.try_get("actor_kind")?,
        actor_id: opt_uuid_col(row, "actor_id")?,
        actor_name: row.try_get("actor_name")?,
        object_type: row.try_get("object_type")?,
        object_id: row.try_get("object_id")?,
        action: row.try_get("action")?,
        changes: row.try_get("changes")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

fn audit_entry(r: AuditRecord) -> AuditEntry {
    AuditEntry {
        org_id: r.org_id,
        seq: r.seq,
        at: from_millis(r.at_ms),
        actor_kind: r.actor_kind,
        actor_id: r.actor_id,
        actor_name: r.actor_name,
        object_type: r.object_type,
        object_id: r.object_id,
        action: r.action,
        // The stored text was written by serde_json; keep it verbatim if not.
        changes: serde_json::from_str(&r.changes).unwrap_or(serde_json::Value::String(r.changes)),
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

// ---------------------------------------------------------------------------
// Lists: one filter/sort/page builder for every list.

pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// A `WHERE` clause under construction, with `$n` placeholders numbered as
/// conditions are added.
pub(crate) struct Filter {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Filter {
    pub(crate) fn new() -> Self {
        Self { clauses: Vec::new(), binds: Vec::new() }
    }

    pub(crate) fn next(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    pub(crate) fn eq_text(&mut self, col: &str, v: impl Into<String>) {
        let p = self.next(Bind::Text(v.into()));
        self.clauses.push(format!("{col} = {p}"));
    }

    /// A condition with one text parameter, written as `{}` in `template`.
    pub(crate) fn cond_text(&mut self, template: &str, v: impl Into<String>) {
        let p = self.next(Bind::Text(v.into()));
        self.clauses.push(template.replace("{}", &p));
    }

    /// A condition without parameters.
    pub(crate) fn clause(&mut self, sql: &str) {
        self.clauses.push(sql.to_owned());
    }

    pub(crate) fn cmp_int(&mut self, col: &str, op: &str, v: i64) {
        let p = self.next(Bind::Int(v));
        self.clauses.push(format!("{col} {op} {p}"));
    }

    pub(crate) fn any_of(&mut self, col: &str, values: &[String]) {
        let ps: Vec<String> = values.iter().map(|v| self.next(Bind::Text(v.clone()))).collect();
        if ps.is_empty() {
            self.clauses.push("1 = 0".into());
        } else {
            self.clauses.push(format!("{col} IN ({})", ps.join(", ")));
        }
    }

    pub(crate) fn any_text(&mut self, col: &str, values: &[Uuid]) {
        if values.is_empty() {
            self.clauses.push("1 = 0".into());
            return;
        }
        let ps: Vec<String> = values.iter().map(|v| self.next(Bind::Text(v.to_string()))).collect();
        self.clauses.push(format!("{col} IN ({})", ps.join(", ")));
    }

    /// Case-insensitive substring search over `cols`.
    pub(crate) fn search(&mut self, cols: &[&str], q: Option<&str>) {
        let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
            return;
        };
        let escaped = q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let p = self.next(Bind::Text(format!("%{escaped}%")));
        let ors: Vec<String> = cols.iter().map(|c| format!("LOWER({c}) LIKE {p} ESCAPE '\\'")).collect();
        self.clauses.push(format!("({})", ors.join(" OR ")));
    }

    pub(crate) fn where_sql(&self) -> String {
        if self.clauses.is_empty() { String::new() } else { format!(" WHERE {}", self.clauses.join(" AND ")) }
    }

    pub(crate) fn query<'a>(&'a self, sql: &'a str) -> sqlx::query::Query<'a, sqlx::Any, sqlx::any::AnyArguments<'a>> {
        let mut q = sqlx::query(sql);
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

/// Validated paging and sorting. `sortable` maps API field names to columns;
/// the first is the default. A unique tiebreaker keeps pages stable.
pub(crate) struct Paging {
    limit: u32,
    offset: u64,
    order_by: String,
    total: bool,
}

const MAX_LIMIT: u32 = 1000;

pub(crate) fn paging(
    limit: Option<u32>,
    offset: Option<u64>,
    sort: Option<&str>,
    total: Option<bool>,
    sortable: &[(&str, &str)],
    tiebreak: &str,
) -> Result<Paging> {
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(StoreError::BadQuery {
            param: "limit".into(),
            expected: format!("1 to {MAX_LIMIT} (got {limit})"),
        });
    }
    let offset = offset.unwrap_or(0);
    if offset > i64::MAX as u64 {
        return Err(StoreError::BadQuery { param: "offset".into(), expected: "a smaller number".into() });
    }
    let (desc, field) = match sort {
        Some(s) => match s.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, s),
        },
        None => (false, sortable.first().map(|(f, _)| *f).unwrap_or_default()),
    };
    let Some((_, col)) = sortable.iter().find(|(f, _)| *f == field) else {
        let names: Vec<&str> = sortable.iter().map(|(f, _)| *f).collect();
        return Err(StoreError::BadQuery {
            param: "sort".into(),
            expected: format!("one of {}, optionally prefixed with '-' (got {field:?})", names.join(", ")),
        });
    };
    let dir = if desc { "DESC" } else { "ASC" };
    Ok(Paging { limit, offset, order_by: format!("{col} {dir}, {tiebreak} {dir}"), total: total.unwrap_or(false) })
}

impl SqlStore {
    pub(crate) async fn page<T>(
        &self,
        select: &str,
        from: &str,
        filter: &Filter,
        paging: &Paging,
        map: impl Fn(&AnyRow) -> Result<T>,
    ) -> Result<Page<T>> {
        let sql = format!(
            "SELECT {select} FROM {from}{} ORDER BY {} LIMIT {} OFFSET {}",
            filter.where_sql(),
            paging.order_by,
            paging.limit,
            paging.offset
        );
        let rows = filter.query(&sql).fetch_all(&self.reader).await?;
        let items = rows.iter().map(map).collect::<Result<Vec<T>>>()?;
        let total = if paging.total {
            let sql = format!("SELECT COUNT(*) FROM {from}{}", filter.where_sql());
            let n: i64 = filter.query(&sql).fetch_one(&self.reader).await?.try_get(0)?;
            Some(u64::try_from(n).unwrap_or(0))
        } else {
            None
        };
        Ok(Page { items, limit: paging.limit, offset: paging.offset, total })
    }
}

fn list_paging(p: &ListParams, sortable: &[(&str, &str)], tiebreak: &str) -> Result<Paging> {
    paging(p.limit, p.offset, p.sort.as_deref(), p.total, sortable, tiebreak)
}

async fn find_user<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    exec: E,
    org: Uuid,
    id: Uuid,
) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()).fetch_optional(exec).await?;
    row.as_ref().map(user_from).transpose()
}

async fn find_key<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    exec: E,
    org: Uuid,
    id: Uuid,
) -> Result<Option<ApiKey>> {
    let sql = format!("SELECT {KEY_COLS} FROM api_keys WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(org.to_string()).bind(id.to_string()).fetch_optional(exec).await?;
    row.as_ref().map(key_from).transpose()
}

/// Records a provider's access to a customer, in both tenants' chains.
async fn insert_grant(
    conn: &mut AnyConnection,
    key: &AuditKey,
    ctx: &WriteCtx,
    provider: Uuid,
    customer: Uuid,
) -> Result<OrgGrant> {
    let now = to_millis(ctx.now);
    sqlx::query("INSERT INTO org_grants (provider_id, customer_id, created_at) VALUES ($1, $2, $3)")
        .bind(provider.to_string())
        .bind(customer.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(conflict_as("this grant"))?;
    let details = json!({ "provider_id": provider, "customer_id": customer });
    append(conn, key, ctx, customer, "org_grant", &provider.to_string(), "grant", &details).await?;
    if provider != customer {
        append(conn, key, ctx, provider, "org_grant", &customer.to_string(), "grant", &details).await?;
    }
    Ok(OrgGrant { provider_id: provider, customer_id: customer, created_at: from_millis(now) })
}

// ---------------------------------------------------------------------------

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

    // -- Organisations -----------------------------------------------------

    async fn create_org(&self, ctx: &WriteCtx, org: NewOrg) -> Result<Organisation> {
        let now = to_millis(ctx.now);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO organisations (id, name, name_key, kind, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(org.id.to_string())
        .bind(&org.name)
        .bind(org.name.to_lowercase())
        .bind(org.kind.as_str())
        .bind(&org.description)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("organisation name"))?;
        if org.root {
            sqlx::query("INSERT INTO settings (key, value) VALUES ('root_org', $1)")
                .bind(org.id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(conflict_as("the root organisation"))?;
        }
        let changes = json!({ "name": org.name, "kind": org.kind.as_str(), "description": org.description });
        append(&mut tx, &self.audit_key, ctx, org.id, "organisation", &org.id.to_string(), "create", &changes).await?;
        if let Some(provider) = org.grant_to {
            insert_grant(&mut tx, &self.audit_key, ctx, provider, org.id).await?;
        }
        tx.commit().await?;
        Ok(Organisation {
            id: org.id,
            name: org.name,
            kind: org.kind,
            description: org.description,
            created_at: from_millis(now),
        })
    }

    async fn get_org(&self, id: Uuid) -> Result<Option<Organisation>> {
        let row = sqlx::query("SELECT id, name, kind, description, created_at FROM organisations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(org_from).transpose()
    }

    async fn root_org(&self) -> Result<Option<Uuid>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = 'root_org'").fetch_optional(&self.reader).await?;
        row.map(|r| uuid_col(&r, "value")).transpose()
    }

    async fn org_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM organisations").fetch_one(&self.reader).await?.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn list_orgs(&self, visible: &[Uuid], params: &ListParams) -> Result<Page<Organisation>> {
        let paging =
            list_paging(params, &[("name", "name_key"), ("created_at", "created_at"), ("kind", "kind")], "id")?;
        let mut f = Filter::new();
        f.any_text("id", visible);
        f.search(&["name", "description"], params.q.as_deref());
        self.page("id, name, kind, description, created_at", "organisations", &f, &paging, org_from).await
    }

    async fn update_org(&self, ctx: &WriteCtx, id: Uuid, patch: OrgPatch) -> Result<Organisation> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT id, name, kind, description, created_at FROM organisations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = org_from(&row)?;
        let mut after = before.clone();
        if let Some(name) = patch.name {
            after.name = name;
        }
        if let Some(d) = patch.description {
            after.description = d;
        }
        sqlx::query(
            "UPDATE organisations SET name = $1, name_key = $2, description = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&after.name)
        .bind(after.name.to_lowercase())
        .bind(&after.description)
        .bind(to_millis(ctx.now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("organisation name"))?;
        let changes = diff(&[
            ("name", json!(before.name), json!(after.name)),
            ("description", json!(before.description), json!(after.description)),
        ]);
        append(&mut tx, &self.audit_key, ctx, id, "organisation", &id.to_string(), "update", &changes).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn grant_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<OrgGrant> {
        let mut tx = self.writer.begin().await?;
        let grant = insert_grant(&mut tx, &self.audit_key, ctx, provider, customer).await?;
        tx.commit().await?;
        Ok(grant)
    }

    async fn revoke_access(&self, ctx: &WriteCtx, provider: Uuid, customer: Uuid) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM org_grants WHERE provider_id = $1 AND customer_id = $2")
            .bind(provider.to_string())
            .bind(customer.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let details = json!({ "provider_id": provider, "customer_id": customer });
        append(&mut tx, &self.audit_key, ctx, customer, "org_grant", &provider.to_string(), "revoke", &details).await?;
        if provider != customer {
            append(&mut tx, &self.audit_key, ctx, provider, "org_grant", &customer.to_string(), "revoke", &details)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn grants_of(&self, provider: Uuid) -> Result<Vec<Uuid>> {
        let rows = sqlx::query("SELECT customer_id FROM org_grants WHERE provider_id = $1 ORDER BY created_at")
            .bind(provider.to_string())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| uuid_col(r, "customer_id")).collect()
    }

    // -- People --------------------------------------------------------------

    async fn create_user(&self, ctx: &WriteCtx, org: Uuid, u: NewUser) -> Result<User> {
        let now = to_millis(ctx.now);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, org_id, username, display_name, email, role, password_hash, disabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8)",
        )
        .bind(u.id.to_string())
        .bind(org.to_string())
        .bind(&u.username)
        .bind(&u.display_name)
        .bind(&u.email)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("username"))?;
        let changes =
            json!({ "username": u.username, "display_name": u.display_name, "email": u.email, "role": u.role });
        append(&mut tx, &self.audit_key, ctx, org, "user", &u.id.to_string(), "create", &changes).await?;
        tx.commit().await?;
        Ok(User {
            id: u.id,
            org_id: org,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            role: u.role,
            disabled: false,
            created_at: from_millis(now),
            last_login_at: None,
        })
    }

    async fn get_user(&self, org: Uuid, id: Uuid) -> Result<Option<User>> {
        find_user(&self.reader, org, id).await
    }

    async fn list_users(&self, org: Uuid, params: &ListParams) -> Result<Page<User>> {
        let paging = list_paging(
            params,
            &[
                ("username", "username"),
                ("display_name", "display_name"),
                ("role", "role"),
                ("created_at", "created_at"),
                ("last_login_at", "last_login_at"),
            ],
            "id",
        )?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.search(&["username", "display_name", "email"], params.q.as_deref());
        self.page(USER_COLS, "users", &f, &paging, user_from).await
    }

    async fn update_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, patch: UserPatch) -> Result<User> {
        let mut tx = self.writer.begin().await?;
        let before = find_user(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
        let mut after = before.clone();
        if let Some(v) = patch.display_name {
            after.display_name = v;
        }
        if let Some(v) = patch.email {
            after.email = v;
        }
        if let Some(v) = patch.role {
            after.role = v;
        }
        if let Some(v) = patch.disabled {
            after.disabled = v;
        }
        sqlx::query("UPDATE users SET display_name = $1, email = $2, role = $3, disabled = $4, updated_at = $5 WHERE org_id = $6 AND id = $7")
            .bind(&after.display_name)
            .bind(&after.email)
            .bind(after.role.as_str())
            .bind(i64::from(after.disabled))
            .bind(to_millis(ctx.now))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if after.disabled && !before.disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        }
        let changes = diff(&[
            ("display_name", json!(before.display_name), json!(after.display_name)),
            ("email", json!(before.email), json!(after.email)),
            ("role", json!(before.role), json!(after.role)),
            ("disabled", json!(before.disabled), json!(after.disabled)),
        ]);
        let action = match (before.disabled, after.disabled) {
            (false, true) => "disable",
            (true, false) => "enable",
            _ if before.role != after.role => "change_role",
            _ => "update",
        };
        append(&mut tx, &self.audit_key, ctx, org, "user", &id.to_string(), action, &changes).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn set_password(&self, ctx: &WriteCtx, org: Uuid, id: Uuid, password_hash: String) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE org_id = $3 AND id = $4")
            .bind(&password_hash)
            .bind(to_millis(ctx.now))
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // A new password ends every session opened with the old one.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        append(
            &mut tx,
            &self.audit_key,
            ctx,
            org,
            "user",
            &id.to_string(),
            "set_password",
            &json!({ "password": "changed" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_user(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let before = find_user(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let changes = json!({ "username": before.username, "role": before.role });
        append(&mut tx, &self.audit_key, ctx, org, "user", &id.to_string(), "delete", &changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!("SELECT {USER_COLS}, password_hash FROM users WHERE username = $1"))
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        match row {
            Some(r) => Ok(Some((user_from(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    // -- API keys ------------------------------------------------------------

    async fn create_api_key(&self, ctx: &WriteCtx, org: Uuid, k: NewApiKey) -> Result<ApiKey> {
        let now = to_millis(ctx.now);
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, org_id, name, role, prefix, secret_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(k.id.to_string())
        .bind(org.to_string())
        .bind(&k.name)
        .bind(k.role.as_str())
        .bind(&k.prefix)
        .bind(&k.secret_hash)
        .bind(k.created_by.map(|u| u.to_string()))
        .bind(now)
        .bind(k.expires_at.map(to_millis))
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("API key"))?;
        let changes =
            json!({ "name": k.name, "role": k.role, "prefix": k.prefix, "expires_at": k.expires_at.map(to_millis) });
        append(&mut tx, &self.audit_key, ctx, org, "api_key", &k.id.to_string(), "create", &changes).await?;
        tx.commit().await?;
        Ok(ApiKey {
            id: k.id,
            org_id: org,
            name: k.name,
            role: k.role,
            prefix: k.prefix,
            created_by: k.created_by,
            created_at: from_millis(now),
            expires_at: k.expires_at,
            last_used_at: None,
            revoked_at: None,
        })
    }

    async fn get_api_key(&self, org: Uuid, id: Uuid) -> Result<Option<ApiKey>> {
        find_key(&self.reader, org, id).await
    }

    async fn list_api_keys(&self, org: Uuid, params: &ListParams) -> Result<Page<ApiKey>> {
        let paging = list_paging(
            params,
            &[
                ("created_at", "created_at"),
                ("name", "name"),
                ("last_used_at", "last_used_at"),
                ("expires_at", "expires_at"),
            ],
            "id",
        )?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        f.search(&["name", "prefix"], params.q.as_deref());
        self.page(KEY_COLS, "api_keys", &f, &paging, key_from).await
    }

    async fn revoke_api_key(&self, ctx: &WriteCtx, org: Uuid, id: Uuid) -> Result<ApiKey> {
        let now = to_millis(ctx.now);
        let mut tx = self.writer.begin().await?;
        let mut key = find_key(&mut *tx, org, id).await?.ok_or(StoreError::NotFound)?;
        if key.revoked_at.is_none() {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE org_id = $2 AND id = $3")
                .bind(now)
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            key.revoked_at = Some(from_millis(now));
            append(
                &mut tx,
                &self.audit_key,
                ctx,
                org,
                "api_key",
                &id.to_string(),
                "revoke",
                &json!({ "name": key.name }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(key)
    }

    async fn api_key_by_secret_hash(&self, secret_hash: &str) -> Result<Option<KeyCredential>> {
        let cols: Vec<String> = KEY_COLS.split(", ").map(|c| format!("k.{c}")).collect();
        let row = sqlx::query(&format!(
            // No owner (none recorded, or deleted) counts as a disabled one.
            "SELECT {}, COALESCE(u.disabled, 1) AS creator_disabled, u.role AS owner_role FROM api_keys k \
             LEFT JOIN users u ON u.id = k.created_by WHERE k.secret_hash = $1",
            cols.join(", ")
        ))
        .bind(secret_hash)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(r) => Ok(Some(KeyCredential {
                key: key_from(&r)?,
                creator_disabled: r.try_get::<i64, _>("creator_disabled")? != 0,
                owner_role: match r.try_get::<Option<String>, _>("owner_role")? {
                    Some(_) => Some(role_col(&r, "owner_role")?),
                    None => None,
                },
            })),
            None => Ok(None),
        }
    }

    async fn touch_api_key(&self, id: Uuid, at_ms: i64) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(at_ms)
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    // -- Sessions ------------------------------------------------------------

    async fn create_session(&self, ctx: &WriteCtx, s: NewSession) -> Result<()> {
        let now = to_millis(ctx.now);
        let mut tx = self.writer.begin().await?;
        // Expired sessions are swept whenever someone signs in.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&s.token_hash)
            .bind(s.user_id.to_string())
            .bind(&s.csrf_token)
            .bind(now)
            .bind(to_millis(s.expires_at))
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
            .bind(now)
            .bind(s.user_id.to_string())
            .execute(&mut *tx)
            .await?;
        append(
            &mut tx,
            &self.audit_key,
            ctx,
            s.user_org,
            "user",
            &s.user_id.to_string(),
            "login",
            &json!({ "method": "password" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<SessionRecord>> {
        let cols: Vec<String> = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect();
        let row = sqlx::query(&format!(
            "SELECT {}, s.csrf_token, s.expires_at AS session_expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
            cols.join(", ")
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(&self.reader)
        .await?;
        match row {
            Some(r) => Ok(Some(SessionRecord {
                user: user_from(&r)?,
                csrf_token: r.try_get("csrf_token")?,
                expires_at: time_col(&r, "session_expires_at")?,
            })),
            None => Ok(None),
        }
    }

    async fn end_session(&self, ctx: &WriteCtx, token_hash: &str) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "SELECT u.id, u.org_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
        if let Some(r) = row {
            let (id, org) = (uuid_col(&r, "id")?, uuid_col(&r, "org_id")?);
            append(&mut tx, &self.audit_key, ctx, org, "user", &id.to_string(), "logout", &json!({})).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // -- Audit ---------------------------------------------------------------

    async fn record_event(&self, ctx: &WriteCtx, org: Uuid, e: AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        append(&mut tx, &self.audit_key, ctx, org, &e.object_type, &e.object_id, &e.action, &e.details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(&self, org: Uuid, q: &AuditQuery) -> Result<Page<AuditEntry>> {
        let paging = paging(q.limit, q.offset, Some("-seq"), q.total, &[("seq", "seq")], "org_id")?;
        let mut f = Filter::new();
        f.eq_text("org_id", org.to_string());
        if let Some(v) = &q.object_type {
            f.eq_text("object_type", v.clone());
        }
        if let Some(v) = &q.object_id {
            f.eq_text("object_id", v.clone());
        }
        if let Some(v) = q.actor_id {
            f.eq_text("actor_id", v.to_string());
        }
        if let Some(v) = &q.action {
            f.eq_text("action", v.clone());
        }
        if let Some(v) = q.from {
            f.cmp_int("at", ">=", to_millis(v));
        }
        if let Some(v) = q.to {
            f.cmp_int("at", "<", to_millis(v));
        }
        self.page(AUDIT_COLS, "audit_log", &f, &paging, |r| audit_from(r).map(audit_entry)).await
    }

    async fn audit_orgs(&self) -> Result<Vec<Uuid>> {
        let rows =
            sqlx::query("SELECT org_id FROM audit_heads UNION SELECT id AS org_id FROM organisations ORDER BY org_id")
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(|r| uuid_col(r, "org_id")).collect()
    }

    fn audit_key(&self) -> &AuditKey {
        &self.audit_key
    }

    async fn audit_heads(&self) -> Result<Vec<(Uuid, ChainHead)>> {
        let rows = sqlx::query("SELECT org_id, seq, hash, mac FROM audit_heads ORDER BY org_id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok((uuid_col(r, "org_id")?, head_from(r)?))).collect()
    }

    async fn anchor_audit_heads(&self) -> Result<u64> {
        let mut tx = self.writer.begin().await?;
        let rows =
            sqlx::query("SELECT org_id, seq, hash FROM audit_heads WHERE mac IS NULL").fetch_all(&mut *tx).await?;
        let mut signed = 0;
        for r in &rows {
            let (org, seq, hash) =
                (uuid_col(r, "org_id")?, r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?);
            // Only the head as read: a node appending meanwhile signs its own.
            signed += sqlx::query(
                "UPDATE audit_heads SET mac = $1 WHERE org_id = $2 AND seq = $3 AND hash = $4 AND mac IS NULL",
            )
            .bind(head_mac(&self.audit_key, org, seq, &hash))
            .bind(org.to_string())
            .bind(seq)
            .bind(&hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(signed)
    }

    async fn audit_chain(&self, org: Uuid) -> Result<(Vec<AuditRecord>, Option<ChainHead>)> {
        // Read the head and the entries in one snapshot, so a write landing
        // in between cannot look like a break.
        let mut tx = self.reader.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
        }
        let head = sqlx::query("SELECT seq, hash, mac FROM audit_heads WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| head_from(&r))
            .transpose()?;
        let rows = sqlx::query(&format!("SELECT {AUDIT_COLS} FROM audit_log WHERE org_id = $1 ORDER BY seq"))
            .bind(org.to_string())
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let entries = rows.iter().map(audit_from).collect::<Result<Vec<_>>>()?;
        Ok((entries, head))
    }
}
