//! What every API-key request shares (issue 21): `Idempotency-Key` on
//! creates (the same key and body answer once within 24 hours; another
//! body is refused) and the per-key rate limit, counted in the database so
//! two server processes on one database agree.

use af_db::with_pool;
use af_testkit::{TestApp, tenant};
use jiff::SignedDuration;
use serde_json::{Value, json};

async fn post(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    idem: Option<&str>,
    path: &str,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = http
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(body);
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let res = req.send().await.expect("POST");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

async fn contacts_named(app: &TestApp, email: &str) -> i64 {
    with_pool!(&app.db, p => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM contacts WHERE email = $1")
            .bind(email).fetch_one(p).await.expect("count")
    })
}

#[tokio::test]
async fn an_idempotency_key_answers_once_and_refuses_another_body() {
    let app = TestApp::spawn().await;
    let t = tenant(&app, "alpha").await;
    let http = app.http();
    let base = &app.base_url;
    let ana = json!({"first_name": "Ana", "email": "ana.idem@example.com"});

    let (s1, h1, first) = post(
        &http,
        base,
        &t.api_key,
        Some("lead-42"),
        "/api/v1/contacts",
        &ana,
    )
    .await;
    assert_eq!(s1, 201, "{first}");
    assert!(h1.get("idempotent-replayed").is_none());
    // The retry gets the first answer, and nothing is created twice.
    let (s2, h2, again) = post(
        &http,
        base,
        &t.api_key,
        Some("lead-42"),
        "/api/v1/contacts",
        &ana,
    )
    .await;
    assert_eq!(s2, 201);
    assert_eq!(again, first);
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(contacts_named(&app, "ana.idem@example.com").await, 1);

    // The same key with another body is refused and changes nothing.
    let other = json!({"first_name": "Bea", "email": "bea.idem@example.com"});
    let (s3, _, refused) = post(
        &http,
        base,
        &t.api_key,
        Some("lead-42"),
        "/api/v1/contacts",
        &other,
    )
    .await;
    assert_eq!(s3, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid");
    assert!(refused["error"]["fields"]["Idempotency-Key"].is_string());
    assert_eq!(contacts_named(&app, "bea.idem@example.com").await, 0);

    // A refusal is an answer too: kept and replayed.
    let bad = json!({"email": "not an email"});
    let (s4, _, b1) = post(
        &http,
        base,
        &t.api_key,
        Some("bad-1"),
        "/api/v1/contacts",
        &bad,
    )
    .await;
    let (s5, h5, b2) = post(
        &http,
        base,
        &t.api_key,
        Some("bad-1"),
        "/api/v1/contacts",
        &bad,
    )
    .await;
    assert_eq!((s4, s5), (422, 422));
    assert_eq!(b1, b2);
    assert_eq!(h5["idempotent-replayed"], "true");

    // Keys are the workspace's own: another workspace may use the same one.
    let u = tenant(&app, "bravo").await;
    let (s6, _, theirs) = post(
        &http,
        base,
        &u.api_key,
        Some("lead-42"),
        "/api/v1/contacts",
        &json!({"first_name": "Cy", "email": "cy.idem@example.com"}),
    )
    .await;
    assert_eq!(s6, 201, "{theirs}");

    // A key that is not 1–255 visible ASCII characters is a 400.
    let long = "k".repeat(256);
    let (s7, _, e7) = post(
        &http,
        base,
        &t.api_key,
        Some(&long),
        "/api/v1/contacts",
        &ana,
    )
    .await;
    assert_eq!(s7, 400, "{e7}");

    // After 24 hours the key is free again.
    app.clock.advance(SignedDuration::from_hours(25));
    let (s8, h8, _) = post(
        &http,
        base,
        &t.api_key,
        Some("lead-42"),
        "/api/v1/contacts",
        &other,
    )
    .await;
    assert_eq!(s8, 201);
    assert!(h8.get("idempotent-replayed").is_none());
    assert_eq!(contacts_named(&app, "bea.idem@example.com").await, 1);
}

#[tokio::test]
async fn a_keys_rate_limit_is_shared_by_two_server_processes() {
    let app = TestApp::spawn_with(|c| c.api_requests_per_minute = 5).await;
    let t = tenant(&app, "alpha").await;
    let other = tenant(&app, "bravo").await;
    let node2 = app.second_node().await;
    let http = app.http();
    let get = |base: String, key: String| {
        let http = http.clone();
        async move {
            let res = http
                .get(format!("{base}/api/v1/workspace"))
                .bearer_auth(key)
                .send()
                .await
                .expect("GET");
            let h = res.headers().clone();
            let status = res.status().as_u16();
            (status, h, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Five requests alternate between the two processes; each tells what
    // is left of the one shared budget.
    for (i, base) in [
        &app.base_url,
        &node2.base_url,
        &app.base_url,
        &node2.base_url,
        &app.base_url,
    ]
    .into_iter()
    .enumerate()
    {
        let (status, h, _) = get(base.clone(), t.api_key.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(h["ratelimit-limit"], "5");
        assert_eq!(h["ratelimit-remaining"], (4 - i).to_string().as_str());
        assert!(h.contains_key("ratelimit-reset"));
    }
    let (status, h, body) = get(node2.base_url.clone(), t.api_key.clone()).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    let retry: i64 = h["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&retry));
    // Another key has its own budget.
    let (status, _, _) = get(app.base_url.clone(), other.api_key.clone()).await;
    assert_eq!(status, 200);
    // The next minute starts afresh.
    app.clock.advance(SignedDuration::from_secs(retry));
    let (status, _, _) = get(node2.base_url.clone(), t.api_key.clone()).await;
    assert_eq!(status, 200);
}
