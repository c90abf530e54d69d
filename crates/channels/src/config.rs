//! Provider configuration: server-wide defaults read from an environment-like
//! lookup (the PAUTA variable names work unchanged), and per-workspace
//! credentials that override them field by field.
//!
//! API base URLs (`SENDGRID_API_BASE`, `BREVO_API_BASE`, `TWILIO_API_BASE`)
//! are server-only: a workspace cannot point the server's HTTP client at an
//! address of its choosing. So is `SMTP_CA_FILE`: which certificate
//! authorities the server trusts is the operator's choice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Default SendGrid API base.
pub const SENDGRID_DEFAULT_BASE: &str = "https://api.sendgrid.com";
/// Default Brevo API base.
pub const BREVO_DEFAULT_BASE: &str = "https://api.brevo.com";
/// Default Twilio API base.
pub const TWILIO_DEFAULT_BASE: &str = "https://api.twilio.com";

/// A credential. `Debug` prints `<redacted>`; serialisation writes the value
/// (the caller encrypts the serialised credentials at rest).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters, for "configured: …abcd" displays.
    pub fn hint(&self) -> String {
        let n = self.0.chars().count();
        let tail: String = self.0.chars().skip(n.saturating_sub(4)).collect();
        if n > 8 {
            format!("…{tail}")
        } else {
            "…".to_owned()
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A configuration value that could not be used; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    /// The environment variable (or field) at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// Extra root certificates to trust for SMTP relays (`SMTP_CA_FILE`), read
/// once when the configuration is. `Debug` shows the file and the count.
#[derive(Clone, PartialEq, Eq)]
pub struct RootCertificates {
    path: PathBuf,
    der: Vec<Vec<u8>>,
}

impl std::fmt::Debug for RootCertificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RootCertificates({}, {} certificate(s))",
            self.path.display(),
            self.der.len()
        )
    }
}

