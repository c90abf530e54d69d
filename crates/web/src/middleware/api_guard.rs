//! What every `/api/v1` request with an API key goes through before its
//! handler (issue 21):
//!
//! - **Rate limit per key**, counted in the database (`rate_limit_hits`)
//!   so every server process agrees: `RateLimit-Limit`,
//!   `RateLimit-Remaining` and `RateLimit-Reset` on each answer, and 429
//!   with `Retry-After` once the key's requests in the current minute pass
//!   the limit.
//! - **Idempotency keys**: a `POST` with an `Idempotency-Key` header is run
//!   once per workspace and key within 24 hours. The same key with the same
//!   body gets the first answer again (`Idempotent-Replayed: true`); with
//!   another body, 422; while the first is still running, 409. Answers of
//!   our own failures (5xx) are not kept, so a retry runs again.
//!
//! The key is looked up here once and handed to the `ApiAuth` extractor
//! through the request's extensions. Requests without a valid key pass
//! through untouched: the handler answers them 401.

use crate::api::openapi::schemas::{ErrorBody, ErrorDetail};
use crate::auth::presented_api_key;
use crate::state::AppState;
use af_core::crypto;
use af_db::Ts;
use af_db::api_keys::ApiKey;
use af_db::idempotency::{self, Claim};
use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

/// The key a request presented, found active: set by this layer for the
/// `ApiAuth` extractor, so the key is read once per request.
#[derive(Clone)]
pub struct CheckedKey(pub ApiKey);

/// Length of a rate-limit window.
const WINDOW_SECS: i64 = 60;
/// How long an idempotent answer is kept.
const KEEP_ANSWERS: SignedDuration = SignedDuration::from_hours(24);
/// A first request unfinished after this long died with its process: a
/// retry may take its key over.
const ABANDONED_AFTER: SignedDuration = SignedDuration::from_secs(60);
/// Largest answer kept for replay (bigger ones are not replayable).
const MAX_KEPT_ANSWER: usize = 1024 * 1024;
/// The header's longest accepted value.
const MAX_IDEMPOTENCY_KEY: usize = 255;

const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub async fn layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/v1/") {
        return next.run(req).await;
    }
    let found = match presented_api_key(req.headers()) {
        Some(k) => {
            af_db::api_keys::find_active_api_key_by_hash(&st.db, &crypto::sha256_hex(k)).await
        }
        None => Ok(None),
    };
    let key = match found {
        Ok(Some(k)) => k,
        Ok(None) => return next.run(req).await,
        Err(e) => return internal(e.into()),
    };

    // Rate limit: one hit in this minute's window of the key.
    let limit = st.config.api_requests_per_minute.max(1);
    let now = st.now().0.as_second();
    let start = now - now.rem_euclid(WINDOW_SECS);
    let reset = (start + WINDOW_SECS - now).max(1);
    let window = Ts::new(jiff::Timestamp::from_second(start).unwrap_or(st.now().0));
    let hits = match af_db::rate_limits::hit(&st.db, &format!("api-key:{}", key.id), window).await {
        Ok(h) => h,
        Err(e) => return internal(e.into()),
    };
    let remaining = (limit - hits).max(0);
    if hits > limit {
        let mut res = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!(
                "this key made more than {limit} requests this minute: retry after {reset} seconds"
            ),
        );
        set(res.headers_mut(), header::RETRY_AFTER, reset);
        rate_headers(res.headers_mut(), limit, remaining, reset);
        return res;
    }

    let workspace = key.workspace_id;
    req.extensions_mut().insert(CheckedKey(key));
    let mut res = if req.method() == Method::POST && req.headers().contains_key(IDEMPOTENCY_KEY) {
        idempotent(&st, workspace, req, next).await
    } else {
        next.run(req).await
    };
    rate_headers(res.headers_mut(), limit, remaining, reset);
    res
}

