//! The audit log's storage on the backend chosen by `AF_TEST_BACKEND`:
//! rows from a scope (one per transaction, not per event), append-only
//! triggers (UPDATE and DELETE refused, the purge allowed through its
//! gate, a deleted workspace takes its rows), keyset search with every
//! filter, the export's pages equal to the search, and tenant scoping.

use af_core::{Actor, WorkspaceId};
use af_db::audit::{self, AuditFilter, AuditScope, NewAudit, ScopeInfo};
use af_db::testing::{fresh_db, insert_lead, lead_input, pauta_workspace};
use af_db::{Db, Ts, with_pool, workspaces};
use futures::TryStreamExt;
use serde_json::json;

fn at(s: &str) -> Ts {
    Ts::new(s.parse().expect("time"))
}

fn now() -> Ts {
    at("2026-11-21T10:00:00Z")
}

fn scope(origin: &str) -> AuditScope {
    AuditScope::new(ScopeInfo {
        request_id: format!("req-{origin}"),
        origin: origin.into(),
        ip: Some("10.0.0.1".into()),
        default_actor: Actor::system(),
    })
}

async fn other_workspace(db: &Db) -> WorkspaceId {
    let mut tx = db.begin().await.expect("tx");
    let ws = workspaces::insert_workspace(
        &mut tx,
        &workspaces::NewWorkspace {
            slug: "otra".into(),
            name: "Otra".into(),
            time_zone: "UTC".into(),
            locale: af_core::Locale::En,
            country: "US".into(),
        },
        now(),
    )
    .await
    .expect("workspace");
    tx.commit().await.expect("commit");
    ws.id
}

async fn explicit(db: &Db, ws: WorkspaceId, action: &str, target: &str, when: Ts) {
    let actor = Actor::system();
    let mut tx = db.begin().await.expect("tx");
    audit::insert_audit(
        &mut tx,
        &NewAudit {
            workspace: Some(ws),
            actor: &actor,
            action,
            target_type: Some("contact"),
            target_id: Some(target.into()),
            result: "ok",
            details: json!({}),
            ip: None,
        },
        when,
    )
    .await
    .expect("audit");
    tx.commit().await.expect("commit");
}

async fn exec(db: &Db, sql: &str, ws: Option<WorkspaceId>) -> Result<u64, sqlx::Error> {
    with_pool!(db, p => {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(ws.map(|w| w.0))
            .execute(p)
            .await
            .map(|r| r.rows_affected())
    })
}

async fn count(db: &Db) -> i64 {
    with_pool!(db, p => {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log").fetch_one(p).await.expect("count")
    })
}

