//! The `firebreak` binary as a new user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod fuzz;

const BIN: &str = env!("CARGO_BIN_EXE_firebreak");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    port: u16,
}

impl Server {
    /// Starts `firebreak serve` in `dir` and waits for its URL line.
    fn start(dir: &Path, envs: &[(&str, &str)]) -> (Server, Vec<String>) {
        let port = free_port();
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--log", "warn"])
            .current_dir(dir)
            .env_remove("FIREBREAK_ADMIN_PASSWORD")
            .env_remove("FIREBREAK_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut printed = Vec::new();
        loop {
            let line = rx.recv_timeout(Duration::from_secs(30)).expect("the server printed its URL");
            let done = line.starts_with("Firebreak is running at");
            printed.push(line);
            if done {
                break;
            }
        }
        // The password lines follow the URL line at once, when there are any.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
            printed.push(line);
        }
        (Server { child, lines: rx, port }, printed)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGTERM, then wait for a clean exit.
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        let _ = &self.lines;
        self.child.wait().unwrap()
    }
}

#[tokio::test]
async fn first_start_prints_a_one_time_password_and_later_starts_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let (server, printed) = Server::start(dir.path(), &[]);
    assert!(printed[0].starts_with(&format!("Firebreak is running at http://127.0.0.1:{}/", server.port)));
    assert!(printed.iter().any(|l| l.contains("one-time password")), "{printed:?}");
    let password = printed.last().unwrap().trim().to_owned();
    assert!(password.len() >= 20, "{printed:?}");

    let data = dir.path().join("firebreak-data");
    assert!(data.join("firebreak.db").is_file());
    assert!(data.join("firebreak.toml").is_file());
    assert!(data.join("files").is_dir());

    let http = reqwest::Client::new();
    let me = http.get(server.url("/api/v1/me")).basic_auth("admin", Some(&password)).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let ready: serde_json::Value = http.get(server.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], "sqlite");
    assert!(server.stop().success(), "SIGTERM ends the server cleanly");

    // WAL mode is on the database file.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", data.join("firebreak.db").display())).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&pool).await.unwrap();
    assert_eq!(mode, "wal");
    pool.close().await;

    let (server, printed) = Server::start(dir.path(), &[]);
    assert!(!printed.iter().any(|l| l.contains("password")), "no password on a later start: {printed:?}");
    assert!(printed.iter().any(|l| l.starts_with("Data folder: ")), "the data folder is said: {printed:?}");
    let me = http.get(server.url("/api/v1/me")).basic_auth("admin", Some(&password)).send().await.unwrap();
    assert_eq!(me.status(), 200, "the first password still works");
    assert!(server.stop().success());
}

#[tokio::test]
async fn the_admin_password_can_be_given_and_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, printed) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")]);
    assert!(!printed.join("\n").contains("a given passphrase"));
    let me = reqwest::Client::new()
        .get(server.url("/api/v1/me"))
        .basic_auth("admin", Some("a given passphrase"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    server.stop();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "from a file, twelve+\n").unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--admin-password-file"])
        .arg(&file)
        .current_dir(dir.path())
        .env_remove("FIREBREAK_ADMIN_PASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let mut status = None;
    for _ in 0..100 {
        if let Ok(r) = http
            .get(format!("http://127.0.0.1:{port}/api/v1/me"))
            .basic_auth("admin", Some("from a file, twelve+"))
            .send()
            .await
        {
            status = Some(r.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status.map(|s| s.as_u16()), Some(200));
}

#[test]
fn an_unknown_configuration_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("firebreak.toml");
    std::fs::write(&conf, "listen = \"127.0.0.1:0\"\nmax_body_byte = 5\n").unwrap();
    let out = Command::new(BIN).args(["serve", "--config"]).arg(&conf).current_dir(dir.path()).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("max_body_byte"), "{err}");
}

fn verify(dir: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["audit", "verify", "--data-dir"])
        .arg(dir.join("firebreak-data"))
        .env_remove("FIREBREAK_DATABASE_URL")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn commands_on_a_servers_data_refuse_a_missing_data_folder_and_make_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("assets.csv"), "kind,name\n").unwrap();
    for args in [&["audit", "verify"][..], &["assets", "import", "assets.csv"], &["rules", "test"]] {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .env_remove("FIREBREAK_DATABASE_URL")
            .env_remove("FIREBREAK_DATA_DIR")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(err.contains("no data folder at") && err.contains("firebreak-data"), "{args:?}: {err}");
        assert!(!dir.path().join("firebreak-data").exists(), "{args:?} made an empty data folder");
    }
}

