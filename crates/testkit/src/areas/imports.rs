//! Test fixtures of the imports area: what [`seed`] adds to every tenant (an
//! uploaded import waiting for its mapping), and the area's routes that take
//! an id, for the cross-workspace 404 test.

use crate::{IdRoute, Tenant, TestApp, Via};
use af_core::csv_io;
use af_db::imports::{self, ImportReport};

/// The CSV every tenant's seeded import holds.
pub const SEED_CSV: &[u8] = b"Nombre,Correo\nAna,ana@example.com\n";

/// Adds an uploaded import (`ids["import_id"]`).
pub async fn seed(app: &TestApp, t: &mut Tenant) {
    let headers = imports::read_headers(SEED_CSV).expect("headers");
    let mapping = csv_io::suggest_mapping(&headers, &[]);
    let now = app.now();
    let mut tx = app.db.begin().await.expect("tx");
    let id = imports::insert_import(
        &mut tx,
        t.ws.id,
        "seed.csv",
        imports::status::UPLOADED,
        1,
        &ImportReport {
            headers,
            ..Default::default()
        },
        None,
        now,
    )
    .await
    .expect("import");
    imports::insert_import_file(&mut tx, t.ws.id, id, SEED_CSV, &mapping, now)
        .await
        .expect("import file");
    tx.commit().await.expect("commit");
    t.ids.insert("import_id", id.to_string());
}

/// This area's routes that take an id, filled with `other`'s ids.
pub fn routes(other: &Tenant) -> Vec<IdRoute> {
    let import = other.ids.get("import_id").cloned().unwrap_or_default();
    let page = |method, path: String, form: Vec<(&'static str, String)>| IdRoute {
        via: Via::Page,
        method,
        path,
        form,
    };
    vec![
        page("GET", format!("/contacts/import/{import}"), vec![]),
        page("GET", format!("/contacts/import/{import}/progress"), vec![]),
        page(
            "POST",
            format!("/contacts/import/{import}/start"),
            vec![("col_0", "first_name".into()), ("col_1", "email".into())],
        ),
        page(
            "GET",
            format!("/contacts/{}/gdpr-export", other.contact_id),
            vec![],
        ),
        page(
            "POST",
            format!("/contacts/{}/erase", other.contact_id),
            vec![],
        ),
        page(
            "POST",
            "/contacts/export".into(),
            vec![("ids", other.contact_id.to_string())],
        ),
    ]
}
