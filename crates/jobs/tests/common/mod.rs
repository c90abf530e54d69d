//! Shared test helpers: a fresh database on the backend chosen by
//! `AF_TEST_BACKEND`, a manual clock, enqueue shortcuts and a bounded
//! condition wait (never a bare sleep hoping for luck).

#![allow(dead_code, reason = "each test binary uses a different subset")]

use af_core::{JobId, ManualClock};
use af_db::jobs::{self, Job, NewJob};
use af_db::testing::{TestDb, fresh_db};
use af_db::{Db, Ts};
use af_jobs::{Backoff, Registry, Worker, WorkerConfig};
use jiff::{SignedDuration, Timestamp};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const T0: &str = "2026-11-21T10:00:00Z";

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("valid timestamp")
}

pub async fn setup() -> (TestDb, ManualClock) {
    (fresh_db().await, ManualClock::new(ts(T0)))
}

/// A worker config for step-by-step tests: no jitter, so backoff is exact.
pub fn config(id: &str) -> WorkerConfig {
    let mut c = WorkerConfig::new(id);
    c.lease = SignedDuration::from_secs(30);
    c.backoff = Backoff {
        jitter: 0.0,
        ..Backoff::default()
    };
    c.poll_interval = Duration::from_millis(200);
    c.shutdown_deadline = Duration::from_millis(500);
    c
}

pub fn worker(db: &Db, clock: &ManualClock, registry: Registry, id: &str) -> Worker {
    Worker::new(db.clone(), Arc::new(clock.clone()), registry, config(id))
}

/// Enqueues one job in its own transaction and wakes local workers.
pub async fn enqueue_with(db: &Db, job: NewJob<'_>, now: Timestamp) -> Option<JobId> {
    let mut tx = db.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, &job, Ts::new(now))
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    jobs::wake_workers();
    id
}

pub async fn enqueue(db: &Db, kind: &str, run_at: Timestamp, now: Timestamp) -> JobId {
    enqueue_with(
        db,
        NewJob::new(kind, serde_json::json!({}), Ts::new(run_at)),
        now,
    )
    .await
    .expect("not deduped")
}

pub async fn job(db: &Db, id: JobId) -> Job {
    jobs::find_job(db, id)
        .await
        .expect("find job")
        .expect("job exists")
}

/// Waits until `cond` holds, checking every 10 ms, failing after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !cond().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
