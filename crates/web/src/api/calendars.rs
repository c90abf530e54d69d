//! JSON API for booking calendars (`/api/v1/calendars`): definitions, their
//! slots in any zone, and bookings. A slot that is taken or not offered is
//! 409 `slot_unavailable`; another workspace's id is 404.

use super::{ApiError, ApiIdPath, ApiJson};
use crate::api::forms::FieldDoc;
use crate::api::openapi::schemas::{Data, ErrorBody};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::{AppointmentId, CalendarId, ContactId, DealId, UserId};
use af_db::calendars::{self, Calendar};
use af_db::{DbError, Ts};
use af_service::calendars::{
    self as service, BookingError, BookingRequest, CalendarRequest, ChangeError, ChangedBy,
    HostSettings, MAX_SLOT_DAYS, Problem, SaveError, StatusError, TimeWindow,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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

/// Hours on one weekday.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct WeeklyWindowDoc {
    /// 1 (Monday) to 7 (Sunday).
    #[schema(minimum = 1, maximum = 7, example = 1)]
    pub weekday: u8,
    /// Start, `HH:MM`.
    #[schema(example = "09:00")]
    pub start: String,
    /// End, `HH:MM`, after the start.
    #[schema(example = "17:00")]
    pub end: String,
}

/// Hours on a date.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TimeWindowDoc {
    /// Start, `HH:MM`.
    #[schema(example = "09:00")]
    pub start: String,
    /// End, `HH:MM`, after the start.
    #[schema(example = "13:00")]
    pub end: String,
}

/// A host with its settings (a PATCH may send it back unchanged).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct HostDoc {
    /// The member: email or user id.
    #[schema(example = "ana@agencia.mx")]
    pub user: String,
    /// Share of the bookings under `equal_distribution` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Order of preference under `owner` and ties (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The host's own weekly hours instead of the calendar's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Vec<WeeklyWindowDoc>>,
    /// Most bookings a day for this host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<i64>,
}

impl From<HostSettings> for HostDoc {
    fn from(h: HostSettings) -> Self {
        Self {
            user: h.user,
            weight: h.weight,
            priority: h.priority,
            availability: h
                .availability
                .map(|a| a.into_iter().map(weekly_doc).collect()),
            daily_cap: h.daily_cap,
        }
    }
}

fn weekly_doc(w: service::WeeklyWindow) -> WeeklyWindowDoc {
    WeeklyWindowDoc {
        weekday: w.weekday,
        start: w.start,
        end: w.end,
    }
}

/// A host as a definition names it: a member's email or user id alone, or with its settings.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum HostSpecDoc {
    Named(String),
    Detailed(HostDoc),
}

/// A calendar's definition: what a POST sends (PATCH sends any part of it).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "Demo call", "slug": "demo", "time_zone": "America/Mexico_City", "duration_minutes": 30, "availability": [{"weekday": 1, "start": "09:00", "end": "17:00"}], "hosts": ["ana@agencia.mx"]}))]
pub struct CalendarIn {
    /// Name shown on the booking page, at most 120 characters.
    pub name: String,
    /// The page's address part: lowercase letters, digits and dashes, at most 60.
    pub slug: String,
    /// Text shown on the booking page.
    #[serde(default)]
    pub description: String,
    /// Where the meeting happens: `video`, `phone`, `in_person` or `custom`.
    #[serde(default)]
    pub location_kind: Option<String>,
    /// The meeting's link, phone or address.
    #[serde(default)]
    pub location: String,
    /// IANA time zone of the availability.
    pub time_zone: String,
    /// Length of a meeting, a multiple of 5.
    pub duration_minutes: i64,
    /// Step between offered starts (default: the duration).
    #[serde(default)]
    pub slot_interval_minutes: Option<i64>,
    /// Weekly hours.
    #[serde(default)]
    pub availability: Vec<WeeklyWindowDoc>,
    /// Hours by date (`YYYY-MM-DD`): an empty list is a day off.
    #[serde(default)]
    pub overrides: BTreeMap<String, Vec<TimeWindowDoc>>,
    /// Free minutes kept before each meeting.
    #[serde(default)]
    pub buffer_before_minutes: Option<i64>,
    /// Free minutes kept after each meeting.
    #[serde(default)]
    pub buffer_after_minutes: Option<i64>,
    /// Least notice for a booking, in minutes.
    #[serde(default)]
    pub min_notice_minutes: Option<i64>,
    /// How many days ahead can be booked.
    #[serde(default)]
    pub horizon_days: Option<i64>,
    /// Most bookings a day on the calendar.
    #[serde(default)]
    pub daily_cap: Option<i64>,
    /// Bookings wait as `pending` until the team confirms them.
    #[serde(default)]
    pub requires_confirmation: bool,
    /// Least minutes before the start for the invitee to cancel.
    #[serde(default)]
    pub cancel_cutoff_minutes: Option<i64>,
    /// Least minutes before the start for the invitee to reschedule.
    #[serde(default)]
    pub reschedule_cutoff_minutes: Option<i64>,
    /// Most times the invitee may reschedule.
    #[serde(default)]
    pub max_reschedules: Option<i64>,
    /// Reminders, in minutes before the start.
    #[serde(default)]
    pub reminders_minutes: Option<Vec<i64>>,
    /// Tags given to the contact who books.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How a host is picked: `owner`, `availability` or `equal_distribution`.
    #[serde(default)]
    pub policy: Option<String>,
    /// Pipeline stage of the deal a booking opens (none: no deal).
    #[serde(default)]
    pub stage_id: Option<Uuid>,
    /// Whether the calendar takes bookings (default true).
    #[serde(default)]
    pub active: Option<bool>,
    /// Members by email or user id, each alone or with its settings; none = the workspace's first owner.
    #[serde(default)]
    pub hosts: Vec<HostSpecDoc>,
    /// What the booking page asks besides name, email and phone (at most 20).
    #[serde(default)]
    pub questions: Vec<FieldDoc>,
}

