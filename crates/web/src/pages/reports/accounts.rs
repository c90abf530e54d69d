//! "Todas mis cuentas": the agency's roll-up over every workspace the
//! reader belongs to, each row opening its workspace.

use super::asked;
use super::charts_of::{self, Ctx};
use super::dashboard::report_error;
use super::picker::{PeriodPicker, picker};
use crate::api::reports::csv_response;
use crate::auth::CurrentUser;
use crate::charts::ChartCard;
use crate::error::AppResult;
use crate::i18n::reports::ReportsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::numbers::format_count;
use af_service::reports::{self as service, AccountRow, ReportParams};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

pub struct RowView {
    pub workspace_id: String,
    pub name: String,
    pub current: bool,
    pub cells: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/accounts.html")]
struct AccountsPage {
    shell: Shell,
    rt: &'static ReportsTr,
    picker: PeriodPicker,
    error: Option<&'static str>,
    cards: Vec<String>,
    rows: Vec<RowView>,
    total: Vec<String>,
}

fn cells(r: &AccountRow, country: &str) -> Vec<String> {
    let value = if r.pipeline_value.is_empty() {
        "—".to_string()
    } else {
        r.pipeline_value
            .iter()
            .map(|(cur, v)| af_core::money::format(*v, cur))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    vec![
        format_count(r.leads, country),
        format_count(r.booked, country),
        value,
        format_count(r.messages_sent, country),
        format_count(r.failures, country),
        format_count(r.open_alerts, country),
    ]
}

fn ctx_for(cu: &CurrentUser) -> Ctx<'_> {
    let locale = cu.locale();
    let rt = ReportsTr::get(locale);
    Ctx {
        rt,
        vt: VocabTr::get(locale),
        locale,
        country: &cu.workspace.country,
        dim_label: rt.dim_source,
        pipeline: String::new(),
    }
}

/// `GET /accounts`
pub async fn accounts(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(params): Query<ReportParams>,
) -> AppResult<impl IntoResponse> {
    let locale = cu.locale();
    let rt = ReportsTr::get(locale);
    let a = asked(&cu, &st, params).await;
    let acc = service::accounts(&st.db, cu.user.id, &a.q)
        .await
        .map_err(report_error)?;
    let ctx = ctx_for(&cu);
    let qs = a.query_string();
    let cards = [
        charts_of::accounts_leads_by_day(&acc, &ctx),
        charts_of::accounts(&acc, &ctx),
    ]
    .iter()
    .map(|chart| {
        ChartCard {
            chart,
            csv_href: Some(format!("/accounts/charts/{}{qs}", chart.id)),
            locale,
        }
        .render()
    })
    .collect();
    let country = cu.workspace.country.clone();
    let rows = acc
        .rows
        .iter()
        .map(|r| RowView {
            workspace_id: r.workspace_id.to_string(),
            name: r.name.clone(),
            current: r.workspace_id == cu.workspace.id.0,
            cells: cells(r, &country),
        })
        .collect();
    Ok(AccountsPage {
        picker: picker(&a, "/accounts", rt, locale),
        error: a.error,
        cards,
        rows,
        total: cells(&acc.total, &country),
        rt,
        shell: Shell::new(&cu, Area::Reports).await?,
    })
}

/// `GET /accounts/charts/{chart}`: a chart's numbers as CSV.
pub async fn chart_csv(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(chart): Path<String>,
    Query(params): Query<ReportParams>,
) -> AppResult<Response> {
    let a = asked(&cu, &st, params).await;
    let acc = service::accounts(&st.db, cu.user.id, &a.q)
        .await
        .map_err(report_error)?;
    let ctx = ctx_for(&cu);
    let ch = match chart.as_str() {
        "accounts" => charts_of::accounts(&acc, &ctx),
        "accounts-leads-by-day" => charts_of::accounts_leads_by_day(&acc, &ctx),
        _ => return Err(crate::error::AppError::NotFound),
    };
    Ok(csv_response(
        &format!("{chart}.csv"),
        crate::charts::csv(&ch),
    ))
}
