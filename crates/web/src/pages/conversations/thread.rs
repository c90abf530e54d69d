//! The inbox page and an open thread: messages in and out with their
//! status and origin, internal notes, the reply form, assignment and
//! closing.

use super::{Filters, ListPart, filter_bar, list_part};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::conversations::ConversationsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::fmt_when;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::vocab::{Channel, ConversationStatus};
use af_core::{ContactId, MessageId, UserId};
use af_db::conversations::{self as store, ThreadMessage};
use af_service::conversations::reply::{self, Refusal, ReplyFile, ReplyRequest};
use af_service::conversations::{self as service, ConversationError, ConversationPatch};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// How many messages an open thread shows (the newest).
const THREAD_SIZE: i64 = 100;

/// One entry of a thread as drawn: a message or an internal note.
pub struct Item {
    pub note: bool,
    pub inbound: bool,
    pub channel: String,
    pub when: String,
    /// The delivery status (outbound), "received" (inbound).
    pub status: String,
    pub failed: bool,
    /// The vendor's reason of a failure, or why it was skipped.
    pub problem: String,
    /// Who or what wrote it: a member, a workflow.
    pub origin: String,
    pub workflow_link: Option<String>,
    pub subject: String,
    pub body: String,
    pub template: bool,
    pub files: Vec<(String, String)>,
    at: af_db::Ts,
}

/// The messages part of a thread (drawn again by the live refresh).
#[derive(Template)]
#[template(path = "conversations/_thread.html")]
pub struct ThreadPart {
    pub ct: &'static ConversationsTr,
    pub items: Vec<Item>,
}

