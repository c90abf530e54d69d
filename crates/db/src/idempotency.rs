//! Answers kept for API creates sent with an `Idempotency-Key` header
//! (issue 21): a retried request with the same key and body gets the first
//! answer instead of creating twice. One row per (workspace, key); `status`
//! stays NULL while the first request runs, so a concurrent retry waits
//! its turn instead of running too.

use crate::{DbResult, Ts, with_pool};
use af_core::WorkspaceId;

/// What a key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or its old answer expired): run the request.
    Fresh,
    /// The first request with this key is still running (since `at`).
    Running { request_hash: String, at: Ts },
    /// The first request's answer.
    Done {
        request_hash: String,
        status: i32,
        content_type: Option<String>,
        body: String,
    },
}

type Row = (String, Option<i32>, Option<String>, Option<String>, Ts);

/// Claims `key` for a request hashing to `request_hash`: `Fresh` when this
/// call inserted the row (the caller runs the request, then [`finish`]es
/// or [`release`]s it); otherwise what the row holds. Rows created before
/// `expired_before` are replaced.
pub async fn claim(
    db: &crate::Db,
    ws: WorkspaceId,
    key: &str,
    request_hash: &str,
    now: Ts,
    expired_before: Ts,
) -> DbResult<Claim> {
    // An expired answer no longer counts: drop it first (at most one row).
    with_pool!(db, p => {
        sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND idem_key = $2 AND created_at < $3")
            .bind(ws.0).bind(key).bind(expired_before).execute(p).await?.rows_affected()
    });
    let inserted = with_pool!(db, p => {
        sqlx::query(
            "INSERT INTO idempotency_keys (workspace_id, idem_key, request_hash, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(ws.0).bind(key).bind(request_hash).bind(now)
            .execute(p).await?.rows_affected()
    });
    if inserted > 0 {
        return Ok(Claim::Fresh);
    }
    let row: Option<Row> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys
             WHERE workspace_id = $1 AND idem_key = $2")
            .bind(ws.0).bind(key).fetch_optional(p).await?
    });
    Ok(match row {
        // Removed between the insert and the read (its request failed):
        // the caller may claim again.
        None => Claim::Fresh,
        Some((request_hash, None, _, _, at)) => Claim::Running { request_hash, at },
        Some((request_hash, Some(status), content_type, body, _)) => Claim::Done {
            request_hash,
            status,
            content_type,
            body: body.unwrap_or_default(),
        },
    })
}

/// Takes over a key whose first request was claimed at `at` and never
/// finished (its process died): `true` when this call won it.
pub async fn take_over(
    db: &crate::Db,
    ws: WorkspaceId,
    key: &str,
    request_hash: &str,
    at: Ts,
    now: Ts,
) -> DbResult<bool> {
    let n = with_pool!(db, p => {
        sqlx::query(
            "UPDATE idempotency_keys SET request_hash = $3, created_at = $5
             WHERE workspace_id = $1 AND idem_key = $2 AND status IS NULL AND created_at = $4")
            .bind(ws.0).bind(key).bind(request_hash).bind(at).bind(now)
            .execute(p).await?.rows_affected()
    });
    Ok(n > 0)
}

/// Keeps the answer of a claimed key.
pub async fn finish(
    db: &crate::Db,
    ws: WorkspaceId,
    key: &str,
    status: i32,
    content_type: Option<&str>,
    body: &str,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5
             WHERE workspace_id = $1 AND idem_key = $2")
            .bind(ws.0).bind(key).bind(status).bind(content_type).bind(body)
            .execute(p).await?.rows_affected()
    });
    Ok(())
}

/// Forgets a claimed key whose request failed on our side, so a retry runs.
pub async fn release(db: &crate::Db, ws: WorkspaceId, key: &str) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("DELETE FROM idempotency_keys WHERE workspace_id = $1 AND idem_key = $2")
            .bind(ws.0).bind(key).execute(p).await?.rows_affected()
    });
    Ok(())
}

/// Drops answers older than `before`; answers how many.
pub async fn prune(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before).execute(p).await?.rows_affected()
    }))
}
