//! What the public intake routes (hosted form, embed, PAUTA `/api/lead`,
//! Cal.com) share on the HTTP side: the body cap and the database-backed
//! rate limits. What happens to a lead once read is `af_service::intake`.

use crate::state::AppState;
use af_db::{DbResult, Ts};

/// Largest body a public intake endpoint reads.
pub const MAX_PUBLIC_BODY: usize = 64 * 1024;

/// Counts one hit in each `(bucket, limit)`; `Err(retry_after_secs)` when
/// any is over its limit in the current window.
pub async fn rate_limit(st: &AppState, buckets: &[(String, i64)]) -> DbResult<Result<(), u64>> {
    rate_limit_in(st, st.config.intake_window_secs, buckets).await
}

/// [`rate_limit`] with fixed windows of `window_secs` (shared with other
/// public doors: password-reset requests, sign-in).
pub async fn rate_limit_in(
    st: &AppState,
    window_secs: i64,
    buckets: &[(String, i64)],
) -> DbResult<Result<(), u64>> {
    let window = window_secs.max(1);
    let now = st.now().0.as_second();
    let start = now - now.rem_euclid(window);
    let start_ts = Ts::new(jiff::Timestamp::from_second(start).unwrap_or(st.now().0));
    for (bucket, limit) in buckets {
        let hits = af_db::rate_limits::hit(&st.db, bucket, start_ts).await?;
        if hits > *limit {
            let retry = (start + window - now).max(1);
            return Ok(Err(u64::try_from(retry).unwrap_or(1)));
        }
    }
    Ok(Ok(()))
}

/// Reads a request body up to `max` bytes; `None` when it is bigger.
pub async fn read_body(body: axum::body::Body, max: usize) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, max).await.ok()
}
