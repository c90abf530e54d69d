//! In-app notifications (the bell): one row per member and workspace,
//! the member's preferences per kind, and the daily digest's bookkeeping
//! ([`digest`]).
//!
//! [`push`] is the one way in: other code calls it inside its own
//! transaction, and it applies the member's preference for the kind on the
//! server (off in the app → no row; by email → an email job in the same
//! transaction), then publishes a live event that reaches the member's
//! open pages once the transaction commits ([`crate::live`]).
//!
//! Every query names the workspace *and* the member: nobody reads another
//! member's bell, even in the same workspace.

pub mod digest;

use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::NotificationKind;
use af_core::{NotificationId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

/// A notification to push. `params` is a small JSON object the reader's
/// page turns into text (never prose: see `af_core::vocab::NotificationKind`
/// for each kind's params); `link` a path inside the product (`/...`).
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub kind: NotificationKind,
    pub params: serde_json::Value,
    pub link: String,
}

/// A stored notification.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Notification {
    #[sqlx(try_from = "Uuid")]
    pub id: NotificationId,
    /// A [`NotificationKind`] (kept as text: a row may predate a kind).
    pub kind: String,
    /// The JSON params as stored.
    pub params: String,
    pub link: String,
    pub created_at: Ts,
    pub read_at: Option<Ts>,
}

impl Notification {
    /// The params as JSON (an empty object when unreadable).
    pub fn params_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.params).unwrap_or_else(|_| serde_json::json!({}))
    }
}

/// Whether `link` is a path of this product (`/…`, not `//host`): the
/// only kind of link a notification keeps, so following one can never
/// leave the site.
pub fn is_internal_link(link: &str) -> bool {
    link.starts_with('/') && !link.starts_with("//") && !link.contains('\\')
}

/// Pushes a notification to one member, in the caller's transaction.
///
/// - The member's preference for the kind decides (read here, on the
///   server): in the app → a row (answered as `Some(id)`); by email → a
///   `notification_email` job; neither → nothing. No preference row means
///   in the app, not by email.
/// - A user who is not a member of the workspace gets nothing.
/// - A link that is not a path of the product is replaced by
///   `/notifications`.
/// - The member's open pages hear about it after the commit.
pub async fn push(tx: &mut Tx, n: &NewNotification, now: Ts) -> DbResult<Option<NotificationId>> {
    push_inner(tx, n, None, false, now).await
}

/// [`push`] for a writer that may run twice (a retried job): a second push
/// with the same `source_key` for the same member adds nothing and sends
/// nothing (e.g. `event:<id>`).
pub async fn push_keyed(
    tx: &mut Tx,
    n: &NewNotification,
    source_key: &str,
    now: Ts,
) -> DbResult<Option<NotificationId>> {
    push_inner(tx, n, Some(source_key), false, now).await
}

/// [`push_keyed`] that also emails when `also_email` (a retention rule
/// set to notify by email), whatever the member's email preference; the
/// bell still follows the preference.
pub async fn push_keyed_with(
    tx: &mut Tx,
    n: &NewNotification,
    source_key: &str,
    also_email: bool,
    now: Ts,
) -> DbResult<Option<NotificationId>> {
    push_inner(tx, n, Some(source_key), also_email, now).await
}

async fn push_inner(
    tx: &mut Tx,
    n: &NewNotification,
    source_key: Option<&str>,
    also_email: bool,
    now: Ts,
) -> DbResult<Option<NotificationId>> {
    let (ws, user) = (n.workspace_id, n.user_id);
    let Some(pref) = preference_tx(tx, ws, user, n.kind).await? else {
        return Ok(None); // not a member
    };
    let link = if is_internal_link(&n.link) {
        n.link.as_str()
    } else {
        "/notifications"
    };
    let mut id = None;
    if pref.in_app {
        let new_id = NotificationId::new();
        let inserted: Option<Uuid> = with_tx!(tx, c => {
            sqlx::query_scalar(
                "INSERT INTO notifications (id, workspace_id, user_id, kind, params, link, source_key, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (workspace_id, user_id, source_key) DO NOTHING
                 RETURNING id")
                .bind(new_id.0).bind(ws.0).bind(user.0).bind(n.kind.as_str())
                .bind(n.params.to_string()).bind(link).bind(source_key).bind(now)
                .fetch_optional(&mut *c).await?
        });
        if inserted.is_none() {
            return Ok(None); // pushed before under this key
        }
        id = Some(new_id);
        crate::live::notify_user_tx(tx, ws, user).await?;
    }
    // Email only (off in the app) keeps no row, so a retried keyed push
    // may email twice: an accepted cost of not showing what was turned off.
    if pref.email || also_email {
        let job = af_core::jobs::NotificationEmail {
            user_id: user,
            kind: n.kind,
            params: n.params.clone(),
            link: link.to_string(),
        };
        crate::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    }
    Ok(id)
}

/// How many unread notifications the member has: one `COUNT` over the
/// partial index `notifications_unread_idx`.
pub async fn unread_count(db: &crate::Db, ws: WorkspaceId, user: UserId) -> DbResult<i64> {
    Ok(with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL")
            .bind(ws.0).bind(user.0).fetch_one(p).await?
    }))
}

