//! "Recalcular puntuaciones" on the scoring page: the button (admins),
//! and the run's progress, which htmx polls every second until it is done.
//! The run is `af_service::scoring::start_recalculation`, the API's path.

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath, render};
use crate::i18n::recalculation::RecalcTr;
use crate::state::AppState;
use af_core::Role;
use af_db::audit::{NewAudit, insert_audit};
use af_db::recalculations::{Recalculation, status};
use af_service::scoring as svc;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

/// Where the scoring page lives (the button sends the browser back there
/// without JavaScript).
pub const SCORING_PAGE: &str = "/contacts/scoring";

fn internal(e: svc::ScoringError) -> AppError {
    AppError::Internal(e.into())
}

/// A run as the page shows it.
pub struct RecalcView {
    pub id: String,
    pub status: &'static str,
    pub finished: bool,
    pub percent: i32,
    pub processed: i32,
    pub total: i32,
    pub changed: i32,
    pub finished_at: String,
}

impl RecalcView {
    pub fn new(r: &Recalculation, t: &RecalcTr, tz: &str) -> Self {
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        RecalcView {
            id: r.id.to_string(),
            status: match r.status.as_str() {
                status::QUEUED => t.status_queued,
                status::RUNNING => t.status_running,
                _ => t.status_done,
            },
            finished: r.is_finished(),
            percent: r.percent(),
            processed: r.processed,
            total: r.total,
            changed: r.changed,
            finished_at: r
                .finished_at
                .map(|f| f.0.to_zoned(zone).strftime("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        }
    }
}

/// The recalculation card: the button for admins, the latest run below.
#[derive(Template)]
#[template(path = "scoring/_recalculation.html")]
pub struct RecalcCard {
    pub rt: &'static RecalcTr,
    pub csrf: String,
    pub can_start: bool,
    pub run: Option<RecalcView>,
    pub notice: Option<&'static str>,
}

impl RecalcCard {
    /// The card for the signed-in user, with the workspace's latest run,
    /// as HTML for the scoring page.
    pub async fn html(st: &AppState, cu: &CurrentUser) -> AppResult<String> {
        crate::extract::render_fragment(&RecalcCard::load(st, cu).await?)
    }

    /// The card for the signed-in user, with the workspace's latest run.
    pub async fn load(st: &AppState, cu: &CurrentUser) -> AppResult<RecalcCard> {
        let rt = RecalcTr::get(cu.locale());
        let run = svc::latest_recalculation(&st.db, cu.workspace.id)
            .await
            .map_err(internal)?;
        Ok(RecalcCard {
            rt,
            csrf: crate::auth::csrf_token(&cu.session).await?,
            can_start: cu.require(Role::Admin).is_ok(),
            run: run.map(|r| RecalcView::new(&r, rt, &cu.workspace.time_zone)),
            notice: None,
        })
    }
}

#[derive(Template)]
#[template(path = "scoring/_recalc_progress.html")]
struct ProgressFragment {
    rt: &'static RecalcTr,
    run: RecalcView,
}

/// `POST /contacts/scoring/recalculate` (admins): starts a run, or shows
/// the one already running.
pub async fn start(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(hx): HxRequest,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let now = st.now();
    let (run, started) = svc::start_recalculation(&st.db, cu.workspace.id, Some(cu.user.id), now)
        .await
        .map_err(internal)?;
    if started {
        let mut tx = st.db.begin().await?;
        insert_audit(
            &mut tx,
            &NewAudit {
                workspace: Some(cu.workspace.id),
                actor: &cu.actor(),
                action: "scoring.recalculation_started",
                target_type: Some("scoring_recalculation"),
                target_id: Some(run.id.to_string()),
                result: "ok",
                details: serde_json::json!({ "contacts": run.total }),
                ip: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    if !hx {
        return Ok(Redirect::to(SCORING_PAGE).into_response());
    }
    let rt = RecalcTr::get(cu.locale());
    let card = RecalcCard {
        rt,
        csrf: crate::auth::csrf_token(&cu.session).await?,
        can_start: true,
        run: Some(RecalcView::new(&run, rt, &cu.workspace.time_zone)),
        notice: (!started).then_some(rt.already_running),
    };
    Ok(render(&card)?.into_response())
}

/// `GET /contacts/scoring/recalculations/{id}/progress`: the fragment
/// htmx polls while the run is not finished.
pub async fn progress(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<Uuid>,
) -> AppResult<Response> {
    let run = svc::find_recalculation(&st.db, cu.workspace.id, id)
        .await
        .map_err(|e| match e {
            svc::ScoringError::NotFound => AppError::NotFound,
            other => internal(other),
        })?;
    let rt = RecalcTr::get(cu.locale());
    let page = ProgressFragment {
        rt,
        run: RecalcView::new(&run, rt, &cu.workspace.time_zone),
    };
    Ok(render(&page)?.into_response())
}