#[tokio::test]
async fn audit_verify_finds_a_rewritten_entry_and_a_newer_schema_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")]);
    server.stop();
    let (ok, out) = verify(dir.path());
    assert!(ok, "{out}");
    assert!(out.contains("intact"), "{out}");

    let db = dir.path().join("firebreak-data/firebreak.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = 1").execute(&pool).await.unwrap();
    let (ok, out) = verify(dir.path());
    assert!(!ok);
    assert!(out.contains("BROKEN") && out.contains("at entry 1"), "{out}");

    // A database migrated by a newer binary.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99991231000000, 'from the future', TRUE, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this binary"), "{err}");
}

#[test]
fn help_lists_the_commands_and_options() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["serve", "audit", "openapi"] {
        assert!(text.contains(cmd), "{text}");
    }
    let out = Command::new(BIN).args(["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for opt in ["--listen", "--data-dir", "--database-url", "--admin-password-file", "--config", "--max-body-bytes"] {
        assert!(text.contains(opt), "{opt} missing: {text}");
    }
}

#[tokio::test]
async fn assets_import_reports_bad_lines_and_export_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")]);
    server.stop();
    let csv = "kind,name,address,owner,business_unit,criticality,location,contacts,tags,description\n\
               host,FS01,10.0.0.5,IT Ops,Finance,critical,Paris DC,,fileserver;windows,Finance shares\n\
               ip_range,Office LAN,10.1.0.0/16,Network team,IT,medium,Paris,,,\n\
               host,broken-line,10.0.0.9\n\
               router,R1,,,,,,,,\n";
    std::fs::write(dir.path().join("assets.csv"), csv).unwrap();
    let out = Command::new(BIN)
        .args(["assets", "import", "assets.csv"])
        .current_dir(dir.path())
        .env_remove("FIREBREAK_DATABASE_URL")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(2), "bad lines make a non-zero exit: {text}");
    assert!(text.contains("line 4: has 3 columns; the header has 10"), "{text}");
    assert!(text.contains("line 5: kind must be one of host"), "{text}");
    assert!(text.contains("2 created, 0 updated, 2 rejected"), "{text}");

    let out = Command::new(BIN)
        .args(["assets", "export"])
        .current_dir(dir.path())
        .env_remove("FIREBREAK_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success());
    let exported = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(exported.starts_with("kind,name,address"), "{exported}");
    assert!(
        exported.contains("host,FS01,10.0.0.5,IT Ops,Finance,critical,Paris DC,,fileserver;windows,Finance shares")
    );
    // Importing the export again only updates.
    std::fs::write(dir.path().join("again.csv"), exported).unwrap();
    let out = Command::new(BIN)
        .args(["assets", "import", "again.csv"])
        .current_dir(dir.path())
        .env_remove("FIREBREAK_DATABASE_URL")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 created, 2 updated, 0 rejected"));
}

/// Sends batches of alerts until the server dies; returns the batches it
/// acknowledged with a 2xx.
async fn send_until_killed(base: String, key: String, first_batch: usize) -> Vec<usize> {
    let http = reqwest::Client::new();
    let mut acked = Vec::new();
    for k in first_batch.. {
        let body: String = (0..200)
            .map(|i| {
                format!(
                    "{{\"source\":\"crash\",\"source_ref\":\"{k}-{i}\",\"title\":\"Alert {k}-{i}\",\"severity\":\"low\",\
                     \"observables\":[{{\"type\":\"ip\",\"value\":\"10.0.{}.{}\"}}]}}\n",
                    k % 250,
                    i
                )
            })
            .collect();
        let sent = http
            .post(format!("{base}/api/v1/alerts/_bulk"))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => acked.push(k),
            _ => break,
        }
    }
    acked
}

