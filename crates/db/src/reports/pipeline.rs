//! The pipeline: deals per stage now (count and value per currency), how
//! long they have sat there, and what was won and lost in a period.

use super::{Cell, Days, Filters, age_seconds, cells, id_text, range_sql};
use crate::placeholders::{Params, Val};
use crate::{Db, DbResult, Ts};
use af_core::{PipelineId, WorkspaceId};

fn owner_sql(p: &mut Params, f: &Filters) -> String {
    match f.owner {
        Some(u) => format!(" AND d.owner_id = {}", p.push(Val::Id(u))),
        None => String::new(),
    }
}

/// Deals in each stage of `pipeline` now: `k1` the stage id, `k2` the
/// currency, `n` deals, `amount` their value in minor units.
pub async fn deals_by_stage(
    db: &Db,
    ws: WorkspaceId,
    pipeline: PipelineId,
    f: &Filters,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let pm = p.push(Val::Id(pipeline.0));
    let owner = owner_sql(&mut p, f);
    let stage = id_text(db.backend(), "d.stage_id");
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket, {stage} AS k1, d.currency AS k2, CAST(NULL AS TEXT) AS k3, COUNT(*) AS n,
                CAST(SUM(d.value_minor) AS BIGINT) AS amount
         FROM deals d
         WHERE d.workspace_id = {wsm} AND d.pipeline_id = {pm}{owner}
         GROUP BY 2, 3"
    );
    cells(db, sql, p).await
}

/// How long the deals now in each stage have been there: `k1` the stage
/// id, `n` deals, `amount` their average age in seconds at `now`.
pub async fn stage_ages(
    db: &Db,
    ws: WorkspaceId,
    pipeline: PipelineId,
    f: &Filters,
    now: Ts,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let nowm = p.push(Val::At(now));
    let wsm = p.push(Val::Id(ws.0));
    let pm = p.push(Val::Id(pipeline.0));
    let owner = owner_sql(&mut p, f);
    let stage = id_text(db.backend(), "d.stage_id");
    let age = age_seconds(db.backend(), "d.stage_entered_at", &nowm);
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket, {stage} AS k1, CAST(NULL AS TEXT) AS k2, CAST(NULL AS TEXT) AS k3, COUNT(*) AS n,
                CAST(AVG({age}) AS BIGINT) AS amount
         FROM deals d
         WHERE d.workspace_id = {wsm} AND d.pipeline_id = {pm}{owner}
         GROUP BY 2"
    );
    cells(db, sql, p).await
}

/// Deals that reached a won or lost stage in the period (of `pipeline`
/// when the filter names one). With `by_reason`: `k1` won/lost, `k2` the
/// lost reason; otherwise `k2` the currency and `amount` the value.
pub async fn won_lost(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    f: &Filters,
    by_reason: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "d.stage_entered_at", days);
    let mut w = owner_sql(&mut p, f);
    if let Some(pl) = f.pipeline {
        w.push_str(&format!(" AND d.pipeline_id = {}", p.push(Val::Id(pl))));
    }
    let k2 = if by_reason {
        "d.lost_reason"
    } else {
        "d.currency"
    };
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket, s.kind AS k1, {k2} AS k2, CAST(NULL AS TEXT) AS k3, COUNT(*) AS n,
                CAST(SUM(d.value_minor) AS BIGINT) AS amount
         FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE d.workspace_id = {wsm} AND s.kind IN ('won', 'lost') AND {range}{w}
         GROUP BY 2, 3"
    );
    cells(db, sql, p).await
}
