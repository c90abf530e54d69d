//! The queue's rules, driven step by step (`Worker::run_once`) with a manual
//! clock on the backend chosen by `AF_TEST_BACKEND`: delays, backoff,
//! dead-letter, dedupe, lease rescue and heartbeat, panic isolation, unknown
//! kinds, graceful shutdown and the visibility API.

mod common;

use af_core::Clock;
use af_db::Ts;
use af_db::jobs::{self, NewJob};
use af_jobs::{JobError, Registry, RunReport, admin, handler_fn};
use common::*;
use jiff::SignedDuration;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

fn ok_registry(kinds: &[&'static str]) -> Registry {
    let mut r = Registry::new();
    for k in kinds {
        r.register(handler_fn(k, |_, _| async { Ok(()) }))
            .expect("register");
    }
    r
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

#[tokio::test]
async fn a_rolled_back_enqueue_leaves_no_job() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    let mut tx = t.db.begin().await.expect("begin");
    jobs::enqueue(
        &mut tx,
        &NewJob::new("noop", serde_json::json!({}), now),
        now,
    )
    .await
    .expect("enqueue");
    tx.rollback().await.expect("rollback");
    let w = worker(&t.db, &clock, ok_registry(&["noop"]), "w1");
    assert_eq!(w.run_once().await.expect("run").claimed, 0);
    assert!(
        jobs::count_jobs_by_state(&t.db)
            .await
            .expect("count")
            .is_empty()
    );
}

#[tokio::test]
async fn a_delayed_job_waits_for_the_clock() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "noop", now + secs(3600), now).await;
    let w = worker(&t.db, &clock, ok_registry(&["noop"]), "w1");

    assert_eq!(w.run_once().await.expect("run").claimed, 0, "not due yet");
    clock.advance(secs(3599));
    assert_eq!(
        w.run_once().await.expect("run").claimed,
        0,
        "one second early"
    );
    clock.advance(secs(1));
    let r = w.run_once().await.expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 1,
            succeeded: 1,
            ..RunReport::default()
        }
    );
    let j = job(&t.db, id).await;
    assert_eq!(j.state, "succeeded");
    assert_eq!(j.finished_at, Some(Ts::new(clock.now())));
    assert_eq!((j.locked_by, j.locked_until), (None, None));
}

