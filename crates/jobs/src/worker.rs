//! The worker: claims due jobs with a lease, runs each in its own task with
//! panics caught, then records the outcome. One heartbeat task per worker
//! renews the lease of every job the worker holds, from its claim until its
//! outcome is written.
//!
//! No transaction is held while a handler runs: claiming, heartbeating and
//! completing are each one short statement. Delivery is at least once — a
//! worker that dies leaves its leases to expire (30 s by default, renewed
//! every 10 s while it lives), and the rescuer (any worker's) returns the
//! jobs to the queue.

use crate::JobsError;
use crate::backoff::Backoff;
use crate::completer::Completer;
use crate::handler::{JobContext, JobError, Registry};
use crate::metrics as m;
use crate::wakeup::RemoteWakeup;
use af_core::{Clock, JobId};
use af_db::jobs::{self, Job};
use af_db::{Db, Ts};
use futures::FutureExt;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The longest a worker with free slots waits for more of them before it
/// claims (see the claim in [`Worker::run`]).
const CLAIM_PATIENCE: Duration = Duration::from_millis(20);

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Recorded as `jobs.locked_by`; unique per worker (see
    /// [`default_worker_id`]).
    pub worker_id: String,
    /// Most jobs claimed by one query.
    pub batch_size: usize,
    /// Most jobs running at once.
    pub concurrency: usize,
    /// How long a claim (and each heartbeat) holds a job, in clock time:
    /// after a crash, the longest its jobs stay locked. Short, because the
    /// heartbeat keeps the jobs of a live worker however long they run.
    pub lease: SignedDuration,
    /// How often the leases of the jobs this worker holds are extended
    /// (real time; at most a third of `lease`, so two beats in a row may
    /// fail before a job is at risk).
    pub heartbeat_every: Duration,
    /// The slow poll: the longest an idle worker sleeps without a
    /// notification.
    pub poll_interval: Duration,
    /// How often this worker returns other workers' expired leases to the
    /// queue.
    pub rescue_every: Duration,
    /// On shutdown, how long to wait for running jobs before releasing them.
    pub shutdown_deadline: Duration,
    pub backoff: Backoff,
}

impl WorkerConfig {
    /// Defaults: 32 per claim and at once, a 30 s lease heartbeated every
    /// 10 s, 5 s poll, rescue every 5 s, 25 s to finish on shutdown (under
    /// the usual 30 s SIGTERM grace), 10 s → 1 h backoff.
    ///
    /// So a dead worker's jobs are back in the queue 20–35 s after it died
    /// (its last renewal plus the lease, plus up to one rescue period), and
    /// a handler may run for hours while its process lives.
    pub fn new(worker_id: impl Into<String>) -> Self {
        Self {
            worker_id: worker_id.into(),
            batch_size: 32,
            concurrency: 32,
            lease: SignedDuration::from_secs(30),
            heartbeat_every: Duration::from_secs(10),
            poll_interval: Duration::from_secs(5),
            rescue_every: Duration::from_secs(5),
            shutdown_deadline: Duration::from_secs(25),
            backoff: Backoff::default(),
        }
    }
}

/// A worker id unique to this process: `host-pid-random`.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    let rand = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}-{}-{}", std::process::id(), &rand[..8])
}

/// What happened to the jobs of one [`Worker::run_once`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub claimed: usize,
    pub succeeded: usize,
    /// Failed and scheduled to run again.
    pub retried: usize,
    /// Dead-lettered (attempts used up, permanent error, unknown kind).
    pub dead: usize,
    /// The lease was lost mid-run (the job was rescued elsewhere), or the
    /// outcome could not be recorded.
    pub lost: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Retried,
    Dead,
    Lost,
}

impl RunReport {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Dead => self.dead += 1,
            Outcome::Lost => self.lost += 1,
        }
    }
}

/// State shared by the worker loop and its job tasks.
struct Shared {
    db: Db,
    clock: Arc<dyn Clock>,
    registry: Registry,
    config: WorkerConfig,
    worker_id: Arc<str>,
    completer: Completer,
    /// Handlers running now. A job's slot is free once its handler returns,
    /// while its completion is still being written, so the next claim
    /// overlaps the previous batch's completion write.
    busy: AtomicUsize,
    /// Signalled when a handler returns.
    slot_freed: Notify,
    /// The jobs this worker holds a claim on, from the claim until their
    /// outcome is written (or they are released): what the heartbeat
    /// renews.
    held: Mutex<HashMap<JobId, HeldJob>>,
}

