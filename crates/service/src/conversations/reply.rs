//! A member writes to a contact from the inbox or the contact page.
//!
//! The reply is checked against what the channels and the law allow before
//! anything is stored — an address to write to, the contact's consent,
//! WhatsApp's 24-hour customer-service window (outside it only an approved
//! template, a Twilio Content SID), the workspace's quiet hours (a member
//! may override them; the `message.sent` event records it, so the audit log
//! does) — and then queued like any message: one row, one `send_message`
//! job, in one transaction. Merge fields (`{{ contact.first_name }}`...)
//! are rendered as in workflows.

use super::{ConversationError, invalid};
use af_channels::quiet_hours::{Decision, SendWindow, decide_in_zone};
use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_core::{Actor, ContactId, UserId};
use af_db::conversations::{self as store, ThreadMessage};
use af_db::messages::{HandWritten, NewMessage, StoredAttachment};
use af_db::workspaces::Workspace;
use af_db::{Db, Ts};
use af_engine::EngineConfig;
use jiff::SignedDuration;
use serde::Deserialize;
use std::fmt;

/// WhatsApp's customer-service window: free text only this long after the
/// contact's last message.
pub const WHATSAPP_WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// Longest SMS / WhatsApp body (Twilio's limit for a concatenated SMS).
pub const MAX_TEXT_CHARS: usize = 1600;
/// Longest email body.
pub const MAX_EMAIL_CHARS: usize = 50_000;
/// Longest subject.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Most files on one email, and their total size.
pub const MAX_FILES: usize = 5;
/// (Request bodies are capped at 1 MB, so this leaves room for the form.)
pub const MAX_FILES_BYTES: usize = 900 * 1024;
/// What a member may attach: images and PDFs.
pub const FILE_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
];

/// `POST /api/v1/conversations/{id}/messages` and the reply form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyRequest {
    /// `whatsapp`, `sms` or `email`.
    pub channel: String,
    pub body: String,
    /// Email only; default "Re: " and the latest email's subject.
    pub subject: Option<String>,
    /// An approved WhatsApp template: Twilio Content SID (`HX` + 32 hex).
    pub template_sid: Option<String>,
    /// The template's variables (`{"1": "Ana"}`).
    pub variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Send now even in the workspace's quiet hours.
    pub override_quiet_hours: bool,
}

/// A file a member attaches (email).
#[derive(Debug, Clone)]
pub struct ReplyFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Why a well-formed reply may not be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoEmail,
    NoPhone,
    /// The contact opted out of text messages (STOP).
    OptedOut,
    /// WhatsApp free text more than 24 hours after her last message.
    WindowClosed {
        last_inbound: Option<Ts>,
    },
    /// Quiet hours in the contact's zone, until this instant.
    QuietHours {
        until: Ts,
    },
}

impl Refusal {
    /// The stable code pages translate and API clients test.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoEmail => "no_email",
            Refusal::NoPhone => "no_phone",
            Refusal::OptedOut => "no_consent",
            Refusal::WindowClosed { .. } => "window_closed",
            Refusal::QuietHours { .. } => "quiet_hours",
        }
    }

    /// The request field the refusal is about.
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::NoEmail | Refusal::NoPhone | Refusal::OptedOut => "channel",
            Refusal::WindowClosed { .. } => "template_sid",
            Refusal::QuietHours { .. } => "override_quiet_hours",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            Refusal::NoEmail => write!(f, "{code}: the contact has no email address"),
            Refusal::NoPhone => write!(f, "{code}: the contact has no phone number"),
            Refusal::OptedOut => write!(
                f,
                "{code}: the contact opted out of text messages (she can write START to opt back in)"
            ),
            Refusal::WindowClosed { .. } => write!(
                f,
                "{code}: the contact has not written on WhatsApp in the last 24 hours; \
                 outside that window WhatsApp only allows an approved template (template_sid)"
            ),
            Refusal::QuietHours { until } => write!(
                f,
                "{code}: it is within the workspace's quiet hours for the contact until {}; \
                 send with override_quiet_hours to send now",
                until.0
            ),
        }
    }
}

/// What a reply needs besides the request.
pub struct Env<'a> {
    pub db: &'a Db,
    pub cfg: &'a EngineConfig,
}

/// The request, checked: nothing here needs the database.
struct Checked {
    channel: Channel,
    body: String,
    subject: Option<String>,
    template: Option<(String, Option<String>)>,
}

