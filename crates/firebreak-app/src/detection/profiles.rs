//! Threat profiles: the ATT&CK techniques an organisation wants covered.

use firebreak_domain::permission::Action;
use firebreak_types::{ErrorCode, NewThreatProfile, ThreatProfile};
use uuid::Uuid;

use crate::App;
use crate::auth::Caller;
use crate::error::{AppError, AppResult};
use crate::items::{self, Index, Kind};

impl Kind for ThreatProfile {
    const KIND: &'static str = "threat_profile";
    const NOUN: &'static str = "threat profile";
    fn id(&self) -> Uuid {
        self.id
    }
    fn index(&self) -> Index {
        Index { key: Some(self.name.to_lowercase()), at: Some(self.created_at), ..Index::default() }
    }
}

/// Creates a threat profile, by hand or from an ATT&CK group.
pub async fn create_profile(state: &App, caller: &Caller, new: NewThreatProfile) -> AppResult<ThreatProfile> {
    caller.require(Action::RuleManage)?;
    let bad = |field: &str, why: String| AppError::field(ErrorCode::InvalidField, field, why);
    let attack = firebreak_domain::attack::attack();
    if new.name.trim().is_empty() {
        return Err(bad("name", "name must not be empty".into()));
    }
    let mut techniques = Vec::new();
    for (i, t) in new.techniques.iter().enumerate() {
        let known = attack.technique(t.trim()).ok_or_else(|| {
            bad(
                &format!("techniques[{i}]"),
                format!("`{t}` is not an ATT&CK Enterprise technique id (T1059, T1059.001)"),
            )
        })?;
        techniques.push(known.id.to_owned());
    }
    let group = match new.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => {
            let found =
                attack
                    .groups
                    .iter()
                    .find(|x| x.id.eq_ignore_ascii_case(g) || x.name.eq_ignore_ascii_case(g))
                    .ok_or_else(|| bad("group", format!("`{g}` is not an ATT&CK group id or name (G0016, APT29)")))?;
            techniques.extend(found.techniques.iter().map(|t| (*t).to_owned()));
            Some(found.id.to_owned())
        }
    };
    techniques.sort();
    techniques.dedup();
    if techniques.is_empty() {
        return Err(bad("techniques", "at least one technique, or a group".into()));
    }
    let ctx = caller.ctx(state);
    let profile = ThreatProfile {
        id: Uuid::now_v7(),
        name: new.name.trim().to_owned(),
        description: new.description,
        group,
        techniques,
        created_at: ctx.now,
    };
    items::create(state, &ctx, caller.org_id(), profile).await
}

pub async fn profiles(state: &App, caller: &Caller) -> AppResult<Vec<ThreatProfile>> {
    caller.require(Action::RuleRead)?;
    items::list(state, caller.org_id(), &items::query::<ThreatProfile>()).await
}

pub async fn get_profile(state: &App, caller: &Caller, id: Uuid) -> AppResult<ThreatProfile> {
    caller.require(Action::RuleRead)?;
    Ok(items::load::<ThreatProfile>(state, caller.org_id(), id).await?.1)
}

pub async fn delete_profile(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Action::RuleManage)?;
    items::delete::<ThreatProfile>(state, &caller.ctx(state), caller.org_id(), id).await
}
