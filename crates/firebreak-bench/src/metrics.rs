//! `cargo run --release -p firebreak-bench -- metrics` seeds one organisation
//! with a year of alerts (a million by default) and cases (100,000), with
//! their triage and response times, response actions and stakeholder
//! updates (in bulk, straight into the tables: the seeding is not what is
//! measured), then times every dashboard panel's query as the pages compute
//! it (`dashboards::panel_table`), over the default period (the last 30
//! days) and over a quarter (the last 90 days, as reports use).
//!
//! It prints, per panel, the rows returned and the median and slowest of
//! `--runs` runs after one warm-up, then the slowest panel and whether every
//! panel stays under the 200 ms target.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use firebreak_app::bootstrap::{Bootstrap, ensure_root};
use firebreak_app::clock::SystemClock;
use firebreak_app::dashboards::{DASHBOARDS, panel_table};
use firebreak_domain::case::DEFAULT_CATEGORIES;
use firebreak_domain::clock::{Clock, from_millis, to_millis};
use firebreak_server::{AppState, ServerSettings};
use firebreak_store::{OpenOptions, SqlStore, Store};
use firebreak_types::{
    ActionKind, ActionStatus, Audience, Channel, Communication, Direction, PauseSpan, ResponseAction,
};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::{Lcg, PASSWORD, bar};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
const YEAR: i64 = 365 * DAY;
/// Rows per INSERT statement (and per transaction).
const BATCH: usize = 1_000;
/// The dashboards' target, per panel.
const TARGET_MS: f64 = 200.0;

/// What `firebreak-bench metrics` was asked for.
pub(crate) struct Args {
    pub alerts: u64,
    pub cases: u64,
    pub database_url: Option<String>,
    pub runs: usize,
    pub keep: bool,
}

/// Alert sources and their share of the alerts.
const SOURCES: &[(&str, f64)] = &[
    ("wazuh", 30.0),
    ("crowdstrike", 20.0),
    ("sentinel", 15.0),
    ("splunk", 12.0),
    ("suricata", 10.0),
    ("guardduty", 6.0),
    ("defender", 5.0),
    ("okta", 2.0),
];

/// Detection rules: each base in each context, 60 in all.
const RULE_BASES: &[&str] = &[
    "Brute force logon",
    "Password spray",
    "Suspicious PowerShell",
    "Encoded command line",
    "New service installed",
    "Scheduled task created",
    "LSASS memory access",
    "Credential dumping tool",
    "Impossible travel",
    "MFA push fatigue",
    "Port scan",
    "DNS tunnelling",
    "C2 beaconing",
    "Large outbound transfer",
    "Admin share access",
    "RDP from the internet",
    "Known malware hash",
    "Ransomware note written",
    "Shadow copies deleted",
    "Office macro spawned a shell",
];
const RULE_CONTEXTS: &[&str] = &["workstation", "server", "cloud"];

const SEVERITIES: &[&str] = &["low", "medium", "high", "critical"];
const PRIORITIES: &[&str] = &["P1", "P2", "P3", "P4"];
/// Impact and urgency that give each priority.
const IMPACT_URGENCY: &[(&str, &str)] = &[("high", "high"), ("high", "medium"), ("medium", "medium"), ("low", "low")];
const CONTACTS: &[&str] = &["CISO", "Legal", "IT operations", "Business owner", "Communications"];

/// A deterministic generator of the distributions the seed needs.
struct Rng(Lcg);

impl Rng {
    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.0.next() as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A span of `lo` to `hi` ms, log-uniform: most short, a long tail.
    fn span(&mut self, lo: i64, hi: i64) -> i64 {
        let (a, b) = ((lo.max(1) as f64).ln(), (hi.max(2) as f64).ln());
        (a + self.unit() * (b - a)).exp() as i64
    }

