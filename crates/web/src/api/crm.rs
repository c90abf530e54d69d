//! JSON API for contacts, pipelines and deals (`/api/v1/...`). Contract in
//! issue 3 and the OpenAPI document; errors are
//! `{"error": {"code", "message", "fields"?}}`, another workspace's id is 404.

use super::openapi::schemas::Page;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::contact_input::{ContactError, RawContact};
use af_core::{ContactId, DealId, PipelineId, StageId, UserId};
use af_db::contacts::{self, Contact, ContactFilter, ContactPatch, Cursor};
use af_db::deals::{self, Deal, DealFilter, Placement};
use af_db::{DbError, Ts, custom_fields, events, pipelines};
use af_service::deals::{DealContact, DealError, DealProblem, NewDealRequest};
use af_service::intake::IntakeError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/contacts", get(list_contacts).post(create_contact))
        .route(
            "/api/v1/contacts/{id}",
            get(get_contact).patch(patch_contact).delete(delete_contact),
        )
        .route("/api/v1/contacts/{id}/timeline", get(contact_timeline))
        .route("/api/v1/pipelines", get(list_pipelines))
        .route("/api/v1/deals", get(list_deals).post(create_deal))
        .route("/api/v1/deals/{id}", get(get_deal).patch(patch_deal))
}

fn not_found_or(e: DbError) -> ApiError {
    match e {
        DbError::NotFound(_) => ApiError::NotFound,
        e => e.into(),
    }
}

/// A contact with its tags, custom fields and attribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: ContactId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// E.164, normalised with the workspace's country.
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    /// The member who owns the contact.
    pub owner_id: Option<Uuid>,
    /// lead, prospect, customer or other.
    #[schema(example = "lead")]
    pub lifecycle: String,
    pub score: i32,
    /// True when the contact unsubscribed from marketing email.
    pub email_unsubscribed: bool,
    /// True when the contact answered STOP to SMS or WhatsApp.
    pub sms_opted_out: bool,
    pub tags: Vec<String>,
    /// Custom field values by key.
    #[schema(value_type = Object, example = json!({"plan": "anual"}))]
    pub custom: Map<String, Value>,
    pub attribution: AttributionOut,
    pub last_activity_at: Ts,
    pub created_at: Ts,
    pub updated_at: Ts,
}

/// Where the contact came from: the first and the latest touch.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributionOut {
    pub first: TouchOut,
    pub last: TouchOut,
}

/// One touch: its UTM parameters, referrer and landing page.
#[derive(Debug, Serialize, ToSchema)]
pub struct TouchOut {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub at: Option<Ts>,
}

impl ContactOut {
    pub fn new(c: &Contact, tags: Vec<String>) -> Self {
        Self {
            id: c.id,
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            company: c.company.clone(),
            source: c.source.clone(),
            owner_id: c.owner_id,
            lifecycle: c.lifecycle.clone(),
            score: c.score,
            email_unsubscribed: c.email_unsubscribed,
            sms_opted_out: c.sms_opted_out,
            tags,
            custom: c.custom_map(),
            attribution: AttributionOut {
                first: TouchOut {
                    utm_source: c.first_utm_source.clone(),
                    utm_medium: c.first_utm_medium.clone(),
                    utm_campaign: c.first_utm_campaign.clone(),
                    utm_term: c.first_utm_term.clone(),
                    utm_content: c.first_utm_content.clone(),
                    referrer: c.first_referrer.clone(),
                    landing_page: c.first_landing_page.clone(),
                    at: c.first_touch_at,
                },
                last: TouchOut {
                    utm_source: c.last_utm_source.clone(),
                    utm_medium: c.last_utm_medium.clone(),
                    utm_campaign: c.last_utm_campaign.clone(),
                    utm_term: c.last_utm_term.clone(),
                    utm_content: c.last_utm_content.clone(),
                    referrer: c.last_referrer.clone(),
                    landing_page: c.last_landing_page.clone(),
                    at: c.last_touch_at,
                },
            },
            last_activity_at: c.last_activity_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The contact as the API shows it: fields, tags and attribution.
pub async fn contact_out(
    st: &AppState,
    ws: af_core::WorkspaceId,
    c: &Contact,
) -> Result<ContactOut, ApiError> {
    let tags: Vec<String> = contacts::tags_of(&st.db, ws, &[c.id])
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    Ok(ContactOut::new(c, tags))
}

/// Create or update a contact
///
/// Creates the contact (201), or updates the one with the same email, else
/// the same phone (200): sending the same person twice never makes two.
#[utoipa::path(
    post,
    path = "/api/v1/contacts",
    operation_id = "contacts_create",
    tag = "Contacts",
    request_body = RawContact,
    responses(
        (status = 201, description = "Created.", body = ContactOut),
        (status = 200, description = "An existing contact, updated.", body = ContactOut),
    ),
)]
async fn create_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(raw): ApiJson<RawContact>,
) -> Result<Response, ApiError> {
    let ws = &auth.workspace;
    let defs = custom_fields::list_fields(&st.db, ws.id).await?;
    let out = af_service::intake::create_contact(&st.db, ws, &defs, &raw, &auth.actor(), st.now())
        .await
        .map_err(|e| match e {
            IntakeError::Invalid(errors) => ApiError::Invalid(contact_fields(&errors)),
            e @ IntakeError::Taken(_) => ApiError::field("email", e.to_string()),
            IntakeError::Db(e) => e.into(),
        })?;
    let status = if out.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(contact_out(&st, ws.id, &out.contact).await?)).into_response())
}

