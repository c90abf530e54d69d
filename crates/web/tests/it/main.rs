//! The web crate's integration tests, one module per area, in one test
//! binary: linking the whole application once instead of once per file is
//! most of what building these tests costs. Run one area with
//! `cargo test -p af-web --test it board::`.

mod access;
mod api_calendars;
mod api_crm;
mod api_events;
mod api_limits;
mod api_memberships;
mod api_scoring;
mod audit_log;
mod auth;
mod automations_api;
mod automations_ui;
mod board;
mod booking_notices;
mod booking_pages;
mod busy_feeds;
mod calendars_ui;
mod channels_web;
mod contacts_ui;
mod conversations;
mod email_events;
mod form_submissions;
mod fuzz;
mod imports;
mod intake;
mod jobs_page;
mod malformed_ids;
mod notifications;
mod one_language;
mod openapi;
mod ops;
mod outbound_webhooks;
mod reports;
mod retention;
mod scoring_ui;
mod source_routes;
mod twilio_paths;
mod webhooks_ui;
