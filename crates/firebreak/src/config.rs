//! Configuration in layers: built-in defaults, then a TOML file, then
//! `FIREBREAK_*` environment variables, then command-line flags. Unknown keys
//! in the file are an error naming the key. Secrets never reach the log.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use firebreak_domain::audit::AuditKey;
use firebreak_server::proxy::TrustedProxy;
use serde::{Deserialize, Serialize};

/// A value that must not be printed: its `Debug` is redacted.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder for the embedded database, files and configuration.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; unset means SQLite in the data folder.
    pub database_url: Option<Secret>,
    /// Database connections (per node).
    pub db_max_connections: u32,
    /// The first admin's password, used only on first start.
    pub admin_password: Option<Secret>,
    /// A file holding the first admin's password, used only on first start.
    pub admin_password_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a web session lasts, in hours.
    pub session_ttl_hours: u64,
    /// Mark cookies `Secure`, so that browsers send them over HTTPS only.
    /// Unset: on when `listen` is not a loopback address (Firebreak is
    /// reached from other machines, which should be over HTTPS), and on a
    /// loopback address only for requests a trusted proxy says came over
    /// HTTPS. Set it to `false` to serve plain HTTP beyond this machine.
    pub secure_cookies: Option<bool>,
    /// Reverse proxies (IP addresses or CIDR blocks) whose `X-Forwarded-For`
    /// and `X-Forwarded-Proto` headers are believed: the client's address
    /// (for sign-in throttling) is then the right-most forwarded address that
    /// is not one of them. Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Failed sign-ins allowed before each further attempt must wait.
    pub login_free_attempts: u32,
    /// Seconds between rounds of the background jobs (SLA sweep, webhook retries).
    pub jobs_interval_secs: u64,
    /// Log filter, such as `info` or `firebreak_server=debug,info`.
    pub log: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Sigma processing pipeline files (pySigma YAML) applied to every rule
    /// before events are matched: the field mapping for logs whose fields are
    /// not named as the rules name them.
    pub sigma_pipelines: Vec<PathBuf>,

    // The audit log's anchor: the key that signs chain heads and checkpoints.
    /// The audit key, 64 hexadecimal digits; nodes sharing one PostgreSQL
    /// database must share it. Unset: read from `audit_key_file`.
    pub audit_key: Option<Secret>,
    /// A file holding the audit key; unset: `audit.key` in the data folder,
    /// created on first start.
    pub audit_key_file: Option<PathBuf>,
    /// Minutes between signed checkpoints of the audit chains.
    pub audit_checkpoint_minutes: u64,

    // Storage limits of uploaded files (evidence, documents).
    /// Largest evidence or document file, in bytes; 0 means no limit.
    pub max_file_bytes: u64,
    /// Largest total of an organisation's evidence and documents, in bytes;
    /// 0 means no limit.
    pub max_org_storage_bytes: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("firebreak-data"),
            database_url: None,
            db_max_connections: 8,
            admin_password: None,
            admin_password_file: None,
            max_body_bytes: 10 * 1024 * 1024,
            session_ttl_hours: 12,
            secure_cookies: None,
            trusted_proxies: Vec::new(),
            login_free_attempts: 5,
            jobs_interval_secs: 15,
            log: "info".into(),
            log_format: LogFormat::Text,
            sigma_pipelines: Vec::new(),
            audit_key: None,
            audit_key_file: None,
            audit_checkpoint_minutes: 10,
            max_file_bytes: 2 << 30,
            max_org_storage_bytes: 50 << 30,
        }
    }
}

/// The keys that environment variables may set (`FIREBREAK_<KEY>`).
const ENV_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "db_max_connections",
    "admin_password",
    "admin_password_file",
    "max_body_bytes",
    "session_ttl_hours",
    "secure_cookies",
    "trusted_proxies",
    "login_free_attempts",
    "jobs_interval_secs",
    "log",
    "log_format",
    "sigma_pipelines",
    "audit_key",
    "audit_key_file",
    "audit_checkpoint_minutes",
    "max_file_bytes",
    "max_org_storage_bytes",
];

