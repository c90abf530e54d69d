//! Typed jobs on the backend chosen by `AF_TEST_BACKEND`: a payload
//! enqueued with `enqueue_job` is queued as its kind declares and reaches
//! its `typed_handler` as the same value; a payload that does not parse is
//! dead-lettered at once.

mod common;

use af_core::jobs::JobPayload;
use af_core::{Clock, ContactId};
use af_db::Ts;
use af_db::jobs::{self, NewJob};
use af_jobs::{Registry, RunReport, typed_handler};
use common::*;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// A payload of this test only, declaring everything a kind can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Greet {
    contact: ContactId,
    times: u32,
}

impl JobPayload for Greet {
    const KIND: &'static str = "test_greet";
    const PRIORITY: i32 = 42;
    const MAX_ATTEMPTS: i32 = 3;

    fn dedupe_key(&self) -> Option<String> {
        Some(format!("greet:{}", self.contact))
    }
}

fn recording_registry(seen: Arc<Mutex<Vec<Greet>>>) -> Registry {
    Registry::new()
        .with(typed_handler(move |_, _, p: Greet| {
            let seen = seen.clone();
            async move {
                seen.lock().expect("lock").push(p);
                Ok(())
            }
        }))
        .expect("register")
}

#[tokio::test]
async fn a_typed_job_is_queued_as_declared_and_handled_as_sent() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    let greet = Greet {
        contact: ContactId::new(),
        times: 2,
    };
    let mut tx = t.db.begin().await.expect("begin");
    let id = jobs::enqueue_job(&mut tx, None, &greet, now, now)
        .await
        .expect("enqueue")
        .expect("first");
    // Same dedupe key while the first is pending: nothing new.
    assert_eq!(
        jobs::enqueue_job(&mut tx, None, &greet, now, now)
            .await
            .expect("enqueue"),
        None
    );
    tx.commit().await.expect("commit");

    let j = job(&t.db, id).await;
    assert_eq!(
        (
            j.kind.as_str(),
            j.priority,
            j.max_attempts,
            j.dedupe_key.clone()
        ),
        (
            "test_greet",
            42,
            3,
            Some(format!("greet:{}", greet.contact))
        )
    );

    let seen = Arc::new(Mutex::new(vec![]));
    let w = worker(&t.db, &clock, recording_registry(seen.clone()), "w");
    assert_eq!(w.run_once().await.expect("run").succeeded, 1);
    assert_eq!(*seen.lock().expect("lock"), vec![greet]);
}

#[tokio::test]
async fn a_payload_that_does_not_parse_is_dead_lettered_at_once() {
    let (t, clock) = setup().await;
    let now = clock.now();
    let mut bad = NewJob::new(
        Greet::KIND,
        serde_json::json!({ "contact": "not-a-uuid", "times": 1 }),
        Ts::new(now),
    );
    bad.max_attempts = Greet::MAX_ATTEMPTS;
    let id = enqueue_with(&t.db, bad, now).await.expect("enqueued");

    let seen = Arc::new(Mutex::new(vec![]));
    let w = worker(&t.db, &clock, recording_registry(seen.clone()), "w");
    assert_eq!(
        w.run_once().await.expect("run"),
        RunReport {
            claimed: 1,
            dead: 1,
            ..RunReport::default()
        }
    );
    let j = job(&t.db, id).await;
    assert_eq!((j.state.as_str(), j.attempts), ("dead", 1));
    let error = j.last_error.unwrap_or_default();
    assert!(error.starts_with("invalid test_greet payload:"), "{error}");
    assert!(seen.lock().expect("lock").is_empty());
}
