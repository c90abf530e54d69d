//! No double booking, enforced by the database on the backend chosen by
//! `AF_TEST_BACKEND`: racing bookings of one slot, overlapping bookings of
//! one host through two calendars, cancel then rebook, a reschedule into a
//! taken slot, a pending booking holding its slot.

use af_core::{AppointmentId, CalendarId, ContactId, UserId, WorkspaceId};
use af_db::calendars::{self, CalendarInput, Host, NewBooking, is_slot_taken};
use af_db::testing::{fresh_db, insert_lead, lead_input, pauta_workspace};
use af_db::{Db, Ts, users};
use jiff::{SignedDuration, Timestamp};

fn t(s: &str) -> Ts {
    Ts::new(s.parse::<Timestamp>().expect("valid time"))
}

fn now() -> Ts {
    t("2026-06-01T12:00:00Z")
}

fn calendar(slug: &str, duration: i32) -> CalendarInput {
    CalendarInput {
        name: format!("Calendario {slug}"),
        slug: slug.into(),
        description: String::new(),
        location_kind: "video".into(),
        location: "https://meet.example/x".into(),
        time_zone: "America/Mexico_City".into(),
        duration_minutes: duration,
        slot_interval_minutes: 0,
        availability: serde_json::json!([[], [], [], [], [], [], []]),
        overrides: serde_json::json!({}),
        buffer_before_minutes: 0,
        buffer_after_minutes: 0,
        min_notice_minutes: 0,
        horizon_days: 14,
        daily_cap: None,
        questions: serde_json::json!([]),
        pipeline_id: None,
        stage_id: None,
        tags: vec![],
        requires_confirmation: false,
        cancel_cutoff_minutes: 0,
        reschedule_cutoff_minutes: 0,
        max_reschedules: 3,
        reminders: vec![1440, 60],
        policy: "owner".into(),
        active: true,
    }
}

struct Fixture {
    db: Db,
    ws: WorkspaceId,
    host: UserId,
    contact: ContactId,
    _t: af_db::testing::TestDb,
}

async fn fixture() -> Fixture {
    let tdb = fresh_db().await;
    let db = tdb.db.clone();
    let ws = pauta_workspace(&db, now()).await;
    let mut tx = db.begin().await.expect("tx");
    let user = users::insert_user(&mut tx, "ana@pauta.example", "Ana", "hash", now())
        .await
        .expect("user");
    tx.commit().await.expect("commit");
    let contact = insert_lead(
        &db,
        ws.id,
        &lead_input("Luis", "Pérez", Some("luis@example.com"), None),
        now(),
    )
    .await;
    Fixture {
        db,
        ws: ws.id,
        host: user.id,
        contact,
        _t: tdb,
    }
}

async fn make_calendar(f: &Fixture, slug: &str, duration: i32) -> CalendarId {
    let mut tx = f.db.begin().await.expect("tx");
    let cal = calendars::insert_calendar(&mut tx, f.ws, &calendar(slug, duration), now())
        .await
        .expect("calendar");
    calendars::set_hosts(
        &mut tx,
        f.ws,
        cal.id,
        &[Host {
            user_id: f.host,
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
    cal.id
}

fn booking(
    f: &Fixture,
    cal: CalendarId,
    start: &str,
    minutes: i64,
    status: &'static str,
) -> NewBooking {
    let starts_at = t(start);
    let ends_at = Ts::new(
        starts_at
            .0
            .checked_add(SignedDuration::from_mins(minutes))
            .expect("end"),
    );
    NewBooking {
        calendar_id: cal,
        host: f.host,
        contact_id: f.contact,
        deal_id: None,
        title: "Asesoría".into(),
        starts_at,
        ends_at,
        held_from: starts_at,
        held_until: ends_at,
        time_zone: Some("Europe/Madrid".into()),
        organizer_time_zone: "America/Mexico_City".into(),
        status,
        answers: serde_json::json!({}),
        metadata: serde_json::json!({}),
    }
}

/// Books in a transaction of its own: the appointment, or "taken".
async fn book(f: &Fixture, b: &NewBooking) -> Result<AppointmentId, &'static str> {
    let mut tx = f.db.begin().await.expect("tx");
    match calendars::insert_booking(&mut tx, f.ws, b, now()).await {
        Ok(a) => {
            tx.commit().await.map_err(|e| {
                assert!(is_slot_taken(&e), "only a taken slot fails: {e}");
                "taken"
            })?;
            Ok(a.id)
        }
        Err(e) => {
            assert!(is_slot_taken(&e), "only a taken slot fails: {e}");
            Err("taken")
        }
    }
}

#[tokio::test]
async fn fifty_racing_bookings_of_one_slot_give_exactly_one() {
    let f = fixture().await;
    let cal = make_calendar(&f, "asesoria", 30).await;
    let b = booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked");
    let f = std::sync::Arc::new(f);
    let racers: Vec<_> = (0..50)
        .map(|_| {
            let (f, b) = (f.clone(), b.clone());
            tokio::spawn(async move { book(&f, &b).await })
        })
        .collect();
    let mut won = 0;
    let mut lost = 0;
    for r in racers {
        match r.await.expect("join") {
            Ok(_) => won += 1,
            Err(_) => lost += 1,
        }
    }
    assert_eq!((won, lost), (1, 49));
}

#[tokio::test]
async fn overlapping_bookings_of_one_host_through_two_calendars_are_refused() {
    let f = fixture().await;
    let short = make_calendar(&f, "corta", 30).await;
    let long = make_calendar(&f, "larga", 60).await;
    book(
        &f,
        &booking(&f, short, "2026-06-02T16:00:00Z", 30, "booked"),
    )
    .await
    .expect("10:00 for 30 minutes");
    assert_eq!(
        book(&f, &booking(&f, long, "2026-06-02T16:15:00Z", 60, "booked")).await,
        Err("taken"),
        "10:15 for an hour overlaps though it is not identical"
    );
    book(&f, &booking(&f, long, "2026-06-02T16:30:00Z", 60, "booked"))
        .await
        .expect("back to back is fine");
}

#[tokio::test]
async fn a_cancelled_slot_can_be_booked_again_and_a_pending_one_cannot() {
    let f = fixture().await;
    let cal = make_calendar(&f, "asesoria", 30).await;
    let first = book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "pending"))
        .await
        .expect("pending booking");
    assert_eq!(
        book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked")).await,
        Err("taken"),
        "a pending booking holds its slot"
    );
    let mut tx = f.db.begin().await.expect("tx");
    let a = calendars::set_booking_status(&mut tx, f.ws, first, "cancelled", now())
        .await
        .expect("cancel");
    tx.commit().await.expect("commit");
    assert_eq!((a.status.as_str(), a.sequence), ("cancelled", 1));
    book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked"))
        .await
        .expect("rebooked after the cancel");
}

