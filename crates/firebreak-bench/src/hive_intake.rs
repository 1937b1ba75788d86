//! `firebreak-bench thehive-intake`: what an integration written for
//! TheHive gets from Firebreak, against the native API beside it.
//!
//! 1. Alerts sent as TheHive's clients send them, one per request, to
//!    `/compat/thehive/api/v1/alert`, from a few senders at once.
//! 2. The same generator's alerts in NDJSON batches to `/api/v1/alerts/_bulk`.
//! 3. Cases opened through `/compat/thehive/api/v1/case`, one per request.
//! 4. The two figures TheHive 4's users report (about 7 s to list 12,480
//!    alerts, 12 s to search 12,580 cases), taken on the same numbers here:
//!    the whole list read through the query API and through TheHive 4's
//!    `_search`, in as many pages as the query API's row limit asks.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Bodies, Lcg, bar, gen_alert, post_ndjson, report, start_server};

pub struct Args {
    /// Alerts sent one per request through the facade.
    pub single: u64,
    /// Alerts sent in batches through the native bulk API.
    pub bulk: u64,
    pub batch: usize,
    pub senders: usize,
    /// Cases opened through the facade (the search figure's case count).
    pub cases: u64,
    /// Alerts listed whole (the list figure's alert count).
    pub list: u64,
    pub runs: usize,
}

/// One of the bench's native alerts in TheHive 5's shape, as thehive4py's
/// `alert.create` sends it.
fn hive_alert(native: &Value) -> Value {
    let severity = match native["severity"].as_str() {
        Some("low") => 1,
        Some("medium") => 2,
        Some("high") => 3,
        _ => 4,
    };
    let observables: Vec<Value> = native["observables"]
        .as_array()
        .map(|os| {
            os.iter()
                .map(|o| {
                    let data_type = match o["type"].as_str() {
                        Some("ip") => "ip",
                        Some("hostname") => "hostname",
                        Some("sha256") => "hash",
                        _ => "other",
                    };
                    json!({ "dataType": data_type, "data": o["value"] })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "type": native["type"], "source": native["source"], "sourceRef": native["source_ref"],
        "title": native["title"], "description": native["description"], "severity": severity,
        "tags": native["tags"], "observables": observables,
    })
}

/// Sends `bodies` to `url` one per request from `senders` tasks. A repeat
/// (TheHive's 400 `CreateError`) is counted, not an error.
async fn send_each(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    bodies: Vec<Value>,
    senders: usize,
) -> anyhow::Result<(Vec<Duration>, u64, Duration)> {
    let progress = bar(bodies.len() as u64, "requests");
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (http, url, key, queue, progress) =
            (http.clone(), url.to_owned(), key.to_owned(), queue.clone(), progress.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut repeats) = (Vec::new(), 0u64);
            loop {
                let next = queue.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.pop();
                let Some(body) = next else { break };
                let t = Instant::now();
                let answer = http.post(&url).bearer_auth(&key).json(&body).send().await?;
                let status = answer.status();
                let text = answer.text().await?;
                if status == reqwest::StatusCode::BAD_REQUEST && text.contains("CreateError") {
                    repeats += 1;
                } else if !status.is_success() {
                    anyhow::bail!("{url} answered {status}: {text}");
                }
                lat.push(t.elapsed());
                progress.inc(1);
            }
            anyhow::Ok((lat, repeats))
        }));
    }
    let (mut lat, mut repeats) = (Vec::new(), 0);
    for t in tasks {
        let (l, r) = t.await??;
        lat.extend(l);
        repeats += r;
    }
    let took = started.elapsed();
    progress.finish_and_clear();
    Ok((lat, repeats, took))
}

/// Reads `total` rows of a TheHive list in pages of at most the query API's
/// row limit, with `page` making the request of rows `from..to`; returns the
/// rows read and the time taken.
async fn read_whole(
    http: &reqwest::Client,
    key: &str,
    total: u64,
    page: impl Fn(u64, u64) -> (String, Value),
) -> anyhow::Result<(usize, Duration)> {
    let limit = u64::from(firebreak_types::query::MAX_QUERY_ROWS);
    let started = Instant::now();
    let (mut read, mut from) = (0usize, 0u64);
    while from < total {
        let to = (from + limit).min(total);
        let (url, body) = page(from, to);
        let rows: Value = http.post(&url).bearer_auth(key).json(&body).send().await?.error_for_status()?.json().await?;
        read += rows.as_array().map_or(0, Vec::len);
        from = to;
    }
    Ok((read, started.elapsed()))
}

