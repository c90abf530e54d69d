//! What a job hands to a provider ([`OutgoingMessage`]), what it gets back
//! ([`SendOutcome`] or [`SendError`]), and the one place where vendor HTTP
//! answers are classified as "retry later" or "give up".

use std::time::Duration;

use af_core::vocab::{Channel, MessageStatus, UnknownValue};
use serde::{Deserialize, Serialize};

/// The channels a provider sends on: the first four values of
/// [`af_core::vocab::Channel`] (whose names are the stored ones). Kommo and
/// webhook rows travel through their own clients, so a provider never has
/// to refuse them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "Channel", try_from = "Channel")]
pub enum SendChannel {
    /// Email through SMTP, SendGrid, Brevo or the outbox.
    Email,
    /// SMS through Twilio Messages.
    Sms,
    /// WhatsApp through Twilio Messages (`whatsapp:` addresses).
    WhatsApp,
    /// A phone call through Twilio Calls with TwiML.
    Voice,
}

impl SendChannel {
    /// The stored name (`af_core::vocab::Channel::as_str`).
    pub fn as_str(self) -> &'static str {
        Channel::from(self).as_str()
    }
}

impl From<SendChannel> for Channel {
    fn from(c: SendChannel) -> Channel {
        match c {
            SendChannel::Email => Channel::Email,
            SendChannel::Sms => Channel::Sms,
            SendChannel::WhatsApp => Channel::WhatsApp,
            SendChannel::Voice => Channel::Voice,
        }
    }
}

impl TryFrom<Channel> for SendChannel {
    type Error = UnknownValue;

    /// Refuses a channel no provider sends on.
    fn try_from(c: Channel) -> Result<SendChannel, UnknownValue> {
        match c {
            Channel::Email => Ok(SendChannel::Email),
            Channel::Sms => Ok(SendChannel::Sms),
            Channel::WhatsApp => Ok(SendChannel::WhatsApp),
            Channel::Voice => Ok(SendChannel::Voice),
            Channel::Kommo | Channel::Webhook => Err(UnknownValue {
                vocabulary: "provider channel",
                value: c.as_str().to_owned(),
            }),
        }
    }
}

/// Why a message is sent; decides unsubscribe headers and opt-out rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Workflow and bulk sends: carry one-click unsubscribe, skipped for
    /// unsubscribed contacts.
    Marketing,
    /// Booking confirmations, receipts: allowed to unsubscribed contacts.
    Transactional,
    /// Password resets, invitations: never carry an unsubscribe link.
    System,
}

/// What a voice call does once answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceSpec {
    /// Text read aloud with `<Say>` (used when `play_url` is empty).
    pub say_text: Option<String>,
    /// BCP-47 language for `<Say>`, e.g. `es-MX`.
    pub language: Option<String>,
    /// A recording played with `<Play>` (wins over `say_text`).
    pub play_url: Option<String>,
    /// Ask Twilio to tell a human from an answering machine.
    pub machine_detection: bool,
}

/// One message to one recipient, as the job built it.
///
/// The caller has already checked opt-outs and quiet hours; providers only
/// deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// Which medium.
    pub channel: SendChannel,
    /// Email address or E.164 phone number (without `whatsapp:`).
    pub to: String,
    /// Sender address or number; the configured default when `None`.
    pub from: Option<String>,
    /// Display name of the email sender.
    pub from_name: Option<String>,
    /// Email subject.
    pub subject: Option<String>,
    /// Plain-text body (email text part, SMS/WhatsApp body).
    pub text: Option<String>,
    /// HTML body (email only).
    pub html: Option<String>,
    /// Marketing, transactional or system.
    pub category: Category,
    /// Stable per send attempt group, so a retried job does not send twice
    /// where the vendor supports it.
    pub idempotency_key: String,
    /// Signed one-click unsubscribe URL (marketing email).
    pub unsubscribe_url: Option<String>,
    /// Reply-To address (email).
    pub reply_to: Option<String>,
    /// What a call says or plays (voice only).
    pub voice: Option<VoiceSpec>,
    /// Where Twilio posts status updates for this message or call.
    pub status_callback_url: Option<String>,
    /// Files sent with an email (a booking's `.ics` invitation).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// A WhatsApp / SMS approved template (Twilio Content API `HX…` SID).
    /// WhatsApp only lets a business open a conversation (or write after
    /// 24 hours of silence) with an approved template, so this is how a
    /// workflow reaches a contact who has not written first. When set,
    /// `text` is not sent.
    #[serde(default)]
    pub content_sid: Option<String>,
    /// The template's variables as a JSON object of strings
    /// (`{"1":"Ana"}`), Twilio's `ContentVariables`.
    #[serde(default)]
    pub content_variables: Option<String>,
    /// The RFC 5322 Message-ID we give this email, without angle brackets
    /// (`abc@agencyflow.local`), so a reply's `In-Reply-To` can be matched
    /// to the conversation. SMTP derives one from the idempotency key when
    /// `None`.
    #[serde(default)]
    pub message_id: Option<String>,
    /// The Message-ID (without angle brackets) of the email this one
    /// answers, so mail clients show it in the same thread.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, without angle brackets.
    #[serde(default)]
    pub references: Vec<String>,
}

