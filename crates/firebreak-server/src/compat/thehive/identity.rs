//! Who is calling and where: status, licence, the current user, users,
//! organisations and profiles in TheHive's shapes.
//!
//! TheHive's profiles are Firebreak's roles ([`PROFILES`]); a user's one API
//! key in TheHive is the Firebreak key named [`KEY_NAME`] that they own.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use firebreak_app::auth::Principal;
use firebreak_app::service;
use firebreak_domain::permission::{Action, allows};
use firebreak_types::{
    CreateApiKey, CreateOrganisation, CreateUser, ListParams, OrgKind, Organisation, Role, UpdateOrganisation,
    UpdateUser, User,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape;
use crate::state::AppState;

/// The version of TheHive whose API the facade answers as.
pub const THEHIVE_VERSION: &str = "5.2.0";

/// The name of the Firebreak API key that is a user's TheHive key.
pub const KEY_NAME: &str = "thehive";

/// TheHive's profiles and the Firebreak role each one is. `admin` is an
/// admin of a provider organisation (the platform's, or an MSSP's),
/// `org-admin` one of a customer organisation; the rest name Firebreak's
/// roles that TheHive has no profile for.
pub const PROFILES: &[(&str, Role)] = &[
    ("admin", Role::Admin),
    ("org-admin", Role::Admin),
    ("incident-manager", Role::IncidentManager),
    ("analyst", Role::AnalystL2),
    ("analyst-l1", Role::AnalystL1),
    ("analyst-l3", Role::AnalystL3),
    ("read-only", Role::Stakeholder),
];

/// The profile a user of `role` in `org` has.
pub fn profile_of(role: Role, org: &Organisation) -> &'static str {
    match role {
        Role::Admin if org.kind == OrgKind::Provider => "admin",
        Role::Admin => "org-admin",
        Role::IncidentManager => "incident-manager",
        Role::AnalystL2 => "analyst",
        Role::AnalystL1 => "analyst-l1",
        Role::AnalystL3 => "analyst-l3",
        Role::Stakeholder => "read-only",
    }
}

