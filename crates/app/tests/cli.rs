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
