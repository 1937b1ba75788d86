//! The use cases, called by both the JSON API and the web pages: each checks
//! the caller's permission and organisation, validates input into domain
//! types, writes through the store (which audits) and publishes what changed.
//! Handlers never build SQL and never skip these checks.

use firebreak_domain::audit::{Anchors, check_checkpoints, verify_org};
use firebreak_domain::permission::{Action, within};
use firebreak_domain::validate::{Description, DisplayName, Email, Name, Password, Username};
use firebreak_store::{NewApiKey, NewOrg, NewUser, OrgPatch, Store, UserPatch, WriteCtx};
use firebreak_types::{
    ApiKey, AuditEntry, AuditProblem, AuditProblemKind, AuditQuery, AuditVerification, BrokenLink, CreateApiKey,
    CreateOrganisation, CreateUser, CreatedApiKey, ErrorCode, ListParams, Me, OrgGrant, Organisation, Page,
    UpdateOrganisation, UpdateUser, User,
};
use uuid::Uuid;

use crate::App;
use crate::auth::{Caller, Principal};
use crate::error::{AppError, AppResult};
use crate::secrets::{hash_password, new_api_key, sha256_hex};

async fn hash_in_background(password: Password) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(password.expose())).await.map_err(|_| AppError::internal())?
}

// -- Who am I --------------------------------------------------------------

pub async fn me(state: &App, caller: &Caller) -> AppResult<Me> {
    let orgs = acting_orgs(state, caller).await?;
    let kind = match caller.principal {
        Principal::User(_) => "user",
        Principal::ApiKey(_) => "api_key",
    };
    Ok(Me {
        kind: kind.into(),
        id: caller.id(),
        name: caller.name().to_owned(),
        role: caller.role,
        home_org: caller.home.clone(),
        acting_org: caller.org.clone(),
        orgs,
    })
}

/// The organisations the caller may act in, for the organisation picker.
pub async fn acting_orgs(state: &App, caller: &Caller) -> AppResult<Vec<Organisation>> {
    let mut orgs = Vec::new();
    for id in caller.tenancy.orgs() {
        if let Some(o) = state.store.get_org(id).await? {
            orgs.push(o);
        }
    }
    Ok(orgs)
}

// -- Organisations ---------------------------------------------------------

pub async fn list_orgs(state: &App, caller: &Caller, params: &ListParams) -> AppResult<Page<Organisation>> {
    caller.require(Action::OrgRead)?;
    Ok(state.store.list_orgs(&caller.tenancy.orgs(), params).await?)
}

pub async fn get_org(state: &App, caller: &Caller, id: Uuid) -> AppResult<Organisation> {
    caller.require(Action::OrgRead)?;
    if !caller.tenancy.may_act_in(id) {
        return Err(AppError::not_found("organisation"));
    }
    state.store.get_org(id).await?.ok_or_else(|| AppError::not_found("organisation"))
}

/// Creating organisations is for platform admins; the root organisation is
/// granted access to each one it creates, as an MSSP would be.
pub async fn create_org(state: &App, caller: &Caller, req: CreateOrganisation) -> AppResult<Organisation> {
    caller.require(Action::OrgManage)?;
    if !caller.is_platform_admin(state) {
        return Err(AppError::forbidden("creating organisations (platform admins only)"));
    }
    let new = NewOrg {
        id: Uuid::now_v7(),
        root: false,
        grant_to: Some(state.root_org),
        name: Name::parse("name", &req.name)?.into_inner(),
        kind: req.kind,
        description: Description::parse("description", &req.description)?.into_inner(),
    };
    let org = state.store.create_org(&caller.ctx(state), new).await?;
    state.live.publish(state.root_org, "organisation.created", org.id);
    Ok(org)
}

pub async fn update_org(state: &App, caller: &Caller, id: Uuid, req: UpdateOrganisation) -> AppResult<Organisation> {
    let org = get_org(state, caller, id).await?;
    caller.require(Action::OrgManage)?;
    // An organisation's own admins may rename it; platform admins any they reach.
    if !(caller.is_platform_admin(state) || caller.home.id == org.id) {
        return Err(AppError::forbidden("changing another organisation"));
    }
    let patch = OrgPatch {
        name: req.name.as_deref().map(|n| Name::parse("name", n)).transpose()?.map(Name::into_inner),
        description: req
            .description
            .as_deref()
            .map(|d| Description::parse("description", d))
            .transpose()?
            .map(Description::into_inner),
    };
    let org = state.store.update_org(&caller.ctx(state), id, patch).await?;
    state.live.publish(id, "organisation.updated", id);
    Ok(org)
}

