//! The JSON API under `/api/v1/`. Handlers translate HTTP to the use cases
//! in [`firebreak_app::service`]; the OpenAPI document is generated from them.

mod admin;
pub(crate) mod alerts;
mod assets;
mod audit;
mod cases;
mod detect;
mod incident;
mod live;
mod metrics;
mod refusals;
mod required;
mod shares;
mod sorts;

pub use metrics::csv as csv_download;
mod work;

use axum::Router;
use axum::routing::{delete, get, patch, post};
use utoipa::openapi::security::{ApiKey as ApiKeyScheme, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use self::refusals::Refusals;
use self::required::RequiredParams;
use self::sorts::SortFields;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(admin::me))
        .route("/roles", get(admin::roles))
        .route("/orgs", get(admin::list_orgs).post(admin::create_org))
        .route("/orgs/{id}", get(admin::get_org).patch(admin::update_org))
        .route("/orgs/{id}/grants", get(admin::list_grants))
        .route("/orgs/{id}/grants/{customer_id}", axum::routing::put(admin::grant).delete(admin::revoke))
        .route("/users", get(admin::list_users).post(admin::create_user))
        .route("/users/{id}", get(admin::get_user).patch(admin::update_user).delete(admin::delete_user))
        .route("/users/{id}/password", axum::routing::put(admin::set_password))
        .route("/api-keys", get(admin::list_keys).post(admin::create_key))
        .route("/api-keys/{id}", get(admin::get_key).delete(admin::revoke_key))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::get).patch(cases::update))
        .route("/cases/{id}/transition", axum::routing::post(cases::transition))
        .route("/cases/{id}/history", get(cases::history))
        .route("/cases/{id}/links", get(cases::links).post(cases::link))
        .route("/cases/{id}/links/{target_id}", axum::routing::delete(cases::unlink))
        .route("/cases/{id}/shares", get(shares::list).post(shares::create))
        .route("/cases/{id}/shares/{share_id}", patch(shares::update).delete(shares::delete))
        .route("/shared-cases", get(shares::shared_with_us))
        .route("/share-partners", get(shares::partners))
        .route("/cases/{id}/waiting", post(work::waiting))
        .route("/cases/{id}/tasks", get(work::list_tasks).post(work::create_task))
        .route("/cases/{id}/tasks/{task_id}", patch(work::update_task))
        .route("/cases/{id}/tasks/{task_id}/log", get(work::task_log).post(work::add_task_log))
        .route("/cases/{id}/observables", get(work::list_observables).post(work::add_observable))
        .route("/cases/{id}/observables/{observable_id}", delete(work::delete_observable))
        .route("/sightings", get(work::sightings))
        .route(
            "/cases/{id}/evidence",
            get(work::list_evidence).post(work::upload_evidence).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/cases/{id}/evidence/{evidence_id}/content", get(work::download_evidence))
        .route("/cases/{id}/evidence/{evidence_id}/custody", get(work::custody).post(work::add_custody))
        .route("/cases/{id}/evidence/{evidence_id}/verify", post(work::verify_evidence))
        .route("/cases/{id}/evidence/{evidence_id}/hunt", post(detect::hunt_evidence))
        .route("/cases/{id}/hunts", get(detect::hunts))
        .route("/cases/{id}/timeline", get(work::timeline).post(work::add_timeline))
        .route("/cases/{id}/escalations", get(work::escalations).post(work::escalate))
        .route("/templates", get(work::list_templates).post(work::create_template))
        .route("/templates/{id}", get(work::get_template).delete(work::delete_template))
        .route("/teams", get(work::list_teams).post(work::create_team))
        .route("/teams/{id}", get(work::get_team))
        .route("/case-settings", get(work::get_case_settings).put(work::set_case_settings))
        .route("/sla-policy", get(work::get_sla_policy).put(work::set_sla_policy))
        .route("/webhooks", get(work::list_webhooks).post(work::create_webhook))
        .route("/webhooks/{id}", patch(work::update_webhook).delete(work::delete_webhook))
        .route("/webhooks/{id}/deliveries", get(work::deliveries))
        .route("/notifications", get(work::notifications))
        .route("/notifications/{id}/read", post(work::read_notification))
        .route("/cases/{id}/roles", get(incident::roles).post(incident::assign_role))
        .route("/cases/{id}/roles/{role_id}", delete(incident::remove_role))
        .route("/cases/{id}/communications", get(incident::communications).post(incident::log_communication))
        .route("/cases/{id}/update-draft", get(incident::update_draft))
        .route("/cases/{id}/requests", get(incident::requests).post(incident::create_request))
        .route("/cases/{id}/requests/{request_id}", patch(incident::set_request_status))
        .route("/requests", get(incident::backlog))
        .route("/cases/{id}/actions", get(incident::actions).post(incident::create_action))
        .route("/cases/{id}/actions/{action_id}", patch(incident::set_action_status))
        .route("/cases/{id}/review", get(incident::get_review).put(incident::put_review))
        .route("/cases/{id}/action-items", get(incident::action_items).post(incident::add_action_item))
        .route("/cases/{id}/action-items/{item_id}", patch(incident::set_action_item_status))
        .route("/action-items", get(incident::action_item_backlog))
        .route("/assets", get(assets::list).post(assets::create))
        .route("/assets/_import", post(assets::import))
        .route("/assets/_export", get(assets::export))
        .route("/assets/{id}", get(assets::get).put(assets::update).delete(assets::delete))
        .route("/assets/{id}/documents", get(assets::documents))
        .route("/documents", post(assets::upload_document).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/contacts", get(assets::contacts).post(assets::create_contact))
        .route("/contacts/{id}", get(assets::get_contact))
        .route("/cases/{id}/assets", get(assets::case_assets).post(assets::link_case_asset))
        .route("/cases/{id}/assets/{asset_id}", delete(assets::unlink_case_asset))
        .route("/alerts", get(alerts::list).post(alerts::create))
        .route("/alerts/_bulk", post(alerts::bulk))
        .route("/alerts/_close", post(alerts::bulk_close))
        .route("/alerts/_take", post(alerts::bulk_take))
        .route("/alerts/_assign", post(alerts::bulk_assign))
        .route("/alerts/_escalate", post(alerts::bulk_escalate))
        .route("/alerts/{id}", get(alerts::get))
        .route("/alerts/{id}/repeats", get(alerts::repeats))
        .route("/alerts/{id}/take", post(alerts::take))
        .route("/alerts/{id}/assets", get(alerts::assets))
        .route("/alerts/{id}/close", post(alerts::close))
        .route("/alerts/{id}/escalate", post(alerts::escalate))
        .route("/alerts/{id}/assign", post(alerts::assign))
        .route("/alerts/{id}/comments", get(alerts::comments).post(alerts::add_comment))
        .route("/alerts/{id}/observables", post(alerts::add_observables))
        .route("/alerts/{id}/attachments", get(alerts::attachments))
        .route("/alerts/{id}/attachments/{attachment_id}/download", get(alerts::download_attachment))
        .route("/intake/{format}", post(alerts::intake_format))
        .route("/alert-groups", get(alerts::groups))
        .route("/alert-groups/{id}", get(alerts::group))
        .route("/alert-groups/{id}/escalate", post(alerts::escalate_group))
        .route("/grouping-settings", get(alerts::get_grouping).put(alerts::set_grouping))
        .route("/rules", get(detect::list))
        .route("/rules/_import", post(detect::import))
        .route("/rules/_import/zip", post(detect::import_zip))
        .route("/rules/quality", get(detect::quality))
        .route("/rules/_test", post(detect::run_all_tests))
        .route("/rules/{id}/tests", get(detect::tests).post(detect::add_test))
        .route("/rules/{id}/tests/_run", post(detect::run_rule_tests))
        .route("/rules/{id}/exceptions", get(detect::exceptions).post(detect::add_exception))
        .route("/rules/{id}/exceptions/_preview", post(detect::preview_exception))
        .route("/rules/{id}/exceptions/{exception}", delete(detect::delete_exception))
        .route("/rules/{id}", get(detect::get).patch(detect::update))
        .route("/rules/{id}/revisions", get(detect::revisions))
        .route("/events/_bulk", post(detect::events))
        .route("/events/sightings", get(detect::event_sightings))
        .route("/event-settings", get(detect::get_event_settings).put(detect::set_event_settings))
        .route("/coverage", get(detect::coverage))
        .route("/threat-profiles", get(detect::profiles).post(detect::create_profile))
        .route("/threat-profiles/{id}", get(detect::get_profile).delete(detect::delete_profile))
        .route("/metrics", get(metrics::catalogue))
        .route("/metrics/{name}", get(metrics::get))
        .route("/audit", get(audit::list))
        .route("/audit/verify", get(audit::verify))
        .route("/live", get(live::stream))
        .route("/openapi.json", get(openapi_json))
}

async fn openapi_json() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(openapi())
}