async fn thread_part(st: &AppState, cu: &CurrentUser, contact: ContactId) -> AppResult<ThreadPart> {
    let ws = cu.workspace.id;
    let locale = cu.locale();
    let ct = ConversationsTr::get(locale);
    let v = VocabTr::get(locale);
    let tz = &cu.workspace.time_zone;
    let messages = store::thread(&st.db, ws, contact, None, THREAD_SIZE).await?;
    let mut items = Vec::with_capacity(messages.len());
    for m in &messages {
        let files = if m.attachments > 0 {
            af_db::messages::file_names(&st.db, ws, m.id)
                .await?
                .into_iter()
                .map(|f| {
                    (
                        format!(
                            "/conversations/{contact}/messages/{}/files/{}",
                            m.id, f.position
                        ),
                        f.filename,
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        items.push(message_item(ct, v, locale, tz, m, files));
    }
    let oldest = messages.last().map(|m| m.created_at);
    for n in af_db::notes::list_notes(&st.db, ws, contact, THREAD_SIZE).await? {
        // Notes older than the messages shown would sit out of place.
        if oldest.is_some_and(|o| n.created_at < o) && messages.len() as i64 == THREAD_SIZE {
            continue;
        }
        items.push(Item {
            note: true,
            inbound: false,
            channel: String::new(),
            when: fmt_when(n.created_at, tz, locale),
            status: String::new(),
            failed: false,
            problem: String::new(),
            origin: n.author_name.clone().unwrap_or_default(),
            workflow_link: None,
            subject: String::new(),
            body: n.body.clone(),
            template: false,
            files: Vec::new(),
            at: n.created_at,
        });
    }
    items.sort_by_key(|i| i.at);
    Ok(ThreadPart { ct, items })
}

fn message_item(
    ct: &ConversationsTr,
    v: &VocabTr,
    locale: af_core::Locale,
    tz: &str,
    m: &ThreadMessage,
    files: Vec<(String, String)>,
) -> Item {
    let inbound = m.direction == "inbound";
    let status = if inbound {
        ct.inbound.to_string()
    } else if m.channel == Channel::WhatsApp && m.status == "opened" {
        // Twilio reports WhatsApp's read receipts as `read` (stored opened).
        ct.status_read.to_string()
    } else {
        v.message_status(&m.status).to_string()
    };
    let problem = match (&m.error, &m.skip_reason) {
        (_, Some(reason)) => crate::i18n::details::detail(locale, reason),
        (Some(e), None) => e.clone(),
        (None, None) => String::new(),
    };
    let origin = match (&m.sent_by_name, &m.workflow_name) {
        (Some(name), _) => format!("{} {name}", ct.by_member),
        (None, Some(wf)) => format!("{}: {wf}", ct.by_automation),
        _ => String::new(),
    };
    Item {
        note: false,
        inbound,
        channel: if m.channel == Channel::Voice {
            ct.call_entry.to_string()
        } else {
            v.channel(&m.channel).to_string()
        },
        when: fmt_when(m.created_at, tz, locale),
        failed: matches!(m.status.as_str(), "failed" | "undelivered"),
        status,
        problem,
        origin,
        workflow_link: m.workflow_id.map(|w| format!("/automations/{w}")),
        subject: m.subject.clone().unwrap_or_default(),
        body: m.body_text.clone(),
        template: m.content_sid.is_some(),
        files,
        at: m.created_at,
    }
}

/// The reply form's state: what was typed, and why it was refused.
#[derive(Default)]
pub struct ReplyForm {
    pub channels: Vec<(&'static str, &'static str)>,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub template_sid: String,
    pub variables: String,
    pub override_quiet: bool,
    pub error: String,
    /// Whether WhatsApp free text is allowed now (`None`: no phone).
    pub window_open: Option<bool>,
    /// The workspace's approved templates: (Content SID, name · variables).
    pub templates: Vec<(String, String)>,
}

pub struct ThreadView {
    pub contact_id: ContactId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub closed: bool,
    pub assignee: Option<uuid::Uuid>,
    pub members: Vec<(String, String)>,
    pub messages_html: String,
    pub reply: ReplyForm,
}

#[derive(Template, WebTemplate)]
#[template(path = "conversations/inbox.html")]
struct InboxPage {
    shell: Shell,
    ct: &'static ConversationsTr,
    bar: super::FilterBar,
    list_html: String,
    query: String,
    thread: Option<ThreadView>,
    inbox_js: String,
}

async fn page(
    st: &AppState,
    cu: &CurrentUser,
    f: &Filters,
    thread: Option<ThreadView>,
) -> AppResult<InboxPage> {
    let selected = thread.as_ref().map(|t| t.contact_id);
    let list: ListPart = list_part(st, cu, f, selected).await?;
    Ok(InboxPage {
        shell: Shell::new(cu, Area::Conversations).await?,
        ct: ConversationsTr::get(cu.locale()),
        bar: filter_bar(f, cu.locale()),
        list_html: render(&list)?.0,
        query: f.query(),
        thread,
        inbox_js: crate::assets::url_of("js/inbox.js"),
    })
}

/// `GET /conversations`
pub async fn inbox(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    Ok(page(&st, &cu, &f, None).await?.into_response())
}

fn not_found(e: ConversationError) -> AppError {
    match e {
        ConversationError::NotFound => AppError::NotFound,
        ConversationError::Db(e) => e.into(),
        other => AppError::BadRequest(other.to_string()),
    }
}

async fn thread_view(
    st: &AppState,
    cu: &CurrentUser,
    contact: ContactId,
    reply: ReplyForm,
) -> AppResult<ThreadView> {
    let ws = cu.workspace.id;
    let (c, conversation) = service::thread_of(&st.db, ws, contact)
        .await
        .map_err(not_found)?;
    if conversation.as_ref().is_some_and(|c| c.unread > 0) {
        service::mark_read(&st.db, ws, contact, st.now()).await?;
    }
    let members = af_db::workspaces::list_members(&st.db, ws)
        .await?
        .into_iter()
        .map(|m| (m.user_id.to_string(), m.name))
        .collect();
    let ct = ConversationsTr::get(cu.locale());
    let mut reply = reply;
    reply.channels = Vec::new();
    if c.phone.is_some() {
        reply.channels.push(("whatsapp", ct.channel_whatsapp));
        reply.channels.push(("sms", ct.channel_sms));
        let mut tx = st.db.begin().await?;
        let last = store::last_inbound_at(&mut tx, ws, contact, Channel::WhatsApp).await?;
        tx.commit().await?;
        reply.window_open = Some(reply::window_open(last, st.now()));
    }
    if c.email.is_some() {
        reply.channels.push(("email", ct.channel_email));
    }
    reply.templates = af_db::whatsapp_templates::list(&st.db, ws)
        .await?
        .into_iter()
        .map(|t| {
            let label = if t.variables.is_empty() {
                t.name
            } else {
                format!("{} · {}", t.name, t.variables)
            };
            (t.content_sid, label)
        })
        .collect();
    if reply.channel.is_empty() {
        // Answer where she last wrote, else the first channel she has.
        reply.channel = conversation
            .as_ref()
            .and_then(|c| c.last_channel.clone())
            .filter(|ch| reply.channels.iter().any(|(v, _)| v == ch))
            .or_else(|| reply.channels.first().map(|(v, _)| v.to_string()))
            .unwrap_or_default();
    }
    let messages_html = render(&thread_part(st, cu, contact).await?)?.0;
    Ok(ThreadView {
        contact_id: contact,
        name: c.full_name(),
        email: c.email.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
        closed: conversation
            .as_ref()
            .is_some_and(|c| c.status == ConversationStatus::Closed),
        assignee: conversation.as_ref().and_then(|c| c.assignee_id),
        members,
        messages_html,
        reply,
    })
}

/// `GET /conversations/{id}`: the thread of the contact, read.
pub async fn show(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
    Query(f): Query<Filters>,
) -> AppResult<Response> {
    let view = thread_view(&st, &cu, contact, ReplyForm::default()).await?;
    Ok(page(&st, &cu, &f, Some(view)).await?.into_response())
}

/// `GET /conversations/{id}/thread`: the messages alone (live refresh);
/// the reader is looking, so the thread is read.
pub async fn thread_fragment(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
) -> AppResult<Response> {
    let ws = cu.workspace.id;
    service::thread_of(&st.db, ws, contact)
        .await
        .map_err(not_found)?;
    service::mark_read(&st.db, ws, contact, st.now()).await?;
    Ok(render(&thread_part(&st, &cu, contact).await?)?.into_response())
}

fn back(contact: ContactId) -> Response {
    Redirect::to(&format!("/conversations/{contact}")).into_response()
}

/// `POST /conversations/{id}/reply` (multipart: the form and its files).
pub async fn reply(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
    request: Request,
) -> AppResult<Response> {
    let ct = ConversationsTr::get(cu.locale());
    // Another workspace's contact is a 404 before the body is read.
    service::thread_of(&st.db, cu.workspace.id, contact)
        .await
        .map_err(not_found)?;
    let bad = || AppError::BadRequest(ct.err_invalid.into());
    let mut form = Multipart::from_request(request, &st)
        .await
        .map_err(|_| bad())?;
    let mut state = ReplyForm::default();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let filename = field.file_name().unwrap_or_default().to_string();
            let content_type = field.content_type().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(|_| bad())?;
            if !bytes.is_empty() {
                files.push(ReplyFile {
                    filename,
                    // By its bytes; anything else is refused by the rules.
                    content_type: reply::file_type(&bytes)
                        .map_or_else(|| format!("unknown ({content_type})"), str::to_string),
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let text = field.text().await.map_err(|_| bad())?;
        match name.as_str() {
            "channel" => state.channel = text,
            "subject" => state.subject = text,
            "body" => state.body = text,
            "template_sid" if !text.trim().is_empty() => state.template_sid = text,
            "template_pick" if state.template_sid.trim().is_empty() => state.template_sid = text,
            "variables" => state.variables = text,
            "override_quiet_hours" => state.override_quiet = text == "1",
            _ => {}
        }
    }
    let req = ReplyRequest {
        channel: state.channel.clone(),
        body: state.body.clone(),
        subject: Some(state.subject.clone()).filter(|s| !s.trim().is_empty()),
        template_sid: Some(state.template_sid.clone()).filter(|s| !s.trim().is_empty()),
        variables: parse_variables(&state.variables),
        override_quiet_hours: state.override_quiet,
    };
    let cfg = st.engine_config();
    let env = reply::Env {
        db: &st.db,
        cfg: &cfg,
    };
    let sent = reply::send(
        &env,
        &cu.workspace,
        contact,
        &req,
        &files,
        Some(cu.user.id),
        &cu.actor(),
        st.now(),
    )
    .await;
    match sent {
        Ok(_) => {
            set_flash(&cu.session, true, ct.sent).await?;
            Ok(back(contact))
        }
        Err(ConversationError::NotFound) => Err(AppError::NotFound),
        Err(ConversationError::Db(e)) => Err(e.into()),
        Err(e) => {
            state.error = refusal_text(&cu, ct, &e);
            let view = thread_view(&st, &cu, contact, state).await?;
            let html = page(&st, &cu, &Filters::default(), Some(view)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
    }
}

/// `1=Ana` lines as template variables.
fn parse_variables(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut out = serde_json::Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            let k = k.trim();
            if !k.is_empty() {
                out.insert(
                    k.to_string(),
                    serde_json::Value::String(v.trim().to_string()),
                );
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A refusal in the reader's words; other invalid input as the service
/// says it (field names are the form's).
fn refusal_text(cu: &CurrentUser, ct: &ConversationsTr, e: &ConversationError) -> String {
    match e {
        ConversationError::Refused(r) => match r {
            Refusal::NoEmail => ct.err_no_email.to_string(),
            Refusal::NoPhone => ct.err_no_phone.to_string(),
            Refusal::OptedOut => ct.err_no_consent.to_string(),
            Refusal::WindowClosed { .. } => ct.err_window_closed.to_string(),
            Refusal::QuietHours { until } => ct.err_quiet_hours.replace(
                "{until}",
                &fmt_when(*until, &cu.workspace.time_zone, cu.locale()),
            ),
        },
        other => {
            let fields = other.fields();
            let detail = fields
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            format!("{} {detail}", ct.err_invalid)
        }
    }
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    assignee_id: String,
}

/// `POST /conversations/{id}/assign`
pub async fn assign(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
    Form(f): Form<AssignForm>,
) -> AppResult<Response> {
    let assignee = match f.assignee_id.trim() {
        "" => None,
        id => Some(id.parse::<UserId>().map_err(|_| AppError::NotFound)?),
    };
    let patch = ConversationPatch {
        assignee_id: Some(assignee),
        status: None,
    };
    apply(&st, &cu, contact, &patch).await
}

/// Applies a change of assignee or status, back to the thread.
async fn apply(
    st: &AppState,
    cu: &CurrentUser,
    contact: ContactId,
    patch: &ConversationPatch,
) -> AppResult<Response> {
    service::update(
        &st.db,
        cu.workspace.id,
        contact,
        patch,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found)?;
    Ok(back(contact))
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// `POST /conversations/{id}/status`
pub async fn set_status(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
    Form(f): Form<StatusForm>,
) -> AppResult<Response> {
    let patch = ConversationPatch {
        assignee_id: None,
        status: Some(f.status),
    };
    apply(&st, &cu, contact, &patch).await
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

/// `POST /conversations/{id}/notes`: an internal note in the thread (the
/// contact's notes: the contact page shows them too).
pub async fn add_note(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(contact): IdPath<ContactId>,
    Form(f): Form<NoteForm>,
) -> AppResult<Response> {
    service::thread_of(&st.db, cu.workspace.id, contact)
        .await
        .map_err(not_found)?;
    let body = f.body.trim();
    if body.is_empty() || body.chars().count() > af_db::notes::MAX_NOTE_CHARS {
        return Ok(back(contact));
    }
    let mut tx = st.db.begin().await?;
    af_db::notes::insert_note(
        &mut tx,
        cu.workspace.id,
        contact,
        Some(cu.user.id),
        body,
        &cu.actor(),
        st.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(back(contact))
}

/// `GET /conversations/{id}/messages/{message}/files/{position}`: a file
/// as a download — never shown inline, so a hostile file cannot run in
/// our origin.
pub async fn download(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((contact, message, position)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let contact: ContactId = contact.parse().map_err(|_| AppError::NotFound)?;
    let message: MessageId = message.parse().map_err(|_| AppError::NotFound)?;
    let position: i32 = position.parse().map_err(|_| AppError::NotFound)?;
    let ws = cu.workspace.id;
    store::thread_message(&st.db, ws, contact, message)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = af_db::messages::file(&st.db, ws, message, position)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = reply::clean_filename(&f.filename);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|e| AppError::Internal(e.into()))?;
    let content_type = if reply::FILE_TYPES.contains(&f.content_type.as_str()) {
        HeaderValue::from_str(&f.content_type).map_err(|e| AppError::Internal(e.into()))?
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        f.content,
    )
        .into_response())
}