/// The member's `n` newest notifications (the bell's dropdown).
pub async fn latest(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    n: i64,
) -> DbResult<Vec<Notification>> {
    list(db, ws, user, false, None, n).await
}

/// Columns of [`Notification`].
macro_rules! notification_select {
    () => {
        "SELECT id, kind, params, link, created_at, read_at FROM notifications
         WHERE workspace_id = $1 AND user_id = $2 "
    };
}

/// A page of the member's notifications, newest first: those before
/// `after` (the `(created_at, id)` of the last row of the previous page),
/// only unread ones when `unread_only`. Walks `notifications_list_idx`.
pub async fn list(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    unread_only: bool,
    after: Option<(Ts, NotificationId)>,
    limit: i64,
) -> DbResult<Vec<Notification>> {
    // Without a cursor, a cursor after everything: one statement text.
    let (at, id) = after.map_or((Ts::new(jiff::Timestamp::MAX), Uuid::max()), |(t, i)| {
        (t, i.0)
    });
    Ok(with_pool!(db, p => {
        let q = if unread_only {
            sqlx::query_as::<_, Notification>(concat!(notification_select!(),
                "AND read_at IS NULL AND (created_at < $3 OR (created_at = $3 AND id < $4))
                 ORDER BY created_at DESC, id DESC LIMIT $5"))
        } else {
            sqlx::query_as::<_, Notification>(concat!(notification_select!(),
                "AND (created_at < $3 OR (created_at = $3 AND id < $4))
                 ORDER BY created_at DESC, id DESC LIMIT $5"))
        };
        q.bind(ws.0).bind(user.0).bind(at).bind(id).bind(limit).fetch_all(p).await?
    }))
}

/// One of the member's notifications.
pub async fn find(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    id: NotificationId,
) -> DbResult<Option<Notification>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Notification>(concat!(notification_select!(), "AND id = $3"))
            .bind(ws.0).bind(user.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// Marks some of the member's notifications read (ids of other members or
/// workspaces are ignored). How many changed; the member's pages hear it.
pub async fn mark_read(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    ids: &[NotificationId],
    now: Ts,
) -> DbResult<u64> {
    let mut changed = 0;
    let mut tx = db.begin().await?;
    for id in ids.iter().take(500) {
        changed += with_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE notifications SET read_at = $4
                 WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL")
                .bind(ws.0).bind(user.0).bind(id.0).bind(now)
                .execute(&mut *c).await?.rows_affected()
        });
    }
    if changed > 0 {
        crate::live::notify_user_tx(&mut tx, ws, user).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

/// Marks every unread notification of the member read: one statement.
pub async fn mark_all_read(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    now: Ts,
) -> DbResult<u64> {
    let mut tx = db.begin().await?;
    let changed = with_tx!(&mut tx, c => {
        sqlx::query(
            "UPDATE notifications SET read_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL")
            .bind(ws.0).bind(user.0).bind(now)
            .execute(&mut *c).await?.rows_affected()
    });
    if changed > 0 {
        crate::live::notify_user_tx(&mut tx, ws, user).await?;
    }
    tx.commit().await?;
    Ok(changed)
}

// ------------------------------------------------------------ preferences

/// What a member wants for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Preference {
    pub kind: NotificationKind,
    pub in_app: bool,
    pub email: bool,
}

impl Preference {
    /// The default for `kind` (no row).
    pub fn default_for(kind: NotificationKind) -> Self {
        Preference {
            kind,
            in_app: NotificationKind::DEFAULT_IN_APP,
            email: NotificationKind::DEFAULT_EMAIL,
        }
    }
}

/// The member's preference for `kind`; `None` when the user is not a
/// member of the workspace. One query.
async fn preference_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    kind: NotificationKind,
) -> DbResult<Option<Preference>> {
    let row: Option<(Option<bool>, Option<bool>)> = with_tx!(tx, c => {
        sqlx::query_as(
            "SELECT p.in_app, p.email FROM memberships m
             LEFT JOIN notification_preferences p
               ON p.workspace_id = m.workspace_id AND p.user_id = m.user_id AND p.kind = $3
             WHERE m.workspace_id = $1 AND m.user_id = $2")
            .bind(ws.0).bind(user.0).bind(kind.as_str()).fetch_optional(&mut *c).await?
    });
    Ok(row.map(|(in_app, email)| Preference {
        kind,
        in_app: in_app.unwrap_or(NotificationKind::DEFAULT_IN_APP),
        email: email.unwrap_or(NotificationKind::DEFAULT_EMAIL),
    }))
}

/// The member's preferences for every kind, in [`NotificationKind::ALL`]'s
/// order (defaults where no row).
pub async fn preferences(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
) -> DbResult<Vec<Preference>> {
    let rows: Vec<(String, bool, bool)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT kind, in_app, email FROM notification_preferences WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).fetch_all(p).await?
    });
    Ok(NotificationKind::ALL
        .iter()
        .map(|k| {
            rows.iter().find(|(name, _, _)| *name == *k).map_or(
                Preference::default_for(*k),
                |(_, in_app, email)| Preference {
                    kind: *k,
                    in_app: *in_app,
                    email: *email,
                },
            )
        })
        .collect())
}

/// Saves the member's preferences (one row per kind given).
pub async fn set_preferences(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    prefs: &[Preference],
    now: Ts,
) -> DbResult<()> {
    for p in prefs {
        with_tx!(tx, c => {
            sqlx::query(
                "INSERT INTO notification_preferences (workspace_id, user_id, kind, in_app, email, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (workspace_id, user_id, kind)
                 DO UPDATE SET in_app = excluded.in_app, email = excluded.email, updated_at = excluded.updated_at")
                .bind(ws.0).bind(user.0).bind(p.kind.as_str()).bind(p.in_app).bind(p.email).bind(now)
                .execute(&mut *c).await?;
        });
    }
    Ok(())
}

/// Whether the member gets the daily digest email (off by default).
pub async fn daily_digest(db: &crate::Db, ws: WorkspaceId, user: UserId) -> DbResult<bool> {
    let on: Option<bool> = with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT daily_digest FROM notification_settings WHERE workspace_id = $1 AND user_id = $2")
            .bind(ws.0).bind(user.0).fetch_optional(p).await?
    });
    Ok(on.unwrap_or(false))
}

