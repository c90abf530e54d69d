//! Email engagement (issue 17), public endpoints with their own
//! authentication, never a session or CSRF token:
//!
//! - `POST /webhooks/sendgrid/{workspace_slug}`: SendGrid's signed event
//!   webhook, checked with the workspace's verification key (its own, else
//!   the server's `SENDGRID_WEBHOOK_PUBLIC_KEY`) over the timestamp and raw
//!   body, the timestamp within ten minutes of our clock; 403 otherwise.
//! - `POST /webhooks/brevo/{workspace_slug}/{token}`: Brevo's transactional
//!   webhook. Brevo does not sign its posts, and its bearer / basic auth
//!   exist only for webhooks made through its API, so the URL carries the
//!   secret: a per-workspace token derived from the server key (shown on
//!   Configuración → Canales, compared in constant time; 404 when wrong).
//! - `GET /t/o/{token}.gif` and `GET /t/c/{token}`: our open pixel and click
//!   redirect on marketing email (`af_channels::tracking`); a forged or
//!   altered token, or a link index the stored message does not have, is
//!   404; the target is the stored message's link, never the request's.
//!
//! Each vendor event is recorded once per (workspace, provider, event key),
//! so a replay is a no-op 200. It moves the message on (delivered, opened,
//! clicked; bounced or dropped → failed with the vendor's reason), records
//! `email_opened` / `email_clicked` activities with a key per message (per
//! message and link for clicks), so the vendor's report and our pixel score
//! once between them, and a hard bounce or spam report suppresses marketing
//! email to the address; a vendor unsubscribe unsubscribes the contact.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use af_channels::email_events::{
    self as ev, EmailEvent, EventKind, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER,
    SendGridKey,
};
use af_channels::tracking;
use af_core::crypto::SecretKey;
use af_core::vocab::MessageStatus;
use af_core::{Actor, ContactId, MessageId, WorkspaceId};
use af_db::email_events::{self as store, NewEmailEvent, NewSuppression};
use af_db::messages::{Message, StatusUpdate};
use af_db::scoring::{NewActivity, Scorer};
use af_db::{Ts, Tx};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use utoipa::ToSchema;

/// Mounted outside the session / CSRF router (see `lib.rs`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/sendgrid/{slug}", post(sendgrid))
        .route("/webhooks/brevo/{slug}/{token}", post(brevo))
        .route("/t/o/{file}", get(open_pixel))
        .route("/t/c/{token}", get(click))
}

const BREVO_PURPOSE: &str = "brevo-webhook";

/// The Brevo webhook token of a workspace.
pub fn brevo_token(key: &SecretKey, ws: WorkspaceId) -> String {
    key.sign(BREVO_PURPOSE, &ws.to_string())
}

/// The URL to paste in Brevo's console (transactional webhook).
pub fn brevo_webhook_url(base_url: &str, key: &SecretKey, ws: WorkspaceId, slug: &str) -> String {
    format!(
        "{}/webhooks/brevo/{slug}/{}",
        base_url.trim_end_matches('/'),
        brevo_token(key, ws)
    )
}

