//! `firebreak hunt` and `firebreak rules check`: Sigma rules over EVTX and
//! JSON logs, offline, with no server and no database.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::ValueEnum;
use firebreak_detect::hunt::{Hit, hunt_file, hunt_files};
use firebreak_detect::rules::NamedText;
use firebreak_detect::{Detector, Library, Problem};
use firebreak_types::csv::export_cell;

/// How hits are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    Table,
    Json,
    Ndjson,
    Csv,
}

fn spinner(what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}} {{msg}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}

/// The rule files under `paths` as (name, text): folders walked for `.yml`
/// and `.yaml` files, zip archives opened (their entries named
/// `ARCHIVE/PATH`), with a progress bar; files and entries that could not be
/// read are returned as problems.
fn rule_texts(paths: &[PathBuf], label: &str) -> anyhow::Result<(Vec<NamedText>, Vec<Problem>)> {
    let (mut texts, mut problems) = (Vec::new(), Vec::new());
    let bar = spinner(label);
    for path in paths {
        if path.is_file() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let (files, bad) = firebreak_detect::rules::zip_rule_files(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let named = |n: String| format!("{}/{n}", path.display());
            bar.inc_length(files.len() as u64);
            bar.inc(files.len() as u64);
            texts.extend(files.into_iter().map(|(n, t)| (named(n), t)));
            problems.extend(bad.into_iter().map(|p| Problem { file: named(p.file), ..p }));
            continue;
        }
        let files = firebreak_detect::rules::rule_files(path).with_context(|| format!("reading {}", path.display()))?;
        bar.inc_length(files.len() as u64);
        for (name, read) in firebreak_detect::rules::read_texts(&files) {
            match read {
                Ok(text) => texts.push((name, text)),
                Err(e) => problems.push(Problem { file: name, line: 1, reason: e.to_string() }),
            }
        }
        bar.inc(files.len() as u64);
    }
    bar.finish_and_clear();
    Ok((texts, problems))
}

/// Every rule under `paths` (folders, files, zip archives), checked, and
/// compiled unless `compile` is false: a hunt parses, checks and compiles
/// each detection rule when the first event of its log source comes, so
/// what is wrong with one is reported at the end.
pub fn load_rules(paths: &[PathBuf], compile: bool) -> anyhow::Result<Library> {
    let (texts, problems) = rule_texts(paths, "rules")?;
    let mut lib = Library::from_texts(&texts, compile);
    lib.problems.extend(problems);
    Ok(lib)
}

/// The rule files under `paths` (folders, files, zip archives), read, and
/// those that could not be.
pub fn read_rule_files(
    paths: &[PathBuf],
) -> anyhow::Result<(Vec<firebreak_types::RuleFile>, Vec<firebreak_types::RuleProblem>)> {
    let (texts, problems) = rule_texts(paths, "reading rules")?;
    Ok((
        texts.into_iter().map(|(name, content)| firebreak_types::RuleFile { name, content }).collect(),
        problems
            .into_iter()
            .map(|p| firebreak_types::RuleProblem { file: p.file, line: p.line, reason: p.reason })
            .collect(),
    ))
}

/// Prints an import's outcome; exit 2 when a rule was rejected.
pub fn print_import(r: &firebreak_types::RuleImportReport) -> ExitCode {
    for p in &r.rejected {
        eprintln!("rejected: {}:{}: {}", p.file, p.line, p.reason);
    }
    eprintln!(
        "{} rules created, {} updated, {} unchanged, {} rejected",
        r.created,
        r.updated,
        r.unchanged,
        r.rejected.len()
    );
    if r.rejected.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

fn report_problems(lib: &Library) {
    for p in &lib.problems {
        eprintln!("rejected: {p}");
    }
    eprintln!("{} rules loaded, {} rejected", lib.rules.len(), lib.problems.len());
    for (reason, n) in lib.problem_summary() {
        eprintln!("  {n:6}  {reason}");
    }
}

/// `firebreak rules check`: exit 0 when every rule can be used, 2 otherwise.
pub fn check(paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let lib = load_rules(paths, true)?;
    report_problems(&lib);
    Ok(if lib.problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn write_hits(out: &mut impl Write, format: Output, hits: &[Hit]) -> anyhow::Result<()> {
    match format {
        Output::Json => {
            serde_json::to_writer_pretty(&mut *out, hits)?;
            writeln!(out)?;
        }
        Output::Ndjson => {
            let mut ndjson = firebreak_detect::hunt::NdjsonHits::default();
            for h in hits {
                ndjson.write(out, h)?;
            }
        }
        Output::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "time",
                "computer",
                "level",
                "rule_id",
                "rule_title",
                "techniques",
                "file",
                "record",
                "header_record",
            ])?;
            for h in hits {
                let techniques = h.techniques.join(" ");
                // Text from the events and rules is neutralised; the record
                // numbers stay numbers.
                let text = [&h.time, &h.computer, &h.level, &h.rule_id, &h.rule_title, &techniques, &h.file]
                    .map(|c| export_cell(c));
                let record = h.record.to_string();
                let header = h.header_record.map(|n| n.to_string()).unwrap_or_default();
                w.write_record(text.iter().map(|c| c.as_bytes()).chain([record.as_bytes(), header.as_bytes()]))?;
            }
            w.flush()?;
        }
        Output::Table => {
            let rows: Vec<[String; 5]> = hits
                .iter()
                .map(|h| {
                    [
                        h.time.chars().take(19).collect(),
                        h.computer.clone(),
                        h.level.clone(),
                        h.rule_title.clone(),
                        format!(
                            "{}:{}{}",
                            h.file.rsplit('/').next().unwrap_or(&h.file),
                            h.record,
                            h.header_record.map(|n| format!(" (header record {n})")).unwrap_or_default()
                        ),
                    ]
                })
                .collect();
            let head = ["TIME", "COMPUTER", "LEVEL", "RULE", "WHERE"];
            let mut widths = head.map(str::len);
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count()).min(60);
                }
            }
            let line = |cells: [&str; 5]| {
                cells
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| format!("{:<w$}", c.chars().take(w).collect::<String>()))
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            writeln!(out, "{}", line(head).trim_end())?;
            for r in &rows {
                writeln!(out, "{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]).trim_end())?;
            }
        }
    }
    Ok(())
}