/// The request-shaped part of a calendar (what PATCH merges into).
#[derive(Serialize, ToSchema)]
pub struct CalendarDef {
    /// Name shown on the booking page, at most 120 characters.
    pub name: String,
    /// The page's address part: lowercase letters, digits and dashes, at most 60.
    pub slug: String,
    /// Text shown on the booking page.
    pub description: String,
    /// Where the meeting happens: `video`, `phone`, `in_person` or `custom`.
    pub location_kind: String,
    /// The meeting's link, phone or address.
    pub location: String,
    /// IANA time zone of the availability.
    pub time_zone: String,
    /// Length of a meeting, a multiple of 5.
    pub duration_minutes: i32,
    /// Step between offered starts (default: the duration).
    pub slot_interval_minutes: i32,
    /// Weekly hours.
    pub availability: Vec<WeeklyWindowDoc>,
    /// Hours by date (`YYYY-MM-DD`): an empty list is a day off.
    #[schema(value_type = BTreeMap<String, Vec<TimeWindowDoc>>)]
    pub overrides: Value,
    /// Free minutes kept before each meeting.
    pub buffer_before_minutes: i32,
    /// Free minutes kept after each meeting.
    pub buffer_after_minutes: i32,
    /// Least notice for a booking, in minutes.
    pub min_notice_minutes: i32,
    /// How many days ahead can be booked.
    pub horizon_days: i32,
    /// Most bookings a day on the calendar.
    pub daily_cap: Option<i32>,
    /// Bookings wait as `pending` until the team confirms them.
    pub requires_confirmation: bool,
    /// Least minutes before the start for the invitee to cancel.
    pub cancel_cutoff_minutes: i32,
    /// Least minutes before the start for the invitee to reschedule.
    pub reschedule_cutoff_minutes: i32,
    /// Most times the invitee may reschedule.
    pub max_reschedules: i32,
    /// Reminders, in minutes before the start.
    #[schema(value_type = Vec<i64>)]
    pub reminders_minutes: Value,
    /// Tags given to the contact who books.
    #[schema(value_type = Vec<String>)]
    pub tags: Value,
    /// How a host is picked: `owner`, `availability` or `equal_distribution`.
    pub policy: String,
    /// Pipeline stage of the deal a booking opens (none: no deal).
    pub stage_id: Option<Uuid>,
    /// Whether the calendar takes bookings.
    pub active: bool,
    /// The hosts with their settings.
    pub hosts: Vec<HostDoc>,
    /// What the booking page asks besides name, email and phone.
    #[schema(value_type = Vec<FieldDoc>)]
    pub questions: Value,
}

/// A booking calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarOut {
    #[serde(flatten)]
    pub definition: CalendarDef,
    pub id: CalendarId,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// The request-shaped part of a calendar (what PATCH merges into).
