//! Calendar invitations (`.ics`, RFC 5545 with RFC 5546's methods) for a
//! booking: created and rescheduled bookings are a `REQUEST`, a cancelled
//! one a `CANCEL` with `STATUS:CANCELLED` — so calendar apps remove the
//! event instead of keeping it (Cal.com's issue 29706). The UID is the
//! booking's and never changes; the SEQUENCE rises with every change, so a
//! reschedule replaces the earlier invitation instead of adding a second
//! event.
//!
//! Times are written in UTC (`…Z`), which every client reads the same way
//! and needs no VTIMEZONE. Lines end in CRLF and are folded at 75 octets
//! without splitting a UTF-8 character.

use jiff::Timestamp;
use std::fmt::Write;

/// What the invitation asks of the calendar app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event (create, reschedule).
    Request,
    /// Remove the event (cancel).
    Cancel,
}

/// A person on the invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// One booking's invitation.
#[derive(Debug, Clone)]
pub struct Invite {
    /// Stable across create, reschedule and cancel (e.g. `{booking id}@{host}`).
    pub uid: String,
    /// 0 when created, one more on every change.
    pub sequence: u32,
    pub method: Method,
    pub start: Timestamp,
    pub end: Timestamp,
    /// When this version was made (`DTSTAMP`).
    pub stamp: Timestamp,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    /// Where the invitee manages the booking.
    pub url: Option<String>,
    pub organizer: Person,
    pub attendee: Person,
}

/// The `.ics` text of `invite`.
pub fn ics(invite: &Invite) -> String {
    let mut lines: Vec<String> = Vec::with_capacity(24);
    let method = match invite.method {
        Method::Request => "REQUEST",
        Method::Cancel => "CANCEL",
    };
    lines.push("BEGIN:VCALENDAR".into());
    lines.push("VERSION:2.0".into());
    lines.push("PRODID:-//AgencyFlow//Booking//ES".into());
    lines.push("CALSCALE:GREGORIAN".into());
    lines.push(format!("METHOD:{method}"));
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", text(&invite.uid)));
    lines.push(format!("SEQUENCE:{}", invite.sequence));
    lines.push(format!("DTSTAMP:{}", utc(invite.stamp)));
    lines.push(format!("DTSTART:{}", utc(invite.start)));
    lines.push(format!("DTEND:{}", utc(invite.end)));
    lines.push(format!("SUMMARY:{}", text(&invite.summary)));
    if !invite.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(&invite.description)));
    }
    if let Some(location) = invite.location.as_deref().filter(|l| !l.is_empty()) {
        lines.push(format!("LOCATION:{}", text(location)));
    }
    if let Some(url) = invite.url.as_deref().filter(|u| !u.is_empty()) {
        lines.push(format!("URL:{}", url.replace(['\r', '\n'], "")));
    }
    lines.push(format!(
        "ORGANIZER;CN={}:mailto:{}",
        param(&invite.organizer.name),
        address(&invite.organizer.email)
    ));
    let partstat = match invite.method {
        Method::Request => "NEEDS-ACTION",
        Method::Cancel => "DECLINED",
    };
    lines.push(format!(
        "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};RSVP=FALSE:mailto:{}",
        param(&invite.attendee.name),
        address(&invite.attendee.email)
    ));
    lines.push(
        match invite.method {
            Method::Request => "STATUS:CONFIRMED",
            Method::Cancel => "STATUS:CANCELLED",
        }
        .into(),
    );
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
    lines.push("END:VCALENDAR".into());
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 4).sum());
    for line in &lines {
        fold_into(&mut out, line);
    }
    out
}

/// `YYYYMMDDTHHMMSSZ`.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and line
/// breaks escaped; other control characters dropped.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value: quoted, as a name may hold `:`, `;` or `,`; double
/// quotes and control characters cannot appear in one at all (§3.1).
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// An email for a `mailto:` URI: nothing that could end the line or the
/// value.
fn address(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace() && *c != '"')
        .collect()
}

