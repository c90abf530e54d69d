//! Who may do what: roles inside a workspace, API keys, and tenant
//! isolation (every id of another workspace answers 404).

use af_core::Role;
use af_testkit::{PASSWORD, Via, cross_workspace_routes, testid_value, two_workspaces};

#[tokio::test]
async fn every_id_route_answers_404_to_another_workspace() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    b.get("/dashboard").await;
    let http = t.app.http();
    for route in cross_workspace_routes(&t.b) {
        let status = match route.via {
            Via::Page => {
                let form: Vec<(&str, &str)> =
                    route.form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                match route.method {
                    "GET" => b.get(&route.path).await.status,
                    _ => b.post(&route.path, &form).await.status,
                }
            }
            Via::Api => http
                .request(
                    route.method.parse().expect("method"),
                    t.app.url(&route.path),
                )
                .bearer_auth(&t.a.api_key)
                .json(
                    &route
                        .form
                        .iter()
                        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                        .collect::<serde_json::Map<_, _>>(),
                )
                .send()
                .await
                .expect("request")
                .status()
                .as_u16(),
        };
        assert_eq!(
            status, 404,
            "{} {} answered {status} to workspace A",
            route.method, route.path
        );
    }
    // Nothing of B changed.
    let keys = af_db::api_keys::list_api_keys(&t.app.db, t.b.ws.id)
        .await
        .expect("keys");
    assert!(keys.iter().all(|k| k.revoked_at.is_none()));
    assert_eq!(
        af_db::workspaces::find_membership_role(&t.app.db, t.b.ws.id, t.b.member_id)
            .await
            .expect("r"),
        Some(Role::Member)
    );
    // And A's own ids work through the same routes (the 404s were not an accident).
    assert_eq!(
        b.get(&format!("/messages/{}", t.a.message_id)).await.status,
        200
    );
}