#[tokio::test]
async fn failures_back_off_exponentially_then_dead_letter() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let mut new = NewJob::new("send", serde_json::json!({}), Ts::new(now));
    new.max_attempts = 4;
    let id = enqueue_with(&t.db, new, now).await.expect("enqueued");
    let registry = Registry::new()
        .with(handler_fn("send", |_, _| async {
            Err(JobError::Retry("smtp down".into()))
        }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");

    for (attempt, delay) in [(1, 10), (2, 20), (3, 40)] {
        let r = w.run_once().await.expect("run");
        assert_eq!(
            r,
            RunReport {
                claimed: 1,
                retried: 1,
                ..RunReport::default()
            },
            "attempt {attempt}"
        );
        let j = job(&t.db, id).await;
        assert_eq!(j.state, "pending");
        assert_eq!(j.attempts, attempt);
        assert_eq!(j.last_error.as_deref(), Some("smtp down"));
        assert_eq!(
            j.run_at,
            Ts::new(clock.now() + secs(delay)),
            "attempt {attempt} backs off {delay}s"
        );
        clock.advance(secs(delay - 1));
        assert_eq!(
            w.run_once().await.expect("run").claimed,
            0,
            "not before the backoff"
        );
        clock.advance(secs(1));
    }
    let r = w.run_once().await.expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 1,
            dead: 1,
            ..RunReport::default()
        }
    );
    let j = job(&t.db, id).await;
    assert_eq!((j.state.as_str(), j.attempts), ("dead", 4));
    assert!(j.finished_at.is_some());
    let failed = admin::list_failed(&t.db, 10).await.expect("list");
    assert_eq!(failed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
    clock.advance(secs(86_400));
    assert_eq!(
        w.run_once().await.expect("run").claimed,
        0,
        "dead jobs stay dead"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_permanent_errors_dead_letter_at_once() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let later = enqueue(&t.db, "rate_limited", now, now).await;
    let hopeless = enqueue(&t.db, "bad_payload", now, now).await;
    let registry = Registry::new()
        .with(handler_fn("rate_limited", |_, _| async {
            Err(JobError::RetryAfter("429".into(), secs(90)))
        }))
        .expect("register")
        .with(handler_fn("bad_payload", |_, _| async {
            Err(JobError::Permanent("no such contact".into()))
        }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");
    let r = w.run_once().await.expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 2,
            retried: 1,
            dead: 1,
            ..RunReport::default()
        }
    );
    assert_eq!(job(&t.db, later).await.run_at, Ts::new(now + secs(90)));
    let j = job(&t.db, hopeless).await;
    assert_eq!(
        (j.state.as_str(), j.attempts, j.last_error.as_deref()),
        ("dead", 1, Some("no such contact"))
    );
}

#[tokio::test]
async fn a_dedupe_key_holds_one_live_job_at_a_time() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let keyed = || {
        let mut j = NewJob::new("digest", serde_json::json!({}), Ts::new(now));
        j.dedupe_key = Some("digest:ws1:2026-11-21".into());
        j
    };
    let first = enqueue_with(&t.db, keyed(), now)
        .await
        .expect("first enqueued");
    assert_eq!(
        enqueue_with(&t.db, keyed(), now).await,
        None,
        "deduped while pending"
    );
    let w = worker(&t.db, &clock, ok_registry(&["digest"]), "w1");
    assert_eq!(w.run_once().await.expect("run").succeeded, 1);
    let second = enqueue_with(&t.db, keyed(), now)
        .await
        .expect("key free once the first is done");
    assert_ne!(first, second);
}

#[tokio::test]
async fn expired_leases_are_rescued_and_run_again() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "noop", now, now).await;
    let lease = Ts::new(now + secs(30));
    let claimed = jobs::claim_due_jobs(&t.db, "crashed", 10, Ts::new(now), lease)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);

    let w = worker(&t.db, &clock, ok_registry(&["noop"]), "w1");
    assert_eq!(
        w.rescue_once().await.expect("rescue"),
        0,
        "lease still valid"
    );
    assert_eq!(
        w.run_once().await.expect("run").claimed,
        0,
        "held by the crashed worker"
    );
    clock.advance(secs(31));
    assert_eq!(w.rescue_once().await.expect("rescue"), 1);
    let j = job(&t.db, id).await;
    assert_eq!(j.state, "pending");
    assert!(
        j.last_error
            .as_deref()
            .is_some_and(|e| e.contains("lease expired") && e.contains("crashed")),
        "{j:?}"
    );
    assert_eq!(w.run_once().await.expect("run").succeeded, 1);
    assert_eq!(
        job(&t.db, id).await.attempts,
        2,
        "the crashed attempt counts"
    );
}

#[tokio::test]
async fn a_job_that_keeps_killing_its_worker_is_dead_lettered_by_the_rescuer() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let mut new = NewJob::new("oom", serde_json::json!({}), Ts::new(now));
    new.max_attempts = 1;
    let id = enqueue_with(&t.db, new, now).await.expect("enqueued");
    jobs::claim_due_jobs(&t.db, "crashed", 1, Ts::new(now), Ts::new(now + secs(30)))
        .await
        .expect("claim");
    clock.advance(secs(31));
    let w = worker(&t.db, &clock, ok_registry(&[]), "w1");
    assert_eq!(w.rescue_once().await.expect("rescue"), 1);
    assert_eq!(job(&t.db, id).await.state, "dead");
}

