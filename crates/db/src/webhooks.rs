//! Outbound webhook endpoints of a workspace (URL, sealed signing secret,
//! subscribed event types) and their delivery log. Every write that changes
//! which endpoints are active or what they subscribe to keeps the
//! workspace's `event_subscriptions` rows in step ([`refresh_subscriptions`]);
//! the engine's dispatch writes the deliveries.

use crate::jobs::enqueue_job;
use crate::{DbResult, Ts, Tx, with_pool, with_tx};
use af_core::WorkspaceId;
use serde::Serialize;
use uuid::Uuid;

/// Consecutive failed attempts after which an endpoint is disabled.
pub const DISABLE_AFTER: i32 = 20;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    #[serde(skip)]
    pub secret_sealed: String,
    /// JSON array of event kinds; `"*"` subscribes to all.
    #[serde(skip)]
    pub event_types: String,
    pub active: bool,
    pub consecutive_failures: i32,
    pub disabled_at: Option<Ts>,
    pub created_at: Ts,
}

impl Endpoint {
    pub fn event_list(&self) -> Vec<String> {
        serde_json::from_str(&self.event_types).unwrap_or_default()
    }

    pub fn subscribes(&self, kind: &str) -> bool {
        self.event_list().iter().any(|k| k == "*" || k == kind)
    }
}

macro_rules! endpoint_columns {
    () => {
        "id, url, secret_sealed, event_types, active, consecutive_failures, disabled_at, created_at"
    };
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub response_code: Option<i32>,
    pub error: Option<String>,
    pub next_retry_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

macro_rules! delivery_columns {
    () => {
        "id, endpoint_id, event_type, payload, status, attempts, response_code, error, next_retry_at, created_at, updated_at"
    };
}

pub async fn insert_endpoint(
    tx: &mut Tx,
    ws: WorkspaceId,
    url: &str,
    secret_sealed: &str,
    event_types: &[String],
    now: Ts,
) -> DbResult<Uuid> {
    let id = Uuid::now_v7();
    let types = serde_json::to_string(event_types).unwrap_or_else(|_| "[]".into());
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO webhook_endpoints (id, workspace_id, url, secret_sealed, event_types, active,
                                            consecutive_failures, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)")
            .bind(id).bind(ws.0).bind(url).bind(secret_sealed).bind(types).bind(true).bind(now)
            .execute(&mut *c).await?;
    });
    refresh_subscriptions(tx, ws).await?;
    Ok(id)
}

/// The active endpoints of the workspace.
pub async fn active_endpoints_tx(tx: &mut Tx, ws: WorkspaceId) -> DbResult<Vec<Endpoint>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Endpoint>(concat!("SELECT ", endpoint_columns!(),
            " FROM webhook_endpoints WHERE workspace_id = $1 AND active = $2"))
            .bind(ws.0).bind(true).fetch_all(&mut *c).await?
    }))
}

/// Rewrites the workspace's webhook rows of `event_subscriptions` from its
/// active endpoints.
async fn refresh_subscriptions(tx: &mut Tx, ws: WorkspaceId) -> DbResult<()> {
    let mut kinds: Vec<String> = active_endpoints_tx(tx, ws)
        .await?
        .iter()
        .flat_map(Endpoint::event_list)
        .collect();
    kinds.sort();
    kinds.dedup();
    crate::subscriptions::replace(tx, ws, af_core::events::Subscriber::Webhooks, &kinds).await
}

pub async fn list_endpoints(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<Endpoint>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Endpoint>(concat!("SELECT ", endpoint_columns!(),
            " FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id"))
            .bind(ws.0).fetch_all(p).await?
    }))
}

pub async fn find_endpoint_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: Uuid,
) -> DbResult<Option<Endpoint>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Endpoint>(concat!("SELECT ", endpoint_columns!(),
            " FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(&mut *c).await?
    }))
}

pub async fn find_endpoint(
    db: &crate::Db,
    ws: WorkspaceId,
    id: Uuid,
) -> DbResult<Option<Endpoint>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Endpoint>(concat!("SELECT ", endpoint_columns!(),
            " FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(p).await?
    }))
}

pub async fn delete_endpoint(tx: &mut Tx, ws: WorkspaceId, id: Uuid) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).execute(&mut *c).await?.rows_affected()
    });
    refresh_subscriptions(tx, ws).await?;
    Ok(n > 0)
}

/// Turns an endpoint back on (after it was disabled for failing): active,
/// no consecutive failures, no `disabled_at`. `false` when `id` is not one
/// of the workspace's endpoints.
pub async fn enable_endpoint(tx: &mut Tx, ws: WorkspaceId, id: Uuid, now: Ts) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("UPDATE webhook_endpoints SET active = $3, consecutive_failures = 0, disabled_at = NULL,
                            updated_at = $4
                     WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).bind(true).bind(now).execute(&mut *c).await?.rows_affected()
    });
    refresh_subscriptions(tx, ws).await?;
    Ok(n > 0)
}

