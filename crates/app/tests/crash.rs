//! Crash test, with the real binary on the backend chosen by
//! `AF_TEST_BACKEND`: thousands of `diag_record` jobs, an `agencyflow
//! worker` killed with SIGKILL at random moments (seeded: `AF_CRASH_SEED`)
//! and restarted each time, then run until the queue is empty. It proves:
//! every job succeeded, every effect is recorded exactly once under the
//! job's idempotency key, and the runs repeated after a crash show as
//! attempts > 1 and as re-runs that found their effect already recorded —
//! never as a second effect.
//!
//! On SQLite the restarted worker returns the killed one's jobs to the queue
//! as it starts (it is the file's only claimer); on PostgreSQL a one-second
//! lease (`AF_JOB_LEASE_SECS=1`) makes them come back within about a second
//! and a half. `crash_recovery.rs` covers the default lease. Every wait is
//! on a condition with a time limit.

use af_db::jobs::DiagEffects;
use af_db::{Db, Ts};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A worker process, killed if the test ends early.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli(url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AF_LOG", "error")
        .env_remove("AF_CONFIG")
        .output()
        .expect("run agencyflow");
    assert!(
        out.status.success(),
        "agencyflow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn start_worker(url: &str, log: &std::path::Path) -> Worker {
    let data_dir = log.parent().expect("log folder");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .arg("worker")
        .env("DATABASE_URL", url)
        .env("AF_LOG", "warn")
        .env("AF_JOB_LEASE_SECS", "1")
        .env("AF_JOB_CONCURRENCY", "64")
        .env("AF_JOB_BATCH", "64")
        .env("AF_JOB_POLL_MS", "200")
        .env("AF_JOB_SHUTDOWN_SECS", "5")
        // The generated secret key goes there, not into the source tree.
        .env("AF_DATA_DIR", data_dir)
        .env_remove("AF_CONFIG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start the worker");
    Worker(child)
}

/// `diag_record` jobs by state: (succeeded, not yet succeeded).
async fn progress(db: &Db) -> (i64, i64) {
    let st = af_db::jobs::stats(db, Ts::new(jiff::Timestamp::now()))
        .await
        .expect("stats");
    let mine = st.counts.iter().filter(|c| c.kind == "diag_record");
    let done = mine
        .clone()
        .filter(|c| c.state == "succeeded")
        .map(|c| c.count)
        .sum();
    let left = mine
        .filter(|c| c.state != "succeeded")
        .map(|c| c.count)
        .sum();
    (done, left)
}

/// Waits until `ok(progress)` holds, failing after `limit`.
async fn wait_for(db: &Db, what: &str, ok: impl Fn((i64, i64)) -> bool, limit: Duration) {
    let start = Instant::now();
    loop {
        let v = progress(db).await;
        if ok(v) {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what} (succeeded, left: {v:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn effects(db: &Db) -> DiagEffects {
    af_db::jobs::diag_effects(db).await.expect("effects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_no_job_and_repeat_no_effect() {
    let seed: u64 = std::env::var("AF_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_121);
    eprintln!("crash test seed {seed} (set AF_CRASH_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let (url, dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("worker.log");
    let _keep = dir;
    cli(&url, &["migrate"]);
    // Jobs of three shapes: instant, short work, and a long gap between the
    // effect and the acknowledgement (where a crash leaves a recorded
    // effect on a job that must run again).
    let batches: [(&str, &[&str]); 3] = [
        ("2000", &[]),
        ("2000", &["--sleep-ms", "5", "--hold-ms", "10"]),
        ("1000", &["--hold-ms", "60"]),
    ];
    let mut total = 0;
    for (count, extra) in batches {
        let mut args = vec![
            "jobs",
            "enqueue-diag",
            "--kind",
            "diag_record",
            "--count",
            count,
        ];
        args.extend_from_slice(extra);
        cli(&url, &args);
        total += count.parse::<i64>().expect("count");
    }
    let db = Db::connect(&url).await.expect("connect");

    let mut kills = 0;
    let mut caught_after_effect = 0;
    while kills < 5 || (caught_after_effect == 0 && kills < 12) {
        let (done, _) = progress(&db).await;
        let mut w = start_worker(&url, &log);
        // The new worker is at work (it completed something), then a
        // random moment.
        wait_for(
            &db,
            "the worker to complete jobs",
            |(d, left)| d > done || left == 0,
            Duration::from_secs(20),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..400))).await;
        w.0.kill().expect("SIGKILL");
        w.0.wait().expect("reap");
        kills += 1;
        caught_after_effect += effects(&db).await.running_after_effect;
        let (_, left) = progress(&db).await;
        eprintln!(
            "kill {kills} at {:?}: {left} jobs not done, {caught_after_effect} caught after their effect so far",
            started.elapsed()
        );
        if left == 0 {
            break;
        }
    }

    // A last worker runs everything, rescued jobs included.
    let mut w = start_worker(&url, &log);
    wait_for(
        &db,
        "an empty queue",
        |(_, left)| left == 0,
        Duration::from_secs(60),
    )
    .await;
    // Graceful stop on SIGTERM, within its deadline.
    let term = Command::new("kill")
        .args(["-TERM", &w.0.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let stop = Instant::now();
    let status = loop {
        if let Some(s) = w.0.try_wait().expect("try_wait") {
            break s;
        }
        assert!(
            stop.elapsed() < Duration::from_secs(15),
            "the worker did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "worker exit: {status}");

    // Every job succeeded...
    assert_eq!(progress(&db).await, (total, 0), "log: {}", log.display());
    // ...every effect is recorded exactly once, under the job's own key...
    let fx = effects(&db).await;
    assert_eq!(fx.effects, total, "one effect per job: {fx:?}");
    assert_eq!(fx.jobs, total, "no job recorded two effects: {fx:?}");
    assert_eq!(fx.missing, 0, "every succeeded job recorded its effect");
    // ...and the crashes show as repeated runs, not repeated effects.
    assert!(
        fx.retried_jobs > 0,
        "some jobs ran again after a crash: {fx:?}"
    );
    assert!(
        fx.rerun > 0,
        "a re-run found its effect already recorded ({caught_after_effect} jobs were caught after their effect): {fx:?}"
    );
    // Each run that reached the effect was an attempt of its own (never two
    // runs in one claim). Holds here because only SIGKILL interrupted jobs:
    // a graceful release gives the attempt back.
    assert_eq!(fx.runs_beyond_attempts, 0, "{fx:?}");
    eprintln!(
        "{total} jobs, {kills} kills in {:?}: {} jobs ran more than once, {} re-runs found their effect recorded, {} effects first done by a retry",
        started.elapsed(),
        fx.retried_jobs,
        fx.rerun,
        fx.late_attempt
    );
    db.close().await;
}
