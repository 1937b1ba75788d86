//! What TheHive's entities share: the header (`_id`, `_type`, `_createdBy`,
//! `_createdAt`, `_updatedAt` in epoch milliseconds), severities 1–4, TLP 0–4
//! and PAP 0–3, mapped onto Firebreak's values both ways.

use std::collections::HashMap;

use firebreak_app::App;
use firebreak_app::auth::Caller;
use firebreak_types::{Pap, Severity, Tlp};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::error::HiveResult;

// The numbers are the application's, which a webhook in TheHive's format
// also writes with.
pub use firebreak_app::thehive::{millis, pap_number, severity_number, tlp_number};

/// Logins by user id, for the fields TheHive fills with a login
/// (`assignee`, `_createdBy`, `owner`): read once per request.
#[derive(Debug, Clone, Default)]
pub struct Names(pub HashMap<Uuid, String>);

impl Names {
    /// The logins of the caller's acting organisation.
    pub async fn of(app: &App, caller: &Caller) -> HiveResult<Self> {
        Ok(Self(firebreak_app::service::user_names(app, caller).await?))
    }

    pub fn login(&self, id: Option<Uuid>) -> Option<&str> {
        id.and_then(|id| self.0.get(&id)).map(String::as_str)
    }
}

/// A date TheHive sends (epoch milliseconds).
pub fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
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

pub fn severity_from_number(n: i64) -> Option<Severity> {
    match n {
        1 => Some(Severity::Low),
        2 => Some(Severity::Medium),
        3 => Some(Severity::High),
        4 => Some(Severity::Critical),
        _ => None,
    }
}

pub fn tlp_from_number(n: i64) -> Option<Tlp> {
    match n {
        0 => Some(Tlp::Clear),
        1 => Some(Tlp::Green),
        2 => Some(Tlp::Amber),
        3 => Some(Tlp::Red),
        4 => Some(Tlp::AmberStrict),
        _ => None,
    }
}

pub fn pap_from_number(n: i64) -> Option<Pap> {
    match n {
        0 => Some(Pap::Clear),
        1 => Some(Pap::Green),
        2 => Some(Pap::Amber),
        3 => Some(Pap::Red),
        _ => None,
    }
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

/// An id in a path: one that is not Firebreak's names an object that does
/// not exist.
pub fn path_id(raw: &str, noun: &str) -> HiveResult<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| super::error::HiveError::not_found(format!("{noun} {raw} not found")))
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

/// TheHive's label of a severity number (1 low … 4 critical).
pub fn severity_label(n: u8) -> &'static str {
    ["LOW", "MEDIUM", "HIGH", "CRITICAL"].get(usize::from(n).saturating_sub(1)).copied().unwrap_or("MEDIUM")
}

/// TheHive's label of a TLP or PAP number (0 white … 4 amber+strict).
pub fn colour_label(n: u8) -> &'static str {
    ["WHITE", "GREEN", "AMBER", "RED", "AMBER+STRICT"].get(usize::from(n)).copied().unwrap_or("AMBER+STRICT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_both_ways() {
        for s in [Severity::Low, Severity::Medium, Severity::High, Severity::Critical] {
            assert_eq!(severity_from_number(i64::from(severity_number(s))), Some(s));
        }
        for t in [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::Red, Tlp::AmberStrict] {
            assert_eq!(tlp_from_number(i64::from(tlp_number(t))), Some(t));
        }
        for p in [Pap::Clear, Pap::Green, Pap::Amber, Pap::Red] {
            assert_eq!(pap_from_number(i64::from(pap_number(p))), Some(p));
        }
        let t = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        assert_eq!(from_millis(millis(t)), Some(t));
    }
}
