//! Booking calendars, their hosts, and native bookings with the claims that
//! make a double booking impossible.
//!
//! A native booking is an appointment with `source = 'calendar'`, a
//! calendar and a host. Its *held* interval is its time plus the calendar's
//! buffers. In the booking's transaction it claims every five-minute cell of
//! that interval for its host (`booking_claims`, primary key `(workspace,
//! host, cell)`): two live bookings of one host whose held intervals overlap
//! need the same cell, so the second insert fails — whichever calendars
//! they came through, identical or not, pending or booked, however many
//! race. A cancellation deletes the claims in its own transaction; a
//! reschedule swaps them in one. On PostgreSQL an exclusion constraint over
//! `tstzrange(held_from, held_until)` states the same rule a second time.

use crate::appointments::Appointment;
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::booking::claim_cells;
use af_core::{AppointmentId, CalendarId, ContactId, DealId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// The `source` of native bookings.
pub const SOURCE: &str = "calendar";

/// A calendar as stored (JSON columns as text; `af_service::calendars`
/// reads them into `af_core::booking::BookingRules`).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Calendar {
    #[sqlx(try_from = "Uuid")]
    pub id: CalendarId,
    #[sqlx(try_from = "Uuid")]
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub location_kind: String,
    pub location: String,
    pub time_zone: String,
    pub duration_minutes: i32,
    pub slot_interval_minutes: i32,
    pub availability: String,
    pub overrides: String,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub daily_cap: Option<i32>,
    pub questions: String,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub tags: String,
    pub requires_confirmation: bool,
    pub cancel_cutoff_minutes: i32,
    pub reschedule_cutoff_minutes: i32,
    pub max_reschedules: i32,
    pub reminders: String,
    pub policy: String,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

macro_rules! calendar_columns {
    () => {
        "id, workspace_id, name, slug, description, location_kind, location, time_zone, duration_minutes, \
         slot_interval_minutes, availability, overrides, buffer_before_minutes, buffer_after_minutes, \
         min_notice_minutes, horizon_days, daily_cap, questions, pipeline_id, stage_id, tags, \
         requires_confirmation, cancel_cutoff_minutes, reschedule_cutoff_minutes, max_reschedules, reminders, \
         policy, active, created_at, updated_at"
    };
}

/// A validated calendar definition (create and full update). JSON fields
/// are already checked by the service.
#[derive(Debug, Clone)]
pub struct CalendarInput {
    pub name: String,
    pub slug: String,
    pub description: String,
    pub location_kind: String,
    pub location: String,
    pub time_zone: String,
    pub duration_minutes: i32,
    pub slot_interval_minutes: i32,
    pub availability: serde_json::Value,
    pub overrides: serde_json::Value,
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub daily_cap: Option<i32>,
    pub questions: serde_json::Value,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub requires_confirmation: bool,
    pub cancel_cutoff_minutes: i32,
    pub reschedule_cutoff_minutes: i32,
    pub max_reschedules: i32,
    pub reminders: Vec<i32>,
    pub policy: String,
    pub active: bool,
}

fn tags_json(tags: &[String]) -> String {
    serde_json::Value::from(tags.to_vec()).to_string()
}

fn reminders_json(r: &[i32]) -> String {
    serde_json::Value::from(r.to_vec()).to_string()
}

/// Binds a definition's fields, in column order, as `$3` … `$29` after
/// the workspace (`$1`) and the calendar's id (`$2`): the insert and the
/// update share it.
macro_rules! bind_definition {
    ($q:expr, $c:expr, $now:expr) => {
        $q.bind(&$c.name)
            .bind(&$c.slug)
            .bind(&$c.description)
            .bind(&$c.location_kind)
            .bind(&$c.location)
            .bind(&$c.time_zone)
            .bind($c.duration_minutes)
            .bind($c.slot_interval_minutes)
            .bind($c.availability.to_string())
            .bind($c.overrides.to_string())
            .bind($c.buffer_before_minutes)
            .bind($c.buffer_after_minutes)
            .bind($c.min_notice_minutes)
            .bind($c.horizon_days)
            .bind($c.daily_cap)
            .bind($c.questions.to_string())
            .bind($c.pipeline_id)
            .bind($c.stage_id)
            .bind(tags_json(&$c.tags))
            .bind($c.requires_confirmation)
            .bind($c.cancel_cutoff_minutes)
            .bind($c.reschedule_cutoff_minutes)
            .bind($c.max_reschedules)
            .bind(reminders_json(&$c.reminders))
            .bind(&$c.policy)
            .bind($c.active)
            .bind($now)
    };
}

/// Creates a calendar. A taken slug is `DbError::unique_violation` on
/// `calendars_slug_key` / `calendars.workspace_id, calendars.slug`.
pub async fn insert_calendar(
    tx: &mut Tx,
    ws: WorkspaceId,
    c: &CalendarInput,
    now: Ts,
) -> DbResult<Calendar> {
    let id = CalendarId::new();
    with_tx!(tx, conn => {
        let q = sqlx::query(
            "INSERT INTO calendars (workspace_id, id, name, slug, description, location_kind, location, time_zone,
                 duration_minutes, slot_interval_minutes, availability, overrides, buffer_before_minutes,
                 buffer_after_minutes, min_notice_minutes, horizon_days, daily_cap, questions, pipeline_id, stage_id,
                 tags, requires_confirmation, cancel_cutoff_minutes, reschedule_cutoff_minutes, max_reschedules,
                 reminders, policy, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                     $21, $22, $23, $24, $25, $26, $27, $28, $29, $29)",
        )
        .bind(ws.0).bind(id.0);
        bind_definition!(q, c, now)
        .execute(&mut *conn).await?;
    });
    get_calendar_tx(tx, ws, id).await
}

