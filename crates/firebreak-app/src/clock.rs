//! The server's clocks. Everything that needs the time asks the one `Clock`
//! in the application state, so tests can drive time by hand.

use std::sync::Mutex;

use firebreak_domain::clock::Clock;
use time::{Duration, OffsetDateTime};

/// A day as `YYYY-MM-DD` (UTC).
pub fn day(t: time::OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that moves only when told to, for tests.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }

    pub fn set(&self, to: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = to;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map(|t| *t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}
