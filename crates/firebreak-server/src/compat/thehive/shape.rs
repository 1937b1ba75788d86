//! What TheHive's entities share: the header (`_id`, `_type`, `_createdBy`,
//! `_createdAt`, `_updatedAt` in epoch milliseconds), severities 1–4, TLP 0–4
//! and PAP 0–3, mapped onto Firebreak's values both ways.

use firebreak_types::{Pap, Severity, Tlp};
use time::OffsetDateTime;
use uuid::Uuid;

use super::error::HiveResult;

// The shapes and numbers are the application's, which a webhook in
// TheHive's format also writes with.
pub use firebreak_app::thehive::shape::{
    Names, colour_label, custom_fields_out, data_type, header, millis, pap_number, severity_label, severity_number,
    tlp_number,
};

/// A date TheHive sends (epoch milliseconds).
pub fn from_millis(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
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

/// An id in a path: one that is not Firebreak's names an object that does
/// not exist.
pub fn path_id(raw: &str, noun: &str) -> HiveResult<Uuid> {
    Uuid::parse_str(raw.trim()).map_err(|_| super::error::HiveError::not_found(format!("{noun} {raw} not found")))
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
