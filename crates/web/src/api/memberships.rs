//! JSON API for memberships (subscriptions), issue 17:
//! `POST /api/v1/memberships` (201 created, 200 updated by `external_id`),
//! `GET /api/v1/memberships?contact_id=&status=&limit=&cursor=`,
//! `GET` and `PATCH /api/v1/memberships/{id}`. The rules and events are
//! `af_service::memberships`.

use super::openapi::schemas::Page;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::vocab::MembershipStatus;
use af_core::{ContactId, MembershipId};
use af_db::Ts;
use af_db::memberships::{self, Cursor, Membership, MembershipFilter};
use af_service::memberships::{self as service, MembershipError, MembershipRequest};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// A membership (a subscription to a plan).
#[derive(Serialize, ToSchema)]
pub struct MembershipOut {
    pub id: MembershipId,
    pub contact_id: ContactId,
    /// The membership's id in the billing system.
    #[schema(example = "sub_1Q2w3E4r")]
    pub external_id: Option<String>,
    #[schema(example = "Mensual")]
    pub plan: String,
    #[schema(value_type = MembershipStatus)]
    pub status: String,
    pub starts_at: Ts,
    pub ends_at: Option<Ts>,
    /// Minor units (cents).
    #[schema(example = 89900)]
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub cancelled_at: Option<Ts>,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<&Membership> for MembershipOut {
    fn from(m: &Membership) -> Self {
        Self {
            id: m.id,
            contact_id: m.contact_id,
            external_id: m.external_id.clone(),
            plan: m.plan.clone(),
            status: m.status.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            amount: m.amount_minor,
            currency: m.currency.clone(),
            cancelled_at: m.cancelled_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A membership as a client sends it. Instants take a full instant (`2026-04-01T00:00:00Z`) or a date (`2026-04-01`, midnight in the workspace's zone).
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handlers read")]
pub struct MembershipIn {
    /// The contact's id; or identify the contact by `email` / `phone` (created when unknown).
    #[schema(format = Uuid)]
    contact_id: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    phone: Option<String>,
    /// The new contact's name, when the email or phone is unknown.
    name: Option<String>,
    #[schema(example = "Mensual")]
    plan: Option<String>,
    #[schema(value_type = Option<MembershipStatus>)]
    status: Option<String>,
    #[schema(example = "2026-04-01")]
    starts_at: Option<String>,
    /// `null` clears it on an update.
    #[schema(example = "2026-05-01")]
    ends_at: Option<String>,
    /// Minor units (cents), a whole number ≥ 0; `null` clears it on an update.
    #[schema(example = 89900)]
    amount: Option<i64>,
    /// ISO 4217; `null` clears it on an update.
    currency: Option<String>,
    /// The membership's id in the billing system: a create with a known one updates that membership.
    #[schema(example = "sub_1Q2w3E4r")]
    external_id: Option<String>,
}

/// Create or update a membership
///
/// Creates a membership, or updates the one with the same `external_id`. The contact is found by `contact_id`, `email` or `phone`, and created when unknown.
#[utoipa::path(
    post,
    path = "/api/v1/memberships",
    operation_id = "memberships_create",
    tag = "Memberships",
    request_body = MembershipIn,
    responses(
        (status = 201, description = "Created.", body = MembershipOut),
        (status = 200, description = "Updated: a membership with this `external_id` existed.", body = MembershipOut),
    ),
)]
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
    Ok((status, Json(MembershipOut::from(&saved.membership))).into_response())
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ListQuery {
    /// Only this contact's memberships.
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// Only memberships in this status.
    #[param(value_type = Option<MembershipStatus>)]
    status: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List memberships
///
/// Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/memberships",
    operation_id = "memberships_list",
    tag = "Memberships",
    params(ListQuery),
    responses((status = 200, description = "A page of memberships.", body = Page<MembershipOut>)),
)]
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<MembershipOut>>, ApiError> {
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
    let next_cursor = if has_more {
        page.last().map(|m| encode_cursor(m.created_at, m.id.0))
    } else {
        None
    };
    let data = page.iter().map(MembershipOut::from).collect();
    Ok(Json(Page { data, next_cursor }))
}

/// Get a membership
#[utoipa::path(
    get,
    path = "/api/v1/memberships/{id}",
    operation_id = "memberships_get",
    tag = "Memberships",
    params(("id" = Uuid, Path, description = "The membership's id.")),
    responses((status = 200, description = "The membership.", body = MembershipOut)),
)]
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<MembershipId>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = memberships::find_membership(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(MembershipOut::from(&m)))
}

