//! Wire types of the Firebreak API.
//!
//! Everything a client needs to talk to a Firebreak server: request and
//! response bodies, the stable error codes, and their OpenAPI schemas. This
//! crate has no server code, so a client or an integration can depend on it
//! alone.

mod alert;
mod audit;
mod case;
pub mod csv;
mod detect;
mod error;
mod incident;
mod list;
mod metrics;
mod org;
pub mod query;
mod role;
mod share;
pub mod text;
mod user;
mod work;

pub use alert::*;
pub use audit::*;
pub use case::*;
pub use detect::*;
pub use error::*;
pub use incident::*;
pub use list::*;
pub use metrics::*;
pub use org::*;
pub use role::*;
pub use share::*;
pub use user::*;
pub use work::*;

pub(crate) use case::double_option;

/// As `double_option`, for times in RFC 3339.
pub(crate) mod double_option_time {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "time::serde::rfc3339::option")] Option<OffsetDateTime>);
        W::deserialize(d).map(|w| Some(w.0))
    }

    pub fn serialize<S: Serializer>(v: &Option<Option<OffsetDateTime>>, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::option::serialize(&v.flatten(), s)
    }
}

/// The header with which a member of a provider organisation chooses the
/// customer organisation a request acts in.
pub const ORG_HEADER: &str = "x-firebreak-org";
