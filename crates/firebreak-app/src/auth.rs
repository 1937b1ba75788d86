//! Who is calling: an API key, a username and password (HTTP Basic, for
//! existing integrations), or a web session. The result is a [`Caller`]: a
//! role, a home organisation and the organisation the request acts in. The
//! HTTP layer reads the credential out of the request; this module decides.

use std::net::IpAddr;

use firebreak_domain::clock::to_millis;
use firebreak_domain::permission::{Action, allows, within};
use firebreak_domain::tenancy::Tenancy;
use firebreak_store::{Actor, AuditEvent, WriteCtx};
use firebreak_types::{ApiKey, CaseShare, ErrorCode, OrgKind, Organisation, Role, User};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::secrets::{constant_time_eq, dummy_hash, sha256_hex, verify_password};

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
    /// Set when the caller acts in `org` only through a case that
    /// organisation shares with theirs: it reaches that case alone
    /// ([`crate::shares`]).
    pub share: Option<CaseShare>,
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
    pub fn require(&self, action: Action) -> AppResult<()> {
        if allows(self.role, action) { Ok(()) } else { Err(AppError::forbidden(&action.as_str().replace('_', " "))) }
    }

    pub fn may(&self, action: Action) -> bool {
        allows(self.role, action)
    }

    /// Whether the caller administers the platform (an admin of the root organisation).
    pub fn is_platform_admin(&self, state: &App) -> bool {
        self.role == Role::Admin && self.home.id == state.root_org && !matches!(self.principal, Principal::ApiKey(_))
    }

    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::User(u) => Actor::User { id: u.id, name: u.username.clone() },
            Principal::ApiKey(k) => Actor::ApiKey { id: k.id, name: k.name.clone() },
        }
    }

    pub fn ctx(&self, state: &App) -> WriteCtx {
        WriteCtx { actor: self.actor(), now: state.clock.now() }
    }
}

/// How a request proved who it is.
pub enum Credential {
    Bearer(String),
    Basic { username: String, password: String },
    Session(String),
}

/// Checks a username and password from the client at `client`, slowing down
/// guessing and auditing every failure. Shared by the sign-in page and HTTP
/// Basic. A disabled account is answered exactly as a wrong password is, so
/// that the answer does not tell that the password was right.
pub async fn check_password(state: &App, username: &str, password: &str, client: IpAddr) -> AppResult<User> {
    verify(state, username, password, client).await.map(|(user, _)| user)
}

/// [`check_password`], answering the stored hash the password matched too.
async fn verify(state: &App, username: &str, password: &str, client: IpAddr) -> AppResult<(User, String)> {
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
        Some((user, hash)) if ok && !user.disabled => {
            state.throttle.succeeded(&username);
            Ok((user, hash))
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
                None => Err(AppError::unauthenticated("wrong username or password")),
            }
        }
    }
}

/// HTTP Basic: [`check_password`], with the credential kept verified for a
/// few minutes ([`crate::basic_cache`]). A kept credential still answers as
/// the throttle would (an address locked out is refused), and holds only
/// while the user is enabled and their stored password hash unchanged.
async fn basic_user(state: &App, username: &str, password: &str, client: IpAddr) -> AppResult<User> {
    let login = username.trim().to_ascii_lowercase();
    let now = state.clock.now();
    if let Some((id, kept_hash)) = state.basic.get(&login, password, now) {
        if let Some(wait) = state.throttle.address_wait(client, now) {
            return Err(too_many_attempts(wait));
        }
        if let Some((user, hash)) = state.store.credentials(&login).await?
            && user.id == id
            && !user.disabled
            && constant_time_eq(&hash, &kept_hash)
        {
            state.throttle.succeeded(&login);
            return Ok(user);
        }
        state.basic.forget(&login, password);
    }
    let (user, hash) = verify(state, &login, password, client).await?;
    state.basic.keep(&login, password, user.id, &hash, now);
    Ok(user)
}

fn too_many_attempts(wait: u64) -> AppError {
    let mut e = AppError::new(ErrorCode::TooManyAttempts, format!("too many failed sign-ins; try again in {wait} s"));
    e.retry_after = Some(wait);
    e
}