/// The role a profile names.
pub fn role_of(profile: &str) -> HiveResult<Role> {
    PROFILES.iter().find(|(p, _)| p.eq_ignore_ascii_case(profile.trim())).map(|(_, r)| *r).ok_or_else(|| {
        let known: Vec<_> = PROFILES.iter().map(|(p, _)| *p).collect();
        HiveError::new(
            StatusCode::BAD_REQUEST,
            "AttributeCheckingError",
            format!("profile: unknown profile {profile}; one of {}", known.join(", ")),
        )
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/v1/status", get(status))
        .route("/api/v1/license/current", get(licence))
        .route("/api/v1/user/current", get(current_user))
        .route("/api/v1/user", post(create_user))
        .route("/api/v1/user/{id}", get(get_user).patch(update_user).delete(delete_user))
        .route("/api/v1/user/{id}/force", axum::routing::delete(delete_user))
        .route("/api/v1/user/{id}/password/set", post(set_password))
        .route("/api/v1/user/{id}/password/change", post(change_password))
        .route("/api/v1/user/{id}/organisations", axum::routing::put(set_organisations))
        .route("/api/v1/user/{id}/key", get(get_key).delete(remove_key))
        .route("/api/v1/user/{id}/key/renew", post(renew_key))
        .route("/api/v1/organisation", post(create_organisation))
        .route("/api/v1/organisation/{id}", get(get_organisation).patch(update_organisation))
        .route("/api/v1/organisation/{id}/links", get(org_links).post(links_fixed))
        .route("/api/v1/organisation/{id}/link/{other}", axum::routing::put(links_fixed).delete(links_fixed))
        .route("/api/v1/organisation/{id}/avatar/{hash}", get(no_avatar))
        .route("/api/v1/sharingProfile", get(sharing_profiles))
        .route("/api/v1/profile", get(all_profiles).post(profile_fixed))
        .route("/api/v1/profile/{name}", get(get_profile).patch(profile_fixed).delete(profile_fixed))
}

/// A user in TheHive's shape (the query API answers with it too).
pub(super) fn user(u: &User, org: &Organisation) -> Value {
    let mut m = shape::header("User", u.id, "", u.created_at, None);
    m.insert("login".into(), json!(u.username));
    m.insert("name".into(), json!(u.display_name));
    m.insert("email".into(), json!(u.email));
    m.insert("locked".into(), json!(u.disabled));
    m.insert("organisation".into(), json!(org.name));
    m.insert("profile".into(), json!(profile_of(u.role, org)));
    m.insert("permissions".into(), json!(permissions(u.role)));
    m.insert("type".into(), json!("Normal"));
    m.insert("hasKey".into(), json!(false));
    m.insert("hasPassword".into(), json!(true));
    m.insert("hasMFA".into(), json!(false));
    m.insert("defaultOrganisation".into(), json!(org.name));
    m.insert(
        "organisations".into(),
        json!([{
            "organisationId": org.id.to_string(),
            "organisation": org.name,
            "profile": profile_of(u.role, org),
        }]),
    );
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// An organisation in TheHive's shape.
pub(super) fn organisation(o: &Organisation) -> Value {
    let mut m = shape::header("Organisation", o.id, "", o.created_at, None);
    m.insert("name".into(), json!(o.name));
    m.insert("description".into(), json!(o.description));
    m.insert("taskRule".into(), json!("manual"));
    m.insert("observableRule".into(), json!("manual"));
    m.insert("locked".into(), json!(false));
    m.insert("links".into(), json!([]));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

fn permissions(role: Role) -> Vec<String> {
    Action::all().filter(|a| allows(role, *a)).map(Action::as_str).collect()
}

fn profile(name: &str, role: Role) -> Value {
    json!({
        "_id": name,
        "_type": "Profile",
        "_createdBy": "system",
        "_createdAt": 0,
        "name": name,
        "permissions": permissions(role),
        "editable": false,
        "isAdmin": name == "admin",
        "forAdmin": name == "admin",
        "forOrg": name != "admin",
        "consumesLicense": false,
        "firebreakRole": role.as_str(),
    })
}

/// `listUser`: the users of the acting organisation.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_users(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    let users = all_users(state, caller).await?;
    Ok(users.iter().map(|u| user(u, &caller.org)).collect())
}

/// `listOrganisation`: the organisations the caller may act in.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_organisations(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    caller.require(Action::OrgRead)?;
    let orgs = service::acting_orgs(&state.app, caller).await?;
    Ok(orgs.iter().map(organisation).collect())
}

/// `listProfile`: TheHive's profiles as Firebreak has them.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_profiles(_state: &AppState, _caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(PROFILES.iter().map(|(n, r)| profile(n, *r)).collect())
}

/// A JSON body read into `T`, refused in TheHive's words.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> HiveResult<T> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &bytes[..] };
    serde_json::from_slice(bytes).map_err(|e| {
        HiveError::new(StatusCode::BAD_REQUEST, "AttributeCheckingError", format!("invalid request body: {e}"))
    })
}

async fn status() -> Response {
    axum::Json(json!({
        "versions": {
            "Scalligraph": THEHIVE_VERSION,
            "TheHive": THEHIVE_VERSION,
            "Firebreak": env!("CARGO_PKG_VERSION"),
            "Play": "2.8.x",
        },
        "config": {
            "protectDownloadsWith": "malware",
            "authType": ["session", "basic", "key"],
            "capabilities": ["changePassword", "setPassword", "authByKey"],
            "ssoAutoLogin": false,
            "pollingDuration": 1000,
            "freeTagDefaultColour": "#000000",
        },
    }))
    .into_response()
}

async fn licence(_caller: HiveCaller) -> Response {
    let licence = json!({
        "type": "Firebreak",
        "expiresAt": null,
        "features": ["all"],
        "limits": { "users": null, "organisations": null },
        "expired": false,
    });
    axum::Json(json!({ "fallback": licence, "current": licence })).into_response()
}

async fn all_users(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<User>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        let params = ListParams { limit: Some(1000), offset: Some(offset), ..Default::default() };
        let page = service::list_users(&state.app, caller, &params).await?;
        let n = page.items.len();
        out.extend(page.items);
        if n < 1000 {
            return Ok(out);
        }
        offset += 1000;
    }
}

/// A user of the acting organisation by id or login; another
/// organisation's is not found.
async fn find_user(state: &AppState, caller: &HiveCaller, id_or_login: &str) -> HiveResult<User> {
    if let Ok(id) = Uuid::parse_str(id_or_login) {
        return Ok(service::get_user(&state.app, caller, id).await?);
    }
    all_users(state, caller)
        .await?
        .into_iter()
        .find(|u| u.username.eq_ignore_ascii_case(id_or_login.trim()))
        .ok_or_else(|| HiveError::not_found(format!("user {id_or_login} not found")))
}