#[tokio::test]
async fn members_cannot_manage_and_admins_cannot_make_owners() {
    let t = two_workspaces().await;
    let member = t.app.browser();
    member.login(&t.a.member_email, PASSWORD).await;
    assert_eq!(
        member.get("/settings").await.location.as_deref(),
        Some("/settings/profile")
    );
    member.get("/settings/profile").await;
    assert_eq!(member.get("/settings/api-keys").await.status, 403);
    assert_eq!(
        member
            .post("/settings/api-keys", &[("name", "mine")])
            .await
            .status,
        403
    );
    assert_eq!(
        member.post("/settings", &[("name", "Hacked")]).await.status,
        403
    );
    let members_page = member.get("/settings/members").await;
    assert_eq!(
        members_page.status, 200,
        "members may see who is in the workspace"
    );
    assert!(!members_page.contains("/settings/members/invite"));

    // Promote the member to admin; an admin still cannot create owners.
    let owner = t.app.browser();
    owner.login(&t.a.owner_email, PASSWORD).await;
    owner.get("/settings/members").await;
    let r = owner
        .post(
            &format!("/settings/members/{}/role", t.a.member_id),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(r.status, 303);
    member.get("/settings/members").await;
    member
        .post(
            &format!("/settings/members/{}/role", t.a.member_id),
            &[("role", "owner")],
        )
        .await;
    let role = af_db::workspaces::find_membership_role(&t.app.db, t.a.ws.id, t.a.member_id)
        .await
        .expect("role");
    assert_eq!(
        role,
        Some(Role::Admin),
        "an admin cannot make anyone owner, not even themself"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_removed() {
    let t = two_workspaces().await;
    let owner = t.app.browser();
    owner.login(&t.a.owner_email, PASSWORD).await;
    owner.get("/settings/members").await;
    let me = af_db::users::find_user_by_email(&t.app.db, &t.a.owner_email)
        .await
        .expect("q")
        .expect("me")
        .id;
    owner
        .post(
            &format!("/settings/members/{me}/role"),
            &[("role", "member")],
        )
        .await;
    owner
        .post(&format!("/settings/members/{me}/remove"), &[])
        .await;
    let page = owner.get("/settings/members").await;
    assert!(
        page.contains("al menos un propietario"),
        "the refusal is explained"
    );
    assert_eq!(
        af_db::workspaces::find_membership_role(&t.app.db, t.a.ws.id, me)
            .await
            .expect("r"),
        Some(Role::Owner)
    );
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked() {
    let t = two_workspaces().await;
    let http = t.app.http();
    let url = t.app.url("/api/v1/workspace");
    let none = http.get(&url).send().await.expect("req");
    assert_eq!(none.status().as_u16(), 401);
    let body: serde_json::Value = none.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(
        http.get(&url)
            .bearer_auth("af_not_a_key")
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        401
    );

    let bearer: serde_json::Value = http
        .get(&url)
        .bearer_auth(&t.a.api_key)
        .send()
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    assert_eq!(bearer["slug"], "alpha");
    let header: serde_json::Value = http
        .get(&url)
        .header("x-api-key", &t.b.api_key)
        .send()
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    assert_eq!(header["slug"], "bravo");

    // Create a key in the UI: shown once, then only its prefix.
    let owner = t.app.browser();
    owner.login(&t.a.owner_email, PASSWORD).await;
    owner.get("/settings/api-keys").await;
    let created = owner
        .post("/settings/api-keys", &[("name", "Zapier")])
        .await;
    assert_eq!(
        created.location.as_deref(),
        Some("/settings/api-keys"),
        "post/redirect/get"
    );
    let shown = owner.get("/settings/api-keys").await;
    let key = testid_value(&shown.body, "new-api-key").expect("key shown");
    assert!(key.starts_with("af_"));
    let again = owner.get("/settings/api-keys").await;
    assert!(
        !again.contains(&key) && again.contains(&key[..11]),
        "later only the prefix is shown"
    );
    assert_eq!(
        http.get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        200
    );

    let list: serde_json::Value = http
        .get(t.app.url("/api/v1/api-keys"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("req")
        .json()
        .await
        .expect("json");
    let id = list
        .as_array()
        .expect("array")
        .iter()
        .find(|k| k["name"] == "Zapier")
        .expect("listed")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(
        list.to_string().find(&key).is_none(),
        "secrets are never listed"
    );
    assert!(
        list.as_array()
            .expect("array")
            .iter()
            .any(|k| !k["last_used_at"].is_null()),
        "use is recorded"
    );

    let revoked = owner
        .post(&format!("/settings/api-keys/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        http.get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        http.get(&url)
            .bearer_auth(&t.a.api_key)
            .send()
            .await
            .expect("req")
            .status()
            .as_u16(),
        200,
        "other keys unaffected"
    );
}

#[tokio::test]
async fn switching_workspaces_and_settings_validation() {
    let t = two_workspaces().await;
    // Make A's owner a member of B too.
    let now = t.app.now();
    af_service::provision::add_user(
        &t.app.db,
        &t.b.ws,
        &t.a.owner_email,
        None,
        PASSWORD,
        Role::Admin,
        now,
    )
    .await
    .expect("add");
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    assert!(b.get("/dashboard").await.contains("alpha agency"));
    b.post(
        "/workspaces/switch",
        &[("workspace_id", &t.b.ws.id.to_string())],
    )
    .await;
    let dash = b.get("/dashboard").await;
    assert!(
        dash.contains("<option value=\"".to_string().as_str()) && dash.contains("bravo agency")
    );
    assert_eq!(
        b.get(&format!("/messages/{}", t.b.message_id)).await.status,
        200,
        "B's data once working in B"
    );
    assert_eq!(
        b.get(&format!("/messages/{}", t.a.message_id)).await.status,
        404,
        "and no longer A's"
    );

    // The country is picked from a list of names, the workspace's selected.
    let settings = b.get("/settings").await;
    assert!(
        settings.contains(r#"<option value="MX" selected>México</option>"#)
            && settings.contains(r#"<option value="CO">Colombia</option>"#),
        "{}",
        settings.body
    );

    // Invalid settings: 422 with the field named, nothing saved.
    let bad = b
        .post(
            "/settings",
            &[
                ("name", "Bravo"),
                ("slug", "alpha"),
                ("time_zone", "Mars/Base"),
                ("locale", "es"),
                ("country", "MX"),
                ("brand_color", "#123456"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"time_zone\""));
    let taken = b
        .post(
            "/settings",
            &[
                ("name", "Bravo"),
                ("slug", "alpha"),
                ("time_zone", "Europe/Madrid"),
                ("locale", "en"),
                ("country", "es"),
                ("brand_color", "#123456"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422, "slug of another workspace");
    assert!(taken.contains("data-field-error=\"slug\""));
    let ok = b
        .post(
            "/settings",
            &[
                ("name", "Bravo MX"),
                ("slug", "bravo-mx"),
                ("time_zone", "Europe/Madrid"),
                ("locale", "en"),
                ("country", "es"),
                ("brand_color", "#123456"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    let ws = af_db::workspaces::find_workspace(&t.app.db, t.b.ws.id)
        .await
        .expect("q")
        .expect("ws");
    assert_eq!(
        (ws.slug.as_str(), ws.country.as_str(), ws.locale.as_str()),
        ("bravo-mx", "ES", "en")
    );
    let events = af_db::events::list_events(&t.app.db, t.b.ws.id, 5)
        .await
        .expect("events");
    let e = events
        .iter()
        .find(|e| e.kind == "workspace.updated")
        .expect("domain event written with the change");
    assert!(e.data.contains("\"old\"") && e.data.contains("bravo-mx"));
    assert!(
        b.get("/dashboard").await.contains("Dashboard"),
        "the shell follows the workspace's new language"
    );
}
