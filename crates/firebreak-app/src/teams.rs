//! The organisation's teams.

use firebreak_domain::permission::Action;
use firebreak_domain::validate::{Name, markdown};
use firebreak_types::{CreateTeam, ErrorCode, Team};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self};

pub async fn create_team(state: &App, caller: &Caller, req: CreateTeam) -> AppResult<Team> {
    caller.require(Action::OrgSettings)?;
    for (i, m) in req.members.iter().enumerate() {
        crate::service::check_user(state, caller.org_id(), &format!("members[{i}]"), Some(*m)).await?;
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
