//! Messages recorded by channels: every send, real or not, with its status.
//! Automation steps insert them `queued` (with an idempotency key per step
//! run, so a re-run never sends twice) and the send job moves them on.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::{Channel, MessageStatus};
use af_core::{MessageId, WorkspaceId};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub workspace: WorkspaceId,
    pub channel: Channel,
    pub provider: &'a str,
    pub to: &'a str,
    pub from: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    /// "system" (password reset, invitation) or "marketing" / "transactional".
    pub category: &'a str,
    pub status: MessageStatus,
    pub contact_id: Option<af_core::ContactId>,
    pub enrollment_id: Option<af_core::EnrollmentId>,
    pub step_id: Option<&'a str>,
    /// Unique per workspace: a second insert with the same key is a no-op.
    pub idempotency_key: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    #[sqlx(try_from = "Uuid")]
    pub id: MessageId,
    /// A [`Channel`] name.
    pub channel: String,
    pub provider: String,
    pub to_address: String,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub category: String,
    /// A [`MessageStatus`] name.
    pub status: String,
    pub error: Option<String>,
    pub created_at: Ts,
    pub contact_id: Option<Uuid>,
    pub enrollment_id: Option<Uuid>,
    pub provider_id: Option<String>,
    pub skip_reason: Option<String>,
    pub attempts: i32,
}

macro_rules! message_columns {
    () => {
        "id, channel, provider, to_address, from_address, subject, body_text, body_html, category, status, error, created_at, \
         contact_id, enrollment_id, provider_id, skip_reason, attempts"
    };
}
pub(crate) use message_columns;

/// An email queued to nobody, for `..Default::default()` in callers that
/// set what matters to them.
impl Default for NewMessage<'_> {
    fn default() -> Self {
        NewMessage {
            workspace: WorkspaceId::default(),
            channel: Channel::Email,
            provider: "",
            to: "",
            from: None,
            subject: None,
            body_text: "",
            body_html: None,
            category: "",
            status: MessageStatus::Queued,
            contact_id: None,
            enrollment_id: None,
            step_id: None,
            idempotency_key: None,
        }
    }
}

pub async fn insert_message(tx: &mut Tx, m: &NewMessage<'_>, now: Ts) -> DbResult<MessageId> {
    Ok(insert_message_once(tx, m, now)
        .await?
        .unwrap_or_else(MessageId::new))
}

/// Inserts unless a message with the same idempotency key exists; `None`
/// then (the step that sends it already ran).
pub async fn insert_message_once(
    tx: &mut Tx,
    m: &NewMessage<'_>,
    now: Ts,
) -> DbResult<Option<MessageId>> {
    let id = MessageId::new();
    let n = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, channel, provider, to_address, from_address, subject, body_text,
                                   body_html, category, status, attempts, created_at, updated_at, contact_id,
                                   enrollment_id, step_id, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12, $13, $14, $15, $16)
             ON CONFLICT DO NOTHING",
        )
        .bind(id.0)
        .bind(m.workspace.0)
        .bind(m.channel.as_str())
        .bind(m.provider)
        .bind(m.to)
        .bind(m.from)
        .bind(m.subject)
        .bind(m.body_text)
        .bind(m.body_html)
        .bind(m.category)
        .bind(m.status.as_str())
        .bind(now)
        .bind(m.contact_id.map(|c| c.0))
        .bind(m.enrollment_id.map(|e| e.0))
        .bind(m.step_id)
        .bind(m.idempotency_key)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if n == 0 {
        return Ok(None);
    }
    if let Some(contact) = m.contact_id
        && m.category != "system"
    {
        let touch = crate::conversations::Touch {
            channel: m.channel.as_str(),
            inbound: false,
            // The body, as mail apps show a snippet; a body-less message
            // (a WhatsApp template) by its subject, if any.
            text: Some(m.body_text)
                .filter(|b| !b.trim().is_empty())
                .or(m.subject)
                .unwrap_or_default(),
        };
        crate::conversations::touch(tx, m.workspace, contact, &touch, now).await?;
    }
    Ok(Some(id))
}

/// What a message written by a member carries besides a workflow's:
/// [`NewMessage`] stays the one insert, these are set right after it.
#[derive(Debug, Clone, Default)]
pub struct HandWritten<'a> {
    pub sent_by: Option<af_core::UserId>,
    /// Sent in quiet hours on purpose (the send job does not hold it).
    pub quiet_override: bool,
    /// A WhatsApp template (Twilio Content SID) and its variables (JSON).
    pub content_sid: Option<&'a str>,
    pub content_variables: Option<&'a str>,
    /// Our Message-ID (email) and the one it answers.
    pub email_message_id: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
}

