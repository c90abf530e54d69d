//! Outbound webhooks signed per the Standard Webhooks scheme
//! (<https://www.standardwebhooks.com/>): headers `webhook-id`,
//! `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, with a `whsec_<base64>` secret. Also the
//! matching verifier, and a delivery function that POSTs through the SSRF
//! guard and classifies the answer.

use std::time::Duration;

use af_core::crypto::constant_time_eq;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::message::{SendError, classify_http, classify_reqwest, excerpt};
use crate::ssrf::{self, SsrfPolicy};

type HmacSha256 = Hmac<Sha256>;

/// Default tolerance between the signed timestamp and the receiver's clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// An endpoint's signing secret (`whsec_` + base64 of the key bytes).
/// `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a secret or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The secret is not `whsec_` + base64.
    #[error("webhook secret must be whsec_ followed by base64")]
    BadSecret,
    /// A header is missing or unreadable.
    #[error("missing or malformed webhook header: {0}")]
    BadHeader(&'static str),
    /// The timestamp is too far from now (replay protection).
    #[error("webhook timestamp outside the tolerance")]
    Expired,
    /// No `v1` signature matched.
    #[error("webhook signature does not match")]
    BadSignature,
}

impl WebhookSecret {
    /// Reads `whsec_<base64>` (the prefix is optional, as in the reference
    /// libraries).
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        let b64 = text.trim().strip_prefix("whsec_").unwrap_or(text.trim());
        let key = STANDARD.decode(b64).map_err(|_| WebhookError::BadSecret)?;
        if key.is_empty() {
            return Err(WebhookError::BadSecret);
        }
        Ok(Self(key))
    }

    /// A new random secret as text (`whsec_` + 32 random bytes).
    pub fn generate_text() -> String {
        // af-core's generator gives base64url; the scheme wants standard base64.
        let token = af_core::crypto::random_token(32);
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .unwrap_or_default();
        format!("whsec_{}", STANDARD.encode(key))
    }

    /// `v1,<base64 signature>` of one delivery.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            STANDARD.encode(self.raw_signature(msg_id, timestamp, body))
        )
    }

    fn raw_signature(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key size");
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// Verifies the three headers of a received delivery against `body`,
    /// with `now` as Unix seconds. `signature_header` may hold several
    /// space-separated `version,signature` entries (key rotation); one valid
    /// `v1` entry is enough.
    pub fn verify(
        &self,
        msg_id: &str,
        timestamp_header: &str,
        signature_header: &str,
        body: &[u8],
        now: i64,
        tolerance: Duration,
    ) -> Result<(), WebhookError> {
        if msg_id.is_empty() {
            return Err(WebhookError::BadHeader("webhook-id"));
        }
        let ts: i64 = timestamp_header
            .trim()
            .parse()
            .map_err(|_| WebhookError::BadHeader("webhook-timestamp"))?;
        if now.abs_diff(ts) > tolerance.as_secs() {
            return Err(WebhookError::Expired);
        }
        let expected = STANDARD.encode(self.raw_signature(msg_id, ts, body));
        let mut matched = false;
        for entry in signature_header.split_whitespace() {
            if let Some(sig) = entry.strip_prefix("v1,") {
                matched |= constant_time_eq(sig.as_bytes(), expected.as_bytes());
            }
        }
        if matched {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }

    /// The three headers for one delivery.
    pub fn headers(
        &self,
        msg_id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> [(&'static str, String); 3] {
        [
            ("webhook-id", msg_id.to_owned()),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", self.sign(msg_id, timestamp, body)),
        ]
    }
}

/// One delivery attempt.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// Endpoint URL as the user configured it.
    pub url: &'a str,
    /// The endpoint's secret.
    pub secret: &'a WebhookSecret,
    /// Stable id of the event (the same on every retry, so receivers
    /// de-duplicate).
    pub msg_id: &'a str,
    /// Unix seconds of this attempt.
    pub timestamp: i64,
    /// The JSON payload.
    pub body: &'a [u8],
}

/// How deliveries are made.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryOptions {
    /// Which targets are allowed.
    pub policy: SsrfPolicy,
    /// Whole-request timeout.
    pub timeout: Duration,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            policy: SsrfPolicy::default(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A 2xx answer from the endpoint, kept for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// HTTP status.
    pub status: u16,
    /// Start of the answer body.
    pub body_excerpt: String,
}

/// POSTs a signed delivery: checks the URL (SSRF guard, resolved once and
/// pinned), sends the JSON and classifies the answer: 2xx delivered; 5xx, 429,
/// timeouts and connection failures retryable; 3xx (never followed) and other
/// 4xx permanent; a refused target permanent with code `ssrf_refused`.
pub async fn deliver(d: &Delivery<'_>, opts: &DeliveryOptions) -> Result<Delivered, SendError> {
    let target = match ssrf::resolve(d.url, opts.policy).await {
        Ok(t) => t,
        Err(ssrf::SsrfError::Resolve(host)) => {
            return Err(SendError::retryable(format!("could not resolve {host}")));
        }
        Err(e) => {
            return Err(SendError::Permanent {
                message: e.to_string(),
                code: Some("ssrf_refused".to_owned()),
                opted_out: false,
            });
        }
    };
    let client = target
        .client(opts.timeout)
        .map_err(|e| SendError::permanent(e.to_string()))?;
    let mut req = client
        .post(target.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, "AgencyFlow-Webhooks/1");
    for (name, value) in d.secret.headers(d.msg_id, d.timestamp, d.body) {
        req = req.header(name, value);
    }
    let resp = req
        .body(d.body.to_vec())
        .send()
        .await
        .map_err(|e| classify_reqwest(&e))?;
    let status = resp.status().as_u16();
    if (300..400).contains(&status) {
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        return Err(SendError::Permanent {
            message: format!("HTTP {status}: redirect to {location:?} not followed"),
            code: Some(status.to_string()),
            opted_out: false,
        });
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        Ok(Delivered {
            status,
            body_excerpt: excerpt(&body, 500),
        })
    } else {
        Err(classify_http(
            status,
            retry_after.as_deref(),
            excerpt(&body, 200),
            None,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_and_redact() {
        assert!(WebhookSecret::parse("whsec_!!").is_err());
        assert!(WebhookSecret::parse("whsec_").is_err());
        let text = WebhookSecret::generate_text();
        let s = WebhookSecret::parse(&text).expect("generated secret parses");
        assert_eq!(s.0.len(), 32);
        assert_ne!(text, WebhookSecret::generate_text());
        assert_eq!(format!("{s:?}"), "WebhookSecret(<redacted>)");
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let s = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
        let sig = s.sign("m", i64::MAX, b"");
        assert_eq!(
            s.verify(
                "m",
                &i64::MAX.to_string(),
                &sig,
                b"",
                i64::MIN,
                DEFAULT_TOLERANCE
            ),
            Err(WebhookError::Expired)
        );
    }
}
