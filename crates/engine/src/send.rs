//! Delivering a queued message. Consent is checked again at send time (the
//! contact may have opted out, or the address hard-bounced or reported
//! spam, since the step ran); marketing HTML gets its open pixel and click
//! redirects (`af_channels::tracking`) as it goes out; and SMS, WhatsApp and
//! calls wait for the workspace's quiet hours to end, all before any
//! provider is called. The providers are the server's defaults overlaid
//! with the workspace's own credentials; with none configured the built-in
//! outbox records the message as sent. A voice call through the outbox
//! reaches nobody, so it reports `no_answer` and the workflow takes its
//! no-answer path; a real call's outcome arrives by Twilio's webhook.
//!
//! The job reads in one short transaction, calls the vendor with no
//! transaction open, and records the result in a second one (skipping it
//! when another run already did).

use crate::channels::{ChannelSetupError, WorkspaceChannels, twilio_webhook_url, voice_language};
use crate::{EngineConfig, job_workspace, reschedule};
use af_channels::quiet_hours::{Decision, decide_in_zone};
use af_channels::{Category, OutgoingMessage, SendError, SendOutcome, VoiceSpec};
use af_core::jobs::SendMessage;
use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_core::workflow::Action;
use af_core::{Actor, ContactId, MessageId, WorkspaceId};
use af_db::contacts::Contact;
use af_db::messages::{self, Message, StatusUpdate};
use af_db::{Ts, Tx};
use af_jobs::{Job, JobContext, JobError};
use jiff::SignedDuration;

