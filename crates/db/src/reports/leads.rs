//! New leads: contacts created in a period, by day and by where they came
//! from (source, or the first / last touch's UTM values).

use super::{Cell, Days, Filters, bucket_sql, cells, range_sql};
use crate::placeholders::{Params, Val, bind_vals};
use crate::{Db, DbResult, Ts, with_pool};
use af_core::WorkspaceId;

/// Which visit's UTM values attribute a lead: the first that brought her,
/// or the last before she converted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Touch {
    #[default]
    First,
    Last,
}

impl Touch {
    fn prefix(self) -> &'static str {
        match self {
            Touch::First => "first",
            Touch::Last => "last",
        }
    }
}

/// What leads are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadDim {
    Source,
    UtmSource,
    UtmMedium,
    UtmCampaign,
}

impl LeadDim {
    fn column(self, touch: Touch) -> String {
        let p = touch.prefix();
        match self {
            LeadDim::Source => "c.source".into(),
            LeadDim::UtmSource => format!("c.{p}_utm_source"),
            LeadDim::UtmMedium => format!("c.{p}_utm_medium"),
            LeadDim::UtmCampaign => format!("c.{p}_utm_campaign"),
        }
    }
}

fn filter_sql(p: &mut Params, f: &Filters) -> String {
    let mut w = String::new();
    if let Some(s) = &f.source {
        w.push_str(&format!(" AND c.source = {}", p.push(Val::Text(s.clone()))));
    }
    if let Some(s) = &f.campaign {
        let col = LeadDim::UtmCampaign.column(f.touch);
        w.push_str(&format!(" AND {col} = {}", p.push(Val::Text(s.clone()))));
    }
    if let Some(u) = f.owner {
        w.push_str(&format!(" AND c.owner_id = {}", p.push(Val::Id(u))));
    }
    if let Some(form) = f.form {
        w.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM form_submissions s
                          WHERE s.workspace_id = c.workspace_id AND s.contact_id = c.id
                            AND s.form_id = {})",
            p.push(Val::Id(form))
        ));
    }
    w
}

/// Leads created in the period, by day (when `by_day`) and by `dim`
/// (`k1`; `None` when the lead has no value).
pub async fn leads_by(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    f: &Filters,
    dim: LeadDim,
    by_day: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = if by_day {
        bucket_sql(&mut p, "c.created_at", days)
    } else {
        "CAST(0 AS BIGINT)".into()
    };
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "c.created_at", days);
    let filters = filter_sql(&mut p, f);
    let col = dim.column(f.touch);
    let sql = format!(
        "SELECT {bucket} AS bucket, {col} AS k1, CAST(NULL AS TEXT) AS k2, CAST(NULL AS TEXT) AS k3, COUNT(*) AS n,
                CAST(0 AS BIGINT) AS amount
         FROM contacts c
         WHERE c.workspace_id = {wsm} AND {range}{filters}
         GROUP BY 1, 2"
    );
    cells(db, sql, p).await
}

/// How many leads were created in `[from, to)`.
pub async fn lead_count(db: &Db, ws: WorkspaceId, from: Ts, to: Ts, f: &Filters) -> DbResult<i64> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let lo = p.push(Val::At(from));
    let hi = p.push(Val::At(to));
    let filters = filter_sql(&mut p, f);
    let sql = format!(
        "SELECT COUNT(*) FROM contacts c
         WHERE c.workspace_id = {wsm} AND c.created_at >= {lo} AND c.created_at < {hi}{filters}"
    );
    Ok(with_pool!(db, pool => {
        bind_vals!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())), &p.vals)
            .fetch_one(pool)
            .await?
    }))
}
