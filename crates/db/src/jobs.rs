//! The `jobs` table: a durable queue that is also an outbox. A job is
//! enqueued inside the caller's transaction, so it exists if and only if the
//! change that caused it committed.
//!
//! Waking workers: [`enqueue`] records in the transaction that workers are
//! to be woken, and [`Tx::commit`] wakes this process's workers once the
//! job is visible. On PostgreSQL it also queues `pg_notify('af_jobs')`, so
//! every listening worker of every node wakes when, and only when, the
//! transaction commits. Callers do nothing after their commit.

use crate::{Backend, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::jobs::JobPayload;
use af_core::{JobId, WorkspaceId};
use jiff::SignedDuration;
use std::sync::OnceLock;
use tokio::sync::Notify;
use uuid::Uuid;

/// The PostgreSQL `LISTEN`/`NOTIFY` channel that [`enqueue`] notifies.
pub const NOTIFY_CHANNEL: &str = "af_jobs";

/// The process-global wake-up for workers in this process.
///
/// Workers register interest (`notified()` + `enable()`) before they look for
/// work, so a wake-up sent between their query and their sleep is not lost.
pub fn local_wakeup() -> &'static Notify {
    static WAKEUP: OnceLock<Notify> = OnceLock::new();
    WAKEUP.get_or_init(Notify::new)
}

/// Wakes the workers of this process. [`Tx::commit`] calls it for every
/// transaction that enqueued a job; call it directly only after making jobs
/// due outside a transaction. Never before a commit: a worker could look
/// before the job is visible and go back to sleep.
pub fn wake_workers() {
    local_wakeup().notify_waiters();
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub workspace: Option<WorkspaceId>,
    pub kind: &'a str,
    /// Small JSON: ids, not documents.
    pub payload: serde_json::Value,
    /// Lower runs first.
    pub priority: i32,
    pub run_at: Ts,
    pub max_attempts: i32,
    /// While a job with this key is pending or running, another enqueue with
    /// the same key is a no-op.
    pub dedupe_key: Option<String>,
}

impl<'a> NewJob<'a> {
    /// A job due at `run_at` with default priority and attempts. For the
    /// queue's own plumbing (schedules, diagnostics, tests), which moves
    /// kinds it does not know; everything else enqueues a typed payload
    /// with [`enqueue_job`].
    pub fn new(kind: &'a str, payload: serde_json::Value, run_at: Ts) -> Self {
        Self {
            workspace: None,
            kind,
            payload,
            priority: 100,
            run_at,
            max_attempts: 10,
            dedupe_key: None,
        }
    }
}

