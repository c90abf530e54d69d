//! Email engagement (issue 17) on a real server and database
//! (AF_TEST_BACKEND picks SQLite or PostgreSQL): a workflow's marketing
//! email goes out through a fake SendGrid (the vendor is faked at the HTTP
//! boundary only) with our open pixel and click redirects in its HTML;
//! SendGrid's signed event webhook is checked exactly as SendGrid signs
//! (ECDSA P-256 over timestamp + raw body, a key pair made here with
//! `ring`); Brevo's webhook by its URL token; replays change nothing; an
//! open scores once whoever reports it; a hard bounce suppresses the next
//! marketing email with its reason shown on the contact page.

use af_channels::email_events::SendGridKey;
use af_channels::tracking;
use af_core::{ContactId, MessageId};
use af_db::messages::Message;
use af_engine::channels::ChannelsConfig;
use af_testkit::fakes::{Receiver, Reply};
use af_testkit::{Tenant, TestApp, tenant};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::SignedDuration;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

fn key_pair() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("pkcs8");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).expect("pair")
}

fn public_key(kp: &EcdsaKeyPair) -> String {
    SendGridKey::spki_base64(kp.public_key().as_ref())
}

/// What SendGrid puts in its two headers for `body` at `ts`.
fn sign(kp: &EcdsaKeyPair, ts: &str, body: &[u8]) -> String {
    let mut signed = ts.as_bytes().to_vec();
    signed.extend_from_slice(body);
    STANDARD.encode(
        kp.sign(&SystemRandom::new(), &signed)
            .expect("sign")
            .as_ref(),
    )
}

struct Setup {
    app: TestApp,
    t: Tenant,
    w: af_jobs::Worker,
    sendgrid: Receiver,
    kp: EcdsaKeyPair,
}

async fn setup() -> Setup {
    let sendgrid = Receiver::start(202).await;
    sendgrid.set_reply(Reply {
        status: 202,
        headers: vec![("X-Message-Id", "sgmsg1".into())],
    });
    let kp = key_pair();
    let base = sendgrid.url.trim_end_matches("/hook").to_string();
    let vars: HashMap<&str, String> = [
        ("SENDGRID_API_KEY", "SG.test-key".to_string()),
        ("SENDGRID_API_BASE", base),
        ("SENDGRID_WEBHOOK_PUBLIC_KEY", public_key(&kp)),
        ("AF_EMAIL_FROM", "hola@acme.test".to_string()),
    ]
    .into_iter()
    .collect();
    let app = TestApp::spawn_with(|c| {
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| vars.get(k).cloned()).expect("channels config"),
        );
    })
    .await;
    let t = tenant(&app, "acme").await;
    let w = app.engine_worker();
    app.run_jobs(&w).await;
    Setup {
        app,
        t,
        w,
        sendgrid,
        kp,
    }
}

const HTML: &str = r#"<html><body><p>Hola {{ contact.first_name }}</p><a href="https://shop.test/oferta?a=1&amp;b=2">Oferta</a> <a href="https://shop.test/dos">Dos</a> <a href="{{ unsubscribe_url }}">Baja</a></body></html>"#;

impl Setup {
    async fn wf(&self) -> af_core::WorkflowId {
        af_db::automations::list_workflows(&self.app.db, self.t.ws.id)
            .await
            .expect("workflows")
            .into_iter()
            .find(|w| w.name == "Bienvenida")
            .expect("workflow")
            .id
    }

    /// A marketing workflow on new leads: an email, a day's wait, another.
    async fn workflow(&self) {
        let def = json!({"name": "Bienvenida", "trigger": {"type": "lead_created"}, "active": true,
        "steps": [
            {"type": "send_email", "subject": "Hola", "body": "Hola {{ contact.first_name }}. Baja: {{ unsubscribe_url }}", "html": HTML},
            {"type": "wait", "days": 1},
            {"type": "send_email", "subject": "Segunda", "body": "Otra vez. Baja: {{ unsubscribe_url }}", "html": HTML},
        ]});
        af_engine::ops::save_workflow(
            &self.app.db,
            self.t.ws.id,
            None,
            &def,
            None,
            self.app.state.config.channels.ssrf(),
            self.app.now(),
        )
        .await
        .expect("workflow saved");
    }

    async fn lead(&self, first: &str) -> ContactId {
        let input = af_db::contacts::ContactInput {
            first_name: first.into(),
            last_name: "Pérez".into(),
            email: Some(format!("{}@example.com", first.to_lowercase())),
            ..Default::default()
        };
        let id =
            af_db::testing::insert_lead(&self.app.db, self.t.ws.id, &input, self.app.now()).await;
        self.app.run_jobs(&self.w).await;
        id
    }