async fn api_key_caller(state: &App, secret: &str) -> AppResult<(Principal, Role, Uuid)> {
    let cred = state
        .store
        .api_key_by_secret_hash(&sha256_hex(secret))
        .await?
        .ok_or_else(|| AppError::unauthenticated("unknown API key"))?;
    let key = cred.key;
    let now = state.clock.now();
    if key.revoked_at.is_some() {
        return Err(AppError::unauthenticated("this API key has been revoked"));
    }
    if key.expires_at.is_some_and(|t| t <= now) {
        return Err(AppError::unauthenticated("this API key has expired"));
    }
    // A key lives only as long as its owner is enabled, and may never do more than the owner now may.
    if key.created_by.is_none() {
        return Err(AppError::unauthenticated("this API key has no owner; an admin must create a new one"));
    }
    if cred.creator_disabled {
        return Err(AppError::unauthenticated("this API key's owner is disabled or deleted"));
    }
    if cred.owner_role.is_some_and(|owner| !within(key.role, owner)) {
        return Err(AppError::unauthenticated("this API key's role is above its owner's"));
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

/// What a request brought to prove who it is and where it acts.
pub struct Attempt<'a> {
    pub credential: Credential,
    /// The organisation asked for (header or cookie), if any.
    pub org: Option<Uuid>,
    /// The client's address, for the sign-in throttle.
    pub client: IpAddr,
    /// For a write authenticated by a session: the CSRF token the request
    /// carried in its header (`Some("")` when it carried none). `None`: no
    /// check (reads, and web forms, which check their own form field).
    pub csrf_sent: Option<&'a str>,
}

/// Authenticates a request.
pub async fn authenticate(state: &App, attempt: Attempt<'_>) -> AppResult<Caller> {
    let Attempt { credential: cred, org: wanted, client, csrf_sent } = attempt;
    let mut csrf_token = None;
    let (principal, role, home_id) = match cred {
        Credential::Bearer(secret) => api_key_caller(state, &secret).await?,
        Credential::Basic { username, password } => {
            let user = basic_user(state, &username, &password, client).await?;
            let (role, org) = (user.role, user.org_id);
            (Principal::User(user), role, org)
        }
        Credential::Session(token) => {
            let now = to_millis(state.clock.now());
            let session = state
                .store
                .session(&sha256_hex(&token), now)
                .await?
                .ok_or_else(|| AppError::unauthenticated("the session has ended; sign in again"))?;
            if let Some(sent) = csrf_sent
                && !constant_time_eq(sent, &session.csrf_token)
            {
                return Err(AppError::new(
                    ErrorCode::CsrfFailed,
                    format!("send the session's CSRF token in {CSRF_HEADER}"),
                ));
            }
            csrf_token = Some(session.csrf_token);
            let (role, org) = (session.user.role, session.user.org_id);
            (Principal::User(session.user), role, org)
        }
    };
    let home = state.store.get_org(home_id).await?.ok_or_else(AppError::internal)?;
    let granted = if home.kind == OrgKind::Provider { state.store.grants_of(home.id).await? } else { Vec::new() };
    let tenancy = Tenancy {
        home_org: home.id,
        home_kind: home.kind,
        granted,
        bound_to_home: matches!(principal, Principal::ApiKey(_)),
    };
    let org = match wanted {
        Some(id) if id != home.id => {
            if !tenancy.may_act_in(id) {
                return Err(AppError::not_found("organisation"));
            }
            state.store.get_org(id).await?.ok_or_else(|| AppError::not_found("organisation"))?
        }
        _ => home.clone(),
    };
    Ok(Caller { principal, role, home, tenancy, org, csrf_token, share: None })
}

/// Basic credentials are checked without the sign-in throttle or its
/// audit entries: the user still exists, is enabled, and the password still
/// matches (a new password ends what the old one opened).
/// `principal`: the user the credential first authenticated; `verified`: the
/// stored hash last found to match, so that a check costs an Argon2
/// verification only once per hash.
pub async fn password_holds(
    state: &App,
    principal: Uuid,
    verified: &mut Option<String>,
    username: &str,
    password: &str,
) -> bool {
    let Ok(Some((user, hash))) = state.store.credentials(&username.trim().to_ascii_lowercase()).await else {
        return false;
    };
    if user.disabled || user.id != principal {
        return false;
    }
    if verified.as_deref() == Some(hash.as_str()) {
        return true;
    }
    let (pw, stored) = (password.to_owned(), hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &stored)).await.unwrap_or(false);
    if ok {
        *verified = Some(hash);
    }
    ok
}
