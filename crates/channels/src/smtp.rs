//! SMTP through lettre, configured by one `SMTP_URL`. The URL is read here
//! (not by lettre) so that credentials never cross the network in clear:
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://user:pass@host:587` | STARTTLS **required**: a relay that does not offer it fails the send (permanent, code `smtp_tls_required`) before any `AUTH` |
//! | `smtp://host:25` (no credentials) | STARTTLS when the relay offers it, else plain |
//! | `smtps://user:pass@host` | implicit TLS, port 465 by default |
//! | `smtp://host:25?tls=none` | plain, never STARTTLS: only for a local relay without credentials; with credentials the URL is refused |
//!
//! `?tls=required` (STARTTLS or fail, also without credentials),
//! `?tls=opportunistic` (treated as `required` when the URL carries
//! credentials) and `?tls=wrapper` (implicit TLS) are accepted too; any other
//! `tls` value is refused. Without a port, `smtp://` uses 25 (587 with
//! `?tls=required` / `?tls=opportunistic`), `smtps://` and `?tls=wrapper`
//! 465. User name and password are percent-decoded (`p%40ss` is `p@ss`); a
//! path (`smtp://host/mail.example.com`) is the name sent in `EHLO`.
//!
//! Certificates are checked against the Mozilla roots plus, when the server
//! sets `SMTP_CA_FILE`, the certificates of that PEM file (a relay with a
//! private CA).
//!
//! Messages are multipart/alternative (text, then HTML) and marketing ones
//! carry `List-Unsubscribe` and `List-Unsubscribe-Post`. Replies carry
//! `In-Reply-To` and `References`, and every message a `Message-ID`.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, RootCertificates, Secret};
use crate::email::PreparedEmail;
use crate::message::{DeliveryStatus, SendError, SendOutcome};
use crate::ssrf::{self, SsrfPolicy};

/// An SMTP relay.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The host as the URL spells it (IPv6 in brackets), for the SSRF guard.
    host: String,
    tls: SmtpTls,
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

/// The Message-ID header value (in angle brackets): the one the message
/// asks for, else one derived from the idempotency key, so a retried send
/// carries the same id and receivers can de-duplicate.
pub fn message_id(email: &PreparedEmail) -> String {
    if let Some(id) = &email.message_id {
        return format!("<{id}>");
    }
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
    // lettre writes these values as given: the ids were checked by
    // `PreparedEmail::new` (no line breaks, spaces or brackets), so they
    // cannot start a header of their own. `references` is called once
    // with every id because a second call replaces the header.
    if let Some(id) = &email.in_reply_to {
        b = b.in_reply_to(format!("<{id}>"));
    }
    if let Some(refs) = email.references_value() {
        b = b.references(refs);
    }
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
    let built = if email.attachments.is_empty() {
        match (&email.text, &email.html) {
            (Some(t), Some(h)) => {
                b.multipart(MultiPart::alternative_plain_html(t.clone(), h.clone()))
            }
            (Some(t), None) => b.singlepart(SinglePart::plain(t.clone())),
            (None, Some(h)) => b.singlepart(SinglePart::html(h.clone())),
            (None, None) => return Err(invalid("body")),
        }
    } else {
        // multipart/mixed: the body first, then each file.
        let mut mixed = match (&email.text, &email.html) {
            (Some(t), Some(h)) => MultiPart::mixed()
                .multipart(MultiPart::alternative_plain_html(t.clone(), h.clone())),
            (Some(t), None) => MultiPart::mixed().singlepart(SinglePart::plain(t.clone())),
            (None, Some(h)) => MultiPart::mixed().singlepart(SinglePart::html(h.clone())),
            (None, None) => return Err(invalid("body")),
        };
        for a in &email.attachments {
            let kind = lettre::message::header::ContentType::parse(&a.content_type)
                .map_err(|_| invalid("attachment type"))?;
            mixed = mixed.singlepart(
                lettre::message::Attachment::new(a.filename.clone()).body(a.content.clone(), kind),
            );
        }
        b.multipart(mixed)
    };
    built.map_err(|e| invalid(&format!("message: {e}")))
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://` (or `?tls=wrapper`): TLS from the first byte.
    Implicit,
    /// STARTTLS or no send: the URL carries credentials, or says
    /// `?tls=required`.
    StartTlsRequired,
    /// STARTTLS when the relay offers it, plain otherwise (no credentials).
    StartTlsOpportunistic,
    /// `?tls=none`: plain text, never STARTTLS (no credentials).
    None,
}

/// An `SMTP_URL` read apart. `Debug` leaves out the password.
#[derive(Clone)]
pub struct SmtpEndpoint {
    /// The host to connect to and to check the certificate against (an
    /// IPv6 address without brackets).
    pub host: String,
    /// The host as the URL spells it.
    pub url_host: String,
    /// The port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// The name sent in `EHLO` (the URL's path), else the machine's name.
    pub hello_name: Option<String>,
    /// User name and password, percent-decoded.
    pub credentials: Option<(String, Secret)>,
}

