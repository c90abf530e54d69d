//! Running the steps of one enrolment. A step's effect, its log entry and
//! the job for the next step commit in one transaction; a job whose `seq`
//! is stale (the enrolment moved on: skip-wait, exit, retry) does nothing.
//!
//! Consecutive instant steps (tags, fields, stage moves, score — see
//! [`Action::is_instant`]) run in the transaction of the step before them,
//! without a job between them, up to [`CHAIN_CAP`] steps per job so a long
//! run cannot hold the write lock. Each keeps its own log entry, events,
//! `seq` and exit-goal check, as if it had had a job of its own.

use crate::actions::{self, Outcome, StepError};
use crate::enrolment::{definition_of, exit, exits_on};
use crate::{EngineConfig, EngineResult, job_workspace};
use af_core::jobs::AutomationStep;
use af_core::vocab::{EnrollmentStatus, StepRunStatus};
use af_core::workflow::{Action, Definition, Step};
use af_core::{EnrollmentId, WorkspaceId};
use af_db::automations::{self as store, ClaimedStep, Enrollment, NewStepRun};
use af_db::workspaces::Workspace;
use af_db::{Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

/// Most steps one step job runs (its own and the instant ones after it).
pub const CHAIN_CAP: usize = 20;

/// The `automation_step` job.
pub(crate) async fn step_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    p: AutomationStep,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let AutomationStep {
        enrollment_id: id,
        seq,
    } = p;
    let attempt = job.attempts.max(1);
    let last_attempt = job.attempts >= job.max_attempts;
    // A panic in a step (a definition the checks let through, a bug) is a
    // failure of this enrolment's step like any other: retried, then the
    // enrolment fails with an alert. It never takes the worker or other
    // workflows down.
    let run = AssertUnwindSafe(run_step(&ctx.db, cfg, ws, id, seq, attempt, ctx.now()))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err(StepFailure::Retry(format!(
                "panicked: {}",
                panic_text(&panic)
            )))
        });
    match run {
        Ok(()) => Ok(()),
        Err(StepFailure::Retry(msg)) if !last_attempt => Err(JobError::Retry(msg)),
        Err(StepFailure::Retry(msg)) | Err(StepFailure::Fatal(msg)) => {
            fail(&ctx.db, ws, id, seq, attempt, &msg, ctx.now())
                .await
                .map_err(JobError::retry)?;
            Ok(())
        }
    }
}

/// The message of a caught panic.
pub(crate) fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

enum StepFailure {
    Retry(String),
    Fatal(String),
}

impl From<crate::EngineError> for StepFailure {
    fn from(e: crate::EngineError) -> Self {
        match e {
            crate::EngineError::Db(d) => StepFailure::Retry(d.to_string()),
            other => StepFailure::Fatal(other.to_string()),
        }
    }
}

impl From<af_db::DbError> for StepFailure {
    fn from(e: af_db::DbError) -> Self {
        StepFailure::Retry(e.to_string())
    }
}

impl From<StepError> for StepFailure {
    fn from(e: StepError) -> Self {
        match e {
            StepError::Retry(m) => StepFailure::Retry(m),
            StepError::Fatal(m) => StepFailure::Fatal(m),
        }
    }
}

/// A run that stopped at its `ran`-th step (0: the job's own step) and
/// rolled back.
struct Halt {
    ran: usize,
    failure: StepFailure,
}

/// The job's step and the instant ones after it. When a chained step
/// fails, the transaction (which holds all of them) rolls back and runs
/// again up to the step before it, which then gets a job of its own, as
/// it would have had without chaining: retried with its own attempts, and
/// failing the enrolment at that step — the steps before it stay done.
async fn run_step(
    db: &af_db::Db,
    cfg: &EngineConfig,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    attempt: i32,
    now: Ts,
) -> Result<(), StepFailure> {
    let mut cap = CHAIN_CAP;
    loop {
        match run_chain(db, cfg, ws, id, seq, attempt, now, cap).await {
            Ok(()) => return Ok(()),
            Err(Halt { ran: 0, failure }) => return Err(failure),
            Err(Halt { ran, failure }) => {
                let why = match &failure {
                    StepFailure::Retry(m) | StepFailure::Fatal(m) => m.clone(),
                };
                tracing::debug!(workspace.id = %ws, enrollment.id = %id, ran, error = %why,
                    "a chained step failed; the steps before it run again and it gets a job");
                cap = ran;
            }
        }
    }
}

