//! Automation storage: workflows and their immutable versions, the event
//! kinds each workflow listens to, enrolments, the step-run log, alerts and
//! message templates. The engine (af-engine) owns the rules; this module
//! only reads and writes rows, always scoped to a workspace.

use crate::jobs::enqueue_job;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{AlertId, ContactId, EnrollmentId, StepRunId, TemplateId, WorkflowId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

// ------------------------------------------------------------------ listeners

/// A workflow that listens to an event kind, and why.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listener {
    #[sqlx(try_from = "Uuid")]
    pub workflow_id: WorkflowId,
    pub role: String,
}

pub async fn listeners_of(tx: &mut Tx, ws: WorkspaceId, kind: &str) -> DbResult<Vec<Listener>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Listener>(
            "SELECT workflow_id, role FROM automation_listeners WHERE workspace_id = $1 AND event_kind = $2
             ORDER BY workflow_id, role",
        )
        .bind(ws.0).bind(kind).fetch_all(&mut *c).await?
    }))
}

async fn replace_listeners(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    kinds: &[(String, &str)],
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM automation_listeners WHERE workspace_id = $1 AND workflow_id = $2")
            .bind(ws.0).bind(wf.0).execute(&mut *c).await?;
        for (kind, role) in kinds {
            sqlx::query(
                "INSERT INTO automation_listeners (workspace_id, event_kind, workflow_id, role) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(ws.0).bind(kind).bind(wf.0).bind(*role).execute(&mut *c).await?;
        }
    });
    refresh_subscriptions(tx, ws).await
}

/// Rewrites the workspace's automation rows of `event_subscriptions`: the
/// kinds some workflow listens to.
async fn refresh_subscriptions(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    let kinds: Vec<String> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT DISTINCT event_kind FROM automation_listeners WHERE workspace_id = $1 ORDER BY event_kind")
            .bind(ws.0).fetch_all(&mut *c).await?
    });
    crate::subscriptions::replace(tx, ws, af_core::events::Subscriber::Automations, &kinds).await
}

// ---------------------------------------------------------------- workflows

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Workflow {
    #[sqlx(try_from = "Uuid")]
    pub id: WorkflowId,
    pub name: String,
    pub trigger_type: String,
    pub status: String,
    pub current_version: i32,
    pub template_key: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// The current version's definition (JSON text).
    pub definition: String,
}

macro_rules! workflow_select {
    () => {
        "SELECT w.id, w.name, w.trigger_type, w.status, w.current_version, w.template_key, w.created_at,
                w.updated_at, v.definition
         FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version"
    };
}

/// What saving a workflow writes.
#[derive(Debug, Clone)]
pub struct WorkflowWrite<'a> {
    pub name: &'a str,
    pub trigger_type: &'a str,
    /// `active` or `paused`.
    pub status: &'a str,
    pub definition: &'a serde_json::Value,
    pub listens: &'a [(String, &'static str)],
    pub template_key: Option<&'a str>,
}

pub async fn insert_workflow(
    tx: &mut Tx,
    ws: WorkspaceId,
    w: &WorkflowWrite<'_>,
    now: Ts,
) -> DbResult<WorkflowId> {
    let id = WorkflowId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO workflows (id, workspace_id, name, trigger_type, status, current_version, template_key,
                                    created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
        )
        .bind(id.0).bind(ws.0).bind(w.name).bind(w.trigger_type).bind(w.status).bind(w.template_key).bind(now)
        .execute(&mut *c).await?;
        sqlx::query(
            "INSERT INTO workflow_versions (workflow_id, version, workspace_id, definition, created_at)
             VALUES ($1, 1, $2, $3, $4)",
        )
        .bind(id.0).bind(ws.0).bind(w.definition.to_string()).bind(now)
        .execute(&mut *c).await?;
    });
    replace_listeners(tx, ws, id, w.listens).await?;
    Ok(id)
}

