//! The `schedules` table: periodic jobs (a cron expression in an IANA time
//! zone that enqueues a job kind with a payload).
//!
//! This module only stores rows; evaluating cron expressions lives in
//! `af_jobs` (which owns the croner dependency). Firing is a compare-and-set
//! on `next_run_at` ([`advance_schedule`]) done in the same transaction as
//! the enqueue, so of several schedulers that saw the same due row exactly
//! one fires it.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::WorkspaceId;
use af_core::jobs::JobPayload;
use uuid::Uuid;

/// A schedule's id (UUIDv7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduleId(pub Uuid);

impl ScheduleId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for ScheduleId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for ScheduleId {
    fn from(u: Uuid) -> Self {
        Self(u)
    }
}

impl std::fmt::Display for ScheduleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ScheduleId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// A schedule to register (see [`upsert_schedule`]).
#[derive(Debug, Clone)]
pub struct NewSchedule {
    /// `None` for system-wide work (retention, decay).
    pub workspace: Option<WorkspaceId>,
    /// Unique per workspace (and among system schedules).
    pub name: String,
    /// Cron expression, validated by the caller.
    pub cron: String,
    /// IANA zone the expression is evaluated in, e.g. `America/Mexico_City`.
    pub time_zone: String,
    pub job_kind: String,
    pub payload: serde_json::Value,
    /// Only used when the schedule is created: an administrator's later
    /// enable/disable is not undone by registering again at start-up.
    pub enabled: bool,
}

impl NewSchedule {
    /// A system-wide schedule (UTC, enabled) of `payload`'s kind, named
    /// after the kind.
    pub fn system<P: JobPayload>(cron: &str, payload: &P) -> DbResult<Self> {
        Ok(Self {
            workspace: None,
            name: P::KIND.into(),
            cron: cron.into(),
            time_zone: "UTC".into(),
            job_kind: P::KIND.into(),
            payload: crate::error::payload_json(payload)?,
            enabled: true,
        })
    }
}

/// A stored schedule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Schedule {
    #[sqlx(try_from = "Uuid")]
    pub id: ScheduleId,
    pub workspace_id: Option<Uuid>,
    pub name: String,
    pub cron: String,
    pub time_zone: String,
    pub job_kind: String,
    /// JSON text.
    pub payload: String,
    pub enabled: bool,
    /// The next slot to fire: the cron instant, not when it actually fired.
    pub next_run_at: Ts,
    /// When it last fired (by the scheduler or run-now).
    pub last_run_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

macro_rules! schedule_columns {
    () => {
        "id, workspace_id, name, cron, time_zone, job_kind, payload, enabled, next_run_at, last_run_at, \
         created_at, updated_at"
    };
}

macro_rules! upsert_sql {
    ($target:literal) => {
        concat!(
            "INSERT INTO schedules (id, workspace_id, name, cron, time_zone, job_kind, payload, enabled,
                                    next_run_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
             ON CONFLICT ",
            $target,
            " DO UPDATE SET
                 next_run_at = CASE WHEN schedules.cron = excluded.cron AND schedules.time_zone = excluded.time_zone
                                    THEN schedules.next_run_at ELSE excluded.next_run_at END,
                 updated_at = CASE WHEN schedules.cron = excluded.cron AND schedules.time_zone = excluded.time_zone
                                        AND schedules.job_kind = excluded.job_kind
                                        AND schedules.payload = excluded.payload
                                   THEN schedules.updated_at ELSE excluded.updated_at END,
                 cron = excluded.cron,
                 time_zone = excluded.time_zone,
                 job_kind = excluded.job_kind,
                 payload = excluded.payload
             RETURNING ",
            schedule_columns!()
        )
    };
}

/// Creates the schedule, or updates the one with the same workspace and
/// name. Idempotent, so it is safe to call at every start-up: `next_run_at`
/// is taken from the argument only when the row is new or its cron
/// expression or time zone changed (a restart neither skips nor repeats a
/// slot), and `enabled` is left as an administrator set it.
pub async fn upsert_schedule(
    db: &crate::Db,
    s: &NewSchedule,
    next_run_at: Ts,
    now: Ts,
) -> DbResult<Schedule> {
    let id = ScheduleId::new();
    Ok(with_pool!(db, p => {
        let sql = match s.workspace {
            Some(_) => upsert_sql!("(workspace_id, name) WHERE workspace_id IS NOT NULL"),
            None => upsert_sql!("(name) WHERE workspace_id IS NULL"),
        };
        sqlx::query_as::<_, Schedule>(sql)
            .bind(id.0)
            .bind(s.workspace.map(|w| w.0))
            .bind(&s.name)
            .bind(&s.cron)
            .bind(&s.time_zone)
            .bind(&s.job_kind)
            .bind(s.payload.to_string())
            .bind(s.enabled)
            .bind(next_run_at)
            .bind(now)
            .fetch_one(p)
            .await?
    }))
}

