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

#[tokio::test]
async fn import_activities_and_memberships_from_the_cli() {
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let (ok, _, err) = agencyflow(
        &url,
        &["workspace", "create", "--slug", "gym", "--name", "Gym"],
    );
    assert!(ok, "{err}");
    let dir = tempfile::tempdir().expect("dir");
    let visits = dir.path().join("visitas.csv");
    std::fs::write(
        &visits,
        "Socio;Tipo;Fecha;Importe\r\n\
         ana@example.com;Check-in;01/12/2026 07:10;\r\n\
         ana@example.com;Compra;02/12/2026;350\r\n\
         luis@example.com;Visita;mañana;\r\n",
    )
    .expect("write");
    let path = visits.to_str().expect("path");
    // "Socio" is a name to the suggestions: the email column needs --map.
    let (ok, _, err) = agencyflow(&url, &["import", "activities", "--workspace", "gym", path]);
    assert!(!ok && err.contains("NoContactKey"), "{err}");
    let (ok, out, err) = agencyflow(
        &url,
        &[
            "import",
            "activities",
            "--workspace",
            "gym",
            path,
            "--map",
            "Socio=email",
            "--json",
        ],
    );
    assert!(ok, "{err}");
    let summary: serde_json::Value = serde_json::from_slice(&out).expect("json summary");
    assert_eq!(
        (summary["created"].as_i64(), summary["rejected"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(summary["rejected_rows"][0]["code"], "invalid_date");

    let subs = dir.path().join("socios.csv");
    std::fs::write(
        &subs,
        "email,plan,estado,inicio,vencimiento,monto,id externo\r\n\
         ana@example.com,Mensual,activa,2026-12-01,2026-12-31,499.00,s-1\r\n",
    )
    .expect("write");
    let path = subs.to_str().expect("path");
    for (created, updated) in [(1, 0), (0, 1)] {
        let (ok, out, err) = agencyflow(
            &url,
            &[
                "import",
                "memberships",
                "--workspace",
                "gym",
                path,
                "--json",
            ],
        );
        assert!(ok, "{err}");
        let summary: serde_json::Value = serde_json::from_slice(&out).expect("json summary");
        assert_eq!(
            (summary["created"].as_i64(), summary["updated"].as_i64()),
            (Some(created), Some(updated)),
            "the external id updates on the second run"
        );
    }
    let (ok, _, err) = agencyflow(
        &url,
        &[
            "import",
            "memberships",
            "--workspace",
            "gym",
            path,
            "--map",
            "plan=type",
        ],
    );
    assert!(!ok && err.contains("not a column"), "{err}");
}
