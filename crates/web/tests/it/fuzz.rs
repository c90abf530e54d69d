//! Every route of the router, fed hostile input: malformed JSON, wrong
//! types, huge and negative numbers, control characters in every string
//! and every path segment, signed in, with an API key and anonymously. Any
//! 5xx fails the test. The route list is read from the source
//! (`.route("...")` in `crates/web/src`), so a new route is fuzzed the day
//! it is added.
//!
//! Deterministic: the inputs are a fixed list, not random draws.

use af_testkit::{PASSWORD, TestApp, Via, cross_workspace_routes, csrf_from, two_workspaces};
use std::collections::BTreeSet;

/// Values put in place of each path parameter.
const HOSTILE_SEGMENTS: [&str; 10] = [
    "%00",
    "%0d%0aX-Injected:%201",
    "9223372036854775807",
    "-9223372036854775808",
    "%F0%9F%92%A9",
    "%C0%AE%FF",
    "..%2F..%2Fetc%2Fpasswd",
    "00000000-0000-0000-0000-000000000000",
    "%09%0b%7f",
    "a%20b%22%3C%3E",
];

/// Strings and numbers that have broken parsers and arithmetic elsewhere.
fn hostile_values() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!("\u{0}\r\n\u{b}\u{7f}\t"),
        json!("\u{202e}<script>alert(1)</script>"),
        json!("x".repeat(70_000)),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(-1),
        json!(1e308),
        json!(-1.5),
        json!(true),
        json!([]),
        json!({}),
        json!(null),
    ]
}

/// Field names the handlers read, across every area.
const FIELDS: [&str; 44] = [
    "email",
    "password",
    "name",
    "first_name",
    "last_name",
    "phone",
    "company",
    "source",
    "title",
    "value",
    "currency",
    "stage_id",
    "pipeline_id",
    "contact_id",
    "deal_id",
    "url",
    "event_types",
    "status",
    "definition",
    "steps",
    "trigger",
    "role",
    "next",
    "secret",
    "allow",
    "q",
    "limit",
    "cursor",
    "after",
    "before",
    "position",
    "body",
    "subject",
    "channel",
    "to",
    "tags",
    "tag",
    "custom",
    "fields",
    "offset_minutes",
    "delta",
    "key",
    "workspace_id",
    "dir",
];

/// Bodies sent to every method that takes one: (content type, bytes).
fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"1e99999".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0x00, 0x7b]),
        (
            "application/x-www-form-urlencoded",
            b"%zz=%zz&&==&a".to_vec(),
        ),
    ];
    for v in hostile_values() {
        let obj: serde_json::Map<String, serde_json::Value> =
            FIELDS.iter().map(|f| (f.to_string(), v.clone())).collect();
        out.push((
            "application/json",
            serde_json::Value::Object(obj).to_string().into_bytes(),
        ));
        let text = match &v {
            serde_json::Value::String(s) => s.chars().take(2000).collect(),
            other => other.to_string(),
        };
        let pairs: Vec<(&str, &str)> = FIELDS.iter().map(|f| (*f, text.as_str())).collect();
        out.push((
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(pairs)
                .unwrap_or_default()
                .into_bytes(),
        ));
    }
    out
}

/// Every path registered with `.route("...")` in the web crate's source.
fn route_paths() -> BTreeSet<String> {
    crate::source_routes::routes().into_keys().collect()
}

