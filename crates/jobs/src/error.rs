//! The job runtime's one error type (handler failures are [`crate::JobError`],
//! a different thing: they are data about a job, not a failure of the runtime).

use af_db::DbError;
use af_db::schedules::ScheduleId;

/// What went wrong in the queue, worker or scheduler.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("invalid cron expression {expr:?}: {reason}")]
    InvalidCron { expr: String, reason: String },
    #[error("unknown time zone {0:?}")]
    UnknownTimeZone(String),
    #[error("cron expression {expr:?} has no run after {after}")]
    NoNextRun {
        expr: String,
        after: jiff::Timestamp,
    },
    #[error("a handler for job kind {0:?} is already registered")]
    DuplicateKind(&'static str),
    #[error("schedule {0} not found")]
    ScheduleNotFound(ScheduleId),
    #[error("schedule payload is not JSON: {0}")]
    InvalidPayload(String),
    #[error("invalid job runtime configuration: {0}")]
    Config(String),
}
