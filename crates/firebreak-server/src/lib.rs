//! Firebreak's server: the HTTP API, the web pages, live updates and
//! background work, over a [`firebreak_store::Store`].

pub mod api;
pub mod assets;
pub mod auth;
pub mod bootstrap;
pub mod cases;
pub mod charts;
pub mod checkpoints;
pub mod clock;
pub mod dashboards;
pub mod detection;
mod docs;
pub mod error;
pub mod events;
pub mod evidence;
pub mod extract;
pub mod files;
pub mod hunts;
pub mod incident;
pub mod intake;
pub mod items;
pub mod jobs;
pub mod live;
pub mod metrics;
pub mod ops;
pub mod proxy;
pub mod report;
pub mod secrets;
pub mod service;
pub mod sla;
pub mod state;
pub mod throttle;
mod web;
pub mod webhooks;
pub mod work;

use std::future::Future;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use firebreak_domain::clock::Clock;
use firebreak_store::Store;
use firebreak_types::ErrorCode;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use uuid::Uuid;

pub use state::{AppState, ServerSettings};

use crate::error::ApiError;
use crate::live::LiveHub;
use crate::throttle::LoginThrottle;

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: ServerSettings, root_org: Uuid) -> Self {
        Self {
            store,
            clock,
            live: LiveHub::new(),
            throttle: Arc::new(LoginThrottle::new(settings.login_free_attempts)),
            checkpoints: Arc::new(crate::checkpoints::CheckpointLog::new(settings.audit_checkpoints.clone())),
            settings: Arc::new(settings),
            root_org,
            http: reqwest::Client::new(),
            jobs: Arc::new(tokio::sync::Notify::new()),
            detectors: Arc::default(),
            hunts: Arc::default(),
        }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    ops::prometheus();
    Router::new()
        .nest("/api/v1", api::routes().fallback(api_not_found))
        .route("/api/docs", get(docs::page))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_endpoint))
        .merge(web::routes())
        .layer(middleware::from_fn(ops::track))
        // Every body extractor (JSON, forms, bytes) reads through this limit,
        // streamed bodies included; `extract::body_rejection` answers 413.
        .layer(DefaultBodyLimit::max(limit))
        // Every response, pages and API alike; a handler that needs another
        // policy (the report, with its own style) sets its own.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .with_state(state)
}

async fn api_not_found() -> impl IntoResponse {
    ApiError::new(ErrorCode::NotFound, "no such endpoint; see /api/docs")
}

/// Serves until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
