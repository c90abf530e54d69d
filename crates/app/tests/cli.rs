//! The CLI contract, run as the real binary against a real database (the
//! backend chosen by `AF_TEST_BACKEND`).

use std::process::Command;

fn agencyflow(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AF_LOG", "warn")
        .env_remove("AF_CONFIG")
        .output()
        .expect("run agencyflow");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn workspace_user_and_api_key_commands_follow_the_contract() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let (ok, out, err) = agencyflow(&url, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied"));

    let (ok, out, err) = agencyflow(
        &url,
        &[
            "workspace",
            "create",
            "--slug",
            "acme",
            "--name",
            "Acme",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let ws: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(ws["slug"], "acme");
    let (ok, _, err) = agencyflow(
        &url,
        &["workspace", "create", "--slug", "acme", "--name", "Again"],
    );
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = agencyflow(
        &url,
        &["workspace", "create", "--slug", "x y", "--name", "Bad"],
    );
    assert!(!ok && err.contains("--slug"), "the flag is named: {err}");

    let (ok, out, err) = agencyflow(
        &url,
        &[
            "user",
            "create",
            "--workspace",
            "acme",
            "--email",
            "Ana@Acme.test",
            "--password",
            "long enough pw",
            "--role",
            "owner",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("ana") || out.contains("Ana"));
    let (ok, _, err) = agencyflow(
        &url,
        &[
            "user",
            "create",
            "--workspace",
            "nope",
            "--email",
            "a@b.co",
            "--password",
            "long enough pw",
        ],
    );
    assert!(!ok && err.contains("no workspace with slug"), "{err}");
    let (ok, _, err) = agencyflow(
        &url,
        &[
            "user",
            "create",
            "--workspace",
            "acme",
            "--email",
            "b@acme.test",
            "--password",
            "short",
        ],
    );
    assert!(!ok && err.contains("--password"), "{err}");

    let (ok, out, err) = agencyflow(
        &url,
        &["apikey", "create", "--workspace", "acme", "--name", "N"],
    );
    assert!(ok, "{err}");
    let key = out
        .split_whitespace()
        .last()
        .expect("key is the last word")
        .to_string();
    assert!(key.starts_with("af_"), "{out}");
    let (ok, out, _) = agencyflow(
        &url,
        &[
            "apikey",
            "create",
            "--workspace",
            "acme",
            "--name",
            "J",
            "--json",
        ],
    );
    assert!(ok);
    let created: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert!(created["key"].as_str().expect("key").starts_with("af_"));

    let (ok, out, _) = agencyflow(&url, &["apikey", "list", "--workspace", "acme", "--json"]);
    assert!(ok);
    let keys: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(keys.as_array().expect("array").len(), 2);
    assert!(!out.contains(&key), "secrets are never listed");
    let id = created["id"].as_str().expect("id");
    let (ok, _, err) = agencyflow(&url, &["apikey", "revoke", "--workspace", "acme", id]);
    assert!(ok, "{err}");
    let (ok, _, err) = agencyflow(&url, &["apikey", "revoke", "--workspace", "acme", id]);
    assert!(!ok && err.contains("no active API key"), "{err}");

    let (ok, out, _) = agencyflow(&url, &["workspace", "list", "--json"]);
    assert!(ok);
    let list: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(list[0]["slug"], "acme");
}

#[test]
fn bad_configuration_names_the_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://nope")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));

    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve", "--bind", "not-an-address"])
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db", dir.path().display()),
        )
        .env("AF_SECRET_KEY", "0123456789abcdef0123456789abcdef")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("AF_BIND"));

    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(["serve"])
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/x.db", dir.path().display()),
        )
        .env("AF_SECRET_KEY", "too short")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("AF_SECRET_KEY"));
}

