//! Booking calendars: the rules of a calendar as people set them (weekly
//! windows on the wall clock of the calendar's zone, date overrides,
//! buffers, notice, horizon, caps) and the pure slot engine over them.

pub mod busy;
pub mod ics;
pub mod links;
pub mod round_robin;
pub mod slots;

pub use slots::{HostTimes, Interval, Slot, slots};

use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;

/// The cell of the no-double-booking claims: five minutes, counted from
/// the Unix epoch, the same for every calendar and zone (every offset in
/// use is a multiple of five minutes), so bookings of one host through
/// calendars with different grids still meet on the same cells.
pub const CLAIM_CELL_SECONDS: i64 = 300;

/// The claim cells `[first, last]` that a held interval `[from, until)`
/// touches; `None` for an empty interval.
pub fn claim_cells(from: jiff::Timestamp, until: jiff::Timestamp) -> Option<(i64, i64)> {
    if from >= until {
        return None;
    }
    let first = from.as_second().div_euclid(CLAIM_CELL_SECONDS);
    // The last cell holding an instant before `until`.
    let end = until.as_second() + i64::from(until.subsec_nanosecond() > 0);
    let last = (end - 1).div_euclid(CLAIM_CELL_SECONDS);
    Some((first, last))
}

/// Minutes in a day: a window may end at 24:00.
const DAY_MINUTES: u32 = 24 * 60;

/// A window of wall-clock time within one day, `[start, end)` in minutes
/// after midnight; `end` may be 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    start: u16,
    end: u16,
}

/// Why a window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("a time is written HH:MM, from 00:00 to 24:00")]
    BadTime,
    #[error("a window ends after it starts")]
    Empty,
}

impl Window {
    /// A window from `start` to `end` minutes after midnight.
    pub fn new(start: u32, end: u32) -> Result<Window, WindowError> {
        if end > DAY_MINUTES || start > DAY_MINUTES {
            return Err(WindowError::BadTime);
        }
        if start >= end {
            return Err(WindowError::Empty);
        }
        Ok(Window {
            start: u16::try_from(start).map_err(|_| WindowError::BadTime)?,
            end: u16::try_from(end).map_err(|_| WindowError::BadTime)?,
        })
    }

    /// A window from two `HH:MM` times (`24:00` allowed as an end).
    pub fn parse(start: &str, end: &str) -> Result<Window, WindowError> {
        Window::new(parse_hhmm(start)?, parse_hhmm(end)?)
    }

    pub fn start_minute(&self) -> u32 {
        u32::from(self.start)
    }

    pub fn end_minute(&self) -> u32 {
        u32::from(self.end)
    }

    /// `HH:MM` of the start.
    pub fn start_text(&self) -> String {
        hhmm(self.start_minute())
    }

    /// `HH:MM` of the end (`24:00` for the end of the day).
    pub fn end_text(&self) -> String {
        hhmm(self.end_minute())
    }

    /// Candidate start minutes on the grid anchored at the window's start.
    /// Whether a slot fits is decided in real time by the engine: on a
    /// fall-back day the clock repeats an hour, so a window holds more
    /// real time than its wall-clock length.
    fn starts(&self, step: SignedDuration) -> impl Iterator<Item = u32> {
        let step = usize::try_from(step.as_mins().max(1)).unwrap_or(usize::MAX);
        (self.start_minute()..self.end_minute()).step_by(step)
    }
}

fn parse_hhmm(text: &str) -> Result<u32, WindowError> {
    let (h, m) = text.trim().split_once(':').ok_or(WindowError::BadTime)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(WindowError::BadTime);
    }
    let h: u32 = h.parse().map_err(|_| WindowError::BadTime)?;
    let m: u32 = m.parse().map_err(|_| WindowError::BadTime)?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(WindowError::BadTime);
    }
    Ok(h * 60 + m)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A calendar's booking rules, as the slot engine reads them.
#[derive(Debug, Clone)]
pub struct BookingRules {
    /// The calendar's zone: windows, grid, days and caps are read on its
    /// wall clock.
    pub time_zone: TimeZone,
    /// How long an appointment lasts.
    pub duration: SignedDuration,
    /// Distance between offered starts (zero = the duration).
    pub interval: SignedDuration,
    /// Windows per weekday, Monday first; several per day allowed.
    pub weekly: [Vec<Window>; 7],
    /// Dates with other hours; an empty list is a day off.
    pub overrides: BTreeMap<Date, Vec<Window>>,
    pub buffer_before: SignedDuration,
    pub buffer_after: SignedDuration,
    /// No slot starts sooner than this after now.
    pub min_notice: SignedDuration,
    /// Slots are offered on this many local days counted from today.
    pub horizon_days: u32,
    /// At most this many live bookings of the calendar per local day.
    pub daily_cap: Option<u32>,
}

impl BookingRules {
    /// The windows that apply on `day`: its override, else its weekday's.
    pub fn windows_on(&self, day: Date) -> &[Window] {
        match self.overrides.get(&day) {
            Some(windows) => windows,
            None => &self.weekly[slots::weekday_index(day)],
        }
    }
}

#[cfg(test)]
mod tests;
