//! Inbound webhook deliveries (Cal.com for now): every authenticated
//! delivery is stored with its raw body and what was done with it, so it
//! can be inspected and replayed. The unique `(workspace, source,
//! dedupe_key)` makes a repeated delivery a no-op even when two copies
//! arrive at once; the per-workspace webhook secrets live here too.

use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{InboundWebhookId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Delivery {
    #[sqlx(try_from = "Uuid")]
    pub id: InboundWebhookId,
    pub source: String,
    pub event: String,
    pub external_id: Option<String>,
    pub dedupe_key: String,
    pub body: String,
    pub signature_ok: bool,
    /// processed, ignored, stale, unmatched, failed.
    pub result: String,
    pub detail: Option<String>,
    pub received_at: Ts,
    pub processed_at: Option<Ts>,
}

macro_rules! delivery_columns {
    () => {
        "id, source, event, external_id, dedupe_key, body, signature_ok, result, detail, received_at, processed_at"
    };
}

/// A delivery to record.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub source: &'a str,
    pub event: &'a str,
    pub external_id: Option<&'a str>,
    pub dedupe_key: &'a str,
    pub body: &'a str,
    pub signature_ok: bool,
}

/// Claims the delivery in the caller's transaction: `None` when the same
/// delivery was already recorded. On PostgreSQL a concurrent copy waits on
/// the unique index until the first commits, then finds it there.
pub async fn claim_delivery(
    tx: &mut Tx,
    ws: WorkspaceId,
    d: &NewDelivery<'_>,
    now: Ts,
) -> DbResult<Option<InboundWebhookId>> {
    let id = InboundWebhookId::new();
    let inserted = with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO inbound_webhooks (id, workspace_id, source, event, external_id, dedupe_key, body, signature_ok,
                                           result, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', $9)
             ON CONFLICT (workspace_id, source, dedupe_key) DO NOTHING",
        )
        .bind(id.0).bind(ws.0).bind(d.source).bind(d.event).bind(d.external_id).bind(d.dedupe_key)
        .bind(d.body).bind(d.signature_ok).bind(now)
        .execute(&mut *c).await?.rows_affected()
    });
    Ok((inserted > 0).then_some(id))
}

/// Records what processing did.
pub async fn finish_delivery(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: InboundWebhookId,
    result: &str,
    detail: Option<&str>,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query("UPDATE inbound_webhooks SET result = $3, detail = $4, processed_at = $5 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(result).bind(detail).bind(now)
            .execute(&mut *c).await?;
    });
    Ok(())
}

/// Records a delivery whose processing failed (after the processing
/// transaction was rolled back), so it is kept for a replay. A second
/// failure of the same delivery updates the first record.
pub async fn record_failed_delivery(
    db: &crate::Db,
    ws: WorkspaceId,
    d: &NewDelivery<'_>,
    detail: &str,
    now: Ts,
) -> DbResult<()> {
    with_pool!(db, p => {
        sqlx::query(
            "INSERT INTO inbound_webhooks (id, workspace_id, source, event, external_id, dedupe_key, body, signature_ok,
                                           result, detail, received_at, processed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'failed', $9, $10, $10)
             ON CONFLICT (workspace_id, source, dedupe_key) DO UPDATE SET detail = $9, processed_at = $10
             WHERE inbound_webhooks.result = 'failed'",
        )
        .bind(Uuid::now_v7()).bind(ws.0).bind(d.source).bind(d.event).bind(d.external_id).bind(d.dedupe_key)
        .bind(d.body).bind(d.signature_ok).bind(detail).bind(now)
        .execute(p).await?;
    });
    Ok(())
}

/// The workspace's latest deliveries.
pub async fn list_deliveries(
    db: &crate::Db,
    ws: WorkspaceId,
    limit: i64,
) -> DbResult<Vec<Delivery>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Delivery>(concat!("SELECT ", delivery_columns!(),
            " FROM inbound_webhooks WHERE workspace_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2"))
            .bind(ws.0).bind(limit).fetch_all(p).await?
    }))
}

pub async fn get_delivery_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: InboundWebhookId,
) -> DbResult<Delivery> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Delivery>(concat!("SELECT ", delivery_columns!(), " FROM inbound_webhooks WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("inbound webhook"))
}

pub async fn find_delivery(
    db: &crate::Db,
    ws: WorkspaceId,
    id: InboundWebhookId,
) -> DbResult<Option<Delivery>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Delivery>(concat!("SELECT ", delivery_columns!(), " FROM inbound_webhooks WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

// ------------------------------------------------------------ secrets

/// The workspace's own Cal.com secret, sealed (None: the server default).
pub async fn find_calcom_secret(db: &crate::Db, ws: WorkspaceId) -> DbResult<Option<String>> {
    let v: Option<Option<String>> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT calcom_secret_sealed FROM intake_settings WHERE workspace_id = $1")
            .bind(ws.0).fetch_optional(p).await?
    });
    Ok(v.flatten())
}

/// Whether the workspace accepts unsigned Cal.com deliveries (an explicit
/// opt-in for testing; off by default).
pub async fn calcom_allows_unsigned(db: &crate::Db, ws: WorkspaceId) -> DbResult<bool> {
    let v: Option<bool> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT calcom_allow_unsigned FROM intake_settings WHERE workspace_id = $1")
            .bind(ws.0).fetch_optional(p).await?
    });
    Ok(v.unwrap_or(false))
}

/// Sets whether the workspace accepts unsigned Cal.com deliveries.
pub async fn set_calcom_allow_unsigned(
    tx: &mut Tx,
    ws: WorkspaceId,
    allow: bool,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO intake_settings (workspace_id, calcom_allow_unsigned, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET calcom_allow_unsigned = $2, updated_at = $3",
        )
        .bind(ws.0).bind(allow).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}

/// Every workspace with its own sealed Cal.com secret (to find the
/// workspace of a signed delivery to the shared `/api/calcom`).
pub async fn list_calcom_secrets(db: &crate::Db) -> DbResult<Vec<(WorkspaceId, String)>> {
    let rows: Vec<(Uuid, String)> = with_pool!(db, p => {
        sqlx::query_as("SELECT workspace_id, calcom_secret_sealed FROM intake_settings WHERE calcom_secret_sealed IS NOT NULL")
            .fetch_all(p).await?
    });
    Ok(rows.into_iter().map(|(w, s)| (WorkspaceId(w), s)).collect())
}

/// Sets (sealed) or clears the workspace's Cal.com secret.
pub async fn set_calcom_secret(
    tx: &mut Tx,
    ws: WorkspaceId,
    sealed: Option<&str>,
    now: Ts,
) -> DbResult<()> {
    with_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO intake_settings (workspace_id, calcom_secret_sealed, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (workspace_id) DO UPDATE SET calcom_secret_sealed = $2, updated_at = $3",
        )
        .bind(ws.0).bind(sealed).bind(now).execute(&mut *c).await?;
    });
    Ok(())
}
