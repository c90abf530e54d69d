//! Memberships against a real database (the backend `AF_TEST_BACKEND`
//! picks): create and upsert by external id, one event per transition,
//! the daily check's expiring and expired notices (run twice), refusals
//! that write nothing, and a `subscription_created` workflow enrolling the
//! member.

use af_core::crypto::SecretKey;
use af_core::{Actor, ManualClock};
use af_db::testing::{fresh_db, pauta_workspace};
use af_db::{Db, Ts, events};
use af_service::memberships::{self, MembershipError, MembershipRequest};
use jiff::SignedDuration;
use serde_json::json;
use std::sync::Arc;

fn now() -> Ts {
    Ts::new("2026-03-02T15:00:00Z".parse().expect("instant"))
}

fn req(v: serde_json::Value) -> MembershipRequest {
    serde_json::from_value(v).expect("request")
}

/// Kinds of the membership events written so far, oldest first.
async fn kinds(db: &Db, ws: af_core::WorkspaceId) -> Vec<String> {
    let mut all = events::list_events(db, ws, 500).await.expect("events");
    all.reverse();
    all.into_iter()
        .filter(|e| e.entity_type == "membership")
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn create_upsert_and_each_transition_writes_its_event() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    // An unknown email creates the contact (the one contact rule).
    let first = memberships::save(
        &t.db,
        &ws,
        &req(
            json!({"email": "Socia@Example.com", "name": "Ana Socia", "plan": "Mensual",
            "status": "trial", "starts_at": "2026-03-01", "ends_at": "2026-04-01T00:00:00Z",
            "amount": 45000, "external_id": "sub_1"}),
        ),
        &actor,
        now(),
    )
    .await
    .expect("created");
    assert!(first.created);
    let m = first.membership;
    assert_eq!(
        (m.status.as_str(), m.amount_minor, m.currency.as_deref()),
        ("trial", Some(45000), Some("MXN"))
    );
    let contact = af_db::contacts::find_contact(&t.db, ws.id, m.contact_id)
        .await
        .expect("read")
        .expect("the contact was created");
    assert_eq!(contact.email.as_deref(), Some("Socia@example.com"));
    assert_eq!(kinds(&t.db, ws.id).await, ["membership.created"]);

    // The same external id updates it (trial → active is an update).
    let again = memberships::save(
        &t.db,
        &ws,
        &req(
            json!({"email": "socia@example.com", "plan": "Mensual", "status": "active",
            "external_id": "sub_1"}),
        ),
        &actor,
        now(),
    )
    .await
    .expect("upserted");
    assert!(!again.created);
    assert_eq!(again.membership.id, m.id);
    assert_eq!(again.membership.status, "active");
    // Nothing changed: no event.
    memberships::save(
        &t.db,
        &ws,
        &req(json!({"plan": "Mensual", "external_id": "sub_1"})),
        &actor,
        now(),
    )
    .await
    .expect("same values");
    let steps: [(serde_json::Value, &str); 5] = [
        (json!({"status": "past_due"}), "payment.failed"),
        (json!({"status": "active"}), "membership.renewed"),
        (
            json!({"ends_at": "2026-05-01T00:00:00Z"}),
            "membership.renewed",
        ),
        (json!({"amount": 50000}), "membership.updated"),
        (json!({"status": "cancelled"}), "membership.cancelled"),
    ];
    for (patch, kind) in steps {
        let before = kinds(&t.db, ws.id).await.len();
        memberships::update(&t.db, &ws, m.id, &req(patch.clone()), &actor, now())
            .await
            .expect("updated");
        let after = kinds(&t.db, ws.id).await;
        assert_eq!(after.len(), before + 1, "{patch}");
        assert_eq!(after.last().map(String::as_str), Some(kind), "{patch}");
    }
    let cancelled = af_db::memberships::find_membership(&t.db, ws.id, m.id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(cancelled.cancelled_at, Some(now()));
    let all = events::list_events(&t.db, ws.id, 500)
        .await
        .expect("events");
    let data: serde_json::Value =
        serde_json::from_str(&all[0].data).expect("the last event's data");
    assert_eq!(data["old_status"], "active");
    assert_eq!(data["status"], "cancelled");
    assert_eq!(data["external_id"], "sub_1");
    assert_eq!(data["contact_id"], json!(m.contact_id));

    // Another workspace cannot see or change it.
    let other =
        af_service::provision::create_workspace(&t.db, "otra", "Otra", None, None, None, now())
            .await
            .expect("workspace");
    let foreign = memberships::update(
        &t.db,
        &other,
        m.id,
        &req(json!({"status": "active"})),
        &actor,
        now(),
    )
    .await;
    assert!(
        matches!(foreign, Err(MembershipError::NotFound)),
        "{foreign:?}"
    );
}

#[tokio::test]
async fn refusals_write_nothing() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    let before = events::list_events(&t.db, ws.id, 500)
        .await
        .expect("events")
        .len();
    let bad = memberships::save(
        &t.db,
        &ws,
        &req(
            json!({"email": "nueva@example.com", "plan": " ", "status": "paused",
            "starts_at": "2026-03-10", "ends_at": "2026-03-01", "amount": -5, "currency": "pesos"}),
        ),
        &actor,
        now(),
    )
    .await;
    let Err(MembershipError::Invalid(fields)) = bad else {
        panic!("{bad:?}");
    };
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        ["plan", "status", "ends_at", "amount", "currency"],
        "{fields:?}"
    );
    let no_contact = memberships::save(&t.db, &ws, &req(json!({"plan": "x"})), &actor, now()).await;
    assert!(
        matches!(&no_contact, Err(MembershipError::Invalid(f)) if f[0].0 == "contact_id"),
        "{no_contact:?}"
    );
    let bad_email = memberships::save(
        &t.db,
        &ws,
        &req(json!({"email": "not an email", "plan": "x"})),
        &actor,
        now(),
    )
    .await;
    assert!(
        matches!(bad_email, Err(MembershipError::Invalid(_))),
        "{bad_email:?}"
    );
    let after = events::list_events(&t.db, ws.id, 500)
        .await
        .expect("events")
        .len();
    assert_eq!(before, after, "no contact, membership or event was written");
    let page = af_db::memberships::list_memberships(&t.db, ws.id, &Default::default(), None, 10)
        .await
        .expect("list");
    assert!(page.is_empty());
}

