//! JSON API for the automation engine: workflows (definitions as JSON,
//! documented in docs/AUTOMATIONS.md), enrolments with their step runs,
//! test-mode actions (skip a wait), retries, custom events, the shipped
//! templates, message templates and the outbox (`/api/v1/messages`).

use super::openapi::schemas::{Data, ErrorBody, Page};
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::vocab::{Channel, EnrollmentStatus, MessageStatus, StepRunStatus};
use af_core::{AlertId, ContactId, EnrollmentId, MessageId, StepRunId, TemplateId, WorkflowId};
use af_db::Ts;
use af_db::automations::{self as store, Enrollment, StepRun, Workflow};
use af_db::messages::{self, Message};
use af_engine::{EngineError, library, ops};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/workflows",
            get(list_workflows).post(create_workflow),
        )
        .route(
            "/api/v1/workflows/{id}",
            get(get_workflow)
                .put(update_workflow)
                .delete(delete_workflow),
        )
        .route("/api/v1/workflows/{id}/status", post(set_status))
        .route(
            "/api/v1/workflows/{id}/enrollments",
            get(list_enrollments).post(enroll_contact),
        )
        .route("/api/v1/workflows/{id}/retry-failed", post(retry_failed))
        .route("/api/v1/workflows/{id}/migrate", post(migrate))
        .route("/api/v1/enrollments/{id}", get(get_enrollment))
        .route("/api/v1/enrollments/{id}/skip-wait", post(skip_wait))
        .route("/api/v1/enrollments/{id}/retry", post(retry))
        .route("/api/v1/enrollments/{id}/exit", post(exit))
        .route("/api/v1/events", post(post_event))
        .route("/api/v1/workflow-templates", get(list_library))
        .route(
            "/api/v1/workflow-templates/{key}/install",
            post(install_library),
        )
        .route(
            "/api/v1/message-templates",
            get(list_templates).post(create_template),
        )
        .route(
            "/api/v1/message-templates/{id}",
            axum::routing::delete(delete_template),
        )
        .route("/api/v1/messages", get(list_messages))
        .route("/api/v1/alerts", get(list_alerts))
}

fn engine_error(e: EngineError) -> ApiError {
    match e {
        EngineError::Db(d) => d.into(),
        EngineError::NotFound(_) => ApiError::NotFound,
        EngineError::Conflict(c) => ApiError::Conflict(c.to_string()),
        // Messages start with the offending path ("steps[2].body: required").
        EngineError::Invalid(msgs) => ApiError::Invalid(
            msgs.into_iter()
                .map(|m| match m.split_once(": ") {
                    Some((f, _)) if !f.contains(' ') => (f.to_string(), m.clone()),
                    _ => ("definition".to_string(), m),
                })
                .collect(),
        ),
    }
}

/// An optional JSON body: empty means the defaults.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

// ------------------------------------------------------------------ shapes

/// The schema of a free-form JSON field: `types` (any JSON when empty), a
/// description and an example. utoipa drops the example (and on `Value`
/// fields the description) written on such a field, so these fields name a
/// function that builds theirs with `schema_with`.
pub(crate) fn json_schema(
    types: &[Type],
    description: &str,
    example: Value,
) -> utoipa::openapi::schema::Object {
    let b = ObjectBuilder::new()
        .description(Some(description))
        .examples([example]);
    match types {
        [] => b,
        [t] => b.schema_type(t.clone()),
        many => b.schema_type(many.iter().cloned().collect::<SchemaType>()),
    }
    .build()
}

/// A workflow definition as documented in docs/AUTOMATIONS.md: a trigger, an ordered tree of steps, exit goals and a re-entry rule.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "Bienvenida",
    "trigger": {"type": "lead_created"},
    "steps": [
        {"type": "send_email", "subject": "Hola {{ contact.first_name }}", "body": "Gracias por escribirnos."},
        {"type": "wait", "days": 2},
        {"type": "send_sms", "body": "¿Agendamos una llamada?"}
    ],
    "exit_on": ["appointment_booked"],
    "reentry": "never",
    "active": true
}))]
pub struct WorkflowDefinition {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// What enrols a contact: `{"type": ...}` plus the trigger's own fields and an optional `filter`.
    #[schema(value_type = Object)]
    pub trigger: Value,
    /// The steps in order; each is `{"type": ...}` plus that step's fields (`send_email`, `wait`, `if_else`...).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<Value>,
    /// Events that end a contact's enrolment at once, e.g. `["appointment_booked"]`.
    #[serde(default)]
    #[schema(value_type = Vec<serde_json::Value>)]
    pub exit_on: Vec<Value>,
    /// May a contact enter again: `never` (default), `after_exit` or `always`.
    #[serde(default)]
    #[schema(example = "never")]
    pub reentry: Option<String>,
    /// Whether it runs as soon as it is saved.
    #[serde(default)]
    pub active: bool,
}

