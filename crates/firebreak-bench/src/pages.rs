//! `firebreak-bench pages`: the pages an analyst opens most, over a large
//! store. Seeds alerts and cases straight into the database (as `metrics`
//! does: a year of them), imports the Windows process-creation rules of
//! SigmaHQ through the API, signs in as a browser does, and times each page:
//! the first byte of the answer, and its last.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use firebreak_app::bootstrap::{Bootstrap, ensure_root};
use firebreak_app::clock::SystemClock;
use firebreak_domain::clock::{Clock, to_millis};
use firebreak_store::{OpenOptions, SqlStore, Store};
use sqlx::AnyPool;

use crate::queue::{Auth, sign_in, timed};
use crate::{PASSWORD, report, start_server};

pub struct Args {
    pub alerts: u64,
    pub cases: u64,
    pub requests: usize,
    pub sigma: PathBuf,
    pub database_url: Option<String>,
}

/// The Sigma rules of one folder, read as the upload form sends them.
fn rule_files(dir: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "yml") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            files.push(serde_json::json!({ "name": name, "content": std::fs::read_to_string(&path)? }));
        }
    }
    Ok(files)
}

pub async fn bench_pages(a: Args) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir()?;
    let url = a.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    // The schema and the root organisation, then the seed, then the server on it.
    let store = SqlStore::open(&url, &OpenOptions::default()).await.context("opening the database")?;
    let org = match ensure_root(&store, Some(PASSWORD), SystemClock.now()).await? {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => root_org,
    };
    let postgres = store.backend().name() == "postgres";
    store.close().await;
    let pool = AnyPool::connect(&url).await?;
    let started = Instant::now();
    let seeded = crate::metrics::seed(&pool, org, a.alerts, a.cases, to_millis(SystemClock.now()), postgres).await?;
    pool.close().await;
    println!("seeded in {:.1} s: {seeded}", started.elapsed().as_secs_f64());
    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;

    // The rules list's rules, as the upload form sends them.
    let files = rule_files(&a.sigma.join("rules/windows/process_creation"))?;
    let admin = reqwest::Client::new();
    let mut rules = 0;
    for chunk in files.chunks(200) {
        let r: serde_json::Value = admin
            .post(format!("{base}/api/v1/rules/_import"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&serde_json::json!({ "files": chunk, "enable": true }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        rules += r["created"].as_u64().unwrap_or(0);
    }

    let session = sign_in(&base).await?;
    let cookie = Auth::Cookie(&session);
    let bearer = Auth::Key(&key);
    // A deep page of the queue: the keyset cursor of the row nine tenths down.
    let total: serde_json::Value = serde_json::from_str(
        &timed(&http, &format!("{base}/api/v1/alerts?state=new&limit=1&total=true"), &bearer).await?.2,
    )?;
    let total = total["total"].as_u64().unwrap_or(0);
    let (mut after, mut read) = (None::<String>, 0u64);
    while read + 1000 < total * 9 / 10 {
        let mut u = format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=1000");
        if let Some(c) = &after {
            u.push_str(&format!("&after={c}"));
        }
        let page: serde_json::Value = serde_json::from_str(&timed(&http, &u, &bearer).await?.2)?;
        read += page["items"].as_array().map_or(0, Vec::len) as u64;
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    let cases: serde_json::Value =
        serde_json::from_str(&timed(&http, &format!("{base}/api/v1/cases?limit=1"), &bearer).await?.2)?;
    let case = cases["items"][0]["id"].as_str().context("no case")?.to_owned();

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let build = if cfg!(debug_assertions) { "a debug build" } else { "a release build" };
    println!(
        "firebreak-bench pages: {backend}, {} alerts ({total} new), {} cases, {rules} rules; {} requests each after a \
         warm-up, {cores} cores, {build}",
        a.alerts, a.cases, a.requests
    );
    let mut pages = vec![("queue, first page".to_owned(), format!("{base}/alerts"))];
    if let Some(c) = &after {
        pages.push((
            format!("queue, page from row {} (keyset)", read + 1),
            format!("{base}/alerts?state=new&after={c}&seen={read}"),
        ));
    }
    pages.extend([
        ("case page".to_owned(), format!("{base}/cases/{case}")),
        ("case page, timeline tab".to_owned(), format!("{base}/cases/{case}?tab=timeline")),
        ("case board".to_owned(), format!("{base}/cases/board")),
        ("dashboard (SOC lead, 30 days)".to_owned(), format!("{base}/dashboards/soc")),
        ("rules list".to_owned(), format!("{base}/detection")),
    ]);
    for (what, u) in pages {
        for _ in 0..3 {
            timed(&http, &u, &cookie).await?;
        }
        let mut head: Vec<Duration> = Vec::with_capacity(a.requests);
        let mut whole: Vec<Duration> = Vec::with_capacity(a.requests);
        for _ in 0..a.requests {
            let (h, w, body) = timed(&http, &u, &cookie).await?;
            anyhow::ensure!(body.contains("</html>"), "{u}: not a whole page");
            head.push(h);
            whole.push(w);
        }
        report(&format!("{what}: first byte"), &mut head);
        report(&format!("{what}: whole page"), &mut whole);
    }
    Ok(())
}
