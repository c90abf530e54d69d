//! Configuration, layered: command-line flags, then environment variables,
//! then `agencyflow.toml`, then defaults. Every invalid value is reported
//! with the name of the variable it came from.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The optional configuration file; every key mirrors an environment variable.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub bind: Option<String>,
    pub base_url: Option<String>,
    pub secret_key: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub trust_proxy: Option<bool>,
    pub calcom_webhook_secret: Option<String>,
    pub pauta_workspace: Option<String>,
    pub base_domain: Option<String>,
}

/// Resolved settings.
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub base_url: String,
    pub secret_key: af_core::crypto::SecretKey,
    pub data_dir: PathBuf,
    pub trust_proxy: bool,
    /// `BOOKING_URL`: the booking link merged into messages.
    pub booking_url: Option<String>,
    /// `BASE_DOMAIN`: `{workspace}.{BASE_DOMAIN}/book/{calendar}` serves
    /// that workspace's booking pages.
    pub base_domain: Option<String>,
    /// Default Cal.com webhook secret (`CALCOM_WEBHOOK_SECRET`).
    pub calcom_webhook_secret: Option<String>,
    /// `AF_PAUTA_WORKSPACE`: the workspace (slug) that takes PAUTA's keyless
    /// lead and Cal.com calls.
    pub pauta_workspace: Option<String>,
    /// `AF_API_RATE_LIMIT`: requests per minute per API key (default 600).
    pub api_requests_per_minute: i64,
    /// Channel providers from the environment (PAUTA names, SENDGRID_*,
    /// SMTP_URL, SMTP_CA_FILE, TWILIO_*, KOMMO_*), AF_QUIET_HOURS,
    /// AF_WEBHOOK_ALLOW_PRIVATE.
    pub channels: std::sync::Arc<af_engine::channels::ChannelsConfig>,
}

impl Settings {
    /// What the automation engine needs.
    pub fn engine(&self) -> af_engine::EngineConfig {
        af_engine::EngineConfig {
            base_url: self.base_url.clone(),
            booking_url: self.booking_url.clone(),
            secret: self.secret_key.clone(),
            channels: self.channels.clone(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("secret_key", &self.secret_key)
            .field("data_dir", &self.data_dir)
            .field(
                "calcom_webhook_secret",
                &self.calcom_webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// The URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/agencyflow.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn load_file(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => {
            let p = PathBuf::from("agencyflow.toml");
            if !p.exists() {
                return Ok(FileConfig::default());
            }
            p
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("AF_CONFIG: cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("AF_CONFIG: {} is not valid", path.display()))
}

/// The data folder: `AF_DATA_DIR`, the file's `data_dir`, or the SQLite
/// database's folder, or `./data`.
fn data_dir(file: &FileConfig, database_url: &str) -> PathBuf {
    if let Some(d) = env("AF_DATA_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = &file.data_dir {
        return d.clone();
    }
    if let Some(path) = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            return parent.to_path_buf();
        }
    }
    PathBuf::from("data")
}

pub fn validate_database_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://"))
    {
        bail!(
            "DATABASE_URL: {:?} must start with sqlite:// or postgres://",
            redact_url(url)
        );
    }
    Ok(url.to_string())
}

/// The database URL alone (for commands that need nothing else).
pub fn database_url(flag: Option<&str>, file: &FileConfig) -> anyhow::Result<String> {
    let url = flag
        .map(str::to_string)
        .or_else(|| file.database_url.clone())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    validate_database_url(&url)
}

/// The public URL links are built on (`AF_BASE_URL`, else `http://{bind}`).
pub fn base_url(bind: SocketAddr, file: &FileConfig) -> anyhow::Result<String> {
    let base_url = env("AF_BASE_URL")
        .or_else(|| file.base_url.clone())
        .unwrap_or_else(|| format!("http://{bind}"));
    let base_url = base_url.trim().trim_end_matches('/').to_string();
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) || base_url.len() < 10
    {
        bail!(
            "AF_BASE_URL: {base_url:?} must be an absolute http:// or https:// URL, e.g. https://crm.example.com"
        );
    }
    Ok(base_url)
}

/// [`base_url`] for commands that do not bind (the CLI's printed links).
pub fn cli_base_url(file: &FileConfig) -> anyhow::Result<String> {
    let bind_text = file.bind.clone().unwrap_or_else(|| DEFAULT_BIND.into());
    let bind: SocketAddr = bind_text.trim().parse().map_err(|_| {
        anyhow::anyhow!("AF_BIND: {bind_text:?} is not an address like 127.0.0.1:8080")
    })?;
    base_url(bind, file)
}

/// Everything `serve` and `worker` need.
pub fn resolve(
    db_flag: Option<&str>,
    bind_flag: Option<&str>,
    file: &FileConfig,
) -> anyhow::Result<Settings> {
    let database_url = database_url(db_flag, file)?;
    let bind_text = bind_flag
        .map(str::to_string)
        .or_else(|| file.bind.clone())
        .unwrap_or_else(|| DEFAULT_BIND.into());
    let bind: SocketAddr = bind_text.trim().parse().map_err(|_| {
        anyhow::anyhow!("AF_BIND: {bind_text:?} is not an address like 127.0.0.1:8080")
    })?;
    let base_url = base_url(bind, file)?;
    let trust_proxy = match env("AF_TRUST_PROXY") {
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" => true,
            "0" | "false" | "no" => false,
            _ => bail!("AF_TRUST_PROXY: {v:?} must be true or false"),
        },
        None => file.trust_proxy.unwrap_or(false),
    };
    let booking_url = match env("BOOKING_URL").filter(|v| !v.trim().is_empty()) {
        Some(v) if v.trim().starts_with("https://") || v.trim().starts_with("http://") => {
            Some(v.trim().to_string())
        }
        Some(v) => bail!("BOOKING_URL: {v:?} must be an http:// or https:// URL"),
        None => None,
    };
    let base_domain = match env("BASE_DOMAIN")
        .or_else(|| file.base_domain.clone())
        .map(|v| v.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|v| !v.is_empty())
    {
        Some(d) if valid_domain(&d) => Some(d),
        Some(d) => bail!(
            "BASE_DOMAIN: {d:?} must be a host name like agencyflow.app (no scheme, port or path)"
        ),
        None => None,
    };
    let data_dir = data_dir(file, &database_url);
    let secret_key = secret_key(file, &data_dir)?;
    let calcom_webhook_secret = env("CALCOM_WEBHOOK_SECRET")
        .or_else(|| file.calcom_webhook_secret.clone())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let pauta_workspace = env("AF_PAUTA_WORKSPACE")
        .or_else(|| file.pauta_workspace.clone())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let api_requests_per_minute = match env("AF_API_RATE_LIMIT") {
        None => 600,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => bail!(
                "AF_API_RATE_LIMIT: {v:?} must be a whole number of requests per minute, 1 or more"
            ),
        },
    };
    let channels = af_engine::channels::ChannelsConfig::from_lookup(&env)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Settings {
        database_url,
        bind,
        base_url,
        secret_key,
        data_dir,
        trust_proxy,
        booking_url,
        base_domain,
        calcom_webhook_secret,
        pauta_workspace,
        api_requests_per_minute,
        channels: std::sync::Arc::new(channels),
    })
}