fn check(req: &ReplyRequest, files: &[ReplyFile]) -> Result<Checked, ConversationError> {
    let channel = match Channel::parse(req.channel.trim()) {
        Some(c @ (Channel::Email | Channel::Sms | Channel::WhatsApp)) => c,
        _ => {
            return Err(invalid(
                "channel",
                "channel must be \"whatsapp\", \"sms\" or \"email\"",
            ));
        }
    };
    let body = req.body.trim().replace("\r\n", "\n");
    let template = match req.template_sid.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(sid) => {
            if channel != Channel::WhatsApp {
                return Err(invalid("template_sid", "templates are for WhatsApp only"));
            }
            if !is_content_sid(sid) {
                return Err(invalid(
                    "template_sid",
                    "template_sid must be a Twilio Content SID: HX followed by 32 hexadecimal characters",
                ));
            }
            Some((sid.to_string(), variables_json(req.variables.as_ref())?))
        }
    };
    if template.is_none() && body.is_empty() {
        return Err(invalid("body", "write a message"));
    }
    let max = if channel == Channel::Email {
        MAX_EMAIL_CHARS
    } else {
        MAX_TEXT_CHARS
    };
    if body.chars().count() > max {
        return Err(invalid(
            "body",
            format!("the message is longer than {max} characters"),
        ));
    }
    let subject = req
        .subject
        .as_deref()
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty());
    if subject
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_SUBJECT_CHARS)
    {
        return Err(invalid(
            "subject",
            format!("the subject is longer than {MAX_SUBJECT_CHARS} characters"),
        ));
    }
    if subject.is_some() && channel != Channel::Email {
        return Err(invalid("subject", "only an email has a subject"));
    }
    check_files(channel, files)?;
    Ok(Checked {
        channel,
        body,
        subject,
        template,
    })
}

fn check_files(channel: Channel, files: &[ReplyFile]) -> Result<(), ConversationError> {
    if files.is_empty() {
        return Ok(());
    }
    if channel != Channel::Email {
        return Err(invalid(
            "files",
            "files can be sent by email; on WhatsApp and SMS send a link",
        ));
    }
    if files.len() > MAX_FILES {
        return Err(invalid("files", format!("at most {MAX_FILES} files")));
    }
    let total: usize = files.iter().map(|f| f.bytes.len()).sum();
    if total > MAX_FILES_BYTES {
        return Err(invalid("files", "the files take more than 900 KB"));
    }
    for f in files {
        if !FILE_TYPES.contains(&f.content_type.as_str()) {
            return Err(invalid(
                "files",
                format!("{}: only images and PDF files", clean_filename(&f.filename)),
            ));
        }
    }
    Ok(())
}

/// A file name safe in a header and on a page: letters, digits, dot,
/// dash and underscore, at most 80 characters.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned
    }
}

/// The type of a file by its first bytes — an image or a PDF, or `None`
/// (a browser's or a sender's claim is never trusted).
pub fn file_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Whether WhatsApp's customer-service window is open at `now`, given
/// when the contact last wrote on WhatsApp.
pub fn window_open(last_inbound: Option<Ts>, now: Ts) -> bool {
    last_inbound.is_some_and(|at| {
        now.0
            .checked_sub(WHATSAPP_WINDOW)
            .is_ok_and(|since| at.0 > since)
    })
}

/// `HX` and 32 hexadecimal characters.
pub fn is_content_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("HX") && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// Template variables as Twilio's `ContentVariables` JSON: keys are the
/// placeholders, values text.
fn variables_json(
    vars: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<Option<String>, ConversationError> {
    let Some(vars) = vars.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let mut out = serde_json::Map::new();
    for (k, v) in vars {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => {
                return Err(invalid(
                    "variables",
                    format!("variables.{k} must be text or a number"),
                ));
            }
        };
        if k.is_empty() || k.len() > 20 || text.chars().count() > 1024 {
            return Err(invalid("variables", "variables too long"));
        }
        out.insert(k.clone(), serde_json::Value::String(text));
    }
    Ok(Some(serde_json::Value::Object(out).to_string()))
}

