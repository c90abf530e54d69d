//! A malformed id in a path names nothing: pages answer the normal 404 page
//! and the JSON API its `not_found` error, never axum's 400 "Invalid URL"
//! text (`crate::extract::IdPath` / `ApiIdPath`).

use af_testkit::{PASSWORD, Via, cross_workspace_routes, two_workspaces};

/// `path` with its `n`-th UUID segment replaced by junk, or `None` when it
/// has fewer UUID segments.
fn spoil(path: &str, n: usize) -> Option<String> {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut seen = 0;
    let mut hit = false;
    let segments: Vec<&str> = path
        .split('/')
        .map(|s| {
            if uuid::Uuid::parse_str(s).is_ok() {
                seen += 1;
                if seen == n + 1 {
                    hit = true;
                    return "not-an-id";
                }
            }
            s
        })
        .collect();
    hit.then(|| {
        let p = segments.join("/");
        query.map_or(p.clone(), |q| format!("{p}?{q}"))
    })
}

#[tokio::test]
async fn a_malformed_id_in_a_path_answers_404() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    b.get("/dashboard").await;
    let http = t.app.http();
    let mut checked = 0;
    for route in cross_workspace_routes(&t.b) {
        for n in 0.. {
            let Some(path) = spoil(&route.path, n) else {
                break;
            };
            checked += 1;
            match route.via {
                Via::Page => {
                    let form: Vec<(&str, &str)> =
                        route.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let page = match route.method {
                        "GET" => b.get(&path).await,
                        _ => b.post(&path, &form).await,
                    };
                    assert_eq!(page.status, 404, "{} {path}: {}", route.method, page.body);
                    let html = page
                        .headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("text/html"));
                    assert!(html, "{} {path} answers the 404 page", route.method);
                    assert!(!page.body.contains("Invalid URL"), "{path}: {}", page.body);
                }
                Via::Api => {
                    let res = http
                        .request(route.method.parse().expect("method"), t.app.url(&path))
                        .bearer_auth(&t.a.api_key)
                        .json(&serde_json::json!({}))
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(res.status().as_u16(), 404, "{} {path}", route.method);
                    let body: serde_json::Value = res.json().await.expect("JSON body");
                    assert_eq!(
                        body["error"]["code"], "not_found",
                        "{} {path}: {body}",
                        route.method
                    );
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} id paths were checked");
}

#[tokio::test]
async fn a_malformed_form_id_answers_404_on_the_public_side() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    let page = b.get("/f/not-an-id").await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains("Invalid URL"));
    assert_eq!(b.get("/f/not-an-id/style.css").await.status, 404);
    let res = t
        .app
        .http()
        .get(t.app.url("/f/not-an-id/schema"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 404);
    let body: serde_json::Value = res.json().await.expect("JSON body");
    assert_eq!(body["ok"], false, "{body}");
}

#[test]
fn spoil_replaces_one_uuid_segment_at_a_time() {
    let a = "0192b3c4-0000-7000-8000-000000000001";
    let path = format!("/pipelines/{a}/stages/{a}/cards?x=1");
    assert_eq!(
        spoil(&path, 0).as_deref(),
        Some(format!("/pipelines/not-an-id/stages/{a}/cards?x=1").as_str())
    );
    assert_eq!(
        spoil(&path, 1).as_deref(),
        Some(format!("/pipelines/{a}/stages/not-an-id/cards?x=1").as_str())
    );
    assert_eq!(spoil(&path, 2), None);
}
