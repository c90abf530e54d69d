//! A workspace's public calendars and one calendar's booking page: the
//! month view in the visitor's zone, the questions, and the booking post
//! (urlencoded from the page, JSON from the embed widget), plus the JSON
//! the widget reads (`schema`, `slots`). Unknown, inactive or another
//! workspace's calendars are the 404 page in the visitor's language.

use super::{
    Brand, FieldView, Picker, PickerQuery, booking_fields, field_views, host_workspace,
    location_text, picker, public_calendar, texts,
};
use crate::auth::ClientIp;
use crate::error::{AppError, AppResult};
use crate::extract::render;
use crate::i18n::booking::BookingTr;
use crate::intake::{self as door, MAX_PUBLIC_BODY};
use crate::pages::forms::public::submit_error;
use crate::state::{AppState, RequestLocale};
use af_core::Locale;
use af_core::booking::links;
use af_db::calendars::Calendar;
use af_db::workspaces::Workspace;
use af_service::calendars::{self as service, BookingError, BookingRequest, MAX_SLOT_DAYS};
use af_service::forms::{ATTRIBUTION_KEYS, FieldSpec, MAX_TEXT};
use askama::Template;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

// ------------------------------------------------------------------ list

/// One calendar in the workspace's list.
struct CalendarItem {
    name: String,
    description: String,
    duration: i32,
    location: String,
    href: String,
}

#[derive(Template)]
#[template(path = "booking/list.html")]
struct ListTemplate {
    b: Brand,
    t: &'static BookingTr,
    items: Vec<CalendarItem>,
}

