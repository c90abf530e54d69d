//! Standard Webhooks signing with the official vector, and deliveries through
//! the SSRF guard to a local fake endpoint.

mod common;

use std::time::Duration;

use af_channels::SendError;
use af_channels::ssrf::{self, SsrfError, SsrfPolicy};
use af_channels::webhooks::{
    DEFAULT_TOLERANCE, Delivery, DeliveryOptions, WebhookError, WebhookSecret, deliver,
};
use common::{Reply, install_crypto, start};

#[derive(serde::Deserialize)]
struct Vector {
    secret: String,
    #[serde(rename = "webhook-id")]
    id: String,
    #[serde(rename = "webhook-timestamp")]
    timestamp: i64,
    body: String,
    #[serde(rename = "webhook-signature")]
    signature: String,
}

fn vector() -> Vector {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/standard_webhooks_vector.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|_| include_str!("fixtures/standard_webhooks_vector.json").to_owned());
    serde_json::from_str(&text).expect("vector")
}

#[test]
fn signs_the_official_vector() {
    let v = vector();
    let s = WebhookSecret::parse(&v.secret).expect("secret");
    assert_eq!(s.sign(&v.id, v.timestamp, v.body.as_bytes()), v.signature);
    let h = s.headers(&v.id, v.timestamp, v.body.as_bytes());
    assert_eq!(h[0], ("webhook-id", v.id.clone()));
    assert_eq!(h[1], ("webhook-timestamp", v.timestamp.to_string()));
    assert_eq!(h[2], ("webhook-signature", v.signature.clone()));
}

#[test]
fn verifies_with_tolerance_and_refuses_tampering() {
    let v = vector();
    let s = WebhookSecret::parse(&v.secret).expect("secret");
    let ts = v.timestamp.to_string();
    let body = v.body.as_bytes();
    let now = v.timestamp + 10;
    assert_eq!(
        s.verify(&v.id, &ts, &v.signature, body, now, DEFAULT_TOLERANCE),
        Ok(())
    );
    // Several signatures (rotation): one valid v1 is enough.
    let multi = format!("v1,bm9wZQ== v2,xyz {}", v.signature);
    assert_eq!(
        s.verify(&v.id, &ts, &multi, body, now, DEFAULT_TOLERANCE),
        Ok(())
    );
    let tampered_body = v.body.replace("test_user", "admin");
    assert_eq!(
        s.verify(
            &v.id,
            &ts,
            &v.signature,
            tampered_body.as_bytes(),
            now,
            DEFAULT_TOLERANCE
        ),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        s.verify("msg_other", &ts, &v.signature, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature)
    );
    let other_ts = (v.timestamp + 1).to_string();
    assert_eq!(
        s.verify(&v.id, &other_ts, &v.signature, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        s.verify(
            &v.id,
            &ts,
            &v.signature,
            body,
            v.timestamp + 301,
            DEFAULT_TOLERANCE
        ),
        Err(WebhookError::Expired)
    );
    assert_eq!(
        s.verify(
            &v.id,
            &ts,
            &v.signature,
            body,
            v.timestamp - 301,
            DEFAULT_TOLERANCE
        ),
        Err(WebhookError::Expired)
    );
    assert_eq!(
        s.verify(&v.id, "soon", &v.signature, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadHeader("webhook-timestamp"))
    );
    let other = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("secret");
    assert_eq!(
        other.verify(&v.id, &ts, &v.signature, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature)
    );
    let unprefixed = v.signature.trim_start_matches("v1,").to_owned();
    assert_eq!(
        s.verify(&v.id, &ts, &unprefixed, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature),
        "the version prefix is required"
    );
}

fn opts(allow_private: bool) -> DeliveryOptions {
    install_crypto();
    DeliveryOptions {
        policy: SsrfPolicy { allow_private },
        timeout: Duration::from_secs(5),
    }
}

fn delivery<'a>(url: &'a str, secret: &'a WebhookSecret, body: &'a [u8]) -> Delivery<'a> {
    Delivery {
        url,
        secret,
        msg_id: "evt_01J",
        timestamp: 1_764_590_000,
        body,
    }
}