/// The schedule with this id, if any.
pub async fn find_schedule(db: &crate::Db, id: ScheduleId) -> DbResult<Option<Schedule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Schedule>(concat!("SELECT ", schedule_columns!(), " FROM schedules WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(p)
            .await?
    }))
}

/// The schedule named `name` in `workspace` (`None`: a system schedule).
pub async fn find_schedule_by_name(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    name: &str,
) -> DbResult<Option<Schedule>> {
    Ok(with_pool!(db, p => {
        match workspace {
            Some(ws) => sqlx::query_as::<_, Schedule>(concat!(
                "SELECT ", schedule_columns!(), " FROM schedules WHERE workspace_id = $1 AND name = $2"))
                .bind(ws.0)
                .bind(name)
                .fetch_optional(p)
                .await?,
            None => sqlx::query_as::<_, Schedule>(concat!(
                "SELECT ", schedule_columns!(), " FROM schedules WHERE workspace_id IS NULL AND name = $1"))
                .bind(name)
                .fetch_optional(p)
                .await?,
        }
    }))
}

/// Every schedule (system ones first), for the admin page and CLI.
pub async fn list_schedules(db: &crate::Db) -> DbResult<Vec<Schedule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Schedule>(concat!(
            "SELECT ", schedule_columns!(),
            " FROM schedules ORDER BY CASE WHEN workspace_id IS NULL THEN 0 ELSE 1 END, workspace_id, name"))
            .fetch_all(p)
            .await?
    }))
}

/// The schedules of one workspace, by name.
pub async fn list_workspace_schedules(
    db: &crate::Db,
    workspace: WorkspaceId,
) -> DbResult<Vec<Schedule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Schedule>(concat!(
            "SELECT ", schedule_columns!(), " FROM schedules WHERE workspace_id = $1 ORDER BY name"))
            .bind(workspace.0)
            .fetch_all(p)
            .await?
    }))
}

/// Enabled schedules whose `next_run_at` has come, oldest first.
pub async fn list_due_schedules(db: &crate::Db, now: Ts, limit: i64) -> DbResult<Vec<Schedule>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Schedule>(concat!(
            "SELECT ", schedule_columns!(),
            " FROM schedules WHERE enabled = TRUE AND next_run_at <= $1 ORDER BY next_run_at, id LIMIT $2"))
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?
    }))
}

/// The earliest `next_run_at` of an enabled schedule, so the scheduler
/// knows how long it may sleep.
pub async fn next_schedule_due_at(db: &crate::Db) -> DbResult<Option<Ts>> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar("SELECT MIN(next_run_at) FROM schedules WHERE enabled = TRUE").fetch_one(p).await?
    }))
}

/// Compare-and-set: moves `next_run_at` from `expected` to `next` and
/// records `now` as the last run. `false` when another scheduler moved it
/// first (or the schedule was disabled or changed): the caller must then not
/// enqueue. On PostgreSQL a racing `UPDATE` waits for the first one's
/// transaction and then re-checks `next_run_at`; SQLite's `BEGIN IMMEDIATE`
/// serializes the two.
pub async fn advance_schedule(
    tx: &mut Tx,
    id: ScheduleId,
    expected: Ts,
    next: Ts,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query(
            "UPDATE schedules SET next_run_at = $3, last_run_at = $4
             WHERE id = $1 AND next_run_at = $2 AND enabled = TRUE",
        )
        .bind(id.0)
        .bind(expected)
        .bind(next)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    }) > 0)
}

/// Records a manual run (run-now) without moving `next_run_at`.
pub async fn mark_schedule_run(tx: &mut Tx, id: ScheduleId, now: Ts) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("UPDATE schedules SET last_run_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    }) > 0)
}

/// Enables or disables a schedule. When enabling, pass the next slot
/// computed from now, so a long-disabled schedule does not fire for a slot
/// long past.
pub async fn set_schedule_enabled(
    db: &crate::Db,
    id: ScheduleId,
    enabled: bool,
    next_run_at: Option<Ts>,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE schedules SET enabled = $2, next_run_at = COALESCE($3, next_run_at), updated_at = $4
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(enabled)
        .bind(next_run_at)
        .bind(now)
        .execute(p)
        .await?
        .rows_affected()
    }) > 0)
}

/// Deletes a schedule (jobs it already enqueued stay queued).
pub async fn delete_schedule(db: &crate::Db, id: ScheduleId) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM schedules WHERE id = $1").bind(id.0).execute(p).await?.rows_affected()
    }) > 0)
}