async fn list_page(
    st: &AppState,
    ws_slug: &str,
    locale: Locale,
    host_mode: bool,
) -> AppResult<Response> {
    let ws = af_db::workspaces::find_workspace_by_slug(&st.db, ws_slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let (t, _) = texts(locale);
    let items = af_db::calendars::list_calendars(&st.db, ws.id)
        .await?
        .into_iter()
        .filter(|c| c.active)
        .map(|c| CalendarItem {
            href: if host_mode {
                format!("/book/{}", c.slug)
            } else {
                format!("/book/{}/{}", ws.slug, c.slug)
            },
            location: location_text(t, &c.location_kind, &c.location),
            name: c.name,
            description: c.description,
            duration: c.duration_minutes,
        })
        .collect();
    Ok(render(&ListTemplate {
        b: Brand::of(&ws, locale),
        t,
        items,
    })?
    .into_response())
}

/// `GET /book`: on `{workspace}.{BASE_DOMAIN}`, that workspace's list.
pub(super) async fn host_list(
    State(st): State<AppState>,
    RequestLocale(locale): RequestLocale,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ws = host_workspace(&st, &headers).ok_or(AppError::NotFound)?;
    list_page(&st, &ws, locale, true).await
}

/// `GET /book/{slug}`: the workspace's list, or on a base-domain host that
/// workspace's calendar `{slug}`.
pub(super) async fn list_or_host_calendar(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    RequestLocale(locale): RequestLocale,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AppResult<Response> {
    match host_workspace(&st, &headers) {
        Some(ws) => {
            let path = format!("/book/{slug}");
            show_calendar(&st, &ws, &slug, path, locale, q, &headers).await
        }
        None => list_page(&st, &slug, locale, false).await,
    }
}

// -------------------------------------------------------- calendar page

#[derive(Template)]
#[template(path = "booking/calendar.html")]
struct CalendarTemplate {
    b: Brand,
    t: &'static BookingTr,
    cal_name: String,
    description: String,
    duration: i32,
    location: String,
    picker: Picker,
    fields: Vec<FieldView>,
    attribution: Vec<(String, String)>,
    /// Above the form: a taken slot, a closed calendar.
    alert: Option<String>,
    start_error: Option<String>,
    has_errors: bool,
}

/// What the page shows after a refused post: the values typed, the
/// refusals, and the alert.
#[derive(Default)]
struct Retry {
    values: Vec<(String, String)>,
    errors: HashMap<String, String>,
    alert: Option<String>,
}

#[expect(clippy::too_many_arguments, reason = "one page, its parts named")]
async fn calendar_html(
    st: &AppState,
    ws: &Workspace,
    cal: &Calendar,
    path: &str,
    locale: Locale,
    q: &PickerQuery,
    retry: Retry,
    attribution: Vec<(String, String)>,
) -> AppResult<CalendarTemplate> {
    let (t, _) = texts(locale);
    let checked = retry
        .values
        .iter()
        .find(|(k, _)| k == "start")
        .map(|(_, v)| v.clone());
    let picker = picker(st, cal, q, path, checked.as_deref(), locale).await?;
    let start_error = retry.errors.get("start").cloned();
    Ok(CalendarTemplate {
        b: Brand::of(ws, locale).keeping(q),
        t,
        cal_name: cal.name.clone(),
        description: cal.description.clone(),
        duration: cal.duration_minutes,
        location: location_text(t, &cal.location_kind, &cal.location),
        picker,
        fields: field_views(&booking_fields(cal), locale, &retry.values, &retry.errors),
        attribution,
        has_errors: !retry.errors.is_empty(),
        alert: retry.alert,
        start_error,
    })
}

fn picker_query(q: &HashMap<String, String>) -> PickerQuery {
    PickerQuery {
        month: q.get("month").cloned(),
        day: q.get("day").cloned(),
        tz: q.get("tz").or_else(|| q.get("time_zone")).cloned(),
    }
}

/// The attribution keys among `values`, capped like forms cap them.
fn attribution_of<'a>(
    values: impl Iterator<Item = (&'a String, &'a String)>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in values {
        if ATTRIBUTION_KEYS.contains(&k.as_str()) && !out.iter().any(|(n, _)| n == k) {
            out.push((k.clone(), v.chars().take(MAX_TEXT).collect()));
        }
    }
    out
}

async fn show_calendar(
    st: &AppState,
    ws_slug: &str,
    cal_slug: &str,
    path: String,
    locale: Locale,
    mut q: HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let (ws, cal) = public_calendar(st, ws_slug, cal_slug)
        .await?
        .ok_or(AppError::NotFound)?;
    // UTM parameters of the link travel in hidden inputs, with the
    // referrer and this page as the landing page (as hosted forms do).
    if !q.contains_key("referrer")
        && let Some(r) = headers.get(header::REFERER).and_then(|v| v.to_str().ok())
    {
        q.insert("referrer".into(), r.to_string());
    }
    q.entry("landing_page".into())
        .or_insert_with(|| links::calendar_page_url(&st.config.base_url, &ws.slug, &cal.slug));
    let attribution = attribution_of(q.iter());
    let page = calendar_html(
        st,
        &ws,
        &cal,
        &path,
        locale,
        &picker_query(&q),
        Retry::default(),
        attribution,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// `GET /book/{workspace}/{calendar}?month=YYYY-MM&day=YYYY-MM-DD&tz=Area/City`
pub(super) async fn calendar_page(
    State(st): State<AppState>,
    Path((ws, cal)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let path = format!("/book/{ws}/{cal}");
    show_calendar(&st, &ws, &cal, path, locale, q, &headers).await
}

// ---------------------------------------------------------------- booking

/// Posted values as name/value pairs: urlencoded bodies as they are; JSON
/// objects flattened (`answers` and `attribution` objects open into their
/// keys, lists repeat their key, `true` is `true`, `false` empty).
fn pairs_from_json(v: Value) -> Result<Vec<(String, String)>, ()> {
    fn scalar(v: &Value) -> Result<Option<String>, ()> {
        Ok(match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "true" } else { "" }.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            _ => return Err(()),
        })
    }
    fn push(out: &mut Vec<(String, String)>, k: &str, v: &Value) -> Result<(), ()> {
        match v {
            Value::Array(items) => {
                for i in items.iter().take(60) {
                    if let Some(s) = scalar(i)? {
                        out.push((k.to_string(), s));
                    }
                }
            }
            other => {
                if let Some(s) = scalar(other)? {
                    out.push((k.to_string(), s));
                }
            }
        }
        Ok(())
    }
    let Value::Object(map) = v else {
        return Err(());
    };
    let mut out = Vec::new();
    for (k, v) in &map {
        match (k.as_str(), v) {
            ("answers" | "attribution", Value::Object(inner)) => {
                for (ik, iv) in inner {
                    push(&mut out, ik, iv)?;
                }
            }
            _ => push(&mut out, k, v)?,
        }
    }
    Ok(out)
}

/// The booking request the posted pairs make: the fixed fields, each
/// question's answer (a multiselect's every choice), the attribution.
fn request_of(pairs: &[(String, String)], questions: &[FieldSpec]) -> BookingRequest {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut answers = serde_json::Map::new();
    for q in questions {
        if q.kind == "multiselect" {
            let all: Vec<Value> = pairs
                .iter()
                .filter(|(n, _)| *n == q.name)
                .map(|(_, v)| Value::String(v.clone()))
                .collect();
            answers.insert(q.name.clone(), Value::Array(all));
        } else if let Some(v) = get(&q.name) {
            answers.insert(q.name.clone(), Value::String(v));
        }
    }
    BookingRequest {
        start: get("start").unwrap_or_default(),
        name: get("name").unwrap_or_default(),
        email: get("email").unwrap_or_default(),
        phone: get("phone").filter(|p| !p.trim().is_empty()),
        time_zone: get("time_zone").filter(|z| !z.trim().is_empty()),
        answers,
        attribution: attribution_of(pairs.iter().map(|(k, v)| (k, v)))
            .into_iter()
            .collect(),
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    let is = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("application/json"))
    };
    is(header::CONTENT_TYPE) || is(header::ACCEPT)
}

/// A JSON answer to the widget (any origin may read it: it carries
/// nothing but what the visitor sent and public times).
fn cors_json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The booking widget's error: `{"ok": false, "error": {"code", "message"}}`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"ok": false, "error": {"code": "slot_unavailable", "message": "Ese horario ya no está disponible. Elige otro."}, "next_slots": [{"start": "2030-01-07T10:00:00-06:00", "label": "10:00"}]}))]
pub struct WidgetErrorBody {
    /// Always false.
    pub ok: bool,
    pub error: WidgetError,
    /// With `invalid`: each field at fault and why, in the visitor's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// With `slot_unavailable`: the free times left that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_slots: Option<Vec<NextSlotOut>>,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct WidgetError {
    /// `not_found`, `bad_request`, `too_large`, `rate_limited`, `invalid`, `slot_unavailable` or `internal`.
    #[schema(example = "slot_unavailable")]
    pub code: String,
    /// A sentence for the visitor, in their language.
    pub message: String,
}

/// A free time offered after a lost race.
#[derive(Serialize, ToSchema)]
pub struct NextSlotOut {
    /// Start, RFC 3339 with the zone's offset.
    #[schema(example = "2030-01-07T10:00:00-06:00")]
    pub start: String,
    /// The time as the visitor reads it.
    #[schema(example = "10:00")]
    pub label: String,
}

impl WidgetErrorBody {
    fn new(code: &str, message: &str) -> Self {
        Self {
            ok: false,
            error: WidgetError {
                code: code.into(),
                message: message.into(),
            },
            fields: None,
            next_slots: None,
        }
    }
}

fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    cors_json(status, &WidgetErrorBody::new(code, message))
}

