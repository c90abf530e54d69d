//! Benchmark: leads through a three-step workflow end to end — each lead
//! is a contact upsert whose `contact.created` event routes to the
//! workflow, enrols the contact, and runs three steps that each queue a
//! message the send job delivers to the outbox (7 jobs per lead). The real
//! job worker (`Worker::run`, default tuning) runs on the real database.
//!
//!   cargo run --release -p af-engine --example flow_bench -- sqlite 2000 [RATE]
//!   cargo run --release -p af-engine --example flow_bench -- postgres 2000 [RATE]
//!
//! `AF_BENCH_FLOW=instant` runs a chain instead: tag → field → stage move →
//! score → email (four instant steps and one message per lead).
//!
//! RATE (leads per second, default 0 = as fast as the producer can commit)
//! paces the leads evenly: latency is meaningful below the throughput, where
//! no backlog builds up.
//!
//! PostgreSQL: `AF_BENCH_PG_URL` (default postgres://postgres@127.0.0.1:5432/postgres)
//! is the admin URL; a fresh database is created and dropped.
//!
//! Prints leads/s (first lead committed → last message sent) and the
//! trigger-to-first-step latency (event committed → first step's log row)
//! p50 / p99 over every lead.

use af_core::{Actor, Locale, SystemClock};
use af_db::contacts::ContactInput;
use af_db::{Backend, Db, Ts, with_pool};
use af_jobs::{Registry, Worker, WorkerConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let backend = match args.get(1).map(String::as_str) {
        Some("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    let leads: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
    let rate: f64 = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(0.0);
    if backend == Backend::Postgres {
        let url = std::env::var("AF_BENCH_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        return run_with_pg_url(&url, backend, leads, rate).await;
    }
    run(backend, leads, rate).await
}

async fn run_with_pg_url(
    url: &str,
    backend: Backend,
    leads: usize,
    rate: f64,
) -> anyhow::Result<()> {
    let name = format!("af_bench_{}", std::process::id());
    let admin = Db::connect(url).await?;
    with_pool!(&admin, p => {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(p).await?;
    });
    let db_url = format!(
        "{}/{name}",
        url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url)
    );
    let db = Db::connect(&db_url).await?;
    let result = bench(db.clone(), backend, leads, rate).await;
    db.close().await;
    with_pool!(&admin, p => {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(p).await?;
    });
    result
}

async fn run(backend: Backend, leads: usize, rate: f64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await?;
    bench(db, backend, leads, rate).await
}

async fn bench(db: Db, backend: Backend, leads: usize, rate: f64) -> anyhow::Result<()> {
    db.migrate().await?;
    let now = || Ts::new(jiff::Timestamp::now());
    let mut tx = db.begin().await?;
    let ws = af_db::workspaces::insert_workspace(
        &mut tx,
        &af_db::workspaces::NewWorkspace {
            slug: "bench".into(),
            name: "Bench".into(),
            time_zone: "America/Mexico_City".into(),
            locale: Locale::Es,
            country: "MX".into(),
        },
        now(),
    )
    .await?;
    af_db::pipelines::insert_default_pipeline(&mut tx, ws.id, Locale::Es, now()).await?;
    tx.commit().await?;
    let flow = std::env::var("AF_BENCH_FLOW").unwrap_or_default();
    let (def, messages_per_lead) = if flow == "instant" {
        let stage = af_db::pipelines::list_pipelines(&db, ws.id)
            .await?
            .first()
            .and_then(|p| p.stages.get(1).map(|s| s.id))
            .ok_or_else(|| anyhow::anyhow!("no second stage"))?;
        let def = serde_json::json!({"name": "cadena", "trigger": {"type": "lead_created"}, "active": true, "steps": [
            {"type": "add_tag", "tag": "nuevo"},
            {"type": "set_field", "field": "company", "value": "Bench {{ contact.first_name }}"},
            {"type": "move_to_stage", "stage_id": stage.to_string()},
            {"type": "change_score", "delta": 10},
            {"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Bienvenido a {{ workspace.name }}"}]});
        (def, 1)
    } else {
        let def = serde_json::json!({"name": "3 pasos", "trigger": {"type": "lead_created"}, "active": true, "steps": [
            {"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Bienvenido a {{ workspace.name }}"},
            {"type": "send_sms", "body": "Hola {{ contact.first_name }}, ¿hablamos?"},
            {"type": "send_email", "subject": "Agenda", "body": "{{ booking_url }}"}]});
        (def, 3)
    };
    af_engine::ops::save_workflow(
        &db,
        ws.id,
        None,
        &def,
        None,
        af_channels::ssrf::SsrfPolicy::default(),
        now(),
    )
    .await?;

    let mut registry = Registry::new();
    af_engine::register(
        &mut registry,
        af_engine::EngineConfig {
            base_url: "http://bench.local".into(),
            booking_url: None,
            secret: af_core::crypto::SecretKey::from_text(&"bench-secret-".repeat(4))
                .map_err(anyhow::Error::msg)?,
            channels: Default::default(),
        },
    )?;
    let worker = Worker::new(
        db.clone(),
        Arc::new(SystemClock),
        registry,
        WorkerConfig::new("bench"),
    );
    let stop = CancellationToken::new();
    let w = tokio::spawn(worker.run(stop.clone()));

    let started = Instant::now();
    // Producers commit leads concurrently (AF_BENCH_PRODUCERS, default 8),
    // each taking every n-th lead, paced to RATE in total.
    let producers: usize = std::env::var("AF_BENCH_PRODUCERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(8)
        .max(1);
    let mut tasks = Vec::new();
    for p in 0..producers {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            for i in (p..leads).step_by(producers) {
                if rate > 0.0 {
                    let due = Duration::from_secs_f64(i as f64 / rate);
                    if let Some(wait) = due.checked_sub(t0.elapsed()) {
                        tokio::time::sleep(wait).await;
                    }
                }
                let input = ContactInput {
                    first_name: format!("Lead{i}"),
                    last_name: "Bench".into(),
                    email: Some(format!("lead{i}@bench.example")),
                    phone: Some(format!("+5255{:08}", i)),
                    company: None,
                    source: Some("bench".into()),
                    owner_id: None,
                    lifecycle: None,
                    attribution: Default::default(),
                    tags: vec![],
                    custom: Default::default(),
                };
                let mut tx = db.begin().await?;
                af_db::contacts::upsert_contact(&mut tx, ws.id, &input, &Actor::system(), now())
                    .await?;
                tx.commit().await?;
                af_db::jobs::wake_workers();
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let inserted = started.elapsed();
    let want = (leads * messages_per_lead) as i64;
    loop {
        let sent: i64 = with_pool!(&db, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = 'sent'").fetch_one(p).await?
        });
        if sent >= want {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "only {sent} of {want} messages after 30 min"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = started.elapsed();
    stop.cancel();
    let _ = w.await;

    // Trigger → first step: the event's commit time against the first step
    // run's log time, per enrolment (microseconds on both backends).
    let pairs: Vec<(Ts, Ts)> = with_pool!(&db, p => {
        sqlx::query_as(
            "SELECT ev.occurred_at, MIN(r.created_at) FROM enrollments e
             JOIN events ev ON ev.id = e.trigger_event_id
             JOIN step_runs r ON r.enrollment_id = e.id
             GROUP BY e.id, ev.occurred_at",
        )
        .fetch_all(p)
        .await?
    });
    let jobs: i64 = with_pool!(&db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs").fetch_one(p).await?
    });
    let mut lat: Vec<f64> = pairs
        .iter()
        .map(|(a, b)| b.0.duration_since(a.0).as_secs_f64() * 1000.0)
        .collect();
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "backend={backend:?} flow={flow} leads={leads} rate={rate} producers={producers} enrolments={} inserted_in={:.2}s total={:.2}s leads_per_s={:.0} jobs_per_lead={:.1} \
         first_step_ms_p50={:.1} p99={:.1} max={:.1}",
        lat.len(),
        inserted.as_secs_f64(),
        total.as_secs_f64(),
        leads as f64 / total.as_secs_f64(),
        jobs as f64 / leads as f64,
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
