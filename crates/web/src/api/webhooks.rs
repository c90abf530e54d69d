//! Outbound webhook endpoints (`/api/v1/webhooks`): create (the signing
//! secret is shown once), list, delete, the delivery log and replay. URLs
//! go through the SSRF guard at create (syntax + DNS) and again at every
//! send (in the delivery job).

use super::{ApiError, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_channels::ssrf;
use af_channels::webhooks::WebhookSecret;
use af_db::webhooks as store;
use axum::extract::{Path, State};
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
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
            post(replay_delivery),
        )
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
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
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<Response, ApiError> {
    let ws = auth.workspace.id;
    let types: Vec<String> = body
        .event_types
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if types.is_empty() {
        return Err(ApiError::field(
            "event_types",
            "name at least one event type (or \"*\")",
        ));
    }
    let policy = st.config.channels.ssrf();
    let url = body.url.trim().to_string();
    if let Err(e) = ssrf::resolve(&url, policy).await {
        return Err(ApiError::field(
            "url",
            format!("this URL cannot receive webhooks: {e}"),
        ));
    }
    let secret = WebhookSecret::generate_text();
    let sealed = st.secret.seal(&secret);
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = store::insert_endpoint(&mut tx, ws, &url, &sealed, &types, now).await?;
    tx.commit().await?;
    let e = store::find_endpoint(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut out = endpoint_json(&e);
    // Shown once: only its sealed form is stored.
    out["secret"] = json!(secret);
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
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let e = store::find_endpoint(&st.db, auth.workspace.id, parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "data": endpoint_json(&e) })))
}

async fn delete_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut tx = st.db.begin().await?;
    if !store::delete_endpoint(&mut tx, auth.workspace.id, parse_id(&id)?).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_deliveries(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ws = auth.workspace.id;
    let e = store::find_endpoint(&st.db, ws, parse_id(&id)?)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = store::list_deliveries(&st.db, ws, e.id, 200).await?;
    Ok(Json(json!({ "data": data })))
}

async fn replay_delivery(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let ws = auth.workspace.id;
    let endpoint = parse_id(&id)?;
    let d = store::find_delivery(&st.db, ws, parse_id(&delivery_id)?)
        .await?
        .filter(|d| d.endpoint_id == endpoint)
        .ok_or(ApiError::NotFound)?;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    store::reset_delivery(&mut tx, ws, d.id, now).await?;
    store::enqueue_delivery(&mut tx, ws, d.id, now).await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "data": { "id": d.id, "status": "pending" } })),
    )
        .into_response())
}