/// A workflow with its current definition and its enrolments counted by status.
#[derive(Serialize, ToSchema)]
pub struct WorkflowOut {
    pub id: WorkflowId,
    pub name: String,
    /// The trigger's type, e.g. `lead_created`.
    #[schema(example = "lead_created")]
    pub trigger_type: String,
    /// `active`, `paused` or `draft`.
    #[schema(example = "active")]
    pub status: String,
    /// Whether the workflow is active.
    pub active: bool,
    /// The current version; each save adds one.
    pub version: i32,
    /// The shipped template it was installed from, if any.
    pub template_key: Option<String>,
    /// The current version's definition.
    #[schema(value_type = WorkflowDefinition)]
    pub definition: Value,
    /// Enrolments per status (`active`, `completed`, `failed`...).
    #[schema(example = json!({"active": 12, "completed": 30}))]
    pub enrollments: BTreeMap<String, i64>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl WorkflowOut {
    fn new(w: &Workflow, counts: &[store::StatusCount]) -> Self {
        Self {
            id: w.id,
            name: w.name.clone(),
            trigger_type: w.trigger_type.clone(),
            status: w.status.clone(),
            active: w.status == "active",
            version: w.current_version,
            template_key: w.template_key.clone(),
            definition: serde_json::from_str(&w.definition).unwrap_or(Value::Null),
            enrollments: counts
                .iter()
                .filter(|c| c.workflow_id == w.id)
                .map(|c| (c.status.clone(), c.n))
                .collect(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A saved workflow: its id and the version just written.
#[derive(Serialize, ToSchema)]
pub struct WorkflowSaved {
    pub id: WorkflowId,
    pub version: i32,
}

impl From<ops::Saved> for WorkflowSaved {
    fn from(s: ops::Saved) -> Self {
        Self {
            id: s.id,
            version: s.version,
        }
    }
}

/// A contact's run through a workflow.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentOut {
    pub id: EnrollmentId,
    pub workflow_id: WorkflowId,
    /// The workflow version it follows.
    pub version: i32,
    pub contact_id: ContactId,
    #[schema(value_type = EnrollmentStatus)]
    pub status: String,
    /// The id of the step it is at.
    #[schema(example = "s2")]
    pub current_step: Option<String>,
    /// When it moves on next.
    pub next_run_at: Option<Ts>,
    /// What a wait waits for (`time`, `event`...), while waiting.
    pub waiting_for: Option<String>,
    pub last_outcome: Option<String>,
    pub exit_reason: Option<String>,
    /// Enrolled in test mode.
    pub test_mode: bool,
    pub started_at: Ts,
    pub finished_at: Option<Ts>,
}

impl From<&Enrollment> for EnrollmentOut {
    fn from(e: &Enrollment) -> Self {
        Self {
            id: e.id,
            workflow_id: e.workflow_id,
            version: e.version,
            contact_id: e.contact_id,
            status: e.status.clone(),
            current_step: e.current_step.clone(),
            next_run_at: e.next_run_at,
            waiting_for: e.wait_kind.clone(),
            last_outcome: e.last_outcome.clone(),
            exit_reason: e.exit_reason.clone(),
            test_mode: e.test_mode,
            started_at: e.started_at,
            finished_at: e.finished_at,
        }
    }
}

/// An enrolment in a workflow's list, with its contact's name.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentRowOut {
    #[serde(flatten)]
    pub enrollment: EnrollmentOut,
    pub contact_name: String,
}

/// An enrolment with every step run, oldest first.
#[derive(Serialize, ToSchema)]
pub struct EnrollmentDetailOut {
    #[serde(flatten)]
    pub enrollment: EnrollmentOut,
    pub steps: Vec<StepRunOut>,
}

/// One run of one step of an enrolment.
#[derive(Serialize, ToSchema)]
pub struct StepRunOut {
    pub id: StepRunId,
    pub enrollment_id: EnrollmentId,
    #[schema(example = "s1")]
    pub step_id: String,
    #[schema(example = "send_email")]
    pub step_type: String,
    pub seq: i32,
    /// 1 for the first try, more on retries.
    pub attempt: i32,
    #[schema(value_type = StepRunStatus)]
    pub status: String,
    pub outcome: Option<String>,
    pub detail: Option<String>,
    pub error: Option<String>,
    pub created_at: Ts,
}

impl From<StepRun> for StepRunOut {
    fn from(r: StepRun) -> Self {
        Self {
            id: r.id,
            enrollment_id: r.enrollment_id,
            step_id: r.step_id,
            step_type: r.step_type,
            seq: r.seq,
            attempt: r.attempt,
            status: r.status,
            outcome: r.outcome,
            detail: r.detail,
            error: r.error,
            created_at: r.created_at,
        }
    }
}

/// The id of what was created.
#[derive(Serialize, ToSchema)]
pub struct CreatedId {
    pub id: Uuid,
}

/// How many enrolments were retried.
#[derive(Serialize, ToSchema)]
pub struct RetriedOut {
    pub retried: usize,
}

/// How many live enrolments moved to the current version, and how many kept theirs because their step no longer exists.
#[derive(Serialize, ToSchema)]
pub struct MigratedOut {
    pub migrated: usize,
    pub kept: usize,
}

/// A shipped workflow template, in the workspace's language.
#[derive(Serialize, ToSchema)]
pub struct WorkflowTemplateOut {
    #[schema(example = "welcome_sequence")]
    pub key: String,
    pub name: String,
    pub description: String,
}

/// The workflows a template installed.
#[derive(Serialize, ToSchema)]
pub struct InstalledOut {
    pub workflows: Vec<WorkflowSaved>,
}

/// A reusable message (`template_id` in send steps).
#[derive(Serialize, ToSchema)]
pub struct MessageTemplateOut {
    pub id: TemplateId,
    pub name: String,
    #[schema(value_type = Channel)]
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<store::MessageTemplate> for MessageTemplateOut {
    fn from(t: store::MessageTemplate) -> Self {
        Self {
            id: t.id,
            name: t.name,
            channel: t.channel,
            subject: t.subject,
            body: t.body,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A message of the outbox.
#[derive(Serialize, ToSchema)]
pub struct OutboxMessageOut {
    pub id: MessageId,
    pub contact_id: Option<Uuid>,
    #[schema(value_type = Channel)]
    pub channel: String,
    /// The recipient's address or phone.
    pub to: String,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// The text body.
    pub body: String,
    /// The HTML body of an email.
    pub html: Option<String>,
    /// `transactional` or `marketing`.
    #[schema(example = "transactional")]
    pub category: String,
    /// Who sent it (`smtp`, `sendgrid`, `twilio`...).
    #[schema(example = "sendgrid")]
    pub provider: String,
    /// The provider's id of the message.
    pub provider_id: Option<String>,
    #[schema(value_type = MessageStatus)]
    pub status: String,
    /// Why it was not sent, when skipped.
    pub skip_reason: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: Ts,
}

impl From<Message> for OutboxMessageOut {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            contact_id: m.contact_id,
            channel: m.channel,
            to: m.to_address,
            from: m.from_address,
            subject: m.subject,
            body: m.body_text,
            html: m.body_html,
            category: m.category,
            provider: m.provider,
            provider_id: m.provider_id,
            status: m.status,
            skip_reason: m.skip_reason,
            error: m.error,
            attempts: m.attempts,
            created_at: m.created_at,
        }
    }
}

/// An open alert about a failing or stuck workflow.
#[derive(Serialize, ToSchema)]
pub struct WorkflowAlertOut {
    pub id: AlertId,
    pub workflow_id: Option<Uuid>,
    pub enrollment_id: Option<Uuid>,
    #[schema(example = "step_failed")]
    pub kind: String,
    pub message: String,
    pub created_at: Ts,
    pub resolved_at: Option<Ts>,
}

impl From<store::Alert> for WorkflowAlertOut {
    fn from(a: store::Alert) -> Self {
        Self {
            id: a.id,
            workflow_id: a.workflow_id,
            enrollment_id: a.enrollment_id,
            kind: a.kind,
            message: a.message,
            created_at: a.created_at,
            resolved_at: a.resolved_at,
        }
    }
}

// ---------------------------------------------------------------- handlers

/// List workflows
///
/// Every workflow of the workspace with its current definition.
#[utoipa::path(
    get,
    path = "/api/v1/workflows",
    operation_id = "workflows_list",
    tag = "Workflows",
    responses((status = 200, description = "The workflows.", body = Data<Vec<WorkflowOut>>)),
)]
async fn list_workflows(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<WorkflowOut>>>, ApiError> {
    let ws = auth.workspace.id;
    let counts = store::enrollment_counts(&st.db, ws).await?;
    let data = store::list_workflows(&st.db, ws)
        .await?
        .iter()
        .map(|w| WorkflowOut::new(w, &counts))
        .collect();
    Ok(Json(Data { data }))
}

/// Create a workflow
///
/// Validates the whole definition and every reference; an invalid one is a 422 naming each path (`steps[1].body`) and nothing is written.
#[utoipa::path(
    post,
    path = "/api/v1/workflows",
    operation_id = "workflows_create",
    tag = "Workflows",
    request_body = WorkflowDefinition,
    responses((status = 201, description = "Created, as version 1.", body = WorkflowSaved)),
)]
async fn create_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(def): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let saved = ops::save_workflow(
        &st.db,
        auth.workspace.id,
        None,
        &def,
        None,
        st.config.channels.ssrf(),
        st.now(),
    )
    .await
    .map_err(engine_error)?;
    Ok((StatusCode::CREATED, Json(WorkflowSaved::from(saved))).into_response())
}

/// Get a workflow
#[utoipa::path(
    get,
    path = "/api/v1/workflows/{id}",
    operation_id = "workflows_get",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    responses((status = 200, description = "The workflow.", body = WorkflowOut)),
)]
async fn get_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
) -> Result<Json<WorkflowOut>, ApiError> {
    let ws = auth.workspace.id;
    let w = store::find_workflow(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let counts = store::enrollment_counts(&st.db, ws).await?;
    Ok(Json(WorkflowOut::new(&w, &counts)))
}

/// Save a new version of a workflow
///
/// The definition replaces the current one as a new version; running enrolments keep the version they started with.
#[utoipa::path(
    put,
    path = "/api/v1/workflows/{id}",
    operation_id = "workflows_update",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    request_body = WorkflowDefinition,
    responses((status = 200, description = "Saved.", body = WorkflowSaved)),
)]
async fn update_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
    ApiJson(def): ApiJson<Value>,
) -> Result<Json<WorkflowSaved>, ApiError> {
    let saved = ops::save_workflow(
        &st.db,
        auth.workspace.id,
        Some(id),
        &def,
        None,
        st.config.channels.ssrf(),
        st.now(),
    )
    .await
    .map_err(engine_error)?;
    Ok(Json(saved.into()))
}

