//! JSON API for activities and lead scoring (issue 17): `POST
//! /api/v1/activities` (one, or `{"activities": [...]}` up to 1,000 with
//! per-item results), a contact's activities and its explained score, and
//! the scoring rules and thresholds. The use cases are
//! `af_service::scoring`.

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::scoring::RawRule;
use af_core::{ContactId, ScoringRuleId};
use af_db::scoring::{Activity, Recorded};
use af_service::scoring::{self as svc, RawActivity, RawThreshold, ScoringError};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/activities", post(post_activities))
        .route("/api/v1/contacts/{id}/activities", get(list_activities))
        .route("/api/v1/contacts/{id}/score", get(contact_score))
        .route("/api/v1/scoring/rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/scoring/rules/{id}",
            patch(patch_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/scoring/thresholds",
            get(list_thresholds).post(create_threshold),
        )
        .route("/api/v1/scoring/recalculate", post(recalculate))
        .route(
            "/api/v1/scoring/recalculations/{id}",
            get(show_recalculation),
        )
}

impl From<ScoringError> for ApiError {
    fn from(e: ScoringError) -> Self {
        match e {
            ScoringError::Invalid(fields) => ApiError::Invalid(fields),
            ScoringError::NotFound => ApiError::NotFound,
            ScoringError::Db(e) => e.into(),
        }
    }
}

fn activity_json(a: &Activity) -> Value {
    json!({
        "id": a.id, "contact_id": a.contact_id, "type": a.kind, "occurred_at": a.occurred_at,
        "source": a.source, "data": a.data_json(), "idempotency_key": a.idempotency_key,
        "created_at": a.created_at,
    })
}

/// One item's answer in a batch: its status and the activity or error.
fn item_json(r: &Result<Recorded, ScoringError>) -> Value {
    match r {
        Ok(rec) => json!({
            "status": if rec.created { 201 } else { 200 },
            "activity": activity_json(&rec.activity),
        }),
        Err(ScoringError::NotFound) => json!({
            "status": 404,
            "error": {"code": "not_found", "message": "no such contact in this workspace"},
        }),
        Err(ScoringError::Invalid(fields)) => {
            let fields: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(f, m)| (f.clone(), Value::from(m.as_str())))
                .collect();
            json!({
                "status": 422,
                "error": {"code": "invalid", "message": "the activity is invalid", "fields": fields},
            })
        }
        Err(ScoringError::Db(_)) => json!({"status": 500}),
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::field(what, e.to_string()))
}

/// `POST /api/v1/activities`: 201 with a new activity, 200 with the one
/// a repeated idempotency key recorded; a batch answers 200 with one
/// result per item, in order.
async fn post_activities(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let ws = &auth.workspace;
    let actor = auth.actor();
    if let Some(items) = body.get("activities") {
        let Value::Array(items) = items.clone() else {
            return Err(ApiError::field("activities", "must be a list"));
        };
        if items.is_empty() || items.len() > svc::MAX_BATCH {
            return Err(ApiError::field(
                "activities",
                format!("between 1 and {} activities", svc::MAX_BATCH),
            ));
        }
        let raws: Vec<RawActivity> = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| parse(v, &format!("activities[{i}]")))
            .collect::<Result<_, _>>()?;
        let results = svc::record_batch(&st.db, ws, &raws, &actor, st.now()).await?;
        let created = results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|r| r.created))
            .count();
        let data: Vec<Value> = results.iter().map(item_json).collect();
        return Ok(Json(json!({ "results": data, "created": created })).into_response());
    }
    let raw: RawActivity = parse(body, "body")?;
    let rec = svc::record(&st.db, ws, &raw, &actor, st.now()).await?;
    let status = if rec.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(activity_json(&rec.activity))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/contacts/{id}/activities?limit=&cursor=`, newest first.
async fn list_activities(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let limit = page_limit(q.limit, 50)?;
    af_db::contacts::find_contact(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = af_db::scoring::list_activities(&st.db, ws, id, cursor, limit + 1).await?;
    let has_more = page.len() as i64 > limit;
    let page: Vec<Activity> = page.into_iter().take(limit as usize).collect();
    let next = if has_more {
        page.last().map(|a| encode_cursor(a.occurred_at, a.id))
    } else {
        None
    };
    let data: Vec<Value> = page.iter().map(activity_json).collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

/// `GET /api/v1/contacts/{id}/score`: total, fit, engagement and the
/// ledger lines that make them, newest first.
async fn contact_score(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<svc::Explain>, ApiError> {
    let out = svc::explain(&st.db, auth.workspace.id, id, 200)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(out))
}

async fn list_rules(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<Value>, ApiError> {
    let rules = svc::list_rules(&st.db, auth.workspace.id).await?;
    let data: Vec<Value> = rules.iter().map(|r| r.to_json()).collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/scoring/rules` → 201.
async fn create_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let raw: RawRule = parse(body, "body")?;
    let rule = svc::create_rule(&st.db, auth.workspace.id, &raw, st.now()).await?;
    Ok((StatusCode::CREATED, Json(rule.to_json())).into_response())
}

/// `PATCH /api/v1/scoring/rules/{id}`: the fields given replace the
/// stored ones; applies to activities from now on.
async fn patch_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ScoringRuleId>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let Value::Object(patch) = body else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let rule = svc::update_rule(&st.db, auth.workspace.id, id, &patch, st.now()).await?;
    Ok(Json(rule.to_json()))
}

async fn delete_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ScoringRuleId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_rule(&st.db, auth.workspace.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn threshold_json(t: &af_db::scoring::Threshold) -> Value {
    json!({"id": t.id, "name": t.name, "enter": t.enter_score, "exit": t.exit_score, "created_at": t.created_at})
}

async fn list_thresholds(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Value>, ApiError> {
    let list = svc::list_thresholds(&st.db, auth.workspace.id).await?;
    let data: Vec<Value> = list.iter().map(threshold_json).collect();
    Ok(Json(json!({ "data": data })))
}

/// `POST /api/v1/scoring/thresholds` → 201; contacts already above it
/// enter through a background job.
async fn create_threshold(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let raw: RawThreshold = parse(body, "body")?;
    let t = svc::create_threshold(&st.db, auth.workspace.id, &raw, st.now()).await?;
    Ok((StatusCode::CREATED, Json(threshold_json(&t))).into_response())
}

/// `POST /api/v1/scoring/recalculate` → 202 with the run (`Location`
/// points at it); while a run is queued or running, 200 with that run.
async fn recalculate(State(st): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    let (run, started) =
        svc::start_recalculation(&st.db, auth.workspace.id, None, st.now()).await?;
    let status = if started {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/scoring/recalculations/{}", run.id);
    Ok((
        status,
        [(axum::http::header::LOCATION, location)],
        Json(run.to_json()),
    )
        .into_response())
}

/// `GET /api/v1/scoring/recalculations/{id}`: status and progress.
async fn show_recalculation(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let run = svc::find_recalculation(&st.db, auth.workspace.id, id).await?;
    Ok(Json(run.to_json()))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
