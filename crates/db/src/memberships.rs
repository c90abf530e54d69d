//! Memberships (subscriptions) of contacts, table `contact_memberships`
//! (`memberships` holds the users of a workspace): rows only. Which event a change
//! writes and what is valid is `af_service::memberships` (with the pure
//! rules in `af_core::membership`); the daily check's queries are here,
//! each led by the workspace so `contact_memberships_due_idx` answers them.

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{ContactId, MembershipId, WorkspaceId};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Membership {
    #[sqlx(try_from = "Uuid")]
    pub id: MembershipId,
    #[sqlx(try_from = "Uuid")]
    pub workspace_id: WorkspaceId,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub external_id: Option<String>,
    pub plan: String,
    /// An `af_core::vocab::MembershipStatus`.
    pub status: String,
    pub starts_at: Ts,
    pub ends_at: Option<Ts>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub cancelled_at: Option<Ts>,
    /// The `ends_at` the "expiring" notice was sent for.
    pub expiring_notice_for: Option<Ts>,
    /// The `days_left` of that period's last expiring notice.
    pub expiring_notice_days: Option<i32>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

macro_rules! membership_columns {
    () => {
        "id, workspace_id, contact_id, external_id, plan, status, starts_at, ends_at, amount_minor, \
         currency, cancelled_at, expiring_notice_for, expiring_notice_days, created_at, updated_at"
    };
}

/// What a membership holds (a new one, or the new values of an update).
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipValues {
    pub external_id: Option<String>,
    pub plan: String,
    pub status: String,
    pub starts_at: Ts,
    pub ends_at: Option<Ts>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub cancelled_at: Option<Ts>,
}

/// Inserts a membership of `contact` (which the caller checked is the
/// workspace's).
pub async fn insert_membership(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    v: &MembershipValues,
    now: Ts,
) -> DbResult<Membership> {
    let id = MembershipId::new();
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!(
            "INSERT INTO contact_memberships (id, workspace_id, contact_id, external_id, plan, status, starts_at,
                 ends_at, amount_minor, currency, cancelled_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
             RETURNING ", membership_columns!()))
            .bind(id.0).bind(ws.0).bind(contact.0).bind(&v.external_id).bind(&v.plan)
            .bind(&v.status).bind(v.starts_at).bind(v.ends_at).bind(v.amount_minor)
            .bind(&v.currency).bind(v.cancelled_at).bind(now)
            .fetch_one(&mut *c).await?
    }))
}

/// Writes `v` over membership `id` if it still has `status_was` (a
/// compare-and-set: `None` when another writer moved it first).
pub async fn update_membership(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MembershipId,
    status_was: &str,
    v: &MembershipValues,
    now: Ts,
) -> DbResult<Option<Membership>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!(
            "UPDATE contact_memberships SET external_id = $4, plan = $5, status = $6, starts_at = $7,
                 ends_at = $8, amount_minor = $9, currency = $10, cancelled_at = $11, updated_at = $12
             WHERE workspace_id = $1 AND id = $2 AND status = $3
             RETURNING ", membership_columns!()))
            .bind(ws.0).bind(id.0).bind(status_was).bind(&v.external_id).bind(&v.plan)
            .bind(&v.status).bind(v.starts_at).bind(v.ends_at).bind(v.amount_minor)
            .bind(&v.currency).bind(v.cancelled_at).bind(now)
            .fetch_optional(&mut *c).await?
    }))
}

pub async fn find_membership(
    db: &crate::Db,
    ws: WorkspaceId,
    id: MembershipId,
) -> DbResult<Option<Membership>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// The membership, read in the caller's transaction (before an update).
pub async fn find_membership_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MembershipId,
) -> DbResult<Option<Membership>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

/// The membership with this external id, in the caller's transaction.
pub async fn find_by_external_id(
    tx: &mut Tx,
    ws: WorkspaceId,
    external_id: &str,
) -> DbResult<Option<Membership>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships WHERE workspace_id = $1 AND external_id = $2"))
            .bind(ws.0).bind(external_id).fetch_optional(&mut *c).await?
    }))
}

/// Filters of [`list_memberships`].
#[derive(Debug, Clone, Default)]
pub struct MembershipFilter {
    pub contact_id: Option<ContactId>,
    pub status: Option<String>,
}

/// Where a page of [`list_memberships`] starts: after this row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: Ts,
    pub id: Uuid,
}

