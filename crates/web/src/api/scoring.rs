//! JSON API for activities and lead scoring (issue 17): `POST
//! /api/v1/activities` (one, or `{"activities": [...]}` up to 1,000 with
//! per-item results), a contact's activities and its explained score, and
//! the scoring rules and thresholds. The use cases are
//! `af_service::scoring`.

use super::automations::json_schema;
use super::openapi::schemas::Data;
use super::openapi::schemas::{ErrorDetail, Page};
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::scoring::RawRule;
use af_core::{ContactId, ScoringRuleId};
use af_db::Ts;
use af_db::recalculations::Recalculation;
use af_db::scoring::{Activity, Recorded};
use af_service::scoring::{self as svc, RawActivity, RawThreshold, ScoringError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::Type;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/activities", post(post_activities))
        .route("/api/v1/contacts/{id}/activities", get(list_activities))
        .route("/api/v1/contacts/{id}/score", get(contact_score))
        .route("/api/v1/scoring/rules", get(list_rules).post(create_rule))
        .route(
            "/api/v1/scoring/rules/{id}",
            patch(patch_rule).delete(delete_rule),
        )
        .route(
            "/api/v1/scoring/thresholds",
            get(list_thresholds).post(create_threshold),
        )
        .route("/api/v1/scoring/recalculate", post(recalculate))
        .route(
            "/api/v1/scoring/recalculations/{id}",
            get(show_recalculation),
        )
}

impl From<ScoringError> for ApiError {
    fn from(e: ScoringError) -> Self {
        match e {
            ScoringError::Invalid(fields) => ApiError::Invalid(fields),
            ScoringError::NotFound => ApiError::NotFound,
            ScoringError::Db(e) => e.into(),
        }
    }
}

// ------------------------------------------------------------------ shapes

/// An activity as a client sends it.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handler reads as JSON")]
pub struct ActivityIn {
    /// The contact's id; or identify the contact by `email` / `phone` (created when unknown).
    #[schema(format = Uuid)]
    contact_id: Option<String>,
    #[schema(format = Email)]
    email: Option<String>,
    phone: Option<String>,
    /// The activity type: 1 to 64 lowercase letters, digits, `_` or `.`.
    #[schema(rename = "type", example = "page_view")]
    kind: String,
    /// When it happened; default now.
    #[schema(format = DateTime)]
    occurred_at: Option<String>,
    /// A JSON object about it; a `purchase` carries `amount` in minor units and `currency`.
    #[schema(schema_with = activity_data_in_schema)]
    data: Option<Value>,
    /// A repeated key records nothing new and answers the first activity.
    #[schema(example = "web-8f2c1a")]
    idempotency_key: Option<String>,
    /// Where it came from (default `api`).
    #[schema(example = "api")]
    source: Option<String>,
}

fn activity_data_in_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object, Type::Null],
        "A JSON object about it; a `purchase` carries `amount` in minor units and `currency`.",
        json!({"path": "/pricing"}),
    )
}

fn activity_data_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object],
        "What the activity carries, as sent.",
        json!({"path": "/pricing"}),
    )
}

fn frequency_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::String, Type::Object],
        "`\"always\"`, `\"once\"` or `{\"every_days\": N}`.",
        json!("always"),
    )
}

fn filter_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object],
        "Values the activity's `data` must have, e.g. `{\"path\": \"/pricing\"}`.",
        json!({"path": "/pricing"}),
    )
}

/// Up to 1,000 activities at once.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handler reads as JSON")]
pub struct ActivityBatchIn {
    activities: Vec<ActivityIn>,
}

/// One activity, or a batch.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum ActivityBody {
    One(ActivityIn),
    Batch(ActivityBatchIn),
}

/// A recorded activity.
#[derive(Serialize, ToSchema)]
pub struct ActivityOut {
    pub id: Uuid,
    pub contact_id: Uuid,
    #[serde(rename = "type")]
    #[schema(example = "page_view")]
    pub kind: String,
    pub occurred_at: Ts,
    #[schema(example = "api")]
    pub source: String,
    #[schema(schema_with = activity_data_schema)]
    pub data: Value,
    pub idempotency_key: Option<String>,
    pub created_at: Ts,
}