#[tokio::test]
async fn the_heartbeat_keeps_a_long_job_leased() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "long", now, now).await;
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let finish = Arc::new(Notify::new());
    let f = finish.clone();
    let registry = Registry::new()
        .with(handler_fn("long", move |_, _| {
            let (started_tx, f) = (started_tx.clone(), f.clone());
            async move {
                let _ = started_tx.send(());
                f.notified().await;
                Ok(())
            }
        }))
        .expect("register");
    let mut cfg = config("w1");
    cfg.heartbeat_every = Duration::from_millis(20);
    let w = af_jobs::Worker::new(t.db.clone(), Arc::new(clock.clone()), registry, cfg);
    let rescuer = worker(&t.db, &clock, ok_registry(&[]), "rescuer");

    let run = tokio::spawn({
        let w = w.clone();
        async move { w.run_once().await }
    });
    tokio::time::timeout(Duration::from_secs(10), started.recv())
        .await
        .expect("handler started");
    let first_lease = job(&t.db, id).await.locked_until.expect("leased");
    assert_eq!(first_lease, Ts::new(now + secs(30)));

    clock.advance(secs(25));
    wait_until(
        "the heartbeat to extend the lease",
        Duration::from_secs(10),
        || async {
            job(&t.db, id)
                .await
                .locked_until
                .is_some_and(|l| l > first_lease)
        },
    )
    .await;
    clock.advance(secs(20)); // 45 s after the claim: past the first lease
    assert_eq!(
        rescuer.rescue_once().await.expect("rescue"),
        0,
        "a heartbeated job is not rescued"
    );

    finish.notify_one();
    let r = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("finishes")
        .expect("task")
        .expect("run");
    assert_eq!(r.succeeded, 1);
    assert_eq!(job(&t.db, id).await.attempts, 1);
}

/// A handler that signals its start, then waits for `finish`; several jobs
/// of it can run at once.
fn waiting_registry(kind: &'static str) -> (Registry, mpsc::UnboundedReceiver<()>, Arc<Notify>) {
    let (started_tx, started) = mpsc::unbounded_channel();
    let finish = Arc::new(Notify::new());
    let f = finish.clone();
    let registry = Registry::new()
        .with(handler_fn(kind, move |_, _| {
            let (started_tx, f) = (started_tx.clone(), f.clone());
            async move {
                let _ = started_tx.send(());
                f.notified().await;
                Ok(())
            }
        }))
        .expect("register");
    (registry, started, finish)
}

#[tokio::test]
async fn one_heartbeat_renews_every_job_the_worker_holds() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let ids = [
        enqueue(&t.db, "long", now, now).await,
        enqueue(&t.db, "long", now, now).await,
        enqueue(&t.db, "long", now, now).await,
    ];
    let (registry, mut started, finish) = waiting_registry("long");
    let mut cfg = config("w1");
    cfg.heartbeat_every = Duration::from_millis(20);
    let w = af_jobs::Worker::new(t.db.clone(), Arc::new(clock.clone()), registry, cfg);
    let run = tokio::spawn({
        let w = w.clone();
        async move { w.run_once().await }
    });
    for _ in ids {
        tokio::time::timeout(Duration::from_secs(10), started.recv())
            .await
            .expect("handler started");
    }
    let first_lease = Ts::new(now + secs(30));
    clock.advance(secs(25));
    for id in ids {
        wait_until("every lease renewed", Duration::from_secs(10), || async {
            job(&t.db, id)
                .await
                .locked_until
                .is_some_and(|l| l > first_lease)
        })
        .await;
    }
    clock.advance(secs(20));
    let rescuer = worker(&t.db, &clock, ok_registry(&[]), "rescuer");
    assert_eq!(rescuer.rescue_once().await.expect("rescue"), 0);
    finish.notify_waiters();
    let r = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("finishes")
        .expect("task")
        .expect("run");
    assert_eq!(r.succeeded, 3, "{r:?}");
}

