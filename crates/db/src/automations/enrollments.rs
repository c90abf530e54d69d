//! Enrolments: a contact inside one version of a workflow, and the step
//! job that moves it on.

use crate::jobs::enqueue_job;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EnrollmentStatus;
use af_core::{ContactId, EnrollmentId, WorkflowId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

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
    /// An [`EnrollmentStatus`] name.
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
    /// Moves the enrolment to `status` (saved with `save_enrollment`).
    pub fn set_status(&mut self, status: EnrollmentStatus) {
        self.status = status.as_str().to_owned();
    }

    pub fn is_live(&self) -> bool {
        EnrollmentStatus::parse(&self.status).is_some_and(EnrollmentStatus::is_live)
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
        EnrollmentStatus::Active
    } else {
        EnrollmentStatus::Completed
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
        .bind(id.0).bind(e.workspace.0).bind(e.workflow.0).bind(e.version).bind(e.contact.0).bind(status.as_str())
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

/// What a step run starts from: the claimed enrolment, its workflow's
/// status and its workspace.
#[derive(Debug, Clone)]
pub struct ClaimedStep {
    pub enrollment: Enrollment,
    /// `active` or `paused`; `None` if the workflow is gone.
    pub workflow_status: Option<String>,
    pub workspace: crate::workspaces::Workspace,
}

/// [`claim_enrollment`] for the step runner, in the same one statement: the
/// workflow's status and the workspace come back with the claimed row
/// (scalar subqueries in `RETURNING`, which SQLite allows where it does not
/// allow the `FROM` tables of an `UPDATE`), so a step starts with one read.
pub async fn claim_step(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    seq: i32,
    now: Ts,
) -> DbResult<Option<ClaimedStep>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        enrollment: Enrollment,
        workflow_status: Option<String>,
        ws_slug: String,
        ws_name: String,
        ws_time_zone: String,
        ws_locale: String,
        ws_country: String,
        ws_brand_color: Option<String>,
        ws_sender_name: Option<String>,
        ws_has_logo: bool,
        ws_created_at: Ts,
        ws_updated_at: Ts,
    }
    let row = with_tx!(tx, c => {
        sqlx::query_as::<_, Row>(concat!(
            "UPDATE enrollments SET updated_at = $4 WHERE workspace_id = $1 AND id = $2 AND seq = $3 RETURNING ",
            enrollment_columns!(), ",
             (SELECT w.status FROM workflows w WHERE w.workspace_id = $1 AND w.id = enrollments.workflow_id)
                AS workflow_status,
             (SELECT slug FROM workspaces WHERE id = $1) AS ws_slug,
             (SELECT name FROM workspaces WHERE id = $1) AS ws_name,
             (SELECT time_zone FROM workspaces WHERE id = $1) AS ws_time_zone,
             (SELECT locale FROM workspaces WHERE id = $1) AS ws_locale,
             (SELECT country FROM workspaces WHERE id = $1) AS ws_country,
             (SELECT brand_color FROM workspaces WHERE id = $1) AS ws_brand_color,
             (SELECT sender_name FROM workspaces WHERE id = $1) AS ws_sender_name,
             (SELECT logo IS NOT NULL FROM workspaces WHERE id = $1) AS ws_has_logo,
             (SELECT created_at FROM workspaces WHERE id = $1) AS ws_created_at,
             (SELECT updated_at FROM workspaces WHERE id = $1) AS ws_updated_at"))
            .bind(ws.0).bind(id.0).bind(seq).bind(now).fetch_optional(&mut *c).await?
    });
    Ok(row.map(|r| ClaimedStep {
        workspace: crate::workspaces::Workspace {
            id: r.enrollment.workspace_id,
            slug: r.ws_slug,
            name: r.ws_name,
            time_zone: r.ws_time_zone,
            locale: r.ws_locale,
            country: r.ws_country,
            brand_color: r.ws_brand_color,
            sender_name: r.ws_sender_name,
            has_logo: r.ws_has_logo,
            created_at: r.ws_created_at,
            updated_at: r.ws_updated_at,
        },
        enrollment: r.enrollment,
        workflow_status: r.workflow_status,
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
    status: EnrollmentStatus,
    limit: i64,
) -> DbResult<Vec<EnrollmentId>> {
    let rows: Vec<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT id FROM enrollments WHERE workspace_id = $1 AND workflow_id = $2 AND status = $3
             ORDER BY started_at, id LIMIT $4",
        )
        .bind(ws.0).bind(wf.0).bind(status.as_str()).bind(limit).fetch_all(&mut *c).await?
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

/// Replaces an enrolment's context (what its merge fields see of the
/// event that started it): an appointment-relative enrolment follows its
/// appointment's new time.
pub async fn set_enrollment_context(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: EnrollmentId,
    context: &serde_json::Value,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE enrollments SET context = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(context.to_string()).bind(now)
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// One of a contact's enrolments as her timeline tells it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactEnrollment {
    pub id: Uuid,
    pub workflow_id: Uuid,
    pub workflow_name: String,
    /// An [`EnrollmentStatus`] name.
    pub status: String,
    pub exit_reason: Option<String>,
    pub started_at: Ts,
    pub finished_at: Option<Ts>,
}

/// The contact's enrolments in every workflow, newest first.
pub async fn enrollments_of_contact(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    limit: i64,
) -> DbResult<Vec<ContactEnrollment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ContactEnrollment>(
            "SELECT e.id, e.workflow_id, w.name AS workflow_name, e.status, e.exit_reason, e.started_at, e.finished_at
             FROM enrollments e JOIN workflows w ON w.workspace_id = e.workspace_id AND w.id = e.workflow_id
             WHERE e.workspace_id = $1 AND e.contact_id = $2 AND e.test_mode = $3
             ORDER BY e.started_at DESC, e.id DESC LIMIT $4")
            .bind(ws.0).bind(contact.0).bind(false).bind(limit).fetch_all(p).await?
    }))
}