/// Contact errors as API field errors.
fn contact_fields(errors: &[ContactError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.field.as_str().into_owned(), e.message.clone()))
        .collect()
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Search in name, email, phone and company.
    q: Option<String>,
    /// Only contacts with this tag.
    tag: Option<String>,
    /// Only contacts from this source.
    source: Option<String>,
    /// Only contacts with a deal in this stage.
    stage_id: Option<Uuid>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A contact in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactSummary {
    pub id: ContactId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    pub score: i32,
    #[schema(example = "lead")]
    pub lifecycle: String,
    pub tags: Vec<String>,
    pub created_at: Ts,
}

/// List contacts
///
/// Newest first, filtered and paged.
#[utoipa::path(
    get,
    path = "/api/v1/contacts",
    operation_id = "contacts_list",
    tag = "Contacts",
    params(ListQuery),
    responses((status = 200, description = "One page of contacts.", body = Page<ContactSummary>)),
)]
async fn list_contacts(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<ContactSummary>>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let cursor = q
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .map(|(created_at, id)| Cursor { created_at, id });
    let filter = ContactFilter {
        q: q.q,
        tag: q.tag,
        source: q.source,
        stage_id: q.stage_id,
        ..Default::default()
    };
    let ws = auth.workspace.id;
    let page = contacts::list_contacts(&st.db, ws, &filter, cursor, limit + 1).await?;
    let has_more = page.len() as i64 > limit;
    let page: Vec<Contact> = page.into_iter().take(limit as usize).collect();
    let next = if has_more {
        page.last().map(|c| encode_cursor(c.created_at, c.id.0))
    } else {
        None
    };
    let ids: Vec<ContactId> = page.iter().map(|c| c.id).collect();
    let tags = contacts::tags_of(&st.db, ws, &ids).await?;
    let data = page
        .iter()
        .map(|c| ContactSummary {
            id: c.id,
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            company: c.company.clone(),
            source: c.source.clone(),
            score: c.score,
            lifecycle: c.lifecycle.clone(),
            tags: tags
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, t)| t.clone())
                .collect(),
            created_at: c.created_at,
        })
        .collect();
    Ok(Json(Page {
        data,
        next_cursor: next,
    }))
}

/// Get a contact
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}",
    operation_id = "contacts_get",
    tag = "Contacts",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 200, description = "The contact.", body = ContactOut)),
)]
async fn get_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<ContactOut>, ApiError> {
    let c = contacts::find_contact(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(contact_out(&st, auth.workspace.id, &c).await?))
}

