//! Round trips through the repositories on the backend chosen by
//! `AF_TEST_BACKEND`, including the portable-SQL edge cases (timestamps,
//! uuids, unique violations, the job queue claim).

use af_core::{Actor, Locale, Role};
use af_db::testing::fresh_db;
use af_db::{Ts, jobs, users, workspaces};
use jiff::{SignedDuration, Timestamp};

fn t(s: &str) -> Ts {
    Ts::new(s.parse::<Timestamp>().expect("valid time"))
}

fn acme() -> workspaces::NewWorkspace {
    workspaces::NewWorkspace {
        slug: "acme".into(),
        name: "Acme".into(),
        time_zone: "America/Mexico_City".into(),
        locale: Locale::Es,
        country: "MX".into(),
    }
}

#[tokio::test]
async fn workspace_and_user_round_trip_with_unique_violations_named() {
    let t0 = t("2026-11-21T10:00:00.123456Z");
    let tdb = fresh_db().await;
    let db = &tdb.db;
    let mut tx = db.begin().await.expect("begin");
    let ws = workspaces::insert_workspace(&mut tx, &acme(), t0)
        .await
        .expect("insert ws");
    let user = users::insert_user(&mut tx, "Ana@Example.com", "Ana", "hash", t0)
        .await
        .expect("insert user");
    workspaces::upsert_membership(&mut tx, ws.id, user.id, Role::Owner, t0)
        .await
        .expect("membership");
    tx.commit().await.expect("commit");

    assert_eq!(
        ws.created_at, t0,
        "microsecond timestamps survive a round trip"
    );
    let found = users::find_user_by_email(db, "ana@EXAMPLE.com")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(found.id, user.id);
    assert!(
        !format!("{found:?}").contains("hash\""),
        "password hash never in Debug"
    );
    assert_eq!(
        workspaces::find_membership_role(db, ws.id, user.id)
            .await
            .expect("role"),
        Some(Role::Owner)
    );
    assert_eq!(
        workspaces::list_workspaces_for_user(db, user.id)
            .await
            .expect("list")
            .len(),
        1
    );

    let mut tx = db.begin().await.expect("begin");
    let err = workspaces::insert_workspace(&mut tx, &acme(), t0)
        .await
        .expect_err("duplicate slug");
    assert!(
        err.is_unique_on("workspaces", "slug"),
        "{err:?} -> {:?}",
        err.unique_violation()
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    let err = users::insert_user(&mut tx, "ANA@example.com", "Ana 2", "h", t0)
        .await
        .expect_err("duplicate email");
    assert!(
        err.is_unique_on("users", "email_key"),
        "{:?}",
        err.unique_violation()
    );
}

#[tokio::test]
async fn rolled_back_transaction_leaves_no_job_and_dedupe_holds() {
    let now = t("2026-11-21T10:00:00Z");
    let tdb = fresh_db().await;
    let db = &tdb.db;

    let mut tx = db.begin().await.expect("begin");
    jobs::enqueue(
        &mut tx,
        &jobs::NewJob::new("noop", serde_json::json!({}), now),
        now,
    )
    .await
    .expect("enqueue");
    tx.rollback().await.expect("rollback");
    assert!(
        jobs::count_jobs_by_state(db)
            .await
            .expect("count")
            .is_empty()
    );

    let mut tx = db.begin().await.expect("begin");
    let mut job = jobs::NewJob::new("noop", serde_json::json!({"n": 1}), now);
    job.dedupe_key = Some("k1".into());
    assert!(
        jobs::enqueue(&mut tx, &job, now)
            .await
            .expect("enqueue")
            .is_some()
    );
    assert!(
        jobs::enqueue(&mut tx, &job, now)
            .await
            .expect("enqueue")
            .is_none(),
        "deduped while pending"
    );
    let mut later = jobs::NewJob::new(
        "noop",
        serde_json::json!({}),
        Ts::new(now.0 + SignedDuration::from_hours(1)),
    );
    later.priority = 1;
    jobs::enqueue(&mut tx, &later, now)
        .await
        .expect("enqueue later");
    tx.commit().await.expect("commit");

    let lease = Ts::new(now.0 + SignedDuration::from_secs(30));
    let claimed = jobs::claim_due_jobs(db, "w1", 10, now, lease)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "only the due job is claimed");
    assert_eq!(claimed[0].attempts, 1);
    assert!(
        jobs::claim_due_jobs(db, "w2", 10, now, lease)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(
        !jobs::complete_job(db, claimed[0].id, "w2", now)
            .await
            .expect("complete"),
        "not w2's lease"
    );
    assert!(
        jobs::complete_job(db, claimed[0].id, "w1", now)
            .await
            .expect("complete")
    );

    let mut tx = db.begin().await.expect("begin");
    assert!(
        jobs::enqueue(&mut tx, &job, now)
            .await
            .expect("enqueue")
            .is_some(),
        "key free once done"
    );
    tx.commit().await.expect("commit");
    let _ = Actor::system();
}
