//! What a job kind does: the [`JobHandler`] trait, the [`Registry`] the
//! worker looks kinds up in, and the [`JobContext`] a handler runs with.
//!
//! Handlers return a boxed future rather than using `async fn` in the trait
//! so the registry can hold them as `dyn JobHandler`.

use crate::JobsError;
use af_core::jobs::JobPayload;
use af_core::{Clock, JobId};
use af_db::jobs::Job;
use af_db::{Db, DbError, Ts};
use futures::future::BoxFuture;
use jiff::SignedDuration;
use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How a job run failed, and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    /// Try again after the worker's backoff delay (dead-lettered once the
    /// job's attempts are used up).
    #[error("{0}")]
    Retry(String),
    /// Try again after this delay (a provider's `Retry-After`), still
    /// subject to `max_attempts`.
    #[error("{0} (retry after {1:?})")]
    RetryAfter(String, SignedDuration),
    /// Never retry: dead-letter now (bad payload, the record is gone).
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    /// A retryable failure from any error (its full `{:#}` chain).
    pub fn retry(e: impl std::fmt::Display) -> Self {
        JobError::Retry(format!("{e:#}"))
    }

    /// A permanent failure from any error.
    pub fn permanent(e: impl std::fmt::Display) -> Self {
        JobError::Permanent(format!("{e:#}"))
    }

    /// The message recorded as the job's `last_error`.
    pub fn message(&self) -> &str {
        match self {
            JobError::Retry(m) | JobError::RetryAfter(m, _) | JobError::Permanent(m) => m,
        }
    }
}

/// Database trouble is usually transient: retry.
impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::retry(e)
    }
}

/// `anyhow` errors from handler code are retried; use
/// [`JobError::Permanent`] explicitly for the hopeless ones.
impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::retry(e)
    }
}

/// What a handler runs with. Cheap to clone.
#[derive(Clone)]
pub struct JobContext {
    /// The database, for the handler's own (short) transactions.
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// The worker running the job (the lease holder).
    pub worker_id: Arc<str>,
    /// The job being run.
    pub job_id: JobId,
    lease: SignedDuration,
    shutdown: CancellationToken,
}

impl std::fmt::Debug for JobContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobContext")
            .field("worker_id", &self.worker_id)
            .field("job_id", &self.job_id)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl JobContext {
    /// A context for running a handler directly (tests of handlers).
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        worker_id: &str,
        job_id: JobId,
        lease: SignedDuration,
    ) -> Self {
        Self {
            db,
            clock,
            worker_id: Arc::from(worker_id),
            job_id,
            lease,
            shutdown: CancellationToken::new(),
        }
    }

    pub(crate) fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The injected clock's now, as stored.
    pub fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    /// Extends the lease to now plus the worker's lease length. The worker
    /// already heartbeats while the handler runs; call this only around a
    /// single step longer than the heartbeat period that blocks the
    /// runtime. `false` means the lease was lost (the job was rescued and may
    /// run elsewhere): stop without side effects.
    pub async fn extend_lease(&self) -> Result<bool, DbError> {
        self.extend_lease_by(self.lease).await
    }

    /// Extends the lease to now plus `by`.
    pub async fn extend_lease_by(&self, by: SignedDuration) -> Result<bool, DbError> {
        let until = Ts::new(
            self.clock
                .now()
                .saturating_add(by)
                .unwrap_or_else(|_| self.clock.now()),
        );
        af_db::jobs::extend_lease(&self.db, self.job_id, &self.worker_id, until).await
    }

    /// A key stable across every run of this job (`af-job-{id}`), for
    /// providers that take an idempotency key, so a re-run after a crash
    /// does not send twice. Prefer a domain key (a message id) when the
    /// effect has one.
    pub fn idempotency_key(&self) -> String {
        format!("af-job-{}", self.job_id)
    }

    /// Cancelled when the worker is shutting down. A long handler may watch
    /// it and return [`JobError::Retry`] early instead of being released at
    /// the deadline.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }
}

/// The code for one job kind.
pub trait JobHandler: Send + Sync + 'static {
    /// The `jobs.kind` this handler runs (by convention `verb_noun`, e.g.
    /// `send_email`).
    fn kind(&self) -> &'static str;

    /// Runs one job. Must be idempotent: a job can run again after a crash.
    /// Never hold a transaction open across network calls.
    fn run<'a>(&'a self, ctx: &'a JobContext, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>>;
}

/// A [`JobHandler`] made from a closure over the raw row; see
/// [`handler_fn`].
pub struct FnHandler<F> {
    kind: &'static str,
    f: F,
}

