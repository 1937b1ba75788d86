//! TheHive's vocabulary where the application needs it: the entities in
//! TheHive 5's shape (`shape`, which TheHive's API facade answers with too)
//! and the notification a webhook in TheHive's format sends (`operation`,
//! `action`, `objectType`, `objectId`, `object` in TheHive 5's shape,
//! `details`, `organisation`, …), so that workflows written for TheHive's
//! webhooks (Shuffle, n8n) keep working.

pub mod shape;

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

pub use shape::{Names, millis, pap_number, severity_number, tlp_number};

use crate::events::CaseEvent;

/// What TheHive's notifications need of an organisation: its name and its
/// users' logins. Read only when a webhook in TheHive's format listens.
#[derive(Debug, Clone, Default)]
pub struct HiveOrg {
    pub name: String,
    pub names: Names,
}

/// What happened to the object of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Creation,
    Update,
    Delete,
}

impl Operation {
    /// TheHive 5's `operation` (read by TheHive 4-era workflows).
    pub fn name(self) -> &'static str {
        match self {
            Self::Creation => "Creation",
            Self::Update => "Update",
            Self::Delete => "Delete",
        }
    }

    /// TheHive 5's `action` (read by n8n's TheHive 5 trigger).
    pub fn action(self) -> &'static str {
        match self {
            Self::Creation => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// One notification: what happened to which object, under which root (the
/// case or alert it belongs to).
#[derive(Debug, Clone)]
pub struct Notice {
    pub operation: Operation,
    /// TheHive 5's entity name: `Case`, `Alert`, `Task`, `Log`, `Observable`,
    /// `Comment`, `Procedure`.
    pub object_type: &'static str,
    pub object_id: String,
    pub root_id: Uuid,
    pub org_id: Uuid,
    /// The object in TheHive 5's shape (`Null` once deleted).
    pub object: Value,
    /// The root (case or alert) in TheHive 5's shape, as `context`.
    pub context: Value,
    /// What changed: the whole object on creation.
    pub details: Value,
}

/// The notification of `n` in TheHive's shape.
pub fn notification(n: &Notice, org_name: &str, now: OffsetDateTime) -> Value {
    json!({
        "operation": n.operation.name(),
        "action": n.operation.action(),
        "objectType": n.object_type,
        "objectId": n.object_id,
        "base": true,
        "startDate": millis(now),
        "rootId": n.root_id.to_string(),
        "requestId": Uuid::now_v7().to_string(),
        "organisation": org_name,
        "organisationId": n.org_id.to_string(),
        "details": n.details,
        "object": n.object,
        "context": n.context,
    })
}

/// A case event's notification: a case made is a `Creation`, everything
/// else an `Update` whose details carry the fields TheHive's workflows read.
pub fn case_notification(event: &CaseEvent<'_>, org: &HiveOrg, now: OffsetDateTime) -> Value {
    let c = event.case;
    let object = shape::case(c, &org.names);
    let (operation, details) = if event.name == "case.created" {
        (Operation::Creation, object.clone())
    } else {
        let details = json!({
            "stage": shape::case_stage(c.state), "status": shape::case_status(c),
            "firebreakEvent": event.name, "data": event.data,
        });
        (Operation::Update, details)
    };
    let notice = Notice {
        operation,
        object_type: "Case",
        object_id: c.id.to_string(),
        root_id: c.id,
        org_id: c.org_id,
        context: object.clone(),
        object,
        details,
    };
    notification(&notice, &org.name, now)
}

/// The notification of a new alert.
pub fn alert_notification(a: &firebreak_types::Alert, org: &HiveOrg, now: OffsetDateTime) -> Value {
    let object = shape::alert(a, &org.names);
    let notice = Notice {
        operation: Operation::Creation,
        object_type: "Alert",
        object_id: a.id.to_string(),
        root_id: a.id,
        org_id: a.org_id,
        details: object.clone(),
        context: object.clone(),
        object,
    };
    notification(&notice, &org.name, now)
}
