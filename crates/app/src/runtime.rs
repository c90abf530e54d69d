//! Starting the pieces of a node: job workers and the periodic scheduler,
//! with the housekeeping jobs every installation needs and the diagnostic
//! job kinds (`af_jobs::diag`).
//!
//! The worker is tuned from the environment (all optional; an invalid value
//! stops start-up with the variable's name):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AF_JOB_CONCURRENCY` | 32 | jobs running at once in this process |
//! | `AF_JOB_BATCH` | 32 | most jobs claimed by one query |
//! | `AF_JOB_LEASE_SECS` | 300 | how long a claim holds a job before another node may rescue it (heartbeats renew it every third of it) |
//! | `AF_JOB_RESCUE_SECS` | 15, at most half the lease | how often expired leases are returned to the queue |
//! | `AF_JOB_POLL_MS` | 5000 | the slow poll when no wake-up arrives |
//! | `AF_JOB_SHUTDOWN_SECS` | 25 | on SIGTERM, how long running jobs may finish before they are released |
//! | `AF_DIAG_HTTP_ALLOW` | (none) | comma-separated origins `diag_http` may call besides loopback |
//!
//! A short lease (`AF_JOB_LEASE_SECS=1`) makes a killed worker's jobs run
//! again within seconds: the crash test uses it. Production keeps the
//! default, so a slow job is not rescued while its node is merely busy.

use af_core::Clock;
use af_db::{Db, Ts};
use af_jobs::diag::DiagConfig;
use af_jobs::{
    JobError, NewSchedule, Registry, Scheduler, SchedulerConfig, Worker, WorkerConfig, handler_fn,
};
use anyhow::{Context, bail};
use jiff::SignedDuration;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Job kind: delete expired sessions and sign-in attempts older than a day.
pub const CLEANUP_SESSIONS: &str = "cleanup_sessions";
/// Job kind: delete succeeded jobs and diagnostic effects older than
/// [`FINISHED_JOBS_KEPT_DAYS`].
pub const PRUNE_JOBS: &str = "prune_jobs";
/// How long succeeded jobs stay visible (dead ones stay until retried or
/// discarded).
pub const FINISHED_JOBS_KEPT_DAYS: i64 = 7;

/// Every job handler of this build. Later capabilities add theirs here.
pub fn registry(diag: DiagConfig, engine: &af_engine::EngineConfig) -> anyhow::Result<Registry> {
    let mut r = Registry::new();
    r.register(handler_fn(CLEANUP_SESSIONS, |ctx, _job| async move {
        let now = ctx.now();
        af_db::sessions::delete_expired_sessions(&ctx.db, now)
            .await
            .map_err(JobError::retry)?;
        let day_ago = Ts::new(now.0 - SignedDuration::from_hours(24));
        af_db::login_attempts::delete_login_attempts_before(&ctx.db, day_ago)
            .await
            .map_err(JobError::retry)?;
        Ok(())
    }))?;
    r.register(handler_fn(PRUNE_JOBS, |ctx, _job| async move {
        let now = ctx.now();
        let before = Ts::new(now.0 - SignedDuration::from_hours(24 * FINISHED_JOBS_KEPT_DAYS));
        let jobs = af_db::jobs::delete_finished_jobs(&ctx.db, before).await?;
        let effects = af_db::jobs::delete_diag_effects_before(&ctx.db, before).await?;
        tracing::info!(jobs, effects, "pruned finished jobs");
        Ok(())
    }))?;
    af_jobs::diag::register(&mut r, diag)?;
    r.register(crate::import_export::import_job())?;
    af_engine::register(&mut r, engine.clone())?;
    Ok(r)
}

/// Registers (idempotently, by name) the periodic jobs of this build.
pub async fn register_schedules(db: &Db, now: jiff::Timestamp) -> anyhow::Result<()> {
    let system = |name: &str, cron: &str| NewSchedule {
        workspace: None,
        name: name.into(),
        cron: cron.into(),
        time_zone: "UTC".into(),
        job_kind: name.into(),
        payload: serde_json::json!({}),
        enabled: true,
    };
    for s in [
        system(CLEANUP_SESSIONS, "17 * * * *"),
        system(PRUNE_JOBS, "47 3 * * *"),
        af_engine::sweep_schedule(),
    ] {
        af_jobs::register_schedule(db, &s, now)
            .await
            .with_context(|| format!("registering the periodic job {}", s.name))?;
    }
    Ok(())
}