/// The URL to paste in SendGrid's console (Mail Settings → Event Webhook).
pub fn sendgrid_webhook_url(base_url: &str, slug: &str) -> String {
    format!(
        "{}/webhooks/sendgrid/{slug}",
        base_url.trim_end_matches('/')
    )
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

/// One SendGrid event (the fields read); the post is a JSON array of them.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"event": "open", "sg_event_id": "ZGVsaXZlcmVk", "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001", "timestamp": 1893456000, "email": "lucia@example.com", "af_message_id": "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60"}))]
pub struct SendGridEventDoc {
    /// `delivered`, `open`, `click`, `bounce`, `dropped`, `spamreport`, `unsubscribe` or `group_unsubscribe`; others are only remembered.
    pub event: String,
    /// The event's id: a replay of it changes nothing.
    pub sg_event_id: String,
    /// SendGrid's id of the message.
    pub sg_message_id: Option<String>,
    /// Our message's id (a custom argument we send).
    pub af_message_id: Option<String>,
    /// When it happened, Unix seconds.
    pub timestamp: Option<i64>,
    /// With `click`: the link.
    pub url: Option<String>,
    /// With `bounce`: `bounce` (hard) or `blocked` (soft).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// With `open`: true when a mail client's proxy opened it, not a person.
    pub sg_machine_open: Option<bool>,
    /// Why a bounce or drop happened.
    pub reason: Option<String>,
}

/// One Brevo transactional event (the fields read); a post holds one or a list.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"event": "opened", "message-id": "<202401011200.12345@smtp-relay.mailin.fr>", "X-Mailin-custom": "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60", "ts_event": 1893456000, "email": "lucia@example.com"}))]
pub struct BrevoEventDoc {
    /// `delivered`, `opened`, `unique_opened`, `proxy_open`, `click`, `hard_bounce`, `soft_bounce`, `blocked`, `invalid_email`, `error`, `spam` or `unsubscribed`.
    pub event: String,
    /// Brevo's Message-ID of the email.
    #[serde(rename = "message-id")]
    pub message_id: Option<String>,
    /// Our message's id (a header we send).
    #[serde(rename = "X-Mailin-custom")]
    pub x_mailin_custom: Option<String>,
    /// When it happened, Unix seconds (`ts` is read too).
    pub ts_event: Option<i64>,
    /// With `click`: the link.
    pub link: Option<String>,
    /// Why a bounce or block happened.
    pub reason: Option<String>,
}

/// SendGrid email events
///
/// SendGrid's signed Event Webhook: the signature (ECDSA over the timestamp and the raw body) is checked with the workspace's verification key, and the timestamp must be within ten minutes. Each event is applied once: the message moves on, opens and clicks score, a hard bounce or spam report suppresses marketing email to the address, an unsubscribe unsubscribes the contact.
#[utoipa::path(
    post,
    path = "/webhooks/sendgrid/{slug}",
    operation_id = "sendgrid_events",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("X-Twilio-Email-Event-Webhook-Signature" = String, Header, description = "SendGrid's base64 ECDSA signature of the timestamp and the raw body."),
        ("X-Twilio-Email-Event-Webhook-Timestamp" = String, Header, description = "The Unix time SendGrid signed at."),
    ),
    request_body(content = Vec<SendGridEventDoc>, description = "SendGrid's events."),
    security(()),
    responses(
        (status = 200, description = "Taken (replays too)."),
        (status = 400, description = "Not SendGrid's events."),
        (status = 403, description = "A bad signature or timestamp, or no verification key."),
        (status = 404, description = "No such workspace."),
    ),
)]
pub async fn sendgrid(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Response> {
    let Some(ws) = af_db::workspaces::find_workspace_by_slug(&st.db, &slug).await? else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let (creds, _) = af_engine::channels::workspace_credentials(&st.db, &st.secret, ws.id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let cfg = st.config.channels.providers.with_workspace(&creds);
    let Some(key) = cfg
        .sendgrid_webhook_key
        .as_deref()
        .and_then(|k| SendGridKey::parse(k).ok())
    else {
        return Ok(status(StatusCode::FORBIDDEN));
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let (signature, timestamp) = (
        header(SENDGRID_SIGNATURE_HEADER),
        header(SENDGRID_TIMESTAMP_HEADER),
    );
    let now = st.now();
    if !ev::timestamp_fresh(timestamp, now.0.as_second())
        || !key.verify(timestamp, &body, signature)
    {
        tracing::warn!(workspace.id = %ws.id, "SendGrid event webhook with a bad signature or timestamp");
        return Ok(status(StatusCode::FORBIDDEN));
    }
    let Some(events) = ev::parse_sendgrid(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    apply_all(&st, ws.id, &events, now).await?;
    Ok(status(StatusCode::OK))
}

/// Brevo email events
///
/// Brevo's transactional webhook (one event, or a list). Brevo does not sign it: the URL carries a per-workspace token (Settings → Channels). Each event is applied once, as SendGrid's are.
#[utoipa::path(
    post,
    path = "/webhooks/brevo/{slug}/{token}",
    operation_id = "brevo_events",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("token" = String, Path, description = "The workspace's webhook token, as shown in Settings → Channels."),
    ),
    request_body(content = BrevoEventDoc, description = "One Brevo event, or a list of them."),
    security(()),
    responses(
        (status = 200, description = "Taken (replays too)."),
        (status = 400, description = "Not Brevo's events."),
        (status = 404, description = "No such workspace, or a wrong token."),
    ),
)]
pub async fn brevo(
    State(st): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    body: Bytes,
) -> AppResult<Response> {
    let Some(ws) = af_db::workspaces::find_workspace_by_slug(&st.db, &slug).await? else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    if !st
        .secret
        .verify(BREVO_PURPOSE, &ws.id.to_string(), token.trim())
    {
        tracing::warn!(workspace.id = %ws.id, "Brevo webhook with a wrong token");
        return Ok(status(StatusCode::NOT_FOUND));
    }
    let Some(events) = ev::parse_brevo(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    apply_all(&st, ws.id, &events, st.now()).await?;
    Ok(status(StatusCode::OK))
}

/// Applies a batch in one transaction; each event once.
async fn apply_all(
    st: &AppState,
    ws: WorkspaceId,
    events: &[EmailEvent],
    now: Ts,
) -> AppResult<()> {
    let mut tx = st.db.begin().await?;
    let mut scorer = None;
    for e in events {
        let m = store::find_email_message(
            &mut tx,
            ws,
            e.our_id.map(MessageId),
            e.provider_id.as_deref(),
        )
        .await?;
        let at =
            e.at.and_then(|s| jiff::Timestamp::from_second(s).ok())
                .map(Ts::new);
        let new = NewEmailEvent {
            workspace: ws,
            provider: e.provider,
            key: &e.key,
            message: m.as_ref().map(|m| m.id),
            event: &e.name,
            occurred_at: at,
        };
        if !store::insert_event_once(&mut tx, &new, now).await? {
            continue; // a replay
        }
        // Events about mail that is not ours (another system on the same
        // vendor account) are only remembered.
        let Some(m) = m else { continue };
        let occurred = at.unwrap_or(now);
        match &e.kind {
            EventKind::Delivered => advance(&mut tx, ws, &m, MessageStatus::Delivered, now).await?,
            EventKind::Opened { machine } => {
                advance(&mut tx, ws, &m, MessageStatus::Opened, now).await?;
                if !machine {
                    let s = scorer_of(&mut tx, ws, &mut scorer).await?;
                    opened(&mut tx, ws, s, &m, e.provider, occurred, now).await?;
                }
            }
            EventKind::Clicked { url } => {
                advance(&mut tx, ws, &m, MessageStatus::Clicked, now).await?;
                let target = our_target(st, ws, &m, url).unwrap_or_else(|| url.clone());
                let s = scorer_of(&mut tx, ws, &mut scorer).await?;
                clicked(&mut tx, ws, s, &m, &target, e.provider, occurred, now).await?;
            }
            EventKind::HardBounce | EventKind::Spam => {
                let (reason, word) = match e.kind {
                    EventKind::Spam => ("spam", "spam"),
                    _ => ("hard_bounce", "bounce"),
                };
                if e.kind == EventKind::HardBounce {
                    let error = failure_text(word, e.reason.as_deref());
                    fail(&mut tx, ws, &m, MessageStatus::Failed, &error, now).await?;
                }
                let s = NewSuppression {
                    workspace: ws,
                    email: &m.to_address,
                    reason,
                    provider: e.provider,
                    detail: e.reason.as_deref(),
                    message: Some(m.id),
                };
                store::suppress(&mut tx, &s, now).await?;
            }
            EventKind::SoftBounce => {
                let error = failure_text("soft_bounce", e.reason.as_deref());
                fail(&mut tx, ws, &m, MessageStatus::Undelivered, &error, now).await?;
            }
            EventKind::Dropped => {
                let error = failure_text(&e.name, e.reason.as_deref());
                fail(&mut tx, ws, &m, MessageStatus::Failed, &error, now).await?;
            }
            EventKind::Unsubscribed => {
                if let Some(c) = m.contact_id {
                    unsubscribe(&mut tx, ws, ContactId(c), e.provider, now).await?;
                }
            }
            EventKind::Other => {}
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn scorer_of<'a>(
    tx: &mut Tx,
    ws: WorkspaceId,
    slot: &'a mut Option<Scorer>,
) -> AppResult<&'a Scorer> {
    if slot.is_none() {
        *slot = Some(Scorer::load(tx, ws).await?);
    }
    slot.as_ref().ok_or(AppError::NotFound)
}

fn failure_text(word: &str, reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("{word}: {r}"),
        None => word.to_owned(),
    }
}

/// Moves the message on when `to` is further along (a late `delivered`
/// never undoes `opened`).
async fn advance(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Message,
    to: MessageStatus,
    now: Ts,
) -> AppResult<()> {
    let cur = af_db::messages::find_message_tx(tx, ws, m.id)
        .await?
        .map(|m| m.status)
        .unwrap_or_default();
    if MessageStatus::rank_of(to.as_str()) <= MessageStatus::rank_of(&cur) {
        return Ok(());
    }
    let u = StatusUpdate {
        status: to,
        ..Default::default()
    };
    af_db::messages::update_status(tx, ws, m.id, &u, now).await?;
    Ok(())
}

/// A bounce or drop: the message failed, unless the person already opened
/// or clicked it (then the report is late or about a copy).
async fn fail(
    tx: &mut Tx,
    ws: WorkspaceId,
    m: &Message,
    to: MessageStatus,
    error: &str,
    now: Ts,
) -> AppResult<()> {
    let cur = af_db::messages::find_message_tx(tx, ws, m.id)
        .await?
        .map(|m| m.status)
        .unwrap_or_default();
    let rank = MessageStatus::rank_of(&cur);
    if rank > 2 || cur == MessageStatus::Failed.as_str() {
        return Ok(());
    }
    let u = StatusUpdate {
        status: to,
        error: Some(error),
        ..Default::default()
    };
    af_db::messages::update_status(tx, ws, m.id, &u, now).await?;
    Ok(())
}

async fn unsubscribe(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    provider: &str,
    now: Ts,
) -> AppResult<()> {
    let patch = af_db::contacts::ContactPatch {
        email_unsubscribed: Some(true),
        ..Default::default()
    };
    let mut actor = Actor::system();
    actor.label = provider_label(provider).into();
    af_db::contacts::update_contact(tx, ws, contact, &patch, &actor, now).await?;
    Ok(())
}

fn provider_label(provider: &str) -> &'static str {
    match provider {
        "sendgrid" => "SendGrid",
        "brevo" => "Brevo",
        _ => "AgencyFlow",
    }
}

/// `email_opened`, once per message whoever reports it.
async fn opened(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    m: &Message,
    source: &str,
    at: Ts,
    now: Ts,
) -> AppResult<()> {
    let Some(c) = m.contact_id else {
        return Ok(());
    };
    let a = NewActivity {
        contact: ContactId(c),
        kind: "email_opened".into(),
        occurred_at: at,
        source: source.into(),
        data: serde_json::json!({ "message_id": m.id, "subject": m.subject }),
        idempotency_key: Some(format!("email_opened:{}", m.id)),
    };
    let mut actor = Actor::system();
    actor.label = provider_label(source).into();
    af_db::scoring::record_activity(tx, ws, scorer, &a, &actor, now).await?;
    Ok(())
}

/// `email_clicked`, once per message and link.
#[expect(clippy::too_many_arguments, reason = "one activity, its parts named")]
async fn clicked(
    tx: &mut Tx,
    ws: WorkspaceId,
    scorer: &Scorer,
    m: &Message,
    url: &str,
    source: &str,
    at: Ts,
    now: Ts,
) -> AppResult<()> {
    let Some(c) = m.contact_id else {
        return Ok(());
    };
    let url: String = url.chars().take(2000).collect();
    let link = &af_core::crypto::sha256_hex(&url)[..16];
    let a = NewActivity {
        contact: ContactId(c),
        kind: "email_clicked".into(),
        occurred_at: at,
        source: source.into(),
        data: serde_json::json!({ "message_id": m.id, "subject": m.subject, "url": url }),
        idempotency_key: Some(format!("email_clicked:{}:{link}", m.id)),
    };
    let mut actor = Actor::system();
    actor.label = provider_label(source).into();
    af_db::scoring::record_activity(tx, ws, scorer, &a, &actor, now).await?;
    Ok(())
}

/// When a vendor reports a click on one of our own redirects, the stored
/// link it stands for (so the vendor's click and ours count once).
fn our_target(st: &AppState, ws: WorkspaceId, m: &Message, url: &str) -> Option<String> {
    let prefix = format!("{}/t/c/", st.config.base_url.trim_end_matches('/'));
    let token = url.strip_prefix(&prefix)?;
    let (token_ws, id, index) = tracking::verify_click(&st.secret, token)?;
    if id != m.id || token_ws != ws {
        return None;
    }
    let html = m.body_html.as_deref()?;
    tracking::links(html, &st.config.base_url)
        .into_iter()
        .nth(usize::from(index))
}

/// The marketing email a tracking token names, when it still exists.
async fn tracked_message(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: MessageId,
) -> AppResult<Option<Message>> {
    Ok(af_db::messages::find_message_tx(tx, ws, id)
        .await?
        .filter(|m| m.channel == "email" && m.category == "marketing"))
}

fn gif() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store, max-age=0"),
        ],
        tracking::PIXEL_GIF,
    )
        .into_response()
}