/// Saves a new version (running enrolments keep theirs). Returns the new
/// version number; NotFound when the workflow is not in this workspace.
pub async fn update_workflow(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: WorkflowId,
    w: &WorkflowWrite<'_>,
    now: Ts,
) -> DbResult<i32> {
    let version: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "UPDATE workflows SET name = $3, trigger_type = $4, status = $5, current_version = current_version + 1,
                    updated_at = $6
             WHERE workspace_id = $1 AND id = $2 RETURNING current_version",
        )
        .bind(ws.0).bind(id.0).bind(w.name).bind(w.trigger_type).bind(w.status).bind(now)
        .fetch_optional(&mut *c).await?
    });
    let version = version.ok_or(crate::DbError::NotFound("workflow"))?;
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO workflow_versions (workflow_id, version, workspace_id, definition, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.0).bind(version).bind(ws.0).bind(w.definition.to_string()).bind(now)
        .execute(&mut *c).await?;
    });
    replace_listeners(tx, ws, id, w.listens).await?;
    Ok(version)
}

/// Pauses or activates without a new version.
pub async fn set_workflow_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: WorkflowId,
    status: &str,
    now: Ts,
) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("UPDATE workflows SET status = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(status).bind(now).execute(&mut *c).await?.rows_affected()
    });
    Ok(n > 0)
}

pub async fn delete_workflow(tx: &mut Tx, ws: WorkspaceId, id: WorkflowId) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("DELETE FROM workflows WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    });
    // Its listeners went with it (ON DELETE CASCADE).
    refresh_subscriptions(tx, ws).await?;
    Ok(n > 0)
}

pub async fn find_workflow(
    db: &crate::Db,
    ws: WorkspaceId,
    id: WorkflowId,
) -> DbResult<Option<Workflow>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Workflow>(concat!(workflow_select!(), " WHERE w.workspace_id = $1 AND w.id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

pub async fn find_workflow_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: WorkflowId,
) -> DbResult<Option<Workflow>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Workflow>(concat!(workflow_select!(), " WHERE w.workspace_id = $1 AND w.id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

pub async fn list_workflows(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Workflow>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Workflow>(concat!(workflow_select!(), " WHERE w.workspace_id = $1 ORDER BY w.name, w.id"))
            .bind(ws.0).fetch_all(p).await?
    }))
}

/// The definition of one version (an enrolment's own).
pub async fn version_definition(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: WorkflowId,
    version: i32,
) -> DbResult<String> {
    let def: Option<String> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT definition FROM workflow_versions WHERE workspace_id = $1 AND workflow_id = $2 AND version = $3",
        )
        .bind(ws.0).bind(id.0).bind(version).fetch_optional(&mut *c).await?
    });
    def.ok_or(crate::DbError::NotFound("workflow version"))
}

/// Enrolment counts per workflow and status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusCount {
    #[sqlx(try_from = "Uuid")]
    pub workflow_id: WorkflowId,
    pub status: String,
    pub n: i64,
}

pub async fn enrollment_counts(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<StatusCount>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, StatusCount>(
            "SELECT workflow_id, status, COUNT(*) AS n FROM enrollments WHERE workspace_id = $1
             GROUP BY workflow_id, status ORDER BY workflow_id, status",
        )
        .bind(ws.0).fetch_all(p).await?
    }))
}

// -------------------------------------------------------------- enrollments

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Enrollment {
    #[sqlx(try_from = "Uuid")]
    pub id: EnrollmentId,
    #[sqlx(try_from = "Uuid")]
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "Uuid")]
    pub workflow_id: WorkflowId,
    pub version: i32,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub status: String,
    pub current_step: Option<String>,
    pub seq: i32,
    pub next_run_at: Option<Ts>,
    pub wait_kind: Option<String>,
    pub wait_match: Option<String>,
    pub last_outcome: Option<String>,
    pub exit_reason: Option<String>,
    pub trigger_event_id: Option<Uuid>,
    pub context: String,
    pub test_mode: bool,
    pub started_at: Ts,
    pub finished_at: Option<Ts>,
    pub updated_at: Ts,
}

