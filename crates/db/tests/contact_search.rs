//! Contact search on the backend chosen by `AF_TEST_BACKEND` (SQLite's
//! FTS5 trigram index, PostgreSQL's pg_trgm index): accents and case
//! either way, words as they are typed, phones in any format, email parts,
//! company, short queries, hostile search syntax, workspace scoping, the
//! index kept in step with edits and deletes, pages, and the backfill of
//! rows written before the index existed.

use af_core::contact::normalize_phone;
use af_core::{Actor, ContactId, Locale, WorkspaceId};
use af_db::contacts::{self, ContactFilter, ContactInput, ContactPatch, Cursor};
use af_db::testing::fresh_db;
use af_db::{Db, Ts, workspaces};
use std::collections::BTreeSet;

fn now() -> Ts {
    Ts::new("2026-11-21T10:00:00Z".parse().expect("time"))
}

async fn workspace(db: &Db, slug: &str) -> WorkspaceId {
    let mut tx = db.begin().await.expect("tx");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "America/Mexico_City".into(),
            locale: Locale::Es,
            country: "MX".into(),
        },
        now(),
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

fn person(
    first: &str,
    last: &str,
    email: Option<&str>,
    phone: Option<&str>,
    company: Option<&str>,
) -> ContactInput {
    ContactInput {
        first_name: first.into(),
        last_name: last.into(),
        email: email.map(str::to_string),
        phone: phone.map(|p| normalize_phone(p, "MX").expect("phone")),
        company: company.map(str::to_string),
        ..Default::default()
    }
}

async fn add(db: &Db, ws: WorkspaceId, input: &ContactInput) -> ContactId {
    let mut tx = db.begin().await.expect("tx");
    let out = contacts::upsert_contact(&mut tx, ws, input, &Actor::system(), now())
        .await
        .expect("upsert");
    tx.commit().await.expect("commit");
    out.contact.id
}

/// The ids `q` finds in `ws` (one page of 1000), checked against the
/// count of every page so the list and its total never disagree.
async fn find(db: &Db, ws: WorkspaceId, q: &str) -> BTreeSet<ContactId> {
    let f = ContactFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    let found = contacts::list_contacts(db, ws, &f, None, 1000)
        .await
        .unwrap_or_else(|e| panic!("{q:?} must search, not fail: {e}"));
    let count = contacts::count_matching(db, ws, &f)
        .await
        .unwrap_or_else(|e| panic!("{q:?} must count, not fail: {e}"));
    assert_eq!(found.len() as i64, count, "{q:?}: list and count agree");
    assert!(
        found.iter().all(|c| c.workspace_id == ws),
        "{q:?}: only this workspace"
    );
    found.into_iter().map(|c| c.id).collect()
}

struct People {
    ws: WorkspaceId,
    other_ws: WorkspaceId,
    lucia: ContactId,
    beto: ContactId,
    ana: ContactId,
    /// Lucía's twin in the other workspace (same name, email and phone).
    stranger: ContactId,
}

async fn people(db: &Db) -> People {
    let ws = workspace(db, "acme").await;
    let other_ws = workspace(db, "other").await;
    let lucia = add(
        db,
        ws,
        &person(
            "Lucía",
            "Pérez",
            Some("lucia.perez@ejemplo.mx"),
            Some("+52 55 8765 4321"),
            Some("Florería Norte"),
        ),
    )
    .await;
    let beto = add(
        db,
        ws,
        &person(
            "BETO",
            "PEREZ",
            Some("beto@cliente.mx"),
            Some("81 1234 5678"),
            Some("Acme \"Tools\" (MX)"),
        ),
    )
    .await;
    let ana = add(
        db,
        ws,
        &person(
            "Ana María",
            "García",
            Some("ana@otro.com"),
            None,
            Some("50% Off_Co"),
        ),
    )
    .await;
    let stranger = add(
        db,
        other_ws,
        &person(
            "Lucía",
            "Pérez",
            Some("lucia.perez@ejemplo.mx"),
            Some("+52 55 8765 4321"),
            Some("Florería Norte"),
        ),
    )
    .await;
    People {
        ws,
        other_ws,
        lucia,
        beto,
        ana,
        stranger,
    }
}

fn set<const N: usize>(ids: [ContactId; N]) -> BTreeSet<ContactId> {
    ids.into_iter().collect()
}

