//! Machine-to-machine intake, outside the session and CSRF router: the
//! PAUTA-compatible `POST /api/lead` and the Cal.com webhook
//! (`POST /api/calcom`, `POST /webhooks/calcom/{workspace_slug}`).
//!
//! These keep PAUTA's response shape, `{"ok": true, ...}` or
//! `{"ok": false, "error": "..."}` naming the field ([`PautaError`]), and
//! never answer 500 to bad input: every body is size-capped and parsed
//! defensively. Here are keys, signatures, bodies and answers; what happens
//! to the lead and the booking is `af_service::intake` and
//! `af_service::bookings`.

use crate::api::openapi::schemas::PautaErrorBody;
use crate::auth::ClientIp;
use crate::error::{PautaError, pauta_json};
use crate::intake::{self, MAX_PUBLIC_BODY};
use crate::state::AppState;
use af_core::crypto;
use af_core::{Actor, AppointmentId, ContactId, DealId};
use af_db::DbError;
use af_db::api_keys::{ApiKey, KeyScope};
use af_db::inbound_webhooks;
use af_db::workspaces::Workspace;
use af_service::bookings::{self, CalcomOutcome};
use af_service::intake::PautaLead;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lead", post(create_lead).options(preflight))
        .route("/api/calcom", post(calcom_webhook))
        .route(
            "/webhooks/calcom/{workspace_slug}",
            post(calcom_workspace_webhook),
        )
}

/// What the doors answer: a PAUTA-shaped success or a [`PautaError`].
type PautaResult = Result<Response, PautaError>;

/// `OPTIONS` for cross-origin callers (a landing page posting with fetch).
pub async fn preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization, x-api-key"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    res
}

/// The key presented in `Authorization: Bearer`, `X-Api-Key` or `?key=`.
fn presented_key<'a>(
    headers: &'a HeaderMap,
    query: &'a HashMap<String, String>,
) -> Option<&'a str> {
    crate::auth::presented_api_key(headers)
        .or_else(|| query.get("key").map(|k| k.trim()).filter(|k| !k.is_empty()))
}

/// The active key (full or intake scope) and its workspace.
async fn key_workspace(st: &AppState, key: &str) -> Result<Option<(ApiKey, Workspace)>, DbError> {
    let Some(k) =
        af_db::api_keys::find_active_api_key_by_hash(&st.db, &crypto::sha256_hex(key)).await?
    else {
        return Ok(None);
    };
    let Some(ws) = af_db::workspaces::find_workspace(&st.db, k.workspace_id).await? else {
        return Ok(None);
    };
    af_db::api_keys::touch_api_key(&st.db, &k, st.now()).await?;
    Ok(Some((k, ws)))
}

// ------------------------------------------------------------------ PAUTA

/// A PAUTA field as text: strings as given, numbers (a phone sent as a
/// number) as their digits; anything else is refused.
fn pauta_text(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, PautaError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(PautaError::field(key, "must be text")),
    }
}

/// A PAUTA lead: every field text (a number is read as its digits); an email or a phone is needed.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"nombre": "Lucía Pérez", "email": "lucia@example.com", "telefono": "+52 55 1234 5678", "empresa": "Café Lucía", "servicio": "Publicidad en redes", "fuente": "landing-verano"}))]
pub struct PautaLeadIn {
    /// Full name.
    pub nombre: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Phone, local or international.
    pub telefono: Option<String>,
    /// Company.
    pub empresa: Option<String>,
    /// The service asked about (kept in the `servicio` custom field).
    pub servicio: Option<String>,
    /// Where the lead came from (its source).
    pub fuente: Option<String>,
}

/// A lead taken in.
#[derive(Serialize, ToSchema)]
pub struct LeadOut {
    /// Always true.
    pub ok: bool,
    /// The workspace's lead number.
    #[schema(example = 42)]
    pub lead_id: i64,
    pub contact_id: ContactId,
    /// The deal the lead opened or joined.
    pub deal_id: DealId,
    /// True when the contact is new (201); false when an existing one was updated (200).
    pub created: bool,
}

/// A body in PAUTA's shape, with its CORS header.
fn pauta_body<T: Serialize>(status: StatusCode, body: &T) -> Response {
    pauta_json(status, serde_json::to_value(body).unwrap_or(Value::Null))
}

