//! TheHive 5's shape of each entity, written once: TheHive's API facade
//! answers with these, and a webhook in TheHive's format carries the same
//! object, so the two cannot drift. The header every entity starts with
//! (`_id`, `_type`, `_createdBy`, `_createdAt`, `_updatedAt` in epoch
//! milliseconds), severities 1–4, TLP 0–4, PAP 0–3, and the tables of
//! Firebreak's states as TheHive's statuses and stages.

use std::collections::HashMap;

use firebreak_types::{
    Alert, AlertComment, AlertState, Case, CaseComment, CaseState, Disposition, Observable, Pap, Resolution, Severity,
    Task, TaskLog, TaskStatus, TimelineEntry, Tlp,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;

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

/// TheHive's label of a severity number (1 low … 4 critical).
pub fn severity_label(n: u8) -> &'static str {
    ["LOW", "MEDIUM", "HIGH", "CRITICAL"].get(usize::from(n).saturating_sub(1)).copied().unwrap_or("MEDIUM")
}

/// TheHive's label of a TLP or PAP number (0 white … 4 amber+strict).
pub fn colour_label(n: u8) -> &'static str {
    ["WHITE", "GREEN", "AMBER", "RED", "AMBER+STRICT"].get(usize::from(n)).copied().unwrap_or("AMBER+STRICT")
}

/// TheHive's data type of an observable of Firebreak's kind.
pub fn data_type(kind: &str) -> &'static str {
    match kind {
        "ip" => "ip",
        "domain" => "domain",
        "url" => "url",
        "email" => "mail",
        "md5" | "sha1" | "sha256" => "hash",
        "filename" | "file_path" => "filename",
        "hostname" => "hostname",
        "registry_key" => "registry",
        _ => "other",
    }
}

/// Logins by user id, for the fields TheHive fills with a login
/// (`assignee`, `_createdBy`, `owner`): read once per request or event.
#[derive(Debug, Clone, Default)]
pub struct Names(pub HashMap<Uuid, String>);

impl Names {
    /// The logins of the caller's acting organisation.
    pub async fn of(app: &App, caller: &Caller) -> AppResult<Self> {
        Ok(Self(crate::service::user_names(app, caller).await?))
    }

    /// The logins of `org`, for a notification no caller reads.
    pub async fn of_org(app: &App, org: Uuid) -> AppResult<Self> {
        let params = firebreak_types::ListParams { limit: Some(1000), ..Default::default() };
        let page = app.store.list_users(org, &params).await?;
        Ok(Self(page.items.into_iter().map(|u| (u.id, u.username)).collect()))
    }

    pub fn login(&self, id: Option<Uuid>) -> Option<&str> {
        id.and_then(|id| self.0.get(&id)).map(String::as_str)
    }
}

/// The header every TheHive entity starts with; the entity's own fields are
/// added to the map it returns.
pub fn header(
    kind: &str,
    id: impl std::fmt::Display,
    created_by: &str,
    created_at: OffsetDateTime,
    updated_at: Option<OffsetDateTime>,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("_id".into(), json!(id.to_string()));
    m.insert("_type".into(), json!(kind));
    m.insert("_createdBy".into(), json!(created_by));
    m.insert("_createdAt".into(), json!(millis(created_at)));
    if let Some(u) = updated_at {
        m.insert("_updatedAt".into(), json!(millis(u)));
    }
    m
}

/// Custom fields as TheHive 5 lists them: name, value, type, order.
pub fn custom_fields_out(fields: &Value) -> Value {
    let Some(m) = fields.as_object() else { return json!([]) };
    let list: Vec<Value> = m
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let kind = match value {
                Value::Bool(_) => "boolean",
                Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                Value::Number(_) => "float",
                _ => "string",
            };
            json!({ "_id": name, "name": name, "type": kind, "value": value, "order": i })
        })
        .collect();
    Value::Array(list)
}

// ---------------------------------------------------------------------------
// The mapping tables

/// Firebreak's phases as TheHive's stage and (open) status.
pub const STAGES: &[(CaseState, &str, &str)] = &[
    (CaseState::New, "New", "New"),
    (CaseState::Analysis, "InProgress", "InProgress"),
    (CaseState::Containment, "InProgress", "InProgress"),
    (CaseState::Eradication, "InProgress", "InProgress"),
    (CaseState::Recovery, "InProgress", "InProgress"),
    (CaseState::Review, "InProgress", "InProgress"),
    (CaseState::Closed, "Closed", "(the resolution's status)"),
    (CaseState::Cancelled, "Closed", "Other"),
    (CaseState::Merged, "Closed", "Duplicated"),
];

