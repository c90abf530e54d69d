//! What people (through the UI or the API) do with workflows: save with
//! validation of shape and references, pause and resume, enrol a contact in
//! test mode, skip a wait, retry failures, end an enrolment, move running
//! enrolments to the latest version, post a custom event.

use crate::{Conflict, EngineError, EngineResult};
use af_core::vocab::EnrollmentStatus;
use af_core::workflow::{Definition, References};
use af_core::{Actor, ContactId, EnrollmentId, WorkflowId, WorkspaceId};
use af_db::automations::{self as store, Enrollment, WorkflowWrite};
use af_db::{Db, Ts, Tx};

/// A saved workflow.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub id: WorkflowId,
    pub version: i32,
}

/// Parses, validates and saves a definition: a new workflow when `id` is
/// `None`, else a new version of it. Nothing is written when invalid.
pub async fn save_workflow(
    db: &Db,
    ws: WorkspaceId,
    id: Option<WorkflowId>,
    json: &serde_json::Value,
    template_key: Option<&str>,
    ssrf: af_channels::ssrf::SsrfPolicy,
    now: Ts,
) -> EngineResult<Saved> {
    let def = Definition::parse(json).map_err(EngineError::Invalid)?;
    let unsafe_urls = webhook_url_problems(&def, ssrf);
    if !unsafe_urls.is_empty() {
        return Err(EngineError::Invalid(unsafe_urls));
    }
    let mut tx = db.begin().await?;
    let errors = check_references(&mut tx, ws, id, &def.references()).await?;
    if !errors.is_empty() {
        return Err(EngineError::Invalid(errors));
    }
    let stored =
        serde_json::to_value(&def).map_err(|e| EngineError::Invalid(vec![e.to_string()]))?;
    let listens = def.listened_kinds();
    let write = WorkflowWrite {
        name: def.name.trim(),
        trigger_type: def.trigger.kind.type_name(),
        status: if def.active { "active" } else { "paused" },
        definition: &stored,
        listens: &listens,
        template_key,
    };
    let saved = match id {
        None => Saved {
            id: store::insert_workflow(&mut tx, ws, &write, now).await?,
            version: 1,
        },
        Some(id) => {
            let version = match store::update_workflow(&mut tx, ws, id, &write, now).await {
                Err(af_db::DbError::NotFound(_)) => return Err(EngineError::NotFound("workflow")),
                other => other?,
            };
            if def.active {
                resume_paused(&mut tx, ws, id, now).await?;
            }
            Saved { id, version }
        }
    };
    tx.commit().await?;
    Ok(saved)
}

/// Webhook steps' URLs pass the same SSRF check as webhook endpoints when
/// saved: no private, loopback, link-local or metadata address in any
/// spelling (names are resolved and checked again at send time).
fn webhook_url_problems(def: &Definition, policy: af_channels::ssrf::SsrfPolicy) -> Vec<String> {
    let mut problems = Vec::new();
    for step in def.all_steps() {
        if let af_core::workflow::Action::Webhook { url } = &step.action
            && let Err(e) = af_channels::ssrf::check_url_syntax(url, policy)
        {
            problems.push(format!("steps.{}.url: {e}", step.id));
        }
    }
    problems
}

