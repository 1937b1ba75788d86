//! What Firebreak measures, defined once.
//!
//! Every metric served by the API, drawn on a dashboard or printed in a
//! report is listed in [`CATALOGUE`] with its definition; the docs page and
//! the API description show these texts. The store computes the numbers from
//! recorded times (an alert's creation, take and triage; a case's
//! declaration, acknowledgement, containment, recovery and closing), and
//! this module holds the rules they follow: which times bound each interval,
//! which period a value belongs to, and how mean, median and 90th percentile
//! are taken.
//!
//! Conventions, for every metric:
//! - a period is `[from, to)`: `from` included, `to` excluded, in UTC;
//! - an interval belongs to the period in which it *ended* (an alert
//!   acknowledged in March counts in March, whenever it arrived); an interval
//!   that has not ended is not in any sample;
//! - durations are wall-clock, to the millisecond, reported in seconds; an
//!   interval that would be negative (an alert merged into a case declared
//!   before it) counts as zero;
//! - SLA attainment is the exception: it uses the SLA's working time, with
//!   the time the case waited on others excluded (see [`crate::sla`]).

use time::{Duration, OffsetDateTime};

use crate::sla::Pause;

/// A recorded moment an interval starts or ends at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The alert was received (its first occurrence).
    AlertCreated,
    /// An analyst first took the alert into triage (closing it untaken also acknowledges it).
    AlertAcknowledged,
    /// The alert was closed with a disposition or escalated into a case.
    AlertTriaged,
    /// The earliest event time of the alerts escalated or merged into the case.
    CaseDetected,
    /// The first malicious activity, as the investigation recorded it.
    CaseFirstActivity,
    /// The case was created (declared).
    CaseDeclared,
    /// The case first got an assignee or left `new`.
    CaseAcknowledged,
    /// The first containment action done (or, if none was recorded, the case moved past containment).
    CaseContained,
    /// The case left `recovery` for review or closing.
    CaseRecovered,
    /// The case was closed (a reopened case counts from its last closing).
    CaseClosed,
}

/// What a duration metric is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Alerts,
    Cases,
}

/// A duration metric: the time from one recorded moment to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub subject: Subject,
    pub start: Point,
    pub end: Point,
    /// The moment whose period a value belongs to (the end, except for dwell time).
    pub counted: Point,
}

/// How a metric is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Count, mean, median and 90th percentile of an interval.
    Duration(Interval),
    /// Anything else; the server names it.
    Table,
}

/// One metric of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    pub name: &'static str,
    pub title: &'static str,
    pub definition: &'static str,
    pub kind: Kind,
    /// The breakdowns it accepts.
    pub group_by: &'static [&'static str],
}

/// Breakdowns of the alert duration metrics.
pub const ALERT_GROUPS: &[&str] = &["day", "week", "month", "severity", "source", "rule"];
/// Breakdowns of the case duration metrics.
pub const CASE_GROUPS: &[&str] = &["day", "week", "month", "severity", "priority", "category", "source", "team"];

const fn duration(subject: Subject, start: Point, end: Point) -> Kind {
    Kind::Duration(Interval { subject, start, end, counted: end })
}

