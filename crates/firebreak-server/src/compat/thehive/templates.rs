//! Case templates, custom fields and observable types as TheHive's entities:
//! `/api/v1/caseTemplate`, `/api/v1/customField`, `/api/v1/observable/type`.
//!
//! Case templates are Firebreak's; custom fields are the definitions in the
//! organisation's case settings (which cases are checked against);
//! observable types are TheHive's data types, each with the Firebreak kind
//! it becomes ([`OBSERVABLE_TYPES`]): a fixed list, not the organisation's.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use firebreak_app::{case_settings, templates};
use firebreak_domain::permission::Action;
use firebreak_types::{CaseState, CaseTemplate, CreateTemplate, CustomFieldDef, CustomFieldKind, TemplateTask};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{HiveError, HiveResult};
use super::session::HiveCaller;
use super::shape;
use crate::state::AppState;

/// TheHive's data types and the Firebreak observable kinds they become
/// (several for the types whose value decides: a hash by its length).
pub const OBSERVABLE_TYPES: &[(&str, &str)] = &[
    ("autonomous-system", "other"),
    ("domain", "domain"),
    ("file", "an evidence file (an attachment)"),
    ("filename", "filename, or file_path when it names folders"),
    ("fqdn", "domain, or hostname without a dot"),
    ("hash", "md5, sha1 or sha256 by length, else other"),
    ("hostname", "hostname"),
    ("ip", "ip"),
    ("mail", "email"),
    ("mail_subject", "other"),
    ("other", "other"),
    ("registry", "registry_key"),
    ("uri_path", "other"),
    ("url", "url"),
    ("user-agent", "other"),
];

/// TheHive's custom field types and Firebreak's kinds, both ways: a string
/// with options is a choice; integers and floats are numbers (and answered
/// as `float`).
fn kind_of(hive_type: &str, has_options: bool) -> HiveResult<CustomFieldKind> {
    Ok(match hive_type {
        "string" if has_options => CustomFieldKind::Choice,
        "string" => CustomFieldKind::Text,
        "integer" | "float" => CustomFieldKind::Number,
        "boolean" => CustomFieldKind::Boolean,
        "date" => CustomFieldKind::Date,
        other => {
            return Err(attribute(format!("type: unknown type {other}; one of string, integer, float, boolean, date")));
        }
    })
}

fn type_of(kind: CustomFieldKind) -> &'static str {
    match kind {
        CustomFieldKind::Text | CustomFieldKind::Choice => "string",
        CustomFieldKind::Number => "float",
        CustomFieldKind::Boolean => "boolean",
        CustomFieldKind::Date => "date",
    }
}

fn attribute(message: String) -> HiveError {
    HiveError::new(StatusCode::BAD_REQUEST, "AttributeCheckingError", message)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/caseTemplate", get(list_templates_handler).post(create_template))
        .route("/api/v1/caseTemplate/{id}", get(get_template).patch(update_template).delete(delete_template))
        .route("/api/v1/customField", get(list_fields_handler).post(create_field))
        .route("/api/v1/customField/{id}", get(get_field).patch(update_field).delete(delete_field))
        .route("/api/v1/observable/type", get(list_types_handler).post(create_type))
        .route("/api/v1/observable/type/{id}", get(get_type).delete(delete_type))
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> HiveResult<T> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { &b"{}"[..] } else { &bytes[..] };
    serde_json::from_slice(bytes).map_err(|e| attribute(format!("invalid request body: {e}")))
}

// -- Case templates ---------------------------------------------------------

