//! Case templates, custom fields and observable types as TheHive's entities.

use axum::Router;
use serde_json::Value;

use super::error::HiveResult;
use super::session::HiveCaller;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// The organisation's case templates, for `listCaseTemplate`.
pub async fn list_case_templates(_state: &AppState, _caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(Vec::new())
}

/// The organisation's custom fields, for `listCustomField`.
pub async fn list_custom_fields(_state: &AppState, _caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(Vec::new())
}

/// The observable types, for `listObservableType`.
pub async fn list_observable_types(_state: &AppState, _caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(Vec::new())
}
