//! Machine-to-machine intake, outside the session and CSRF router: the
//! PAUTA-compatible `POST /api/lead` and the Cal.com webhook
//! (`POST /api/calcom`, `POST /webhooks/calcom/{workspace_slug}`).
//!
//! These keep PAUTA's response shape, `{"ok": true, ...}` or
//! `{"ok": false, "error": "..."}` naming the field, and never answer 500
//! to bad input: every body is size-capped and parsed defensively.

use crate::auth::ClientIp;
use crate::contact_input::{RawContact, validate_contact};
use crate::intake::{self, Lead, MAX_PUBLIC_BODY};
use crate::state::AppState;
use af_core::crypto;
use af_core::{Actor, ContactId, DealId};
use af_db::api_keys::{ApiKey, KeyScope};
use af_db::appointments::{self, Appointment, AppointmentInput};
use af_db::inbound_webhooks::{self, NewDelivery};
use af_db::workspaces::Workspace;
use af_db::{DbError, Ts, Tx, contacts, custom_fields, deals, forms, pipelines};
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/lead", post(create_lead).options(preflight))
        .route("/api/calcom", post(calcom_webhook))
        .route(
            "/webhooks/calcom/{workspace_slug}",
            post(calcom_workspace_webhook),
        )
}

/// A PAUTA-shaped answer.
pub fn ok_json(status: StatusCode, body: Value) -> Response {
    let mut res = (status, axum::Json(body)).into_response();
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// `{"ok": false, "error": ...}` with `status`.
pub fn fail(status: StatusCode, error: impl Into<String>) -> Response {
    ok_json(status, json!({ "ok": false, "error": error.into() }))
}

fn fail_field(status: StatusCode, field: &str, error: &str) -> Response {
    ok_json(
        status,
        json!({ "ok": false, "error": format!("{field}: {error}"), "field": field }),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "intake request failed");
    fail(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; it has been logged",
    )
}

fn too_many(retry_after: u64) -> Response {
    let mut res = fail(
        StatusCode::TOO_MANY_REQUESTS,
        "too many submissions; try again later",
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

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
    af_db::api_keys::touch_api_key(&st.db, k.id, st.now()).await?;
    Ok(Some((k, ws)))
}

// ------------------------------------------------------------------ PAUTA

/// A PAUTA field as text: strings as given, numbers (a phone sent as a
/// number) as their digits; anything else is refused.
fn pauta_text(
    body: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, Box<Response>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Box::new(fail_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            key,
            "must be text",
        ))),
    }
}

