//! Administration pages: people, API keys, organisations, roles, audit log.
//! Every change goes through `service`, like the API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use firebreak_domain::permission::{Action, PERMISSIONS};
use firebreak_types::{
    AuditQuery, AuditVerification, CreateApiKey, CreateOrganisation, CreateUser, ListParams, OrgKind, Role, UpdateUser,
};
use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::pages::{Flash, Layout, Section};
use super::session::{WebCaller, csrf_refusal, render, urlencode};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use firebreak_app::service;
use firebreak_app::{AppError, AppResult};

/// A time as the tables show it.
pub fn when(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// After a form: back to `to` with a notice, or with the error's message.
fn back(to: &str, result: AppResult<String>) -> Response {
    match result {
        Ok(notice) => Redirect::to(&format!("{to}?notice={}", urlencode(&notice))).into_response(),
        Err(e) => Redirect::to(&format!("{to}?error={}", urlencode(&e.message))).into_response(),
    }
}

fn role_choices() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

fn parse_role(s: &str) -> AppResult<Role> {
    Role::parse(s).ok_or_else(|| {
        AppError::field(firebreak_types::ErrorCode::InvalidField, "role", "role must be one of the listed roles")
    })
}

// -- Users ---------------------------------------------------------------------

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub disabled: bool,
    pub last_login: String,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    q: String,
}

#[derive(Deserialize, Default)]
pub struct SearchFlash {
    #[serde(default)]
    q: String,
    #[serde(default)]
    notice: String,
    #[serde(default)]
    error: String,
}

pub async fn users(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<SearchFlash>) -> Response {
    let params =
        ListParams { limit: Some(500), q: Some(f.q.clone()).filter(|q| !q.is_empty()), ..ListParams::default() };
    let page = match service::list_users(&s, &c, &params).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let rows = page
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.as_str(),
            role_label: u.role.label(),
            disabled: u.disabled,
            last_login: u.last_login_at.map_or_else(|| "never".into(), when),
            is_me: u.id == c.id(),
        })
        .collect();
    let layout = Layout::new(&s, &c, "Users", "users", Flash { notice: f.notice, error: f.error }).await;
    render(&UsersPage { layout, rows, roles: role_choices(), can_manage: c.may(Action::UserManage), q: f.q })
}

#[derive(Deserialize)]
pub struct NewUserForm {
    csrf: String,
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    role: String,
    password: String,
}

pub async fn create_user(State(s): State<AppState>, WebCaller(c): WebCaller, Form(f): Form<NewUserForm>) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let result = async {
        let req = CreateUser {
            username: f.username,
            display_name: f.display_name,
            email: f.email,
            role: parse_role(&f.role)?,
            password: f.password,
        };
        let u = service::create_user(&s, &c, req).await?;
        Ok(format!("User {} created.", u.username))
    }
    .await;
    back("/admin/users", result)
}

#[derive(Deserialize)]
pub struct UserChangeForm {
    csrf: String,
    /// `disable`, `enable`, `role`, `password` or `delete`.
    op: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn change_user(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Path(id): Path<Uuid>,
    Form(f): Form<UserChangeForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let result = async {
        match f.op.as_str() {
            "disable" | "enable" => {
                let u = service::update_user(
                    &s,
                    &c,
                    id,
                    UpdateUser { disabled: Some(f.op == "disable"), ..UpdateUser::default() },
                )
                .await?;
                Ok(format!("{} is now {}.", u.username, if u.disabled { "disabled" } else { "enabled" }))
            }
            "role" => {
                let u = service::update_user(
                    &s,
                    &c,
                    id,
                    UpdateUser { role: Some(parse_role(&f.role)?), ..UpdateUser::default() },
                )
                .await?;
                Ok(format!("{} is now {}.", u.username, u.role.label()))
            }
            "password" => {
                service::set_password(&s, &c, id, &f.password).await?;
                Ok("Password set; the user's sessions were ended.".to_owned())
            }
            "delete" => {
                service::delete_user(&s, &c, id).await?;
                Ok("User deleted.".to_owned())
            }
            _ => Err(AppError::field(firebreak_types::ErrorCode::InvalidField, "op", "unknown action")),
        }
    }
    .await;
    back("/admin/users", result)
}

// -- API keys --------------------------------------------------------------------

pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub role_label: &'static str,
    pub prefix: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "admin_keys.html")]
