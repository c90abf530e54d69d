//! The invitee's page behind the signed manage link
//! (`af_core::booking::links`): the booking in the invitee's zone (the
//! confirmation right after booking), "add to calendar" links, and cancel
//! and reschedule within the calendar's cut-offs and reschedule cap —
//! past them, a way to reach the agency instead. A forged or garbled
//! token is the 404 page.
//!
//! The POSTs need no session token: the signed token in the path is the
//! authority, which a cross-site page cannot know; a browser that says
//! the post is cross-site is refused anyway (Fetch Metadata), as the
//! session's CSRF layer does.

use super::{Brand, Picker, PickerQuery, location_text, picker, texts};
use crate::error::{AppError, AppResult};
use crate::extract::render;
use crate::i18n::booking::BookingTr;
use crate::state::{AppState, RequestLocale};
use af_core::booking::links;
use af_core::{CalendarId, Locale};
use af_db::appointments::Appointment;
use af_db::calendars::Calendar;
use af_db::workspaces::Workspace;
use af_service::calendars::{self as service, ChangeError, ChangedBy};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The booking as the confirmation and manage page (and the widget's
/// answer) show it.
pub(crate) struct Confirmation {
    pub when: String,
    pub zone: String,
    pub location: String,
    pub google_url: String,
    pub ics_url: String,
    pub manage_url: String,
    pub status: String,
    pub pending: bool,
    pub cancelled: bool,
}

/// `YYYYMMDDTHHMMSSZ`, as Google Calendar's `dates` reads an instant.
fn google_time(at: jiff::Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn status_label(t: &BookingTr, status: &str) -> &'static str {
    match status {
        "pending" => t.st_pending,
        "cancelled" => t.st_cancelled,
        "completed" => t.st_completed,
        "no_show" => t.st_no_show,
        _ => t.st_booked,
    }
}

pub(crate) fn confirmation(
    st: &AppState,
    ws: &Workspace,
    cal: Option<&Calendar>,
    a: &Appointment,
    zone_name: &str,
    token: &str,
    locale: Locale,
) -> Confirmation {
    let t = BookingTr::get(locale);
    let zone = af_core::datetime::zone(zone_name);
    let meta: serde_json::Value = serde_json::from_str(&a.metadata).unwrap_or_default();
    let text = |k: &str| {
        meta.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let kind = text("location_kind")
        .or_else(|| cal.map(|c| c.location_kind.clone()))
        .unwrap_or_default();
    let place = text("location")
        .or_else(|| cal.map(|c| c.location.clone()))
        .unwrap_or_default();
    let location = location_text(t, &kind, &place);
    let when = match (a.starts_at, a.ends_at) {
        (Some(s), Some(e)) => format!(
            "{}, {} – {}",
            super::day_label(s.0.to_zoned(zone.clone()).date(), locale),
            af_core::datetime::time(s.0, &zone, locale),
            af_core::datetime::time(e.0, &zone, locale),
        ),
        _ => String::new(),
    };
    let manage_url = links::manage_url(&st.config.base_url, token);
    let title = format!("{} · {}", a.title, ws.name);
    let google_url = match (a.starts_at, a.ends_at) {
        (Some(s), Some(e)) => format!(
            "https://calendar.google.com/calendar/render?action=TEMPLATE&text={}&dates={}/{}&details={}&location={}",
            urlencoding::encode(&title),
            google_time(s.0),
            google_time(e.0),
            urlencoding::encode(&format!("{}: {manage_url}", t.manage_link)),
            urlencoding::encode(&place),
        ),
        _ => String::new(),
    };
    Confirmation {
        when,
        zone: zone_name.to_string(),
        location,
        google_url,
        ics_url: format!("{manage_url}/invite.ics"),
        manage_url,
        status: status_label(t, &a.status).to_string(),
        pending: a.status == "pending",
        cancelled: a.status == "cancelled",
    }
}

/// The workspace, booking and (if it still exists) calendar of a genuine
/// token; anything else is the 404 page.
async fn resolve(
    st: &AppState,
    token: &str,
) -> AppResult<(Workspace, Appointment, Option<Calendar>)> {
    let (ws_id, id) = links::verify_manage_token(&st.secret, token).ok_or(AppError::NotFound)?;
    let ws = af_db::workspaces::find_workspace(&st.db, ws_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let a = af_db::appointments::find_appointment(&st.db, ws.id, id)
        .await?
        .filter(|a| a.source == af_db::calendars::SOURCE)
        .ok_or(AppError::NotFound)?;
    let cal = match a.calendar_id {
        Some(c) => match af_db::calendars::get_calendar(&st.db, ws.id, CalendarId(c)).await {
            Ok(c) => Some(c),
            Err(af_db::DbError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    Ok((ws, a, cal))
}

/// Where the invitee can reach the agency when the link may no longer
/// change the booking: WhatsApp when the workspace sends from a WhatsApp
/// number, else its sender email, else the host's email.
struct ContactUs {
    whatsapp: Option<String>,
    email: Option<String>,
}

async fn contact_us(st: &AppState, ws: &Workspace, a: &Appointment) -> AppResult<ContactUs> {
    // Credentials that do not open (a rotated key) only cost the link.
    let creds = af_engine::channels::workspace_credentials(&st.db, &st.secret, ws.id)
        .await
        .map(|(c, _)| c)
        .unwrap_or_default();
    let whatsapp = creds
        .twilio_whatsapp_sender
        .as_deref()
        .map(|n| n.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|d| (7..=15).contains(&d.len()))
        .map(|d| format!("https://wa.me/{d}"));
    let mut email = creds.email_from.filter(|e| e.contains('@'));
    if email.is_none()
        && let Some(h) = a.host_user_id
    {
        email = af_db::users::find_user(&st.db, af_core::UserId(h))
            .await?
            .map(|u| u.email);
    }
    Ok(ContactUs {
        whatsapp,
        email: email.map(|e| format!("mailto:{e}")),
    })
}

#[derive(Template)]
#[template(path = "booking/manage.html")]
struct ManageTemplate {
    b: Brand,
    t: &'static BookingTr,
    token: String,
    cal_name: String,
    c: Confirmation,
    /// Right after booking / rescheduling / cancelling.
    heading: String,
    note: Option<String>,
    alert: Option<String>,
    start_error: Option<String>,
    can_cancel: bool,
    /// The picker when the invitee may still move the booking.
    picker: Option<Picker>,
    /// Why a button is missing (cut-off, cap), with a way to reach us.
    refusals: Vec<&'static str>,
    contact: Option<ContactUs>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ManageQuery {
    month: Option<String>,
    day: Option<String>,
    tz: Option<String>,
    new: Option<String>,
    moved: Option<String>,
}

/// What the page says above the booking.
#[derive(Default)]
struct Said {
    alert: Option<String>,
    start_error: Option<String>,
}

async fn manage_html(
    st: &AppState,
    token: &str,
    q: &ManageQuery,
    locale: Locale,
    said: Said,
) -> AppResult<ManageTemplate> {
    let (ws, a, cal) = resolve(st, token).await?;
    let (t, _) = texts(locale);
    // The invitee's zone: asked, else the one they booked in, else the
    // calendar's.
    let zone_name =
        q.tz.as_deref()
            .filter(|z| jiff::tz::TimeZone::get(z).is_ok())
            .map(str::to_string)
            .or_else(|| a.time_zone.clone())
            .or_else(|| cal.as_ref().map(|c| c.time_zone.clone()))
            .or_else(|| a.organizer_time_zone.clone())
            .unwrap_or_else(|| ws.time_zone.clone());
    let c = confirmation(st, &ws, cal.as_ref(), &a, &zone_name, token, locale);
    let (heading, note) = if q.new.is_some() && !c.cancelled {
        if c.pending {
            (t.pending_title, Some(t.pending_note))
        } else {
            (t.booked_title, None)
        }
    } else if q.moved.is_some() && !c.cancelled {
        (t.manage_title, Some(t.rescheduled_note))
    } else if c.cancelled {
        (t.manage_title, Some(t.cancelled_note))
    } else {
        (t.manage_title, None)
    };
    let mut refusals = Vec::new();
    let mut can_cancel = false;
    let mut pick = None;
    match &cal {
        Some(cal) if !c.cancelled => {
            let (cancel, reschedule) = service::invitee_may(&a, cal, st.now());
            match cancel {
                Ok(()) => can_cancel = true,
                Err(e) => refusals.push(refusal(t, &e, false)),
            }
            match reschedule {
                Ok(()) => {
                    let pq = PickerQuery {
                        month: q.month.clone(),
                        day: q.day.clone(),
                        tz: Some(zone_name.clone()),
                    };
                    let path = format!("/book/manage/{token}");
                    pick = Some(picker(st, cal, &pq, &path, None, locale).await?);
                }
                Err(e) => refusals.push(refusal(t, &e, true)),
            }
        }
        None if !c.cancelled => refusals.push(t.settled),
        _ => {}
    }
    refusals.dedup();
    let contact = if refusals.is_empty() {
        None
    } else {
        Some(contact_us(st, &ws, &a).await?)
    };
    Ok(ManageTemplate {
        b: Brand::of(&ws, locale),
        t,
        token: token.to_string(),
        cal_name: cal
            .as_ref()
            .map_or_else(|| a.title.clone(), |c| c.name.clone()),
        c,
        heading: heading.to_string(),
        note: note.map(str::to_string),
        alert: said.alert,
        start_error: said.start_error,
        can_cancel,
        picker: pick,
        refusals,
        contact,
    })
}

fn refusal(t: &'static BookingTr, e: &ChangeError, reschedule: bool) -> &'static str {
    match e {
        ChangeError::PastCutoff if reschedule => t.past_cutoff_reschedule,
        ChangeError::PastCutoff => t.past_cutoff_cancel,
        ChangeError::TooManyReschedules => t.too_many_reschedules,
        _ => t.settled,
    }
}

/// `GET /book/manage/{token}`
pub(super) async fn manage_page(
    State(st): State<AppState>,
    Path(token): Path<String>,
    RequestLocale(locale): RequestLocale,
    Query(q): Query<ManageQuery>,
) -> AppResult<Response> {
    let page = manage_html(&st, &token, &q, locale, Said::default()).await?;
    Ok(render(&page)?.into_response())
}

/// Fetch Metadata: a browser that says the post comes from another site
/// is refused (the token already makes a forged post impossible; this is
/// the same second wall the session's CSRF layer keeps).
fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|s| s == "cross-site")
}

fn back_to(token: &str, extra: &str) -> Response {
    Redirect::to(&format!("/book/manage/{token}{extra}")).into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    tz: Option<String>,
}

/// Answers a refused change with the page and its explanation.
async fn refused_change(
    st: &AppState,
    token: &str,
    locale: Locale,
    q: ManageQuery,
    e: ChangeError,
    reschedule: bool,
) -> AppResult<Response> {
    let t = BookingTr::get(locale);
    let (status, said) = match e {
        ChangeError::NotFound => return Err(AppError::NotFound),
        ChangeError::Db(e) => return Err(e.into()),
        ChangeError::BadStart => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Said {
                start_error: Some(t.pick_a_time.to_string()),
                ..Said::default()
            },
        ),
        ChangeError::SlotTaken => (
            StatusCode::CONFLICT,
            Said {
                alert: Some(t.slot_taken.to_string()),
                ..Said::default()
            },
        ),
        other => (
            StatusCode::CONFLICT,
            Said {
                alert: Some(refusal(t, &other, reschedule).to_string()),
                ..Said::default()
            },
        ),
    };
    let page = manage_html(st, token, &q, locale, said).await?;
    Ok((status, render(&page)?).into_response())
}

/// `POST /book/manage/{token}/cancel`: within the cancel cut-off, frees
/// the slot; the page then shows the booking as cancelled.
pub(super) async fn cancel(
    State(st): State<AppState>,
    Path(token): Path<String>,
    RequestLocale(locale): RequestLocale,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> AppResult<Response> {
    if cross_site(&headers) {
        return Err(AppError::Csrf);
    }
    let (ws, a, _) = resolve(&st, &token).await?;
    let actor = af_service::intake::public_actor("booking link");
    match service::cancel(&st.db, &ws, a.id, ChangedBy::Invitee, &actor, st.now()).await {
        Ok(_) => {
            tracing::info!(workspace.id = %ws.id, appointment.id = %a.id, "cancelled by the invitee");
            Ok(back_to(&token, &tz_query("?", form.tz.as_deref())))
        }
        Err(e) => {
            let q = ManageQuery {
                tz: form.tz,
                ..ManageQuery::default()
            };
            refused_change(&st, &token, locale, q, e, false).await
        }
    }
}

fn tz_query(lead: &str, tz: Option<&str>) -> String {
    match tz.filter(|z| !z.trim().is_empty()) {
        Some(z) => format!("{lead}tz={}", urlencoding::encode(z.trim())),
        None => String::new(),
    }
}

/// `POST /book/manage/{token}/reschedule` `start`: an atomic swap; a
/// taken time is 409 with the page and the booking untouched.
pub(super) async fn reschedule(
    State(st): State<AppState>,
    Path(token): Path<String>,
    RequestLocale(locale): RequestLocale,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> AppResult<Response> {
    if cross_site(&headers) {
        return Err(AppError::Csrf);
    }
    let (ws, a, _) = resolve(&st, &token).await?;
    let actor = af_service::intake::public_actor("booking link");
    let start = form.start.trim().to_string();
    if start.is_empty() {
        let q = ManageQuery {
            tz: form.tz,
            ..ManageQuery::default()
        };
        return refused_change(&st, &token, locale, q, ChangeError::BadStart, true).await;
    }
    match service::reschedule(
        &st.db,
        &ws,
        a.id,
        &start,
        ChangedBy::Invitee,
        &actor,
        st.now(),
    )
    .await
    {
        Ok(_) => {
            tracing::info!(workspace.id = %ws.id, appointment.id = %a.id, "rescheduled by the invitee");
            Ok(back_to(
                &token,
                &format!("?moved=1{}", tz_query("&", form.tz.as_deref())),
            ))
        }
        Err(e) => {
            // Back on the day the invitee tried.
            let zone = af_core::datetime::zone(form.tz.as_deref().unwrap_or("UTC"));
            let day = start
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|at| at.to_zoned(zone).date());
            let q = ManageQuery {
                month: day.map(|d| d.strftime("%Y-%m").to_string()),
                day: day.map(|d| d.to_string()),
                tz: form.tz,
                ..ManageQuery::default()
            };
            refused_change(&st, &token, locale, q, e, true).await
        }
    }
}

/// `GET /book/manage/{token}/invite.ics`: the invitation as it stands
/// (`METHOD:REQUEST`, or `CANCEL` once cancelled).
pub(super) async fn invite(
    State(st): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let (ws, a, _) = resolve(&st, &token).await?;
    match service::invitation(&st.db, &ws, a.id).await {
        Ok(text) => Ok((
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"invite.ics\"",
                ),
            ],
            text,
        )
            .into_response()),
        Err(ChangeError::Db(e)) => Err(e.into()),
        Err(_) => Err(AppError::NotFound),
    }
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