/// Replaces a calendar's definition.
pub async fn update_calendar(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: CalendarId,
    c: &CalendarInput,
    now: Ts,
) -> DbResult<Calendar> {
    let done = with_tx!(tx, conn => {
        let q = sqlx::query(
            "UPDATE calendars SET name = $3, slug = $4, description = $5, location_kind = $6, location = $7,
                 time_zone = $8, duration_minutes = $9, slot_interval_minutes = $10, availability = $11,
                 overrides = $12, buffer_before_minutes = $13, buffer_after_minutes = $14,
                 min_notice_minutes = $15, horizon_days = $16, daily_cap = $17, questions = $18,
                 pipeline_id = $19, stage_id = $20, tags = $21, requires_confirmation = $22,
                 cancel_cutoff_minutes = $23, reschedule_cutoff_minutes = $24, max_reschedules = $25,
                 reminders = $26, policy = $27, active = $28, updated_at = $29
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0);
        bind_definition!(q, c, now)
        .execute(&mut *conn).await?.rows_affected()
    });
    if done == 0 {
        return Err(DbError::NotFound("calendar"));
    }
    get_calendar_tx(tx, ws, id).await
}

/// Deletes a calendar; its bookings stay as appointments (calendar unset).
pub async fn delete_calendar(tx: &mut Tx, ws: WorkspaceId, id: CalendarId) -> DbResult<()> {
    let done = with_tx!(tx, c => {
        sqlx::query("DELETE FROM calendars WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    });
    if done == 0 {
        return Err(DbError::NotFound("calendar"));
    }
    Ok(())
}

pub async fn get_calendar_tx(tx: &mut Tx, ws: WorkspaceId, id: CalendarId) -> DbResult<Calendar> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Calendar>(concat!("SELECT ", calendar_columns!(),
            " FROM calendars WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("calendar"))
}

pub async fn get_calendar(db: &crate::Db, ws: WorkspaceId, id: CalendarId) -> DbResult<Calendar> {
    with_pool!(db, p => {
        sqlx::query_as::<_, Calendar>(concat!("SELECT ", calendar_columns!(),
            " FROM calendars WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    })
    .ok_or(DbError::NotFound("calendar"))
}

/// The calendar of the workspace at `slug`.
pub async fn find_by_slug(
    db: &crate::Db,
    ws: WorkspaceId,
    slug: &str,
) -> DbResult<Option<Calendar>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Calendar>(concat!("SELECT ", calendar_columns!(),
            " FROM calendars WHERE workspace_id = $1 AND slug = $2"))
            .bind(ws.0).bind(slug).fetch_optional(p).await?
    }))
}

/// The workspace's calendars by name.
pub async fn list_calendars(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Calendar>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Calendar>(concat!("SELECT ", calendar_columns!(),
            " FROM calendars WHERE workspace_id = $1 ORDER BY name, id"))
            .bind(ws.0).fetch_all(p).await?
    }))
}

// ------------------------------------------------------------------ hosts

/// A host of a calendar.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Host {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub priority: i32,
    pub weight: i32,
    pub adjustment: i64,
    /// JSON weekly windows of the host's own hours, or none.
    pub weekly: Option<String>,
    pub daily_cap: Option<i32>,
}

