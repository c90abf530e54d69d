//! The contacts area through real HTTP on a real database: the list (search,
//! filters, pages, saved filters, bulk actions), the new-contact form, the
//! contact page (inline edits, tags, notes, tasks, timeline), custom field
//! definitions and "my tasks". Runs on both backends (`AF_TEST_BACKEND`).

use af_core::{Actor, ContactId};
use af_db::Db;
use af_db::contacts::{self, ContactInput};
use af_db::events::Event;
use af_testkit::{Browser, PASSWORD, Page, TestApp, csrf_from, two_workspaces};
use jiff::SignedDuration;

/// Creates a contact directly (as an import or the API would).
async fn contact(app: &TestApp, ws: af_core::WorkspaceId, input: ContactInput) -> ContactId {
    let mut tx = app.db.begin().await.expect("tx");
    let c = contacts::upsert_contact(&mut tx, ws, &input, &Actor::system(), app.now())
        .await
        .expect("contact")
        .contact;
    tx.commit().await.expect("commit");
    c.id
}

fn person(first: &str, email: &str) -> ContactInput {
    ContactInput {
        first_name: first.into(),
        last_name: "Prueba".into(),
        email: Some(email.into()),
        ..Default::default()
    }
}

async fn set_score(db: &Db, id: ContactId, score: i32) {
    af_db::with_pool!(db, p => {
        sqlx::query("UPDATE contacts SET score = $1 WHERE id = $2")
            .bind(score)
            .bind(id.0)
            .execute(p)
            .await
            .expect("score");
    });
}

