//! Twilio's webhooks, one set per workspace:
//! `/webhooks/twilio/{workspace_slug}/status` (message status callbacks),
//! `/inbound` (SMS / WhatsApp received) and `/voice` (call status).
//!
//! Every request is checked with `X-Twilio-Signature` against the public URL
//! (`AF_BASE_URL` + path) and the workspace's auth token (its own, else the
//! server's); anything else answers 403 and changes nothing. No session, no
//! CSRF: Twilio is the caller.

use crate::error::{AppError, AppResult};
use crate::i18n::channels::ChannelsTr;
use crate::state::AppState;
use af_channels::keywords::Keyword;
use af_channels::twilio::{CallOutcome, InboundMessage, StatusCallback};
use af_channels::{DeliveryStatus, twiml};
use af_core::vocab::{Channel, EventKind, MessageStatus};
use af_core::{Actor, ContactId, Locale, MessageId, WorkspaceId};
use af_db::messages::StatusUpdate;
use af_db::workspaces::Workspace;
use af_service::conversations::inbound::{self, InboundText};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use utoipa::ToSchema;

/// Mounted outside the session / CSRF router (see `lib.rs`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/twilio/{slug}/status", post(message_status))
        .route("/webhooks/twilio/{slug}/inbound", post(inbound_message))
        .route("/webhooks/twilio/{slug}/voice", post(call_status))
}

type Params = Vec<(String, String)>;