/// One claim in [`Shared::held`].
struct HeldJob {
    /// The claim's attempt number: the same worker may claim a job again
    /// after its own rescuer returned it (a heartbeat that could not reach
    /// the database for a whole lease), and the older task must not then
    /// pass for the newer one.
    attempt: i32,
    /// Cancelled when the heartbeat finds the claim gone: the job was
    /// rescued and may be running elsewhere, so its handler stops.
    lost: CancellationToken,
}

impl Shared {
    fn held(&self) -> MutexGuard<'_, HashMap<JobId, HeldJob>> {
        // Never held across an await or user code; a poisoned lock still
        // holds consistent data.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers claimed jobs for the heartbeat, right after the claim.
    fn hold(self: &Arc<Self>, jobs: &[Job]) -> Vec<Hold> {
        let mut held = self.held();
        jobs.iter()
            .map(|job| {
                let lost = CancellationToken::new();
                let old = held.insert(
                    job.id,
                    HeldJob {
                        attempt: job.attempts,
                        lost: lost.clone(),
                    },
                );
                if let Some(old) = old {
                    // A newer claim of the same job: the older run is stale.
                    old.lost.cancel();
                }
                Hold {
                    shared: self.clone(),
                    id: job.id,
                    attempt: job.attempts,
                    lost,
                }
            })
            .collect()
    }

    /// One heartbeat: extends the lease of every job held now, and flags
    /// those whose claim is gone.
    async fn beat(&self) {
        let ids: Vec<JobId> = self.held().keys().copied().collect();
        if ids.is_empty() {
            return;
        }
        let until = add(self.clock.now(), self.config.lease);
        match jobs::extend_leases(&self.db, &ids, &self.worker_id, until).await {
            Ok(extended) => {
                let extended: HashSet<JobId> = extended.into_iter().collect();
                let held = self.held();
                for id in ids.iter().filter(|id| !extended.contains(id)) {
                    // Still held after the write means the claim is really
                    // gone; a job finished meanwhile has left `held` (or
                    // is past its handler, where `lost` is not watched).
                    if let Some(h) = held.get(id) {
                        h.lost.cancel();
                    }
                }
            }
            Err(e) => {
                tracing::warn!(worker.id = %self.worker_id, jobs = ids.len(), error = %e, "lease heartbeat failed; retrying at the next beat")
            }
        }
    }
}

/// A job's place in [`Shared::held`], removed when dropped: once its
/// outcome is written, or when its task is aborted at shutdown (it is then
/// released at once).
struct Hold {
    shared: Arc<Shared>,
    id: JobId,
    attempt: i32,
    lost: CancellationToken,
}

impl Drop for Hold {
    fn drop(&mut self) {
        let mut held = self.shared.held();
        if held
            .get(&self.id)
            .is_some_and(|h| h.attempt == self.attempt)
        {
            held.remove(&self.id);
        }
    }
}

/// Renews the leases of the worker's jobs every `heartbeat_every` until
/// `stop` is cancelled. Its own task, apart from the claim loop and the
/// handlers: a handler that blocks its thread, or a loop waiting on the
/// database, does not delay the beats of the other jobs.
async fn heartbeat(s: Arc<Shared>, stop: CancellationToken) {
    let every = s.config.heartbeat_every;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => s.beat().await,
        }
    }
}

/// Starts [`heartbeat`]; it stops when the returned guard is dropped.
fn start_heartbeat(s: &Arc<Shared>) -> tokio_util::sync::DropGuard {
    let stop = CancellationToken::new();
    tokio::spawn(heartbeat(s.clone(), stop.clone()));
    stop.drop_guard()
}

/// One counted slot of [`Shared::busy`], released when dropped (also when
/// the job's task is aborted at shutdown).
struct Slot(Arc<Shared>);

impl Slot {
    fn take(s: &Arc<Shared>) -> Slot {
        s.busy.fetch_add(1, Ordering::SeqCst);
        Slot(s.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
        self.0.slot_freed.notify_one();
    }
}

/// Runs jobs. Build one per process (or several, with distinct ids).
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("config", &self.shared.config)
            .field("kinds", &self.shared.registry)
            .finish_non_exhaustive()
    }
}

