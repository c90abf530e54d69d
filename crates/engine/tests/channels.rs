//! The send job through real providers against fake vendor servers (local
//! HTTP servers recording every request), on SQLite or PostgreSQL per
//! AF_TEST_BACKEND: workflow steps → SendGrid / Twilio, retry vs permanent
//! failures, Twilio's opt-out code, quiet hours, Kommo not configured.

use af_core::crypto::SecretKey;
use af_core::{Actor, ContactId, ManualClock, WorkspaceId};
use af_db::testing::{TestDb, fresh_db};
use af_db::{Db, Ts};
use af_engine::channels::ChannelsConfig;
use af_engine::{EngineConfig, ops};
use af_jobs::{Registry, Worker, WorkerConfig};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One request as the fake vendor saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Seen {
    fn form(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

/// A fake vendor: answers each request with the next reply (the last one
/// repeats) and records it.
#[derive(Clone)]
struct Fake {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    replies: Arc<Mutex<Vec<(u16, String)>>>,
}

impl Fake {
    async fn start(replies: Vec<(u16, &str)>) -> Fake {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let replies = Arc::new(Mutex::new(
            replies
                .into_iter()
                .map(|(s, b)| (s, b.to_string()))
                .collect::<Vec<_>>(),
        ));
        let (s2, r2) = (seen.clone(), replies.clone());
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (seen, replies) = (s2.clone(), r2.clone());
            async move {
                seen.lock().expect("lock").push(Seen {
                    path: uri.path().to_string(),
                    headers,
                    body: body.to_vec(),
                });
                let (status, body) = {
                    let mut r = replies.lock().expect("lock");
                    if r.len() > 1 {
                        r.remove(0)
                    } else {
                        r[0].clone()
                    }
                };
                (
                    StatusCode::from_u16(status).expect("status"),
                    [
                        ("content-type", "application/json"),
                        ("x-message-id", "sg-123"),
                    ],
                    body,
                )
                    .into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Fake {
            base: format!("http://{addr}"),
            seen,
            replies,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn reply(&self, status: u16, body: &str) {
        *self.replies.lock().expect("lock") = vec![(status, body.to_string())];
    }
}

const TWILIO_OK: &str = r#"{"sid": "SM0001", "status": "queued"}"#;

struct Env {
    db: Db,
    clock: ManualClock,
    ws: WorkspaceId,
    cfg: EngineConfig,
    _tdb: TestDb,
}

fn config(vars: &[(&str, &str)]) -> EngineConfig {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut channels = ChannelsConfig::from_lookup(&|k| map.get(k).cloned()).expect("config");
    channels.options.ssrf.allow_private = true; // the fakes listen on loopback
    channels.options.timeout = std::time::Duration::from_secs(5);
    EngineConfig {
        base_url: "http://crm.test".into(),
        booking_url: None,
        secret: SecretKey::from_text(&"channel-test-".repeat(4)).expect("key"),
        channels: Arc::new(channels),
    }
}

fn vendors(twilio: &Fake, sendgrid: &Fake) -> EngineConfig {
    config(&[
        ("TWILIO_ACCOUNT_SID", "AC123"),
        ("TWILIO_AUTH_TOKEN", "twilio-token"),
        ("TWILIO_SMS_SENDER", "+15550001111"),
        ("TWILIO_WHATSAPP_SENDER", "+15550002222"),
        ("TWILIO_CALLER_ID", "+15550003333"),
        ("TWILIO_API_BASE", &twilio.base),
        ("SENDGRID_API_KEY", "SG.key"),
        ("SENDGRID_API_BASE", &sendgrid.base),
        ("AF_EMAIL_FROM", "hola@pauta.test"),
    ])
}

impl Env {
    /// A workspace in Mexico City; the clock starts Monday 09:00 there.
    async fn new(cfg: EngineConfig) -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tdb = fresh_db().await;
        let clock = ManualClock::new("2026-03-02T15:00:00Z".parse().expect("ts"));
        let ws =
            af_db::testing::pauta_workspace(&tdb.db, Ts::new(af_core::Clock::now(&clock))).await;
        Env {
            db: tdb.db.clone(),
            clock,
            ws: ws.id,
            cfg,
            _tdb: tdb,
        }
    }

    fn now(&self) -> Ts {
        Ts::new(af_core::Clock::now(&self.clock))
    }

    fn worker(&self) -> Worker {
        let mut r = Registry::new();
        af_engine::register(&mut r, self.cfg.clone()).expect("register");
        let mut c = WorkerConfig::new("test-worker");
        c.batch_size = 50;
        Worker::new(self.db.clone(), Arc::new(self.clock.clone()), r, c)
    }

    async fn drain(&self, w: &Worker) {
        for _ in 0..200 {
            if w.run_once().await.expect("run").claimed == 0 {
                return;
            }
        }
        panic!("jobs kept coming");
    }

    async fn workflow(&self, steps: Value) {
        let def = json!({"name": "w", "trigger": {"type": "lead_created"}, "active": true, "steps": steps});
        ops::save_workflow(
            &self.db,
            self.ws,
            None,
            &def,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            self.now(),
        )
        .await
        .expect("saved");
    }

    async fn lead(&self, email: &str, phone: Option<&str>) -> ContactId {
        let input = af_db::testing::lead_input("Ana", "Pérez", Some(email), phone);
        af_db::testing::insert_lead(&self.db, self.ws, &input, self.now()).await
    }

    async fn messages(&self) -> Vec<af_db::messages::Message> {
        let mut all = af_db::messages::search_messages(&self.db, self.ws, None, None, None, 100)
            .await
            .expect("messages");
        all.reverse();
        all
    }

    async fn contact(&self, id: ContactId) -> af_db::contacts::Contact {
        af_db::contacts::find_contact(&self.db, self.ws, id)
            .await
            .expect("find")
            .expect("contact")
    }
}

#[tokio::test]
async fn marketing_email_goes_through_sendgrid_with_one_click_unsubscribe() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(201, TWILIO_OK)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    env.workflow(
        json!([{"type": "send_email", "subject": "Hola {{ contact.first_name }}",
                         "body": "Baja: {{ unsubscribe_url }}"}]),
    )
    .await;
    let c = env.lead("ana@example.com", None).await;
    env.drain(&env.worker()).await;

    let m = &env.messages().await[0];
    assert_eq!(
        (m.status.as_str(), m.provider.as_str()),
        ("sent", "sendgrid")
    );
    assert_eq!(m.provider_id.as_deref(), Some("sg-123"));
    let reqs = sendgrid.seen();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v3/mail/send");
    assert_eq!(
        reqs[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer SG.key")
    );
    let body = reqs[0].json();
    let token = af_channels::unsubscribe::token(&env.cfg.secret, env.ws, c);
    let url = format!("http://crm.test/u/{token}");
    assert_eq!(
        body["headers"]["List-Unsubscribe"],
        json!(format!("<{url}>"))
    );
    assert_eq!(
        body["headers"]["List-Unsubscribe-Post"],
        json!("List-Unsubscribe=One-Click")
    );
    // The merge field carries the same signed link as the header.
    assert!(body.to_string().contains(&format!("Baja: {url}")), "{body}");
    assert_eq!(
        af_channels::unsubscribe::verify(&env.cfg.secret, &token),
        Some((env.ws, c))
    );
    assert!(twilio.seen().is_empty());
}

#[tokio::test]
async fn sms_goes_through_twilio_with_a_status_callback() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(201, TWILIO_OK)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    env.workflow(json!([{"type": "send_sms", "body": "Hola {{ contact.first_name }}"}]))
        .await;
    env.lead("ana@example.com", Some("+525512345678")).await;
    env.drain(&env.worker()).await;

    let m = &env.messages().await[0];
    assert_eq!((m.status.as_str(), m.provider.as_str()), ("sent", "twilio"));
    assert_eq!(m.provider_id.as_deref(), Some("SM0001"));
    let reqs = twilio.seen();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/2010-04-01/Accounts/AC123/Messages.json");
    let auth = reqs[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .expect("auth");
    assert!(auth.starts_with("Basic "), "{auth}");
    assert_eq!(reqs[0].form("To").as_deref(), Some("+525512345678"));
    assert_eq!(reqs[0].form("From").as_deref(), Some("+15550001111"));
    assert_eq!(reqs[0].form("Body").as_deref(), Some("Hola Ana"));
    assert_eq!(
        reqs[0].form("StatusCallback").as_deref(),
        Some("http://crm.test/webhooks/twilio/pauta/status")
    );
}

#[tokio::test]
async fn vendor_5xx_retries_and_4xx_fails_for_good() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(500, r#"{"code": 20500, "message": "oops"}"#)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    env.workflow(json!([{"type": "send_sms", "body": "hola"}]))
        .await;
    env.lead("ana@example.com", Some("+525512345678")).await;
    let w = env.worker();
    env.drain(&w).await;
    let m = &env.messages().await[0];
    assert_eq!(m.status, "queued", "a 500 waits for the retry");
    assert_eq!(m.attempts, 1);
    assert_eq!(twilio.seen().len(), 1);

    twilio.reply(201, TWILIO_OK);
    env.clock.advance(SignedDuration::from_mins(30));
    env.drain(&w).await;
    let m = &env.messages().await[0];
    assert_eq!((m.status.as_str(), m.attempts), ("sent", 2));

    // A 400 is permanent: failed with Twilio's code, never retried.
    twilio.reply(
        400,
        r#"{"code": 21211, "message": "Invalid 'To' Phone Number"}"#,
    );
    env.lead("bea@example.com", Some("+525512345679")).await;
    env.drain(&w).await;
    env.clock.advance(SignedDuration::from_hours(2));
    env.drain(&w).await;
    let m = &env.messages().await[1];
    assert_eq!(m.status, "failed");
    assert!(
        m.error.as_deref().unwrap_or_default().starts_with("21211"),
        "{:?}",
        m.error
    );
    assert_eq!(twilio.seen().len(), 3, "no retry after a 400");
}

#[tokio::test]
async fn twilio_21610_opts_the_contact_out() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(
            400,
            r#"{"code": 21610, "message": "Attempt to send to unsubscribed recipient"}"#,
        )])
        .await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    env.workflow(
        json!([{"type": "send_sms", "body": "hola"}, {"type": "send_sms", "body": "otra vez"}]),
    )
    .await;
    let c = env.lead("ana@example.com", Some("+525512345678")).await;
    env.drain(&env.worker()).await;
    let ms = env.messages().await;
    assert_eq!(ms[0].status, "failed");
    assert!(
        ms[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("21610")
    );
    assert!(env.contact(c).await.sms_opted_out, "marked opted out");
    // The next step sees the opt-out and never calls Twilio again.
    assert!(
        ms.get(1).is_none_or(|m| m.status == "skipped"),
        "{:?}",
        ms.get(1).map(|m| &m.status)
    );
    assert_eq!(twilio.seen().len(), 1);
}

#[tokio::test]
async fn opted_out_and_unsubscribed_contacts_are_skipped_before_any_vendor_call() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(201, TWILIO_OK)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    env.workflow(json!([{"type": "wait", "hours": 1},
                        {"type": "send_email", "subject": "promo", "body": "x"},
                        {"type": "send_sms", "body": "promo"},
                        {"type": "send_email", "subject": "recibo", "body": "x", "transactional": true}]))
        .await;
    let c = env.lead("ana@example.com", Some("+525512345678")).await;
    let w = env.worker();
    env.drain(&w).await;
    // Opt-outs arrive while the workflow waits.
    let mut tx = env.db.begin().await.expect("tx");
    let patch = af_db::contacts::ContactPatch {
        email_unsubscribed: Some(true),
        sms_opted_out: Some(true),
        ..Default::default()
    };
    af_db::contacts::update_contact(&mut tx, env.ws, c, &patch, &Actor::system(), env.now())
        .await
        .expect("patch");
    tx.commit().await.expect("commit");
    env.clock.advance(SignedDuration::from_hours(1));
    env.drain(&w).await;
    let ms = env.messages().await;
    // Marketing is skipped (by the step or the send job), the transactional
    // receipt still goes out.
    let sent: Vec<_> = ms
        .iter()
        .filter(|m| m.status == "sent")
        .map(|m| m.subject.clone())
        .collect();
    assert_eq!(sent, vec![Some("recibo".to_string())]);
    assert!(twilio.seen().is_empty());
    assert_eq!(sendgrid.seen().len(), 1);
}

#[tokio::test]
async fn sms_outside_quiet_hours_waits_for_the_window_in_the_contacts_zone() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(201, TWILIO_OK)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    let env = Env::new(vendors(&twilio, &sendgrid)).await;
    // 09:00 in Mexico City is 07:00 in Los Angeles: before the window.
    env.workflow(json!([{"type": "send_sms", "body": "hola"}]))
        .await;
    let c = env.lead("ana@example.com", Some("+525512345678")).await;
    let mut tx = env.db.begin().await.expect("tx");
    af_db::channels::save_channel_settings(
        &mut tx,
        env.ws,
        &af_db::channels::ChannelSettings {
            credentials_sealed: None,
            quiet_hours: Some("08:00-21:00".into()),
        },
        env.now(),
    )
    .await
    .expect("settings");
    tx.commit().await.expect("commit");
    set_time_zone(&env, c, "America/Los_Angeles").await;
    let w = env.worker();
    env.drain(&w).await;
    assert_eq!(env.messages().await[0].status, "queued");
    assert!(twilio.seen().is_empty(), "nothing sent at 07:00 local");

    env.clock.advance(SignedDuration::from_mins(59));
    env.drain(&w).await;
    assert!(twilio.seen().is_empty(), "still 07:59 there");
    env.clock.advance(SignedDuration::from_mins(1));
    env.drain(&w).await;
    assert_eq!(env.messages().await[0].status, "sent");
    assert_eq!(twilio.seen().len(), 1);
}