macro_rules! enrollment_columns {
    () => {
        "id, workspace_id, workflow_id, version, contact_id, status, current_step, seq, next_run_at, wait_kind, \
         wait_match, last_outcome, exit_reason, trigger_event_id, context, test_mode, started_at, finished_at, updated_at"
    };
}

impl Enrollment {
    pub fn is_live(&self) -> bool {
        matches!(self.status.as_str(), "active" | "waiting" | "paused")
    }
}

#[derive(Debug, Clone)]
pub struct NewEnrollment<'a> {
    pub workspace: WorkspaceId,
    pub workflow: WorkflowId,
    pub version: i32,
    pub contact: ContactId,
    pub first_step: Option<&'a str>,
    pub trigger_event: Option<Uuid>,
    pub context: &'a serde_json::Value,
    pub test_mode: bool,
    /// When the first step runs (now, or an appointment-relative time).
    pub run_at: Ts,
}

/// Enrols a contact and enqueues its first step, in the caller's
/// transaction. `None` when the contact already has a live enrolment in the
/// workflow, or this event already enrolled it (a routing re-run).
pub async fn insert_enrollment(
    tx: &mut Tx,
    e: &NewEnrollment<'_>,
    now: Ts,
) -> DbResult<Option<EnrollmentId>> {
    let id = EnrollmentId::new();
    let status = if e.first_step.is_some() {
        "active"
    } else {
        "completed"
    };
    let finished = e.first_step.is_none().then_some(now);
    let inserted = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO enrollments (id, workspace_id, workflow_id, version, contact_id, status, current_step, seq,
                                      next_run_at, trigger_event_id, context, test_mode, started_at, finished_at,
                                      updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12, $13, $12)
             ON CONFLICT DO NOTHING",
        )
        .bind(id.0).bind(e.workspace.0).bind(e.workflow.0).bind(e.version).bind(e.contact.0).bind(status)
        .bind(e.first_step).bind(e.first_step.map(|_| e.run_at)).bind(e.trigger_event)
        .bind(e.context.to_string()).bind(e.test_mode).bind(now).bind(finished)
        .execute(&mut *c).await?.rows_affected()
    });
    if inserted == 0 {
        return Ok(None);
    }
    if e.first_step.is_some() {
        enqueue_step(tx, e.workspace, id, 1, e.run_at, now).await?;
    }
    Ok(Some(id))
}

/// Enqueues the step job for an enrolment at `seq`.
pub async fn enqueue_step(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    run_at: Ts,
    now: Ts,
) -> DbResult<()> {
    let job = af_core::jobs::AutomationStep {
        enrollment_id: id,
        seq,
    };
    enqueue_job(tx, Some(ws), &job, run_at, now).await?;
    Ok(())
}

/// How many enrolments the contact has had in the workflow, and how many
/// are live — for the re-entry rule.
pub async fn prior_enrollments(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    contact: ContactId,
) -> DbResult<(i64, i64)> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status IN ('active', 'waiting', 'paused') THEN 1 ELSE 0 END), 0)
             FROM enrollments WHERE workspace_id = $1 AND workflow_id = $2 AND contact_id = $3",
        )
        .bind(ws.0).bind(wf.0).bind(contact.0).fetch_one(&mut *c).await?
    }))
}

/// Claims an enrolment for a step run: the row is locked (an UPDATE takes
/// the row lock on PostgreSQL; SQLite's write transaction is already
/// exclusive) and returned only while `seq` is still current — a stale job
/// (after skip-wait, exit or retry) gets `None` and does nothing.
pub async fn claim_enrollment(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    now: Ts,
) -> DbResult<Option<Enrollment>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Enrollment>(concat!(
            "UPDATE enrollments SET updated_at = $4 WHERE workspace_id = $1 AND id = $2 AND seq = $3 RETURNING ",
            enrollment_columns!()))
            .bind(ws.0).bind(id.0).bind(seq).bind(now).fetch_optional(&mut *c).await?
    }))
}

