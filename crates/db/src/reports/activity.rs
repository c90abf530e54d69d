//! What the product did for the workspace in a period: messages by
//! channel, provider and status; automation enrolments and step runs;
//! appointments booked, by calendar, host and status.

use super::{Cell, Days, Filters, bucket_sql, cells, id_text, range_sql};
use crate::placeholders::{Params, Val};
use crate::{Db, DbResult, Ts};
use af_core::WorkspaceId;

fn bucket_or_zero(p: &mut Params, col: &str, days: Days<'_>, by_day: bool) -> String {
    if by_day {
        bucket_sql(p, col, days)
    } else {
        "CAST(0 AS BIGINT)".into()
    }
}

/// Outbound messages created in the period: `k1` channel, `k2` status,
/// `k3` provider (when `with_provider`), by day when `by_day`.
pub async fn messages_by(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    f: &Filters,
    by_day: bool,
    with_provider: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = bucket_or_zero(&mut p, "m.created_at", days, by_day);
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "m.created_at", days);
    let mut w = String::new();
    if let Some(c) = &f.channel {
        w.push_str(&format!(
            " AND m.channel = {}",
            p.push(Val::Text(c.clone()))
        ));
    }
    let k3 = if with_provider {
        "m.provider"
    } else {
        "CAST(NULL AS TEXT)"
    };
    let sql = format!(
        "SELECT {bucket} AS bucket, m.channel AS k1, m.status AS k2, {k3} AS k3, COUNT(*) AS n,
                CAST(0 AS BIGINT) AS amount
         FROM messages m
         WHERE m.workspace_id = {wsm} AND m.direction = 'outbound' AND {range}{w}
         GROUP BY 1, 2, 3, 4"
    );
    cells(db, sql, p).await
}

/// Enrolments started in the period (test runs left out): `k1` workflow
/// id, `k2` status — `goal` for those that left by reaching their goal.
pub async fn enrollments_by(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    by_day: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = bucket_or_zero(&mut p, "e.started_at", days, by_day);
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "e.started_at", days);
    let wf = id_text(db.backend(), "e.workflow_id");
    let sql = format!(
        "SELECT {bucket} AS bucket, {wf} AS k1,
                CASE WHEN e.status = 'exited' AND (e.exit_reason LIKE 'goal:%' OR e.exit_reason = 'replied') THEN 'goal'
                     ELSE e.status END AS k2,
                CAST(NULL AS TEXT) AS k3, COUNT(*) AS n, CAST(0 AS BIGINT) AS amount
         FROM enrollments e
         WHERE e.workspace_id = {wsm} AND e.test_mode = FALSE AND {range}
         GROUP BY 1, 2, 3"
    );
    cells(db, sql, p).await
}

/// Step runs in the period: `k1` workflow id, `k2` step id, `k3` status;
/// by day when `by_day`.
pub async fn step_runs_by(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    by_day: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = bucket_or_zero(&mut p, "r.created_at", days, by_day);
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "r.created_at", days);
    let wf = id_text(db.backend(), "r.workflow_id");
    let sql = format!(
        "SELECT {bucket} AS bucket, {wf} AS k1, r.step_id AS k2, r.status AS k3, COUNT(*) AS n,
                CAST(0 AS BIGINT) AS amount
         FROM step_runs r
         WHERE r.workspace_id = {wsm} AND {range}
         GROUP BY 1, 2, 3, 4"
    );
    cells(db, sql, p).await
}

/// Appointments booked (created) in the period: `k1` calendar id, `k2`
/// host user id, `k3` status; by day when `by_day`.
pub async fn appointments_by(
    db: &Db,
    ws: WorkspaceId,
    days: Days<'_>,
    f: &Filters,
    by_day: bool,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let bucket = bucket_or_zero(&mut p, "a.created_at", days, by_day);
    let wsm = p.push(Val::Id(ws.0));
    let range = range_sql(&mut p, "a.created_at", days);
    let mut w = String::new();
    if let Some(c) = f.calendar {
        w.push_str(&format!(" AND a.calendar_id = {}", p.push(Val::Id(c))));
    }
    if let Some(u) = f.owner {
        w.push_str(&format!(" AND a.host_user_id = {}", p.push(Val::Id(u))));
    }
    let cal = id_text(db.backend(), "a.calendar_id");
    let host = id_text(db.backend(), "a.host_user_id");
    let sql = format!(
        "SELECT {bucket} AS bucket, {cal} AS k1, {host} AS k2, a.status AS k3, COUNT(*) AS n,
                CAST(0 AS BIGINT) AS amount
         FROM appointments a
         WHERE a.workspace_id = {wsm} AND {range}{w}
         GROUP BY 1, 2, 3, 4"
    );
    cells(db, sql, p).await
}

/// Appointments still on (booked or waiting for confirmation) that start
/// in `[from, to)`: `n` per status in `k1`.
pub async fn upcoming_appointments(
    db: &Db,
    ws: WorkspaceId,
    from: Ts,
    to: Ts,
) -> DbResult<Vec<Cell>> {
    let mut p = Params::default();
    let wsm = p.push(Val::Id(ws.0));
    let lo = p.push(Val::At(from));
    let hi = p.push(Val::At(to));
    let sql = format!(
        "SELECT CAST(0 AS BIGINT) AS bucket, a.status AS k1, CAST(NULL AS TEXT) AS k2,
                CAST(NULL AS TEXT) AS k3, COUNT(*) AS n, CAST(0 AS BIGINT) AS amount
         FROM appointments a
         WHERE a.workspace_id = {wsm} AND a.starts_at >= {lo} AND a.starts_at < {hi}
           AND a.status IN ('booked', 'pending')
         GROUP BY 2"
    );
    cells(db, sql, p).await
}
