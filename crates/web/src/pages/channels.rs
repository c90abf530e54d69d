//! Channel settings of a workspace (`/settings/channels`, owners and
//! admins): one section per provider (email: SMTP, SendGrid or Brevo;
//! Twilio; Kommo) with labelled fields, a "Borrar" box per saved value and
//! a state badge (configuration plus the provider's latest attempt). Its
//! own credentials are sealed at rest with the server key and never shown
//! back (a saved secret shows "guardado ••••1234"). Quiet hours, and a
//! "send a test" that queues a message for the send job (sends never happen
//! in a request): email to the signed-in person, SMS/WhatsApp to a number
//! they type.

use super::shell::{Area, Shell};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::i18n::channels::ChannelSettingsTr;
use crate::i18n::vocab::VocabTr;
use crate::state::AppState;
use af_channels::quiet_hours::SendWindow;
use af_channels::{Secret, WorkspaceCredentials};
use af_core::Role;
use af_core::vocab::{Channel, MessageStatus};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;

/// This area's browser routes (inside the session + CSRF layers).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/channels", get(show_channels).post(save_channels))
        .route("/settings/channels/test", post(send_test))
}

/// One input of a provider's section.
pub struct Field {
    /// The form name (never shown: the label is).
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// Plain fields show their value; secrets never do.
    pub value: String,
    pub secret: bool,
    /// For a saved secret: "guardado ••••1234" (or just "guardado").
    pub stored: Option<String>,
    /// Something is saved: a "Borrar" checkbox (`clear_<name>`) is shown.
    pub clearable: bool,
}

/// A provider's state, from its configuration and its latest attempt.
pub struct Badge {
    /// `connected`, `configured`, `unconfigured` or `error` (for tests and
    /// colours).
    pub state: &'static str,
    pub text: String,
}