#[tokio::test]
async fn alerts_acknowledged_before_a_kill_survive_it_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")];
    let (server, _) = Server::start(dir.path(), &env);
    let key: serde_json::Value = reqwest::Client::new()
        .post(server.url("/api/v1/api-keys"))
        .basic_auth("admin", Some("a given passphrase"))
        .json(&serde_json::json!({ "name": "crash", "role": "analyst_l2" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["secret"].as_str().unwrap().to_owned();
    let mut server = Some(server);
    let mut acked = Vec::new();
    let mut next = 0;
    // Three kills at moments that differ from run to run.
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    for round in 0..3u64 {
        let s = server.take().unwrap();
        let sender = tokio::spawn(send_until_killed(s.url(""), key.clone(), next));
        let wait = 150 + (seed.wrapping_mul(round + 7) % 500);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let mut s = s;
        s.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        s.child.wait().unwrap();
        let got = sender.await.unwrap();
        next = got.last().map_or(next, |k| k + 1) + 1_000; // later batches never reuse a number
        acked.extend(got);
        let (restarted, _) = Server::start(dir.path(), &env);
        server = Some(restarted);
    }
    let server = server.unwrap();
    assert!(!acked.is_empty(), "some batches were acknowledged before the kills");
    eprintln!("acknowledged batches across the kills: {}", acked.len());

    // Read everything back.
    let http = reqwest::Client::new();
    let mut refs = std::collections::HashMap::<String, i64>::new();
    let mut offset = 0;
    loop {
        let page: serde_json::Value = http
            .get(server.url(&format!("/api/v1/alerts?limit=1000&offset={offset}&sort=first_seen")))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        for a in items {
            *refs.entry(a["source_ref"].as_str().unwrap().to_owned()).or_default() +=
                a["occurrences"].as_i64().unwrap();
        }
        if items.len() < 1000 {
            break;
        }
        offset += 1000;
    }
    for k in &acked {
        for i in 0..200 {
            assert_eq!(refs.get(&format!("{k}-{i}")), Some(&1), "acknowledged alert {k}-{i} is there exactly once");
        }
    }
    // No batch is half visible: each batch number has all of its alerts or none.
    let mut per_batch = std::collections::HashMap::<String, usize>::new();
    for r in refs.keys() {
        *per_batch.entry(r.split('-').next().unwrap().to_owned()).or_default() += 1;
    }
    assert!(per_batch.values().all(|n| *n == 200), "a batch is half visible: {per_batch:?}");
    server.stop();
}

#[tokio::test]
async fn ingest_maps_a_file_reports_bad_lines_and_resumes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")]);
    server.stop();
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../firebreak-domain/tests/fixtures/intake/wazuh-alerts.json"
    ))
    .unwrap();
    let lines: Vec<&str> = fixture.lines().filter(|l| !l.trim().is_empty()).collect();
    let (head, tail) = lines.split_at(lines.len() / 2);
    let file = dir.path().join("alerts.json");
    std::fs::write(&file, format!("{}\n{{\"id\": \"broken\n", head.join("\n"))).unwrap();
    let ingest = |extra: &[&str]| {
        let out = Command::new(BIN)
            .args(["ingest", "--format", "wazuh"])
            .args(extra)
            .arg("alerts.json")
            .current_dir(dir.path())
            .env_remove("FIREBREAK_DATABASE_URL")
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (status, text) = ingest(&[]);
    assert_eq!(status, Some(2), "a bad line makes a non-zero exit: {text}");
    assert!(text.contains(&format!("alerts.json:{}: rejected", head.len() + 1)), "{text}");
    assert!(text.contains(&format!("{} created, 0 duplicates, 1 rejected", head.len())), "{text}");

    // The log grows: a re-run starts where the last one stopped.
    let mut more = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
    std::io::Write::write_all(&mut more, format!("{}\n", tail.join("\n")).as_bytes()).unwrap();
    let (status, text) = ingest(&[]);
    assert_eq!(status, Some(0), "{text}");
    assert!(text.contains("resuming at byte"), "{text}");
    assert!(text.contains(&format!("{} created, 0 duplicates, 0 rejected", tail.len())), "{text}");

    // From the start again: everything is a duplicate, nothing is created.
    let (_, text) = ingest(&["--from-start"]);
    assert!(text.contains(&format!("0 created, {} duplicates, 1 rejected", lines.len())), "{text}");
    let out = Command::new(BIN)
        .args(["ingest", "--format", "nonsense", "alerts.json"])
        .current_dir(dir.path())
        .env_remove("FIREBREAK_DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format"));
}

