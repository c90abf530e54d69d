//! Workspaces (tenants) and memberships.

use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Locale, Role, UserId, WorkspaceId};
use uuid::Uuid;

/// A workspace as stored (without its logo bytes).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workspace {
    #[sqlx(try_from = "Uuid")]
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub locale: String,
    pub country: String,
    pub brand_color: Option<String>,
    pub sender_name: Option<String>,
    pub has_logo: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl Workspace {
    pub fn locale(&self) -> Locale {
        self.locale.parse().unwrap_or_default()
    }
}

/// The selected columns, as a macro so queries stay `&'static str`.
macro_rules! workspace_columns {
    () => {
        "id, slug, name, time_zone, locale, country, brand_color, sender_name, \
     (logo IS NOT NULL) AS has_logo, created_at, updated_at"
    };
}

/// A validated new workspace.
#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub locale: Locale,
    pub country: String,
}

/// The editable settings of a workspace (validated by the caller).
#[derive(Debug, Clone)]
pub struct WorkspaceSettings {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub locale: Locale,
    pub country: String,
    pub brand_color: Option<String>,
    pub sender_name: Option<String>,
}

pub async fn insert_workspace(tx: &mut Tx, new: &NewWorkspace, now: Ts) -> DbResult<Workspace> {
    let id = WorkspaceId::new();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO workspaces (id, slug, name, time_zone, locale, country, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.0)
        .bind(&new.slug)
        .bind(&new.name)
        .bind(&new.time_zone)
        .bind(new.locale.as_str())
        .bind(&new.country)
        .bind(now)
        .execute(&mut *c)
        .await?;
    });
    // Every workspace starts with a sales pipeline in its language.
    crate::pipelines::insert_default_pipeline(tx, id, new.locale, now).await?;
    get_workspace_tx(tx, id).await
}

async fn get_workspace_tx(tx: &mut Tx, id: WorkspaceId) -> DbResult<Workspace> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Workspace>(concat!("SELECT ", workspace_columns!(), " FROM workspaces WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *c)
            .await?
    })
    .ok_or(DbError::NotFound("workspace"))
}

pub async fn find_workspace(db: &crate::Db, id: WorkspaceId) -> DbResult<Option<Workspace>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Workspace>(concat!("SELECT ", workspace_columns!(), " FROM workspaces WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(p)
            .await?
    }))
}

pub async fn find_workspace_by_slug(db: &crate::Db, slug: &str) -> DbResult<Option<Workspace>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Workspace>(concat!("SELECT ", workspace_columns!(), " FROM workspaces WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(p)
            .await?
    }))
}

pub async fn list_workspaces(db: &crate::Db) -> DbResult<Vec<Workspace>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Workspace>(concat!("SELECT ", workspace_columns!(), " FROM workspaces ORDER BY slug"))
            .fetch_all(p)
            .await?
    }))
}

pub async fn update_workspace_settings(
    tx: &mut Tx,
    id: WorkspaceId,
    s: &WorkspaceSettings,
    now: Ts,
) -> DbResult<()> {
    let n = with_tx!(tx, c => {
        sqlx::query(
            "UPDATE workspaces SET slug = $2, name = $3, time_zone = $4, locale = $5, country = $6,
                    brand_color = $7, sender_name = $8, updated_at = $9
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(&s.slug)
        .bind(&s.name)
        .bind(&s.time_zone)
        .bind(s.locale.as_str())
        .bind(&s.country)
        .bind(&s.brand_color)
        .bind(&s.sender_name)
        .bind(now)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    if n == 0 {
        return Err(DbError::NotFound("workspace"));
    }
    Ok(())
}

/// Replaces (or with `None` removes) the workspace logo.
pub async fn set_workspace_logo(
    tx: &mut Tx,
    id: WorkspaceId,
    logo: Option<(&[u8], &str)>,
    now: Ts,
) -> DbResult<()> {
    let (bytes, ct) = match logo {
        Some((b, ct)) => (Some(b), Some(ct)),
        None => (None, None),
    };
    with_tx!(tx, c => {
        sqlx::query("UPDATE workspaces SET logo = $2, logo_content_type = $3, updated_at = $4 WHERE id = $1")
            .bind(id.0)
            .bind(bytes)
            .bind(ct)
            .bind(now)
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

/// The logo bytes and content type, if one is set.
pub async fn find_workspace_logo(
    db: &crate::Db,
    id: WorkspaceId,
) -> DbResult<Option<(Vec<u8>, String)>> {
    let row: Option<(Option<Vec<u8>>, Option<String>)> = with_pool!(db, p => {
        sqlx::query_as("SELECT logo, logo_content_type FROM workspaces WHERE id = $1")
            .bind(id.0)
            .fetch_optional(p)
            .await?
    });
    Ok(match row {
        Some((Some(b), Some(ct))) => Some((b, ct)),
        _ => None,
    })
}

/// A workspace together with the user's role in it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceWithRole {
    #[sqlx(flatten)]
    pub workspace: Workspace,
    pub role: String,
}

impl WorkspaceWithRole {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Member)
    }
}

/// The workspaces a user belongs to, by name.
pub async fn list_workspaces_for_user(
    db: &crate::Db,
    user: UserId,
) -> DbResult<Vec<WorkspaceWithRole>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, WorkspaceWithRole>(
            "SELECT w.id, w.slug, w.name, w.time_zone, w.locale, w.country, w.brand_color, w.sender_name,
                    (w.logo IS NOT NULL) AS has_logo, w.created_at, w.updated_at, m.role
             FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.user_id = $1
             ORDER BY w.name, w.slug",
        )
        .bind(user.0)
        .fetch_all(p)
        .await?
    }))
}

/// Adds the user to the workspace, or changes their role if already a member.
pub async fn upsert_membership(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    role: Role,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(ws.0)
        .bind(user.0)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *c)
        .await?;
    });
    Ok(())
}

/// The user's role in the workspace, if a member.
pub async fn find_membership_role(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
) -> DbResult<Option<Role>> {
    let role: Option<String> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT role FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0)
            .bind(user.0)
            .fetch_optional(p)
            .await?
    });
    Ok(role.and_then(|r| r.parse().ok()))
}

/// A member as listed on the members page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    #[sqlx(try_from = "Uuid")]
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: Ts,
    /// Shares the retention alerts of contacts without an owner.
    pub retention_duty: bool,
}

impl Member {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Member)
    }
}

pub async fn list_members(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Member>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Member>(
            "SELECT u.id AS user_id, u.email, u.name, m.role, m.created_at, m.retention_duty
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.workspace_id = $1
             ORDER BY u.name, u.email",
        )
        .bind(ws.0)
        .fetch_all(p)
        .await?
    }))
}

/// Number of owners, so the last owner can never be demoted or removed.
pub async fn count_owners(tx: &mut Tx, ws: WorkspaceId) -> DbResult<i64> {
    Ok(with_tx!(tx, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'owner'")
            .bind(ws.0)
            .fetch_one(&mut *c)
            .await?
    }))
}

/// Changes a member's role; false when not a member.
pub async fn update_membership_role(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    role: Role,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("UPDATE memberships SET role = $3 WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0)
            .bind(user.0)
            .bind(role.as_str())
            .execute(&mut *c)
            .await?
            .rows_affected()
    }) > 0)
}

/// Removes a member; false when not a member.
pub async fn delete_membership(tx: &mut Tx, ws: WorkspaceId, user: UserId) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query("DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0)
            .bind(user.0)
            .execute(&mut *c)
            .await?
            .rows_affected()
    }) > 0)
}
