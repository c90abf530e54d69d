//! The public channel endpoints on a real server: Twilio webhooks (signature
//! checked, 403 and nothing changed otherwise; status callbacks, inbound
//! STOP / START / HELP, call outcomes) and one-click unsubscribe links.

use af_core::{Actor, ContactId, MessageId};
use af_engine::channels::ChannelsConfig;
use af_testkit::{Tenant, TestApp, tenant};
use std::collections::HashMap;
use std::sync::Arc;

const TOKEN: &str = "twilio-auth-token";

async fn app() -> TestApp {
    TestApp::spawn_with(|c| {
        let vars: HashMap<&str, &str> = [
            ("TWILIO_ACCOUNT_SID", "AC123"),
            ("TWILIO_AUTH_TOKEN", TOKEN),
            ("TWILIO_SMS_SENDER", "+15550001111"),
        ]
        .into_iter()
        .collect();
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| vars.get(k).map(|v| v.to_string())).expect("config"),
        );
    })
    .await
}

async fn contact_with_phone(app: &TestApp, t: &Tenant, phone: &str) -> ContactId {
    let mut tx = app.db.begin().await.expect("tx");
    let input = af_db::contacts::ContactInput {
        first_name: "Luis".into(),
        last_name: "Gómez".into(),
        email: Some(format!("luis{}@example.com", phone.trim_start_matches('+'))),
        phone: Some(phone.into()),
        company: None,
        source: None,
        owner_id: None,
        lifecycle: None,
        attribution: Default::default(),
        tags: vec![],
        custom: Default::default(),
    };
    let c = af_db::contacts::upsert_contact(&mut tx, t.ws.id, &input, &Actor::system(), app.now())
        .await
        .expect("contact");
    tx.commit().await.expect("commit");
    c.contact.id
}

/// An outbound message Twilio knows as `sid`.
async fn sent_message(
    app: &TestApp,
    t: &Tenant,
    channel: &str,
    contact: ContactId,
    sid: &str,
) -> MessageId {
    let mut tx = app.db.begin().await.expect("tx");
    let m = af_db::messages::NewMessage {
        workspace: t.ws.id,
        channel: channel.parse().expect("channel"),
        provider: "twilio",
        to: "+525512345678",
        body_text: "hola",
        category: "marketing",
        status: af_core::vocab::MessageStatus::Queued,
        contact_id: Some(contact),
        ..Default::default()
    };
    let id = af_db::messages::insert_message(&mut tx, &m, app.now())
        .await
        .expect("insert");
    let u = af_db::messages::StatusUpdate {
        status: af_core::vocab::MessageStatus::Sent,
        provider: Some("twilio"),
        provider_id: Some(sid),
        attempted: true,
        ..Default::default()
    };
    af_db::messages::update_status(&mut tx, t.ws.id, id, &u, app.now())
        .await
        .expect("status");
    tx.commit().await.expect("commit");
    id
}

/// Posts a Twilio webhook, signed with `token` for the public URL.
async fn twilio_post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    token: &str,
) -> reqwest::Response {
    let url = app.url(path);
    let sig = af_channels::twilio_signature::signature(token, &url, params);
    app.http()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(params)
        .send()
        .await
        .expect("request")
}

async fn message(app: &TestApp, t: &Tenant, id: MessageId) -> af_db::messages::Message {
    af_db::messages::find_message(&app.db, t.ws.id, id)
        .await
        .expect("find")
        .expect("message")
}

async fn contact(app: &TestApp, t: &Tenant, id: ContactId) -> af_db::contacts::Contact {
    af_db::contacts::find_contact(&app.db, t.ws.id, id)
        .await
        .expect("find")
        .expect("contact")
}

async fn events(app: &TestApp, t: &Tenant, kind: &str) -> Vec<serde_json::Value> {
    af_db::events::list_events(&app.db, t.ws.id, 200)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| serde_json::from_str(&e.data).expect("json"))
        .collect()
}

