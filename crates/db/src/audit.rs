//! The audit log: who did what to which record, and how it went.
//!
//! One row per mutating action, written in the transaction that makes the
//! change. Two ways in:
//!
//! - **Automatic.** A mutating HTTP request or a job run sets an
//!   [`AuditScope`] (a task-local: request id, origin, IP, actor). Every
//!   [`Tx`] collects what it did ([`Tx::note_audit`]; every domain event
//!   notes itself) and, inside a scope, [`Tx::commit`] writes one row
//!   summarising it just before the real commit: one INSERT per audited
//!   transaction, never one per event.
//! - **Explicit.** [`insert_audit`] with richer details; the scope's
//!   automatic rows are then skipped for the rest of that request.
//!
//! The table is append-only (migration 0030): only [`purge_expired`]
//! deletes, through the gate the triggers allow.

use crate::placeholders::Marks;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Actor, WorkspaceId};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Default retention of a workspace's audit log, in days.
pub const DEFAULT_RETENTION_DAYS: i64 = 400;

/// One action to record.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub workspace: Option<WorkspaceId>,
    pub actor: &'a Actor,
    pub action: &'a str,
    pub target_type: Option<&'a str>,
    pub target_id: Option<String>,
    /// "ok", "denied", "failed"...
    pub result: &'a str,
    pub details: serde_json::Value,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub workspace_id: Option<Uuid>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_label: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub result: String,
    pub details: String,
    pub ip: Option<String>,
    pub created_at: Ts,
    pub request_id: Option<String>,
    pub origin: Option<String>,
    pub changes: Option<String>,
    pub channel: Option<String>,
    pub contact_id: Option<String>,
}

impl AuditEntry {
    /// The export's JSON line: PAUTA's `actions_log` fields (`timestamp`,
    /// `action`, `channel`, `target`, `lead`, `result`, `detail`) and ours.
    pub fn to_line(&self) -> Value {
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.into()));
        let target = match (&self.target_type, &self.target_id) {
            (Some(t), Some(i)) => Some(format!("{t}:{i}")),
            (Some(t), None) => Some(t.clone()),
            _ => None,
        };
        json!({
            "id": self.id,
            "timestamp": self.created_at.to_string(),
            "action": self.action,
            "channel": self.channel,
            "target": target,
            "lead": self.contact_id,
            "result": self.result,
            "detail": parse(&self.details),
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "actor_name": self.actor_label,
            "entity_type": self.target_type,
            "entity_id": self.target_id,
            "changes": self.changes.as_deref().map(parse),
            "request_id": self.request_id,
            "origin": self.origin,
            "ip": self.ip,
        })
    }
}

const INSERT_SQL: &str = "INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_label, action,
        target_type, target_id, result, details, ip, created_at, request_id, origin, changes, channel, contact_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

/// A row as written, owned.
struct Row {
    workspace: Option<WorkspaceId>,
    actor: Actor,
    action: String,
    target_type: Option<String>,
    target_id: Option<String>,
    result: String,
    details: Value,
    ip: Option<String>,
    at: Ts,
    request_id: Option<String>,
    origin: Option<String>,
    changes: Option<Value>,
    channel: Option<String>,
    contact: Option<String>,
}

macro_rules! bind_row {
    ($q:expr, $r:expr) => {
        $q.bind(Uuid::now_v7())
            .bind($r.workspace.map(|w| w.0))
            .bind($r.actor.kind.as_str())
            .bind($r.actor.id)
            .bind(&$r.actor.label)
            .bind(&$r.action)
            .bind(&$r.target_type)
            .bind(&$r.target_id)
            .bind(&$r.result)
            .bind($r.details.to_string())
            .bind(&$r.ip)
            .bind($r.at)
            .bind(&$r.request_id)
            .bind(&$r.origin)
            .bind($r.changes.as_ref().map(|c| c.to_string()))
            .bind(&$r.channel)
            .bind(&$r.contact)
    };
}

