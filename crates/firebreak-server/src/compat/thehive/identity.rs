//! Who is calling and where: status, licence, the current user, users,
//! organisations and profiles in TheHive's shapes.

use axum::Router;
use firebreak_types::{Organisation, User};
use serde_json::{Value, json};

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
