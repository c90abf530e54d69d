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
use crate::extract::ApiQuery;
use crate::state::AppState;
use af_core::reports::ReportName;
use af_core::vocab::Channel;
use af_service::reports::{self as service, ReportError, ReportParams, ReportQuery};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Format {
    /// `json` (default) or `csv`.
    #[param(example = "json")]
    format: Option<String>,
    /// With `format=csv`: which table, `series` (default) or one of the report's further tables.
    #[param(example = "series")]
    table: Option<String>,
}

/// The period and filters of a report; each report reads the filters that apply to it.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "documents the query `ReportParams` reads")]
struct ReportFilters {
    /// `7`, `30` or `90`: that many days up to today.
    #[param(example = "30")]
    period: Option<String>,
    /// The first day of a custom period, in the workspace's time zone.
    #[param(format = Date)]
    from: Option<String>,
    /// The last day of a custom period, included.
    #[param(format = Date)]
    to: Option<String>,
    /// funnel: the pipeline's id (default the workspace's first).
    #[param(format = Uuid)]
    pipeline: Option<String>,
    /// leads_by_source: only leads from this source.
    source: Option<String>,
    /// leads_by_source: only leads of this campaign.
    campaign: Option<String>,
    /// leads_by_source: `first` (default) or `last` touch.
    #[param(example = "first")]
    touch: Option<String>,
    /// leads_by_source: group by `source` (default), `utm_source`, `utm_medium` or `utm_campaign`.
    #[param(example = "source")]
    dim: Option<String>,
    /// Only deals or contacts of this member.
    #[param(format = Uuid)]
    owner: Option<String>,
    /// messages: only this channel.
    #[param(value_type = Option<Channel>)]
    channel: Option<String>,
    /// leads_by_source: only leads from this form.
    #[param(format = Uuid)]
    form: Option<String>,
    /// bookings: only this calendar.
    #[param(format = Uuid)]
    calendar: Option<String>,
}

/// A report: its rows per day, its totals and any further tables.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "report": "leads_by_source",
    "series": [{"day": "2026-12-05", "source": "facebook", "leads": 12}],
    "totals": {"leads": 12},
    "values": [],
    "attribution": []
}))]
pub struct ReportOut {
    /// The report's name.
    #[schema(example = "leads_by_source")]
    pub report: String,
    /// The main rows, one object per row, keyed by column.
    #[schema(value_type = Vec<Object>)]
    pub series: Value,
    /// The report's totals by measure.
    pub totals: BTreeMap<String, i64>,
    /// The further tables of the report, by name (`values`, `attribution`, `won_lost`, `won_lost_value`, `steps`, `days`, `providers`, `calendars`), each a list of rows.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub tables: serde_json::Map<String, Value>,
}

impl From<&service::Report> for ReportOut {
    fn from(r: &service::Report) -> Self {
        Self {
            report: r.name.as_str().to_string(),
            series: r.series.to_json(),
            totals: r.totals.clone(),
            tables: r
                .extra
                .iter()
                .map(|(k, t)| ((*k).to_string(), t.to_json()))
                .collect(),
        }
    }
}

/// Get a report
///
/// The same numbers as the Reports page, for the last `period` days or the days `from`–`to` (local days, both included). With `format=csv`, the series (or the `table` named) as a CSV download.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{name}",
    operation_id = "reports_get",
    tag = "Reports",
    params(
        ("name" = String, Path, description = "`leads_by_source`, `funnel`, `automations`, `messages` or `bookings`.", example = "leads_by_source"),
        ReportFilters,
        Format,
    ),
    responses((
        status = 200,
        description = "The report, as JSON or as CSV.",
        content(
            (ReportOut = "application/json"),
            (String = "text/csv", example = "day,source,leads\n2026-12-05,facebook,12\n"),
        ),
    )),
)]
async fn show_report(
    State(st): State<AppState>,
    auth: ApiAuth,
    Path(name): Path<String>,
    ApiQuery(params): ApiQuery<ReportParams>,
    ApiQuery(fmt): ApiQuery<Format>,
) -> Result<Response, ApiError> {
    let name = ReportName::parse(&name).ok_or(ApiError::NotFound)?;
    let tz = af_core::datetime::zone(&auth.workspace.time_zone);
    let q = ReportQuery::parse(&params, tz, st.now())?;
    let report = service::report(&st.db, auth.workspace.id, name, &q).await?;
    match fmt.format.as_deref() {
        None | Some("json") => Ok(Json(ReportOut::from(&report)).into_response()),
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
#[openapi(
    paths(show_report),
    tags((name = "Reports", description = "The numbers of the Reports page: leads by source, the sales funnel, automations, messages and bookings.")),
)]
pub struct Doc;

