//! JSON API for retention alerts (issue 18):
//! `GET`/`POST /api/v1/retention/rules`, `PATCH`/`DELETE
//! /api/v1/retention/rules/{id}`, `POST /api/v1/retention/check` (runs the
//! key's workspace's check now: `{"opened","escalated","resolved"}`),
//! `GET /api/v1/retention/alerts?status=&type=&assignee=&min_risk=&max_risk=&from=&to=&contact_id=&limit=&cursor=`
//! (highest risk first, each with its history, plus the counts per
//! status), `GET`/`PATCH /api/v1/retention/alerts/{id}`. The rules and
//! events are `af_service::retention`.

use super::openapi::schemas::Data;
use super::pagination::page_limit;
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::retention::Escalation;
use af_core::vocab::{AlertStatus, AlertType};
use af_core::{RetentionAlertId, RetentionRuleId};
use af_db::Ts;
use af_db::retention::AlertCursor;
use af_service::retention::{
    self as service, AlertPatch, AlertQuery, RetentionError, RuleRequest, RuleView,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/retention/rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/retention/rules/{id}",
            patch(update_rule).delete(delete_rule),
        )
        .route("/api/v1/retention/check", post(check))
        .route("/api/v1/retention/alerts", get(list_alerts))
        .route(
            "/api/v1/retention/alerts/{id}",
            get(show_alert).patch(change_alert),
        )
}

impl From<RetentionError> for ApiError {
    fn from(e: RetentionError) -> Self {
        match e {
            RetentionError::Invalid(fields) => ApiError::Invalid(fields),
            RetentionError::NotFound => ApiError::NotFound,
            RetentionError::Conflict(m) => ApiError::Conflict(m),
            RetentionError::Db(e) => e.into(),
        }
    }
}

/// The cursor of a page: the last alert's `(risk, id)`, base64url.
pub fn encode_cursor(c: AlertCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}~{}", c.risk, c.id))
}

pub fn decode_cursor(raw: &str) -> Result<AlertCursor, ApiError> {
    let bad = || {
        ApiError::field(
            "cursor",
            "invalid cursor: pass next_cursor from the previous page",
        )
    };
    let text =
        String::from_utf8(URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?).map_err(|_| bad())?;
    let (risk, id) = text.split_once('~').ok_or_else(bad)?;
    Ok(AlertCursor {
        risk: risk.parse().map_err(|_| bad())?,
        id: Uuid::parse_str(id).map_err(|_| bad())?,
    })
}

// ------------------------------------------------------------------ shapes

/// A retention rule as a client sends it. On a create `type` and `risk` are required; on an update an absent field keeps its value.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handlers read")]
pub struct RetentionRuleIn {
    #[schema(rename = "type", value_type = Option<AlertType>)]
    alert_type: Option<String>,
    /// no_attendance: days absent; membership_expiring: days before the end.
    days: Option<i64>,
    /// low_bookings: fewer than this many bookings.
    count: Option<i64>,
    /// high_cancellation_rate: more than this percentage cancelled.
    rate: Option<i64>,
    /// low_bookings, high_cancellation_rate: the window, in days.
    window_days: Option<i64>,
    /// high_cancellation_rate: at least this many bookings in the window.
    min_bookings: Option<i64>,
    /// The risk of a new alert, 1 to 100.
    #[schema(example = 60)]
    risk: Option<i64>,
    /// Steps that raise an open alert's risk as days pass.
    escalations: Option<Vec<Escalation>>,
    /// How alerts reach their assignee besides the bell: `in_app`, `email` or `whatsapp`.
    #[schema(example = "in_app")]
    notify: Option<String>,
    /// Days a resolved or dismissed alert stays quiet before the same contact can alert again.
    quiet_days: Option<i64>,
    /// Who gets the alerts of contacts without an owner when no member has the retention duty (`null` clears).
    #[schema(value_type = Option<Uuid>)]
    assignee_id: Option<Option<Uuid>>,
    active: Option<bool>,
}

