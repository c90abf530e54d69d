#![doc = include_str!("../README.md")]

mod backfills;
mod error;
mod placeholders;
mod pool;
mod ts;

pub mod api_keys;
pub mod appointments;
pub mod audit;
pub mod auth_tokens;
pub mod automations;
pub mod busy_feeds;
pub mod calendars;
pub mod channels;
pub mod contacts;
pub mod conversations;
pub mod custom_fields;
pub mod deals;
pub mod email_events;
pub mod events;
pub mod exports;
pub mod forms;
pub mod gdpr;
pub mod group_commit;
pub mod idempotency;
pub mod imports;
pub mod inbound_webhooks;
pub mod jobs;
pub mod kommo;
pub mod live;
pub mod login_attempts;
pub mod memberships;
pub mod messages;
pub mod notes;
pub mod notifications;
pub mod pipelines;
pub mod rate_limits;
pub mod rate_slots;
pub mod recalculations;
pub mod reports;
pub mod retention;
pub mod saved_filters;
pub mod schedules;
pub mod scoring;
pub mod search;
pub mod sessions;
pub mod subscriptions;
pub mod tasks;
pub mod testing;
pub mod users;
pub mod webhooks;
pub mod whatsapp_templates;
pub mod workspaces;

pub use error::DbError;
pub use group_commit::{BatchLimits, GroupCommit, GroupStats};
pub use pool::{Backend, Db, Tx, TxConn};
pub use ts::Ts;

/// Result of a database operation.
pub type DbResult<T> = Result<T, DbError>;

/// Runs `$body` with `$p` bound to the backend's pool (`&SqlitePool` or
/// `&PgPool`). The body is compiled once per backend, so the same SQL text
/// and binds serve both.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($p) => $body,
            $crate::Db::Pg($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection
/// (`&mut SqliteConnection` or `&mut PgConnection`). Reborrow with `&mut *$c`
/// to run several statements.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut ($tx).conn {
            $crate::TxConn::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::TxConn::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
