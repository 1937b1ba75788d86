//! Adapters from the alert formats security tools already emit: Elastic
//! Security (ECS) alert documents, OCSF findings, Wazuh alerts and Suricata
//! EVE records, each mapped onto the native alert as JSON so that every
//! format goes through the one set of intake checks.

mod ecs;
mod fields;
mod ocsf;
mod suricata;
mod wazuh;
mod windows;

pub use fields::{attack_tag, severity_word};
pub use windows::event_observables;

use serde_json::Value;

/// A format `POST /api/v1/intake/{format}` and `firebreak ingest` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Native,
    Ecs,
    Ocsf,
    Wazuh,
    Suricata,
}

impl Format {
    pub const ALL: &'static [Format] = &[Format::Native, Format::Ecs, Format::Ocsf, Format::Wazuh, Format::Suricata];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Ecs => "ecs",
            Format::Ocsf => "ocsf",
            Format::Wazuh => "wazuh",
            Format::Suricata => "suricata",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL.iter().copied().find(|f| f.as_str() == s.trim().to_lowercase()).ok_or_else(|| {
            let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format {s:?} (known: {})", known.join(", "))
        })
    }
}

/// What one event of a format becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A native alert as JSON, ready for intake's checks.
    Alert(Value),
    /// Not an alert of this format (a Suricata flow record, say), and why.
    Skip(String),
}

/// The field of the source format at fault (a dotted path such as
/// `rule.level`, or `.` for the event as a whole), and why, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct MapError {
    pub field: String,
    pub reason: String,
}

impl MapError {
    fn new(field: &str, reason: impl Into<String>) -> MapError {
        MapError { field: field.to_owned(), reason: reason.into() }
    }
}

/// Maps one event of `format` onto the native alert; the event itself is
/// kept as the alert's `raw`.
pub fn map(format: Format, event: Value) -> Result<Mapped, MapError> {
    if format == Format::Native {
        return Ok(Mapped::Alert(event));
    }
    if !event.is_object() {
        return Err(MapError::new(".", format!("a {} event must be a JSON object", format.as_str())));
    }
    match format {
        Format::Native => Ok(Mapped::Alert(event)),
        Format::Ecs => ecs::map(event),
        Format::Ocsf => ocsf::map(event),
        Format::Wazuh => wazuh::map(event),
        Format::Suricata => suricata::map(event),
    }
}

/// The observables an event of `format` yields, read as its alert reads
/// them, whether or not the event is an alert: a Suricata TLS record has the
/// JA3 hash an alert on its flow carries. The native format lists its own.
pub fn observables(format: Format, event: &Value) -> Vec<(crate::observable::ObservableKind, String)> {
    let doc = match (format, event.get("_source")) {
        (Format::Ecs, Some(source)) if source.is_object() => source,
        _ => event,
    };
    match format {
        Format::Native => Vec::new(),
        Format::Ecs => ecs::observables(doc).into_pairs(),
        Format::Ocsf => ocsf::observables(doc).into_pairs(),
        Format::Wazuh => wazuh::observables(doc).into_pairs(),
        Format::Suricata => suricata::observables(doc).into_pairs(),
    }
}
