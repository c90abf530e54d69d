//! The inbox (issue 20): one conversation per contact across channels.
//! A thread is the contact's messages (`messages.contact_id`); the
//! `conversations` row is what the inbox lists: status, assignee, unread
//! inbound messages and the latest message's preview.
//!
//! Every message row written for a contact moves its conversation
//! ([`touch`], called by `messages::insert_message_once` and
//! `channels::insert_inbound_message` in the same transaction), so no path
//! that sends or receives can leave the inbox behind.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::{Channel, ConversationStatus};
use af_core::{ContactId, MessageId, UserId, WorkspaceId};
use uuid::Uuid;

/// Characters of a message kept as the inbox preview.
pub const PREVIEW_CHARS: usize = 140;

/// A message that moves a conversation.
#[derive(Debug, Clone, Copy)]
pub struct Touch<'a> {
    pub channel: &'a str,
    pub inbound: bool,
    pub text: &'a str,
}

/// Whether messages on this channel belong in the inbox (Kommo syncs and
/// workflow webhooks do not reach the contact).
pub fn is_conversation_channel(channel: &str) -> bool {
    matches!(
        Channel::parse(channel),
        Some(Channel::Email | Channel::Sms | Channel::WhatsApp | Channel::Voice)
    )
}

/// The first [`PREVIEW_CHARS`] characters of a body on one line.
pub fn preview(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(PREVIEW_CHARS) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// Creates or moves the contact's conversation: the latest message, and
/// for an inbound one an unread more and the conversation open again.
pub async fn touch(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    t: &Touch<'_>,
    now: Ts,
) -> DbResult<()> {
    if !is_conversation_channel(t.channel) {
        return Ok(());
    }
    let direction = if t.inbound { "inbound" } else { "outbound" };
    let unread: i32 = t.inbound.into();
    let text = preview(t.text);
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO conversations (workspace_id, contact_id, status, unread, last_message_at, last_channel,
                                        last_direction, last_preview, created_at, updated_at)
             VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $4, $4)
             ON CONFLICT (workspace_id, contact_id) DO UPDATE SET
                 unread = conversations.unread + excluded.unread,
                 status = CASE WHEN excluded.unread > 0 THEN 'open' ELSE conversations.status END,
                 last_message_at = excluded.last_message_at,
                 last_channel = excluded.last_channel,
                 last_direction = excluded.last_direction,
                 last_preview = excluded.last_preview,
                 updated_at = excluded.updated_at",
        )
        .bind(ws.0).bind(contact.0).bind(unread).bind(now).bind(t.channel).bind(direction).bind(&text)
        .execute(&mut *c).await?;
    });
    crate::live::notify_conversation_tx(tx, ws, contact).await
}

/// Gives the contact a conversation if she has none (a member assigns or
/// closes one before any message): empty, dated now.
pub async fn ensure(tx: &mut Tx, ws: WorkspaceId, contact: ContactId, now: Ts) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO conversations (workspace_id, contact_id, status, unread, last_message_at, created_at, updated_at)
             VALUES ($1, $2, 'open', 0, $3, $3, $3) ON CONFLICT (workspace_id, contact_id) DO NOTHING")
            .bind(ws.0).bind(contact.0).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// One row of the inbox, with its contact's name and addresses.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversation {
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    /// A [`ConversationStatus`] name.
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub unread: i32,
    pub last_message_at: Ts,
    pub last_channel: Option<String>,
    pub last_direction: Option<String>,
    pub last_preview: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub owner_id: Option<Uuid>,
    pub sms_opted_out: bool,
}

impl Conversation {
    pub fn contact_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        if !name.is_empty() {
            return name.to_string();
        }
        self.email
            .clone()
            .or_else(|| self.phone.clone())
            .unwrap_or_default()
    }
}

macro_rules! conversation_select {
    () => {
        "SELECT c.contact_id, c.status, c.assignee_id, u.name AS assignee_name, c.unread, c.last_message_at,
                c.last_channel, c.last_direction, c.last_preview, k.first_name, k.last_name, k.email, k.phone,
                k.owner_id, k.sms_opted_out
         FROM conversations c
         JOIN contacts k ON k.workspace_id = c.workspace_id AND k.id = c.contact_id
         LEFT JOIN users u ON u.id = c.assignee_id
         WHERE c.workspace_id = $1 "
    };
}

/// Whose conversations a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Unassigned,
    Member(UserId),
}

/// The inbox's filters. Empty / default values filter nothing.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<ConversationStatus>,
    pub assignee: AssigneeFilter,
    pub unread_only: bool,
    /// Only conversations with at least one message on this channel.
    pub channel: Option<Channel>,
    /// Words (folded with `af_core::search::fold`) that must all appear in
    /// the contact's name, email, phone or company; at most three count.
    pub words: Vec<String>,
}