impl RootCertificates {
    /// Reads every `CERTIFICATE` block of a PEM file; a file that cannot be
    /// read, or holds none, is an error naming `SMTP_CA_FILE`.
    pub fn from_pem_file(path: &Path) -> Result<Self, ConfigError> {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        let err = |reason: String| ConfigError {
            var: "SMTP_CA_FILE",
            reason,
        };
        let pem =
            std::fs::read(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        let der = CertificateDer::pem_slice_iter(&pem)
            .map(|c| c.map(|c| c.as_ref().to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| err(format!("{} is not a PEM file: {e}", path.display())))?;
        if der.is_empty() {
            return Err(err(format!("{} holds no PEM certificate", path.display())));
        }
        Ok(Self {
            path: path.to_owned(),
            der,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The certificates, DER-encoded.
    pub fn der(&self) -> &[Vec<u8>] {
        &self.der
    }
}

/// Every provider setting. Server defaults come from [`ProviderConfig::from_lookup`];
/// [`ProviderConfig::with_workspace`] layers a workspace's own credentials on
/// top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// Default sender address (`AF_EMAIL_FROM`, else `SENDINBLUE_SENDER_EMAIL`).
    pub email_from: Option<String>,
    /// Default sender name (from `AF_EMAIL_FROM="Name <addr>"` or `AF_EMAIL_FROM_NAME`).
    pub email_from_name: Option<String>,
    /// `SMTP_URL`: `smtp://` / `smtps://` with optional `user:pass@` (a
    /// secret); credentials only ever travel over TLS (see [`crate::smtp`]).
    pub smtp_url: Option<Secret>,
    /// `SMTP_CA_FILE`: extra root certificates for SMTP relays (a private
    /// CA). Server-only: workspace credentials have no such field.
    pub smtp_ca_file: Option<RootCertificates>,
    /// The SMTP URL came from a workspace's credentials, not the server's
    /// environment: its host is then checked by the SSRF guard before each
    /// send (an operator's `SMTP_URL` may be a relay on localhost; a
    /// workspace's may not point inside the network).
    pub smtp_url_from_workspace: bool,
    /// `SENDGRID_API_KEY`.
    pub sendgrid_api_key: Option<Secret>,
    /// `SENDGRID_API_BASE`.
    pub sendgrid_api_base: String,
    /// `SENDGRID_WEBHOOK_PUBLIC_KEY`: the verification key of SendGrid's
    /// signed event webhook (base64 DER, as its console shows it).
    pub sendgrid_webhook_key: Option<String>,
    /// `BREVO_API_KEY`, else `SENDINBLUE_API_KEY`.
    pub brevo_api_key: Option<Secret>,
    /// `BREVO_API_BASE`.
    pub brevo_api_base: String,
    /// `TWILIO_ACCOUNT_SID`.
    pub twilio_account_sid: Option<String>,
    /// `TWILIO_AUTH_TOKEN`.
    pub twilio_auth_token: Option<Secret>,
    /// `TWILIO_CALLER_ID`: the number calls come from.
    pub twilio_caller_id: Option<String>,
    /// `TWILIO_WHATSAPP_SENDER` (with or without `whatsapp:`).
    pub twilio_whatsapp_sender: Option<String>,
    /// `TWILIO_SMS_SENDER`.
    pub twilio_sms_sender: Option<String>,
    /// `TWILIO_API_BASE`.
    pub twilio_api_base: String,
    /// `KOMMO_BASE_URL`, e.g. `https://acme.kommo.com`.
    pub kommo_base_url: Option<String>,
    /// `KOMMO_ACCESS_TOKEN` (long-lived token).
    pub kommo_access_token: Option<Secret>,
    /// `KOMMO_PIPELINE_ID`.
    pub kommo_pipeline_id: Option<i64>,
    /// `KOMMO_STATUS_ID_INICIAL`: status of new leads.
    pub kommo_status_id_inicial: Option<i64>,
    /// `KOMMO_STATUS_ID_AGENDADO`: status once an appointment is booked.
    pub kommo_status_id_agendado: Option<i64>,
    /// `KOMMO_FIELD_ID_EMPRESA`: lead custom field for the company.
    pub kommo_field_id_empresa: Option<i64>,
    /// `KOMMO_FIELD_ID_SERVICIO`: lead custom field for the service.
    pub kommo_field_id_servicio: Option<i64>,
    /// `KOMMO_FIELD_ID_FUENTE`: lead custom field for the source.
    pub kommo_field_id_fuente: Option<i64>,
    /// `KOMMO_FIELD_ID_UTM_{SOURCE,MEDIUM,CAMPAIGN,TERM,CONTENT}`; when unset
    /// Kommo's built-in tracking fields are addressed by `field_code`.
    pub kommo_utm_field_ids: UtmFieldIds,
    /// `BOOKING_URL`: the public booking page put in messages.
    pub booking_url: Option<String>,
}

/// Optional Kommo custom field ids for the UTM values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtmFieldIds {
    /// utm_source.
    pub source: Option<i64>,
    /// utm_medium.
    pub medium: Option<i64>,
    /// utm_campaign.
    pub campaign: Option<i64>,
    /// utm_term.
    pub term: Option<i64>,
    /// utm_content.
    pub content: Option<i64>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self {
            email_from: None,
            email_from_name: None,
            smtp_url: None,
            smtp_ca_file: None,
            smtp_url_from_workspace: false,
            sendgrid_api_key: None,
            sendgrid_api_base: SENDGRID_DEFAULT_BASE.to_owned(),
            sendgrid_webhook_key: None,
            brevo_api_key: None,
            brevo_api_base: BREVO_DEFAULT_BASE.to_owned(),
            twilio_account_sid: None,
            twilio_auth_token: None,
            twilio_caller_id: None,
            twilio_whatsapp_sender: None,
            twilio_sms_sender: None,
            twilio_api_base: TWILIO_DEFAULT_BASE.to_owned(),
            kommo_base_url: None,
            kommo_access_token: None,
            kommo_pipeline_id: None,
            kommo_status_id_inicial: None,
            kommo_status_id_agendado: None,
            kommo_field_id_empresa: None,
            kommo_field_id_servicio: None,
            kommo_field_id_fuente: None,
            kommo_utm_field_ids: UtmFieldIds::default(),
            booking_url: None,
        }
    }
}

/// A workspace's own credentials; every field overrides the server default
/// when set. Serialise, encrypt (`SecretKey::seal`) and store it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkspaceCredentials {
    /// Sender address.
    pub email_from: Option<String>,
    /// Sender name.
    pub email_from_name: Option<String>,
    /// SMTP URL.
    pub smtp_url: Option<Secret>,
    /// SendGrid key.
    pub sendgrid_api_key: Option<Secret>,
    /// The verification key of SendGrid's signed event webhook (a public
    /// key: checked when saved, not secret).
    pub sendgrid_webhook_key: Option<String>,
    /// Brevo (Sendinblue) key.
    pub brevo_api_key: Option<Secret>,
    /// Twilio account SID.
    pub twilio_account_sid: Option<String>,
    /// Twilio auth token.
    pub twilio_auth_token: Option<Secret>,
    /// Twilio caller id.
    pub twilio_caller_id: Option<String>,
    /// Twilio WhatsApp sender.
    pub twilio_whatsapp_sender: Option<String>,
    /// Twilio SMS sender.
    pub twilio_sms_sender: Option<String>,
    /// Kommo base URL.
    pub kommo_base_url: Option<String>,
    /// Kommo token.
    pub kommo_access_token: Option<Secret>,
    /// Kommo pipeline.
    pub kommo_pipeline_id: Option<i64>,
    /// Kommo initial status.
    pub kommo_status_id_inicial: Option<i64>,
    /// Kommo booked status.
    pub kommo_status_id_agendado: Option<i64>,
    /// Kommo company field.
    pub kommo_field_id_empresa: Option<i64>,
    /// Kommo service field.
    pub kommo_field_id_servicio: Option<i64>,
    /// Kommo source field.
    pub kommo_field_id_fuente: Option<i64>,
    /// Kommo UTM fields (each overrides separately).
    pub kommo_utm_field_ids: UtmFieldIds,
    /// Booking page URL.
    pub booking_url: Option<String>,
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Splits `"Name <addr@x>"` into name and address; a bare address has no name.
pub fn parse_from(value: &str) -> (Option<String>, String) {
    let v = value.trim();
    if let (Some(open), true) = (v.rfind('<'), v.ends_with('>')) {
        let addr = v[open + 1..v.len() - 1].trim().to_owned();
        let name = v[..open].trim().trim_matches('"').trim();
        let name = (!name.is_empty()).then(|| name.to_owned());
        (name, addr)
    } else {
        (None, v.to_owned())
    }
}

impl ProviderConfig {
    /// Reads the configuration through `get` (e.g. `|k| std::env::var(k).ok()`).
    /// Empty values count as unset. Numeric Kommo ids that do not parse are
    /// an error naming the variable.
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let s = |k: &str| non_empty(get(k));
        let int = |k: &'static str| -> Result<Option<i64>, ConfigError> {
            match s(k) {
                None => Ok(None),
                Some(v) => v.parse::<i64>().map(Some).map_err(|_| ConfigError {
                    var: k,
                    reason: format!("must be a number, got {v:?}"),
                }),
            }
        };
        let url = |k: &'static str, default: &str| -> Result<String, ConfigError> {
            let v = s(k).unwrap_or_else(|| default.to_owned());
            match url::Url::parse(&v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {
                    Ok(v.trim_end_matches('/').to_owned())
                }
                _ => Err(ConfigError {
                    var: k,
                    reason: format!("must be an http(s) URL, got {v:?}"),
                }),
            }
        };
        let (from_name, email_from) =
            match s("AF_EMAIL_FROM").or_else(|| s("SENDINBLUE_SENDER_EMAIL")) {
                Some(v) => {
                    let (n, a) = parse_from(&v);
                    (n, Some(a))
                }
                None => (None, None),
            };
        if let Some(addr) = &email_from {
            crate::sanitize::email_address(addr).map_err(|_| ConfigError {
                var: "AF_EMAIL_FROM",
                reason: format!("not an email address: {addr:?}"),
            })?;
        }
        let smtp_url = s("SMTP_URL");
        if let Some(u) = &smtp_url {
            crate::smtp::SmtpEndpoint::parse(u)?;
        }
        let smtp_ca_file = match s("SMTP_CA_FILE") {
            Some(p) => Some(RootCertificates::from_pem_file(Path::new(&p))?),
            None => None,
        };
        Ok(Self {
            email_from,
            email_from_name: s("AF_EMAIL_FROM_NAME").or(from_name),
            smtp_url: smtp_url.map(Secret::new),
            smtp_ca_file,
            smtp_url_from_workspace: false,
            sendgrid_api_key: s("SENDGRID_API_KEY").map(Secret::new),
            sendgrid_api_base: url("SENDGRID_API_BASE", SENDGRID_DEFAULT_BASE)?,
            sendgrid_webhook_key: match s("SENDGRID_WEBHOOK_PUBLIC_KEY") {
                None => None,
                Some(k) => match crate::email_events::SendGridKey::parse(&k) {
                    Ok(_) => Some(k),
                    Err(reason) => {
                        return Err(ConfigError {
                            var: "SENDGRID_WEBHOOK_PUBLIC_KEY",
                            reason: reason.into(),
                        });
                    }
                },
            },
            brevo_api_key: s("BREVO_API_KEY")
                .or_else(|| s("SENDINBLUE_API_KEY"))
                .map(Secret::new),
            brevo_api_base: url("BREVO_API_BASE", BREVO_DEFAULT_BASE)?,
            twilio_account_sid: s("TWILIO_ACCOUNT_SID"),
            twilio_auth_token: s("TWILIO_AUTH_TOKEN").map(Secret::new),
            twilio_caller_id: s("TWILIO_CALLER_ID"),
            twilio_whatsapp_sender: s("TWILIO_WHATSAPP_SENDER"),
            twilio_sms_sender: s("TWILIO_SMS_SENDER"),
            twilio_api_base: url("TWILIO_API_BASE", TWILIO_DEFAULT_BASE)?,
            kommo_base_url: match s("KOMMO_BASE_URL") {
                Some(_) => Some(url("KOMMO_BASE_URL", "")?),
                None => None,
            },
            kommo_access_token: s("KOMMO_ACCESS_TOKEN").map(Secret::new),
            kommo_pipeline_id: int("KOMMO_PIPELINE_ID")?,
            kommo_status_id_inicial: int("KOMMO_STATUS_ID_INICIAL")?,
            kommo_status_id_agendado: int("KOMMO_STATUS_ID_AGENDADO")?,
            kommo_field_id_empresa: int("KOMMO_FIELD_ID_EMPRESA")?,
            kommo_field_id_servicio: int("KOMMO_FIELD_ID_SERVICIO")?,
            kommo_field_id_fuente: int("KOMMO_FIELD_ID_FUENTE")?,
            kommo_utm_field_ids: UtmFieldIds {
                source: int("KOMMO_FIELD_ID_UTM_SOURCE")?,
                medium: int("KOMMO_FIELD_ID_UTM_MEDIUM")?,
                campaign: int("KOMMO_FIELD_ID_UTM_CAMPAIGN")?,
                term: int("KOMMO_FIELD_ID_UTM_TERM")?,
                content: int("KOMMO_FIELD_ID_UTM_CONTENT")?,
            },
            booking_url: s("BOOKING_URL"),
        })
    }

    /// [`ProviderConfig::from_lookup`] over a map.
    pub fn from_map(map: &HashMap<String, String>) -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| map.get(k).cloned())
    }

    /// [`ProviderConfig::from_lookup`] over the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    /// These defaults with a workspace's credentials laid over them, field by
    /// field. When a workspace brings its own email credentials of any kind,
    /// the server's other email credentials are dropped, so its mail never
    /// goes out through the agency's account by accident. A workspace's own
    /// sender address brings its own name (or none): the server's display
    /// name belongs to the server's address.
    pub fn with_workspace(&self, ws: &WorkspaceCredentials) -> Self {
        let mut c = self.clone();
        let ws_has_email =
            ws.smtp_url.is_some() || ws.sendgrid_api_key.is_some() || ws.brevo_api_key.is_some();
        if ws_has_email {
            c.smtp_url = ws.smtp_url.clone();
            c.smtp_url_from_workspace = ws.smtp_url.is_some();
            c.sendgrid_api_key = ws.sendgrid_api_key.clone();
            c.brevo_api_key = ws.brevo_api_key.clone();
            // The server's verification key belongs to the server's account.
            c.sendgrid_webhook_key = ws.sendgrid_webhook_key.clone();
        }
        fn over<T: Clone>(dst: &mut Option<T>, src: &Option<T>) {
            if src.is_some() {
                dst.clone_from(src);
            }
        }
        if ws.email_from.is_some() {
            c.email_from.clone_from(&ws.email_from);
            c.email_from_name.clone_from(&ws.email_from_name);
        } else {
            over(&mut c.email_from_name, &ws.email_from_name);
        }
        over(&mut c.sendgrid_webhook_key, &ws.sendgrid_webhook_key);
        over(&mut c.twilio_account_sid, &ws.twilio_account_sid);
        over(&mut c.twilio_auth_token, &ws.twilio_auth_token);
        over(&mut c.twilio_caller_id, &ws.twilio_caller_id);
        over(&mut c.twilio_whatsapp_sender, &ws.twilio_whatsapp_sender);
        over(&mut c.twilio_sms_sender, &ws.twilio_sms_sender);
        over(&mut c.kommo_base_url, &ws.kommo_base_url);
        over(&mut c.kommo_access_token, &ws.kommo_access_token);
        over(&mut c.kommo_pipeline_id, &ws.kommo_pipeline_id);
        over(&mut c.kommo_status_id_inicial, &ws.kommo_status_id_inicial);
        over(
            &mut c.kommo_status_id_agendado,
            &ws.kommo_status_id_agendado,
        );
        over(&mut c.kommo_field_id_empresa, &ws.kommo_field_id_empresa);
        over(&mut c.kommo_field_id_servicio, &ws.kommo_field_id_servicio);
        over(&mut c.kommo_field_id_fuente, &ws.kommo_field_id_fuente);
        over(
            &mut c.kommo_utm_field_ids.source,
            &ws.kommo_utm_field_ids.source,
        );
        over(
            &mut c.kommo_utm_field_ids.medium,
            &ws.kommo_utm_field_ids.medium,
        );
        over(
            &mut c.kommo_utm_field_ids.campaign,
            &ws.kommo_utm_field_ids.campaign,
        );
        over(
            &mut c.kommo_utm_field_ids.term,
            &ws.kommo_utm_field_ids.term,
        );
        over(
            &mut c.kommo_utm_field_ids.content,
            &ws.kommo_utm_field_ids.content,
        );
        over(&mut c.booking_url, &ws.booking_url);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pauta_names_are_read() {
        let c = ProviderConfig::from_map(&map(&[
            ("SENDINBLUE_API_KEY", "xkeysib-123"),
            ("SENDINBLUE_SENDER_EMAIL", "hola@acme.mx"),
            ("TWILIO_ACCOUNT_SID", "AC123"),
            ("TWILIO_AUTH_TOKEN", "tok"),
            ("TWILIO_CALLER_ID", "+15550001111"),
            ("TWILIO_WHATSAPP_SENDER", "whatsapp:+15550002222"),
            ("TWILIO_SMS_SENDER", "+15550003333"),
            ("KOMMO_BASE_URL", "https://acme.kommo.com/"),
            ("KOMMO_ACCESS_TOKEN", "kt"),
            ("KOMMO_PIPELINE_ID", "77"),
            ("KOMMO_STATUS_ID_INICIAL", "1001"),
            ("KOMMO_STATUS_ID_AGENDADO", "1002"),
            ("KOMMO_FIELD_ID_EMPRESA", "11"),
            ("KOMMO_FIELD_ID_SERVICIO", "12"),
            ("KOMMO_FIELD_ID_FUENTE", "13"),
            ("BOOKING_URL", "https://cal.test/acme"),
            ("SMTP_URL", ""),
        ]))
        .expect("config");
        assert_eq!(
            c.brevo_api_key.as_ref().map(Secret::expose),
            Some("xkeysib-123")
        );
        assert_eq!(c.email_from.as_deref(), Some("hola@acme.mx"));
        assert_eq!(c.twilio_account_sid.as_deref(), Some("AC123"));
        assert_eq!(c.kommo_base_url.as_deref(), Some("https://acme.kommo.com"));
        assert_eq!(c.kommo_pipeline_id, Some(77));
        assert_eq!(c.kommo_field_id_fuente, Some(13));
        assert_eq!(c.smtp_url, None, "empty counts as unset");
        assert_eq!(c.sendgrid_api_base, SENDGRID_DEFAULT_BASE);
        assert_eq!(c.brevo_api_base, BREVO_DEFAULT_BASE);
        assert_eq!(c.twilio_api_base, TWILIO_DEFAULT_BASE);
        assert_eq!(c.booking_url.as_deref(), Some("https://cal.test/acme"));
    }

    #[test]
    fn af_email_from_wins_and_may_carry_a_name() {
        let c = ProviderConfig::from_map(&map(&[
            ("AF_EMAIL_FROM", "Acme MX <hola@acme.mx>"),
            ("SENDINBLUE_SENDER_EMAIL", "old@acme.mx"),
            ("SENDGRID_API_BASE", "http://127.0.0.1:9999/"),
        ]))
        .expect("config");
        assert_eq!(c.email_from.as_deref(), Some("hola@acme.mx"));
        assert_eq!(c.email_from_name.as_deref(), Some("Acme MX"));
        assert_eq!(c.sendgrid_api_base, "http://127.0.0.1:9999");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = ProviderConfig::from_map(&map(&[("KOMMO_PIPELINE_ID", "abc")])).expect_err("bad");
        assert_eq!(e.var, "KOMMO_PIPELINE_ID");
        let e = ProviderConfig::from_map(&map(&[("SMTP_URL", "mysql://x")])).expect_err("bad");
        assert_eq!(e.var, "SMTP_URL");
        let e = ProviderConfig::from_map(&map(&[("TWILIO_API_BASE", "ftp://x")])).expect_err("bad");
        assert_eq!(e.var, "TWILIO_API_BASE");
        let e = ProviderConfig::from_map(&map(&[("AF_EMAIL_FROM", "nope")])).expect_err("bad");
        assert_eq!(e.var, "AF_EMAIL_FROM");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = ProviderConfig::from_map(&map(&[
            ("SENDGRID_API_KEY", "SG.supersecret"),
            ("TWILIO_AUTH_TOKEN", "twiliosecret"),
            ("SMTP_URL", "smtp://u:smtppass@mail.test:587"),
        ]))
        .expect("config");
        let dbg = format!("{c:?}");
        for s in ["supersecret", "twiliosecret", "smtppass"] {
            assert!(!dbg.contains(s), "{s} leaked in {dbg}");
        }
        assert_eq!(Secret::new("SG.abcdefgh1234").hint(), "…1234");
    }

    #[test]
    fn workspace_credentials_override_field_by_field() {
        let server = ProviderConfig::from_map(&map(&[
            ("SENDGRID_API_KEY", "SG.server"),
            ("AF_EMAIL_FROM", "server@agency.test"),
            ("TWILIO_ACCOUNT_SID", "ACserver"),
            ("TWILIO_AUTH_TOKEN", "server-token"),
            ("TWILIO_SMS_SENDER", "+15550000000"),
        ]))
        .expect("config");
        let ws: WorkspaceCredentials = serde_json::from_str(
            r#"{"brevo_api_key":"xkeysib-ws","twilio_sms_sender":"+15551111111","kommo_pipeline_id":5}"#,
        )
        .expect("json");
        let c = server.with_workspace(&ws);
        assert_eq!(
            c.brevo_api_key.as_ref().map(Secret::expose),
            Some("xkeysib-ws")
        );
        assert_eq!(
            c.sendgrid_api_key, None,
            "server email account not mixed in"
        );
        assert_eq!(c.email_from.as_deref(), Some("server@agency.test"));
        assert_eq!(c.twilio_account_sid.as_deref(), Some("ACserver"));
        assert_eq!(c.twilio_sms_sender.as_deref(), Some("+15551111111"));
        assert_eq!(c.kommo_pipeline_id, Some(5));
        let back = serde_json::to_string(&ws).expect("json");
        assert!(back.contains("xkeysib-ws"), "serialises for sealing");
    }

    #[test]
    fn a_workspace_sender_address_brings_its_own_name() {
        let server =
            ProviderConfig::from_map(&map(&[("AF_EMAIL_FROM", "Agencia Acme <hola@acme.mx>")]))
                .expect("config");
        let only_name = WorkspaceCredentials {
            email_from_name: Some("Clínica Sol".into()),
            ..Default::default()
        };
        let c = server.with_workspace(&only_name);
        assert_eq!(c.email_from.as_deref(), Some("hola@acme.mx"));
        assert_eq!(c.email_from_name.as_deref(), Some("Clínica Sol"));
        let own_address = WorkspaceCredentials {
            email_from: Some("hola@clinica.test".into()),
            ..Default::default()
        };
        let c = server.with_workspace(&own_address);
        assert_eq!(c.email_from.as_deref(), Some("hola@clinica.test"));
        assert_eq!(c.email_from_name, None, "not the agency's name");
        let nothing = server.with_workspace(&WorkspaceCredentials::default());
        assert_eq!(nothing.email_from_name.as_deref(), Some("Agencia Acme"));
    }
}
