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

/// Claimers on several pools (as several nodes) hammering one queue: no
/// claim returns more than its limit, and no job is claimed twice. On
/// PostgreSQL this is the `FOR UPDATE SKIP LOCKED` claim's contract (rows
/// picked once, in a materialized CTE, then updated); on SQLite the single
/// writer serializes the claims.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_never_exceed_their_limit_nor_share_a_job() {
    const TOTAL: usize = 1500;
    const LIMIT: i64 = 7;
    let t = af_db::testing::fresh_db().await;
    let now = Ts::new(jiff::Timestamp::now());
    let mut tx = t.db.begin().await.expect("begin");
    let batch: Vec<NewJob<'_>> = (0..TOTAL)
        .map(|n| NewJob::new("count", serde_json::json!({ "n": n }), now))
        .collect();
    jobs::enqueue_batch(&mut tx, &batch, now)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");

    let lease = Ts::new(now.0 + jiff::SignedDuration::from_secs(60));
    let mut claimers = Vec::new();
    for node in 0..4 {
        let db = Db::connect(&t.url).await.expect("node pool");
        for n in 0..3 {
            let db = db.clone();
            let name = format!("node{node}-{n}");
            claimers.push(tokio::spawn(async move {
                let mut sizes = Vec::new();
                let mut ids = Vec::new();
                loop {
                    let got = jobs::claim_due_jobs(&db, &name, LIMIT, now, lease)
                        .await
                        .expect("claim");
                    if got.is_empty() {
                        break;
                    }
                    sizes.push(got.len());
                    ids.extend(got.into_iter().map(|j| j.id));
                }
                (sizes, ids)
            }));
        }
    }
    let mut seen: HashMap<JobId, usize> = HashMap::new();
    let mut claims = 0;
    for c in claimers {
        let (sizes, ids) = tokio::time::timeout(Duration::from_secs(120), c)
            .await
            .expect("claimers finish")
            .expect("task");
        claims += sizes.len();
        let over: Vec<_> = sizes.iter().filter(|&&s| s as i64 > LIMIT).collect();
        assert!(
            over.is_empty(),
            "claims over the limit of {LIMIT}: {over:?}"
        );
        for id in ids {
            *seen.entry(id).or_default() += 1;
        }
    }
    let twice = seen.values().filter(|&&n| n > 1).count();
    assert_eq!(twice, 0, "jobs claimed more than once");
    assert_eq!(seen.len(), TOTAL, "every job claimed");
    eprintln!("{TOTAL} jobs in {claims} claims by 12 claimers on 4 pools");
}
