//! The public booking pages (issue 16), on the backend chosen by
//! `AF_TEST_BACKEND`: the calendar page in both languages and in a
//! visitor's zone, booking by form post (refusals, a lost race offering
//! the day's next times), the confirmation, the signed manage link
//! (reschedule, cancel, cut-offs, forged tokens, `.ics`), the workspace
//! list, base-domain hosts and tenancy.
//!
//! The test clock starts on Saturday 2026-03-07 15:00Z. The calendar is
//! in Bogotá (UTC−5, no DST) and open on Mondays 08:00–09:00 and
//! 19:00–20:00; a Madrid visitor (UTC+1 until 2026-03-29) sees Monday
//! 14:00 and 14:30, and the evening slots on Tuesday at 01:00 and 01:30.

use af_testkit::{Api, Browser, Tenant, TestApp, tenant};
use serde_json::{Value, json};

const MADRID_MONDAY: &str = "2026-03-09T14:00:00+01:00";
const MADRID_MONDAY_2: &str = "2026-03-09T14:30:00+01:00";

async fn calendar(api: &Api, slug: &str, extra: Value) -> Value {
    let mut body = json!({
        "name": "Demo Bogotá", "slug": slug, "time_zone": "America/Bogota",
        "duration_minutes": 30, "description": "Una llamada para conocernos",
        "location_kind": "video", "location": "https://meet.example/demo",
        "availability": [
            {"weekday": 1, "start": "08:00", "end": "09:00"},
            {"weekday": 1, "start": "19:00", "end": "20:00"}
        ],
        "questions": [
            {"name": "empresa", "type": "text", "label": "Empresa", "label_en": "Company", "required": true},
            {"name": "servicio", "type": "select", "label": "Servicio", "label_en": "Service", "options": ["SEO", "Ads"]},
            {"name": "canales", "type": "multiselect", "label": "Canales", "label_en": "Channels", "options": ["Email", "WhatsApp", "Teléfono"]},
            {"name": "acepta", "type": "checkbox", "label": "Acepto", "label_en": "I agree"},
            {"name": "presupuesto", "type": "number", "label": "Presupuesto", "label_en": "Budget"},
            {"name": "notas", "type": "textarea", "label": "Notas", "label_en": "Notes"},
            {"name": "otro_correo", "type": "email", "label": "Otro correo", "label_en": "Other email"},
            {"name": "otro_tel", "type": "phone", "label": "Otro teléfono", "label_en": "Other phone"}
        ]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let (status, cal) = api.call("POST", "/api/v1/calendars", Some(body)).await;
    assert_eq!(status, 201, "{cal}");
    cal
}

struct Setup {
    app: TestApp,
    a: Tenant,
    b: Tenant,
    api: Api,
}

async fn setup() -> Setup {
    let app = TestApp::spawn_with(|c| c.base_domain = Some("book.test".into())).await;
    let a = tenant(&app, "alpha").await;
    let b = tenant(&app, "bravo").await;
    let api = Api::of(&app, &a);
    calendar(&api, "demo", json!({})).await;
    Setup { app, a, b, api }
}

fn form<'a>(start: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("start", start),
        ("time_zone", "Europe/Madrid"),
        ("name", "Lucía Pérez"),
        ("email", email),
        ("phone", "+34 612 345 678"),
        ("empresa", "Pérez SL"),
        ("servicio", "SEO"),
        ("canales", "Email"),
        ("canales", "WhatsApp"),
        ("acepta", "true"),
        ("presupuesto", "1500"),
        ("utm_source", "google"),
        ("utm_campaign", "primavera"),
    ]
}

/// The manage token in a `/book/manage/{token}?...` location.
fn token_of(location: &str) -> String {
    let rest = location
        .strip_prefix("/book/manage/")
        .or_else(|| location.split("/book/manage/").nth(1))
        .expect("a manage link");
    rest.split(['?', '/']).next().expect("token").to_string()
}

