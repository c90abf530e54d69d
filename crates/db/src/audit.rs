//! The audit log: who did what to which record, and how it went.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Actor, WorkspaceId};
use uuid::Uuid;

/// One action to record.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub workspace: Option<WorkspaceId>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    /// "ok", "denied", "failed"...
    pub result: &'a str,
    pub details: serde_json::Value,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub workspace_id: Option<Uuid>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub result: String,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: Ts,
}

macro_rules! insert_audit_sql {
    () => {
        "INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_label, action, target_type,
                                target_id, result, details, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
}

macro_rules! bind_audit {
    ($q:expr, $a:expr, $now:expr) => {
        $q.bind(Uuid::now_v7())
            .bind($a.workspace.map(|w| w.0))
            .bind($a.actor.kind.as_str())
            .bind($a.actor.id)
            .bind(&$a.actor.label)
            .bind($a.action)
            .bind($a.target_type)
            .bind(&$a.target_id)
            .bind($a.result)
            .bind($a.details.to_string())
            .bind($a.ip)
            .bind($now)
    };
}

/// Records an action inside the transaction that performs it.
pub async fn insert_audit(tx: &mut Tx, a: &NewAudit<'_>, now: Ts) -> DbResult<()> {
    with_tx!(tx, c => {
        bind_audit!(sqlx::query(insert_audit_sql!()), a, now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Records an action that has no transaction of its own (a failed sign-in).
pub async fn insert_audit_now(db: &crate::Db, a: &NewAudit<'_>, now: Ts) -> DbResult<()> {
    with_pool!(db, p => {
        bind_audit!(sqlx::query(insert_audit_sql!()), a, now).execute(p).await?;
    });
    Ok(())
}

/// The workspace's most recent entries, newest first.
pub async fn list_audit(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<AuditEntry>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, AuditEntry>(
            "SELECT id, workspace_id, actor_type, actor_id, actor_label, action, target_type, target_id,
                    result, details, ip, created_at
             FROM audit_log WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(p)
        .await?
    }))
}