    /// The lead's messages, oldest first.
    async fn messages(&self, c: ContactId) -> Vec<Message> {
        let mut all =
            af_db::messages::search_messages(&self.app.db, self.t.ws.id, Some(c), None, None, 100)
                .await
                .expect("messages");
        all.reverse();
        all
    }

    async fn score(&self, c: ContactId) -> i32 {
        af_db::contacts::find_contact(&self.app.db, self.t.ws.id, c)
            .await
            .expect("find")
            .expect("contact")
            .score
    }

    async fn activities(&self, c: ContactId, kind: &str) -> usize {
        count_activities(&self.app, self.t.ws.id, c, kind).await
    }

    async fn events(&self) -> i64 {
        af_db::email_events::count_events(&self.app.db, self.t.ws.id)
            .await
            .expect("count")
    }

    /// Posts `body` signed by `kp` at `ts` (Unix seconds).
    async fn post_sendgrid(&self, kp: &EcdsaKeyPair, ts: i64, body: &str) -> u16 {
        let ts = ts.to_string();
        self.post_sendgrid_signed(&ts, &sign(kp, &ts, body.as_bytes()), body)
            .await
    }

    async fn post_sendgrid_signed(&self, ts: &str, sig: &str, body: &str) -> u16 {
        self.app
            .http()
            .post(
                self.app
                    .url(&format!("/webhooks/sendgrid/{}", self.t.ws.slug)),
            )
            .header("Content-Type", "application/json")
            .header("X-Twilio-Email-Event-Webhook-Signature", sig)
            .header("X-Twilio-Email-Event-Webhook-Timestamp", ts)
            .body(body.to_string())
            .send()
            .await
            .expect("post")
            .status()
            .as_u16()
    }

    fn now_secs(&self) -> i64 {
        self.app.now().0.as_second()
    }
}

async fn count_activities(
    app: &TestApp,
    ws: af_core::WorkspaceId,
    c: ContactId,
    kind: &str,
) -> usize {
    af_db::scoring::list_activities(&app.db, ws, c, None, 1000)
        .await
        .expect("activities")
        .into_iter()
        .filter(|a| a.kind == kind)
        .count()
}

/// A SendGrid batch in the shape of SendGrid's sample events, about `m`
/// (its custom argument and X-Message-Id), with `events` as
/// (event, sg_event_id, extra fields).
fn sendgrid_batch(m: &Message, ts: i64, events: &[(&str, &str, Value)]) -> String {
    let list: Vec<Value> = events
        .iter()
        .map(|(event, id, extra)| {
            let mut e = json!({
                "email": m.to_address, "timestamp": ts, "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
                "event": event, "category": ["cat facts"], "sg_event_id": id,
                "sg_message_id": "sgmsg1.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",
                "af_idempotency_key": m.id.to_string(),
            });
            if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
                o.extend(x.clone());
            }
            e
        })
        .collect();
    serde_json::to_string(&list).expect("json")
}

