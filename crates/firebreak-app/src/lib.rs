//! Firebreak's application layer: the use cases that the JSON API, the web
//! pages and the command line share. Each checks the caller's permission and
//! organisation, asks the domain what a change means, writes through the
//! store (which audits) and publishes what changed. No HTTP here: the server
//! crate reads requests into these calls and their results into answers.

pub mod alert_attachments;
pub mod alerts;
mod app;
pub mod assets;
pub mod auth;
pub mod basic_cache;
pub mod bootstrap;
pub mod case_notes;
pub mod case_settings;
pub mod cases;
pub mod checkpoints;
pub mod clock;
pub mod dashboards;
pub mod detection;
pub mod error;
pub mod escalations;
pub mod events;
pub mod evidence;
pub mod files;
pub mod health;
pub mod hunts;
pub mod incident;
pub mod intake;
pub mod items;
pub mod jobs;
pub mod live;
pub mod metrics;
pub mod notifications;
pub mod observables;
pub mod query;
pub mod report;
pub mod secrets;
pub mod service;
pub mod shares;
pub mod sla;
pub mod stories;
pub mod tasks;
pub mod teams;
pub mod templates;
pub mod thehive;
pub mod throttle;
pub mod timeline;
pub mod webhooks;
pub mod work;

pub use app::{App, AppSettings};
pub use error::{AppError, AppResult};
