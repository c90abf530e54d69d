//! The use cases against a real database (the backend `AF_TEST_BACKEND`
//! picks): the one create-deal path, contacts created through the
//! validator, a lead accepted with its deal, and a Cal.com delivery moving
//! that deal to the booked stage once.

use af_core::Actor;
use af_core::contact_input::{ContactField, Problem, RawContact};
use af_db::testing::{fresh_db, insert_lead, lead_input, pauta_workspace};
use af_db::{Ts, deals, pipelines};
use af_service::bookings::{self, CalcomOutcome};
use af_service::deals::{DealContact, DealError, DealProblem, NewDealRequest, create_deal};
use af_service::intake::{self, IntakeError, PautaLead};
use serde_json::json;

fn now() -> Ts {
    Ts::new("2026-03-02T15:00:00Z".parse().expect("instant"))
}

fn request(contact: DealContact) -> NewDealRequest {
    NewDealRequest {
        contact,
        pipeline_id: None,
        stage_id: None,
        title: "Rediseño".into(),
        value_minor: 1_250_050,
        currency: None,
        owner_id: None,
    }
}

#[tokio::test]
async fn every_door_creates_deals_the_same_way() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    let ana = insert_lead(
        &t.db,
        ws.id,
        &lead_input("Ana", "", Some("ana@x.mx"), Some("+528112345678")),
        now(),
    )
    .await;
    let deal = create_deal(
        &t.db,
        &ws,
        &request(DealContact::Existing(ana)),
        &actor,
        now(),
    )
    .await
    .expect("created");
    assert_eq!(
        (deal.currency.as_str(), deal.value_minor),
        ("MXN", 1_250_050)
    );
    let default = pipelines::default_pipeline(&t.db, ws.id)
        .await
        .expect("pipeline")
        .expect("a default pipeline");
    assert_eq!(deal.pipeline_id, default.pipeline.id);
    assert_eq!(
        deal.stage_id, default.stages[0].id,
        "the default pipeline's first stage"
    );

    // A new contact goes through the contact validator and the upsert rule.
    let nora = RawContact {
        first_name: Some("Nora".into()),
        email: Some("Nora@Example.com".into()),
        ..Default::default()
    };
    let d2 = create_deal(
        &t.db,
        &ws,
        &request(DealContact::New(Box::new(nora))),
        &actor,
        now(),
    )
    .await
    .expect("created with its contact");
    assert_ne!(d2.contact_id, deal.contact_id);

    // Refusals store nothing.
    let before = deals::list_deals(&t.db, ws.id, &Default::default(), 100)
        .await
        .expect("deals")
        .len();
    let bad = NewDealRequest {
        title: " ".into(),
        value_minor: -1,
        ..request(DealContact::New(Box::default()))
    };
    match create_deal(&t.db, &ws, &bad, &actor, now()).await {
        Err(DealError::Invalid(p)) => {
            assert!(matches!(p[0], DealProblem::Title(_)));
            assert!(matches!(p[1], DealProblem::Value(_)));
            assert!(
                matches!(&p[2], DealProblem::Contact(e) if e[0].problem == Problem::NoContactPoint)
            );
        }
        other => panic!("{other:?}"),
    }
    let other = pauta_workspace_named(&t.db, "otra").await;
    let foreign = create_deal(
        &t.db,
        &other,
        &request(DealContact::Existing(ana)),
        &actor,
        now(),
    )
    .await;
    assert!(
        matches!(foreign, Err(DealError::NotFound(w)) if w.starts_with("contact")),
        "{foreign:?}"
    );
    // The email of one contact with the phone of another.
    let clash = RawContact {
        email: Some("nora@example.com".into()),
        phone: Some("8112345678".into()),
        ..Default::default()
    };
    let taken = create_deal(
        &t.db,
        &ws,
        &request(DealContact::New(Box::new(clash))),
        &actor,
        now(),
    )
    .await;
    assert!(matches!(taken, Err(DealError::ContactTaken)), "{taken:?}");
    let after = deals::list_deals(&t.db, ws.id, &Default::default(), 100)
        .await
        .expect("deals")
        .len();
    assert_eq!(before, after);
}

