//! The daily digest email: who gets one today ([`queue_due`]) and what it
//! says ([`sections`]).
//!
//! The hourly `queue_digests` job asks [`queue_due`]: in every workspace
//! where some member opted in and the local time has reached
//! [`DIGEST_HOUR`], one `INSERT … SELECT … ON CONFLICT DO NOTHING` into
//! `notification_digests` keyed by (workspace, member, local date) decides
//! who is due, and a `send_digest` job is queued for each row it wrote, in
//! the same transaction. A second run that day (or a second node) inserts
//! nothing and queues nothing.
//!
//! A digest is a list of [`DigestSection`]s; each source of "what to look
//! at today" adds a [`DigestSectionKind`] and one arm in [`sections`].

use crate::{DbResult, Ts, with_pool, with_tx};
use af_core::{UserId, WorkspaceId};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use uuid::Uuid;

/// The local hour (in the workspace's zone) from which the day's digest
/// goes out.
pub const DIGEST_HOUR: i8 = 7;

/// One part of a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestSectionKind {
    /// Open tasks assigned to the member, due on the local date.
    TasksDueToday,
    /// Active retention alerts assigned to the member, highest risk first
    /// (an item's `title` is the alert's type, which the mail labels).
    RetentionAlerts,
}

/// One line of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestItem {
    /// What the line says (a task's title…), written by the workspace.
    pub title: String,
    /// Whom it is about (a contact's name), when anyone.
    pub subject: Option<String>,
    /// When (a due time), when it has one.
    pub at: Option<Ts>,
    /// A path in the product.
    pub link: String,
}

/// A section: its kind (the page and email name it in the reader's
/// language) and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSection {
    pub kind: DigestSectionKind,
    pub items: Vec<DigestItem>,
}

/// The instants a local date spans in `tz`.
pub fn local_day(date: Date, tz: &TimeZone) -> Option<(Ts, Ts)> {
    let start = date.to_zoned(tz.clone()).ok()?;
    let end = date.tomorrow().ok()?.to_zoned(tz.clone()).ok()?;
    Some((Ts::new(start.timestamp()), Ts::new(end.timestamp())))
}

/// What the member's digest for `date` holds: every section in a stable
/// order, empty ones included (the sender leaves them out, and sends
/// nothing when all are empty).
pub async fn sections(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    date: Date,
    tz: &TimeZone,
) -> DbResult<Vec<DigestSection>> {
    let Some((from, until)) = local_day(date, tz) else {
        return Ok(Vec::new());
    };
    Ok(vec![
        DigestSection {
            kind: DigestSectionKind::TasksDueToday,
            items: tasks_due(db, ws, user, from, until).await?,
        },
        DigestSection {
            kind: DigestSectionKind::RetentionAlerts,
            items: retention_alerts(db, ws, user).await?,
        },
    ])
}

async fn retention_alerts(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
) -> DbResult<Vec<DigestItem>> {
    // Read here rather than through the retention module, which pushes to
    // the bell (the modules would depend on each other).
    let rows: Vec<(Uuid, String, i64, Ts, String, String)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT a.id, a.type, a.risk, a.opened_at, c.first_name, c.last_name
             FROM retention_alerts a JOIN contacts c ON c.workspace_id = a.workspace_id AND c.id = a.contact_id
             WHERE a.workspace_id = $1 AND a.assignee_id = $2 AND a.status IN ('open', 'in_progress')
             ORDER BY a.risk DESC, a.id DESC LIMIT 50")
            .bind(ws.0).bind(user.0).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(
            |(id, alert_type, risk, opened_at, first, last)| DigestItem {
                title: alert_type,
                subject: Some(format!("{} ({risk})", format!("{first} {last}").trim())),
                at: Some(opened_at),
                link: format!("/contacts/retention?alert={id}"),
            },
        )
        .collect())
}

async fn tasks_due(
    db: &crate::Db,
    ws: WorkspaceId,
    user: UserId,
    from: Ts,
    until: Ts,
) -> DbResult<Vec<DigestItem>> {
    type Row = (
        Uuid,
        String,
        Option<Ts>,
        Option<Uuid>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT t.id, t.title, t.due_at, t.contact_id, c.first_name, c.last_name
             FROM tasks t LEFT JOIN contacts c ON c.id = t.contact_id
             WHERE t.workspace_id = $1 AND t.assignee_id = $2 AND t.done_at IS NULL
               AND t.due_at >= $3 AND t.due_at < $4
             ORDER BY t.due_at, t.id LIMIT 100")
            .bind(ws.0).bind(user.0).bind(from).bind(until).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(_, title, due, contact, first, last)| {
            let name = format!(
                "{} {}",
                first.as_deref().unwrap_or(""),
                last.as_deref().unwrap_or("")
            )
            .trim()
            .to_string();
            DigestItem {
                title,
                subject: (!name.is_empty()).then_some(name),
                at: due,
                link: contact.map_or_else(|| "/tasks".to_string(), |c| format!("/contacts/{c}")),
            }
        })
        .collect())
}

/// Workspaces where at least one member opted in, with their zones.
async fn workspaces_with_digests(db: &crate::Db) -> DbResult<Vec<(WorkspaceId, String)>> {
    let rows: Vec<(Uuid, String)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT w.id, w.time_zone FROM workspaces w
             WHERE EXISTS (SELECT 1 FROM notification_settings s WHERE s.workspace_id = w.id AND s.daily_digest)
             ORDER BY w.id")
            .fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(w, tz)| (WorkspaceId(w), tz))
        .collect())
}

/// The workspace's local date at `now`, when its digest hour has come.
pub fn due_date(now: Ts, time_zone: &str) -> Option<Date> {
    let tz = TimeZone::get(time_zone).unwrap_or(TimeZone::UTC);
    let local = now.0.to_zoned(tz);
    (local.hour() >= DIGEST_HOUR).then(|| local.date())
}

/// Queues today's digest for every opted-in member whose workspace's
/// morning has come and who has not had it yet (see the module docs).
/// How many were queued.
pub async fn queue_due(db: &crate::Db, now: Ts) -> DbResult<usize> {
    let mut queued = 0;
    for (ws, zone) in workspaces_with_digests(db).await? {
        let Some(date) = due_date(now, &zone) else {
            continue;
        };
        let local_date = date.to_string();
        let mut tx = db.begin().await?;
        let users: Vec<Uuid> = with_tx!(&mut tx, c => {
            sqlx::query_scalar(
                "INSERT INTO notification_digests (workspace_id, user_id, local_date, queued_at)
                 SELECT s.workspace_id, s.user_id, $2, $3 FROM notification_settings s
                 JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                 WHERE s.workspace_id = $1 AND s.daily_digest
                 ON CONFLICT DO NOTHING
                 RETURNING user_id")
                .bind(ws.0).bind(&local_date).bind(now).fetch_all(&mut *c).await?
        });
        for user in &users {
            let job = af_core::jobs::SendDigest {
                user_id: UserId(*user),
                local_date: local_date.clone(),
            };
            crate::jobs::enqueue_job(&mut tx, Some(ws), &job, now, now).await?;
        }
        tx.commit().await?;
        queued += users.len();
    }
    Ok(queued)
}