/// Every metric, in the order the docs list them.
pub const CATALOGUE: &[Metric] = &[
    Metric {
        name: "time_to_detect",
        title: "Time to detect",
        definition: "From the earliest event time of a case's alerts to the case's declaration. Cases declared \
                     without an alert have no value. Counted in the period the case was declared.",
        kind: duration(Subject::Cases, Point::CaseDetected, Point::CaseDeclared),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "dwell_time",
        title: "Dwell time",
        definition: "From the first malicious activity (recorded on the case once the investigation knows it) to \
                     the earliest alert event, or to the declaration when the case has no alert. Counted in the \
                     period the case was declared; cases without a known first activity have no value.",
        kind: Kind::Duration(Interval {
            subject: Subject::Cases,
            start: Point::CaseFirstActivity,
            end: Point::CaseDetected,
            counted: Point::CaseDeclared,
        }),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "alert_time_to_acknowledge",
        title: "Time to acknowledge (alerts)",
        definition: "From an alert's arrival to the first time an analyst took it into triage (closing or \
                     escalating it untaken also acknowledges it). Counted in the period it was acknowledged.",
        kind: duration(Subject::Alerts, Point::AlertCreated, Point::AlertAcknowledged),
        group_by: ALERT_GROUPS,
    },
    Metric {
        name: "alert_time_to_triage",
        title: "Time to triage (alerts)",
        definition: "From an alert's arrival to its disposition (closed as false positive, benign true positive \
                     or duplicate) or its escalation into a case. Counted in the period it was triaged.",
        kind: duration(Subject::Alerts, Point::AlertCreated, Point::AlertTriaged),
        group_by: ALERT_GROUPS,
    },
    Metric {
        name: "time_to_acknowledge",
        title: "Time to acknowledge (cases)",
        definition: "From a case's declaration to its first acknowledgement (it got an assignee or left `new`). \
                     Counted in the period it was acknowledged.",
        kind: duration(Subject::Cases, Point::CaseDeclared, Point::CaseAcknowledged),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "time_to_contain",
        title: "Time to contain",
        definition: "From a case's declaration to its first completed containment action (isolate host, disable \
                     account, reset credentials, block indicator), or to leaving the containment phase when no \
                     such action was recorded. Counted in the period it was contained.",
        kind: duration(Subject::Cases, Point::CaseDeclared, Point::CaseContained),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "time_to_recover",
        title: "Time to recover",
        definition: "From a case's declaration to the end of recovery (the case left `recovery` for review or \
                     closing). Counted in the period recovery ended.",
        kind: duration(Subject::Cases, Point::CaseDeclared, Point::CaseRecovered),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "time_to_resolve",
        title: "Time to resolve",
        definition: "From a case's declaration to its closing (cancelled and merged cases are not resolved; a \
                     reopened case counts from its last closing). Counted in the period it was closed.",
        kind: duration(Subject::Cases, Point::CaseDeclared, Point::CaseClosed),
        group_by: CASE_GROUPS,
    },
    Metric {
        name: "sla",
        title: "SLA attainment",
        definition: "Per SLA clock (acknowledge, contain, resolve) and priority: clocks met / clocks met or \
                     breached, in working time (time the case waited on others excluded), against the \
                     organisation's current policy. A clock counts in the period it stopped; a running clock \
                     counts as breached in the period its target passed.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "sla_breaches",
        title: "SLA breaches",
        definition: "Every clock of the `sla` metric that breached in the period, latest first (up to 1,000): \
                     the case, the clock, its target and the working time used.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "alert_volume",
        title: "Alert volume",
        definition: "Alerts received (first occurrences; repeats of the same source reference are not new \
                     alerts), by the time they arrived.",
        kind: Kind::Table,
        group_by: &["day", "source", "rule", "severity"],
    },
    Metric {
        name: "alert_heatmap",
        title: "Alerts by weekday and hour",
        definition: "Alerts received in the period by weekday (Monday first) and hour of the day, in UTC.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "alert_to_case",
        title: "Alert-to-case ratio",
        definition: "Alerts received in the period / cases declared in the period (null when no case was \
                     declared), with the alerts escalated in the period.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "dispositions",
        title: "Dispositions",
        definition: "Alerts triaged in the period by outcome: false positive, benign true positive, duplicate, \
                     escalated.",
        kind: Kind::Table,
        group_by: &["outcome", "rule", "source"],
    },
    Metric {
        name: "rule_noise",
        title: "Rule noise",
        definition: "Per detection rule: alerts received in the period, and of the alerts triaged in the period \
                     the false positives and true positives (benign true positives and escalations); \
                     false-positive rate = false positives / (true positives + false positives), null when \
                     none. Noisiest first.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "backlog",
        title: "Open cases",
        definition: "Cases open now (not closed, cancelled or merged) by phase, severity or age since \
                     declaration (under 1 day, 1-7 days, 7-30 days, over 30 days). Backlog is a snapshot: the \
                     period does not apply.",
        kind: Kind::Table,
        group_by: &["phase", "severity", "age"],
    },
    Metric {
        name: "case_volume",
        title: "Cases declared",
        definition: "Cases declared in the period.",
        kind: Kind::Table,
        group_by: &["day", "severity", "priority", "category", "source"],
    },
    Metric {
        name: "response_actions",
        title: "Response actions",
        definition: "Response actions requested in the period, by type and by their outcome now (requested, in \
                     progress, done, failed, rolled back).",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "update_cadence",
        title: "Update cadence",
        definition: "Stakeholder updates that fell due in the period (and before now): on time when a later \
                     message went out to the same contact at or before the due time; compliance = on time / \
                     due, null when none fell due.",
        kind: Kind::Table,
        group_by: &[],
    },
    Metric {
        name: "coverage",
        title: "Detection coverage",
        definition: "ATT&CK techniques covered by at least one enabled detection rule, as recorded each day the \
                     rule library changed; the first row is the coverage at the start of the period.",
        kind: Kind::Table,
        group_by: &[],
    },
];

