//! The team's agenda: a week or a day of the workspace's appointments
//! (native bookings and Cal.com ones) in the workspace's zone, per host,
//! with the status actions — also drawn on the contact page — that go
//! through `af_service::calendars::set_status` (audited transitions; a
//! refused one is a message, not an error page).

use super::edit::contact_label;
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::calendars::CalendarsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::booking::slots::day_start;
use af_core::datetime;
use af_core::{AppointmentId, ContactId, UserId};
use af_db::calendars::{self, AgendaItem};
use af_db::{Ts, workspaces};
use af_service::calendars::{self as service, StatusError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

/// A status button of an appointment.
pub struct Action {
    pub status: &'static str,
    pub label: &'static str,
    /// Asked before posting (cancel).
    pub confirm: &'static str,
}

/// An appointment as the agenda and the contact page draw it.
pub struct ApptView {
    pub id: String,
    pub time: String,
    pub date: String,
    pub contact_id: String,
    pub contact: String,
    pub what: String,
    pub host: String,
    pub status: String,
    pub status_label: &'static str,
    pub badge: &'static str,
    /// Past and still booked: "¿Asistió? Sí / No".
    pub ask_attended: bool,
    pub actions: Vec<Action>,
}

fn badge(status: &str) -> &'static str {
    match status {
        "booked" => "bg-blue-100 text-blue-900",
        "pending" => "bg-amber-100 text-amber-900",
        "completed" => "bg-green-100 text-green-900",
        "no_show" => "bg-red-100 text-red-900",
        _ => "bg-slate-200 text-slate-800",
    }
}

/// The actions the team may take on an appointment now (the service's
/// transitions; cancelling is for native bookings — Cal.com's are
/// cancelled in Cal.com).
fn actions(
    ct: &'static CalendarsTr,
    a: &af_db::appointments::Appointment,
    now: Ts,
) -> (bool, Vec<Action>) {
    let native = a.source == calendars::SOURCE;
    let over = a.ends_at.or(a.starts_at).is_some_and(|end| end.0 <= now.0);
    let cancel = Action {
        status: "cancelled",
        label: ct.act_cancel,
        confirm: ct.cancel_confirm,
    };
    let plain = |status, label| Action {
        status,
        label,
        confirm: "",
    };
    match a.status.as_str() {
        "pending" => {
            let mut v = vec![plain("booked", ct.act_confirm)];
            if native {
                v.push(cancel);
            }
            (false, v)
        }
        "booked" if over => (true, vec![]),
        "booked" if native => (false, vec![cancel]),
        "completed" => (false, vec![plain("no_show", ct.act_no_show)]),
        "no_show" => (false, vec![plain("completed", ct.act_complete)]),
        _ => (false, vec![]),
    }
}

fn view_of(
    ct: &'static CalendarsTr,
    item: AgendaItem,
    members: &[workspaces::Member],
    tz: &TimeZone,
    locale: af_core::Locale,
    now: Ts,
) -> ApptView {
    let a = item.appointment;
    let (ask_attended, actions) = actions(ct, &a, now);
    let time = match (a.starts_at, a.ends_at) {
        (Some(s), Some(e)) => format!(
            "{}–{}",
            datetime::time(s.0, tz, locale),
            datetime::time(e.0, tz, locale)
        ),
        (Some(s), None) => datetime::time(s.0, tz, locale),
        _ => String::new(),
    };
    let what = match (&item.calendar_name, a.source.as_str()) {
        (Some(name), _) => name.clone(),
        (None, "calcom") => format!("{} · {}", a.title, ct.via_calcom),
        _ => a.title.clone(),
    };
    ApptView {
        id: a.id.to_string(),
        time,
        date: a
            .starts_at
            .map(|s| datetime::date(s.0, tz, locale))
            .unwrap_or_default(),
        contact_id: a.contact_id.to_string(),
        contact: contact_label(
            item.first_name.as_deref(),
            item.last_name.as_deref(),
            item.contact_email.as_deref(),
        ),
        what,
        host: a
            .host_user_id
            .and_then(|h| members.iter().find(|m| m.user_id.0 == h))
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        status_label: ct.status(&a.status),
        badge: badge(&a.status),
        status: a.status,
        ask_attended,
        actions,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct AgendaQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    host: String,
}

pub struct DayView {
    pub label: String,
    pub is_today: bool,
    pub items: Vec<ApptView>,
}

pub struct HostChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "calendars/agenda.html")]
struct AgendaTemplate {
    shell: Shell,
    ct: &'static CalendarsTr,
    week: bool,
    title: String,
    days: Vec<DayView>,
    hosts: Vec<HostChoice>,
    /// No appointment in the whole range (a phone hides empty days).
    all_empty: bool,
    prev: String,
    next: String,
    today: String,
    week_link: String,
    day_link: String,
    zone_note: String,
    back: String,
    js: String,
}

fn link(week: bool, date: Date, host: &str) -> String {
    let mut s = format!(
        "/calendars/agenda?view={}&date={date}",
        if week { "week" } else { "day" }
    );
    if !host.is_empty() {
        s.push_str("&host=");
        s.push_str(host);
    }
    s
}