const WHOAMI_RULE: &str = "title: Whoami Execution
id: 3c2a6a37-5b0a-4f7e-9a39-2b2f5b6a0a01
level: high
tags: [attack.discovery, attack.t1033]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
";

#[test]
fn hunt_finds_matches_in_json_logs_skips_bad_lines_and_says_so_in_its_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("whoami.yml"), WHOAMI_RULE).unwrap();
    std::fs::write(rules.join("bad.yml"), WHOAMI_RULE.replace("condition: selection", "condition: nothing")).unwrap();
    let event = |image: &str| {
        format!(
            r##"{{"Event":{{"System":{{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws-9","TimeCreated":{{"#attributes":{{"SystemTime":"2026-11-20T10:00:00Z"}}}}}},"EventData":{{"Image":"{image}"}}}}}}"##
        )
    };
    let log = dir.path().join("events.ndjson");
    std::fs::write(&log, format!("{}\n{{broken\n{}\n", event("C:\\\\w\\\\whoami.exe"), event("C:\\\\w\\\\calc.exe")))
        .unwrap();
    let out = Command::new(BIN)
        .args(["hunt", "--rules"])
        .arg(&rules)
        .args(["--output", "ndjson"])
        .arg(&log)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hits: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(hits.len(), 1, "{stdout}");
    assert_eq!(hits[0]["rule_title"], "Whoami Execution");
    assert_eq!(hits[0]["computer"], "ws-9");
    assert_eq!(hits[0]["record"], 1);
    assert!(stderr.contains("bad.yml"), "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
    // Nothing to find: exit 0. A file that is not there: exit 2.
    std::fs::write(&log, format!("{}\n", event("C:\\\\w\\\\calc.exe"))).unwrap();
    let out = Command::new(BIN).args(["hunt", "-r"]).arg(&rules).arg(&log).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = Command::new(BIN).args(["hunt", "-r"]).arg(&rules).arg(dir.path().join("missing.evtx")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A damaged EVTX file is reported, never a crash.
    let evtx = dir.path().join("damaged.evtx");
    let mut bytes = b"ElfFile\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xAB, 5000));
    std::fs::write(&evtx, bytes).unwrap();
    let out = Command::new(BIN).args(["hunt", "-r"]).arg(&rules).arg(&evtx).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("damaged.evtx"));
}