/// A case template in TheHive's shape.
pub fn case_template(t: &CaseTemplate) -> Value {
    // A template keeps no creation time: its id (a UUIDv7) holds it.
    let secs = t.id.get_timestamp().map_or(0, |ts| ts.to_unix().0);
    let created = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let mut m = shape::header("CaseTemplate", t.id, "", created, None);
    m.insert("name".into(), json!(t.name));
    m.insert("displayName".into(), json!(t.name));
    m.insert("titlePrefix".into(), json!(""));
    m.insert("description".into(), json!(t.description));
    m.insert("severity".into(), json!(t.severity.map(shape::severity_number)));
    m.insert("tags".into(), json!(t.tags));
    m.insert("flag".into(), json!(false));
    m.insert("category".into(), json!(t.category));
    let tasks: Vec<Value> = t
        .tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            json!({
                "title": task.title,
                "group": task.phase,
                "description": task.description,
                "order": i,
                "status": "Waiting",
                "flag": false,
            })
        })
        .collect();
    m.insert("tasks".into(), json!(tasks));
    m.insert("customFields".into(), json!([]));
    Value::Object(m)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputTask {
    title: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputCaseTemplate {
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    severity: Option<i64>,
    tags: Option<Vec<String>>,
    tasks: Option<Vec<InputTask>>,
    /// Firebreak's: the category of the cases the template makes.
    category: Option<String>,
}

/// The phase a task's group names (`containment`, …); analysis otherwise.
fn phase_of(group: Option<&str>) -> CaseState {
    group
        .and_then(|g| serde_json::from_value::<CaseState>(json!(g.trim().to_ascii_lowercase())).ok())
        .filter(|p| !matches!(p, CaseState::New | CaseState::Closed | CaseState::Cancelled | CaseState::Merged))
        .unwrap_or(CaseState::Analysis)
}

/// TheHive's template input over `base` (the template before, for a patch).
fn template_request(input: InputCaseTemplate, base: Option<&CaseTemplate>) -> HiveResult<CreateTemplate> {
    let name = input
        .name
        .or(input.display_name)
        .or_else(|| base.map(|b| b.name.clone()))
        .ok_or_else(|| attribute("name: a case template needs a name".into()))?;
    let severity = match input.severity {
        Some(n) => {
            Some(shape::severity_from_number(n).ok_or_else(|| attribute(format!("severity: {n} is not 1 to 4")))?)
        }
        None => base.and_then(|b| b.severity),
    };
    let tasks = match input.tasks {
        Some(tasks) => tasks
            .into_iter()
            .map(|t| TemplateTask {
                phase: phase_of(t.group.as_deref()),
                title: t.title,
                description: t.description,
                assignee_role: None,
                due_hours: None,
            })
            .collect(),
        None => base.map(|b| b.tasks.clone()).unwrap_or_default(),
    };
    Ok(CreateTemplate {
        name,
        category: input.category.or_else(|| base.map(|b| b.category.clone())).unwrap_or_else(|| "other".into()),
        description: input.description.or_else(|| base.map(|b| b.description.clone())).unwrap_or_default(),
        severity,
        tags: input.tags.or_else(|| base.map(|b| b.tags.clone())).unwrap_or_default(),
        tasks,
    })
}

/// `listCaseTemplate`: the organisation's case templates.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_case_templates(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    Ok(templates::list_templates(&state.app, caller).await?.iter().map(case_template).collect())
}

async fn find_template(state: &AppState, caller: &HiveCaller, id_or_name: &str) -> HiveResult<CaseTemplate> {
    let id = Uuid::parse_str(id_or_name).ok();
    templates::list_templates(&state.app, caller)
        .await?
        .into_iter()
        .find(|t| Some(t.id) == id || t.name.eq_ignore_ascii_case(id_or_name.trim()))
        .ok_or_else(|| HiveError::not_found(format!("case template {id_or_name} not found")))
}

async fn list_templates_handler(State(state): State<AppState>, caller: HiveCaller) -> HiveResult<Response> {
    Ok(axum::Json(list_case_templates(&state, &caller).await?).into_response())
}

async fn create_template(State(state): State<AppState>, caller: HiveCaller, bytes: Bytes) -> HiveResult<Response> {
    let req = template_request(body(&bytes)?, None)?;
    let t = templates::create_template(&state.app, &caller, req).await?;
    Ok((StatusCode::CREATED, axum::Json(case_template(&t))).into_response())
}

async fn get_template(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    Ok(axum::Json(case_template(&find_template(&state, &caller, &id).await?)).into_response())
}

