//! Wire types of the Firebreak API.
//!
//! Everything a client needs to talk to a Firebreak server: request and
//! response bodies, the stable error codes, and their OpenAPI schemas. This
//! crate has no server code, so a client or an integration can depend on it
//! alone.

mod audit;
mod case;
mod error;
mod list;
mod org;
mod role;
mod user;

pub use audit::*;
pub use case::*;
pub use error::*;
pub use list::*;
pub use org::*;
pub use role::*;
pub use user::*;

/// The header with which a member of a provider organisation chooses the
/// customer organisation a request acts in.
pub const ORG_HEADER: &str = "x-firebreak-org";