impl NewJob<'static> {
    /// The job for `payload`, queued the way its kind declares (priority,
    /// attempts, dedupe key), due at `run_at`. Change a field only where
    /// one call site genuinely differs from its kind, and say why there.
    pub fn typed<P: JobPayload>(
        workspace: Option<WorkspaceId>,
        payload: &P,
        run_at: Ts,
    ) -> DbResult<Self> {
        Ok(Self {
            workspace,
            kind: P::KIND,
            payload: crate::error::payload_json(payload)?,
            priority: P::PRIORITY,
            run_at,
            max_attempts: P::MAX_ATTEMPTS,
            dedupe_key: payload.dedupe_key(),
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    #[sqlx(try_from = "Uuid")]
    pub id: JobId,
    pub workspace_id: Option<Uuid>,
    pub kind: String,
    pub payload: String,
    pub priority: i32,
    pub state: String,
    pub run_at: Ts,
    pub attempts: i32,
    pub max_attempts: i32,
    pub dedupe_key: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<Ts>,
    pub last_error: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// When it succeeded or was dead-lettered.
    pub finished_at: Option<Ts>,
    /// When its latest attempt was claimed (`started_at - run_at` is that
    /// attempt's due → start latency).
    pub started_at: Option<Ts>,
}

macro_rules! job_columns {
    () => {
        "id, workspace_id, kind, payload, priority, state, run_at, attempts, max_attempts, dedupe_key, \
         locked_by, locked_until, last_error, created_at, updated_at, finished_at, started_at"
    };
}

/// Enqueues in the caller's transaction. Returns `None` when a pending or
/// running job already holds the dedupe key.
pub async fn enqueue(tx: &mut Tx, job: &NewJob<'_>, now: Ts) -> DbResult<Option<JobId>> {
    let id = JobId::new();
    let inserted = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO jobs (id, workspace_id, kind, payload, priority, state, run_at, attempts, max_attempts,
                               dedupe_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, 0, $7, $8, $9, $9)
             ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING",
        )
        .bind(id.0)
        .bind(job.workspace.map(|w| w.0))
        .bind(job.kind)
        .bind(job.payload.to_string())
        .bind(job.priority)
        .bind(job.run_at)
        .bind(job.max_attempts)
        .bind(&job.dedupe_key)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if inserted > 0 {
        notify_enqueued(tx).await?;
    }
    Ok((inserted > 0).then_some(id))
}

/// Enqueues `payload` in the caller's transaction, due at `run_at`, with
/// its kind's declared priority, attempts and dedupe key. `workspace` is
/// `None` only for system jobs. Returns `None` when a pending or running
/// job already holds the dedupe key.
pub async fn enqueue_job<P: JobPayload>(
    tx: &mut Tx,
    workspace: Option<WorkspaceId>,
    payload: &P,
    run_at: Ts,
    now: Ts,
) -> DbResult<Option<JobId>> {
    enqueue(tx, &NewJob::typed(workspace, payload, run_at)?, now).await
}

/// Wakes the workers of every process now, outside any transaction (after
/// an admin retry, say): `pg_notify` on PostgreSQL, plus [`wake_workers`]
/// for this process on both backends.
pub async fn notify_workers(db: &crate::Db) -> DbResult<()> {
    if let crate::Db::Pg(p) = db {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(p)
            .await?;
    }
    wake_workers();
    Ok(())
}

/// Wakes workers when `tx` commits, and not at all if it rolls back: this
/// process's workers through [`Tx::commit`], and on PostgreSQL every
/// listening worker of every node through a `NOTIFY af_jobs` queued in the
/// transaction. [`enqueue`] already calls it; it is public for code that
/// makes jobs due by other means (e.g. an `UPDATE` of `run_at`).
pub async fn notify_enqueued(tx: &mut Tx) -> DbResult<()> {
    tx.wake_workers_after_commit();
    if let crate::TxConn::Pg(t) = &mut tx.conn {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(NOTIFY_CHANNEL)
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Claims up to `limit` due jobs for `worker`, leasing them until
/// `lease_until`.
///
/// Backend-specific on purpose: PostgreSQL uses `FOR UPDATE SKIP LOCKED` so
/// concurrent workers on several nodes never claim the same row nor wait on
/// each other; SQLite has one writer at a time, so the plain
/// `UPDATE … RETURNING` is already atomic.
///
/// On PostgreSQL the rows are picked in a `MATERIALIZED` CTE that the
/// `UPDATE` joins, not in a `WHERE id IN (subquery)`: a subquery in the
/// `UPDATE`'s own condition may be evaluated again when a row it touches
/// was changed concurrently (the READ COMMITTED re-check), and a second
/// evaluation under `SKIP LOCKED` picks other rows — more than `limit` in
/// all. The materialized CTE is evaluated exactly once, so a claim never
/// returns more than `limit` jobs.
pub async fn claim_due_jobs(
    db: &crate::Db,
    worker: &str,
    limit: i64,
    now: Ts,
    lease_until: Ts,
) -> DbResult<Vec<Job>> {
    let jobs = match db.backend() {
        // `picked_id`, not `id`: the RETURNING list names `jobs`' columns
        // unqualified and must not be ambiguous.
        Backend::Postgres => with_pool!(db, p => {
            sqlx::query_as::<_, Job>(concat!(
                "WITH picked AS MATERIALIZED (
                     SELECT id AS picked_id FROM jobs WHERE state = 'pending' AND run_at <= $2
                     ORDER BY priority, run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                 UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1,
                        updated_at = $2, started_at = $2
                 FROM picked WHERE jobs.id = picked.picked_id
                 RETURNING ", job_columns!()))
            .bind(worker).bind(now).bind(lease_until).bind(limit)
            .fetch_all(p).await?
        }),
        // SQLite: an UPDATE takes the database's one write lock even when
        // it matches nothing, and every lead's transaction waits for that
        // lock; a read (WAL: no lock) first makes an idle wake-up free.
        Backend::Sqlite if !sqlite_has_due_job(db, now).await? => Vec::new(),
        Backend::Sqlite => with_pool!(db, p => {
            sqlx::query_as::<_, Job>(concat!(
                "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1,
                        updated_at = $2, started_at = $2
                 WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $2
                              ORDER BY priority, run_at LIMIT $4)
                 RETURNING ", job_columns!()))
            .bind(worker).bind(now).bind(lease_until).bind(limit)
            .fetch_all(p).await?
        }),
    };
    Ok(jobs)
}

/// Whether any pending job is due (SQLite's claim asks before it writes).
async fn sqlite_has_due_job(db: &crate::Db, now: Ts) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE state = 'pending' AND run_at <= $1 LIMIT 1)",
        )
        .bind(now)
        .fetch_one(p)
        .await?
    }) > 0)
}