/// The Spanish of this module's texts in the OpenAPI document.
pub const SPANISH: &[(&str, &str)] = &[
    ("Reports", "Informes"),
    (
        "The numbers of the Reports page: leads by source, the sales funnel, automations, messages and bookings.",
        "Los números de la página de Informes: leads por fuente, el embudo de ventas, automatizaciones, mensajes y reservas.",
    ),
    (
        "`json` (default) or `csv`.",
        "`json` (por omisión) o `csv`.",
    ),
    (
        "With `format=csv`: which table, `series` (default) or one of the report's further tables.",
        "Con `format=csv`: qué tabla, `series` (por omisión) u otra de las tablas del informe.",
    ),
    (
        "The period and filters of a report; each report reads the filters that apply to it.",
        "El periodo y los filtros de un informe; cada informe lee los filtros que le aplican.",
    ),
    (
        "`7`, `30` or `90`: that many days up to today.",
        "`7`, `30` o `90`: esa cantidad de días hasta hoy.",
    ),
    (
        "The first day of a custom period, in the workspace's time zone.",
        "El primer día de un periodo a medida, en la zona horaria del espacio.",
    ),
    (
        "The last day of a custom period, included.",
        "El último día de un periodo a medida, incluido.",
    ),
    (
        "funnel: the pipeline's id (default the workspace's first).",
        "funnel: el id del embudo (por omisión, el primero del espacio).",
    ),
    (
        "leads_by_source: only leads from this source.",
        "leads_by_source: solo los leads de esta fuente.",
    ),
    (
        "leads_by_source: only leads of this campaign.",
        "leads_by_source: solo los leads de esta campaña.",
    ),
    (
        "leads_by_source: `first` (default) or `last` touch.",
        "leads_by_source: primer (`first`, por omisión) o último (`last`) contacto.",
    ),
    (
        "leads_by_source: group by `source` (default), `utm_source`, `utm_medium` or `utm_campaign`.",
        "leads_by_source: agrupa por `source` (por omisión), `utm_source`, `utm_medium` o `utm_campaign`.",
    ),
    (
        "Only deals or contacts of this member.",
        "Solo los negocios o contactos de este miembro.",
    ),
    ("messages: only this channel.", "messages: solo este canal."),
    (
        "leads_by_source: only leads from this form.",
        "leads_by_source: solo los leads de este formulario.",
    ),
    (
        "bookings: only this calendar.",
        "bookings: solo este calendario.",
    ),
    (
        "A report: its rows per day, its totals and any further tables.",
        "Un informe: sus filas por día, sus totales y sus demás tablas.",
    ),
    ("The report's name.", "El nombre del informe."),
    (
        "The main rows, one object per row, keyed by column.",
        "Las filas principales, un objeto por fila, con la columna como clave.",
    ),
    (
        "The report's totals by measure.",
        "Los totales del informe por medida.",
    ),
    (
        "The further tables of the report, by name (`values`, `attribution`, `won_lost`, `won_lost_value`, `steps`, `days`, `providers`, `calendars`), each a list of rows.",
        "Las demás tablas del informe, por nombre (`values`, `attribution`, `won_lost`, `won_lost_value`, `steps`, `days`, `providers`, `calendars`), cada una una lista de filas.",
    ),
    ("Get a report", "Obtener un informe"),
    (
        "The same numbers as the Reports page, for the last `period` days or the days `from`–`to` (local days, both included). With `format=csv`, the series (or the `table` named) as a CSV download.",
        "Los mismos números que la página de Informes, para los últimos `period` días o los días `from`–`to` (días locales, ambos incluidos). Con `format=csv`, la serie (o la tabla `table` indicada) como descarga CSV.",
    ),
    (
        "`leads_by_source`, `funnel`, `automations`, `messages` or `bookings`.",
        "`leads_by_source`, `funnel`, `automations`, `messages` o `bookings`.",
    ),
    (
        "The report, as JSON or as CSV.",
        "El informe, en JSON o en CSV.",
    ),
];
