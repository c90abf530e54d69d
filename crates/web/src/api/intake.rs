//! Machine-to-machine intake, outside the session and CSRF router: the
//! PAUTA-compatible `POST /api/lead` and the Cal.com webhook
//! (`POST /api/calcom`, `POST /webhooks/calcom/{workspace_slug}`).
//!
//! These keep PAUTA's response shape, `{"ok": true, ...}` or
//! `{"ok": false, "error": "..."}` naming the field, and never answer 500
//! to bad input: every body is size-capped and parsed defensively. Here
//! are keys, signatures, bodies and answers; what happens to the lead and
//! the booking is `af_service::intake` and `af_service::bookings`.

use crate::auth::ClientIp;
use crate::intake::{self, MAX_PUBLIC_BODY};
use crate::state::AppState;
use af_core::Actor;
use af_core::crypto;
use af_db::DbError;
use af_db::api_keys::{ApiKey, KeyScope};
use af_db::inbound_webhooks;
use af_db::workspaces::Workspace;
use af_service::bookings::{self, CalcomOutcome};
use af_service::intake::{IntakeError, PautaLead, pauta_field};
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
    let ip_hash = af_service::intake::ip_hash(&st.secret, &ip);
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
    let mut lead = PautaLead::default();
    for (k, slot) in [
        ("nombre", &mut lead.nombre),
        ("email", &mut lead.email),
        ("telefono", &mut lead.telefono),
        ("empresa", &mut lead.empresa),
        ("fuente", &mut lead.fuente),
        ("servicio", &mut lead.servicio),
    ] {
        match pauta_text(&obj, k) {
            Ok(v) => *slot = v.map(|s| s.chars().take(2000).collect()),
            Err(res) => return *res,
        }
    }
    let data: serde_json::Map<String, Value> = [
        "nombre", "email", "telefono", "empresa", "servicio", "fuente",
    ]
    .iter()
    .filter_map(|k| obj.get(*k).map(|v| (k.to_string(), v.clone())))
    .filter(|(_, v)| v.is_string() || v.is_number())
    .collect();
    let accepted = af_service::intake::accept_pauta_lead(
        &st.db,
        &ws,
        lead,
        Value::Object(data),
        Some(ip_hash),
        actor,
        st.now(),
    )
    .await;
    match accepted {
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
        Err(IntakeError::Invalid(errs)) => {
            let Some(e) = errs.first() else {
                return internal("a refused lead without a reason");
            };
            let field = pauta_field(e);
            let msg = if field == "nombre"
                && e.problem == af_core::contact_input::Problem::NoContactPoint
            {
                "se necesita nombre, email o telefono (a lead needs a name, an email or a phone)"
            } else {
                e.message.as_str()
            };
            fail_field(StatusCode::UNPROCESSABLE_ENTITY, field, msg)
        }
        Err(e @ IntakeError::Taken(_)) => {
            fail_field(StatusCode::UNPROCESSABLE_ENTITY, "email", &e.to_string())
        }
        Err(IntakeError::Db(e)) => internal(e),
    }
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

/// Verified delivery → stored, deduplicated, processed (see
/// `af_service::bookings`).
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
    match bookings::receive_calcom(&st.db, ws, text, &body, signed, st.now()).await {
        Ok(out) => ok_json(StatusCode::OK, calcom_json(&out)),
        Err(e) => internal(e),
    }
}

/// A delivery's outcome in the answer's shape.
fn calcom_json(out: &CalcomOutcome) -> Value {
    match out {
        CalcomOutcome::Duplicate => json!({ "ok": true, "result": "duplicate" }),
        CalcomOutcome::Ignored { trigger } => {
            json!({ "ok": true, "result": "ignored", "trigger": trigger })
        }
        CalcomOutcome::Unmatched => json!({ "ok": true, "result": "unmatched" }),
        CalcomOutcome::Stale {
            appointment_id,
            status,
        } => {
            json!({ "ok": true, "result": "stale", "appointment_id": appointment_id, "status": status })
        }
        CalcomOutcome::Processed {
            appointment_id,
            contact_id,
            status,
            deal_id,
        } => json!({
            "ok": true, "result": "processed", "appointment_id": appointment_id, "contact_id": contact_id,
            "status": status, "deal_id": deal_id,
        }),
    }
}
