use firebreak_domain::audit::{AuditKey, verify_org};
use firebreak_store::{Actor, OpenOptions, SqlStore, Store, WriteCtx};
use tempfile::TempDir;
use time::macros::datetime;
use uuid::Uuid;

pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Raw {
    pub async fn execute(&self, sql: &str) -> u64 {
        match self {
            Raw::Sqlite(p) => sqlx::query(sql).execute(p).await.expect(sql).rows_affected(),
            Raw::Pg(p) => sqlx::query(sql).execute(p).await.expect(sql).rows_affected(),
        }
    }
}

pub struct Harness {
    pub store: SqlStore,
    /// The key the store signs chain heads with, to open it again alike.
    pub key: AuditKey,
    pub url: String,
    pub raw: Raw,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

impl Harness {
    pub async fn sqlite() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("firebreak.db").display());
        let store = SqlStore::open(&url, &Harness::options()).await.unwrap();
        let raw = Raw::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap());
        Harness { store, key: Harness::options().audit_key, url, raw, _dir: Some(dir), pg: None }
    }

    pub async fn postgres() -> Option<Harness> {
        let base = std::env::var("FIREBREAK_TEST_PG_URL").ok().filter(|u| !u.is_empty())?;
        let schema = format!("fb_store_{}", Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&base).await.expect("FIREBREAK_TEST_PG_URL reachable");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&admin).await.unwrap();
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let store = SqlStore::open(&url, &Harness::options()).await.unwrap();
        let raw = Raw::Pg(sqlx::PgPool::connect(&url).await.unwrap());
        Some(Harness { store, key: Harness::options().audit_key, url, raw, _dir: None, pg: Some((base, schema)) })
    }

    /// Open options with the harness's audit key.
    pub fn options() -> OpenOptions {
        OpenOptions { audit_key: AuditKey::from_bytes([7; 32]), ..OpenOptions::default() }
    }

    pub fn ctx(&self, minutes: i64) -> WriteCtx {
        WriteCtx { actor: Actor::System, now: datetime!(2026-03-02 09:00 UTC) + time::Duration::minutes(minutes) }
    }

    pub fn user_ctx(&self, id: Uuid, name: &str) -> WriteCtx {
        WriteCtx { actor: Actor::User { id, name: name.into() }, now: datetime!(2026-03-02 10:00 UTC) }
    }

    /// Closes the connections (so that nothing holds a lock when the schema is dropped).
    pub async fn finish(&self) {
        self.store.close().await;
        match &self.raw {
            Raw::Sqlite(p) => p.close().await,
            Raw::Pg(p) => p.close().await,
        }
    }

    /// Verifies `org`'s chain and its head's MAC; `Err(seq)` at the first
    /// problem (0 when it names no entry).
    pub async fn verify(&self, org: Uuid) -> Result<u64, i64> {
        let (entries, head) = self.store.audit_chain(org).await.unwrap();
        match verify_org(&self.key, org, &entries, head.as_ref(), &[]) {
            (n, problems) if problems.is_empty() => Ok(n),
            (_, problems) => Err(problems[0].seq.unwrap_or(0)),
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    if let Ok(pool) = sqlx::PgPool::connect(&base).await {
                        // A connection still returning to its pool may hold a lock for a
                        // moment; never wait forever on it.
                        let mut tx = pool.begin().await.ok();
                        if let Some(tx) = tx.as_mut() {
                            let _ = sqlx::query("SET LOCAL lock_timeout = '5s'").execute(&mut **tx).await;
                            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                .execute(&mut **tx)
                                .await;
                        }
                        if let Some(tx) = tx {
                            let _ = tx.commit().await;
                        }
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}
