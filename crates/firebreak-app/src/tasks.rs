//! A case's tasks and their logs.

use firebreak_domain::validate::{Title, markdown};
use firebreak_store::ItemQuery;
use firebreak_types::{CreateTask, CreateTaskLog, ErrorCode, Task, TaskLog, TaskStatus, UpdateTask};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::cases::load as get_case;
use crate::error::{AppError, AppResult};
use crate::items::{self};

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
    let task = items::create(state, &caller.ctx(state), caller.org_id(), task).await?;
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
    crate::cases::writable(state, caller, case_id).await?;
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
    crate::cases::writable(state, caller, case_id).await?;
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
