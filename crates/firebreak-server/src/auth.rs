//! Who is calling: an API key (`Authorization: Bearer`), a username and
//! password (`Authorization: Basic`, for existing integrations), or a web
//! session cookie. The result is a [`Caller`]: a role, a home organisation
//! and the organisation the request acts in.

use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, header};
use axum_extra::extract::CookieJar;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use firebreak_domain::clock::to_millis;
use firebreak_domain::permission::{Action, allows, within};
use firebreak_domain::tenancy::Tenancy;
use firebreak_store::{Actor, AuditEvent, WriteCtx};
use firebreak_types::{ApiKey, ErrorCode, ORG_HEADER, OrgKind, Organisation, Role, User};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::proxy::Remote;
use crate::secrets::{constant_time_eq, dummy_hash, sha256_hex, verify_password};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "fb_session";
/// The web page's chosen organisation, for members of a provider.
pub const ORG_COOKIE: &str = "fb_org";
/// Header that carries the CSRF token on API writes made with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum Principal {
    User(User),
    ApiKey(ApiKey),
}

/// An authenticated request's caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub role: Role,
    pub home: Organisation,
    pub tenancy: Tenancy,
    /// The organisation this request acts in.
    pub org: Organisation,
    /// Set when the caller came with a session cookie.
    pub csrf_token: Option<String>,
}

impl Caller {
    pub fn org_id(&self) -> Uuid {
        self.org.id
    }

    pub fn id(&self) -> Uuid {
        match &self.principal {
            Principal::User(u) => u.id,
            Principal::ApiKey(k) => k.id,
        }
    }

    pub fn name(&self) -> &str {
        match &self.principal {
            Principal::User(u) => &u.username,
            Principal::ApiKey(k) => &k.name,
        }
    }

    /// Refuses unless the caller's role may take `action`.
    pub fn require(&self, action: Action) -> ApiResult<()> {
        if allows(self.role, action) { Ok(()) } else { Err(ApiError::forbidden(&action.as_str().replace('_', " "))) }
    }

    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// Whether the caller administers the platform (an admin of the root organisation).
    pub fn is_platform_admin(&self, state: &AppState) -> bool {
        self.role == Role::Admin && self.home.id == state.root_org && !matches!(self.principal, Principal::ApiKey(_))
    }

    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::User(u) => Actor::User { id: u.id, name: u.username.clone() },
            Principal::ApiKey(k) => Actor::ApiKey { id: k.id, name: k.name.clone() },
        }
    }

    pub fn ctx(&self, state: &AppState) -> WriteCtx {
        WriteCtx { actor: self.actor(), now: state.clock.now() }
    }
}

/// How a request proved who it is.
enum Credential {
    Bearer(String),
    Basic { username: String, password: String },
    Session(String),
}

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

/// Checks a username and password from the client at `client`, slowing down
/// guessing and auditing every failure. Shared by the sign-in page and HTTP
/// Basic. A disabled account is answered exactly as a wrong password is, so
/// that the answer does not tell that the password was right.
pub async fn check_password(state: &AppState, username: &str, password: &str, client: IpAddr) -> ApiResult<User> {
    let username = username.trim().to_ascii_lowercase();
    let now = state.clock.now();
    if let Some(wait) = state.throttle.address_wait(client, now) {
        return Err(too_many_attempts(wait));
    }
    let found = state.store.credentials(&username).await?;
    let hash = found.as_ref().map_or_else(|| dummy_hash().to_owned(), |(_, h)| h.clone());
    let pw = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash)).await.unwrap_or(false);
    // Read before this failure counts, so the attempt that locks the account
    // is answered as the ones before it.
    let account_wait = state.throttle.account_wait(&username, now);
    match found {
        Some((user, _)) if ok && !user.disabled => {
            state.throttle.succeeded(&username);
            Ok(user)
        }
        found => {
            let reason = match &found {
                None => "unknown_user",
                Some((u, _)) if ok && u.disabled => "disabled",
                Some(_) => "wrong_password",
            };
            let locks = state.throttle.failed(&username, client, now);
            let (org, object_id) = match &found {
                Some((u, _)) => (u.org_id, u.id.to_string()),
                None => (state.root_org, username.clone()),
            };
            let ctx = WriteCtx { actor: Actor::Anonymous { claimed: username.clone() }, now };
            let event = AuditEvent {
                object_type: "user".into(),
                object_id,
                action: "login_failed".into(),
                details: json!({
                    "username": username,
                    "reason": reason,
                    "address": client.to_string(),
                    "locked_for_seconds": locks.account,
                    "address_locked_for_seconds": locks.address,
                }),
            };
            if let Err(e) = state.store.record_event(&ctx, org, event).await {
                tracing::error!(error = %e, "could not audit a failed sign-in");
            }
            tracing::warn!(username = %username, address = %client, reason, "failed sign-in");
            match account_wait {
                Some(wait) => Err(too_many_attempts(wait)),
                None => Err(ApiError::unauthenticated("wrong username or password")),
            }
        }
    }
}

