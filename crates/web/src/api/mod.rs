//! The versioned JSON API (`/api/v1/...`), authenticated by API key. Errors
//! are `{"error": {"code": "...", "message": "..."}}`.

pub mod audit;
pub mod automations;
pub mod calendars;
pub mod conversations;
pub mod crm;
pub mod email_events;
pub mod forms;
pub mod inbound_email;
pub mod intake;
pub mod memberships;
pub mod notifications;
pub mod pagination;
pub mod reports;
pub mod retention;
pub mod scoring;
pub mod twilio;
pub mod twilio_media;
pub mod webhooks;

pub use crate::error::ApiError;
pub use crate::extract::{ApiIdPath, ApiJson};

use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::ApiKeyId;
use af_db::api_keys;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

#[derive(Serialize)]
pub struct WorkspaceOut {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub locale: String,
    pub country: String,
}

/// `GET /api/v1/workspace`: the workspace the key belongs to.
pub async fn get_workspace(auth: ApiAuth) -> Json<WorkspaceOut> {
    let w = auth.workspace;
    Json(WorkspaceOut {
        id: w.id.to_string(),
        slug: w.slug,
        name: w.name,
        time_zone: w.time_zone,
        locale: w.locale,
        country: w.country,
    })
}

#[derive(Serialize)]
pub struct ApiKeyOut {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scope: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl From<api_keys::ApiKey> for ApiKeyOut {
    fn from(k: api_keys::ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            scope: k.scope,
            created_at: k.created_at.to_string(),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
            revoked_at: k.revoked_at.map(|t| t.to_string()),
        }
    }
}

/// `GET /api/v1/api-keys`: the workspace's keys (never the secrets).
pub async fn list_api_keys(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<ApiKeyOut>>, ApiError> {
    let keys = api_keys::list_api_keys(&st.db, auth.workspace.id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyOut::from).collect()))
}

/// `GET /api/v1/api-keys/{id}`.
pub async fn get_api_key(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ApiKeyId>,
) -> Result<Json<ApiKeyOut>, ApiError> {
    let keys = api_keys::list_api_keys(&st.db, auth.workspace.id).await?;
    let key = keys
        .into_iter()
        .find(|k| k.id == id)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(key.into()))
}

/// Unknown `/api/...` paths answer JSON, not an HTML page.
pub async fn api_not_found() -> ApiError {
    ApiError::NotFound
}
