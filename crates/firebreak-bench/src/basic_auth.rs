//! `firebreak-bench basic-auth`: what a request costs to authenticate, over
//! real HTTP: Basic credentials verified with Argon2 (each user's first
//! request), the same credentials kept verified (every request after), and
//! an API key, each against `GET /api/v1/me`.

use std::time::{Duration, Instant};

use crate::{PASSWORD, start_server};

pub struct Args {
    /// Users signing in for the first time (each one Argon2 verification).
    pub users: usize,
    /// Requests for the kept credentials and for the key.
    pub requests: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub database_url: Option<String>,
}

enum Auth {
    Basic(String, String),
    Bearer(String),
}

/// Sends one request per `auths` entry, `concurrency` at once; answers
/// requests per second.
async fn run(base: &str, auths: Vec<Auth>, concurrency: usize) -> anyhow::Result<f64> {
    let http = reqwest::Client::new();
    let n = auths.len();
    let url = format!("{base}/api/v1/me");
    let started = Instant::now();
    let mut chunks: Vec<Vec<Auth>> = (0..concurrency).map(|_| Vec::new()).collect();
    for (i, a) in auths.into_iter().enumerate() {
        chunks[i % concurrency].push(a);
    }
    let mut tasks = Vec::new();
    for chunk in chunks {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for a in chunk {
                let req = match &a {
                    Auth::Basic(u, p) => http.get(&url).basic_auth(u, Some(p)),
                    Auth::Bearer(k) => http.get(&url).bearer_auth(k),
                };
                let res = req.send().await?;
                anyhow::ensure!(res.status().is_success(), "{}", res.status());
                res.bytes().await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = started.elapsed().max(Duration::from_micros(1)).as_secs_f64();
    Ok(n as f64 / secs)
}

pub async fn bench_basic_auth(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = args.database_url.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let (base, key, backend) = start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();
    let concurrency = args.concurrency.max(1);

    // Users to sign in once each: every first request verifies a password.
    let mut users = Vec::with_capacity(args.users);
    for i in 0..args.users {
        let login = format!("bench-basic-{i}");
        http.post(format!("{base}/api/v1/users"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&serde_json::json!({
                "username": login, "display_name": login, "role": "analyst_l1", "password": PASSWORD,
            }))
            .send()
            .await?
            .error_for_status()?;
        users.push(login);
    }

    let cold = run(&base, users.iter().map(|u| Auth::Basic(u.clone(), PASSWORD.into())).collect(), concurrency).await?;
    let warm_auths =
        (0..args.requests).map(|i| Auth::Basic(users[i % users.len().max(1)].clone(), PASSWORD.into())).collect();
    let warm = run(&base, warm_auths, concurrency).await?;
    let keyed = run(&base, (0..args.requests).map(|_| Auth::Bearer(key.clone())).collect(), concurrency).await?;

    println!("basic-auth on {backend}: GET /api/v1/me, {concurrency} requests in flight");
    println!("  Basic, verified with Argon2 ({} users' first requests): {cold:>8.0} requests/s", users.len());
    println!("  Basic, kept verified ({} requests):                  {warm:>8.0} requests/s", args.requests);
    println!("  Bearer API key ({} requests):                        {keyed:>8.0} requests/s", args.requests);
    Ok(())
}
