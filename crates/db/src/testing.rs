//! Fresh, migrated databases for tests: a new SQLite file in a temp folder,
//! or a new database on the PostgreSQL server, per test, so tests run in
//! parallel without sharing state.
//!
//! `AF_TEST_BACKEND=sqlite|postgres` picks the backend (default sqlite);
//! `AF_TEST_PG_URL` is the server (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Test databases are named
//! `af_test_*`; `.ci/run` drops leftovers.

use crate::{Backend, Db};
use sqlx::Connection;

/// A migrated database that lives as long as this value (the SQLite file's
/// folder is removed on drop).
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The backend chosen by `AF_TEST_BACKEND`.
pub fn test_backend() -> Backend {
    match std::env::var("AF_TEST_BACKEND").as_deref() {
        Ok("postgres") | Ok("pg") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

fn pg_server_url() -> String {
    std::env::var("AF_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh migrated database on the backend chosen by `AF_TEST_BACKEND`.
pub async fn fresh_db() -> TestDb {
    fresh_db_on(test_backend()).await
}

/// A fresh unmigrated database URL on `backend` (and the temp folder that
/// holds a SQLite file).
pub async fn fresh_url_on(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let server = pg_server_url();
            let name = format!("af_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&server).await.expect(
                "PostgreSQL reachable at AF_TEST_PG_URL (start it, or use AF_TEST_BACKEND=sqlite)",
            );
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), None)
        }
    }
}

/// A fresh migrated database on `backend`.
pub async fn fresh_db_on(backend: Backend) -> TestDb {
    let (url, dir) = fresh_url_on(backend).await;
    let db = Db::connect(&url).await.expect("connect to test database");
    db.migrate().await.expect("migrate test database");
    TestDb { db, url, _dir: dir }
}

/// The engine suites' workspace: PAUTA (`pauta`), Spanish, Mexico City, with
/// the default pipeline.
pub async fn pauta_workspace(db: &Db, now: crate::Ts) -> crate::workspaces::Workspace {
    new_workspace(db, "pauta", "PAUTA", now).await
}

/// A Spanish, Mexican workspace (Mexico City time) with the default
/// pipeline, named and slugged `slug`.
pub async fn workspace_named(db: &Db, slug: &str, now: crate::Ts) -> crate::workspaces::Workspace {
    new_workspace(db, slug, slug, now).await
}

async fn new_workspace(
    db: &Db,
    slug: &str,
    name: &str,
    now: crate::Ts,
) -> crate::workspaces::Workspace {
    let locale = af_core::Locale::Es;
    let mut tx = db.begin().await.expect("tx");
    let ws = crate::workspaces::insert_workspace(
        &mut tx,
        &crate::workspaces::NewWorkspace {
            slug: slug.into(),
            name: name.into(),
            time_zone: "America/Mexico_City".into(),
            locale,
            country: "MX".into(),
        },
        now,
    )
    .await
    .expect("workspace");
    crate::pipelines::insert_default_pipeline(&mut tx, ws.id, locale, now)
        .await
        .expect("pipeline");
    tx.commit().await.expect("commit");
    ws
}

/// Moves a workspace to another zone (what its settings page does).
pub async fn set_time_zone(db: &Db, ws: af_core::WorkspaceId, zone: &str) {
    crate::with_pool!(db, p => {
        sqlx::query("UPDATE workspaces SET time_zone = $1 WHERE id = $2")
            .bind(zone)
            .bind(ws.0)
            .execute(p)
            .await
            .expect("zone");
    });
}

/// A new user who is a member of `ws` with `role`.
pub async fn insert_member(
    db: &Db,
    ws: af_core::WorkspaceId,
    email: &str,
    role: af_core::Role,
) -> af_core::UserId {
    let now = crate::Ts::new(jiff::Timestamp::UNIX_EPOCH);
    let mut tx = db.begin().await.expect("tx");
    let user = crate::users::insert_user(&mut tx, email, email, "x", now)
        .await
        .expect("user");
    crate::workspaces::upsert_membership(&mut tx, ws, user.id, role, now)
        .await
        .expect("membership");
    tx.commit().await.expect("commit");
    user.id
}

/// Makes an existing user a member of `ws` too.
pub async fn add_member(
    db: &Db,
    ws: af_core::WorkspaceId,
    user: af_core::UserId,
    role: af_core::Role,
) {
    let now = crate::Ts::new(jiff::Timestamp::UNIX_EPOCH);
    let mut tx = db.begin().await.expect("tx");
    crate::workspaces::upsert_membership(&mut tx, ws, user, role, now)
        .await
        .expect("membership");
    tx.commit().await.expect("commit");
}

/// A contact as a form would send it (company Acme, nothing else set).
pub fn lead_input(
    first: &str,
    last: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> crate::contacts::ContactInput {
    crate::contacts::ContactInput {
        first_name: first.into(),
        last_name: last.into(),
        email: email.map(str::to_string),
        phone: phone.map(str::to_string),
        company: Some("Acme".into()),
        source: None,
        owner_id: None,
        lifecycle: None,
        attribution: Default::default(),
        tags: vec![],
        custom: Default::default(),
    }
}

/// Upserts `input` as the system, in its own transaction (what a form or
/// the lead API does): the contact's id.
pub async fn insert_lead(
    db: &Db,
    ws: af_core::WorkspaceId,
    input: &crate::contacts::ContactInput,
    now: crate::Ts,
) -> af_core::ContactId {
    let mut tx = db.begin().await.expect("tx");
    let c = crate::contacts::upsert_contact(&mut tx, ws, input, &af_core::Actor::system(), now)
        .await
        .expect("lead");
    tx.commit().await.expect("commit");
    c.contact.id
}
