//! Outbound webhooks. [`fan_out`] (called by the dispatch of every event
//! some endpoint subscribes to) writes one pending delivery per subscribed
//! active endpoint with its `deliver_webhook` job, in one transaction.
//!
//! The `deliver_webhook` job: one signed POST (Standard Webhooks) of one
//! event to one endpoint, through the SSRF guard (resolved once, pinned, no
//! redirects). 5xx, 429 and timeouts retry with the queue's backoff; other
//! 4xx fail for good; after `DISABLE_AFTER` consecutive failed attempts the
//! endpoint is disabled and an alert raised.

use crate::{EngineConfig, job_workspace};
use af_channels::SendError;
use af_channels::webhooks::{Delivery, DeliveryOptions, WebhookSecret};
use af_core::jobs::DeliverWebhook;
use af_db::Ts;
use af_db::webhooks::{self as store, Attempt};
use af_jobs::{Backoff, Job, JobContext, JobError};
use jiff::SignedDuration;

/// For every active endpoint of the workspace subscribed to the event's
/// kind: a pending delivery of the event and its job. The payload is the
/// public contract of webhooks (`type`, `timestamp`, `event_id`, `entity`,
/// `data`).
pub(crate) async fn fan_out(
    tx: &mut af_db::Tx,
    event: &af_db::events::Event,
    data: &serde_json::Value,
) -> Result<(), af_db::DbError> {
    let ws = af_core::WorkspaceId(event.workspace_id);
    let now = event.occurred_at;
    for e in store::active_endpoints_tx(tx, ws)
        .await?
        .iter()
        .filter(|e| e.subscribes(&event.kind))
    {
        // The entity tells receivers which record the event is about even
        // when the event's data does not repeat its id.
        let payload = serde_json::json!({
            "type": event.kind, "timestamp": now.to_string(), "event_id": event.id,
            "entity": { "type": event.entity_type, "id": event.entity_id },
            "data": data,
        });
        let id =
            store::insert_delivery(tx, ws, e.id, &event.kind, &payload.to_string(), now).await?;
        store::enqueue_delivery(tx, ws, id, now).await?;
    }
    Ok(())
}

/// The `deliver_webhook` job.
pub(crate) async fn deliver_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    p: DeliverWebhook,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let id = p.delivery_id;
    let now = ctx.now();
    let Some(d) = store::find_delivery(&ctx.db, ws, id).await? else {
        return Ok(());
    };
    if d.status != "pending" {
        return Ok(());
    }
    let Some(endpoint) = store::find_endpoint(&ctx.db, ws, d.endpoint_id).await? else {
        return Ok(());
    };
    if !endpoint.active {
        // Not an attempt: recording one would count it and, as a non-failure,
        // reset the failure count of the endpoint it just disabled.
        let mut tx = ctx.db.begin().await?;
        store::drop_delivery(&mut tx, ws, d.id, "endpoint disabled", now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let secret = cfg
        .secret
        .open(&endpoint.secret_sealed)
        .map_err(JobError::permanent)
        .and_then(|s| WebhookSecret::parse(&s).map_err(JobError::permanent))?;
    let msg_id = format!("msg_{}", d.id);
    let delivery = Delivery {
        url: &endpoint.url,
        secret: &secret,
        msg_id: &msg_id,
        timestamp: now.0.as_second(),
        body: d.payload.as_bytes(),
    };
    let opts = DeliveryOptions {
        policy: cfg.channels.ssrf(),
        ..Default::default()
    };
    let res = af_channels::webhooks::deliver(&delivery, &opts).await;
    let code = |e: &SendError| match e {
        SendError::Permanent { code: Some(c), .. } => c.parse::<i32>().ok(),
        SendError::Retryable { message, .. } => message
            .strip_prefix("HTTP ")
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok()),
        _ => None,
    };
    let mut tx = ctx.db.begin().await?;
    let out = match &res {
        Ok(r) => {
            let a = Attempt {
                status: "delivered",
                response_code: Some(i32::from(r.status)),
                error: None,
                next_retry_at: None,
                failed: false,
            };
            store::record_attempt(&mut tx, ws, &d, &a, now).await?;
            Ok(())
        }
        Err(e) => {
            let retry = e.is_retryable() && job.attempts < job.max_attempts;
            let text = e.to_string();
            // The wait is chosen here rather than by the worker so the
            // delivery log can say when the next attempt is: the receiver's
            // Retry-After, else the queue's usual backoff.
            let wait = e
                .retry_after()
                .and_then(|d| SignedDuration::try_from(d).ok())
                .unwrap_or_else(|| Backoff::default().delay_random(job.attempts));
            let a = Attempt {
                status: if retry { "pending" } else { "failed" },
                response_code: code(e),
                error: Some(&text),
                next_retry_at: retry.then(|| Ts::new(now.0.saturating_add(wait).unwrap_or(now.0))),
                failed: true,
            };
            let disabled = store::record_attempt(&mut tx, ws, &d, &a, now).await?;
            if disabled {
                let msg = format!(
                    "webhook endpoint {} disabled after {} consecutive failed deliveries",
                    endpoint.url,
                    store::DISABLE_AFTER
                );
                crate::notify::raise_alert(&mut tx, ws, None, None, "webhook_disabled", &msg, now)
                    .await?;
                tracing::warn!(workspace.id = %ws, endpoint.id = %endpoint.id, "webhook endpoint disabled");
            }
            if retry {
                Err(JobError::RetryAfter(text, wait))
            } else {
                Ok(())
            }
        }
    };
    tx.commit().await?;
    out
}
