//! The life of a case (an incident): its states, the one table of allowed
//! transitions, and the guards that name what is missing.

pub use firebreak_types::{CaseState, Resolution, ReviewStatus};

use firebreak_types::{Case, PauseSpan};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::permission::Action;
use crate::validate::FieldError;
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
                missing.push(
                    "a resolution (true_positive, false_positive, benign, duplicate, indeterminate or other)"
                        .to_owned(),
                );
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

/// The permission a move needs: ending a case (closing, cancelling, merging
/// it away) or bringing an ended one back is case management; moving between
/// the working phases is ordinary case work.
pub fn transition_action(from: CaseState, to: CaseState) -> Action {
    if from.is_active() && to.is_active() { Action::CaseWrite } else { Action::CaseManage }
}

impl CaseFacts {
    /// What the guards need to know of `case`.
    pub fn of(case: &Case) -> CaseFacts {
        CaseFacts {
            state: case.state,
            has_assignee: case.assignee_id.is_some(),
            has_severity: case.severity.is_some(),
            has_category: case.category.is_some(),
            resolution: case.resolution,
            summary: case.summary.clone(),
            review: case.review_status,
            review_waiver_reason: case.review_waiver_reason.clone(),
        }
    }
}

/// What `case` becomes when it moves to `to` at `now`, if the table and the
/// guards allow it: the phase times it reaches (acknowledged on leaving
/// `new`, contained on moving past containment, recovered on leaving
/// recovery for review or closing, closed on ending), the target of a merge,
/// and an open pause ended when the case ends. Reopening clears `closed_at`
/// and keeps the other phase times.
pub fn apply_transition(
    case: &Case,
    to: CaseState,
    req: &TransitionRequest,
    now: OffsetDateTime,
) -> Result<Case, TransitionError> {
    check_transition(&CaseFacts::of(case), to, req)?;
    let from = case.state;
    let mut after = case.clone();
    after.state = to;
    after.updated_at = now;
    after.closed_at = if to.is_active() { None } else { Some(now) };
    if to == Merged {
        after.merged_into = req.merge_into;
    }
    if from == Recovery && matches!(to, Review | Closed) {
        after.recovered_at = Some(now);
    }
    if from == New && after.acknowledged_at.is_none() {
        after.acknowledged_at = Some(now);
    }
    // Moving past containment means the threat was contained.
    let past_containment = matches!(to, Eradication | Recovery | Review | Closed);
    if past_containment && after.contained_at.is_none() && from != New {
        after.contained_at = Some(now);
    }
    // An ended case stops waiting.
    if !to.is_active() {
        after.waiting_reason = None;
        if let Some(p) = after.pauses.last_mut().filter(|p| p.end.is_none()) {
            p.end = Some(now);
        }
    }
    Ok(after)
}

/// Why waiting cannot start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitingError {
    #[error("a closed case does not wait")]
    Ended,
    #[error("reason is required: who or what the case waits on")]
    NeedsReason,
}

impl WaitingError {
    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            WaitingError::Ended => "waiting",
            WaitingError::NeedsReason => "reason",
        }
    }
}

/// What `case` becomes when it starts (with a reason) or stops waiting on
/// someone outside the team at `now`: a pause of its SLA clocks opens or
/// ends. `None` when nothing changes (it was not waiting).
pub fn set_waiting(
    case: &Case,
    waiting: bool,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Option<Case>, WaitingError> {
    if !case.state.is_active() {
        return Err(WaitingError::Ended);
    }
    let mut after = case.clone();
    let open = after.pauses.last().is_some_and(|p| p.end.is_none());
    if waiting {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(WaitingError::NeedsReason);
        }
        after.waiting_reason = Some(reason.to_owned());
        if !open {
            after.pauses.push(PauseSpan { start: now, end: None });
        }
    } else if open {
        after.waiting_reason = None;
        if let Some(p) = after.pauses.last_mut() {
            p.end = Some(now);
        }
    } else {
        return Ok(None);
    }
    after.updated_at = now;
    Ok(Some(after))
}

/// Gives the case to `assignee` (or to nobody); its first assignee
/// acknowledges it.
pub fn assign(case: &mut Case, assignee: Option<Uuid>, now: OffsetDateTime) {
    case.assignee_id = assignee;
    if assignee.is_some() && case.acknowledged_at.is_none() {
        case.acknowledged_at = Some(now);
    }
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
    fn ending_or_reopening_a_case_is_case_management() {
        for from in CaseState::ALL {
            for &to in allowed_targets(from) {
                let manage = matches!(to, Closed | Cancelled | Merged) || from == Closed;
                let want = if manage { Action::CaseManage } else { Action::CaseWrite };
                assert_eq!(transition_action(from, to), want, "{from:?} -> {to:?}");
            }
        }
        assert_eq!(transition_action(Containment, Eradication), Action::CaseWrite);
        assert_eq!(transition_action(Review, Analysis), Action::CaseWrite);
    }

    #[test]
    fn final_states_say_so() {
        let err = check_transition(&ready(Merged), Analysis, &full_request()).unwrap_err().to_string();
        assert!(err.contains("nothing (it is final)"), "{err}");
    }
}

