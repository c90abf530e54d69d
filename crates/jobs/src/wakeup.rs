//! Waking an idle worker without busy polling: PostgreSQL `LISTEN af_jobs`
//! hears every enqueue committed by any process. (The in-process
//! `af_db::jobs::local_wakeup()` is awaited by the worker loop directly.) If
//! the listener cannot connect, the worker still works on its slow poll.

use af_db::Db;
use sqlx::postgres::PgListener;
use std::time::Duration;

/// Waits for "a job may be due" notifications from other processes.
pub(crate) struct RemoteWakeup {
    listener: Option<PgListener>,
}

impl RemoteWakeup {
    /// Listens on PostgreSQL; on SQLite there is nothing to listen to.
    pub(crate) async fn connect(db: &Db) -> Self {
        let Db::Pg(pool) = db else {
            return Self { listener: None };
        };
        let listener = async {
            let mut l = PgListener::connect_with(pool).await?;
            l.listen(af_db::jobs::NOTIFY_CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        }
        .await;
        match listener {
            Ok(l) => Self { listener: Some(l) },
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for new jobs; relying on the poll interval");
                Self { listener: None }
            }
        }
    }

    /// Returns when a notification arrives (draining any others already
    /// buffered: one claim round serves them all). Never returns when there
    /// is no listener.
    pub(crate) async fn wait(&mut self) {
        let Some(l) = self.listener.as_mut() else {
            return std::future::pending().await;
        };
        match l.recv().await {
            Ok(_) => while l.next_buffered().is_some() {},
            Err(e) => {
                // The listener reconnects on the next recv; pause so a down
                // server does not turn this into a hot loop.
                tracing::warn!(error = %e, "job notification listener failed; reconnecting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
