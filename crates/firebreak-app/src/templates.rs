//! Case templates: the built-in ones, an organisation's own, and the tasks a
//! template gives a new case.

use firebreak_domain::permission::Action;
use firebreak_domain::validate::{Name, Title, markdown, tags};
use firebreak_store::WriteCtx;
use firebreak_types::{Case, CaseState, CaseTemplate, CreateTemplate, Role, Severity, Task, TaskStatus, TemplateTask};
use time::Duration;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::items::{self, OrgSetting};

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
    let settings = crate::case_settings::settings(state, caller.org_id()).await?;
    let template = build_template(&settings, req)?;
    items::create(state, &caller.ctx(state), caller.org_id(), template).await
}

/// Replaces a template's name, category, description, severity, tags and
/// tasks; it keeps its id.
pub async fn update_template(state: &App, caller: &Caller, id: Uuid, req: CreateTemplate) -> AppResult<CaseTemplate> {
    caller.require(Action::OrgSettings)?;
    list_templates(state, caller).await?;
    let (before, _) = items::load::<CaseTemplate>(state, caller.org_id(), id).await?;
    let settings = crate::case_settings::settings(state, caller.org_id()).await?;
    let template = CaseTemplate { id, ..build_template(&settings, req)? };
    items::save(state, &caller.ctx(state), &before, template).await
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
