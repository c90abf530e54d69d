//! Settings → Webhooks on a real server and database: creating an endpoint
//! through the form (secret shown once), inline refusals of bad and
//! SSRF-refused URLs with nothing stored, admins only, other workspaces'
//! ids answering 404, the delivery log with its payloads, replay (queued
//! through the API's code path and sent by the job) and re-enabling a
//! disabled endpoint.

use af_db::webhooks as store;
use af_engine::channels::ChannelsConfig;
use af_testkit::{Browser, PASSWORD, Page, Tenant, TestApp, csrf_from, tenant, testid_value};
use af_web::i18n::webhooks::WEBHOOKS_ES as T;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use uuid::Uuid;

async fn app_with(vars: &'static [(&'static str, &'static str)]) -> TestApp {
    TestApp::spawn_with(|c| {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| map.get(k).map(|v| v.to_string())).expect("config"),
        );
    })
    .await
}

async fn owner(app: &TestApp, t: &Tenant) -> Browser {
    let b = app.browser();
    b.login(&t.owner_email, PASSWORD).await;
    b
}

async fn endpoints(app: &TestApp, t: &Tenant) -> Vec<store::Endpoint> {
    store::list_endpoints(&app.db, t.ws.id)
        .await
        .expect("endpoints")
}

async fn endpoint(app: &TestApp, t: &Tenant, id: Uuid) -> store::Endpoint {
    store::find_endpoint(&app.db, t.ws.id, id)
        .await
        .expect("find")
        .expect("endpoint")
}

async fn deliveries(app: &TestApp, t: &Tenant, id: Uuid) -> Vec<store::Delivery> {
    store::list_deliveries(&app.db, t.ws.id, id, 500)
        .await
        .expect("deliveries")
}

/// Creates an endpoint through the form; returns its id and the secret
/// shown.
async fn create(
    app: &TestApp,
    t: &Tenant,
    b: &Browser,
    url: &str,
    events: &[&str],
) -> (Uuid, String) {
    b.get("/settings/webhooks").await;
    let mut form = vec![("url", url)];
    form.extend(events.iter().map(|e| ("event_types", *e)));
    let r = b.post("/settings/webhooks", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/settings/webhooks"));
    let page = b.get("/settings/webhooks").await;
    let secret = testid_value(&page.body, "new-webhook-secret").expect("secret shown");
    let id = endpoints(app, t)
        .await
        .into_iter()
        .find(|e| e.url == url)
        .expect("stored")
        .id;
    (id, secret)
}

/// A POST as htmx sends it (token header, `HX-Request`).
async fn hx_post(
    app: &TestApp,
    b: &Browser,
    csrf: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Page {
    let res = b
        .client
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .form(form)
        .send()
        .await
        .expect("POST");
    Page {
        status: res.status().as_u16(),
        location: None,
        headers: res.headers().clone(),
        body: res.text().await.expect("body"),
    }
}

#[tokio::test]
async fn the_signing_secret_is_shown_once_and_the_endpoint_listed() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = owner(&app, &t).await;
    let page = b.get("/settings/webhooks").await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("href=\"/settings/webhooks\""),
        "a settings tab"
    );
    assert!(
        page.contains("value=\"deal.stage_changed\""),
        "event kinds offered"
    );
    assert!(!page.contains("data-testid=\"new-webhook-secret\""));

    let url = "https://93.184.215.14/hooks/crm";
    let (id, secret) = create(&app, &t, &b, url, &["contact.created", "deal.created"]).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let e = endpoint(&app, &t, id).await;
    assert_eq!(e.event_list(), ["contact.created", "deal.created"]);
    assert!(e.active);
    // Only the sealed form is stored, and it opens to the secret shown.
    assert!(!e.secret_sealed.contains(&secret));
    assert_eq!(
        app.state.secret.open(&e.secret_sealed).expect("open"),
        secret
    );

    // Never again: a second visit lists the endpoint without its secret.
    let again = b.get("/settings/webhooks").await;
    assert!(!again.contains(&secret));
    assert!(!again.contains("data-testid=\"new-webhook-secret\""));
    assert!(again.contains(&format!("data-webhook-id=\"{id}\"")));
    // Subscribed kinds read as their labels.
    assert!(again.contains("Se creó el contacto, Se creó un negocio"));
    assert!(again.contains(T.active));

    // "*" subscribes to everything, whatever else is ticked.
    let (all, _) = create(
        &app,
        &t,
        &b,
        "https://93.184.215.15/all",
        &["*", "tag.added"],
    )
    .await;
    assert_eq!(endpoint(&app, &t, all).await.event_list(), ["*"]);
    let audit = af_db::audit::list_audit(&app.db, t.ws.id, 50)
        .await
        .expect("audit");
    assert!(
        audit
            .iter()
            .any(|a| a.action == "webhook.created"
                && a.target_id.as_deref() == Some(&id.to_string()))
    );
}