pub async fn grant_access(state: &App, caller: &Caller, provider: Uuid, customer: Uuid) -> AppResult<OrgGrant> {
    caller.require(Action::OrgManage)?;
    if !caller.is_platform_admin(state) {
        return Err(AppError::forbidden("granting access (platform admins only)"));
    }
    let p = state.store.get_org(provider).await?.ok_or_else(|| AppError::not_found("organisation"))?;
    state.store.get_org(customer).await?.ok_or_else(|| AppError::not_found("organisation"))?;
    if p.kind != firebreak_types::OrgKind::Provider {
        return Err(AppError::field(
            ErrorCode::InvalidState,
            "provider_id",
            "only a provider organisation can be granted access",
        ));
    }
    if provider == customer {
        return Err(AppError::field(ErrorCode::InvalidField, "customer_id", "an organisation always reaches itself"));
    }
    Ok(state.store.grant_access(&caller.ctx(state), provider, customer).await?)
}

pub async fn revoke_access(state: &App, caller: &Caller, provider: Uuid, customer: Uuid) -> AppResult<()> {
    caller.require(Action::OrgManage)?;
    if !caller.is_platform_admin(state) {
        return Err(AppError::forbidden("revoking access (platform admins only)"));
    }
    Ok(state.store.revoke_access(&caller.ctx(state), provider, customer).await?)
}

/// The organisations the root organisation may act in (the platform admin's
/// overview).
pub async fn root_grants(state: &App, caller: &Caller) -> AppResult<Vec<Uuid>> {
    caller.require(Action::OrgRead)?;
    Ok(state.store.grants_of(state.root_org).await?)
}

pub async fn list_grants(state: &App, caller: &Caller, provider: Uuid) -> AppResult<Vec<Uuid>> {
    get_org(state, caller, provider).await?;
    Ok(state.store.grants_of(provider).await?)
}

// -- People ----------------------------------------------------------------

pub async fn list_users(state: &App, caller: &Caller, params: &ListParams) -> AppResult<Page<User>> {
    caller.require(Action::UserRead)?;
    Ok(state.store.list_users(caller.org_id(), params).await?)
}

/// Every user name of the acting organisation by id, to show who owns or is
/// assigned what.
pub async fn user_names(state: &App, caller: &Caller) -> AppResult<std::collections::HashMap<Uuid, String>> {
    let params = ListParams { limit: Some(1000), ..Default::default() };
    let page = state.store.list_users(caller.org_id(), &params).await?;
    Ok(page.items.into_iter().map(|u| (u.id, u.username)).collect())
}

// -- Sessions --------------------------------------------------------------

/// A web session just opened: the cookie's token and the form's CSRF token.
pub struct OpenedSession {
    pub token: String,
    pub csrf_token: String,
}

/// Opens a web session for a user whose password was just checked.
pub async fn open_session(state: &App, user: &User, ttl: time::Duration) -> AppResult<OpenedSession> {
    let token = crate::secrets::random_token(32)?;
    let csrf_token = crate::secrets::random_token(32)?;
    let now = state.clock.now();
    let ctx = WriteCtx { actor: firebreak_store::Actor::User { id: user.id, name: user.username.clone() }, now };
    let session = firebreak_store::NewSession {
        token_hash: sha256_hex(&token),
        user_id: user.id,
        user_org: user.org_id,
        csrf_token: csrf_token.clone(),
        expires_at: now + ttl,
    };
    state.store.create_session(&ctx, session).await?;
    Ok(OpenedSession { token, csrf_token })
}

/// Ends the caller's web session (signing out); live streams it opened stop.
pub async fn end_session(state: &App, caller: &Caller, token: &str) -> AppResult<()> {
    state.store.end_session(&caller.ctx(state), &sha256_hex(token)).await?;
    state.basic.drop_user(caller.id());
    state.live.revoked();
    Ok(())
}

pub async fn get_user(state: &App, caller: &Caller, id: Uuid) -> AppResult<User> {
    caller.require(Action::UserRead)?;
    state.store.get_user(caller.org_id(), id).await?.ok_or_else(|| AppError::not_found("user"))
}

