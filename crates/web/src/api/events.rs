//! `GET /api/v1/events`: the change feed for integrations that poll (Zapier,
//! Make, n8n): everything that happened in the workspace, in the order it
//! was recorded,
//! resumed from the last page's cursor. Webhooks push the same events.

use super::crm::EventOut;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiQuery};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_db::{Ts, events};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Only events of this kind (`contact.created`, `deal.stage_changed`…).
    #[param(example = "contact.created")]
    kind: Option<String>,
    /// Only events that occurred after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-12-01T00:00:00Z")]
    since: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    pub data: Vec<EventOut>,
    /// Where the next poll starts (the last event's position); null when the page is empty: keep the cursor you had.
    pub next_cursor: Option<String>,
}

/// Poll the change feed
///
/// The workspace's events in the order they were recorded. Pass the last
/// `next_cursor` you received to get only what was recorded since.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "events_list",
    tag = "Events",
    params(FeedQuery),
    responses((status = 200, description = "One page of events.", body = FeedPage)),
)]
pub async fn feed(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    let limit = page_limit(q.limit, 100)?;
    let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    if kind.is_some_and(|k| k.len() > 100) {
        return Err(ApiError::field(
            "kind",
            "kind is longer than 100 characters",
        ));
    }
    let after_id = match q.cursor.as_deref() {
        Some(c) => decode_cursor(c)?.1,
        None => Uuid::nil(),
    };
    let since = match q.since.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Ts::new(s.parse::<jiff::Timestamp>().map_err(|_| {
            ApiError::field(
                "since",
                "since must be an RFC 3339 instant like 2026-12-01T00:00:00Z",
            )
        })?),
        None => Ts::new(jiff::Timestamp::UNIX_EPOCH),
    };
    let rows = events::feed(&st.db, auth.workspace.id, kind, since, after_id, limit).await?;
    // The last event's cursor even on the last page: the next poll starts
    // there. Only an empty page has none.
    let next_cursor = rows.last().map(|e| encode_cursor(e.occurred_at, e.id));
    Ok(Json(FeedPage {
        data: rows.into_iter().map(EventOut::from).collect(),
        next_cursor,
    }))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(feed),
    tags((name = "Events", description = "What happened in the workspace: the change feed to poll, and custom events to send.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Events", "Eventos"),
    (
        "What happened in the workspace: the change feed to poll, and custom events to send.",
        "Lo que pasó en el espacio: el flujo de cambios para consultar y los eventos personalizados que puedes enviar.",
    ),
    (
        "Only events of this kind (`contact.created`, `deal.stage_changed`…).",
        "Solo eventos de este tipo (`contact.created`, `deal.stage_changed`…).",
    ),
    (
        "Only events that occurred after this instant (RFC 3339).",
        "Solo eventos que ocurrieron después de este instante (RFC 3339).",
    ),
    ("Poll the change feed", "Consultar el flujo de cambios"),
    (
        "The workspace's events in the order they were recorded. Pass the last\n`next_cursor` you received to get only what was recorded since.",
        "Los eventos del espacio en el orden en que se registraron. Pasa el último `next_cursor` que recibiste para obtener solo lo registrado desde entonces.",
    ),
    (
        "A page of the change feed.",
        "Una página del flujo de cambios.",
    ),
    (
        "Where the next poll starts (the last event's position); null when the page is empty: keep the cursor you had.",
        "Dónde empieza la próxima consulta (la posición del último evento); null cuando la página está vacía: conserva el cursor que tenías.",
    ),
    ("One page of events.", "Una página de eventos."),
];