async fn events_of(app: &TestApp, ws: af_core::WorkspaceId, kind: &str) -> Vec<Event> {
    af_db::events::list_events(&app.db, ws, 10_000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// A request as htmx sends it: `HX-Request`, the CSRF header, a target.
async fn hx(
    b: &Browser,
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    target: &str,
    form: &[(&str, &str)],
) -> Page {
    let req = b
        .client
        .request(method.parse().expect("method"), app.url(path))
        .header("hx-request", "true")
        .header("hx-target", target)
        .header("x-csrf-token", token);
    let req = if method == "GET" { req } else { req.form(form) };
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    Page {
        status,
        location: None,
        headers,
        body: res.text().await.expect("body"),
    }
}

async fn hx_owned(
    b: &Browser,
    app: &TestApp,
    path: String,
    token: String,
    form: Vec<(&'static str, String)>,
) -> Page {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    hx(b, app, "POST", &path, &token, "tasks-section", &fields).await
}

/// Signs in and returns the CSRF token of the contact list page.
async fn sign_in(app: &TestApp, email: &str) -> (Browser, String) {
    let b = app.browser();
    b.login(email, PASSWORD).await;
    let page = b.get("/contacts").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let token = csrf_from(&page.body).expect("token");
    (b, token)
}

#[tokio::test]
async fn list_searches_filters_and_pages() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let ana = contact(
        app,
        ws,
        ContactInput {
            company: Some("Acme Digital".into()),
            phone: Some("+528112345678".into()),
            source: Some("facebook".into()),
            tags: vec!["VIP".into()],
            owner_id: Some(t.a.member_id),
            ..person("Ana", "ana@cliente.mx")
        },
    )
    .await;
    set_score(&app.db, ana, 80).await;
    app.clock.advance(SignedDuration::from_hours(48));
    let beto = contact(
        app,
        ws,
        ContactInput {
            company: Some("Beta SA".into()),
            source: Some("google".into()),
            ..person("Beto", "beto@cliente.mx")
        },
    )
    .await;
    set_score(&app.db, beto, 20).await;
    // Another workspace's contact never shows up.
    contact(app, t.b.ws.id, person("Zoe", "zoe@otra.mx")).await;

    let (b, token) = sign_in(app, &t.a.owner_email).await;
    let all = b.get("/contacts").await;
    assert!(
        all.contains("Ana Prueba") && all.contains("Beto Prueba") && all.contains("Lucía Gómez")
    );
    assert!(!all.contains("Zoe"));
    assert!(
        all.contains("hx-trigger=\"input changed delay:300ms"),
        "live search"
    );

    let names = |p: &Page| {
        ["Ana Prueba", "Beto Prueba", "Lucía Gómez"]
            .iter()
            .filter(|n| p.contains(n))
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };
    // Search by company, email, phone digits; the htmx answer is the results alone.
    let r = hx(
        &b,
        app,
        "GET",
        "/contacts?q=acme",
        &token,
        "contact-results",
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(!r.contains("<html"), "a fragment, not a page");
    assert_eq!(
        r.headers.get("hx-push-url").and_then(|v| v.to_str().ok()),
        Some("/contacts?q=acme"),
        "the address bar gets the tidy query"
    );
    assert_eq!(names(&r), ["Ana Prueba"]);
    assert_eq!(
        names(&b.get("/contacts?q=BETO%40cliente").await),
        ["Beto Prueba"]
    );
    assert_eq!(
        names(&b.get("/contacts?q=8112345678").await),
        ["Ana Prueba"]
    );
    // Filters, each alone.
    assert_eq!(names(&b.get("/contacts?tag=vip").await), ["Ana Prueba"]);
    assert_eq!(
        names(&b.get("/contacts?source=google").await),
        ["Beto Prueba"]
    );
    assert_eq!(
        names(
            &b.get(&format!("/contacts?owner_id={}", t.a.member_id))
                .await
        ),
        ["Ana Prueba"]
    );
    assert_eq!(
        names(&b.get("/contacts?score_min=50").await),
        ["Ana Prueba"]
    );
    assert_eq!(
        names(&b.get("/contacts?score_min=10&score_max=30").await),
        ["Beto Prueba"]
    );
    assert_eq!(
        names(&b.get(&format!("/contacts?stage_id={}", t.a.stage_id)).await),
        ["Lucía Gómez"]
    );
    // Created on 2026-03-07 (Mexico City): Ana and Lucía; two days later: Beto.
    assert_eq!(
        names(
            &b.get("/contacts?created_from=2026-03-07&created_to=2026-03-07")
                .await
        ),
        ["Ana Prueba", "Lucía Gómez"]
    );
    assert_eq!(
        names(&b.get("/contacts?created_from=2026-03-08").await),
        ["Beto Prueba"]
    );
    // Bad input is a clear 400.
    assert_eq!(b.get("/contacts?score_min=mucho").await.status, 400);
    assert_eq!(b.get("/contacts?created_from=07/03/2026").await.status, 400);
    assert_eq!(b.get("/contacts?cursor=nope").await.status, 400);

    // Keyset pages of 50: 60 more contacts make two pages.
    for i in 0..60 {
        app.clock.advance(SignedDuration::from_secs(1));
        contact(
            app,
            ws,
            person(&format!("Lote{i:02}"), &format!("lote{i}@x.mx")),
        )
        .await;
    }
    let first = b.get("/contacts").await;
    assert!(first.contains("Lote59") && !first.contains("Lucía Gómez"));
    let next = first
        .body
        .split("data-testid=\"next-page\"")
        .next()
        .and_then(|s| s.rsplit("href=\"").next())
        .and_then(|s| s.split('"').next())
        .expect("next link")
        .replace("&amp;", "&");
    let second = b.get(&next).await;
    assert_eq!(second.status, 200);
    assert!(
        second.contains("Lucía Gómez") && second.contains("Lote00") && !second.contains("Lote59")
    );
    assert!(!second.contains("data-testid=\"next-page\""));
}

#[tokio::test]
async fn saved_filters_are_saved_applied_and_deleted() {
    let t = two_workspaces().await;
    let app = &t.app;
    let (b, _) = sign_in(app, &t.a.owner_email).await;
    let r = b
        .post(
            "/contacts/filters",
            &[("name", "Leads VIP"), ("query", "tag=vip&q=ana&cursor=zzz")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/contacts?q=ana&tag=vip"));
    let list = b.get("/contacts").await;
    assert!(list.contains("Leads VIP"));
    assert!(
        list.contains("href=\"/contacts?q=ana&#38;tag=vip\""),
        "applying opens the query: {}",
        list.body
    );
    let saved = af_db::saved_filters::list_saved_filters(
        &app.db,
        t.a.ws.id,
        owner_id(app, &t.a.owner_email).await,
    )
    .await
    .expect("saved");
    let mine = saved.iter().find(|s| s.name == "Leads VIP").expect("saved");
    // Bad names and bad filters change nothing.
    assert_eq!(
        b.post("/contacts/filters", &[("name", " "), ("query", "")])
            .await
            .status,
        400
    );
    assert_eq!(
        b.post(
            "/contacts/filters",
            &[("name", "x"), ("query", "score_min=lots")]
        )
        .await
        .status,
        400
    );
    // Another member cannot delete my filter (it is not theirs: 404).
    let (member, _) = sign_in(app, &t.a.member_email).await;
    assert!(!member.get("/contacts").await.contains("Leads VIP"));
    assert_eq!(
        member
            .post(&format!("/contacts/filters/{}/delete", mine.id), &[])
            .await
            .status,
        404
    );
    b.get("/contacts").await;
    let r = b
        .post(&format!("/contacts/filters/{}/delete", mine.id), &[])
        .await;
    assert_eq!(r.status, 303);
    assert!(!b.get("/contacts").await.contains("Leads VIP"));
}

async fn post_bulk(b: &Browser, form: Vec<(&'static str, String)>) -> Page {
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = b.post("/contacts/bulk", &fields).await;
    // A fresh page, so the next post carries a current token.
    b.get("/contacts").await;
    page
}

async fn tag_names(app: &TestApp, ws: af_core::WorkspaceId, id: ContactId) -> Vec<String> {
    contacts::tags_of(&app.db, ws, &[id])
        .await
        .expect("tags")
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

async fn owner_id(app: &TestApp, email: &str) -> af_core::UserId {
    af_db::users::find_user_by_email(&app.db, email)
        .await
        .expect("lookup")
        .expect("user")
        .id
}

#[tokio::test]
async fn bulk_actions_change_each_contact_with_its_events() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let lucia = t.a.contact_id;
    let mario = contact(app, ws, person("Mario", "mario@x.mx")).await;
    let (b, _) = sign_in(app, &t.a.owner_email).await;
    let ids = [lucia.to_string(), mario.to_string()];
    let bulk = |action: &'static str, extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(&'static str, String)> =
            ids.iter().map(|i| ("ids", i.clone())).collect();
        form.push(("action", action.into()));
        form.push(("back", "q=prueba".into()));
        form.extend(extra);
        form
    };
    let post = |form: Vec<(&'static str, String)>| post_bulk(&b, form);
    let tags_of = |id: ContactId| tag_names(app, ws, id);

    // Add a tag: both tagged, one event each, back to the list's query.
    let r = post(bulk("add_tag", vec![("tag", "Webinar".into())])).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/contacts?q=prueba"));
    assert_eq!(tags_of(lucia).await, ["Webinar"]);
    assert_eq!(tags_of(mario).await, ["Webinar"]);
    assert_eq!(events_of(app, ws, "tag.added").await.len(), 2);
    // Remove it.
    assert_eq!(
        post(bulk("remove_tag", vec![("tag", "webinar".into())]))
            .await
            .status,
        303
    );
    assert!(tags_of(lucia).await.is_empty() && tags_of(mario).await.is_empty());
    assert_eq!(events_of(app, ws, "tag.removed").await.len(), 2);

    // Move to "Agendado": Lucía's deal moves; Mario, who had none, gets one there.
    let pipeline = af_db::pipelines::find_pipeline(&app.db, ws, t.a.pipeline_id)
        .await
        .expect("p")
        .expect("pipeline");
    let booked = pipeline
        .stages
        .iter()
        .find(|s| s.name == "Agendado")
        .expect("stage");
    let r = post(bulk(
        "move_stage",
        vec![("stage_id", booked.id.to_string())],
    ))
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let deal = af_db::deals::find_deal(&app.db, ws, t.a.deal_id)
        .await
        .expect("d")
        .expect("deal");
    assert_eq!(deal.stage_id, booked.id);
    let moved = events_of(app, ws, "deal.stage_changed").await;
    assert_eq!(moved.len(), 1);
    assert!(moved[0].data.contains("Contacto inicial") && moved[0].data.contains("Agendado"));
    let marios = af_db::deals::list_deals(
        &app.db,
        ws,
        &af_db::deals::DealFilter {
            contact_id: Some(mario.0),
            ..Default::default()
        },
        10,
    )
    .await
    .expect("deals");
    assert_eq!(marios.len(), 1);
    assert_eq!(marios[0].stage_id, booked.id);
    assert_eq!(marios[0].currency, "MXN");
    // The contact page tells it as a sentence.
    let page = b.get(&format!("/contacts/{lucia}")).await;
    assert!(
        page.contains("Etapa cambiada: Contacto inicial → Agendado"),
        "{}",
        page.body
    );
    // Another workspace's stage is a 404 and moves nothing.
    b.get("/contacts").await;
    let r = post(bulk(
        "move_stage",
        vec![("stage_id", t.b.stage_id.to_string())],
    ))
    .await;
    assert_eq!(r.status, 404);

    // Assign an owner: contact.updated with old and new owner.
    let r = post(bulk(
        "assign_owner",
        vec![("owner_id", t.a.member_id.to_string())],
    ))
    .await;
    assert_eq!(r.status, 303);
    let c = contacts::find_contact(&app.db, ws, mario)
        .await
        .expect("c")
        .expect("contact");
    assert_eq!(c.owner_id, Some(t.a.member_id.0));
    let updates = events_of(app, ws, "contact.updated").await;
    assert!(
        updates
            .iter()
            .any(|e| e.data.contains(&t.a.member_id.to_string()) && e.data.contains("owner_id"))
    );
    // A user of another workspace is not an owner here.
    let r = post(bulk(
        "assign_owner",
        vec![("owner_id", t.b.member_id.to_string())],
    ))
    .await;
    assert_eq!(r.status, 400);
    // Nothing selected, unknown action: clear 400s.
    let r = b
        .post("/contacts/bulk", &[("action", "add_tag"), ("tag", "x")])
        .await;
    assert_eq!(r.status, 400);
    b.get("/contacts").await;
    assert_eq!(post(bulk("explode", vec![])).await.status, 400);

    // A member cannot bulk-delete.
    let (member, _) = sign_in(app, &t.a.member_email).await;
    let list = member.get("/contacts").await;
    assert!(
        !list.contains("value=\"delete\""),
        "members are not offered delete"
    );
    let mario_s = mario.to_string();
    let r = member
        .post(
            "/contacts/bulk",
            &[("ids", &mario_s), ("action", "delete"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        contacts::find_contact(&app.db, ws, mario)
            .await
            .expect("c")
            .is_some()
    );

    // The owner deletes after confirming.
    let ask = post(bulk("delete", vec![])).await;
    assert_eq!(ask.status, 200);
    assert!(ask.contains("¿Eliminar 2 contactos?") && ask.contains("Mario Prueba"));
    assert!(
        contacts::find_contact(&app.db, ws, mario)
            .await
            .expect("c")
            .is_some(),
        "not before confirming"
    );
    let r = post(bulk("delete", vec![("confirm", "yes".into())])).await;
    assert_eq!(r.status, 303);
    assert!(
        contacts::find_contact(&app.db, ws, mario)
            .await
            .expect("c")
            .is_none()
    );
    assert!(
        contacts::find_contact(&app.db, ws, lucia)
            .await
            .expect("c")
            .is_none()
    );
    assert_eq!(events_of(app, ws, "contact.deleted").await.len(), 2);
    // B untouched all along.
    assert!(
        contacts::find_contact(&app.db, t.b.ws.id, t.b.contact_id)
            .await
            .expect("c")
            .is_some()
    );

    // Export posts the selection to /contacts/export.
    let list = b.get("/contacts").await;
    assert!(list.contains("formaction=\"/contacts/export\""));
}

#[tokio::test]
async fn new_contact_form_normalises_and_rejects_bad_input() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let (b, _) = sign_in(app, &t.a.owner_email).await;
    assert_eq!(b.get("/contacts/new").await.status, 200);
    let before = contacts::count_contacts(&app.db, ws).await.expect("count");
    let bad = b
        .post(
            "/contacts",
            &[
                ("first_name", "Rosa"),
                ("email", "rosa@cliente.mx"),
                ("phone", "12ab"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"phone\""));
    assert!(
        bad.contains("value=\"rosa@cliente.mx\""),
        "typed values are kept"
    );
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        before
    );
    let bad = b.post("/contacts", &[("email", "no-es-correo")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"email\""));
    assert_eq!(
        b.post("/contacts", &[("company", "Solo empresa")])
            .await
            .status,
        422
    );
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        before
    );

    let ok = b
        .post(
            "/contacts",
            &[
                ("first_name", "Rosa"),
                ("last_name", "Díaz"),
                ("email", "Rosa@Cliente.MX"),
                ("phone", "81 1234 5678"),
                ("company", "Flores SA"),
                ("source", "referido"),
                ("tags", "vip, webinar"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let id: ContactId = ok
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/contacts/"))
        .and_then(|s| s.parse().ok())
        .expect("redirect to the contact");
    let c = contacts::find_contact(&app.db, ws, id)
        .await
        .expect("c")
        .expect("contact");
    assert_eq!(c.phone.as_deref(), Some("+528112345678"));
    assert_eq!(c.email.as_deref(), Some("Rosa@cliente.mx"));
    let page = b.get(&format!("/contacts/{id}")).await;
    assert!(page.contains("Contacto creado.") && page.contains("webinar"));
    // The same email again is asked about, never a twin and never a silent
    // overwrite (see `duplicates_are_asked_not_overwritten`).
    let again = b
        .post(
            "/contacts",
            &[("email", "rosa@cliente.mx"), ("company", "Flores y Más")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.contains("id=\"duplicate-prompt\""));
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        before + 1
    );
    // Confirmed, Lucía's update takes a phone that belongs to Rosa: a field
    // error, nothing written.
    let lucia = contacts::count_contacts(&app.db, ws).await.expect("count");
    let lucia_email = format!("lucia@{}.test", t.a.ws.slug);
    b.get("/contacts/new").await;
    let prompt = b
        .post(
            "/contacts",
            &[("email", lucia_email.as_str()), ("phone", "8112345678")],
        )
        .await;
    assert_eq!(prompt.status, 409);
    let lucia_id = attr(&prompt.body, "data-existing").expect("existing id");
    let clash = b
        .post(
            "/contacts",
            &[
                ("email", lucia_email.as_str()),
                ("phone", "8112345678"),
                ("update_existing", lucia_id.as_str()),
            ],
        )
        .await;
    assert_eq!(clash.status, 422);
    assert!(clash.contains("Ese teléfono ya pertenece a otro contacto."));
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        lucia
    );
}

/// The value of the first `name="..."` attribute in `html`.
fn attr(html: &str, name: &str) -> Option<String> {
    let from = html.find(&format!("{name}=\""))? + name.len() + 2;
    let len = html[from..].find('"')?;
    Some(html[from..from + len].to_string())
}

#[tokio::test]
async fn duplicates_are_asked_not_overwritten() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let existing = contact(
        app,
        ws,
        ContactInput {
            first_name: "Marta".into(),
            last_name: "Ruiz".into(),
            email: Some("marta@cliente.mx".into()),
            phone: Some("+525512345678".into()),
            company: Some("Ruiz SA".into()),
            ..Default::default()
        },
    )
    .await;
    let before_events = events_of(app, ws, "contact.updated").await.len();
    let count = contacts::count_contacts(&app.db, ws).await.expect("count");
    let unchanged = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let c = contacts::find_contact(&db, ws, existing)
                .await
                .expect("c")
                .expect("contact");
            assert_eq!(c.first_name, "Marta");
            assert_eq!(c.company.as_deref(), Some("Ruiz SA"));
            assert_eq!(c.email.as_deref(), Some("marta@cliente.mx"));
        }
    };
    let (b, _) = sign_in(app, &t.a.owner_email).await;
    b.get("/contacts/new").await;

    // The same email (typed differently): asked, nothing written.
    let by_email = [
        ("first_name", "Martita"),
        ("email", "MARTA@cliente.mx"),
        ("company", "Ruiz y Asociados"),
    ];
    let prompt = b.post("/contacts", &by_email).await;
    assert_eq!(prompt.status, 409, "{}", prompt.body);
    assert!(prompt.contains("Abrir el contacto existente"));
    assert!(prompt.contains(&format!("href=\"/contacts/{existing}\"")));
    assert!(prompt.contains("Actualizarlo con estos valores"));
    assert!(prompt.contains(&format!("name=\"update_existing\" value=\"{existing}\"")));
    // Only the differing fields, current and new.
    assert!(prompt.contains("Ruiz SA") && prompt.contains("Ruiz y Asociados"));
    assert!(prompt.contains("Martita"));
    assert!(!prompt.contains("<td class=\"pr-3\">Apellidos</td>"));
    unchanged(app).await;
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        count
    );

    // The same phone typed the other way (MX workspace: both are +52 55…).
    let by_phone = [("first_name", "Otra"), ("phone", "5512345678")];
    let prompt = b.post("/contacts", &by_phone).await;
    assert_eq!(prompt.status, 409, "{}", prompt.body);
    assert!(prompt.contains(&format!("data-existing=\"{existing}\"")));
    let typed = [("first_name", "Otra"), ("phone", "+52 55 1234 5678")];
    assert_eq!(b.post("/contacts", &typed).await.status, 409);
    unchanged(app).await;
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        count
    );
    assert_eq!(
        events_of(app, ws, "contact.updated").await.len(),
        before_events
    );

    // A forged confirmation: another workspace's contact, or not an id.
    let other = contact(app, t.b.ws.id, person("Ajena", "ajena@otra.mx")).await;
    for forged in [other.to_string(), "no-es-un-id".to_string()] {
        let mut form = by_email.to_vec();
        form.push(("update_existing", forged.as_str()));
        let again = b.post("/contacts", &form).await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.contains("ya no es el que tiene ese correo o teléfono"));
        unchanged(app).await;
    }
    let ajena = contacts::find_contact(&app.db, t.b.ws.id, other)
        .await
        .expect("c")
        .expect("contact");
    assert_eq!(ajena.first_name, "Ajena");
    // A confirmation for a contact that no longer matches writes nothing.
    let stale_id = existing.to_string();
    let gone = [
        ("first_name", "Nadie"),
        ("email", "nadie@cliente.mx"),
        ("update_existing", stale_id.as_str()),
    ];
    let answer = b.post("/contacts", &gone).await;
    assert_eq!(answer.status, 409);
    assert!(answer.contains("data-notice=\"no-longer-matches\""));
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        count
    );
    unchanged(app).await;

    // Confirmed: that contact is updated, with its changes in the timeline.
    let mut form = by_email.to_vec();
    form.push(("update_existing", stale_id.as_str()));
    let done = b.post("/contacts", &form).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/contacts/{existing}").as_str())
    );
    let c = contacts::find_contact(&app.db, ws, existing)
        .await
        .expect("c")
        .expect("contact");
    assert_eq!(c.first_name, "Martita");
    assert_eq!(c.company.as_deref(), Some("Ruiz y Asociados"));
    assert_eq!(
        contacts::count_contacts(&app.db, ws).await.expect("count"),
        count
    );
    let updated = events_of(app, ws, "contact.updated").await;
    assert_eq!(updated.len(), before_events + 1);
    let page = b.get(&format!("/contacts/{existing}")).await;
    assert!(page.contains("Actualizamos el contacto existente con estos valores."));
}