    /// An index drawn from cumulative weights.
    fn pick(&mut self, cumulative: &[f64]) -> usize {
        let x = self.unit() * cumulative.last().copied().unwrap_or(0.0);
        cumulative.partition_point(|c| *c <= x).min(cumulative.len().saturating_sub(1))
    }
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    weights
        .into_iter()
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

/// `n` moments of the year before `now`, oldest first: more in working
/// hours than at night, fewer at weekends.
fn moments(rng: &mut Rng, n: u64, now: i64) -> Vec<i64> {
    let mut v = Vec::with_capacity(n as usize);
    while (v.len() as u64) < n {
        let t = now - 1 - (rng.unit() * YEAR as f64) as i64;
        let hour = t.rem_euclid(DAY) / HOUR;
        let weekday = (t.div_euclid(DAY) + 3).rem_euclid(7);
        let mut w = if (8..19).contains(&hour) { 1.0 } else { 0.35 };
        if weekday >= 5 {
            w *= 0.5;
        }
        if rng.chance(w) {
            v.push(t);
        }
    }
    v.sort_unstable();
    v
}

fn int(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

fn text(v: Option<&str>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| format!("'{}'", v.replace('\'', "''")))
}

fn rfc3339(ms: i64) -> anyhow::Result<String> {
    Ok(from_millis(ms).format(&time::format_description::well_known::Rfc3339)?)
}

pub(crate) async fn bench_metrics(a: Args) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir()?;
    let (url, schema) = match a.database_url.as_deref() {
        Some(base) if base.starts_with("postgres") => {
            let (schema, url) = create_schema(base).await?;
            (url, Some((base.to_owned(), schema)))
        }
        Some(other) => (other.to_owned(), None),
        None => (format!("sqlite://{}", dir.path().join("bench.db").display()), None),
    };
    let result = run(&a, &url, dir.path()).await;
    if a.keep {
        match &schema {
            Some((_, s)) => println!("kept the PostgreSQL schema {s} ({url})"),
            None if a.database_url.is_none() => println!("kept {}", dir.keep().join("bench.db").display()),
            None => {}
        }
    } else if let Some((base, s)) = schema
        && let Err(e) = drop_schema(&base, &s).await
    {
        println!("could not drop the schema {s}: {e:#}");
    }
    result
}

/// A fresh schema in the database at `base`; the URL that works in it.
async fn create_schema(base: &str) -> anyhow::Result<(String, String)> {
    let schema = format!("fb_bench_{}", Uuid::new_v4().simple());
    let pool = AnyPool::connect(base).await.context("connecting to PostgreSQL")?;
    sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await?;
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Ok((schema, url))
}

async fn drop_schema(base: &str, schema: &str) -> anyhow::Result<()> {
    let pool = AnyPool::connect(base).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '10s'").execute(&mut *tx).await?;
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).execute(&mut *tx).await?;
    tx.commit().await?;
    pool.close().await;
    Ok(())
}

async fn run(a: &Args, url: &str, dir: &Path) -> anyhow::Result<()> {
    let clock = SystemClock;
    // The schema and the root organisation, as `firebreak serve` makes them.
    let store = SqlStore::open(url, &OpenOptions::default()).await.context("opening the database")?;
    let org = match ensure_root(&store, Some(PASSWORD), clock.now()).await? {
        Bootstrap::Existing { root_org } | Bootstrap::Created { root_org, .. } => root_org,
    };
    let backend = store.backend().name();
    store.close().await;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "firebreak-bench metrics: {backend}, {cores} cores; {} alerts and {} cases over the last 365 days, \
         one organisation",
        a.alerts, a.cases
    );

    let pool = AnyPool::connect(url).await?;
    let started = Instant::now();
    let seeded = seed(&pool, org, a.alerts, a.cases, to_millis(clock.now()), backend == "postgres").await?;
    pool.close().await;
    println!("seeded in {:.1} s: {seeded}", started.elapsed().as_secs_f64());

    // The server's state on the seeded database (opened afresh, so it reads the new statistics).
    let store = SqlStore::open(url, &OpenOptions::default()).await.context("opening the database")?;
    let settings = firebreak_app::AppSettings { files_dir: dir.join("files"), ..Default::default() };
    let state = AppState::new(
        firebreak_app::App::new(Arc::new(store.clone()), Arc::new(SystemClock), settings, org),
        ServerSettings::default(),
    );
    for (days, what) in [(30, "the default period, the last 30 days"), (90, "a quarter, the last 90 days")] {
        let to = clock.now();
        let from = to - time::Duration::days(days);
        println!();
        println!(
            "{what} ({} to {}), {} runs per panel after a warm-up:",
            rfc3339(to_millis(from))?,
            rfc3339(to_millis(to))?,
            a.runs.max(1)
        );
        time_panels(&state, org, from, to, a.runs.max(1)).await?;
    }
    store.close().await;
    Ok(())
}

