//! What a native booking sends, by the `booking_notice` job the booking's
//! own transaction enqueues: the invitee's email (confirmation, request
//! received, new time, cancellation) with the `.ics` invitation attached,
//! the host's notice, and the calendar's reminders before the start.
//!
//! Each notice names the booking's `sequence` when it was queued. A later
//! change raises the sequence, so a notice or reminder queued for an older
//! version does nothing: a rescheduled booking's reminders are queued
//! again for the new start, a cancelled one's never go out, and each
//! reminder is sent at most once (its message carries an idempotency key).
//! The emails are ordinary transactional messages of the workspace — in
//! the contact's history and the Messages page, sent by the workspace's
//! email provider, retried like every send.

use crate::{EngineConfig, job_workspace};
use af_core::booking::ics::{Invite, Method, Person, ics};
use af_core::booking::links;
use af_core::jobs::{BookingNotice, Notice, SendMessage};
use af_core::vocab::{Channel, MessageStatus};
use af_core::{AppointmentId, Locale, UserId, WorkspaceId};
use af_db::appointments::Appointment;
use af_db::contacts::Contact;
use af_db::messages::{NewMessage, StoredAttachment};
use af_db::users::User;
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, DbResult, Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use jiff::SignedDuration;

/// Queues `notice` for the booking as it stands in `tx` (call it in the
/// transaction that booked, moved or cancelled it). A booking or move also
/// queues the calendar's reminders for the new start.
pub async fn queue_notice(
    tx: &mut Tx,
    ws: WorkspaceId,
    a: &Appointment,
    notice: Notice,
    reminders_minutes: &[i32],
    now: Ts,
) -> DbResult<()> {
    let job = BookingNotice {
        booking: a.id,
        sequence: a.sequence,
        notice,
    };
    af_db::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    if !matches!(notice, Notice::Booked | Notice::Rescheduled) {
        return Ok(());
    }
    let Some(start) = a.starts_at else {
        return Ok(());
    };
    for &minutes_before in reminders_minutes {
        let Ok(at) = start
            .0
            .checked_sub(SignedDuration::from_mins(i64::from(minutes_before)))
        else {
            continue;
        };
        // A reminder whose moment passed (booked an hour ahead, the 24 h
        // reminder) is not sent late.
        if at <= now.0 {
            continue;
        }
        let job = BookingNotice {
            booking: a.id,
            sequence: a.sequence,
            notice: Notice::Reminder { minutes_before },
        };
        af_db::jobs::enqueue_job(tx, Some(ws), &job, Ts::new(at), now).await?;
    }
    Ok(())
}

/// Everything a notice's emails say.
struct Facts {
    ws: Workspace,
    booking: Appointment,
    contact: Contact,
    host: Option<User>,
    location: Option<String>,
}

async fn facts(db: &Db, ws: WorkspaceId, id: AppointmentId) -> DbResult<Option<Facts>> {
    let Some(workspace) = af_db::workspaces::find_workspace(db, ws).await? else {
        return Ok(None);
    };
    let Some(booking) = af_db::appointments::find_appointment(db, ws, id).await? else {
        return Ok(None);
    };
    let Some(contact) = af_db::contacts::find_contact(db, ws, booking.contact_id).await? else {
        return Ok(None);
    };
    let host = match booking.host_user_id {
        Some(h) => af_db::users::find_user(db, UserId(h)).await?,
        None => None,
    };
    let metadata: serde_json::Value = serde_json::from_str(&booking.metadata).unwrap_or_default();
    let location = metadata
        .get("location")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    Ok(Some(Facts {
        ws: workspace,
        booking,
        contact,
        host,
        location,
    }))
}

/// The booking's invitation as it stands: a `REQUEST` while it is live, a
/// `CANCEL` once cancelled; the UID is the booking's and the SEQUENCE the
/// stored one, which every change raised. `manage_url` goes in its URL.
pub fn invite_of(
    ws: &Workspace,
    a: &Appointment,
    contact: &Contact,
    host: Option<&User>,
    location: Option<String>,
    manage_url: Option<String>,
) -> Option<String> {
    let (start, end) = (a.starts_at?, a.ends_at?);
    let invite = Invite {
        uid: format!("{}@agencyflow", a.id),
        sequence: u32::try_from(a.sequence).unwrap_or(0),
        method: if a.status == "cancelled" {
            Method::Cancel
        } else {
            Method::Request
        },
        start: start.0,
        end: end.0,
        stamp: a.updated_at.0,
        summary: format!("{} · {}", a.title, ws.name),
        description: String::new(),
        location,
        url: manage_url,
        organizer: Person {
            name: host.map_or_else(|| ws.name.clone(), |h| h.name.clone()),
            email: host.map_or_else(String::new, |h| h.email.clone()),
        },
        attendee: Person {
            name: contact.full_name(),
            email: contact.email.clone().unwrap_or_default(),
        },
    };
    Some(ics(&invite))
}

