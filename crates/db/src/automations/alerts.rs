//! Workflow alerts: one open alert per problem, resolved by a retry.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{AlertId, EnrollmentId, WorkflowId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

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