/// Take a lead (PAUTA)
///
/// PAUTA's lead door: `{"nombre","email","telefono","empresa","servicio","fuente"}` with an API key or the workspace's intake key (`?key=`, for landing pages). Without a key, the lead goes to the server's PAUTA workspace (`AF_PAUTA_WORKSPACE`) when one is set. The contact is created or updated by email or phone, and a deal opened. Intake keys and keyless calls have per-IP and per-key rate limits.
#[utoipa::path(
    post,
    path = "/api/lead",
    operation_id = "leads_create",
    tag = "Lead intake",
    params(("key" = Option<String>, Query, description = "The workspace's intake key (or a full API key), when not sent in a header.")),
    request_body = PautaLeadIn,
    security(("intake_key" = []), ("bearer" = []), ("api_key" = [])),
    responses(
        (status = 201, description = "A new contact and its lead.", body = LeadOut),
        (status = 200, description = "An existing contact, updated, and its lead.", body = LeadOut),
        (status = 400, description = "Not a JSON object, or a field that is not text.", body = PautaErrorBody),
        (status = 401, description = "No key, or an unknown or revoked one.", body = PautaErrorBody),
        (status = 413, description = "The body is too large.", body = PautaErrorBody),
        (status = 422, description = "A refused value: `field` names it.", body = PautaErrorBody),
        (status = 429, description = "Too many leads from this address or key: wait `Retry-After` seconds.", body = PautaErrorBody),
    ),
)]
async fn create_lead(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> PautaResult {
    let ip_hash = af_service::intake::ip_hash(&st.secret, &ip);
    let (ws, actor, bucket) = match presented_key(&headers, &query) {
        Some(key) => {
            let (key, ws) = key_workspace(&st, key)
                .await?
                .ok_or_else(|| PautaError::unauthorized("key: unknown or revoked key"))?;
            // Full keys are the operator's own servers: no public limits.
            let bucket = (key.scope() == KeyScope::Intake).then(|| format!("key:{}", key.id));
            (ws, Actor::api_key(key.id, &key.name), bucket)
        }
        // PAUTA's landing pages send no key: with AF_PAUTA_WORKSPACE set
        // they land there, behind the same public-door limits as a form.
        None => {
            let ws = pauta_workspace(&st).await?.ok_or_else(|| {
                PautaError::unauthorized(
                    "key: an API key or intake key is required (Authorization: Bearer, X-Api-Key or ?key=)",
                )
            })?;
            let bucket = Some(format!("pauta:{}", ws.id));
            let actor = Actor {
                kind: af_core::ActorKind::System,
                id: None,
                label: "PAUTA landing page".into(),
            };
            (ws, actor, bucket)
        }
    };
    if let Some(bucket) = bucket {
        let buckets = [
            (format!("ip:{ip_hash}"), st.config.intake_max_per_ip),
            (bucket, st.config.intake_max_per_form),
        ];
        if let Err(retry_after_secs) = intake::rate_limit(&st, &buckets).await? {
            return Err(PautaError::TooManyRequests { retry_after_secs });
        }
    }
    let bytes = intake::read_body(body, MAX_PUBLIC_BODY)
        .await
        .ok_or_else(|| {
            PautaError::too_large(format!("body: larger than {MAX_PUBLIC_BODY} bytes"))
        })?;
    let parsed: Value = serde_json::from_slice(&bytes).map_err(|_| {
        PautaError::bad_request("body: not valid JSON (send Content-Type: application/json)")
    })?;
    let Value::Object(obj) = parsed else {
        return Err(PautaError::bad_request("body: must be a JSON object"));
    };
    let mut lead = PautaLead::default();
    for (k, slot) in [
        ("nombre", &mut lead.nombre),
        ("email", &mut lead.email),
        ("telefono", &mut lead.telefono),
        ("empresa", &mut lead.empresa),
        ("fuente", &mut lead.fuente),
        ("servicio", &mut lead.servicio),
    ] {
        *slot = pauta_text(&obj, k)?.map(|s| s.chars().take(2000).collect());
    }
    let data: serde_json::Map<String, Value> = [
        "nombre", "email", "telefono", "empresa", "servicio", "fuente",
    ]
    .iter()
    .filter_map(|k| obj.get(*k).map(|v| (k.to_string(), v.clone())))
    .filter(|(_, v)| v.is_string() || v.is_number())
    .collect();
    // A refused lead names its PAUTA field (`From<IntakeError>`).
    let a = af_service::intake::accept_pauta_lead(
        &st.intake,
        &ws,
        lead,
        Value::Object(data),
        Some(ip_hash),
        actor,
        st.now(),
    )
    .await?;
    Ok(pauta_body(
        if a.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &LeadOut {
            ok: true,
            lead_id: a.submission.lead_number,
            contact_id: a.contact_id,
            deal_id: a.deal_id,
            created: a.created,
        },
    ))
}

// ---------------------------------------------------------------- Cal.com

/// Lowercase hex HMAC-SHA256 of the raw body, as Cal.com signs it.
pub fn calcom_signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

fn signature_matches(secret: &str, body: &[u8], presented: &str) -> bool {
    let want = calcom_signature(secret, body);
    crypto::constant_time_eq(
        want.as_bytes(),
        presented.trim().to_ascii_lowercase().as_bytes(),
    )
}

fn presented_signature(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-cal-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "no-secret-provided")
}