/// The `.ics` text of a native booking for its API and manage link.
pub async fn invitation(db: &Db, ws: &Workspace, id: AppointmentId) -> DbResult<Option<String>> {
    let Some(f) = facts(db, ws.id, id).await? else {
        return Ok(None);
    };
    if f.booking.source != af_db::calendars::SOURCE {
        return Ok(None);
    }
    Ok(invite_of(
        ws,
        &f.booking,
        &f.contact,
        f.host.as_ref(),
        f.location,
        None,
    ))
}

/// The `booking_notice` job: writes the notice's messages and their send
/// jobs in one transaction (or nothing when the booking moved on).
pub(crate) async fn notice_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    p: BookingNotice,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let now = ctx.now();
    let Some(f) = facts(&ctx.db, ws, p.booking).await? else {
        return Ok(());
    };
    let stale = f.booking.sequence != p.sequence
        || (matches!(p.notice, Notice::Reminder { .. }) && f.booking.status != "booked");
    if stale {
        return Ok(());
    }
    let token = links::manage_token(&cfg.secret, ws, f.booking.id);
    let manage = links::manage_url(&cfg.base_url, &token);
    let mut tx = ctx.db.begin().await?;
    if let Some(to) = f.contact.email.as_deref() {
        let (subject, body) = invitee_text(&f, p.notice, &manage);
        let attach = !matches!(p.notice, Notice::Reminder { .. });
        let invite = attach
            .then(|| {
                invite_of(
                    &f.ws,
                    &f.booking,
                    &f.contact,
                    f.host.as_ref(),
                    f.location.clone(),
                    Some(manage.clone()),
                )
            })
            .flatten();
        let key = format!(
            "booking:{}:{}:{:?}:invitee",
            p.booking, p.sequence, p.notice
        );
        queue_email(
            &mut tx,
            &f,
            to,
            &subject,
            &body,
            invite,
            Some(f.contact.id),
            &key,
            now,
        )
        .await?;
    }
    if let Some(host) = f.host.as_ref().filter(|_| host_hears(p.notice)) {
        let (subject, body) = host_text(&f, p.notice, &cfg.base_url);
        let key = format!("booking:{}:{}:{:?}:host", p.booking, p.sequence, p.notice);
        queue_email(
            &mut tx,
            &f,
            &host.email,
            &subject,
            &body,
            None,
            None,
            &key,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The host hears of new, moved and cancelled bookings, not reminders.
fn host_hears(n: Notice) -> bool {
    !matches!(n, Notice::Reminder { .. })
}

#[allow(clippy::too_many_arguments)]
async fn queue_email(
    tx: &mut Tx,
    f: &Facts,
    to: &str,
    subject: &str,
    body: &str,
    invite: Option<String>,
    contact: Option<af_core::ContactId>,
    key: &str,
    now: Ts,
) -> Result<(), DbError> {
    let new = NewMessage {
        workspace: f.ws.id,
        channel: Channel::Email,
        provider: "outbox",
        to,
        from: None,
        subject: Some(subject),
        body_text: body,
        body_html: None,
        category: "transactional",
        status: MessageStatus::Queued,
        contact_id: contact,
        enrollment_id: None,
        step_id: None,
        idempotency_key: Some(key),
    };
    let Some(id) = af_db::messages::insert_message_once(tx, &new, now).await? else {
        return Ok(());
    };
    if let Some(text) = invite {
        let method = if f.booking.status == "cancelled" {
            "CANCEL"
        } else {
            "REQUEST"
        };
        let file = StoredAttachment {
            filename: "invite.ics".into(),
            content_type: format!("text/calendar; charset=utf-8; method={method}"),
            content: text.into_bytes(),
        };
        af_db::messages::insert_attachments(tx, f.ws.id, id, &[file]).await?;
    }
    af_db::jobs::enqueue_job(tx, Some(f.ws.id), &SendMessage { message_id: id }, now, now).await?;
    Ok(())
}

/// When, in the invitee's zone (else the calendar's), in words.
fn when(f: &Facts, locale: Locale) -> String {
    let zone_name = f
        .booking
        .time_zone
        .clone()
        .or_else(|| f.booking.organizer_time_zone.clone())
        .unwrap_or_else(|| f.ws.time_zone.clone());
    let zone = af_core::datetime::zone(&zone_name);
    match f.booking.starts_at {
        Some(s) => format!(
            "{} ({zone_name})",
            af_core::datetime::date_time(s.0, &zone, locale)
        ),
        None => String::new(),
    }
}

fn invitee_text(f: &Facts, notice: Notice, manage: &str) -> (String, String) {
    let locale = f.ws.locale();
    let es = locale == Locale::Es;
    let when = when(f, locale);
    let title = &f.booking.title;
    let (subject, lead) = match (notice, es) {
        (Notice::Booked, true) => ("Cita confirmada", "Tu cita está confirmada."),
        (Notice::Booked, false) => ("Booking confirmed", "Your booking is confirmed."),
        (Notice::Requested, true) => (
            "Solicitud de cita recibida",
            "Recibimos tu solicitud; te avisaremos cuando la confirmemos.",
        ),
        (Notice::Requested, false) => (
            "Booking request received",
            "We received your request and will let you know once it is confirmed.",
        ),
        (Notice::Rescheduled, true) => ("Cita cambiada", "Tu cita tiene una nueva hora."),
        (Notice::Rescheduled, false) => ("Booking moved", "Your booking has a new time."),
        (Notice::Cancelled, true) => ("Cita cancelada", "Tu cita fue cancelada."),
        (Notice::Cancelled, false) => ("Booking cancelled", "Your booking was cancelled."),
        (Notice::Reminder { .. }, true) => ("Recordatorio de tu cita", "Te recordamos tu cita."),
        (Notice::Reminder { .. }, false) => {
            ("Reminder of your booking", "A reminder of your booking.")
        }
    };
    let mut body = vec![
        if es {
            format!("Hola {},", f.contact.first_name)
        } else {
            format!("Hi {},", f.contact.first_name)
        },
        String::new(),
        lead.to_string(),
        String::new(),
        title.clone(),
        when.clone(),
    ];
    if let Some(l) = &f.location {
        body.push(l.clone());
    }
    if notice != Notice::Cancelled {
        body.push(String::new());
        body.push(if es {
            format!("Para cambiarla o cancelarla: {manage}")
        } else {
            format!("To reschedule or cancel: {manage}")
        });
    }
    body.push(String::new());
    body.push(f.ws.name.clone());
    (format!("{subject}: {title} — {when}"), body.join("\n"))
}

fn host_text(f: &Facts, notice: Notice, base_url: &str) -> (String, String) {
    let locale = f.ws.locale();
    let es = locale == Locale::Es;
    let when = when(f, locale);
    let who = f.contact.full_name();
    let subject = match (notice, es) {
        (Notice::Booked, true) => "Nueva cita",
        (Notice::Booked, false) => "New booking",
        (Notice::Requested, true) => "Cita por confirmar",
        (Notice::Requested, false) => "Booking to confirm",
        (Notice::Rescheduled, true) => "Cita cambiada",
        (Notice::Rescheduled, false) => "Booking moved",
        (Notice::Cancelled, true) => "Cita cancelada",
        (Notice::Cancelled, false) => "Booking cancelled",
        (Notice::Reminder { .. }, true) => "Recordatorio",
        (Notice::Reminder { .. }, false) => "Reminder",
    };
    let mut body = vec![format!("{} · {who}", f.booking.title), when.clone()];
    for v in [f.contact.email.as_deref(), f.contact.phone.as_deref()]
        .into_iter()
        .flatten()
    {
        body.push(v.to_string());
    }
    if let Some(answers) =
        f.booking.answers.as_deref().and_then(|a| {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(a).ok()
        })
    {
        for (k, v) in answers {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            body.push(format!("{k}: {v}"));
        }
    }
    body.push(String::new());
    body.push(format!(
        "{}/contacts/{}",
        base_url.trim_end_matches('/'),
        f.contact.id
    ));
    (format!("{subject}: {who} — {when}"), body.join("\n"))
}