/// Changes to a contact: an absent field is unchanged, `null` clears it.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default, deny_unknown_fields)]
struct RawPatch {
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(with = "double_option")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(with = "double_option")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(with = "double_option")]
    #[schema(value_type = Option<String>)]
    company: Option<Option<String>>,
    #[serde(with = "double_option")]
    #[schema(value_type = Option<String>)]
    source: Option<Option<String>>,
    /// A member of the workspace, or null for nobody.
    #[serde(with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    owner_id: Option<Option<Uuid>>,
    /// lead, prospect, customer or other.
    #[schema(example = "customer")]
    lifecycle: Option<String>,
    email_unsubscribed: Option<bool>,
    sms_opted_out: Option<bool>,
    /// Custom field values to set, by key.
    #[schema(value_type = Object, example = json!({"plan": "anual"}))]
    custom: serde_json::Map<String, serde_json::Value>,
    /// Tags to add by name.
    add_tags: Vec<String>,
    /// Tags to remove by name.
    remove_tags: Vec<String>,
}

/// Distinguishes an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// Update a contact
///
/// Changes only the fields sent; tags are added and removed by name. Each
/// change is recorded on the contact's timeline.
#[utoipa::path(
    patch,
    path = "/api/v1/contacts/{id}",
    operation_id = "contacts_update",
    tag = "Contacts",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    request_body = RawPatch,
    responses((status = 200, description = "The contact as it is now.", body = ContactOut)),
)]
async fn patch_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiJson(raw): ApiJson<RawPatch>,
) -> Result<Json<ContactOut>, ApiError> {
    let ws = &auth.workspace;
    contacts::find_contact(&st.db, ws.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut errors = Vec::new();
    let name = |v: Option<String>, field: &str, errors: &mut Vec<(String, String)>| {
        v.map(|s| s.trim().to_string()).filter(|s| {
            let ok = s.chars().count() <= 100;
            if !ok {
                errors.push((
                    field.to_string(),
                    format!("{field} is longer than 100 characters"),
                ));
            }
            ok
        })
    };
    let first_name = name(raw.first_name, "first_name", &mut errors);
    let last_name = name(raw.last_name, "last_name", &mut errors);
    let email = match raw.email {
        Some(Some(e)) if !e.trim().is_empty() => match af_core::validate::email(&e) {
            Ok(e) => Some(Some(e)),
            Err(m) => {
                errors.push(("email".into(), m));
                None
            }
        },
        Some(_) => Some(None),
        None => None,
    };
    let phone = match raw.phone {
        Some(Some(p)) if !p.trim().is_empty() => {
            match af_core::contact::normalize_phone(&p, &ws.country) {
                Ok(p) => Some(Some(p)),
                Err(m) => {
                    errors.push(("phone".into(), m));
                    None
                }
            }
        }
        Some(_) => Some(None),
        None => None,
    };
    let lifecycle = match raw.lifecycle {
        Some(l) => match af_core::contact::lifecycle(&l) {
            Ok(l) => Some(l),
            Err(m) => {
                errors.push(("lifecycle".into(), m));
                None
            }
        },
        None => None,
    };
    let owner_id = match raw.owner_id {
        Some(Some(u)) => {
            let role = af_db::workspaces::find_membership_role(&st.db, ws.id, UserId(u)).await?;
            if role.is_none() {
                errors.push((
                    "owner_id".into(),
                    "owner_id is not a member of this workspace".into(),
                ));
            }
            Some(Some(UserId(u)))
        }
        Some(None) => Some(None),
        None => None,
    };
    let defs = custom_fields::list_fields(&st.db, ws.id).await?;
    let custom = custom_fields::validate_values(&defs, &raw.custom).unwrap_or_else(|errs| {
        errors.extend(errs.into_iter().map(|(k, m)| (format!("custom.{k}"), m)));
        serde_json::Map::new()
    });
    let mut add_tags = Vec::new();
    for t in raw.add_tags.iter().chain(raw.remove_tags.iter()) {
        if let Err(m) = af_core::contact::tag_name(t) {
            errors.push(("tags".into(), m));
        }
    }
    add_tags.extend(
        raw.add_tags
            .iter()
            .filter_map(|t| af_core::contact::tag_name(t).ok()),
    );
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let text = |v: Option<Option<String>>| {
        v.map(|o| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
    };
    let patch = ContactPatch {
        first_name,
        last_name,
        email,
        phone,
        company: text(raw.company),
        source: text(raw.source),
        owner_id,
        lifecycle,
        email_unsubscribed: raw.email_unsubscribed,
        sms_opted_out: raw.sms_opted_out,
        custom,
        ..Default::default()
    };
    let now = st.now();
    let actor = auth.actor();
    let mut tx = st.db.begin().await?;
    let updated = match contacts::update_contact(&mut tx, ws.id, id, &patch, &actor, now).await {
        Ok(c) => c,
        Err(e) if e.unique_violation().is_some() => {
            return Err(ApiError::field(
                "email",
                "another contact already has this email or phone",
            ));
        }
        Err(e) => return Err(not_found_or(e)),
    };
    for t in &add_tags {
        contacts::add_tag(&mut tx, ws.id, id, t, &actor, now).await?;
    }
    for t in &raw.remove_tags {
        contacts::remove_tag(&mut tx, ws.id, id, t, &actor, now).await?;
    }
    tx.commit().await?;
    Ok(Json(contact_out(&st, ws.id, &updated).await?))
}

/// Delete a contact
///
/// Deletes the contact with its deals, tasks and notes.
#[utoipa::path(
    delete,
    path = "/api/v1/contacts/{id}",
    operation_id = "contacts_delete",
    tag = "Contacts",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 204, description = "Deleted.")),
)]
async fn delete_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<StatusCode, ApiError> {
    let mut tx = st.db.begin().await?;
    contacts::delete_contact(&mut tx, auth.workspace.id, id, &auth.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Something that happened, as the timeline and the event feed show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub id: Uuid,
    /// What happened: `contact.created`, `deal.stage_changed`, `message.sent`…
    #[schema(example = "contact.created")]
    pub kind: String,
    /// contact, deal, workflow…
    #[schema(example = "contact")]
    pub entity_type: String,
    pub entity_id: Option<String>,
    /// user, api_key, system or automation.
    #[schema(example = "user")]
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// The event's details (old and new values, the message, the stage…).
    #[schema(value_type = Object)]
    pub data: Value,
    pub occurred_at: Ts,
}

impl From<events::Event> for EventOut {
    fn from(e: events::Event) -> Self {
        Self {
            id: e.id,
            data: serde_json::from_str(&e.data).unwrap_or(Value::Null),
            kind: e.kind,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            actor_type: e.actor_type,
            actor_id: e.actor_id,
            occurred_at: e.occurred_at,
        }
    }
}

/// Events of a contact's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineOut {
    pub data: Vec<EventOut>,
}

