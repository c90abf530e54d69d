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
use serde::Deserialize;
use utoipa::ToSchema;

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

/// SendGrid Inbound Parse's form (the parts read).
#[derive(Deserialize, ToSchema)]
pub struct SendGridParseDoc {
    /// The sender: `Name <address>`.
    #[schema(example = "Lucía Pérez <lucia@example.com>")]
    pub from: String,
    /// The recipients, comma-separated.
    #[schema(example = "hola@agencia.mx")]
    pub to: String,
    /// The subject.
    #[schema(example = "Re: Tu cotización")]
    pub subject: Option<String>,
    /// The plain-text part.
    pub text: Option<String>,
    /// The HTML part (read when there is no text part).
    pub html: Option<String>,
    /// The raw header block (`Message-ID`, `In-Reply-To`, `References`).
    pub headers: Option<String>,
    /// Files `attachment1`, `attachment2`…: images and PDFs up to 10 MB are kept, at most 10.
    #[schema(value_type = Option<String>, format = Binary)]
    pub attachment1: Option<Vec<u8>>,
}

/// An address in a Brevo inbound post.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BrevoAddressDoc {
    /// The address.
    #[schema(example = "lucia@example.com")]
    pub address: Option<String>,
    /// The display name.
    #[schema(example = "Lucía Pérez")]
    pub name: Option<String>,
}

/// One email of a Brevo inbound post (the fields read).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BrevoItemDoc {
    /// The `Message-ID` header.
    pub message_id: Option<String>,
    /// The `In-Reply-To` header.
    pub in_reply_to: Option<String>,
    /// The sender.
    pub from: Option<BrevoAddressDoc>,
    /// The recipients.
    pub to: Vec<BrevoAddressDoc>,
    /// The subject.
    pub subject: Option<String>,
    /// The whole text part, quoted history included.
    pub raw_text_body: Option<String>,
    /// The whole HTML part.
    pub raw_html_body: Option<String>,
    /// The reply without its quoted history, as Brevo extracted it.
    pub extracted_markdown_message: Option<String>,
    /// Other headers by name.
    #[schema(value_type = Object)]
    pub headers: serde_json::Map<String, serde_json::Value>,
}

/// Brevo's inbound parsing post.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"items": [{"MessageId": "<CAF=abc@mail.gmail.com>", "InReplyTo": "<0193a5b4@agencia.mx>", "From": {"Address": "lucia@example.com", "Name": "Lucía Pérez"}, "To": [{"Address": "hola@agencia.mx", "Name": null}], "Subject": "Re: Tu cotización", "RawTextBody": "Me interesa.", "ExtractedMarkdownMessage": "Me interesa.", "Headers": {}}]}))]
pub struct BrevoInboundDoc {
    /// The emails of this post.
    pub items: Vec<BrevoItemDoc>,
}

/// SendGrid inbound email
///
/// SendGrid's Inbound Parse: each email lands in its contact's thread, once per Message-ID. Neither vendor signs these posts, so the URL carries a per-workspace token (Settings → Channels). A post without a usable sender is answered 200 (SendGrid would retry a 4xx for days) and logged.
#[utoipa::path(
    post,
    path = "/webhooks/email/{slug}/{token}/sendgrid",
    operation_id = "sendgrid_inbound_email",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("token" = String, Path, description = "The workspace's inbound-email token, as shown in Settings → Channels."),
    ),
    request_body(content = SendGridParseDoc, content_type = "multipart/form-data"),
    security(()),
    responses(
        (status = 200, description = "Taken (or dropped without a usable sender)."),
        (status = 400, description = "Not an Inbound Parse form."),
        (status = 404, description = "No such workspace, or a wrong token."),
    ),
)]
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