/// `path` with every `{param}` replaced by `value`.
fn fill(path: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let close = rest[i..].find('}').map_or(rest.len(), |j| i + j + 1);
        out.push_str(value);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Routes that would end the fuzzing session itself, or stream forever.
fn skipped(path: &str) -> bool {
    path == "/logout" || path.ends_with("/events") || path.contains("/api-keys/")
}

struct Fuzzer {
    app: TestApp,
    client: reqwest::Client,
    csrf: String,
    api_key: String,
    email: String,
    failures: Vec<String>,
    sent: usize,
}

impl Fuzzer {
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&(&'static str, Vec<u8>)>,
    ) -> u16 {
        let url = format!("{}{path}", self.app.base_url);
        let mut req = self
            .client
            .request(method.parse().expect("method"), &url)
            .header("origin", self.app.base_url.as_str())
            .header("x-csrf-token", self.csrf.as_str())
            .bearer_auth(&self.api_key)
            .timeout(std::time::Duration::from_secs(20));
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", *ct).body(bytes.clone());
        }
        self.sent += 1;
        match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                if status >= 500 {
                    let text = res.text().await.unwrap_or_default();
                    let what = body.map(|(ct, b)| {
                        format!("{ct} {:?}", String::from_utf8_lossy(&b[..b.len().min(120)]))
                    });
                    self.failures.push(format!(
                        "{method} {path} -> {status} (body {what:?}): {}",
                        text.chars().take(200).collect::<String>()
                    ));
                }
                status
            }
            // A URL reqwest itself refuses to send is not the server's fault.
            Err(e) if e.is_builder() => 0,
            Err(e) => {
                self.failures.push(format!("{method} {path}: {e}"));
                0
            }
        }
    }

    /// Signs in again if a fuzzed request ended the session (a password
    /// change, a role change, a workspace switch).
    async fn keep_signed_in(&mut self) {
        let res = self
            .client
            .get(format!("{}/dashboard", self.app.base_url))
            .send()
            .await
            .expect("dashboard");
        if res.status().as_u16() == 200 {
            return;
        }
        let b = af_testkit::Browser::new(&self.app.base_url);
        b.login(&self.email, PASSWORD).await;
        let page = b.get("/dashboard").await;
        self.client = b.client.clone();
        self.csrf = csrf_from(&page.body).unwrap_or_default();
    }
}

#[tokio::test]
async fn no_route_answers_5xx_to_hostile_input() {
    if std::env::var("AF_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
        // One backend is enough for input handling; CI runs this on SQLite.
        return;
    }
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let page = b.get("/dashboard").await;
    let mut f = Fuzzer {
        client: b.client.clone(),
        csrf: csrf_from(&page.body).unwrap_or_default(),
        api_key: t.a.api_key.clone(),
        email: t.a.owner_email.clone(),
        app: t.app,
        failures: vec![],
        sent: 0,
    };
    let bodies = bodies();
    let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    // 1. Real ids of the workspace, every hostile body.
    for route in cross_workspace_routes(&t.a) {
        if skipped(&route.path) || route.path.contains(&t.a.member_id.to_string()) {
            continue;
        }
        let method = match route.via {
            Via::Page if route.method != "GET" => "POST",
            _ => route.method,
        };
        if method == "GET" {
            f.send(
                "GET",
                &format!("{}?q=%00&limit=-1&cursor=%FF", route.path),
                None,
            )
            .await;
        } else {
            for body in &bodies {
                f.send(method, &route.path, Some(body)).await;
            }
        }
        f.keep_signed_in().await;
    }

    // 2. Every route, every method, hostile path segments and bodies.
    let paths = route_paths();
    assert!(paths.len() > 100, "the route list was read: {paths:?}");
    for path in &paths {
        if skipped(path) {
            continue;
        }
        let fills: Vec<String> = if path.contains('{') {
            HOSTILE_SEGMENTS.iter().map(|v| fill(path, v)).collect()
        } else {
            vec![
                path.clone(),
                format!("{path}?q=%00%0d%0a&limit=99999999999999999999&page=-1"),
            ]
        };
        for p in &fills {
            for method in methods {
                let status = f.send(method, p, None).await;
                if method != "GET" && status != 405 && status != 404 {
                    for body in bodies.iter().step_by(3) {
                        f.send(method, p, Some(body)).await;
                    }
                }
            }
        }
        f.keep_signed_in().await;
    }

    // 3. The public doors anonymously (no cookie, no key).
    f.client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    f.api_key = "af_not_a_key".into();
    for path in paths.iter().filter(|p| !skipped(p)) {
        let p = fill(path, "%00");
        for body in bodies.iter().step_by(2) {
            f.send("POST", &p, Some(body)).await;
        }
        f.send("GET", &p, None).await;
    }

    assert!(
        f.failures.is_empty(),
        "{} of {} requests failed:\n{}",
        f.failures.len(),
        f.sent,
        f.failures.join("\n")
    );
}
