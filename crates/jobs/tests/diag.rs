//! On the backend chosen by `AF_TEST_BACKEND`: grouped completions, batch
//! enqueue, the workspace-scoped admin queries, and the diagnostic job
//! kinds (a re-run of `diag_record` repeats no effect; `diag_http` calls
//! loopback and refuses other hosts).

mod common;

use af_core::jobs::{DiagFail, DiagHttp, DiagRecord, JobPayload};
use af_core::{Clock, Locale, WorkspaceId};
use af_db::jobs::{self, NewJob};
use af_db::{Ts, workspaces};
use af_jobs::diag::{self, DiagBatch, DiagConfig};
use af_jobs::{JobContext, Registry};
use common::*;
use jiff::SignedDuration;
use std::sync::Arc;

async fn workspace(db: &af_db::Db, slug: &str, now: Ts) -> WorkspaceId {
    let mut tx = db.begin().await.expect("begin");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "America/Mexico_City".into(),
            locale: Locale::Es,
            country: "MX".into(),
        },
        now,
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

fn diag_registry() -> Registry {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut r = Registry::new();
    diag::register(&mut r, DiagConfig::default()).expect("register");
    r
}

#[tokio::test]
async fn grouped_completion_only_completes_jobs_still_leased_to_the_worker() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    for _ in 0..4 {
        enqueue(&t.db, "k", clock.now(), clock.now()).await;
    }
    let lease = Ts::new(clock.now() + SignedDuration::from_secs(30));
    let claimed = jobs::claim_due_jobs(&t.db, "w1", 3, now, lease)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 3);
    assert!(claimed.iter().all(|j| j.started_at == Some(now)));
    let ids: Vec<_> = claimed.iter().map(|j| j.id).collect();
    let pending = jobs::list_jobs(&t.db, Some("pending"), 10)
        .await
        .expect("list")[0]
        .id;
    assert!(
        jobs::complete_jobs(&t.db, &ids, "w2", now)
            .await
            .expect("complete")
            .is_empty(),
        "another worker's lease"
    );
    let mut all = ids.clone();
    all.push(pending);
    let mut done = jobs::complete_jobs(&t.db, &all, "w1", now)
        .await
        .expect("complete");
    done.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(done, want, "the pending job is not completed");
    assert_eq!(job(&t.db, pending).await.state, "pending");
}

#[tokio::test]
async fn batch_enqueue_inserts_many_and_honours_dedupe_keys() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    let mut batch: Vec<NewJob<'_>> = (0..1200)
        .map(|i| NewJob::new("k", serde_json::json!({ "i": i }), now))
        .collect();
    batch[0].dedupe_key = Some("once".into());
    batch[1].dedupe_key = Some("once".into());
    let mut tx = t.db.begin().await.expect("begin");
    let n = jobs::enqueue_batch(&mut tx, &batch, now)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    assert_eq!(
        n, 1199,
        "the second job with the same dedupe key is skipped"
    );
    // Rolled back: nothing.
    let mut tx = t.db.begin().await.expect("begin");
    jobs::enqueue_batch(&mut tx, &batch[2..10], now)
        .await
        .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert_eq!(
        jobs::count_jobs_by_state(&t.db).await.expect("count"),
        vec![("pending".to_string(), 1199)]
    );
}