/// Replaces the calendar's hosts. Hosts that stay keep their adjustment
/// (`adjustment` given for them is ignored); new ones get the given one.
pub async fn set_hosts(
    tx: &mut Tx,
    ws: WorkspaceId,
    calendar: CalendarId,
    hosts: &[Host],
    now: Ts,
) -> DbResult<()> {
    let keep: Vec<Uuid> = hosts.iter().map(|h| h.user_id.0).collect();
    let existing = list_hosts_tx(tx, ws, calendar).await?;
    for old in &existing {
        if !keep.contains(&old.user_id.0) {
            with_tx!(tx, c => {
                sqlx::query("DELETE FROM calendar_hosts WHERE workspace_id = $1 AND calendar_id = $2 AND user_id = $3")
                    .bind(ws.0).bind(calendar.0).bind(old.user_id.0).execute(&mut *c).await?;
            });
        }
    }
    for h in hosts {
        with_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO calendar_hosts (calendar_id, user_id, workspace_id, priority, weight, adjustment, weekly,
                                             daily_cap, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (calendar_id, user_id) DO UPDATE SET priority = excluded.priority,
                     weight = excluded.weight, weekly = excluded.weekly, daily_cap = excluded.daily_cap",
            )
            .bind(calendar.0).bind(h.user_id.0).bind(ws.0).bind(h.priority).bind(h.weight).bind(h.adjustment)
            .bind(&h.weekly).bind(h.daily_cap).bind(now)
            .execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// The calendar's hosts, in the caller's transaction.
pub async fn list_hosts_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    calendar: CalendarId,
) -> DbResult<Vec<Host>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Host>(
            "SELECT user_id, priority, weight, adjustment, weekly, daily_cap FROM calendar_hosts
             WHERE workspace_id = $1 AND calendar_id = $2 ORDER BY created_at, user_id")
            .bind(ws.0).bind(calendar.0).fetch_all(&mut *c).await?
    }))
}

/// The calendar's hosts, oldest first.
pub async fn list_hosts(
    db: &crate::Db,
    ws: WorkspaceId,
    calendar: CalendarId,
) -> DbResult<Vec<Host>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Host>(
            "SELECT user_id, priority, weight, adjustment, weekly, daily_cap FROM calendar_hosts
             WHERE workspace_id = $1 AND calendar_id = $2 ORDER BY created_at, user_id")
            .bind(ws.0).bind(calendar.0).fetch_all(p).await?
    }))
}

/// Every host of every calendar of the workspace, as `(calendar, host)`
/// pairs (one query for a list of calendars).
pub async fn list_workspace_hosts(
    db: &crate::Db,
    ws: WorkspaceId,
) -> DbResult<Vec<(CalendarId, Host)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        calendar_id: Uuid,
        #[sqlx(flatten)]
        host: Host,
    }
    let rows = with_pool!(db, p => {
        sqlx::query_as::<_, Row>(
            "SELECT calendar_id, user_id, priority, weight, adjustment, weekly, daily_cap FROM calendar_hosts
             WHERE workspace_id = $1 ORDER BY calendar_id, created_at, user_id")
            .bind(ws.0).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|r| (CalendarId(r.calendar_id), r.host))
        .collect())
}

// --------------------------------------------------------------- bookings

