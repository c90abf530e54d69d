//! Lead-scoring benchmark (issue 17's figures in BENCHMARKS.md), on a
//! fresh database of the backend `AF_TEST_BACKEND` picks (`sqlite`, the
//! default, or `postgres` at `AF_TEST_PG_URL`):
//!
//! 1. 100,000 contacts through the CSV importer, the seed's scoring rules;
//! 2. **ingest**: batches of 1,000 activities through
//!    `af_service::scoring::record_batch` (what `POST /api/v1/activities`
//!    with `{"activities": [...]}` runs, without HTTP), 20 % of them
//!    replays; the baseline is the same rows as plain multi-row
//!    `INSERT`s into `activities` (no scoring, no events);
//! 3. **decay** over the 100,000 contacts, one weekly period per run, and
//!    a second run in the same period; the baseline is one `UPDATE` of
//!    every contact's row;
//! 4. **top 50 leads** (`af_db::scoring::top_leads`, with each lead's last
//!    reason); the baseline is the bare index walk
//!    `SELECT id … ORDER BY score DESC LIMIT 50`.
//!
//! Run: `cargo run --release -p af-service --example bench_scoring`
//! (`BENCH_CONTACTS`, `BENCH_ROUNDS` to change the size).

mod common;
use common::*;

use af_core::{Actor, ContactId, WorkspaceId};
use af_db::testing::{fresh_db_on, pauta_workspace, test_backend};
use af_db::{Db, Ts, with_pool};
use af_service::scoring::{RawActivity, record_batch};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::time::{Duration, Instant};

const TYPES: [&str; 6] = [
    "visit",
    "class_booked",
    "purchase",
    "email_opened",
    "form_submitted",
    "message_replied",
];

fn batch(
    rng: &mut Rng,
    contacts: &[ContactId],
    sent: &mut Vec<RawActivity>,
    n: usize,
) -> Vec<RawActivity> {
    (0..n)
        .map(|_| {
            if !sent.is_empty() && rng.below(5) == 0 {
                return sent[rng.below(sent.len() as u64) as usize].clone();
            }
            let kind = TYPES[rng.below(TYPES.len() as u64) as usize];
            let c = contacts[rng.below(contacts.len() as u64) as usize];
            let data = if kind == "purchase" {
                json!({"amount": 50_000 + rng.below(100_000) as i64, "currency": "MXN"})
            } else {
                json!({})
            };
            let a = RawActivity {
                contact_id: Some(c.to_string()),
                kind: Some(kind.into()),
                data: Some(data),
                idempotency_key: Some(format!("bench-{}", sent.len())),
                ..Default::default()
            };
            sent.push(a.clone());
            a
        })
        .collect()
}

