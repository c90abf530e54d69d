//! The bell's storage on the backend chosen by `AF_TEST_BACKEND`: push
//! honours preferences (no row, an email job), the unread count, keyset
//! pages, mark one / all, live events after commit, the digest's
//! once-per-local-date queueing, and that nobody reads another member's or
//! workspace's notifications.

use af_core::vocab::NotificationKind;
use af_core::{Locale, Role, UserId, WorkspaceId};
use af_db::live::{self, Recv};
use af_db::notifications::{self as n, NewNotification, Preference, digest};
use af_db::testing::fresh_db;
use af_db::{Db, Ts, with_pool, workspaces};
use serde_json::json;

fn at(s: &str) -> Ts {
    Ts::new(s.parse().expect("time"))
}

fn now() -> Ts {
    at("2026-11-21T10:00:00Z")
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

async fn member(db: &Db, ws: WorkspaceId, email: &str) -> UserId {
    let mut tx = db.begin().await.expect("tx");
    let u = af_db::users::insert_user(&mut tx, email, email, "x", now())
        .await
        .expect("user");
    workspaces::upsert_membership(&mut tx, ws, u.id, Role::Member, now())
        .await
        .expect("membership");
    tx.commit().await.expect("commit");
    u.id
}

fn alert(ws: WorkspaceId, user: UserId, i: u32) -> NewNotification {
    NewNotification {
        workspace_id: ws,
        user_id: user,
        kind: NotificationKind::RetentionAlertAssigned,
        params: json!({"alert_id": format!("a{i}"), "contact_id": "c", "contact_name": "Ana", "risk": 70, "type": "no_attendance"}),
        link: format!("/contacts/retention?alert=a{i}"),
    }
}

async fn push(db: &Db, nn: &NewNotification, when: Ts) -> Option<af_core::NotificationId> {
    let mut tx = db.begin().await.expect("tx");
    let id = n::push(&mut tx, nn, when).await.expect("push");
    tx.commit().await.expect("commit");
    id
}

async fn email_jobs(db: &Db) -> i64 {
    with_pool!(db, p => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE kind = 'notification_email'")
            .fetch_one(p).await.expect("count")
    })
}

#[tokio::test]
async fn push_counts_pages_and_marks_read_per_member() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let other_ws = workspace(&t.db, "other").await;
    let ana = member(&t.db, ws, "ana@acme.test").await;
    let luis = member(&t.db, ws, "luis@acme.test").await;

    let mut ids = Vec::new();
    for i in 0..5 {
        let when = Ts::new(now().0 + jiff::SignedDuration::from_mins(i64::from(i)));
        ids.push(push(&t.db, &alert(ws, ana, i), when).await.expect("a row"));
    }
    push(&t.db, &alert(ws, luis, 9), now())
        .await
        .expect("luis's");
    // A user of another workspace gets nothing there.
    assert_eq!(push(&t.db, &alert(other_ws, ana, 1), now()).await, None);

    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 5);
    assert_eq!(n::unread_count(&t.db, ws, luis).await.expect("count"), 1);
    assert_eq!(
        n::unread_count(&t.db, other_ws, ana).await.expect("count"),
        0
    );

    // Newest first, in keyset pages of two.
    let first = n::list(&t.db, ws, ana, false, None, 2).await.expect("page");
    assert_eq!(
        first.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![ids[4], ids[3]]
    );
    let last = first.last().expect("row");
    let second = n::list(&t.db, ws, ana, false, Some((last.created_at, last.id)), 2)
        .await
        .expect("page");
    assert_eq!(
        second.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    assert_eq!(first[0].kind, NotificationKind::RetentionAlertAssigned);
    assert_eq!(first[0].params_json()["risk"], 70);
    assert_eq!(first[0].link, "/contacts/retention?alert=a4");

    // Marking another member's notification changes nothing.
    let luis_row = n::latest(&t.db, ws, luis, 10).await.expect("luis")[0].id;
    assert_eq!(
        n::mark_read(&t.db, ws, ana, &[luis_row], now())
            .await
            .expect("mark"),
        0
    );
    assert!(
        n::find(&t.db, ws, ana, luis_row)
            .await
            .expect("find")
            .is_none()
    );

    assert_eq!(
        n::mark_read(&t.db, ws, ana, &[ids[0]], now())
            .await
            .expect("mark"),
        1
    );
    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 4);
    let unread = n::list(&t.db, ws, ana, true, None, 10)
        .await
        .expect("unread");
    assert_eq!(unread.len(), 4);
    assert!(!unread.iter().any(|x| x.id == ids[0]));

    assert_eq!(
        n::mark_all_read(&t.db, ws, ana, now()).await.expect("all"),
        4
    );
    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 0);
    assert_eq!(
        n::mark_all_read(&t.db, ws, ana, now())
            .await
            .expect("again"),
        0
    );
    assert_eq!(n::unread_count(&t.db, ws, luis).await.expect("count"), 1);
}

