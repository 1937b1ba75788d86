//! The error answers every operation shares, added to the OpenAPI document
//! in one place so that no path forgets one and a new path has them at once.
//!
//! Any authenticated request can be refused before its handler runs: bad
//! credentials (401), a role or CSRF token that does not allow it (403), a
//! throttled Basic sign-in (429), an `x-firebreak-org` header that is not an
//! id (400) or names an organisation the caller cannot act in (404), or an
//! unreachable database (503). A request with a body can be too large (413),
//! and a JSON body can come with another Content-Type (415). Answers a
//! handler adds on its own (404 for its objects, 409 for a conflict or a
//! refused state change) are listed on its path.

use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the shared error answers to every operation of the document.
pub struct Refusals;

/// Every operation, before its handler runs.
const ANY_REQUEST: [(&str, &str); 6] = [
    ("400", "Bad input: the body, a parameter or a header; `code` says which kind and `field` names it"),
    ("401", "No credentials, or credentials that are wrong, expired or revoked"),
    ("403", "The role does not allow this, or a session's CSRF token is missing"),
    ("404", "No such object, in the path or named in the body, in the organisation the request acts in"),
    ("429", "Too many failed sign-ins; retry after the Retry-After header's seconds"),
    ("503", "The database cannot be reached; retry shortly"),
];

/// Changes to a case, or to what it holds.
const CLOSED_CASE: (&str, &str) =
    ("409", "The case is closed, cancelled or merged (`invalid_state`, field `state`): reopen it first");

/// What changes on a case that takes no other change: its move (a reopening),
/// the custody of its evidence, links between cases, the review's follow-up.
const STILL_OPEN: [&str; 6] =
    ["/transition", "/custody", "/verify", "/links", "/links/{target_id}", "/action-items/{item_id}"];

/// Operations that read a body.
const WITH_BODY: (&str, &str) = ("413", "The body is larger than the server's limit");

/// Operations that read a JSON body.
const WITH_JSON_BODY: (&str, &str) = ("415", "The body was not sent as Content-Type: application/json");

impl Modify for Refusals {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let of_a_case = path.starts_with("/api/v1/cases/{id}");
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for (i, operation) in operations.into_iter().enumerate() {
                let Some(operation) = operation else { continue };
                add_refusals(operation);
                // A change to a closed, cancelled or merged case (its move excepted).
                if of_a_case && i > 0 && !STILL_OPEN.iter().any(|end| path.ends_with(end)) {
                    operation
                        .responses
                        .responses
                        .entry(CLOSED_CASE.0.to_owned())
                        .or_insert_with(|| error(CLOSED_CASE.1));
                }
            }
        }
    }
}

fn add_refusals(operation: &mut Operation) {
    let mut answers = ANY_REQUEST.to_vec();
    if let Some(body) = &operation.request_body {
        answers.push(WITH_BODY);
        if body.content.contains_key("application/json") {
            answers.push(WITH_JSON_BODY);
        }
    }
    for (status, description) in answers {
        let entry = operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
        // A path that names the status without saying why gets the shared reason.
        if let RefOr::T(response) = entry
            && response.description.is_empty()
        {
            response.description = description.to_owned();
        }
    }
}

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
}
