//! The vocabulary of dashboards and reports: the period a reader picks,
//! cut into the workspace's local days, and the names of the reports.
//!
//! Days are always the workspace's days: a day is the span between two
//! local midnights, so a DST day in Santiago is 23 or 25 hours long and
//! counts what happened in it, not in a UTC day (Chatwoot's users complain
//! of server-time buckets).

use crate::retention::{local_today, start_of_day};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

crate::vocab::stored_enum! {
    /// The reports of Informes and `/api/v1/reports/{name}`.
    pub enum ReportName ("report") {
        /// New leads by day and source (or UTM source / medium / campaign,
        /// first or last touch).
        LeadsBySource = "leads_by_source",
        /// Deals per stage, conversion, time in stage, won and lost.
        Funnel = "funnel",
        /// Per workflow: enrolled, completed, by goal, failed; per step.
        Automations = "automations",
        /// Outbound messages by channel, provider and status.
        Messages = "messages",
        /// Appointments booked, cancelled, no-show by calendar and host.
        Bookings = "bookings",
    }
}

/// The longest period a report covers (a year and a day: leap years).
pub const MAX_DAYS: i64 = 366;

/// A run of local days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("dates are written YYYY-MM-DD")]
    BadDate,
    #[error("the period ends before it starts")]
    Reversed,
    #[error("a period covers at most {MAX_DAYS} days")]
    TooLong,
}

impl Period {
    /// The last `days` local days, today included.
    pub fn last(days: i64, today: Date) -> Period {
        let days = days.clamp(1, MAX_DAYS);
        Period {
            from: shift(today, 1 - days),
            to: today,
        }
    }

    /// The period a reader asked for: `preset` 7 / 30 / 90 (days up to
    /// today), or `custom` with `from` and `to`; 30 days when nothing is
    /// given.
    pub fn parse(
        preset: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: Date,
    ) -> Result<Period, PeriodError> {
        match (given(from), given(to)) {
            (None, None) => {
                let days = match given(preset) {
                    Some("7") => 7,
                    Some("90") => 90,
                    _ => 30,
                };
                Ok(Period::last(days, today))
            }
            (f, t) => {
                let parse = |s: &str| s.parse::<Date>().map_err(|_| PeriodError::BadDate);
                let to = t.map(parse).transpose()?.unwrap_or(today);
                let from = match f {
                    Some(s) => parse(s)?,
                    None => shift(to, -29),
                };
                let p = Period { from, to };
                if to < from {
                    return Err(PeriodError::Reversed);
                }
                if p.len() > MAX_DAYS {
                    return Err(PeriodError::TooLong);
                }
                Ok(p)
            }
        }
    }

    /// Number of days.
    pub fn len(&self) -> i64 {
        i64::from((self.to - self.from).get_days()) + 1
    }

    /// Never empty (kept for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The period of the same length that ends the day before this one
    /// starts: what "change against the previous period" compares with.
    pub fn previous(&self) -> Period {
        let to = shift(self.from, -1);
        Period {
            from: shift(to, 1 - self.len()),
            to,
        }
    }

    /// Each day, in order.
    pub fn days(&self) -> Vec<Date> {
        (0..self.len()).map(|i| shift(self.from, i)).collect()
    }

    /// The instants the days start at, plus the end of the last day:
    /// day `i` is `edges[i] .. edges[i + 1]`.
    pub fn edges(&self, tz: &TimeZone) -> Vec<Timestamp> {
        (0..=self.len())
            .map(|i| start_of_day(shift(self.from, i), tz))
            .collect()
    }

    /// Whether `custom` dates were needed to say this period (it is not
    /// one of the presets ending today).
    pub fn preset(&self, today: Date) -> Option<i64> {
        [7, 30, 90]
            .into_iter()
            .find(|&d| *self == Period::last(d, today))
    }
}

/// Today in the workspace's zone.
pub fn today(now: Timestamp, tz: &TimeZone) -> Date {
    local_today(now, tz)
}

fn given(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn shift(d: Date, days: i64) -> Date {
    d.checked_add(days.days()).unwrap_or(d)
}

/// Change against the previous period in whole percent; `None` when the
/// previous period had nothing (a change from zero has no percentage).
pub fn change_percent(now: i64, before: i64) -> Option<i64> {
    if before == 0 {
        return None;
    }
    let pct = ((now - before) as f64 / before as f64 * 100.0).round();
    Some(pct as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn presets_end_today_and_default_to_thirty_days() {
        let today = date(2026, 12, 7);
        let p = Period::parse(Some("7"), None, None, today).expect("valid");
        assert_eq!((p.from, p.to, p.len()), (date(2026, 12, 1), today, 7));
        assert_eq!(
            Period::parse(None, None, None, today).expect("valid").len(),
            30
        );
        assert_eq!(p.preset(today), Some(7));
        assert_eq!(
            p.previous(),
            Period {
                from: date(2026, 11, 24),
                to: date(2026, 11, 30)
            }
        );
    }

    #[test]
    fn custom_periods_are_checked() {
        let today = date(2026, 12, 7);
        let p = Period::parse(None, Some("2026-03-01"), Some("2026-03-31"), today).expect("valid");
        assert_eq!(p.len(), 31);
        assert_eq!(p.preset(today), None);
        assert_eq!(
            Period::parse(None, Some("2026-03-02"), Some("2026-03-01"), today),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::parse(None, Some("2024-01-01"), Some("2026-01-01"), today),
            Err(PeriodError::TooLong)
        );
        assert_eq!(
            Period::parse(None, Some("<script>"), None, today),
            Err(PeriodError::BadDate)
        );
    }

    #[test]
    fn a_dst_day_in_santiago_has_its_own_length() {
        // Chile moves clocks forward at 00:00 on 2026-09-06: that day has
        // 23 hours, and the day after starts 23 h after it.
        let tz = TimeZone::get("America/Santiago").expect("valid");
        let p = Period {
            from: date(2026, 9, 5),
            to: date(2026, 9, 7),
        };
        let e = p.edges(&tz);
        assert_eq!(e.len(), 4);
        let hours = |a: Timestamp, b: Timestamp| (b.as_second() - a.as_second()) / 3600;
        assert_eq!(hours(e[0], e[1]), 24);
        assert_eq!(hours(e[1], e[2]), 23);
        assert_eq!(hours(e[2], e[3]), 24);
    }

    #[test]
    fn change_is_a_percentage_of_the_previous_period() {
        assert_eq!(change_percent(15, 10), Some(50));
        assert_eq!(change_percent(5, 10), Some(-50));
        assert_eq!(change_percent(3, 0), None);
    }
}
