//! Metrics as tables: each metric of `firebreak_domain::metrics::CATALOGUE`
//! computed for a period, from the store's indexed queries, as the rows a
//! chart draws and a CSV export carries.

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::clock::{from_millis, to_millis};
use firebreak_domain::metrics::{
    self as def, AGE_BUCKETS, Cadence, Kind as MetricKind, Metric, Stats, WEEKDAYS, cadence, check_group, check_period,
    false_positive_rate, ratio,
};
use firebreak_domain::permission::Action;
use firebreak_domain::sla::{Pause, read};
use firebreak_store::DurationQuery;
use firebreak_types::{
    ActionStatus, CaseState, Communication, ErrorCode, MetricColumn, MetricInfo, MetricQuery, MetricTable, Priority,
    Team,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Kind};

/// Days are labelled as the clock module writes them (coverage records
/// use the same labels).
pub use crate::clock::day;

/// The default period: the 30 days before `to`.
pub const DEFAULT_DAYS: i64 = 30;

/// Days since the epoch (as the store groups them) to `YYYY-MM-DD`.
fn day_label(days: &str) -> String {
    days.parse::<i64>().map_or_else(|_| days.to_owned(), |d| crate::clock::day(from_millis(d * 86_400_000)))
}

/// The catalogue, for `GET /api/v1/metrics` and the docs page.
pub fn catalogue() -> Vec<MetricInfo> {
    def::CATALOGUE
        .iter()
        .map(|m| MetricInfo {
            name: m.name.to_owned(),
            title: m.title.to_owned(),
            definition: m.definition.to_owned(),
            group_by: m.group_by.iter().map(|g| (*g).to_owned()).collect(),
        })
        .collect()
}

/// A checked request: the metric, its period and breakdown.
pub struct Request {
    pub metric: &'static Metric,
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    pub group: Option<String>,
    pub filters: Vec<(String, String)>,
}

/// Checks a request: a known metric, `from` before `to`, a breakdown the metric accepts.
pub fn request(name: &str, q: &MetricQuery, now: OffsetDateTime) -> AppResult<Request> {
    let metric = def::metric(name).ok_or_else(|| AppError::not_found("metric"))?;
    let to = q.to.unwrap_or(now);
    let from = q.from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
    let bad = |e: def::QueryError| AppError::field(ErrorCode::InvalidField, e.field(), e.to_string());
    check_period(from, to).map_err(bad)?;
    let group = q.group_by.as_deref().map(str::trim).filter(|g| !g.is_empty());
    check_group(metric, group).map_err(bad)?;
    let mut filters = Vec::new();
    for (dim, v) in [
        ("severity", &q.severity),
        ("priority", &q.priority),
        ("category", &q.category),
        ("source", &q.source),
        ("team", &q.team),
        ("rule", &q.rule),
    ] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            filters.push((dim.to_owned(), v.to_owned()));
        }
    }
    Ok(Request { metric, from, to, group: group.map(str::to_owned), filters })
}

/// The metric `name` for the caller's organisation.
pub async fn get(state: &App, caller: &Caller, name: &str, q: &MetricQuery) -> AppResult<MetricTable> {
    caller.require(Action::MetricsRead)?;
    let r = request(name, q, state.clock.now())?;
    compute(state, caller.org_id(), &r).await
}

fn cols(spec: &[(&str, &str)]) -> Vec<MetricColumn> {
    spec.iter().map(|(n, u)| MetricColumn { name: (*n).to_owned(), unit: (*u).to_owned() }).collect()
}

fn none_label(v: String) -> String {
    if v.is_empty() { "(none)".to_owned() } else { v }
}

fn stats_row(stats: &Stats) -> Vec<Value> {
    vec![json!(stats.count), json!(stats.mean), json!(stats.median), json!(stats.p90)]
}

