//! SendGrid, Brevo and SMTP against local fakes that check requests the way
//! the vendors' API documents describe them, thread headers included.

mod common;

use std::time::Duration;

use af_channels::config::Secret;
use af_channels::email::{PreparedEmail, Sender};
use af_channels::providers::vendor_http_client;
use af_channels::{
    Category, OutgoingMessage, SendError, brevo::Brevo, sendgrid::SendGrid, smtp::Smtp,
};
use common::{Reply, install_crypto, start, start_smtp};
use serde_json::Value;

fn sender() -> Sender {
    Sender {
        email: "hola@acme.test".into(),
        name: Some("Acme MX".into()),
    }
}

fn marketing() -> OutgoingMessage {
    let mut m = OutgoingMessage::email(
        "ana@cliente.test",
        "Hola\r\nBcc: spy@evil.test",
        "Texto plano",
        "step-run-1",
    );
    m.html = Some("<p>Hola</p>".into());
    m.category = Category::Marketing;
    m.unsubscribe_url = Some("https://crm.test/u/tok123".into());
    m.from_name = Some("Acme\r\nBcc: spy2@evil.test".into());
    m.reply_to = Some("ventas@acme.test".into());
    m
}

fn prepared(m: &OutgoingMessage) -> PreparedEmail {
    PreparedEmail::new(m, Some(&sender())).expect("valid email")
}

fn client(timeout_ms: u64) -> reqwest::Client {
    install_crypto();
    vendor_http_client(Duration::from_millis(timeout_ms)).expect("client")
}

fn sendgrid(base: &str) -> SendGrid {
    SendGrid::new(client(5_000), base, Secret::new("SG.test-key"))
}

fn brevo(base: &str) -> Brevo {
    Brevo::new(client(5_000), base, Secret::new("xkeysib-test"))
}

