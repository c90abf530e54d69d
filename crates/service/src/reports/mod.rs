//! Dashboards, reports and the agency roll-up: the measures of
//! `af_db::reports` named, filled in (every day of the period present,
//! zero or not) and shaped as tables the pages draw, the API returns and
//! the CSV downloads carry — one computation for all three, so they agree.

mod bookings;
mod by_day;
mod dashboard;
mod funnel;
mod leads;
mod messages;
mod refresh;
mod rollup;
mod runs;
mod table;

pub use bookings::STATUSES as APPOINTMENT_STATUSES;
pub use dashboard::{Dashboard, Kpi, dashboard};
pub use leads::{NONE, OTHER};
pub use messages::SHOWN as SHOWN_MESSAGE_STATUSES;
pub use refresh::{nightly_schedule, recent_schedule, refresh, refresh_job};
pub use rollup::{AccountRow, Accounts, accounts};
pub use table::Table;

use af_core::reports::{Period, PeriodError, ReportName};
use af_core::{PipelineId, WorkspaceId};
use af_db::reports::{Days, Filters, LeadDim, Touch};
use af_db::{Db, DbError, Ts};
use jiff::tz::TimeZone;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What a reader can ask of a report, as query-string text (pages and API
/// share it).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ReportParams {
    /// 7, 30 or 90 (days up to today).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// A custom period, `YYYY-MM-DD`, both days included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// `first` (default) or `last` touch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touch: Option<String>,
    /// `source` (default), `utm_source`, `utm_medium`, `utm_campaign`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dim: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Period(#[from] PeriodError),
    /// A filter that is not a valid value (`field`, what was wrong).
    #[error("{0}: {1}")]
    Filter(&'static str, &'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A report request, checked, with the period cut into local days.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub period: Period,
    pub today: jiff::civil::Date,
    pub tz: TimeZone,
    pub edges: Vec<Ts>,
    pub filters: Filters,
    pub dim: LeadDim,
    pub now: Ts,
}

impl ReportParams {
    /// The same request without empty fields (a form sends every input).
    pub fn cleaned(&self) -> ReportParams {
        let keep = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        ReportParams {
            period: keep(&self.period),
            from: keep(&self.from),
            to: keep(&self.to),
            pipeline: keep(&self.pipeline),
            source: keep(&self.source),
            campaign: keep(&self.campaign),
            touch: keep(&self.touch),
            dim: keep(&self.dim),
            owner: keep(&self.owner),
            channel: keep(&self.channel),
            form: keep(&self.form),
            calendar: keep(&self.calendar),
        }
    }
}

impl ReportQuery {
    /// Checks `params` for workspace `ws` (whose zone is `tz`) at `now`.
    pub fn parse(params: &ReportParams, tz: TimeZone, now: Ts) -> Result<ReportQuery, ReportError> {
        let today = af_core::reports::today(now.0, &tz);
        let period = Period::parse(
            params.period.as_deref(),
            params.from.as_deref(),
            params.to.as_deref(),
            today,
        )?;
        let text = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let id = |field: &'static str, s: &Option<String>| -> Result<Option<Uuid>, ReportError> {
            text(s)
                .map(|s| Uuid::parse_str(&s).map_err(|_| ReportError::Filter(field, "not an id")))
                .transpose()
        };
        let touch = match text(&params.touch).as_deref() {
            None | Some("first") => Touch::First,
            Some("last") => Touch::Last,
            Some(_) => return Err(ReportError::Filter("touch", "first or last")),
        };
        let dim = match text(&params.dim).as_deref() {
            None | Some("source") => LeadDim::Source,
            Some("utm_source") => LeadDim::UtmSource,
            Some("utm_medium") => LeadDim::UtmMedium,
            Some("utm_campaign") => LeadDim::UtmCampaign,
            Some(_) => {
                return Err(ReportError::Filter(
                    "dim",
                    "source, utm_source, utm_medium or utm_campaign",
                ));
            }
        };
        let channel = text(&params.channel);
        if let Some(c) = &channel
            && af_core::vocab::Channel::parse(c).is_none()
        {
            return Err(ReportError::Filter("channel", "not a channel"));
        }
        let filters = Filters {
            pipeline: id("pipeline", &params.pipeline)?,
            source: text(&params.source),
            campaign: text(&params.campaign),
            owner: id("owner", &params.owner)?,
            channel,
            form: id("form", &params.form)?,
            calendar: id("calendar", &params.calendar)?,
            touch,
        };
        let edges = period.edges(&tz).into_iter().map(Ts::new).collect();
        Ok(ReportQuery {
            period,
            today,
            tz,
            edges,
            filters,
            dim,
            now,
        })
    }

    /// The same request with its days cut in another zone.
    pub fn in_zone(&self, tz: TimeZone) -> ReportQuery {
        ReportQuery {
            today: af_core::reports::today(self.now.0, &tz),
            edges: self.period.edges(&tz).into_iter().map(Ts::new).collect(),
            tz,
            ..self.clone()
        }
    }

    pub fn days(&self) -> Days<'_> {
        Days { edges: &self.edges }
    }

    /// Each day of the period as `YYYY-MM-DD`.
    pub fn day_labels(&self) -> Vec<String> {
        self.period.days().iter().map(|d| d.to_string()).collect()
    }
}