/// Hosts are objects (`{"user": id, "weight", "priority", "availability",
/// "daily_cap"}`), which a PATCH sends back unchanged.
fn definition(c: &Calendar, hosts: &[calendars::Host]) -> CalendarDef {
    let weekly: Vec<Vec<TimeWindow>> = serde_json::from_str(&c.availability).unwrap_or_default();
    CalendarDef {
        name: c.name.clone(),
        slug: c.slug.clone(),
        description: c.description.clone(),
        location_kind: c.location_kind.clone(),
        location: c.location.clone(),
        time_zone: c.time_zone.clone(),
        duration_minutes: c.duration_minutes,
        slot_interval_minutes: c.slot_interval_minutes,
        availability: service::weekly_windows(&weekly)
            .into_iter()
            .map(weekly_doc)
            .collect(),
        overrides: serde_json::from_str(&c.overrides).unwrap_or(json!({})),
        buffer_before_minutes: c.buffer_before_minutes,
        buffer_after_minutes: c.buffer_after_minutes,
        min_notice_minutes: c.min_notice_minutes,
        horizon_days: c.horizon_days,
        daily_cap: c.daily_cap,
        requires_confirmation: c.requires_confirmation,
        cancel_cutoff_minutes: c.cancel_cutoff_minutes,
        reschedule_cutoff_minutes: c.reschedule_cutoff_minutes,
        max_reschedules: c.max_reschedules,
        reminders_minutes: serde_json::from_str(&c.reminders).unwrap_or(json!([])),
        tags: serde_json::from_str(&c.tags).unwrap_or(json!([])),
        policy: c.policy.clone(),
        stage_id: c.stage_id,
        active: c.active,
        hosts: hosts
            .iter()
            .map(|h| service::host_settings(h).into())
            .collect(),
        questions: serde_json::from_str::<Value>(&c.questions).unwrap_or(json!([])),
    }
}

async fn calendar_out(st: &AppState, c: &Calendar) -> Result<CalendarOut, ApiError> {
    let hosts = calendars::list_hosts(&st.db, c.workspace_id, c.id).await?;
    Ok(with_hosts(c, &hosts))
}

/// A calendar as the API shows it, its hosts given.
fn with_hosts(c: &Calendar, hosts: &[calendars::Host]) -> CalendarOut {
    CalendarOut {
        definition: definition(c, hosts),
        id: c.id,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
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

/// List calendars
///
/// Every booking calendar of the workspace with its hosts.
#[utoipa::path(
    get,
    path = "/api/v1/calendars",
    operation_id = "calendars_list",
    tag = "Calendars",
    responses((status = 200, description = "The calendars.", body = Data<Vec<CalendarOut>>)),
)]
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<CalendarOut>>>, ApiError> {
    let hosts = calendars::list_workspace_hosts(&st.db, auth.workspace.id).await?;
    let data: Vec<CalendarOut> = calendars::list_calendars(&st.db, auth.workspace.id)
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
    Ok(Json(Data { data }))
}

/// Create a calendar
///
/// Hosts named by email or user id; none means the workspace's first owner.
#[utoipa::path(
    post,
    path = "/api/v1/calendars",
    operation_id = "calendars_create",
    tag = "Calendars",
    request_body = CalendarIn,
    responses((status = 201, description = "The calendar, created.", body = CalendarOut)),
)]
async fn create(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<CalendarRequest>,
) -> Result<Response, ApiError> {
    let cal = save(&st, &auth, None, &req).await?;
    Ok((StatusCode::CREATED, Json(calendar_out(&st, &cal).await?)).into_response())
}

async fn find(st: &AppState, auth: &ApiAuth, id: CalendarId) -> Result<Calendar, ApiError> {
    match calendars::get_calendar(&st.db, auth.workspace.id, id).await {
        Ok(c) => Ok(c),
        Err(DbError::NotFound(_)) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Get a calendar
#[utoipa::path(
    get,
    path = "/api/v1/calendars/{id}",
    operation_id = "calendars_get",
    tag = "Calendars",
    params(("id" = Uuid, Path, description = "The calendar's id.")),
    responses((status = 200, description = "The calendar.", body = CalendarOut)),
)]
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
) -> Result<Json<CalendarOut>, ApiError> {
    let cal = find(&st, &auth, id).await?;
    Ok(Json(calendar_out(&st, &cal).await?))
}

/// Update a calendar
///
/// The given keys replace the stored ones; the others stay.
#[utoipa::path(
    patch,
    path = "/api/v1/calendars/{id}",
    operation_id = "calendars_update",
    tag = "Calendars",
    params(("id" = Uuid, Path, description = "The calendar's id.")),
    request_body(content = Object, description = "Any keys of a calendar's definition (see `CalendarIn`).", example = json!({"duration_minutes": 45, "requires_confirmation": true})),
    responses((status = 200, description = "The calendar, updated.", body = CalendarOut)),
)]
async fn update(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
    ApiJson(patch): ApiJson<serde_json::Map<String, Value>>,
) -> Result<Json<CalendarOut>, ApiError> {
    let cal = find(&st, &auth, id).await?;
    let hosts = calendars::list_hosts(&st.db, auth.workspace.id, id).await?;
    let mut merged =
        serde_json::to_value(definition(&cal, &hosts)).map_err(|e| ApiError::Internal(e.into()))?;
    for (k, v) in patch {
        merged[k] = v;
    }
    let req: CalendarRequest = serde_json::from_value(merged)
        .map_err(|e| ApiError::BadRequest(format!("invalid calendar: {e}")))?;
    let cal = save(&st, &auth, Some(&cal), &req).await?;
    Ok(Json(calendar_out(&st, &cal).await?))
}

