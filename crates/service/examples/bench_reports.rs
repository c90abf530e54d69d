//! Dashboard and reports benchmark (issue 19's figures in BENCHMARKS.md),
//! on a fresh database of the backend `AF_TEST_BACKEND` picks (`sqlite`,
//! the default, or `postgres` at `AF_TEST_PG_URL`):
//!
//! 1. one workspace with 100,000 contacts (sources and UTM campaigns,
//!    created over the last 365 days), 1,000,000 outbound messages and
//!    2,000,000 events over the same year, 20,000 deals and 20,000
//!    appointments — plain multi-row inserts; and 49 small workspaces
//!    more, all 50 shared by one agency user;
//! 2. **the dashboard** (`af_service::reports::dashboard`: every card's
//!    statements) for 30 and 90 days, and each report for 30 days —
//!    medians and p95 of repeated runs; the baseline is the dashboard's
//!    cheapest statement alone (the leads count of the period);
//! 3. **the roll-up** over the user's 50 workspaces;
//! 4. the first view of a period (it stores the closed days of the
//!    roll-up) and the 10-minute job that recounts the last 7.
//!
//! Run: `cargo run --release -p af-service --example bench_reports`
//! (`BENCH_CONTACTS`, `BENCH_MESSAGES`, `BENCH_EVENTS`, `BENCH_RUNS`).

mod common;
use common::*;

use af_core::reports::ReportName;
use af_core::{Role, UserId};
use af_db::Ts;
use af_db::reports::{Filters, lead_count};
use af_db::testing::{
    add_member, fresh_db_on, insert_member, pauta_workspace, test_backend, workspace_named,
};
use af_service::reports::{self, ReportParams, ReportQuery};
use jiff::{SignedDuration, Timestamp};
use std::time::{Duration, Instant};

const SOURCES: [&str; 6] = [
    "facebook",
    "google",
    "instagram",
    "landing",
    "referido",
    "tiktok",
];
const CHANNELS: [&str; 3] = ["email", "sms", "whatsapp"];
const STATUSES: [&str; 7] = [
    "sent",
    "delivered",
    "delivered",
    "opened",
    "replied",
    "failed",
    "skipped",
];
const KINDS: [&str; 5] = [
    "contact.created",
    "contact.updated",
    "tag.added",
    "deal.stage_changed",
    "activity.recorded",
];

async fn timed(f: impl std::future::Future<Output = ()>) -> Duration {
    let t = Instant::now();
    f.await;
    t.elapsed()
}

