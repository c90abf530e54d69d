//! Live updates: a small publish/subscribe that works across several
//! `serve` processes, so a user sees a card another user moved, or a new
//! notification in the bell, within a second without reloading.
//!
//! Three payloads travel the same path ([`Payload`], tagged `"t"` in JSON):
//! board events ([`LiveEvent`], a deal moved or created), notification
//! events ([`NotificationEvent`], "this member of this workspace has
//! something new in the bell") and conversation events
//! ([`ConversationEvent`], "this contact's thread changed").
//!
//! - PostgreSQL: the change's transaction calls [`notify_tx`], which queues
//!   `pg_notify('af_live', payload)`. The server delivers it to every
//!   listening connection when, and only when, the transaction commits. Each
//!   process runs one `LISTEN af_live` connection per database ([`Hub`]) and
//!   rebroadcasts to its local subscribers (a tokio broadcast channel). The
//!   process that made the change hears its own NOTIFY too, so there is one
//!   delivery path.
//! - SQLite: one process owns the file, so [`notify_tx`] records the event
//!   in the transaction and [`Tx::commit`] hands it to the local
//!   subscribers after the commit. (Never before the commit: a subscriber
//!   fetching the card would still read the old row.)
//!
//! Either way the caller's whole duty is [`notify_tx`] inside its
//! transaction.
//!
//! Payloads are ids and a position (well under PostgreSQL's 8000-byte NOTIFY
//! limit); subscribers fetch what they show. Nothing here is state another
//! node needs: a hub only knows who listens in this process.

use crate::{Db, DbResult, Tx};
use af_core::{ContactId, DealId, PipelineId, StageId, UserId, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::{Arc, OnceLock, Weak};
use tokio::sync::broadcast;

/// The PostgreSQL `LISTEN`/`NOTIFY` channel of live board events.
pub const CHANNEL: &str = "af_live";

/// How many events a slow subscriber may fall behind before it is told to
/// resynchronise ([`Recv::Resync`]).
const CAPACITY: usize = 1024;

/// What happened to a deal, for boards showing its pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveKind {
    /// Moved to another stage or within its stage.
    Moved,
    /// Created (appears on the board).
    Created,
}

/// One live event. Small on purpose: ids and the new position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub workspace_id: WorkspaceId,
    pub pipeline_id: PipelineId,
    pub deal_id: DealId,
    pub kind: LiveKind,
    /// The stage it left (`None` for a new deal).
    pub from_stage: Option<StageId>,
    pub to_stage: StageId,
    /// Its fractional position in `to_stage` (cards sort by position, id).
    pub position: f64,
}

/// Something new in one member's bell: subscribers showing that member's
/// pages in that workspace read the unread count again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationEvent {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
}

/// A contact's conversation moved: a message in or out, a delivery
/// status, read, assigned, closed. Open inboxes and threads of that
/// workspace reload what they show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationEvent {
    pub workspace_id: WorkspaceId,
    pub contact_id: ContactId,
}

/// What travels on the channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Payload {
    Deal(LiveEvent),
    Notification(NotificationEvent),
    Conversation(ConversationEvent),
}

impl Payload {
    /// Reads a NOTIFY payload. A bare [`LiveEvent`] (what nodes wrote before
    /// payloads were tagged) still reads, so a rolling deploy loses nothing.
    fn parse(text: &str) -> Result<Payload, serde_json::Error> {
        serde_json::from_str::<Payload>(text).or_else(|e| {
            serde_json::from_str::<LiveEvent>(text)
                .map(Payload::Deal)
                .map_err(|_| e)
        })
    }
}

/// Publishes `ev` when `tx` commits (dropped if it rolls back). PostgreSQL:
/// queues a NOTIFY that reaches every process. SQLite: [`Tx::commit`] hands
/// it to this process's subscribers.
pub async fn notify_tx(tx: &mut Tx, ev: &LiveEvent) -> DbResult<()> {
    publish_tx(tx, Payload::Deal(ev.clone())).await
}