#[tokio::test]
async fn bad_and_refused_urls_are_refused_inline_and_nothing_is_stored() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = owner(&app, &t).await;
    let before = endpoints(&app, &t).await.len();
    b.get("/settings/webhooks").await;
    let refused = |addr: &str| T.err_url_refused.replace("{addr}", addr);
    for (url, message) in [
        ("not a url", T.err_url_invalid.to_string()),
        ("ftp://files.example.com/x", T.err_url_scheme.to_string()),
        ("http://127.0.0.1/hook", refused("127.0.0.1")),
        (
            "http://169.254.169.254/latest/meta-data/",
            refused("169.254.169.254"),
        ),
        ("http://localhost:8080/x", refused("127.0.0.1")),
        ("http://10.0.0.8/x", refused("10.0.0.8")),
        ("http://[::ffff:127.0.0.1]/x", refused("::ffff:127.0.0.1")),
    ] {
        let r = b
            .post(
                "/settings/webhooks",
                &[("url", url), ("event_types", "contact.created")],
            )
            .await;
        assert_eq!(r.status, 422, "{url}");
        assert!(r.contains("data-field-error=\"url\""), "{url}");
        assert!(r.contains(&message), "{url}: expected {message:?}");
        assert!(r.contains(T.not_saved), "{url}");
        assert!(!r.contains("data-field-error=\"event_types\""), "{url}");
        // The form keeps what was typed and ticked.
        assert!(r.contains("value=\"contact.created\" checked"), "{url}");
        assert!(!r.contains("data-testid=\"new-webhook-secret\""), "{url}");
    }
    // The typed value comes back escaped.
    let r = b
        .post(
            "/settings/webhooks",
            &[
                ("url", "\"><script>alert(1)</script>"),
                ("event_types", "contact.created"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(!r.contains("<script>alert(1)"));

    // No event, an unknown event: refused too, both fields at once.
    let r = b
        .post("/settings/webhooks", &[("url", "http://127.0.0.1/")])
        .await;
    assert_eq!(r.status, 422);
    assert!(r.contains("data-field-error=\"url\""));
    assert!(r.contains("data-field-error=\"event_types\""));
    assert!(r.contains(T.err_events_empty));
    let r = b
        .post(
            "/settings/webhooks",
            &[
                ("url", "https://93.184.215.14/x"),
                ("event_types", "contact.hacked"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.contains(&T.err_events_unknown.replace("{kind}", "contact.hacked")));
    assert_eq!(endpoints(&app, &t).await.len(), before, "nothing stored");

    // The API applies the same rules (one function).
    let api = |body: serde_json::Value| {
        app.http()
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&t.api_key)
            .json(&body)
            .send()
    };
    let r = api(
        serde_json::json!({"url": "https://93.184.215.14/x", "event_types": ["contact.hacked"]}),
    )
    .await
    .expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(body["error"]["fields"]["event_types"].is_string(), "{body}");
    let r =
        api(serde_json::json!({"url": "http://169.254.169.254/", "event_types": ["custom.paid"]}))
            .await
            .expect("post");
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(body["error"]["fields"]["url"].is_string(), "{body}");
    assert!(
        body["error"]["fields"].get("event_types").is_none(),
        "{body}"
    );
    assert_eq!(endpoints(&app, &t).await.len(), before, "nothing stored");
}

#[tokio::test]
async fn members_are_refused() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let fixture = endpoints(&app, &t).await[0].id;
    let m = app.browser();
    m.login(&t.member_email, PASSWORD).await;
    let profile = m.get("/settings/profile").await;
    assert!(
        !profile.contains("href=\"/settings/webhooks\""),
        "no tab for members"
    );
    assert_eq!(m.get("/settings/webhooks").await.status, 403);
    assert_eq!(
        m.get(&format!("/settings/webhooks/{fixture}")).await.status,
        403
    );
    // Refused for the role (with a valid token, so not by the CSRF check).
    let refused = |r: &Page| {
        r.status == 403
            && r.contains(af_web::i18n::ES.title_forbidden)
            && !r.contains(af_web::i18n::ES.err_csrf)
    };
    let r = m
        .post(
            "/settings/webhooks",
            &[("url", "https://93.184.215.14/x"), ("event_types", "*")],
        )
        .await;
    assert!(refused(&r), "{} {}", r.status, r.body);
    for action in ["delete", "enable"] {
        let r = m
            .post(&format!("/settings/webhooks/{fixture}/{action}"), &[])
            .await;
        assert!(refused(&r), "{action}: {}", r.status);
    }
    let delivery = &t.ids[af_testkit::areas::channels::DELIVERY];
    let r = m
        .post(
            &format!("/settings/webhooks/{fixture}/deliveries/{delivery}/replay"),
            &[],
        )
        .await;
    assert!(refused(&r), "replay: {}", r.status);
    let r = app
        .http()
        .post(app.url("/settings/webhooks"))
        .form(&[("url", "https://93.184.215.14/x"), ("event_types", "*")])
        .send()
        .await
        .expect("post");
    assert_ne!(r.status().as_u16(), 200, "signed out");
    let all = endpoints(&app, &t).await;
    assert_eq!(all.len(), 1, "nothing created, nothing deleted");
}

#[tokio::test]
async fn another_workspaces_endpoint_and_deliveries_answer_404() {
    let app = app_with(&[]).await;
    let a = tenant(&app, "alpha").await;
    let other = tenant(&app, "bravo").await;
    let theirs: Uuid = other.ids[af_testkit::areas::channels::WEBHOOK]
        .parse()
        .expect("id");
    let their_delivery = &other.ids[af_testkit::areas::channels::DELIVERY];
    let ours: Uuid = a.ids[af_testkit::areas::channels::WEBHOOK]
        .parse()
        .expect("id");
    let pending = || async {
        af_db::jobs::stats_for_workspace(&app.db, other.ws.id, app.now())
            .await
            .expect("stats")
            .total_in("pending")
    };
    let pending_before = pending().await;
    let b = owner(&app, &a).await;
    let list = b.get("/settings/webhooks").await;
    assert!(list.contains(&ours.to_string()));
    assert!(!list.contains(&theirs.to_string()));
    assert_eq!(
        b.get(&format!("/settings/webhooks/{theirs}")).await.status,
        404
    );
    assert_eq!(b.get("/settings/webhooks/not-a-uuid").await.status, 404);
    b.get("/settings/webhooks").await;
    for path in [
        format!("/settings/webhooks/{theirs}/delete"),
        format!("/settings/webhooks/{theirs}/enable"),
        format!("/settings/webhooks/{theirs}/deliveries/{their_delivery}/replay"),
        // Their delivery under our endpoint is not ours either.
        format!("/settings/webhooks/{ours}/deliveries/{their_delivery}/replay"),
    ] {
        assert_eq!(b.post(&path, &[]).await.status, 404, "{path}");
    }
    let e = endpoint(&app, &other, theirs).await;
    assert!(e.active);
    let d = deliveries(&app, &other, theirs).await;
    assert_eq!(
        (d.len(), d[0].status.as_str(), d[0].attempts),
        (1, "pending", 0)
    );
    assert_eq!(pending().await, pending_before, "no replay was queued");
}

/// A webhook receiver answering `status` (changeable), counting requests.
struct Receiver {
    url: String,
    hits: Arc<AtomicU16>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let hits = Arc::new(AtomicU16::new(0));
        let code = Arc::new(AtomicU16::new(status));
        let (h, c) = (hits.clone(), code.clone());
        let app = axum::Router::new().fallback(move || {
            let (h, c) = (h.clone(), c.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::from_u16(c.load(Ordering::SeqCst)).expect("status")
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Receiver {
            url: format!("http://{addr}/hook"),
            hits,
            status: code,
        }
    }
}

#[tokio::test]
async fn the_delivery_log_shows_deliveries_and_replay_requeues_them() {
    let app = app_with(&[("AF_WEBHOOK_ALLOW_PRIVATE", "true")]).await;
    let t = tenant(&app, "acme").await;
    let b = owner(&app, &t).await;
    // Loopback is let through on this server; metadata never is.
    b.get("/settings/webhooks").await;
    let r = b
        .post(
            "/settings/webhooks",
            &[("url", "http://169.254.169.254/"), ("event_types", "*")],
        )
        .await;
    assert_eq!(r.status, 422);
    let rx = Receiver::start(500).await;
    let (id, _) = create(&app, &t, &b, &rx.url, &["contact.created"]).await;
    let log = b.get(&format!("/settings/webhooks/{id}")).await;
    assert_eq!(log.status, 200);
    assert!(log.contains(T.no_deliveries));

    // A new contact: one delivery, answered 500, waiting for its retry.
    let w = app.engine_worker();
    let mut tx = app.db.begin().await.expect("tx");
    let input = af_db::contacts::ContactInput {
        first_name: "Ana".into(),
        email: Some("ana.webhook@example.com".into()),
        ..Default::default()
    };
    let contact = af_db::contacts::upsert_contact(
        &mut tx,
        t.ws.id,
        &input,
        &af_core::Actor::system(),
        app.now(),
    )
    .await
    .expect("contact")
    .contact;
    tx.commit().await.expect("commit");
    app.run_jobs(&w).await;
    assert_eq!(rx.hits.load(Ordering::SeqCst), 1);
    let d = deliveries(&app, &t, id).await;
    assert_eq!(d.len(), 1);
    let d0 = &d[0];
    assert_eq!(
        (d0.status.as_str(), d0.attempts, d0.response_code),
        ("pending", 1, Some(500))
    );
    let retry_at = d0.next_retry_at.expect("the log knows when it retries");
    assert!(retry_at > app.now());

    let log = b.get(&format!("/settings/webhooks/{id}")).await;
    let tz = &t.ws.time_zone;
    assert_eq!(tz, "America/Mexico_City");
    let es = af_core::Locale::Es;
    assert!(log.contains(&af_web::pages::fmt_when(d0.created_at, tz, es)));
    assert!(
        log.contains("7 mar 2026, 9:00 a. m."),
        "15:00 UTC in Mexico City"
    );
    assert!(log.contains(&af_web::pages::fmt_when(retry_at, tz, es)));
    assert!(log.contains(&format!(
        "data-delivery=\"{}\" data-status=\"pending\"",
        d0.id
    )));
    assert!(log.contains(T.st_pending));
    assert!(log.contains("data-testid=\"delivery-code\">500<"));
    assert!(log.contains("contact.created"));
    // The payload, as sent, is viewable.
    let sent: serde_json::Value = serde_json::from_str(&d0.payload).expect("json");
    let event_id = sent["event_id"].as_str().expect("event id");
    assert!(log.contains(event_id), "the payload is viewable");
    assert!(log.contains("ana.webhook@example.com"));
    assert_eq!(sent["data"]["contact"]["first_name"], contact.first_name);
    assert!(
        !log.contains("data-testid=\"replay\""),
        "a pending delivery is already queued"
    );

    // The retry gets a 400: failed for good, no retry, replayable.
    rx.status.store(400, Ordering::SeqCst);
    app.clock.advance(jiff::SignedDuration::from_hours(2));
    app.run_jobs(&w).await;
    assert_eq!(rx.hits.load(Ordering::SeqCst), 2);
    let d0 = deliveries(&app, &t, id).await.remove(0);
    assert_eq!(
        (d0.status.as_str(), d0.attempts, d0.response_code),
        ("failed", 2, Some(400))
    );
    assert_eq!(d0.next_retry_at, None);
    let log = b.get(&format!("/settings/webhooks/{id}")).await;
    assert!(log.contains(&format!(
        "data-delivery=\"{}\" data-status=\"failed\"",
        d0.id
    )));
    assert!(log.contains(T.st_failed));
    assert!(log.contains("data-testid=\"replay\""));

    // Replay, as htmx sends it: the panel comes back with the delivery
    // pending again, and the job sends it.
    rx.status.store(204, Ordering::SeqCst);
    let csrf = csrf_from(&log.body).expect("csrf");
    let r = hx_post(
        &app,
        &b,
        &csrf,
        &format!("/settings/webhooks/{id}/deliveries/{}/replay", d0.id),
        &[("page", "1")],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .trim_start()
            .starts_with("<section id=\"deliveries-panel\"")
    );
    assert!(r.contains(T.msg_replayed));
    assert!(r.contains(&format!(
        "data-delivery=\"{}\" data-status=\"pending\"",
        d0.id
    )));
    let stats = af_db::jobs::stats_for_workspace(&app.db, t.ws.id, app.now())
        .await
        .expect("stats");
    assert!(stats.total_in("pending") >= 1, "the replay is queued");
    app.run_jobs(&w).await;
    assert_eq!(rx.hits.load(Ordering::SeqCst), 3);
    let d0 = deliveries(&app, &t, id).await.remove(0);
    assert_eq!(
        (d0.status.as_str(), d0.response_code),
        ("delivered", Some(204))
    );
    let log = b.get(&format!("/settings/webhooks/{id}")).await;
    assert!(log.contains(T.st_delivered));

    // Without htmx: a flash and back to the same page of the log.
    let r = b
        .post(
            &format!("/settings/webhooks/{id}/deliveries/{}/replay", d0.id),
            &[("page", "1")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location, Some(format!("/settings/webhooks/{id}?page=1")));
    assert_eq!(deliveries(&app, &t, id).await[0].status, "pending");
    app.run_jobs(&w).await;
    assert_eq!(rx.hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn the_log_is_paged() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = owner(&app, &t).await;
    let (id, _) = create(&app, &t, &b, "https://93.184.215.14/paged", &["*"]).await;
    let mut tx = app.db.begin().await.expect("tx");
    let mut ids = vec![];
    for i in 0..55 {
        let at = af_db::Ts::new(app.now().0 + jiff::SignedDuration::from_secs(i));
        let d = store::insert_delivery(
            &mut tx,
            t.ws.id,
            id,
            "tag.added",
            &format!("{{\"n\":{i}}}"),
            at,
        )
        .await
        .expect("delivery");
        ids.push(d);
    }
    tx.commit().await.expect("commit");
    let first = b.get(&format!("/settings/webhooks/{id}")).await;
    assert_eq!(first.body.matches("data-delivery=").count(), 50);
    assert!(first.contains("data-testid=\"older\""));
    assert!(!first.contains("data-testid=\"newer\""));
    let second = b.get(&format!("/settings/webhooks/{id}?page=2")).await;
    assert_eq!(second.body.matches("data-delivery=").count(), 5);
    assert!(second.contains("data-testid=\"newer\""));
    assert!(!second.contains("data-testid=\"older\""));
    // The newest first: the oldest five are on the last page.
    for (i, d) in ids.iter().enumerate() {
        let marker = format!("data-delivery=\"{d}\"");
        assert_eq!(second.contains(&marker), i < 5, "delivery {i}");
        assert_eq!(first.contains(&marker), i >= 5, "delivery {i}");
    }
    for junk in ["0", "-3", "abc", "99999999999999999999"] {
        let p = b.get(&format!("/settings/webhooks/{id}?page={junk}")).await;
        assert_eq!(p.status, 200, "{junk}");
    }
}

#[tokio::test]
async fn re_enabling_resets_the_failures_and_delete_removes_the_endpoint() {
    let app = app_with(&[]).await;
    let t = tenant(&app, "acme").await;
    let b = owner(&app, &t).await;
    let (id, _) = create(
        &app,
        &t,
        &b,
        "https://93.184.215.14/flaky",
        &["contact.created"],
    )
    .await;
    let disable = || async {
        let mut tx = app.db.begin().await.expect("tx");
        let d = store::insert_delivery(&mut tx, t.ws.id, id, "contact.created", "{}", app.now())
            .await
            .expect("delivery");
        tx.commit().await.expect("commit");
        let d = store::find_delivery(&app.db, t.ws.id, d)
            .await
            .expect("find")
            .expect("delivery");
        let mut tx = app.db.begin().await.expect("tx");
        let failed = store::Attempt {
            status: "failed",
            response_code: Some(503),
            error: Some("HTTP 503"),
            next_retry_at: None,
            failed: true,
        };
        let mut disabled = false;
        for _ in 0..store::DISABLE_AFTER {
            disabled = store::record_attempt(&mut tx, t.ws.id, &d, &failed, app.now())
                .await
                .expect("attempt");
        }
        tx.commit().await.expect("commit");
        assert!(disabled);
    };
    disable().await;
    let e = endpoint(&app, &t, id).await;
    assert!(!e.active && e.disabled_at.is_some());
    assert_eq!(e.consecutive_failures, store::DISABLE_AFTER);

    let page = b.get("/settings/webhooks").await;
    assert!(page.contains(T.disabled));
    assert!(page.contains(&format!("{} {}", store::DISABLE_AFTER, T.failures_in_a_row)));
    assert!(page.contains(&format!("/settings/webhooks/{id}/enable")));
    let csrf = csrf_from(&page.body).expect("csrf");
    let r = hx_post(
        &app,
        &b,
        &csrf,
        &format!("/settings/webhooks/{id}/enable"),
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .trim_start()
            .starts_with("<section id=\"webhooks-panel\"")
    );
    assert!(r.contains(T.msg_enabled));
    assert!(!r.contains(&format!("/settings/webhooks/{id}/enable")));
    let e = endpoint(&app, &t, id).await;
    assert!(e.active);
    assert_eq!((e.consecutive_failures, e.disabled_at), (0, None));

    // The API's enable is the same operation.
    disable().await;
    assert!(!endpoint(&app, &t, id).await.active);
    let r = app
        .http()
        .post(app.url(&format!("/api/v1/webhooks/{id}/enable")))
        .bearer_auth(&t.api_key)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["data"]["active"], true);
    assert_eq!(body["data"]["consecutive_failures"], 0);
    assert!(body["data"]["disabled_at"].is_null());

    // Delete asks first (htmx confirm), then removes it with its log.
    let page = b.get("/settings/webhooks").await;
    assert!(page.contains(&format!("hx-post=\"/settings/webhooks/{id}/delete\"")));
    assert!(page.contains(&format!("hx-confirm=\"{}\"", T.confirm_delete)));
    let r = b
        .post(&format!("/settings/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/settings/webhooks"));
    let page = b.get("/settings/webhooks").await;
    assert!(page.contains(T.msg_deleted));
    assert!(!page.contains(&id.to_string()));
    assert!(
        store::find_endpoint(&app.db, t.ws.id, id)
            .await
            .expect("find")
            .is_none()
    );
    assert!(deliveries(&app, &t, id).await.is_empty());
    assert_eq!(b.get(&format!("/settings/webhooks/{id}")).await.status, 404);
}
