//! The job that keeps the daily roll-up current: closed days are stored
//! when a report first needs them, but their messages and appointments
//! keep changing status (delivered, opened, no-show…), so the recent ones
//! are recounted every few minutes and the month's every night.

use super::{ReportParams, ReportQuery};
use af_core::jobs::RefreshReports;
use af_db::reports::days;
use af_db::{Db, DbError, Ts};

/// Recounts the last `n` closed days of every workspace with stored days;
/// answers how many workspaces were recounted.
pub async fn refresh(db: &Db, now: Ts, n: i64) -> Result<usize, DbError> {
    let mut done = 0;
    for id in days::workspaces_with_days(db).await? {
        let Some(ws) = af_db::workspaces::find_workspace(db, id).await? else {
            continue;
        };
        let tz = af_core::datetime::zone(&ws.time_zone);
        let today = af_core::reports::today(now.0, &tz);
        let Some(yesterday) = today.yesterday().ok() else {
            continue;
        };
        let period = af_core::reports::Period::last(n.clamp(1, 60), yesterday);
        let params = ReportParams {
            from: Some(period.from.to_string()),
            to: Some(period.to.to_string()),
            ..Default::default()
        };
        let Ok(q) = ReportQuery::parse(&params, tz, now) else {
            continue;
        };
        let labels = q.day_labels();
        let all: Vec<usize> = (0..labels.len()).collect();
        let zone = super::by_day::zone_name(&q);
        days::store_days(db, ws.id, &zone, &labels, &q.edges, &all, now).await?;
        done += 1;
    }
    Ok(done)
}

/// Every 10 minutes, the last 7 closed days.
pub fn recent_schedule() -> Result<af_jobs::NewSchedule, DbError> {
    af_jobs::NewSchedule::system("*/10 * * * *", &RefreshReports { days: 7 })
}

/// Nightly, the last 35 closed days.
pub fn nightly_schedule() -> Result<af_jobs::NewSchedule, DbError> {
    let mut s = af_jobs::NewSchedule::system("41 3 * * *", &RefreshReports { days: 35 })?;
    s.name = "refresh_reports_nightly".into();
    Ok(s)
}

/// The handler of [`RefreshReports`].
pub fn refresh_job() -> impl af_jobs::JobHandler {
    af_jobs::typed_handler(|ctx, _job, p: RefreshReports| async move {
        let n = refresh(&ctx.db, ctx.now(), p.days)
            .await
            .map_err(af_jobs::JobError::retry)?;
        tracing::info!(workspaces = n, days = p.days, "reports recounted");
        Ok(())
    })
}
