//! Booking hosts' external calendar feeds and the busy intervals read from
//! them. The feed's address is stored sealed (it grants read access to the
//! member's calendar); the intervals are replaced wholesale on each sync
//! and read by the slot engine next to the hosts' bookings (the calendars
//! module's held times query).

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{UserId, WorkspaceId};
use uuid::Uuid;

/// A member's feed, without its address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BusyFeed {
    #[sqlx(try_from = "Uuid")]
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    /// The sealed address (open it with the server key).
    pub url_sealed: String,
    /// Scheme and host only, for pages.
    pub url_hint: String,
    pub last_synced_at: Option<Ts>,
    pub last_error: Option<String>,
    pub busy_count: i32,
}

macro_rules! feed_columns {
    () => {
        "workspace_id, user_id, url_sealed, url_hint, last_synced_at, last_error, busy_count"
    };
}

/// Sets (or replaces) a member's feed; its busy times stay until the next
/// sync replaces them.
pub async fn set_feed(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    url_sealed: &str,
    url_hint: &str,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO busy_feeds (workspace_id, user_id, url_sealed, url_hint, busy_count, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 0, $5, $5)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET url_sealed = excluded.url_sealed,
                 url_hint = excluded.url_hint, last_error = NULL, updated_at = excluded.updated_at",
        )
        .bind(ws.0).bind(user.0).bind(url_sealed).bind(url_hint).bind(now)
        .execute(&mut *c).await?;
    });
    Ok(())
}

/// Removes a member's feed and the busy times read from it.
pub async fn delete_feed(tx: &mut Tx, ws: WorkspaceId, user: UserId) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM busy_times WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).execute(&mut *c).await?;
        sqlx::query("DELETE FROM busy_feeds WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).execute(&mut *c).await?;
    });
    Ok(())
}

pub async fn find_feed(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
) -> DbResult<Option<BusyFeed>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, BusyFeed>(concat!("SELECT ", feed_columns!(),
            " FROM busy_feeds WHERE workspace_id = $1 AND user_id = $2"))
            .bind(ws.0).bind(user.0).fetch_optional(p).await?
    }))
}

/// Every feed of every workspace (the periodic sync), oldest sync first.
pub async fn all_feeds(db: &crate::Db) -> DbResult<Vec<BusyFeed>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, BusyFeed>(concat!("SELECT ", feed_columns!(),
            " FROM busy_feeds ORDER BY last_synced_at, workspace_id, user_id"))
            .fetch_all(p).await?
    }))
}

/// Replaces the member's busy times with `busy` (`[start, end)` pairs) and
/// records the sync.
pub async fn replace_busy(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    busy: &[(Ts, Ts)],
    now: Ts,
) -> DbResult<()> {
    let count = i32::try_from(busy.len()).unwrap_or(i32::MAX);
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM busy_times WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).execute(&mut *c).await?;
        for (start, end) in busy {
            sqlx::query("INSERT INTO busy_times (workspace_id, user_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)")
                .bind(ws.0).bind(user.0).bind(*start).bind(*end).execute(&mut *c).await?;
        }
        sqlx::query(
            "UPDATE busy_feeds SET last_synced_at = $3, last_error = NULL, busy_count = $4, updated_at = $3
             WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).bind(now).bind(count).execute(&mut *c).await?;
    });
    Ok(())
}

/// Records a failed sync; the busy times last read stay (a feed that is
/// down for an hour must not free its owner's afternoon).
pub async fn record_error(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    error: &str,
    now: Ts,
) -> DbResult<()> {
    let error: String = error.chars().take(500).collect();
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE busy_feeds SET last_synced_at = $3, last_error = $4, updated_at = $3
             WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).bind(now).bind(&error).execute(&mut *c).await?;
    });
    Ok(())
}
