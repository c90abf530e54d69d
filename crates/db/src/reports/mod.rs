//! Measures for the dashboard, the reports and the agency roll-up.
//!
//! Every measure is one grouped statement over one table, scoped to the
//! workspace (or, for the roll-up, to the reader's workspaces) and read
//! through an index that starts with `workspace_id`. Counts by day are
//! bucketed in the database with a `CASE` over the local days' first
//! instants (the caller cuts the period in the workspace's zone), so a
//! day is a local day on both backends and a DST day counts right.
//!
//! Rows come back as [`Cell`]s: a day bucket, up to two keys, a count and
//! an amount. The service layer names them; this layer only counts.

mod activity;
mod cards;
pub mod days;
mod leads;
mod pipeline;
mod rollup;

pub use activity::{
    appointments_by, enrollments_by, messages_by, step_runs_by, upcoming_appointments,
};
pub use cards::{open_alerts_by_risk, top_scored};
pub use leads::{LeadDim, Touch, lead_count, leads_by};
pub use pipeline::{deals_by_stage, stage_ages, won_lost};
pub use rollup::{WorkspaceMeasure, rollup, rollup_days_stored, rollup_stored};

use crate::placeholders::{Params, Val, bind_vals};
use crate::{Backend, Db, DbResult, Ts, with_pool};
use uuid::Uuid;

/// One group of a measure: up to three keys (`k1`, `k2`, `k3`), meaning
/// what the measure's documentation says.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Cell {
    /// The local day (index into the period's days); 0 when not by day.
    pub bucket: i64,
    pub k1: Option<String>,
    pub k2: Option<String>,
    pub k3: Option<String>,
    pub n: i64,
    /// A sum (money in minor units, seconds) where the measure has one.
    pub amount: i64,
}

/// What a reader narrowed a report to. Each measure applies the filters
/// that mean something for its table and ignores the rest.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub pipeline: Option<Uuid>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub owner: Option<Uuid>,
    pub channel: Option<String>,
    pub form: Option<Uuid>,
    pub calendar: Option<Uuid>,
    /// Which touch `campaign` and the UTM dimensions read.
    pub touch: Touch,
}

/// The local days of a period: day `i` is `edges[i] .. edges[i + 1]`.
#[derive(Debug, Clone, Copy)]
pub struct Days<'a> {
    pub edges: &'a [Ts],
}

impl Days<'_> {
    fn lo(&self) -> Ts {
        self.edges
            .first()
            .copied()
            .unwrap_or(Ts::new(jiff::Timestamp::UNIX_EPOCH))
    }
    fn hi(&self) -> Ts {
        self.edges
            .last()
            .copied()
            .unwrap_or(Ts::new(jiff::Timestamp::UNIX_EPOCH))
    }
}

/// `CAST(CASE WHEN col < e1 THEN 0 … ELSE n-1 END AS BIGINT)`: the day
/// bucket of `col`, for rows already limited to the period.
fn bucket_sql(p: &mut Params, col: &str, days: Days<'_>) -> String {
    let inner = days
        .edges
        .get(1..days.edges.len().saturating_sub(1))
        .unwrap_or(&[]);
    if inner.is_empty() {
        return "CAST(0 AS BIGINT)".into();
    }
    let mut s = String::from("CAST(CASE");
    for (i, e) in inner.iter().enumerate() {
        s.push_str(&format!(" WHEN {col} < {} THEN {i}", p.push(Val::At(*e))));
    }
    s.push_str(&format!(" ELSE {} END AS BIGINT)", inner.len()));
    s
}

/// `col >= lo AND col < hi`.
fn range_sql(p: &mut Params, col: &str, days: Days<'_>) -> String {
    format!(
        "{col} >= {} AND {col} < {}",
        p.push(Val::At(days.lo())),
        p.push(Val::At(days.hi()))
    )
}

/// An id column as text both backends give back the same way (SQLite
/// keeps ids as blobs; [`parse_id`] reads either form).
fn id_text(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => format!("lower(hex({col}))"),
        Backend::Postgres => format!("CAST({col} AS TEXT)"),
    }
}

/// An id written by [`id_text`].
pub fn parse_id(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s).ok()
}

/// Seconds from `col` to the bound instant `now`.
fn age_seconds(backend: Backend, col: &str, now: &str) -> String {
    match backend {
        Backend::Sqlite => format!("(julianday({now}) - julianday({col})) * 86400.0"),
        Backend::Postgres => format!("EXTRACT(EPOCH FROM (CAST({now} AS TIMESTAMPTZ) - {col}))"),
    }
}

async fn cells(db: &Db, sql: String, p: Params) -> DbResult<Vec<Cell>> {
    Ok(with_pool!(db, pool => {
        // Only placeholders and our own column names are formatted into
        // the text; every value is bound.
        bind_vals!(sqlx::query_as::<_, Cell>(sqlx::AssertSqlSafe(sql.clone())), &p.vals)
            .fetch_all(pool)
            .await?
    }))
}
