//! Firebreak's detection engine. Sigma rules are read and checked
//! ([`rules`]), compiled into a matcher ([`engine`]) that evaluates events as
//! Sigma rules name their fields ([`event`]), and log files are hunted
//! offline ([`hunt`]).
//!
//! Parsing and evaluation are `rsigma`'s (a full Sigma v2 parser and
//! evaluator, with filters and correlations); EVTX reading is the `evtx`
//! crate's. What is Firebreak's own is the mapping of Windows events to the
//! log sources rules are written for, so that each event meets only the
//! rules of its own source.

pub mod audit;
pub mod correlate;
pub mod engine;
pub mod event;
pub mod hunt;
pub mod nesting;
pub mod pipeline;
pub mod prefilter;
pub mod regression;
pub mod rules;
pub mod spec;
pub mod tuning;

pub use engine::Detector;
pub use rsigma_parser;
pub use rules::{CheckedRule, Library, Problem, RuleKind, RuleMeta};
