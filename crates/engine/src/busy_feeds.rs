//! Members' external calendar feeds (the "secret address" of a Google or
//! Outlook calendar): checked and sealed when set, fetched through the
//! SSRF guard every 10 minutes and on demand, and read into busy times
//! (`af_core::booking::busy`) that the slot engine treats like bookings —
//! so no host is double-booked by a meeting made outside AgencyFlow.
//!
//! A feed that fails keeps the busy times last read (a feed down for an
//! hour must not free its owner's afternoon) and shows its error to its
//! owner.

use crate::{EngineConfig, job_workspace};
use af_core::booking::busy::busy_times;
use af_core::jobs::{SyncBusyFeed, SyncBusyFeeds};
use af_core::{UserId, WorkspaceId};
use af_db::{Db, Ts};
use af_jobs::{Job, JobContext, JobError};
use jiff::SignedDuration;
use std::time::Duration;

/// Largest feed read (a busy Google calendar of several years is ~2 MB).
const MAX_FEED_BYTES: usize = 8 * 1024 * 1024;
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);

/// The schedule of the periodic sync (every 10 minutes, system-wide).
pub fn schedule() -> Result<af_jobs::NewSchedule, af_db::DbError> {
    af_jobs::NewSchedule::system("*/10 * * * *", &SyncBusyFeeds {})
}

/// Why a feed address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedUrlError {
    #[error("the address must be an https:// (or webcal://) link to an .ics calendar")]
    Invalid,
    #[error("{0}")]
    Refused(String),
}

/// The address to fetch (`webcal://` as `https://`) and the part of it
/// pages may show (scheme and host: the path is the secret).
pub fn check_url(
    input: &str,
    policy: af_channels::ssrf::SsrfPolicy,
) -> Result<(String, String), FeedUrlError> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed.len() > 2000 {
        return Err(FeedUrlError::Invalid);
    }
    let url = match trimmed.strip_prefix("webcal://") {
        Some(rest) => format!("https://{rest}"),
        None => trimmed.to_string(),
    };
    let parsed = af_channels::ssrf::check_url_syntax(&url, policy)
        .map_err(|e| FeedUrlError::Refused(e.to_string()))?;
    let hint = format!("{}://{}", parsed.scheme(), parsed.host_str().unwrap_or(""));
    Ok((url, hint))
}

/// Queues a sync of one member's feed now ("sync now", and right after
/// the feed is set).
pub async fn queue_sync(db: &Db, ws: WorkspaceId, user: UserId, now: Ts) -> af_db::DbResult<()> {
    let mut tx = db.begin().await?;
    af_db::jobs::enqueue_job(&mut tx, Some(ws), &SyncBusyFeed { user_id: user }, now, now).await?;
    tx.commit().await?;
    af_db::jobs::wake_workers();
    Ok(())
}

/// Why a feed was not read, stored as its code (`http_404`, …) so each
/// page says it in its reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedFailure {
    /// The sealed address cannot be opened (the server key changed).
    Sealed,
    /// The SSRF guard refused the address (or it does not resolve).
    Refused,
    /// No answer, or the connection broke.
    Unreachable,
    /// An HTTP status other than 2xx.
    Status(u16),
    TooLarge,
    NotICalendar,
}

impl FeedFailure {
    pub fn code(&self) -> String {
        match self {
            FeedFailure::Sealed => "sealed".into(),
            FeedFailure::Refused => "refused".into(),
            FeedFailure::Unreachable => "unreachable".into(),
            FeedFailure::Status(s) => format!("http_{s}"),
            FeedFailure::TooLarge => "too_large".into(),
            FeedFailure::NotICalendar => "not_ical".into(),
        }
    }
}

/// The `sync_busy_feeds` job: one `sync_busy_feed` per feed.
pub(crate) async fn sync_all_job(ctx: &JobContext) -> Result<(), JobError> {
    let now = ctx.now();
    let feeds = af_db::busy_feeds::all_feeds(&ctx.db).await?;
    let mut tx = ctx.db.begin().await?;
    for f in feeds {
        let job = SyncBusyFeed { user_id: f.user_id };
        af_db::jobs::enqueue_job(&mut tx, Some(f.workspace_id), &job, now, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The `sync_busy_feed` job: fetch, read, replace the busy times.
pub(crate) async fn sync_job(
    ctx: &JobContext,
    cfg: &EngineConfig,
    job: &Job,
    p: SyncBusyFeed,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let now = ctx.now();
    let Some(feed) = af_db::busy_feeds::find_feed(&ctx.db, ws, p.user_id).await? else {
        return Ok(());
    };
    let outcome = match cfg.secret.open(&feed.url_sealed) {
        Ok(url) => fetch_busy(&url, cfg.channels.ssrf(), now).await,
        Err(_) => Err(FeedFailure::Sealed),
    };
    let mut tx = ctx.db.begin().await?;
    match &outcome {
        Ok(busy) => af_db::busy_feeds::replace_busy(&mut tx, ws, p.user_id, busy, now).await?,
        Err(e) => af_db::busy_feeds::record_error(&mut tx, ws, p.user_id, &e.code(), now).await?,
    }
    tx.commit().await?;
    if let Err(e) = outcome {
        tracing::info!(workspace.id = %ws, user.id = %p.user_id, error = %e.code(), "calendar feed not read");
    }
    Ok(())
}

/// Fetches a feed through the SSRF guard and reads its busy times from a
/// day ago to a year and a month ahead (every booking horizon).
async fn fetch_busy(
    url: &str,
    policy: af_channels::ssrf::SsrfPolicy,
    now: Ts,
) -> Result<Vec<(Ts, Ts)>, FeedFailure> {
    let target = af_channels::ssrf::resolve(url, policy)
        .await
        .map_err(|_| FeedFailure::Refused)?;
    let client = target
        .client(FETCH_TIMEOUT)
        .map_err(|_| FeedFailure::Unreachable)?;
    let mut res = client
        .get(target.url.clone())
        .header("accept", "text/calendar")
        .send()
        .await
        .map_err(|_| FeedFailure::Unreachable)?;
    if !res.status().is_success() {
        return Err(FeedFailure::Status(res.status().as_u16()));
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|_| FeedFailure::Unreachable)? {
        if body.len() + chunk.len() > MAX_FEED_BYTES {
            return Err(FeedFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&body);
    let from = now
        .0
        .checked_sub(SignedDuration::from_hours(24))
        .unwrap_or(now.0);
    let until = now
        .0
        .checked_add(SignedDuration::from_hours(24 * 400))
        .unwrap_or(now.0);
    let busy = busy_times(&text, from, until).map_err(|_| FeedFailure::NotICalendar)?;
    Ok(busy
        .into_iter()
        .map(|(s, e)| (Ts::new(s), Ts::new(e)))
        .collect())
}