/// A contact's timeline
///
/// The contact's and its deals' events, newest first (the latest 500).
#[utoipa::path(
    get,
    path = "/api/v1/contacts/{id}/timeline",
    operation_id = "contacts_timeline",
    tag = "Contacts",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 200, description = "The events.", body = TimelineOut)),
)]
async fn contact_timeline(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<TimelineOut>, ApiError> {
    let ws = auth.workspace.id;
    contacts::find_contact(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let deal_ids: Vec<String> = deals::list_deals(
        &st.db,
        ws,
        &DealFilter {
            contact_id: Some(id.0),
            ..Default::default()
        },
        1000,
    )
    .await?
    .into_iter()
    .map(|d| d.id.to_string())
    .collect();
    let evs = events::list_entity_events(&st.db, ws, &id.to_string(), &deal_ids, 500).await?;
    Ok(Json(TimelineOut {
        data: evs.into_iter().map(EventOut::from).collect(),
    }))
}

/// A pipeline with its stages in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct PipelineOut {
    pub id: PipelineId,
    pub name: String,
    pub position: i32,
    /// Where new leads go when nothing else says.
    pub is_default: bool,
    pub stages: Vec<StageOut>,
}

/// A stage of a pipeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageOut {
    pub id: StageId,
    pub pipeline_id: PipelineId,
    pub name: String,
    pub position: i32,
    /// open, won or lost.
    #[schema(example = "open")]
    pub kind: String,
    /// Deals move here when their contact books an appointment.
    pub is_booked: bool,
}

