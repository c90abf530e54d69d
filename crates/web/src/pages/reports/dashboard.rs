//! The first screen after sign-in: this workspace's period at a glance.

use super::charts_of::{self, Ctx};
use super::picker::{PeriodPicker, picker};
use super::{Asked, asked};
use crate::auth::CurrentUser;
use crate::charts::ChartCard;
use crate::error::{AppError, AppResult};
use crate::i18n::reports::ReportsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::numbers::format_count;
use af_core::reports::ReportName;
use af_service::reports::{self as service, Kpi, ReportParams};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

pub struct KpiView {
    pub label: &'static str,
    pub value: String,
    pub change: String,
    /// `up`, `down` or `flat`, for the arrow and colour.
    pub trend: &'static str,
}

pub struct Line {
    pub href: String,
    pub text: String,
    pub note: String,
    pub warn: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/dashboard.html")]
struct DashboardPage {
    shell: Shell,
    rt: &'static ReportsTr,
    picker: PeriodPicker,
    error: Option<&'static str>,
    pipelines: Vec<Choice>,
    hidden: Vec<(String, String)>,
    kpis: Vec<KpiView>,
    leads_card: String,
    campaigns_card: String,
    funnel_card: String,
    runs_card: String,
    messages_card: String,
    upcoming: String,
    booked_week: String,
    runs_total: String,
    top_scored: Vec<Line>,
    alerts: Vec<Line>,
    tasks: Vec<Line>,
    reports_href: String,
    many_accounts: bool,
}

fn kpi_view(label: &'static str, k: &Kpi, rt: &ReportsTr, country: &str) -> KpiView {
    let (change, trend) = match k.change_pct {
        Some(p) => (
            rt.vs_previous
                .replace(
                    "{change}",
                    &format!("{}{p} %", if p > 0 { "+" } else { "" }),
                )
                .replace("{before}", &format_count(k.previous, country)),
            match p {
                p if p > 0 => "up",
                p if p < 0 => "down",
                _ => "flat",
            },
        ),
        None => (rt.no_previous.to_string(), "flat"),
    };
    KpiView {
        label,
        value: format_count(k.value, country),
        change,
        trend,
    }
}

pub async fn dashboard(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(params): Query<ReportParams>,
) -> AppResult<impl IntoResponse> {
    let locale = cu.locale();
    let rt = ReportsTr::get(locale);
    let vt = VocabTr::get(locale);
    let a: Asked = asked(&cu, &st, params).await;
    let ws = cu.workspace.id;
    let d = service::dashboard(&st.db, ws, cu.user.id, &a.q)
        .await
        .map_err(report_error)?;
    let country = cu.workspace.country.clone();
    let pipeline = service::funnel_pipeline(&st.db, ws, &a.q)
        .await
        .map_err(report_error)?;
    let pipelines = af_db::pipelines::list_pipelines(&st.db, ws)
        .await?
        .into_iter()
        .map(|p| Choice {
            selected: pipeline
                .as_ref()
                .is_some_and(|x| x.pipeline.id == p.pipeline.id),
            value: p.pipeline.id.0.to_string(),
            label: p.pipeline.name,
        })
        .collect();
    let ctx = Ctx {
        rt,
        vt,
        locale,
        country: &country,
        dim_label: rt.dim_source,
        pipeline: pipeline.map(|p| p.pipeline.name).unwrap_or_default(),
    };
    let qs = a.query_string();
    let card = |name: ReportName, chart: crate::charts::Chart| {
        ChartCard {
            csv_href: Some(format!(
                "/reports/{}/charts/{}{qs}",
                name.as_str(),
                chart.id
            )),
            chart: &chart,
            locale,
        }
        .render()
    };
    let runs = &d.runs.totals;
    let get = |k: &str| runs.get(k).copied().unwrap_or(0);
    let top_scored = d
        .top_scored
        .iter()
        .map(|c| Line {
            href: format!(
                "/contacts/{}",
                c.k1.as_deref()
                    .and_then(af_db::reports::parse_id)
                    .map(|u| u.to_string())
                    .unwrap_or_default()
            ),
            text: format!(
                "{} {}",
                c.k2.clone().unwrap_or_default(),
                c.k3.clone().unwrap_or_default()
            )
            .trim()
            .to_string(),
            note: rt.points.replace("{n}", &format_count(c.n, &country)),
            warn: false,
        })
        .collect();
    let alerts = d
        .alerts_by_risk
        .iter()
        .map(|c| {
            let band = c.k1.as_deref().unwrap_or("0");
            Line {
                href: format!("/contacts/retention?min_risk={band}"),
                text: match band {
                    "90" => rt.risk_band_90,
                    "70" => rt.risk_band_70,
                    "50" => rt.risk_band_50,
                    _ => rt.risk_band_0,
                }
                .to_string(),
                note: format_count(c.n, &country),
                warn: band == "90" || band == "70",
            }
        })
        .collect();
    let today_start = af_db::Ts::new(af_core::retention::start_of_day(a.q.today, &a.q.tz));
    let tasks = d
        .my_tasks
        .iter()
        .map(|t| Line {
            href: t
                .contact_id
                .map(|c| format!("/contacts/{c}"))
                .unwrap_or_else(|| "/tasks".into()),
            text: t.title.clone(),
            note: match t.due_at {
                Some(due) if due < today_start => rt.overdue.to_string(),
                Some(due) => crate::pages::fmt_when(due, &cu.workspace.time_zone, locale),
                None => String::new(),
            },
            warn: t.due_at.is_some_and(|due| due < today_start),
        })
        .collect();
    let mut rest = a.params.clone();
    rest.pipeline = None;
    let hidden = super::hidden_fields(&rest);
    Ok(DashboardPage {
        picker: picker(&a, "/dashboard", rt, locale),
        error: a.error,
        pipelines,
        hidden,
        kpis: vec![
            kpi_view(rt.leads_today, &d.leads_today, rt, &country),
            kpi_view(rt.leads_7, &d.leads_7, rt, &country),
            kpi_view(rt.leads_30, &d.leads_30, rt, &country),
        ],
        leads_card: card(
            ReportName::LeadsBySource,
            charts_of::leads_by_day(&d.leads, &ctx),
        ),
        campaigns_card: card(
            ReportName::LeadsBySource,
            charts_of::campaigns(&d.leads, &ctx),
        ),
        funnel_card: card(ReportName::Funnel, charts_of::funnel(&d.funnel, &ctx)),
        runs_card: card(
            ReportName::Automations,
            charts_of::runs_by_day(&d.runs, &ctx),
        ),
        messages_card: card(ReportName::Messages, charts_of::messages(&d.messages, &ctx)),
        upcoming: format_count(d.upcoming, &country),
        booked_week: format_count(d.booked_this_week, &country),
        runs_total: rt
            .runs_total
            .replace("{runs}", &format_count(get("enrolled"), &country))
            .replace("{failed}", &format_count(get("failed"), &country))
            .replace("{steps}", &format_count(get("failed_steps"), &country)),
        top_scored,
        alerts,
        tasks,
        reports_href: format!("/reports/leads_by_source{qs}"),
        many_accounts: cu.workspaces.len() > 1,
        rt,
        shell: Shell::new(&cu, Area::Dashboard).await?,
    })
}

/// A report that failed for a reason other than the request (those are
/// caught by [`asked`]): the database.
pub(crate) fn report_error(e: service::ReportError) -> AppError {
    match e {
        service::ReportError::Db(e) => e.into(),
        other => AppError::Internal(anyhow::anyhow!("report: {other}")),
    }
}
