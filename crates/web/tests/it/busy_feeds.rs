//! A host's external calendar feed blocks its busy times in booking
//! calendars, on the backend chosen by `AF_TEST_BACKEND`: set on the
//! profile page (sealed at rest), read through the SSRF guard by the sync
//! job, kept when the feed fails (with the failure shown in the member's
//! language), removed with the feed.

use af_engine::channels::ChannelsConfig;
use af_testkit::{Api, PASSWORD, TestApp, tenant};
use std::sync::{Arc, Mutex};

const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n\
BEGIN:VEVENT\r\nUID:dentista@google.com\r\nDTSTART:20260309T150000Z\r\nDTEND:20260309T160000Z\r\nSUMMARY:Dentista\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

/// A calendar server answering `(status, body)` as it is set at the time.
async fn feed_server(reply: Arc<Mutex<(u16, String)>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(move || {
        let reply = reply.clone();
        async move {
            let (status, body) = reply.lock().expect("lock").clone();
            (
                axum::http::StatusCode::from_u16(status).expect("status"),
                [("content-type", "text/calendar")],
                body,
            )
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/calendar/ical/secret-token-123/basic.ics")
}

fn starts(v: &serde_json::Value) -> Vec<String> {
    v["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["start"].as_str().expect("start").to_string())
        .collect()
}

#[tokio::test]
async fn a_hosts_external_calendar_blocks_its_busy_times() {
    // The feed is on this machine: private addresses allowed, as a
    // self-hosted intranet would set it.
    let app = TestApp::spawn_with(|c| {
        c.channels = Arc::new(
            ChannelsConfig::from_lookup(&|k| {
                (k == "AF_WEBHOOK_ALLOW_PRIVATE").then(|| "true".to_string())
            })
            .expect("channels config"),
        );
    })
    .await;
    let t = tenant(&app, "acme").await;
    let worker = app.engine_worker();
    app.run_jobs(&worker).await;
    let api = Api::of(&app, &t);
    let cal = t.ids["calendars.calendar_id"].clone();
    let monday = format!("/api/v1/calendars/{cal}/slots?from=2026-03-09&to=2026-03-09");
    let (_, free) = api.call("GET", &monday, None).await;
    assert!(starts(&free).contains(&"2026-03-09T09:00:00-06:00".to_string()));

    let reply = Arc::new(Mutex::new((200, FEED.to_string())));
    let url = feed_server(reply.clone()).await;
    // The calendar's host (the member) connects the feed.
    let b = app.browser();
    b.login(&t.member_email, PASSWORD).await;
    b.get("/settings/profile").await;
    let bad = b
        .post(
            "/settings/profile/calendar-feed",
            &[("url", "ftp://files.example/cal.ics")],
        )
        .await;
    assert_eq!(bad.status, 303);
    assert!(
        af_db::busy_feeds::find_feed(&app.db, t.ws.id, t.member_id)
            .await
            .expect("q")
            .is_none(),
        "a refused address stores nothing"
    );
    b.get("/settings/profile").await;
    let saved = b
        .post("/settings/profile/calendar-feed", &[("url", &url)])
        .await;
    assert_eq!(saved.status, 303);
    let feed = af_db::busy_feeds::find_feed(&app.db, t.ws.id, t.member_id)
        .await
        .expect("q")
        .expect("feed");
    assert!(
        !feed.url_sealed.contains("secret-token-123"),
        "the secret address rests sealed"
    );
    assert!(!feed.url_hint.contains("secret-token-123"));
    app.run_jobs(&worker).await;

    // 09:00–10:00 in Mexico City is taken outside AgencyFlow.
    let (_, busy) = api.call("GET", &monday, None).await;
    let busy = starts(&busy);
    assert!(
        !busy.contains(&"2026-03-09T09:00:00-06:00".to_string()),
        "{busy:?}"
    );
    assert!(
        !busy.contains(&"2026-03-09T09:30:00-06:00".to_string()),
        "{busy:?}"
    );
    assert!(
        busy.contains(&"2026-03-09T10:00:00-06:00".to_string()),
        "{busy:?}"
    );
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(
                serde_json::json!({"start": "2026-03-09T09:00:00-06:00", "name": "Ana",
                                     "email": "ana@cliente.test"}),
            ),
        )
        .await;
    assert_eq!(status, 409, "the busy time cannot be booked");
    let page = b.get("/settings/profile").await;
    assert!(page.contains("1 horarios ocupados"), "{}", page.body);

    // The feed breaks: the busy times last read stay, the page says why.
    *reply.lock().expect("lock") = (404, "Not Found".into());
    b.post("/settings/profile/calendar-feed/sync", &[]).await;
    app.run_jobs(&worker).await;
    let page = b.get("/settings/profile").await;
    assert!(
        page.contains("data-testid=\"feed-error\"") && page.contains("¿la dirección cambió?"),
        "{}",
        page.body
    );
    let (_, still) = api.call("GET", &monday, None).await;
    assert!(!starts(&still).contains(&"2026-03-09T09:00:00-06:00".to_string()));

    // Removed: the time is free again.
    b.post("/settings/profile/calendar-feed/delete", &[]).await;
    let (_, again) = api.call("GET", &monday, None).await;
    assert!(starts(&again).contains(&"2026-03-09T09:00:00-06:00".to_string()));
}
