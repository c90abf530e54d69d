//! Signing in and out, password reset, invitations, CSRF and the login rate
//! limit, through real HTTP against a real database.

use af_testkit::fakes::Receiver;
use af_testkit::{PASSWORD, Tenant, TestApp, tenant, testid_value, two_workspaces};
use jiff::SignedDuration;

#[tokio::test]
async fn sign_in_reaches_the_dashboard_and_sign_out_ends_the_session() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    let anon = b.get("/dashboard").await;
    assert_eq!(anon.status, 303);
    assert_eq!(anon.location.as_deref(), Some("/login?next=%2Fdashboard"));

    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("email", &t.a.owner_email),
                ("password", PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(
        (res.status, res.location.as_deref()),
        (303, Some("/settings"))
    );
    let cookie = res
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        cookie.contains("af_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-http base URL: no Secure flag"
    );

    let dash = b.get("/dashboard").await;
    assert_eq!(dash.status, 200);
    assert!(
        dash.contains("alpha agency") && dash.contains("Panel"),
        "Spanish shell for an es workspace"
    );

    let out = b.post("/logout", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
    assert_eq!(b.get("/dashboard").await.status, 303, "session gone");
}

#[tokio::test]
async fn open_redirects_are_refused_after_sign_in() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("email", &t.a.owner_email),
                ("password", PASSWORD),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(res.location.as_deref(), Some("/dashboard"));
}

