//! What contacts send us: an SMS or WhatsApp message lands in the thread
//! of the contact with that phone — or of a new contact, named by her
//! WhatsApp profile when she has one — once per vendor message id (Twilio
//! retries its webhooks), with its media files, and writes
//! `message.inbound`: the trigger and exit goal of workflows ("the contact
//! replied" stops a follow-up sequence), the `message_replied` activity of
//! scoring and the bell of whoever answers her.

use af_channels::keywords::Keyword;
use af_core::contact_input::{NO_CUSTOM_FIELDS, RawContact, validate_contact};
use af_core::vocab::{Channel, EventKind};
use af_core::{Actor, ContactId, MessageId, WorkspaceId};
use af_db::messages::StoredAttachment;
use af_db::workspaces::Workspace;
use af_db::{Db, DbResult, Ts, Tx};

/// One inbound SMS / WhatsApp message, as the vendor's webhook told it.
#[derive(Debug, Clone)]
pub struct InboundText<'a> {
    pub channel: Channel,
    /// Sender, E.164.
    pub from: &'a str,
    /// Our number.
    pub to: &'a str,
    pub body: &'a str,
    /// The vendor's message id (`MessageSid`).
    pub sid: &'a str,
    /// The sender's WhatsApp profile name.
    pub profile_name: Option<&'a str>,
    /// STOP / START / HELP when the whole body is one.
    pub keyword: Option<Keyword>,
    /// Media already fetched (through the SSRF guard).
    pub media: Vec<StoredAttachment>,
}

/// What storing it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    pub message: MessageId,
    pub contact: Option<ContactId>,
}

/// Stores an inbound message; `None` when this vendor message was stored
/// already.
pub async fn receive_text(
    db: &Db,
    ws: &Workspace,
    m: &InboundText<'_>,
    now: Ts,
) -> DbResult<Option<Received>> {
    let mut tx = db.begin().await?;
    let contact = match af_db::contacts::find_match(&mut tx, ws.id, None, Some(m.from)).await? {
        Some(c) => Some(c),
        None => new_contact(&mut tx, ws, m, now).await?,
    };
    let new = af_db::channels::InboundMessage {
        workspace: ws.id,
        provider: "twilio",
        channel: m.channel.as_str(),
        subject: None,
        from: m.from,
        to: m.to,
        body: m.body,
        contact_id: contact.as_ref().map(|c| c.id),
        provider_id: m.sid,
    };
    let Some(id) = af_db::channels::insert_inbound_message(&mut tx, &new, now).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    if !m.media.is_empty() {
        af_db::messages::insert_attachments(&mut tx, ws.id, id, &m.media).await?;
    }
    if let Some(c) = &contact {
        match m.keyword {
            Some(Keyword::OptOut) if !c.sms_opted_out => {
                set_sms_opt_out(&mut tx, ws.id, c.id, true, now).await?
            }
            Some(Keyword::OptIn) if c.sms_opted_out => {
                set_sms_opt_out(&mut tx, ws.id, c.id, false, now).await?
            }
            _ => {}
        }
    }
    let contact_id = contact.as_ref().map(|c| c.id);
    let event = af_db::events::NewEvent {
        workspace: ws.id,
        kind: EventKind::MessageInbound.as_str(),
        entity_type: "contact",
        entity_id: contact_id.map(|c| c.to_string()),
        actor: &Actor::system(),
        data: serde_json::json!({
            "contact_id": contact_id, "message_id": id,
            "channel": m.channel.as_str(), "from": m.from, "body": m.body,
            "keyword": m.keyword.map(|k| format!("{k:?}").to_lowercase()),
            "attachments": m.media.len(),
        }),
    };
    af_db::events::insert_event(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(Some(Received {
        message: id,
        contact: contact_id,
    }))
}

/// A stranger wrote: she becomes a contact (source: the channel), unless
/// the sender is no phone number we can keep (a short code).
async fn new_contact(
    tx: &mut Tx,
    ws: &Workspace,
    m: &InboundText<'_>,
    now: Ts,
) -> DbResult<Option<af_db::contacts::Contact>> {
    let raw = RawContact {
        phone: Some(m.from.to_string()),
        name: m.profile_name.map(str::to_string),
        source: Some(m.channel.as_str().to_string()),
        ..Default::default()
    };
    let Ok(input) = validate_contact(&raw, &ws.country, &NO_CUSTOM_FIELDS) else {
        return Ok(None);
    };
    let mut actor = Actor::system();
    actor.label = channel_label(m.channel).into();
    let up = af_db::contacts::upsert_contact(tx, ws.id, &input, &actor, now).await?;
    Ok(Some(up.contact))
}

fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::WhatsApp => "WhatsApp",
        _ => "SMS",
    }
}