/// `firebreak hunt`: exit 0 when nothing matched, 1 when something did, 2
/// when a file could not be read at all.
pub fn hunt(rules: &[PathBuf], pipelines: &[PathBuf], files: &[PathBuf], format: Output) -> anyhow::Result<ExitCode> {
    let pipelines = firebreak_detect::pipeline::load(pipelines).map_err(|e| anyhow::anyhow!("pipeline {e}"))?;
    let lib = load_rules(rules, false)?;
    if !lib.problems.is_empty() {
        report_problems(&lib);
    }
    anyhow::ensure!(!lib.rules.is_empty(), "no usable rule under {}", rules.len());
    let (detector, problems) = Detector::with_pipelines(&lib.rules, &[], &pipelines);
    let (correlator, more) = firebreak_detect::correlate::Correlator::for_files(&lib.rules, &lib.rules, &pipelines);
    // The correlator loads the rules it counts again: say each problem once.
    let mut said = std::collections::HashSet::new();
    for p in problems.iter().chain(&more).filter(|p| said.insert(p.to_string())) {
        eprintln!("rejected: {p}");
    }
    let files = hunt_files(files)?;
    let bar = spinner("events");
    // Files are shared out to one worker per core; each file is read by one.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(files.len().max(1));
    let per_worker: Vec<(Vec<Hit>, u64, u64, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (detector, files, next, bar) = (&detector, &files, &next, &bar);
                scope.spawn(move || {
                    let (mut hits, mut events, mut skipped, mut unreadable) = (Vec::new(), 0u64, 0u64, 0usize);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(f) = files.get(i) else { break };
                        bar.set_message(f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
                        let stats = hunt_file(
                            detector,
                            f,
                            false,
                            |h| hits.push(h),
                            |n| {
                                bar.inc_length(n);
                                bar.inc(n);
                            },
                        );
                        match stats {
                            Ok(s) => {
                                events += s.events;
                                skipped += s.skipped;
                                for w in s.warnings {
                                    bar.suspend(|| eprintln!("warning: {}: {w}", f.display()));
                                }
                            }
                            Err(e) => {
                                unreadable += 1;
                                bar.suspend(|| eprintln!("error: {}: {e}", f.display()));
                            }
                        }
                    }
                    (hits, events, skipped, unreadable)
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut hits = Vec::new();
    let (mut events, mut skipped, mut unreadable) = (0u64, 0u64, 0usize);
    for (h, e, s, u) in per_worker {
        hits.extend(h);
        events += e;
        skipped += s;
        unreadable += u;
    }
    bar.finish_and_clear();
    // Rules compiled as their log sources came that turned out not to.
    let late = detector.late_problems();
    for p in &late {
        eprintln!("rejected: {p}");
    }
    hits.sort_by(|a, b| (&a.time, &a.file, a.record).cmp(&(&b.time, &b.file, b.record)));
    let correlations = correlator.as_ref().map_or(0, |c| c.len());
    if let Some(mut c) = correlator {
        let firings = correlate(&mut c, &hits);
        hits.extend(firings);
        hits.sort_by(|a, b| (&a.time, &a.file, a.record).cmp(&(&b.time, &b.file, b.record)));
    }
    // Buffered: standard output alone writes each line as it ends, a
    // system call per hit.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    write_hits(&mut out, format, &hits)?;
    out.flush()?;
    eprintln!(
        "{} hits from {} events in {} files ({} rules, {} of them compiled for the log sources met; {correlations} correlations; {skipped} damaged records or lines skipped, {unreadable} files unreadable)",
        hits.len(),
        events,
        files.len(),
        detector.rules().len(),
        detector.compiled_count(),
    );
    Ok(if unreadable > 0 {
        ExitCode::from(2)
    } else if hits.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Correlation rules over the hunt's events, across all files in time
/// order. They count the matches of their detection rules, so only the
/// events those rules matched (already among `hits`) are fed, each once.
/// A firing is a hit of the correlation rule: its event holds the group,
/// the value that crossed the threshold, the window and the events behind it.
fn correlate(c: &mut firebreak_detect::correlate::Correlator, hits: &[Hit]) -> Vec<Hit> {
    let mut seen = std::collections::HashSet::new();
    // `hits` are in time order already.
    let fed: Vec<&Hit> =
        hits.iter().filter(|h| c.references(&h.rule_id) && seen.insert((h.file.as_str(), h.record))).collect();
    let mut out = Vec::new();
    for h in fed {
        for f in c.feed(&h.event) {
            let computer = f
                .group
                .iter()
                .find(|(k, _)| matches!(k.as_str(), "Computer" | "host.name" | "hostname"))
                .map_or_else(|| h.computer.clone(), |(_, v)| v.clone());
            out.push(Hit {
                file: h.file.clone(),
                record: h.record,
                header_record: h.header_record,
                time: h.time.clone(),
                computer,
                rule_id: f.rule_id.clone(),
                rule_title: f.title.clone(),
                level: f.level.as_str().to_owned(),
                techniques: firebreak_detect::rules::techniques(&f.tags),
                event: std::sync::Arc::new(serde_json::json!({
                    "correlation": f.kind,
                    "group": f.group.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect::<serde_json::Map<_, _>>(),
                    "value": f.value,
                    "window_secs": f.window_secs,
                    "events": f.events,
                })),
            });
        }
    }
    out
}

/// Prints test results by rule; exit 1 when one failed.
pub fn print_tests(results: &[firebreak_types::RuleTestResult]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let failed = results.iter().filter(|r| !r.passed).count();
    for r in results {
        let mark = if r.passed { "pass" } else { "FAIL" };
        let _ =
            writeln!(out, "{mark}  {}  {}: {} of {} expected matches", r.title, r.name, r.matches, r.expected_matches);
    }
    let rules: std::collections::HashSet<_> = results.iter().map(|r| r.rule_id).collect();
    eprintln!("{} tests of {} rules: {} passed, {failed} failed", results.len(), rules.len(), results.len() - failed);
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// Adds SigmaHQ's regression samples as tests of the library's rules; a
/// sample already imported (by name) is left.
pub async fn import_regression(
    state: &firebreak_app::App,
    org: uuid::Uuid,
    sigma: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use firebreak_app::detection;
    let (samples, problems) = firebreak_detect::regression::samples(sigma);
    for p in &problems {
        eprintln!("warning: {p}");
    }
    anyhow::ensure!(!samples.is_empty(), "no regression sample under {}", sigma.join("regression_data").display());
    let ctx = firebreak_store::WriteCtx { actor: firebreak_store::Actor::System, now: state.now() };
    let rules = detection::matching(state, org, &firebreak_types::RuleQuery::default())
        .await
        .map_err(|e| anyhow::anyhow!(e.body().message))?;
    let by_sigma: std::collections::HashMap<&str, uuid::Uuid> =
        rules.iter().map(|r| (r.sigma_id.as_str(), r.id)).collect();
    let bar = spinner("samples");
    bar.set_length(samples.len() as u64);
    let (mut added, mut present, mut no_rule) = (0, 0, 0);
    for s in &samples {
        bar.inc(1);
        let Some(rule) = by_sigma.get(s.rule_id.as_str()) else {
            no_rule += 1;
            continue;
        };
        let name = format!(
            "SigmaHQ regression sample {}",
            s.evtx.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        );
        let existing = detection::tests_as(state, org, *rule).await.map_err(|e| anyhow::anyhow!(e.body().message))?;
        if existing.iter().any(|t| t.name == name) {
            present += 1;
            continue;
        }
        let mut events = Vec::new();
        if let Err(e) = firebreak_detect::hunt::read_evtx(&s.evtx, |_, v| events.push(v)) {
            bar.suspend(|| eprintln!("warning: {}: {e}", s.evtx.display()));
            continue;
        }
        // Without a stated count, a sample must match at least once.
        let stated = firebreak_detect::regression::expected(s);
        let expected = stated.unwrap_or(1).min(events.len() as u64);
        let new = firebreak_types::NewRuleTest { name, events, expected_matches: expected, at_least: stated.is_none() };
        detection::add_test_as(state, &ctx, org, *rule, new).await.map_err(|e| anyhow::anyhow!(e.body().message))?;
        added += 1;
    }
    bar.finish_and_clear();
    eprintln!("{added} tests added, {present} already there, {no_rule} samples of rules not in the library");
    Ok(ExitCode::SUCCESS)
}