struct KeysPage {
    layout: Layout,
    rows: Vec<KeyRow>,
    roles: Vec<(&'static str, &'static str)>,
    /// A new key's secret, shown this once.
    secret: String,
    secret_name: String,
    base_url: String,
}

async fn keys_page(
    s: &AppState,
    c: &Caller,
    flash: Flash,
    secret: String,
    secret_name: String,
    base_url: String,
) -> Response {
    let page = match service::list_api_keys(
        s,
        c,
        &ListParams { limit: Some(500), sort: Some("-created_at".into()), ..ListParams::default() },
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let now = s.now();
    let rows = page
        .items
        .iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            name: k.name.clone(),
            role_label: k.role.label(),
            prefix: k.prefix.clone(),
            created: when(k.created_at),
            expires: k.expires_at.map_or_else(|| "never".into(), when),
            last_used: k.last_used_at.map_or_else(|| "never".into(), when),
            status: if k.revoked_at.is_some() {
                "revoked"
            } else if k.expires_at.is_some_and(|t| t <= now) {
                "expired"
            } else {
                "active"
            },
        })
        .collect();
    let layout = Layout::new(s, c, "API keys", "keys", flash).await;
    super::session::render(&KeysPage { layout, rows, roles: role_choices(), secret, secret_name, base_url })
}

fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    format!("http://{host}")
}

pub async fn keys(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    headers: axum::http::HeaderMap,
    Query(f): Query<Flash>,
) -> Response {
    keys_page(&s, &c, f, String::new(), String::new(), base_url(&headers)).await
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    csrf: String,
    name: String,
    role: String,
    /// A date (YYYY-MM-DD) from the date input, or empty.
    #[serde(default)]
    expires: String,
}

pub async fn create_key(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    headers: axum::http::HeaderMap,
    Form(f): Form<NewKeyForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let result = async {
        let expires_at = if f.expires.trim().is_empty() {
            None
        } else {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            let date = time::Date::parse(f.expires.trim(), &fmt).map_err(|_| {
                AppError::field(
                    firebreak_types::ErrorCode::InvalidField,
                    "expires",
                    "the expiry must be a date (YYYY-MM-DD)",
                )
            })?;
            Some(date.midnight().assume_utc())
        };
        service::create_api_key(&s, &c, CreateApiKey { name: f.name, role: parse_role(&f.role)?, expires_at }).await
    }
    .await;
    // The secret is rendered into this answer only, never carried in a URL.
    match result {
        Ok(created) => keys_page(&s, &c, Flash::default(), created.secret, created.key.name, base_url(&headers)).await,
        Err(e) => {
            keys_page(
                &s,
                &c,
                Flash { notice: String::new(), error: e.message },
                String::new(),
                String::new(),
                base_url(&headers),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

pub async fn revoke_key(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Path(id): Path<Uuid>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let result = service::revoke_api_key(&s, &c, id).await.map(|k| format!("Key {} revoked.", k.name));
    back("/admin/api-keys", result)
}

// -- Organisations -----------------------------------------------------------------

pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub description: String,
    pub created: String,
    pub granted: bool,
    pub is_root: bool,
}

#[derive(Template)]
#[template(path = "admin_orgs.html")]
struct OrgsPage {
    layout: Layout,
    rows: Vec<OrgRow>,
    platform_admin: bool,
}

pub async fn orgs(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<Flash>) -> Response {
    let result = async {
        let page = service::list_orgs(&s, &c, &ListParams { limit: Some(1000), ..ListParams::default() }).await?;
        let granted = service::root_grants(&s, &c).await?;
        Ok::<_, ApiError>((page, granted))
    }
    .await;
    let (page, granted) = match result {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let rows = page
        .items
        .iter()
        .map(|o| OrgRow {
            id: o.id.to_string(),
            name: o.name.clone(),
            kind: o.kind.as_str(),
            description: o.description.clone(),
            created: when(o.created_at),
            granted: granted.contains(&o.id),
            is_root: o.id == s.root_org(),
        })
        .collect();
    let layout = Layout::new(&s, &c, "Organisations", "orgs", f).await;
    render(&OrgsPage { layout, rows, platform_admin: c.is_platform_admin(&s) })
}

#[derive(Deserialize)]
pub struct NewOrgForm {
    csrf: String,
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
}

pub async fn create_org(State(s): State<AppState>, WebCaller(c): WebCaller, Form(f): Form<NewOrgForm>) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let kind = OrgKind::parse(&f.kind).unwrap_or(OrgKind::Customer);
    let result = service::create_org(&s, &c, CreateOrganisation { name: f.name, kind, description: f.description })
        .await
        .map(|o| format!("Organisation {} created; this server's organisation can work in it.", o.name));
    back("/admin/orgs", result)
}

#[derive(Deserialize)]
pub struct AccessForm {
    csrf: String,
    /// `grant` or `revoke`.
    op: String,
}

pub async fn change_access(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Path(id): Path<Uuid>,
    Form(f): Form<AccessForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&c, &f.csrf) {
        return r;
    }
    let result = if f.op == "grant" {
        service::grant_access(&s, &c, s.root_org(), id).await.map(|_| "Access granted.".to_owned())
    } else {
        service::revoke_access(&s, &c, s.root_org(), id).await.map(|()| "Access revoked.".to_owned())
    };
    back("/admin/orgs", result)
}

// -- Roles -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<(&'static str, &'static str)>,
    /// Action, then one flag per role.
    rows: Vec<(String, Vec<bool>)>,
}

pub async fn roles(State(s): State<AppState>, WebCaller(c): WebCaller) -> Response {
    let (s, c) = (&s, &c);
    let rows = PERMISSIONS
        .iter()
        .map(|(a, allowed)| (a.as_str().replace('_', " "), Role::ALL.iter().map(|r| allowed.contains(r)).collect()))
        .collect();
    let layout = Layout::new(s, c, "Roles", "roles", Flash::default()).await;
    render(&RolesPage { layout, roles: role_choices(), rows })
}

// -- Audit log -----------------------------------------------------------------------

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_kind: String,
    pub action: String,
    pub object: String,
    pub changes: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    total: u64,
    filter: AuditFilter,
    verification: Section<AuditVerification>,
    can_verify: bool,
    prev: Option<u64>,
    next: Option<u64>,
}

