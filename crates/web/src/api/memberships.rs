//! JSON API for memberships (subscriptions), issue 17:
//! `POST /api/v1/memberships` (201 created, 200 updated by `external_id`),
//! `GET /api/v1/memberships?contact_id=&status=&limit=&cursor=`,
//! `GET` and `PATCH /api/v1/memberships/{id}`. The rules and events are
//! `af_service::memberships`.

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::vocab::MembershipStatus;
use af_core::{ContactId, MembershipId};
use af_db::memberships::{self, Cursor, Membership, MembershipFilter};
use af_service::memberships::{self as service, MembershipError, MembershipRequest};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/memberships", get(list).post(create))
        .route("/api/v1/memberships/{id}", get(show).patch(update))
}

impl From<MembershipError> for ApiError {
    fn from(e: MembershipError) -> Self {
        match e {
            MembershipError::Invalid(fields) => ApiError::Invalid(fields),
            MembershipError::NotFound => ApiError::NotFound,
            MembershipError::ContactTaken => ApiError::field(
                "email",
                "the email and the phone belong to two different contacts",
            ),
            MembershipError::Conflict => {
                ApiError::Conflict("the membership changed meanwhile; try again".into())
            }
            MembershipError::Db(e) => e.into(),
        }
    }
}

/// A membership as the API shows it.
pub fn membership_json(m: &Membership) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "contact_id": m.contact_id,
        "external_id": m.external_id,
        "plan": m.plan,
        "status": m.status,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "amount": m.amount_minor,
        "currency": m.currency,
        "cancelled_at": m.cancelled_at,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    })
}

/// `POST /api/v1/memberships`
async fn create(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<MembershipRequest>,
) -> Result<Response, ApiError> {
    let saved = service::save(&st.db, &auth.workspace, &req, &auth.actor(), st.now()).await?;
    let status = if saved.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(membership_json(&saved.membership))).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    contact_id: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/memberships?contact_id=&status=&limit=&cursor=`, newest first.
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let contact_id = match q.contact_id.as_deref() {
        Some(raw) => Some(
            raw.parse::<ContactId>()
                .map_err(|_| ApiError::field("contact_id", "contact_id must be a contact's id"))?,
        ),
        None => None,
    };
    let status = match q.status.as_deref() {
        Some(raw) => Some(
            MembershipStatus::parse(raw)
                .ok_or_else(|| {
                    ApiError::field(
                        "status",
                        format!(
                            "status must be one of {}",
                            MembershipStatus::NAMES.join(", ")
                        ),
                    )
                })?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let cursor = q
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|(created_at, id)| Cursor { created_at, id });
    let filter = MembershipFilter { contact_id, status };
    let page = memberships::list_memberships(&st.db, auth.workspace.id, &filter, cursor, limit + 1)
        .await?;
    let has_more = page.len() as i64 > limit;
    let page: Vec<Membership> = page.into_iter().take(limit as usize).collect();
    let next = if has_more {
        page.last().map(|m| encode_cursor(m.created_at, m.id.0))
    } else {
        None
    };
    let data: Vec<serde_json::Value> = page.iter().map(membership_json).collect();
    Ok(Json(
        serde_json::json!({ "data": data, "next_cursor": next }),
    ))
}

/// `GET /api/v1/memberships/{id}`
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<MembershipId>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let m = memberships::find_membership(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(membership_json(&m)))
}

/// `PATCH /api/v1/memberships/{id}`: absent fields keep their value,
/// `null` clears `ends_at`, `amount` or `currency`.
async fn update(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<MembershipId>,
    ApiJson(req): ApiJson<MembershipRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let m = service::update(&st.db, &auth.workspace, id, &req, &auth.actor(), st.now()).await?;
    Ok(Json(membership_json(&m)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
