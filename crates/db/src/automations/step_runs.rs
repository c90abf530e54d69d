//! The step-run log (one row per step run) and the events a step run
//! checks exit goals against.

use super::*;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{ContactId, EnrollmentId, StepRunId, WorkflowId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

// ---------------------------------------------------------------- step runs

#[derive(Debug, Clone)]
pub struct NewStepRun<'a> {
    pub enrollment: &'a Enrollment,
    pub step_id: &'a str,
    pub step_type: &'a str,
    pub attempt: i32,
    pub status: af_core::vocab::StepRunStatus,
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
        .bind(r.step_type).bind(e.seq).bind(r.attempt).bind(r.status.as_str()).bind(r.outcome).bind(r.detail).bind(r.error)
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
