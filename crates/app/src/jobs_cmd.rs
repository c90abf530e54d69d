//! `agencyflow jobs ...`: the operator's view of the queue — statistics,
//! failures, retry and discard, the periodic schedules — and the diagnostic
//! tools (enqueue diagnostic jobs, run the queue dry, read latencies).
//!
//! Operators see every job, system jobs (no workspace) included; the web
//! page shows a workspace's admins only their own. Every command takes
//! `--json` and then prints one JSON value on standard output.

use af_core::jobs::{DiagFail, DiagHttp, DiagNoop, DiagRecord, JobPayload};
use af_core::{JobId, SystemClock, WorkspaceId};
use af_db::jobs::Job;
use af_db::{Db, Ts};
use af_jobs::admin;
use af_jobs::diag::{self, DiagBatch};
use anyhow::{Context, bail};
use clap::Subcommand;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum JobsCmd {
    /// Counts by state and kind, the due backlog and its oldest job, and
    /// the due → start latency of the last 5 minutes.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Dead-lettered jobs and jobs waiting to retry after an error, newest
    /// first.
    Failed {
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Put a dead-lettered job (or all of them) back in the queue, due now,
    /// with its attempts reset.
    Retry {
        /// The job id (from `jobs failed`).
        #[arg(conflicts_with = "all_failed")]
        id: Option<String>,
        /// Retry every dead-lettered job.
        #[arg(long)]
        all_failed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Delete a dead-lettered job (or one waiting to retry).
    Discard {
        /// The job id (from `jobs failed`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The periodic jobs, with their last and next run.
    Schedules {
        #[arg(long)]
        json: bool,
    },
    /// Enqueue a periodic job now, outside its schedule.
    RunSchedule {
        /// The schedule's name (from `jobs schedules`).
        name: String,
        /// The workspace (slug) owning the schedule; system schedules have none.
        #[arg(long)]
        workspace: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Enqueue diagnostic jobs (diag_noop, diag_http, diag_record,
    /// diag_fail), one transaction per batch, to exercise the workers.
    EnqueueDiag {
        #[arg(long)]
        kind: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// diag_http: the URL to GET (loopback, or an origin in AF_DIAG_HTTP_ALLOW).
        #[arg(long)]
        url: Option<String>,
        /// Jobs per transaction.
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Enqueue at about this many jobs per second instead of at once
        /// (a steady load for latency measurements).
        #[arg(long)]
        rate: Option<u32>,
        /// diag_record: milliseconds of work before the effect.
        #[arg(long)]
        sleep_ms: Option<u64>,
        /// diag_record: milliseconds between the effect and the acknowledgement.
        #[arg(long)]
        hold_ms: Option<u64>,
        /// Enqueue as this workspace's jobs (slug) instead of system jobs.
        #[arg(long)]
        workspace: Option<String>,
        /// Also run a worker in this process until the queue is empty (as a
        /// single-node SQLite install does: SQLite has no cross-process
        /// wake-up, so a producer in another process is only seen by the
        /// workers' slow poll).
        #[arg(long)]
        work: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run every due job in this process, then exit (no need for a worker).
    Drain {
        /// Give up after this long.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
        #[arg(long)]
        json: bool,
    },
    /// Due → start latency (p50/p99/max) of the jobs that succeeded recently.
    Latency {
        /// Only jobs of this kind.
        #[arg(long)]
        kind: Option<String>,
        /// Jobs started in the last this many seconds.
        #[arg(long, default_value_t = 300)]
        since_secs: i64,
        #[arg(long)]
        json: bool,
    },
    /// What the diag_record jobs recorded: effects, re-runs, duplicates.
    DiagEffects {
        #[arg(long)]
        json: bool,
    },
}

fn now() -> Ts {
    Ts::new(Timestamp::now())
}

pub async fn run(db: &Db, cmd: JobsCmd, engine: &af_engine::EngineConfig) -> anyhow::Result<()> {
    match cmd {
        JobsCmd::Stats { json } => stats(db, json).await,
        JobsCmd::Failed { limit, json } => failed(db, limit, json).await,
        JobsCmd::Retry {
            id,
            all_failed,
            json,
        } => match (id, all_failed) {
            (_, true) => retry_all(db, json).await,
            (Some(id), false) => retry(db, &id, json).await,
            (None, false) => bail!("give a job ID (see `agencyflow jobs failed`) or --all-failed"),
        },
        JobsCmd::Discard { id, json } => discard(db, &id, json).await,
        JobsCmd::Schedules { json } => schedules(db, json).await,
        JobsCmd::RunSchedule {
            name,
            workspace,
            json,
        } => run_schedule(db, &name, workspace.as_deref(), json).await,
        JobsCmd::EnqueueDiag {
            kind,
            count,
            url,
            batch,
            rate,
            sleep_ms,
            hold_ms,
            workspace,
            work,
            json,
        } => {
            let opts = DiagOpts {
                kind,
                count,
                url,
                batch,
                rate,
                sleep_ms,
                hold_ms,
                workspace,
            };
            if !work {
                return enqueue_diag(db, opts, json).await;
            }
            let stop = tokio_util::sync::CancellationToken::new();
            let workers =
                crate::runtime::spawn_workers(db, Arc::new(SystemClock), engine, stop.clone())
                    .await?;
            let enqueued = enqueue_diag(db, opts, json).await;
            let drained = wait_empty(db).await;
            stop.cancel();
            for w in workers {
                let _ = w.await;
            }
            enqueued.and(drained)
        }
        JobsCmd::Drain { timeout_secs, json } => drain(db, timeout_secs, json, engine).await,
        JobsCmd::Latency {
            kind,
            since_secs,
            json,
        } => latency(db, kind.as_deref(), since_secs, json).await,
        JobsCmd::DiagEffects { json } => {
            let e = af_db::jobs::diag_effects(db).await?;
            if json {
                println!("{}", serde_json::to_value(e)?);
            } else {
                println!(
                    "{} effects recorded by {} jobs; {} found already recorded by a re-run; {} first done by a retry; {} jobs ran more than once",
                    e.effects, e.jobs, e.rerun, e.late_attempt, e.retried_jobs
                );
                if e.effects != e.jobs {
                    println!("WARNING: some job recorded its effect under two keys");
                }
                if e.missing > 0 {
                    println!("WARNING: {} succeeded jobs recorded no effect", e.missing);
                }
            }
            Ok(())
        }
    }
}

// ------------------------------------------------------------ formatting

/// Prints rows under headers, each column as wide as its widest cell.
fn table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i < last {
                let pad = widths[i].saturating_sub(c.chars().count()) + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        println!("{}", out.trim_end());
    };
    line(headers.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

fn fmt_ts(t: Ts) -> String {
    t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn fmt_opt(t: Option<Ts>) -> String {
    t.map(fmt_ts).unwrap_or_else(|| "-".into())
}

/// `42s`, `3m 10s`, `2h 5m`, `3d 4h`.
fn fmt_age(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..60 => format!("{:.1}s", d.as_secs_f64().max(0.0)),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

fn short(text: &str, max: usize) -> String {
    let one_line = text.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn job_json(j: &Job) -> Value {
    json!({
        "id": j.id,
        "workspace_id": j.workspace_id,
        "kind": j.kind,
        "state": j.state,
        "attempts": j.attempts,
        "max_attempts": j.max_attempts,
        "run_at": j.run_at,
        "started_at": j.started_at,
        "updated_at": j.updated_at,
        "finished_at": j.finished_at,
        "dedupe_key": j.dedupe_key,
        "last_error": j.last_error,
    })
}

fn parse_id(id: &str) -> anyhow::Result<JobId> {
    id.trim().parse().map_err(|_| {
        anyhow::anyhow!(
            "ID {id:?} is not a job id (a UUID such as those `agencyflow jobs failed` shows)"
        )
    })
}

async fn workspace_id(db: &Db, slug: &str) -> anyhow::Result<WorkspaceId> {
    Ok(af_service::provision::workspace_by_slug(db, slug)
        .await
        .context("--workspace")?
        .id)
}

// ------------------------------------------------------------ commands

const STATES: [&str; 4] = ["pending", "running", "succeeded", "dead"];

async fn stats(db: &Db, json: bool) -> anyhow::Result<()> {
    let now = now();
    let st = admin::stats(db, now).await?;
    let since = Ts::new(now.0 - SignedDuration::from_mins(5));
    let lat = admin::start_latency(db, None, since).await?;
    if json {
        let by_state: serde_json::Map<String, Value> = STATES
            .iter()
            .map(|s| (s.to_string(), json!(st.total_in(s))))
            .collect();
        println!(
            "{}",
            json!({
                "by_state": by_state,
                "counts": st.counts.iter().map(|c| json!({"kind": c.kind, "state": c.state, "count": c.count})).collect::<Vec<_>>(),
                "due_pending": st.due_pending,
                "oldest_due_run_at": st.oldest_due_run_at,
                "oldest_due_age_secs": st.oldest_due_age.map(|d| d.as_secs_f64()),
                "latency_last_5m": lat,
            })
        );
        return Ok(());
    }
    let states = STATES
        .iter()
        .map(|s| format!("{s} {}", st.total_in(s)))
        .collect::<Vec<_>>()
        .join(", ");
    println!("jobs: {states}");
    match (st.oldest_due_run_at, st.oldest_due_age) {
        (Some(at), Some(age)) => println!(
            "due now: {} (oldest due {} ago, at {})",
            st.due_pending,
            fmt_age(age),
            fmt_ts(at)
        ),
        _ => println!("due now: 0"),
    }
    if lat.count > 0 {
        println!(
            "due → start latency, last 5 min: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} jobs)",
            lat.p50_ms, lat.p99_ms, lat.max_ms, lat.count
        );
    }
    if st.counts.is_empty() {
        println!("the queue is empty");
        return Ok(());
    }
    let mut kinds: Vec<&str> = st.counts.iter().map(|c| c.kind.as_str()).collect();
    kinds.dedup();
    let rows: Vec<Vec<String>> = kinds
        .iter()
        .map(|k| {
            let mut row = vec![k.to_string()];
            for s in STATES {
                let n: i64 = st
                    .counts
                    .iter()
                    .filter(|c| c.kind == *k && c.state == s)
                    .map(|c| c.count)
                    .sum();
                row.push(n.to_string());
            }
            row
        })
        .collect();
    println!();
    table(&["KIND", "PENDING", "RUNNING", "SUCCEEDED", "DEAD"], &rows);
    Ok(())
}

async fn failed(db: &Db, limit: i64, json: bool) -> anyhow::Result<()> {
    if limit < 1 {
        bail!("--limit must be at least 1");
    }
    let jobs = admin::list_failed(db, limit).await?;
    if json {
        println!("{}", Value::Array(jobs.iter().map(job_json).collect()));
        return Ok(());
    }
    if jobs.is_empty() {
        println!("no failed jobs");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            vec![
                j.id.to_string(),
                j.kind.clone(),
                if j.state == "dead" {
                    "dead".into()
                } else {
                    format!("retry at {}", fmt_ts(j.run_at))
                },
                format!("{}/{}", j.attempts, j.max_attempts),
                fmt_ts(j.updated_at),
                short(j.last_error.as_deref().unwrap_or("-"), 80),
            ]
        })
        .collect();
    table(
        &["ID", "KIND", "STATE", "ATTEMPTS", "FAILED AT", "ERROR"],
        &rows,
    );
    Ok(())
}

async fn retry(db: &Db, id: &str, json: bool) -> anyhow::Result<()> {
    let id = parse_id(id)?;
    let Some(job) = admin::find_job(db, id).await? else {
        bail!("no job with id {id} (see `agencyflow jobs failed`)");
    };
    if job.state != "dead" {
        bail!(
            "job {id} is {}, not dead-lettered: only dead jobs can be retried",
            job.state
        );
    }
    if !admin::retry_job(db, id, now()).await? {
        bail!(
            "job {id} was not retried: another pending or running job holds its dedupe key {:?}, so that work is queued already",
            job.dedupe_key.unwrap_or_default()
        );
    }
    if json {
        println!("{}", json!({ "id": id, "retried": true }));
    } else {
        println!("job {id} ({}) is queued again, due now", job.kind);
    }
    Ok(())
}

async fn retry_all(db: &Db, json: bool) -> anyhow::Result<()> {
    let n = admin::retry_all_dead(db, now()).await?;
    if json {
        println!("{}", json!({ "retried": n }));
    } else if n == 0 {
        println!("no dead-lettered jobs to retry");
    } else {
        println!("{n} dead-lettered jobs are queued again, due now");
    }
    Ok(())
}

async fn discard(db: &Db, id: &str, json: bool) -> anyhow::Result<()> {
    let id = parse_id(id)?;
    let Some(job) = admin::find_job(db, id).await? else {
        bail!("no job with id {id} (see `agencyflow jobs failed`)");
    };
    if !matches!(job.state.as_str(), "dead" | "pending") {
        bail!(
            "job {id} is {}: only dead-lettered or waiting jobs can be discarded",
            job.state
        );
    }
    if !admin::discard_job(db, id).await? {
        bail!("job {id} was not discarded: a worker claimed it just now; try again");
    }
    if json {
        println!("{}", json!({ "id": id, "discarded": true }));
    } else {
        println!("job {id} ({}) discarded", job.kind);
    }
    Ok(())
}

async fn schedules(db: &Db, json: bool) -> anyhow::Result<()> {
    // The schedules this build owns exist before any worker has started.
    crate::runtime::register_schedules(db, Timestamp::now()).await?;
    let all = admin::list_schedules(db).await?;
    let slugs: HashMap<uuid::Uuid, String> = af_db::workspaces::list_workspaces(db)
        .await?
        .into_iter()
        .map(|w| (w.id.0, w.slug))
        .collect();
    let owner = |ws: Option<uuid::Uuid>| ws.map(|w| slugs.get(&w).cloned().unwrap_or_default());
    if json {
        let rows: Vec<Value> = all
            .iter()
            .map(|s| {
                json!({
                    "id": s.id.0,
                    "name": s.name,
                    "workspace_id": s.workspace_id,
                    "workspace": owner(s.workspace_id),
                    "cron": s.cron,
                    "time_zone": s.time_zone,
                    "job_kind": s.job_kind,
                    "enabled": s.enabled,
                    "last_run_at": s.last_run_at,
                    "next_run_at": s.next_run_at,
                })
            })
            .collect();
        println!("{}", Value::Array(rows));
        return Ok(());
    }
    if all.is_empty() {
        println!("no schedules");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                owner(s.workspace_id).unwrap_or_else(|| "(system)".into()),
                format!("{} {}", s.cron, s.time_zone),
                s.job_kind.clone(),
                if s.enabled { "yes" } else { "no" }.into(),
                fmt_opt(s.last_run_at),
                if s.enabled {
                    fmt_ts(s.next_run_at)
                } else {
                    "-".into()
                },
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "WORKSPACE",
            "CRON",
            "KIND",
            "ENABLED",
            "LAST RUN",
            "NEXT RUN",
        ],
        &rows,
    );
    Ok(())
}

async fn run_schedule(
    db: &Db,
    name: &str,
    workspace: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    crate::runtime::register_schedules(db, Timestamp::now()).await?;
    let ws = match workspace {
        Some(slug) => Some(workspace_id(db, slug).await?),
        None => None,
    };
    let Some(s) = admin::find_schedule_by_name(db, ws, name).await? else {
        match workspace {
            Some(slug) => bail!(
                "workspace {slug} has no schedule named {name:?} (see `agencyflow jobs schedules`)"
            ),
            None => bail!(
                "no system schedule named {name:?} (see `agencyflow jobs schedules`; a workspace's needs --workspace)"
            ),
        }
    };
    let job = af_jobs::run_schedule_now(db, s.id, Timestamp::now()).await?;
    af_db::jobs::notify_workers(db).await?;
    if json {
        println!(
            "{}",
            json!({ "schedule": s.name, "schedule_id": s.id.0, "job_id": job, "enqueued": job.is_some() })
        );
    } else {
        match job {
            Some(id) => println!("enqueued {} now as job {id}", s.name),
            None => println!("{} is already queued to run now; nothing added", s.name),
        }
    }
    Ok(())
}

struct DiagOpts {
    kind: String,
    count: usize,
    url: Option<String>,
    batch: usize,
    rate: Option<u32>,
    sleep_ms: Option<u64>,
    hold_ms: Option<u64>,
    workspace: Option<String>,
}

async fn enqueue_diag(db: &Db, o: DiagOpts, json: bool) -> anyhow::Result<()> {
    let Some(kind) = diag::kind(&o.kind) else {
        bail!(
            "--kind: {:?} is not a diagnostic kind (one of {})",
            o.kind,
            diag::KINDS.join(", ")
        );
    };
    if o.count == 0 {
        bail!("--count must be at least 1");
    }
    if o.batch == 0 {
        bail!("--batch must be at least 1");
    }
    // The payload of the chosen kind (`--sleep-ms` and `--hold-ms` are
    // read by diag_record only; the other kinds ignore them).
    let payload = match (kind, &o.url) {
        (DiagHttp::KIND, Some(url)) => {
            let (_, cfg) = crate::runtime::config_from_env()?;
            diag::check_url(url, &cfg.http_allow).context("--url")?;
            serde_json::to_value(DiagHttp { url: url.clone() })?
        }
        (DiagHttp::KIND, None) => bail!("--url is required with --kind diag_http"),
        (_, Some(_)) => bail!("--url only applies to --kind diag_http"),
        (DiagRecord::KIND, None) => serde_json::to_value(DiagRecord {
            sleep_ms: o.sleep_ms,
            hold_ms: o.hold_ms,
        })?,
        (DiagFail::KIND, None) => serde_json::to_value(DiagFail::default())?,
        (_, None) => serde_json::to_value(DiagNoop {})?,
    };
    let workspace = match &o.workspace {
        Some(slug) => Some(workspace_id(db, slug).await?),
        None => None,
    };
    let start = Instant::now();
    let mut total = 0;
    // At a rate, batches of a fiftieth of a second's worth each.
    let per_batch = match o.rate {
        Some(r) if r > 0 => ((r as usize) / 50).clamp(1, o.batch),
        Some(_) => bail!("--rate must be at least 1"),
        None => o.batch,
    };
    let mut left = o.count;
    while left > 0 {
        let n = left.min(per_batch);
        let batch = DiagBatch {
            kind,
            count: n,
            batch_size: n,
            payload: payload.clone(),
            workspace,
        };
        total += diag::enqueue(db, &batch, now()).await?;
        left -= n;
        if let Some(rate) = o.rate {
            let due = Duration::from_secs_f64(total as f64 / f64::from(rate));
            tokio::time::sleep(due.saturating_sub(start.elapsed())).await;
        }
    }
    af_db::jobs::notify_workers(db).await?;
    let secs = start.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            json!({ "kind": kind, "enqueued": total, "seconds": secs })
        );
    } else {
        println!("enqueued {total} {kind} jobs in {secs:.2}s");
    }
    Ok(())
}

/// Waits (up to 10 minutes) until no job is pending or running.
async fn wait_empty(db: &Db) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let st = admin::stats(db, now()).await?;
        if st.total_in("pending") + st.total_in("running") == 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!("--work: jobs still queued after 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn drain(
    db: &Db,
    timeout_secs: u64,
    json: bool,
    engine: &af_engine::EngineConfig,
) -> anyhow::Result<()> {
    let (config, diag) = crate::runtime::config_from_env()?;
    let worker = af_jobs::Worker::new(
        db.clone(),
        Arc::new(SystemClock),
        crate::runtime::registry(diag, engine)?,
        config,
    );
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    let mut total = af_jobs::RunReport::default();
    // Claims jobs like `worker` does, so it takes part in the SQLite claim
    // lock (and releases a dead process's claims if it is alone).
    let _claim_lock = crate::runtime::prepare_claims(db, now()).await?;
    worker.rescue_once().await?;
    loop {
        let r = worker.run_once().await?;
        total.claimed += r.claimed;
        total.succeeded += r.succeeded;
        total.retried += r.retried;
        total.dead += r.dead;
        total.lost += r.lost;
        if r.claimed == 0 {
            break;
        }
        if Instant::now() >= deadline {
            bail!(
                "--timeout-secs: still jobs due after {timeout_secs}s ({} run so far)",
                total.claimed
            );
        }
    }
    if json {
        println!(
            "{}",
            json!({ "run": total.claimed, "succeeded": total.succeeded, "retried": total.retried, "dead": total.dead, "lost": total.lost })
        );
    } else {
        println!(
            "ran {} jobs: {} succeeded, {} will retry, {} dead-lettered, {} lost their lease",
            total.claimed, total.succeeded, total.retried, total.dead, total.lost
        );
    }
    Ok(())
}

async fn latency(db: &Db, kind: Option<&str>, since_secs: i64, json: bool) -> anyhow::Result<()> {
    if since_secs < 1 {
        bail!("--since-secs must be at least 1");
    }
    let since = Ts::new(now().0 - SignedDuration::from_secs(since_secs));
    let s = admin::start_latency(db, kind, since).await?;
    if json {
        let mut v = serde_json::to_value(s)?;
        v["kind"] = json!(kind);
        v["since"] = json!(since);
        println!("{v}");
    } else if s.count == 0 {
        println!("no jobs succeeded in the last {since_secs}s");
    } else {
        println!(
            "due → start latency of {} jobs in the last {since_secs}s: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
             they ran in {:.2}s ({:.0} jobs/s)",
            s.count, s.p50_ms, s.p99_ms, s.max_ms, s.span_secs, s.jobs_per_sec
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(fmt_age(SignedDuration::from_millis(4200)), "4.2s");
        assert_eq!(fmt_age(SignedDuration::from_secs(190)), "3m 10s");
        assert_eq!(fmt_age(SignedDuration::from_secs(7500)), "2h 5m");
        assert_eq!(fmt_age(SignedDuration::from_hours(76)), "3d 4h");
        assert_eq!(short("a\nb", 10), "a b");
        assert_eq!(short("abcdef", 4), "abc…");
    }
}
