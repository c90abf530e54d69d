//! Retention alerts against a real database (the backend
//! `AF_TEST_BACKEND` picks): the daily check run twice opens nothing new,
//! an absence escalates the same alert, attendance / renewal / payment
//! resolve at once, the booking rules need enough bookings, a dismissal
//! stays quiet, the alerts go to the owner or round robin, and the daily
//! job runs once per local date at the workspace's hour.

use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, Role};
use af_db::retention::{self as store, AlertFilter};
use af_db::testing::{fresh_db, insert_lead, lead_input, pauta_workspace};
use af_db::workspaces::Workspace;
use af_db::{Db, Ts, events};
use af_service::memberships::{self, MembershipRequest};
use af_service::retention::{self, AlertPatch, CheckOutcome, RetentionError, RuleRequest};
use af_service::scoring::{self, RawActivity};
use jiff::SignedDuration;
use serde_json::json;

/// 15:00 UTC = 09:00 in Mexico City, the workspace's zone.
fn now() -> Ts {
    Ts::new("2026-03-02T15:00:00Z".parse().expect("instant"))
}

fn days(n: i64) -> Ts {
    Ts::new(now().0 + SignedDuration::from_hours(24 * n))
}

async fn member(db: &Db, ws: &Workspace, name: &str, since_days: i64) -> ContactId {
    let email = format!("{}@example.com", name.to_lowercase());
    let c = insert_lead(
        db,
        ws.id,
        &lead_input(name, "Socia", Some(&email), None),
        now(),
    )
    .await;
    let req: MembershipRequest = serde_json::from_value(json!({
        "contact_id": c.to_string(), "plan": "Mensual", "status": "active",
        "starts_at": days(-since_days).0.to_string(), "external_id": format!("sub_{name}"),
    }))
    .expect("request");
    memberships::save(db, ws, &req, &Actor::system(), days(-since_days))
        .await
        .expect("membership");
    c
}

async fn visit(db: &Db, ws: &Workspace, c: ContactId, at: Ts, recorded: Ts) {
    let raw: RawActivity = serde_json::from_value(json!({
        "contact_id": c.to_string(), "type": "visit", "occurred_at": at.0.to_string(),
    }))
    .expect("activity");
    scoring::record(db, ws, &raw, &Actor::system(), recorded)
        .await
        .expect("recorded");
}

async fn check(db: &Db, ws: &Workspace, at: Ts) -> CheckOutcome {
    retention::check_now(db, ws, &Actor::system(), at)
        .await
        .expect("check")
}

async fn alerts_of(db: &Db, ws: &Workspace, c: ContactId) -> Vec<store::Alert> {
    let f = AlertFilter {
        contact: Some(c),
        ..AlertFilter::default()
    };
    store::list_alerts(db, ws.id, &f, None, 50)
        .await
        .expect("alerts")
}

