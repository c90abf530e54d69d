//! The [`Db`] handle: a typed pool per backend, chosen by the URL scheme.

use crate::{DbError, DbResult, with_pool};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database server the [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to SQLite or PostgreSQL. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Pg(PgPool),
}

/// An open transaction on either backend, with the effects that must
/// happen only once it has committed. Dropped without [`Tx::commit`], it
/// rolls back and its effects are forgotten.
///
/// Callers only *record* effects inside the transaction (a job enqueued, a
/// live board event); [`Tx::commit`] carries them out after the commit, on
/// both backends, so no caller has to remember a wake-up or a publish.
pub struct Tx {
    /// The connection. Public for the `with_tx!` macro; use that.
    #[doc(hidden)]
    pub conn: TxConn,
    db: Db,
    after: AfterCommit,
    /// What the transaction did, for its automatic audit row (see
    /// `af_db::audit`).
    pub(crate) trail: crate::audit::Trail,
}

/// The backend transaction inside a [`Tx`].
#[doc(hidden)]
pub enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

/// What a committed transaction still has to do in this process.
#[derive(Default)]
struct AfterCommit {
    /// Some job became due: wake this process's workers (on PostgreSQL the
    /// `NOTIFY af_jobs` queued in the transaction wakes the other nodes).
    wake_workers: bool,
    /// Live board events for this process's subscribers (SQLite only; on
    /// PostgreSQL the `NOTIFY af_live` queued in the transaction reaches
    /// every process, this one included).
    live: Vec<crate::live::Payload>,
}

/// See [`Tx::after_commit_mark`].
#[derive(Clone, Copy)]
pub(crate) struct AfterCommitMark {
    wake_workers: bool,
    live: usize,
}

impl Tx {
    /// Which backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Pg(_) => Backend::Postgres,
        }
    }

    /// Records that a job was enqueued or made due: workers of this process
    /// are woken once the transaction commits.
    pub fn wake_workers_after_commit(&mut self) {
        self.after.wake_workers = true;
    }

    /// Records a live event for this process's subscribers, published
    /// once the transaction commits (never before: a subscriber fetching the
    /// card or the unread count would still read the old rows).
    pub(crate) fn publish_after_commit(&mut self, ev: crate::live::Payload) {
        self.after.live.push(ev);
    }

    /// Where the recorded after-commit effects stand now, so a part of the
    /// transaction rolled back to a savepoint can forget its own
    /// ([`Tx::forget_after`]).
    pub(crate) fn after_commit_mark(&self) -> AfterCommitMark {
        AfterCommitMark {
            wake_workers: self.after.wake_workers,
            live: self.after.live.len(),
        }
    }

    /// Forgets the effects recorded since `mark` (their writes were rolled
    /// back to a savepoint). On PostgreSQL the rolled-back `NOTIFY`s are
    /// discarded by the server itself.
    pub(crate) fn forget_after(&mut self, mark: AfterCommitMark) {
        self.after.wake_workers = mark.wake_workers;
        self.after.live.truncate(mark.live);
    }

    /// Writes the audit row of what the transaction did (inside an audit
    /// scope: a mutating request or a job run), commits, then carries out
    /// the recorded effects.
    pub async fn commit(mut self) -> DbResult<()> {
        self.write_audit_trail().await?;
        let Tx {
            conn, db, after, ..
        } = self;
        match conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Pg(t) => t.commit().await?,
        }
        if after.wake_workers {
            crate::jobs::wake_workers();
        }
        crate::live::publish_local(&db, after.live);
        Ok(())
    }

    pub async fn rollback(self) -> DbResult<()> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await?,
            TxConn::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }
}

impl Db {
    /// Connects to `sqlite://PATH` (file and folder created) or
    /// `postgres://...`. Does not migrate.
    pub async fn connect(url: &str) -> DbResult<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbError::Config(format!("DATABASE_URL {url:?}: {e}")))?;
            if let Some(dir) = opts.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    DbError::Config(format!(
                        "cannot create database folder {}: {e}",
                        dir.display()
                    ))
                })?;
            }
            // WAL lets readers run beside the one writer; the busy timeout makes
            // a second writer wait instead of failing with "database is locked".
            let opts = opts
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(15));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| DbError::Config(format!("DATABASE_URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Pg(pool))
        } else {
            Err(DbError::Config(
                "DATABASE_URL must start with sqlite:// or postgres://".into(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Pg(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies every embedded migration not applied yet, then the data
    /// changes those migrations left to Rust (`crate::backfills`).
    pub async fn migrate(&self) -> DbResult<()> {
        with_pool!(self, p => self.migrator().run(p).await?);
        crate::backfills::run_pending(self).await
    }

    /// True when the database answers and every embedded migration is applied.
    pub async fn is_ready(&self) -> bool {
        let latest = self.migrator().iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Result<Option<i64>, sqlx::Error> = with_pool!(self, p => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(p)
                .await
        });
        matches!(applied, Ok(Some(v)) if v >= latest)
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: taking
    /// the write lock up front means a busy database makes us wait (busy
    /// timeout) rather than fail when a read lock would have to be upgraded.
    pub async fn begin(&self) -> DbResult<Tx> {
        let conn = match self {
            Db::Sqlite(p) => TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Pg(p) => TxConn::Pg(p.begin().await?),
        };
        Ok(Tx {
            conn,
            db: self.clone(),
            after: AfterCommit::default(),
            trail: Default::default(),
        })
    }

    /// The file of a SQLite database, as SQLite itself reports it; `None`
    /// on PostgreSQL and for an in-memory SQLite database (which no other
    /// process can open).
    pub async fn sqlite_file(&self) -> DbResult<Option<std::path::PathBuf>> {
        let Db::Sqlite(p) = self else {
            return Ok(None);
        };
        let file: Option<String> =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_optional(p)
                .await?;
        Ok(file.filter(|f| !f.is_empty()).map(std::path::PathBuf::from))
    }

    /// (connections open, of which idle) for metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        with_pool!(self, p => (p.size(), p.num_idle()))
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}
