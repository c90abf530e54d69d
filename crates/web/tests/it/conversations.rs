//! The inbox (issue 20) on a real server and database (AF_TEST_BACKEND
//! picks SQLite or PostgreSQL) with a fake Twilio that checks requests as
//! Twilio documents them: replies by hand on WhatsApp, SMS and email with
//! the 24-hour window, consent and quiet-hour rules; inbound messages with
//! media fetched through the SSRF guard, stored once per MessageSid, in
//! the right thread, unread until read; a reply that stops the PAUTA
//! follow-ups; assignment in the assignee's bell; hostile bodies and file
//! names rendered inert.

use af_core::ContactId;
use af_engine::channels::ChannelsConfig;
use af_testkit::fakes::{FAKE_PNG, FakeTwilio, TwilioKind, twilio_signature};
use af_testkit::{Api, Tenant, TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const SMS_FROM: &str = "+15550001111";
const WHATSAPP_FROM: &str = "+15550002222";
const PHONE: &str = "+525512345678";
const TEMPLATE: &str = "HX0123456789abcdef0123456789abcdef";

struct Setup {
    app: TestApp,
    t: Tenant,
    w: af_jobs::Worker,
    twilio: FakeTwilio,
    api: Api,
}

async fn setup() -> Setup {
    let twilio = FakeTwilio::start().await;
    let mut vars: HashMap<&str, String> = twilio.env().into_iter().collect();
    vars.insert("TWILIO_SMS_SENDER", SMS_FROM.into());
    vars.insert("TWILIO_CALLER_ID", SMS_FROM.into());
    vars.insert("TWILIO_WHATSAPP_SENDER", WHATSAPP_FROM.into());
    // The fake serves media on loopback.
    vars.insert("AF_WEBHOOK_ALLOW_PRIVATE", "true".into());
    let app = TestApp::spawn_with(|c| {
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| vars.get(k).cloned()).expect("channels config"),
        );
    })
    .await;
    let t = tenant(&app, "acme").await;
    let w = app.engine_worker();
    app.run_jobs(&w).await;
    let api = Api::of(&app, &t);
    Setup {
        app,
        t,
        w,
        twilio,
        api,
    }
}

impl Setup {
    async fn lead(&self, first: &str, phone: &str) -> ContactId {
        let input = af_db::contacts::ContactInput {
            first_name: first.into(),
            last_name: "Pérez".into(),
            email: Some(format!("{}@cliente.test", first.to_lowercase())),
            phone: Some(phone.into()),
            ..Default::default()
        };
        af_db::testing::insert_lead(&self.app.db, self.t.ws.id, &input, self.app.now()).await
    }

    async fn run(&self) {
        self.app.run_jobs(&self.w).await;
    }

    /// Posts Twilio's inbound webhook, signed as Twilio signs it.
    async fn inbound(&self, params: &[(&str, &str)]) -> u16 {
        let url = self.app.url("/webhooks/twilio/acme/inbound");
        let sig = twilio_signature(&self.twilio.auth_token, &url, params);
        self.app
            .http()
            .post(&url)
            .header("X-Twilio-Signature", sig)
            .form(params)
            .send()
            .await
            .expect("inbound")
            .status()
            .as_u16()
    }

    async fn send(&self, c: ContactId, body: Value) -> (u16, Value) {
        self.api
            .call(
                "POST",
                &format!("/api/v1/conversations/{c}/messages"),
                Some(body),
            )
            .await
    }

    async fn thread(&self, c: ContactId) -> Vec<Value> {
        let (status, page) = self
            .api
            .call("GET", &format!("/api/v1/conversations/{c}/messages"), None)
            .await;
        assert_eq!(status, 200, "{page}");
        page["data"].as_array().cloned().unwrap_or_default()
    }