#[tokio::test]
async fn the_daily_check_tells_once_per_period_and_expires_once() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    let day = |d: i64| Ts::new(now().0 + SignedDuration::from_hours(24 * d));
    let make = |plan: &str, status: &str, ends: Ts| {
        req(
            json!({"email": format!("{plan}@example.com"), "plan": plan, "status": status,
            "starts_at": "2026-01-01", "ends_at": ends.to_string()}),
        )
    };
    let soon = memberships::save(&t.db, &ws, &make("soon", "active", day(5)), &actor, now())
        .await
        .expect("soon")
        .membership;
    memberships::save(&t.db, &ws, &make("later", "active", day(30)), &actor, now())
        .await
        .expect("later");
    memberships::save(
        &t.db,
        &ws,
        &make("cancelled", "cancelled", day(3)),
        &actor,
        now(),
    )
    .await
    .expect("cancelled");
    let due = memberships::save(&t.db, &ws, &make("due", "past_due", day(2)), &actor, now())
        .await
        .expect("due")
        .membership;
    let created = kinds(&t.db, ws.id).await.len();

    let first = memberships::check_memberships(&t.db, now(), 7)
        .await
        .expect("check");
    assert_eq!((first.expiring, first.expired), (1, 0));
    let all = events::list_events(&t.db, ws.id, 500)
        .await
        .expect("events");
    assert_eq!(all[0].kind, "membership.expiring");
    assert_eq!(
        all[0].entity_id.as_deref(),
        Some(soon.id.to_string().as_str())
    );
    let data: serde_json::Value = serde_json::from_str(&all[0].data).expect("data");
    assert_eq!(data["days_left"], 5);
    // Twice: nothing new.
    let second = memberships::check_memberships(&t.db, now(), 7)
        .await
        .expect("check");
    assert_eq!((second.expiring, second.expired), (0, 0));

    // Three days on: the past-due one ended; "soon" was told already.
    let third = memberships::check_memberships(&t.db, day(3), 7)
        .await
        .expect("check");
    assert_eq!((third.expiring, third.expired), (0, 1));
    let expired = af_db::memberships::find_membership(&t.db, ws.id, due.id)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(expired.status, "expired");
    let again = memberships::check_memberships(&t.db, day(3), 7)
        .await
        .expect("check");
    assert_eq!((again.expiring, again.expired), (0, 0));

    // A renewal starts a new period, which is told again near its end.
    memberships::update(
        &t.db,
        &ws,
        soon.id,
        &req(json!({"ends_at": day(40).to_string()})),
        &actor,
        day(3),
    )
    .await
    .expect("renewed");
    let renewed = memberships::check_memberships(&t.db, day(35), 7)
        .await
        .expect("check");
    // "later" (day 30) has ended by day 35; "soon" ends on day 40.
    assert_eq!((renewed.expiring, renewed.expired), (1, 1));
    let k = kinds(&t.db, ws.id).await;
    assert_eq!(
        &k[created..],
        [
            "membership.expiring",
            "membership.expired",
            "membership.renewed",
            "membership.expired",
            "membership.expiring",
        ]
    );
}