/// Delete a calendar
///
/// Its bookings stay.
#[utoipa::path(
    delete,
    path = "/api/v1/calendars/{id}",
    operation_id = "calendars_delete",
    tag = "Calendars",
    params(("id" = Uuid, Path, description = "The calendar's id.")),
    responses((status = 204, description = "Deleted.")),
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SlotsQuery {
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

/// Free slots in a zone.
#[derive(Serialize, ToSchema)]
pub struct SlotsOut {
    /// The zone the times are written in.
    #[schema(example = "America/Mexico_City")]
    pub time_zone: String,
    pub slots: Vec<SlotOut>,
}

/// A free slot.
#[derive(Serialize, ToSchema)]
pub struct SlotOut {
    /// Start, RFC 3339 with the zone's offset.
    #[schema(example = "2030-01-07T09:00:00-06:00")]
    pub start: String,
    /// End, RFC 3339 with the zone's offset.
    #[schema(example = "2030-01-07T09:30:00-06:00")]
    pub end: String,
    /// How many hosts are free then.
    pub hosts_free: usize,
}

/// List free slots
///
/// Slots whose start falls on those dates in `time_zone` (default: the calendar's), written with that zone's offset.
#[utoipa::path(
    get,
    path = "/api/v1/calendars/{id}/slots",
    operation_id = "calendars_slots",
    tag = "Calendars",
    params(("id" = Uuid, Path, description = "The calendar's id."), SlotsQuery),
    responses((status = 200, description = "The free slots.", body = SlotsOut)),
)]
async fn slots(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<CalendarId>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> Result<Json<SlotsOut>, ApiError> {
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
    let slots = service::slots_in_zone(&st.db, &cal, &zone, from, to, st.now())
        .await?
        .iter()
        .map(|s| SlotOut {
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
            hosts_free: s.free_hosts.len(),
        })
        .collect();
    Ok(Json(SlotsOut {
        time_zone: zone_name,
        slots,
    }))
}

/// A booking to make.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"start": "2030-01-07T09:00:00-06:00", "name": "Lucía Pérez", "email": "lucia@example.com", "phone": "+525512345678", "time_zone": "America/Mexico_City", "answers": {"budget": "10k"}}))]
pub struct BookingIn {
    /// A free slot's start, RFC 3339 with its offset.
    pub start: String,
    /// The invitee's name.
    pub name: String,
    /// The invitee's email.
    pub email: String,
    /// The invitee's phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The invitee's IANA zone, for the confirmation.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Answers to the calendar's questions by key: text, a number, a boolean (checkbox) or a list of texts (multiselect).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, Value>,
    /// Attribution (`utm_source` … `landing_page`, as forms take them).
    #[serde(default)]
    pub attribution: BTreeMap<String, String>,
}

/// A booking just made.
#[derive(Serialize, ToSchema)]
pub struct BookedOut {
    /// The invitee's signed link (no login) to see, cancel or reschedule; add `/invite.ics` for the invitation.
    pub manage_url: String,
    pub id: AppointmentId,
    pub start: Option<Ts>,
    pub end: Option<Ts>,
    /// `confirmed`, or `pending` when the calendar requires confirmation.
    #[schema(example = "confirmed")]
    pub status: String,
    pub contact_id: ContactId,
    /// The deal the booking opened, when the calendar opens one.
    pub deal_id: Option<DealId>,
    /// The host given the booking.
    pub host_id: UserId,
}

/// Book a slot
///
/// Creates or updates the contact, picks a host by the calendar's policy and holds the slot. A slot taken meanwhile is 409 `slot_unavailable`.
#[utoipa::path(
    post,
    path = "/api/v1/calendars/{id}/bookings",
    operation_id = "calendars_book",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The calendar's id.")),
    request_body = BookingIn,
    responses(
        (status = 201, description = "Booked.", body = BookedOut),
        (status = 409, description = "`slot_unavailable`: the time is no longer free (ask for the slots again), or the calendar takes no bookings.", body = ErrorBody),
    ),
)]
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
                Json(BookedOut {
                    manage_url: af_core::booking::links::manage_url(&st.config.base_url, &token),
                    id: a.id,
                    start: a.starts_at,
                    end: a.ends_at,
                    status: a.status.clone(),
                    contact_id: b.contact_id,
                    deal_id: b.deal_id,
                    host_id: b.host,
                }),
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
    let body = ErrorBody {
        error: crate::api::openapi::schemas::ErrorDetail {
            code: "slot_unavailable".into(),
            message: "that time is no longer available: ask for the slots again".into(),
            fields: None,
        },
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
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

/// A booking on a calendar.
#[derive(Serialize, ToSchema)]
pub struct BookingOut {
    pub id: AppointmentId,
    pub start: Option<Ts>,
    pub end: Option<Ts>,
    /// `pending`, `confirmed`, `cancelled`, `completed` or `no_show`.
    #[schema(example = "confirmed")]
    pub status: String,
    pub contact_id: ContactId,
    pub host_id: Option<Uuid>,
    pub calendar_id: Option<Uuid>,
    /// Times the booking was moved.
    pub reschedules: i32,
    /// The invitation's `.ics` SEQUENCE.
    pub sequence: i32,
    /// Where the booking came from: `booking_page`, `api`, `calcom`…
    #[schema(example = "api")]
    pub source: String,
}

impl From<&af_db::appointments::Appointment> for BookingOut {
    fn from(a: &af_db::appointments::Appointment) -> Self {
        Self {
            id: a.id,
            start: a.starts_at,
            end: a.ends_at,
            status: a.status.clone(),
            contact_id: a.contact_id,
            host_id: a.host_user_id,
            calendar_id: a.calendar_id,
            reschedules: a.reschedules,
            sequence: a.sequence,
            source: a.source.clone(),
        }
    }
}

fn booking_out(a: &af_db::appointments::Appointment) -> Response {
    Json(BookingOut::from(a)).into_response()
}

/// Cancel an appointment
///
/// Frees the slot at once.
#[utoipa::path(
    post,
    path = "/api/v1/appointments/{id}/cancel",
    operation_id = "appointments_cancel",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The appointment's id.")),
    responses((status = 200, description = "The appointment, cancelled.", body = BookingOut)),
)]
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
        Ok(a) => Ok(booking_out(&a)),
        Err(e) => change_error(e),
    }
}

