//! The versioned JSON API (`/api/v1/...`), authenticated by API key. Errors
//! are `{"error": {"code": "...", "message": "..."}}`.

pub mod automations;
pub mod crm;
pub mod forms;
pub mod intake;
pub mod twilio;
pub mod webhooks;

use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::ApiKeyId;
use af_db::api_keys;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden(String),
    NotFound,
    /// The request does not apply to the record's current state.
    Conflict(String),
    /// Malformed request (bad JSON, wrong types).
    BadRequest(String),
    /// Well-formed but invalid: `(field, message)` pairs.
    Invalid(Vec<(String, String)>),
    Internal(anyhow::Error),
}

impl ApiError {
    /// One invalid field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![(field.to_string(), message.into())])
    }
}

/// `Json<T>` whose rejections answer in the API's error shape instead of
/// plain text.
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

impl From<af_db::DbError> for ApiError {
    fn from(e: af_db::DbError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API key is required: Authorization: Bearer <key> or X-Api-Key: <key>"
                    .to_string(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource in this workspace".into(),
            ),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::Invalid(fields) => {
                let message = fields
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let map: serde_json::Map<String, serde_json::Value> = fields
                    .into_iter()
                    .map(|(f, m)| (f, serde_json::Value::String(m)))
                    .collect();
                let body = serde_json::json!({ "error": { "code": "invalid", "message": message, "fields": map } });
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "API request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; it has been logged".into(),
                )
            }
        };
        let mut res = (
            status,
            Json(serde_json::json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

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
    Path(id): Path<String>,
) -> Result<Json<ApiKeyOut>, ApiError> {
    let id: ApiKeyId = id.parse().map_err(|_| ApiError::NotFound)?;
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
