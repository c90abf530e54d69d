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
//! | `AF_JOB_LEASE_SECS` | 30 | how long a claim holds a job without renewal: after a crash, the longest its jobs stay locked (on PostgreSQL; see below for SQLite). A live worker renews the leases of all its jobs every 10 s (every third of the lease if shorter), so a long job keeps its lease for as long as its process lives |
//! | `AF_JOB_RESCUE_SECS` | 5, at most half the lease | how often expired leases are returned to the queue |
//! | `AF_JOB_POLL_MS` | 5000 | the slow poll when no wake-up arrives |
//! | `AF_JOB_SHUTDOWN_SECS` | 25 | on SIGTERM, how long running jobs may finish before they are released |
//! | `AF_DIAG_HTTP_ALLOW` | (none) | comma-separated origins `diag_http` may call besides loopback |
//!
//! Recovery after a crash (`kill -9`, power loss, OOM): on PostgreSQL the
//! dead process's jobs go back to the queue when their lease expires, 20 to
//! 35 s after the crash with the defaults (last renewal + lease + one rescue
//! period), whichever node rescues them. On SQLite, where one process owns
//! the database file, a starting `serve`, `worker` or `jobs drain` that
//! finds no other process claiming from the file returns every claim to the
//! queue at once (see [`prepare_claims`]). A shorter lease
//! (`AF_JOB_LEASE_SECS=1`, the crash test's) only matters on PostgreSQL and
//! costs one heartbeat write per worker every third of it.
//!
//! Leases are written and compared in each node's own clock, so PostgreSQL
//! nodes need synchronised clocks (NTP): a node running more than about
//! 20 s (lease minus heartbeat) ahead of another would rescue that node's
//! live jobs. Lengthen the lease if clocks cannot be trusted that far.

