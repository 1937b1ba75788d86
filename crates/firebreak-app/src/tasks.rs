//! A case's tasks and their logs.

use firebreak_domain::validate::{Title, markdown};
use firebreak_store::ItemQuery;
use firebreak_types::{CreateTask, CreateTaskLog, ErrorCode, Task, TaskLog, TaskStatus, UpdateTask};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::events::{self, ItemEvent, Root, as_json};
use crate::items::{self};
use crate::thehive::shape;

pub async fn create_task(state: &App, caller: &Caller, case_id: Uuid, req: CreateTask) -> AppResult<Task> {
    let case = crate::cases::writable(state, caller, case_id).await?;
    crate::service::check_user(state, caller.org_id(), "assignee_id", req.assignee_id).await?;
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
    let ctx = caller.ctx(state);
    let hive = |n: &shape::Names| shape::task(&task, n);
    let event = ItemEvent {
        name: "task.created",
        root: Root::Case(&case),
        object_type: "Task",
        object_id: task.id.to_string(),
        object: as_json(&task),
        hive: &hive,
        before: None,
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let task = items::create_with(state, &ctx, caller.org_id(), task.clone(), told).await?;
    events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(task)
}

pub async fn list_tasks(state: &App, caller: &Caller, case_id: Uuid) -> AppResult<Vec<Task>> {
    get_case(state, caller, case_id).await?;
    // A share whose task rule is not `all` shows the recipient none.
    if caller.share.as_ref().is_some_and(|s| !s.task_rule.shows()) {
        return Ok(Vec::new());
    }
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
    let case = crate::cases::writable(state, caller, case_id).await?;
    let (item, mut task) = load_task(state, caller, case_id, id).await?;
    let before = task.clone();
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
        crate::service::check_user(state, caller.org_id(), "assignee_id", v).await?;
        task.assignee_id = v;
    }
    if let Some(v) = req.due_at {
        task.due_at = v;
    }
    if let Some(v) = req.status {
        task.done_at = (v == TaskStatus::Done).then(|| state.clock.now());
        task.status = v;
    }
    let ctx = caller.ctx(state);
    let hive = |n: &shape::Names| shape::task(&task, n);
    let hive_before = |n: &shape::Names| shape::task(&before, n);
    let event = ItemEvent {
        name: "task.updated",
        root: Root::Case(&case),
        object_type: "Task",
        object_id: task.id.to_string(),
        object: as_json(&task),
        hive: &hive,
        before: Some((as_json(&before), &hive_before)),
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let task = items::save_with(state, &ctx, &item, task.clone(), told).await?;
    events::delivered(state, sent);
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
    let case = crate::cases::writable(state, caller, case_id).await?;
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
    let ctx = caller.ctx(state);
    let hive = |_: &shape::Names| shape::log(&log);
    let event = ItemEvent {
        name: "task_log.created",
        root: Root::Case(&case),
        object_type: "Log",
        object_id: log.id.to_string(),
        object: as_json(&log),
        hive: &hive,
        before: None,
    };
    let told = events::item_deliveries(state, &event, ctx.now).await?;
    let sent = !told.is_empty();
    let log = items::create_with(state, &ctx, caller.org_id(), log.clone(), told).await?;
    events::delivered(state, sent);
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(log)
}

pub async fn task_logs(state: &App, caller: &Caller, case_id: Uuid, task_id: Uuid) -> AppResult<Vec<TaskLog>> {
    get_case(state, caller, case_id).await?;
    load_task(state, caller, case_id, task_id).await?;
    items::list(state, caller.org_id(), &ItemQuery { parent_id: Some(task_id), ..items::query::<TaskLog>() }).await
}

/// Deletes a task and its log (someone who manages cases; ordinary work
/// cancels a task instead).
pub async fn delete_task(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    crate::cases::writable(state, caller, case_id).await?;
    caller.require(firebreak_domain::permission::Action::CaseManage)?;
    load_task(state, caller, case_id, id).await?;
    let ctx = caller.ctx(state);
    let logs: Vec<TaskLog> =
        items::list(state, caller.org_id(), &ItemQuery { parent_id: Some(id), ..items::query::<TaskLog>() }).await?;
    for log in logs {
        items::delete::<TaskLog>(state, &ctx, caller.org_id(), log.id).await?;
    }
    items::delete::<Task>(state, &ctx, caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

async fn load_log(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
) -> AppResult<(firebreak_store::Item, TaskLog)> {
    crate::cases::writable(state, caller, case_id).await?;
    let (item, log) = items::load::<TaskLog>(state, caller.org_id(), id).await?;
    load_task(state, caller, case_id, log.task_id).await.map_err(|_| AppError::not_found("task log entry"))?;
    Ok((item, log))
}

/// Rewrites a log entry; only its author may.
pub async fn update_task_log(state: &App, caller: &Caller, case_id: Uuid, id: Uuid, body: &str) -> AppResult<TaskLog> {
    let (item, mut log) = load_log(state, caller, case_id, id).await?;
    if log.author != caller.name() {
        return Err(AppError::new(ErrorCode::Forbidden, "only the author of a log entry may edit it"));
    }
    log.body = markdown("body", body)?;
    if log.body.trim().is_empty() {
        return Err(AppError::field(ErrorCode::InvalidField, "body", "body must not be empty"));
    }
    let log = items::save(state, &caller.ctx(state), &item, log).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(log)
}

/// Attaches more of the case's evidence to a log entry (anyone who works
/// the case: a file found later belongs with the entry, as a new entry
/// would). The entry's text stays its author's.
pub async fn attach_to_task_log(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    evidence: &[Uuid],
) -> AppResult<TaskLog> {
    let (item, mut log) = load_log(state, caller, case_id, id).await?;
    for e in evidence {
        let found = state.store.get_item(caller.org_id(), "evidence", *e).await?;
        if found.is_none_or(|i| i.case_id != Some(case_id)) {
            return Err(AppError::field(
                ErrorCode::NotFound,
                "attachments",
                "attachments must be evidence of this case",
            ));
        }
        if !log.attachments.contains(e) {
            log.attachments.push(*e);
        }
    }
    let log = items::save(state, &caller.ctx(state), &item, log).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(log)
}

/// Takes a file off a log entry (its author, or someone who manages cases):
/// the entry no longer lists it, and the file stays the case's evidence,
/// its chain of custody unbroken.
pub async fn detach_from_task_log(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    id: Uuid,
    evidence: Uuid,
) -> AppResult<TaskLog> {
    let (item, mut log) = load_log(state, caller, case_id, id).await?;
    if log.author != caller.name() {
        caller.require(firebreak_domain::permission::Action::CaseManage)?;
    }
    if !log.attachments.contains(&evidence) {
        return Err(AppError::not_found("attachment of this log entry"));
    }
    log.attachments.retain(|e| *e != evidence);
    let log = items::save(state, &caller.ctx(state), &item, log).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(log)
}

/// Deletes a log entry: its author, or someone who manages cases.
pub async fn delete_task_log(state: &App, caller: &Caller, case_id: Uuid, id: Uuid) -> AppResult<()> {
    let (_, log) = load_log(state, caller, case_id, id).await?;
    if log.author != caller.name() {
        caller.require(firebreak_domain::permission::Action::CaseManage)?;
    }
    items::delete::<TaskLog>(state, &caller.ctx(state), caller.org_id(), id).await?;
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(())
}

/// An organisation asked to act on a task, and whether it has (TheHive's
/// "action required"): one record per task and organisation, each change
/// in the audit log. Only organisations the caller may act in are asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TaskAction {
    pub id: Uuid,
    pub task_id: Uuid,
    pub case_id: Uuid,
    pub org_id: Uuid,
    /// Still to do; `false` once the organisation marked it done.
    pub required: bool,
    pub set_by: String,
}

impl items::Kind for TaskAction {
    const KIND: &'static str = "task_action";
    const NOUN: &'static str = "task action";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> items::Index {
        items::Index {
            case_id: Some(self.case_id),
            parent_id: Some(self.task_id),
            key: Some(self.org_id.to_string()),
            status: Some(if self.required { "required" } else { "done" }.to_owned()),
            ..items::Index::default()
        }
    }
}

/// The organisations asked to act on a task.
pub async fn task_actions(state: &App, caller: &Caller, case_id: Uuid, task_id: Uuid) -> AppResult<Vec<TaskAction>> {
    get_case(state, caller, case_id).await?;
    load_task(state, caller, case_id, task_id).await?;
    items::list(state, caller.org_id(), &ItemQuery { parent_id: Some(task_id), ..items::query::<TaskAction>() }).await
}

/// Asks an organisation to act on a task (`required`), or records that it
/// has. The organisation is one the caller may act in.
pub async fn set_task_action(
    state: &App,
    caller: &Caller,
    case_id: Uuid,
    task_id: Uuid,
    org_id: Uuid,
    required: bool,
) -> AppResult<TaskAction> {
    crate::cases::writable(state, caller, case_id).await?;
    load_task(state, caller, case_id, task_id).await?;
    if !crate::service::acting_orgs(state, caller).await?.iter().any(|o| o.id == org_id) {
        return Err(AppError::not_found("organisation"));
    }
    let q = ItemQuery { parent_id: Some(task_id), key: Some(org_id.to_string()), ..items::query::<TaskAction>() };
    let found = state.store.list_items(caller.org_id(), &q).await?.into_iter().next();
    let ctx = caller.ctx(state);
    let action = match found {
        Some(item) => {
            let mut a: TaskAction = items::from_item(&item)?;
            if a.required == required {
                return Ok(a);
            }
            a.required = required;
            a.set_by = caller.name().to_owned();
            items::save(state, &ctx, &item, a).await?
        }
        None => {
            let a =
                TaskAction { id: Uuid::now_v7(), task_id, case_id, org_id, required, set_by: caller.name().to_owned() };
            items::create(state, &ctx, caller.org_id(), a).await?
        }
    };
    state.live.publish(caller.org_id(), "case.updated", case_id);
    Ok(action)
}
