//! Metric names, in one place so dashboards and code agree. Recorded with
//! the `metrics` facade; the binary installs the exporter.

/// Counter, label `kind`: jobs that succeeded.
pub const COMPLETED_TOTAL: &str = "af_jobs_completed_total";
/// Counter, label `kind`: failed runs (retried or dead-lettered, panics and
/// unknown kinds included).
pub const FAILED_TOTAL: &str = "af_jobs_failed_total";
/// Counter, label `kind`: jobs dead-lettered.
pub const DEAD_TOTAL: &str = "af_jobs_dead_total";
/// Histogram, label `kind`: seconds from `run_at` (due) to start.
pub const LATENCY_SECONDS: &str = "af_job_latency_seconds";
/// Histogram, label `kind`: seconds the handler ran.
pub const RUN_SECONDS: &str = "af_job_run_seconds";
/// Gauge: pending jobs already due, set by [`crate::admin::stats`] and the
/// worker's periodic maintenance.
pub const QUEUE_DEPTH: &str = "af_jobs_queue_depth";
/// Counter: schedules fired.
pub const SCHEDULES_FIRED_TOTAL: &str = "af_schedules_fired_total";

pub(crate) fn seconds(d: jiff::SignedDuration) -> f64 {
    d.as_secs_f64().max(0.0)
}
