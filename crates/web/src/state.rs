//! Shared application state handed to every handler.

use af_core::crypto::SecretKey;
use af_core::{Clock, Locale};
use af_db::{Db, Ts};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Settings the web layer needs (resolved by the binary's configuration).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Public URL used in links (no trailing slash), e.g. `https://crm.example.com`.
    pub base_url: String,
    /// Mark cookies `Secure` (true when `base_url` is https).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy
    /// you control; otherwise anyone can pick their rate-limit bucket).
    pub trust_forwarded_for: bool,
    /// Failed sign-ins allowed for one email from one address, and from
    /// one address in all, in [`Self::login_window_minutes`]. Failures from
    /// other addresses never count against an email, so guessing its
    /// password cannot lock its owner out.
    pub login_max_failures_per_email: i64,
    pub login_max_failures_per_ip: i64,
    pub login_window_minutes: i64,
    /// `BOOKING_URL`: the link merged as `{{ booking_url }}` in messages
    /// (default: the workspace's booking page).
    pub booking_url: Option<String>,
    /// `BASE_DOMAIN` (e.g. `agencyflow.app`): a request whose Host is
    /// `{workspace_slug}.{BASE_DOMAIN}` gets that workspace's booking
    /// pages at `/book` and `/book/{calendar_slug}`. Lower case, no port.
    pub base_domain: Option<String>,
    /// The server's Cal.com webhook secret (`CALCOM_WEBHOOK_SECRET`):
    /// deliveries signed with it are accepted for any workspace's URL, and
    /// keyless ones to `/api/calcom` go to the PAUTA workspace. Unsigned
    /// deliveries are refused unless a workspace explicitly allows them.
    pub calcom_webhook_secret: Option<String>,
    /// `AF_PAUTA_WORKSPACE`: the slug of the workspace that takes PAUTA's
    /// keyless `POST /api/lead` and `POST /api/calcom` (off when unset).
    pub pauta_workspace: Option<String>,
    /// Public intake (forms, `/api/lead` with an intake key): submissions
    /// allowed per client IP, and per form or intake key, in each window of
    /// [`Self::intake_window_secs`].
    pub intake_max_per_ip: i64,
    pub intake_max_per_form: i64,
    pub intake_window_secs: i64,
    /// A form submitted sooner than this after it was shown is a bot's.
    pub form_min_fill_secs: i64,
    /// `AF_API_RATE_LIMIT`: requests one API key may make per minute,
    /// counted in the database across every server process.
    pub api_requests_per_minute: i64,
    /// Channel providers: server defaults from the environment (the outbox
    /// when nothing is configured), quiet hours, webhook SSRF policy.
    pub channels: Arc<af_engine::channels::ChannelsConfig>,
}

impl WebConfig {
    pub fn new(base_url: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_string();
        Self {
            secure_cookies: base_url.starts_with("https://"),
            base_url,
            trust_forwarded_for: false,
            login_max_failures_per_email: 5,
            login_max_failures_per_ip: 30,
            login_window_minutes: 15,
            booking_url: None,
            base_domain: None,
            calcom_webhook_secret: None,
            pauta_workspace: None,
            intake_max_per_ip: 20,
            intake_max_per_form: 600,
            intake_window_secs: 600,
            form_min_fill_secs: 3,
            api_requests_per_minute: 600,
            channels: Default::default(),
        }
    }
}

/// Cheap to clone: everything inside is shared.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// The group writer lead intake commits through (one per process; on
    /// SQLite the single writer task, on PostgreSQL the pool).
    pub intake: af_db::GroupCommit,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    pub secret: SecretKey,
    /// Cancelled when the process shuts down: long-lived responses (board
    /// event streams) end, so graceful shutdown does not wait on them.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(db: Db, clock: Arc<dyn Clock>, config: WebConfig, secret: SecretKey) -> Self {
        Self {
            intake: af_db::GroupCommit::new(db.clone()),
            db,
            clock,
            config: Arc::new(config),
            secret,
            shutdown: CancellationToken::new(),
        }
    }

    /// Ties this state to the process's shutdown signal.
    pub fn with_shutdown(mut self, shutdown: CancellationToken) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The current instant, from the injected clock.
    pub fn now(&self) -> Ts {
        Ts::new(self.clock.now())
    }

    /// What the automation engine needs from this server's configuration.
    pub fn engine_config(&self) -> af_engine::EngineConfig {
        af_engine::EngineConfig {
            base_url: self.config.base_url.clone(),
            booking_url: self.config.booking_url.clone(),
            secret: self.secret.clone(),
            channels: self.config.channels.clone(),
        }
    }

    /// What the webhook endpoint use cases need, as of now.
    pub fn webhook_env(&self) -> af_service::webhook_endpoints::Env<'_> {
        af_service::webhook_endpoints::Env {
            db: &self.db,
            secret: &self.secret,
            ssrf: self.config.channels.ssrf(),
            now: self.now(),
        }
    }

    /// An absolute link to `path` on the public URL.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url, path)
    }
}

/// The language a request is answered in when nobody is signed in: from
/// `?lang=`, the `af_lang` cookie, or `Accept-Language` (Spanish by default).
#[derive(Debug, Clone, Copy)]
pub struct RequestLocale(pub Locale);