/// List pipelines
///
/// Each pipeline with its stages in order.
#[utoipa::path(
    get,
    path = "/api/v1/pipelines",
    operation_id = "pipelines_list",
    tag = "Pipelines",
    responses((status = 200, description = "The pipelines.", body = Vec<PipelineOut>)),
)]
async fn list_pipelines(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<Vec<PipelineOut>>, ApiError> {
    let all = pipelines::list_pipelines(&st.db, auth.workspace.id).await?;
    Ok(Json(
        all.into_iter()
            .map(|p| PipelineOut {
                id: p.pipeline.id,
                name: p.pipeline.name,
                position: p.pipeline.position,
                is_default: p.pipeline.is_default,
                stages: p
                    .stages
                    .into_iter()
                    .map(|s| StageOut {
                        id: s.id,
                        pipeline_id: s.pipeline_id,
                        name: s.name,
                        position: s.position,
                        kind: s.kind,
                        is_booked: s.is_booked,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// A deal: a contact's opportunity in a pipeline stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealOut {
    pub id: DealId,
    pub contact_id: ContactId,
    pub pipeline_id: PipelineId,
    pub stage_id: StageId,
    pub title: String,
    /// The amount in minor units (cents).
    pub value: i64,
    /// ISO 4217 currency of the amount.
    pub currency: String,
    pub owner_id: Option<Uuid>,
    pub stage_entered_at: Ts,
    pub created_at: Ts,
    pub updated_at: Ts,
}

impl From<&Deal> for DealOut {
    fn from(d: &Deal) -> Self {
        Self {
            id: d.id,
            contact_id: d.contact_id,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            title: d.title.clone(),
            value: d.value_minor,
            currency: d.currency.clone(),
            owner_id: d.owner_id,
            stage_entered_at: d.stage_entered_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

/// Deals of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct DealList {
    pub data: Vec<DealOut>,
}

#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct DealQuery {
    /// Only deals of this pipeline.
    pipeline_id: Option<Uuid>,
    /// Only deals in this stage.
    stage_id: Option<Uuid>,
    /// Only deals of this contact.
    contact_id: Option<Uuid>,
    /// How many deals, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// List deals
///
/// Deals filtered by pipeline, stage or contact.
#[utoipa::path(
    get,
    path = "/api/v1/deals",
    operation_id = "deals_list",
    tag = "Deals",
    params(DealQuery),
    responses((status = 200, description = "The deals.", body = DealList)),
)]
async fn list_deals(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<DealQuery>,
) -> Result<Json<DealList>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::field("limit", "limit must be between 1 and 1000"));
    }
    let f = DealFilter {
        pipeline_id: q.pipeline_id,
        stage_id: q.stage_id,
        contact_id: q.contact_id,
    };
    let all = deals::list_deals(&st.db, auth.workspace.id, &f, limit).await?;
    Ok(Json(DealList {
        data: all.iter().map(DealOut::from).collect(),
    }))
}

/// A new deal for an existing contact.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RawDeal {
    contact_id: Uuid,
    /// The workspace's default pipeline when absent.
    pipeline_id: Option<Uuid>,
    /// The pipeline's first stage when absent.
    stage_id: Option<Uuid>,
    title: String,
    // Integer minor units (cents); kept as JSON so a float or an
    // out-of-range number is a field error, not a parser message.
    /// The amount in minor units (cents).
    #[serde(default)]
    #[schema(value_type = Option<i64>, example = 150000)]
    value: Option<serde_json::Value>,
    /// ISO 4217; the workspace's currency when absent.
    #[serde(default)]
    currency: Option<String>,
}

/// Create a deal
#[utoipa::path(
    post,
    path = "/api/v1/deals",
    operation_id = "deals_create",
    tag = "Deals",
    request_body = RawDeal,
    responses((status = 201, description = "Created.", body = DealOut)),
)]
async fn create_deal(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiJson(raw): ApiJson<RawDeal>,
) -> Result<Response, ApiError> {
    let ws = &auth.workspace;
    // The amount's JSON form is this door's; the rest are the deal's rules.
    let (value, value_error) = match raw.value.as_ref() {
        None => (0, None),
        Some(v) => match af_core::money::minor_from_json(v) {
            Ok(v) => (v, None),
            Err(m) => (0, Some(("value".to_string(), format!("value {m}")))),
        },
    };
    let req = NewDealRequest {
        contact: DealContact::Existing(ContactId(raw.contact_id)),
        pipeline_id: raw.pipeline_id.map(PipelineId),
        stage_id: raw.stage_id.map(StageId),
        title: raw.title,
        value_minor: value,
        currency: raw.currency,
        owner_id: None,
    };
    let mut errors: Vec<(String, String)> = value_error.into_iter().collect();
    if let Err(problems) = af_service::deals::check(&req, ws) {
        errors.extend(problems.into_iter().flat_map(deal_fields));
    }
    if !errors.is_empty() {
        errors.sort_by_key(|(f, _)| ["title", "value", "currency"].iter().position(|k| k == f));
        return Err(ApiError::Invalid(errors));
    }
    let deal = af_service::deals::create_deal(&st.db, ws, &req, &auth.actor(), st.now())
        .await
        .map_err(|e| match e {
            DealError::Invalid(problems) => {
                ApiError::Invalid(problems.into_iter().flat_map(deal_fields).collect())
            }
            DealError::NotFound(what) => {
                ApiError::field(field_of(what), format!("no such {what} in this workspace"))
            }
            e @ DealError::ContactTaken => ApiError::field("contact", e.to_string()),
            DealError::Db(e) => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(DealOut::from(&deal))).into_response())
}

/// A refused part of a deal as API field errors.
fn deal_fields(p: DealProblem) -> Vec<(String, String)> {
    match p {
        DealProblem::Title(m) => vec![("title".into(), m)],
        DealProblem::Value(m) => vec![("value".into(), m)],
        DealProblem::Currency(m) => vec![("currency".into(), m)],
        DealProblem::Contact(errors) => contact_fields(&errors),
    }
}

fn field_of(what: &str) -> &'static str {
    if what.starts_with("contact") {
        "contact_id"
    } else if what.starts_with("pipeline") {
        "pipeline_id"
    } else {
        "stage_id"
    }
}

