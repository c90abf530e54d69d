//! Periodic jobs on the backend chosen by `AF_TEST_BACKEND`: registration is
//! idempotent, racing schedulers fire each slot exactly once, missed slots
//! are not replayed, run-now, enable/disable, and the fired job runs.

mod common;

use af_core::{Clock, Locale, ManualClock};
use af_db::jobs;
use af_db::schedules::{self, NewSchedule};
use af_db::{Db, Ts, workspaces};
use af_jobs::{
    JobsError, Registry, Scheduler, SchedulerConfig, handler_fn, register_schedule,
    run_schedule_now,
};
use common::*;
use jiff::SignedDuration;
use std::collections::HashSet;
use std::sync::Arc;

fn daily_nine(name: &str) -> NewSchedule {
    NewSchedule {
        workspace: None,
        name: name.into(),
        cron: "0 9 * * *".into(),
        time_zone: "America/Mexico_City".into(),
        job_kind: "daily_digest".into(),
        payload: serde_json::json!({ "scope": "all" }),
        enabled: true,
    }
}

fn scheduler(db: &Db, clock: &ManualClock) -> Scheduler {
    Scheduler::new(
        db.clone(),
        Arc::new(clock.clone()),
        SchedulerConfig::default(),
    )
}

async fn schedule_jobs(db: &Db) -> Vec<af_db::jobs::Job> {
    jobs::list_jobs(db, None, 1000).await.expect("list jobs")
}

#[tokio::test]
async fn registering_is_idempotent_and_keeps_the_next_slot() {
    let (t, clock) = setup().await; // 2026-11-21 10:00Z = 04:00 in Mexico City
    let first = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    assert_eq!(
        first.next_run_at,
        Ts::new(ts("2026-11-21T15:00:00Z")),
        "09:00 CST"
    );
    assert_eq!(first.last_run_at, None);

    clock.advance(SignedDuration::from_hours(2));
    let again = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register again");
    assert_eq!(
        (again.id, again.next_run_at, again.updated_at),
        (first.id, first.next_run_at, first.updated_at)
    );
    assert_eq!(
        schedules::list_schedules(&t.db).await.expect("list").len(),
        1
    );

    let mut changed = daily_nine("digest");
    changed.cron = "30 7 * * *".into();
    let moved = register_schedule(&t.db, &changed, clock.now())
        .await
        .expect("change");
    assert_eq!(moved.id, first.id);
    assert_eq!(
        moved.next_run_at,
        Ts::new(ts("2026-11-21T13:30:00Z")),
        "07:30 today (it is 06:00), recomputed"
    );
    assert_eq!(moved.updated_at, Ts::new(clock.now()));

    let mut bad = daily_nine("broken");
    bad.cron = "0 25 * * *".into();
    assert!(matches!(
        register_schedule(&t.db, &bad, clock.now()).await,
        Err(JobsError::InvalidCron { .. })
    ));
    bad.cron = "0 9 * * *".into();
    bad.time_zone = "Mexico/Nowhere".into();
    assert!(matches!(
        register_schedule(&t.db, &bad, clock.now()).await,
        Err(JobsError::UnknownTimeZone(_))
    ));
}