#[tokio::test]
async fn status_callbacks_need_a_valid_signature() {
    let app = app().await;
    let t = tenant(&app, "acme").await;
    let c = contact_with_phone(&app, &t, "+525512345678").await;
    let id = sent_message(&app, &t, "sms", c, "SM42").await;
    let path = "/webhooks/twilio/acme/status";
    let params = [
        ("MessageSid", "SM42"),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "21610"),
    ];

    // Tampered: signed for other values, wrong token, or no signature at all.
    let mut tampered = params;
    tampered[1] = ("MessageStatus", "delivered");
    let url = app.url(path);
    let sig = af_channels::twilio_signature::signature(TOKEN, &url, &tampered);
    let r = app
        .http()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        twilio_post(&app, path, &params, "wrong-token")
            .await
            .status()
            .as_u16(),
        403
    );
    let r = app
        .http()
        .post(&url)
        .form(&params)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 403);
    // Signed for the https variant of the URL: not what the server is.
    let https = url.replace("http://", "https://");
    let sig = af_channels::twilio_signature::signature(TOKEN, &https, &params);
    let r = app
        .http()
        .post(&url)
        .header("X-Twilio-Signature", sig)
        .form(&params)
        .send()
        .await
        .expect("req");
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        message(&app, &t, id).await.status,
        "sent",
        "nothing changed"
    );
    assert!(!contact(&app, &t, c).await.sms_opted_out);

    // Unknown workspace.
    assert_eq!(
        twilio_post(&app, "/webhooks/twilio/nope/status", &params, TOKEN)
            .await
            .status()
            .as_u16(),
        404
    );

    // Valid: undelivered with the opt-out code.
    let r = twilio_post(&app, path, &params, TOKEN).await;
    assert!(r.status().is_success(), "{}", r.status());
    let m = message(&app, &t, id).await;
    assert_eq!(
        (m.status.as_str(), m.error.as_deref()),
        ("undelivered", Some("21610"))
    );
    assert!(
        contact(&app, &t, c).await.sms_opted_out,
        "21610 opts the contact out"
    );

    let id2 = sent_message(&app, &t, "whatsapp", c, "SM43").await;
    twilio_post(
        &app,
        path,
        &[("MessageSid", "SM43"), ("MessageStatus", "sending")],
        TOKEN,
    )
    .await;
    assert_eq!(
        message(&app, &t, id2).await.status,
        "sent",
        "in-flight states keep what we had"
    );
    twilio_post(
        &app,
        path,
        &[("MessageSid", "SM43"), ("MessageStatus", "delivered")],
        TOKEN,
    )
    .await;
    assert_eq!(message(&app, &t, id2).await.status, "delivered");
    // Twilio may report out of order: a late "sent" or "failed" after
    // "delivered" changes nothing; "read" (WhatsApp) still moves it on.
    for late in ["sent", "failed"] {
        twilio_post(
            &app,
            path,
            &[("MessageSid", "SM43"), ("MessageStatus", late)],
            TOKEN,
        )
        .await;
        assert_eq!(message(&app, &t, id2).await.status, "delivered", "{late}");
    }
    twilio_post(
        &app,
        path,
        &[("MessageSid", "SM43"), ("MessageStatus", "read")],
        TOKEN,
    )
    .await;
    assert_eq!(message(&app, &t, id2).await.status, "opened");
}