/// TheHive's closing statuses and Firebreak's resolutions, both ways
/// (`benign`, which TheHive lacks, reads back as `Other`).
pub const CLOSING: &[(&str, Resolution)] = &[
    ("TruePositive", Resolution::TruePositive),
    ("FalsePositive", Resolution::FalsePositive),
    ("Indeterminate", Resolution::Indeterminate),
    ("Other", Resolution::Other),
    ("Duplicated", Resolution::Duplicate),
];

/// TheHive's status of a case closed without a resolution.
pub const UNRESOLVED_STATUS: &str = "Other";

/// TheHive's task statuses and Firebreak's, both ways.
pub const TASK_STATUSES: &[(&str, TaskStatus)] = &[
    ("Waiting", TaskStatus::Todo),
    ("InProgress", TaskStatus::InProgress),
    ("Completed", TaskStatus::Done),
    ("Cancel", TaskStatus::Cancelled),
];

/// A case's phase as TheHive's stage: `New`, `InProgress` or `Closed`.
pub fn case_stage(state: CaseState) -> &'static str {
    STAGES.iter().find(|(s, _, _)| *s == state).map_or("InProgress", |(_, stage, _)| stage)
}

/// TheHive's status of a case.
pub fn case_status(c: &Case) -> &'static str {
    match c.state {
        CaseState::Closed => match c.resolution {
            Some(r) => CLOSING.iter().find(|(_, x)| *x == r).map_or(UNRESOLVED_STATUS, |(s, _)| s),
            None => UNRESOLVED_STATUS,
        },
        s => STAGES.iter().find(|(x, _, _)| *x == s).map_or("InProgress", |(_, _, status)| status),
    }
}

pub fn task_status(s: TaskStatus) -> &'static str {
    TASK_STATUSES.iter().find(|(_, x)| *x == s).map_or("Waiting", |(n, _)| n)
}

/// TheHive's status and stage (TheHive 5.1+) of an alert, from its state in
/// Firebreak: an open alert sent again is `Updated`; a closed one is named
/// by its disposition; an escalated one was `Imported` into a case.
pub fn alert_status(a: &Alert) -> (&'static str, &'static str) {
    match a.state {
        AlertState::New if a.occurrences > 1 => ("Updated", "New"),
        AlertState::New => ("New", "New"),
        AlertState::InTriage => ("InProgress", "InProgress"),
        AlertState::Closed => match a.disposition {
            Some(Disposition::FalsePositive) => ("FalsePositive", "Closed"),
            Some(Disposition::Duplicate) => ("Duplicated", "Closed"),
            Some(Disposition::BenignTruePositive) | None => ("TruePositive", "Closed"),
        },
        AlertState::Escalated => ("Imported", "Imported"),
    }
}

// ---------------------------------------------------------------------------
// Entities