/// Marks a claimed job done. Only the worker holding the lease may, so a job
/// rescued from a stalled worker is not completed twice.
pub async fn complete_job(db: &crate::Db, id: JobId, worker: &str, now: Ts) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'succeeded', finished_at = $3, updated_at = $3, locked_by = NULL, locked_until = NULL
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id.0).bind(worker).bind(now)
        .execute(p).await?.rows_affected()
    }) > 0)
}

/// Records a failure: back to pending at `retry_at`, or dead when `retry_at`
/// is `None` (attempts exhausted or a permanent error).
pub async fn fail_job(
    db: &crate::Db,
    id: JobId,
    worker: &str,
    error: &str,
    retry_at: Option<Ts>,
    now: Ts,
) -> DbResult<bool> {
    let (state, run_at) = match retry_at {
        Some(t) => ("pending", Some(t)),
        None => ("dead", None),
    };
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = $5, updated_at = $6,
                    locked_by = NULL, locked_until = NULL,
                    finished_at = CASE WHEN $3 = 'dead' THEN $6 ELSE NULL END
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id.0).bind(worker).bind(state).bind(run_at).bind(error).bind(now)
        .execute(p).await?.rows_affected()
    }) > 0)
}

/// Extends the lease of a long job.
pub async fn extend_lease(
    db: &crate::Db,
    id: JobId,
    worker: &str,
    lease_until: Ts,
) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query("UPDATE jobs SET locked_until = $3 WHERE id = $1 AND state = 'running' AND locked_by = $2")
            .bind(id.0).bind(worker).bind(lease_until)
            .execute(p).await?.rows_affected()
    }) > 0)
}

/// Most ids per statement in [`extend_leases`].
const EXTEND_CHUNK: usize = 500;

/// The worker's heartbeat: extends to `lease_until` the lease of each of
/// `ids` that is still running and leased to `worker`, in one statement per
/// 500 ids. Returns the ids it extended; the others are no longer this
/// worker's (finished, or rescued after the lease lapsed and possibly
/// running elsewhere).
///
/// It names the jobs rather than extending everything `locked_by = worker`:
/// a job whose task ended without recording its outcome (a failed write)
/// must be left to expire and be rescued, not be renewed for as long as
/// the process lives.
pub async fn extend_leases(
    db: &crate::Db,
    ids: &[JobId],
    worker: &str,
    lease_until: Ts,
) -> DbResult<Vec<JobId>> {
    let mut extended = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(EXTEND_CHUNK) {
        let rows: Vec<Uuid> = with_pool!(db, p => {
            let mut qb = sqlx::QueryBuilder::new("UPDATE jobs SET locked_until = ");
            qb.push_bind(lease_until)
                .push(" WHERE state = 'running' AND locked_by = ")
                .push_bind(worker)
                .push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            qb.push(") RETURNING id");
            qb.build_query_scalar().fetch_all(p).await?
        });
        extended.extend(rows.into_iter().map(JobId::from));
    }
    Ok(extended)
}

