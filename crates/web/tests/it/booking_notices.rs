//! What a native booking sends, end to end on the backend chosen by
//! `AF_TEST_BACKEND`: the invitee's emails with the `.ics` invitation (a
//! REQUEST with one UID and a rising SEQUENCE, then a CANCEL), the host's
//! notices, the calendar's reminders (moved by a reschedule, dropped by a
//! cancellation, each sent once), and the PAUTA "on booking" workflows
//! (WhatsApp confirmation, 24 h reminder that follows the appointment).

use af_testkit::{Api, two_workspaces};
use jiff::SignedDuration;
use serde_json::json;

/// (subject or body, to, attachment text) of every message, oldest first.
async fn outbox(t: &af_testkit::TwoTenants) -> Vec<(String, String, Option<String>)> {
    let mut all = af_db::messages::search_messages(&t.app.db, t.a.ws.id, None, None, None, 500)
        .await
        .expect("messages");
    all.reverse();
    let mut out = Vec::new();
    for m in all {
        let files = af_db::messages::list_attachments(&t.app.db, t.a.ws.id, m.id)
            .await
            .expect("attachments");
        assert!(files.len() <= 1);
        let ics = files.first().map(|f| {
            assert_eq!(f.filename, "invite.ics");
            assert!(f.content_type.starts_with("text/calendar"));
            String::from_utf8(f.content.clone()).expect("utf-8")
        });
        out.push((m.subject.unwrap_or(m.body_text), m.to_address, ics));
    }
    out
}

/// The first VEVENT value of `name` in `ics`, read by a maintained parser.
fn ics_value(ics: &str, name: &str) -> String {
    let mut parser = calcard::Parser::new(ics);
    let calcard::Entry::ICalendar(cal) = parser.entry() else {
        panic!("not a calendar: {ics}");
    };
    cal.components
        .iter()
        .flat_map(|c| &c.entries)
        .find(|e| e.name.as_str() == name)
        .and_then(|e| e.values.first())
        .map(|v| match v {
            calcard::icalendar::ICalendarValue::Text(t) => t.clone(),
            calcard::icalendar::ICalendarValue::Integer(i) => i.to_string(),
            other => format!("{other:?}"),
        })
        .unwrap_or_else(|| panic!("{name} in {ics}"))
}

