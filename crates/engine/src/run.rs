//! Running one step of one enrolment. The step's effect, its log entry and
//! the job for the next step commit in one transaction; a job whose `seq`
//! is stale (the enrolment moved on: skip-wait, exit, retry) does nothing.

use crate::actions::{self, Outcome, StepError};
use crate::enrolment::{definition_of, exit, exits_on};
use crate::{EngineConfig, EngineResult, job_workspace};
use af_core::jobs::AutomationStep;
use af_core::vocab::{EnrollmentStatus, StepRunStatus};
use af_core::workflow::Action;
use af_core::{EnrollmentId, WorkspaceId};
use af_db::automations::{self as store, Enrollment, NewStepRun};
use af_db::{Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;

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

async fn run_step(
    db: &af_db::Db,
    cfg: &EngineConfig,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    attempt: i32,
    now: Ts,
) -> Result<(), StepFailure> {
    let workspace = af_db::workspaces::find_workspace(db, ws)
        .await?
        .ok_or(StepFailure::Fatal("workspace not found".into()))?;
    let mut tx = db.begin().await?;
    let Some(mut e) = store::claim_enrollment(&mut tx, ws, id, seq, now).await? else {
        return Ok(()); // stale job: the enrolment moved on
    };
    if e.status != EnrollmentStatus::Active && e.status != EnrollmentStatus::Waiting {
        return Ok(());
    }
    let Some(w) = store::find_workflow_tx(&mut tx, ws, e.workflow_id).await? else {
        return Ok(());
    };
    if w.status == "paused" && !e.test_mode {
        e.set_status(EnrollmentStatus::Paused);
        store::save_enrollment(&mut tx, &e, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let def = definition_of(&mut tx, &e).await?;
    let Some(step_id) = e.current_step.clone() else {
        advance(&mut tx, &mut e, None, now, now).await?;
        tx.commit().await?;
        return Ok(());
    };
    let step = def
        .step(&step_id)
        .ok_or_else(|| {
            StepFailure::Fatal(format!("step {step_id} is not in version {}", e.version))
        })?
        .clone();

    // Exit goals, checked before every step (the event may have been routed
    // while this job waited for a worker).
    let kinds: Vec<String> = def
        .exit_kinds()
        .iter()
        .filter_map(|k| k.event_kind())
        .collect();
    for (kind, data) in
        store::contact_events_since(&mut tx, ws, e.contact_id, &kinds, e.started_at).await?
    {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        if exits_on(&def, &kind, &data) {
            exit(&mut tx, e, &format!("goal: {kind}"), now).await?;
            tx.commit().await?;
            return Ok(());
        }
    }

    // A wait for an event (or a call's outcome) that timed out.
    if e.status == EnrollmentStatus::Waiting {
        let (next, outcome) = match &step.action {
            Action::WaitForEvent { on_timeout, .. } => {
                (def.branch_entry(&step_id, on_timeout), "timeout")
            }
            _ => (def.next_after(&step_id), "no_answer"),
        };
        e.wait_kind = None;
        e.wait_match = None;
        e.last_outcome = Some(outcome.into());
        log(
            &mut tx,
            &e,
            &step_id,
            step.action.type_name(),
            attempt,
            StepRunStatus::Done,
            Some(outcome),
            Some("timeout"),
            now,
        )
        .await?;
        advance(&mut tx, &mut e, next, now, now).await?;
        tx.commit().await?;
        return Ok(());
    }

    let result = actions::execute(&mut tx, cfg, &workspace, &def, &e, &step, now).await;
    let outcome = match result {
        Ok(o) => o,
        Err(StepError::Retry(m)) => return Err(StepFailure::Retry(m)),
        Err(StepError::Fatal(m)) => return Err(StepFailure::Fatal(m)),
    };
    let kind = step.action.type_name();
    match outcome {
        Outcome::Next { outcome, detail } => {
            log(
                &mut tx,
                &e,
                &step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                outcome.as_deref(),
                detail.as_deref(),
                now,
            )
            .await?;
            e.last_outcome = outcome;
            advance(&mut tx, &mut e, def.next_after(&step_id), now, now).await?;
        }
        Outcome::Skipped { reason } => {
            log(
                &mut tx,
                &e,
                &step_id,
                kind,
                attempt,
                StepRunStatus::Skipped,
                Some(StepRunStatus::Skipped.as_str()),
                Some(&reason),
                now,
            )
            .await?;
            e.last_outcome = Some(StepRunStatus::Skipped.as_str().into());
            advance(&mut tx, &mut e, def.next_after(&step_id), now, now).await?;
        }
        Outcome::Branch { entry, outcome } => {
            log(
                &mut tx,
                &e,
                &step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                Some(&outcome),
                None,
                now,
            )
            .await?;
            advance(&mut tx, &mut e, entry, now, now).await?;
        }
        Outcome::Wait { until, detail } => {
            log(
                &mut tx,
                &e,
                &step_id,
                kind,
                attempt,
                StepRunStatus::Done,
                None,
                Some(&detail),
                now,
            )
            .await?;
            advance(&mut tx, &mut e, def.next_after(&step_id), until, now).await?;
        }
        Outcome::WaitEvent {
            kind: wait_kind,
            wait,
            until,
            detail,
        } => {
            log(
                &mut tx,
                &e,
                &step_id,
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
            store::save_enrollment(&mut tx, &e, now).await?;
            store::enqueue_step(&mut tx, ws, e.id, e.seq, until, now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
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

/// Moves an enrolment to `next` at `run_at` (or completes it), bumping its
/// seq and enqueuing the step job in the same transaction.
pub(crate) async fn advance(
    tx: &mut Tx,
    e: &mut Enrollment,
    next: Option<String>,
    run_at: Ts,
    now: Ts,
) -> EngineResult<()> {
    e.seq += 1;
    e.wait_kind = None;
    e.wait_match = None;
    match next {
        Some(step) => {
            e.set_status(EnrollmentStatus::Active);
            e.current_step = Some(step);
            e.next_run_at = Some(run_at);
            store::save_enrollment(tx, e, now).await?;
            store::enqueue_step(tx, e.workspace_id, e.id, e.seq, run_at, now).await?;
        }
        None => {
            e.set_status(EnrollmentStatus::Completed);
            e.current_step = None;
            e.next_run_at = None;
            e.finished_at = Some(now);
            store::save_enrollment(tx, e, now).await?;
        }
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
    store::insert_alert(
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
