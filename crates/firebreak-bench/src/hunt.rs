//! `firebreak-bench hunt`: every Windows rule of a SigmaHQ checkout over its
//! regression EVTX files, read again and again until a million events have
//! gone through, end to end (reading EVTX, mapping, matching, writing the
//! hits as NDJSON), on every core; then the naive matcher (every rule
//! against every event) over one pass of the same files, with a check that
//! both found the same hits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context;
use firebreak_detect::hunt::{Hit, hunt_bytes, hunt_file, hunt_files};
use firebreak_detect::{Detector, Library};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .map_or(0.0, |kb: f64| kb / 1024.0)
}

/// A regression file, its bytes read from disk once.
struct Input {
    path: PathBuf,
    name: String,
    bytes: Vec<u8>,
}

/// Hunts `files` in turn (wrapping round) on `threads` threads until at
/// least `min_events` events were read, parsing the bytes held in memory, or
/// reading each file from disk again when `from_disk`. Returns (events,
/// hits, seconds).
fn run(
    detector: &Detector,
    files: &[Input],
    min_events: u64,
    threads: usize,
    naive: bool,
    from_disk: bool,
    out: &Path,
) -> (u64, u64, f64) {
    let events = AtomicU64::new(0);
    let hits = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let bar = crate::bar(min_events, if naive { "events (naive)" } else { "events" });
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (events, hits, next, bar) = (&events, &hits, &next, &bar);
            s.spawn(move || {
                let sink = std::fs::File::create(out.with_extension(format!("{t}.ndjson")));
                let Ok(sink) = sink else { return };
                let mut sink = std::io::BufWriter::with_capacity(1 << 16, sink);
                let mut ndjson = firebreak_detect::hunt::NdjsonHits::default();
                while events.load(Ordering::Relaxed) < min_events {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let f = &files[i % files.len()];
                    let mut n = 0u64;
                    let hit = |h: Hit| {
                        n += 1;
                        // Written as the CLI's NDJSON output is.
                        let _ = ndjson.write(&mut sink, &h);
                    };
                    let r = if from_disk {
                        hunt_file(detector, &f.path, naive, hit, |k| bar.inc(k))
                    } else {
                        hunt_bytes(detector, &f.name, &f.bytes, naive, hit, |k| bar.inc(k))
                    };
                    if let Ok(stats) = r {
                        events.fetch_add(stats.events, Ordering::Relaxed);
                    }
                    hits.fetch_add(n, Ordering::Relaxed);
                }
                let _ = sink.flush();
            });
        }
    });
    bar.finish_and_clear();
    (events.into_inner(), hits.into_inner(), started.elapsed().as_secs_f64())
}

/// How far each event goes in [`phases`].
#[derive(Clone, Copy)]
enum Phase {
    Read,
    Flatten,
    Prefilter,
    Match,
}

/// The rate of each stage alone on `threads` threads, over `min_events`
/// events: where the time of the end-to-end figure goes.
fn phase_rate(detector: &Detector, files: &[Input], min_events: u64, threads: usize, phase: Phase) -> f64 {
    let events = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (events, next) = (&events, &next);
            s.spawn(move || {
                let mut sink = 0usize;
                while events.load(Ordering::Relaxed) < min_events {
                    let f = &files[next.fetch_add(1, Ordering::Relaxed) % files.len()];
                    let r = match phase {
                        Phase::Read => firebreak_detect::hunt::read_events_bytes(&f.bytes, |_, raw| {
                            sink += raw.is_object() as usize;
                        }),
                        // As the hunt reads them: each record flattened as it is parsed.
                        _ => firebreak_detect::hunt::read_events_bytes_flat(&f.bytes, |_, ev| {
                            let src = || firebreak_detect::event::source_of(&ev);
                            sink += match phase {
                                Phase::Read | Phase::Flatten => ev.is_object() as usize,
                                Phase::Prefilter => detector.asked(&ev, &src()),
                                Phase::Match => detector.matches(&ev, &src()).len(),
                            }
                        }),
                    };
                    if let Ok(stats) = r {
                        events.fetch_add(stats.events, Ordering::Relaxed);
                    }
                }
                std::hint::black_box(sink);
            });
        }
    });
    events.into_inner() as f64 / started.elapsed().as_secs_f64()
}

/// The hits of one pass over `files`, as (file, record, rule) in order.
fn hit_set(detector: &Detector, files: &[Input], naive: bool) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for f in files {
        let _ = hunt_bytes(detector, &f.name, &f.bytes, naive, |h| out.push((h.file, h.record, h.rule_id)), |_| {});
    }
    out.sort();
    out
}