/// Computes one metric.
pub async fn compute(state: &App, org: Uuid, r: &Request) -> AppResult<MetricTable> {
    let (from, to) = (to_millis(r.from), to_millis(r.to));
    let now = state.clock.now();
    let group = r.group.as_deref();
    let mut table = MetricTable {
        metric: r.metric.name.to_owned(),
        title: r.metric.title.to_owned(),
        definition: r.metric.definition.to_owned(),
        from: r.from,
        to: r.to,
        group_by: r.group.clone(),
        columns: Vec::new(),
        rows: Vec::new(),
    };
    let store = &state.store;
    match (r.metric.kind, r.metric.name) {
        (MetricKind::Duration(interval), _) => {
            let q = DurationQuery { interval, from, to, group: r.group.clone(), filters: r.filters.clone() };
            let rows = store.duration_stats(org, &q).await?;
            let stat_cols = [("count", "count"), ("mean", "seconds"), ("median", "seconds"), ("p90", "seconds")];
            match group {
                None => {
                    table.columns = cols(&stat_cols);
                    let stats = rows.first().map_or(Stats::EMPTY, |r| r.stats);
                    table.rows.push(stats_row(&stats));
                }
                Some(g) => {
                    let mut spec = vec![(g, "text")];
                    spec.extend(stat_cols);
                    table.columns = cols(&spec);
                    let teams = team_names(state, org, g).await?;
                    for row in rows {
                        let label = label(g, row.group.unwrap_or_default(), &teams);
                        let mut cells = vec![json!(label)];
                        cells.extend(stats_row(&row.stats));
                        table.rows.push(cells);
                    }
                }
            }
        }
        (_, "sla") | (_, "sla_breaches") => sla(state, org, r, &mut table).await?,
        (_, "alert_volume") => {
            let g = group.unwrap_or("day");
            let counts = store.alert_volume(org, from, to, g, &r.filters).await?;
            volume(&mut table, r, g, "alerts", counts);
        }
        (_, "alert_heatmap") => {
            table.columns = cols(&[("weekday", "text"), ("hour", "count"), ("alerts", "count")]);
            let cells: HashMap<(i64, i64), i64> =
                store.alert_heatmap(org, from, to).await?.into_iter().map(|(d, h, n)| ((d, h), n)).collect();
            for (d, name) in WEEKDAYS.iter().enumerate() {
                for h in 0..24 {
                    let n = cells.get(&(d as i64, h)).copied().unwrap_or(0);
                    table.rows.push(vec![json!(name), json!(h), json!(n)]);
                }
            }
        }
        (_, "alert_to_case") => {
            table.columns =
                cols(&[("alerts", "count"), ("cases", "count"), ("alerts_per_case", "ratio"), ("escalated", "count")]);
            let alerts: i64 = store.alert_volume(org, from, to, "none", &[]).await?.iter().map(|(_, n)| n).sum();
            let cases: i64 = store.case_volume(org, from, to, "none", &[]).await?.iter().map(|(_, n)| n).sum();
            let escalated: i64 = store
                .alert_outcomes(org, from, to, None, &[])
                .await?
                .iter()
                .filter(|(_, o, _)| o == "escalated")
                .map(|(_, _, n)| n)
                .sum();
            table.rows.push(vec![json!(alerts), json!(cases), json!(ratio(alerts, cases)), json!(escalated)]);
        }
        (_, "dispositions") => {
            const OUTCOMES: [&str; 4] = ["false_positive", "benign_true_positive", "duplicate", "escalated"];
            let by = group.filter(|g| *g != "outcome");
            let rows = store.alert_outcomes(org, from, to, by, &r.filters).await?;
            match by {
                None => {
                    table.group_by = Some("outcome".into());
                    table.columns = cols(&[("outcome", "text"), ("alerts", "count")]);
                    for o in OUTCOMES {
                        let n: i64 = rows.iter().filter(|(_, x, _)| x == o).map(|(_, _, n)| n).sum();
                        table.rows.push(vec![json!(o), json!(n)]);
                    }
                }
                Some(g) => {
                    let mut spec = vec![(g, "text")];
                    spec.extend(OUTCOMES.iter().map(|o| (*o, "count")));
                    spec.push(("total", "count"));
                    table.columns = cols(&spec);
                    let mut per: BTreeMap<String, [i64; 4]> = BTreeMap::new();
                    for (k, o, n) in rows {
                        if let Some(i) = OUTCOMES.iter().position(|x| *x == o) {
                            per.entry(k).or_default()[i] += n;
                        }
                    }
                    let mut sorted: Vec<_> = per.into_iter().collect();
                    sorted.sort_by_key(|(_, counts)| std::cmp::Reverse(counts.iter().sum::<i64>()));
                    for (k, counts) in sorted {
                        let mut cells = vec![json!(none_label(k))];
                        cells.extend(counts.iter().map(|n| json!(n)));
                        cells.push(json!(counts.iter().sum::<i64>()));
                        table.rows.push(cells);
                    }
                }
            }
        }
        (_, "rule_noise") => {
            table.columns = cols(&[
                ("rule", "text"),
                ("alerts", "count"),
                ("false_positives", "count"),
                ("true_positives", "count"),
                ("false_positive_rate", "percent"),
            ]);
            let volume = store.alert_volume(org, from, to, "rule", &r.filters).await?;
            let mut per: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
            for (rule, n) in volume.into_iter().filter(|(k, _)| !k.is_empty()) {
                per.entry(rule).or_default().0 += n;
            }
            for (rule, o, n) in store.alert_outcomes(org, from, to, Some("rule"), &r.filters).await? {
                if rule.is_empty() {
                    continue;
                }
                let e = per.entry(rule).or_default();
                match o.as_str() {
                    "false_positive" => e.1 += n,
                    "benign_true_positive" | "escalated" => e.2 += n,
                    _ => {}
                }
            }
            let mut sorted: Vec<_> = per.into_iter().collect();
            sorted.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(b.1.1.cmp(&a.1.1)).then(a.0.cmp(&b.0)));
            for (rule, (alerts, fp, tp)) in sorted.into_iter().take(100) {
                let rate = false_positive_rate(fp, tp).map(|r| (r * 1000.0).round() / 10.0);
                table.rows.push(vec![json!(rule), json!(alerts), json!(fp), json!(tp), json!(rate)]);
            }
        }
        (_, "backlog") => {
            let g = group.unwrap_or("phase");
            table.group_by = Some(g.to_owned());
            table.columns = cols(&[(g, "text"), ("cases", "count")]);
            let counts: HashMap<String, i64> = store.open_cases(org, to_millis(now), g).await?.into_iter().collect();
            let order: Vec<String> = match g {
                "age" => AGE_BUCKETS.iter().map(|(n, _)| (*n).to_owned()).collect(),
                "severity" => {
                    let mut v: Vec<String> = ["critical", "high", "medium", "low", ""].map(String::from).to_vec();
                    v.retain(|s| !s.is_empty() || counts.contains_key(""));
                    v
                }
                _ => CaseState::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str().to_owned()).collect(),
            };
            for k in order {
                let n = counts.get(&k).copied().unwrap_or(0);
                table.rows.push(vec![json!(none_label(k)), json!(n)]);
            }
        }
        (_, "case_volume") => {
            let g = group.unwrap_or("day");
            let counts = store.case_volume(org, from, to, g, &r.filters).await?;
            volume(&mut table, r, g, "cases", counts);
        }
        (_, "response_actions") => {
            let statuses: Vec<&str> = ActionStatus::ALL.iter().map(|s| s.as_str()).collect();
            let mut spec = vec![("type", "text")];
            spec.extend(statuses.iter().map(|s| (*s, "count")));
            spec.push(("total", "count"));
            table.columns = cols(&spec);
            let mut per: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            for (kind, status, n) in store.item_counts(org, "response_action", from, to).await? {
                let row = per.entry(kind).or_insert_with(|| vec![0; statuses.len()]);
                if let Some(i) = statuses.iter().position(|s| *s == status) {
                    row[i] += n;
                }
            }
            for (kind, counts) in per {
                let mut cells = vec![json!(kind)];
                cells.extend(counts.iter().map(|n| json!(n)));
                cells.push(json!(counts.iter().sum::<i64>()));
                table.rows.push(cells);
            }
        }
        (_, "update_cadence") => {
            table.columns =
                cols(&[("due", "count"), ("on_time", "count"), ("late", "count"), ("compliance", "percent")]);
            let (mut on_time, mut late) = (0i64, 0i64);
            for item in store.items_due_between(org, Communication::KIND, from, to).await? {
                let c: Communication = items::from_item(&item)?;
                let Some(due) = c.next_update_due else { continue };
                // An answer from before this was recorded counts as on time.
                let answered = c.answered_at.or(c.superseded.then_some(due));
                match cadence(due, answered, now) {
                    Cadence::OnTime => on_time += 1,
                    Cadence::Late => late += 1,
                    Cadence::Pending => {}
                }
            }
            let pct = ratio(on_time, on_time + late).map(|r| (r * 1000.0).round() / 10.0);
            table.rows.push(vec![json!(on_time + late), json!(on_time), json!(late), json!(pct)]);
        }
        (_, "coverage") => {
            table.columns = cols(&[("day", "text"), ("techniques", "count")]);
            let mut days: Vec<crate::detection::CoverageDay> =
                items::list(state, org, &items::query::<crate::detection::CoverageDay>()).await?;
            days.sort_by(|a, b| a.day.cmp(&b.day));
            let (start, end) = (crate::clock::day(r.from), crate::clock::day(r.to));
            if let Some(before) = days.iter().rev().find(|d| d.day < start) {
                table.rows.push(vec![json!(start), json!(before.covered)]);
            }
            for d in days.iter().filter(|d| d.day >= start && d.day < end) {
                table.rows.push(vec![json!(d.day), json!(d.covered)]);
            }
            if days.is_empty() {
                // A library imported before coverage was recorded: today's figure.
                let covered = crate::detection::technique_counts(state, org).await?.len();
                if covered > 0 {
                    table.rows.push(vec![json!(crate::clock::day(now)), json!(covered)]);
                }
            }
        }
        _ => return Err(AppError::not_found("metric")),
    }
    Ok(table)
}

