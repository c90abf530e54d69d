//! HTML pages, one module per area. Handlers are short: extract, authorize,
//! call the database, render.

pub mod automations;
pub mod board;
pub mod channels;
pub mod contacts;
pub mod forms;
pub mod imports;
pub mod jobs;
pub mod messages;
pub mod public;
pub mod search;
pub mod settings;
pub mod shell;
pub mod unsubscribe;
pub mod webhooks;
pub mod workspaces;

/// Formats an instant in a workspace's time zone for display.
pub fn fmt_time(ts: af_db::Ts, time_zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    ts.0.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string()
}