/// The free times left on the day of `start` (in `zone`) after it: what a
/// visitor who lost a race is offered.
async fn next_slots(
    st: &AppState,
    cal: &Calendar,
    zone: &TimeZone,
    start: &str,
) -> Result<Vec<jiff::Timestamp>, af_db::DbError> {
    let Ok(at) = start.trim().parse::<jiff::Timestamp>() else {
        return Ok(Vec::new());
    };
    let day = at.to_zoned(zone.clone()).date();
    Ok(
        service::slots_in_zone(&st.db, cal, zone, day, day, st.now())
            .await?
            .into_iter()
            .map(|s| s.start)
            .filter(|s| *s > at)
            .collect(),
    )
}

/// `POST /book/{slug}` on a base-domain host: books that workspace's
/// calendar `{slug}`.
pub(super) async fn host_book(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(ws) = host_workspace(&st, &headers) else {
        return AppError::NotFound.into_response();
    };
    let path = format!("/book/{slug}");
    book_in(&st, &ws, &slug, path, locale, &ip, &headers, body).await
}

/// A booking made from the widget.
#[derive(Serialize, ToSchema)]
pub struct WidgetBookedOut {
    /// Always true.
    pub ok: bool,
    pub id: af_core::AppointmentId,
    pub start: Option<af_db::Ts>,
    pub end: Option<af_db::Ts>,
    /// `confirmed`, or `pending` when the calendar requires confirmation.
    #[schema(example = "confirmed")]
    pub status: String,
    /// The invitee's signed link to see, cancel or reschedule.
    pub manage_url: String,
    /// The invitation (`.ics`).
    pub ics_url: String,
    /// Adds the meeting to Google Calendar.
    pub google_url: String,
    /// The date and time, as the visitor reads them.
    #[schema(example = "lunes 7 de enero, 09:00")]
    pub when: String,
    /// Where the meeting happens, as the visitor reads it.
    pub location: String,
    /// The confirmation's heading.
    pub title: String,
    /// A note for a pending booking ("" otherwise).
    pub message: String,
}

/// A booking from the widget (JSON) or the page (urlencoded, the same names): a slot's start, the contact's details, the calendar's questions by name and attribution.
#[derive(serde::Deserialize, ToSchema)]
#[schema(example = json!({"start": "2030-01-07T09:00:00-06:00", "name": "Lucía Pérez", "email": "lucia@example.com", "phone": "+52 55 1234 5678", "time_zone": "America/Mexico_City", "budget": "10k", "utm_source": "google"}))]
pub struct WidgetBookingIn {
    /// A free slot's start, RFC 3339 with its offset.
    pub start: String,
    /// The invitee's name.
    pub name: String,
    /// The invitee's email.
    pub email: String,
    /// The invitee's phone.
    pub phone: Option<String>,
    /// The invitee's IANA zone, for the confirmation.
    pub time_zone: Option<String>,
    /// Answers to the calendar's questions and attribution, by name.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, Value>,
}

