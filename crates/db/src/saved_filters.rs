//! Saved contact-list filters: a name and the list's query string, kept per
//! user so everyone's sidebar holds only their own views.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{SavedFilterId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SavedFilter {
    #[sqlx(try_from = "Uuid")]
    pub id: SavedFilterId,
    pub name: String,
    /// The contact list's query string (`q=...&tag=...`), without a cursor.
    pub query: String,
    pub created_at: Ts,
}

/// Saves a filter for `user`. The caller validates the name and query.
pub async fn insert_saved_filter(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    name: &str,
    query: &str,
    now: Ts,
) -> DbResult<SavedFilterId> {
    let id = SavedFilterId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO saved_filters (id, workspace_id, user_id, name, query, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0).bind(ws.0).bind(user.0).bind(name).bind(query).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(id)
}

/// The user's saved filters in this workspace, by name.
pub async fn list_saved_filters(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
) -> DbResult<Vec<SavedFilter>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, SavedFilter>(
            "SELECT id, name, query, created_at FROM saved_filters
             WHERE workspace_id = $1 AND user_id = $2 ORDER BY name, id",
        )
        .bind(ws.0).bind(user.0).fetch_all(p).await?
    }))
}

/// Deletes one of the user's filters; false when there is none (another
/// workspace's or another user's id included).
pub async fn delete_saved_filter(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    id: SavedFilterId,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("DELETE FROM saved_filters WHERE workspace_id = $1 AND user_id = $2 AND id = $3")
            .bind(ws.0).bind(user.0).bind(id.0).execute(&mut *c).await?.rows_affected()
    }) > 0)
}
