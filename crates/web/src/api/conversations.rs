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

use super::openapi::schemas::Page;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use super::{ApiError, ApiIdPath, ApiJson};
use crate::auth::ApiAuth;
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::vocab::{Channel, ConversationStatus};
use af_core::{ContactId, MessageId, UserId};
use af_db::Ts;
use af_db::conversations::{
    self as store, AssigneeFilter, Conversation, ListFilter, ThreadMessage,
};
use af_service::conversations::reply::{self, ReplyRequest};
use af_service::conversations::{self as service, ConversationError, ConversationPatch};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

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

/// A conversation: one contact's thread across every channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationOut {
    /// The contact's id.
    pub id: ContactId,
    pub contact_id: ContactId,
    pub contact_name: String,
    /// open or closed.
    #[schema(example = "open")]
    pub status: String,
    /// The member it is assigned to.
    pub assignee_id: Option<uuid::Uuid>,
    /// Inbound messages nobody has read yet.
    pub unread: i32,
    pub last_message_at: Ts,
    pub last_message: Option<LastMessageOut>,
    /// Channels of the thread's messages.
    pub channels: Vec<String>,
}

/// The thread's latest message, in short.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastMessageOut {
    #[schema(example = "whatsapp")]
    pub channel: Option<String>,
    /// `inbound` or `outbound`.
    #[schema(example = "inbound")]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: MessageId,
    #[schema(example = "whatsapp")]
    pub channel: String,
    /// `inbound` or `outbound`.
    #[schema(example = "outbound")]
    pub direction: String,
    /// queued, sent, delivered, read, failed (see `error`), skipped (see `skip_reason`), received (inbound).
    #[schema(example = "delivered")]
    pub status: String,
    pub subject: Option<String>,
    pub body: String,
    pub error: Option<String>,
    pub skip_reason: Option<String>,
    /// The WhatsApp template (Twilio Content SID) it was sent with.
    pub template_sid: Option<String>,
    /// The member who wrote it by hand.
    pub sent_by: Option<String>,
    /// The workflow that sent it.
    pub workflow_id: Option<uuid::Uuid>,
    pub workflow_name: Option<String>,
    /// How many files it carries.
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

#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// open or closed; both when absent.
    #[param(example = "open")]
    status: Option<String>,
    /// `me` (the key's creator), `none` or a member's id.
    #[param(example = "none")]
    assignee: Option<String>,
    /// Only threads with unread messages.
    unread: Option<bool>,
    /// whatsapp, sms, email or voice.
    #[param(example = "whatsapp")]
    channel: Option<String>,
    /// Search in the contact's name, email and phone.
    q: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
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

/// List conversations
///
/// Threads with the latest activity first.
#[utoipa::path(
    get,
    path = "/api/v1/conversations",
    operation_id = "conversations_list",
    tag = "Conversations",
    params(ListQuery),
    responses((status = 200, description = "One page of conversations.", body = Page<ConversationOut>)),
)]
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
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

/// Get a conversation
///
/// A contact nobody has written to yet answers an empty, open thread.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}",
    operation_id = "conversations_get",
    tag = "Conversations",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 200, description = "The conversation.", body = ConversationOut)),
)]
async fn show(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
) -> Result<Json<ConversationOut>, ApiError> {
    Ok(Json(one(&st, &auth, id).await?))
}

/// Assignment and status of a conversation; an absent field is unchanged.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents `ConversationPatch`, which the handler reads
struct ConversationPatchBody {
    /// A member's id, or null for nobody.
    assignee_id: Option<Uuid>,
    /// open or closed.
    #[schema(example = "closed")]
    status: Option<String>,
}

/// Assign or close a conversation
///
/// Assigning rings the member's bell; an inbound message reopens a closed
/// conversation.
#[utoipa::path(
    patch,
    path = "/api/v1/conversations/{id}",
    operation_id = "conversations_update",
    tag = "Conversations",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    request_body = ConversationPatchBody,
    responses((status = 200, description = "The conversation as it is now.", body = ConversationOut)),
)]
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