/// A retention rule.
#[derive(Serialize, ToSchema)]
pub struct RetentionRuleOut {
    pub id: RetentionRuleId,
    #[serde(rename = "type")]
    #[schema(value_type = AlertType)]
    pub alert_type: String,
    /// no_attendance: days absent; membership_expiring: days before the end.
    pub days: Option<i64>,
    /// low_bookings: fewer than this many bookings.
    pub count: Option<i64>,
    /// high_cancellation_rate: more than this percentage cancelled.
    pub rate: Option<i64>,
    /// low_bookings, high_cancellation_rate: the window, in days.
    pub window_days: Option<i64>,
    /// high_cancellation_rate: at least this many bookings in the window.
    pub min_bookings: Option<i64>,
    /// The risk of a new alert, 1 to 100.
    #[schema(example = 60)]
    pub risk: i64,
    /// Steps that raise an open alert's risk as days pass.
    pub escalations: Vec<Escalation>,
    /// How alerts reach their assignee besides the bell: `in_app`, `email` or `whatsapp`.
    #[schema(example = "in_app")]
    pub notify: String,
    /// Days a resolved or dismissed alert stays quiet before the same contact can alert again.
    pub quiet_days: i64,
    /// Who gets the alerts of contacts without an owner when no member has the retention duty.
    pub assignee_id: Option<Uuid>,
    pub active: bool,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<RuleView> for RetentionRuleOut {
    fn from(r: RuleView) -> Self {
        Self {
            id: r.id,
            alert_type: r.alert_type,
            days: r.days,
            count: r.count,
            rate: r.rate,
            window_days: r.window_days,
            min_bookings: r.min_bookings,
            risk: r.risk,
            escalations: r.escalations,
            notify: r.notify,
            quiet_days: r.quiet_days,
            assignee_id: r.assignee_id,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn rule_out(r: &af_db::retention::Rule) -> RetentionRuleOut {
    RuleView::from(r).into()
}

/// What one check did.
#[derive(Serialize, ToSchema)]
pub struct CheckOut {
    /// Alerts opened.
    pub opened: usize,
    /// Open alerts whose risk rose.
    pub escalated: usize,
    /// Alerts closed because their cause went away.
    pub resolved: usize,
}

/// A retention alert with its history.
#[derive(Serialize, ToSchema)]
pub struct RetentionAlertOut {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub contact_name: String,
    #[serde(rename = "type")]
    #[schema(value_type = AlertType)]
    pub alert_type: String,
    /// 1 to 100.
    #[schema(example = 60)]
    pub risk: i64,
    #[schema(value_type = AlertStatus)]
    pub status: String,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub rule_id: Option<Uuid>,
    /// Since when the cause holds (the last visit, the end of the membership...).
    pub since: Option<Ts>,
    pub opened_at: Ts,
    pub escalated_at: Option<Ts>,
    pub updated_at: Ts,
    pub closed_at: Option<Ts>,
    /// How it was closed.
    pub resolution: Option<String>,
    /// Until when the contact cannot alert again.
    pub quiet_until: Option<Ts>,
    /// What happened to the alert, oldest first.
    pub history: Vec<AlertHistoryOut>,
}

/// A line of an alert's history.
#[derive(Serialize, ToSchema)]
pub struct AlertHistoryOut {
    pub at: Ts,
    /// What was done: `opened`, `escalated`, `assigned`, `status`, `note`...
    #[schema(example = "opened")]
    pub action: String,
    pub risk: i64,
    #[schema(value_type = AlertStatus)]
    pub status: String,
    pub assignee_id: Option<Uuid>,
    /// `user`, `api_key` or `system`.
    #[schema(example = "user")]
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub note: Option<String>,
    pub reason: Option<String>,
}

impl From<service::AlertView> for RetentionAlertOut {
    fn from(v: service::AlertView) -> Self {
        let a = v.alert;
        Self {
            id: a.id,
            contact_id: a.contact_id,
            contact_name: a.contact_name,
            alert_type: a.alert_type,
            risk: a.risk,
            status: a.status,
            assignee_id: a.assignee_id,
            assignee_name: a.assignee_name,
            rule_id: a.rule_id,
            since: a.since,
            opened_at: a.opened_at,
            escalated_at: a.escalated_at,
            updated_at: a.updated_at,
            closed_at: a.closed_at,
            resolution: a.resolution,
            quiet_until: a.quiet_until,
            history: v
                .history
                .into_iter()
                .map(|h| AlertHistoryOut {
                    at: h.at,
                    action: h.action,
                    risk: h.risk,
                    status: h.status,
                    assignee_id: h.assignee_id,
                    actor_type: h.actor_type,
                    actor_id: h.actor_id,
                    actor_name: h.actor_name,
                    note: h.note,
                    reason: h.reason,
                })
                .collect(),
        }
    }
}

/// A page of alerts, highest risk first, with the counts per status under the same filters.
#[derive(Serialize, ToSchema)]
pub struct RetentionAlertPage {
    pub data: Vec<RetentionAlertOut>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Alerts per status.
    #[schema(example = json!({"open": 4, "in_progress": 1}))]
    pub counts: BTreeMap<String, i64>,
}

/// A person's change to an alert.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handler reads")]
pub struct AlertPatchIn {
    /// `open`, `in_progress`, `resolved` or `dismissed`.
    #[schema(value_type = Option<AlertStatus>)]
    status: Option<String>,
    /// A member's id; `null` unassigns.
    #[schema(value_type = Option<Uuid>)]
    assignee_id: Option<Option<Uuid>>,
    /// A note added to the history.
    #[schema(example = "Called her: she's travelling until Monday.")]
    note: Option<String>,
}

// ---------------------------------------------------------------- handlers

/// List retention rules
#[utoipa::path(
    get,
    path = "/api/v1/retention/rules",
    operation_id = "retention_rules_list",
    tag = "Retention",
    responses((status = 200, description = "The rules.", body = Data<Vec<RetentionRuleOut>>)),
)]
async fn list_rules(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<RetentionRuleOut>>>, ApiError> {
    let rules = service::list_rules(&st.db, auth.workspace.id, st.now()).await?;
    let data = rules.iter().map(rule_out).collect();
    Ok(Json(Data { data }))
}

/// Create a retention rule
#[utoipa::path(
    post,
    path = "/api/v1/retention/rules",
    operation_id = "retention_rules_create",
    tag = "Retention",
    request_body = RetentionRuleIn,
    responses((status = 201, description = "The new rule.", body = RetentionRuleOut)),
)]
async fn create_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<Response, ApiError> {
    let rule =
        service::create_rule(&st.db, auth.workspace.id, &req, &auth.actor(), st.now()).await?;
    Ok((StatusCode::CREATED, Json(rule_out(&rule))).into_response())
}

/// Change a retention rule
///
/// Absent fields keep their value.
#[utoipa::path(
    patch,
    path = "/api/v1/retention/rules/{id}",
    operation_id = "retention_rules_update",
    tag = "Retention",
    params(("id" = Uuid, Path, description = "The rule's id.")),
    request_body = RetentionRuleIn,
    responses((status = 200, description = "The rule.", body = RetentionRuleOut)),
)]
async fn update_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionRuleId>,
    ApiJson(req): ApiJson<RuleRequest>,
) -> Result<Json<RetentionRuleOut>, ApiError> {
    let rule =
        service::update_rule(&st.db, auth.workspace.id, id, &req, &auth.actor(), st.now()).await?;
    Ok(Json(rule_out(&rule)))
}