/// Book on a public calendar
///
/// A booking, JSON (the embed widget, other systems) or urlencoded (the booking page, which gets pages back: a redirect to the confirmation). Rate limits per IP and per calendar (429), the body cap (413); then refused fields are 422, a taken slot 409 with the day's next free times, success 201. JSON callers send `Content-Type` or `Accept: application/json`.
#[utoipa::path(
    post,
    path = "/book/{workspace}/{calendar}",
    operation_id = "booking_public_book",
    tag = "Lead intake",
    params(
        ("workspace" = String, Path, description = "The workspace's slug."),
        ("calendar" = String, Path, description = "The calendar's slug."),
    ),
    request_body(content(
        (WidgetBookingIn = "application/json"),
        (WidgetBookingIn = "application/x-www-form-urlencoded"),
    )),
    security(()),
    responses(
        (status = 201, description = "Booked (JSON callers).", body = WidgetBookedOut),
        (status = 303, description = "Booked (the page): to the confirmation."),
        (status = 400, description = "Not a booking.", body = WidgetErrorBody),
        (status = 404, description = "No such calendar, or it takes no bookings.", body = WidgetErrorBody),
        (status = 409, description = "`slot_unavailable`: taken meanwhile; `next_slots` offers the day's next free times.", body = WidgetErrorBody),
        (status = 413, description = "The body is too large, or has too many fields.", body = WidgetErrorBody),
        (status = 422, description = "Refused values, each beside its field.", body = WidgetErrorBody),
        (status = 429, description = "Too many bookings from this address or on this calendar: wait `Retry-After` seconds.", body = WidgetErrorBody),
    ),
)]
pub(super) async fn book(
    State(st): State<AppState>,
    Path((ws, cal)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = format!("/book/{ws}/{cal}");
    book_in(&st, &ws, &cal, path, locale, &ip, &headers, body).await
}

#[expect(clippy::too_many_arguments, reason = "the two doors' shared body")]
async fn book_in(
    st: &AppState,
    ws_slug: &str,
    cal_slug: &str,
    path: String,
    locale: Locale,
    ip: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let json = wants_json(headers);
    let (t, f) = texts(locale);
    let internal = |e: anyhow::Error| {
        let e = e.context("booking");
        if json {
            tracing::error!(error = format!("{e:#}"), "booking failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                t.widget_failed,
            )
        } else {
            AppError::Internal(e).into_response()
        }
    };
    let (ws, cal) = match public_calendar(st, ws_slug, cal_slug).await {
        Ok(Some(found)) => found,
        Ok(None) if json => {
            return json_error(StatusCode::NOT_FOUND, "not_found", t.closed);
        }
        Ok(None) => return AppError::NotFound.into_response(),
        Err(e) => return internal(e.into()),
    };
    let ip_hash = af_service::intake::ip_hash(&st.secret, ip);
    let buckets = [
        (format!("ip:{ip_hash}"), st.config.intake_max_per_ip),
        (
            format!("calendar:{}", cal.id),
            st.config.intake_max_per_form,
        ),
    ];
    match door::rate_limit(st, &buckets).await {
        Ok(Ok(())) => {}
        Ok(Err(retry_after_secs)) if json => {
            let mut res = json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                t.widget_failed,
            );
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        Ok(Err(retry_after_secs)) => {
            return AppError::TooManyRequests { retry_after_secs }.into_response();
        }
        Err(e) => return internal(e.into()),
    }
    let Some(bytes) = door::read_body(body, MAX_PUBLIC_BODY).await else {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            &format!("body: larger than {MAX_PUBLIC_BODY} bytes"),
        );
    };
    let is_json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    let pairs = if is_json_body {
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|_| ())
            .and_then(pairs_from_json)
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).map_err(|_| ())
    };
    let Ok(pairs) = pairs else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "body: not a booking",
        );
    };
    if pairs.len() > 200 {
        return json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "body: too many fields",
        );
    }
    let questions = service::questions_of(&cal);
    let req = request_of(&pairs, &questions);
    let (zone_name, zone) = super::zone_or(req.time_zone.as_deref(), &cal.time_zone);
    let ctx = Again {
        st,
        ws: &ws,
        cal: &cal,
        path: &path,
        locale,
        zone_name: &zone_name,
        pairs: &pairs,
    };
    match service::book(&st.db, &ws, &cal, &req, st.now()).await {
        Ok(b) => {
            let token = links::manage_token(&st.secret, ws.id, b.appointment.id);
            tracing::info!(workspace.id = %ws.id, calendar.id = %cal.id, appointment.id = %b.appointment.id, "booked on the public page");
            if json {
                let c = super::manage::confirmation(
                    st,
                    &ws,
                    Some(&cal),
                    &b.appointment,
                    &zone_name,
                    &token,
                    locale,
                );
                let pending = b.appointment.status == "pending";
                return cors_json(
                    StatusCode::CREATED,
                    &WidgetBookedOut {
                        ok: true,
                        id: b.appointment.id,
                        start: b.appointment.starts_at,
                        end: b.appointment.ends_at,
                        status: b.appointment.status.clone(),
                        manage_url: c.manage_url,
                        ics_url: c.ics_url,
                        google_url: c.google_url,
                        when: c.when,
                        location: c.location,
                        title: if pending {
                            t.pending_title
                        } else {
                            t.booked_title
                        }
                        .into(),
                        message: if pending { t.pending_note } else { "" }.into(),
                    },
                );
            }
            let to = format!(
                "/book/manage/{token}?new=1&tz={}",
                urlencoding::encode(&zone_name)
            );
            Redirect::to(&to).into_response()
        }
        Err(BookingError::SlotTaken) => {
            let next = match next_slots(st, &cal, &zone, &req.start).await {
                Ok(n) => n,
                Err(e) => return internal(e.into()),
            };
            if json {
                let slots: Vec<NextSlotOut> = next
                    .iter()
                    .map(|s| NextSlotOut {
                        start: s
                            .to_zoned(zone.clone())
                            .strftime("%Y-%m-%dT%H:%M:%S%:z")
                            .to_string(),
                        label: af_core::datetime::time(*s, &zone, locale),
                    })
                    .collect();
                let message = if next.is_empty() {
                    t.slot_taken_none
                } else {
                    t.slot_taken
                };
                return cors_json(
                    StatusCode::CONFLICT,
                    &WidgetErrorBody {
                        next_slots: Some(slots),
                        ..WidgetErrorBody::new("slot_unavailable", message)
                    },
                );
            }
            let alert = if next.is_empty() {
                t.slot_taken_none
            } else {
                t.slot_taken
            };
            // The refused start is not re-checked: its radio is gone.
            let values: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| k != "start")
                .cloned()
                .collect();
            let mut retry = Retry {
                values,
                alert: Some(alert.to_string()),
                ..Retry::default()
            };
            retry.values.push(("start".into(), String::new()));
            ctx.page(StatusCode::CONFLICT, retry).await
        }
        Err(BookingError::BadStart) => {
            ctx.refused(json, vec![("start".into(), t.pick_a_time.to_string())])
                .await
        }
        Err(BookingError::Answers(errors)) => {
            let fields: Vec<(String, String)> =
                errors.into_iter().map(|e| submit_error(f, e)).collect();
            ctx.refused(json, fields).await
        }
        Err(BookingError::Closed) if json => {
            json_error(StatusCode::NOT_FOUND, "not_found", t.closed)
        }
        Err(BookingError::Closed) => AppError::NotFound.into_response(),
        Err(BookingError::Db(e)) => internal(e.into()),
    }
}

