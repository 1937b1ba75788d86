//! The work on a case, by topic — tasks, templates, observables and their
//! sightings, the timeline, escalations — and the organisation's teams and
//! each user's notifications; gathered here for the API's work routes.

pub use crate::escalations::*;
pub use crate::notifications::*;
pub use crate::observables::*;
pub use crate::tasks::*;
pub use crate::teams::*;
pub use crate::templates::*;
pub use crate::timeline::*;