pub async fn create_user(state: &App, caller: &Caller, req: CreateUser) -> AppResult<User> {
    caller.require(Action::UserManage)?;
    let new = NewUser {
        id: Uuid::now_v7(),
        username: Username::parse("username", &req.username)?.into_inner(),
        display_name: DisplayName::parse("display_name", &req.display_name)?.into_inner(),
        email: Email::parse("email", &req.email)?.into_inner(),
        role: req.role,
        password_hash: hash_in_background(Password::parse("password", &req.password)?).await?,
    };
    let user = state.store.create_user(&caller.ctx(state), caller.org_id(), new).await?;
    state.live.publish(caller.org_id(), "user.created", user.id);
    Ok(user)
}

pub async fn update_user(state: &App, caller: &Caller, id: Uuid, req: UpdateUser) -> AppResult<User> {
    caller.require(Action::UserManage)?;
    get_user(state, caller, id).await?;
    if id == caller.id() && (req.disabled == Some(true) || req.role.is_some_and(|r| r != caller.role)) {
        return Err(AppError::field(
            ErrorCode::InvalidState,
            if req.disabled == Some(true) { "disabled" } else { "role" },
            "you cannot disable yourself or change your own role",
        ));
    }
    let patch = UserPatch {
        display_name: req
            .display_name
            .as_deref()
            .map(|v| DisplayName::parse("display_name", v))
            .transpose()?
            .map(DisplayName::into_inner),
        email: req.email.as_deref().map(|v| Email::parse("email", v)).transpose()?.map(Email::into_inner),
        role: req.role,
        disabled: req.disabled,
    };
    let revokes = patch.disabled == Some(true) || patch.role.is_some();
    let user = state.store.update_user(&caller.ctx(state), caller.org_id(), id, patch).await?;
    if revokes {
        state.basic.drop_user(id);
        state.live.revoked();
    }
    state.live.publish(caller.org_id(), "user.updated", id);
    Ok(user)
}

/// People may change their own password; admins anyone's in their organisation.
pub async fn set_password(state: &App, caller: &Caller, id: Uuid, password: &str) -> AppResult<()> {
    let own = matches!(&caller.principal, Principal::User(u) if u.id == id) && caller.org_id() == caller.home.id;
    if !own {
        caller.require(Action::UserManage)?;
    }
    get_user_unchecked(state, caller.org_id(), id).await?;
    let hash = hash_in_background(Password::parse("password", password)?).await?;
    state.store.set_password(&caller.ctx(state), caller.org_id(), id, hash).await?;
    state.basic.drop_user(id);
    // The store ended the user's sessions.
    state.live.revoked();
    Ok(())
}

/// The user a caller acts as: themselves, or the owner of their key.
fn caller_user_id(caller: &Caller) -> Option<Uuid> {
    match &caller.principal {
        Principal::User(u) => Some(u.id),
        Principal::ApiKey(k) => k.created_by,
    }
}

/// One's own password changed, given the current one; like every password
/// change it ends the user's sessions and the Basic credentials this node
/// keeps. Nobody changes another's password this way (an admin sets it:
/// [`set_password`]).
pub async fn change_password(state: &App, caller: &Caller, id: Uuid, current: &str, password: &str) -> AppResult<()> {
    if caller_user_id(caller) != Some(id) || caller.org_id() != caller.home.id {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "a password is changed by its own user; an admin sets another's",
        ));
    }
    let user = get_user_unchecked(state, caller.org_id(), id).await?;
    let stored = state.store.credentials(&user.username).await?.map(|(_, hash)| hash).unwrap_or_default();
    let given = current.to_owned();
    let ok =
        tokio::task::spawn_blocking(move || crate::secrets::verify_password(&given, &stored)).await.unwrap_or(false);
    if !ok {
        return Err(AppError::field(ErrorCode::Forbidden, "currentPassword", "the current password is not right"));
    }
    let hash = hash_in_background(Password::parse("password", password)?).await?;
    state.store.set_password(&caller.ctx(state), caller.org_id(), id, hash).await?;
    state.basic.drop_user(id);
    // The store ended the user's sessions.
    state.live.revoked();
    Ok(())
}

