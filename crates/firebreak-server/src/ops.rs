//! Operations endpoints: liveness, readiness and Prometheus metrics.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use firebreak_app::health;

use crate::state::AppState;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers and its schema is this binary's.
pub async fn readyz(State(s): State<AppState>) -> Response {
    match health::ready(&s).await {
        Ok(version) => Json(json!({ "status": "ready", "database": health::database(&s), "schema_version": version }))
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
                .into_response()
        }
    }
}

/// The process-wide Prometheus recorder (metrics are global; several apps in
/// one test process share it).
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
                .ok()?
                .install_recorder()
                .ok()?;
            metrics::gauge!("firebreak_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .as_ref()
}

pub async fn metrics_endpoint(State(s): State<AppState>) -> Response {
    let pool = health::pool(&s);
    let backend = health::database(&s);
    metrics::gauge!("firebreak_db_pool_connections", "backend" => backend).set(f64::from(pool.size));
    metrics::gauge!("firebreak_db_pool_idle", "backend" => backend).set(f64::from(pool.idle));
    match prometheus() {
        Some(h) => ([("content-type", "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response(),
    }
}

/// Counts and times every request by route template (never the raw path,
/// which would make one series per object id) and status.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("firebreak_http_requests_total", &labels).increment(1);
    metrics::histogram!("firebreak_http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    resp
}