/// Runs a POST carrying an `Idempotency-Key` at most once.
async fn idempotent(st: &AppState, ws: af_core::WorkspaceId, req: Request, next: Next) -> Response {
    let idem_key = match req
        .headers()
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some(k)
            if !k.is_empty()
                && k.len() <= MAX_IDEMPOTENCY_KEY
                && k.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            k.to_string()
        }
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            );
        }
    };
    let (parts, body) = req.into_parts();
    // The body is already capped by the router's limit.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "bad_request",
            "the request body is too large",
        );
    };
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update([0]);
    hash.update(parts.uri.path());
    hash.update([0]);
    hash.update(parts.uri.query().unwrap_or_default());
    hash.update([0]);
    hash.update(&bytes);
    let request_hash = hex::encode(hash.finalize());

    let now = st.now();
    let expired = Ts::new(now.0 - KEEP_ANSWERS);
    let claim = match idempotency::claim(&st.db, ws, &idem_key, &request_hash, now, expired).await {
        Ok(c) => c,
        Err(e) => return internal(e.into()),
    };
    match claim {
        Claim::Fresh => {}
        Claim::Done {
            request_hash: h, ..
        }
        | Claim::Running {
            request_hash: h, ..
        } if h != request_hash => {
            let message = "this Idempotency-Key was used with another request: use a new key for a new request";
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(ErrorBody {
                    error: ErrorDetail {
                        code: "invalid".into(),
                        message: message.into(),
                        fields: Some([("Idempotency-Key".to_string(), message.to_string())].into()),
                    },
                }),
            )
                .into_response();
        }
        Claim::Running { at, .. } => {
            let abandoned = at.0 < now.0 - ABANDONED_AFTER;
            let won = abandoned
                && match idempotency::take_over(&st.db, ws, &idem_key, &request_hash, at, now).await
                {
                    Ok(w) => w,
                    Err(e) => return internal(e.into()),
                };
            if !won {
                return error(
                    StatusCode::CONFLICT,
                    "conflict",
                    "a request with this Idempotency-Key is still running: retry in a moment",
                );
            }
        }
        Claim::Done {
            status,
            content_type,
            body,
            ..
        } => return replay(status, content_type, body),
    }

    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = res.status();
    if status.is_server_error() {
        if let Err(e) = idempotency::release(&st.db, ws, &idem_key).await {
            tracing::error!(error = %e, "could not release an idempotency key");
        }
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_KEPT_ANSWER).await {
        Ok(b) => b,
        Err(_) => {
            let _ = idempotency::release(&st.db, ws, &idem_key).await;
            return internal(anyhow::anyhow!(
                "answer too large to keep for Idempotency-Key"
            ));
        }
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let kept = match std::str::from_utf8(&bytes) {
        Ok(text) => {
            idempotency::finish(
                &st.db,
                ws,
                &idem_key,
                i32::from(status.as_u16()),
                content_type.as_deref(),
                text,
            )
            .await
        }
        // Not text: not replayable; let a retry run again.
        Err(_) => idempotency::release(&st.db, ws, &idem_key).await,
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, "could not keep an idempotent answer");
    }
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from(bytes))
}

/// The first answer again.
fn replay(status: i32, content_type: Option<String>, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut res = (status, body).into_response();
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    res.headers_mut().insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    res
}

fn rate_headers(h: &mut HeaderMap, limit: i64, remaining: i64, reset: i64) {
    set(h, HeaderName::from_static("ratelimit-limit"), limit);
    set(h, HeaderName::from_static("ratelimit-remaining"), remaining);
    set(h, HeaderName::from_static("ratelimit-reset"), reset);
}

fn set(h: &mut HeaderMap, name: HeaderName, value: i64) {
    h.insert(name, HeaderValue::from(value));
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: message.to_string(),
                fields: None,
            },
        }),
    )
        .into_response()
}

fn internal(e: anyhow::Error) -> Response {
    crate::api::ApiError::Internal(e).into_response()
}