/// One panel's timings.
struct Timed {
    dashboard: &'static str,
    panel: String,
    rows: usize,
    median: f64,
    max: f64,
}

async fn time_panels(
    state: &AppState,
    org: Uuid,
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
    runs: usize,
) -> anyhow::Result<()> {
    let mut all = Vec::new();
    for d in DASHBOARDS {
        for p in d.panels {
            let panel = match p.group_by {
                Some(g) => format!("{} by {g}", p.metric),
                None => p.metric.to_owned(),
            };
            let compute = || async {
                panel_table(state, org, p, from, to).await.map_err(|e| anyhow::anyhow!("{} / {panel}: {e}", d.slug))
            };
            compute().await?;
            let mut samples: Vec<Duration> = Vec::with_capacity(runs);
            let mut rows = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let table = compute().await?;
                samples.push(t.elapsed());
                rows = table.rows.len();
            }
            samples.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let median = samples.get(samples.len() / 2).copied().map_or(0.0, ms);
            let max = samples.last().copied().map_or(0.0, ms);
            all.push(Timed { dashboard: d.slug, panel, rows, median, max });
        }
    }
    println!("  {:<10} {:<32} {:>6} {:>10} {:>10}", "dashboard", "panel", "rows", "median ms", "max ms");
    for t in &all {
        println!("  {:<10} {:<32} {:>6} {:>10.2} {:>10.2}", t.dashboard, t.panel, t.rows, t.median, t.max);
    }
    if let Some(s) = all.iter().max_by(|a, b| a.median.total_cmp(&b.median)) {
        println!("  slowest: {} / {}: median {:.2} ms, max {:.2} ms", s.dashboard, s.panel, s.median, s.max);
    }
    let over: Vec<String> =
        all.iter().filter(|t| t.max >= TARGET_MS).map(|t| format!("{} / {}", t.dashboard, t.panel)).collect();
    let total: f64 = all.iter().map(|t| t.median).sum();
    println!("  all {} panels, one after another: {total:.1} ms (sum of medians)", all.len());
    if over.is_empty() {
        println!("  every panel under the {TARGET_MS:.0} ms target (every run): yes");
    } else {
        println!("  every panel under the {TARGET_MS:.0} ms target (every run): NO, over it: {}", over.join(", "));
    }
    Ok(())
}

/// What the seed wrote.
pub(crate) struct Seeded {
    alerts: u64,
    cases: u64,
    open: u64,
    actions: u64,
    updates: u64,
}

impl std::fmt::Display for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} alerts, {} cases ({} open), {} response actions, {} stakeholder updates",
            self.alerts, self.cases, self.open, self.actions, self.updates
        )
    }
}