/// Where a step sends the enrolment.
enum Next {
    /// To `step` (or completion) at `at`.
    Step { step: Option<String>, at: Ts },
    /// It waits for an event (state already set on the enrolment).
    Waiting { until: Ts },
}

#[expect(clippy::too_many_arguments, reason = "the job's whole context")]
async fn run_chain(
    db: &af_db::Db,
    cfg: &EngineConfig,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    attempt: i32,
    now: Ts,
    cap: usize,
) -> Result<(), Halt> {
    let at = |ran: usize| move |f: StepFailure| Halt { ran, failure: f };
    let mut tx = db.begin().await.map_err(|e| at(0)(e.into()))?;
    let Some(claimed) = store::claim_step(&mut tx, ws, id, seq, now)
        .await
        .map_err(|e| at(0)(e.into()))?
    else {
        return Ok(()); // stale job: the enrolment moved on
    };
    let ClaimedStep {
        enrollment: mut e,
        workflow_status,
        workspace,
    } = claimed;
    if e.status != EnrollmentStatus::Active && e.status != EnrollmentStatus::Waiting {
        return Ok(());
    }
    let Some(workflow_status) = workflow_status else {
        return Ok(());
    };
    if workflow_status == "paused" && !e.test_mode {
        e.set_status(EnrollmentStatus::Paused);
        store::save_enrollment(&mut tx, &e, now)
            .await
            .map_err(|e| at(0)(e.into()))?;
        tx.commit().await.map_err(|e| at(0)(e.into()))?;
        return Ok(());
    }
    let def = definition_of(&mut tx, &e)
        .await
        .map_err(|e| at(0)(e.into()))?;
    let goal_kinds: Vec<String> = def
        .exit_kinds()
        .iter()
        .filter_map(|k| k.event_kind())
        .collect();

    let mut ran = 0;
    loop {
        let Some(step_id) = e.current_step.clone() else {
            // Nothing left (a version without the step): complete.
            advance(&mut tx, &mut e, None, now, now)
                .await
                .map_err(|e| at(ran)(e.into()))?;
            break;
        };
        // The job's own step runs at the job's attempt; a chained step is
        // the first attempt of its own.
        let this_attempt = if ran == 0 { attempt } else { 1 };
        let one = AssertUnwindSafe(one_step(
            &mut tx,
            cfg,
            &workspace,
            &def,
            &goal_kinds,
            &mut e,
            &step_id,
            this_attempt,
            now,
        ))
        .catch_unwind()
        .await
        .unwrap_or_else(|panic| {
            Err(StepFailure::Retry(format!(
                "panicked: {}",
                panic_text(&panic)
            )))
        })
        .map_err(at(ran))?;
        ran += 1;
        match one {
            None => break, // exited on a goal
            Some(Next::Waiting { until }) => {
                store::save_enrollment(&mut tx, &e, now)
                    .await
                    .map_err(|e| at(0)(e.into()))?;
                store::enqueue_step(&mut tx, ws, e.id, e.seq, until, now)
                    .await
                    .map_err(|e| at(0)(e.into()))?;
                break;
            }
            Some(Next::Step { step, at: run_at }) => {
                let chained = run_at == now
                    && ran < cap
                    && step
                        .as_deref()
                        .and_then(|s| def.step(s))
                        .is_some_and(|s| s.action.is_instant());
                if chained {
                    move_on(&mut e, step, run_at);
                } else {
                    advance(&mut tx, &mut e, step, run_at, now)
                        .await
                        .map_err(|e| at(0)(e.into()))?;
                    break;
                }
            }
        }
    }
    tx.commit().await.map_err(|e| at(0)(e.into()))?;
    Ok(())
}

