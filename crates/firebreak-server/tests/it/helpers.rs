use std::path::PathBuf;
use std::sync::Arc;

use firebreak_app::bootstrap::{Bootstrap, ensure_root};
use firebreak_app::clock::ManualClock;
use firebreak_app::{App, AppSettings};
use firebreak_client::Client;
use firebreak_domain::clock::Clock;
use firebreak_server::{AppState, ServerSettings};
use firebreak_store::{OpenOptions, SqlStore};
use firebreak_types::{CreateApiKey, CreateOrganisation, CreateUser, OrgKind, Organisation, Role, User};
use tempfile::TempDir;
use time::macros::datetime;
use tokio::sync::oneshot;
use uuid::Uuid;

pub const ADMIN_PASSWORD: &str = "the admin's test passphrase";
pub const PASSWORD: &str = "a user's test passphrase";

/// A fresh PostgreSQL schema, dropped when the test ends.
pub struct PgSchema {
    base_url: String,
    pub schema: String,
}

impl PgSchema {
    pub async fn create(base_url: &str) -> (PgSchema, String) {
        let schema = format!("fb_it_{}", Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(base_url).await.expect("FIREBREAK_TEST_PG_URL reachable");
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.expect("create schema");
        pool.close().await;
        let sep = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{sep}options=-c%20search_path%3D{schema}");
        (PgSchema { base_url: base_url.to_owned(), schema }, url)
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, schema) = (self.base_url.clone(), self.schema.clone());
        // Drop cannot be async: a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    // A connection still returning to its pool may hold a lock for a
                    // moment; never wait forever on it.
                    let mut tx = pool.begin().await.ok();
                    if let Some(tx) = tx.as_mut() {
                        let _ = sqlx::query("SET LOCAL lock_timeout = '5s'").execute(&mut **tx).await;
                        let _ =
                            sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut **tx).await;
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

#[allow(dead_code)] // Fields are there for the tests that need them.
pub struct TestApp {
    pub base_url: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub root_org: Uuid,
    /// The platform admin (the root organisation's `admin`).
    pub admin: Client,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The key the store signs audit chain heads with, to open it again.
    pub audit_key: firebreak_domain::audit::AuditKey,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: TempDir,
    _pg: Option<PgSchema>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerSettings::default()).await
}

/// Starts the real server on port 0 with a fresh database and a known admin
/// password, on a clock that moves only when the test says.
pub async fn spawn_app_with(settings: ServerSettings) -> TestApp {
    spawn_app_configured(settings, AppSettings::default()).await
}

/// [`spawn_app_with`], with the application's settings too.
pub async fn spawn_app_configured(settings: ServerSettings, mut app_settings: AppSettings) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    app_settings.files_dir = dir.path().join("files");
    app_settings.audit_checkpoints = dir.path().join(firebreak_app::checkpoints::FILE_NAME);
    let (pg, database_url) = match std::env::var("FIREBREAK_TEST_PG_URL") {
        Ok(base) if !base.is_empty() => {
            let (schema, url) = PgSchema::create(&base).await;
            (Some(schema), url)
        }
        _ => (None, format!("sqlite://{}", dir.path().join("firebreak.db").display())),
    };
    let opts = OpenOptions::default();
    let audit_key = opts.audit_key.clone();
    let store = SqlStore::open(&database_url, &opts).await.expect("open store");
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-02 09:00 UTC)));
    let boot = ensure_root(&store, Some(ADMIN_PASSWORD), clock.now()).await.expect("bootstrap");
    let root_org = match boot {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => root_org,
    };
    let state = AppState::new(App::new(Arc::new(store), clock.clone(), app_settings, root_org), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let serve_state = state.clone();
    tokio::spawn(async move {
        let _ = firebreak_server::serve(listener, serve_state, async {
            let _ = rx.await;
        })
        .await;
    });
    let base_url = format!("http://{addr}");
    TestApp {
        admin: Client::new(&base_url).basic("admin", ADMIN_PASSWORD),
        base_url,
        state,
        clock,
        root_org,
        data_dir: dir.path().to_owned(),
        database_url,
        audit_key,
        shutdown: Some(tx),
        _dir: dir,
        _pg: pg,
    }
}

/// An organisation with its admin.
pub struct Tenant {
    pub org: Organisation,
    pub admin_user: User,
    pub admin: Client,
}

impl TestApp {
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base_url)
    }

    pub fn client(&self, username: &str, password: &str) -> Client {
        Client::new(&self.base_url).basic(username, password)
    }

    /// A customer organisation created by the platform admin, with an admin of its own.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let org = self
            .admin
            .create_org(&CreateOrganisation { name: name.into(), kind: OrgKind::Customer, description: String::new() })
            .await
            .expect("create org");
        let username = format!("{}-admin", name.to_lowercase());
        let admin_user = self
            .admin
            .clone()
            .org(org.id)
            .create_user(&CreateUser {
                username: username.clone(),
                display_name: format!("{name} admin"),
                email: String::new(),
                role: Role::Admin,
                password: PASSWORD.into(),
            })
            .await
            .expect("create tenant admin");
        Tenant { org, admin_user, admin: self.client(&username, PASSWORD) }
    }

    /// A user with `role` in the admin client's organisation, and a client for them.
    pub async fn user(&self, admin: &Client, username: &str, role: Role) -> (User, Client) {
        let user = admin
            .create_user(&CreateUser {
                username: username.into(),
                display_name: String::new(),
                email: String::new(),
                role,
                password: PASSWORD.into(),
            })
            .await
            .expect("create user");
        (user, self.client(username, PASSWORD))
    }

    /// An API key made by `admin`, and a client that uses it.
    pub async fn key(&self, admin: &Client, name: &str, role: Role) -> (firebreak_types::CreatedApiKey, Client) {
        let created = admin
            .create_api_key(&CreateApiKey { name: name.into(), role, expires_at: None })
            .await
            .expect("create key");
        let client = Client::new(&self.base_url).bearer(created.secret.clone());
        (created, client)
    }

    /// The state of the same server started again: the database opened anew
    /// with the same key, the same checkpoint file.
    pub async fn restarted(&self) -> (firebreak_app::App, Arc<SqlStore>) {
        let opts = OpenOptions { audit_key: self.audit_key.clone(), ..OpenOptions::default() };
        let store = Arc::new(SqlStore::open(&self.database_url, &opts).await.expect("open store again"));
        (self.state.app.with_store(store.clone()), store)
    }

    /// A raw SQL connection to the app's database (for tamper tests).
    pub async fn raw_sql(&self) -> RawSql {
        if self.database_url.starts_with("sqlite:") {
            RawSql::Sqlite(sqlx::SqlitePool::connect(&self.database_url).await.expect("sqlite"))
        } else {
            RawSql::Pg(sqlx::PgPool::connect(&self.database_url).await.expect("pg"))
        }
    }
}

pub enum RawSql {
    Sqlite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl RawSql {
    pub async fn execute(&self, sql: &str) {
        match self {
            RawSql::Sqlite(p) => {
                sqlx::query(sql).execute(p).await.expect(sql);
            }
            RawSql::Pg(p) => {
                sqlx::query(sql).execute(p).await.expect(sql);
            }
        }
    }
}

/// The error code of a failed call, for assertions.
pub fn code<T: std::fmt::Debug>(r: &Result<T, firebreak_client::ClientError>) -> String {
    match r {
        Err(e) => e.body().map(|b| b.code.as_str().to_owned()).unwrap_or_else(|| format!("{e}")),
        Ok(v) => format!("ok: {v:?}"),
    }
}
