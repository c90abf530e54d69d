//! The automation engine end to end on a real database (SQLite or
//! PostgreSQL per AF_TEST_BACKEND): events enrol contacts, the real job
//! worker runs the steps, a manual clock moves through waits.

use af_core::crypto::SecretKey;
use af_core::{Actor, ContactId, ManualClock, WorkflowId, WorkspaceId};
use af_db::automations as store;
use af_db::testing::{TestDb, fresh_db};
use af_db::{Db, Ts};
use af_engine::{EngineConfig, EngineError, ops};
use af_jobs::{Registry, Worker, WorkerConfig};
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;

struct Env {
    db: Db,
    clock: ManualClock,
    ws: WorkspaceId,
    _tdb: TestDb,
}

fn config() -> EngineConfig {
    EngineConfig {
        base_url: "http://crm.test".into(),
        booking_url: Some("https://cal.test/pauta".into()),
        secret: SecretKey::from_text(&"engine-test-".repeat(4)).expect("key"),
        channels: Default::default(),
    }
}

fn worker(env: &Env) -> Worker {
    let mut r = Registry::new();
    af_engine::register(&mut r, config()).expect("register");
    let mut c = WorkerConfig::new("test-worker");
    c.batch_size = 50;
    Worker::new(env.db.clone(), Arc::new(env.clock.clone()), r, c)
}

impl Env {
    async fn new() -> Env {
        // The send job builds vendor HTTP clients (rustls), as the binary does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tdb = fresh_db().await;
        let clock = ManualClock::new("2026-03-02T15:00:00Z".parse().expect("ts")); // Monday 09:00 in CDMX
        let now = Ts::new(clock_now(&clock));
        let ws = af_db::testing::pauta_workspace(&tdb.db, now).await;
        Env {
            db: tdb.db.clone(),
            clock,
            ws: ws.id,
            _tdb: tdb,
        }
    }

    fn now(&self) -> Ts {
        Ts::new(clock_now(&self.clock))
    }

    fn advance(&self, d: SignedDuration) {
        self.clock.advance(d);
    }

    /// Runs due jobs until none is left.
    async fn drain(&self, w: &Worker) {
        for _ in 0..200 {
            if w.run_once().await.expect("run").claimed == 0 {
                return;
            }
        }
        panic!("jobs kept coming");
    }

    async fn workflow(&self, def: Value) -> WorkflowId {
        ops::save_workflow(
            &self.db,
            self.ws,
            None,
            &def,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            self.now(),
        )
        .await
        .expect("saved")
        .id
    }

    async fn lead(&self, first: &str, email: &str, phone: Option<&str>) -> ContactId {
        let input = af_db::testing::lead_input(first, "Pérez", Some(email), phone);
        let c = af_db::testing::insert_lead(&self.db, self.ws, &input, self.now()).await;
        af_db::jobs::wake_workers();
        c
    }

    async fn event(&self, contact: ContactId, kind: &str, data: Value) {
        let mut tx = self.db.begin().await.expect("tx");
        let e = af_db::events::NewEvent {
            workspace: self.ws,
            kind,
            entity_type: "contact",
            entity_id: Some(contact.to_string()),
            actor: &Actor::system(),
            data,
        };
        af_db::events::insert_event(&mut tx, &e, self.now())
            .await
            .expect("event");
        tx.commit().await.expect("commit");
    }

    /// (channel, to, subject or body) of every message, oldest first.
    async fn outbox(&self) -> Vec<(String, String, String)> {
        let mut all = af_db::messages::search_messages(&self.db, self.ws, None, None, None, 500)
            .await
            .expect("messages");
        all.reverse();
        all.into_iter()
            .map(|m| (m.channel, m.status, m.subject.unwrap_or(m.body_text)))
            .collect()
    }

    async fn enrollments(&self, wf: WorkflowId) -> Vec<store::Enrollment> {
        store::list_enrollments(&self.db, self.ws, wf, None, None, 100)
            .await
            .expect("list")
            .into_iter()
            .map(|r| r.enrollment)
            .collect()
    }
}

fn clock_now(c: &ManualClock) -> jiff::Timestamp {
    use af_core::Clock;
    c.now()
}

fn three_steps() -> Value {
    json!({"name": "Bienvenida", "trigger": {"type": "lead_created"},
        "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Agenda: {{ booking_url }}"},
                  {"type": "wait", "days": 2},
                  {"type": "send_sms", "body": "¿Hablamos, {{ contact.first_name }}?"}],
        "exit_on": ["appointment_booked"], "active": true})
}

