//! The audit log end to end (issue 19): every state-changing route runs in
//! an audit scope and leaves a row when it changes something; the API's
//! search with its filters and keyset pages; the export equals the search
//! and is itself audited; an automation's vendor call appears with its
//! channel, lead and result; the page (admins) and the retention setting
//! (owners); another workspace's rows never appear.

use af_db::{Db, with_pool};
use af_testkit::{Api, PASSWORD, Tenant, two_workspaces};
use serde_json::{Value, json};

/// Every `(method, route template)` registered with a state-changing method
/// in the web crate's source.
fn mutating_routes() -> Vec<(String, String)> {
    crate::source_routes::operations()
        .into_iter()
        .filter(|(m, _)| m != "GET")
        .collect()
}

/// The route with the tenant's ids where the fixtures have one of that kind
/// (a fresh id elsewhere: the route then answers 404 and changes nothing).
fn fill(path: &str, t: &Tenant) -> String {
    let id = |k: &str| {
        t.ids
            .get(k)
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
    };
    let mut out = Vec::new();
    let segs: Vec<&str> = path.split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        if !(s.starts_with('{') && s.ends_with('}')) {
            out.push(s.to_string());
            continue;
        }
        let prev = if i > 0 { segs[i - 1] } else { "" };
        let v = match (prev, *s) {
            ("contacts", "{id}") => t.contact_id.to_string(),
            ("deals", "{id}") => t.deal_id.to_string(),
            ("pipelines", "{id}") => t.pipeline_id.to_string(),
            (_, "{stage_id}") => t.stage_id.to_string(),
            ("tasks", "{id}") => id("task_id"),
            ("fields", "{id}") => id("field_id"),
            ("filters", "{id}") => id("saved_filter_id"),
            ("forms" | "f", "{id}") => id("forms.form_id"),
            ("calendars", "{id}") => id("calendars.calendar_id"),
            (_, "{slug}" | "{workspace_slug}" | "{workspace}") => t.ws.slug.clone(),
            _ => uuid::Uuid::now_v7().to_string(),
        };
        out.push(v);
    }
    out.join("/")
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(p).await.expect("scalar")
    })
}

/// The audit rows of one request: (action, workspace id).
async fn rows_of(db: &Db, request_id: &str) -> Vec<(String, Option<uuid::Uuid>)> {
    with_pool!(db, p => {
        sqlx::query_as("SELECT action, workspace_id FROM audit_log WHERE request_id = $1")
            .bind(request_id)
            .fetch_all(p)
            .await
            .expect("rows")
    })
}

/// A valid request for the routes whose empty request changes nothing
/// (the rest answer 404 for a fresh id, or 422/400 for an empty body, and
/// are still checked to run inside the scope).
fn valid_body(method: &str, template: &str, t: &Tenant) -> Option<Value> {
    let contact = t.contact_id.to_string();
    Some(match (method, template) {
        ("POST", "/api/v1/contacts") => json!({"first_name": "Walk", "email": "walk@a.test"}),
        ("PATCH", "/api/v1/contacts/{id}") => json!({"company": "Caminata SA"}),
        ("POST", "/api/v1/events") => json!({"contact_id": contact, "name": "walk.done"}),
        ("POST", "/api/v1/workflows") => {
            json!({"name": "Walk", "trigger": {"type": "lead_created"},
            "steps": [{"type": "send_email", "subject": "Hola", "body": "Hola"}], "active": false})
        }
        ("POST", "/contacts") => json!({"first_name": "Paseo", "email": "paseo@a.test"}),
        ("POST", "/contacts/{id}/notes") => json!({"body": "Nota del recorrido"}),
        ("POST", "/contacts/{id}/tags") => json!({"name": "recorrido"}),
        ("POST", "/contacts/{id}/tags/remove") => json!({"name": "recorrido"}),
        ("POST", "/contacts/{id}/tasks") => json!({"title": "Llamar de nuevo"}),
        ("POST", "/pipelines") => json!({"name": "Recorrido"}),
        ("POST", "/pipelines/{id}/rename") => json!({"name": "Ventas 2"}),
        ("POST", "/pipelines/{id}/stages") => json!({"name": "Etapa nueva"}),
        _ => return None,
    })
}