/// A file attached to an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name the recipient sees (`invite.ics`).
    pub filename: String,
    /// MIME type, parameters included (`text/calendar; method=REQUEST`).
    pub content_type: String,
    /// The file's bytes.
    pub content: Vec<u8>,
}

/// Most attachments one email carries.
pub const MAX_ATTACHMENTS: usize = 10;
/// Most bytes all of an email's attachments take: what the providers
/// accept with room to spare (SendGrid takes 30 MB in all).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

impl OutgoingMessage {
    fn base(channel: SendChannel, to: &str, idempotency_key: &str) -> Self {
        Self {
            channel,
            to: to.to_owned(),
            from: None,
            from_name: None,
            subject: None,
            text: None,
            html: None,
            category: Category::Transactional,
            idempotency_key: idempotency_key.to_owned(),
            unsubscribe_url: None,
            reply_to: None,
            voice: None,
            status_callback_url: None,
            attachments: Vec::new(),
            content_sid: None,
            content_variables: None,
            message_id: None,
            in_reply_to: None,
            references: Vec::new(),
        }
    }

    /// An email with a subject and a text body (transactional until changed).
    pub fn email(to: &str, subject: &str, text: &str, idempotency_key: &str) -> Self {
        Self {
            subject: Some(subject.to_owned()),
            text: Some(text.to_owned()),
            ..Self::base(SendChannel::Email, to, idempotency_key)
        }
    }

    /// An SMS with a text body.
    pub fn sms(to: &str, body: &str, idempotency_key: &str) -> Self {
        Self {
            text: Some(body.to_owned()),
            ..Self::base(SendChannel::Sms, to, idempotency_key)
        }
    }

    /// A WhatsApp message with a text body.
    pub fn whatsapp(to: &str, body: &str, idempotency_key: &str) -> Self {
        Self {
            text: Some(body.to_owned()),
            ..Self::base(SendChannel::WhatsApp, to, idempotency_key)
        }
    }

    /// A phone call.
    pub fn voice(to: &str, spec: VoiceSpec, idempotency_key: &str) -> Self {
        Self {
            voice: Some(spec),
            ..Self::base(SendChannel::Voice, to, idempotency_key)
        }
    }
}

/// Delivery status of a message, as stored in message rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "MessageStatus", try_from = "MessageStatus")]
pub enum DeliveryStatus {
    /// Accepted by the vendor, not yet sent on.
    Queued,
    /// Handed to the carrier / receiving mail server.
    Sent,
    /// Confirmed delivered (or call completed).
    Delivered,
    /// The carrier could not deliver it.
    Undelivered,
    /// Failed (or call busy / no answer / failed).
    Failed,
    /// Email opened.
    Opened,
    /// Link clicked.
    Clicked,
    /// The contact answered.
    Replied,
}

impl DeliveryStatus {
    /// Every value.
    pub const ALL: [DeliveryStatus; 8] = [
        DeliveryStatus::Queued,
        DeliveryStatus::Sent,
        DeliveryStatus::Delivered,
        DeliveryStatus::Undelivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Opened,
        DeliveryStatus::Clicked,
        DeliveryStatus::Replied,
    ];

