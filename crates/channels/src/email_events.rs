//! Email engagement events reported by SendGrid's and Brevo's event
//! webhooks: how a request is authenticated, and the vendors' payloads read
//! into one [`EmailEvent`] shape (what happened, to which of our messages,
//! and a key that makes a replay a no-op).
//!
//! **SendGrid** signs every post ("Signed Event Webhook"): ECDSA P-256 with
//! SHA-256 over the `X-Twilio-Email-Event-Webhook-Timestamp` header's value
//! followed by the raw body, base64 (ASN.1 DER) in
//! `X-Twilio-Email-Event-Webhook-Signature`. The verification key it shows
//! is a base64 DER SubjectPublicKeyInfo; [`SendGridKey::parse`] checks it
//! and keeps the 65-byte uncompressed point `ring` verifies with.
//!
//! **Brevo** does not sign; its webhooks can carry a bearer token or basic
//! auth only when created through its API, so the product authenticates the
//! URL itself: a per-workspace token derived from the server key (see
//! `af_web`'s `email_events`), which works however the webhook was created.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use uuid::Uuid;

/// DER prefix of a P-256 SubjectPublicKeyInfo (SEQUENCE, id-ecPublicKey,
/// prime256v1, BIT STRING with no unused bits); the 65-byte point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// How far a SendGrid timestamp may be from our clock, either way.
pub const SENDGRID_WINDOW_SECS: i64 = 600;

/// SendGrid's signature header.
pub const SENDGRID_SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
/// SendGrid's timestamp header.
pub const SENDGRID_TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";

/// A checked SendGrid verification key: the uncompressed P-256 point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendGridKey {
    point: Vec<u8>,
}

impl SendGridKey {
    /// Reads the key as SendGrid's console shows it (base64 DER SPKI;
    /// PEM armour and line breaks are tolerated). Anything else — another
    /// curve, RSA, a compressed or truncated point — is refused.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let b64: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if b64.is_empty() || b64.len() > 256 {
            return Err("not a SendGrid verification key");
        }
        let der = STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| "the key is not base64")?;
        if der.len() != P256_SPKI_PREFIX.len() + 65 || !der.starts_with(&P256_SPKI_PREFIX) {
            return Err("the key is not an ECDSA P-256 public key");
        }
        let point = der[P256_SPKI_PREFIX.len()..].to_vec();
        if point.first() != Some(&0x04) {
            return Err("the key is not an uncompressed P-256 point");
        }
        Ok(Self { point })
    }

    /// The SPKI DER of a 65-byte point, base64 (how SendGrid shows it);
    /// tests build keys with it.
    pub fn spki_base64(point: &[u8]) -> String {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(point);
        STANDARD.encode(der)
    }

    /// Whether `signature_b64` signs `timestamp` followed by `body`.
    pub fn verify(&self, timestamp: &str, body: &[u8], signature_b64: &str) -> bool {
        let Ok(sig) = STANDARD.decode(signature_b64.trim().as_bytes()) else {
            return false;
        };
        let mut signed = Vec::with_capacity(timestamp.len() + body.len());
        signed.extend_from_slice(timestamp.as_bytes());
        signed.extend_from_slice(body);
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &self.point,
        )
        .verify(&signed, &sig)
        .is_ok()
    }
}

/// Whether a SendGrid timestamp header (Unix seconds) is within
/// [`SENDGRID_WINDOW_SECS`] of `now` (Unix seconds).
pub fn timestamp_fresh(timestamp: &str, now: i64) -> bool {
    let t = timestamp.trim();
    if t.is_empty() || t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    t.parse::<i64>()
        .is_ok_and(|t| (now - t).abs() <= SENDGRID_WINDOW_SECS)
}

