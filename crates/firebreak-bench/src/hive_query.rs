//! `firebreak-bench thehive-query`: TheHive's query API over a large alert
//! base. Loads the alerts through the store's batch intake (no HTTP), then
//! times `listAlert` queries over HTTP, each with a filter (status and
//! severity, a title pattern, a tag) and a page of 15 sorted by date, and
//! the same answer found the naive way: the native list read a thousand
//! alerts at a time, newest first, filtered in memory until the page is
//! full.

use std::time::{Duration, Instant};

use anyhow::Context;
use firebreak_store::{AlertStore, OpenOptions, SqlStore, WriteCtx};
use firebreak_types::Alert;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Lcg, bar, report, start_server};

pub struct Args {
    pub alerts: u64,
    pub requests: usize,
    pub naive: usize,
}

const STATES: [&str; 4] = ["new", "new", "in_triage", "closed"];
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];
const WORDS: [&str; 8] = ["phishing", "malware", "beacon", "bruteforce", "exfiltration", "scan", "ransom", "dropper"];
const TAGS: [&str; 6] = ["T1110", "T1566", "T1059", "edr", "mail", "network"];
/// The alerts' day: 2026-11-01 00:00 UTC, one alert a second from it.
const START_MS: i64 = 1_793_491_200_000;

fn make_alert(org: Uuid, i: u64, rng: &mut Lcg) -> anyhow::Result<Alert> {
    let r = rng.next();
    let word = WORDS[(r % 8) as usize];
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(START_MS + i as i64 * 1000) * 1_000_000)?;
    let at = at.format(&time::format_description::well_known::Rfc3339)?;
    let tags = [TAGS[((r >> 3) % 6) as usize], TAGS[((r >> 7) % 6) as usize]];
    let state = STATES[((r >> 11) % 4) as usize];
    Ok(serde_json::from_value(json!({
        "id": Uuid::now_v7(), "org_id": org, "source": "wazuh", "source_ref": format!("hq-{i}"),
        "type": "detection", "title": format!("{word} seen on ws-{:05} ({})", i % 50_000, (r >> 13) % 1000),
        "description": "", "severity": SEVERITIES[((r >> 17) % 4) as usize], "event_time": at,
        "tags": tags, "tlp": "amber", "pap": "amber",
        "observables": [ { "type": "hostname", "value": format!("ws-{:05}", i % 50_000) } ],
        "custom_fields": {}, "raw": {}, "state": state, "occurrences": 1, "first_seen": at, "last_seen": at,
    }))?)
}

