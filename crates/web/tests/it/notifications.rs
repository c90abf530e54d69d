//! The bell (issue 18) on the backend chosen by `AF_TEST_BACKEND`: a task
//! assigned from one member's session reaches the other's bell (through
//! the event's dispatch), the dropdown and the page in the reader's
//! language, opening and marking read; the API for the key's user with
//! keyset pages; preferences that stop email and the daily digest.

use af_core::UserId;
use af_core::crypto::new_api_key;
use af_db::api_keys::{KeyScope, insert_api_key};
use af_db::notifications::{self as store, digest};
use af_db::{Db, with_pool};
use af_testkit::{Api, Browser, Tenant, TestApp, two_workspaces};
use serde_json::json;

const NO_FIELDS: &[(&str, &str)] = &[];

async fn jobs_of(db: &Db, kind: &str) -> i64 {
    with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE kind = $1")
            .bind(kind).fetch_one(p).await.expect("count")
    })
}

/// An API key made by `user` (the key's user).
async fn key_of(app: &TestApp, t: &Tenant, user: UserId) -> Api {
    let k = new_api_key();
    let mut tx = app.db.begin().await.expect("tx");
    insert_api_key(
        &mut tx,
        t.ws.id,
        "member key",
        &k.prefix,
        &k.hash,
        KeyScope::Full,
        Some(user),
        app.now(),
    )
    .await
    .expect("key");
    tx.commit().await.expect("commit");
    let mut api = Api::of(app, t);
    api.key = k.key;
    api
}

async fn owner(app: &TestApp, t: &Tenant) -> Browser {
    let b = app.browser();
    b.login(&t.owner_email, &t.password).await;
    b
}

async fn member(app: &TestApp, t: &Tenant) -> Browser {
    let b = app.browser();
    b.login(&t.member_email, &t.password).await;
    b
}

/// The owner assigns a task to the member on the tenant's contact.
async fn assign_task(app: &TestApp, t: &Tenant, title: &str, due: &str) {
    let b = owner(app, t).await;
    b.get(&format!("/contacts/{}", t.contact_id)).await;
    let page = b
        .post(
            &format!("/contacts/{}/tasks", t.contact_id),
            &[
                ("title", title),
                ("due", due),
                ("assignee_id", &t.member_id.to_string()),
            ],
        )
        .await;
    assert!(page.status < 400, "{} {}", page.status, page.body);
    app.run_jobs(&app.engine_worker()).await;
}

