//! The audit scope of every state-changing request (`af_db::audit`): a
//! request id, the route template, the client's address (hashed at public
//! doors) and an actor slot the authentication extractors fill. The
//! transactions the handler commits write their audit rows themselves;
//! this layer only writes a row after the response when the handler
//! changed something without one (see `AuditScope::write_fallback`).

use crate::state::AppState;
use af_core::Actor;
use af_db::audit::{AuditScope, ScopeInfo};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;

/// Header carrying the request id on every audited response.
pub const REQUEST_ID: &str = "x-request-id";

fn mutating(m: &Method) -> bool {
    matches!(
        *m,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

async fn scoped(st: AppState, req: Request, next: Next, door: bool) -> Response {
    if !mutating(req.method()) {
        return next.run(req).await;
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let origin = format!("{} {route}", req.method());
    let (mut parts, body) = req.into_parts();
    let crate::auth::ClientIp(ip) = crate::auth::ClientIp::from_request_parts(&mut parts, &st)
        .await
        .unwrap_or_else(|never| match never {});
    let req = Request::from_parts(parts, body);
    let request_id = uuid::Uuid::now_v7().to_string();
    let (ip, default_actor) = if door {
        // A stranger's address is personal data: kept only as a keyed hash
        // (the same visitor gives the same value, nobody can reverse it).
        let hashed = st.secret.sign("audit-ip", &ip);
        (hashed.chars().take(32).collect(), Actor::public(&origin))
    } else {
        (ip, Actor::system())
    };
    let scope = AuditScope::new(ScopeInfo {
        request_id: request_id.clone(),
        origin,
        ip: Some(ip),
        default_actor,
    });
    let mut res = scope.clone().run(next.run(req)).await;
    let status = res.status();
    let result = if status.is_success() || status.is_redirection() {
        Some("ok")
    } else if status == axum::http::StatusCode::FORBIDDEN {
        Some("denied")
    } else {
        None
    };
    if let Some(result) = result
        && let Err(e) = scope
            .write_fallback(&st.db, result, status.as_u16(), st.now())
            .await
    {
        tracing::error!(error = %e, "cannot write the audit row of a request");
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// For pages and the API: the signed-in user or the key acts.
pub async fn layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    scoped(st, req, next, false).await
}

/// For public doors and vendor callbacks: a stranger acts, address hashed.
pub async fn door(State(st): State<AppState>, req: Request, next: Next) -> Response {
    scoped(st, req, next, true).await
}
