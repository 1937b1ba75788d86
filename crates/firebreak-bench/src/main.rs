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

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use firebreak_domain::clock::to_millis;
use firebreak_server::bootstrap::{Bootstrap, ensure_root};
use firebreak_server::clock::SystemClock;
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
}

const PASSWORD: &str = "bench passphrase 1234";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Bench::Cases { cases, observables, values, requests, database_url } => {
            bench_cases(cases, observables, values.max(1), requests, database_url).await
        }
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
    let store = SqlStore::open(&url, &OpenOptions::default()).await?;
    let settings = ServerSettings { files_dir: dir.path().join("files"), ..ServerSettings::default() };
    let state = AppState::new(Arc::new(store), Arc::new(SystemClock), settings, root);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(firebreak_server::serve(listener, state, std::future::pending()));
    let http = reqwest::Client::new();
    let key: serde_json::Value = http
        .post(format!("{base}/api/v1/api-keys"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&serde_json::json!({ "name": "bench", "role": "analyst_l2" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let secret = key["secret"].as_str().context("no key secret")?.to_owned();

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
