//! Periodic jobs: the scheduler turns due rows of `schedules` into jobs.
//!
//! Every node may run a scheduler. Firing one slot is one transaction: a
//! compare-and-set moves `next_run_at` from the slot seen to the next one,
//! and only if that succeeded is the job enqueued, with the dedupe key
//! `schedule:{id}:{slot}`. A second node that saw the same slot fails the
//! compare-and-set and enqueues nothing. Missed slots (all nodes down) are
//! not replayed: the schedule fires once for the oldest missed slot and then
//! moves to the first slot after now.

use crate::JobsError;
use crate::cron::{next_occurrence, parse_cron, parse_time_zone};
use crate::metrics as m;
use af_core::{Clock, JobId};
use af_db::jobs::{self, NewJob};
use af_db::schedules::{self, NewSchedule, Schedule, ScheduleId};
use af_db::{Db, Ts};
use jiff::Timestamp;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How a scheduler behaves.
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The longest the scheduler sleeps between looks (schedules added or
    /// changed by other processes are seen within this).
    pub poll_interval: Duration,
    /// Most schedules fired per tick.
    pub batch_size: i64,
}

impl Default for SchedulerConfig {
    /// 10 s, 100 per tick.
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(10),
            batch_size: 100,
        }
    }
}

/// Fires due schedules. Cheap to clone.
#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    clock: Arc<dyn Clock>,
    config: SchedulerConfig,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Validates a schedule's expression, zone and payload, returning the first
/// slot strictly after `now`.
fn first_slot(s: &NewSchedule, now: Timestamp) -> Result<Ts, JobsError> {
    let cron = parse_cron(&s.cron)?;
    let tz = parse_time_zone(&s.time_zone)?;
    Ok(Ts::new(next_occurrence(&cron, &tz, now)?.timestamp()))
}

/// Registers (creates or updates by workspace and name) a periodic job.
/// Idempotent: call it at every start-up for the schedules the code owns.
/// The cron expression and zone are validated here, so the scheduler only
/// ever sees good ones.
pub async fn register_schedule(
    db: &Db,
    spec: &NewSchedule,
    now: Timestamp,
) -> Result<Schedule, JobsError> {
    let next = first_slot(spec, now)?;
    Ok(schedules::upsert_schedule(db, spec, next, Ts::new(now)).await?)
}

/// Enables or disables a schedule. Enabling restarts it from the first slot
/// after `now` (no catch-up for the time it was off).
pub async fn set_schedule_enabled(
    db: &Db,
    id: ScheduleId,
    enabled: bool,
    now: Timestamp,
) -> Result<bool, JobsError> {
    let Some(s) = schedules::find_schedule(db, id).await? else {
        return Err(JobsError::ScheduleNotFound(id));
    };
    let next = if enabled {
        let cron = parse_cron(&s.cron)?;
        let tz = parse_time_zone(&s.time_zone)?;
        Some(Ts::new(next_occurrence(&cron, &tz, now)?.timestamp()))
    } else {
        None
    };
    Ok(schedules::set_schedule_enabled(db, id, enabled, next, Ts::new(now)).await?)
}

fn payload_of(s: &Schedule) -> Result<serde_json::Value, JobsError> {
    serde_json::from_str(&s.payload).map_err(|e| JobsError::InvalidPayload(e.to_string()))
}

fn job_for<'a>(
    s: &'a Schedule,
    payload: serde_json::Value,
    run_at: Ts,
    dedupe_key: String,
) -> NewJob<'a> {
    let mut job = NewJob::new(&s.job_kind, payload, run_at);
    job.workspace = s.workspace_id.map(Into::into);
    job.dedupe_key = Some(dedupe_key);
    job
}

/// Enqueues a schedule's job now, outside its cron slots ("run now" in the
/// admin page). `next_run_at` is unchanged. Returns `None` when a run-now
/// job for this schedule is still pending (a double click queues one).
pub async fn run_schedule_now(
    db: &Db,
    id: ScheduleId,
    now: Timestamp,
) -> Result<Option<JobId>, JobsError> {
    let Some(s) = schedules::find_schedule(db, id).await? else {
        return Err(JobsError::ScheduleNotFound(id));
    };
    let enqueued = jobs::enqueue_schedule_now(db, &s, payload_of(&s)?, Ts::new(now)).await?;
    tracing::info!(schedule.id = %s.id, schedule.name = %s.name, job.id = ?enqueued, "schedule run now");
    Ok(enqueued)
}

impl Scheduler {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: SchedulerConfig) -> Self {
        Self { db, clock, config }
    }

    /// Fires every due schedule once; returns how many this scheduler fired
    /// (schedules fired by a racing scheduler are not counted).
    pub async fn tick(&self) -> Result<usize, JobsError> {
        let now = self.clock.now();
        let due =
            schedules::list_due_schedules(&self.db, Ts::new(now), self.config.batch_size).await?;
        let mut fired = 0;
        for s in &due {
            match self.fire(s, now).await {
                Ok(true) => fired += 1,
                Ok(false) => {}
                Err(JobsError::Db(e)) => return Err(JobsError::Db(e)),
                Err(e) => {
                    // A bad row would otherwise be due forever: turn it off
                    // and say why, once.
                    tracing::error!(schedule.id = %s.id, schedule.name = %s.name, error = %e,
                        "schedule cannot fire; disabling it");
                    schedules::set_schedule_enabled(&self.db, s.id, false, None, Ts::new(now))
                        .await?;
                }
            }
        }
        Ok(fired)
    }

    /// Fires one slot of `s`; `false` if another scheduler got there first.
    async fn fire(&self, s: &Schedule, now: Timestamp) -> Result<bool, JobsError> {
        let cron = parse_cron(&s.cron)?;
        let tz = parse_time_zone(&s.time_zone)?;
        let payload = payload_of(s)?;
        let slot = s.next_run_at;
        let next = Ts::new(next_occurrence(&cron, &tz, now.max(slot.0))?.timestamp());

        let mut tx = self.db.begin().await?;
        if !schedules::advance_schedule(&mut tx, s.id, slot, next, Ts::new(now)).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        let job = job_for(s, payload, slot, format!("schedule:{}:{}", s.id, slot.0));
        let enqueued = jobs::enqueue(&mut tx, &job, Ts::new(now)).await?;
        tx.commit().await?;
        metrics::counter!(m::SCHEDULES_FIRED_TOTAL).increment(1);
        tracing::info!(
            schedule.id = %s.id, schedule.name = %s.name, job.kind = %s.job_kind, slot = %slot,
            next_run_at = %next, job.id = ?enqueued, "schedule fired"
        );
        Ok(true)
    }

    /// Ticks until `shutdown`, sleeping until the next due schedule (at most
    /// the poll interval). Errors are logged and retried on the next tick.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("scheduler started");
        while !shutdown.is_cancelled() {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduler tick failed");
            }
            let sleep_for = match schedules::next_schedule_due_at(&self.db).await {
                Ok(Some(next)) => {
                    let until = self.clock.now().duration_until(next.0);
                    Duration::try_from(until)
                        .unwrap_or(Duration::ZERO)
                        .max(Duration::from_millis(50))
                }
                Ok(None) => self.config.poll_interval,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the next due schedule");
                    self.config.poll_interval
                }
            }
            .min(self.config.poll_interval);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(sleep_for) => {}
            }
        }
        tracing::info!("scheduler stopped");
    }
}
