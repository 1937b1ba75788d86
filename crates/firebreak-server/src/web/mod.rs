//! Server-rendered web pages. Every page works without JavaScript; the small
//! script in `assets/app.js` adds live updates, the theme toggle and copying.
//! Pages call the same use cases as the API (`service`, `cases`), so the
//! permission checks and the audit trail are the same.

mod admin;
mod alertpages;
mod assetpages;
mod casepages;
mod dashpages;
mod detectpages;
mod markdown;
mod pages;
mod session;
mod statics;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// What a page may load and run: script, style and images from Firebreak
/// itself only, so no inline script or handler, no `eval`, no plugin; no
/// `<base>` to redirect relative links, forms post only here, and no other
/// site may frame a page (clickjacking). Pages carry no inline style either
/// (the SVG charts use presentation attributes and classes), so `style-src`
/// needs no `'unsafe-inline'`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/org", post(session::switch_org))
        .route("/alerts", get(alertpages::queue))
        .route("/alerts/{id}", get(alertpages::alert_page))
        .route("/stories", get(alertpages::stories))
        .route("/stories/{id}", get(alertpages::story))
        .route("/cases", get(pages::cases))
        .route("/cases/board", get(casepages::board))
        .route("/cases/new", get(casepages::new_case))
        .route("/cases/{id}", get(casepages::case_page))
        .route("/assets", get(casepages::inventory))
        .route("/inventory/{id}", get(assetpages::asset))
        .route("/sightings", get(assetpages::sightings))
        .route("/notifications", get(casepages::notifications))
        .route("/teams", get(casepages::teams))
        .route("/backlog", get(casepages::backlog))
        .route("/detection", get(detectpages::rules))
        .route("/detection/rules/{id}", get(detectpages::rule))
        .route("/detection/coverage", get(detectpages::coverage))
        .route("/dashboards", get(dashpages::index))
        .route("/dashboards/{slug}", get(dashpages::dashboard))
        .route("/reports", get(dashpages::reports))
        .route("/reports/view", get(dashpages::report_view))
        .route("/audit", get(admin::audit))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/users/{id}", post(admin::change_user))
        .route("/admin/api-keys", get(admin::keys).post(admin::create_key))
        .route("/admin/api-keys/{id}/revoke", post(admin::revoke_key))
        .route("/admin/orgs", get(admin::orgs).post(admin::create_org))
        .route("/admin/orgs/{id}/access", post(admin::change_access))
        .route("/admin/roles", get(admin::roles))
        .route("/admin/settings", get(admin::settings))
        .route("/assets/{file}", get(statics::serve))
        .route("/favicon.ico", get(statics::favicon))
}
