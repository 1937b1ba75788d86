//! An organisation's case settings: categories, the priority matrix,
//! custom fields, and what they must hold.

use firebreak_domain::case::{check_settings, default_settings};
use firebreak_domain::permission::Action;
use firebreak_types::CaseSettings;
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::AppResult;
use crate::items;

const CASE_SETTINGS: &str = "case_settings";

pub async fn settings(state: &App, org: Uuid) -> AppResult<CaseSettings> {
    items::setting_or(state, org, CASE_SETTINGS, default_settings).await
}

pub async fn get_settings(state: &App, caller: &Caller) -> AppResult<CaseSettings> {
    caller.require(Action::CaseRead)?;
    settings(state, caller.org_id()).await
}

pub async fn set_settings(state: &App, caller: &Caller, new: CaseSettings) -> AppResult<CaseSettings> {
    caller.require(Action::OrgSettings)?;
    check_settings(&new)?;
    items::put_setting(state, &caller.ctx(state), caller.org_id(), CASE_SETTINGS, &new).await?;
    Ok(new)
}