impl Row {
    /// An explicit entry, completed with the current scope's request id,
    /// origin and address.
    fn explicit(a: &NewAudit<'_>, now: Ts) -> Row {
        let scope = current();
        let info = scope.as_ref().map(|s| s.info.clone());
        Row {
            workspace: a.workspace,
            actor: a.actor.clone(),
            action: a.action.to_string(),
            target_type: a.target_type.map(str::to_string),
            target_id: a.target_id.clone(),
            result: a.result.to_string(),
            changes: a.details.get("changes").cloned(),
            channel: a
                .details
                .get("channel")
                .and_then(Value::as_str)
                .map(str::to_string),
            contact: a
                .details
                .get("contact_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            details: a.details.clone(),
            ip: a
                .ip
                .map(str::to_string)
                .or_else(|| info.as_ref().and_then(|i| i.ip.clone())),
            at: now,
            request_id: info.as_ref().map(|i| i.request_id.clone()),
            origin: info.map(|i| i.origin),
        }
    }
}

/// Records an action inside the transaction that performs it. Inside an
/// [`AuditScope`], the scope's automatic row is then not written.
pub async fn insert_audit(tx: &mut Tx, a: &NewAudit<'_>, now: Ts) -> DbResult<()> {
    let row = Row::explicit(a, now);
    with_tx!(tx, c => {
        bind_row!(sqlx::query(INSERT_SQL), row).execute(&mut *c).await?;
    });
    tx.trail.explicit = true;
    if let Some(s) = current() {
        s.mark_explicit();
    }
    Ok(())
}

/// Records an action that has no transaction of its own (a failed sign-in).
pub async fn insert_audit_now(db: &crate::Db, a: &NewAudit<'_>, now: Ts) -> DbResult<()> {
    let row = Row::explicit(a, now);
    with_pool!(db, p => {
        bind_row!(sqlx::query(INSERT_SQL), row).execute(p).await?;
    });
    if let Some(s) = current() {
        s.mark_explicit();
    }
    Ok(())
}

// ------------------------------------------------------------- the scope

/// What is known about a request or job run when it starts.
#[derive(Debug, Clone)]
pub struct ScopeInfo {
    /// One per HTTP request or job run.
    pub request_id: String,
    /// `POST /contacts/{id}` (the route template, never the raw path), or
    /// `job send_message`.
    pub origin: String,
    /// The client's address; hashed for public doors.
    pub ip: Option<String>,
    /// Who acts until an extractor says better: the system for jobs, the
    /// public for public doors.
    pub default_actor: Actor,
}

#[derive(Debug)]
struct ScopeState {
    actor: Option<Actor>,
    workspace: Option<WorkspaceId>,
    rows: u32,
    explicit: bool,
}

/// The audit context of one mutating request or job run (a tokio
/// task-local, set with [`AuditScope::run`]). Cheap to clone.
#[derive(Debug, Clone)]
pub struct AuditScope {
    info: ScopeInfo,
    state: Arc<Mutex<ScopeState>>,
}

tokio::task_local! {
    static SCOPE: AuditScope;
}

fn current() -> Option<AuditScope> {
    SCOPE.try_with(Clone::clone).ok()
}

impl AuditScope {
    pub fn new(info: ScopeInfo) -> Self {
        Self {
            info,
            state: Arc::new(Mutex::new(ScopeState {
                actor: None,
                workspace: None,
                rows: 0,
                explicit: false,
            })),
        }
    }

    /// Runs `f` inside this scope.
    pub async fn run<F: std::future::Future>(self, f: F) -> F::Output {
        SCOPE.scope(self, f).await
    }

    /// The scope of the running task, if any.
    pub fn current() -> Option<AuditScope> {
        current()
    }

    /// Says who is acting (the authentication extractors call this).
    pub fn set_actor(actor: Actor, workspace: Option<WorkspaceId>) {
        if let Some(s) = current() {
            let mut st = s.lock();
            st.actor = Some(actor);
            st.workspace = workspace;
        }
    }