/// A handler that blocks its thread (synchronous work, a blocking call)
/// cannot starve the heartbeat: it runs in a task of its own, on another
/// thread of the runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_blocking_its_thread_keeps_its_lease() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "blocking", now, now).await;
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let r2 = release.clone();
    let registry = Registry::new()
        .with(handler_fn("blocking", move |_, _| {
            let (started_tx, release) = (started_tx.clone(), r2.clone());
            async move {
                let _ = started_tx.send(());
                // Deliberately blocking: no await until released.
                let start = std::time::Instant::now();
                while !release.load(std::sync::atomic::Ordering::SeqCst)
                    && start.elapsed() < Duration::from_secs(20)
                {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            }
        }))
        .expect("register");
    let mut cfg = config("w1");
    cfg.heartbeat_every = Duration::from_millis(20);
    let w = af_jobs::Worker::new(t.db.clone(), Arc::new(clock.clone()), registry, cfg);
    let run = tokio::spawn({
        let w = w.clone();
        async move { w.run_once().await }
    });
    tokio::time::timeout(Duration::from_secs(10), started.recv())
        .await
        .expect("handler started");
    let first_lease = Ts::new(now + secs(30));
    clock.advance(secs(25));
    wait_until(
        "the lease renewed while the handler blocks",
        Duration::from_secs(10),
        || async {
            job(&t.db, id)
                .await
                .locked_until
                .is_some_and(|l| l > first_lease)
        },
    )
    .await;
    release.store(true, std::sync::atomic::Ordering::SeqCst);
    let r = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("finishes")
        .expect("task")
        .expect("run");
    assert_eq!(r.succeeded, 1, "{r:?}");
}

#[tokio::test]
async fn a_handler_whose_claim_was_taken_over_is_stopped() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "long", now, now).await;
    let (registry, mut started, _finish) = waiting_registry("long");
    let mut cfg = config("w1");
    cfg.heartbeat_every = Duration::from_millis(20);
    let w = af_jobs::Worker::new(t.db.clone(), Arc::new(clock.clone()), registry, cfg);
    let run = tokio::spawn({
        let w = w.clone();
        async move { w.run_once().await }
    });
    tokio::time::timeout(Duration::from_secs(10), started.recv())
        .await
        .expect("handler started");
    // As if its lease had lapsed and another node had rescued and claimed
    // it: w1's next beat finds the claim gone and stops the handler, which
    // would otherwise run beside the new claim.
    assert!(
        jobs::release_job(&t.db, id, "w1", Ts::new(now))
            .await
            .expect("release")
    );
    let taken = jobs::claim_due_jobs(&t.db, "w2", 1, Ts::new(now), Ts::new(now + secs(30)))
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1);
    let r = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stopped without finishing its handler")
        .expect("task")
        .expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 1,
            lost: 1,
            ..RunReport::default()
        }
    );
    let j = job(&t.db, id).await;
    assert_eq!(
        (j.state.as_str(), j.locked_by.as_deref()),
        ("running", Some("w2")),
        "the new claim is untouched"
    );
}

#[tokio::test]
async fn a_panicking_handler_fails_its_job_and_the_worker_keeps_going() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let boom = enqueue(&t.db, "boom", now, now).await;
    let fine = enqueue(&t.db, "fine", now, now).await;
    let registry = Registry::new()
        .with(handler_fn("boom", |_, job| async move {
            panic!("bad payload {}", job.payload)
        }))
        .expect("register")
        .with(handler_fn("fine", |_, _| async { Ok(()) }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");

    let r = w.run_once().await.expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 2,
            succeeded: 1,
            retried: 1,
            ..RunReport::default()
        }
    );
    assert_eq!(job(&t.db, fine).await.state, "succeeded");
    let j = job(&t.db, boom).await;
    assert_eq!(j.state, "pending", "a panic is retried like any failure");
    assert_eq!(j.last_error.as_deref(), Some("panicked: bad payload {}"));

    let after = enqueue(&t.db, "fine", clock.now(), clock.now()).await;
    assert_eq!(
        w.run_once()
            .await
            .expect("the worker still works")
            .succeeded,
        1
    );
    assert_eq!(job(&t.db, after).await.state, "succeeded");
}

