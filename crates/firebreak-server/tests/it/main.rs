//! The server's integration tests: the real server on port 0, on SQLite in a
//! fresh folder, or on a fresh PostgreSQL schema when FIREBREAK_TEST_PG_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alerts;
mod api_keys;
mod assets;
mod audit;
mod auth;
mod browser;
mod cases;
mod conventions;
mod detect;
mod helpers;
mod incident;
mod live;
mod metrics;
mod ops;
mod permissions;
mod shares;
mod tenancy;
mod thehive;
mod web;
mod work;