/// One step of the enrolment `e` (its `current_step`, `step_id`): exit
/// goals first, then a timed-out wait or the step's action, logged. The
/// enrolment is changed in memory only, but for an exit (`None`), which
/// writes it.
#[expect(clippy::too_many_arguments, reason = "the step's whole context")]
async fn one_step(
    tx: &mut Tx,
    cfg: &EngineConfig,
    workspace: &Workspace,
    def: &Definition,
    goal_kinds: &[String],
    e: &mut Enrollment,
    step_id: &str,
    attempt: i32,
    now: Ts,
) -> Result<Option<Next>, StepFailure> {
    let step: &Step = def.step(step_id).ok_or_else(|| {
        StepFailure::Fatal(format!("step {step_id} is not in version {}", e.version))
    })?;
    let ws = e.workspace_id;
    // The contact, and whether an event of a goal's kind happened since
    // the enrolment started: one read. Goals are checked before every step
    // (the event may have been routed while this job waited for a worker,
    // or written by the step before this one).
    let (contact, noted) =
        af_db::contacts::find_contact_noting_events(tx, ws, e.contact_id, goal_kinds, e.started_at)
            .await?
            .ok_or(StepFailure::Fatal("contact not found".into()))?;
    if noted && let Some(kind) = goal_met(tx, def, e, goal_kinds).await? {
        exit(tx, e.clone(), &crate::enrolment::exit_reason(&kind), now).await?;
        return Ok(None);
    }

    // A wait for an event (or a call's outcome) that timed out.
    if e.status == EnrollmentStatus::Waiting {
        let (next, outcome) = match &step.action {
            Action::WaitForEvent { on_timeout, .. } => {
                (def.branch_entry(step_id, on_timeout), "timeout")
            }
            _ => (def.next_after(step_id), "no_answer"),
        };
        e.wait_kind = None;
        e.wait_match = None;
        e.last_outcome = Some(outcome.into());
        let kind = step.action.type_name();
        log(
            tx,
            e,
            step_id,
            kind,
            attempt,
            StepRunStatus::Done,
            Some(outcome),
            Some("timeout"),
            now,
        )
        .await?;
        return Ok(Some(Next::Step {
            step: next,
            at: now,
        }));
    }

    let outcome = actions::execute(tx, cfg, workspace, def, e, &contact, step, now).await?;
    let kind = step.action.type_name();
    Ok(Some(match outcome {
        Outcome::Next { outcome, detail } => {
            log(
                tx,
                e,
                step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                outcome.as_deref(),
                detail.as_deref(),
                now,
            )
            .await?;
            e.last_outcome = outcome;
            Next::Step {
                step: def.next_after(step_id),
                at: now,
            }
        }
        Outcome::Skipped { reason } => {
            let skipped = StepRunStatus::Skipped.as_str();
            log(
                tx,
                e,
                step_id,
                kind,
                attempt,
                StepRunStatus::Skipped,
                Some(skipped),
                Some(&reason),
                now,
            )
            .await?;
            e.last_outcome = Some(skipped.into());
            Next::Step {
                step: def.next_after(step_id),
                at: now,
            }
        }
        Outcome::Branch { entry, outcome } => {
            log(
                tx,
                e,
                step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                Some(&outcome),
                None,
                now,
            )
            .await?;
            Next::Step {
                step: entry,
                at: now,
            }
        }
        Outcome::Wait { until, detail } => {
            log(
                tx,
                e,
                step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                None,
                Some(&detail),
                now,
            )
            .await?;
            Next::Step {
                step: def.next_after(step_id),
                at: until,
            }
        }
        Outcome::WaitEvent {
            kind: wait_kind,
            wait,
            until,
            detail,
        } => {
            log(
                tx,
                e,
                step_id,
                kind,
                attempt,
                StepRunStatus::Waiting,
                None,
                Some(&detail),
                now,
            )
            .await?;
            e.set_status(EnrollmentStatus::Waiting);
            e.seq += 1;
            e.wait_kind = Some(wait_kind);
            e.wait_match = Some(serde_json::to_string(&wait).unwrap_or_default());
            e.next_run_at = Some(until);
            Next::Waiting { until }
        }
    }))
}

