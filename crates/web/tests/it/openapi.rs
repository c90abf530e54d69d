//! The OpenAPI document and its reference page (issue 21): the document and
//! the router list the same operations (read from the source, so a new
//! route without documentation fails here), the `/api/v1` contract is
//! frozen by a snapshot, every operation has an example, every text has its
//! Spanish, and `/api/docs` renders under the strict CSP.

use af_core::Locale;
use af_testkit::TestApp;
use af_web::api::openapi;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The routes other systems call, which the document must cover: the whole
/// `/api/` tree but the document itself, every vendor webhook, and the
/// JSON doors of forms and booking pages.
fn must_be_documented(method: &str, path: &str) -> bool {
    const PUBLIC_JSON: &[(&str, &str)] = &[
        ("POST", "/f/{id}"),
        ("GET", "/f/{id}/schema"),
        ("POST", "/book/{workspace}/{calendar}"),
        ("GET", "/book/{workspace}/{calendar}/schema"),
        ("GET", "/book/{workspace}/{calendar}/slots"),
    ];
    let own = ["/api/{*rest}", "/api/openapi.json", "/api/docs"];
    (path.starts_with("/api/") && !own.contains(&path))
        || path.starts_with("/webhooks/")
        || PUBLIC_JSON.contains(&(method, path))
}

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

#[test]
fn the_document_and_the_router_list_the_same_operations() {
    let doc = openapi::document(Locale::En);
    let documented = documented_operations(doc);
    let routed = crate::source_routes::operations();
    let undocumented: Vec<_> = routed
        .iter()
        .filter(|(m, p)| must_be_documented(m, p) && !documented.contains(&(m.clone(), p.clone())))
        .collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the OpenAPI document: {undocumented:#?}"
    );
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "documented operations no route serves: {unrouted:#?}"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_a_summary_and_examples() {
    let doc = openapi::document(Locale::En);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let at = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) if ids.insert(id.to_string()) => {}
                other => problems.push(format!("{at}: operationId {other:?} missing or repeated")),
            }
            if op["tags"].as_array().is_none_or(|t| t.is_empty()) {
                problems.push(format!("{at}: no tag"));
            }
            if op["summary"].as_str().is_none_or(str::is_empty) {
                problems.push(format!("{at}: no summary"));
            }
            if let Some(content) = op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
            {
                for (media, c) in content {
                    if c.get("example").is_none() && c.get("examples").is_none() {
                        problems.push(format!("{at}: request {media} has no example"));
                    }
                }
            }
            let responses = op["responses"].as_object().expect("responses");
            if !responses
                .keys()
                .any(|s| s.starts_with('2') || s.starts_with('3'))
            {
                problems.push(format!("{at}: no success response"));
            }
            for (status, r) in responses {
                for (media, c) in r
                    .get("content")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    if media.contains("json") && c.get("example").is_none() {
                        problems.push(format!("{at}: {status} {media} has no example"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_text_has_its_spanish() {
    let en = openapi::document(Locale::En);
    let missing = openapi::spanish::untranslated(en);
    assert!(
        missing.is_empty(),
        "texts without Spanish (add them to the module's SPANISH table): {missing:#?}"
    );
    let es = openapi::document(Locale::Es);
    assert_ne!(es["info"]["description"], en["info"]["description"]);
}

/// The `/api/v1` contract is frozen: a change to the document shows as a
/// diff of this file in review. `AF_UPDATE_SNAPSHOTS=1` rewrites it.
#[test]
fn the_document_matches_its_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.en.json");
    let now = serde_json::to_string_pretty(openapi::document(Locale::En)).expect("json") + "\n";
    if std::env::var_os("AF_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &now).expect("write snapshot");
        return;
    }
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    if before != now {
        let first = before
            .lines()
            .zip(now.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(before.lines().count().min(now.lines().count()));
        let show = |s: &str| {
            s.lines()
                .skip(first.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "the OpenAPI document changed at line {}: review the change and rerun with AF_UPDATE_SNAPSHOTS=1\n--- snapshot\n{}\n--- now\n{}",
            first + 1,
            show(&before),
            show(&now)
        );
    }
}

#[tokio::test]
async fn the_document_and_the_reference_page_are_served_without_a_key() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let res = client
        .get(app.url("/api/openapi.json?lang=en"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/json")
    );
    let doc: Value = res.json().await.expect("json");
    assert_eq!(&doc, openapi::document(Locale::En));
    let es: Value = client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(&es, openapi::document(Locale::Es));

    for (lang, heading) in [("es", "Referencia de la API"), ("en", "API reference")] {
        let res = client
            .get(app.url(&format!("/api/docs?lang={lang}")))
            .send()
            .await
            .expect("GET");
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .to_string();
        for directive in csp.split(';') {
            let d = directive.trim();
            if d.starts_with("script-src") || d.starts_with("style-src") {
                assert!(!d.contains("unsafe-inline"), "{csp}");
            }
        }
        let html = res.text().await.expect("html");
        assert!(html.contains(heading), "{lang}");
        assert!(!html.contains(" style=\""), "no inline style");
        assert!(!html.contains("<script>"), "no inline script");
        // Every operation is on the page, with its cURL at this server.
        let ops = documented_operations(&doc).len();
        assert_eq!(html.matches("data-testid=\"api-operation\"").count(), ops);
        assert!(
            html.contains(&format!(
                "curl -X GET &quot;{}/api/v1/contacts",
                app.base_url
            )) || html.contains(&format!(
                "curl -X GET &#34;{}/api/v1/contacts",
                app.base_url
            ))
        );
    }
}