#[tokio::test]
async fn an_assigned_task_rings_the_members_bell() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let m = member(app, a).await;
    let before = m.get("/dashboard").await;
    assert!(
        before.body.contains(r#"data-testid="bell-count-phone">1<"#),
        "seeded one"
    );

    let owner_id = af_db::users::find_user_by_email(&app.db, &a.owner_email)
        .await
        .expect("owner")
        .expect("owner")
        .id;
    assign_task(app, a, "Llamar a Lucía", "").await;
    assert_eq!(
        store::unread_count(&app.db, a.ws.id, a.member_id)
            .await
            .expect("n"),
        2
    );
    // The other workspace's member heard nothing.
    assert_eq!(
        store::unread_count(&app.db, t.b.ws.id, t.b.member_id)
            .await
            .expect("n"),
        1
    );
    // The owner assigned it: not in the owner's bell (the seed's own
    // task for the owner is).
    let owners = store::latest(&app.db, a.ws.id, owner_id, 50)
        .await
        .expect("owner's");
    assert!(
        !owners.iter().any(|n| n.params.contains("Llamar a Lucía")),
        "{owners:?}"
    );

    let page = m.get("/dashboard").await;
    assert!(page.body.contains(r#"data-testid="bell-count-laptop">2<"#));
    let menu = m.get("/notifications/menu?next=/dashboard").await;
    assert_eq!(menu.status, 200);
    assert!(
        menu.contains("Nueva tarea para ti: Llamar a Lucía · Lucía Gómez"),
        "{}",
        menu.body
    );
    assert!(!menu.body.contains("task_assigned"), "no codes");

    // In English for a member who reads English.
    m.post("/settings/profile", &[("name", "Member"), ("locale", "en")])
        .await;
    let page = m.get("/notifications").await;
    assert!(
        page.contains("New task for you: Llamar a Lucía"),
        "{}",
        page.body
    );

    // Opening one marks it read and goes to its subject.
    let newest = store::latest(&app.db, a.ws.id, a.member_id, 1)
        .await
        .expect("latest")[0]
        .id;
    let open = m
        .post(&format!("/notifications/{newest}/open"), NO_FIELDS)
        .await;
    assert_eq!(open.status, 303);
    assert_eq!(
        open.location.as_deref(),
        Some(format!("/contacts/{}", a.contact_id).as_str())
    );
    assert_eq!(
        store::unread_count(&app.db, a.ws.id, a.member_id)
            .await
            .expect("n"),
        1
    );

    // Mark all read: one click, back where one was.
    m.get("/notifications").await;
    let all = m
        .post("/notifications/read-all", &[("next", "/contacts")])
        .await;
    assert_eq!(all.location.as_deref(), Some("/contacts"));
    assert_eq!(
        store::unread_count(&app.db, a.ws.id, a.member_id)
            .await
            .expect("n"),
        0
    );
    // Never somewhere else.
    m.get("/notifications").await;
    let all = m
        .post(
            "/notifications/read-all",
            &[("next", "https://evil.example")],
        )
        .await;
    assert_eq!(all.location.as_deref(), Some("/notifications"));
}

#[tokio::test]
async fn the_api_reads_the_keys_users_notifications() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    for i in 0..4 {
        app.clock.advance(jiff::SignedDuration::from_secs(60));
        assign_task(app, a, &format!("Tarea {i}"), "").await;
    }
    let api = key_of(app, a, a.member_id).await;
    let (status, body) = api
        .call("GET", "/api/v1/notifications?unread=true&limit=3", None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unread_count"], 5);
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 3);
    assert_eq!(data[0]["kind"], "task_assigned");
    assert_eq!(data[0]["params"]["title"], "Tarea 3");
    assert!(
        data[0]["text"]
            .as_str()
            .is_some_and(|s| s.contains("Tarea 3"))
    );
    let cursor = body["next_cursor"].as_str().expect("more").to_string();
    let (_, rest) = api
        .call(
            "GET",
            &format!("/api/v1/notifications?unread=true&limit=3&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["data"].as_array().map(Vec::len), Some(2));
    assert!(rest["next_cursor"].is_null());

    let first = data[0]["id"].as_str().expect("id").to_string();
    let (status, marked) = api
        .call(
            "POST",
            "/api/v1/notifications/read",
            Some(json!({"ids": [first]})),
        )
        .await;
    assert_eq!(status, 200, "{marked}");
    assert_eq!(marked, json!({"marked": 1, "unread_count": 4}));
    // Another workspace's ids change nothing; junk is a 422.
    let theirs = t.b.ids["notifications.notification_id"].clone();
    let (_, marked) = api
        .call(
            "POST",
            "/api/v1/notifications/read",
            Some(json!({"ids": [theirs]})),
        )
        .await;
    assert_eq!(marked["marked"], 0);
    let (status, _) = api
        .call(
            "POST",
            "/api/v1/notifications/read",
            Some(json!({"ids": ["nope"]})),
        )
        .await;
    assert_eq!(status, 422);
    let (_, marked) = api
        .call(
            "POST",
            "/api/v1/notifications/read",
            Some(json!({"all": true})),
        )
        .await;
    assert_eq!(marked, json!({"marked": 4, "unread_count": 0}));
    let (_, all) = api.call("GET", "/api/v1/notifications", None).await;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(5));

    // The tenant's own key was made by no member: refused, not guessed.
    let (status, body) = Api::of(app, a)
        .call("GET", "/api/v1/notifications", None)
        .await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn preferences_stop_email_and_the_digest() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    let m = member(app, a).await;
    let page = m.get("/notifications/preferences").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Tarea asignada a ti"));
    assert!(
        !page
            .body
            .contains(r#"checked aria-label="Tarea asignada a ti: Por correo""#)
    );

    // By email too, and the daily digest.
    let mut form: Vec<(&str, &str)> = af_core::vocab::NotificationKind::NAMES
        .iter()
        .map(|k| ("in_app", *k))
        .collect();
    form.push(("email", "task_assigned"));
    form.push(("digest", "1"));
    let saved = m.post("/notifications/preferences", &form).await;
    assert_eq!(saved.status, 303);
    // Due today (09:00 in Mexico City when the test clock starts).
    assign_task(app, a, "Enviar propuesta", "2026-03-07T17:00").await;
    assert_eq!(jobs_of(&app.db, "notification_email").await, 1);
    assert_eq!(
        digest::queue_due(&app.db, app.now()).await.expect("queue"),
        1
    );
    assert_eq!(
        digest::queue_due(&app.db, app.now()).await.expect("again"),
        0
    );

    let job = af_core::jobs::SendDigest {
        user_id: a.member_id,
        local_date: "2026-03-07".into(),
    };
    let mail = af_web::notify_mail::digest_mail(&app.db, &app.base_url, a.ws.id, &job)
        .await
        .expect("digest")
        .expect("something to tell");
    assert_eq!(mail.to, a.member_email);
    assert!(mail.body.contains("Tareas para hoy"), "{}", mail.body);
    assert!(
        mail.body.contains("- Enviar propuesta · Lucía Gómez"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains(&format!("/contacts/{}", a.contact_id)));
    let email = af_core::jobs::NotificationEmail {
        user_id: a.member_id,
        kind: af_core::vocab::NotificationKind::TaskAssigned,
        params: json!({"title": "Enviar propuesta"}),
        link: "/tasks".into(),
    };
    let mail = af_web::notify_mail::notification_mail(&app.db, &app.base_url, a.ws.id, &email)
        .await
        .expect("mail")
        .expect("a mail");
    assert!(
        mail.subject
            .starts_with("Nueva tarea para ti: Enviar propuesta")
    );
    assert!(mail.body.contains(&format!("{}/tasks", app.base_url)));

    // Everything off: no email, no digest (a queued one sends nothing).
    m.get("/notifications/preferences").await;
    let saved = m
        .post("/notifications/preferences", &[("in_app", "task_assigned")])
        .await;
    assert_eq!(saved.status, 303);
    assert_eq!(
        store::preferences(&app.db, a.ws.id, a.member_id)
            .await
            .expect("prefs")
            .iter()
            .filter(|p| p.in_app && p.kind != af_core::vocab::NotificationKind::TaskDue)
            .count(),
        1,
        "only tasks assigned, in the bell (tasks due today are the digest's)"
    );
    assign_task(app, a, "Otra", "").await;
    assert_eq!(jobs_of(&app.db, "notification_email").await, 1);
    app.clock.advance(jiff::SignedDuration::from_hours(24));
    assert_eq!(
        digest::queue_due(&app.db, app.now()).await.expect("queue"),
        0
    );
    let none = af_web::notify_mail::digest_mail(&app.db, &app.base_url, a.ws.id, &job)
        .await
        .expect("digest");
    assert_eq!(none, None);
    // A kind turned off in the app leaves no row.
    let before = store::unread_count(&app.db, a.ws.id, a.member_id)
        .await
        .expect("n");
    let mut tx = app.db.begin().await.expect("tx");
    let pushed = store::push(
        &mut tx,
        &store::NewNotification {
            workspace_id: a.ws.id,
            user_id: a.member_id,
            kind: af_core::vocab::NotificationKind::HotLead,
            params: json!({}),
            link: "/contacts".into(),
        },
        app.now(),
    )
    .await
    .expect("push");
    tx.commit().await.expect("commit");
    assert_eq!(pushed, None);
    assert_eq!(
        store::unread_count(&app.db, a.ws.id, a.member_id)
            .await
            .expect("n"),
        before
    );
}

/// The owner's user id.
async fn owner_id(app: &TestApp, t: &Tenant) -> UserId {
    af_db::users::find_user_by_email(&app.db, &t.owner_email)
        .await
        .expect("owner")
        .expect("owner")
        .id
}

/// The kinds in `user`'s bell, newest first.
async fn kinds(app: &TestApp, t: &Tenant, user: UserId) -> Vec<String> {
    store::latest(&app.db, t.ws.id, user, 50)
        .await
        .expect("latest")
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

/// Writes an event as its writer would and dispatches it (twice: a retried
/// dispatch adds nothing).
async fn dispatch(app: &TestApp, t: &Tenant, kind: &str, data: serde_json::Value) {
    let mut tx = app.db.begin().await.expect("tx");
    let actor = af_core::Actor::system();
    let e = af_db::events::NewEvent {
        workspace: t.ws.id,
        kind,
        entity_type: "contact",
        entity_id: Some(t.contact_id.to_string()),
        actor: &actor,
        data,
    };
    let id = af_db::events::insert_event(&mut tx, &e, app.now())
        .await
        .expect("event");
    tx.commit().await.expect("commit");
    for _ in 0..2 {
        af_engine::dispatch::dispatch(&app.db, t.ws.id, id, app.now())
            .await
            .expect("dispatch");
    }
}

#[tokio::test]
async fn hot_leads_bookings_failing_automations_and_team_notices_reach_the_right_people() {
    let t = two_workspaces().await;
    let (app, a) = (&t.app, &t.a);
    app.run_jobs(&app.engine_worker()).await; // the seed's own events
    let owner = owner_id(app, a).await;
    let before_owner = kinds(app, a, owner).await.len();
    let before_member = kinds(app, a, a.member_id).await.len();

    // A hot lead nobody owns: owners and admins.
    dispatch(
        app,
        a,
        "score.threshold_entered",
        json!({
            "contact_id": a.contact_id, "name": "Hot Lead", "score": 72, "enter": 70, "exit": 60,
        }),
    )
    .await;
    assert_eq!(kinds(app, a, owner).await[0], "hot_lead");
    assert_eq!(kinds(app, a, owner).await.len(), before_owner + 1, "once");
    assert_eq!(kinds(app, a, a.member_id).await.len(), before_member);

    // A booking with the member as host: the member.
    dispatch(
        app,
        a,
        "appointment.booked",
        json!({
            "contact_id": a.contact_id, "appointment_id": uuid::Uuid::now_v7(),
            "start": "2026-03-09T16:00:00Z", "host_user_id": a.member_id,
        }),
    )
    .await;
    assert_eq!(kinds(app, a, a.member_id).await[0], "booking_created");
    let api = key_of(app, a, a.member_id).await;
    let (_, body) = api.call("GET", "/api/v1/notifications?limit=1", None).await;
    let text = body["data"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(text.starts_with("Nueva cita con Lucía Gómez: "), "{text}");

    // A failing workflow tells owners and admins once while its alert is open.
    let wf: af_core::WorkflowId = a.ids[af_testkit::areas::automations::WORKFLOW]
        .parse()
        .expect("workflow");
    for _ in 0..3 {
        let mut tx = app.db.begin().await.expect("tx");
        af_engine::notify::raise_alert(
            &mut tx,
            a.ws.id,
            Some(wf),
            None,
            "step_failed",
            "boom",
            app.now(),
        )
        .await
        .expect("alert");
        tx.commit().await.expect("commit");
    }
    let owners = kinds(app, a, owner).await;
    assert_eq!(owners[0], "automation_failing");
    assert_eq!(
        owners.iter().filter(|k| *k == "automation_failing").count(),
        1
    );
    assert_eq!(
        af_db::automations::list_open_alerts(&app.db, a.ws.id, 50)
            .await
            .expect("alerts")
            .iter()
            .filter(|x| x.kind == "step_failed")
            .count(),
        3,
        "the alerts themselves are kept as before"
    );

    // "Notify team": every member, in the bell.
    let mut tx = app.db.begin().await.expect("tx");
    let n = af_engine::notify::notify_team(
        &mut tx,
        a.ws.id,
        "Bienvenida",
        a.contact_id,
        "Lucía Gómez",
        "Nuevo lead: Lucía",
        app.now(),
    )
    .await
    .expect("team");
    tx.commit().await.expect("commit");
    assert_eq!(n, 2);
    assert_eq!(kinds(app, a, owner).await[0], "team_notification");
    assert_eq!(kinds(app, a, a.member_id).await[0], "team_notification");
    let m = member(app, a).await;
    let menu = m.get("/notifications/menu").await;
    assert!(
        menu.contains("Aviso del equipo: Nuevo lead: Lucía"),
        "{}",
        menu.body
    );
    // Nothing reached the other workspace.
    assert_eq!(
        store::unread_count(&app.db, t.b.ws.id, t.b.member_id)
            .await
            .expect("n"),
        1
    );
}
