//! [`Providers`]: from a [`ProviderConfig`], pick the provider for each
//! channel and dispatch a message to it.
//!
//! Email: **SMTP > SendGrid > Brevo > outbox** — the first configured wins;
//! with none, the built-in outbox records the message and makes no network
//! call. SMS, WhatsApp and voice go through Twilio when its account SID and
//! auth token are set, else to the outbox as well.

use std::time::Duration;

use crate::brevo::Brevo;
use crate::config::{ConfigError, ProviderConfig};
use crate::email::{PreparedEmail, Sender};
use crate::kommo::{KommoClient, KommoPacing};
use crate::message::{DeliveryStatus, OutgoingMessage, SendChannel, SendError, SendOutcome};
use crate::sendgrid::SendGrid;
use crate::smtp::Smtp;
use crate::ssrf::SsrfPolicy;
use crate::twilio::{Twilio, TwilioConfig};

/// Process-wide settings for building [`Providers`]; build once, reuse for
/// every workspace (it holds the shared Kommo rate limiters).
#[derive(Debug, Clone)]
pub struct ProvidersOptions {
    /// Timeout of one vendor call (connect + answer).
    pub timeout: Duration,
    /// SSRF policy for addresses a workspace may set (Kommo base URL, its
    /// own SMTP relay).
    pub ssrf: SsrfPolicy,
    /// How Kommo requests are paced (process-wide limiters by default).
    pub kommo_pacing: KommoPacing,
}

impl Default for ProvidersOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            ssrf: SsrfPolicy::default(),
            kommo_pacing: KommoPacing::default(),
        }
    }
}

/// The email provider chosen.
#[derive(Debug, Clone)]
pub enum EmailProvider {
    /// `SMTP_URL`.
    Smtp(Smtp),
    /// `SENDGRID_API_KEY`.
    SendGrid(SendGrid),
    /// `BREVO_API_KEY` / `SENDINBLUE_API_KEY`.
    Brevo(Brevo),
    /// Nothing configured: record only.
    Outbox,
}

impl EmailProvider {
    /// `"smtp"`, `"sendgrid"`, `"brevo"` or `"outbox"`.
    pub fn name(&self) -> &'static str {
        match self {
            EmailProvider::Smtp(_) => "smtp",
            EmailProvider::SendGrid(_) => "sendgrid",
            EmailProvider::Brevo(_) => "brevo",
            EmailProvider::Outbox => "outbox",
        }
    }
}

/// The providers of one workspace (server defaults + its own credentials).
#[derive(Debug, Clone)]
pub struct Providers {
    email: EmailProvider,
    default_from: Option<Sender>,
    twilio: Option<Twilio>,
    kommo: Option<KommoClient>,
}

/// The HTTP client for vendor APIs: timeouts, and no redirects (a redirect
/// from a vendor API is unexpected and would resend credentials elsewhere).
pub fn vendor_http_client(timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("AgencyFlow/1")
        .build()
        .map_err(|e| ConfigError {
            var: "http client",
            reason: e.to_string(),
        })
}

impl Providers {
    /// Picks the providers for `cfg` (see the module docs for the order).
    /// Call it inside a Tokio runtime: the SMTP transport's connection pool
    /// needs one.
    pub fn new(cfg: &ProviderConfig, opts: &ProvidersOptions) -> Result<Self, ConfigError> {
        let http = vendor_http_client(opts.timeout)?;
        let email = if let Some(url) = &cfg.smtp_url {
            let smtp = Smtp::from_url(url, opts.timeout, cfg.smtp_ca_file.as_ref())?;
            EmailProvider::Smtp(if cfg.smtp_url_from_workspace {
                smtp.with_ssrf_guard(opts.ssrf)
            } else {
                smtp
            })
        } else if let Some(key) = &cfg.sendgrid_api_key {
            EmailProvider::SendGrid(SendGrid::new(
                http.clone(),
                &cfg.sendgrid_api_base,
                key.clone(),
            ))
        } else if let Some(key) = &cfg.brevo_api_key {
            EmailProvider::Brevo(Brevo::new(http.clone(), &cfg.brevo_api_base, key.clone()))
        } else {
            EmailProvider::Outbox
        };
        let default_from = cfg.email_from.clone().map(|email| Sender {
            email,
            name: cfg.email_from_name.clone(),
        });
        let twilio = match (&cfg.twilio_account_sid, &cfg.twilio_auth_token) {
            (Some(sid), Some(token)) => Some(Twilio::new(
                http,
                TwilioConfig {
                    account_sid: sid.clone(),
                    auth_token: token.clone(),
                    sms_from: cfg.twilio_sms_sender.clone(),
                    whatsapp_from: cfg.twilio_whatsapp_sender.clone(),
                    caller_id: cfg.twilio_caller_id.clone(),
                    api_base: cfg.twilio_api_base.clone(),
                },
            )),
            _ => None,
        };
        let kommo = cfg
            .kommo()
            .map(|k| KommoClient::new(k, opts.timeout, opts.ssrf, opts.kommo_pacing.clone()));
        Ok(Self {
            email,
            default_from,
            twilio,
            kommo,
        })
    }

    /// The email provider in use.
    pub fn email(&self) -> &EmailProvider {
        &self.email
    }

    /// `"twilio"` or `"outbox"` for SMS, WhatsApp and voice.
    pub fn phone_provider(&self) -> &'static str {
        if self.twilio.is_some() {
            "twilio"
        } else {
            "outbox"
        }
    }

    /// The Twilio client (also for validating webhook signatures).
    pub fn twilio(&self) -> Option<&Twilio> {
        self.twilio.as_ref()
    }

    /// The Kommo client when Kommo is configured.
    pub fn kommo(&self) -> Option<&KommoClient> {
        self.kommo.as_ref()
    }

    /// Sends one message through the channel's provider. The caller has
    /// already checked opt-outs and quiet hours. With no provider the message
    /// goes to the outbox: `Sent`, provider `"outbox"`, no network call.
    pub async fn send(&self, msg: &OutgoingMessage) -> Result<SendOutcome, SendError> {
        match msg.channel {
            SendChannel::Email => {
                let provider = match &self.email {
                    EmailProvider::Outbox => return Ok(outbox()),
                    p => p,
                };
                let email = PreparedEmail::new(msg, self.default_from.as_ref())?;
                let res = match provider {
                    EmailProvider::Smtp(s) => s.send(&email).await,
                    EmailProvider::SendGrid(s) => s.send(&email).await,
                    EmailProvider::Brevo(b) => b.send(&email).await,
                    EmailProvider::Outbox => Ok(outbox()),
                };
                log_result(msg, provider.name(), &res);
                res
            }
            SendChannel::Sms | SendChannel::WhatsApp | SendChannel::Voice => match &self.twilio {
                None => Ok(outbox()),
                Some(t) => {
                    let res = t.send(msg).await;
                    log_result(msg, "twilio", &res);
                    res
                }
            },
        }
    }
}

fn outbox() -> SendOutcome {
    SendOutcome {
        provider: "outbox",
        provider_id: None,
        status: DeliveryStatus::Sent,
    }
}

fn log_result(msg: &OutgoingMessage, provider: &str, res: &Result<SendOutcome, SendError>) {
    match res {
        Ok(o) => tracing::info!(
            channel = msg.channel.as_str(),
            provider,
            provider_id = o.provider_id.as_deref().unwrap_or(""),
            "message sent"
        ),
        Err(e) => tracing::warn!(
            channel = msg.channel.as_str(),
            provider,
            retryable = e.is_retryable(),
            error = %e,
            "message not sent"
        ),
    }
}