#[tokio::test]
async fn unknown_kinds_are_dead_lettered_with_a_clear_error() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let id = enqueue(&t.db, "mystery", now, now).await;
    let w = worker(&t.db, &clock, ok_registry(&["noop"]), "w1");
    let r = w.run_once().await.expect("run");
    assert_eq!(
        r,
        RunReport {
            claimed: 1,
            dead: 1,
            ..RunReport::default()
        }
    );
    let j = job(&t.db, id).await;
    assert_eq!(j.state, "dead");
    let e = j.last_error.expect("error recorded");
    assert!(
        e.contains("unknown job kind \"mystery\"") && e.contains("w1") && e.contains("noop"),
        "{e}"
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_what_it_can_and_releases_the_rest() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let quick = enqueue(&t.db, "quick", now, now).await;
    let stuck = enqueue(&t.db, "stuck", now, now).await;
    let (started_tx, mut started) = mpsc::unbounded_channel::<&'static str>();
    let go = Arc::new(Notify::new());
    let (tx1, tx2, g) = (started_tx.clone(), started_tx, go.clone());
    let registry = Registry::new()
        .with(handler_fn("quick", move |_, _| {
            let (tx, g) = (tx1.clone(), g.clone());
            async move {
                let _ = tx.send("quick");
                g.notified().await;
                Ok(())
            }
        }))
        .expect("register")
        .with(handler_fn("stuck", move |_, _| {
            let tx = tx2.clone();
            async move {
                let _ = tx.send("stuck");
                std::future::pending::<()>().await;
                Ok(())
            }
        }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(w.run(shutdown.clone()));
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(10), started.recv())
            .await
            .expect("both started");
    }

    shutdown.cancel();
    go.notify_one(); // finishes after the cancel, within the deadline
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stops")
        .expect("task")
        .expect("run");

    assert_eq!(
        job(&t.db, quick).await.state,
        "succeeded",
        "in-flight work finishes within the deadline"
    );
    let j = job(&t.db, stuck).await;
    assert_eq!(j.state, "pending", "released at the deadline");
    assert_eq!(
        (j.attempts, j.locked_by),
        (0, None),
        "a released job does not lose an attempt"
    );
}