    pub fn info(&self) -> &ScopeInfo {
        &self.info
    }

    /// Rows written in this scope so far (automatic and explicit).
    pub fn rows(&self) -> u32 {
        self.lock().rows
    }

    /// The actor and workspace an extractor set, if any.
    pub fn actor(&self) -> (Option<Actor>, Option<WorkspaceId>) {
        let st = self.lock();
        (st.actor.clone(), st.workspace)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ScopeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mark_explicit(&self) {
        let mut st = self.lock();
        st.explicit = true;
        st.rows += 1;
    }

    /// Writes the row of a request whose handler changed something without
    /// a transaction of ours (or wrote nothing we could summarise), after
    /// the response: `result` from its status. Nothing when a row exists
    /// or no workspace is known.
    pub async fn write_fallback(
        &self,
        db: &crate::Db,
        result: &str,
        status: u16,
        now: Ts,
    ) -> DbResult<()> {
        let (actor, workspace) = {
            let st = self.lock();
            if st.rows > 0 {
                return Ok(());
            }
            (st.actor.clone(), st.workspace)
        };
        let Some(workspace) = workspace else {
            return Ok(());
        };
        let row = Row {
            workspace: Some(workspace),
            actor: actor.unwrap_or_else(|| self.info.default_actor.clone()),
            action: self.info.origin.clone(),
            target_type: None,
            target_id: None,
            result: result.to_string(),
            details: json!({ "status": status }),
            ip: self.info.ip.clone(),
            at: now,
            request_id: Some(self.info.request_id.clone()),
            origin: Some(self.info.origin.clone()),
            changes: None,
            channel: None,
            contact: None,
        };
        with_pool!(db, p => {
            bind_row!(sqlx::query(INSERT_SQL), row).execute(p).await?;
        });
        self.lock().rows += 1;
        Ok(())
    }
}

// ------------------------------------------------------------- the trail

/// Something a transaction did, for its automatic audit row.
#[derive(Debug, Clone)]
pub struct AuditNote {
    pub workspace: WorkspaceId,
    /// `contact.updated`, `message.sent`...
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub actor: Actor,
    pub result: String,
    /// `{"old": {...}, "new": {...}}` when the change has them.
    pub changes: Option<Value>,
    pub channel: Option<String>,
    pub contact: Option<String>,
    /// Anything else worth keeping (a vendor's error, a provider).
    pub detail: Value,
    pub at: Ts,
}

/// Most kinds counted per transaction (a batch touching more is rare; the
/// count stays exact).
const MAX_KINDS: usize = 16;

/// What a [`Tx`] did, kept for its automatic audit row: the first note in
/// full, and a count per kind of the rest (a batch of 10,000 contacts is
/// one row saying so, not 10,000 rows).
#[derive(Debug, Default)]
pub(crate) struct Trail {
    first: Option<AuditNote>,
    count: u64,
    kinds: BTreeMap<String, u64>,
    /// An explicit row was written in this transaction.
    explicit: bool,
}

impl Tx {
    /// Notes what this transaction did, for its automatic audit row.
    pub fn note_audit(&mut self, note: AuditNote) {
        let action = note.action.clone();
        self.note_audit_with(&action, || note);
    }

    /// [`Tx::note_audit`], building the note only when it is the first
    /// (a batch of events costs a count per event, not a note).
    pub fn note_audit_with(&mut self, action: &str, note: impl FnOnce() -> AuditNote) {
        let t = &mut self.trail;
        t.count += 1;
        if t.kinds.len() < MAX_KINDS || t.kinds.contains_key(action) {
            *t.kinds.entry(action.to_string()).or_default() += 1;
        }
        if t.first.is_none() {
            t.first = Some(note());
        }
    }