/// The body TheHive's client sent, kept as the alert's raw event, when it
/// was sent through TheHive's API (fields Firebreak has no column for are
/// read back from it: `externalLink`, `caseTemplate`, `summary`).
fn sent_fields(a: &Alert) -> Map<String, Value> {
    let text = a.raw.get();
    if !(text.contains("\"externalLink\"") || text.contains("\"caseTemplate\"") || text.contains("\"summary\"")) {
        return Map::new();
    }
    match a.raw.to_value() {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// An alert in TheHive 5's shape.
pub fn alert(a: &Alert, names: &Names) -> Value {
    let updated = [Some(a.last_seen), a.acknowledged_at, a.closed_at].into_iter().flatten().max();
    let mut m = header("Alert", a.id, a.source.as_str(), a.first_seen, updated);
    let sent = sent_fields(a);
    let (status, stage) = alert_status(a);
    let tlp = tlp_number(a.tlp);
    let pap = pap_number(a.pap);
    m.insert("type".into(), json!(a.kind));
    m.insert("source".into(), json!(a.source));
    m.insert("sourceRef".into(), json!(a.source_ref));
    if let Some(link) = sent.get("externalLink").filter(|v| v.is_string()) {
        m.insert("externalLink".into(), link.clone());
    }
    m.insert("title".into(), json!(a.title));
    m.insert("description".into(), json!(a.description));
    m.insert("severity".into(), json!(severity_number(a.severity)));
    m.insert("severityLabel".into(), json!(severity_label(severity_number(a.severity))));
    m.insert("date".into(), json!(millis(a.event_time)));
    m.insert("tags".into(), json!(a.tags));
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(colour_label(tlp)));
    m.insert("pap".into(), json!(pap));
    m.insert("papLabel".into(), json!(colour_label(pap)));
    // Firebreak counts every repeat of an alert: each is followed.
    m.insert("follow".into(), json!(true));
    m.insert("customFields".into(), custom_fields_out(&a.custom_fields));
    if let Some(t) = sent.get("caseTemplate").filter(|v| v.is_string()) {
        m.insert("caseTemplate".into(), t.clone());
    }
    m.insert("observableCount".into(), json!(a.observables.len()));
    if let Some(c) = a.case_id {
        m.insert("caseId".into(), json!(c.to_string()));
    }
    m.insert("status".into(), json!(status));
    m.insert("stage".into(), json!(stage));
    if let Some(login) = names.login(a.assignee_id) {
        m.insert("assignee".into(), json!(login));
    }
    match (&a.disposition_reason, sent.get("summary")) {
        (Some(reason), _) => m.insert("summary".into(), json!(reason)),
        (None, Some(s)) if s.is_string() => m.insert("summary".into(), s.clone()),
        _ => None,
    };
    m.insert("read".into(), json!(a.state != AlertState::New));
    m.insert("extraData".into(), json!({ "occurrences": a.occurrences }));
    let new = millis(a.first_seen);
    m.insert("newDate".into(), json!(new));
    if let Some(t) = a.acknowledged_at {
        m.insert("inProgressDate".into(), json!(millis(t)));
        m.insert("timeToAcknowledge".into(), json!(millis(t) - new));
        m.insert("timeToTriage".into(), json!(millis(t) - new));
    }
    if let Some(t) = a.closed_at {
        let key = if a.state == AlertState::Escalated { "importedDate" } else { "closedDate" };
        m.insert(key.into(), json!(millis(t)));
        m.insert("timeToQualify".into(), json!(millis(t) - new));
    }
    m.insert("timeToDetect".into(), json!((new - millis(a.event_time)).max(0)));
    Value::Object(m)
}

/// An alert's observables in TheHive 5's shape: the type the sender named
/// when it was kept, the alert's TLP and PAP; the `i`th is `<alert>-<i>`.
pub fn alert_observables(a: &Alert) -> Vec<Value> {
    a.observables.iter().enumerate().map(|(i, _)| alert_observable(a, i)).collect()
}

/// The alert's `i`th observable in TheHive 5's shape (`Null` past the end).
pub fn alert_observable(a: &Alert, i: usize) -> Value {
    let Some(o) = a.observables.get(i) else { return Value::Null };
    let mut m = header("Observable", format!("{}-{i}", a.id), a.source.as_str(), a.first_seen, None);
    let dt = o.original_type.as_deref().unwrap_or_else(|| data_type(&o.kind));
    let tlp = tlp_number(a.tlp);
    let pap = pap_number(a.pap);
    m.insert("dataType".into(), json!(dt));
    if dt == "file" {
        // The file is one of the alert's attachments: named here by its
        // name (its digest is an observable of its own).
        m.insert("attachment".into(), json!({ "name": o.value, "id": o.value }));
    } else {
        m.insert("data".into(), json!(o.value));
    }
    m.insert("startDate".into(), json!(millis(a.first_seen)));
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(colour_label(tlp)));
    m.insert("pap".into(), json!(pap));
    m.insert("papLabel".into(), json!(colour_label(pap)));
    m.insert("tags".into(), json!([]));
    m.insert("ioc".into(), json!(false));
    m.insert("sighted".into(), json!(false));
    m.insert("reports".into(), json!({}));
    m.insert("message".into(), json!(""));
    m.insert("extraData".into(), json!({ "firebreakType": o.kind }));
    m.insert("ignoreSimilarity".into(), json!(false));
    m.insert("external".into(), json!(false));
    Value::Object(m)
}

/// A case in TheHive 5's shape.
pub fn case(c: &Case, names: &Names) -> Value {
    let mut m = header("Case", c.id, "", c.created_at, Some(c.updated_at));
    let severity = c.severity.map(severity_number).unwrap_or(2);
    let tlp = tlp_number(c.tlp);
    let pap = pap_number(c.pap);
    m.insert("number".into(), json!(c.number));
    m.insert("title".into(), json!(c.title));
    m.insert("description".into(), json!(c.description));
    m.insert("severity".into(), json!(severity));
    m.insert("severityLabel".into(), json!(severity_label(severity)));
    m.insert("startDate".into(), json!(millis(c.created_at)));
    if let Some(t) = c.closed_at {
        m.insert("endDate".into(), json!(millis(t)));
        m.insert("closedDate".into(), json!(millis(t)));
    }
    m.insert("tags".into(), json!(c.tags));
    m.insert("flag".into(), json!(false));
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(colour_label(tlp)));
    m.insert("pap".into(), json!(pap));
    m.insert("papLabel".into(), json!(colour_label(pap)));
    m.insert("stage".into(), json!(case_stage(c.state)));
    m.insert("status".into(), json!(case_status(c)));
    m.insert("summary".into(), json!(c.summary));
    m.insert("impactStatus".into(), json!("NotApplicable"));
    let assignee = names.login(c.assignee_id);
    m.insert("assignee".into(), json!(assignee));
    m.insert("owner".into(), json!(assignee));
    m.insert("customFields".into(), custom_fields_out(&c.custom_fields));
    m.insert("newDate".into(), json!(millis(c.created_at)));
    if let Some(t) = c.acknowledged_at {
        m.insert("inProgressDate".into(), json!(millis(t)));
    }
    m.insert("timeToDetect".into(), json!(0));
    m.insert("access".into(), json!({ "kind": "public" }));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A case's task in TheHive 5's shape.
