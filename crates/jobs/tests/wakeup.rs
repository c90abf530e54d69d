//! An idle worker starts new work within a second without polling: the poll
//! interval here is 60 s, so only a wake-up can explain a prompt start.
//! PostgreSQL: `NOTIFY af_jobs` from `enqueue` alone (this binary never calls
//! `wake_workers` there). SQLite: the in-process `wake_workers` after commit.

mod common;

use af_core::{Clock, SystemClock};
use af_db::jobs::{self, NewJob};
use af_db::{Backend, Db, Ts};
use af_jobs::{Registry, Worker, handler_fn};
use common::wait_until;
use jiff::SignedDuration;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn enqueue_at(db: &Db, run_at: jiff::Timestamp) {
    let now = Ts::new(SystemClock.now());
    let mut tx = db.begin().await.expect("begin");
    jobs::enqueue(
        &mut tx,
        &NewJob::new("ping", serde_json::json!({}), Ts::new(run_at)),
        now,
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    if db.backend() == Backend::Sqlite {
        jobs::wake_workers();
    }
}

#[tokio::test]
async fn an_idle_worker_starts_new_and_delayed_jobs_within_a_second() {
    let t = af_db::testing::fresh_db().await;
    let (ran_tx, mut ran) = mpsc::unbounded_channel();
    let registry = Registry::new()
        .with(handler_fn("ping", move |_, _| {
            let ran_tx = ran_tx.clone();
            async move {
                let _ = ran_tx.send(Instant::now());
                Ok(())
            }
        }))
        .expect("register");
    let mut cfg = common::config("w1");
    cfg.poll_interval = Duration::from_secs(60);
    cfg.rescue_every = Duration::from_secs(60);
    let worker = Worker::new(t.db.clone(), Arc::new(SystemClock), registry, cfg);
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(worker.run(shutdown.clone()));

    // A first job proves the loop is up; after it, the worker goes idle.
    enqueue_at(&t.db, SystemClock.now()).await;
    tokio::time::timeout(Duration::from_secs(10), ran.recv())
        .await
        .expect("first job ran");
    wait_until(
        "the first job to be recorded",
        Duration::from_secs(10),
        || async {
            jobs::count_jobs_by_state(&t.db).await.expect("count")
                == vec![("succeeded".to_string(), 1)]
        },
    )
    .await;

    // Due now: starts well within a second.
    let sent = Instant::now();
    enqueue_at(&t.db, SystemClock.now()).await;
    let started = tokio::time::timeout(Duration::from_secs(10), ran.recv())
        .await
        .expect("ran")
        .expect("sent");
    let latency = started.duration_since(sent);
    assert!(
        latency < Duration::from_secs(1),
        "due job started after {latency:?}"
    );

    // Due in 1.5 s: the wake-up makes the worker re-plan its sleep.
    let sent = Instant::now();
    enqueue_at(&t.db, SystemClock.now() + SignedDuration::from_millis(1500)).await;
    let started = tokio::time::timeout(Duration::from_secs(10), ran.recv())
        .await
        .expect("ran")
        .expect("sent");
    let waited = started.duration_since(sent);
    assert!(
        waited >= Duration::from_millis(1400) && waited < Duration::from_millis(2500),
        "delayed job started after {waited:?}"
    );

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stops")
        .expect("task")
        .expect("run");
}
