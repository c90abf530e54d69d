//! The Messages area: for now the built-in outbox, shown like a mail catcher.

use super::fmt_time;
use super::shell::{Area, Shell};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use af_core::MessageId;
use af_db::messages::{self, Message};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use crate::state::AppState;

pub struct MessageRow {
    pub id: MessageId,
    pub when: String,
    pub channel: String,
    pub to: String,
    pub subject: String,
    pub status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "messages.html")]
struct MessagesTemplate {
    shell: Shell,
    messages: Vec<MessageRow>,
}

pub async fn list_messages(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    let shell = Shell::new(&cu, Area::Messages).await?;
    let tz = &cu.workspace.time_zone;
    let rows = messages::list_messages(&st.db, cu.workspace.id, 200)
        .await?
        .into_iter()
        .map(|m| MessageRow {
            id: m.id,
            when: fmt_time(m.created_at, tz),
            channel: m.channel,
            to: m.to_address,
            subject: m.subject.unwrap_or_else(|| shell.t.no_subject.into()),
            status: m.status,
        })
        .collect();
    Ok(MessagesTemplate {
        shell,
        messages: rows,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "message_detail.html")]
struct MessageTemplate {
    shell: Shell,
    m: Message,
    subject: String,
    when: String,
}

pub async fn show_message(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let id: MessageId = id.parse().map_err(|_| AppError::NotFound)?;
    let m = messages::find_message(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let shell = Shell::new(&cu, Area::Messages).await?;
    Ok(MessageTemplate {
        subject: m
            .subject
            .clone()
            .unwrap_or_else(|| shell.t.no_subject.into()),
        when: fmt_time(m.created_at, &cu.workspace.time_zone),
        shell,
        m,
    })
}