impl From<&Activity> for ActivityOut {
    fn from(a: &Activity) -> Self {
        Self {
            id: a.id,
            contact_id: a.contact_id,
            kind: a.kind.clone(),
            occurred_at: a.occurred_at,
            source: a.source.clone(),
            data: a.data_json(),
            idempotency_key: a.idempotency_key.clone(),
            created_at: a.created_at,
        }
    }
}

/// One item's answer in a batch: its status and the activity or the error.
#[derive(Serialize, ToSchema)]
pub struct BatchItemOut {
    /// 201 new, 200 repeated idempotency key, 404 unknown contact, 422 invalid, 500 failed.
    #[schema(example = 201)]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

impl From<&Result<Recorded, ScoringError>> for BatchItemOut {
    fn from(r: &Result<Recorded, ScoringError>) -> Self {
        let error = |status, code: &str, message: &str, fields| BatchItemOut {
            status,
            activity: None,
            error: Some(ErrorDetail {
                code: code.into(),
                message: message.into(),
                fields,
            }),
        };
        match r {
            Ok(rec) => BatchItemOut {
                status: if rec.created { 201 } else { 200 },
                activity: Some(ActivityOut::from(&rec.activity)),
                error: None,
            },
            Err(ScoringError::NotFound) => {
                error(404, "not_found", "no such contact in this workspace", None)
            }
            Err(ScoringError::Invalid(fields)) => error(
                422,
                "invalid",
                "the activity is invalid",
                Some(fields.iter().cloned().collect()),
            ),
            Err(ScoringError::Db(_)) => BatchItemOut {
                status: 500,
                activity: None,
                error: None,
            },
        }
    }
}

/// A batch's answer: one result per item, in order.
#[derive(Serialize, ToSchema)]
pub struct BatchOut {
    pub results: Vec<BatchItemOut>,
    /// How many activities were new.
    pub created: usize,
}

/// A single activity, or a batch's results.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ActivityAnswer {
    One(ActivityOut),
    Batch(BatchOut),
}

/// A contact's score and the ledger lines that make it, newest first.
#[derive(Serialize, ToSchema)]
pub struct ScoreOut {
    pub total: i64,
    /// Points for who the contact is.
    pub fit: i64,
    /// Points for what the contact does.
    pub engagement: i64,
    pub lines: Vec<ScoreLineOut>,
}

/// One line of "why this score".
#[derive(Serialize, ToSchema)]
pub struct ScoreLineOut {
    pub points: i32,
    /// The rule's name when applied (or `workflow`, `manual`...).
    pub rule: String,
    pub reason: String,
    pub at: Ts,
    /// The activity id, or what else caused it (`workflow`, `decay`, ...).
    pub source: String,
    /// `fit` or `engagement`.
    #[schema(example = "engagement")]
    pub group: String,
}

impl From<svc::Explain> for ScoreOut {
    fn from(e: svc::Explain) -> Self {
        Self {
            total: e.total,
            fit: e.fit,
            engagement: e.engagement,
            lines: e
                .lines
                .into_iter()
                .map(|l| ScoreLineOut {
                    points: l.points,
                    rule: l.rule,
                    reason: l.reason,
                    at: l.at,
                    source: l.source,
                    group: l.group,
                })
                .collect(),
        }
    }
}

