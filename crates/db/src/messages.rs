//! Messages recorded by channels. For now only the built-in outbox provider
//! exists: it records the message and shows it like a mail catcher.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{MessageId, WorkspaceId};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub workspace: WorkspaceId,
    pub channel: &'a str,
    pub provider: &'a str,
    pub to: &'a str,
    pub from: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// "system" (password reset, invitation) or "marketing" / "transactional".
    pub category: &'a str,
    pub status: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    #[sqlx(try_from = "Uuid")]
    pub id: MessageId,
    pub channel: String,
    pub provider: String,
    pub to_address: String,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub category: String,
    pub status: String,
    pub error: Option<String>,
    pub created_at: Ts,
}

macro_rules! message_columns {
    () => {
        "id, channel, provider, to_address, from_address, subject, body_text, body_html, category, status, error, created_at"
    };
}

pub async fn insert_message(tx: &mut Tx, m: &NewMessage<'_>, now: Ts) -> DbResult<MessageId> {
    let id = MessageId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, channel, provider, to_address, from_address, subject, body_text,
                                   body_html, category, status, attempts, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12)",
        )
        .bind(id.0)
        .bind(m.workspace.0)
        .bind(m.channel)
        .bind(m.provider)
        .bind(m.to)
        .bind(m.from)
        .bind(m.subject)
        .bind(m.body_text)
        .bind(m.body_html)
        .bind(m.category)
        .bind(m.status)
        .bind(now)
        .execute(&mut *c)
        .await?;
    });
    Ok(id)
}

pub async fn list_messages(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<Message>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(ws.0)
            .bind(limit)
            .fetch_all(p)
            .await?
    }))
}

pub async fn find_message(
    db: &crate::Db,
    ws: WorkspaceId,
    id: MessageId,
) -> DbResult<Option<Message>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(p)
            .await?
    }))
}