/// The metric of this name.
pub fn metric(name: &str) -> Option<&'static Metric> {
    CATALOGUE.iter().find(|m| m.name == name)
}

/// Why a metric request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("from must be before to")]
    EmptyPeriod,
    #[error("unknown group_by {given:?}; {metric} accepts: {accepted}")]
    UnknownGroup { metric: &'static str, given: String, accepted: String },
}

impl QueryError {
    pub fn field(&self) -> &'static str {
        match self {
            QueryError::EmptyPeriod => "from",
            QueryError::UnknownGroup { .. } => "group_by",
        }
    }
}

/// Checks a period.
pub fn check_period(from: OffsetDateTime, to: OffsetDateTime) -> Result<(), QueryError> {
    if from < to { Ok(()) } else { Err(QueryError::EmptyPeriod) }
}

/// Checks a breakdown against the metric's list.
pub fn check_group(m: &Metric, group: Option<&str>) -> Result<(), QueryError> {
    match group {
        Some(g) if !m.group_by.contains(&g) => Err(QueryError::UnknownGroup {
            metric: m.name,
            given: g.to_owned(),
            accepted: if m.group_by.is_empty() { "no group_by".to_owned() } else { m.group_by.join(", ") },
        }),
        _ => Ok(()),
    }
}

/// The period of the same length just before `[from, to)`: what a report compares against.
pub fn previous_period(from: OffsetDateTime, to: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    (from - (to - from), from)
}

// ---------------------------------------------------------------------------
// Statistics

/// Count, mean, median and 90th percentile of a sample of durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub count: i64,
    /// Seconds; `None` for an empty sample.
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub p90: Option<f64>,
}

impl Stats {
    pub const EMPTY: Stats = Stats { count: 0, mean: None, median: None, p90: None };

    /// From values in milliseconds (the reference computation; the store's
    /// SQL picks the same ranks, see [`median_ranks`] and [`p90_rank`]).
    pub fn of(values: &mut [i64]) -> Stats {
        let n = values.len() as i64;
        if n == 0 {
            return Stats::EMPTY;
        }
        values.sort_unstable();
        let at = |rank: i64| values[(rank - 1) as usize];
        let (lo, hi) = median_ranks(n);
        let sum: i64 = values.iter().sum();
        Stats::from_parts(n, sum, at(lo) + at(hi), at(p90_rank(n)))
    }