async fn event_kinds(db: &Db, ws: &Workspace) -> Vec<String> {
    let mut all = events::list_events(db, ws.id, 500).await.expect("events");
    all.reverse();
    all.into_iter()
        .filter(|e| e.entity_type == "retention_alert")
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn an_absence_opens_once_escalates_and_attendance_resolves_it_at_once() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let ana = member(&t.db, &ws, "Ana", 90).await;
    let eva = member(&t.db, &ws, "Eva", 90).await;
    // Ana last came 15 days ago, Eva yesterday.
    visit(&t.db, &ws, ana, days(-15), days(-15)).await;
    visit(&t.db, &ws, eva, days(-1), days(-1)).await;

    let first = check(&t.db, &ws, now()).await;
    assert_eq!((first.opened, first.escalated), (1, 0));
    let again = check(&t.db, &ws, now()).await;
    assert_eq!(
        again,
        CheckOutcome::default(),
        "the second run opens nothing"
    );
    let a = alerts_of(&t.db, &ws, ana).await;
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].alert_type.as_str(), a[0].risk, a[0].status.as_str()),
        ("no_attendance", 70, "open")
    );
    assert!(alerts_of(&t.db, &ws, eva).await.is_empty());

    // 31 days without coming: the same alert at 90, with a history line
    // (and Eva, 17 days away now, gets hers).
    let later = check(&t.db, &ws, days(16)).await;
    assert_eq!((later.opened, later.escalated), (1, 1));
    let b = alerts_of(&t.db, &ws, ana).await;
    assert_eq!(b.len(), 1);
    assert_eq!((b[0].id, b[0].risk), (a[0].id, 90));
    let history = store::history_of(&t.db, ws.id, &[b[0].id])
        .await
        .expect("history");
    let actions: Vec<(&str, i64)> = history
        .iter()
        .map(|h| (h.action.as_str(), h.risk))
        .collect();
    assert_eq!(actions, vec![("opened", 70), ("escalated", 90)]);

    // She comes back: resolved when the visit is recorded, before any check.
    visit(&t.db, &ws, ana, days(16), days(16)).await;
    let c = alerts_of(&t.db, &ws, ana).await;
    assert_eq!(
        (c[0].status.as_str(), c[0].resolution.as_deref()),
        ("resolved", Some("auto:attended"))
    );
    let kinds = event_kinds(&t.db, &ws).await;
    for k in [
        EventKind::RetentionAlertOpened,
        EventKind::RetentionAlertEscalated,
        EventKind::RetentionAlertResolved,
    ] {
        assert!(kinds.contains(&k.as_str().to_string()), "{k}");
    }
    // A visit recorded late (an import of an old visit) resolves nothing.
    visit(&t.db, &ws, eva, days(-3), days(20)).await;
    assert_eq!(alerts_of(&t.db, &ws, eva).await[0].status, "open");
}

#[tokio::test]
async fn days_are_counted_in_the_workspace_zone() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let ana = member(&t.db, &ws, "Ana", 90).await;
    // Last seen 2026-02-16 at 23:30 in Mexico City (05:30 UTC on the 17th).
    let seen = Ts::new("2026-02-17T05:30:00Z".parse().expect("instant"));
    visit(&t.db, &ws, ana, seen, seen).await;
    // 2026-03-02 09:00 local: 14 local days since the 16th.
    assert_eq!(check(&t.db, &ws, now()).await.opened, 1);
}

#[tokio::test]
async fn an_expiring_membership_opens_at_50_and_a_renewal_resolves_it() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let c = insert_lead(
        &t.db,
        ws.id,
        &lead_input("Luz", "Socia", Some("luz@example.com"), None),
        now(),
    )
    .await;
    let save = |v: serde_json::Value| {
        let req: MembershipRequest = serde_json::from_value(v).expect("request");
        let db = t.db.clone();
        let ws = ws.clone();
        async move {
            memberships::save(&db, &ws, &req, &Actor::system(), now())
                .await
                .expect("saved")
        }
    };
    save(
        json!({"contact_id": c.to_string(), "plan": "Mensual", "starts_at": "2026-02-01",
        "ends_at": "2026-03-09T12:00:00Z", "external_id": "sub_luz"}),
    )
    .await;
    // She also came in yesterday: only the membership alert.
    visit(&t.db, &ws, c, days(-1), days(-1)).await;
    assert_eq!(check(&t.db, &ws, now()).await.opened, 1);
    let a = alerts_of(&t.db, &ws, c).await;
    assert_eq!(
        (a[0].alert_type.as_str(), a[0].risk),
        ("membership_expiring", 50)
    );
    assert_eq!(check(&t.db, &ws, now()).await, CheckOutcome::default());

    save(json!({"external_id": "sub_luz", "ends_at": "2026-04-09T12:00:00Z"})).await;
    let b = alerts_of(&t.db, &ws, c).await;
    assert_eq!(
        (b[0].status.as_str(), b[0].resolution.as_deref()),
        ("resolved", Some("auto:renewed"))
    );

    // A failed payment opens one; paying resolves it.
    save(json!({"external_id": "sub_luz", "status": "past_due"})).await;
    assert_eq!(check(&t.db, &ws, now()).await.opened, 1);
    save(json!({"external_id": "sub_luz", "status": "active"})).await;
    let paid: Vec<_> = alerts_of(&t.db, &ws, c)
        .await
        .into_iter()
        .filter(|a| a.alert_type == "payment_failed")
        .collect();
    assert_eq!(paid[0].resolution.as_deref(), Some("auto:paid"));
}