/// The floor of ingest: the same rows as plain multi-row inserts.
async fn plain_inserts(db: &Db, ws: WorkspaceId, items: &[RawActivity], now: Ts, round: usize) {
    let mut tx = db.begin().await.expect("tx");
    for (k, chunk) in items.chunks(100).enumerate() {
        let mut sql = String::from(
            "INSERT INTO activities (id, workspace_id, contact_id, type, occurred_at, source, data, idempotency_key, created_at) VALUES ",
        );
        // Anonymous `?` on SQLite, as the batch path binds (named `$N`
        // parameters are looked up by a linear scan: quadratic).
        let sqlite = matches!(tx.backend(), af_db::Backend::Sqlite);
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            let marks: Vec<String> = (1..=9)
                .map(|k| {
                    if sqlite {
                        "?".to_string()
                    } else {
                        format!("${}", i * 9 + k)
                    }
                })
                .collect();
            sql.push_str(&format!("({})", marks.join(", ")));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        af_db::with_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (i, a) in chunk.iter().enumerate() {
                let contact: uuid::Uuid = a.contact_id.as_deref().unwrap_or_default().parse().expect("id");
                q = q.bind(uuid::Uuid::now_v7()).bind(ws.0).bind(contact)
                    .bind(a.kind.clone().unwrap_or_default()).bind(now).bind("bench")
                    .bind(a.data.clone().unwrap_or_default().to_string())
                    .bind(format!("plain-{round}-{k}-{i}")).bind(now);
            }
            q.execute(&mut *c).await.expect("insert");
        });
    }
    tx.commit().await.expect("commit");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n = env_usize("BENCH_CONTACTS", 100_000);
    let rounds = env_usize("BENCH_ROUNDS", 5);
    let backend = test_backend();
    let tdb = fresh_db_on(backend).await;
    let db = &tdb.db;
    let t0 = Ts::new("2026-12-07T15:00:00Z".parse::<Timestamp>().expect("time"));
    let ws = pauta_workspace(db, t0).await;
    let mut tx = db.begin().await.expect("tx");
    af_db::scoring::seed_defaults(&mut tx, ws.id, t0)
        .await
        .expect("rules");
    tx.commit().await.expect("commit");
    let started = Instant::now();
    let contacts = seed_contacts(db, ws.id, n, "lead", t0).await;
    println!(
        "backend {backend:?}: {n} contacts imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Ingest, alternating with its baseline.
    let mut rng = Rng(0x5eed_2026_1207_0001);
    let mut sent = Vec::new();
    let (mut ours, mut plain) = (Vec::new(), Vec::new());
    let per_round = 20;
    for round in 0..rounds {
        let batches: Vec<Vec<RawActivity>> = (0..per_round)
            .map(|_| batch(&mut rng, &contacts, &mut sent, 1000))
            .collect();
        let at = Instant::now();
        for b in &batches {
            let out = record_batch(db, &ws, b, &Actor::system(), t0)
                .await
                .expect("batch");
            assert!(out.iter().all(Result::is_ok));
        }
        ours.push(at.elapsed());
        let at = Instant::now();
        for (k, b) in batches.iter().enumerate() {
            plain_inserts(db, ws.id, b, t0, round * per_round + k).await;
        }
        plain.push(at.elapsed());
    }
    let rate = |d: Duration| (per_round * 1000) as f64 / d.as_secs_f64();
    let (o, p) = (median(ours), median(plain));
    println!(
        "ingest (batches of 1,000, 20 % replays): median {:.0} activities/s; plain inserts {:.0} rows/s; ratio {:.2}",
        rate(o),
        rate(p),
        p.as_secs_f64() / o.as_secs_f64()
    );
    let mismatches = af_db::scoring::ledger_mismatches(db, ws.id)
        .await
        .expect("check");
    assert!(mismatches.is_empty(), "cache == ledger");

    // Decay: a new weekly period per run (a week after everything).
    let (mut decay, mut again, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    let tz = jiff::tz::TimeZone::get("America/Mexico_City").expect("zone");
    for week in 1..=3 {
        let now = Ts::new(t0.0 + SignedDuration::from_hours(24 * 7 * (week + 1)));
        let today = now.0.to_zoned(tz.clone()).date();
        let at = Instant::now();
        let rows = af_db::scoring::decay_workspace(db, ws.id, today, now)
            .await
            .expect("decay");
        decay.push(at.elapsed());
        let at = Instant::now();
        let second = af_db::scoring::decay_workspace(db, ws.id, today, now)
            .await
            .expect("decay");
        again.push(at.elapsed());
        assert_eq!(second, 0, "a second run in the period adds nothing");
        if week == 1 {
            println!("decay wrote {rows} ledger rows in the first period");
        }
        let at = Instant::now();
        with_pool!(db, p => {
            sqlx::query("UPDATE contacts SET updated_at = updated_at WHERE workspace_id = $1")
                .bind(ws.id.0).execute(p).await.expect("update").rows_affected()
        });
        floor.push(at.elapsed());
    }
    let (d, a, f) = (median(decay), median(again), median(floor));
    println!(
        "decay over {n} contacts: median {:.0} ms (second run in the period {:.0} ms); one UPDATE of every contact {:.0} ms; ratio {:.1}",
        ms(d),
        ms(a),
        ms(f),
        d.as_secs_f64() / f.as_secs_f64()
    );
    let mismatches = af_db::scoring::ledger_mismatches(db, ws.id)
        .await
        .expect("check");
    assert!(mismatches.is_empty(), "cache == ledger after decay");

    // Top 50.
    let (mut top, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..101 {
        let at = Instant::now();
        let leads = af_db::scoring::top_leads(db, ws.id, 50).await.expect("top");
        top.push(at.elapsed());
        assert_eq!(leads.len(), 50);
        let at = Instant::now();
        let ids: Vec<uuid::Uuid> = with_pool!(db, p => {
            sqlx::query_scalar("SELECT id FROM contacts WHERE workspace_id = $1 ORDER BY score DESC LIMIT 50")
                .bind(ws.id.0).fetch_all(p).await.expect("bare")
        });
        bare.push(at.elapsed());
        assert_eq!(ids.len(), 50);
    }
    let (tm, tp, bm) = (median(top.clone()), percentile(top, 99), median(bare));
    println!(
        "top 50 leads at {n} contacts: median {:.2} ms, p99 {:.2} ms; bare index walk {:.2} ms; ratio {:.1}",
        ms(tm),
        ms(tp),
        ms(bm),
        tm.as_secs_f64() / bm.as_secs_f64()
    );
}
