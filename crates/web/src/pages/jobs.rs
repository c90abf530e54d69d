//! The jobs area's pages. Routes are mounted in `crate::router` through
//! [`routes`], inside the session + CSRF layers.

use crate::state::AppState;
use axum::Router;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
