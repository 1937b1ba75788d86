//! Signing in and out, the web caller, CSRF checks and the organisation switcher.

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use firebreak_types::ErrorCode;
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::{Caller, ORG_COOKIE, SESSION_COOKIE, authenticate, check_password};
use crate::error::ApiError;
use crate::proxy::Remote;
use crate::state::AppState;
use firebreak_app::secrets::{constant_time_eq, random_token};

const LOGIN_CSRF_COOKIE: &str = "fb_login_csrf";

/// Renders a template, or a plain error page if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
        }
    }
}

/// The signed-in caller of a page; without a session, a redirect to the sign-in page.
pub struct WebCaller(pub Caller);

impl FromRequestParts<AppState> for WebCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = match authenticate(state, parts, false).await {
            Ok(c) => crate::auth::through_share(state, parts, c).await,
            Err(e) => Err(e),
        };
        match caller {
            Ok(c) => Ok(WebCaller(c)),
            Err(e) if e.code == ErrorCode::NotFound => {
                // The chosen organisation is no longer reachable: forget it.
                let jar = CookieJar::from_headers(&parts.headers).remove(Cookie::build(ORG_COOKIE).path("/"));
                Err((jar, Redirect::to("/")).into_response())
            }
            // The session could not be checked (the database failed): say so,
            // rather than ask someone signed in to sign in again.
            Err(e) if matches!(e.0.code, ErrorCode::Internal | ErrorCode::Unavailable) => {
                tracing::error!(error = %e.0, "could not check a page's session");
                Err(e.into_response())
            }
            Err(_) => {
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                Err(Redirect::to(&format!("/login?next={}", urlencode(next))).into_response())
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The refusal of a form whose CSRF token is not the session's, if it is not.
pub fn csrf_refusal(caller: &Caller, sent: &str) -> Option<Response> {
    match &caller.csrf_token {
        Some(token) if constant_time_eq(token, sent) => None,
        _ => Some((
            axum::http::StatusCode::FORBIDDEN,
            Html(
                "<p>This form has expired or did not come from Firebreak. Go back, reload the page and try again.</p>",
            ),
        )
            .into_response()),
    }
}

/// Where to go after signing in: `next` if it is a path on this server,
/// else the home page.
fn safe_next(next: Option<&str>) -> String {
    next.and_then(same_origin_path).unwrap_or_else(|| "/".to_owned())
}

/// `next` as a path, query included, if it can only lead to this server.
/// Browsers drop tabs and newlines (`/\t/evil` is `//evil`, another host) and
/// read `\` as `/`, so any whitespace, control character or backslash (and a
/// percent-encoded control character or backslash) refuses it rather than
/// being reasoned about.
fn same_origin_path(next: &str) -> Option<String> {
    let raw_ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    let lower = next.to_ascii_lowercase();
    let encoded_ok = !lower
        .split('%')
        .skip(1)
        .any(|hex| hex.starts_with('0') || hex.starts_with('1') || hex.starts_with("7f") || hex.starts_with("5c"));
    if !(raw_ok && encoded_ok) {
        return None;
    }
    // Resolved against a stand-in origin, it must stay there: no scheme, no
    // authority. The redirect is its serialised form, plain ASCII.
    let base = url::Url::parse("http://firebreak.invalid/").ok()?;
    let url = base.join(next).ok()?;
    (url.origin() == base.origin() && url.path().starts_with('/') && !url.path().starts_with("//"))
        .then(|| url[url::Position::BeforePath..url::Position::AfterQuery].to_owned())
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    error: String,
    username: String,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    remote: Remote,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let Ok(csrf) = random_token(24) else { return ApiError::internal().into_response() };
    let cookie = Cookie::build((LOGIN_CSRF_COOKIE, csrf.clone()))
        .path("/login")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.cookies_secure(&remote));
    let page = LoginPage { csrf, next: safe_next(q.next.as_deref()), error: String::new(), username: String::new() };
    (jar.add(cookie), render(&page)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    remote: Remote,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let again = |jar: CookieJar, error: ApiError| {
        let csrf = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
        let status = error.status();
        let page = LoginPage { csrf, next: next.clone(), error: error.0.message, username: form.username.clone() };
        let mut resp = (status, jar, render(&page)).into_response();
        if let Some(v) = error.0.retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    };
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(&expected, &form.csrf) {
        return again(jar, ApiError::unauthenticated("The sign-in form expired. Please try again."));
    }
    let user = match check_password(&state, &form.username, &form.password, remote.addr).await {
        Ok(u) => u,
        Err(e) => return again(jar, e.into()),
    };
    let ttl = time::Duration::try_from(state.settings.session_ttl).unwrap_or(time::Duration::hours(12));
    let opened = match firebreak_app::service::open_session(&state, &user, ttl).await {
        Ok(o) => o,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let cookie = Cookie::build((SESSION_COOKIE, opened.token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.cookies_secure(&remote))
        .max_age(ttl);
    let jar = jar
        .remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/login"))
        .remove(Cookie::build(ORG_COOKIE).path("/"))
        .add(cookie);
    (jar, Redirect::to(&next)).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    WebCaller(caller): WebCaller,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&caller, &form.csrf) {
        return r;
    }
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        if let Err(e) = firebreak_app::service::end_session(&state, &caller, &token).await {
            return ApiError::from(e).into_response();
        }
    } else {
        state.live().revoked();
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/")).remove(Cookie::build(ORG_COOKIE).path("/"));
    (jar, Redirect::to("/login")).into_response()
}

#[derive(Deserialize)]
pub struct OrgForm {
    csrf: String,
    org: Uuid,
}

pub async fn switch_org(
    State(state): State<AppState>,
    remote: Remote,
    WebCaller(caller): WebCaller,
    jar: CookieJar,
    Form(form): Form<OrgForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&caller, &form.csrf) {
        return r;
    }
    if !caller.tenancy.may_act_in(form.org) {
        return ApiError::not_found("organisation").into_response();
    }
    let cookie = Cookie::build((ORG_COOKIE, form.org.to_string()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.cookies_secure(&remote));
    (jar.add(cookie), Redirect::to("/")).into_response()
}