    async fn conversation(&self, c: ContactId) -> Value {
        let (status, v) = self
            .api
            .call("GET", &format!("/api/v1/conversations/{c}"), None)
            .await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

fn refusal(v: &Value, field: &str) -> String {
    v["error"]["fields"][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn replies_by_hand_follow_the_window_consent_and_quiet_hours() {
    let s = setup().await;
    let c = s.lead("Luis", PHONE).await;
    s.run().await;

    // WhatsApp free text before she ever wrote: the window is closed.
    let (status, v) = s
        .send(c, json!({"channel": "whatsapp", "body": "Hola"}))
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(
        refusal(&v, "template_sid").starts_with("window_closed"),
        "{v}"
    );

    // An approved template goes out as Content SID and variables, no Body.
    let (status, v) = s
        .send(
            c,
            json!({"channel": "whatsapp", "template_sid": TEMPLATE, "variables": {"1": "Luis"}}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["status"], "queued");
    assert_eq!(v["template_sid"], TEMPLATE);
    s.run().await;
    let wa = s.twilio.of(TwilioKind::WhatsApp);
    let last = wa.last().expect("a WhatsApp request");
    assert_eq!(last.param("ContentSid"), Some(TEMPLATE));
    assert_eq!(last.param("ContentVariables"), Some(r#"{"1":"Luis"}"#));
    assert_eq!(last.param("Body"), None);
    assert!(s.twilio.rejected().is_empty(), "{:?}", s.twilio.rejected());

    // She answers on WhatsApp with a photo: stored once, media fetched with
    // the account's credentials, a new unread thread entry.
    let media = s.twilio.media_url("MM1", "ME1");
    let params = [
        ("MessageSid", "MM1"),
        ("From", "whatsapp:+525512345678"),
        ("To", "whatsapp:+15550002222"),
        ("Body", "¡Sí! <script>alert(1)</script>"),
        ("NumMedia", "1"),
        ("MediaUrl0", media.as_str()),
        ("MediaContentType0", "image/png"),
        ("ProfileName", "Luis P"),
    ];
    assert_eq!(s.inbound(&params).await, 200);
    assert_eq!(s.inbound(&params).await, 200, "Twilio's retry");
    let thread = s.thread(c).await;
    let inbound: Vec<&Value> = thread
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 1, "one MessageSid, one message: {thread:?}");
    assert_eq!(inbound[0]["attachments"], 1);
    let id = inbound[0]["id"].as_str().expect("id");
    let files = af_db::messages::list_attachments(&s.app.db, s.t.ws.id, id.parse().expect("id"))
        .await
        .expect("files");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].content, FAKE_PNG);
    assert_eq!(files[0].content_type, "image/png");
    assert_eq!(s.conversation(c).await["unread"], 1);

    // Now free text is allowed, and it goes out as a Body.
    let (status, v) = s
        .send(
            c,
            json!({"channel": "whatsapp", "body": "Hola {{ contact.first_name }}"}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["body"], "Hola Luis", "merge fields render");
    // SMS too.
    let (status, v) = s
        .send(c, json!({"channel": "sms", "body": "Te llamo en 5"}))
        .await;
    assert_eq!(status, 201, "{v}");
    s.run().await;
    let wa = s.twilio.of(TwilioKind::WhatsApp);
    assert_eq!(wa.last().and_then(|r| r.param("Body")), Some("Hola Luis"));
    let sms = s.twilio.of(TwilioKind::Sms);
    assert_eq!(
        sms.last().and_then(|r| r.param("Body")),
        Some("Te llamo en 5")
    );

    // Email: a first one, then a reply threaded to it.
    let (status, first) = s
        .send(
            c,
            json!({"channel": "email", "subject": "Propuesta", "body": "Adjunto la propuesta"}),
        )
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = s
        .send(c, json!({"channel": "email", "body": "¿Pudiste verla?"}))
        .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["subject"], "Re: Propuesta");
    s.run().await;
    let mut tx = s.app.db.begin().await.expect("tx");
    let m1 = af_db::messages::hand_written(
        &mut tx,
        s.t.ws.id,
        first["id"].as_str().expect("id").parse().expect("id"),
    )
    .await
    .expect("row");
    let m2 = af_db::messages::hand_written(
        &mut tx,
        s.t.ws.id,
        second["id"].as_str().expect("id").parse().expect("id"),
    )
    .await
    .expect("row");
    tx.commit().await.expect("commit");
    assert!(
        m1.email_message_id
            .as_deref()
            .is_some_and(|id| id.contains('@'))
    );
    assert_eq!(
        m2.in_reply_to, m1.email_message_id,
        "the reply names the first email"
    );
    let thread = s.thread(c).await;
    assert!(
        thread
            .iter()
            .filter(|m| m["channel"] == "email")
            .all(|m| m["status"] == "sent"),
        "{thread:?}"
    );

    // Quiet hours: 05:00 in Mexico City refuses an SMS unless overridden.
    s.app.clock.advance(SignedDuration::from_hours(14));
    let (status, v) = s
        .send(c, json!({"channel": "sms", "body": "¿Despierto?"}))
        .await;
    assert_eq!(status, 422, "{v}");
    assert!(
        refusal(&v, "override_quiet_hours").starts_with("quiet_hours"),
        "{v}"
    );
    let before = s.twilio.of(TwilioKind::Sms).len();
    let (status, v) = s
        .send(
            c,
            json!({"channel": "sms", "body": "Urgente", "override_quiet_hours": true}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    s.run().await;
    assert_eq!(
        s.twilio.of(TwilioKind::Sms).len(),
        before + 1,
        "sent now, not held"
    );
    let overrides: Vec<Value> = af_db::events::list_events(&s.app.db, s.t.ws.id, 500)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "message.sent")
        .map(|e| serde_json::from_str::<Value>(&e.data).expect("json"))
        .filter(|d| d["quiet_hours_override"] == true)
        .collect();
    assert_eq!(overrides.len(), 1, "the override is recorded");
    s.app.clock.advance(SignedDuration::from_hours(5));

    // STOP: no more texts, with the reason.
    assert_eq!(
        s.inbound(&[
            ("MessageSid", "SM9"),
            ("From", PHONE),
            ("To", SMS_FROM),
            ("Body", "STOP")
        ])
        .await,
        200
    );
    let (status, v) = s.send(c, json!({"channel": "sms", "body": "Hola"})).await;
    assert_eq!(status, 422, "{v}");
    assert!(refusal(&v, "channel").starts_with("no_consent"), "{v}");

    // Bad input changes nothing.
    let count = s.thread(c).await.len();
    for bad in [
        json!({"channel": "fax", "body": "x"}),
        json!({"channel": "email", "body": "  "}),
        json!({"channel": "whatsapp", "template_sid": "HXnot-a-sid"}),
        json!({"channel": "sms", "body": "x", "subject": "no"}),
        json!({"channel": "email", "body": "x", "nope": 1}),
    ] {
        let (status, v) = s.send(c, bad.clone()).await;
        assert!(matches!(status, 400 | 422), "{bad} → {status} {v}");
    }
    assert_eq!(s.thread(c).await.len(), count);
}

#[tokio::test]
async fn the_inbox_lists_filters_reads_and_assigns() {
    let s = setup().await;
    let ana = s.lead("Ana", "+525511111111").await;
    let beto = s.lead("Beto", "+525522222222").await;
    s.run().await;
    for (sid, from, body) in [
        ("SM1", "+525511111111", "hola"),
        ("SM2", "+525522222222", "precio?"),
    ] {
        assert_eq!(
            s.inbound(&[
                ("MessageSid", sid),
                ("From", from),
                ("To", SMS_FROM),
                ("Body", body)
            ])
            .await,
            200
        );
    }
    // A stranger becomes a contact with her own thread.
    assert_eq!(
        s.inbound(&[
            ("MessageSid", "SM3"),
            ("From", "+525533333333"),
            ("To", SMS_FROM),
            ("Body", "info")
        ])
        .await,
        200
    );
    s.run().await;
    let (status, page) = s
        .api
        .call("GET", "/api/v1/conversations?unread=true", None)
        .await;
    assert_eq!(status, 200, "{page}");
    let rows = page["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "{page}");
    assert!(
        rows.iter()
            .all(|r| r["unread"] == 1 && r["channels"] == json!(["sms"]))
    );
    let stranger = rows
        .iter()
        .find(|r| r["id"] != json!(ana) && r["id"] != json!(beto))
        .expect("the stranger's thread");
    assert_eq!(stranger["contact_id"], stranger["id"]);

    // Read, assign to the member (her bell rings), close.
    let (status, _) = s
        .api
        .call("POST", &format!("/api/v1/conversations/{ana}/read"), None)
        .await;
    assert_eq!(status, 200);
    let member = s.t.member_id.to_string();
    let (status, v) = s
        .api
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{ana}"),
            Some(json!({"assignee_id": member})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["unread"], 0);
    assert_eq!(v["assignee_id"], json!(member));
    s.run().await;
    let bell = af_db::notifications::latest(&s.app.db, s.t.ws.id, s.t.member_id, 10)
        .await
        .expect("bell");
    assert!(
        bell.iter().any(|n| n.kind == "conversation_assigned" && n.link == format!("/conversations/{ana}")),
        "{bell:?}"
    );
    let (status, page) = s
        .api
        .call(
            "GET",
            &format!("/api/v1/conversations?assignee={member}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1));
    let (_, page) = s
        .api
        .call("GET", "/api/v1/conversations?assignee=none&q=beto", None)
        .await;
    assert_eq!(page["data"][0]["id"], json!(beto), "{page}");
    let (status, v) = s
        .api
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{beto}"),
            Some(json!({"status": "closed"})),
        )
        .await;
    assert_eq!((status, v["status"].clone()), (200, json!("closed")));
    let (_, page) = s
        .api
        .call("GET", "/api/v1/conversations?status=open", None)
        .await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
    // She writes again: the conversation opens again.
    s.inbound(&[
        ("MessageSid", "SM4"),
        ("From", "+525522222222"),
        ("To", SMS_FROM),
        ("Body", "¿sigue?"),
    ])
    .await;
    assert_eq!(s.conversation(beto).await["status"], "open");

    // Pages: cursor and bad filters.
    let (_, first) = s
        .api
        .call("GET", "/api/v1/conversations?limit=2", None)
        .await;
    let cursor = first["next_cursor"].as_str().expect("more").to_string();
    let (_, second) = s
        .api
        .call(
            "GET",
            &format!("/api/v1/conversations?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(second["data"].as_array().map(Vec::len), Some(1));
    for bad in [
        "status=maybe",
        "assignee=someone",
        "channel=fax",
        "limit=0",
        "cursor=zz",
    ] {
        let (status, v) = s
            .api
            .call("GET", &format!("/api/v1/conversations?{bad}"), None)
            .await;
        assert_eq!(status, 422, "{bad}: {v}");
    }
    let (status, _) = s
        .api
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{ana}"),
            Some(json!({"assignee_id": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, 422, "a stranger cannot be the assignee");
}

#[tokio::test]
async fn a_reply_stops_the_pauta_follow_ups_and_tells_the_owner() {
    let s = setup().await;
    let wf = af_engine::ops::save_workflow(
        &s.app.db,
        s.t.ws.id,
        None,
        &af_engine::library::pauta_speed_to_lead(),
        None,
        s.app.state.config.channels.ssrf(),
        s.app.now(),
    )
    .await
    .expect("PAUTA")
    .id;
    let c = s.lead("Carla", PHONE).await;
    // The owner answers her replies.
    let mut tx = s.app.db.begin().await.expect("tx");
    let patch = af_db::contacts::ContactPatch {
        owner_id: Some(Some(s.t.member_id)),
        ..Default::default()
    };
    af_db::contacts::update_contact(
        &mut tx,
        s.t.ws.id,
        c,
        &patch,
        &af_core::Actor::system(),
        s.app.now(),
    )
    .await
    .expect("owner");
    tx.commit().await.expect("commit");
    s.run().await;
    let e = af_db::automations::list_enrollments(&s.app.db, s.t.ws.id, wf, None, None, 10)
        .await
        .expect("enrolments");
    assert_eq!(e.len(), 1);
    assert_ne!(e[0].enrollment.status, "exited");

    assert_eq!(
        s.inbound(&[
            ("MessageSid", "SM1"),
            ("From", PHONE),
            ("To", SMS_FROM),
            ("Body", "Me interesa")
        ])
        .await,
        200
    );
    s.run().await;
    let e = af_db::automations::list_enrollments(&s.app.db, s.t.ws.id, wf, None, None, 10)
        .await
        .expect("enrolments");
    assert_eq!(e[0].enrollment.status, "exited");
    assert_eq!(e[0].enrollment.exit_reason.as_deref(), Some("replied"));
    // Days later nothing more goes out to her.
    let sent_before = s.thread(c).await.len();
    s.app.clock.advance(SignedDuration::from_hours(24 * 13));
    s.run().await;
    assert_eq!(
        s.thread(c).await.len(),
        sent_before,
        "no follow-up after the reply"
    );
    let bell = af_db::notifications::latest(&s.app.db, s.t.ws.id, s.t.member_id, 10)
        .await
        .expect("bell");
    assert!(
        bell.iter()
            .any(|n| n.kind == "message_replied" && n.params.contains("Me interesa")),
        "{bell:?}"
    );
    // And scoring heard it.
    let acts = af_db::scoring::list_activities(&s.app.db, s.t.ws.id, c, None, 20)
        .await
        .expect("activities");
    assert!(acts.iter().any(|a| a.kind == "message_replied"), "{acts:?}");
}

/// Posts the reply form as a browser does (multipart/form-data).
async fn post_reply(
    s: &Setup,
    b: &af_testkit::Browser,
    c: ContactId,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let boundary = "----afboundaryInbox7MA4";
    let mut body = String::new();
    for (k, v) in fields.iter().chain([("_csrf", csrf)].iter()) {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    b.client
        .post(s.app.url(&format!("/conversations/{c}/reply?_csrf={csrf}")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("reply")
}

#[tokio::test]
async fn the_inbox_pages_show_threads_and_render_hostile_text_inert() {
    let s = setup().await;
    let c = s.lead("Dora", PHONE).await;
    s.run().await;
    let media = s.twilio.media_url("MM7", "ME7");
    let hostile = "<img src=x onerror=alert(1)>";
    assert_eq!(
        s.inbound(&[
            ("MessageSid", "MM7"),
            ("From", "whatsapp:+525512345678"),
            ("To", "whatsapp:+15550002222"),
            ("Body", hostile),
            ("NumMedia", "1"),
            ("MediaUrl0", media.as_str()),
            ("MediaContentType0", "image/png"),
        ])
        .await,
        200
    );
    let b = s.app.browser();
    b.login(&s.t.owner_email, &s.t.password).await;
    let list = b.get("/conversations").await;
    assert_eq!(list.status, 200);
    assert!(
        list.contains(&format!("/conversations/{c}")),
        "the thread is listed"
    );
    assert!(
        list.contains("data-nav-badge"),
        "the navigation shows unread"
    );
    assert!(!list.contains(hostile));
    let page = b.get(&format!("/conversations/{c}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.contains(hostile), "no raw HTML from a contact");
    assert!(
        page.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "escaped"
    );
    // The file downloads as an attachment, never inline.
    let href_start = page
        .body
        .find(&format!("/conversations/{c}/messages/"))
        .expect("file link");
    let href: String = page.body[href_start..]
        .chars()
        .take_while(|ch| *ch != '"')
        .collect();
    let file = b.get(&href).await;
    assert_eq!(file.status, 200);
    assert!(
        file.headers["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("attachment;")
    );
    assert_eq!(file.headers["x-content-type-options"], "nosniff");
    // Opening the thread read it.
    assert_eq!(s.conversation(c).await["unread"], 0);

    // A reply from the page (multipart), a note, close.
    let csrf = af_testkit::csrf_from(&page.body).expect("csrf");
    let r = post_reply(
        &s,
        &b,
        c,
        &csrf,
        &[("channel", "whatsapp"), ("body", "Gracias, Dora")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = b.get(&format!("/conversations/{c}")).await;
    assert!(page.contains("Gracias, Dora"));
    let r = b
        .post(
            &format!("/conversations/{c}/notes"),
            &[("body", "Quiere precio <b>mayorista</b>")],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = b.get(&format!("/conversations/{c}")).await;
    assert!(page.contains("Quiere precio &#60;b&#62;mayorista&#60;/b&#62;"));
    let r = b
        .post(
            &format!("/conversations/{c}/status"),
            &[("status", "closed")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(s.conversation(c).await["status"], "closed");

    // A refusal keeps what was typed and says why, in the reader's language.
    s.app.clock.advance(SignedDuration::from_hours(48));
    let page = b.get(&format!("/conversations/{c}")).await;
    let csrf = af_testkit::csrf_from(&page.body).expect("csrf");
    let r = post_reply(
        &s,
        &b,
        c,
        &csrf,
        &[("channel", "whatsapp"), ("body", "¿Seguimos?")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.expect("body");
    assert!(body.contains("24 horas"), "explained in Spanish");
    assert!(body.contains("¿Seguimos?"), "what was typed stays");
}

/// Posts SendGrid's Inbound Parse form (multipart) to `url`.
async fn sendgrid_parse(
    s: &Setup,
    url: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> u16 {
    let boundary = "----sendgridParse0x1";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, ct, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment1\"; filename=\"{name}\"\r\nContent-Type: {ct}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    s.app
        .http()
        .post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("inbound email")
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_email_reply_threads_by_in_reply_to_once_with_its_files() {
    let s = setup().await;
    let c = s.lead("Eva", "+525544444444").await;
    s.run().await;
    let (status, sent) = s
        .send(
            c,
            json!({"channel": "email", "subject": "Propuesta", "body": "Adjunta"}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let mut tx = s.app.db.begin().await.expect("tx");
    let ours = af_db::messages::hand_written(
        &mut tx,
        s.t.ws.id,
        sent["id"].as_str().expect("id").parse().expect("id"),
    )
    .await
    .expect("row")
    .email_message_id
    .expect("our Message-ID");
    tx.commit().await.expect("commit");

    let token = af_web::api::inbound_email::token(&s.app.state.secret, s.t.ws.id);
    let url = s.app.url(&format!("/webhooks/email/acme/{token}/sendgrid"));
    // She answers from another address: In-Reply-To still finds her thread.
    let headers = format!(
        "Message-ID: <reply1@mail.test>\r\nIn-Reply-To: <{ours}>\r\nReferences: <{ours}>\r\n"
    );
    let fields = [
        ("from", "Eva P <eva.personal@otro.test>"),
        ("to", "inbox@acme.test"),
        ("subject", "Re: Propuesta"),
        (
            "text",
            "Me parece bien.\n\nEl lun, 7 dic 2026, Acme <x@acme.test> escribió:\n> Adjunta",
        ),
        ("headers", headers.as_str()),
    ];
    let pdf: &[u8] = b"%PDF-1.4 fake";
    assert_eq!(
        sendgrid_parse(
            &s,
            &url,
            &fields,
            Some(("<b>contrato</b>.pdf", "application/pdf", pdf))
        )
        .await,
        200
    );
    assert_eq!(
        sendgrid_parse(&s, &url, &fields, None).await,
        200,
        "SendGrid's retry"
    );
    let thread = s.thread(c).await;
    let inbound: Vec<&Value> = thread
        .iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), 1, "{thread:?}");
    assert_eq!(
        inbound[0]["body"], "Me parece bien.",
        "the quoted history is left out"
    );
    assert_eq!(inbound[0]["subject"], "Re: Propuesta");
    assert_eq!(inbound[0]["attachments"], 1);
    let files = af_db::messages::list_attachments(
        &s.app.db,
        s.t.ws.id,
        inbound[0]["id"].as_str().expect("id").parse().expect("id"),
    )
    .await
    .expect("files");
    assert_eq!(files[0].content_type, "application/pdf");
    assert!(!files[0].filename.contains('<'), "{}", files[0].filename);
    assert_eq!(s.conversation(c).await["unread"], 1);

    // A stranger's email makes a contact; an HTML "attachment" is dropped.
    let fields = [
        ("from", "Nuevo Cliente <nuevo@cliente.test>"),
        ("to", "inbox@acme.test"),
        ("subject", "Cotización"),
        ("text", "Hola, quiero una cotización"),
        ("headers", "Message-ID: <new1@cliente.test>\r\n"),
    ];
    assert_eq!(
        sendgrid_parse(
            &s,
            &url,
            &fields,
            Some(("x.html", "text/html", b"<script>1</script>"))
        )
        .await,
        200
    );
    let (_, page) = s
        .api
        .call("GET", "/api/v1/conversations?q=nuevo", None)
        .await;
    assert_eq!(page["data"].as_array().map(Vec::len), Some(1), "{page}");
    let stranger = page["data"][0]["id"].as_str().expect("id").to_string();
    let (_, msgs) = s
        .api
        .call(
            "GET",
            &format!("/api/v1/conversations/{stranger}/messages"),
            None,
        )
        .await;
    assert_eq!(msgs["data"][0]["attachments"], 0);

    // Brevo: by the sender's address.
    let burl = s.app.url(&format!("/webhooks/email/acme/{token}/brevo"));
    let post = json!({"items": [{
        "MessageId": "<brevo1@mail.test>", "From": {"Name": "Eva", "Address": "eva@cliente.test"},
        "To": [{"Address": "inbox@acme.test"}], "Subject": "Otra cosa",
        "RawTextBody": "¿Y el precio?\n> antes", "ExtractedMarkdownMessage": "¿Y el precio?"
    }]});
    for _ in 0..2 {
        let r = s
            .app
            .http()
            .post(&burl)
            .json(&post)
            .send()
            .await
            .expect("brevo");
        assert_eq!(r.status().as_u16(), 200);
    }
    let thread = s.thread(c).await;
    assert_eq!(
        thread
            .iter()
            .filter(|m| m["direction"] == "inbound")
            .count(),
        2,
        "{thread:?}"
    );

    // A wrong token changes nothing.
    let wrong = s.app.url("/webhooks/email/acme/nope/sendgrid");
    assert_eq!(sendgrid_parse(&s, &wrong, &fields, None).await, 404);
    let r = s
        .app
        .http()
        .post(s.app.url("/webhooks/email/acme/nope/brevo"))
        .json(&post)
        .send()
        .await
        .expect("brevo");
    assert_eq!(r.status().as_u16(), 404);
}

#[tokio::test]
async fn approved_templates_are_listed_in_settings_and_picked_in_the_reply_form() {
    let s = setup().await;
    let c = s.lead("Flor", PHONE).await;
    s.run().await;
    let b = s.app.browser();
    b.login(&s.t.owner_email, &s.t.password).await;
    let page = b.get("/settings/whatsapp-templates").await;
    assert_eq!(page.status, 200);
    let r = b
        .post(
            "/settings/whatsapp-templates",
            &[
                ("name", "Recordatorio"),
                ("content_sid", "HXnope"),
                ("variables", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = b.get("/settings/whatsapp-templates").await;
    assert!(
        page.contains("HX followed by") || page.contains("empieza con HX"),
        "the error is shown"
    );
    let r = b
        .post(
            "/settings/whatsapp-templates",
            &[
                ("name", "Recordatorio"),
                ("content_sid", TEMPLATE),
                ("variables", "1, 2"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = b.get("/settings/whatsapp-templates").await;
    assert!(page.contains(TEMPLATE) && page.contains("Recordatorio"));

    // The reply form offers it; picking it sends the template.
    let page = b.get(&format!("/conversations/{c}")).await;
    assert!(page.contains("data-testid=\"template-pick\""));
    assert!(page.contains("Recordatorio · 1,2"));
    let csrf = af_testkit::csrf_from(&page.body).expect("csrf");
    let r = post_reply(
        &s,
        &b,
        c,
        &csrf,
        &[
            ("channel", "whatsapp"),
            ("template_pick", TEMPLATE),
            ("variables", "1=Flor\n2=lunes"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    s.run().await;
    let wa = s.twilio.of(TwilioKind::WhatsApp);
    let last = wa.last().expect("sent");
    assert_eq!(last.param("ContentSid"), Some(TEMPLATE));
    assert_eq!(
        last.param("ContentVariables"),
        Some(r#"{"1":"Flor","2":"lunes"}"#)
    );

    // A member cannot manage them; the owner deletes it.
    let m = s.app.browser();
    m.login(&s.t.member_email, &s.t.password).await;
    assert_eq!(m.get("/settings/whatsapp-templates").await.status, 403);
    let id = af_db::whatsapp_templates::list(&s.app.db, s.t.ws.id)
        .await
        .expect("list")
        .into_iter()
        .find(|t| t.content_sid == TEMPLATE)
        .expect("listed")
        .id;
    let r = b
        .post(&format!("/settings/whatsapp-templates/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(
        !b.get("/settings/whatsapp-templates")
            .await
            .contains(TEMPLATE)
    );
}

#[tokio::test]
async fn a_reply_to_a_workflow_email_threads_by_its_message_id() {
    let s = setup().await;
    af_engine::ops::save_workflow(
        &s.app.db,
        s.t.ws.id,
        None,
        &json!({"name": "Bienvenida", "trigger": {"type": "lead_created"}, "active": true,
                "steps": [{"type": "send_email", "subject": "Bienvenida", "body": "Hola {{ contact.first_name }}"}]}),
        None,
        s.app.state.config.channels.ssrf(),
        s.app.now(),
    )
    .await
    .expect("workflow");
    let c = s.lead("Gala", "+525566666666").await;
    s.run().await;
    let sent = s
        .thread(c)
        .await
        .into_iter()
        .find(|m| m["channel"] == "email" && m["direction"] == "outbound")
        .expect("the welcome email");
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["workflow_name"], "Bienvenida");
    let mut tx = s.app.db.begin().await.expect("tx");
    let ours = af_db::messages::hand_written(
        &mut tx,
        s.t.ws.id,
        sent["id"].as_str().expect("id").parse().expect("id"),
    )
    .await
    .expect("row")
    .email_message_id
    .expect("a workflow email keeps the Message-ID it went out with");
    tx.commit().await.expect("commit");
    let token = af_web::api::inbound_email::token(&s.app.state.secret, s.t.ws.id);
    let url = s.app.url(&format!("/webhooks/email/acme/{token}/sendgrid"));
    let headers = format!("Message-ID: <g1@mail.test>\r\nIn-Reply-To: <{ours}>\r\n");
    let fields = [
        ("from", "Gala <gala.trabajo@empresa.test>"),
        ("to", "hola@acme.test"),
        ("subject", "Re: Bienvenida"),
        ("text", "Gracias, ¿cuándo hablamos?"),
        ("headers", headers.as_str()),
    ];
    assert_eq!(sendgrid_parse(&s, &url, &fields, None).await, 200);
    let inbound: Vec<Value> = s
        .thread(c)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "inbound")
        .collect();
    assert_eq!(
        inbound.len(),
        1,
        "in Gala's thread though she wrote from another address"
    );
}
