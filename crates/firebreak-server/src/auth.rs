//! Who is calling, read out of the request: an API key (`Authorization:
//! Bearer`), a username and password (`Authorization: Basic`), or a web
//! session cookie; the application decides what it proves
//! ([`firebreak_app::auth`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, header};
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_app::auth::{Attempt, Credential};
pub use firebreak_app::auth::{CSRF_HEADER, Caller, Principal, check_password};
use firebreak_domain::permission::Action;
use firebreak_types::{ErrorCode, ORG_HEADER};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::proxy::Remote;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "fb_session";
/// The web page's chosen organisation, for members of a provider.
pub const ORG_COOKIE: &str = "fb_org";

fn credential(parts: &Parts) -> ApiResult<Option<Credential>> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value =
            value.to_str().map_err(|_| ApiError::unauthenticated("the Authorization header is not valid text"))?;
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        return match scheme.to_ascii_lowercase().as_str() {
            "bearer" => Ok(Some(Credential::Bearer(rest.trim().to_owned()))),
            "basic" => {
                let decoded =
                    STANDARD.decode(rest.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
                        ApiError::unauthenticated("Basic credentials must be base64 of username:password")
                    })?;
                let (username, password) = decoded.split_once(':').ok_or_else(|| {
                    ApiError::unauthenticated("Basic credentials must be base64 of username:password")
                })?;
                Ok(Some(Credential::Basic { username: username.to_owned(), password: password.to_owned() }))
            }
            _ => Err(ApiError::unauthenticated("use Authorization: Bearer <API key> or Basic <credentials>")),
        };
    }
    let jar = CookieJar::from_headers(&parts.headers);
    Ok(jar.get(SESSION_COOKIE).map(|c| Credential::Session(c.value().to_owned())))
}

/// Authenticates a request. `csrf_in_header`: whether a write authenticated by
/// a session cookie must carry the CSRF token in a header (API routes; web
/// forms check their own form field instead).
pub async fn authenticate(state: &AppState, parts: &Parts, csrf_in_header: bool) -> ApiResult<Caller> {
    let credential = credential(parts)?.ok_or_else(|| {
        ApiError::unauthenticated("sign in: send Authorization: Bearer <API key>, or Basic credentials")
    })?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let csrf_sent = (csrf_in_header && !safe)
        .then(|| parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default());
    let attempt = Attempt {
        credential,
        org: requested_org(parts)?,
        client: Remote::of(parts, &state.settings.trusted_proxies).addr,
        csrf_sent,
    };
    Ok(firebreak_app::auth::authenticate(&state.app, attempt).await?)
}

/// The credential a long-lived answer (a live stream) was opened with, kept to
/// check again while the answer runs: a key revoked, a session ended or a user
/// disabled must stop what it authorised.
pub struct Grant {
    /// The request's Authorization, Cookie and organisation headers.
    headers: HeaderMap,
    principal: Uuid,
    org: Uuid,
    /// For Basic credentials: the stored password hash last found to match,
    /// so that a check costs an Argon2 verification only once per hash.
    verified_hash: Option<String>,
}

impl Grant {
    pub fn new(caller: &Caller, headers: &HeaderMap) -> Self {
        let mut kept = HeaderMap::new();
        for name in [header::AUTHORIZATION, header::COOKIE, HeaderName::from_static(ORG_HEADER)] {
            for value in headers.get_all(&name) {
                kept.append(name.clone(), value.clone());
            }
        }
        Self { headers: kept, principal: caller.id(), org: caller.org_id(), verified_hash: None }
    }

    /// Whether the credential still lets the same caller follow the same
    /// organisation's live updates. A failure to ask counts as no.
    pub async fn holds(&mut self, state: &AppState) -> bool {
        let (mut parts, ()) = axum::http::Request::new(()).into_parts();
        parts.headers = self.headers.clone();
        match credential(&parts) {
            Ok(Some(Credential::Basic { username, password })) => {
                firebreak_app::auth::password_holds(
                    &state.app,
                    self.principal,
                    &mut self.verified_hash,
                    &username,
                    &password,
                )
                .await
            }
            Ok(Some(_)) => match authenticate(state, &parts, false).await {
                Ok(c) => c.id() == self.principal && c.org_id() == self.org && c.may(Action::LiveSubscribe),
                Err(_) => false,
            },
            Ok(None) | Err(_) => false,
        }
    }
}

