//! TheHive's API under `/compat/thehive`, driven by TheHive's own clients:
//! thehive4py 2.x (TheHive 5) and 1.x (TheHive 4), from PyPI, in the virtual
//! environments `.ci/run` makes. Their Python interpreters are named by
//! `FIREBREAK_TEST_THEHIVE4PY` and `FIREBREAK_TEST_THEHIVE4PY_1`; a test whose
//! client is not there says so and passes. Scripts are in `py/`; each prints
//! one JSON document on its last line of output for the test to check.

mod alerts;
mod cases;
mod identity;
mod legacy;
mod legacy_cases;
mod notifications;
mod parts;
mod query;
mod shares;

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::helpers::{ADMIN_PASSWORD, TestApp};

/// Which thehive4py a script is written for.
#[derive(Clone, Copy)]
pub enum Client {
    /// thehive4py 2.x, for TheHive 5.
    V2,
    /// thehive4py 1.x, for TheHive 4.
    V1,
}

impl Client {
    fn python(self) -> Option<PathBuf> {
        let var = match self {
            Client::V2 => "FIREBREAK_TEST_THEHIVE4PY",
            Client::V1 => "FIREBREAK_TEST_THEHIVE4PY_1",
        };
        match std::env::var_os(var) {
            Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => {
                eprintln!("skipped: set {var} to the Python of a virtual environment with thehive4py");
                None
            }
        }
    }
}

/// The facade's base URL, as a client is given it.
pub fn base(app: &TestApp) -> String {
    format!("{}/compat/thehive", app.base_url)
}

/// Runs `py/<script>` with the client's Python against `app`, signed in as
/// the platform admin (`FIREBREAK_USER`, `FIREBREAK_PASSWORD`), with `env`
/// added (an API key, ids made beforehand). Returns the JSON document the
/// script printed last, or `None` when the client is not installed. A script
/// that fails fails the test with its output. The script blocks the calling
/// thread, so a test that runs one needs a multi-thread runtime
/// (`#[tokio::test(flavor = "multi_thread")]`) for the server to answer.
pub fn run(client: Client, app: &TestApp, script: &str, env: &[(&str, &str)]) -> Option<Value> {
    let python = client.python()?;
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/thehive/py")).join(script);
    let mut cmd = Command::new(python);
    cmd.arg(&path)
        .env("FIREBREAK_URL", base(app))
        .env("FIREBREAK_USER", "admin")
        .env("FIREBREAK_PASSWORD", ADMIN_PASSWORD)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the client's Python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    Some(serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} did not end with JSON ({e}):\n{stdout}")))
}

#[tokio::test]
async fn an_unknown_path_is_answered_in_thehive_s_error_shape() {
    let app = crate::helpers::spawn_app().await;
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/nothing-here", base(&app)))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "NotFoundError", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");

    // The clients' environments are there and import their package.
    for client in [Client::V2, Client::V1] {
        if let Some(out) = run(client, &app, "smoke.py", &[]) {
            assert!(out["thehive4py"].as_str().is_some(), "{out}");
        }
    }
}
