//! Informes: each report in depth — its filters, its charts and every
//! table of numbers, each downloadable as CSV.

use super::charts_of::{self, Ctx};
use super::dashboard::{Choice, report_error};
use super::picker::{PeriodPicker, picker};
use super::{Asked, asked};
use crate::api::reports::csv_response;
use crate::auth::CurrentUser;
use crate::charts::ChartCard;
use crate::error::{AppError, AppResult};
use crate::i18n::reports::ReportsTr;
use crate::i18n::vocab::VocabTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::Locale;
use af_core::numbers::format_count;
use af_core::reports::ReportName;
use af_service::reports::{self as service, Report, ReportParams, Table};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

pub struct Tab {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

pub struct TableView {
    pub title: &'static str,
    pub headers: Vec<String>,
    /// Which columns are numbers (right-aligned).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    pub csv_href: String,
}

/// A filter of the form: a select or a text input.
pub struct FilterField {
    pub name: &'static str,
    pub label: &'static str,
    /// Empty for a text input.
    pub options: Vec<Choice>,
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reports/report.html")]
struct ReportPage {
    shell: Shell,
    rt: &'static ReportsTr,
    title: &'static str,
    tabs: Vec<Tab>,
    picker: PeriodPicker,
    error: Option<&'static str>,
    action: String,
    keep: Vec<(String, String)>,
    filters: Vec<FilterField>,
    cards: Vec<String>,
    totals: Vec<(String, String)>,
    tables: Vec<TableView>,
}

fn title(rt: &'static ReportsTr, n: ReportName) -> &'static str {
    match n {
        ReportName::LeadsBySource => rt.r_leads_by_source,
        ReportName::Funnel => rt.r_funnel,
        ReportName::Automations => rt.r_automations,
        ReportName::Messages => rt.r_messages,
        ReportName::Bookings => rt.r_bookings,
    }
}

fn table_title(rt: &'static ReportsTr, n: ReportName, key: &str) -> &'static str {
    match (n, key) {
        (ReportName::LeadsBySource, "series") => rt.t_days,
        (_, "values") => rt.t_values,
        (_, "attribution") => rt.t_attribution,
        (ReportName::Funnel, "series") => rt.t_funnel,
        (_, "won_lost") => rt.t_won_lost,
        (_, "won_lost_value") => rt.t_won_lost_value,
        (ReportName::Automations, "series") => rt.t_workflows,
        (_, "steps") => rt.t_steps,
        (_, "days") => rt.t_days,
        (ReportName::Messages, "series") => rt.t_messages,
        (_, "providers") => rt.t_providers,
        (ReportName::Bookings, "series") => rt.t_bookings,
        (_, "calendars") => rt.t_calendars,
        _ => rt.tables,
    }
}

fn name_of(raw: &str) -> Result<ReportName, AppError> {
    ReportName::parse(raw).ok_or(AppError::NotFound)
}

/// `GET /reports`: the first report, keeping the request.
pub async fn index(Query(params): Query<ReportParams>) -> Redirect {
    let qs = serde_urlencoded::to_string(params.cleaned()).unwrap_or_default();
    let sep = if qs.is_empty() { "" } else { "?" };
    Redirect::to(&format!(
        "/reports/{}{sep}{qs}",
        ReportName::LeadsBySource.as_str()
    ))
}

async fn context<'a>(st: &AppState, cu: &'a CurrentUser, a: &Asked) -> AppResult<Ctx<'a>> {
    let locale = cu.locale();
    let rt = ReportsTr::get(locale);
    let pipeline = service::funnel_pipeline(&st.db, cu.workspace.id, &a.q)
        .await
        .map_err(report_error)?;
    Ok(Ctx {
        rt,
        vt: VocabTr::get(locale),
        locale,
        country: &cu.workspace.country,
        dim_label: match a.q.dim {
            af_db::reports::LeadDim::Source => rt.dim_source,
            af_db::reports::LeadDim::UtmSource => rt.dim_utm_source,
            af_db::reports::LeadDim::UtmMedium => rt.dim_utm_medium,
            af_db::reports::LeadDim::UtmCampaign => rt.dim_utm_campaign,
        },
        pipeline: pipeline.map(|p| p.pipeline.name).unwrap_or_default(),
    })
}

/// `GET /reports/{name}`
pub async fn show(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(raw): Path<String>,
    Query(params): Query<ReportParams>,
) -> AppResult<impl IntoResponse> {
    let name = name_of(&raw)?;
    let locale = cu.locale();
    let rt = ReportsTr::get(locale);
    let a = asked(&cu, &st, params).await;
    let ws = cu.workspace.id;
    let report = service::report(&st.db, ws, name, &a.q)
        .await
        .map_err(report_error)?;
    let ctx = context(&st, &cu, &a).await?;
    let qs = a.query_string();
    let base = format!("/reports/{}", name.as_str());
    let cards = charts_of::charts_of(name, &report, &ctx)
        .iter()
        .map(|chart| {
            ChartCard {
                csv_href: Some(format!("{base}/charts/{}{qs}", chart.id)),
                chart,
                locale,
            }
            .render()
        })
        .collect();
    let mut tables = vec![table_view(
        rt,
        &ctx,
        name,
        "series",
        &report.series,
        &base,
        &qs,
    )];
    for (key, t) in &report.extra {
        tables.push(table_view(rt, &ctx, name, key, t, &base, &qs));
    }
    let totals = report
        .totals
        .iter()
        .map(|(k, v)| {
            (
                rt.column(k).unwrap_or(ctx.rt.totals).to_string(),
                format_count(*v, &cu.workspace.country),
            )
        })
        .collect();
    let tabs = ReportName::ALL
        .iter()
        .map(|n| Tab {
            label: title(rt, *n),
            href: format!("/reports/{}{qs}", n.as_str()),
            current: *n == name,
        })
        .collect();
    let filters = filter_fields(&st, &cu, name, &a, rt, locale).await?;
    let mut keep = a.params.clone();
    keep.source = None;
    keep.campaign = None;
    keep.touch = None;
    keep.dim = None;
    keep.owner = None;
    keep.channel = None;
    keep.form = None;
    keep.calendar = None;
    keep.pipeline = None;
    let keep = super::hidden_fields(&keep);
    Ok(ReportPage {
        title: title(rt, name),
        tabs,
        picker: picker(&a, &base, rt, locale),
        error: a.error,
        action: base,
        keep,
        filters,
        cards,
        totals,
        tables,
        rt,
        shell: Shell::new(&cu, Area::Reports).await?,
    })
}

fn cell(v: &Value, col: &str, ctx: &Ctx<'_>, country: &str) -> String {
    match v {
        Value::Null => String::new(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => format_count(i, country),
            None => n.to_string(),
        },
        Value::String(s) => match col {
            "channel" => ctx.vt.channel(s).to_string(),
            "provider" => ctx.vt.provider(s).to_string(),
            "kind" | "outcome" => ctx.rt.column(s).unwrap_or(s).to_string(),
            "day" => s.clone(),
            _ => charts_of::key_label(s, ctx),
        },
        other => other.to_string(),
    }
}

fn table_view(
    rt: &'static ReportsTr,
    ctx: &Ctx<'_>,
    name: ReportName,
    key: &str,
    t: &Table,
    base: &str,
    qs: &str,
) -> TableView {
    // Ids are for programs (the CSV and the API keep them), not people.
    let shown: Vec<usize> = (0..t.columns.len())
        .filter(|&i| !t.columns[i].ends_with("_id"))
        .collect();
    let headers = shown
        .iter()
        .map(|&i| {
            let c = &t.columns[i];
            match (rt.column(c), c.strip_prefix("value_")) {
                (Some(label), _) => label.to_string(),
                (None, Some(cur)) => format!("{} {cur}", rt.col_value),
                (None, None) => charts_of::key_label(c, ctx),
            }
        })
        .collect();
    let numeric = shown
        .iter()
        .map(|&i| t.rows.first().is_some_and(|r| r[i].is_number()))
        .collect();
    let rows = t
        .rows
        .iter()
        .map(|r| {
            shown
                .iter()
                .map(|&i| cell(&r[i], &t.columns[i], ctx, ctx.country))
                .collect()
        })
        .collect();
    TableView {
        title: table_title(rt, name, key),
        headers,
        numeric,
        rows,
        csv_href: format!("{base}/tables/{key}{qs}"),
    }
}

async fn filter_fields(
    st: &AppState,
    cu: &CurrentUser,
    name: ReportName,
    a: &Asked,
    rt: &'static ReportsTr,
    locale: Locale,
) -> AppResult<Vec<FilterField>> {
    let ws = cu.workspace.id;
    let p = &a.params;
    let val = |s: &Option<String>| s.clone().unwrap_or_default();
    let choices = |pairs: Vec<(String, String)>, chosen: &Option<String>, any: bool| {
        let chosen = chosen.clone().unwrap_or_default();
        let mut out = Vec::new();
        if any {
            out.push(Choice {
                value: String::new(),
                label: rt.any.to_string(),
                selected: chosen.is_empty(),
            });
        }
        out.extend(pairs.into_iter().map(|(value, label)| Choice {
            selected: value == chosen,
            value,
            label,
        }));
        out
    };
    let members = || async {
        Ok::<_, AppError>(
            af_db::workspaces::list_members(&st.db, ws)
                .await?
                .into_iter()
                .map(|m| (m.user_id.0.to_string(), m.name))
                .collect::<Vec<_>>(),
        )
    };
    let mut f = Vec::new();
    match name {
        ReportName::LeadsBySource => {
            let dims = vec![
                ("source".to_string(), rt.dim_source.to_string()),
                ("utm_source".to_string(), rt.dim_utm_source.to_string()),
                ("utm_medium".to_string(), rt.dim_utm_medium.to_string()),
                ("utm_campaign".to_string(), rt.dim_utm_campaign.to_string()),
            ];
            f.push(FilterField {
                name: "dim",
                label: rt.f_dim,
                options: choices(dims, &p.dim, false),
                value: val(&p.dim),
            });
            let touches = vec![
                ("first".to_string(), rt.touch_first.to_string()),
                ("last".to_string(), rt.touch_last.to_string()),
            ];
            f.push(FilterField {
                name: "touch",
                label: rt.f_touch,
                options: choices(touches, &p.touch, false),
                value: val(&p.touch),
            });
            f.push(FilterField {
                name: "source",
                label: rt.f_source,
                options: vec![],
                value: val(&p.source),
            });
            f.push(FilterField {
                name: "campaign",
                label: rt.f_campaign,
                options: vec![],
                value: val(&p.campaign),
            });
            f.push(FilterField {
                name: "owner",
                label: rt.f_owner,
                options: choices(members().await?, &p.owner, true),
                value: val(&p.owner),
            });
            let forms = af_db::forms::list_forms(&st.db, ws)
                .await?
                .into_iter()
                .map(|(form, _)| (form.id.0.to_string(), form.name))
                .collect();
            f.push(FilterField {
                name: "form",
                label: rt.f_form,
                options: choices(forms, &p.form, true),
                value: val(&p.form),
            });
        }
        ReportName::Funnel => {
            let pipelines = af_db::pipelines::list_pipelines(&st.db, ws)
                .await?
                .into_iter()
                .map(|x| (x.pipeline.id.0.to_string(), x.pipeline.name))
                .collect();
            f.push(FilterField {
                name: "pipeline",
                label: rt.pipeline,
                options: choices(pipelines, &p.pipeline, false),
                value: val(&p.pipeline),
            });
            f.push(FilterField {
                name: "owner",
                label: rt.f_owner,
                options: choices(members().await?, &p.owner, true),
                value: val(&p.owner),
            });
        }
        ReportName::Automations => {}
        ReportName::Messages => {
            let vt = VocabTr::get(locale);
            let channels = af_core::vocab::Channel::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), vt.channel_label(*c).to_string()))
                .collect();
            f.push(FilterField {
                name: "channel",
                label: rt.f_channel,
                options: choices(channels, &p.channel, true),
                value: val(&p.channel),
            });
        }
        ReportName::Bookings => {
            let calendars = af_db::calendars::list_calendars(&st.db, ws)
                .await?
                .into_iter()
                .map(|c| (c.id.0.to_string(), c.name))
                .collect();
            f.push(FilterField {
                name: "calendar",
                label: rt.f_calendar,
                options: choices(calendars, &p.calendar, true),
                value: val(&p.calendar),
            });
            f.push(FilterField {
                name: "owner",
                label: rt.f_owner,
                options: choices(members().await?, &p.owner, true),
                value: val(&p.owner),
            });
        }
    }
    Ok(f)
}

