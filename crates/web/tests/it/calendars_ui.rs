//! The team's side of booking calendars (issue 16), on the backend chosen
//! by `AF_TEST_BACKEND`: the calendar editor's pages (windows, overrides,
//! host settings, questions mapped to custom fields, refusals in the
//! reader's language, members read only), the agenda of native and
//! Cal.com appointments in the workspace's zone, the status actions (page
//! and API, with the 409 of a refused move) and the contact page.

use af_testkit::{Api, Browser, TwoTenants, testid_value, two_workspaces};
use serde_json::{Value, json};

async fn signed_in(t: &TwoTenants, email: &str) -> Browser {
    let b = t.app.browser();
    b.login(email, &t.a.password).await;
    b
}

/// The agenda's day sections, each as its HTML.
fn days(body: &str) -> Vec<&str> {
    body.split("data-testid=\"agenda-day\"").skip(1).collect()
}

fn calendar_form<'a>(
    owner_id: &'a str,
    member_id: &'a str,
    questions: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Diagnóstico"),
        ("slug", "diagnostico"),
        ("description", "Primera llamada"),
        ("location_kind", "video"),
        ("location", "https://meet.example/x"),
        ("time_zone", "America/Bogota"),
        ("duration_minutes", "45"),
        ("slot_interval_minutes", "0"),
        // Monday: two windows; Tuesday: one; the other days blank.
        ("w1_start", "09:00"),
        ("w1_end", "12:00"),
        ("w1_start", "14:00"),
        ("w1_end", "17:00"),
        ("w2_start", "10:00"),
        ("w2_end", "13:00"),
        ("w3_start", ""),
        ("w3_end", ""),
        // A date with its own hours and a day off.
        ("ov_date", "2026-03-10"),
        ("ov_start", "15:00"),
        ("ov_end", "16:00"),
        ("ov_date", "2026-03-16"),
        ("ov_start", ""),
        ("ov_end", ""),
        ("buffer_before_minutes", "5"),
        ("buffer_after_minutes", "10"),
        ("min_notice_minutes", "60"),
        ("horizon_days", "21"),
        ("daily_cap", "6"),
        ("cancel_cutoff_minutes", "720"),
        ("reschedule_cutoff_minutes", "720"),
        ("max_reschedules", "2"),
        ("rem_h", "24"),
        ("rem_m", "0"),
        ("rem_h", "1"),
        ("rem_m", "30"),
        ("tags", "diagnostico, web"),
        ("policy", "equal_distribution"),
        ("active", "1"),
        ("host", owner_id),
        ("host", member_id),
        ("questions_json", questions),
    ]
}

