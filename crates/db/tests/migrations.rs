//! The two migration folders must describe the same schema: same tables,
//! same columns, same indexes — but for the contact search index, which is
//! backend-specific by design (migration 0016) and listed here by name.
//! Needs the PostgreSQL server (see `af_db::testing`).

use af_db::testing::fresh_db_on;
use af_db::{Backend, Db};
use std::collections::BTreeSet;

async fn columns(db: &Db) -> BTreeSet<(String, String)> {
    let rows: Vec<(String, String)> = match db {
        Db::Sqlite(p) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
        )
        .fetch_all(p)
        .await
        .expect("sqlite schema"),
        Db::Pg(p) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(p)
        .await
        .expect("postgres schema"),
    };
    rows.into_iter().collect()
}

async fn indexes(db: &Db) -> BTreeSet<String> {
    let rows: Vec<(String,)> = match db {
        Db::Sqlite(p) => sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
        )
        .fetch_all(p)
        .await
        .expect("sqlite indexes"),
        Db::Pg(p) => sqlx::query_as(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
             AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
             AND tablename <> '_sqlx_migrations'",
        )
        .fetch_all(p)
        .await
        .expect("postgres indexes"),
    };
    rows.into_iter().map(|(n,)| n).collect()
}

/// SQLite's FTS5 contact index: the virtual table (and the shadow tables
/// FTS5 makes for it, `contacts_fts_*`) and the stable row numbers it is
/// keyed by. And the audit log's purge gate (PostgreSQL uses a setting,
/// migration 0030).
fn sqlite_only_table(table: &str) -> bool {
    table == "audit_log_purge_gate"
        || table == "contact_search_rows"
        || table == "contacts_fts"
        || table.starts_with("contacts_fts_")
}

/// PostgreSQL's GIN trigram index over `contacts.search_text`.
const PG_ONLY_INDEXES: [&str; 2] = ["contacts_search_trgm_idx", "appointments_host_no_overlap"];

#[tokio::test]
async fn both_backends_have_the_same_tables_columns_and_indexes() {
    let sqlite = fresh_db_on(Backend::Sqlite).await;
    let pg = fresh_db_on(Backend::Postgres).await;
    let (mut sc, pc) = (columns(&sqlite.db).await, columns(&pg.db).await);
    let search: BTreeSet<String> = sc
        .iter()
        .filter(|(t, _)| sqlite_only_table(t))
        .map(|(t, _)| t.clone())
        .collect();
    assert!(
        search.contains("contacts_fts") && search.contains("contact_search_rows"),
        "the SQLite search index exists: {search:?}"
    );
    sc.retain(|(t, _)| !sqlite_only_table(t));
    assert!(sc.len() > 50, "schema looks empty: {sc:?}");
    let only_sqlite: Vec<_> = sc.difference(&pc).collect();
    let only_pg: Vec<_> = pc.difference(&sc).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in sqlite: {only_sqlite:?}; only in postgres: {only_pg:?}"
    );
    let mut pg_indexes = indexes(&pg.db).await;
    for name in PG_ONLY_INDEXES {
        assert!(pg_indexes.remove(name), "{name} exists on PostgreSQL");
    }
    assert_eq!(indexes(&sqlite.db).await, pg_indexes);
}

#[tokio::test]
async fn migration_files_have_identical_names() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |b: &str| -> BTreeSet<String> {
        std::fs::read_dir(dir.join(b))
            .expect("migration folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[tokio::test]
async fn migrating_twice_is_a_no_op_and_readiness_reflects_it() {
    let t = af_db::testing::fresh_db().await;
    assert!(t.db.is_ready().await);
    t.db.migrate().await.expect("second migrate");
    let (url, _dir) = af_db::testing::fresh_url_on(af_db::testing::test_backend()).await;
    let unmigrated = Db::connect(&url).await.expect("connect");
    assert!(
        !unmigrated.is_ready().await,
        "an unmigrated database is not ready"
    );
}