/// What a workspace's deliveries are checked against: the secrets they may
/// be signed with (its own, generated on the intake settings page, and the
/// server's `CALCOM_WEBHOOK_SECRET`), and whether it explicitly accepts
/// unsigned ones (testing only; off by default).
struct CalcomTrust {
    secrets: Vec<String>,
    allow_unsigned: bool,
}

async fn calcom_trust(st: &AppState, ws: &Workspace) -> Result<CalcomTrust, PautaError> {
    let mut secrets = Vec::new();
    if let Some(sealed) = inbound_webhooks::find_calcom_secret(&st.db, ws.id).await? {
        let secret = st
            .secret
            .open(&sealed)
            .map_err(|e| PautaError::Internal(anyhow::anyhow!("sealed Cal.com secret: {e}")))?;
        secrets.push(secret);
    }
    secrets.extend(st.config.calcom_webhook_secret.clone());
    let allow_unsigned = inbound_webhooks::calcom_allows_unsigned(&st.db, ws.id).await?;
    Ok(CalcomTrust {
        secrets,
        allow_unsigned,
    })
}

/// Checks a delivery's signature: `Ok(signed)`, or the 401 to answer (and
/// nothing is stored). Unsigned deliveries pass only where the workspace
/// explicitly allows them.
fn verify(trust: &CalcomTrust, headers: &HeaderMap, body: &[u8]) -> Result<bool, PautaError> {
    match presented_signature(headers) {
        Some(sig)
            if trust
                .secrets
                .iter()
                .any(|s| signature_matches(s, body, sig)) =>
        {
            Ok(true)
        }
        _ if trust.allow_unsigned => Ok(false),
        Some(_) => Err(PautaError::unauthorized(
            "X-Cal-Signature-256: signature does not match",
        )),
        None => Err(PautaError::unauthorized(
            "X-Cal-Signature-256: missing (enter the webhook secret from Settings → Lead intake in Cal.com)",
        )),
    }
}

/// The workspace named by `AF_PAUTA_WORKSPACE`, which takes PAUTA's keyless
/// `/api/lead` and `/api/calcom` calls (off when unset).
async fn pauta_workspace(st: &AppState) -> Result<Option<Workspace>, DbError> {
    match &st.config.pauta_workspace {
        Some(slug) => af_db::workspaces::find_workspace_by_slug(&st.db, slug).await,
        None => Ok(None),
    }
}

