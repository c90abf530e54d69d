//! Workflows and their immutable versions.

use super::*;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{WorkflowId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

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
