//! Scoring's reactions and jobs: the product's own events become
//! activities (dispatch calls [`record_event_activity`]), a new threshold
//! enters the contacts already above it (`backfill_threshold`), and the
//! hourly `decay_scores` applies inactivity rules once per period in each
//! workspace's zone. The ledger itself is `af_db::scoring`.

use crate::{EngineResult, job_workspace};
use af_core::jobs::{BackfillThreshold, RecalculateScores};
use af_core::{Actor, ContactId, ThresholdId};
use af_db::events::Event;
use af_db::scoring::{self as store, NewActivity, PRODUCT_EVENTS, Scorer};
use af_db::{Db, Ts};
use af_jobs::{Job, JobContext, JobError};
use serde_json::Value;

/// Keys of an event's data that are not worth copying into the activity
/// (large or personal: answers, bodies, attribution).
const LEFT_OUT: &[&str] = &[
    "fields",
    "answers",
    "attribution",
    "body",
    "from",
    "contact_id",
];

/// Records the activity a product event stands for (form submitted,
/// appointment booked or attended, inbound reply), keyed by the event id:
/// a retried dispatch records nothing twice.
pub async fn record_event_activity(
    db: &Db,
    ws: af_core::WorkspaceId,
    event: &Event,
    data: &Value,
    now: Ts,
) -> EngineResult<()> {
    let Some((_, kind)) = PRODUCT_EVENTS.iter().find(|(k, _)| event.kind == *k) else {
        return Ok(());
    };
    let contact = data
        .get("contact_id")
        .and_then(Value::as_str)
        .or(if event.entity_type == "contact" {
            event.entity_id.as_deref()
        } else {
            None
        })
        .and_then(|s| s.parse::<ContactId>().ok());
    let Some(contact) = contact else {
        return Ok(());
    };
    let mut copied = serde_json::Map::new();
    if let Some(obj) = data.as_object() {
        for (k, v) in obj {
            if !LEFT_OUT.contains(&k.as_str()) && !v.is_object() && !v.is_array() {
                copied.insert(k.clone(), v.clone());
            }
        }
    }
    copied.insert("event_id".into(), Value::from(event.id.to_string()));
    let mut tx = db.begin().await?;
    if !store::contact_exists(&mut tx, ws, contact).await? {
        return Ok(());
    }
    let scorer = Scorer::load(&mut tx, ws).await?;
    let new = NewActivity {
        contact,
        kind: (*kind).to_string(),
        occurred_at: event.occurred_at,
        source: "event".into(),
        data: Value::Object(copied),
        idempotency_key: Some(format!("event:{}", event.id)),
    };
    store::record_activity(&mut tx, ws, &scorer, &new, &Actor::system(), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The `backfill_threshold` job.
pub(crate) async fn backfill_job(
    ctx: &JobContext,
    job: &Job,
    p: BackfillThreshold,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    let n = store::backfill_threshold(&ctx.db, ws, ThresholdId(p.threshold_id), ctx.now()).await?;
    tracing::info!(workspace.id = %ws, entered = n, "threshold backfilled");
    Ok(())
}

/// The `decay_scores` job: every workspace with an inactivity rule, for
/// the period its local date falls in.
pub(crate) async fn decay_job(ctx: &JobContext) -> Result<(), JobError> {
    let now = ctx.now();
    for (ws, zone) in store::workspaces_with_decay(&ctx.db).await? {
        let tz = jiff::tz::TimeZone::get(&zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let today = now.0.to_zoned(tz).date();
        let rows = store::decay_workspace(&ctx.db, ws, today, now).await?;
        if rows > 0 {
            tracing::info!(workspace.id = %ws, rows, "scores decayed");
        }
    }
    Ok(())
}

/// The `recalculate_scores` job: batches until the run is done, each in
/// its own transaction with the run's progress (a restart resumes after
/// the last committed batch).
pub(crate) async fn recalculate_job(
    ctx: &JobContext,
    job: &Job,
    p: RecalculateScores,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    while af_db::recalculations::run_batch(&ctx.db, ws, p.recalculation_id, ctx.now()).await? {}
    tracing::info!(workspace.id = %ws, recalculation.id = %p.recalculation_id, "scores recalculated");
    Ok(())
}