#[tokio::test]
async fn accents_and_case_are_ignored_both_ways() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    let both = set([p.lucia, p.beto]);
    for q in ["perez", "PÉREZ", "Pérez", "pérez", "PEREZ", "peréz"] {
        assert_eq!(find(&t.db, p.ws, q).await, both, "{q:?}");
    }
    for q in ["lucia", "Lucía", "LUCÍA", "lucía"] {
        assert_eq!(find(&t.db, p.ws, q).await, set([p.lucia]), "{q:?}");
    }
    assert_eq!(find(&t.db, p.ws, "garcia").await, set([p.ana]));
    assert_eq!(find(&t.db, p.ws, "Beto").await, set([p.beto]));
}

#[tokio::test]
async fn words_are_found_as_they_are_typed_and_in_any_order() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    for q in ["l", "lu", "luc", "lucí", "lucia", "Lucía P", "lucía pér"] {
        assert!(find(&t.db, p.ws, q).await.contains(&p.lucia), "{q:?}");
    }
    // Every word must appear, anywhere: "garcia ana" is Ana María García.
    assert_eq!(find(&t.db, p.ws, "garcia ana").await, set([p.ana]));
    assert_eq!(find(&t.db, p.ws, "maría GARC").await, set([p.ana]));
    assert_eq!(find(&t.db, p.ws, "perez lucia").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "perez beto").await, set([p.beto]));
    assert!(find(&t.db, p.ws, "lucia beto").await.is_empty());
    // The middle of a word, as LIKE '%q%' did before the index.
    assert_eq!(find(&t.db, p.ws, "uci").await, set([p.lucia]));
}

#[tokio::test]
async fn phones_are_found_however_they_are_typed() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    for q in [
        "55 8765",
        "+52 55-8765-4321",
        "5587654321",
        "(55) 8765 4321",
        "55.8765.4321",
        "8765",
        "525587654321",
        "4321",
    ] {
        assert_eq!(find(&t.db, p.ws, q).await, set([p.lucia]), "{q:?}");
    }
    assert_eq!(find(&t.db, p.ws, "81 1234").await, set([p.beto]));
    assert!(find(&t.db, p.ws, "55 9999").await.is_empty());
}

#[tokio::test]
async fn email_parts_and_company_are_found() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    for q in [
        "lucia.perez@ejemplo.mx",
        "LUCIA.PEREZ@",
        "@ejemplo",
        "ejemplo.mx",
        "perez@",
    ] {
        assert_eq!(find(&t.db, p.ws, q).await, set([p.lucia]), "{q:?}");
    }
    assert_eq!(find(&t.db, p.ws, "cliente.mx").await, set([p.beto]));
    assert_eq!(find(&t.db, p.ws, "florería").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "FLORERIA norte").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "acme").await, set([p.beto]));
}

#[tokio::test]
async fn one_and_two_character_queries_search_the_workspace() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    assert_eq!(find(&t.db, p.ws, "z").await, set([p.lucia, p.beto]));
    assert_eq!(find(&t.db, p.ws, "Z").await, set([p.lucia, p.beto]));
    assert_eq!(find(&t.db, p.ws, "lu").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "55").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "í").await, find(&t.db, p.ws, "i").await);
    // A short word beside a long one: both must appear.
    assert_eq!(find(&t.db, p.ws, "perez lu").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "lu perez").await, set([p.lucia]));
    assert!(find(&t.db, p.ws, "perez q").await.is_empty());
    // LIKE's wildcards are literal.
    assert_eq!(find(&t.db, p.ws, "%").await, set([p.ana]));
    assert_eq!(find(&t.db, p.ws, "_").await, set([p.ana]));
    assert_eq!(find(&t.db, p.ws, "50% off_").await, set([p.ana]));
    assert!(find(&t.db, p.ws, "5_%").await.is_empty());
}

