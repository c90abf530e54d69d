//! Conversaciones (issue 20): the inbox. One thread per contact across
//! channels; on a laptop the list and the open thread side by side, on a
//! phone one after the other. Replies, assignment, closing and notes are
//! plain forms (they work without script); `assets/js/inbox.js` keeps the
//! list and the open thread current from `/conversations/events`.
//!
//! The rules live in `af_service::conversations`; this module reads the
//! request and draws.

mod live;
pub mod templates;
mod thread;

use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::extract::render;
use crate::i18n::conversations::ConversationsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::fmt_ago;
use crate::state::AppState;
use af_core::vocab::{Channel, ConversationStatus};
use af_core::{ContactId, Locale};
use af_db::Ts;
use af_db::conversations::{self as store, AssigneeFilter, Conversation, ListFilter};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// How many conversations a page of the list shows.
const PAGE_SIZE: i64 = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/conversations", get(thread::inbox))
        .route("/conversations/list", get(list_fragment))
        .route("/conversations/events", get(live::events))
        .route("/conversations/{id}", get(thread::show))
        .route("/conversations/{id}/thread", get(thread::thread_fragment))
        .route("/conversations/{id}/reply", post(thread::reply))
        .route("/conversations/{id}/assign", post(thread::assign))
        .route("/conversations/{id}/status", post(thread::set_status))
        .route("/conversations/{id}/notes", post(thread::add_note))
        .route(
            "/conversations/{id}/messages/{message}/files/{position}",
            get(thread::download),
        )
}

/// The list's filters as the query string carries them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// `open` (default), `closed` or `all`.
    pub status: String,
    /// `mine`, `unassigned` or empty for everyone's.
    pub who: String,
    /// `1`: unread only.
    pub unread: String,
    pub channel: String,
    pub q: String,
    /// The cursor of the previous page's last row.
    pub before: String,
}

impl Filters {
    fn status(&self) -> Option<ConversationStatus> {
        match self.status.as_str() {
            "all" => None,
            "closed" => Some(ConversationStatus::Closed),
            _ => Some(ConversationStatus::Open),
        }
    }

    fn to_list_filter(&self, cu: &CurrentUser) -> ListFilter {
        ListFilter {
            status: self.status(),
            assignee: match self.who.as_str() {
                "mine" => AssigneeFilter::Member(cu.user.id),
                "unassigned" => AssigneeFilter::Unassigned,
                _ => AssigneeFilter::Anyone,
            },
            unread_only: self.unread == "1",
            channel: Channel::parse(&self.channel)
                .filter(|c| store::is_conversation_channel(c.as_str())),
            words: crate::api::conversations::search_words(&self.q),
        }
    }

    /// The query string that keeps these filters (without the cursor).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("status", &self.status),
            ("who", &self.who),
            ("unread", &self.unread),
            ("channel", &self.channel),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", urlencoding::encode(v)));
            }
        }
        parts.join("&")
    }

    fn status_value(&self) -> &str {
        match self.status.as_str() {
            "all" | "closed" => &self.status,
            _ => "open",
        }
    }
}

/// One row of the list as drawn.
pub struct Row {
    pub contact_id: ContactId,
    pub name: String,
    pub preview: String,
    pub inbound_last: bool,
    pub channel: String,
    pub when: String,
    pub unread: i32,
    pub assignee: String,
    pub closed: bool,
    pub selected: bool,
}

fn row(
    c: &Conversation,
    locale: Locale,
    time_zone: &str,
    now: Ts,
    selected: Option<ContactId>,
) -> Row {
    let v = VocabTr::get(locale);
    Row {
        contact_id: c.contact_id,
        name: c.contact_name(),
        preview: c.last_preview.clone().unwrap_or_default(),
        inbound_last: c.last_direction.as_deref() == Some("inbound"),
        channel: c
            .last_channel
            .as_deref()
            .map(|ch| v.channel(ch).to_string())
            .unwrap_or_default(),
        when: fmt_ago(c.last_message_at, now, time_zone, locale),
        unread: c.unread,
        assignee: c.assignee_name.clone().unwrap_or_default(),
        closed: c.status == ConversationStatus::Closed,
        selected: selected == Some(c.contact_id),
    }
}

/// The list part, shared by the pages and the live refresh.
#[derive(Template)]
#[template(path = "conversations/_list.html")]
pub struct ListPart {
    pub ct: &'static ConversationsTr,
    pub rows: Vec<Row>,
    pub next: Option<String>,
    pub query: String,
    pub filtered: bool,
}

fn cursor(c: &Conversation) -> String {
    format!("{}~{}", c.last_message_at.0, c.contact_id)
}

fn parse_cursor(raw: &str) -> Option<(Ts, ContactId)> {
    let (at, id) = raw.split_once('~')?;
    Some((Ts::new(at.parse().ok()?), id.parse().ok()?))
}

pub(crate) async fn list_part(
    st: &AppState,
    cu: &CurrentUser,
    f: &Filters,
    selected: Option<ContactId>,
) -> AppResult<ListPart> {
    let after = parse_cursor(f.before.trim());
    let filter = f.to_list_filter(cu);
    let rows = store::list(&st.db, cu.workspace.id, &filter, after, PAGE_SIZE + 1).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    let shown = &rows[..rows.len().min(PAGE_SIZE as usize)];
    let now = st.now();
    let locale = cu.locale();
    let filtered = !f.who.is_empty()
        || f.unread == "1"
        || !f.channel.is_empty()
        || !f.q.is_empty()
        || f.status_value() != "open";
    Ok(ListPart {
        ct: ConversationsTr::get(locale),
        rows: shown
            .iter()
            .map(|c| row(c, locale, &cu.workspace.time_zone, now, selected))
            .collect(),
        next: more.then(|| shown.last().map(cursor)).flatten(),
        query: f.query(),
        filtered,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    filters: Filters,
    /// The open thread's contact, highlighted in the list.
    selected: String,
}

/// `GET /conversations/list`: the list alone (live refresh).
async fn list_fragment(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let selected = q.selected.parse().ok();
    let part = list_part(&st, &cu, &q.filters, selected).await?;
    Ok(render(&part)?.into_response())
}

/// The filter bar's choices.
pub struct FilterBar {
    pub status: String,
    pub who: String,
    pub unread: bool,
    pub channel: String,
    pub q: String,
    pub channels: Vec<(&'static str, &'static str)>,
}

pub(crate) fn filter_bar(f: &Filters, locale: Locale) -> FilterBar {
    let ct = ConversationsTr::get(locale);
    FilterBar {
        status: f.status_value().to_string(),
        who: f.who.clone(),
        unread: f.unread == "1",
        channel: f.channel.clone(),
        q: f.q.clone(),
        channels: vec![
            ("whatsapp", ct.channel_whatsapp),
            ("sms", ct.channel_sms),
            ("email", ct.channel_email),
            ("voice", ct.channel_voice),
        ],
    }
}
