//! Group commit: many small write transactions share one commit.
//!
//! SQLite has one writer. When every lead opens its own `BEGIN IMMEDIATE`,
//! concurrent requests race for the lock, the losers sleep in SQLite's busy
//! handler (which is never woken when the lock frees), and each lead pays
//! its own commit. [`GroupCommit`] instead hands each *unit of work* to a
//! single writer task that runs the units queued meanwhile inside one
//! transaction, each under its own `SAVEPOINT`, and commits them together:
//!
//! - a unit that fails is rolled back to its savepoint and answered with its
//!   error at once; the others in the batch carry on and commit;
//! - a unit's caller is answered only after the commit that holds it, so a
//!   2xx still means "committed" (WAL with `synchronous=NORMAL`, as for
//!   every other transaction);
//! - units of one caller run in the order they were queued;
//! - there is no artificial wait: a batch is whatever queued while the
//!   previous one ran and committed, capped in size and in time so one
//!   batch never holds the lock for long.
//!
//! On PostgreSQL, which has real concurrent writers, a unit simply runs in
//! its own transaction on the pool: same contract, no writer task.
//!
//! A crash loses only units that were not answered yet: their transaction
//! never committed, so nothing of them is left to find.

use crate::{Db, DbError, DbResult, Tx, with_tx};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// How large one batch may grow.
#[derive(Debug, Clone, Copy)]
pub struct BatchLimits {
    /// At most this many units share one commit.
    pub max_units: usize,
    /// A batch stops taking new units once it has run this long, so the
    /// write lock is never held much longer than this by one batch.
    pub max_time: Duration,
}

impl Default for BatchLimits {
    fn default() -> Self {
        BatchLimits {
            max_units: 128,
            max_time: Duration::from_millis(8),
        }
    }
}
/// Units waiting for the writer before callers queue on the channel.
const QUEUE: usize = 4096;

/// Called once the commit holding a unit finished: `Ok` = committed.
type Answer = Box<dyn FnOnce(Result<(), String>) + Send>;
/// Called when a unit failed and was rolled back to its savepoint.
type Refusal = Box<dyn FnOnce() + Send>;
/// A type-erased unit of work, run by the writer in the batch transaction.
type Unit = Box<dyn for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<Answer, Refusal>> + Send>;

/// A handle to the group writer of one database. Cheap to clone; the writer
/// task (SQLite only) starts on first use and ends when every handle is
/// gone and its queue is drained.
#[derive(Clone)]
pub struct GroupCommit {
    db: Db,
    queue: Arc<OnceLock<mpsc::Sender<Unit>>>,
    stats: Arc<Counters>,
    limits: BatchLimits,
}

/// What the writer did so far, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GroupStats {
    /// Transactions committed (or attempted) by the writer.
    pub batches: u64,
    /// Units run in them, failed ones included.
    pub units: u64,
    /// Units that failed and were rolled back to their savepoint.
    pub undone: u64,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    units: AtomicU64,
    undone: AtomicU64,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("backend", &self.db.backend())
            .finish()
    }
}

impl GroupCommit {
    pub fn new(db: Db) -> Self {
        GroupCommit::with_limits(db, BatchLimits::default())
    }

