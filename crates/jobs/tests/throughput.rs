//! A rough throughput probe, not a pass/fail test (ignored by default): N
//! no-op jobs through one `Worker::run` on the chosen backend. Run with
//! `cargo test --release -p af-jobs --test throughput -- --ignored --nocapture`
//! (`AF_BENCH_JOBS` sets N, default 20000).

mod common;

use af_core::SystemClock;
use af_db::Ts;
use af_db::jobs::{self, NewJob};
use af_jobs::{Registry, Worker, handler_fn};
use common::wait_until;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn no_op_jobs_per_second() {
    let n: usize = std::env::var("AF_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let t = af_db::testing::fresh_db().await;
    let now = Ts::new(jiff::Timestamp::now());
    for chunk in 0..n.div_ceil(1000) {
        let mut tx = t.db.begin().await.expect("begin");
        for i in 0..1000.min(n - chunk * 1000) {
            jobs::enqueue(
                &mut tx,
                &NewJob::new("noop", serde_json::json!({ "i": i }), now),
                now,
            )
            .await
            .expect("enqueue");
        }
        tx.commit().await.expect("commit");
    }
    let registry = Registry::new()
        .with(handler_fn("noop", |_, _| async { Ok(()) }))
        .expect("register");
    let mut cfg = af_jobs::WorkerConfig::new("bench");
    cfg.batch_size = 64;
    cfg.concurrency = 64;
    let w = Worker::new(t.db.clone(), Arc::new(SystemClock), registry, cfg);
    let shutdown = CancellationToken::new();
    let start = Instant::now();
    let run = tokio::spawn(w.run(shutdown.clone()));
    wait_until("all jobs done", Duration::from_secs(600), || async {
        jobs::count_jobs_by_state(&t.db).await.expect("count")
            == vec![("succeeded".to_string(), n as i64)]
    })
    .await;
    let elapsed = start.elapsed();
    shutdown.cancel();
    run.await.expect("task").expect("run");
    eprintln!(
        "{:?}: {n} no-op jobs in {elapsed:?} = {:.0} jobs/s",
        t.db.backend(),
        n as f64 / elapsed.as_secs_f64()
    );
}