/// What a refused booking needs to show the page again.
struct Again<'a> {
    st: &'a AppState,
    ws: &'a Workspace,
    cal: &'a Calendar,
    path: &'a str,
    locale: Locale,
    zone_name: &'a str,
    pairs: &'a [(String, String)],
}

impl Again<'_> {
    /// The page again, on the day of the posted start (in the visitor's
    /// zone), with what was typed and why it was refused.
    async fn page(&self, status: StatusCode, retry: Retry) -> Response {
        let (_, zone) = super::zone_or(Some(self.zone_name), &self.cal.time_zone);
        let day = self
            .pairs
            .iter()
            .find(|(k, _)| k == "start")
            .and_then(|(_, v)| v.trim().parse::<jiff::Timestamp>().ok())
            .map(|at| at.to_zoned(zone.clone()).date());
        let q = PickerQuery {
            month: day.map(|d| d.strftime("%Y-%m").to_string()),
            day: day.map(|d| d.to_string()),
            tz: Some(self.zone_name.to_string()),
        };
        let attribution = attribution_of(self.pairs.iter().map(|(k, v)| (k, v)));
        match calendar_html(
            self.st,
            self.ws,
            self.cal,
            self.path,
            self.locale,
            &q,
            retry,
            attribution,
        )
        .await
        {
            Ok(page) => (status, render(&page)).into_response(),
            Err(e) => e.into_response(),
        }
    }

    /// 422: the refused fields as JSON, or the page again with each
    /// message beside its field.
    async fn refused(&self, json: bool, fields: Vec<(String, String)>) -> Response {
        if json {
            let map: BTreeMap<String, String> = fields.iter().cloned().collect();
            let first = fields
                .first()
                .map(|(k, m)| format!("{k}: {m}"))
                .unwrap_or_default();
            return cors_json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &WidgetErrorBody {
                    fields: Some(map),
                    ..WidgetErrorBody::new("invalid", &first)
                },
            );
        }
        self.page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Retry {
                values: self.pairs.to_vec(),
                errors: fields.into_iter().collect(),
                alert: None,
            },
        )
        .await
    }
}

// ------------------------------------------------------- widget's JSON

/// A field of the booking form, as the widget renders it.
#[derive(Serialize, ToSchema)]
pub struct WidgetFieldOut {
    /// The answer's key.
    #[schema(example = "email")]
    pub name: String,
    /// `text`, `textarea`, `email`, `phone`, `select`, `multiselect`, `checkbox` or `number`.
    #[serde(rename = "type")]
    #[schema(example = "email")]
    pub kind: String,
    /// The label in the visitor's language.
    #[schema(example = "Correo")]
    pub label: String,
    /// The hint in the visitor's language ("" for none).
    pub placeholder: String,
    /// Whether an answer is required.
    pub required: bool,
    /// Choices of a select or multiselect.
    pub options: Vec<String>,
    /// Longest answer accepted, in characters.
    #[schema(example = 254)]
    pub max_length: usize,
}

/// The widget's texts in the visitor's language.
#[derive(Serialize, ToSchema)]
pub struct WidgetTextsOut {
    pub choose_day: String,
    pub choose_time: String,
    pub no_times: String,
    pub your_details: String,
    pub book: String,
    pub sending: String,
    pub failed: String,
    pub time_zone: String,
    pub add_google: String,
    pub download_ics: String,
    pub manage_link: String,
    pub back: String,
    pub required: String,
    pub too_long: String,
    pub invalid_email: String,
    pub invalid_phone: String,
    pub invalid_choice: String,
    pub invalid_number: String,
    pub pick_a_time: String,
}

