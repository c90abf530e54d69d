//! JSON API of the inbox (issue 20). A conversation is a contact's thread:
//! its id is the contact's id.
//!
//! - `GET /api/v1/conversations?status=open|closed&assignee=me|none|<user id>
//!   &unread=true&channel=&q=&limit=&cursor=` — latest activity first.
//! - `GET` / `PATCH /api/v1/conversations/{id}` — `{"assignee_id", "status"}`.
//! - `GET /api/v1/conversations/{id}/messages?limit=&cursor=` — newest first.
//! - `POST /api/v1/conversations/{id}/messages` — `{"channel", "body",
//!   "subject"?, "template_sid"?, "variables"?, "override_quiet_hours"?}`:
//!   201 with the message (`queued`), or 422 naming why it may not be sent
//!   (`no_phone`, `no_email`, `no_consent`, `window_closed`, `quiet_hours`).
//! - `POST /api/v1/conversations/{id}/read` — its unread count to zero.
//!
//! The rules are `af_service::conversations`.

use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::vocab::{Channel, ConversationStatus};
use af_core::{ContactId, MessageId, UserId};
use af_db::Ts;
use af_db::conversations::{
    self as store, AssigneeFilter, Conversation, ListFilter, ThreadMessage,
};
use af_service::conversations::reply::{self, ReplyRequest};
use af_service::conversations::{self as service, ConversationError, ConversationPatch};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", get(show).patch(update))
        .route(
            "/api/v1/conversations/{id}/messages",
            get(messages).post(send),
        )
        .route("/api/v1/conversations/{id}/read", post(mark_read))
}

impl From<ConversationError> for ApiError {
    fn from(e: ConversationError) -> Self {
        match e {
            ConversationError::NotFound => ApiError::NotFound,
            ConversationError::Db(e) => e.into(),
            e => ApiError::Invalid(e.fields()),
        }
    }
}

/// A conversation as the API shows it.
#[derive(Debug, Serialize)]
pub struct ConversationOut {
    /// The contact's id.
    pub id: ContactId,
    pub contact_id: ContactId,
    pub contact_name: String,
    pub status: String,
    pub assignee_id: Option<uuid::Uuid>,
    pub unread: i32,
    pub last_message_at: Ts,
    pub last_message: Option<LastMessageOut>,
    /// Channels of the thread's messages.
    pub channels: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct LastMessageOut {
    pub channel: Option<String>,
    pub direction: Option<String>,
    pub preview: String,
}

fn conversation_out(c: &Conversation, channels: Vec<String>) -> ConversationOut {
    ConversationOut {
        id: c.contact_id,
        contact_id: c.contact_id,
        contact_name: c.contact_name(),
        status: c.status.clone(),
        assignee_id: c.assignee_id,
        unread: c.unread,
        last_message_at: c.last_message_at,
        last_message: c.last_preview.as_ref().map(|p| LastMessageOut {
            channel: c.last_channel.clone(),
            direction: c.last_direction.clone(),
            preview: p.clone(),
        }),
        channels,
    }
}

/// A message of a thread as the API shows it.
#[derive(Debug, Serialize)]
pub struct MessageOut {
    pub id: MessageId,
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// `queued`, `sent`, `delivered`, `read`... `failed` (with `error`),
    /// `skipped` (with `skip_reason`); `received` for inbound.
    pub status: String,
    pub subject: Option<String>,
    pub body: String,
    pub error: Option<String>,
    pub skip_reason: Option<String>,
    pub template_sid: Option<String>,
    /// The member who wrote it by hand.
    pub sent_by: Option<String>,
    /// The workflow that sent it.
    pub workflow_id: Option<uuid::Uuid>,
    pub workflow_name: Option<String>,
    pub attachments: i64,
    pub created_at: Ts,
    pub updated_at: Ts,
}

pub fn message_out(m: &ThreadMessage) -> MessageOut {
    MessageOut {
        id: m.id,
        channel: m.channel.clone(),
        direction: m.direction.clone(),
        status: m.status.clone(),
        subject: m.subject.clone(),
        body: m.body_text.clone(),
        error: m.error.clone(),
        skip_reason: m.skip_reason.clone(),
        template_sid: m.content_sid.clone(),
        sent_by: m.sent_by_name.clone(),
        workflow_id: m.workflow_id,
        workflow_name: m.workflow_name.clone(),
        attachments: m.attachments,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    status: Option<String>,
    assignee: Option<String>,
    unread: Option<bool>,
    channel: Option<String>,
    q: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// The member an API key acts for (its creator, while a member).
async fn key_member(st: &AppState, auth: &ApiAuth) -> Result<Option<UserId>, ApiError> {
    let Some(user) = auth.key.created_by.map(UserId) else {
        return Ok(None);
    };
    Ok(
        af_db::workspaces::find_membership_role(&st.db, auth.workspace.id, user)
            .await?
            .map(|_| user),
    )
}

async fn filter_of(st: &AppState, auth: &ApiAuth, q: &ListQuery) -> Result<ListFilter, ApiError> {
    let status =
        match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(ConversationStatus::parse(s).ok_or_else(|| {
                ApiError::field("status", "status must be \"open\" or \"closed\"")
            })?),
        };
    let assignee = match q
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => AssigneeFilter::Anyone,
        Some("none") => AssigneeFilter::Unassigned,
        Some("me") => AssigneeFilter::Member(key_member(st, auth).await?.ok_or_else(|| {
            ApiError::field(
                "assignee",
                "assignee=me needs a key created by a member of this workspace",
            )
        })?),
        Some(id) => AssigneeFilter::Member(id.parse::<UserId>().map_err(|_| {
            ApiError::field(
                "assignee",
                "assignee must be \"me\", \"none\" or a member's id",
            )
        })?),
    };
    let channel = match q
        .channel
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(c) => Some(
            Channel::parse(c)
                .filter(|c| store::is_conversation_channel(c.as_str()))
                .ok_or_else(|| {
                    ApiError::field("channel", "channel must be whatsapp, sms, email or voice")
                })?,
        ),
    };
    Ok(ListFilter {
        status,
        assignee,
        unread_only: q.unread.unwrap_or(false),
        channel,
        words: search_words(q.q.as_deref().unwrap_or_default()),
    })
}