async fn update_template(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let before = find_template(&state, &caller, &id).await?;
    let req = template_request(body(&bytes)?, Some(&before))?;
    templates::update_template(&state.app, &caller, before.id, req).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_template(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let t = find_template(&state, &caller, &id).await?;
    templates::delete_template(&state.app, &caller, t.id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// -- Custom fields ------------------------------------------------------------

/// A custom field definition in TheHive's shape; its name is its id.
pub fn custom_field(f: &CustomFieldDef) -> Value {
    json!({
        "_id": f.name,
        "_type": "CustomField",
        "_createdBy": "",
        "_createdAt": 0,
        "name": f.name,
        "reference": f.name,
        "displayName": if f.label.is_empty() { &f.name } else { &f.label },
        "description": f.label,
        "group": "",
        "type": type_of(f.kind),
        "options": f.options,
        "mandatory": f.required,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InputCustomField {
    name: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    options: Option<Vec<Value>>,
    mandatory: Option<bool>,
}

fn options(values: Vec<Value>) -> Vec<String> {
    values.into_iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
}

/// `listCustomField`: the organisation's custom fields.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_custom_fields(state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    let settings = case_settings::get_settings(&state.app, caller).await?;
    Ok(settings.custom_fields.iter().map(custom_field).collect())
}

async fn list_fields_handler(State(state): State<AppState>, caller: HiveCaller) -> HiveResult<Response> {
    Ok(axum::Json(list_custom_fields(&state, &caller).await?).into_response())
}

async fn create_field(State(state): State<AppState>, caller: HiveCaller, bytes: Bytes) -> HiveResult<Response> {
    let input: InputCustomField = body(&bytes)?;
    let mut settings = case_settings::get_settings(&state.app, &caller).await?;
    let name = input.name.ok_or_else(|| attribute("name: a custom field needs a name".into()))?;
    if settings.custom_fields.iter().any(|f| f.name == name) {
        return Err(HiveError::new(
            StatusCode::BAD_REQUEST,
            "CreateError",
            format!("name: the custom field {name} already exists"),
        ));
    }
    let opts = options(input.options.unwrap_or_default());
    let kind = kind_of(input.kind.as_deref().unwrap_or("string"), !opts.is_empty())?;
    let def = CustomFieldDef {
        name,
        label: input.display_name.or(input.description).unwrap_or_default(),
        kind,
        options: opts,
        required: input.mandatory.unwrap_or(false),
    };
    settings.custom_fields.push(def.clone());
    case_settings::set_settings(&state.app, &caller, settings).await?;
    Ok((StatusCode::CREATED, axum::Json(custom_field(&def))).into_response())
}

async fn get_field(State(state): State<AppState>, caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    let settings = case_settings::get_settings(&state.app, &caller).await?;
    let f = settings
        .custom_fields
        .iter()
        .find(|f| f.name == id)
        .ok_or_else(|| HiveError::not_found(format!("custom field {id} not found")))?;
    Ok(axum::Json(custom_field(f)).into_response())
}

async fn update_field(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
    bytes: Bytes,
) -> HiveResult<Response> {
    let input: InputCustomField = body(&bytes)?;
    let mut settings = case_settings::get_settings(&state.app, &caller).await?;
    let f = settings
        .custom_fields
        .iter_mut()
        .find(|f| f.name == id)
        .ok_or_else(|| HiveError::not_found(format!("custom field {id} not found")))?;
    if let Some(label) = input.display_name.or(input.description) {
        f.label = label;
    }
    if let Some(o) = input.options {
        f.options = options(o);
    }
    if let Some(t) = input.kind {
        f.kind = kind_of(&t, !f.options.is_empty())?;
    }
    if let Some(m) = input.mandatory {
        f.required = m;
    }
    if let Some(name) = input.name {
        f.name = name;
    }
    case_settings::set_settings(&state.app, &caller, settings).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_field(
    State(state): State<AppState>,
    caller: HiveCaller,
    Path(id): Path<String>,
) -> HiveResult<Response> {
    let mut settings = case_settings::get_settings(&state.app, &caller).await?;
    let before = settings.custom_fields.len();
    settings.custom_fields.retain(|f| f.name != id);
    if settings.custom_fields.len() == before {
        return Err(HiveError::not_found(format!("custom field {id} not found")));
    }
    case_settings::set_settings(&state.app, &caller, settings).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// -- Observable types -----------------------------------------------------------

fn observable_type(name: &str, kind: &str) -> Value {
    json!({
        "_id": name,
        "_type": "ObservableType",
        "_createdBy": "system",
        "_createdAt": 0,
        "name": name,
        "isAttachment": name == "file",
        "firebreakKind": kind,
    })
}

/// `listObservableType`: TheHive's data types, as Firebreak reads them.
#[allow(dead_code)] // called by the query API's dispatcher
pub async fn list_observable_types(_state: &AppState, caller: &HiveCaller) -> HiveResult<Vec<Value>> {
    caller.require(Action::CaseRead)?;
    Ok(OBSERVABLE_TYPES.iter().map(|(n, k)| observable_type(n, k)).collect())
}

async fn list_types_handler(State(state): State<AppState>, caller: HiveCaller) -> HiveResult<Response> {
    Ok(axum::Json(list_observable_types(&state, &caller).await?).into_response())
}

fn find_type(id: &str) -> HiveResult<Value> {
    OBSERVABLE_TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(id.trim()))
        .map(|(n, k)| observable_type(n, k))
        .ok_or_else(|| HiveError::not_found(format!("observable type {id} not found")))
}

async fn get_type(caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    caller.require(Action::CaseRead)?;
    Ok(axum::Json(find_type(&id)?).into_response())
}

#[derive(Deserialize)]
struct InputObservableType {
    name: String,
}

/// Firebreak's kinds are fixed: creating one of TheHive's types answers it;
/// any other name is refused.
async fn create_type(caller: HiveCaller, bytes: Bytes) -> HiveResult<Response> {
    caller.require(Action::OrgSettings)?;
    let input: InputObservableType = body(&bytes)?;
    let known = find_type(&input.name).map_err(|_| {
        attribute(format!(
            "name: Firebreak's observable types are fixed; {} is not one of TheHive's ({})",
            input.name,
            OBSERVABLE_TYPES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ))
    })?;
    Ok((StatusCode::CREATED, axum::Json(known)).into_response())
}

async fn delete_type(caller: HiveCaller, Path(id): Path<String>) -> HiveResult<Response> {
    caller.require(Action::OrgSettings)?;
    find_type(&id)?;
    Err(HiveError::bad_request(format!("{id} is one of Firebreak's fixed observable types and cannot be deleted")))
}
