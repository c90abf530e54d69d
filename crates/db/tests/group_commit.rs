//! The group-commit writer on the backend chosen by `AF_TEST_BACKEND`: a
//! failing or panicking unit does not sink the others of its batch, units
//! of one caller keep their order, and an interrupted batch leaves nothing
//! of its unanswered units while every answered one stays.
//!
//! On SQLite the tests hold the first unit of a batch open (a `Notify`)
//! until the others are queued behind it, so which units share a commit is
//! decided by the test, not by timing.

use af_db::testing::{fresh_db, fresh_url_on};
use af_db::{Backend, BatchLimits, Db, DbError, GroupCommit, Tx, with_pool, with_tx};
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Limits that never close a batch early: the blocked first unit may take
/// as long as the test needs.
fn patient() -> BatchLimits {
    BatchLimits {
        max_units: 1_000,
        max_time: Duration::from_secs(3_600),
    }
}

async fn create_probe(db: &Db) {
    with_pool!(db, p => {
        sqlx::query("CREATE TABLE gc_probe (id BIGINT PRIMARY KEY, note TEXT NOT NULL)")
            .execute(p)
            .await
            .expect("create probe table");
    });
}

async fn insert(tx: &mut Tx, id: i64, note: &str) -> Result<(), DbError> {
    with_tx!(tx, c => {
        sqlx::query("INSERT INTO gc_probe (id, note) VALUES ($1, $2)")
            .bind(id)
            .bind(note.to_string())
            .execute(&mut *c)
            .await?;
    });
    Ok(())
}

async fn count(tx: &mut Tx) -> Result<i64, DbError> {
    let n: i64;
    with_tx!(tx, c => {
        n = sqlx::query_scalar("SELECT COUNT(*) FROM gc_probe")
            .fetch_one(&mut *c)
            .await?;
    });
    Ok(n)
}

async fn rows(db: &Db) -> Vec<(i64, String)> {
    with_pool!(db, p => {
        sqlx::query_as("SELECT id, note FROM gc_probe ORDER BY id")
            .fetch_all(p)
            .await
            .expect("read probe rows")
    })
}

/// A unit that inserts `(id, note)`.
fn put(
    gc: &GroupCommit,
    id: i64,
    note: &'static str,
) -> impl Future<Output = Result<(), DbError>> + use<> {
    let gc = gc.clone();
    async move {
        gc.run(move |tx: &mut Tx| async move { insert(tx, id, note).await }.boxed())
            .await
    }
}

/// Starts a unit that inserts `(0, "first")` and then waits for `gate`,
/// holding its batch open; returns once the writer is inside it.
async fn hold_batch_open(
    gc: &GroupCommit,
    gate: Arc<Notify>,
) -> tokio::task::JoinHandle<Result<(), DbError>> {
    let entered = Arc::new(Notify::new());
    let inside = entered.clone();
    let gc2 = gc.clone();
    let first = tokio::spawn(async move {
        gc2.run(move |tx: &mut Tx| {
            async move {
                insert(tx, 0, "first").await?;
                inside.notify_one();
                gate.notified().await;
                Ok(())
            }
            .boxed()
        })
        .await
    });
    entered.notified().await;
    first
}

