//! The contacts area's pages. Routes are mounted in `crate::router` through
//! [`routes`], inside the session + CSRF layers.

use super::shell::{Area, not_built};
use crate::auth::CurrentUser;
use crate::state::AppState;
use axum::Router;
use axum::routing::get;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/contacts",
        get(|cu: CurrentUser| not_built(cu, Area::Contacts)),
    )
}
