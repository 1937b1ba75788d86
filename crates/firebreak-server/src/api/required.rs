//! Query parameters that are required but whose schema is given by a
//! function (`#[param(schema_with = …)]`): utoipa then leaves them optional,
//! so they are marked here.

use utoipa::Modify;
use utoipa::openapi::{OpenApi, Required};

/// Marks the listed upload parameters required.
pub struct RequiredParams;

/// (path, parameters) of the uploads, which are POSTs.
const REQUIRED: &[(&str, &[&str])] =
    &[("/api/v1/cases/{id}/evidence", &["filename"]), ("/api/v1/documents", &["title", "filename"])];

impl Modify for RequiredParams {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, names) in REQUIRED {
            let Some(post) = openapi.paths.paths.get_mut(*path).and_then(|item| item.post.as_mut()) else { continue };
            for p in post.parameters.iter_mut().flatten().filter(|p| names.contains(&p.name.as_str())) {
                p.required = Required::True;
            }
        }
    }
}
