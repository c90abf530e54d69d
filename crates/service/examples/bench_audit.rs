//! The audit log's export benchmark (issue 19's figure in BENCHMARKS.md),
//! on a fresh database of the backend `AF_TEST_BACKEND` picks (`sqlite`,
//! the default, or `postgres` at `AF_TEST_PG_URL`): 1,000,000 audit rows in
//! one workspace (seeded by one `INSERT … SELECT` per 100,000, a second
//! apart, ten actions, every tenth about a message with a channel and a
//! lead), then
//! - **the export** (`af_db::audit::export_pages` + `lines`: keyset pages
//!   of 1,000 turned into JSON lines, what `/api/v1/audit/export` and
//!   `agencyflow audit export` stream), every line written to a sink that
//!   only counts bytes, three runs: time, rows/s, and the process's peak
//!   resident memory during the export (VmHWM, reset before it);
//! - **a filtered export** (one action of ten);
//! - **the first search page** (50 rows) with and without a filter.
//!
//! Run: `cargo run --release -p af-service --example bench_audit`
//! (`BENCH_AUDIT_ROWS` to change the size).

mod common;
use common::*;

use af_db::audit::{self, AuditFilter};
use af_db::testing::{fresh_db_on, pauta_workspace, test_backend};
use af_db::{Backend, Db, Ts, with_pool};
use futures::TryStreamExt;
use jiff::Timestamp;
use std::time::{Duration, Instant};

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Current resident memory, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak (Linux: writing 5 to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

async fn seed(db: &Db, ws: uuid::Uuid, n: usize, t0: Ts) {
    const CHUNK: usize = 100_000;
    let mut done = 0;
    while done < n {
        let take = CHUNK.min(n - done);
        match db {
            Db::Sqlite(p) => {
                let base = t0.0.strftime("%Y-%m-%d %H:%M:%S").to_string();
                sqlx::query(
                    "WITH RECURSIVE seq(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM seq WHERE i < $2)
                     INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_label, action, target_type,
                         target_id, result, details, ip, created_at, request_id, origin, changes, channel, contact_id)
                     SELECT randomblob(16), $3, 'system', NULL, 'system',
                            CASE WHEN i % 10 = 0 THEN 'message.sent' ELSE 'contact.updated' || (i % 9) END,
                            CASE WHEN i % 10 = 0 THEN 'message' ELSE 'contact' END,
                            printf('%08d-0000-7000-8000-%012d', i % 50000, i), 'ok',
                            '{\"count\":1}', NULL,
                            strftime('%Y-%m-%dT%H:%M:%S', $4, '+' || i || ' seconds') || '.000000Z',
                            'job-' || (i / 10), 'job send_message',
                            '{\"old\":{\"company\":\"Acme\"},\"new\":{\"company\":\"Acme ' || i || '\"}}',
                            CASE WHEN i % 10 = 0 THEN 'email' END,
                            printf('%08d-0000-7000-8000-000000000000', i % 50000)
                     FROM seq",
                )
                .bind(done as i64)
                .bind((done + take - 1) as i64)
                .bind(ws)
                .bind(base)
                .execute(p)
                .await
                .expect("seed");
            }
            Db::Pg(p) => {
                sqlx::query(
                    "INSERT INTO audit_log (id, workspace_id, actor_type, actor_id, actor_label, action, target_type,
                         target_id, result, details, ip, created_at, request_id, origin, changes, channel, contact_id)
                     SELECT gen_random_uuid(), $3, 'system', NULL, 'system',
                            CASE WHEN i % 10 = 0 THEN 'message.sent' ELSE 'contact.updated' || (i % 9) END,
                            CASE WHEN i % 10 = 0 THEN 'message' ELSE 'contact' END,
                            lpad((i % 50000)::text, 8, '0') || '-0000-7000-8000-' || lpad(i::text, 12, '0'), 'ok',
                            '{\"count\":1}', NULL, $4 + i * interval '1 second',
                            'job-' || (i / 10), 'job send_message',
                            '{\"old\":{\"company\":\"Acme\"},\"new\":{\"company\":\"Acme ' || i || '\"}}',
                            CASE WHEN i % 10 = 0 THEN 'email' END,
                            lpad((i % 50000)::text, 8, '0') || '-0000-7000-8000-000000000000'
                     FROM generate_series($1::bigint, $2::bigint) AS i",
                )
                .bind(done as i64)
                .bind((done + take - 1) as i64)
                .bind(ws)
                .bind(t0)
                .execute(p)
                .await
                .expect("seed");
            }
        }
        done += take;
    }
}

/// One export: (time, rows, bytes, peak RSS MiB during it).
async fn export(
    db: &Db,
    ws: af_core::WorkspaceId,
    f: AuditFilter,
) -> (Duration, usize, usize, f64) {
    reset_peak();
    let started = Instant::now();
    let mut pages = std::pin::pin!(audit::export_pages(db.clone(), ws, f));
    let (mut rows, mut bytes) = (0, 0);
    while let Some(page) = pages.try_next().await.expect("page") {
        rows += page.len();
        bytes += audit::lines(&page).len();
    }
    (started.elapsed(), rows, bytes, peak_rss_mib())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("BENCH_AUDIT_ROWS", 1_000_000);
    let backend = test_backend();
    let tdb = fresh_db_on(backend).await;
    let db = &tdb.db;
    let t0 = Ts::new("2025-12-07T15:00:00Z".parse::<Timestamp>().expect("time"));
    let ws = pauta_workspace(db, t0).await;
    let started = Instant::now();
    seed(db, ws.id.0, n, t0).await;
    if matches!(backend, Backend::Postgres) {
        with_pool!(db, p => { sqlx::query("ANALYZE").execute(p).await.expect("analyze"); });
    }
    println!(
        "backend {backend:?}: {n} audit rows seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("resident memory before the exports: {:.1} MiB", rss_mib());

    let mut times = Vec::new();
    for run in 0..3 {
        let (d, rows, bytes, peak) = export(db, ws.id, AuditFilter::default()).await;
        assert_eq!(rows, n);
        println!(
            "export {run}: {rows} rows, {:.0} MiB of JSON lines in {:.2} s ({:.0} rows/s), peak RSS {peak:.1} MiB",
            bytes as f64 / 1_048_576.0,
            d.as_secs_f64(),
            rows as f64 / d.as_secs_f64()
        );
        times.push(d);
    }
    println!("export median: {:.2} s", median(times).as_secs_f64());
    let f = AuditFilter {
        action: Some("message.sent".into()),
        ..Default::default()
    };
    let (d, rows, _, peak) = export(db, ws.id, f.clone()).await;
    println!(
        "filtered export (message.sent): {rows} rows in {:.2} s, peak RSS {peak:.1} MiB",
        d.as_secs_f64()
    );
    for (name, f) in [("no filter", AuditFilter::default()), ("action", f)] {
        let mut v = Vec::new();
        for _ in 0..101 {
            let s = Instant::now();
            let page = audit::search(db, ws.id, &f, None, 50)
                .await
                .expect("search");
            assert_eq!(page.len(), 50);
            v.push(s.elapsed());
        }
        println!(
            "first page of 50 ({name}): median {:.2} ms, p95 {:.2} ms",
            ms(median(v.clone())),
            ms(percentile(v, 95))
        );
    }
}