#[derive(Deserialize, Default)]
pub struct AuditFilter {
    #[serde(default)]
    pub object_type: String,
    #[serde(default)]
    pub object_id: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub verify: String,
}

fn short(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 80 { format!("{}…", s.chars().take(80).collect::<String>()) } else { s }
}

pub async fn audit(State(s): State<AppState>, WebCaller(c): WebCaller, Query(f): Query<AuditFilter>) -> Response {
    const PAGE: u32 = 100;
    let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let query = AuditQuery {
        object_type: opt(&f.object_type),
        object_id: opt(&f.object_id),
        action: opt(&f.action),
        limit: Some(PAGE),
        offset: Some(f.offset),
        total: Some(true),
        ..AuditQuery::default()
    };
    let page = match service::list_audit(&s, &c, &query).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let verification = if f.verify == "1" {
        Section::load(service::verify_audit(&s, &c).await, "audit verification")
    } else {
        Section::Hidden
    };
    let rows = page
        .items
        .iter()
        .map(|e| {
            let changes = match &e.changes {
                serde_json::Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| match (v.get("before"), v.get("after")) {
                        (Some(b), Some(a)) => (k.clone(), format!("{} → {}", short(b), short(a))),
                        _ => (k.clone(), short(v)),
                    })
                    .collect(),
                other => vec![(String::new(), short(other))],
            };
            AuditRow {
                seq: e.seq,
                at: when(e.at),
                actor: e.actor_name.clone(),
                actor_kind: e.actor_kind.as_str().replace('_', " "),
                action: e.action.replace('_', " "),
                object: format!(
                    "{} {}",
                    e.object_type.replace('_', " "),
                    e.object_id.chars().take(13).collect::<String>()
                ),
                changes,
            }
        })
        .collect();
    let total = page.total.unwrap_or(0);
    let prev = (f.offset > 0).then(|| f.offset.saturating_sub(u64::from(PAGE)));
    let next = (f.offset + u64::from(PAGE) < total).then_some(f.offset + u64::from(PAGE));
    let layout = Layout::new(&s, &c, "Audit log", "audit", Flash::default()).await;
    render(&AuditPage {
        layout,
        rows,
        total,
        filter: f,
        verification,
        can_verify: c.may(Action::AuditVerify),
        prev,
        next,
    })
}