/// A scoring rule.
#[derive(Serialize, ToSchema)]
pub struct ScoringRuleOut {
    pub id: Uuid,
    pub name: String,
    pub on: RuleOnOut,
    pub points: i32,
    /// `"always"`, `"once"` or `{"every_days": N}`.
    #[schema(schema_with = frequency_schema)]
    pub frequency: Value,
    /// `fit` or `engagement`.
    #[schema(example = "engagement")]
    pub group: String,
    pub active: bool,
    /// Its place in the workspace's list.
    pub position: i32,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// The activities a rule scores.
#[derive(Serialize, ToSchema)]
pub struct RuleOnOut {
    /// The activity type, e.g. `page_view`.
    #[serde(rename = "type")]
    #[schema(example = "page_view")]
    pub kind: String,
    /// Values the activity's `data` must have, e.g. `{"path": "/pricing"}`.
    #[schema(schema_with = filter_schema)]
    pub filter: serde_json::Map<String, Value>,
}

impl From<&af_db::scoring::Rule> for ScoringRuleOut {
    fn from(r: &af_db::scoring::Rule) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            on: RuleOnOut {
                kind: r.on_type.clone(),
                filter: r.filter_map(),
            },
            points: r.points,
            frequency: r.frequency().to_json(),
            group: r.grp.clone(),
            active: r.active,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A threshold as a client sends it.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents the body the handler reads as JSON")]
pub struct ThresholdIn {
    #[schema(example = "Hot lead")]
    name: String,
    /// A contact enters at this score or above.
    #[schema(example = 50)]
    enter: i64,
    /// A contact leaves below this score (at most `enter`).
    #[schema(example = 40)]
    exit: i64,
}

/// A score threshold: contacts enter it at `enter` and leave it below `exit`.
#[derive(Serialize, ToSchema)]
pub struct ThresholdOut {
    pub id: Uuid,
    #[schema(example = "Hot lead")]
    pub name: String,
    #[schema(example = 50)]
    pub enter: i32,
    #[schema(example = 40)]
    pub exit: i32,
    pub created_at: Ts,
}

impl From<&af_db::scoring::Threshold> for ThresholdOut {
    fn from(t: &af_db::scoring::Threshold) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            enter: t.enter_score,
            exit: t.exit_score,
            created_at: t.created_at,
        }
    }
}

/// A recalculation of every contact's score.
#[derive(Serialize, ToSchema)]
pub struct RecalculationOut {
    pub id: Uuid,
    /// `queued`, `running` or `done`.
    #[schema(example = "running")]
    pub status: String,
    /// Contacts to go through.
    pub total: i32,
    /// Contacts gone through so far.
    pub processed: i32,
    /// Contacts whose total changed.
    pub changed: i32,
    /// Progress in whole percent.
    #[schema(example = 40)]
    pub percent: i32,
    pub created_at: Ts,
    pub finished_at: Option<Ts>,
}

impl From<&Recalculation> for RecalculationOut {
    fn from(r: &Recalculation) -> Self {
        Self {
            id: r.id,
            status: r.status.clone(),
            total: r.total,
            processed: r.processed,
            changed: r.changed,
            percent: r.percent(),
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::field(what, e.to_string()))
}

// ---------------------------------------------------------------- handlers

/// Record activities
///
/// One activity, or `{"activities": [...]}` with up to 1,000 of them and a result per item. A repeated `idempotency_key` records nothing new and answers the activity it recorded first.
#[utoipa::path(
    post,
    path = "/api/v1/activities",
    operation_id = "activities_create",
    tag = "Activities",
    request_body = ActivityBody,
    responses(
        (status = 201, description = "The new activity.", body = ActivityOut),
        (status = 200, description = "The activity a repeated idempotency key recorded; for a batch, one result per item.", body = ActivityAnswer),
        (status = 404, description = "No contact with that id in this workspace.", body = crate::api::openapi::schemas::ErrorBody),
    ),
)]
async fn post_activities(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let ws = &auth.workspace;
    let actor = auth.actor();
    if let Some(items) = body.get("activities") {
        let Value::Array(items) = items.clone() else {
            return Err(ApiError::field("activities", "must be a list"));
        };
        if items.is_empty() || items.len() > svc::MAX_BATCH {
            return Err(ApiError::field(
                "activities",
                format!("between 1 and {} activities", svc::MAX_BATCH),
            ));
        }
        let raws: Vec<RawActivity> = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| parse(v, &format!("activities[{i}]")))
            .collect::<Result<_, _>>()?;
        let results = svc::record_batch(&st.db, ws, &raws, &actor, st.now()).await?;
        let created = results
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|r| r.created))
            .count();
        let results = results.iter().map(BatchItemOut::from).collect();
        return Ok(Json(ActivityAnswer::Batch(BatchOut { results, created })).into_response());
    }
    let raw: RawActivity = parse(body, "body")?;
    let rec = svc::record(&st.db, ws, &raw, &actor, st.now()).await?;
    let status = if rec.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(ActivityOut::from(&rec.activity))).into_response())
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct PageQuery {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List a contact's activities
///
/// Newest first.
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}/activities",
    operation_id = "activities_list",
    tag = "Activities",
    params(("id" = Uuid, Path, description = "The contact's id."), PageQuery),
    responses((status = 200, description = "A page of activities.", body = Page<ActivityOut>)),
)]
async fn list_activities(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<ActivityOut>>, ApiError> {
    let ws = auth.workspace.id;
    let limit = page_limit(q.limit, 50)?;
    af_db::contacts::find_contact(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let page = af_db::scoring::list_activities(&st.db, ws, id, cursor, limit + 1).await?;
    let has_more = page.len() as i64 > limit;
    let page: Vec<Activity> = page.into_iter().take(limit as usize).collect();
    let next_cursor = if has_more {
        page.last().map(|a| encode_cursor(a.occurred_at, a.id))
    } else {
        None
    };
    let data = page.iter().map(ActivityOut::from).collect();
    Ok(Json(Page { data, next_cursor }))
}

/// Explain a contact's score
///
/// The total, fit and engagement scores and the ledger lines that make them, newest first (at most 200).
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}/score",
    operation_id = "contact_score_get",
    tag = "Scoring",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 200, description = "The score and its lines.", body = ScoreOut)),
)]
async fn contact_score(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<ScoreOut>, ApiError> {
    let out = svc::explain(&st.db, auth.workspace.id, id, 200)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(out.into()))
}

