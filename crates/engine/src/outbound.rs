//! The workflow `webhook` step's delivery: a POST to the URL the step
//! names, signed per Standard Webhooks with a per-workspace key derived
//! from the server secret, through the SSRF guard. (Kommo syncs, the other
//! non-message channel, are in `kommo`.)

use crate::{EngineConfig, job_workspace};
use af_channels::SendError;
use af_channels::webhooks::{Delivery, DeliveryOptions, WebhookSecret};
use af_core::vocab::{Channel, MessageStatus};
use af_core::{MessageId, WorkspaceId};
use af_db::Ts;
use af_db::messages::{self, Message, StatusUpdate};
use af_jobs::{Job, JobContext, JobError};
use base64::Engine as _;
use jiff::SignedDuration;

/// The signing secret of a workspace's workflow webhooks (stable, never
/// stored: derived from the server key).
pub fn step_webhook_secret(cfg: &EngineConfig, ws: WorkspaceId) -> WebhookSecret {
    let raw = cfg.secret.sign("workflow-webhook", &ws.to_string());
    let text = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
    );
    WebhookSecret::parse(&text).expect("non-empty base64")
}

pub(crate) async fn deliver_step_webhook(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    m: &Message,
    ws: WorkspaceId,
    now: Ts,
) -> Result<(), JobError> {
    let secret = step_webhook_secret(cfg, ws);
    let msg_id = format!("msg_{}", m.id);
    let d = Delivery {
        url: &m.to_address,
        secret: &secret,
        msg_id: &msg_id,
        timestamp: now.0.as_second(),
        body: m.body_text.as_bytes(),
    };
    let opts = DeliveryOptions {
        policy: cfg.channels.ssrf(),
        ..Default::default()
    };
    let res = af_channels::webhooks::deliver(&d, &opts)
        .await
        .map(|r| Some(format!("HTTP {}", r.status)));
    finish(ctx, job, m.id, Channel::Webhook.as_str(), res, now).await
}

/// Records a webhook attempt: sent, queued for a retry (the job backs
/// off), or failed for good.
async fn finish(
    ctx: &JobContext,
    job: &Job,
    id: MessageId,
    provider: &str,
    res: Result<Option<String>, SendError>,
    now: Ts,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let mut tx = ctx.db.begin().await?;
    let out = match res {
        Ok(_) => {
            let u = StatusUpdate {
                status: MessageStatus::Sent,
                provider: Some(provider),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            Ok(())
        }
        Err(e) if e.is_retryable() && job.attempts < job.max_attempts => {
            let text = e.to_string();
            let u = StatusUpdate {
                status: MessageStatus::Queued,
                provider: Some(provider),
                error: Some(&text),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            Err(match e.retry_after() {
                Some(d) => JobError::RetryAfter(
                    text,
                    SignedDuration::try_from(d).unwrap_or(SignedDuration::from_mins(1)),
                ),
                None => JobError::Retry(text),
            })
        }
        Err(e) => {
            let text = match &e {
                SendError::Permanent {
                    code: Some(code), ..
                } => format!("{code}: {e}"),
                _ => e.to_string(),
            };
            let u = StatusUpdate {
                status: MessageStatus::Failed,
                provider: Some(provider),
                error: Some(&text),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            Ok(())
        }
    };
    tx.commit().await?;
    out
}
