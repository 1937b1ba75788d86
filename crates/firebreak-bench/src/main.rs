//! `cargo run --release -p firebreak-bench -- cases` seeds a database with
//! N cases and M observables (in bulk, straight into the tables: the seeding
//! is not what is measured), starts the server on it, and measures through
//! the HTTP API:
//! - the case page: the case with its SLA clocks, then its observables with
//!   their sightings (the two calls the page makes for its heaviest parts);
//! - the sightings look-up of a value across all cases.
//!
//! It prints p50, p90, p99 and the mean of each, with the machine's core count.
#![allow(clippy::print_stdout)]

mod basic_auth;
// The corpus test's scoring, shared as it is: a fixture that cannot be read
// is a broken corpus, and stops the run with its file and line.
#[allow(clippy::expect_used, clippy::print_stdout, clippy::panic)]
#[path = "../../firebreak-domain/tests/corpus/score.rs"]
mod corpus_score;
mod hive_intake;
mod hive_query;
mod hunt;
mod metrics;
mod pages;
mod queue;
mod stories;

/// mimalloc: the hunt and the intake allocate and free many small values
/// per event from every thread, where it is markedly faster than the
/// system allocator. It also stands in for the C library's `malloc`
/// (the `override` feature), so that SQLite's allocations, on the alert
/// writer's thread, take no allocator lock either.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use firebreak_app::bootstrap::{Bootstrap, ensure_root};
use firebreak_app::clock::SystemClock;
use firebreak_domain::clock::to_millis;
use firebreak_server::{AppState, ServerSettings};
use firebreak_store::{OpenOptions, SqlStore, Store};
use firebreak_types::{Observable, Tlp};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::AnyPool;
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "firebreak-bench", about = "Firebreak's benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Authentication per request over HTTP: Basic verified with Argon2,
    /// Basic kept verified, and an API key
    BasicAuth {
        /// Users whose first request verifies their password
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Requests for kept Basic credentials, and for the key
        #[arg(long, default_value_t = 5_000)]
        requests: usize,
        /// Requests in flight at once
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Case page and sightings latency over a large case base
    Cases {
        /// Cases to store
        #[arg(long, default_value_t = 100_000)]
        cases: u64,
        /// Observables to store, spread over the cases
        #[arg(long, default_value_t = 1_000_000)]
        observables: u64,
        /// Distinct observable values (fewer values, more sightings each)
        #[arg(long, default_value_t = 200_000)]
        values: u64,
        /// Requests to time, per measurement
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Observable extraction from alert text, in MB/s
    Extract {
        /// Alerts' worth of text to scan
        #[arg(long, default_value_t = 20_000)]
        alerts: u64,
    },
    /// Precision and recall of the observables taken from the labelled
    /// corpus of real events, per format
    ExtractionQuality,
    /// Sigma rules over EVTX files, against a naive matcher
    Hunt {
        /// A SigmaHQ checkout (rules and regression_data)
        #[arg(long, env = "FIREBREAK_SIGMA_DIR", default_value = "../shared/sigma")]
        sigma: std::path::PathBuf,
        /// Events to hunt (the sample files are read again until this many)
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Events for the naive matcher
        #[arg(long, default_value_t = 20_000)]
        naive_events: u64,
    },
    /// Start-up of a hunt, as `firebreak hunt` starts: every Windows rule
    /// read and checked, then one log hunted until its first match
    HuntStartup {
        /// A SigmaHQ checkout (rules and regression_data)
        #[arg(long, env = "FIREBREAK_SIGMA_DIR", default_value = "../shared/sigma")]
        sigma: std::path::PathBuf,
        /// The log to hunt (default: every regression EVTX file in turn)
        #[arg(long)]
        file: Vec<std::path::PathBuf>,
        /// Start-ups to time per log
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Events matched by a running server's enabled rules, over HTTP
    Events {
        /// A SigmaHQ checkout (rules and regression_data)
        #[arg(long, env = "FIREBREAK_SIGMA_DIR", default_value = "../shared/sigma")]
        sigma: std::path::PathBuf,
        /// Events to send
        #[arg(long, default_value_t = 200_000)]
        events: u64,
        /// Events per request
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent senders
        #[arg(long, default_value_t = 4)]
        senders: usize,
    },
    /// Alert intake over HTTP: bulk batches against one alert per request
    Ingest {
        /// Alerts to send in bulk
        #[arg(long, default_value_t = 1_000_000)]
        alerts: u64,
        /// Alerts per bulk request
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent senders
        #[arg(long, default_value_t = 4)]
        senders: usize,
        /// Alerts sent one per request, for the baseline
        #[arg(long, default_value_t = 5_000)]
        single: u64,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The alert queue page and list over many alerts: the first page and
    /// deep ones (keyset), time to first byte and to the whole answer
    Queue {
        /// Alerts to send
        #[arg(long, default_value_t = 100_000)]
        alerts: u64,
        /// Requests to time, per measurement
        #[arg(long, default_value_t = 100)]
        requests: usize,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
    /// The pages analysts open most over a large store (queue, a deep queue
    /// page, a case, the board, a dashboard, the rules list): time to first
    /// byte and to the whole page
    Pages {
        /// Alerts to store, over the last 365 days
        #[arg(long, default_value_t = 100_000)]
        alerts: u64,
        /// Cases to store, over the same year
        #[arg(long, default_value_t = 10_000)]
        cases: u64,
        /// Requests to time, per page
        #[arg(long, default_value_t = 20)]
        requests: usize,
        /// SigmaHQ's repository (its Windows process-creation rules fill the rules list)
        #[arg(long, env = "FIREBREAK_SIGMA_DIR", default_value = "../shared/sigma")]
        sigma: std::path::PathBuf,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
    /// TheHive's query API (`listAlert` with a filter, a sort and a page of
    /// 15) over many alerts loaded by batch intake, and the naive way beside it
    #[command(name = "thehive-query")]
    TheHiveQuery {
        /// Alerts to load
        #[arg(long, default_value_t = 1_000_000)]
        alerts: u64,
        /// Queries to time
        #[arg(long, default_value_t = 500)]
        requests: usize,
        /// Queries to time the naive way (0: not at all)
        #[arg(long, default_value_t = 20)]
        naive: usize,
    },
    /// Alerts through TheHive's alert API one per request against the native
    /// bulk API, cases through TheHive's case API, and whole lists read as
    /// TheHive 4's users time them (12,480 alerts, 12,580 cases)
    #[command(name = "thehive-intake")]
    TheHiveIntake {
        /// Alerts sent one per request to /compat/thehive/api/v1/alert
        #[arg(long, default_value_t = 5_000)]
        single: u64,
        /// Alerts sent in batches to /api/v1/alerts/_bulk
        #[arg(long, default_value_t = 100_000)]
        bulk: u64,
        /// Alerts per bulk request
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent senders
        #[arg(long, default_value_t = 4)]
        senders: usize,
        /// Cases opened through /compat/thehive/api/v1/case, then searched whole
        #[arg(long, default_value_t = 12_580)]
        cases: u64,
        /// Alerts listed whole
        #[arg(long, default_value_t = 12_480)]
        list: u64,
        /// Runs of each whole list (the median is printed)
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Every dashboard panel's query time over a year of alerts and cases
    Metrics {
        /// Alerts to store, over the last 365 days
        #[arg(long, default_value_t = 1_000_000)]
        alerts: u64,
        /// Cases to store, over the same year
        #[arg(long, default_value_t = 100_000)]
        cases: u64,
        /// A PostgreSQL URL to run on (in a fresh schema) instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
        /// Timed runs per panel, after one warm-up
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Keep the seeded database (SQLite file or PostgreSQL schema) afterwards
        #[arg(long)]
        keep: bool,
    },
    /// How a real alert file falls into stories: their count and the largest sizes
    Stories {
        /// The events, as a JSON array or one per line (a Suricata eve.json)
        #[arg(long)]
        file: std::path::PathBuf,
        /// Their intake format
        #[arg(long, default_value = "suricata")]
        format: String,
        /// A PostgreSQL URL to run on instead of a fresh SQLite file
        #[arg(long)]
        database_url: Option<String>,
    },
}

const PASSWORD: &str = "bench passphrase 1234";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::BasicAuth { users, requests, concurrency, database_url } => {
            basic_auth::bench_basic_auth(basic_auth::Args { users: users.max(1), requests, concurrency, database_url })
                .await
        }
        Bench::Cases { cases, observables, values, requests, database_url } => {
            bench_cases(cases, observables, values.max(1), requests, database_url).await
        }
        Bench::Extract { alerts } => bench_extract(alerts),
        Bench::ExtractionQuality => {
            let root =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../firebreak-domain/tests/fixtures/corpus");
            let scores: Vec<(&str, corpus_score::Score)> =
                corpus_score::FORMATS.iter().map(|f| (*f, corpus_score::score(&root, f, false))).collect();
            print!("{}", corpus_score::table(&scores));
            Ok(())
        }
        Bench::Hunt { sigma, events, naive_events } => hunt::bench_hunt(&sigma, events, naive_events),
        Bench::HuntStartup { sigma, file, runs } => hunt::bench_hunt_startup(&sigma, &file, runs.max(1)),
        Bench::Events { sigma, events, batch, senders } => {
            hunt::bench_events(&sigma, events, batch.max(1), senders.max(1)).await
        }
        Bench::Ingest { alerts, batch, senders, single, database_url } => {
            bench_ingest(alerts, batch.max(1), senders.max(1), single, database_url).await
        }
        Bench::Queue { alerts, requests, database_url } => {
            queue::bench_queue(queue::Args { alerts, requests: requests.max(1), database_url }).await
        }
        Bench::Pages { alerts, cases, requests, sigma, database_url } => {
            pages::bench_pages(pages::Args { alerts, cases, requests: requests.max(1), sigma, database_url }).await
        }
        Bench::TheHiveQuery { alerts, requests, naive } => {
            hive_query::bench(hive_query::Args { alerts, requests: requests.max(1), naive }).await
        }
        Bench::TheHiveIntake { single, bulk, batch, senders, cases, list, runs } => {
            hive_intake::bench(hive_intake::Args {
                single,
                bulk,
                batch: batch.max(1),
                senders: senders.max(1),
                cases,
                list,
                runs: runs.max(1),
            })
            .await
        }
        Bench::Metrics { alerts, cases, database_url, runs, keep } => {
            metrics::bench_metrics(metrics::Args { alerts, cases, database_url, runs, keep }).await
        }
        Bench::Stories { file, format, database_url } => stories::bench_stories(&file, &format, database_url).await,
    }
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}

/// A deterministic value for observable number `i`: IPs and domains.
fn value(i: u64) -> (&'static str, String) {
    if i.is_multiple_of(2) {
        ("ip", format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255))
    } else {
        ("domain", format!("host{i}.bench.example"))
    }
}

async fn bench_cases(
    n_cases: u64,
    n_obs: u64,
    n_values: u64,
    requests: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = SqlStore::open(&url, &OpenOptions::default()).await.context("opening the database")?;
    let now = time::OffsetDateTime::now_utc();
    let root = match ensure_root(&store, Some(PASSWORD), now).await? {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => root_org,
    };
    let backend = store.backend().name();
    store.close().await;

    // Seed in bulk, one transaction per batch, through a plain pool.
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(&url).await?;
    let started = Instant::now();
    let case_ids = seed(&pool, root, n_cases, n_obs, n_values, to_millis(now)).await?;
    pool.close().await;
    println!("seeded {n_cases} cases and {n_obs} observables on {backend} in {:.1} s", started.elapsed().as_secs_f64());

    // The server, as `firebreak serve` runs it.
    let (base, secret, _) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();

    let mut rng = Lcg(0x9e37_79b9_7f4a_7c15);
    let pick = |rng: &mut Lcg| case_ids[(rng.next() % case_ids.len() as u64) as usize];
    // Warm up.
    for _ in 0..50 {
        let id = pick(&mut rng);
        get(&http, &secret, &format!("{base}/api/v1/cases/{id}")).await?;
    }
    let mut page = Vec::with_capacity(requests);
    let mut case_only = Vec::with_capacity(requests);
    let mut sightings_seen = 0usize;
    let b = bar(requests as u64, "case pages");
    for _ in 0..requests {
        let id = pick(&mut rng);
        let t = Instant::now();
        get(&http, &secret, &format!("{base}/api/v1/cases/{id}")).await?;
        case_only.push(t.elapsed());
        let obs = get(&http, &secret, &format!("{base}/api/v1/cases/{id}/observables")).await?;
        page.push(t.elapsed());
        sightings_seen += obs
            .as_array()
            .map_or(0, |a| a.iter().map(|o| o["sightings"].as_array().map_or(0, Vec::len)).sum::<usize>());
        b.inc(1);
    }
    b.finish_and_clear();
    let mut look = Vec::with_capacity(requests);
    let b = bar(requests as u64, "sightings");
    for _ in 0..requests {
        let (kind, v) = value(rng.next() % n_values);
        let t = Instant::now();
        get(&http, &secret, &format!("{base}/api/v1/sightings?type={kind}&value={v}")).await?;
        look.push(t.elapsed());
        b.inc(1);
    }
    b.finish_and_clear();

    // The same question asked without the index, for comparison: a scan of
    // the observables' bodies.
    let pool = AnyPool::connect(&url).await?;
    let mut indexed = Vec::new();
    let mut scanned = Vec::new();
    for _ in 0..20 {
        let (kind, v) = value(rng.next() % n_values);
        let t = Instant::now();
        sqlx::query("SELECT case_id FROM items WHERE org_id = $1 AND kind = 'observable' AND item_key = $2")
            .bind(root.to_string())
            .bind(format!("{kind}:{v}"))
            .fetch_all(&pool)
            .await?;
        indexed.push(t.elapsed());
        let t = Instant::now();
        sqlx::query("SELECT case_id FROM items WHERE kind = 'observable' AND body LIKE $1")
            .bind(format!("%\"value\":\"{v}\"%"))
            .fetch_all(&pool)
            .await?;
        scanned.push(t.elapsed());
    }
    pool.close().await;

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "firebreak-bench cases: {backend}, {n_cases} cases, {n_obs} observables ({n_values} distinct values), \
         {requests} sequential requests each, {cores} cores"
    );
    report("GET case (with SLA clocks)", &mut case_only);
    report("case page API (case + observables with sightings)", &mut page);
    report("sightings look-up (GET /api/v1/sightings)", &mut look);
    println!("(sightings shown on the timed case pages: {sightings_seen})");
    report("sightings query, indexed (SQL only)", &mut indexed);
    report("the same without the index: a scan (SQL only)", &mut scanned);
    let ratio = median(&scanned) / median(&indexed).max(1e-9);
    println!("  the index answers {ratio:.0}x faster than a scan");
    Ok(())
}

async fn get(http: &reqwest::Client, key: &str, url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(http.get(url).bearer_auth(key).send().await?.error_for_status()?.json().await?)
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / samples.len().max(1) as f64 * 1000.0;
    println!(
        "  {what:<52} p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  mean {mean:>7.2} ms",
        at(0.5),
        at(0.9),
        at(0.99)
    );
}

fn median(s: &[Duration]) -> f64 {
    s.get(s.len() / 2).map_or(0.0, Duration::as_secs_f64)
}

/// A small deterministic generator, so runs pick the same cases.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
}

const BATCH: u64 = 500;

async fn seed(
    pool: &AnyPool,
    org: Uuid,
    n_cases: u64,
    n_obs: u64,
    n_values: u64,
    now: i64,
) -> anyhow::Result<Vec<Uuid>> {
    let org_s = org.to_string();
    let mut ids = Vec::with_capacity(n_cases as usize);
    let b = bar(n_cases, "cases");
    let states = ["new", "analysis", "containment", "eradication", "recovery", "review", "closed"];
    let mut n = 0;
    while n < n_cases {
        let end = (n + BATCH).min(n_cases);
        let mut sql = String::from(
            "INSERT INTO cases (id, org_id, number, title, title_key, description, severity, severity_rank, impact, \
             urgency, priority, category, tlp, pap, tags, assignee_id, tier, state, resolution, summary, review_status, \
             review_waiver_reason, custom_fields, merged_into, created_at, updated_at, closed_at, acknowledged_at, \
             contained_at, waiting_reason, pauses) VALUES ",
        );
        for i in n..end {
            let id = Uuid::now_v7();
            ids.push(id);
            let state = states[(i % 7) as usize];
            let created = now - (i as i64) * 60_000;
            let closed = if state == "closed" { created.to_string() } else { "NULL".into() };
            if i > n {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{id}', '{org_s}', {num}, 'Bench case {num}', 'bench case {num}', 'Seeded for the benchmark.', \
                 'high', 3, 'high', 'medium', 'P2', 'malware', 'amber', 'amber', '[\"bench\"]', NULL, 'L1', '{state}', \
                 NULL, '', 'not_started', NULL, '{{}}', NULL, {created}, {created}, {closed}, NULL, NULL, NULL, '[]')",
                num = i + 1
            ));
        }
        let mut tx = pool.begin().await?;
        sqlx::query(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
        b.set_position(end);
        n = end;
    }
    sqlx::query(&format!(
        "INSERT INTO case_counters (org_id, last) VALUES ('{org_s}', {n_cases}) \
         ON CONFLICT (org_id) DO UPDATE SET last = {n_cases}"
    ))
    .execute(pool)
    .await?;
    b.finish_and_clear();

    let b = bar(n_obs, "observables");
    let mut n = 0;
    while n < n_obs {
        let end = (n + BATCH).min(n_obs);
        let mut sql = String::from(
            "INSERT INTO items (id, org_id, kind, case_id, parent_id, item_key, status, assignee_id, due_at, at, body, \
             created_at, updated_at, version) VALUES ",
        );
        for i in n..end {
            // Each case holds a run of consecutive observables; observable i carries value (i * 7919) % values,
            // so that every value recurs in several unrelated cases.
            let case_id = ids[(i as u128 * ids.len() as u128 / n_obs as u128) as usize];
            let (kind, v) = value((i * 7919) % n_values);
            let at = now - (i as i64) * 1000;
            let o = Observable {
                id: Uuid::now_v7(),
                case_id,
                kind: kind.into(),
                value: v.clone(),
                ip_class: (kind == "ip").then(|| "private".into()),
                tlp: Tlp::Amber,
                ioc: i.is_multiple_of(3),
                tags: Vec::new(),
                description: String::new(),
                created_at: firebreak_domain::clock::from_millis(at),
            };
            let body = serde_json::to_string(&o)?.replace('\'', "''");
            if i > n {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{}', '{org_s}', 'observable', '{case_id}', NULL, '{kind}:{v}', NULL, NULL, NULL, {at}, '{body}', {at}, {at}, 0)",
                o.id
            ));
        }
        let mut tx = pool.begin().await?;
        sqlx::query(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
        b.set_position(end);
        n = end;
    }
    b.finish_and_clear();
    // Fresh statistics, as a database that has lived would have.
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(ids)
}

/// The server on a fresh database, as `firebreak serve` runs it, with an API
/// key that may send alerts.
async fn start_server(url: &str, dir: &std::path::Path) -> anyhow::Result<(String, String, &'static str)> {
    let store = SqlStore::open(url, &OpenOptions::default()).await.context("opening the database")?;
    let root = match ensure_root(&store, Some(PASSWORD), time::OffsetDateTime::now_utc()).await? {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => root_org,
    };
    let backend = store.backend().name();
    let settings = firebreak_app::AppSettings { files_dir: dir.join("files"), ..Default::default() };
    let state = AppState::new(
        firebreak_app::App::new(Arc::new(store), Arc::new(SystemClock), settings, root),
        ServerSettings::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(firebreak_server::serve(listener, state, std::future::pending()));
    let key: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/api-keys"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({ "name": "bench", "role": "analyst_l2" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let secret = key["secret"].as_str().context("no key secret")?.to_owned();
    Ok((base, secret, backend))
}

/// A realistic alert of about 1 KB with 5 observables. One in ten repeats an
/// earlier one (same source reference); one in five shares a host with an
/// earlier one.
fn gen_alert(i: u64, rng: &mut Lcg) -> serde_json::Value {
    let r = rng.next();
    let n = if r.is_multiple_of(10) && i > 0 { rng.next() % i } else { i };
    let host = if r % 5 == 1 && i > 0 { rng.next() % i } else { n };
    let severity = ["low", "medium", "high", "critical"][(n % 4) as usize];
    serde_json::json!({
        "source": "wazuh",
        "source_ref": format!("1700000000.{n}"),
        "type": "authentication_failed",
        "title": format!("sshd: authentication failure for user admin{} from 198.51.100.{}", n % 97, n % 250),
        "description": format!(
            "Multiple authentication failures on ws-{host:06} from 198.51.100.{} within 60 seconds; \
             the account admin{} was targeted by a password-guessing attack. Rule 5712 (level 10).",
            n % 250, n % 97),
        "severity": severity,
        "tags": ["T1110", "authentication", "ssh"],
        "observables": [
            { "type": "ip", "value": format!("198.51.100.{}", n % 250) },
            { "type": "hostname", "value": format!("ws-{host:06}") },
            { "type": "user_account", "value": format!("admin{}", n % 97) },
            { "type": "ip", "value": format!("10.{}.{}.{}", (host >> 16) & 255, (host >> 8) & 255, host & 255) },
            { "type": "sha256", "value": format!("{:064x}", n.wrapping_mul(2_654_435_761)) }
        ],
        "raw": {
            "timestamp": "2026-11-25T03:12:44.123+0000",
            "rule": { "level": 10, "description": "sshd: brute force trying to get access to the system.", "id": "5712",
                      "mitre": { "id": ["T1110"], "tactic": ["Credential Access"] }, "groups": ["syslog", "sshd"] },
            "agent": { "id": format!("{:03}", host % 1000), "name": format!("ws-{host:06}"), "ip": "10.0.0.5" },
            "data": { "srcip": format!("198.51.100.{}", n % 250), "srcport": "51234", "dstuser": format!("admin{}", n % 97) },
            "full_log": format!("Nov 25 03:12:44 ws-{host:06} sshd[1234]: Failed password for admin{} from 198.51.100.{} port 51234 ssh2", n % 97, n % 250)
        }
    })
}

async fn bench_ingest(
    total: u64,
    batch: usize,
    senders: usize,
    single: u64,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();

    // Baseline: one alert per request, from the same number of senders.
    let mut rng = Lcg(42);
    let singles: Vec<String> = (0..single).map(|i| gen_alert(10_000_000_000 + i, &mut rng).to_string()).collect();
    let started = Instant::now();
    let mut lat = Vec::with_capacity(singles.len());
    let chunks: Vec<Vec<String>> = singles.chunks((singles.len() / senders).max(1)).map(<[String]>::to_vec).collect();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (http, key, base) = (http.clone(), key.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let mut l = Vec::with_capacity(chunk.len());
            for body in chunk {
                let t = Instant::now();
                http.post(format!("{base}/api/v1/alerts"))
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?
                    .error_for_status()?;
                l.push(t.elapsed());
            }
            anyhow::Ok(l)
        }));
    }
    for t in tasks {
        lat.extend(t.await??);
    }
    let single_rate = single as f64 / started.elapsed().as_secs_f64();

    // Bulk: NDJSON batches, generated ahead so the generator is not measured.
    let b = bar(total, "alerts");
    let mut bodies = Bodies::new()?;
    let mut i = 0u64;
    while i < total {
        let end = (i + batch as u64).min(total);
        for n in i..end {
            bodies.line(&gen_alert(n, &mut rng).to_string());
        }
        bodies.end()?;
        i = end;
    }
    let bytes = bodies.bytes();
    let started = Instant::now();
    let (mut batch_lat, answers) =
        post_ndjson(&http, &format!("{base}/api/v1/alerts/_bulk"), &key, bodies, senders, &b).await?;
    let (mut created, mut dups, mut rejected) = (0, 0, 0);
    for a in answers {
        let r: firebreak_types::BulkResult = serde_json::from_value(a)?;
        created += r.created;
        dups += r.duplicates;
        rejected += r.rejected;
    }
    let secs = started.elapsed().as_secs_f64();
    b.finish_and_clear();

    // The queue page's API over everything stored.
    let mut queue_lat = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        // Newest first; the queue page's order (priority, then arrival);
        // and a filtered, deeper page.
        let url = match i % 3 {
            0 => format!("{base}/api/v1/alerts?state=new&limit=50"),
            1 => format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=50"),
            _ => format!("{base}/api/v1/alerts?state=new&severity=critical&limit=50&offset={}", (i % 10) * 50),
        };
        http.get(url).bearer_auth(&key).send().await?.error_for_status()?;
        queue_lat.push(t.elapsed());
    }
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("firebreak-bench ingest: {backend}, {cores} cores, {senders} senders, batches of {batch}");
    println!(
        "  bulk:   {total} alerts ({:.0} MB of NDJSON) in {secs:.1} s = {:.0} alerts/s ({created} created, {dups} repeats, {rejected} rejected)",
        bytes as f64 / 1e6,
        total as f64 / secs
    );
    report("bulk request latency", &mut batch_lat);
    println!("  single: {single} alerts, one per request = {single_rate:.0} alerts/s");
    report("single request latency", &mut lat);
    println!("  bulk is {:.1}x the single-alert rate", (total as f64 / secs) / single_rate.max(1e-9));
    report("queue page API (GET /api/v1/alerts, 50 a page)", &mut queue_lat);
    println!(
        "  memory: {rss:.0} MiB RSS at the end (the server, and the load generator with its request bodies freed)"
    );
    Ok(())
}