/// `GET /reports/{name}/charts/{chart}`: a chart's numbers as CSV.
pub async fn chart_csv(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((raw, chart)): Path<(String, String)>,
    Query(params): Query<ReportParams>,
) -> AppResult<Response> {
    let name = name_of(&raw)?;
    if charts_of::report_of_chart(&chart) != Some(name) {
        return Err(AppError::NotFound);
    }
    let a = asked(&cu, &st, params).await;
    let report: Report = service::report(&st.db, cu.workspace.id, name, &a.q)
        .await
        .map_err(report_error)?;
    let ctx = context(&st, &cu, &a).await?;
    let ch = charts_of::chart_by_id(name, &report, &ctx, &chart).ok_or(AppError::NotFound)?;
    Ok(csv_response(
        &format!("{chart}.csv"),
        crate::charts::csv(&ch),
    ))
}

/// `GET /reports/{name}/tables/{table}`: a table's rows as CSV (the same
/// as the API's `?format=csv&table=`).
pub async fn table_csv(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((raw, table)): Path<(String, String)>,
    Query(params): Query<ReportParams>,
) -> AppResult<Response> {
    let name = name_of(&raw)?;
    let a = asked(&cu, &st, params).await;
    let report = service::report(&st.db, cu.workspace.id, name, &a.q)
        .await
        .map_err(report_error)?;
    let t = report.table(&table).ok_or(AppError::NotFound)?;
    Ok(csv_response(
        &format!("{}-{table}.csv", name.as_str()),
        t.to_csv(),
    ))
}
