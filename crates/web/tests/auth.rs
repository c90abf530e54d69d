//! Signing in and out, password reset, invitations, CSRF and the login rate
//! limit, through real HTTP against a real database.

use af_testkit::{PASSWORD, TestApp, tenant, testid_value, two_workspaces};
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

    for _ in 0..4 {
        b.post(
            "/login",
            &[("email", &t.a.owner_email), ("password", "wrong password!")],
        )
        .await;
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

#[tokio::test]
async fn password_reset_by_emailed_link_works_once_and_ends_old_sessions() {
    let t = two_workspaces().await;
    let old = t.app.browser();
    old.login(&t.a.member_email, PASSWORD).await;

    let b = t.app.browser();
    b.get("/password/forgot").await;
    let res = b
        .post(
            "/password/forgot",
            &[("email", &t.a.member_email.to_uppercase())],
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

    // The email is in the workspace's built-in outbox.
    let mails = af_db::messages::list_messages(&t.app.db, t.a.ws.id, 10)
        .await
        .expect("messages");
    let mail = mails
        .iter()
        .find(|m| m.to_address == t.a.member_email)
        .expect("reset email in outbox");
    let link = mail
        .body_text
        .lines()
        .find(|l| l.contains("/password/reset/"))
        .expect("link")
        .trim()
        .to_string();
    let path = link
        .strip_prefix(&t.app.base_url)
        .expect("absolute link on the base URL")
        .to_string();

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
    b.login(&t.a.member_email, "a brand new password").await;

    // Expired links do not work.
    b.get("/password/forgot").await;
    b.post("/password/forgot", &[("email", &t.a.owner_email)])
        .await;
    let mails = af_db::messages::list_messages(&t.app.db, t.a.ws.id, 10)
        .await
        .expect("messages");
    let mail = mails
        .iter()
        .find(|m| m.to_address == t.a.owner_email)
        .expect("second email");
    let link = mail
        .body_text
        .lines()
        .find(|l| l.contains("/password/reset/"))
        .expect("link")
        .trim()
        .to_string();
    t.app.clock.advance(SignedDuration::from_mins(61));
    assert_eq!(
        b.get(link.strip_prefix(&t.app.base_url).expect("base"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn invitation_link_lets_a_new_person_join_with_the_invited_role() {
    let t = two_workspaces().await;
    let admin = t.app.browser();
    admin.login(&t.a.owner_email, PASSWORD).await;
    admin.get("/settings/members").await;
    let res = admin
        .post(
            "/settings/members/invite",
            &[("email", "Nueva@Example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status, 200);
    let link = testid_value(&res.body, "invite-link").expect("invite link shown");
    let path = link
        .strip_prefix(&t.app.base_url)
        .expect("absolute")
        .to_string();
    let mails = af_db::messages::list_messages(&t.app.db, t.a.ws.id, 10)
        .await
        .expect("messages");
    assert!(
        mails
            .iter()
            .any(|m| m.to_address == "Nueva@example.com" && m.body_text.contains(&link))
    );

    let guest = t.app.browser();
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
        t.app.browser().get(&path).await.status,
        404,
        "an accepted invitation cannot be reused"
    );

    // An existing account must sign in first, then joins with one click.
    admin.get("/settings/members").await;
    let res = admin
        .post(
            "/settings/members/invite",
            &[("email", &t.b.owner_email), ("role", "member")],
        )
        .await;
    let path = testid_value(&res.body, "invite-link")
        .expect("link")
        .replace(&t.app.base_url, "");
    let other = t.app.browser();
    assert!(other.get(&path).await.contains("Inicia sesión con ella"));
    other.login(&t.b.owner_email, PASSWORD).await;
    other.get(&path).await;
    let r = other.post(&path, &[]).await;
    assert_eq!(r.status, 303);
    let role = af_db::workspaces::find_membership_role(&t.app.db, t.a.ws.id, {
        af_db::users::find_user_by_email(&t.app.db, &t.b.owner_email)
            .await
            .expect("q")
            .expect("user")
            .id
    })
    .await
    .expect("role");
    assert_eq!(role, Some(af_core::Role::Member));
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