#[tokio::test]
async fn preferences_decide_on_the_server() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let ana = member(&t.db, ws, "ana@acme.test").await;

    // Defaults: in the app, not by email.
    let prefs = n::preferences(&t.db, ws, ana).await.expect("prefs");
    assert_eq!(prefs.len(), NotificationKind::ALL.len());
    assert!(prefs.iter().all(|p| p.in_app && !p.email));
    assert!(push(&t.db, &alert(ws, ana, 1), now()).await.is_some());
    assert_eq!(email_jobs(&t.db).await, 0);

    // By email too: a row and an email job in the same transaction.
    let mut tx = t.db.begin().await.expect("tx");
    let p = Preference {
        kind: NotificationKind::RetentionAlertAssigned,
        in_app: true,
        email: true,
    };
    n::set_preferences(&mut tx, ws, ana, &[p], now())
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    assert!(push(&t.db, &alert(ws, ana, 2), now()).await.is_some());
    assert_eq!(email_jobs(&t.db).await, 1);

    // A rolled-back push leaves neither.
    let mut tx = t.db.begin().await.expect("tx");
    n::push(&mut tx, &alert(ws, ana, 3), now())
        .await
        .expect("push");
    tx.rollback().await.expect("rollback");
    assert_eq!(email_jobs(&t.db).await, 1);
    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 2);

    // Off in the app, still by email: no row, an email.
    let mut tx = t.db.begin().await.expect("tx");
    let p = Preference { in_app: false, ..p };
    n::set_preferences(&mut tx, ws, ana, &[p], now())
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    assert_eq!(push(&t.db, &alert(ws, ana, 4), now()).await, None);
    assert_eq!(email_jobs(&t.db).await, 2);

    // Off everywhere: nothing at all.
    let mut tx = t.db.begin().await.expect("tx");
    let p = Preference { email: false, ..p };
    n::set_preferences(&mut tx, ws, ana, &[p], now())
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    assert_eq!(push(&t.db, &alert(ws, ana, 5), now()).await, None);
    assert_eq!(email_jobs(&t.db).await, 2);
    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 2);

    // Other kinds keep their defaults.
    let prefs = n::preferences(&t.db, ws, ana).await.expect("prefs");
    let task = prefs
        .iter()
        .find(|p| p.kind == NotificationKind::TaskAssigned)
        .expect("task");
    assert!(task.in_app && !task.email);
}

#[tokio::test]
async fn keyed_pushes_happen_once_and_links_stay_inside() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let ana = member(&t.db, ws, "ana@acme.test").await;
    let mut odd = alert(ws, ana, 1);
    odd.link = "https://evil.example/".into();
    for _ in 0..2 {
        let mut tx = t.db.begin().await.expect("tx");
        n::push_keyed(&mut tx, &odd, "event:1", now())
            .await
            .expect("push");
        tx.commit().await.expect("commit");
    }
    let rows = n::latest(&t.db, ws, ana, 10).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].link, "/notifications");
    assert!(n::is_internal_link("/contacts/retention?alert=1"));
    for bad in [
        "//evil.example",
        "https://x",
        "javascript:alert(1)",
        "/\\evil",
    ] {
        assert!(!n::is_internal_link(bad), "{bad}");
    }
}

#[tokio::test]
async fn subscribers_hear_a_push_after_commit_only() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let ana = member(&t.db, ws, "ana@acme.test").await;
    let mut sub = live::subscribe(&t.db).await.expect("subscribe");

    let mut tx = t.db.begin().await.expect("tx");
    n::push(&mut tx, &alert(ws, ana, 1), now())
        .await
        .expect("push");
    tx.rollback().await.expect("rollback");
    push(&t.db, &alert(ws, ana, 2), now()).await.expect("row");

    let got = tokio::time::timeout(std::time::Duration::from_secs(10), sub.recv())
        .await
        .expect("an event");
    match got {
        Recv::Notification(ev) => {
            assert_eq!((ev.workspace_id, ev.user_id), (ws, ana));
        }
        other => panic!("expected a notification event, got {other:?}"),
    }
    // The rolled-back push published nothing: the next event is the mark.
    n::mark_all_read(&t.db, ws, ana, now()).await.expect("mark");
    let got = tokio::time::timeout(std::time::Duration::from_secs(10), sub.recv())
        .await
        .expect("an event");
    assert!(matches!(got, Recv::Notification(_)), "{got:?}");
    assert_eq!(n::unread_count(&t.db, ws, ana).await.expect("count"), 0);
}