/// `POST /api/lead` (PAUTA): `{"nombre","email","telefono","empresa",
/// "servicio","fuente"}` with an API key or the workspace's intake key →
/// `{"ok": true, "lead_id": N}`.
async fn create_lead(
    State(st): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ip_hash = intake::ip_hash(&st.secret, &ip);
    let (ws, actor, bucket) = match presented_key(&headers, &query) {
        Some(key) => {
            let (key, ws) = match key_workspace(&st, key).await {
                Ok(Some(found)) => found,
                Ok(None) => return fail(StatusCode::UNAUTHORIZED, "key: unknown or revoked key"),
                Err(e) => return internal(e),
            };
            // Full keys are the operator's own servers: no public limits.
            let bucket = (key.scope() == KeyScope::Intake).then(|| format!("key:{}", key.id));
            (ws, Actor::api_key(key.id, &key.name), bucket)
        }
        // PAUTA's landing pages send no key: with AF_PAUTA_WORKSPACE set
        // they land there, behind the same public-door limits as a form.
        None => match pauta_workspace(&st).await {
            Ok(Some(ws)) => {
                let bucket = Some(format!("pauta:{}", ws.id));
                let actor = Actor {
                    kind: af_core::ActorKind::System,
                    id: None,
                    label: "PAUTA landing page".into(),
                };
                (ws, actor, bucket)
            }
            Ok(None) => {
                return fail(
                    StatusCode::UNAUTHORIZED,
                    "key: an API key or intake key is required (Authorization: Bearer, X-Api-Key or ?key=)",
                );
            }
            Err(e) => return internal(e),
        },
    };
    if let Some(bucket) = bucket {
        let buckets = [
            (format!("ip:{ip_hash}"), st.config.intake_max_per_ip),
            (bucket, st.config.intake_max_per_form),
        ];
        match intake::rate_limit(&st, &buckets).await {
            Ok(Ok(())) => {}
            Ok(Err(retry)) => return too_many(retry),
            Err(e) => return internal(e),
        }
    }
    let Some(bytes) = intake::read_body(body, MAX_PUBLIC_BODY).await else {
        return fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: larger than {MAX_PUBLIC_BODY} bytes"),
        );
    };
    let parsed: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            return fail(
                StatusCode::BAD_REQUEST,
                "body: not valid JSON (send Content-Type: application/json)",
            );
        }
    };
    let Value::Object(obj) = parsed else {
        return fail(StatusCode::BAD_REQUEST, "body: must be a JSON object");
    };
    let mut raw = RawContact::default();
    let mut servicio = None;
    for (k, slot) in [
        ("nombre", &mut raw.name),
        ("email", &mut raw.email),
        ("telefono", &mut raw.phone),
        ("empresa", &mut raw.company),
        ("fuente", &mut raw.source),
        ("servicio", &mut servicio),
    ] {
        match pauta_text(&obj, k) {
            Ok(v) => *slot = v.map(|s| s.chars().take(2000).collect()),
            Err(res) => return *res,
        }
    }
    let mut defs = match custom_fields::list_fields(&st.db, ws.id).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let servicio = servicio
        .map(|s| s.trim().chars().take(intake::MAX_TEXT).collect::<String>())
        .filter(|s| !s.is_empty());
    if let Some(s) = &servicio {
        if !defs.iter().any(|d| d.key == "servicio") {
            let made = async {
                let mut tx = st.db.begin().await?;
                let def = custom_fields::ensure_text_field(
                    &mut tx,
                    ws.id,
                    "servicio",
                    "Servicio",
                    st.now(),
                )
                .await?;
                tx.commit().await?;
                Ok::<_, DbError>(def)
            };
            match made.await {
                Ok(def) => defs.push(def),
                Err(e) => return internal(e),
            }
        }
        raw.custom
            .insert("servicio".into(), Value::String(s.clone()));
    }
    let input = match validate_contact(&ws, &defs, &raw) {
        Ok(i) => i,
        Err(errs) => {
            let (field, msg) = errs.into_iter().next().unwrap_or_default();
            let field = match field.as_str() {
                "phone" => "telefono",
                "email" if msg.contains("needs a name") => "nombre",
                "email" => "email",
                f if f.starts_with("custom.") => "servicio",
                f => f,
            }
            .to_string();
            let msg = if field == "nombre" {
                "se necesita nombre, email o telefono (a lead needs a name, an email or a phone)"
                    .to_string()
            } else {
                msg
            };
            return fail_field(StatusCode::UNPROCESSABLE_ENTITY, &field, &msg);
        }
    };
    let data: serde_json::Map<String, Value> = [
        "nombre", "email", "telefono", "empresa", "servicio", "fuente",
    ]
    .iter()
    .filter_map(|k| obj.get(*k).map(|v| (k.to_string(), v.clone())))
    .filter(|(_, v)| v.is_string() || v.is_number())
    .collect();
    let lead = Lead {
        form: None,
        channel: "api_lead",
        attribution: serde_json::to_value(&input.attribution).unwrap_or_default(),
        input,
        data: Value::Object(data),
        consent_text: None,
        ip_hash: Some(ip_hash),
        actor,
    };
    match intake::accept_lead(&st, &ws, lead).await {
        Ok(a) => ok_json(
            if a.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            json!({
                "ok": true, "lead_id": a.submission.lead_number, "contact_id": a.contact_id,
                "deal_id": a.deal_id, "created": a.created,
            }),
        ),
        Err(e) => internal(e),
    }
}

// ---------------------------------------------------------------- Cal.com

const CALCOM: &str = "calcom";

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