#[tokio::test]
async fn sendgrid_signed_events_track_and_score_once() {
    let s = setup().await;
    s.workflow().await;
    let ana = s.lead("Ana").await;
    let msgs = s.messages(ana).await;
    assert_eq!(msgs.len(), 1, "the second email waits a day");
    let m = &msgs[0];
    assert_eq!(
        (m.status.as_str(), m.provider.as_str()),
        ("sent", "sendgrid")
    );

    // What SendGrid got: our message id as a custom argument, the links
    // through our redirect (not the unsubscribe link), the open pixel.
    let sent = s.sendgrid.received();
    assert_eq!(sent.len(), 1);
    let body: Value = serde_json::from_str(&sent[0].body).expect("json");
    assert_eq!(
        body["personalizations"][0]["custom_args"]["af_idempotency_key"],
        m.id.to_string()
    );
    let html = body["content"][1]["value"].as_str().expect("html");
    let secret = &s.app.state.secret;
    let click0 = tracking::click_url(
        &s.app.base_url,
        &tracking::click_token(secret, s.t.ws.id, m.id, 0),
    );
    assert!(html.contains(&click0), "{html}");
    assert!(!html.contains("shop.test"), "every link goes through us");
    assert_eq!(
        html.matches("/t/c/").count(),
        2,
        "the unsubscribe link is not tracked"
    );
    assert!(
        html.contains("&#x2f;u&#x2f;"),
        "the (escaped) unsubscribe link is untouched"
    );
    let pixel = tracking::open_url(
        &s.app.base_url,
        &tracking::open_token(secret, s.t.ws.id, m.id),
    );
    assert!(html.contains(&pixel));

    let before = s.score(ana).await;
    let now = s.now_secs();
    let batch = sendgrid_batch(
        m,
        now,
        &[
            ("processed", "rbtnWrG1DVDGGGFHFyun0A==", json!({})),
            (
                "delivered",
                "rWVYmVk90MjZJ9iohOBa3w==",
                json!({"response": "250 OK"}),
            ),
            (
                "open",
                "FOTFFO0ecsBE-zxFXfs6WA==",
                json!({"sg_machine_open": false, "useragent": "Mozilla/5.0", "ip": "255.255.255.255"}),
            ),
        ],
    );

    // Forged, stale, oversize and unsigned posts: refused, nothing stored.
    let ts = now.to_string();
    let good_sig = sign(&s.kp, &ts, batch.as_bytes());
    let tampered = batch.replace("Mozilla/5.0", "Mozilla/6.0");
    assert_eq!(
        s.post_sendgrid_signed(&ts, &good_sig, &tampered).await,
        403,
        "tampered body"
    );
    assert_eq!(
        s.post_sendgrid(&key_pair(), now, &batch).await,
        403,
        "wrong key"
    );
    assert_eq!(
        s.post_sendgrid(&s.kp, now - 3600, &batch).await,
        403,
        "an hour old"
    );
    assert_eq!(
        s.post_sendgrid(&s.kp, now + 3600, &batch).await,
        403,
        "from the future"
    );
    assert_eq!(
        s.post_sendgrid_signed(&ts, "", &batch).await,
        403,
        "no signature"
    );
    assert_eq!(
        s.post_sendgrid_signed("", &good_sig, &batch).await,
        403,
        "no timestamp"
    );
    let huge = format!("[{}]", "1,".repeat(600_000) + "1");
    assert_eq!(s.post_sendgrid(&s.kp, now, &huge).await, 413, "oversize");
    let r = s
        .app
        .http()
        .post(s.app.url("/webhooks/sendgrid/nobody"))
        .body(batch.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 404, "unknown workspace");
    assert_eq!(s.events().await, 0);
    assert_eq!(s.score(ana).await, before);
    assert_eq!(s.messages(ana).await[0].status, "sent");

    // Signed as SendGrid does: accepted; the open scores +5 once.
    assert_eq!(s.post_sendgrid_signed(&ts, &good_sig, &batch).await, 200);
    assert_eq!(s.events().await, 3);
    assert_eq!(s.messages(ana).await[0].status, "opened");
    assert_eq!(
        s.score(ana).await,
        before + 5,
        "the default 'email opened +5'"
    );
    assert_eq!(s.activities(ana, "email_opened").await, 1);

    // A replay (SendGrid retries) and our own pixel change nothing more.
    assert_eq!(s.post_sendgrid_signed(&ts, &good_sig, &batch).await, 200);
    assert_eq!(s.events().await, 3);
    let r = s.app.http().get(&pixel).send().await.expect("pixel");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(r.bytes().await.expect("gif").as_ref(), tracking::PIXEL_GIF);
    assert_eq!(s.activities(ana, "email_opened").await, 1);
    assert_eq!(s.score(ana).await, before + 5);

    // Our click redirect goes to the stored link; SendGrid reporting the
    // same click (on our redirect URL) does not count it twice.
    let r = s.app.http().get(&click0).send().await.expect("click");
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers()["location"], "https://shop.test/oferta?a=1&b=2");
    let click = sendgrid_batch(
        m,
        now,
        &[(
            "click",
            "kCAi1KttyQdEKHhdC-nuEA==",
            json!({"url": click0, "url_offset": {"index": 0, "type": "html"}}),
        )],
    );
    assert_eq!(s.post_sendgrid(&s.kp, now, &click).await, 200);
    assert_eq!(s.activities(ana, "email_clicked").await, 1);
    assert_eq!(s.messages(ana).await[0].status, "clicked");
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_next_marketing_email() {
    let s = setup().await;
    s.workflow().await;
    let ana = s.lead("Ana").await;
    let m = s.messages(ana).await.remove(0);
    let now = s.now_secs();
    let bounce = sendgrid_batch(
        &m,
        now,
        &[(
            "bounce",
            "6g4ZI7SA-xmRDv57GoPIPw==",
            json!({"reason": "550 5.1.1 The email account does not exist", "status": "5.1.1", "type": "bounce"}),
        )],
    );
    assert_eq!(s.post_sendgrid(&s.kp, now, &bounce).await, 200);
    let m = s.messages(ana).await.remove(0);
    assert_eq!(m.status, "failed");
    assert_eq!(
        m.error.as_deref(),
        Some("bounce: 550 5.1.1 The email account does not exist")
    );

    // The wait ends: the second email's step is skipped, and says why.
    s.app.clock.advance(SignedDuration::from_hours(25));
    s.app.run_jobs(&s.w).await;
    assert_eq!(s.messages(ana).await.len(), 1, "no second message");
    assert_eq!(s.sendgrid.count(), 1, "nothing more went to SendGrid");
    let wf = s.wf().await;
    let e = af_db::automations::list_enrollments(&s.app.db, s.t.ws.id, wf, None, None, 10)
        .await
        .expect("enrolments")
        .into_iter()
        .map(|r| r.enrollment)
        .find(|e| e.contact_id == ana)
        .expect("enrolled");
    let runs = af_db::automations::list_step_runs(&s.app.db, s.t.ws.id, e.id)
        .await
        .expect("runs");
    let last = runs.last().expect("runs");
    assert_eq!(last.status, "skipped", "{runs:?}");
    assert_eq!(
        last.detail.as_deref(),
        Some("the address bounced (hard bounce)")
    );

    // A marketing email queued before the bounce arrived is stopped at send
    // time; the message page says why, translated.
    let now_ts = s.app.now();
    let mut tx = s.app.db.begin().await.expect("tx");
    let new = af_db::messages::NewMessage {
        workspace: s.t.ws.id,
        provider: "outbox",
        to: "ana@example.com",
        subject: Some("Tarde"),
        body_text: "Hola",
        category: "marketing",
        contact_id: Some(ana),
        ..Default::default()
    };
    let late = af_db::messages::insert_message(&mut tx, &new, now_ts)
        .await
        .expect("insert");
    af_db::jobs::enqueue_job(
        &mut tx,
        Some(s.t.ws.id),
        &af_core::jobs::SendMessage { message_id: late },
        now_ts,
        now_ts,
    )
    .await
    .expect("job");
    tx.commit().await.expect("commit");
    s.app.run_jobs(&s.w).await;
    let m = af_db::messages::find_message(&s.app.db, s.t.ws.id, late)
        .await
        .expect("find")
        .expect("message");
    assert_eq!(m.status, "skipped");
    assert_eq!(
        m.skip_reason.as_deref(),
        Some("the address bounced (hard bounce)")
    );
    assert_eq!(s.sendgrid.count(), 1);
    let mut tx = s.app.db.begin().await.expect("tx");
    let sup = af_db::email_events::suppression_tx(&mut tx, s.t.ws.id, "ANA@example.com")
        .await
        .expect("read")
        .expect("suppressed");
    tx.commit().await.expect("commit");
    assert_eq!(sup.reason, "hard_bounce");

    // The contact page tells people why, in their language.
    let b = s.app.browser();
    b.login(&s.t.owner_email, af_testkit::PASSWORD).await;
    let page = b.get(&format!("/contacts/{ana}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("la dirección rebotó (rebote definitivo)"),
        "{}",
        page.body
    );
    let page = b.get(&format!("/messages/{late}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("la dirección rebotó (rebote definitivo)"),
        "{}",
        page.body
    );

    // A spam report suppresses too; another workspace's address is untouched.
    let luis = s.lead("Luis").await;
    let m = s.messages(luis).await.remove(0);
    let now = s.now_secs();
    let spam = sendgrid_batch(&m, now, &[("spamreport", "spam-1", json!({}))]);
    assert_eq!(s.post_sendgrid(&s.kp, now, &spam).await, 200);
    let sup = af_db::email_events::suppression(&s.app.db, s.t.ws.id, "luis@example.com")
        .await
        .expect("read")
        .expect("suppressed");
    assert_eq!(sup.reason, "spam");
    let other = tenant(&s.app, "otra").await;
    assert!(
        af_db::email_events::suppression(&s.app.db, other.ws.id, "luis@example.com")
            .await
            .expect("read")
            .is_none()
    );
}

/// A marketing email stored as sent through `provider` with its id.
async fn stored_email(app: &TestApp, t: &Tenant, provider: &str, provider_id: &str) -> MessageId {
    let html = r#"<p>Hola</p><a href="https://shop.test/a?x=1&amp;y=2">A</a> <a href="mailto:x@y.test">m</a> <a href='https://shop.test/b'>B</a>"#;
    let now = app.now();
    let mut tx = app.db.begin().await.expect("tx");
    let new = af_db::messages::NewMessage {
        workspace: t.ws.id,
        provider,
        to: "lead@example.com",
        subject: Some("Oferta"),
        body_text: "Hola",
        body_html: Some(html),
        category: "marketing",
        contact_id: Some(t.contact_id),
        ..Default::default()
    };
    let id = af_db::messages::insert_message(&mut tx, &new, now)
        .await
        .expect("insert");
    let u = af_db::messages::StatusUpdate {
        status: af_core::vocab::MessageStatus::Sent,
        provider: Some(provider),
        provider_id: Some(provider_id),
        ..Default::default()
    };
    af_db::messages::update_status(&mut tx, t.ws.id, id, &u, now)
        .await
        .expect("status");
    tx.commit().await.expect("commit");
    id
}

#[tokio::test]
async fn brevo_webhook_by_url_token_deduplicated() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "acme").await;
    let msg_id = "<202012011200.123456789@smtp-relay.mailin.fr>";
    let id = stored_email(&app, &t, "brevo", msg_id).await;
    let url = af_web::api::email_events::brevo_webhook_url(
        &app.base_url,
        &app.state.secret,
        t.ws.id,
        &t.ws.slug,
    );
    // Brevo's documented transactional payload.
    let event = |name: &str, ts: i64| {
        json!({"event": name, "email": "lead@example.com", "id": 26224, "date": "2020-12-01 12:00:00",
               "ts": ts, "message-id": msg_id, "ts_event": ts, "subject": "Oferta",
               "tag": "[\"transactionalTag\"]", "sending_ip": "185.41.28.109", "ts_epoch": ts * 1000,
               "tags": ["myFirstTransactional"]})
    };
    let post = |u: String, body: Value| {
        let http = app.http();
        async move {
            http.post(u)
                .json(&body)
                .send()
                .await
                .expect("post")
                .status()
                .as_u16()
        }
    };
    let score = || async {
        af_db::contacts::find_contact(&app.db, t.ws.id, t.contact_id)
            .await
            .expect("find")
            .expect("contact")
            .score
    };
    let before = score().await;
    let ws_url = format!("{}/webhooks/brevo/{}", app.base_url, t.ws.slug);
    let wrong = format!("{ws_url}/{}", "A".repeat(43));
    assert_eq!(post(wrong, event("opened", 1)).await, 404, "wrong token");
    assert_eq!(
        post(ws_url.clone(), event("opened", 1)).await,
        404,
        "no token"
    );
    let other = tenant(&app, "otra").await;
    let others = af_web::api::email_events::brevo_webhook_url(
        &app.base_url,
        &app.state.secret,
        other.ws.id,
        &other.ws.slug,
    );
    let token = others.rsplit('/').next().expect("token");
    assert_eq!(
        post(format!("{ws_url}/{token}"), event("opened", 1)).await,
        404,
        "another workspace's token"
    );
    assert_eq!(
        af_db::email_events::count_events(&app.db, t.ws.id)
            .await
            .expect("n"),
        0
    );

    assert_eq!(post(url.clone(), event("delivered", 1)).await, 200);
    assert_eq!(post(url.clone(), event("opened", 2)).await, 200);
    assert_eq!(post(url.clone(), event("opened", 2)).await, 200, "replay");
    // A later open (Brevo batches arrays too) scores nothing more.
    assert_eq!(
        post(
            url.clone(),
            json!([event("unique_opened", 3), event("opened", 4)])
        )
        .await,
        200
    );
    assert_eq!(
        af_db::email_events::count_events(&app.db, t.ws.id)
            .await
            .expect("n"),
        4
    );
    assert_eq!(score().await, before + 5);
    let m = af_db::messages::find_message(&app.db, t.ws.id, id)
        .await
        .expect("find")
        .expect("m");
    assert_eq!(m.status, "opened");
    assert_eq!(post(url.clone(), json!("nonsense")).await, 400);

    let mut hb = event("hard_bounce", 5);
    hb["reason"] = json!("unknown user");
    assert_eq!(post(url.clone(), hb).await, 200);
    assert!(
        af_db::email_events::suppression(&app.db, t.ws.id, "lead@example.com")
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(post(url.clone(), event("unsubscribed", 6)).await, 200);
    let c = af_db::contacts::find_contact(&app.db, t.ws.id, t.contact_id)
        .await
        .expect("find")
        .expect("contact");
    assert!(c.email_unsubscribed);
}

#[tokio::test]
async fn pixel_and_click_tokens_are_signed_and_targets_stored() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "acme").await;
    let id = stored_email(&app, &t, "outbox", "x").await;
    let key = &app.state.secret;
    let http = app.http();
    let get = |path: String| {
        let http = http.clone();
        async move { http.get(path).send().await.expect("get") }
    };
    let click =
        |i: u16| tracking::click_url(&app.base_url, &tracking::click_token(key, t.ws.id, id, i));

    let r = get(click(0)).await;
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(r.headers()["location"], "https://shop.test/a?x=1&y=2");
    let r = get(click(1)).await;
    assert_eq!(
        r.headers()["location"],
        "https://shop.test/b",
        "mailto is not counted"
    );
    assert_eq!(
        get(click(2)).await.status().as_u16(),
        404,
        "index out of range"
    );
    get(click(0)).await;

    // One activity per (message, link).
    let clicks = count_activities(&app, t.ws.id, t.contact_id, "email_clicked").await;
    assert_eq!(clicks, 2);

    // Forged, altered, or another workspace's: 404.
    let good = tracking::click_token(key, t.ws.id, id, 0);
    let (payload, sig) = good.split_once('.').expect("dot");
    let moved = tracking::click_token(key, t.ws.id, id, 1);
    let (_, moved_sig) = moved.split_once('.').expect("dot");
    let other = tenant(&app, "otra").await;
    let forged = tracking::click_token(
        &af_core::crypto::SecretKey::from_text(&"x".repeat(48)).expect("key"),
        t.ws.id,
        id,
        0,
    );
    for bad in [
        format!("{payload}.{moved_sig}"),
        format!("{payload}x.{sig}"),
        forged,
        tracking::click_token(key, other.ws.id, id, 0),
        "garbage".into(),
    ] {
        assert_eq!(
            get(tracking::click_url(&app.base_url, &bad))
                .await
                .status()
                .as_u16(),
            404,
            "{bad}"
        );
    }
    let open = tracking::open_token(key, t.ws.id, id);
    let r = get(tracking::open_url(&app.base_url, &open)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(
        get(format!("{}/t/o/{open}", app.base_url))
            .await
            .status()
            .as_u16(),
        404,
        "no .gif"
    );
    let click_as_open = tracking::click_token(key, t.ws.id, id, 0);
    assert_eq!(
        get(tracking::open_url(&app.base_url, &click_as_open))
            .await
            .status()
            .as_u16(),
        404
    );
    let m = af_db::messages::find_message(&app.db, t.ws.id, id)
        .await
        .expect("find")
        .expect("m");
    assert_eq!(
        m.status, "clicked",
        "an open after a click does not move it back"
    );
}

