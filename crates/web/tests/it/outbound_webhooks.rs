//! Outbound HTTP from the product on a real server and database
//! (AF_TEST_BACKEND picks SQLite or PostgreSQL), received by local servers:
//! the workflow `webhook` step (Standard Webhooks signature with the
//! workspace's derived secret, retries on 5xx / 429 only), outbound webhook
//! endpoints (disabled after 20 consecutive failed deliveries with an alert,
//! reset by a success), and the SSRF guard at send time: loopback, private
//! and metadata targets are refused with no request made unless private
//! targets are allowed (metadata never), and redirects are never followed.
//!
//! The receivers listen on 127.0.0.1, so the tests that must reach them turn
//! `AF_WEBHOOK_ALLOW_PRIVATE` on; the refusal tests leave it off.

use af_channels::webhooks::{DEFAULT_TOLERANCE, WebhookError, WebhookSecret};
use af_core::{ContactId, WorkflowId};
use af_engine::channels::ChannelsConfig;
use af_testkit::fakes::{Receiver, Reply};
use af_testkit::{Tenant, TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;

struct Setup {
    app: TestApp,
    t: Tenant,
    w: af_jobs::Worker,
}

/// A server with `AF_WEBHOOK_ALLOW_PRIVATE` as given and one tenant whose
/// own fixture jobs already ran.
async fn setup(allow_private: bool) -> Setup {
    let app = TestApp::spawn_with(|c| {
        let allow = allow_private.then_some("true".to_string());
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| match k {
                "AF_WEBHOOK_ALLOW_PRIVATE" => allow.clone(),
                _ => None,
            })
            .expect("channels config"),
        );
    })
    .await;
    assert_eq!(
        app.state.config.channels.ssrf().allow_private,
        allow_private
    );
    let t = tenant(&app, "acme").await;
    let w = app.engine_worker();
    app.run_jobs(&w).await;
    Setup { app, t, w }
}

impl Setup {
    async fn run(&self) {
        self.app.run_jobs(&self.w).await;
    }

    fn advance(&self, d: SignedDuration) {
        self.app.clock.advance(d);
    }

    async fn workflow(&self, steps: Value) -> WorkflowId {
        let def = json!({"name": "Hooks", "trigger": {"type": "lead_created"}, "active": true,
                         "steps": steps});
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
        .expect("workflow saved")
        .id
    }

    /// A workflow whose webhook URLs an older version accepted at save time
    /// (before the save-time SSRF check): written straight to the store, so
    /// the send-time guard is what is tested.
    async fn workflow_saved_before_the_check(&self, steps: Value) -> WorkflowId {
        let def = json!({"name": "Hooks", "trigger": {"type": "lead_created"}, "active": true,
                         "steps": steps});
        let parsed = af_core::workflow::Definition::parse(&def).expect("valid definition");
        let stored = serde_json::to_value(&parsed).expect("json");
        let listens = parsed.listened_kinds();
        let write = af_db::automations::WorkflowWrite {
            name: "Hooks",
            trigger_type: parsed.trigger.kind.type_name(),
            status: "active",
            definition: &stored,
            listens: &listens,
            template_key: None,
        };
        let mut tx = self.app.db.begin().await.expect("tx");
        let id = af_db::automations::insert_workflow(&mut tx, self.t.ws.id, &write, self.app.now())
            .await
            .expect("stored");
        tx.commit().await.expect("commit");
        id
    }

    async fn lead(&self, email: &str) -> ContactId {
        let input = af_db::contacts::ContactInput {
            first_name: "Ana".into(),
            last_name: "Pérez".into(),
            email: Some(email.into()),
            ..Default::default()
        };
        af_db::testing::insert_lead(&self.app.db, self.t.ws.id, &input, self.app.now()).await
    }

