//! Incident management around a case: roles, the communication log and its
//! update reminders, stakeholder updates drafted from the case, requests to
//! business teams and for detection, response actions, and the
//! post-incident review with its action items.

use firebreak_domain::permission::Action;
use firebreak_domain::validate::{Title, markdown};
use firebreak_store::{Actor, ItemQuery, WriteCtx};
use firebreak_types::{
    ActionItem, ActionStatus, AssignCaseRole, Audience, Case, CaseRequest, CaseRole, CaseRoleKind, Communication,
    CreateActionItem, CreateCommunication, CreateRequest, CreateResponseAction, Direction, ErrorCode, ItemStatus,
    RequestKind, RequestStatus, ResponseAction, Review, ReviewStatus, SetActionStatus, SourceRef, Task, TaskStatus,
    UpdateDraft, WriteReview,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::events::{self, CaseEvent};
use crate::items::{self, Index, Kind};

macro_rules! case_kind {
    ($t:ty, $kind:literal, $noun:literal, |$v:ident| $index:expr) => {
        impl Kind for $t {
            const KIND: &'static str = $kind;
            const NOUN: &'static str = $noun;
            fn id(&self) -> Uuid {
                self.id
            }
            fn index(&self) -> Index {
                let $v = self;
                $index
            }
        }
    };
}

case_kind!(CaseRole, "case_role", "case role", |v| Index {
    case_id: Some(v.case_id),
    key: Some(v.role.as_str().to_owned()),
    assignee_id: v.user_id,
    at: Some(v.assigned_at),
    ..Index::default()
});
case_kind!(Communication, "communication", "communication", |v| Index {
    case_id: Some(v.case_id),
    status: Some(if v.next_update_due.is_some() && !v.reminded && !v.superseded { "pending" } else { "done" }.into()),
    due_at: v.next_update_due,
    key: Some(v.contact.to_lowercase()),
    at: Some(v.at),
    ..Index::default()
});
case_kind!(CaseRequest, "request", "request", |v| Index {
    case_id: Some(v.case_id),
    key: Some(v.kind.as_str().to_owned()),
    status: Some(v.status.as_str().to_owned()),
    due_at: v.due_at,
    at: Some(v.created_at),
    ..Index::default()
});
case_kind!(ResponseAction, "response_action", "response action", |v| Index {
    case_id: Some(v.case_id),
    key: Some(v.kind.as_str().to_owned()),
    status: Some(v.status.as_str().to_owned()),
    assignee_id: v.owner_id,
    at: Some(v.requested_at),
    ..Index::default()
});
case_kind!(Review, "review", "review", |v| Index {
    case_id: Some(v.case_id),
    status: Some(if v.completed { "completed" } else { "draft" }.into()),
    ..Index::default()
});
case_kind!(ActionItem, "action_item", "action item", |v| Index {
    case_id: Some(v.case_id),
    status: Some(v.status.as_str().to_owned()),
    assignee_id: v.owner_id,
    due_at: v.due_at,
    at: Some(v.created_at),
    ..Index::default()
});

async fn writable(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    let case = get_case(state, caller, case_id).await?;
    crate::cases::open(&case)?;
    Ok(case)
}

/// A case whose follow-up may still change once it is closed (the review's
/// action items outlive the incident).
async fn followed_up(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    get_case(state, caller, case_id).await
}

async fn user_name(state: &App, org: Uuid, field: &str, id: Uuid) -> AppResult<String> {
    let u = crate::service::enabled_user(state, org, field, id).await?;
    Ok(if u.display_name.is_empty() { u.username } else { u.display_name })
}

fn required(field: &str, v: &str) -> AppResult<String> {
    let v = markdown(field, v)?;
    if v.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, field, format!("{field} must not be empty")));
    }
    Ok(v)
}

/// Loads a case's item of `T`, refusing items of other cases.
async fn case_item<T: Kind>(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    case_of: impl Fn(&T) -> Uuid,
) -> AppResult<(firebreak_store::Item, T)> {
    let (item, v) = items::load::<T>(state, caller.org_id(), id).await?;
    if case_of(&v) != case_id {
        return Err(AppError::not_found(T::NOUN));
    }
    Ok((item, v))
}

// ---------------------------------------------------------------------------
// Roles

