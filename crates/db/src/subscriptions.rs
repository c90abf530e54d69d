//! `event_subscriptions`: which subscriber may react to which event kind in
//! a workspace. An index, not a rule: each subscriber's configuration
//! (workflow listeners, webhook endpoints, Kommo syncs) keeps its rows in
//! step when it is written, so that writing an event costs one indexed
//! lookup to learn whether anyone listens. What a subscriber does with an
//! event is decided by the engine's `dispatch` module.

use crate::{DbResult, Tx, with_pool, with_tx};
use af_core::WorkspaceId;
use af_core::events::{ALL, Subscriber};

/// Replaces `who`'s kinds in `ws` with `kinds` (`*` for every kind).
pub async fn replace(
    tx: &mut Tx,
    ws: WorkspaceId,
    who: Subscriber,
    kinds: &[String],
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM event_subscriptions WHERE workspace_id = $1 AND subscriber = $2")
            .bind(ws.0).bind(who.as_str()).execute(&mut *c).await?;
    });
    for kind in kinds {
        add(tx, ws, who, kind).await?;
    }
    Ok(())
}

/// Adds one kind (a no-op when it is there).
pub async fn add(tx: &mut Tx, ws: WorkspaceId, who: Subscriber, kind: &str) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO event_subscriptions (workspace_id, event_kind, subscriber, hears_quiet)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(ws.0).bind(kind).bind(who.as_str()).bind(who.hears_quiet_events())
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// Whether any subscriber may react to an event of `kind` in `ws`; a quiet
/// event counts only subscribers that hear quiet events. The one query
/// writing an event adds.
pub async fn anyone_listens(
    tx: &mut Tx,
    ws: WorkspaceId,
    kind: &str,
    quiet: bool,
) -> DbResult<bool> {
    let hit: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar(
            "SELECT 1 FROM event_subscriptions
             WHERE workspace_id = $1 AND event_kind IN ($2, $3) AND (hears_quiet OR NOT $4) LIMIT 1")
            .bind(ws.0).bind(kind).bind(ALL).bind(quiet)
            .fetch_optional(&mut *c).await?
    });
    Ok(hit.is_some())
}

/// Who listens in a workspace, read once for many events (a bulk import's
/// chunk): [`Listening::hears`] answers what [`anyone_listens`] would.
pub struct Listening(Vec<(String, bool)>);

impl Listening {
    /// Whether any subscriber may react to an event of `kind` (`quiet` as
    /// for [`anyone_listens`]).
    pub fn hears(&self, kind: &str, quiet: bool) -> bool {
        self.0
            .iter()
            .any(|(k, hears_quiet)| (k == kind || k == ALL) && (*hears_quiet || !quiet))
    }
}

/// The event kinds subscribers of `ws` listen to (one query).
pub async fn listening(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Listening> {
    let rows: Vec<(String, bool)> = with_tx!(tx, c => {
        sqlx::query_as("SELECT DISTINCT event_kind, hears_quiet FROM event_subscriptions WHERE workspace_id = $1")
            .bind(ws.0).fetch_all(&mut *c).await?
    });
    Ok(Listening(rows))
}

/// The subscribers that may react to an event of `kind` in `ws`.
pub async fn subscribers_of(
    db: &crate::Db,
    ws: WorkspaceId,
    kind: &str,
) -> DbResult<Vec<Subscriber>> {
    let names: Vec<String> = with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT DISTINCT subscriber FROM event_subscriptions WHERE workspace_id = $1 AND event_kind IN ($2, $3)")
            .bind(ws.0).bind(kind).bind(ALL).fetch_all(p).await?
    });
    let mut subs: Vec<Subscriber> = names.iter().filter_map(|n| Subscriber::parse(n)).collect();
    subs.sort();
    Ok(subs)
}