/// [`notify_tx`] for a notification of `user` in `ws` (the bell refreshes).
pub async fn notify_user_tx(tx: &mut Tx, ws: WorkspaceId, user: UserId) -> DbResult<()> {
    let ev = NotificationEvent {
        workspace_id: ws,
        user_id: user,
    };
    publish_tx(tx, Payload::Notification(ev)).await
}

/// [`notify_tx`] for a change in `contact`'s conversation.
pub async fn notify_conversation_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<()> {
    let ev = ConversationEvent {
        workspace_id: ws,
        contact_id: contact,
    };
    publish_tx(tx, Payload::Conversation(ev)).await
}

async fn publish_tx(tx: &mut Tx, payload: Payload) -> DbResult<()> {
    match &mut tx.conn {
        crate::TxConn::Pg(t) => {
            let text = serde_json::to_string(&payload).unwrap_or_default();
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(text)
                .execute(&mut **t)
                .await?;
        }
        crate::TxConn::Sqlite(_) => tx.publish_after_commit(payload),
    }
    Ok(())
}

/// SQLite: hands committed events to this process's subscribers of `db`
/// ([`Tx::commit`] calls it). PostgreSQL: nothing to do, the NOTIFYs queued
/// by [`notify_tx`] reach every process, this one included.
pub(crate) fn publish_local(db: &Db, events: Vec<Payload>) {
    if events.is_empty() || !matches!(db, Db::Sqlite(_)) {
        return;
    }
    if let Some(hub) = shared_hub(&db_key(db)) {
        for ev in events {
            hub.send(Msg::Payload(ev));
        }
    }
}

#[derive(Debug, Clone)]
enum Msg {
    Payload(Payload),
    /// Events may have been lost (the listening connection dropped).
    Resync,
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Recv {
    /// A board event.
    Event(LiveEvent),
    /// A member has something new in the bell.
    Notification(NotificationEvent),
    /// A conversation changed.
    Conversation(ConversationEvent),
    /// Events may have been missed (this subscriber fell behind, or the
    /// PostgreSQL listener reconnected): reload what is shown.
    Resync,
    /// The hub stopped (its database pool closed).
    Closed,
}

/// One process's fan-out point for one database: the broadcast channel and,
/// on PostgreSQL, the task holding the `LISTEN` connection. Stops listening
/// when dropped.
pub struct Hub {
    tx: broadcast::Sender<Msg>,
    listener: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(task) = self.listener.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("subscribers", &self.tx.receiver_count())
            .finish()
    }
}

impl Hub {
    /// Starts a hub of its own for `db` (on PostgreSQL: `LISTEN` is in effect
    /// when this returns). Most code wants [`subscribe`], which shares one
    /// hub per database in a process; a separate hub stands for a separate
    /// node in tests.
    pub async fn start(db: &Db) -> DbResult<Arc<Hub>> {
        let (tx, _) = broadcast::channel(CAPACITY);
        let listener = match db {
            Db::Sqlite(_) => None,
            Db::Pg(pool) => {
                let mut l = sqlx::postgres::PgListener::connect_with(pool).await?;
                l.listen(CHANNEL).await?;
                Some(tokio::spawn(listen(l, tx.clone())))
            }
        };
        Ok(Arc::new(Hub { tx, listener }))
    }

    fn send(&self, msg: Msg) {
        // Err only means nobody listens right now.
        let _ = self.tx.send(msg);
    }

    /// A new subscriber of this hub.
    pub fn subscribe(self: &Arc<Self>) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
            _hub: self.clone(),
        }
    }
}

