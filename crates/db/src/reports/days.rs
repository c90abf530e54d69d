//! The daily roll-up: a workspace's closed local days counted once into
//! `report_days`, so a report over a month reads ~30 small groups per
//! measure instead of every message of the month.
//!
//! A day is stored with the statements the live reports run (one source
//! of truth: stored and live counts cannot disagree), in the zone it was
//! cut in; a day of another zone counts as not stored. Readers take the
//! stored days and count the rest live ([`stored`], [`live`]); the
//! service layer stores missing closed days before reading and a job
//! recounts recent days, whose messages and appointments still change
//! status.

use super::{Cell, Days, Filters, activity, cells};
use crate::placeholders::{Marks, Params, STEADY_ROWS, Val, steady_chunks};
use crate::{Db, DbResult, Ts, with_pool, with_tx};
use af_core::WorkspaceId;

/// A measure kept per day, with what its keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Contacts created: `k1` source.
    Leads,
    /// Contacts created: `k1` first-touch UTM campaign.
    LeadsFirstCampaign,
    /// Contacts created: `k1` last-touch UTM campaign.
    LeadsLastCampaign,
    /// Outbound messages created: `k1` channel, `k2` status, `k3` provider.
    Messages,
    /// Appointments booked: `k1` calendar id, `k2` host id, `k3` status.
    Appointments,
    /// Enrolments started: `k1` workflow id, `k2` status (`goal` apart).
    Enrollments,
    /// Step runs: `k1` workflow id, `k2` step id, `k3` status.
    StepRuns,
}

impl Measure {
    pub const ALL: [Measure; 7] = [
        Measure::Leads,
        Measure::LeadsFirstCampaign,
        Measure::LeadsLastCampaign,
        Measure::Messages,
        Measure::Appointments,
        Measure::Enrollments,
        Measure::StepRuns,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Leads => "leads",
            Measure::LeadsFirstCampaign => "leads_first_campaign",
            Measure::LeadsLastCampaign => "leads_last_campaign",
            Measure::Messages => "messages",
            Measure::Appointments => "appointments",
            Measure::Enrollments => "enrollments",
            Measure::StepRuns => "step_runs",
        }
    }
}

/// The measure counted live by day over `days`, unfiltered.
pub async fn live(db: &Db, ws: WorkspaceId, m: Measure, days: Days<'_>) -> DbResult<Vec<Cell>> {
    let none = Filters::default();
    match m {
        Measure::Leads => leads_by_day(db, ws, days, "c.source").await,
        Measure::LeadsFirstCampaign => leads_by_day(db, ws, days, "c.first_utm_campaign").await,
        Measure::LeadsLastCampaign => leads_by_day(db, ws, days, "c.last_utm_campaign").await,
        Measure::Messages => activity::messages_by(db, ws, days, &none, true, true).await,
        Measure::Appointments => activity::appointments_by(db, ws, days, &none, true).await,
        Measure::Enrollments => activity::enrollments_by(db, ws, days, true).await,
        Measure::StepRuns => activity::step_runs_by(db, ws, days, true).await,
    }
}

/// Leads by day and one column of ours (`col` is a constant of this
/// module, never input).
async fn leads_by_day(db: &Db, ws: WorkspaceId, days: Days<'_>, col: &str) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = super::bucket_sql(&mut p, "c.created_at", days);
    let wsm = p.push(Val::Id(ws.0));
    let range = super::range_sql(&mut p, "c.created_at", days);
    let sql = format!(
        "SELECT {bucket} AS bucket, {col} AS k1, CAST(NULL AS TEXT) AS k2,
                CAST(NULL AS TEXT) AS k3, COUNT(*) AS n, CAST(0 AS BIGINT) AS amount
         FROM contacts c
         WHERE c.workspace_id = {wsm} AND {range}
         GROUP BY 1, 2"
    );
    cells(db, sql, p).await
}

/// Which of `labels` (days `YYYY-MM-DD`) are stored for zone `zone`.
pub async fn stored_days(
    db: &Db,
    ws: WorkspaceId,
    zone: &str,
    labels: &[String],
) -> DbResult<Vec<bool>> {
    let (Some(first), Some(last)) = (labels.first(), labels.last()) else {
        return Ok(Vec::new());
    };
    let done: Vec<String> = with_pool!(db, p => {
        sqlx::query_scalar(
            "SELECT day FROM report_days_done
             WHERE workspace_id = $1 AND day >= $2 AND day <= $3 AND time_zone = $4",
        )
        .bind(ws.0)
        .bind(first)
        .bind(last)
        .bind(zone)
        .fetch_all(p)
        .await?
    });
    Ok(labels.iter().map(|d| done.contains(d)).collect())
}