/// Returns jobs whose lease expired (their worker died or stalled) to the
/// queue. The attempt stays counted, so a job that keeps killing its worker
/// is dead-lettered once its attempts are used up instead of looping forever.
pub async fn rescue_expired_leases(db: &crate::Db, now: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
                    finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END,
                    last_error = 'lease expired: worker ' || COALESCE(locked_by, '?') || ' stopped renewing it',
                    locked_by = NULL, locked_until = NULL, updated_at = $1
             WHERE state = 'running' AND locked_until < $1",
        )
        .bind(now)
        .execute(p).await?.rows_affected()
    }))
}

/// SQLite only: returns every running job to the queue at once, whatever
/// its lease, and returns how many. For a process starting on a SQLite
/// file that no other process is claiming from (the caller makes sure, see
/// `agencyflow`'s runtime): every `running` row is then a claim of a
/// process that died, and waiting for its lease to expire would only delay
/// the work.
///
/// Like [`rescue_expired_leases`], the interrupted attempt stays counted (a
/// job at its last attempt is dead-lettered): the run may have had its
/// effect before the crash, and a job that crashes its process must not
/// get its attempt back on every restart and loop forever.
///
/// On PostgreSQL it changes nothing and returns 0: several nodes share the
/// database, and a `running` row there is usually another node's live
/// claim. Those are rescued when their lease expires.
pub async fn release_all_claims_at_startup(db: &crate::Db, now: Ts) -> DbResult<u64> {
    let crate::Db::Sqlite(p) = db else {
        return Ok(0);
    };
    Ok(sqlx::query(
        "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
                finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END,
                last_error = 'released at start-up: worker ' || COALESCE(locked_by, '?') || ' stopped without finishing it',
                locked_by = NULL, locked_until = NULL, updated_at = $1
         WHERE state = 'running'",
    )
    .bind(now)
    .execute(p)
    .await?
    .rows_affected())
}

/// Releases a claimed job unrun (graceful shutdown), without counting the attempt.
pub async fn release_job(db: &crate::Db, id: JobId, worker: &str, now: Ts) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL, attempts = attempts - 1,
                    updated_at = $3
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id.0).bind(worker).bind(now)
        .execute(p).await?.rows_affected()
    }) > 0)
}

/// The job with this id, if any.
pub async fn find_job(db: &crate::Db, id: JobId) -> DbResult<Option<Job>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Job>(concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1"))
            .bind(id.0).fetch_optional(p).await?
    }))
}

/// The earliest `run_at` among pending jobs, so an idle worker knows how long
/// it may sleep.
pub async fn next_due_at(db: &crate::Db) -> DbResult<Option<Ts>> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE state = 'pending'").fetch_one(p).await?
    }))
}

/// Counts per state, for dashboards and `jobs stats`.
pub async fn count_jobs_by_state(db: &crate::Db) -> DbResult<Vec<(String, i64)>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state").fetch_all(p).await?
    }))
}

/// Job counts for one (kind, state) pair.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KindStateCount {
    pub kind: String,
    pub state: String,
    pub count: i64,
}

/// A snapshot of the queue for `jobs stats` and the admin page.
#[derive(Debug, Clone)]
pub struct JobStats {
    /// Counts by kind and state, sorted by kind then state.
    pub counts: Vec<KindStateCount>,
    /// Pending jobs already due (the backlog).
    pub due_pending: i64,
    /// `run_at` of the oldest due pending job.
    pub oldest_due_run_at: Option<Ts>,
    /// How long the oldest due pending job has waited (`now - run_at`).
    pub oldest_due_age: Option<SignedDuration>,
}

impl JobStats {
    /// The total number of jobs in `state`, over all kinds.
    pub fn total_in(&self, state: &str) -> i64 {
        self.counts
            .iter()
            .filter(|c| c.state == state)
            .map(|c| c.count)
            .sum()
    }
}

