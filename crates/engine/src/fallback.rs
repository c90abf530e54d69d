//! WhatsApp → SMS fallback for failures Twilio reports after it accepted the
//! message: most WhatsApp failures arrive that way, as an `undelivered` or
//! `failed` status callback (63003 not a WhatsApp number, 63016 outside the
//! 24-hour session window, ...), not as an error of the send call. The
//! status webhook enqueues a `whatsapp_fallback` job ([`WhatsappFallback`])
//! in the transaction that records the status; the job queues the same SMS
//! copy as a refusal at send time does (in the send job), when the
//! message's step allows it. The copy's idempotency key makes a repeated
//! callback send it once.

use crate::job_workspace;
use af_core::jobs::WhatsappFallback;
use af_core::vocab::Channel;
use af_core::workflow::Action;
use af_core::{MessageId, WorkspaceId};
use af_db::{DbResult, Ts, Tx};
use af_jobs::{Job, JobContext, JobError};

/// Enqueues the fallback check of a WhatsApp message Twilio reported
/// undelivered or failed (not for opt-outs: those get no copy), in the
/// caller's transaction.
pub async fn enqueue(tx: &mut Tx, ws: WorkspaceId, id: MessageId, now: Ts) -> DbResult<()> {
    let job = WhatsappFallback { message_id: id };
    af_db::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    Ok(())
}

/// The `whatsapp_fallback` job.
pub(crate) async fn fallback_job(
    ctx: &JobContext,
    job: &Job,
    p: WhatsappFallback,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let id = p.message_id;
    let now = ctx.now();
    // Read before the write transaction: it opens its own.
    let step = crate::send::step_action(&ctx.db, ws, id).await?;
    if !matches!(
        step,
        Some(Action::SendWhatsapp {
            fallback_sms: true,
            ..
        })
    ) {
        return Ok(());
    }
    let mut tx = ctx.db.begin().await?;
    let Some(m) = af_db::messages::find_message_tx(&mut tx, ws, id).await? else {
        return Ok(());
    };
    if m.channel != Channel::WhatsApp {
        return Ok(());
    }
    crate::send::queue_sms_copy(&mut tx, ws, &m, now).await?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, message.id = %id, "WhatsApp undelivered: SMS copy queued");
    Ok(())
}
