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
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Failed sign-ins allowed before an account is slowed down.
    pub login_free_attempts: u32,
    /// Where uploaded files (evidence) are kept.
    pub files_dir: std::path::PathBuf,
    /// Sigma processing pipelines applied to every rule before events are
    /// matched (rule tests and exception previews included).
    pub sigma_pipelines: Vec<firebreak_detect::pipeline::Pipeline>,
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
            secure_cookies: false,
            login_free_attempts: 5,
            files_dir: std::path::PathBuf::from("firebreak-data/files"),
            sigma_pipelines: Vec::new(),
            max_file_bytes: 2 << 30,
            max_org_storage_bytes: 50 << 30,
        }
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
}
