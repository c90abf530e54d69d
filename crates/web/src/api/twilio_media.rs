//! The files of an inbound WhatsApp / MMS message: Twilio gives their
//! addresses, we fetch them with the account's credentials through the
//! SSRF guard (the addresses come from a request body, so they are
//! hostile until proven otherwise), keep images, PDFs, audio and video up
//! to a size, and store them with the message. A file that cannot be
//! fetched is logged and left out: the message itself is never lost for
//! it.

use crate::state::AppState;
use af_channels::twilio::InboundMessage;
use af_db::messages::StoredAttachment;
use af_db::workspaces::Workspace;

/// Largest file kept (WhatsApp's own limit for media is 16 MB).
pub const MAX_MEDIA_BYTES: usize = 16 * 1024 * 1024;

/// The message's media, fetched; empty when it has none or Twilio is not
/// configured for the workspace.
pub async fn fetch_all(
    st: &AppState,
    ws: &Workspace,
    msg: &InboundMessage,
) -> Vec<StoredAttachment> {
    if msg.media.is_empty() {
        return Vec::new();
    }
    let creds = match af_engine::channels::workspace_credentials(&st.db, &st.secret, ws.id).await {
        Ok((creds, _)) => creds,
        Err(e) => {
            tracing::warn!(workspace.id = %ws.id, error = %e, "inbound media: no channel settings");
            return Vec::new();
        }
    };
    let cfg = st.config.channels.providers.with_workspace(&creds);
    let (Some(sid), Some(token)) = (
        cfg.twilio_account_sid.as_deref(),
        cfg.twilio_auth_token.as_ref(),
    ) else {
        return Vec::new();
    };
    let policy = st.config.channels.ssrf();
    let mut out = Vec::new();
    for m in &msg.media {
        match af_channels::twilio::fetch_media(&m.url, sid, token, &policy, MAX_MEDIA_BYTES).await {
            Ok(f) => out.push(StoredAttachment {
                filename: f.filename,
                content_type: f.content_type,
                content: f.bytes,
            }),
            Err(e) => {
                tracing::warn!(workspace.id = %ws.id, message.sid = %msg.sid, error = %e, "inbound media not fetched");
            }
        }
    }
    out
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