/// Locks and returns an enrolment whatever its seq (for exits, resumes,
/// retries and skip-wait).
pub async fn lock_enrollment(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    now: Ts,
) -> DbResult<Option<Enrollment>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Enrollment>(concat!(
            "UPDATE enrollments SET updated_at = $3 WHERE workspace_id = $1 AND id = $2 RETURNING ",
            enrollment_columns!()))
            .bind(ws.0).bind(id.0).bind(now).fetch_optional(&mut *c).await?
    }))
}

/// Writes an enrolment's mutable state back.
pub async fn save_enrollment(tx: &mut Tx, e: &Enrollment, now: Ts) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE enrollments SET status = $3, current_step = $4, seq = $5, next_run_at = $6, wait_kind = $7,
                    wait_match = $8, last_outcome = $9, exit_reason = $10, finished_at = $11, updated_at = $12
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(e.workspace_id.0).bind(e.id.0).bind(&e.status).bind(&e.current_step).bind(e.seq).bind(e.next_run_at)
        .bind(&e.wait_kind).bind(&e.wait_match).bind(&e.last_outcome).bind(&e.exit_reason).bind(e.finished_at)
        .bind(now)
        .execute(&mut *c).await?;
    });
    Ok(())
}

/// Live enrolments of a contact (to apply exit goals and resume waits).
pub async fn live_enrollments_of_contact(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Vec<Enrollment>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Enrollment>(concat!("SELECT ", enrollment_columns!(),
            " FROM enrollments WHERE workspace_id = $1 AND contact_id = $2 AND status IN ('active', 'waiting', 'paused')
             ORDER BY started_at, id"))
            .bind(ws.0).bind(contact.0).fetch_all(&mut *c).await?
    }))
}

/// The live enrolment of a contact in one workflow.
pub async fn live_enrollment(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    contact: ContactId,
) -> DbResult<Option<Enrollment>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Enrollment>(concat!("SELECT ", enrollment_columns!(),
            " FROM enrollments WHERE workspace_id = $1 AND workflow_id = $2 AND contact_id = $3
               AND status IN ('active', 'waiting', 'paused')"))
            .bind(ws.0).bind(wf.0).bind(contact.0).fetch_optional(&mut *c).await?
    }))
}

/// Enrolment ids of a workflow in a status (bulk retry, pause, resume),
/// oldest first, at most `limit`.
pub async fn enrollment_ids_with_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    status: &str,
    limit: i64,
) -> DbResult<Vec<EnrollmentId>> {
    let rows: Vec<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT id FROM enrollments WHERE workspace_id = $1 AND workflow_id = $2 AND status = $3
             ORDER BY started_at, id LIMIT $4",
        )
        .bind(ws.0).bind(wf.0).bind(status).bind(limit).fetch_all(&mut *c).await?
    });
    Ok(rows.into_iter().map(EnrollmentId).collect())
}

pub async fn find_enrollment(
    db: &crate::Db,
    ws: WorkspaceId,
    id: EnrollmentId,
) -> DbResult<Option<Enrollment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Enrollment>(concat!("SELECT ", enrollment_columns!(),
            " FROM enrollments WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// An enrolment with its contact's name, for lists.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct EnrollmentRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub enrollment: Enrollment,
    pub contact_name: String,
}

/// Enrolments of a workflow, newest first; `status` filters when given;
/// `before` is the keyset cursor (started_at, id) of the last row seen.
pub async fn list_enrollments(
    db: &crate::Db,
    ws: WorkspaceId,
    wf: WorkflowId,
    status: Option<&str>,
    before: Option<(Ts, Uuid)>,
    limit: i64,
) -> DbResult<Vec<EnrollmentRow>> {
    let (bt, bid) = before.unzip();
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, EnrollmentRow>(
            "SELECT e.id, e.workspace_id, e.workflow_id, e.version, e.contact_id, e.status, e.current_step, e.seq,
                    e.next_run_at, e.wait_kind, e.wait_match, e.last_outcome, e.exit_reason, e.trigger_event_id,
                    e.context, e.test_mode, e.started_at, e.finished_at, e.updated_at,
                    TRIM(c.first_name || ' ' || c.last_name) AS contact_name
             FROM enrollments e JOIN contacts c ON c.id = e.contact_id
             WHERE e.workspace_id = $1 AND e.workflow_id = $2 AND ($3 IS NULL OR e.status = $3)
               AND ($4 IS NULL OR e.started_at < $4 OR (e.started_at = $4 AND e.id < $5))
             ORDER BY e.started_at DESC, e.id DESC LIMIT $6",
        )
        .bind(ws.0).bind(wf.0).bind(status).bind(bt).bind(bid).bind(limit)
        .fetch_all(p).await?
    }))
}