/// A time one of a calendar's hosts is taken: a live booking from any
/// calendar of the workspace, or a busy interval of the host's external
/// calendar feed (no id, no calendar), as the slot engine needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldTime {
    /// The appointment holding the time; `None` for an external busy time.
    pub id: Option<Uuid>,
    #[sqlx(try_from = "Uuid")]
    pub host_user_id: UserId,
    pub calendar_id: Option<Uuid>,
    pub starts_at: Ts,
    pub held_from: Ts,
    pub held_until: Ts,
}

/// The held times of a calendar's hosts, as rows. `CROSS JOIN` fixes
/// SQLite's join order (each host, then her bookings through
/// `appointments_host_idx`) instead of scanning the workspace's every
/// appointment; PostgreSQL plans it as the inner join it is. A macro so the
/// SQLite form below can wrap the same text.
macro_rules! held_times_rows {
    () => {
        "SELECT a.id, a.host_user_id, a.calendar_id, a.starts_at, a.held_from, a.held_until
         FROM calendar_hosts h
         CROSS JOIN appointments a
         WHERE h.workspace_id = $1 AND h.calendar_id = $2
           AND a.workspace_id = h.workspace_id AND a.host_user_id = h.user_id
           AND a.status IN ('booked', 'pending') AND a.held_from < $4 AND a.held_until > $3
         UNION ALL
         SELECT NULL, b.user_id, NULL, b.starts_at, b.starts_at, b.ends_at
         FROM calendar_hosts h
         CROSS JOIN busy_times b
         WHERE h.workspace_id = $1 AND h.calendar_id = $2
           AND b.workspace_id = h.workspace_id AND b.user_id = h.user_id
           AND b.starts_at < $4 AND b.ends_at > $3"
    };
}
const HELD_TIMES_ROWS: &str = held_times_rows!();

/// [`HELD_TIMES_ROWS`] as one JSON text, for SQLite: sqlx hands each SQLite
/// row from its worker thread to the caller separately (a thread wake-up
/// per row), which for a 20-host month (thousands of rows) cost most of a
/// slots request; one aggregated value crosses once.
const HELD_TIMES_SQLITE_JSON: &str = concat!(
    "SELECT json_group_array(json_array(
         hex(id), hex(host_user_id), hex(calendar_id), starts_at, held_from, held_until))
     FROM (",
    held_times_rows!(),
    ")"
);

/// Reads [`HELD_TIMES_SQLITE_JSON`]'s value: `[[id hex|"", host hex,
/// calendar hex|"", starts, held_from, held_until], ...]`.
fn held_times_from_json(json: &str) -> DbResult<Vec<HeldTime>> {
    type Row = (String, String, String, String, String, String);
    let bad = |what: &str| {
        crate::DbError::Sqlx(sqlx::Error::Decode(format!("held times: {what}").into()))
    };
    let rows: Vec<Row> = serde_json::from_str(json).map_err(|e| bad(&e.to_string()))?;
    let uuid = |hex: &str| -> DbResult<Option<Uuid>> {
        if hex.is_empty() {
            return Ok(None);
        }
        Uuid::try_parse(hex).map(Some).map_err(|_| bad("an id"))
    };
    let ts = |text: &str| -> DbResult<Ts> {
        text.parse::<jiff::Timestamp>()
            .map(Ts)
            .map_err(|_| bad("a time"))
    };
    rows.iter()
        .map(|(id, host, cal, starts, from, until)| {
            Ok(HeldTime {
                id: uuid(id)?,
                host_user_id: UserId(uuid(host)?.ok_or_else(|| bad("a host"))?),
                calendar_id: uuid(cal)?,
                starts_at: ts(starts)?,
                held_from: ts(from)?,
                held_until: ts(until)?,
            })
        })
        .collect()
}

/// Sorts held times by the start of their hold (the engine's order).
fn by_hold(mut v: Vec<HeldTime>) -> Vec<HeldTime> {
    v.sort_by_key(|t| t.held_from);
    v
}

