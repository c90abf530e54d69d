//! The dashboard (the first screen), Informes and "Todas mis cuentas"
//! (issue 19). The numbers come from `af_service::reports`; this module
//! names them in the reader's language, draws them (`crate::charts`) and
//! serves each chart's and table's CSV — rebuilt from the same request, so
//! a download holds exactly what the page showed.

mod accounts;
mod charts_of;
mod dashboard;
mod informes;
mod picker;

use crate::auth::CurrentUser;
use crate::i18n::reports::ReportsTr;
use crate::state::AppState;
use af_service::reports::{ReportError, ReportParams, ReportQuery};
use axum::Router;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(dashboard::dashboard))
        .route("/reports", get(informes::index))
        .route("/reports/{name}", get(informes::show))
        .route("/reports/{name}/charts/{chart}", get(informes::chart_csv))
        .route("/reports/{name}/tables/{table}", get(informes::table_csv))
        .route("/accounts", get(accounts::accounts))
        .route("/accounts/charts/{chart}", get(accounts::chart_csv))
}

/// The request a page shows: the reader's, or — when it does not hold
/// (a reversed period, a malformed id) — the default 30 days with the
/// reason, so the page still answers.
pub(crate) struct Asked {
    pub params: ReportParams,
    pub q: ReportQuery,
    pub error: Option<&'static str>,
}

pub(crate) async fn asked(cu: &CurrentUser, st: &AppState, params: ReportParams) -> Asked {
    let rt = ReportsTr::get(cu.locale());
    let tz = af_core::datetime::zone(&cu.workspace.time_zone);
    let params = params.cleaned();
    let parsed = match ReportQuery::parse(&params, tz.clone(), st.now()) {
        // A pipeline of another workspace (or none) is a bad filter too.
        Ok(q) => match af_service::reports::funnel_pipeline(&st.db, cu.workspace.id, &q).await {
            Err(ReportError::Filter(..)) => {
                Err(ReportError::Filter("pipeline", "no such pipeline"))
            }
            _ => Ok(q),
        },
        Err(e) => Err(e),
    };
    match parsed {
        Ok(q) => Asked {
            params,
            q,
            error: None,
        },
        Err(e) => {
            let error = match e {
                ReportError::Period(_) => rt.bad_period,
                _ => rt.bad_filter,
            };
            let fallback = ReportParams::default();
            // The default request always parses; the match keeps a bug
            // from turning into a panic.
            let q = match ReportQuery::parse(&fallback, tz, st.now()) {
                Ok(q) => q,
                Err(_) => return Asked::empty(st, error),
            };
            Asked {
                params: fallback,
                q,
                error: Some(error),
            }
        }
    }
}

impl Asked {
    fn empty(st: &AppState, error: &'static str) -> Asked {
        let tz = jiff::tz::TimeZone::UTC;
        let today = af_core::reports::today(st.now().0, &tz);
        let period = af_core::reports::Period::last(30, today);
        Asked {
            params: ReportParams::default(),
            q: ReportQuery {
                edges: period.edges(&tz).into_iter().map(af_db::Ts::new).collect(),
                period,
                today,
                tz,
                filters: Default::default(),
                dim: af_db::reports::LeadDim::Source,
                now: st.now(),
            },
            error: Some(error),
        }
    }

    /// `?…` of the request (empty fields left out), to carry it into
    /// links and downloads.
    pub fn query_string(&self) -> String {
        let qs = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        if qs.is_empty() { qs } else { format!("?{qs}") }
    }
}

/// A request's non-empty fields as `(name, value)` pairs: the hidden
/// inputs a form carries so submitting it keeps the other filters.
pub(crate) fn hidden_fields(p: &ReportParams) -> Vec<(String, String)> {
    serde_urlencoded::to_string(p)
        .ok()
        .and_then(|qs| serde_urlencoded::from_str(&qs).ok())
        .unwrap_or_default()
}
