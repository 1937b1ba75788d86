//! TheHive 5 cases and what they hold: `/api/v1/case`, tasks, logs,
//! observables, comments, pages, timeline and procedures.

use axum::Router;
use firebreak_types::{Case, Observable, Task, TaskLog};
use serde_json::{Value, json};

use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// A case in TheHive 5's shape (the query API answers with it too).
#[allow(dead_code)]
pub(super) fn case(c: &Case, names: &Names) -> Value {
    let mut m = shape::header("Case", c.id, "", c.created_at, Some(c.updated_at));
    m.insert("number".into(), json!(c.number));
    m.insert("title".into(), json!(c.title));
    m.insert("description".into(), json!(c.description));
    m.insert("severity".into(), json!(c.severity.map(shape::severity_number).unwrap_or(2)));
    m.insert("startDate".into(), json!(shape::millis(c.created_at)));
    m.insert("tags".into(), json!(c.tags));
    m.insert("tlp".into(), json!(shape::tlp_number(c.tlp)));
    m.insert("pap".into(), json!(shape::pap_number(c.pap)));
    m.insert("assignee".into(), json!(names.login(c.assignee_id)));
    Value::Object(m)
}

/// A case's task in TheHive 5's shape.
#[allow(dead_code)]
pub(super) fn task(t: &Task, names: &Names) -> Value {
    let mut m = shape::header("Task", t.id, "", t.created_at, t.done_at);
    m.insert("title".into(), json!(t.title));
    m.insert("description".into(), json!(t.description));
    m.insert("assignee".into(), json!(names.login(t.assignee_id)));
    Value::Object(m)
}

/// A task's log in TheHive 5's shape.
#[allow(dead_code)]
pub(super) fn log(l: &TaskLog) -> Value {
    let mut m = shape::header("Log", l.id, l.author.as_str(), l.at, None);
    m.insert("message".into(), json!(l.body));
    m.insert("date".into(), json!(shape::millis(l.at)));
    Value::Object(m)
}

/// A case's observable in TheHive 5's shape.
#[allow(dead_code)]
pub(super) fn observable(o: &Observable) -> Value {
    let mut m = shape::header("Observable", o.id, "", o.created_at, None);
    m.insert("dataType".into(), json!(o.kind));
    m.insert("data".into(), json!(o.value));
    m.insert("tlp".into(), json!(shape::tlp_number(o.tlp)));
    m.insert("ioc".into(), json!(o.ioc));
    m.insert("tags".into(), json!(o.tags));
    m.insert("message".into(), json!(o.description));
    Value::Object(m)
}