#[tokio::test]
async fn the_visibility_api_counts_lists_retries_and_discards() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let registry = Registry::new()
        .with(handler_fn("fail", |_, _| async {
            Err(JobError::Permanent("nope".into()))
        }))
        .expect("register")
        .with(handler_fn("flaky", |_, _| async {
            Err(JobError::Retry("later".into()))
        }))
        .expect("register")
        .with(handler_fn("ok", |_, _| async { Ok(()) }))
        .expect("register");
    let w = worker(&t.db, &clock, registry, "w1");

    let keyed = |key: &str| {
        let mut j = NewJob::new("fail", serde_json::json!({}), Ts::new(now - secs(60)));
        j.dedupe_key = Some(key.to_string());
        j
    };
    // Two dead jobs sharing a dedupe key, one dead without a key.
    let dead_a1 = enqueue_with(&t.db, keyed("a"), now).await.expect("a1");
    clock.advance(secs(-60));
    w.run_once().await.expect("run");
    clock.advance(secs(60));
    let dead_a2 = enqueue_with(&t.db, keyed("a"), now).await.expect("a2");
    let dead_plain = enqueue(&t.db, "fail", now, now).await;
    let flaky = enqueue(&t.db, "flaky", now, now).await;
    let ok = enqueue(&t.db, "ok", now, now).await;
    w.run_once().await.expect("run");
    let waiting = enqueue(&t.db, "ok", now - secs(120), now).await;

    let st = admin::stats(&t.db, Ts::new(now)).await.expect("stats");
    assert_eq!(st.total_in("dead"), 3);
    assert_eq!(st.total_in("succeeded"), 1);
    assert_eq!(st.total_in("pending"), 2);
    assert!(
        st.counts
            .iter()
            .any(|c| c.kind == "fail" && c.state == "dead" && c.count == 3),
        "{st:?}"
    );
    assert_eq!(st.due_pending, 1, "the flaky job is not due yet");
    assert_eq!(st.oldest_due_run_at, Some(Ts::new(now - secs(120))));
    assert_eq!(st.oldest_due_age, Some(secs(120)));

    let failed_jobs = admin::list_failed(&t.db, 10).await.expect("list");
    assert!(
        failed_jobs
            .windows(2)
            .all(|w| w[0].updated_at >= w[1].updated_at),
        "newest first"
    );
    let failed: Vec<_> = failed_jobs.into_iter().map(|j| j.id).collect();
    assert_eq!(failed.len(), 4, "three dead and one retrying");
    assert!(failed.contains(&flaky) && !failed.contains(&ok) && !failed.contains(&waiting));
    assert_eq!(failed[3], dead_a1, "the first failure is the oldest");
    assert_eq!(
        admin::list_failed(&t.db, 2).await.expect("list").len(),
        2,
        "limit applies"
    );

    assert!(
        !admin::retry_job(&t.db, ok, Ts::new(now))
            .await
            .expect("retry"),
        "only dead jobs are retried"
    );
    assert!(
        admin::retry_job(&t.db, dead_plain, Ts::new(now))
            .await
            .expect("retry")
    );
    let j = job(&t.db, dead_plain).await;
    assert_eq!(
        (j.state.as_str(), j.attempts, j.last_error),
        ("pending", 0, None)
    );

    assert_eq!(
        admin::retry_all_dead(&t.db, Ts::new(now))
            .await
            .expect("retry all"),
        1,
        "one per dedupe key"
    );
    let (a1, a2) = (job(&t.db, dead_a1).await, job(&t.db, dead_a2).await);
    assert_eq!(
        (a1.state.as_str(), a2.state.as_str()),
        ("dead", "pending"),
        "the newest of a key is retried"
    );
    assert!(
        !admin::retry_job(&t.db, dead_a1, Ts::new(now))
            .await
            .expect("retry"),
        "its key is taken"
    );

    assert!(admin::discard_job(&t.db, dead_a1).await.expect("discard"));
    assert!(
        jobs::find_job(&t.db, dead_a1)
            .await
            .expect("find")
            .is_none()
    );
    let claimed = jobs::claim_due_jobs(&t.db, "w2", 1, Ts::new(now), Ts::new(now + secs(30)))
        .await
        .expect("claim");
    assert!(
        !admin::discard_job(&t.db, claimed[0].id)
            .await
            .expect("discard"),
        "running jobs are never discarded"
    );
}

#[tokio::test]
async fn the_automation_pipeline_is_claimed_downstream_first() {
    use af_core::jobs::{AutomationStep, DispatchEvent, SendMessage};
    use af_core::{EnrollmentId, EventId, MessageId};
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    // Queued in the order a burst produces them: new events first.
    let mut tx = t.db.begin().await.expect("begin");
    let dispatch = DispatchEvent {
        event_id: EventId::new(),
    };
    let step = AutomationStep {
        enrollment_id: EnrollmentId::new(),
        seq: 1,
    };
    let send = SendMessage {
        message_id: MessageId::new(),
    };
    jobs::enqueue_job(&mut tx, None, &dispatch, now, now)
        .await
        .expect("dispatch");
    jobs::enqueue_job(&mut tx, None, &step, now, now)
        .await
        .expect("step");
    jobs::enqueue_job(&mut tx, None, &send, now, now)
        .await
        .expect("send");
    tx.commit().await.expect("commit");
    let lease = Ts::new(now.0 + secs(30));
    let mut order = Vec::new();
    for _ in 0..3 {
        let claimed = jobs::claim_due_jobs(&t.db, "w1", 1, now, lease)
            .await
            .expect("claim");
        order.extend(claimed.into_iter().map(|j| j.kind));
    }
    assert_eq!(order, ["send_message", "automation_step", "dispatch_event"]);
    // Nothing due: the claim finds nothing (and on SQLite writes nothing).
    let none = jobs::claim_due_jobs(&t.db, "w1", 10, now, lease)
        .await
        .expect("claim");
    assert!(none.is_empty());
}