/// Every live (booked or pending) booking of the calendar's hosts, and
/// every external busy time of theirs, that meets `[from, until)` — one
/// query for a whole slot page, ordered by the start of the hold.
pub async fn held_times(
    db: &crate::Db,
    ws: WorkspaceId,
    calendar: CalendarId,
    from: Ts,
    until: Ts,
) -> DbResult<Vec<HeldTime>> {
    Ok(by_hold(match db {
        crate::Db::Sqlite(p) => {
            let json: String = sqlx::query_scalar(HELD_TIMES_SQLITE_JSON)
                .bind(ws.0)
                .bind(calendar.0)
                .bind(from)
                .bind(until)
                .fetch_one(p)
                .await?;
            held_times_from_json(&json)?
        }
        crate::Db::Pg(p) => {
            sqlx::query_as::<_, HeldTime>(HELD_TIMES_ROWS)
                .bind(ws.0)
                .bind(calendar.0)
                .bind(from)
                .bind(until)
                .fetch_all(p)
                .await?
        }
    }))
}

/// [`held_times`] in the caller's transaction (a booking re-checks its
/// slot with what its own transaction sees).
pub async fn held_times_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    calendar: CalendarId,
    from: Ts,
    until: Ts,
) -> DbResult<Vec<HeldTime>> {
    Ok(by_hold(match &mut tx.conn {
        crate::TxConn::Sqlite(c) => {
            let json: String = sqlx::query_scalar(HELD_TIMES_SQLITE_JSON)
                .bind(ws.0)
                .bind(calendar.0)
                .bind(from)
                .bind(until)
                .fetch_one(&mut **c)
                .await?;
            held_times_from_json(&json)?
        }
        crate::TxConn::Pg(c) => {
            sqlx::query_as::<_, HeldTime>(HELD_TIMES_ROWS)
                .bind(ws.0)
                .bind(calendar.0)
                .bind(from)
                .bind(until)
                .fetch_all(&mut **c)
                .await?
        }
    }))
}

/// A native booking to write.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub calendar_id: CalendarId,
    pub host: UserId,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub title: String,
    pub starts_at: Ts,
    pub ends_at: Ts,
    pub held_from: Ts,
    pub held_until: Ts,
    /// The invitee's zone.
    pub time_zone: Option<String>,
    /// The calendar's zone.
    pub organizer_time_zone: String,
    /// `booked` or `pending`.
    pub status: &'static str,
    pub answers: serde_json::Value,
    pub metadata: serde_json::Value,
}

/// Whether `e` says the host is already held at that time (a claim's key,
/// or PostgreSQL's exclusion constraint).
pub fn is_slot_taken(e: &DbError) -> bool {
    let DbError::Sqlx(sqlx::Error::Database(d)) = e else {
        return false;
    };
    // 23P01: exclusion_violation.
    d.code().as_deref() == Some("23P01")
        || (d.is_unique_violation()
            && (d.constraint() == Some("booking_claims_pkey")
                || d.message().contains("booking_claims.")))
}

/// Whether `e` says this transaction lost a race another booking won: the
/// host is taken ([`is_slot_taken`]), or PostgreSQL broke a deadlock or a
/// serialization conflict between the two. Running the transaction again
/// sees the winner.
pub fn is_lost_race(e: &DbError) -> bool {
    if is_slot_taken(e) {
        return true;
    }
    let DbError::Sqlx(sqlx::Error::Database(d)) = e else {
        return false;
    };
    // 40P01: deadlock_detected; 40001: serialization_failure.
    matches!(d.code().as_deref(), Some("40P01" | "40001"))
}

/// Inserts the booking's appointment and its claims. A host already held
/// in any part of `[held_from, held_until)` fails with an error for which
/// [`is_slot_taken`] holds; the caller's transaction must then be dropped.
pub async fn insert_booking(
    tx: &mut Tx,
    ws: WorkspaceId,
    b: &NewBooking,
    now: Ts,
) -> DbResult<Appointment> {
    let id = AppointmentId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO appointments (id, workspace_id, contact_id, deal_id, title, starts_at, ends_at, time_zone,
                 organizer_time_zone, status, source, external_uid, metadata, created_at, updated_at, calendar_id,
                 host_user_id, held_from, held_until, reschedules, sequence, answers)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18, 0, 0, $19)",
        )
        .bind(id.0).bind(ws.0).bind(b.contact_id.0).bind(b.deal_id.map(|d| d.0)).bind(&b.title)
        .bind(b.starts_at).bind(b.ends_at).bind(&b.time_zone).bind(&b.organizer_time_zone).bind(b.status)
        .bind(SOURCE).bind(id.0.to_string()).bind(b.metadata.to_string()).bind(now).bind(b.calendar_id.0)
        .bind(b.host.0).bind(b.held_from).bind(b.held_until).bind(b.answers.to_string())
        .execute(&mut *c).await?;
    });
    claim(tx, ws, b.host, id, b.held_from, b.held_until).await?;
    crate::appointments::get_appointment_tx(tx, ws, id).await
}

