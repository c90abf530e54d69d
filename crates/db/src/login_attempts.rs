//! Sign-in attempts, kept in the database so the login rate limit holds
//! across every `serve` process, not per node.

use crate::{DbResult, Ts, with_pool};
use uuid::Uuid;

pub async fn insert_login_attempt(
    db: &crate::Db,
    email_key: &str,
    ip: &str,
    succeeded: bool,
    now: Ts,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("INSERT INTO login_attempts (id, email_key, ip, succeeded, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(email_key)
            .bind(ip)
            .bind(succeeded)
            .bind(now)
            .execute(p)
            .await?;
    });
    Ok(())
}

/// Failed attempts since `since` for this email and for this IP.
pub async fn count_recent_failures(
    db: &crate::Db,
    email_key: &str,
    ip: &str,
    since: Ts,
) -> DbResult<(i64, i64)> {
    Ok(with_pool!(db, p => {
        let by_email: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE email_key = $1 AND created_at > $2 AND succeeded = FALSE",
        )
        .bind(email_key)
        .bind(since)
        .fetch_one(p)
        .await?;
        let by_ip: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND created_at > $2 AND succeeded = FALSE",
        )
        .bind(ip)
        .bind(since)
        .fetch_one(p)
        .await?;
        (by_email, by_ip)
    }))
}

/// Forgets attempts older than `before` (periodic cleanup).
pub async fn delete_login_attempts_before(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM login_attempts WHERE created_at < $1").bind(before).execute(p).await?.rows_affected()
    }))
}
