//! CRM repositories on the backend chosen by `AF_TEST_BACKEND`: the upsert
//! rule, events with old/new values, tags, filters, pipelines and deal moves.

use af_core::contact::{Attribution, normalize_phone};
use af_core::{Actor, Locale, WorkspaceId};
use af_db::contacts::{self, ContactFilter, ContactInput, ContactPatch};
use af_db::deals::{self, NewDeal, Placement};
use af_db::testing::fresh_db;
use af_db::{Db, Ts, events, pipelines, workspaces};

fn now() -> Ts {
    Ts::new("2026-11-21T10:00:00Z".parse().expect("time"))
}

async fn workspace(db: &Db, slug: &str, locale: Locale) -> WorkspaceId {
    let mut tx = db.begin().await.expect("tx");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: slug.into(),
            name: slug.into(),
            time_zone: "America/Mexico_City".into(),
            locale,
            country: "MX".into(),
        },
        now(),
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

fn lead(first: &str, email: Option<&str>, phone: Option<&str>) -> ContactInput {
    ContactInput {
        first_name: first.into(),
        last_name: "Pérez".into(),
        email: email.map(str::to_string),
        phone: phone.map(|p| normalize_phone(p, "MX").expect("phone")),
        source: Some("landing".into()),
        ..Default::default()
    }
}

async fn upsert(db: &Db, ws: WorkspaceId, input: &ContactInput) -> contacts::Upserted {
    let mut tx = db.begin().await.expect("tx");
    let out = contacts::upsert_contact(&mut tx, ws, input, &Actor::system(), now())
        .await
        .expect("upsert");
    tx.commit().await.expect("commit");
    out
}

#[tokio::test]
async fn upsert_matches_by_email_then_phone_and_never_twins() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme", Locale::Es).await;
    let other = workspace(&t.db, "other", Locale::Es).await;

    let mut first = lead("Ana", Some("ana@example.com"), Some("8112345678"));
    first.attribution = Attribution {
        utm_source: Some("google".into()),
        utm_campaign: Some("spring".into()),
        ..Default::default()
    };
    first.tags = vec!["Webinar".into()];
    let a = upsert(&t.db, ws, &first).await;
    assert!(a.created);
    assert_eq!(a.contact.phone.as_deref(), Some("+528112345678"));

    // Same email, different case: the same contact, updated; first touch kept, last touch replaced.
    let mut again = lead("Ana María", Some("ANA@example.com"), None);
    again.company = Some("Acme".into());
    again.attribution = Attribution {
        utm_source: Some("facebook".into()),
        ..Default::default()
    };
    again.tags = vec!["webinar".into(), "Hot".into()];
    let b = upsert(&t.db, ws, &again).await;
    assert!(!b.created);
    assert_eq!(b.contact.id, a.contact.id);
    assert_eq!(b.contact.first_name, "Ana María");
    assert_eq!(
        b.contact.phone.as_deref(),
        Some("+528112345678"),
        "empty input never erases"
    );
    assert_eq!(b.contact.first_utm_source.as_deref(), Some("google"));
    assert_eq!(b.contact.last_utm_source.as_deref(), Some("facebook"));

    // No email, same phone written differently: still the same contact.
    let c = upsert(&t.db, ws, &lead("Ana", None, Some("81 1234 5678"))).await;
    assert_eq!(c.contact.id, a.contact.id);
    // Another workspace gets its own contact.
    let d = upsert(&t.db, other, &lead("Ana", Some("ana@example.com"), None)).await;
    assert!(d.created && d.contact.id != a.contact.id);
    assert_eq!(contacts::count_contacts(&t.db, ws).await.expect("count"), 1);

    let tags = contacts::tags_of(&t.db, ws, &[a.contact.id])
        .await
        .expect("tags");
    let names: Vec<_> = tags.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["Hot", "Webinar"],
        "tags are case-insensitive: no duplicate webinar"
    );

    let evs = events::list_events(&t.db, ws, 50).await.expect("events");
    let kinds: Vec<_> = evs.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "contact.created").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "tag.added").count(), 2);
    let updated = evs
        .iter()
        .rev()
        .find(|e| e.kind == "contact.updated")
        .expect("update event");
    let data: serde_json::Value = serde_json::from_str(&updated.data).expect("json");
    assert_eq!(data["old"]["first_name"], "Ana");
    assert_eq!(data["new"]["first_name"], "Ana María");
}