/// A new start for a booking.
#[derive(Deserialize, ToSchema)]
struct RescheduleBody {
    /// A free slot's start, RFC 3339 with its offset.
    #[schema(example = "2030-01-08T10:00:00-06:00")]
    start: String,
}

/// Reschedule an appointment
///
/// An atomic swap: a taken time is 409 `slot_unavailable` and changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/appointments/{id}/reschedule",
    operation_id = "appointments_reschedule",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The appointment's id.")),
    request_body = RescheduleBody,
    responses(
        (status = 200, description = "The appointment at its new time.", body = BookingOut),
        (status = 409, description = "`slot_unavailable`, or the booking can no longer move.", body = ErrorBody),
    ),
)]
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
        Ok(a) => Ok(booking_out(&a)),
        Err(e) => change_error(e),
    }
}

/// Download the invitation
///
/// The booking's invitation as it stands, an iCalendar file.
#[utoipa::path(
    get,
    path = "/api/v1/appointments/{id}/invite.ics",
    operation_id = "appointments_invite",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The appointment's id.")),
    responses((status = 200, description = "The invitation (`invite.ics`).", body = String, content_type = "text/calendar")),
)]
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

/// An appointment's new status.
#[derive(Deserialize, ToSchema)]
struct StatusBody {
    /// `confirmed`, `completed`, `no_show` or `cancelled`.
    #[schema(example = "completed")]
    status: String,
}

/// A refused status move.
#[derive(Serialize, ToSchema)]
pub struct TransitionErrorBody {
    pub error: TransitionError,
}

/// Why the move was refused.
#[derive(Serialize, ToSchema)]
pub struct TransitionError {
    /// Always `invalid_transition`.
    #[schema(example = "invalid_transition")]
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The current status.
    #[schema(example = "cancelled")]
    pub from: String,
    /// The status asked for.
    #[schema(example = "completed")]
    pub to: String,
}

