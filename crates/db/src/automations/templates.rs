//! Message templates shared by workflows.

use super::*;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{TemplateId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

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