/// Delete a workflow
#[utoipa::path(
    delete,
    path = "/api/v1/workflows/{id}",
    operation_id = "workflows_delete",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
) -> Result<StatusCode, ApiError> {
    ops::delete_workflow(&st.db, auth.workspace.id, id)
        .await
        .map_err(engine_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the workflow runs.
#[derive(Deserialize, ToSchema)]
struct StatusBody {
    /// `false` pauses the workflow, `true` resumes it.
    active: bool,
}

/// Pause or resume a workflow
#[utoipa::path(
    post,
    path = "/api/v1/workflows/{id}/status",
    operation_id = "workflows_set_status",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    request_body = StatusBody,
    responses((status = 204, description = "Done.")),
)]
async fn set_status(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
    ApiJson(b): ApiJson<StatusBody>,
) -> Result<StatusCode, ApiError> {
    ops::set_active(&st.db, auth.workspace.id, id, b.active, st.now())
        .await
        .map_err(engine_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct PageQuery {
    /// Only enrolments in this status.
    #[param(value_type = Option<EnrollmentStatus>)]
    status: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List a workflow's enrolments
///
/// Newest first, with each contact's name.
#[utoipa::path(
    get,
    path = "/api/v1/workflows/{id}/enrollments",
    operation_id = "enrollments_list",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The workflow's id."), PageQuery),
    responses((status = 200, description = "A page of enrolments.", body = Page<EnrollmentRowOut>)),
)]
async fn list_enrollments(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(wf): ApiIdPath<WorkflowId>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<EnrollmentRowOut>>, ApiError> {
    let ws = auth.workspace.id;
    store::find_workflow(&st.db, ws, wf)
        .await?
        .ok_or(ApiError::NotFound)?;
    let limit = page_limit(q.limit, 50)?;
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let rows = store::list_enrollments(&st.db, ws, wf, status, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last()
            .map(|r| encode_cursor(r.enrollment.started_at, r.enrollment.id.0))
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(|r| EnrollmentRowOut {
            enrollment: EnrollmentOut::from(&r.enrollment),
            contact_name: r.contact_name,
        })
        .collect();
    Ok(Json(Page { data, next_cursor }))
}

/// A contact to enrol in test mode.
#[derive(Deserialize, ToSchema)]
struct EnrollBody {
    #[schema(format = Uuid)]
    contact_id: String,
    /// Make every wait end at once.
    #[serde(default)]
    skip_waits: bool,
}

/// Enrol a contact in test mode
///
/// Enrols the contact now, whatever the trigger, filter or re-entry rule; with `skip_waits` every wait ends at once.
#[utoipa::path(
    post,
    path = "/api/v1/workflows/{id}/enrollments",
    operation_id = "enrollments_create",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    request_body = EnrollBody,
    responses((status = 201, description = "Enrolled: the enrolment's id.", body = CreatedId)),
)]
async fn enroll_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
    ApiJson(b): ApiJson<EnrollBody>,
) -> Result<Response, ApiError> {
    let contact: ContactId = Uuid::parse_str(&b.contact_id)
        .map(ContactId)
        .map_err(|_| ApiError::field("contact_id", "not a contact id"))?;
    let id = ops::enroll_test(
        &st.db,
        auth.workspace.id,
        id,
        contact,
        b.skip_waits,
        st.now(),
    )
    .await
    .map_err(engine_error)?;
    Ok((StatusCode::CREATED, Json(CreatedId { id: id.0 })).into_response())
}