fn report(name: &str, runs: Vec<Duration>) {
    println!(
        "{name:<34} p50 {:>8.1} ms   p95 {:>8.1} ms",
        ms(median(runs.clone())),
        ms(percentile(runs, 95))
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n_contacts = env_usize("BENCH_CONTACTS", 100_000);
    let n_messages = env_usize("BENCH_MESSAGES", 1_000_000);
    let n_events = env_usize("BENCH_EVENTS", 2_000_000);
    let runs = env_usize("BENCH_RUNS", 20);
    let backend = test_backend();
    let tdb = fresh_db_on(backend).await;
    let db = &tdb.db;
    let t0 = Ts::new("2026-12-07T15:00:00Z".parse::<Timestamp>().expect("time"));
    // Minutes back from t0, up to a year.
    let back = |m: u64| Ts::new(t0.0 - SignedDuration::from_mins(m as i64));
    let year = 365 * 24 * 60;
    let ws = pauta_workspace(db, back(year + 1)).await;
    let started = Instant::now();
    let mut rng = Rng(0x5eed_2026_1207_0019);

    let mut contacts = Vec::with_capacity(n_contacts);
    insert_rows(
        db,
        "contacts (id, workspace_id, first_name, last_name, email, email_key, lifecycle, score, email_unsubscribed,
                   sms_opted_out, custom, search_text, last_activity_at, created_at, updated_at, source,
                   first_utm_source, first_utm_campaign, last_utm_campaign)",
        19,
        n_contacts,
        |i| {
            let id = uuid::Uuid::now_v7();
            contacts.push(id);
            let at = back(rng.below(year));
            let src = SOURCES[rng.below(SOURCES.len() as u64) as usize];
            let camp = format!("campaña-{}", rng.below(40));
            let email = format!("lead{i}@example.com");
            vec![
                Val::Id(id),
                Val::Id(ws.id.0),
                Val::Text(format!("Lead{i}")),
                Val::Text("Bench".into()),
                Val::Text(email.clone()),
                Val::Text(email.clone()),
                Val::Text("lead".into()),
                Val::Int(rng.below(150) as i64),
                Val::Bool(false),
                Val::Bool(false),
                Val::Text("{}".into()),
                Val::Text(email),
                Val::At(at),
                Val::At(at),
                Val::At(at),
                Val::Text(src.into()),
                Val::Text(src.into()),
                Val::Text(camp.clone()),
                Val::OptText((rng.below(3) == 0).then(|| format!("campaña-{}", rng.below(40)))),
            ]
        },
    )
    .await;
    println!(
        "seeded {n_contacts} contacts in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    insert_rows(
        db,
        "messages (id, workspace_id, channel, provider, to_address, body_text, category, status, attempts,
                   created_at, updated_at)",
        11,
        n_messages,
        |_| {
            let at = back(rng.below(year));
            let ch = CHANNELS[rng.below(3) as usize];
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Text(ch.into()),
                Val::Text(if ch == "email" { "sendgrid" } else { "twilio" }.into()),
                Val::Text("+525511112222".into()),
                Val::Text("Hola".into()),
                Val::Text("marketing".into()),
                Val::Text(STATUSES[rng.below(STATUSES.len() as u64) as usize].into()),
                Val::Int(1),
                Val::At(at),
                Val::At(at),
            ]
        },
    )
    .await;
    println!(
        "seeded {n_messages} messages at {:.1} s",
        started.elapsed().as_secs_f64()
    );

    insert_rows(
        db,
        "events (id, workspace_id, kind, entity_type, entity_id, actor_type, data, occurred_at)",
        8,
        n_events,
        |i| {
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Text(KINDS[i % KINDS.len()].into()),
                Val::Text("contact".into()),
                Val::Text(contacts[i % contacts.len()].to_string()),
                Val::Text("system".into()),
                Val::Text("{}".into()),
                Val::At(back(rng.below(year))),
            ]
        },
    )
    .await;
    println!(
        "seeded {n_events} events at {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let pipeline = &af_db::pipelines::list_pipelines(db, ws.id)
        .await
        .expect("pipelines")[0];
    let stages: Vec<_> = pipeline.stages.iter().map(|s| s.id.0).collect();
    insert_rows(
        db,
        "deals (id, workspace_id, pipeline_id, stage_id, contact_id, title, value_minor, currency, position,
                stage_entered_at, created_at, updated_at)",
        12,
        20_000,
        |i| {
            let at = back(rng.below(year));
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Id(pipeline.pipeline.id.0),
                Val::Id(stages[rng.below(stages.len() as u64) as usize]),
                Val::Id(contacts[i % contacts.len()]),
                Val::Text(format!("Trato {i}")),
                Val::Int(rng.below(5_000_000) as i64),
                Val::Text("MXN".into()),
                Val::Int(i as i64),
                Val::At(at),
                Val::At(at),
                Val::At(at),
            ]
        },
    )
    .await;
    insert_rows(
        db,
        "appointments (id, workspace_id, contact_id, title, starts_at, ends_at, status, source, metadata,
                       created_at, updated_at)",
        11,
        20_000,
        |i| {
            let at = back(rng.below(year));
            let starts = Ts::new(at.0 + SignedDuration::from_hours(48));
            let status = ["booked", "completed", "cancelled", "no_show"][rng.below(4) as usize];
            vec![
                Val::Id(uuid::Uuid::now_v7()),
                Val::Id(ws.id.0),
                Val::Id(contacts[i % contacts.len()]),
                Val::Text("Asesoría".into()),
                Val::At(starts),
                Val::At(Ts::new(starts.0 + SignedDuration::from_mins(30))),
                Val::Text(status.into()),
                Val::Text("bench".into()),
                Val::Text("{}".into()),
                Val::At(at),
                Val::At(at),
            ]
        },
    )
    .await;
    let user: UserId = insert_member(db, ws.id, "agencia@example.com", Role::Owner).await;
    for k in 1..50 {
        let other = workspace_named(db, &format!("cliente-{k}"), back(year)).await;
        add_member(db, other.id, user, Role::Admin).await;
    }
    println!(
        "seeded everything in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Planner statistics, as a running server has them.
    af_db::with_pool!(db, p => {
        let sql = match backend { af_db::Backend::Sqlite => "ANALYZE", af_db::Backend::Postgres => "ANALYZE" };
        sqlx::query(sql).execute(p).await.expect("analyze");
    });

    let tz = af_core::datetime::zone(&ws.time_zone);
    let q = |period: &str| {
        let p = ReportParams {
            period: Some(period.into()),
            ..Default::default()
        };
        ReportQuery::parse(&p, tz.clone(), t0).expect("query")
    };
    let (q30, q90) = (q("30"), q("90"));
    println!("backend {backend:?}, {runs} runs each");
    let mut base = Vec::new();
    for _ in 0..runs {
        base.push(
            timed(async {
                lead_count(
                    db,
                    ws.id,
                    q30.edges[0],
                    q30.edges[q30.edges.len() - 1],
                    &Filters::default(),
                )
                .await
                .expect("count");
            })
            .await,
        );
    }
    report("baseline: leads count (30 d)", base);
    // The first view of a period stores its closed days (once); the
    // 10-minute job recounts the last 7.
    let first = timed(async {
        reports::dashboard(db, ws.id, user, &q90)
            .await
            .expect("dashboard");
    })
    .await;
    println!(
        "first view, 90 days (stores 89 days)   {:>8.1} ms",
        ms(first)
    );
    let mut v = Vec::new();
    for _ in 0..3 {
        v.push(
            timed(async {
                reports::refresh(db, t0, 7).await.expect("refresh");
            })
            .await,
        );
    }
    report("job: recount last 7 days", v);
    for (label, qq) in [("dashboard, 30 days", &q30), ("dashboard, 90 days", &q90)] {
        let mut v = Vec::new();
        for _ in 0..runs {
            v.push(
                timed(async {
                    reports::dashboard(db, ws.id, user, qq)
                        .await
                        .expect("dashboard");
                })
                .await,
            );
        }
        report(label, v);
    }
    for name in ReportName::ALL {
        let mut v = Vec::new();
        for _ in 0..runs {
            v.push(
                timed(async {
                    reports::report(db, ws.id, *name, &q30)
                        .await
                        .expect("report");
                })
                .await,
            );
        }
        report(&format!("report {}, 30 days", name.as_str()), v);
    }
    let mut v = Vec::new();
    for _ in 0..runs {
        v.push(
            timed(async {
                let a = reports::accounts(db, user, &q30).await.expect("accounts");
                assert_eq!(a.rows.len(), 50);
            })
            .await,
        );
    }
    report("roll-up, 50 workspaces, 30 days", v);
    if std::env::var("BENCH_EXPLAIN").is_ok() {
        use af_db::reports::{WorkspaceMeasure as W, rollup, rollup_stored};
        let today = Ts::new(q30.edges[q30.edges.len() - 2].0);
        let span = [today, q30.edges[q30.edges.len() - 1]];
        for m in [
            W::Leads,
            W::Booked,
            W::PipelineValue,
            W::MessagesSent,
            W::MessagesFailed,
            W::RunsFailed,
            W::OpenAlerts,
        ] {
            let t = Instant::now();
            for _ in 0..10 {
                rollup(db, user, m, af_db::reports::Days { edges: &span })
                    .await
                    .expect("live");
            }
            let live = t.elapsed() / 10;
            let t = Instant::now();
            for _ in 0..10 {
                rollup_stored(db, user, m, "2026-11-08", "2026-12-06")
                    .await
                    .expect("stored");
            }
            println!(
                "{m:?}: live {:.1} ms, stored {:.1} ms",
                ms(live),
                ms(t.elapsed() / 10)
            );
        }
        let t = Instant::now();
        for _ in 0..10 {
            for w in af_db::workspaces::list_workspaces_for_user(db, user)
                .await
                .expect("ws")
            {
                af_db::reports::days::stored_days(
                    db,
                    w.workspace.id,
                    "America/Mexico_City",
                    &q30.day_labels(),
                )
                .await
                .expect("days");
            }
        }
        println!("50 x stored_days: {:.1} ms", ms(t.elapsed() / 10));
    }
}
