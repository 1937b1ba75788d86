//! The work on a case: tasks and their logs, templates, observables and
//! their sightings, the timeline, escalations; and the organisation's teams
//! and each user's notifications. Same shape as `cases`: permission,
//! validation, store (with its audit entry), live update.

use std::collections::{BTreeMap, HashMap};

use firebreak_domain::attack::attack;
use firebreak_domain::observable::{ObservableKind, normalise};
use firebreak_domain::permission::Action;
use firebreak_domain::validate::{FieldError, Name, Title, markdown, tags};
use firebreak_store::{ItemQuery, WriteCtx};
use firebreak_types::{
    Case, CaseState, CaseTemplate, CreateObservable, CreateTask, CreateTaskLog, CreateTeam, CreateTemplate,
    CreateTimelineEntry, ErrorCode, EscalateCase, Escalation, Notification, Observable, ObservableWithSightings, Role,
    Severity, Sighting, SourceRef, Task, TaskLog, TaskStatus, Team, TemplateTask, Tier, TimelineEntry, UpdateTask,
};
use time::Duration;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::events::{self, CaseEvent};
use crate::items::{self, OrgSetting, observable_key};

async fn writable_case(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Case> {
    caller.require(Action::CaseWrite)?;
    get_case(state, caller, case_id).await
}

async fn check_user(state: &App, org: Uuid, field: &str, id: Option<Uuid>) -> AppResult<()> {
    if let Some(id) = id {
        crate::service::enabled_user(state, org, field, id).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tasks

pub async fn create_task(state: &App, caller: &Caller, case_id: Uuid, req: CreateTask) -> AppResult<Task> {
    let case = writable_case(state, caller, case_id).await?;
    check_user(state, caller.org_id(), "assignee_id", req.assignee_id).await?;
    let task = Task {
        id: Uuid::now_v7(),
        case_id,
        phase: req.phase.unwrap_or(case.state),
        title: Title::parse("title", &req.title)?.into_inner(),
        description: markdown("description", &req.description)?,
        status: TaskStatus::Todo,
        assignee_id: req.assignee_id,
        assignee_role: req.assignee_role,
        due_at: req.due_at,
        created_at: state.clock.now(),
        done_at: None,
    };
    let task = items::create(state, &caller.ctx(state), caller.org_id(), task).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(task)
}

pub async fn list_tasks(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Task>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

async fn load_task(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<(firebreak_store::Item, Task)> {
    let (item, task) = items::load::<Task>(state, caller.org_id(), id).await?;
    if task.case_id != case_id {
        return Err(AppError::not_found("task"));
    }
    Ok((item, task))
}

pub async fn update_task(state: &App, caller: &Caller, case_id: Uuid, id: Uuid, req: UpdateTask) -> AppResult<Task> {
    writable_case(state, caller, case_id).await?;
    let (item, mut task) = load_task(state, caller, case_id, id).await?;
    if let Some(v) = req.title {
        task.title = Title::parse("title", &v)?.into_inner();
    }
    if let Some(v) = req.description {
        task.description = markdown("description", &v)?;
    }
    if let Some(v) = req.phase {
        task.phase = v;
    }
    if let Some(v) = req.assignee_id {
        check_user(state, caller.org_id(), "assignee_id", v).await?;
        task.assignee_id = v;
    }
    if let Some(v) = req.due_at {
        task.due_at = v;
    }
    if let Some(v) = req.status {
        task.done_at = (v == TaskStatus::Done).then(|| state.clock.now());
        task.status = v;
    }
    let task = items::save(state, &caller.ctx(state), &item, task).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(task)
}

pub async fn add_task_log(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    task_id: Uuid,
    req: CreateTaskLog,
) -> AppResult<TaskLog> {
    writable_case(state, caller, case_id).await?;
    load_task(state, caller, case_id, task_id).await?;
    let body = markdown("body", &req.body)?;
    if body.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "body", "body must not be empty"));
    }
    for id in &req.attachments {
        let item = state.store.get_item(caller.org_id(), "evidence", *id).await?;
        if item.is_none_or(|i| i.case_id != Some(case_id)) {
            return Err(AppError::field(
                ErrorCode::NotFound,
                "attachments",
                "attachments must be evidence of this case",
            ));
        }
    }
    let log = TaskLog {
        id: Uuid::now_v7(),
        task_id,
        body,
        attachments: req.attachments,
        author: caller.name().to_owned(),
        at: state.clock.now(),
    };
    let log = items::create(state, &caller.ctx(state), caller.org_id(), log).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(log)
}

pub async fn task_logs(state: &App, caller: &Caller, case_id: Uuid, task_id: Uuid) -> AppResult<Vec<TaskLog>> {
    get_case(state, caller, case_id).await?;
    load_task(state, caller, case_id, task_id).await?;
    items::list(state, caller.org_id(), &ItemQuery { parent_id: Some(task_id), ..items::query::<TaskLog>() }).await
}

// ---------------------------------------------------------------------------
// Templates

fn t(phase: CaseState, title: &str, role: Role, due_hours: u32, description: &str) -> TemplateTask {
    TemplateTask {
        phase,
        title: title.into(),
        description: description.into(),
        assignee_role: Some(role),
        due_hours: Some(due_hours),
    }
}

/// The templates every organisation starts with.
pub fn default_templates() -> Vec<CreateTemplate> {
    use CaseState::*;
    use Role::*;
    vec![
        CreateTemplate {
            name: "Phishing".into(),
            category: "phishing".into(),
            description: "A reported or detected phishing e-mail.".into(),
            severity: Some(Severity::Medium),
            tags: vec!["phishing".into(), "email".into()],
            tasks: vec![
                t(Analysis, "Collect the original message with headers", AnalystL1, 1, "Save the .eml as evidence."),
                t(Analysis, "Extract sender, URLs and attachments as observables", AnalystL1, 2, ""),
                t(Analysis, "Find every recipient and who clicked or replied", AnalystL2, 4, ""),
                t(Containment, "Purge the message from all mailboxes", AnalystL2, 4, ""),
                t(Containment, "Block sender domain, URLs and hashes", AnalystL2, 4, ""),
                t(Eradication, "Reset credentials of users who entered them", AnalystL2, 8, ""),
                t(Recovery, "Tell affected users what happened and what to do", IncidentManager, 24, ""),
                t(Review, "Record lessons and detection gaps", IncidentManager, 72, ""),
            ],
        },
        CreateTemplate {
            name: "Malware on endpoint".into(),
            category: "malware".into(),
            description: "Malicious code found running on a workstation or server.".into(),
            severity: Some(Severity::High),
            tags: vec!["malware".into(), "endpoint".into()],
            tasks: vec![
                t(Analysis, "Identify the host, its owner and its criticality", AnalystL1, 1, ""),
                t(Analysis, "Collect the sample and its hashes", AnalystL2, 2, ""),
                t(Containment, "Isolate the host from the network", AnalystL2, 2, ""),
                t(Analysis, "Sweep other hosts for the same indicators", AnalystL3, 8, ""),
                t(Eradication, "Remove the malware and its persistence", AnalystL2, 24, ""),
                t(Recovery, "Reimage or restore the host and return it to service", AnalystL2, 48, ""),
                t(Review, "Record root cause and detection gaps", IncidentManager, 120, ""),
            ],
        },
        CreateTemplate {
            name: "Compromised account".into(),
            category: "unauthorised_access".into(),
            description: "An account used by someone other than its owner.".into(),
            severity: Some(Severity::High),
            tags: vec!["account".into(), "identity".into()],
            tasks: vec![
                t(Analysis, "Confirm with the owner which activity was theirs", AnalystL1, 1, ""),
                t(Containment, "Disable the account or revoke its sessions", AnalystL2, 1, ""),
                t(Containment, "Reset credentials and MFA enrolment", AnalystL2, 2, ""),
                t(Analysis, "Review what the account accessed and changed", AnalystL3, 8, ""),
                t(Recovery, "Restore access for the owner", AnalystL2, 24, ""),
                t(Review, "Record how the credentials were obtained", IncidentManager, 120, ""),
            ],
        },
        CreateTemplate {
            name: "Data exposure".into(),
            category: "data_exposure".into(),
            description: "Data reached, or may have reached, people who should not have it.".into(),
            severity: Some(Severity::High),
            tags: vec!["data".into(), "privacy".into()],
            tasks: vec![
                t(Analysis, "Establish what data, whose, and how much", AnalystL2, 4, ""),
                t(Analysis, "Involve legal and the data protection officer", IncidentManager, 4, ""),
                t(Containment, "Close the exposure (permissions, links, buckets)", AnalystL2, 4, ""),
                t(Eradication, "Ask recipients to delete copies; record replies", IncidentManager, 48, ""),
                t(Recovery, "Notify regulators and people affected where required", IncidentManager, 72, ""),
                t(Review, "Record the cause and the controls to add", IncidentManager, 168, ""),
            ],
        },
    ]
}

fn build_template(settings: &firebreak_types::CaseSettings, req: CreateTemplate) -> AppResult<CaseTemplate> {
    let category = firebreak_domain::case::check_category(settings, Some(req.category))?.unwrap_or_default();
    let mut tasks = Vec::with_capacity(req.tasks.len());
    for (i, task) in req.tasks.into_iter().enumerate() {
        let title = Title::parse(&format!("tasks[{i}].title"), &task.title)?.into_inner();
        tasks.push(TemplateTask { title, ..task });
    }
    Ok(CaseTemplate {
        id: Uuid::now_v7(),
        name: Name::parse("name", &req.name)?.into_inner(),
        category,
        description: markdown("description", &req.description)?,
        severity: req.severity,
        tags: tags("tags", &req.tags)?,
        tasks,
    })
}

const TEMPLATES_SEEDED: &str = "templates_seeded";

/// The organisation's templates; the defaults are stored the first time
/// they are asked for, after which they are the organisation's to edit.
pub async fn list_templates(state: &App, caller: &Caller) -> AppResult<Vec<CaseTemplate>> {
    caller.require(Action::CaseRead)?;
    let q = items::query::<CaseTemplate>();
    if items::setting(state, caller.org_id(), TEMPLATES_SEEDED).await?.is_some() {
        return items::list(state, caller.org_id(), &q).await;
    }
    let settings = firebreak_domain::case::default_settings();
    let defaults =
        default_templates().into_iter().map(|t| build_template(&settings, t)).collect::<AppResult<Vec<_>>>()?;
    let ctx = WriteCtx { actor: firebreak_store::Actor::System, now: state.clock.now() };
    let mark = OrgSetting { id: Uuid::now_v7(), name: TEMPLATES_SEEDED.into(), value: serde_json::Value::Bool(true) };
    items::create(state, &ctx, caller.org_id(), mark).await?;
    items::create_all(state, &ctx, caller.org_id(), defaults).await?;
    items::list(state, caller.org_id(), &q).await
}

pub async fn create_template(state: &App, caller: &Caller, req: CreateTemplate) -> AppResult<CaseTemplate> {
    caller.require(Action::OrgSettings)?;
    list_templates(state, caller).await?;
    let settings = crate::cases::settings(state, caller.org_id()).await?;
    let template = build_template(&settings, req)?;
    items::create(state, &caller.ctx(state), caller.org_id(), template).await
}

pub async fn delete_template(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Action::OrgSettings)?;
    items::delete::<CaseTemplate>(state, &caller.ctx(state), caller.org_id(), id).await
}

pub async fn get_template(state: &App, caller: &Caller, id: Uuid) -> AppResult<CaseTemplate> {
    list_templates(state, caller).await?;
    Ok(items::load::<CaseTemplate>(state, caller.org_id(), id).await?.1)
}

/// The tasks a template gives a new case.
pub fn template_tasks(template: &CaseTemplate, case: &Case) -> Vec<Task> {
    template
        .tasks
        .iter()
        .map(|tt| Task {
            id: Uuid::now_v7(),
            case_id: case.id,
            phase: tt.phase,
            title: tt.title.clone(),
            description: tt.description.clone(),
            status: TaskStatus::Todo,
            assignee_id: None,
            assignee_role: tt.assignee_role,
            due_at: tt.due_hours.map(|h| case.created_at + Duration::hours(i64::from(h))),
            created_at: case.created_at,
            done_at: None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Observables and sightings

fn parse_kind(kind: &str) -> Result<ObservableKind, FieldError> {
    kind.trim().to_lowercase().parse::<ObservableKind>().map_err(|_| {
        let names: Vec<&str> = ObservableKind::ALL.iter().map(|k| k.as_str()).collect();
        FieldError::new("type", format!("one of {}", names.join(", ")))
    })
}

/// The observable checks speak in whole sentences; they are passed on as they are.
fn value_error(e: FieldError) -> AppError {
    AppError::field(ErrorCode::InvalidField, e.field, e.expected)
}

pub async fn add_observable(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateObservable,
) -> AppResult<ObservableWithSightings> {
    writable_case(state, caller, case_id).await?;
    let kind = parse_kind(&req.kind)?;
    let n = normalise(kind, &req.value).map_err(value_error)?;
    let key = observable_key(kind.as_str(), &n.value);
    let same = ItemQuery { case_id: Some(case_id), key: Some(key), ..items::query::<Observable>() };
    if state.store.count_items(caller.org_id(), &same).await? > 0 {
        return Err(AppError::field(ErrorCode::Conflict, "value", "this case already has this observable"));
    }
    let observable = Observable {
        id: Uuid::now_v7(),
        case_id,
        kind: kind.as_str().to_owned(),
        value: n.value,
        ip_class: n.ip_class.map(|c| c.as_str().to_owned()),
        tlp: req.tlp,
        ioc: req.ioc,
        tags: tags("tags", &req.tags)?,
        description: markdown("description", &req.description)?,
        created_at: state.clock.now(),
    };
    let observable = items::create(state, &caller.ctx(state), caller.org_id(), observable).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    let sightings = sightings(state, caller.org_id(), &observable).await?;
    Ok(ObservableWithSightings { observable, sightings })
}

pub async fn list_observables(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<ObservableWithSightings>> {
    get_case(state, caller, case_id).await?;
    let observables: Vec<Observable> = items::of_case(state, caller.org_id(), case_id).await?;
    let mut seen = sightings_of(state, caller.org_id(), &observables).await?;
    Ok(observables
        .into_iter()
        .map(|observable| {
            let sightings = seen.remove(&observable.id).unwrap_or_default();
            ObservableWithSightings { observable, sightings }
        })
        .collect())
}

pub async fn delete_observable(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    writable_case(state, caller, case_id).await?;
    let (_, o) = items::load::<Observable>(state, caller.org_id(), id).await?;
    if o.case_id != case_id {
        return Err(AppError::not_found("observable"));
    }
    items::delete::<Observable>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

/// Every other case of the organisation with the same type and value: an
/// index look-up on `(org, kind, key)`.
pub async fn sightings(state: &App, org: Uuid, observable: &Observable) -> AppResult<Vec<Sighting>> {
    let mut all = sightings_of(state, org, std::slice::from_ref(observable)).await?;
    Ok(all.remove(&observable.id).unwrap_or_default())
}

/// The sightings of several observables at once: one index look-up for all
/// their keys and one for the cases that saw them, however many there are.
pub async fn sightings_of(
    state: &App,
    org: Uuid,
    observables: &[Observable],
) -> AppResult<HashMap<Uuid, Vec<Sighting>>> {
    let mut out: HashMap<Uuid, Vec<Sighting>> = HashMap::new();
    if observables.is_empty() {
        return Ok(out);
    }
    let keys: Vec<String> = observables.iter().map(|o| observable_key(&o.kind, &o.value)).collect();
    let mut seen = Vec::new();
    for chunk in keys.chunks(200) {
        let q = ItemQuery { keys: chunk.to_vec(), ..items::query::<Observable>() };
        seen.extend(state.store.list_items(org, &q).await?);
    }
    // key -> case -> (an observable id there, first seen, last seen)
    type Seen = BTreeMap<Uuid, (Uuid, time::OffsetDateTime, time::OffsetDateTime)>;
    let mut by_key: HashMap<&str, Seen> = HashMap::new();
    for item in &seen {
        let (Some(key), Some(case)) = (item.key.as_deref(), item.case_id) else { continue };
        let e = by_key.entry(key).or_default().entry(case).or_insert((item.id, item.at, item.at));
        e.1 = e.1.min(item.at);
        e.2 = e.2.max(item.at);
    }
    let mut case_ids: Vec<Uuid> = by_key.values().flat_map(|m| m.keys().copied()).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let cases: HashMap<Uuid, Case> =
        state.store.cases_by_id(org, &case_ids).await?.into_iter().map(|c| (c.id, c)).collect();
    for (o, key) in observables.iter().zip(&keys) {
        let Some(per_case) = by_key.get(key.as_str()) else { continue };
        let mut list: Vec<Sighting> = per_case
            .iter()
            .filter(|(case, _)| **case != o.case_id)
            .filter_map(|(case, (oid, first, last))| {
                cases.get(case).map(|c| Sighting {
                    case_id: c.id,
                    case_number: c.number,
                    case_title: c.title.clone(),
                    observable_id: *oid,
                    first_seen: *first,
                    last_seen: *last,
                })
            })
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse(s.last_seen));
        out.insert(o.id, list);
    }
    Ok(out)
}

/// Sightings of a value typed by hand (the observable search box).
pub async fn search_sightings(state: &App, caller: &Caller, kind: &str, value: &str) -> AppResult<Vec<Sighting>> {
    caller.require(Action::CaseRead)?;
    let kind = parse_kind(kind)?;
    let n = normalise(kind, value).map_err(value_error)?;
    let probe = Observable {
        id: Uuid::nil(),
        case_id: Uuid::nil(),
        kind: kind.as_str().to_owned(),
        value: n.value,
        ip_class: None,
        tlp: firebreak_types::Tlp::Clear,
        ioc: false,
        tags: Vec::new(),
        description: String::new(),
        created_at: state.clock.now(),
    };
    sightings(state, caller.org_id(), &probe).await
}

// ---------------------------------------------------------------------------
// Timeline

fn resolve_attack(tactic: Option<&str>, technique: Option<&str>) -> AppResult<(Option<String>, Option<String>)> {
    let a = attack();
    let technique = match technique.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(a.technique(id).ok_or_else(|| {
            AppError::field(
                ErrorCode::InvalidField,
                "technique",
                format!("{id:?} is not an ATT&CK Enterprise technique id"),
            )
        })?),
        None => None,
    };
    let tactic = match tactic.map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(a.tactic(&t.replace(' ', "-")).ok_or_else(|| {
            AppError::field(ErrorCode::InvalidField, "tactic", format!("{t:?} is not an ATT&CK Enterprise tactic"))
        })?),
        None => technique.and_then(|x| a.tactic_of(x)),
    };
    if let (Some(ta), Some(te)) = (tactic, technique)
        && !te.tactics.contains(&ta.shortname)
    {
        return Err(AppError::field(
            ErrorCode::InvalidField,
            "technique",
            format!("{} is not a technique of the tactic {}", te.id, ta.name),
        ));
    }
    Ok((tactic.map(|t| t.id.to_owned()), technique.map(|t| t.id.to_owned())))
}

pub async fn add_timeline_entry(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    req: CreateTimelineEntry,
) -> AppResult<TimelineEntry> {
    writable_case(state, caller, case_id).await?;
    let description = markdown("description", &req.description)?;
    if description.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "description", "description must not be empty"));
    }
    let (tactic, technique) = resolve_attack(req.tactic.as_deref(), req.technique.as_deref())?;
    let entry = TimelineEntry {
        id: Uuid::now_v7(),
        case_id,
        at: firebreak_domain::clock::from_millis(firebreak_domain::clock::to_millis(req.at)),
        description,
        tactic,
        technique,
        asset: req.asset.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        source: req.source,
        automatic: false,
        author: caller.name().to_owned(),
    };
    let entry = items::create(state, &caller.ctx(state), caller.org_id(), entry).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(entry)
}

