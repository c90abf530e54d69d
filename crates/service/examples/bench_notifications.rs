//! The bell's benchmark (issue 18's figures in BENCHMARKS.md), on a fresh
//! database of the backend `AF_TEST_BACKEND` picks (`sqlite`, the default,
//! or `postgres` at `AF_TEST_PG_URL`): five members with 10,000
//! notifications each (pushed through `af_db::notifications::push`, the
//! one entry point), 8,000 of them read, then
//! - **the unread count** (`unread_count`: one `COUNT` over the partial
//!   unread index), 1,001 runs; baseline: counting all the member's rows
//!   (read or not) with the same filter on workspace and member;
//! - **the dropdown** (`latest(10)`), 1,001 runs;
//! - **mark all read** of 2,000 unread (one statement), three times.
//!
//! Run: `cargo run --release -p af-service --example bench_notifications`
//! (`BENCH_PER_MEMBER` to change the size).

mod common;
use common::*;

use af_core::vocab::NotificationKind;
use af_core::{Role, UserId};
use af_db::notifications::{self, NewNotification};
use af_db::testing::{fresh_db_on, pauta_workspace, test_backend};
use af_db::{Ts, with_pool};
use jiff::{SignedDuration, Timestamp};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let per_member = env_usize("BENCH_PER_MEMBER", 10_000);
    let backend = test_backend();
    let tdb = fresh_db_on(backend).await;
    let db = &tdb.db;
    let t0 = Ts::new("2026-12-07T15:00:00Z".parse::<Timestamp>().expect("time"));
    let ws = pauta_workspace(db, t0).await;
    let mut members: Vec<UserId> = Vec::new();
    for i in 0..5 {
        let u = af_service::provision::add_user(
            db,
            &ws,
            &format!("staff{i}@agencia.mx"),
            Some("Staff"),
            "una contraseña larga 123",
            Role::Member,
            t0,
        )
        .await
        .expect("user");
        members.push(u.user.id);
    }
    let started = Instant::now();
    for (m, user) in members.iter().enumerate() {
        let mut tx = db.begin().await.expect("tx");
        for i in 0..per_member {
            let at = Ts::new(t0.0 + SignedDuration::from_secs((m * per_member + i) as i64));
            let n = NewNotification {
                workspace_id: ws.id,
                user_id: *user,
                kind: NotificationKind::TaskAssigned,
                params: serde_json::json!({"task_id": i, "title": "Llamar", "contact_name": "Ana"}),
                link: "/tasks".into(),
            };
            notifications::push(&mut tx, &n, at).await.expect("push");
            if i % 1000 == 999 {
                tx.commit().await.expect("commit");
                tx = db.begin().await.expect("tx");
            }
        }
        tx.commit().await.expect("commit");
        // All but the newest fifth read.
        let cut =
            Ts::new(t0.0 + SignedDuration::from_secs((m * per_member + per_member * 4 / 5) as i64));
        with_pool!(db, p => {
            sqlx::query("UPDATE notifications SET read_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND created_at < $4")
                .bind(ws.id.0).bind(user.0).bind(t0).bind(cut).execute(p).await.expect("read").rows_affected()
        });
    }
    if matches!(backend, af_db::Backend::Postgres) {
        with_pool!(db, p => { sqlx::query("ANALYZE").execute(p).await.expect("analyze"); });
    }
    println!(
        "backend {backend:?}: {} notifications pushed in {:.1} s",
        per_member * members.len(),
        started.elapsed().as_secs_f64()
    );
    let me = members[2];
    let (mut count, mut all, mut latest) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..1001 {
        let at = Instant::now();
        let n = notifications::unread_count(db, ws.id, me)
            .await
            .expect("count");
        count.push(at.elapsed());
        assert_eq!(n as usize, per_member - per_member * 4 / 5);
        let at = Instant::now();
        let rows: i64 = with_pool!(db, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE workspace_id = $1 AND user_id = $2")
                .bind(ws.id.0).bind(me.0).fetch_one(p).await.expect("all")
        });
        all.push(at.elapsed());
        assert_eq!(rows as usize, per_member);
        let at = Instant::now();
        let l = notifications::latest(db, ws.id, me, 10)
            .await
            .expect("latest");
        latest.push(at.elapsed());
        assert_eq!(l.len(), 10);
    }
    let mut mark = Vec::new();
    for (k, user) in members.iter().enumerate().take(3) {
        let at = Instant::now();
        let n = notifications::mark_all_read(
            db,
            ws.id,
            *user,
            Ts::new(t0.0 + SignedDuration::from_hours(k as i64 + 1)),
        )
        .await
        .expect("mark");
        mark.push(at.elapsed());
        assert_eq!(n as usize, per_member - per_member * 4 / 5);
    }
    println!(
        "unread count at {per_member} notifications ({} unread): median {:.3} ms, p95 {:.3} ms; counting all the member's rows {:.3} ms; ratio {:.2}",
        per_member - per_member * 4 / 5,
        ms(median(count.clone())),
        ms(percentile(count.clone(), 95)),
        ms(median(all.clone())),
        median(count).as_secs_f64() / median(all).as_secs_f64()
    );
    println!(
        "dropdown (latest 10): median {:.3} ms, p95 {:.3} ms; mark all read of {} unread: median {:.1} ms",
        ms(median(latest.clone())),
        ms(percentile(latest, 95)),
        per_member - per_member * 4 / 5,
        ms(median(mark))
    );
}
