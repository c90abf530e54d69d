//! Browser sessions, stored in the database so any node can serve any
//! request. The session data is opaque JSON owned by the web layer;
//! `user_id` is kept in a column too, so a password change can end every
//! session of that user.

use crate::{DbResult, Ts, with_pool};
use af_core::UserId;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub data: String,
    pub expires_at: Ts,
}

/// The session if it exists and has not expired.
pub async fn find_session(db: &crate::Db, id: &str, now: Ts) -> DbResult<Option<SessionRow>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, SessionRow>("SELECT id, data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(p)
            .await?
    }))
}

/// Inserts the session; false when the id is already taken.
pub async fn insert_session(
    db: &crate::Db,
    id: &str,
    user: Option<UserId>,
    data: &str,
    expires_at: Ts,
) -> DbResult<bool> {
    Ok(with_pool!(db, p => {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(user.map(|u| u.0))
        .bind(data)
        .bind(expires_at)
        .execute(p)
        .await?
        .rows_affected()
    }) > 0)
}

pub async fn upsert_session(
    db: &crate::Db,
    id: &str,
    user: Option<UserId>,
    data: &str,
    expires_at: Ts,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data,
                                            expires_at = excluded.expires_at",
        )
        .bind(id)
        .bind(user.map(|u| u.0))
        .bind(data)
        .bind(expires_at)
        .execute(p)
        .await?;
    });
    Ok(())
}

pub async fn delete_session(db: &crate::Db, id: &str) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(p).await?;
    });
    Ok(())
}

/// Ends every session of a user (after a password change).
pub async fn delete_sessions_of_user(db: &crate::Db, user: UserId) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0).execute(p).await?.rows_affected()
    }))
}

pub async fn delete_expired_sessions(db: &crate::Db, now: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(p).await?.rows_affected()
    }))
}