    /// Called by [`Tx::commit`] before the real commit: inside a scope, the
    /// transaction's audit row.
    pub(crate) async fn write_audit_trail(&mut self) -> DbResult<()> {
        let trail = std::mem::take(&mut self.trail);
        let Some(scope) = current() else {
            return Ok(());
        };
        let Some(first) = trail.first else {
            return Ok(());
        };
        if trail.explicit || scope.lock().explicit {
            return Ok(());
        }
        let (actor, _) = scope.actor();
        // At a public door the system acting for a stranger is the stranger.
        let actor = actor.or_else(|| {
            (first.actor.kind == af_core::ActorKind::System
                && scope.info.default_actor.kind == af_core::ActorKind::Public)
                .then(|| scope.info.default_actor.clone())
        });
        let mut details = match first.detail {
            Value::Object(m) => Value::Object(m),
            Value::Null => json!({}),
            other => json!({ "detail": other }),
        };
        if trail.count > 1 {
            details["count"] = json!(trail.count);
            details["kinds"] = json!(trail.kinds);
        }
        let row = Row {
            workspace: Some(first.workspace),
            actor: actor.unwrap_or(first.actor),
            action: first.action,
            target_type: first.target_type,
            target_id: first.target_id,
            result: first.result,
            details,
            ip: scope.info.ip.clone(),
            at: first.at,
            request_id: Some(scope.info.request_id.clone()),
            origin: Some(scope.info.origin.clone()),
            changes: first.changes,
            channel: first.channel,
            contact: first.contact,
        };
        with_tx!(self, c => {
            bind_row!(sqlx::query(INSERT_SQL), row).execute(&mut *c).await?;
        });
        scope.lock().rows += 1;
        Ok(())
    }
}

// ------------------------------------------------------------- search

/// What to look for; every field optional.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AuditFilter {
    /// An actor id, or an actor type (`user`, `api_key`, `system`, `public`).
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// The contact (lead) the action concerns.
    pub lead: Option<String>,
    /// From this instant, included.
    pub from: Option<Ts>,
    /// Until this instant, excluded.
    pub to: Option<Ts>,
}

/// Where a page starts: after the `(created_at, id)` of the last row seen.
pub type Cursor = (Ts, Uuid);

/// The columns of [`AuditEntry`].
const SELECT: &str = "SELECT id, workspace_id, actor_type, actor_id, actor_label, action, target_type, target_id,
        result, details, ip, created_at, request_id, origin, changes, channel, contact_id FROM audit_log ";

/// A page of the workspace's entries matching `f`, newest first, after
/// `after`. Walks one of the `audit_log_*_idx` indexes backwards.
pub async fn search(
    db: &crate::Db,
    ws: WorkspaceId,
    f: &AuditFilter,
    after: Option<Cursor>,
    limit: i64,
) -> DbResult<Vec<AuditEntry>> {
    enum B {
        S(String),
        U(Uuid),
        T(Ts),
        I(i64),
    }
    let mut m = Marks::on(db.backend());
    let mut binds: Vec<B> = vec![B::U(ws.0)];
    let mut sql = format!("{SELECT}WHERE workspace_id = {}", m.one());
    if let Some(a) = f.actor.as_deref().filter(|s| !s.is_empty()) {
        if let Ok(id) = Uuid::parse_str(a) {
            sql += &format!(" AND actor_id = {}", m.one());
            binds.push(B::U(id));
        } else {
            sql += &format!(" AND actor_type = {}", m.one());
            binds.push(B::S(a.to_string()));
        }
    }
    for (col, v) in [
        ("action", &f.action),
        ("target_type", &f.entity_type),
        ("target_id", &f.entity_id),
        ("contact_id", &f.lead),
    ] {
        if let Some(v) = v.as_deref().filter(|s| !s.is_empty()) {
            sql += &format!(" AND {col} = {}", m.one());
            binds.push(B::S(v.to_string()));
        }
    }
    if let Some(from) = f.from {
        sql += &format!(" AND created_at >= {}", m.one());
        binds.push(B::T(from));
    }
    if let Some(to) = f.to {
        sql += &format!(" AND created_at < {}", m.one());
        binds.push(B::T(to));
    }
    if let Some((at, id)) = after {
        // A row value, not `created_at < a OR (created_at = a AND id < b)`:
        // both planners seek the index to it, where SQLite's walks the OR
        // from the start of the range on every page (measured: the 1,000,000
        // row export took 46 s that way).
        let (a, b) = (m.one(), m.one());
        sql += &format!(" AND (created_at, id) < ({a}, {b})");
        binds.extend([B::T(at), B::U(id)]);
    }
    sql += &format!(" ORDER BY created_at DESC, id DESC LIMIT {}", m.one());
    binds.push(B::I(limit));
    Ok(with_pool!(db, p => {
        // Only placeholders and column names of ours are formatted in.
        let mut q = sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = match b {
                B::S(s) => q.bind(s),
                B::U(u) => q.bind(u),
                B::T(t) => q.bind(t),
                B::I(i) => q.bind(i),
            };
        }
        q.fetch_all(p).await?
    }))
}