/// The stored cells of `m` for `labels`' days (`bucket` = index in
/// `labels`; empty keys read as none).
pub async fn stored(
    db: &Db,
    ws: WorkspaceId,
    m: Measure,
    labels: &[String],
) -> DbResult<Vec<Cell>> {
    let (Some(first), Some(last)) = (labels.first(), labels.last()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, String, String, String, i64, i64)> = with_pool!(db, p => {
        sqlx::query_as(
            "SELECT day, k1, k2, k3, n, amount FROM report_days
             WHERE workspace_id = $1 AND measure = $2 AND day >= $3 AND day <= $4",
        )
        .bind(ws.0)
        .bind(m.as_str())
        .bind(first)
        .bind(last)
        .fetch_all(p)
        .await?
    });
    let key = |s: String| (!s.is_empty()).then_some(s);
    Ok(rows
        .into_iter()
        .filter_map(|(day, k1, k2, k3, n, amount)| {
            let bucket = labels.iter().position(|d| *d == day)?;
            Some(Cell {
                bucket: bucket as i64,
                k1: key(k1),
                k2: key(k2),
                k3: key(k3),
                n,
                amount,
            })
        })
        .collect())
}

/// Counts the days `labels[i]` for each `i` in `which` (whose instants
/// are `edges[i] .. edges[i + 1]`, cut in `zone`) and stores them, every
/// measure, replacing what was stored. Contiguous days are counted by one
/// statement per measure.
pub async fn store_days(
    db: &Db,
    ws: WorkspaceId,
    zone: &str,
    labels: &[String],
    edges: &[Ts],
    which: &[usize],
    now: Ts,
) -> DbResult<()> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for &i in which {
        match spans.last_mut() {
            Some((_, end)) if *end == i => *end = i + 1,
            _ => spans.push((i, i + 1)),
        }
    }
    for (start, end) in spans {
        let Some(span_edges) = edges.get(start..=end) else {
            continue;
        };
        let days = Days { edges: span_edges };
        let mut rows: Vec<(Measure, Cell)> = Vec::new();
        for m in Measure::ALL {
            for c in live(db, ws, m, days).await? {
                rows.push((m, c));
            }
        }
        let day_of = |c: &Cell| labels.get(start + c.bucket.max(0) as usize).cloned();
        let span_days = &labels[start..end];
        let mut tx = db.begin().await?;
        with_tx!(tx, c => {
            sqlx::query("DELETE FROM report_days WHERE workspace_id = $1 AND day >= $2 AND day <= $3")
                .bind(ws.0)
                .bind(&span_days[0])
                .bind(&span_days[span_days.len() - 1])
                .execute(&mut *c)
                .await?;
        });
        // Live cells can repeat a key (a NULL and an empty source are both
        // stored as ''): fold them first.
        let mut folded: std::collections::BTreeMap<StoredKey, (i64, i64)> = Default::default();
        for (m, c) in &rows {
            let Some(day) = day_of(c) else { continue };
            let e = folded
                .entry((
                    m.as_str(),
                    day,
                    c.k1.clone().unwrap_or_default(),
                    c.k2.clone().unwrap_or_default(),
                    c.k3.clone().unwrap_or_default(),
                ))
                .or_default();
            e.0 += c.n;
            e.1 += c.amount;
        }
        let folded: Vec<_> = folded.into_iter().collect();
        for r in steady_chunks(folded.len(), STEADY_ROWS) {
            let group = &folded[r];
            let sql = format!(
                "INSERT INTO report_days (workspace_id, measure, day, k1, k2, k3, n, amount) VALUES {}
                 ON CONFLICT (workspace_id, measure, day, k1, k2, k3)
                 DO UPDATE SET n = excluded.n, amount = excluded.amount",
                Marks::new(&tx).rows(group.len(), 8)
            );
            with_tx!(tx, c => {
                // Only placeholders are formatted into the text.
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for ((m, day, k1, k2, k3), (n, amount)) in group {
                    q = q.bind(ws.0).bind(*m).bind(day).bind(k1).bind(k2).bind(k3).bind(*n).bind(*amount);
                }
                q.execute(&mut *c).await?;
            });
        }
        for day in span_days {
            with_tx!(tx, c => {
                sqlx::query(
                    "INSERT INTO report_days_done (workspace_id, day, time_zone, computed_at)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (workspace_id, day)
                     DO UPDATE SET time_zone = excluded.time_zone, computed_at = excluded.computed_at",
                )
                .bind(ws.0)
                .bind(day)
                .bind(zone)
                .bind(now)
                .execute(&mut *c)
                .await?;
            });
        }
        tx.commit().await?;
    }
    Ok(())
}

/// A stored row's key: measure, day, k1, k2, k3.
type StoredKey = (&'static str, String, String, String, String);

/// The workspaces with anything stored, for the job that recounts recent
/// days.
pub async fn workspaces_with_days(db: &Db) -> DbResult<Vec<WorkspaceId>> {
    let ids: Vec<uuid::Uuid> = with_pool!(db, p => {
        sqlx::query_scalar("SELECT DISTINCT workspace_id FROM report_days_done")
            .fetch_all(p)
            .await?
    });
    Ok(ids.into_iter().map(WorkspaceId).collect())
}