/// Set an appointment's status
///
/// The team's moves: confirm, completed, no-show, cancel and attendance corrections; any other move is 409 `invalid_transition`.
#[utoipa::path(
    post,
    path = "/api/v1/appointments/{id}/status",
    operation_id = "appointments_set_status",
    tag = "Appointments",
    params(("id" = Uuid, Path, description = "The appointment's id.")),
    request_body = StatusBody,
    responses(
        (status = 200, description = "The appointment with its new status.", body = BookingOut),
        (status = 409, description = "`invalid_transition`: the appointment cannot go from its status to that one.", body = TransitionErrorBody),
    ),
)]
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
        Ok(a) => Ok(booking_out(&a)),
        Err(StatusError::NotFound) => Err(ApiError::NotFound),
        Err(StatusError::InvalidTransition { from, to }) => Ok((
            StatusCode::CONFLICT,
            Json(TransitionErrorBody {
                error: TransitionError {
                    code: "invalid_transition".into(),
                    message: format!("an appointment cannot go from {from} to {to}"),
                    from,
                    to,
                },
            }),
        )
            .into_response()),
        Err(StatusError::Db(e)) => Err(e.into()),
    }
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, create, show, update, remove, slots, book, cancel, reschedule, invite, set_status),
    tags(
        (name = "Calendars", description = "Booking calendars: their definitions, hosts and free slots."),
        (name = "Appointments", description = "Appointments: bookings on the calendars and meetings from Cal.com."),
    ),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("1 (Monday) to 7 (Sunday).", "1 (lunes) a 7 (domingo)."),
    ("A booking calendar.", "Un calendario de reservas."),
    ("A booking just made.", "Una reserva recién hecha."),
    ("A booking on a calendar.", "Una reserva en un calendario."),
    ("A booking to make.", "Una reserva por hacer."),
    (
        "A calendar's definition: what a POST sends (PATCH sends any part of it).",
        "La definición de un calendario: lo que envía un POST (un PATCH envía cualquier parte).",
    ),
    (
        "A free slot's start, RFC 3339 with its offset.",
        "El inicio de un horario libre, RFC 3339 con su desfase.",
    ),
    ("A free slot.", "Un horario libre."),
    (
        "A host as a definition names it: a member's email or user id alone, or with its settings.",
        "Un anfitrión tal como lo nombra una definición: el correo o el id de usuario de un miembro, solo o con sus ajustes.",
    ),
    (
        "A host with its settings (a PATCH may send it back unchanged).",
        "Un anfitrión con sus ajustes (un PATCH puede devolverlo sin cambios).",
    ),
    (
        "A new start for a booking.",
        "Un nuevo inicio para una reserva.",
    ),
    ("A refused status move.", "Un cambio de estado rechazado."),
    (
        "Always `invalid_transition`.",
        "Siempre `invalid_transition`.",
    ),
    (
        "An appointment's new status.",
        "El nuevo estado de una cita.",
    ),
    (
        "An atomic swap: a taken time is 409 `slot_unavailable` and changes nothing.",
        "Un cambio atómico: un horario ocupado es 409 `slot_unavailable` y no cambia nada.",
    ),
    (
        "Answers to the calendar's questions by key: text, a number, a boolean (checkbox) or a list of texts (multiselect).",
        "Las respuestas a las preguntas del calendario por clave: texto, un número, un booleano (casilla) o una lista de textos (selección múltiple).",
    ),
    (
        "Any keys of a calendar's definition (see `CalendarIn`).",
        "Cualquier clave de la definición de un calendario (ver `CalendarIn`).",
    ),
    ("Appointments", "Citas"),
    (
        "Appointments: bookings on the calendars and meetings from Cal.com.",
        "Citas: reservas en los calendarios y reuniones de Cal.com.",
    ),
    (
        "Attribution (`utm_source` … `landing_page`, as forms take them).",
        "Atribución (`utm_source` … `landing_page`, como la toman los formularios).",
    ),
    ("Book a slot", "Reservar un horario"),
    ("Booked.", "Reservado."),
    (
        "Booking calendars: their definitions, hosts and free slots.",
        "Calendarios de reservas: sus definiciones, anfitriones y horarios libres.",
    ),
    (
        "Bookings wait as `pending` until the team confirms them.",
        "Las reservas quedan `pending` hasta que el equipo las confirma.",
    ),
    ("Calendars", "Calendarios"),
    ("Cancel an appointment", "Cancelar una cita"),
    ("Create a calendar", "Crear un calendario"),
    (
        "Creates or updates the contact, picks a host by the calendar's policy and holds the slot. A slot taken meanwhile is 409 `slot_unavailable`.",
        "Crea o actualiza el contacto, elige un anfitrión según la política del calendario y reserva el horario. Un horario ocupado mientras tanto es 409 `slot_unavailable`.",
    ),
    ("Delete a calendar", "Eliminar un calendario"),
    ("Deleted.", "Eliminado."),
    ("Download the invitation", "Descargar la invitación"),
    (
        "End, RFC 3339 with the zone's offset.",
        "Fin, RFC 3339 con el desfase de la zona.",
    ),
    (
        "End, `HH:MM`, after the start.",
        "Fin, `HH:MM`, después del inicio.",
    ),
    (
        "Every booking calendar of the workspace with its hosts.",
        "Todos los calendarios de reservas del espacio con sus anfitriones.",
    ),
    ("First date, `YYYY-MM-DD`.", "Primera fecha, `YYYY-MM-DD`."),
    ("Forms", "Formularios"),
    (
        "Free minutes kept after each meeting.",
        "Minutos libres que se guardan después de cada reunión.",
    ),
    (
        "Free minutes kept before each meeting.",
        "Minutos libres que se guardan antes de cada reunión.",
    ),
    ("Free slots in a zone.", "Horarios libres en una zona."),
    ("Frees the slot at once.", "Libera el horario de inmediato."),
    ("Get a calendar", "Obtener un calendario"),
    (
        "Hosts named by email or user id; none means the workspace's first owner.",
        "Anfitriones por correo o id de usuario; sin ninguno, el primer propietario del espacio.",
    ),
    (
        "Hours by date (`YYYY-MM-DD`): an empty list is a day off.",
        "Horario por fecha (`YYYY-MM-DD`): una lista vacía es un día libre.",
    ),
    ("Hours on a date.", "Horario en una fecha."),
    ("Hours on one weekday.", "Horario en un día de la semana."),
    (
        "How a host is picked: `owner`, `availability` or `equal_distribution`.",
        "Cómo se elige un anfitrión: `owner`, `availability` o `equal_distribution`.",
    ),
    (
        "How many days ahead can be booked.",
        "Con cuántos días de anticipación se puede reservar.",
    ),
    (
        "How many hosts are free then.",
        "Cuántos anfitriones están libres en ese horario.",
    ),
    (
        "IANA time zone of the availability.",
        "Zona horaria IANA de la disponibilidad.",
    ),
    (
        "IANA zone the dates and times are in (default: the calendar's).",
        "Zona IANA de las fechas y horas (por defecto: la del calendario).",
    ),
    ("Its bookings stay.", "Sus reservas se conservan."),
    (
        "Last date, `YYYY-MM-DD`, at most 62 days after `from`.",
        "Última fecha, `YYYY-MM-DD`, como máximo 62 días después de `from`.",
    ),
    (
        "Least minutes before the start for the invitee to cancel.",
        "Minutos mínimos antes del inicio para que el invitado cancele.",
    ),
    (
        "Least minutes before the start for the invitee to reschedule.",
        "Minutos mínimos antes del inicio para que el invitado reprograme.",
    ),
    (
        "Least notice for a booking, in minutes.",
        "Anticipación mínima para reservar, en minutos.",
    ),
    (
        "Length of a meeting, a multiple of 5.",
        "Duración de una reunión, múltiplo de 5.",
    ),
    ("List calendars", "Listar calendarios"),
    ("List free slots", "Listar horarios libres"),
    (
        "Members by email or user id, each alone or with its settings; none = the workspace's first owner.",
        "Miembros por correo o id de usuario, cada uno solo o con sus ajustes; sin ninguno = el primer propietario del espacio.",
    ),
    (
        "Most bookings a day for this host.",
        "Máximo de reservas al día para este anfitrión.",
    ),
    (
        "Most bookings a day on the calendar.",
        "Máximo de reservas al día en el calendario.",
    ),
    (
        "Most times the invitee may reschedule.",
        "Máximo de veces que el invitado puede reprogramar.",
    ),
    (
        "Name shown on the booking page, at most 120 characters.",
        "Nombre que se muestra en la página de reservas, de 120 caracteres como máximo.",
    ),
    (
        "Order of preference under `owner` and ties (default 0).",
        "Orden de preferencia con `owner` y en empates (por defecto 0).",
    ),
    (
        "Pipeline stage of the deal a booking opens (none: no deal).",
        "Etapa del pipeline del negocio que abre una reserva (sin ella: no hay negocio).",
    ),
    (
        "Reminders, in minutes before the start.",
        "Recordatorios, en minutos antes del inicio.",
    ),
    ("Reschedule an appointment", "Reprogramar una cita"),
    (
        "Set an appointment's status",
        "Cambiar el estado de una cita",
    ),
    (
        "Share of the bookings under `equal_distribution` (default 1).",
        "Parte de las reservas con `equal_distribution` (por defecto 1).",
    ),
    (
        "Slots whose start falls on those dates in `time_zone` (default: the calendar's), written with that zone's offset.",
        "Horarios cuyo inicio cae en esas fechas en `time_zone` (por defecto: la del calendario), escritos con el desfase de esa zona.",
    ),
    (
        "Start, RFC 3339 with the zone's offset.",
        "Inicio, RFC 3339 con el desfase de la zona.",
    ),
    ("Start, `HH:MM`.", "Inicio, `HH:MM`."),
    (
        "Step between offered starts (default: the duration).",
        "Intervalo entre los inicios ofrecidos (por defecto: la duración).",
    ),
    (
        "Tags given to the contact who books.",
        "Etiquetas que recibe el contacto que reserva.",
    ),
    (
        "Text shown on the booking page.",
        "Texto que se muestra en la página de reservas.",
    ),
    (
        "The appointment at its new time.",
        "La cita en su nuevo horario.",
    ),
    (
        "The appointment with its new status.",
        "La cita con su nuevo estado.",
    ),
    ("The appointment's id.", "El id de la cita."),
    ("The appointment, cancelled.", "La cita, cancelada."),
    (
        "The booking's invitation as it stands, an iCalendar file.",
        "La invitación de la reserva tal como está, un archivo iCalendar.",
    ),
    ("The calendar's id.", "El id del calendario."),
    ("The calendar, created.", "El calendario, creado."),
    ("The calendar, updated.", "El calendario, actualizado."),
    ("The calendar.", "El calendario."),
    ("The calendars.", "Los calendarios."),
    ("The current status.", "El estado actual."),
    (
        "The deal the booking opened, when the calendar opens one.",
        "El negocio que abrió la reserva, cuando el calendario abre uno.",
    ),
    ("The free slots.", "Los horarios libres."),
    (
        "The given keys replace the stored ones; the others stay.",
        "Las claves enviadas reemplazan las guardadas; las demás se quedan.",
    ),
    (
        "The host given the booking.",
        "El anfitrión asignado a la reserva.",
    ),
    (
        "The host's own weekly hours instead of the calendar's.",
        "El horario semanal propio del anfitrión en lugar del del calendario.",
    ),
    (
        "The hosts with their settings.",
        "Los anfitriones con sus ajustes.",
    ),
    (
        "The invitation (`invite.ics`).",
        "La invitación (`invite.ics`).",
    ),
    (
        "The invitation's `.ics` SEQUENCE.",
        "El SEQUENCE del `.ics` de la invitación.",
    ),
    (
        "The invitee's IANA zone, for the confirmation.",
        "La zona IANA del invitado, para la confirmación.",
    ),
    ("The invitee's email.", "El correo del invitado."),
    ("The invitee's name.", "El nombre del invitado."),
    ("The invitee's phone.", "El teléfono del invitado."),
    (
        "The invitee's signed link (no login) to see, cancel or reschedule; add `/invite.ics` for the invitation.",
        "El enlace firmado del invitado (sin iniciar sesión) para ver, cancelar o reprogramar; agrega `/invite.ics` para la invitación.",
    ),
    (
        "The meeting's link, phone or address.",
        "El enlace, el teléfono o la dirección de la reunión.",
    ),
    (
        "The member: email or user id.",
        "El miembro: correo o id de usuario.",
    ),
    (
        "The page's address part: lowercase letters, digits and dashes, at most 60.",
        "La parte de la dirección de la página: letras minúsculas, dígitos y guiones, 60 como máximo.",
    ),
    (
        "The request-shaped part of a calendar (what PATCH merges into).",
        "La parte de un calendario con forma de petición (en la que se combina un PATCH).",
    ),
    ("The status asked for.", "El estado pedido."),
    (
        "The team's moves: confirm, completed, no-show, cancel and attendance corrections; any other move is 409 `invalid_transition`.",
        "Los cambios del equipo: confirmar, completada, no asistió, cancelar y correcciones de asistencia; cualquier otro cambio es 409 `invalid_transition`.",
    ),
    (
        "The zone the times are written in.",
        "La zona en la que están escritas las horas.",
    ),
    (
        "Times the booking was moved.",
        "Veces que se movió la reserva.",
    ),
    ("Update a calendar", "Actualizar un calendario"),
    ("Weekly hours.", "Horario semanal."),
    (
        "What the booking page asks besides name, email and phone (at most 20).",
        "Lo que pregunta la página de reservas además de nombre, correo y teléfono (20 como máximo).",
    ),
    (
        "What the booking page asks besides name, email and phone.",
        "Lo que pregunta la página de reservas además de nombre, correo y teléfono.",
    ),
    (
        "Where the booking came from: `booking_page`, `api`, `calcom`…",
        "De dónde vino la reserva: `booking_page`, `api`, `calcom`…",
    ),
    (
        "Where the meeting happens: `video`, `phone`, `in_person` or `custom`.",
        "Dónde es la reunión: `video`, `phone`, `in_person` o `custom`.",
    ),
    (
        "Whether the calendar takes bookings (default true).",
        "Si el calendario acepta reservas (por defecto true).",
    ),
    (
        "Whether the calendar takes bookings.",
        "Si el calendario acepta reservas.",
    ),
    ("Why the move was refused.", "Por qué se rechazó el cambio."),
    (
        "`confirmed`, `completed`, `no_show` or `cancelled`.",
        "`confirmed`, `completed`, `no_show` o `cancelled`.",
    ),
    (
        "`confirmed`, or `pending` when the calendar requires confirmation.",
        "`confirmed`, o `pending` cuando el calendario pide confirmación.",
    ),
    (
        "`invalid_transition`: the appointment cannot go from its status to that one.",
        "`invalid_transition`: la cita no puede pasar de su estado a ese.",
    ),
    (
        "`pending`, `confirmed`, `cancelled`, `completed` or `no_show`.",
        "`pending`, `confirmed`, `cancelled`, `completed` o `no_show`.",
    ),
    (
        "`slot_unavailable`, or the booking can no longer move.",
        "`slot_unavailable`, o la reserva ya no se puede mover.",
    ),
    (
        "`slot_unavailable`: the time is no longer free (ask for the slots again), or the calendar takes no bookings.",
        "`slot_unavailable`: el horario ya no está libre (vuelve a pedir los horarios), o el calendario no acepta reservas.",
    ),
];
