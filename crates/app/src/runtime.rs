//! Starting the pieces of a node: job workers and the periodic scheduler,
//! with the housekeeping jobs every installation needs.

use af_core::Clock;
use af_db::{Db, Ts};
use af_jobs::{
    JobError, NewSchedule, Registry, Scheduler, SchedulerConfig, Worker, WorkerConfig, handler_fn,
};
use anyhow::Context;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Job kind: delete expired sessions and sign-in attempts older than a day.
pub const CLEANUP_SESSIONS: &str = "cleanup_sessions";

/// Every job handler of this build. Later capabilities add theirs here.
pub fn registry() -> anyhow::Result<Registry> {
    let mut r = Registry::new();
    r.register(handler_fn(CLEANUP_SESSIONS, |ctx, _job| async move {
        let now = ctx.now();
        af_db::sessions::delete_expired_sessions(&ctx.db, now)
            .await
            .map_err(JobError::retry)?;
        let day_ago = Ts::new(now.0 - jiff::SignedDuration::from_hours(24));
        af_db::login_attempts::delete_login_attempts_before(&ctx.db, day_ago)
            .await
            .map_err(JobError::retry)?;
        Ok(())
    }))?;
    Ok(r)
}

/// Registers (idempotently, by name) the periodic jobs of this build.
pub async fn register_schedules(db: &Db, now: jiff::Timestamp) -> anyhow::Result<()> {
    let hourly = NewSchedule {
        workspace: None,
        name: CLEANUP_SESSIONS.into(),
        cron: "17 * * * *".into(),
        time_zone: "UTC".into(),
        job_kind: CLEANUP_SESSIONS.into(),
        payload: serde_json::json!({}),
        enabled: true,
    };
    af_jobs::register_schedule(db, &hourly, now)
        .await
        .context("registering periodic jobs")?;
    Ok(())
}

/// Starts a worker and the scheduler; both stop when `shutdown` is cancelled.
pub async fn spawn_workers(
    db: &Db,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    register_schedules(db, clock.now()).await?;
    let worker = Worker::new(
        db.clone(),
        clock.clone(),
        registry()?,
        WorkerConfig::new(af_jobs::default_worker_id()),
    );
    let scheduler = Scheduler::new(db.clone(), clock, SchedulerConfig::default());
    let w_shutdown = shutdown.clone();
    let worker_task = tokio::spawn(async move {
        if let Err(e) = worker.run(w_shutdown).await {
            tracing::error!(error = %e, "job worker stopped with an error");
        }
    });
    let scheduler_task = tokio::spawn(scheduler.run(shutdown));
    Ok(vec![worker_task, scheduler_task])
}
