//! The Messages area: the outbox of every message the workspace sent or
//! queued (built-in outbox and, later, real providers), filtered by channel
//! and status with keyset "more" pages, and one message as sent (an email's
//! HTML in a sandboxed frame, or the text).

use super::fmt_time;
use super::shell::{Area, Shell};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::automations::AutoTr;
use af_core::{ContactId, MessageId};
use af_db::messages::{self, Message, OutboxFilter};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::state::AppState;

/// Rows per page.
const PAGE: i64 = 50;
const CHANNELS: [&str; 4] = ["email", "sms", "whatsapp", "voice"];
const STATUSES: [&str; 4] = ["queued", "sent", "skipped", "failed"];

pub struct MessageRow {
    pub id: MessageId,
    pub when: String,
    pub channel: String,
    pub to: String,
    pub contact_id: Option<ContactId>,
    pub contact_name: String,
    pub subject: String,
    pub excerpt: String,
    pub status: String,
    pub skip_reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
struct MessagesTemplate {
    shell: Shell,
    at: &'static AutoTr,
    messages: Vec<MessageRow>,
    channels: Vec<(&'static str, bool)>,
    statuses: Vec<(&'static str, bool)>,
    channel: String,
    status: String,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    status: String,
    before: Option<String>,
}

fn one_line(s: &str, n: usize) -> String {
    let one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > n {
        one.chars().take(n).chain(['…']).collect()
    } else {
        one
    }
}

/// GET /messages?channel=&status=&before=
pub async fn list_messages(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<OutboxQuery>,
) -> AppResult<impl IntoResponse> {
    let shell = Shell::new(&cu, Area::Messages).await?;
    let ws = cu.workspace.id;
    let tz = &cu.workspace.time_zone;
    let channel = CHANNELS.iter().find(|c| **c == q.channel).copied();
    let status = STATUSES.iter().find(|c| **c == q.status).copied();
    let before = q.before.as_deref().and_then(|raw| {
        let (ts, id) = raw.split_once('_')?;
        Some((af_db::Ts::new(ts.parse().ok()?), id.parse().ok()?))
    });
    let filter = OutboxFilter {
        contact: None,
        channel,
        status,
    };
    let mut found = messages::search_outbox(&st.db, ws, &filter, before, PAGE + 1).await?;
    let next = (found.len() as i64 > PAGE).then(|| {
        let last = &found[PAGE as usize - 1];
        format!("{}_{}", last.created_at.0, last.id)
    });
    found.truncate(PAGE as usize);
    // Names of the contacts on this page, one lookup each (at most 50).
    let mut names: std::collections::HashMap<uuid::Uuid, String> = Default::default();
    for m in &found {
        if let Some(c) = m.contact_id
            && !names.contains_key(&c)
        {
            let name = af_db::contacts::find_contact(&st.db, ws, ContactId(c))
                .await?
                .map(|c| c.full_name())
                .unwrap_or_default();
            names.insert(c, name);
        }
    }
    let rows = found
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            when: fmt_time(m.created_at, tz),
            contact_name: m
                .contact_id
                .and_then(|c| names.get(&c).cloned())
                .unwrap_or_default(),
            contact_id: m.contact_id.map(ContactId),
            subject: m.subject.clone().unwrap_or_default(),
            excerpt: one_line(&m.body_text, 80),
            channel: m.channel,
            to: m.to_address,
            status: m.status,
            skip_reason: m.skip_reason.unwrap_or_default(),
        })
        .collect();
    Ok(MessagesTemplate {
        at: AutoTr::get(cu.locale()),
        messages: rows,
        channels: CHANNELS.iter().map(|c| (*c, Some(*c) == channel)).collect(),
        statuses: STATUSES.iter().map(|c| (*c, Some(*c) == status)).collect(),
        channel: channel.unwrap_or("").into(),
        status: status.unwrap_or("").into(),
        next,
        shell,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "message_detail.html")]
struct MessageTemplate {
    shell: Shell,
    at: &'static AutoTr,
    m: Message,
    subject: String,
    when: String,
}

pub async fn show_message(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<MessageId>,
) -> AppResult<impl IntoResponse> {
    let m = messages::find_message(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shell = Shell::new(&cu, Area::Messages).await?;
    Ok(MessageTemplate {
        at: AutoTr::get(cu.locale()),
        subject: m
            .subject
            .clone()
            .unwrap_or_else(|| shell.t.no_subject.into()),
        when: fmt_time(m.created_at, &cu.workspace.time_zone),
        shell,
        m,
    })
}