#[tokio::test]
async fn names_are_unique_per_workspace_and_among_system_schedules() {
    let (t, clock) = setup().await;
    let mut tx = t.db.begin().await.expect("begin");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: "acme".into(),
            name: "Acme".into(),
            time_zone: "Europe/Madrid".into(),
            locale: Locale::Es,
            country: "ES".into(),
        },
        Ts::new(clock.now()),
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");

    let system = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("system");
    let mut spec = daily_nine("digest");
    spec.workspace = Some(ws.id);
    spec.time_zone = "Europe/Madrid".into();
    let mine = register_schedule(&t.db, &spec, clock.now())
        .await
        .expect("workspace schedule");
    assert_ne!(system.id, mine.id);
    assert_eq!(
        register_schedule(&t.db, &spec, clock.now())
            .await
            .expect("again")
            .id,
        mine.id
    );
    assert_eq!(
        mine.next_run_at,
        Ts::new(ts("2026-11-22T08:00:00Z")),
        "09:00 CET tomorrow"
    );
    let listed = schedules::list_workspace_schedules(&t.db, ws.id)
        .await
        .expect("list");
    assert_eq!(
        listed.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![mine.id]
    );
    let found = schedules::find_schedule_by_name(&t.db, None, "digest")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(found.id, system.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_schedulers_fire_each_slot_exactly_once() {
    let (t, clock) = setup().await;
    let s = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    let racers: Vec<Scheduler> = (0..4).map(|_| scheduler(&t.db, &clock)).collect();

    let mut slots = Vec::new();
    for day in 0..5 {
        let slot = schedules::find_schedule(&t.db, s.id)
            .await
            .expect("find")
            .expect("exists")
            .next_run_at;
        slots.push(slot);
        clock.set(slot.0 + SignedDuration::from_secs(3)); // just after the slot
        let ticks = racers.iter().map(|r| {
            let r = r.clone();
            tokio::spawn(async move { r.tick().await })
        });
        let mut fired = 0;
        for h in ticks.collect::<Vec<_>>() {
            fired += h.await.expect("task").expect("tick");
        }
        assert_eq!(fired, 1, "day {day}: exactly one scheduler fires the slot");
        for r in &racers {
            assert_eq!(
                r.tick().await.expect("tick"),
                0,
                "day {day}: nothing more is due"
            );
        }
    }
    assert_eq!(
        slots.iter().map(|s| s.0.to_string()).collect::<Vec<_>>(),
        [
            "2026-11-21T15:00:00Z",
            "2026-11-22T15:00:00Z",
            "2026-11-23T15:00:00Z",
            "2026-11-24T15:00:00Z",
            "2026-11-25T15:00:00Z"
        ],
    );

    let jobs = schedule_jobs(&t.db).await;
    assert_eq!(jobs.len(), 5, "one job per slot");
    let keys: HashSet<_> = jobs.iter().filter_map(|j| j.dedupe_key.clone()).collect();
    let expected: HashSet<_> = slots
        .iter()
        .map(|slot| format!("schedule:{}:{}", s.id, slot.0))
        .collect();
    assert_eq!(keys, expected);
    assert!(
        jobs.iter()
            .all(|j| j.kind == "daily_digest" && j.payload == r#"{"scope":"all"}"#)
    );
    let run_ats: HashSet<_> = jobs.iter().map(|j| j.run_at).collect();
    assert_eq!(
        run_ats,
        slots.iter().copied().collect(),
        "each job is due at its slot"
    );
    let row = schedules::find_schedule(&t.db, s.id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(row.last_run_at, Some(Ts::new(clock.now())));
}

#[tokio::test]
async fn missed_slots_fire_once_then_skip_to_the_future() {
    let (t, clock) = setup().await;
    let s = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    clock.advance(SignedDuration::from_hours(24 * 3)); // 2026-11-24 10:00Z, nodes were down
    let sch = scheduler(&t.db, &clock);
    assert_eq!(sch.tick().await.expect("tick"), 1);
    assert_eq!(
        sch.tick().await.expect("tick"),
        0,
        "no replay of the other missed days"
    );
    let row = schedules::find_schedule(&t.db, s.id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(
        row.next_run_at,
        Ts::new(ts("2026-11-24T15:00:00Z")),
        "the first slot after now"
    );
    let jobs = schedule_jobs(&t.db).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        jobs[0].run_at, s.next_run_at,
        "fired for the oldest missed slot"
    );
}

#[tokio::test]
async fn run_now_enqueues_at_once_without_moving_the_slot_and_disabled_schedules_do_not_fire() {
    let (t, clock) = setup().await;
    let s = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    let id = run_schedule_now(&t.db, s.id, clock.now())
        .await
        .expect("run now")
        .expect("enqueued");
    assert_eq!(
        run_schedule_now(&t.db, s.id, clock.now())
            .await
            .expect("run now"),
        None,
        "double click"
    );
    let j = job(&t.db, id).await;
    assert_eq!(
        (j.kind.as_str(), j.run_at),
        ("daily_digest", Ts::new(clock.now()))
    );
    let row = schedules::find_schedule(&t.db, s.id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(
        (row.next_run_at, row.last_run_at),
        (s.next_run_at, Some(Ts::new(clock.now())))
    );

    assert!(
        af_jobs::set_schedule_enabled(&t.db, s.id, false, clock.now())
            .await
            .expect("disable")
    );
    clock.advance(SignedDuration::from_hours(30));
    assert_eq!(
        scheduler(&t.db, &clock).tick().await.expect("tick"),
        0,
        "disabled"
    );
    let again = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    assert!(
        !again.enabled,
        "start-up registration does not undo an administrator's choice"
    );
    assert!(
        af_jobs::set_schedule_enabled(&t.db, s.id, true, clock.now())
            .await
            .expect("enable")
    );
    let row = schedules::find_schedule(&t.db, s.id)
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(
        row.next_run_at,
        Ts::new(ts("2026-11-23T15:00:00Z")),
        "re-enabled from the next slot after now (10:00 on the 22nd)"
    );

    let missing = af_db::schedules::ScheduleId::new();
    assert!(matches!(
        run_schedule_now(&t.db, missing, clock.now()).await,
        Err(JobsError::ScheduleNotFound(_))
    ));
}

#[tokio::test]
async fn a_fired_schedule_runs_its_job() {
    let (t, clock) = setup().await;
    let s = register_schedule(&t.db, &daily_nine("digest"), clock.now())
        .await
        .expect("register");
    let registry = Registry::new()
        .with(handler_fn("daily_digest", |_, job| async move {
            assert_eq!(job.payload, r#"{"scope":"all"}"#);
            Ok(())
        }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");
    clock.set(s.next_run_at.0);
    assert_eq!(scheduler(&t.db, &clock).tick().await.expect("tick"), 1);
    assert_eq!(w.run_once().await.expect("run").succeeded, 1);
}
