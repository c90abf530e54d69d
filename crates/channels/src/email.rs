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
    /// Our Message-ID for this email, checked, without angle brackets.
    pub message_id: Option<String>,
    /// The Message-ID this email answers, checked, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, checked, without angle brackets, at most
    /// [`MAX_REFERENCES`].
    pub references: Vec<String>,
}

/// Most ids kept in `References`. A long thread would otherwise grow the
/// header past what relays accept; RFC 5322 §3.6.4 lets a mailer shorten
/// it, and keeping the first id (the thread's root) and the latest ones is
/// what mail clients need to thread it.
pub const MAX_REFERENCES: usize = 20;

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
        if msg.content_sid.is_some() || msg.content_variables.is_some() {
            return Err(invalid("template (WhatsApp and SMS only)"));
        }
        let message_id = match &msg.message_id {
            Some(id) => Some(
                sanitize::message_id(id)
                    .ok()
                    // Our own ids follow RFC 5322 (`left@right`): receivers
                    // such as Gmail replace an id without one, and then
                    // replies no longer name it.
                    .filter(|id| {
                        id.split_once('@')
                            .is_some_and(|(l, r)| !l.is_empty() && !r.is_empty())
                    })
                    .ok_or_else(|| invalid("Message-ID"))?,
            ),
            None => None,
        };
        let in_reply_to = match &msg.in_reply_to {
            Some(id) => Some(sanitize::message_id(id).map_err(|_| invalid("In-Reply-To"))?),
            None => None,
        };
        let mut references = msg
            .references
            .iter()
            .map(|id| sanitize::message_id(id).map_err(|_| invalid("References")))
            .collect::<Result<Vec<_>, _>>()?;
        if references.len() > MAX_REFERENCES {
            references.drain(1..references.len() - (MAX_REFERENCES - 1));
        }
        Ok(Self {
            message_id,
            in_reply_to,
            references,
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

    /// The extra headers the HTTP providers add: the RFC 8058 pair for
    /// marketing email, then the thread headers ([`Self::thread_headers`]).
    /// SMTP sets the same headers through lettre's own builder.
    pub fn extra_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = match &self.unsubscribe_url {
            Some(url) => crate::unsubscribe::list_unsubscribe_headers(url).to_vec(),
            None => Vec::new(),
        };
        headers.extend(self.thread_headers());
        headers
    }

    /// `Message-ID`, `In-Reply-To` and `References` as header values: each
    /// id in angle brackets, `References` separated by spaces. Only the
    /// ones the message has.
    pub fn thread_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(id) = &self.message_id {
            headers.push(("Message-ID", format!("<{id}>")));
        }
        if let Some(id) = &self.in_reply_to {
            headers.push(("In-Reply-To", format!("<{id}>")));
        }
        if let Some(refs) = self.references_value() {
            headers.push(("References", refs));
        }
        headers
    }

    /// The `References` value (`<a@x> <b@y>`), `None` without ids.
    pub fn references_value(&self) -> Option<String> {
        (!self.references.is_empty()).then(|| {
            self.references
                .iter()
                .map(|id| format!("<{id}>"))
                .collect::<Vec<_>>()
                .join(" ")
        })
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

    #[test]
    fn thread_headers_bracket_ids_and_refuse_injection() {
        let d = Sender {
            email: "hola@acme.test".into(),
            name: None,
        };
        let mut m = OutgoingMessage::email("a@x.test", "Re: cita", "ok", "k");
        m.message_id = Some("m3@agencyflow.local".into());
        m.in_reply_to = Some("<m2@cliente.test>".into());
        m.references = vec!["m1@agencyflow.local".into(), "m2@cliente.test".into()];
        let p = PreparedEmail::new(&m, Some(&d)).expect("prepared");
        assert_eq!(
            p.extra_headers(),
            vec![
                ("Message-ID", "<m3@agencyflow.local>".to_owned()),
                ("In-Reply-To", "<m2@cliente.test>".to_owned()),
                (
                    "References",
                    "<m1@agencyflow.local> <m2@cliente.test>".to_owned()
                ),
            ]
        );
        for bad in [
            "m3@x.test\r\nBcc: spy@evil.test",
            "no-at-sign",
            "a@x.test> <b@y.test",
        ] {
            let mut m2 = m.clone();
            m2.message_id = Some(bad.into());
            assert!(PreparedEmail::new(&m2, Some(&d)).is_err(), "{bad:?}");
        }
        let mut m2 = m.clone();
        m2.references.push("x y@z.test".into());
        assert!(PreparedEmail::new(&m2, Some(&d)).is_err());

        let mut long = m.clone();
        long.references = (0..30).map(|i| format!("r{i}@x.test")).collect();
        let p = PreparedEmail::new(&long, Some(&d)).expect("prepared");
        assert_eq!(p.references.len(), MAX_REFERENCES);
        assert_eq!(p.references[0], "r0@x.test", "the root stays");
        assert_eq!(p.references[1], "r11@x.test");
        assert_eq!(p.references.last().map(String::as_str), Some("r29@x.test"));

        let mut tpl = m;
        tpl.content_sid = Some(format!("HX{}", "a".repeat(32)));
        assert!(
            PreparedEmail::new(&tpl, Some(&d)).is_err(),
            "templates are not email"
        );
    }
}