/// A host name: dot-separated labels of letters, digits and dashes (a
/// scheme, port or path would never match a request's Host).
fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `AF_SECRET_KEY`, the file's `secret_key`, or one generated once into the
/// data folder (so sessions and sealed secrets survive restarts).
fn secret_key(file: &FileConfig, data_dir: &Path) -> anyhow::Result<af_core::crypto::SecretKey> {
    use af_core::crypto::SecretKey;
    if let Some(text) = env("AF_SECRET_KEY").or_else(|| file.secret_key.clone()) {
        return SecretKey::from_text(&text).map_err(|e| anyhow::anyhow!("AF_SECRET_KEY: {e}"));
    }
    let path = data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return SecretKey::from_text(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    let text = SecretKey::generate_text();
    write_private(&path, &text)?;
    tracing::warn!(
        path = %path.display(),
        "AF_SECRET_KEY is not set: generated a secret key into the data folder. \
         Keep this file (it encrypts stored credentials) or set AF_SECRET_KEY; every node of a cluster needs the same key"
    );
    SecretKey::from_text(&text).map_err(|e| anyhow::anyhow!("generated key: {e}"))
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_redacted() {
        assert!(
            validate_database_url("mysql://x")
                .expect_err("must fail")
                .to_string()
                .contains("DATABASE_URL")
        );
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/af"),
            "postgres://app:***@db:5432/af"
        );
        assert_eq!(redact_url("sqlite://./data/af.db"), "sqlite://./data/af.db");
    }

    #[test]
    fn data_dir_follows_the_sqlite_file() {
        let f = FileConfig::default();
        assert_eq!(
            data_dir(&f, "sqlite://./data/agencyflow.db"),
            PathBuf::from("./data")
        );
        assert_eq!(
            data_dir(&f, "sqlite:///var/lib/af/af.db?mode=rwc"),
            PathBuf::from("/var/lib/af")
        );
        assert_eq!(
            data_dir(&f, "postgres://localhost/af"),
            PathBuf::from("data")
        );
    }

    #[test]
    fn base_domains_are_host_names() {
        for ok in ["agencyflow.app", "book.example.co", "localhost"] {
            assert!(valid_domain(ok), "{ok}");
        }
        for bad in [
            "https://x.app",
            "x.app:8080",
            "x.app/book",
            "-x.app",
            "x..app",
            "",
        ] {
            assert!(!valid_domain(bad), "{bad}");
        }
    }

    #[test]
    fn bad_bind_names_the_variable() {
        let f = FileConfig {
            secret_key: Some("k".repeat(40)),
            ..Default::default()
        };
        let err = resolve(Some("sqlite://./x.db"), Some("nope"), &f)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("AF_BIND"), "{err}");
    }
}