/// Sends a member's reply: checks, stores it `queued` with its send job
/// and a `message.sent` event, and answers the stored message.
#[allow(clippy::too_many_arguments)]
pub async fn send(
    env: &Env<'_>,
    ws: &Workspace,
    contact: ContactId,
    req: &ReplyRequest,
    files: &[ReplyFile],
    sender: Option<UserId>,
    actor: &Actor,
    now: Ts,
) -> Result<ThreadMessage, ConversationError> {
    let checked = check(req, files)?;
    let window = quiet_window(env, ws).await?;
    let mut tx = env.db.begin().await?;
    let c = af_db::contacts::get_contact_tx(&mut tx, ws.id, contact)
        .await
        .map_err(|e| match e {
            af_db::DbError::NotFound(_) => ConversationError::NotFound,
            e => ConversationError::Db(e),
        })?;
    let to = match checked.channel {
        Channel::Email => c
            .email
            .clone()
            .ok_or(ConversationError::Refused(Refusal::NoEmail))?,
        _ => {
            let phone = c
                .phone
                .clone()
                .ok_or(ConversationError::Refused(Refusal::NoPhone))?;
            if c.sms_opted_out {
                return Err(ConversationError::Refused(Refusal::OptedOut));
            }
            phone
        }
    };
    if checked.channel == Channel::WhatsApp && checked.template.is_none() {
        let last = store::last_inbound_at(&mut tx, ws.id, contact, Channel::WhatsApp).await?;
        if !window_open(last, now) {
            return Err(ConversationError::Refused(Refusal::WindowClosed {
                last_inbound: last,
            }));
        }
    }
    let mut overridden = false;
    if checked.channel != Channel::Email {
        let zone = af_db::automations::contact_time_zone(&mut tx, ws.id, contact)
            .await?
            .unwrap_or_else(|| ws.time_zone.clone());
        if let Decision::WaitUntil(at) = decide_in_zone(&window, now.0, &zone) {
            if !req.override_quiet_hours {
                return Err(ConversationError::Refused(Refusal::QuietHours {
                    until: Ts::new(at),
                }));
            }
            overridden = true;
        }
    }
    let ctx = af_engine::context::template_context(env.cfg, ws, &c, &serde_json::json!({}));
    let body = if checked.body.is_empty() {
        String::new()
    } else {
        af_core::templating::render_text(&checked.body, &ctx)
            .map_err(|e| invalid("body", format!("merge fields: {e}")))?
    };
    let (subject, in_reply_to) = if checked.channel == Channel::Email {
        let latest = store::latest_email_message_id(&mut tx, ws.id, contact).await?;
        let subject = checked.subject.clone().unwrap_or_else(|| match &latest {
            Some((_, Some(s))) if s.to_lowercase().starts_with("re:") => s.clone(),
            Some((_, Some(s))) if !s.is_empty() => format!("Re: {s}"),
            _ => ws.name.clone(),
        });
        (Some(subject), latest.map(|(id, _)| id))
    } else {
        (None, None)
    };
    let new = NewMessage {
        workspace: ws.id,
        channel: checked.channel,
        provider: "outbox",
        to: &to,
        subject: subject.as_deref(),
        // A template's text is Twilio's; the thread says "template".
        body_text: &body,
        category: "conversation",
        status: MessageStatus::Queued,
        contact_id: Some(contact),
        ..Default::default()
    };
    let id = af_db::messages::insert_message(&mut tx, &new, now).await?;
    let email_message_id = (checked.channel == Channel::Email).then(|| {
        format!(
            "{id}@{}",
            af_engine::channels::message_id_domain(&env.cfg.base_url)
        )
    });
    let hand = HandWritten {
        sent_by: sender,
        quiet_override: overridden,
        content_sid: checked.template.as_ref().map(|(sid, _)| sid.as_str()),
        content_variables: checked.template.as_ref().and_then(|(_, v)| v.as_deref()),
        email_message_id: email_message_id.as_deref(),
        in_reply_to: in_reply_to.as_deref(),
    };
    af_db::messages::set_hand_written(&mut tx, ws.id, id, &hand).await?;
    if !files.is_empty() {
        let stored: Vec<StoredAttachment> = files
            .iter()
            .map(|f| StoredAttachment {
                filename: clean_filename(&f.filename),
                content_type: f.content_type.clone(),
                content: f.bytes.clone(),
            })
            .collect();
        af_db::messages::insert_attachments(&mut tx, ws.id, id, &stored).await?;
    }
    let job = af_core::jobs::SendMessage { message_id: id };
    af_db::jobs::enqueue_job(&mut tx, Some(ws.id), &job, now, now).await?;
    let data = serde_json::json!({
        "contact_id": contact, "message_id": id, "channel": checked.channel.as_str(),
        "template_sid": checked.template.as_ref().map(|(sid, _)| sid),
        "quiet_hours_override": overridden, "attachments": files.len(),
    });
    super::write_event(
        &mut tx,
        ws.id,
        contact,
        EventKind::MessageSent,
        actor,
        data,
        now,
    )
    .await?;
    tx.commit().await?;
    store::thread_message(env.db, ws.id, contact, id)
        .await?
        .ok_or(ConversationError::NotFound)
}

/// The workspace's quiet hours (its own, else the server's).
async fn quiet_window(env: &Env<'_>, ws: &Workspace) -> Result<SendWindow, ConversationError> {
    let settings = af_db::channels::find_channel_settings(env.db, ws.id).await?;
    Ok(settings
        .and_then(|s| s.quiet_hours)
        .and_then(|q| SendWindow::parse(&q).ok())
        .unwrap_or(env.cfg.channels.quiet_hours))
}
