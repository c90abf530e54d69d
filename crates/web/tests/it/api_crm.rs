//! The CRM JSON API contract (issue 3), on the backend chosen by
//! `AF_TEST_BACKEND`.

use af_testkit::{Api, two_workspaces};
use serde_json::{Value, json};

#[tokio::test]
async fn contacts_upsert_list_patch_timeline_delete() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };

    let body = json!({
        "first_name": "Juan", "last_name": "Pérez", "email": "Juan@Example.com", "phone": "8112345678",
        "company": "Acme", "source": "facebook",
        "utm": {"source": "fb", "medium": "cpc", "campaign": "primavera", "term": null, "content": "v1"},
        "tags": ["webinar"], "custom": {}
    });
    let (status, c) = api
        .call("POST", "/api/v1/contacts", Some(body.clone()))
        .await;
    assert_eq!(status, 201, "{c}");
    let id = c["id"].as_str().expect("id").to_string();
    assert_eq!(c["phone"], "+528112345678");
    assert_eq!(c["email"], "Juan@example.com");
    assert_eq!(c["attribution"]["first"]["utm_campaign"], "primavera");
    assert_eq!(c["tags"], json!(["webinar"]));

    // The same email again: 200, same contact, updated.
    let (status, again) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"email": "juan@example.com", "company": "Acme MX"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], c["id"]);
    assert_eq!(again["company"], "Acme MX");
    assert_eq!(again["first_name"], "Juan", "absent fields are kept");

    // Bad input: clear errors naming the fields, nothing created.
    let (status, err) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"email": "nope", "phone": "12"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "invalid");
    assert!(
        err["error"]["fields"]["email"].is_string() && err["error"]["fields"]["phone"].is_string(),
        "{err}"
    );
    let (status, err) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"emial": "typo@x.com"})),
        )
        .await;
    assert_eq!(status, 400, "unknown fields are refused: {err}");
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"custom": {"nope": 1}, "email": "a@b.co"})),
        )
        .await;
    assert_eq!(status, 422);
    let raw = t
        .app
        .http()
        .post(t.app.url("/api/v1/contacts"))
        .bearer_auth(&t.a.api_key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("req");
    assert_eq!(raw.status().as_u16(), 400);
    let e: Value = raw.json().await.expect("json error body");
    assert_eq!(e["error"]["code"], "bad_request");

    for i in 0..5 {
        api.call("POST", "/api/v1/contacts", Some(json!({"name": format!("Lead {i} Test"), "email": format!("l{i}@x.com"), "tags": ["frio"]}))).await;
    }
    let (_, page1) = api.call("GET", "/api/v1/contacts?limit=3", None).await;
    assert_eq!(page1["data"].as_array().expect("data").len(), 3);
    let cursor = page1["next_cursor"]
        .as_str()
        .expect("more pages")
        .to_string();
    let (_, page2) = api
        .call(
            "GET",
            &format!("/api/v1/contacts?limit=3&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(
        page2["data"].as_array().expect("data").len(),
        3,
        "6 of A's own + 1 seeded = 7 contacts"
    );
    let (_, found) = api.call("GET", "/api/v1/contacts?q=acme%20mx", None).await;
    assert_eq!(found["data"].as_array().expect("data").len(), 1);
    let (_, tagged) = api.call("GET", "/api/v1/contacts?tag=FRIO", None).await;
    assert_eq!(tagged["data"].as_array().expect("data").len(), 5);
    assert_eq!(
        api.call("GET", "/api/v1/contacts?cursor=garbage", None)
            .await
            .0,
        422
    );

    let (status, patched) = api
        .call("PATCH", &format!("/api/v1/contacts/{id}"), Some(json!({"company": null, "lifecycle": "customer", "add_tags": ["VIP"], "remove_tags": ["webinar"]})))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert!(patched["company"].is_null());
    assert_eq!(patched["tags"], json!(["VIP"]));
    assert_eq!(
        api.call(
            "PATCH",
            &format!("/api/v1/contacts/{id}"),
            Some(json!({"lifecycle": "zombie"}))
        )
        .await
        .0,
        422
    );

    let (_, timeline) = api
        .call("GET", &format!("/api/v1/contacts/{id}/timeline"), None)
        .await;
    let kinds: Vec<&str> = timeline["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in [
        "contact.created",
        "contact.updated",
        "tag.added",
        "tag.removed",
    ] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }

    assert_eq!(
        api.call("DELETE", &format!("/api/v1/contacts/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        api.call("GET", &format!("/api/v1/contacts/{id}"), None)
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn pipelines_and_deals_with_stage_moves() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };
    let (_, pipelines) = api.call("GET", "/api/v1/pipelines", None).await;
    let stages = pipelines[0]["stages"].as_array().expect("stages").clone();
    assert_eq!(stages.len(), 6);
    assert_eq!(stages[0]["name"], "Contacto inicial");
    assert_eq!(stages[0]["position"], 1);

    let contact = t.a.contact_id.to_string();
    let (status, deal) = api
        .call(
            "POST",
            "/api/v1/deals",
            Some(json!({"contact_id": contact, "title": "SEO", "value": 250000})),
        )
        .await;
    assert_eq!(status, 201, "{deal}");
    assert_eq!(
        deal["currency"], "MXN",
        "default currency from the workspace country"
    );
    assert_eq!(deal["stage_id"], stages[0]["id"]);
    let deal_id = deal["id"].as_str().expect("id").to_string();

    let booked = stages[3]["id"].as_str().expect("id");
    let (status, moved) = api
        .call(
            "PATCH",
            &format!("/api/v1/deals/{deal_id}"),
            Some(json!({"stage_id": booked})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(moved["stage_id"], booked);
    let (_, in_stage) = api
        .call("GET", &format!("/api/v1/deals?stage_id={booked}"), None)
        .await;
    assert_eq!(in_stage["data"].as_array().expect("data").len(), 1);
    let (_, timeline) = api
        .call("GET", &format!("/api/v1/contacts/{contact}/timeline"), None)
        .await;
    let change = timeline["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["kind"] == "deal.stage_changed")
        .expect("stage_changed")
        .clone();
    assert_eq!(change["data"]["to_stage"], "Agendado");

    // Another workspace's contact or stage: a field error, nothing created or moved.
    let (status, err) = api
        .call(
            "POST",
            "/api/v1/deals",
            Some(json!({"contact_id": t.b.contact_id, "title": "X"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["contact_id"].is_string());
    let (status, _) = api
        .call(
            "PATCH",
            &format!("/api/v1/deals/{deal_id}"),
            Some(json!({"stage_id": t.b.stage_id})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/deals",
            Some(json!({"contact_id": contact, "title": " ", "value": -5, "currency": "pesos"})),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn deal_values_are_bounded_and_no_sum_breaks_the_board() {
    let t = two_workspaces().await;
    let api = Api {
        http: t.app.http(),
        base: t.app.base_url.clone(),
        key: t.a.api_key.clone(),
    };
    let contact = t.a.contact_id.to_string();
    for value in [
        json!(i64::MAX),
        json!(1_000_000_000_000_000i64),
        json!(1e20),
        json!(-1),
    ] {
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/deals",
                Some(json!({"contact_id": contact, "title": "huge", "value": value})),
            )
            .await;
        assert_eq!(status, 422, "value {value}: {body}");
    }
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/deals",
            Some(json!({"contact_id": contact, "title": "max", "value": af_core::money::MAX_ABS_MINOR})),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // Values already stored past any sane range (written by an older
    // version) still add up: the board and its summary answer.
    for _ in 0..3 {
        match &t.app.db {
            af_db::Db::Sqlite(p) => sqlx::query(
                "UPDATE deals SET value_minor = 9223372036854775807 WHERE id = (SELECT id FROM deals WHERE value_minor < 9223372036854775807 LIMIT 1)",
            )
            .execute(p)
            .await
            .map(|_| ()),
            af_db::Db::Pg(p) => sqlx::query(
                "UPDATE deals SET value_minor = 9223372036854775807 WHERE id = (SELECT id FROM deals WHERE value_minor < 9223372036854775807 LIMIT 1)",
            )
            .execute(p)
            .await
            .map(|_| ()),
        }
        .expect("overflowing value");
        api.call(
            "POST",
            "/api/v1/deals",
            Some(json!({"contact_id": contact, "title": "more", "value": 1})),
        )
        .await;
    }
    let totals = af_db::deals::stage_totals(&t.app.db, t.a.ws.id, t.a.pipeline_id)
        .await
        .expect("totals never overflow");
    assert!(
        totals.iter().any(|(_, _, _, v)| *v > i128::from(i64::MAX)),
        "{totals:?}"
    );
    let b = t.app.browser();
    b.login(&t.a.member_email, af_testkit::PASSWORD).await;
    assert_eq!(
        b.get(&format!("/pipelines/{}", t.a.pipeline_id))
            .await
            .status,
        200
    );
    assert_eq!(
        b.get(&format!("/pipelines/{}/summary", t.a.pipeline_id))
            .await
            .status,
        200
    );
}
