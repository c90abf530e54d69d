//! The audit log over the API (issue 19): `GET /api/v1/audit?actor=&action=
//! &entity_type=&entity_id=&lead=&from=&to=&cursor=&limit=` (keyset pages,
//! newest first) and `GET /api/v1/audit/export` (the same filters, JSON
//! lines streamed in constant memory; the export is itself audited).
//! `from`/`to` take an instant or a day in the workspace's time zone (`to`
//! includes that day).

use super::ApiError;
use super::automations::json_schema;
use super::openapi::schemas::Page;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use crate::auth::{ApiAuth, ClientIp};
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_db::audit::{self, AuditEntry, AuditFilter};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::Type;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(list))
        .route("/api/v1/audit/export", get(export))
}

/// The query of the search and the export (the page uses it too).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Who did it: an actor id, or an actor type (`user`, `api_key`, `system`, `public`).
    pub actor: Option<String>,
    /// The action, e.g. `contact.created`.
    #[param(example = "contact.created")]
    pub action: Option<String>,
    /// The kind of record acted on, e.g. `contact`.
    #[param(example = "contact")]
    pub entity_type: Option<String>,
    /// The record acted on.
    pub entity_id: Option<String>,
    /// The contact it concerns.
    #[param(format = Uuid)]
    pub lead: Option<String>,
    /// From this instant, or this day in the workspace's time zone.
    #[param(example = "2026-12-01")]
    pub from: Option<String>,
    /// Up to this instant, or the end of this day in the workspace's time zone.
    #[param(example = "2026-12-31")]
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

impl AuditQuery {
    /// The filter, with `from`/`to` read in the workspace's time zone; a
    /// bound that is neither an instant nor a day is a 422 on its field.
    pub fn filter(&self, time_zone: &str) -> Result<AuditFilter, ApiError> {
        let bound = |field: &str, v: &Option<String>, end: bool| match v
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(None),
            Some(text) => audit::parse_bound(text, time_zone, end)
                .map(Some)
                .ok_or_else(|| {
                    ApiError::field(
                        field,
                        "expected a date (2026-12-01) or an instant (2026-12-01T10:00:00Z)",
                    )
                }),
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Ok(AuditFilter {
            actor: text(&self.actor),
            action: text(&self.action),
            entity_type: text(&self.entity_type),
            entity_id: text(&self.entity_id),
            lead: text(&self.lead),
            from: bound("from", &self.from, false)?,
            to: bound("to", &self.to, true)?,
        })
    }
}

/// One entry of the audit log: PAUTA's `actions_log` fields (`timestamp`, `action`, `channel`, `target`, `lead`, `result`, `detail`) and ours.
#[derive(Serialize, ToSchema)]
pub struct AuditLineOut {
    pub id: Uuid,
    /// When it happened.
    #[schema(format = DateTime, example = "2026-12-05T15:30:00Z")]
    pub timestamp: String,
    /// What was done, e.g. `contact.created`.
    #[schema(example = "contact.created")]
    pub action: String,
    pub channel: Option<String>,
    /// `<entity_type>:<entity_id>`.
    #[schema(example = "contact:0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60")]
    pub target: Option<String>,
    /// The contact it concerns.
    #[schema(format = Uuid)]
    pub lead: Option<String>,
    /// `ok`, or why it failed.
    #[schema(example = "ok")]
    pub result: String,
    /// Details of the action.
    #[schema(schema_with = detail_schema)]
    pub detail: Value,
    /// `user`, `api_key`, `system` or `public`.
    #[schema(example = "api_key")]
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    /// Who did it, as shown to people.
    #[schema(example = "Zapier")]
    pub actor_name: String,
    #[schema(example = "contact")]
    pub entity_type: Option<String>,
    #[schema(example = "0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60")]
    pub entity_id: Option<String>,
    /// The fields that changed: `{"field": [before, after]}`.
    #[schema(schema_with = changes_schema)]
    pub changes: Option<Value>,
    pub request_id: Option<String>,
    /// Where the request came from (`web`, `api`, `cli`...).
    #[schema(example = "api")]
    pub origin: Option<String>,
    pub ip: Option<String>,
}