/// Counts by kind and state, and the backlog of due pending jobs as of `now`
/// (every job: operators' view).
pub async fn stats(db: &crate::Db, now: Ts) -> DbResult<JobStats> {
    stats_scoped(db, None, now).await
}

/// [`stats`] over one workspace's jobs only (the admin page).
pub async fn stats_for_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    now: Ts,
) -> DbResult<JobStats> {
    stats_scoped(db, Some(workspace), now).await
}

// `workspace` None means every job (system jobs included): the operator's
// view. The same SQL serves both so the two views cannot drift.
async fn stats_scoped(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    now: Ts,
) -> DbResult<JobStats> {
    let ws = workspace.map(|w| w.0);
    let (counts, (oldest, due)) = with_pool!(db, p => {
        let counts: Vec<KindStateCount> = sqlx::query_as(
            "SELECT kind, state, COUNT(*) AS count FROM jobs WHERE ($1 IS NULL OR workspace_id = $1)
             GROUP BY kind, state ORDER BY kind, state",
        )
        .bind(ws)
        .fetch_all(p)
        .await?;
        let due: (Option<Ts>, i64) = sqlx::query_as(
            "SELECT MIN(run_at), COUNT(*) FROM jobs
             WHERE state = 'pending' AND run_at <= $1 AND ($2 IS NULL OR workspace_id = $2)",
        )
        .bind(now)
        .bind(ws)
        .fetch_one(p)
        .await?;
        (counts, due)
    });
    Ok(JobStats {
        counts,
        due_pending: due,
        oldest_due_run_at: oldest,
        oldest_due_age: oldest.map(|t| now.0.duration_since(t.0)),
    })
}

/// Failures, newest first: dead-lettered jobs and pending jobs waiting to
/// retry after an error (every job: operators' view).
pub async fn list_failed(db: &crate::Db, limit: i64) -> DbResult<Vec<Job>> {
    list_failed_scoped(db, None, limit).await
}

/// [`list_failed`] over one workspace's jobs only.
pub async fn list_failed_in_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    limit: i64,
) -> DbResult<Vec<Job>> {
    list_failed_scoped(db, Some(workspace), limit).await
}

async fn list_failed_scoped(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    limit: i64,
) -> DbResult<Vec<Job>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Job>(concat!(
            "SELECT ", job_columns!(), " FROM jobs
             WHERE (state = 'dead' OR (state = 'pending' AND last_error IS NOT NULL))
               AND ($2 IS NULL OR workspace_id = $2)
             ORDER BY updated_at DESC, id DESC LIMIT $1"))
        .bind(limit)
        .bind(workspace.map(|w| w.0))
        .fetch_all(p).await?
    }))
}

/// The job with this id in `workspace`; `None` for another workspace's job
/// or a system job.
pub async fn find_job_in_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    id: JobId,
) -> DbResult<Option<Job>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Job>(concat!(
            "SELECT ", job_columns!(), " FROM jobs WHERE id = $1 AND workspace_id = $2"))
            .bind(id.0).bind(workspace.0).fetch_optional(p).await?
    }))
}

/// Puts a dead job back in the queue, due `now`, with its attempts reset and
/// its error cleared. `false` when the job is not dead, or when its dedupe
/// key is held by another pending or running job (that work is queued
/// already).
pub async fn retry_job(db: &crate::Db, id: JobId, now: Ts) -> DbResult<bool> {
    retry_job_scoped(db, None, id, now).await
}

/// [`retry_job`], only if the job belongs to `workspace`.
pub async fn retry_job_in_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    id: JobId,
    now: Ts,
) -> DbResult<bool> {
    retry_job_scoped(db, Some(workspace), id, now).await
}

