//! JSON API for booking calendars (`/api/v1/calendars`): definitions, their
//! slots in any zone, and bookings. A slot that is taken or not offered is
//! 409 `slot_unavailable`; another workspace's id is 404.

use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::{AppointmentId, CalendarId};
use af_db::DbError;
use af_db::calendars::{self, Calendar};
use af_service::calendars::{
    self as service, BookingError, BookingRequest, CalendarRequest, ChangeError, ChangedBy,
    MAX_SLOT_DAYS, Problem, SaveError, StatusError,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/calendars", get(list).post(create))
        .route(
            "/api/v1/calendars/{id}",
            get(show).patch(update).delete(remove),
        )
        .route("/api/v1/calendars/{id}/slots", get(slots))
        .route("/api/v1/calendars/{id}/bookings", post(book))
        .route("/api/v1/appointments/{id}/cancel", post(cancel))
        .route("/api/v1/appointments/{id}/reschedule", post(reschedule))
        .route("/api/v1/appointments/{id}/invite.ics", get(invite))
        .route("/api/v1/appointments/{id}/status", post(set_status))
}

/// The request-shaped part of a calendar (what PATCH merges into).
/// Hosts are objects (`{"user": id, "weight", "priority", "availability",
/// "daily_cap"}`), which a PATCH sends back unchanged.
fn definition_json(c: &Calendar, hosts: &[calendars::Host]) -> Value {
    let weekly: Vec<Vec<Value>> = serde_json::from_str(&c.availability).unwrap_or_default();
    let availability: Vec<Value> = weekly
        .iter()
        .enumerate()
        .flat_map(|(i, day)| {
            day.iter().map(
                move |w| json!({"weekday": i + 1, "start": w.get("start"), "end": w.get("end")}),
            )
        })
        .collect();
    let tags: Value = serde_json::from_str(&c.tags).unwrap_or(json!([]));
    let reminders: Value = serde_json::from_str(&c.reminders).unwrap_or(json!([]));
    let overrides: Value = serde_json::from_str(&c.overrides).unwrap_or(json!({}));
    json!({
        "name": c.name,
        "slug": c.slug,
        "description": c.description,
        "location_kind": c.location_kind,
        "location": c.location,
        "time_zone": c.time_zone,
        "duration_minutes": c.duration_minutes,
        "slot_interval_minutes": c.slot_interval_minutes,
        "availability": availability,
        "overrides": overrides,
        "buffer_before_minutes": c.buffer_before_minutes,
        "buffer_after_minutes": c.buffer_after_minutes,
        "min_notice_minutes": c.min_notice_minutes,
        "horizon_days": c.horizon_days,
        "daily_cap": c.daily_cap,
        "requires_confirmation": c.requires_confirmation,
        "cancel_cutoff_minutes": c.cancel_cutoff_minutes,
        "reschedule_cutoff_minutes": c.reschedule_cutoff_minutes,
        "max_reschedules": c.max_reschedules,
        "reminders_minutes": reminders,
        "tags": tags,
        "policy": c.policy,
        "stage_id": c.stage_id,
        "active": c.active,
        "hosts": hosts.iter().map(service::host_settings).collect::<Vec<_>>(),
        "questions": serde_json::from_str::<Value>(&c.questions).unwrap_or(json!([])),
    })
}

async fn calendar_json(st: &AppState, c: &Calendar) -> Result<Value, ApiError> {
    let hosts = calendars::list_hosts(&st.db, c.workspace_id, c.id).await?;
    Ok(with_hosts(c, &hosts))
}

/// A calendar as the API shows it, its hosts given.
fn with_hosts(c: &Calendar, hosts: &[calendars::Host]) -> Value {
    let mut v = definition_json(c, hosts);
    v["id"] = json!(c.id);
    v["created_at"] = json!(c.created_at);
    v["updated_at"] = json!(c.updated_at);
    v
}

fn invalid(problems: Vec<Problem>) -> ApiError {
    ApiError::Invalid(
        problems
            .into_iter()
            .map(|p| (p.field.to_string(), problem_text(p.code).to_string()))
            .collect(),
    )
}

/// The API's English message for a problem code.
fn problem_text(code: &str) -> &'static str {
    match code {
        "required_short" => "required, at most 120 characters",
        "slug_format" => "lowercase letters, digits and dashes, at most 60",
        "unknown_zone" => "not an IANA time zone (e.g. America/Mexico_City)",
        "five_minute_steps" => "must be a multiple of 5 minutes",
        "out_of_range" => "out of the allowed range",
        "weekday_range" => "weekday must be 1 (Monday) to 7 (Sunday)",
        "bad_window" => "times are HH:MM and the end comes after the start",
        "bad_date" => "dates are YYYY-MM-DD",
        "unknown_choice" => "not one of the allowed values",
        "unknown_member" => "not a member of this workspace",
        "slug_taken" => "another calendar of this workspace has this slug",
        "unknown_stage" => "no such stage in this workspace",
        "too_many_questions" => "at most 20 questions",
        "question_key" => {
            "each question needs a unique name (lower-case letters, digits, _), not name, email, phone or an attribution key"
        }
        "question_type" => {
            "type must be text, textarea, email, phone, select, multiselect, checkbox or number"
        }
        "question_label" => "each question needs a label of at most 200 characters",
        "question_options" => {
            "a select or multiselect needs 1 to 50 choices of up to 200 characters"
        }
        "question_mapping" => {
            "maps_to must be a contact field, custom:<key> of a suitable custom field, or none"
        }
        _ => "invalid",
    }
}