/// The workspace's most recent entries, newest first.
pub async fn list_audit(db: &crate::Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<AuditEntry>> {
    search(db, ws, &AuditFilter::default(), None, limit).await
}

/// Rows per page when exporting: memory stays bounded by one page.
pub const EXPORT_PAGE: i64 = 1000;

/// Every entry matching `f`, newest first, as a stream of keyset pages of
/// [`EXPORT_PAGE`] rows: constant memory whatever the size of the log.
pub fn export_pages(
    db: crate::Db,
    ws: WorkspaceId,
    f: AuditFilter,
) -> impl futures::Stream<Item = DbResult<Vec<AuditEntry>>> + Send + 'static {
    futures::stream::try_unfold(Some(None::<Cursor>), move |state| {
        let (db, f) = (db.clone(), f.clone());
        async move {
            let Some(after) = state else {
                return Ok(None);
            };
            let page = search(&db, ws, &f, after, EXPORT_PAGE).await?;
            if page.is_empty() {
                return Ok(None);
            }
            let next = if (page.len() as i64) < EXPORT_PAGE {
                None
            } else {
                page.last().map(|e| Some((e.created_at, e.id)))
            };
            Ok(Some((page, next)))
        }
    })
}

/// A search bound from what a person or a script typed: an instant
/// (`2026-12-01T10:00:00Z`) or a day (`2026-12-01`) in the workspace's time
/// zone — its start, or for an upper bound (`end`) the next day's start, so
/// `?to=2026-12-01` includes that day.
pub fn parse_bound(text: &str, time_zone: &str, end: bool) -> Option<Ts> {
    let text = text.trim();
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(Ts::new(t));
    }
    let day: jiff::civil::Date = text.parse().ok()?;
    let day = if end { day.tomorrow().ok()? } else { day };
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let zoned = day.to_zoned(tz).ok()?;
    Some(Ts::new(zoned.timestamp()))
}

// ------------------------------------------------------------- retention

/// The workspace's retention, in days.
pub async fn retention_days(db: &crate::Db, ws: WorkspaceId) -> DbResult<i64> {
    let days: Option<i32> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT audit_retention_days FROM workspaces WHERE id = $1")
            .bind(ws.0)
            .fetch_optional(p)
            .await?
    });
    Ok(days.map_or(DEFAULT_RETENTION_DAYS, i64::from))
}

/// Sets the workspace's retention (1 to 3,650 days), audited.
pub async fn set_retention_days(
    tx: &mut Tx,
    ws: WorkspaceId,
    days: i64,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    let days = days.clamp(1, 3650) as i32;
    let old: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT audit_retention_days FROM workspaces WHERE id = $1")
            .bind(ws.0)
            .fetch_optional(&mut *c)
            .await?
    });
    with_tx!(tx, c => {
        sqlx::query("UPDATE workspaces SET audit_retention_days = $1 WHERE id = $2")
            .bind(days)
            .bind(ws.0)
            .execute(&mut *c)
            .await?;
    });
    let a = NewAudit {
        workspace: Some(ws),
        actor,
        action: "audit.retention_changed",
        target_type: Some("workspace"),
        target_id: Some(ws.to_string()),
        result: "ok",
        details: json!({ "changes": { "old": { "audit_retention_days": old }, "new": { "audit_retention_days": days } } }),
        ip: None,
    };
    insert_audit(tx, &a, now).await
}