pub use firebreak_types::{CaseSettings, CustomFieldDef, CustomFieldKind};

/// The settings an organisation starts with: the default matrix, the default
/// categories, no custom fields.
pub fn default_settings() -> CaseSettings {
    CaseSettings {
        priority_matrix: crate::priority::PriorityMatrix::default().0,
        categories: DEFAULT_CATEGORIES.iter().map(|c| (*c).to_owned()).collect(),
        custom_fields: Vec::new(),
    }
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Checks settings before they are stored; the error names the field.
pub fn check_settings(s: &CaseSettings) -> Result<(), FieldError> {
    if s.categories.is_empty() {
        return Err(FieldError::new("categories", "at least one category"));
    }
    for (i, c) in s.categories.iter().enumerate() {
        if !is_key(c) {
            return Err(FieldError::new(format!("categories[{i}]"), "lower-case letters, digits and _ (1 to 64)"));
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for (i, f) in s.custom_fields.iter().enumerate() {
        if !is_key(&f.name) {
            return Err(FieldError::new(
                format!("custom_fields[{i}].name"),
                "lower-case letters, digits and _ (1 to 64)",
            ));
        }
        if !names.insert(f.name.as_str()) {
            return Err(FieldError::new(
                format!("custom_fields[{i}].name"),
                format!("a name used once ({:?} is repeated)", f.name),
            ));
        }
        if f.kind == CustomFieldKind::Choice && f.options.is_empty() {
            return Err(FieldError::new(format!("custom_fields[{i}].options"), "at least one option for a choice"));
        }
    }
    Ok(())
}

/// The category, checked against the organisation's taxonomy.
pub fn check_category(settings: &CaseSettings, value: Option<String>) -> Result<Option<String>, FieldError> {
    match value.map(|c| c.trim().to_lowercase().replace(' ', "_")) {
        Some(c) if settings.categories.contains(&c) => Ok(Some(c)),
        Some(_) => Err(FieldError::new("category", format!("one of {}", settings.categories.join(", ")))),
        None => Ok(None),
    }
}

/// Custom fields, checked against the organisation's definitions: known
/// names only, each of its type, required ones present.
pub fn check_custom_fields(settings: &CaseSettings, value: &serde_json::Value) -> Result<(), FieldError> {
    let Some(map) = value.as_object() else {
        return Err(FieldError::new("custom_fields", "a JSON object"));
    };
    if settings.custom_fields.is_empty() {
        return Ok(());
    }
    for (k, v) in map {
        let field = format!("custom_fields.{k}");
        let Some(def) = settings.custom_fields.iter().find(|d| &d.name == k) else {
            let known: Vec<&str> = settings.custom_fields.iter().map(|d| d.name.as_str()).collect();
            return Err(FieldError::new(field, format!("a defined custom field; defined: {}", known.join(", "))));
        };
        if v.is_null() {
            continue;
        }
        let ok = match def.kind {
            CustomFieldKind::Text => v.is_string(),
            CustomFieldKind::Number => v.is_number(),
            CustomFieldKind::Boolean => v.is_boolean(),
            CustomFieldKind::Date => v.as_str().is_some_and(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
                    || time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
            }),
            CustomFieldKind::Choice => v.as_str().is_some_and(|s| def.options.iter().any(|o| o == s)),
        };
        if !ok {
            let expected = match def.kind {
                CustomFieldKind::Text => "text".to_owned(),
                CustomFieldKind::Number => "a number".to_owned(),
                CustomFieldKind::Boolean => "true or false".to_owned(),
                CustomFieldKind::Date => "a date (2026-03-02 or RFC 3339)".to_owned(),
                CustomFieldKind::Choice => format!("one of {}", def.options.join(", ")),
            };
            return Err(FieldError::new(field, expected));
        }
    }
    for def in settings.custom_fields.iter().filter(|d| d.required) {
        if map.get(&def.name).is_none_or(serde_json::Value::is_null) {
            return Err(FieldError::new(format!("custom_fields.{}", def.name), "a value (the field is required)"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod settings_tests {
    use super::*;
    use serde_json::json;

    fn settings() -> CaseSettings {
        let mut s = default_settings();
        s.categories.push("fraud".into());
        s.custom_fields = vec![
            CustomFieldDef {
                name: "ticket".into(),
                label: "ITSM ticket".into(),
                kind: CustomFieldKind::Text,
                options: vec![],
                required: true,
            },
            CustomFieldDef {
                name: "loss".into(),
                label: String::new(),
                kind: CustomFieldKind::Number,
                options: vec![],
                required: false,
            },
            CustomFieldDef {
                name: "region".into(),
                label: String::new(),
                kind: CustomFieldKind::Choice,
                options: vec!["eu".into(), "us".into()],
                required: false,
            },
            CustomFieldDef {
                name: "noticed".into(),
                label: String::new(),
                kind: CustomFieldKind::Date,
                options: vec![],
                required: false,
            },
        ];
        s
    }

    #[test]
    fn categories_come_from_the_taxonomy() {
        let s = settings();
        assert_eq!(check_category(&s, Some("Fraud".into())), Ok(Some("fraud".into())));
        assert_eq!(check_category(&s, Some("denial of service".into())), Ok(Some("denial_of_service".into())));
        assert!(check_category(&s, Some("aliens".into())).unwrap_err().expected.contains("fraud"));
    }

    #[test]
    fn custom_fields_follow_their_definitions() {
        let s = settings();
        assert!(
            check_custom_fields(
                &s,
                &json!({ "ticket": "INC-1", "loss": 1200.5, "region": "eu", "noticed": "2026-03-02" })
            )
            .is_ok()
        );
        let e = |v| check_custom_fields(&s, &v).unwrap_err();
        assert_eq!(e(json!({ "loss": 3 })).field, "custom_fields.ticket");
        assert_eq!(e(json!({ "ticket": "x", "loss": "lots" })).expected, "a number");
        assert_eq!(e(json!({ "ticket": "x", "region": "mars" })).expected, "one of eu, us");
        assert_eq!(e(json!({ "ticket": "x", "noticed": "yesterday" })).field, "custom_fields.noticed");
        assert!(e(json!({ "ticket": "x", "colour": "red" })).expected.contains("defined: ticket"));
        assert!(
            check_custom_fields(&default_settings(), &json!({ "anything": [1] })).is_ok(),
            "free-form without definitions"
        );
    }

    #[test]
    fn settings_are_checked() {
        let mut s = settings();
        assert!(check_settings(&s).is_ok());
        s.custom_fields.push(s.custom_fields[0].clone());
        assert_eq!(check_settings(&s).unwrap_err().field, "custom_fields[4].name");
        let mut s = settings();
        s.categories.push("Bad Name".into());
        assert!(check_settings(&s).is_err());
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    use time::OffsetDateTime;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_800_000_000 + s).unwrap()
    }

    /// A case ready for any move: assigned, rated, resolved and reviewed.
    fn case(state: CaseState) -> Case {
        serde_json::from_value(serde_json::json!({
            "id": Uuid::from_u128(1), "org_id": Uuid::from_u128(2), "number": 7, "title": "Ransomware on WS-042",
            "description": "", "severity": "high", "impact": "high", "urgency": "high", "priority": "P1",
            "category": "malware", "tlp": "amber", "pap": "amber", "tags": [], "assignee_id": Uuid::from_u128(3),
            "tier": "L1", "state": state, "resolution": "true_positive", "summary": "Contained and cleaned.",
            "review_status": "completed", "custom_fields": {}, "created_at": "2027-01-15T08:00:00Z",
            "updated_at": "2027-01-15T08:00:00Z", "pauses": [],
        }))
        .unwrap()
    }

    fn to(c: &Case, state: CaseState, now: i64) -> Case {
        let req = TransitionRequest { reason: "new facts".into(), merge_into: Some(Uuid::from_u128(9)) };
        apply_transition(c, state, &req, at(now)).unwrap()
    }

    #[test]
    fn each_phase_records_when_it_was_reached() {
        let new = case(New);
        let analysis = to(&new, Analysis, 10);
        assert_eq!((analysis.state, analysis.updated_at), (Analysis, at(10)));
        assert_eq!(analysis.acknowledged_at, Some(at(10)), "leaving new acknowledges");
        assert_eq!((analysis.contained_at, analysis.recovered_at, analysis.closed_at), (None, None, None));

        let containment = to(&analysis, Containment, 20);
        assert_eq!(containment.contained_at, None, "containment starts; it is not done yet");
        let eradication = to(&containment, Eradication, 30);
        assert_eq!(eradication.contained_at, Some(at(30)));
        let recovery = to(&eradication, Recovery, 40);
        assert_eq!((recovery.contained_at, recovery.recovered_at), (Some(at(30)), None));
        let review = to(&recovery, Review, 50);
        assert_eq!(review.recovered_at, Some(at(50)), "leaving recovery for review ends recovery");
        let closed = to(&review, Closed, 60);
        assert_eq!(closed.closed_at, Some(at(60)));
        assert_eq!(
            (closed.acknowledged_at, closed.contained_at, closed.recovered_at),
            (Some(at(10)), Some(at(30)), Some(at(50))),
            "later moves keep the first times"
        );
        // Back to containment does not end recovery.
        assert_eq!(to(&recovery, Containment, 45).recovered_at, None);
    }

    #[test]
    fn a_case_closed_from_analysis_was_contained_then_and_one_acknowledged_keeps_its_time() {
        let mut new = case(New);
        new.acknowledged_at = Some(at(1));
        let analysis = to(&new, Analysis, 10);
        assert_eq!(analysis.acknowledged_at, Some(at(1)));
        let closed = to(&analysis, Closed, 20);
        assert_eq!((closed.contained_at, closed.closed_at), (Some(at(20)), Some(at(20))));
        // Cancelling a new case contains nothing.
        let cancelled = to(&new, Cancelled, 5);
        assert_eq!((cancelled.contained_at, cancelled.closed_at), (None, Some(at(5))));
    }

    #[test]
    fn reopening_clears_the_close_and_keeps_the_phases() {
        let closed = to(&to(&case(Analysis), Containment, 10), Eradication, 20);
        let closed = to(&to(&to(&closed, Recovery, 30), Review, 40), Closed, 50);
        let reopened = to(&closed, Analysis, 60);
        assert_eq!((reopened.state, reopened.closed_at), (Analysis, None));
        assert_eq!((reopened.contained_at, reopened.recovered_at), (closed.contained_at, closed.recovered_at));
        let bare = TransitionRequest::default();
        assert_eq!(apply_transition(&closed, Analysis, &bare, at(60)), Err(TransitionError::NeedsReason("reopening")));
    }

    #[test]
    fn merging_names_the_target_and_ends_the_case() {
        let merged = to(&case(Containment), Merged, 10);
        assert_eq!((merged.merged_into, merged.closed_at), (Some(Uuid::from_u128(9)), Some(at(10))));
        let bare = TransitionRequest::default();
        assert_eq!(apply_transition(&case(Analysis), Merged, &bare, at(10)), Err(TransitionError::NeedsMergeTarget));
        // Only a merge sets the target.
        assert_eq!(to(&case(Analysis), Containment, 10).merged_into, None);
    }

    #[test]
    fn a_refused_move_changes_nothing() {
        let err = apply_transition(&case(Merged), Analysis, &TransitionRequest::default(), at(1)).unwrap_err();
        assert!(matches!(err, TransitionError::NotAllowed { .. }));
        let mut bare = case(New);
        bare.assignee_id = None;
        let err = apply_transition(&bare, Analysis, &TransitionRequest::default(), at(1)).unwrap_err();
        assert_eq!(err, TransitionError::Incomplete("an assignee".into()));
    }

    #[test]
    fn waiting_opens_a_pause_and_ending_the_case_closes_it() {
        let analysis = case(Analysis);
        assert_eq!(set_waiting(&analysis, true, " ", at(1)), Err(WaitingError::NeedsReason));
        assert_eq!(set_waiting(&analysis, false, "", at(1)), Ok(None), "not waiting: nothing to stop");
        let waiting = set_waiting(&analysis, true, " the vendor ", at(10)).unwrap().unwrap();
        assert_eq!(waiting.waiting_reason.as_deref(), Some("the vendor"));
        assert_eq!(waiting.pauses, [PauseSpan { start: at(10), end: None }]);
        assert_eq!(waiting.updated_at, at(10));
        // A new reason while waiting keeps the pause it is in.
        let still = set_waiting(&waiting, true, "the vendor's lawyer", at(20)).unwrap().unwrap();
        assert_eq!(still.pauses.len(), 1);
        let stopped = set_waiting(&still, false, "", at(30)).unwrap().unwrap();
        assert_eq!((stopped.waiting_reason.clone(), stopped.pauses[0].end), (None, Some(at(30))));

        // Closing while waiting ends the pause at the close.
        let closed = to(&waiting, Closed, 40);
        assert_eq!((closed.waiting_reason.clone(), closed.pauses[0].end), (None, Some(at(40))));
        assert_eq!(set_waiting(&closed, true, "anyone", at(50)), Err(WaitingError::Ended));
        // An earlier, ended pause is left as it was.
        let closed_again = to(&stopped, Closed, 40);
        assert_eq!(closed_again.pauses[0].end, Some(at(30)));
    }

    #[test]
    fn the_first_assignee_acknowledges() {
        let mut c = case(New);
        c.assignee_id = None;
        assign(&mut c, None, at(1));
        assert_eq!(c.acknowledged_at, None);
        let someone = Uuid::from_u128(5);
        assign(&mut c, Some(someone), at(2));
        assert_eq!((c.assignee_id, c.acknowledged_at), (Some(someone), Some(at(2))));
        assign(&mut c, Some(Uuid::from_u128(6)), at(3));
        assert_eq!(c.acknowledged_at, Some(at(2)));
    }
}
