//! Outbound webhook endpoints (`/api/v1/webhooks`): create (the signing
//! secret is shown once), list, delete, re-enable, the delivery log and
//! replay. The rules live in `crate::webhook_endpoints`, shared with
//! Settings → Webhooks: URLs go through the SSRF guard at create (syntax +
//! DNS) and again at every send (in the delivery job); event types are
//! known kinds, `custom.<name>` or `"*"`.

use super::openapi::schemas::Data;
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::{ApiAuth, ClientIp};
use crate::state::AppState;
use af_db::Ts;
use af_db::webhooks as store;
use af_service::webhook_endpoints::{self as endpoints, By, CreateError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
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

/// An outbound webhook endpoint.
#[derive(Serialize, ToSchema)]
pub struct EndpointOut {
    pub id: Uuid,
    /// Where the events are posted.
    #[schema(example = "https://hooks.example.com/agencyflow")]
    pub url: String,
    /// The event kinds it receives; `"*"` is every kind.
    #[schema(example = json!(["contact.created", "deal.won"]))]
    pub event_types: Vec<String>,
    /// False once disabled after repeated failures (or by hand).
    pub active: bool,
    /// Failed deliveries in a row.
    pub consecutive_failures: i32,
    /// When it was disabled, if it is.
    pub disabled_at: Option<Ts>,
    pub created_at: Ts,
    /// Only in the answer to its creation: the signing secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_3f1c9a7e5b2d4f6a8c0e1b3d5f7a9c2e")]
    pub secret: Option<String>,
}

impl From<&store::Endpoint> for EndpointOut {
    fn from(e: &store::Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url.clone(),
            event_types: e.event_list(),
            active: e.active,
            consecutive_failures: e.consecutive_failures,
            disabled_at: e.disabled_at,
            created_at: e.created_at,
            secret: None,
        }
    }
}

/// A delivery of an event to an endpoint.
#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    /// The event's kind.
    #[schema(example = "contact.created")]
    pub event_type: String,
    /// The JSON body posted, as text.
    #[schema(example = "{\"type\":\"contact.created\",\"data\":{}}")]
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// The endpoint's last HTTP status.
    #[schema(example = 200)]
    pub response_code: Option<i32>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it will be tried again.
    pub next_retry_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<store::Delivery> for DeliveryOut {
    fn from(d: store::Delivery) -> Self {
        Self {
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_type: d.event_type,
            payload: d.payload,
            status: d.status,
            attempts: d.attempts,
            response_code: d.response_code,
            error: d.error,
            next_retry_at: d.next_retry_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// A delivery queued again.
#[derive(Serialize, ToSchema)]
pub struct ReplayOut {
    /// The new delivery's id.
    pub id: Uuid,
    /// `pending`.
    #[schema(example = "pending")]
    pub status: String,
}

/// A new endpoint.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://hooks.example.com/agencyflow", "event_types": ["contact.created", "deal.won"]}))]
struct NewWebhook {
    /// A public https URL (checked against private addresses now and at every send).
    url: String,
    /// Known event kinds, `custom.<name>`, or `"*"` for every kind.
    event_types: Vec<String>,
}

/// Create a webhook endpoint
///
/// The answer carries the signing secret, shown only this once: deliveries are signed with it.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks",
    operation_id = "webhooks_create",
    tag = "Webhooks",
    request_body = NewWebhook,
    responses((status = 201, description = "The endpoint, with its secret.", body = Data<EndpointOut>)),
)]
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
    let out = EndpointOut {
        // Shown once: only its sealed form is stored.
        secret: Some(created.secret),
        ..EndpointOut::from(&created.endpoint)
    };
    Ok((StatusCode::CREATED, Json(Data { data: out })).into_response())
}

/// List webhook endpoints
#[utoipa::path(
    get,
    path = "/api/v1/webhooks",
    operation_id = "webhooks_list",
    tag = "Webhooks",
    responses((status = 200, description = "The endpoints.", body = Data<Vec<EndpointOut>>)),
)]
async fn list_webhooks(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<EndpointOut>>>, ApiError> {
    let all = store::list_endpoints(&st.db, auth.workspace.id).await?;
    Ok(Json(Data {
        data: all.iter().map(EndpointOut::from).collect(),
    }))
}

/// Get a webhook endpoint
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}",
    operation_id = "webhooks_get",
    tag = "Webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses((status = 200, description = "The endpoint.", body = Data<EndpointOut>)),
)]
async fn get_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Data<EndpointOut>>, ApiError> {
    let e = store::find_endpoint(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(Data {
        data: EndpointOut::from(&e),
    }))
}

/// Delete a webhook endpoint
///
/// Its pending deliveries are dropped.
#[utoipa::path(
    delete,
    path = "/api/v1/webhooks/{id}",
    operation_id = "webhooks_delete",
    tag = "Webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses((status = 204, description = "Deleted.")),
)]

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