fn form_of(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Routes the walk leaves alone, each for a reason.
const NOT_WALKED: &[&str] = &[
    // Ends the walking browser's session: every later page would redirect
    // to the login. Its audit row is the sign-in door's own.
    "/logout",
];

#[tokio::test]
async fn every_state_changing_route_is_in_an_audit_scope_and_a_change_leaves_a_row() {
    let t = two_workspaces().await;
    let routes = mutating_routes();
    assert!(
        routes.len() > 150,
        "the source scan found the routes: {}",
        routes.len()
    );
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    b.get("/settings").await;
    let http = t.app.http();
    let (mut changed, mut succeeded) = (0, 0);
    // The API first (a page may revoke the key), then the pages.
    let mut ordered: Vec<&(String, String)> = routes
        .iter()
        .filter(|(_, p)| p.starts_with("/api/"))
        .collect();
    ordered.extend(routes.iter().filter(|(_, p)| !p.starts_with("/api/")));
    for (method, template) in ordered {
        if NOT_WALKED.contains(&template.as_str()) {
            continue;
        }
        let path = fill(template, &t.a);
        let events_before = scalar(&t.app.db, "SELECT COUNT(*) FROM events").await;
        let body = valid_body(method, template, &t.a).unwrap_or_else(|| json!({}));
        let (status, headers) = if template.starts_with("/api/v1/") {
            let res = http
                .request(method.parse().expect("method"), t.app.url(&path))
                .bearer_auth(&t.a.api_key)
                .json(&body)
                .send()
                .await
                .expect("request");
            (res.status().as_u16(), res.headers().clone())
        } else {
            let form = form_of(&body);
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let page = b.post(&path, &form).await;
            (page.status, page.headers)
        };
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {template} ({status}) runs outside an audit scope"))
            .to_string();
        let rows = rows_of(&t.app.db, &request_id).await;
        let events_after = scalar(&t.app.db, "SELECT COUNT(*) FROM events").await;
        if events_after > events_before {
            changed += 1;
            assert!(
                !rows.is_empty(),
                "{method} {template} ({status}) wrote {} events and no audit row",
                events_after - events_before
            );
        }
        let signed_in = !template.starts_with("/api/") || template.starts_with("/api/v1/");
        let door = [
            "/login",
            "/password/",
            "/invite/",
            "/f/",
            "/book/",
            "/u/",
            "/webhooks/",
        ]
        .iter()
        .any(|d| template.starts_with(d));
        if (200..400).contains(&status) && signed_in && !door {
            succeeded += 1;
            assert!(
                !rows.is_empty(),
                "{method} {template} answered {status} and wrote no audit row"
            );
        }
        // Never a row in the other workspace.
        assert!(
            rows.iter().all(|(_, ws)| *ws != Some(t.b.ws.id.0)),
            "{method} {template} wrote into workspace B"
        );
    }
    // The walk did exercise changes, not only 404s and refusals.
    assert!(
        changed >= 8 && succeeded >= 30,
        "changed {changed}, succeeded {succeeded}"
    );
}

#[tokio::test]
async fn api_changes_are_searchable_with_filters_and_keyset_pages_within_the_workspace() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let other = Api::of(&t.app, &t.b);
    let mut ids = Vec::new();
    for i in 0..5 {
        let (s, c) = api
            .call(
                "POST",
                "/api/v1/contacts",
                Some(json!({"first_name": format!("Lead{i}"), "email": format!("l{i}@a.test")})),
            )
            .await;
        assert_eq!(s, 201, "{c}");
        ids.push(c["id"].as_str().expect("id").to_string());
    }
    let (s, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/contacts/{}", ids[0]),
            Some(json!({"company": "Nueva SA"})),
        )
        .await;
    assert_eq!(s, 200);
    other
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"first_name": "Ajeno", "email": "x@b.test"})),
        )
        .await;

    let (s, page) = api
        .call("GET", "/api/v1/audit?action=contact.created&limit=2", None)
        .await;
    assert_eq!(s, 200, "{page}");
    let mut seen: Vec<Value> = page["data"].as_array().expect("data").clone();
    let mut cursor = page["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let (_, p) = api
            .call(
                "GET",
                &format!("/api/v1/audit?action=contact.created&limit=2&cursor={c}"),
                None,
            )
            .await;
        seen.extend(p["data"].as_array().expect("data").iter().cloned());
        cursor = p["next_cursor"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let key_id = t.a.api_key_id.to_string();
    for r in &seen {
        assert_eq!(r["actor_type"], "api_key");
        assert_eq!(r["actor_id"], key_id.as_str());
        assert_eq!(r["origin"], "POST /api/v1/contacts");
        assert!(r["request_id"].is_string() && r["ip"].is_string(), "{r}");
        assert_ne!(r["entity_id"], "x@b.test");
    }
    let (_, upd) = api
        .call(
            "GET",
            &format!(
                "/api/v1/audit?entity_type=contact&entity_id={}&action=contact.updated",
                ids[0]
            ),
            None,
        )
        .await;
    let upd = &upd["data"][0];
    assert_eq!(upd["changes"]["new"]["company"], "Nueva SA", "{upd}");
    assert_eq!(upd["lead"], ids[0].as_str());
    let (_, by_actor) = api
        .call("GET", &format!("/api/v1/audit?actor={key_id}"), None)
        .await;
    assert_eq!(by_actor["data"].as_array().expect("data").len(), 6);
    let (_, none) = api.call("GET", "/api/v1/audit?from=2999-01-01", None).await;
    assert_eq!(none["data"].as_array().expect("data").len(), 0);
    let (s, bad) = api.call("GET", "/api/v1/audit?from=ayer", None).await;
    assert_eq!(s, 422, "{bad}");
    let (s, _) = api.call("GET", "/api/v1/audit?limit=501", None).await;
    assert_eq!(s, 422);
    // B's key never sees A's rows.
    let (_, b_rows) = other.call("GET", "/api/v1/audit?limit=500", None).await;
    assert!(
        b_rows["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|r| r["actor_id"] != key_id.as_str())
    );

    // The export: the same rows as the search, as JSON lines, and itself audited.
    let (_, all) = api.call("GET", "/api/v1/audit?limit=500", None).await;
    let res = t
        .app
        .http()
        .get(t.app.url("/api/v1/audit/export"))
        .bearer_auth(&t.a.api_key)
        .send()
        .await
        .expect("export");
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.expect("body");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(
        lines[0]["action"], "audit.exported",
        "the export is recorded first"
    );
    assert_eq!(
        &lines[1..],
        all["data"].as_array().expect("data").as_slice()
    );
    for k in [
        "timestamp",
        "action",
        "channel",
        "target",
        "lead",
        "result",
        "detail",
    ] {
        assert!(lines[1].get(k).is_some(), "{k}");
    }
}

#[tokio::test]
async fn an_automation_email_appears_with_its_channel_lead_and_result() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let worker = t.app.engine_worker();
    let wf = json!({"name": "Bienvenida", "trigger": {"type": "lead_created"},
        "steps": [{"type": "send_email", "subject": "Hola", "body": "Hola {{ contact.first_name }}"}], "active": true});
    let (s, w) = api.call("POST", "/api/v1/workflows", Some(wf)).await;
    assert_eq!(s, 201, "{w}");
    let (_, c) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"first_name": "Ana", "email": "ana@a.test"})),
        )
        .await;
    let contact = c["id"].as_str().expect("id").to_string();
    t.app.run_jobs(&worker).await;
    let (_, flow) = api
        .call(
            "GET",
            &format!("/api/v1/audit?lead={contact}&limit=500"),
            None,
        )
        .await;
    let flow = flow["data"].as_array().expect("data");
    let sent = flow
        .iter()
        .find(|r| r["action"] == "message.sent")
        .unwrap_or_else(|| panic!("the vendor call is in the lead's flow: {flow:?}"));
    assert_eq!(sent["channel"], "email");
    assert_eq!(sent["result"], "ok");
    assert_eq!(sent["actor_type"], "system");
    assert!(
        sent["origin"]
            .as_str()
            .is_some_and(|o| o.starts_with("job ")),
        "{sent}"
    );
    assert!(flow.iter().any(|r| r["action"] == "contact.created"));
}