/// Command-line values; only those given override the lower layers.
#[derive(Debug, Default, Clone, Serialize, clap::Args)]
pub struct ConfigFlags {
    /// TOML configuration file [default: <data-dir>/firebreak.toml when it exists]
    #[arg(long, value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Folder for the embedded database, files and configuration [default: ./firebreak-data]
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL URL (postgres://user@host/db) instead of the embedded SQLite
    #[arg(long, value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// Database connections per node [default: 8]
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_max_connections: Option<u32>,
    /// File holding the first admin's password (first start only; else one is generated and printed once)
    #[arg(long, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_password_file: Option<PathBuf>,
    /// Largest request body accepted, in bytes [default: 10485760]
    #[arg(long, value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_body_bytes: Option<usize>,
    /// Web session lifetime in hours [default: 12]
    #[arg(long, value_name = "HOURS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_ttl_hours: Option<u64>,
    /// Mark cookies Secure, sent over HTTPS only [default: true unless --listen is a loopback address]
    #[arg(long, value_name = "BOOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secure_cookies: Option<bool>,
    /// A reverse proxy (IP address or CIDR block) whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable)
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Failed sign-ins allowed before each further attempt must wait [default: 5]
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_free_attempts: Option<u32>,
    /// Seconds between rounds of the background jobs: SLA sweep, webhook retries [default: 15]
    #[arg(long, value_name = "SECS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobs_interval_secs: Option<u64>,
    /// Log filter, e.g. info or firebreak_server=debug,info [default: info]
    #[arg(long, value_name = "FILTER")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Log format [default: text]
    #[arg(long, value_name = "FORMAT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// A Sigma processing pipeline file applied to every rule before matching (repeatable)
    #[arg(long = "sigma-pipeline", value_name = "FILE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sigma_pipelines: Vec<PathBuf>,

    /// File holding the audit key, 64 hex digits [default: <data-dir>/audit.key, created on first start]
    #[arg(long, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_key_file: Option<PathBuf>,
    /// Minutes between signed checkpoints of the audit chains [default: 10]
    #[arg(long, value_name = "MINUTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_checkpoint_minutes: Option<u64>,

    /// Largest evidence or document file in bytes, 0 for no limit [default: 2147483648]
    #[arg(long, value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
    /// Largest total of an organisation's evidence and documents in bytes, 0 for no limit [default: 53687091200]
    #[arg(long, value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_org_storage_bytes: Option<u64>,
}

impl Config {
    /// Merges the layers. `env` is the process environment (passed in so tests
    /// can supply their own).
    pub fn load(flags: &ConfigFlags, env: &[(String, String)]) -> anyhow::Result<Config> {
        let env_map: std::collections::BTreeMap<String, String> = env
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix("FIREBREAK_")?.to_ascii_lowercase();
                ENV_KEYS.contains(&key.as_str()).then(|| (key, v.clone()))
            })
            .collect();
        // The data folder decides where the default file is, so find it first.
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env_map.get("data_dir").map(PathBuf::from))
            .unwrap_or_else(|| Config::default().data_dir);
        let file = match &flags.config {
            Some(f) => {
                anyhow::ensure!(f.is_file(), "the configuration file {} does not exist", f.display());
                Some(f.clone())
            }
            None => Some(data_dir.join("firebreak.toml")).filter(|f| f.is_file()),
        };
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = &file {
            fig = fig.merge(Toml::file_exact(f));
        }
        let env_values: figment::value::Dict =
            env_map.iter().map(|(k, v)| (k.clone(), parse_env_value(k, v))).collect();
        fig = fig.merge(Serialized::defaults(env_values));
        fig = fig.merge(Serialized::defaults(flags));
        fig.extract::<Config>().map_err(|e| {
            let what = match &file {
                Some(f) => format!(" (file {})", f.display()),
                None => String::new(),
            };
            anyhow::anyhow!("invalid configuration{what}: {e}")
        })
    }

    /// Whether cookies are `Secure`: `Some` decides for every request, `None`
    /// leaves it to each request (on when a trusted proxy says it came over
    /// HTTPS). A setting in the configuration wins over the listen address.
    pub fn cookies_secure(&self) -> Option<bool> {
        match self.secure_cookies {
            Some(explicit) => Some(explicit),
            None if !self.listen.ip().is_loopback() => Some(true),
            None => None,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.is_some()
    }

    /// The database URL: PostgreSQL when set, else SQLite in the data folder.
    pub fn database_url(&self, data_dir: &Path) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}", data_dir.join("firebreak.db").display()),
        }
    }

    /// The audit key: given, read from its file, or made on first start as
    /// `audit.key` in the data folder (readable by its owner only).
    pub fn audit_key(&self, data_dir: &Path) -> anyhow::Result<AuditKey> {
        if let Some(hex) = &self.audit_key {
            return AuditKey::from_hex(hex.expose()).map_err(|e| anyhow::anyhow!("audit_key: {e}"));
        }
        let (file, default) = match &self.audit_key_file {
            Some(f) => (f.clone(), false),
            None => (data_dir.join(AUDIT_KEY_FILE), true),
        };
        if default && !file.exists() {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no system randomness for the audit key: {e}"))?;
            let key = AuditKey::from_bytes(bytes);
            write_private(&file, &format!("{}\n", key.to_hex()))
                .with_context(|| format!("creating the audit key {}", file.display()))?;
            return Ok(key);
        }
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("reading the audit key {}", file.display()))?;
        AuditKey::from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
    }

    /// The first admin's password, if one was given.
    pub fn admin_password(&self) -> anyhow::Result<Option<String>> {
        if let Some(file) = &self.admin_password_file {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading admin_password_file {}", file.display()))?;
            return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
        }
        Ok(self.admin_password.as_ref().map(|s| s.expose().to_owned()))
    }
}