pub struct Group {
    /// `email`, `twilio` or `kommo`.
    pub id: &'static str,
    pub title: &'static str,
    pub intro: Option<&'static str>,
    pub badge: Badge,
    pub fields: Vec<Field>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/channels.html")]
pub struct ChannelsTemplate {
    shell: Shell,
    c: &'static ChannelSettingsTr,
    groups: Vec<Group>,
    /// (value, label, selected) of the email provider choice.
    email_providers: Vec<(&'static str, &'static str, bool)>,
    quiet_hours: String,
    test_email_to: String,
    /// (stored channel, label) of the phone channels a test can go out on.
    test_channels: Vec<(&'static str, &'static str)>,
    /// (where to paste it, URL) of the email event webhooks.
    event_webhooks: Vec<(&'static str, &'static str, String)>,
}

/// Every field of the page: form name, label, help, secret.
fn field_text(c: &'static ChannelSettingsTr, name: &str) -> (&'static str, &'static str) {
    match name {
        "email_from" => (c.f_email_from, c.h_email_from),
        "email_from_name" => (c.f_email_from_name, c.h_email_from_name),
        "smtp_url" => (c.f_smtp_url, c.h_smtp_url),
        "sendgrid_api_key" => (c.f_sendgrid_api_key, c.h_sendgrid_api_key),
        "brevo_api_key" => (c.f_brevo_api_key, c.h_brevo_api_key),
        "sendgrid_webhook_key" => (c.f_sendgrid_webhook_key, c.h_sendgrid_webhook_key),
        "twilio_account_sid" => (c.f_twilio_account_sid, c.h_twilio_account_sid),
        "twilio_auth_token" => (c.f_twilio_auth_token, c.h_twilio_auth_token),
        "twilio_sms_sender" => (c.f_twilio_sms_sender, c.h_twilio_sms_sender),
        "twilio_whatsapp_sender" => (c.f_twilio_whatsapp_sender, c.h_twilio_whatsapp_sender),
        "twilio_caller_id" => (c.f_twilio_caller_id, c.h_twilio_caller_id),
        "kommo_base_url" => (c.f_kommo_base_url, c.h_kommo_base_url),
        "kommo_access_token" => (c.f_kommo_access_token, c.h_kommo_access_token),
        _ => (c.f_kommo_pipeline_id, c.h_kommo_pipeline_id),
    }
}

fn plain(c: &'static ChannelSettingsTr, name: &'static str, v: &Option<String>) -> Field {
    let (label, help) = field_text(c, name);
    Field {
        name,
        label,
        help,
        value: v.clone().unwrap_or_default(),
        secret: false,
        stored: None,
        clearable: v.is_some(),
    }
}

fn secret(c: &'static ChannelSettingsTr, name: &'static str, v: &Option<Secret>) -> Field {
    let (label, help) = field_text(c, name);
    // `Secret::hint` gives "…1234" for long values and "…" for short ones.
    let stored = v.as_ref().map(|s| match s.hint().trim_start_matches('…') {
        "" => c.stored.to_string(),
        tail => format!("{} ••••{tail}", c.stored),
    });
    Field {
        name,
        label,
        help,
        value: String::new(),
        secret: true,
        clearable: stored.is_some(),
        stored,
    }
}

/// The badge of a provider: not configured; configured with its latest
/// attempt (sent → connected, failed → its error); or configured and never
/// used yet.
async fn badge(
    st: &AppState,
    c: &'static ChannelSettingsTr,
    ws: af_core::WorkspaceId,
    provider: Option<&str>,
) -> AppResult<Badge> {
    let Some(provider) = provider else {
        return Ok(Badge {
            state: "unconfigured",
            text: c.state_unconfigured.into(),
        });
    };
    let last = af_db::messages::latest_attempt(&st.db, ws, provider).await?;
    let failed = |m: &af_db::messages::Message| {
        matches!(
            MessageStatus::parse(&m.status),
            Some(MessageStatus::Failed | MessageStatus::Undelivered)
        )
    };
    Ok(match last {
        None => Badge {
            state: "configured",
            text: c.state_configured.into(),
        },
        Some(m) if failed(&m) => {
            let error = m
                .error
                .filter(|e| !e.trim().is_empty())
                .unwrap_or_else(|| c.state_error_unknown.into());
            Badge {
                state: "error",
                text: c.state_error.replace("{error}", &error),
            }
        }
        Some(_) => Badge {
            state: "connected",
            text: c.state_connected.into(),
        },
    })
}

pub async fn show_channels(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<ChannelsTemplate> {
    cu.require(Role::Admin)?;
    let ws = cu.workspace.id;
    let (creds, settings) = af_engine::channels::workspace_credentials(&st.db, &st.secret, ws)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let c = ChannelSettingsTr::get(cu.locale());
    let shell = Shell::new(&cu, Area::Settings).await?;
    // The providers a send would use (server defaults overlaid with this
    // workspace's own accounts), as the send job builds them.
    let (email_provider, phone_provider, kommo) =
        match af_engine::channels::workspace_channels(&st.db, &st.secret, &st.config.channels, ws)
            .await
        {
            Ok(ch) => (
                Some(ch.providers.email().name()).filter(|p| *p != "outbox"),
                Some(ch.providers.phone_provider()).filter(|p| *p != "outbox"),
                ch.config.kommo().is_some().then_some("kommo"),
            ),
            Err(e) => {
                // A saved value the providers refuse: every badge says so
                // rather than the page failing (the error itself may quote
                // the value, so it is not shown).
                tracing::warn!(error = %e, "channel settings do not build providers");
                let broken = || Badge {
                    state: "error",
                    text: c.state_error.replace("{error}", c.state_setup_error),
                };
                let badges = [broken(), broken(), broken()];
                let hooks = event_webhooks(&st, &cu, c);
                return page(&cu, c, &creds, settings.quiet_hours, badges, shell, hooks);
            }
        };
    let badges = [
        badge(&st, c, ws, email_provider).await?,
        badge(&st, c, ws, phone_provider).await?,
        badge(&st, c, ws, kommo).await?,
    ];
    let hooks = event_webhooks(&st, &cu, c);
    page(&cu, c, &creds, settings.quiet_hours, badges, shell, hooks)
}

/// The event webhook URLs to paste in SendGrid's and Brevo's consoles.
fn event_webhooks(
    st: &AppState,
    cu: &CurrentUser,
    c: &'static ChannelSettingsTr,
) -> Vec<(&'static str, &'static str, String)> {
    use crate::api::email_events::{brevo_webhook_url, sendgrid_webhook_url};
    let base = &st.config.base_url;
    let ws = &cu.workspace;
    vec![
        (
            "sendgrid",
            c.webhook_sendgrid,
            sendgrid_webhook_url(base, &ws.slug),
        ),
        (
            "brevo",
            c.webhook_brevo,
            brevo_webhook_url(base, &st.secret, ws.id, &ws.slug),
        ),
        (
            "sendgrid-inbound",
            c.webhook_sendgrid_inbound,
            crate::api::inbound_email::inbound_url(base, &st.secret, ws.id, &ws.slug, "sendgrid"),
        ),
        (
            "brevo-inbound",
            c.webhook_brevo_inbound,
            crate::api::inbound_email::inbound_url(base, &st.secret, ws.id, &ws.slug, "brevo"),
        ),
    ]
}

fn page(
    cu: &CurrentUser,
    c: &'static ChannelSettingsTr,
    creds: &WorkspaceCredentials,
    quiet_hours: Option<String>,
    badges: [Badge; 3],
    shell: Shell,
    event_webhooks: Vec<(&'static str, &'static str, String)>,
) -> AppResult<ChannelsTemplate> {
    let [email_badge, twilio_badge, kommo_badge] = badges;
    let chosen = if creds.smtp_url.is_some() {
        "smtp"
    } else if creds.sendgrid_api_key.is_some() {
        "sendgrid"
    } else if creds.brevo_api_key.is_some() {
        "brevo"
    } else {
        ""
    };
    let groups = vec![
        Group {
            id: "email",
            title: c.email,
            intro: Some(c.email_intro),
            badge: email_badge,
            fields: vec![
                plain(c, "email_from", &creds.email_from),
                plain(c, "email_from_name", &creds.email_from_name),
                secret(c, "smtp_url", &creds.smtp_url),
                secret(c, "sendgrid_api_key", &creds.sendgrid_api_key),
                secret(c, "brevo_api_key", &creds.brevo_api_key),
                plain(c, "sendgrid_webhook_key", &creds.sendgrid_webhook_key),
            ],
        },
        Group {
            id: "twilio",
            title: c.sms,
            intro: None,
            badge: twilio_badge,
            fields: vec![
                plain(c, "twilio_account_sid", &creds.twilio_account_sid),
                secret(c, "twilio_auth_token", &creds.twilio_auth_token),
                plain(c, "twilio_sms_sender", &creds.twilio_sms_sender),
                plain(c, "twilio_whatsapp_sender", &creds.twilio_whatsapp_sender),
                plain(c, "twilio_caller_id", &creds.twilio_caller_id),
            ],
        },
        Group {
            id: "kommo",
            title: c.kommo,
            intro: None,
            badge: kommo_badge,
            fields: vec![
                plain(c, "kommo_base_url", &creds.kommo_base_url),
                secret(c, "kommo_access_token", &creds.kommo_access_token),
                plain(
                    c,
                    "kommo_pipeline_id",
                    &creds.kommo_pipeline_id.map(|p| p.to_string()),
                ),
            ],
        },
    ];
    let email_providers = [
        ("", c.email_provider_none),
        ("smtp", "SMTP"),
        ("sendgrid", "SendGrid"),
        ("brevo", "Brevo"),
    ]
    .into_iter()
    .map(|(v, l)| (v, l, v == chosen))
    .collect();
    Ok(ChannelsTemplate {
        shell,
        c,
        groups,
        email_providers,
        quiet_hours: quiet_hours.unwrap_or_default(),
        test_email_to: c.test_email_to.replace("{email}", &cu.user.email),
        test_channels: [Channel::Sms, Channel::WhatsApp]
            .into_iter()
            .map(|ch| (ch.as_str(), VocabTr::get(cu.locale()).channel_label(ch)))
            .collect(),
        event_webhooks,
    })
}

/// The form field holding an email provider's key.
fn key_field(provider: &str) -> &'static str {
    match provider {
        "smtp" => "smtp_url",
        "sendgrid" => "sendgrid_api_key",
        _ => "brevo_api_key",
    }
}

/// Whether the form asks to delete `name` (its "Borrar" checkbox).
fn cleared(form: &HashMap<String, String>, name: &str) -> bool {
    form.contains_key(&format!("clear_{name}"))
}

/// A plain field: empty or "Borrar" clears it.
fn set_plain(dst: &mut Option<String>, form: &HashMap<String, String>, name: &str) {
    if cleared(form, name) {
        *dst = None;
    } else if let Some(v) = form.get(name) {
        let v = v.trim();
        *dst = (!v.is_empty()).then(|| v.to_string());
    }
}

/// A secret: empty keeps the stored value, "Borrar" deletes it.
fn set_secret(dst: &mut Option<Secret>, form: &HashMap<String, String>, name: &str) {
    if cleared(form, name) {
        *dst = None;
        return;
    }
    match form.get(name).map(|v| v.trim()) {
        None | Some("") => {}
        Some(v) => *dst = Some(Secret::new(v)),
    }
}

pub async fn save_channels(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let c = ChannelSettingsTr::get(cu.locale());
    let ws = cu.workspace.id;
    let (mut creds, mut settings): (WorkspaceCredentials, _) =
        af_engine::channels::workspace_credentials(&st.db, &st.secret, ws)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    set_plain(&mut creds.email_from, &form, "email_from");
    set_plain(&mut creds.email_from_name, &form, "email_from_name");
    set_secret(&mut creds.smtp_url, &form, "smtp_url");
    set_secret(&mut creds.sendgrid_api_key, &form, "sendgrid_api_key");
    set_secret(&mut creds.brevo_api_key, &form, "brevo_api_key");
    set_plain(
        &mut creds.sendgrid_webhook_key,
        &form,
        "sendgrid_webhook_key",
    );
    if let Some(k) = &creds.sendgrid_webhook_key
        && af_channels::email_events::SendGridKey::parse(k).is_err()
    {
        set_flash(&cu.session, false, c.bad_sendgrid_webhook_key).await?;
        return Ok(Redirect::to("/settings/channels").into_response());
    }
    // One email provider: choosing one deletes the other two's keys. A key
    // typed with "Ninguno" still selected picks that provider (the person
    // just did not touch the list).
    let typed = |name: &str| form.get(name).is_some_and(|v| !v.trim().is_empty());
    let choice = match form.get("email_provider").map(|v| v.trim()) {
        Some("") => ["smtp", "sendgrid", "brevo"]
            .into_iter()
            .find(|p| typed(key_field(p)))
            .or(Some("")),
        other => other,
    };
    match choice {
        Some("smtp") => {
            creds.sendgrid_api_key = None;
            creds.brevo_api_key = None;
        }
        Some("sendgrid") => {
            creds.smtp_url = None;
            creds.brevo_api_key = None;
        }
        Some("brevo") => {
            creds.smtp_url = None;
            creds.sendgrid_api_key = None;
        }
        Some("") => {
            creds.smtp_url = None;
            creds.sendgrid_api_key = None;
            creds.brevo_api_key = None;
        }
        _ => {}
    }
    set_plain(&mut creds.twilio_account_sid, &form, "twilio_account_sid");
    set_secret(&mut creds.twilio_auth_token, &form, "twilio_auth_token");
    set_plain(&mut creds.twilio_sms_sender, &form, "twilio_sms_sender");
    set_plain(
        &mut creds.twilio_whatsapp_sender,
        &form,
        "twilio_whatsapp_sender",
    );
    set_plain(&mut creds.twilio_caller_id, &form, "twilio_caller_id");
    set_plain(&mut creds.kommo_base_url, &form, "kommo_base_url");
    set_secret(&mut creds.kommo_access_token, &form, "kommo_access_token");
    // Addresses a workspace supplies pass the SSRF check when saved (the
    // send path resolves and checks them again).
    let policy = st.config.channels.ssrf();
    if let Some(url) = &creds.kommo_base_url
        && af_channels::ssrf::check_url_syntax(url, policy).is_err()
    {
        set_flash(&cu.session, false, c.bad_kommo_url).await?;
        return Ok(Redirect::to("/settings/channels").into_response());
    }
    if let Some(url) = &creds.smtp_url
        && !smtp_host_allowed(url.expose(), policy)
    {
        set_flash(&cu.session, false, c.bad_smtp_url).await?;
        return Ok(Redirect::to("/settings/channels").into_response());
    }
    if cleared(&form, "kommo_pipeline_id") {
        creds.kommo_pipeline_id = None;
    } else if let Some(v) = form.get("kommo_pipeline_id").map(|v| v.trim()) {
        creds.kommo_pipeline_id = match v {
            "" => None,
            v => match v.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    set_flash(&cu.session, false, c.bad_number).await?;
                    return Ok(Redirect::to("/settings/channels").into_response());
                }
            },
        };
    }
    if cleared(&form, "quiet_hours") {
        settings.quiet_hours = None;
    } else if let Some(q) = form.get("quiet_hours").map(|v| v.trim()) {
        if q.is_empty() {
            settings.quiet_hours = None;
        } else if SendWindow::parse(q).is_ok() {
            settings.quiet_hours = Some(q.to_string());
        } else {
            set_flash(&cu.session, false, c.bad_quiet_hours).await?;
            return Ok(Redirect::to("/settings/channels").into_response());
        }
    }
    settings.credentials_sealed = Some(af_engine::channels::seal_credentials(&st.secret, &creds));
    let mut tx = st.db.begin().await?;
    af_db::channels::save_channel_settings(&mut tx, ws, &settings, st.now()).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, c.saved).await?;
    Ok(Redirect::to("/settings/channels").into_response())
}