#[tokio::test]
async fn a_lead_runs_through_email_wait_and_sms_across_a_restart() {
    let env = Env::new().await;
    let wf = env.workflow(three_steps()).await;
    env.lead("Ana", "ana@example.com", Some("+525512345678"))
        .await;
    env.drain(&worker(&env)).await;
    assert_eq!(
        env.outbox().await,
        vec![("email".into(), "sent".into(), "Hola Ana".into())]
    );
    let e = &env.enrollments(wf).await[0];
    assert_eq!(e.status, "active");
    assert_eq!(e.current_step.as_deref(), Some("s3"));

    // A new worker (a restarted process) picks the wait up from the database.
    env.advance(SignedDuration::from_hours(47));
    let w2 = worker(&env);
    env.drain(&w2).await;
    assert_eq!(env.outbox().await.len(), 1, "not before two days");
    env.advance(SignedDuration::from_hours(1));
    env.drain(&w2).await;
    let out = env.outbox().await;
    assert_eq!(
        out[1],
        ("sms".into(), "sent".into(), "¿Hablamos, Ana?".into())
    );
    let e = &env.enrollments(wf).await[0];
    assert_eq!(e.status, "completed");
    let runs = store::list_step_runs(&env.db, env.ws, e.id)
        .await
        .expect("runs");
    let log: Vec<_> = runs
        .iter()
        .map(|r| (r.step_id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(log, [("s1", "done"), ("s2", "done"), ("s3", "done")]);
}

#[tokio::test]
async fn booking_mid_way_stops_the_rest() {
    let env = Env::new().await;
    let wf = env.workflow(three_steps()).await;
    let c = env
        .lead("Ana", "ana@example.com", Some("+525512345678"))
        .await;
    let w = worker(&env);
    env.drain(&w).await;
    env.event(c, "appointment.booked", json!({"contact_id": c}))
        .await;
    env.drain(&w).await;
    let e = &env.enrollments(wf).await[0];
    assert_eq!(e.status, "exited");
    assert_eq!(e.exit_reason.as_deref(), Some("goal: appointment.booked"));
    env.advance(SignedDuration::from_hours(72));
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 1, "no SMS after the booking");
}

#[tokio::test]
async fn exit_goals_are_checked_before_each_step_too() {
    let env = Env::new().await;
    let wf = env.workflow(three_steps()).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    env.drain(&w).await;
    // The booking's routing job has not run yet when the wait ends: the
    // step itself sees the event and exits.
    env.event(c, "appointment.booked", json!({})).await;
    env.advance(SignedDuration::from_hours(24 * 3));
    let report = w.run_once().await.expect("run");
    assert!(report.claimed >= 1);
    env.drain(&w).await;
    let e = &env.enrollments(wf).await[0];
    assert_eq!(e.status, "exited");
    assert_eq!(env.outbox().await.len(), 1);
}

#[tokio::test]
async fn merge_fields_keep_contact_data_literal() {
    let env = Env::new().await;
    env.workflow(json!({"name": "x", "trigger": {"type": "lead_created"}, "active": true,
        "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }} {{ contact.nope | default('amigo') }}",
                   "body": "{{ workspace.name }}", "html": "<p>{{ contact.first_name }}</p>"}]}))
        .await;
    env.lead("{{ 7*7 }}<b>", "x@example.com", None).await;
    env.drain(&worker(&env)).await;
    let m = &af_db::messages::search_messages(&env.db, env.ws, None, None, None, 5)
        .await
        .expect("m")[0];
    assert_eq!(m.subject.as_deref(), Some("Hola {{ 7*7 }}<b> amigo"));
    assert_eq!(m.body_text, "PAUTA");
    assert_eq!(m.body_html.as_deref(), Some("<p>{{ 7*7 }}&lt;b&gt;</p>"));
}

#[tokio::test]
async fn if_else_on_tags_and_score() {
    let env = Env::new().await;
    env.workflow(json!({"name": "x", "trigger": {"type": "tag_added", "tag": "vip"}, "active": true, "steps": [
        {"type": "change_score", "delta": 75},
        {"type": "if_else", "condition": {"type": "all", "conditions": [
            {"type": "has_tag", "tag": "VIP"}, {"type": "score", "op": "gte", "value": 70}]},
         "then": [{"type": "send_email", "subject": "then", "body": "b"}],
         "else": [{"type": "send_email", "subject": "else", "body": "b"}]},
        {"type": "send_email", "subject": "after", "body": "b"}]}))
        .await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let mut tx = env.db.begin().await.expect("tx");
    af_db::contacts::add_tag(&mut tx, env.ws, c, "vip", &Actor::system(), env.now())
        .await
        .expect("tag");
    tx.commit().await.expect("commit");
    env.drain(&worker(&env)).await;
    let subjects: Vec<_> = env.outbox().await.into_iter().map(|m| m.2).collect();
    assert_eq!(subjects, ["then", "after"]);
}