/// Opts the contact out of (or back into) text messages, as Twilio told
/// us (a STOP / START message, or an opt-out error code).
pub async fn set_sms_opt_out(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    opted_out: bool,
    now: Ts,
) -> DbResult<()> {
    let patch = af_db::contacts::ContactPatch {
        sms_opted_out: Some(opted_out),
        ..Default::default()
    };
    let mut actor = Actor::system();
    actor.label = "Twilio".into();
    af_db::contacts::update_contact(tx, ws, contact, &patch, &actor, now).await?;
    Ok(())
}

/// Where an inbound email came from (the vendor's webhook).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailVendor {
    SendGrid,
    Brevo,
}

impl EmailVendor {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailVendor::SendGrid => "sendgrid",
            EmailVendor::Brevo => "brevo",
        }
    }
}

/// Stores an inbound email in the thread it answers: the contact whose
/// email one of our Message-IDs in `In-Reply-To` / `References` names,
/// else the contact with the sender's address, else a new contact. Once
/// per Message-ID (a vendor's retry is a no-op: `None`).
pub async fn receive_email(
    db: &Db,
    ws: &Workspace,
    vendor: EmailVendor,
    m: &af_channels::inbound_email::InboundEmail,
    files: &[StoredAttachment],
    now: Ts,
) -> DbResult<Option<Received>> {
    let mut tx = db.begin().await?;
    let mut contact = None;
    for id in m.ancestors() {
        if let Some(c) =
            af_db::conversations::contact_by_email_message_id(&mut tx, ws.id, &id).await?
        {
            contact = Some(c);
            break;
        }
    }
    let contact = match contact {
        Some(c) => Some(c),
        None => match af_db::contacts::find_match(&mut tx, ws.id, Some(&m.from), None).await? {
            Some(c) => Some(c.id),
            None => new_email_contact(&mut tx, ws, m, now).await?,
        },
    };
    // Without a Message-ID, one from what the email is (a retry repeats it).
    let key = m.message_id.clone().unwrap_or_else(|| {
        let digest = af_core::crypto::sha256_hex(&format!("{}\n{}\n{}", m.from, m.subject, m.text));
        format!("sha256:{digest}")
    });
    let new = af_db::channels::InboundMessage {
        workspace: ws.id,
        provider: vendor.as_str(),
        channel: Channel::Email.as_str(),
        subject: Some(&m.subject),
        from: &m.from,
        to: &m.to,
        body: &m.text,
        contact_id: contact,
        provider_id: &key,
    };
    let Some(id) = af_db::channels::insert_inbound_message(&mut tx, &new, now).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let threading = af_db::messages::HandWritten {
        email_message_id: m.message_id.as_deref(),
        in_reply_to: m.in_reply_to.as_deref(),
        ..Default::default()
    };
    af_db::messages::set_hand_written(&mut tx, ws.id, id, &threading).await?;
    if !files.is_empty() {
        af_db::messages::insert_attachments(&mut tx, ws.id, id, files).await?;
    }
    let event = af_db::events::NewEvent {
        workspace: ws.id,
        kind: EventKind::MessageInbound.as_str(),
        entity_type: "contact",
        entity_id: contact.map(|c| c.to_string()),
        actor: &Actor::system(),
        data: serde_json::json!({
            "contact_id": contact, "message_id": id, "channel": "email",
            "from": m.from, "subject": m.subject, "body": m.text, "attachments": files.len(),
        }),
    };
    af_db::events::insert_event(&mut tx, &event, now).await?;
    tx.commit().await?;
    Ok(Some(Received {
        message: id,
        contact,
    }))
}

async fn new_email_contact(
    tx: &mut Tx,
    ws: &Workspace,
    m: &af_channels::inbound_email::InboundEmail,
    now: Ts,
) -> DbResult<Option<ContactId>> {
    let raw = RawContact {
        email: Some(m.from.clone()),
        name: m.from_name.clone(),
        source: Some(Channel::Email.as_str().to_string()),
        ..Default::default()
    };
    let Ok(input) = validate_contact(&raw, &ws.country, &NO_CUSTOM_FIELDS) else {
        return Ok(None);
    };
    let mut actor = Actor::system();
    actor.label = "Email".into();
    let up = af_db::contacts::upsert_contact(tx, ws.id, &input, &actor, now).await?;
    Ok(Some(up.contact.id))
}