#[tokio::test]
async fn patches_write_only_what_changed_and_filters_find_contacts() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme", Locale::Es).await;
    for i in 0..30 {
        let mut c = lead(
            &format!("Lead{i}"),
            Some(&format!("lead{i}@example.com")),
            None,
        );
        c.company = Some(if i % 3 == 0 {
            "Grupo Bimbo".into()
        } else {
            "Otra".into()
        });
        c.source = Some(if i % 2 == 0 {
            "facebook".into()
        } else {
            "google".into()
        });
        if i % 5 == 0 {
            c.tags = vec!["VIP".into()];
        }
        upsert(&t.db, ws, &c).await;
    }
    let all = |f: ContactFilter| {
        let db = t.db.clone();
        async move {
            contacts::list_contacts(&db, ws, &f, None, 100)
                .await
                .expect("list")
        }
    };
    assert_eq!(all(ContactFilter::default()).await.len(), 30);
    assert_eq!(
        all(ContactFilter {
            q: Some("bimbo".into()),
            ..Default::default()
        })
        .await
        .len(),
        10
    );
    assert_eq!(
        all(ContactFilter {
            q: Some("LEAD1@".into()),
            ..Default::default()
        })
        .await
        .len(),
        1
    );
    assert_eq!(
        all(ContactFilter {
            q: Some("%".into()),
            ..Default::default()
        })
        .await
        .len(),
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(
        all(ContactFilter {
            tag: Some("vip".into()),
            ..Default::default()
        })
        .await
        .len(),
        6
    );
    assert_eq!(
        all(ContactFilter {
            source: Some("google".into()),
            tag: Some("VIP".into()),
            ..Default::default()
        })
        .await
        .len(),
        3
    );

    // Keyset pages cover everything exactly once.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let page = contacts::list_contacts(&t.db, ws, &ContactFilter::default(), cursor, 7)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        let last = page.last().expect("last");
        cursor = Some(contacts::Cursor {
            created_at: last.created_at,
            id: last.id.0,
        });
        for c in page {
            assert!(seen.insert(c.id), "duplicate across pages");
        }
    }
    assert_eq!(seen.len(), 30);

    let target = all(ContactFilter {
        q: Some("lead7@".into()),
        ..Default::default()
    })
    .await
    .remove(0);
    let before = events::list_events(&t.db, ws, 500)
        .await
        .expect("events")
        .len();
    let mut tx = t.db.begin().await.expect("tx");
    let same = ContactPatch {
        first_name: Some(target.first_name.clone()),
        ..Default::default()
    };
    contacts::update_contact(&mut tx, ws, target.id, &same, &Actor::system(), now())
        .await
        .expect("noop");
    let change = ContactPatch {
        company: Some(None),
        lifecycle: Some("customer".into()),
        ..Default::default()
    };
    let updated =
        contacts::update_contact(&mut tx, ws, target.id, &change, &Actor::system(), now())
            .await
            .expect("patch");
    tx.commit().await.expect("commit");
    assert_eq!(
        (updated.company, updated.lifecycle.as_str()),
        (None, "customer")
    );
    let evs = events::list_events(&t.db, ws, 500).await.expect("events");
    assert_eq!(evs.len(), before + 1, "a no-op edit writes no event");
    let data: serde_json::Value = serde_json::from_str(&evs[0].data).expect("json");
    assert_eq!(data["old"]["company"], "Otra");
    assert!(data["new"]["company"].is_null());
    assert!(
        data["new"].get("first_name").is_none(),
        "only changed fields"
    );
}

