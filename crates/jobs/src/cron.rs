//! Cron expressions evaluated in an IANA time zone, so "09:00 every day" in
//! Mexico City is 09:00 there whatever the UTC offset that day.
//!
//! Five standard fields (minute hour day-of-month month day-of-week) and the
//! `@daily`-style nicknames; no seconds or years, since the scheduler's
//! granularity is the minute. Day-of-month and day-of-week combine with OR,
//! as in Vixie cron. A wall time that does not exist on a spring-forward day
//! (02:30 in a skipped hour) runs at the first instant after the gap; a wall
//! time that happens twice in the autumn runs once (croner's OCPS rules).

use crate::JobsError;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// Parses a five-field cron expression.
pub fn parse_cron(expr: &str) -> Result<Cron, JobsError> {
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expr)
        .map_err(|e| JobsError::InvalidCron {
            expr: expr.to_string(),
            reason: e.to_string(),
        })
}

/// Looks up an IANA time zone in jiff's bundled database.
pub fn parse_time_zone(name: &str) -> Result<TimeZone, JobsError> {
    TimeZone::get(name).map_err(|_| JobsError::UnknownTimeZone(name.to_string()))
}

/// The first instant strictly after `after` that matches `cron` in `tz`.
pub fn next_occurrence(cron: &Cron, tz: &TimeZone, after: Timestamp) -> Result<Zoned, JobsError> {
    let start = after.to_zoned(tz.clone());
    let next = cron
        .find_next_occurrence(&start, false)
        .map_err(|e| JobsError::InvalidCron {
            expr: cron.pattern.to_string(),
            reason: e.to_string(),
        })?;
    // croner steps from `after` truncated to the second; make "strictly
    // after" hold for sub-second `after` too.
    if next.timestamp() <= after {
        let again = cron
            .find_next_occurrence(&next, false)
            .map_err(|_| JobsError::NoNextRun {
                expr: cron.pattern.to_string(),
                after,
            })?;
        return Ok(again);
    }
    Ok(next)
}

/// [`next_occurrence`] from the stored text of a schedule.
pub fn next_run_after(
    expr: &str,
    time_zone: &str,
    after: Timestamp,
) -> Result<Timestamp, JobsError> {
    let cron = parse_cron(expr)?;
    let tz = parse_time_zone(time_zone)?;
    Ok(next_occurrence(&cron, &tz, after)?.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("valid timestamp")
    }

    #[test]
    fn daily_nine_stays_nine_local_across_spring_forward() {
        // New York springs forward on 2026-03-08.
        let next = next_run_after("0 9 * * *", "America/New_York", ts("2026-03-07T15:00:00Z"))
            .expect("next");
        assert_eq!(next, ts("2026-03-08T13:00:00Z"), "09:00 EDT");
        let before = next_run_after("0 9 * * *", "America/New_York", ts("2026-03-06T15:00:00Z"))
            .expect("next");
        assert_eq!(before, ts("2026-03-07T14:00:00Z"), "09:00 EST");
    }

    #[test]
    fn rejects_bad_expressions_and_zones() {
        assert!(matches!(
            parse_cron("61 * * * *"),
            Err(JobsError::InvalidCron { .. })
        ));
        assert!(
            matches!(
                parse_cron("0 0 9 * * *"),
                Err(JobsError::InvalidCron { .. })
            ),
            "no seconds field"
        );
        assert!(matches!(
            parse_time_zone("Mars/Olympus"),
            Err(JobsError::UnknownTimeZone(_))
        ));
        assert!(parse_cron("@daily").is_ok());
        assert!(parse_cron("*/15 8-18 * * MON-FRI").is_ok());
    }

    #[test]
    fn strictly_after_even_on_a_slot_with_fractional_seconds() {
        let on_slot = ts("2026-11-21T09:00:00Z");
        assert_eq!(
            next_run_after("0 9 * * *", "UTC", on_slot).expect("next"),
            ts("2026-11-22T09:00:00Z")
        );
        let just_after = ts("2026-11-21T09:00:00.5Z");
        assert_eq!(
            next_run_after("0 9 * * *", "UTC", just_after).expect("next"),
            ts("2026-11-22T09:00:00Z")
        );
        let just_before = ts("2026-11-21T08:59:59.5Z");
        assert_eq!(
            next_run_after("0 9 * * *", "UTC", just_before).expect("next"),
            on_slot
        );
    }
}
