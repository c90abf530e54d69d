//! Bookings: appointments made in the period, by day and by calendar and
//! host, with what became of them (cancelled, no-show, completed).

use super::by_day::by_day;
use super::{Report, ReportError, ReportQuery, Table, key_id};
use af_core::WorkspaceId;
use af_core::reports::ReportName;
use af_db::Db;
use af_db::reports::days::Measure;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Appointment statuses, as stored, in the order a reader sees them.
pub const STATUSES: [&str; 6] = [
    "booked",
    "pending",
    "completed",
    "rescheduled",
    "cancelled",
    "no_show",
];

pub(crate) async fn report(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    let days = q.day_labels();
    let calendars: BTreeMap<Uuid, String> = af_db::calendars::list_calendars(db, ws)
        .await?
        .into_iter()
        .map(|c| (c.id.0, c.name))
        .collect();
    let members: BTreeMap<Uuid, String> = af_db::workspaces::list_members(db, ws)
        .await?
        .into_iter()
        .map(|m| (m.user_id.0, m.name))
        .collect();

    // By day from the roll-up (k1 calendar, k2 host, k3 status).
    let cells: Vec<_> = by_day(db, ws, Measure::Appointments, q)
        .await?
        .into_iter()
        .filter(|c| q.filters.calendar.is_none() || key_id(&c.k1) == q.filters.calendar)
        .filter(|c| q.filters.owner.is_none() || key_id(&c.k2) == q.filters.owner)
        .collect();
    let mut per_day = vec![BTreeMap::<&str, i64>::new(); days.len()];
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    let mut per_cal: BTreeMap<(String, String), BTreeMap<&str, i64>> = BTreeMap::new();
    for c in &cells {
        let Some(day) = usize::try_from(c.bucket)
            .ok()
            .and_then(|b| per_day.get_mut(b))
        else {
            continue;
        };
        let status = STATUSES
            .iter()
            .find(|s| Some(**s) == c.k3.as_deref())
            .copied()
            .unwrap_or("booked");
        *day.entry(status).or_insert(0) += c.n;
        *totals.entry(status.to_string()).or_insert(0) += c.n;
        *totals.entry("appointments".into()).or_insert(0) += c.n;
        let cal = key_id(&c.k1)
            .and_then(|id| calendars.get(&id).cloned())
            .unwrap_or_default();
        let host = key_id(&c.k2)
            .and_then(|id| members.get(&id).cloned())
            .unwrap_or_default();
        *per_cal
            .entry((cal, host))
            .or_default()
            .entry(status)
            .or_insert(0) += c.n;
    }
    let mut cols = vec!["day", "appointments"];
    cols.extend(STATUSES);
    let mut series = Table::new(&cols);
    for (i, d) in days.iter().enumerate() {
        let counts = &per_day[i];
        let mut row = vec![json!(d), json!(counts.values().sum::<i64>())];
        row.extend(
            STATUSES
                .iter()
                .map(|s| json!(counts.get(s).copied().unwrap_or(0))),
        );
        series.push(row);
    }
    let mut cols = vec!["calendar", "host", "appointments"];
    cols.extend(STATUSES);
    let mut by_calendar = Table::new(&cols);
    for ((cal, host), counts) in &per_cal {
        let mut row = vec![json!(cal), json!(host), json!(counts.values().sum::<i64>())];
        row.extend(
            STATUSES
                .iter()
                .map(|s| json!(counts.get(s).copied().unwrap_or(0))),
        );
        by_calendar.push(row);
    }
    Ok(Report {
        name: ReportName::Bookings,
        series,
        totals,
        extra: vec![("calendars", by_calendar)],
    })
}
