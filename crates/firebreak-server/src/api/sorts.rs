//! The `sort` values each list accepts, written into the OpenAPI document:
//! lists share one parameter type, but each sorts by its own fields.

use utoipa::Modify;
use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// Sets each list's `sort` parameter to the fields its store sorts by.
pub struct SortFields;

/// The fields by path, as the store's queries name them (first: the default).
const SORTABLE: &[(&str, &[&str])] = &[
    ("/api/v1/orgs", &["name", "created_at", "kind"]),
    ("/api/v1/users", &["username", "display_name", "role", "created_at", "last_login_at"]),
    ("/api/v1/api-keys", &["created_at", "name", "last_used_at", "expires_at"]),
    ("/api/v1/cases", &["number", "created_at", "updated_at", "priority", "severity", "title"]),
    ("/api/v1/alerts", &["last_seen", "first_seen", "severity", "triage_rank", "title", "event_time"]),
];

impl Modify for SortFields {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, fields) in SORTABLE {
            let Some(get) = openapi.paths.paths.get_mut(*path).and_then(|item| item.get.as_mut()) else { continue };
            let parameters = get.parameters.iter_mut().flatten();
            for p in parameters.filter(|p| p.name == "sort" && p.parameter_in == ParameterIn::Query) {
                let values = fields.iter().flat_map(|f| [(*f).to_owned(), format!("-{f}")]);
                let schema = ObjectBuilder::new().schema_type(SchemaType::new(Type::String)).enum_values(Some(values));
                p.schema = Some(RefOr::T(schema.into()));
            }
        }
    }
}
