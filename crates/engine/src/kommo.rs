//! Kommo sync jobs. A lead sync claims up to 50 queued syncs of its
//! workspace and creates them all in one `leads/complex` call (so a burst of
//! leads costs a few calls, not one each); a booked appointment moves the
//! contact's lead to the booked status. Every call first takes the
//! account's slot in the database pace (`rate_slots`, 6 requests a second
//! per account across every node); a job that finds the slot taken snoozes
//! until it frees instead of sleeping.
//!
//! A batch Kommo refuses as a whole (a 4xx) is split: each message goes
//! back to the queue and is sent alone, so one bad lead cannot sink the
//! others. Retryable failures retry the same batch.

use crate::channels::WorkspaceChannels;
use crate::{job_workspace, reschedule};
use af_channels::SendError;
use af_channels::kommo::{ContactInput, CreatedLead, KommoClient, LeadInput, MAX_BATCH, Utm};
use af_core::jobs::SendMessage;
use af_core::vocab::{Channel, MessageStatus};
use af_core::{ContactId, MessageId, WorkspaceId};
use af_db::kommo as store;
use af_db::messages::{self, Message, StatusUpdate};
use af_db::{Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use jiff::SignedDuration;
use serde_json::{Value, json};

/// One request per 250 ms (4 a second): Kommo allows 7, and the margin
/// absorbs worker pick-up delays and network jitter — seven requests are
/// scheduled 1.5 s apart end to end, so even arriving up to half a second
/// bunched they never make 7 in one second at Kommo. With 50 leads a batch
/// that is still 200 leads a second per account.
pub const KOMMO_INTERVAL: SignedDuration = SignedDuration::from_millis(250);

/// How long a move to booked waits for the lead it moves to be created.
const LEAD_PENDING_RECHECK: SignedDuration = SignedDuration::from_secs(30);

/// On a booking: when the contact's lead was synced or is being synced,
/// queue the move of that lead to the booked status (once per
/// appointment). Called by the dispatch of `appointment.booked`, in its
/// transaction.
pub(crate) async fn queue_booked_move(
    tx: &mut Tx,
    ws: WorkspaceId,
    data: &Value,
    now: Ts,
) -> Result<(), af_db::DbError> {
    let Some(contact) = data["contact_id"]
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
        .map(ContactId)
    else {
        return Ok(());
    };
    match store::latest_lead_sync(tx, ws, contact).await? {
        Some((status, _))
            if status != MessageStatus::Failed && status != MessageStatus::Skipped => {}
        _ => return Ok(()),
    }
    let appointment = data["appointment_id"].as_str().unwrap_or_default();
    let key = format!("kommo-booked:{appointment}");
    let body = json!({ "op": "mark_booked", "contact_id": contact, "appointment_id": appointment })
        .to_string();
    let m = messages::NewMessage {
        workspace: ws,
        channel: Channel::Kommo,
        provider: "kommo",
        to: store::BOOKED,
        body_text: &body,
        category: "system",
        status: MessageStatus::Queued,
        contact_id: Some(contact),
        idempotency_key: Some(&key),
        ..Default::default()
    };
    if let Some(id) = messages::insert_message_once(tx, &m, now).await? {
        let job = SendMessage { message_id: id };
        af_db::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    }
    Ok(())
}

pub(crate) async fn sync(
    ctx: &JobContext,
    job: &Job,
    ch: &WorkspaceChannels,
    m: &Message,
    ws: WorkspaceId,
    now: Ts,
) -> Result<(), JobError> {
    let Some(kommo) = ch.providers.kommo() else {
        let mut tx = ctx.db.begin().await?;
        for b in store::claim_batch(&mut tx, ws, m.id, 1, now).await? {
            set_status(
                &mut tx,
                ws,
                b.id,
                MessageStatus::Skipped,
                None,
                Some("Kommo is not configured"),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(());
    };
    if m.to_address == store::BOOKED {
        return mark_booked(ctx, job, kommo, m, ws, now).await;
    }

    let mut tx = ctx.db.begin().await?;
    let batch = store::claim_batch(&mut tx, ws, m.id, MAX_BATCH as i64, now).await?;
    if batch.is_empty() {
        return Ok(()); // another job's batch carries this message
    }
    let booked_status = kommo.config().status_id_agendado;
    let mut leads = Vec::with_capacity(batch.len());
    for b in &batch {
        let mut lead = lead_input(b);
        if let (Some(status), Some(c)) = (booked_status, b.contact_id)
            && store::has_standing_appointment(&mut tx, ws, ContactId(c)).await?
        {
            lead.status_id = Some(status);
        }
        leads.push(lead);
    }
    tx.commit().await?;

    if let Some(wait) = paced(ctx, kommo, now).await? {
        // The batch stays claimed: the leader's next job sends it.
        return reschedule(&ctx.db, ws, m.id, Ts::new(now.0 + wait), now).await;
    }
    let res = kommo.create_batch(&leads).await;
    let initial = kommo.config().status_id_inicial;
    let mut tx = ctx.db.begin().await?;
    let out = match res {
        Ok(created) => {
            for (i, b) in batch.iter().enumerate() {
                match answer_for(&created, b.id, i) {
                    Some(l) => {
                        let ids = json!({
                            "lead_id": l.id, "contact_id": l.contact_id, "company_id": l.company_id,
                            "status_id": leads[i].status_id.unwrap_or(initial),
                        });
                        af_db::channels::set_external_ids(&mut tx, ws, b.id, &ids, l.merged, now)
                            .await?;
                        let lead_id = l.id.to_string();
                        set_sent(&mut tx, ws, b.id, Some(&lead_id), now).await?;
                    }
                    None => {
                        let e = "Kommo answered no lead for this request";
                        set_status(&mut tx, ws, b.id, MessageStatus::Failed, Some(e), None, now)
                            .await?;
                    }
                }
            }
            Ok(())
        }
        Err(e) if !e.is_retryable() && batch.len() > 1 => {
            let text = error_text(&e);
            let released = store::release_batch(&mut tx, ws, m.id, &text, now).await?;
            for id in &released {
                let job = SendMessage { message_id: *id };
                af_db::jobs::enqueue_job(&mut tx, Some(ws), &job, now, now).await?;
            }
            tracing::warn!(workspace.id = %ws, leads = released.len(), error = %text,
                "Kommo refused a batch: its leads go again one by one");
            Ok(())
        }
        Err(e) => failed_attempt(&mut tx, job, &batch, e, now).await,
    };
    tx.commit().await?;
    out
}

/// Moves the contact's lead to the booked status, once its lead exists.
async fn mark_booked(
    ctx: &JobContext,
    job: &Job,
    kommo: &KommoClient,
    m: &Message,
    ws: WorkspaceId,
    now: Ts,
) -> Result<(), JobError> {
    let skip = |reason: &'static str| async move {
        let mut tx = ctx.db.begin().await?;
        set_status(
            &mut tx,
            ws,
            m.id,
            MessageStatus::Skipped,
            None,
            Some(reason),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok::<(), JobError>(())
    };
    let Some(status) = kommo.config().status_id_agendado else {
        return skip("KOMMO_STATUS_ID_AGENDADO is not configured").await;
    };
    let Some(contact) = m.contact_id.map(ContactId) else {
        return skip("no contact").await;
    };
    let mut tx = ctx.db.begin().await?;
    let sync = store::latest_lead_sync(&mut tx, ws, contact).await?;
    tx.commit().await?;
    let ids: Value = match &sync {
        Some((status, _))
            if status == MessageStatus::Queued || status == MessageStatus::Sending =>
        {
            let at = Ts::new(now.0 + LEAD_PENDING_RECHECK);
            return reschedule(&ctx.db, ws, m.id, at, now).await;
        }
        Some((status, Some(ids)))
            if status != MessageStatus::Failed && status != MessageStatus::Skipped =>
        {
            serde_json::from_str(ids).unwrap_or_default()
        }
        _ => return skip("the contact has no Kommo lead").await,
    };
    let Some(lead_id) = ids["lead_id"].as_i64() else {
        return skip("the contact has no Kommo lead").await;
    };
    if ids["status_id"].as_i64() == Some(status) {
        return skip("the lead was created in the booked status").await;
    }

    let mut tx = ctx.db.begin().await?;
    let batch = store::claim_batch(&mut tx, ws, m.id, 1, now).await?;
    tx.commit().await?;
    if batch.is_empty() {
        return Ok(());
    }
    if let Some(wait) = paced(ctx, kommo, now).await? {
        return reschedule(&ctx.db, ws, m.id, Ts::new(now.0 + wait), now).await;
    }
    let res = kommo.move_lead(lead_id, status).await;
    let mut tx = ctx.db.begin().await?;
    let out = match res {
        Ok(()) => set_sent(&mut tx, ws, m.id, Some(&lead_id.to_string()), now).await,
        Err(e) => failed_attempt(&mut tx, job, &batch, e, now).await,
    };
    tx.commit().await?;
    out
}

/// Takes the account's request slot, or answers how long until it frees.
async fn paced(
    ctx: &JobContext,
    kommo: &KommoClient,
    now: Ts,
) -> Result<Option<SignedDuration>, JobError> {
    Ok(af_db::rate_slots::try_acquire(&ctx.db, &kommo.pacing_key(), now, KOMMO_INTERVAL).await?)
}

/// Kommo answers in input order and echoes each `request_id` (our message
/// id); match by the id and fall back to the position.
fn answer_for(created: &[CreatedLead], id: MessageId, index: usize) -> Option<&CreatedLead> {
    let key = id.to_string();
    created
        .iter()
        .find(|l| l.request_id.contains(&key))
        .or_else(|| created.get(index).filter(|l| l.request_id.is_empty()))
}

/// The lead a sync message describes (the contact as the step saw it).
fn lead_input(m: &Message) -> LeadInput {
    let v: Value = serde_json::from_str(&m.body_text).unwrap_or_default();
    let c = &v["contact"];
    let s = |x: &Value| x.as_str().map(str::to_owned).filter(|t| !t.is_empty());
    let custom = &c["custom"];
    LeadInput {
        name: s(&c["full_name"]).unwrap_or_else(|| "Lead".into()),
        company: s(&c["company"]),
        service: s(&custom["service"]).or_else(|| s(&custom["servicio"])),
        source: s(&c["source"]),
        utm: Utm {
            source: s(&c["utm_source"]),
            medium: s(&c["utm_medium"]),
            campaign: s(&c["utm_campaign"]),
            term: s(&c["utm_term"]),
            content: s(&c["utm_content"]),
        },
        contact: ContactInput {
            name: s(&c["full_name"]).unwrap_or_default(),
            email: s(&c["email"]),
            phone: s(&c["phone"]),
        },
        request_id: Some(m.id.to_string()),
        status_id: None,
    }
}

/// A failed call: retry the same messages while attempts remain (they stay
/// claimed), else fail them all.
async fn failed_attempt(
    tx: &mut Tx,
    job: &Job,
    batch: &[Message],
    e: SendError,
    now: Ts,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let text = error_text(&e);
    let retry = e.is_retryable() && job.attempts < job.max_attempts;
    let status = if retry {
        MessageStatus::Sending
    } else {
        MessageStatus::Failed
    };
    for b in batch {
        set_status(tx, ws, b.id, status, Some(&text), None, now).await?;
    }
    if !retry {
        return Ok(());
    }
    Err(match e.retry_after() {
        Some(d) => JobError::RetryAfter(
            text,
            SignedDuration::try_from(d).unwrap_or(SignedDuration::from_mins(1)),
        ),
        None => JobError::Retry(text),
    })
}

fn error_text(e: &SendError) -> String {
    match e {
        SendError::Permanent {
            code: Some(code), ..
        } => format!("{code}: {e}"),
        _ => e.to_string(),
    }
}

async fn set_sent(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    provider_id: Option<&str>,
    now: Ts,
) -> Result<(), JobError> {
    let u = StatusUpdate {
        status: MessageStatus::Sent,
        provider: Some("kommo"),
        provider_id,
        attempted: true,
        ..Default::default()
    };
    messages::update_status(tx, ws, id, &u, now).await?;
    Ok(())
}

async fn set_status(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    status: MessageStatus,
    error: Option<&str>,
    skip_reason: Option<&str>,
    now: Ts,
) -> Result<(), JobError> {
    let u = StatusUpdate {
        status,
        // A skip never reached Kommo.
        provider: error.is_some().then_some("kommo"),
        error,
        skip_reason,
        attempted: error.is_some(),
        ..Default::default()
    };
    messages::update_status(tx, ws, id, &u, now).await?;
    Ok(())
}

/// A batch untouched this long lost its leader's job: the job queue's
/// longest backoff is 1 h and its lease 5 min, so a batch between two
/// attempts is never this old.
const ABANDONED_AFTER: SignedDuration = SignedDuration::from_hours(2);

/// For the periodic sweep: batches whose leader's job is gone go back to
/// the queue with a send job each, so no sync stays `sending` for ever.
pub async fn release_abandoned(db: &af_db::Db, now: Ts) -> Result<usize, af_db::DbError> {
    let mut tx = db.begin().await?;
    let before = Ts::new(now.0 - ABANDONED_AFTER);
    let released = store::release_abandoned(&mut tx, before, now).await?;
    for (ws, id) in &released {
        let job = SendMessage { message_id: *id };
        af_db::jobs::enqueue_job(&mut tx, Some(*ws), &job, now, now).await?;
    }
    tx.commit().await?;
    if !released.is_empty() {
        tracing::warn!(
            messages = released.len(),
            "Kommo syncs whose job was lost go again"
        );
    }
    Ok(released.len())
}