/// Delete a retention rule
#[utoipa::path(
    delete,
    path = "/api/v1/retention/rules/{id}",
    operation_id = "retention_rules_delete",
    tag = "Retention",
    params(("id" = Uuid, Path, description = "The rule's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionRuleId>,
) -> Result<StatusCode, ApiError> {
    service::delete_rule(&st.db, auth.workspace.id, id, &auth.actor(), st.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run the retention check now
///
/// Opens, escalates and resolves the workspace's alerts as the daily check does.
#[utoipa::path(
    post,
    path = "/api/v1/retention/check",
    operation_id = "retention_check",
    tag = "Retention",
    responses((status = 200, description = "What the check did.", body = CheckOut)),
)]
async fn check(State(st): State<AppState>, auth: ApiAuth) -> Result<Json<CheckOut>, ApiError> {
    let out = service::check_now(&st.db, &auth.workspace, &auth.actor(), st.now()).await?;
    Ok(Json(CheckOut {
        opened: out.opened,
        escalated: out.escalated,
        resolved: out.resolved,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    #[serde(flatten)]
    filter: AlertQuery,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The filters of the alert list; empty values filter nothing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query `ListQuery` reads")]
struct AlertListParams {
    /// One status or several separated by commas; `active` is open and in progress.
    #[param(example = "active")]
    status: Option<String>,
    /// Only alerts of this type.
    #[param(rename = "type", value_type = Option<AlertType>)]
    alert_type: Option<String>,
    /// A member's id, `me` or `none`.
    assignee: Option<String>,
    /// Only alerts of at least this risk.
    min_risk: Option<i64>,
    /// Only alerts of at most this risk.
    max_risk: Option<i64>,
    /// Opened on or after this local date.
    #[param(format = Date)]
    from: Option<String>,
    /// Opened on or before this local date.
    #[param(format = Date)]
    to: Option<String>,
    /// Only alerts about this contact.
    #[param(format = Uuid)]
    contact_id: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List retention alerts
///
/// Highest risk first, each with its history, plus the counts per status.
#[utoipa::path(
    get,
    path = "/api/v1/retention/alerts",
    operation_id = "retention_alerts_list",
    tag = "Retention",
    params(AlertListParams),
    responses((status = 200, description = "A page of alerts.", body = RetentionAlertPage)),
)]
async fn list_alerts(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<RetentionAlertPage>, ApiError> {
    let limit = match q.limit.as_deref() {
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| ApiError::field("limit", "limit must be between 1 and 500"))?,
        ),
        None => None,
    };
    let limit = page_limit(limit, 50)?;
    let tz = TimeZone::get(&auth.workspace.time_zone).unwrap_or(TimeZone::UTC);
    let filter = service::filter_of(&q.filter, None, &tz)?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let (page, next) =
        service::list_alerts(&st.db, auth.workspace.id, &filter, after, limit).await?;
    let counts = af_db::retention::count_by_status(&st.db, auth.workspace.id, &filter).await?;
    let data = service::with_history(&st.db, auth.workspace.id, page).await?;
    Ok(Json(RetentionAlertPage {
        data: data.into_iter().map(RetentionAlertOut::from).collect(),
        next_cursor: next.map(encode_cursor),
        counts: counts.into_iter().collect(),
    }))
}

/// Get a retention alert
#[utoipa::path(
    get,
    path = "/api/v1/retention/alerts/{id}",
    operation_id = "retention_alerts_get",
    tag = "Retention",
    params(("id" = Uuid, Path, description = "The alert's id.")),
    responses((status = 200, description = "The alert and its history.", body = RetentionAlertOut)),
)]
async fn show_alert(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionAlertId>,
) -> Result<Json<RetentionAlertOut>, ApiError> {
    let alert = af_db::retention::find_alert(&st.db, auth.workspace.id, id.0)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut views = service::with_history(&st.db, auth.workspace.id, vec![alert]).await?;
    views
        .pop()
        .map(|v| Json(v.into()))
        .ok_or(ApiError::NotFound)
}

/// Change a retention alert
///
/// Move it to another status, assign it or add a note; audited.
#[utoipa::path(
    patch,
    path = "/api/v1/retention/alerts/{id}",
    operation_id = "retention_alerts_update",
    tag = "Retention",
    params(("id" = Uuid, Path, description = "The alert's id.")),
    request_body = AlertPatchIn,
    responses((status = 200, description = "The alert and its history.", body = RetentionAlertOut)),
)]
async fn change_alert(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<RetentionAlertId>,
    ApiJson(patch): ApiJson<AlertPatch>,
) -> Result<Json<RetentionAlertOut>, ApiError> {
    let alert = service::change_alert(
        &st.db,
        auth.workspace.id,
        id.0,
        &patch,
        &auth.actor(),
        st.now(),
    )
    .await?;
    let mut views = service::with_history(&st.db, auth.workspace.id, vec![alert]).await?;
    views
        .pop()
        .map(|v| Json(v.into()))
        .ok_or(ApiError::NotFound)
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_rules,
        create_rule,
        update_rule,
        delete_rule,
        check,
        list_alerts,
        show_alert,
        change_alert,
    ),
    tags((name = "Retention", description = "Retention alerts: rules that spot clients at risk of leaving (absences, few bookings, cancellations, expiring memberships, failed payments) and the alerts they open.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Retention", "Retención"),
    (
        "Retention alerts: rules that spot clients at risk of leaving (absences, few bookings, cancellations, expiring memberships, failed payments) and the alerts they open.",
        "Alertas de retención: reglas que detectan clientes en riesgo de irse (ausencias, pocas reservas, cancelaciones, membresías por vencer, pagos fallidos) y las alertas que abren.",
    ),
    (
        "A retention rule as a client sends it. On a create `type` and `risk` are required; on an update an absent field keeps its value.",
        "Una regla de retención tal como la envía un cliente. Al crear, `type` y `risk` son obligatorios; al actualizar, un campo ausente conserva su valor.",
    ),
    (
        "no_attendance: days absent; membership_expiring: days before the end.",
        "no_attendance: días de ausencia; membership_expiring: días antes del vencimiento.",
    ),
    (
        "low_bookings: fewer than this many bookings.",
        "low_bookings: menos de esta cantidad de reservas.",
    ),
    (
        "high_cancellation_rate: more than this percentage cancelled.",
        "high_cancellation_rate: más de este porcentaje cancelado.",
    ),
    (
        "low_bookings, high_cancellation_rate: the window, in days.",
        "low_bookings, high_cancellation_rate: la ventana, en días.",
    ),
    (
        "high_cancellation_rate: at least this many bookings in the window.",
        "high_cancellation_rate: al menos esta cantidad de reservas en la ventana.",
    ),
    (
        "The risk of a new alert, 1 to 100.",
        "El riesgo de una alerta nueva, de 1 a 100.",
    ),
    (
        "Steps that raise an open alert's risk as days pass.",
        "Escalones que suben el riesgo de una alerta abierta conforme pasan los días.",
    ),
    (
        "How alerts reach their assignee besides the bell: `in_app`, `email` or `whatsapp`.",
        "Cómo llegan las alertas a su responsable además de la campana: `in_app`, `email` o `whatsapp`.",
    ),
    (
        "Days a resolved or dismissed alert stays quiet before the same contact can alert again.",
        "Días que una alerta resuelta o descartada se queda en silencio antes de que el mismo contacto pueda volver a alertar.",
    ),
    (
        "Who gets the alerts of contacts without an owner when no member has the retention duty (`null` clears).",
        "Quién recibe las alertas de contactos sin responsable cuando ningún miembro tiene la tarea de retención (`null` lo borra).",
    ),
    (
        "Who gets the alerts of contacts without an owner when no member has the retention duty.",
        "Quién recibe las alertas de contactos sin responsable cuando ningún miembro tiene la tarea de retención.",
    ),
    (
        "One escalation step: at `days` the alert's risk rises to `risk`.",
        "Un escalón: a los `days` días el riesgo de la alerta sube a `risk`.",
    ),
    ("A retention rule.", "Una regla de retención."),
    ("What one check did.", "Lo que hizo una revisión."),
    ("Alerts opened.", "Alertas abiertas."),
    (
        "Open alerts whose risk rose.",
        "Alertas abiertas cuyo riesgo subió.",
    ),
    (
        "Alerts closed because their cause went away.",
        "Alertas cerradas porque su causa desapareció.",
    ),
    (
        "A retention alert with its history.",
        "Una alerta de retención con su historial.",
    ),
    ("1 to 100.", "De 1 a 100."),
    (
        "Since when the cause holds (the last visit, the end of the membership...).",
        "Desde cuándo se da la causa (la última visita, el fin de la membresía...).",
    ),
    ("How it was closed.", "Cómo se cerró."),
    (
        "Until when the contact cannot alert again.",
        "Hasta cuándo el contacto no puede volver a alertar.",
    ),
    (
        "What happened to the alert, oldest first.",
        "Lo que le pasó a la alerta, de lo más antiguo a lo más reciente.",
    ),
    (
        "A line of an alert's history.",
        "Una línea del historial de una alerta.",
    ),
    (
        "What was done: `opened`, `escalated`, `assigned`, `status`, `note`...",
        "Lo que se hizo: `opened`, `escalated`, `assigned`, `status`, `note`...",
    ),
    (
        "`user`, `api_key` or `system`.",
        "`user`, `api_key` o `system`.",
    ),
    (
        "A page of alerts, highest risk first, with the counts per status under the same filters.",
        "Una página de alertas, el mayor riesgo primero, con los conteos por estado bajo los mismos filtros.",
    ),
    ("Alerts per status.", "Alertas por estado."),
    (
        "A person's change to an alert.",
        "El cambio que una persona hace a una alerta.",
    ),
    (
        "`open`, `in_progress`, `resolved` or `dismissed`.",
        "`open`, `in_progress`, `resolved` o `dismissed`.",
    ),
    (
        "A member's id; `null` unassigns.",
        "El id de un miembro; `null` quita la asignación.",
    ),
    (
        "A note added to the history.",
        "Una nota que se agrega al historial.",
    ),
    (
        "The filters of the alert list; empty values filter nothing.",
        "Los filtros de la lista de alertas; los valores vacíos no filtran nada.",
    ),
    (
        "One status or several separated by commas; `active` is open and in progress.",
        "Un estado o varios separados por comas; `active` son las abiertas y en curso.",
    ),
    (
        "Only alerts of this type.",
        "Solo las alertas de este tipo.",
    ),
    (
        "A member's id, `me` or `none`.",
        "El id de un miembro, `me` o `none`.",
    ),
    (
        "Only alerts of at least this risk.",
        "Solo las alertas con al menos este riesgo.",
    ),
    (
        "Only alerts of at most this risk.",
        "Solo las alertas con como máximo este riesgo.",
    ),
    (
        "Opened on or after this local date.",
        "Abiertas en esta fecha local o después.",
    ),
    (
        "Opened on or before this local date.",
        "Abiertas en esta fecha local o antes.",
    ),
    (
        "Only alerts about this contact.",
        "Solo las alertas de este contacto.",
    ),
    ("List retention rules", "Listar reglas de retención"),
    ("The rules.", "Las reglas."),
    ("Create a retention rule", "Crear una regla de retención"),
    ("The new rule.", "La regla nueva."),
    ("Change a retention rule", "Cambiar una regla de retención"),
    (
        "Absent fields keep their value.",
        "Los campos ausentes conservan su valor.",
    ),
    ("The rule's id.", "El id de la regla."),
    ("The rule.", "La regla."),
    ("Delete a retention rule", "Eliminar una regla de retención"),
    ("Deleted.", "Eliminado."),
    (
        "Run the retention check now",
        "Ejecutar ahora la revisión de retención",
    ),
    (
        "Opens, escalates and resolves the workspace's alerts as the daily check does.",
        "Abre, escala y resuelve las alertas del espacio como lo hace la revisión diaria.",
    ),
    ("What the check did.", "Lo que hizo la revisión."),
    ("List retention alerts", "Listar alertas de retención"),
    (
        "Highest risk first, each with its history, plus the counts per status.",
        "El mayor riesgo primero, cada una con su historial, más los conteos por estado.",
    ),
    ("A page of alerts.", "Una página de alertas."),
    ("Get a retention alert", "Obtener una alerta de retención"),
    ("The alert's id.", "El id de la alerta."),
    ("The alert and its history.", "La alerta y su historial."),
    (
        "Change a retention alert",
        "Cambiar una alerta de retención",
    ),
    (
        "Move it to another status, assign it or add a note; audited.",
        "Muévela a otro estado, asígnala o agrégale una nota; queda en la auditoría.",
    ),
];