#[tokio::test]
async fn wrong_password_is_refused_and_audited_then_rate_limited() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[("email", &t.a.owner_email), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(res.status, 401);
    assert!(res.contains("Correo o contraseña incorrectos"));
    let unknown = b
        .post(
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(
        unknown.status, 401,
        "unknown email answers exactly like a wrong password"
    );
    assert!(unknown.contains("Correo o contraseña incorrectos"));

    // Each guess waits out the doubling delay (injected clock), so every
    // one is checked and audited until the per-address cap is reached.
    for _ in 0..4 {
        t.app.clock.advance(SignedDuration::from_mins(1));
        let res = b
            .post(
                "/login",
                &[("email", &t.a.owner_email), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(res.status, 401);
    }
    let limited = b
        .post(
            "/login",
            &[("email", &t.a.owner_email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        limited.status, 429,
        "even the right password waits once the limit is hit"
    );
    assert!(limited.headers.get("retry-after").is_some());

    // The window passes (injected clock): the right password works again.
    t.app.clock.advance(SignedDuration::from_mins(16));
    let ok = b
        .post(
            "/login",
            &[("email", &t.a.owner_email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status, 303);

    let count: i64 = match &t.app.db {
        af_db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
                .fetch_one(p)
                .await
        }
        af_db::Db::Pg(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.login_failed'")
                .fetch_one(p)
                .await
        }
    }
    .expect("count");
    assert!(count >= 6, "failed logins are audited: {count}");
}

#[tokio::test]
async fn state_changes_without_a_valid_csrf_token_are_refused() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.login(&t.a.owner_email, PASSWORD).await;
    b.get("/settings/api-keys").await;

    let no_token = b
        .post_raw("/settings/api-keys", &[("name", "sneaky")])
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        no_token.contains("El formulario caducó"),
        "{}",
        no_token.body
    );
    let wrong = b
        .post_raw(
            "/settings/api-keys",
            &[("name", "sneaky"), ("_csrf", "forged")],
        )
        .await;
    assert_eq!(wrong.status, 403);

    // A valid token from a cross-site page is refused by fetch metadata.
    let page = b.get("/settings/api-keys").await;
    let token = af_testkit::csrf_from(&page.body).expect("token");
    let cross = b
        .client
        .post(t.app.url("/settings/api-keys"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "sneaky"), ("_csrf", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(cross.status().as_u16(), 403);
    let other_origin = b
        .client
        .post(t.app.url("/settings/api-keys"))
        .header("origin", "https://evil.example")
        .form(&[("name", "sneaky"), ("_csrf", token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(other_origin.status().as_u16(), 403);

    let keys = af_db::api_keys::list_api_keys(&t.app.db, t.a.ws.id)
        .await
        .expect("keys");
    assert!(
        keys.iter().all(|k| k.name != "sneaky"),
        "nothing was created"
    );

    // The same request with the header htmx sends goes through.
    let ok = b
        .client
        .post(t.app.url("/settings/api-keys"))
        .header("x-csrf-token", token.as_str())
        .header("origin", t.app.base_url.as_str())
        .form(&[("name", "legit")])
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status().as_u16(), 303);
}

/// A server whose system mail goes through a fake SendGrid (the server's
/// provider), with two tenants on it.
async fn mail_server() -> (TestApp, Tenant, Tenant, Receiver) {
    let sendgrid = Receiver::start(202).await;
    let app = TestApp::spawn_with(|c| {
        let mut ch = af_engine::channels::ChannelsConfig::default();
        ch.providers.sendgrid_api_key = Some(af_channels::Secret::new("SG.test-key"));
        ch.providers.sendgrid_api_base = format!("http://127.0.0.1:{}", sendgrid.port);
        ch.providers.email_from = Some("no-reply@agencyflow.test".into());
        c.channels = std::sync::Arc::new(ch);
    })
    .await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "bravo").await;
    (app, a, b, sendgrid)
}

/// The links in the system mail SendGrid received for `to`, oldest first.
fn mailed_links(sendgrid: &Receiver, to: &str, marker: &str) -> Vec<String> {
    sendgrid
        .received()
        .iter()
        .filter(|r| r.path == "/v3/mail/send")
        .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
        .filter(|v| v["personalizations"][0]["to"][0]["email"] == to)
        .filter_map(|v| {
            let text = v["content"][0]["value"].as_str()?.to_string();
            text.split_whitespace()
                .find(|w| w.contains(marker))
                .map(str::to_string)
        })
        .collect()
}

/// Nothing a member or an API key can read carries a secret link.
async fn assert_no_link_readable_by_members(app: &TestApp, t: &Tenant, marker: &str) {
    let member = app.browser();
    member.login(&t.member_email, PASSWORD).await;
    let page = member.get("/messages").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(marker),
        "the Messages page shows no {marker} link"
    );
    let api = app
        .http()
        .get(app.url("/api/v1/messages?limit=100"))
        .bearer_auth(&t.api_key)
        .send()
        .await
        .expect("api");
    let body = api.text().await.expect("body");
    assert!(
        !body.contains(marker),
        "the messages API shows no {marker} link"
    );
    let mails = af_db::messages::list_messages(&app.db, t.ws.id, 500)
        .await
        .expect("messages");
    assert!(
        mails.iter().all(|m| !m.body_text.contains(marker)),
        "no workspace outbox holds a {marker} link"
    );
}

#[tokio::test]
async fn password_reset_by_emailed_link_works_once_and_ends_old_sessions() {
    let (app, a, _b, sendgrid) = mail_server().await;
    let worker = app.engine_worker();
    let old = app.browser();
    old.login(&a.member_email, PASSWORD).await;

    let b = app.browser();
    b.get("/password/forgot").await;
    let res = b
        .post(
            "/password/forgot",
            &[("email", &a.member_email.to_uppercase())],
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(res.contains("Si existe una cuenta"));
    let unknown = b
        .post("/password/forgot", &[("email", "ghost@example.com")])
        .await;
    assert_eq!(
        unknown.body, res.body,
        "an unknown email gets exactly the same answer"
    );

    // The link travels sealed in the queue, then by the server's provider.
    let queued: Vec<String> = match &app.db {
        af_db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'system_mail'")
                .fetch_all(p)
                .await
                .expect("jobs")
        }
        af_db::Db::Pg(p) => {
            sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'system_mail'")
                .fetch_all(p)
                .await
                .expect("jobs")
        }
    };
    assert_eq!(queued.len(), 1, "one mail, for the account that exists");
    assert!(!queued[0].contains("/password/reset/"), "sealed at rest");
    app.run_jobs(&worker).await;
    let links = mailed_links(&sendgrid, &a.member_email, "/password/reset/");
    assert_eq!(links.len(), 1, "{:?}", sendgrid.received());
    let path = links[0]
        .strip_prefix(&app.base_url)
        .expect("absolute link on the base URL")
        .to_string();
    assert_no_link_readable_by_members(&app, &a, "/password/reset/").await;

    assert_eq!(b.get(&path).await.status, 200);
    let short = b.post(&path, &[("password", "short")]).await;
    assert_eq!(short.status, 422);
    let done = b.post(&path, &[("password", "a brand new password")]).await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/login?notice=password_changed"))
    );
    assert_eq!(
        b.post(&path, &[("password", "another new password")])
            .await
            .status,
        404,
        "single use"
    );
    assert_eq!(
        old.get("/dashboard").await.status,
        303,
        "the old session was ended"
    );
    b.login(&a.member_email, "a brand new password").await;

    // A newer link voids the older one; expired links do not work.
    b.get("/password/forgot").await;
    b.post("/password/forgot", &[("email", &a.owner_email)])
        .await;
    b.post("/password/forgot", &[("email", &a.owner_email)])
        .await;
    app.run_jobs(&worker).await;
    let links = mailed_links(&sendgrid, &a.owner_email, "/password/reset/");
    assert_eq!(links.len(), 2);
    let first = links[0]
        .strip_prefix(&app.base_url)
        .expect("base")
        .to_string();
    let second = links[1]
        .strip_prefix(&app.base_url)
        .expect("base")
        .to_string();
    assert_eq!(b.get(&first).await.status, 404, "voided by the newer link");
    assert_eq!(b.get(&second).await.status, 200);
    app.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(b.get(&second).await.status, 404, "expired");
}

#[tokio::test]
async fn without_an_email_provider_reset_links_reach_no_workspace() {
    let t = two_workspaces().await;
    // The member of a client workspace asks for the owner's reset link.
    let b = t.app.browser();
    b.get("/password/forgot").await;
    let res = b
        .post("/password/forgot", &[("email", &t.a.owner_email)])
        .await;
    assert_eq!(res.status, 200);
    assert_no_link_readable_by_members(&t.app, &t.a, "/password/reset/").await;
    // The operator can still hand one out (and it works).
    let link = af_service::provision::reset_link_for(
        &t.app.db,
        &t.a.owner_email,
        &t.app.base_url,
        t.app.now(),
    )
    .await
    .expect("link");
    let path = link
        .strip_prefix(&t.app.base_url)
        .expect("base")
        .to_string();
    assert_eq!(b.get(&path).await.status, 200);
}

#[tokio::test]
async fn reset_requests_are_rate_limited_per_email_and_per_address() {
    let t = two_workspaces().await;
    let b = t.app.browser();
    b.get("/password/forgot").await;
    for _ in 0..3 {
        let r = b
            .post("/password/forgot", &[("email", &t.a.owner_email)])
            .await;
        assert_eq!(r.status, 200);
    }
    let limited = b
        .post("/password/forgot", &[("email", &t.a.owner_email)])
        .await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.get("retry-after").is_some());
    // Unknown addresses are counted the same way (no account oracle).
    for _ in 0..3 {
        b.post("/password/forgot", &[("email", "ghost@example.com")])
            .await;
    }
    assert_eq!(
        b.post("/password/forgot", &[("email", "ghost@example.com")])
            .await
            .status,
        429
    );
    // Per address: many emails from one address hit the cap too.
    let mut last = 0;
    for i in 0..20 {
        last = b
            .post(
                "/password/forgot",
                &[("email", &format!("x{i}@example.com"))],
            )
            .await
            .status;
    }
    assert_eq!(last, 429);
    t.app.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(
        b.post("/password/forgot", &[("email", &t.a.owner_email)])
            .await
            .status,
        200,
        "the window passes"
    );
}

#[tokio::test]
async fn invitation_link_lets_a_new_person_join_with_the_invited_role() {
    let (app, a, other_tenant, sendgrid) = mail_server().await;
    let worker = app.engine_worker();
    let admin = app.browser();
    admin.login(&a.owner_email, PASSWORD).await;
    admin.get("/settings/members").await;
    let res = admin
        .post(
            "/settings/members/invite",
            &[("email", "Nueva@Example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status, 200);
    let link = testid_value(&res.body, "invite-link").expect("invite link shown to the inviter");
    let path = link
        .strip_prefix(&app.base_url)
        .expect("absolute")
        .to_string();
    app.run_jobs(&worker).await;
    assert_eq!(
        mailed_links(&sendgrid, "Nueva@example.com", "/invite/"),
        vec![link.clone()],
        "mailed by the server's provider"
    );
    assert_no_link_readable_by_members(&app, &a, "/invite/").await;

    let guest = app.browser();
    let page = guest.get(&path).await;
    assert!(
        page.contains("alpha agency") && page.contains("Administrador"),
        "{}",
        page.body
    );
    let joined = guest
        .post(
            &path,
            &[("name", "Nueva Persona"), ("password", "guest password 1")],
        )
        .await;
    assert_eq!(
        (joined.status, joined.location.as_deref()),
        (303, Some("/dashboard"))
    );
    let dash = guest.get("/dashboard").await;
    assert!(dash.contains("Nueva Persona") && dash.contains("Administrador"));

    assert_eq!(
        app.browser().get(&path).await.status,
        404,
        "an accepted invitation cannot be reused"
    );

    // An existing account must sign in first, then joins with one click.
    admin.get("/settings/members").await;
    let res = admin
        .post(
            "/settings/members/invite",
            &[("email", &other_tenant.owner_email), ("role", "member")],
        )
        .await;
    let first = testid_value(&res.body, "invite-link")
        .expect("link")
        .replace(&app.base_url, "");
    // Inviting again replaces the pending invitation: only the new link works.
    admin.get("/settings/members").await;
    let res = admin
        .post(
            "/settings/members/invite",
            &[("email", &other_tenant.owner_email), ("role", "member")],
        )
        .await;
    let path = testid_value(&res.body, "invite-link")
        .expect("link")
        .replace(&app.base_url, "");
    assert_eq!(app.browser().get(&first).await.status, 404, "replaced");
    let other = app.browser();
    assert!(other.get(&path).await.contains("Inicia sesión con ella"));
    other.login(&other_tenant.owner_email, PASSWORD).await;
    other.get(&path).await;
    let r = other.post(&path, &[]).await;
    assert_eq!(r.status, 303);
    let role = af_db::workspaces::find_membership_role(&app.db, a.ws.id, {
        af_db::users::find_user_by_email(&app.db, &other_tenant.owner_email)
            .await
            .expect("q")
            .expect("user")
            .id
    })
    .await
    .expect("role");
    assert_eq!(role, Some(af_core::Role::Member));
}

/// Posts the sign-in form from the client address `ip` (the server trusts
/// `X-Forwarded-For` in this test); answers the status.
async fn login_from(
    app: &TestApp,
    b: &af_testkit::Browser,
    email: &str,
    password: &str,
    ip: &str,
) -> u16 {
    let token = af_testkit::csrf_from(&b.get("/login").await.body).unwrap_or_default();
    b.client
        .post(app.url("/login"))
        .header("x-forwarded-for", ip)
        .header("origin", app.base_url.as_str())
        .form(&[
            ("email", email),
            ("password", password),
            ("_csrf", token.as_str()),
        ])
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_owner_signs_in_during_a_password_guessing_attack() {
    let app = TestApp::spawn_with(|c| c.trust_forwarded_for = true).await;
    let a = tenant(&app, "alpha").await;
    let attacker = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            login_from(
                &app,
                &attacker,
                &a.owner_email,
                "wrong password!",
                "203.0.113.9",
            )
            .await,
        );
        app.clock.advance(SignedDuration::from_secs(1));
    }
    assert!(
        statuses.contains(&429),
        "the attacker is throttled: {statuses:?}"
    );
    assert!(!statuses.contains(&500));
    assert_eq!(
        login_from(&app, &attacker, &a.owner_email, PASSWORD, "203.0.113.9").await,
        429,
        "the right password does not help the guessing address"
    );
    // The owner, from her own address, signs in with the right password.
    let owner = app.browser();
    assert_eq!(
        login_from(&app, &owner, &a.owner_email, PASSWORD, "198.51.100.7").await,
        303,
        "not locked out"
    );
}

#[tokio::test]
async fn next_never_leaves_the_origin_nor_fails() {
    let t = two_workspaces().await;
    let hostile = [
        "/\t/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "//evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/a\nb",
        "/a\r\nLocation: //evil.example",
        "/a\0b",
        "/a\x0bb",
        "/a\x7fb",
        "/ /evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/\u{202e}evil",
        "",
    ];
    for next in hostile {
        let b = t.app.browser();
        b.get("/login").await;
        let res = b
            .post(
                "/login",
                &[
                    ("email", &t.a.owner_email),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "next={next:?}: {}", res.body);
        let to = res.location.clone().unwrap_or_default();
        assert!(
            to.starts_with('/')
                && !to.starts_with("//")
                && to.bytes().all(|c| c.is_ascii_graphic()),
            "next={next:?} went to {to:?}"
        );
        assert!(
            to == "/dashboard" || to == next,
            "next={next:?} went to {to:?}"
        );
    }
    let b = t.app.browser();
    b.get("/login").await;
    let res = b
        .post(
            "/login",
            &[
                ("email", &t.a.owner_email),
                ("password", PASSWORD),
                ("next", "/contacts?q=ana"),
            ],
        )
        .await;
    assert_eq!(
        res.location.as_deref(),
        Some("/contacts?q=ana"),
        "a real path is kept"
    );
}

#[tokio::test]
async fn secure_cookie_when_base_url_is_https() {
    let app = TestApp::spawn_with(|c| {
        c.base_url = "https://crm.example.com".into();
        c.secure_cookies = true;
    })
    .await;
    let _t = tenant(&app, "gamma").await;
    let res = app.browser().get("/login").await;
    let cookie = res
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}