/// Brevo inbound email
///
/// Brevo's inbound parsing webhook: every item of the post lands in its contact's thread, once per Message-ID. (Brevo sends files as download tokens for its API; they are not fetched yet.)
#[utoipa::path(
    post,
    path = "/webhooks/email/{slug}/{token}/brevo",
    operation_id = "brevo_inbound_email",
    tag = "Vendor callbacks",
    params(
        ("slug" = String, Path, description = "The workspace's slug."),
        ("token" = String, Path, description = "The workspace's inbound-email token, as shown in Settings → Channels."),
    ),
    request_body = BrevoInboundDoc,
    security(()),
    responses(
        (status = 200, description = "Taken."),
        (status = 400, description = "Not Brevo's inbound post."),
        (status = 404, description = "No such workspace, or a wrong token."),
    ),
)]
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
#[openapi(paths(sendgrid, brevo))]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    (
        "An address in a Brevo inbound post.",
        "Una dirección en un envío entrante de Brevo.",
    ),
    ("Brevo inbound email", "Correo entrante de Brevo"),
    (
        "Brevo's inbound parsing post.",
        "El envío de análisis de correo entrante de Brevo.",
    ),
    (
        "Brevo's inbound parsing webhook: every item of the post lands in its contact's thread, once per Message-ID. (Brevo sends files as download tokens for its API; they are not fetched yet.)",
        "El webhook de correo entrante de Brevo: cada elemento del envío llega a la conversación de su contacto, una vez por Message-ID. (Brevo envía los archivos como tokens de descarga para su API; todavía no se descargan.)",
    ),
    (
        "Files `attachment1`, `attachment2`…: images and PDFs up to 10 MB are kept, at most 10.",
        "Archivos `attachment1`, `attachment2`…: se guardan imágenes y PDF de hasta 10 MB, 10 como máximo.",
    ),
    (
        "Not Brevo's inbound post.",
        "No es un envío entrante de Brevo.",
    ),
    (
        "Not an Inbound Parse form.",
        "No es un formulario de Inbound Parse.",
    ),
    (
        "One email of a Brevo inbound post (the fields read).",
        "Un correo de un envío entrante de Brevo (los campos que se leen).",
    ),
    ("Other headers by name.", "Otras cabeceras por nombre."),
    (
        "SendGrid Inbound Parse's form (the parts read).",
        "El formulario de Inbound Parse de SendGrid (las partes que se leen).",
    ),
    ("SendGrid inbound email", "Correo entrante de SendGrid"),
    (
        "SendGrid's Inbound Parse: each email lands in its contact's thread, once per Message-ID. Neither vendor signs these posts, so the URL carries a per-workspace token (Settings → Channels). A post without a usable sender is answered 200 (SendGrid would retry a 4xx for days) and logged.",
        "El Inbound Parse de SendGrid: cada correo llega a la conversación de su contacto, una vez por Message-ID. Ninguno de los dos proveedores firma estos envíos, así que la URL lleva un token por espacio de trabajo (Configuración → Canales). Un envío sin un remitente útil se responde con 200 (SendGrid reintentaría un 4xx durante días) y se registra.",
    ),
    (
        "Taken (or dropped without a usable sender).",
        "Recibido (o descartado sin un remitente útil).",
    ),
    ("Taken.", "Recibido."),
    (
        "The HTML part (read when there is no text part).",
        "La parte HTML (se lee cuando no hay parte de texto).",
    ),
    ("The `In-Reply-To` header.", "La cabecera `In-Reply-To`."),
    ("The `Message-ID` header.", "La cabecera `Message-ID`."),
    ("The address.", "La dirección."),
    ("The display name.", "El nombre para mostrar."),
    ("The emails of this post.", "Los correos de este envío."),
    ("The plain-text part.", "La parte de texto plano."),
    (
        "The raw header block (`Message-ID`, `In-Reply-To`, `References`).",
        "El bloque de cabeceras sin procesar (`Message-ID`, `In-Reply-To`, `References`).",
    ),
    (
        "The recipients, comma-separated.",
        "Los destinatarios, separados por comas.",
    ),
    ("The recipients.", "Los destinatarios."),
    (
        "The reply without its quoted history, as Brevo extracted it.",
        "La respuesta sin su historial citado, tal como la extrajo Brevo.",
    ),
    ("The sender.", "El remitente."),
    (
        "The sender: `Name <address>`.",
        "El remitente: `Nombre <dirección>`.",
    ),
    ("The subject.", "El asunto."),
    ("The whole HTML part.", "La parte HTML completa."),
    (
        "The whole text part, quoted history included.",
        "La parte de texto completa, con el historial citado.",
    ),
    (
        "The workspace's inbound-email token, as shown in Settings → Channels.",
        "El token de correo entrante del espacio, como aparece en Configuración → Canales.",
    ),
];