    /// From a sample's size and sum, the sum of the values at the two median
    /// ranks (the median doubled, so that it stays an integer) and the value
    /// at the p90 rank, all in milliseconds.
    pub fn from_parts(count: i64, sum_ms: i64, middles_ms: i64, p90: i64) -> Stats {
        if count == 0 {
            return Stats::EMPTY;
        }
        // Milliseconds to seconds: exact for the median and p90, and the
        // mean is the correctly rounded quotient.
        Stats {
            count,
            mean: Some(sum_ms as f64 / count as f64 / 1000.0),
            median: Some(middles_ms as f64 / 2000.0),
            p90: Some(p90 as f64 / 1000.0),
        }
    }
}

/// The 1-based ranks whose values average to the median of `n` sorted
/// values: the middle one twice when `n` is odd, the two middle ones when even.
pub fn median_ranks(n: i64) -> (i64, i64) {
    ((n + 1) / 2, (n + 2) / 2)
}

/// The 1-based rank of the 90th percentile of `n` sorted values (nearest
/// rank: the smallest value with at least 90% of the values at or below it).
pub fn p90_rank(n: i64) -> i64 {
    (9 * n + 9) / 10
}

// ---------------------------------------------------------------------------
// SLA attainment

/// When a timer that started at `start` with `target` of working time passes
/// its target, given the spans it was paused; `None` if it never does (it
/// waits in an open pause).
pub fn breach_time(start: OffsetDateTime, target: Duration, pauses: &[Pause]) -> Option<OffsetDateTime> {
    let mut sorted: Vec<Pause> = pauses.to_vec();
    sorted.sort_by_key(|p| p.start);
    let mut t = start;
    let mut left = target;
    for p in sorted {
        let p_end = p.end;
        if p_end.is_some_and(|e| e <= t) {
            continue;
        }
        let p_start = p.start.max(t);
        if p_start > t + left {
            break;
        }
        left -= p_start - t;
        match p_end {
            Some(e) => t = e,
            None => return None,
        }
    }
    Some(t + left)
}

// ---------------------------------------------------------------------------
// Backlog and time buckets

/// The age buckets of the backlog, youngest first.
pub const AGE_BUCKETS: &[(&str, i64)] =
    &[("under 1 day", 1), ("1-7 days", 7), ("7-30 days", 30), ("over 30 days", i64::MAX)];

/// The bucket of a case declared `age` ago.
pub fn age_bucket(age: Duration) -> &'static str {
    let days = age.whole_seconds() as f64 / 86_400.0;
    AGE_BUCKETS.iter().find(|(_, limit)| days < *limit as f64).map_or("over 30 days", |(name, _)| name)
}

/// Weekday names, Monday first, as the heatmap's rows.
pub const WEEKDAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Monday-based weekday (0 = Monday) and hour of a time in milliseconds since the epoch, in UTC.
pub fn weekday_hour(ms: i64) -> (i64, i64) {
    let hours = ms.div_euclid(3_600_000);
    let days = hours.div_euclid(24);
    // 1970-01-01 was a Thursday (3 days after Monday).
    ((days + 3).rem_euclid(7), hours.rem_euclid(24))
}

/// The outcome of a stakeholder update that fell due at `due`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    OnTime,
    Late,
    /// Not yet due.
    Pending,
}

/// An update due at `due`, answered (a later message to the same contact) at
/// `answered`, read at `now`.
pub fn cadence(due: OffsetDateTime, answered: Option<OffsetDateTime>, now: OffsetDateTime) -> Cadence {
    match answered {
        Some(a) if a <= due => Cadence::OnTime,
        Some(_) => Cadence::Late,
        None if due < now => Cadence::Late,
        None => Cadence::Pending,
    }
}