/// Change a membership
///
/// Absent fields keep their value; `null` clears `ends_at`, `amount` or `currency`.
#[utoipa::path(
    patch,
    path = "/api/v1/memberships/{id}",
    operation_id = "memberships_update",
    tag = "Memberships",
    params(("id" = Uuid, Path, description = "The membership's id.")),
    request_body = MembershipIn,
    responses((status = 200, description = "The membership.", body = MembershipOut)),
)]
async fn update(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<MembershipId>,
    ApiJson(req): ApiJson<MembershipRequest>,
) -> Result<Json<MembershipOut>, ApiError> {
    let m = service::update(&st.db, &auth.workspace, id, &req, &auth.actor(), st.now()).await?;
    Ok(Json(MembershipOut::from(&m)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create, list, show, update),
    tags((name = "Memberships", description = "Contacts' memberships (subscriptions) as the billing system reports them; retention alerts and workflows read them.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Memberships", "Membresías"),
    (
        "Contacts' memberships (subscriptions) as the billing system reports them; retention alerts and workflows read them.",
        "Las membresías (suscripciones) de los contactos tal como las informa el sistema de cobro; las leen las alertas de retención y los flujos.",
    ),
    (
        "A membership (a subscription to a plan).",
        "Una membresía (una suscripción a un plan).",
    ),
    (
        "The membership's id in the billing system.",
        "El id de la membresía en el sistema de cobro.",
    ),
    ("Minor units (cents).", "Unidades menores (centavos)."),
    (
        "A membership as a client sends it. Instants take a full instant (`2026-04-01T00:00:00Z`) or a date (`2026-04-01`, midnight in the workspace's zone).",
        "Una membresía tal como la envía un cliente. Los instantes aceptan un instante completo (`2026-04-01T00:00:00Z`) o una fecha (`2026-04-01`, medianoche en la zona del espacio).",
    ),
    (
        "The contact's id; or identify the contact by `email` / `phone` (created when unknown).",
        "El id del contacto; o identifica al contacto por `email` / `phone` (se crea si no existe).",
    ),
    (
        "The new contact's name, when the email or phone is unknown.",
        "El nombre del contacto nuevo, cuando el correo o el teléfono no existen.",
    ),
    (
        "`null` clears it on an update.",
        "`null` lo borra al actualizar.",
    ),
    (
        "Minor units (cents), a whole number ≥ 0; `null` clears it on an update.",
        "Unidades menores (centavos), un número entero ≥ 0; `null` lo borra al actualizar.",
    ),
    (
        "ISO 4217; `null` clears it on an update.",
        "ISO 4217; `null` lo borra al actualizar.",
    ),
    (
        "The membership's id in the billing system: a create with a known one updates that membership.",
        "El id de la membresía en el sistema de cobro: una creación con uno conocido actualiza esa membresía.",
    ),
    (
        "Create or update a membership",
        "Crear o actualizar una membresía",
    ),
    (
        "Creates a membership, or updates the one with the same `external_id`. The contact is found by `contact_id`, `email` or `phone`, and created when unknown.",
        "Crea una membresía, o actualiza la que tiene el mismo `external_id`. El contacto se busca por `contact_id`, `email` o `phone`, y se crea si no existe.",
    ),
    ("Created.", "Creada."),
    (
        "Updated: a membership with this `external_id` existed.",
        "Actualizada: ya existía una membresía con este `external_id`.",
    ),
    (
        "Only this contact's memberships.",
        "Solo las membresías de este contacto.",
    ),
    (
        "Only memberships in this status.",
        "Solo las membresías en este estado.",
    ),
    ("List memberships", "Listar membresías"),
    ("Newest first.", "Lo más reciente primero."),
    ("A page of memberships.", "Una página de membresías."),
    ("Get a membership", "Obtener una membresía"),
    ("The membership's id.", "El id de la membresía."),
    ("The membership.", "La membresía."),
    ("Change a membership", "Cambiar una membresía"),
    (
        "Absent fields keep their value; `null` clears `ends_at`, `amount` or `currency`.",
        "Los campos ausentes conservan su valor; `null` borra `ends_at`, `amount` o `currency`.",
    ),
];
