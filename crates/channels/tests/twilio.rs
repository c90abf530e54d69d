//! Twilio Messages and Calls against a local fake that checks the 2010-04-01
//! API's form bodies and Basic auth (templates included); inbound media and
//! their download through the SSRF guard; and `X-Twilio-Signature` against
//! the official vectors.

mod common;

use std::time::Duration;

use af_channels::config::Secret;
use af_channels::providers::vendor_http_client;
use af_channels::ssrf::SsrfPolicy;
use af_channels::twilio::{
    FetchedMedia, InboundMedia, InboundMessage, Twilio, TwilioConfig, fetch_media,
};
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

// ---- WhatsApp approved templates (Content API) ----

const CONTENT_SID: &str = "HXb5b62575e6e4ff6129ad7c8efe1f983e";

#[tokio::test]
async fn a_template_sends_content_sid_and_variables_and_no_body() {
    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let mut m = OutgoingMessage::whatsapp("+525512345678", "", "k-tpl");
    m.content_sid = Some(CONTENT_SID.into());
    m.content_variables = Some(r#"{"1":"Ana","2":"mañana 10:00"}"#.into());
    m.status_callback_url = Some("https://crm.test/hooks/twilio/status".into());
    let out = twilio(&fake.base, 5_000).send(&m).await.expect("sent");
    assert_eq!(out.provider_id.as_deref(), Some("SM123"));

    let r = fake.only_request();
    assert_eq!(r.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert_eq!(r.header("authorization"), Some(expected_basic().as_str()));
    common::schema::assert_form(&r.form(), "twilio_create_message");
    assert_eq!(r.form_value("ContentSid").as_deref(), Some(CONTENT_SID));
    assert_eq!(
        r.form_value("ContentVariables").as_deref(),
        Some(r#"{"1":"Ana","2":"mañana 10:00"}"#)
    );
    assert!(r.form_value("Body").is_none(), "a template sends no Body");
    assert_eq!(
        r.form_value("To").as_deref(),
        Some("whatsapp:+525512345678")
    );
    assert_eq!(
        r.form_value("From").as_deref(),
        Some("whatsapp:+15550002222")
    );

    // SMS takes templates too; variables are optional; a text given
    // beside the template is not sent.
    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let mut m = OutgoingMessage::sms("+525512345678", "ignored", "k-tpl2");
    m.content_sid = Some(CONTENT_SID.to_uppercase());
    twilio(&fake.base, 5_000).send(&m).await.expect("sent");
    let r = fake.only_request();
    common::schema::assert_form(&r.form(), "twilio_create_message");
    assert!(r.form_value("ContentSid").is_some());
    assert!(r.form_value("ContentVariables").is_none());
    assert!(r.form_value("Body").is_none());
}

#[tokio::test]
async fn a_bad_template_is_refused_before_any_http_call() {
    let fake = start(|_| Reply::new(201, CREATED_MSG)).await;
    let t = twilio(&fake.base, 5_000);
    let tpl = |sid: Option<&str>, vars: Option<&str>| {
        let mut m = OutgoingMessage::whatsapp("+525512345678", "", "k");
        m.content_sid = sid.map(str::to_owned);
        m.content_variables = vars.map(str::to_owned);
        m
    };
    let hex32 = &CONTENT_SID[2..];
    let cases = [
        tpl(Some("HX123"), None),
        tpl(Some(&format!("MG{hex32}")), None),
        tpl(Some(&format!("HX{}", "g".repeat(32))), None),
        tpl(Some(&format!("HX{hex32}0")), None),
        tpl(Some(&format!("HX{hex32}\r\nBody: x")), None),
        tpl(Some(CONTENT_SID), Some("not json")),
        tpl(Some(CONTENT_SID), Some(r#"["Ana"]"#)),
        tpl(Some(CONTENT_SID), Some(r#"{"1":1}"#)),
        tpl(Some(CONTENT_SID), Some(r#"{"1":{"x":"y"}}"#)),
        tpl(None, Some(r#"{"1":"Ana"}"#)),
    ];
    for m in &cases {
        let e = t.send(m).await.expect_err("invalid template");
        assert!(!e.is_retryable(), "{e:?}");
        assert!(
            matches!(&e, SendError::Permanent { code: Some(c), .. } if c == "invalid_message"),
            "{e:?}"
        );
    }
    // Calls do not take templates.
    let mut call = OutgoingMessage::voice(
        "+525512345678",
        VoiceSpec {
            say_text: Some("hola".into()),
            ..VoiceSpec::default()
        },
        "k",
    );
    call.content_sid = Some(CONTENT_SID.into());
    assert!(!t.send(&call).await.expect_err("call").is_retryable());
    assert!(fake.requests().is_empty(), "nothing reached Twilio");
}

// ---- Inbound media and profile names ----

#[test]
fn inbound_messages_read_media_and_the_profile_name() {
    let long_name = "Ñ".repeat(150);
    let m = InboundMessage::from_params(&[
        ("MessageSid", "MM1"),
        ("From", "whatsapp:+525512345678"),
        ("To", "whatsapp:+15550002222"),
        ("Body", ""),
        ("ProfileName", "  Ana\r\nPérez  "),
        ("NumMedia", "3"),
        (
            "MediaUrl0",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0",
        ),
        ("MediaContentType0", "image/JPEG"),
        (
            "MediaUrl1",
            "ftp://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
        ),
        ("MediaContentType1", "image/png"),
        (
            "MediaUrl2",
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
        ),
        ("MediaContentType2", "audio/ogg"),
        // Past NumMedia: not Twilio's.
        ("MediaUrl3", "https://evil.test/x"),
        ("MediaContentType3", "image/png"),
    ])
    .expect("inbound");
    assert_eq!(m.profile_name.as_deref(), Some("Ana Pérez"));
    assert_eq!(
        m.media,
        vec![
            InboundMedia {
                url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME0".into(),
                content_type: "image/jpeg".into(),
            },
            InboundMedia {
                url: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2".into(),
                content_type: "audio/ogg".into(),
            },
        ],
        "the ftp entry and the one past NumMedia are ignored"
    );

    let pairs: Vec<(String, String)> = [
        ("MessageSid".to_owned(), "MM2".to_owned()),
        ("From".to_owned(), "+525512345678".to_owned()),
        ("NumMedia".to_owned(), "50".to_owned()),
        ("ProfileName".to_owned(), long_name.clone()),
    ]
    .into_iter()
    .chain((0..50).map(|i| (format!("MediaUrl{i}"), format!("https://m.test/{i}"))))
    .collect();
    let m = InboundMessage::from_params(&pairs).expect("inbound");
    assert_eq!(m.media.len(), 10, "capped");
    assert!(m.media.iter().all(|x| x.content_type.is_empty()));
    assert_eq!(
        m.profile_name.as_deref().map(|n| n.chars().count()),
        Some(100)
    );

    let m = InboundMessage::from_params(&[
        ("MessageSid", "SM3"),
        ("From", "+525512345678"),
        ("Body", "hola"),
        ("NumMedia", "x"),
        ("MediaUrl0", "https://m.test/0"),
        ("ProfileName", " \r\n "),
    ])
    .expect("inbound");
    assert!(m.media.is_empty() && m.profile_name.is_none());
}

// ---- Fetching inbound media ----

const INTRANET: SsrfPolicy = SsrfPolicy {
    allow_private: true,
};

fn media_path(me: &str) -> String {
    format!("/2010-04-01/Accounts/{SID}/Messages/MM1/Media/{me}")
}

fn code_of(e: &SendError) -> Option<&str> {
    match e {
        SendError::Permanent { code, .. } => code.as_deref(),
        SendError::Retryable { .. } => None,
    }
}

async fn fetch(url: &str, policy: SsrfPolicy, max: usize) -> Result<FetchedMedia, SendError> {
    install_crypto();
    fetch_media(url, SID, &Secret::new("tok-secret"), &policy, max).await
}

#[tokio::test]
async fn fetch_media_sends_basic_auth_and_names_the_file() {
    let fake = start(|_| Reply::new(200, "JPEGDATA").header("content-type", "image/jpeg")).await;
    let url = format!("{}{}", fake.base, media_path("ME0123abc"));
    let got = fetch(&url, INTRANET, 1024).await.expect("fetched");
    assert_eq!(got.content_type, "image/jpeg");
    assert_eq!(got.bytes, b"JPEGDATA");
    assert_eq!(got.filename, "ME0123abc.jpg");
    let r = fake.only_request();
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, media_path("ME0123abc"));
    assert_eq!(r.header("authorization"), Some(expected_basic().as_str()));
}

#[tokio::test]
async fn fetch_media_follows_the_cdn_redirect_through_the_guard_without_credentials() {
    let cdn =
        start(|_| Reply::new(200, "PNGDATA").header("content-type", "image/png; charset=binary"))
            .await;
    let cdn_url = format!("{}/cdn/abc%20def.bin?sig=1", cdn.base);
    let twilio_fake = start(move |_| Reply::new(307, "").header("location", &cdn_url)).await;
    let url = format!("{}{}", twilio_fake.base, media_path("ME1"));
    let got = fetch(&url, INTRANET, 1024).await.expect("fetched");
    assert_eq!(got.content_type, "image/png");
    assert_eq!(got.bytes, b"PNGDATA");
    assert_eq!(got.filename, "ME1.png", "named after Twilio's URL");
    assert_eq!(
        twilio_fake.only_request().header("authorization"),
        Some(expected_basic().as_str())
    );
    let at_cdn = cdn.only_request();
    assert_eq!(at_cdn.path, "/cdn/abc%20def.bin");
    assert!(
        at_cdn.header("authorization").is_none(),
        "credentials stay with Twilio's origin"
    );

    // A redirect to the metadata address is refused even for an intranet
    // policy: the guard judges every hop.
    let evil = start(|_| {
        Reply::new(302, "").header("location", "http://169.254.169.254/latest/meta-data/")
    })
    .await;
    let e = fetch(&format!("{}/m", evil.base), INTRANET, 1024)
        .await
        .expect_err("refused");
    assert_eq!(code_of(&e), Some("ssrf_refused"), "{e:?}");

    // Redirect loops end.
    let looping = start(|r| Reply::new(302, "").header("location", &format!("{}x", r.path))).await;
    let e = fetch(&format!("{}/m", looping.base), INTRANET, 1024)
        .await
        .expect_err("loop");
    assert_eq!(code_of(&e), Some("too_many_redirects"), "{e:?}");
    assert_eq!(looping.requests().len(), 4);
}

#[tokio::test]
async fn fetch_media_refuses_types_off_the_list_and_oversized_bodies() {
    for ct in ["text/html", "image/svg+xml", "application/octet-stream", ""] {
        let fake = start(move |_| Reply::new(200, "<html>").header("content-type", ct)).await;
        let e = fetch(&format!("{}/m", fake.base), INTRANET, 1024)
            .await
            .expect_err(ct);
        assert_eq!(code_of(&e), Some("media_type_refused"), "{ct}: {e:?}");
        assert!(
            e.to_string().contains("image/jpeg"),
            "says what is allowed: {e}"
        );
    }
    // Content-Length above the limit: refused before reading.
    let big = "x".repeat(2_000);
    let fake =
        start(move |_| Reply::new(200, &big).header("content-type", "application/pdf")).await;
    let e = fetch(&format!("{}/doc", fake.base), INTRANET, 1_000)
        .await
        .expect_err("too large");
    assert_eq!(code_of(&e), Some("media_too_large"), "{e:?}");
    let ok = fetch(&format!("{}/doc.pdf", fake.base), INTRANET, 2_000)
        .await
        .expect("exactly the limit");
    assert_eq!((ok.bytes.len(), ok.filename.as_str()), (2_000, "doc.pdf"));

    // Vendor errors classify like the other clients.
    let fake = start(|_| Reply::new(404, "")).await;
    let e = fetch(&format!("{}/m", fake.base), INTRANET, 10)
        .await
        .expect_err("404");
    assert!(!e.is_retryable(), "{e:?}");
    let fake = start(|_| Reply::new(503, "")).await;
    let e = fetch(&format!("{}/m", fake.base), INTRANET, 10)
        .await
        .expect_err("503");
    assert!(e.is_retryable(), "{e:?}");
}

/// A server that streams `total` bytes in chunks without a Content-Length,
/// counting what it managed to write.
async fn chunked_server(total: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let written = std::sync::Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let w = w.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|x| x == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let start = "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ntransfer-encoding: chunked\r\n\r\n";
                if sock.write_all(start.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'v'; 4096];
                let mut sent = 0;
                while sent < total {
                    let n = chunk.len().min(total - sent);
                    let frame = [format!("{n:x}\r\n").as_bytes(), &chunk[..n], b"\r\n"].concat();
                    if sock.write_all(&frame).await.is_err() {
                        return;
                    }
                    sent += n;
                    w.store(sent, Ordering::SeqCst);
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (format!("http://{addr}"), written)
}

#[tokio::test]
async fn fetch_media_stops_reading_a_stream_past_max_bytes() {
    let (base, _) = chunked_server(20_000).await;
    let got = fetch(&format!("{base}/clip"), INTRANET, 20_000)
        .await
        .expect("within the limit");
    assert_eq!(
        (got.bytes.len(), got.filename.as_str()),
        (20_000, "clip.mp4")
    );

    // 64 MiB offered, 10 KiB allowed: refused, and the server is far from
    // having sent it all when the client hangs up.
    let total = 64 * 1024 * 1024;
    let (base, written) = chunked_server(total).await;
    let e = fetch(&format!("{base}/clip"), INTRANET, 10_000)
        .await
        .expect_err("too large");
    assert_eq!(code_of(&e), Some("media_too_large"), "{e:?}");
    assert!(
        written.load(std::sync::atomic::Ordering::SeqCst) < total,
        "the body was not read to the end"
    );
}

#[tokio::test]
async fn fetch_media_goes_through_the_ssrf_guard() {
    let fake = start(|_| Reply::new(200, "x").header("content-type", "image/gif")).await;
    let url = format!("{}{}", fake.base, media_path("ME1"));
    let e = fetch(&url, SsrfPolicy::default(), 1024)
        .await
        .expect_err("loopback refused");
    assert_eq!(code_of(&e), Some("ssrf_refused"), "{e:?}");
    assert!(!e.is_retryable());
    for url in [
        "http://10.0.0.7/m",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ] {
        let e = fetch(url, SsrfPolicy::default(), 1024)
            .await
            .expect_err(url);
        assert_eq!(code_of(&e), Some("ssrf_refused"), "{url}: {e:?}");
    }
    // Plain http to a public address would carry the auth token in clear.
    let e = fetch("http://93.184.215.14/m", SsrfPolicy::default(), 1024)
        .await
        .expect_err("http");
    assert_eq!(code_of(&e), Some("insecure_url"), "{e:?}");
    assert!(fake.requests().is_empty());
}

#[test]
fn media_file_names_are_safe() {
    let name = |u: &str, ext: &str| {
        af_channels::twilio::media_filename(&url::Url::parse(u).expect("url"), ext)
    };
    assert_eq!(name("https://a.test/x/ME12ab", "jpg"), "ME12ab.jpg");
    assert_eq!(name("https://a.test/x/ME12ab/", "jpg"), "ME12ab.jpg");
    assert_eq!(name("https://a.test/x/photo.jpeg", "jpg"), "photo.jpg");
    assert_eq!(
        name("https://a.test/..%2F..%2Fetc%2Fpasswd", "pdf"),
        "_.._etc_passwd.pdf"
    );
    assert_eq!(name("https://a.test/%2E%2E", "pdf"), "media.pdf");
    assert_eq!(name("https://a.test/", "png"), "media.png");
    assert_eq!(
        name("https://a.test/ni%C3%B1o%20feliz", "png"),
        "ni_o_feliz.png"
    );
    let long = name(&format!("https://a.test/{}", "a".repeat(200)), "webp");
    assert_eq!(long.len(), 80);
    assert!(long.ends_with(".webp"));
}
