//! Who calls the TheHive facade and in which organisation: Firebreak's
//! credentials (Basic, `Bearer <API key>`, or a web session), with
//! TheHive's `X-Organisation` header naming the organisation to act in.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use firebreak_app::auth::Caller;
use firebreak_app::service;

use super::error::HiveError;
use crate::state::AppState;

/// TheHive's header for the organisation a request acts in, by name.
pub const ORGANISATION_HEADER: &str = "x-organisation";

/// The caller of a TheHive request, acting in the organisation it named.
#[derive(Debug, Clone)]
pub struct HiveCaller(pub Caller);

impl std::ops::Deref for HiveCaller {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequestParts<AppState> for HiveCaller {
    type Rejection = HiveError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, HiveError> {
        if let Some(c) = parts.extensions.get::<HiveCaller>() {
            return Ok(c.clone());
        }
        let mut caller = crate::auth::authenticate(state, parts, true).await?;
        let wanted = parts.headers.get(ORGANISATION_HEADER).map(|v| v.to_str().unwrap_or_default().trim().to_owned());
        if let Some(name) = wanted.filter(|n| !n.is_empty())
            && !caller.org.name.eq_ignore_ascii_case(&name)
        {
            // An organisation the caller may not act in is answered as one
            // that does not exist.
            let org = service::acting_orgs(&state.app, &caller)
                .await?
                .into_iter()
                .find(|o| o.name.eq_ignore_ascii_case(&name))
                .ok_or_else(|| HiveError::not_found(format!("organisation {name} not found")))?;
            caller.org = org;
        }
        let caller = HiveCaller(crate::auth::through_share(state, parts, caller).await?);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