/// List scoring rules
///
/// In the workspace's order.
#[utoipa::path(
    get,
    path = "/api/v1/scoring/rules",
    operation_id = "scoring_rules_list",
    tag = "Scoring",
    responses((status = 200, description = "The rules.", body = Data<Vec<ScoringRuleOut>>)),
)]
async fn list_rules(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<ScoringRuleOut>>>, ApiError> {
    let rules = svc::list_rules(&st.db, auth.workspace.id).await?;
    let data = rules.iter().map(ScoringRuleOut::from).collect();
    Ok(Json(Data { data }))
}

/// Create a scoring rule
///
/// Added at the end of the list; applies to activities from now on.
#[utoipa::path(
    post,
    path = "/api/v1/scoring/rules",
    operation_id = "scoring_rules_create",
    tag = "Scoring",
    request_body = RawRule,
    responses((status = 201, description = "The new rule.", body = ScoringRuleOut)),
)]
async fn create_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let raw: RawRule = parse(body, "body")?;
    let rule = svc::create_rule(&st.db, auth.workspace.id, &raw, st.now()).await?;
    Ok((StatusCode::CREATED, Json(ScoringRuleOut::from(&rule))).into_response())
}

/// Change a scoring rule
///
/// The fields given replace the stored ones; applies to activities from now on.
#[utoipa::path(
    patch,
    path = "/api/v1/scoring/rules/{id}",
    operation_id = "scoring_rules_update",
    tag = "Scoring",
    params(("id" = Uuid, Path, description = "The rule's id.")),
    request_body = RawRule,
    responses((status = 200, description = "The rule.", body = ScoringRuleOut)),
)]
async fn patch_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ScoringRuleId>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ScoringRuleOut>, ApiError> {
    let Value::Object(patch) = body else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let rule = svc::update_rule(&st.db, auth.workspace.id, id, &patch, st.now()).await?;
    Ok(Json(ScoringRuleOut::from(&rule)))
}

/// Delete a scoring rule
///
/// Points it already gave stay in the ledger.
#[utoipa::path(
    delete,
    path = "/api/v1/scoring/rules/{id}",
    operation_id = "scoring_rules_delete",
    tag = "Scoring",
    params(("id" = Uuid, Path, description = "The rule's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_rule(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ScoringRuleId>,
) -> Result<StatusCode, ApiError> {
    svc::delete_rule(&st.db, auth.workspace.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List score thresholds
#[utoipa::path(
    get,
    path = "/api/v1/scoring/thresholds",
    operation_id = "scoring_thresholds_list",
    tag = "Scoring",
    responses((status = 200, description = "The thresholds.", body = Data<Vec<ThresholdOut>>)),
)]
async fn list_thresholds(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Data<Vec<ThresholdOut>>>, ApiError> {
    let list = svc::list_thresholds(&st.db, auth.workspace.id).await?;
    let data = list.iter().map(ThresholdOut::from).collect();
    Ok(Json(Data { data }))
}

/// Create a score threshold
///
/// Contacts already above it enter through a background job.
#[utoipa::path(
    post,
    path = "/api/v1/scoring/thresholds",
    operation_id = "scoring_thresholds_create",
    tag = "Scoring",
    request_body = ThresholdIn,
    responses((status = 201, description = "The new threshold.", body = ThresholdOut)),
)]
async fn create_threshold(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let raw: RawThreshold = parse(body, "body")?;
    let t = svc::create_threshold(&st.db, auth.workspace.id, &raw, st.now()).await?;
    Ok((StatusCode::CREATED, Json(ThresholdOut::from(&t))).into_response())
}

