//! Which workflows listen to which event kinds (`workflow_listeners`), and
//! the automation rows of the event subscription index.

use crate::{DbResult, Tx, with_tx};
use af_core::{WorkflowId, WorkspaceId};
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

pub(super) async fn replace_listeners(
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
pub(super) async fn refresh_subscriptions(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    let kinds: Vec<String> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT DISTINCT event_kind FROM automation_listeners WHERE workspace_id = $1 ORDER BY event_kind")
            .bind(ws.0).fetch_all(&mut *c).await?
    });
    crate::subscriptions::replace(tx, ws, af_core::events::Subscriber::Automations, &kinds).await
}