async fn pauta_workspace_named(db: &af_db::Db, slug: &str) -> af_db::workspaces::Workspace {
    let mut tx = db.begin().await.expect("tx");
    let ws = af_db::workspaces::insert_workspace(
        &mut tx,
        &af_db::workspaces::NewWorkspace {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "America/Bogota".into(),
            locale: af_core::Locale::Es,
            country: "CO".into(),
        },
        now(),
    )
    .await
    .expect("workspace");
    pipelines::insert_default_pipeline(&mut tx, ws.id, af_core::Locale::Es, now())
        .await
        .expect("pipeline");
    tx.commit().await.expect("commit");
    ws
}

#[tokio::test]
async fn contacts_and_pauta_leads_go_through_the_one_validator() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    let raw = RawContact {
        name: Some("  María  José Pérez ".into()),
        phone: Some("81 1234 5678".into()),
        ..Default::default()
    };
    let up = intake::create_contact(&t.db, &ws, &[], &raw, &actor, now())
        .await
        .expect("created");
    assert!(up.created);
    assert_eq!(up.contact.last_name, "José Pérez");
    let hostile = RawContact {
        first_name: Some("Ana\u{0}".into()),
        ..Default::default()
    };
    match intake::create_contact(&t.db, &ws, &[], &hostile, &actor, now()).await {
        Err(IntakeError::Invalid(e)) => {
            assert_eq!(
                (e[0].field.clone(), e[0].problem),
                (ContactField::FirstName, Problem::ControlCharacters)
            )
        }
        other => panic!("{:?}", other.map(|u| u.contact.id)),
    }

    let lead = PautaLead {
        nombre: Some("Luis Gómez".into()),
        email: Some("luis@x.mx".into()),
        servicio: Some(" SEO ".into()),
        ..Default::default()
    };
    let a = intake::accept_pauta_lead(
        &af_db::GroupCommit::new(t.db.clone()),
        &ws,
        lead,
        json!({}),
        None,
        intake::public_actor("test"),
        now(),
    )
    .await
    .expect("accepted");
    assert!(a.created);
    let c = af_db::contacts::find_contact(&t.db, ws.id, a.contact_id)
        .await
        .expect("find")
        .expect("contact");
    assert_eq!(c.custom_map()["servicio"], "SEO", "kept in its own field");
    let deal = deals::find_deal(&t.db, ws.id, a.deal_id)
        .await
        .expect("find")
        .expect("deal");
    assert_eq!(deal.title, "Luis Gómez");

    // A second lead of the same person keeps the open deal.
    let again = intake::accept_pauta_lead(
        &af_db::GroupCommit::new(t.db.clone()),
        &ws,
        PautaLead {
            email: Some("LUIS@x.mx".into()),
            ..Default::default()
        },
        json!({}),
        None,
        intake::public_actor("test"),
        now(),
    )
    .await
    .expect("accepted");
    assert_eq!((again.contact_id, again.deal_id), (a.contact_id, a.deal_id));

    // Nothing to reach the person by: refused, on PAUTA's `nombre`.
    let empty = PautaLead {
        empresa: Some("Solo empresa".into()),
        ..Default::default()
    };
    match intake::accept_pauta_lead(
        &af_db::GroupCommit::new(t.db.clone()),
        &ws,
        empty,
        json!({}),
        None,
        intake::public_actor("test"),
        now(),
    )
    .await
    {
        Err(IntakeError::Invalid(e)) => assert_eq!(intake::pauta_field(&e[0]), "nombre"),
        other => panic!("{:?}", other.map(|a| a.contact_id)),
    }

    // Cal.com: the lead books; its deal moves to the booked stage, once.
    let body = json!({
        "triggerEvent": "BOOKING_CREATED",
        "payload": {
            "uid": "bk-1",
            "title": "Llamada",
            "startTime": "2026-03-03T16:00:00Z",
            "endTime": "2026-03-03T16:30:00Z",
            "attendees": [{"email": "luis@x.mx", "name": "Luis", "timeZone": "America/Mexico_City"}]
        }
    });
    let text = body.to_string();
    let out = bookings::receive_calcom(
        &af_db::GroupCommit::new(t.db.clone()),
        &ws,
        &text,
        &body,
        true,
        now(),
    )
    .await
    .expect("processed");
    let CalcomOutcome::Processed {
        contact_id,
        deal_id,
        status,
        ..
    } = out
    else {
        panic!("{out:?}");
    };
    assert_eq!(
        (contact_id, deal_id, status.as_str()),
        (a.contact_id, Some(a.deal_id), "booked")
    );
    let mut tx = t.db.begin().await.expect("tx");
    let booked = pipelines::booked_stage_tx(&mut tx, ws.id, deal.pipeline_id)
        .await
        .expect("stage")
        .expect("a booked stage");
    tx.rollback().await.expect("rollback");
    let moved = deals::find_deal(&t.db, ws.id, a.deal_id)
        .await
        .expect("find")
        .expect("deal");
    assert_eq!(moved.stage_id, booked.id);
    assert_eq!(
        bookings::receive_calcom(
            &af_db::GroupCommit::new(t.db.clone()),
            &ws,
            &text,
            &body,
            true,
            now()
        )
        .await
        .expect("repeat"),
        CalcomOutcome::Duplicate
    );
}

