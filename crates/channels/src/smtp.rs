//! SMTP through lettre, configured by one `SMTP_URL`:
//! `smtps://user:pass@host:465` (implicit TLS),
//! `smtp://user:pass@host:587?tls=required` (STARTTLS),
//! `smtp://host:25` (plain, for a local relay), as lettre reads them.
//! Messages are multipart/alternative (text, then HTML) and marketing ones
//! carry `List-Unsubscribe` and `List-Unsubscribe-Post`.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, Secret};
use crate::email::PreparedEmail;
use crate::message::{DeliveryStatus, SendError, SendOutcome};
use crate::ssrf::{self, SsrfPolicy};

/// An SMTP relay.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    guard: Option<SsrfPolicy>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp(<relay>)")
    }
}

macro_rules! text_header {
    ($ty:ident, $name:literal) => {
        #[derive(Debug, Clone)]
        struct $ty(String);

        impl Header for $ty {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");
text_header!(IdempotencyKey, "X-AgencyFlow-Idempotency-Key");

fn invalid(what: &str) -> SendError {
    SendError::Permanent {
        message: format!("invalid {what}"),
        code: Some("invalid_message".to_owned()),
        opted_out: false,
    }
}

/// A stable Message-ID derived from the idempotency key, so a retried send
/// carries the same id and receivers can de-duplicate.
pub fn message_id(email: &PreparedEmail) -> String {
    let digest = hex::encode(Sha256::digest(email.idempotency_key.as_bytes()));
    let domain = email
        .from
        .email
        .rsplit_once('@')
        .map_or("agencyflow.invalid", |(_, d)| d);
    format!("<af-{}@{domain}>", &digest[..32])
}

/// Builds the MIME message (public so the outbox can render the same bytes).
pub fn build_message(email: &PreparedEmail) -> Result<Message, SendError> {
    let from_addr: Address = email
        .from
        .email
        .parse()
        .map_err(|_| invalid("sender address"))?;
    let to_addr: Address = email.to.parse().map_err(|_| invalid("recipient address"))?;
    let mut b = Message::builder()
        .from(Mailbox::new(email.from.name.clone(), from_addr))
        .to(Mailbox::new(None, to_addr))
        .subject(email.subject.clone())
        .message_id(Some(message_id(email)))
        .header(IdempotencyKey(email.idempotency_key.clone()));
    if let Some(r) = &email.reply_to {
        let a: Address = r.parse().map_err(|_| invalid("reply-to address"))?;
        b = b.reply_to(Mailbox::new(None, a));
    }
    if let Some(url) = &email.unsubscribe_url {
        let [(_, list), (_, post)] = crate::unsubscribe::list_unsubscribe_headers(url);
        b = b
            .header(ListUnsubscribe(list))
            .header(ListUnsubscribePost(post));
    }
    let built = match (&email.text, &email.html) {
        (Some(t), Some(h)) => b.multipart(MultiPart::alternative_plain_html(t.clone(), h.clone())),
        (Some(t), None) => b.singlepart(SinglePart::plain(t.clone())),
        (None, Some(h)) => b.singlepart(SinglePart::html(h.clone())),
        (None, None) => return Err(invalid("body")),
    };
    built.map_err(|e| invalid(&format!("message: {e}")))
}

impl Smtp {
    /// A transport for `SMTP_URL`, giving up on a connection or command
    /// after `timeout`. Must be called (and dropped) inside a Tokio runtime:
    /// lettre's connection pool runs on it.
    pub fn from_url(url: &Secret, timeout: Duration) -> Result<Self, ConfigError> {
        let builder =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()).map_err(|e| {
                ConfigError {
                    var: "SMTP_URL",
                    reason: format!("cannot be used: {e}"),
                }
            })?;
        let host = url::Url::parse(url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        Ok(Self {
            transport: builder.timeout(Some(timeout)).build(),
            host,
            guard: None,
        })
    }

    /// Checks the relay's host with the SSRF guard before every send (for
    /// SMTP URLs a workspace configured). The check resolves the name
    /// itself; lettre resolves again when connecting, so this refuses
    /// internal relays but cannot pin the address as the HTTP guard does.
    pub fn with_ssrf_guard(mut self, policy: SsrfPolicy) -> Self {
        self.guard = Some(policy);
        self
    }

    async fn check_host(&self) -> Result<(), SendError> {
        let Some(policy) = self.guard else {
            return Ok(());
        };
        // Re-parsed as an http URL so every numeric spelling of an address
        // is normalised the way the HTTP guard sees it.
        match ssrf::resolve(&format!("http://{}/", self.host), policy).await {
            Ok(_) => Ok(()),
            Err(ssrf::SsrfError::Resolve(h)) => {
                Err(SendError::retryable(format!("could not resolve {h}")))
            }
            Err(e) => Err(SendError::Permanent {
                message: format!("SMTP relay refused: {e}"),
                code: Some("ssrf_refused".to_owned()),
                opted_out: false,
            }),
        }
    }

    /// Sends one email. SMTP 5xx replies are permanent, 4xx and connection
    /// or TLS failures retry.
    pub async fn send(&self, email: &PreparedEmail) -> Result<SendOutcome, SendError> {
        let message = build_message(email)?;
        self.check_host().await?;
        match self.transport.send(message).await {
            Ok(_) => Ok(SendOutcome {
                provider: "smtp",
                provider_id: Some(message_id(email)),
                status: DeliveryStatus::Sent,
            }),
            Err(e) => Err(classify_smtp(&e)),
        }
    }
}

fn classify_smtp(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    if e.is_permanent() {
        SendError::Permanent {
            message: format!("SMTP: {e}"),
            code,
            opted_out: false,
        }
    } else if e.is_client() {
        SendError::Permanent {
            message: format!("SMTP client: {e}"),
            code,
            opted_out: false,
        }
    } else {
        SendError::Retryable {
            message: format!("SMTP: {e}"),
            retry_after: None,
        }
    }
}