/// The audit key's file in the data folder.
pub const AUDIT_KEY_FILE: &str = "audit.key";

/// Creates `path` with `text`, readable and writable by its owner only; an
/// existing file is never overwritten (another process made the key first).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Environment values are text; numbers and booleans are parsed for the keys
/// that need them, so `FIREBREAK_MAX_BODY_BYTES=100` means a number.
fn parse_env_value(key: &str, value: &str) -> figment::value::Value {
    use figment::value::Value;
    match key {
        "db_max_connections"
        | "max_body_bytes"
        | "session_ttl_hours"
        | "login_free_attempts"
        | "jobs_interval_secs"
        | "audit_checkpoint_minutes"
        | "max_file_bytes"
        | "max_org_storage_bytes" => match value.trim().parse::<u64>() {
            Ok(n) => Value::from(n),
            Err(_) => Value::from(value.to_owned()),
        },
        // A list: paths or addresses separated by commas.
        "sigma_pipelines" | "trusted_proxies" => Value::from(
            value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::from(p.to_owned()))
                .collect::<Vec<_>>(),
        ),
        "secure_cookies" => match value.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Value::from(true),
            "0" | "false" | "no" | "off" => Value::from(false),
            _ => Value::from(value.to_owned()),
        },
        _ => Value::from(value.to_owned()),
    }
}

/// The commented configuration file written into a new data folder.
pub const DEFAULT_FILE: &str = r#"# Firebreak configuration. Every key is optional; shown here with its default.
# Layers, lowest first: built-in defaults, this file, FIREBREAK_<KEY> environment
# variables, command-line flags (`firebreak serve --help`). Unknown keys are an error.

# listen = "127.0.0.1:8080"
# database_url = "postgres://firebreak@db.example.org/firebreak"   # unset: SQLite in this folder
# db_max_connections = 8
# admin_password_file = "/run/secrets/firebreak-admin"              # first start only
# max_body_bytes = 10485760
# session_ttl_hours = 12
# secure_cookies = true                                            # unset: on unless listen is a loopback address
# trusted_proxies = ["10.0.0.0/8"]                                  # reverse proxies whose X-Forwarded-* are believed
# login_free_attempts = 5
# jobs_interval_secs = 15
# log = "info"
# log_format = "text"
# sigma_pipelines = ["pipelines/edr-fields.yml"]                    # Sigma processing pipelines for event matching

