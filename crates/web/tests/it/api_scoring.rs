//! Activities and lead scoring through the JSON API (issue 17's
//! contract), on the backend chosen by `AF_TEST_BACKEND`: 201 / 200 for a
//! repeated key, batches with per-item results, 422s that write nothing,
//! rules and thresholds, the explained score, the hot-lead template, and
//! the product's own events becoming activities.

use af_testkit::{Api, two_workspaces};
use serde_json::{Value, json};

#[tokio::test]
async fn activities_score_with_default_rules_and_explain() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let contact = t.a.contact_id.to_string();

    // A new workspace has the seed's rules and the Hot Lead threshold.
    let (status, rules) = api.call("GET", "/api/v1/scoring/rules", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = rules["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["on"]["type"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "visit",
            "class_booked",
            "purchase",
            "email_opened",
            "form_submitted",
            "message_replied",
            "inactivity"
        ]
    );
    let (_, th) = api.call("GET", "/api/v1/scoring/thresholds", None).await;
    assert_eq!(th["data"][0]["name"], "Hot Lead");
    assert_eq!(
        (
            th["data"][0]["enter"].as_i64(),
            th["data"][0]["exit"].as_i64()
        ),
        (Some(70), Some(60))
    );

    let visit = json!({"contact_id": contact, "type": "visit", "idempotency_key": "v-1"});
    let (status, a) = api
        .call("POST", "/api/v1/activities", Some(visit.clone()))
        .await;
    assert_eq!(status, 201, "{a}");
    let (status, again) = api.call("POST", "/api/v1/activities", Some(visit)).await;
    assert_eq!(status, 200, "a repeated key is a no-op");
    assert_eq!(again["id"], a["id"]);

    let (status, s) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            s["total"].as_i64(),
            s["engagement"].as_i64(),
            s["fit"].as_i64()
        ),
        (Some(10), Some(10), Some(0))
    );
    assert_eq!(s["lines"][0]["points"], 10);
    assert_eq!(s["lines"][0]["source"], a["id"]);
    assert_eq!(s["lines"][0]["rule"], "Visita registrada");
    let (_, c) = api
        .call("GET", &format!("/api/v1/contacts/{contact}"), None)
        .await;
    assert_eq!(c["score"], 10);

    // By email: an unknown one creates the contact (the one contact rule).
    let (status, p) = api
        .call("POST", "/api/v1/activities", Some(json!({
            "email": "Nueva@Example.com", "type": "purchase", "data": {"amount": 150000, "currency": "MXN"},
            "occurred_at": "2026-12-01T10:00:00Z"})))
        .await;
    assert_eq!(status, 201, "{p}");
    let (_, list) = api.call("GET", "/api/v1/contacts?q=nueva", None).await;
    assert_eq!(list["data"][0]["email"], "Nueva@example.com");
    assert_eq!(list["data"][0]["score"], 25);
    let new_id = list["data"][0]["id"].as_str().expect("id").to_string();
    assert_eq!(p["contact_id"].as_str(), Some(new_id.as_str()));

    // A batch: per-item results, in order.
    let (status, b) = api
        .call(
            "POST",
            "/api/v1/activities",
            Some(json!({"activities": [
                {"contact_id": contact, "type": "email_opened", "idempotency_key": "o-1"},
                {"contact_id": contact, "type": "email_opened", "idempotency_key": "o-1"},
                {"contact_id": contact, "type": "Bad Type"},
                {"contact_id": t.b.contact_id.to_string(), "type": "visit"},
                {"contact_id": contact, "type": "yoga.class", "data": {"room": 2}},
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{b}");
    let statuses: Vec<i64> = b["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["status"].as_i64())
        .collect();
    assert_eq!(statuses, [201, 200, 422, 404, 201]);
    assert!(
        b["results"][2]["error"]["fields"]["type"].is_string(),
        "{b}"
    );
    assert_eq!(b["created"], 2);

    // Listed newest first, with a cursor.
    let (status, page) = api
        .call(
            "GET",
            &format!("/api/v1/contacts/{contact}/activities?limit=2"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().expect("more").to_string();
    let (_, rest) = api
        .call(
            "GET",
            &format!("/api/v1/contacts/{contact}/activities?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn invalid_activities_and_rules_are_422_and_write_nothing() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let contact = t.a.contact_id.to_string();
    for (body, field) in [
        (json!({"contact_id": contact, "type": "Visit!"}), "type"),
        (json!({"contact_id": contact}), "type"),
        (json!({"type": "visit"}), "contact_id"),
        (json!({"contact_id": "nope", "type": "visit"}), "contact_id"),
        (json!({"email": "not-an-email", "type": "visit"}), "email"),
        (
            json!({"contact_id": contact, "type": "purchase", "data": {"amount": 1.5, "currency": "MXN"}}),
            "data.amount",
        ),
        (
            json!({"contact_id": contact, "type": "purchase", "data": {"amount": 100}}),
            "data.currency",
        ),
        (
            json!({"contact_id": contact, "type": "visit", "occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            json!({"contact_id": contact, "type": "visit", "data": [1]}),
            "data",
        ),
    ] {
        let (status, err) = api
            .call("POST", "/api/v1/activities", Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body} → {err}");
        assert!(err["error"]["fields"][field].is_string(), "{body} → {err}");
    }
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/activities",
            Some(json!({"contact_id": contact, "type": "visit", "bogus": 1})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/activities",
            Some(json!({"activities": []})),
        )
        .await;
    assert_eq!(status, 422);
    let too_many: Vec<Value> = (0..1001)
        .map(|_| json!({"contact_id": contact, "type": "visit"}))
        .collect();
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/activities",
            Some(json!({"activities": too_many})),
        )
        .await;
    assert_eq!(status, 422);
    // Another workspace's contact: 404.
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/activities",
            Some(json!({"contact_id": t.b.contact_id.to_string(), "type": "visit"})),
        )
        .await;
    assert_eq!(status, 404);
    let (_, page) = api
        .call(
            "GET",
            &format!("/api/v1/contacts/{contact}/activities"),
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]), "nothing written");

    let (status, err) = api
        .call(
            "POST",
            "/api/v1/scoring/rules",
            Some(json!({"name": "", "on": {"type": "x y"}, "points": 0, "frequency": "often"})),
        )
        .await;
    assert_eq!(status, 422);
    for f in ["name", "on.type", "points", "frequency"] {
        assert!(err["error"]["fields"][f].is_string(), "{f}: {err}");
    }
    let (status, err) = api
        .call(
            "POST",
            "/api/v1/scoring/thresholds",
            Some(json!({"name": "X", "enter": 50, "exit": 60})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/scoring/thresholds",
            Some(json!({"name": "Hot Lead", "enter": 80, "exit": 60})),
        )
        .await;
    assert_eq!(status, 422, "names are unique");
}

#[tokio::test]
async fn rules_are_created_edited_forward_and_deleted() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let contact = t.a.contact_id.to_string();
    let (status, r) = api
        .call("POST", "/api/v1/scoring/rules", Some(json!({
            "name": "Compra grande", "on": {"type": "purchase", "filter": {"amount": {"gte": 500000}}},
            "points": 30, "frequency": {"every_days": 30}, "group": "fit"})))
        .await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["frequency"], json!({"every_days": 30}));
    let id = r["id"].as_str().expect("id").to_string();
    let buy = |amount: i64, key: &str| {
        json!({"contact_id": contact, "type": "purchase", "idempotency_key": key,
        "data": {"amount": amount, "currency": "MXN"}})
    };
    api.call("POST", "/api/v1/activities", Some(buy(600_000, "b1")))
        .await;
    api.call("POST", "/api/v1/activities", Some(buy(700_000, "b2")))
        .await; // within 30 days: default rule only
    api.call("POST", "/api/v1/activities", Some(buy(100, "b3")))
        .await; // filter fails: default rule only
    let (_, s) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(
        (s["total"].as_i64(), s["fit"].as_i64()),
        (Some(30 + 75), Some(30)),
        "{s}"
    );

    let (status, p) = api
        .call(
            "PATCH",
            &format!("/api/v1/scoring/rules/{id}"),
            Some(json!({"points": 5, "frequency": "always"})),
        )
        .await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["points"].as_i64(), p["name"].as_str()),
        (Some(5), Some("Compra grande"))
    );
    api.call("POST", "/api/v1/activities", Some(buy(600_000, "b4")))
        .await;
    let (_, s) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(
        s["total"].as_i64(),
        Some(105 + 25 + 5),
        "edits apply forward: {s}"
    );
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/scoring/rules/{id}"),
            Some(json!({"points": "lots"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call("DELETE", &format!("/api/v1/scoring/rules/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call("DELETE", &format!("/api/v1/scoring/rules/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn hot_lead_template_fires_once_and_product_events_become_activities() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let worker = t.app.engine_worker();
    af_engine::library::install(&t.app.db, t.a.ws.id, "hot_lead", true, t.app.now())
        .await
        .expect("install template");
    let (status, fresh) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"first_name": "Hot", "email": "hot@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{fresh}");
    let contact = fresh["id"].as_str().expect("id").to_string();
    // 69 → 71 → 69 → 71 through custom rules: one entry, one run.
    for (name, on, points) in [
        ("up69", "t.up69", 69),
        ("up2", "t.up2", 2),
        ("down2", "t.down2", -2),
    ] {
        let (status, _) = api
            .call(
                "POST",
                "/api/v1/scoring/rules",
                Some(json!({"name": name, "on": {"type": on}, "points": points})),
            )
            .await;
        assert_eq!(status, 201);
    }
    for kind in ["t.up69", "t.up2", "t.down2", "t.up2"] {
        let (status, _) = api
            .call(
                "POST",
                "/api/v1/activities",
                Some(json!({"contact_id": contact, "type": kind})),
            )
            .await;
        assert_eq!(status, 201);
        t.app.run_jobs(&worker).await;
    }
    let (_, s) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(s["total"], 71);
    let (_, c) = api
        .call("GET", &format!("/api/v1/contacts/{contact}"), None)
        .await;
    assert_eq!(c["tags"], json!(["hot lead"]), "{c}");
    let (_, timeline) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/timeline"), None)
        .await;
    let entered = timeline["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "score.threshold_entered")
        .count();
    assert_eq!(entered, 1);
    let runs: i64 = af_db::with_pool!(&t.app.db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM enrollments WHERE workspace_id = $1 AND contact_id = $2")
            .bind(t.a.ws.id.0)
            .bind(uuid_of(&contact))
            .fetch_one(p)
            .await
            .expect("count")
    });
    assert_eq!(runs, 1, "the workflow ran once");

    // A product event (a form submission) becomes a form_submitted
    // activity through dispatch, once however often dispatch runs.
    let mut tx = t.app.db.begin().await.expect("tx");
    let event = af_db::events::NewEvent {
        workspace: t.a.ws.id,
        kind: "form.submitted",
        entity_type: "contact",
        entity_id: Some(contact.clone()),
        actor: &af_core::Actor::system(),
        data: json!({"contact_id": contact, "form_id": "f-1", "answers": {"x": 1}}),
    };
    let event_id = af_db::events::insert_event(&mut tx, &event, t.app.now())
        .await
        .expect("event");
    tx.commit().await.expect("commit");
    t.app.run_jobs(&worker).await;
    af_engine::dispatch::dispatch(&t.app.db, t.a.ws.id, event_id, t.app.now())
        .await
        .expect("again");
    let (_, page) = api
        .call(
            "GET",
            &format!("/api/v1/contacts/{contact}/activities"),
            None,
        )
        .await;
    let forms: Vec<&Value> = page["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|a| a["type"] == "form_submitted")
        .collect();
    assert_eq!(forms.len(), 1, "{page}");
    assert_eq!(forms[0]["data"]["form_id"], "f-1");
    assert!(
        forms[0]["data"]["answers"].is_null(),
        "answers stay in the submission"
    );
    let (_, s) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(s["total"], 91);
}

fn uuid_of(s: &str) -> uuid::Uuid {
    s.parse().expect("uuid")
}

#[tokio::test]
async fn recalculation_runs_in_the_background_with_progress() {
    let t = two_workspaces().await;
    let app = &t.app;
    let api = Api::of(app, &t.a);
    let contact = t.a.contact_id.to_string();
    let visit = json!({"contact_id": contact, "type": "visit", "idempotency_key": "r-1"});
    let (status, _) = api.call("POST", "/api/v1/activities", Some(visit)).await;
    assert_eq!(status, 201);
    let (_, before) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;

    // The visit rule now gives 40: only a recalculation applies it to the past.
    let (_, rules) = api.call("GET", "/api/v1/scoring/rules", None).await;
    let visit_rule = rules["data"]
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["on"]["type"] == "visit")
        .expect("visit rule")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/scoring/rules/{visit_rule}"),
            Some(json!({"points": 40})),
        )
        .await;
    assert_eq!(status, 200);

    let (status, run) = api.call("POST", "/api/v1/scoring/recalculate", None).await;
    assert_eq!(status, 202, "{run}");
    assert_eq!(run["status"], "queued");
    let id = run["id"].as_str().expect("id").to_string();
    let (status, again) = api.call("POST", "/api/v1/scoring/recalculate", None).await;
    assert_eq!(status, 200, "one run at a time: the live one is answered");
    assert_eq!(again["id"], run["id"]);

    // Another workspace cannot see it.
    let other = Api::of(app, &t.b);
    let (status, _) = other
        .call("GET", &format!("/api/v1/scoring/recalculations/{id}"), None)
        .await;
    assert_eq!(status, 404);

    let worker = app.engine_worker();
    app.run_jobs(&worker).await;
    let (status, done) = api
        .call("GET", &format!("/api/v1/scoring/recalculations/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (done["status"].as_str(), done["percent"].as_i64()),
        (Some("done"), Some(100))
    );
    assert_eq!(done["processed"], done["total"]);
    assert_eq!(done["changed"], 1);
    let (_, after) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/score"), None)
        .await;
    assert_eq!(
        after["total"].as_i64().unwrap_or(0) - before["total"].as_i64().unwrap_or(0),
        30,
        "the visit now counts 40 instead of 10: {after}"
    );

    // The page's button: admins only; the progress fragment per workspace.
    let member = app.browser();
    member.login(&t.a.member_email, af_testkit::PASSWORD).await;
    let page = member.get("/contacts/scoring").await; // and the CSRF token
    assert!(
        page.contains("data-testid=\"recalc-progress\""),
        "members see the progress"
    );
    assert!(
        !page.contains("data-testid=\"recalculate\""),
        "but no button"
    );
    assert_eq!(
        member
            .post("/contacts/scoring/recalculate", &[])
            .await
            .status,
        403
    );
    let progress = member
        .get(&format!("/contacts/scoring/recalculations/{id}/progress"))
        .await;
    assert_eq!(progress.status, 200);
    assert!(progress.contains("Terminado"));
    assert!(
        !progress.contains("hx-trigger"),
        "a finished run is not polled"
    );
    let outsider = app.browser();
    outsider.login(&t.b.owner_email, af_testkit::PASSWORD).await;
    assert_eq!(
        outsider
            .get(&format!("/contacts/scoring/recalculations/{id}/progress"))
            .await
            .status,
        404
    );
    let owner = app.browser();
    owner.login(&t.a.owner_email, af_testkit::PASSWORD).await;
    let page = owner.get("/contacts/scoring").await;
    assert!(page.contains("data-testid=\"recalculate\""));
    let started = owner.post("/contacts/scoring/recalculate", &[]).await;
    assert_eq!(
        started.status, 303,
        "without htmx: back to the scoring page"
    );
    let (_, latest) = api.call("POST", "/api/v1/scoring/recalculate", None).await;
    assert_eq!(latest["status"], "queued", "the page started a new run");
}
