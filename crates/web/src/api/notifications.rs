//! JSON API of the bell (issue 18): `GET /api/v1/notifications?unread=true
//! &limit=&cursor=` and `POST /api/v1/notifications/read` (`{"ids": [...]}`
//! or `{"all": true}`).
//!
//! Whose notifications: the key's user — the member who created the key
//! (`api_keys.created_by`), while they still belong to the workspace. A key
//! without one (made by the CLI, or its creator removed) is answered 403
//! `forbidden`: notifications are personal, and no member can be assumed.
//! Signed-in browsers use the pages (`/notifications`, the bell), since
//! `/api/v1` never reads cookies.

use super::automations::json_schema;
use super::openapi::schemas::ErrorBody;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::i18n::notifications::text;
use crate::state::AppState;
use af_core::vocab::NotificationKind;
use af_core::{NotificationId, UserId};
use af_db::notifications as store;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::Type;
use utoipa::{IntoParams, ToSchema};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/read", post(mark_read))
}

/// The member whose notifications the key reads.
async fn key_user(st: &AppState, auth: &ApiAuth) -> Result<UserId, ApiError> {
    let no_user = || {
        ApiError::Forbidden(
            "this API key has no user (create a key while signed in as the member whose notifications it should read)"
                .into(),
        )
    };
    let user = UserId(auth.key.created_by.ok_or_else(no_user)?);
    af_db::workspaces::find_membership_role(&st.db, auth.workspace.id, user)
        .await?
        .ok_or_else(no_user)?;
    Ok(user)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only unread notifications.
    unread: Option<bool>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A notification of the bell.
#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: NotificationId,
    #[schema(value_type = NotificationKind)]
    pub kind: String,
    /// The notification in the workspace's language.
    #[schema(example = "Ana García booked a call for Friday 5 Dec, 10:00")]
    pub text: String,
    /// The values the text is made of; their keys depend on the kind.
    #[schema(schema_with = params_schema)]
    pub params: Value,
    /// Where it leads in the app, a path.
    #[schema(example = "/contacts/0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60")]
    pub link: String,
    #[schema(format = DateTime, example = "2026-12-05T15:30:00Z")]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

fn params_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object],
        "The values the text is made of; their keys depend on the kind.",
        json!({"contact": "Ana García"}),
    )
}

/// A page of notifications, with how many are unread in all.
#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    pub data: Vec<NotificationOut>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Unread notifications in all.
    pub unread_count: i64,
}

/// List the key's user's notifications
///
/// Newest first. Notifications are personal: they are those of the member who created the API key; a key without one (made by the CLI, or its creator removed) is refused with 403.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    operation_id = "notifications_list",
    tag = "Notifications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of notifications.", body = NotificationPage),
        (status = 403, description = "The key has no user whose notifications it could read.", body = ErrorBody),
    ),
)]
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    let user = key_user(&st, &auth).await?;
    let limit = page_limit(q.limit, 50)?;
    let after = q
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|(at, id)| (at, NotificationId(id)));
    let ws = &auth.workspace;
    let rows = store::list(
        &st.db,
        ws.id,
        user,
        q.unread.unwrap_or(false),
        after,
        limit + 1,
    )
    .await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = if more {
        rows.last().map(|n| encode_cursor(n.created_at, n.id.0))
    } else {
        None
    };
    let data = rows
        .iter()
        .map(|n| {
            let params = n.params_json();
            NotificationOut {
                id: n.id,
                kind: n.kind.clone(),
                text: text(&n.kind, &params, ws.locale(), &ws.time_zone),
                params,
                link: n.link.clone(),
                created_at: n.created_at.to_string(),
                read_at: n.read_at.map(|t| t.to_string()),
            }
        })
        .collect();
    let unread_count = store::unread_count(&st.db, ws.id, user).await?;
    Ok(Json(NotificationPage {
        data,
        next_cursor,
        unread_count,
    }))
}

/// Which notifications to mark read: `ids`, or `all`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"ids": ["0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60"]}))]
struct ReadRequest {
    /// 1 to 500 notification ids; others' ids change nothing.
    #[serde(default)]
    #[schema(value_type = Vec<Uuid>)]
    ids: Vec<String>,
    /// Mark every notification read instead.
    #[serde(default)]
    all: bool,
}

