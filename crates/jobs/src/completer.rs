//! Group commit for successful jobs: the completions that pile up while one
//! `UPDATE` is being written go out together in the next one.
//!
//! Why: with short jobs the queue's cost is one write per completion, and on
//! SQLite each is a separate write transaction contending for the one write
//! lock. Grouping turns N completions into one statement under load, and
//! costs nothing when idle — the first completion is written at once, with
//! no timer. There is no background task: the first job task to arrive
//! becomes the leader and writes batches until none is waiting; the others
//! wait for its answer.

use af_core::JobId;
use af_db::{Db, DbError, Ts, jobs};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

/// Most completions written by one statement.
const MAX_BATCH: usize = 500;

/// The answer for one completion: `Ok(true)` done, `Ok(false)` the lease
/// was lost, `Err` the write failed (the job will run again).
type Answer = Result<bool, Arc<DbError>>;

#[derive(Default)]
struct Pending {
    waiting: Vec<(JobId, oneshot::Sender<Answer>)>,
    /// A leader is writing; newcomers only queue.
    writing: bool,
}

/// Shared by a worker's job tasks.
#[derive(Default)]
pub(crate) struct Completer {
    pending: Mutex<Pending>,
}

/// Hands leadership back if the leader's task is dropped mid-write
/// (aborted at shutdown), so later completions are not stranded.
struct Leading<'a> {
    completer: &'a Completer,
    armed: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.completer.lock().writing = false;
        }
    }
}

impl Completer {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // The lock is never held across an await or user code; a poisoned
        // one still holds consistent data.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks `id` succeeded (if `worker` still holds its lease), batched
    /// with whatever other completions are waiting. `now` is read per batch
    /// from `clock_now`, so `finished_at` is when the batch was written.
    pub(crate) async fn complete(
        &self,
        db: &Db,
        worker: &str,
        id: JobId,
        clock_now: impl Fn() -> Ts,
    ) -> Answer {
        let (tx, rx) = oneshot::channel();
        let lead = {
            let mut p = self.lock();
            p.waiting.push((id, tx));
            !std::mem::replace(&mut p.writing, true)
        };
        if lead {
            let mut leading = Leading {
                completer: self,
                armed: true,
            };
            loop {
                let batch = {
                    let mut p = self.lock();
                    if p.waiting.is_empty() {
                        // Under the same lock as the check, so a newcomer
                        // either was drained above or becomes the leader.
                        p.writing = false;
                        leading.armed = false;
                        break;
                    }
                    let n = p.waiting.len().min(MAX_BATCH);
                    p.waiting.drain(..n).collect::<Vec<_>>()
                };
                let ids: Vec<JobId> = batch.iter().map(|(id, _)| *id).collect();
                match jobs::complete_jobs(db, &ids, worker, clock_now()).await {
                    Ok(done) => {
                        let done: HashSet<JobId> = done.into_iter().collect();
                        for (id, tx) in batch {
                            let _ = tx.send(Ok(done.contains(&id)));
                        }
                    }
                    Err(e) => {
                        let e = Arc::new(e);
                        for (_, tx) in batch {
                            let _ = tx.send(Err(e.clone()));
                        }
                    }
                }
            }
        }
        // A dropped sender means the leader was cancelled mid-write: the
        // outcome is unknown, so report a failed write (the lease decides).
        rx.await.unwrap_or_else(|_| {
            Err(Arc::new(DbError::Config(
                "completion writer cancelled".into(),
            )))
        })
    }
}
