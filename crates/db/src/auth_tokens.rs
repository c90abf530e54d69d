//! Single-use tokens sent by link: workspace invitations and password
//! resets. Only the SHA-256 of a token is stored.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{InvitationId, Role, UserId, WorkspaceId};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invitation {
    #[sqlx(try_from = "Uuid")]
    pub id: InvitationId,
    #[sqlx(try_from = "Uuid")]
    pub workspace_id: WorkspaceId,
    pub email: String,
    pub role: String,
    pub created_at: Ts,
    pub expires_at: Ts,
    pub accepted_at: Option<Ts>,
    pub revoked_at: Option<Ts>,
}

impl Invitation {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Member)
    }

    pub fn is_usable(&self, now: Ts) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

macro_rules! invitation_columns {
    () => {
        "id, workspace_id, email, role, created_at, expires_at, accepted_at, revoked_at"
    };
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_invitation(
    tx: &mut Tx,
    ws: WorkspaceId,
    email: &str,
    role: Role,
    token_hash: &str,
    invited_by: Option<UserId>,
    now: Ts,
    expires_at: Ts,
) -> DbResult<InvitationId> {
    let id = InvitationId::new();
    with_tx!(tx, c => {
        // A new invitation replaces any pending one for the same person in
        // this workspace: only the newest link works.
        sqlx::query(
            "UPDATE invitations SET revoked_at = $3
             WHERE workspace_id = $1 AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(ws.0)
        .bind(email)
        .bind(now)
        .execute(&mut *c)
        .await?;
        sqlx::query(
            "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(ws.0)
        .bind(email)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(invited_by.map(|u| u.0))
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    });
    Ok(id)
}

pub async fn find_invitation_by_token_hash(
    db: &crate::Db,
    token_hash: &str,
) -> DbResult<Option<Invitation>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Invitation>(concat!("SELECT ", invitation_columns!(), " FROM invitations WHERE token_hash = $1"))
            .bind(token_hash)
            .fetch_optional(p)
            .await?
    }))
}

/// Invitations not yet accepted, revoked or expired.
pub async fn list_pending_invitations(
    db: &crate::Db,
    ws: WorkspaceId,
    now: Ts,
) -> DbResult<Vec<Invitation>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Invitation>(concat!("SELECT ", invitation_columns!(),
            " FROM invitations WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
               AND expires_at > $2 ORDER BY created_at DESC"))
            .bind(ws.0)
            .bind(now)
            .fetch_all(p)
            .await?
    }))
}

/// Marks the invitation used, only if still usable (so a token works once
/// even when two requests race). False when it was not usable.
pub async fn accept_invitation(
    tx: &mut Tx,
    id: InvitationId,
    user: UserId,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query(
            "UPDATE invitations SET accepted_at = $3, accepted_by = $2
             WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(id.0)
        .bind(user.0)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    }) > 0)
}

pub async fn revoke_invitation(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: InvitationId,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query(
            "UPDATE invitations SET revoked_at = $3
             WHERE workspace_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        )
        .bind(ws.0)
        .bind(id.0)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    }) > 0)
}

pub async fn insert_password_reset(
    tx: &mut Tx,
    user: UserId,
    token_hash: &str,
    now: Ts,
    expires_at: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        // Only the newest link works: asking again voids the earlier ones.
        sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
            .bind(user.0)
            .bind(now)
            .execute(&mut *c)
            .await?;
        sqlx::query(
            "INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(user.0)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The user a still-valid reset token belongs to.
pub async fn find_password_reset_user(
    db: &crate::Db,
    token_hash: &str,
    now: Ts,
) -> DbResult<Option<UserId>> {
    let id: Option<Uuid> = with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(p)
        .await?
    });
    Ok(id.map(UserId))
}

/// Uses up the token (and every other open token of its user); returns the
/// user only if this token was still valid.
pub async fn consume_password_reset(
    tx: &mut Tx,
    token_hash: &str,
    now: Ts,
) -> DbResult<Option<UserId>> {
    with_tx!(tx, c => {
        let id: Option<Uuid> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
        if let Some(user) = id {
            sqlx::query("UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                .bind(user)
                .bind(now)
                .execute(&mut *c)
                .await?;
        }
        Ok(id.map(UserId))
    })
}