/// Appends `line` folded at 75 octets (continuations start with a space,
/// which counts), never inside a UTF-8 character, each piece ended by CRLF.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0usize;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    let _ = out.write_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(method: Method, sequence: u32) -> Invite {
        Invite {
            uid: "0192f0c4-1111-7000-8000-000000000001@agencyflow".into(),
            sequence,
            method,
            start: "2026-03-08T17:00:00Z".parse().expect("t"),
            end: "2026-03-08T17:30:00Z".parse().expect("t"),
            stamp: "2026-03-01T12:00:00Z".parse().expect("t"),
            summary: "Asesoría, SEO; diagnóstico".into(),
            description: "Línea 1\nLínea 2 con acentos: áéíóú ñ — y un texto bastante largo para que haga falta doblar la línea".into(),
            location: Some("Av. Reforma 222, CDMX".into()),
            url: Some("https://pauta.example/book/manage/abc".into()),
            organizer: Person {
                name: "Ana \"PAUTA\": Ventas".into(),
                email: "ana@pauta.example".into(),
            },
            attendee: Person {
                name: "Luis Pérez".into(),
                email: "luis@example.com".into(),
            },
        }
    }

    #[test]
    fn lines_are_crlf_folded_at_75_octets_without_splitting_characters() {
        let out = ics(&invite(Method::Request, 0));
        assert!(out.ends_with("END:VCALENDAR\r\n"));
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Línea 1\\nLínea 2 con acentos: áéíóú ñ — y un texto bastante largo para que haga falta doblar la línea\r\n"
        ));
        assert!(unfolded.contains("SUMMARY:Asesoría\\, SEO\\; diagnóstico\r\n"));
        assert!(unfolded.contains("ORGANIZER;CN=\"Ana PAUTA: Ventas\":mailto:ana@pauta.example"));
        assert!(unfolded.contains("DTSTART:20260308T170000Z\r\n"));
    }

    #[test]
    fn cancel_is_a_cancel_with_the_same_uid_and_a_higher_sequence() {
        let created = ics(&invite(Method::Request, 0));
        let cancelled = ics(&invite(Method::Cancel, 2));
        assert!(created.contains("METHOD:REQUEST\r\n") && created.contains("STATUS:CONFIRMED"));
        assert!(cancelled.contains("METHOD:CANCEL\r\n") && cancelled.contains("STATUS:CANCELLED"));
        assert!(cancelled.contains("SEQUENCE:2\r\n"));
        let uid = |s: &str| {
            s.lines()
                .find(|l| l.starts_with("UID:"))
                .map(str::to_string)
        };
        assert_eq!(uid(&created), uid(&cancelled));
    }

    /// What a maintained parser reads back (Stalwart's `calcard`): one
    /// calendar, no invalid line, the same instants, UID and sequence.
    fn parsed(text: &str) -> calcard::icalendar::ICalendar {
        let mut parser = calcard::Parser::new(text);
        let calendar = match parser.entry() {
            calcard::Entry::ICalendar(c) => c,
            other => panic!("not a calendar: {other:?}"),
        };
        assert!(
            matches!(parser.entry(), calcard::Entry::Eof),
            "nothing after it"
        );
        calendar
    }

    fn value<'a>(
        cal: &'a calcard::icalendar::ICalendar,
        name: &calcard::icalendar::ICalendarProperty,
    ) -> &'a calcard::icalendar::ICalendarValue {
        cal.components
            .iter()
            .flat_map(|c| &c.entries)
            .find(|e| &e.name == name)
            .and_then(|e| e.values.first())
            .unwrap_or_else(|| panic!("{name:?} present"))
    }

    #[test]
    fn a_maintained_parser_reads_every_version_back() {
        use calcard::icalendar::{ICalendarProperty as P, ICalendarValue as V};
        for (method, sequence) in [
            (Method::Request, 0),
            (Method::Request, 1),
            (Method::Cancel, 2),
        ] {
            let inv = invite(method, sequence);
            let cal = parsed(&ics(&inv));
            match value(&cal, &P::Dtstart) {
                V::PartialDateTime(dt) => {
                    assert_eq!(dt.to_timestamp(), Some(inv.start.as_second()));
                }
                other => panic!("DTSTART {other:?}"),
            }
            match value(&cal, &P::Dtend) {
                V::PartialDateTime(dt) => assert_eq!(dt.to_timestamp(), Some(inv.end.as_second())),
                other => panic!("DTEND {other:?}"),
            }
            assert_eq!(value(&cal, &P::Uid), &V::Text(inv.uid.clone()));
            assert_eq!(value(&cal, &P::Sequence), &V::Integer(i64::from(sequence)));
            assert_eq!(value(&cal, &P::Summary), &V::Text(inv.summary.clone()));
            assert_eq!(
                value(&cal, &P::Description),
                &V::Text(inv.description.clone())
            );
        }
    }
}