/// Every reference must point at a record of this workspace.
async fn check_references(
    tx: &mut Tx,
    ws: WorkspaceId,
    me: Option<WorkflowId>,
    r: &References,
) -> EngineResult<Vec<String>> {
    let mut errors = Vec::new();
    for s in &r.stage_ids {
        let ok = match s.parse() {
            Ok(id) => match af_db::pipelines::get_stage_tx(tx, ws, id).await {
                Ok(_) => true,
                Err(af_db::DbError::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            },
            Err(_) => false,
        };
        if !ok {
            errors.push(format!("stage {s} does not exist in this workspace"));
        }
    }
    for p in &r.pipeline_ids {
        let ok = match p.parse() {
            Ok(id) => match af_db::pipelines::get_pipeline_tx(tx, ws, id).await {
                Ok(_) => true,
                Err(af_db::DbError::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            },
            Err(_) => false,
        };
        if !ok {
            errors.push(format!("pipeline {p} does not exist in this workspace"));
        }
    }
    for t in &r.tags {
        if let Err(e) = af_core::contact::tag_name(t) {
            errors.push(format!("tag \"{t}\": {e}"));
        }
    }
    for t in &r.template_ids {
        let found = match t.parse() {
            Ok(id) => store::find_template_tx(tx, ws, id).await?.is_some(),
            Err(_) => false,
        };
        if !found {
            errors.push(format!(
                "message template {t} does not exist in this workspace"
            ));
        }
    }
    for w in &r.workflow_ids {
        match w.parse::<WorkflowId>() {
            Ok(id) if Some(id) == me => {
                errors.push("a workflow cannot enrol contacts in itself".into())
            }
            Ok(id) if store::find_workflow_tx(tx, ws, id).await?.is_some() => {}
            _ => errors.push(format!("workflow {w} does not exist in this workspace")),
        }
    }
    if !r.custom_fields.is_empty() {
        let defs = store::custom_field_defs_tx(tx, ws).await?;
        for k in &r.custom_fields {
            if !defs.iter().any(|d| &d.key == k) {
                errors.push(format!("custom field {k} is not defined in this workspace"));
            }
        }
    }
    for u in &r.user_ids {
        let member = match u.parse::<uuid::Uuid>() {
            Ok(id) => af_db::tasks::is_member(tx, ws, af_core::UserId(id)).await?,
            Err(_) => false,
        };
        if !member {
            errors.push(format!("user {u} is not a member of this workspace"));
        }
    }
    for f in &r.form_ids {
        let found = match f.parse::<af_core::FormId>() {
            Ok(id) => match af_db::forms::get_form_tx(tx, ws, id).await {
                Ok(_) => true,
                Err(af_db::DbError::NotFound(_)) => false,
                Err(e) => return Err(e.into()),
            },
            Err(_) => false,
        };
        if !found {
            errors.push(format!("form {f} does not exist in this workspace"));
        }
    }
    Ok(errors)
}

/// Pauses (enrolments stop at their next step) or activates (paused
/// enrolments continue) a workflow.
pub async fn set_active(
    db: &Db,
    ws: WorkspaceId,
    id: WorkflowId,
    active: bool,
    now: Ts,
) -> EngineResult<()> {
    let mut tx = db.begin().await?;
    let status = if active { "active" } else { "paused" };
    if !store::set_workflow_status(&mut tx, ws, id, status, now).await? {
        return Err(EngineError::NotFound("workflow"));
    }
    if active {
        resume_paused(&mut tx, ws, id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn resume_paused(tx: &mut Tx, ws: WorkspaceId, id: WorkflowId, now: Ts) -> EngineResult<()> {
    for eid in
        store::enrollment_ids_with_status(tx, ws, id, EnrollmentStatus::Paused, 100_000).await?
    {
        if let Some(mut e) = store::lock_enrollment(tx, ws, eid, now).await? {
            let at = e.next_run_at.filter(|t| *t > now).unwrap_or(now);
            e.set_status(if e.wait_kind.is_some() {
                EnrollmentStatus::Waiting
            } else {
                EnrollmentStatus::Active
            });
            e.seq += 1;
            store::save_enrollment(tx, &e, now).await?;
            store::enqueue_step(tx, ws, e.id, e.seq, at, now).await?;
        }
    }
    Ok(())
}

pub async fn delete_workflow(db: &Db, ws: WorkspaceId, id: WorkflowId) -> EngineResult<()> {
    let mut tx = db.begin().await?;
    if !store::delete_workflow(&mut tx, ws, id).await? {
        return Err(EngineError::NotFound("workflow"));
    }
    tx.commit().await?;
    Ok(())
}

/// Enrols a contact now, whatever the trigger (test mode ignores the
/// filter and re-entry rule). `fast_forward` makes every wait end at once.
pub async fn enroll_test(
    db: &Db,
    ws: WorkspaceId,
    id: WorkflowId,
    contact: ContactId,
    fast_forward: bool,
    now: Ts,
) -> EngineResult<EnrollmentId> {
    let mut tx = db.begin().await?;
    let w = store::find_workflow_tx(&mut tx, ws, id)
        .await?
        .ok_or(EngineError::NotFound("workflow"))?;
    store::find_contact_tx(&mut tx, ws, contact)
        .await?
        .ok_or(EngineError::NotFound("contact"))?;
    if let Some(live) = store::live_enrollment(&mut tx, ws, id, contact).await? {
        return Err(EngineError::Conflict(Conflict::AlreadyEnrolled(live.id)));
    }
    let def = crate::enrolment::parse_stored(&w.definition)?;
    let context = serde_json::json!({ "event": {}, "fast_forward": fast_forward });
    if !crate::enrolment::enrol(
        &mut tx, ws, &w, &def, contact, None, &context, true, now, now,
    )
    .await?
    {
        return Err(EngineError::Conflict(Conflict::NotEnrolled));
    }
    let e = store::live_enrollment(&mut tx, ws, id, contact).await?;
    tx.commit().await?;
    // A workflow without steps completes at once and has no live enrolment.
    match e {
        Some(e) => Ok(e.id),
        None => Err(EngineError::Conflict(Conflict::NoSteps)),
    }
}

async fn locked(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    now: Ts,
) -> EngineResult<Enrollment> {
    store::lock_enrollment(tx, ws, id, now)
        .await?
        .ok_or(EngineError::NotFound("enrollment"))
}

/// Ends the current wait now (a delay or a wait for an event, which then
/// takes its timeout branch). Returns the enrolment as it is afterwards.
pub async fn skip_wait(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    now: Ts,
) -> EngineResult<Enrollment> {
    let mut tx = db.begin().await?;
    let mut e = locked(&mut tx, ws, id, now).await?;
    let waiting = e.status == EnrollmentStatus::Waiting
        || (e.status == EnrollmentStatus::Active && e.next_run_at.is_some_and(|t| t > now));
    if !waiting {
        return Err(EngineError::Conflict(Conflict::NotWaiting(
            e.status.clone(),
        )));
    }
    e.seq += 1;
    e.next_run_at = Some(now);
    store::save_enrollment(&mut tx, &e, now).await?;
    store::enqueue_step(&mut tx, ws, e.id, e.seq, now, now).await?;
    tx.commit().await?;
    Ok(e)
}

/// Runs a failed enrolment again from its failed step, or from the start.
pub async fn retry(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    from_start: bool,
    now: Ts,
) -> EngineResult<()> {
    let mut tx = db.begin().await?;
    retry_in(&mut tx, ws, id, from_start, now).await?;
    tx.commit().await?;
    Ok(())
}

async fn retry_in(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    from_start: bool,
    now: Ts,
) -> EngineResult<()> {
    let mut e = locked(tx, ws, id, now).await?;
    if e.status != EnrollmentStatus::Failed {
        return Err(EngineError::Conflict(Conflict::NotFailed(e.status.clone())));
    }
    if let Some(live) = store::live_enrollment(tx, ws, e.workflow_id, e.contact_id).await? {
        return Err(EngineError::Conflict(Conflict::OtherLive(live.id)));
    }
    if from_start {
        let def = crate::enrolment::definition_of(tx, &e).await?;
        e.current_step = def.first_step().map(str::to_string);
        e.last_outcome = None;
    }
    e.set_status(EnrollmentStatus::Active);
    e.seq += 1;
    e.finished_at = None;
    e.next_run_at = Some(now);
    store::save_enrollment(tx, &e, now).await?;
    store::enqueue_step(tx, ws, e.id, e.seq, now, now).await?;
    store::resolve_alerts(tx, ws, Some(e.id), None, now).await?;
    Ok(())
}

/// Retries every failed enrolment of a workflow; returns how many.
pub async fn retry_all_failed(
    db: &Db,
    ws: WorkspaceId,
    wf: WorkflowId,
    from_start: bool,
    now: Ts,
) -> EngineResult<usize> {
    let mut tx = db.begin().await?;
    let ids = store::enrollment_ids_with_status(&mut tx, ws, wf, EnrollmentStatus::Failed, 10_000)
        .await?;
    let mut n = 0;
    for id in ids {
        match retry_in(&mut tx, ws, id, from_start, now).await {
            Ok(()) => n += 1,
            Err(EngineError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(n)
}

/// Ends a live enrolment by hand.
pub async fn exit_enrollment(
    db: &Db,
    ws: WorkspaceId,
    id: EnrollmentId,
    actor: &Actor,
    now: Ts,
) -> EngineResult<()> {
    let mut tx = db.begin().await?;
    let e = locked(&mut tx, ws, id, now).await?;
    if !e.is_live() {
        return Err(EngineError::Conflict(Conflict::AlreadyEnded(
            e.status.clone(),
        )));
    }
    crate::enrolment::exit(&mut tx, e, &format!("ended by {}", actor.label), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the live enrolments of a workflow to its current version, where
/// their current step still exists in it; returns (moved, kept).
pub async fn migrate_enrollments(
    db: &Db,
    ws: WorkspaceId,
    wf: WorkflowId,
    now: Ts,
) -> EngineResult<(usize, usize)> {
    let mut tx = db.begin().await?;
    let w = store::find_workflow_tx(&mut tx, ws, wf)
        .await?
        .ok_or(EngineError::NotFound("workflow"))?;
    let def = crate::enrolment::parse_stored(&w.definition)?;
    let (mut moved, mut kept) = (0, 0);
    for status in EnrollmentStatus::LIVE {
        for id in store::enrollment_ids_with_status(&mut tx, ws, wf, status, 100_000).await? {
            let Some(e) = store::lock_enrollment(&mut tx, ws, id, now).await? else {
                continue;
            };
            let fits = e
                .current_step
                .as_deref()
                .is_none_or(|s| def.step(s).is_some());
            if e.version == w.current_version {
                continue;
            }
            if fits {
                store::set_enrollment_version(&mut tx, ws, id, w.current_version, now).await?;
                moved += 1;
            } else {
                kept += 1;
            }
        }
    }
    tx.commit().await?;
    Ok((moved, kept))
}

/// Records a custom event about a contact (`custom.<name>`), which the
/// `custom_event` trigger, exit goals and waits listen to.
pub async fn post_custom_event(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    name: &str,
    data: &serde_json::Value,
    actor: &Actor,
    now: Ts,
) -> EngineResult<af_core::EventId> {
    if !af_core::workflow::is_valid_custom_event(name) {
        return Err(EngineError::Invalid(vec![
            "name: letters, digits, '_', '-' and '.' only (at most 100)".into(),
        ]));
    }
    let mut tx = db.begin().await?;
    store::find_contact_tx(&mut tx, ws, contact)
        .await?
        .ok_or(EngineError::NotFound("contact"))?;
    let kind = format!("custom.{name}");
    let mut payload = serde_json::json!({ "contact_id": contact, "name": name });
    if let (Some(p), Some(d)) = (payload.as_object_mut(), data.as_object()) {
        for (k, v) in d {
            p.entry(k.clone()).or_insert(v.clone());
        }
    }
    let event = af_db::events::NewEvent {
        workspace: ws,
        kind: &kind,
        entity_type: "contact",
        entity_id: Some(contact.to_string()),
        actor,
        data: payload,
    };
    let id = af_db::events::insert_event(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a stage unless an active workflow uses it (its steps or
/// conditions name the stage: deleting it would break the workflow
/// silently) or deals are still in it. A paused workflow does not hold the
/// stage; activating it again revalidates its references.
pub async fn delete_stage(
    tx: &mut Tx,
    ws: WorkspaceId,
    stage: af_core::StageId,
    actor: &Actor,
    now: Ts,
) -> af_db::DbResult<af_db::pipelines::StageDeletion> {
    // Not found first, so a foreign stage id is a 404 and not a refusal.
    af_db::pipelines::get_stage_tx(tx, ws, stage).await?;
    if let Some(name) = store::active_workflow_mentioning(tx, ws, &stage.to_string()).await? {
        return Ok(af_db::pipelines::StageDeletion::UsedByWorkflow(name));
    }
    af_db::pipelines::delete_stage(tx, ws, stage, actor, now).await
}