/// A page of the inbox, latest activity first: those before `after` (the
/// `(last_message_at, contact_id)` of the previous page's last row).
pub async fn list(
    db: &crate::Db,
    ws: WorkspaceId,
    f: &ListFilter,
    after: Option<(Ts, ContactId)>,
    limit: i64,
) -> DbResult<Vec<Conversation>> {
    let (at, id) = after.map_or((Ts::new(jiff::Timestamp::MAX), Uuid::max()), |(t, i)| {
        (t, i.0)
    });
    let status = f.status.map_or("", |s| s.as_str());
    let (mode, member) = match f.assignee {
        AssigneeFilter::Anyone => ("any", None),
        AssigneeFilter::Unassigned => ("none", None),
        AssigneeFilter::Member(u) => ("user", Some(u.0)),
    };
    let unread_only: i64 = f.unread_only.into();
    let channel = f.channel.map_or("", |c| c.as_str());
    let like = |i: usize| {
        f.words
            .get(i)
            .map_or_else(|| "%".to_string(), |w| format!("%{}%", escape_like(w)))
    };
    let (w1, w2, w3) = (like(0), like(1), like(2));
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Conversation>(concat!(conversation_select!(),
            "AND ($2 = '' OR c.status = $2)
             AND ($3 = 'any' OR ($3 = 'none' AND c.assignee_id IS NULL) OR ($3 = 'user' AND c.assignee_id = $4))
             AND ($5 = 0 OR c.unread > 0)
             AND ($6 = '' OR EXISTS (SELECT 1 FROM messages m WHERE m.workspace_id = c.workspace_id
                                     AND m.contact_id = c.contact_id AND m.channel = $6))
             AND k.search_text LIKE $7 ESCAPE '\\' AND k.search_text LIKE $8 ESCAPE '\\'
             AND k.search_text LIKE $9 ESCAPE '\\'
             AND (c.last_message_at < $10 OR (c.last_message_at = $10 AND c.contact_id < $11))
             ORDER BY c.last_message_at DESC, c.contact_id DESC LIMIT $12"))
            .bind(ws.0).bind(status).bind(mode).bind(member).bind(unread_only).bind(channel)
            .bind(&w1).bind(&w2).bind(&w3).bind(at).bind(id).bind(limit)
            .fetch_all(p).await?
    }))
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The contact's conversation, if it has one.
pub async fn find(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<Conversation>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Conversation>(concat!(conversation_select!(), "AND c.contact_id = $2"))
            .bind(ws.0).bind(contact.0).fetch_optional(p).await?
    }))
}

/// [`find`] inside a transaction.
pub async fn find_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<Conversation>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Conversation>(concat!(conversation_select!(), "AND c.contact_id = $2"))
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    }))
}

/// The channels each of these contacts' threads use (for the list).
pub async fn channels_of(
    db: &crate::Db,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> DbResult<Vec<(ContactId, String)>> {
    let mut out = Vec::new();
    // One statement per contact keeps the text fixed; a page is at most 500
    // rows and each is one range of messages_contact_idx.
    for contact in contacts {
        let rows: Vec<String> = with_pool!(db, p => {
            sqlx::query_scalar(
                "SELECT DISTINCT channel FROM messages WHERE workspace_id = $1 AND contact_id = $2")
                .bind(ws.0).bind(contact.0).fetch_all(p).await?
        });
        out.extend(
            rows.into_iter()
                .filter(|c| is_conversation_channel(c))
                .map(|c| (*contact, c)),
        );
    }
    Ok(out)
}

/// Inbound messages nobody has read, over the workspace's open
/// conversations (the navigation badge).
pub async fn unread_total(db: &crate::Db, ws: WorkspaceId) -> DbResult<i64> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND unread > 0 AND status = 'open'")
            .bind(ws.0).fetch_one(p).await?
    }))
}

/// Marks the thread read; `true` when something was unread.
pub async fn mark_read(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    now: Ts,
) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE conversations SET unread = 0, updated_at = $3
             WHERE workspace_id = $1 AND contact_id = $2 AND unread > 0")
            .bind(ws.0).bind(contact.0).bind(now).execute(&mut *c).await?.rows_affected()
    });
    if n > 0 {
        crate::live::notify_conversation_tx(tx, ws, contact).await?;
    }
    Ok(n > 0)
}

/// Sets the assignee (`None` = nobody).
pub async fn set_assignee(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    assignee: Option<UserId>,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE conversations SET assignee_id = $3, updated_at = $4 WHERE workspace_id = $1 AND contact_id = $2")
            .bind(ws.0).bind(contact.0).bind(assignee.map(|u| u.0)).bind(now).execute(&mut *c).await?;
    });
    crate::live::notify_conversation_tx(tx, ws, contact).await
}