impl std::fmt::Debug for SmtpEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpEndpoint")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("hello_name", &self.hello_name)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish()
    }
}

/// Default port of plain SMTP.
const SMTP_PORT: u16 = 25;
/// Default port of message submission with STARTTLS.
const SUBMISSION_PORT: u16 = 587;
/// Default port of message submission over implicit TLS.
const SUBMISSIONS_PORT: u16 = 465;

fn url_error(reason: impl Into<String>) -> ConfigError {
    ConfigError {
        var: "SMTP_URL",
        reason: reason.into(),
    }
}

impl SmtpEndpoint {
    /// Reads an `SMTP_URL` (see the module docs). Errors name `SMTP_URL` and
    /// never repeat the URL (it may hold a password).
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let u = url::Url::parse(url).map_err(|e| {
            url_error(format!(
                "cannot be used: {e} (smtp://user:pass@host:587 or smtps://user:pass@host:465)"
            ))
        })?;
        let (host, url_host) = match u.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => (d.to_owned(), d.to_owned()),
            Some(url::Host::Ipv4(a)) => (a.to_string(), a.to_string()),
            Some(url::Host::Ipv6(a)) => (a.to_string(), format!("[{a}]")),
            _ => return Err(url_error("has no host")),
        };
        let mut tls_param = None;
        for (k, v) in u.query_pairs() {
            if k == "tls" {
                if tls_param.is_some() {
                    return Err(url_error("gives ?tls= more than once"));
                }
                tls_param = Some(v.into_owned());
            }
        }
        let decode = |s: &str, what: &str| {
            percent_decode(s)
                .ok_or_else(|| url_error(format!("{what} is not valid percent-encoded UTF-8")))
        };
        let credentials = match u.password() {
            Some(p) => Some((
                decode(u.username(), "user name")?,
                Secret::new(decode(p, "password")?),
            )),
            None if !u.username().is_empty() => {
                return Err(url_error(
                    "has a user name but no password (smtp://user:pass@host:587)",
                ));
            }
            None => None,
        };
        let with_credentials = credentials.is_some();
        let (tls, default_port) = match (u.scheme(), tls_param.as_deref()) {
            ("smtp", None) if with_credentials => (SmtpTls::StartTlsRequired, SMTP_PORT),
            ("smtp", None) => (SmtpTls::StartTlsOpportunistic, SMTP_PORT),
            ("smtp", Some("required")) => (SmtpTls::StartTlsRequired, SUBMISSION_PORT),
            ("smtp", Some("opportunistic")) if with_credentials => {
                (SmtpTls::StartTlsRequired, SUBMISSION_PORT)
            }
            ("smtp", Some("opportunistic")) => (SmtpTls::StartTlsOpportunistic, SUBMISSION_PORT),
            ("smtp", Some("none")) if with_credentials => {
                return Err(url_error(
                    "?tls=none cannot carry credentials: they would cross the network in clear \
                     (use smtp://user:pass@host:587 for STARTTLS or smtps:// for implicit TLS)",
                ));
            }
            ("smtp", Some("none")) => (SmtpTls::None, SMTP_PORT),
            ("smtp" | "smtps", Some("wrapper")) | ("smtps", None | Some("required")) => {
                (SmtpTls::Implicit, SUBMISSIONS_PORT)
            }
            ("smtps", Some(other)) => {
                return Err(url_error(format!(
                    "smtps:// is always implicit TLS; ?tls={other} does not apply"
                )));
            }
            ("smtp", Some(other)) => {
                return Err(url_error(format!(
                    "unknown ?tls={other} (required, opportunistic, wrapper or none)"
                )));
            }
            (scheme, _) => {
                return Err(url_error(format!(
                    "must be smtp:// or smtps://, not {scheme}://"
                )));
            }
        };
        let path = u.path().trim_matches('/');
        let hello_name = (!path.is_empty())
            .then(|| decode(path, "EHLO name"))
            .transpose()?;
        Ok(Self {
            host,
            url_host,
            port: u.port().unwrap_or(default_port),
            tls,
            hello_name,
            credentials,
        })
    }
}

fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

