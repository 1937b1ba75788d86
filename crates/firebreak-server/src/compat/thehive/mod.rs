//! TheHive's API under `/compat/thehive`: TheHive 5 (`/api/v1/…`), the query
//! API (`/api/v1/query`) and TheHive 4's paths for legacy senders
//! (`/api/alert`, `/api/case`, …).
//!
//! Each topic has its module and its routes; `shape` holds what they share
//! (TheHive's entity header, severities, TLP and PAP, times in epoch
//! milliseconds) and `error` TheHive's error body.

mod alerts;
mod attachments;
mod case_parts;
mod cases;
mod connectors;
pub mod error;
mod extra_data;
mod extras;
mod form;
mod identity;
mod legacy;
mod legacy_alerts;
mod legacy_cases;
mod query;
pub mod session;
pub mod shape;
mod templates;

use axum::Router;

use self::error::HiveError;
use crate::state::AppState;

/// Where the facade is mounted.
pub const BASE: &str = "/compat/thehive";

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(identity::routes())
        .merge(alerts::routes())
        .merge(cases::routes())
        .merge(query::routes())
        .merge(templates::routes())
        .merge(legacy::routes())
        .merge(legacy_alerts::routes())
        .merge(case_parts::routes())
        .merge(legacy_cases::routes())
        .merge(attachments::routes())
        .merge(extras::routes())
        .merge(connectors::routes())
        .fallback(not_found)
}

async fn not_found() -> HiveError {
    HiveError::not_found("no such endpoint in Firebreak's TheHive API")
}
