//! CSRF protection for every state-changing request made with the session
//! cookie. Two walls:
//! 1. Fetch metadata: a browser that says the request is cross-site
//!    (`Sec-Fetch-Site`) or from another `Origin` is refused.
//! 2. A per-session token, sent by htmx as `X-CSRF-Token` (assets/js/app.js)
//!    and by plain forms as a `_csrf` field (or `?_csrf=` on multipart forms).
//!
//! API routes authenticate by key, never by cookie, so they are outside this
//! layer.

use crate::auth::CSRF_KEY;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

/// Largest urlencoded body searched for the `_csrf` field.
const MAX_FORM_BYTES: usize = 1024 * 1024;

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The host[:port] of an origin like `https://crm.example.com:8443`.
fn origin_host(origin: &str) -> Option<&str> {
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
}

fn same_origin(req: &Request, state: &AppState) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Old browsers and non-browser clients send no Origin; the token
        // check still applies.
        return true;
    };
    if origin == state.config.base_url {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    matches!((origin_host(origin), host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

fn field_from_query(req: &Request) -> Option<String> {
    let q = req.uri().query()?;
    form_field(q.as_bytes(), "_csrf")
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    url_pairs(body).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn url_pairs(body: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    body.split(|b| *b == b'&').filter_map(|pair| {
        let s = std::str::from_utf8(pair).ok()?;
        let (k, v) = s.split_once('=').unwrap_or((s, ""));
        let dec = |x: &str| {
            urlencoding::decode(&x.replace('+', " "))
                .ok()
                .map(|c| c.into_owned())
        };
        Some((dec(k)?, dec(v)?))
    })
}

pub async fn verify(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_safe(req.method()) {
        return next.run(req).await;
    }
    if !same_origin(&req, &state) {
        tracing::warn!(path = req.uri().path(), "cross-origin state change refused");
        return AppError::Csrf.into_response();
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return AppError::Csrf.into_response();
    };
    let expected = match session.get::<String>(CSRF_KEY).await {
        Ok(Some(t)) => t,
        Ok(None) => return AppError::Csrf.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let header_token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut presented = header_token.or_else(|| field_from_query(&req));
    let is_urlencoded = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let req = if presented.is_none() && is_urlencoded {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
            return AppError::BadRequest("request body too large".into()).into_response();
        };
        presented = form_field(&bytes, "_csrf");
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    match presented {
        Some(p) if af_core::crypto::constant_time_eq(p.as_bytes(), expected.as_bytes()) => {
            next.run(req).await
        }
        _ => {
            tracing::warn!(path = req.uri().path(), "missing or wrong CSRF token");
            AppError::Csrf.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_form_fields() {
        assert_eq!(
            form_field(b"a=1&_csrf=x%2By+z&b=2", "_csrf"),
            Some("x+y z".into())
        );
        assert_eq!(form_field(b"a=1", "_csrf"), None);
        assert_eq!(
            origin_host("https://crm.example.com:8443/"),
            Some("crm.example.com:8443")
        );
    }
}