pub async fn assign_role(state: &App, caller: &Caller, case_id: Uuid, req: AssignCaseRole) -> AppResult<CaseRole> {
    writable(state, caller, case_id).await?;
    let name = match (req.user_id, req.name.as_deref().map(str::trim).filter(|n| !n.is_empty())) {
        (Some(u), _) => user_name(state, caller.org_id(), "user_id", u).await?,
        (None, Some(n)) => Title::parse("name", n)?.into_inner(),
        (None, None) => return Err(AppError::field(ErrorCode::MissingField, "user_id", "user_id or name is required")),
    };
    let role = CaseRole {
        id: Uuid::now_v7(),
        case_id,
        role: req.role,
        user_id: req.user_id,
        name,
        assigned_at: state.clock.now(),
    };
    let role = items::create(state, &caller.ctx(state), caller.org_id(), role).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(role)
}

pub async fn roles(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<CaseRole>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

pub async fn remove_role(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    writable(state, caller, case_id).await?;
    case_item::<CaseRole>(state, caller, case_id, id, |r| r.case_id).await?;
    items::delete::<CaseRole>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

// ---------------------------------------------------------------------------
// Communication log and update reminders

pub async fn log_communication(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateCommunication,
) -> AppResult<Communication> {
    writable(state, caller, case_id).await?;
    let now = state.clock.now();
    if req.next_update_due.is_some_and(|d| d <= now) {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "next_update_due",
            "next_update_due must be in the future",
        ));
    }
    let comm = Communication {
        id: Uuid::now_v7(),
        case_id,
        contact: Title::parse("contact", &req.contact)?.into_inner(),
        channel: req.channel,
        direction: req.direction,
        summary: required("summary", &req.summary)?,
        asked: markdown("asked", &req.asked)?,
        audience: req.audience,
        by: caller.name().to_owned(),
        at: now,
        next_update_due: req.next_update_due,
        reminded: false,
        superseded: false,
        answered_at: None,
    };
    let ctx = caller.ctx(state);
    // A new message out to the same contact answers the update that was due.
    if comm.direction == Direction::Outbound {
        let q = ItemQuery {
            case_id: Some(case_id),
            key: Some(comm.contact.to_lowercase()),
            statuses: vec!["pending".into()],
            ..items::query::<Communication>()
        };
        for item in state.store.list_items(caller.org_id(), &q).await? {
            let mut earlier: Communication = items::from_item(&item)?;
            earlier.superseded = true;
            earlier.answered_at = Some(now);
            items::save(state, &ctx, &item, earlier).await?;
        }
    }
    let comm = items::create(state, &ctx, caller.org_id(), comm).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(comm)
}

