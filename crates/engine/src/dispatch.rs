//! Who reacts to a domain event, and how: the one place that answers
//! "what happens on `deal.stage_changed`?".
//!
//! Writing an event (`af_db::events::insert_event`) looks up the
//! workspace's `event_subscriptions` once and, when some subscriber may
//! react, enqueues one `dispatch_event` job in the event's transaction. This
//! module runs that job:
//!
//! | subscriber | reacts to | what it does |
//! |---|---|---|
//! | automations | kinds a workflow's trigger, exit goal or wait names; not quiet events | routes the event: exits, resumed waits, new enrolments ([`crate::route`]) |
//! | webhooks | kinds an active endpoint subscribes to (`*` for all) | one signed delivery per endpoint ([`crate::webhooks`]) |
//! | kommo | `appointment.booked`, once the workspace has synced a lead | moves the synced lead to the booked status ([`crate::kommo`]) |
//! | scoring | `form.submitted`, `appointment.booked`, `appointment.completed`, `message.inbound` (every workspace) | records the matching activity, keyed by the event so a retry records it once, and scores it ([`crate::scoring`]) |
//! | notifications | `task.created`, `score.threshold_entered`, `appointment.booked` (every workspace) | pushes to the assignee, the contact's owner (else owners and admins), the host — keyed by the event ([`crate::notify`]) |
//!
//! A new capability (scoring, notifications, retention) adds a row to that
//! table: a [`Subscriber`] variant, the rows it keeps in
//! `event_subscriptions`, and its branch below.
//!
//! Retries: automations route first, in their own transactions, because
//! routing an event twice changes nothing twice (an event enrols a contact
//! at most once per workflow). Deliveries to the outside are not
//! idempotent, so they are written last, in one transaction that commits
//! once: a failure before it retries the whole job harmlessly.

use crate::{EngineConfig, EngineResult, job_workspace};
use af_core::EventId;
use af_core::events::{Subscriber, is_quiet};
use af_core::jobs::DispatchEvent;
use af_core::vocab::EventKind;
use af_db::{Db, Ts};
use af_jobs::{Job, JobContext, JobError};

/// The `dispatch_event` job.
pub(crate) async fn dispatch_job(
    ctx: &JobContext,
    _cfg: &EngineConfig,
    job: &Job,
    p: DispatchEvent,
) -> Result<(), JobError> {
    let ws = job_workspace(job)?;
    dispatch(&ctx.db, ws, p.event_id, ctx.now())
        .await
        .map_err(JobError::retry)
}

/// Hands one event to every subscriber that reacts to it.
pub async fn dispatch(
    db: &Db,
    ws: af_core::WorkspaceId,
    event_id: EventId,
    now: Ts,
) -> EngineResult<()> {
    let Some(event) = af_db::events::find_event(db, ws, event_id).await? else {
        return Ok(());
    };
    let data: serde_json::Value = serde_json::from_str(&event.data).unwrap_or_default();
    let subscribers = af_db::subscriptions::subscribers_of(db, ws, &event.kind).await?;
    let reacts =
        |s: Subscriber| subscribers.contains(&s) && (s.hears_quiet_events() || !is_quiet(&data));

    if reacts(Subscriber::Automations) {
        crate::route::route_event(db, ws, event_id.0, now).await?;
    }
    if reacts(Subscriber::Scoring) {
        crate::scoring::record_event_activity(db, ws, &event, &data, now).await?;
    }
    if reacts(Subscriber::Notifications) {
        crate::notify::on_event(db, ws, &event, &data, now).await?;
    }

    let webhooks = reacts(Subscriber::Webhooks);
    let kommo = reacts(Subscriber::Kommo) && event.kind == EventKind::AppointmentBooked;
    if webhooks || kommo {
        let mut tx = db.begin().await?;
        if webhooks {
            crate::webhooks::fan_out(&mut tx, &event, &data).await?;
        }
        if kommo {
            crate::kommo::queue_booked_move(&mut tx, ws, &data, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("target") && !p.ends_with("node_modules") {
                    rust_files(&p, out);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The reactions to an event are called from this module only: a
    /// newcomer reading it sees every subscriber.
    #[test]
    fn only_dispatch_hands_events_to_subscribers() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        rust_files(&crates, &mut files);
        let reactions = [
            "route::route_event(",
            "webhooks::fan_out(",
            "kommo::queue_booked_move(",
            "notify::on_event(",
        ];
        let mut offenders = Vec::new();
        for f in &files {
            if f.ends_with("engine/src/dispatch.rs") {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap_or_default();
            for r in reactions {
                if text.contains(r) {
                    offenders.push(format!("{} calls {r}", f.display()));
                }
            }
        }
        assert!(files.len() > 50, "the crates were found");
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
