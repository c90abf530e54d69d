//! Operational endpoints, security headers, assets and languages.

use af_testkit::{TestApp, tenant};
use tower::ServiceExt;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let http = app.http();
    assert_eq!(
        http.get(app.url("/healthz"))
            .send()
            .await
            .expect("req")
            .text()
            .await
            .expect("text"),
        "ok"
    );
    assert_eq!(
        http.get(app.url("/readyz"))
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        200
    );
    http.get(app.url("/login")).send().await.expect("req");
    let metrics = http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("req")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("http_requests_total") && metrics.contains("route=\"/login\""),
        "{metrics}"
    );
    assert!(metrics.contains("db_pool_connections"));
}

#[tokio::test]
async fn readyz_is_503_on_an_unmigrated_database() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let db = af_db::Db::connect(&url).await.expect("connect");
    let clock = std::sync::Arc::new(af_core::ManualClock::new(af_testkit::start_time()));
    let key = af_core::crypto::SecretKey::from_text(&"k".repeat(40)).expect("key");
    let state = af_web::AppState::new(db, clock, af_web::WebConfig::new("http://localhost"), key);
    let res = af_web::router(state)
        .oneshot(
            axum::http::Request::get("/readyz")
                .body(axum::body::Body::empty())
                .expect("req"),
        )
        .await
        .expect("response");
    assert_eq!(res.status().as_u16(), 503);
}

#[tokio::test]
async fn pages_carry_security_headers_and_hashed_assets() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/login").await;
    let csp = page
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("http"),
        "no third-party origins: {csp}"
    );
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"),
        "no inline styles or scripts: {csp}"
    );
    // The brand colour comes as a stylesheet of our own; anything but hex
    // is not one.
    let brand = app
        .http()
        .get(app.url("/brand/0f766e.css"))
        .send()
        .await
        .expect("brand");
    assert_eq!(brand.status().as_u16(), 200);
    assert_eq!(brand.text().await.expect("css"), ":root{--brand:#0f766e}");
    for bad in [
        "/brand/0f766e;}body{x.css",
        "/brand/zzzzzz.css",
        "/brand/0f766e",
    ] {
        let res = app.http().get(app.url(bad)).send().await.expect("brand");
        assert_eq!(res.status().as_u16(), 404, "{bad}");
    }
    assert_eq!(
        page.headers
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    let css = page
        .body
        .split("href=\"/assets/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("css link");
    let res = app
        .http()
        .get(app.url(&format!("/assets/{css}")))
        .send()
        .await
        .expect("asset");
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .expect("h")
            .contains("immutable")
    );
    assert_eq!(
        app.http()
            .get(app.url("/assets/dist/app.css"))
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        404,
        "only hashed names"
    );
}

#[tokio::test]
async fn public_pages_follow_accept_language_and_the_chosen_language() {
    let app = TestApp::spawn().await;
    let http = app.http();
    let en = http
        .get(app.url("/login"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("req");
    let body = en.text().await.expect("text");
    assert!(body.contains("Sign in") && body.contains("lang=\"en\""));
    let es = http
        .get(app.url("/login"))
        .header("accept-language", "fr-FR, es;q=0.5")
        .send()
        .await
        .expect("req");
    assert!(es.text().await.expect("text").contains("Iniciar sesión"));

    let b = app.browser();
    let chosen = b.get("/login?lang=en").await;
    assert!(chosen.contains("Sign in"));
    assert!(
        b.get("/login").await.contains("Sign in"),
        "the choice is remembered"
    );

    let missing = http
        .get(app.url("/nope"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("req");
    assert_eq!(missing.status().as_u16(), 404);
    assert!(missing.text().await.expect("text").contains("Not found"));
    let api_missing = http.get(app.url("/api/v1/nope")).send().await.expect("req");
    assert_eq!(api_missing.status().as_u16(), 404);
    let json: serde_json::Value = api_missing.json().await.expect("json");
    assert_eq!(json["error"]["code"], "not_found");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let _t = tenant(&app, "delta").await;
    let big = "x".repeat(af_web::MAX_BODY_BYTES + 10);
    let res = app
        .http()
        .post(app.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .expect("req");
    assert!(res.status().is_client_error(), "{}", res.status());
}
