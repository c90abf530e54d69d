//! Dates and times as people read them, in the workspace's time zone and
//! the reader's language: "5 dic 2026, 1:28 a. m." / "Dec 5, 2026, 1:28
//! AM", and relative ("hace 5 min" / "5 min ago") where a recent moment
//! reads better that way. One definition for every page, export preview and
//! message, so a date never shows as `2026-12-05 01:28`.

use crate::Locale;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

const MONTHS_ES: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];
const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The zone named `name`, or UTC when the name is unknown (a stored zone
/// is validated on save; this only keeps a page from failing).
pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

fn month(z: &Zoned, locale: Locale) -> &'static str {
    let i = usize::try_from(z.month() - 1).unwrap_or(0).min(11);
    match locale {
        Locale::Es => MONTHS_ES[i],
        Locale::En => MONTHS_EN[i],
    }
}

/// "5 dic 2026" / "Dec 5, 2026".
pub fn date(at: Timestamp, tz: &TimeZone, locale: Locale) -> String {
    let z = at.to_zoned(tz.clone());
    match locale {
        Locale::Es => format!("{} {} {}", z.day(), month(&z, locale), z.year()),
        Locale::En => format!("{} {}, {}", month(&z, locale), z.day(), z.year()),
    }
}

/// "1:28 a. m." / "1:28 AM" (12-hour clock, as both audiences write it).
pub fn time(at: Timestamp, tz: &TimeZone, locale: Locale) -> String {
    let z = at.to_zoned(tz.clone());
    let (h, pm) = match z.hour() {
        0 => (12, false),
        h @ 1..=11 => (h, false),
        12 => (12, true),
        h => (h - 12, true),
    };
    let suffix = match (locale, pm) {
        (Locale::Es, false) => "a. m.",
        (Locale::Es, true) => "p. m.",
        (Locale::En, false) => "AM",
        (Locale::En, true) => "PM",
    };
    format!("{h}:{:02} {suffix}", z.minute())
}

/// "5 dic 2026, 1:28 a. m." / "Dec 5, 2026, 1:28 AM".
pub fn date_time(at: Timestamp, tz: &TimeZone, locale: Locale) -> String {
    format!("{}, {}", date(at, tz, locale), time(at, tz, locale))
}

/// How long ago (or until) `at` is from `now`, for moments within a week:
/// "hace un momento", "hace 5 min", "hace 3 h", "hace 2 días" / "just
/// now", "5 min ago", "3 h ago", "2 days ago" (and "en 5 min" / "in 5
/// min" ahead). Further away, the date and time.
pub fn relative(at: Timestamp, now: Timestamp, tz: &TimeZone, locale: Locale) -> String {
    let secs = now.as_second() - at.as_second();
    let ahead = secs < 0;
    let abs = secs.unsigned_abs();
    let (n, unit) = match abs {
        0..60 => {
            return match locale {
                Locale::Es => "hace un momento".into(),
                Locale::En => "just now".into(),
            };
        }
        60..3_600 => (abs / 60, Unit::Minute),
        3_600..86_400 => (abs / 3_600, Unit::Hour),
        86_400..604_800 => (abs / 86_400, Unit::Day),
        _ => return date_time(at, tz, locale),
    };
    let unit = unit.name(n, locale);
    match (locale, ahead) {
        (Locale::Es, false) => format!("hace {n} {unit}"),
        (Locale::Es, true) => format!("en {n} {unit}"),
        (Locale::En, false) => format!("{n} {unit} ago"),
        (Locale::En, true) => format!("in {n} {unit}"),
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Minute,
    Hour,
    Day,
}

impl Unit {
    fn name(self, n: u64, locale: Locale) -> &'static str {
        match (self, locale, n == 1) {
            (Unit::Minute, _, _) => "min",
            (Unit::Hour, _, _) => "h",
            (Unit::Day, Locale::Es, true) => "día",
            (Unit::Day, Locale::Es, false) => "días",
            (Unit::Day, Locale::En, true) => "day",
            (Unit::Day, Locale::En, false) => "days",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn dates_read_in_the_zone_and_language() {
        let mx = zone("America/Mexico_City");
        // 07:28 UTC is 01:28 in Mexico City (UTC-6).
        let at = ts("2026-12-05T07:28:00Z");
        assert_eq!(date_time(at, &mx, Locale::Es), "5 dic 2026, 1:28 a. m.");
        assert_eq!(date_time(at, &mx, Locale::En), "Dec 5, 2026, 1:28 AM");
        let noon = ts("2026-09-01T18:05:00Z");
        assert_eq!(date_time(noon, &mx, Locale::Es), "1 sept 2026, 12:05 p. m.");
        assert_eq!(
            time(ts("2026-09-01T06:00:00Z"), &mx, Locale::En),
            "12:00 AM"
        );
        assert_eq!(time(ts("2026-09-01T20:30:00Z"), &mx, Locale::En), "2:30 PM");
    }

    #[test]
    fn the_day_is_the_zones_day() {
        // 03:00 UTC on the 6th is still the 5th in Santiago (UTC-3 in December).
        let at = ts("2026-12-06T02:00:00Z");
        assert_eq!(
            date(at, &zone("America/Santiago"), Locale::Es),
            "5 dic 2026"
        );
        assert_eq!(date(at, &zone("UTC"), Locale::Es), "6 dic 2026");
        assert_eq!(date(at, &zone("Not/AZone"), Locale::En), "Dec 6, 2026");
    }

    #[test]
    fn recent_moments_read_relative() {
        let now = ts("2026-12-05T12:00:00Z");
        let utc = zone("UTC");
        let r = |s: &str, l| relative(ts(s), now, &utc, l);
        assert_eq!(r("2026-12-05T11:59:30Z", Locale::Es), "hace un momento");
        assert_eq!(r("2026-12-05T11:55:00Z", Locale::Es), "hace 5 min");
        assert_eq!(r("2026-12-05T11:55:00Z", Locale::En), "5 min ago");
        assert_eq!(r("2026-12-05T09:00:00Z", Locale::Es), "hace 3 h");
        assert_eq!(r("2026-12-04T12:00:00Z", Locale::Es), "hace 1 día");
        assert_eq!(r("2026-12-02T12:00:00Z", Locale::En), "3 days ago");
        assert_eq!(r("2026-12-05T12:10:00Z", Locale::Es), "en 10 min");
        assert_eq!(r("2026-12-05T14:00:00Z", Locale::En), "in 2 h");
        assert_eq!(
            r("2026-11-01T12:00:00Z", Locale::En),
            "Nov 1, 2026, 12:00 PM"
        );
    }
}