async fn get_user_unchecked(state: &App, org: Uuid, id: Uuid) -> AppResult<User> {
    state.store.get_user(org, id).await?.ok_or_else(|| AppError::not_found("user"))
}

pub async fn delete_user(state: &App, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.require(Action::UserManage)?;
    if id == caller.id() {
        return Err(AppError::new(ErrorCode::InvalidState, "you cannot delete yourself"));
    }
    state.store.delete_user(&caller.ctx(state), caller.org_id(), id).await?;
    state.basic.drop_user(id);
    state.live.revoked();
    state.live.publish(caller.org_id(), "user.deleted", id);
    Ok(())
}

// -- API keys --------------------------------------------------------------

pub async fn list_api_keys(state: &App, caller: &Caller, params: &ListParams) -> AppResult<Page<ApiKey>> {
    caller.require(Action::ApiKeyManage)?;
    Ok(state.store.list_api_keys(caller.org_id(), params).await?)
}

pub async fn get_api_key(state: &App, caller: &Caller, id: Uuid) -> AppResult<ApiKey> {
    caller.require(Action::ApiKeyManage)?;
    state.store.get_api_key(caller.org_id(), id).await?.ok_or_else(|| AppError::not_found("API key"))
}

/// A key is always owned by a user and never holds more than whoever made it:
/// a key made with a key belongs to that key's owner, takes no role beyond
/// the making key's, and expires no later than it.
pub async fn create_api_key(state: &App, caller: &Caller, req: CreateApiKey) -> AppResult<CreatedApiKey> {
    caller.require(Action::ApiKeyManage)?;
    let now = state.clock.now();
    if req.expires_at.is_some_and(|t| t <= now) {
        return Err(AppError::field(ErrorCode::InvalidField, "expires_at", "expires_at must be in the future"));
    }
    if !within(req.role, caller.role) {
        return Err(AppError::field(
            ErrorCode::Forbidden,
            "role",
            format!("a key cannot be given the role {}, which may do more than yours", req.role.as_str()),
        ));
    }
    let (owner, expires_at) = match &caller.principal {
        Principal::User(u) => (u.id, req.expires_at),
        Principal::ApiKey(k) => {
            // Authentication refuses keys without an owner, so this one has one.
            let owner = k.created_by.ok_or_else(|| AppError::unauthenticated("this API key has no owner"))?;
            let expires_at = match (req.expires_at, k.expires_at) {
                (Some(asked), Some(limit)) if asked > limit => {
                    return Err(AppError::field(
                        ErrorCode::InvalidField,
                        "expires_at",
                        "expires_at must not be later than the expiry of the key that creates it",
                    ));
                }
                (asked, limit) => asked.or(limit),
            };
            (owner, expires_at)
        }
    };
    let (secret, prefix) = new_api_key()?;
    let new = NewApiKey {
        id: Uuid::now_v7(),
        name: Name::parse("name", &req.name)?.into_inner(),
        role: req.role,
        prefix,
        secret_hash: sha256_hex(&secret),
        created_by: Some(owner),
        expires_at,
    };
    let key = state.store.create_api_key(&caller.ctx(state), caller.org_id(), new).await?;
    state.live.publish(caller.org_id(), "api_key.created", key.id);
    Ok(CreatedApiKey { key, secret })
}

/// A key for another user of the caller's organisation, made by an admin
/// (who may set that user's password too): owned by that user, with that
/// user's role, so that it may do no more than its owner; audited as the
/// admin's act. The user must be enabled.
pub async fn create_api_key_for(state: &App, caller: &Caller, owner: Uuid, name: &str) -> AppResult<CreatedApiKey> {
    caller.require(Action::UserManage)?;
    caller.require(Action::ApiKeyManage)?;
    let user = get_user_unchecked(state, caller.org_id(), owner).await?;
    if user.disabled {
        return Err(AppError::new(
            ErrorCode::InvalidState,
            "the user is disabled: enable them before giving them a key",
        ));
    }
    if !within(user.role, caller.role) {
        return Err(AppError::new(ErrorCode::Forbidden, "the user's role may do more than yours"));
    }
    let (secret, prefix) = new_api_key()?;
    let new = NewApiKey {
        id: Uuid::now_v7(),
        name: Name::parse("name", name)?.into_inner(),
        role: user.role,
        prefix,
        secret_hash: sha256_hex(&secret),
        created_by: Some(owner),
        expires_at: None,
    };
    let key = state.store.create_api_key(&caller.ctx(state), caller.org_id(), new).await?;
    state.live.publish(caller.org_id(), "api_key.created", key.id);
    Ok(CreatedApiKey { key, secret })
}

