//! Running workflows: test-mode enrolment from the builder, the
//! per-workflow log `/automations/{id}/log` with its enrolments (status
//! filter, keyset pages, bulk retry), and the enrolment page
//! `/automations/enrollments/{id}` with each step run, its messages and
//! skip wait / retry / end.

use super::{
    at, can_edit, conflict_text, decode_cursor, encode_cursor, engine_err, excerpt, render,
    status_label, step_label,
};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::automations::AutoTr;
use crate::i18n::details::{detail, outcome};
use crate::i18n::vocab::VocabTr;
use crate::pages::fmt_when;
use crate::pages::messages::FilterOption;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::vocab::EnrollmentStatus;
use af_core::{ContactId, EnrollmentId, Role, WorkflowId};
use af_db::automations::{self as store, Enrollment};
use af_db::contacts::{ContactFilter, list_contacts};
use af_engine::{EngineError, ops};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Enrolments per page of the log.
const PAGE: i64 = 50;

pub struct ContactOption {
    pub id: ContactId,
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "automations/_contact_options.html")]
struct ContactOptions {
    t: &'static AutoTr,
    contacts: Vec<ContactOption>,
}

/// The radio list of contacts matching `q` (name, email, phone, company).
pub async fn contact_options(st: &AppState, cu: &CurrentUser, q: &str) -> AppResult<String> {
    let filter = ContactFilter {
        q: Some(q.to_string()),
        ..Default::default()
    };
    let contacts = list_contacts(&st.db, cu.workspace.id, &filter, None, 10)
        .await?
        .into_iter()
        .map(|c| ContactOption {
            id: c.id,
            name: c.full_name(),
            email: c.email.clone().unwrap_or_default(),
        })
        .collect();
    render(&ContactOptions {
        t: at(cu),
        contacts,
    })
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET /automations/{id}/test/contacts?q=
pub async fn search_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Query(q): Query<SearchQuery>,
) -> AppResult<Response> {
    store::find_workflow(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Html(contact_options(&st, &cu, &q.q).await?).into_response())
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    skip_waits: Option<String>,
}