async fn appointment(db: &Db, ws: &Workspace, c: ContactId, at: Ts, status: &'static str) {
    let mut tx = db.begin().await.expect("tx");
    af_db::appointments::insert_appointment(
        &mut tx,
        ws.id,
        &af_db::appointments::AppointmentInput {
            contact_id: c,
            deal_id: None,
            title: "Clase".into(),
            starts_at: Some(at),
            ends_at: Some(Ts::new(at.0 + SignedDuration::from_hours(1))),
            time_zone: None,
            organizer_time_zone: None,
            status,
            source: "calendar",
            external_uid: None,
            metadata: json!({}),
        },
        at,
    )
    .await
    .expect("appointment");
    tx.commit().await.expect("commit");
}

fn rule(v: serde_json::Value) -> RuleRequest {
    serde_json::from_value(v).expect("rule")
}

#[tokio::test]
async fn booking_rules_need_enough_bookings() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    retention::create_rule(
        &t.db,
        ws.id,
        &rule(json!({"type": "low_bookings", "count": 2, "window_days": 30, "risk": 60})),
        &actor,
        now(),
    )
    .await
    .expect("low bookings");
    retention::create_rule(&t.db, ws.id, &rule(json!({"type": "high_cancellation_rate", "rate": 50, "window_days": 30, "min_bookings": 4, "risk": 65})), &actor, now())
        .await
        .expect("cancellation rate");
    let few = member(&t.db, &ws, "Pocas", 60).await;
    let many = member(&t.db, &ws, "Muchas", 60).await;
    let three = member(&t.db, &ws, "Tres", 60).await;
    let four = member(&t.db, &ws, "Cuatro", 60).await;
    for c in [few, many, three, four] {
        visit(&t.db, &ws, c, days(-1), days(-1)).await;
    }
    appointment(&t.db, &ws, few, days(-3), "completed").await;
    for d in [-20, -10, -2] {
        appointment(&t.db, &ws, many, days(d), "completed").await;
    }
    // Three bookings, all cancelled: too few to speak of a rate.
    for d in [-20, -10, -2] {
        appointment(&t.db, &ws, three, days(d), "cancelled").await;
        appointment(&t.db, &ws, three, days(d - 1), "completed").await;
    }
    // Four bookings, three cancelled (75 % > 50 %).
    for (d, s) in [
        (-20, "cancelled"),
        (-10, "cancelled"),
        (-5, "cancelled"),
        (-2, "completed"),
    ] {
        appointment(&t.db, &ws, four, days(d), s).await;
    }
    check(&t.db, &ws, now()).await;
    let types = |v: Vec<store::Alert>| v.into_iter().map(|a| a.alert_type).collect::<Vec<_>>();
    assert_eq!(
        types(alerts_of(&t.db, &ws, few).await),
        vec!["low_bookings"]
    );
    assert!(alerts_of(&t.db, &ws, many).await.is_empty());
    assert!(
        !types(alerts_of(&t.db, &ws, three).await).contains(&"high_cancellation_rate".to_string())
    );
    let mut got = types(alerts_of(&t.db, &ws, four).await);
    got.sort();
    assert_eq!(got, vec!["high_cancellation_rate", "low_bookings"]);

    // A second booking in the window: the low-bookings alert resolves itself.
    appointment(&t.db, &ws, few, days(-1), "completed").await;
    let out = check(&t.db, &ws, now()).await;
    assert_eq!(out.resolved, 1);
    assert_eq!(
        alerts_of(&t.db, &ws, few).await[0].resolution.as_deref(),
        Some("auto:booked")
    );
}

