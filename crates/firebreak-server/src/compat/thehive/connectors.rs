//! What TheHive does through other products or formats and Firebreak does
//! not: Cortex's analysers and responders, MISP's synchronisation, TheHive's
//! password-protected case archives (`.thar`) and page templates. Each
//! answers 501 `NotSupportedError` saying what Firebreak offers instead, to
//! a signed-in caller (a stranger gets 401 first, as everywhere).

use axum::Router;
use axum::extract::Path;
use axum::response::Response;
use axum::routing::{any, get, post, put};

use super::error::HiveResult;
use super::extras::not_supported;
use super::session::HiveCaller;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/connector/cortex/{*rest}", any(cortex))
        .route("/api/v1/connector/cortex/{*rest}", any(cortex))
        .route("/api/v1/connector/misp/{*rest}", any(misp))
        .route("/api/v1/case/import", post(case_import))
        .route("/api/v1/case/{id}/export", get(case_export))
        .route("/api/v1/pageTemplate", post(page_templates))
        .route("/api/v1/pageTemplate/{id}", any(page_templates))
        .route("/api/v1/caseTemplate/{id}/pageTemplate/link", put(page_templates))
}

async fn cortex(_caller: HiveCaller) -> HiveResult<Response> {
    Err(not_supported(
        "Firebreak has no Cortex connector: an observable's sightings in other alerts and cases are on the \
         observable (GET /api/v1/cases/{id}/observables), and response actions are recorded on the case",
    ))
}

async fn misp(_caller: HiveCaller) -> HiveResult<Response> {
    Err(not_supported(
        "Firebreak has no MISP connector: send MISP's events as alerts (POST /api/v1/alert), and read a \
         case's observables through the API",
    ))
}

async fn case_import(_caller: HiveCaller) -> HiveResult<Response> {
    Err(not_supported(
        "Firebreak does not read TheHive's case archives (.thar): create the case with POST /api/v1/case, \
         with its tasks and pages, and attach its files with POST /api/v1/case/{id}/attachments",
    ))
}

async fn case_export(_caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    Err(not_supported(format!(
        "Firebreak does not write TheHive's case archives (.thar): read case {id} through the API \
         (GET /api/v1/case/{id}, its tasks, observables, timeline and attachments), each evidence file with \
         its SHA-256 and chain of custody"
    )))
}

async fn page_templates(_caller: HiveCaller) -> HiveResult<Response> {
    Err(not_supported(
        "Firebreak has no page templates: a case's pages are written on the case (POST /api/v1/case/{id}/page), \
         and its case templates bring tasks",
    ))
}