#[tokio::test]
async fn channel_settings_show_webhook_urls_and_check_the_sendgrid_key() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "acme").await;
    let b = app.browser();
    b.login(&t.owner_email, af_testkit::PASSWORD).await;
    let page = b.get("/settings/channels").await;
    assert_eq!(page.status, 200);
    let sg = af_testkit::testid_value(&page.body, "webhook-sendgrid").expect("sendgrid url");
    assert_eq!(
        sg,
        format!("{}/webhooks/sendgrid/{}", app.base_url, t.ws.slug)
    );
    let brevo = af_testkit::testid_value(&page.body, "webhook-brevo").expect("brevo url");
    assert!(brevo.starts_with(&format!("{}/webhooks/brevo/{}/", app.base_url, t.ws.slug)));

    b.post(
        "/settings/channels",
        &[("sendgrid_webhook_key", "not a key")],
    )
    .await;
    let (creds, _) =
        af_engine::channels::workspace_credentials(&app.db, &app.state.secret, t.ws.id)
            .await
            .expect("creds");
    assert_eq!(creds.sendgrid_webhook_key, None, "refused");
    let key = public_key(&key_pair());
    let r = b
        .post("/settings/channels", &[("sendgrid_webhook_key", &key)])
        .await;
    assert_eq!(r.status, 303);
    let (creds, _) =
        af_engine::channels::workspace_credentials(&app.db, &app.state.secret, t.ws.id)
            .await
            .expect("creds");
    assert_eq!(creds.sendgrid_webhook_key.as_deref(), Some(key.as_str()));
    let page = b.get("/settings/channels").await;
    assert!(page.contains(&key));
}
