//! People who sign in. A user may belong to several workspaces.

use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Locale, UserId};
use uuid::Uuid;

#[derive(Clone, sqlx::FromRow)]
pub struct User {
    #[sqlx(try_from = "Uuid")]
    pub id: UserId,
    pub email: String,
    pub email_key: String,
    pub name: String,
    /// argon2id PHC string. Never printed: see the `Debug` impl.
    pub password_hash: String,
    pub locale: Option<String>,
    pub created_at: Ts,
    pub last_login_at: Option<Ts>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn locale(&self) -> Option<Locale> {
        self.locale.as_deref().and_then(|l| l.parse().ok())
    }
}

/// The selected columns, as a macro so queries stay `&'static str`.
macro_rules! user_columns {
    () => {
        "id, email, email_key, name, password_hash, locale, created_at, last_login_at"
    };
}

pub async fn insert_user(
    tx: &mut Tx,
    email: &str,
    name: &str,
    password_hash: &str,
    now: Ts,
) -> DbResult<User> {
    let id = UserId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO users (id, email, email_key, name, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.0)
        .bind(email)
        .bind(af_core::validate::email_key(email))
        .bind(name)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *c)
        .await?;
        sqlx::query_as::<_, User>(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(DbError::NotFound("user"))
    })
}

pub async fn find_user(db: &crate::Db, id: UserId) -> DbResult<Option<User>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, User>(concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(p)
            .await?
    }))
}

pub async fn find_user_by_email(db: &crate::Db, email: &str) -> DbResult<Option<User>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, User>(concat!("SELECT ", user_columns!(), " FROM users WHERE email_key = $1"))
            .bind(af_core::validate::email_key(email))
            .fetch_optional(p)
            .await?
    }))
}

pub async fn update_password(
    tx: &mut Tx,
    id: UserId,
    password_hash: &str,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// Sets only the user's interface language (`None`: follow the workspace).
pub async fn set_user_locale(
    db: &crate::Db,
    id: UserId,
    locale: Option<Locale>,
    now: Ts,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("UPDATE users SET locale = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(locale.map(|l| l.as_str()))
            .bind(now)
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn update_user_profile(
    db: &crate::Db,
    id: UserId,
    name: &str,
    locale: Option<Locale>,
    now: Ts,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("UPDATE users SET name = $2, locale = $3, updated_at = $4 WHERE id = $1")
            .bind(id.0)
            .bind(name)
            .bind(locale.map(|l| l.as_str()))
            .bind(now)
            .execute(p)
            .await?;
    });
    Ok(())
}

pub async fn touch_last_login(db: &crate::Db, id: UserId, now: Ts) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(now)
            .execute(p)
            .await?;
    });
    Ok(())
}