/// How many were marked, and how many stay unread.
#[derive(Serialize, ToSchema)]
pub struct MarkedOut {
    pub marked: u64,
    pub unread_count: i64,
}

/// Mark notifications read
///
/// The given ids (at most 500), or all of them with `{"all": true}`.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read",
    operation_id = "notifications_mark_read",
    tag = "Notifications",
    request_body = ReadRequest,
    responses(
        (status = 200, description = "Marked.", body = MarkedOut),
        (status = 403, description = "The key has no user whose notifications it could read.", body = ErrorBody),
    ),
)]
async fn mark_read(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<ReadRequest>,
) -> Result<Json<MarkedOut>, ApiError> {
    let user = key_user(&st, &auth).await?;
    let ws = auth.workspace.id;
    let now = st.now();
    let marked = if req.all {
        store::mark_all_read(&st.db, ws, user, now).await?
    } else {
        if req.ids.is_empty() || req.ids.len() > 500 {
            return Err(ApiError::field(
                "ids",
                "give 1 to 500 notification ids, or \"all\": true",
            ));
        }
        let ids = req
            .ids
            .iter()
            .map(|s| s.parse::<NotificationId>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ApiError::field("ids", "ids must be notification ids"))?;
        store::mark_read(&st.db, ws, user, &ids, now).await?
    };
    let unread_count = store::unread_count(&st.db, ws, user).await?;
    Ok(Json(MarkedOut {
        marked,
        unread_count,
    }))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, mark_read),
    tags((name = "Notifications", description = "The bell of the member who created the API key: new leads, bookings, alerts and the rest.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Notifications", "Notificaciones"),
    (
        "The bell of the member who created the API key: new leads, bookings, alerts and the rest.",
        "La campana del miembro que creó la clave de API: leads nuevos, reservas, alertas y lo demás.",
    ),
    (
        "Only unread notifications.",
        "Solo las notificaciones no leídas.",
    ),
    (
        "A notification of the bell.",
        "Una notificación de la campana.",
    ),
    (
        "The notification in the workspace's language.",
        "La notificación en el idioma del espacio.",
    ),
    (
        "The values the text is made of; their keys depend on the kind.",
        "Los valores con los que se arma el texto; sus claves dependen del tipo.",
    ),
    (
        "Where it leads in the app, a path.",
        "A dónde lleva dentro de la app, una ruta.",
    ),
    (
        "A page of notifications, with how many are unread in all.",
        "Una página de notificaciones, con cuántas hay sin leer en total.",
    ),
    (
        "Unread notifications in all.",
        "Notificaciones sin leer en total.",
    ),
    (
        "List the key's user's notifications",
        "Listar las notificaciones del usuario de la clave",
    ),
    (
        "Newest first. Notifications are personal: they are those of the member who created the API key; a key without one (made by the CLI, or its creator removed) is refused with 403.",
        "Lo más reciente primero. Las notificaciones son personales: son las del miembro que creó la clave de API; una clave sin él (creada por la CLI, o cuyo creador ya no está) se rechaza con 403.",
    ),
    ("A page of notifications.", "Una página de notificaciones."),
    (
        "The key has no user whose notifications it could read.",
        "La clave no tiene un usuario cuyas notificaciones pueda leer.",
    ),
    (
        "Which notifications to mark read: `ids`, or `all`.",
        "Qué notificaciones marcar como leídas: `ids`, o `all`.",
    ),
    (
        "1 to 500 notification ids; others' ids change nothing.",
        "De 1 a 500 ids de notificaciones; los ids de otras personas no cambian nada.",
    ),
    (
        "Mark every notification read instead.",
        "Marca todas las notificaciones como leídas en su lugar.",
    ),
    (
        "How many were marked, and how many stay unread.",
        "Cuántas se marcaron y cuántas siguen sin leer.",
    ),
    (
        "Mark notifications read",
        "Marcar notificaciones como leídas",
    ),
    (
        "The given ids (at most 500), or all of them with `{\"all\": true}`.",
        "Los ids indicados (como máximo 500), o todas con `{\"all\": true}`.",
    ),
    ("Marked.", "Marcadas."),
];
