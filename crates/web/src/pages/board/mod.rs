//! The board area: the workspace's pipelines, the kanban board of one
//! pipeline (a column per stage, cards paged in on scroll so a pipeline with
//! 10,000 deals opens fast), drag & drop moves, live updates by server-sent
//! events, new deals from the board, and pipeline/stage settings (admin+).
//!
//! - [`view`]: the board page, its columns, cards and header summaries;
//! - [`live`]: the server-sent event stream of one pipeline;
//! - [`deals`]: new deals from the board (and its contact picker), moves;
//! - [`panel`]: the deal drawer (details, stage, owner, won/lost);
//! - [`pipelines`]: the pipelines list, new pipelines, the settings page,
//!   renames;
//! - [`stages`]: adding, editing, reordering and deleting stages, and which
//!   one is "booked".
//!
//! Routes are mounted in `crate::router` through [`routes`], inside the
//! session + CSRF layers. Every query is scoped by the signed-in user's
//! workspace; another workspace's id (or a malformed one) answers 404. The
//! live fan-out itself is `af_db::live` (PostgreSQL NOTIFY across processes,
//! in-process on SQLite), so nothing here keeps state another node would
//! need.

mod deals;
mod live;
mod panel;
mod pipelines;
mod stages;
mod view;

pub use view::{PAGE, time_in_stage};

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::i18n::board::BoardTr;
use crate::state::AppState;
use af_core::{PipelineId, StageId, WorkspaceId};
use af_db::DbError;
use af_db::pipelines::PipelineWithStages;
use axum::Router;
use axum::routing::{get, post};
use uuid::Uuid;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/pipelines",
            get(pipelines::list_pipelines).post(pipelines::create_pipeline),
        )
        .route("/pipelines/{id}", get(view::show_board))
        .route("/pipelines/{id}/summary", get(view::board_summary))
        .route("/pipelines/{id}/events", get(live::board_events))
        .route(
            "/pipelines/{id}/stages/{stage_id}/cards",
            get(view::list_stage_cards),
        )
        .route(
            "/pipelines/{id}/contact-search",
            get(deals::search_contacts),
        )
        .route("/pipelines/{id}/deals", post(deals::create_deal))
        .route(
            "/pipelines/{id}/settings",
            get(pipelines::pipeline_settings),
        )
        .route("/pipelines/{id}/rename", post(pipelines::rename_pipeline))
        .route("/pipelines/{id}/booked", post(stages::set_booked_stage))
        .route("/pipelines/{id}/stages", post(stages::create_stage))
        .route(
            "/pipelines/{id}/stages/{stage_id}",
            post(stages::update_stage),
        )
        .route(
            "/pipelines/{id}/stages/{stage_id}/reorder",
            post(stages::reorder_stage),
        )
        .route(
            "/pipelines/{id}/stages/{stage_id}/delete",
            post(stages::delete_stage),
        )
        .route("/deals/{id}/card", get(view::show_card))
        .route("/deals/{id}/move", post(deals::move_deal))
        .route("/deals/{id}/panel", get(panel::show_panel))
        .route("/deals/{id}/stage", post(panel::change_stage))
        .route("/deals/{id}/owner", post(panel::change_owner))
        .route("/deals/{id}/won", post(panel::mark_won))
        .route("/deals/{id}/lost", post(panel::mark_lost))
        .route("/deals/{id}/tags", post(panel::add_tag))
        .route("/deals/{id}/tags/remove", post(panel::remove_tag))
}

// ---------------------------------------------------------------- helpers

/// An id from a form field that must name something (a move's target
/// stage): malformed is as unknown as missing.
fn known_id<T: From<Uuid>>(raw: &str) -> AppResult<T> {
    Uuid::parse_str(raw)
        .map(T::from)
        .map_err(|_| AppError::NotFound)
}

/// An optional id from a form field (empty = none); malformed is a 400.
fn form_id<T: From<Uuid>>(raw: Option<&str>) -> AppResult<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Uuid::parse_str(s)
            .map(|u| Some(T::from(u)))
            .map_err(|_| AppError::BadRequest(format!("invalid id {s:?}"))),
    }
}

/// Repository "not found" (another workspace's record) is a 404; any other
/// database error stays internal.
fn not_found_or(e: DbError) -> AppError {
    match e {
        DbError::NotFound(_) => AppError::NotFound,
        e => e.into(),
    }
}

/// The workspace's pipeline with its stages, or 404.
async fn load_pipeline(
    st: &AppState,
    ws: WorkspaceId,
    id: PipelineId,
) -> AppResult<PipelineWithStages> {
    af_db::pipelines::find_pipeline(&st.db, ws, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// `stage` when it is one of the pipeline's stages, else 404.
fn stage_of(p: &PipelineWithStages, stage: StageId) -> AppResult<StageId> {
    if p.stages.iter().any(|s| s.id == stage) {
        Ok(stage)
    } else {
        Err(AppError::NotFound)
    }
}

/// The area's strings for the signed-in user.
fn bt(cu: &CurrentUser) -> &'static BoardTr {
    BoardTr::get(cu.locale())
}

/// A pipeline or stage name as typed, or `None` when it is not one.
fn valid_name(raw: &str) -> Option<String> {
    af_core::validate::name(raw, 80).ok()
}

/// "10,000" / "10.000": a count as the workspace's country writes it.
fn count(cu: &CurrentUser, n: i64) -> String {
    af_core::numbers::format_count(n, &cu.workspace.country)
}