/// Waits until `n` units are queued behind the open batch.
async fn until_queued(gc: &GroupCommit, n: usize) {
    while gc.queued() < n {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_failing_unit_is_undone_alone_and_the_rest_of_its_batch_commits() {
    let t = fresh_db().await;
    create_probe(&t.db).await;
    let gc = GroupCommit::with_limits(t.db.clone(), patient());
    let sqlite = t.db.backend() == Backend::Sqlite;

    let gate = Arc::new(Notify::new());
    let first = if sqlite {
        Some(hold_batch_open(&gc, gate.clone()).await)
    } else {
        put(&gc, 0, "first").await.expect("first unit");
        None
    };
    // On PostgreSQL every unit is its own transaction, and which of two
    // racing inserts of one key commits first is not defined: there the
    // duplicate is queued once unit one has committed.
    let one_first = if sqlite {
        None
    } else {
        Some(put(&gc, 1, "one").await)
    };
    let later = [
        match one_first {
            Some(done) => tokio::spawn(async move { done }),
            None => tokio::spawn(put(&gc, 1, "one")),
        },
        tokio::spawn(put(&gc, 1, "duplicate of one")),
        tokio::spawn(put(&gc, 2, "two")),
    ];
    if let Some(first) = first {
        until_queued(&gc, 3).await;
        gate.notify_one();
        first.await.expect("join").expect("the first unit commits");
    }
    let [one, dup, two] = later;
    one.await.expect("join").expect("unit one commits");
    let refused = dup
        .await
        .expect("join")
        .expect_err("the duplicate is refused");
    assert!(
        refused.is_unique_on("gc_probe", "id") || refused.unique_violation().is_some(),
        "the caller gets its own error: {refused}"
    );
    two.await.expect("join").expect("unit two commits");

    assert_eq!(
        rows(&t.db).await,
        vec![
            (0, "first".to_string()),
            (1, "one".to_string()),
            (2, "two".to_string())
        ],
        "every unit but the failed one is committed"
    );
    if sqlite {
        let stats = gc.stats();
        assert_eq!(
            (stats.batches, stats.units, stats.undone),
            (1, 4, 1),
            "the four units shared one commit and only the duplicate was undone"
        );
    }
}

#[tokio::test]
async fn a_panicking_unit_answers_with_an_error_and_keeps_nothing() {
    let t = fresh_db().await;
    create_probe(&t.db).await;
    let gc = GroupCommit::with_limits(t.db.clone(), patient());
    let sqlite = t.db.backend() == Backend::Sqlite;

    let gate = Arc::new(Notify::new());
    let first = if sqlite {
        Some(hold_batch_open(&gc, gate.clone()).await)
    } else {
        None
    };
    let gc2 = gc.clone();
    let panicking = tokio::spawn(async move {
        gc2.run(|tx: &mut Tx| {
            async move {
                insert(tx, 7, "half done").await?;
                let written = count(tx).await?;
                if written > 0 {
                    panic!("a bug in the middle of a unit");
                }
                Ok::<(), DbError>(())
            }
            .boxed()
        })
        .await
    });
    let after = tokio::spawn(put(&gc, 8, "after the panic"));
    if let Some(first) = first {
        until_queued(&gc, 2).await;
        gate.notify_one();
        first.await.expect("join").expect("the first unit commits");
    }
    let err = match panicking.await {
        Ok(answer) => answer.expect_err("the panicking unit reports a failure"),
        // PostgreSQL runs the unit on the caller's task: the panic is the
        // caller's, and its transaction is rolled back on drop.
        Err(join) => {
            assert!(!sqlite, "on SQLite the writer catches the panic");
            assert!(join.is_panic());
            DbError::GroupCommit("panicked".into())
        }
    };
    assert!(matches!(err, DbError::GroupCommit(_)), "{err}");
    after.await.expect("join").expect("the next unit commits");

    let ids: Vec<i64> = rows(&t.db).await.into_iter().map(|(id, _)| id).collect();
    let expected = if sqlite { vec![0, 8] } else { vec![8] };
    assert_eq!(ids, expected, "nothing of the panicking unit is kept");
    if sqlite {
        assert_eq!(gc.stats().undone, 1);
        assert_eq!(gc.stats().batches, 1, "the panic did not end the batch");
    }
}

#[tokio::test]
async fn units_of_one_caller_run_in_the_order_they_were_queued() {
    let t = fresh_db().await;
    create_probe(&t.db).await;
    let gc = GroupCommit::new(t.db.clone());

    // One after the other, as one request does: each unit sees the ones
    // before it, on both backends.
    for id in 0..10 {
        let seen = gc
            .run(move |tx: &mut Tx| {
                async move {
                    let before = count(tx).await?;
                    insert(tx, id, "sequential").await?;
                    Ok::<i64, DbError>(before)
                }
                .boxed()
            })
            .await
            .expect("unit commits");
        assert_eq!(seen, id, "unit {id} ran after the {id} before it");
    }

    // Queued together without waiting (one task polling them in order):
    // on SQLite they run in queue order inside the writer's batches.
    if t.db.backend() == Backend::Sqlite {
        let units = (10..40).map(|id| {
            gc.run(move |tx: &mut Tx| {
                async move {
                    let before = count(tx).await?;
                    insert(tx, id, "queued").await?;
                    Ok::<i64, DbError>(before)
                }
                .boxed()
            })
        });
        let seen = futures::future::join_all(units).await;
        for (id, before) in (10..40).zip(seen) {
            assert_eq!(before.expect("unit commits"), id, "queue order kept");
        }
    }
    assert_eq!(
        rows(&t.db).await.len(),
        if t.db.backend() == Backend::Sqlite {
            40
        } else {
            10
        }
    );
}

/// A process that dies in the middle of a batch: its runtime is torn down
/// while the writer holds an open transaction. What was answered before is
/// there; nothing of the unanswered units is.
#[test]
fn a_batch_cut_off_midway_keeps_every_answered_unit_and_nothing_else() {
    if af_db::testing::test_backend() != Backend::Sqlite {
        // PostgreSQL has no writer task: a unit is its own transaction,
        // already covered by the server's own crash safety and by the
        // process-level crash test of the application.
        return;
    }
    let outer = tokio::runtime::Runtime::new().expect("runtime");
    let (url, _dir) = outer.block_on(fresh_url_on(Backend::Sqlite));

    let doomed = tokio::runtime::Runtime::new().expect("runtime");
    doomed.block_on(async {
        let db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        create_probe(&db).await;
        let gc = GroupCommit::with_limits(db.clone(), patient());
        put(&gc, 1, "answered").await.expect("acknowledged");
        put(&gc, 2, "answered too").await.expect("acknowledged");

        let gate = Arc::new(Notify::new());
        let first = hold_batch_open(&gc, gate).await;
        let queued = tokio::spawn(put(&gc, 3, "never answered"));
        until_queued(&gc, 1).await;
        // Leave the batch open: the gate is never opened.
        std::mem::forget((first, queued, gc, db));
    });
    doomed.shutdown_background();

    let after = outer.block_on(async {
        let db = Db::connect(&url).await.expect("reopen after the crash");
        rows(&db).await
    });
    assert_eq!(
        after,
        vec![(1, "answered".to_string()), (2, "answered too".to_string())],
        "answered units survive, the open batch left nothing"
    );
}