pub async fn timeline(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<TimelineEntry>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

/// An entry Firebreak adds itself (a state change, an escalation).
pub async fn auto_entry(
    state: &App,
    ctx: &WriteCtx,
    case: &Case,
    description: String,
    source: SourceRef,
) -> AppResult<()> {
    let entry = TimelineEntry {
        id: Uuid::now_v7(),
        case_id: case.id,
        at: ctx.now,
        description,
        tactic: None,
        technique: None,
        asset: None,
        source: Some(source),
        automatic: true,
        author: ctx.actor.name().to_owned(),
    };
    items::create(state, ctx, case.org_id, entry).await?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Escalation

fn tier_role(tier: Tier) -> Role {
    match tier {
        Tier::L1 => Role::AnalystL1,
        Tier::L2 => Role::AnalystL2,
        Tier::L3 => Role::AnalystL3,
    }
}

pub async fn escalate(state: &App, caller: &Caller, case_id: Uuid, req: EscalateCase) -> AppResult<Escalation> {
    let before = writable_case(state, caller, case_id).await?;
    let reason = req.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "reason", "reason is required to escalate"));
    }
    if req.tier.is_none() && req.team_id.is_none() {
        return Err(AppError::field(ErrorCode::InvalidField, "tier", "tier or team_id is required to escalate"));
    }
    if !before.state.is_active() {
        return Err(AppError::field(
            ErrorCode::InvalidState,
            "state",
            "a closed case cannot be escalated; reopen it first",
        ));
    }
    let team = match req.team_id {
        Some(id) => Some(
            items::load::<Team>(state, caller.org_id(), id)
                .await
                .map_err(|_| {
                    AppError::field(ErrorCode::NotFound, "team_id", "team_id must be a team of this organisation")
                })?
                .1,
        ),
        None => None,
    };
    let to_tier = req.tier.unwrap_or(before.tier);
    let mut notified = match &team {
        Some(t) => t.members.clone(),
        None => events::users_with_roles(state, caller.org_id(), &[tier_role(to_tier)]).await?,
    };
    notified.retain(|u| *u != caller.id());
    let ctx = caller.ctx(state);
    let team_id = team.as_ref().map(|t| t.id).or(before.team_id);
    let case = if to_tier != before.tier || team_id != before.team_id {
        let mut after = before.clone();
        after.tier = to_tier;
        after.team_id = team_id;
        after.updated_at = ctx.now;
        state.store.update_case(&ctx, &before, &after).await?
    } else {
        before.clone()
    };
    let escalation = Escalation {
        id: Uuid::now_v7(),
        case_id,
        from_tier: before.tier,
        to_tier,
        team_id: team.as_ref().map(|t| t.id),
        team_name: team.as_ref().map(|t| t.name.clone()),
        reason: reason.clone(),
        by: caller.name().to_owned(),
        at: ctx.now,
        notified: notified.clone(),
    };
    let escalation = items::create(state, &ctx, caller.org_id(), escalation).await?;
    let to = match &team {
        Some(t) => format!("{} ({to_tier:?})", t.name),
        None => format!("{to_tier:?}"),
    };
    let text = format!("Case #{} {} escalated to {to}: {reason}", case.number, case.title);
    auto_entry(state, &ctx, &case, text.clone(), SourceRef { kind: "escalation".into(), id: Some(escalation.id) })
        .await?;
    let data = serde_json::json!({ "from_tier": before.tier, "to_tier": to_tier, "team": escalation.team_name, "reason": reason });
    events::emit(state, &ctx, CaseEvent { name: "case.escalated", case: &case, text, data, notify: notified }).await?;
    Ok(escalation)
}