/// Wraps `f(ctx, job)` as a handler for `kind`. The closure gets owned
/// clones, so it can return an `async move` block. For kinds of the
/// catalogue (`af_core::jobs`) use [`typed_handler`], which parses the
/// payload; this is for kinds only tests know.
pub fn handler_fn<F, Fut>(kind: &'static str, f: F) -> FnHandler<F>
where
    F: Fn(JobContext, Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    FnHandler { kind, f }
}

impl<F, Fut> JobHandler for FnHandler<F>
where
    F: Fn(JobContext, Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn run<'a>(&'a self, ctx: &'a JobContext, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin((self.f)(ctx.clone(), job.clone()))
    }
}

/// A [`JobHandler`] for the payload type `P`; see [`typed_handler`].
pub struct TypedHandler<P, F> {
    f: F,
    // `fn() -> P`: the handler makes `P`s, it does not own one, so it is
    // `Send + Sync` whatever `P` is.
    payload: PhantomData<fn() -> P>,
}

/// Wraps `f(ctx, job, payload)` as the handler of `P::KIND`: the job's
/// payload is parsed into `P` before `f` runs, and one that does not parse
/// is dead-lettered at once ([`JobError::Permanent`]) — no run would ever
/// parse it. `job` is the row, for what the payload does not carry (the
/// workspace, attempts).
pub fn typed_handler<P, F, Fut>(f: F) -> TypedHandler<P, F>
where
    P: JobPayload,
    F: Fn(JobContext, Job, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    TypedHandler {
        f,
        payload: PhantomData,
    }
}

/// The payload of `job` as `P`, or the permanent failure of a payload no
/// run will ever parse. The message names the kind and what is wrong, not
/// the payload (it may carry personal data).
pub fn parse_payload<P: JobPayload>(job: &Job) -> Result<P, JobError> {
    serde_json::from_str(&job.payload)
        .map_err(|e| JobError::Permanent(format!("invalid {} payload: {e}", P::KIND)))
}

impl<P, F, Fut> JobHandler for TypedHandler<P, F>
where
    P: JobPayload,
    F: Fn(JobContext, Job, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn kind(&self) -> &'static str {
        P::KIND
    }

    fn run<'a>(&'a self, ctx: &'a JobContext, job: &'a Job) -> BoxFuture<'a, Result<(), JobError>> {
        match parse_payload::<P>(job) {
            Ok(payload) => Box::pin((self.f)(ctx.clone(), job.clone(), payload)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        }
    }
}

/// The handlers a worker knows, by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.kinds()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a handler. Two handlers for one kind is a wiring mistake,
    /// reported rather than silently replacing the first.
    pub fn register(&mut self, handler: impl JobHandler) -> Result<(), JobsError> {
        let kind = handler.kind();
        if self.handlers.contains_key(kind) {
            return Err(JobsError::DuplicateKind(kind));
        }
        self.handlers.insert(kind, Arc::new(handler));
        Ok(())
    }

    /// Builder form of [`Registry::register`].
    pub fn with(mut self, handler: impl JobHandler) -> Result<Self, JobsError> {
        self.register(handler)?;
        Ok(self)
    }

    /// The handler for `kind`.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::jobs::{AutomationStep, SendMessage};
    use af_core::{EnrollmentId, MessageId};
    use jiff::Timestamp;

    fn job(kind: &str, payload: &str) -> Job {
        let t = Ts::new(Timestamp::UNIX_EPOCH);
        Job {
            id: JobId::new(),
            workspace_id: None,
            kind: kind.into(),
            payload: payload.into(),
            priority: 100,
            state: "running".into(),
            run_at: t,
            attempts: 1,
            max_attempts: 10,
            dedupe_key: None,
            locked_by: None,
            locked_until: None,
            last_error: None,
            created_at: t,
            updated_at: t,
            finished_at: None,
            started_at: Some(t),
        }
    }

    #[test]
    fn a_stored_payload_parses_into_its_type() {
        let id = EnrollmentId::new();
        let p: AutomationStep = parse_payload(&job(
            AutomationStep::KIND,
            &format!(r#"{{"enrollment_id":"{id}","seq":4}}"#),
        ))
        .expect("parses");
        assert_eq!(
            p,
            AutomationStep {
                enrollment_id: id,
                seq: 4
            }
        );
    }

    #[test]
    fn a_bad_payload_is_a_permanent_failure_naming_the_kind() {
        for bad in [
            "{}",
            r#"{"message_id": 7}"#,
            r#"{"message_id": "not-a-uuid"}"#,
            "not json",
        ] {
            let e =
                parse_payload::<SendMessage>(&job(SendMessage::KIND, bad)).expect_err("refused");
            match e {
                JobError::Permanent(m) => {
                    assert!(m.starts_with("invalid send_message payload: "), "{m}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        let fine = format!(r#"{{"message_id":"{}"}}"#, MessageId::new());
        assert!(parse_payload::<SendMessage>(&job(SendMessage::KIND, &fine)).is_ok());
    }

    #[test]
    fn a_typed_handler_runs_the_kind_of_its_payload() {
        let h = typed_handler(|_, _, _: SendMessage| async { Ok(()) });
        assert_eq!(h.kind(), "send_message");
    }
}