#[tokio::test]
async fn a_reschedule_into_a_taken_slot_leaves_the_booking_untouched() {
    let f = fixture().await;
    let cal = make_calendar(&f, "asesoria", 30).await;
    let mine = book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked"))
        .await
        .expect("mine");
    book(&f, &booking(&f, cal, "2026-06-02T18:00:00Z", 30, "booked"))
        .await
        .expect("someone else's");

    let (to, to_end) = (t("2026-06-02T18:15:00Z"), t("2026-06-02T18:45:00Z"));
    let mut tx = f.db.begin().await.expect("tx");
    let err =
        calendars::reschedule_booking(&mut tx, f.ws, mine, f.host, to, to_end, (to, to_end), now())
            .await
            .expect_err("the new time is taken");
    assert!(is_slot_taken(&err), "{err}");
    drop(tx);
    let kept = af_db::appointments::find_appointment(&f.db, f.ws, mine)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(kept.starts_at, Some(t("2026-06-02T16:00:00Z")));
    assert_eq!((kept.reschedules, kept.sequence), (0, 0));
    assert_eq!(
        book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked")).await,
        Err("taken"),
        "and it still holds its slot"
    );

    // Into a free time: the swap happens, the old time is free again.
    let (to, to_end) = (t("2026-06-02T20:00:00Z"), t("2026-06-02T20:30:00Z"));
    let mut tx = f.db.begin().await.expect("tx");
    let moved =
        calendars::reschedule_booking(&mut tx, f.ws, mine, f.host, to, to_end, (to, to_end), now())
            .await
            .expect("free time");
    tx.commit().await.expect("commit");
    assert_eq!((moved.reschedules, moved.sequence), (1, 1));
    book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked"))
        .await
        .expect("the old time is free");

    let held = calendars::held_times(
        &f.db,
        f.ws,
        cal,
        t("2026-06-02T00:00:00Z"),
        t("2026-06-03T00:00:00Z"),
    )
    .await
    .expect("held");
    assert_eq!(
        held.len(),
        3,
        "one query gives every live booking of the hosts"
    );
}

/// PostgreSQL states the rule a second time: even a row written without
/// claims cannot overlap a live booking of the same host.
#[tokio::test]
async fn postgres_exclusion_constraint_backs_the_claims() {
    let f = fixture().await;
    let Db::Pg(pool) = &f.db else {
        return;
    };
    let cal = make_calendar(&f, "asesoria", 30).await;
    book(&f, &booking(&f, cal, "2026-06-02T16:00:00Z", 30, "booked"))
        .await
        .expect("first");
    let raw = sqlx::query(
        "INSERT INTO appointments (id, workspace_id, contact_id, title, starts_at, ends_at, status, source,
             metadata, created_at, updated_at, calendar_id, host_user_id, held_from, held_until)
         VALUES ($1, $2, $3, 'x', $4, $5, 'booked', 'calendar', '{}', $4, $4, $6, $7, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(f.ws.0)
    .bind(f.contact.0)
    .bind(t("2026-06-02T16:20:00Z"))
    .bind(t("2026-06-02T16:50:00Z"))
    .bind(cal.0)
    .bind(f.host.0)
    .execute(pool)
    .await
    .map_err(af_db::DbError::from)
    .expect_err("the exclusion constraint refuses the overlap");
    assert!(is_slot_taken(&raw), "{raw}");
}
