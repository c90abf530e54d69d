//! The background jobs admin page (`/settings/jobs`), for a workspace's
//! owners and admins: counts by state and kind, the oldest due job, failures
//! with their errors, retry / discard / retry all, and the workspace's
//! periodic tasks with "run now". Routes are mounted in `crate::router`
//! through [`routes`], inside the session + CSRF layers.
//!
//! Tenancy: every query is scoped to the signed-in workspace, so another
//! workspace's job or schedule id answers 404. System jobs (no workspace)
//! and global schedules are for operators, through `agencyflow jobs`.

use super::fmt_when;
use super::shell::{Area, Shell};
use crate::auth::{ClientIp, CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::jobs::JobsTr;
use crate::i18n::vocab::VocabTr;
use crate::state::AppState;
use af_core::{JobId, Role, WorkspaceId};
use af_db::audit::{NewAudit, insert_audit_now};
use af_db::jobs::{self, JobStats};
use af_db::schedules::{self, ScheduleId};
use af_db::{Db, Ts};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::SignedDuration;

/// Most failures listed.
const FAILURES_SHOWN: i64 = 50;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/jobs", get(show_jobs))
        .route("/settings/jobs/retry-all", post(retry_all_jobs))
        .route("/settings/jobs/{id}/retry", post(retry_job))
        .route("/settings/jobs/{id}/discard", post(discard_job))
        .route("/settings/jobs/schedules/{id}/run", post(run_schedule))
}

pub struct StateCount {
    pub label: &'static str,
    pub state: &'static str,
    pub count: i64,
}

pub struct KindRow {
    pub kind: String,
    /// The kind in the reader's language.
    pub label: String,
    /// Pending, running, succeeded, dead.
    pub counts: [i64; 4],
}

pub struct FailureRow {
    pub id: JobId,
    pub kind: String,
    pub kind_label: String,
    pub dead: bool,
    /// When it will retry (pending) or when it died.
    pub when: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub error: String,
}

pub struct ScheduleRow {
    pub id: ScheduleId,
    pub name: String,
    /// The name in the reader's language when it is a job kind.
    pub label: String,
    pub cron: String,
    pub enabled: bool,
    pub last_run: Option<String>,
    pub next_run: String,
}

/// A one-line outcome shown above the panel after an action.
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

/// Everything the panel (the part htmx swaps) shows.
pub struct Panel {
    pub t: &'static JobsTr,
    pub csrf: String,
    pub time_zone: String,
    pub states: Vec<StateCount>,
    pub due_pending: i64,
    pub oldest_due_age: Option<String>,
    pub kinds: Vec<KindRow>,
    pub failures: Vec<FailureRow>,
    pub dead_count: i64,
    pub schedules: Vec<ScheduleRow>,
    pub notice: Option<Notice>,
}

#[derive(Template, WebTemplate)]
#[template(path = "jobs/index.html")]
struct JobsPage {
    shell: Shell,
    p: Panel,
}

#[derive(Template, WebTemplate)]
#[template(path = "jobs/_panel.html")]
struct JobsPanel {
    p: Panel,
}

