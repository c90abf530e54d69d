#![doc = include_str!("../README.md")]

pub mod admin;
mod backoff;
mod completer;
pub mod cron;
pub mod diag;
mod error;
mod handler;
pub mod metrics;
mod scheduler;
mod wakeup;
mod worker;

pub use backoff::Backoff;
pub use error::JobsError;
pub use handler::{
    FnHandler, JobContext, JobError, JobHandler, Registry, TypedHandler, handler_fn, parse_payload,
    typed_handler,
};
pub use scheduler::{
    Scheduler, SchedulerConfig, register_schedule, run_schedule_now, set_schedule_enabled,
};
pub use worker::{RunReport, Worker, WorkerConfig, default_worker_id};

/// Re-exported so callers need not depend on af-db for the row types.
pub use af_db::jobs::{Job, JobStats, KindStateCount, NewJob};
pub use af_db::schedules::{NewSchedule, Schedule, ScheduleId};
