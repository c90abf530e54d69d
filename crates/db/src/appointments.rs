//! Appointments: a contact's booked time, from Cal.com for now (the booking
//! calendars add their own source later). `(workspace, source,
//! external_uid)` is unique, so a booking system's id maps to one row.

use crate::events::{NewEvent, insert_event};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, AppointmentId, ContactId, DealId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// Statuses an appointment can have.
pub const STATUSES: [&str; 6] = [
    "booked",
    "pending",
    "cancelled",
    "rescheduled",
    "completed",
    "no_show",
];

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Appointment {
    #[sqlx(try_from = "Uuid")]
    pub id: AppointmentId,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub deal_id: Option<Uuid>,
    pub title: String,
    pub starts_at: Option<Ts>,
    pub ends_at: Option<Ts>,
    pub time_zone: Option<String>,
    pub organizer_time_zone: Option<String>,
    pub status: String,
    pub source: String,
    pub external_uid: Option<String>,
    pub metadata: String,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// Native bookings: the calendar and host (see the calendars module).
    pub calendar_id: Option<Uuid>,
    pub host_user_id: Option<Uuid>,
    pub reschedules: i32,
    /// The `.ics` SEQUENCE of the booking's invitation.
    pub sequence: i32,
    /// Native bookings: the answers to the calendar's questions (JSON
    /// object text).
    pub answers: Option<String>,
}

macro_rules! appointment_columns {
    () => {
        "id, contact_id, deal_id, title, starts_at, ends_at, time_zone, organizer_time_zone, status, source, \
         external_uid, metadata, created_at, updated_at, calendar_id, host_user_id, reschedules, sequence, answers"
    };
}

/// An appointment as a source describes it.
#[derive(Debug, Clone)]
pub struct AppointmentInput {
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub title: String,
    pub starts_at: Option<Ts>,
    pub ends_at: Option<Ts>,
    pub time_zone: Option<String>,
    pub organizer_time_zone: Option<String>,
    pub status: &'static str,
    pub source: &'static str,
    pub external_uid: Option<String>,
    pub metadata: serde_json::Value,
}

/// The appointment a source knows by `uid`.
pub async fn find_by_external_uid_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    source: &str,
    uid: &str,
) -> DbResult<Option<Appointment>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Appointment>(concat!("SELECT ", appointment_columns!(),
            " FROM appointments WHERE workspace_id = $1 AND source = $2 AND external_uid = $3"))
            .bind(ws.0).bind(source).bind(uid).fetch_optional(&mut *c).await?
    }))
}

/// An appointment of the workspace, in the caller's transaction.
pub async fn get_appointment_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: AppointmentId,
) -> DbResult<Appointment> {
    fetch(tx, ws, id).await
}

async fn fetch(tx: &mut Tx, ws: WorkspaceId, id: AppointmentId) -> DbResult<Appointment> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Appointment>(concat!("SELECT ", appointment_columns!(), " FROM appointments WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("appointment"))
}

/// Writes `appointment.{booked,requested,rescheduled,cancelled}` (entity:
/// the contact).
pub async fn write_event(
    tx: &mut Tx,
    ws: WorkspaceId,
    kind: EventKind,
    a: &Appointment,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    write_event_with(tx, ws, kind, a, actor, now, serde_json::Map::new()).await
}

/// [`write_event`] with `extra` keys in its data (a native booking adds
/// the attribution that brought the contact, so UTMs travel on to
/// workflows, webhooks and Kommo).
pub async fn write_event_with(
    tx: &mut Tx,
    ws: WorkspaceId,
    kind: EventKind,
    a: &Appointment,
    actor: &Actor,
    now: Ts,
    extra: serde_json::Map<String, serde_json::Value>,
) -> DbResult<()> {
    let mut data = serde_json::json!({
        "contact_id": a.contact_id, "appointment_id": a.id, "start": a.starts_at, "end": a.ends_at,
        "status": a.status, "source": a.source, "external_uid": a.external_uid, "deal_id": a.deal_id,
        "title": a.title, "time_zone": a.time_zone, "calendar_id": a.calendar_id,
        "host_user_id": a.host_user_id,
    });
    if let serde_json::Value::Object(m) = &mut data {
        m.extend(extra);
    }
    let e = NewEvent {
        workspace: ws,
        kind: kind.as_str(),
        entity_type: "contact",
        entity_id: Some(a.contact_id.to_string()),
        actor,
        data,
    };
    insert_event(tx, &e, now).await?;
    Ok(())
}

/// Records a new appointment (no event: the caller knows which one fits).
pub async fn insert_appointment(
    tx: &mut Tx,
    ws: WorkspaceId,
    a: &AppointmentInput,
    now: Ts,
) -> DbResult<Appointment> {
    let id = AppointmentId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO appointments (id, workspace_id, contact_id, deal_id, title, starts_at, ends_at, time_zone,
                 organizer_time_zone, status, source, external_uid, metadata, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
        )
        .bind(id.0).bind(ws.0).bind(a.contact_id.0).bind(a.deal_id.map(|d| d.0)).bind(&a.title)
        .bind(a.starts_at).bind(a.ends_at).bind(&a.time_zone).bind(&a.organizer_time_zone)
        .bind(a.status).bind(a.source).bind(&a.external_uid).bind(a.metadata.to_string()).bind(now)
        .execute(&mut *c).await?;
    });
    fetch(tx, ws, id).await
}

/// Replaces an appointment's times, status, uid and metadata (a reschedule
/// or a status change reported by its source).
pub async fn update_appointment(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: AppointmentId,
    a: &AppointmentInput,
    now: Ts,
) -> DbResult<Appointment> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE appointments SET deal_id = COALESCE($3, deal_id), title = $4, starts_at = COALESCE($5, starts_at),
                 ends_at = COALESCE($6, ends_at), time_zone = COALESCE($7, time_zone),
                 organizer_time_zone = COALESCE($8, organizer_time_zone), status = $9,
                 external_uid = COALESCE($10, external_uid), metadata = $11, updated_at = $12
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).bind(a.deal_id.map(|d| d.0)).bind(&a.title).bind(a.starts_at).bind(a.ends_at)
        .bind(&a.time_zone).bind(&a.organizer_time_zone).bind(a.status).bind(&a.external_uid)
        .bind(a.metadata.to_string()).bind(now)
        .execute(&mut *c).await?;
    });
    fetch(tx, ws, id).await
}

/// The workspace's appointments, optionally of one contact, by start time.
pub async fn list_appointments(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: Option<ContactId>,
    limit: i64,
) -> DbResult<Vec<Appointment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Appointment>(concat!("SELECT ", appointment_columns!(),
            " FROM appointments WHERE workspace_id = $1 AND ($2 IS NULL OR contact_id = $2)
              ORDER BY starts_at DESC, id DESC LIMIT $3"))
            .bind(ws.0).bind(contact.map(|c| c.0)).bind(limit).fetch_all(p).await?
    }))
}

pub async fn find_appointment(
    db: &crate::Db,
    ws: WorkspaceId,
    id: AppointmentId,
) -> DbResult<Option<Appointment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Appointment>(concat!("SELECT ", appointment_columns!(), " FROM appointments WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}