fn add(t: Timestamp, d: SignedDuration) -> Ts {
    Ts::new(t.saturating_add(d).unwrap_or(t))
}

impl Worker {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        registry: Registry,
        mut config: WorkerConfig,
    ) -> Self {
        config.batch_size = config.batch_size.max(1);
        config.concurrency = config.concurrency.max(1);
        // A heartbeat slower than the lease would let running jobs be
        // rescued: keep at least three beats per lease.
        if let Ok(third) = Duration::try_from(config.lease / 3) {
            config.heartbeat_every = config
                .heartbeat_every
                .min(third)
                .max(Duration::from_millis(10));
        }
        let worker_id = Arc::from(config.worker_id.as_str());
        Self {
            shared: Arc::new(Shared {
                db,
                clock,
                registry,
                config,
                worker_id,
                completer: Completer::default(),
                busy: AtomicUsize::new(0),
                slot_freed: Notify::new(),
                held: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The worker's id (`jobs.locked_by`).
    pub fn id(&self) -> &str {
        &self.shared.worker_id
    }

    /// Claims up to `batch_size` due jobs and runs them, `concurrency` at
    /// a time, to the end. For tests and the CLI; [`Worker::run`] is the service loop.
    pub async fn run_once(&self) -> Result<RunReport, JobsError> {
        let _heartbeat = start_heartbeat(&self.shared);
        let jobs = self.claim(self.shared.config.batch_size).await?;
        let mut report = RunReport {
            claimed: jobs.len(),
            ..RunReport::default()
        };
        let mut set = JoinSet::new();
        let never = CancellationToken::new();
        let holds = self.shared.hold(&jobs);
        // At most `concurrency` at once, as in `run`: the rest wait their
        // turn (their leases kept by the heartbeat).
        let permits = Arc::new(tokio::sync::Semaphore::new(self.shared.config.concurrency));
        for (job, hold) in jobs.into_iter().zip(holds) {
            let (shared, never, permits) = (self.shared.clone(), never.clone(), permits.clone());
            set.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let slot = Slot::take(&shared);
                execute(shared, job, never, slot, hold).await
            });
        }
        while let Some(res) = set.join_next().await {
            match res {
                Ok(o) => report.add(o),
                Err(e) => {
                    tracing::error!(error = %e, "job task failed outside its handler");
                    report.lost += 1;
                }
            }
        }
        Ok(report)
    }

    /// Returns expired leases to the queue (dead-letters those out of
    /// attempts); returns how many.
    pub async fn rescue_once(&self) -> Result<u64, JobsError> {
        let n =
            jobs::rescue_expired_leases(&self.shared.db, Ts::new(self.shared.clock.now())).await?;
        if n > 0 {
            tracing::warn!(count = n, "rescued jobs with expired leases");
        }
        Ok(n)
    }

    async fn claim(&self, limit: usize) -> Result<Vec<Job>, JobsError> {
        let s = &self.shared;
        let now = s.clock.now();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(jobs::claim_due_jobs(
            &s.db,
            &s.worker_id,
            limit,
            Ts::new(now),
            add(now, s.config.lease),
        )
        .await?)
    }

    /// How long an idle worker may sleep: until the next due job, at most
    /// the poll interval.
    async fn idle_for(&self) -> Duration {
        let s = &self.shared;
        match jobs::next_due_at(&s.db).await {
            Ok(Some(next)) => {
                let until = s.clock.now().duration_until(next.0);
                // A due job we did not get is held by a concurrent claim;
                // look again shortly rather than spin.
                let until = Duration::try_from(until)
                    .unwrap_or(Duration::ZERO)
                    .max(Duration::from_millis(20));
                until.min(s.config.poll_interval)
            }
            Ok(None) => s.config.poll_interval,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the next due job");
                s.config.poll_interval
            }
        }
    }

    async fn maintain(&self) {
        if let Err(e) = self.rescue_once().await {
            tracing::error!(error = %e, "rescuing expired leases failed");
        }
        match jobs::stats(&self.shared.db, Ts::new(self.shared.clock.now())).await {
            Ok(st) => metrics::gauge!(m::QUEUE_DEPTH).set(st.due_pending as f64),
            Err(e) => tracing::warn!(error = %e, "cannot read queue stats"),
        }
    }

    /// The service loop: claims and runs jobs until `shutdown` is cancelled,
    /// then stops claiming, waits up to the shutdown deadline for running
    /// jobs and releases the rest (without counting the attempt).
    ///
    /// Sleeps until the next due job (at most the poll interval), woken early
    /// by PostgreSQL notifications, by `af_db::jobs::wake_workers()` in this
    /// process, or by a running job finishing.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), JobsError> {
        let cfg = self.shared.config.clone();
        tracing::info!(worker.id = %self.id(), kinds = ?self.shared.registry.kinds(), "job worker started");
        let mut remote = RemoteWakeup::connect(&self.shared.db).await;
        // Stopped when `run` returns, after the unfinished jobs are released.
        let _heartbeat = start_heartbeat(&self.shared);
        let mut running: JoinSet<Outcome> = JoinSet::new();
        let mut running_ids: HashMap<tokio::task::Id, JobId> = HashMap::new();
        let mut next_maintenance = Instant::now();
        let min_claim = (cfg.batch_size.min(cfg.concurrency) / 4).max(1);
        let mut last_claim = Instant::now();

        while !shutdown.is_cancelled() {
            // Registered before looking for work, so a wake-up sent while we
            // look is kept for the sleep below.
            let mut local = pin!(jobs::local_wakeup().notified());
            local.as_mut().enable();

            if Instant::now() >= next_maintenance {
                self.maintain().await;
                next_maintenance = Instant::now() + cfg.rescue_every;
            }
            while let Some(res) = running.try_join_next_with_id() {
                reap(res, &mut running_ids);
            }

            // Handlers running hold slots; finished jobs waiting for their
            // completion write do not, but at most one more round of them
            // is kept in hand.
            let busy = self.shared.busy.load(Ordering::SeqCst);
            let free = cfg
                .concurrency
                .saturating_sub(busy)
                .min((2 * cfg.concurrency).saturating_sub(running.len()));
            let mut sleep_for = cfg.poll_interval;
            // Under load, jobs finish one by one; claiming for every freed
            // slot would turn the queue into one claim (and one commit) per
            // job. Right after a claim, wait (briefly) until a quarter of a
            // batch is free.
            let since_claim = last_claim.elapsed();
            let patient = busy > 0 && free < min_claim && since_claim < CLAIM_PATIENCE;
            if patient {
                sleep_for = CLAIM_PATIENCE - since_claim;
            } else if free > 0 {
                let want = free.min(cfg.batch_size);
                last_claim = Instant::now();
                match self.claim(want).await {
                    Ok(claimed) => {
                        let full = claimed.len() == want;
                        // Held before anything else can wait: from here on
                        // the heartbeat renews them.
                        let holds = self.shared.hold(&claimed);
                        for (job, hold) in claimed.into_iter().zip(holds) {
                            let id = job.id;
                            let handle = running.spawn(execute(
                                self.shared.clone(),
                                job,
                                shutdown.clone(),
                                Slot::take(&self.shared),
                                hold,
                            ));
                            running_ids.insert(handle.id(), id);
                        }
                        if full && self.shared.busy.load(Ordering::SeqCst) < cfg.concurrency {
                            tokio::task::yield_now().await;
                            continue; // more may be due right now
                        }
                        if !full {
                            sleep_for = self.idle_for().await;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "claiming jobs failed; retrying after the poll interval")
                    }
                }
            }
            let sleep_for =
                sleep_for.min(next_maintenance.saturating_duration_since(Instant::now()));

            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = &mut local => {}
                _ = remote.wait() => {}
                _ = self.shared.slot_freed.notified() => {}
                Some(res) = running.join_next_with_id(), if !running.is_empty() => reap(res, &mut running_ids),
                _ = tokio::time::sleep(sleep_for) => {}
            }
        }

        tracing::info!(worker.id = %self.id(), running = running.len(), "job worker stopping");
        let deadline = tokio::time::sleep(cfg.shutdown_deadline);
        let mut deadline = pin!(deadline);
        while !running.is_empty() {
            tokio::select! {
                Some(res) = running.join_next_with_id() => reap(res, &mut running_ids),
                _ = &mut deadline => break,
            }
        }
        running.abort_all();
        while let Some(res) = running.join_next_with_id().await {
            reap(res, &mut running_ids);
        }
        // Whatever is left was cancelled mid-run: hand it back unchanged.
        let now = Ts::new(self.shared.clock.now());
        for (_, id) in running_ids {
            match jobs::release_job(&self.shared.db, id, &self.shared.worker_id, now).await {
                Ok(true) => tracing::info!(job.id = %id, "released unfinished job"),
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(job.id = %id, error = %e, "cannot release job; its lease will expire")
                }
            }
        }
        jobs::wake_workers(); // another worker in this process may take them
        tracing::info!(worker.id = %self.id(), "job worker stopped");
        Ok(())
    }
}