/// Contacts inactive since `before` that have never been enrolled in the
/// workflow (or whose enrolments ended, when re-entry allows), at most
/// `limit` — the set the inactivity sweep enrols.
pub async fn inactive_contacts(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    before: Ts,
    reenter: bool,
    limit: i64,
) -> DbResult<Vec<ContactId>> {
    let rows: Vec<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT c.id FROM contacts c
             WHERE c.workspace_id = $1 AND c.last_activity_at < $3
               AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.workflow_id = $2 AND e.contact_id = c.id
                               AND (NOT $4 OR e.status IN ('active', 'waiting', 'paused') OR e.started_at >= c.last_activity_at))
             ORDER BY c.last_activity_at, c.id LIMIT $5",
        )
        .bind(ws.0).bind(wf.0).bind(before).bind(reenter).bind(limit).fetch_all(&mut *c).await?
    });
    Ok(rows.into_iter().map(ContactId).collect())
}

/// Active workflows of every workspace with a time-based trigger type.
pub async fn workflows_with_trigger(
    db: &crate::Db,
    trigger_type: &str,
) -> DbResult<Vec<(WorkspaceId, WorkflowId)>> {
    let rows: Vec<(Uuid, Uuid)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT workspace_id, id FROM workflows WHERE trigger_type = $1 AND status = 'active'
             ORDER BY workspace_id, id",
        )
        .bind(trigger_type).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(w, f)| (WorkspaceId(w), WorkflowId(f)))
        .collect())
}

// ---------------------------------------------------------------- step runs

#[derive(Debug, Clone)]
pub struct NewStepRun<'a> {
    pub enrollment: &'a Enrollment,
    pub step_id: &'a str,
    pub step_type: &'a str,
    pub attempt: i32,
    /// done / skipped / failed / waiting / exited.
    pub status: &'a str,
    pub outcome: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub error: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct StepRun {
    #[sqlx(try_from = "Uuid")]
    pub id: StepRunId,
    #[sqlx(try_from = "Uuid")]
    pub enrollment_id: EnrollmentId,
    pub step_id: String,
    pub step_type: String,
    pub seq: i32,
    pub attempt: i32,
    pub status: String,
    pub outcome: Option<String>,
    pub detail: Option<String>,
    pub error: Option<String>,
    pub created_at: Ts,
}

/// Records one step run (in the transaction that applies its effect, so a
/// run is logged if and only if it happened).
pub async fn insert_step_run(tx: &mut Tx, r: &NewStepRun<'_>, now: Ts) -> DbResult<()> {
    let e = r.enrollment;
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO step_runs (id, workspace_id, enrollment_id, workflow_id, step_id, step_type, seq, attempt,
                                    status, outcome, detail, error, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(StepRunId::new().0).bind(e.workspace_id.0).bind(e.id.0).bind(e.workflow_id.0).bind(r.step_id)
        .bind(r.step_type).bind(e.seq).bind(r.attempt).bind(r.status).bind(r.outcome).bind(r.detail).bind(r.error)
        .bind(now)
        .execute(&mut *c).await?;
    });
    Ok(())
}