/// Where a retry starts; the body may be empty.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct RetryBody {
    /// Start again from the first step instead of the failed one.
    from_start: bool,
}

/// Retry a workflow's failed enrolments
#[utoipa::path(
    post,
    path = "/api/v1/workflows/{id}/retry-failed",
    operation_id = "workflows_retry_failed",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    request_body(content = RetryBody, description = "Optional: an empty body retries from the failed step."),
    responses((status = 200, description = "How many were retried.", body = RetriedOut)),
)]
async fn retry_failed(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(wf): ApiIdPath<WorkflowId>,
    body: axum::body::Bytes,
) -> Result<Json<RetriedOut>, ApiError> {
    let from_start = optional_json::<RetryBody>(&body)?.from_start;
    let ws = auth.workspace.id;
    store::find_workflow(&st.db, ws, wf)
        .await?
        .ok_or(ApiError::NotFound)?;
    let retried = ops::retry_all_failed(&st.db, ws, wf, from_start, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(RetriedOut { retried }))
}

/// Move live enrolments to the current version
///
/// Enrolments whose current step still exists in the current version move to it; the others keep their version.
#[utoipa::path(
    post,
    path = "/api/v1/workflows/{id}/migrate",
    operation_id = "workflows_migrate",
    tag = "Workflows",
    params(("id" = Uuid, Path, description = "The workflow's id.")),
    responses((status = 200, description = "How many moved and how many stayed.", body = MigratedOut)),
)]
async fn migrate(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
) -> Result<Json<MigratedOut>, ApiError> {
    let (migrated, kept) = ops::migrate_enrollments(&st.db, auth.workspace.id, id, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(MigratedOut { migrated, kept }))
}

/// Get an enrolment
///
/// The enrolment and every step run.
#[utoipa::path(
    get,
    path = "/api/v1/enrollments/{id}",
    operation_id = "enrollments_get",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The enrolment's id.")),
    responses((status = 200, description = "The enrolment and its step runs.", body = EnrollmentDetailOut)),
)]
async fn get_enrollment(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
) -> Result<Json<EnrollmentDetailOut>, ApiError> {
    let ws = auth.workspace.id;
    let e = store::find_enrollment(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let runs = store::list_step_runs(&st.db, ws, id).await?;
    Ok(Json(EnrollmentDetailOut {
        enrollment: EnrollmentOut::from(&e),
        steps: runs.into_iter().map(StepRunOut::from).collect(),
    }))
}

/// End the current wait now
///
/// A wait for an event takes its timeout branch.
#[utoipa::path(
    post,
    path = "/api/v1/enrollments/{id}/skip-wait",
    operation_id = "enrollments_skip_wait",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The enrolment's id.")),
    responses((status = 200, description = "The enrolment.", body = EnrollmentOut)),
)]
async fn skip_wait(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
) -> Result<Json<EnrollmentOut>, ApiError> {
    let e = ops::skip_wait(&st.db, auth.workspace.id, id, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(EnrollmentOut::from(&e)))
}

/// Retry a failed enrolment
#[utoipa::path(
    post,
    path = "/api/v1/enrollments/{id}/retry",
    operation_id = "enrollments_retry",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The enrolment's id.")),
    request_body(content = RetryBody, description = "Optional: an empty body retries from the failed step."),
    responses((status = 204, description = "Queued again.")),
)]
async fn retry(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let from_start = optional_json::<RetryBody>(&body)?.from_start;
    ops::retry(&st.db, auth.workspace.id, id, from_start, st.now())
        .await
        .map_err(engine_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a contact out of a workflow
#[utoipa::path(
    post,
    path = "/api/v1/enrollments/{id}/exit",
    operation_id = "enrollments_exit",
    tag = "Enrollments",
    params(("id" = Uuid, Path, description = "The enrolment's id.")),
    responses((status = 204, description = "Ended.")),
)]
async fn exit(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
) -> Result<StatusCode, ApiError> {
    ops::exit_enrollment(&st.db, auth.workspace.id, id, &auth.actor(), st.now())
        .await
        .map_err(engine_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A custom event about a contact.
#[derive(Deserialize, ToSchema)]
struct EventBody {
    #[schema(format = Uuid)]
    contact_id: String,
    /// The event's name, as `custom_event` triggers, goals and waits name it.
    #[schema(example = "trial_started")]
    name: String,
    /// Any JSON object, up to 16 KiB; steps read it as merge fields.
    #[serde(default)]
    #[schema(schema_with = event_data_schema, required = false)]
    data: Value,
}

fn event_data_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object, Type::Null],
        "Any JSON object, up to 16 KiB; steps read it as merge fields.",
        serde_json::json!({"plan": "pro"}),
    )
}

