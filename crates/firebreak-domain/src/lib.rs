//! Firebreak's model and its rules.
//!
//! Invariants: this crate does no I/O and reads no clock. Time arrives as an
//! argument (`now`), identifiers and random secrets are made by the caller.

pub mod attack;
pub mod audit;
pub mod case;
pub mod clock;
pub mod extract;
pub mod formats;
pub mod grouping;
pub mod intake;
pub mod inventory;
pub mod metrics;
pub mod observable;
pub mod permission;
pub mod priority;
pub mod sla;
pub mod tenancy;
pub mod triage;
pub mod validate;

pub use firebreak_types::{OrgKind, Role};
