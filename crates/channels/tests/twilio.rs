//! Twilio Messages and Calls against a local fake that checks the 2010-04-01
//! API's form bodies and Basic auth; and `X-Twilio-Signature` against the
//! official vectors.

mod common;

use std::time::Duration;

use af_channels::config::Secret;
use af_channels::providers::vendor_http_client;
use af_channels::twilio::{Twilio, TwilioConfig};
use af_channels::twilio_signature::{signature, validate, validate_json_body};
use af_channels::{DeliveryStatus, OutgoingMessage, SendError, VoiceSpec};
use base64::Engine as _;
use common::{Reply, install_crypto, start};

const SID: &str = "AC0123456789abcdef0123456789abcdef";

fn twilio(base: &str, timeout_ms: u64) -> Twilio {
    install_crypto();
    Twilio::new(
        vendor_http_client(Duration::from_millis(timeout_ms)).expect("client"),
        TwilioConfig {
            account_sid: SID.into(),
            auth_token: Secret::new("tok-secret"),
            sms_from: Some("+15550001111".into()),
            whatsapp_from: Some("+15550002222".into()),
            caller_id: Some("+15550003333".into()),
            api_base: base.into(),
        },
    )
}

fn expected_basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SID}:tok-secret"))
    )
}

const CREATED_MSG: &str = r#"{"sid":"SM123","status":"queued","account_sid":"AC0123456789abcdef0123456789abcdef","body":"hola"}"#;

#[tokio::test]
async fn sms_posts_the_documented_form() {
    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let mut m = OutgoingMessage::sms("+525512345678", "Hola & adiós", "k1");
    m.status_callback_url = Some("https://crm.test/hooks/twilio/status?ws=1".into());
    let out = twilio(&fake.base, 5_000).send(&m).await.expect("sent");
    assert_eq!(out.provider, "twilio");
    assert_eq!(out.provider_id.as_deref(), Some("SM123"));
    assert_eq!(out.status, DeliveryStatus::Queued);

    let r = fake.only_request();
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert_eq!(r.header("authorization"), Some(expected_basic().as_str()));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    common::schema::assert_form(&r.form(), "twilio_create_message");
    assert_eq!(r.form_value("To").as_deref(), Some("+525512345678"));
    assert_eq!(r.form_value("From").as_deref(), Some("+15550001111"));
    assert_eq!(r.form_value("Body").as_deref(), Some("Hola & adiós"));
    assert_eq!(
        r.form_value("StatusCallback").as_deref(),
        Some("https://crm.test/hooks/twilio/status?ws=1")
    );
}

#[tokio::test]
async fn whatsapp_uses_prefixed_addresses() {
    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let m = OutgoingMessage::whatsapp("whatsapp:+525512345678", "Hola", "k1");
    twilio(&fake.base, 5_000).send(&m).await.expect("sent");
    let r = fake.only_request();
    common::schema::assert_form(&r.form(), "twilio_create_message");
    assert_eq!(
        r.form_value("To").as_deref(),
        Some("whatsapp:+525512345678")
    );
    assert_eq!(
        r.form_value("From").as_deref(),
        Some("whatsapp:+15550002222")
    );
}