/// What an event means for our message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Accepted by the recipient's server.
    Delivered,
    /// Opened; `machine` for opens a mail client's privacy proxy made
    /// (SendGrid `sg_machine_open`, Brevo `proxy_open`): not the person.
    Opened {
        /// Made by a proxy, not the person.
        machine: bool,
    },
    /// A link was clicked.
    Clicked {
        /// The URL the vendor reports.
        url: String,
    },
    /// Hard bounce: the address does not exist (future marketing email to
    /// it is suppressed).
    HardBounce,
    /// Temporary or policy refusal (soft bounce, SendGrid `blocked`).
    SoftBounce,
    /// Not sent by the vendor (SendGrid `dropped`, Brevo `blocked`,
    /// `error`, `invalid_email`).
    Dropped,
    /// Marked as spam by the recipient (suppressed from then on).
    Spam,
    /// Unsubscribed through the vendor's link.
    Unsubscribed,
    /// Anything else (processed, deferred, request…): kept for
    /// de-duplication, changes nothing.
    Other,
}

/// One vendor event, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailEvent {
    /// `sendgrid` or `brevo`.
    pub provider: &'static str,
    /// Unique per provider and workspace: a replay has the same key.
    pub key: String,
    /// The vendor's event name.
    pub name: String,
    /// What it means.
    pub kind: EventKind,
    /// Our message id when the vendor echoes it (SendGrid custom argument,
    /// Brevo `X-Mailin-custom`).
    pub our_id: Option<Uuid>,
    /// The vendor's message id, as our send stored it.
    pub provider_id: Option<String>,
    /// The vendor's reason (bounces, drops).
    pub reason: Option<String>,
    /// When it happened (Unix seconds), when the vendor says.
    pub at: Option<i64>,
}

/// Longest text kept from a vendor field.
const MAX_FIELD: usize = 500;

fn text(v: &Value, key: &str) -> Option<String> {
    let s = match v.get(key)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then(|| s.chars().take(MAX_FIELD).collect())
}

fn uuid_of(s: Option<String>) -> Option<Uuid> {
    let s = s?;
    let s = s.strip_prefix("af:").unwrap_or(&s);
    Uuid::parse_str(s.trim()).ok()
}

/// Events in a body that is one object or an array of objects (at most
/// `max`); `None` when it is not JSON of that shape.
fn objects(body: &[u8], max: usize) -> Option<Vec<Value>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let list = match v {
        Value::Array(a) => a,
        o @ Value::Object(_) => vec![o],
        _ => return None,
    };
    (list.len() <= max && list.iter().all(Value::is_object)).then_some(list)
}

/// Most events one request may carry.
pub const MAX_EVENTS: usize = 5000;

/// SendGrid's batch (a JSON array). Events without `sg_event_id` or
/// `event` are left out (they cannot be de-duplicated); `None` when the
/// body is not such an array.
pub fn parse_sendgrid(body: &[u8]) -> Option<Vec<EmailEvent>> {
    let list = objects(body, MAX_EVENTS)?;
    Some(
        list.iter()
            .filter_map(|e| {
                let key = text(e, "sg_event_id")?;
                let name = text(e, "event")?.to_ascii_lowercase();
                let kind = match name.as_str() {
                    "delivered" => EventKind::Delivered,
                    "open" => EventKind::Opened {
                        machine: e.get("sg_machine_open") == Some(&Value::Bool(true)),
                    },
                    "click" => EventKind::Clicked {
                        url: text(e, "url").unwrap_or_default(),
                    },
                    "bounce" => match text(e, "type").as_deref() {
                        Some("blocked") => EventKind::SoftBounce,
                        _ => EventKind::HardBounce,
                    },
                    "dropped" => EventKind::Dropped,
                    "spamreport" => EventKind::Spam,
                    "unsubscribe" | "group_unsubscribe" => EventKind::Unsubscribed,
                    _ => EventKind::Other,
                };
                // X-Message-Id (what the send stored) is sg_message_id up
                // to its first dot.
                let provider_id = text(e, "sg_message_id")
                    .and_then(|m| m.split('.').next().map(str::to_owned))
                    .filter(|m| !m.is_empty());
                Some(EmailEvent {
                    provider: "sendgrid",
                    key,
                    name,
                    kind,
                    our_id: uuid_of(text(e, "af_message_id"))
                        .or_else(|| uuid_of(text(e, "af_idempotency_key"))),
                    provider_id,
                    reason: text(e, "reason").or_else(|| text(e, "response")),
                    at: e.get("timestamp").and_then(Value::as_i64),
                })
            })
            .collect(),
    )
}