#[tokio::test]
async fn search_syntax_typed_by_the_user_is_just_text() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    for q in [
        "\"",
        "\"\"",
        "\"\"\"",
        "*",
        "AND (",
        "-",
        "NEAR(",
        "NEAR(lucia perez, 2)",
        "lucia*",
        "^lucia",
        "search_text:lucia",
        "{search_text}: lucia",
        "lucia OR beto",
        "NOT lucia",
        "lucia AND",
        "(lucia",
        "lucia)",
        "'",
        "';--",
        "\\",
        "\\\"",
        "\0",
        "a\u{1}b",
        ":",
        "+",
        "+-",
        "((((((((((((((((",
    ] {
        // `find` panics on an error; most of these find nothing.
        find(&t.db, p.ws, q).await;
    }
    assert!(find(&t.db, p.ws, "lucia*").await.is_empty());
    assert!(find(&t.db, p.ws, "NEAR(").await.is_empty());
    assert!(find(&t.db, p.ws, "AND (").await.is_empty());
    // What the operators would have matched had they been syntax: nothing,
    // since the words "or" and "not" appear in no contact.
    assert!(find(&t.db, p.ws, "lucia OR beto").await.is_empty());
    assert!(find(&t.db, p.ws, "NOT lucia").await.is_empty());
    // Quotes and brackets are found where they are stored.
    assert_eq!(find(&t.db, p.ws, "\"").await, set([p.beto]));
    assert_eq!(find(&t.db, p.ws, "\"tools\"").await, set([p.beto]));
    assert_eq!(find(&t.db, p.ws, "(mx)").await, set([p.beto]));
    assert_eq!(find(&t.db, p.ws, "\"TOOLS\" (mx)").await, set([p.beto]));
}

#[tokio::test]
async fn another_workspace_is_never_searched() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    for q in ["lucia", "perez", "55 8765", "lu", "ejemplo.mx", "florería"] {
        let mine = find(&t.db, p.ws, q).await;
        assert!(!mine.contains(&p.stranger), "{q:?}");
        let theirs = find(&t.db, p.other_ws, q).await;
        assert_eq!(theirs, set([p.stranger]), "{q:?}");
    }
    assert!(find(&t.db, p.other_ws, "beto").await.is_empty());
    assert!(find(&t.db, p.other_ws, "garcia").await.is_empty());
}

/// SQLite: the FTS5 index has one row per contact, no more.
async fn index_rows_match_contacts(db: &Db) {
    let Db::Sqlite(pool) = db else { return };
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contact_search_rows")
        .fetch_one(pool)
        .await
        .expect("rows");
    let indexed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts_fts")
        .fetch_one(pool)
        .await
        .expect("fts rows");
    let contacts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts")
        .fetch_one(pool)
        .await
        .expect("contacts");
    assert_eq!((rows, indexed), (contacts, contacts));
}

#[tokio::test]
async fn edits_and_deletes_keep_the_index_in_step() {
    let t = fresh_db().await;
    let p = people(&t.db).await;
    index_rows_match_contacts(&t.db).await;

    let mut tx = t.db.begin().await.expect("tx");
    let patch = ContactPatch {
        last_name: Some("Núñez".into()),
        email: Some(Some("lucia@nuevo.mx".into())),
        phone: Some(Some(normalize_phone("33 1111 2222", "MX").expect("phone"))),
        ..Default::default()
    };
    contacts::update_contact(&mut tx, p.ws, p.lucia, &patch, &Actor::system(), now())
        .await
        .expect("edit");
    tx.commit().await.expect("commit");
    assert_eq!(find(&t.db, p.ws, "perez").await, set([p.beto]));
    assert_eq!(find(&t.db, p.ws, "nunez").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "lucia NÚÑEZ").await, set([p.lucia]));
    assert!(find(&t.db, p.ws, "8765").await.is_empty());
    assert_eq!(find(&t.db, p.ws, "33 1111").await, set([p.lucia]));
    assert_eq!(find(&t.db, p.ws, "nuevo.mx").await, set([p.lucia]));
    index_rows_match_contacts(&t.db).await;

    let mut tx = t.db.begin().await.expect("tx");
    contacts::delete_contact(&mut tx, p.ws, p.lucia, &Actor::system(), now())
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    assert!(find(&t.db, p.ws, "lucia").await.is_empty());
    assert_eq!(find(&t.db, p.other_ws, "lucia").await, set([p.stranger]));
    index_rows_match_contacts(&t.db).await;

    // A workspace's contacts leave the index with it (cascade delete).
    let wipe = "DELETE FROM workspaces WHERE id = $1";
    match &t.db {
        Db::Sqlite(pool) => {
            sqlx::query(wipe)
                .bind(p.other_ws.0)
                .execute(pool)
                .await
                .expect("wipe");
        }
        Db::Pg(pool) => {
            sqlx::query(wipe)
                .bind(p.other_ws.0)
                .execute(pool)
                .await
                .expect("wipe");
        }
    }
    index_rows_match_contacts(&t.db).await;
    assert_eq!(find(&t.db, p.ws, "perez").await, set([p.beto]));
}