#[tokio::test]
async fn the_page_filters_downloads_and_keeps_retention_for_owners() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    api.call(
        "POST",
        "/api/v1/contacts",
        Some(json!({"first_name": "Ana", "email": "ana@a.test"})),
    )
    .await;
    let member = t.app.browser();
    member.login(&t.a.member_email, PASSWORD).await;
    assert_eq!(member.get("/settings/audit").await.status, 403);
    assert_eq!(member.get("/settings/audit/export").await.status, 403);

    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    let settings = b.get("/settings").await;
    assert!(
        settings.contains("href=\"/settings/audit\""),
        "linked from the settings tabs"
    );
    let page = b.get("/settings/audit").await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("contact.created") && page.contains("test key"),
        "{}",
        page.body
    );
    let filtered = b.get("/settings/audit?action=contact.updated").await;
    assert!(filtered.contains("data-testid=\"audit-empty\""));
    let bad = b.get("/settings/audit?from=ayer").await;
    assert_eq!(bad.status, 200);
    assert!(bad.contains("role=\"alert\""));

    let res = b
        .client
        .get(t.app.url("/settings/audit/export?action=contact.created"))
        .send()
        .await
        .expect("download");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("h")
            .contains(".ndjson")
    );
    let text = res.text().await.expect("body");
    assert_eq!(text.lines().count(), 1, "{text}");
    let (_, exported) = api
        .call("GET", "/api/v1/audit?action=audit.exported", None)
        .await;
    assert_eq!(exported["data"][0]["actor_type"], "user");

    b.get("/settings/audit").await;
    let saved = b.post("/settings/audit/retention", &[("days", "90")]).await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        af_db::audit::retention_days(&t.app.db, t.a.ws.id)
            .await
            .expect("days"),
        90
    );
    let refused = b.post("/settings/audit/retention", &[("days", "0")]).await;
    assert_eq!(refused.status, 303);
    assert_eq!(
        af_db::audit::retention_days(&t.app.db, t.a.ws.id)
            .await
            .expect("days"),
        90
    );
}