macro_rules! step_run_columns {
    () => {
        "id, enrollment_id, step_id, step_type, seq, attempt, status, outcome, detail, error, created_at"
    };
}

pub async fn list_step_runs(
    db: &crate::Db,
    ws: WorkspaceId,
    enrollment: EnrollmentId,
) -> DbResult<Vec<StepRun>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, StepRun>(concat!("SELECT ", step_run_columns!(),
            " FROM step_runs WHERE workspace_id = $1 AND enrollment_id = $2 ORDER BY created_at, seq, id"))
            .bind(ws.0).bind(enrollment.0).fetch_all(p).await?
    }))
}

/// A workflow's execution log: step runs with the contact's name, newest first.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct LogRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub run: StepRun,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub contact_name: String,
}

pub async fn workflow_log(
    db: &crate::Db,
    ws: WorkspaceId,
    wf: WorkflowId,
    limit: i64,
) -> DbResult<Vec<LogRow>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, LogRow>(
            "SELECT r.id, r.enrollment_id, r.step_id, r.step_type, r.seq, r.attempt, r.status, r.outcome, r.detail,
                    r.error, r.created_at, e.contact_id, TRIM(c.first_name || ' ' || c.last_name) AS contact_name
             FROM step_runs r JOIN enrollments e ON e.id = r.enrollment_id JOIN contacts c ON c.id = e.contact_id
             WHERE r.workspace_id = $1 AND r.workflow_id = $2 ORDER BY r.created_at DESC, r.id DESC LIMIT $3",
        )
        .bind(ws.0).bind(wf.0).bind(limit).fetch_all(p).await?
    }))
}

/// Events about a contact of these kinds since `since` (exit goals checked
/// before a step), oldest first.
pub async fn contact_events_since(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    kinds: &[String],
    since: Ts,
) -> DbResult<Vec<(String, String)>> {
    if kinds.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = String::from(
        "SELECT kind, data FROM events WHERE workspace_id = $1 AND entity_type = 'contact' AND entity_id = $2
         AND occurred_at >= $3 AND kind IN (",
    );
    for i in 0..kinds.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("${}", i + 4));
    }
    sql.push_str(") ORDER BY occurred_at, id LIMIT 50");
    Ok(with_tx!(tx, c => {
        // Only placeholders are formatted into the text; every value is bound.
        let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(ws.0).bind(contact.to_string()).bind(since);
        for k in kinds {
            q = q.bind(k);
        }
        q.fetch_all(&mut *c).await?
    }))
}

// ------------------------------------------------------------------- alerts

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Alert {
    #[sqlx(try_from = "Uuid")]
    pub id: AlertId,
    pub workflow_id: Option<Uuid>,
    pub enrollment_id: Option<Uuid>,
    pub kind: String,
    pub message: String,
    pub created_at: Ts,
    pub resolved_at: Option<Ts>,
}

pub async fn insert_alert(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: Option<WorkflowId>,
    enrollment: Option<EnrollmentId>,
    kind: &str,
    message: &str,
    now: Ts,
) -> DbResult<AlertId> {
    let id = AlertId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO automation_alerts (id, workspace_id, workflow_id, enrollment_id, kind, message, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.0).bind(ws.0).bind(wf.map(|w| w.0)).bind(enrollment.map(|e| e.0)).bind(kind).bind(message)
        .bind(now).execute(&mut *c).await?;
    });
    Ok(id)
}

/// Whether the workflow already has an unresolved alert of `kind`.
pub async fn has_open_alert(
    tx: &mut Tx,
    ws: WorkspaceId,
    wf: WorkflowId,
    kind: &str,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM automation_alerts
             WHERE workspace_id = $1 AND workflow_id = $2 AND kind = $3 AND resolved_at IS NULL",
        )
        .bind(ws.0).bind(wf.0).bind(kind).fetch_one(&mut *c).await?
    }) > 0)
}

