//! The dashboard's short lists: the best-scored leads and the open
//! retention alerts by risk band.

use super::{Cell, cells, id_text};
use crate::placeholders::{Params, Val};
use crate::{Db, DbResult};
use af_core::WorkspaceId;

/// The `limit` contacts with the highest score above zero: `k1` id, `k2`
/// first name, `k3` last name, `n` score.
pub async fn top_scored(db: &Db, ws: WorkspaceId, limit: i64) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let lim = p.push(Val::Int(limit));
    let id = id_text(db.backend(), "c.id");
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket, {id} AS k1, c.first_name AS k2, c.last_name AS k3,
                CAST(c.score AS BIGINT) AS n, CAST(0 AS BIGINT) AS amount
         FROM contacts c
         WHERE c.workspace_id = {wsm} AND c.score > 0
         ORDER BY c.score DESC, c.id
         LIMIT {lim}"
    );
    cells(db, sql, p).await
}

/// Open and in-progress retention alerts per risk band: `k1` the band's
/// lower bound (`90`, `70`, `50`, `0`).
pub async fn open_alerts_by_risk(db: &Db, ws: WorkspaceId) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket,
                CASE WHEN r.risk >= 90 THEN '90' WHEN r.risk >= 70 THEN '70'
                     WHEN r.risk >= 50 THEN '50' ELSE '0' END AS k1,
                CAST(NULL AS TEXT) AS k2, CAST(NULL AS TEXT) AS k3,
                COUNT(*) AS n, CAST(0 AS BIGINT) AS amount
         FROM retention_alerts r
         WHERE r.workspace_id = {wsm} AND r.status IN ('open', 'in_progress')
         GROUP BY 2"
    );
    cells(db, sql, p).await
}