pub async fn insert_delivery(
    tx: &mut Tx,
    ws: WorkspaceId,
    endpoint: Uuid,
    kind: &str,
    payload: &str,
    now: Ts,
) -> DbResult<Uuid> {
    let id = Uuid::now_v7();
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, workspace_id, endpoint_id, event_type, payload, status, attempts,
                                             created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)")
            .bind(id).bind(ws.0).bind(endpoint).bind(kind).bind(payload).bind(now)
            .execute(&mut *c).await?;
    });
    Ok(id)
}

/// Enqueues the job that sends a delivery (also for a replay).
pub async fn enqueue_delivery(
    tx: &mut Tx,
    ws: WorkspaceId,
    delivery: Uuid,
    now: Ts,
) -> DbResult<()> {
    let job = af_core::jobs::DeliverWebhook {
        delivery_id: delivery,
    };
    enqueue_job(tx, Some(ws), &job, now, now).await?;
    Ok(())
}

pub async fn find_delivery(
    db: &crate::Db,
    ws: WorkspaceId,
    id: Uuid,
) -> DbResult<Option<Delivery>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Delivery>(concat!("SELECT ", delivery_columns!(),
            " FROM webhook_deliveries WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id).fetch_optional(p).await?
    }))
}

/// The newest `limit` deliveries of an endpoint.
pub async fn list_deliveries(
    db: &crate::Db,
    ws: WorkspaceId,
    endpoint: Uuid,
    limit: i64,
) -> DbResult<Vec<Delivery>> {
    list_deliveries_page(db, ws, endpoint, limit, 0).await
}

/// Deliveries of an endpoint, newest first, skipping the first `offset`
/// (the settings page's delivery log pages through them).
pub async fn list_deliveries_page(
    db: &crate::Db,
    ws: WorkspaceId,
    endpoint: Uuid,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Delivery>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Delivery>(concat!("SELECT ", delivery_columns!(),
            " FROM webhook_deliveries WHERE workspace_id = $1 AND endpoint_id = $2
              ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"))
            .bind(ws.0).bind(endpoint).bind(limit).bind(offset).fetch_all(p).await?
    }))
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub status: &'a str,
    pub response_code: Option<i32>,
    pub error: Option<&'a str>,
    pub next_retry_at: Option<Ts>,
    /// The attempt failed: counts towards disabling the endpoint.
    pub failed: bool,
}

/// Records an attempt on the delivery and its endpoint; returns `true` when
/// this failure disabled the endpoint.
pub async fn record_attempt(
    tx: &mut Tx,
    ws: WorkspaceId,
    delivery: &Delivery,
    a: &Attempt<'_>,
    now: Ts,
) -> DbResult<bool> {
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, attempts = attempts + 1, response_code = $4, error = $5,
                    next_retry_at = $6, updated_at = $7
             WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(delivery.id).bind(a.status).bind(a.response_code).bind(a.error)
            .bind(a.next_retry_at).bind(now)
            .execute(&mut *c).await?;
    });
    if !a.failed {
        with_tx!(tx, c => {
            sqlx::query("UPDATE webhook_endpoints SET consecutive_failures = 0, updated_at = $3
                         WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(delivery.endpoint_id).bind(now).execute(&mut *c).await?;
        });
        return Ok(false);
    }
    let n: Option<i32> = with_tx!(tx, c => {
        sqlx::query_scalar::<_, i32>(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, updated_at = $3,
                    active = CASE WHEN consecutive_failures + 1 >= $4 THEN $5 ELSE active END,
                    disabled_at = CASE WHEN consecutive_failures + 1 >= $4 AND disabled_at IS NULL THEN $3 ELSE disabled_at END
             WHERE workspace_id = $1 AND id = $2
             RETURNING consecutive_failures")
            .bind(ws.0).bind(delivery.endpoint_id).bind(now).bind(DISABLE_AFTER).bind(false)
            .fetch_optional(&mut *c).await?
    });
    if n == Some(DISABLE_AFTER) {
        refresh_subscriptions(tx, ws).await?;
    }
    Ok(n == Some(DISABLE_AFTER))
}

/// Ends a pending delivery without sending it (its endpoint was disabled
/// meanwhile): its attempt count and last answer stay those of the real
/// attempts, and the endpoint's failure count is untouched.
pub async fn drop_delivery(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: Uuid,
    reason: &str,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE webhook_deliveries SET status = 'failed', error = $3, next_retry_at = NULL, updated_at = $4
                     WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).bind(reason).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Sets a delivery back to pending (replay).
pub async fn reset_delivery(tx: &mut Tx, ws: WorkspaceId, id: Uuid, now: Ts) -> DbResult<bool> {
    let n = with_tx!(tx, c => {
        sqlx::query("UPDATE webhook_deliveries SET status = 'pending', next_retry_at = NULL, updated_at = $3
                     WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id).bind(now).execute(&mut *c).await?.rows_affected()
    });
    Ok(n > 0)
}
