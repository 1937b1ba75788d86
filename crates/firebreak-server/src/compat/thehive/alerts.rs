//! TheHive 5 alerts: `/api/v1/alert`.

use axum::Router;
use firebreak_types::Alert;
use serde_json::{Value, json};

use super::shape::{self, Names};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// An alert in TheHive 5's shape (the query API answers with it too).
#[allow(dead_code)]
pub(super) fn alert(a: &Alert, names: &Names) -> Value {
    let mut m = shape::header("Alert", a.id, a.source.as_str(), a.first_seen, Some(a.last_seen));
    m.insert("type".into(), json!(a.kind));
    m.insert("source".into(), json!(a.source));
    m.insert("sourceRef".into(), json!(a.source_ref));
    m.insert("title".into(), json!(a.title));
    m.insert("description".into(), json!(a.description));
    m.insert("severity".into(), json!(shape::severity_number(a.severity)));
    m.insert("date".into(), json!(shape::millis(a.event_time)));
    m.insert("tags".into(), json!(a.tags));
    m.insert("tlp".into(), json!(shape::tlp_number(a.tlp)));
    m.insert("pap".into(), json!(shape::pap_number(a.pap)));
    m.insert("assignee".into(), json!(names.login(a.assignee_id)));
    m.insert("caseId".into(), json!(a.case_id.map(|c| c.to_string())));
    Value::Object(m)
}

/// An alert's observables in TheHive's shape (`alert → observables`).
pub(super) fn observables(a: &Alert) -> Vec<Value> {
    a.observables
        .iter()
        .map(|o| {
            json!({
                "_type": "Observable",
                "dataType": o.original_type.as_deref().unwrap_or(o.kind.as_str()),
                "data": o.value,
                "tlp": shape::tlp_number(a.tlp),
                "pap": shape::pap_number(a.pap),
            })
        })
        .collect()
}