#[tokio::test]
async fn a_dismissed_alert_stays_quiet_unless_its_risk_rises() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let ana = member(&t.db, &ws, "Ana", 90).await;
    visit(&t.db, &ws, ana, days(-15), days(-15)).await;
    check(&t.db, &ws, now()).await;
    let a = alerts_of(&t.db, &ws, ana).await;
    let patch: AlertPatch =
        serde_json::from_value(json!({"status": "DISMISSED", "note": "De vacaciones"}))
            .expect("patch");
    let dismissed = retention::change_alert(&t.db, ws.id, a[0].id, &patch, &Actor::system(), now())
        .await
        .expect("dismissed");
    assert_eq!(dismissed.status, "dismissed");
    // Still away, same risk: nothing for the quiet period (14 days).
    for d in [1, 5, 10] {
        assert_eq!(check(&t.db, &ws, days(d)).await.opened, 0, "day {d}");
    }
    // 31 days away: the risk rises to 90, a new alert speaks.
    assert_eq!(check(&t.db, &ws, days(16)).await.opened, 1);
    let now_alerts = alerts_of(&t.db, &ws, ana).await;
    assert_eq!(now_alerts[0].risk, 90);
    assert_eq!(now_alerts[0].status, "open");

    // Refusals change nothing.
    let bad: AlertPatch = serde_json::from_value(json!({"status": "archived"})).expect("patch");
    assert!(matches!(
        retention::change_alert(&t.db, ws.id, a[0].id, &bad, &Actor::system(), now()).await,
        Err(RetentionError::Invalid(_))
    ));
    let reopen: AlertPatch = serde_json::from_value(json!({"status": "open"})).expect("patch");
    assert!(matches!(
        retention::change_alert(&t.db, ws.id, a[0].id, &reopen, &Actor::system(), now()).await,
        Err(RetentionError::Conflict(_))
    ));
}

#[tokio::test]
async fn alerts_go_to_the_owner_else_round_robin_among_the_retention_staff() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let mut staff = Vec::new();
    for name in ["uno", "dos"] {
        let u = af_service::provision::add_user(
            &t.db,
            &ws,
            &format!("{name}@agencia.mx"),
            Some(name),
            "contraseña-larga-123",
            Role::Member,
            now(),
        )
        .await
        .expect("user")
        .user;
        let mut tx = t.db.begin().await.expect("tx");
        store::set_retention_duty(&mut tx, ws.id, u.id, true)
            .await
            .expect("duty");
        tx.commit().await.expect("commit");
        staff.push(u.id.0);
    }
    let owner = af_service::provision::add_user(
        &t.db,
        &ws,
        "duena@agencia.mx",
        Some("Dueña"),
        "contraseña-larga-123",
        Role::Admin,
        now(),
    )
    .await
    .expect("owner")
    .user;
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(member(&t.db, &ws, &format!("M{i}"), 90).await);
    }
    let mut input = lead_input("Con", "Dueña", Some("con@example.com"), None);
    input.owner_id = Some(owner.id);
    let owned = insert_lead(&t.db, ws.id, &input, now()).await;
    let req: MembershipRequest = serde_json::from_value(
        json!({"contact_id": owned.to_string(), "plan": "Mensual", "starts_at": "2025-12-01"}),
    )
    .expect("request");
    memberships::save(&t.db, &ws, &req, &Actor::system(), now())
        .await
        .expect("membership");

    assert_eq!(check(&t.db, &ws, now()).await.opened, 5);
    assert_eq!(
        alerts_of(&t.db, &ws, owned).await[0].assignee_id,
        Some(owner.id.0)
    );
    let mut per_staff = [0, 0];
    for c in &members {
        let who = alerts_of(&t.db, &ws, *c).await[0]
            .assignee_id
            .expect("assigned");
        let k = staff
            .iter()
            .position(|s| *s == who)
            .expect("a staff member");
        per_staff[k] += 1;
    }
    assert_eq!(per_staff, [2, 2], "shared evenly");
    // Each hears about theirs in the bell.
    for (k, s) in staff.iter().enumerate() {
        let unread = af_db::notifications::unread_count(&t.db, ws.id, af_core::UserId(*s))
            .await
            .expect("unread");
        assert_eq!(unread, per_staff[k] as i64);
    }
    assert_eq!(
        af_db::notifications::unread_count(&t.db, ws.id, owner.id)
            .await
            .expect("unread"),
        1
    );
    // A second run tells nobody again.
    check(&t.db, &ws, now()).await;
    assert_eq!(
        af_db::notifications::unread_count(&t.db, ws.id, owner.id)
            .await
            .expect("unread"),
        1
    );
}

