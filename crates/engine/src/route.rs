//! Routing one domain event: exit goals first (so a lead that books stops
//! its follow-up before anything else happens), then waits that this event
//! ends, then new enrolments. One transaction per event; re-running the job
//! after a crash changes nothing twice (an event enrols a contact at most
//! once per workflow, by a unique index).

use crate::enrolment::{
    WaitMatch, definition_of, enrol, exit, exit_reason, exits_on, parse_stored,
};
use crate::{EngineConfig, EngineResult, job_workspace};
use af_core::jobs::AutomationRoute;
use af_core::vocab::{EnrollmentStatus, EventKind, StepRunStatus};
use af_core::workflow::{Definition, TriggerKind};
use af_core::{ContactId, WorkflowId, WorkspaceId};
use af_db::automations::{self as store, Enrollment};
use af_db::events::Event;
use af_db::{Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use futures::FutureExt;
use jiff::SignedDuration;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::AssertUnwindSafe;

/// The `automation_route` job (queued by older versions only).
pub(crate) async fn route_job(
    ctx: &JobContext,
    _cfg: &EngineConfig,
    job: &Job,
    p: AutomationRoute,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    route_event(&ctx.db, ws, p.event_id.0, ctx.now())
        .await
        .map_err(JobError::retry)
}

/// The contact an event is about: its entity, or `data.contact_id`.
pub fn contact_of(e: &Event, data: &serde_json::Value) -> Option<ContactId> {
    if e.entity_type == "contact" {
        return e.entity_id.as_deref().and_then(|s| s.parse().ok());
    }
    data.get("contact_id")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
}

pub async fn route_event(
    db: &af_db::Db,
    ws: WorkspaceId,
    event_id: uuid::Uuid,
    now: Ts,
) -> EngineResult<()> {
    // Workflows that failed on this event (invalid stored definition, or a
    // panic): routing starts over without them — their partial writes
    // rolled back with the transaction — so one bad workflow never stops
    // the others. Each is reported as an alert of its own.
    let mut poisoned: BTreeMap<WorkflowId, String> = BTreeMap::new();
    loop {
        let mut tx = db.begin().await?;
        match route_in(&mut tx, ws, event_id, now, &poisoned).await? {
            Routed::Done(started, kind) => {
                for (wf, why) in &poisoned {
                    alert_poisoned(&mut tx, ws, *wf, why, now).await?;
                }
                tx.commit().await?;
                if started > 0 {
                    tracing::debug!(workspace.id = %ws, started, kind = %kind, "enrolled from event");
                }
                return Ok(());
            }
            Routed::Poisoned(wf, why) => {
                drop(tx);
                tracing::warn!(workspace.id = %ws, workflow.id = %wf, error = %why, "workflow skipped while routing an event");
                poisoned.insert(wf, why);
            }
        }
    }
}

enum Routed {
    /// (enrolments started, event kind)
    Done(usize, String),
    /// This workflow failed; start over without it.
    Poisoned(WorkflowId, String),
}

async fn route_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    event_id: uuid::Uuid,
    now: Ts,
    skip: &BTreeMap<WorkflowId, String>,
) -> EngineResult<Routed> {
    let Some(event) = af_db::events::find_event_tx(tx, ws, event_id).await? else {
        return Ok(Routed::Done(0, String::new()));
    };
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
    let Some(contact) = contact_of(&event, &data) else {
        return Ok(Routed::Done(0, event.kind));
    };
    if store::find_contact_tx(tx, ws, contact).await?.is_none() {
        return Ok(Routed::Done(0, event.kind));
    }
    let mut roles: BTreeMap<WorkflowId, BTreeSet<String>> = BTreeMap::new();
    for l in store::listeners_of(tx, ws, &event.kind).await? {
        if !skip.contains_key(&l.workflow_id) {
            roles.entry(l.workflow_id).or_default().insert(l.role);
        }
    }
    let mut started = 0;
    for (wf, roles) in roles {
        let one = AssertUnwindSafe(route_to_workflow(
            &mut *tx, ws, wf, &roles, contact, &event, &data, now,
        ))
        .catch_unwind()
        .await;
        match one {
            Ok(Ok(true)) => started += 1,
            Ok(Ok(false)) => {}
            Ok(Err(crate::EngineError::Db(e))) => return Err(e.into()),
            Ok(Err(e)) => return Ok(Routed::Poisoned(wf, e.to_string())),
            Err(panic) => {
                let why = format!("panicked: {}", crate::run::panic_text(&panic));
                return Ok(Routed::Poisoned(wf, why));
            }
        }
    }
    Ok(Routed::Done(started, event.kind))
}

/// What one workflow does with the event: exit, resume a wait, enrol.
/// `Ok(true)` when it enrolled the contact.
#[allow(clippy::too_many_arguments)]
async fn route_to_workflow(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    roles: &BTreeSet<String>,
    contact: ContactId,
    event: &Event,
    data: &serde_json::Value,
    now: Ts,
) -> EngineResult<bool> {
    if (roles.contains("exit") || roles.contains("wait") || roles.contains("follow"))
        && let Some(e) = store::live_enrollment(tx, ws, wf, contact).await?
    {
        let def = definition_of(tx, &e).await?;
        if roles.contains("exit") && exits_on(&def, &event.kind, data) {
            exit(tx, e, &exit_reason(&event.kind), now).await?;
            return Ok(false);
        }
        if roles.contains("follow") && event.kind == EventKind::AppointmentRescheduled.as_str() {
            follow_appointment(tx, e, &def, data, now).await?;
            return Ok(false);
        }
        if roles.contains("wait") && e.status == EnrollmentStatus::Waiting {
            resume_if_matches(tx, e, &def, &event.kind, data, now).await?;
        }
    }
    Ok(
        roles.contains("trigger")
            && enrol_from_event(tx, ws, wf, contact, event, data, now).await?,
    )
}