#[tokio::test]
async fn inbound_keywords_opt_out_opt_in_and_help() {
    let app = app().await;
    let t = tenant(&app, "acme").await;
    let c = contact_with_phone(&app, &t, "+525512345678").await;
    let path = "/webhooks/twilio/acme/inbound";
    let inbound = |sid: &'static str, body: &'static str| {
        [
            ("MessageSid", sid),
            ("From", "+525512345678"),
            ("To", "+15550001111"),
            ("Body", body),
        ]
    };

    let r = twilio_post(&app, path, &inbound("SM1", " Stop "), TOKEN).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        contact(&app, &t, c).await.sms_opted_out,
        "' Stop ' opts out"
    );

    let r = twilio_post(&app, path, &inbound("SM2", "START"), TOKEN).await;
    assert!(r.text().await.expect("body").contains("<Response/>"));
    assert!(
        !contact(&app, &t, c).await.sms_opted_out,
        "START opts back in"
    );

    twilio_post(&app, path, &inbound("SM3", "STOP PLEASE"), TOKEN).await;
    assert!(
        !contact(&app, &t, c).await.sms_opted_out,
        "a sentence is not a keyword"
    );

    let r = twilio_post(&app, path, &inbound("SM4", "help"), TOKEN).await;
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/xml"),
        "TwiML"
    );
    let body = r.text().await.expect("body");
    assert!(
        body.contains("<Message>") && body.contains("STOP"),
        "{body}"
    );

    // A retried webhook is stored once.
    twilio_post(&app, path, &inbound("SM4", "help"), TOKEN).await;

    let msgs = af_db::messages::search_messages(&app.db, t.ws.id, Some(c), None, None, 50)
        .await
        .expect("messages");
    assert_eq!(msgs.len(), 4, "four inbound messages on the contact");
    assert!(
        msgs.iter()
            .all(|m| m.status == "received" && m.channel == "sms")
    );
    let ev = events(&app, &t, "message.inbound").await;
    assert_eq!(ev.len(), 4);
    assert!(ev.iter().all(|e| e["contact_id"] == serde_json::json!(c)));

    // Tampered inbound changes nothing.
    let r = twilio_post(&app, path, &inbound("SM5", "STOP"), "forged").await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(!contact(&app, &t, c).await.sms_opted_out);
}

#[tokio::test]
async fn call_status_becomes_the_voice_steps_outcome_once() {
    let app = app().await;
    let t = tenant(&app, "acme").await;
    let c = contact_with_phone(&app, &t, "+525512345678").await;
    let id = sent_message(&app, &t, "voice", c, "CA9").await;
    let path = "/webhooks/twilio/acme/voice";
    twilio_post(
        &app,
        path,
        &[("CallSid", "CA9"), ("CallStatus", "ringing")],
        TOKEN,
    )
    .await;
    assert!(events(&app, &t, "call.completed").await.is_empty());
    let r = twilio_post(
        &app,
        path,
        &[("CallSid", "CA9"), ("CallStatus", "busy")],
        TOKEN,
    )
    .await;
    assert!(r.status().is_success());
    twilio_post(
        &app,
        path,
        &[("CallSid", "CA9"), ("CallStatus", "completed")],
        TOKEN,
    )
    .await;
    let ev = events(&app, &t, "call.completed").await;
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0]["outcome"], "busy");
    assert_eq!(ev[0]["message_id"], serde_json::json!(id));
    assert_eq!(message(&app, &t, id).await.status, "failed");
}

#[tokio::test]
async fn unsubscribe_get_confirms_post_unsubscribes_without_cookies_forged_is_404() {
    let app = app().await;
    let t = tenant(&app, "acme").await;
    let c = t.contact_id;
    let token = af_channels::unsubscribe::token(&app.state.secret, t.ws.id, c);
    let http = app.http();

    let r = http
        .get(app.url(&format!("/u/{token}")))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.expect("body");
    assert!(body.contains(&format!("action=\"/u/{token}\"")), "{body}");
    assert!(
        !contact(&app, &t, c).await.email_unsubscribed,
        "GET does not unsubscribe"
    );

    // RFC 8058: the mail client posts `List-Unsubscribe=One-Click`, no cookie,
    // no CSRF token, possibly from another origin.
    let r = http
        .post(app.url(&format!("/u/{token}")))
        .header("Origin", "https://mail.example.com")
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    assert!(contact(&app, &t, c).await.email_unsubscribed);
    // On the timeline as a contact change.
    let ev = af_db::events::list_events(&app.db, t.ws.id, 200)
        .await
        .expect("events");
    assert!(
        ev.iter()
            .any(|e| e.kind == "contact.updated" && e.data.contains("email_unsubscribed"))
    );

    // Forged: another key, or a token moved to another contact.
    let forged = af_channels::unsubscribe::token(
        &af_core::crypto::SecretKey::from_text(&"other-secret".repeat(4)).expect("key"),
        t.ws.id,
        c,
    );
    for bad in [forged.as_str(), "abc.def", "nope"] {
        let r = http
            .post(app.url(&format!("/u/{bad}")))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 404, "{bad}");
        let r = http
            .get(app.url(&format!("/u/{bad}")))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 404, "{bad}");
    }
}

