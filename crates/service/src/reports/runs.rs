//! Automations: per workflow, what happened to the enrolments started in
//! the period; per step, how many runs went through and where they
//! dropped; per day, runs and failures.

use super::by_day::{by_day, over_period};
use super::{Report, ReportError, ReportQuery, Table, key_id};
use af_core::WorkspaceId;
use af_core::reports::ReportName;
use af_db::Db;
use af_db::reports::days::Measure;
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

const STATUSES: [&str; 5] = ["completed", "goal", "exited", "failed", "in_progress"];

fn status_slot(s: &str) -> &'static str {
    match s {
        "completed" => "completed",
        "goal" => "goal",
        "exited" => "exited",
        "failed" => "failed",
        _ => "in_progress",
    }
}

pub(crate) async fn report(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    let names: BTreeMap<Uuid, String> = af_db::automations::list_workflows(db, ws)
        .await?
        .into_iter()
        .map(|w| (w.id.0, w.name))
        .collect();
    let name_of = |id: Option<Uuid>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();

    // By day from the roll-up: enrolments (k1 workflow, k2 status) and
    // step runs (k1 workflow, k2 step, k3 status).
    let by_day_runs = by_day(db, ws, Measure::Enrollments, q).await?;
    let steps_by_day = by_day(db, ws, Measure::StepRuns, q).await?;
    let enrolled = over_period(&by_day_runs);
    let mut per: BTreeMap<Option<Uuid>, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for c in &enrolled {
        let slot = status_slot(c.k2.as_deref().unwrap_or(""));
        *per.entry(key_id(&c.k1))
            .or_default()
            .entry(slot)
            .or_insert(0) += c.n;
    }
    let mut series = Table::new(&[
        "workflow_id",
        "workflow",
        "enrolled",
        "in_progress",
        "completed",
        "goal",
        "exited",
        "failed",
    ]);
    let mut rows: Vec<_> = per.into_iter().collect();
    rows.sort_by_key(|(id, _)| name_of(*id).to_lowercase());
    let mut totals = BTreeMap::new();
    for (id, counts) in &rows {
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        let enrolled: i64 = counts.values().sum();
        series.push(vec![
            json!(id.map(|u| u.to_string())),
            json!(name_of(*id)),
            json!(enrolled),
            json!(get("in_progress")),
            json!(get("completed")),
            json!(get("goal")),
            json!(get("exited")),
            json!(get("failed")),
        ]);
        *totals.entry("enrolled".to_string()).or_insert(0) += enrolled;
        for s in STATUSES {
            *totals.entry(s.to_string()).or_insert(0) += get(s);
        }
    }

    // Per step: runs by status; the drop-off is the share that failed or
    // left the workflow there.
    let steps = over_period(&steps_by_day);
    let mut per_step: BTreeMap<(String, String), BTreeMap<String, i64>> = BTreeMap::new();
    for c in &steps {
        let wf = name_of(key_id(&c.k1));
        let step = c.k2.clone().unwrap_or_default();
        *per_step
            .entry((wf, step))
            .or_default()
            .entry(c.k3.clone().unwrap_or_default())
            .or_insert(0) += c.n;
    }
    let mut steps_t = Table::new(&[
        "workflow",
        "step",
        "runs",
        "done",
        "skipped",
        "waiting",
        "exited",
        "failed",
        "drop_off_pct",
    ]);
    for ((wf, step), counts) in &per_step {
        let get = |k: &str| counts.get(k).copied().unwrap_or(0);
        let runs: i64 = counts.values().sum();
        steps_t.push(vec![
            json!(wf),
            json!(step),
            json!(runs),
            json!(get("done")),
            json!(get("skipped")),
            json!(get("waiting")),
            json!(get("exited")),
            json!(get("failed")),
            json!(super::leads::share(get("exited") + get("failed"), runs)),
        ]);
    }

    // Per day: enrolments started and those of them that failed, and
    // failed step runs.
    let days = q.day_labels();
    let by_day = &by_day_runs;
    let failed_steps = &steps_by_day;
    let mut runs = vec![0i64; days.len()];
    let mut failed = vec![0i64; days.len()];
    let mut step_failures = vec![0i64; days.len()];
    for c in by_day {
        if let Ok(b) = usize::try_from(c.bucket)
            && b < days.len()
        {
            runs[b] += c.n;
            if c.k2.as_deref() == Some("failed") {
                failed[b] += c.n;
            }
        }
    }
    for c in failed_steps
        .iter()
        .filter(|c| c.k3.as_deref() == Some("failed"))
    {
        if let Ok(b) = usize::try_from(c.bucket)
            && b < days.len()
        {
            step_failures[b] += c.n;
        }
    }
    let mut days_t = Table::new(&["day", "runs", "failed_runs", "failed_steps"]);
    for (i, d) in days.iter().enumerate() {
        days_t.push(vec![
            json!(d),
            json!(runs[i]),
            json!(failed[i]),
            json!(step_failures[i]),
        ]);
    }
    totals.insert("failed_steps".into(), step_failures.iter().sum());
    Ok(Report {
        name: ReportName::Automations,
        series,
        totals,
        extra: vec![("steps", steps_t), ("days", days_t)],
    })
}