mod calendars {
    use super::*;
    use af_db::calendars::{self as store, Host};
    use af_db::users;
    use af_service::calendars::{BookingError, BookingRequest, CalendarRequest, check};

    fn t(s: &str) -> Ts {
        Ts::new(s.parse::<jiff::Timestamp>().expect("time"))
    }

    fn request(slug: &str, policy: &str) -> CalendarRequest {
        serde_json::from_value(json!({
            "name": "Asesoría", "slug": slug, "time_zone": "America/Mexico_City",
            "duration_minutes": 30, "buffer_after_minutes": 10, "policy": policy,
            "availability": [
                {"weekday": 1, "start": "09:00", "end": "11:00"},
                {"weekday": 1, "start": "16:00", "end": "17:00"},
                {"weekday": 2, "start": "09:00", "end": "10:00"}
            ]
        }))
        .expect("request")
    }

    #[test]
    fn a_definition_is_checked_field_by_field() {
        let mut bad = request("Bad Slug!", "sometimes");
        bad.time_zone = "Mars/Olympus".into();
        bad.duration_minutes = 7;
        bad.availability.push(af_service::calendars::WeeklyWindow {
            weekday: 9,
            start: "10:00".into(),
            end: "11:00".into(),
        });
        let problems = check(&bad).expect_err("refused");
        let fields: Vec<&str> = problems.iter().map(|p| p.field).collect();
        for f in [
            "slug",
            "time_zone",
            "duration_minutes",
            "availability",
            "policy",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        let ok = check(&request("asesoria", "owner")).expect("valid");
        assert_eq!(ok.horizon_days, 14, "the default horizon");
        assert_eq!(ok.reminders, vec![1440, 60]);
    }

    #[tokio::test]
    async fn slots_booking_and_a_lost_race_on_both_backends() {
        let tdb = fresh_db().await;
        let db = &tdb.db;
        let ws = pauta_workspace(db, now()).await;
        let mut tx = db.begin().await.expect("tx");
        let ana = users::insert_user(&mut tx, "ana@pauta.example", "Ana", "h", now())
            .await
            .expect("ana");
        let cal = store::insert_calendar(
            &mut tx,
            ws.id,
            &check(&request("asesoria", "owner")).expect("ok"),
            now(),
        )
        .await
        .expect("calendar");
        store::set_hosts(
            &mut tx,
            ws.id,
            cal.id,
            &[Host {
                user_id: ana.id,
                priority: 0,
                weight: 1,
                adjustment: 0,
                weekly: None,
                daily_cap: None,
            }],
            now(),
        )
        .await
        .expect("hosts");
        tx.commit().await.expect("commit");

        // Monday 2026-06-01, 08:00 in Mexico City.
        let at = t("2026-06-01T14:00:00Z");
        let monday = jiff::civil::date(2026, 6, 1);
        let av = af_service::calendars::availability(db, &cal, monday, monday, at)
            .await
            .expect("slots");
        let starts: Vec<String> = av.slots.iter().map(|s| s.start.to_string()).collect();
        assert_eq!(
            starts,
            [
                "2026-06-01T15:00:00Z",
                "2026-06-01T15:30:00Z",
                "2026-06-01T16:00:00Z",
                "2026-06-01T16:30:00Z",
                "2026-06-01T22:00:00Z",
                "2026-06-01T22:30:00Z"
            ]
        );

        let req = BookingRequest {
            start: "2026-06-01T09:30:00-06:00".into(),
            name: "Luis Pérez".into(),
            email: "luis@example.com".into(),
            phone: None,
            time_zone: Some("Europe/Madrid".into()),
            answers: Default::default(),
            attribution: Default::default(),
        };
        let booked = af_service::calendars::book(db, &ws, &cal, &req, at)
            .await
            .expect("booked");
        assert_eq!(
            booked.appointment.starts_at,
            Some(t("2026-06-01T15:30:00Z"))
        );
        assert_eq!(booked.appointment.status, "booked");
        assert_eq!(booked.host, ana.id);
        let deal = deals::find_deal(db, ws.id, booked.deal_id.expect("deal"))
            .await
            .expect("read")
            .expect("deal");
        let mut tx = db.begin().await.expect("tx");
        let stage = pipelines::get_stage_tx(&mut tx, ws.id, deal.stage_id)
            .await
            .expect("stage");
        drop(tx);
        assert_eq!(stage.name, "Agendado", "the deal waits on the booked stage");

        // The same slot again: gone from the page, refused if posted.
        let again = af_service::calendars::book(db, &ws, &cal, &req, at).await;
        assert!(matches!(again, Err(BookingError::SlotTaken)), "{again:?}");
        let av = af_service::calendars::availability(db, &cal, monday, monday, at)
            .await
            .expect("slots");
        let starts: Vec<String> = av.slots.iter().map(|s| s.start.to_string()).collect();
        assert!(
            !starts
                .iter()
                .any(|s| s == "2026-06-01T15:30:00Z" || s == "2026-06-01T16:00:00Z"),
            "the booked slot and the one its 10-minute buffer reaches are gone: {starts:?}"
        );

        // A time the calendar never offers.
        let off = BookingRequest {
            start: "2026-06-01T12:00:00-06:00".into(),
            ..req.clone()
        };
        assert!(matches!(
            af_service::calendars::book(db, &ws, &cal, &off, at).await,
            Err(BookingError::SlotTaken)
        ));
        let bad = BookingRequest {
            email: "not an email".into(),
            start: "2026-06-01T10:30:00-06:00".into(),
            ..req
        };
        assert!(matches!(
            af_service::calendars::book(db, &ws, &cal, &bad, at).await,
            Err(BookingError::Answers(ref e)) if e.iter().any(|e| e.field == "email")
        ));
    }

    #[tokio::test]
    async fn questions_are_checked_kept_and_mapped_like_form_fields() {
        use af_service::submissions::SubmitProblem;
        let tdb = fresh_db().await;
        let db = &tdb.db;
        let ws = pauta_workspace(db, now()).await;
        af_service::provision::add_user(
            db,
            &ws,
            "ana@pauta.example",
            Some("Ana"),
            "correct horse battery",
            af_core::Role::Owner,
            now(),
        )
        .await
        .expect("ana");
        let mut tx = db.begin().await.expect("tx");
        af_db::custom_fields::insert_field(
            &mut tx,
            ws.id,
            "presupuesto",
            "Presupuesto",
            "number",
            &[],
            now(),
        )
        .await
        .expect("custom field");
        tx.commit().await.expect("commit");
        let mut req = request("asesoria", "owner");
        req.hosts = vec!["ana@pauta.example".into()];
        // A question named like a fixed field, and one of an unknown type.
        req.questions = serde_json::from_value(json!([
            {"name": "email", "type": "text", "label": "Otro correo"},
            {"name": "color", "type": "colour", "label": "Color"}
        ]))
        .expect("questions");
        let problems = check(&req).expect_err("refused");
        let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
        assert!(
            codes.contains(&"question_key") && codes.contains(&"question_type"),
            "{codes:?}"
        );
        // A number question saved to a select custom field is refused on save.
        req.questions = serde_json::from_value(json!([
            {"key": "budget", "type": "number", "label": "Presupuesto", "required": true, "maps_to": "custom:presupuesto"},
            {"name": "services", "type": "multiselect", "label": "Servicios", "options": ["SEO", "Ads", "Web"]},
            {"name": "notes", "type": "textarea", "label": "Notas"}
        ]))
        .expect("questions");
        let cal = af_service::calendars::save_calendar(db, &ws, None, &req, now())
            .await
            .expect("saved");
        assert_eq!(af_service::calendars::questions_of(&cal).len(), 3);
        let at = t("2026-06-01T14:00:00Z");
        let mut booking = BookingRequest {
            start: "2026-06-01T10:00:00-06:00".into(),
            name: "Luis Pérez".into(),
            email: "luis@example.com".into(),
            phone: None,
            time_zone: None,
            answers: serde_json::from_value(json!({"services": ["SEO", "Radio"]}))
                .expect("answers"),
            attribution: Default::default(),
        };
        let refused = af_service::calendars::book(db, &ws, &cal, &booking, at).await;
        let Err(BookingError::Answers(errors)) = refused else {
            panic!("refused answers: {refused:?}");
        };
        let problems: Vec<(&str, &SubmitProblem)> = errors
            .iter()
            .map(|e| (e.field.as_str(), &e.problem))
            .collect();
        assert_eq!(
            problems,
            vec![
                ("budget", &SubmitProblem::Required),
                ("services", &SubmitProblem::InvalidChoice)
            ]
        );
        booking.answers = serde_json::from_value(json!({
            "budget": "2500", "services": ["SEO", "Web"], "notes": "Llamar\npor la tarde"
        }))
        .expect("answers");
        booking.attribution = [("utm_campaign".to_string(), "primavera".to_string())].into();
        let booked = af_service::calendars::book(db, &ws, &cal, &booking, at)
            .await
            .expect("booked");
        let answers: serde_json::Value =
            serde_json::from_str(booked.appointment.answers.as_deref().unwrap_or("null"))
                .expect("json");
        assert_eq!(
            answers,
            json!({"budget": 2500.0, "services": ["SEO", "Web"], "notes": "Llamar\npor la tarde"})
        );
        let contact = af_db::contacts::find_contact(db, ws.id, booked.contact_id)
            .await
            .expect("read")
            .expect("contact");
        assert_eq!(
            contact.custom_map().get("presupuesto"),
            Some(&json!(2500.0))
        );
        assert_eq!(contact.last_utm_campaign.as_deref(), Some("primavera"));
    }

    #[tokio::test]
    async fn invitees_are_held_to_cut_offs_and_the_reschedule_cap() {
        use af_service::calendars::{ChangeError, ChangedBy};
        let tdb = fresh_db().await;
        let db = &tdb.db;
        let ws = pauta_workspace(db, now()).await;
        let mut req = request("asesoria", "owner");
        req.cancel_cutoff_minutes = Some(720);
        req.reschedule_cutoff_minutes = Some(60);
        req.max_reschedules = Some(1);
        let mut tx = db.begin().await.expect("tx");
        let ana = users::insert_user(&mut tx, "ana@pauta.example", "Ana", "h", now())
            .await
            .expect("ana");
        let cal = store::insert_calendar(&mut tx, ws.id, &check(&req).expect("ok"), now())
            .await
            .expect("cal");
        store::set_hosts(
            &mut tx,
            ws.id,
            cal.id,
            &[Host {
                user_id: ana.id,
                priority: 0,
                weight: 1,
                adjustment: 0,
                weekly: None,
                daily_cap: None,
            }],
            now(),
        )
        .await
        .expect("hosts");
        tx.commit().await.expect("commit");
        // Monday 08:00 in Mexico City; the booking is at 10:00 (2 h away).
        let at = t("2026-06-01T14:00:00Z");
        let booking = BookingRequest {
            start: "2026-06-01T10:00:00-06:00".into(),
            name: "Luis Pérez".into(),
            email: "luis@example.com".into(),
            phone: None,
            time_zone: None,
            answers: Default::default(),
            attribution: Default::default(),
        };
        let booked = af_service::calendars::book(db, &ws, &cal, &booking, at)
            .await
            .expect("booked");
        let id = booked.appointment.id;
        let actor = af_core::Actor::system();
        let refused =
            af_service::calendars::cancel(db, &ws, id, ChangedBy::Invitee, &actor, at).await;
        assert!(
            matches!(refused, Err(ChangeError::PastCutoff)),
            "12 h cut-off: {refused:?}"
        );

        let moved = af_service::calendars::reschedule(
            db,
            &ws,
            id,
            "2026-06-01T10:30:00-06:00",
            ChangedBy::Invitee,
            &actor,
            at,
        )
        .await
        .expect("2 h ahead is outside the 1 h cut-off");
        assert_eq!(moved.reschedules, 1);
        let again = af_service::calendars::reschedule(
            db,
            &ws,
            id,
            "2026-06-01T16:00:00-06:00",
            ChangedBy::Invitee,
            &actor,
            at,
        )
        .await;
        assert!(
            matches!(again, Err(ChangeError::TooManyReschedules)),
            "{again:?}"
        );
        af_service::calendars::reschedule(
            db,
            &ws,
            id,
            "2026-06-01T16:00:00-06:00",
            ChangedBy::Agency,
            &actor,
            at,
        )
        .await
        .expect("the agency is not capped");
        let done = af_service::calendars::cancel(db, &ws, id, ChangedBy::Agency, &actor, at)
            .await
            .expect("cancelled");
        assert_eq!((done.status.as_str(), done.sequence), ("cancelled", 3));
        let ics = af_service::calendars::invitation(db, &ws, id)
            .await
            .expect("ics");
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("SEQUENCE:3\r\n"));
    }