/// A count table: per day of the period (zero days included), or per group value.
fn volume(table: &mut MetricTable, r: &Request, g: &str, noun: &str, counts: firebreak_store::Counts) {
    table.group_by = Some(g.to_owned());
    table.columns = cols(&[(g, "text"), (noun, "count")]);
    table.rows = if g == "day" {
        daily(r.from, r.to, counts.into_iter().map(|(d, n)| (day_label(&d), n)).collect())
    } else {
        counts.into_iter().map(|(k, n)| vec![json!(none_label(k)), json!(n)]).collect()
    };
}

/// A row per day of the period, zero where nothing happened (up to 400 days).
fn daily(from: OffsetDateTime, to: OffsetDateTime, counts: HashMap<String, i64>) -> Vec<Vec<Value>> {
    if to - from > Duration::days(400) {
        let mut rows: Vec<_> = counts.into_iter().collect();
        rows.sort();
        return rows.into_iter().map(|(d, n)| vec![json!(d), json!(n)]).collect();
    }
    let mut rows = Vec::new();
    let mut day = from.replace_time(time::Time::MIDNIGHT);
    while day < to {
        let d = crate::clock::day(day);
        let n = counts.get(&d).copied().unwrap_or(0);
        rows.push(vec![json!(d), json!(n)]);
        day += Duration::days(1);
    }
    rows
}