/// The worker's and diagnostics' settings, from `lookup` (the environment
/// in the binary; a map in tests).
pub fn config_from(
    lookup: impl Fn(&str) -> Option<String>,
    worker_id: String,
) -> anyhow::Result<(WorkerConfig, DiagConfig)> {
    let num = |name: &str, min: u64, max: u64| -> anyhow::Result<Option<u64>> {
        let Some(raw) = lookup(name).filter(|v| !v.trim().is_empty()) else {
            return Ok(None);
        };
        let v: u64 = raw
            .trim()
            .parse()
            .with_context(|| format!("{name}: {raw:?} is not a whole number"))?;
        if !(min..=max).contains(&v) {
            bail!("{name}: {v} is out of range ({min}..={max})");
        }
        Ok(Some(v))
    };
    let mut c = WorkerConfig::new(worker_id);
    if let Some(v) = num("AF_JOB_CONCURRENCY", 1, 4096)? {
        c.concurrency = v as usize;
    }
    if let Some(v) = num("AF_JOB_BATCH", 1, 1000)? {
        c.batch_size = v as usize;
    }
    if let Some(v) = num("AF_JOB_LEASE_SECS", 1, 86_400)? {
        c.lease = SignedDuration::from_secs(v as i64);
    }
    // Expired leases are looked for at least twice per lease, so a short
    // lease means fast rescue without a second setting.
    let half_lease = Duration::from_millis((c.lease.as_millis() / 2).max(100) as u64);
    c.rescue_every = c.rescue_every.min(half_lease);
    if let Some(v) = num("AF_JOB_RESCUE_SECS", 1, 3_600)? {
        c.rescue_every = Duration::from_secs(v);
    }
    if let Some(v) = num("AF_JOB_POLL_MS", 10, 600_000)? {
        c.poll_interval = Duration::from_millis(v);
    }
    if let Some(v) = num("AF_JOB_SHUTDOWN_SECS", 0, 3_600)? {
        c.shutdown_deadline = Duration::from_secs(v);
    }
    let mut diag = DiagConfig::default();
    if let Some(raw) = lookup("AF_DIAG_HTTP_ALLOW") {
        for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let ok = origin.starts_with("http://") || origin.starts_with("https://");
            if !ok || af_jobs::diag::check_url(origin, &[origin.to_string()]).is_err() {
                bail!(
                    "AF_DIAG_HTTP_ALLOW: {origin:?} is not an http(s) origin like https://status.example.com"
                );
            }
            diag.http_allow.push(origin.to_string());
        }
    }
    Ok((c, diag))
}

/// [`config_from`] the process environment.
pub fn config_from_env() -> anyhow::Result<(WorkerConfig, DiagConfig)> {
    config_from(|n| std::env::var(n).ok(), af_jobs::default_worker_id())
}

/// Starts a worker and the scheduler; both stop when `shutdown` is cancelled.
pub async fn spawn_workers(
    db: &Db,
    clock: Arc<dyn Clock>,
    engine: &af_engine::EngineConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let (config, diag) = config_from_env()?;
    register_schedules(db, clock.now()).await?;
    tracing::info!(
        concurrency = config.concurrency,
        batch = config.batch_size,
        lease_secs = config.lease.as_secs(),
        "job worker configured"
    );
    let worker = Worker::new(db.clone(), clock.clone(), registry(diag, engine)?, config);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> anyhow::Result<(WorkerConfig, DiagConfig)> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        config_from(|n| map.get(n).cloned(), "w".into())
    }

    #[test]
    fn defaults_hold_without_variables() {
        let (c, d) = cfg(&[]).expect("defaults");
        let def = WorkerConfig::new("w");
        assert_eq!(c.concurrency, def.concurrency);
        assert_eq!(c.lease, def.lease);
        assert_eq!(c.rescue_every, def.rescue_every);
        assert!(d.http_allow.is_empty());
    }

    #[test]
    fn a_short_lease_rescues_fast() {
        let (c, _) = cfg(&[("AF_JOB_LEASE_SECS", "1"), ("AF_JOB_CONCURRENCY", "8")]).expect("ok");
        assert_eq!(c.lease, SignedDuration::from_secs(1));
        assert_eq!(c.rescue_every, Duration::from_millis(500));
        assert_eq!(c.concurrency, 8);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = cfg(&[("AF_JOB_LEASE_SECS", "soon")]).expect_err("bad");
        assert!(format!("{e:#}").contains("AF_JOB_LEASE_SECS"), "{e:#}");
        let e = cfg(&[("AF_JOB_CONCURRENCY", "0")]).expect_err("bad");
        assert!(format!("{e:#}").contains("AF_JOB_CONCURRENCY"), "{e:#}");
        let e = cfg(&[("AF_DIAG_HTTP_ALLOW", "ftp://x")]).expect_err("bad");
        assert!(format!("{e:#}").contains("AF_DIAG_HTTP_ALLOW"), "{e:#}");
        let (_, d) = cfg(&[(
            "AF_DIAG_HTTP_ALLOW",
            "https://status.example.com, http://10.0.0.5:8080",
        )])
        .expect("ok");
        assert_eq!(d.http_allow.len(), 2);
    }
}
