//! How the engine reaches the channel providers: the server's defaults
//! (read once at start), each workspace's own credentials layered on top
//! (stored sealed with the server key), and its quiet hours.

use af_channels::config::ConfigError;
use af_channels::quiet_hours::SendWindow;
use af_channels::{ProviderConfig, Providers, ProvidersOptions, WorkspaceCredentials};
use af_core::WorkspaceId;
use af_core::crypto::SecretKey;
use af_db::Db;
use af_db::channels::ChannelSettings;

/// Server-wide channel settings.
#[derive(Debug, Clone, Default)]
pub struct ChannelsConfig {
    /// Provider defaults from the environment (PAUTA names). With nothing
    /// configured every channel goes to the built-in outbox.
    pub providers: ProviderConfig,
    /// Timeouts, how Kommo is paced, and the one SSRF policy for every URL
    /// a workspace supplies (webhooks, its Kommo account, its SMTP relay):
    /// `AF_WEBHOOK_ALLOW_PRIVATE` lets them target private and loopback
    /// addresses (self-hosted on an intranet).
    pub options: ProvidersOptions,
    /// `AF_QUIET_HOURS`: the default send window for SMS, WhatsApp and calls.
    pub quiet_hours: SendWindow,
}

impl ChannelsConfig {
    /// Reads the channel variables through `get` (the environment in the
    /// binary, a map in tests).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let providers = ProviderConfig::from_lookup(get)?;
        let quiet_hours = match get("AF_QUIET_HOURS").filter(|v| !v.trim().is_empty()) {
            None => SendWindow::default(),
            Some(v) => SendWindow::parse(&v).map_err(|e| ConfigError {
                var: "AF_QUIET_HOURS",
                reason: e.to_string(),
            })?,
        };
        let webhook_allow_private = match get("AF_WEBHOOK_ALLOW_PRIVATE").as_deref().map(str::trim)
        {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => {
                return Err(ConfigError {
                    var: "AF_WEBHOOK_ALLOW_PRIVATE",
                    reason: "must be true or false".into(),
                });
            }
        };
        let mut options = ProvidersOptions {
            // Every node shares one pace per Kommo account, kept in the
            // database (`kommo::sync`).
            kommo_pacing: af_channels::kommo::KommoPacing::External,
            ..ProvidersOptions::default()
        };
        options.ssrf.allow_private = webhook_allow_private;
        Ok(Self {
            providers,
            options,
            quiet_hours,
        })
    }

    /// [`Self::from_lookup`] over the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// The SSRF policy for user-supplied URLs.
    pub fn ssrf(&self) -> af_channels::ssrf::SsrfPolicy {
        self.options.ssrf
    }
}

/// Why a workspace's channel settings could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChannelSetupError {
    #[error(transparent)]
    Db(#[from] af_db::DbError),
    #[error("stored channel credentials cannot be opened: {0}")]
    Sealed(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Seals a workspace's credentials for storage.
pub fn seal_credentials(key: &SecretKey, creds: &WorkspaceCredentials) -> String {
    key.seal(&serde_json::to_string(creds).unwrap_or_default())
}

/// Opens sealed credentials.
pub fn open_credentials(
    key: &SecretKey,
    sealed: &str,
) -> Result<WorkspaceCredentials, ChannelSetupError> {
    let text = key
        .open(sealed)
        .map_err(|e| ChannelSetupError::Sealed(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| ChannelSetupError::Sealed(e.to_string()))
}

/// A workspace's stored credentials (empty when none are saved).
pub async fn workspace_credentials(
    db: &Db,
    key: &SecretKey,
    ws: WorkspaceId,
) -> Result<(WorkspaceCredentials, ChannelSettings), ChannelSetupError> {
    let settings = af_db::channels::find_channel_settings(db, ws)
        .await?
        .unwrap_or_default();
    let creds = match &settings.credentials_sealed {
        Some(s) => open_credentials(key, s)?,
        None => WorkspaceCredentials::default(),
    };
    Ok((creds, settings))
}

/// Everything a send in one workspace needs.
pub struct WorkspaceChannels {
    pub config: ProviderConfig,
    pub providers: Providers,
    pub window: SendWindow,
}

/// The providers of a workspace: server defaults overlaid with its own
/// credentials, and its quiet hours.
pub async fn workspace_channels(
    db: &Db,
    key: &SecretKey,
    cfg: &ChannelsConfig,
    ws: WorkspaceId,
) -> Result<WorkspaceChannels, ChannelSetupError> {
    let (creds, settings) = workspace_credentials(db, key, ws).await?;
    let config = cfg.providers.with_workspace(&creds);
    let providers = Providers::new(&config, &cfg.options)?;
    let window = settings
        .quiet_hours
        .as_deref()
        .and_then(|q| SendWindow::parse(q).ok())
        .unwrap_or(cfg.quiet_hours);
    Ok(WorkspaceChannels {
        config,
        providers,
        window,
    })
}

/// The BCP-47 language Twilio reads a call in, from the workspace's locale
/// and country.
pub fn voice_language(locale: &str, country: &str) -> String {
    match (locale, country) {
        ("en", "GB" | "AU" | "IN" | "CA") => format!("en-{country}"),
        ("en", _) => "en-US".into(),
        (_, "ES" | "US") => format!("es-{country}"),
        _ => "es-MX".into(),
    }
}

/// Where Twilio posts status callbacks for a workspace (`kind` is
/// `status`, `inbound` or `voice`).
pub fn twilio_webhook_url(base_url: &str, slug: &str, kind: &str) -> String {
    format!(
        "{}/webhooks/twilio/{slug}/{kind}",
        base_url.trim_end_matches('/')
    )
}

/// The host of the public URL, for our Message-IDs (`<id>@host`).
pub fn message_id_domain(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    let host: String = rest
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    if host.is_empty() {
        "agencyflow.invalid".to_string()
    } else {
        host
    }
}