#[tokio::test]
async fn workspace_scoped_queries_see_and_touch_only_that_workspace() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    let a = workspace(&t.db, "a", now).await;
    let b = workspace(&t.db, "b", now).await;
    let registry = diag_registry();
    for ws in [Some(a), Some(b), None] {
        let batch = DiagBatch {
            kind: DiagFail::KIND,
            count: 2,
            batch_size: 10,
            payload: serde_json::json!({}),
            workspace: ws,
        };
        diag::enqueue(&t.db, &batch, now).await.expect("enqueue");
    }
    let w = worker(&t.db, &clock, registry, "w");
    assert_eq!(w.run_once().await.expect("run").dead, 6);

    let st = jobs::stats_for_workspace(&t.db, a, now)
        .await
        .expect("stats");
    assert_eq!(st.total_in("dead"), 2);
    assert_eq!(
        jobs::stats(&t.db, now)
            .await
            .expect("stats")
            .total_in("dead"),
        6
    );
    let failed_a = jobs::list_failed_in_workspace(&t.db, a, 10)
        .await
        .expect("failed");
    assert_eq!(failed_a.len(), 2);
    assert!(failed_a.iter().all(|j| j.workspace_id == Some(a.0)));
    let b_job = jobs::list_failed_in_workspace(&t.db, b, 10)
        .await
        .expect("failed")[0]
        .id;
    assert!(
        jobs::find_job_in_workspace(&t.db, a, b_job)
            .await
            .expect("find")
            .is_none()
    );
    assert!(
        !jobs::retry_job_in_workspace(&t.db, a, b_job, now)
            .await
            .expect("retry")
    );
    assert!(
        !jobs::discard_job_in_workspace(&t.db, a, b_job)
            .await
            .expect("discard")
    );
    assert_eq!(job(&t.db, b_job).await.state, "dead");
    assert_eq!(
        jobs::retry_all_dead_in_workspace(&t.db, a, now)
            .await
            .expect("retry all"),
        2
    );
    let st = jobs::stats(&t.db, now).await.expect("stats");
    assert_eq!((st.total_in("dead"), st.total_in("pending")), (4, 2));
    assert!(
        jobs::retry_job_in_workspace(&t.db, b, b_job, now)
            .await
            .expect("retry")
    );
    assert!(
        jobs::discard_job_in_workspace(&t.db, b, b_job)
            .await
            .expect("discard")
    );
}

#[tokio::test]
async fn a_rerun_of_diag_record_repeats_no_effect() {
    let (t, clock) = setup().await;
    let now = Ts::new(clock.now());
    let id = enqueue(&t.db, DiagRecord::KIND, clock.now(), clock.now()).await;
    let registry = diag_registry();
    let handler = registry.get(DiagRecord::KIND).expect("registered");
    let mut j = job(&t.db, id).await;
    j.attempts = 1;
    let ctx = JobContext::new(
        t.db.clone(),
        Arc::new(clock.clone()),
        "w",
        id,
        SignedDuration::from_secs(30),
    );
    handler.run(&ctx, &j).await.expect("first run");
    // The worker died before acknowledging; the job runs again.
    j.attempts = 2;
    handler.run(&ctx, &j).await.expect("second run");
    let fx = jobs::diag_effects(&t.db).await.expect("effects");
    assert_eq!((fx.effects, fx.jobs, fx.rerun), (1, 1, 1));
    assert_eq!(fx.late_attempt, 0, "the effect keeps its first attempt");
    assert_eq!(
        jobs::delete_diag_effects_before(&t.db, Ts::new(now.0 + SignedDuration::from_secs(1)))
            .await
            .expect("delete"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diag_http_calls_loopback_and_refuses_other_hosts() {
    let (t, clock) = setup().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    // One canned answer per connection: 200 for /ok, 503 otherwise.
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let status = if head.starts_with("GET /ok ") {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                };
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    });
    let now = Ts::new(clock.now());
    for (path, n) in [("ok", 2), ("down", 1)] {
        let batch = DiagBatch {
            kind: DiagHttp::KIND,
            count: n,
            batch_size: 10,
            payload: serde_json::json!({ "url": format!("http://{addr}/{path}") }),
            workspace: None,
        };
        diag::enqueue(&t.db, &batch, now).await.expect("enqueue");
    }
    let batch = DiagBatch {
        kind: DiagHttp::KIND,
        count: 1,
        batch_size: 1,
        payload: serde_json::json!({ "url": "http://169.254.169.254/latest/meta-data" }),
        workspace: None,
    };
    diag::enqueue(&t.db, &batch, now).await.expect("enqueue");
    let w = worker(&t.db, &clock, diag_registry(), "w");
    let r = w.run_once().await.expect("run");
    assert_eq!((r.succeeded, r.retried, r.dead), (2, 1, 1), "{r:?}");
    let failed = jobs::list_failed(&t.db, 10).await.expect("failed");
    let errors: Vec<_> = failed.iter().filter_map(|j| j.last_error.clone()).collect();
    assert!(errors.iter().any(|e| e.contains("503")), "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("neither a loopback address nor an allowed origin")),
        "{errors:?}"
    );
}
