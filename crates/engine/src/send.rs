//! Delivering a queued message. Consent is checked again at send time (the
//! contact may have opted out since the step ran) before any provider is
//! called. The only provider so far is the built-in outbox, which records
//! the message as sent and shows it like a mail catcher; a voice call
//! through the outbox reaches nobody, so it reports `no_answer` and the
//! workflow takes its no-answer path, as it would for a real unanswered call.

use crate::{job_workspace, payload_uuid};
use af_core::{Actor, MessageId};
use af_db::messages::{self, StatusUpdate};
use af_jobs::{Job, JobContext, JobError};

pub(crate) async fn send_job(ctx: &JobContext, job: &Job) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let id = MessageId(payload_uuid(job, "message_id")?);
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    let Some(m) = messages::find_message_tx(&mut tx, ws, id).await? else {
        return Ok(());
    };
    if m.status != "queued" {
        return Ok(()); // already handled (a re-run after a crash)
    }
    let contact = match m.contact_id {
        Some(c) => af_db::automations::find_contact_tx(&mut tx, ws, af_core::ContactId(c)).await?,
        None => None,
    };
    let blocked = contact.as_ref().and_then(|c| match m.channel.as_str() {
        "email" if m.category == "marketing" && c.email_unsubscribed => {
            Some("the contact unsubscribed from marketing email")
        }
        "sms" | "whatsapp" | "voice" if c.sms_opted_out => Some("the contact opted out"),
        _ => None,
    });
    if let Some(reason) = blocked {
        let u = StatusUpdate {
            status: "skipped",
            skip_reason: Some(reason),
            ..Default::default()
        };
        messages::update_status(&mut tx, ws, id, &u, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let u = StatusUpdate {
        status: "sent",
        provider: Some("outbox"),
        attempted: true,
        ..Default::default()
    };
    messages::update_status(&mut tx, ws, id, &u, now).await?;
    if m.channel == "voice" {
        let event = af_db::events::NewEvent {
            workspace: ws,
            kind: "call.completed",
            entity_type: "contact",
            entity_id: m.contact_id.map(|c| c.to_string()),
            actor: &Actor::system(),
            data: serde_json::json!({
                "contact_id": m.contact_id, "message_id": id, "outcome": "no_answer", "provider": "outbox",
            }),
        };
        af_db::events::insert_event(&mut tx, &event, now).await?;
    }
    tx.commit().await?;
    af_db::jobs::wake_workers();
    Ok(())
}
