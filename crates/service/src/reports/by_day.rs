//! A measure by day over a report's period: the closed days from the
//! daily roll-up (counted and stored first when missing), today and later
//! counted live — the same statements either way, so a stored day and a
//! live one cannot disagree.

use super::ReportQuery;
use af_core::WorkspaceId;
use af_db::reports::days::{self, Measure};
use af_db::reports::{Cell, Days};
use af_db::{Db, DbResult};

/// The zone name days are stored under.
pub(crate) fn zone_name(q: &ReportQuery) -> String {
    q.tz.iana_name().unwrap_or("UTC").to_string()
}

/// Stores the period's closed days that the roll-up does not hold yet;
/// answers how many leading days are closed.
pub(crate) async fn ensure_closed_days(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> DbResult<usize> {
    let labels = q.day_labels();
    let today = q.today.to_string();
    let closed = labels.iter().take_while(|d| **d < today).count();
    if closed == 0 {
        return Ok(0);
    }
    let zone = zone_name(q);
    let stored = days::stored_days(db, ws, &zone, &labels[..closed]).await?;
    let missing: Vec<usize> = (0..closed).filter(|&i| !stored[i]).collect();
    if !missing.is_empty() {
        days::store_days(db, ws, &zone, &labels, &q.edges, &missing, q.now).await?;
    }
    Ok(closed)
}

/// Cells of `m` by day (`bucket` = day index of the period).
pub(crate) async fn by_day(
    db: &Db,
    ws: WorkspaceId,
    m: Measure,
    q: &ReportQuery,
) -> DbResult<Vec<Cell>> {
    let labels = q.day_labels();
    let closed = ensure_closed_days(db, ws, q).await?;
    let mut out = if closed > 0 {
        days::stored(db, ws, m, &labels[..closed]).await?
    } else {
        Vec::new()
    };
    if closed < labels.len() {
        let edges = &q.edges[closed..];
        let mut live = days::live(db, ws, m, Days { edges }).await?;
        for c in &mut live {
            c.bucket += closed as i64;
        }
        out.extend(live);
    }
    Ok(out)
}

/// A cell's keys.
type Keys = (Option<String>, Option<String>, Option<String>);

/// Sums cells over the days: one cell per key triple.
pub(crate) fn over_period(cells: &[Cell]) -> Vec<Cell> {
    let mut m: std::collections::BTreeMap<Keys, (i64, i64)> = Default::default();
    for c in cells {
        let e = m
            .entry((c.k1.clone(), c.k2.clone(), c.k3.clone()))
            .or_default();
        e.0 += c.n;
        e.1 += c.amount;
    }
    m.into_iter()
        .map(|((k1, k2, k3), (n, amount))| Cell {
            bucket: 0,
            k1,
            k2,
            k3,
            n,
            amount,
        })
        .collect()
}
