//! Server-rendered web pages. (Filled in by the web-shell work.)

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