fn median_of(runs: &mut [Duration]) -> f64 {
    runs.sort();
    runs.get(runs.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn bench(a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("firebreak-bench thehive-intake: {backend}, {cores} cores, {} senders", a.senders);

    // 1. One alert per request through the facade.
    let mut rng = Lcg(42);
    let singles: Vec<Value> = (0..a.single).map(|i| hive_alert(&gen_alert(20_000_000_000 + i, &mut rng))).collect();
    let (mut lat, repeats, took) =
        send_each(&http, &format!("{base}/compat/thehive/api/v1/alert"), &key, singles, a.senders).await?;
    let single_rate = a.single as f64 / took.as_secs_f64();
    println!(
        "  TheHive alert API, one per request: {} alerts in {:.1} s = {single_rate:.0} alerts/s ({repeats} repeats answered as TheHive does)",
        a.single,
        took.as_secs_f64()
    );
    report("POST /compat/thehive/api/v1/alert", &mut lat);

    // 2. Batches through the native bulk API.
    let progress = bar(a.bulk, "alerts");
    let mut bodies = Bodies::new()?;
    let mut i = 0u64;
    while i < a.bulk {
        let end = (i + a.batch as u64).min(a.bulk);
        for n in i..end {
            bodies.line(&gen_alert(n, &mut rng).to_string());
        }
        bodies.end()?;
        i = end;
    }
    let started = Instant::now();
    let (mut batch_lat, _) =
        post_ndjson(&http, &format!("{base}/api/v1/alerts/_bulk"), &key, bodies, a.senders, &progress).await?;
    let took = started.elapsed();
    progress.finish_and_clear();
    let bulk_rate = a.bulk as f64 / took.as_secs_f64();
    println!(
        "  native bulk API, batches of {}: {} alerts in {:.1} s = {bulk_rate:.0} alerts/s ({:.0}x one per request)",
        a.batch,
        a.bulk,
        took.as_secs_f64(),
        bulk_rate / single_rate.max(f64::MIN_POSITIVE)
    );
    report("POST /api/v1/alerts/_bulk", &mut batch_lat);

    // 3. Cases, as TheHive's clients open them.
    let cases: Vec<Value> = (0..a.cases)
        .map(|i| {
            json!({
                "title": format!("Brute force against admin{} from 198.51.100.{}", i % 97, i % 250),
                "description": "Opened by the bench as an integration would open a case.",
                "severity": (i % 4) + 1, "tlp": 2, "pap": 2, "tags": ["bench", "T1110"],
            })
        })
        .collect();
    let (mut case_lat, _, took) =
        send_each(&http, &format!("{base}/compat/thehive/api/v1/case"), &key, cases, a.senders).await?;
    println!(
        "  TheHive case API, one per request: {} cases in {:.1} s = {:.0} cases/s",
        a.cases,
        took.as_secs_f64(),
        a.cases as f64 / took.as_secs_f64()
    );
    report("POST /compat/thehive/api/v1/case", &mut case_lat);

    // 4. The whole lists TheHive 4's users time.
    let query = format!("{base}/compat/thehive/api/v1/query");
    let (mut v5_alerts, mut v4_alerts, mut v5_cases, mut v4_cases) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut counts = [0usize; 4];
    for _ in 0..a.runs {
        let (n, t) = read_whole(&http, &key, a.list, |from, to| {
            let body = json!({"query": [{"_name": "listAlert"}, {"_name": "sort", "_fields": [{"date": "desc"}]},
                {"_name": "page", "from": from, "to": to}]});
            (query.clone(), body)
        })
        .await?;
        counts[0] = n;
        v5_alerts.push(t);
        let (n, t) = read_whole(&http, &key, a.list, |from, to| {
            (format!("{base}/compat/thehive/api/alert/_search?range={from}-{to}&sort=-date"), json!({"query": {}}))
        })
        .await?;
        counts[1] = n;
        v4_alerts.push(t);
        let (n, t) = read_whole(&http, &key, a.cases, |from, to| {
            let body = json!({"query": [{"_name": "listCase"},
                {"_name": "filter", "_like": {"_field": "title", "_value": "Brute force"}},
                {"_name": "sort", "_fields": [{"number": "desc"}]}, {"_name": "page", "from": from, "to": to}]});
            (query.clone(), body)
        })
        .await?;
        counts[2] = n;
        v5_cases.push(t);
        let (n, t) = read_whole(&http, &key, a.cases, |from, to| {
            (
                format!("{base}/compat/thehive/api/case/_search?range={from}-{to}&sort=-startDate"),
                json!({"query": {"_like": {"_field": "title", "_value": "Brute force"}}}),
            )
        })
        .await?;
        counts[3] = n;
        v4_cases.push(t);
    }
    println!("  whole lists, median of {} runs (TheHive 4's users report about 7 s and 12 s):", a.runs);
    println!("    listAlert, {} alerts read:                    {:>8.1} ms", counts[0], median_of(&mut v5_alerts));
    println!("    TheHive 4 alert _search, {} alerts read:      {:>8.1} ms", counts[1], median_of(&mut v4_alerts));
    println!("    listCase with a title filter, {} cases read: {:>8.1} ms", counts[2], median_of(&mut v5_cases));
    println!("    TheHive 4 case _search, {} cases read:       {:>8.1} ms", counts[3], median_of(&mut v4_cases));
    Ok(())
}