/// POST /automations/{id}/test: enrols a contact in test mode, then shows
/// the enrolment.
pub async fn enroll_test(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Form(f): Form<TestForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = at(&cu);
    let back = format!("/automations/{id}");
    let Ok(contact) = f.contact_id.parse::<ContactId>() else {
        store::find_workflow(&st.db, cu.workspace.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        set_flash(&cu.session, false, t.pick_contact).await?;
        return Ok(Redirect::to(&back).into_response());
    };
    let ff = f.skip_waits.is_some();
    match ops::enroll_test(&st.db, cu.workspace.id, id, contact, ff, st.now()).await {
        Ok(e) => Ok(Redirect::to(&format!("/automations/enrollments/{e}")).into_response()),
        Err(EngineError::Conflict(c)) => {
            set_flash(&cu.session, false, &conflict_text(cu.locale(), &c)).await?;
            Ok(Redirect::to(&back).into_response())
        }
        Err(e) => Err(engine_err(e)),
    }
}

pub struct RunRow {
    pub when: String,
    pub step_id: String,
    pub step: &'static str,
    pub attempt: i32,
    /// The stored status (for `data-run-status`) and its label.
    pub status: String,
    pub status_label: String,
    pub outcome: String,
    pub detail: String,
    pub error: String,
    pub enrollment_id: EnrollmentId,
    pub contact_id: Option<ContactId>,
    pub contact_name: String,
}

pub struct EnrollmentLine {
    pub id: EnrollmentId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub status: String,
    pub status_label: String,
    pub current_step: String,
    pub started: String,
    pub test_mode: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/log.html")]
struct LogPage {
    shell: Shell,
    t: &'static AutoTr,
    can_edit: bool,
    id: WorkflowId,
    name: String,
    runs: Vec<RunRow>,
    enrollments: Vec<EnrollmentLine>,
    statuses: Vec<FilterOption>,
    status: String,
    next: Option<String>,
    failed: usize,
}

#[derive(Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    status: String,
    before: Option<String>,
}

/// GET /automations/{id}/log?status=&before=
pub async fn show_log(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Query(q): Query<LogQuery>,
) -> AppResult<Response> {
    let t = at(&cu);
    let ws = cu.workspace.id;
    let w = store::find_workflow(&st.db, ws, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = &cu.workspace.time_zone;
    let locale = cu.locale();
    let v = VocabTr::get(locale);
    let runs = store::workflow_log(&st.db, ws, id, 100)
        .await?
        .into_iter()
        .map(|r| RunRow {
            when: fmt_when(r.run.created_at, tz, locale),
            step: step_label(t, &r.run.step_type),
            step_id: r.run.step_id,
            attempt: r.run.attempt,
            status_label: v.step_run_status(&r.run.status).to_string(),
            status: r.run.status,
            outcome: r
                .run
                .outcome
                .map(|o| outcome(locale, &o))
                .unwrap_or_default(),
            detail: r.run.detail.map(|d| detail(locale, &d)).unwrap_or_default(),
            error: r.run.error.unwrap_or_default(),
            enrollment_id: r.run.enrollment_id,
            contact_id: Some(r.contact_id),
            contact_name: r.contact_name,
        })
        .collect();
    let status = EnrollmentStatus::parse(&q.status);
    let rows = store::list_enrollments(
        &st.db,
        ws,
        id,
        status.map(EnrollmentStatus::as_str),
        decode_cursor(q.before.as_deref()),
        PAGE + 1,
    )
    .await?;
    let next = (rows.len() as i64 > PAGE).then(|| {
        let last = &rows[PAGE as usize - 1].enrollment;
        encode_cursor(last.started_at, last.id.0)
    });
    let enrollments = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|r| EnrollmentLine {
            id: r.enrollment.id,
            contact_id: r.enrollment.contact_id,
            contact_name: r.contact_name,
            status_label: v.enrollment_status(&r.enrollment.status).to_string(),
            status: r.enrollment.status,
            current_step: r.enrollment.current_step.unwrap_or_default(),
            started: fmt_when(r.enrollment.started_at, tz, locale),
            test_mode: r.enrollment.test_mode,
        })
        .collect();
    let failed = store::enrollment_counts(&st.db, ws)
        .await?
        .iter()
        .filter(|c| c.workflow_id == id && c.status == EnrollmentStatus::Failed)
        .map(|c| c.n as usize)
        .sum();
    Ok(LogPage {
        shell: Shell::new(&cu, Area::Automations).await?,
        t,
        can_edit: can_edit(&cu),
        id,
        name: w.name,
        runs,
        enrollments,
        statuses: EnrollmentStatus::ALL
            .iter()
            .map(|s| FilterOption {
                value: s.as_str(),
                label: v.enrollment_status_label(*s),
                selected: Some(*s) == status,
            })
            .collect(),
        status: status.map_or("", EnrollmentStatus::as_str).to_string(),
        next,
        failed,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    from_start: Option<String>,
}

/// POST /automations/{id}/retry-failed
pub async fn retry_all_failed(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<WorkflowId>,
    Form(f): Form<RetryForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    store::find_workflow(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let from_start = matches!(f.from_start.as_deref(), Some("on" | "true" | "1"));
    let n = ops::retry_all_failed(&st.db, cu.workspace.id, id, from_start, st.now())
        .await
        .map_err(engine_err)?;
    set_flash(&cu.session, true, &format!("{} {n}", at(&cu).retried)).await?;
    Ok(Redirect::to(&format!("/automations/{id}/log")).into_response())
}

pub struct MessageLine {
    pub id: af_core::MessageId,
    pub when: String,
    pub channel: String,
    pub to: String,
    pub excerpt: String,
    pub status: String,
    pub skip_reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "automations/enrollment.html")]
struct EnrollmentPage {
    shell: Shell,
    t: &'static AutoTr,
    can_edit: bool,
    e: Enrollment,
    workflow_name: String,
    workflow_status: &'static str,
    status: String,
    exit_reason: Option<String>,
    contact_name: String,
    started: String,
    finished: String,
    next_run: String,
    waiting: bool,
    runs: Vec<RunRow>,
    messages: Vec<MessageLine>,
}

async fn own_enrollment(
    st: &AppState,
    cu: &CurrentUser,
    id: EnrollmentId,
) -> AppResult<Enrollment> {
    store::find_enrollment(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// GET /automations/enrollments/{id}
pub async fn show_enrollment(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<EnrollmentId>,
) -> AppResult<Response> {
    let t = at(&cu);
    let ws = cu.workspace.id;
    let e = own_enrollment(&st, &cu, id).await?;
    let tz = &cu.workspace.time_zone;
    let locale = cu.locale();
    let v = VocabTr::get(locale);
    let w = store::find_workflow(&st.db, ws, e.workflow_id).await?;
    let contact = af_db::contacts::find_contact(&st.db, ws, e.contact_id).await?;
    let runs = store::list_step_runs(&st.db, ws, e.id)
        .await?
        .into_iter()
        .map(|r| RunRow {
            when: fmt_when(r.created_at, tz, locale),
            step: step_label(t, &r.step_type),
            step_id: r.step_id,
            attempt: r.attempt,
            status_label: v.step_run_status(&r.status).to_string(),
            status: r.status,
            outcome: r.outcome.map(|o| outcome(locale, &o)).unwrap_or_default(),
            detail: r.detail.map(|d| detail(locale, &d)).unwrap_or_default(),
            error: r.error.unwrap_or_default(),
            enrollment_id: r.enrollment_id,
            contact_id: None,
            contact_name: String::new(),
        })
        .collect();
    let messages =
        af_db::messages::search_messages(&st.db, ws, Some(e.contact_id), None, None, 100)
            .await?
            .into_iter()
            .filter(|m| m.enrollment_id == Some(e.id.0))
            .map(|m| MessageLine {
                id: m.id,
                when: fmt_when(m.created_at, tz, locale),
                excerpt: excerpt(m.subject.as_deref().unwrap_or(&m.body_text), 80),
                channel: v.channel(&m.channel).to_string(),
                to: m.to_address,
                status: v.message_status(&m.status).to_string(),
                skip_reason: m
                    .skip_reason
                    .map(|r| detail(locale, &r))
                    .unwrap_or_default(),
            })
            .collect();
    let now = st.now();
    let waiting = e.status == EnrollmentStatus::Waiting
        || (e.status == EnrollmentStatus::Active && e.next_run_at.is_some_and(|x| x > now));
    Ok(EnrollmentPage {
        shell: Shell::new(&cu, Area::Automations).await?,
        t,
        can_edit: can_edit(&cu),
        workflow_name: w.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
        workflow_status: status_label(t, w.as_ref().map(|w| w.status.as_str()).unwrap_or("")),
        contact_name: contact.map(|c| c.full_name()).unwrap_or_default(),
        status: v.enrollment_status(&e.status).to_string(),
        exit_reason: e.exit_reason.as_deref().map(|r| detail(locale, r)),
        started: fmt_when(e.started_at, tz, locale),
        finished: e
            .finished_at
            .map(|x| fmt_when(x, tz, locale))
            .unwrap_or_default(),
        next_run: e
            .next_run_at
            .map(|x| fmt_when(x, tz, locale))
            .unwrap_or_default(),
        waiting,
        runs,
        messages,
        e,
    }
    .into_response())
}

/// Runs an enrolment action and goes back to its page with the outcome.
async fn act(
    cu: &CurrentUser,
    id: EnrollmentId,
    result: Result<(), EngineError>,
) -> AppResult<Response> {
    match result {
        Ok(()) => set_flash(&cu.session, true, at(cu).done).await?,
        Err(EngineError::Conflict(c)) => {
            set_flash(&cu.session, false, &conflict_text(cu.locale(), &c)).await?
        }
        Err(e) => return Err(engine_err(e)),
    }
    Ok(Redirect::to(&format!("/automations/enrollments/{id}")).into_response())
}

/// POST /automations/enrollments/{id}/skip-wait
pub async fn skip_wait(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<EnrollmentId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let e = own_enrollment(&st, &cu, id).await?;
    let r = ops::skip_wait(&st.db, cu.workspace.id, e.id, st.now())
        .await
        .map(|_| ());
    act(&cu, e.id, r).await
}

/// POST /automations/enrollments/{id}/retry (`from_start` to restart)
pub async fn retry(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<EnrollmentId>,
    Form(f): Form<RetryForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let e = own_enrollment(&st, &cu, id).await?;
    let from_start = matches!(f.from_start.as_deref(), Some("on" | "true" | "1"));
    let r = ops::retry(&st.db, cu.workspace.id, e.id, from_start, st.now()).await;
    act(&cu, e.id, r).await
}

/// POST /automations/enrollments/{id}/exit
pub async fn exit_enrollment(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<EnrollmentId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let e = own_enrollment(&st, &cu, id).await?;
    let r = ops::exit_enrollment(&st.db, cu.workspace.id, e.id, &cu.actor(), st.now()).await;
    act(&cu, e.id, r).await
}
