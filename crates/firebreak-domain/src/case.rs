//! The life of a case (an incident): its states, the one table of allowed
//! transitions, and the guards that name what is missing.

pub use firebreak_types::{CaseState, Resolution, ReviewStatus};

use CaseState::*;

/// The allowed transitions: from a state, the states it may move to.
///
/// Forward along the phases; back to analysis from any active state (new
/// facts); recovery back to containment (the attacker is still there); closed
/// back to analysis (reopen). A case that needs no containment may go from
/// analysis to review or straight to closed (a false positive).
pub const TRANSITIONS: &[(CaseState, &[CaseState])] = &[
    (New, &[Analysis, Cancelled, Merged]),
    (Analysis, &[Containment, Review, Closed, Cancelled, Merged]),
    (Containment, &[Eradication, Analysis, Merged]),
    (Eradication, &[Recovery, Analysis, Merged]),
    (Recovery, &[Review, Containment, Analysis, Merged]),
    (Review, &[Closed, Analysis, Merged]),
    (Closed, &[Analysis]),
    (Cancelled, &[]),
    (Merged, &[]),
];

pub fn allowed_targets(from: CaseState) -> &'static [CaseState] {
    TRANSITIONS.iter().find(|(f, _)| *f == from).map_or(&[], |(_, to)| to)
}

/// What the guards look at.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub state: CaseState,
    pub has_assignee: bool,
    pub has_severity: bool,
    pub has_category: bool,
    pub resolution: Option<Resolution>,
    pub summary: String,
    pub review: ReviewStatus,
    pub review_waiver_reason: Option<String>,
}

/// What a transition request carries beside its target.
#[derive(Debug, Clone, Default)]
pub struct TransitionRequest {
    pub reason: String,
    pub merge_into: Option<uuid::Uuid>,
}

/// Why a transition is refused. Each names what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a case cannot move from {from} to {to}; from {from} it can move to: {allowed}")]
    NotAllowed { from: &'static str, to: &'static str, allowed: String },
    #[error("to leave `new`, the case needs {0}")]
    Incomplete(String),
    #[error("to close, the case needs {0}")]
    CannotClose(String),
    #[error("{0} needs a reason")]
    NeedsReason(&'static str),
    #[error("merging needs the case to merge into")]
    NeedsMergeTarget,
}

impl TransitionError {
    /// The request field (or case field) at fault, for API errors.
    pub fn field(&self) -> &'static str {
        match self {
            TransitionError::NotAllowed { .. } => "state",
            TransitionError::Incomplete(_) | TransitionError::CannotClose(_) => "case",
            TransitionError::NeedsReason(_) => "reason",
            TransitionError::NeedsMergeTarget => "merge_into",
        }
    }
}

/// Checks a transition against the table and the guards.
pub fn check_transition(facts: &CaseFacts, to: CaseState, req: &TransitionRequest) -> Result<(), TransitionError> {
    let from = facts.state;
    if !allowed_targets(from).contains(&to) {
        let allowed: Vec<&str> = allowed_targets(from).iter().map(|s| s.as_str()).collect();
        let allowed = if allowed.is_empty() { "nothing (it is final)".to_owned() } else { allowed.join(", ") };
        return Err(TransitionError::NotAllowed { from: from.as_str(), to: to.as_str(), allowed });
    }
    if from == New && !matches!(to, Cancelled | Merged) {
        let mut missing = Vec::new();
        if !facts.has_assignee {
            missing.push("an assignee");
        }
        if !facts.has_severity {
            missing.push("a severity");
        }
        if !facts.has_category {
            missing.push("a category");
        }
        if !missing.is_empty() {
            return Err(TransitionError::Incomplete(missing.join(", ")));
        }
    }
    match to {
        Closed => {
            let mut missing = Vec::new();
            if facts.resolution.is_none() {
                missing.push("a resolution (true_positive, false_positive, benign or duplicate)".to_owned());
            }
            if facts.summary.trim().is_empty() {
                missing.push("a summary".to_owned());
            }
            let waiver = facts.review_waiver_reason.as_deref().unwrap_or_default().trim();
            match facts.review {
                ReviewStatus::Completed => {}
                ReviewStatus::Waived if !waiver.is_empty() => {}
                ReviewStatus::Waived => missing.push("a reason for waiving the review".to_owned()),
                _ => missing.push("a post-incident review that is completed or waived with a reason".to_owned()),
            }
            if !missing.is_empty() {
                return Err(TransitionError::CannotClose(missing.join(", ")));
            }
        }
        Cancelled if req.reason.trim().is_empty() => return Err(TransitionError::NeedsReason("cancelling")),
        Analysis if from == Closed && req.reason.trim().is_empty() => {
            return Err(TransitionError::NeedsReason("reopening"));
        }
        Merged if req.merge_into.is_none() => return Err(TransitionError::NeedsMergeTarget),
        _ => {}
    }
    Ok(())
}

