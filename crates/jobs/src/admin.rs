//! The visibility API behind `agencyflow jobs …` and the admin page: the
//! `af_db::jobs` queries plus what only the runtime knows (the queue depth
//! gauge, waking workers after a retry).

use crate::JobsError;
use crate::metrics as m;
use af_core::{JobId, WorkspaceId};
use af_db::jobs::{self, Job, JobStats, JobTiming};
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

/// Due → start latency of recent jobs, and the throughput of the window
/// they ran in (see [`start_latency`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct LatencySummary {
    /// Jobs measured.
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// From the first start to the last finish among them.
    pub span_secs: f64,
    /// `count / span_secs`.
    pub jobs_per_sec: f64,
}

/// The p-th percentile (nearest rank) of sorted milliseconds.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises job timings (negative latencies, a job started before it
/// was due by clock skew between nodes, count as zero).
pub fn summarize(timings: &[JobTiming]) -> LatencySummary {
    let mut ms: Vec<f64> = timings
        .iter()
        .map(|t| (t.latency().as_secs_f64() * 1000.0).max(0.0))
        .collect();
    ms.sort_by(f64::total_cmp);
    let first = timings.iter().map(|t| t.started_at).min();
    let last = timings.iter().map(|t| t.finished_at).max();
    let span_secs = match (first, last) {
        (Some(a), Some(b)) => a.0.duration_until(b.0).as_secs_f64().max(0.0),
        _ => 0.0,
    };
    LatencySummary {
        count: ms.len(),
        p50_ms: percentile(&ms, 50.0),
        p99_ms: percentile(&ms, 99.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
        span_secs,
        jobs_per_sec: if span_secs > 0.0 {
            ms.len() as f64 / span_secs
        } else {
            0.0
        },
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
        let t0: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().expect("ts");
        let at = |ms: i64| Ts::new(t0 + SignedDuration::from_millis(ms));
        let timings: Vec<JobTiming> = (1..=100)
            .map(|i| JobTiming {
                run_at: at(0),
                started_at: at(i),
                finished_at: at(i + 1),
            })
            .collect();
        let s = summarize(&timings);
        assert_eq!(s.count, 100);
        assert_eq!(s.p50_ms, 50.0);
        assert_eq!(s.p99_ms, 99.0);
        assert_eq!(s.max_ms, 100.0);
        assert!((s.span_secs - 0.100).abs() < 1e-9, "1 ms → 101 ms");
        assert!((s.jobs_per_sec - 1000.0).abs() < 1e-6);
        assert_eq!(summarize(&[]), LatencySummary::default());
        let skewed = JobTiming {
            run_at: at(5),
            started_at: at(0),
            finished_at: at(1),
        };
        let one = summarize(&[skewed]);
        assert_eq!((one.p50_ms, one.p99_ms), (0.0, 0.0), "skew counts as zero");
    }
}