#[test]
fn hunt_applies_a_sigma_pipeline_to_logs_named_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("whoami.yml");
    std::fs::write(&rules, WHOAMI_RULE).unwrap();
    // An EDR's own field names: the rule's `Image` is its `proc_path`.
    let log = dir.path().join("edr.ndjson");
    std::fs::write(&log, "{\"proc_path\":\"C:\\\\w\\\\whoami.exe\",\"hostname\":\"ws-3\"}\n").unwrap();
    let pipeline = dir.path().join("edr.yml");
    std::fs::write(
        &pipeline,
        "name: edr fields\npriority: 10\ntransformations:\n  - type: field_name_mapping\n    mapping:\n      Image: proc_path\n",
    )
    .unwrap();
    let run = |with_pipeline: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args(["hunt", "--rules"]).arg(&rules).args(["--output", "ndjson"]);
        if with_pipeline {
            cmd.arg("--pipeline").arg(&pipeline);
        }
        cmd.arg(&log).output().unwrap()
    };
    assert_eq!(run(false).status.code(), Some(0), "without the mapping the rule cannot see the field");
    let out = run(true);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let hit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((hit["rule_title"].as_str(), hit["computer"].as_str()), (Some("Whoami Execution"), Some("ws-3")));
    // A pipeline that does not parse is named, and nothing is hunted.
    std::fs::write(&pipeline, "transformations: 5\n").unwrap();
    let out = run(true);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("edr.yml"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rules_come_from_a_zip_archive_too() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("sigma.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("rules/windows/whoami.yml", opts).unwrap();
    w.write_all(WHOAMI_RULE.as_bytes()).unwrap();
    w.start_file("rules/windows/latin1.yml", opts).unwrap();
    w.write_all(b"title: caf\xe9\n").unwrap();
    w.finish().unwrap();
    let out = Command::new(BIN).args(["rules", "check"]).arg(&archive).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sigma.zip/rules/windows/latin1.yml"), "{stderr}");
    assert!(stderr.contains("not UTF-8"), "{stderr}");
    let log = dir.path().join("events.ndjson");
    std::fs::write(&log, "{\"Image\":\"C:\\\\w\\\\whoami.exe\"}\n").unwrap();
    let out = Command::new(BIN)
        .args(["hunt", "--rules"])
        .arg(&archive)
        .args(["--output", "ndjson"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let hit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hit["rule_title"], "Whoami Execution");
}

/// The Sigma specification's correlation example: failed logons counted per user.
const LOGON_RULES: &str = include_str!("../../../firebreak-detect/tests/fixtures/failed-logons.yml");

#[test]
fn hunt_runs_correlation_rules_across_files_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("logons.yml");
    std::fs::write(&rules, LOGON_RULES).unwrap();
    let logon = |user: &str, at: &str| {
        format!(
            "{{\"EventID\":4625,\"Channel\":\"Security\",\"Computer\":\"dc-1\",\"TargetUserName\":\"{user}\",\"TimeCreated\":\"{at}\"}}\n"
        )
    };
    // Two hosts' logs: alice fails three times within five minutes only
    // when both are read together.
    std::fs::write(
        dir.path().join("a.ndjson"),
        logon("alice", "2026-11-20T10:00:00Z") + &logon("alice", "2026-11-20T10:03:00Z"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.ndjson"),
        logon("bob", "2026-11-20T10:01:00Z") + &logon("alice", "2026-11-20T10:02:00Z"),
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["hunt", "--rules"])
        .arg(&rules)
        .args(["--output", "ndjson"])
        .arg(dir.path().join("a.ndjson"))
        .arg(dir.path().join("b.ndjson"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let hits: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let corr: Vec<_> = hits.iter().filter(|h| h["rule_title"] == "Many failed logons for one user").collect();
    assert_eq!(hits.len(), 5, "four failed logons and one correlation: {hits:?}");
    assert_eq!(corr.len(), 1, "{hits:?}");
    assert_eq!(corr[0]["time"], "2026-11-20T10:03:00Z");
    assert_eq!(corr[0]["event"]["group"]["TargetUserName"], "alice");
    assert_eq!(corr[0]["event"]["value"], 3.0);
    assert_eq!(corr[0]["techniques"], serde_json::json!(["T1110"]));
}

#[tokio::test]
async fn audit_verify_uses_the_key_and_checkpoints_of_the_data_folder_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("firebreak-data");
    let (server, _) = Server::start(dir.path(), &[("FIREBREAK_ADMIN_PASSWORD", "a given passphrase")]);
    assert!(server.stop().success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("audit.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is its owner's alone");
    }
    let checkpoints = std::fs::read_to_string(data.join("audit-checkpoints.jsonl")).unwrap();
    assert_eq!(checkpoints.lines().count(), 1, "one at start, none more at shutdown as nothing moved: {checkpoints}");
    let (ok, out) = verify(dir.path());
    assert!(ok && out.contains("intact") && out.contains("1 signed checkpoints"), "{out}");

    // Restarted: signed by the same key, the checkpoints go on.
    let (server, _) = Server::start(dir.path(), &[]);
    let me = reqwest::Client::new()
        .get(server.url("/api/v1/audit/verify"))
        .basic_auth("admin", Some("a given passphrase"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = me.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert!(server.stop().success());
    let (ok, out) = verify(dir.path());
    assert!(ok, "{out}");

    // Heads from before heads were signed: the first start with checkpoints signs them.
    let db = data.join("firebreak.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("UPDATE audit_heads SET mac = NULL").execute(&pool).await.unwrap();
    let (ok, out) = verify(dir.path());
    assert!(!ok && out.contains("not anchored"), "{out}");
    std::fs::remove_file(data.join("audit-checkpoints.jsonl")).unwrap();
    let (server, _) = Server::start(dir.path(), &[]);
    assert!(server.stop().success());
    let (ok, out) = verify(dir.path());
    assert!(ok, "{out}");

    // The newest entry removed and the head rewound to the one before.
    sqlx::query("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)").execute(&pool).await.unwrap();
    sqlx::query(
        "UPDATE audit_heads SET seq = seq - 1, \
         hash = (SELECT hash FROM audit_log l WHERE l.org_id = audit_heads.org_id AND l.seq = audit_heads.seq - 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (ok, out) = verify(dir.path());
    assert!(!ok, "{out}");
    assert!(out.contains("head mac invalid") && out.contains("behind checkpoint"), "{out}");
}

/// A real exported Security log: its record headers count from 1, its
/// `EventRecordID`s from 67732 (see the fixture's README).
const LSASSY_EVTX: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../firebreak-detect/tests/fixtures/evtx/lsassy-4688-4656-4663.evtx");

const COMSVCS_RULE: &str = "title: Dump through comsvcs
id: 0f5c7d0e-8d7b-4b9e-9f0e-3a1d2c4b5e6f
level: high
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\\rundll32.exe'
        CommandLine|contains: 'MiniDump'
    condition: selection
";

#[test]
fn hunt_names_an_evtx_event_by_its_event_record_id_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("comsvcs.yml");
    std::fs::write(&rules, COMSVCS_RULE).unwrap();
    let run = |format: &str| {
        let out = Command::new(BIN)
            .args(["hunt", "--rules"])
            .arg(&rules)
            .args(["--output", format])
            .arg(LSASSY_EVTX)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    // A 4688 event, found by a process_creation rule: record 14 of the
    // file, EventRecordID 67790 as Event Viewer shows it.
    let hit: serde_json::Value = serde_json::from_str(&run("ndjson")).unwrap();
    assert_eq!((hit["record"].as_u64(), hit["header_record"].as_u64()), (Some(67790), Some(14)));
    assert_eq!(hit["event"]["EventRecordID"], 67790);
    let hits: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!((hits[0]["record"].as_u64(), hits[0]["header_record"].as_u64()), (Some(67790), Some(14)));
    let csv = run("csv");
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().ends_with(",file,record,header_record"), "{csv}");
    assert!(lines.next().unwrap().ends_with(",67790,14"), "{csv}");
    let table = run("table");
    assert!(table.contains("lsassy-4688-4656-4663.evtx:67790 (header record 14)"), "{table}");
    // A JSON log's events are named by their line, with no header number.
    let log = dir.path().join("events.ndjson");
    std::fs::write(
        &log,
        "{\"Channel\":\"Security\",\"EventID\":4688,\"EventRecordID\":5,\"NewProcessName\":\"C:\\\\w\\\\rundll32.exe\",\"CommandLine\":\"rundll32 comsvcs.dll MiniDump\"}\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["hunt", "--rules"])
        .arg(&rules)
        .args(["--output", "ndjson"])
        .arg(&log)
        .output()
        .unwrap();
    let hit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hit["record"], 1);
    assert!(hit.get("header_record").is_none(), "{hit}");
}

#[test]
fn hunt_reads_what_a_cut_evtx_holds_and_names_empty_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("comsvcs.yml");
    std::fs::write(&rules, COMSVCS_RULE).unwrap();
    let bytes = std::fs::read(LSASSY_EVTX).unwrap();
    let cut = dir.path().join("cut.evtx");
    std::fs::write(&cut, &bytes[..4096 + 30_000]).unwrap();
    let out = Command::new(BIN)
        .args(["hunt", "--rules"])
        .arg(&rules)
        .args(["--output", "ndjson"])
        .arg(&cut)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The dump (record 67790) lies before the cut.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let hit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hit["record"], 67790);
    assert!(stderr.contains("cut.evtx: the file is cut short 30000 bytes into chunk 0:"), "{stderr}");
    assert!(stderr.contains("of its 28 records read"), "{stderr}");
    // An empty file is said to be; bytes that are not EVTX are refused by name.
    let empty = dir.path().join("empty.evtx");
    std::fs::write(&empty, b"").unwrap();
    let out = Command::new(BIN).args(["hunt", "--rules"]).arg(&rules).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.evtx: the file is empty"));
    let noise = dir.path().join("noise.evtx");
    std::fs::write(&noise, (0u32..3000).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect::<Vec<u8>>())
        .unwrap();
    let out = Command::new(BIN).args(["hunt", "--rules"]).arg(&rules).arg(&noise).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("noise.evtx: not an EVTX file (no ElfFile header)"), "{stderr}");
    assert!(!stderr.contains("UTF-8"), "{stderr}");
}
