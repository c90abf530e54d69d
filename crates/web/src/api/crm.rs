//! JSON API for contacts, pipelines and deals (`/api/v1/...`). Contract in
//! issue 3 and the OpenAPI document; errors are
//! `{"error": {"code", "message", "fields"?}}`, another workspace's id is 404.

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::contact_input::{ContactError, RawContact};
use af_core::{ContactId, DealId, PipelineId, StageId, UserId};
use af_db::contacts::{self, Contact, ContactFilter, ContactPatch, Cursor};
use af_db::deals::{self, Deal, DealFilter, Placement};
use af_db::{DbError, custom_fields, events, pipelines};
use af_service::deals::{DealContact, DealError, DealProblem, NewDealRequest};
use af_service::intake::IntakeError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
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

/// The contact as the API shows it: fields, tags and attribution.
pub async fn contact_json(
    st: &AppState,
    ws: af_core::WorkspaceId,
    c: &Contact,
) -> Result<serde_json::Value, ApiError> {
    let tags: Vec<String> = contacts::tags_of(&st.db, ws, &[c.id])
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    Ok(serde_json::json!({
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "source": c.source,
        "owner_id": c.owner_id,
        "lifecycle": c.lifecycle,
        "score": c.score,
        "email_unsubscribed": c.email_unsubscribed,
        "sms_opted_out": c.sms_opted_out,
        "tags": tags,
        "custom": c.custom_map(),
        "attribution": {
            "first": {
                "utm_source": c.first_utm_source, "utm_medium": c.first_utm_medium,
                "utm_campaign": c.first_utm_campaign, "utm_term": c.first_utm_term,
                "utm_content": c.first_utm_content, "referrer": c.first_referrer,
                "landing_page": c.first_landing_page, "at": c.first_touch_at,
            },
            "last": {
                "utm_source": c.last_utm_source, "utm_medium": c.last_utm_medium,
                "utm_campaign": c.last_utm_campaign, "utm_term": c.last_utm_term,
                "utm_content": c.last_utm_content, "referrer": c.last_referrer,
                "landing_page": c.last_landing_page, "at": c.last_touch_at,
            },
        },
        "last_activity_at": c.last_activity_at,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }))
}

/// `POST /api/v1/contacts`: 201 with a new contact, or 200 with the existing
/// one updated (same email, else same phone).
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
    Ok((status, Json(contact_json(&st, ws.id, &out.contact).await?)).into_response())
}

/// Contact errors as API field errors.
fn contact_fields(errors: &[ContactError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.field.as_str().into_owned(), e.message.clone()))
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: Option<String>,
    tag: Option<String>,
    source: Option<String>,
    stage_id: Option<Uuid>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/contacts?q=&tag=&source=&stage_id=&limit=&cursor=`
async fn list_contacts(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    let data: Vec<serde_json::Value> = page
        .iter()
        .map(|c| {
            let own: Vec<&str> = tags
                .iter()
                .filter(|(id, _)| *id == c.id)
                .map(|(_, t)| t.as_str())
                .collect();
            serde_json::json!({
                "id": c.id, "first_name": c.first_name, "last_name": c.last_name, "email": c.email,
                "phone": c.phone, "company": c.company, "source": c.source, "score": c.score,
                "lifecycle": c.lifecycle, "tags": own, "created_at": c.created_at,
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "data": data, "next_cursor": next }),
    ))
}

async fn get_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let c = contacts::find_contact(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(contact_json(&st, auth.workspace.id, &c).await?))
}

/// Fields of `PATCH /api/v1/contacts/{id}`: absent = unchanged, null =
/// cleared (optional fields). Tags are added / removed by name.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawPatch {
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(with = "double_option")]
    email: Option<Option<String>>,
    #[serde(with = "double_option")]
    phone: Option<Option<String>>,
    #[serde(with = "double_option")]
    company: Option<Option<String>>,
    #[serde(with = "double_option")]
    source: Option<Option<String>>,
    #[serde(with = "double_option")]
    owner_id: Option<Option<Uuid>>,
    lifecycle: Option<String>,
    email_unsubscribed: Option<bool>,
    sms_opted_out: Option<bool>,
    custom: serde_json::Map<String, serde_json::Value>,
    add_tags: Vec<String>,
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

async fn patch_contact(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiJson(raw): ApiJson<RawPatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(contact_json(&st, ws.id, &updated).await?))
}

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

/// `GET /api/v1/contacts/{id}/timeline`: the contact's and its deals'
/// events, newest first.
async fn contact_timeline(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    let data: Vec<serde_json::Value> = evs
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id, "kind": e.kind, "entity_type": e.entity_type, "entity_id": e.entity_id,
                "actor_type": e.actor_type, "actor_id": e.actor_id,
                "data": serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or(serde_json::Value::Null),
                "occurred_at": e.occurred_at,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "data": data })))
}

/// `GET /api/v1/pipelines`: each pipeline with its ordered stages.
async fn list_pipelines(
    State(st): State<AppState>,
    auth: ApiAuth,
) -> Result<Json<serde_json::Value>, ApiError> {
    let all = pipelines::list_pipelines(&st.db, auth.workspace.id).await?;
    Ok(Json(
        serde_json::to_value(all).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

fn deal_json(d: &Deal) -> serde_json::Value {
    serde_json::json!({
        "id": d.id, "contact_id": d.contact_id, "pipeline_id": d.pipeline_id, "stage_id": d.stage_id,
        "title": d.title, "value": d.value_minor, "currency": d.currency, "owner_id": d.owner_id,
        "stage_entered_at": d.stage_entered_at, "created_at": d.created_at, "updated_at": d.updated_at,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DealQuery {
    pipeline_id: Option<Uuid>,
    stage_id: Option<Uuid>,
    contact_id: Option<Uuid>,
    limit: Option<i64>,
}

async fn list_deals(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<DealQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(
        serde_json::json!({ "data": all.iter().map(deal_json).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeal {
    contact_id: Uuid,
    pipeline_id: Option<Uuid>,
    stage_id: Option<Uuid>,
    title: String,
    /// Integer minor units (cents); kept as JSON so a float or an
    /// out-of-range number is a field error, not a parser message.
    #[serde(default)]
    value: Option<serde_json::Value>,
    #[serde(default)]
    currency: Option<String>,
}

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
    Ok((StatusCode::CREATED, Json(deal_json(&deal))).into_response())
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

async fn get_deal(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<DealId>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let d = deals::find_deal(&st.db, auth.workspace.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(deal_json(&d)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDealPatch {
    stage_id: Uuid,
}

/// `PATCH /api/v1/deals/{id}` `{"stage_id"}`: moves the deal (to the top of
/// that stage) and fires `stage_changed`.
async fn patch_deal(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<DealId>,
    ApiJson(raw): ApiJson<RawDealPatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(deal_json(&moved.deal)))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