/// Post a custom event
///
/// `custom_event` triggers, exit goals and waits for an event listen to it.
#[utoipa::path(
    post,
    path = "/api/v1/events",
    operation_id = "events_create",
    tag = "Workflows",
    request_body = EventBody,
    responses((status = 202, description = "Accepted: the event's id.", body = CreatedId)),
)]
async fn post_event(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(b): ApiJson<EventBody>,
) -> Result<Response, ApiError> {
    let contact: ContactId = Uuid::parse_str(&b.contact_id)
        .map(ContactId)
        .map_err(|_| ApiError::field("contact_id", "not a contact id"))?;
    if !b.data.is_null() && !b.data.is_object() {
        return Err(ApiError::field("data", "data must be a JSON object"));
    }
    if b.data.to_string().len() > 16 * 1024 {
        return Err(ApiError::field("data", "data is larger than 16 KiB"));
    }
    let id = ops::post_custom_event(
        &st.db,
        auth.workspace.id,
        contact,
        &b.name,
        &b.data,
        &auth.actor(),
        st.now(),
    )
    .await
    .map_err(|e| match e {
        EngineError::Invalid(m) => ApiError::field("name", m.join("; ")),
        EngineError::NotFound(_) => {
            ApiError::field("contact_id", "no such contact in this workspace")
        }
        other => engine_error(other),
    })?;
    Ok((StatusCode::ACCEPTED, Json(CreatedId { id: id.0 })).into_response())
}

/// List the shipped workflow templates
#[utoipa::path(
    get,
    path = "/api/v1/workflow-templates",
    operation_id = "workflow_templates_list",
    tag = "Workflows",
    responses((status = 200, description = "The templates.", body = Data<Vec<WorkflowTemplateOut>>)),
)]
async fn list_library(auth: ApiAuth) -> Json<Data<Vec<WorkflowTemplateOut>>> {
    let es = auth.workspace.locale == "es";
    let data = library::TEMPLATES
        .iter()
        .map(|t| WorkflowTemplateOut {
            key: t.key.to_string(),
            name: if es { t.name_es } else { t.name_en }.to_string(),
            description: if es {
                t.description_es
            } else {
                t.description_en
            }
            .to_string(),
        })
        .collect();
    Json(Data { data })
}

/// Whether installed workflows start active; the body may be empty.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct InstallBody {
    /// Default true.
    active: Option<bool>,
}

/// Install a shipped template
#[utoipa::path(
    post,
    path = "/api/v1/workflow-templates/{key}/install",
    operation_id = "workflow_templates_install",
    tag = "Workflows",
    params(("key" = String, Path, description = "The template's key.", example = "welcome_sequence")),
    request_body(content = InstallBody, description = "Optional: an empty body installs them active."),
    responses((status = 201, description = "The workflows created.", body = InstalledOut)),
)]
async fn install_library(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path(key): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let active = optional_json::<InstallBody>(&body)?.active.unwrap_or(true);
    let saved = library::install(&st.db, auth.workspace.id, &key, active, st.now())
        .await
        .map_err(engine_error)?;
    let workflows = saved.into_iter().map(WorkflowSaved::from).collect();
    Ok((StatusCode::CREATED, Json(InstalledOut { workflows })).into_response())
}

/// List message templates
#[utoipa::path(
    get,
    path = "/api/v1/message-templates",
    operation_id = "message_templates_list",
    tag = "Message templates",
    responses((status = 200, description = "The message templates.", body = Data<Vec<MessageTemplateOut>>)),
)]
async fn list_templates(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<MessageTemplateOut>>>, ApiError> {
    let data = store::list_templates(&st.db, auth.workspace.id)
        .await?
        .into_iter()
        .map(MessageTemplateOut::from)
        .collect();
    Ok(Json(Data { data }))
}

/// A reusable message.
#[derive(Deserialize, ToSchema)]
struct TemplateBody {
    /// 1 to 200 characters.
    name: String,
    /// `email`, `sms` or `whatsapp`.
    #[schema(example = "email")]
    channel: String,
    /// The email's subject; merge fields allowed.
    #[serde(default)]
    subject: Option<String>,
    /// The text; merge fields such as `{{ contact.first_name }}` allowed.
    #[schema(example = "Hola {{ contact.first_name }}, gracias por escribirnos.")]
    body: String,
}

/// Create a message template
#[utoipa::path(
    post,
    path = "/api/v1/message-templates",
    operation_id = "message_templates_create",
    tag = "Message templates",
    request_body = TemplateBody,
    responses((status = 201, description = "Created: the template's id.", body = CreatedId)),
)]
async fn create_template(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(b): ApiJson<TemplateBody>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    if b.name.trim().is_empty() || b.name.chars().count() > 200 {
        errors.push(("name".to_string(), "name: 1 to 200 characters".to_string()));
    }
    if !matches!(
        Channel::parse(&b.channel),
        Some(Channel::Email | Channel::Sms | Channel::WhatsApp)
    ) {
        errors.push(("channel".into(), "channel: email, sms or whatsapp".into()));
    }
    for (field, text) in [
        ("subject", b.subject.as_deref().unwrap_or("")),
        ("body", b.body.as_str()),
    ] {
        if let Err(e) = af_core::templating::check(text) {
            errors.push((field.into(), format!("{field}: {e}")));
        }
    }
    if b.body.trim().is_empty() {
        errors.push(("body".into(), "body: required".into()));
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut tx = st.db.begin().await?;
    let id = store::insert_template(
        &mut tx,
        auth.workspace.id,
        b.name.trim(),
        &b.channel,
        b.subject.as_deref(),
        &b.body,
        st.now(),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedId { id: id.0 })).into_response())
}