async fn set_time_zone(env: &Env, c: ContactId, zone: &str) {
    let mut tx = env.db.begin().await.expect("tx");
    af_db::channels::set_contact_time_zone(&mut tx, env.ws, c, Some(zone))
        .await
        .expect("tz");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn workspace_credentials_override_the_server_and_kommo_is_skipped_when_unset() {
    let (twilio, sendgrid) = (
        Fake::start(vec![(201, TWILIO_OK)]).await,
        Fake::start(vec![(202, "")]).await,
    );
    // The server has no vendor at all: only the workspace's own Twilio.
    let env = Env::new(config(&[("TWILIO_API_BASE", &twilio.base)])).await;
    let creds = af_channels::WorkspaceCredentials {
        twilio_account_sid: Some("ACws".into()),
        twilio_auth_token: Some(af_channels::Secret::new("ws-token")),
        twilio_sms_sender: Some("+15559990000".into()),
        ..Default::default()
    };
    let sealed = af_engine::channels::seal_credentials(&env.cfg.secret, &creds);
    assert!(!sealed.contains("ws-token"));
    let mut tx = env.db.begin().await.expect("tx");
    af_db::channels::save_channel_settings(
        &mut tx,
        env.ws,
        &af_db::channels::ChannelSettings {
            credentials_sealed: Some(sealed),
            quiet_hours: None,
        },
        env.now(),
    )
    .await
    .expect("settings");
    tx.commit().await.expect("commit");
    env.workflow(
        json!([{"type": "send_sms", "body": "hola"}, {"type": "kommo_sync"},
                        {"type": "send_email", "subject": "s", "body": "b"}]),
    )
    .await;
    env.lead("ana@example.com", Some("+525512345678")).await;
    env.drain(&env.worker()).await;
    let ms = env.messages().await;
    let got: Vec<_> = ms
        .iter()
        .map(|m| (m.channel.as_str(), m.status.as_str(), m.provider.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("sms", "sent", "twilio"),
            ("kommo", "skipped", "outbox"),
            ("email", "sent", "outbox")
        ]
    );
    assert_eq!(
        ms[1].skip_reason.as_deref(),
        Some("Kommo is not configured")
    );
    assert_eq!(
        twilio.seen()[0].path,
        "/2010-04-01/Accounts/ACws/Messages.json"
    );
    assert!(sendgrid.seen().is_empty());
}

async fn save_credentials(env: &Env, creds: &af_channels::WorkspaceCredentials) {
    let sealed = af_engine::channels::seal_credentials(&env.cfg.secret, creds);
    let mut tx = env.db.begin().await.expect("tx");
    af_db::channels::save_channel_settings(
        &mut tx,
        env.ws,
        &af_db::channels::ChannelSettings {
            credentials_sealed: Some(sealed),
            quiet_hours: None,
        },
        env.now(),
    )
    .await
    .expect("settings");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn the_configured_sender_name_wins_over_the_workspace_name() {
    let sendgrid = Fake::start(vec![(202, "")]).await;
    let env = Env::new(config(&[
        ("SENDGRID_API_KEY", "SG.key"),
        ("SENDGRID_API_BASE", &sendgrid.base),
        ("AF_EMAIL_FROM", "Agencia Acme <hola@acme.mx>"),
    ]))
    .await;
    env.workflow(json!([{"type": "send_email", "subject": "s", "body": "b"}]))
        .await;
    let from_of_next_lead = |n: usize| {
        let (env, sendgrid) = (&env, &sendgrid);
        async move {
            env.lead(&format!("lead{n}@example.com"), None).await;
            env.drain(&env.worker()).await;
            let seen = sendgrid.seen();
            assert_eq!(seen.len(), n, "one email per lead");
            seen[n - 1].json()["from"].clone()
        }
    };

    // The server's display name, not the workspace's name ("PAUTA").
    assert_eq!(
        from_of_next_lead(1).await,
        json!({"email": "hola@acme.mx", "name": "Agencia Acme"})
    );

    // A workspace's own name in its channel credentials overrides it.
    save_credentials(
        &env,
        &af_channels::WorkspaceCredentials {
            email_from_name: Some("Clínica Sol".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        from_of_next_lead(2).await,
        json!({"email": "hola@acme.mx", "name": "Clínica Sol"})
    );

    // Its own address without a name: not the agency's name, the
    // workspace's.
    save_credentials(
        &env,
        &af_channels::WorkspaceCredentials {
            email_from: Some("hola@clinica.test".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        from_of_next_lead(3).await,
        json!({"email": "hola@clinica.test", "name": "PAUTA"})
    );

    // The sender name of the workspace's settings beats every default.
    let ws = af_db::workspaces::find_workspace(&env.db, env.ws)
        .await
        .expect("find")
        .expect("workspace");
    let mut tx = env.db.begin().await.expect("tx");
    af_db::workspaces::update_workspace_settings(
        &mut tx,
        env.ws,
        &af_db::workspaces::WorkspaceSettings {
            slug: ws.slug.clone(),
            name: ws.name.clone(),
            time_zone: ws.time_zone.clone(),
            locale: ws.locale(),
            country: ws.country.clone(),
            brand_color: ws.brand_color.clone(),
            sender_name: Some("Equipo Pauta".into()),
        },
        env.now(),
    )
    .await
    .expect("settings");
    tx.commit().await.expect("commit");
    save_credentials(&env, &af_channels::WorkspaceCredentials::default()).await;
    assert_eq!(
        from_of_next_lead(4).await,
        json!({"email": "hola@acme.mx", "name": "Equipo Pauta"})
    );
}
