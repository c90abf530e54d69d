//! System mail: password resets and invitations. They carry secret links,
//! so they never touch a workspace — no workspace outbox, no workspace
//! credentials, nothing a member or an API key can list. They go through
//! the server's own email provider (`SMTP_URL`, `SENDGRID_API_KEY`,
//! `BREVO_API_KEY`) by a `system_mail` job whose payload is sealed with the
//! server key, so the link rests encrypted in the queue. Without a server
//! provider nothing is queued: the caller shows the link to the operator
//! (server log at warn level, the CLI) instead.

use crate::EngineConfig;
use af_channels::{Category, OutgoingMessage, Providers};
use af_core::crypto::SecretKey;
use af_core::jobs;
use af_db::jobs::enqueue_job;
use af_db::{DbResult, Ts, Tx};
use af_jobs::{JobContext, JobError};
use serde::{Deserialize, Serialize};

/// One system email, as sealed into its job ([`jobs::SystemMail`]).
#[derive(Serialize, Deserialize)]
pub struct SystemMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Whether the server itself has an email provider (a workspace's own
/// credentials never count: system mail must not depend on them).
pub fn server_can_send_email(channels: &crate::channels::ChannelsConfig) -> bool {
    let p = &channels.providers;
    p.smtp_url.is_some() || p.sendgrid_api_key.is_some() || p.brevo_api_key.is_some()
}

/// Queues `mail` in the caller's transaction, sealed. Resets and
/// invitations are urgent for the person waiting on them: high priority,
/// and a few attempts only (declared by [`jobs::SystemMail`]).
pub async fn enqueue_system_mail(
    tx: &mut Tx,
    secret: &SecretKey,
    mail: &SystemMail,
    now: Ts,
) -> DbResult<()> {
    let sealed = secret.seal(&serde_json::to_string(mail).unwrap_or_default());
    enqueue_job(tx, None, &jobs::SystemMail { sealed }, now, now).await?;
    Ok(())
}

/// Sends a queued system email through the server's provider (the
/// `system_mail` job).
pub(crate) async fn system_mail_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    payload: jobs::SystemMail,
) -> Result<(), JobError> {
    let text = cfg
        .secret
        .open(&payload.sealed)
        .map_err(|e| JobError::Permanent(format!("sealed system mail: {e}")))?;
    let mail: SystemMail = serde_json::from_str(&text).map_err(JobError::permanent)?;
    if !server_can_send_email(&cfg.channels) {
        // The provider was removed after the mail was queued: the person
        // asks again and the operator gets the link from the log.
        return Err(JobError::Permanent(
            "no server email provider is configured any more".into(),
        ));
    }
    let providers = Providers::new(&cfg.channels.providers, &cfg.channels.options)
        .map_err(JobError::permanent)?;
    let mut msg =
        OutgoingMessage::email(&mail.to, &mail.subject, &mail.body, &ctx.idempotency_key());
    msg.category = Category::System;
    match providers.send(&msg).await {
        Ok(_) => Ok(()),
        Err(af_channels::SendError::Retryable { message, .. }) => Err(JobError::retry(message)),
        Err(e) => Err(JobError::permanent(e)),
    }
}
