//! The import/export CLI contract, run as the real binary against a real
//! database (the backend chosen by `AF_TEST_BACKEND`):
//! `agencyflow import contacts --workspace W FILE.csv` and
//! `agencyflow export contacts|deals --workspace W --format csv|jsonl`.

use std::process::Command;

fn agencyflow(url: &str, args: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_agencyflow"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("AF_LOG", "warn")
        .env_remove("AF_CONFIG")
        .output()
        .expect("run agencyflow");
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("utf8")
}

#[tokio::test]
async fn import_then_export_contacts_and_deals() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let (ok, _, err) = agencyflow(
        &url,
        &["workspace", "create", "--slug", "acme", "--name", "Acme"],
    );
    assert!(ok, "{err}");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("clientes.csv");
    std::fs::write(
        &file,
        "\u{feff}Nombre;Correo;Móvil;Etiquetas;Ciudad\r\n\
         Ana Pérez;ana@example.com;8112345678;vip|web;Monterrey\r\n\
         Luis;no-es-correo;;;CDMX\r\n\
         =cmd;cmd@example.com;;;\r\n",
    )
    .expect("write");
    let path = file.to_str().expect("path");

    let (ok, out, err) = agencyflow(
        &url,
        &["import", "contacts", "--workspace", "acme", path, "--json"],
    );
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out).expect("json summary");
    assert_eq!(summary["created"], 2);
    assert_eq!(summary["rejected"], 1);
    assert_eq!(summary["rejected_rows"][0]["row"], 3);
    assert_eq!(summary["rejected_rows"][0]["code"], "invalid_email");
    assert!(
        !err.contains('█'),
        "no progress bar when stderr is not a TTY"
    );

    // Text summary, re-import merges (updated, not created), --map works.
    let (ok, out, err) = agencyflow(
        &url,
        &[
            "import",
            "contacts",
            "--workspace",
            "acme",
            path,
            "--map",
            "Ciudad=source",
        ],
    );
    assert!(ok, "{err}");
    let out = text(&out);
    assert!(
        out.contains("2 updated") && out.contains("1 rejected"),
        "{out}"
    );
    assert!(out.contains("row 3:"), "{out}");

    let (ok, _, err) = agencyflow(
        &url,
        &[
            "import",
            "contacts",
            "--workspace",
            "acme",
            path,
            "--map",
            "Nope=email",
        ],
    );
    assert!(!ok && err.contains("no column"), "{err}");
    let (ok, _, err) = agencyflow(&url, &["import", "contacts", "--workspace", "nope", path]);
    assert!(!ok && err.contains("no workspace"), "{err}");

    let (ok, out, err) = agencyflow(
        &url,
        &[
            "export",
            "contacts",
            "--workspace",
            "acme",
            "--format",
            "csv",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.starts_with(b"\xEF\xBB\xBF"));
    let csv = text(&out);
    assert!(csv.contains("ana@example.com"));
    assert!(
        csv.contains(",'+528112345678,"),
        "phones are formula-guarded"
    );
    assert!(csv.contains(",'=cmd,"), "{csv}");
    assert!(csv.contains("Monterrey"), "source mapped by --map");
    assert_eq!(csv.lines().count(), 3, "header + 2 contacts");

    let (ok, out, err) = agencyflow(
        &url,
        &[
            "export",
            "contacts",
            "--workspace",
            "acme",
            "--format",
            "jsonl",
        ],
    );
    assert!(ok, "{err}");
    let lines: Vec<serde_json::Value> = text(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);

    let (ok, out, err) = agencyflow(
        &url,
        &["export", "deals", "--workspace", "acme", "--format", "csv"],
    );
    assert!(ok, "{err}");
    assert_eq!(text(&out).lines().count(), 1, "header only: no deals yet");
    let (ok, _, err) = agencyflow(
        &url,
        &[
            "export",
            "contacts",
            "--workspace",
            "acme",
            "--format",
            "xlsx",
        ],
    );
    assert!(!ok && err.contains("--format"), "{err}");
}