pub async fn revoke_api_key(state: &App, caller: &Caller, id: Uuid) -> AppResult<ApiKey> {
    caller.require(Action::ApiKeyManage)?;
    let key = state.store.revoke_api_key(&caller.ctx(state), caller.org_id(), id).await?;
    state.live.revoked();
    state.live.publish(caller.org_id(), "api_key.revoked", id);
    Ok(key)
}

// -- Audit -----------------------------------------------------------------

pub async fn list_audit(state: &App, caller: &Caller, query: &AuditQuery) -> AppResult<Page<AuditEntry>> {
    caller.require(Action::AuditRead)?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::field(ErrorCode::InvalidQuery, "from", "from must not be after to"));
    }
    Ok(state.store.list_audit(caller.org_id(), query).await?)
}

/// Verifies the acting organisation's chain, or every chain for a platform admin.
pub async fn verify_audit(state: &App, caller: &Caller) -> AppResult<AuditVerification> {
    caller.require(Action::AuditVerify)?;
    let only =
        if caller.is_platform_admin(state) && caller.org_id() == state.root_org { None } else { Some(caller.org_id()) };
    Ok(verify_chains(state.store.as_ref(), state.checkpoints.path(), only).await?)
}

/// Checks the chains (of `only`, or of every organisation that exists, has a
/// chain head or is in a checkpoint): their links, their heads' MACs, and
/// that each still holds what every valid checkpoint in `checkpoints`
/// recorded of it; and the checkpoints themselves.
pub async fn verify_chains(
    store: &dyn Store,
    checkpoints: &std::path::Path,
    only: Option<Uuid>,
) -> Result<AuditVerification, firebreak_store::StoreError> {
    let key = store.audit_key();
    let mut anchors = match crate::checkpoints::read(checkpoints).await {
        Ok(lines) => check_checkpoints(key, &lines),
        Err(e) => Anchors {
            problems: vec![AuditProblem {
                kind: AuditProblemKind::CheckpointInvalid,
                org_id: None,
                seq: None,
                reason: format!("the checkpoint file cannot be read: {e}"),
            }],
            ..Anchors::default()
        },
    };
    let orgs: Vec<Uuid> = match only {
        Some(org) => vec![org],
        None => {
            let mut all: std::collections::BTreeSet<Uuid> = store.audit_orgs().await?.into_iter().collect();
            all.extend(anchors.by_org.keys().copied());
            all.into_iter().collect()
        }
    };
    let (mut checked, mut problems) = (0, Vec::new());
    for org in orgs {
        let (entries, head) = store.audit_chain(org).await?;
        let (n, found) = verify_org(key, org, &entries, head.as_ref(), anchors.of(org));
        checked += n;
        problems.extend(found);
    }
    problems.append(&mut anchors.problems);
    let broken = problems
        .iter()
        .find(|p| p.kind == AuditProblemKind::BrokenLink)
        .and_then(|p| Some(BrokenLink { org_id: p.org_id?, seq: p.seq?, reason: p.reason.clone() }));
    Ok(AuditVerification {
        ok: problems.is_empty(),
        checked,
        broken,
        problems,
        checkpoints: anchors.count,
        last_checkpoint_at: anchors.last_at,
    })
}

/// The enabled user `id` of `org`, or a 404 naming `field`: who may be given
/// work (an assignee, an owner, a commander).
/// Checks that `id`, when given, is an enabled user of `org` (named `field`
/// in the error).
pub(crate) async fn check_user(state: &App, org: Uuid, field: &str, id: Option<Uuid>) -> AppResult<()> {
    if let Some(id) = id {
        enabled_user(state, org, field, id).await?;
    }
    Ok(())
}

pub async fn enabled_user(state: &App, org: Uuid, field: &str, id: Uuid) -> AppResult<User> {
    match state.store.get_user(org, id).await? {
        Some(u) if !u.disabled => Ok(u),
        _ => Err(AppError::field(
            ErrorCode::NotFound,
            field,
            format!("{field} must be an enabled user of this organisation"),
        )),
    }
}
