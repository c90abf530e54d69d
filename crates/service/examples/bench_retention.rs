//! Retention benchmark (issue 18's figures in BENCHMARKS.md), on a fresh
//! database of the backend `AF_TEST_BACKEND` picks (`sqlite`, the default,
//! or `postgres` at `AF_TEST_PG_URL`):
//!
//! 1. 100,000 members (contacts through the CSV importer, one active
//!    membership each, 2 % past due, 10 % ending within 5 days) and
//!    1,000,000 visits (ten each, the last one 0 to 28 days ago, so about
//!    half are away 14 days or more), written with plain multi-row inserts;
//! 2. **the daily check** (`af_service::retention::check_now`: the seed's
//!    rules, resolve and open/escalate statements, history and events)
//!    — the first run (opens), a second run at the same instant (nothing
//!    new), a run 20 days later (escalations and new absences); the
//!    baseline is the one scan the check cannot avoid, each member's last
//!    visit (`SELECT contact_id, MAX(occurred_at) … GROUP BY contact_id`);
//! 3. **the alert list** at the alerts the check opened (about 50,000):
//!    the page's two queries (a page of 50 with its filter, the counts
//!    per status) for four filters; the baseline is a bare
//!    `SELECT id … LIMIT 50` of the table.
//!
//! Run: `cargo run --release -p af-service --example bench_retention`
//! (`BENCH_MEMBERS` to change the size).

mod common;
use common::*;

use af_core::{Actor, WorkspaceId};
use af_db::retention::{AlertFilter, AssigneeFilter};
use af_db::testing::{fresh_db_on, pauta_workspace, test_backend};
use af_db::{Db, Ts, with_pool};
use af_service::retention;
use jiff::{SignedDuration, Timestamp};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("BENCH_MEMBERS", 100_000);
    let backend = test_backend();
    let tdb = fresh_db_on(backend).await;
    let db = &tdb.db;
    let t0 = Ts::new("2026-12-07T15:00:00Z".parse::<Timestamp>().expect("time"));
    let day = |d: i64| Ts::new(t0.0 + SignedDuration::from_hours(24 * d));
    let ws = pauta_workspace(db, t0).await;
    let started = Instant::now();
    let contacts = seed_contacts(db, ws.id, n, "member", t0).await;
    let mut rng = Rng(0x5eed_2026_1207_0018);
    insert_rows(
        db,
        "contact_memberships (id, workspace_id, contact_id, plan, status, starts_at, ends_at, created_at, updated_at)",
        9,
        n,
        |i| {
            let roll = rng.below(100);
            let status = if roll < 2 { "past_due" } else { "active" };
            let ends = (roll >= 90).then(|| day(1 + (roll as i64 % 5)));
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Id(contacts[i].0),
                Val::Text("Mensual".into()),
                Val::Text(status.into()),
                Val::At(day(-120)),
                Val::OptAt(ends),
                Val::At(t0),
                Val::At(t0),
            ]
        },
    )
    .await;
    let last: Vec<i64> = (0..n).map(|_| rng.below(29) as i64).collect();
    insert_rows(
        db,
        "activities (id, workspace_id, contact_id, type, occurred_at, source, data, created_at)",
        8,
        n * 10,
        |i| {
            let (member, k) = (i / 10, (i % 10) as i64);
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Id(contacts[member].0),
                Val::Text("visit".into()),
                Val::At(day(-(last[member] + 3 * k))),
                Val::Text("bench".into()),
                Val::Text("{}".into()),
                Val::At(t0),
            ]
        },
    )
    .await;
    if matches!(backend, af_db::Backend::Postgres) {
        with_pool!(db, p => { sqlx::query("ANALYZE").execute(p).await.expect("analyze"); });
    }
    println!(
        "backend {backend:?}: {n} members, {} visits written in {:.1} s",
        n * 10,
        started.elapsed().as_secs_f64()
    );

    // The check: first run, same instant again, 20 days later; three
    // rounds on copies of the same state are not possible in place, so
    // each round advances the clock (new absences and escalations).
    let actor = Actor::system();
    let (mut first, mut again, mut later, mut scan) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..3 {
        let at_now = day(round * 40);
        let at = Instant::now();
        let out = retention::check_now(db, &ws, &actor, at_now)
            .await
            .expect("check");
        first.push(at.elapsed());
        if round == 0 {
            println!("first check: {out:?}");
            bench_list(db, ws.id).await;
        }
        let at = Instant::now();
        let twice = retention::check_now(db, &ws, &actor, at_now)
            .await
            .expect("check");
        again.push(at.elapsed());
        assert_eq!(
            (twice.opened, twice.escalated),
            (0, 0),
            "the second run opens nothing"
        );
        let at = Instant::now();
        let out = retention::check_now(db, &ws, &actor, day(round * 40 + 20))
            .await
            .expect("check");
        later.push(at.elapsed());
        if round == 0 {
            println!("20 days later: {out:?}");
        }
        let at = Instant::now();
        let rows: Vec<(uuid::Uuid, Ts)> = with_pool!(db, p => {
            sqlx::query_as("SELECT contact_id, MAX(occurred_at) FROM activities
                            WHERE workspace_id = $1 AND type = 'visit' GROUP BY contact_id")
                .bind(ws.id.0).fetch_all(p).await.expect("scan")
        });
        scan.push(at.elapsed());
        assert_eq!(rows.len(), n);
    }
    let (f, a, l, s) = (median(first), median(again), median(later), median(scan));
    println!(
        "daily check over {n} members / {} visits: first run median {:.0} ms, again at the same instant {:.0} ms, 20 days later {:.0} ms; last-visit scan {:.0} ms; ratio {:.1}",
        n * 10,
        ms(f),
        ms(a),
        ms(l),
        ms(s),
        f.as_secs_f64() / s.as_secs_f64()
    );
}