#[tokio::test]
async fn score_reached_fires_once_on_the_way_up() {
    let env = Env::new().await;
    let hot = env.workflow(json!({"name": "hot", "trigger": {"type": "score_reached", "threshold": 70}, "reentry": "always",
        "active": true, "steps": [{"type": "add_tag", "tag": "hot lead"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    for (i, delta) in [50, 30, 10, -40, 5].into_iter().enumerate() {
        let mut tx = env.db.begin().await.expect("tx");
        store::change_score(
            &mut tx,
            env.ws,
            c,
            delta,
            "test",
            &format!("step-{i}"),
            &Actor::system(),
            env.now(),
        )
        .await
        .expect("score");
        tx.commit().await.expect("commit");
        env.drain(&w).await;
    }
    // 0→50 no, 50→80 crosses, 80→90 no, 90→50 no, 50→55 no.
    assert_eq!(env.enrollments(hot).await.len(), 1);
}

#[tokio::test]
async fn score_reached_by_threshold_name_fires_once_through_hysteresis() {
    let env = Env::new().await;
    let mut tx = env.db.begin().await.expect("tx");
    af_db::scoring::insert_threshold(&mut tx, env.ws, "Hot Lead", 70, 60, env.now())
        .await
        .expect("threshold");
    tx.commit().await.expect("commit");
    let hot = env.workflow(json!({"name": "hot", "trigger": {"type": "score_reached", "threshold_name": "Hot Lead"},
        "reentry": "always", "active": true, "steps": [{"type": "add_tag", "tag": "hot lead"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    // 69 → 71 → 69 → 71: one entry; a retried step (same key) adds nothing.
    for (key, delta) in [("a", 69), ("b", 2), ("c", -2), ("d", 2), ("d", 2)] {
        let mut tx = env.db.begin().await.expect("tx");
        store::change_score(
            &mut tx,
            env.ws,
            c,
            delta,
            "workflow",
            key,
            &Actor::system(),
            env.now(),
        )
        .await
        .expect("score");
        tx.commit().await.expect("commit");
        env.drain(&w).await;
    }
    assert_eq!(env.enrollments(hot).await.len(), 1);
}

#[tokio::test]
async fn wait_for_event_takes_the_event_or_the_timeout_branch() {
    let env = Env::new().await;
    let def = json!({"name": "x", "trigger": {"type": "lead_created"}, "active": true, "steps": [
        {"id": "w", "type": "wait_for_event", "event": {"type": "custom_event", "name": "paid"}, "timeout_hours": 24,
         "on_event": [{"type": "send_email", "subject": "gracias", "body": "b"}],
         "on_timeout": [{"type": "send_email", "subject": "recordatorio", "body": "b"}]}]});
    let wf = env.workflow(def).await;
    let w = worker(&env);
    let paid = env.lead("Ana", "ana@example.com", None).await;
    env.lead("Bea", "bea@example.com", None).await;
    env.drain(&w).await;
    ops::post_custom_event(
        &env.db,
        env.ws,
        paid,
        "paid",
        &json!({}),
        &Actor::system(),
        env.now(),
    )
    .await
    .expect("event");
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 1);
    env.advance(SignedDuration::from_hours(25));
    env.drain(&w).await;
    let mut subjects: Vec<_> = env.outbox().await.into_iter().map(|m| m.2).collect();
    subjects.sort();
    assert_eq!(subjects, ["gracias", "recordatorio"]);
    assert!(
        env.enrollments(wf)
            .await
            .iter()
            .all(|e| e.status == "completed")
    );
}

#[tokio::test]
async fn re_entry_rules() {
    let env = Env::new().await;
    let never = env
        .workflow(
            json!({"name": "n", "trigger": {"type": "custom_event", "name": "ping"}, "active": true,
        "steps": [{"type": "add_tag", "tag": "x"}]}),
        )
        .await;
    let always = env.workflow(json!({"name": "a", "trigger": {"type": "custom_event", "name": "ping"}, "reentry": "always",
        "active": true, "steps": [{"type": "add_tag", "tag": "y"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    for _ in 0..3 {
        ops::post_custom_event(
            &env.db,
            env.ws,
            c,
            "ping",
            &json!({}),
            &Actor::system(),
            env.now(),
        )
        .await
        .expect("ev");
        env.drain(&w).await;
    }
    assert_eq!(env.enrollments(never).await.len(), 1);
    assert_eq!(env.enrollments(always).await.len(), 3);
}

#[tokio::test]
async fn a_running_enrolment_keeps_its_version_until_migrated() {
    let env = Env::new().await;
    let wf = env.workflow(three_steps()).await;
    env.lead("Ana", "ana@example.com", Some("+525512345678"))
        .await;
    let w = worker(&env);
    env.drain(&w).await;
    let mut v2 = three_steps();
    v2["steps"][2]["body"] = json!("versión 2");
    let saved = ops::save_workflow(
        &env.db,
        env.ws,
        Some(wf),
        &v2,
        None,
        af_channels::ssrf::SsrfPolicy::default(),
        env.now(),
    )
    .await
    .expect("v2");
    assert_eq!(saved.version, 2);
    assert_eq!(env.enrollments(wf).await[0].version, 1);
    env.advance(SignedDuration::from_hours(24 * 2));
    env.drain(&w).await;
    assert_eq!(
        env.outbox().await[1].2,
        "¿Hablamos, Ana?",
        "version 1's text"
    );

    // A second lead starts on version 2; migrating moves live enrolments.
    env.lead("Bea", "bea@example.com", Some("+525512345679"))
        .await;
    env.drain(&w).await;
    let (moved, kept) = ops::migrate_enrollments(&env.db, env.ws, wf, env.now())
        .await
        .expect("migrate");
    assert_eq!((moved, kept), (0, 0), "Bea is already on version 2");
}

#[tokio::test]
async fn saving_checks_references_and_writes_nothing_when_invalid() {
    let env = Env::new().await;
    let bad = json!({"name": "x", "trigger": {"type": "lead_created"}, "active": true, "steps": [
        {"type": "move_to_stage", "stage_id": uuid::Uuid::now_v7().to_string()},
        {"type": "set_field", "field": "custom.plan", "value": "gold"},
        {"type": "send_email", "subject": "x", "body": "x", "template_id": uuid::Uuid::now_v7().to_string()}]});
    let bad_form = json!({"name": "f", "trigger": {"type": "form_submitted", "form_id": uuid::Uuid::now_v7().to_string()},
        "steps": [{"type": "add_tag", "tag": "x"}]});
    let Err(EngineError::Invalid(e)) = ops::save_workflow(
        &env.db,
        env.ws,
        None,
        &bad_form,
        None,
        af_channels::ssrf::SsrfPolicy::default(),
        env.now(),
    )
    .await
    else {
        panic!("an unknown form must be refused")
    };
    assert!(e.join(" ").contains("form"), "{e:?}");
    let Err(EngineError::Invalid(errors)) = ops::save_workflow(
        &env.db,
        env.ws,
        None,
        &bad,
        None,
        af_channels::ssrf::SsrfPolicy::default(),
        env.now(),
    )
    .await
    else {
        panic!("must be invalid")
    };
    let all = errors.join("\n");
    assert!(all.contains("stage"), "{all}");
    assert!(all.contains("custom field plan"), "{all}");
    assert!(all.contains("message template"), "{all}");
    assert!(
        store::list_workflows(&env.db, env.ws)
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn a_failing_step_fails_the_enrolment_raises_an_alert_and_can_be_retried() {
    let env = Env::new().await;
    let pipelines = af_db::pipelines::list_pipelines(&env.db, env.ws)
        .await
        .expect("p");
    let stages = &pipelines[0].stages;
    let (doomed, other) = (stages[1].id, stages[2].id);
    let wf = env
        .workflow(
            json!({"name": "mover", "trigger": {"type": "lead_created"}, "active": true, "steps": [
        {"type": "move_to_stage", "stage_id": doomed.to_string()},
        {"type": "move_to_stage", "stage_id": other.to_string()}]}),
        )
        .await;
    // A stage used by an active workflow cannot be deleted...
    let mut tx = env.db.begin().await.expect("tx");
    let refused = ops::delete_stage(&mut tx, env.ws, doomed, &Actor::system(), env.now())
        .await
        .expect("delete");
    assert!(
        matches!(refused, af_db::pipelines::StageDeletion::UsedByWorkflow(ref n) if n == "mover")
    );
    drop(tx);
    // ...but it can while the workflow is paused; activated again, it fails.
    ops::set_active(&env.db, env.ws, wf, false, env.now())
        .await
        .expect("pause");
    let mut tx = env.db.begin().await.expect("tx");
    let done = ops::delete_stage(&mut tx, env.ws, doomed, &Actor::system(), env.now())
        .await
        .expect("delete");
    assert!(matches!(done, af_db::pipelines::StageDeletion::Deleted));
    tx.commit().await.expect("commit");
    ops::set_active(&env.db, env.ws, wf, true, env.now())
        .await
        .expect("activate");
    env.lead("Ana", "ana@example.com", None).await;
    env.drain(&worker(&env)).await;
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "failed");
    let runs = store::list_step_runs(&env.db, env.ws, e.id)
        .await
        .expect("runs");
    assert_eq!(runs.last().map(|r| r.status.as_str()), Some("failed"));
    let alerts = store::list_open_alerts(&env.db, env.ws, 10)
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].message.contains("mover"), "{}", alerts[0].message);

    // Fix the workflow (new version) and migrate, then retry from the failed step.
    let fixed = json!({"name": "mover", "trigger": {"type": "lead_created"}, "active": true, "steps": [
        {"id": "s1", "type": "add_tag", "tag": "retried"},
        {"id": "s2", "type": "move_to_stage", "stage_id": other.to_string()}]});
    ops::save_workflow(
        &env.db,
        env.ws,
        Some(wf),
        &fixed,
        None,
        af_channels::ssrf::SsrfPolicy::default(),
        env.now(),
    )
    .await
    .expect("fix");
    let mut tx = env.db.begin().await.expect("tx");
    store::set_enrollment_version(&mut tx, env.ws, e.id, 2, env.now())
        .await
        .expect("v");
    tx.commit().await.expect("commit");
    ops::retry(&env.db, env.ws, e.id, false, env.now())
        .await
        .expect("retry");
    env.drain(&worker(&env)).await;
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "completed");
    assert!(
        store::list_open_alerts(&env.db, env.ws, 10)
            .await
            .expect("alerts")
            .is_empty()
    );
    assert!(matches!(
        ops::retry(&env.db, env.ws, e.id, true, env.now()).await,
        Err(EngineError::Conflict(af_engine::Conflict::NotFailed(status)))
            if status == "completed"
    ));
}

#[tokio::test]
async fn the_pauta_flow_calls_then_whatsapps_on_no_answer_and_stops_on_booking() {
    let env = Env::new().await;
    let wf = env
        .workflow(af_engine::library::pauta_speed_to_lead())
        .await;
    let c = env
        .lead("Ana", "ana@example.com", Some("+525512345678"))
        .await;
    let w = worker(&env);
    env.drain(&w).await;
    let channels: Vec<_> = env.outbox().await.into_iter().map(|m| m.0).collect();
    assert_eq!(channels, ["kommo", "email", "voice", "whatsapp"]);
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.current_step.as_deref(), Some("day_3_whatsapp"));
    // Fast-forward the first follow-up, then book.
    ops::skip_wait(&env.db, env.ws, e.id, env.now())
        .await
        .expect("skip");
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 5);
    env.event(c, "appointment.booked", json!({"contact_id": c}))
        .await;
    env.drain(&w).await;
    env.advance(SignedDuration::from_hours(24 * 20));
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 5, "nothing after the booking");
    assert_eq!(env.enrollments(wf).await[0].status, "exited");
}

#[tokio::test]
async fn pausing_holds_enrolments_and_activating_continues_them() {
    let env = Env::new().await;
    let wf = env.workflow(three_steps()).await;
    env.lead("Ana", "ana@example.com", Some("+525512345678"))
        .await;
    let w = worker(&env);
    env.drain(&w).await;
    ops::set_active(&env.db, env.ws, wf, false, env.now())
        .await
        .expect("pause");
    env.advance(SignedDuration::from_hours(24 * 3));
    env.drain(&w).await;
    assert_eq!(env.enrollments(wf).await[0].status, "paused");
    assert_eq!(env.outbox().await.len(), 1);
    ops::set_active(&env.db, env.ws, wf, true, env.now())
        .await
        .expect("resume");
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 2);
}

#[tokio::test]
async fn test_mode_fast_forwards_every_wait() {
    let env = Env::new().await;
    let wf = env.workflow(json!({"name": "x", "trigger": {"type": "custom_event", "name": "never"}, "active": false,
        "steps": [{"type": "send_email", "subject": "1", "body": "b"}, {"type": "wait", "days": 30},
                  {"type": "send_email", "subject": "2", "body": "b"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    ops::enroll_test(&env.db, env.ws, wf, c, true, env.now())
        .await
        .expect("enrol");
    env.drain(&worker(&env)).await;
    assert_eq!(env.outbox().await.len(), 2);
}

#[tokio::test]
async fn stage_changed_and_appointment_relative_triggers() {
    let env = Env::new().await;
    let pipelines = af_db::pipelines::list_pipelines(&env.db, env.ws)
        .await
        .expect("p");
    let booked = pipelines[0]
        .stages
        .iter()
        .find(|s| s.is_booked)
        .expect("booked")
        .id;
    env.workflow(json!({"name": "moved", "trigger": {"type": "stage_changed", "to_stage_id": booked.to_string()},
        "active": true, "steps": [{"type": "send_email", "subject": "agendado", "body": "b"}]})).await;
    env.workflow(json!({"name": "reminder", "trigger": {"type": "appointment_relative", "offset_minutes": -1440},
        "reentry": "always", "active": true, "steps": [{"type": "send_email", "subject": "mañana", "body": "b"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    // A move to the booked stage (by the engine's own step, through a workflow-less move).
    let mut tx = env.db.begin().await.expect("tx");
    let deal = af_db::deals::insert_deal(
        &mut tx,
        env.ws,
        &af_db::deals::NewDeal {
            contact_id: c,
            pipeline_id: None,
            stage_id: None,
            title: "Ana".into(),
            value_minor: 0,
            currency: "MXN".into(),
            owner_id: None,
        },
        &Actor::system(),
        env.now(),
    )
    .await
    .expect("deal");
    af_db::deals::move_deal(
        &mut tx,
        env.ws,
        deal.id,
        booked,
        af_db::deals::Placement {
            after: None,
            before: None,
        },
        &Actor::system(),
        env.now(),
    )
    .await
    .expect("move");
    tx.commit().await.expect("commit");
    let start = env.now().0 + SignedDuration::from_hours(72);
    env.event(
        c,
        "appointment.booked",
        json!({"contact_id": c, "start": start.to_string()}),
    )
    .await;
    env.drain(&w).await;
    assert_eq!(
        env.outbox()
            .await
            .iter()
            .map(|m| m.2.as_str())
            .collect::<Vec<_>>(),
        ["agendado"]
    );
    env.advance(SignedDuration::from_hours(47));
    env.drain(&w).await;
    assert_eq!(env.outbox().await.len(), 1);
    env.advance(SignedDuration::from_hours(2));
    env.drain(&w).await;
    assert_eq!(env.outbox().await[1].2, "mañana");
}

#[tokio::test]
async fn opted_out_contacts_are_skipped_with_a_reason() {
    let env = Env::new().await;
    let wf = env.workflow(json!({"name": "x", "trigger": {"type": "lead_created"}, "active": true,
        "steps": [{"type": "send_sms", "body": "hola"}, {"type": "send_email", "subject": "s", "body": "b"}]})).await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let mut tx = env.db.begin().await.expect("tx");
    let patch = af_db::contacts::ContactPatch {
        email_unsubscribed: Some(true),
        ..Default::default()
    };
    af_db::contacts::update_contact(&mut tx, env.ws, c, &patch, &Actor::system(), env.now())
        .await
        .expect("patch");
    tx.commit().await.expect("commit");
    env.drain(&worker(&env)).await;
    let e = env.enrollments(wf).await.remove(0);
    let runs = store::list_step_runs(&env.db, env.ws, e.id)
        .await
        .expect("runs");
    let log: Vec<_> = runs
        .iter()
        .map(|r| (r.status.as_str(), r.detail.clone().unwrap_or_default()))
        .collect();
    assert_eq!(log[0], ("skipped", "the contact has no phone".to_string()));
    assert_eq!(log[1].0, "skipped");
    assert!(env.outbox().await.is_empty());
}

#[tokio::test]
async fn every_shipped_template_installs() {
    let env = Env::new().await;
    for t in af_engine::library::TEMPLATES {
        af_engine::library::install(&env.db, env.ws, t.key, true, env.now())
            .await
            .expect(t.key);
    }
    assert_eq!(
        store::list_workflows(&env.db, env.ws)
            .await
            .expect("list")
            .len(),
        7
    );
}

#[tokio::test]
async fn records_used_by_an_active_workflow_are_found_by_their_mention() {
    let env = Env::new().await;
    let mut tx = env.db.begin().await.expect("tx");
    af_db::custom_fields::insert_field(
        &mut tx,
        env.ws,
        "plan_tier",
        "Plan",
        "text",
        &[],
        env.now(),
    )
    .await
    .expect("field");
    tx.commit().await.expect("commit");
    let wf = env
        .workflow(json!({"name": "planes", "trigger": {"type": "lead_created"}, "active": true, "steps": [
            {"type": "if_else", "condition": {"type": "field", "field": "contact.custom.plan_tier", "op": "not_empty"},
             "then": [{"type": "set_field", "field": "custom.plan_tier", "value": "gold"}]}]}))
        .await;
    let mut tx = env.db.begin().await.expect("tx");
    let used = store::active_workflow_mentioning(&mut tx, env.ws, "custom.plan_tier\"")
        .await
        .expect("q");
    assert_eq!(used.as_deref(), Some("planes"));
    // `_` is not a wildcard: another key does not match.
    let other = store::active_workflow_mentioning(&mut tx, env.ws, "custom.planXtier\"")
        .await
        .expect("q");
    assert_eq!(other, None);
    drop(tx);
    ops::set_active(&env.db, env.ws, wf, false, env.now())
        .await
        .expect("pause");
    let mut tx = env.db.begin().await.expect("tx");
    assert_eq!(
        store::active_workflow_mentioning(&mut tx, env.ws, "custom.plan_tier\"")
            .await
            .expect("q"),
        None
    );
}

#[tokio::test]
async fn out_of_range_numbers_are_refused_and_a_poisoned_workflow_does_not_stop_the_others() {
    let env = Env::new().await;
    // Saving refuses what would overflow later (i64::MIN has no absolute value).
    for bad in [
        json!({"name": "p", "trigger": {"type": "appointment_relative", "offset_minutes": i64::MIN}, "steps": []}),
        json!({"name": "p", "trigger": {"type": "appointment_relative", "offset_minutes": i64::MAX}, "steps": []}),
        json!({"name": "p", "trigger": {"type": "score_reached", "threshold": i64::MIN}, "steps": []}),
        json!({"name": "p", "trigger": {"type": "lead_created"}, "steps": [{"type": "change_score", "delta": i64::MIN}]}),
        json!({"name": "p", "trigger": {"type": "lead_created"}, "steps": [{"type": "wait_for_event",
            "event": {"type": "appointment_booked"}, "timeout_days": i64::MAX, "timeout_hours": i64::MAX}]}),
    ] {
        let res = ops::save_workflow(
            &env.db,
            env.ws,
            None,
            &bad,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            env.now(),
        )
        .await;
        assert!(
            matches!(res, Err(EngineError::Invalid(_))),
            "{bad}: {res:?}"
        );
    }

    // A definition stored by an older version's looser rules (written
    // straight to the database) next to a healthy workflow on the same event.
    let good = env
        .workflow(
            json!({"name": "good", "trigger": {"type": "appointment_booked"},
            "active": true, "steps": [{"type": "send_email", "subject": "gracias", "body": "b"}]}),
        )
        .await;
    let poisoned = env
        .workflow(json!({"name": "poisoned", "trigger": {"type": "appointment_relative", "offset_minutes": -60},
            "active": true, "steps": [{"type": "send_email", "subject": "nunca", "body": "b"}]}))
        .await;
    let bad_def = json!({"name": "poisoned", "trigger": {"type": "appointment_relative", "offset_minutes": i64::MIN},
        "active": true, "steps": [{"id": "s1", "type": "send_email", "subject": "nunca", "body": "b"}]});
    match &env.db {
        Db::Sqlite(p) => {
            sqlx::query("UPDATE workflow_versions SET definition = $1 WHERE workflow_id = $2")
                .bind(bad_def.to_string())
                .bind(poisoned.0)
                .execute(p)
                .await
                .map(|_| ())
        }
        Db::Pg(p) => {
            sqlx::query("UPDATE workflow_versions SET definition = $1 WHERE workflow_id = $2")
                .bind(bad_def.to_string())
                .bind(poisoned.0)
                .execute(p)
                .await
                .map(|_| ())
        }
    }
    .expect("poison");
    let w = worker(&env);
    let c = env.lead("Ana", "ana@example.com", None).await;
    let start = env.now().0 + SignedDuration::from_hours(72);
    env.event(
        c,
        "appointment.booked",
        json!({"contact_id": c, "start": start.to_string()}),
    )
    .await;
    env.drain(&w).await;
    assert_eq!(
        env.enrollments(good).await.len(),
        1,
        "the healthy workflow ran"
    );
    assert!(env.enrollments(poisoned).await.is_empty());
    assert!(
        env.outbox().await.iter().any(|m| m.2 == "gracias"),
        "{:?}",
        env.outbox().await
    );
    let alerts = store::list_open_alerts(&env.db, env.ws, 50)
        .await
        .expect("alerts");
    assert_eq!(
        alerts
            .iter()
            .filter(|a| a.kind == "workflow_invalid" && a.workflow_id == Some(poisoned.0))
            .count(),
        1,
        "{alerts:?}"
    );
    // No routing job is left failing.
    let dead = af_db::jobs::list_failed(&env.db, 50).await.expect("failed");
    assert!(dead.is_empty(), "{dead:?}");
    // A second event raises no second alert.
    env.event(
        c,
        "appointment.booked",
        json!({"contact_id": c, "start": start.to_string()}),
    )
    .await;
    env.drain(&w).await;
    let again = store::list_open_alerts(&env.db, env.ws, 50)
        .await
        .expect("alerts");
    assert_eq!(
        again
            .iter()
            .filter(|a| a.kind == "workflow_invalid")
            .count(),
        1
    );
}

#[tokio::test]
async fn webhook_steps_to_private_or_metadata_addresses_are_refused_when_saved() {
    let env = Env::new().await;
    for url in [
        "http://127.0.0.1/hook",
        "http://2130706433/hook",
        "http://0x7f000001/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/hook",
        "http://localhost:8080/hook",
        "file:///etc/passwd",
    ] {
        let def = json!({"name": "hook", "trigger": {"type": "lead_created"},
            "steps": [{"id": "h", "type": "webhook", "url": url}]});
        let res = ops::save_workflow(
            &env.db,
            env.ws,
            None,
            &def,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            env.now(),
        )
        .await;
        assert!(
            matches!(res, Err(EngineError::Invalid(_))),
            "{url}: {res:?}"
        );
    }
    let ok = json!({"name": "hook", "trigger": {"type": "lead_created"},
        "steps": [{"id": "h", "type": "webhook", "url": "https://hooks.example.com/in"}]});
    assert!(
        ops::save_workflow(
            &env.db,
            env.ws,
            None,
            &ok,
            None,
            af_channels::ssrf::SsrfPolicy::default(),
            env.now()
        )
        .await
        .is_ok()
    );
}

impl Env {
    /// How many jobs of `kind` were ever enqueued (jobs stay as rows).
    async fn jobs_of(&self, kind: &str) -> i64 {
        af_db::with_pool!(&self.db, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1")
                .bind(kind)
                .fetch_one(p)
                .await
                .expect("count")
        })
    }

    /// (step id, status, seq) of an enrolment's log, in order.
    async fn log(&self, e: &store::Enrollment) -> Vec<(String, String, i32)> {
        store::list_step_runs(&self.db, self.ws, e.id)
            .await
            .expect("runs")
            .into_iter()
            .map(|r| (r.step_id, r.status, r.seq))
            .collect()
    }

    /// The kinds of every event about a contact, oldest first.
    async fn event_kinds(&self, contact: ContactId) -> Vec<String> {
        let mut kinds: Vec<(Ts, String)> = af_db::with_pool!(&self.db, p => {
            sqlx::query_as("SELECT occurred_at, kind FROM events WHERE entity_id = $1 OR data LIKE $2")
                .bind(contact.to_string())
                .bind(format!("%{contact}%"))
                .fetch_all(p)
                .await
                .expect("events")
        });
        kinds.sort_by_key(|(t, _)| *t);
        kinds.into_iter().map(|(_, k)| k).collect()
    }

    async fn tags(&self, contact: ContactId) -> Vec<String> {
        let mut tags: Vec<String> = af_db::contacts::tags_of(&self.db, self.ws, &[contact])
            .await
            .expect("tags")
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        tags.sort();
        tags
    }
}

const STEP_JOB: &str = "automation_step";

#[tokio::test]
async fn consecutive_instant_steps_run_in_one_job_each_logged_with_its_events() {
    let env = Env::new().await;
    let pipelines = af_db::pipelines::list_pipelines(&env.db, env.ws)
        .await
        .expect("p");
    let stage = pipelines[0].stages[1].id;
    let wf = env
        .workflow(
            json!({"name": "cadena", "trigger": {"type": "lead_created"}, "active": true, "steps": [
            {"type": "add_tag", "tag": "nuevo"},
            {"type": "set_field", "field": "company", "value": "Pérez y Cía"},
            {"type": "move_to_stage", "stage_id": stage.to_string()},
            {"type": "change_score", "delta": 15},
            {"type": "wait", "hours": 1},
            {"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Agenda"}]}),
        )
        .await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    let w = worker(&env);
    env.drain(&w).await;
    // The first job ran the four instant steps; the wait had its own job
    // and the send's waits for its time (one job per step would be 6).
    assert_eq!(env.jobs_of(STEP_JOB).await, 3);
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.current_step.as_deref(), Some("s6"));
    assert_eq!(
        env.log(&e).await,
        [
            ("s1".into(), "done".into(), 1),
            ("s2".into(), "done".into(), 2),
            ("s3".into(), "done".into(), 3),
            ("s4".into(), "done".into(), 4),
            ("s5".into(), "done".into(), 5),
        ]
    );
    let contact = af_db::contacts::find_contact(&env.db, env.ws, c)
        .await
        .expect("find")
        .expect("contact");
    assert_eq!(contact.company.as_deref(), Some("Pérez y Cía"));
    assert_eq!(contact.score, 15);
    assert_eq!(env.tags(c).await, ["nuevo"]);
    let kinds = env.event_kinds(c).await;
    for kind in ["tag.added", "contact.updated", "contact.score_changed"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert!(
        kinds
            .iter()
            .any(|k| k == "deal.created" || k == "deal.stage_changed"),
        "{kinds:?}"
    );

    env.advance(SignedDuration::from_hours(1));
    env.drain(&w).await;
    assert_eq!(env.jobs_of(STEP_JOB).await, 3);
    assert_eq!(
        env.outbox().await,
        vec![("email".into(), "sent".into(), "Hola Ana".into())]
    );
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "completed");
    assert_eq!(env.log(&e).await.len(), 6);
}

#[tokio::test]
async fn a_long_chain_of_instant_steps_is_split_at_the_cap() {
    let env = Env::new().await;
    let steps: Vec<Value> = (1..=25)
        .map(|i| json!({"type": "add_tag", "tag": format!("t{i:02}")}))
        .collect();
    let wf = env
        .workflow(
            json!({"name": "larga", "trigger": {"type": "lead_created"}, "active": true,
            "steps": steps}),
        )
        .await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    env.drain(&worker(&env)).await;
    assert_eq!(af_engine::run::CHAIN_CAP, 20);
    assert_eq!(env.jobs_of(STEP_JOB).await, 2, "20 steps, then 5");
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "completed");
    let log = env.log(&e).await;
    assert_eq!(log.len(), 25);
    for (i, (step, status, seq)) in log.iter().enumerate() {
        assert_eq!(
            (step.as_str(), status.as_str(), *seq),
            (format!("s{}", i + 1).as_str(), "done", i as i32 + 1)
        );
    }
    assert_eq!(env.tags(c).await.len(), 25);
}

#[tokio::test]
async fn an_exit_goal_met_mid_chain_stops_it() {
    let env = Env::new().await;
    let wf = env
        .workflow(
            json!({"name": "meta", "trigger": {"type": "lead_created"}, "active": true,
            "exit_on": [{"type": "tag_added", "tag": "cliente"}],
            "steps": [
                {"type": "add_tag", "tag": "a"},
                {"type": "add_tag", "tag": "cliente"},
                {"type": "add_tag", "tag": "b"},
                {"type": "send_email", "subject": "Hola", "body": "x"}]}),
        )
        .await;
    let c = env.lead("Ana", "ana@example.com", None).await;
    env.drain(&worker(&env)).await;
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "exited");
    assert_eq!(e.exit_reason.as_deref(), Some("goal: tag.added"));
    assert_eq!(
        env.log(&e).await,
        [
            ("s1".into(), "done".into(), 1),
            ("s2".into(), "done".into(), 2),
            ("s3".into(), "exited".into(), 4),
        ]
    );
    assert_eq!(env.tags(c).await, ["a", "cliente"]);
    assert!(env.outbox().await.is_empty());
    assert_eq!(env.jobs_of(STEP_JOB).await, 1);
}

#[tokio::test]
async fn a_failing_step_mid_chain_keeps_the_steps_before_it_and_fails_at_itself() {
    let env = Env::new().await;
    let pipelines = af_db::pipelines::list_pipelines(&env.db, env.ws)
        .await
        .expect("p");
    let doomed = pipelines[0].stages[1].id;
    let wf = env
        .workflow(
            json!({"name": "mover", "trigger": {"type": "lead_created"}, "active": true, "steps": [
            {"type": "add_tag", "tag": "a"},
            {"type": "move_to_stage", "stage_id": doomed.to_string()},
            {"type": "add_tag", "tag": "b"}]}),
        )
        .await;
    // The stage goes while the workflow is paused (as in the test above).
    ops::set_active(&env.db, env.ws, wf, false, env.now())
        .await
        .expect("pause");
    let mut tx = env.db.begin().await.expect("tx");
    let done = ops::delete_stage(&mut tx, env.ws, doomed, &Actor::system(), env.now())
        .await
        .expect("delete");
    assert!(matches!(done, af_db::pipelines::StageDeletion::Deleted));
    tx.commit().await.expect("commit");
    ops::set_active(&env.db, env.ws, wf, true, env.now())
        .await
        .expect("activate");
    let c = env.lead("Ana", "ana@example.com", None).await;
    env.drain(&worker(&env)).await;
    // As if each step had had its job: s1 done and kept, s2 failed (its
    // own job, the enrolment failed at it, an alert), s3 never ran.
    let e = env.enrollments(wf).await.remove(0);
    assert_eq!(e.status, "failed");
    assert_eq!(e.current_step.as_deref(), Some("s2"));
    assert_eq!(
        env.log(&e).await,
        [
            ("s1".into(), "done".into(), 1),
            ("s2".into(), "failed".into(), 3),
        ]
    );
    assert_eq!(env.tags(c).await, ["a"]);
    assert_eq!(env.jobs_of(STEP_JOB).await, 2);
    let alerts = store::list_open_alerts(&env.db, env.ws, 10)
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].message.contains("s2"), "{}", alerts[0].message);
}

#[tokio::test]
async fn an_event_costs_at_most_one_dispatch_job() {
    let env = Env::new().await;
    env.workflow(three_steps()).await;
    env.lead("Ana", "ana@example.com", None).await;
    env.drain(&worker(&env)).await;
    let per_event: Vec<(String, i64)> = af_db::with_pool!(&env.db, p => {
        sqlx::query_as(
            "SELECT payload, COUNT(*) FROM jobs WHERE kind = 'dispatch_event' GROUP BY payload ORDER BY payload",
        )
        .fetch_all(p)
        .await
        .expect("jobs")
    });
    assert!(!per_event.is_empty(), "the lead's events were dispatched");
    assert!(per_event.iter().all(|(_, n)| *n == 1), "{per_event:?}");
    assert_eq!(env.jobs_of("automation_route").await, 0);
}