/// The query of request `i`: one of the statuses, severities, words and tags.
fn query(i: usize) -> (Value, (&'static str, i64, &'static str, &'static str)) {
    let status = ["New", "InProgress"][i % 2];
    let severity = (i / 2 % 4) as i64 + 1;
    let word = WORDS[i / 8 % 8];
    let tag = TAGS[i / 64 % 6];
    let body = json!({"query": [
        {"_name": "listAlert"},
        {"_name": "filter", "_and": [
            {"_eq": {"_field": "status", "_value": status}},
            {"_eq": {"_field": "severity", "_value": severity}},
            {"_like": {"_field": "title", "_value": word}},
            {"_eq": {"_field": "tags", "_value": tag}},
        ]},
        {"_name": "sort", "_fields": [{"date": "desc"}]},
        {"_name": "page", "from": 0, "to": 15},
    ]});
    (body, (if status == "New" { "new" } else { "in_triage" }, severity, word, tag))
}

pub async fn bench(a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqlStore::open(&url, &OpenOptions::default()).await.context("opening the database")?;
    let org =
        match firebreak_app::bootstrap::ensure_root(&store, Some(crate::PASSWORD), time::OffsetDateTime::now_utc())
            .await?
        {
            firebreak_app::bootstrap::Bootstrap::Existing { root_org }
            | firebreak_app::bootstrap::Bootstrap::Created { root_org, .. } => root_org,
        };
    let started = Instant::now();
    let progress = bar(a.alerts, "alerts");
    let mut rng = Lcg(7);
    let ctx = WriteCtx { actor: firebreak_store::Actor::System, now: time::OffsetDateTime::now_utc() };
    let mut i = 0;
    while i < a.alerts {
        let n = (a.alerts - i).min(5_000);
        let batch = (i..i + n).map(|j| make_alert(org, j, &mut rng)).collect::<anyhow::Result<Vec<_>>>()?;
        store.ingest_alerts(&ctx, org, batch, None).await?;
        i += n;
        progress.inc(n);
    }
    progress.finish_and_clear();
    println!("loaded {} alerts in {:.1} s (batch intake, SQLite)", a.alerts, started.elapsed().as_secs_f64());
    store.close().await;

    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();
    let endpoint = format!("{base}/compat/thehive/api/v1/query");
    // Warm the cache as a running server's would be.
    for i in 0..20 {
        http.post(&endpoint).bearer_auth(&key).json(&query(i).0).send().await?.error_for_status()?;
    }
    let mut samples = Vec::with_capacity(a.requests);
    let mut found = 0usize;
    let progress = bar(a.requests as u64, "queries");
    for i in 0..a.requests {
        let t = Instant::now();
        let page: Value =
            http.post(&endpoint).bearer_auth(&key).json(&query(i).0).send().await?.error_for_status()?.json().await?;
        samples.push(t.elapsed());
        found += page.as_array().map_or(0, Vec::len);
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!("\nTheHive query API over {} alerts ({backend}), {} requests:", a.alerts, a.requests);
    report("listAlert, filter (and, like, tag), sort, page of 15", &mut samples);
    println!("  ({:.1} alerts per page on average)", found as f64 / a.requests as f64);

    // The naive way: the native list, newest first, a thousand at a time,
    // filtered in memory until 15 are found (or the alerts run out).
    if a.naive > 0 {
        let mut naive = Vec::with_capacity(a.naive);
        let mut read = 0u64;
        for i in 0..a.naive {
            let (_, (state, severity, word, tag)) = query(i);
            let t = Instant::now();
            let mut hits = 0;
            let mut after: Option<String> = None;
            loop {
                let mut url = format!("{base}/api/v1/alerts?sort=-event_time&limit=1000");
                if let Some(a) = &after {
                    url.push_str(&format!("&after={a}"));
                }
                let page: Value = http.get(&url).bearer_auth(&key).send().await?.error_for_status()?.json().await?;
                let items = page["items"].as_array().cloned().unwrap_or_default();
                read += items.len() as u64;
                for it in &items {
                    let sev = SEVERITIES.iter().position(|s| it["severity"] == *s).map_or(0, |p| p as i64 + 1);
                    if it["state"] == state
                        && sev == severity
                        && it["title"].as_str().is_some_and(|t| t.to_lowercase().contains(word))
                        && it["tags"].as_array().is_some_and(|ts| ts.iter().any(|x| x == tag))
                    {
                        hits += 1;
                    }
                }
                after = page["next"].as_str().map(str::to_owned);
                if hits >= 15 || after.is_none() {
                    break;
                }
            }
            naive.push(t.elapsed());
        }
        println!("\nThe naive way (the native list by 1000, filtered in memory), {} requests:", a.naive);
        let (sql_p50, naive_p50) = (median_ms(&mut samples), median_ms(&mut naive));
        report("listAlert equivalent, read until 15 found", &mut naive);
        println!("  ({} alerts read per request on average)", read / a.naive as u64);
        println!("  median ratio naive / indexed SQL: {:.0}x", naive_p50 / sql_p50.max(0.001));
    }
    Ok(())
}

fn median_ms(s: &mut [Duration]) -> f64 {
    s.sort();
    s.get(s.len() / 2).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