/// Delete a message template
///
/// Refused while an active workflow uses it.
#[utoipa::path(
    delete,
    path = "/api/v1/message-templates/{id}",
    operation_id = "message_templates_delete",
    tag = "Message templates",
    params(("id" = Uuid, Path, description = "The message template's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "An active workflow uses it.", body = ErrorBody),
    ),
)]
async fn delete_template(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<TemplateId>,
) -> Result<StatusCode, ApiError> {
    let ws = auth.workspace.id;
    let mut tx = st.db.begin().await?;
    match store::delete_template(&mut tx, ws, id).await? {
        store::TemplateDeletion::Deleted => {
            tx.commit().await?;
            Ok(StatusCode::NO_CONTENT)
        }
        store::TemplateDeletion::NotFound => Err(ApiError::NotFound),
        store::TemplateDeletion::UsedByWorkflow(name) => Err(ApiError::Conflict(format!(
            "the active workflow \"{name}\" uses this template"
        ))),
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct MessageQuery {
    /// Only messages to this contact.
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// Only messages of this channel.
    #[param(value_type = Option<Channel>)]
    channel: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List the outbox
///
/// Every message the workspace sent or tried to send, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/messages",
    operation_id = "messages_list",
    tag = "Outbox",
    params(MessageQuery),
    responses((status = 200, description = "A page of messages.", body = Page<OutboxMessageOut>)),
)]
async fn list_messages(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> Result<Json<Page<OutboxMessageOut>>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let contact = match q.contact_id.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            Uuid::parse_str(raw)
                .map(ContactId)
                .map_err(|_| ApiError::field("contact_id", "not a contact id"))?,
        ),
        None => None,
    };
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let channel = q.channel.as_deref().filter(|s| !s.is_empty());
    let rows = messages::search_messages(
        &st.db,
        auth.workspace.id,
        contact,
        channel,
        cursor,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last().map(|m| encode_cursor(m.created_at, m.id.0))
    } else {
        None
    };
    let data = rows.into_iter().map(OutboxMessageOut::from).collect();
    Ok(Json(Page { data, next_cursor }))
}

