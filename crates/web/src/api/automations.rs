//! JSON API for the automation engine: workflows (definitions as JSON,
//! documented in docs/AUTOMATIONS.md), enrolments with their step runs,
//! test-mode actions (skip a wait), retries, custom events, the shipped
//! templates, message templates and the outbox (`/api/v1/messages`).

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::vocab::Channel;
use af_core::{ContactId, EnrollmentId, TemplateId, WorkflowId};
use af_db::automations::{self as store, Enrollment, Workflow};
use af_db::messages::{self, Message};
use af_engine::{EngineError, library, ops};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
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

fn workflow_json(w: &Workflow, counts: &[store::StatusCount]) -> Value {
    let definition: Value = serde_json::from_str(&w.definition).unwrap_or(Value::Null);
    let mut by_status = serde_json::Map::new();
    for c in counts.iter().filter(|c| c.workflow_id == w.id) {
        by_status.insert(c.status.clone(), json!(c.n));
    }
    json!({
        "id": w.id, "name": w.name, "trigger_type": w.trigger_type, "status": w.status,
        "active": w.status == "active", "version": w.current_version, "template_key": w.template_key,
        "definition": definition, "enrollments": by_status,
        "created_at": w.created_at, "updated_at": w.updated_at,
    })
}

fn enrollment_json(e: &Enrollment) -> Value {
    json!({
        "id": e.id, "workflow_id": e.workflow_id, "version": e.version, "contact_id": e.contact_id,
        "status": e.status, "current_step": e.current_step, "next_run_at": e.next_run_at,
        "waiting_for": e.wait_kind, "last_outcome": e.last_outcome, "exit_reason": e.exit_reason,
        "test_mode": e.test_mode, "started_at": e.started_at, "finished_at": e.finished_at,
    })
}

/// `GET /api/v1/workflows`
async fn list_workflows(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let counts = store::enrollment_counts(&st.db, ws).await?;
    let data: Vec<Value> = store::list_workflows(&st.db, ws)
        .await?
        .iter()
        .map(|w| workflow_json(w, &counts))
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/workflows` with a definition → 201 `{"id", "version"}`.
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
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": saved.id, "version": saved.version })),
    )
        .into_response())
}

async fn get_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let w = store::find_workflow(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let counts = store::enrollment_counts(&st.db, ws).await?;
    Ok(Json(workflow_json(&w, &counts)))
}

/// `PUT /api/v1/workflows/{id}`: a new version (running enrolments keep theirs).
async fn update_workflow(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
    ApiJson(def): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "id": saved.id, "version": saved.version })))
}

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

#[derive(Deserialize)]
struct StatusBody {
    active: bool,
}

/// `POST /api/v1/workflows/{id}/status` `{"active": false}` pauses.
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/workflows/{id}/enrollments?status=&limit=&cursor=`
async fn list_enrollments(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(wf): ApiIdPath<WorkflowId>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
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
    let next = if more {
        rows.last()
            .map(|r| encode_cursor(r.enrollment.started_at, r.enrollment.id.0))
    } else {
        None
    };
    let data: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = enrollment_json(&r.enrollment);
            v["contact_name"] = json!(r.contact_name);
            v
        })
        .collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

#[derive(Deserialize)]
struct EnrollBody {
    contact_id: String,
    /// Make every wait end at once.
    #[serde(default)]
    skip_waits: bool,
}

/// `POST /api/v1/workflows/{id}/enrollments` `{"contact_id", "skip_waits"}`:
/// enrols a contact in test mode (whatever the trigger).
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
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RetryBody {
    from_start: bool,
}

async fn retry_failed(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(wf): ApiIdPath<WorkflowId>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let from_start = optional_json::<RetryBody>(&body)?.from_start;
    let ws = auth.workspace.id;
    store::find_workflow(&st.db, ws, wf)
        .await?
        .ok_or(ApiError::NotFound)?;
    let n = ops::retry_all_failed(&st.db, ws, wf, from_start, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(json!({ "retried": n })))
}

async fn migrate(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<WorkflowId>,
) -> Result<Json<Value>, ApiError> {
    let (moved, kept) = ops::migrate_enrollments(&st.db, auth.workspace.id, id, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(json!({ "migrated": moved, "kept": kept })))
}

/// `GET /api/v1/enrollments/{id}`: the enrolment and every step run.
async fn get_enrollment(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let e = store::find_enrollment(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let runs = store::list_step_runs(&st.db, ws, id).await?;
    let mut v = enrollment_json(&e);
    v["steps"] = json!(runs);
    Ok(Json(v))
}

/// `POST /api/v1/enrollments/{id}/skip-wait`: ends the current wait now.
async fn skip_wait(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<EnrollmentId>,
) -> Result<Json<Value>, ApiError> {
    let e = ops::skip_wait(&st.db, auth.workspace.id, id, st.now())
        .await
        .map_err(engine_error)?;
    Ok(Json(enrollment_json(&e)))
}

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

#[derive(Deserialize)]
struct EventBody {
    contact_id: String,
    name: String,
    #[serde(default)]
    data: Value,
}

/// `POST /api/v1/events` `{"contact_id", "name", "data"?}`: a custom event
/// (`custom_event` triggers, exit goals and waits listen to it).
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
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response())
}

async fn list_library(auth: ApiAuth) -> Json<Value> {
    let es = auth.workspace.locale == "es";
    let data: Vec<Value> = library::TEMPLATES
        .iter()
        .map(|t| {
            json!({
                "key": t.key,
                "name": if es { t.name_es } else { t.name_en },
                "description": if es { t.description_es } else { t.description_en },
            })
        })
        .collect();
    Json(json!({ "data": data }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InstallBody {
    active: Option<bool>,
}

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
    Ok((StatusCode::CREATED, Json(json!({ "workflows": saved }))).into_response())
}

async fn list_templates(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Value>, ApiError> {
    let data = store::list_templates(&st.db, auth.workspace.id).await?;
    Ok(Json(json!({ "data": data })))
}

#[derive(Deserialize)]
struct TemplateBody {
    name: String,
    channel: String,
    #[serde(default)]
    subject: Option<String>,
    body: String,
}

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
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

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

#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageQuery {
    contact_id: Option<String>,
    channel: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub fn message_json(m: &Message) -> Value {
    json!({
        "id": m.id, "contact_id": m.contact_id, "channel": m.channel, "to": m.to_address,
        "from": m.from_address, "subject": m.subject, "body": m.body_text, "html": m.body_html,
        "category": m.category, "provider": m.provider, "provider_id": m.provider_id,
        "status": m.status, "skip_reason": m.skip_reason, "error": m.error, "attempts": m.attempts,
        "created_at": m.created_at,
    })
}

/// `GET /api/v1/messages?contact_id=&channel=&limit=&cursor=`, newest first.
async fn list_messages(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<MessageQuery>,
) -> Result<Json<Value>, ApiError> {
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
    let next = if more {
        rows.last().map(|m| encode_cursor(m.created_at, m.id.0))
    } else {
        None
    };
    let data: Vec<Value> = rows.iter().map(message_json).collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

/// `GET /api/v1/alerts`: open alerts about failing or stuck workflows.
async fn list_alerts(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<Value>, ApiError> {
    let data = store::list_open_alerts(&st.db, auth.workspace.id, 200).await?;
    Ok(Json(json!({ "data": data })))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