async fn save(
    st: &AppState,
    auth: &ApiAuth,
    existing: Option<&Calendar>,
    req: &CalendarRequest,
) -> Result<Calendar, ApiError> {
    match service::save_calendar(&st.db, &auth.workspace, existing, req, st.now()).await {
        Ok(c) => Ok(c),
        Err(SaveError::Invalid(problems)) => Err(invalid(problems)),
        Err(SaveError::Db(e)) => Err(e.into()),
    }
}

/// `GET /api/v1/calendars`
async fn list(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<Value>, ApiError> {
    let hosts = calendars::list_workspace_hosts(&st.db, auth.workspace.id).await?;
    let data: Vec<Value> = calendars::list_calendars(&st.db, auth.workspace.id)
        .await?
        .iter()
        .map(|c| {
            let mine: Vec<calendars::Host> = hosts
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, h)| h.clone())
                .collect();
            with_hosts(c, &mine)
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/calendars` → 201 with the calendar.
async fn create(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<CalendarRequest>,
) -> Result<Response, ApiError> {
    let cal = save(&st, &auth, None, &req).await?;
    Ok((StatusCode::CREATED, Json(calendar_json(&st, &cal).await?)).into_response())
}

async fn find(st: &AppState, auth: &ApiAuth, id: CalendarId) -> Result<Calendar, ApiError> {
    match calendars::get_calendar(&st.db, auth.workspace.id, id).await {
        Ok(c) => Ok(c),
        Err(DbError::NotFound(_)) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/calendars/{id}`
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
) -> Result<Json<Value>, ApiError> {
    let cal = find(&st, &auth, id).await?;
    Ok(Json(calendar_json(&st, &cal).await?))
}

/// `PATCH /api/v1/calendars/{id}`: the given keys replace the stored ones.
async fn update(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
    ApiJson(patch): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<Value>, ApiError> {
    let cal = find(&st, &auth, id).await?;
    let hosts = calendars::list_hosts(&st.db, auth.workspace.id, id).await?;
    let mut merged = definition_json(&cal, &hosts);
    for (k, v) in patch {
        merged[k] = v;
    }
    let req: CalendarRequest = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("invalid calendar: {e}")))?;
    let cal = save(&st, &auth, Some(&cal), &req).await?;
    Ok(Json(calendar_json(&st, &cal).await?))
}

/// `DELETE /api/v1/calendars/{id}` → 204 (its bookings stay).
async fn remove(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = st.db.begin().await?;
    match calendars::delete_calendar(&mut tx, auth.workspace.id, id).await {
        Ok(()) => {}
        Err(DbError::NotFound(_)) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct SlotsQuery {
    from: String,
    to: String,
    time_zone: Option<String>,
}

/// `GET /api/v1/calendars/{id}/slots?from=&to=&time_zone=`: slots whose
/// start falls on those dates in `time_zone` (default: the calendar's),
/// written with that zone's offset.
async fn slots(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
    Query(q): Query<SlotsQuery>,
) -> Result<Json<Value>, ApiError> {
    let cal = find(&st, &auth, id).await?;
    let zone_name = q.time_zone.unwrap_or_else(|| cal.time_zone.clone());
    let zone = TimeZone::get(&zone_name)
        .map_err(|_| ApiError::field("time_zone", problem_text("unknown_zone")))?;
    let from: Date = q
        .from
        .parse()
        .map_err(|_| ApiError::field("from", "dates are YYYY-MM-DD"))?;
    let to: Date =
        q.to.parse()
            .map_err(|_| ApiError::field("to", "dates are YYYY-MM-DD"))?;
    let days = from.until(to).map(|s| s.get_days()).unwrap_or(-1);
    if !(0..MAX_SLOT_DAYS).contains(&days) {
        return Err(ApiError::field(
            "to",
            format!("to must be on or after from, at most {MAX_SLOT_DAYS} days later"),
        ));
    }
    let slots: Vec<Value> = service::slots_in_zone(&st.db, &cal, &zone, from, to, st.now())
        .await?
        .iter()
        .map(|s| {
            json!({
                "start": s.start.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                "end": s.end.to_zoned(zone.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                "hosts_free": s.free_hosts.len(),
            })
        })
        .collect();
    Ok(Json(json!({ "time_zone": zone_name, "slots": slots })))
}

/// `POST /api/v1/calendars/{id}/bookings` → 201, or 409 `slot_unavailable`.
async fn book(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
    ApiJson(req): ApiJson<BookingRequest>,
) -> Result<Response, ApiError> {
    let cal = find(&st, &auth, id).await?;
    match service::book(&st.db, &auth.workspace, &cal, &req, st.now()).await {
        Ok(b) => {
            let a = &b.appointment;
            // The invitee's signed link (no login) to see, cancel or
            // reschedule the booking; `{manage_url}/invite.ics` is the
            // invitation.
            let token = af_core::booking::links::manage_token(&st.secret, auth.workspace.id, a.id);
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "manage_url": af_core::booking::links::manage_url(&st.config.base_url, &token),
                    "id": a.id,
                    "start": a.starts_at,
                    "end": a.ends_at,
                    "status": a.status,
                    "contact_id": b.contact_id,
                    "deal_id": b.deal_id,
                    "host_id": b.host,
                })),
            )
                .into_response())
        }
        Err(BookingError::SlotTaken) => Ok(slot_unavailable()),
        Err(BookingError::BadStart) => Err(ApiError::field(
            "start",
            "start must be an RFC 3339 time with its offset",
        )),
        Err(BookingError::Answers(errors)) => {
            let t = crate::i18n::forms::FormsTr::get(af_core::Locale::En);
            let fields = errors
                .into_iter()
                .map(|e| {
                    let (field, message) = crate::pages::forms::public::submit_error(t, e);
                    match field.as_str() {
                        "name" | "email" | "phone" => (field, message),
                        _ => (format!("answers.{field}"), message),
                    }
                })
                .collect();
            Err(ApiError::Invalid(fields))
        }
        Err(BookingError::Closed) => {
            Err(ApiError::Conflict("this calendar takes no bookings".into()))
        }
        Err(BookingError::Db(e)) => Err(e.into()),
    }
}

