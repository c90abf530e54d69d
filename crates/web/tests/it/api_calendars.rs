//! The booking calendars API contract (issue 16), on the backend chosen by
//! `AF_TEST_BACKEND`: definitions, slots across a DST change in the
//! visitor's zone, bookings racing for one slot, and tenancy.

use af_testkit::{Api, two_workspaces};
use serde_json::{Value, json};

fn starts(v: &Value) -> Vec<String> {
    v["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["start"].as_str().expect("start").to_string())
        .collect()
}

#[tokio::test]
async fn calendars_slots_and_bookings_through_the_api() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };
    // Refused field by field, nothing stored (the tenant has its seeded
    // calendar only).
    let (_, before) = api.call("GET", "/api/v1/calendars", None).await;
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/calendars",
            Some(json!({"name": "", "slug": "No Slug", "time_zone": "Mars/Base", "duration_minutes": 7})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (_, list) = api.call("GET", "/api/v1/calendars", None).await;
    assert_eq!(list["data"], before["data"]);

    // Sundays 13:00–18:00 in New York; the clocks spring forward on
    // Sunday 2026-03-08 (the test clock is Saturday 2026-03-07).
    let (status, cal) = api
        .call(
            "POST",
            "/api/v1/calendars",
            Some(json!({
                "name": "Demo", "slug": "demo", "time_zone": "America/New_York",
                "duration_minutes": 60,
                "availability": [{"weekday": 7, "start": "13:00", "end": "18:00"}]
            })),
        )
        .await;
    assert_eq!(status, 201, "{cal}");
    let id = cal["id"].as_str().expect("id").to_string();
    assert_eq!(
        cal["hosts"].as_array().map(Vec::len),
        Some(1),
        "the owner hosts by default"
    );

    let (status, utc) = api
        .call(
            "GET",
            &format!("/api/v1/calendars/{id}/slots?from=2026-03-08&to=2026-03-08&time_zone=UTC"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{utc}");
    assert_eq!(
        starts(&utc),
        [
            "2026-03-08T17:00:00+00:00",
            "2026-03-08T18:00:00+00:00",
            "2026-03-08T19:00:00+00:00",
            "2026-03-08T20:00:00+00:00",
            "2026-03-08T21:00:00+00:00"
        ],
        "13:00–18:00 on the transition day is 17:00–22:00Z"
    );
    let (_, madrid) = api
        .call(
            "GET",
            &format!(
                "/api/v1/calendars/{id}/slots?from=2026-03-08&to=2026-03-08&time_zone=Europe/Madrid"
            ),
            None,
        )
        .await;
    assert_eq!(madrid["time_zone"], "Europe/Madrid");
    assert_eq!(
        starts(&madrid),
        [
            "2026-03-08T18:00:00+01:00",
            "2026-03-08T19:00:00+01:00",
            "2026-03-08T20:00:00+01:00",
            "2026-03-08T21:00:00+01:00",
            "2026-03-08T22:00:00+01:00"
        ],
    );

    // Twenty visitors race for 13:00; exactly one gets it.
    let racers: Vec<_> = (0..20)
        .map(|i| {
            let (http, url, key) = (
                api.http.clone(),
                format!("{}/api/v1/calendars/{id}/bookings", api.base),
                api.key.clone(),
            );
            tokio::spawn(async move {
                let res = http
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"start": "2026-03-08T13:00:00-04:00", "name": format!("Visitante {i}"),
                                  "email": format!("v{i}@example.com"), "time_zone": "Europe/Madrid"}))
                    .send()
                    .await
                    .expect("post");
                let status = res.status().as_u16();
                (status, res.json::<Value>().await.unwrap_or(Value::Null))
            })
        })
        .collect();
    let mut created = Vec::new();
    let mut refused = 0;
    for r in racers {
        match r.await.expect("join") {
            (201, b) => created.push(b),
            (409, b) => {
                assert_eq!(b["error"]["code"], "slot_unavailable", "{b}");
                refused += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((created.len(), refused), (1, 19));
    assert_eq!(created[0]["status"], "booked");
    assert!(created[0]["contact_id"].is_string());

    let (_, after) = api
        .call(
            "GET",
            &format!("/api/v1/calendars/{id}/slots?from=2026-03-08&to=2026-03-08&time_zone=UTC"),
            None,
        )
        .await;
    assert_eq!(
        starts(&after).first().map(String::as_str),
        Some("2026-03-08T18:00:00+00:00")
    );

    // Reschedule into a taken time: nothing changes; into a free one: moved,
    // the old time free again; then cancel, and the .ics says CANCEL.
    let booking = created[0]["id"].as_str().expect("id").to_string();
    let (status, other_booking) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{id}/bookings"),
            Some(json!({"start": "2026-03-08T15:00:00-04:00", "name": "Eva", "email": "eva@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{other_booking}");
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{booking}/reschedule"),
            Some(json!({"start": "2026-03-08T15:00:00-04:00"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("slot_unavailable"))
    );
    let (status, moved) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{booking}/reschedule"),
            Some(json!({"start": "2026-03-08T16:00:00-04:00"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["reschedules"].as_i64(), moved["sequence"].as_i64()),
        (Some(1), Some(1))
    );
    let ics = api
        .http
        .get(format!(
            "{}/api/v1/appointments/{booking}/invite.ics",
            api.base
        ))
        .bearer_auth(&api.key)
        .send()
        .await
        .expect("ics");
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = ics.text().await.expect("text");
    assert!(
        text.contains("METHOD:REQUEST\r\n")
            && text.contains("DTSTART:20260308T200000Z\r\n")
            && text.contains("SEQUENCE:1\r\n"),
        "{text}"
    );
    let (status, cancelled) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{booking}/cancel"),
            None,
        )
        .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    let text = api
        .http
        .get(format!(
            "{}/api/v1/appointments/{booking}/invite.ics",
            api.base
        ))
        .bearer_auth(&api.key)
        .send()
        .await
        .expect("ics")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("METHOD:CANCEL\r\n") && text.contains("SEQUENCE:2\r\n"),
        "{text}"
    );
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{booking}/cancel"),
            None,
        )
        .await;
    assert_eq!(status, 409, "a cancelled booking cannot be cancelled again");
    let (status, rebooked) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{id}/bookings"),
            Some(json!({"start": "2026-03-08T16:00:00-04:00", "name": "Teo", "email": "teo@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "the cancelled time is free: {rebooked}");

    // PATCH changes what it names and keeps the rest.
    let (status, patched) = api
        .call(
            "PATCH",
            &format!("/api/v1/calendars/{id}"),
            Some(json!({"duration_minutes": 30})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(
        (
            patched["duration_minutes"].as_i64(),
            patched["slug"].as_str()
        ),
        (Some(30), Some("demo"))
    );
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/calendars/{id}"),
            Some(json!({"time_zone": "Nowhere/City"})),
        )
        .await;
    assert_eq!(status, 422);

    // Another workspace sees nothing of it.
    let other = Api {
        key: t.b.api_key.clone(),
        ..api
    };
    for (method, path) in [
        ("GET", format!("/api/v1/calendars/{id}")),
        (
            "GET",
            format!("/api/v1/calendars/{id}/slots?from=2026-03-08&to=2026-03-08"),
        ),
        ("DELETE", format!("/api/v1/calendars/{id}")),
    ] {
        assert_eq!(
            other.call(method, &path, None).await.0,
            404,
            "{method} {path}"
        );
    }
    let (status, _) = other
        .call(
            "POST",
            &format!("/api/v1/calendars/{id}/bookings"),
            Some(json!({"start": "2026-03-08T14:00:00-04:00", "name": "X", "email": "x@example.com"})),
        )
        .await;
    assert_eq!(status, 404);
    let api = Api {
        key: t.a.api_key.clone(),
        ..other
    };
    assert_eq!(
        api.call("DELETE", &format!("/api/v1/calendars/{id}"), None)
            .await
            .0,
        204
    );
}