/// What the booking widget renders.
#[derive(Serialize, ToSchema)]
pub struct WidgetSchemaOut {
    /// Always true.
    pub ok: bool,
    /// The language of the texts: `es` or `en`.
    #[schema(example = "es")]
    pub lang: String,
    /// The workspace's name.
    pub workspace: String,
    /// The calendar's name.
    pub name: String,
    /// The calendar's description.
    pub description: String,
    /// Length of a meeting.
    #[schema(example = 30)]
    pub duration_minutes: i32,
    /// Where the meeting happens, as the visitor reads it.
    pub location: String,
    /// The calendar's IANA zone.
    #[schema(example = "America/Mexico_City")]
    pub time_zone: String,
    /// How many days ahead can be booked.
    #[schema(example = 30)]
    pub horizon_days: i32,
    /// The workspace's colour, `#rrggbb`.
    #[schema(example = "#4f46e5")]
    pub brand_color: Option<String>,
    /// Name, email, phone and the calendar's questions.
    pub fields: Vec<WidgetFieldOut>,
    /// Where to post the booking.
    pub action: String,
    /// Where to ask for free slots.
    pub slots_url: String,
    pub texts: WidgetTextsOut,
}

/// Get a public calendar's schema
///
/// What the embed widget renders: texts in the visitor's language (`?lang=`), the fields and where to post. No key needed.
#[utoipa::path(
    get,
    path = "/book/{workspace}/{calendar}/schema",
    operation_id = "booking_public_schema",
    tag = "Lead intake",
    params(
        ("workspace" = String, Path, description = "The workspace's slug."),
        ("calendar" = String, Path, description = "The calendar's slug."),
        ("lang" = Option<String>, Query, description = "`es` or `en` (default: the browser's language)."),
    ),
    security(()),
    responses(
        (status = 200, description = "The calendar's schema.", body = WidgetSchemaOut),
        (status = 404, description = "No such calendar, or it takes no bookings.", body = WidgetErrorBody),
    ),
)]
pub(super) async fn schema(
    State(st): State<AppState>,
    Path((ws_slug, cal_slug)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
) -> Response {
    let (t, f) = texts(locale);
    let (ws, cal) = match public_calendar(&st, &ws_slug, &cal_slug).await {
        Ok(Some(found)) => found,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, "not_found", t.closed),
        Err(e) => {
            tracing::error!(error = %e, "booking schema");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                t.widget_failed,
            );
        }
    };
    let fields = booking_fields(&cal)
        .iter()
        .map(|q| WidgetFieldOut {
            name: q.name.clone(),
            kind: q.kind.clone(),
            label: q.label_in(locale).to_string(),
            placeholder: q.placeholder_in(locale).to_string(),
            required: q.required,
            options: q.options.clone(),
            max_length: q.max_len(),
        })
        .collect();
    let path = format!("/book/{}/{}", ws.slug, cal.slug);
    let texts = WidgetTextsOut {
        choose_day: t.choose_day.into(),
        choose_time: t.choose_time.into(),
        no_times: t.no_times_month.into(),
        your_details: t.your_details.into(),
        book: t.book.into(),
        sending: t.sending.into(),
        failed: t.widget_failed.into(),
        time_zone: t.time_zone.into(),
        add_google: t.add_google.into(),
        download_ics: t.download_ics.into(),
        manage_link: t.manage_link.into(),
        back: t.back.into(),
        required: f.required.into(),
        too_long: f.too_long.into(),
        invalid_email: f.invalid_email.into(),
        invalid_phone: f.invalid_phone.into(),
        invalid_choice: f.invalid_choice.into(),
        invalid_number: f.invalid_number.into(),
        pick_a_time: t.pick_a_time.into(),
    };
    cors_json(
        StatusCode::OK,
        &WidgetSchemaOut {
            ok: true,
            lang: locale.as_str().to_string(),
            workspace: ws.name.clone(),
            name: cal.name.clone(),
            description: cal.description.clone(),
            duration_minutes: cal.duration_minutes,
            location: location_text(t, &cal.location_kind, &cal.location),
            time_zone: cal.time_zone.clone(),
            horizon_days: cal.horizon_days.clamp(1, MAX_SLOT_DAYS),
            brand_color: ws.brand_color.clone(),
            fields,
            action: st.link(&path),
            slots_url: st.link(&format!("{path}/slots")),
            texts,
        },
    )
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SlotsQuery {
    /// First date, `YYYY-MM-DD`.
    #[param(example = "2030-01-07")]
    from: String,
    /// Last date, `YYYY-MM-DD`, at most 62 days after `from`.
    #[param(example = "2030-01-11")]
    to: String,
    /// IANA zone the dates and times are in (default: the calendar's).
    #[param(example = "America/Bogota")]
    time_zone: Option<String>,
}

/// Free slots for the widget.
#[derive(Serialize, ToSchema)]
pub struct WidgetSlotsOut {
    /// Always true.
    pub ok: bool,
    /// The zone the times are written in.
    #[schema(example = "America/Mexico_City")]
    pub time_zone: String,
    pub slots: Vec<WidgetSlotOut>,
}

/// A free slot, with labels for the visitor.
#[derive(Serialize, ToSchema)]
pub struct WidgetSlotOut {
    /// Start, RFC 3339 with the zone's offset.
    #[schema(example = "2030-01-07T09:00:00-06:00")]
    pub start: String,
    /// End, RFC 3339 with the zone's offset.
    #[schema(example = "2030-01-07T09:30:00-06:00")]
    pub end: String,
    /// The time as the visitor reads it.
    #[schema(example = "09:00")]
    pub label: String,
    /// The day as the visitor reads it.
    #[schema(example = "lun 7 ene")]
    pub day: String,
}