#[tokio::test]
async fn calls_send_twiml_callbacks_and_machine_detection() {
    let fake = start(|_| Reply::new(201, r#"{"sid":"CA999","status":"queued"}"#)).await;
    let mut m = OutgoingMessage::voice(
        "+525512345678",
        VoiceSpec {
            say_text: Some("Hola <Ana>, tu cita es mañana".into()),
            language: Some("es-MX".into()),
            play_url: None,
            machine_detection: true,
        },
        "k-call",
    );
    m.status_callback_url = Some("https://crm.test/hooks/twilio/call".into());
    let out = twilio(&fake.base, 5_000).send(&m).await.expect("placed");
    assert_eq!(out.provider_id.as_deref(), Some("CA999"));

    let r = fake.only_request();
    assert_eq!(r.path, format!("/2010-04-01/Accounts/{SID}/Calls.json"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    common::schema::assert_form(&r.form(), "twilio_create_call");
    assert_eq!(r.header("authorization"), Some(expected_basic().as_str()));
    assert_eq!(r.form_value("To").as_deref(), Some("+525512345678"));
    assert_eq!(r.form_value("From").as_deref(), Some("+15550003333"));
    assert_eq!(
        r.form_value("Twiml").as_deref(),
        Some(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"es-MX\">Hola &lt;Ana&gt;, tu cita es mañana</Say></Response>"
        )
    );
    assert_eq!(r.form_value("MachineDetection").as_deref(), Some("Enable"));
    assert_eq!(
        r.form_value("StatusCallback").as_deref(),
        Some("https://crm.test/hooks/twilio/call")
    );
    let events: Vec<String> = r
        .form()
        .into_iter()
        .filter(|(k, _)| k == "StatusCallbackEvent")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(events, ["initiated", "ringing", "answered", "completed"]);
    assert!(r.form_value("Url").is_none(), "Twiml and Url are exclusive");
}

async fn twilio_error(reply: Reply) -> SendError {
    let fake = start(move |_| reply.clone()).await;
    twilio(&fake.base, 5_000)
        .send(&OutgoingMessage::sms("+525512345678", "hola", "k"))
        .await
        .expect_err("should fail")
}

#[tokio::test]
async fn unsubscribed_recipient_is_permanent_and_opted_out() {
    let e = twilio_error(Reply::new(
        400,
        r#"{"code":21610,"message":"Attempt to send to unsubscribed recipient","more_info":"https://www.twilio.com/docs/errors/21610","status":400}"#,
    ))
    .await;
    assert!(!e.is_retryable());
    assert!(e.is_opted_out(), "{e:?}");
    match e {
        SendError::Permanent { code, message, .. } => {
            assert_eq!(code.as_deref(), Some("21610"));
            assert!(message.contains("unsubscribed recipient"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn other_errors_classify_by_status() {
    let e = twilio_error(Reply::new(
        400,
        r#"{"code":21211,"message":"The 'To' number is not a valid phone number.","status":400}"#,
    ))
    .await;
    assert!(!e.is_retryable() && !e.is_opted_out());
    let e = twilio_error(Reply::new(
        401,
        r#"{"code":20003,"message":"Authenticate","status":401}"#,
    ))
    .await;
    assert!(!e.is_retryable() && !e.is_opted_out());
    let e = twilio_error(
        Reply::new(
            429,
            r#"{"code":20429,"message":"Too Many Requests","status":429}"#,
        )
        .header("Retry-After", "30"),
    )
    .await;
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    assert!(twilio_error(Reply::new(500, "")).await.is_retryable());
    assert!(
        twilio_error(Reply::new(503, "<html>down</html>"))
            .await
            .is_retryable()
    );
}

#[tokio::test]
async fn timeouts_are_retryable_and_bad_input_never_reaches_twilio() {
    let fake = start(|_| Reply::hang()).await;
    let e = twilio(&fake.base, 300)
        .send(&OutgoingMessage::sms("+525512345678", "hola", "k"))
        .await
        .expect_err("timeout");
    assert!(e.is_retryable(), "{e:?}");

    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let t = twilio(&fake.base, 5_000);
    for m in [
        OutgoingMessage::sms("5512345678", "hola", "k"),
        OutgoingMessage::sms("+525512345678", "  ", "k"),
        OutgoingMessage::voice("+525512345678", VoiceSpec::default(), "k"),
    ] {
        assert!(!t.send(&m).await.expect_err("invalid").is_retryable());
    }
    assert!(fake.requests().is_empty());
}

// ---- X-Twilio-Signature, vectors from ../shared/fixtures ----

#[derive(serde::Deserialize)]
struct Vectors {
    auth_token: String,
    url: String,
    params: std::collections::BTreeMap<String, String>,
    string_to_sign: String,
    #[serde(rename = "X-Twilio-Signature")]
    signature: String,
    variants: std::collections::BTreeMap<String, String>,
}

fn vectors() -> Vectors {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/twilio_signature_vectors.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|_| include_str!("fixtures/twilio_signature_vectors.json").to_owned());
    serde_json::from_str(&text).expect("vectors")
}

fn variant(v: &Vectors, starts: &str) -> String {
    v.variants
        .iter()
        .find(|(k, _)| k.starts_with(starts))
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("variant {starts}"))
}

fn params(v: &Vectors) -> Vec<(String, String)> {
    v.params
        .iter()
        .map(|(k, s)| (k.clone(), s.clone()))
        .collect()
}

#[test]
fn official_vector_and_string_to_sign() {
    let v = vectors();
    assert_eq!(signature(&v.auth_token, &v.url, &params(&v)), v.signature);
    // The string-to-sign is URL + sorted name/value pairs.
    let mut sorted = params(&v);
    sorted.sort();
    let built: String = std::iter::once(v.url.clone())
        .chain(sorted.iter().map(|(k, s)| format!("{k}{s}")))
        .collect();
    assert_eq!(built, v.string_to_sign);
    assert!(validate(&v.auth_token, &v.url, &params(&v), &v.signature));
}

#[test]
fn port_and_scheme_variants() {
    let v = vectors();
    let p = params(&v);
    let with_443 = v.url.replace("mycompany.com/", "mycompany.com:443/");
    let http = v.url.replace("https://", "http://");
    let http_80 = http.replace("mycompany.com/", "mycompany.com:80/");
    let http_1234 = http.replace("mycompany.com/", "mycompany.com:1234/");

    let sig_443 = variant(&v, "same params, url with :443");
    let sig_80 = variant(&v, "http url with :80");
    let sig_1234 = variant(&v, "http url with :1234");
    assert_eq!(signature(&v.auth_token, &with_443, &p), sig_443);
    assert_eq!(signature(&v.auth_token, &http_80, &p), sig_80);
    assert_eq!(signature(&v.auth_token, &http_1234, &p), sig_1234);

    // Twilio signed with the default port, we see the URL without it, and
    // the other way round.
    assert!(validate(&v.auth_token, &v.url, &p, &sig_443));
    assert!(validate(&v.auth_token, &with_443, &p, &v.signature));
    assert!(validate(&v.auth_token, &http, &p, &sig_80));
    assert!(validate(&v.auth_token, &http_80, &p, &sig_80));
    // A non-default port is part of the URL.
    assert!(validate(&v.auth_token, &http_1234, &p, &sig_1234));
    assert!(!validate(&v.auth_token, &http, &p, &sig_1234));
    assert!(!validate(&v.auth_token, &http_1234, &p, &sig_80));
    // The scheme is signed: an https signature does not validate over http.
    assert!(!validate(&v.auth_token, &http, &p, &v.signature));
    assert!(!validate(&v.auth_token, &v.url, &p, &sig_80));
}

#[test]
fn duplicate_params_sort_by_name_then_value() {
    let v = vectors();
    let sig = variant(&v, "duplicate params");
    let p = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
    ];
    assert_eq!(signature(&v.auth_token, &v.url, &p), sig);
    let reordered = [
        ("Digits", "1234"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Sid", "CA123"),
    ];
    assert!(validate(&v.auth_token, &v.url, &reordered, &sig));
}

#[test]
fn json_body_variant_signs_url_with_body_hash() {
    let v = vectors();
    let sig = variant(&v, "json body");
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = format!(
        "{}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
        v.url
    );
    assert!(validate_json_body(&v.auth_token, &url, body, &sig));
    assert!(!validate_json_body(
        &v.auth_token,
        &url,
        br#"{"property": "other", "boolean": true}"#,
        &sig
    ));
    assert!(
        !validate_json_body(&v.auth_token, &v.url, body, &sig),
        "no bodySHA256"
    );
}

#[test]
fn tampered_requests_fail() {
    let v = vectors();
    let mut p = params(&v);
    assert!(!validate("54321", &v.url, &p, &v.signature), "wrong token");
    assert!(
        !validate(
            &v.auth_token,
            &v.url.replace("foo=1", "foo=2"),
            &p,
            &v.signature
        ),
        "url"
    );
    assert!(!validate(
        &v.auth_token,
        "https://evil.com/myapp.php?foo=1&bar=2",
        &p,
        &v.signature
    ));
    p[0].1.push('0');
    assert!(
        !validate(&v.auth_token, &v.url, &p, &v.signature),
        "param value"
    );
    let p = params(&v);
    let mut extra = p.clone();
    extra.push(("Extra".into(), "1".into()));
    assert!(
        !validate(&v.auth_token, &v.url, &extra, &v.signature),
        "added param"
    );
    assert!(
        !validate(&v.auth_token, &v.url, &p[1..], &v.signature),
        "dropped param"
    );
    assert!(!validate(&v.auth_token, &v.url, &p, ""), "empty signature");
    assert!(
        !validate(&v.auth_token, &v.url, &p, &v.signature[1..]),
        "truncated"
    );
    assert!(
        !validate("", &v.url, &p, &v.signature),
        "no token configured"
    );
}