impl Smtp {
    /// A transport for `SMTP_URL` (see the module docs), trusting the
    /// certificates of `extra_roots` (`SMTP_CA_FILE`) besides the usual
    /// roots, giving up on a connection or command after `timeout`. Must be
    /// called (and dropped) inside a Tokio runtime: lettre's connection pool
    /// runs on it.
    pub fn from_url(
        url: &Secret,
        timeout: Duration,
        extra_roots: Option<&RootCertificates>,
    ) -> Result<Self, ConfigError> {
        let ep = SmtpEndpoint::parse(url.expose())?;
        let tls_parameters = || -> Result<TlsParameters, ConfigError> {
            let mut b = TlsParameters::builder(ep.host.clone());
            for der in extra_roots.map(RootCertificates::der).unwrap_or_default() {
                let cert = Certificate::from_der(der.clone()).map_err(|e| ConfigError {
                    var: "SMTP_CA_FILE",
                    reason: format!("unusable certificate: {e}"),
                })?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| ConfigError {
                var: if extra_roots.is_some() {
                    "SMTP_CA_FILE"
                } else {
                    "SMTP_URL"
                },
                reason: format!("TLS setup failed: {e}"),
            })
        };
        let tls = match ep.tls {
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters()?),
            SmtpTls::StartTlsRequired => Tls::Required(tls_parameters()?),
            SmtpTls::StartTlsOpportunistic => Tls::Opportunistic(tls_parameters()?),
            SmtpTls::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(ep.host.clone())
            .port(ep.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let Some(name) = &ep.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some((user, pass)) = &ep.credentials {
            // Parsing guarantees this; checked again because it is the rule.
            if !matches!(ep.tls, SmtpTls::Implicit | SmtpTls::StartTlsRequired) {
                return Err(url_error("credentials are only sent over TLS"));
            }
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            host: ep.url_host,
            tls: ep.tls,
            guard: None,
        })
    }

    /// How this transport protects the connection.
    pub fn tls(&self) -> SmtpTls {
        self.tls
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
            Err(e) => Err(self.classify(&e)),
        }
    }

    fn classify(&self, e: &lettre::transport::smtp::Error) -> SendError {
        // lettre refuses before any AUTH when STARTTLS is required but the
        // relay does not offer it: a configuration problem, not a hiccup.
        if self.tls == SmtpTls::StartTlsRequired
            && e.is_client()
            && e.to_string().contains("STARTTLS")
        {
            return SendError::Permanent {
                message: format!(
                    "SMTP relay {} does not offer STARTTLS; credentials are never sent \
                     without TLS (use a relay with STARTTLS, or smtps:// for implicit TLS): {e}",
                    self.host
                ),
                code: Some("smtp_tls_required".to_owned()),
                opted_out: false,
            };
        }
        classify_smtp(e)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> SmtpEndpoint {
        SmtpEndpoint::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn tls_mode_and_port_follow_the_url() {
        for (url, tls, port) in [
            ("smtp://relay.test", SmtpTls::StartTlsOpportunistic, 25),
            ("smtp://u:p@relay.test", SmtpTls::StartTlsRequired, 25),
            ("smtp://u:p@relay.test:587", SmtpTls::StartTlsRequired, 587),
            (
                "smtp://relay.test?tls=required",
                SmtpTls::StartTlsRequired,
                587,
            ),
            (
                "smtp://relay.test?tls=opportunistic",
                SmtpTls::StartTlsOpportunistic,
                587,
            ),
            (
                "smtp://u:p@relay.test?tls=opportunistic",
                SmtpTls::StartTlsRequired,
                587,
            ),
            ("smtp://relay.test?tls=none", SmtpTls::None, 25),
            ("smtp://relay.test:2525?tls=none", SmtpTls::None, 2525),
            ("smtp://u:p@relay.test?tls=wrapper", SmtpTls::Implicit, 465),
            ("smtps://u:p@relay.test", SmtpTls::Implicit, 465),
            (
                "smtps://relay.test:2465?tls=required",
                SmtpTls::Implicit,
                2465,
            ),
        ] {
            let ep = parse(url);
            assert_eq!((ep.tls, ep.port), (tls, port), "{url}");
        }
    }

    #[test]
    fn credentials_hosts_and_names_are_decoded() {
        let ep = parse("smtp://us%40er:p%40ss%2Fw@[::1]:2525/mail.acme.test");
        let (user, pass) = ep.credentials.clone().expect("credentials");
        assert_eq!((user.as_str(), pass.expose()), ("us@er", "p@ss/w"));
        assert_eq!(ep.host, "::1");
        assert_eq!(ep.url_host, "[::1]");
        assert_eq!(ep.hello_name.as_deref(), Some("mail.acme.test"));
        let dbg = format!("{ep:?}");
        assert!(!dbg.contains("p@ss"), "{dbg}");
        assert_eq!(parse("smtp://127.0.0.1:25?tls=none").host, "127.0.0.1");
    }

    #[test]
    fn refusals_name_smtp_url_and_keep_the_password() {
        for url in [
            "smtp://u:secretpw@relay.test?tls=none",
            "smtp://u:secretpw@relay.test?tls=maybe",
            "smtp://u:secretpw@relay.test?tls=none&tls=required",
            "smtps://u:secretpw@relay.test?tls=none",
            "smtps://u:secretpw@relay.test?tls=opportunistic",
            "smtp://u:secretpw@",
            "http://u:secretpw@relay.test",
            "smtp://user@relay.test",
            "not a url",
        ] {
            let e = SmtpEndpoint::parse(url).expect_err(url);
            assert_eq!(e.var, "SMTP_URL", "{url}");
            assert!(!e.to_string().contains("secretpw"), "{e}");
        }
    }
}