pub async fn communications(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Communication>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

/// Users who hear that an update is due: the case's communications and
/// incident-manager roles, else its owners.
async fn update_owners(state: &App, case: &Case) -> AppResult<Vec<Uuid>> {
    let roles: Vec<CaseRole> = items::of_case(state, case.org_id, case.id).await?;
    let users: Vec<Uuid> = roles
        .iter()
        .filter(|r| matches!(r.role, CaseRoleKind::Communications | CaseRoleKind::IncidentManager))
        .filter_map(|r| r.user_id)
        .collect();
    if users.is_empty() { events::case_owners(state, case).await } else { Ok(users) }
}

/// Raises `case.update_due` once for each communication whose next update is
/// past due and was not answered by a later message.
pub async fn remind_due_updates(state: &App) -> AppResult<usize> {
    let now = state.clock.now();
    let ctx = WriteCtx { actor: Actor::System, now };
    let due = state.store.due_items(Communication::KIND, "pending", now, 500).await?;
    let mut raised = 0;
    for item in due {
        let mut comm: Communication = items::from_item(&item)?;
        let Some(case) = state.store.get_case(item.org_id, comm.case_id).await? else { continue };
        comm.reminded = true;
        let comm = items::save(state, &ctx, &item, comm).await?;
        if !case.state.is_active() {
            continue;
        }
        let text = format!("Case #{} {}: an update to {} is due", case.number, case.title, comm.contact);
        let data =
            serde_json::json!({ "contact": comm.contact, "due": comm.next_update_due, "communication_id": comm.id });
        let notify = update_owners(state, &case).await?;
        events::emit(state, &ctx, CaseEvent { name: "case.update_due", case: &case, text, data, notify }).await?;
        raised += 1;
    }
    Ok(raised)
}

/// Drafts a stakeholder update from the case: status, impact, actions taken,
/// next steps and the next update time.
/// The reader's zone from their offset in minutes: at most 18 hours either
/// way, as RFC 3339 allows.
fn reader_offset(minutes: Option<i32>) -> AppResult<time::UtcOffset> {
    let Some(m) = minutes else { return Ok(time::UtcOffset::UTC) };
    if !(-1080..=1080).contains(&m) {
        return Err(AppError::field(ErrorCode::InvalidQuery, "utc_offset_minutes", "from -1080 to 1080 minutes"));
    }
    time::UtcOffset::from_whole_seconds(m * 60)
        .map_err(|_| AppError::field(ErrorCode::InvalidQuery, "utc_offset_minutes", "from -1080 to 1080 minutes"))
}

/// A time as a reader writes it: to the minute, in their zone, the zone said.
fn minutes_in(t: OffsetDateTime, offset: time::UtcOffset) -> String {
    let t = t.to_offset(offset);
    let zone = if offset.is_utc() {
        "UTC".to_owned()
    } else {
        let (h, m, _) = offset.as_hms();
        format!("UTC{}{:02}:{:02}", if offset.is_negative() { '-' } else { '+' }, h.abs(), m.abs())
    };
    format!("{:04}-{:02}-{:02} {:02}:{:02} {zone}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

pub async fn draft_update(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    audience: Audience,
    utc_offset_minutes: Option<i32>,
) -> AppResult<UpdateDraft> {
    let offset = reader_offset(utc_offset_minutes)?;
    let case = crate::cases::get_case(state, caller, case_id).await?;
    let actions: Vec<ResponseAction> = items::of_case(state, caller.org_id(), case_id).await?;
    let tasks: Vec<Task> = items::of_case(state, caller.org_id(), case_id).await?;
    let next = state.clock.now()
        + time::Duration::hours(match case.priority {
            firebreak_types::Priority::P1 => 2,
            firebreak_types::Priority::P2 => 4,
            _ => 24,
        });
    let fmt = |t: OffsetDateTime| minutes_in(t, offset);
    let severity = case.severity.map_or("not yet rated".to_owned(), |s| format!("{s:?}").to_lowercase());
    // What was done: response actions carried out and tasks completed, in
    // the order they were finished.
    let mut done: Vec<(OffsetDateTime, String)> = actions
        .iter()
        .filter(|a| a.status == ActionStatus::Done)
        .map(|a| {
            (a.done_at.unwrap_or(a.updated_at), format!("- {} on {}", a.kind.as_str().replace('_', " "), a.target))
        })
        .collect();
    done.extend(
        tasks
            .iter()
            .filter(|t| t.status == TaskStatus::Done)
            .map(|t| (t.done_at.unwrap_or(t.created_at), format!("- {}", t.title))),
    );
    done.sort_by_key(|(at, _)| *at);
    let done: Vec<String> = done.into_iter().map(|(_, line)| line).collect();
    let open: Vec<String> = tasks
        .iter()
        .filter(|t| matches!(t.status, TaskStatus::Todo | TaskStatus::InProgress))
        .take(5)
        .map(|t| format!("- {}", t.title))
        .collect();
    let bullets = |v: Vec<String>, none: &str| if v.is_empty() { format!("- {none}") } else { v.join("\n") };
    let subject = format!(
        "[{}] Incident #{} — {}: {}",
        format!("{:?}", case.tlp).to_uppercase(),
        case.number,
        case.state.as_str(),
        case.title
    );
    let body = match audience {
        Audience::Executive => format!(
            "**Status:** {} (priority {:?}, severity {severity}).\n\n**Impact:** {}\n\n**What we have done:**\n{}\n\n\
             **Next steps:**\n{}\n\n**Next update:** by {}.",
            case.state.as_str(),
            case.priority,
            if case.summary.is_empty() { "being assessed." } else { &case.summary },
            bullets(done, "assessment under way"),
            bullets(open, "to be decided"),
            fmt(next)
        ),
        Audience::Technical => {
            let observables: Vec<firebreak_types::Observable> = items::of_case(state, caller.org_id(), case_id).await?;
            let iocs: Vec<String> =
                observables.iter().filter(|o| o.ioc).map(|o| format!("- `{}` {}", o.kind, o.value)).collect();
            format!(
                "**Phase:** {} · **Priority:** {:?} · **Severity:** {severity} · **Tier:** {:?}\n\n{}\n\n\
                 **Done (response actions and tasks):**\n{}\n\n**Open tasks:**\n{}\n\n**Indicators:**\n{}\n\n**Next update:** by {}.",
                case.state.as_str(),
                case.priority,
                case.tier,
                case.description,
                bullets(done, "none yet"),
                bullets(open, "none"),
                bullets(iocs, "none flagged"),
                fmt(next)
            )
        }
    };
    Ok(UpdateDraft { audience, subject, body, next_update_due: Some(next) })
}

// ---------------------------------------------------------------------------
// Requests

pub async fn create_request(state: &App, caller: &Caller, case_id: Uuid, req: CreateRequest) -> AppResult<CaseRequest> {
    writable(state, caller, case_id).await?;
    let r = CaseRequest {
        id: Uuid::now_v7(),
        case_id,
        kind: req.kind,
        title: Title::parse("title", &req.title)?.into_inner(),
        description: markdown("description", &req.description)?,
        asked_of: req.asked_of.trim().to_owned(),
        status: RequestStatus::Open,
        due_at: req.due_at,
        created_by: caller.name().to_owned(),
        created_at: state.clock.now(),
        closed_at: None,
    };
    if r.kind == RequestKind::Business && r.asked_of.is_empty() {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "asked_of",
            "asked_of is required: which team or contact",
        ));
    }
    let r = items::create(state, &caller.ctx(state), caller.org_id(), r).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(r)
}

pub async fn case_requests(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<CaseRequest>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

pub async fn set_request_status(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    status: RequestStatus,
) -> AppResult<CaseRequest> {
    writable(state, caller, case_id).await?;
    let (item, mut r) = case_item::<CaseRequest>(state, caller, case_id, id, |r| r.case_id).await?;
    r.status = status;
    r.closed_at = matches!(status, RequestStatus::Done | RequestStatus::Declined).then(|| state.clock.now());
    let r = items::save(state, &caller.ctx(state), &item, r).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(r)
}

/// Requests of one kind across the organisation's cases, open ones first:
/// the detection backlog, or what business teams still owe.
pub async fn backlog_requests(
    state: &App,
    caller: &Caller,
    kind: RequestKind,
    open_only: bool,
) -> AppResult<Vec<CaseRequest>> {
    caller.require(Action::CaseRead)?;
    let statuses = if open_only { vec!["open".into(), "in_progress".into()] } else { Vec::new() };
    let q = ItemQuery { key: Some(kind.as_str().into()), statuses, ..items::query::<CaseRequest>() };
    items::list(state, caller.org_id(), &q).await
}

// ---------------------------------------------------------------------------
// Response actions

pub async fn create_action(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateResponseAction,
) -> AppResult<ResponseAction> {
    writable(state, caller, case_id).await?;
    if let Some(o) = req.observable_id {
        case_item::<firebreak_types::Observable>(state, caller, case_id, o, |o| o.case_id).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "observable_id", "observable_id must be an observable of this case")
        })?;
    }
    if let Some(u) = req.owner_id {
        user_name(state, caller.org_id(), "owner_id", u).await?;
    }
    let now = state.clock.now();
    let a = ResponseAction {
        id: Uuid::now_v7(),
        case_id,
        kind: req.kind,
        target: Title::parse("target", &req.target)?.into_inner(),
        observable_id: req.observable_id,
        owner_id: req.owner_id,
        status: ActionStatus::Requested,
        note: markdown("note", &req.note)?,
        requested_at: now,
        started_at: None,
        done_at: None,
        updated_at: now,
    };
    let a = items::create(state, &caller.ctx(state), caller.org_id(), a).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(a)
}