#[tokio::test]
async fn inline_edits_write_events_with_old_and_new_values() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let c = t.a.contact_id;
    let (b, token) = sign_in(app, &t.a.owner_email).await;
    let page = b.get(&format!("/contacts/{c}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.contains("Lucía Gómez")
            && page.contains("Sitio web")
            && page.contains(&format!("/pipelines/{}", t.a.pipeline_id))
    );

    let edit = hx(
        &b,
        app,
        "GET",
        &format!("/contacts/{c}/fields/company/edit"),
        &token,
        "field-company",
        &[],
    )
    .await;
    assert_eq!(edit.status, 200);
    assert!(edit.contains("name=\"value\"") && edit.contains("data-inline-edit"));
    let saved = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/company"),
        &token,
        "field-company",
        &[("value", "Acme")],
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(
        saved.contains("Acme") && saved.contains("hx-swap-oob"),
        "field and timeline"
    );
    assert!(saved.contains("Datos cambiados: Empresa: (vacío) → Acme"));
    let updated = events_of(app, ws, "contact.updated").await;
    let data: serde_json::Value =
        serde_json::from_str(&updated.last().expect("event").data).expect("json");
    assert_eq!(data["old"]["company"], serde_json::Value::Null);
    assert_eq!(data["new"]["company"], "Acme");

    // Phone normalised in the workspace's country; a bad one is a 422 and changes nothing.
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/phone"),
        &token,
        "field-phone",
        &[("value", "55 1234 5678")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("+525512345678"));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/email"),
        &token,
        "field-email",
        &[("value", "malo@")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.contains("data-field-error=\"email\"") && r.contains("value=\"malo@\""));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/lifecycle"),
        &token,
        "field-lifecycle",
        &[("value", "customer")],
    )
    .await;
    assert!(r.contains("Cliente"));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/email_unsubscribed"),
        &token,
        "x",
        &[("value", "true")],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/owner"),
        &token,
        "x",
        &[("value", &t.b.member_id.to_string())],
    )
    .await;
    assert_eq!(r.status, 422, "an owner from another workspace");
    assert_eq!(
        hx(
            &b,
            app,
            "POST",
            &format!("/contacts/{c}/fields/workspace_id"),
            &token,
            "x",
            &[("value", "x")]
        )
        .await
        .status,
        404
    );
    let now = contacts::find_contact(&app.db, ws, c)
        .await
        .expect("c")
        .expect("contact");
    assert_eq!(now.company.as_deref(), Some("Acme"));
    assert_eq!(now.phone.as_deref(), Some("+525512345678"));
    assert!(now.email.is_some_and(|e| e.starts_with("lucia@")));
    assert_eq!(now.lifecycle, "customer");
    assert!(now.email_unsubscribed);
    assert!(now.owner_id.is_none());
    // A name change also refreshes the page heading; an empty first name is refused.
    let path = format!("/contacts/{c}/fields/first_name");
    let r = hx(
        &b,
        app,
        "POST",
        &path,
        &token,
        "field-first_name",
        &[("value", "Lucy")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("id=\"contact-name\"") && r.contains("Lucy Gómez"));
    let r = hx(
        &b,
        app,
        "POST",
        &path,
        &token,
        "field-first_name",
        &[("value", " ")],
    )
    .await;
    assert_eq!(r.status, 422);
    // Without htmx a save goes back to the page.
    let r = b
        .post(
            &format!("/contacts/{c}/fields/source"),
            &[("value", "feria")],
        )
        .await;
    assert_eq!(r.status, 303);
}

