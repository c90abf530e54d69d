#![doc = include_str!("../README.md")]

mod actions;
pub mod channels;
pub mod context;
pub mod dispatch;
mod enrolment;
pub mod fallback;
pub mod kommo;
pub mod library;
pub mod ops;
pub mod outbound;
pub mod overlaps;
pub mod route;
pub mod run;
pub mod send;
pub mod sweep;
pub mod system_mail;
pub mod webhooks;

use af_core::crypto::SecretKey;
use af_jobs::{JobError, JobsError, Registry, handler_fn};
use std::sync::Arc;

/// The job that delivers one queued message.
pub const SEND_JOB: &str = "send_message";
/// The periodic sweep for time-based triggers and stuck enrolments.
pub const SWEEP_JOB: &str = "automation_sweep";

/// What the engine needs from the server's configuration.
#[derive(Clone)]
pub struct EngineConfig {
    /// Public URL (no trailing slash), for unsubscribe and booking links.
    pub base_url: String,
    /// `BOOKING_URL`: the booking link merged as `{{ booking_url }}`
    /// (default: the workspace's public booking page).
    pub booking_url: Option<String>,
    /// Signs unsubscribe links; seals workspace channel credentials.
    pub secret: SecretKey,
    /// Channel providers and their server defaults (the outbox when none is
    /// configured).
    pub channels: Arc<channels::ChannelsConfig>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("base_url", &self.base_url)
            .field("booking_url", &self.booking_url)
            .finish_non_exhaustive()
    }
}

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Db(#[from] af_db::DbError),
    /// The request is wrong (validation); the messages name the fields.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The operation does not apply to the record's state.
    #[error("{0}")]
    Conflict(String),
}

pub type EngineResult<T> = Result<T, EngineError>;

/// Registers the engine's job handlers.
pub fn register(r: &mut Registry, config: EngineConfig) -> Result<(), JobsError> {
    let config = Arc::new(config);
    let c = config.clone();
    r.register(handler_fn(af_db::events::DISPATCH_JOB, move |ctx, job| {
        let c = c.clone();
        async move { dispatch::dispatch_job(&ctx, &c, &job).await }
    }))?;
    // Routing jobs queued by a version before dispatch existed.
    let c = config.clone();
    r.register(handler_fn(
        af_db::automations::ROUTE_JOB,
        move |ctx, job| {
            let c = c.clone();
            async move { route::route_job(&ctx, &c, &job).await }
        },
    ))?;
    let c = config.clone();
    r.register(handler_fn(af_db::automations::STEP_JOB, move |ctx, job| {
        let c = c.clone();
        async move { run::step_job(&ctx, &c, &job).await }
    }))?;
    let c = config.clone();
    r.register(handler_fn(SEND_JOB, move |ctx, job| {
        let c = c.clone();
        async move { send::send_job(&ctx, &c, &job).await }
    }))?;
    let c = config.clone();
    r.register(handler_fn(af_db::webhooks::DELIVER_JOB, move |ctx, job| {
        let c = c.clone();
        async move { webhooks::deliver_job(&ctx, &c, &job).await }
    }))?;
    let c = config.clone();
    r.register(handler_fn(system_mail::SYSTEM_MAIL_JOB, move |ctx, job| {
        let c = c.clone();
        async move { system_mail::system_mail_job(&ctx, &c, &job).await }
    }))?;
    r.register(handler_fn(fallback::FALLBACK_JOB, |ctx, job| async move {
        fallback::fallback_job(&ctx, &job).await
    }))?;
    r.register(handler_fn(SWEEP_JOB, |ctx, _job| async move {
        sweep::sweep(&ctx.db, ctx.now())
            .await
            .map_err(JobError::retry)
    }))?;
    Ok(())
}

/// The schedule of the periodic sweep (every five minutes, system-wide).
pub fn sweep_schedule() -> af_jobs::NewSchedule {
    af_jobs::NewSchedule {
        workspace: None,
        name: SWEEP_JOB.into(),
        cron: "*/5 * * * *".into(),
        time_zone: "UTC".into(),
        job_kind: SWEEP_JOB.into(),
        payload: serde_json::json!({}),
        enabled: true,
    }
}

pub(crate) fn payload_uuid(job: &af_jobs::Job, key: &str) -> Result<uuid::Uuid, JobError> {
    let v: serde_json::Value = serde_json::from_str(&job.payload).map_err(JobError::permanent)?;
    v.get(key)
        .and_then(|x| x.as_str())
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .ok_or_else(|| JobError::Permanent(format!("payload without {key}")))
}

pub(crate) fn job_workspace(job: &af_jobs::Job) -> Result<af_core::WorkspaceId, JobError> {
    job.workspace_id
        .map(af_core::WorkspaceId)
        .ok_or_else(|| JobError::Permanent("job without workspace".into()))
}

/// Quiet hours or pacing: a new send job for `at` (the message stays
/// queued; this attempt is not a failure). Here at the root because both
/// the send handler and the Kommo sync (which `send` hands Kommo messages
/// to) use it.
pub(crate) async fn reschedule(
    db: &af_db::Db,
    ws: af_core::WorkspaceId,
    id: af_core::MessageId,
    at: af_db::Ts,
    now: af_db::Ts,
) -> Result<(), af_jobs::JobError> {
    let mut tx = db.begin().await?;
    let mut job = af_db::jobs::NewJob::new(SEND_JOB, serde_json::json!({ "message_id": id }), at);
    job.workspace = Some(ws);
    job.priority = 70;
    af_db::jobs::enqueue(&mut tx, &job, now).await?;
    tx.commit().await?;
    tracing::debug!(workspace.id = %ws, message.id = %id, until = %at, "message waits");
    Ok(())
}
