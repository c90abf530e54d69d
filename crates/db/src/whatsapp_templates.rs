//! A workspace's approved WhatsApp templates (issue 20): the name a member
//! picks in the reply form, the Twilio Content SID it is sent by, and the
//! placeholders its variables fill. The templates themselves are written
//! and approved in Twilio's console; this is the list members choose from.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::WorkspaceId;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WhatsAppTemplate {
    pub id: Uuid,
    pub name: String,
    /// Twilio Content SID (`HX` + 32 hex).
    pub content_sid: String,
    /// The placeholders, comma-separated (`1,2`), in the order the form
    /// asks for them.
    pub variables: String,
    pub created_at: Ts,
}

/// Adds a template; `false` when the workspace already lists that SID.
pub async fn insert(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    content_sid: &str,
    variables: &str,
    now: Ts,
) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO whatsapp_templates (id, workspace_id, name, content_sid, variables, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
            .bind(Uuid::now_v7()).bind(ws.0).bind(name).bind(content_sid).bind(variables).bind(now)
            .execute(&mut *c).await?.rows_affected()
    });
    Ok(n > 0)
}

/// The workspace's templates, by name.
pub async fn list(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<WhatsAppTemplate>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, WhatsAppTemplate>(
            "SELECT id, name, content_sid, variables, created_at FROM whatsapp_templates
             WHERE workspace_id = $1 ORDER BY name, id")
            .bind(ws.0).fetch_all(p).await?
    }))
}

/// Removes one; `false` when the workspace has no such template.
pub async fn delete(tx: &mut Tx, ws: WorkspaceId, id: Uuid) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("DELETE FROM whatsapp_templates WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).execute(&mut *c).await?.rows_affected()
    });
    Ok(n > 0)
}
