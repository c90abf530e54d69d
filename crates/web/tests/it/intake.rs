//! Lead capture and intake (issue 7) on the backend chosen by
//! `AF_TEST_BACKEND`: the PAUTA `/api/lead`, intake keys, forms (API,
//! hosted page, JSON/embed submissions), every spam defence, and the
//! Cal.com webhook with the official fixture and signature vector.

use af_core::crypto::SecretKey;
use af_db::api_keys::KeyScope;
use af_testkit::{Tenant, TestApp, tenant, two_workspaces};
use jiff::SignedDuration;
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("../fixtures/calcom_booking_created.json");
const VECTOR: &str = include_str!("../fixtures/calcom_signature_vector.json");

/// The PAUTA seed's cURL body, verbatim.
const PAUTA_SEED: &str = r#"{
    "nombre": "Ana Test",
    "email": "ana.test@example.com",
    "telefono": "8112345678",
    "empresa": "Demo SA",
    "servicio": "Consultoría IA",
    "fuente": "Landing 1"
  }"#;

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app
        .http()
        .request(method.parse().expect("method"), app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let h = res.headers().clone();
    (status, h, res.text().await.expect("body"))
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or(Value::Null)
}

async fn post_json(app: &TestApp, path: &str, key: Option<&str>, body: &str) -> (u16, Value) {
    let auth = key.map(|k| format!("Bearer {k}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    let (s, _, b) = send(app, "POST", path, &headers, Some(body.as_bytes().to_vec())).await;
    (s, parse(&b))
}

async fn api_get(app: &TestApp, key: &str, path: &str) -> (u16, Value) {
    let auth = format!("Bearer {key}");
    let (s, _, b) = send(app, "GET", path, &[("authorization", &auth)], None).await;
    (s, parse(&b))
}

async fn intake_key(app: &TestApp, t: &Tenant) -> String {
    af_service::provision::create_scoped_api_key(
        &app.db,
        &t.ws,
        "landing",
        KeyScope::Intake,
        app.now(),
    )
    .await
    .expect("intake key")
    .key
}

async fn events(app: &TestApp, t: &Tenant, kind: &str) -> Vec<Value> {
    af_db::events::list_events(&app.db, t.ws.id, 1000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| {
            let mut v = parse(&e.data);
            v["_entity_type"] = json!(e.entity_type);
            v["_entity_id"] = json!(e.entity_id);
            v
        })
        .collect()
}

// ------------------------------------------------------------------ PAUTA

#[tokio::test]
async fn pauta_seed_example_works_with_the_key_and_upserts_like_the_api() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let (status, body) = post_json(app, "/api/lead", Some(&a.api_key), PAUTA_SEED).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["ok"], true);
    let lead_id = body["lead_id"].as_i64().expect("numeric lead_id");
    assert!(lead_id >= 1);
    let contact_id = body["contact_id"].as_str().expect("contact id").to_string();

    let (s, c) = api_get(app, &a.api_key, &format!("/api/v1/contacts/{contact_id}")).await;
    assert_eq!(s, 200);
    assert_eq!(c["first_name"], "Ana");
    assert_eq!(c["last_name"], "Test");
    assert_eq!(c["email"], "ana.test@example.com");
    assert_eq!(c["phone"], "+528112345678");
    assert_eq!(c["company"], "Demo SA");
    assert_eq!(c["source"], "Landing 1");
    assert_eq!(c["custom"]["servicio"], "Consultoría IA");

    // A deal in the default pipeline's first stage.
    let (_, deals) = api_get(
        app,
        &a.api_key,
        &format!("/api/v1/deals?contact_id={contact_id}"),
    )
    .await;
    let list = deals["data"].as_array().cloned().unwrap_or_default();
    assert!(
        list.iter().any(|d| d["contact_id"] == json!(contact_id)),
        "{deals}"
    );

    // The same lead again: same contact, a new lead number, no twin deal.
    let (status, again) = post_json(app, "/api/lead", Some(&a.api_key), PAUTA_SEED).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["contact_id"], json!(contact_id));
    assert!(again["lead_id"].as_i64().expect("n") > lead_id);
    assert_eq!(again["deal_id"], body["deal_id"]);

    // The same person through the contacts API: the same contact.
    let (s, c2) = post_json(
        app,
        "/api/v1/contacts",
        Some(&a.api_key),
        r#"{"email": "ANA.TEST@example.com", "phone": "8112345678"}"#,
    )
    .await;
    assert_eq!(s, 200, "{c2}");
    assert_eq!(c2["id"], json!(contact_id));

    // The other workspace saw nothing.
    let (_, list_b) = api_get(app, &t.b.api_key, "/api/v1/contacts?q=ana.test").await;
    assert_eq!(list_b["data"].as_array().map(Vec::len), Some(0));
    // contact.created fired once, marked as coming from the lead API.
    let created: Vec<Value> = events(app, a, "contact.created")
        .await
        .into_iter()
        .filter(|e| e["_entity_id"] == json!(contact_id))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["via"], "api_lead");
}