/// Brevo's transactional webhook: one event object, or an array when the
/// webhook is batched. The key is Brevo's message id, event, time and
/// link (Brevo's `id` is the webhook's, the same for every event).
pub fn parse_brevo(body: &[u8]) -> Option<Vec<EmailEvent>> {
    let list = objects(body, MAX_EVENTS)?;
    Some(
        list.iter()
            .filter_map(|e| {
                let name = text(e, "event")?.to_ascii_lowercase();
                let message_id = text(e, "message-id");
                let our_id = uuid_of(text(e, "X-Mailin-custom"));
                if message_id.is_none() && our_id.is_none() {
                    return None;
                }
                let at = e
                    .get("ts_event")
                    .or_else(|| e.get("ts"))
                    .and_then(Value::as_i64);
                let link = text(e, "link");
                let kind = match name.as_str() {
                    "delivered" => EventKind::Delivered,
                    "opened" | "unique_opened" => EventKind::Opened { machine: false },
                    "proxy_open" | "unique_proxy_open" => EventKind::Opened { machine: true },
                    "click" => EventKind::Clicked {
                        url: link.clone().unwrap_or_default(),
                    },
                    "hard_bounce" => EventKind::HardBounce,
                    "soft_bounce" => EventKind::SoftBounce,
                    "blocked" | "invalid_email" | "error" => EventKind::Dropped,
                    "spam" => EventKind::Spam,
                    "unsubscribed" => EventKind::Unsubscribed,
                    _ => EventKind::Other,
                };
                let key = format!(
                    "{}|{}|{name}|{}|{}",
                    message_id.as_deref().unwrap_or(""),
                    our_id.map(|u| u.to_string()).unwrap_or_default(),
                    at.map(|t| t.to_string()).unwrap_or_default(),
                    link.as_deref().unwrap_or(""),
                );
                Some(EmailEvent {
                    provider: "brevo",
                    key: af_core::crypto::sha256_hex(&key),
                    name,
                    kind,
                    our_id,
                    provider_id: message_id,
                    reason: text(e, "reason"),
                    at,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    fn pair() -> (EcdsaKeyPair, SendGridKey) {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("pkcs8");
        let kp = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .expect("pair");
        let key =
            SendGridKey::parse(&SendGridKey::spki_base64(kp.public_key().as_ref())).expect("key");
        (kp, key)
    }

    fn sign(kp: &EcdsaKeyPair, ts: &str, body: &[u8]) -> String {
        let mut m = ts.as_bytes().to_vec();
        m.extend_from_slice(body);
        STANDARD.encode(kp.sign(&SystemRandom::new(), &m).expect("sign").as_ref())
    }

    #[test]
    fn sendgrid_signature_round_trip_and_tampering() {
        let (kp, key) = pair();
        let body = br#"[{"email":"a@x.test","event":"open","sg_event_id":"e1"}]"#;
        let sig = sign(&kp, "1700000000", body);
        assert!(key.verify("1700000000", body, &sig));
        assert!(!key.verify("1700000001", body, &sig), "other timestamp");
        let mut tampered = body.to_vec();
        tampered[3] = b'b';
        assert!(!key.verify("1700000000", &tampered, &sig), "tampered body");
        let (_, other) = pair();
        assert!(!other.verify("1700000000", body, &sig), "other key");
        assert!(!key.verify("1700000000", body, "not base64!"));
        assert!(!key.verify("1700000000", body, ""));
    }

    #[test]
    fn keys_are_checked() {
        let (_, key) = pair();
        let good = SendGridKey::spki_base64(&key.point);
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{good}\n-----END PUBLIC KEY-----\n");
        assert_eq!(SendGridKey::parse(&pem), Ok(key.clone()));
        for bad in [
            "",
            "abc",
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
            &good[..good.len() - 4],
        ] {
            assert!(SendGridKey::parse(bad).is_err(), "{bad:?}");
        }
        // A compressed point is not what SendGrid gives.
        let mut point = key.point.clone();
        point[0] = 0x02;
        assert!(SendGridKey::parse(&SendGridKey::spki_base64(&point)).is_err());
    }

    #[test]
    fn freshness() {
        assert!(timestamp_fresh("1000", 1000 + SENDGRID_WINDOW_SECS));
        assert!(!timestamp_fresh("1000", 1001 + SENDGRID_WINDOW_SECS));
        assert!(!timestamp_fresh("99999", 1000), "future");
        for bad in ["", "-5", "1e9", "12345678901234", " "] {
            assert!(!timestamp_fresh(bad, 1000), "{bad:?}");
        }
    }

    #[test]
    fn reads_sendgrid_sample_batch() {
        let id = Uuid::new_v4();
        let body = format!(
            r#"[
          {{"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"bounce","category":"cat facts","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","reason":"500 unknown recipient","status":"5.0.0","type":"bounce"}},
          {{"email":"example@test.com","timestamp":1513299569,"event":"open","sg_machine_open":false,"sg_event_id":"FOTFFO0ecsBE-zxFXfs6WA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","useragent":"Mozilla/4.0","ip":"255.255.255.255","af_idempotency_key":"{id}"}},
          {{"email":"example@test.com","timestamp":1513299569,"event":"click","url":"https://sendgrid.com","sg_event_id":"kCAi1KttyQdEKHhdC-nuEA==","url_offset":{{"index":0,"type":"html"}}}},
          {{"email":"example@test.com","event":"processed"}}
        ]"#
        );
        let ev = parse_sendgrid(body.as_bytes()).expect("parsed");
        assert_eq!(ev.len(), 3, "the event without an id is left out");
        assert_eq!(ev[0].kind, EventKind::HardBounce);
        assert_eq!(ev[0].provider_id.as_deref(), Some("14c5d75ce93"));
        assert_eq!(ev[0].reason.as_deref(), Some("500 unknown recipient"));
        assert_eq!(ev[1].kind, EventKind::Opened { machine: false });
        assert_eq!(ev[1].our_id, Some(id));
        assert_eq!(ev[1].at, Some(1513299569));
        assert_eq!(
            ev[2].kind,
            EventKind::Clicked {
                url: "https://sendgrid.com".into()
            }
        );
        for bad in [&b"{"[..], b"42", b"[1,2]", b"\"x\""] {
            assert_eq!(parse_sendgrid(bad), None);
        }
    }

    #[test]
    fn reads_brevo_payloads() {
        let one = br#"{"event":"hard_bounce","email":"example@example.com","id":26224,"date":"2020-08-28 20:48:29","ts":1598634509,"message-id":"<201798300811.5787683@relay.domain.com>","ts_event":1598034509,"subject":"Subject Line","tag":"[\"transactionalTag\"]","sending_ip":"185.41.28.109","ts_epoch":1598634509223,"tags":["myFirstTransactional"],"reason":"unknown user"}"#;
        let ev = parse_brevo(one).expect("parsed");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EventKind::HardBounce);
        assert_eq!(
            ev[0].provider_id.as_deref(),
            Some("<201798300811.5787683@relay.domain.com>")
        );
        assert_eq!(ev[0].at, Some(1598034509));
        let again = parse_brevo(one).expect("parsed");
        assert_eq!(again[0].key, ev[0].key, "a replay has the same key");
        let id = Uuid::new_v4();
        let batch = format!(
            r#"[{{"event":"click","email":"a@x.test","message-id":"<m@x>","ts_event":1,"link":"https://a.test/1","X-Mailin-custom":"af:{id}"}},
                {{"event":"click","email":"a@x.test","message-id":"<m@x>","ts_event":1,"link":"https://a.test/2"}},
                {{"event":"unique_opened","email":"a@x.test"}}]"#
        );
        let ev = parse_brevo(batch.as_bytes()).expect("parsed");
        assert_eq!(ev.len(), 2, "no message reference: left out");
        assert_eq!(ev[0].our_id, Some(id));
        assert_ne!(ev[0].key, ev[1].key, "two links, two events");
    }
}
