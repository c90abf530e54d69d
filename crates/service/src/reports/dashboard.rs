//! The first screen of a workspace: new leads against the previous
//! periods, the funnel, leads by source and campaign, appointments,
//! automation runs, messages, the best-scored leads, open retention
//! alerts and the reader's tasks due today.

use super::{Report, ReportError, ReportQuery, funnel, leads, messages, runs};
use af_core::reports::{Period, change_percent};
use af_core::{UserId, WorkspaceId};
use af_db::reports::{Cell, lead_count, open_alerts_by_risk, top_scored, upcoming_appointments};
use af_db::{Db, Ts};
use jiff::ToSpan;

/// A number with the same measure over the period just before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpi {
    pub value: i64,
    pub previous: i64,
    pub change_pct: Option<i64>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub leads_today: Kpi,
    pub leads_7: Kpi,
    pub leads_30: Kpi,
    pub leads: Report,
    pub funnel: Report,
    /// Booked or pending appointments starting in the next 7 days.
    pub upcoming: i64,
    /// Appointments booked since Monday (local).
    pub booked_this_week: i64,
    pub runs: Report,
    pub messages: Report,
    pub top_scored: Vec<Cell>,
    /// Open alerts per risk band, highest first.
    pub alerts_by_risk: Vec<Cell>,
    pub my_tasks: Vec<af_db::tasks::Task>,
}

async fn kpi(db: &Db, ws: WorkspaceId, q: &ReportQuery, days: i64) -> Result<Kpi, ReportError> {
    let p = Period::last(days, q.today);
    let span = |p: Period| {
        let e = p.edges(&q.tz);
        (Ts::new(e[0]), Ts::new(e[e.len() - 1]))
    };
    let (lo, hi) = span(p);
    let (plo, phi) = span(p.previous());
    let value = lead_count(db, ws, lo, hi, &q.filters).await?;
    let previous = lead_count(db, ws, plo, phi, &q.filters).await?;
    Ok(Kpi {
        value,
        previous,
        change_pct: change_percent(value, previous),
    })
}

pub async fn dashboard(
    db: &Db,
    ws: WorkspaceId,
    user: UserId,
    q: &ReportQuery,
) -> Result<Dashboard, ReportError> {
    let start_of = |d: jiff::civil::Date| Ts::new(af_core::retention::start_of_day(d, &q.tz));
    let week_start = q
        .today
        .checked_sub(i64::from(q.today.weekday().to_monday_zero_offset()).days())
        .unwrap_or(q.today);
    let upcoming_end = q
        .now
        .0
        .checked_add(jiff::SignedDuration::from_hours(7 * 24))
        .ok();
    let upcoming = match upcoming_end {
        Some(end) => upcoming_appointments(db, ws, q.now, Ts::new(end))
            .await?
            .iter()
            .map(|c| c.n)
            .sum(),
        None => 0,
    };
    let week = Period {
        from: week_start,
        to: q.today,
    };
    let week_edges: Vec<Ts> = week.edges(&q.tz).into_iter().map(Ts::new).collect();
    let booked_this_week = af_db::reports::appointments_by(
        db,
        ws,
        af_db::reports::Days { edges: &week_edges },
        &Default::default(),
        false,
    )
    .await?
    .iter()
    .map(|c| c.n)
    .sum();

    let mut alerts_by_risk = open_alerts_by_risk(db, ws).await?;
    alerts_by_risk
        .sort_by_key(|c| std::cmp::Reverse(c.k1.as_deref().and_then(|k| k.parse::<i64>().ok())));

    let today_end = start_of(q.today.tomorrow().unwrap_or(q.today));
    let mut my_tasks = af_db::tasks::list_open_tasks_for(db, ws, user, 50).await?;
    my_tasks.retain(|t| t.due_at.is_some_and(|d| d < today_end));

    Ok(Dashboard {
        leads_today: kpi(db, ws, q, 1).await?,
        leads_7: kpi(db, ws, q, 7).await?,
        leads_30: kpi(db, ws, q, 30).await?,
        leads: leads::report(db, ws, q).await?,
        funnel: funnel::report(db, ws, q).await?,
        upcoming,
        booked_this_week,
        runs: runs::report(db, ws, q).await?,
        messages: messages::report(db, ws, q).await?,
        top_scored: top_scored(db, ws, 5).await?,
        alerts_by_risk,
        my_tasks,
    })
}