#[tokio::test]
async fn digests_are_queued_once_per_member_and_local_date() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await; // America/Mexico_City, UTC-6
    let ana = member(&t.db, ws, "ana@acme.test").await;
    let luis = member(&t.db, ws, "luis@acme.test").await;
    let mut tx = t.db.begin().await.expect("tx");
    n::set_daily_digest(&mut tx, ws, ana, true, now())
        .await
        .expect("on");
    n::set_daily_digest(&mut tx, ws, luis, false, now())
        .await
        .expect("off");
    tx.commit().await.expect("commit");
    assert!(n::daily_digest(&t.db, ws, ana).await.expect("ana"));
    assert!(!n::daily_digest(&t.db, ws, luis).await.expect("luis"));

    // 06:30 local: not yet.
    assert_eq!(
        digest::queue_due(&t.db, at("2026-11-21T12:30:00Z"))
            .await
            .expect("q"),
        0
    );
    // 07:10 local: Ana's, once however often the check runs.
    assert_eq!(
        digest::queue_due(&t.db, at("2026-11-21T13:10:00Z"))
            .await
            .expect("q"),
        1
    );
    assert_eq!(
        digest::queue_due(&t.db, at("2026-11-21T14:10:00Z"))
            .await
            .expect("q"),
        0
    );
    // 23:30 local is still the same local date.
    assert_eq!(
        digest::queue_due(&t.db, at("2026-11-22T05:30:00Z"))
            .await
            .expect("q"),
        0
    );
    // The next morning: again.
    assert_eq!(
        digest::queue_due(&t.db, at("2026-11-22T13:10:00Z"))
            .await
            .expect("q"),
        1
    );
    let jobs: Vec<String> = with_pool!(&t.db, p => {
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'send_digest' ORDER BY created_at")
            .fetch_all(p).await.expect("jobs")
    });
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs[0].contains("2026-11-21") && jobs[1].contains("2026-11-22"),
        "{jobs:?}"
    );
    assert!(jobs.iter().all(|j| j.contains(&ana.to_string())));
}

/// The plan of the bell's count and of the dropdown's page: the partial
/// unread index and the list index, never a scan of the table.
#[tokio::test]
async fn the_unread_count_and_the_list_walk_their_indexes() {
    let t = fresh_db().await;
    let ws = workspace(&t.db, "acme").await;
    let ana = member(&t.db, ws, "ana@acme.test").await;
    for i in 0..50 {
        push(&t.db, &alert(ws, ana, i), now()).await.expect("row");
    }
    let count = "SELECT COUNT(*) FROM notifications WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL";
    let list = "SELECT id FROM notifications WHERE workspace_id = $1 AND user_id = $2
                AND (created_at < $3 OR (created_at = $3 AND id < $4)) ORDER BY created_at DESC, id DESC LIMIT 10";
    let plans: Vec<String> = match &t.db {
        Db::Sqlite(p) => {
            let mut out = Vec::new();
            for sql in [count, list] {
                let rows: Vec<(i64, i64, i64, String)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                        .bind(ws.0)
                        .bind(ana.0)
                        .bind(now())
                        .bind(uuid::Uuid::max())
                        .fetch_all(p)
                        .await
                        .expect("plan");
                out.push(rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("; "));
            }
            out
        }
        Db::Pg(p) => {
            let mut out = Vec::new();
            for sql in [count, list] {
                let mut tx = p.begin().await.expect("tx");
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await
                    .expect("set");
                let mut q =
                    sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                        .bind(ws.0)
                        .bind(ana.0);
                if sql == list {
                    q = q.bind(now()).bind(uuid::Uuid::max());
                }
                let rows = q.fetch_all(&mut *tx).await.expect("plan");
                out.push(rows.join("; "));
            }
            out
        }
    };
    assert!(
        plans[0].contains("notifications_unread_idx"),
        "count: {}",
        plans[0]
    );
    assert!(
        plans[1].contains("notifications_list_idx"),
        "list: {}",
        plans[1]
    );
    assert!(
        !plans[1].to_uppercase().contains("TEMP B-TREE"),
        "list sorts nothing: {}",
        plans[1]
    );
}
