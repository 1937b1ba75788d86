//! Priority from impact and urgency, and the SLA targets it selects.
//!
//! The default matrix follows the usual ITIL reading of NIST SP 800-61's
//! functional impact, information impact and recoverability: impact says how
//! much is hurt, urgency how fast it gets worse.

use serde::{Deserialize, Serialize};
use time::Duration;

pub use firebreak_types::{Level, Priority};

fn index(level: Level) -> usize {
    match level {
        Level::Low => 0,
        Level::Medium => 1,
        Level::High => 2,
    }
}

/// `matrix[impact][urgency]`, indices low, medium, high.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix(pub [[Priority; 3]; 3]);

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        Self([
            // urgency:  low  medium  high
            [P4, P4, P3], // impact low
            [P4, P3, P2], // impact medium
            [P3, P2, P1], // impact high
        ])
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Level, urgency: Level) -> Priority {
        self.0[index(impact)][index(urgency)]
    }
}

/// Time allowed per priority, from the case's declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTargets {
    pub acknowledge: Duration,
    pub contain: Duration,
    pub resolve: Duration,
}

/// The default SLA policy: P1 15 min / 4 h / 24 h; P2 1 h / 12 h / 3 d;
/// P3 4 h / 2 d / 7 d; P4 1 d / 5 d / 30 d (acknowledge / contain / resolve).
pub fn default_sla(p: Priority) -> SlaTargets {
    let (a, c, r) = match p {
        Priority::P1 => (Duration::minutes(15), Duration::hours(4), Duration::hours(24)),
        Priority::P2 => (Duration::hours(1), Duration::hours(12), Duration::days(3)),
        Priority::P3 => (Duration::hours(4), Duration::days(2), Duration::days(7)),
        Priority::P4 => (Duration::days(1), Duration::days(5), Duration::days(30)),
    };
    SlaTargets { acknowledge: a, contain: c, resolve: r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_matrix() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(Level::High, Level::High), Priority::P1);
        assert_eq!(m.priority(Level::High, Level::Medium), Priority::P2);
        assert_eq!(m.priority(Level::Medium, Level::High), Priority::P2);
        assert_eq!(m.priority(Level::Medium, Level::Medium), Priority::P3);
        assert_eq!(m.priority(Level::Low, Level::Low), Priority::P4);
        assert_eq!(default_sla(Priority::P1).acknowledge, Duration::minutes(15));
    }
}
