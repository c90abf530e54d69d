//! Conversations (issue 20): the inbox's use cases, shared by the pages
//! and the JSON API — a member's reply on any channel ([`reply`]), what
//! arrives from contacts ([`inbound`]), and the conversation's own state
//! (assignee, open / closed, read).
//!
//! A conversation is a contact's thread: its id is the contact's id. The
//! `conversations` row follows every message written for the contact
//! (`af_db::conversations::touch`).

pub mod inbound;
pub mod reply;

use af_core::vocab::{ConversationStatus, EventKind};
use af_core::{Actor, ContactId, UserId, WorkspaceId};
use af_db::contacts::Contact;
use af_db::conversations::{self as store, Conversation};
use af_db::events::{NewEvent, insert_event};
use af_db::{Db, DbError, Ts};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// Nothing was changed: `(field, message)` pairs, messages in English.
    #[error("invalid request")]
    Invalid(Vec<(String, String)>),
    /// The reply may not be sent: a stable reason code (see
    /// [`reply::Refusal`]) with its explanation.
    #[error("{0}")]
    Refused(reply::Refusal),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ConversationError {
    /// The `(field, message)` pairs of a 422: an invalid field, or the
    /// refusal named by the field it is about.
    pub fn fields(&self) -> Vec<(String, String)> {
        match self {
            ConversationError::Invalid(f) => f.clone(),
            ConversationError::Refused(r) => vec![(r.field().to_string(), r.to_string())],
            _ => Vec::new(),
        }
    }
}

pub(crate) fn invalid(field: &str, msg: impl Into<String>) -> ConversationError {
    ConversationError::Invalid(vec![(field.to_string(), msg.into())])
}

/// A change of a conversation's state: `assignee_id` (a member's id, or
/// `null` for nobody) and `status` (`open` / `closed`); an absent field
/// keeps its value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationPatch {
    #[serde(deserialize_with = "crate::conversations::present")]
    pub assignee_id: Option<Option<UserId>>,
    pub status: Option<String>,
}

/// `Some(None)` for an explicit `null`, so it differs from absent.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A thread's contact and its conversation (none until the first
/// message: a member may write first). `NotFound` for a contact of
/// another workspace.
pub async fn thread_of(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
) -> Result<(Contact, Option<Conversation>), ConversationError> {
    let mut tx = db.begin().await?;
    let c = af_db::contacts::get_contact_tx(&mut tx, ws, contact)
        .await
        .map_err(not_found)?;
    let conversation = store::find_tx(&mut tx, ws, contact).await?;
    tx.commit().await?;
    Ok((c, conversation))
}

fn not_found(e: DbError) -> ConversationError {
    match e {
        DbError::NotFound(_) => ConversationError::NotFound,
        e => ConversationError::Db(e),
    }
}

/// Applies a [`ConversationPatch`] and writes `conversation.assigned` /
/// `conversation.status_changed` for what changed.
pub async fn update(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    patch: &ConversationPatch,
    actor: &Actor,
    now: Ts,
) -> Result<Conversation, ConversationError> {
    let status = match patch.status.as_deref() {
        None => None,
        Some(s) => Some(
            ConversationStatus::parse(s.trim())
                .ok_or_else(|| invalid("status", "status must be \"open\" or \"closed\""))?,
        ),
    };
    if let Some(Some(user)) = patch.assignee_id
        && af_db::workspaces::find_membership_role(db, ws, user)
            .await?
            .is_none()
    {
        return Err(invalid(
            "assignee_id",
            "assignee_id must be a member of this workspace",
        ));
    }
    let mut tx = db.begin().await?;
    af_db::contacts::get_contact_tx(&mut tx, ws, contact)
        .await
        .map_err(not_found)?;
    store::ensure(&mut tx, ws, contact, now).await?;
    let before = store::find_tx(&mut tx, ws, contact)
        .await?
        .ok_or(ConversationError::NotFound)?;
    let by = actor.label.clone();
    if let Some(assignee) = patch.assignee_id
        && assignee.map(|u| u.0) != before.assignee_id
    {
        store::set_assignee(&mut tx, ws, contact, assignee, now).await?;
        let data = serde_json::json!({
            "contact_id": contact, "assignee_id": assignee,
            "previous_assignee_id": before.assignee_id, "by": by,
        });
        write_event(
            &mut tx,
            ws,
            contact,
            EventKind::ConversationAssigned,
            actor,
            data,
            now,
        )
        .await?;
    }
    if let Some(status) = status
        && before.status != status
    {
        store::set_status(&mut tx, ws, contact, status, now).await?;
        let data = serde_json::json!({
            "contact_id": contact, "status": status.as_str(), "previous_status": before.status,
        });
        write_event(
            &mut tx,
            ws,
            contact,
            EventKind::ConversationStatusChanged,
            actor,
            data,
            now,
        )
        .await?;
    }
    let after = store::find_tx(&mut tx, ws, contact)
        .await?
        .ok_or(ConversationError::NotFound)?;
    tx.commit().await?;
    Ok(after)
}

/// The member opened the thread: its unread count goes to zero.
pub async fn mark_read(
    db: &Db,
    ws: WorkspaceId,
    contact: ContactId,
    now: Ts,
) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let changed = store::mark_read(&mut tx, ws, contact, now).await?;
    tx.commit().await?;
    Ok(changed)
}

async fn write_event(
    tx: &mut af_db::Tx,
    ws: WorkspaceId,
    contact: ContactId,
    kind: EventKind,
    actor: &Actor,
    data: serde_json::Value,
    now: Ts,
) -> Result<(), DbError> {
    let event = NewEvent {
        workspace: ws,
        kind: kind.as_str(),
        entity_type: "contact",
        entity_id: Some(contact.to_string()),
        actor,
        data,
    };
    insert_event(tx, &event, now).await?;
    Ok(())
}