pub async fn list_open_alerts(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<Alert>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Alert>(
            "SELECT id, workflow_id, enrollment_id, kind, message, created_at, resolved_at FROM automation_alerts
             WHERE workspace_id = $1 AND resolved_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(ws.0).bind(limit).fetch_all(p).await?
    }))
}

/// Resolves the open alerts of an enrolment (after a retry) or one alert.
pub async fn resolve_alerts(
    tx: &mut Tx,
    ws: WorkspaceId,
    enrollment: Option<EnrollmentId>,
    alert: Option<AlertId>,
    now: Ts,
) -> DbResult<u64> {
    Ok(with_tx!(tx, c => {
        sqlx::query(
            "UPDATE automation_alerts SET resolved_at = $4 WHERE workspace_id = $1 AND resolved_at IS NULL
               AND (($2 IS NOT NULL AND enrollment_id = $2) OR ($3 IS NOT NULL AND id = $3))",
        )
        .bind(ws.0).bind(enrollment.map(|e| e.0)).bind(alert.map(|a| a.0)).bind(now)
        .execute(&mut *c).await?.rows_affected()
    }))
}

/// Live enrolments whose step is overdue by more than `grace` (the worker
/// should have run it): the stuck-workflow check raises one alert each.
pub async fn stuck_enrollments(
    db: &crate::Db,
    overdue_before: Ts,
    limit: i64,
) -> DbResult<Vec<(WorkspaceId, WorkflowId, EnrollmentId)>> {
    let rows: Vec<(Uuid, Uuid, Uuid)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT e.workspace_id, e.workflow_id, e.id FROM enrollments e
             WHERE e.status = 'active' AND e.next_run_at < $1
               AND NOT EXISTS (SELECT 1 FROM automation_alerts a WHERE a.enrollment_id = e.id AND a.resolved_at IS NULL)
             ORDER BY e.next_run_at LIMIT $2",
        )
        .bind(overdue_before).bind(limit).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(w, f, e)| (WorkspaceId(w), WorkflowId(f), EnrollmentId(e)))
        .collect())
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MessageTemplate {
    #[sqlx(try_from = "Uuid")]
    pub id: TemplateId,
    pub name: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

pub async fn insert_template(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    channel: &str,
    subject: Option<&str>,
    body: &str,
    now: Ts,
) -> DbResult<TemplateId> {
    let id = TemplateId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO message_templates (id, workspace_id, name, channel, subject, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.0).bind(ws.0).bind(name).bind(channel).bind(subject).bind(body).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(id)
}

pub async fn find_template_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: TemplateId,
) -> DbResult<Option<MessageTemplate>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, MessageTemplate>(
            "SELECT id, name, channel, subject, body, created_at, updated_at FROM message_templates
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

pub async fn list_templates(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<MessageTemplate>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, MessageTemplate>(
            "SELECT id, name, channel, subject, body, created_at, updated_at FROM message_templates
             WHERE workspace_id = $1 ORDER BY name, id",
        )
        .bind(ws.0).fetch_all(p).await?
    }))
}

/// What deleting a message template did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateDeletion {
    Deleted,
    NotFound,
    /// Refused: this active workflow sends it.
    UsedByWorkflow(String),
}