/// The organisation the request asks to act in: the header for API clients,
/// the cookie for web pages.
fn requested_org(parts: &Parts) -> ApiResult<Option<Uuid>> {
    let raw = match parts.headers.get(ORG_HEADER) {
        Some(v) => Some(v.to_str().unwrap_or_default().to_owned()),
        None => CookieJar::from_headers(&parts.headers).get(ORG_COOKIE).map(|c| c.value().to_owned()),
    };
    raw.map(|s| {
        Uuid::parse_str(s.trim()).map_err(|_| {
            ApiError::field(
                ErrorCode::InvalidField,
                ORG_HEADER,
                format!("{ORG_HEADER} must be an organisation id (a UUID)"),
            )
        })
    })
    .transpose()
}

/// What a route names that a share can reach: a case by its id, or an item
/// of a case (task, log entry, observable, comment) by its id alone.
#[derive(Clone, Copy)]
enum Named {
    Case,
    Item,
}

/// The routes a case shared with the caller's organisation reaches, by their
/// templates: the case, its tasks and logs, observables, comments, pages,
/// timeline and shares, in Firebreak's API, TheHive's and the case page.
/// Every other route stays within the caller's own organisation.
const SHARED_ROUTES: &[(&str, Named)] = &[
    ("/api/v1/cases/{id}", Named::Case),
    ("/api/v1/cases/{id}/transition", Named::Case),
    ("/api/v1/cases/{id}/history", Named::Case),
    ("/api/v1/cases/{id}/tasks", Named::Case),
    ("/api/v1/cases/{id}/tasks/{task_id}", Named::Case),
    ("/api/v1/cases/{id}/tasks/{task_id}/log", Named::Case),
    ("/api/v1/cases/{id}/observables", Named::Case),
    ("/api/v1/cases/{id}/observables/{observable_id}", Named::Case),
    ("/api/v1/cases/{id}/timeline", Named::Case),
    ("/api/v1/cases/{id}/shares", Named::Case),
    ("/compat/thehive/api/v1/case/{id}", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/task", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/observable", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/comment", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/page", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/page/{page}", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/timeline", Named::Case),
    ("/compat/thehive/api/v1/case/{id}/shares", Named::Case),
    ("/compat/thehive/api/v1/task/{id}", Named::Item),
    ("/compat/thehive/api/v1/task/{id}/log", Named::Item),
    ("/compat/thehive/api/v1/log/{id}", Named::Item),
    ("/compat/thehive/api/v1/observable/{id}", Named::Item),
    ("/compat/thehive/api/v1/comment/{id}", Named::Item),
    ("/cases/{id}", Named::Case),
];

/// The caller a request acts as: `caller`, or, when the route names a case
/// (or an item of one) that another organisation shares with the caller's,
/// the caller derived through that share ([`firebreak_app::shares`]).
pub async fn through_share(state: &AppState, parts: &Parts, caller: Caller) -> ApiResult<Caller> {
    let Some(template) = parts.extensions.get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return Ok(caller);
    };
    let Some((_, named)) = SHARED_ROUTES.iter().find(|(t, _)| *t == template) else {
        return Ok(caller);
    };
    // The `{id}` segment of the template, read from the same place in the
    // path counted from its end (a nested router sees the path without its prefix).
    let after = template.split('/').rev().position(|seg| seg == "{id}");
    let id =
        after.and_then(|i| parts.uri.path().split('/').rev().nth(i)).and_then(|raw| Uuid::parse_str(raw.trim()).ok());
    let Some(id) = id else { return Ok(caller) };
    Ok(match named {
        Named::Case => firebreak_app::shares::for_case(&state.app, caller, id).await?,
        Named::Item => firebreak_app::shares::for_item(&state.app, caller, id).await?,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = authenticate(state, parts, true).await?;
        let caller = through_share(state, parts, caller).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
