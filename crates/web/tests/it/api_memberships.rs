//! The memberships API (issue 17), on the backend chosen by
//! `AF_TEST_BACKEND`: 201 then 200 by external id, 422 with fields and
//! nothing stored, filters and cursor pages, PATCH transitions, and the
//! contact page's section.

use af_testkit::{Api, Browser, two_workspaces};
use serde_json::json;

#[tokio::test]
async fn memberships_through_the_api() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let (_, before) = api.call("GET", "/api/v1/memberships", None).await;
    let seeded = before["data"].as_array().map(Vec::len).unwrap_or(0);

    let (status, body) = api
        .call(
            "POST",
            "/api/v1/memberships",
            Some(
                json!({"email": "x@example.com", "plan": "", "status": "frozen",
                "starts_at": "ayer", "amount": 1.5}),
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields = body["error"]["fields"].to_string();
    for f in ["plan", "status", "starts_at", "amount"] {
        assert!(fields.contains(f), "{f} in {body}");
    }
    let (_, after) = api.call("GET", "/api/v1/memberships", None).await;
    assert_eq!(after["data"], before["data"], "nothing stored");

    let new = json!({"email": "socia@example.com", "plan": "Mensual", "status": "trial",
        "starts_at": "2026-03-01", "ends_at": "2026-04-01", "amount": 45000,
        "currency": "MXN", "external_id": "sub_9"});
    let (status, created) = api
        .call("POST", "/api/v1/memberships", Some(new.clone()))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "trial");
    let id = created["id"].as_str().expect("id").to_string();
    let mut renewal = new.clone();
    renewal["status"] = json!("active");
    renewal["ends_at"] = json!("2026-05-01T00:00:00Z");
    let (status, updated) = api.call("POST", "/api/v1/memberships", Some(renewal)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["status"], "active");

    let (status, got) = api
        .call("GET", &format!("/api/v1/memberships/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(got["plan"], "Mensual");
    let contact = got["contact_id"].as_str().expect("contact").to_string();
    let (status, patched) = api
        .call(
            "PATCH",
            &format!("/api/v1/memberships/{id}"),
            Some(json!({"status": "past_due"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["status"], "past_due");
    let (status, bad) = api
        .call(
            "PATCH",
            &format!("/api/v1/memberships/{id}"),
            Some(json!({"ends_at": "2020-01-01"})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad["error"]["fields"].to_string().contains("ends_at"));

    // Filters and pages.
    let (_, mine) = api
        .call(
            "GET",
            &format!("/api/v1/memberships?contact_id={contact}"),
            None,
        )
        .await;
    assert_eq!(mine["data"].as_array().map(Vec::len), Some(1));
    let (_, due) = api
        .call("GET", "/api/v1/memberships?status=past_due", None)
        .await;
    assert_eq!(due["data"][0]["id"], created["id"]);
    let (_, page1) = api.call("GET", "/api/v1/memberships?limit=1", None).await;
    assert_eq!(page1["data"].as_array().map(Vec::len), Some(1));
    let cursor = page1["next_cursor"].as_str().expect("a next page");
    let (_, page2) = api
        .call(
            "GET",
            &format!("/api/v1/memberships?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(page2["data"].as_array().map(Vec::len), Some(1));
    assert_ne!(page1["data"][0]["id"], page2["data"][0]["id"]);
    assert_eq!(seeded + 1, 2, "one seeded membership plus this one");
    let (status, _) = api
        .call("GET", "/api/v1/memberships?status=frozen", None)
        .await;
    assert_eq!(status, 422);

    // Another workspace's key: 404.
    let other = Api::of(&t.app, &t.b);
    let (status, _) = other
        .call("GET", &format!("/api/v1/memberships/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_contact_page_lists_adds_and_changes_memberships() {
    let t = two_workspaces().await;
    let b = Browser::new(&t.app.base_url);
    b.login(&t.a.owner_email, &t.a.password).await;
    let page = b.get(&format!("/contacts/{}", t.a.contact_id)).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Membresías"), "the section in Spanish");
    assert!(page.contains("Mensual") && page.contains("Activa"));
    let added = b
        .post(
            &format!("/contacts/{}/memberships", t.a.contact_id),
            &[
                ("plan", "Anual"),
                ("status", "trial"),
                ("starts", "2026-03-01"),
                ("ends", "2027-03-01"),
                ("amount", "4500.50"),
                ("currency", "MXN"),
            ],
        )
        .await;
    assert!(added.status < 400, "{}", added.status);
    let page = b.get(&format!("/contacts/{}", t.a.contact_id)).await;
    assert!(page.contains("Anual") && page.contains("Prueba"));
    assert!(
        page.contains("$4,500.50 MXN"),
        "formatted with af_core::money"
    );
    let refused = b
        .post(
            &format!("/contacts/{}/memberships", t.a.contact_id),
            &[("plan", ""), ("amount", "-3"), ("currency", "MXN")],
        )
        .await;
    assert_eq!(refused.status, 422);
    let id = t.a.ids["memberships.membership_id"].clone();
    let cancelled = b
        .post(
            &format!("/contacts/{}/memberships/{id}", t.a.contact_id),
            &[("action", "cancel")],
        )
        .await;
    assert!(cancelled.status < 400, "{}", cancelled.status);
    let api = Api::of(&t.app, &t.a);
    let (_, m) = api
        .call("GET", &format!("/api/v1/memberships/{id}"), None)
        .await;
    assert_eq!(m["status"], "cancelled");
}