#[derive(Deserialize, Default, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List a conversation's messages
///
/// Every message in and out on every channel, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/messages",
    operation_id = "conversations_messages",
    tag = "Conversations",
    params(("id" = Uuid, Path, description = "The contact's id."), PageQuery),
    responses((status = 200, description = "One page of messages.", body = Page<MessageOut>)),
)]
async fn messages(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiIdPath(id): ApiIdPath<ContactId>,
    ApiQuery(q): ApiQuery<PageQuery>,
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

/// A message written by hand.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documents `ReplyRequest`, which the handler reads
struct ReplyBody {
    /// whatsapp, sms or email.
    #[schema(example = "whatsapp")]
    channel: String,
    body: String,
    /// Email only; by default "Re: " and the latest email's subject.
    subject: Option<String>,
    /// An approved WhatsApp template: its Twilio Content SID (`HX` and 32 hex digits).
    #[schema(example = "HX0123456789abcdef0123456789abcdef")]
    template_sid: Option<String>,
    /// The template's variables.
    #[schema(value_type = Option<Object>, example = json!({"1": "Ana"}))]
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    /// Send now even in the workspace's quiet hours (recorded in the audit log).
    #[serde(default)]
    override_quiet_hours: bool,
}

/// Send a message
///
/// Sends by hand on WhatsApp (free text within 24 hours of the contact's
/// last message, an approved template after), SMS or email (threaded with
/// the conversation). Refused with 422 and a reason: `no_phone`,
/// `no_email`, `no_consent`, `window_closed` or `quiet_hours`.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/messages",
    operation_id = "conversations_send",
    tag = "Conversations",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    request_body = ReplyBody,
    responses((status = 201, description = "Queued for sending.", body = MessageOut)),
)]
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

/// The unread count after reading.
#[derive(Debug, Serialize, ToSchema)]
struct ReadOut {
    /// Always 0.
    unread: i32,
}

