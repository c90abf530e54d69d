//! Channel settings of a workspace (`/settings/channels`, owners and
//! admins): its own provider credentials, sealed at rest with the server
//! key and never shown back in full (secrets show their last four
//! characters), its quiet hours, and a "send test" per channel that queues
//! a message for the send job (sends never happen in a request).

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

pub struct Field {
    pub name: &'static str,
    /// Plain fields show their value; secrets only a hint.
    pub value: String,
    pub secret: bool,
    pub hint: Option<String>,
}

pub struct Group {
    pub title: &'static str,
    pub fields: Vec<Field>,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/channels.html")]
pub struct ChannelsTemplate {
    shell: Shell,
    c: &'static ChannelSettingsTr,
    groups: Vec<Group>,
    quiet_hours: String,
    /// (stored channel, label) of the channels a test can go out on.
    test_channels: Vec<(&'static str, &'static str)>,
}

fn plain(name: &'static str, v: &Option<String>) -> Field {
    Field {
        name,
        value: v.clone().unwrap_or_default(),
        secret: false,
        hint: None,
    }
}

fn secret(name: &'static str, v: &Option<Secret>) -> Field {
    Field {
        name,
        value: String::new(),
        secret: true,
        hint: v.as_ref().map(Secret::hint),
    }
}

pub async fn show_channels(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<ChannelsTemplate> {
    cu.require(Role::Admin)?;
    let (creds, settings) =
        af_engine::channels::workspace_credentials(&st.db, &st.secret, cu.workspace.id)
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
    let c = ChannelSettingsTr::get(cu.locale());
    let shell = Shell::new(&cu, Area::Settings).await?;
    let groups = vec![
        Group {
            title: c.email,
            fields: vec![
                plain("email_from", &creds.email_from),
                plain("email_from_name", &creds.email_from_name),
                secret("smtp_url", &creds.smtp_url),
                secret("sendgrid_api_key", &creds.sendgrid_api_key),
                secret("brevo_api_key", &creds.brevo_api_key),
            ],
        },
        Group {
            title: c.sms,
            fields: vec![
                plain("twilio_account_sid", &creds.twilio_account_sid),
                secret("twilio_auth_token", &creds.twilio_auth_token),
                plain("twilio_sms_sender", &creds.twilio_sms_sender),
                plain("twilio_whatsapp_sender", &creds.twilio_whatsapp_sender),
                plain("twilio_caller_id", &creds.twilio_caller_id),
            ],
        },
        Group {
            title: c.kommo,
            fields: vec![
                plain("kommo_base_url", &creds.kommo_base_url),
                secret("kommo_access_token", &creds.kommo_access_token),
                plain(
                    "kommo_pipeline_id",
                    &creds.kommo_pipeline_id.map(|p| p.to_string()),
                ),
            ],
        },
    ];
    Ok(ChannelsTemplate {
        shell,
        c,
        groups,
        quiet_hours: settings.quiet_hours.unwrap_or_default(),
        test_channels: [Channel::Email, Channel::Sms, Channel::WhatsApp]
            .into_iter()
            .map(|ch| (ch.as_str(), VocabTr::get(cu.locale()).channel_label(ch)))
            .collect(),
    })
}

/// A plain field: empty clears it.
fn set_plain(dst: &mut Option<String>, form: &HashMap<String, String>, name: &str) {
    if let Some(v) = form.get(name) {
        let v = v.trim();
        *dst = (!v.is_empty()).then(|| v.to_string());
    }
}

/// A secret: empty keeps the stored value, `-` clears it.
fn set_secret(dst: &mut Option<Secret>, form: &HashMap<String, String>, name: &str) {
    match form.get(name).map(|v| v.trim()) {
        None | Some("") => {}
        Some("-") => *dst = None,
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
    if let Some(v) = form.get("kommo_pipeline_id").map(|v| v.trim()) {
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
    if let Some(q) = form.get("quiet_hours").map(|v| v.trim()) {
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

/// Queues a transactional test message for the send job.
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
    let to = match channel {
        Channel::Email => af_channels::sanitize::email_address(&f.to).ok(),
        Channel::Sms | Channel::WhatsApp => af_channels::sanitize::phone_e164(&f.to).ok(),
        Channel::Voice | Channel::Kommo | Channel::Webhook => return Err(AppError::NotFound),
    };
    let Some(to) = to else {
        set_flash(&cu.session, false, c.test_bad_to).await?;
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