fn detail_schema() -> utoipa::openapi::schema::Object {
    json_schema(&[], "Details of the action.", json!({"source": "api"}))
}

fn changes_schema() -> utoipa::openapi::schema::Object {
    json_schema(
        &[Type::Object, Type::Null],
        "The fields that changed: `{\"field\": [before, after]}`.",
        json!({"stage": ["new", "won"]}),
    )
}

impl From<&AuditEntry> for AuditLineOut {
    /// The same fields as `AuditEntry::to_line`, the export's line.
    fn from(e: &AuditEntry) -> Self {
        let parse = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.into()));
        let target = match (&e.target_type, &e.target_id) {
            (Some(t), Some(i)) => Some(format!("{t}:{i}")),
            (Some(t), None) => Some(t.clone()),
            _ => None,
        };
        Self {
            id: e.id,
            timestamp: e.created_at.to_string(),
            action: e.action.clone(),
            channel: e.channel.clone(),
            target,
            lead: e.contact_id.clone(),
            result: e.result.clone(),
            detail: parse(&e.details),
            actor_type: e.actor_type.clone(),
            actor_id: e.actor_id,
            actor_name: e.actor_label.clone(),
            entity_type: e.target_type.clone(),
            entity_id: e.target_id.clone(),
            changes: e.changes.as_deref().map(parse),
            request_id: e.request_id.clone(),
            origin: e.origin.clone(),
            ip: e.ip.clone(),
        }
    }
}

/// Search the audit log
///
/// Newest first, in keyset pages. `from` and `to` take an instant or a day in the workspace's time zone (`to` includes that day).
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "audit_list",
    tag = "Audit log",
    params(AuditQuery),
    responses((status = 200, description = "A page of entries.", body = Page<AuditLineOut>)),
)]
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditLineOut>>, ApiError> {
    let f = q.filter(&auth.workspace.time_zone)?;
    let limit = page_limit(q.limit, 50)?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let rows = audit::search(&st.db, auth.workspace.id, &f, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = if more {
        rows.last().map(|e| encode_cursor(e.created_at, e.id))
    } else {
        None
    };
    let data = rows.iter().map(AuditLineOut::from).collect();
    Ok(Json(Page { data, next_cursor }))
}

/// Export the audit log
///
/// Every entry the filters match, as JSON lines (one entry per line, the same fields as the search), streamed; `cursor` and `limit` are ignored. The export is itself audited.
#[utoipa::path(
    get,
    path = "/api/v1/audit/export",
    operation_id = "audit_export",
    tag = "Audit log",
    params(AuditQuery),
    responses((
        status = 200,
        description = "The entries as JSON lines, a download named `audit.ndjson`.",
        content((String = "application/x-ndjson", example = "{\"id\":\"0193a5b4-7c1e-7d2a-9f00-2b1c3d4e5f60\",\"timestamp\":\"2026-12-05T15:30:00Z\",\"action\":\"contact.created\",\"result\":\"ok\"}\n")),
    )),
)]
async fn export(
    State(st): State<AppState>,
    auth: ApiAuth,
    ClientIp(ip): ClientIp,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let f = q.filter(&auth.workspace.time_zone)?;
    audit::record_export(
        &st.db,
        auth.workspace.id,
        &auth.actor(),
        &f,
        Some(&ip),
        st.now(),
    )
    .await?;
    Ok(ndjson(&st, auth.workspace.id, f, "audit.ndjson"))
}