#[tokio::test]
async fn a_lead_through_the_public_door_is_audited_with_a_hashed_address() {
    let t = two_workspaces().await;
    // An intake key, as a landing page carries (the lead door, group commit
    // on SQLite: the unit runs on the writer task, the row is still written).
    let key = af_service::provision::create_scoped_api_key(
        &t.app.db,
        &t.a.ws,
        "landing",
        af_db::api_keys::KeyScope::Intake,
        t.app.now(),
    )
    .await
    .expect("intake key")
    .key;
    let res = t
        .app
        .http()
        .post(t.app.url("/api/lead"))
        .bearer_auth(&key)
        .json(&json!({"nombre": "Puerta Abierta", "email": "puerta@example.com", "telefono": "8112345678"}))
        .send()
        .await
        .expect("lead");
    assert!(res.status().is_success(), "{}", res.status());
    let request_id = res.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let rows = rows_of(&t.app.db, &request_id).await;
    assert!(!rows.is_empty(), "the lead door left no audit row");
    assert!(rows.iter().all(|(_, ws)| *ws == Some(t.a.ws.id.0)));
    let api = Api::of(&t.app, &t.a);
    let (_, found) = api
        .call(
            "GET",
            "/api/v1/audit?action=contact.created&limit=500",
            None,
        )
        .await;
    let row = found["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|r| r["request_id"] == request_id.as_str())
        .expect("the lead's row");
    assert_eq!(row["origin"], "POST /api/lead");
    let ip = row["ip"].as_str().expect("ip");
    assert!(
        !ip.contains('.') && !ip.contains(':') && ip.len() >= 20,
        "hashed: {ip}"
    );
}
