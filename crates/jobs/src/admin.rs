//! The visibility API behind `agencyflow jobs …` and the admin page: the
//! `af_db::jobs` queries plus what only the runtime knows (the queue depth
//! gauge, waking workers after a retry).

use crate::JobsError;
use crate::metrics as m;
use af_core::{JobId, WorkspaceId};
use af_db::jobs::{self, Job, JobStats};
use af_db::schedules::{self, Schedule};
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

/// Due → start latency of recent jobs (see [`start_latency`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct LatencySummary {
    /// Jobs measured.
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The p-th percentile (nearest rank) of sorted milliseconds.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises latencies (negative ones, a job started before it was due
/// by clock skew between nodes, count as zero).
pub fn summarize(latencies: &[jiff::SignedDuration]) -> LatencySummary {
    let mut ms: Vec<f64> = latencies
        .iter()
        .map(|d| (d.as_secs_f64() * 1000.0).max(0.0))
        .collect();
    ms.sort_by(f64::total_cmp);
    LatencySummary {
        count: ms.len(),
        p50_ms: percentile(&ms, 50.0),
        p99_ms: percentile(&ms, 99.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
    }
}

/// Due → start latency (p50/p99/max) of the succeeded jobs whose last
/// attempt started at or after `since`, optionally of one kind.
pub async fn start_latency(
    db: &Db,
    kind: Option<&str>,
    since: Ts,
) -> Result<LatencySummary, JobsError> {
    Ok(summarize(&jobs::start_latencies(db, kind, since).await?))
}

/// Every schedule, system ones first.
pub async fn list_schedules(db: &Db) -> Result<Vec<Schedule>, JobsError> {
    Ok(schedules::list_schedules(db).await?)
}

/// The schedule named `name`: a system schedule, or one of `workspace`'s.
pub async fn find_schedule_by_name(
    db: &Db,
    workspace: Option<WorkspaceId>,
    name: &str,
) -> Result<Option<Schedule>, JobsError> {
    Ok(schedules::find_schedule_by_name(db, workspace, name).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let ms: Vec<SignedDuration> = (1..=100).map(SignedDuration::from_millis).collect();
        let s = summarize(&ms);
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(summarize(&[]), LatencySummary::default());
        let one = summarize(&[SignedDuration::from_millis(-5)]);
        assert_eq!((one.p50_ms, one.p99_ms), (0.0, 0.0), "skew counts as zero");
    }
}
