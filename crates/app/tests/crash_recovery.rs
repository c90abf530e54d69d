//! Crash recovery of `agencyflow serve` with the real binary and DEFAULT job
//! settings (no `AF_JOB_LEASE_SECS`), on the backend chosen by
//! `AF_TEST_BACKEND`: leads arrive through the API while the mail relay
//! hangs, so the welcome emails' jobs sit claimed (`running`) in the
//! server; the server is killed with SIGKILL, the relay recovers, a new
//! server starts, and every lead the API acknowledged gets its welcome
//! email within 60 s of the restart.
//!
//! On SQLite the new server releases the dead one's claims before it
//! listens (it is the file's only claimer); on PostgreSQL it must not (they
//! could be another node's), and the claims come back when their 30 s lease,
//! last renewed at most 10 s before the kill, expires. Every wait is on a
//! condition with a time limit.

use af_core::WorkspaceId;
use af_db::Db;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Leads posted (a few hundred at most keeps the test short).
const LEADS: usize = 200;
/// Requests in flight at once.
const CLIENTS: usize = 8;
/// The limit the review set: every acknowledged lead's first message
/// within this long of the restart.
const RECOVERY_LIMIT: Duration = Duration::from_secs(60);

/// A server process, killed if the test ends early.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(url: &str, data: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AF_DATA_DIR", data)
        .env("AF_LOG", "error")
        .env_remove("AF_CONFIG")
        .output()
        .expect("run agencyflow");
    assert!(
        out.status.success(),
        "agencyflow {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A mail relay that speaks just enough SMTP, and while `stalled` accepts
/// connections without greeting them: a send then hangs in the server
/// (until the client's 30 s timeout), its job claimed.
struct Relay {
    addr: std::net::SocketAddr,
    stalled: Arc<AtomicBool>,
    /// Recipients of the messages accepted (DATA answered 250).
    delivered: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
}

async fn start_relay() -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind relay");
    let relay = Relay {
        addr: listener.local_addr().expect("relay addr"),
        stalled: Arc::new(AtomicBool::new(true)),
        delivered: Arc::default(),
        connections: Arc::default(),
    };
    let (stalled, delivered, connections) = (
        relay.stalled.clone(),
        relay.delivered.clone(),
        relay.connections.clone(),
    );
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            connections.fetch_add(1, Ordering::SeqCst);
            let (stalled, delivered) = (stalled.clone(), delivered.clone());
            tokio::spawn(async move {
                while stalled.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                if w.write_all(b"220 relay.test ESMTP\r\n").await.is_err() {
                    return; // its client died while we stalled
                }
                let mut rcpt = Vec::new();
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-relay.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO") {
                        rcpt.push(line.trim()["RCPT TO:".len()..].trim().to_string());
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        if w.write_all(b"354 go ahead\r\n").await.is_err() {
                            return;
                        }
                        loop {
                            let mut l = String::new();
                            if r.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                        }
                        delivered
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .append(&mut rcpt);
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        if upper.starts_with("RSET") || upper.starts_with("MAIL FROM") {
                            rcpt.clear();
                        }
                        b"250 OK\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    relay
}

/// `agencyflow serve` with default job settings: the variables that would
/// change them are removed from its environment.
async fn start_server(url: &str, data: &std::path::Path, relay: &Relay) -> Server {
    let bind = format!("127.0.0.1:{}", free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve", "--bind", &bind])
        .env("DATABASE_URL", url)
        .env("AF_DATA_DIR", data)
        .env("AF_LOG", "warn")
        .env("SMTP_URL", format!("smtp://{}", relay.addr))
        .env("AF_EMAIL_FROM", "Equipo <hola@agency.test>")
        // Real time here: without this the email would wait for 08:00 in
        // the workspace's zone when the test runs at night.
        .env("AF_QUIET_HOURS", "00:00-00:00")
        .env_remove("AF_CONFIG")
        .env_remove("AF_JOB_LEASE_SECS")
        .env_remove("AF_JOB_RESCUE_SECS")
        .env_remove("AF_JOB_POLL_MS")
        .env_remove("AF_JOB_CONCURRENCY")
        .env_remove("AF_JOB_BATCH")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start serve");
    let s = Server {
        child,
        base: format!("http://{bind}"),
    };
    let http = reqwest::Client::new();
    wait_until(
        "the server to be ready",
        Duration::from_secs(60),
        || async {
            http.get(format!("{}/readyz", s.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        },
    )
    .await;
    s
}

async fn wait_until<F, Fut>(what: &str, limit: Duration, ok: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !ok().await {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const FIRST_SERVER: &str = "af_crash_first";

fn with_application_name(url: &str, name: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}application_name={name}")
}

/// PostgreSQL sessions opened under `name`, the dead server's included
/// until the database notices they are gone.
async fn sessions_named(url: &str, name: &str) -> i64 {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
            .bind(name)
            .fetch_one(&mut c)
            .await
            .expect("pg_stat_activity");
    let _ = c.close().await;
    n
}

async fn running_jobs(db: &Db) -> Vec<af_db::jobs::Job> {
    af_db::jobs::list_jobs(db, Some("running"), 10_000)
        .await
        .expect("list running jobs")
}

/// Contacts that have a sent email, and how many sent emails each has.
async fn sent_emails(db: &Db, ws: WorkspaceId) -> HashMap<uuid::Uuid, usize> {
    let mut by_contact = HashMap::new();
    for m in af_db::messages::list_messages(db, ws, 100_000)
        .await
        .expect("list messages")
    {
        if m.channel == "email"
            && m.status == "sent"
            && let Some(c) = m.contact_id
        {
            *by_contact.entry(c).or_insert(0) += 1;
        }
    }
    by_contact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leads_acknowledged_before_a_kill_get_their_first_message_soon_after_the_restart() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let backend = af_db::testing::test_backend();
    let (url, _dir) = af_db::testing::fresh_url_on(backend).await;
    let data = tempfile::tempdir().expect("data dir");
    cli(&url, data.path(), &["migrate"]);
    let ws: Value = serde_json::from_str(
        cli(
            &url,
            data.path(),
            &[
                "workspace",
                "create",
                "--slug",
                "crash",
                "--name",
                "Crash",
                "--time-zone",
                "America/Mexico_City",
                "--json",
            ],
        )
        .trim(),
    )
    .expect("workspace json");
    let ws: WorkspaceId = ws["id"]
        .as_str()
        .expect("workspace id")
        .parse()
        .expect("uuid");
    let key: Value = serde_json::from_str(
        cli(
            &url,
            data.path(),
            &[
                "apikey",
                "create",
                "--workspace",
                "crash",
                "--name",
                "load",
                "--json",
            ],
        )
        .trim(),
    )
    .expect("key json");
    let key = key["key"].as_str().expect("key").to_string();
    let db = Db::connect(&url).await.expect("connect");

    let relay = start_relay().await;
    // On PostgreSQL the first server's sessions carry a name, so the test
    // can wait for the database to finish with them after the kill.
    let first_url = match backend {
        af_db::Backend::Postgres => with_application_name(&url, FIRST_SERVER),
        af_db::Backend::Sqlite => url.clone(),
    };
    let mut first = start_server(&first_url, data.path(), &relay).await;
    let http = reqwest::Client::new();
    let res = http
        .post(format!("{}/api/v1/workflows", first.base))
        .bearer_auth(&key)
        .json(&json!({
            "name": "Bienvenida",
            "trigger": {"type": "lead_created"},
            "steps": [{"type": "send_email", "subject": "Hola {{ contact.first_name }}",
                       "body": "Gracias por escribirnos.\n\nPara no recibir más correos: {{ unsubscribe_url }}"}],
            "reentry": "never",
            "active": true
        }))
        .send()
        .await
        .expect("create workflow");
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(status.as_u16(), 201, "{body}");

    // Leads under load, CLIENTS at a time; the contact ids of the 2xx
    // answers are the acknowledged leads.
    let acked: Arc<Mutex<Vec<uuid::Uuid>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, base, key) = (http.clone(), first.base.clone(), key.clone());
        let (acked, next, stop) = (acked.clone(), next.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= LEADS {
                    return;
                }
                let res = http
                    .post(format!("{base}/api/v1/contacts"))
                    .bearer_auth(&key)
                    .json(&json!({"first_name": format!("Lead{n}"),
                                  "email": format!("lead{n}@example.com")}))
                    .send()
                    .await;
                // No answer (the server died) or an error: not acknowledged.
                let Ok(res) = res else { return };
                if !res.status().is_success() {
                    continue;
                }
                let id = res
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|v| v["id"].as_str().and_then(|s| s.parse::<uuid::Uuid>().ok()));
                if let Some(id) = id {
                    acked
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(id);
                }
            }
        }));
    }

    // Kill once half the leads are in and welcome emails are claimed (the
    // relay hangs, so their jobs stay running).
    let acked_count = || {
        acked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    };
    wait_until(
        "half the leads acknowledged and jobs running",
        Duration::from_secs(120),
        || async { acked_count() >= LEADS / 2 && !running_jobs(&db).await.is_empty() },
    )
    .await;
    first.child.kill().expect("SIGKILL");
    let killed_at = Instant::now();
    first.child.wait().expect("reap");
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        let _ = c.await;
    }
    drop(first);

    // A statement the dead server sent just before the kill (say, the
    // commit of a finished job) still completes in its PostgreSQL session:
    // its claims are frozen only once those sessions are gone.
    if backend == af_db::Backend::Postgres {
        wait_until(
            "the dead server's database sessions to end",
            Duration::from_secs(30),
            || async { sessions_named(&url, FIRST_SERVER).await == 0 },
        )
        .await;
    }
    // What the dead server held: its claims, frozen at the kill.
    let held = running_jobs(&db).await;
    assert!(!held.is_empty(), "jobs were running at the kill");
    let dead_workers: HashSet<String> = held.iter().filter_map(|j| j.locked_by.clone()).collect();
    let held_ids: HashSet<af_core::JobId> = held.iter().map(|j| j.id).collect();
    let acked: Vec<uuid::Uuid> = acked
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let sent_before = sent_emails(&db, ws).await;
    assert!(
        sent_before.is_empty(),
        "the relay hung: nothing was sent before the kill"
    );
    eprintln!(
        "killed with {} leads acknowledged and {} jobs running ({:?})",
        acked.len(),
        held.len(),
        held.iter().map(|j| j.kind.as_str()).collect::<HashSet<_>>()
    );

    // The relay recovers; a new server starts with the default settings.
    relay.stalled.store(false, Ordering::SeqCst);
    let restart = Instant::now();
    let _second = start_server(&url, data.path(), &relay).await;
    let still_held: Vec<_> = running_jobs(&db)
        .await
        .into_iter()
        .filter(|j| {
            j.locked_by
                .as_ref()
                .is_some_and(|w| dead_workers.contains(w))
        })
        .collect();
    match backend {
        af_db::Backend::Sqlite => assert!(
            still_held.is_empty(),
            "a ready server has released the dead one's claims: {still_held:?}"
        ),
        af_db::Backend::Postgres => {
            // Not released at start-up (they could be a live node's): still
            // there, unless the lease has had time to expire already.
            if killed_at.elapsed() < Duration::from_secs(15) {
                assert_eq!(
                    still_held.len(),
                    held.len(),
                    "PostgreSQL claims are left to their leases"
                );
            }
        }
    }

    wait_until(
        "every acknowledged lead's welcome email",
        RECOVERY_LIMIT,
        || async {
            let sent = sent_emails(&db, ws).await;
            acked.iter().all(|c| sent.contains_key(c))
        },
    )
    .await;
    let recovered_in = restart.elapsed();
    eprintln!(
        "{} acknowledged leads all emailed {recovered_in:?} after the restart ({:?} after the kill)",
        acked.len(),
        killed_at.elapsed()
    );

    // The claims came back the way this backend should bring them back,
    // and counted their interrupted attempt.
    let why = match backend {
        af_db::Backend::Sqlite => "released at start-up",
        af_db::Backend::Postgres => "lease expired",
    };
    for id in &held_ids {
        let j = af_db::jobs::find_job(&db, *id)
            .await
            .expect("find job")
            .expect("job kept");
        assert!(
            j.last_error.as_deref().is_some_and(|e| e.contains(why)),
            "{why}: {j:?}"
        );
        assert!(j.attempts >= 2, "the interrupted attempt counts: {j:?}");
    }
    // One welcome email per lead, however the crash fell.
    let sent = sent_emails(&db, ws).await;
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "leads emailed twice: {twice:?}");
    let delivered = relay
        .delivered
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let unique: HashSet<&String> = delivered.iter().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "the relay received an address twice"
    );
    eprintln!(
        "relay: {} connections, {} messages",
        relay.connections.load(Ordering::SeqCst),
        delivered.len()
    );
    db.close().await;
}