async fn team_names(state: &App, org: Uuid, group: &str) -> AppResult<HashMap<String, String>> {
    if group != "team" {
        return Ok(HashMap::new());
    }
    let teams: Vec<Team> = items::list(state, org, &items::query::<Team>()).await?;
    Ok(teams.into_iter().map(|t| (t.id.to_string(), t.name)).collect())
}

/// A group value as people read it.
fn label(group: &str, value: String, teams: &HashMap<String, String>) -> String {
    match group {
        "day" | "week" => day_label(&value),
        "team" => teams.get(&value).cloned().unwrap_or_else(|| none_label(value)),
        _ => none_label(value),
    }
}

/// The longest list of breaches returned.
pub const BREACH_LIMIT: u32 = 1_000;

/// SLA attainment (per clock and priority) or the list of breaches. Clocks
/// of cases that never waited are counted by the database; the others
/// (cases that waited, clocks still running) are read here, one by one.
async fn sla(state: &App, org: Uuid, r: &Request, table: &mut MetricTable) -> AppResult<()> {
    const CLOCKS: [&str; 3] = ["acknowledge", "contain", "resolve"];
    let policy = crate::sla::policy(state, org).await?;
    let now = state.clock.now();
    let (from, to) = (to_millis(r.from), to_millis(r.to));
    let secs = |p: Priority| {
        let t = policy.for_priority(p);
        [t.acknowledge, t.contain, t.resolve]
    };
    let targets: firebreak_store::SlaTargets =
        Priority::ALL.iter().map(|p| (p.as_str().to_owned(), secs(*p).map(|s| s * 1000))).collect();
    let rfc = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let breach_row =
        |number: i64, title: &str, clock: usize, priority: &str, used_ms: i64, at: OffsetDateTime, running| {
            let target = Priority::ALL.iter().find(|p| p.as_str() == priority).map_or(0, |p| secs(*p)[clock]);
            let used = used_ms / 1000;
            vec![
                json!(number),
                json!(title),
                json!(CLOCKS[clock]),
                json!(priority),
                json!(target),
                json!(used),
                json!(used - target),
                json!(rfc(at)),
                json!(running),
            ]
        };
    // (clock, priority) -> (met, breached)
    let mut tally: BTreeMap<(usize, String), (i64, i64)> = BTreeMap::new();
    let mut breaches: Vec<(OffsetDateTime, Vec<Value>)> = Vec::new();
    if r.metric.name == "sla" {
        for (clock, priority, met, breached) in state.store.sla_unpaused(org, from, to, &targets).await? {
            let e = tally.entry((usize::try_from(clock).unwrap_or(0), priority)).or_default();
            e.0 += met;
            e.1 += breached;
        }
    } else {
        for b in state.store.sla_unpaused_breaches(org, from, to, &targets, BREACH_LIMIT).await? {
            let at = from_millis(b.stop);
            let clock = usize::try_from(b.clock).unwrap_or(0);
            breaches.push((at, breach_row(b.number, &b.title, clock, &b.priority, b.used, at, false)));
        }
    }
    for case in state.store.sla_cases(org, from, to).await? {
        let pauses: Vec<Pause> = case.pauses.iter().map(|p| Pause { start: p.start, end: p.end }).collect();
        let created = from_millis(case.created_at);
        let closed = case.closed_at.map(from_millis);
        let stops =
            [case.acknowledged_at.map(from_millis).or(closed), case.contained_at.map(from_millis).or(closed), closed];
        let Some(p) = Priority::ALL.iter().find(|p| p.as_str() == case.priority) else { continue };
        for (i, (stop, target_s)) in stops.into_iter().zip(secs(*p)).enumerate() {
            let target = Duration::seconds(target_s);
            let (at, used, breached, running) = match stop {
                // Counted by the database.
                Some(_) if pauses.is_empty() => continue,
                Some(stop) => {
                    let used = read(created, Some(stop), target, &pauses, now).used;
                    (stop, used, used > target, false)
                }
                None => match def::breach_time(created, target, &pauses) {
                    Some(b) if b <= now => (b, read(created, None, target, &pauses, now).used, true, true),
                    _ => continue,
                },
            };
            if at < r.from || at >= r.to {
                continue;
            }
            let e = tally.entry((i, case.priority.clone())).or_default();
            if breached {
                e.1 += 1;
                let used_ms = i64::try_from(used.whole_milliseconds()).unwrap_or(i64::MAX);
                breaches.push((at, breach_row(case.number, &case.title, i, &case.priority, used_ms, at, running)));
            } else {
                e.0 += 1;
            }
        }
    }
    if r.metric.name == "sla" {
        table.columns = cols(&[
            ("clock", "text"),
            ("priority", "text"),
            ("target", "seconds"),
            ("met", "count"),
            ("breached", "count"),
            ("attainment", "percent"),
        ]);
        for ((i, priority), (met, breached)) in tally {
            let target = Priority::ALL.iter().find(|p| p.as_str() == priority).map(|p| secs(*p)[i]);
            let pct = ratio(met, met + breached).map(|r| (r * 1000.0).round() / 10.0);
            table.rows.push(vec![
                json!(CLOCKS[i]),
                json!(priority),
                json!(target),
                json!(met),
                json!(breached),
                json!(pct),
            ]);
        }
    } else {
        table.columns = cols(&[
            ("case", "count"),
            ("title", "text"),
            ("clock", "text"),
            ("priority", "text"),
            ("target", "seconds"),
            ("used", "seconds"),
            ("over", "seconds"),
            ("at", "time"),
            ("running", "text"),
        ]);
        breaches.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        breaches.truncate(BREACH_LIMIT as usize);
        table.rows = breaches.into_iter().map(|(_, row)| row).collect();
    }
    Ok(())
}

/// A duration in seconds as people say it: `42s`, `7m 05s`, `3h 20m`, `2d 4h`.
pub fn duration(secs: f64) -> String {
    let s = secs.round() as i64;
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m {:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h {:02}m", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d {}h", s / 86_400, (s % 86_400) / 3_600),
    }
}