/// Receive a Cal.com delivery for a workspace
///
/// The workspace's own Cal.com webhook: signed with its secret (Settings → Lead intake) in `X-Cal-Signature-256`, the HMAC-SHA256 of the raw body in hex. Unsigned deliveries pass only where the workspace allows them (testing). Each delivery is recorded once; bookings, reschedules and cancellations update the contact's appointment.
#[utoipa::path(
    post,
    path = "/webhooks/calcom/{workspace_slug}",
    operation_id = "calcom_workspace_receive",
    tag = "Vendor callbacks",
    params(
        ("workspace_slug" = String, Path, description = "The workspace's slug."),
        ("X-Cal-Signature-256" = Option<String>, Header, description = "Hex HMAC-SHA256 of the raw body with the webhook secret."),
    ),
    security(()),
    request_body(content = Object, description = "Cal.com's webhook payload (`triggerEvent`, `payload` with the booking's `uid`, times, attendees and responses), as Cal.com sends it.", example = json!({"triggerEvent": "BOOKING_CREATED", "createdAt": "2030-01-06T18:00:00.000Z", "payload": {"uid": "bk_7Yt2", "title": "Demo call", "startTime": "2030-01-07T15:00:00Z", "endTime": "2030-01-07T15:30:00Z", "attendees": [{"name": "Lucía Pérez", "email": "lucia@example.com", "timeZone": "America/Mexico_City"}], "organizer": {"timeZone": "America/Mexico_City"}}})),
    responses(
        (status = 200, description = "Recorded: `result` says what became of it.", body = CalcomOut),
        (status = 400, description = "Not a JSON object.", body = PautaErrorBody),
        (status = 401, description = "A missing or wrong signature or key.", body = PautaErrorBody),
        (status = 404, description = "No such workspace.", body = PautaErrorBody),
        (status = 413, description = "The body is too large.", body = PautaErrorBody),
    ),
)]
async fn calcom_workspace_webhook(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> PautaResult {
    let ws = af_db::workspaces::find_workspace_by_slug(&st.db, &slug)
        .await?
        .ok_or_else(|| PautaError::not_found("workspace: no such workspace"))?;
    let bytes = read_calcom_body(body).await?;
    let trust = calcom_trust(&st, &ws).await?;
    let signed = verify(&trust, &headers, &bytes)?;
    handle_calcom(&st, &ws, &bytes, signed).await
}

/// A Cal.com delivery's body (bookings carry more than a lead: 4× the cap).
async fn read_calcom_body(body: Body) -> Result<axum::body::Bytes, PautaError> {
    intake::read_body(body, MAX_PUBLIC_BODY * 4)
        .await
        .ok_or_else(|| PautaError::too_large("body: too large"))
}

/// Receive a Cal.com delivery (PAUTA)
///
/// PAUTA's Cal.com door. The workspace comes from the key (`?key=` or a header); without one, a delivery signed with the server's `CALCOM_WEBHOOK_SECRET` goes to the PAUTA workspace (`AF_PAUTA_WORKSPACE`), and one signed with a workspace's own secret to that workspace.
#[utoipa::path(
    post,
    path = "/api/calcom",
    operation_id = "calcom_receive",
    tag = "Lead intake",
    params(
        ("key" = Option<String>, Query, description = "The workspace's intake key (or a full API key), when not sent in a header."),
        ("X-Cal-Signature-256" = Option<String>, Header, description = "Hex HMAC-SHA256 of the raw body with the webhook secret."),
    ),
    security(("intake_key" = []), ("bearer" = []), ("api_key" = [])),
    request_body(content = Object, description = "Cal.com's webhook payload (`triggerEvent`, `payload` with the booking's `uid`, times, attendees and responses), as Cal.com sends it.", example = json!({"triggerEvent": "BOOKING_CREATED", "createdAt": "2030-01-06T18:00:00.000Z", "payload": {"uid": "bk_7Yt2", "title": "Demo call", "startTime": "2030-01-07T15:00:00Z", "endTime": "2030-01-07T15:30:00Z", "attendees": [{"name": "Lucía Pérez", "email": "lucia@example.com", "timeZone": "America/Mexico_City"}], "organizer": {"timeZone": "America/Mexico_City"}}})),
    responses(
        (status = 200, description = "Recorded: `result` says what became of it.", body = CalcomOut),
        (status = 400, description = "Not a JSON object.", body = PautaErrorBody),
        (status = 401, description = "A missing or wrong signature or key.", body = PautaErrorBody),
        (status = 413, description = "The body is too large.", body = PautaErrorBody),
    ),
)]
async fn calcom_webhook(
    State(st): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> PautaResult {
    let bytes = read_calcom_body(body).await?;
    if let Some(key) = presented_key(&headers, &query) {
        let (_, ws) = key_workspace(&st, key)
            .await?
            .ok_or_else(|| PautaError::unauthorized("key: unknown or revoked key"))?;
        let trust = calcom_trust(&st, &ws).await?;
        let signed = verify(&trust, &headers, &bytes)?;
        return handle_calcom(&st, &ws, &bytes, signed).await;
    }
    let pauta = pauta_workspace(&st).await?;
    let Some(sig) = presented_signature(&headers) else {
        // PAUTA's own cURL example is unsigned: it lands only where the
        // PAUTA workspace explicitly accepts unsigned deliveries.
        if let Some(ws) = pauta
            && inbound_webhooks::calcom_allows_unsigned(&st.db, ws.id).await?
        {
            return handle_calcom(&st, &ws, &bytes, false).await;
        }
        return Err(PautaError::unauthorized(
            "key: pass the workspace's intake key (?key=) or sign with its webhook secret",
        ));
    };
    if let (Some(ws), Some(server)) = (&pauta, &st.config.calcom_webhook_secret)
        && signature_matches(server, &bytes, sig)
    {
        return handle_calcom(&st, ws, &bytes, true).await;
    }
    for (ws_id, sealed) in inbound_webhooks::list_calcom_secrets(&st.db).await? {
        let Ok(secret) = st.secret.open(&sealed) else {
            continue;
        };
        if signature_matches(&secret, &bytes, sig) {
            let ws = af_db::workspaces::find_workspace(&st.db, ws_id)
                .await?
                .ok_or_else(|| PautaError::unauthorized("X-Cal-Signature-256: no workspace"))?;
            return handle_calcom(&st, &ws, &bytes, true).await;
        }
    }
    let hint = if pauta.is_none() && st.config.calcom_webhook_secret.is_some() {
        " (to send deliveries signed with CALCOM_WEBHOOK_SECRET to one workspace, set AF_PAUTA_WORKSPACE)"
    } else {
        ""
    };
    Err(PautaError::unauthorized(format!(
        "X-Cal-Signature-256: no workspace has a secret matching this signature{hint}"
    )))
}

/// Verified delivery → stored, deduplicated, processed (see
/// `af_service::bookings`).
async fn handle_calcom(st: &AppState, ws: &Workspace, bytes: &[u8], signed: bool) -> PautaResult {
    let text =
        std::str::from_utf8(bytes).map_err(|_| PautaError::bad_request("body: not UTF-8"))?;
    let body = serde_json::from_str::<Value>(text)
        .map_err(|_| PautaError::bad_request("body: not valid JSON"))?;
    if !body.is_object() {
        return Err(PautaError::bad_request("body: must be a JSON object"));
    }
    let out = bookings::receive_calcom(&st.intake, ws, text, &body, signed, st.now()).await?;
    Ok(pauta_body(StatusCode::OK, &CalcomOut::from(&out)))
}

/// What became of a Cal.com delivery.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"ok": true, "result": "processed", "appointment_id": "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60", "contact_id": "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f61", "status": "confirmed", "deal_id": null}))]
pub struct CalcomOut {
    /// Always true.
    pub ok: bool,
    /// `processed`, `duplicate` (already recorded), `ignored` (a trigger not acted on), `unmatched` (no attendee email) or `stale` (late news about an appointment that moved on).
    pub result: String,
    /// With `ignored`: Cal.com's trigger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    /// With `processed` and `stale`: the appointment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appointment_id: Option<AppointmentId>,
    /// With `processed`: the contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// With `processed` and `stale`: the appointment's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// With `processed`: the deal, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<DealId>)]
    pub deal_id: Option<Option<DealId>>,
}

impl CalcomOut {
    fn result(result: &str) -> Self {
        Self {
            ok: true,
            result: result.into(),
            trigger: None,
            appointment_id: None,
            contact_id: None,
            status: None,
            deal_id: None,
        }
    }
}

/// A delivery's outcome in the answer's shape.
impl From<&CalcomOutcome> for CalcomOut {
    fn from(out: &CalcomOutcome) -> Self {
        match out {
            CalcomOutcome::Duplicate => Self::result("duplicate"),
            CalcomOutcome::Ignored { trigger } => Self {
                trigger: Some(trigger.clone()),
                ..Self::result("ignored")
            },
            CalcomOutcome::Unmatched => Self::result("unmatched"),
            CalcomOutcome::Stale {
                appointment_id,
                status,
            } => Self {
                appointment_id: Some(*appointment_id),
                status: Some(status.clone()),
                ..Self::result("stale")
            },
            CalcomOutcome::Processed {
                appointment_id,
                contact_id,
                status,
                deal_id,
            } => Self {
                appointment_id: Some(*appointment_id),
                contact_id: Some(*contact_id),
                status: Some(status.clone()),
                deal_id: Some(*deal_id),
                ..Self::result("processed")
            },
        }
    }
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create_lead, calcom_webhook, calcom_workspace_webhook),
    tags(
        (name = "Lead intake", description = "The doors leads come in by, in PAUTA's shape (`{\"ok\": true, ...}` or `{\"ok\": false, \"error\"}`): landing pages, forms of other systems and Cal.com. They take the workspace's intake key, so they can sit in a public page."),
        (name = "Vendor callbacks", description = "Webhooks that vendors (Cal.com, Twilio, SendGrid, Brevo) call with news: each is checked by the vendor's signature or a secret in its URL, and answers the vendor, not people."),
    ),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A PAUTA lead: every field text (a number is read as its digits); an email or a phone is needed.",
        "Un lead de PAUTA: cada campo es texto (un número se lee como sus dígitos); hace falta un correo o un teléfono.",
    ),
    ("A lead taken in.", "Un lead recibido."),
    (
        "A missing or wrong signature or key.",
        "Falta la firma o la clave, o es incorrecta.",
    ),
    (
        "A new contact and its lead.",
        "Un contacto nuevo y su lead.",
    ),
    (
        "A refused value: `field` names it.",
        "Un valor rechazado: `field` lo nombra.",
    ),
    (
        "An existing contact, updated, and its lead.",
        "Un contacto existente, actualizado, y su lead.",
    ),
    (
        "Cal.com's webhook payload (`triggerEvent`, `payload` with the booking's `uid`, times, attendees and responses), as Cal.com sends it.",
        "El payload del webhook de Cal.com (`triggerEvent`, `payload` con el `uid` de la reserva, horarios, asistentes y respuestas), tal como lo envía Cal.com.",
    ),
    ("Company.", "Empresa."),
    ("Email address.", "Correo electrónico."),
    ("Full name.", "Nombre completo."),
    (
        "Hex HMAC-SHA256 of the raw body with the webhook secret.",
        "HMAC-SHA256 en hexadecimal del cuerpo sin procesar con el secreto del webhook.",
    ),
    ("Lead intake", "Captación de leads"),
    (
        "No key, or an unknown or revoked one.",
        "Falta la clave, o es desconocida o está revocada.",
    ),
    ("No such workspace.", "No existe ese espacio de trabajo."),
    (
        "Not a JSON object, or a field that is not text.",
        "No es un objeto JSON, o un campo no es texto.",
    ),
    ("Not a JSON object.", "No es un objeto JSON."),
    (
        "PAUTA's Cal.com door. The workspace comes from the key (`?key=` or a header); without one, a delivery signed with the server's `CALCOM_WEBHOOK_SECRET` goes to the PAUTA workspace (`AF_PAUTA_WORKSPACE`), and one signed with a workspace's own secret to that workspace.",
        "La puerta de Cal.com de PAUTA. El espacio de trabajo sale de la clave (`?key=` o una cabecera); sin clave, una entrega firmada con el `CALCOM_WEBHOOK_SECRET` del servidor va al espacio de PAUTA (`AF_PAUTA_WORKSPACE`), y una firmada con el secreto propio de un espacio, a ese espacio.",
    ),
    (
        "PAUTA's lead door: `{\"nombre\",\"email\",\"telefono\",\"empresa\",\"servicio\",\"fuente\"}` with an API key or the workspace's intake key (`?key=`, for landing pages). Without a key, the lead goes to the server's PAUTA workspace (`AF_PAUTA_WORKSPACE`) when one is set. The contact is created or updated by email or phone, and a deal opened. Intake keys and keyless calls have per-IP and per-key rate limits.",
        "La puerta de leads de PAUTA: `{\"nombre\",\"email\",\"telefono\",\"empresa\",\"servicio\",\"fuente\"}` con una clave de API o la clave de captación del espacio (`?key=`, para landing pages). Sin clave, el lead va al espacio de PAUTA del servidor (`AF_PAUTA_WORKSPACE`) cuando hay uno. El contacto se crea o se actualiza por correo o teléfono, y se abre un negocio. Las claves de captación y las llamadas sin clave tienen límites de frecuencia por IP y por clave.",
    ),
    (
        "Phone, local or international.",
        "Teléfono, local o internacional.",
    ),
    (
        "Receive a Cal.com delivery (PAUTA)",
        "Recibir una entrega de Cal.com (PAUTA)",
    ),
    (
        "Receive a Cal.com delivery for a workspace",
        "Recibir una entrega de Cal.com para un espacio",
    ),
    (
        "Recorded: `result` says what became of it.",
        "Registrada: `result` dice qué pasó con ella.",
    ),
    ("Take a lead (PAUTA)", "Recibir un lead (PAUTA)"),
    ("The body is too large.", "El cuerpo es demasiado grande."),
    (
        "The deal the lead opened or joined.",
        "El negocio que el lead abrió o al que se sumó.",
    ),
    (
        "The doors leads come in by, in PAUTA's shape (`{\"ok\": true, ...}` or `{\"ok\": false, \"error\"}`): landing pages, forms of other systems and Cal.com. They take the workspace's intake key, so they can sit in a public page.",
        "Las puertas por las que entran los leads, con la forma de PAUTA (`{\"ok\": true, ...}` o `{\"ok\": false, \"error\"}`): landing pages, formularios de otros sistemas y Cal.com. Aceptan la clave de captación del espacio, así que pueden ir en una página pública.",
    ),
    (
        "The service asked about (kept in the `servicio` custom field).",
        "El servicio por el que pregunta (se guarda en el campo personalizado `servicio`).",
    ),
    (
        "The workspace's intake key (or a full API key), when not sent in a header.",
        "La clave de captación del espacio (o una clave de API completa), cuando no va en una cabecera.",
    ),
    (
        "The workspace's own Cal.com webhook: signed with its secret (Settings → Lead intake) in `X-Cal-Signature-256`, the HMAC-SHA256 of the raw body in hex. Unsigned deliveries pass only where the workspace allows them (testing). Each delivery is recorded once; bookings, reschedules and cancellations update the contact's appointment.",
        "El webhook de Cal.com propio del espacio: firmado con su secreto (Configuración → Captación) en `X-Cal-Signature-256`, el HMAC-SHA256 del cuerpo sin procesar en hexadecimal. Las entregas sin firma pasan solo donde el espacio las permite (pruebas). Cada entrega se registra una vez; las reservas, reprogramaciones y cancelaciones actualizan la cita del contacto.",
    ),
    ("The workspace's slug.", "El slug del espacio de trabajo."),
    (
        "Too many leads from this address or key: wait `Retry-After` seconds.",
        "Demasiados leads desde esta dirección o con esta clave: espera `Retry-After` segundos.",
    ),
    (
        "True when the contact is new (201); false when an existing one was updated (200).",
        "True cuando el contacto es nuevo (201); false cuando se actualizó uno existente (200).",
    ),
    ("Vendor callbacks", "Avisos de proveedores"),
    (
        "Webhooks that vendors (Cal.com, Twilio, SendGrid, Brevo) call with news: each is checked by the vendor's signature or a secret in its URL, and answers the vendor, not people.",
        "Webhooks a los que llaman los proveedores (Cal.com, Twilio, SendGrid, Brevo) con novedades: cada uno se comprueba con la firma del proveedor o un secreto en su URL, y responde al proveedor, no a personas.",
    ),
    (
        "What became of a Cal.com delivery.",
        "Qué pasó con una entrega de Cal.com.",
    ),
    (
        "Where the lead came from (its source).",
        "De dónde vino el lead (su fuente).",
    ),
    (
        "With `ignored`: Cal.com's trigger.",
        "Con `ignored`: el disparador de Cal.com.",
    ),
    (
        "With `processed` and `stale`: the appointment's status.",
        "Con `processed` y `stale`: el estado de la cita.",
    ),
    (
        "With `processed` and `stale`: the appointment.",
        "Con `processed` y `stale`: la cita.",
    ),
    (
        "With `processed`: the contact.",
        "Con `processed`: el contacto.",
    ),
    (
        "With `processed`: the deal, or null.",
        "Con `processed`: el negocio, o null.",
    ),
    (
        "`processed`, `duplicate` (already recorded), `ignored` (a trigger not acted on), `unmatched` (no attendee email) or `stale` (late news about an appointment that moved on).",
        "`processed`, `duplicate` (ya registrada), `ignored` (un disparador que no se atiende), `unmatched` (sin correo del asistente) o `stale` (noticias tardías de una cita que ya cambió).",
    ),
];
