//! Data changes a migration cannot make in SQL, run in Rust right after the
//! migrations. A migration inserts a row naming the change into
//! `pending_backfills`; [`run_pending`] runs each named change and then
//! deletes its row, so it runs once per database. A change must be safe to
//! run again (a crash half-way runs it again from the start) and safe
//! beside a running application (another node may already serve).

use crate::{Db, DbError, DbResult, with_pool};

/// Migration 0016: `contacts.search_text` holds folded text (no accents)
/// since then, which only Rust computes (`af_core::search::contact_text`).
const CONTACT_SEARCH_TEXT_FOLDED: &str = "contacts.search_text.folded";

/// Runs every pending backfill, in name order.
pub(crate) async fn run_pending(db: &Db) -> DbResult<()> {
    let names: Vec<String> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT name FROM pending_backfills ORDER BY name").fetch_all(p).await?
    });
    for name in names {
        let started = std::time::Instant::now();
        let rows = match name.as_str() {
            CONTACT_SEARCH_TEXT_FOLDED => crate::contacts::recompute_search_text(db).await?,
            // The migrator already refuses a database migrated by a newer
            // binary; this only guards a hand-inserted row.
            other => return Err(DbError::Config(format!("unknown backfill {other:?}"))),
        };
        with_pool!(db, p => {
            sqlx::query("DELETE FROM pending_backfills WHERE name = $1").bind(&name).execute(p).await?;
        });
        tracing::info!(
            backfill.name = %name,
            backfill.rows = rows,
            duration_ms = started.elapsed().as_millis() as u64,
            "backfill done"
        );
    }
    Ok(())
}