#[tokio::test]
async fn calendars_are_created_and_edited_through_the_pages() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let owner = signed_in(&t, &t.a.owner_email).await;

    // The list shows the seeded calendar with its public link.
    let list = owner.get("/calendars").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.contains("Asesoría"));
    assert!(list.contains("/book/alpha/asesoria"), "{}", list.body);
    assert!(!list.contains("data-testid=\"not-built\""));
    let new = owner.get("/calendars/new").await;
    assert_eq!(new.status, 200, "{}", new.body);

    let (_, members) = api.call("GET", "/api/v1/calendars", None).await;
    let seeded_hosts = &members["data"][0]["hosts"];
    let member_id = t.a.member_id.to_string();
    // The owner hosts a new calendar by default.
    let owner_id = testid_value(&new.body, &format!("host-{}", t.a.owner_email)).expect("owner");
    assert!(new.contains(&format!("value=\"{owner_id}\" checked")));
    assert_eq!(seeded_hosts[0]["user"], json!(member_id));
    assert_ne!(owner_id, member_id);

    let questions = json!([{
        "name": "presupuesto", "type": "number", "label": "Presupuesto mensual",
        "label_en": "Monthly budget", "required": true, "maps_to": "custom:budget"
    }, {
        "name": "servicios", "type": "multiselect", "label": "Servicios",
        "label_en": "Services", "required": false, "options": ["SEO", "Ads"]
    }])
    .to_string();
    let mut form = calendar_form(&owner_id, &member_id, &questions);
    let weight = format!("h_{owner_id}_weight");
    let mweight = format!("h_{member_id}_weight");
    let mown = format!("h_{member_id}_own");
    let mstart = format!("h_{member_id}_w1_start");
    let mend = format!("h_{member_id}_w1_end");
    let mcap = format!("h_{member_id}_cap");
    form.extend([
        (weight.as_str(), "2"),
        (mweight.as_str(), "1"),
        (mown.as_str(), "1"),
        (mstart.as_str(), "10:00"),
        (mend.as_str(), "11:00"),
        (mcap.as_str(), "3"),
    ]);
    let saved = owner.post("/calendars/new", &form).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let location = saved.location.clone().expect("redirect");
    let id = location.trim_start_matches("/calendars/").to_string();

    let (status, cal) = api
        .call("GET", &format!("/api/v1/calendars/{id}"), None)
        .await;
    assert_eq!(status, 200, "{cal}");
    assert_eq!(cal["time_zone"], "America/Bogota");
    assert_eq!(cal["duration_minutes"], 45);
    let monday: Vec<&Value> = cal["availability"]
        .as_array()
        .expect("availability")
        .iter()
        .filter(|w| w["weekday"] == 1)
        .collect();
    assert_eq!(
        monday,
        [
            &json!({"weekday": 1, "start": "09:00", "end": "12:00"}),
            &json!({"weekday": 1, "start": "14:00", "end": "17:00"})
        ]
    );
    assert_eq!(
        cal["overrides"],
        json!({"2026-03-10": [{"start": "15:00", "end": "16:00"}], "2026-03-16": []})
    );
    assert_eq!(cal["reminders_minutes"], json!([1440, 90]));
    assert_eq!(cal["daily_cap"], 6);
    assert_eq!(cal["policy"], "equal_distribution");
    assert_eq!(cal["tags"], json!(["diagnostico", "web"]));
    let hosts = cal["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 2, "{cal}");
    let of = |id: &str| hosts.iter().find(|h| h["user"] == id).expect("host");
    assert_eq!(of(&owner_id)["weight"], 2);
    assert_eq!(of(&member_id)["weight"], 1);
    assert_eq!(of(&member_id)["daily_cap"], 3);
    assert_eq!(
        of(&member_id)["availability"],
        json!([{"weekday": 1, "start": "10:00", "end": "11:00"}])
    );
    assert_eq!(cal["questions"][0]["maps_to"], "custom:budget");
    assert_eq!(cal["questions"][1]["options"], json!(["SEO", "Ads"]));

    // The editor shows what was saved.
    let page = owner.get(&location).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("value=\"14:00\""));
    assert!(page.contains("value=\"2026-03-16\""));
    assert!(page.contains("custom:budget"));
    assert!(page.contains("/book/alpha/diagnostico"));

    // The API's host objects go back unchanged through a PATCH.
    let (status, patched) = api
        .call(
            "PATCH",
            &format!("/api/v1/calendars/{id}"),
            Some(json!({"name": "Diagnóstico web"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["hosts"], cal["hosts"]);

    // Refusals beside their fields, in the reader's language; nothing saved.
    let mut bad = calendar_form(&owner_id, &member_id, "[]");
    for (k, v) in bad.iter_mut() {
        match *k {
            "slug" => *v = "Mal Slug",
            "duration_minutes" => *v = "7",
            "w2_end" => *v = "09:00",
            _ => {}
        }
    }
    let refused = owner.post(&location, &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.contains("data-testid=\"calendar-errors\""));
    assert!(
        refused.contains("Solo minúsculas, números y guiones"),
        "{}",
        refused.body
    );
    assert!(refused.contains("Usa múltiplos de 5 minutos."));
    assert!(refused.contains("el fin después del inicio"));
    assert!(
        refused.contains("value=\"Mal Slug\""),
        "the typed values stay"
    );
    let (_, unchanged) = api
        .call("GET", &format!("/api/v1/calendars/{id}"), None)
        .await;
    assert_eq!(unchanged["slug"], "diagnostico");

    // A slug taken by another calendar.
    let mut taken = calendar_form(&owner_id, &member_id, "[]");
    for (k, v) in taken.iter_mut() {
        if *k == "slug" {
            *v = "asesoria";
        }
    }
    let refused = owner.post(&location, &taken).await;
    assert_eq!(refused.status, 422);
    assert!(refused.contains("Otro calendario ya usa esta dirección."));

    // Deleting keeps the workspace's other calendars.
    let gone = owner.post(&format!("{location}/delete"), &[]).await;
    assert_eq!(gone.status, 303);
    let (status, _) = api
        .call("GET", &format!("/api/v1/calendars/{id}"), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn members_see_calendars_but_cannot_change_them() {
    let t = two_workspaces().await;
    let member = signed_in(&t, &t.a.member_email).await;
    let cal = t.a.ids["calendars.calendar_id"].clone();
    let list = member.get("/calendars").await;
    assert_eq!(list.status, 200);
    assert!(!list.contains("data-testid=\"new-calendar\""));
    let page = member.get(&format!("/calendars/{cal}")).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("data-testid=\"read-only\""));
    assert!(!page.contains("data-testid=\"cal-save\""));
    assert_eq!(member.get("/calendars/new").await.status, 403);
    let post = member
        .post(&format!("/calendars/{cal}"), &[("name", "Cambiado")])
        .await;
    assert_eq!(post.status, 403);
    let del = member.post(&format!("/calendars/{cal}/delete"), &[]).await;
    assert_eq!(del.status, 403);
    // Another workspace's calendar does not exist here.
    let other = t.b.ids["calendars.calendar_id"].clone();
    assert_eq!(member.get(&format!("/calendars/{other}")).await.status, 404);
}

#[tokio::test]
async fn the_agenda_shows_appointments_on_their_day_and_changes_statuses() {
    let t = two_workspaces().await;
    let api = Api::of(&t.app, &t.a);
    let cal = t.a.ids["calendars.calendar_id"].clone();
    // Monday 2026-03-09 09:00 in Mexico City (the calendar's and the
    // workspace's zone) = 15:00Z.
    let (status, booked) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(json!({"start": "2026-03-09T09:00:00-06:00", "name": "Marta Ruiz", "email": "marta@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{booked}");
    let native = booked["id"].as_str().expect("id").to_string();
    // A Cal.com booking late on Monday in Mexico City, already Tuesday in
    // UTC: the agenda puts it on Monday.
    let mut tx = t.app.db.begin().await.expect("tx");
    af_db::appointments::insert_appointment(
        &mut tx,
        t.a.ws.id,
        &af_db::appointments::AppointmentInput {
            contact_id: t.a.contact_id,
            deal_id: None,
            title: "Demo Cal.com".into(),
            starts_at: Some(af_db::Ts::new("2026-03-10T05:00:00Z".parse().expect("ts"))),
            ends_at: Some(af_db::Ts::new("2026-03-10T05:30:00Z".parse().expect("ts"))),
            time_zone: None,
            organizer_time_zone: None,
            status: "booked",
            source: "calcom",
            external_uid: Some("late-monday".into()),
            metadata: json!({}),
        },
        t.app.now(),
    )
    .await
    .expect("appointment");
    tx.commit().await.expect("commit");

    let owner = signed_in(&t, &t.a.owner_email).await;
    let week = owner
        .get("/calendars/agenda?view=week&date=2026-03-11")
        .await;
    assert_eq!(week.status, 200, "{}", week.body);
    let d = days(&week.body);
    assert_eq!(d.len(), 7);
    assert!(
        d[0].contains("Marta Ruiz") && d[0].contains("Asesoría"),
        "{}",
        d[0]
    );
    assert!(d[0].contains("Demo Cal.com"), "late Monday stays on Monday");
    assert!(!d[1].contains("Demo Cal.com"));
    assert!(d[0].contains("Agendada"), "status labels, never codes");
    assert!(!week.body.contains(">booked<"));
    // The seeded Cal.com call (Saturday 2026-03-07) is in the week before.
    let prev = owner
        .get("/calendars/agenda?view=week&date=2026-03-07")
        .await;
    assert!(days(&prev.body)[5].contains("Demo Zoom"));
    // One host's day.
    let day = owner
        .get(&format!(
            "/calendars/agenda?view=day&date=2026-03-09&host={}",
            t.a.member_id
        ))
        .await;
    assert_eq!(days(&day.body).len(), 1);
    assert!(day.contains("Marta Ruiz"));
    assert!(!day.contains("Demo Cal.com"), "Cal.com has no host here");

    // Cancel from the agenda: the slot is free again.
    let back = "/calendars/agenda?view=week&date=2026-03-09";
    let done = owner
        .post(
            &format!("/calendars/appointments/{native}/status"),
            &[("status", "cancelled"), ("back", back)],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some(back));
    // A refused move answers 409 through the API and a message on pages.
    let (status, refused) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{native}/status"),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_transition");
    let again = owner
        .post(
            &format!("/calendars/appointments/{native}/status"),
            &[("status", "booked"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(again.location.as_deref(), Some("/calendars/agenda"));
    let shown = owner.get("/calendars/agenda").await;
    assert!(shown.contains("Esa cita ya no puede pasar a ese estado"));

    // Rebook, let the meeting pass, and answer "¿Asistió?".
    let (status, rebooked) = api
        .call(
            "POST",
            &format!("/api/v1/calendars/{cal}/bookings"),
            Some(json!({"start": "2026-03-09T09:00:00-06:00", "name": "Marta Ruiz", "email": "marta@example.com"})),
        )
        .await;
    assert_eq!(status, 201, "{rebooked}");
    let id = rebooked["id"].as_str().expect("id").to_string();
    t.app.clock.advance(jiff::SignedDuration::from_hours(72));
    let later = owner
        .get("/calendars/agenda?view=day&date=2026-03-09")
        .await;
    assert!(
        later.contains("data-testid=\"attended-yes\""),
        "{}",
        later.body
    );
    assert!(later.contains("¿Asistió?"));
    let yes = owner
        .post(
            &format!("/calendars/appointments/{id}/status"),
            &[("status", "completed"), ("back", "/calendars/agenda")],
        )
        .await;
    assert_eq!(yes.status, 303);
    // A correction through the API.
    let (status, fixed) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{id}/status"),
            Some(json!({"status": "no_show"})),
        )
        .await;
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["status"], "no_show");
    assert_eq!(fixed["source"], "calendar");
    // The list endpoint shows native bookings as such.
    let (_, list) = api.call("GET", "/api/v1/appointments", None).await;
    assert!(
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .any(|a| a["id"] == json!(id) && a["source"] == "calendar")
    );

    // The contact page lists the appointments with the same actions, and
    // its timeline words the moves.
    let contact = fixed["contact_id"].as_str().expect("contact").to_string();
    let page = owner.get(&format!("/contacts/{contact}")).await;
    assert_eq!(page.status, 200);
    assert!(page.contains("data-testid=\"contact-appointments\""));
    assert!(page.contains("No asistió"));
    assert!(page.contains("data-testid=\"action-completed\""));
    assert!(page.contains("Agendó una cita: Asesoría"), "{}", page.body);
    assert!(page.contains("Asistió a una cita"));
    assert!(page.contains("No asistió a una cita"));
    // The seeded contact's Cal.com appointments too.
    let seeded = owner.get(&format!("/contacts/{}", t.a.contact_id)).await;
    assert!(seeded.contains("Demo Zoom") && seeded.contains("Demo Cal.com"));

    // Another workspace's appointment is not found.
    let other = t.b.ids["forms.appointment_id"].clone();
    let (status, _) = api
        .call(
            "POST",
            &format!("/api/v1/appointments/{other}/status"),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(status, 404);
}
