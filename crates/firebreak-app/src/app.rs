//! The application: what every use case can reach, behind one type whose
//! fields only this crate sees. The HTTP layer holds an [`App`] and calls its
//! use cases; it has no store handle of its own.

use std::path::PathBuf;
use std::sync::Arc;

use firebreak_domain::clock::Clock;
use firebreak_store::Store;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::basic_cache::BasicCache;
use crate::checkpoints::CheckpointLog;
use crate::detection::Detectors;
use crate::hunts::Progress;
use crate::live::LiveHub;
use crate::throttle::LoginThrottle;

/// Settings the use cases need (the binary reads them from its layered
/// configuration).
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Failed sign-ins allowed before an account is slowed down.
    pub login_free_attempts: u32,
    /// Where uploaded files (evidence) are kept.
    pub files_dir: PathBuf,
    /// Sigma processing pipelines applied to every rule before events are
    /// matched (rule tests and exception previews included).
    pub sigma_pipelines: Vec<firebreak_detect::pipeline::Pipeline>,
    /// The file signed checkpoints of the audit chains are appended to.
    pub audit_checkpoints: PathBuf,
    /// How often a checkpoint is written (when a chain moved).
    pub audit_checkpoint_every: time::Duration,
    /// Largest evidence or document file, in bytes; 0: no limit.
    pub max_file_bytes: u64,
    /// Largest total of an organisation's evidence and documents, in bytes;
    /// 0: no limit.
    pub max_org_storage_bytes: u64,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            login_free_attempts: 5,
            files_dir: PathBuf::from("firebreak-data/files"),
            sigma_pipelines: Vec::new(),
            audit_checkpoints: PathBuf::from("firebreak-data").join(crate::checkpoints::FILE_NAME),
            audit_checkpoint_every: time::Duration::minutes(10),
            max_file_bytes: 2 << 30,
            max_org_storage_bytes: 50 << 30,
        }
    }
}

/// The application. Cheap to clone: every field is shared.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) live: LiveHub,
    pub(crate) throttle: Arc<LoginThrottle>,
    /// Basic credentials verified in the last few minutes.
    pub(crate) basic: Arc<BasicCache>,
    pub(crate) settings: Arc<AppSettings>,
    /// The organisation created at first start; its admins run the platform.
    pub(crate) root_org: Uuid,
    /// Outgoing HTTP (webhooks).
    pub(crate) http: reqwest::Client,
    /// Wakes the background jobs early (a delivery was queued).
    pub(crate) jobs: Arc<tokio::sync::Notify>,
    /// Each organisation's enabled rules, compiled.
    pub(crate) detectors: Arc<Detectors>,
    /// Progress of the hunts running on this node.
    pub(crate) hunts: Arc<Progress>,
    /// Where this node writes its audit checkpoints.
    pub(crate) checkpoints: Arc<CheckpointLog>,
    /// Each organisation's `alert.created` webhooks, read by intake.
    pub(crate) alert_hooks: Arc<crate::events::AlertHooks>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: AppSettings, root_org: Uuid) -> Self {
        Self {
            store,
            clock,
            live: LiveHub::new(),
            throttle: Arc::new(LoginThrottle::new(settings.login_free_attempts)),
            basic: Arc::new(BasicCache::new()),
            checkpoints: Arc::new(CheckpointLog::new(settings.audit_checkpoints.clone())),
            settings: Arc::new(settings),
            root_org,
            http: reqwest::Client::new(),
            jobs: Arc::new(tokio::sync::Notify::new()),
            detectors: Arc::default(),
            hunts: Arc::default(),
            alert_hooks: Arc::default(),
        }
    }

    /// The same application over another store (a test that reopens its
    /// database, or a command that works on a copy).
    pub fn with_store(&self, store: Arc<dyn Store>) -> Self {
        Self::new(store, self.clock.clone(), (*self.settings).clone(), self.root_org)
    }

    /// The same application on another clock (tests that watch each reading).
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> Self {
        Self { clock, ..self.clone() }
    }

    /// The one reading of the time for a request; use cases take it once and
    /// pass it down.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }

    /// The organisation created at first start.
    pub fn root_org(&self) -> Uuid {
        self.root_org
    }

    /// Live updates of this node.
    pub fn live(&self) -> &LiveHub {
        &self.live
    }

    /// Basic credentials this node verified lately.
    pub fn basic_credentials(&self) -> &BasicCache {
        &self.basic
    }

    /// This node's audit checkpoint file.
    pub fn checkpoints(&self) -> &CheckpointLog {
        &self.checkpoints
    }
}