pub fn bench_hunt(sigma: &Path, min_events: u64, naive_events: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut lib = Library::default();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        let part = firebreak_detect::rules::load(&sigma.join(folder), |_, _| {})
            .with_context(|| format!("reading {}", sigma.join(folder).display()))?;
        for r in part.rules.into_iter().filter(|r| r.meta.product == "windows") {
            let text = r.yaml.clone();
            lib.add_file(&format!("{folder}/{}", r.file), &text);
        }
        lib.problems.extend(part.problems);
    }
    let (detector, problems) = Detector::new(&lib.rules, &[]);
    let load_secs = started.elapsed().as_secs_f64();
    let files: Vec<PathBuf> = hunt_files(&[sigma.join("regression_data")])?
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "evtx"))
        .collect();
    anyhow::ensure!(!files.is_empty(), "no EVTX file under {}", sigma.join("regression_data").display());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = tempfile::tempdir()?;
    let inputs = files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            Ok(Input { path: f.clone(), name: f.display().to_string(), bytes })
        })
        .collect::<anyhow::Result<Vec<Input>>>()?;

    // How many rules an event meets, on one pass.
    let (mut asked, mut fitting, mut n) = (0usize, 0usize, 0usize);
    for f in &inputs {
        let _ = firebreak_detect::hunt::read_events_bytes_flat(&f.bytes, |_, ev| {
            let src = firebreak_detect::event::source_of(&ev);
            asked += detector.asked(&ev, &src);
            fitting += detector.fitting(&src);
            n += 1;
        });
    }

    // Same answers first: one pass with each matcher.
    let fast_hits = hit_set(&detector, &inputs, false);
    let naive_hits = hit_set(&detector, &inputs, true);
    let identical = fast_hits == naive_hits;

    let stage_events = (min_events / 5).max(1);
    let stages: Vec<(&str, f64)> = [
        ("read EVTX into nested JSON", Phase::Read),
        ("read EVTX into flat fields (as hunting does)", Phase::Flatten),
        ("+ prefilter", Phase::Prefilter),
        ("+ match", Phase::Match),
    ]
    .into_iter()
    .map(|(name, p)| (name, phase_rate(&detector, &inputs, stage_events, threads, p)))
    .collect();
    let (events, hits, secs) = run(&detector, &inputs, min_events, threads, false, false, &dir.path().join("fast"));
    let peak = peak_rss_mib();
    let (d_events, _, d_secs) = run(&detector, &inputs, stage_events, threads, false, true, &dir.path().join("disk"));
    let (n_events, n_hits, n_secs) =
        run(&detector, &inputs, naive_events, threads, true, false, &dir.path().join("naive"));

    println!(
        "firebreak-bench hunt: {} Windows rules loaded in {load_secs:.1} s ({} rejected, {} did not compile), {} EVTX files, {threads} threads",
        detector.rules().len(),
        lib.problems.len(),
        problems.len(),
        files.len()
    );
    println!(
        "  rules asked per event: {:.1} on average, of {:.0} whose log source fits ({} rules have no string to prefilter on)",
        asked as f64 / n.max(1) as f64,
        fitting as f64 / n.max(1) as f64,
        detector.unfiltered_rules()
    );
    println!(
        "  firebreak: {events} events in {secs:.1} s = {:.0} events/s end to end; {hits} hits written; peak RSS {peak:.0} MiB",
        events as f64 / secs
    );
    println!(
        "  the same with each file read from disk again for every pass: {d_events} events in {d_secs:.1} s = {:.0} events/s",
        d_events as f64 / d_secs
    );
    println!(
        "  naive:     {n_events} events in {n_secs:.1} s = {:.0} events/s; {n_hits} hits",
        n_events as f64 / n_secs
    );
    let stages: Vec<String> = stages.iter().map(|(n, r)| format!("{n} {r:.0}/s")).collect();
    println!("  stages alone: {}; + write hits = end to end", stages.join(", "));
    println!("  speed-up: {:.1}x", (events as f64 / secs) / (n_events as f64 / n_secs).max(1e-9));
    println!(
        "  one pass over the files: {} hits by firebreak, {} by the naive matcher: {}",
        fast_hits.len(),
        naive_hits.len(),
        if identical { "identical" } else { "DIFFERENT" }
    );
    anyhow::ensure!(identical, "the matchers disagree");
    Ok(())
}

/// The Windows rule files of a SigmaHQ checkout, read, as the hunt bench
/// loads them.
fn windows_rule_texts(sigma: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut texts = Vec::new();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        let files = firebreak_detect::rules::rule_files(&sigma.join(folder))?;
        for (name, text) in firebreak_detect::rules::read_texts(&files) {
            texts.push((name.clone(), text.with_context(|| format!("reading {name}"))?));
        }
    }
    Ok(texts)
}