async fn calcom_trust(st: &AppState, ws: &Workspace) -> Result<CalcomTrust, Box<Response>> {
    let mut secrets = Vec::new();
    match inbound_webhooks::find_calcom_secret(&st.db, ws.id).await {
        Ok(Some(sealed)) => match st.secret.open(&sealed) {
            Ok(s) => secrets.push(s),
            Err(e) => return Err(Box::new(internal(e))),
        },
        Ok(None) => {}
        Err(e) => return Err(Box::new(internal(e))),
    }
    secrets.extend(st.config.calcom_webhook_secret.clone());
    let allow_unsigned = match inbound_webhooks::calcom_allows_unsigned(&st.db, ws.id).await {
        Ok(a) => a,
        Err(e) => return Err(Box::new(internal(e))),
    };
    Ok(CalcomTrust {
        secrets,
        allow_unsigned,
    })
}

/// Checks a delivery's signature: `Ok(signed)`, or the 401 to answer (and
/// nothing is stored). Unsigned deliveries pass only where the workspace
/// explicitly allows them.
fn verify(trust: &CalcomTrust, headers: &HeaderMap, body: &[u8]) -> Result<bool, Box<Response>> {
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
        Some(_) => Err(Box::new(fail(
            StatusCode::UNAUTHORIZED,
            "X-Cal-Signature-256: signature does not match",
        ))),
        None => Err(Box::new(fail(
            StatusCode::UNAUTHORIZED,
            "X-Cal-Signature-256: missing (enter the webhook secret from Settings → Lead intake in Cal.com)",
        ))),
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

/// `POST /webhooks/calcom/{workspace_slug}`.
async fn calcom_workspace_webhook(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let ws = match af_db::workspaces::find_workspace_by_slug(&st.db, &slug).await {
        Ok(Some(ws)) => ws,
        Ok(None) => return fail(StatusCode::NOT_FOUND, "workspace: no such workspace"),
        Err(e) => return internal(e),
    };
    let Some(bytes) = intake::read_body(body, MAX_PUBLIC_BODY * 4).await else {
        return fail(StatusCode::PAYLOAD_TOO_LARGE, "body: too large");
    };
    let trust = match calcom_trust(&st, &ws).await {
        Ok(t) => t,
        Err(res) => return *res,
    };
    let signed = match verify(&trust, &headers, &bytes) {
        Ok(s) => s,
        Err(res) => return *res,
    };
    handle_calcom(&st, &ws, &bytes, signed).await
}

/// `POST /api/calcom`: the workspace comes from the key (`?key=` or a
/// header); without one, a delivery signed with the server's
/// `CALCOM_WEBHOOK_SECRET` goes to the PAUTA workspace (`AF_PAUTA_WORKSPACE`),
/// and one signed with a workspace's own secret to that workspace.
async fn calcom_webhook(
    State(st): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(bytes) = intake::read_body(body, MAX_PUBLIC_BODY * 4).await else {
        return fail(StatusCode::PAYLOAD_TOO_LARGE, "body: too large");
    };
    if let Some(key) = presented_key(&headers, &query) {
        let ws = match key_workspace(&st, key).await {
            Ok(Some((_, ws))) => ws,
            Ok(None) => return fail(StatusCode::UNAUTHORIZED, "key: unknown or revoked key"),
            Err(e) => return internal(e),
        };
        let trust = match calcom_trust(&st, &ws).await {
            Ok(t) => t,
            Err(res) => return *res,
        };
        let signed = match verify(&trust, &headers, &bytes) {
            Ok(s) => s,
            Err(res) => return *res,
        };
        return handle_calcom(&st, &ws, &bytes, signed).await;
    }
    let pauta = match pauta_workspace(&st).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let Some(sig) = presented_signature(&headers) else {
        // PAUTA's own cURL example is unsigned: it lands only where the
        // PAUTA workspace explicitly accepts unsigned deliveries.
        if let Some(ws) = pauta {
            match inbound_webhooks::calcom_allows_unsigned(&st.db, ws.id).await {
                Ok(true) => return handle_calcom(&st, &ws, &bytes, false).await,
                Ok(false) => {}
                Err(e) => return internal(e),
            }
        }
        return fail(
            StatusCode::UNAUTHORIZED,
            "key: pass the workspace's intake key (?key=) or sign with its webhook secret",
        );
    };
    if let (Some(ws), Some(server)) = (&pauta, &st.config.calcom_webhook_secret)
        && signature_matches(server, &bytes, sig)
    {
        return handle_calcom(&st, ws, &bytes, true).await;
    }
    let secrets = match inbound_webhooks::list_calcom_secrets(&st.db).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    for (ws_id, sealed) in secrets {
        let Ok(secret) = st.secret.open(&sealed) else {
            continue;
        };
        if signature_matches(&secret, &bytes, sig) {
            return match af_db::workspaces::find_workspace(&st.db, ws_id).await {
                Ok(Some(ws)) => handle_calcom(&st, &ws, &bytes, true).await,
                Ok(None) => fail(
                    StatusCode::UNAUTHORIZED,
                    "X-Cal-Signature-256: no workspace",
                ),
                Err(e) => return internal(e),
            };
        }
    }
    let hint = if pauta.is_none() && st.config.calcom_webhook_secret.is_some() {
        " (to send deliveries signed with CALCOM_WEBHOOK_SECRET to one workspace, set AF_PAUTA_WORKSPACE)"
    } else {
        ""
    };
    fail(
        StatusCode::UNAUTHORIZED,
        format!("X-Cal-Signature-256: no workspace has a secret matching this signature{hint}"),
    )
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn ts_at(v: &Value, key: &str) -> Option<Ts> {
    str_at(v, &[key])
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map(Ts::new)
}

/// What a trigger does: (status, event kind), or None when ignored.
fn trigger_effect(trigger: &str) -> Option<(&'static str, &'static str)> {
    match trigger {
        "BOOKING_CREATED" => Some(("booked", "appointment.booked")),
        "BOOKING_REQUESTED" => Some(("pending", "appointment.requested")),
        "BOOKING_RESCHEDULED" => Some(("rescheduled", "appointment.rescheduled")),
        "BOOKING_CANCELLED" => Some(("cancelled", "appointment.cancelled")),
        _ => None,
    }
}

/// Verified delivery → stored, deduplicated, processed, in one transaction.
async fn handle_calcom(st: &AppState, ws: &Workspace, bytes: &[u8], signed: bool) -> Response {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return fail(StatusCode::BAD_REQUEST, "body: not UTF-8");
    };
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return fail(StatusCode::BAD_REQUEST, "body: not valid JSON");
    };
    if !body.is_object() {
        return fail(StatusCode::BAD_REQUEST, "body: must be a JSON object");
    }
    let trigger = str_at(&body, &["triggerEvent"])
        .or_else(|| str_at(&body, &["event"]))
        .unwrap_or("UNKNOWN")
        .chars()
        .take(80)
        .collect::<String>();
    let payload = body.get("payload").cloned().unwrap_or(Value::Null);
    let uid = str_at(&payload, &["uid"]).map(|u| u.chars().take(200).collect::<String>());
    let dedupe = match &uid {
        Some(u) => format!("{trigger}:{u}"),
        None => format!("{trigger}:sha256:{}", crypto::sha256_hex(text)),
    };
    let delivery = NewDelivery {
        source: CALCOM,
        event: &trigger,
        external_id: uid.as_deref(),
        dedupe_key: &dedupe,
        body: text,
        signature_ok: signed,
    };
    match process_calcom(st, ws, &delivery, &body, None).await {
        Ok(out) => ok_json(StatusCode::OK, out),
        Err(e) => {
            if let Err(e2) = inbound_webhooks::record_failed_delivery(
                &st.db,
                ws.id,
                &delivery,
                &format!("{e}"),
                st.now(),
            )
            .await
            {
                tracing::error!(error = %e2, "could not record the failed delivery");
            }
            internal(e)
        }
    }
}

