//! Firebreak's HTTP layer: the JSON API, the web pages and live updates, over
//! the use cases of [`firebreak_app`]. Handlers read requests into calls of
//! the application and its results into answers; they reach no store.

pub mod api;
pub mod auth;
pub mod charts;
pub mod compat;
mod docs;
pub mod error;
pub mod ops;
pub mod proxy;
pub mod report;
pub mod request;
pub mod state;
mod web;

use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Router, middleware};
use firebreak_types::ErrorCode;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppState, ServerSettings};

use crate::error::ApiError;

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    ops::prometheus();
    Router::new()
        .nest("/api/v1", api::routes().fallback(api_not_found))
        .nest(compat::thehive::BASE, compat::thehive::routes())
        .route("/api/docs", get(docs::page))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_endpoint))
        .merge(web::routes())
        .layer(middleware::from_fn(ops::track))
        // Every body extractor (JSON, forms, bytes) reads through this limit,
        // streamed bodies included; `request::body_rejection` answers 413.
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
