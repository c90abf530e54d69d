//! Workspace API keys: stored as a SHA-256 hash with a visible prefix.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{ApiKeyId, UserId, WorkspaceId};
use uuid::Uuid;

/// What a key may do. `Full` is the whole API; `Intake` (a later issue) may
/// only create leads, so it is safe to place in a public landing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    Full,
    Intake,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Full => "full",
            KeyScope::Intake => "intake",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKey {
    #[sqlx(try_from = "Uuid")]
    pub id: ApiKeyId,
    #[sqlx(try_from = "Uuid")]
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub prefix: String,
    pub scope: String,
    /// The member who made the key: the API's "key's user" (their
    /// notifications). `None` for keys made by the CLI or a removed user.
    pub created_by: Option<Uuid>,
    pub created_at: Ts,
    pub last_used_at: Option<Ts>,
    pub revoked_at: Option<Ts>,
}

impl ApiKey {
    pub fn scope(&self) -> KeyScope {
        if self.scope == "intake" {
            KeyScope::Intake
        } else {
            KeyScope::Full
        }
    }
}

macro_rules! key_columns {
    () => {
        "id, workspace_id, name, prefix, scope, created_by, created_at, last_used_at, revoked_at"
    };
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_api_key(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    prefix: &str,
    key_hash: &str,
    scope: KeyScope,
    created_by: Option<UserId>,
    now: Ts,
) -> DbResult<ApiKeyId> {
    let id = ApiKeyId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, scope, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(ws.0)
        .bind(name)
        .bind(prefix)
        .bind(key_hash)
        .bind(scope.as_str())
        .bind(created_by.map(|u| u.0))
        .bind(now)
        .execute(&mut *c)
        .await?;
    });
    Ok(id)
}

pub async fn list_api_keys(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<ApiKey>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ApiKey>(concat!("SELECT ", key_columns!(),
            " FROM api_keys WHERE workspace_id = $1 ORDER BY created_at DESC"))
            .bind(ws.0)
            .fetch_all(p)
            .await?
    }))
}

/// The unrevoked key with this hash, from any workspace: the key itself
/// says which workspace a request acts for.
pub async fn find_active_api_key_by_hash(
    db: &crate::Db,
    key_hash: &str,
) -> DbResult<Option<ApiKey>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, ApiKey>(concat!("SELECT ", key_columns!(),
            " FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"))
            .bind(key_hash)
            .fetch_optional(p)
            .await?
    }))
}

/// How old `last_used_at` may get before a use is recorded again.
const TOUCH_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Records use, at most once a minute per key, so a busy integration does
/// not turn every request into a write. The key as just read decides: a
/// fresh `last_used_at` costs no statement at all (on SQLite even an
/// `UPDATE` that changes nothing takes the write lock every lead needs).
pub async fn touch_api_key(db: &crate::Db, key: &ApiKey, now: Ts) -> DbResult<()> {
    let stale = Ts::new(now.0 - TOUCH_EVERY);
    if key.last_used_at.is_some_and(|t| t >= stale) {
        return Ok(());
    }
    with_pool!(db, p => {
        sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(key.id.0)
            .bind(now)
            .bind(stale)
            .execute(p)
            .await?;
    });
    Ok(())
}

/// Revokes a key of this workspace; false when there is no such active key.
pub async fn revoke_api_key(tx: &mut Tx, ws: WorkspaceId, id: ApiKeyId, now: Ts) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL")
            .bind(ws.0)
            .bind(id.0)
            .bind(now)
            .execute(&mut *c)
            .await?
            .rows_affected()
    }) > 0)
}
