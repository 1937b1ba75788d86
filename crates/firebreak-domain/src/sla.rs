//! SLA timers: time spent against a target, excluding the time the case
//! waited on someone outside the team.

use firebreak_types::{Case, CaseSla, Priority, SlaClock, SlaPolicy, SlaTargetsSecs};
use time::{Duration, OffsetDateTime};

/// A timer is at risk once this share of its target has been used.
pub const AT_RISK_SHARE: f64 = 0.75;

pub use firebreak_types::SlaState;

/// A span during which the case waited (the clock paused). `end` is `None`
/// while it still waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
}

/// A timer's reading at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaReading {
    pub state: SlaState,
    /// Working time used so far (paused time excluded).
    pub used: Duration,
    /// Working time left (negative once breached).
    pub left: Duration,
}

/// Reads a timer that started at `start`, stopped at `stop` (if it has), with
/// `target` of working time, at `now`.
pub fn read(
    start: OffsetDateTime,
    stop: Option<OffsetDateTime>,
    target: Duration,
    pauses: &[Pause],
    now: OffsetDateTime,
) -> SlaReading {
    let end = stop.unwrap_or(now).max(start);
    let mut paused = Duration::ZERO;
    for p in pauses {
        let from = p.start.max(start);
        let to = p.end.unwrap_or(end).min(end);
        if to > from {
            paused += to - from;
        }
    }
    let used = (end - start) - paused;
    let left = target - used;
    let state = match (stop.is_some(), used > target) {
        (_, true) => SlaState::Breached,
        (true, false) => SlaState::Met,
        (false, false) if used.as_seconds_f64() >= target.as_seconds_f64() * AT_RISK_SHARE => SlaState::AtRisk,
        (false, false) => SlaState::Due,
    };
    SlaReading { state, used, left }
}

/// The default SLA policy, from [`crate::priority::default_sla`].
pub fn default_policy() -> SlaPolicy {
    let secs = |p: Priority| {
        let t = crate::priority::default_sla(p);
        SlaTargetsSecs {
            acknowledge: t.acknowledge.whole_seconds(),
            contain: t.contain.whole_seconds(),
            resolve: t.resolve.whole_seconds(),
        }
    };
    SlaPolicy { p1: secs(Priority::P1), p2: secs(Priority::P2), p3: secs(Priority::P3), p4: secs(Priority::P4) }
}

/// Checks a policy: every target positive, and acknowledge <= contain <= resolve.
pub fn check_policy(policy: &SlaPolicy) -> Result<(), String> {
    for (name, t) in [("P1", policy.p1), ("P2", policy.p2), ("P3", policy.p3), ("P4", policy.p4)] {
        if t.acknowledge <= 0 || t.contain <= 0 || t.resolve <= 0 {
            return Err(format!("{name}: every target must be a positive number of seconds"));
        }
        if !(t.acknowledge <= t.contain && t.contain <= t.resolve) {
            return Err(format!("{name}: targets must satisfy acknowledge <= contain <= resolve"));
        }
    }
    Ok(())
}

/// The three clocks of a case, read at `now`. All start when the case is
/// declared; acknowledge stops when the team first takes it, contain when it
/// is first contained, resolve when it is closed (or cancelled, or merged).
pub fn case_sla(case: &Case, policy: &SlaPolicy, now: OffsetDateTime) -> CaseSla {
    let pauses: Vec<Pause> = case.pauses.iter().map(|p| Pause { start: p.start, end: p.end }).collect();
    let waiting = case.pauses.last().is_some_and(|p| p.end.is_none());
    let targets = policy.for_priority(case.priority);
    let clock = |stop: Option<OffsetDateTime>, target_s: i64| {
        let target = Duration::seconds(target_s);
        let r = read(case.created_at, stop, target, &pauses, now);
        let running = stop.is_none();
        SlaClock {
            state: r.state,
            target_seconds: target_s,
            used_seconds: r.used.whole_seconds(),
            left_seconds: r.left.whole_seconds(),
            due_at: (running && !waiting).then(|| now + r.left),
            paused: running && waiting,
        }
    };
    // A case closed before it was acknowledged or contained stops those clocks too.
    let ended = case.closed_at;
    CaseSla {
        acknowledge: clock(case.acknowledged_at.or(ended), targets.acknowledge),
        contain: clock(case.contained_at.or(ended), targets.contain),
        resolve: clock(ended, targets.resolve),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-03-02 09:00 UTC);

    #[test]
    fn due_then_at_risk_then_breached() {
        let target = Duration::hours(4);
        assert_eq!(read(T0, None, target, &[], T0 + Duration::hours(1)).state, SlaState::Due);
        assert_eq!(read(T0, None, target, &[], T0 + Duration::hours(3)).state, SlaState::AtRisk);
        let r = read(T0, None, target, &[], T0 + Duration::hours(4) + Duration::seconds(1));
        assert_eq!(r.state, SlaState::Breached);
        assert_eq!(r.left, -Duration::seconds(1));
    }

    #[test]
    fn stopped_timers_are_met_or_breached() {
        let target = Duration::minutes(15);
        let met = read(T0, Some(T0 + Duration::minutes(15)), target, &[], T0 + Duration::days(9));
        assert_eq!((met.state, met.used), (SlaState::Met, Duration::minutes(15)));
        let late = read(T0, Some(T0 + Duration::minutes(16)), target, &[], T0 + Duration::days(9));
        assert_eq!(late.state, SlaState::Breached);
    }

    #[test]
    fn paused_time_is_excluded_to_the_second() {
        let target = Duration::hours(1);
        let pauses = [
            Pause { start: T0 + Duration::minutes(10), end: Some(T0 + Duration::minutes(40)) },
            // An open pause counts up to now.
            Pause { start: T0 + Duration::minutes(70), end: None },
        ];
        let r = read(T0, None, target, &pauses, T0 + Duration::minutes(100));
        assert_eq!(r.used, Duration::minutes(40));
        assert_eq!(r.state, SlaState::Due);
        // A pause before the timer started does not count.
        let early = [Pause { start: T0 - Duration::hours(2), end: Some(T0 - Duration::hours(1)) }];
        assert_eq!(read(T0, None, target, &early, T0 + Duration::minutes(30)).used, Duration::minutes(30));
    }
}
