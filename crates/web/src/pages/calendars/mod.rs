//! The calendars area as the team sees it (signed in, CSRF-checked):
//!
//! - [`edit`]: the workspace's calendars with their public links, and the
//!   editor of a calendar's whole definition (hours, date overrides, rules,
//!   hosts with their own settings, questions). Saves go through
//!   `af_service::calendars::save_calendar`, the API's path; admins and
//!   owners edit, members read.
//! - [`agenda`]: a week or day of the workspace's appointments (native and
//!   Cal.com) per host, and the status actions (confirm, attended, no-show,
//!   cancel) shared with the contact page.
//!
//! The public booking pages (`/book/...`) live elsewhere.

pub(crate) mod agenda;
mod edit;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(edit::list_page))
        .route("/calendars/new", get(edit::new_page).post(edit::create))
        .route("/calendars/agenda", get(agenda::agenda_page))
        .route(
            "/calendars/appointments/{id}/status",
            post(agenda::set_status),
        )
        .route("/calendars/{id}", get(edit::edit_page).post(edit::update))
        .route("/calendars/{id}/delete", post(edit::delete))
}