#[tokio::test]
async fn a_booking_confirms_reminds_follows_its_moves_and_cancels_once() {
    let t = two_workspaces().await;
    let db = &t.app.db;
    let api = Api::of(&t.app, &t.a);
    let worker = t.app.engine_worker();
    let cal = t.a.ids["calendars.calendar_id"].clone();
    af_engine::library::install(db, t.a.ws.id, "pauta_booking", true, t.app.now())
        .await
        .expect("PAUTA booking workflows");

    // Saturday 2026-03-07 09:00 in Mexico City; the calendar takes Mondays.
    let (status, booked) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(
                json!({"start": "2026-03-09T10:00:00-06:00", "name": "Luisa Vega",
                        "email": "luisa@cliente.test", "phone": "+525512345678",
                        "time_zone": "America/Bogota"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let id = booked["id"].as_str().expect("id").to_string();
    t.app.run_jobs(&worker).await;
    let sent = outbox(&t).await;
    let subjects: Vec<&str> = sent.iter().map(|(s, _, _)| s.as_str()).collect();
    let confirmation = sent
        .iter()
        .find(|(s, to, _)| s.starts_with("Cita confirmada: Asesoría") && to == "luisa@cliente.test")
        .unwrap_or_else(|| panic!("the invitee's confirmation in {subjects:?}"));
    // In the invitee's zone: 10:00 in Mexico City is 11:00 in Bogotá.
    assert!(
        confirmation.0.contains("11:00 a. m. (America/Bogota)"),
        "{}",
        confirmation.0
    );
    let invite = confirmation.2.as_deref().expect("the invitation attached");
    assert!(
        ics_value(invite, "METHOD")
            .to_uppercase()
            .contains("REQUEST")
    );
    assert_eq!(ics_value(invite, "SEQUENCE"), "0");
    let uid = ics_value(invite, "UID");
    assert!(
        sent.iter()
            .any(|(s, to, ics)| s.starts_with("Nueva cita: Luisa Vega")
                && to == &t.a.member_email
                && ics.is_none()),
        "the host hears of it: {subjects:?}"
    );
    assert!(
        sent.iter().any(|(s, _, _)| s.contains("Tu reunión con")),
        "the PAUTA WhatsApp confirmation: {subjects:?}"
    );
    let before = sent.len();

    // Moved a week later: a new REQUEST of the same UID, sequence 1.
    let (status, moved) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{id}/reschedule"),
            Some(json!({"start": "2026-03-16T10:00:00-06:00"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    t.app.run_jobs(&worker).await;
    let sent = outbox(&t).await;
    let update = sent[before..]
        .iter()
        .find(|(s, _, _)| s.starts_with("Cita cambiada: Asesoría"))
        .expect("the invitee hears of the new time");
    let invite = update.2.as_deref().expect("attached");
    assert_eq!(ics_value(invite, "UID"), uid);
    assert_eq!(ics_value(invite, "SEQUENCE"), "1");
    assert!(
        sent[before..]
            .iter()
            .any(|(s, _, _)| s.starts_with("Cita cambiada: Luisa Vega"))
    );
    let before = sent.len();

    // The old booking's moments pass: nothing (its reminders are stale and
    // the PAUTA reminder moved with the appointment).
    t.app.clock.advance(SignedDuration::from_hours(48));
    t.app.run_jobs(&worker).await;
    assert_eq!(outbox(&t).await.len(), before, "nothing for the old time");

    // A day before the new time: the calendar's reminder and PAUTA's, once.
    t.app.clock.advance(SignedDuration::from_hours(24 * 6 + 1));
    t.app.run_jobs(&worker).await;
    t.app.run_jobs(&worker).await;
    let sent = outbox(&t).await;
    let new: Vec<&str> = sent[before..].iter().map(|(s, _, _)| s.as_str()).collect();
    assert_eq!(
        new.iter()
            .filter(|s| s.starts_with("Recordatorio de tu cita"))
            .count(),
        1,
        "{new:?}"
    );
    assert_eq!(
        new.iter()
            .filter(|s| s.contains("te recordamos tu reunión de mañana"))
            .count(),
        1,
        "{new:?}"
    );
    let before = sent.len();

    // Cancelled: a CANCEL of the same UID; the 1 h reminder never goes.
    let (status, _) = api
        .call("POST", &format!("/api/v1/appointments/{id}/cancel"), None)
        .await;
    assert_eq!(status, 200);
    t.app.run_jobs(&worker).await;
    t.app.clock.advance(SignedDuration::from_hours(23));
    t.app.run_jobs(&worker).await;
    let sent = outbox(&t).await;
    let new: Vec<&(String, String, Option<String>)> = sent[before..].iter().collect();
    let cancelled = new
        .iter()
        .find(|(s, _, _)| s.starts_with("Cita cancelada: Asesoría"))
        .expect("the invitee hears of the cancellation");
    let invite = cancelled.2.as_deref().expect("attached");
    assert!(
        ics_value(invite, "METHOD")
            .to_uppercase()
            .contains("CANCEL")
    );
    assert_eq!(ics_value(invite, "UID"), uid);
    assert_eq!(ics_value(invite, "SEQUENCE"), "2");
    assert!(
        !new.iter().any(|(s, _, _)| s.starts_with("Recordatorio")),
        "no reminder for a cancelled booking: {new:?}"
    );
}

#[tokio::test]
async fn a_pending_booking_says_it_awaits_confirmation() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let cal = t.a.ids["calendars.calendar_id"].clone();
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/calendars/{cal}"),
            Some(json!({"requires_confirmation": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, booked) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(
                json!({"start": "2026-03-09T11:00:00-06:00", "name": "Pablo Ruiz",
                        "email": "pablo@cliente.test"}),
            ),
        )
        .await;
    assert_eq!((status, booked["status"].as_str()), (201, Some("pending")));
    t.app.run_jobs(&t.app.engine_worker()).await;
    let sent = outbox(&t).await;
    assert!(
        sent.iter()
            .any(|(s, _, ics)| s.starts_with("Solicitud de cita recibida") && ics.is_some()),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|(s, _, _)| s.starts_with("Cita por confirmar: Pablo Ruiz"))
    );

    // Confirmed by the agency: the invitee hears it, with the invitation.
    let id = booked["id"].as_str().expect("id");
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{id}/status"),
            Some(json!({"status": "booked"})),
        )
        .await;
    assert_eq!(status, 200);
    t.app.run_jobs(&t.app.engine_worker()).await;
    let sent = outbox(&t).await;
    assert!(
        sent.iter()
            .any(|(s, _, ics)| s.starts_with("Cita confirmada: Asesoría") && ics.is_some()),
        "{sent:?}"
    );

    // Marked attended: the booking holds no time any more.
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{id}/status"),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, again) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(
                json!({"start": "2026-03-09T11:00:00-06:00", "name": "Otra Persona",
                        "email": "otra@cliente.test"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{again}");
}
