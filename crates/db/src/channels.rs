//! Channel settings of a workspace (its own provider credentials, sealed by
//! the caller, and its quiet hours) and the message queries the channel
//! jobs and Twilio webhooks need: lookup by the vendor's id, inbound
//! messages, Kommo results.

use crate::messages::Message;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{ContactId, MessageId, WorkspaceId};

/// A workspace's stored channel settings.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct ChannelSettings {
    /// `af_channels::WorkspaceCredentials` as JSON, sealed with the server key.
    pub credentials_sealed: Option<String>,
    /// `HH:MM-HH:MM`; `None` means the server default.
    pub quiet_hours: Option<String>,
}

pub async fn find_channel_settings(
    db: &crate::Db,
    ws: WorkspaceId,
) -> DbResult<Option<ChannelSettings>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ChannelSettings>(
            "SELECT credentials_sealed, quiet_hours FROM channel_settings WHERE workspace_id = $1")
            .bind(ws.0).fetch_optional(p).await?
    }))
}

/// Replaces the workspace's settings (sealed credentials and quiet hours).
pub async fn save_channel_settings(
    tx: &mut Tx,
    ws: WorkspaceId,
    s: &ChannelSettings,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO channel_settings (workspace_id, credentials_sealed, quiet_hours, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id) DO UPDATE SET credentials_sealed = $2, quiet_hours = $3, updated_at = $4")
            .bind(ws.0).bind(s.credentials_sealed.as_deref()).bind(s.quiet_hours.as_deref()).bind(now)
            .execute(&mut *c).await?;
    });
    Ok(())
}

macro_rules! message_columns {
    () => {
        "id, channel, provider, to_address, from_address, subject, body_text, body_html, category, status, error, created_at, \
         contact_id, enrollment_id, provider_id, skip_reason, attempts"
    };
}

/// The outbound message a vendor knows by `provider_id` (Twilio's SID).
pub async fn find_message_by_provider_id(
    tx: &mut Tx,
    ws: WorkspaceId,
    provider_id: &str,
) -> DbResult<Option<Message>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND provider_id = $2 AND direction = 'outbound'
              ORDER BY created_at DESC LIMIT 1"))
            .bind(ws.0).bind(provider_id).fetch_optional(&mut *c).await?
    }))
}

/// An inbound SMS / WhatsApp message.
#[derive(Debug, Clone)]
pub struct InboundMessage<'a> {
    pub workspace: WorkspaceId,
    /// `twilio`, `sendgrid`, `brevo`.
    pub provider: &'a str,
    pub channel: &'a str,
    /// An email's subject.
    pub subject: Option<&'a str>,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub contact_id: Option<ContactId>,
    /// The vendor's id; a second delivery of the same id is a no-op.
    pub provider_id: &'a str,
}

/// Stores an inbound message (`received`, direction `inbound`); `None` when
/// the same vendor message was stored already (Twilio retries webhooks).
pub async fn insert_inbound_message(
    tx: &mut Tx,
    m: &InboundMessage<'_>,
    now: Ts,
) -> DbResult<Option<MessageId>> {
    let id = MessageId::new();
    // Twilio's SIDs as before; an email's Message-ID in a space of its own.
    let key = if m.channel == "email" {
        format!("inbound:email:{}", m.provider_id)
    } else {
        format!("inbound:{}", m.provider_id)
    };
    let n = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO messages (id, workspace_id, channel, provider, to_address, from_address, body_text, category,
                                   status, attempts, created_at, updated_at, contact_id, provider_id, idempotency_key,
                                   direction, subject)
             VALUES ($1, $2, $3, $11, $4, $5, $6, 'inbound', 'received', 0, $7, $7, $8, $9, $10, 'inbound', $12)
             ON CONFLICT DO NOTHING")
            .bind(id.0).bind(m.workspace.0).bind(m.channel).bind(m.to).bind(m.from).bind(m.body).bind(now)
            .bind(m.contact_id.map(|c| c.0)).bind(m.provider_id).bind(key).bind(m.provider).bind(m.subject)
            .execute(&mut *c).await?.rows_affected()
    });
    if n == 0 {
        return Ok(None);
    }
    if let Some(contact) = m.contact_id {
        let touch = crate::conversations::Touch {
            channel: m.channel,
            inbound: true,
            text: m.body,
        };
        crate::conversations::touch(tx, m.workspace, contact, &touch, now).await?;
    }
    Ok(Some(id))
}

/// The message's direction (`outbound` or `inbound`).
pub async fn message_direction(
    db: &crate::Db,
    ws: WorkspaceId,
    id: MessageId,
) -> DbResult<Option<String>> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar::<_, String>("SELECT direction FROM messages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// Records what Kommo returned for a sync message.
pub async fn set_external_ids(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    external_ids: &serde_json::Value,
    merged: bool,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE messages SET external_ids = $3, merged = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(external_ids.to_string()).bind(merged).bind(now)
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// Kommo ids and the merged flag of a sync message.
pub async fn find_external_ids(
    db: &crate::Db,
    ws: WorkspaceId,
    id: MessageId,
) -> DbResult<Option<(Option<String>, Option<bool>)>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, (Option<String>, Option<bool>)>(
            "SELECT external_ids, merged FROM messages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// The enrolment and step that queued a message (both `None` for messages
/// not sent by a workflow).
pub async fn message_origin(
    db: &crate::Db,
    ws: WorkspaceId,
    id: MessageId,
) -> DbResult<Option<(Option<uuid::Uuid>, Option<String>)>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, (Option<uuid::Uuid>, Option<String>)>(
            "SELECT enrollment_id, step_id FROM messages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// Sets the contact's own IANA time zone (quiet hours and local waits use
/// it before the workspace's).
pub async fn set_contact_time_zone(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    zone: Option<&str>,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE contacts SET time_zone = $3 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(contact.0).bind(zone)
            .execute(&mut *c).await?;
    });
    Ok(())
}