/// Claims the cells of `[from, until)` for `host` on behalf of `appointment`.
async fn claim(
    tx: &mut Tx,
    ws: WorkspaceId,
    host: UserId,
    appointment: AppointmentId,
    from: Ts,
    until: Ts,
) -> DbResult<()> {
    let Some((first, last)) = claim_cells(from.0, until.0) else {
        return Ok(());
    };
    // One statement however long the booking: the cells come from a
    // recursive CTE, which both backends run.
    with_tx!(tx, c => {
        sqlx::query(
            "WITH RECURSIVE cells (cell) AS (SELECT CAST($4 AS BIGINT) UNION ALL SELECT cell + 1 FROM cells WHERE cell < $5)
             INSERT INTO booking_claims (workspace_id, host_user_id, cell, appointment_id)
             SELECT $1, $2, cell, $3 FROM cells",
        )
        .bind(ws.0).bind(host.0).bind(appointment.0).bind(first).bind(last)
        .execute(&mut *c).await?;
    });
    Ok(())
}

/// Releases every claim of `appointment` (cancel, or the first half of a
/// reschedule).
pub async fn release_claims(
    tx: &mut Tx,
    ws: WorkspaceId,
    appointment: AppointmentId,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM booking_claims WHERE workspace_id = $1 AND appointment_id = $2")
            .bind(ws.0).bind(appointment.0).execute(&mut *c).await?;
    });
    Ok(())
}

/// Sets a native booking's status; leaving `booked`/`pending` for
/// `cancelled` releases its claims in the same transaction, and the
/// `.ics` sequence rises.
pub async fn set_booking_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: AppointmentId,
    status: &'static str,
    now: Ts,
) -> DbResult<Appointment> {
    let done = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE appointments SET status = $3, sequence = sequence + 1, updated_at = $4
             WHERE workspace_id = $1 AND id = $2 AND source = 'calendar'")
            .bind(ws.0).bind(id.0).bind(status).bind(now).execute(&mut *c).await?.rows_affected()
    });
    if done == 0 {
        return Err(DbError::NotFound("appointment"));
    }
    if status == "cancelled" {
        release_claims(tx, ws, id).await?;
    }
    crate::appointments::get_appointment_tx(tx, ws, id).await
}

/// Moves a native booking to a new time (and host) in one swap: its claims
/// are released and the new ones taken in the caller's transaction, so if
/// the new time is taken ([`is_slot_taken`]) dropping the transaction
/// leaves the booking as it was.
#[allow(clippy::too_many_arguments)]
pub async fn reschedule_booking(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: AppointmentId,
    host: UserId,
    starts_at: Ts,
    ends_at: Ts,
    held: (Ts, Ts),
    now: Ts,
) -> DbResult<Appointment> {
    release_claims(tx, ws, id).await?;
    let done = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE appointments SET host_user_id = $3, starts_at = $4, ends_at = $5, held_from = $6,
                 held_until = $7, reschedules = reschedules + 1, sequence = sequence + 1, updated_at = $8
             WHERE workspace_id = $1 AND id = $2 AND source = 'calendar' AND status IN ('booked', 'pending')")
            .bind(ws.0).bind(id.0).bind(host.0).bind(starts_at).bind(ends_at).bind(held.0).bind(held.1).bind(now)
            .execute(&mut *c).await?.rows_affected()
    });
    if done == 0 {
        return Err(DbError::NotFound("appointment"));
    }
    claim(tx, ws, host, id, held.0, held.1).await?;
    crate::appointments::get_appointment_tx(tx, ws, id).await
}