#[tokio::test]
async fn the_calendar_page_speaks_both_languages_and_shows_the_visitors_zone() {
    let s = setup().await;
    let es = Browser::new(&s.app.base_url);
    let page = es.get("/book/alpha/demo?lang=es").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for text in [
        "Demo Bogotá",
        "Elige un horario",
        "Agendar",
        "Zona horaria",
        "Empresa",
        "Videollamada",
        "marzo 2026",
        "alpha agency",
    ] {
        assert!(page.contains(text), "{text} missing in Spanish");
    }
    // Without a zone, the calendar's; the first day with times is chosen.
    assert!(page.contains("value=\"2026-03-09T08:00:00-05:00\""));
    assert!(page.contains("value=\"2026-03-09T19:30:00-05:00\""));
    assert!(
        page.contains("data-af-detect"),
        "the script may switch to the browser's zone"
    );
    for kind in [
        "type=\"checkbox\" name=\"canales\"",
        "<select id=\"af-servicio\"",
        "<textarea id=\"af-notas\"",
        "type=\"email\"",
        "type=\"tel\"",
        "inputmode=\"decimal\"",
    ] {
        assert!(page.contains(kind), "{kind} not rendered");
    }
    // The language links keep the day and zone the visitor chose.
    let page = es
        .get("/book/alpha/demo?lang=es&month=2026-03&day=2026-03-10&tz=Europe/Madrid")
        .await;
    assert!(
        page.contains(
            "href=\"?lang=en&#38;month=2026-03&#38;day=2026-03-10&#38;tz=Europe%2FMadrid\""
        ),
        "the English link keeps month, day and zone"
    );
    let en = Browser::new(&s.app.base_url);
    let page = en.get("/book/alpha/demo?lang=en").await;
    for text in [
        "Pick a time",
        "Book",
        "Time zone",
        "Company",
        "Video call",
        "March 2026",
    ] {
        assert!(page.contains(text), "{text} missing in English");
    }
    assert!(!page.contains("Elige un horario"));

    // A Madrid visitor: Monday's morning slots at 14:00 and 14:30 …
    let madrid = es
        .get("/book/alpha/demo?month=2026-03&day=2026-03-09&tz=Europe/Madrid")
        .await;
    assert_eq!(madrid.status, 200);
    assert!(madrid.contains(&format!("value=\"{MADRID_MONDAY}\"")));
    assert!(madrid.contains(&format!("value=\"{MADRID_MONDAY_2}\"")));
    assert!(
        !madrid.contains("T01:00:00+01:00"),
        "the evening slots are on Tuesday in Madrid"
    );
    assert!(!madrid.contains("data-af-detect"), "a zone was chosen");
    assert!(madrid.contains("<option value=\"Europe/Madrid\" selected>"));
    // … and Bogotá's Monday evening is Tuesday 01:00 in Madrid.
    let tuesday = es
        .get("/book/alpha/demo?month=2026-03&day=2026-03-10&tz=Europe/Madrid")
        .await;
    assert!(tuesday.contains("value=\"2026-03-10T01:00:00+01:00\""));
    assert!(tuesday.contains("value=\"2026-03-10T01:30:00+01:00\""));
    assert!(tuesday.contains("martes 10 mar 2026"));
    // The month view links days with times (Monday 9, Tuesday 10 in
    // Madrid; 16 and 17 next week), within the 14-day horizon.
    assert!(tuesday.contains("data-testid=\"day-9\""));
    assert!(tuesday.contains("data-testid=\"day-16\""));
    assert!(
        !tuesday.contains("data-testid=\"day-23\""),
        "past the horizon"
    );
    assert!(
        !tuesday.contains("data-testid=\"prev-month\""),
        "nothing before this month"
    );
    assert!(
        !tuesday.contains("data-testid=\"next-month\""),
        "the horizon ends in March"
    );

    // The workspace's list shows its active calendars only.
    let (_, hidden) = (
        0,
        calendar(
            &s.api,
            "oculto",
            json!({"name": "Calendario oculto", "active": false}),
        )
        .await,
    );
    assert_eq!(hidden["active"], false);
    let list = es.get("/book/alpha").await;
    assert_eq!(list.status, 200);
    assert!(list.contains("href=\"/book/alpha/demo\""));
    assert!(list.contains("30 min"));
    assert!(!list.contains("Calendario oculto"));
    assert_eq!(es.get("/book/alpha/oculto").await.status, 404, "inactive");

    // Unknown workspace or calendar: the 404 page in the visitor's language.
    let missing = es.get("/book/alpha/nope").await;
    assert_eq!(missing.status, 404);
    assert!(missing.contains("No encontrado"));
    let missing = en.get("/book/nobody").await;
    assert_eq!(missing.status, 404);
    assert!(missing.contains("Not found"));
    // Another workspace's calendar under this workspace's slug is unknown.
    let bravo = Api::of(&s.app, &s.b);
    calendar(&bravo, "solo-bravo", json!({})).await;
    assert_eq!(es.get("/book/bravo/solo-bravo").await.status, 200);
    assert_eq!(es.get("/book/alpha/solo-bravo").await.status, 404);
    let res = es
        .post_raw(
            "/book/alpha/solo-bravo",
            &form(MADRID_MONDAY, "x@example.com"),
        )
        .await;
    assert_eq!(res.status, 404, "nor can it be booked there");
}

