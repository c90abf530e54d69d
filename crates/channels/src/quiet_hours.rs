//! Quiet hours: SMS, WhatsApp and calls go out only inside a daily window in
//! the contact's (or workspace's) time zone, 08:00–21:00 by default. Pure
//! functions over an injected `now`, DST-correct through jiff.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// The daily window in which sending is allowed, as local wall-clock times.
/// `start` is included and `end` excluded; a window whose end is before its
/// start crosses midnight (22:00–06:00); equal start and end means "always".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow {
    /// Local time the window opens.
    pub start: Time,
    /// Local time the window closes.
    pub end: Time,
}

impl Default for SendWindow {
    /// 08:00–21:00.
    fn default() -> Self {
        Self {
            start: jiff::civil::time(8, 0, 0, 0),
            end: jiff::civil::time(21, 0, 0, 0),
        }
    }
}

/// What to do with a message due at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Inside the window: send now.
    SendNow,
    /// Outside: wait until this instant (the next opening of the window).
    WaitUntil(Timestamp),
}

/// A window that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quiet hours must look like 08:00-21:00")]
pub struct WindowParseError;

impl SendWindow {
    /// A window from two local times.
    pub fn new(start: Time, end: Time) -> Self {
        Self { start, end }
    }

    /// Reads `HH:MM-HH:MM` (as stored in workspace settings).
    pub fn parse(text: &str) -> Result<Self, WindowParseError> {
        let (a, b) = text.split_once('-').ok_or(WindowParseError)?;
        let parse = |s: &str| -> Result<Time, WindowParseError> {
            let (h, m) = s.trim().split_once(':').ok_or(WindowParseError)?;
            let h: i8 = h.parse().map_err(|_| WindowParseError)?;
            let m: i8 = m.parse().map_err(|_| WindowParseError)?;
            Time::new(h, m, 0, 0).map_err(|_| WindowParseError)
        };
        Ok(Self::new(parse(a)?, parse(b)?))
    }