/// Reads NOTIFYs until the pool closes and rebroadcasts them.
async fn listen(mut l: sqlx::postgres::PgListener, tx: broadcast::Sender<Msg>) {
    loop {
        match l.try_recv().await {
            Ok(Some(n)) => match Payload::parse(n.payload()) {
                Ok(ev) => {
                    let _ = tx.send(Msg::Payload(ev));
                }
                Err(e) => tracing::warn!(error = %e, "ignoring a malformed af_live payload"),
            },
            // The connection dropped and was re-established: whatever was
            // notified in between is lost, so subscribers reload.
            Ok(None) => {
                tracing::warn!("live listener reconnected; boards will resynchronise");
                let _ = tx.send(Msg::Resync);
            }
            Err(sqlx::Error::PoolClosed) => break,
            Err(e) => {
                tracing::warn!(error = %e, "live listener failed; retrying");
                let _ = tx.send(Msg::Resync);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// A subscriber. Keeps its hub alive; when the last one of a shared hub
/// goes, the hub stops listening.
pub struct Subscription {
    rx: broadcast::Receiver<Msg>,
    _hub: Arc<Hub>,
}

impl Subscription {
    /// The next message.
    pub async fn recv(&mut self) -> Recv {
        match self.rx.recv().await {
            Ok(Msg::Payload(Payload::Deal(e))) => Recv::Event(e),
            Ok(Msg::Payload(Payload::Notification(n))) => Recv::Notification(n),
            Ok(Msg::Payload(Payload::Conversation(c))) => Recv::Conversation(c),
            Ok(Msg::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => Recv::Resync,
            Err(broadcast::error::RecvError::Closed) => Recv::Closed,
        }
    }
}

fn registry() -> &'static Mutex<HashMap<String, Weak<Hub>>> {
    static HUBS: OnceLock<Mutex<HashMap<String, Weak<Hub>>>> = OnceLock::new();
    HUBS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn shared_hub(key: &str) -> Option<Arc<Hub>> {
    let hubs = registry().lock().unwrap_or_else(|p| p.into_inner());
    hubs.get(key).and_then(Weak::upgrade)
}

/// Which database a pool talks to: one hub per database per process.
fn db_key(db: &Db) -> String {
    match db {
        Db::Sqlite(p) => format!("sqlite:{}", p.connect_options().get_filename().display()),
        Db::Pg(p) => {
            let o = p.connect_options();
            format!(
                "pg:{}:{}/{}",
                o.get_host(),
                o.get_port(),
                o.get_database().unwrap_or_default()
            )
        }
    }
}

/// Subscribes to `db`'s live events through this process's shared hub,
/// starting it on first use.
pub async fn subscribe(db: &Db) -> DbResult<Subscription> {
    let key = db_key(db);
    if let Some(hub) = shared_hub(&key) {
        return Ok(hub.subscribe());
    }
    // Started outside the lock (it awaits the LISTEN); if another task
    // registered one meanwhile, use that one and let ours go.
    let started = Hub::start(db).await?;
    let mut hubs = registry().lock().unwrap_or_else(|p| p.into_inner());
    let hub = match hubs.get(&key).and_then(Weak::upgrade) {
        Some(existing) => existing,
        None => {
            hubs.retain(|_, w| w.strong_count() > 0);
            hubs.insert(key, Arc::downgrade(&started));
            started
        }
    };
    Ok(hub.subscribe())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_tagged_and_old_bare_board_events_still_read() {
        let ev = LiveEvent {
            workspace_id: WorkspaceId::new(),
            pipeline_id: PipelineId::new(),
            deal_id: DealId::new(),
            kind: LiveKind::Moved,
            from_stage: None,
            to_stage: StageId::new(),
            position: 1.5,
        };
        let bare = serde_json::to_string(&ev).expect("json");
        assert_eq!(
            Payload::parse(&bare).expect("bare"),
            Payload::Deal(ev.clone())
        );
        let n = Payload::Notification(NotificationEvent {
            workspace_id: WorkspaceId::new(),
            user_id: UserId::new(),
        });
        let text = serde_json::to_string(&n).expect("json");
        assert!(text.contains("\"t\":\"notification\""), "{text}");
        assert_eq!(Payload::parse(&text).expect("tagged"), n);
        assert!(Payload::parse("{}").is_err());
    }
}
