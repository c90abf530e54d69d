//! JSON API for retention alerts (issue 18):
//! `GET`/`POST /api/v1/retention/rules`, `PATCH`/`DELETE
//! /api/v1/retention/rules/{id}`, `POST /api/v1/retention/check` (runs the
//! key's workspace's check now: `{"opened","escalated","resolved"}`),
//! `GET /api/v1/retention/alerts?status=&type=&assignee=&min_risk=&max_risk=&from=&to=&contact_id=&limit=&cursor=`
//! (highest risk first, each with its history, plus the counts per
//! status), `GET`/`PATCH /api/v1/retention/alerts/{id}`. The rules and
//! events are `af_service::retention`.

use super::pagination::page_limit;
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::{RetentionAlertId, RetentionRuleId};
use af_db::retention::AlertCursor;
use af_service::retention::{
    self as service, AlertPatch, AlertQuery, RetentionError, RuleRequest, RuleView,
};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::tz::TimeZone;
use serde::Deserialize;
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/retention/rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/retention/rules/{id}",
            patch(update_rule).delete(delete_rule),
        )
        .route("/api/v1/retention/check", post(check))
        .route("/api/v1/retention/alerts", get(list_alerts))
        .route(
            "/api/v1/retention/alerts/{id}",
            get(show_alert).patch(change_alert),
        )
}

impl From<RetentionError> for ApiError {
    fn from(e: RetentionError) -> Self {
        match e {
            RetentionError::Invalid(fields) => ApiError::Invalid(fields),
            RetentionError::NotFound => ApiError::NotFound,
            RetentionError::Conflict(m) => ApiError::Conflict(m),
            RetentionError::Db(e) => e.into(),
        }
    }
}

/// The cursor of a page: the last alert's `(risk, id)`, base64url.
pub fn encode_cursor(c: AlertCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}~{}", c.risk, c.id))
}

pub fn decode_cursor(raw: &str) -> Result<AlertCursor, ApiError> {
    let bad = || {
        ApiError::field(
            "cursor",
            "invalid cursor: pass next_cursor from the previous page",
        )
    };
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?).map_err(|_| bad())?;
    let (risk, id) = text.split_once('~').ok_or_else(bad)?;
    Ok(AlertCursor {
        risk: risk.parse().map_err(|_| bad())?,
        id: Uuid::parse_str(id).map_err(|_| bad())?,
    })
}

/// `GET /api/v1/retention/rules`
async fn list_rules(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let rules = service::list_rules(&st.db, auth.workspace.id, st.now()).await?;
    let data: Vec<RuleView> = rules.iter().map(RuleView::from).collect();
    Ok(Json(serde_json::json!({ "data": data })))
}

/// `POST /api/v1/retention/rules` → 201
async fn create_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<Response, ApiError> {
    let rule =
        service::create_rule(&st.db, auth.workspace.id, &req, &auth.actor(), st.now()).await?;
    Ok((StatusCode::CREATED, Json(RuleView::from(&rule))).into_response())
}

/// `PATCH /api/v1/retention/rules/{id}`
async fn update_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionRuleId>,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<Json<RuleView>, ApiError> {
    let rule =
        service::update_rule(&st.db, auth.workspace.id, id, &req, &auth.actor(), st.now()).await?;
    Ok(Json(RuleView::from(&rule)))
}

/// `DELETE /api/v1/retention/rules/{id}` → 204
async fn delete_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionRuleId>,
) -> Result<StatusCode, ApiError> {
    service::delete_rule(&st.db, auth.workspace.id, id, &auth.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/retention/check`
async fn check(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<service::CheckOutcome>, ApiError> {
    let out = service::check_now(&st.db, &auth.workspace, &auth.actor(), st.now()).await?;
    Ok(Json(out))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(flatten)]
    filter: AlertQuery,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/retention/alerts`
async fn list_alerts(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = match q.limit.as_deref() {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::field("limit", "limit must be between 1 and 500"))?,
        ),
        None => None,
    };
    let limit = page_limit(limit, 50)?;
    let tz = TimeZone::get(&auth.workspace.time_zone).unwrap_or(TimeZone::UTC);
    let filter = service::filter_of(&q.filter, None, &tz)?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let (page, next) =
        service::list_alerts(&st.db, auth.workspace.id, &filter, after, limit).await?;
    let counts = af_db::retention::count_by_status(&st.db, auth.workspace.id, &filter).await?;
    let data = service::with_history(&st.db, auth.workspace.id, page).await?;
    let counts: serde_json::Map<String, serde_json::Value> =
        counts.into_iter().map(|(s, n)| (s, n.into())).collect();
    Ok(Json(serde_json::json!({
        "data": data,
        "next_cursor": next.map(encode_cursor),
        "counts": counts,
    })))
}

/// `GET /api/v1/retention/alerts/{id}`
async fn show_alert(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionAlertId>,
) -> Result<Json<service::AlertView>, ApiError> {
    let alert = af_db::retention::find_alert(&st.db, auth.workspace.id, id.0)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut views = service::with_history(&st.db, auth.workspace.id, vec![alert]).await?;
    views.pop().map(Json).ok_or(ApiError::NotFound)
}

/// `PATCH /api/v1/retention/alerts/{id}` `{"status"?, "assignee_id"?, "note"?}`
async fn change_alert(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionAlertId>,
    ApiJson(patch): ApiJson<AlertPatch>,
) -> Result<Json<service::AlertView>, ApiError> {
    let alert = service::change_alert(
        &st.db,
        auth.workspace.id,
        id.0,
        &patch,
        &auth.actor(),
        st.now(),
    )
    .await?;
    let mut views = service::with_history(&st.db, auth.workspace.id, vec![alert]).await?;
    views.pop().map(Json).ok_or(ApiError::NotFound)
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