/// The workspace of a request whose signature is valid; 404 for an unknown
/// workspace, 403 for a missing or wrong signature (or no Twilio account).
async fn verified(
    st: &AppState,
    slug: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    params: &Params,
) -> AppResult<Workspace> {
    let ws = af_db::workspaces::find_workspace_by_slug(&st.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let (creds, _) = af_engine::channels::workspace_credentials(&st.db, &st.secret, ws.id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let cfg = st.config.channels.providers.with_workspace(&creds);
    let Some(token) = cfg.twilio_auth_token else {
        return Err(AppError::Forbidden);
    };
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let url = format!("{}{}", st.config.base_url, path);
    if !af_channels::twilio_signature::validate(token.expose(), &url, params, signature) {
        tracing::warn!(workspace.id = %ws.id, "Twilio webhook with an invalid signature");
        return Err(AppError::Forbidden);
    }
    Ok(ws)
}

/// A message status callback, as Twilio posts it (the fields read).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(example = json!({"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "undelivered", "ErrorCode": "63016"}))]
pub struct TwilioStatusForm {
    /// The message's SID (`SmsSid` is read too).
    pub message_sid: String,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed` or `read` (`SmsStatus` is read too).
    pub message_status: String,
    /// Twilio's error code on failure (an opt-out code marks the contact opted out).
    pub error_code: Option<String>,
}

/// An inbound SMS or WhatsApp message, as Twilio posts it (the fields read).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(example = json!({"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "whatsapp:+5215512345678", "To": "whatsapp:+5215598765432", "Body": "Hola, quiero información", "ProfileName": "Lucía", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM0123/Media/ME0123", "MediaContentType0": "image/jpeg"}))]
pub struct TwilioInboundForm {
    /// The message's SID.
    pub message_sid: String,
    /// The sender: `+E.164`, or `whatsapp:+E.164`.
    pub from: String,
    /// The workspace's number it was sent to.
    pub to: String,
    /// The text; `STOP`, `START` and `HELP` are keywords.
    pub body: String,
    /// The sender's WhatsApp profile name.
    pub profile_name: Option<String>,
    /// How many files come with it.
    pub num_media: Option<String>,
    /// Each file's address (`MediaUrl0`, `MediaUrl1`…), fetched with the account's credentials.
    #[serde(rename = "MediaUrl0")]
    pub media_url0: Option<String>,
    /// Each file's type (`MediaContentType0`…).
    #[serde(rename = "MediaContentType0")]
    pub media_content_type0: Option<String>,
}

/// A call status callback, as Twilio posts it (the fields read).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(example = json!({"CallSid": "CA0123456789abcdef0123456789abcdef", "CallStatus": "completed", "AnsweredBy": "human"}))]
pub struct TwilioCallForm {
    /// The call's SID.
    pub call_sid: String,
    /// `completed`, `no-answer`, `busy`, `failed`, `canceled`…
    pub call_status: String,
    /// With answering-machine detection: `human`, `machine_start`, `machine_end_beep`, `fax`…
    pub answered_by: Option<String>,
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

/// Twilio message status
///
/// The message found by Twilio's SID moves on (delivered, undelivered or failed with Twilio's error code); an opt-out error code marks the contact opted out; any other undelivered or failed WhatsApp message gets its step's SMS fallback.
#[utoipa::path(
    post,
    path = "/webhooks/twilio/{slug}/status",
    operation_id = "twilio_message_status",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("X-Twilio-Signature" = String, Header, description = "Twilio's signature of the URL and parameters with the account's auth token."),
    ),
    request_body(content = TwilioStatusForm, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses(
        (status = 204, description = "Taken (or nothing to change)."),
        (status = 403, description = "A missing or wrong signature, or no Twilio account."),
        (status = 404, description = "No such workspace."),
    ),
)]
pub async fn message_status(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> AppResult<Response> {
    let ws = verified(&st, &slug, &uri, &headers, &params).await?;
    let Some(cb) = StatusCallback::from_params(&params) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let Some(m) = af_db::channels::find_message_by_provider_id(&mut tx, ws.id, &cb.sid).await?
    else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    match cb.status {
        // Still on its way, or a state we do not know: keep what we have.
        None | Some(DeliveryStatus::Queued) => {}
        // Out of order (a late `sent` after `delivered`): nothing changes.
        Some(status) if !status.advances(&m.status) => {}
        Some(status) => {
            let error = cb.error_code.clone();
            let u = StatusUpdate {
                status: status.into(),
                provider: Some("twilio"),
                error: error.as_deref(),
                ..Default::default()
            };
            af_db::messages::update_status(&mut tx, ws.id, m.id, &u, now).await?;
            let opted_out = cb.is_opt_out();
            if opted_out && let Some(c) = m.contact_id {
                inbound::set_sms_opt_out(&mut tx, ws.id, ContactId(c), true, now).await?;
            }
            // WhatsApp mostly fails here, after Twilio accepted the message:
            // the step's SMS fallback applies as to a refusal at send time.
            if !opted_out
                && m.channel == Channel::WhatsApp
                && matches!(status, DeliveryStatus::Undelivered | DeliveryStatus::Failed)
            {
                af_engine::fallback::enqueue(&mut tx, ws.id, m.id, now).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Twilio inbound message
///
/// An SMS or WhatsApp message, stored in the thread of the contact with that phone (or a new contact), its files fetched; STOP and START opt the contact out and back in, HELP is answered.
#[utoipa::path(
    post,
    path = "/webhooks/twilio/{slug}/inbound",
    operation_id = "twilio_inbound",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("X-Twilio-Signature" = String, Header, description = "Twilio's signature of the URL and parameters with the account's auth token."),
    ),
    request_body(content = TwilioInboundForm, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses(
        (status = 200, description = "TwiML: empty, or the HELP answer.", body = String, content_type = "text/xml", example = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"),
        (status = 403, description = "A missing or wrong signature, or no Twilio account."),
        (status = 404, description = "No such workspace."),
    ),
)]
pub async fn inbound_message(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> AppResult<Response> {
    let ws = verified(&st, &slug, &uri, &headers, &params).await?;
    let Some(msg) = InboundMessage::from_params(&params) else {
        return Ok(xml(twiml::message_reply("")));
    };
    let media = crate::api::twilio_media::fetch_all(&st, &ws, &msg).await;
    let inbound = InboundText {
        channel: msg.channel.into(),
        from: &msg.from,
        to: &msg.to,
        body: &msg.body,
        sid: &msg.sid,
        profile_name: msg.profile_name.as_deref(),
        keyword: msg.keyword,
        media,
    };
    inbound::receive_text(&st.db, &ws, &inbound, st.now()).await?;
    let reply = match msg.keyword {
        Some(Keyword::Help) => {
            let locale = ws.locale.parse::<Locale>().unwrap_or(Locale::Es);
            format!("{}: {}", ws.name, ChannelsTr::get(locale).sms_help)
        }
        _ => String::new(),
    };
    Ok(xml(twiml::message_reply(&reply)))
}

/// Twilio call status
///
/// Once the call has an outcome, its message is updated and `call.completed` resumes the voice step waiting for it (once: later callbacks of the same call change nothing).
#[utoipa::path(
    post,
    path = "/webhooks/twilio/{slug}/voice",
    operation_id = "twilio_call_status",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("X-Twilio-Signature" = String, Header, description = "Twilio's signature of the URL and parameters with the account's auth token."),
    ),
    request_body(content = TwilioCallForm, content_type = "application/x-www-form-urlencoded"),
    security(()),
    responses(
        (status = 204, description = "Taken (or nothing to change)."),
        (status = 403, description = "A missing or wrong signature, or no Twilio account."),
        (status = 404, description = "No such workspace."),
    ),
)]
pub async fn call_status(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Form(params): Form<Params>,
) -> AppResult<Response> {
    let ws = verified(&st, &slug, &uri, &headers, &params).await?;
    let Some(cb) = StatusCallback::from_params(&params) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let Some(outcome) = cb.call_outcome() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let Some(m) = af_db::channels::find_message_by_provider_id(&mut tx, ws.id, &cb.sid).await?
    else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    if m.status != MessageStatus::Sent && m.status != MessageStatus::Queued {
        return Ok(StatusCode::NO_CONTENT.into_response()); // outcome already recorded
    }
    let (status, name) = match outcome {
        CallOutcome::Answered => (MessageStatus::Delivered, "answered"),
        CallOutcome::Machine => (MessageStatus::Delivered, "voicemail"),
        CallOutcome::NoAnswer => (MessageStatus::Failed, "no_answer"),
        CallOutcome::Busy => (MessageStatus::Failed, "busy"),
        CallOutcome::Failed => (MessageStatus::Failed, "failed"),
    };
    let u = StatusUpdate {
        status,
        provider: Some("twilio"),
        error: (status == MessageStatus::Failed).then_some(name),
        ..Default::default()
    };
    af_db::messages::update_status(&mut tx, ws.id, m.id, &u, now).await?;
    call_completed(&mut tx, ws.id, m.contact_id, m.id, name, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn call_completed(
    tx: &mut af_db::Tx,
    ws: WorkspaceId,
    contact: Option<uuid::Uuid>,
    message: MessageId,
    outcome: &str,
    now: af_db::Ts,
) -> AppResult<()> {
    let event = af_db::events::NewEvent {
        workspace: ws,
        kind: EventKind::CallCompleted.as_str(),
        entity_type: "contact",
        entity_id: contact.map(|c| c.to_string()),
        actor: &Actor::system(),
        data: serde_json::json!({
            "contact_id": contact, "message_id": message, "outcome": outcome, "provider": "twilio",
        }),
    };
    af_db::events::insert_event(tx, &event, now).await?;
    Ok(())
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(message_status, inbound_message, call_status))]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A call status callback, as Twilio posts it (the fields read).",
        "Un aviso de estado de llamada, tal como lo envía Twilio (los campos que se leen).",
    ),
    (
        "A message status callback, as Twilio posts it (the fields read).",
        "Un aviso de estado de mensaje, tal como lo envía Twilio (los campos que se leen).",
    ),
    (
        "A missing or wrong signature, or no Twilio account.",
        "Falta la firma o es incorrecta, o no hay cuenta de Twilio.",
    ),
    (
        "An SMS or WhatsApp message, stored in the thread of the contact with that phone (or a new contact), its files fetched; STOP and START opt the contact out and back in, HELP is answered.",
        "Un SMS o mensaje de WhatsApp, guardado en la conversación del contacto con ese teléfono (o de un contacto nuevo), con sus archivos descargados; STOP y START dan de baja y de alta al contacto, HELP recibe respuesta.",
    ),
    (
        "An inbound SMS or WhatsApp message, as Twilio posts it (the fields read).",
        "Un SMS o mensaje de WhatsApp entrante, tal como lo envía Twilio (los campos que se leen).",
    ),
    (
        "Each file's address (`MediaUrl0`, `MediaUrl1`…), fetched with the account's credentials.",
        "La dirección de cada archivo (`MediaUrl0`, `MediaUrl1`…), que se descarga con las credenciales de la cuenta.",
    ),
    (
        "Each file's type (`MediaContentType0`…).",
        "El tipo de cada archivo (`MediaContentType0`…).",
    ),
    ("How many files come with it.", "Cuántos archivos trae."),
    (
        "Once the call has an outcome, its message is updated and `call.completed` resumes the voice step waiting for it (once: later callbacks of the same call change nothing).",
        "Cuando la llamada tiene resultado, su mensaje se actualiza y `call.completed` reanuda el paso de voz que lo espera (una sola vez: los avisos posteriores de la misma llamada no cambian nada).",
    ),
    (
        "Taken (or nothing to change).",
        "Recibido (o nada que cambiar).",
    ),
    ("The call's SID.", "El SID de la llamada."),
    (
        "The message found by Twilio's SID moves on (delivered, undelivered or failed with Twilio's error code); an opt-out error code marks the contact opted out; any other undelivered or failed WhatsApp message gets its step's SMS fallback.",
        "El mensaje que corresponde al SID de Twilio avanza (entregado, no entregado o fallido con el código de error de Twilio); un código de error de baja marca al contacto como dado de baja; cualquier otro mensaje de WhatsApp no entregado o fallido recibe el SMS de respaldo de su paso.",
    ),
    (
        "The message's SID (`SmsSid` is read too).",
        "El SID del mensaje (también se lee `SmsSid`).",
    ),
    ("The message's SID.", "El SID del mensaje."),
    (
        "The sender's WhatsApp profile name.",
        "El nombre de perfil de WhatsApp del remitente.",
    ),
    (
        "The sender: `+E.164`, or `whatsapp:+E.164`.",
        "El remitente: `+E.164` o `whatsapp:+E.164`.",
    ),
    (
        "The text; `STOP`, `START` and `HELP` are keywords.",
        "El texto; `STOP`, `START` y `HELP` son palabras clave.",
    ),
    (
        "The workspace's number it was sent to.",
        "El número del espacio al que se envió.",
    ),
    (
        "TwiML: empty, or the HELP answer.",
        "TwiML: vacío, o la respuesta a HELP.",
    ),
    ("Twilio call status", "Estado de llamada de Twilio"),
    ("Twilio inbound message", "Mensaje entrante de Twilio"),
    ("Twilio message status", "Estado de mensaje de Twilio"),
    (
        "Twilio's error code on failure (an opt-out code marks the contact opted out).",
        "El código de error de Twilio cuando falla (un código de baja marca al contacto como dado de baja).",
    ),
    (
        "Twilio's signature of the URL and parameters with the account's auth token.",
        "La firma de Twilio de la URL y los parámetros con el auth token de la cuenta.",
    ),
    (
        "With answering-machine detection: `human`, `machine_start`, `machine_end_beep`, `fax`…",
        "Con detección de contestador: `human`, `machine_start`, `machine_end_beep`, `fax`…",
    ),
    (
        "`completed`, `no-answer`, `busy`, `failed`, `canceled`…",
        "`completed`, `no-answer`, `busy`, `failed`, `canceled`…",
    ),
    (
        "`queued`, `sent`, `delivered`, `undelivered`, `failed` or `read` (`SmsStatus` is read too).",
        "`queued`, `sent`, `delivered`, `undelivered`, `failed` o `read` (también se lee `SmsStatus`).",
    ),
];