async fn retry_job_scoped(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    id: JobId,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'pending', run_at = $2, attempts = 0, last_error = NULL, updated_at = $2,
                    finished_at = NULL
             WHERE id = $1 AND state = 'dead' AND ($3 IS NULL OR workspace_id = $3)
               AND (dedupe_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM jobs l WHERE l.dedupe_key = jobs.dedupe_key AND l.state IN ('pending', 'running')))",
        )
        .bind(id.0).bind(now).bind(workspace.map(|w| w.0))
        .execute(p).await?.rows_affected()
    }) > 0)
}

/// [`retry_job`] for every dead job; returns how many went back to the
/// queue. Of several dead jobs sharing a dedupe key only the newest is
/// retried (the key is unique among live jobs).
pub async fn retry_all_dead(db: &crate::Db, now: Ts) -> DbResult<u64> {
    retry_all_dead_scoped(db, None, now).await
}

/// [`retry_all_dead`] over one workspace's jobs only.
pub async fn retry_all_dead_in_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    now: Ts,
) -> DbResult<u64> {
    retry_all_dead_scoped(db, Some(workspace), now).await
}

async fn retry_all_dead_scoped(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    now: Ts,
) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'pending', run_at = $1, attempts = 0, last_error = NULL, updated_at = $1,
                    finished_at = NULL
             WHERE state = 'dead' AND ($2 IS NULL OR workspace_id = $2)
               AND (dedupe_key IS NULL OR (
                    NOT EXISTS (SELECT 1 FROM jobs l
                                WHERE l.dedupe_key = jobs.dedupe_key AND l.state IN ('pending', 'running'))
                    AND id = (SELECT d.id FROM jobs d WHERE d.dedupe_key = jobs.dedupe_key AND d.state = 'dead'
                              ORDER BY d.created_at DESC, d.id DESC LIMIT 1)))",
        )
        .bind(now)
        .bind(workspace.map(|w| w.0))
        .execute(p).await?.rows_affected()
    }))
}

/// Deletes a dead job, or a pending one waiting to retry. A running job is
/// never discarded (its worker holds it); `false` when nothing was deleted.
pub async fn discard_job(db: &crate::Db, id: JobId) -> DbResult<bool> {
    discard_job_scoped(db, None, id).await
}

/// [`discard_job`], only if the job belongs to `workspace`.
pub async fn discard_job_in_workspace(
    db: &crate::Db,
    workspace: WorkspaceId,
    id: JobId,
) -> DbResult<bool> {
    discard_job_scoped(db, Some(workspace), id).await
}

async fn discard_job_scoped(
    db: &crate::Db,
    workspace: Option<WorkspaceId>,
    id: JobId,
) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "DELETE FROM jobs WHERE id = $1 AND state IN ('dead', 'pending') AND ($2 IS NULL OR workspace_id = $2)",
        )
        .bind(id.0)
        .bind(workspace.map(|w| w.0))
        .execute(p).await?.rows_affected()
    }) > 0)
}

/// Deletes succeeded jobs finished before `before` (queue housekeeping);
/// returns how many.
pub async fn delete_finished_jobs(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM jobs WHERE state = 'succeeded' AND finished_at < $1")
            .bind(before)
            .execute(p).await?.rows_affected()
    }))
}

/// Jobs newest first, optionally only those in `state`, for the admin page.
pub async fn list_jobs(db: &crate::Db, state: Option<&str>, limit: i64) -> DbResult<Vec<Job>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Job>(concat!(
            "SELECT ", job_columns!(), " FROM jobs WHERE ($1 IS NULL OR state = $1)
             ORDER BY created_at DESC, id DESC LIMIT $2"))
        .bind(state)
        .bind(limit)
        .fetch_all(p).await?
    }))
}

/// Most rows per multi-row `INSERT` in [`enqueue_batch`] (9 binds a row,
/// well under SQLite's 32,766 parameters).
const ENQUEUE_CHUNK: usize = 500;

