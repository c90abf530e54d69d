//! Delays: a duration, optionally snapped to a local time of day or to
//! business hours, computed DST-correctly in the workspace's zone.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

/// A delay, optionally snapped to a local time of day or to business hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    #[serde(default)]
    pub minutes: i64,
    #[serde(default)]
    pub hours: i64,
    /// Calendar days in the chosen time zone (same local time, even across
    /// a DST change).
    #[serde(default)]
    pub days: i64,
    /// `"09:00"`: after the delay, continue at the next 09:00 local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_time: Option<String>,
    /// Whose local time: the contact's (falls back to the workspace's) or
    /// the workspace's.
    #[serde(default)]
    pub time_zone: WaitZone,
    /// Move the end of the wait into the workspace's business hours.
    #[serde(default)]
    pub business_hours: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitZone {
    #[default]
    Contact,
    Workspace,
}

/// Open hours: the same window on the listed weekdays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub open: Time,
    pub close: Time,
    pub days: Vec<Weekday>,
}

impl Default for BusinessHours {
    /// Monday to Friday, 09:00–18:00.
    fn default() -> Self {
        Self {
            open: Time::constant(9, 0, 0, 0),
            close: Time::constant(18, 0, 0, 0),
            days: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
        }
    }
}

impl Wait {
    /// The total fixed part as a duration (for display and validation).
    pub fn is_empty(&self) -> bool {
        self.minutes == 0
            && self.hours == 0
            && self.days == 0
            && self.until_time.is_none()
            && !self.business_hours
    }

    /// When a wait that starts at `now` ends, in `tz`.
    pub fn ends_at(
        &self,
        now: Timestamp,
        tz: &TimeZone,
        hours: &BusinessHours,
    ) -> Result<Timestamp, String> {
        let start = now.to_zoned(tz.clone());
        let mut at: Zoned = start
            .checked_add(self.days.days())
            .map_err(|e| format!("wait too long: {e}"))?;
        let fixed = SignedDuration::from_mins(self.minutes)
            .checked_add(SignedDuration::from_hours(self.hours))
            .ok_or("wait too long")?;
        at = at
            .checked_add(fixed)
            .map_err(|e| format!("wait too long: {e}"))?;
        if let Some(t) = &self.until_time {
            let time = parse_time(t)?;
            at = next_local_time(&at, time)?;
        }
        if self.business_hours {
            at = into_business_hours(&at, hours)?;
        }
        Ok(at.timestamp())
    }
}

/// `"09:00"` or `"9:30"` as a time of day.
pub fn parse_time(s: &str) -> Result<Time, String> {
    let bad = || format!("\"{s}\" is not a time like 09:00");
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// The first instant at or after `at` whose local time is `time`. When
/// `time` does not exist that day (a DST gap), the first instant after the
/// gap; when it happens twice (a fold), the earlier one.
fn next_local_time(at: &Zoned, time: Time) -> Result<Zoned, String> {
    let tz = at.time_zone().clone();
    let mut day = at.date();
    for _ in 0..3 {
        let candidate = day
            .to_datetime(time)
            .to_zoned(tz.clone())
            .map_err(|e| e.to_string())?;
        if candidate.timestamp() >= at.timestamp() {
            return Ok(candidate);
        }
        day = day.tomorrow().map_err(|e| e.to_string())?;
    }
    Err("no such local time".into())
}

/// `at` when it falls inside business hours, else the next opening.
fn into_business_hours(at: &Zoned, hours: &BusinessHours) -> Result<Zoned, String> {
    if hours.days.is_empty() || hours.open >= hours.close {
        return Ok(at.clone());
    }
    let tz = at.time_zone().clone();
    let mut day = at.date();
    for _ in 0..8 {
        if hours.days.contains(&day.weekday()) {
            let open = day
                .to_datetime(hours.open)
                .to_zoned(tz.clone())
                .map_err(|e| e.to_string())?;
            let close = day
                .to_datetime(hours.close)
                .to_zoned(tz.clone())
                .map_err(|e| e.to_string())?;
            if at.timestamp() < open.timestamp() {
                return Ok(open);
            }
            if at.timestamp() < close.timestamp() {
                return Ok(at.clone());
            }
        }
        day = day.tomorrow().map_err(|e| e.to_string())?;
    }
    Ok(at.clone())
}