/// Newest first, `limit` rows after `cursor`.
pub async fn list_memberships(
    db: &crate::Db,
    ws: WorkspaceId,
    f: &MembershipFilter,
    cursor: Option<Cursor>,
    limit: i64,
) -> DbResult<Vec<Membership>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships WHERE workspace_id = $1
                AND ($2 IS NULL OR contact_id = $2) AND ($3 IS NULL OR status = $3)
                AND ($4 IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5))
              ORDER BY created_at DESC, id DESC LIMIT $6"))
            .bind(ws.0).bind(f.contact_id.map(|c| c.0)).bind(&f.status)
            .bind(cursor.map(|c| c.created_at)).bind(cursor.map(|c| c.id)).bind(limit)
            .fetch_all(p).await?
    }))
}

/// A contact's memberships, newest first (the contact page).
pub async fn list_for_contact(
    db: &crate::Db,
    ws: WorkspaceId,
    contact: ContactId,
) -> DbResult<Vec<Membership>> {
    let f = MembershipFilter {
        contact_id: Some(contact),
        status: None,
    };
    list_memberships(db, ws, &f, None, 200).await
}

/// Workspaces that have a membership still to watch (trial, active or past
/// due), for the daily check.
pub async fn workspaces_with_running(db: &crate::Db) -> DbResult<Vec<WorkspaceId>> {
    let ids: Vec<Uuid> = with_pool!(db, p => {
        sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM workspaces w WHERE EXISTS (SELECT 1 FROM contact_memberships m
                 WHERE m.workspace_id = w.id AND m.status IN ('trial', 'active', 'past_due'))
             ORDER BY id")
            .fetch_all(p).await?
    });
    Ok(ids.into_iter().map(WorkspaceId).collect())
}

/// Trial and active memberships ending in `(now, until]`: the candidates
/// of the expiring notices.
pub async fn list_ending(
    tx: &mut Tx,
    ws: WorkspaceId,
    now: Ts,
    until: Ts,
) -> DbResult<Vec<Membership>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships
             WHERE workspace_id = $1 AND status IN ('trial', 'active') AND ends_at > $2 AND ends_at <= $3
             ORDER BY ends_at, id"))
            .bind(ws.0).bind(now).bind(until)
            .fetch_all(&mut *c).await?
    }))
}

/// Records an expiring notice for the membership's current period (the
/// `ends_at` it was told for and its `days_left`); `false` when another
/// check already told this point (the row changed meanwhile).
pub async fn set_expiring_notice(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Membership,
    days_left: i32,
    now: Ts,
) -> DbResult<bool> {
    Ok(with_tx!(tx, c => {
        sqlx::query(
            "UPDATE contact_memberships SET expiring_notice_for = ends_at, expiring_notice_days = $3, updated_at = $4
             WHERE workspace_id = $1 AND id = $2 AND ends_at = $5
               AND (expiring_notice_for IS NULL OR expiring_notice_for <> ends_at
                    OR expiring_notice_days IS NULL OR expiring_notice_days > $3)")
            .bind(ws.0).bind(m.id.0).bind(days_left).bind(now).bind(m.ends_at)
            .execute(&mut *c).await?.rows_affected() > 0
    }))
}

/// The notice points the workspace's active `subscription_expiring`
/// workflows ask for (their `days`, from the current version).
pub async fn expiring_trigger_days(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Vec<i64>> {
    let defs: Vec<String> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT v.definition FROM workflows w
             JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.current_version
             WHERE w.workspace_id = $1 AND w.status = 'active' AND w.trigger_type = 'subscription_expiring'")
            .bind(ws.0).fetch_all(&mut *c).await?
    });
    Ok(defs
        .iter()
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .filter_map(|d| d["trigger"]["days"].as_i64())
        .collect())
}

/// Trial, active and past-due memberships whose end has passed.
pub async fn list_ended(tx: &mut Tx, ws: WorkspaceId, now: Ts) -> DbResult<Vec<Membership>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Membership>(concat!("SELECT ", membership_columns!(),
            " FROM contact_memberships WHERE workspace_id = $1 AND status IN ('trial', 'active', 'past_due')
                AND ends_at <= $2 ORDER BY ends_at, id"))
            .bind(ws.0).bind(now).fetch_all(&mut *c).await?
    }))
}
