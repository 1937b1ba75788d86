//! `firebreak-bench queue`: the alert queue over a large alert base. Sends
//! the alerts through the bulk API, signs in as a browser does, and times
//! the queue page (time to the first byte of the answer, and to its last)
//! for the first page and for deep pages reached by the keyset cursor, with
//! the API list read by cursor and by offset beside it.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::{Lcg, PASSWORD, bar, gen_alert, report, start_server};

pub struct Args {
    pub alerts: u64,
    pub requests: usize,
    pub database_url: Option<String>,
}

/// A session cookie, got through the sign-in form.
pub(crate) async fn sign_in(base: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = http.get(format!("{base}/login")).send().await?.error_for_status()?;
    let cookie = cookies(&page);
    let html = page.text().await?;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no csrf field on the sign-in page")?
        .to_owned();
    let answer = http
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[("username", "admin"), ("password", PASSWORD), ("csrf", csrf.as_str()), ("next", "/alerts")])
        .send()
        .await?;
    let session = cookies(&answer);
    anyhow::ensure!(session.contains("session"), "not signed in: {}", answer.status());
    Ok(session)
}

fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|kv| !kv.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One timed GET: (time to the answer's head, time to its whole body).
pub(crate) async fn timed(
    http: &reqwest::Client,
    url: &str,
    auth: &Auth<'_>,
) -> anyhow::Result<(Duration, Duration, String)> {
    let t = Instant::now();
    let req = match auth {
        Auth::Cookie(c) => http.get(url).header("cookie", *c),
        Auth::Key(k) => http.get(url).bearer_auth(k),
    };
    let resp = req.send().await?;
    let head = t.elapsed();
    anyhow::ensure!(resp.status().is_success(), "{url}: {}", resp.status());
    let body = resp.text().await?;
    Ok((head, t.elapsed(), body))
}

pub(crate) enum Auth<'a> {
    Cookie(&'a str),
    Key(&'a str),
}

pub async fn bench_queue(a: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = a.database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;

    // The alerts, each its own (no repeats), through the bulk API.
    let mut rng = Lcg(7);
    let b = bar(a.alerts, "alerts");
    let started = Instant::now();
    let mut i = 0;
    while i < a.alerts {
        let end = (i + 1000).min(a.alerts);
        let body: String = (i..end)
            .map(|n| {
                let mut v = gen_alert(n, &mut rng);
                v["source_ref"] = serde_json::json!(format!("queue-{n}"));
                v["source"] = serde_json::json!(["wazuh", "edr", "suricata"][(n % 3) as usize]);
                v.to_string() + "\n"
            })
            .collect();
        http.post(format!("{base}/api/v1/alerts/_bulk"))
            .bearer_auth(&key)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        i = end;
        b.set_position(end);
    }
    b.finish_and_clear();
    println!("sent {} alerts on {backend} in {:.1} s", a.alerts, started.elapsed().as_secs_f64());

    let session = sign_in(&base).await?;
    let cookie = Auth::Cookie(&session);
    let bearer = Auth::Key(&key);
    let list: serde_json::Value = serde_json::from_str(
        &timed(&http, &format!("{base}/api/v1/alerts?state=new&limit=1&total=true"), &bearer).await?.2,
    )?;
    let total = list["total"].as_u64().unwrap_or(0);

    // Cursors into the middle of the queue and near its end, by the API's keyset pages.
    let mut cursors = Vec::new();
    let mut after: Option<String> = None;
    let mut read = 0u64;
    let (middle, last) = (total / 2, total.saturating_sub(100));
    while read < last {
        let mut u = format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=1000");
        if let Some(c) = &after {
            u.push_str(&format!("&after={c}"));
        }
        let page: serde_json::Value = serde_json::from_str(&timed(&http, &u, &bearer).await?.2)?;
        let items = page["items"].as_array().map_or(0, Vec::len) as u64;
        // Where the next 1,000 would pass a mark, take the cursor of the
        // row just before it from a page of the rest.
        for mark in [middle, last] {
            if read < mark && read + items >= mark {
                let mut u2 = format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit={}", (mark - read).max(1));
                if let Some(c) = &after {
                    u2.push_str(&format!("&after={c}"));
                }
                let p: serde_json::Value = serde_json::from_str(&timed(&http, &u2, &bearer).await?.2)?;
                cursors.push((mark, p["next"].as_str().context("no next cursor")?.to_owned()));
            }
        }
        read += items;
        match page["next"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }

    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "firebreak-bench queue: {backend}, {total} new alerts, {} sequential requests each, {cores} cores",
        a.requests
    );
    let mut cases: Vec<(String, String, &Auth)> =
        vec![("queue page 1 (/alerts)".into(), format!("{base}/alerts"), &cookie)];
    for (mark, c) in &cursors {
        cases.push((
            format!("queue page from row {} (keyset)", mark + 1),
            format!("{base}/alerts?state=new&after={c}&seen={mark}"),
            &cookie,
        ));
    }
    cases.push((
        "API page 1 (100 rows)".into(),
        format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=100&total=true"),
        &bearer,
    ));
    for (mark, c) in &cursors {
        cases.push((
            format!("API from row {} by after", mark + 1),
            format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=100&total=true&after={c}"),
            &bearer,
        ));
        cases.push((
            format!("API from row {} by offset", mark + 1),
            format!("{base}/api/v1/alerts?state=new&sort=-triage_rank&limit=100&total=true&offset={mark}"),
            &bearer,
        ));
    }
    for (what, u, auth) in cases {
        // Warm up, then time.
        for _ in 0..5 {
            timed(&http, &u, auth).await?;
        }
        let mut head = Vec::with_capacity(a.requests);
        let mut whole = Vec::with_capacity(a.requests);
        for _ in 0..a.requests {
            let (h, w, body) = timed(&http, &u, auth).await?;
            anyhow::ensure!(!body.is_empty(), "{u}: empty");
            head.push(h);
            whole.push(w);
        }
        report(&format!("{what}: first byte"), &mut head);
        report(&format!("{what}: whole answer"), &mut whole);
    }
    Ok(())
}
