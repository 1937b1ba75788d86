//! Who is calling and where: status, licence, the current user, users,
//! organisations and profiles in TheHive's shapes.

use axum::Router;
use firebreak_types::{Organisation, User};
use serde_json::{Value, json};

use super::error::HiveResult;
use super::session::HiveCaller;
use super::shape;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// A user in TheHive's shape (the query API answers with it too).
#[allow(dead_code)]
pub(super) fn user(u: &User, org: &Organisation) -> Value {
    let mut m = shape::header("User", u.id, "", u.created_at, None);
    m.insert("login".into(), json!(u.username));
    m.insert("name".into(), json!(u.display_name));
    m.insert("email".into(), json!(u.email));
    m.insert("locked".into(), json!(u.disabled));
    m.insert("organisation".into(), json!(org.name));
    Value::Object(m)
}

/// An organisation in TheHive's shape.
#[allow(dead_code)]
pub(super) fn organisation(o: &Organisation) -> Value {
    let mut m = shape::header("Organisation", o.id, "", o.created_at, None);
    m.insert("name".into(), json!(o.name));
    m.insert("description".into(), json!(o.description));
    Value::Object(m)
}

/// The users of the caller's organisation, for the query API's `listUser`.
pub async fn list_users(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    let params = firebreak_types::ListParams { limit: Some(1000), ..Default::default() };
    let page = firebreak_app::service::list_users(&state.app, caller, &params).await?;
    Ok(page.items.iter().map(|u| user(u, &caller.org)).collect())
}

/// The organisations the caller may act in, for `listOrganisation`.
pub async fn list_organisations(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    let orgs = firebreak_app::service::acting_orgs(&state.app, caller).await?;
    Ok(orgs.iter().map(organisation).collect())
}

/// TheHive's profiles, for `listProfile`.
pub async fn list_profiles(_state: &AppState, _caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(Vec::new())
}