pub async fn set_hand_written(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    h: &HandWritten<'_>,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE messages SET sent_by = $3, quiet_override = $4, content_sid = $5, content_variables = $6,
                                 email_message_id = $7, in_reply_to = $8
             WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(h.sent_by.map(|u| u.0)).bind(h.quiet_override)
            .bind(h.content_sid).bind(h.content_variables).bind(h.email_message_id).bind(h.in_reply_to)
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// Records the Message-ID an email went out with (a workflow's email gets
/// one at send time), so a reply's `In-Reply-To` finds its thread.
pub async fn set_email_message_id(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    message_id: &str,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE messages SET email_message_id = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(message_id).execute(&mut *c).await?;
    });
    Ok(())
}

/// The inbox's part of a queued message, for the send job.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct HandWrittenRow {
    pub quiet_override: bool,
    pub content_sid: Option<String>,
    pub content_variables: Option<String>,
    pub email_message_id: Option<String>,
    pub in_reply_to: Option<String>,
}

pub async fn hand_written(tx: &mut Tx, ws: WorkspaceId, id: MessageId) -> DbResult<HandWrittenRow> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, HandWrittenRow>(
            "SELECT quiet_override, content_sid, content_variables, email_message_id, in_reply_to
             FROM messages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .unwrap_or_default())
}

/// A message's new delivery state, after a send attempt or a callback.
#[derive(Debug, Clone)]
pub struct StatusUpdate<'a> {
    pub status: MessageStatus,
    pub provider: Option<&'a str>,
    pub provider_id: Option<&'a str>,
    pub error: Option<&'a str>,
    pub skip_reason: Option<&'a str>,
    /// Count this as one more send attempt.
    pub attempted: bool,
}

/// A status change that touches nothing else, for `..Default::default()`.
impl Default for StatusUpdate<'_> {
    fn default() -> Self {
        StatusUpdate {
            status: MessageStatus::Queued,
            provider: None,
            provider_id: None,
            error: None,
            skip_reason: None,
            attempted: false,
        }
    }
}

pub async fn update_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    u: &StatusUpdate<'_>,
    now: Ts,
) -> DbResult<()> {
    let row: Option<(String, Option<Uuid>, Option<String>)> = with_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE messages SET status = $3, provider = COALESCE($4, provider), provider_id = COALESCE($5, provider_id),
                    error = $6, skip_reason = $7, attempts = attempts + $8, updated_at = $9
             WHERE workspace_id = $1 AND id = $2
             RETURNING channel, contact_id, provider",
        )
        .bind(ws.0).bind(id.0).bind(u.status.as_str()).bind(u.provider).bind(u.provider_id).bind(u.error).bind(u.skip_reason)
        .bind(i32::from(u.attempted)).bind(now)
        .fetch_optional(&mut *c).await?
    });
    // The audit log's record of the send (or the vendor's answer): PAUTA's
    // actions_log line for an email, SMS, WhatsApp, call or Kommo sync.
    if let Some((channel, contact, provider)) = row {
        // Open threads show the new status.
        if let Some(c) = contact
            && crate::conversations::is_conversation_channel(&channel)
        {
            crate::live::notify_conversation_tx(tx, ws, af_core::ContactId(c)).await?;
        }
        let result = match u.status {
            MessageStatus::Failed | MessageStatus::Undelivered => "failed",
            MessageStatus::Skipped => "skipped",
            MessageStatus::Queued if u.attempted => "retry",
            _ => "ok",
        };
        tx.note_audit_with(&format!("message.{}", u.status.as_str()), || {
            crate::audit::AuditNote {
                workspace: ws,
                action: format!("message.{}", u.status.as_str()),
                target_type: Some("message".into()),
                target_id: Some(id.to_string()),
                actor: af_core::Actor::system(),
                result: result.into(),
                changes: Some(serde_json::json!({ "new": { "status": u.status.as_str() } })),
                channel: Some(channel),
                contact: contact.map(|c| c.to_string()),
                detail: serde_json::json!({
                    "provider": provider, "error": u.error, "skip_reason": u.skip_reason,
                    "attempted": u.attempted,
                }),
                at: now,
            }
        });
    }
    Ok(())
}

pub async fn find_message_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
) -> DbResult<Option<Message>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

