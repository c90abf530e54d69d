//! Fixed-window hit counters for the public endpoints (per IP, per form),
//! kept in the database like login attempts so a limit holds across every
//! server process, not per node.

use crate::{DbResult, Ts, with_pool};

/// Counts one hit in `bucket`'s window starting at `window_start` and
/// returns the window's hits so far. Older windows of the bucket are
/// dropped on the way.
pub async fn hit(db: &crate::Db, bucket: &str, window_start: Ts) -> DbResult<i64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM rate_limit_hits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket).bind(window_start).execute(p).await?;
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO rate_limit_hits (bucket, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limit_hits.hits + 1
             RETURNING hits",
        )
        .bind(bucket).bind(window_start).fetch_one(p).await?
    }))
}

/// Drops the windows that started before `before` (buckets whose last hit
/// is long past would otherwise keep their row for ever); answers how many.
pub async fn prune(db: &crate::Db, before: Ts) -> DbResult<u64> {
    Ok(with_pool!(db, p => {
        sqlx::query("DELETE FROM rate_limit_hits WHERE window_start < $1")
            .bind(before).execute(p).await?.rows_affected()
    }))
}