/// The streamed JSON-lines response (the page's download uses it too).
pub fn ndjson(st: &AppState, ws: af_core::WorkspaceId, f: AuditFilter, file: &str) -> Response {
    let stream = audit::export_pages(st.db.clone(), ws, f).map(|page| match page {
        Ok(rows) => Ok(axum::body::Bytes::from(audit::lines(&rows))),
        Err(e) => {
            // Headers are sent already: cut the body so the download fails
            // visibly instead of looking complete.
            tracing::error!(error = %e, "audit export failed mid-stream");
            Err(std::io::Error::other("export failed"))
        }
    });
    let mut r = Body::from_stream(stream).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, export),
    tags((name = "Audit log", description = "Who did what and when in the workspace: every change by members, API keys and the system.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Audit log", "Registro de auditoría"),
    (
        "Who did what and when in the workspace: every change by members, API keys and the system.",
        "Quién hizo qué y cuándo en el espacio: cada cambio de los miembros, las claves de API y el sistema.",
    ),
    (
        "Who did it: an actor id, or an actor type (`user`, `api_key`, `system`, `public`).",
        "Quién lo hizo: el id de un actor, o un tipo de actor (`user`, `api_key`, `system`, `public`).",
    ),
    (
        "The action, e.g. `contact.created`.",
        "La acción, p. ej. `contact.created`.",
    ),
    (
        "The kind of record acted on, e.g. `contact`.",
        "El tipo de registro afectado, p. ej. `contact`.",
    ),
    ("The record acted on.", "El registro afectado."),
    ("The contact it concerns.", "El contacto al que se refiere."),
    (
        "From this instant, or this day in the workspace's time zone.",
        "Desde este instante, o este día en la zona horaria del espacio.",
    ),
    (
        "Up to this instant, or the end of this day in the workspace's time zone.",
        "Hasta este instante, o el final de este día en la zona horaria del espacio.",
    ),
    (
        "One entry of the audit log: PAUTA's `actions_log` fields (`timestamp`, `action`, `channel`, `target`, `lead`, `result`, `detail`) and ours.",
        "Una entrada del registro de auditoría: los campos de `actions_log` de PAUTA (`timestamp`, `action`, `channel`, `target`, `lead`, `result`, `detail`) y los nuestros.",
    ),
    ("When it happened.", "Cuándo ocurrió."),
    (
        "What was done, e.g. `contact.created`.",
        "Lo que se hizo, p. ej. `contact.created`.",
    ),
    (
        "`<entity_type>:<entity_id>`.",
        "`<entity_type>:<entity_id>`.",
    ),
    ("`ok`, or why it failed.", "`ok`, o por qué falló."),
    ("Details of the action.", "Los detalles de la acción."),
    (
        "`user`, `api_key`, `system` or `public`.",
        "`user`, `api_key`, `system` o `public`.",
    ),
    (
        "Who did it, as shown to people.",
        "Quién lo hizo, tal como se muestra a las personas.",
    ),
    (
        "The fields that changed: `{\"field\": [before, after]}`.",
        "Los campos que cambiaron: `{\"campo\": [antes, después]}`.",
    ),
    (
        "Where the request came from (`web`, `api`, `cli`...).",
        "De dónde vino la petición (`web`, `api`, `cli`...).",
    ),
    ("Search the audit log", "Buscar en el registro de auditoría"),
    (
        "Newest first, in keyset pages. `from` and `to` take an instant or a day in the workspace's time zone (`to` includes that day).",
        "Lo más reciente primero, en páginas por cursor. `from` y `to` aceptan un instante o un día en la zona horaria del espacio (`to` incluye ese día).",
    ),
    ("A page of entries.", "Una página de entradas."),
    ("Export the audit log", "Exportar el registro de auditoría"),
    (
        "Every entry the filters match, as JSON lines (one entry per line, the same fields as the search), streamed; `cursor` and `limit` are ignored. The export is itself audited.",
        "Todas las entradas que cumplen los filtros, en líneas JSON (una entrada por línea, con los mismos campos que la búsqueda), enviadas en flujo; `cursor` y `limit` se ignoran. La exportación también queda en la auditoría.",
    ),
    (
        "The entries as JSON lines, a download named `audit.ndjson`.",
        "Las entradas en líneas JSON, una descarga llamada `audit.ndjson`.",
    ),
];