/// The user a caller is: themselves, or the owner of the key they sent.
async fn caller_user(state: &AppState, caller: &HiveCaller) -> HiveResult<User> {
    match &caller.principal {
        Principal::User(u) => Ok(u.clone()),
        Principal::ApiKey(k) => {
            let owner = k.created_by.ok_or_else(|| HiveError::authentication("this API key has no owner"))?;
            let home = HiveCaller(firebreak_app::auth::Caller { org: caller.home.clone(), ..caller.0.clone() });
            let mut u = service::get_user(&state.app, &home, owner).await?;
            // What the caller may do is the key's role, not its owner's.
            u.role = k.role;
            Ok(u)
        }
    }
}

async fn current_user(State(state): State<AppState>, caller: HiveCaller) -> HiveResult<Response> {
    let u = caller_user(&state, &caller).await?;
    let mut v = user(&u, &caller.org);
    if let Some(m) = v.as_object_mut() {
        m.insert("hasKey".into(), json!(matches!(caller.principal, Principal::ApiKey(_))));
    }
    Ok(axum::Json(v).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputUser {
    login: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    password: Option<String>,
    profile: String,
    #[serde(default)]
    organisation: Option<String>,
}

/// The caller acting in the organisation named (by id or name), which must
/// be one they may act in; 404 otherwise.
async fn in_org(state: &AppState, caller: &HiveCaller, name: Option<&str>) -> HiveResult<HiveCaller> {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else { return Ok(caller.clone()) };
    if caller.org.name.eq_ignore_ascii_case(name) || caller.org.id.to_string() == name {
        return Ok(caller.clone());
    }
    let org = find_org(state, caller, name).await?;
    Ok(HiveCaller(firebreak_app::auth::Caller { org, ..caller.0.clone() }))
}

async fn find_org(state: &AppState, caller: &HiveCaller, id_or_name: &str) -> HiveResult<Organisation> {
    caller.require(Action::OrgRead)?;
    service::acting_orgs(&state.app, caller)
        .await?
        .into_iter()
        .find(|o| o.id.to_string() == id_or_name || o.name.eq_ignore_ascii_case(id_or_name.trim()))
        .ok_or_else(|| HiveError::not_found(format!("organisation {id_or_name} not found")))
}

async fn create_user(State(state): State<AppState>, caller: HiveCaller, bytes: Bytes) -> HiveResult<Response> {
    let input: InputUser = body(&bytes)?;
    let caller = in_org(&state, &caller, input.organisation.as_deref()).await?;
    let role = role_of(&input.profile)?;
    // TheHive makes users without a password (they sign in with a key or
    // once one is set); Firebreak's users need one: a random one nobody
    // knows stands in until it is set.
    let password = match input.password {
        Some(p) => p,
        None => firebreak_app::secrets::random_token(32)?,
    };
    let req = CreateUser {
        username: input.login,
        display_name: input.name,
        email: input.email.unwrap_or_default(),
        role,
        password,
    };
    let u = service::create_user(&state.app, &caller, req).await?;
    Ok((StatusCode::CREATED, axum::Json(user(&u, &caller.org))).into_response())
}

async fn get_user(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let u = find_user(&state, &caller, &id).await?;
    Ok(axum::Json(user(&u, &caller.org)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputUpdateUser {
    name: Option<String>,
    email: Option<String>,
    profile: Option<String>,
    locked: Option<bool>,
    organisation: Option<String>,
}

async fn update_user(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputUpdateUser = body(&bytes)?;
    let caller = in_org(&state, &caller, input.organisation.as_deref()).await?;
    let u = find_user(&state, &caller, &id).await?;
    let req = UpdateUser {
        display_name: input.name,
        email: input.email,
        role: input.profile.as_deref().map(role_of).transpose()?,
        disabled: input.locked,
    };
    service::update_user(&state.app, &caller, u.id, req).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct DeleteQuery {
    organisation: Option<String>,
}

async fn delete_user(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    query: axum::extract::Query<DeleteQuery>,
) -> HiveResult<Response> {
    let caller = in_org(&state, &caller, query.organisation.as_deref()).await?;
    let u = find_user(&state, &caller, &id).await?;
    service::delete_user(&state.app, &caller, u.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct InputPassword {
    password: String,
}

async fn set_password(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputPassword = body(&bytes)?;
    let u = find_user(&state, &caller, &id).await?;
    service::set_password(&state.app, &caller, u.id, &input.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputChangePassword {
    current_password: String,
    password: String,
}

/// One's own password, given the current one (TheHive's "change password").
async fn change_password(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputChangePassword = body(&bytes)?;
    let u = find_user(&state, &caller, &id).await?;
    service::change_password(&state.app, &caller, u.id, &input.current_password, &input.password).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct InputUserOrganisation {
    organisation: String,
    profile: String,
    #[serde(default)]
    #[allow(dead_code)] // the one organisation is always the default
    default: Option<bool>,
}

#[derive(Deserialize)]
struct InputUserOrganisations {
    organisations: Vec<InputUserOrganisation>,
}

/// TheHive's "set user organisations". A Firebreak user belongs to one
/// organisation (a provider's people reach its customers through grants,
/// not memberships): a list naming that organisation sets the user's
/// profile (role) there; any other organisation is refused, naming why.
async fn set_organisations(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputUserOrganisations = body(&bytes)?;
    let u = find_user(&state, &caller, &id).await?;
    let org = &caller.org;
    let mut role = None;
    for entry in &input.organisations {
        let named = entry.organisation.trim();
        if !(named.eq_ignore_ascii_case(&org.name) || named == org.id.to_string()) {
            return Err(HiveError::bad_request(format!(
                "organisations: a Firebreak user belongs to one organisation ({}); {named} is not a membership                  Firebreak can give: a provider organisation's people reach a customer organisation through a                  grant of access to it",
                org.name
            )));
        }
        let r = role_of(&entry.profile)?;
        if role.is_some_and(|x| x != r) {
            return Err(HiveError::bad_request(format!(
                "organisations: {} is named twice with different profiles",
                org.name
            )));
        }
        role = Some(r);
    }
    let Some(role) = role else {
        return Err(HiveError::bad_request(format!(
            "organisations: a Firebreak user belongs to exactly one organisation ({}): the list cannot be empty",
            org.name
        )));
    };
    let req = UpdateUser { display_name: None, email: None, role: Some(role), disabled: None };
    let u = service::update_user(&state.app, &caller, u.id, req).await?;
    let out = json!({ "organisations": [{
        "organisation": org.name,
        "organisationId": org.id.to_string(),
        "profile": profile_of(u.role, org),
        "default": true,
    }] });
    Ok(axum::Json(out).into_response())
}

/// The user's TheHive keys: the keys named [`KEY_NAME`] they own, not revoked.
async fn user_keys(state: &AppState, caller: &HiveCaller, owner: Uuid) -> HiveResult<Vec<Uuid>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    loop {
        let params = ListParams { limit: Some(1000), offset: Some(offset), ..Default::default() };
        let page = service::list_api_keys(&state.app, caller, &params).await?;
        let n = page.items.len();
        out.extend(
            page.items
                .into_iter()
                .filter(|k| k.name == KEY_NAME && k.created_by == Some(owner) && k.revoked_at.is_none())
                .map(|k| k.id),
        );
        if n < 1000 {
            return Ok(out);
        }
        offset += 1000;
    }
}

/// A new TheHive key for a user, ending the one before: one's own (with
/// the caller's role), or, for an admin, another user's of the organisation
/// (with that user's role, audited as the admin's act).
async fn renew_key(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let me = caller_user(&state, &caller).await?;
    let u = find_user(&state, &caller, &id).await?;
    let old = user_keys(&state, &caller, u.id).await?;
    let created = if u.id == me.id {
        let req = CreateApiKey { name: KEY_NAME.into(), role: caller.role, expires_at: None };
        service::create_api_key(&state.app, &caller, req).await?
    } else {
        service::create_api_key_for(&state.app, &caller, u.id, KEY_NAME).await?
    };
    for k in old {
        service::revoke_api_key(&state.app, &caller, k).await?;
    }
    Ok(created.secret.into_response())
}

async fn get_key(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    find_user(&state, &caller, &id).await?;
    caller.require(Action::ApiKeyManage)?;
    Err(HiveError::not_found(
        "Firebreak keeps only a hash of each API key and shows its secret once: renew the key to get a new one",
    ))
}

async fn remove_key(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let u = find_user(&state, &caller, &id).await?;
    for k in user_keys(&state, &caller, u.id).await? {
        service::revoke_api_key(&state.app, &caller, k).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct InputOrganisation {
    name: String,
    #[serde(default)]
    description: String,
}

async fn create_organisation(State(state): State<AppState>, caller: HiveCaller, bytes: Bytes) -> HiveResult<Response> {
    let input: InputOrganisation = body(&bytes)?;
    let req = CreateOrganisation { name: input.name, kind: OrgKind::Customer, description: input.description };
    let o = service::create_org(&state.app, &caller, req).await?;
    Ok((StatusCode::CREATED, axum::Json(organisation(&o))).into_response())
}

async fn get_organisation(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let o = find_org(&state, &caller, &id).await?;
    Ok(axum::Json(organisation(&o)).into_response())
}

#[derive(Deserialize)]
struct InputUpdateOrganisation {
    name: Option<String>,
    description: Option<String>,
}

async fn update_organisation(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputUpdateOrganisation = body(&bytes)?;
    let o = find_org(&state, &caller, &id).await?;
    let req = UpdateOrganisation { name: input.name, description: input.description };
    service::update_org(&state.app, &caller, o.id, req).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// TheHive's organisation links are Firebreak's provider grants: a provider
/// organisation and its customers work with each other (and may share cases).
/// From the organisation's side a provider is its `supervisor` and a
/// customer `supervised` by it.
async fn org_links(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let acting = in_org(&state, &caller, Some(&id)).await?;
    let mine = acting.org.kind == OrgKind::Provider;
    let links: Vec<Value> = firebreak_app::shares::partners(&state.app, &acting)
        .await?
        .iter()
        .map(|o| {
            let (link, other) = match (mine, o.kind == OrgKind::Provider) {
                (false, true) => ("supervised", "supervisor"),
                (true, false) => ("supervisor", "supervised"),
                _ => ("default", "default"),
            };
            json!({ "linkType": link, "otherLinkType": other, "organisation": organisation(o) })
        })
        .collect();
    Ok(axum::Json(links).into_response())
}

/// Links are made by granting a provider a customer (Firebreak's
/// `PUT /api/v1/orgs/{id}/grants/{customer_id}`, a platform administrator's
/// act), not from one organisation's side.
async fn links_fixed(_caller: HiveCaller) -> HiveError {
    HiveError::new(
        StatusCode::NOT_IMPLEMENTED,
        "NotSupportedError",
        "organisation links are Firebreak's provider grants: a platform administrator grants a provider \
         organisation a customer (PUT /api/v1/orgs/{id}/grants/{customer_id} in Firebreak's API); GET /api/v1/organisation/{id}/links lists them",
    )
}

/// No organisation has an avatar in Firebreak.
async fn no_avatar(_caller: HiveCaller, Path((id, _)): Path<(String, String)>) -> HiveError {
    HiveError::not_found(format!("organisation {id} has no avatar"))
}

/// The profiles a case may be shared with (every profile but the admins'),
/// as TheHive's sharing profiles: none shares on its own, none is edited;
/// a share sees every task and observable unless it says otherwise.
async fn sharing_profiles(_caller: HiveCaller) -> Response {
    let list: Vec<Value> = PROFILES
        .iter()
        .filter(|(_, r)| *r != Role::Admin)
        .map(|(name, role)| {
            json!({
                "name": name,
                "description": format!("the case shared with Firebreak's {} role", role.as_str()),
                "autoShare": false,
                "editable": false,
                "permissionProfile": name,
                "taskRule": "all",
                "observableRule": "all",
            })
        })
        .collect();
    axum::Json(list).into_response()
}

/// Profiles are Firebreak's fixed roles: none is made, changed or removed.
async fn profile_fixed(_caller: HiveCaller) -> HiveError {
    let known: Vec<_> = PROFILES.iter().map(|(p, r)| format!("{p} ({})", r.as_str())).collect();
    HiveError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationError",
        format!(
            "profiles are Firebreak's fixed roles and cannot be made, changed or removed; the profiles are {}",
            known.join(", ")
        ),
    )
}

async fn all_profiles(State(state): State<AppState>, caller: HiveCaller) -> HiveResult<Response> {
    Ok(axum::Json(list_profiles(&state, &caller).await?).into_response())
}

async fn get_profile(Path(name): Path<String>, _caller: HiveCaller) -> HiveResult<Response> {
    let (n, r) = PROFILES
        .iter()
        .find(|(p, _)| p.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| HiveError::not_found(format!("profile {name} not found")))?;
    Ok(axum::Json(profile(n, *r)).into_response())
}