    /// The lead's webhook-step messages, oldest first.
    async fn hooks(&self, c: ContactId) -> Vec<af_db::messages::Message> {
        let mut all =
            af_db::messages::search_messages(&self.app.db, self.t.ws.id, Some(c), None, None, 100)
                .await
                .expect("messages");
        all.reverse();
        all.retain(|m| m.channel == "webhook");
        all
    }

    fn secret(&self) -> WebhookSecret {
        af_engine::outbound::step_webhook_secret(&self.app.state.engine_config(), self.t.ws.id)
    }

    async fn api_get(&self, path: &str) -> Value {
        let r = self
            .app
            .http()
            .get(self.app.url(path))
            .bearer_auth(&self.t.api_key)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status().as_u16(), 200, "GET {path}");
        r.json().await.expect("json")
    }

    /// Creates an endpoint through the API; its id and secret.
    async fn endpoint(&self, url: &str, events: &[&str]) -> (String, String) {
        let r = self
            .app
            .http()
            .post(self.app.url("/api/v1/webhooks"))
            .bearer_auth(&self.t.api_key)
            .json(&json!({"url": url, "event_types": events}))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 201);
        let body: Value = r.json().await.expect("json");
        (
            body["data"]["id"].as_str().expect("id").to_string(),
            body["data"]["secret"].as_str().expect("secret").to_string(),
        )
    }

    /// An endpoint written straight to the database, the create-time check
    /// bypassed (saved while private targets were allowed, or a name that
    /// resolved elsewhere then): only the send-time check stands.
    async fn stored_endpoint(&self, url: &str) -> String {
        let sealed = self.app.state.secret.seal(&WebhookSecret::generate_text());
        let mut tx = self.app.db.begin().await.expect("tx");
        let id = af_db::webhooks::insert_endpoint(
            &mut tx,
            self.t.ws.id,
            url,
            &sealed,
            &["contact.created".to_string()],
            self.app.now(),
        )
        .await
        .expect("endpoint");
        tx.commit().await.expect("commit");
        id.to_string()
    }

    async fn endpoint_state(&self, id: &str) -> Value {
        self.api_get(&format!("/api/v1/webhooks/{id}")).await["data"].clone()
    }

    async fn deliveries(&self, id: &str) -> Vec<Value> {
        self.api_get(&format!("/api/v1/webhooks/{id}/deliveries"))
            .await["data"]
            .as_array()
            .expect("deliveries")
            .clone()
    }

    async fn alerts(&self, kind: &str) -> Vec<Value> {
        self.api_get("/api/v1/alerts").await["data"]
            .as_array()
            .expect("alerts")
            .iter()
            .filter(|a| a["kind"] == kind)
            .cloned()
            .collect()
    }
}

fn error_code(m: &af_db::messages::Message) -> &str {
    m.error
        .as_deref()
        .and_then(|e| e.split(':').next())
        .unwrap_or_default()
}

// ------------------------------------------------------- the webhook step