fn too_many_attempts(wait: u64) -> ApiError {
    let mut e = ApiError::new(ErrorCode::TooManyAttempts, format!("too many failed sign-ins; try again in {wait} s"));
    e.retry_after = Some(wait);
    e
}

async fn api_key_caller(state: &AppState, secret: &str) -> ApiResult<(Principal, Role, Uuid)> {
    let cred = state
        .store
        .api_key_by_secret_hash(&sha256_hex(secret))
        .await?
        .ok_or_else(|| ApiError::unauthenticated("unknown API key"))?;
    let key = cred.key;
    let now = state.clock.now();
    if key.revoked_at.is_some() {
        return Err(ApiError::unauthenticated("this API key has been revoked"));
    }
    if key.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::unauthenticated("this API key has expired"));
    }
    // A key lives only as long as its owner is enabled, and may never do more than the owner now may.
    if key.created_by.is_none() {
        return Err(ApiError::unauthenticated("this API key has no owner; an admin must create a new one"));
    }
    if cred.creator_disabled {
        return Err(ApiError::unauthenticated("this API key's owner is disabled or deleted"));
    }
    if cred.owner_role.is_some_and(|owner| !within(key.role, owner)) {
        return Err(ApiError::unauthenticated("this API key's role is above its owner's"));
    }
    // Record use at most once a minute, so reads do not all become writes.
    if key.last_used_at.is_none_or(|t| now - t > Duration::minutes(1))
        && let Err(e) = state.store.touch_api_key(key.id, to_millis(now)).await
    {
        tracing::warn!(error = %e, "could not record API key use");
    }
    let (role, org) = (key.role, key.org_id);
    Ok((Principal::ApiKey(key), role, org))
}

/// Authenticates a request. `csrf_in_header`: whether a write authenticated by
/// a session cookie must carry the CSRF token in a header (API routes; web
/// forms check their own form field instead).
pub async fn authenticate(state: &AppState, parts: &Parts, csrf_in_header: bool) -> ApiResult<Caller> {
    let cred = credential(parts)?.ok_or_else(|| {
        ApiError::unauthenticated("sign in: send Authorization: Bearer <API key>, or Basic credentials")
    })?;
    let mut csrf_token = None;
    let (principal, role, home_id) = match cred {
        Credential::Bearer(secret) => api_key_caller(state, &secret).await?,
        Credential::Basic { username, password } => {
            let client = Remote::of(parts, &state.settings.trusted_proxies).addr;
            let user = check_password(state, &username, &password, client).await?;
            let (role, org) = (user.role, user.org_id);
            (Principal::User(user), role, org)
        }
        Credential::Session(token) => {
            let now = to_millis(state.clock.now());
            let session = state
                .store
                .session(&sha256_hex(&token), now)
                .await?
                .ok_or_else(|| ApiError::unauthenticated("the session has ended; sign in again"))?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if csrf_in_header && !safe {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !constant_time_eq(sent, &session.csrf_token) {
                    return Err(ApiError::new(
                        ErrorCode::CsrfFailed,
                        format!("send the session's CSRF token in {CSRF_HEADER}"),
                    ));
                }
            }
            csrf_token = Some(session.csrf_token);
            let (role, org) = (session.user.role, session.user.org_id);
            (Principal::User(session.user), role, org)
        }
    };
    let home = state.store.get_org(home_id).await?.ok_or_else(ApiError::internal)?;
    let granted = if home.kind == OrgKind::Provider { state.store.grants_of(home.id).await? } else { Vec::new() };
    let tenancy = Tenancy {
        home_org: home.id,
        home_kind: home.kind,
        granted,
        bound_to_home: matches!(principal, Principal::ApiKey(_)),
    };
    let wanted = requested_org(parts)?;
    let org = match wanted {
        Some(id) if id != home.id => {
            if !tenancy.may_act_in(id) {
                return Err(ApiError::not_found("organisation"));
            }
            state.store.get_org(id).await?.ok_or_else(|| ApiError::not_found("organisation"))?
        }
        _ => home.clone(),
    };
    Ok(Caller { principal, role, home, tenancy, org, csrf_token })
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
                self.password_holds(state, &username, &password).await
            }
            Ok(Some(_)) => match authenticate(state, &parts, false).await {
                Ok(c) => c.id() == self.principal && c.org_id() == self.org && c.may(Action::LiveSubscribe),
                Err(_) => false,
            },
            Ok(None) | Err(_) => false,
        }
    }

    /// Basic credentials are checked without the sign-in throttle or its
    /// audit entries: the user still exists, is enabled, and the password still
    /// matches (a new password ends what the old one opened).
    async fn password_holds(&mut self, state: &AppState, username: &str, password: &str) -> bool {
        let Ok(Some((user, hash))) = state.store.credentials(&username.trim().to_ascii_lowercase()).await else {
            return false;
        };
        if user.disabled || user.id != self.principal {
            return false;
        }
        if self.verified_hash.as_deref() == Some(hash.as_str()) {
            return true;
        }
        let (pw, stored) = (password.to_owned(), hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &stored)).await.unwrap_or(false);
        if ok {
            self.verified_hash = Some(hash);
        }
        ok
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        let caller = authenticate(state, parts, true).await?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}
