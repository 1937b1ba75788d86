//! Detection: an organisation's Sigma rule library (imported, checked,
//! versioned, wrapped as use cases) and the matching of events against its
//! enabled rules, whose matches become alerts through the intake path.
//!
//! One file per topic: the library (`library`), the compiled rules and the
//! matching of events (`matcher`), tuning exceptions (`exceptions`), rule
//! quality (`quality`), threat profiles (`profiles`), ATT&CK coverage and its
//! daily record (`coverage`), rule tests (`rule_tests`) and event sightings
//! (`sightings`).

mod coverage;
mod exceptions;
mod library;
mod matcher;
mod profiles;
mod quality;
mod rule_tests;
mod sightings;

pub(crate) use coverage::technique_counts;
pub use coverage::{CoverageDay, coverage, profile_backlog, profile_backlog_of, record_coverage};
pub use exceptions::{add_exception, delete_exception, exceptions, preview_exception};
pub use firebreak_store::RuleOutcome;
pub use library::{ZipImportParams, by_sigma_id, get, import, import_as, import_zip, list, matching, patch, revisions};
pub(crate) use matcher::compiled;
pub use matcher::{Detectors, SharedCorrelator, match_events};
pub use profiles::{create_profile, delete_profile, get_profile, profiles};
pub use quality::{quality, quality_of, rule_days};
pub use rule_tests::{add_test, add_test_as, run_tests, run_tests_as, tests, tests_as};
pub use sightings::{event_settings, event_sightings, get_event_settings, set_event_settings};
