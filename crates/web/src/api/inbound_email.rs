//! Email that contacts send us (issue 20), from the vendors' inbound
//! webhooks — no session, no CSRF, every byte hostile:
//!
//! - `POST /webhooks/email/{workspace_slug}/{token}/sendgrid`: SendGrid's
//!   Inbound Parse (multipart form: `from`, `to`, `subject`, `text`,
//!   `html`, `headers`, and files `attachment1`…).
//! - `POST /webhooks/email/{workspace_slug}/{token}/brevo`: Brevo's inbound
//!   parsing webhook (JSON `items`).
//!
//! Neither vendor signs these posts, so the URL carries the secret: a
//! per-workspace token derived from the server key (shown on
//! Configuración → Canales; a wrong one is 404). Each email lands in its
//! thread by `af_service::conversations::inbound::receive_email`, once
//! per Message-ID. These routes take bodies up to [`MAX_INBOUND_BYTES`]
//! (`lib.rs`), since mail carries files.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use af_channels::inbound_email::{BrevoInbound, SendGridParse};
use af_core::WorkspaceId;
use af_core::crypto::SecretKey;
use af_db::messages::StoredAttachment;
use af_db::workspaces::Workspace;
use af_service::conversations::inbound::{self, EmailVendor};
use af_service::conversations::reply;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// Largest inbound email post (SendGrid's own limit is 30 MB).
pub const MAX_INBOUND_BYTES: usize = 30 * 1024 * 1024;
/// Largest file kept from an inbound email.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Most files kept from one email.
pub const MAX_FILES: usize = 10;

const PURPOSE: &str = "inbound-email";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webhooks/email/{slug}/{token}/sendgrid", post(sendgrid))
        .route("/webhooks/email/{slug}/{token}/brevo", post(brevo))
}

/// The inbound-email token of a workspace.
pub fn token(key: &SecretKey, ws: WorkspaceId) -> String {
    key.sign(PURPOSE, &ws.to_string())
}

/// The URL to paste in the vendor's inbound settings.
pub fn inbound_url(
    base_url: &str,
    key: &SecretKey,
    ws: WorkspaceId,
    slug: &str,
    vendor: &str,
) -> String {
    format!(
        "{}/webhooks/email/{slug}/{}/{vendor}",
        base_url.trim_end_matches('/'),
        token(key, ws)
    )
}

async fn workspace(st: &AppState, slug: &str, token: &str) -> AppResult<Workspace> {
    let ws = af_db::workspaces::find_workspace_by_slug(&st.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !st.secret.verify(PURPOSE, &ws.id.to_string(), token.trim()) {
        tracing::warn!(workspace.id = %ws.id, "inbound email with a wrong token");
        return Err(AppError::NotFound);
    }
    Ok(ws)
}

/// SendGrid Inbound Parse. A post without a usable sender is answered 200
/// (SendGrid would retry a 4xx for days) and logged.
pub async fn sendgrid(
    State(st): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    mut form: Multipart,
) -> AppResult<Response> {
    let ws = workspace(&st, &slug, &token).await?;
    let bad = || AppError::BadRequest("not a SendGrid Inbound Parse form".into());
    let mut parse = SendGridParse::default();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_string();
        if name.starts_with("attachment") && field.file_name().is_some() {
            let filename = field.file_name().unwrap_or_default().to_string();
            let declared = field.content_type().unwrap_or_default().to_lowercase();
            let bytes = field.bytes().await.map_err(|_| bad())?;
            if let Some(f) = kept_file(&filename, &declared, &bytes)
                && files.len() < MAX_FILES
            {
                files.push(f);
            }
            continue;
        }
        let text = field.text().await.map_err(|_| bad())?;
        match name.as_str() {
            "from" => parse.from = text,
            "to" => parse.to = text,
            "subject" => parse.subject = text,
            "text" => parse.text = text,
            "html" => parse.html = text,
            "headers" => parse.headers = text,
            _ => {}
        }
    }
    let Some(email) = parse.into_email() else {
        tracing::warn!(workspace.id = %ws.id, "inbound email without a usable sender");
        return Ok(StatusCode::OK.into_response());
    };
    inbound::receive_email(&st.db, &ws, EmailVendor::SendGrid, &email, &files, st.now()).await?;
    Ok(StatusCode::OK.into_response())
}

/// Brevo's inbound parsing webhook: every item of the post. (Brevo sends
/// files as download tokens for its API; they are not fetched yet.)
pub async fn brevo(
    State(st): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
    body: Bytes,
) -> AppResult<Response> {
    let ws = workspace(&st, &slug, &token).await?;
    let Ok(post) = serde_json::from_slice::<BrevoInbound>(&body) else {
        return Ok(StatusCode::BAD_REQUEST.into_response());
    };
    for item in post.items {
        let Some(email) = item.into_email() else {
            tracing::warn!(workspace.id = %ws.id, "inbound email without a usable sender");
            continue;
        };
        inbound::receive_email(&st.db, &ws, EmailVendor::Brevo, &email, &[], st.now()).await?;
    }
    Ok(StatusCode::OK.into_response())
}

/// A file worth keeping: an image or PDF (by its bytes, not its claim),
/// small enough, with a clean name.
fn kept_file(filename: &str, declared: &str, bytes: &[u8]) -> Option<StoredAttachment> {
    if bytes.is_empty() || bytes.len() > MAX_FILE_BYTES {
        return None;
    }
    let Some(sniffed) = reply::file_type(bytes) else {
        tracing::debug!(declared, "inbound email file of a type we do not keep");
        return None;
    };
    Some(StoredAttachment {
        filename: reply::clean_filename(filename),
        content_type: sniffed.to_string(),
        content: bytes.to_vec(),
    })
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