#[tokio::test]
async fn tags_and_notes_on_the_contact_page() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let c = t.a.contact_id;
    let (b, token) = sign_in(app, &t.a.owner_email).await;
    b.get(&format!("/contacts/{c}")).await;
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/tags"),
        &token,
        "tags-section",
        &[("name", "  Cliente   Premium ")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("Cliente Premium") && r.contains("Etiqueta añadida: Cliente Premium"));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/tags"),
        &token,
        "tags-section",
        &[("name", "")],
    )
    .await;
    assert_eq!(r.status, 422);
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/tags/remove"),
        &token,
        "tags-section",
        &[("name", "cliente premium")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("Etiqueta quitada"));
    assert!(
        contacts::tags_of(&app.db, ws, &[c])
            .await
            .expect("tags")
            .is_empty()
    );

    app.clock.advance(SignedDuration::from_mins(5));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/notes"),
        &token,
        "notes-section",
        &[("body", "Quiere una propuesta\npara abril")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("Quiere una propuesta"));
    app.clock.advance(SignedDuration::from_mins(5));
    hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/notes"),
        &token,
        "notes-section",
        &[("body", "Segunda nota")],
    )
    .await;
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/notes"),
        &token,
        "notes-section",
        &[("body", "   ")],
    )
    .await;
    assert_eq!(r.status, 422);
    let notes = af_db::notes::list_notes(&app.db, ws, c, 10)
        .await
        .expect("notes");
    // The seeded note plus two, newest first.
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[0].body, "Segunda nota");
    assert_eq!(events_of(app, ws, "note.added").await.len(), 3);
    let page = b.get(&format!("/contacts/{c}")).await;
    let (second, first) = (
        page.body.find("Segunda nota").expect("n2"),
        page.body.find("Quiere una propuesta").expect("n1"),
    );
    assert!(second < first, "newest first");
    // Times in the workspace's zone (Mexico City, UTC-6): 15:10Z is 09:10,
    // read in the reader's language.
    assert!(page.contains("7 mar 2026, 9:10 a. m."));
}

