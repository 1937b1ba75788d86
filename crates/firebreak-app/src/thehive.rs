//! TheHive's vocabulary where the application needs it: the notification a
//! webhook in TheHive's format sends (`operation`, `objectType`, `objectId`,
//! `object` in TheHive 5's shape, `details`, `organisation`, …), so that
//! workflows written for TheHive's webhooks (Shuffle, n8n) keep working.

use firebreak_types::{Case, CaseState, Pap, Severity, Tlp};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::events::CaseEvent;

/// Epoch milliseconds, as TheHive writes every date.
pub fn millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// TheHive's severity: 1 low, 2 medium, 3 high, 4 critical.
pub fn severity_number(s: Severity) -> u8 {
    match s {
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

/// TheHive's TLP: 0 white (clear), 1 green, 2 amber, 3 red, 4 amber+strict.
pub fn tlp_number(t: Tlp) -> u8 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::Red => 3,
        Tlp::AmberStrict => 4,
    }
}

/// TheHive's PAP: 0 white (clear), 1 green, 2 amber, 3 red.
pub fn pap_number(p: Pap) -> u8 {
    match p {
        Pap::Clear => 0,
        Pap::Green => 1,
        Pap::Amber => 2,
        Pap::Red => 3,
    }
}

/// A case's phase as TheHive's stage: `New`, `InProgress` or `Closed`.
pub fn case_stage(state: CaseState) -> &'static str {
    match state {
        CaseState::New => "New",
        CaseState::Closed | CaseState::Cancelled | CaseState::Merged => "Closed",
        _ => "InProgress",
    }
}

/// A case in TheHive 5's shape, as a notification carries it.
pub fn case_object(c: &Case) -> Value {
    json!({
        "_id": c.id.to_string(),
        "_type": "Case",
        "_createdAt": millis(c.created_at),
        "_updatedAt": millis(c.updated_at),
        "number": c.number,
        "title": c.title,
        "description": c.description,
        "severity": c.severity.map_or(2, severity_number),
        "startDate": millis(c.created_at),
        "endDate": c.closed_at.map(millis),
        "tags": c.tags,
        "tlp": tlp_number(c.tlp),
        "pap": pap_number(c.pap),
        "stage": case_stage(c.state),
        "status": c.state,
        "summary": c.summary,
        "customFields": c.custom_fields,
        "extraData": { "firebreak": { "priority": c.priority, "tier": c.tier, "category": c.category } },
    })
}

/// TheHive's operation for a case event: a case made is a `Creation`,
/// everything else an `Update`.
fn operation(event: &str) -> &'static str {
    if event == "case.created" { "Creation" } else { "Update" }
}

/// The notification of a case event in TheHive's shape.
pub fn case_notification(event: &CaseEvent<'_>, org_name: &str, now: OffsetDateTime) -> Value {
    let c = event.case;
    let object = case_object(c);
    let op = operation(event.name);
    // What changed: the whole case on creation; the event's details, with
    // the fields TheHive's workflows read, on an update.
    let details = if op == "Creation" {
        object.clone()
    } else {
        json!({ "stage": case_stage(c.state), "status": c.state, "firebreakEvent": event.name, "data": event.data })
    };
    json!({
        "operation": op,
        "objectType": "case",
        "objectId": c.id.to_string(),
        "base": true,
        "startDate": millis(now),
        "rootId": c.id.to_string(),
        "requestId": Uuid::now_v7().to_string(),
        "organisation": org_name,
        "organisationId": c.org_id.to_string(),
        "details": details,
        "object": object,
    })
}

/// An alert in TheHive 5's shape, as a notification carries it.
pub fn alert_object(a: &firebreak_types::Alert) -> Value {
    let observables: Vec<Value> = a
        .observables
        .iter()
        .map(|o| json!({ "dataType": o.original_type.as_deref().unwrap_or(&o.kind), "data": o.value, "tlp": tlp_number(a.tlp), "ioc": false, "tags": [] }))
        .collect();
    json!({
        "_id": a.id.to_string(),
        "_type": "Alert",
        "_createdAt": millis(a.first_seen),
        "_updatedAt": millis(a.last_seen),
        "type": a.kind,
        "source": a.source,
        "sourceRef": a.source_ref,
        "title": a.title,
        "description": a.description,
        "severity": severity_number(a.severity),
        "date": millis(a.event_time),
        "tags": a.tags,
        "tlp": tlp_number(a.tlp),
        "pap": pap_number(a.pap),
        "stage": "New",
        "status": "New",
        "follow": true,
        "observableCount": observables.len(),
        "customFields": a.custom_fields,
        "caseId": a.case_id.map(|c| c.to_string()),
        "extraData": { "observables": observables },
    })
}

/// The notification of a new alert in TheHive's shape.
pub fn alert_notification(a: &firebreak_types::Alert, org_name: &str, now: OffsetDateTime) -> Value {
    let object = alert_object(a);
    json!({
        "operation": "Creation",
        "objectType": "alert",
        "objectId": a.id.to_string(),
        "base": true,
        "startDate": millis(now),
        "rootId": a.id.to_string(),
        "requestId": Uuid::now_v7().to_string(),
        "organisation": org_name,
        "organisationId": a.org_id.to_string(),
        "details": object.clone(),
        "object": object,
    })
}
