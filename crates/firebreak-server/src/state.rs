use std::sync::Arc;
use std::time::Duration;

use firebreak_domain::clock::Clock;
use firebreak_store::Store;
use uuid::Uuid;

use crate::live::LiveHub;
use crate::throttle::LoginThrottle;

/// Settings the server itself needs (the binary reads them from its layered
/// configuration).
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a web session lasts.
    pub session_ttl: Duration,
    /// Mark cookies `Secure`: always, never, or (`None`) when a trusted proxy
    /// says the request came over HTTPS.
    pub secure_cookies: Option<bool>,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are
    /// believed; empty: the TCP peer is the client.
    pub trusted_proxies: Vec<crate::proxy::TrustedProxy>,
    /// Failed sign-ins allowed before an account is slowed down.
    pub login_free_attempts: u32,
    /// Where uploaded files (evidence) are kept.
    pub files_dir: std::path::PathBuf,
    /// Sigma processing pipelines applied to every rule before events are
    /// matched (rule tests and exception previews included).
    pub sigma_pipelines: Vec<firebreak_detect::pipeline::Pipeline>,
    /// The file signed checkpoints of the audit chains are appended to.
    pub audit_checkpoints: std::path::PathBuf,
    /// How often a checkpoint is written (when a chain moved).
    pub audit_checkpoint_every: time::Duration,
    /// Largest evidence or document file, in bytes; 0: no limit.
    pub max_file_bytes: u64,
    /// Largest total of an organisation's evidence and documents, in bytes;
    /// 0: no limit.
    pub max_org_storage_bytes: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: None,
            trusted_proxies: Vec::new(),
            login_free_attempts: 5,
            files_dir: std::path::PathBuf::from("firebreak-data/files"),
            sigma_pipelines: Vec::new(),
            audit_checkpoints: std::path::PathBuf::from("firebreak-data").join(crate::checkpoints::FILE_NAME),
            audit_checkpoint_every: time::Duration::minutes(10),
            max_file_bytes: 2 << 30,
            max_org_storage_bytes: 50 << 30,
        }
    }
}

impl ServerSettings {
    /// Whether cookies set in answer to a request from `remote` are `Secure`.
    pub fn cookies_secure(&self, remote: &crate::proxy::Remote) -> bool {
        self.secure_cookies.unwrap_or(remote.over_tls)
    }
}

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub live: LiveHub,
    pub throttle: Arc<LoginThrottle>,
    pub settings: Arc<ServerSettings>,
    /// The organisation created at first start; its admins run the platform.
    pub root_org: Uuid,
    /// Outgoing HTTP (webhooks).
    pub http: reqwest::Client,
    /// Wakes the background jobs early (a delivery was queued).
    pub jobs: Arc<tokio::sync::Notify>,
    /// Each organisation's enabled rules, compiled.
    pub detectors: Arc<crate::detection::Detectors>,
    /// Progress of the hunts running on this node.
    pub hunts: Arc<crate::hunts::Progress>,
    /// Where this node writes its audit checkpoints.
    pub checkpoints: Arc<crate::checkpoints::CheckpointLog>,
}