/// Enqueues many jobs in the caller's transaction with multi-row `INSERT`s
/// (bulk work and the diagnostics; one round trip per 500 jobs instead of
/// one per job). Jobs whose dedupe key is held are skipped, as in
/// [`enqueue`]. Returns how many were inserted.
pub async fn enqueue_batch(tx: &mut Tx, batch: &[NewJob<'_>], now: Ts) -> DbResult<u64> {
    let mut inserted = 0;
    for chunk in batch.chunks(ENQUEUE_CHUNK) {
        inserted += with_tx!(tx, c => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO jobs (id, workspace_id, kind, payload, priority, state, run_at, attempts,
                                   max_attempts, dedupe_key, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, job| {
                row.push_bind(JobId::new().0)
                    .push_bind(job.workspace.map(|w| w.0))
                    .push_bind(job.kind)
                    .push_bind(job.payload.to_string())
                    .push_bind(job.priority)
                    .push_unseparated(", 'pending'")
                    .push_bind(job.run_at)
                    .push_unseparated(", 0")
                    .push_bind(job.max_attempts)
                    .push_bind(job.dedupe_key.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(" ON CONFLICT (dedupe_key) WHERE state IN ('pending', 'running') DO NOTHING");
            qb.build().execute(&mut *c).await?.rows_affected()
        });
    }
    if inserted > 0 {
        notify_enqueued(tx).await?;
    }
    Ok(inserted)
}

/// Most ids per statement in [`complete_jobs`].
const COMPLETE_CHUNK: usize = 500;

/// [`complete_job`] for many jobs in one statement (the worker groups the
/// completions that pile up while the previous one is being written).
/// Returns the ids that were still leased to `worker` and are now
/// succeeded; the others lost their lease.
pub async fn complete_jobs(
    db: &crate::Db,
    ids: &[JobId],
    worker: &str,
    now: Ts,
) -> DbResult<Vec<JobId>> {
    let mut done = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(COMPLETE_CHUNK) {
        let rows: Vec<Uuid> = with_pool!(db, p => {
            let mut qb = sqlx::QueryBuilder::new(
                "UPDATE jobs SET state = 'succeeded', finished_at = ",
            );
            qb.push_bind(now)
                .push(", updated_at = ")
                .push_bind(now)
                .push(", locked_by = NULL, locked_until = NULL WHERE state = 'running' AND locked_by = ")
                .push_bind(worker)
                .push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(id.0);
            }
            qb.push(") RETURNING id");
            qb.build_query_scalar().fetch_all(p).await?
        });
        done.extend(rows.into_iter().map(JobId::from));
    }
    Ok(done)
}

/// Enqueues `schedule`'s job now, outside its cron slots ("run now"),
/// recording the run without moving `next_run_at`. The dedupe key
/// `schedule:{id}:now` makes a double click queue one job: `None` when a
/// run-now job of this schedule is still pending or running.
pub async fn enqueue_schedule_now(
    db: &crate::Db,
    schedule: &crate::schedules::Schedule,
    payload: serde_json::Value,
    now: Ts,
) -> DbResult<Option<JobId>> {
    let mut job = NewJob::new(&schedule.job_kind, payload, now);
    job.workspace = schedule.workspace_id.map(Into::into);
    job.dedupe_key = Some(format!("schedule:{}:now", schedule.id));
    let mut tx = db.begin().await?;
    let enqueued = enqueue(&mut tx, &job, now).await?;
    crate::schedules::mark_schedule_run(&mut tx, schedule.id, now).await?;
    tx.commit().await?;
    Ok(enqueued)
}

/// One succeeded job's timing, for [`start_latencies`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct JobTiming {
    pub run_at: Ts,
    pub started_at: Ts,
    pub finished_at: Ts,
}

impl JobTiming {
    /// Due → start of its last attempt.
    pub fn latency(&self) -> SignedDuration {
        self.run_at.0.duration_until(self.started_at.0)
    }
}

/// Timings of the jobs that succeeded and whose last attempt started at or
/// after `since` (optionally of one kind), for `jobs latency` and the
/// benchmarks. Unordered.
pub async fn start_latencies(
    db: &crate::Db,
    kind: Option<&str>,
    since: Ts,
) -> DbResult<Vec<JobTiming>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, JobTiming>(
            "SELECT run_at, started_at, finished_at FROM jobs
             WHERE state = 'succeeded' AND started_at >= $1 AND ($2 IS NULL OR kind = $2)",
        )
        .bind(since)
        .bind(kind)
        .fetch_all(p)
        .await?
    }))
}