/// The default category taxonomy; organisations may define their own later.
pub const DEFAULT_CATEGORIES: &[&str] = &[
    "malware",
    "phishing",
    "unauthorised_access",
    "denial_of_service",
    "data_exposure",
    "insider",
    "policy_violation",
    "other",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(state: CaseState) -> CaseFacts {
        CaseFacts {
            state,
            has_assignee: true,
            has_severity: true,
            has_category: true,
            resolution: Some(Resolution::TruePositive),
            summary: "done".into(),
            review: ReviewStatus::Completed,
            review_waiver_reason: None,
        }
    }

    fn full_request() -> TransitionRequest {
        TransitionRequest { reason: "because".into(), merge_into: Some(uuid::Uuid::from_u128(1)) }
    }

    /// Walks every pair of states: the table decides, and nothing else.
    #[test]
    fn every_pair_of_states_follows_the_table() {
        let mut legal = 0;
        for from in CaseState::ALL {
            for to in CaseState::ALL {
                let result = check_transition(&ready(from), to, &full_request());
                let listed = allowed_targets(from).contains(&to);
                assert_eq!(result.is_ok(), listed, "{from:?} -> {to:?}: {result:?}");
                if listed {
                    legal += 1;
                } else {
                    assert!(matches!(result, Err(TransitionError::NotAllowed { .. })));
                }
            }
        }
        assert_eq!(legal, 22);
    }

    #[test]
    fn leaving_new_names_what_is_missing() {
        let facts = CaseFacts { has_assignee: false, has_category: false, ..ready(New) };
        let err = check_transition(&facts, Analysis, &TransitionRequest::default()).unwrap_err();
        assert_eq!(err.to_string(), "to leave `new`, the case needs an assignee, a category");
        // Cancelling a bare new case is fine with a reason.
        assert!(check_transition(&facts, Cancelled, &full_request()).is_ok());
        assert_eq!(
            check_transition(&facts, Cancelled, &TransitionRequest::default()),
            Err(TransitionError::NeedsReason("cancelling"))
        );
    }

    #[test]
    fn closing_needs_resolution_summary_and_review() {
        let facts =
            CaseFacts { resolution: None, summary: " ".into(), review: ReviewStatus::InProgress, ..ready(Review) };
        let err = check_transition(&facts, Closed, &TransitionRequest::default()).unwrap_err().to_string();
        assert!(err.contains("a resolution"), "{err}");
        assert!(err.contains("a summary"), "{err}");
        assert!(err.contains("post-incident review"), "{err}");
        let waived = CaseFacts {
            review: ReviewStatus::Waived,
            review_waiver_reason: Some("false positive".into()),
            ..ready(Analysis)
        };
        assert!(check_transition(&waived, Closed, &TransitionRequest::default()).is_ok());
        let waived_bare = CaseFacts { review: ReviewStatus::Waived, ..ready(Analysis) };
        assert!(check_transition(&waived_bare, Closed, &TransitionRequest::default()).is_err());
    }

    #[test]
    fn reopening_and_merging_need_their_details() {
        assert_eq!(
            check_transition(&ready(Closed), Analysis, &TransitionRequest::default()),
            Err(TransitionError::NeedsReason("reopening"))
        );
        assert_eq!(
            check_transition(&ready(Analysis), Merged, &TransitionRequest::default()),
            Err(TransitionError::NeedsMergeTarget)
        );
    }

    #[test]
    fn final_states_say_so() {
        let err = check_transition(&ready(Merged), Analysis, &full_request()).unwrap_err().to_string();
        assert!(err.contains("nothing (it is final)"), "{err}");
    }
}
