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

/// An instant as the reader reads it, in the workspace's time zone: "5 dic
/// 2026, 1:28 a. m." / "Dec 5, 2026, 1:28 AM".
pub fn fmt_when(ts: af_db::Ts, time_zone: &str, locale: af_core::Locale) -> String {
    use af_core::datetime;
    datetime::date_time(ts.0, &datetime::zone(time_zone), locale)
}

/// Like [`fmt_when`], but "hace 5 min" / "5 min ago" within a week of
/// `now`: for activity, where how long ago matters more than the date.
pub fn fmt_ago(ts: af_db::Ts, now: af_db::Ts, time_zone: &str, locale: af_core::Locale) -> String {
    use af_core::datetime;
    datetime::relative(ts.0, now.0, &datetime::zone(time_zone), locale)
}