/// The OpenAPI document of the API, generated from the handlers.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Firebreak API",
        description = "The REST API of Firebreak, a security incident response platform.\n\n\
            Authenticate with `Authorization: Bearer <API key>` (integrations), `Authorization: Basic` \
            (username and password), or the web session cookie (writes then need the `x-csrf-token` header). \
            Members of a provider organisation choose the customer organisation a request acts in with the \
            `x-firebreak-org` header.\n\n\
            Lists share one convention: `limit` (1–1000, default 50), `offset`, `sort` (a field, `-` for \
            descending), `q` (text search) and `total=true` for a count. Errors share one body: a stable \
            `code`, a `message` naming the field and what was expected, the `field`, and a `docs` link.",
        license(name = "MIT OR Apache-2.0")
    ),
    servers((url = "/")),
    modifiers(&Security, &MetricDefinitions, &Refusals, &SortFields, &RequiredParams),
    security(("bearer" = []), ("basic" = []), ("session" = [])),
    paths(
        admin::me, admin::roles,
        admin::list_orgs, admin::create_org, admin::get_org, admin::update_org,
        admin::list_grants, admin::grant, admin::revoke,
        admin::list_users, admin::create_user, admin::get_user, admin::update_user, admin::delete_user, admin::set_password,
        admin::list_keys, admin::create_key, admin::get_key, admin::revoke_key,
        cases::list, cases::create, cases::get, cases::update, cases::transition, cases::history,
        cases::links, cases::link, cases::unlink,
        shares::list, shares::create, shares::update, shares::delete, shares::shared_with_us, shares::partners,
        work::waiting, work::escalate, work::escalations, work::get_sla_policy, work::set_sla_policy, work::get_case_settings, work::set_case_settings,
        work::list_tasks, work::create_task, work::update_task, work::task_log, work::add_task_log,
        work::list_templates, work::create_template, work::get_template, work::delete_template,
        work::list_observables, work::add_observable, work::delete_observable, work::sightings,
        work::timeline, work::add_timeline,
        work::upload_evidence, work::list_evidence, work::download_evidence, work::custody, work::add_custody,
        work::verify_evidence,
        work::list_teams, work::create_team, work::get_team, work::notifications, work::read_notification,
        work::list_webhooks, work::create_webhook, work::update_webhook, work::delete_webhook, work::deliveries,
        incident::roles, incident::assign_role, incident::remove_role,
        incident::communications, incident::log_communication, incident::update_draft,
        incident::requests, incident::create_request, incident::set_request_status, incident::backlog,
        incident::actions, incident::create_action, incident::set_action_status,
        incident::get_review, incident::put_review,
        incident::action_items, incident::add_action_item, incident::set_action_item_status, incident::action_item_backlog,
        assets::list, assets::create, assets::get, assets::update, assets::delete, assets::import, assets::export,
        assets::documents, assets::upload_document, assets::contacts, assets::create_contact, assets::get_contact,
        assets::case_assets, assets::link_case_asset, assets::unlink_case_asset,
        alerts::create, alerts::bulk, alerts::list, alerts::get, alerts::repeats, alerts::take, alerts::close, alerts::assets, alerts::bulk_close, alerts::bulk_take, alerts::bulk_assign, alerts::bulk_escalate,
        alerts::escalate, alerts::assign, alerts::comments, alerts::add_comment, alerts::add_observables, alerts::attachments, alerts::download_attachment, alerts::intake_format,
        alerts::groups, alerts::group, alerts::escalate_group, alerts::get_grouping, alerts::set_grouping,
        detect::import, detect::import_zip, detect::list, detect::get, detect::update, detect::revisions, detect::events,
        detect::exceptions, detect::add_exception, detect::preview_exception, detect::delete_exception, detect::quality,
        detect::tests, detect::add_test, detect::run_rule_tests, detect::run_all_tests,
        detect::event_sightings, detect::get_event_settings, detect::set_event_settings,
        detect::hunt_evidence, detect::hunts,
        detect::coverage, detect::profiles, detect::create_profile, detect::get_profile, detect::delete_profile,
        metrics::catalogue, metrics::get,
        audit::list, audit::verify,
        live::stream,
    ),
    components(schemas(firebreak_types::ErrorBody, firebreak_types::ErrorCode)),
    tags(
        (name = "people", description = "Organisations, users, roles and API keys"),
        (name = "alerts", description = "Alert intake (native, bulk, and the ECS, OCSF, Wazuh and Suricata formats), deduplicated by source reference; triage; stories"),
        (name = "cases", description = "Cases (incidents) and their lifecycle"),
        (name = "detection", description = "Sigma rules as use cases (import, revisions, enable, lifecycle) and event matching into alerts"),
        (name = "tasks", description = "Tasks, task logs and case templates"),
        (name = "observables", description = "Observables on cases and their sightings"),
        (name = "timeline", description = "Case timelines, with MITRE ATT&CK tactics and techniques"),
        (name = "incident", description = "Incident management: roles, communications, requests, response actions, review"),
        (name = "assets", description = "The asset inventory, contacts and documents"),
        (name = "evidence", description = "Evidence files and their chain of custody"),
        (name = "webhooks", description = "Outgoing webhooks for case events, signed with HMAC-SHA256"),
        (name = "metrics", description = "Response-time, SLA, alert, rule, backlog and coverage metrics; each is the table behind a chart, in JSON or CSV. Their definitions follow."),
        (name = "audit", description = "The tamper-evident audit log"),
        (name = "live", description = "Live updates"),
    )
)]
pub struct ApiDoc;

struct Security;

/// Appends every metric's definition to the `metrics` tag: the same texts
/// as the docs page, from the domain's catalogue.
struct MetricDefinitions;

impl Modify for MetricDefinitions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(tag) = openapi.tags.iter_mut().flatten().find(|t| t.name == "metrics") else { return };
        let mut text = tag.description.clone().unwrap_or_default();
        for m in firebreak_domain::metrics::CATALOGUE {
            text.push_str(&format!("\n\n- `{}` ({}): {}", m.name, m.title, m.definition));
        }
        tag.description = Some(text);
    }
}

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API key")).build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKeyScheme::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}
