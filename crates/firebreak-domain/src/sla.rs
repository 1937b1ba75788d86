//! SLA timers: time spent against a target, excluding the time the case
//! waited on someone outside the team.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// A timer is at risk once this share of its target has been used.
pub const AT_RISK_SHARE: f64 = 0.75;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Running, with time to spare.
    Due,
    /// Running, with less than a quarter of the target left.
    AtRisk,
    /// Running or stopped, past its target.
    Breached,
    /// Stopped within its target.
    Met,
}

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