/// Processes one delivery. With `replay` (a stored delivery's id) the
/// claim step is skipped and that record is updated instead.
pub async fn process_calcom(
    st: &AppState,
    ws: &Workspace,
    d: &NewDelivery<'_>,
    body: &Value,
    replay: Option<af_core::InboundWebhookId>,
) -> Result<Value, DbError> {
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = match replay {
        Some(id) => id,
        None => match inbound_webhooks::claim_delivery(&mut tx, ws.id, d, now).await? {
            Some(id) => id,
            None => {
                tx.rollback().await?;
                return Ok(json!({ "ok": true, "result": "duplicate" }));
            }
        },
    };
    let Some((status, kind)) = trigger_effect(d.event) else {
        inbound_webhooks::finish_delivery(
            &mut tx,
            ws.id,
            id,
            "ignored",
            Some("trigger not handled"),
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(json!({ "ok": true, "result": "ignored", "trigger": d.event }));
    };
    let payload = body.get("payload").cloned().unwrap_or(Value::Null);
    let actor = intake::public_actor("calcom");
    let Some(contact) = find_or_create_contact(&mut tx, st, ws, body, &payload, &actor).await?
    else {
        inbound_webhooks::finish_delivery(
            &mut tx,
            ws.id,
            id,
            "unmatched",
            Some("no lead_id of this workspace and no attendee email"),
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(json!({ "ok": true, "result": "unmatched" }));
    };
    let uid = d.external_id.map(str::to_string);
    let mut existing = match &uid {
        Some(u) => appointments::find_by_external_uid_tx(&mut tx, ws.id, CALCOM, u).await?,
        None => None,
    };
    if existing.is_none() && d.event == "BOOKING_RESCHEDULED" {
        let from = str_at(&payload, &["rescheduleUid"])
            .or_else(|| str_at(&payload, &["fromReschedule"]))
            .or_else(|| str_at(&payload, &["originalRescheduledBooking", "uid"]));
        if let Some(from) = from {
            existing = appointments::find_by_external_uid_tx(&mut tx, ws.id, CALCOM, from).await?;
        }
    }
    // A late creation (or request) never undoes a cancellation, and a late
    // request never demotes a confirmed booking.
    if let Some(a) = &existing
        && ((a.status == "cancelled" && d.event != "BOOKING_CANCELLED")
            || (d.event == "BOOKING_REQUESTED" && a.status != "pending"))
    {
        let detail = format!("appointment already {}", a.status);
        inbound_webhooks::finish_delivery(&mut tx, ws.id, id, "stale", Some(&detail), now).await?;
        tx.commit().await?;
        return Ok(
            json!({ "ok": true, "result": "stale", "appointment_id": a.id, "status": a.status }),
        );
    }
    let moved = if matches!(status, "booked" | "rescheduled") {
        move_to_booked(&mut tx, ws, contact, &actor, now).await?
    } else {
        None
    };
    let attendee = payload.get("attendees").and_then(|a| a.get(0));
    let input = AppointmentInput {
        contact_id: contact,
        deal_id: moved,
        title: str_at(&payload, &["title"])
            .or_else(|| str_at(&payload, &["eventTitle"]))
            .unwrap_or("Cal.com")
            .chars()
            .take(300)
            .collect(),
        starts_at: ts_at(&payload, "startTime"),
        ends_at: ts_at(&payload, "endTime"),
        time_zone: attendee
            .and_then(|a| str_at(a, &["timeZone"]))
            .map(str::to_string),
        organizer_time_zone: str_at(&payload, &["organizer", "timeZone"]).map(str::to_string),
        status,
        source: CALCOM,
        external_uid: uid.clone(),
        metadata: json!({
            "trigger": d.event,
            "booking_id": payload.get("bookingId"),
            "event_type_id": payload.get("eventTypeId"),
            "location": payload.get("location"),
            "organizer": payload.get("organizer"),
            "metadata": payload.get("metadata"),
            "cancellation_reason": payload.get("cancellationReason"),
            "previous_uid": existing.as_ref().and_then(|a| a.external_uid.clone()),
        }),
    };
    let appt: Appointment = match &existing {
        Some(a) => appointments::update_appointment(&mut tx, ws.id, a.id, &input, now).await?,
        None => appointments::insert_appointment(&mut tx, ws.id, &input, now).await?,
    };
    appointments::write_event(&mut tx, ws.id, kind, &appt, &actor, now).await?;
    inbound_webhooks::finish_delivery(&mut tx, ws.id, id, "processed", None, now).await?;
    tx.commit().await?;
    Ok(json!({
        "ok": true, "result": "processed", "appointment_id": appt.id, "contact_id": appt.contact_id,
        "status": appt.status, "deal_id": appt.deal_id,
    }))
}

/// The lead: `payload.metadata.lead_id`, then the body's `lead_id` (a PAUTA
/// lead number or a contact id of this workspace), then the attendee's or
/// `responses.email.value` email (a contact created when none matches).
async fn find_or_create_contact(
    tx: &mut Tx,
    st: &AppState,
    ws: &Workspace,
    body: &Value,
    payload: &Value,
    actor: &Actor,
) -> Result<Option<ContactId>, DbError> {
    for lead in [
        payload.get("metadata").and_then(|m| m.get("lead_id")),
        body.get("lead_id"),
    ]
    .into_iter()
    .flatten()
    {
        let text = match lead {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.trim().to_string(),
            _ => continue,
        };
        if let Ok(n) = text.parse::<i64>()
            && let Some(c) = forms::find_contact_by_lead_number(tx, ws.id, n).await?
        {
            return Ok(Some(c));
        }
        if let Ok(id) = text.parse::<ContactId>() {
            match contacts::get_contact_tx(tx, ws.id, id).await {
                Ok(c) => return Ok(Some(c.id)),
                Err(DbError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    let attendee = payload.get("attendees").and_then(|a| a.get(0));
    let email = attendee
        .and_then(|a| str_at(a, &["email"]))
        .or_else(|| str_at(payload, &["responses", "email", "value"]));
    let Some(email) = email else {
        return Ok(None);
    };
    let name = attendee
        .and_then(|a| str_at(a, &["name"]))
        .or_else(|| str_at(payload, &["responses", "name", "value"]));
    let raw = RawContact {
        name: name.map(str::to_string),
        email: Some(email.to_string()),
        source: Some("Cal.com".into()),
        ..Default::default()
    };
    let Ok(input) = validate_contact(ws, &[], &raw) else {
        return Ok(None);
    };
    if let Some(found) = contacts::find_match(tx, ws.id, input.email.as_deref(), None).await? {
        return Ok(Some(found.id));
    }
    let up = contacts::upsert_contact_with_event_data(
        tx,
        ws.id,
        &input,
        actor,
        st.now(),
        serde_json::Map::from_iter([("via".to_string(), json!(CALCOM))]),
    )
    .await?;
    Ok(Some(up.contact.id))
}

/// Moves the contact's open deal to its pipeline's booked stage, or puts a
/// new deal on the default pipeline's booked stage. Returns the deal.
async fn move_to_booked(
    tx: &mut Tx,
    ws: &Workspace,
    contact: ContactId,
    actor: &Actor,
    now: Ts,
) -> Result<Option<DealId>, DbError> {
    if let Some(deal) = deals::find_open_deal_tx(tx, ws.id, contact, None).await? {
        let Some(booked) = pipelines::booked_stage_tx(tx, ws.id, deal.pipeline_id).await? else {
            return Ok(Some(deal.id));
        };
        if booked.id == deal.stage_id {
            return Ok(Some(deal.id));
        }
        deals::move_deal(
            tx,
            ws.id,
            deal.id,
            booked.id,
            Default::default(),
            actor,
            now,
        )
        .await?;
        return Ok(Some(deal.id));
    }
    let pipeline = pipelines::default_pipeline_tx(tx, ws.id).await?;
    let booked = pipelines::booked_stage_tx(tx, ws.id, pipeline).await?;
    let c = contacts::get_contact_tx(tx, ws.id, contact).await?;
    let title = Some(c.full_name())
        .filter(|n| !n.is_empty())
        .or_else(|| c.email.clone())
        .unwrap_or_else(|| "Cal.com".into());
    let deal = deals::insert_deal(
        tx,
        ws.id,
        &deals::NewDeal {
            contact_id: contact,
            pipeline_id: Some(pipeline),
            stage_id: booked.map(|s| s.id),
            title,
            value_minor: 0,
            currency: af_core::money::currency_for_country(&ws.country).to_string(),
            owner_id: None,
        },
        actor,
        now,
    )
    .await?;
    Ok(Some(deal.id))
}