/// `firebreak-bench hunt-startup`: what `firebreak hunt` does before its
/// first match, timed from the start: the rule files read, checked and
/// made a matcher (compiling each rule when an event first needs it
/// asked), then one log read from disk and hunted until its first hit.
/// Each log is timed `runs` times; the median is printed, with the whole
/// hunt of the log.
pub fn bench_hunt_startup(sigma: &Path, logs: &[PathBuf], runs: usize) -> anyhow::Result<()> {
    let logs: Vec<PathBuf> = if logs.is_empty() {
        hunt_files(&[sigma.join("regression_data")])?
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "evtx"))
            .collect()
    } else {
        logs.to_vec()
    };
    anyhow::ensure!(!logs.is_empty(), "no EVTX file under {}", sigma.join("regression_data").display());
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut ready, mut first, mut whole) = (Vec::new(), Vec::new(), Vec::new());
    let mut rules = 0;
    for log in logs.iter().cycle().take(logs.len() * runs) {
        let started = Instant::now();
        let texts = windows_rule_texts(sigma)?;
        let lib = Library::from_texts(&texts, false);
        let (detector, _) = Detector::new(&lib.rules, &[]);
        ready.push(started.elapsed().as_secs_f64());
        rules = detector.rules().len();
        let mut at = None;
        let _ =
            hunt_file(&detector, log, false, |_| _ = at.get_or_insert_with(|| started.elapsed().as_secs_f64()), |_| {});
        whole.push(started.elapsed().as_secs_f64());
        if let Some(at) = at {
            first.push(at);
        }
    }
    let ms = |s: f64| s * 1000.0;
    println!(
        "firebreak-bench hunt-startup: {rules} rules, {} logs, {runs} runs each, {} threads",
        logs.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("  rules read and checked, matcher ready: median {:.0} ms", ms(median(ready)));
    anyhow::ensure!(!first.is_empty(), "no log gave a hit");
    println!(
        "  hunt-startup (start to first event matched): median {:.0} ms over the {} runs with a hit",
        ms(median(first.clone())),
        first.len()
    );
    println!("  start to the end of the log: median {:.0} ms", ms(median(whole)));
    Ok(())
}

/// `firebreak-bench events`: the Windows rules imported and enabled in a
/// running server, then the regression samples' events (repeated to
/// `total`) posted to `/api/v1/events/_bulk` in NDJSON batches from
/// several senders; prints events per second and batch latency.
pub async fn bench_events(sigma: &Path, total: u64, batch: usize, senders: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (base, key, backend) = crate::start_server(&url, dir.path()).await?;
    let http = reqwest::Client::new();

    let mut files = Vec::new();
    for folder in ["rules/windows", "rules-emerging-threats", "rules-threat-hunting/windows"] {
        for f in firebreak_detect::rules::rule_files(&sigma.join(folder))? {
            let content = std::fs::read_to_string(&f)?;
            if content.contains("product: windows") {
                files.push(serde_json::json!({ "name": f.display().to_string(), "content": content }));
            }
        }
    }
    let started = Instant::now();
    let mut created = 0u64;
    for chunk in files.chunks(400) {
        let r: serde_json::Value = http
            .post(format!("{base}/api/v1/rules/_import"))
            .basic_auth("admin", Some(crate::PASSWORD))
            .json(&serde_json::json!({ "files": chunk, "enable": true }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        created += r["created"].as_u64().unwrap_or(0);
    }
    let import_secs = started.elapsed().as_secs_f64();

    let mut events: Vec<String> = Vec::new();
    for f in hunt_files(&[sigma.join("regression_data")])?.iter().filter(|f| f.extension().is_some_and(|e| e == "evtx"))
    {
        let _ = firebreak_detect::hunt::read_evtx(f, |_, v| events.push(v.to_string()));
    }
    anyhow::ensure!(!events.is_empty(), "no events under {}", sigma.join("regression_data").display());
    let mut bodies = crate::Bodies::new()?;
    let mut i = 0u64;
    while i < total {
        let end = (i + batch as u64).min(total);
        for n in i..end {
            bodies.line(&events[n as usize % events.len()]);
        }
        bodies.end()?;
        i = end;
    }
    let bar = crate::bar(total, "events");
    let started = Instant::now();
    let (mut lat, answers) =
        crate::post_ndjson(&http, &format!("{base}/api/v1/events/_bulk"), &key, bodies, senders, &bar).await?;
    let matches: u64 = answers.iter().map(|a| a["matches"].as_u64().unwrap_or(0)).sum();
    let secs = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    println!(
        "firebreak-bench events: {backend}, {created} Windows rules imported and enabled in {import_secs:.1} s, {senders} senders, batches of {batch}"
    );
    println!(
        "  POST /api/v1/events/_bulk: {total} events in {secs:.1} s = {:.0} events/s; {matches} matches, each an alert (or a repeat) through intake",
        total as f64 / secs
    );
    crate::report("batch latency", &mut lat);
    Ok(())
}