fn slot_unavailable() -> Response {
    (
        StatusCode::CONFLICT,
        Json(json!({"error": {
            "code": "slot_unavailable",
            "message": "that time is no longer available: ask for the slots again",
        }})),
    )
        .into_response()
}

fn change_error(e: ChangeError) -> Result<Response, ApiError> {
    match e {
        ChangeError::NotFound => Err(ApiError::NotFound),
        ChangeError::SlotTaken => Ok(slot_unavailable()),
        ChangeError::BadStart => Err(ApiError::field(
            "start",
            "start must be an RFC 3339 time with its offset",
        )),
        ChangeError::Db(e) => Err(e.into()),
        other => Err(ApiError::Conflict(other.to_string())),
    }
}

fn booking_json(a: &af_db::appointments::Appointment) -> Value {
    json!({
        "id": a.id, "start": a.starts_at, "end": a.ends_at, "status": a.status,
        "contact_id": a.contact_id, "host_id": a.host_user_id, "calendar_id": a.calendar_id,
        "reschedules": a.reschedules, "sequence": a.sequence, "source": a.source,
    })
}

/// `POST /api/v1/appointments/{id}/cancel`: frees the slot at once.
async fn cancel(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
) -> Result<Response, ApiError> {
    match service::cancel(
        &st.db,
        &auth.workspace,
        id,
        ChangedBy::Agency,
        &auth.actor(),
        st.now(),
    )
    .await
    {
        Ok(a) => Ok(Json(booking_json(&a)).into_response()),
        Err(e) => change_error(e),
    }
}

#[derive(Deserialize)]
struct RescheduleBody {
    start: String,
}

/// `POST /api/v1/appointments/{id}/reschedule` `{"start"}`: an atomic
/// swap; a taken time is 409 `slot_unavailable` and changes nothing.
async fn reschedule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> Result<Response, ApiError> {
    match service::reschedule(
        &st.db,
        &auth.workspace,
        id,
        &body.start,
        ChangedBy::Agency,
        &auth.actor(),
        st.now(),
    )
    .await
    {
        Ok(a) => Ok(Json(booking_json(&a)).into_response()),
        Err(e) => change_error(e),
    }
}

/// `GET /api/v1/appointments/{id}/invite.ics`: the booking's invitation as
/// it stands (`text/calendar`).
async fn invite(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
) -> Result<Response, ApiError> {
    match service::invitation(&st.db, &auth.workspace, id).await {
        Ok(text) => Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8",
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"invite.ics\"",
                ),
            ],
            text,
        )
            .into_response()),
        Err(e) => change_error(e),
    }
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

/// `POST /api/v1/appointments/{id}/status` `{"status"}`: the team's status
/// moves (confirm, completed, no-show, cancel, attendance corrections);
/// any other move is 409 `invalid_transition`.
async fn set_status(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
    ApiJson(body): ApiJson<StatusBody>,
) -> Result<Response, ApiError> {
    match service::set_status(
        &st.db,
        &auth.workspace,
        id,
        body.status.trim(),
        &auth.actor(),
        st.now(),
    )
    .await
    {
        Ok(a) => Ok(Json(booking_json(&a)).into_response()),
        Err(StatusError::NotFound) => Err(ApiError::NotFound),
        Err(StatusError::InvalidTransition { from, to }) => Ok((
            StatusCode::CONFLICT,
            Json(json!({"error": {
                "code": "invalid_transition",
                "message": format!("an appointment cannot go from {from} to {to}"),
                "from": from,
                "to": to,
            }})),
        )
            .into_response()),
        Err(StatusError::Db(e)) => Err(e.into()),
    }
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