#[tokio::test]
async fn default_pipeline_and_deal_moves_with_stage_changed_events() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme", Locale::Es).await;
    let en = workspace(&t.db, "gringo", Locale::En).await;
    let ps = pipelines::list_pipelines(&t.db, ws)
        .await
        .expect("pipelines");
    assert_eq!(ps.len(), 1);
    let names: Vec<_> = ps[0].stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Contacto inicial",
            "Propuesta enviada",
            "Negociación",
            "Agendado",
            "Cerrado ganado",
            "Cerrado perdido"
        ]
    );
    assert!(ps[0].stages[3].is_booked);
    assert_eq!(
        pipelines::list_pipelines(&t.db, en).await.expect("p")[0].stages[0].name,
        "First contact"
    );

    let contact = upsert(&t.db, ws, &lead("Ana", Some("ana@example.com"), None))
        .await
        .contact;
    let mut tx = t.db.begin().await.expect("tx");
    let mk = |title: &str| NewDeal {
        contact_id: contact.id,
        pipeline_id: None,
        stage_id: None,
        title: title.into(),
        value_minor: 150_000,
        currency: "MXN".into(),
        owner_id: None,
    };
    let d1 = deals::insert_deal(&mut tx, ws, &mk("Sitio web"), &Actor::system(), now())
        .await
        .expect("deal");
    let d2 = deals::insert_deal(&mut tx, ws, &mk("SEO"), &Actor::system(), now())
        .await
        .expect("deal");
    let d3 = deals::insert_deal(&mut tx, ws, &mk("Ads"), &Actor::system(), now())
        .await
        .expect("deal");
    tx.commit().await.expect("commit");
    assert_eq!(
        d1.stage_id, ps[0].stages[0].id,
        "new deals start in the first stage"
    );

    let first = ps[0].stages[0].id;
    let cards = deals::list_cards(&t.db, ws, first, None, 10)
        .await
        .expect("cards");
    let order: Vec<_> = cards.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(order, ["Ads", "SEO", "Sitio web"], "newest on top");

    // Reorder within the column: Sitio web between Ads and SEO. No stage event.
    let mut tx = t.db.begin().await.expect("tx");
    let place = Placement {
        after: Some(d3.id),
        before: Some(d2.id),
    };
    let m = deals::move_deal(&mut tx, ws, d1.id, first, place, &Actor::system(), now())
        .await
        .expect("move");
    assert!(!m.stage_changed);
    // Move SEO to Agendado.
    let booked = ps[0].stages[3].id;
    let m = deals::move_deal(
        &mut tx,
        ws,
        d2.id,
        booked,
        Placement::default(),
        &Actor::system(),
        now(),
    )
    .await
    .expect("move");
    tx.commit().await.expect("commit");
    assert!(m.stage_changed);
    let cards = deals::list_cards(&t.db, ws, first, None, 10)
        .await
        .expect("cards");
    assert_eq!(
        cards.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["Ads", "Sitio web"]
    );
    let evs = events::list_events(&t.db, ws, 50).await.expect("events");
    let moved: Vec<_> = evs
        .iter()
        .filter(|e| e.kind == "deal.stage_changed")
        .collect();
    assert_eq!(moved.len(), 1);
    let data: serde_json::Value = serde_json::from_str(&moved[0].data).expect("json");
    assert_eq!(
        (data["from_stage"].as_str(), data["to_stage"].as_str()),
        (Some("Contacto inicial"), Some("Agendado"))
    );

    let totals = deals::stage_totals(&t.db, ws, ps[0].pipeline.id)
        .await
        .expect("totals");
    assert!(
        totals
            .iter()
            .any(|(s, cur, n, v)| *s == first && cur == "MXN" && *n == 2 && *v == 300_000)
    );

    // Another workspace's stage is not found; pages of a column continue after the cursor.
    let other_stage = pipelines::list_pipelines(&t.db, en).await.expect("p")[0].stages[1].id;
    let mut tx = t.db.begin().await.expect("tx");
    assert!(
        deals::move_deal(
            &mut tx,
            ws,
            d1.id,
            other_stage,
            Placement::default(),
            &Actor::system(),
            now()
        )
        .await
        .is_err()
    );
    drop(tx);
    let page1 = deals::list_cards(&t.db, ws, first, None, 1)
        .await
        .expect("p1");
    let after = page1.last().map(|c| (c.position, c.id.0));
    let page2 = deals::list_cards(&t.db, ws, first, after, 10)
        .await
        .expect("p2");
    assert_eq!(page2.len(), 1);
    assert_ne!(page1[0].id, page2[0].id);
}