/// Forgets a finished task. A task cancelled at shutdown stays in `ids`, so
/// its job is released.
fn reap(
    res: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>,
    ids: &mut HashMap<tokio::task::Id, JobId>,
) {
    match res {
        Ok((task, _)) => {
            ids.remove(&task);
        }
        Err(e) if e.is_cancelled() => {}
        Err(e) => {
            // The handler's panics are caught inside; this is the runtime's
            // own bookkeeping failing. The lease will expire and the job be
            // rescued.
            tracing::error!(error = %e, "job task failed outside its handler");
            ids.remove(&e.id());
        }
    }
}

/// When a failed run should run again: `None` to dead-letter it.
fn retry_at(err: &JobError, job: &Job, now: Timestamp, backoff: &Backoff) -> Option<Ts> {
    match err {
        JobError::Permanent(_) => None,
        _ if job.attempts >= job.max_attempts => None,
        JobError::RetryAfter(_, d) => Some(add(now, (*d).max(SignedDuration::ZERO))),
        JobError::Retry(_) => Some(add(now, backoff.delay_random(job.attempts))),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".into()
    }
}

/// Runs one claimed job and records its outcome. `hold` keeps the job in
/// the heartbeat's set until this returns (or the task is aborted).
async fn execute(
    s: Arc<Shared>,
    job: Job,
    shutdown: CancellationToken,
    slot: Slot,
    hold: Hold,
) -> Outcome {
    let started = s.clock.now();
    let kind = job.kind.clone();
    metrics::histogram!(m::LATENCY_SECONDS, "kind" => kind.clone())
        .record(m::seconds(started.duration_since(job.run_at.0)));

    let Some(handler) = s.registry.get(&job.kind) else {
        let error = format!(
            "unknown job kind {:?}: no handler registered on worker {} (known: {:?})",
            job.kind,
            s.worker_id,
            s.registry.kinds()
        );
        return record_failure(&s, &job, JobError::Permanent(error), started).await;
    };

    let ctx = JobContext::new(
        s.db.clone(),
        s.clock.clone(),
        &s.worker_id,
        job.id,
        s.config.lease,
    )
    .with_shutdown(shutdown);
    // Every transaction the job commits writes its audit row, as the
    // system, with the job's id and kind (af_db::audit).
    let scope = af_db::audit::AuditScope::new(af_db::audit::ScopeInfo {
        request_id: job.id.to_string(),
        origin: format!("job {}", job.kind),
        ip: None,
        default_actor: af_core::Actor::system(),
    });
    let run = AssertUnwindSafe(scope.run(handler.run(&ctx, &job))).catch_unwind();
    let result = tokio::select! {
        biased;
        r = run => Some(r),
        // The heartbeat found the claim gone (rescued, maybe running
        // elsewhere): stop here so the effects happen (at most) once more,
        // not twice at the same time.
        _ = hold.lost.cancelled() => None,
    };
    drop(slot);
    let finished = s.clock.now();
    metrics::histogram!(m::RUN_SECONDS, "kind" => kind.clone())
        .record(m::seconds(finished.duration_since(started)));

    match result {
        None => {
            tracing::warn!(job.id = %job.id, job.kind = %kind, "lease lost while running; abandoned");
            Outcome::Lost
        }
        Some(Ok(Ok(()))) => {
            let clock = &s.clock;
            let done = s
                .completer
                .complete(&s.db, &s.worker_id, job.id, || Ts::new(clock.now()))
                .await;
            match done {
                Ok(true) => {
                    metrics::counter!(m::COMPLETED_TOTAL, "kind" => kind.clone()).increment(1);
                    tracing::debug!(
                        job.id = %job.id, job.kind = %kind,
                        duration_ms = finished.duration_since(started).as_millis(), "job succeeded"
                    );
                    Outcome::Succeeded
                }
                Ok(false) => {
                    tracing::warn!(job.id = %job.id, job.kind = %kind, "job finished after its lease was lost");
                    Outcome::Lost
                }
                Err(e) => {
                    tracing::error!(job.id = %job.id, job.kind = %kind, error = %e, "cannot record success; it will run again");
                    Outcome::Lost
                }
            }
        }
        Some(Ok(Err(err))) => record_failure(&s, &job, err, started).await,
        Some(Err(panic)) => {
            let err = JobError::Retry(format!("panicked: {}", panic_message(panic.as_ref())));
            record_failure(&s, &job, err, started).await
        }
    }
}

