//! The provider-independent part of sending an email: pick the sender, check
//! every address, clean every header value, and insist that marketing email
//! carries its one-click unsubscribe URL. SMTP, SendGrid and Brevo all start
//! from a [`PreparedEmail`].

use crate::message::{
    Attachment, Category, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, OutgoingMessage, SendChannel,
    SendError,
};
use crate::sanitize;

/// A sender address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// Address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
}

/// An email whose addresses were validated and whose header values were
/// cleaned of line breaks and control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedEmail {
    /// Recipient address.
    pub to: String,
    /// Sender.
    pub from: Sender,
    /// Reply-To address.
    pub reply_to: Option<String>,
    /// Subject (single line).
    pub subject: String,
    /// Text part.
    pub text: Option<String>,
    /// HTML part.
    pub html: Option<String>,
    /// Marketing, transactional or system.
    pub category: Category,
    /// `List-Unsubscribe` URL (marketing only).
    pub unsubscribe_url: Option<String>,
    /// The job's idempotency key.
    pub idempotency_key: String,
    /// Files, with names and types cleaned like header values.
    pub attachments: Vec<Attachment>,
}

fn invalid(what: &str) -> SendError {
    SendError::Permanent {
        message: format!("invalid {what}"),
        code: Some("invalid_message".to_owned()),
        opted_out: false,
    }
}

impl PreparedEmail {
    /// Checks and cleans `msg`; `default_from` is used when the message names
    /// no sender. Invalid input is a permanent error (retrying cannot fix it).
    pub fn new(msg: &OutgoingMessage, default_from: Option<&Sender>) -> Result<Self, SendError> {
        if msg.channel != SendChannel::Email {
            return Err(invalid("channel for an email provider"));
        }
        let to = sanitize::email_address(&msg.to).map_err(|_| invalid("recipient address"))?;
        let from_email = match (&msg.from, default_from) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => d.email.clone(),
            (None, None) => {
                return Err(SendError::Permanent {
                    message: "no sender address configured (AF_EMAIL_FROM)".to_owned(),
                    code: Some("not_configured".to_owned()),
                    opted_out: false,
                });
            }
        };
        let from_email =
            sanitize::email_address(&from_email).map_err(|_| invalid("sender address"))?;
        let from_name = msg
            .from_name
            .clone()
            .or_else(|| default_from.and_then(|d| d.name.clone()))
            .map(|n| sanitize::display_name(&n))
            .filter(|n| !n.is_empty());
        let reply_to = match &msg.reply_to {
            Some(r) => Some(sanitize::email_address(r).map_err(|_| invalid("reply-to address"))?),
            None => None,
        };
        let subject = sanitize::header_text(msg.subject.as_deref().unwrap_or(""));
        if subject.is_empty() {
            return Err(invalid("subject (empty)"));
        }
        let text = msg.text.clone().filter(|t| !t.is_empty());
        let html = msg.html.clone().filter(|t| !t.is_empty());
        if text.is_none() && html.is_none() {
            return Err(invalid("body (no text and no html)"));
        }
        let unsubscribe_url = match msg.category {
            Category::Marketing => {
                let url = msg
                    .unsubscribe_url
                    .as_deref()
                    .map(sanitize::header_text)
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .ok_or_else(|| invalid("marketing email without an unsubscribe URL"))?;
                Some(url)
            }
            Category::Transactional | Category::System => None,
        };
        if msg.attachments.len() > MAX_ATTACHMENTS
            || msg
                .attachments
                .iter()
                .map(|a| a.content.len())
                .sum::<usize>()
                > MAX_ATTACHMENT_BYTES
        {
            return Err(invalid("attachments (too many or too large)"));
        }
        let mut attachments = Vec::with_capacity(msg.attachments.len());
        for a in &msg.attachments {
            let filename = sanitize::header_text(&a.filename).replace(['"', '/', '\\'], "_");
            let content_type = sanitize::header_text(&a.content_type);
            if filename.is_empty()
                || lettre::message::header::ContentType::parse(&content_type).is_err()
            {
                return Err(invalid("attachment name or type"));
            }
            attachments.push(Attachment {
                filename,
                content_type,
                content: a.content.clone(),
            });
        }
        Ok(Self {
            attachments,
            to,
            from: Sender {
                email: from_email,
                name: from_name,
            },
            reply_to,
            subject,
            text,
            html,
            category: msg.category,
            unsubscribe_url,
            idempotency_key: sanitize::header_text(&msg.idempotency_key),
        })
    }

    /// The extra headers every provider adds: the RFC 8058 pair for
    /// marketing email.
    pub fn extra_headers(&self) -> Vec<(&'static str, String)> {
        match &self.unsubscribe_url {
            Some(url) => crate::unsubscribe::list_unsubscribe_headers(url).to_vec(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marketing() -> OutgoingMessage {
        let mut m = OutgoingMessage::email("ana@x.test", "Hola\r\nBcc: spy@evil.test", "hi", "k1");
        m.category = Category::Marketing;
        m.unsubscribe_url = Some("https://crm.test/u/t".into());
        m.from_name = Some("Acme\r\nBcc: spy@evil.test".into());
        m
    }

    #[test]
    fn cleans_headers_and_adds_unsubscribe() {
        let d = Sender {
            email: "hola@acme.test".into(),
            name: None,
        };
        let p = PreparedEmail::new(&marketing(), Some(&d)).expect("prepared");
        assert_eq!(p.subject, "Hola Bcc: spy@evil.test");
        assert_eq!(p.from.name.as_deref(), Some("Acme Bcc: spy@evil.test"));
        assert_eq!(p.extra_headers().len(), 2);
    }

    #[test]
    fn refuses_what_cannot_be_sent() {
        let d = Sender {
            email: "hola@acme.test".into(),
            name: None,
        };
        let mut m = marketing();
        m.unsubscribe_url = None;
        assert!(
            !PreparedEmail::new(&m, Some(&d))
                .expect_err("no unsub")
                .is_retryable()
        );
        let mut m = marketing();
        m.to = "a@x.test\r\nBcc: b@y.test".into();
        assert!(PreparedEmail::new(&m, Some(&d)).is_err());
        assert!(PreparedEmail::new(&marketing(), None).is_err(), "no sender");
        let mut m = OutgoingMessage::email("a@x.test", "s", "", "k");
        m.text = None;
        assert!(PreparedEmail::new(&m, Some(&d)).is_err(), "no body");
    }
}