#[tokio::test]
async fn delivers_signed_json_to_an_allowed_endpoint() {
    let fake = start(|_| Reply::new(200, r#"{"ok":true}"#)).await;
    let secret = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
    let body = br#"{"type":"contact.created","data":{"id":"c1"}}"#;
    let url = format!("{}/hooks/in?x=1", fake.base);
    let done = deliver(&delivery(&url, &secret, body), &opts(true))
        .await
        .expect("delivered");
    assert_eq!(done.status, 200);
    assert_eq!(done.body_excerpt, r#"{"ok":true}"#);

    let r = fake.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_deref()),
        ("POST", "/hooks/in", Some("x=1"))
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body, body);
    let (id, ts, sig) = (
        r.header("webhook-id").expect("id"),
        r.header("webhook-timestamp").expect("ts"),
        r.header("webhook-signature").expect("sig"),
    );
    assert_eq!(id, "evt_01J");
    assert_eq!(
        secret.verify(id, ts, sig, &r.body, 1_764_590_030, DEFAULT_TOLERANCE),
        Ok(())
    );
}

#[tokio::test]
async fn the_local_fake_is_refused_without_allow_private() {
    let fake = start(|_| Reply::new(200, "")).await;
    let secret = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
    for url in [
        format!("{}/x", fake.base),
        format!("http://localhost:{}/x", fake.addr.port()),
        format!("http://0x7f000001:{}/x", fake.addr.port()),
        format!("http://2130706433:{}/x", fake.addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/x", fake.addr.port()),
    ] {
        let e = deliver(&delivery(&url, &secret, b"{}"), &opts(false))
            .await
            .expect_err("refused");
        match e {
            SendError::Permanent { code, .. } => {
                assert_eq!(code.as_deref(), Some("ssrf_refused"), "{url}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(fake.requests().is_empty(), "nothing reached the server");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let fake = start(|r| {
        if r.path == "/start" {
            Reply::new(302, "").header("location", "/internal-admin")
        } else {
            Reply::new(200, "followed!")
        }
    })
    .await;
    let secret = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
    let url = format!("{}/start", fake.base);
    let e = deliver(&delivery(&url, &secret, b"{}"), &opts(true))
        .await
        .expect_err("3xx fails");
    assert!(!e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("not followed"), "{e}");
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/start"]);
}

async fn delivery_error(reply: Reply) -> SendError {
    let fake = start(move |_| reply.clone()).await;
    let secret = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
    let url = format!("{}/h", fake.base);
    deliver(&delivery(&url, &secret, b"{}"), &opts(true))
        .await
        .expect_err("fails")
}

#[tokio::test]
async fn retry_policy_per_status() {
    assert!(delivery_error(Reply::new(500, "")).await.is_retryable());
    assert!(delivery_error(Reply::new(503, "")).await.is_retryable());
    let e = delivery_error(Reply::new(429, "").header("Retry-After", "60")).await;
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    assert!(!delivery_error(Reply::new(400, "")).await.is_retryable());
    assert!(!delivery_error(Reply::new(401, "")).await.is_retryable());
    assert!(!delivery_error(Reply::new(410, "")).await.is_retryable());
    assert!(
        !delivery_error(Reply::new(301, "").header("location", "https://example.com"))
            .await
            .is_retryable()
    );
    // An endpoint that never answers, with a short timeout.
    let fake = start(|_| Reply::hang()).await;
    let secret = WebhookSecret::parse(&WebhookSecret::generate_text()).expect("secret");
    let url = format!("{}/h", fake.base);
    let short = DeliveryOptions {
        timeout: Duration::from_millis(300),
        ..opts(true)
    };
    let e = deliver(&delivery(&url, &secret, b"{}"), &short)
        .await
        .expect_err("timeout");
    assert!(e.is_retryable(), "timeout: {e:?}");
}

#[tokio::test]
async fn the_issue_list_is_refused_at_send_time_too() {
    for url in [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://100.64.0.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
    ] {
        let e = ssrf::resolve(url, SsrfPolicy::default())
            .await
            .expect_err(url);
        assert!(matches!(e, SsrfError::Refused { .. }), "{url}: {e:?}");
    }
    assert!(matches!(
        ssrf::resolve(
            "file:///etc/passwd",
            SsrfPolicy {
                allow_private: true
            }
        )
        .await,
        Err(SsrfError::Scheme(_))
    ));
}

#[tokio::test]
async fn pinned_client_connects_to_the_checked_address() {
    // A name is resolved once; the client is pinned to what was checked.
    let fake = start(|_| Reply::new(204, "")).await;
    let target = ssrf::resolve(
        &format!("http://localhost:{}/p", fake.addr.port()),
        SsrfPolicy {
            allow_private: true,
        },
    )
    .await
    .expect("allowed");
    assert!(target.addrs.iter().all(|a| a.ip().is_loopback()));
    install_crypto();
    let client = target.client(Duration::from_secs(2)).expect("client");
    let resp = client
        .get(target.url.clone())
        .send()
        .await
        .expect("reached");
    assert_eq!(resp.status().as_u16(), 204);
}
