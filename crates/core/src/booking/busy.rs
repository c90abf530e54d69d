//! A host's external calendar feed read into busy intervals: the events of
//! an iCalendar text (a Google or Outlook "secret address"), recurrences
//! expanded, that meet a window. Free time is left out: events marked
//! transparent ("show as available"), cancelled ones, and zero-length
//! ones. Parsed by a maintained iCalendar crate (Stalwart's `calcard`).

use calcard::icalendar::{
    ICalendarComponentType, ICalendarStatus, ICalendarTransparency, dates::TimeOrDelta,
};
use jiff::Timestamp;

/// Most busy intervals kept from one feed, and most occurrences a feed's
/// recurrences are expanded to (a weekly meeting since 2015 is ~600).
pub const MAX_BUSY: usize = 5_000;
const MAX_OCCURRENCES: usize = 100_000;

/// Why a feed could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the address did not return an iCalendar (.ics) feed")]
    NotICalendar,
}

/// The busy intervals `[start, end)` of `ics` that meet `[from, until)`,
/// sorted, at most [`MAX_BUSY`].
pub fn busy_times(
    ics: &str,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(Timestamp, Timestamp)>, FeedError> {
    let mut parser = calcard::Parser::new(ics);
    let calcard::Entry::ICalendar(cal) = parser.entry() else {
        return Err(FeedError::NotICalendar);
    };
    let expanded = cal.expand_dates(calcard::common::timezone::Tz::UTC, MAX_OCCURRENCES);
    let (lo, hi) = (from.as_second(), until.as_second());
    let mut out: Vec<(Timestamp, Timestamp)> = expanded
        .events
        .iter()
        .filter(|e| {
            cal.components
                .get(usize::try_from(e.comp_id).unwrap_or(usize::MAX))
                .is_some_and(|c| {
                    c.component_type == ICalendarComponentType::VEvent
                        && c.transparency() != Some(&ICalendarTransparency::Transparent)
                        && c.status() != Some(&ICalendarStatus::Cancelled)
                })
        })
        .filter_map(|e| {
            let start = e.start.timestamp();
            let end = match &e.end {
                TimeOrDelta::Time(t) => t.timestamp(),
                TimeOrDelta::Delta(d) => start.checked_add(d.num_seconds())?,
            };
            (end > start && start < hi && end > lo).then_some((start, end))
        })
        .filter_map(|(s, e)| {
            Some((
                Timestamp::from_second(s).ok()?,
                Timestamp::from_second(e).ok()?,
            ))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_BUSY);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VTIMEZONE\r\nTZID:America/Bogota\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0500\r\nTZNAME:-05\r\nDTSTART:19700101T000000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:one@google.com\r\nDTSTART:20260309T150000Z\r\nDTEND:20260309T160000Z\r\nSUMMARY:Dentista\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly@google.com\r\nDTSTART;TZID=America/Bogota:20250106T090000\r\nDTEND;TZID=America/Bogota:20250106T093000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE;TZID=America/Bogota:20260316T090000\r\nSUMMARY:Comité\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:free@google.com\r\nDTSTART:20260309T180000Z\r\nDTEND:20260309T190000Z\r\nTRANSP:TRANSPARENT\r\nSUMMARY:Disponible\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:gone@google.com\r\nDTSTART:20260309T200000Z\r\nDTEND:20260309T210000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:old@google.com\r\nDTSTART:20250101T150000Z\r\nDTEND:20250101T160000Z\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn busy_events_and_recurrences_in_the_window_only() {
        let busy =
            busy_times(FEED, t("2026-03-08T00:00:00Z"), t("2026-03-24T00:00:00Z")).expect("feed");
        assert_eq!(
            busy,
            vec![
                // The weekly committee at 09:00 Bogotá (14:00Z) …
                (t("2026-03-09T14:00:00Z"), t("2026-03-09T14:30:00Z")),
                (t("2026-03-09T15:00:00Z"), t("2026-03-09T16:00:00Z")),
                // … not on the 16th (EXDATE), again on the 23rd.
                (t("2026-03-23T14:00:00Z"), t("2026-03-23T14:30:00Z")),
            ]
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for junk in ["", "<html>Sign in</html>", "BEGIN:VCARD\r\nEND:VCARD\r\n"] {
            assert_eq!(
                busy_times(junk, t("2026-03-08T00:00:00Z"), t("2026-03-24T00:00:00Z")),
                Err(FeedError::NotICalendar),
                "{junk}"
            );
        }
    }
}