#[tokio::test]
async fn booking_by_form_post_confirms_refuses_fields_and_offers_the_next_times_after_a_race() {
    let s = setup().await;
    let b = Browser::new(&s.app.base_url);
    // Refused fields come back next to each field, values kept (Spanish).
    let mut bad = form(MADRID_MONDAY, "no-es-un-correo");
    bad.retain(|(k, _)| *k != "empresa");
    let page = b.post_raw("/book/alpha/demo", &bad).await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.contains("data-testid=\"error-email\""));
    assert!(page.contains("data-testid=\"error-empresa\""));
    assert!(page.contains("Revisa los campos marcados."));
    assert!(page.contains("value=\"Lucía Pérez\""), "typed values stay");
    assert!(
        page.contains(&format!(
            "value=\"{MADRID_MONDAY}\" class=\"peer sr-only\" checked"
        )),
        "the chosen time stays chosen"
    );
    // No time chosen.
    let mut no_start = form("", "lucia@example.com");
    no_start.retain(|(k, _)| *k != "start");
    let en = Browser::new(&s.app.base_url);
    let page = en.post_raw("/book/alpha/demo?lang=en", &no_start).await;
    assert_eq!(page.status, 422);
    assert!(page.contains("data-testid=\"error-start\""));
    assert!(page.contains("Pick a time."));

    // A booking: a redirect to its confirmation, in the visitor's zone.
    let res = b
        .post_raw(
            "/book/alpha/demo",
            &form(MADRID_MONDAY, "lucia@example.com"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let location = res.location.clone().expect("location");
    assert!(location.starts_with("/book/manage/"), "{location}");
    assert!(location.contains("new=1") && location.contains("tz=Europe%2FMadrid"));
    let confirm = b.get(&location).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    for text in [
        "¡Cita agendada!",
        "lunes 9 mar 2026, 2:00 p. m. – 2:30 p. m.",
        "Europe/Madrid",
        "Videollamada · https://meet.example/demo",
        "Confirmada",
        "https://calendar.google.com/calendar/render?action=TEMPLATE&",
        "dates=20260309T130000Z/20260309T133000Z",
        "/invite.ics",
    ] {
        assert!(
            confirm.contains(text),
            "{text} missing from the confirmation"
        );
    }
    let token = token_of(&location);
    assert!(
        confirm.contains(&format!("{}/book/manage/{token}", s.app.base_url)),
        "the manage link"
    );

    // The appointment, its contact (with the answers and attribution) exist.
    let (_, list) = s.api.call("GET", "/api/v1/appointments", None).await;
    let booked: Vec<&Value> = list["data"]
        .as_array()
        .expect("appointments")
        .iter()
        .filter(|a| a["source"] == "calendar")
        .collect();
    assert_eq!(booked.len(), 1, "{list}");
    let contact_id = booked[0]["contact_id"].as_str().expect("contact");
    let (status, contact) = s
        .api
        .call("GET", &format!("/api/v1/contacts/{contact_id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(contact["email"], "lucia@example.com");
    assert!(
        contact.to_string().contains("primavera"),
        "UTMs travel with the contact: {contact}"
    );

    // The same time again: 409, and the day's next free time is offered.
    let page = b
        .post_raw("/book/alpha/demo", &form(MADRID_MONDAY, "otra@example.com"))
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.contains("Ese horario se acaba de ocupar"));
    assert!(page.contains(&format!("value=\"{MADRID_MONDAY_2}\"")));
    assert!(!page.contains(&format!("value=\"{MADRID_MONDAY}\"")));

    // The widget posts JSON (any origin may read the answer).
    let res = s
        .app
        .http()
        .post(s.app.url("/book/alpha/demo?lang=en"))
        .header("origin", "http://elsewhere.example")
        .json(&json!({
            "start": MADRID_MONDAY_2, "time_zone": "Europe/Madrid", "name": "Ana", "email": "ana@example.com",
            "answers": {"empresa": "Ana SA", "canales": ["Email"], "acepta": true, "presupuesto": 20},
            "attribution": {"utm_source": "newsletter"}
        }))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"*"[..])
    );
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["ok"], true);
    assert_eq!(body["status"], "booked");
    assert!(
        body["manage_url"]
            .as_str()
            .is_some_and(|u| u.contains("/book/manage/"))
    );
    assert!(
        body["when"].as_str().is_some_and(|w| w.contains("2:30 PM")),
        "{body}"
    );
    // Taken now: 409 in the widget's shape.
    let res = s
        .app
        .http()
        .post(s.app.url("/book/alpha/demo"))
        .json(&json!({"start": MADRID_MONDAY_2, "name": "Otro", "email": "otro@example.com", "answers": {"empresa": "X"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"]["code"], "slot_unavailable");
    // Refused answers: 422 with each field.
    let res = s
        .app
        .http()
        .post(s.app.url("/book/alpha/demo"))
        .json(&json!({"start": "2026-03-09T19:00:00-05:00", "name": "Otro", "email": "otro@", "answers": {"servicio": "Nada"}}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.expect("json");
    for f in ["email", "empresa", "servicio"] {
        assert!(body["fields"][f].is_string(), "{f}: {body}");
    }

    // The API's booking answers the manage link too.
    let cal_id = {
        let (_, list) = s.api.call("GET", "/api/v1/calendars", None).await;
        list["data"]
            .as_array()
            .expect("calendars")
            .iter()
            .find(|c| c["slug"] == "demo")
            .expect("demo")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let (status, booked) = s
        .api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal_id}/bookings"),
            Some(json!({"start": "2026-03-09T19:00:00-05:00", "name": "Por API", "email": "api@example.com", "answers": {"empresa": "API"}})),
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let manage = booked["manage_url"].as_str().expect("manage_url");
    assert!(manage.starts_with(&format!("{}/book/manage/", s.app.base_url)));
    let page = b.get(&format!("/book/manage/{}", token_of(manage))).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("Por API") || page.contains("Demo Bogotá"));
}

#[tokio::test]
async fn the_manage_link_reschedules_and_cancels_within_the_cut_offs() {
    let s = setup().await;
    let cal = calendar(
        &s.api,
        "cortes",
        json!({"cancel_cutoff_minutes": 1440, "reschedule_cutoff_minutes": 1440, "max_reschedules": 1}),
    )
    .await;
    let id = cal["id"].as_str().expect("id");
    let book = |start: &'static str, email: &'static str| {
        let api = &s.api;
        async move {
            let (status, b) = api
                .call(
                    "POST",
                    &format!("/api/v1/calendars/{id}/bookings"),
                    Some(json!({"start": start, "name": "Invitada", "email": email, "time_zone": "America/Bogota", "answers": {"empresa": "E"}})),
                )
                .await;
            assert_eq!(status, 201, "{b}");
            token_of(b["manage_url"].as_str().expect("manage_url"))
        }
    };
    let mine = book("2026-03-09T08:00:00-05:00", "mine@example.com").await;
    let other = book("2026-03-09T08:30:00-05:00", "other@example.com").await;
    let b = Browser::new(&s.app.base_url);
    let page = b.get(&format!("/book/manage/{mine}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.contains("lunes 9 mar 2026, 8:00 a. m. – 8:30 a. m."),
        "the invitee's zone"
    );
    assert!(page.contains("data-testid=\"reschedule-form\""));
    assert!(page.contains("data-testid=\"cancel\""));
    assert!(
        page.contains("value=\"2026-03-09T19:00:00-05:00\""),
        "the picker offers free times"
    );

    // Into a taken time: 409, and the booking is untouched.
    let res = b
        .post_raw(
            &format!("/book/manage/{mine}/reschedule"),
            &[
                ("start", "2026-03-09T08:30:00-05:00"),
                ("tz", "America/Bogota"),
            ],
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    assert!(res.contains("data-testid=\"booking-alert\""));
    assert!(res.contains("8:00 a. m. – 8:30 a. m."));
    // Into a free one: moved.
    let res = b
        .post_raw(
            &format!("/book/manage/{mine}/reschedule"),
            &[
                ("start", "2026-03-09T19:00:00-05:00"),
                ("tz", "America/Bogota"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(res.location.as_deref().expect("location")).await;
    assert!(page.contains("Tu cita se cambió al nuevo horario."));
    assert!(page.contains("7:00 p. m. – 7:30 p. m."));
    // The cap (one reschedule) is reached: no picker, an explanation and
    // a way to write to the agency (the host's email: no channel set up).
    assert!(!page.contains("data-testid=\"reschedule-form\""));
    assert!(page.contains("Esta cita ya se cambió el máximo de veces permitido."));
    assert!(page.contains("data-testid=\"contact-email\""));
    assert!(page.contains("href=\"mailto:"));
    let res = b
        .post_raw(
            &format!("/book/manage/{mine}/reschedule"),
            &[("start", "2026-03-09T19:30:00-05:00")],
        )
        .await;
    assert_eq!(res.status, 409);

    // Within a day of the start: neither cancel nor reschedule online.
    s.app
        .clock
        .set("2026-03-08T14:00:00Z".parse().expect("instant"));
    let en = Browser::new(&s.app.base_url);
    let page = en.get(&format!("/book/manage/{other}?lang=en")).await;
    assert!(!page.contains("data-testid=\"cancel\""));
    assert!(page.contains("It is too late to cancel online."));
    assert!(page.contains("It is too late to change the time online."));
    let res = b
        .post_raw(&format!("/book/manage/{other}/cancel"), &[])
        .await;
    assert_eq!(res.status, 409, "{}", res.body);
    let ics = s
        .app
        .http()
        .get(s.app.url(&format!("/book/manage/{other}/invite.ics")))
        .send()
        .await
        .expect("ics");
    assert_eq!(ics.status(), 200);
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/calendar")
    );
    let text = ics.text().await.expect("text");
    assert!(text.contains("METHOD:REQUEST"), "{text}");

    // Before the cut-off a cancel frees the time and the .ics says CANCEL.
    s.app
        .clock
        .set("2026-03-07T15:00:00Z".parse().expect("instant"));
    let res = b
        .post_raw(
            &format!("/book/manage/{other}/cancel"),
            &[("tz", "America/Bogota")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(res.location.as_deref().expect("location")).await;
    assert!(page.contains("Cancelada"));
    assert!(page.contains("Tu cita fue cancelada."));
    assert!(!page.contains("data-testid=\"cancel\""));
    let text = s
        .app
        .http()
        .get(s.app.url(&format!("/book/manage/{other}/invite.ics")))
        .send()
        .await
        .expect("ics")
        .text()
        .await
        .expect("text");
    assert!(text.contains("METHOD:CANCEL"), "{text}");
    let page = b
        .get("/book/alpha/cortes?day=2026-03-09&tz=America/Bogota")
        .await;
    assert!(
        page.contains("value=\"2026-03-09T08:30:00-05:00\""),
        "the slot is free again"
    );

    // A cross-site post is refused even with the token.
    let res = s
        .app
        .http()
        .post(s.app.url(&format!("/book/manage/{mine}/cancel")))
        .header("sec-fetch-site", "cross-site")
        .form(&[("tz", "UTC")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);

    // Forged and garbled tokens are unknown.
    let mut forged = mine.clone();
    let last = forged.pop().expect("char");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [forged.as_str(), "garbage", "a.b"] {
        assert_eq!(
            b.get(&format!("/book/manage/{bad}")).await.status,
            404,
            "{bad}"
        );
        assert_eq!(
            b.get(&format!("/book/manage/{bad}/invite.ics"))
                .await
                .status,
            404
        );
        assert_eq!(
            b.post_raw(&format!("/book/manage/{bad}/cancel"), &[])
                .await
                .status,
            404
        );
    }
}

#[tokio::test]
async fn a_base_domain_host_serves_its_workspace_booking_pages() {
    let s = setup().await;
    let http = s.app.http();
    let get = |host: &'static str, path: &'static str| {
        let http = http.clone();
        let url = s.app.url(path);
        async move {
            let res = http
                .get(url)
                .header("host", host)
                .send()
                .await
                .expect("get");
            let status = res.status().as_u16();
            (status, res.text().await.expect("body"))
        }
    };
    let (status, list) = get("alpha.book.test", "/book").await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("href=\"/book/demo\""));
    let (status, page) = get(
        "alpha.book.test:8080",
        "/book/demo?tz=Europe/Madrid&day=2026-03-09",
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("action=\"/book/demo\""));
    assert!(page.contains(&format!("value=\"{MADRID_MONDAY}\"")));
    // Another workspace's host does not see alpha's calendar.
    assert_eq!(get("bravo.book.test", "/book/demo").await.0, 404);
    assert_eq!(get("nobody.book.test", "/book").await.0, 404);
    // Without a workspace host, /book is nothing and /book/{slug} a list.
    assert_eq!(get("book.test", "/book").await.0, 404);
    assert_eq!(
        s.app
            .http()
            .get(s.app.url("/book"))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let (status, _) = get("alpha.book.test", "/book/alpha/demo").await;
    assert_eq!(status, 200, "the path form works on any host");

    // A booking through the host's page.
    let res = http
        .post(s.app.url("/book/demo"))
        .header("host", "alpha.book.test")
        .form(&form(MADRID_MONDAY, "host@example.com"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(location.starts_with("/book/manage/"));

    // A calendar that confirms its bookings: the page says it is pending
    // (same host, so 14:00 is taken by the booking above).
    calendar(&s.api, "pendiente", json!({"requires_confirmation": true})).await;
    let b = Browser::new(&s.app.base_url);
    let res = b
        .post_raw(
            "/book/alpha/pendiente",
            &form(MADRID_MONDAY_2, "pending@example.com"),
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    let page = b.get(res.location.as_deref().expect("location")).await;
    assert!(page.contains("Solicitud recibida"));
    assert!(page.contains("Tu cita queda pendiente hasta que el equipo la confirme."));
    assert!(page.contains("Pendiente de confirmación"));
    assert!(
        page.contains("data-testid=\"cancel\""),
        "a pending booking may be cancelled"
    );
    let _ = &s.a;
}

#[tokio::test]
async fn the_widgets_json_and_hostile_posts() {
    let app = TestApp::spawn_with(|c| c.intake_max_per_ip = 3).await;
    let a = tenant(&app, "alpha").await;
    calendar(&Api::of(&app, &a), "demo", json!({})).await;
    let http = app.http();

    // What the widget reads: the fields in the visitor's language, and the
    // slots in the visitor's zone (the API's shape), readable from any origin.
    let res = http
        .get(app.url("/book/alpha/demo/schema?lang=en"))
        .send()
        .await
        .expect("schema");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let schema: Value = res.json().await.expect("json");
    let names: Vec<&str> = schema["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(&names[..4], ["name", "email", "phone", "empresa"]);
    assert_eq!(schema["fields"][3]["label"], "Company");
    assert_eq!(schema["texts"]["book"], "Book");
    let res = http
        .get(
            app.url("/book/alpha/demo/slots?from=2026-03-10&to=2026-03-10&time_zone=Europe/Madrid"),
        )
        .send()
        .await
        .expect("slots");
    assert_eq!(res.status(), 200);
    let slots: Value = res.json().await.expect("json");
    assert_eq!(slots["time_zone"], "Europe/Madrid");
    assert_eq!(slots["slots"][0]["start"], "2026-03-10T01:00:00+01:00");
    let bad = http
        .get(app.url("/book/alpha/demo/slots?from=2026-03-10&to=2026-06-10"))
        .send()
        .await
        .expect("slots");
    assert_eq!(bad.status(), 400, "at most 62 days");
    assert_eq!(
        http.get(app.url("/book/alpha/nope/schema"))
            .send()
            .await
            .expect("schema")
            .status(),
        404
    );
    // The browser's preflight for the widget's JSON post.
    let res = http
        .request(reqwest::Method::OPTIONS, app.url("/book/alpha/demo"))
        .header("origin", "http://elsewhere.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert!(res.status().is_success());
    assert_eq!(res.headers()["access-control-allow-origin"], "*");

    // A body past the public cap is refused unread.
    let huge = "x".repeat(70 * 1024);
    let res = http
        .post(app.url("/book/alpha/demo"))
        .form(&[("name", huge.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 413);
    // Per IP: the limit's posts are answered, the next is 429 with a wait.
    for _ in 0..2 {
        let res = http
            .post(app.url("/book/alpha/demo"))
            .form(&[("name", "x")])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), 422);
    }
    let res = http
        .post(app.url("/book/alpha/demo"))
        .form(&[("name", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}