    /// The stored name (`af_core::vocab::MessageStatus::as_str`).
    pub fn as_str(self) -> &'static str {
        MessageStatus::from(self).as_str()
    }

    /// How far along a message is: [`MessageStatus::rank_of`].
    pub fn rank(status: &str) -> u8 {
        MessageStatus::rank_of(status)
    }

    /// Whether a report of `self` moves a message now at `current` on.
    pub fn advances(self, current: &str) -> bool {
        Self::rank(self.as_str()) > Self::rank(current)
    }

    /// Maps a Twilio message or call status (`MessageStatus` / `CallStatus`
    /// of status callbacks, `status` of API answers). Unknown values are
    /// `None` so the caller keeps what it had.
    pub fn from_twilio(status: &str) -> Option<Self> {
        Some(match status {
            "accepted" | "scheduled" | "queued" | "sending" | "initiated" | "ringing"
            | "in-progress" => DeliveryStatus::Queued,
            "sent" => DeliveryStatus::Sent,
            "delivered" | "completed" => DeliveryStatus::Delivered,
            "read" => DeliveryStatus::Opened,
            "receiving" | "received" => DeliveryStatus::Replied,
            "undelivered" => DeliveryStatus::Undelivered,
            "failed" | "busy" | "no-answer" | "canceled" => DeliveryStatus::Failed,
            _ => return None,
        })
    }
}

impl From<DeliveryStatus> for MessageStatus {
    fn from(d: DeliveryStatus) -> MessageStatus {
        match d {
            DeliveryStatus::Queued => MessageStatus::Queued,
            DeliveryStatus::Sent => MessageStatus::Sent,
            DeliveryStatus::Delivered => MessageStatus::Delivered,
            DeliveryStatus::Undelivered => MessageStatus::Undelivered,
            DeliveryStatus::Failed => MessageStatus::Failed,
            DeliveryStatus::Opened => MessageStatus::Opened,
            DeliveryStatus::Clicked => MessageStatus::Clicked,
            DeliveryStatus::Replied => MessageStatus::Replied,
        }
    }
}

impl TryFrom<MessageStatus> for DeliveryStatus {
    type Error = UnknownValue;

    /// Refuses the statuses only we set (`sending`, `skipped`).
    fn try_from(m: MessageStatus) -> Result<DeliveryStatus, UnknownValue> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|d| MessageStatus::from(*d) == m)
            .ok_or_else(|| UnknownValue {
                vocabulary: "delivery status",
                value: m.as_str().to_owned(),
            })
    }
}

/// A successful hand-off to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// `"smtp"`, `"sendgrid"`, `"brevo"`, `"twilio"` or `"outbox"`.
    pub provider: &'static str,
    /// The vendor's id for the message or call, stored to match callbacks.
    pub provider_id: Option<String>,
    /// Status right after the hand-off.
    pub status: DeliveryStatus,
}

/// Why a send did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (5xx, 429, timeout, connection failure).
    #[error("temporary failure: {message}")]
    Retryable {
        /// What went wrong (safe to log, no secrets).
        message: String,
        /// The vendor asked to wait this long (429 `Retry-After`).
        retry_after: Option<Duration>,
    },
    /// Retrying will not help (bad request, bad credentials, opted out).
    #[error("permanent failure: {message}")]
    Permanent {
        /// What went wrong (safe to log, no secrets).
        message: String,
        /// The vendor's error code (Twilio `21610`, HTTP status, SMTP code).
        code: Option<String>,
        /// The recipient unsubscribed at the vendor: mark the contact opted
        /// out.
        opted_out: bool,
    },
}

impl SendError {
    /// A permanent error without vendor code.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError::Permanent {
            message: message.into(),
            code: None,
            opted_out: false,
        }
    }

    /// A retryable error without a vendor-requested delay.
    pub fn retryable(message: impl Into<String>) -> Self {
        SendError::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether the job should try again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }

    /// Whether the vendor reported the recipient as unsubscribed.
    pub fn is_opted_out(&self) -> bool {
        matches!(
            self,
            SendError::Permanent {
                opted_out: true,
                ..
            }
        )
    }

    /// The vendor-requested delay, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Retryable { retry_after, .. } => *retry_after,
            SendError::Permanent { .. } => None,
        }
    }
}

