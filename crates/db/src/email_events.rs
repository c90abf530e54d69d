//! Email engagement: the vendor events already handled (so a replayed
//! webhook is a no-op) and the addresses marketing email is no longer sent
//! to (hard bounce, spam report). See migration 0024.

use crate::messages::{Message, message_columns};
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{MessageId, WorkspaceId};

/// A vendor event as stored.
#[derive(Debug, Clone)]
pub struct NewEmailEvent<'a> {
    pub workspace: WorkspaceId,
    pub provider: &'a str,
    pub key: &'a str,
    pub message: Option<MessageId>,
    pub event: &'a str,
    pub occurred_at: Option<Ts>,
}

/// Records a vendor event; `false` when its key was already recorded (a
/// replay: the caller does nothing more).
pub async fn insert_event_once(tx: &mut Tx, e: &NewEmailEvent<'_>, now: Ts) -> DbResult<bool> {
    let (ws, provider, key, message, event, occurred_at) = (
        e.workspace,
        e.provider,
        e.key,
        e.message,
        e.event,
        e.occurred_at,
    );
    let n = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO email_events (workspace_id, provider, event_key, message_id, event, occurred_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(ws.0).bind(provider).bind(key).bind(message.map(|m| m.0)).bind(event).bind(occurred_at).bind(now)
        .execute(&mut *c).await?
        .rows_affected()
    });
    Ok(n > 0)
}

/// How many events of a workspace were recorded (tests, diagnostics).
pub async fn count_events(db: &crate::Db, ws: WorkspaceId) -> DbResult<i64> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM email_events WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(p).await?
    }))
}

/// The outbound email an event is about: by our id, else by the vendor's
/// message id (what the send stored).
pub async fn find_email_message(
    tx: &mut Tx,
    ws: WorkspaceId,
    ours: Option<MessageId>,
    provider_id: Option<&str>,
) -> DbResult<Option<Message>> {
    if let Some(id) = ours
        && let Some(m) = crate::messages::find_message_tx(tx, ws, id).await?
        && m.channel == "email"
    {
        return Ok(Some(m));
    }
    let Some(pid) = provider_id.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND provider_id = $2 AND channel = 'email'
              ORDER BY created_at DESC LIMIT 1"))
            .bind(ws.0).bind(pid).fetch_optional(&mut *c).await?
    }))
}

/// Why marketing email is not sent to an address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Suppression {
    /// `hard_bounce` or `spam`.
    pub reason: String,
    pub provider: String,
    pub detail: Option<String>,
    pub created_at: Ts,
}

/// An address to stop sending marketing email to.
#[derive(Debug, Clone)]
pub struct NewSuppression<'a> {
    pub workspace: WorkspaceId,
    pub email: &'a str,
    /// `hard_bounce` or `spam`.
    pub reason: &'a str,
    pub provider: &'a str,
    pub detail: Option<&'a str>,
    pub message: Option<MessageId>,
}

/// Stops marketing email to an address (the first reason stays).
pub async fn suppress(tx: &mut Tx, s: &NewSuppression<'_>, now: Ts) -> DbResult<()> {
    let (ws, reason, provider, detail, message) =
        (s.workspace, s.reason, s.provider, s.detail, s.message);
    let email = s.email.trim().to_lowercase();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO email_suppressions (workspace_id, email, reason, provider, detail, message_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(ws.0).bind(&email).bind(reason).bind(provider).bind(detail).bind(message.map(|m| m.0)).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(())
}

/// The suppression of an address, in a transaction (the send path).
pub async fn suppression_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    email: &str,
) -> DbResult<Option<Suppression>> {
    let email = email.trim().to_lowercase();
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Suppression>(
            "SELECT reason, provider, detail, created_at FROM email_suppressions
             WHERE workspace_id = $1 AND email = $2")
            .bind(ws.0).bind(&email).fetch_optional(&mut *c).await?
    }))
}

/// The suppression of an address (the contact page).
pub async fn suppression(
    db: &crate::Db,
    ws: WorkspaceId,
    email: &str,
) -> DbResult<Option<Suppression>> {
    let email = email.trim().to_lowercase();
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Suppression>(
            "SELECT reason, provider, detail, created_at FROM email_suppressions
             WHERE workspace_id = $1 AND email = $2")
            .bind(ws.0).bind(&email).fetch_optional(p).await?
    }))
}

/// The skip reason stored on a message not sent because of `reason`
/// (translated where messages are shown).
pub fn skip_reason(reason: &str) -> &'static str {
    match reason {
        "spam" => "the contact reported our email as spam",
        _ => "the address bounced (hard bounce)",
    }
}