/// `42 s`, `3 min`, `2 h 5 min`, `3 d 4 h` (the units read the same in
/// Spanish and English).
fn fmt_age(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

const STATES: [&str; 4] = ["pending", "running", "succeeded", "dead"];

fn state_counts(t: &'static JobsTr, st: &JobStats) -> Vec<StateCount> {
    let labels = [
        t.state_pending,
        t.state_running,
        t.state_succeeded,
        t.state_dead,
    ];
    STATES
        .iter()
        .zip(labels)
        .map(|(s, label)| StateCount {
            label,
            state: s,
            count: st.total_in(s),
        })
        .collect()
}

fn kind_rows(v: &VocabTr, st: &JobStats) -> Vec<KindRow> {
    let mut rows: Vec<KindRow> = Vec::new();
    for c in &st.counts {
        let Some(i) = STATES.iter().position(|s| *s == c.state) else {
            continue;
        };
        match rows.last_mut() {
            Some(r) if r.kind == c.kind => r.counts[i] += c.count,
            _ => {
                let mut counts = [0; 4];
                counts[i] = c.count;
                rows.push(KindRow {
                    label: v.job_kind(&c.kind).to_string(),
                    kind: c.kind.clone(),
                    counts,
                });
            }
        }
    }
    rows
}

async fn panel(st: &AppState, cu: &CurrentUser, notice: Option<Notice>) -> AppResult<Panel> {
    let t = JobsTr::get(cu.locale());
    let ws = cu.workspace.id;
    let tz = cu.workspace.time_zone.clone();
    let locale = cu.locale();
    let v = VocabTr::get(locale);
    let now = st.now();
    let stats = jobs::stats_for_workspace(&st.db, ws, now).await?;
    let failures = jobs::list_failed_in_workspace(&st.db, ws, FAILURES_SHOWN)
        .await?
        .into_iter()
        .map(|j| FailureRow {
            id: j.id,
            dead: j.state == "dead",
            when: if j.state == "dead" {
                fmt_when(j.finished_at.unwrap_or(j.updated_at), &tz, locale)
            } else {
                fmt_when(j.run_at, &tz, locale)
            },
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            error: j.last_error.unwrap_or_default(),
            kind_label: v.job_kind(&j.kind).to_string(),
            kind: j.kind,
        })
        .collect();
    let schedules = schedules::list_workspace_schedules(&st.db, ws)
        .await?
        .into_iter()
        .map(|s| ScheduleRow {
            id: s.id,
            cron: format!("{} ({})", s.cron, s.time_zone),
            enabled: s.enabled,
            last_run: s.last_run_at.map(|x| fmt_when(x, &tz, locale)),
            next_run: fmt_when(s.next_run_at, &tz, locale),
            label: v.job_kind(&s.name).to_string(),
            name: s.name,
        })
        .collect();
    Ok(Panel {
        t,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        states: state_counts(t, &stats),
        due_pending: stats.due_pending,
        oldest_due_age: stats.oldest_due_age.map(fmt_age),
        kinds: kind_rows(v, &stats),
        dead_count: stats.total_in("dead"),
        failures,
        schedules,
        notice,
        time_zone: tz,
    })
}

/// GET /settings/jobs
pub async fn show_jobs(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = panel(&st, &cu, None).await?;
    Ok(JobsPage {
        shell: Shell::new(&cu, Area::Settings).await?,
        p,
    }
    .into_response())
}

/// The answer to an action: the panel with the outcome for htmx, or a
/// flash and a redirect back for a plain form post.
async fn respond(
    st: &AppState,
    cu: &CurrentUser,
    headers: &HeaderMap,
    ok: bool,
    text: String,
) -> AppResult<Response> {
    if crate::extract::HxRequest::from_headers(headers).0 {
        let p = panel(st, cu, Some(Notice { ok, text })).await?;
        return Ok(JobsPanel { p }.into_response());
    }
    set_flash(&cu.session, ok, &text).await?;
    Ok(Redirect::to("/settings/jobs").into_response())
}

/// Records an admin action in the audit log (on its own: the queue update
/// it describes is already committed).
async fn audit(
    db: &Db,
    cu: &CurrentUser,
    ip: &str,
    action: &str,
    target: Option<(&str, String)>,
    details: serde_json::Value,
    now: Ts,
) -> AppResult<()> {
    let actor = cu.actor();
    let (target_type, target_id) = match target {
        Some((t, id)) => (Some(t), Some(id)),
        None => (None, None),
    };
    let entry = NewAudit {
        workspace: Some(cu.workspace.id),
        actor: &actor,
        action,
        target_type,
        target_id,
        result: "ok",
        details,
        ip: Some(ip),
    };
    insert_audit_now(db, &entry, now).await?;
    Ok(())
}

/// The job `raw` names in `ws`, or 404 (malformed, unknown, another
/// workspace's, or a system job).
async fn own_job(db: &Db, ws: WorkspaceId, id: JobId) -> AppResult<af_db::jobs::Job> {
    jobs::find_job_in_workspace(db, ws, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// POST /settings/jobs/{id}/retry
pub async fn retry_job(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath<JobId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = JobsTr::get(cu.locale());
    let job = own_job(&st.db, cu.workspace.id, id).await?;
    let now = st.now();
    let retried = jobs::retry_job_in_workspace(&st.db, cu.workspace.id, job.id, now).await?;
    if retried {
        jobs::notify_workers(&st.db).await?;
        let details = serde_json::json!({ "kind": job.kind });
        let target = Some(("job", job.id.to_string()));
        audit(&st.db, &cu, &ip, "job.retried", target, details, now).await?;
        respond(&st, &cu, &headers, true, t.msg_retried.into()).await
    } else {
        respond(&st, &cu, &headers, false, t.msg_not_retried.into()).await
    }
}

/// POST /settings/jobs/{id}/discard
pub async fn discard_job(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath<JobId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = JobsTr::get(cu.locale());
    let job = own_job(&st.db, cu.workspace.id, id).await?;
    let discarded = jobs::discard_job_in_workspace(&st.db, cu.workspace.id, job.id).await?;
    if discarded {
        let details = serde_json::json!({ "kind": job.kind, "state": job.state, "last_error": job.last_error });
        let target = Some(("job", job.id.to_string()));
        audit(&st.db, &cu, &ip, "job.discarded", target, details, st.now()).await?;
        respond(&st, &cu, &headers, true, t.msg_discarded.into()).await
    } else {
        respond(&st, &cu, &headers, false, t.msg_not_discarded.into()).await
    }
}

/// POST /settings/jobs/retry-all
pub async fn retry_all_jobs(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = JobsTr::get(cu.locale());
    let now = st.now();
    let n = jobs::retry_all_dead_in_workspace(&st.db, cu.workspace.id, now).await?;
    if n > 0 {
        jobs::notify_workers(&st.db).await?;
        let details = serde_json::json!({ "count": n });
        audit(&st.db, &cu, &ip, "jobs.retried_all", None, details, now).await?;
    }
    respond(
        &st,
        &cu,
        &headers,
        true,
        format!("{} {n}", t.msg_retried_all),
    )
    .await
}

/// POST /settings/jobs/schedules/{id}/run
pub async fn run_schedule(
    State(st): State<AppState>,
    cu: CurrentUser,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    IdPath(id): IdPath<uuid::Uuid>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = JobsTr::get(cu.locale());
    // `ScheduleId` (af_db) has no serde; the path reads the bare UUID.
    let id = ScheduleId(id);
    // Only this workspace's schedules are candidates: global ones and other
    // workspaces' answer 404.
    let schedule = schedules::list_workspace_schedules(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(AppError::NotFound)?;
    let payload: serde_json::Value = serde_json::from_str(&schedule.payload).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "schedule {} has a payload that is not JSON: {e}",
            schedule.id
        ))
    })?;
    let now = st.now();
    let job = jobs::enqueue_schedule_now(&st.db, &schedule, payload, now).await?;
    match job {
        Some(job_id) => {
            let details = serde_json::json!({ "name": schedule.name, "job_id": job_id });
            let target = Some(("schedule", schedule.id.to_string()));
            audit(&st.db, &cu, &ip, "schedule.run_now", target, details, now).await?;
            respond(&st, &cu, &headers, true, t.msg_run_now.into()).await
        }
        None => respond(&st, &cu, &headers, false, t.msg_run_now_dup.into()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short() {
        assert_eq!(fmt_age(SignedDuration::from_secs(42)), "42 s");
        assert_eq!(fmt_age(SignedDuration::from_secs(190)), "3 min");
        assert_eq!(fmt_age(SignedDuration::from_secs(7500)), "2 h 5 min");
        assert_eq!(fmt_age(SignedDuration::from_hours(76)), "3 d 4 h");
        assert_eq!(fmt_age(SignedDuration::from_secs(-3)), "0 s");
    }
}
