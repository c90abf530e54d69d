//! Kommo sync bookkeeping. A sync is a `kommo` message: `to_address`
//! `kommo` creates the contact's lead, `kommo:booked` moves it to the
//! booked status. Under load the send job of one queued lead claims up to a
//! batch of the others (they become `sending`, led by it) so one
//! `leads/complex` call carries them all; a re-run of the leader's job
//! re-sends exactly the batch it claimed, and the followers' own jobs find
//! their message taken and do nothing.

use crate::messages::{Message, message_columns};
use crate::{DbResult, Ts, Tx, TxConn, with_tx};
use af_core::vocab::EventKind;
use af_core::{ContactId, MessageId, WorkspaceId};

/// `to_address` of a lead-creating sync message.
pub const CREATE: &str = "kommo";
/// `to_address` of a move-to-booked message.
pub const BOOKED: &str = "kommo:booked";

/// Claims the batch `leader` leads: the leader itself when queued, plus up
/// to `max - 1` other queued, never-attempted lead syncs of the workspace,
/// oldest first. A leader that was already attempted goes alone (a batch
/// Kommo refused is split so one bad lead cannot sink the others). When the
/// leader is already `sending` under its own lead (a re-run), answers the
/// batch claimed then. Empty when another job owns the leader.
pub async fn claim_batch(
    tx: &mut Tx,
    ws: WorkspaceId,
    leader: MessageId,
    max: i64,
    now: Ts,
) -> DbResult<Vec<Message>> {
    let claimed = with_tx!(&mut *tx, c => {
        sqlx::query(
            "UPDATE messages SET status = 'sending', batch_leader = $2, updated_at = $3
             WHERE workspace_id = $1 AND id = $2 AND status = 'queued'")
            .bind(ws.0).bind(leader.0).bind(now).execute(&mut *c).await?.rows_affected()
    });
    let fresh: Option<i32> = with_tx!(&mut *tx, c => {
        sqlx::query_scalar("SELECT attempts FROM messages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(leader.0).fetch_optional(&mut *c).await?
    });
    if claimed > 0 && fresh == Some(0) && max > 1 {
        claim_followers(tx, ws, leader, max - 1, now).await?;
    }
    // The leader first, then the others in the order they were queued.
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Message>(concat!("SELECT ", message_columns!(),
            " FROM messages WHERE workspace_id = $1 AND batch_leader = $2 AND status = 'sending'
              ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id"))
            .bind(ws.0).bind(leader.0).fetch_all(&mut *c).await?
    }))
}

/// Backend-specific on purpose, like the job queue's claim: PostgreSQL
/// takes the followers `FOR UPDATE SKIP LOCKED`, so leaders claiming at once
/// on several workers never wait on each other's rows (which deadlocks) nor
/// take the same row; SQLite has one writer at a time.
async fn claim_followers(
    tx: &mut Tx,
    ws: WorkspaceId,
    leader: MessageId,
    limit: i64,
    now: Ts,
) -> DbResult<()> {
    match &mut tx.conn {
        // The pick is a CTE so it runs once: as `id IN (subquery)`, a
        // re-check under concurrent updates re-runs the subquery, and with
        // SKIP LOCKED each run picks other rows, claiming past the limit.
        TxConn::Pg(t) => {
            sqlx::query(
                "WITH picked AS MATERIALIZED (
                     SELECT id FROM messages
                     WHERE workspace_id = $1 AND channel = 'kommo' AND to_address = $4 AND status = 'queued'
                       AND direction = 'outbound' AND attempts = 0
                     ORDER BY created_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
                 UPDATE messages SET status = 'sending', batch_leader = $2, updated_at = $3
                 FROM picked WHERE messages.id = picked.id AND messages.status = 'queued'")
                .bind(ws.0).bind(leader.0).bind(now).bind(CREATE).bind(limit)
                .execute(&mut **t).await?;
        }
        TxConn::Sqlite(t) => {
            sqlx::query(
                "UPDATE messages SET status = 'sending', batch_leader = $2, updated_at = $3
                 WHERE workspace_id = $1 AND status = 'queued' AND id IN (
                     SELECT id FROM messages
                     WHERE workspace_id = $1 AND channel = 'kommo' AND to_address = $4 AND status = 'queued'
                       AND direction = 'outbound' AND attempts = 0
                     ORDER BY created_at, id LIMIT $5)")
                .bind(ws.0).bind(leader.0).bind(now).bind(CREATE).bind(limit)
                .execute(&mut **t).await?;
        }
    }
    Ok(())
}

/// Puts a refused batch back in the queue, each message counted as
/// attempted (so each now goes alone); answers their ids for new send jobs.
pub async fn release_batch(
    tx: &mut Tx,
    ws: WorkspaceId,
    leader: MessageId,
    error: &str,
    now: Ts,
) -> DbResult<Vec<MessageId>> {
    let ids: Vec<uuid::Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "UPDATE messages SET status = 'queued', batch_leader = NULL, attempts = attempts + 1, error = $3,
                    updated_at = $4
             WHERE workspace_id = $1 AND batch_leader = $2 AND status = 'sending' RETURNING id")
            .bind(ws.0).bind(leader.0).bind(error).bind(now).fetch_all(&mut *c).await?
    });
    Ok(ids.into_iter().map(MessageId).collect())
}

/// Batches still `sending` with no change since `before`: their leader's
/// job is gone (a crash on its last attempt). Puts them back in the queue
/// and answers them for new send jobs. `before` must lie well past the
/// longest retry backoff, or a batch between two attempts would be taken.
pub async fn release_abandoned(
    tx: &mut Tx,
    before: Ts,
    now: Ts,
) -> DbResult<Vec<(WorkspaceId, MessageId)>> {
    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = with_tx!(tx, c => {
        sqlx::query_as(
            "UPDATE messages SET status = 'queued', batch_leader = NULL, updated_at = $2
             WHERE channel = 'kommo' AND status = 'sending' AND updated_at < $1
             RETURNING workspace_id, id")
            .bind(before).bind(now).fetch_all(&mut *c).await?
    });
    Ok(rows
        .into_iter()
        .map(|(ws, id)| (WorkspaceId(ws), MessageId(id)))
        .collect())
}

/// Whether the contact has an appointment that stands (booked or
/// rescheduled): its lead is created straight in the booked status.
pub async fn has_standing_appointment(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<bool> {
    let n: i64 = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM appointments
             WHERE workspace_id = $1 AND contact_id = $2 AND status IN ('booked', 'rescheduled')")
            .bind(ws.0).bind(contact.0).fetch_one(&mut *c).await?
    });
    Ok(n > 0)
}

/// The contact's latest lead sync: its status and the ids Kommo returned.
pub async fn latest_lead_sync(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Option<(String, Option<String>)>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT status, external_ids FROM messages
             WHERE workspace_id = $1 AND contact_id = $2 AND channel = 'kommo' AND to_address = $3
             ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(ws.0).bind(contact.0).bind(CREATE).fetch_optional(&mut *c).await?
    }))
}

/// Records that the workspace syncs leads to Kommo: from now on its
/// bookings are dispatched to the Kommo subscriber.
pub async fn note_lead_sync(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    crate::subscriptions::add(
        tx,
        ws,
        af_core::events::Subscriber::Kommo,
        EventKind::AppointmentBooked.as_str(),
    )
    .await
}