/// The search box's words, folded as contacts' search text is.
pub fn search_words(q: &str) -> Vec<String> {
    af_core::search::fold(q)
        .split_whitespace()
        .take(3)
        .map(str::to_string)
        .collect()
}

/// `GET /api/v1/conversations`
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page<ConversationOut>>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let after = match q.cursor.as_deref() {
        Some(c) => {
            let (at, id) = decode_cursor(c)?;
            Some((at, ContactId(id)))
        }
        None => None,
    };
    let filter = filter_of(&st, &auth, &q).await?;
    let ws = auth.workspace.id;
    let rows = store::list(&st.db, ws, &filter, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let ids: Vec<ContactId> = rows.iter().map(|c| c.contact_id).collect();
    let channels = store::channels_of(&st.db, ws, &ids).await?;
    let next_cursor = more
        .then(|| {
            rows.last()
                .map(|c| encode_cursor(c.last_message_at, c.contact_id.0))
        })
        .flatten();
    let data = rows
        .iter()
        .map(|c| {
            let mine = channels
                .iter()
                .filter(|(id, _)| *id == c.contact_id)
                .map(|(_, ch)| ch.clone())
                .collect();
            conversation_out(c, mine)
        })
        .collect();
    Ok(Json(Page { data, next_cursor }))
}

async fn one(st: &AppState, auth: &ApiAuth, id: ContactId) -> Result<ConversationOut, ApiError> {
    let ws = auth.workspace.id;
    let (c, conversation) = service::thread_of(&st.db, ws, id).await?;
    let channels: Vec<String> = store::channels_of(&st.db, ws, &[id])
        .await?
        .into_iter()
        .map(|(_, ch)| ch)
        .collect();
    Ok(match conversation {
        Some(conv) => conversation_out(&conv, channels),
        // A contact nobody has written to yet: an empty, open thread.
        None => ConversationOut {
            id,
            contact_id: id,
            contact_name: c.full_name(),
            status: ConversationStatus::Open.as_str().to_string(),
            assignee_id: None,
            unread: 0,
            last_message_at: c.created_at,
            last_message: None,
            channels,
        },
    })
}

/// `GET /api/v1/conversations/{id}`
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<ConversationOut>, ApiError> {
    Ok(Json(one(&st, &auth, id).await?))
}

/// `PATCH /api/v1/conversations/{id}`
async fn update(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiJson(patch): ApiJson<ConversationPatch>,
) -> Result<Json<ConversationOut>, ApiError> {
    service::update(
        &st.db,
        auth.workspace.id,
        id,
        &patch,
        &auth.actor(),
        st.now(),
    )
    .await?;
    Ok(Json(one(&st, &auth, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

/// `GET /api/v1/conversations/{id}/messages`
async fn messages(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Page<MessageOut>>, ApiError> {
    let limit = page_limit(q.limit, 50)?;
    let before = match q.cursor.as_deref() {
        Some(c) => {
            let (at, mid) = decode_cursor(c)?;
            Some((at, MessageId(mid)))
        }
        None => None,
    };
    let ws = auth.workspace.id;
    service::thread_of(&st.db, ws, id).await?;
    let rows = store::thread(&st.db, ws, id, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = more
        .then(|| rows.last().map(|m| encode_cursor(m.created_at, m.id.0)))
        .flatten();
    Ok(Json(Page {
        data: rows.iter().map(message_out).collect(),
        next_cursor,
    }))
}

/// `POST /api/v1/conversations/{id}/messages`
async fn send(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> Result<Response, ApiError> {
    let cfg = st.engine_config();
    let env = reply::Env {
        db: &st.db,
        cfg: &cfg,
    };
    let sender = key_member(&st, &auth).await?;
    let m = reply::send(
        &env,
        &auth.workspace,
        id,
        &req,
        &[],
        sender,
        &auth.actor(),
        st.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(message_out(&m))).into_response())
}

#[derive(Debug, Serialize)]
struct ReadOut {
    unread: i32,
}

/// `POST /api/v1/conversations/{id}/read`
async fn mark_read(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<ReadOut>, ApiError> {
    let ws = auth.workspace.id;
    service::thread_of(&st.db, ws, id).await?;
    service::mark_read(&st.db, ws, id, st.now()).await?;
    Ok(Json(ReadOut { unread: 0 }))
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
