//! Domain events: the outbox every capability writes to, in the same
//! transaction as the change it describes. The contact timeline reads from
//! here; everything that reacts to an event (automations, webhooks, Kommo,
//! and what comes next) does so through one `dispatch` job, whose handler
//! in the engine decides who reacts.

use crate::audit::AuditNote;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Actor, EventId, WorkspaceId};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub workspace: WorkspaceId,
    /// e.g. `workspace.updated`, `contact.created`, `deal.stage_changed`.
    pub kind: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub actor: &'a Actor,
    /// Old and new values, ids: whatever a consumer needs.
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Event {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub kind: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub data: String,
    pub occurred_at: Ts,
}

/// The columns of [`Event`], for every query that reads events.
macro_rules! event_select {
    () => {
        "SELECT id, workspace_id, kind, entity_type, entity_id, actor_type, actor_id, data, occurred_at FROM events "
    };
}

/// Writes the event and, when some subscriber of the workspace may react to
/// its kind ([`crate::subscriptions`]), one dispatch job, in the caller's
/// transaction. One indexed lookup whether or not anyone listens.
pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>, now: Ts) -> DbResult<EventId> {
    let id = EventId::new();
    tx.note_audit_with(e.kind, || audit_note(e, now));
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO events (id, workspace_id, kind, entity_type, entity_id, actor_type, actor_id, data, occurred_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.0)
        .bind(e.workspace.0)
        .bind(e.kind)
        .bind(e.entity_type)
        .bind(&e.entity_id)
        .bind(e.actor.kind.as_str())
        .bind(e.actor.id)
        .bind(e.data.to_string())
        .bind(now)
        .execute(&mut *c)
        .await?;
    });
    let quiet = af_core::events::is_quiet(&e.data);
    if crate::subscriptions::anyone_listens(tx, e.workspace, e.kind, quiet).await? {
        let job = af_core::jobs::DispatchEvent { event_id: id };
        crate::jobs::enqueue_job(tx, Some(e.workspace), &job, now, now).await?;
    }
    Ok(id)
}

/// [`insert_event`] for many events, in the caller's transaction: multi-row
/// `INSERT`s, who listens read once per workspace, and the dispatch jobs
/// enqueued together. The ids, in order.
pub async fn insert_events(
    tx: &mut Tx,
    events: &[NewEvent<'_>],
    now: Ts,
) -> DbResult<Vec<EventId>> {
    const COLS: usize = 9;
    let ids: Vec<EventId> = events.iter().map(|_| EventId::new()).collect();
    for e in events {
        tx.note_audit_with(e.kind, || audit_note(e, now));
    }
    for r in crate::placeholders::steady_chunks(events.len(), crate::placeholders::STEADY_ROWS) {
        let (group, group_ids) = (&events[r.clone()], &ids[r]);
        let sql = format!(
            "INSERT INTO events (id, workspace_id, kind, entity_type, entity_id, actor_type, actor_id, data, occurred_at)
             VALUES {}",
            crate::placeholders::Marks::new(tx).rows(group.len(), COLS)
        );
        with_tx!(tx, c => {
            // Only placeholders are formatted into the text.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (e, id) in group.iter().zip(group_ids) {
                q = q.bind(id.0).bind(e.workspace.0).bind(e.kind).bind(e.entity_type)
                    .bind(&e.entity_id).bind(e.actor.kind.as_str()).bind(e.actor.id)
                    .bind(e.data.to_string()).bind(now);
            }
            q.execute(&mut *c).await?;
        });
    }
    let mut jobs = Vec::new();
    let mut heard: Option<(WorkspaceId, crate::subscriptions::Listening)> = None;
    for (e, id) in events.iter().zip(&ids) {
        if heard.as_ref().is_none_or(|(ws, _)| *ws != e.workspace) {
            heard = Some((
                e.workspace,
                crate::subscriptions::listening(tx, e.workspace).await?,
            ));
        }
        let quiet = af_core::events::is_quiet(&e.data);
        if heard
            .as_ref()
            .is_some_and(|(_, who)| who.hears(e.kind, quiet))
        {
            let job = af_core::jobs::DispatchEvent { event_id: *id };
            jobs.push(crate::jobs::NewJob::typed(Some(e.workspace), &job, now)?);
        }
    }
    if !jobs.is_empty() {
        crate::jobs::enqueue_batch(tx, &jobs, now).await?;
    }
    Ok(ids)
}