async fn record_failure(s: &Shared, job: &Job, err: JobError, started: Timestamp) -> Outcome {
    let now = s.clock.now();
    let retry = retry_at(&err, job, now, &s.config.backoff);
    let kind = job.kind.clone();
    metrics::counter!(m::FAILED_TOTAL, "kind" => kind.clone()).increment(1);
    let duration_ms = now.duration_since(started).as_millis();
    match jobs::fail_job(
        &s.db,
        job.id,
        &s.worker_id,
        err.message(),
        retry,
        Ts::new(now),
    )
    .await
    {
        Ok(true) => match retry {
            Some(at) => {
                tracing::warn!(
                    job.id = %job.id, job.kind = %kind, attempt = job.attempts, retry_at = %at,
                    duration_ms, error = %err.message(), "job failed; will retry"
                );
                Outcome::Retried
            }
            None => {
                metrics::counter!(m::DEAD_TOTAL, "kind" => kind.clone()).increment(1);
                tracing::error!(
                    job.id = %job.id, job.kind = %kind, attempt = job.attempts,
                    duration_ms, error = %err.message(), "job dead-lettered"
                );
                Outcome::Dead
            }
        },
        Ok(false) => {
            tracing::warn!(job.id = %job.id, job.kind = %kind, "job failed after its lease was lost");
            Outcome::Lost
        }
        Err(e) => {
            tracing::error!(job.id = %job.id, job.kind = %kind, error = %e, "cannot record failure; it will run again");
            Outcome::Lost
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(attempts: i32, max_attempts: i32) -> Job {
        let t = Ts::new(Timestamp::UNIX_EPOCH);
        Job {
            id: JobId::new(),
            workspace_id: None,
            kind: "k".into(),
            payload: "{}".into(),
            priority: 100,
            state: "running".into(),
            run_at: t,
            attempts,
            max_attempts,
            dedupe_key: None,
            locked_by: None,
            locked_until: None,
            last_error: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
            started_at: Some(t),
        }
    }

    #[test]
    fn failures_retry_until_attempts_run_out_and_permanent_ones_never() {
        let now = Timestamp::UNIX_EPOCH;
        let b = Backoff {
            jitter: 0.0,
            ..Backoff::default()
        };
        let retry = JobError::Retry("x".into());
        assert_eq!(
            retry_at(&retry, &job(1, 3), now, &b),
            Some(add(now, SignedDuration::from_secs(10)))
        );
        assert_eq!(
            retry_at(&retry, &job(2, 3), now, &b),
            Some(add(now, SignedDuration::from_secs(20)))
        );
        assert_eq!(retry_at(&retry, &job(3, 3), now, &b), None);
        let after = JobError::RetryAfter("x".into(), SignedDuration::from_secs(90));
        assert_eq!(
            retry_at(&after, &job(1, 3), now, &b),
            Some(add(now, SignedDuration::from_secs(90)))
        );
        assert_eq!(retry_at(&after, &job(3, 3), now, &b), None);
        assert_eq!(
            retry_at(&JobError::Permanent("x".into()), &job(1, 3), now, &b),
            None
        );
    }

    #[test]
    fn panic_payloads_become_messages() {
        let p = std::panic::catch_unwind(|| panic!("boom {}", 1)).expect_err("panics");
        assert_eq!(panic_message(p.as_ref()), "boom 1");
        let p = std::panic::catch_unwind(|| panic!("static")).expect_err("panics");
        assert_eq!(panic_message(p.as_ref()), "static");
    }
}
