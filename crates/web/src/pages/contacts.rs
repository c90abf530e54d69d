//! The contacts area's pages: the contact list (search, filters, saved
//! filters, bulk actions), the new-contact form, the contact page (inline
//! edits, tags, deals, notes, tasks, timeline), custom field definitions and
//! "my tasks". Routes are mounted in `crate::router` through [`routes`],
//! inside the session + CSRF layers.
//!
//! Every change goes through the `af_db` repository functions, so each
//! contact gets its own domain events; every query takes the signed-in
//! workspace, so another workspace's id is a 404.

mod fields;
mod form;
mod list;
mod memberships;
pub mod recalculation;
mod retention;
mod score;
mod scoring;
mod show;
mod tasks;

pub(crate) use fields::{kind_label, part_error};
pub(crate) use show::recent_timeline;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::contacts::ContactsTr;
use crate::state::AppState;
use af_db::DbError;
use af_db::workspaces::Member;
use axum::Router;
use axum::routing::{get, post};
use std::sync::OnceLock;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/contacts",
            get(list::list_contacts).post(form::create_contact),
        )
        .route("/contacts/new", get(form::new_contact_page))
        .route("/contacts/bulk", post(list::bulk_contacts))
        .route("/contacts/filters", post(list::save_filter))
        .route("/contacts/filters/{id}/delete", post(list::delete_filter))
        .route(
            "/contacts/fields",
            get(fields::list_fields).post(fields::create_field),
        )
        .route("/contacts/fields/{id}/delete", post(fields::delete_field))
        .route("/contacts/{id}", get(show::show_contact))
        .route(
            "/contacts/{id}/fields/{field}",
            get(show::show_field).post(show::update_field),
        )
        .route("/contacts/{id}/fields/{field}/edit", get(show::edit_field))
        .route("/contacts/{id}/tags", post(show::add_tag))
        .route("/contacts/{id}/tags/remove", post(show::remove_tag))
        .route("/contacts/{id}/notes", post(show::add_note))
        .route("/contacts/{id}/tasks", post(tasks::create_task))
        .route(
            "/contacts/{id}/memberships",
            post(memberships::add_membership),
        )
        .route(
            "/contacts/{id}/memberships/{mid}",
            post(memberships::change_membership),
        )
        .route("/contacts/scoring/recalculate", post(recalculation::start))
        .route(
            "/contacts/scoring/recalculations/{id}/progress",
            get(recalculation::progress),
        )
        .route("/contacts/{id}/activities", post(score::log_activity))
        .route("/contacts/scoring", get(scoring::rules_page))
        .route("/contacts/retention", get(retention::alerts_page))
        .route("/contacts/retention/check", post(retention::check_now))
        .route("/contacts/retention/alerts/{id}", post(retention::act))
        .route(
            "/contacts/retention/rules",
            get(retention::rules_page).post(retention::create_rule),
        )
        .route(
            "/contacts/retention/rules/{id}",
            get(retention::edit_rule_page).post(retention::update_rule),
        )
        .route(
            "/contacts/retention/rules/{id}/delete",
            post(retention::delete_rule),
        )
        .route(
            "/contacts/retention/settings",
            post(retention::save_settings),
        )
        .route("/contacts/scoring/panel", get(scoring::panel_page))
        .route("/contacts/scoring/rules", post(scoring::create_rule))
        .route(
            "/contacts/scoring/rules/{id}",
            get(scoring::edit_rule_page).post(scoring::update_rule),
        )
        .route(
            "/contacts/scoring/rules/{id}/delete",
            post(scoring::delete_rule),
        )
        .route("/contacts/scoring/limits", post(scoring::save_limits))
        .route(
            "/contacts/scoring/thresholds",
            post(scoring::create_threshold),
        )
        .route("/tasks", get(tasks::my_tasks))
        .route("/tasks/{id}/complete", post(tasks::complete_task))
}

/// The area's strings for the signed-in user.
fn ct(cu: &CurrentUser) -> &'static ContactsTr {
    ContactsTr::get(cu.locale())
}

/// Repository "not found" (an id of another workspace) becomes a 404; any
/// other database error stays internal.
fn db_err(e: DbError) -> AppError {
    match e {
        DbError::NotFound(_) => AppError::NotFound,
        e => e.into(),
    }
}

/// Sections are rendered to text and composed into pages and htmx answers.
use crate::extract::render_fragment as render;

/// The member's display name (their email when they set no name).
fn member_name(m: &Member) -> String {
    if m.name.trim().is_empty() {
        m.email.clone()
    } else {
        m.name.clone()
    }
}

fn member_name_by_id(members: &[Member], id: Option<uuid::Uuid>) -> Option<String> {
    let id = id?;
    members.iter().find(|m| m.user_id.0 == id).map(member_name)
}

/// The hashed URL of `assets/js/contacts.js`, computed the way
/// `crate::assets` names embedded files (first 5 bytes of the SHA-256).
/// (`AssetUrls` has no field for area scripts yet.)
fn contacts_js() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let data = include_bytes!("../../../../assets/js/contacts.js");
        let hash = hex::encode(&Sha256::digest(data)[..5]);
        format!("/assets/js/contacts.{hash}.js")
    })
}

/// Parses a date (`2026-03-31`) or date and time (`2026-03-31T10:00`) typed
/// in the workspace's time zone. A bare date means the end of that day.
fn parse_local(raw: &str, time_zone: &str, end_of_day: bool) -> Option<af_db::Ts> {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let raw = raw.trim();
    let dt = match raw.parse::<jiff::civil::DateTime>() {
        Ok(dt) if raw.contains('T') || raw.contains(' ') => dt,
        _ => {
            let d = raw.parse::<jiff::civil::Date>().ok()?;
            if end_of_day {
                d.at(23, 59, 0, 0)
            } else {
                d.at(0, 0, 0, 0)
            }
        }
    };
    dt.to_zoned(tz).ok().map(|z| af_db::Ts::new(z.timestamp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_dates_use_the_time_zone() {
        let t = parse_local("2026-03-07", "America/Mexico_City", false).expect("date");
        assert_eq!(t.to_string(), "2026-03-07T06:00:00Z");
        let t = parse_local("2026-03-07T10:30", "America/Mexico_City", true).expect("dt");
        assert_eq!(t.to_string(), "2026-03-07T16:30:00Z");
        assert!(parse_local("07/03/2026", "UTC", false).is_none());
    }
}