/// Records the effect of a `diag_record` job under its idempotency key:
/// the first run inserts the row, a re-run (after a crash between the
/// effect and the acknowledgement) only counts itself in `runs`. Returns
/// `runs` after this call (1 for the first run).
pub async fn record_diag_effect(
    db: &crate::Db,
    idempotency_key: &str,
    job: JobId,
    attempt: i32,
    now: Ts,
) -> DbResult<i32> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar(
            "INSERT INTO job_diag_effects (idempotency_key, job_id, attempt, runs, created_at, updated_at)
             VALUES ($1, $2, $3, 1, $4, $4)
             ON CONFLICT (idempotency_key) DO UPDATE SET runs = job_diag_effects.runs + 1, updated_at = $4
             RETURNING runs",
        )
        .bind(idempotency_key)
        .bind(job.0)
        .bind(attempt)
        .bind(now)
        .fetch_one(p)
        .await?
    }))
}

/// What the `diag_record` jobs left behind, for `jobs diag-effects` and the
/// crash test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct DiagEffects {
    /// Rows, one per idempotency key.
    pub effects: i64,
    /// Distinct jobs among them (equal to `effects` unless two keys were
    /// used for one job: a duplicate effect).
    pub jobs: i64,
    /// Effects that a re-run found already recorded (`runs > 1`).
    pub rerun: i64,
    /// Effects first performed by an attempt after the first.
    pub late_attempt: i64,
    /// Succeeded `diag_record` jobs with no recorded effect (must be 0).
    pub missing: i64,
    /// `diag_record` jobs running now whose effect is already recorded
    /// (a crash now makes them re-run).
    pub running_after_effect: i64,
    /// `diag_record` jobs claimed more than once.
    pub retried_jobs: i64,
    /// Effects reached by more runs than the job had attempts (two runs in
    /// one claim: must be 0 unless jobs were released at a graceful
    /// shutdown, which gives the attempt back).
    pub runs_beyond_attempts: i64,
}

/// Summarises `job_diag_effects` against the `diag_record` jobs still in
/// the queue.
pub async fn diag_effects(db: &crate::Db) -> DbResult<DiagEffects> {
    let (effects, jobs, rerun, late): (i64, i64, Option<i64>, Option<i64>) = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT job_id),
                    SUM(CASE WHEN runs > 1 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN attempt > 1 THEN 1 ELSE 0 END)
             FROM job_diag_effects",
        )
        .fetch_one(p)
        .await?
    });
    let (missing, running, retried, beyond): (Option<i64>, Option<i64>, Option<i64>, i64) = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT SUM(CASE WHEN j.state = 'succeeded' AND e.job_id IS NULL THEN 1 ELSE 0 END),
                    SUM(CASE WHEN j.state = 'running' AND e.job_id IS NOT NULL THEN 1 ELSE 0 END),
                    SUM(CASE WHEN j.attempts > 1 THEN 1 ELSE 0 END),
                    COUNT(CASE WHEN e.attempt + e.runs - 1 > j.attempts THEN 1 END)
             FROM jobs j LEFT JOIN job_diag_effects e ON e.job_id = j.id
             WHERE j.kind = $1",
        )
        .bind(af_core::jobs::DiagRecord::KIND)
        .fetch_one(p)
        .await?
    });
    Ok(DiagEffects {
        effects,
        jobs,
        rerun: rerun.unwrap_or(0),
        late_attempt: late.unwrap_or(0),
        missing: missing.unwrap_or(0),
        running_after_effect: running.unwrap_or(0),
        retried_jobs: retried.unwrap_or(0),
        runs_beyond_attempts: beyond,
    })
}

/// Deletes diagnostic effects recorded before `before`; returns how many.
pub async fn delete_diag_effects_before(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM job_diag_effects WHERE created_at < $1")
            .bind(before)
            .execute(p).await?.rows_affected()
    }))
}