    #[tokio::test]
    async fn status_moves_are_the_allowed_ones_and_audited() {
        use af_service::calendars::{HostSpec, StatusError, set_status};
        let tdb = fresh_db().await;
        let db = &tdb.db;
        let ws = pauta_workspace(db, now()).await;
        for (email, role) in [
            ("ana@pauta.example", af_core::Role::Owner),
            ("beto@pauta.example", af_core::Role::Member),
        ] {
            af_service::provision::add_user(
                db,
                &ws,
                email,
                Some("Host"),
                "correct horse battery",
                role,
                now(),
            )
            .await
            .expect("user");
        }
        // Hosts as the API's strings and objects, mixed.
        let mut req = request("asesoria", "equal_distribution");
        req.requires_confirmation = true;
        req.hosts = serde_json::from_value(json!([
            "ana@pauta.example",
            {"user": "beto@pauta.example", "weight": 3, "priority": 2, "daily_cap": 4,
             "availability": [{"weekday": 1, "start": "09:00", "end": "10:00"}]}
        ]))
        .expect("hosts");
        assert!(matches!(req.hosts[0], HostSpec::Named(_)));
        let cal = af_service::calendars::save_calendar(db, &ws, None, &req, now())
            .await
            .expect("saved");
        let hosts = store::list_hosts(db, ws.id, cal.id).await.expect("hosts");
        assert_eq!(hosts.len(), 2);
        assert_eq!((hosts[0].weight, hosts[0].daily_cap), (1, None));
        assert_eq!(
            (hosts[1].weight, hosts[1].priority, hosts[1].daily_cap),
            (3, 2, Some(4))
        );
        assert!(
            hosts[1]
                .weekly
                .as_deref()
                .is_some_and(|w| w.contains("10:00"))
        );
        // A bad weight is the hosts field's problem.
        let mut bad = req.clone();
        bad.hosts = serde_json::from_value(json!([{"user": "ana@pauta.example", "weight": 0}]))
            .expect("hosts");
        let refused = af_service::calendars::save_calendar(db, &ws, Some(&cal), &bad, now()).await;
        assert!(
            matches!(&refused, Err(af_service::calendars::SaveError::Invalid(p)) if p[0].field == "hosts"),
            "{refused:?}"
        );

        let at = t("2026-06-01T14:00:00Z");
        let booking = BookingRequest {
            start: "2026-06-01T09:00:00-06:00".into(),
            name: "Luis Pérez".into(),
            email: "luis@example.com".into(),
            phone: None,
            time_zone: None,
            answers: Default::default(),
            attribution: Default::default(),
        };
        let booked = af_service::calendars::book(db, &ws, &cal, &booking, at)
            .await
            .expect("booked");
        let a = booked.appointment;
        assert_eq!(a.status, "pending");
        let actor = Actor::system();
        let refused = set_status(db, &ws, a.id, "completed", &actor, at).await;
        assert!(
            matches!(&refused, Err(StatusError::InvalidTransition { from, to }) if from == "pending" && to == "completed"),
            "{refused:?}"
        );
        let refused = set_status(db, &ws, a.id, "rescheduled", &actor, at).await;
        assert!(matches!(
            refused,
            Err(StatusError::InvalidTransition { .. })
        ));
        let confirmed = set_status(db, &ws, a.id, "booked", &actor, at)
            .await
            .expect("confirmed");
        assert_eq!(confirmed.status, "booked");
        // The other host takes the same time; cancelling it through
        // set_status releases its claims, so the time is offered again.
        let second = BookingRequest {
            email: "otra@example.com".into(),
            ..booking.clone()
        };
        let b = af_service::calendars::book(db, &ws, &cal, &second, at)
            .await
            .expect("the other host is free")
            .appointment;
        assert_ne!(b.host_user_id, a.host_user_id);
        let third = BookingRequest {
            email: "tercera@example.com".into(),
            ..booking.clone()
        };
        assert!(matches!(
            af_service::calendars::book(db, &ws, &cal, &third, at).await,
            Err(BookingError::SlotTaken)
        ));
        set_status(db, &ws, b.id, "cancelled", &actor, at)
            .await
            .expect("cancelled");
        af_service::calendars::book(db, &ws, &cal, &third, at)
            .await
            .expect("the freed time books again");

        // After the meeting: attended, corrected, corrected back.
        let later = t("2026-06-01T16:00:00Z");
        for to in ["completed", "no_show", "completed"] {
            let moved = set_status(db, &ws, a.id, to, &actor, later)
                .await
                .expect("allowed");
            assert_eq!(moved.status, to);
        }
        let refused = set_status(db, &ws, a.id, "cancelled", &actor, later).await;
        assert!(matches!(
            refused,
            Err(StatusError::InvalidTransition { .. })
        ));
        let events =
            af_db::events::list_entity_events(db, ws.id, &a.contact_id.to_string(), &[], 50)
                .await
                .expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        for kind in [
            "appointment.requested",
            "appointment.confirmed",
            "appointment.completed",
            "appointment.no_show",
        ] {
            assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
        }
        // An id the workspace does not have is not found.
        let missing = set_status(
            db,
            &ws,
            af_core::AppointmentId::new(),
            "no_show",
            &actor,
            at,
        )
        .await;
        assert!(matches!(missing, Err(StatusError::NotFound)), "{missing:?}");
    }