/// Most rows deleted per purge transaction.
const PURGE_BATCH: i64 = 5000;

/// Deletes every row older than its workspace's retention (rows outside
/// any workspace: the default), through the append-only triggers' gate.
/// Rows deleted.
pub async fn purge_expired(db: &crate::Db, now: Ts) -> DbResult<u64> {
    let workspaces: Vec<(Uuid, i32)> = with_pool!(db, p => {
        sqlx::query_as("SELECT id, audit_retention_days FROM workspaces")
            .fetch_all(p)
            .await?
    });
    let cutoff = |days: i64| {
        Ts::new(
            now.0
                .checked_sub(jiff::SignedDuration::from_hours(24 * days))
                .unwrap_or(jiff::Timestamp::MIN),
        )
    };
    let mut total = 0;
    for (ws, days) in workspaces {
        total += purge_where(db, Some(ws), cutoff(i64::from(days))).await?;
    }
    total += purge_where(db, None, cutoff(DEFAULT_RETENTION_DAYS)).await?;
    Ok(total)
}

async fn purge_where(db: &crate::Db, ws: Option<Uuid>, before: Ts) -> DbResult<u64> {
    let mut total = 0;
    loop {
        let mut tx = db.begin().await?;
        open_gate(&mut tx).await?;
        let n = with_tx!(tx, c => {
            let q = match ws {
                Some(_) => "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log
                            WHERE workspace_id = $1 AND created_at < $2 LIMIT $3)",
                None => "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log
                         WHERE workspace_id IS NULL AND created_at < $2 AND $1 IS NULL LIMIT $3)",
            };
            sqlx::query(q).bind(ws).bind(before).bind(PURGE_BATCH).execute(&mut *c).await?.rows_affected()
        });
        close_gate(&mut tx).await?;
        tx.commit().await?;
        total += n;
        if n < PURGE_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// Lets this transaction delete audit rows (the triggers of migration 0030).
async fn open_gate(tx: &mut Tx) -> DbResult<()> {
    match &mut tx.conn {
        crate::TxConn::Sqlite(c) => {
            sqlx::query("INSERT INTO audit_log_purge_gate (id) VALUES (1)")
                .execute(&mut **c)
                .await?;
        }
        crate::TxConn::Pg(c) => {
            sqlx::query("SET LOCAL agencyflow.audit_purge = 'on'")
                .execute(&mut **c)
                .await?;
        }
    }
    Ok(())
}

async fn close_gate(tx: &mut Tx) -> DbResult<()> {
    if let crate::TxConn::Sqlite(c) = &mut tx.conn {
        sqlx::query("DELETE FROM audit_log_purge_gate")
            .execute(&mut **c)
            .await?;
    }
    Ok(())
}

/// Records that someone exported the log (before the rows stream out, so
/// the export itself is in the log).
pub async fn record_export(
    db: &crate::Db,
    ws: WorkspaceId,
    actor: &Actor,
    f: &AuditFilter,
    ip: Option<&str>,
    now: Ts,
) -> DbResult<()> {
    let mut tx = db.begin().await?;
    let a = NewAudit {
        workspace: Some(ws),
        actor,
        action: "audit.exported",
        target_type: None,
        target_id: None,
        result: "ok",
        details: json!({ "filter": f }),
        ip,
    };
    insert_audit(&mut tx, &a, now).await?;
    tx.commit().await
}

/// The export's bytes: one JSON object per line.
pub fn lines(page: &[AuditEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.len() * 512);
    for e in page {
        // A Value always serialises.
        let _ = serde_json::to_writer(&mut out, &e.to_line());
        out.push(b'\n');
    }
    out
}