/// The open pixel.
pub async fn open_pixel(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let Some((ws, id)) = file
        .strip_suffix(".gif")
        .and_then(|t| tracking::verify_open(&st.secret, t))
    else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let Some(m) = tracked_message(&mut tx, ws, id).await? else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    advance(&mut tx, ws, &m, MessageStatus::Opened, now).await?;
    let scorer = Scorer::load(&mut tx, ws).await?;
    opened(&mut tx, ws, &scorer, &m, "tracking", now, now).await?;
    tx.commit().await?;
    Ok(gif())
}

/// The click redirect: 302 to the stored message's link.
pub async fn click(State(st): State<AppState>, Path(token): Path<String>) -> AppResult<Response> {
    let Some((ws, id, index)) = tracking::verify_click(&st.secret, &token) else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let Some(m) = tracked_message(&mut tx, ws, id).await? else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    let Some(target) = m
        .body_html
        .as_deref()
        .map(|h| tracking::links(h, &st.config.base_url))
        .and_then(|l| l.into_iter().nth(usize::from(index)))
        .and_then(|u| url::Url::parse(&u).ok())
        .map(String::from)
    else {
        return Ok(status(StatusCode::NOT_FOUND));
    };
    advance(&mut tx, ws, &m, MessageStatus::Clicked, now).await?;
    let scorer = Scorer::load(&mut tx, ws).await?;
    clicked(&mut tx, ws, &scorer, &m, &target, "tracking", now, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, target),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response())
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(sendgrid, brevo))]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A bad signature or timestamp, or no verification key.",
        "Una firma o marca de tiempo incorrecta, o falta la clave de verificación.",
    ),
    ("Brevo email events", "Eventos de correo de Brevo"),
    (
        "Brevo's Message-ID of the email.",
        "El Message-ID de Brevo del correo.",
    ),
    (
        "Brevo's transactional webhook (one event, or a list). Brevo does not sign it: the URL carries a per-workspace token (Settings → Channels). Each event is applied once, as SendGrid's are.",
        "El webhook transaccional de Brevo (un evento o una lista). Brevo no lo firma: la URL lleva un token por espacio de trabajo (Configuración → Canales). Cada evento se aplica una vez, como los de SendGrid.",
    ),
    (
        "No such workspace, or a wrong token.",
        "No existe ese espacio de trabajo, o el token es incorrecto.",
    ),
    ("Not Brevo's events.", "No son eventos de Brevo."),
    ("Not SendGrid's events.", "No son eventos de SendGrid."),
    (
        "One Brevo event, or a list of them.",
        "Un evento de Brevo, o una lista de ellos.",
    ),
    (
        "One Brevo transactional event (the fields read); a post holds one or a list.",
        "Un evento transaccional de Brevo (los campos que se leen); un envío trae uno o una lista.",
    ),
    (
        "One SendGrid event (the fields read); the post is a JSON array of them.",
        "Un evento de SendGrid (los campos que se leen); el envío es un arreglo JSON de ellos.",
    ),
    (
        "Our message's id (a custom argument we send).",
        "El id de nuestro mensaje (un argumento personalizado que enviamos).",
    ),
    (
        "Our message's id (a header we send).",
        "El id de nuestro mensaje (una cabecera que enviamos).",
    ),
    ("SendGrid email events", "Eventos de correo de SendGrid"),
    (
        "SendGrid's base64 ECDSA signature of the timestamp and the raw body.",
        "La firma ECDSA en base64 de SendGrid de la marca de tiempo y el cuerpo sin procesar.",
    ),
    ("SendGrid's events.", "Los eventos de SendGrid."),
    (
        "SendGrid's id of the message.",
        "El id de SendGrid del mensaje.",
    ),
    (
        "SendGrid's signed Event Webhook: the signature (ECDSA over the timestamp and the raw body) is checked with the workspace's verification key, and the timestamp must be within ten minutes. Each event is applied once: the message moves on, opens and clicks score, a hard bounce or spam report suppresses marketing email to the address, an unsubscribe unsubscribes the contact.",
        "El Event Webhook firmado de SendGrid: la firma (ECDSA sobre la marca de tiempo y el cuerpo sin procesar) se comprueba con la clave de verificación del espacio, y la marca de tiempo debe estar dentro de diez minutos. Cada evento se aplica una vez: el mensaje avanza, las aperturas y los clics suman puntos, un rebote duro o una denuncia de spam suprime el correo de marketing a esa dirección, y una baja da de baja al contacto.",
    ),
    (
        "Taken (replays too).",
        "Recibido (también las repeticiones).",
    ),
    (
        "The Unix time SendGrid signed at.",
        "La hora Unix en que firmó SendGrid.",
    ),
    (
        "The event's id: a replay of it changes nothing.",
        "El id del evento: repetirlo no cambia nada.",
    ),
    (
        "The workspace's webhook token, as shown in Settings → Channels.",
        "El token de webhook del espacio, como aparece en Configuración → Canales.",
    ),
    (
        "When it happened, Unix seconds (`ts` is read too).",
        "Cuándo pasó, en segundos Unix (también se lee `ts`).",
    ),
    (
        "When it happened, Unix seconds.",
        "Cuándo pasó, en segundos Unix.",
    ),
    (
        "Why a bounce or block happened.",
        "Por qué ocurrió un rebote o un bloqueo.",
    ),
    (
        "Why a bounce or drop happened.",
        "Por qué ocurrió un rebote o un descarte.",
    ),
    (
        "With `bounce`: `bounce` (hard) or `blocked` (soft).",
        "Con `bounce`: `bounce` (duro) o `blocked` (suave).",
    ),
    ("With `click`: the link.", "Con `click`: el enlace."),
    (
        "With `open`: true when a mail client's proxy opened it, not a person.",
        "Con `open`: true cuando lo abrió el proxy de un cliente de correo, no una persona.",
    ),
    (
        "`delivered`, `open`, `click`, `bounce`, `dropped`, `spamreport`, `unsubscribe` or `group_unsubscribe`; others are only remembered.",
        "`delivered`, `open`, `click`, `bounce`, `dropped`, `spamreport`, `unsubscribe` o `group_unsubscribe`; los demás solo se recuerdan.",
    ),
    (
        "`delivered`, `opened`, `unique_opened`, `proxy_open`, `click`, `hard_bounce`, `soft_bounce`, `blocked`, `invalid_email`, `error`, `spam` or `unsubscribed`.",
        "`delivered`, `opened`, `unique_opened`, `proxy_open`, `click`, `hard_bounce`, `soft_bounce`, `blocked`, `invalid_email`, `error`, `spam` o `unsubscribed`.",
    ),
];