/// Live and past (not cancelled) bookings of the calendar per host, for
/// round robin's shares.
pub async fn booking_counts(
    db: &crate::Db,
    ws: WorkspaceId,
    calendar: CalendarId,
) -> DbResult<Vec<(Uuid, i64)>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, (Uuid, i64)>(
            "SELECT host_user_id, COUNT(*) FROM appointments
             WHERE workspace_id = $1 AND calendar_id = $2 AND host_user_id IS NOT NULL AND status <> 'cancelled'
             GROUP BY host_user_id")
            .bind(ws.0).bind(calendar.0).fetch_all(p).await?
    }))
}

// ------------------------------------------------------------- the team's

/// Moves an appointment (any source) from `from` to `to` and raises its
/// `.ics` sequence; None when its status is no longer `from` (someone
/// changed it meanwhile). Not for cancelling a native booking: that must
/// release its claims ([`set_booking_status`]).
pub async fn transition_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: AppointmentId,
    from: &str,
    to: &'static str,
    now: Ts,
) -> DbResult<Option<Appointment>> {
    let done = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE appointments SET status = $4, sequence = sequence + 1, updated_at = $5
             WHERE workspace_id = $1 AND id = $2 AND status = $3")
            .bind(ws.0).bind(id.0).bind(from).bind(to).bind(now).execute(&mut *c).await?.rows_affected()
    });
    if done == 0 {
        return Ok(None);
    }
    crate::appointments::get_appointment_tx(tx, ws, id)
        .await
        .map(Some)
}

/// An appointment as the agenda and the contact page list it: the row
/// plus its contact's name and its calendar's name (native ones).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaItem {
    #[sqlx(flatten)]
    pub appointment: Appointment,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub contact_email: Option<String>,
    pub calendar_name: Option<String>,
}

/// The workspace's appointments (every source, every status) starting in
/// `[from, until)`, optionally of one host, by start — one query for a
/// week of the agenda.
pub async fn list_agenda(
    db: &crate::Db,
    ws: WorkspaceId,
    from: Ts,
    until: Ts,
    host: Option<UserId>,
) -> DbResult<Vec<AgendaItem>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, AgendaItem>(
            "SELECT a.id, a.contact_id, a.deal_id, a.title, a.starts_at, a.ends_at, a.time_zone,
                    a.organizer_time_zone, a.status, a.source, a.external_uid, a.metadata, a.created_at,
                    a.updated_at, a.calendar_id, a.host_user_id, a.reschedules, a.sequence, a.answers,
                    ct.first_name, ct.last_name, ct.email AS contact_email, cal.name AS calendar_name
             FROM appointments a
             JOIN contacts ct ON ct.workspace_id = a.workspace_id AND ct.id = a.contact_id
             LEFT JOIN calendars cal ON cal.workspace_id = a.workspace_id AND cal.id = a.calendar_id
             WHERE a.workspace_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3
               AND ($4 IS NULL OR a.host_user_id = $4)
             ORDER BY a.starts_at, a.id")
            .bind(ws.0).bind(from).bind(until).bind(host.map(|h| h.0)).fetch_all(p).await?
    }))
}

/// A contact's appointments (every source), newest start first, with
/// their calendars' names.
pub async fn list_contact_agenda(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    limit: i64,
) -> DbResult<Vec<AgendaItem>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, AgendaItem>(
            "SELECT a.id, a.contact_id, a.deal_id, a.title, a.starts_at, a.ends_at, a.time_zone,
                    a.organizer_time_zone, a.status, a.source, a.external_uid, a.metadata, a.created_at,
                    a.updated_at, a.calendar_id, a.host_user_id, a.reschedules, a.sequence, a.answers,
                    ct.first_name, ct.last_name, ct.email AS contact_email, cal.name AS calendar_name
             FROM appointments a
             JOIN contacts ct ON ct.workspace_id = a.workspace_id AND ct.id = a.contact_id
             LEFT JOIN calendars cal ON cal.workspace_id = a.workspace_id AND cal.id = a.calendar_id
             WHERE a.workspace_id = $1 AND a.contact_id = $2
             ORDER BY a.starts_at DESC, a.id DESC LIMIT $3")
            .bind(ws.0).bind(contact.0).bind(limit).fetch_all(p).await?
    }))
}