/// Enable a webhook endpoint
///
/// Turns a (disabled) endpoint back on with its failure count reset.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/enable",
    operation_id = "webhooks_enable",
    tag = "Webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses((status = 200, description = "The endpoint, enabled.", body = Data<EndpointOut>)),
)]
async fn enable_webhook(
    State(st): State<AppState>,
    auth: ApiAuth,
    ip: ClientIp,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Data<EndpointOut>>, ApiError> {
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
    Ok(Json(Data {
        data: EndpointOut::from(&e),
    }))
}

/// List an endpoint's deliveries
///
/// Its latest 200 deliveries, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhooks/{id}/deliveries",
    operation_id = "webhooks_deliveries_list",
    tag = "Webhooks",
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses((status = 200, description = "The deliveries.", body = Data<Vec<DeliveryOut>>)),
)]
async fn list_deliveries(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<Data<Vec<DeliveryOut>>>, ApiError> {
    let ws = auth.workspace.id;
    let e = store::find_endpoint(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let data = store::list_deliveries(&st.db, ws, e.id, 200).await?;
    Ok(Json(Data {
        data: data.into_iter().map(DeliveryOut::from).collect(),
    }))
}

/// Replay a delivery
///
/// Queues the delivery's event again, as a new delivery.
#[utoipa::path(
    post,
    path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/replay",
    operation_id = "webhooks_deliveries_replay",
    tag = "Webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint's id."),
        ("delivery_id" = Uuid, Path, description = "The delivery's id."),
    ),
    responses((status = 202, description = "Queued.", body = Data<ReplayOut>)),
)]
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
        Json(Data {
            data: ReplayOut {
                id: d.id,
                status: d.status,
            },
        }),
    )
        .into_response())
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_webhooks, create_webhook, get_webhook, delete_webhook, enable_webhook, list_deliveries, replay_delivery),
    tags((name = "Webhooks", description = "Outbound webhooks: the endpoints that receive the workspace's events, signed, and their deliveries.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A delivery of an event to an endpoint.",
        "Una entrega de un evento a un endpoint.",
    ),
    (
        "A delivery queued again.",
        "Una entrega puesta en cola de nuevo.",
    ),
    ("A new endpoint.", "Un endpoint nuevo."),
    (
        "A public https URL (checked against private addresses now and at every send).",
        "Una URL https pública (se comprueba contra direcciones privadas ahora y en cada envío).",
    ),
    (
        "An outbound webhook endpoint.",
        "Un endpoint de webhook saliente.",
    ),
    ("Attempts made so far.", "Intentos hechos hasta ahora."),
    ("Create a webhook endpoint", "Crear un endpoint de webhook"),
    (
        "Delete a webhook endpoint",
        "Eliminar un endpoint de webhook",
    ),
    (
        "Enable a webhook endpoint",
        "Activar un endpoint de webhook",
    ),
    ("Failed deliveries in a row.", "Entregas fallidas seguidas."),
    (
        "False once disabled after repeated failures (or by hand).",
        "False cuando se desactivó tras fallos repetidos (o a mano).",
    ),
    ("Get a webhook endpoint", "Obtener un endpoint de webhook"),
    (
        "Its latest 200 deliveries, newest first.",
        "Sus últimas 200 entregas, lo más reciente primero.",
    ),
    (
        "Its pending deliveries are dropped.",
        "Sus entregas pendientes se descartan.",
    ),
    (
        "Known event kinds, `custom.<name>`, or `\"*\"` for every kind.",
        "Tipos de evento conocidos, `custom.<nombre>`, o `\"*\"` para todos.",
    ),
    (
        "List an endpoint's deliveries",
        "Listar las entregas de un endpoint",
    ),
    ("List webhook endpoints", "Listar endpoints de webhook"),
    (
        "Only in the answer to its creation: the signing secret, shown once.",
        "Solo en la respuesta a su creación: el secreto de firma, que se muestra una vez.",
    ),
    (
        "Outbound webhooks: the endpoints that receive the workspace's events, signed, and their deliveries.",
        "Webhooks salientes: los endpoints que reciben los eventos del espacio, firmados, y sus entregas.",
    ),
    ("Queued.", "En cola."),
    (
        "Queues the delivery's event again, as a new delivery.",
        "Vuelve a poner en cola el evento de la entrega, como una entrega nueva.",
    ),
    ("Replay a delivery", "Reenviar una entrega"),
    (
        "The JSON body posted, as text.",
        "El cuerpo JSON enviado, como texto.",
    ),
    (
        "The answer carries the signing secret, shown only this once: deliveries are signed with it.",
        "La respuesta trae el secreto de firma, que solo se muestra esta vez: las entregas se firman con él.",
    ),
    ("The deliveries.", "Las entregas."),
    ("The delivery's id.", "El id de la entrega."),
    ("The endpoint's id.", "El id del endpoint."),
    (
        "The endpoint's last HTTP status.",
        "El último estado HTTP del endpoint.",
    ),
    ("The endpoint, enabled.", "El endpoint, activado."),
    (
        "The endpoint, with its secret.",
        "El endpoint, con su secreto.",
    ),
    ("The endpoint.", "El endpoint."),
    ("The endpoints.", "Los endpoints."),
    (
        "The event kinds it receives; `\"*\"` is every kind.",
        "Los tipos de evento que recibe; `\"*\"` son todos.",
    ),
    ("The event's kind.", "El tipo del evento."),
    ("The new delivery's id.", "El id de la nueva entrega."),
    (
        "Turns a (disabled) endpoint back on with its failure count reset.",
        "Vuelve a activar un endpoint (desactivado) y reinicia su cuenta de fallos.",
    ),
    ("Webhooks", "Webhooks"),
    (
        "When it was disabled, if it is.",
        "Cuándo se desactivó, si lo está.",
    ),
    (
        "When it will be tried again.",
        "Cuándo se volverá a intentar.",
    ),
    (
        "Where the events are posted.",
        "Adónde se envían los eventos.",
    ),
    (
        "Why the last attempt failed.",
        "Por qué falló el último intento.",
    ),
    (
        "`pending`, `delivered` or `failed`.",
        "`pending`, `delivered` o `failed`.",
    ),
    ("`pending`.", "`pending`."),
];