pub async fn escalations(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Escalation>> {
    get_case(state, caller, case_id).await?;
    items::of_case(state, caller.org_id(), case_id).await
}

// ---------------------------------------------------------------------------
// Teams

pub async fn create_team(state: &App, caller: &Caller, req: CreateTeam) -> AppResult<Team> {
    caller.require(Action::OrgSettings)?;
    for (i, m) in req.members.iter().enumerate() {
        check_user(state, caller.org_id(), &format!("members[{i}]"), Some(*m)).await?;
    }
    if let Some(parent) = req.reports_to {
        items::load::<Team>(state, caller.org_id(), parent).await.map_err(|_| {
            AppError::field(ErrorCode::NotFound, "reports_to", "reports_to must be a team of this organisation")
        })?;
    }
    let team = Team {
        id: Uuid::now_v7(),
        name: Name::parse("name", &req.name)?.into_inner(),
        description: markdown("description", &req.description)?,
        members: req.members,
        reports_to: req.reports_to,
        email: req.email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()),
    };
    items::create(state, &caller.ctx(state), caller.org_id(), team).await
}

pub async fn get_team(state: &App, caller: &Caller, id: Uuid) -> AppResult<Team> {
    caller.require(Action::UserRead)?;
    Ok(items::load::<Team>(state, caller.org_id(), id).await?.1)
}

