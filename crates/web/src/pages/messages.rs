//! The Messages area: the outbox of every message the workspace sent or
//! queued (built-in outbox and, later, real providers), filtered by channel
//! and status with keyset "more" pages, and one message as sent (an email's
//! HTML in a sandboxed frame, or the text).

use super::fmt_when;
use super::shell::{Area, Shell};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::automations::AutoTr;
use crate::i18n::details::detail;
use crate::i18n::vocab::VocabTr;
use af_core::vocab::{Channel, MessageStatus};
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
/// The channels and statuses the outbox filters offer.
const CHANNELS: [Channel; 4] = [
    Channel::Email,
    Channel::Sms,
    Channel::WhatsApp,
    Channel::Voice,
];
const STATUSES: [MessageStatus; 4] = [
    MessageStatus::Queued,
    MessageStatus::Sent,
    MessageStatus::Skipped,
    MessageStatus::Failed,
];

/// One option of a filter: the stored value, its label, whether chosen.
pub struct FilterOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct MessageRow {
    pub id: MessageId,
    pub when: String,
    /// The stored channel (for `data-channel`) and its label.
    pub channel: String,
    pub channel_label: String,
    pub to: String,
    pub contact_id: Option<ContactId>,
    pub contact_name: String,
    pub subject: String,
    pub excerpt: String,
    pub status: String,
    pub status_label: String,
    pub skip_reason: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
struct MessagesTemplate {
    shell: Shell,
    at: &'static AutoTr,
    messages: Vec<MessageRow>,
    channels: Vec<FilterOption>,
    statuses: Vec<FilterOption>,
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
    let locale = cu.locale();
    let v = VocabTr::get(locale);
    let channel = CHANNELS.into_iter().find(|c| q.channel == *c);
    let status = STATUSES.into_iter().find(|s| q.status == *s);
    let before = q.before.as_deref().and_then(|raw| {
        let (ts, id) = raw.split_once('_')?;
        Some((af_db::Ts::new(ts.parse().ok()?), id.parse().ok()?))
    });
    let filter = OutboxFilter {
        contact: None,
        channel: channel.map(Channel::as_str),
        status: status.map(MessageStatus::as_str),
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
            when: fmt_when(m.created_at, tz, locale),
            contact_name: m
                .contact_id
                .and_then(|c| names.get(&c).cloned())
                .unwrap_or_default(),
            contact_id: m.contact_id.map(ContactId),
            subject: m.subject.clone().unwrap_or_default(),
            excerpt: one_line(&m.body_text, 80),
            channel_label: v.channel(&m.channel).to_string(),
            channel: m.channel,
            to: m.to_address,
            status_label: v.message_status(&m.status).to_string(),
            status: m.status,
            skip_reason: m
                .skip_reason
                .map(|r| detail(locale, &r))
                .unwrap_or_default(),
        })
        .collect();
    Ok(MessagesTemplate {
        at: AutoTr::get(cu.locale()),
        messages: rows,
        channels: CHANNELS
            .into_iter()
            .map(|c| FilterOption {
                value: c.as_str(),
                label: v.channel_label(c),
                selected: Some(c) == channel,
            })
            .collect(),
        statuses: STATUSES
            .into_iter()
            .map(|s| FilterOption {
                value: s.as_str(),
                label: v.message_status_label(s),
                selected: Some(s) == status,
            })
            .collect(),
        channel: channel.map_or("", Channel::as_str).into(),
        status: status.map_or("", MessageStatus::as_str).into(),
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
    channel: &'static str,
    provider: String,
    status: String,
    skip_reason: Option<String>,
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
        when: fmt_when(m.created_at, &cu.workspace.time_zone, cu.locale()),
        channel: Channel::parse(&m.channel)
            .map_or("", |c| VocabTr::get(cu.locale()).channel_label(c)),
        status: VocabTr::get(cu.locale())
            .message_status(&m.status)
            .to_string(),
        provider: VocabTr::get(cu.locale()).provider(&m.provider).to_string(),
        skip_reason: m.skip_reason.as_deref().map(|r| detail(cu.locale(), r)),
        shell,
        m,
    })
}
