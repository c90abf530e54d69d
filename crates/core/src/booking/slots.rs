//! The slot engine: a calendar's rules, its hosts' busy times and the clock
//! in, bookable slots out. Pure — no I/O — so every rule is tested here and
//! the request path only reads the busy intervals (one query) and calls it.
//!
//! Everything that people read as wall-clock time is computed in the
//! calendar's zone, one local day at a time: the weekly windows, the date
//! overrides, the slot grid and the daily caps. Only then is a start turned
//! into an instant, so transition days behave as a person expects:
//!
//! - a start time that does not exist that day (the skipped hour of a
//!   spring-forward, Santiago's missing midnight) is not offered;
//! - a start time that happens twice (the repeated hour of a fall-back) is
//!   offered once, at its first occurrence;
//! - a 13:00–18:00 window is 13:00–18:00 on the clock of the day, whatever
//!   the offset was the day before (Cal.com's issue 30021).
//!
//! A slot lasts `duration` of real time. Its buffered interval —
//! `[start − buffer_before, end + buffer_after)` — must not overlap a busy
//! interval. Busy intervals are the host's other commitments as the
//! database's claims cover them (a booking's own buffers included) and
//! external calendar events as they are.

use super::{BookingRules, Window};
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// A half-open interval of real time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Interval {
    pub fn new(start: Timestamp, end: Timestamp) -> Interval {
        Interval { start, end }
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// One host as the engine sees it.
#[derive(Debug, Clone, Default)]
pub struct HostTimes {
    /// The host's own weekly hours (Monday first), in the calendar's zone;
    /// `None` = the calendar's availability alone.
    pub weekly: Option<[Vec<Window>; 7]>,
    /// Busy intervals, in any order.
    pub busy: Vec<Interval>,
    /// Starts of the host's bookings that count towards the per-host daily
    /// cap (this calendar's or all: the caller decides).
    pub booked: Vec<Timestamp>,
    /// At most this many bookings per local day for this host.
    pub daily_cap: Option<u32>,
}

/// A bookable slot and which hosts (indexes into the `hosts` given) are
/// free for it, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    pub end: Timestamp,
    pub free_hosts: Vec<usize>,
}

