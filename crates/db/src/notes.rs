//! Notes on contacts: free text a user leaves on a contact. Adding one
//! writes `note.added` in the same transaction, so automations see it and the
//! contact's last activity moves.

use crate::events::{NewEvent, insert_event};
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, NoteId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// A note with its author's name (when the author still exists).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Note {
    #[sqlx(try_from = "Uuid")]
    pub id: NoteId,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: Ts,
}

/// Longest note body accepted (characters).
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Adds a note to a contact of this workspace (NotFound otherwise) and
/// writes `note.added`. The caller validates the body (trimmed, not empty).
pub async fn insert_note(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    author: Option<UserId>,
    body: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<NoteId> {
    crate::contacts::get_contact_tx(tx, ws, contact).await?;
    let id = NoteId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO notes (id, workspace_id, contact_id, author_id, body, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.0).bind(ws.0).bind(contact.0).bind(author.map(|a| a.0)).bind(body).bind(now)
        .execute(&mut *c).await?;
        sqlx::query("UPDATE contacts SET last_activity_at = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).bind(now)
            .execute(&mut *c).await?;
    });
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::NoteAdded.as_str(),
        entity_type: "contact",
        entity_id: Some(contact.to_string()),
        actor,
        data: serde_json::json!({ "note_id": id, "body": body }),
    };
    insert_event(tx, &event, now).await?;
    Ok(id)
}

/// The notes of a contact, newest first.
pub async fn list_notes(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    limit: i64,
) -> DbResult<Vec<Note>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Note>(
            "SELECT n.id, n.contact_id, n.author_id, u.name AS author_name, n.body, n.created_at
             FROM notes n LEFT JOIN users u ON u.id = n.author_id
             WHERE n.workspace_id = $1 AND n.contact_id = $2
             ORDER BY n.created_at DESC, n.id DESC LIMIT $3",
        )
        .bind(ws.0).bind(contact.0).bind(limit)
        .fetch_all(p).await?
    }))
}