/// `GET /calendars/agenda?view=week|day&date=YYYY-MM-DD&host=`
pub(super) async fn agenda_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<AgendaQuery>,
) -> AppResult<Html<String>> {
    let locale = cu.locale();
    let ct = CalendarsTr::get(locale);
    let tz = datetime::zone(&cu.workspace.time_zone);
    let now = st.now();
    let today = now.0.to_zoned(tz.clone()).date();
    let date = q.date.trim().parse::<Date>().unwrap_or(today);
    let week = q.view != "day";
    let (first, len) = if week {
        let back = i64::from(date.weekday().to_monday_zero_offset());
        (
            date.checked_sub(jiff::Span::new().days(back))
                .unwrap_or(date),
            7,
        )
    } else {
        (date, 1)
    };
    let dates: Vec<Date> = (0..len)
        .filter_map(|i| first.checked_add(jiff::Span::new().days(i)).ok())
        .collect();
    let after = dates
        .last()
        .and_then(|d| d.tomorrow().ok())
        .unwrap_or(first);
    let (Some(from), Some(until)) = (day_start(&tz, first), day_start(&tz, after)) else {
        return Err(AppError::NotFound);
    };
    let host: Option<UserId> = q.host.trim().parse().ok();
    let host_text = host.map(|h| h.to_string()).unwrap_or_default();
    let members = workspaces::list_members(&st.db, cu.workspace.id).await?;
    let items =
        calendars::list_agenda(&st.db, cu.workspace.id, Ts::new(from), Ts::new(until), host)
            .await?;
    let mut days: Vec<DayView> = dates
        .iter()
        .map(|d| DayView {
            label: day_start(&tz, *d)
                .map(|t| datetime::date(t, &tz, locale))
                .unwrap_or_else(|| d.to_string()),
            is_today: *d == today,
            items: vec![],
        })
        .collect();
    for item in items {
        let Some(start) = item.appointment.starts_at else {
            continue;
        };
        let day = start.0.to_zoned(tz.clone()).date();
        if let Some(i) = dates.iter().position(|d| *d == day)
            && let Some(slot) = days.get_mut(i)
        {
            slot.items
                .push(view_of(ct, item, &members, &tz, locale, now));
        }
    }
    let step = jiff::Span::new().days(if week { 7 } else { 1 });
    let title = match (days.first(), days.last()) {
        (Some(a), Some(b)) if week => format!("{} – {}", a.label, b.label),
        (Some(a), _) => a.label.clone(),
        _ => String::new(),
    };
    render(&AgendaTemplate {
        ct,
        week,
        title,
        hosts: members
            .iter()
            .map(|m| HostChoice {
                id: m.user_id.to_string(),
                name: m.name.clone(),
                selected: Some(m.user_id) == host,
            })
            .collect(),
        prev: link(week, date.checked_sub(step).unwrap_or(date), &host_text),
        next: link(week, date.checked_add(step).unwrap_or(date), &host_text),
        today: link(week, today, &host_text),
        week_link: link(true, date, &host_text),
        day_link: link(false, date, &host_text),
        back: link(week, date, &host_text),
        zone_note: ct.shown_in_zone.replace("{zone}", &cu.workspace.time_zone),
        all_empty: days.iter().all(|d| d.items.is_empty()),
        days,
        js: crate::assets::url_of("js/calendars.js"),
        shell: Shell::new(&cu, Area::Calendars).await?,
    })
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    status: String,
    #[serde(default)]
    back: String,
}

/// Where to go after an action: the page it came from, if it is ours.
fn safe_back(back: &str) -> &str {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back
    } else {
        "/calendars/agenda"
    }
}

/// `POST /calendars/appointments/{id}/status` (any member: hosts mark
/// attendance): the move, or a message saying it is not allowed.
pub(super) async fn set_status(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<AppointmentId>,
    axum::Form(f): axum::Form<StatusForm>,
) -> AppResult<Response> {
    let ct = CalendarsTr::get(cu.locale());
    match service::set_status(
        &st.db,
        &cu.workspace,
        id,
        f.status.trim(),
        &cu.actor(),
        st.now(),
    )
    .await
    {
        Ok(_) => set_flash(&cu.session, true, ct.status_changed).await?,
        Err(StatusError::NotFound) => return Err(AppError::NotFound),
        Err(StatusError::InvalidTransition { .. }) => {
            set_flash(&cu.session, false, ct.status_refused).await?;
        }
        Err(StatusError::Db(e)) => return Err(e.into()),
    }
    Ok(Redirect::to(safe_back(&f.back)).into_response())
}

#[derive(Template)]
#[template(path = "calendars/_contact_appointments.html")]
struct ContactAppointments {
    ct: &'static CalendarsTr,
    csrf: String,
    back: String,
    upcoming: Vec<ApptView>,
    past: Vec<ApptView>,
}

/// The contact page's appointments section: upcoming (soonest first) and
/// past, with the same actions as the agenda.
pub(crate) async fn contact_section(
    st: &AppState,
    cu: &CurrentUser,
    contact: ContactId,
    csrf: &str,
) -> AppResult<String> {
    let locale = cu.locale();
    let ct = CalendarsTr::get(locale);
    let tz = datetime::zone(&cu.workspace.time_zone);
    let now = st.now();
    let members = workspaces::list_members(&st.db, cu.workspace.id).await?;
    let items = calendars::list_contact_agenda(&st.db, cu.workspace.id, contact, 100).await?;
    let (mut upcoming, mut past) = (Vec::new(), Vec::new());
    for item in items {
        let future = item.appointment.starts_at.is_some_and(|s| s.0 > now.0);
        let v = view_of(ct, item, &members, &tz, locale, now);
        if future {
            upcoming.push(v);
        } else {
            past.push(v);
        }
    }
    upcoming.reverse();
    crate::extract::render_fragment(&ContactAppointments {
        ct,
        csrf: csrf.to_string(),
        back: format!("/contacts/{contact}"),
        upcoming,
        past,
    })
}