#[tokio::test]
async fn tasks_overdue_first_and_completed_from_the_list() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let c = t.a.contact_id;
    let (b, token) = sign_in(app, &t.a.owner_email).await;
    b.get(&format!("/contacts/{c}")).await;
    let me = owner_id(app, &t.a.owner_email).await.to_string();
    let path = format!("/contacts/{c}/tasks");
    let add = |title: &'static str, due: &'static str| {
        let form = vec![
            ("title", title.to_string()),
            ("due", due.to_string()),
            ("assignee_id", me.clone()),
        ];
        hx_owned(&b, app, path.clone(), token.clone(), form)
    };
    assert_eq!(
        add("Enviar propuesta", "2026-03-10T10:00").await.status,
        200
    );
    assert_eq!(add("Llamar de nuevo", "2026-03-08").await.status, 200);
    assert_eq!(
        add("Revisar contrato", "2026-03-07T10:00").await.status,
        200
    );
    let bad = add("Mal", "mañana").await;
    assert_eq!(bad.status, 422);
    assert!(bad.contains("data-field-error=\"task\""));
    assert_eq!(add("", "").await.status, 422);
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/tasks"),
        &token,
        "tasks-section",
        &[
            ("title", "Ajena"),
            ("assignee_id", &t.b.member_id.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status, 422, "assignee from another workspace");
    assert_eq!(
        events_of(app, ws, "task.created").await.len(),
        4,
        "the seeded task and three"
    );

    // Two days later: "Revisar contrato" and "Llamar de nuevo" are overdue.
    app.clock.advance(SignedDuration::from_hours(48));
    let mine = b.get("/tasks").await;
    assert_eq!(mine.status, 200);
    let pos = |s: &str| mine.body.find(s).unwrap_or_else(|| panic!("{s} listed"));
    assert!(pos("Revisar contrato") < pos("Llamar de nuevo"));
    assert!(pos("Llamar de nuevo") < pos("Enviar propuesta"));
    assert!(pos("Enviar propuesta") < pos("Llamar</td>"), "undated last");
    assert_eq!(mine.body.matches("Vencida").count(), 2);
    assert!(mine.contains(&format!("href=\"/contacts/{c}\"")));

    let open = af_db::tasks::list_open_tasks_for(&app.db, ws, me.parse().expect("id"), 10)
        .await
        .expect("tasks");
    let first = open.first().expect("task");
    assert_eq!(first.title, "Revisar contrato");
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/tasks/{}/complete", first.id),
        &token,
        "closest tr",
        &[],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty(), "the row goes away");
    assert!(!b.get("/tasks").await.contains("Revisar contrato"));
    let done = events_of(app, ws, "task.completed").await;
    assert_eq!(done.len(), 1);
    // Completing twice changes nothing more.
    hx(
        &b,
        app,
        "POST",
        &format!("/tasks/{}/complete", first.id),
        &token,
        "closest tr",
        &[],
    )
    .await;
    assert_eq!(events_of(app, ws, "task.completed").await.len(), 1);
    // On the contact page it shows done, and the timeline tells it.
    let page = b.get(&format!("/contacts/{c}")).await;
    assert!(page.contains("Tarea completada: Revisar contrato"));
    // Members see only their own tasks.
    let (member, _) = sign_in(app, &t.a.member_email).await;
    assert!(
        member
            .get("/tasks")
            .await
            .contains("No tienes tareas pendientes.")
    );
}

