//! Request pacing shared by every node: one row per paced account holds the
//! earliest instant its next request may go. [`try_acquire`] either takes
//! the slot now (and pushes the next one `interval` later) or answers when
//! it frees, without waiting, so a job can snooze instead of sleeping.
//!
//! Both steps are single conditional statements, so two nodes racing for
//! one slot never both win: SQLite serializes writers, and PostgreSQL
//! re-checks `next_at <= now` on the row it locked.

use crate::{DbResult, Ts, with_pool};
use jiff::SignedDuration;

/// Takes the slot of `key` at `now` (`None`), or answers how long until it
/// frees (`Some(wait)`, nothing taken).
pub async fn try_acquire(
    db: &crate::Db,
    key: &str,
    now: Ts,
    interval: SignedDuration,
) -> DbResult<Option<SignedDuration>> {
    let next = Ts::new(now.0 + interval);
    let inserted = with_pool!(db, p => {
        sqlx::query("INSERT INTO rate_slots (key, next_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key).bind(next).execute(p).await?.rows_affected()
    });
    if inserted > 0 {
        return Ok(None);
    }
    let taken = with_pool!(db, p => {
        sqlx::query("UPDATE rate_slots SET next_at = $2 WHERE key = $1 AND next_at <= $3")
            .bind(key).bind(next).bind(now).execute(p).await?.rows_affected()
    });
    if taken > 0 {
        return Ok(None);
    }
    let at: Option<Ts> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT next_at FROM rate_slots WHERE key = $1")
            .bind(key).fetch_optional(p).await?
    });
    Ok(Some(match at {
        // Freed between the two statements: try again at once.
        None => SignedDuration::ZERO,
        Some(at) => {
            at.0.duration_since(now.0)
                .max(SignedDuration::from_millis(1))
        }
    }))
}
