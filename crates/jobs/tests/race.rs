//! Two workers racing over the same queue never run a job twice. On
//! PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`; on SQLite the single
//! writer serializes claims. Each worker has its own pool, as two processes
//! would.

mod common;

use af_core::{JobId, SystemClock};
use af_db::jobs::{self, NewJob};
use af_db::{Db, Ts};
use af_jobs::{Registry, Worker, handler_fn};
use common::wait_until;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const JOBS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_over_500_jobs_run_each_exactly_once() {
    let t = af_db::testing::fresh_db().await;
    let now = Ts::new(jiff::Timestamp::now());
    let mut tx = t.db.begin().await.expect("begin");
    for n in 0..JOBS {
        jobs::enqueue(
            &mut tx,
            &NewJob::new("count", serde_json::json!({ "n": n }), now),
            now,
        )
        .await
        .expect("enqueue");
    }
    tx.commit().await.expect("commit");

    // job id -> workers that ran it
    let runs: Arc<Mutex<HashMap<JobId, Vec<String>>>> = Arc::default();
    let shutdown = CancellationToken::new();
    let mut handles = Vec::new();
    for name in ["w1", "w2"] {
        let runs = runs.clone();
        let registry = Registry::new()
            .with(handler_fn("count", move |ctx, job| {
                let runs = runs.clone();
                async move {
                    tokio::task::yield_now().await;
                    runs.lock()
                        .expect("lock")
                        .entry(job.id)
                        .or_default()
                        .push(ctx.worker_id.to_string());
                    Ok(())
                }
            }))
            .expect("register");
        let db = Db::connect(&t.url).await.expect("second pool");
        let mut cfg = common::config(name);
        cfg.batch_size = 16;
        cfg.concurrency = 8;
        cfg.lease = jiff::SignedDuration::from_mins(5);
        let w = Worker::new(db, Arc::new(SystemClock), registry, cfg);
        handles.push(tokio::spawn(w.run(shutdown.clone())));
    }

    wait_until("all jobs to succeed", Duration::from_secs(120), || async {
        jobs::count_jobs_by_state(&t.db).await.expect("count")
            == vec![("succeeded".to_string(), JOBS as i64)]
    })
    .await;
    shutdown.cancel();
    for h in handles {
        tokio::time::timeout(Duration::from_secs(10), h)
            .await
            .expect("stops")
            .expect("task")
            .expect("run");
    }

    let runs = runs.lock().expect("lock");
    assert_eq!(runs.len(), JOBS, "every job ran");
    let twice: Vec<_> = runs.iter().filter(|(_, w)| w.len() != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let by_w1 = runs.values().filter(|w| w[0] == "w1").count();
    eprintln!("w1 ran {by_w1}, w2 ran {}", JOBS - by_w1);
}