/// Reads `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3),
/// relative to `now`. A date in the past means "now" (zero).
pub fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // HTTP-date is the RFC 2822 shape with "GMT" (IMF-fixdate).
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let delta = when.duration_since(now);
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// Classifies a non-success HTTP answer: 5xx, 429 and 408 retry (429 honours
/// `Retry-After`), 3xx and other 4xx are permanent. `message` should already
/// hold the vendor's own error text when it sent one.
pub fn classify_http(
    status: u16,
    retry_after: Option<&str>,
    message: String,
    code: Option<String>,
) -> SendError {
    if status >= 500 || status == 429 || status == 408 {
        SendError::Retryable {
            message: format!("HTTP {status}: {message}"),
            retry_after: retry_after.and_then(|v| parse_retry_after(v, jiff::Timestamp::now())),
        }
    } else {
        SendError::Permanent {
            message: format!("HTTP {status}: {message}"),
            code: code.or_else(|| Some(status.to_string())),
            opted_out: false,
        }
    }
}

/// Classifies a transport error from reqwest: timeouts and connection
/// failures retry; a request that could not even be built does not.
pub fn classify_reqwest(err: &reqwest::Error) -> SendError {
    // Never include the URL: it may carry an account id; the kind is enough.
    let detail = err_without_url(err);
    if err.is_builder() {
        SendError::permanent(format!("invalid request: {detail}"))
    } else if err.is_timeout() {
        SendError::retryable(format!("timed out: {detail}"))
    } else if err.is_connect() {
        SendError::retryable(format!("could not connect: {detail}"))
    } else {
        SendError::retryable(format!("transport error: {detail}"))
    }
}

fn err_without_url(err: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = err.source();
    while let Some(e) = cur {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&e.to_string());
        cur = e.source();
    }
    if out.is_empty() {
        out = "request failed".to_owned();
    }
    out
}

/// Takes at most `max` characters of a vendor's answer for messages.
pub(crate) fn excerpt(body: &str, max: usize) -> String {
    let t = body.trim();
    match t.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_owned(),
    }
}

/// Reads the answer of a failed vendor call into a [`SendError`], using
/// `vendor_message` to pull the vendor's own error text and code from the
/// body.
pub(crate) async fn error_from_response(
    resp: reqwest::Response,
    vendor_message: impl Fn(&str) -> Option<(String, Option<String>)>,
) -> SendError {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.text().await.unwrap_or_default();
    let (message, code) = vendor_message(&body).unwrap_or_else(|| (excerpt(&body, 200), None));
    classify_http(status, retry_after.as_deref(), message, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_only_move_forward() {
        assert!(DeliveryStatus::Delivered.advances("sent"));
        assert!(!DeliveryStatus::Sent.advances("delivered"));
        assert!(
            !DeliveryStatus::Failed.advances("delivered"),
            "first outcome stands"
        );
        assert!(DeliveryStatus::Opened.advances("delivered"));
        assert!(!DeliveryStatus::Delivered.advances("skipped"));
    }

    #[test]
    fn statuses_classify() {
        assert!(classify_http(500, None, "x".into(), None).is_retryable());
        assert!(classify_http(503, None, "x".into(), None).is_retryable());
        assert!(classify_http(429, None, "x".into(), None).is_retryable());
        assert!(!classify_http(400, None, "x".into(), None).is_retryable());
        assert!(!classify_http(401, None, "x".into(), None).is_retryable());
        assert!(!classify_http(302, None, "x".into(), None).is_retryable());
        assert_eq!(
            classify_http(429, Some("7"), "x".into(), None).retry_after(),
            Some(Duration::from_secs(7))
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().expect("ts");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Tue, 01 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn twilio_statuses_map() {
        assert_eq!(
            DeliveryStatus::from_twilio("delivered"),
            Some(DeliveryStatus::Delivered)
        );
        assert_eq!(
            DeliveryStatus::from_twilio("no-answer"),
            Some(DeliveryStatus::Failed)
        );
        assert_eq!(DeliveryStatus::from_twilio("weird"), None);
    }
}