    /// Whether a local wall-clock time falls inside the window.
    pub fn contains(&self, t: Time) -> bool {
        if self.start == self.end {
            true
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// Sends now, or says when the window next opens in `tz`.
    pub fn decide(&self, now: Timestamp, tz: &TimeZone) -> Decision {
        let local = now.to_zoned(tz.clone());
        if self.contains(local.time()) {
            return Decision::SendNow;
        }
        // Outside the window. For a same-day window the next opening is today
        // when we are before it, else tomorrow; for a window crossing
        // midnight, being outside means we are between end and start today.
        let today = local.date();
        let opening_day = if self.start > self.end || local.time() < self.start {
            today
        } else {
            today.tomorrow().unwrap_or(today)
        };
        Decision::WaitUntil(self.opening_on(opening_day, tz, &local))
    }

    /// The instant the window opens on `day`. When the start time does not
    /// exist that day (a spring-forward gap) jiff's "compatible" rule picks
    /// the first instant after the gap; it never lies before `now`.
    fn opening_on(&self, day: Date, tz: &TimeZone, now: &Zoned) -> Timestamp {
        match day.to_datetime(self.start).to_zoned(tz.clone()) {
            Ok(z) if z.timestamp() > now.timestamp() => z.timestamp(),
            Ok(_) | Err(_) => now.timestamp(),
        }
    }
}

/// [`SendWindow::decide`] with a zone name; an unknown zone falls back to UTC
/// so a typo never blocks sending forever.
pub fn decide_in_zone(window: &SendWindow, now: Timestamp, zone: &str) -> Decision {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    window.decide(now, &tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).expect("zone")
    }

    #[test]
    fn inside_the_window_sends_now() {
        let w = SendWindow::default();
        // 10:00 in Mexico City (UTC-6).
        assert_eq!(
            w.decide(ts("2026-06-10T16:00:00Z"), &tz("America/Mexico_City")),
            Decision::SendNow
        );
        // 20:59:59 is inside, 21:00 is not.
        assert_eq!(
            w.decide(ts("2026-06-11T02:59:59Z"), &tz("America/Mexico_City")),
            Decision::SendNow
        );
        assert_eq!(
            w.decide(ts("2026-06-11T03:00:00Z"), &tz("America/Mexico_City")),
            Decision::WaitUntil(ts("2026-06-11T14:00:00Z"))
        );
    }

    #[test]
    fn the_same_instant_differs_by_zone() {
        let w = SendWindow::default();
        let now = ts("2026-06-10T12:00:00Z");
        assert_eq!(w.decide(now, &tz("Europe/Madrid")), Decision::SendNow); // 14:00
        assert_eq!(
            w.decide(now, &tz("America/Mexico_City")), // 06:00
            Decision::WaitUntil(ts("2026-06-10T14:00:00Z"))
        );
        assert_eq!(
            w.decide(now, &tz("Asia/Tokyo")), // 21:00
            Decision::WaitUntil(ts("2026-06-10T23:00:00Z"))
        );
    }

    #[test]
    fn next_opening_across_new_york_spring_forward() {
        // 2026-03-08 02:00 EST → 03:00 EDT. At 22:00 EST on the 7th the next
        // 08:00 is in EDT (UTC-4), 10 hours later, not 11.
        let w = SendWindow::default();
        let now = ts("2026-03-08T03:00:00Z"); // 22:00 EST, Mar 7
        assert_eq!(
            w.decide(now, &tz("America/New_York")),
            Decision::WaitUntil(ts("2026-03-08T12:00:00Z"))
        );
    }

    #[test]
    fn next_opening_across_santiago_changes() {
        let w = SendWindow::default();
        let santiago = tz("America/Santiago");
        // Chile goes from UTC-3 to UTC-4 on 2026-04-05 (00:00 → 23:00 on the 4th).
        // At 22:00 on Apr 4 (UTC-3) = 01:00Z Apr 5, the next 08:00 is UTC-4.
        assert_eq!(
            w.decide(ts("2026-04-05T01:00:00Z"), &santiago),
            Decision::WaitUntil(ts("2026-04-05T12:00:00Z"))
        );
        // Chile goes from UTC-4 to UTC-3 on 2026-09-06 (00:00 → 01:00).
        assert_eq!(
            w.decide(ts("2026-09-06T02:00:00Z"), &santiago), // 22:00 Sep 5, UTC-4
            Decision::WaitUntil(ts("2026-09-06T11:00:00Z"))  // 08:00 Sep 6, UTC-3
        );
    }

    #[test]
    fn opening_inside_a_dst_gap_moves_after_the_gap() {
        // A window opening at 00:30 on the day Santiago skips 00:00–01:00.
        let w = SendWindow::parse("00:30-06:00").expect("window");
        let santiago = tz("America/Santiago");
        let now = ts("2026-09-06T02:00:00Z"); // 22:00 Sep 5
        assert_eq!(
            w.decide(now, &santiago),
            Decision::WaitUntil(ts("2026-09-06T04:30:00Z")) // 01:30 UTC-3
        );
    }

    #[test]
    fn windows_crossing_midnight() {
        let w = SendWindow::parse("22:00-06:00").expect("window");
        let utc = TimeZone::UTC;
        assert_eq!(
            w.decide(ts("2026-01-01T23:00:00Z"), &utc),
            Decision::SendNow
        );
        assert_eq!(
            w.decide(ts("2026-01-02T05:59:00Z"), &utc),
            Decision::SendNow
        );
        assert_eq!(
            w.decide(ts("2026-01-02T06:00:00Z"), &utc),
            Decision::WaitUntil(ts("2026-01-02T22:00:00Z"))
        );
        assert_eq!(
            w.decide(ts("2026-01-02T12:00:00Z"), &utc),
            Decision::WaitUntil(ts("2026-01-02T22:00:00Z"))
        );
    }

    #[test]
    fn parse_and_fallbacks() {
        assert_eq!(SendWindow::parse("08:00-21:00"), Ok(SendWindow::default()));
        assert!(SendWindow::parse("8-21").is_err());
        assert!(SendWindow::parse("25:00-21:00").is_err());
        let always = SendWindow::parse("00:00-00:00").expect("window");
        assert_eq!(
            always.decide(ts("2026-01-01T03:00:00Z"), &TimeZone::UTC),
            Decision::SendNow
        );
        assert_eq!(
            decide_in_zone(
                &SendWindow::default(),
                ts("2026-01-01T03:00:00Z"),
                "Not/AZone"
            ),
            Decision::WaitUntil(ts("2026-01-01T08:00:00Z"))
        );
    }
}