/// The note of a domain event: its kind, entity and actor, its old/new
/// values, and the channel and contact its data names.
fn audit_note(e: &NewEvent<'_>, at: Ts) -> AuditNote {
    let d = &e.data;
    let changes = match (d.get("old"), d.get("new")) {
        (None, None) => None,
        (old, new) => Some(json!({ "old": old, "new": new })),
    };
    let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_string);
    let contact = if e.entity_type == "contact" {
        e.entity_id.clone()
    } else {
        s("contact_id")
    };
    AuditNote {
        workspace: e.workspace,
        action: e.kind.to_string(),
        target_type: Some(e.entity_type.to_string()),
        target_id: e.entity_id.clone(),
        actor: e.actor.clone(),
        result: "ok".into(),
        changes,
        channel: s("channel"),
        contact,
        detail: Value::Null,
        at,
    }
}

pub async fn list_events(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<Event>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Event>(
            concat!(event_select!(), "WHERE workspace_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2"),
        )
        .bind(ws.0)
        .bind(limit)
        .fetch_all(p)
        .await?
    }))
}

/// The change feed of the API (`GET /api/v1/events`): the workspace's
/// events in the order they were recorded (ids are time-ordered UUIDv7;
/// `occurred_at` may lie in the future or the past, so it cannot order a
/// feed), after the event `after_id`, that occurred after `since`,
/// optionally of one kind.
pub async fn feed(
    db: &crate::Db,
    ws: WorkspaceId,
    kind: Option<&str>,
    since: Ts,
    after_id: Uuid,
    limit: i64,
) -> DbResult<Vec<Event>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Event>(concat!(
            event_select!(),
            "WHERE workspace_id = $1 AND ($2 = '' OR kind = $2) AND occurred_at > $3 AND id > $4
             ORDER BY id LIMIT $5"
        ))
        .bind(ws.0)
        .bind(kind.unwrap_or_default())
        .bind(since)
        .bind(after_id)
        .bind(limit)
        .fetch_all(p)
        .await?
    }))
}

/// Events about one entity and, optionally, related entities (a contact and
/// its deals), newest first.
pub async fn list_entity_events(
    db: &crate::Db,
    ws: WorkspaceId,
    entity_id: &str,
    related_ids: &[String],
    limit: i64,
) -> DbResult<Vec<Event>> {
    let mut ids: Vec<&str> = vec![entity_id];
    ids.extend(related_ids.iter().map(String::as_str).take(500));
    let mut sql = String::from(concat!(
        event_select!(),
        "WHERE workspace_id = $1 AND entity_id IN ("
    ));
    for i in 0..ids.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("${}", i + 2));
    }
    sql.push_str(&format!(
        ") ORDER BY occurred_at DESC, id DESC LIMIT ${}",
        ids.len() + 2
    ));
    Ok(with_pool!(db, p => {
        // Only placeholders are formatted into the text; every value is bound.
        let mut q = sqlx::query_as::<_, Event>(sqlx::AssertSqlSafe(sql.clone())).bind(ws.0);
        for id in &ids {
            q = q.bind(*id);
        }
        q.bind(limit).fetch_all(p).await?
    }))
}

/// One event of the workspace (for its dispatch).
pub async fn find_event(db: &crate::Db, ws: WorkspaceId, id: EventId) -> DbResult<Option<Event>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Event>(concat!(event_select!(), "WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// One event of the workspace, in a transaction (for its routing).
pub async fn find_event_tx(tx: &mut Tx, ws: WorkspaceId, id: Uuid) -> DbResult<Option<Event>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Event>(concat!(event_select!(), "WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(&mut *c).await?
    }))
}