#[tokio::test]
async fn sendgrid_sends_the_documented_request() {
    let fake = start(|_| Reply::new(202, "").header("X-Message-Id", "sg-msg-1")).await;
    let out = sendgrid(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect("sent");
    assert_eq!(out.provider, "sendgrid");
    assert_eq!(out.provider_id.as_deref(), Some("sg-msg-1"));

    let r = fake.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v3/mail/send")
    );
    assert_eq!(r.header("authorization"), Some("Bearer SG.test-key"));
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let b = r.json();
    common::schema::assert_json(&b, "sendgrid_mail_send");
    // Required by the schema: personalizations[].to[].email and from.email.
    assert_eq!(
        b["personalizations"][0]["to"][0]["email"],
        "ana@cliente.test"
    );
    assert_eq!(
        b["personalizations"][0]["custom_args"]["af_idempotency_key"],
        "step-run-1"
    );
    assert_eq!(b["from"]["email"], "hola@acme.test");
    assert_eq!(b["from"]["name"], "Acme Bcc: spy2@evil.test");
    assert_eq!(b["reply_to"]["email"], "ventas@acme.test");
    assert_eq!(b["subject"], "Hola Bcc: spy@evil.test");
    assert_eq!(b["content"][0]["type"], "text/plain");
    assert_eq!(b["content"][0]["value"], "Texto plano");
    assert_eq!(b["content"][1]["type"], "text/html");
    assert_eq!(
        b["headers"]["List-Unsubscribe"],
        "<https://crm.test/u/tok123>"
    );
    assert_eq!(
        b["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    let raw = String::from_utf8(r.body.clone()).expect("utf8");
    assert!(
        !raw.contains("\\r") && !raw.contains("\\n"),
        "no line break reaches the vendor: {raw}"
    );
    assert!(b.get("bcc").is_none() && b["personalizations"][0].get("bcc").is_none());
}

#[tokio::test]
async fn transactional_email_has_no_unsubscribe_headers() {
    let fake = start(|_| Reply::new(202, "")).await;
    let m = OutgoingMessage::email("ana@cliente.test", "Tu cita", "Mañana 10:00", "k2");
    sendgrid(&fake.base)
        .send(&prepared(&m))
        .await
        .expect("sent");
    let b = fake.only_request().json();
    common::schema::assert_json(&b, "sendgrid_mail_send");
    assert!(b.get("headers").is_none());
    assert_eq!(b["content"].as_array().map(Vec::len), Some(1));
}

async fn sendgrid_error(reply: Reply) -> SendError {
    let fake = start(move |_| reply.clone()).await;
    sendgrid(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect_err("should fail")
}

#[tokio::test]
async fn sendgrid_retry_policy_per_status() {
    assert!(sendgrid_error(Reply::new(500, "oops")).await.is_retryable());
    assert!(sendgrid_error(Reply::new(503, "")).await.is_retryable());
    let e = sendgrid_error(
        Reply::new(429, r#"{"errors":[{"message":"too many"}]}"#).header("Retry-After", "12"),
    )
    .await;
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(12)));
    let e = sendgrid_error(Reply::new(
        400,
        r#"{"errors":[{"message":"The from email does not contain a valid address.","field":"from.email"}]}"#,
    ))
    .await;
    match &e {
        SendError::Permanent {
            message,
            code,
            opted_out,
        } => {
            assert!(message.contains("from.email: The from email"), "{message}");
            assert_eq!(code.as_deref(), Some("400"));
            assert!(!opted_out);
        }
        other => panic!("expected permanent, got {other:?}"),
    }
    assert!(
        !sendgrid_error(Reply::new(401, r#"{"errors":[{"message":"bad key"}]}"#))
            .await
            .is_retryable()
    );
    assert!(!sendgrid_error(Reply::new(403, "")).await.is_retryable());
}

#[tokio::test]
async fn a_vendor_that_never_answers_is_retryable() {
    let fake = start(|_| Reply::hang()).await;
    let sg = SendGrid::new(client(300), &fake.base, Secret::new("k"));
    let e = sg.send(&prepared(&marketing())).await.expect_err("timeout");
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // Bind then drop to get a port nobody listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    let e = sendgrid(&format!("http://{addr}"))
        .send(&prepared(&marketing()))
        .await
        .expect_err("refused");
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn brevo_sends_the_documented_request() {
    let fake = start(|_| {
        Reply::new(
            201,
            r#"{"messageId":"<201798300811.5787683@relay.domain.com>"}"#,
        )
    })
    .await;
    let out = brevo(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect("sent");
    assert_eq!(out.provider, "brevo");
    assert_eq!(
        out.provider_id.as_deref(),
        Some("<201798300811.5787683@relay.domain.com>")
    );

    let r = fake.only_request();
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v3/smtp/email")
    );
    assert_eq!(r.header("api-key"), Some("xkeysib-test"));
    assert!(r.header("authorization").is_none());
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let b = r.json();
    common::schema::assert_json(&b, "brevo_send_smtp_email");
    assert_eq!(b["sender"]["email"], "hola@acme.test");
    assert_eq!(b["sender"]["name"], "Acme Bcc: spy2@evil.test");
    assert_eq!(b["to"][0]["email"], "ana@cliente.test");
    assert_eq!(b["subject"], "Hola Bcc: spy@evil.test");
    assert_eq!(b["textContent"], "Texto plano");
    assert_eq!(b["htmlContent"], "<p>Hola</p>");
    assert_eq!(b["replyTo"]["email"], "ventas@acme.test");
    assert_eq!(b["headers"]["idempotencyKey"], "step-run-1");
    assert_eq!(
        b["headers"]["List-Unsubscribe"],
        "<https://crm.test/u/tok123>"
    );
    assert_eq!(
        b["headers"]["List-Unsubscribe-Post"],
        "List-Unsubscribe=One-Click"
    );
    assert!(b.get("bcc").is_none());
}

#[tokio::test]
async fn brevo_errors_keep_the_vendor_code() {
    let fake = start(|_| {
        Reply::new(
            400,
            r#"{"code":"invalid_parameter","message":"email is not valid"}"#,
        )
    })
    .await;
    let e = brevo(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect_err("400");
    match e {
        SendError::Permanent { message, code, .. } => {
            assert!(message.contains("email is not valid"));
            assert_eq!(code.as_deref(), Some("invalid_parameter"));
        }
        other => panic!("{other:?}"),
    }
    for (status, retry) in [(500, true), (503, true), (401, false), (400, false)] {
        let fake = start(move |_| Reply::new(status, r#"{"code":"x","message":"m"}"#)).await;
        let e = brevo(&fake.base)
            .send(&prepared(&marketing()))
            .await
            .expect_err("fails");
        assert_eq!(e.is_retryable(), retry, "{status}: {e:?}");
    }
    // Retry-After as an HTTP-date (in the past: retry at once).
    let fake =
        start(|_| Reply::new(429, "").header("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")).await;
    let e = brevo(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect_err("429");
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
    let fake = start(|_| Reply::new(429, "").header("Retry-After", "3")).await;
    let e = brevo(&fake.base)
        .send(&prepared(&marketing()))
        .await
        .expect_err("429");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
}

#[tokio::test]
async fn smtp_sends_multipart_with_unsubscribe_and_no_injected_bcc() {
    let (addr, cap) = start_smtp("250 OK\r\n").await;
    let smtp = Smtp::from_url(
        &Secret::new(format!("smtp://{addr}?tls=none")),
        Duration::from_secs(5),
        None,
    )
    .expect("smtp");
    let email = prepared(&marketing());
    let out = smtp.send(&email).await.expect("sent");
    assert_eq!(out.provider, "smtp");
    assert_eq!(out.provider_id, Some(af_channels::smtp::message_id(&email)));

    let cap = cap.lock().expect("lock").clone();
    assert_eq!(
        cap.rcpt_to,
        vec!["RCPT TO:<ana@cliente.test>"],
        "only the recipient"
    );
    assert!(cap.mail_from[0].contains("<hola@acme.test>"));
    let data = &cap.data[0];
    let (head, _) = data.split_once("\r\n\r\n").expect("headers and body");
    let lines: Vec<&str> = head.split("\r\n").collect();
    assert!(
        !lines
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "injected Bcc header in:\n{head}"
    );
    assert!(
        lines.contains(&"List-Unsubscribe: <https://crm.test/u/tok123>"),
        "{head}"
    );
    assert!(
        lines.contains(&"List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{head}"
    );
    assert!(head.contains("Subject: Hola Bcc: spy@evil.test"), "{head}");
    assert!(head.contains("Reply-To: ventas@acme.test"), "{head}");
    assert!(head.contains("multipart/alternative"), "{head}");
    let plain = data.find("text/plain").expect("text part");
    let html = data.find("text/html").expect("html part");
    assert!(plain < html, "text before html");
}

#[tokio::test]
async fn smtp_replies_classify() {
    let (addr, _) = start_smtp("550 5.1.1 no such user\r\n").await;
    let smtp = Smtp::from_url(
        &Secret::new(format!("smtp://{addr}?tls=none")),
        Duration::from_secs(5),
        None,
    )
    .expect("smtp");
    let e = smtp.send(&prepared(&marketing())).await.expect_err("550");
    assert!(!e.is_retryable(), "{e:?}");

    let (addr, _) = start_smtp("451 4.7.1 try later\r\n").await;
    let smtp = Smtp::from_url(
        &Secret::new(format!("smtp://{addr}?tls=none")),
        Duration::from_secs(5),
        None,
    )
    .expect("smtp");
    let e = smtp.send(&prepared(&marketing())).await.expect_err("451");
    assert!(e.is_retryable(), "{e:?}");

    assert!(Smtp::from_url(&Secret::new("http://x"), Duration::from_secs(1), None).is_err());
}

#[tokio::test]
async fn smtp_url_forms() {
    install_crypto();
    for ok in [
        "smtp://relay.test",
        "smtp://relay.test:25?tls=none",
        "smtp://user:p%40ss@relay.test:587",
        "smtp://user:p%40ss@relay.test:587?tls=required",
        "smtp://user:pass@relay.test:587?tls=opportunistic",
        "smtp://user:pass@relay.test?tls=wrapper",
        "smtps://user:pass@relay.test:465",
        "smtps://user:pass@relay.test?tls=wrapper",
    ] {
        assert!(
            Smtp::from_url(&Secret::new(ok), Duration::from_secs(1), None).is_ok(),
            "{ok}"
        );
    }
    for bad in [
        "smtp://user:topsecret@",
        "smtp://user:topsecret@relay.test?tls=none",
        "smtp://user:topsecret@relay.test?tls=sometimes",
        "smtps://user:topsecret@relay.test?tls=none",
        "smtp://user@relay.test",
    ] {
        let e = Smtp::from_url(&Secret::new(bad), Duration::from_secs(1), None).expect_err(bad);
        assert_eq!(e.var, "SMTP_URL");
        assert!(!e.to_string().contains("topsecret"), "{e}");
    }
}

#[test]
fn the_schema_checker_catches_mistakes() {
    let errs = common::schema::json_errors(
        &serde_json::json!({
            "personalizations": [{ "too": [] }],
            "from": { "name": "x" },
            "contents": [],
        }),
        "sendgrid_mail_send",
    );
    assert!(
        errs.iter().any(|e| e.contains("missing required to")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("missing required email")),
        "{errs:?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("unknown property contents")),
        "{errs:?}"
    );
    let errs = common::schema::form_errors(
        &[
            ("Body".into(), "x".into()),
            ("Body".into(), "y".into()),
            ("Bogus".into(), "1".into()),
        ],
        "twilio_create_message",
    );
    assert!(
        errs.iter().any(|e| e.contains("missing required To")),
        "{errs:?}"
    );
    assert!(errs.iter().any(|e| e.contains("Body repeated")), "{errs:?}");
    assert!(
        errs.iter().any(|e| e.contains("unknown field Bogus")),
        "{errs:?}"
    );
}

/// A booking confirmation: transactional, with its `.ics` invitation.
fn with_invite() -> OutgoingMessage {
    let mut m = OutgoingMessage::email(
        "ana@cliente.test",
        "Cita confirmada",
        "Te esperamos",
        "booking-1",
    );
    m.attachments = vec![af_channels::Attachment {
        filename: "invite.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=REQUEST".into(),
        content: b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n".to_vec(),
    }];
    m
}

#[tokio::test]
async fn attachments_travel_to_each_provider_as_documented() {
    use base64::Engine as _;
    let b64 = |s: &Value| {
        base64::engine::general_purpose::STANDARD
            .decode(s.as_str().expect("base64 text"))
            .expect("base64")
    };
    let ics = with_invite().attachments[0].content.clone();

    let fake = start(|_| Reply::new(202, "").header("X-Message-Id", "sg-2")).await;
    sendgrid(&fake.base)
        .send(&prepared(&with_invite()))
        .await
        .expect("sent");
    let b = fake.only_request().json();
    common::schema::assert_json(&b, "sendgrid_mail_send");
    let a = &b["attachments"][0];
    assert_eq!(a["filename"], "invite.ics");
    assert_eq!(a["type"], "text/calendar; charset=utf-8; method=REQUEST");
    assert_eq!(a["disposition"], "attachment");
    assert_eq!(b64(&a["content"]), ics);

    let fake = start(|_| Reply::new(201, r#"{"messageId":"<b-2@relay>"}"#)).await;
    brevo(&fake.base)
        .send(&prepared(&with_invite()))
        .await
        .expect("sent");
    let b = fake.only_request().json();
    common::schema::assert_json(&b, "brevo_send_smtp_email");
    assert_eq!(b["attachment"][0]["name"], "invite.ics");
    assert_eq!(b64(&b["attachment"][0]["content"]), ics);

    let (addr, cap) = start_smtp("250 OK\r\n").await;
    let smtp = Smtp::from_url(
        &Secret::new(format!("smtp://{addr}?tls=none")),
        Duration::from_secs(5),
        None,
    )
    .expect("smtp");
    smtp.send(&prepared(&with_invite())).await.expect("sent");
    let data = cap.lock().expect("lock").data[0].clone();
    assert!(data.contains("multipart/mixed"), "{data}");
    assert!(
        data.contains("Content-Type: text/calendar; charset=utf-8; method=REQUEST"),
        "{data}"
    );
    assert!(
        data.contains("Content-Disposition: attachment; filename=\"invite.ics\""),
        "{data}"
    );
    assert!(data.contains("METHOD:REQUEST"), "{data}");
    let text = data.find("Te esperamos").expect("body");
    let file = data.find("invite.ics").expect("file");
    assert!(text < file, "the body before the file");

    // A type that is not a MIME type is refused before any provider.
    let mut bad = with_invite();
    bad.attachments[0].content_type = "not a type".into();
    assert!(PreparedEmail::new(&bad, Some(&sender())).is_err());
}

/// A reply in a conversation: our id, the id it answers, the thread.
fn reply() -> OutgoingMessage {
    let mut m = OutgoingMessage::email(
        "ana@cliente.test",
        "Re: Tu cita",
        "Claro, te esperamos",
        "reply-1",
    );
    m.message_id = Some("m3.reply-1@agencyflow.local".into());
    m.in_reply_to = Some("CAB123+x=y@mail.gmail.com".into());
    m.references = vec![
        "m1@agencyflow.local".into(),
        "CAB123+x=y@mail.gmail.com".into(),
    ];
    m
}

const MSG_ID: &str = "<m3.reply-1@agencyflow.local>";
const IN_REPLY_TO: &str = "<CAB123+x=y@mail.gmail.com>";
const REFERENCES: &str = "<m1@agencyflow.local> <CAB123+x=y@mail.gmail.com>";

#[tokio::test]
async fn replies_carry_thread_headers_with_every_provider() {
    let fake = start(|_| Reply::new(202, "").header("X-Message-Id", "sg-3")).await;
    sendgrid(&fake.base)
        .send(&prepared(&reply()))
        .await
        .expect("sent");
    let b = fake.only_request().json();
    common::schema::assert_json(&b, "sendgrid_mail_send");
    assert_eq!(b["headers"]["Message-ID"], MSG_ID);
    assert_eq!(b["headers"]["In-Reply-To"], IN_REPLY_TO);
    assert_eq!(b["headers"]["References"], REFERENCES);
    assert!(b["headers"].get("List-Unsubscribe").is_none());

    let fake = start(|_| Reply::new(201, r#"{"messageId":"<b-3@relay>"}"#)).await;
    brevo(&fake.base)
        .send(&prepared(&reply()))
        .await
        .expect("sent");
    let b = fake.only_request().json();
    common::schema::assert_json(&b, "brevo_send_smtp_email");
    assert_eq!(b["headers"]["Message-ID"], MSG_ID);
    assert_eq!(b["headers"]["In-Reply-To"], IN_REPLY_TO);
    assert_eq!(b["headers"]["References"], REFERENCES);
    assert_eq!(b["headers"]["idempotencyKey"], "reply-1");

    let (addr, cap) = start_smtp("250 OK\r\n").await;
    let smtp = Smtp::from_url(
        &Secret::new(format!("smtp://{addr}?tls=none")),
        Duration::from_secs(5),
        None,
    )
    .expect("smtp");
    let out = smtp.send(&prepared(&reply())).await.expect("sent");
    assert_eq!(
        out.provider_id.as_deref(),
        Some(MSG_ID),
        "our id is the provider id"
    );
    let data = cap.lock().expect("lock").data[0].clone();
    let (head, _) = data.split_once("\r\n\r\n").expect("headers and body");
    let lines: Vec<&str> = head.split("\r\n").collect();
    for want in [
        format!("Message-ID: {MSG_ID}"),
        format!("In-Reply-To: {IN_REPLY_TO}"),
        format!("References: {REFERENCES}"),
    ] {
        assert!(lines.contains(&want.as_str()), "{want} in:\n{head}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .count(),
        1
    );
}

#[tokio::test]
async fn without_thread_fields_nothing_changes() {
    // SendGrid and Brevo get no thread headers; SMTP keeps the id it
    // derives from the idempotency key.
    let m = OutgoingMessage::email("ana@cliente.test", "Tu cita", "Mañana", "k9");
    let email = prepared(&m);
    assert!(email.thread_headers().is_empty());
    let fake = start(|_| Reply::new(201, r#"{"messageId":"<b@r>"}"#)).await;
    brevo(&fake.base).send(&email).await.expect("sent");
    let b = fake.only_request().json();
    assert!(b["headers"].get("Message-ID").is_none());
    assert!(b["headers"].get("In-Reply-To").is_none());
    let id = af_channels::smtp::message_id(&email);
    assert!(
        id.starts_with("<af-") && id.ends_with("@acme.test>"),
        "{id}"
    );
}

#[tokio::test]
async fn a_header_injection_id_is_refused_before_any_provider() {
    use af_channels::ProviderConfig;
    use af_channels::providers::{Providers, ProvidersOptions};
    let fake = start(|_| Reply::new(202, "")).await;
    let map: std::collections::HashMap<String, String> = [
        ("SENDGRID_API_KEY", "SG.server"),
        ("SENDGRID_API_BASE", fake.base.as_str()),
        ("AF_EMAIL_FROM", "hola@acme.test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    install_crypto();
    let providers = Providers::new(
        &ProviderConfig::from_map(&map).expect("config"),
        &ProvidersOptions::default(),
    )
    .expect("providers");

    let injected = "m1@agencyflow.local>\r\nBcc: spy@evil.test";
    let too_long = format!("{}@agencyflow.local", "a".repeat(250));
    let bad = [
        ("message_id", injected.to_owned()),
        ("message_id", "a b@agencyflow.local".to_owned()),
        ("message_id", "no-at-sign".to_owned()),
        ("message_id", too_long),
        ("in_reply_to", injected.to_owned()),
        ("in_reply_to", "a@x.test\nX-Evil: 1".to_owned()),
        ("in_reply_to", "a@x.test> <b@y.test".to_owned()),
        ("references", injected.to_owned()),
        ("references", "a@x.test b@y.test".to_owned()),
        ("references", String::new()),
    ];
    for (field, value) in bad {
        let mut m = reply();
        match field {
            "message_id" => m.message_id = Some(value.clone()),
            "in_reply_to" => m.in_reply_to = Some(value.clone()),
            _ => m.references.push(value.clone()),
        }
        let e = providers.send(&m).await.expect_err("refused");
        match &e {
            SendError::Permanent { code, .. } => {
                assert_eq!(
                    code.as_deref(),
                    Some("invalid_message"),
                    "{field} {value:?}: {e:?}"
                );
            }
            other => panic!("{field} {value:?}: {other:?}"),
        }
    }
    assert!(fake.requests().is_empty(), "nothing reached SendGrid");
    providers
        .send(&reply())
        .await
        .expect("the clean reply goes");
    assert_eq!(fake.requests().len(), 1);
}
