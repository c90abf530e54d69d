//! The visibility API behind `agencyflow jobs …` and the admin page: the
//! `af_db::jobs` queries plus what only the runtime knows (the queue depth
//! gauge, waking workers after a retry).

use crate::JobsError;
use crate::metrics as m;
use af_core::JobId;
use af_db::jobs::{self, Job, JobStats};
use af_db::{Db, Ts};

/// Counts by state and kind and the oldest due pending job; also sets the
/// `af_jobs_queue_depth` gauge.
pub async fn stats(db: &Db, now: Ts) -> Result<JobStats, JobsError> {
    let st = jobs::stats(db, now).await?;
    metrics::gauge!(m::QUEUE_DEPTH).set(st.due_pending as f64);
    Ok(st)
}

/// Dead jobs and pending jobs retrying after an error, newest first.
pub async fn list_failed(db: &Db, limit: i64) -> Result<Vec<Job>, JobsError> {
    Ok(jobs::list_failed(db, limit).await?)
}

/// Puts a dead job back in the queue now (attempts reset) and wakes the
/// workers. `false` when it is not dead or its dedupe key is taken.
pub async fn retry_job(db: &Db, id: JobId, now: Ts) -> Result<bool, JobsError> {
    let retried = jobs::retry_job(db, id, now).await?;
    if retried {
        jobs::notify_workers(db).await?;
    }
    Ok(retried)
}

/// Retries every dead job; returns how many.
pub async fn retry_all_dead(db: &Db, now: Ts) -> Result<u64, JobsError> {
    let n = jobs::retry_all_dead(db, now).await?;
    if n > 0 {
        jobs::notify_workers(db).await?;
    }
    Ok(n)
}

/// Deletes a dead (or retrying) job. `false` when there was none or it is
/// running.
pub async fn discard_job(db: &Db, id: JobId) -> Result<bool, JobsError> {
    Ok(jobs::discard_job(db, id).await?)
}

/// One job, for a detail view.
pub async fn find_job(db: &Db, id: JobId) -> Result<Option<Job>, JobsError> {
    Ok(jobs::find_job(db, id).await?)
}