/// Deletes a template unless an active workflow uses it (its next send
/// would fail).
pub async fn delete_template(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: TemplateId,
) -> DbResult<TemplateDeletion> {
    if let Some(name) = active_workflow_mentioning(tx, ws, &id.to_string()).await? {
        return Ok(TemplateDeletion::UsedByWorkflow(name));
    }
    let n = with_tx!(tx, c => {
        sqlx::query("DELETE FROM message_templates WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    });
    Ok(if n > 0 {
        TemplateDeletion::Deleted
    } else {
        TemplateDeletion::NotFound
    })
}

// ------------------------------------------------------------ contact score

/// Adds `delta` to a contact's score and writes `contact.score_changed`
/// with the old and new values (what `score_reached` triggers read).
pub async fn change_score(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    delta: i64,
    reason: &str,
    actor: &af_core::Actor,
    now: Ts,
) -> DbResult<(i64, i64)> {
    let row: Option<(i32,)> = with_tx!(tx, c => {
        sqlx::query_as("SELECT score FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    });
    let old = i64::from(row.ok_or(crate::DbError::NotFound("contact"))?.0);
    let new = (old + delta).clamp(-100_000, 100_000);
    with_tx!(tx, c => {
        sqlx::query("UPDATE contacts SET score = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).bind(new as i32).bind(now).execute(&mut *c).await?;
    });
    let event = crate::events::NewEvent {
        workspace: ws,
        kind: "contact.score_changed",
        entity_type: "contact",
        entity_id: Some(contact.to_string()),
        actor,
        data: serde_json::json!({ "old": old, "new": new, "delta": delta, "reason": reason }),
    };
    crate::events::insert_event(tx, &event, now).await?;
    Ok((old, new))
}

/// The contact's own time zone, if set.
pub async fn contact_time_zone(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar::<_, Option<String>>("SELECT time_zone FROM contacts WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    })
    .flatten())
}

/// The contact's newest deal in an open stage of `pipeline`.
pub async fn open_deal_in_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    pipeline: af_core::PipelineId,
) -> DbResult<Option<af_core::DealId>> {
    let id: Option<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = $1 AND d.contact_id = $2 AND d.pipeline_id = $3 AND s.kind = 'open'
             ORDER BY d.created_at DESC, d.id DESC LIMIT 1",
        )
        .bind(ws.0).bind(contact.0).bind(pipeline.0).fetch_optional(&mut *c).await?
    });
    Ok(id.map(af_core::DealId))
}

/// Emails of the workspace's members (for "notify team").
pub async fn member_emails(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Vec<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(ws.0).fetch_all(&mut *c).await?
    }))
}

/// The contact, or `None` when it is gone (deleted since the event).
pub async fn find_contact_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: ContactId,
) -> DbResult<Option<crate::contacts::Contact>> {
    match crate::contacts::get_contact_tx(tx, ws, id).await {
        Ok(c) => Ok(Some(c)),
        Err(crate::DbError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The contact's tag keys (lower-cased names), for conditions.
pub async fn contact_tag_keys(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Vec<String>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT t.name_key FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
             WHERE ct.workspace_id = $1 AND ct.contact_id = $2 ORDER BY t.name_key",
        )
        .bind(ws.0).bind(contact.0).fetch_all(&mut *c).await?
    }))
}

/// The workspace's custom field definitions, inside a transaction.
pub async fn custom_field_defs_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
) -> DbResult<Vec<crate::custom_fields::FieldDef>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, crate::custom_fields::FieldDef>(
            "SELECT id, key, label, kind, options, position FROM custom_fields WHERE workspace_id = $1 ORDER BY position, key",
        )
        .bind(ws.0).fetch_all(&mut *c).await?
    }))
}

/// Moves an enrolment to another version of its workflow.
pub async fn set_enrollment_version(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    version: i32,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE enrollments SET version = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(version).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// The name of an active workflow whose current definition mentions
/// `needle` (a stage id, `custom.<key>`), if any: such records cannot be
/// deleted while the workflow is active.
pub async fn active_workflow_mentioning(
    tx: &mut Tx,
    ws: WorkspaceId,
    needle: &str,
) -> DbResult<Option<String>> {
    let pattern = like_pattern(needle);
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT w.name FROM workflows w JOIN workflow_versions v
               ON v.workflow_id = w.id AND v.version = w.current_version
             WHERE w.workspace_id = $1 AND w.status = 'active' AND v.definition LIKE $2 ESCAPE '\\' ORDER BY w.name LIMIT 1",
        )
        .bind(ws.0).bind(pattern).fetch_optional(&mut *c).await?
    }))
}

/// `%needle%` with LIKE's wildcards escaped (`ESCAPE '\\'`).
fn like_pattern(needle: &str) -> String {
    let mut p = String::from("%");
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}