/// `tags_of` answers only with the workspace's tags, whatever ids it is
/// given (it checks the workspace on the tag, see its comment).
#[tokio::test]
async fn tags_of_never_reads_another_workspace() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme", Locale::Es).await;
    let other = workspace(&t.db, "other", Locale::Es).await;
    let mut mine = lead("Ana", Some("ana@example.com"), None);
    mine.tags = vec!["VIP".into(), "Boda".into()];
    let mut theirs = lead("Eva", Some("eva@example.com"), None);
    theirs.tags = vec!["Ajena".into()];
    let mine = upsert(&t.db, ws, &mine).await.contact.id;
    let theirs = upsert(&t.db, other, &theirs).await.contact.id;
    let names = |found: Vec<(af_core::ContactId, String)>| -> Vec<String> {
        found.into_iter().map(|(_, n)| n).collect()
    };
    let both = contacts::tags_of(&t.db, ws, &[mine, theirs])
        .await
        .expect("tags");
    assert_eq!(
        names(both),
        ["Boda", "VIP"],
        "sorted, this workspace's only"
    );
    let none = contacts::tags_of(&t.db, ws, &[theirs]).await.expect("tags");
    assert!(none.is_empty());
    let own = contacts::tags_of(&t.db, other, &[theirs])
        .await
        .expect("tags");
    assert_eq!(names(own), ["Ajena"]);
}

/// The board's per-currency totals are answered from `deals_totals_idx`
/// alone (every column they read is in it): SQLite's plan names it as a
/// covering index, PostgreSQL's as an index-only scan. On PostgreSQL
/// sequential and bitmap scans are turned off for the check: on a table
/// this small a sequential scan is the right plan, and the question here
/// is whether the index can answer the query without the table.
#[tokio::test]
async fn board_totals_are_answered_from_the_covering_index() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme", Locale::Es).await;
    let pipeline = pipelines::list_pipelines(&t.db, ws)
        .await
        .expect("pipelines")[0]
        .pipeline
        .id;
    let contact = upsert(&t.db, ws, &lead("Ana", Some("ana@example.com"), None)).await;
    let mut tx = t.db.begin().await.expect("tx");
    for i in 0..20 {
        let deal = NewDeal {
            contact_id: contact.contact.id,
            pipeline_id: None,
            stage_id: None,
            title: format!("Deal {i}"),
            value_minor: 100_000 + i,
            currency: if i % 4 == 0 { "USD" } else { "MXN" }.into(),
            owner_id: None,
        };
        deals::insert_deal(&mut tx, ws, &deal, &Actor::system(), now())
            .await
            .expect("deal");
    }
    tx.commit().await.expect("commit");
    let explain =
        |prefix: &str| sqlx::AssertSqlSafe(format!("{prefix} {}", deals::STAGE_TOTALS_SQL));
    let plan = match &t.db {
        Db::Sqlite(p) => {
            let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(explain("EXPLAIN QUERY PLAN"))
                .bind(ws.0)
                .bind(pipeline.0)
                .fetch_all(p)
                .await
                .expect("explain");
            rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
        }
        Db::Pg(p) => {
            sqlx::query("VACUUM ANALYZE deals")
                .execute(p)
                .await
                .expect("vacuum");
            let mut c = p.begin().await.expect("tx");
            for set in [
                "SET LOCAL enable_seqscan = off",
                "SET LOCAL enable_bitmapscan = off",
            ] {
                sqlx::query(set).execute(&mut *c).await.expect("set");
            }
            let rows: Vec<String> = sqlx::query_scalar(explain("EXPLAIN"))
                .bind(ws.0)
                .bind(pipeline.0)
                .fetch_all(&mut *c)
                .await
                .expect("explain");
            rows.join("\n")
        }
    };
    let expected = match &t.db {
        Db::Sqlite(_) => "USING COVERING INDEX deals_totals_idx",
        Db::Pg(_) => "Index Only Scan using deals_totals_idx",
    };
    assert!(plan.contains(expected), "{plan}");
    let totals = deals::stage_totals(&t.db, ws, pipeline)
        .await
        .expect("totals");
    let count: i64 = totals.iter().map(|(_, _, n, _)| n).sum();
    assert_eq!(count, 20);
}