/// An appointment-relative enrolment whose appointment moved: while its
/// first step still waits for its moment, the step moves with the start
/// (a new seq, so the old step job is stale) and the merge fields see the
/// new time; a moment that is now past ends the enrolment instead of
/// sending late. Enrolments started by another appointment, or already
/// under way, are left alone.
async fn follow_appointment(
    tx: &mut Tx,
    mut e: Enrollment,
    def: &Definition,
    data: &serde_json::Value,
    now: Ts,
) -> EngineResult<()> {
    let TriggerKind::AppointmentRelative { offset_minutes } = def.trigger.kind else {
        return Ok(());
    };
    let mut context: serde_json::Value = serde_json::from_str(&e.context).unwrap_or_default();
    let same = context["event"]["appointment_id"].as_str().is_some()
        && context["event"]["appointment_id"] == data["appointment_id"];
    let waiting = e.status == EnrollmentStatus::Active.as_str()
        && e.current_step.as_deref() == def.first_step()
        && e.next_run_at.is_some_and(|t| t > now);
    if !same || !waiting {
        return Ok(());
    }
    let Some(start) = data["start"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    else {
        return Ok(());
    };
    let Some(at) = offset_minutes
        .checked_mul(60)
        .and_then(|secs| start.checked_add(SignedDuration::from_secs(secs)).ok())
    else {
        return Ok(());
    };
    context["event"]["start"] = data["start"].clone();
    context["event"]["end"] = data["end"].clone();
    store::set_enrollment_context(tx, e.workspace_id, e.id, &context, now).await?;
    if at <= now.0 {
        return exit(tx, e, "appointment moved: its moment has passed", now).await;
    }
    e.seq += 1;
    e.next_run_at = Some(Ts::new(at));
    store::save_enrollment(tx, &e, now).await?;
    store::enqueue_step(tx, e.workspace_id, e.id, e.seq, Ts::new(at), now).await?;
    Ok(())
}

/// Raises one open alert per broken workflow (not one per event).
async fn alert_poisoned(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    why: &str,
    now: Ts,
) -> EngineResult<()> {
    const KIND: &str = "workflow_invalid";
    if store::has_open_alert(tx, ws, wf, KIND).await? {
        return Ok(());
    }
    let name = store::find_workflow_tx(tx, ws, wf)
        .await?
        .map(|w| w.name)
        .unwrap_or_default();
    crate::notify::raise_alert(
        tx,
        ws,
        Some(wf),
        None,
        KIND,
        &format!("{name}: could not run on an event and was skipped: {why}"),
        now,
    )
    .await?;
    Ok(())
}

async fn resume_if_matches(
    tx: &mut Tx,
    mut e: Enrollment,
    def: &Definition,
    kind: &str,
    data: &serde_json::Value,
    now: Ts,
) -> EngineResult<()> {
    let Some(m) = e
        .wait_match
        .as_deref()
        .and_then(|t| serde_json::from_str::<WaitMatch>(t).ok())
    else {
        return Ok(());
    };
    if !m.trigger.matches(kind, data) {
        return Ok(());
    }
    if let Some(id) = &m.message_id
        && data.get("message_id").and_then(|v| v.as_str()) != Some(id)
    {
        return Ok(());
    }
    let Some(step_id) = e.current_step.clone() else {
        return Ok(());
    };
    let Some(step) = def.step(&step_id) else {
        return Ok(());
    };
    let (next, outcome) = match &step.action {
        af_core::workflow::Action::WaitForEvent { on_event, .. } => {
            (def.branch_entry(&step_id, on_event), "event".to_string())
        }
        _ => (
            def.next_after(&step_id),
            data.get("outcome")
                .and_then(|v| v.as_str())
                .unwrap_or("answered")
                .to_string(),
        ),
    };
    e.seq += 1;
    e.wait_kind = None;
    e.wait_match = None;
    e.last_outcome = Some(outcome.clone());
    store::insert_step_run(
        tx,
        &store::NewStepRun {
            enrollment: &e,
            step_id: &step_id,
            step_type: step.action.type_name(),
            attempt: 1,
            status: StepRunStatus::Done,
            outcome: Some(&outcome),
            detail: Some(kind),
            error: None,
        },
        now,
    )
    .await?;
    crate::run::advance(tx, &mut e, next, now, now).await
}

/// Starts an enrolment when the trigger's parameters, filter and re-entry
/// rule allow it.
async fn enrol_from_event(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    contact: ContactId,
    event: &Event,
    data: &serde_json::Value,
    now: Ts,
) -> EngineResult<bool> {
    let Some(w) = store::find_workflow_tx(tx, ws, wf).await? else {
        return Ok(false);
    };
    if w.status != "active" {
        return Ok(false);
    }
    let def = parse_stored(&w.definition)?;
    if !def.trigger.kind.matches(&event.kind, data) {
        return Ok(false);
    }
    let run_at = match &def.trigger.kind {
        TriggerKind::AppointmentRelative { offset_minutes } => {
            let Some(start) = data
                .get("start")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            else {
                return Ok(false);
            };
            let Some(at) = offset_minutes
                .checked_mul(60)
                .and_then(|secs| start.checked_add(SignedDuration::from_secs(secs)).ok())
            else {
                return Ok(false);
            };
            if at < now.0 {
                // The moment already passed (booked less than the offset ahead).
                return Ok(false);
            }
            Ts::new(at)
        }
        _ => now,
    };
    let context = serde_json::json!({ "event": data, "event_kind": event.kind });
    enrol(
        tx,
        ws,
        &w,
        &def,
        contact,
        Some(event.id),
        &context,
        false,
        run_at,
        now,
    )
    .await
}