    /// Concurrent bookings of one time on a round-robin calendar each get
    /// a host while any is free (a booking that lost a host to another is
    /// tried again), and only then is the time full.
    #[tokio::test]
    async fn concurrent_bookings_of_one_time_share_out_the_free_hosts() {
        let tdb = fresh_db().await;
        let db = &tdb.db;
        let ws = pauta_workspace(db, now()).await;
        let mut tx = db.begin().await.expect("tx");
        let cal = store::insert_calendar(
            &mut tx,
            ws.id,
            &check(&request("equipo", "equal_distribution")).expect("ok"),
            now(),
        )
        .await
        .expect("calendar");
        let mut hosts = Vec::new();
        for i in 0..4 {
            let u = users::insert_user(
                &mut tx,
                &format!("host{i}@pauta.example"),
                "Host",
                "h",
                now(),
            )
            .await
            .expect("user");
            hosts.push(Host {
                user_id: u.id,
                priority: 0,
                weight: 1,
                adjustment: 0,
                weekly: None,
                daily_cap: None,
            });
        }
        store::set_hosts(&mut tx, ws.id, cal.id, &hosts, now())
            .await
            .expect("hosts");
        tx.commit().await.expect("commit");

        let at = t("2026-06-01T14:00:00Z");
        let booking = |i: usize| BookingRequest {
            start: "2026-06-01T09:30:00-06:00".into(),
            name: format!("Invitee {i}"),
            email: format!("invitee{i}@example.com"),
            phone: None,
            time_zone: None,
            answers: Default::default(),
            attribution: Default::default(),
        };
        let tries = (0..6).map(|i| {
            let (db, ws, cal, req) = (db.clone(), ws.clone(), cal.clone(), booking(i));
            tokio::spawn(async move { af_service::calendars::book(&db, &ws, &cal, &req, at).await })
        });
        let mut booked_hosts = Vec::new();
        let mut full = 0;
        for t in tries {
            match t.await.expect("task") {
                Ok(b) => booked_hosts.push(b.host),
                Err(BookingError::SlotTaken) => full += 1,
                Err(e) => panic!("a booking failed: {e:?}"),
            }
        }
        booked_hosts.sort_by_key(|h| h.0);
        booked_hosts.dedup();
        assert_eq!(booked_hosts.len(), 4, "every host booked once");
        assert_eq!(full, 2, "the time is full after four");
    }
}

#[path = "service/reports.rs"]
mod reports;