/// Turns the member's daily digest on or off.
pub async fn set_daily_digest(
    tx: &mut Tx,
    ws: WorkspaceId,
    user: UserId,
    on: bool,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO notification_settings (workspace_id, user_id, daily_digest, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (workspace_id, user_id)
             DO UPDATE SET daily_digest = excluded.daily_digest, updated_at = excluded.updated_at")
            .bind(ws.0).bind(user.0).bind(on).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Makes the bell hear the events it turns into notifications in `ws`
/// (a task created, a threshold entered, a booking, a reply, a
/// conversation assigned): called when a
/// workspace is provisioned; migration 0029 did it for existing ones.
pub async fn listen(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    use af_core::vocab::EventKind;
    for kind in [
        EventKind::TaskCreated,
        EventKind::ScoreThresholdEntered,
        EventKind::AppointmentBooked,
        EventKind::MessageInbound,
        EventKind::ConversationAssigned,
    ] {
        crate::subscriptions::add(
            tx,
            ws,
            af_core::events::Subscriber::Notifications,
            kind.as_str(),
        )
        .await?;
    }
    Ok(())
}

/// The users of a workspace whose role is at least `min` (who hears about
/// a workspace-wide problem, or a hot lead nobody owns).
pub async fn members_with_role(
    tx: &mut Tx,
    ws: WorkspaceId,
    roles: &[af_core::Role],
) -> DbResult<Vec<UserId>> {
    let rows: Vec<(Uuid, String)> = with_tx!(tx, c => {
        sqlx::query_as("SELECT user_id, role FROM memberships WHERE workspace_id = $1 ORDER BY user_id")
            .bind(ws.0).fetch_all(&mut *c).await?
    });
    Ok(rows
        .into_iter()
        .filter(|(_, r)| roles.iter().any(|x| x.as_str() == r))
        .map(|(u, _)| UserId(u))
        .collect())
}