/// Operators without an email provider hand out reset and invitation
/// links from the command line; intake keys are made there too.
#[tokio::test]
async fn reset_link_invite_link_and_intake_key_commands() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("AF_LOG", "warn")
            .env("AF_BASE_URL", "https://crm.example.com")
            .env_remove("AF_CONFIG")
            .output()
            .expect("run agencyflow");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&["workspace", "create", "--slug", "acme", "--name", "Acme"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "user",
        "create",
        "--workspace",
        "acme",
        "--email",
        "ana@acme.mx",
        "--password",
        "a long password",
        "--role",
        "owner",
    ]);
    assert!(ok, "{err}");

    let (ok, first, err) = run(&["user", "reset-link", "ana@acme.mx"]);
    assert!(ok, "{err}");
    assert!(
        first
            .trim()
            .starts_with("https://crm.example.com/password/reset/"),
        "{first}"
    );
    let (ok, second, _) = run(&["user", "reset-link", "ANA@acme.mx"]);
    assert!(ok);
    assert_ne!(first, second, "a fresh link each time");
    let (ok, _, err) = run(&["user", "reset-link", "nobody@acme.mx"]);
    assert!(!ok && err.contains("nobody@acme.mx"), "{err}");

    let (ok, link, err) = run(&[
        "invite",
        "link",
        "--workspace",
        "acme",
        "--email",
        "luis@acme.mx",
        "--role",
        "admin",
    ]);
    assert!(ok, "{err}");
    assert!(
        link.trim().starts_with("https://crm.example.com/invite/"),
        "{link}"
    );
    let (ok, _, err) = run(&[
        "invite",
        "link",
        "--workspace",
        "acme",
        "--email",
        "not an email",
    ]);
    assert!(!ok && err.contains("--email"), "{err}");

    let (ok, out, err) = run(&["intake-key", "create", "--workspace", "acme", "--json"]);
    assert!(ok, "{err}");
    let key: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert!(
        key["key"].as_str().is_some_and(|k| k.starts_with("af_")),
        "{key}"
    );

    // Only hashes are stored: neither link's token nor the key is in the database.
    let db = af_db::Db::connect(&url).await.expect("db");
    let token = first.trim().rsplit('/').next().expect("token").to_string();
    let hashes: Vec<String> = match &db {
        af_db::Db::Sqlite(p) => {
            sqlx::query_scalar("SELECT token_hash FROM password_resets")
                .fetch_all(p)
                .await
        }
        af_db::Db::Pg(p) => {
            sqlx::query_scalar("SELECT token_hash FROM password_resets")
                .fetch_all(p)
                .await
        }
    }
    .expect("resets");
    assert!(hashes.iter().all(|h| h != &token));
    assert!(hashes.contains(&af_core::crypto::sha256_hex(&token)));
}

#[tokio::test]
async fn audit_export_writes_json_lines_and_records_itself() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let (ok, _, err) = agencyflow(
        &url,
        &["workspace", "create", "--slug", "acme", "--name", "Acme"],
    );
    assert!(ok, "{err}");
    // Creating a user writes an explicit audit row (provisioning).
    let (ok, _, err) = agencyflow(
        &url,
        &[
            "user",
            "create",
            "--workspace",
            "acme",
            "--email",
            "ana@acme.test",
            "--role",
            "owner",
            "--password",
            "correct horse battery",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, err) = agencyflow(&url, &["audit", "export", "--workspace", "acme"]);
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(lines.len() >= 2, "{out}");
    assert_eq!(lines[0]["action"], "audit.exported");
    for k in [
        "timestamp",
        "action",
        "channel",
        "target",
        "lead",
        "result",
        "detail",
        "actor_type",
        "actor_name",
    ] {
        assert!(lines[1].get(k).is_some(), "{k} in {}", lines[1]);
    }
    // A window with nothing in it: only the new export's own row is outside it.
    let (ok, out, err) = agencyflow(
        &url,
        &[
            "audit",
            "export",
            "--workspace",
            "acme",
            "--since",
            "2999-01-01",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.trim().is_empty(), "{out}");
    let (ok, _, err) = agencyflow(
        &url,
        &["audit", "export", "--workspace", "acme", "--since", "ayer"],
    );
    assert!(!ok && err.contains("--since"), "{err}");
    let (ok, out, err) = agencyflow(&url, &["audit", "purge"]);
    assert!(ok && out.contains("0 expired"), "{out} {err}");
}