/// Runs multi-row INSERTs, `BATCH` rows and one transaction each.
async fn insert(pool: &AnyPool, head: &str, rows: &[String]) -> anyhow::Result<()> {
    for chunk in rows.chunks(BATCH) {
        let mut sql = String::with_capacity(head.len() + chunk.iter().map(|r| r.len() + 1).sum::<usize>());
        sql.push_str(head);
        sql.push_str(&chunk.join(","));
        let mut tx = pool.begin().await?;
        sqlx::query(&sql).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

const CASE_HEAD: &str = "INSERT INTO cases (id, org_id, number, title, title_key, description, severity, \
    severity_rank, impact, urgency, priority, category, tlp, pap, tags, assignee_id, tier, state, resolution, summary, \
    review_status, review_waiver_reason, custom_fields, merged_into, created_at, updated_at, closed_at, \
    acknowledged_at, contained_at, waiting_reason, pauses, recovered_at, detected_at, first_activity_at, source, \
    team_id) VALUES ";
const ITEM_HEAD: &str = "INSERT INTO items (id, org_id, kind, case_id, parent_id, item_key, status, assignee_id, \
    due_at, at, body, created_at, updated_at, version) VALUES ";
const ALERT_HEAD: &str = "INSERT INTO alerts (id, org_id, source, source_ref, kind, title, title_key, description, \
    severity, severity_rank, event_time, tags, tlp, pap, observables, custom_fields, raw, state, occurrences, \
    first_seen, last_seen, assignee_id, acknowledged_at, disposition, disposition_reason, case_id, closed_at, assets, \
    triage_rank, rule, group_id) VALUES ";
/// The migration's backfill of the hourly counts.
const COUNTS_BACKFILL: &str = "INSERT INTO alert_counts (org_id, hour, source, rule, severity, alerts) \
    SELECT org_id, (first_seen / 3600000) * 3600000, source, COALESCE(rule, ''), severity, COUNT(*) \
    FROM alerts GROUP BY org_id, (first_seen / 3600000) * 3600000, source, COALESCE(rule, ''), severity";

pub(crate) async fn seed(
    pool: &AnyPool,
    org: Uuid,
    n_alerts: u64,
    n_cases: u64,
    now: i64,
    postgres: bool,
) -> anyhow::Result<Seeded> {
    let mut rng = Rng(Lcg(0x5eed_0ff1_eb4e_ac00));
    let org_s = org.to_string();

    // Cases, with their response actions and stakeholder updates.
    let b = bar(n_cases, "cases");
    let created = moments(&mut rng, n_cases, now);
    let mut case_ids: Vec<Uuid> = Vec::with_capacity(created.len());
    let (mut open, mut actions, mut updates) = (0, 0, 0);
    let mut rows = Vec::with_capacity(BATCH);
    let mut items = Vec::new();
    let sources = cumulative(SOURCES.iter().map(|s| s.1));
    let case_severity = cumulative([0.25, 0.40, 0.25, 0.10]);
    let category_weights = cumulative(DEFAULT_CATEGORIES.iter().map(|c| match *c {
        "phishing" => 30.0,
        "malware" => 25.0,
        "unauthorised_access" => 15.0,
        "policy_violation" => 10.0,
        "data_exposure" => 7.0,
        "denial_of_service" => 5.0,
        "insider" => 3.0,
        _ => 5.0,
    }));
    let action_kinds = cumulative(ActionKind::ALL.iter().map(|k| match k {
        ActionKind::IsolateHost => 30.0,
        ActionKind::BlockIndicator => 25.0,
        ActionKind::ResetCredentials => 20.0,
        ActionKind::DisableAccount => 10.0,
        ActionKind::Patch => 8.0,
        ActionKind::RestoreFromBackup => 2.0,
        ActionKind::Other => 5.0,
    }));
    for (i, &created_at) in created.iter().enumerate() {
        let id = Uuid::now_v7();
        let number = i as i64 + 1;
        let age_days = (now - created_at) as f64 / DAY as f64;
        let sev = rng.pick(&case_severity);
        let prio = match (3 - sev as i64) + [-1, 0, 0, 0, 0, 0, 0, 0, 1][rng.below(9)] {
            p if p < 0 => 0,
            p if p > 3 => 3,
            p => p as usize,
        };
        let (impact, urgency) = IMPACT_URGENCY[prio];
        let category = DEFAULT_CATEGORIES[rng.pick(&category_weights)];
        let from_alert = rng.chance(0.7);
        let source = from_alert.then(|| SOURCES[rng.pick(&sources)].0);
        let detected = from_alert.then(|| created_at - rng.span(MINUTE, 2 * DAY));
        let first_activity = rng.chance(0.2).then(|| detected.unwrap_or(created_at) - rng.span(HOUR, 30 * DAY));

        // Its life as it would have gone; cut at `now` if it is still open.
        let mut ack = Some(created_at + rng.span(MINUTE, 4 * HOUR));
        let mut contained = rng.chance(0.6).then(|| created_at + rng.span(30 * MINUTE, 3 * DAY));
        if let (Some(c), Some(a)) = (contained, ack) {
            contained = Some(c.max(a + MINUTE));
        }
        let resolved = contained.or(ack).unwrap_or(created_at) + rng.span(HOUR, 14 * DAY);
        let mut recovered =
            contained.filter(|_| rng.chance(0.7)).map(|c| c + ((resolved - c) as f64 * rng.unit()) as i64);
        let ended = created_at + rng.span(10 * MINUTE, 2 * DAY);
        let still_open = rng.chance(0.7 * (-age_days / 20.0).exp() + 0.012);
        let roll = rng.unit();
        let (mut state, mut closed, mut resolution, mut merged_into) = ("closed", Some(resolved), None, None);
        if still_open || resolved > now || (roll < 0.03 && ended > now) {
            open += 1;
            closed = None;
            ack = ack.filter(|t| *t <= now);
            contained = contained.filter(|t| *t <= now);
            recovered = None;
            state = match (ack, contained) {
                (None, _) => "new",
                (Some(_), None) => ["analysis", "analysis", "containment"][rng.below(3)],
                (Some(_), Some(c)) => {
                    let s = ["eradication", "recovery", "review"][rng.below(3)];
                    if s == "review" {
                        recovered = Some(c + ((now - c) as f64 * rng.unit()) as i64);
                    }
                    s
                }
            };
        } else if roll < 0.02 {
            state = "cancelled";
            closed = Some(ended);
            contained = None;
            recovered = None;
        } else if roll < 0.03 && i > 0 {
            state = "merged";
            closed = Some(ended);
            contained = None;
            recovered = None;
            merged_into = Some(case_ids[rng.below(i)].to_string());
        } else {
            resolution = Some(
                ["true_positive", "true_positive", "true_positive", "false_positive", "benign", "duplicate"]
                    [rng.below(6)],
            );
        }
        let ack = ack.filter(|a| closed.is_none_or(|c| *a <= c));
        // Time waiting on others: a closed span on some closed cases, an open one on some open cases.
        let mut pauses = Vec::new();
        let mut waiting = None;
        match (state, ack, closed) {
            ("closed", Some(a), Some(c)) if rng.chance(0.1) => {
                let start = a + ((c - a) as f64 * rng.unit() * 0.5) as i64;
                let end = (start + rng.span(30 * MINUTE, 2 * DAY)).min(c);
                pauses.push(PauseSpan { start: from_millis(start), end: Some(from_millis(end)) });
            }
            (_, Some(a), None) if rng.chance(0.1) => {
                pauses.push(PauseSpan { start: from_millis(a + (now - a) / 2), end: None });
                waiting = Some("Waiting on the business owner");
            }
            _ => {}
        }
        let updated = [closed, recovered, contained, ack].into_iter().flatten().max().unwrap_or(created_at);
        let title = format!("{} on host-{:05}", category.replace('_', " "), rng.below(20_000));
        let tier = ["L1", "L1", "L1", "L2", "L2", "L3"][rng.below(6)];
        let review = if state == "closed" && rng.chance(0.8) { "completed" } else { "not_started" };
        rows.push(format!(
            "('{id}', '{org_s}', {number}, {t}, {tk}, 'Seeded for the metrics benchmark.', '{sev_s}', {sev_rank}, \
             '{impact}', '{urgency}', '{prio_s}', '{category}', 'amber', 'amber', '[]', NULL, '{tier}', '{state}', \
             {resolution}, '', '{review}', NULL, '{{}}', {merged}, {created_at}, {updated}, {closed}, {ack}, \
             {contained}, {waiting}, {pauses}, {recovered}, {detected}, {first_activity}, {source}, NULL)",
            t = text(Some(&title)),
            tk = text(Some(&title.to_lowercase())),
            sev_s = SEVERITIES[sev],
            sev_rank = sev + 1,
            prio_s = PRIORITIES[prio],
            resolution = text(resolution),
            merged = text(merged_into.as_deref()),
            closed = int(closed),
            ack = int(ack),
            contained = int(contained),
            waiting = text(waiting),
            pauses = text(Some(&serde_json::to_string(&pauses)?)),
            recovered = int(recovered),
            detected = int(detected),
            first_activity = int(first_activity),
            source = text(source),
        ));
        case_ids.push(id);

        // Two response actions on 30% of the cases.
        if rng.chance(0.3) {
            for _ in 0..2 {
                let requested = ack.unwrap_or(created_at) + rng.span(10 * MINUTE, DAY);
                if requested > now || closed.is_some_and(|c| requested > c) {
                    continue;
                }
                let kind = ActionKind::ALL[rng.pick(&action_kinds)];
                let status = if closed.is_some() {
                    [
                        ActionStatus::Done,
                        ActionStatus::Done,
                        ActionStatus::Done,
                        ActionStatus::Failed,
                        ActionStatus::RolledBack,
                    ][rng.below(5)]
                } else {
                    [ActionStatus::Requested, ActionStatus::InProgress, ActionStatus::Done][rng.below(3)]
                };
                let done = (status != ActionStatus::Requested && status != ActionStatus::InProgress)
                    .then(|| requested + rng.span(5 * MINUTE, 6 * HOUR))
                    .filter(|t| *t <= now);
                let started = (status != ActionStatus::Requested).then(|| requested + MINUTE).filter(|t| *t <= now);
                let updated = done.or(started).unwrap_or(requested);
                let action = ResponseAction {
                    id: Uuid::now_v7(),
                    case_id: id,
                    kind,
                    target: format!("host-{:05}", rng.below(20_000)),
                    observable_id: None,
                    owner_id: None,
                    status,
                    note: String::new(),
                    requested_at: from_millis(requested),
                    started_at: started.map(from_millis),
                    done_at: done.map(from_millis),
                    updated_at: from_millis(updated),
                };
                items.push(format!(
                    "('{}', '{org_s}', 'response_action', '{id}', NULL, '{}', '{}', NULL, NULL, {requested}, {}, \
                     {requested}, {updated}, 1)",
                    action.id,
                    kind.as_str(),
                    status.as_str(),
                    text(Some(&serde_json::to_string(&action)?)),
                ));
                actions += 1;
            }
        }
        // A stakeholder update with the next one due on 20% of the cases.
        let at = created_at + rng.span(30 * MINUTE, 2 * DAY);
        if rng.chance(0.2) && at <= now {
            let due = at + [4 * HOUR, 8 * HOUR, DAY][rng.below(3)];
            let roll = rng.unit();
            let answered = if due > now {
                None
            } else if roll < 0.75 {
                Some((due - rng.span(MINUTE, 2 * HOUR)).max(at + MINUTE))
            } else if roll < 0.95 {
                Some(due + rng.span(10 * MINUTE, 12 * HOUR)).filter(|t| *t <= now)
            } else {
                None
            };
            let contact = CONTACTS[rng.below(CONTACTS.len())];
            let c = Communication {
                id: Uuid::now_v7(),
                case_id: id,
                contact: contact.to_owned(),
                channel: if rng.chance(0.7) { Channel::Update } else { Channel::Email },
                direction: Direction::Outbound,
                summary: "Status update: scope, impact and next steps.".to_owned(),
                asked: String::new(),
                audience: Some(if rng.chance(0.6) { Audience::Executive } else { Audience::Technical }),
                by: "bench".to_owned(),
                at: from_millis(at),
                next_update_due: Some(from_millis(due)),
                reminded: answered.is_none() && due < now,
                superseded: answered.is_some(),
                answered_at: answered.map(from_millis),
            };
            // As the server indexes it.
            let status = if !c.reminded && !c.superseded { "pending" } else { "done" };
            let updated = answered.unwrap_or(at);
            items.push(format!(
                "('{}', '{org_s}', 'communication', '{id}', NULL, '{}', '{status}', NULL, {due}, {at}, {}, {at}, \
                 {updated}, 1)",
                c.id,
                contact.to_lowercase(),
                text(Some(&serde_json::to_string(&c)?)),
            ));
            updates += 1;
        }
        if rows.len() == BATCH || i + 1 == created.len() {
            insert(pool, CASE_HEAD, &rows).await?;
            rows.clear();
            b.set_position(i as u64 + 1);
        }
    }
    sqlx::query(&format!(
        "INSERT INTO case_counters (org_id, last) VALUES ('{org_s}', {n_cases}) \
         ON CONFLICT (org_id) DO UPDATE SET last = {n_cases}"
    ))
    .execute(pool)
    .await?;
    b.finish_and_clear();
    let b = bar(items.len() as u64, "response actions and updates");
    for (n, chunk) in items.chunks(BATCH * 10).enumerate() {
        insert(pool, ITEM_HEAD, chunk).await?;
        b.set_position(((n + 1) * BATCH * 10).min(items.len()) as u64);
    }
    b.finish_and_clear();
    drop(items);

    // Alerts: a few noisy rules, most closed as false positives.
    let b = bar(n_alerts, "alerts");
    let first_seen = moments(&mut rng, n_alerts, now);
    let rules: Vec<String> =
        RULE_CONTEXTS.iter().flat_map(|c| RULE_BASES.iter().map(move |r| format!("{r} ({c})"))).collect();
    // Zipf-like: the first rules raise most of the alerts, in an order unrelated to their names.
    let rule_weights = cumulative((0..rules.len()).map(|k| 1.0 / ((k + 1) as f64).powf(1.2)));
    let rule_order: Vec<usize> = (0..rules.len()).map(|k| (k * 37 + 11) % rules.len()).collect();
    let alert_severity = cumulative([0.40, 0.35, 0.20, 0.05]);
    let dispositions = ["false_positive", "benign_true_positive", "duplicate"];
    for (i, &seen) in first_seen.iter().enumerate() {
        let rank = rng.pick(&rule_weights);
        let rule = (!rng.chance(0.02)).then(|| rules[rule_order[rank]].as_str());
        // Each rule comes from one source; alerts without a rule from any.
        let source = match rule {
            Some(_) => SOURCES[(rank * 5 + 1) % SOURCES.len()].0,
            None => SOURCES[rng.pick(&sources)].0,
        };
        let sev = rng.pick(&alert_severity);
        let event_time = seen - rng.span(1_000, 10 * MINUTE);
        let (occurrences, last_seen) =
            if rng.chance(0.1) { (2 + rng.below(19), (seen + rng.span(MINUTE, 2 * DAY)).min(now)) } else { (1, seen) };
        let ack = seen + rng.span(2 * MINUTE, 6 * HOUR);
        let closed = ack + rng.span(MINUTE, 3 * HOUR);
        let roll = rng.unit();
        let (mut state, mut ack_at, mut closed_at, mut disposition, mut case_id) = ("new", None, None, None, None);
        if roll < 0.86 && closed <= now {
            ack_at = Some(ack);
            closed_at = Some(closed);
            if roll < 0.03 {
                state = "escalated";
                // Into the case opened next, or a new one not seeded.
                let next = created.partition_point(|c| *c < closed);
                case_id = case_ids.get(next).filter(|_| rng.chance(0.5)).map(Uuid::to_string);
            } else if roll < 0.85 {
                state = "closed";
                let fp = if rank < 5 { 0.92 } else { 0.65 };
                disposition =
                    Some(if rng.chance(fp) { dispositions[0] } else { dispositions[1 + usize::from(rng.chance(0.3))] });
            } else {
                state = "in_triage";
                closed_at = None;
            }
        } else if roll < 0.86 && ack <= now {
            state = "in_triage";
            ack_at = Some(ack);
        }
        let host = rng.below(20_000);
        let title = format!("{} on host-{host:05}", rule.unwrap_or("Unmatched event"));
        rows.push(format!(
            "('{id}', '{org_s}', '{source}', 'bench-{i}', 'detection', {t}, {tk}, 'Seeded for the metrics benchmark.', \
             '{sev_s}', {sev_rank}, {event_time}, '[]', 'amber', 'amber', '[]', '{{}}', '{{}}', '{state}', \
             {occurrences}, {seen}, {last_seen}, NULL, {ack}, {disposition}, {reason}, {case}, {closed}, '[]', \
             {sev_rank}, {rule}, NULL)",
            id = Uuid::now_v7(),
            t = text(Some(&title)),
            tk = text(Some(&title.to_lowercase())),
            sev_s = SEVERITIES[sev],
            sev_rank = sev + 1,
            ack = int(ack_at),
            disposition = text(disposition),
            reason = text(disposition.map(|_| "Triaged in the benchmark.")),
            case = text(case_id.as_deref()),
            closed = int(closed_at),
            rule = text(rule),
        ));
        if rows.len() == BATCH || i + 1 == first_seen.len() {
            insert(pool, ALERT_HEAD, &rows).await?;
            rows.clear();
            b.set_position(i as u64 + 1);
        }
    }
    b.finish_and_clear();

    let b = bar(1, "hourly counts and statistics");
    sqlx::query(COUNTS_BACKFILL).execute(pool).await?;
    // Fresh statistics, as a database that has lived would have (and, on
    // PostgreSQL, the visibility map autovacuum keeps, for index-only scans).
    if postgres {
        for table in ["alerts", "alert_counts", "cases", "items", "case_counters"] {
            sqlx::query(&format!("VACUUM (ANALYZE) {table}")).execute(pool).await?;
        }
    } else {
        sqlx::query("ANALYZE").execute(pool).await?;
    }
    b.finish_and_clear();
    Ok(Seeded { alerts: n_alerts, cases: n_cases, open, actions, updates })
}