#[tokio::test]
async fn a_scoped_transaction_writes_one_row_with_its_changes_and_none_outside_a_scope() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await.id;
    let before = count(&t.db).await;
    // Outside a scope (a test, a migration): nothing.
    insert_lead(
        &t.db,
        ws,
        &lead_input("Ana", "Ruiz", Some("ana@x.mx"), None),
        now(),
    )
    .await;
    assert_eq!(count(&t.db).await, before);

    // Inside: one row for a transaction of many events.
    let db = t.db.clone();
    let s = scope("POST /contacts");
    s.clone()
        .run(async move {
            AuditScope::set_actor(Actor::system(), Some(ws));
            let mut tx = db.begin().await.expect("tx");
            for i in 0..25 {
                let input = lead_input("Lead", &format!("N{i}"), Some(&format!("l{i}@x.mx")), None);
                af_db::contacts::upsert_contact(&mut tx, ws, &input, &Actor::system(), now())
                    .await
                    .expect("lead");
            }
            tx.commit().await.expect("commit");
        })
        .await;
    assert_eq!(s.rows(), 1);
    let rows = audit::list_audit(&t.db, ws, 10).await.expect("list");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r.action, "contact.created");
    assert_eq!(r.request_id.as_deref(), Some("req-POST /contacts"));
    assert_eq!(r.origin.as_deref(), Some("POST /contacts"));
    assert_eq!(r.ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(r.contact_id, r.target_id);
    let d: serde_json::Value = serde_json::from_str(&r.details).expect("json");
    assert!(d["count"].as_u64().is_some_and(|n| n >= 25), "{d}");

    // An update records its before/after.
    let id = rows[0].target_id.clone().expect("id");
    let db = t.db.clone();
    scope("PATCH /api/v1/contacts/{id}")
        .run(async move {
            let mut tx = db.begin().await.expect("tx");
            let patch = af_db::contacts::ContactPatch {
                company: Some(Some("Nueva".into())),
                ..Default::default()
            };
            af_db::contacts::update_contact(
                &mut tx,
                ws,
                af_core::ContactId(id.parse().expect("uuid")),
                &patch,
                &Actor::system(),
                now(),
            )
            .await
            .expect("update");
            tx.commit().await.expect("commit");
        })
        .await;
    let rows = audit::list_audit(&t.db, ws, 10).await.expect("list");
    let upd = rows
        .iter()
        .find(|r| r.action == "contact.updated")
        .expect("update row");
    let ch: serde_json::Value =
        serde_json::from_str(upd.changes.as_deref().expect("changes")).expect("json");
    assert_eq!(ch["new"]["company"], "Nueva", "{ch}");
    assert_eq!(ch["old"]["company"], "Acme", "{ch}");

    // An explicit row in the request replaces the automatic one.
    let db = t.db.clone();
    let s = scope("POST /settings");
    s.clone()
        .run(async move {
            let mut tx = db.begin().await.expect("tx");
            insert_lead_in(&mut tx, ws).await;
            let actor = Actor::system();
            audit::insert_audit(
                &mut tx,
                &NewAudit {
                    workspace: Some(ws),
                    actor: &actor,
                    action: "settings.updated",
                    target_type: None,
                    target_id: None,
                    result: "ok",
                    details: json!({}),
                    ip: None,
                },
                now(),
            )
            .await
            .expect("audit");
            tx.commit().await.expect("commit");
        })
        .await;
    assert_eq!(s.rows(), 1);
    let rows = audit::list_audit(&t.db, ws, 10).await.expect("list");
    let set = rows
        .iter()
        .find(|r| r.action == "settings.updated")
        .expect("explicit");
    assert_eq!(
        set.request_id.as_deref(),
        Some("req-POST /settings"),
        "scope fills it"
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
}

async fn insert_lead_in(tx: &mut af_db::Tx, ws: WorkspaceId) {
    let input = lead_input("Eva", "Paz", Some("eva@x.mx"), None);
    af_db::contacts::upsert_contact(tx, ws, &input, &Actor::system(), now())
        .await
        .expect("lead");
}

#[tokio::test]
async fn the_log_is_append_only_but_the_purge_and_a_deleted_workspace_remove_rows() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await.id;
    let other = other_workspace(&t.db).await;
    explicit(&t.db, ws, "old.thing", "a", at("2025-01-01T00:00:00Z")).await;
    explicit(&t.db, ws, "new.thing", "b", now()).await;
    explicit(&t.db, other, "other.thing", "c", now()).await;

    for sql in [
        "UPDATE audit_log SET result = 'forged' WHERE workspace_id = $1",
        "DELETE FROM audit_log WHERE workspace_id = $1",
    ] {
        let err = exec(&t.db, sql, Some(ws)).await.expect_err("refused");
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let err = exec(
        &t.db,
        "UPDATE audit_log SET action = 'x' WHERE workspace_id IS NULL OR $1 IS NULL",
        None,
    )
    .await;
    // No row matched or refused: either way nothing changed.
    let _ = err;
    assert_eq!(count(&t.db).await, 3);

    // The purge (default 400 days) removes only the expired row.
    let purged = audit::purge_expired(&t.db, now()).await.expect("purge");
    assert_eq!(purged, 1);
    let left: Vec<String> = audit::list_audit(&t.db, ws, 10)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(left, ["new.thing"]);
    // The gate closed again: a plain delete is still refused.
    assert!(
        exec(
            &t.db,
            "DELETE FROM audit_log WHERE workspace_id = $1",
            Some(ws)
        )
        .await
        .is_err()
    );

    // A shorter retention, set by an owner (audited itself).
    let mut tx = t.db.begin().await.expect("tx");
    audit::set_retention_days(&mut tx, ws, 1, &Actor::system(), now())
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    assert_eq!(audit::retention_days(&t.db, ws).await.expect("days"), 1);
    let later = at("2026-11-23T10:00:00Z");
    assert_eq!(audit::purge_expired(&t.db, later).await.expect("purge"), 2);

    // Deleting a workspace cascades through the triggers.
    exec(&t.db, "DELETE FROM workspaces WHERE id = $1", Some(other))
        .await
        .expect("workspace deleted");
    assert_eq!(
        audit::list_audit(&t.db, other, 10)
            .await
            .expect("list")
            .len(),
        0
    );
}

#[tokio::test]
async fn keyset_search_filters_and_the_export_equals_it_within_one_workspace() {
    let t = fresh_db().await;
    let ws = pauta_workspace(&t.db, now()).await.id;
    let other = other_workspace(&t.db).await;
    for i in 0..30 {
        let when = Ts::new(now().0 + jiff::SignedDuration::from_mins(i));
        let action = if i % 3 == 0 {
            "contact.deleted"
        } else {
            "contact.updated"
        };
        explicit(&t.db, ws, action, &format!("c{}", i % 5), when).await;
        explicit(&t.db, other, action, &format!("c{}", i % 5), when).await;
    }
    // Pages of 7, newest first, no overlap, all 30.
    let f = AuditFilter::default();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = audit::search(&t.db, ws, &f, after, 7).await.expect("page");
        if page.is_empty() {
            break;
        }
        after = page.last().map(|e| (e.created_at, e.id));
        seen.extend(page);
    }
    assert_eq!(seen.len(), 30);
    assert!(seen.windows(2).all(|w| w[0].created_at > w[1].created_at));
    assert!(seen.iter().all(|e| e.workspace_id == Some(ws.0)));

    let f = AuditFilter {
        action: Some("contact.deleted".into()),
        ..Default::default()
    };
    assert_eq!(
        audit::search(&t.db, ws, &f, None, 100)
            .await
            .expect("s")
            .len(),
        10
    );
    let f = AuditFilter {
        entity_type: Some("contact".into()),
        entity_id: Some("c1".into()),
        ..Default::default()
    };
    assert_eq!(
        audit::search(&t.db, ws, &f, None, 100)
            .await
            .expect("s")
            .len(),
        6
    );
    let f = AuditFilter {
        actor: Some("system".into()),
        from: Some(Ts::new(now().0 + jiff::SignedDuration::from_mins(10))),
        to: Some(Ts::new(now().0 + jiff::SignedDuration::from_mins(20))),
        ..Default::default()
    };
    let window = audit::search(&t.db, ws, &f, None, 100).await.expect("s");
    assert_eq!(window.len(), 10);
    let f = AuditFilter {
        actor: Some(uuid::Uuid::now_v7().to_string()),
        ..Default::default()
    };
    assert!(
        audit::search(&t.db, ws, &f, None, 100)
            .await
            .expect("s")
            .is_empty()
    );

    // The export's pages are the search, in order.
    let all = audit::search(&t.db, ws, &AuditFilter::default(), None, 500)
        .await
        .expect("s");
    let exported: Vec<_> = audit::export_pages(t.db.clone(), ws, AuditFilter::default())
        .try_collect::<Vec<_>>()
        .await
        .expect("export")
        .concat();
    let ids = |v: &[audit::AuditEntry]| v.iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&exported), ids(&all));
    let text = String::from_utf8(audit::lines(&exported)).expect("utf8");
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("line")).expect("json line");
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
        "request_id",
        "ip",
        "changes",
    ] {
        assert!(first.get(k).is_some(), "{k} in {first}");
    }
    assert_eq!(text.lines().count(), 30);
}

#[test]
fn bounds_read_days_in_the_workspace_zone() {
    let from = audit::parse_bound("2026-12-01", "America/Santiago", false).expect("day");
    assert_eq!(from, at("2026-12-01T03:00:00Z"));
    let to = audit::parse_bound("2026-12-01", "America/Santiago", true).expect("day");
    assert_eq!(to, at("2026-12-02T03:00:00Z"));
    assert_eq!(
        audit::parse_bound("2026-12-01T10:00:00Z", "UTC", true),
        Some(at("2026-12-01T10:00:00Z"))
    );
    assert!(audit::parse_bound("ayer", "UTC", false).is_none());
}