#[tokio::test]
async fn search_results_page_newest_first_with_the_cursor() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let mut made = Vec::new();
    for i in 0..23 {
        let last = if i % 2 == 0 { "Pérez" } else { "Gómez" };
        let email = format!("p{i}@ejemplo.mx");
        made.push((
            i,
            add(&t.db, ws, &person("Lucía", last, Some(&email), None, None)).await,
        ));
    }
    let f = ContactFilter {
        q: Some("lucia perez".into()),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = contacts::list_contacts(&t.db, ws, &f, cursor, 5)
            .await
            .expect("page");
        let Some(last) = page.last() else { break };
        cursor = Some(Cursor {
            created_at: last.created_at,
            id: last.id.0,
        });
        seen.extend(page.iter().map(|c| (c.created_at, c.id)));
    }
    // All created at the same instant: newest first means ids descending.
    let mut expected: Vec<_> = made
        .iter()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, id)| (now(), *id))
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected);
    assert_eq!(
        contacts::count_matching(&t.db, ws, &f)
            .await
            .expect("count"),
        12
    );
    // Beside another filter: p1@, p10@ .. p19@ were created at `now`.
    let from = |created_from, created_to| ContactFilter {
        q: Some("P1".into()),
        created_from,
        created_to,
        ..Default::default()
    };
    for (f, n) in [(from(Some(now()), None), 11), (from(None, Some(now())), 0)] {
        let page = contacts::list_contacts(&t.db, ws, &f, None, 50)
            .await
            .expect("list");
        assert_eq!(page.len(), n);
        assert_eq!(
            contacts::count_matching(&t.db, ws, &f)
                .await
                .expect("count"),
            n as i64
        );
    }
}

/// Rows written before migration 0016 hold lower-cased text with accents;
/// the backfill that migration leaves to Rust folds them.
#[tokio::test]
async fn the_backfill_folds_rows_written_before_the_index() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let lucia = add(
        &t.db,
        ws,
        &person("Lucía", "Pérez", Some("LP@ejemplo.mx"), None, None),
    )
    .await;
    // More rows than one batch (500) and one statement (100) of the backfill.
    let mut tx = t.db.begin().await.expect("tx");
    for i in 0..619 {
        let input = person(&format!("Ñandú{i}"), "Díaz", None, None, None);
        contacts::upsert_contact(&mut tx, ws, &input, &Actor::system(), now())
            .await
            .expect("upsert");
    }
    tx.commit().await.expect("commit");
    let old_text = "lucía pérez lp@ejemplo.mx  ";
    let set_old = "UPDATE contacts SET search_text = $1";
    let pending = "INSERT INTO pending_backfills (name) VALUES ('contacts.search_text.folded')";
    match &t.db {
        Db::Sqlite(pool) => {
            sqlx::query(set_old)
                .bind(old_text)
                .execute(pool)
                .await
                .expect("old");
            sqlx::query(pending).execute(pool).await.expect("pending");
        }
        Db::Pg(pool) => {
            sqlx::query(set_old)
                .bind(old_text)
                .execute(pool)
                .await
                .expect("old");
            sqlx::query(pending).execute(pool).await.expect("pending");
        }
    }
    // The query is folded, the old text is not: no match until the backfill.
    assert!(find(&t.db, ws, "perez").await.is_empty(), "not folded yet");

    assert!(find(&t.db, ws, "nandu").await.is_empty(), "not folded yet");
    t.db.migrate().await.expect("migrate runs the backfill");
    assert_eq!(find(&t.db, ws, "perez").await, set([lucia]));
    assert_eq!(find(&t.db, ws, "NANDU diaz").await.len(), 619);
    assert_eq!(find(&t.db, ws, "ñandú618").await.len(), 1);
    assert_eq!(find(&t.db, ws, "pérez").await, set([lucia]));
    let left: i64 = match &t.db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM pending_backfills")
            .fetch_one(pool)
            .await
            .expect("left"),
        Db::Pg(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM pending_backfills")
            .fetch_one(pool)
            .await
            .expect("left"),
    };
    assert_eq!(left, 0, "the backfill runs once");
    index_rows_match_contacts(&t.db).await;
}