use af_core::Clock;
use af_core::jobs::{CleanupSessions, PruneJobs, PurgeAuditLog};
use af_db::{Db, Ts};
use af_jobs::diag::DiagConfig;
use af_jobs::{
    JobError, NewSchedule, Registry, Scheduler, SchedulerConfig, Worker, WorkerConfig,
    typed_handler,
};
use anyhow::{Context, bail};
use jiff::SignedDuration;
use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long succeeded jobs stay visible (dead ones stay until retried or
/// discarded).
pub const FINISHED_JOBS_KEPT_DAYS: i64 = 7;

/// Every job handler of this build. Later capabilities add theirs here.
pub fn registry(diag: DiagConfig, engine: &af_engine::EngineConfig) -> anyhow::Result<Registry> {
    let mut r = Registry::new();
    // Deletes expired sessions and sign-in attempts older than a day.
    r.register(typed_handler(|ctx, _job, _: CleanupSessions| async move {
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
    // Deletes succeeded jobs and diagnostic effects older than
    // FINISHED_JOBS_KEPT_DAYS.
    r.register(typed_handler(|ctx, _job, _: PruneJobs| async move {
        let now = ctx.now();
        let before = Ts::new(now.0 - SignedDuration::from_hours(24 * FINISHED_JOBS_KEPT_DAYS));
        let jobs = af_db::jobs::delete_finished_jobs(&ctx.db, before).await?;
        let effects = af_db::jobs::delete_diag_effects_before(&ctx.db, before).await?;
        tracing::info!(jobs, effects, "pruned finished jobs");
        Ok(())
    }))?;
    // The audit log's retention: the only deletes its triggers allow.
    r.register(typed_handler(|ctx, _job, _: PurgeAuditLog| async move {
        let purged = af_db::audit::purge_expired(&ctx.db, ctx.now()).await?;
        tracing::info!(purged, "purged expired audit log entries");
        Ok(())
    }))?;
    af_jobs::diag::register(&mut r, diag)?;
    r.register(crate::import_export::import_job())?;
    r.register(crate::import_export::import_records_job())?;
    r.register(af_service::memberships::check_job())?;
    r.register(af_service::retention::check_job())?;
    r.register(af_service::reports::refresh_job())?;
    af_engine::register(&mut r, engine.clone())?;
    af_web::notify_mail::register(&mut r, engine.clone())?;
    Ok(r)
}

/// Registers (idempotently, by name) the periodic jobs of this build.
pub async fn register_schedules(db: &Db, now: jiff::Timestamp) -> anyhow::Result<()> {
    for s in [
        NewSchedule::system("17 * * * *", &CleanupSessions {})?,
        NewSchedule::system("47 3 * * *", &PruneJobs {})?,
        NewSchedule::system("37 4 * * *", &PurgeAuditLog {})?,
        af_engine::sweep_schedule()?,
        af_engine::decay_schedule()?,
        af_engine::busy_feeds::schedule()?,
        af_service::memberships::schedule()?,
        af_service::retention::schedule()?,
        af_service::reports::recent_schedule()?,
        af_service::reports::nightly_schedule()?,
        af_web::notify_mail::digest_schedule()?,
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
    // At least three beats per lease (the worker enforces it too; done here
    // so the start-up log shows the real period).
    if let Ok(third) = Duration::try_from(c.lease / 3) {
        c.heartbeat_every = c.heartbeat_every.min(third);
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

/// Kept by a process for as long as it may claim jobs from a SQLite file
/// (a shared lock on `<database>-jobs.lock`); empty on PostgreSQL.
#[derive(Debug)]
pub struct ClaimLock {
    _file: Option<File>,
}

/// The lock file beside a SQLite database: `agencyflow.db-jobs.lock`.
fn claim_lock_path(db_file: &std::path::Path) -> PathBuf {
    let mut name = db_file.as_os_str().to_os_string();
    name.push("-jobs.lock");
    PathBuf::from(name)
}

/// Call before a process starts claiming jobs; keep the answer while it
/// does.
///
/// On SQLite, every process that claims jobs from a file holds a shared
/// lock on `<file>-jobs.lock` (the kernel drops it when the process dies,
/// `kill -9` included). A process that can take that lock exclusively knows
/// no other claimer is alive, so every `running` job is a dead process's
/// claim: it returns them all to the queue at once
/// ([`af_db::jobs::release_all_claims_at_startup`]: the attempt stays
/// counted, as when a lease expires) instead of leaving them locked for a
/// lease. If another process holds the lock (a `jobs drain` beside `serve`,
/// say), nothing is released: those claims may be live, and leases decide.
///
/// On PostgreSQL it does nothing: other nodes' claims are live, and a dead
/// node's are rescued when their lease expires.
pub async fn prepare_claims(db: &Db, now: Ts) -> anyhow::Result<ClaimLock> {
    let Some(db_file) = db.sqlite_file().await.context("locating the SQLite file")? else {
        // PostgreSQL, or an in-memory SQLite that only this process sees.
        return Ok(ClaimLock { _file: None });
    };
    let path = claim_lock_path(&db_file);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening the job lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            let n = af_db::jobs::release_all_claims_at_startup(db, now)
                .await
                .context("releasing the jobs of a process that stopped")?;
            if n > 0 {
                tracing::warn!(
                    count = n,
                    "released jobs left running by a process that stopped; they run again now"
                );
            }
            // Down to the shared lock every claimer holds. Not converted in
            // place: the standard library leaves that unspecified.
            file.unlock()
                .with_context(|| format!("unlocking {}", path.display()))?;
        }
        Err(TryLockError::WouldBlock) => tracing::info!(
            lock = %path.display(),
            "another process claims jobs from this database: running jobs are left to their leases"
        ),
        Err(TryLockError::Error(e)) => {
            // A file system without locks: release nothing (it could be a
            // live process's claim); leases still recover a crash.
            tracing::warn!(lock = %path.display(), error = %e, "cannot lock the job lock file; running jobs are left to their leases");
            return Ok(ClaimLock { _file: None });
        }
    }
    // Blocks only while another process starting up holds the lock
    // exclusively for its own release (one UPDATE).
    let file = tokio::task::spawn_blocking(move || file.lock_shared().map(|()| file))
        .await
        .context("waiting for the job lock file")?
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(ClaimLock { _file: Some(file) })
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
    // Before the worker's first claim, so the release cannot touch it; and
    // before `serve` listens, so a ready server has released the dead
    // process's jobs.
    let claim_lock = prepare_claims(db, Ts::new(clock.now())).await?;
    tracing::info!(
        concurrency = config.concurrency,
        batch = config.batch_size,
        lease_secs = config.lease.as_secs(),
        heartbeat_ms = config.heartbeat_every.as_millis() as u64,
        rescue_ms = config.rescue_every.as_millis() as u64,
        "job worker configured"
    );
    let worker = Worker::new(db.clone(), clock.clone(), registry(diag, engine)?, config);
    let scheduler = Scheduler::new(db.clone(), clock, SchedulerConfig::default());
    let w_shutdown = shutdown.clone();
    let worker_task = tokio::spawn(async move {
        if let Err(e) = worker.run(w_shutdown).await {
            tracing::error!(error = %e, "job worker stopped with an error");
        }
        // Held until the worker has released or finished its jobs.
        drop(claim_lock);
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
    fn the_default_lease_is_short_and_heartbeated() {
        // A crashed node's jobs come back within about 30 s; a live node
        // renews them twice before a lease could lapse.
        let (c, _) = cfg(&[]).expect("defaults");
        assert_eq!(c.lease, SignedDuration::from_secs(30));
        assert_eq!(c.heartbeat_every, Duration::from_secs(10));
        assert_eq!(c.rescue_every, Duration::from_secs(5));
    }

    #[test]
    fn a_short_lease_rescues_fast() {
        let (c, _) = cfg(&[("AF_JOB_LEASE_SECS", "1"), ("AF_JOB_CONCURRENCY", "8")]).expect("ok");
        assert_eq!(c.lease, SignedDuration::from_secs(1));
        assert_eq!(c.heartbeat_every, Duration::from_secs(1) / 3);
        assert_eq!(c.rescue_every, Duration::from_millis(500));
        assert_eq!(c.concurrency, 8);
    }

    /// The catalogue (`af_core::jobs`) and the handlers of this build name
    /// the same kinds: a kind without a handler would be dead-lettered, a
    /// handler without a catalogue entry has no declared payload.
    #[test]
    fn every_catalogued_kind_has_exactly_one_handler() {
        // The diagnostic HTTP client needs a TLS provider, as in main.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let engine = af_engine::EngineConfig {
            base_url: "http://crm.test".into(),
            booking_url: None,
            secret: af_core::crypto::SecretKey::from_text(&"runtime-test-".repeat(4)).expect("key"),
            channels: Default::default(),
        };
        let r = registry(DiagConfig::default(), &engine).expect("registry");
        let mut catalogue = af_core::jobs::KINDS.to_vec();
        catalogue.sort_unstable();
        assert_eq!(r.kinds(), catalogue);
    }

    /// A job claimed by `worker`, as a dead process would have left it.
    async fn claimed_job(db: &Db, worker: &str) -> af_core::JobId {
        let now = Ts::new(jiff::Timestamp::now());
        let mut tx = db.begin().await.expect("begin");
        af_db::jobs::enqueue_job(&mut tx, None, &af_core::jobs::DiagNoop {}, now, now)
            .await
            .expect("enqueue")
            .expect("not deduped");
        tx.commit().await.expect("commit");
        let lease = Ts::new(now.0 + SignedDuration::from_secs(30));
        let jobs = af_db::jobs::claim_due_jobs(db, worker, 1, now, lease)
            .await
            .expect("claim");
        assert_eq!(jobs.len(), 1);
        jobs[0].id
    }

    /// (state, holder)
    async fn state(db: &Db, id: af_core::JobId) -> (String, Option<String>) {
        let j = af_db::jobs::find_job(db, id)
            .await
            .expect("find")
            .expect("exists");
        (j.state, j.locked_by)
    }

    #[tokio::test]
    async fn a_lone_sqlite_process_releases_dead_claims_at_start_but_not_beside_a_live_one() {
        let t = af_db::testing::fresh_db_on(af_db::Backend::Sqlite).await;
        let dead = claimed_job(&t.db, "dead-process").await;
        let now = Ts::new(jiff::Timestamp::now());

        // Alone: the dead process's claim goes back to the queue at once,
        // its attempt still counted.
        let first = prepare_claims(&t.db, now).await.expect("first");
        assert_eq!(state(&t.db, dead).await, ("pending".into(), None));
        let j = af_db::jobs::find_job(&t.db, dead)
            .await
            .expect("find")
            .expect("exists");
        assert_eq!(j.attempts, 1, "the interrupted attempt counts");
        assert!(
            j.last_error
                .as_deref()
                .is_some_and(|e| e.contains("released at start-up") && e.contains("dead-process")),
            "{j:?}"
        );

        // A second claimer while the first lives (another pool, as another
        // process would have; flock locks are per open file, so this
        // stands for a process): the first's claims are left alone.
        let live = claimed_job(&t.db, "first-process").await;
        let other = Db::connect(&t.url).await.expect("second pool");
        let second = prepare_claims(&other, now).await.expect("second");
        assert_eq!(
            state(&t.db, live).await,
            ("running".into(), Some("first-process".into()))
        );

        // Both gone (as after a crash of both): the next one releases.
        drop((first, second));
        let _third = prepare_claims(&other, now).await.expect("third");
        assert_eq!(state(&t.db, live).await, ("pending".into(), None));
        other.close().await;
    }

    #[tokio::test]
    async fn postgres_claims_are_never_released_at_start() {
        if af_db::testing::test_backend() != af_db::Backend::Postgres {
            return; // needs the server: AF_TEST_BACKEND=postgres
        }
        let t = af_db::testing::fresh_db_on(af_db::Backend::Postgres).await;
        let other_node = claimed_job(&t.db, "other-node").await;
        let _lock = prepare_claims(&t.db, Ts::new(jiff::Timestamp::now()))
            .await
            .expect("prepare");
        assert_eq!(
            state(&t.db, other_node).await,
            ("running".into(), Some("other-node".into())),
            "another node's live claim is left to its lease"
        );
        assert_eq!(
            af_db::jobs::release_all_claims_at_startup(&t.db, Ts::new(jiff::Timestamp::now()))
                .await
                .expect("no-op"),
            0
        );
        assert_eq!(
            state(&t.db, other_node).await,
            ("running".into(), Some("other-node".into()))
        );
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