/// A ratio or rate that is null rather than NaN or infinite.
pub fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// The false-positive rate of a rule: false positives / (true + false positives).
pub fn false_positive_rate(false_positives: i64, true_positives: i64) -> Option<f64> {
    ratio(false_positives, false_positives + true_positives)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

    #[test]
    fn stats_follow_the_documented_ranks() {
        assert_eq!(Stats::of(&mut []), Stats::EMPTY);
        let s = Stats::of(&mut [5_000]);
        assert_eq!((s.count, s.mean, s.median, s.p90), (1, Some(5.0), Some(5.0), Some(5.0)));
        // Even count: the median averages the two middle values.
        let s = Stats::of(&mut [4_000, 1_000, 3_000, 2_000]);
        assert_eq!((s.mean, s.median, s.p90), (Some(2.5), Some(2.5), Some(4.0)));
        // Ten values: p90 is the 9th.
        let mut v: Vec<i64> = (1..=10).map(|i| i * 60_000).collect();
        let s = Stats::of(&mut v);
        assert_eq!((s.median, s.p90), (Some(330.0), Some(540.0)));
        // Milliseconds survive.
        let s = Stats::of(&mut [1_001, 1_002]);
        assert_eq!(s.median, Some(1.0015));
        assert_eq!(s.mean, Some(1.0015));
    }

    #[test]
    fn ranks() {
        assert_eq!(median_ranks(1), (1, 1));
        assert_eq!(median_ranks(2), (1, 2));
        assert_eq!(median_ranks(7), (4, 4));
        assert_eq!([1, 9, 10, 11, 19, 20].map(p90_rank), [1, 9, 9, 10, 18, 18]);
    }

    #[test]
    fn breach_time_skips_pauses() {
        let h = Duration::hours;
        assert_eq!(breach_time(T0, h(4), &[]), Some(T0 + h(4)));
        let p = [Pause { start: T0 + h(1), end: Some(T0 + h(3)) }];
        assert_eq!(breach_time(T0, h(4), &p), Some(T0 + h(6)));
        // A pause after the breach changes nothing.
        let late = [Pause { start: T0 + h(5), end: Some(T0 + h(9)) }];
        assert_eq!(breach_time(T0, h(4), &late), Some(T0 + h(4)));
        // Waiting now, with target left: never breaches while waiting.
        let open = [Pause { start: T0 + h(1), end: None }];
        assert_eq!(breach_time(T0, h(4), &open), None);
        // A pause that began before the timer only counts from the start.
        let before = [Pause { start: T0 - h(1), end: Some(T0 + h(1)) }];
        assert_eq!(breach_time(T0, h(4), &before), Some(T0 + h(5)));
    }

    #[test]
    fn buckets_and_calendar() {
        assert_eq!(age_bucket(Duration::hours(23)), "under 1 day");
        assert_eq!(age_bucket(Duration::days(1)), "1-7 days");
        assert_eq!(age_bucket(Duration::days(29)), "7-30 days");
        assert_eq!(age_bucket(Duration::days(400)), "over 30 days");
        // 2026-03-02 is a Monday.
        assert_eq!(weekday_hour(crate::clock::to_millis(T0)), (0, 9));
        assert_eq!(weekday_hour(crate::clock::to_millis(datetime!(2026-03-08 23:59 UTC))), (6, 23));
    }

    #[test]
    fn cadence_and_rates() {
        let due = T0 + Duration::hours(2);
        assert_eq!(cadence(due, Some(due), T0), Cadence::OnTime);
        assert_eq!(cadence(due, Some(due + Duration::seconds(1)), T0), Cadence::Late);
        assert_eq!(cadence(due, None, due + Duration::seconds(1)), Cadence::Late);
        assert_eq!(cadence(due, None, T0), Cadence::Pending);
        assert_eq!(false_positive_rate(0, 0), None);
        assert_eq!(false_positive_rate(3, 1), Some(0.75));
        assert_eq!(ratio(1, 0), None);
    }

    #[test]
    fn queries_are_checked() {
        assert_eq!(check_period(T0, T0), Err(QueryError::EmptyPeriod));
        let m = metric("time_to_resolve").unwrap();
        assert!(check_group(m, Some("team")).is_ok());
        let e = check_group(m, Some("colour")).unwrap_err();
        assert_eq!(e.field(), "group_by");
        assert!(e.to_string().contains("severity, priority"));
        for m in CATALOGUE {
            assert!(!m.definition.is_empty() && metric(m.name).is_some());
        }
    }
}
