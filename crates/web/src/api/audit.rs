//! The audit log over the API (issue 19): `GET /api/v1/audit?actor=&action=
//! &entity_type=&entity_id=&lead=&from=&to=&cursor=&limit=` (keyset pages,
//! newest first) and `GET /api/v1/audit/export` (the same filters, JSON
//! lines streamed in constant memory; the export is itself audited).
//! `from`/`to` take an instant or a day in the workspace's time zone (`to`
//! includes that day).

use super::ApiError;
use super::pagination::{decode_cursor, encode_cursor, page_limit};
use crate::auth::{ApiAuth, ClientIp};
use crate::state::AppState;
use af_db::audit::{self, AuditFilter};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(list))
        .route("/api/v1/audit/export", get(export))
}

/// The query of the search and the export (the page uses it too).
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub lead: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<String>,
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

/// `GET /api/v1/audit`.
async fn list(
    State(st): State<AppState>,
    auth: ApiAuth,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let f = q.filter(&auth.workspace.time_zone)?;
    let limit = page_limit(q.limit, 50)?;
    let after = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let rows = audit::search(&st.db, auth.workspace.id, &f, after, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = if more {
        rows.last().map(|e| encode_cursor(e.created_at, e.id))
    } else {
        None
    };
    let data: Vec<Value> = rows.iter().map(|e| e.to_line()).collect();
    Ok(Json(json!({ "data": data, "next_cursor": next })))
}

/// `GET /api/v1/audit/export`.
async fn export(
    State(st): State<AppState>,
    auth: ApiAuth,
    ClientIp(ip): ClientIp,
    Query(q): Query<AuditQuery>,
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
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