/// The first goal event (oldest first) that ends the enrolment, if any.
async fn goal_met(
    tx: &mut Tx,
    def: &Definition,
    e: &Enrollment,
    goal_kinds: &[String],
) -> EngineResult<Option<String>> {
    for (kind, data) in
        store::contact_events_since(tx, e.workspace_id, e.contact_id, goal_kinds, e.started_at)
            .await?
    {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        if exits_on(def, &kind, &data) {
            return Ok(Some(kind));
        }
    }
    Ok(None)
}

#[expect(clippy::too_many_arguments, reason = "a log line has many columns")]
async fn log(
    tx: &mut Tx,
    e: &Enrollment,
    step_id: &str,
    step_type: &str,
    attempt: i32,
    status: StepRunStatus,
    outcome: Option<&str>,
    detail: Option<&str>,
    now: Ts,
) -> EngineResult<()> {
    store::insert_step_run(
        tx,
        &NewStepRun {
            enrollment: e,
            step_id,
            step_type,
            attempt,
            status,
            outcome,
            detail,
            error: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Moves an enrolment to `next` at `run_at` in memory: its seq is bumped
/// as if a job had been enqueued for the step (what [`advance`] writes).
fn move_on(e: &mut Enrollment, next: Option<String>, run_at: Ts) -> bool {
    e.seq += 1;
    e.wait_kind = None;
    e.wait_match = None;
    match next {
        Some(step) => {
            e.set_status(EnrollmentStatus::Active);
            e.current_step = Some(step);
            e.next_run_at = Some(run_at);
            true
        }
        None => {
            e.set_status(EnrollmentStatus::Completed);
            e.current_step = None;
            e.next_run_at = None;
            false
        }
    }
}

/// Moves an enrolment to `next` at `run_at` (or completes it), bumping its
/// seq and enqueuing the step job in the same transaction.
pub(crate) async fn advance(
    tx: &mut Tx,
    e: &mut Enrollment,
    next: Option<String>,
    run_at: Ts,
    now: Ts,
) -> EngineResult<()> {
    let scheduled = move_on(e, next, run_at);
    if !scheduled {
        e.finished_at = Some(now);
    }
    store::save_enrollment(tx, e, now).await?;
    if scheduled {
        store::enqueue_step(tx, e.workspace_id, e.id, e.seq, run_at, now).await?;
    }
    Ok(())
}
/// The step failed for good: the enrolment is marked failed at that step
/// (retryable from the UI/API), the error is logged and an alert raised.
async fn fail(
    db: &af_db::Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    attempt: i32,
    error: &str,
    now: Ts,
) -> EngineResult<()> {
    let mut tx = db.begin().await?;
    let Some(mut e) = store::claim_enrollment(&mut tx, ws, id, seq, now).await? else {
        return Ok(());
    };
    let step_id = e.current_step.clone().unwrap_or_default();
    let step_type = match definition_of(&mut tx, &e).await {
        Ok(def) => def
            .step(&step_id)
            .map(|s| s.action.type_name())
            .unwrap_or("unknown"),
        Err(_) => "unknown",
    };
    e.set_status(EnrollmentStatus::Failed);
    e.seq += 1;
    e.next_run_at = None;
    e.finished_at = Some(now);
    store::save_enrollment(&mut tx, &e, now).await?;
    store::insert_step_run(
        &mut tx,
        &NewStepRun {
            enrollment: &e,
            step_id: &step_id,
            step_type,
            attempt,
            status: StepRunStatus::Failed,
            outcome: None,
            detail: None,
            error: Some(error),
        },
        now,
    )
    .await?;
    let w = store::find_workflow_tx(&mut tx, ws, e.workflow_id).await?;
    let name = w.map(|w| w.name).unwrap_or_default();
    crate::notify::raise_alert(
        &mut tx,
        ws,
        Some(e.workflow_id),
        Some(e.id),
        "step_failed",
        &format!("{name}: step {step_id} ({step_type}) failed: {error}"),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(workspace.id = %ws, enrollment.id = %id, step = %step_id, error, "workflow step failed");
    Ok(())
}