/// Mark a conversation read
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/read",
    operation_id = "conversations_read",
    tag = "Conversations",
    params(("id" = Uuid, Path, description = "The contact's id.")),
    responses((status = 200, description = "Read.", body = ReadOut)),
)]
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
#[openapi(
    paths(list, show, update, messages, send, mark_read),
    tags((name = "Conversations", description = "The two-way inbox: one thread per contact across WhatsApp, SMS, email and calls.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "A contact nobody has written to yet answers an empty, open thread.",
        "Un contacto al que nadie ha escrito todavía responde con una conversación vacía y abierta.",
    ),
    (
        "A conversation: one contact's thread across every channel.",
        "Una conversación: el hilo de un contacto en todos los canales.",
    ),
    (
        "A member's id, or null for nobody.",
        "El id de un miembro, o null para nadie.",
    ),
    (
        "A message of a thread as the API shows it.",
        "Un mensaje de una conversación.",
    ),
    ("A message written by hand.", "Un mensaje escrito a mano."),
    ("Always 0.", "Siempre 0."),
    (
        "An approved WhatsApp template: its Twilio Content SID (`HX` and 32 hex digits).",
        "Una plantilla de WhatsApp aprobada: su Content SID de Twilio (`HX` y 32 dígitos hexadecimales).",
    ),
    (
        "Assign or close a conversation",
        "Asignar o cerrar una conversación",
    ),
    (
        "Assigning rings the member's bell; an inbound message reopens a closed\nconversation.",
        "Asignarla avisa al miembro en su campana; un mensaje entrante reabre una conversación cerrada.",
    ),
    (
        "Assignment and status of a conversation; an absent field is unchanged.",
        "Asignación y estado de una conversación; un campo ausente no cambia.",
    ),
    (
        "Channels of the thread's messages.",
        "Canales de los mensajes de la conversación.",
    ),
    ("Conversations", "Conversaciones"),
    (
        "Email only; by default \"Re: \" and the latest email's subject.",
        "Solo email; por defecto \"Re: \" y el asunto del último email.",
    ),
    (
        "Every message in and out on every channel, newest first.",
        "Todos los mensajes entrantes y salientes en todos los canales, lo más reciente primero.",
    ),
    ("Get a conversation", "Obtener una conversación"),
    ("How many files it carries.", "Cuántos archivos lleva."),
    (
        "Inbound messages nobody has read yet.",
        "Mensajes entrantes que nadie ha leído.",
    ),
    (
        "List a conversation's messages",
        "Listar los mensajes de una conversación",
    ),
    ("List conversations", "Listar conversaciones"),
    (
        "Mark a conversation read",
        "Marcar una conversación como leída",
    ),
    (
        "One page of conversations.",
        "Una página de conversaciones.",
    ),
    ("One page of messages.", "Una página de mensajes."),
    (
        "Only threads with unread messages.",
        "Solo conversaciones con mensajes sin leer.",
    ),
    ("Queued for sending.", "En cola para enviarse."),
    ("Read.", "Leída."),
    (
        "Search in the contact's name, email and phone.",
        "Busca en el nombre, email y teléfono del contacto.",
    ),
    ("Send a message", "Enviar un mensaje"),
    (
        "Send now even in the workspace's quiet hours (recorded in the audit log).",
        "Enviar ya aunque sea horario de silencio del espacio (queda en el registro de auditoría).",
    ),
    (
        "Sends by hand on WhatsApp (free text within 24 hours of the contact's\nlast message, an approved template after), SMS or email (threaded with\nthe conversation). Refused with 422 and a reason: `no_phone`,\n`no_email`, `no_consent`, `window_closed` or `quiet_hours`.",
        "Envía a mano por WhatsApp (texto libre dentro de las 24 horas siguientes al último mensaje del contacto; después, una plantilla aprobada), SMS o email (en el mismo hilo de la conversación). Se rechaza con 422 y un motivo: `no_phone`, `no_email`, `no_consent`, `window_closed` o `quiet_hours`.",
    ),
    (
        "The WhatsApp template (Twilio Content SID) it was sent with.",
        "La plantilla de WhatsApp (Content SID de Twilio) con la que se envió.",
    ),
    (
        "The conversation as it is now.",
        "La conversación tal como queda.",
    ),
    ("The conversation.", "La conversación."),
    (
        "The member it is assigned to.",
        "El miembro al que está asignada.",
    ),
    (
        "The member who wrote it by hand.",
        "El miembro que lo escribió a mano.",
    ),
    (
        "The template's variables.",
        "Las variables de la plantilla.",
    ),
    (
        "The thread's latest message, in short.",
        "El último mensaje de la conversación, en breve.",
    ),
    (
        "The two-way inbox: one thread per contact across WhatsApp, SMS, email and calls.",
        "La bandeja de entrada bidireccional: una conversación por contacto entre WhatsApp, SMS, email y llamadas.",
    ),
    (
        "The unread count after reading.",
        "Los no leídos después de leer.",
    ),
    (
        "The workflow that sent it.",
        "La automatización que lo envió.",
    ),
    (
        "Threads with the latest activity first.",
        "Conversaciones con la actividad más reciente primero.",
    ),
    (
        "`inbound` or `outbound`.",
        "`inbound` (entrante) u `outbound` (saliente).",
    ),
    (
        "`me` (the key's creator), `none` or a member's id.",
        "`me` (quien creó la clave), `none` o el id de un miembro.",
    ),
    ("open or closed.", "open o closed."),
    (
        "open or closed; both when absent.",
        "open o closed; ambas si falta.",
    ),
    (
        "queued, sent, delivered, read, failed (see `error`), skipped (see `skip_reason`), received (inbound).",
        "queued, sent, delivered, read, failed (ver `error`), skipped (ver `skip_reason`), received (entrante).",
    ),
    ("whatsapp, sms or email.", "whatsapp, sms o email."),
    (
        "whatsapp, sms, email or voice.",
        "whatsapp, sms, email o voice.",
    ),
];