/// Opens or closes the conversation.
pub async fn set_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    status: ConversationStatus,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE conversations SET status = $3, updated_at = $4 WHERE workspace_id = $1 AND contact_id = $2")
            .bind(ws.0).bind(contact.0).bind(status.as_str()).bind(now).execute(&mut *c).await?;
    });
    crate::live::notify_conversation_tx(tx, ws, contact).await
}

/// One message of a thread, with who or what sent it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ThreadMessage {
    #[sqlx(try_from = "Uuid")]
    pub id: MessageId,
    pub channel: String,
    pub direction: String,
    /// A `MessageStatus` name (`received` for inbound).
    pub status: String,
    pub subject: Option<String>,
    pub body_text: String,
    pub error: Option<String>,
    pub skip_reason: Option<String>,
    pub created_at: Ts,
    pub updated_at: Ts,
    pub category: String,
    pub from_address: Option<String>,
    pub to_address: String,
    pub content_sid: Option<String>,
    pub sent_by_name: Option<String>,
    pub workflow_id: Option<Uuid>,
    pub workflow_name: Option<String>,
    pub attachments: i64,
}

macro_rules! thread_select {
    () => {
        "SELECT m.id, m.channel, m.direction, m.status, m.subject, m.body_text, m.error, m.skip_reason,
                m.created_at, m.updated_at, m.category, m.from_address, m.to_address, m.content_sid,
                u.name AS sent_by_name, w.id AS workflow_id, w.name AS workflow_name,
                (SELECT COUNT(*) FROM message_attachments a WHERE a.message_id = m.id) AS attachments
         FROM messages m
         LEFT JOIN users u ON u.id = m.sent_by
         LEFT JOIN enrollments e ON e.workspace_id = m.workspace_id AND e.id = m.enrollment_id
         LEFT JOIN workflows w ON w.workspace_id = e.workspace_id AND w.id = e.workflow_id
         WHERE m.workspace_id = $1 AND m.contact_id = $2
           AND m.channel IN ('email', 'sms', 'whatsapp', 'voice') AND m.category <> 'system' "
    };
}

/// A page of a thread, newest first: messages before `before` (the
/// `(created_at, id)` of the previous page's oldest row).
pub async fn thread(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    before: Option<(Ts, MessageId)>,
    limit: i64,
) -> DbResult<Vec<ThreadMessage>> {
    let (at, id) = before.map_or((Ts::new(jiff::Timestamp::MAX), Uuid::max()), |(t, i)| {
        (t, i.0)
    });
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ThreadMessage>(concat!(thread_select!(),
            "AND (m.created_at < $3 OR (m.created_at = $3 AND m.id < $4))
             ORDER BY m.created_at DESC, m.id DESC LIMIT $5"))
            .bind(ws.0).bind(contact.0).bind(at).bind(id).bind(limit).fetch_all(p).await?
    }))
}

/// One message of the contact's thread.
pub async fn thread_message(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
    id: MessageId,
) -> DbResult<Option<ThreadMessage>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ThreadMessage>(concat!(thread_select!(), "AND m.id = $3"))
            .bind(ws.0).bind(contact.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// When the contact last wrote on `channel` (WhatsApp's 24-hour
/// customer-service window opens with each of her messages).
pub async fn last_inbound_at(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    channel: Channel,
) -> DbResult<Option<Ts>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar::<_, Ts>(
            "SELECT created_at FROM messages
             WHERE workspace_id = $1 AND contact_id = $2 AND channel = $3 AND direction = 'inbound'
             ORDER BY created_at DESC LIMIT 1")
            .bind(ws.0).bind(contact.0).bind(channel.as_str()).fetch_optional(&mut *c).await?
    }))
}

/// The email threading ids of the contact's latest email with one: its
/// own Message-ID, so a reply names it in `In-Reply-To` / `References`.
pub async fn latest_email_message_id(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<(String, Option<String>)>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT email_message_id, subject FROM messages
             WHERE workspace_id = $1 AND contact_id = $2 AND channel = 'email' AND email_message_id IS NOT NULL
             ORDER BY created_at DESC LIMIT 1")
            .bind(ws.0).bind(contact.0).fetch_optional(&mut *c).await?
    }))
}

/// The contact whose email carries this Message-ID (an inbound reply's
/// `In-Reply-To`).
pub async fn contact_by_email_message_id(
    tx: &mut Tx,
    ws: WorkspaceId,
    message_id: &str,
) -> DbResult<Option<ContactId>> {
    let id: Option<Option<Uuid>> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT contact_id FROM messages WHERE workspace_id = $1 AND email_message_id = $2
             ORDER BY created_at DESC LIMIT 1")
            .bind(ws.0).bind(message_id).fetch_optional(&mut *c).await?
    });
    Ok(id.flatten().map(ContactId))
}