/// The `send_message` job.
pub(crate) async fn send_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    p: SendMessage,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let id = p.message_id;
    let now = ctx.now();
    let mut tx = ctx.db.begin().await?;
    let Some(m) = messages::find_message_tx(&mut tx, ws, id).await? else {
        return Ok(());
    };
    // Already handled (a re-run after a crash), except a Kommo batch its
    // leader's job claimed and must send again.
    if m.status != MessageStatus::Queued
        && !(m.channel == Channel::Kommo && m.status == MessageStatus::Sending)
    {
        return Ok(());
    }
    let contact = match m.contact_id {
        Some(c) => af_db::automations::find_contact_tx(&mut tx, ws, ContactId(c)).await?,
        None => None,
    };
    if let Some(reason) = contact.as_ref().and_then(|c| blocked(&m, c)) {
        skip(&mut tx, ws, id, reason, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    // The address hard-bounced or reported spam since the step ran.
    if m.channel == Channel::Email
        && m.category == "marketing"
        && let Some(s) = af_db::email_events::suppression_tx(&mut tx, ws, &m.to_address).await?
    {
        let reason = af_db::email_events::skip_reason(&s.reason);
        skip(&mut tx, ws, id, reason, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let zone = match m.contact_id {
        Some(c) => af_db::automations::contact_time_zone(&mut tx, ws, ContactId(c)).await?,
        None => None,
    };
    // A member's reply from the inbox: its template, threading headers and
    // whether she chose to send in quiet hours.
    let hand = if m.category == "conversation" {
        messages::hand_written(&mut tx, ws, id).await?
    } else {
        messages::HandWrittenRow::default()
    };
    tx.commit().await?;
    let step = step_action(&ctx.db, ws, id).await?;

    let Some(workspace) = af_db::workspaces::find_workspace(&ctx.db, ws).await? else {
        return Ok(());
    };
    if m.channel == Channel::Webhook {
        return crate::outbound::deliver_step_webhook(ctx, cfg, job, &m, ws, now).await;
    }
    let ch =
        match crate::channels::workspace_channels(&ctx.db, &cfg.secret, &cfg.channels, ws).await {
            Ok(ch) => ch,
            Err(e @ (ChannelSetupError::Sealed(_) | ChannelSetupError::Config(_))) => {
                fail(&ctx.db, ws, id, "channel_config", &e.to_string(), now).await?;
                return Ok(());
            }
            Err(ChannelSetupError::Db(e)) => return Err(e.into()),
        };
    if m.channel == Channel::Kommo {
        return crate::kommo::sync(ctx, job, &ch, &m, ws, now).await;
    }

    if matches!(
        Channel::parse(&m.channel),
        Some(Channel::Sms | Channel::WhatsApp | Channel::Voice)
    ) && !hand.quiet_override
    {
        let zone = zone.unwrap_or_else(|| workspace.time_zone.clone());
        if let Decision::WaitUntil(at) = decide_in_zone(&ch.window, now.0, &zone) {
            reschedule(&ctx.db, ws, id, Ts::new(at), now).await?;
            return Ok(());
        }
    }

    let mut msg = match outgoing(
        cfg,
        &workspace,
        &ch.config,
        &m,
        contact.as_ref(),
        step.as_ref(),
    ) {
        Ok(msg) => msg,
        Err(reason) => {
            fail(&ctx.db, ws, id, "invalid", &reason, now).await?;
            return Ok(());
        }
    };
    with_hand_written(&mut msg, &hand);
    // Every email goes out with our own Message-ID, kept on the row when
    // sent, so a reply threads back to the contact by `In-Reply-To`.
    let new_message_id = if m.channel == Channel::Email && msg.message_id.is_none() {
        let mid = format!(
            "{}@{}",
            m.id,
            crate::channels::message_id_domain(&cfg.base_url)
        );
        msg.message_id = Some(mid.clone());
        Some(mid)
    } else {
        None
    };
    if m.channel == Channel::Email {
        msg.attachments = messages::list_attachments(&ctx.db, ws, id)
            .await?
            .into_iter()
            .map(|a| af_channels::Attachment {
                filename: a.filename,
                content_type: a.content_type,
                content: a.content,
            })
            .collect();
    }
    let res = ch.providers.send(&msg).await;
    record(
        ctx,
        job,
        &ch,
        &m,
        step.as_ref(),
        new_message_id.as_deref(),
        res,
        now,
    )
    .await
}

/// What a reply from the inbox adds: an approved WhatsApp template
/// instead of a body, and an email's place in its thread.
fn with_hand_written(msg: &mut OutgoingMessage, hand: &messages::HandWrittenRow) {
    if let Some(sid) = &hand.content_sid {
        msg.content_sid = Some(sid.clone());
        msg.content_variables = hand.content_variables.clone();
        msg.text = None;
    }
    if hand.email_message_id.is_some() {
        msg.message_id = hand.email_message_id.clone();
        msg.in_reply_to = hand.in_reply_to.clone();
        msg.references = hand.in_reply_to.iter().cloned().collect();
    }
}

/// Why the contact must not get this message now, if so.
fn blocked(m: &Message, c: &Contact) -> Option<&'static str> {
    match Channel::parse(&m.channel)? {
        Channel::Email if m.category == "marketing" && c.email_unsubscribed => {
            Some("the contact unsubscribed from marketing email")
        }
        Channel::Sms | Channel::WhatsApp | Channel::Voice if c.sms_opted_out => {
            Some("the contact opted out")
        }
        _ => None,
    }
}

async fn skip(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
    reason: &str,
    now: Ts,
) -> Result<(), JobError> {
    let u = StatusUpdate {
        status: MessageStatus::Skipped,
        skip_reason: Some(reason),
        ..Default::default()
    };
    messages::update_status(tx, ws, id, &u, now).await?;
    Ok(())
}

/// Marks a message failed for good without a vendor call.
pub(crate) async fn fail(
    db: &af_db::Db,
    ws: WorkspaceId,
    id: MessageId,
    code: &str,
    reason: &str,
    now: Ts,
) -> Result<(), JobError> {
    let mut tx = db.begin().await?;
    let error = format!("{code}: {reason}");
    let u = StatusUpdate {
        status: MessageStatus::Failed,
        error: Some(&error),
        ..Default::default()
    };
    messages::update_status(&mut tx, ws, id, &u, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The action of the workflow step that queued the message, for the
/// options the message row does not carry (WhatsApp fallback, what a call
/// plays, machine detection).
pub(crate) async fn step_action(
    db: &af_db::Db,
    ws: WorkspaceId,
    id: MessageId,
) -> Result<Option<Action>, JobError> {
    let Some((Some(enrollment), Some(step_id))) =
        af_db::channels::message_origin(db, ws, id).await?
    else {
        return Ok(None);
    };
    let Some(e) =
        af_db::automations::find_enrollment(db, ws, af_core::EnrollmentId(enrollment)).await?
    else {
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    // A definition that no longer parses only loses the step's options.
    let def = crate::enrolment::definition_of(&mut tx, &e).await.ok();
    tx.commit().await?;
    Ok(def.and_then(|d| d.step(&step_id).map(|s| s.action.clone())))
}

/// The display name of a workspace's email: its own sender name
/// (Settings), else the configured one (its channel credentials' name, else
/// the server's `AF_EMAIL_FROM="Name <addr>"` / `AF_EMAIL_FROM_NAME`), else
/// the workspace's name.
pub(crate) fn email_sender_name(
    ws: &af_db::workspaces::Workspace,
    providers: &af_channels::ProviderConfig,
) -> String {
    [
        ws.sender_name.as_deref(),
        providers.email_from_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .find(|n| !n.is_empty())
    .unwrap_or(&ws.name)
    .to_owned()
}

/// The message as the provider gets it.
fn outgoing(
    cfg: &EngineConfig,
    ws: &af_db::workspaces::Workspace,
    providers: &af_channels::ProviderConfig,
    m: &Message,
    contact: Option<&Contact>,
    step: Option<&Action>,
) -> Result<OutgoingMessage, String> {
    let key = m.id.to_string();
    let mut msg = match Channel::parse(&m.channel) {
        Some(Channel::Email) => {
            let mut e = OutgoingMessage::email(
                &m.to_address,
                m.subject.as_deref().unwrap_or_default(),
                &m.body_text,
                &key,
            );
            e.html = m.body_html.clone();
            e.from = m.from_address.clone();
            e.from_name = Some(email_sender_name(ws, providers));
            e.category = match m.category.as_str() {
                "marketing" => Category::Marketing,
                "system" => Category::System,
                _ => Category::Transactional,
            };
            if e.category == Category::Marketing {
                let c = contact.ok_or("marketing email without a contact")?;
                e.unsubscribe_url = Some(crate::context::unsubscribe_url(cfg, c));
                // Our open pixel and click redirects (marketing only).
                e.html = e.html.map(|h| {
                    af_channels::tracking::rewrite(&h, &cfg.base_url, &cfg.secret, ws.id, m.id)
                });
            }
            e
        }
        Some(Channel::Sms) => OutgoingMessage::sms(&m.to_address, &m.body_text, &key),
        Some(Channel::WhatsApp) => OutgoingMessage::whatsapp(&m.to_address, &m.body_text, &key),
        Some(Channel::Voice) => {
            let (play_url, machine_detection) = match step {
                Some(Action::VoiceCall {
                    play_url,
                    machine_detection,
                    say,
                    ..
                }) if say.is_none() => (play_url.clone(), *machine_detection),
                Some(Action::VoiceCall {
                    machine_detection, ..
                }) => (None, *machine_detection),
                _ => (None, false),
            };
            let spec = VoiceSpec {
                say_text: play_url.is_none().then(|| m.body_text.clone()),
                language: Some(voice_language(&ws.locale, &ws.country)),
                play_url,
                machine_detection,
            };
            OutgoingMessage::voice(&m.to_address, spec, &key)
        }
        _ => return Err(format!("unknown channel {}", m.channel)),
    };
    if matches!(
        Channel::parse(&m.channel),
        Some(Channel::Sms | Channel::WhatsApp)
    ) {
        msg.status_callback_url = Some(twilio_webhook_url(&cfg.base_url, &ws.slug, "status"));
    } else if m.channel == Channel::Voice {
        msg.status_callback_url = Some(twilio_webhook_url(&cfg.base_url, &ws.slug, "voice"));
    }
    Ok(msg)
}

/// Stores the outcome of a send attempt.
#[allow(clippy::too_many_arguments)]
async fn record(
    ctx: &JobContext,
    job: &Job,
    ch: &WorkspaceChannels,
    m: &Message,
    step: Option<&Action>,
    new_message_id: Option<&str>,
    res: Result<SendOutcome, SendError>,
    now: Ts,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let id = m.id;
    let mut tx = ctx.db.begin().await?;
    match messages::find_message_tx(&mut tx, ws, id).await? {
        Some(cur) if cur.status == MessageStatus::Queued => {}
        _ => return Ok(()),
    }
    // The provider this attempt went to, kept on failures too: a message a
    // vendor refused must say which vendor.
    let tried = if m.channel == Channel::Email {
        ch.providers.email().name()
    } else {
        ch.providers.phone_provider()
    };
    match res {
        Ok(o) => {
            let u = StatusUpdate {
                // "queued" at the vendor is "sent" here: ours means "not yet
                // handed to anyone", and a re-run must not send again.
                status: match o.status {
                    af_channels::DeliveryStatus::Queued => MessageStatus::Sent,
                    s => s.into(),
                },
                provider: Some(o.provider),
                provider_id: o.provider_id.as_deref(),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            if let Some(mid) = new_message_id {
                messages::set_email_message_id(&mut tx, ws, id, mid).await?;
            }
            if m.channel == Channel::Voice && o.provider == "outbox" {
                call_completed(&mut tx, ws, m, "no_answer", "outbox", now).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        Err(e @ SendError::Retryable { .. }) if job.attempts < job.max_attempts => {
            let text = e.to_string();
            let u = StatusUpdate {
                status: MessageStatus::Queued,
                provider: Some(tried),
                error: Some(&text),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            tx.commit().await?;
            Err(match e.retry_after() {
                Some(d) => JobError::RetryAfter(
                    text,
                    SignedDuration::try_from(d).unwrap_or(SignedDuration::from_mins(1)),
                ),
                None => JobError::Retry(text),
            })
        }
        Err(e) => {
            let (code, opted_out) = match &e {
                SendError::Permanent {
                    code, opted_out, ..
                } => (code.clone(), *opted_out),
                SendError::Retryable { .. } => (Some("retries_exhausted".into()), false),
            };
            let text = match &code {
                Some(c) => format!("{c}: {e}"),
                None => e.to_string(),
            };
            let u = StatusUpdate {
                status: MessageStatus::Failed,
                provider: Some(tried),
                error: Some(&text),
                attempted: true,
                ..Default::default()
            };
            messages::update_status(&mut tx, ws, id, &u, now).await?;
            if opted_out && let Some(c) = m.contact_id {
                let patch = af_db::contacts::ContactPatch {
                    sms_opted_out: Some(true),
                    ..Default::default()
                };
                af_db::contacts::update_contact(
                    &mut tx,
                    ws,
                    ContactId(c),
                    &patch,
                    &Actor::system(),
                    now,
                )
                .await?;
            }
            let fallback = matches!(
                step,
                Some(Action::SendWhatsapp {
                    fallback_sms: true,
                    ..
                })
            );
            if m.channel == Channel::WhatsApp && fallback && !opted_out {
                queue_sms_copy(&mut tx, ws, m, now).await?;
            }
            if m.channel == Channel::Voice {
                call_completed(&mut tx, ws, m, "failed", ch.providers.phone_provider(), now)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }
    }
}

/// WhatsApp failed for good and the step allows it: the same text by SMS.
pub(crate) async fn queue_sms_copy(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Message,
    now: Ts,
) -> Result<(), JobError> {
    let key = format!("fallback:{}", m.id);
    let new = messages::NewMessage {
        workspace: ws,
        channel: Channel::Sms,
        provider: "outbox",
        to: &m.to_address,
        from: None,
        subject: None,
        body_text: &m.body_text,
        body_html: None,
        category: &m.category,
        status: MessageStatus::Queued,
        contact_id: m.contact_id.map(ContactId),
        enrollment_id: m.enrollment_id.map(af_core::EnrollmentId),
        step_id: None,
        idempotency_key: Some(&key),
    };
    if let Some(sms) = messages::insert_message_once(tx, &new, now).await? {
        let job = SendMessage { message_id: sms };
        af_db::jobs::enqueue_job(tx, Some(ws), &job, now, now).await?;
    }
    Ok(())
}

/// `call.completed`: resumes the voice step waiting for this message.
pub(crate) async fn call_completed(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Message,
    outcome: &str,
    provider: &str,
    now: Ts,
) -> Result<(), JobError> {
    let event = af_db::events::NewEvent {
        workspace: ws,
        kind: EventKind::CallCompleted.as_str(),
        entity_type: "contact",
        entity_id: m.contact_id.map(|c| c.to_string()),
        actor: &Actor::system(),
        data: serde_json::json!({
            "contact_id": m.contact_id, "message_id": m.id, "outcome": outcome, "provider": provider,
        }),
    };
    af_db::events::insert_event(tx, &event, now).await?;
    Ok(())
}
