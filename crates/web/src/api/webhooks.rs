//! Outbound webhook endpoints (`/api/v1/webhooks`): create (the signing
//! secret is shown once), list, delete, re-enable, the delivery log and
//! replay. The rules live in `crate::webhook_endpoints`, shared with
//! Settings → Webhooks: URLs go through the SSRF guard at create (syntax +
//! DNS) and again at every send (in the delivery job); event types are
//! known kinds, `custom.<name>` or `"*"`.

use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::{ApiAuth, ClientIp};
use crate::state::AppState;
use af_db::webhooks as store;
use af_service::webhook_endpoints::{self as endpoints, By, CreateError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook).delete(delete_webhook),
        )
        .route("/api/v1/webhooks/{id}/enable", post(enable_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
            post(replay_delivery),
        )
}

fn endpoint_json(e: &store::Endpoint) -> Value {
    json!({
        "id": e.id, "url": e.url, "event_types": e.event_list(), "active": e.active,
        "consecutive_failures": e.consecutive_failures, "disabled_at": e.disabled_at,
        "created_at": e.created_at,
    })
}

#[derive(Deserialize)]
struct NewWebhook {
    url: String,
    event_types: Vec<String>,
}

async fn create_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ip: ClientIp,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    let actor = auth.actor();
    let created = match endpoints::create_endpoint(
        &st.webhook_env(),
        auth.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        &body.url,
        &body.event_types,
    )
    .await
    {
        Ok(c) => c,
        Err(CreateError::Db(e)) => return Err(e.into()),
        Err(CreateError::Invalid(p)) => {
            let mut fields = vec![];
            if let Some(e) = p.event_types {
                fields.push(("event_types".to_string(), e.to_string()));
            }
            if let Some(e) = p.url {
                let m = format!("this URL cannot receive webhooks: {e}");
                fields.push(("url".to_string(), m));
            }
            return Err(ApiError::Invalid(fields));
        }
    };
    let mut out = endpoint_json(&created.endpoint);
    // Shown once: only its sealed form is stored.
    out["secret"] = json!(created.secret);
    Ok((StatusCode::CREATED, Json(json!({ "data": out }))).into_response())
}

async fn list_webhooks(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<Value>, ApiError> {
    let all = store::list_endpoints(&st.db, auth.workspace.id).await?;
    Ok(Json(
        json!({ "data": all.iter().map(endpoint_json).collect::<Vec<_>>() }),
    ))
}

async fn get_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let e = store::find_endpoint(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "data": endpoint_json(&e) })))
}

async fn delete_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ip: ClientIp,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = auth.actor();
    if !endpoints::delete_endpoint(
        &st.webhook_env(),
        auth.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        id,
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Turns a (disabled) endpoint back on with its failure count reset.
async fn enable_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ip: ClientIp,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let actor = auth.actor();
    let e = endpoints::enable_endpoint(
        &st.webhook_env(),
        auth.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        id,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "data": endpoint_json(&e) })))
}

async fn list_deliveries(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let e = store::find_endpoint(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = store::list_deliveries(&st.db, ws, e.id, 200).await?;
    Ok(Json(json!({ "data": data })))
}

async fn replay_delivery(
    State(st): State<AppState>,
    auth: ApiAuth,
    ip: ClientIp,
    ApiIdPath((endpoint, delivery)): ApiIdPath<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let actor = auth.actor();
    let d = endpoints::replay_delivery(
        &st.webhook_env(),
        auth.workspace.id,
        &By {
            actor: &actor,
            ip: Some(&ip.0),
        },
        endpoint,
        delivery,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": { "id": d.id, "status": d.status } })),
    )
        .into_response())
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