/// Whether a workspace's SMTP URL names a relay it may use: `smtp://` or
/// `smtps://` with a host the SSRF policy allows (checked as the HTTP
/// guard would see the same host).
fn smtp_host_allowed(url: &str, policy: af_channels::ssrf::SsrfPolicy) -> bool {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return false;
    };
    if !matches!(parsed.scheme(), "smtp" | "smtps") {
        return false;
    }
    let Some(host) = parsed.host_str() else {
        return false;
    };
    // Credentials never go in clear: `?tls=none` is for relays without them.
    let plain = parsed.query_pairs().any(|(k, v)| k == "tls" && v == "none");
    if plain && !parsed.username().is_empty() {
        return false;
    }
    af_channels::ssrf::check_url_syntax(&format!("http://{host}/"), policy).is_ok()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TestForm {
    channel: String,
    to: String,
}

/// Queues a transactional test message for the send job: the same path
/// every message takes (the job picks the workspace's provider, records
/// the outcome the state badges read).
pub async fn send_test(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<TestForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let c = ChannelSettingsTr::get(cu.locale());
    let Some(channel) = Channel::parse(&f.channel) else {
        return Err(AppError::NotFound);
    };
    // Email tests go to the signed-in person's own address: the page never
    // becomes a way to mail anyone.
    let to = match channel {
        Channel::Email => af_channels::sanitize::email_address(&cu.user.email).ok(),
        Channel::Sms | Channel::WhatsApp => af_channels::sanitize::phone_e164(&f.to).ok(),
        Channel::Voice | Channel::Kommo | Channel::Webhook => return Err(AppError::NotFound),
    };
    let Some(to) = to else {
        let message = if channel == Channel::Email {
            c.test_bad_email
        } else {
            c.test_bad_to
        };
        set_flash(&cu.session, false, message).await?;
        return Ok(Redirect::to("/settings/channels").into_response());
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let m = af_db::messages::NewMessage {
        workspace: cu.workspace.id,
        channel,
        provider: "outbox",
        to: &to,
        subject: (channel == Channel::Email).then_some(c.send_test),
        body_text: c.test_body,
        category: "transactional",
        status: MessageStatus::Queued,
        ..Default::default()
    };
    let id = af_db::messages::insert_message(&mut tx, &m, now).await?;
    let payload = af_core::jobs::SendMessage { message_id: id };
    let mut job = af_db::jobs::NewJob::typed(Some(cu.workspace.id), &payload, now)?;
    // The test send has always queued at the default priority, behind
    // automation sends (70); kept so a test cannot delay real messages.
    job.priority = 100;
    af_db::jobs::enqueue(&mut tx, &job, now).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, c.test_queued).await?;
    Ok(Redirect::to("/settings/channels").into_response())
}
