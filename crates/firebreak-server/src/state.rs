use std::sync::Arc;
use std::time::Duration;

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use firebreak_app::App;

use crate::proxy::{Remote, TrustedProxy};

/// Settings of the HTTP layer (the binary reads them, and the application's
/// own, from its layered configuration).
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
    pub trusted_proxies: Vec<TrustedProxy>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl ServerSettings {
    /// Whether cookies set in answer to a request from `remote` are `Secure`.
    pub fn cookies_secure(&self, remote: &Remote) -> bool {
        self.secure_cookies.unwrap_or(remote.over_tls)
    }
}

/// What every request handler can reach: the application (whose use cases it
/// calls; it has no store of its own) and the HTTP settings.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub settings: Arc<ServerSettings>,
}

impl AppState {
    pub fn new(app: App, settings: ServerSettings) -> Self {
        Self { app, settings: Arc::new(settings) }
    }
}

/// Handlers pass `&state` where a use case takes `&App`.
impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

/// The client's address and protocol, through the proxies this node trusts.
impl FromRequestParts<AppState> for Remote {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Remote::of(parts, &state.settings.trusted_proxies))
    }
}