/// NDJSON request bodies, written ahead to a file (which is not the
/// process's memory) and read back one by one as they are sent: the memory
/// reported at the end is then the server's, not a gigabyte of bodies the
/// load generator freed but its allocator keeps.
pub(crate) struct Bodies {
    file: std::fs::File,
    body: String,
    /// Each body's offset in the file and length.
    ranges: Vec<(u64, usize)>,
}

impl Bodies {
    pub(crate) fn new() -> anyhow::Result<Self> {
        Ok(Bodies { file: tempfile::tempfile()?, body: String::new(), ranges: Vec::new() })
    }

    /// Adds a line to the body being written.
    pub(crate) fn line(&mut self, line: &str) {
        self.body.push_str(line);
        self.body.push('\n');
    }

    /// Ends the body being written.
    pub(crate) fn end(&mut self) -> anyhow::Result<()> {
        use std::io::Write;
        self.file.write_all(self.body.as_bytes())?;
        self.ranges.push((self.bytes(), self.body.len()));
        self.body.clear();
        Ok(())
    }

    /// Bytes written so far: where the next body starts.
    pub(crate) fn bytes(&self) -> u64 {
        self.ranges.last().map_or(0, |&(at, len)| at + len as u64)
    }
}

/// Posts NDJSON `bodies` to `url` from `senders` concurrent tasks; returns
/// each request's latency and answer.
pub(crate) async fn post_ndjson(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    bodies: Bodies,
    senders: usize,
    bar: &ProgressBar,
) -> anyhow::Result<(Vec<Duration>, Vec<serde_json::Value>)> {
    let file = Arc::new(bodies.file);
    let queue = Arc::new(std::sync::Mutex::new(bodies.ranges));
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (http, key, url, queue, bar) = (http.clone(), key.to_owned(), url.to_owned(), queue.clone(), bar.clone());
        let file = file.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let next = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop();
                let Some((at, len)) = next else { break };
                let mut body = vec![0; len];
                std::os::unix::fs::FileExt::read_exact_at(&*file, &mut body, at)?;
                let n = body.iter().filter(|&&b| b == b'\n').count() as u64;
                let t = Instant::now();
                let answer: serde_json::Value = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/x-ndjson")
                    .body(body)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                out.push((t.elapsed(), answer));
                bar.inc(n);
            }
            anyhow::Ok(out)
        }));
    }
    let (mut lat, mut answers) = (Vec::new(), Vec::new());
    for t in tasks {
        for (l, a) in t.await?? {
            lat.push(l);
            answers.push(a);
        }
    }
    Ok((lat, answers))
}

/// Scans the title, description and log line of generated alerts.
fn bench_extract(n: u64) -> anyhow::Result<()> {
    let mut rng = Lcg(7);
    let texts: Vec<String> = (0..n)
        .map(|i| {
            let a = gen_alert(i, &mut rng);
            format!(
                "{}\n{}\n{} url=hxxps://cdn-{i}.evil[.]example/p.php?id={i} md5 {:032x} from CORP\\user{}",
                a["title"].as_str().unwrap_or_default(),
                a["description"].as_str().unwrap_or_default(),
                a["raw"]["full_log"].as_str().unwrap_or_default(),
                i * 7919,
                i % 50
            )
        })
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut found = 0usize;
    let started = Instant::now();
    for t in &texts {
        found += firebreak_domain::extract::extract(t).len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "firebreak-bench extract: {n} alert texts, {:.1} MB, {found} observables in {secs:.2} s = {:.1} MB/s ({:.0} alerts/s, one core)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        n as f64 / secs
    );
    Ok(())
}
