//! The enrolment lifecycle, shared by every door that starts or ends one
//! (event routing, test enrolments, the sweep, the `add_to_workflow` and
//! `remove_from_workflow` steps) and by the step runner: entering a
//! workflow (its filter and re-entry rule), the stored definition an
//! enrolment runs, goals that end it, and ending it. Kept apart from
//! routing and from the step runner so neither imports the other for it.

use crate::EngineResult;
use af_core::vocab::{EnrollmentStatus, EventKind, StepRunStatus};
use af_core::workflow::{Definition, Facts, Reentry, TriggerKind};
use af_core::{ContactId, WorkspaceId};
use af_db::automations::{self as store, Enrollment, NewEnrollment};
use af_db::{Ts, Tx};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// The definition an enrolment runs: its workflow's version, which is
/// never changed once saved (an edit saves a new version), so each version
/// is read and checked once per process and then shared. Every node caches
/// on its own; none needs another's.
pub(crate) async fn definition_of(tx: &mut Tx, e: &Enrollment) -> EngineResult<Arc<Definition>> {
    let key = (e.workspace_id, e.workflow_id, e.version);
    if let Some(def) = versions().get(&key) {
        return Ok(def);
    }
    let text = store::version_definition(tx, e.workspace_id, e.workflow_id, e.version).await?;
    let def = Arc::new(parse_stored(&text)?);
    versions().put(key, def.clone());
    Ok(def)
}

type VersionKey = (WorkspaceId, af_core::WorkflowId, i32);

/// Parsed workflow versions, bounded: when full it starts over (versions
/// in use are read again once), which keeps the code free of an LRU for a
/// cache whose misses cost one indexed read.
struct VersionCache(Mutex<HashMap<VersionKey, Arc<Definition>>>);

const VERSION_CACHE_SIZE: usize = 4096;

impl VersionCache {
    fn get(&self, key: &VersionKey) -> Option<Arc<Definition>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: VersionKey, def: Arc<Definition>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= VERSION_CACHE_SIZE {
                map.clear();
            }
            map.insert(key, def);
        }
    }
}

fn versions() -> &'static VersionCache {
    static CACHE: OnceLock<VersionCache> = OnceLock::new();
    CACHE.get_or_init(|| VersionCache(Mutex::new(HashMap::new())))
}

/// A stored definition, checked again before it runs: one saved by an
/// older version with looser rules (or edited in the database) fails its
/// own workflow, never the code that runs it.
pub(crate) fn parse_stored(text: &str) -> EngineResult<Definition> {
    let def: Definition = serde_json::from_str(text)
        .map_err(|err| crate::EngineError::Invalid(vec![format!("stored workflow: {err}")]))?;
    def.check().map_err(|errs| {
        crate::EngineError::Invalid(
            errs.into_iter()
                .map(|e| format!("stored workflow: {e}"))
                .collect(),
        )
    })?;
    Ok(def)
}

pub(crate) fn exits_on(def: &Definition, kind: &str, data: &serde_json::Value) -> bool {
    def.exit_kinds().iter().any(|k| k.matches(kind, data))
}

/// Ends an enrolment because of a goal or a user; stale step jobs see the
/// bumped seq and do nothing.
pub(crate) async fn exit(
    tx: &mut Tx,
    mut e: Enrollment,
    reason: &str,
    now: Ts,
) -> EngineResult<()> {
    let step = e.current_step.clone().unwrap_or_default();
    e.set_status(EnrollmentStatus::Exited);
    e.seq += 1;
    e.exit_reason = Some(reason.to_string());
    e.finished_at = Some(now);
    e.next_run_at = None;
    e.wait_kind = None;
    e.wait_match = None;
    store::save_enrollment(tx, &e, now).await?;
    store::insert_step_run(
        tx,
        &store::NewStepRun {
            enrollment: &e,
            step_id: &step,
            step_type: "exit",
            attempt: 1,
            status: StepRunStatus::Exited,
            outcome: None,
            detail: Some(reason),
            error: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// What a waiting enrolment waits for (stored in `wait_match`).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct WaitMatch {
    pub trigger: TriggerKind,
    /// Only this message's call outcome (voice steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// Enrols a contact in a workflow's current version if its filter and
/// re-entry rule allow (shared by triggers, the `enroll_in` step, the sweep
/// and test mode). `false` when not enrolled.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per door, all named"
)]
pub(crate) async fn enrol(
    tx: &mut Tx,
    ws: WorkspaceId,
    w: &store::Workflow,
    def: &Definition,
    contact: ContactId,
    trigger_event: Option<uuid::Uuid>,
    context: &serde_json::Value,
    test_mode: bool,
    run_at: Ts,
    now: Ts,
) -> EngineResult<bool> {
    if let Some(filter) = &def.trigger.filter
        && !test_mode
    {
        let c = af_db::contacts::get_contact_tx(tx, ws, contact).await?;
        let tags: HashSet<String> = store::contact_tag_keys(tx, ws, contact)
            .await?
            .into_iter()
            .collect();
        let facts_data = serde_json::json!({
            "contact": crate::context::contact_json(&c),
            "event": context.get("event").cloned().unwrap_or_default(),
        });
        let facts = Facts {
            data: &facts_data,
            tags: &tags,
            score: i64::from(c.score),
            last_outcome: None,
        };
        if !filter.eval(&facts) {
            return Ok(false);
        }
    }
    let (total, live) = store::prior_enrollments(tx, ws, w.id, contact).await?;
    let allowed = live == 0
        && match def.reentry {
            Reentry::Never => total == 0 || test_mode,
            Reentry::AfterExit | Reentry::Always => true,
        };
    if !allowed {
        return Ok(false);
    }
    let id = store::insert_enrollment(
        tx,
        &NewEnrollment {
            workspace: ws,
            workflow: w.id,
            version: w.current_version,
            contact,
            first_step: def.first_step(),
            trigger_event,
            context,
            test_mode,
            run_at,
        },
        now,
    )
    .await?;
    Ok(id.is_some())
}

/// Why an exit goal ended an enrolment, as the enrolment records it: a
/// contact who wrote back "replied" (the inbox and reports say so in
/// words); any other goal names its event.
pub(crate) fn exit_reason(kind: &str) -> String {
    if kind == EventKind::MessageInbound.as_str() {
        "replied".to_string()
    } else {
        format!("goal: {kind}")
    }
}