/// Get a deal
#[utoipa::path(
    get,
    path = "/api/v1/deals/{id}",
    operation_id = "deals_get",
    tag = "Deals",
    params(("id" = Uuid, Path, description = "The deal's id.")),
    responses((status = 200, description = "The deal.", body = DealOut)),
)]
async fn get_deal(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<DealId>,
) -> Result<Json<DealOut>, ApiError> {
    let d = deals::find_deal(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(DealOut::from(&d)))
}

/// Where to move a deal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RawDealPatch {
    /// A stage of the deal's pipeline.
    stage_id: Uuid,
}

/// Move a deal
///
/// Moves the deal to the top of a stage of its pipeline, as a drag on the
/// board does, and fires `deal.stage_changed`.
#[utoipa::path(
    patch,
    path = "/api/v1/deals/{id}",
    operation_id = "deals_update",
    tag = "Deals",
    params(("id" = Uuid, Path, description = "The deal's id.")),
    request_body = RawDealPatch,
    responses((status = 200, description = "The deal in its new stage.", body = DealOut)),
)]
async fn patch_deal(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<DealId>,
    ApiJson(raw): ApiJson<RawDealPatch>,
) -> Result<Json<DealOut>, ApiError> {
    let ws = auth.workspace.id;
    deals::find_deal(&st.db, ws, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut tx = st.db.begin().await?;
    let moved = match deals::move_deal(
        &mut tx,
        ws,
        id,
        StageId(raw.stage_id),
        Placement::default(),
        &auth.actor(),
        st.now(),
    )
    .await
    {
        Ok(m) => m,
        Err(DbError::NotFound(_)) => {
            return Err(ApiError::field(
                "stage_id",
                "no such stage in this deal's pipeline",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(Json(DealOut::from(&moved.deal)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_contacts,
        create_contact,
        get_contact,
        patch_contact,
        delete_contact,
        contact_timeline,
        list_pipelines,
        list_deals,
        create_deal,
        get_deal,
        patch_deal,
    ),
    tags(
        (name = "Contacts", description = "People: leads, prospects and customers, with their tags, custom fields, consent and attribution."),
        (name = "Pipelines", description = "Sales pipelines and their stages."),
        (name = "Deals", description = "Opportunities of contacts moving through a pipeline's stages."),
    ),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A contact as a door received it, before validation. This is also the\nREST API's request body, so unknown fields are refused (a typo is\nreported instead of silently dropped).",
        "Un contacto tal como llega, antes de validarlo. Los campos desconocidos se rechazan: una errata se informa en lugar de perderse en silencio.",
    ),
    ("A contact in a list.", "Un contacto en una lista."),
    (
        "A contact with its tags, custom fields and attribution.",
        "Un contacto con sus etiquetas, campos personalizados y atribución.",
    ),
    ("A contact's timeline", "Historial de un contacto"),
    (
        "A deal: a contact's opportunity in a pipeline stage.",
        "Un negocio: la oportunidad de un contacto en una etapa de un embudo.",
    ),
    (
        "A member of the workspace, or null for nobody.",
        "Un miembro del espacio, o null para nadie.",
    ),
    (
        "A new deal for an existing contact.",
        "Un negocio nuevo para un contacto que ya existe.",
    ),
    (
        "A pipeline with its stages in order.",
        "Un embudo con sus etapas en orden.",
    ),
    ("A stage of a pipeline.", "Una etapa de un embudo."),
    (
        "A stage of the deal's pipeline.",
        "Una etapa del embudo del negocio.",
    ),
    (
        "An existing contact, updated.",
        "Un contacto que ya existía, actualizado.",
    ),
    (
        "Changes only the fields sent; tags are added and removed by name. Each\nchange is recorded on the contact's timeline.",
        "Cambia solo los campos enviados; las etiquetas se añaden y quitan por nombre. Cada cambio queda en el historial del contacto.",
    ),
    (
        "Changes to a contact: an absent field is unchanged, `null` clears it.",
        "Cambios a un contacto: un campo ausente no cambia, `null` lo vacía.",
    ),
    ("Contacts", "Contactos"),
    ("Create a deal", "Crear un negocio"),
    (
        "Create or update a contact",
        "Crear o actualizar un contacto",
    ),
    ("Created.", "Creado."),
    (
        "Creates the contact (201), or updates the one with the same email, else\nthe same phone (200): sending the same person twice never makes two.",
        "Crea el contacto (201) o actualiza el que tiene el mismo email, o si no el mismo teléfono (200): enviar dos veces a la misma persona nunca crea dos.",
    ),
    (
        "Custom field values by key (text from forms and files, any JSON\nvalue from the API).",
        "Valores de campos personalizados por clave (texto desde formularios y archivos, cualquier valor JSON desde la API).",
    ),
    (
        "Custom field values by key.",
        "Valores de campos personalizados por clave.",
    ),
    (
        "Custom field values to set, by key.",
        "Valores de campos personalizados que se fijan, por clave.",
    ),
    ("Deals", "Negocios"),
    (
        "Deals filtered by pipeline, stage or contact.",
        "Negocios filtrados por embudo, etapa o contacto.",
    ),
    (
        "Deals move here when their contact books an appointment.",
        "Los negocios pasan aquí cuando su contacto reserva una cita.",
    ),
    ("Deals of a list.", "Negocios de una lista."),
    ("Delete a contact", "Eliminar un contacto"),
    ("Deleted.", "Eliminado."),
    (
        "Deletes the contact with its deals, tasks and notes.",
        "Elimina el contacto con sus negocios, tareas y notas.",
    ),
    (
        "E.164, normalised with the workspace's country.",
        "E.164, normalizado con el país del espacio.",
    ),
    (
        "Each pipeline with its stages in order.",
        "Cada embudo con sus etapas en orden.",
    ),
    (
        "Events of a contact's timeline.",
        "Eventos del historial de un contacto.",
    ),
    (
        "Full name, split into first and last when those are absent.",
        "Nombre completo; se separa en nombre y apellido cuando estos faltan.",
    ),
    ("Get a contact", "Obtener un contacto"),
    ("Get a deal", "Obtener un negocio"),
    (
        "How many deals, 1 to 1000 (default 100).",
        "Cuántos negocios, de 1 a 1000 (100 si no se indica).",
    ),
    (
        "ISO 4217 currency of the amount.",
        "Moneda ISO 4217 del importe.",
    ),
    (
        "ISO 4217; the workspace's currency when absent.",
        "ISO 4217; la moneda del espacio si falta.",
    ),
    ("List contacts", "Listar contactos"),
    ("List deals", "Listar negocios"),
    ("List pipelines", "Listar embudos"),
    ("Move a deal", "Mover un negocio"),
    (
        "Moves the deal to the top of a stage of its pipeline, as a drag on the\nboard does, and fires `deal.stage_changed`.",
        "Mueve el negocio al principio de una etapa de su embudo, como al arrastrarlo en el tablero, y dispara `deal.stage_changed`.",
    ),
    (
        "Newest first, filtered and paged.",
        "Lo más reciente primero, filtrado y paginado.",
    ),
    ("One page of contacts.", "Una página de contactos."),
    (
        "One touch: its UTM parameters, referrer and landing page.",
        "Un contacto con la marca: sus parámetros UTM, referente y página de aterrizaje.",
    ),
    (
        "Only contacts from this source.",
        "Solo contactos de este origen.",
    ),
    (
        "Only contacts with a deal in this stage.",
        "Solo contactos con un negocio en esta etapa.",
    ),
    (
        "Only contacts with this tag.",
        "Solo contactos con esta etiqueta.",
    ),
    ("Only deals in this stage.", "Solo negocios en esta etapa."),
    (
        "Only deals of this contact.",
        "Solo negocios de este contacto.",
    ),
    (
        "Only deals of this pipeline.",
        "Solo negocios de este embudo.",
    ),
    (
        "Opportunities of contacts moving through a pipeline's stages.",
        "Oportunidades de los contactos que avanzan por las etapas de un embudo.",
    ),
    (
        "People: leads, prospects and customers, with their tags, custom fields, consent and attribution.",
        "Personas: leads, prospectos y clientes, con sus etiquetas, campos personalizados, consentimiento y atribución.",
    ),
    ("Pipelines", "Embudos"),
    (
        "Sales pipelines and their stages.",
        "Embudos de venta y sus etapas.",
    ),
    (
        "Search in name, email, phone and company.",
        "Busca en nombre, email, teléfono y empresa.",
    ),
    (
        "Something that happened, as the timeline and the event feed show it.",
        "Algo que pasó, como lo muestran el historial y el flujo de eventos.",
    ),
    (
        "Tags to add by name.",
        "Etiquetas que se añaden, por nombre.",
    ),
    (
        "Tags to remove by name.",
        "Etiquetas que se quitan, por nombre.",
    ),
    (
        "The amount in minor units (cents).",
        "El importe en unidades menores (centavos).",
    ),
    ("The contact as it is now.", "El contacto tal como queda."),
    (
        "The contact's and its deals' events, newest first (the latest 500).",
        "Los eventos del contacto y de sus negocios, lo más reciente primero (los últimos 500).",
    ),
    ("The contact's id.", "El id del contacto."),
    ("The contact.", "El contacto."),
    (
        "The deal in its new stage.",
        "El negocio en su nueva etapa.",
    ),
    ("The deal's id.", "El id del negocio."),
    ("The deal.", "El negocio."),
    ("The deals.", "Los negocios."),
    (
        "The event's details (old and new values, the message, the stage…).",
        "Los detalles del evento (valores anterior y nuevo, el mensaje, la etapa…).",
    ),
    ("The events.", "Los eventos."),
    (
        "The member who owns the contact.",
        "El miembro dueño del contacto.",
    ),
    (
        "The pipeline's first stage when absent.",
        "La primera etapa del embudo si falta.",
    ),
    ("The pipelines.", "Los embudos."),
    (
        "The workspace's default pipeline when absent.",
        "El embudo predeterminado del espacio si falta.",
    ),
    (
        "True when the contact answered STOP to SMS or WhatsApp.",
        "True cuando el contacto respondió STOP por SMS o WhatsApp.",
    ),
    (
        "True when the contact unsubscribed from marketing email.",
        "True cuando el contacto se dio de baja del email de marketing.",
    ),
    (
        "UTM parameters as doors receive them.",
        "Parámetros UTM tal como llegan.",
    ),
    ("Update a contact", "Actualizar un contacto"),
    (
        "What happened: `contact.created`, `deal.stage_changed`, `message.sent`…",
        "Qué pasó: `contact.created`, `deal.stage_changed`, `message.sent`…",
    ),
    (
        "Where new leads go when nothing else says.",
        "Adonde van los leads nuevos cuando nada más lo indica.",
    ),
    (
        "Where the contact came from: the first and the latest touch.",
        "De dónde vino el contacto: el primer y el último contacto con la marca.",
    ),
    ("Where to move a deal.", "Adónde mover un negocio."),
    ("contact, deal, workflow…", "contact, deal, workflow…"),
    (
        "lead, prospect, customer or other.",
        "lead, prospect, customer u other.",
    ),
    ("open, won or lost.", "open, won o lost."),
    (
        "user, api_key, system or automation.",
        "user, api_key, system o automation.",
    ),
];
