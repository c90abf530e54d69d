//! Security headers on every response. The Content-Security-Policy allows
//! nothing from other origins: every script and stylesheet is ours and
//! embedded. No inline scripts, no eval, and no inline styles either: brand
//! colours and hosted-form looks come as stylesheets of our own origin.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "strict-origin-when-cross-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    set("cross-origin-opener-policy", "same-origin");
    res
}