/// Messages filtered by contact and channel, newest first, after the
/// keyset cursor `(created_at, id)` of the last row seen.
pub async fn search_messages(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: Option<af_core::ContactId>,
    channel: Option<&str>,
    before: Option<(Ts, Uuid)>,
    limit: i64,
) -> DbResult<Vec<Message>> {
    let (bt, bid) = before.unzip();
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND ($2 IS NULL OR contact_id = $2) AND ($3 IS NULL OR channel = $3)
               AND ($4 IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5))
             ORDER BY created_at DESC, id DESC LIMIT $6"))
            .bind(ws.0).bind(contact.map(|c| c.0)).bind(channel).bind(bt).bind(bid).bind(limit)
            .fetch_all(p)
            .await?
    }))
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

/// The workspace's latest message that `provider` answered for (sent,
/// delivered, failed…: not still queued nor skipped), for the channel
/// settings' state badge.
pub async fn latest_attempt(
    db: &crate::Db,
    ws: WorkspaceId,
    provider: &str,
) -> DbResult<Option<Message>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND provider = $2
              AND status NOT IN ('queued', 'sending', 'skipped')
              ORDER BY created_at DESC, id DESC LIMIT 1"))
            .bind(ws.0)
            .bind(provider)
            .fetch_optional(p)
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

/// Filters of the outbox page; each `None` is "any".
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxFilter<'a> {
    pub contact: Option<af_core::ContactId>,
    pub channel: Option<&'a str>,
    pub status: Option<&'a str>,
}

/// Like [`search_messages`], with a status filter too (the outbox page).
pub async fn search_outbox(
    db: &crate::Db,
    ws: WorkspaceId,
    f: &OutboxFilter<'_>,
    before: Option<(Ts, Uuid)>,
    limit: i64,
) -> DbResult<Vec<Message>> {
    let (bt, bid) = before.unzip();
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND ($2 IS NULL OR contact_id = $2) AND ($3 IS NULL OR channel = $3)
               AND ($4 IS NULL OR status = $4)
               AND ($5 IS NULL OR created_at < $5 OR (created_at = $5 AND id < $6))
             ORDER BY created_at DESC, id DESC LIMIT $7"))
            .bind(ws.0).bind(f.contact.map(|c| c.0)).bind(f.channel).bind(f.status).bind(bt).bind(bid).bind(limit)
            .fetch_all(p)
            .await?
    }))
}

// ------------------------------------------------------------ attachments

/// A file stored with a message (`message_attachments`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Stores a message's files, in order, in the caller's transaction.
pub async fn insert_attachments(
    tx: &mut Tx,
    ws: WorkspaceId,
    message: MessageId,
    files: &[StoredAttachment],
) -> DbResult<()> {
    for (i, f) in files.iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        with_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO message_attachments (message_id, workspace_id, position, filename, content_type, content)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(message.0).bind(ws.0).bind(position).bind(&f.filename).bind(&f.content_type)
            .bind(&f.content)
            .execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// A message's files, in order (the send job attaches them).
pub async fn list_attachments(
    db: &crate::Db,
    ws: WorkspaceId,
    message: MessageId,
) -> DbResult<Vec<StoredAttachment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, StoredAttachment>(
            "SELECT filename, content_type, content FROM message_attachments
             WHERE workspace_id = $1 AND message_id = $2 ORDER BY position")
            .bind(ws.0).bind(message.0).fetch_all(p).await?
    }))
}

/// A file of a message, without its bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileName {
    pub position: i32,
    pub filename: String,
    pub content_type: String,
}

/// The files of a message, in order, without their bytes.
pub async fn file_names(
    db: &crate::Db,
    ws: WorkspaceId,
    message: MessageId,
) -> DbResult<Vec<FileName>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, FileName>(
            "SELECT position, filename, content_type FROM message_attachments
             WHERE workspace_id = $1 AND message_id = $2 ORDER BY position")
            .bind(ws.0).bind(message.0).fetch_all(p).await?
    }))
}

/// One file of a message.
pub async fn file(
    db: &crate::Db,
    ws: WorkspaceId,
    message: MessageId,
    position: i32,
) -> DbResult<Option<StoredAttachment>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, StoredAttachment>(
            "SELECT filename, content_type, content FROM message_attachments
             WHERE workspace_id = $1 AND message_id = $2 AND position = $3")
            .bind(ws.0).bind(message.0).bind(position).fetch_optional(p).await?
    }))
}
