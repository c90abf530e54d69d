//! The `agencyflow jobs` contract, run as the real binary against a real
//! database (the backend chosen by `AF_TEST_BACKEND`): `--json` shapes,
//! human output, and errors that name what is wrong.

use serde_json::Value;
use std::process::Command;

struct Cli {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Cli {
    async fn new() -> Cli {
        let (url, dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
        let cli = Cli { url, _dir: dir };
        cli.ok(&["migrate"]);
        cli
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
            .args(args)
            .env("DATABASE_URL", &self.url)
            .env("AF_LOG", "error")
            .env_remove("AF_CONFIG")
            .env_remove("AF_DIAG_HTTP_ALLOW")
            .output()
            .expect("run agencyflow");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "agencyflow {args:?} failed: {err}");
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// Fails, and says `needle` on stderr.
    fn fails_with(&self, args: &[&str], needle: &str) {
        let (ok, out, err) = self.run(args);
        assert!(!ok, "agencyflow {args:?} should fail: {out}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err}");
    }
}

#[tokio::test]
async fn stats_failed_retry_discard_follow_the_contract() {
    let cli = Cli::new().await;
    let st = cli.json(&["jobs", "stats", "--json"]);
    assert_eq!(st["by_state"]["pending"], 0);
    assert_eq!(st["due_pending"], 0);
    assert!(st["oldest_due_run_at"].is_null());
    assert!(cli.ok(&["jobs", "stats"]).contains("the queue is empty"));
    assert!(cli.ok(&["jobs", "failed"]).contains("no failed jobs"));

    let e = cli.json(&[
        "jobs",
        "enqueue-diag",
        "--kind",
        "diag_fail",
        "--count",
        "2",
        "--json",
    ]);
    assert_eq!(
        (e["kind"].as_str(), e["enqueued"].as_u64()),
        (Some("diag_fail"), Some(2))
    );
    cli.ok(&[
        "jobs",
        "enqueue-diag",
        "--kind",
        "diag_noop",
        "--count",
        "3",
        "--batch",
        "2",
    ]);
    let st = cli.json(&["jobs", "stats", "--json"]);
    assert_eq!(st["by_state"]["pending"], 5);
    assert_eq!(st["due_pending"], 5);
    assert!(st["oldest_due_age_secs"].as_f64().is_some());
    let counts = st["counts"].as_array().expect("counts");
    assert!(
        counts
            .iter()
            .any(|c| c["kind"] == "diag_noop" && c["state"] == "pending" && c["count"] == 3)
    );
    let human = cli.ok(&["jobs", "stats"]);
    assert!(
        human.contains("KIND") && human.contains("diag_noop"),
        "{human}"
    );
    assert!(human.contains("due now: 5"), "{human}");

    let d = cli.json(&["jobs", "drain", "--json"]);
    assert_eq!(
        (d["succeeded"].as_u64(), d["dead"].as_u64()),
        (Some(3), Some(2))
    );

    let failed = cli.json(&["jobs", "failed", "--json"]);
    let failed = failed.as_array().expect("array");
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0]["state"], "dead");
    assert_eq!(failed[0]["kind"], "diag_fail");
    assert!(
        failed[0]["last_error"]
            .as_str()
            .expect("error")
            .contains("diag_fail")
    );
    assert_eq!(
        cli.json(&["jobs", "failed", "--limit", "1", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let human = cli.ok(&["jobs", "failed"]);
    assert!(
        human.starts_with("ID") && human.contains("ERROR"),
        "{human}"
    );
    let (a, b) = (
        failed[0]["id"].as_str().expect("id").to_string(),
        failed[1]["id"].as_str().expect("id").to_string(),
    );

    let r = cli.json(&["jobs", "retry", &a, "--json"]);
    assert_eq!(
        (r["id"].as_str(), r["retried"].as_bool()),
        (Some(a.as_str()), Some(true))
    );
    cli.fails_with(&["jobs", "retry", &a], "is pending, not dead-lettered");
    cli.fails_with(&["jobs", "retry", "nope"], "\"nope\" is not a job id");
    cli.fails_with(
        &["jobs", "retry", "01a1fe05-9590-704d-b61d-b1c1cfccf5ec"],
        "no job with id",
    );
    cli.fails_with(&["jobs", "retry"], "--all-failed");
    let st = cli.json(&["jobs", "stats", "--json"]);
    assert_eq!(
        (
            st["by_state"]["pending"].as_i64(),
            st["by_state"]["dead"].as_i64()
        ),
        (Some(1), Some(1))
    );

    let all = cli.json(&["jobs", "retry", "--all-failed", "--json"]);
    assert_eq!(all["retried"], 1);
    assert!(
        cli.ok(&["jobs", "retry", "--all-failed"])
            .contains("no dead-lettered jobs")
    );
    cli.ok(&["jobs", "drain"]);

    let x = cli.json(&["jobs", "discard", &b, "--json"]);
    assert_eq!(
        (x["id"].as_str(), x["discarded"].as_bool()),
        (Some(b.as_str()), Some(true))
    );
    cli.fails_with(&["jobs", "discard", &b], "no job with id");
    let st = cli.json(&["jobs", "stats", "--json"]);
    assert_eq!(
        (
            st["by_state"]["dead"].as_i64(),
            st["by_state"]["succeeded"].as_i64()
        ),
        (Some(1), Some(3))
    );
    // A succeeded job is not discardable.
    let ok_id = af_db::jobs::list_jobs(
        &af_db::Db::connect(&cli.url).await.expect("db"),
        Some("succeeded"),
        1,
    )
    .await
    .expect("list")[0]
        .id
        .to_string();
    cli.fails_with(&["jobs", "discard", &ok_id], "is succeeded");

    let lat = cli.json(&["jobs", "latency", "--json"]);
    assert_eq!(lat["count"], 3, "{lat}");
    assert!(lat["p99_ms"].as_f64().is_some());
    let lat = cli.json(&["jobs", "latency", "--kind", "diag_fail", "--json"]);
    assert_eq!(lat["count"], 0);
}

#[tokio::test]
async fn schedules_and_run_schedule() {
    let cli = Cli::new().await;
    let all = cli.json(&["jobs", "schedules", "--json"]);
    let all = all.as_array().expect("array");
    let prune = all
        .iter()
        .find(|s| s["name"] == "prune_jobs")
        .expect("prune_jobs registered");
    assert_eq!(prune["workspace"], Value::Null);
    assert_eq!(prune["enabled"], true);
    assert!(prune["next_run_at"].as_str().is_some());
    assert!(prune["last_run_at"].is_null());
    let human = cli.ok(&["jobs", "schedules"]);
    assert!(
        human.contains("NEXT RUN")
            && human.contains("cleanup_sessions")
            && human.contains("(system)"),
        "{human}"
    );

    let r = cli.json(&["jobs", "run-schedule", "prune_jobs", "--json"]);
    assert_eq!(
        (r["schedule"].as_str(), r["enqueued"].as_bool()),
        (Some("prune_jobs"), Some(true))
    );
    assert!(r["job_id"].as_str().is_some());
    let again = cli.json(&["jobs", "run-schedule", "prune_jobs", "--json"]);
    assert_eq!(
        (again["enqueued"].as_bool(), again["job_id"].is_null()),
        (Some(false), true)
    );
    assert!(
        cli.ok(&["jobs", "run-schedule", "prune_jobs"])
            .contains("already queued")
    );
    let all = cli.json(&["jobs", "schedules", "--json"]);
    let prune = all
        .as_array()
        .expect("array")
        .iter()
        .find(|s| s["name"] == "prune_jobs")
        .cloned()
        .expect("prune");
    assert!(
        prune["last_run_at"].as_str().is_some(),
        "the run is recorded"
    );
    let d = cli.json(&["jobs", "drain", "--json"]);
    assert_eq!(d["succeeded"], 1);

    cli.fails_with(
        &["jobs", "run-schedule", "nope"],
        "no system schedule named \"nope\"",
    );
    cli.ok(&["workspace", "create", "--slug", "acme", "--name", "Acme"]);
    cli.fails_with(
        &["jobs", "run-schedule", "prune_jobs", "--workspace", "acme"],
        "workspace acme has no schedule named",
    );
    cli.fails_with(
        &["jobs", "run-schedule", "x", "--workspace", "zzz"],
        "--workspace",
    );
}

/// A local HTTP server on 127.0.0.1: 200 on `/ok`, 404 elsewhere.
async fn stub() -> String {
    let app = axum::Router::new().route("/ok", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostic_jobs_run_and_refuse_other_hosts() {
    let cli = Cli::new().await;
    let base = stub().await;
    let ok_url = format!("{base}/ok");
    let missing = format!("{base}/missing");
    cli.ok(&[
        "jobs",
        "enqueue-diag",
        "--kind",
        "diag_http",
        "--count",
        "4",
        "--url",
        &ok_url,
    ]);
    cli.ok(&[
        "jobs",
        "enqueue-diag",
        "--kind",
        "diag_http",
        "--url",
        &missing,
    ]);
    cli.ok(&[
        "jobs",
        "enqueue-diag",
        "--kind",
        "diag_record",
        "--count",
        "3",
    ]);
    let d = cli.json(&["jobs", "drain", "--json"]);
    assert_eq!(
        (d["succeeded"].as_u64(), d["dead"].as_u64()),
        (Some(7), Some(1)),
        "{d}"
    );
    let failed = cli.json(&["jobs", "failed", "--json"]);
    assert!(
        failed[0]["last_error"]
            .as_str()
            .expect("error")
            .contains("404"),
        "{failed}"
    );
    let fx = cli.json(&["jobs", "diag-effects", "--json"]);
    assert_eq!(
        (
            fx["effects"].as_i64(),
            fx["jobs"].as_i64(),
            fx["rerun"].as_i64()
        ),
        (Some(3), Some(3), Some(0))
    );

    cli.fails_with(
        &[
            "jobs",
            "enqueue-diag",
            "--kind",
            "diag_http",
            "--url",
            "http://169.254.169.254/latest",
        ],
        "AF_DIAG_HTTP_ALLOW",
    );
    cli.fails_with(
        &["jobs", "enqueue-diag", "--kind", "diag_http"],
        "--url is required",
    );
    cli.fails_with(
        &[
            "jobs",
            "enqueue-diag",
            "--kind",
            "diag_noop",
            "--url",
            &ok_url,
        ],
        "--url only applies",
    );
    cli.fails_with(
        &["jobs", "enqueue-diag", "--kind", "rm_rf", "--count", "1"],
        "--kind",
    );
    cli.fails_with(
        &[
            "jobs",
            "enqueue-diag",
            "--kind",
            "diag_noop",
            "--count",
            "0",
        ],
        "--count",
    );
    // The worker tuning variables are checked too, by name.
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["jobs", "drain"])
        .env("DATABASE_URL", &cli.url)
        .env("AF_JOB_LEASE_SECS", "soon")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AF_JOB_LEASE_SECS"));
}