#[tokio::test]
async fn the_daily_job_runs_once_per_local_date_at_the_workspace_hour() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let ana = member(&t.db, &ws, "Ana", 90).await;
    visit(&t.db, &ws, ana, days(-15), days(-15)).await;
    // 12:00 UTC = 06:00 in Mexico City: before the 07:00 check.
    let early = Ts::new("2026-03-02T12:00:00Z".parse().expect("instant"));
    assert_eq!(retention::daily_checks(&t.db, early).await.expect("job"), 0);
    assert!(alerts_of(&t.db, &ws, ana).await.is_empty());
    assert_eq!(retention::daily_checks(&t.db, now()).await.expect("job"), 1);
    assert_eq!(alerts_of(&t.db, &ws, ana).await.len(), 1);
    assert_eq!(
        retention::daily_checks(&t.db, days(0)).await.expect("job"),
        0,
        "once a day"
    );
    assert_eq!(
        retention::daily_checks(&t.db, days(1)).await.expect("job"),
        1
    );
}

#[tokio::test]
async fn rules_are_checked_and_a_new_workspace_gets_the_seed_rules() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let actor = Actor::system();
    let rules = retention::list_rules(&t.db, ws.id, now())
        .await
        .expect("rules");
    let mut types: Vec<&str> = rules.iter().map(|r| r.alert_type.as_str()).collect();
    types.sort();
    assert_eq!(
        types,
        vec!["membership_expiring", "no_attendance", "payment_failed"]
    );
    for (body, field) in [
        (json!({"type": "no_attendance", "risk": 70}), "days"),
        (json!({"type": "nope", "risk": 70}), "type"),
        (
            json!({"type": "no_attendance", "days": 14, "risk": 170}),
            "risk",
        ),
        (
            json!({"type": "no_attendance", "days": 14, "risk": 70, "escalations": [{"days": 7, "risk": 90}]}),
            "escalations",
        ),
        (
            json!({"type": "payment_failed", "risk": 70, "assignee_id": uuid::Uuid::now_v7()}),
            "assignee_id",
        ),
    ] {
        match retention::create_rule(&t.db, ws.id, &rule(body), &actor, now()).await {
            Err(RetentionError::Invalid(f)) => assert_eq!(f[0].0, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(
        retention::list_rules(&t.db, ws.id, now())
            .await
            .expect("rules")
            .len(),
        3,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_win_back_workflow_starts_when_an_absence_alert_opens() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await;
    let save = |def: serde_json::Value| {
        let db = t.db.clone();
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
    let win_back = save(json!({"name": "Te extrañamos", "active": true,
        "trigger": {"type": "retention_alert_opened", "alert_type": "no_attendance"},
        "steps": [{"type": "add_tag", "tag": "recuperar"}]}))
    .await;
    let expiring = save(json!({"name": "Renueva", "active": true,
        "trigger": {"type": "retention_alert_opened", "alert_type": "membership_expiring"},
        "steps": [{"type": "add_tag", "tag": "renovar"}]}))
    .await;
    let ana = member(&t.db, &ws, "Ana", 90).await;
    visit(&t.db, &ws, ana, days(-15), days(-15)).await;
    assert_eq!(check(&t.db, &ws, now()).await.opened, 1);

    let mut r = af_jobs::Registry::new();
    af_engine::register(
        &mut r,
        af_engine::EngineConfig {
            base_url: "http://crm.test".into(),
            booking_url: None,
            secret: af_core::crypto::SecretKey::from_text(&"retention-test".repeat(4))
                .expect("key"),
            channels: Default::default(),
        },
    )
    .expect("register");
    let w = af_jobs::Worker::new(
        t.db.clone(),
        std::sync::Arc::new(af_core::ManualClock::new(now().0)),
        r,
        af_jobs::WorkerConfig::new("test"),
    );
    for _ in 0..50 {
        if w.run_once().await.expect("run").claimed == 0 {
            break;
        }
    }
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
    assert_eq!(enrolled(win_back).await, [ana]);
    assert!(enrolled(expiring).await.is_empty(), "another reason");
}