    /// A writer with its own batch limits (tests use a long `max_time` so
    /// a deliberately slow first unit does not close its batch).
    pub fn with_limits(db: Db, limits: BatchLimits) -> Self {
        GroupCommit {
            db,
            queue: Arc::new(OnceLock::new()),
            stats: Arc::default(),
            limits,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Units handed to the writer and not taken into a batch yet (always 0
    /// on PostgreSQL).
    pub fn queued(&self) -> usize {
        self.queue
            .get()
            .map_or(0, |q| q.max_capacity() - q.capacity())
    }

    pub fn stats(&self) -> GroupStats {
        GroupStats {
            batches: self.stats.batches.load(Ordering::Relaxed),
            units: self.stats.units.load(Ordering::Relaxed),
            undone: self.stats.undone.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` in a write transaction and returns once that transaction
    /// committed (or `work` failed and nothing of it was kept). `work` must
    /// not commit or roll back: it only writes through the [`Tx`], whose
    /// after-commit effects (job wake-ups, live events) are carried out
    /// when the shared commit succeeds, and dropped if `work` fails.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        let Db::Sqlite(_) = self.db else {
            let mut tx = self.db.begin().await?;
            let value = work(&mut tx).await?;
            tx.commit().await?;
            return Ok(value);
        };
        let (send, recv) = oneshot::channel::<Result<T, E>>();
        // The caller's audit scope (a request), for the unit's own audit
        // row: the writer task has none of its own.
        let scope = crate::audit::AuditScope::current();
        let unit: Unit = Box::new(move |tx: &mut Tx| {
            async move {
                let body = async move {
                    let r = work(&mut *tx).await;
                    if r.is_ok() {
                        // The row of this unit's writes, inside its savepoint.
                        tx.write_audit_trail().await.map_err(E::from)?;
                    }
                    r
                };
                let outcome = match scope {
                    Some(s) => s.run(body).await,
                    None => body.await,
                };
                match outcome {
                    Ok(value) => Ok(Box::new(move |committed: Result<(), String>| {
                        let answer = committed
                            .map(|()| value)
                            .map_err(|e| E::from(DbError::GroupCommit(e)));
                        let _ = send.send(answer);
                    }) as Answer),
                    Err(e) => Err(Box::new(move || {
                        let _ = send.send(Err(e));
                    }) as Refusal),
                }
            }
            .boxed()
        });
        let queue = self
            .queue
            .get_or_init(|| spawn_writer(self.db.clone(), self.stats.clone(), self.limits));
        if queue.send(unit).await.is_err() {
            return Err(E::from(DbError::GroupCommit("the writer stopped".into())));
        }
        // A dropped sender means the unit panicked or the writer died before
        // committing it: nothing of it was committed.
        recv.await.unwrap_or_else(|_| {
            Err(E::from(DbError::GroupCommit(
                "the unit was abandoned before its commit".into(),
            )))
        })
    }
}

fn spawn_writer(db: Db, stats: Arc<Counters>, limits: BatchLimits) -> mpsc::Sender<Unit> {
    let (send, recv) = mpsc::channel(QUEUE);
    tokio::spawn(writer(db, recv, stats, limits));
    send
}

/// The writer loop: one batch per iteration, until every sender is gone.
async fn writer(
    db: Db,
    mut queue: mpsc::Receiver<Unit>,
    stats: Arc<Counters>,
    limits: BatchLimits,
) {
    while let Some(first) = queue.recv().await {
        run_batch(&db, first, &mut queue, &stats, limits).await;
    }
}

async fn run_batch(
    db: &Db,
    first: Unit,
    queue: &mut mpsc::Receiver<Unit>,
    stats: &Counters,
    limits: BatchLimits,
) {
    let mut tx = match db.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            // Nothing ran: refuse this unit and let the next batch retry
            // the database for the others.
            tracing::error!(error = %e, "group commit: cannot begin");
            drop(first);
            return;
        }
    };
    stats.batches.fetch_add(1, Ordering::Relaxed);
    let started = Instant::now();
    let mut answers: Vec<Answer> = Vec::new();
    let mut next = Some(first);
    let mut taken = 0usize;
    while let Some(unit) = next.take() {
        taken += 1;
        stats.units.fetch_add(1, Ordering::Relaxed);
        match run_unit(&mut tx, unit).await {
            UnitEnd::Kept(answer) => answers.push(answer),
            UnitEnd::Undone => {
                stats.undone.fetch_add(1, Ordering::Relaxed);
            }
            UnitEnd::Broken(e) => {
                // The transaction itself is unusable (the savepoint could
                // not be rolled back): nothing of this batch is kept.
                tracing::error!(error = %e, "group commit: batch abandoned");
                let _ = tx.rollback().await;
                for answer in answers {
                    answer(Err(e.clone()));
                }
                return;
            }
        }
        if taken < limits.max_units && started.elapsed() < limits.max_time {
            next = queue.try_recv().ok();
        }
    }
    let committed = tx.commit().await.map_err(|e| e.to_string());
    if let Err(e) = &committed {
        tracing::error!(error = %e, units = answers.len(), "group commit failed");
    }
    for answer in answers {
        answer(committed.clone());
    }
}

enum UnitEnd {
    /// The unit's writes are in the transaction; answer after the commit.
    Kept(Answer),
    /// The unit failed and its writes were undone; it was answered.
    Undone,
    /// The transaction cannot go on.
    Broken(String),
}

async fn run_unit(tx: &mut Tx, unit: Unit) -> UnitEnd {
    if let Err(e) = exec(tx, "SAVEPOINT af_unit").await {
        return UnitEnd::Broken(e.to_string());
    }
    let mark = tx.after_commit_mark();
    let outcome = AssertUnwindSafe(unit(tx)).catch_unwind().await;
    let kept = match outcome {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(refusal)) => {
            if let Err(e) = undo(tx, mark).await {
                return UnitEnd::Broken(e.to_string());
            }
            refusal();
            return UnitEnd::Undone;
        }
        // A panic inside the unit dropped its answer: the caller learns
        // that nothing was committed.
        Err(_) => None,
    };
    match kept {
        Some(answer) => match exec(tx, "RELEASE af_unit").await {
            Ok(()) => UnitEnd::Kept(answer),
            Err(e) => {
                answer(Err(e.to_string()));
                UnitEnd::Broken(e.to_string())
            }
        },
        None => match undo(tx, mark).await {
            Ok(()) => UnitEnd::Undone,
            Err(e) => UnitEnd::Broken(e.to_string()),
        },
    }
}

async fn undo(tx: &mut Tx, mark: crate::pool::AfterCommitMark) -> DbResult<()> {
    exec(tx, "ROLLBACK TO af_unit").await?;
    exec(tx, "RELEASE af_unit").await?;
    tx.forget_after(mark);
    tx.trail = Default::default();
    Ok(())
}

async fn exec(tx: &mut Tx, sql: &'static str) -> DbResult<()> {
    with_tx!(tx, c => { sqlx::query(sql).execute(&mut *c).await?; });
    Ok(())
}