/// Slots whose start falls on a local date in `from..=to` (the calendar's
/// zone), after `now + min_notice` and before the horizon (midnight ending
/// the `horizon_days`-th local day counted from today), with at least one
/// free host. `calendar_booked` are the starts of this calendar's live
/// bookings, for the calendar's daily cap.
pub fn slots(
    rules: &BookingRules,
    hosts: &[HostTimes],
    calendar_booked: &[Timestamp],
    now: Timestamp,
    from: Date,
    to: Date,
) -> Vec<Slot> {
    let zone = &rules.time_zone;
    let earliest = now.saturating_add(rules.min_notice).unwrap_or(now);
    let horizon = horizon_end(zone, now, rules.horizon_days);
    let duration = rules.duration;
    let step = if rules.interval.is_positive() {
        rules.interval
    } else {
        duration
    };
    if !duration.is_positive() || !step.is_positive() {
        return Vec::new();
    }
    let hosts: Vec<PreparedHost<'_>> = hosts.iter().map(|h| PreparedHost::new(h, zone)).collect();
    let calendar_per_day = per_local_day(zone, calendar_booked);

    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let calendar_full = rules
            .daily_cap
            .is_some_and(|cap| count_on(&calendar_per_day, day) >= cap);
        if !calendar_full {
            let windows = rules.windows_on(day);
            for window in windows {
                for start_min in window.starts(step) {
                    let Some(start) = local_instant(zone, day, start_min) else {
                        continue; // not on the clock that day
                    };
                    let end = match start.checked_add(duration) {
                        Ok(end) => end,
                        Err(_) => continue,
                    };
                    if start < earliest || start >= horizon {
                        continue;
                    }
                    // The slot must end inside its window in real time,
                    // so a window cut short by a spring-forward is honoured.
                    match window_end_instant(zone, day, window.end_minute()) {
                        Some(window_end) if end <= window_end => {}
                        _ => continue,
                    }
                    let buffered = Interval::new(
                        start.saturating_sub(rules.buffer_before).unwrap_or(start),
                        end.saturating_add(rules.buffer_after).unwrap_or(end),
                    );
                    let free_hosts: Vec<usize> = hosts
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| h.is_free(day, start_min, duration, buffered))
                        .map(|(i, _)| i)
                        .collect();
                    if !free_hosts.is_empty() {
                        out.push(Slot {
                            start,
                            end,
                            free_hosts,
                        });
                    }
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out.sort_by_key(|s| s.start);
    out.dedup_by_key(|s| s.start);
    out
}

/// The horizon's end: midnight (or the day's first instant) after the
/// `days`-th local day counted from today in `zone`.
pub fn horizon_end(zone: &TimeZone, now: Timestamp, days: u32) -> Timestamp {
    let today = now.to_zoned(zone.clone()).date();
    let mut last = today;
    for _ in 0..days {
        match last.tomorrow() {
            Ok(d) => last = d,
            Err(_) => return Timestamp::MAX,
        }
    }
    day_start(zone, last).unwrap_or(Timestamp::MAX)
}

/// The first instant of a local day (Santiago's 2026-09-06 begins at 01:00).
pub fn day_start(zone: &TimeZone, day: Date) -> Option<Timestamp> {
    zone.to_ambiguous_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .ok()
}

/// The instant of `minute` minutes after midnight on `day`, on the wall
/// clock: `None` when that time does not exist that day; the earlier of
/// two when it happens twice.
fn local_instant(zone: &TimeZone, day: Date, minute: u32) -> Option<Timestamp> {
    let dt = civil_at(day, minute)?;
    let ambiguous = zone.to_ambiguous_timestamp(dt);
    match ambiguous.offset() {
        AmbiguousOffset::Gap { .. } => None,
        AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => {
            ambiguous.earlier().ok()
        }
    }
}

/// Where a window ending at `minute` (up to 24:00) ends in real time; an
/// end inside a gap ends where the clock resumes.
fn window_end_instant(zone: &TimeZone, day: Date, minute: u32) -> Option<Timestamp> {
    let dt = civil_at(day, minute)?;
    zone.to_ambiguous_timestamp(dt).later().ok()
}

fn civil_at(day: Date, minute: u32) -> Option<DateTime> {
    let base = day.to_datetime(jiff::civil::Time::midnight());
    base.checked_add(SignedDuration::from_mins(i64::from(minute)))
        .ok()
}

fn per_local_day(zone: &TimeZone, starts: &[Timestamp]) -> Vec<Date> {
    let mut days: Vec<Date> = starts
        .iter()
        .map(|t| t.to_zoned(zone.clone()).date())
        .collect();
    days.sort_unstable();
    days
}

fn count_on(sorted_days: &[Date], day: Date) -> u32 {
    let lo = sorted_days.partition_point(|d| *d < day);
    let hi = sorted_days.partition_point(|d| *d <= day);
    u32::try_from(hi - lo).unwrap_or(u32::MAX)
}

/// A host with its busy times sorted for binary search.
struct PreparedHost<'a> {
    host: &'a HostTimes,
    /// Busy intervals by start, with `max_end[i]` = the latest end among
    /// the first `i + 1`, so an overlap check is one binary search.
    busy: Vec<Interval>,
    max_end: Vec<Timestamp>,
    booked_days: Vec<Date>,
}

impl<'a> PreparedHost<'a> {
    fn new(host: &'a HostTimes, zone: &TimeZone) -> PreparedHost<'a> {
        let mut busy: Vec<Interval> = host
            .busy
            .iter()
            .copied()
            .filter(|b| b.start < b.end)
            .collect();
        busy.sort_unstable();
        let mut max_end = Vec::with_capacity(busy.len());
        let mut latest = Timestamp::MIN;
        for b in &busy {
            latest = latest.max(b.end);
            max_end.push(latest);
        }
        PreparedHost {
            host,
            busy,
            max_end,
            booked_days: per_local_day(zone, &host.booked),
        }
    }

    fn is_free(&self, day: Date, start_min: u32, duration: SignedDuration, want: Interval) -> bool {
        if let Some(weekly) = &self.host.weekly {
            let windows = &weekly[weekday_index(day)];
            let inside = windows.iter().any(|w| {
                start_min >= w.start_minute()
                    && i64::from(start_min) + duration.as_mins() <= i64::from(w.end_minute())
            });
            if !inside {
                return false;
            }
        }
        if self
            .host
            .daily_cap
            .is_some_and(|cap| count_on(&self.booked_days, day) >= cap)
        {
            return false;
        }
        // Busy intervals starting before `want` ends; any of them ending
        // after `want` starts overlaps it.
        let n = self.busy.partition_point(|b| b.start < want.end);
        n == 0 || self.max_end[n - 1] <= want.start
    }
}

/// Monday = 0 … Sunday = 6.
pub fn weekday_index(day: Date) -> usize {
    usize::try_from(day.weekday().to_monday_zero_offset()).unwrap_or(0)
}