# The audit key signs the audit chain heads and checkpoints; keep it away from
# the database's administrators. Nodes sharing one PostgreSQL share it.
# audit_key_file = "/run/secrets/firebreak-audit-key"               # unset: audit.key in this folder
# audit_checkpoint_minutes = 10
# max_file_bytes = 2147483648                                       # one evidence or document file; 0: no limit
# max_org_storage_bytes = 53687091200                               # an organisation's files in all; 0: no limit
"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nmax_body_bytes = 5\nsession_ttl_hours = 3\n").unwrap();
        let flags = ConfigFlags { config: Some(file), max_body_bytes: Some(7), ..Default::default() };
        let c = Config::load(&flags, &env(&[("FIREBREAK_MAX_BODY_BYTES", "6"), ("FIREBREAK_SESSION_TTL_HOURS", "4")]))
            .unwrap();
        assert_eq!(c.listen.port(), 9000); // file over default
        assert_eq!(c.session_ttl_hours, 4); // env over file
        assert_eq!(c.max_body_bytes, 7); // flag over env
        assert_eq!(c.log, "info"); // default
    }

    #[test]
    fn sigma_pipelines_come_from_the_file_the_environment_or_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "sigma_pipelines = [\"a.yml\"]\n").unwrap();
        let flags = ConfigFlags { config: Some(file.clone()), ..Default::default() };
        assert_eq!(Config::load(&flags, &[]).unwrap().sigma_pipelines, vec![PathBuf::from("a.yml")]);
        let c = Config::load(&flags, &env(&[("FIREBREAK_SIGMA_PIPELINES", "b.yml, c.yml")])).unwrap();
        assert_eq!(c.sigma_pipelines, vec![PathBuf::from("b.yml"), PathBuf::from("c.yml")]);
        let flags = ConfigFlags { config: Some(file), sigma_pipelines: vec!["d.yml".into()], ..Default::default() };
        assert_eq!(Config::load(&flags, &[]).unwrap().sigma_pipelines, vec![PathBuf::from("d.yml")]);
    }

    #[test]
    fn unknown_file_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listn = \"127.0.0.1:9000\"\n").unwrap();
        let flags = ConfigFlags { config: Some(file), ..Default::default() };
        let err = Config::load(&flags, &[]).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");
    }

    #[test]
    fn other_firebreak_variables_are_not_config() {
        let c = Config::load(&ConfigFlags::default(), &env(&[("FIREBREAK_TEST_PG_URL", "postgres://x")])).unwrap();
        assert!(c.database_url.is_none());
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Config::load(&ConfigFlags::default(), &env(&[("FIREBREAK_ADMIN_PASSWORD", "hunter2hunter2")])).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.admin_password().unwrap().as_deref(), Some("hunter2hunter2"));
    }

    #[test]
    fn secure_cookies_follow_the_listen_address_unless_set() {
        let load = |pairs: &[(&str, &str)]| Config::load(&ConfigFlags::default(), &env(pairs)).unwrap();
        assert_eq!(load(&[]).cookies_secure(), None, "loopback: only behind a TLS proxy");
        assert_eq!(load(&[("FIREBREAK_LISTEN", "[::1]:8080")]).cookies_secure(), None);
        assert_eq!(load(&[("FIREBREAK_LISTEN", "0.0.0.0:8080")]).cookies_secure(), Some(true));
        assert_eq!(load(&[("FIREBREAK_LISTEN", "192.0.2.10:443")]).cookies_secure(), Some(true));
        let explicit = load(&[("FIREBREAK_LISTEN", "0.0.0.0:8080"), ("FIREBREAK_SECURE_COOKIES", "false")]);
        assert_eq!(explicit.cookies_secure(), Some(false), "an explicit setting wins");
        assert_eq!(load(&[("FIREBREAK_SECURE_COOKIES", "true")]).cookies_secure(), Some(true));
    }

    #[test]
    fn trusted_proxies_come_from_the_file_the_environment_or_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\n").unwrap();
        let flags = ConfigFlags { config: Some(file.clone()), ..Default::default() };
        let c = Config::load(&flags, &[]).unwrap();
        assert_eq!(
            c.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["10.0.0.0/8", "192.0.2.7/32"]
        );
        let c = Config::load(&flags, &env(&[("FIREBREAK_TRUSTED_PROXIES", "fd00::/8, 127.0.0.1")])).unwrap();
        assert_eq!(c.trusted_proxies.len(), 2);
        assert!(Config::load(&ConfigFlags::default(), &[]).unwrap().trusted_proxies.is_empty());
        std::fs::write(&file, "trusted_proxies = [\"proxy.example\"]\n").unwrap();
        let err = Config::load(&flags, &[]).unwrap_err().to_string();
        assert!(err.contains("trusted_proxies") && err.contains("proxy.example"), "{err}");
    }

    #[test]
    fn the_audit_key_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&ConfigFlags::default(), &[]).unwrap();
        let key = c.audit_key(dir.path()).unwrap();
        let file = dir.path().join(AUDIT_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(c.audit_key(dir.path()).unwrap(), key, "read back, not made again");
        let given = "ab".repeat(32);
        let c = Config::load(&ConfigFlags::default(), &env(&[("FIREBREAK_AUDIT_KEY", &given)])).unwrap();
        assert!(!format!("{c:?}").contains(&given));
        assert_eq!(c.audit_key(dir.path()).unwrap().to_hex(), given);
        let c = Config::load(&ConfigFlags::default(), &env(&[("FIREBREAK_AUDIT_KEY", "short")])).unwrap();
        assert!(c.audit_key(dir.path()).unwrap_err().to_string().contains("audit_key"));
        let flags = ConfigFlags { audit_key_file: Some(dir.path().join("missing")), ..Default::default() };
        assert!(Config::load(&flags, &[]).unwrap().audit_key(dir.path()).is_err(), "a named file is never made");
    }

    #[test]
    fn storage_limits_default_and_zero_means_none() {
        let c = Config::load(&ConfigFlags::default(), &[]).unwrap();
        assert_eq!((c.max_file_bytes, c.max_org_storage_bytes), (2 << 30, 50 << 30));
        let env = env(&[("FIREBREAK_MAX_FILE_BYTES", "0"), ("FIREBREAK_MAX_ORG_STORAGE_BYTES", "1000")]);
        let c = Config::load(&ConfigFlags::default(), &env).unwrap();
        assert_eq!((c.max_file_bytes, c.max_org_storage_bytes), (0, 1000));
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Config::load(&ConfigFlags::default(), &env(&[("FIREBREAK_MAX_BODY_BYTES", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_body_bytes"), "{err}");
    }
}