#[tokio::test]
async fn custom_fields_are_defined_by_admins_and_validated() {
    let t = two_workspaces().await;
    let app = &t.app;
    let ws = t.a.ws.id;
    let c = t.a.contact_id;
    let (member, _) = sign_in(app, &t.a.member_email).await;
    assert_eq!(member.get("/contacts/fields").await.status, 403);
    assert_eq!(
        member
            .post(
                "/contacts/fields",
                &[("key", "x"), ("label", "X"), ("kind", "text")]
            )
            .await
            .status,
        403
    );

    let (b, token) = sign_in(app, &t.a.owner_email).await;
    let page = b.get("/contacts/fields").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("budget"), "the seeded field");
    let bad = b
        .post(
            "/contacts/fields",
            &[
                ("key", "Plan Mensual"),
                ("label", "Plan"),
                ("kind", "select"),
                ("options", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.contains("data-field-error=\"key\"") && bad.contains("data-field-error=\"options\"")
    );
    let dup = b
        .post(
            "/contacts/fields",
            &[("key", "budget"), ("label", "Otra"), ("kind", "text")],
        )
        .await;
    assert_eq!(dup.status, 422);
    assert!(dup.contains("Ya existe un campo con esa clave."));
    let ok = b
        .post(
            "/contacts/fields",
            &[
                ("key", "plan"),
                ("label", "Plan"),
                ("kind", "select"),
                ("options", "Básico, Pro\nPro\nEnterprise"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    let defs = af_db::custom_fields::list_fields(&app.db, ws)
        .await
        .expect("defs");
    let plan = defs.iter().find(|d| d.key == "plan").expect("plan");
    assert_eq!(plan.choices(), ["Básico", "Pro", "Enterprise"]);

    // Values are validated against the definition.
    b.get(&format!("/contacts/{c}")).await;
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/cf-plan"),
        &token,
        "field-cf-plan",
        &[("value", "Gratis")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.contains("Elige una de las opciones."));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/cf-budget"),
        &token,
        "field-cf-budget",
        &[("value", "mucho")],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.contains("Escribe un número"));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/cf-plan"),
        &token,
        "field-cf-plan",
        &[("value", "Pro")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.contains("Plan: (vacío) → Pro"));
    let r = hx(
        &b,
        app,
        "POST",
        &format!("/contacts/{c}/fields/cf-budget"),
        &token,
        "field-cf-budget",
        &[("value", "12500,5")],
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        hx(
            &b,
            app,
            "GET",
            &format!("/contacts/{c}/fields/cf-nope/edit"),
            &token,
            "x",
            &[]
        )
        .await
        .status,
        404
    );
    let contact = contacts::find_contact(&app.db, ws, c)
        .await
        .expect("c")
        .expect("contact");
    let custom = contact.custom_map();
    assert_eq!(custom["plan"], "Pro");
    assert_eq!(custom["budget"], 12500.5);

    // Delete a definition.
    b.get("/contacts/fields").await;
    assert_eq!(
        b.post(&format!("/contacts/fields/{}/delete", plan.id), &[])
            .await
            .status,
        303
    );
    assert!(
        !b.get("/contacts/fields")
            .await
            .contains("data-field-def=\"plan\"")
    );
}

/// A phone is found however it is typed, and the header search finds
/// contacts, deals, forms and workflows of this workspace only.
#[tokio::test]
async fn phone_search_ignores_punctuation_and_the_header_search_finds_everything() {
    let t = two_workspaces().await;
    let app = &t.app;
    let rosa = contact(
        app,
        t.a.ws.id,
        ContactInput {
            first_name: "Rosa".into(),
            last_name: "Teléfono".into(),
            phone: Some("+525587654321".into()),
            company: Some("Florería Norte".into()),
            ..Default::default()
        },
    )
    .await;
    contact(
        app,
        t.b.ws.id,
        ContactInput {
            first_name: "Rosa".into(),
            last_name: "Ajena".into(),
            phone: Some("+525587654321".into()),
            ..Default::default()
        },
    )
    .await;
    let (b, _) = sign_in(app, &t.a.owner_email).await;
    for typed in [
        "55 8765",
        "+52 55-8765-4321",
        "5587654321",
        "(55) 8765 4321",
    ] {
        let q = typed.replace('+', "%2B").replace(' ', "+");
        let list = b.get(&format!("/contacts?q={q}")).await;
        assert!(
            list.contains(&format!("/contacts/{rosa}")),
            "{typed:?} finds Rosa on the list"
        );
        let found = b.get(&format!("/search?q={q}")).await;
        assert_eq!(found.status, 200);
        assert!(found.contains(&format!("/contacts/{rosa}")), "{typed:?}");
        assert!(
            !found.contains("Ajena"),
            "never another workspace's contact"
        );
        assert!(found.contains("55 8765 4321"), "the phone shown national");
    }
    // The list says how many match, over every page.
    let one = b.get("/contacts?q=55+8765").await;
    assert!(one.contains("data-testid=\"contacts-total\" aria-live=\"polite\">1 contacto<"));
    let total = af_db::contacts::count_contacts(&app.db, t.a.ws.id)
        .await
        .expect("count");
    let all = b.get("/contacts").await;
    assert!(
        all.contains(&format!(">{total} contactos<")),
        "{}",
        all.body
    );
    let by_company = b.get("/search?q=florer%C3%ADa").await;
    assert!(by_company.contains(&format!("/contacts/{rosa}")));
    // Accents and case are ignored both ways, words in any order, on the
    // list, the header search and the API alike.
    for q in ["telefono+rosa", "FLORERIA", "TEL%C3%89FONO"] {
        assert!(
            b.get(&format!("/contacts?q={q}"))
                .await
                .contains(&format!("/contacts/{rosa}")),
            "{q}"
        );
        let found = b.get(&format!("/search?q={q}")).await;
        assert!(found.contains(&format!("/contacts/{rosa}")), "{q}");
        assert!(!found.contains("Ajena"), "never another workspace's");
    }
    // Search syntax is text: never a server error.
    for q in ["%22", "*", "AND+(", "-", "NEAR(", "%22%22%22"] {
        assert_eq!(b.get(&format!("/contacts?q={q}")).await.status, 200, "{q}");
        assert_eq!(b.get(&format!("/search?q={q}")).await.status, 200, "{q}");
    }
    // The tenant fixture's deal ("Sitio web") and its pipeline.
    let deal = b.get("/search?q=sitio").await;
    assert!(deal.contains("data-testid=\"search-deals\""));
    assert!(deal.contains(&format!("/pipelines/{}", t.a.pipeline_id)));
    assert!(deal.contains("$15,000.00 MXN"));
    let none = b.get("/search?q=zzz-nada").await;
    assert!(none.contains("data-testid=\"search-none\""));
    let empty = b.get("/search").await;
    assert_eq!(empty.status, 200);
    assert!(!empty.contains("data-testid=\"search-none\""));
}