pub async fn actions(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<ResponseAction>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

/// Moves an action on; the first containment action done marks the case
/// contained (the stop of the time-to-contain clock).
pub async fn set_action_status(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    req: SetActionStatus,
) -> AppResult<ResponseAction> {
    let case = writable(state, caller, case_id).await?;
    let (item, mut a) = case_item::<ResponseAction>(state, caller, case_id, id, |a| a.case_id).await?;
    let now = state.clock.now();
    a.status = req.status;
    a.updated_at = now;
    if let Some(n) = req.note {
        a.note = markdown("note", &n)?;
    }
    match req.status {
        ActionStatus::InProgress => a.started_at = a.started_at.or(Some(now)),
        ActionStatus::Done => a.done_at = Some(now),
        _ => {}
    }
    let ctx = firebreak_store::WriteCtx { actor: caller.actor(), now };
    let a = items::save(state, &ctx, &item, a).await?;
    let verb = a.status.as_str().replace('_', " ");
    let text = format!("Response action {} on {}: {verb}", a.kind.as_str().replace('_', " "), a.target);
    crate::timeline::auto_entry(state, &ctx, &case, text, SourceRef { kind: "response_action".into(), id: Some(a.id) })
        .await?;
    if a.status == ActionStatus::Done && a.kind.contains() && case.contained_at.is_none() && case.state.is_active() {
        let mut after = case.clone();
        after.contained_at = Some(now);
        after.updated_at = now;
        state.store.update_case(&ctx, &case, &after).await?;
    }
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(a)
}

// ---------------------------------------------------------------------------
// Post-incident review and action items

pub async fn review(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Option<Review>> {
    get_case(state, caller, case_id).await?;
    Ok(items::of_case::<Review>(state, caller.org_id(), case_id).await?.into_iter().next())
}

pub async fn write_review(state: &App, caller: &Caller, case_id: Uuid, req: WriteReview) -> AppResult<Review> {
    let case = writable(state, caller, case_id).await?;
    let now = state.clock.now();
    let existing = state
        .store
        .list_items(caller.org_id(), &ItemQuery { case_id: Some(case_id), ..items::query::<Review>() })
        .await?
        .into_iter()
        .next();
    // Drafting is case work; completing a review, or changing one completed, is case management.
    let was_completed = existing.as_ref().map(items::from_item::<Review>).transpose()?.is_some_and(|r| r.completed);
    if req.complete || was_completed || case.review_status == ReviewStatus::Completed {
        caller.require(Action::CaseManage)?;
    }
    let review = Review {
        id: existing.as_ref().map_or_else(Uuid::now_v7, |i| i.id),
        case_id,
        summary: markdown("summary", &req.summary)?,
        root_cause: markdown("root_cause", &req.root_cause)?,
        timeline_ref: markdown("timeline_ref", &req.timeline_ref)?,
        went_well: markdown("went_well", &req.went_well)?,
        to_improve: markdown("to_improve", &req.to_improve)?,
        completed: req.complete,
        updated_by: caller.name().to_owned(),
        updated_at: now,
    };
    if review.completed {
        for (field, v) in
            [("summary", &review.summary), ("root_cause", &review.root_cause), ("to_improve", &review.to_improve)]
        {
            if v.trim().is_empty() {
                return Err(AppError::field(
                    ErrorCode::InvalidField,
                    field,
                    format!("{field} is required to complete the review"),
                ));
            }
        }
    }
    let ctx = caller.ctx(state);
    let review = match &existing {
        Some(item) => items::save(state, &ctx, item, review).await?,
        None => items::create(state, &ctx, caller.org_id(), review).await?,
    };
    let standing = if review.completed { ReviewStatus::Completed } else { ReviewStatus::InProgress };
    if case.review_status != standing && case.review_status != ReviewStatus::Waived {
        let mut after = case.clone();
        after.review_status = standing;
        after.review_waiver_reason = None;
        after.updated_at = now;
        state.store.update_case(&ctx, &case, &after).await?;
    }
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(review)
}

pub async fn add_action_item(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateActionItem,
) -> AppResult<ActionItem> {
    writable(state, caller, case_id).await?;
    if let Some(u) = req.owner_id {
        user_name(state, caller.org_id(), "owner_id", u).await?;
    }
    let item = ActionItem {
        id: Uuid::now_v7(),
        case_id,
        title: Title::parse("title", &req.title)?.into_inner(),
        owner_id: req.owner_id,
        status: ItemStatus::Open,
        due_at: req.due_at,
        created_at: state.clock.now(),
    };
    let item = items::create(state, &caller.ctx(state), caller.org_id(), item).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(item)
}

pub async fn case_action_items(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<ActionItem>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

pub async fn set_action_item_status(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    status: ItemStatus,
) -> AppResult<ActionItem> {
    followed_up(state, caller, case_id).await?;
    let (item, mut a) = case_item::<ActionItem>(state, caller, case_id, id, |a| a.case_id).await?;
    a.status = status;
    items::save(state, &caller.ctx(state), &item, a).await
}

/// Every case's open action items, in one backlog.
pub async fn action_item_backlog(state: &App, caller: &Caller, open_only: bool) -> AppResult<Vec<ActionItem>> {
    caller.require(Action::CaseRead)?;
    let statuses = if open_only { vec!["open".into()] } else { Vec::new() };
    items::list(state, caller.org_id(), &ItemQuery { statuses, ..items::query::<ActionItem>() }).await
}
