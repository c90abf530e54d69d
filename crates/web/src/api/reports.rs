//! JSON API for reports (issue 19): `GET /api/v1/reports/{name}` for
//! `leads_by_source`, `funnel`, `automations`, `messages`, `bookings` with
//! `?period=7|30|90` or `?from=&to=` (local days, both included) and the
//! filters `pipeline`, `source`, `campaign`, `touch`, `dim`, `owner`,
//! `channel`, `form`, `calendar` → `{"report", "series": [...],
//! "totals": {...}, ...further tables}`, the same numbers as Informes;
//! `?format=csv` gives the series (or `&table=` one of the further tables)
//! as CSV.

use super::ApiError;
use crate::auth::ApiAuth;
use crate::state::AppState;
use af_core::reports::ReportName;
use af_service::reports::{self as service, ReportError, ReportParams, ReportQuery};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/reports/{name}", get(show_report))
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Period(p) => ApiError::field("from", p.to_string()),
            ReportError::Filter(field, m) => ApiError::field(field, m),
            ReportError::Db(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Format {
    format: Option<String>,
    table: Option<String>,
}

/// `GET /api/v1/reports/{name}`
async fn show_report(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path(name): Path<String>,
    Query(params): Query<ReportParams>,
    Query(fmt): Query<Format>,
) -> Result<Response, ApiError> {
    let name = ReportName::parse(&name).ok_or(ApiError::NotFound)?;
    let tz = af_core::datetime::zone(&auth.workspace.time_zone);
    let q = ReportQuery::parse(&params, tz, st.now())?;
    let report = service::report(&st.db, auth.workspace.id, name, &q).await?;
    match fmt.format.as_deref() {
        None | Some("json") => Ok(Json(report.to_json()).into_response()),
        Some("csv") => {
            let table_name = fmt.table.as_deref().unwrap_or("series");
            let table = report
                .table(table_name)
                .ok_or_else(|| ApiError::field("table", "no such table in this report"))?;
            Ok(csv_response(
                &format!("{}.csv", name.as_str()),
                table.to_csv(),
            ))
        }
        Some(_) => Err(ApiError::field("format", "json or csv")),
    }
}

/// A CSV download named `file`.
pub fn csv_response(file: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// This module's part of the OpenAPI document (`api::openapi`).
#[derive(utoipa::OpenApi)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[];
