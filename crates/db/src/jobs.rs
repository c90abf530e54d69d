//! The `jobs` table: a durable queue that is also an outbox. A job is
//! enqueued inside the caller's transaction, so it exists if and only if the
//! change that caused it committed.

use crate::{Backend, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{JobId, WorkspaceId};
use uuid::Uuid;

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
    /// A job due at `run_at` with default priority and attempts.
    pub fn new(kind: &'a str, payload: serde_json::Value, run_at: Ts) -> Self {
        Self { workspace: None, kind, payload, priority: 100, run_at, max_attempts: 10, dedupe_key: None }
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
}

macro_rules! job_columns {
    () => {
        "id, workspace_id, kind, payload, priority, state, run_at, attempts, max_attempts, dedupe_key, \
         locked_by, locked_until, last_error, created_at"
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
    Ok((inserted > 0).then_some(id))
}

/// Claims up to `limit` due jobs for `worker`, leasing them until
/// `lease_until`.
///
/// Backend-specific on purpose: PostgreSQL uses `FOR UPDATE SKIP LOCKED` so
/// concurrent workers on several nodes never claim the same row nor wait on
/// each other; SQLite has one writer at a time, so the plain
/// `UPDATE … RETURNING` is already atomic.
pub async fn claim_due_jobs(
    db: &crate::Db,
    worker: &str,
    limit: i64,
    now: Ts,
    lease_until: Ts,
) -> DbResult<Vec<Job>> {
    let jobs = match db.backend() {
        Backend::Postgres => with_pool!(db, p => {
            sqlx::query_as::<_, Job>(concat!(
                "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1,
                        updated_at = $2
                 WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $2
                              ORDER BY priority, run_at LIMIT $4 FOR UPDATE SKIP LOCKED)
                 RETURNING ", job_columns!()))
            .bind(worker).bind(now).bind(lease_until).bind(limit)
            .fetch_all(p).await?
        }),
        Backend::Sqlite => with_pool!(db, p => {
            sqlx::query_as::<_, Job>(concat!(
                "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $3, attempts = attempts + 1,
                        updated_at = $2
                 WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND run_at <= $2
                              ORDER BY priority, run_at LIMIT $4)
                 RETURNING ", job_columns!()))
            .bind(worker).bind(now).bind(lease_until).bind(limit)
            .fetch_all(p).await?
        }),
    };
    Ok(jobs)
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
pub async fn extend_lease(db: &crate::Db, id: JobId, worker: &str, lease_until: Ts) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query("UPDATE jobs SET locked_until = $3 WHERE id = $1 AND state = 'running' AND locked_by = $2")
            .bind(id.0).bind(worker).bind(lease_until)
            .execute(p).await?.rows_affected()
    }) > 0)
}

/// Returns jobs whose lease expired (their worker died) to the queue.
pub async fn rescue_expired_leases(db: &crate::Db, now: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL, updated_at = $1,
                    last_error = COALESCE(last_error, 'lease expired')
             WHERE state = 'running' AND locked_until < $1",
        )
        .bind(now)
        .execute(p).await?.rows_affected()
    }))
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