/// A report: its main rows (`series`), its totals, and further tables
/// where the measure has more than one shape (per step, per provider…).
#[derive(Debug, Clone)]
pub struct Report {
    pub name: ReportName,
    pub series: Table,
    pub totals: BTreeMap<String, i64>,
    pub extra: Vec<(&'static str, Table)>,
}

impl Report {
    /// `{"series": [...], "totals": {...}, <extra>: [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("report".into(), self.name.as_str().into());
        m.insert("series".into(), self.series.to_json());
        m.insert(
            "totals".into(),
            serde_json::Value::Object(
                self.totals
                    .iter()
                    .map(|(k, v)| (k.clone(), (*v).into()))
                    .collect(),
            ),
        );
        for (k, t) in &self.extra {
            m.insert((*k).into(), t.to_json());
        }
        serde_json::Value::Object(m)
    }

    /// A table of this report by name: `series` or one of the extras.
    pub fn table(&self, name: &str) -> Option<&Table> {
        if name == "series" {
            return Some(&self.series);
        }
        self.extra.iter().find(|(k, _)| *k == name).map(|(_, t)| t)
    }
}

/// Runs report `name` for workspace `ws`.
pub async fn report(
    db: &Db,
    ws: WorkspaceId,
    name: ReportName,
    q: &ReportQuery,
) -> Result<Report, ReportError> {
    Ok(match name {
        ReportName::LeadsBySource => leads::report(db, ws, q).await?,
        ReportName::Funnel => funnel::report(db, ws, q).await?,
        ReportName::Automations => runs::report(db, ws, q).await?,
        ReportName::Messages => messages::report(db, ws, q).await?,
        ReportName::Bookings => bookings::report(db, ws, q).await?,
    })
}

/// The pipeline a funnel reads: the one asked for (it must be this
/// workspace's), else the default.
pub async fn funnel_pipeline(
    db: &Db,
    ws: WorkspaceId,
    q: &ReportQuery,
) -> Result<Option<af_db::pipelines::PipelineWithStages>, ReportError> {
    let all = af_db::pipelines::list_pipelines(db, ws).await?;
    let wanted = q.filters.pipeline.map(PipelineId);
    let pick = match wanted {
        Some(id) => all.iter().find(|p| p.pipeline.id == id),
        None => all
            .iter()
            .find(|p| p.pipeline.is_default)
            .or_else(|| all.first()),
    };
    match (wanted, pick) {
        (Some(_), None) => Err(ReportError::Filter("pipeline", "no such pipeline")),
        (_, p) => Ok(p.cloned()),
    }
}

/// `k` as an id, for joining names onto cells.
pub(crate) fn key_id(k: &Option<String>) -> Option<Uuid> {
    k.as_deref().and_then(af_db::reports::parse_id)
}