#[tokio::test]
async fn a_webhook_step_posts_json_signed_with_the_workspaces_secret() {
    let s = setup(true).await;
    let rx = Receiver::start(200).await;
    let wf = s
        .workflow(json!([{"id": "hook", "type": "webhook", "url": rx.url}]))
        .await;
    let c = s.lead("ana@example.com").await;
    s.run().await;

    let got = rx.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hook"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let m = &s.hooks(c).await[0];
    assert_eq!(
        (
            m.status.as_str(),
            m.provider.as_str(),
            m.to_address.as_str()
        ),
        ("sent", "webhook", rx.url.as_str())
    );
    let id = r.header("webhook-id").expect("webhook-id");
    assert_eq!(id, format!("msg_{}", m.id));
    let ts = r.header("webhook-timestamp").expect("webhook-timestamp");
    let now = s.app.now().0.as_second();
    assert_eq!(ts, now.to_string(), "stamped with the injected clock");
    let sig = r.header("webhook-signature").expect("webhook-signature");
    assert!(sig.starts_with("v1,"), "{sig}");
    let body = r.body.as_bytes();

    let secret = s.secret();
    assert_eq!(
        secret.verify(id, ts, sig, body, now, DEFAULT_TOLERANCE),
        Ok(())
    );
    assert_eq!(
        secret.verify(id, ts, sig, b"{\"forged\":true}", now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        secret.verify(id, ts, sig, body, now + 6 * 60, DEFAULT_TOLERANCE),
        Err(WebhookError::Expired),
        "a replay outside the tolerance"
    );
    let other = tenant(&s.app, "other").await;
    let theirs =
        af_engine::outbound::step_webhook_secret(&s.app.state.engine_config(), other.ws.id);
    assert_eq!(
        theirs.verify(id, ts, sig, body, now, DEFAULT_TOLERANCE),
        Err(WebhookError::BadSignature),
        "each workspace signs with its own secret"
    );

    let payload: Value = serde_json::from_slice(body).expect("json body");
    let e = store_enrollment(&s, wf).await;
    assert_eq!(payload["type"], "workflow.step");
    assert_eq!(payload["workflow_id"], json!(wf));
    assert_eq!(payload["enrollment_id"], json!(e));
    assert_eq!(payload["contact"]["email"], "ana@example.com");
}

async fn store_enrollment(s: &Setup, wf: WorkflowId) -> af_core::EnrollmentId {
    af_db::automations::list_enrollments(&s.app.db, s.t.ws.id, wf, None, None, 10)
        .await
        .expect("enrolments")
        .remove(0)
        .enrollment
        .id
}

#[tokio::test]
async fn a_webhook_step_retries_5xx_and_429_but_not_other_4xx() {
    let s = setup(true).await;
    let rx = Receiver::start(200).await;
    rx.script(vec![
        Reply::status(503),
        Reply::status(429).with_header("retry-after", "120"),
    ]);
    s.workflow(json!([{"type": "webhook", "url": rx.url}]))
        .await;
    let c = s.lead("ana@example.com").await;
    s.run().await;
    let m = &s.hooks(c).await[0];
    assert_eq!(
        (m.status.as_str(), m.attempts),
        ("queued", 1),
        "{:?}",
        m.error
    );
    assert!(m.error.as_deref().unwrap_or_default().contains("503"));

    // The queue's backoff is at most an hour.
    s.advance(SignedDuration::from_hours(1));
    s.run().await;
    assert_eq!(rx.count(), 2);
    let m = &s.hooks(c).await[0];
    assert_eq!(
        (m.status.as_str(), m.attempts),
        ("queued", 2),
        "429 retries"
    );

    // Retry-After: 120 is honoured to the second.
    s.advance(SignedDuration::from_secs(119));
    s.run().await;
    assert_eq!(rx.count(), 2, "not before Retry-After");
    s.advance(SignedDuration::from_secs(1));
    s.run().await;
    assert_eq!(rx.count(), 3);
    let m = &s.hooks(c).await[0];
    assert_eq!((m.status.as_str(), m.attempts), ("sent", 3));

    // Every attempt carries the same webhook-id (receivers de-duplicate)
    // and its own valid signature.
    let got = rx.received();
    let secret = s.secret();
    for r in &got {
        let ts = r.header("webhook-timestamp").expect("ts");
        assert_eq!(r.header("webhook-id"), got[0].header("webhook-id"));
        let at: i64 = ts.parse().expect("seconds");
        secret
            .verify(
                r.header("webhook-id").expect("id"),
                ts,
                r.header("webhook-signature").expect("sig"),
                r.body.as_bytes(),
                at,
                DEFAULT_TOLERANCE,
            )
            .expect("signed");
    }

    // Other 4xx fail for good.
    for (i, status) in [400u16, 404, 410].into_iter().enumerate() {
        rx.set_status(status);
        let c = s.lead(&format!("lead{i}@example.com")).await;
        s.run().await;
        s.advance(SignedDuration::from_hours(2));
        s.run().await;
        let m = &s.hooks(c).await[0];
        assert_eq!(m.status, "failed", "{status}");
        assert_eq!(error_code(m), status.to_string());
        assert_eq!(m.attempts, 1, "{status} is not retried");
    }
    assert_eq!(rx.count(), 6);
}

/// The loopback spellings of the issue, pointing at `rx`'s port, and the
/// cloud metadata address.
fn local_targets(rx: &Receiver) -> Vec<String> {
    vec![
        format!("http://127.0.0.1:{}/hook", rx.port),
        format!("http://localhost:{}/hook", rx.port),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        format!("http://[::ffff:127.0.0.1]:{}/hook", rx.port),
        format!("http://[::1]:{}/hook", rx.port),
        format!("http://0x7f000001:{}/hook", rx.port),
        format!("http://2130706433:{}/hook", rx.port),
        "http://10.0.0.8/hook".to_string(),
        "http://100.64.1.1/hook".to_string(),
    ]
}

#[tokio::test]
async fn webhook_steps_into_the_local_network_are_refused_at_send_time() {
    let s = setup(false).await;
    let rx = Receiver::start(200).await;
    let targets = local_targets(&rx);
    let steps: Vec<Value> = targets
        .iter()
        .map(|u| json!({"type": "webhook", "url": u}))
        .collect();
    let wf = s.workflow_saved_before_the_check(Value::Array(steps)).await;
    let c = s.lead("ana@example.com").await;
    s.run().await;
    s.advance(SignedDuration::from_hours(2));
    s.run().await;

    let hooks = s.hooks(c).await;
    assert_eq!(hooks.len(), targets.len());
    for (m, url) in hooks.iter().zip(&targets) {
        assert_eq!(&m.to_address, url);
        assert_eq!(
            (m.status.as_str(), error_code(m), m.attempts),
            ("failed", "ssrf_refused", 1),
            "{url}: {:?}",
            m.error
        );
        assert!(
            m.error
                .as_deref()
                .unwrap_or_default()
                .contains("not allowed"),
            "{url}: {:?}",
            m.error
        );
    }
    assert_eq!(rx.count(), 0, "no request reached the local server");
    let e = af_db::automations::list_enrollments(&s.app.db, s.t.ws.id, wf, None, None, 10)
        .await
        .expect("enrolments");
    assert_eq!(e[0].enrollment.status, "completed", "the workflow goes on");
}

#[tokio::test]
async fn metadata_stays_refused_when_private_targets_are_allowed() {
    let s = setup(true).await;
    let rx = Receiver::start(200).await;
    s.workflow_saved_before_the_check(json!([
        {"type": "webhook", "url": "http://169.254.169.254/latest/meta-data/"},
        {"type": "webhook", "url": "http://[::ffff:169.254.169.254]/latest/meta-data/"},
        {"type": "webhook", "url": format!("http://[::ffff:127.0.0.1]:{}/hook", rx.port)},
    ]))
    .await;
    let c = s.lead("ana@example.com").await;
    s.run().await;
    let hooks = s.hooks(c).await;
    let got: Vec<_> = hooks
        .iter()
        .map(|m| (m.status.as_str(), error_code(m)))
        .collect();
    assert_eq!(
        got,
        [
            ("failed", "ssrf_refused"),
            ("failed", "ssrf_refused"),
            ("sent", "")
        ],
        "{:?}",
        hooks.iter().map(|m| &m.error).collect::<Vec<_>>()
    );
    assert_eq!(rx.count(), 1, "loopback is allowed here");
}

#[tokio::test]
async fn a_webhook_step_does_not_follow_redirects() {
    let s = setup(true).await;
    let target = Receiver::start(200).await;
    let found = Receiver::start(302).await;
    found.set_reply(Reply::status(302).with_header("location", &target.url));
    let temporary = Receiver::start(307).await;
    temporary.set_reply(Reply::status(307).with_header("location", &target.url));
    s.workflow(json!([{"type": "webhook", "url": found.url},
                      {"type": "webhook", "url": temporary.url}]))
        .await;
    let c = s.lead("ana@example.com").await;
    s.run().await;
    s.advance(SignedDuration::from_hours(2));
    s.run().await;
    assert_eq!(
        (found.count(), temporary.count()),
        (1, 1),
        "asked once each"
    );
    assert_eq!(target.count(), 0, "the redirect target got nothing");
    for (m, code) in s.hooks(c).await.iter().zip(["302", "307"]) {
        assert_eq!((m.status.as_str(), error_code(m)), ("failed", code));
        let error = m.error.as_deref().unwrap_or_default();
        assert!(
            error.contains("not followed") && error.contains(&target.url),
            "{error}"
        );
    }
}

// ------------------------------------------------------------- endpoints

#[tokio::test]
async fn an_endpoint_is_disabled_after_20_consecutive_failures_with_an_alert() {
    let s = setup(true).await;
    let rx = Receiver::start(400).await;
    let (id, _) = s.endpoint(&rx.url, &["contact.created"]).await;
    let mut n = 0;
    let mut leads = |k: usize| {
        let v: Vec<String> = (n..n + k).map(|i| format!("lead{i}@example.com")).collect();
        n += k;
        v
    };

    let mut ids = Vec::new();
    for email in leads(19) {
        ids.push(json!(s.lead(&email).await.to_string()));
    }
    s.run().await;
    // Each delivery names the record it is about.
    for r in rx.received() {
        let body: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(body["type"], "contact.created");
        assert_eq!(body["entity"]["type"], "contact");
        assert!(ids.contains(&body["entity"]["id"]), "{body}");
    }
    let e = s.endpoint_state(&id).await;
    assert_eq!(
        (e["active"].as_bool(), e["consecutive_failures"].as_i64()),
        (Some(true), Some(19))
    );

    // One success resets the count.
    rx.set_status(204);
    for email in leads(1) {
        s.lead(&email).await;
    }
    s.run().await;
    let e = s.endpoint_state(&id).await;
    assert_eq!(
        (e["active"].as_bool(), e["consecutive_failures"].as_i64()),
        (Some(true), Some(0))
    );
    assert!(s.alerts("webhook_disabled").await.is_empty());

    rx.set_status(400);
    for email in leads(19) {
        s.lead(&email).await;
    }
    s.run().await;
    assert_eq!(s.endpoint_state(&id).await["active"], true, "19 are not 20");
    for email in leads(1) {
        s.lead(&email).await;
    }
    s.run().await;
    let e = s.endpoint_state(&id).await;
    assert_eq!(
        (e["active"].as_bool(), e["consecutive_failures"].as_i64()),
        (Some(false), Some(20))
    );
    assert!(e["disabled_at"].is_string(), "{e}");
    let alerts = s.alerts("webhook_disabled").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let text = alerts[0]["message"].as_str().unwrap_or_default();
    assert!(text.contains(&rx.url) && text.contains("20"), "{text}");
    assert_eq!(rx.count(), 40);

    // A disabled endpoint gets no new deliveries.
    for email in leads(2) {
        s.lead(&email).await;
    }
    s.run().await;
    assert_eq!(rx.count(), 40);
    assert_eq!(s.deliveries(&id).await.len(), 40);

    // The alert is on the automations page too.
    let b = s.app.browser();
    b.login(&s.t.owner_email, af_testkit::PASSWORD).await;
    let page = b.get("/automations").await;
    assert_eq!(page.status, 200);
    assert!(page.contains(&rx.url), "alert shown on the page");
}

#[tokio::test]
async fn retries_pending_when_an_endpoint_is_disabled_are_dropped_without_a_request() {
    let s = setup(true).await;
    let rx = Receiver::start(500).await;
    let (id, _) = s.endpoint(&rx.url, &["contact.created"]).await;
    for i in 0..20 {
        s.lead(&format!("lead{i}@example.com")).await;
    }
    s.run().await;
    let e = s.endpoint_state(&id).await;
    assert_eq!(
        (e["active"].as_bool(), e["consecutive_failures"].as_i64()),
        (Some(false), Some(20)),
        "20 failed attempts, each waiting for a retry"
    );
    assert_eq!(rx.count(), 20);

    // The retries come due: no request, the deliveries end, the endpoint
    // keeps its count and the single alert.
    rx.set_status(200);
    s.advance(SignedDuration::from_hours(2));
    s.run().await;
    assert_eq!(rx.count(), 20, "nothing sent to a disabled endpoint");
    let ds = s.deliveries(&id).await;
    assert_eq!(ds.len(), 20);
    for d in &ds {
        assert_eq!(
            (
                d["status"].as_str(),
                d["error"].as_str(),
                d["attempts"].as_i64(),
                d["response_code"].as_i64()
            ),
            (
                Some("failed"),
                Some("endpoint disabled"),
                Some(1),
                Some(500)
            ),
            "the one real attempt stays on record: {d}"
        );
    }
    let e = s.endpoint_state(&id).await;
    assert_eq!(
        (e["active"].as_bool(), e["consecutive_failures"].as_i64()),
        (Some(false), Some(20)),
        "dropping a delivery is not a success: {e}"
    );
    assert_eq!(s.alerts("webhook_disabled").await.len(), 1);
}

#[tokio::test]
async fn endpoints_into_the_local_network_are_refused_at_send_time() {
    let s = setup(false).await;
    let rx = Receiver::start(200).await;
    let mut targets = local_targets(&rx);
    targets.push("file:///etc/passwd".to_string());
    let mut ids = vec![];
    for url in &targets {
        ids.push(s.stored_endpoint(url).await);
    }
    s.lead("ana@example.com").await;
    s.run().await;
    s.advance(SignedDuration::from_hours(2));
    s.run().await;
    for (id, url) in ids.iter().zip(&targets) {
        let ds = s.deliveries(id).await;
        assert_eq!(ds.len(), 1, "{url}");
        let d = &ds[0];
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64()),
            (Some("failed"), Some(1)),
            "{url}: {d}"
        );
        assert!(d["response_code"].is_null(), "{url}: no answer, no request");
        let error = d["error"].as_str().unwrap_or_default();
        assert!(error.contains("allowed"), "{url}: {error}");
        let e = s.endpoint_state(id).await;
        assert_eq!(e["consecutive_failures"], 1, "{url}: counts as a failure");
    }
    assert_eq!(rx.count(), 0, "no request reached the local server");
}

#[tokio::test]
async fn an_endpoint_redirect_is_not_followed_and_the_delivery_fails() {
    let s = setup(true).await;
    let target = Receiver::start(200).await;
    let rx = Receiver::start(302).await;
    rx.set_reply(Reply::status(302).with_header("location", &target.url));
    let (id, _) = s.endpoint(&rx.url, &["contact.created"]).await;
    s.lead("ana@example.com").await;
    s.run().await;
    s.advance(SignedDuration::from_hours(2));
    s.run().await;
    assert_eq!(rx.count(), 1, "asked once, not retried");
    assert_eq!(target.count(), 0, "the redirect target got nothing");
    let ds = s.deliveries(&id).await;
    assert_eq!(ds.len(), 1);
    let d = &ds[0];
    assert_eq!(
        (d["status"].as_str(), d["response_code"].as_i64()),
        (Some("failed"), Some(302)),
        "{d}"
    );
    let error = d["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("not followed") && error.contains(&target.url),
        "{error}"
    );
    assert_eq!(s.endpoint_state(&id).await["consecutive_failures"], 1);
}