#[tokio::test]
async fn a_subscription_created_workflow_enrols_the_member() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let clock = ManualClock::new(now().0);
    let db = t.db.clone();
    let save = |def: serde_json::Value| {
        let db = db.clone();
        async move {
            af_engine::ops::save_workflow(
                &db,
                ws.id,
                None,
                &def,
                None,
                af_channels::ssrf::SsrfPolicy::default(),
                now(),
            )
            .await
        }
    };
    let created = save(json!({"name": "Seguimiento nueva membresía",
        "trigger": {"type": "subscription_created"}, "active": true,
        "steps": [{"type": "add_tag", "tag": "socio"}]}))
    .await
    .expect("saved")
    .id;
    let trial = save(
        json!({"name": "Prueba", "trigger": {"type": "trial_started"},
        "active": true, "steps": [{"type": "add_tag", "tag": "prueba"}]}),
    )
    .await
    .expect("saved")
    .id;
    let failed = save(
        json!({"name": "Cobro", "trigger": {"type": "payment_failed"},
        "active": true, "steps": [{"type": "add_tag", "tag": "cobro"}]}),
    )
    .await
    .expect("saved")
    .id;
    let m = memberships::save(
        &t.db,
        &ws,
        &req(json!({"email": "socio@example.com", "plan": "Anual", "status": "active"})),
        &Actor::system(),
        now(),
    )
    .await
    .expect("created")
    .membership;
    let mut r = af_jobs::Registry::new();
    af_engine::register(
        &mut r,
        af_engine::EngineConfig {
            base_url: "http://crm.test".into(),
            booking_url: None,
            secret: SecretKey::from_text(&"members-test".repeat(4)).expect("key"),
            channels: Default::default(),
        },
    )
    .expect("register");
    let w = af_jobs::Worker::new(
        t.db.clone(),
        Arc::new(clock),
        r,
        af_jobs::WorkerConfig::new("test"),
    );
    let drain = || async {
        for _ in 0..50 {
            if w.run_once().await.expect("run").claimed == 0 {
                return;
            }
        }
        panic!("jobs kept coming");
    };
    drain().await;
    let enrolled = |wf| {
        let db = t.db.clone();
        async move {
            af_db::automations::list_enrollments(&db, ws.id, wf, None, None, 10)
                .await
                .expect("enrolments")
                .into_iter()
                .map(|e| e.enrollment.contact_id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(enrolled(created).await, [m.contact_id]);
    assert!(enrolled(trial).await.is_empty(), "not a trial");
    assert!(enrolled(failed).await.is_empty());
    memberships::update(
        &t.db,
        &ws,
        m.id,
        &req(json!({"status": "past_due"})),
        &Actor::system(),
        now(),
    )
    .await
    .expect("past due");
    drain().await;
    assert_eq!(enrolled(failed).await, [m.contact_id]);
}

#[tokio::test]
async fn expiring_workflows_start_at_their_own_days_once() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let day = |d: i64| Ts::new(now().0 + SignedDuration::from_hours(24 * d));
    let save = |name: &str, days: i64| {
        let db = t.db.clone();
        let def = json!({"name": name, "trigger": {"type": "subscription_expiring", "days": days},
            "active": true, "steps": [{"type": "add_tag", "tag": format!("vence-{days}")}]});
        async move {
            af_engine::ops::save_workflow(
                &db,
                ws.id,
                None,
                &def,
                None,
                af_channels::ssrf::SsrfPolicy::default(),
                now(),
            )
            .await
            .expect("saved")
            .id
        }
    };
    let week = save("Una semana", 7).await;
    let three = save("Tres días", 3).await;
    let ten = save("Diez días", 10).await;
    let m = memberships::save(
        &t.db,
        &ws,
        &req(
            json!({"email": "socio@example.com", "plan": "Mensual", "status": "active",
            "starts_at": "2026-01-01", "ends_at": day(12).to_string()}),
        ),
        &Actor::system(),
        now(),
    )
    .await
    .expect("created")
    .membership;
    let clock = ManualClock::new(now().0);
    let mut r = af_jobs::Registry::new();
    af_engine::register(
        &mut r,
        af_engine::EngineConfig {
            base_url: "http://crm.test".into(),
            booking_url: None,
            secret: SecretKey::from_text(&"members-test".repeat(4)).expect("key"),
            channels: Default::default(),
        },
    )
    .expect("register");
    let w = af_jobs::Worker::new(
        t.db.clone(),
        Arc::new(clock.clone()),
        r,
        af_jobs::WorkerConfig::new("test"),
    );
    let enrolled = |wf| {
        let db = t.db.clone();
        async move {
            af_db::automations::list_enrollments(&db, ws.id, wf, None, None, 10)
                .await
                .expect("enrolments")
                .len()
        }
    };
    // Hourly checks over twelve days: each workflow starts once, at its day.
    let mut started_on = std::collections::HashMap::new();
    for hour in 0..(12 * 24) {
        let at = Ts::new(now().0 + SignedDuration::from_hours(hour));
        clock.set(at.0);
        memberships::check_memberships(&t.db, at, 7)
            .await
            .expect("check");
        for _ in 0..50 {
            if w.run_once().await.expect("run").claimed == 0 {
                break;
            }
        }
        for (name, wf) in [("7", week), ("3", three), ("10", ten)] {
            let n = enrolled(wf).await;
            assert!(n <= 1, "workflow {name} enrolled {n} times");
            if n == 1 {
                started_on.entry(name).or_insert(hour);
            }
        }
    }
    // Ends at hour 288: 10 days before is hour 48, 7 days 120, 3 days 216.
    assert_eq!(started_on.get("10"), Some(&48));
    assert_eq!(started_on.get("7"), Some(&120));
    assert_eq!(started_on.get("3"), Some(&216));
    let notices = kinds(&t.db, ws.id)
        .await
        .iter()
        .filter(|k| *k == "membership.expiring")
        .count();
    assert_eq!(notices, 3, "one notice per point");
    let _ = m;
}