#[tokio::test]
async fn pauta_bad_input_is_a_4xx_naming_the_field_never_a_500() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let key = Some(a.api_key.as_str());
    let cases: Vec<(&str, u16, &str)> = vec![
        (
            r#"{"nombre": "Ana", "email": "no-es-correo"}"#,
            422,
            "email",
        ),
        (r#"{"nombre": "Ana", "telefono": "12"}"#, 422, "telefono"),
        (r#"{"empresa": "Solo empresa"}"#, 422, "nombre"),
        (r#"{}"#, 422, "nombre"),
        (r#"{"nombre": {"first": "Ana"}}"#, 422, "nombre"),
        (r#"{"nombre": "Ana", "telefono": [1, 2]}"#, 422, "telefono"),
        (r#"["nombre", "Ana"]"#, 400, "body"),
        (r#"{"nombre": "Ana""#, 400, "body"),
        ("", 400, "body"),
        ("\u{0}\u{1}garbage", 400, "body"),
    ];
    for (body, want, field) in cases {
        let (status, v) = post_json(&app, "/api/lead", key, body).await;
        assert_eq!(status, want, "{body} → {v}");
        assert_eq!(v["ok"], false, "{body} → {v}");
        let err = v["error"].as_str().unwrap_or_default();
        assert!(
            err.starts_with(field),
            "{body} → error {err:?} should name {field}"
        );
    }
    // Too big.
    let huge = format!(r#"{{"nombre": "{}"}}"#, "a".repeat(70 * 1024));
    let (status, v) = post_json(&app, "/api/lead", key, &huge).await;
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["ok"], false);
    // No key, or a wrong one.
    let (status, v) = post_json(&app, "/api/lead", None, PAUTA_SEED).await;
    assert_eq!((status, v["ok"].clone()), (401, json!(false)));
    let (status, v) = post_json(&app, "/api/lead", Some("af_nope"), PAUTA_SEED).await;
    assert_eq!((status, v["ok"].clone()), (401, json!(false)));
    // Numbers are accepted where PAUTA clients send them.
    let (status, v) = post_json(
        &app,
        "/api/lead",
        key,
        r#"{"nombre": "Num Ero", "telefono": 8112345679}"#,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    assert!(
        af_db::forms::list_submissions(&app.db, a.ws.id, af_core::FormId::new(), 10)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn an_intake_key_only_creates_leads() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let key = intake_key(&app, &a).await;
    // ?key= and X-Api-Key both work for /api/lead.
    let (s, _, b) = send(
        &app,
        "POST",
        &format!("/api/lead?key={key}"),
        &[("content-type", "application/json")],
        Some(PAUTA_SEED.as_bytes().to_vec()),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (s, _, b) = send(
        &app,
        "POST",
        "/api/lead",
        &[("content-type", "application/json"), ("x-api-key", &key)],
        Some(br#"{"nombre": "Otro Lead", "email": "otro@example.com"}"#.to_vec()),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // Everything else refuses it.
    for (method, path) in [
        ("GET", "/api/v1/contacts".to_string()),
        ("GET", "/api/v1/forms".to_string()),
        ("GET", format!("/api/v1/contacts/{}", a.contact_id)),
        ("GET", "/api/v1/appointments".to_string()),
        ("GET", "/api/v1/workspace".to_string()),
    ] {
        let auth = format!("Bearer {key}");
        let (s, _, b) = send(&app, method, &path, &[("authorization", &auth)], None).await;
        assert_eq!(s, 403, "{method} {path}: {b}");
    }
    let (s, v) = post_json(
        &app,
        "/api/v1/contacts",
        Some(&key),
        r#"{"email": "x@example.com"}"#,
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = post_json(
        &app,
        "/api/v1/forms",
        Some(&key),
        r#"{"name": "x", "fields": []}"#,
    )
    .await;
    assert_eq!(s, 403, "{v}");
}

#[tokio::test]
async fn intake_key_submissions_are_rate_limited_per_ip_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.intake_max_per_ip = 2;
        c.intake_window_secs = 600;
    })
    .await;
    let a = tenant(&app, "alpha").await;
    let key = intake_key(&app, &a).await;
    for i in 0..2 {
        let body = format!(r#"{{"nombre": "Lead {i}", "email": "l{i}@example.com"}}"#);
        let (s, v) = post_json(&app, "/api/lead", Some(&key), &body).await;
        assert_eq!(s, 201, "{v}");
    }
    let auth = format!("Bearer {key}");
    let (s, h, b) = send(
        &app,
        "POST",
        "/api/lead",
        &[
            ("content-type", "application/json"),
            ("authorization", &auth),
        ],
        Some(br#"{"nombre": "Lead 3", "email": "l3@example.com"}"#.to_vec()),
    )
    .await;
    assert_eq!(s, 429, "{b}");
    assert_eq!(parse(&b)["ok"], false);
    let retry: u64 = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=600).contains(&retry), "{retry}");
    // A full key is not limited, and the next window lets the key in again.
    let (s, v) = post_json(
        &app,
        "/api/lead",
        Some(&a.api_key),
        r#"{"nombre": "Server", "email": "srv@example.com"}"#,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    app.clock.advance(SignedDuration::from_secs(retry as i64));
    let (s, v) = post_json(
        &app,
        "/api/lead",
        Some(&key),
        r#"{"nombre": "Lead 3", "email": "l3@example.com"}"#,
    )
    .await;
    assert_eq!(s, 201, "{v}");
}

// ------------------------------------------------------------------ forms

async fn create_form(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let (s, v) = post_json(app, "/api/v1/forms", Some(&t.api_key), &body.to_string()).await;
    assert_eq!(s, 201, "{v}");
    v
}

fn contract_form(stage: &str) -> Value {
    json!({
        "name": "Landing primavera",
        "fields": [
            {"name": "name", "type": "text", "label": "Nombre", "required": true},
            {"name": "email", "type": "email", "label": "Correo", "required": true},
            {"name": "phone", "type": "phone", "label": "Teléfono", "required": false},
            {"name": "servicio", "type": "select", "label": "Servicio", "required": false, "options": ["SEO", "Ads"]},
            {"name": "mensaje", "type": "textarea", "label": "Mensaje", "required": false},
            {"name": "acepto", "type": "checkbox", "label": "Quiero novedades", "required": false},
            {"name": "campana", "type": "hidden", "label": "", "required": false, "value": "primavera"}
        ],
        "stage_id": stage,
        "tags": ["web", "primavera"]
    })
}

/// The fill-time token of the hosted page.
fn token_of(html: &str) -> String {
    let marker = "name=\"_t\" value=\"";
    let i = html.find(marker).expect("token input") + marker.len();
    html[i..i + html[i..].find('"').expect("end")].to_string()
}

async fn fresh_token(app: &TestApp, form_id: &str) -> String {
    let (s, _, html) = send(app, "GET", &format!("/f/{form_id}"), &[], None).await;
    assert_eq!(s, 200, "{html}");
    let tok = token_of(&html);
    app.clock.advance(SignedDuration::from_secs(5));
    tok
}

async fn post_form(app: &TestApp, form_id: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let body = serde_urlencoded::to_string(fields).expect("encode");
    let (s, _, b) = send(
        app,
        "POST",
        &format!("/f/{form_id}"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(body.into_bytes()),
    )
    .await;
    (s, b)
}

#[tokio::test]
async fn forms_api_creates_lists_updates_and_deletes() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let stage2 = a.ids["board.stage2"].clone();
    let form = create_form(app, a, contract_form(&stage2)).await;
    let id = form["id"].as_str().expect("id").to_string();
    assert_eq!(form["stage_id"], json!(stage2));
    assert_eq!(form["fields"].as_array().map(Vec::len), Some(7));
    assert!(
        form["embed"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("data-af-form=\"{id}\""))
    );

    let (s, list) = api_get(app, &a.api_key, "/api/v1/forms").await;
    assert_eq!(s, 200);
    assert!(
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|f| f["id"] == json!(id))
    );
    let (s, one) = api_get(app, &a.api_key, &format!("/api/v1/forms/{id}")).await;
    assert_eq!((s, one["name"].clone()), (200, json!("Landing primavera")));

    // Invalid definitions name their field.
    for (bad, field) in [
        (
            json!({"name": "", "fields": [{"name": "email", "type": "email", "label": "x", "required": true}]}),
            "name",
        ),
        (json!({"name": "x", "fields": []}), "fields"),
        (
            json!({"name": "x", "fields": [{"name": "Bad Name", "type": "text", "label": "x", "required": false}]}),
            "fields[0].name",
        ),
        (
            json!({"name": "x", "fields": [{"name": "a", "type": "file", "label": "x", "required": false}]}),
            "fields[0].type",
        ),
        (
            json!({"name": "x", "fields": [{"name": "a", "type": "select", "label": "x", "required": false}]}),
            "fields[0].options",
        ),
        (
            json!({"name": "x", "fields": [{"name": "a", "type": "text", "label": "x", "required": false}], "redirect_url": "javascript:alert(1)"}),
            "redirect_url",
        ),
        (
            json!({"name": "x", "fields": [{"name": "a", "type": "text", "label": "x", "required": false}], "styling": {"primary_color": "red;}</style>"}}),
            "styling.primary_color",
        ),
    ] {
        let (s, v) = post_json(app, "/api/v1/forms", Some(&a.api_key), &bad.to_string()).await;
        assert_eq!(s, 422, "{bad} → {v}");
        assert!(v["error"]["fields"].get(field).is_some(), "{bad} → {v}");
    }
    // A stage of another workspace is refused.
    let mut foreign = contract_form(&t.b.stage_id.to_string());
    foreign["name"] = json!("foreign");
    let (s, v) = post_json(app, "/api/v1/forms", Some(&a.api_key), &foreign.to_string()).await;
    assert_eq!(s, 422, "{v}");

    // PUT replaces.
    let mut changed = contract_form(&stage2);
    changed["name"] = json!("Landing verano");
    changed["active"] = json!(false);
    let auth = format!("Bearer {}", a.api_key);
    let (s, _, b) = send(
        app,
        "PUT",
        &format!("/api/v1/forms/{id}"),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        Some(changed.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(parse(&b)["name"], "Landing verano");
    // An inactive form is not served.
    let (s, _, _) = send(app, "GET", &format!("/f/{id}"), &[], None).await;
    assert_eq!(s, 404);

    let (s, _, _) = send(
        app,
        "DELETE",
        &format!("/api/v1/forms/{id}"),
        &[("authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _) = api_get(app, &a.api_key, &format!("/api/v1/forms/{id}")).await;
    assert_eq!(s, 404);
    assert!(!events(app, a, "form.created").await.is_empty());
}

#[tokio::test]
async fn hosted_form_submission_makes_contact_deal_tags_attribution_and_events() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let stage2 = a.ids["board.stage2"].clone();
    let form = create_form(app, a, contract_form(&stage2)).await;
    let id = form["id"].as_str().expect("id").to_string();

    let (s, _, html) = send(
        app,
        "GET",
        &format!("/f/{id}?utm_source=google&utm_campaign=x"),
        &[],
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        html.contains("name=\"utm_source\" value=\"google\""),
        "{html}"
    );
    let token = token_of(&html);
    app.clock.advance(SignedDuration::from_secs(5));
    let (s, body) = post_form(
        app,
        &id,
        &[
            ("_t", &token),
            ("_hp", ""),
            ("utm_source", "google"),
            ("utm_campaign", "x"),
            ("landing_page", "https://example.com/landing"),
            ("name", "María López"),
            ("email", "maria@example.com"),
            ("phone", "55 1234 5678"),
            ("servicio", "SEO"),
            ("mensaje", "Hola,\nquiero info"),
            ("acepto", "on"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("data-testid=\"form-success\""), "{body}");

    let (_, found) = api_get(app, &a.api_key, "/api/v1/contacts?q=maria@example.com").await;
    let cid = found["data"][0]["id"]
        .as_str()
        .expect("contact")
        .to_string();
    let (_, c) = api_get(app, &a.api_key, &format!("/api/v1/contacts/{cid}")).await;
    assert_eq!(c["first_name"], "María");
    assert_eq!(c["phone"], "+525512345678");
    assert_eq!(c["attribution"]["first"]["utm_source"], "google");
    assert_eq!(c["attribution"]["first"]["utm_campaign"], "x");
    assert_eq!(
        c["attribution"]["first"]["landing_page"],
        "https://example.com/landing"
    );
    let mut tags: Vec<String> = serde_json::from_value(c["tags"].clone()).expect("tags");
    tags.sort();
    assert_eq!(tags, vec!["primavera", "web"]);

    let (_, deals) = api_get(app, &a.api_key, &format!("/api/v1/deals?contact_id={cid}")).await;
    let deal = deals["data"]
        .as_array()
        .expect("deals")
        .iter()
        .find(|d| d["contact_id"] == json!(cid))
        .cloned()
        .expect("a deal");
    assert_eq!(deal["stage_id"], json!(stage2));

    let submitted = events(app, a, "form.submitted").await;
    assert_eq!(submitted.len(), 1);
    let e = &submitted[0];
    assert_eq!(e["_entity_type"], "contact");
    assert_eq!(e["_entity_id"], json!(cid));
    assert_eq!(e["contact_id"], json!(cid));
    assert_eq!(e["form_id"], json!(id));
    assert_eq!(e["form_name"], "Landing primavera");
    assert_eq!(e["deal_id"], deal["id"]);
    assert!(e["submission_id"].is_string());
    assert_eq!(e["fields"]["servicio"], "SEO");
    assert_eq!(e["fields"]["acepto"], true);
    assert_eq!(e["fields"]["campana"], "primavera");
    let created: Vec<Value> = events(app, a, "contact.created")
        .await
        .into_iter()
        .filter(|e| e["_entity_id"] == json!(cid))
        .collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["form_id"], json!(id));

    // Again, from another campaign: same contact, first touch kept, last
    // touch updated, no second deal, a second submission.
    let token = fresh_token(app, &id).await;
    let (s, body) = post_form(
        app,
        &id,
        &[
            ("_t", &token),
            ("utm_source", "facebook"),
            ("utm_campaign", "y"),
            ("name", "María López"),
            ("email", "MARIA@example.com"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (_, c) = api_get(app, &a.api_key, &format!("/api/v1/contacts/{cid}")).await;
    assert_eq!(c["attribution"]["first"]["utm_source"], "google");
    assert_eq!(c["attribution"]["last"]["utm_source"], "facebook");
    let (_, deals) = api_get(app, &a.api_key, &format!("/api/v1/deals?contact_id={cid}")).await;
    let mine = deals["data"]
        .as_array()
        .expect("deals")
        .iter()
        .filter(|d| d["contact_id"] == json!(cid))
        .count();
    assert_eq!(mine, 1);
    let (_, subs) = api_get(app, &a.api_key, &format!("/api/v1/forms/{id}/submissions")).await;
    let subs = subs["data"].as_array().cloned().expect("subs");
    assert_eq!(subs.len(), 2);
    assert_eq!(subs[1]["attribution"]["utm_source"], "google");
    assert_eq!(subs[0]["data"]["email"], "MARIA@example.com");
    assert_eq!(events(app, a, "form.submitted").await.len(), 2);
}

#[tokio::test]
async fn json_submissions_schema_cors_preflight_and_embed_js() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let form = create_form(&app, &a, contract_form(&a.stage_id.to_string())).await;
    let id = form["id"].as_str().expect("id").to_string();

    let (s, h, b) = send(&app, "GET", "/embed.js", &[], None).await;
    assert_eq!(s, 200);
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["content-type"]
            .to_str()
            .unwrap_or_default()
            .contains("javascript")
    );
    assert!(
        h["cache-control"]
            .to_str()
            .unwrap_or_default()
            .contains("max-age")
    );
    assert!(
        // Forms and the booking widget (data-af-calendar), unminified.
        b.contains("attachShadow") && b.contains("data-af-calendar") && b.len() < 40_000,
        "embed.js is {} bytes",
        b.len()
    );

    let (s, h, b) = send(&app, "GET", &format!("/f/{id}/schema?lang=en"), &[], None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(h["access-control-allow-origin"], "*");
    let schema = parse(&b);
    assert_eq!(schema["fields"][1]["type"], "email");
    assert_eq!(
        schema["texts"]["invalid_email"],
        "Enter a valid email address."
    );
    let token = schema["token"].as_str().expect("token").to_string();

    let (s, h, _) = send(
        &app,
        "OPTIONS",
        &format!("/f/{id}"),
        &[
            ("origin", "http://landing.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
        None,
    )
    .await;
    assert!(s == 204 || s == 200, "{s}");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap_or_default()
            .contains("content-type")
    );

    app.clock.advance(SignedDuration::from_secs(4));
    let body = json!({
        "_t": token, "_hp": "", "name": "Eve Json", "email": "eve@example.com", "acepto": true,
        "utm_source": "google", "utm_campaign": "x", "referrer": "https://www.google.com/",
        "landing_page": "http://landing.example/?utm_source=google&utm_campaign=x"
    });
    let (s, h, b) = send(
        &app,
        "POST",
        &format!("/f/{id}"),
        &[
            ("content-type", "application/json"),
            ("origin", "http://landing.example"),
        ],
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(h["access-control-allow-origin"], "*");
    assert_eq!(parse(&b)["ok"], true);
    let (_, found) = api_get(&app, &a.api_key, "/api/v1/contacts?q=eve@example.com").await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));

    // Validation errors name the fields, in the visitor's language.
    let token = fresh_token(&app, &id).await;
    let bad = json!({"_t": token, "name": "", "email": "nope", "servicio": "Otro", "mensaje": "x".repeat(6000)});
    let (s, _, b) = send(
        &app,
        "POST",
        &format!("/f/{id}?lang=en"),
        &[("content-type", "application/json")],
        Some(bad.to_string().into_bytes()),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let v = parse(&b);
    assert_eq!(v["ok"], false);
    assert_eq!(v["fields"]["email"], "Enter a valid email address.");
    assert_eq!(v["fields"]["name"], "This field is required.");
    assert_eq!(v["fields"]["servicio"], "Choose one of the options.");
    assert_eq!(v["fields"]["mensaje"], "The text is too long.");
    // Nested values and junk are a 400, not a 500.
    for junk in [r#"{"name": {"a": 1}}"#, "not json", "[1,2]"] {
        let (s, _, b) = send(
            &app,
            "POST",
            &format!("/f/{id}"),
            &[("content-type", "application/json")],
            Some(junk.as_bytes().to_vec()),
        )
        .await;
        assert_eq!(s, 400, "{junk} → {b}");
        assert_eq!(parse(&b)["ok"], false);
    }
    let (s, _, _) = send(&app, "GET", "/f/not-a-uuid", &[], None).await;
    assert_eq!(s, 404);
    let (s, _, b) = send(
        &app,
        "POST",
        &format!("/f/{}", uuid::Uuid::now_v7()),
        &[("content-type", "application/json")],
        Some(b"{}".to_vec()),
    )
    .await;
    assert_eq!((s, parse(&b)["ok"].clone()), (404, json!(false)));
    let big = vec![b'a'; 70 * 1024];
    let (s, _, _) = send(
        &app,
        "POST",
        &format!("/f/{id}"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(big),
    )
    .await;
    assert_eq!(s, 413);
}

#[tokio::test]
async fn honeypot_and_fast_missing_or_forged_tokens_get_the_same_success_and_store_nothing() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let form = create_form(&app, &a, contract_form(&a.stage_id.to_string())).await;
    let id = form["id"].as_str().expect("id").to_string();
    let form_id: af_core::FormId = id.parse().expect("id");

    let (_, _, html) = send(&app, "GET", &format!("/f/{id}"), &[], None).await;
    let fresh = token_of(&html);
    let other_secret = SecretKey::from_text(&"another-secret-".repeat(4)).expect("key");
    let forged = af_service::intake::fill_token(&other_secret, form_id, app.now());
    // Filled at once: too fast.
    let (s1, b1) = post_form(
        &app,
        &id,
        &[
            ("_t", &fresh),
            ("name", "Bot"),
            ("email", "bot1@example.com"),
        ],
    )
    .await;
    app.clock.advance(SignedDuration::from_secs(10));
    let (s2, b2) = post_form(
        &app,
        &id,
        &[
            ("_t", &fresh),
            ("_hp", "http://spam"),
            ("name", "Bot"),
            ("email", "bot2@example.com"),
        ],
    )
    .await;
    let (s3, b3) = post_form(&app, &id, &[("name", "Bot"), ("email", "bot3@example.com")]).await;
    let (s4, b4) = post_form(
        &app,
        &id,
        &[
            ("_t", &forged),
            ("name", "Bot"),
            ("email", "bot4@example.com"),
        ],
    )
    .await;
    let (s5, b5) = post_form(
        &app,
        &id,
        &[
            ("_t", "123.abc"),
            ("name", "Bot"),
            ("email", "bot5@example.com"),
        ],
    )
    .await;
    for (s, b) in [(s1, &b1), (s2, &b2), (s3, &b3), (s4, &b4), (s5, &b5)] {
        assert_eq!(s, 200, "{b}");
        assert!(b.contains("data-testid=\"form-success\""), "{b}");
    }
    // JSON callers get the same success too.
    let (s, _, b) = send(
        &app,
        "POST",
        &format!("/f/{id}"),
        &[("content-type", "application/json")],
        Some(br#"{"name": "Bot", "email": "bot6@example.com"}"#.to_vec()),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(parse(&b)["ok"], true);
    // An expired token (over two days old) is a bot's too.
    app.clock.advance(SignedDuration::from_hours(49));
    let (s, b) = post_form(
        &app,
        &id,
        &[
            ("_t", &fresh),
            ("name", "Late"),
            ("email", "bot7@example.com"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");

    let subs = af_db::forms::list_submissions(&app.db, a.ws.id, form_id, 10)
        .await
        .expect("subs");
    assert!(subs.is_empty(), "{subs:?}");
    let (_, found) = api_get(&app, &a.api_key, "/api/v1/contacts?q=bot").await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(0), "{found}");
    assert!(events(&app, &a, "form.submitted").await.is_empty());

    // A real (slow enough) person with a valid token is accepted; a trusted
    // server with the workspace's key needs no token.
    let token = fresh_token(&app, &id).await;
    let (s, b) = post_form(
        &app,
        &id,
        &[
            ("_t", &token),
            ("name", "Persona"),
            ("email", "person@example.com"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, v) = post_json(
        &app,
        &format!("/f/{id}"),
        Some(&a.api_key),
        r#"{"name": "Servidor", "email": "server@example.com"}"#,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let subs = af_db::forms::list_submissions(&app.db, a.ws.id, form_id, 10)
        .await
        .expect("subs");
    assert_eq!(subs.len(), 2);
}

async fn submit_as(
    app: &TestApp,
    id: &str,
    key: &str,
    ip: &str,
    n: u32,
) -> (u16, reqwest::header::HeaderMap, String) {
    let body = json!({"name": format!("P{n}"), "email": format!("p{n}@example.com")});
    let auth = format!("Bearer {key}");
    send(
        app,
        "POST",
        &format!("/f/{id}"),
        &[
            ("content-type", "application/json"),
            ("x-forwarded-for", ip),
            ("authorization", &auth),
        ],
        Some(body.to_string().into_bytes()),
    )
    .await
}

#[tokio::test]
async fn forms_are_rate_limited_per_ip_and_per_form_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.trust_forwarded_for = true;
        c.intake_max_per_ip = 2;
        c.intake_max_per_form = 3;
        c.intake_window_secs = 60;
    })
    .await;
    let a = tenant(&app, "alpha").await;
    let form = create_form(&app, &a, contract_form(&a.stage_id.to_string())).await;
    let id = form["id"].as_str().expect("id").to_string();
    let key = a.api_key.clone();
    let submit = |ip: &'static str, n: u32| submit_as(&app, &id, &key, ip, n);
    assert_eq!(submit("10.0.0.1", 1).await.0, 200);
    assert_eq!(submit("10.0.0.1", 2).await.0, 200);
    let (s, h, b) = submit("10.0.0.1", 3).await;
    assert_eq!(s, 429, "{b}");
    assert!(h.get("retry-after").is_some());
    // Another IP gets in, until the form's own limit (3 per window).
    assert_eq!(submit("10.0.0.2", 4).await.0, 200);
    let (s, h, _) = submit("10.0.0.3", 5).await;
    assert_eq!(s, 429);
    let retry: i64 = h["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("secs");
    assert!((1..=60).contains(&retry));
    app.clock.advance(SignedDuration::from_secs(retry));
    assert_eq!(submit("10.0.0.3", 6).await.0, 200);
    // The HTML page path answers 429 too.
    let (s, _, _) = submit("10.0.0.3", 7).await;
    assert_eq!(s, 200);
    let (s, h, _) = send(
        &app,
        "POST",
        &format!("/f/{id}"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-forwarded-for", "10.0.0.3"),
        ],
        Some(b"name=x".to_vec()),
    )
    .await;
    assert_eq!(s, 429);
    assert!(h.get("retry-after").is_some());
}

#[tokio::test]
async fn xss_payloads_in_every_field_are_rendered_inert() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let xss = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let mut def = contract_form(&a.stage_id.to_string());
    def["name"] = json!(format!("Form {xss}"));
    def["fields"][0]["label"] = json!(format!("Nombre {xss}"));
    def["fields"][3]["options"] = json!([xss, "Ads"]);
    def["success_message"] = json!(format!("Gracias {xss}"));
    def["consent_text"] = json!(format!("Acepto {xss}"));
    let form = create_form(&app, &a, def).await;
    let id = form["id"].as_str().expect("id").to_string();

    let (_, _, html) = send(
        &app,
        "GET",
        &format!("/f/{id}?utm_source=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"),
        &[],
        None,
    )
    .await;
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"),
        "{html}"
    );
    let token = token_of(&html);
    app.clock.advance(SignedDuration::from_secs(5));
    let (s, body) = post_form(
        &app,
        &id,
        &[
            ("_t", &token),
            ("name", xss),
            ("email", "xss@example.com"),
            ("servicio", xss),
            ("mensaje", xss),
            ("campana", xss),
            ("_consent", "on"),
            ("utm_source", xss),
            ("utm_campaign", xss),
            ("referrer", xss),
            ("landing_page", xss),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(!body.contains("<script>alert"), "{body}");

    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let (_, found) = api_get(&app, &a.api_key, "/api/v1/contacts?q=xss@example.com").await;
    let cid = found["data"][0]["id"]
        .as_str()
        .expect("contact")
        .to_string();
    for path in [
        "/forms".to_string(),
        format!("/forms/{id}"),
        format!("/forms/{id}/submissions"),
        format!("/contacts/{cid}"),
        "/contacts".to_string(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path} has a live script"
        );
        assert!(!page.body.contains("<img src=x"), "{path} has a live img");
    }
    let page = browser.get(&format!("/forms/{id}/submissions")).await;
    assert!(
        page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_builder_creates_and_edits_forms_and_lists_submissions() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get("/forms").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("data-testid=\"forms\"") || page.contains("data-testid=\"no-forms\""));
    let page = browser.get("/forms/new").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("data-testid=\"form-builder\""));
    let fields = json!([
        {"name": "name", "type": "text", "label": "Nombre", "required": true},
        {"name": "email", "type": "email", "label": "Correo", "label_en": "Email", "required": true}
    ])
    .to_string();
    let stage = a.stage_id.to_string();
    let page = browser
        .post(
            "/forms/new",
            &[
                ("name", "Desde el builder"),
                ("active", "1"),
                ("fields_json", &fields),
                ("stage_id", &stage),
                ("tags", "web, builder"),
                ("primary_color", "#112233"),
                ("text_color", "#111111"),
                ("background_color", "#ffffff"),
                ("font", "serif"),
                ("radius", "8"),
                ("success_message", "¡Listo!"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let loc = page.location.clone().expect("location");
    let page = browser.get(&loc).await;
    assert!(page.contains("data-af-form="), "{}", page.body);
    let (_, list) = api_get(&app, &a.api_key, "/api/v1/forms").await;
    let f = list["data"]
        .as_array()
        .expect("forms")
        .iter()
        .find(|f| f["name"] == "Desde el builder")
        .cloned()
        .expect("created");
    assert_eq!(f["styling"]["primary_color"], "#112233");
    assert_eq!(f["tags"], json!(["web", "builder"]));
    // A bad definition re-renders with the errors (422), nothing saved.
    let page = browser
        .post(
            &loc,
            &[
                ("name", ""),
                ("fields_json", "[]"),
                ("primary_color", "nope"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.contains("data-testid=\"form-errors\""));
    // In the page's language, never the validator's English.
    for text in [
        "Escribe un nombre de 1 a 120 caracteres.",
        "Un formulario necesita de 1 a 30 campos.",
        "Elige los colores con el selector (como #4f46e5).",
    ] {
        assert!(page.contains(text), "{text}: {}", page.body);
    }
    assert!(!page.contains("must be"), "{}", page.body);
    let reserved = json!([{"name": "utm_source", "type": "text", "label": "Origen"}]).to_string();
    let page = browser
        .post(&loc, &[("name", "x"), ("fields_json", &reserved)])
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.contains("Campo «Origen»: ese nombre interno está reservado"),
        "{}",
        page.body
    );
    // Members can look but not change.
    let member = app.browser();
    member.login(&a.member_email, &a.password).await;
    assert_eq!(member.get(&loc).await.status, 200);
    let page = member
        .post(&loc, &[("name", "x"), ("fields_json", &fields)])
        .await;
    assert_eq!(page.status, 403);
}

// ---------------------------------------------------------------- Cal.com

async fn set_secret(app: &TestApp, t: &Tenant, secret: &str) {
    let sealed = app.state.secret.seal(secret);
    let mut tx = app.db.begin().await.expect("tx");
    af_db::inbound_webhooks::set_calcom_secret(&mut tx, t.ws.id, Some(&sealed), app.now())
        .await
        .expect("secret");
    tx.commit().await.expect("commit");
}

async fn calcom(app: &TestApp, path: &str, body: &[u8], sig: Option<&str>) -> (u16, Value) {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(s) = sig {
        headers.push(("x-cal-signature-256", s));
    }
    let (s, _, b) = send(app, "POST", path, &headers, Some(body.to_vec())).await;
    (s, parse(&b))
}

fn sign(secret: &str, body: &[u8]) -> String {
    af_web::api::intake::calcom_signature(secret, body)
}

async fn deliveries(app: &TestApp, t: &Tenant) -> Vec<af_db::inbound_webhooks::Delivery> {
    af_db::inbound_webhooks::list_deliveries(&app.db, t.ws.id, 100)
        .await
        .expect("deliveries")
}

async fn appts(app: &TestApp, t: &Tenant) -> Vec<af_db::appointments::Appointment> {
    af_db::appointments::list_appointments(&app.db, t.ws.id, None, 100)
        .await
        .expect("appointments")
        .into_iter()
        .filter(|a| a.external_uid.as_deref() != Some(&format!("seed-{}", t.ws.slug)))
        .collect()
}

#[tokio::test]
async fn calcom_fixture_with_its_signature_vector_books_the_lead() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let vector = parse(VECTOR);
    let secret = vector["secret"].as_str().expect("secret");
    let want = vector["X-Cal-Signature-256"].as_str().expect("sig");
    assert_eq!(
        sign(secret, FIXTURE.as_bytes()),
        want,
        "our HMAC matches the vector"
    );
    set_secret(app, a, secret).await;

    let (s, v) = calcom(
        app,
        "/webhooks/calcom/alpha",
        FIXTURE.as_bytes(),
        Some(want),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "processed");
    let list = appts(app, a).await;
    assert_eq!(list.len(), 1);
    let appt = &list[0];
    assert_eq!(appt.status, "booked");
    assert_eq!(appt.external_uid.as_deref(), Some("bFJeNb2uX8ANpT3JL5EfXw"));
    assert_eq!(
        appt.starts_at.map(|t| t.0.to_string()).as_deref(),
        Some("2023-05-25T09:30:00Z")
    );
    assert_eq!(
        appt.ends_at.map(|t| t.0.to_string()).as_deref(),
        Some("2023-05-25T10:30:00Z")
    );
    assert_eq!(appt.time_zone.as_deref(), Some("Asia/Kolkata"));
    // The attendee became a contact; its deal is on the booked stage.
    let (_, found) = api_get(app, &a.api_key, "/api/v1/contacts?q=john.doe@example.com").await;
    let cid = found["data"][0]["id"]
        .as_str()
        .expect("contact")
        .to_string();
    assert_eq!(found["data"][0]["first_name"], "John");
    let (_, deal) = api_get(
        app,
        &a.api_key,
        &format!("/api/v1/deals/{}", appt.deal_id.expect("deal")),
    )
    .await;
    let pipelines = af_db::pipelines::list_pipelines(&app.db, a.ws.id)
        .await
        .expect("pipelines");
    let booked = pipelines
        .iter()
        .flat_map(|p| p.stages.iter())
        .find(|s| s.is_booked)
        .expect("booked stage");
    assert_eq!(deal["stage_id"], json!(booked.id));
    assert_eq!(booked.name, "Agendado");
    let booked_events = events(app, a, "appointment.booked").await;
    assert_eq!(booked_events.len(), 1);
    let e = &booked_events[0];
    assert_eq!(e["_entity_type"], "contact");
    assert_eq!(e["_entity_id"], json!(cid));
    for k in [
        "contact_id",
        "appointment_id",
        "start",
        "end",
        "status",
        "source",
        "external_uid",
    ] {
        assert!(!e[k].is_null(), "{k} missing in {e}");
    }
    assert_eq!(e["source"], "calcom");
    assert_eq!(e["status"], "booked");
    // The appointments API.
    let (s, v) = api_get(
        app,
        &a.api_key,
        &format!("/api/v1/appointments?contact_id={cid}"),
    )
    .await;
    assert_eq!(s, 200);
    let data = v["data"].as_array().expect("data");
    assert_eq!(data.len(), 1);
    for k in [
        "id",
        "contact_id",
        "start",
        "end",
        "status",
        "source",
        "external_uid",
    ] {
        assert!(!data[0][k].is_null(), "{k} missing in {v}");
    }
    let stored = deliveries(app, a).await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].signature_ok);
    assert_eq!(stored[0].result, "processed");
    assert_eq!(stored[0].body, FIXTURE);
    // Another workspace's key sees none of it.
    let (_, v) = api_get(
        app,
        &t.b.api_key,
        &format!("/api/v1/appointments?contact_id={cid}"),
    )
    .await;
    assert_eq!(v["data"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn calcom_tampered_missing_placeholder_or_reformatted_signatures_are_401_and_store_nothing() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let vector = parse(VECTOR);
    let secret = vector["secret"].as_str().expect("secret");
    let good = vector["X-Cal-Signature-256"].as_str().expect("sig");
    set_secret(&app, &a, secret).await;
    let mut tampered = FIXTURE.as_bytes().to_vec();
    let i = FIXTURE.find("John Doe").expect("name");
    tampered[i] = b'X';
    let pretty = serde_json::to_vec_pretty(&parse(FIXTURE)).expect("pretty");
    let upper = good.to_ascii_uppercase();
    let cases: Vec<(&[u8], Option<&str>)> = vec![
        (&tampered, Some(good)),
        (FIXTURE.as_bytes(), None),
        (FIXTURE.as_bytes(), Some("no-secret-provided")),
        (FIXTURE.as_bytes(), Some("deadbeef")),
        (&pretty, Some(good)),
    ];
    for (body, sig) in cases {
        let (s, v) = calcom(&app, "/webhooks/calcom/alpha", body, sig).await;
        assert_eq!(s, 401, "{sig:?} → {v}");
        assert_eq!(v["ok"], false);
        let (s, _) = calcom(&app, "/api/calcom", body, sig).await;
        assert_eq!(s, 401);
    }
    assert!(deliveries(&app, &a).await.is_empty());
    assert!(appts(&app, &a).await.is_empty());
    // Hex case does not matter.
    let (s, v) = calcom(
        &app,
        "/webhooks/calcom/alpha",
        FIXTURE.as_bytes(),
        Some(&upper),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // /api/calcom finds the workspace by whose secret signed it.
    let other = FIXTURE.replace("bFJeNb2uX8ANpT3JL5EfXw", "other-uid-1");
    let (s, v) = calcom(
        &app,
        "/api/calcom",
        other.as_bytes(),
        Some(&sign(secret, other.as_bytes())),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(appts(&app, &a).await.len(), 2);
    let (s, _) = calcom(
        &app,
        "/webhooks/calcom/nobody",
        FIXTURE.as_bytes(),
        Some(good),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn calcom_server_default_secret_and_intake_key_on_the_shared_url() {
    let app = TestApp::spawn_with(|c| c.calcom_webhook_secret = Some("test-secret".into())).await;
    let a = tenant(&app, "alpha").await;
    let key = intake_key(&app, &a).await;
    let good = sign("test-secret", FIXTURE.as_bytes());
    let (s, _) = calcom(
        &app,
        &format!("/api/calcom?key={key}"),
        FIXTURE.as_bytes(),
        None,
    )
    .await;
    assert_eq!(s, 401, "the default secret applies: unsigned is refused");
    let (s, v) = calcom(
        &app,
        &format!("/api/calcom?key={key}"),
        FIXTURE.as_bytes(),
        Some(&good),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(appts(&app, &a).await.len(), 1);
    // Without any secret, unsigned deliveries are refused unless the
    // workspace explicitly accepts them (and then marked unsigned).
    let app2 = TestApp::spawn().await;
    let b = tenant(&app2, "bravo").await;
    let (s, v) = calcom(&app2, "/webhooks/calcom/bravo", FIXTURE.as_bytes(), None).await;
    assert_eq!(s, 401, "{v}");
    assert!(deliveries(&app2, &b).await.is_empty());
    allow_unsigned(&app2, &b).await;
    let (s, v) = calcom(&app2, "/webhooks/calcom/bravo", FIXTURE.as_bytes(), None).await;
    assert_eq!(s, 200, "{v}");
    assert!(!deliveries(&app2, &b).await[0].signature_ok);
}

async fn allow_unsigned(app: &TestApp, t: &Tenant) {
    let mut tx = app.db.begin().await.expect("tx");
    af_db::inbound_webhooks::set_calcom_allow_unsigned(&mut tx, t.ws.id, true, app.now())
        .await
        .expect("allow");
    tx.commit().await.expect("commit");
}

#[tokio::test]
async fn calcom_repeated_and_concurrent_deliveries_count_once() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    // Unsigned on purpose: this test is about processing, not signatures.
    allow_unsigned(&app, &a).await;
    for _ in 0..3 {
        let (s, _) = calcom(&app, "/webhooks/calcom/alpha", FIXTURE.as_bytes(), None).await;
        assert_eq!(s, 200);
    }
    assert_eq!(appts(&app, &a).await.len(), 1);
    assert_eq!(events(&app, &a, "appointment.booked").await.len(), 1);
    // Three copies of another booking at once.
    let body = FIXTURE.replace("bFJeNb2uX8ANpT3JL5EfXw", "concurrent-uid");
    let results = futures::future::join_all(
        (0..3).map(|_| calcom(&app, "/webhooks/calcom/alpha", body.as_bytes(), None)),
    )
    .await;
    for (s, v) in &results {
        assert_eq!(*s, 200, "{v}");
    }
    let processed = results
        .iter()
        .filter(|(_, v)| v["result"] == "processed")
        .count();
    assert_eq!(processed, 1, "{results:?}");
    assert_eq!(appts(&app, &a).await.len(), 2);
    assert_eq!(events(&app, &a, "appointment.booked").await.len(), 2);
    assert_eq!(deliveries(&app, &a).await.len(), 2);
}

fn with_trigger(trigger: &str, uid: &str) -> String {
    let mut v = parse(FIXTURE);
    v["triggerEvent"] = json!(trigger);
    v["payload"]["uid"] = json!(uid);
    v.to_string()
}

#[tokio::test]
async fn calcom_cancel_before_create_is_not_undone_and_lifecycle_events_fire() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    // Unsigned on purpose: this test is about processing, not signatures.
    allow_unsigned(&app, &a).await;
    let path = "/webhooks/calcom/alpha";
    let (s, v) = calcom(
        &app,
        path,
        with_trigger("BOOKING_CANCELLED", "late-uid").as_bytes(),
        None,
    )
    .await;
    assert_eq!((s, v["result"].clone()), (200, json!("processed")), "{v}");
    let (s, v) = calcom(
        &app,
        path,
        with_trigger("BOOKING_CREATED", "late-uid").as_bytes(),
        None,
    )
    .await;
    assert_eq!((s, v["result"].clone()), (200, json!("stale")), "{v}");
    let list = appts(&app, &a).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, "cancelled");
    assert!(events(&app, &a, "appointment.booked").await.is_empty());
    assert_eq!(events(&app, &a, "appointment.cancelled").await.len(), 1);

    // requested (pending) → created (booked) → rescheduled → cancelled.
    let (_, v) = calcom(
        &app,
        path,
        with_trigger("BOOKING_REQUESTED", "flow-uid").as_bytes(),
        None,
    )
    .await;
    assert_eq!(v["status"], "pending", "{v}");
    assert_eq!(events(&app, &a, "appointment.requested").await.len(), 1);
    let (_, v) = calcom(
        &app,
        path,
        with_trigger("BOOKING_CREATED", "flow-uid").as_bytes(),
        None,
    )
    .await;
    assert_eq!(v["status"], "booked", "{v}");
    let mut r = parse(&with_trigger("BOOKING_RESCHEDULED", "flow-uid-2"));
    r["payload"]["rescheduleUid"] = json!("flow-uid");
    r["payload"]["startTime"] = json!("2023-05-26T09:30:00Z");
    r["payload"]["endTime"] = json!("2023-05-26T10:30:00Z");
    let (_, v) = calcom(&app, path, r.to_string().as_bytes(), None).await;
    assert_eq!(v["status"], "rescheduled", "{v}");
    let resched = events(&app, &a, "appointment.rescheduled").await;
    assert_eq!(resched.len(), 1);
    assert_eq!(resched[0]["external_uid"], "flow-uid-2");
    assert_eq!(resched[0]["start"], "2023-05-26T09:30:00Z");
    let (_, v) = calcom(
        &app,
        path,
        with_trigger("BOOKING_CANCELLED", "flow-uid-2").as_bytes(),
        None,
    )
    .await;
    assert_eq!(v["status"], "cancelled", "{v}");
    assert_eq!(appts(&app, &a).await.len(), 2);
}

#[tokio::test]
async fn calcom_finds_the_lead_by_metadata_root_or_email_and_ignores_other_triggers() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    // Unsigned on purpose: this test is about processing, not signatures.
    allow_unsigned(&app, &a).await;
    let path = "/webhooks/calcom/alpha";
    let (_, lead) = post_json(&app, "/api/lead", Some(&a.api_key), PAUTA_SEED).await;
    let lead_id = lead["lead_id"].as_i64().expect("lead");
    let cid = lead["contact_id"].clone();

    // payload.metadata.lead_id, with no attendees and no responses.
    let body = json!({"triggerEvent": "BOOKING_CREATED", "payload": {
        "uid": "meta-uid", "startTime": "2026-03-09T16:00:00Z", "endTime": "2026-03-09T16:30:00Z",
        "metadata": {"lead_id": lead_id}}});
    let (s, v) = calcom(&app, path, body.to_string().as_bytes(), None).await;
    assert_eq!((s, v["contact_id"].clone()), (200, cid.clone()), "{v}");
    // The body root lead_id (as text), and the contact id itself.
    let body = json!({"triggerEvent": "BOOKING_CREATED", "lead_id": lead_id.to_string(), "payload": {"uid": "root-uid"}});
    let (_, v) = calcom(&app, path, body.to_string().as_bytes(), None).await;
    assert_eq!(v["contact_id"], cid, "{v}");
    let body = json!({"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "cid-uid", "metadata": {"lead_id": a.contact_id}}});
    let (_, v) = calcom(&app, path, body.to_string().as_bytes(), None).await;
    assert_eq!(v["contact_id"], json!(a.contact_id), "{v}");
    // responses.email.value only (no attendees).
    let body = json!({"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "resp-uid",
        "responses": {"email": {"label": "email", "value": "ana.test@example.com"}}}});
    let (_, v) = calcom(&app, path, body.to_string().as_bytes(), None).await;
    assert_eq!(v["contact_id"], cid, "{v}");
    // The seed's example: an unknown lead and no email is kept as unmatched.
    let seed = r#"{
    "event": "BOOKING_CREATED",
    "payload": {
      "metadata": {
        "lead_id": 123456
      }
    }
  }"#;
    let (s, v) = calcom(&app, path, seed.as_bytes(), None).await;
    assert_eq!((s, v["result"].clone()), (200, json!("unmatched")), "{v}");
    // Other triggers: 200, recorded as ignored.
    let (s, v) = calcom(
        &app,
        path,
        with_trigger("MEETING_ENDED", "x-uid").as_bytes(),
        None,
    )
    .await;
    assert_eq!((s, v["result"].clone()), (200, json!("ignored")), "{v}");
    let stored = deliveries(&app, &a).await;
    assert!(
        stored
            .iter()
            .any(|d| d.result == "ignored" && d.event == "MEETING_ENDED")
    );
    assert!(stored.iter().any(|d| d.result == "unmatched"));
    // Junk is a 400, not a 500.
    for junk in ["not json", "[1]", ""] {
        let (s, v) = calcom(&app, path, junk.as_bytes(), None).await;
        assert_eq!(s, 400, "{junk} → {v}");
    }
}

#[tokio::test]
async fn settings_show_snippets_manage_keys_and_secret_and_replay_unmatched_deliveries() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let browser = app.browser();
    browser.login(&a.owner_email, &a.password).await;
    let page = browser.get("/settings/intake").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form_id = &a.ids["forms.form_id"];
    assert!(page.contains(&format!("{}/embed.js", app.base_url)));
    assert!(
        page.contains(&format!("data-af-form=&quot;{form_id}&quot;"))
            || page.contains(&format!("data-af-form=&#34;{form_id}&#34;")),
        "{}",
        page.body
    );
    assert!(page.contains("/api/lead"));
    assert!(page.contains(&format!("{}/webhooks/calcom/alpha", app.base_url)));

    // An intake key, shown once, that creates leads.
    let page = browser
        .post("/settings/intake/keys", &[("name", "landing")])
        .await;
    assert_eq!(page.status, 303);
    let page = browser.get("/settings/intake").await;
    let marker = "data-testid=\"new-intake-key\">";
    let i = page.body.find(marker).expect("key shown") + marker.len();
    let key = page.body[i..i + page.body[i..].find('<').expect("end")].to_string();
    let (s, v) = post_json(&app, "/api/lead", Some(&key), PAUTA_SEED).await;
    assert_eq!(s, 201, "{v}");
    assert!(
        !browser.get("/settings/intake").await.contains(&key),
        "shown only once"
    );

    // The workspace secret set in Settings is the one checked.
    let page = browser
        .post("/settings/intake/calcom-secret", &[("secret", "mine")])
        .await;
    assert_eq!(page.status, 303);
    let (s, _) = calcom(&app, "/webhooks/calcom/alpha", FIXTURE.as_bytes(), None).await;
    assert_eq!(s, 401);

    // An unmatched delivery (a lead number not taken yet) is kept, and
    // replayed once that lead exists.
    let next = v["lead_id"].as_i64().expect("lead") + 1;
    let body = json!({"triggerEvent": "BOOKING_CREATED", "payload": {"uid": "later-uid",
        "metadata": {"lead_id": next}}})
    .to_string();
    let sig = sign("mine", body.as_bytes());
    let (s, v) = calcom(&app, "/webhooks/calcom/alpha", body.as_bytes(), Some(&sig)).await;
    assert_eq!((s, v["result"].clone()), (200, json!("unmatched")), "{v}");
    let unmatched = deliveries(&app, &a)
        .await
        .into_iter()
        .find(|d| d.result == "unmatched")
        .expect("kept");
    let (s, lead) = post_json(
        &app,
        "/api/lead",
        Some(&key),
        r#"{"nombre": "Llega Tarde", "email": "tarde@example.com"}"#,
    )
    .await;
    assert_eq!((s, lead["lead_id"].as_i64()), (201, Some(next)), "{lead}");
    // Members cannot replay; admins can.
    let member = app.browser();
    member.login(&a.member_email, &a.password).await;
    member.get("/dashboard").await;
    let replay = format!("/settings/intake/deliveries/{}/replay", unmatched.id);
    assert_eq!(member.post(&replay, &[]).await.status, 403);
    browser.get("/settings/intake").await;
    let page = browser.post(&replay, &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let d = deliveries(&app, &a).await;
    assert!(
        d.iter()
            .any(|x| x.id == unmatched.id && x.result == "processed"),
        "{d:?}"
    );
    let list = appts(&app, &a).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        Some(list[0].contact_id.to_string()),
        lead["contact_id"].as_str().map(str::to_string)
    );
    assert_eq!(events(&app, &a, "appointment.booked").await.len(), 1);
}

#[tokio::test]
async fn redirect_urls_and_concurrent_leads_get_distinct_numbers() {
    let app = TestApp::spawn().await;
    let a = tenant(&app, "alpha").await;
    let mut def = contract_form(&a.stage_id.to_string());
    def["redirect_url"] = json!("https://example.com/gracias?x=1");
    let form = create_form(&app, &a, def).await;
    let id = form["id"].as_str().expect("id").to_string();
    let token = fresh_token(&app, &id).await;
    let (s, body) = post_form(
        &app,
        &id,
        &[
            ("_t", &token),
            ("name", "Redirigida"),
            ("email", "redir@example.com"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(
        body.contains("http-equiv=\"refresh\" content=\"0;url=https://example.com/gracias?x=1\""),
        "{body}"
    );
    let token = fresh_token(&app, &id).await;
    let (s, v) = post_json(
        &app,
        &format!("/f/{id}"),
        None,
        &json!({"_t": token, "name": "Json", "email": "redir2@example.com"}).to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["redirect_url"], "https://example.com/gracias?x=1");

    let results = futures::future::join_all((0..6).map(|i| {
        let body = format!(r#"{{"nombre": "Lead {i}", "email": "conc{i}@example.com"}}"#);
        let app = &app;
        let key = a.api_key.clone();
        async move { post_json(app, "/api/lead", Some(&key), &body).await }
    }))
    .await;
    let mut numbers: Vec<i64> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 201, "{v}");
            v["lead_id"].as_i64().expect("number")
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 6, "{numbers:?}");
}

// ------------------------------------------------- hardening (issue 12)

/// The booking body of PAUTA's own cURL example, verbatim.
const PAUTA_CALCOM_SEED: &str = r#"{
    "event": "BOOKING_CREATED",
    "payload": {
      "metadata": {
        "lead_id": 1
      }
    }
  }"#;

#[tokio::test]
async fn unsigned_calcom_is_refused_by_default_and_the_settings_page_hands_out_a_secret() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    // An anonymous delivery naming a guessable lead number changes nothing.
    let (s, v) = calcom(
        app,
        &format!("/webhooks/calcom/{}", a.ws.slug),
        PAUTA_CALCOM_SEED.as_bytes(),
        None,
    )
    .await;
    assert_eq!(s, 401, "{v}");
    assert!(deliveries(app, a).await.is_empty(), "nothing stored");
    assert!(appts(app, a).await.is_empty(), "no appointment");
    assert!(events(app, a, "appointment.booked").await.is_empty());

    // The intake settings page shows a generated secret, and a delivery
    // signed with it is accepted.
    let admin = app.browser();
    admin.login(&a.owner_email, af_testkit::PASSWORD).await;
    let page = admin.get("/settings/intake").await;
    assert_eq!(page.status, 200);
    let secret =
        af_testkit::testid_value(&page.body, "settings-calcom-secret").expect("secret shown");
    assert!(secret.len() >= 24, "a generated secret: {secret:?}");
    assert_eq!(
        af_testkit::testid_value(
            &admin.get("/settings/intake").await.body,
            "settings-calcom-secret"
        ),
        Some(secret.clone()),
        "the same secret on every visit"
    );
    let (s, v) = calcom(
        app,
        &format!("/webhooks/calcom/{}", a.ws.slug),
        FIXTURE.as_bytes(),
        Some(&sign(&secret, FIXTURE.as_bytes())),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(deliveries(app, a).await[0].signature_ok);

    // Ticking "accept unsigned" (testing) lets unsigned ones in; unticking
    // closes the door again.
    let on = admin
        .post("/settings/intake/calcom-unsigned", &[("allow", "true")])
        .await;
    assert_eq!(on.status, 303);
    let unsigned = with_trigger("BOOKING_CREATED", "unsigned-1");
    let (s, v) = calcom(
        app,
        &format!("/webhooks/calcom/{}", a.ws.slug),
        unsigned.as_bytes(),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    admin.get("/settings/intake").await;
    admin.post("/settings/intake/calcom-unsigned", &[]).await;
    let again = with_trigger("BOOKING_CREATED", "unsigned-2");
    let (s, _) = calcom(
        app,
        &format!("/webhooks/calcom/{}", a.ws.slug),
        again.as_bytes(),
        None,
    )
    .await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn pauta_drop_in_takes_the_seed_curls_only_with_af_pauta_workspace() {
    // Without the setting, the seed's cURL verbatim is refused.
    let plain = TestApp::spawn().await;
    tenant(&plain, "pauta").await;
    let (s, v) = post_json(&plain, "/api/lead", None, PAUTA_SEED).await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["ok"], false);

    // With AF_PAUTA_WORKSPACE the same bytes land in that workspace, in the
    // seed's answer shape.
    let app = TestApp::spawn_with(|c| {
        c.pauta_workspace = Some("pauta".into());
        c.calcom_webhook_secret = Some("pauta-calcom-secret".into());
        c.intake_max_per_ip = 3;
    })
    .await;
    let p = tenant(&app, "pauta").await;
    let other = tenant(&app, "other").await;
    let (s, v) = post_json(&app, "/api/lead", None, PAUTA_SEED).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["ok"], true);
    let lead_id = v["lead_id"].as_i64().expect("lead_id");
    let contact_id = v["contact_id"].as_str().expect("contact").to_string();
    let (s, c) = api_get(&app, &p.api_key, &format!("/api/v1/contacts/{contact_id}")).await;
    assert_eq!(
        (s, c["email"].as_str()),
        (200, Some("ana.test@example.com"))
    );
    let (s, _) = api_get(
        &app,
        &other.api_key,
        &format!("/api/v1/contacts/{contact_id}"),
    )
    .await;
    assert_eq!(s, 404, "only the PAUTA workspace got it");

    // PAUTA's Cal.com URL, signed with the server's secret and no key,
    // books that lead in the PAUTA workspace.
    let body = PAUTA_CALCOM_SEED.replace("\"lead_id\": 1", &format!("\"lead_id\": {lead_id}"));
    let (s, v) = calcom(
        &app,
        "/api/calcom",
        body.as_bytes(),
        Some(&sign("pauta-calcom-secret", body.as_bytes())),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(deliveries(&app, &p).await.len(), 1);
    assert_eq!(events(&app, &p, "appointment.booked").await.len(), 1);
    // Unsigned, it is refused (the PAUTA workspace did not opt in).
    let (s, _) = calcom(&app, "/api/calcom", body.as_bytes(), None).await;
    assert_eq!(s, 401);

    // The public door's limits hold for keyless calls.
    let mut last = 0;
    for i in 0..4 {
        let body = PAUTA_SEED.replace("ana.test@", &format!("ana{i}@"));
        last = post_json(&app, "/api/lead", None, &body).await.0;
    }
    assert_eq!(last, 429, "per-IP limit");
}

#[tokio::test]
async fn an_intake_key_does_not_skip_the_forms_fill_time_check() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let form = create_form(app, a, contract_form(&a.stage_id.to_string())).await;
    let form_id = form["id"].as_str().expect("id").to_string();
    let key = intake_key(app, a).await;
    let before = af_db::contacts::count_contacts(&app.db, a.ws.id)
        .await
        .expect("count");
    let (s, _, _) = send(
        app,
        "POST",
        &format!("/f/{form_id}"),
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("x-api-key", key.as_str()),
        ],
        Some(br#"{"name":"Bot Bot","email":"bot@example.com","phone":"5512345678"}"#.to_vec()),
    )
    .await;
    assert!(s < 300, "the same success a person gets");
    assert_eq!(
        af_db::contacts::count_contacts(&app.db, a.ws.id)
            .await
            .expect("count"),
        before,
        "nothing stored"
    );
    // A full API key (the workspace's own server) still may.
    let (s, _, body) = send(
        app,
        "POST",
        &format!("/f/{form_id}"),
        &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("x-api-key", a.api_key.as_str()),
        ],
        Some(
            br#"{"name":"Server Side","email":"server@example.com","phone":"5512345679"}"#.to_vec(),
        ),
    )
    .await;
    assert!(s < 300, "{body}");
    assert_eq!(
        af_db::contacts::count_contacts(&app.db, a.ws.id)
            .await
            .expect("count"),
        before + 1
    );
}

#[tokio::test]
async fn a_phone_match_keeps_the_first_email_and_adds_the_second() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let first = r#"{"nombre": "Ana Pérez", "email": "ana@uno.mx", "telefono": "8112345678"}"#;
    let second = r#"{"nombre": "Beatriz Ruiz", "email": "bea@dos.mx", "telefono": "8112345678"}"#;
    let (_, v1) = post_json(app, "/api/lead", Some(&a.api_key), first).await;
    let (_, v2) = post_json(app, "/api/lead", Some(&a.api_key), second).await;
    let id = v1["contact_id"].as_str().expect("id").to_string();
    assert_eq!(
        v2["contact_id"].as_str(),
        Some(id.as_str()),
        "same phone, same contact"
    );
    let (_, c) = api_get(app, &a.api_key, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(
        c["email"], "ana@uno.mx",
        "the first address is not overwritten"
    );
    assert_eq!(c["first_name"], "Ana", "names only fill blanks");
    let contact: af_core::ContactId = id.parse().expect("uuid");
    assert_eq!(
        af_db::contacts::other_emails(&app.db, a.ws.id, contact)
            .await
            .expect("emails"),
        vec!["bea@dos.mx".to_string()]
    );
    let added = events(app, a, "contact.email_added").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["email"], "bea@dos.mx");
    // A later lead with only the second address finds the same contact.
    let third = r#"{"nombre": "Bea", "email": "BEA@dos.mx"}"#;
    let (_, v3) = post_json(app, "/api/lead", Some(&a.api_key), third).await;
    assert_eq!(v3["contact_id"].as_str(), Some(id.as_str()));
    // The contact page says so in the timeline.
    let b = app.browser();
    b.login(&a.owner_email, af_testkit::PASSWORD).await;
    let page = b.get(&format!("/contacts/{id}")).await;
    assert!(
        page.contains("bea@dos.mx"),
        "timeline names the added address"
    );
}
