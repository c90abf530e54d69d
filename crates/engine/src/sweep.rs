//! The periodic sweep: enrols contacts that match time-based triggers
//! (inactive for N days) with one set-based query per workflow, and raises
//! an alert for enrolments whose next step is long overdue (a stuck queue),
//! puts back Kommo batches whose job was lost, and drops old rate-limit
//! windows.

use crate::EngineResult;
use af_core::workflow::{Reentry, TriggerKind};
use af_db::automations as store;
use af_db::{Db, Ts};
use jiff::SignedDuration;

/// Contacts enrolled per workflow per sweep (the rest wait for the next).
const BATCH: i64 = 500;
/// How late a step may be before it counts as stuck.
const STUCK_AFTER: SignedDuration = SignedDuration::from_mins(30);
/// Public-endpoint rate windows are minutes long; a day is plenty.
const RATE_WINDOWS_KEPT: SignedDuration = SignedDuration::from_hours(24);

pub async fn sweep(db: &Db, now: Ts) -> EngineResult<()> {
    for (ws, wf) in store::workflows_with_trigger(db, "contact_inactive").await? {
        let mut tx = db.begin().await?;
        let Some(w) = store::find_workflow_tx(&mut tx, ws, wf).await? else {
            continue;
        };
        let def = crate::enrolment::parse_stored(&w.definition)?;
        let TriggerKind::ContactInactive { days } = def.trigger.kind else {
            continue;
        };
        let before = Ts::new(now.0 - SignedDuration::from_hours(24 * days));
        let reenter = def.reentry != Reentry::Never;
        let context = serde_json::json!({ "event": { "inactive_days": days } });
        for contact in store::inactive_contacts(&mut tx, ws, wf, before, reenter, BATCH).await? {
            crate::enrolment::enrol(
                &mut tx, ws, &w, &def, contact, None, &context, false, now, now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    let overdue = Ts::new(now.0 - STUCK_AFTER);
    for (ws, wf, enrollment) in store::stuck_enrollments(db, overdue, 100).await? {
        let mut tx = db.begin().await?;
        crate::notify::raise_alert(
            &mut tx,
            ws,
            Some(wf),
            Some(enrollment),
            "stuck",
            "a step is more than 30 minutes overdue: are the workers running?",
            now,
        )
        .await?;
        tx.commit().await?;
    }
    crate::kommo::release_abandoned(db, now).await?;
    af_db::rate_limits::prune(db, Ts::new(now.0 - RATE_WINDOWS_KEPT)).await?;
    // Idempotency-Key answers are kept 24 hours, like the windows.
    af_db::idempotency::prune(db, Ts::new(now.0 - RATE_WINDOWS_KEPT)).await?;
    Ok(())
}