/// The alert list's page as the web page asks it, for four filters.
async fn bench_list(db: &Db, ws: WorkspaceId) {
    // The alert list.
    let total: i64 = with_pool!(db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM retention_alerts WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(p).await.expect("count")
    });
    let tz = jiff::tz::TimeZone::get("America/Mexico_City").expect("zone");
    let filters = [
        retention::filter_of(
            &retention::AlertQuery {
                status: Some("active".into()),
                ..Default::default()
            },
            None,
            &tz,
        )
        .expect("f"),
        retention::filter_of(
            &retention::AlertQuery {
                status: Some("all".into()),
                alert_type: Some("no_attendance".into()),
                ..Default::default()
            },
            None,
            &tz,
        )
        .expect("f"),
        retention::filter_of(
            &retention::AlertQuery {
                status: Some("open".into()),
                min_risk: Some("80".into()),
                ..Default::default()
            },
            None,
            &tz,
        )
        .expect("f"),
        AlertFilter {
            assignee: Some(AssigneeFilter::Nobody),
            ..Default::default()
        },
    ];
    let (mut list, mut bare) = (Vec::new(), Vec::new());
    for i in 0..200 {
        let f = &filters[i % filters.len()];
        let at = Instant::now();
        let (page, _) = retention::list_alerts(db, ws, f, None, 50)
            .await
            .expect("list");
        let counts = af_db::retention::count_by_status(db, ws, f)
            .await
            .expect("counts");
        list.push(at.elapsed());
        assert!(!page.is_empty() || counts.is_empty());
        let at = Instant::now();
        let ids: Vec<uuid::Uuid> = with_pool!(db, p => {
            sqlx::query_scalar("SELECT id FROM retention_alerts WHERE workspace_id = $1 LIMIT 50")
                .bind(ws.0).fetch_all(p).await.expect("bare")
        });
        bare.push(at.elapsed());
        assert_eq!(ids.len(), 50);
    }
    let (lm, lp, bm) = (median(list.clone()), percentile(list, 95), median(bare));
    println!(
        "alert list at {total} alerts (a page of 50 + counts per status, four filters): median {:.1} ms, p95 {:.1} ms; bare LIMIT 50 {:.2} ms; ratio {:.0}",
        ms(lm),
        ms(lp),
        ms(bm),
        lm.as_secs_f64() / bm.as_secs_f64()
    );
}