/// A fake webhook receiver answering `status` (changeable) and recording
/// every request.
#[derive(Clone)]
struct Receiver {
    url: String,
    seen: Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
    status: Arc<std::sync::atomic::AtomicU16>,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let code = Arc::new(std::sync::atomic::AtomicU16::new(status));
        let (s2, c2) = (seen.clone(), code.clone());
        let app =
            axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
                let (seen, code) = (s2.clone(), c2.clone());
                async move {
                    seen.lock().expect("lock").push((headers, body));
                    axum::http::StatusCode::from_u16(code.load(std::sync::atomic::Ordering::SeqCst))
                        .expect("status")
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Receiver {
            url: format!("http://{addr}/hook"),
            seen,
            status: code,
        }
    }
    fn count(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }
}

async fn app_with(vars: &'static [(&'static str, &'static str)]) -> TestApp {
    TestApp::spawn_with(|c| {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| map.get(k).map(|v| v.to_string())).expect("config"),
        );
    })
    .await
}

async fn api_post(
    app: &TestApp,
    t: &Tenant,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = app
        .http()
        .post(app.url(path))
        .bearer_auth(&t.api_key)
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn api_get(app: &TestApp, t: &Tenant, path: &str) -> serde_json::Value {
    app.http()
        .get(app.url(path))
        .bearer_auth(&t.api_key)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn webhook_urls_into_the_network_are_refused_at_create() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    for url in [
        "http://127.0.0.1/x",
        "http://localhost/x",
        "http://[::1]/x",
        "http://169.254.169.254/latest",
        "http://10.0.0.8/x",
        "http://100.64.1.1/x",
        "http://0x7f000001/x",
        "http://2130706433/x",
        "http://[::ffff:127.0.0.1]/x",
        "file:///etc/passwd",
    ] {
        let (status, body) = api_post(
            &app,
            &t,
            "/api/v1/webhooks",
            serde_json::json!({"url": url, "event_types": ["contact.created"]}),
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["error"]["code"], "invalid");
    }
    let listed = api_get(&app, &t, "/api/v1/webhooks").await;
    let urls: Vec<_> = listed["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["url"].clone())
        .collect();
    assert_eq!(
        urls,
        [serde_json::json!("https://hooks.example.com/af")],
        "only the fixture's endpoint"
    );
}

#[tokio::test]
async fn deliveries_are_signed_retried_on_500_not_on_400_and_replayable() {
    let app = app_with(&[("AF_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let t = tenant(&app, "acme").await;
    let rx = Receiver::start(500).await;
    let (status, created) = api_post(
        &app,
        &t,
        "/api/v1/webhooks",
        serde_json::json!({"url": rx.url, "event_types": ["contact.created"]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["data"]["secret"]
        .as_str()
        .expect("secret shown once")
        .to_string();
    let id = created["data"]["id"].as_str().expect("id").to_string();
    let listed = api_get(&app, &t, "/api/v1/webhooks").await;
    assert!(
        listed["data"][0].get("secret").is_none(),
        "never shown again"
    );

    let w = app.engine_worker();
    contact_with_phone(&app, &t, "+525512345670").await;
    app.run_jobs(&w).await;
    assert_eq!(rx.count(), 1);
    let deliveries = api_get(&app, &t, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    let d = &deliveries["data"][0];
    assert_eq!(
        (
            d["status"].as_str(),
            d["attempts"].as_i64(),
            d["response_code"].as_i64()
        ),
        (Some("pending"), Some(1), Some(500))
    );

    // The retry succeeds; the signature verifies with the secret shown.
    rx.status.store(200, std::sync::atomic::Ordering::SeqCst);
    app.clock.advance(jiff::SignedDuration::from_mins(30));
    app.run_jobs(&w).await;
    assert_eq!(rx.count(), 2);
    let (headers, body) = rx.seen.lock().expect("lock")[1].clone();
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .expect(n)
            .to_string()
    };
    let key = af_channels::webhooks::WebhookSecret::parse(&secret).expect("secret");
    let ts: i64 = h("webhook-timestamp").parse().expect("ts");
    assert!(key.sign(&h("webhook-id"), ts, body.as_bytes()) == h("webhook-signature"));
    let payload: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(payload["type"], "contact.created");
    let deliveries = api_get(&app, &t, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    assert_eq!(deliveries["data"][0]["status"], "delivered");

    // A 400 is not retried.
    rx.status.store(400, std::sync::atomic::Ordering::SeqCst);
    contact_with_phone(&app, &t, "+525512345671").await;
    app.run_jobs(&w).await;
    app.clock.advance(jiff::SignedDuration::from_hours(3));
    app.run_jobs(&w).await;
    assert_eq!(rx.count(), 3);
    let deliveries = api_get(&app, &t, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    let d = &deliveries["data"][0];
    assert_eq!(
        (d["status"].as_str(), d["response_code"].as_i64()),
        (Some("failed"), Some(400))
    );

    // Replay after the receiver is fixed.
    rx.status.store(204, std::sync::atomic::Ordering::SeqCst);
    let did = d["id"].as_str().expect("id");
    let (status, _) = api_post(
        &app,
        &t,
        &format!("/api/v1/webhooks/{id}/deliveries/{did}/replay"),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 202);
    app.run_jobs(&w).await;
    assert_eq!(rx.count(), 4);
    let deliveries = api_get(&app, &t, &format!("/api/v1/webhooks/{id}/deliveries")).await;
    assert_eq!(deliveries["data"][0]["status"], "delivered");

    // Another workspace sees none of it.
    let other = tenant(&app, "other").await;
    let r = app
        .http()
        .get(app.url(&format!("/api/v1/webhooks/{id}/deliveries")))
        .bearer_auth(&other.api_key)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn channel_settings_are_sealed_and_never_shown_back_in_full() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    let page = b.get("/settings/channels").await;
    assert_eq!(page.status, 200);
    let r = b
        .post(
            "/settings/channels",
            &[
                ("twilio_account_sid", "AC0123456789"),
                ("twilio_auth_token", "super-secret-token-9876"),
                ("twilio_sms_sender", "+15550001111"),
                ("quiet_hours", "09:00-20:00"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get("/settings/channels").await;
    assert!(page.contains("AC0123456789"));
    assert!(page.contains("guardado ••••9876"), "last four shown");
    assert!(!page.contains("super-secret-token"), "never in full");
    let stored = af_db::channels::find_channel_settings(&app.db, t.ws.id)
        .await
        .expect("find")
        .expect("settings");
    assert!(
        !stored
            .credentials_sealed
            .as_deref()
            .unwrap_or_default()
            .contains("super-secret")
    );
    assert_eq!(stored.quiet_hours.as_deref(), Some("09:00-20:00"));

    // Empty keeps the secret; the test button queues a message for the job.
    b.post("/settings/channels", &[("twilio_auth_token", "")])
        .await;
    let (creds, _) =
        af_engine::channels::workspace_credentials(&app.db, &app.state.secret, t.ws.id)
            .await
            .expect("creds");
    assert_eq!(
        creds
            .twilio_auth_token
            .map(|s| s.expose().to_string())
            .as_deref(),
        Some("super-secret-token-9876")
    );
    // An email test goes to the signed-in person, whatever `to` says.
    let r = b
        .post(
            "/settings/channels/test",
            &[("channel", "email"), ("to", "someone@example.com")],
        )
        .await;
    assert_eq!(r.status, 303);
    let msgs = af_db::messages::list_messages(&app.db, t.ws.id, 10)
        .await
        .expect("messages");
    assert!(
        msgs.iter()
            .any(|m| m.to_address == t.owner_email && m.status == "queued")
    );
    assert!(!msgs.iter().any(|m| m.to_address == "someone@example.com"));

    // Members may not see it.
    let m = app.browser();
    m.login(&t.member_email, af_testkit::PASSWORD).await;
    assert_eq!(m.get("/settings/channels").await.status, 403);
}

/// The text a reader sees (tags and attribute values dropped).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `data-state` of a provider's badge on the channels page.
fn badge_state(page: &str, provider: &str) -> String {
    let marker = format!("data-testid=\"state-{provider}\"");
    let end = page.find(&marker).expect("badge");
    let start = page[..end].rfind("data-state=\"").expect("state") + "data-state=\"".len();
    let len = page[start..].find('"').expect("quote");
    page[start..start + len].to_string()
}

#[tokio::test]
async fn channel_settings_speak_human_clear_by_checkbox_and_hide_secrets() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    let page = b.get("/settings/channels").await;
    assert_eq!(page.status, 200);
    let text = visible_text(&page.body);
    for code in [
        "twilio_account_sid",
        "twilio_auth_token",
        "smtp_url",
        "sendgrid_api_key",
        "kommo_access_token",
    ] {
        assert!(!text.contains(code), "{code} shown as a label");
    }
    for label in [
        "SID de la cuenta",
        "Token de autenticación",
        "Lo encuentras en la consola de Twilio → Account Info",
        "Clave de API de SendGrid",
        "Servidor SMTP",
        "Token de acceso de larga duración",
    ] {
        assert!(text.contains(label), "{label}");
    }
    assert!(!text.contains("escribe - para"));
    for provider in ["email", "twilio", "kommo"] {
        assert_eq!(badge_state(&page.body, provider), "unconfigured");
    }
    assert!(text.contains("Sin configurar"));

    let r = b
        .post(
            "/settings/channels",
            &[
                ("email_provider", "sendgrid"),
                ("email_from", "hola@acme.test"),
                ("sendgrid_api_key", "SG.very-secret-key-4321"),
                ("twilio_account_sid", "AC0123456789"),
                ("twilio_auth_token", "super-secret-token-9876"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = b.get("/settings/channels").await;
    assert!(!page.contains("very-secret-key"), "a secret in the HTML");
    assert!(!page.contains("super-secret-token"), "a secret in the HTML");
    assert!(page.contains("guardado ••••4321"));
    assert!(page.contains("data-testid=\"clear-sendgrid_api_key\""));
    assert_eq!(badge_state(&page.body, "email"), "configured");
    assert_eq!(badge_state(&page.body, "twilio"), "configured");
    assert_eq!(badge_state(&page.body, "kommo"), "unconfigured");

    // "Borrar" deletes a secret and a plain value; "-" is an ordinary value
    // now, never a delete command.
    let r = b
        .post(
            "/settings/channels",
            &[
                ("email_provider", "sendgrid"),
                ("clear_twilio_auth_token", "1"),
                ("clear_email_from", "1"),
                ("email_from", "hola@acme.test"),
                ("twilio_account_sid", "AC0123456789"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let (creds, _) =
        af_engine::channels::workspace_credentials(&app.db, &app.state.secret, t.ws.id)
            .await
            .expect("creds");
    assert!(creds.twilio_auth_token.is_none());
    assert!(creds.email_from.is_none());
    assert!(creds.sendgrid_api_key.is_some(), "untouched keys are kept");
    assert_eq!(creds.twilio_account_sid.as_deref(), Some("AC0123456789"));
    let page = b.get("/settings/channels").await;
    assert_eq!(badge_state(&page.body, "twilio"), "unconfigured");

    // Picking another email provider deletes the other providers' keys.
    b.post(
        "/settings/channels",
        &[
            ("email_provider", "brevo"),
            ("brevo_api_key", "xkeysib-brevo-key-5555"),
        ],
    )
    .await;
    let (creds, _) =
        af_engine::channels::workspace_credentials(&app.db, &app.state.secret, t.ws.id)
            .await
            .expect("creds");
    assert!(creds.sendgrid_api_key.is_none());
    assert_eq!(
        creds
            .brevo_api_key
            .map(|k| k.expose().to_string())
            .as_deref(),
        Some("xkeysib-brevo-key-5555")
    );
}

#[tokio::test]
async fn test_sends_go_through_the_vendor_and_set_the_state_badge() {
    use af_testkit::fakes::{FakeTwilio, TwilioKind};
    let twilio = FakeTwilio::start().await;
    let sendgrid = Receiver::start(202).await;
    let sendgrid_base = sendgrid.url.trim_end_matches("/hook").to_string();
    let twilio_base = twilio.base.clone();
    let app = TestApp::spawn_with(|c| {
        let vars: HashMap<&str, String> = [
            ("TWILIO_API_BASE", twilio_base.clone()),
            ("SENDGRID_API_BASE", sendgrid_base.clone()),
        ]
        .into_iter()
        .collect();
        c.channels =
            Arc::new(ChannelsConfig::from_lookup(&|k| vars.get(k).cloned()).expect("config"));
    })
    .await;
    let t = tenant(&app, "acme").await;
    let w = app.engine_worker();
    app.run_jobs(&w).await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    b.get("/settings/channels").await;
    let r = b
        .post(
            "/settings/channels",
            &[
                ("email_provider", "sendgrid"),
                ("email_from", "hola@acme.test"),
                ("sendgrid_api_key", "SG.test-key-123456"),
                ("twilio_account_sid", twilio.account_sid.as_str()),
                ("twilio_auth_token", twilio.auth_token.as_str()),
                ("twilio_sms_sender", "+15550001111"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // SMS: to the number typed, through Twilio.
    let r = b
        .post(
            "/settings/channels/test",
            &[("channel", "sms"), ("to", "+525512345678")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    app.run_jobs(&w).await;
    let sms = twilio.of(TwilioKind::Sms);
    assert_eq!(sms.len(), 1, "rejected: {:?}", twilio.rejected());
    assert_eq!(sms[0].param("To"), Some("+525512345678"));
    let page = b.get("/settings/channels").await;
    assert_eq!(badge_state(&page.body, "twilio"), "connected");
    assert!(page.contains("Conectado ✓"));

    // Email: to the signed-in person, through SendGrid.
    let r = b
        .post("/settings/channels/test", &[("channel", "email")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    app.run_jobs(&w).await;
    assert_eq!(sendgrid.count(), 1);
    let (_, body) = sendgrid.seen.lock().expect("lock")[0].clone();
    assert!(body.contains(&t.owner_email), "{body}");
    let page = b.get("/settings/channels").await;
    assert_eq!(badge_state(&page.body, "email"), "connected");

    // A refused send shows its error on the badge.
    twilio.fail_next(TwilioKind::Sms, 400, 21211, "Invalid 'To' Phone Number");
    b.post(
        "/settings/channels/test",
        &[("channel", "sms"), ("to", "+525512345679")],
    )
    .await;
    app.run_jobs(&w).await;
    let page = b.get("/settings/channels").await;
    assert_eq!(badge_state(&page.body, "twilio"), "error");
    let text = visible_text(&page.body);
    assert!(
        text.contains("Error: ") && text.contains("Phone Number"),
        "{text}"
    );
    assert!(!page.contains(twilio.auth_token.as_str()));
}

#[tokio::test]
async fn invitations_say_when_no_email_was_sent() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    b.get("/settings/members").await;
    let page = b
        .post(
            "/settings/members/invite",
            &[("email", "nueva@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("No hay proveedor de correo configurado: copia el enlace"));
    assert!(!page.contains("Enviamos este enlace"));

    let app = app_with(&[
        ("SENDGRID_API_KEY", "SG.server-key"),
        ("SENDGRID_API_BASE", "http://127.0.0.1:9"),
    ])
    .await;
    let t = tenant(&app, "acme").await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    b.get("/settings/members").await;
    let page = b
        .post(
            "/settings/members/invite",
            &[("email", "nueva@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("Enviamos este enlace por correo"));
    assert!(!page.contains("No hay proveedor de correo"));
}
