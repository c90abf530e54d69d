//! JSON API for lead-capture forms, their submissions and appointments
//! (`/api/v1/forms`, `/api/v1/appointments`). Full-scope keys only; another
//! workspace's id is 404.

use super::pagination::page_limit;
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::{AppointmentId, ContactId, FormId};
use af_db::DbError;
use af_db::appointments::{self, Appointment};
use af_db::forms::{self, Form, Submission};
use af_service::forms::{RawForm, fields_of, styling_of, validate_form};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/forms", get(list_forms).post(create_form))
        .route(
            "/api/v1/forms/{id}",
            get(get_form).put(update_form).delete(delete_form),
        )
        .route("/api/v1/forms/{id}/submissions", get(list_submissions))
        .route("/api/v1/appointments", get(list_appointments))
        .route("/api/v1/appointments/{id}", get(get_appointment))
}

/// A form in the API's shape.
pub fn form_json(form: &Form, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "id": form.id,
        "name": form.name,
        "fields": fields_of(form),
        "styling": styling_of(form),
        "success_message": form.success_message,
        "redirect_url": form.redirect_url,
        "pipeline_id": form.pipeline_id,
        "stage_id": form.stage_id,
        "tags": form.tag_list(),
        "consent_text": form.consent_text,
        "active": form.active,
        "url": format!("{base_url}/f/{}", form.id),
        "embed": embed_snippet(base_url, form.id),
        "created_at": form.created_at,
        "updated_at": form.updated_at,
    })
}

/// The ready-to-paste embed code of a form.
pub fn embed_snippet(base_url: &str, id: FormId) -> String {
    format!(
        "<script src=\"{base_url}/embed.js\" async></script>\n<div data-af-form=\"{id}\"></div>"
    )
}

fn not_found_or(e: DbError) -> ApiError {
    match e {
        DbError::NotFound("form") => ApiError::NotFound,
        DbError::NotFound(what) => ApiError::field(
            if what.starts_with("stage") {
                "stage_id"
            } else {
                "pipeline_id"
            },
            format!("no such {what} in this workspace"),
        ),
        e => e.into(),
    }
}

/// `GET /api/v1/forms`
async fn list_forms(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<Value>, ApiError> {
    let all = forms::list_forms(&st.db, auth.workspace.id).await?;
    let data: Vec<Value> = all
        .iter()
        .map(|(f, n)| {
            let mut v = form_json(f, &st.config.base_url);
            v["submissions"] = json!(n);
            v
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/forms` → 201 with the form.
async fn create_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(raw): ApiJson<RawForm>,
) -> Result<Response, ApiError> {
    let defs = af_db::custom_fields::list_fields(&st.db, auth.workspace.id).await?;
    let input = validate_form(&raw, &defs).map_err(ApiError::Invalid)?;
    let mut tx = st.db.begin().await?;
    let form = forms::insert_form(&mut tx, auth.workspace.id, &input, &auth.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(form_json(&form, &st.config.base_url)),
    )
        .into_response())
}

/// `GET /api/v1/forms/{id}`
async fn get_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
) -> Result<Json<Value>, ApiError> {
    let form = forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(form_json(&form, &st.config.base_url)))
}

/// `PUT /api/v1/forms/{id}`: replaces the definition.
async fn update_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
    ApiJson(raw): ApiJson<RawForm>,
) -> Result<Json<Value>, ApiError> {
    forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let defs = af_db::custom_fields::list_fields(&st.db, auth.workspace.id).await?;
    let input = validate_form(&raw, &defs).map_err(ApiError::Invalid)?;
    let mut tx = st.db.begin().await?;
    let form = forms::update_form(
        &mut tx,
        auth.workspace.id,
        id,
        &input,
        &auth.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    Ok(Json(form_json(&form, &st.config.base_url)))
}

/// `DELETE /api/v1/forms/{id}` → 204.
async fn delete_form(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = st.db.begin().await?;
    forms::delete_form(&mut tx, auth.workspace.id, id, &auth.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn submission_json(s: &Submission) -> Value {
    json!({
        "id": s.id, "form_id": s.form_id, "lead_id": s.lead_number, "channel": s.channel,
        "contact_id": s.contact_id, "deal_id": s.deal_id,
        "data": serde_json::from_str::<Value>(&s.data).unwrap_or(Value::Null),
        "attribution": serde_json::from_str::<Value>(&s.attribution).unwrap_or(Value::Null),
        "consent_text": s.consent_text, "created_at": s.created_at,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LimitQuery {
    limit: Option<i64>,
    contact_id: Option<String>,
}

fn limit_of(q: &LimitQuery) -> Result<i64, ApiError> {
    page_limit(q.limit, 100)
}

/// `GET /api/v1/forms/{id}/submissions?limit=`
async fn list_submissions(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<FormId>,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Value>, ApiError> {
    forms::find_form(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let rows = forms::list_submissions(&st.db, auth.workspace.id, id, limit_of(&q)?).await?;
    Ok(Json(
        json!({ "data": rows.iter().map(submission_json).collect::<Vec<_>>() }),
    ))
}

pub fn appointment_json(a: &Appointment) -> Value {
    json!({
        "id": a.id, "contact_id": a.contact_id, "deal_id": a.deal_id, "title": a.title,
        "start": a.starts_at, "end": a.ends_at, "time_zone": a.time_zone,
        "organizer_time_zone": a.organizer_time_zone, "status": a.status, "source": a.source,
        "external_uid": a.external_uid, "created_at": a.created_at, "updated_at": a.updated_at,
    })
}

/// `GET /api/v1/appointments?contact_id=&limit=`
async fn list_appointments(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<LimitQuery>,
) -> Result<Json<Value>, ApiError> {
    let contact = match q
        .contact_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(c) => Some(
            c.parse::<ContactId>()
                .map_err(|_| ApiError::field("contact_id", "contact_id must be a contact id"))?,
        ),
        None => None,
    };
    let rows =
        appointments::list_appointments(&st.db, auth.workspace.id, contact, limit_of(&q)?).await?;
    Ok(Json(
        json!({ "data": rows.iter().map(appointment_json).collect::<Vec<_>>() }),
    ))
}

/// `GET /api/v1/appointments/{id}`
async fn get_appointment(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<AppointmentId>,
) -> Result<Json<Value>, ApiError> {
    let a = appointments::find_appointment(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(appointment_json(&a)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