/// List open workflow alerts
///
/// Open alerts about failing or stuck workflows, at most 200.
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    operation_id = "workflow_alerts_list",
    tag = "Workflows",
    responses((status = 200, description = "The open alerts.", body = Data<Vec<WorkflowAlertOut>>)),
)]
async fn list_alerts(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<WorkflowAlertOut>>>, ApiError> {
    let data = store::list_open_alerts(&st.db, auth.workspace.id, 200)
        .await?
        .into_iter()
        .map(WorkflowAlertOut::from)
        .collect();
    Ok(Json(Data { data }))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_workflows,
        create_workflow,
        get_workflow,
        update_workflow,
        delete_workflow,
        set_status,
        retry_failed,
        migrate,
        list_enrollments,
        enroll_contact,
        get_enrollment,
        skip_wait,
        retry,
        exit,
        post_event,
        list_library,
        install_library,
        list_templates,
        create_template,
        delete_template,
        list_messages,
        list_alerts,
    ),
    tags(
        (name = "Workflows", description = "Automations: workflow definitions and versions, custom events, the shipped templates and alerts about failing workflows."),
        (name = "Enrollments", description = "Contacts' runs through a workflow, their step runs, and the test-mode actions."),
        (name = "Message templates", description = "Reusable messages that send steps name by `template_id`."),
        (name = "Outbox", description = "The outbox: every email, SMS and WhatsApp message the workspace sent or tried to send."),
    ),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Workflows", "Automatizaciones"),
    (
        "Automations: workflow definitions and versions, custom events, the shipped templates and alerts about failing workflows.",
        "Automatizaciones: definiciones y versiones de flujos, eventos personalizados, las plantillas incluidas y las alertas de flujos que fallan.",
    ),
    ("Enrollments", "Inscripciones"),
    (
        "Contacts' runs through a workflow, their step runs, and the test-mode actions.",
        "El recorrido de cada contacto por un flujo, las ejecuciones de sus pasos y las acciones del modo de prueba.",
    ),
    ("Message templates", "Plantillas de mensajes"),
    (
        "Reusable messages that send steps name by `template_id`.",
        "Mensajes reutilizables que los pasos de envío nombran con `template_id`.",
    ),
    ("Outbox", "Bandeja de salida"),
    (
        "The outbox: every email, SMS and WhatsApp message the workspace sent or tried to send.",
        "La bandeja de salida: cada correo, SMS y mensaje de WhatsApp que el espacio envió o intentó enviar.",
    ),
    // Shapes.
    (
        "A workflow definition as documented in docs/AUTOMATIONS.md: a trigger, an ordered tree of steps, exit goals and a re-entry rule.",
        "Una definición de flujo, como se documenta en docs/AUTOMATIONS.md: un disparador, un árbol ordenado de pasos, metas de salida y una regla de reingreso.",
    ),
    (
        "What enrols a contact: `{\"type\": ...}` plus the trigger's own fields and an optional `filter`.",
        "Lo que inscribe a un contacto: `{\"type\": ...}` más los campos propios del disparador y un `filter` opcional.",
    ),
    (
        "The steps in order; each is `{\"type\": ...}` plus that step's fields (`send_email`, `wait`, `if_else`...).",
        "Los pasos en orden; cada uno es `{\"type\": ...}` más los campos de ese paso (`send_email`, `wait`, `if_else`...).",
    ),
    (
        "Events that end a contact's enrolment at once, e.g. `[\"appointment_booked\"]`.",
        "Eventos que terminan al instante la inscripción de un contacto, p. ej. `[\"appointment_booked\"]`.",
    ),
    (
        "May a contact enter again: `never` (default), `after_exit` or `always`.",
        "Si un contacto puede volver a entrar: `never` (por omisión), `after_exit` o `always`.",
    ),
    (
        "Whether it runs as soon as it is saved.",
        "Si se activa en cuanto se guarda.",
    ),
    (
        "A workflow with its current definition and its enrolments counted by status.",
        "Un flujo con su definición actual y sus inscripciones contadas por estado.",
    ),
    (
        "The trigger's type, e.g. `lead_created`.",
        "El tipo de disparador, p. ej. `lead_created`.",
    ),
    (
        "`active`, `paused` or `draft`.",
        "`active`, `paused` o `draft`.",
    ),
    (
        "Whether the workflow is active.",
        "Si el flujo está activo.",
    ),
    (
        "The current version; each save adds one.",
        "La versión actual; cada guardado suma una.",
    ),
    (
        "The shipped template it was installed from, if any.",
        "La plantilla incluida desde la que se instaló, si la hay.",
    ),
    (
        "The current version's definition.",
        "La definición de la versión actual.",
    ),
    (
        "Enrolments per status (`active`, `completed`, `failed`...).",
        "Inscripciones por estado (`active`, `completed`, `failed`...).",
    ),
    (
        "A saved workflow: its id and the version just written.",
        "Un flujo guardado: su id y la versión recién escrita.",
    ),
    (
        "A contact's run through a workflow.",
        "El recorrido de un contacto por un flujo.",
    ),
    (
        "The workflow version it follows.",
        "La versión del flujo que sigue.",
    ),
    (
        "The id of the step it is at.",
        "El id del paso en el que está.",
    ),
    ("When it moves on next.", "Cuándo avanza la próxima vez."),
    (
        "What a wait waits for (`time`, `event`...), while waiting.",
        "Qué espera una espera (`time`, `event`...), mientras espera.",
    ),
    ("Enrolled in test mode.", "Inscrito en modo de prueba."),
    (
        "An enrolment in a workflow's list, with its contact's name.",
        "Una inscripción en la lista de un flujo, con el nombre de su contacto.",
    ),
    (
        "An enrolment with every step run, oldest first.",
        "Una inscripción con cada ejecución de paso, de la más antigua a la más reciente.",
    ),
    (
        "One run of one step of an enrolment.",
        "Una ejecución de un paso de una inscripción.",
    ),
    (
        "1 for the first try, more on retries.",
        "1 en el primer intento, más en los reintentos.",
    ),
    ("The id of what was created.", "El id de lo que se creó."),
    (
        "How many enrolments were retried.",
        "Cuántas inscripciones se reintentaron.",
    ),
    (
        "How many live enrolments moved to the current version, and how many kept theirs because their step no longer exists.",
        "Cuántas inscripciones en curso pasaron a la versión actual y cuántas conservaron la suya porque su paso ya no existe.",
    ),
    (
        "A shipped workflow template, in the workspace's language.",
        "Una plantilla de flujo incluida, en el idioma del espacio.",
    ),
    (
        "The workflows a template installed.",
        "Los flujos que instaló una plantilla.",
    ),
    (
        "A reusable message (`template_id` in send steps).",
        "Un mensaje reutilizable (`template_id` en los pasos de envío).",
    ),
    (
        "A message of the outbox.",
        "Un mensaje de la bandeja de salida.",
    ),
    (
        "The recipient's address or phone.",
        "La dirección o el teléfono del destinatario.",
    ),
    ("The text body.", "El cuerpo en texto."),
    ("The HTML body of an email.", "El cuerpo HTML de un correo."),
    (
        "`transactional` or `marketing`.",
        "`transactional` o `marketing`.",
    ),
    (
        "Who sent it (`smtp`, `sendgrid`, `twilio`...).",
        "Quién lo envió (`smtp`, `sendgrid`, `twilio`...).",
    ),
    (
        "The provider's id of the message.",
        "El id del mensaje en el proveedor.",
    ),
    (
        "Why it was not sent, when skipped.",
        "Por qué no se envió, cuando se omitió.",
    ),
    (
        "An open alert about a failing or stuck workflow.",
        "Una alerta abierta sobre un flujo que falla o está atascado.",
    ),
    ("Whether the workflow runs.", "Si el flujo se ejecuta."),
    (
        "`false` pauses the workflow, `true` resumes it.",
        "`false` pausa el flujo, `true` lo reanuda.",
    ),
    (
        "Only enrolments in this status.",
        "Solo las inscripciones en este estado.",
    ),
    (
        "A contact to enrol in test mode.",
        "Un contacto para inscribir en modo de prueba.",
    ),
    (
        "Make every wait end at once.",
        "Hace que cada espera termine al instante.",
    ),
    (
        "Where a retry starts; the body may be empty.",
        "Desde dónde empieza un reintento; el cuerpo puede ir vacío.",
    ),
    (
        "Start again from the first step instead of the failed one.",
        "Vuelve a empezar desde el primer paso en vez del que falló.",
    ),
    (
        "A custom event about a contact.",
        "Un evento personalizado sobre un contacto.",
    ),
    (
        "The event's name, as `custom_event` triggers, goals and waits name it.",
        "El nombre del evento, tal como lo nombran los disparadores `custom_event`, las metas y las esperas.",
    ),
    (
        "Any JSON object, up to 16 KiB; steps read it as merge fields.",
        "Cualquier objeto JSON de hasta 16 KiB; los pasos lo leen como campos de combinación.",
    ),
    (
        "Whether installed workflows start active; the body may be empty.",
        "Si los flujos instalados empiezan activos; el cuerpo puede ir vacío.",
    ),
    ("Default true.", "Por omisión, true."),
    ("A reusable message.", "Un mensaje reutilizable."),
    ("1 to 200 characters.", "De 1 a 200 caracteres."),
    (
        "`email`, `sms` or `whatsapp`.",
        "`email`, `sms` o `whatsapp`.",
    ),
    (
        "The email's subject; merge fields allowed.",
        "El asunto del correo; admite campos de combinación.",
    ),
    (
        "The text; merge fields such as `{{ contact.first_name }}` allowed.",
        "El texto; admite campos de combinación como `{{ contact.first_name }}`.",
    ),
    (
        "Only messages to this contact.",
        "Solo los mensajes a este contacto.",
    ),
    (
        "Only messages of this channel.",
        "Solo los mensajes de este canal.",
    ),
    // Operations.
    ("List workflows", "Listar flujos"),
    (
        "Every workflow of the workspace with its current definition.",
        "Todos los flujos del espacio con su definición actual.",
    ),
    ("The workflows.", "Los flujos."),
    ("Create a workflow", "Crear un flujo"),
    (
        "Validates the whole definition and every reference; an invalid one is a 422 naming each path (`steps[1].body`) and nothing is written.",
        "Valida la definición completa y cada referencia; una inválida responde 422 nombrando cada ruta (`steps[1].body`) y no se escribe nada.",
    ),
    ("Created, as version 1.", "Creado, como versión 1."),
    ("Get a workflow", "Obtener un flujo"),
    ("The workflow's id.", "El id del flujo."),
    ("The workflow.", "El flujo."),
    (
        "Save a new version of a workflow",
        "Guardar una nueva versión de un flujo",
    ),
    (
        "The definition replaces the current one as a new version; running enrolments keep the version they started with.",
        "La definición reemplaza a la actual como una nueva versión; las inscripciones en curso conservan la versión con la que empezaron.",
    ),
    ("Saved.", "Guardado."),
    ("Delete a workflow", "Eliminar un flujo"),
    ("Deleted.", "Eliminado."),
    ("Pause or resume a workflow", "Pausar o reanudar un flujo"),
    ("Done.", "Hecho."),
    (
        "List a workflow's enrolments",
        "Listar las inscripciones de un flujo",
    ),
    (
        "Newest first, with each contact's name.",
        "Lo más reciente primero, con el nombre de cada contacto.",
    ),
    ("A page of enrolments.", "Una página de inscripciones."),
    (
        "Enrol a contact in test mode",
        "Inscribir un contacto en modo de prueba",
    ),
    (
        "Enrols the contact now, whatever the trigger, filter or re-entry rule; with `skip_waits` every wait ends at once.",
        "Inscribe al contacto ahora, sin importar el disparador, el filtro ni la regla de reingreso; con `skip_waits` cada espera termina al instante.",
    ),
    (
        "Enrolled: the enrolment's id.",
        "Inscrito: el id de la inscripción.",
    ),
    (
        "Retry a workflow's failed enrolments",
        "Reintentar las inscripciones fallidas de un flujo",
    ),
    (
        "Optional: an empty body retries from the failed step.",
        "Opcional: con el cuerpo vacío se reintenta desde el paso que falló.",
    ),
    ("How many were retried.", "Cuántas se reintentaron."),
    (
        "Move live enrolments to the current version",
        "Pasar las inscripciones en curso a la versión actual",
    ),
    (
        "Enrolments whose current step still exists in the current version move to it; the others keep their version.",
        "Las inscripciones cuyo paso actual sigue existiendo en la versión actual pasan a ella; las demás conservan su versión.",
    ),
    (
        "How many moved and how many stayed.",
        "Cuántas pasaron y cuántas se quedaron.",
    ),
    ("Get an enrolment", "Obtener una inscripción"),
    (
        "The enrolment and every step run.",
        "La inscripción y cada ejecución de paso.",
    ),
    ("The enrolment's id.", "El id de la inscripción."),
    (
        "The enrolment and its step runs.",
        "La inscripción y las ejecuciones de sus pasos.",
    ),
    ("End the current wait now", "Terminar ya la espera actual"),
    (
        "A wait for an event takes its timeout branch.",
        "Una espera de un evento toma su rama de tiempo agotado.",
    ),
    ("The enrolment.", "La inscripción."),
    (
        "Retry a failed enrolment",
        "Reintentar una inscripción fallida",
    ),
    ("Queued again.", "En cola de nuevo."),
    (
        "Take a contact out of a workflow",
        "Sacar a un contacto de un flujo",
    ),
    ("Ended.", "Terminada."),
    ("Post a custom event", "Enviar un evento personalizado"),
    (
        "`custom_event` triggers, exit goals and waits for an event listen to it.",
        "Lo escuchan los disparadores `custom_event`, las metas de salida y las esperas de un evento.",
    ),
    ("Accepted: the event's id.", "Aceptado: el id del evento."),
    (
        "List the shipped workflow templates",
        "Listar las plantillas de flujos incluidas",
    ),
    ("The templates.", "Las plantillas."),
    (
        "Install a shipped template",
        "Instalar una plantilla incluida",
    ),
    ("The template's key.", "La clave de la plantilla."),
    (
        "Optional: an empty body installs them active.",
        "Opcional: con el cuerpo vacío se instalan activos.",
    ),
    ("The workflows created.", "Los flujos creados."),
    ("List message templates", "Listar plantillas de mensajes"),
    ("The message templates.", "Las plantillas de mensajes."),
    (
        "Create a message template",
        "Crear una plantilla de mensaje",
    ),
    (
        "Created: the template's id.",
        "Creada: el id de la plantilla.",
    ),
    (
        "Delete a message template",
        "Eliminar una plantilla de mensaje",
    ),
    (
        "Refused while an active workflow uses it.",
        "Se rechaza mientras un flujo activo la use.",
    ),
    (
        "The message template's id.",
        "El id de la plantilla de mensaje.",
    ),
    ("An active workflow uses it.", "Un flujo activo la usa."),
    ("List the outbox", "Listar la bandeja de salida"),
    (
        "Every message the workspace sent or tried to send, newest first.",
        "Cada mensaje que el espacio envió o intentó enviar, lo más reciente primero.",
    ),
    ("A page of messages.", "Una página de mensajes."),
    (
        "List open workflow alerts",
        "Listar las alertas abiertas de flujos",
    ),
    (
        "Open alerts about failing or stuck workflows, at most 200.",
        "Las alertas abiertas sobre flujos que fallan o están atascados, como máximo 200.",
    ),
    ("The open alerts.", "Las alertas abiertas."),
];
