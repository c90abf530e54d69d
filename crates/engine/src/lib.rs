#![doc = include_str!("../README.md")]

mod actions;
pub mod bookings;
pub mod busy_feeds;
pub mod channels;
pub mod context;
pub mod dispatch;
mod enrolment;
pub mod fallback;
pub mod kommo;
pub mod library;
pub mod notify;
pub mod ops;
pub mod outbound;
pub mod overlaps;
pub mod route;
pub mod run;
pub mod scoring;
pub mod send;
pub mod sweep;
pub mod system_mail;
pub mod webhooks;

use af_core::crypto::SecretKey;
use af_core::jobs::{
    AutomationRoute, AutomationStep, AutomationSweep, BackfillThreshold, BookingNotice,
    DecayScores, DeliverWebhook, DispatchEvent, RecalculateScores, SendMessage, SyncBusyFeed,
    SyncBusyFeeds, SystemMail, WhatsappFallback,
};
use af_jobs::{JobError, JobsError, Registry, typed_handler};
use std::sync::Arc;

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
    Conflict(Conflict),
}

/// Why an operation does not apply to an enrolment or workflow as it is.
/// Typed, so the API can say it in English and a page in the reader's
/// language (the `Display` text is the API's).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Conflict {
    // The statuses are the enrolment's stored text (`EnrollmentStatus`).
    #[error("the contact is already enrolled ({0})")]
    AlreadyEnrolled(af_core::EnrollmentId),
    #[error("the contact could not be enrolled")]
    NotEnrolled,
    #[error("the workflow has no steps")]
    NoSteps,
    #[error("nothing to skip: the enrolment is {0} and not waiting")]
    NotWaiting(String),
    #[error("only failed enrolments can be retried (this one is {0})")]
    NotFailed(String),
    #[error("the contact has another live enrolment ({0})")]
    OtherLive(af_core::EnrollmentId),
    #[error("the enrolment already ended ({0})")]
    AlreadyEnded(String),
}

pub type EngineResult<T> = Result<T, EngineError>;

/// Registers the engine's job handlers (their payloads are in
/// [`af_core::jobs`]).
pub fn register(r: &mut Registry, config: EngineConfig) -> Result<(), JobsError> {
    let config = Arc::new(config);
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: DispatchEvent| {
        let c = c.clone();
        async move { dispatch::dispatch_job(&ctx, &c, &job, p).await }
    }))?;
    // Routing jobs queued by a version before dispatch existed.
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: AutomationRoute| {
        let c = c.clone();
        async move { route::route_job(&ctx, &c, &job, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: AutomationStep| {
        let c = c.clone();
        async move { run::step_job(&ctx, &c, &job, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: SendMessage| {
        let c = c.clone();
        async move { send::send_job(&ctx, &c, &job, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: DeliverWebhook| {
        let c = c.clone();
        async move { webhooks::deliver_job(&ctx, &c, &job, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, _job, p: SystemMail| {
        let c = c.clone();
        async move { system_mail::system_mail_job(&ctx, &c, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: BookingNotice| {
        let c = c.clone();
        async move { bookings::notice_job(&ctx, &c, &job, p).await }
    }))?;
    let c = config.clone();
    r.register(typed_handler(move |ctx, job, p: SyncBusyFeed| {
        let c = c.clone();
        async move { busy_feeds::sync_job(&ctx, &c, &job, p).await }
    }))?;
    r.register(typed_handler(|ctx, _job, _: SyncBusyFeeds| async move {
        busy_feeds::sync_all_job(&ctx).await
    }))?;
    r.register(typed_handler(|ctx, job, p: WhatsappFallback| async move {
        fallback::fallback_job(&ctx, &job, p).await
    }))?;
    r.register(typed_handler(|ctx, job, p: BackfillThreshold| async move {
        scoring::backfill_job(&ctx, &job, p).await
    }))?;
    r.register(typed_handler(|ctx, job, p: RecalculateScores| async move {
        scoring::recalculate_job(&ctx, &job, p).await
    }))?;
    r.register(typed_handler(|ctx, _job, _: DecayScores| async move {
        scoring::decay_job(&ctx).await
    }))?;
    r.register(typed_handler(|ctx, _job, _: AutomationSweep| async move {
        sweep::sweep(&ctx.db, ctx.now())
            .await
            .map_err(JobError::retry)
    }))?;
    Ok(())
}

/// The schedule of score decay: hourly, so each workspace's weekly period
/// starts close to its local midnight (a period is applied once).
pub fn decay_schedule() -> Result<af_jobs::NewSchedule, af_db::DbError> {
    af_jobs::NewSchedule::system("41 * * * *", &DecayScores {})
}

/// The schedule of the periodic sweep (every five minutes, system-wide).
pub fn sweep_schedule() -> Result<af_jobs::NewSchedule, af_db::DbError> {
    af_jobs::NewSchedule::system("*/5 * * * *", &AutomationSweep {})
}

/// The job's workspace, for the engine's workspace jobs (all but system
/// mail): one without is a bug no retry fixes.
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
    let job = af_core::jobs::SendMessage { message_id: id };
    af_db::jobs::enqueue_job(&mut tx, Some(ws), &job, at, now).await?;
    tx.commit().await?;
    tracing::debug!(workspace.id = %ws, message.id = %id, until = %at, "message waits");
    Ok(())
}