// -- Settings: webhooks, SLA targets, story grouping ----------------------------------

pub struct WebhookRow {
    pub id: String,
    pub name: String,
    pub url: String,
    pub events: String,
    /// The body sent: Firebreak's or TheHive's.
    pub format: &'static str,
    pub enabled: bool,
    pub created: String,
}

pub struct DeliveryRow {
    pub event: String,
    pub status: String,
    pub attempts: u32,
    pub code: String,
    pub error: String,
    pub when: String,
}

/// One priority's SLA targets, in minutes as the form shows them.
pub struct SlaRow {
    pub priority: &'static str,
    pub acknowledge: i64,
    pub contain: i64,
    pub resolve: i64,
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    layout: Layout,
    webhooks: Vec<WebhookRow>,
    /// The webhook whose delivery log is open, and its log.
    shown: Option<(String, Vec<DeliveryRow>)>,
    sla: Vec<SlaRow>,
    grouping: firebreak_types::GroupingSettings,
    /// Every observable type, and whether it joins stories.
    kinds: Vec<(&'static str, bool)>,
    events: Vec<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    /// A webhook whose delivery log to show.
    webhook: Option<Uuid>,
}

/// Webhooks (with their delivery log), SLA targets and story grouping: what
/// an organisation sets once, on one page.
pub async fn settings(
    State(s): State<AppState>,
    WebCaller(c): WebCaller,
    Query(q): Query<SettingsQuery>,
    Query(f): Query<Flash>,
) -> Response {
    let (s, c) = (&s, &c);
    let hooks = match firebreak_app::webhooks::list(s, c).await {
        Ok(h) => h,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let shown = match q.webhook {
        Some(id) => {
            let name = hooks.iter().find(|h| h.id == id).map(|h| h.name.clone()).unwrap_or_default();
            let log = firebreak_app::webhooks::deliveries(s, c, id).await.unwrap_or_default();
            let rows = log
                .into_iter()
                .map(|d| DeliveryRow {
                    event: d.event,
                    status: d.status.as_str().to_owned(),
                    attempts: d.attempts,
                    code: d.last_status_code.map(|c| c.to_string()).unwrap_or_default(),
                    error: d.last_error.unwrap_or_default(),
                    when: d.delivered_at.or(d.next_attempt_at).map(when).unwrap_or_default(),
                })
                .collect();
            Some((name, rows))
        }
        None => None,
    };
    let webhooks = hooks
        .into_iter()
        .map(|h| WebhookRow {
            id: h.id.to_string(),
            name: h.name,
            url: h.url,
            events: if h.events.is_empty() { "every case event".to_owned() } else { h.events.join(", ") },
            format: match h.format {
                firebreak_types::WebhookFormat::Firebreak => "Firebreak",
                firebreak_types::WebhookFormat::Thehive => "TheHive",
            },
            enabled: h.enabled,
            created: when(h.created_at),
        })
        .collect();
    let policy = match firebreak_app::sla::get_policy(s, c).await {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let sla = firebreak_types::Priority::ALL
        .iter()
        .map(|p| {
            let t = policy.for_priority(*p);
            SlaRow {
                priority: p.as_str(),
                acknowledge: t.acknowledge / 60,
                contain: t.contain / 60,
                resolve: t.resolve / 60,
            }
        })
        .collect();
    let grouping = match firebreak_app::stories::get_grouping(s, c).await {
        Ok(g) => g,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let kinds = firebreak_domain::observable::ObservableKind::ALL
        .iter()
        .map(|k| (k.as_str(), grouping.keys.iter().any(|g| g == k.as_str())))
        .collect();
    let layout = Layout::new(s, c, "Settings", "settings", f).await;
    super::session::render(&SettingsPage {
        layout,
        webhooks,
        shown,
        sla,
        grouping,
        kinds,
        events: firebreak_types::WEBHOOK_EVENTS.to_vec(),
    })
}