pub fn task(t: &Task, names: &Names) -> Value {
    let mut m = header("Task", t.id, "", t.created_at, t.done_at);
    m.insert("title".into(), json!(t.title));
    m.insert("group".into(), json!(t.phase.as_str()));
    m.insert("description".into(), json!(t.description));
    m.insert("status".into(), json!(task_status(t.status)));
    m.insert("flag".into(), json!(false));
    m.insert("order".into(), json!(0));
    m.insert("mandatory".into(), json!(false));
    m.insert("startDate".into(), json!(millis(t.created_at)));
    if let Some(d) = t.done_at {
        m.insert("endDate".into(), json!(millis(d)));
    }
    if let Some(d) = t.due_at {
        m.insert("dueDate".into(), json!(millis(d)));
    }
    let assignee = names.login(t.assignee_id);
    m.insert("assignee".into(), json!(assignee));
    m.insert("owner".into(), json!(assignee));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A task's log in TheHive 5's shape.
pub fn log(l: &TaskLog) -> Value {
    let mut m = header("Log", l.id, l.author.as_str(), l.at, None);
    m.insert("message".into(), json!(l.body));
    m.insert("date".into(), json!(millis(l.at)));
    m.insert("owner".into(), json!(l.author));
    m.insert("taskId".into(), json!(l.task_id.to_string()));
    let attachments: Vec<Value> =
        l.attachments.iter().map(|a| json!({ "_id": a.to_string(), "id": a.to_string() })).collect();
    m.insert("attachments".into(), Value::Array(attachments));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A case's observable in TheHive 5's shape.
pub fn observable(o: &Observable) -> Value {
    let mut m = header("Observable", o.id, "", o.created_at, None);
    m.insert("dataType".into(), json!(data_type(&o.kind)));
    m.insert("data".into(), json!(o.value));
    m.insert("startDate".into(), json!(millis(o.created_at)));
    let tlp = tlp_number(o.tlp);
    m.insert("tlp".into(), json!(tlp));
    m.insert("tlpLabel".into(), json!(colour_label(tlp)));
    m.insert("pap".into(), json!(2));
    m.insert("papLabel".into(), json!("AMBER"));
    m.insert("ioc".into(), json!(o.ioc));
    m.insert("sighted".into(), json!(false));
    m.insert("ignoreSimilarity".into(), json!(false));
    m.insert("tags".into(), json!(o.tags));
    m.insert("message".into(), json!(o.description));
    m.insert("reports".into(), json!({}));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A case's comment in TheHive 5's shape.
pub fn comment(c: &CaseComment) -> Value {
    let mut m = header("Comment", c.id, &c.author, c.created_at, c.edited_at);
    m.insert("createdBy".into(), json!(c.author));
    m.insert("createdAt".into(), json!(millis(c.created_at)));
    if let Some(t) = c.edited_at {
        m.insert("updatedAt".into(), json!(millis(t)));
        m.insert("updatedBy".into(), json!(c.author));
    }
    m.insert("message".into(), json!(c.body));
    m.insert("isEdited".into(), json!(c.edited_at.is_some()));
    m.insert("external".into(), json!(false));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// An alert's comment in TheHive 5's shape.
pub fn alert_comment(c: &AlertComment) -> Value {
    let mut m = header("Comment", c.id, c.author.as_str(), c.created_at, None);
    m.insert("createdBy".into(), json!(c.author));
    m.insert("createdAt".into(), json!(millis(c.created_at)));
    m.insert("message".into(), json!(c.body));
    // An alert's comment is never edited.
    m.insert("isEdited".into(), json!(false));
    m.insert("external".into(), json!(false));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A timeline entry with an ATT&CK technique as TheHive 5's procedure.
pub fn procedure(e: &TimelineEntry) -> Value {
    let a = firebreak_domain::attack::attack();
    let mut m = header("Procedure", e.id, &e.author, e.at, None);
    m.insert("occurDate".into(), json!(millis(e.at)));
    m.insert("description".into(), json!(e.description));
    if let Some(t) = e.technique.as_deref() {
        m.insert("patternId".into(), json!(t));
        m.insert("patternName".into(), json!(a.technique(t).map(|x| x.name)));
    }
    if let Some(t) = e.tactic.as_deref().and_then(|t| a.tactic(t)) {
        m.insert("tactic".into(), json!(t.shortname));
        m.insert("tacticLabel".into(), json!(t.name));
    }
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}