pub async fn list_teams(state: &App, caller: &Caller) -> AppResult<Vec<Team>> {
    caller.require(Action::UserRead)?;
    items::list(state, caller.org_id(), &items::query::<Team>()).await
}

// ---------------------------------------------------------------------------
// Notifications

pub async fn my_notifications(state: &App, caller: &Caller, unread_only: bool) -> AppResult<Vec<Notification>> {
    caller.require(Action::NotificationRead)?;
    let q = ItemQuery {
        assignee_id: Some(caller.id()),
        statuses: if unread_only { vec!["unread".into()] } else { Vec::new() },
        newest_first: true,
        limit: Some(200),
        ..items::query::<Notification>()
    };
    items::list(state, caller.org_id(), &q).await
}

pub async fn unread_count(state: &App, caller: &Caller) -> AppResult<u64> {
    let q =
        ItemQuery { assignee_id: Some(caller.id()), statuses: vec!["unread".into()], ..items::query::<Notification>() };
    Ok(state.store.count_items(caller.org_id(), &q).await?)
}

pub async fn mark_read(state: &App, caller: &Caller, id: Uuid) -> AppResult<Notification> {
    caller.require(Action::NotificationRead)?;
    let (item, mut n) = items::load::<Notification>(state, caller.org_id(), id).await?;
    if n.user_id != caller.id() {
        return Err(AppError::not_found("notification"));
    }
    n.read = true;
    items::save(state, &caller.ctx(state), &item, n).await
}