/// List a public calendar's free slots
///
/// The API's slots for the widget, with labels in the visitor's language; rate-limited per IP at ten times the booking limit (a visitor browses more than it books).
#[utoipa::path(
    get,
    path = "/book/{workspace}/{calendar}/slots",
    operation_id = "booking_public_slots",
    tag = "Lead intake",
    params(
        ("workspace" = String, Path, description = "The workspace's slug."),
        ("calendar" = String, Path, description = "The calendar's slug."),
        SlotsQuery,
    ),
    security(()),
    responses(
        (status = 200, description = "The free slots.", body = WidgetSlotsOut),
        (status = 400, description = "Bad dates.", body = WidgetErrorBody),
        (status = 404, description = "No such calendar, or it takes no bookings.", body = WidgetErrorBody),
        (status = 429, description = "Too many requests from this address.", body = WidgetErrorBody),
    ),
)]
pub(super) async fn slots(
    State(st): State<AppState>,
    Path((ws_slug, cal_slug)): Path<(String, String)>,
    RequestLocale(locale): RequestLocale,
    ClientIp(ip): ClientIp,
    Query(q): Query<SlotsQuery>,
) -> Response {
    let t = BookingTr::get(locale);
    let fail = |e: af_db::DbError| {
        tracing::error!(error = %e, "booking slots");
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            t.widget_failed,
        )
    };
    let (_, cal) = match public_calendar(&st, &ws_slug, &cal_slug).await {
        Ok(Some(found)) => found,
        Ok(None) => return json_error(StatusCode::NOT_FOUND, "not_found", t.closed),
        Err(e) => return fail(e),
    };
    let ip_hash = af_service::intake::ip_hash(&st.secret, &ip);
    let bucket = [(
        format!("slots-ip:{ip_hash}"),
        st.config.intake_max_per_ip.saturating_mul(10),
    )];
    match door::rate_limit(&st, &bucket).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            return json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                t.widget_failed,
            );
        }
        Err(e) => return fail(e),
    }
    let (zone_name, zone) = super::zone_or(q.time_zone.as_deref(), &cal.time_zone);
    let (Ok(from), Ok(to)) = (q.from.trim().parse::<Date>(), q.to.trim().parse::<Date>()) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "from and to are YYYY-MM-DD",
        );
    };
    let days = from.until(to).map(|s| s.get_days()).unwrap_or(-1);
    if !(0..MAX_SLOT_DAYS).contains(&days) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "to must follow from, at most 62 days",
        );
    }
    let list = match service::slots_in_zone(&st.db, &cal, &zone, from, to, st.now()).await {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let slots = list
        .iter()
        .map(|s| WidgetSlotOut {
            start: s
                .start
                .to_zoned(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            end: s
                .end
                .to_zoned(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            label: af_core::datetime::time(s.start, &zone, locale),
            day: super::day_label(s.start.to_zoned(zone.clone()).date(), locale),
        })
        .collect();
    cors_json(
        StatusCode::OK,
        &WidgetSlotsOut {
            ok: true,
            time_zone: zone_name,
            slots,
        },
    )
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(book, schema, slots))]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A booking from the widget (JSON) or the page (urlencoded, the same names): a slot's start, the contact's details, the calendar's questions by name and attribution.",
        "Una reserva desde el widget (JSON) o desde la página (urlencoded, con los mismos nombres): el inicio de un horario, los datos del contacto, las preguntas del calendario por nombre y la atribución.",
    ),
    (
        "A booking made from the widget.",
        "Una reserva hecha desde el widget.",
    ),
    (
        "A booking, JSON (the embed widget, other systems) or urlencoded (the booking page, which gets pages back: a redirect to the confirmation). Rate limits per IP and per calendar (429), the body cap (413); then refused fields are 422, a taken slot 409 with the day's next free times, success 201. JSON callers send `Content-Type` or `Accept: application/json`.",
        "Una reserva, en JSON (el widget incrustado, otros sistemas) o urlencoded (la página de reservas, que recibe páginas: una redirección a la confirmación). Límites de frecuencia por IP y por calendario (429), el tope del cuerpo (413); después, los campos rechazados son 422, un horario ocupado 409 con los siguientes horarios libres del día, y el éxito 201. Quien llama con JSON envía `Content-Type` o `Accept: application/json`.",
    ),
    (
        "A field of the booking form, as the widget renders it.",
        "Un campo del formulario de reserva, tal como lo muestra el widget.",
    ),
    (
        "A free slot, with labels for the visitor.",
        "Un horario libre, con etiquetas para el visitante.",
    ),
    (
        "A free time offered after a lost race.",
        "Un horario libre que se ofrece tras perder una carrera.",
    ),
    (
        "A note for a pending booking (\"\" otherwise).",
        "Una nota para una reserva pendiente (\"\" en otro caso).",
    ),
    (
        "A sentence for the visitor, in their language.",
        "Una frase para el visitante, en su idioma.",
    ),
    (
        "Adds the meeting to Google Calendar.",
        "Agrega la reunión a Google Calendar.",
    ),
    (
        "Answers to the calendar's questions and attribution, by name.",
        "Las respuestas a las preguntas del calendario y la atribución, por nombre.",
    ),
    ("Bad dates.", "Fechas incorrectas."),
    (
        "Book on a public calendar",
        "Reservar en un calendario público",
    ),
    (
        "Booked (JSON callers).",
        "Reservado (quien llama con JSON).",
    ),
    (
        "Booked (the page): to the confirmation.",
        "Reservado (la página): a la confirmación.",
    ),
    (
        "Choices of a select or multiselect.",
        "Opciones de una selección o selección múltiple.",
    ),
    (
        "Free slots for the widget.",
        "Horarios libres para el widget.",
    ),
    (
        "Get a public calendar's schema",
        "Obtener el esquema de un calendario público",
    ),
    ("Length of a meeting.", "Duración de una reunión."),
    (
        "List a public calendar's free slots",
        "Listar los horarios libres de un calendario público",
    ),
    (
        "Name, email, phone and the calendar's questions.",
        "Nombre, correo, teléfono y las preguntas del calendario.",
    ),
    (
        "No such calendar, or it takes no bookings.",
        "No existe ese calendario, o no acepta reservas.",
    ),
    ("Not a booking.", "No es una reserva."),
    (
        "The API's slots for the widget, with labels in the visitor's language; rate-limited per IP at ten times the booking limit (a visitor browses more than it books).",
        "Los horarios de la API para el widget, con etiquetas en el idioma del visitante; con límite de frecuencia por IP de diez veces el de las reservas (un visitante mira más de lo que reserva).",
    ),
    (
        "The booking widget's error: `{\"ok\": false, \"error\": {\"code\", \"message\"}}`.",
        "El error del widget de reservas: `{\"ok\": false, \"error\": {\"code\", \"message\"}}`.",
    ),
    ("The calendar's IANA zone.", "La zona IANA del calendario."),
    (
        "The calendar's description.",
        "La descripción del calendario.",
    ),
    ("The calendar's name.", "El nombre del calendario."),
    ("The calendar's schema.", "El esquema del calendario."),
    ("The calendar's slug.", "El slug del calendario."),
    (
        "The confirmation's heading.",
        "El título de la confirmación.",
    ),
    (
        "The date and time, as the visitor reads them.",
        "La fecha y la hora, como las lee el visitante.",
    ),
    (
        "The day as the visitor reads it.",
        "El día, como lo lee el visitante.",
    ),
    ("The invitation (`.ics`).", "La invitación (`.ics`)."),
    (
        "The invitee's signed link to see, cancel or reschedule.",
        "El enlace firmado del invitado para ver, cancelar o reprogramar.",
    ),
    (
        "The time as the visitor reads it.",
        "La hora, como la lee el visitante.",
    ),
    (
        "The widget's texts in the visitor's language.",
        "Los textos del widget en el idioma del visitante.",
    ),
    (
        "The workspace's colour, `#rrggbb`.",
        "El color del espacio, `#rrggbb`.",
    ),
    ("The workspace's name.", "El nombre del espacio de trabajo."),
    (
        "Too many bookings from this address or on this calendar: wait `Retry-After` seconds.",
        "Demasiadas reservas desde esta dirección o en este calendario: espera `Retry-After` segundos.",
    ),
    (
        "Too many requests from this address.",
        "Demasiadas peticiones desde esta dirección.",
    ),
    (
        "What the booking widget renders.",
        "Lo que muestra el widget de reservas.",
    ),
    (
        "What the embed widget renders: texts in the visitor's language (`?lang=`), the fields and where to post. No key needed.",
        "Lo que muestra el widget incrustado: los textos en el idioma del visitante (`?lang=`), los campos y adónde enviar. No hace falta clave.",
    ),
    (
        "Where the meeting happens, as the visitor reads it.",
        "Dónde es la reunión, como lo lee el visitante.",
    ),
    (
        "Where to ask for free slots.",
        "Dónde pedir los horarios libres.",
    ),
    ("Where to post the booking.", "Adónde enviar la reserva."),
    (
        "With `invalid`: each field at fault and why, in the visitor's language.",
        "Con `invalid`: cada campo con problemas y por qué, en el idioma del visitante.",
    ),
    (
        "With `slot_unavailable`: the free times left that day.",
        "Con `slot_unavailable`: los horarios libres que quedan ese día.",
    ),
    (
        "`not_found`, `bad_request`, `too_large`, `rate_limited`, `invalid`, `slot_unavailable` or `internal`.",
        "`not_found`, `bad_request`, `too_large`, `rate_limited`, `invalid`, `slot_unavailable` o `internal`.",
    ),
    (
        "`slot_unavailable`: taken meanwhile; `next_slots` offers the day's next free times.",
        "`slot_unavailable`: se ocupó mientras tanto; `next_slots` ofrece los siguientes horarios libres del día.",
    ),
    (
        "`text`, `textarea`, `email`, `phone`, `select`, `multiselect`, `checkbox` or `number`.",
        "`text`, `textarea`, `email`, `phone`, `select`, `multiselect`, `checkbox` o `number`.",
    ),
];
