//! `firebreak-bench stories --file <eve.json>`: how a real alert file falls
//! into stories. It starts a server on a fresh database, sends the file's
//! alerts to the Suricata intake in batches, in the file's order, with the
//! organisation's grouping settings as they are (the defaults), and prints
//! how many alerts were stored, how many stories of two alerts or more they
//! made and the largest five. Run on two commits, it shows what a change to
//! grouping does to the same alerts.

use anyhow::Context;

/// Alerts per request.
const BATCH: usize = 500;

pub async fn bench_stories(file: &std::path::Path, format: &str, database_url: Option<String>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    // A JSON array of events, or one event per line.
    let events: Vec<serde_json::Value> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)?
    } else {
        text.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()?
    };
    let dir = tempfile::tempdir()?;
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let (base, key, backend) = super::start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();
    let (mut created, mut skipped, mut rejected) = (0, 0, 0);
    for chunk in events.chunks(BATCH) {
        let r: firebreak_types::BulkResult = http
            .post(format!("{base}/api/v1/intake/{format}"))
            .bearer_auth(&key)
            .json(&chunk)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        created += r.created;
        skipped += r.skipped;
        rejected += r.rejected;
    }
    // Every story of two alerts or more, largest first.
    let mut sizes: Vec<i64> = Vec::new();
    let mut offset = 0;
    loop {
        let page: firebreak_types::Page<firebreak_types::AlertGroup> = http
            .get(format!("{base}/api/v1/alert-groups?min_alerts=2&limit=200&offset={offset}"))
            .bearer_auth(&key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let n = page.items.len();
        sizes.extend(page.items.iter().map(|g| g.alert_count));
        if n < 200 {
            break;
        }
        offset += n;
    }
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    let grouped: i64 = sizes.iter().sum();
    println!("file: {} ({} events, {backend})", file.display(), events.len());
    println!("alerts stored: {created} (skipped {skipped}, rejected {rejected})");
    println!("stories of 2 alerts or more: {}, holding {grouped} alerts", sizes.len());
    println!("largest 5: {:?}", &sizes[..sizes.len().min(5)]);
    Ok(())
}
