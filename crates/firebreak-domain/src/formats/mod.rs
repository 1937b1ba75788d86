//! Adapters from the alert formats security tools already emit.

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
        Format::ALL.iter().copied().find(|f| f.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format {s:?} (known: {})", known.join(", "))
        })
    }
}

pub enum Mapped {
    Alert(serde_json::Value),
    Skip(String),
}

pub struct MapError {
    pub field: String,
    pub reason: String,
}

pub fn map(_format: Format, event: serde_json::Value) -> Result<Mapped, MapError> {
    Ok(Mapped::Alert(event))
}
