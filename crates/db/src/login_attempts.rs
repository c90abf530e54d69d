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

/// Failed sign-ins since a moment, as the throttle needs them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecentFailures {
    /// For this email from this address.
    pub pair: i64,
    /// When the last of those was.
    pub pair_last: Option<Ts>,
    /// From this address, whatever the email.
    pub ip: i64,
}

/// Failed attempts since `since` for this email from this IP, and for this IP.
/// Failures for the email from other addresses are deliberately not
/// counted: they must not lock its owner out.
pub async fn recent_failures(
    db: &crate::Db,
    email_key: &str,
    ip: &str,
    since: Ts,
) -> DbResult<RecentFailures> {
    Ok(with_pool!(db, p => {
        let pair: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE email_key = $1 AND ip = $2 AND created_at > $3 AND succeeded = FALSE",
        )
        .bind(email_key).bind(ip).bind(since)
        .fetch_one(p).await?;
        let pair_last: Option<Ts> = if pair > 0 {
            sqlx::query_scalar(
                "SELECT created_at FROM login_attempts WHERE email_key = $1 AND ip = $2 AND created_at > $3 AND succeeded = FALSE
                 ORDER BY created_at DESC LIMIT 1",
            )
            .bind(email_key).bind(ip).bind(since)
            .fetch_optional(p).await?
        } else {
            None
        };
        let ip: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND created_at > $2 AND succeeded = FALSE",
        )
        .bind(ip).bind(since)
        .fetch_one(p).await?;
        RecentFailures { pair, pair_last, ip }
    }))
}

/// Forgets attempts older than `before` (periodic cleanup).
pub async fn delete_login_attempts_before(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM login_attempts WHERE created_at < $1").bind(before).execute(p).await?.rows_affected()
    }))
}
