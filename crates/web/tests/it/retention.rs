//! Retention alerts through real HTTP on a real database (issue 18), on
//! the backend chosen by `AF_TEST_BACKEND`: the API's rules (201, 422 with
//! nothing stored), the check, the filtered list with history and cursor
//! pages, PATCH transitions; and the pages: the list with its counts and
//! chart, an htmx action swapping the card, the rules tab (members read
//! only, bad input refused in the page's language) and the contact page's
//! open alerts.

use af_testkit::{Api, Browser, PASSWORD, TwoTenants, csrf_from, two_workspaces};
use serde_json::json;

#[tokio::test]
async fn retention_through_the_api() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let (status, rules) = api.call("GET", "/api/v1/retention/rules", None).await;
    assert_eq!(status, 200, "{rules}");
    assert_eq!(
        rules["data"].as_array().map(Vec::len),
        Some(3),
        "the seed's rules"
    );

    let (status, bad) = api
        .call(
            "POST",
            "/api/v1/retention/rules",
            Some(json!({"type": "no_attendance", "risk": 170})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    let (_, after) = api.call("GET", "/api/v1/retention/rules", None).await;
    assert_eq!(after["data"], rules["data"], "nothing stored");
    let (status, created) = api
        .call(
            "POST",
            "/api/v1/retention/rules",
            Some(json!({"type": "no_attendance", "days": 14, "risk": 70,
                "escalations": [{"days": 30, "risk": 90}], "notify": "email"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["escalations"][0]["risk"], 90);
    let rule = created["id"].as_str().expect("id").to_string();
    let (status, patched) = api
        .call(
            "PATCH",
            &format!("/api/v1/retention/rules/{rule}"),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!((status, patched["active"].clone()), (200, json!(false)));

    let (status, out) = api.call("POST", "/api/v1/retention/check", None).await;
    assert_eq!(status, 200, "{out}");
    for k in ["opened", "escalated", "resolved"] {
        assert!(out[k].is_number(), "{k} in {out}");
    }

    // The fixture's absence is an open alert with its history.
    let (status, list) = api
        .call(
            "GET",
            "/api/v1/retention/alerts?status=open&type=no_attendance&min_risk=50",
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    let alert = list["data"][0].clone();
    assert_eq!(alert["contact_id"], t.a.contact_id.to_string());
    assert_eq!(alert["risk"], 70);
    assert_eq!(alert["history"][0]["action"], "opened");
    assert!(list["counts"]["open"].as_i64().unwrap_or(0) >= 1);
    let id = alert["id"].as_str().expect("id").to_string();

    for bad in [
        "min_risk=abc",
        "status=archived",
        "type=nope",
        "assignee=me",
        "cursor=zzz",
    ] {
        let (status, body) = api
            .call("GET", &format!("/api/v1/retention/alerts?{bad}"), None)
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }

    let path = format!("/api/v1/retention/alerts/{id}");
    let member = t.a.member_id.to_string();
    let (status, assigned) = api
        .call("PATCH", &path, Some(json!({"assignee_id": member})))
        .await;
    assert_eq!(
        (status, assigned["assignee_id"].clone()),
        (200, json!(member))
    );
    let (status, _) = api
        .call(
            "GET",
            &format!("/api/v1/retention/alerts?assignee={member}&status=active"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, moving) = api
        .call("PATCH", &path, Some(json!({"status": "IN_PROGRESS"})))
        .await;
    assert_eq!(
        (status, moving["status"].clone()),
        (200, json!("in_progress"))
    );
    let (status, refused) = api
        .call("PATCH", &path, Some(json!({"status": "bogus"})))
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, refused) = api
        .call(
            "PATCH",
            &path,
            Some(json!({"assignee_id": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let (status, done) = api
        .call(
            "PATCH",
            &path,
            Some(json!({"status": "resolved", "note": "Volvió a clase"})),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "resolved");
    let notes: Vec<String> = done["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|h| h["note"].as_str().map(str::to_string))
        .collect();
    assert_eq!(notes, vec!["Volvió a clase".to_string()]);
    let (status, _) = api
        .call("PATCH", &path, Some(json!({"status": "dismissed"})))
        .await;
    assert_eq!(status, 409, "a resolved alert is not dismissed");

    // Pages of one.
    let (_, all) = api
        .call("GET", "/api/v1/retention/alerts?status=all&limit=1", None)
        .await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(1));
    if let Some(next) = all["next_cursor"].as_str() {
        let (status, second) = api
            .call(
                "GET",
                &format!("/api/v1/retention/alerts?status=all&limit=1&cursor={next}"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_ne!(second["data"][0]["id"], all["data"][0]["id"]);
    }
}

async fn sign_in(t: &TwoTenants, email: &str, lang: &str) -> (Browser, String) {
    let b = t.app.browser();
    b.login(email, PASSWORD).await;
    b.get("/settings/profile").await;
    assert_eq!(b.post("/language", &[("lang", lang)]).await.status, 303);
    let page = b.get("/contacts/retention").await;
    let token = csrf_from(&page.body).expect("token");
    (b, token)
}

#[tokio::test]
async fn retention_pages() {
    let t = two_workspaces().await;
    let (owner, token) = sign_in(&t, &t.a.owner_email, "es").await;
    let page = owner.get("/contacts/retention").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Sin asistencia"), "the fixture's alert");
    assert!(page.contains("data-testid=\"alerts-chart\""));
    assert!(page.contains("Riesgo 70 de 100"));
    let contact = owner.get(&format!("/contacts/{}", t.a.contact_id)).await;
    assert!(contact.contains("data-testid=\"contact-retention-alerts\""));
    assert!(contact.contains("Alertas de retención"));
    let alert = af_db::retention::list_alerts(
        &t.app.db,
        t.a.ws.id,
        &af_db::retention::AlertFilter::default(),
        None,
        5,
    )
    .await
    .expect("alerts")[0]
        .id;

    // Take it (htmx swaps the card), then resolve it with a note.
    let path = format!("/contacts/retention/alerts/{alert}");
    let card = owner.hx_post(&path, &[("action", "take")]).await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert!(card.body.contains("Responsable: Owner"), "{}", card.body);
    let card = owner
        .hx_post(&path, &[("action", "resolve"), ("note", "Llamé y volvió")])
        .await;
    assert!(card.body.contains("Resuelta") && card.body.contains("Llamé y volvió"));
    // A resolved alert cannot be dismissed: the card says why.
    let refused = owner.hx_post(&path, &[("action", "dismiss")]).await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("role=\"alert\""));
    // Assigned to the member: it reaches the member's bell.
    let member_id = t.a.member_id.to_string();
    let reopened = owner.hx_post(&path, &[("action", "reopen")]).await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    let assigned = owner
        .hx_post(
            &path,
            &[("action", "assign"), ("assignee_id", member_id.as_str())],
        )
        .await;
    assert!(
        assigned.body.contains("Responsable: Member"),
        "{}",
        assigned.body
    );
    let bell = af_db::notifications::latest(&t.app.db, t.a.ws.id, t.a.member_id, 5)
        .await
        .expect("bell");
    assert!(
        bell.iter()
            .any(|n| n.kind == "retention_alert_assigned" && n.link.contains(&alert.to_string()))
    );
    let resolved = owner.hx_post(&path, &[("action", "resolve")]).await;
    assert_eq!(resolved.status, 200);
    let focused = owner
        .get(&format!("/contacts/retention?alert={alert}"))
        .await;
    assert!(
        focused.contains("ring-brand"),
        "the linked alert comes first"
    );

    // Check now: a plain post with a flash.
    let checked = owner
        .post("/contacts/retention/check", &[("_csrf", token.as_str())])
        .await;
    assert_eq!(checked.status, 303);

    // Rules: a member reads, an owner changes; bad input speaks Spanish.
    let (member, mtoken) = sign_in(&t, &t.a.member_email, "es").await;
    let rules = member.get("/contacts/retention/rules").await;
    assert!(rules.contains("data-testid=\"retention-read-only\""));
    let denied = member
        .post(
            "/contacts/retention/rules",
            &[
                ("_csrf", mtoken.as_str()),
                ("type", "payment_failed"),
                ("risk", "60"),
            ],
        )
        .await;
    assert_eq!(denied.status, 403);
    let bad = owner
        .post(
            "/contacts/retention/rules",
            &[
                ("_csrf", token.as_str()),
                ("type", "no_attendance"),
                ("days", ""),
                ("risk", "70"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("Indica los días"), "{}", bad.body);
    let before = af_db::retention::list_rules(&t.app.db, t.a.ws.id)
        .await
        .expect("rules")
        .len();
    let ok = owner
        .post(
            "/contacts/retention/rules",
            &[
                ("_csrf", token.as_str()),
                ("type", "high_cancellation_rate"),
                ("rate", "40"),
                ("window_days", "30"),
                ("risk", "60"),
                ("notify", "in_app"),
                ("quiet_days", "7"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        af_db::retention::list_rules(&t.app.db, t.a.ws.id)
            .await
            .expect("rules")
            .len(),
        before + 1
    );
    let saved = owner
        .post(
            "/contacts/retention/settings",
            &[
                ("_csrf", token.as_str()),
                ("check_hour", "8"),
                ("duty", member_id.as_str()),
            ],
        )
        .await;
    assert_eq!(saved.status, 303);
    let members = af_db::workspaces::list_members(&t.app.db, t.a.ws.id)
        .await
        .expect("members");
    assert!(
        members
            .iter()
            .any(|m| m.user_id == t.a.member_id && m.retention_duty)
    );

    // English, and the contact page's section.
    let (en, _) = sign_in(&t, &t.a.owner_email, "en").await;
    let list = en.get("/contacts/retention?status=all").await;
    assert!(list.contains("No attendance") && list.contains("Resolved"));
}
