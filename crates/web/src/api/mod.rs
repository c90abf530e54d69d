//! The versioned JSON API (`/api/v1/...`), authenticated by API key. Errors
//! are `{"error": {"code": "...", "message": "..."}}`.

pub mod audit;
pub mod automations;
pub mod calendars;
pub mod conversations;
pub mod crm;
pub mod email_events;
pub mod events;
pub mod forms;
pub mod inbound_email;
pub mod intake;
pub mod memberships;
pub mod notifications;
pub mod openapi;
pub mod pagination;
pub mod reports;
pub mod retention;
pub mod scoring;
pub mod twilio;
pub mod twilio_media;
pub mod webhooks;

pub use crate::error::ApiError;
pub use crate::extract::{ApiIdPath, ApiJson, ApiQuery};

use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::ApiKeyId;
use af_db::api_keys;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

/// The workspace an API key belongs to.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub slug: String,
    pub name: String,
    /// IANA time zone the workspace's days and reports follow.
    pub time_zone: String,
    /// Language of the workspace: `es` or `en`.
    pub locale: String,
    /// ISO 3166 country used to read local phone numbers.
    pub country: String,
}

/// The key's workspace
///
/// The workspace the API key belongs to: every other call is scoped to it.
#[utoipa::path(
    get,
    path = "/api/v1/workspace",
    operation_id = "workspace_get",
    tag = "Workspace",
    responses((status = 200, description = "The workspace.", body = WorkspaceOut)),
)]
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

/// An API key, never its secret.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// `full` (the whole API) or `intake` (only creates leads).
    #[schema(example = "full")]
    pub scope: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
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

/// List API keys
///
/// The workspace's keys, revoked ones included; never the secrets.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    operation_id = "api_keys_list",
    tag = "Workspace",
    responses((status = 200, description = "The keys.", body = Vec<ApiKeyOut>)),
)]
pub async fn list_api_keys(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<ApiKeyOut>>, ApiError> {
    let keys = api_keys::list_api_keys(&st.db, auth.workspace.id).await?;
    Ok(Json(keys.into_iter().map(ApiKeyOut::from).collect()))
}

/// Get an API key
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{id}",
    operation_id = "api_keys_get",
    tag = "Workspace",
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses((status = 200, description = "The key.", body = ApiKeyOut)),
)]
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

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Workspace", "Espacio de trabajo"),
    (
        "The workspace and its API keys.",
        "El espacio de trabajo y sus claves de API.",
    ),
    (
        "The workspace an API key belongs to.",
        "El espacio de trabajo al que pertenece una clave de API.",
    ),
    (
        "IANA time zone the workspace's days and reports follow.",
        "Zona horaria IANA que siguen los días y los informes del espacio.",
    ),
    (
        "Language of the workspace: `es` or `en`.",
        "Idioma del espacio: `es` o `en`.",
    ),
    (
        "ISO 3166 country used to read local phone numbers.",
        "País ISO 3166 con el que se leen los teléfonos locales.",
    ),
    ("The key's workspace", "El espacio de la clave"),
    (
        "The workspace the API key belongs to: every other call is scoped to it.",
        "El espacio de trabajo al que pertenece la clave: todas las demás llamadas se limitan a él.",
    ),
    ("The workspace.", "El espacio de trabajo."),
    (
        "An API key, never its secret.",
        "Una clave de API, nunca su secreto.",
    ),
    (
        "The key's first characters, to recognise it.",
        "Los primeros caracteres de la clave, para reconocerla.",
    ),
    (
        "`full` (the whole API) or `intake` (only creates leads).",
        "`full` (toda la API) o `intake` (solo crea leads).",
    ),
    ("List API keys", "Listar claves de API"),
    (
        "The workspace's keys, revoked ones included; never the secrets.",
        "Las claves del espacio, también las revocadas; nunca los secretos.",
    ),
    ("The keys.", "Las claves."),
    ("Get an API key", "Obtener una clave de API"),
    ("The key's id.", "El id de la clave."),
    ("The key.", "La clave."),
];
