//! The change feed (`GET /api/v1/events`, issue 21): oldest first, resumed
//! by cursor with nothing missed or repeated, filtered by kind or instant,
//! the workspace's own events only.

use af_testkit::{Api, TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect()
}

#[tokio::test]
async fn the_feed_pages_oldest_first_filters_and_stays_in_its_workspace() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "alpha").await;
    let other = tenant(&app, "bravo").await;
    let api = Api::of(&app, &t);
    let theirs = Api::of(&app, &other);

    // Everything before now, then three contacts a minute apart.
    let (_, before) = api.call("GET", "/api/v1/events?limit=500", None).await;
    let start = before["next_cursor"].as_str().map(str::to_string);
    let mut names = Vec::new();
    for name in ["Ana", "Bea", "Cy"] {
        app.clock.advance(SignedDuration::from_secs(60));
        let (s, c) = api
            .call(
                "POST",
                "/api/v1/contacts",
                Some(json!({"first_name": name, "email": format!("{name}@feed.example")})),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        names.push(c["id"].as_str().expect("id").to_string());
    }
    let from = start.map(|c| format!("&cursor={c}")).unwrap_or_default();
    let (s, p1) = api
        .call(
            "GET",
            &format!("/api/v1/events?kind=contact.created&limit=2{from}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{p1}");
    assert_eq!(p1["data"].as_array().map(Vec::len), Some(2), "{p1}");
    assert_eq!(p1["data"][0]["entity_id"], names[0].as_str());
    assert_eq!(p1["data"][1]["entity_id"], names[1].as_str());
    let cursor = p1["next_cursor"].as_str().expect("cursor");
    let (_, p2) = api
        .call(
            "GET",
            &format!("/api/v1/events?kind=contact.created&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(p2["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(p2["data"][0]["entity_id"], names[2].as_str());
    // Up to date: an empty page without a cursor; the last one still works.
    let last = p2["next_cursor"].as_str().expect("cursor");
    let (_, p3) = api
        .call(
            "GET",
            &format!("/api/v1/events?kind=contact.created&cursor={last}"),
            None,
        )
        .await;
    assert_eq!(ids(&p3), Vec::<String>::new());
    assert!(p3["next_cursor"].is_null());

    // `since` skips what came before; `kind` filters.
    let since = p1["data"][1]["occurred_at"].as_str().expect("at");
    let (_, s1) = api
        .call(
            "GET",
            &format!("/api/v1/events?kind=contact.created&since={since}"),
            None,
        )
        .await;
    assert_eq!(s1["data"].as_array().map(Vec::len), Some(1));
    assert!(
        s1["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|e| e["kind"] == "contact.created")
    );

    // Another workspace's feed has none of them.
    let (_, mine_elsewhere) = theirs.call("GET", "/api/v1/events?limit=500", None).await;
    let seen: Vec<Value> = mine_elsewhere["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        seen.iter()
            .all(|e| !names.contains(&e["entity_id"].as_str().unwrap_or_default().to_string()))
    );

    // Bad input is a 422 naming the parameter.
    for (q, field) in [
        ("since=yesterday", "since"),
        ("cursor=abc", "cursor"),
        ("limit=0", "limit"),
    ] {
        let (s, e) = api.call("GET", &format!("/api/v1/events?{q}"), None).await;
        assert_eq!(s, 422, "{q}: {e}");
        assert!(e["error"]["fields"][field].is_string(), "{q}: {e}");
    }
}