/// Recalculate every score
///
/// Starts a run in the background (`Location` points at it); while a run is queued or running, answers that run instead.
#[utoipa::path(
    post,
    path = "/api/v1/scoring/recalculate",
    operation_id = "scoring_recalculate",
    tag = "Scoring",
    responses(
        (status = 202, description = "Started.", body = RecalculationOut,
            headers(("Location" = String, description = "The run's address."))),
        (status = 200, description = "A run was already queued or running: that run.", body = RecalculationOut,
            headers(("Location" = String, description = "The run's address."))),
    ),
)]
async fn recalculate(State(st): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    let (run, started) =
        svc::start_recalculation(&st.db, auth.workspace.id, None, st.now()).await?;
    let status = if started {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/scoring/recalculations/{}", run.id);
    Ok((
        status,
        [(axum::http::header::LOCATION, location)],
        Json(RecalculationOut::from(&run)),
    )
        .into_response())
}

/// Get a recalculation
///
/// Its status and progress.
#[utoipa::path(
    get,
    path = "/api/v1/scoring/recalculations/{id}",
    operation_id = "scoring_recalculations_get",
    tag = "Scoring",
    params(("id" = Uuid, Path, description = "The run's id.")),
    responses((status = 200, description = "The run.", body = RecalculationOut)),
)]
async fn show_recalculation(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<Uuid>,
) -> Result<Json<RecalculationOut>, ApiError> {
    let run = svc::find_recalculation(&st.db, auth.workspace.id, id).await?;
    Ok(Json(RecalculationOut::from(&run)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        post_activities,
        list_activities,
        contact_score,
        list_rules,
        create_rule,
        patch_rule,
        delete_rule,
        list_thresholds,
        create_threshold,
        recalculate,
        show_recalculation,
    ),
    tags(
        (name = "Activities", description = "What contacts do, recorded by other systems: page views, purchases, replies... Scoring rules give points for them."),
        (name = "Scoring", description = "Lead scoring: rules that give points for activities, thresholds contacts enter and leave, and each contact's explained score."),
    ),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "No contact with that id in this workspace.",
        "No hay ningún contacto con ese id en este espacio.",
    ),
    (
        "What the activity carries, as sent.",
        "Lo que trae la actividad, tal como se envió.",
    ),
    ("Activities", "Actividades"),
    (
        "What contacts do, recorded by other systems: page views, purchases, replies... Scoring rules give points for them.",
        "Lo que hacen los contactos, registrado por otros sistemas: visitas a páginas, compras, respuestas... Las reglas de puntuación les dan puntos.",
    ),
    ("Scoring", "Puntuación"),
    (
        "Lead scoring: rules that give points for activities, thresholds contacts enter and leave, and each contact's explained score.",
        "Puntuación de leads: reglas que dan puntos por actividades, umbrales en los que los contactos entran y salen, y la puntuación explicada de cada contacto.",
    ),
    (
        "An activity as a client sends it.",
        "Una actividad tal como la envía un cliente.",
    ),
    (
        "The contact's id; or identify the contact by `email` / `phone` (created when unknown).",
        "El id del contacto; o identifica al contacto por `email` / `phone` (se crea si no existe).",
    ),
    (
        "The activity type: 1 to 64 lowercase letters, digits, `_` or `.`.",
        "El tipo de actividad: de 1 a 64 letras minúsculas, dígitos, `_` o `.`.",
    ),
    (
        "When it happened; default now.",
        "Cuándo ocurrió; por omisión, ahora.",
    ),
    (
        "A JSON object about it; a `purchase` carries `amount` in minor units and `currency`.",
        "Un objeto JSON que la describe; una `purchase` lleva `amount` en unidades menores y `currency`.",
    ),
    (
        "A repeated key records nothing new and answers the first activity.",
        "Una clave repetida no registra nada nuevo y responde la primera actividad.",
    ),
    (
        "Where it came from (default `api`).",
        "De dónde vino (por omisión, `api`).",
    ),
    (
        "Up to 1,000 activities at once.",
        "Hasta 1,000 actividades a la vez.",
    ),
    ("One activity, or a batch.", "Una actividad, o un lote."),
    ("A recorded activity.", "Una actividad registrada."),
    (
        "One item's answer in a batch: its status and the activity or the error.",
        "La respuesta de un elemento de un lote: su estado y la actividad o el error.",
    ),
    (
        "201 new, 200 repeated idempotency key, 404 unknown contact, 422 invalid, 500 failed.",
        "201 nueva, 200 clave de idempotencia repetida, 404 contacto desconocido, 422 no válida, 500 falló.",
    ),
    (
        "A batch's answer: one result per item, in order.",
        "La respuesta de un lote: un resultado por elemento, en orden.",
    ),
    (
        "How many activities were new.",
        "Cuántas actividades eran nuevas.",
    ),
    (
        "A single activity, or a batch's results.",
        "Una sola actividad, o los resultados de un lote.",
    ),
    (
        "A contact's score and the ledger lines that make it, newest first.",
        "La puntuación de un contacto y las líneas del registro que la forman, lo más reciente primero.",
    ),
    (
        "Points for who the contact is.",
        "Puntos por quién es el contacto.",
    ),
    (
        "Points for what the contact does.",
        "Puntos por lo que hace el contacto.",
    ),
    (
        "One line of \"why this score\".",
        "Una línea de \"por qué esta puntuación\".",
    ),
    (
        "The rule's name when applied (or `workflow`, `manual`...).",
        "El nombre de la regla al aplicarse (o `workflow`, `manual`...).",
    ),
    (
        "The activity id, or what else caused it (`workflow`, `decay`, ...).",
        "El id de la actividad, o qué más la causó (`workflow`, `decay`, ...).",
    ),
    ("`fit` or `engagement`.", "`fit` o `engagement`."),
    ("A scoring rule.", "Una regla de puntuación."),
    (
        "`\"always\"`, `\"once\"` or `{\"every_days\": N}`.",
        "`\"always\"`, `\"once\"` o `{\"every_days\": N}`.",
    ),
    (
        "Its place in the workspace's list.",
        "Su lugar en la lista del espacio.",
    ),
    (
        "The activities a rule scores.",
        "Las actividades que puntúa una regla.",
    ),
    (
        "The activity type, e.g. `page_view`.",
        "El tipo de actividad, p. ej. `page_view`.",
    ),
    (
        "Values the activity's `data` must have, e.g. `{\"path\": \"/pricing\"}`.",
        "Valores que debe tener el `data` de la actividad, p. ej. `{\"path\": \"/pricing\"}`.",
    ),
    (
        "A threshold as a client sends it.",
        "Un umbral tal como lo envía un cliente.",
    ),
    (
        "A contact enters at this score or above.",
        "Un contacto entra con esta puntuación o más.",
    ),
    (
        "A contact leaves below this score (at most `enter`).",
        "Un contacto sale por debajo de esta puntuación (como máximo `enter`).",
    ),
    (
        "A score threshold: contacts enter it at `enter` and leave it below `exit`.",
        "Un umbral de puntuación: los contactos entran en `enter` y salen por debajo de `exit`.",
    ),
    (
        "A recalculation of every contact's score.",
        "Un recálculo de la puntuación de todos los contactos.",
    ),
    (
        "`queued`, `running` or `done`.",
        "`queued`, `running` o `done`.",
    ),
    ("Contacts to go through.", "Contactos por recorrer."),
    (
        "Contacts gone through so far.",
        "Contactos recorridos hasta ahora.",
    ),
    (
        "Contacts whose total changed.",
        "Contactos cuyo total cambió.",
    ),
    ("Progress in whole percent.", "Avance en porcentaje entero."),
    (
        "A rule as a client writes it (`POST /api/v1/scoring/rules`).",
        "Una regla tal como la escribe un cliente (`POST /api/v1/scoring/rules`).",
    ),
    ("1 to 120 characters.", "De 1 a 120 caracteres."),
    (
        "A non-zero whole number from -10000 to 10000.",
        "Un número entero distinto de cero, de -10000 a 10000.",
    ),
    (
        "`\"always\"` (default), `\"once\"` or `{\"every_days\": N}`.",
        "`\"always\"` (por omisión), `\"once\"` o `{\"every_days\": N}`.",
    ),
    (
        "`fit` or `engagement` (default).",
        "`fit` o `engagement` (por omisión).",
    ),
    ("Record activities", "Registrar actividades"),
    (
        "One activity, or `{\"activities\": [...]}` with up to 1,000 of them and a result per item. A repeated `idempotency_key` records nothing new and answers the activity it recorded first.",
        "Una actividad, o `{\"activities\": [...]}` con hasta 1,000 de ellas y un resultado por elemento. Una `idempotency_key` repetida no registra nada nuevo y responde la actividad que registró primero.",
    ),
    ("The new activity.", "La actividad nueva."),
    (
        "The activity a repeated idempotency key recorded; for a batch, one result per item.",
        "La actividad que registró una clave de idempotencia repetida; en un lote, un resultado por elemento.",
    ),
    (
        "List a contact's activities",
        "Listar las actividades de un contacto",
    ),
    ("Newest first.", "Lo más reciente primero."),
    ("The contact's id.", "El id del contacto."),
    ("A page of activities.", "Una página de actividades."),
    (
        "Explain a contact's score",
        "Explicar la puntuación de un contacto",
    ),
    (
        "The total, fit and engagement scores and the ledger lines that make them, newest first (at most 200).",
        "Las puntuaciones total, de perfil (fit) y de interacción (engagement) y las líneas del registro que las forman, lo más reciente primero (como máximo 200).",
    ),
    ("The score and its lines.", "La puntuación y sus líneas."),
    ("List scoring rules", "Listar reglas de puntuación"),
    ("In the workspace's order.", "En el orden del espacio."),
    ("The rules.", "Las reglas."),
    ("Create a scoring rule", "Crear una regla de puntuación"),
    (
        "Added at the end of the list; applies to activities from now on.",
        "Se agrega al final de la lista; aplica a las actividades de ahora en adelante.",
    ),
    ("The new rule.", "La regla nueva."),
    ("Change a scoring rule", "Cambiar una regla de puntuación"),
    (
        "The fields given replace the stored ones; applies to activities from now on.",
        "Los campos enviados reemplazan a los guardados; aplica a las actividades de ahora en adelante.",
    ),
    ("The rule's id.", "El id de la regla."),
    ("The rule.", "La regla."),
    ("Delete a scoring rule", "Eliminar una regla de puntuación"),
    (
        "Points it already gave stay in the ledger.",
        "Los puntos que ya dio se quedan en el registro.",
    ),
    ("List score thresholds", "Listar umbrales de puntuación"),
    ("The thresholds.", "Los umbrales."),
    ("Create a score threshold", "Crear un umbral de puntuación"),
    (
        "Contacts already above it enter through a background job.",
        "Los contactos que ya lo superan entran mediante una tarea en segundo plano.",
    ),
    ("The new threshold.", "El umbral nuevo."),
    (
        "Recalculate every score",
        "Recalcular todas las puntuaciones",
    ),
    (
        "Starts a run in the background (`Location` points at it); while a run is queued or running, answers that run instead.",
        "Inicia un recálculo en segundo plano (`Location` apunta a él); mientras haya uno en cola o en curso, responde ese.",
    ),
    ("Started.", "Iniciado."),
    ("The run's address.", "La dirección del recálculo."),
    (
        "A run was already queued or running: that run.",
        "Ya había un recálculo en cola o en curso: ese recálculo.",
    ),
    ("Get a recalculation", "Obtener un recálculo"),
    ("Its status and progress.", "Su estado y su avance."),
    ("The run's id.", "El id del recálculo."),
    ("The run.", "El recálculo."),
];
