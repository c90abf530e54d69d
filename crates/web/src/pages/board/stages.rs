//! Stages of a pipeline (admin+): add, rename and set the kind, reorder,
//! delete (refused while deals or an active workflow use the stage), and
//! which stage is "booked" (where Cal.com bookings move deals).

use super::pipelines::{saved, settings_error};
use super::{bt, count, known_id, load_pipeline, not_found_or, stage_of, valid_name};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::state::AppState;
use af_core::{PipelineId, Role, StageId};
use af_db::pipelines::{self, StageDeletion};
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StageForm {
    name: String,
    kind: String,
}

fn valid_kind(raw: &str) -> Option<&'static str> {
    let k = if raw.is_empty() { "open" } else { raw };
    pipelines::STAGE_KINDS.iter().copied().find(|x| *x == k)
}

/// `POST /pipelines/{id}/stages` (admin+): a stage at the end.
pub(super) async fn create_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let bt = bt(&cu);
    let (Some(name), Some(kind)) = (valid_name(&f.name), valid_kind(&f.kind)) else {
        let msg = if valid_name(&f.name).is_none() {
            bt.err_name
        } else {
            bt.err_kind
        };
        return settings_error(&st, &cu, &p, msg.into()).await;
    };
    let mut tx = st.db.begin().await?;
    pipelines::insert_stage(
        &mut tx,
        cu.workspace.id,
        p.pipeline.id,
        &name,
        kind,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    saved(&cu, &p, bt.saved).await
}

/// `POST /pipelines/{id}/stages/{stage_id}` (admin+): rename, set the kind.
pub(super) async fn update_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, stage)): IdPath<(PipelineId, StageId)>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let stage = stage_of(&p, stage)?;
    let bt = bt(&cu);
    let (Some(name), Some(kind)) = (valid_name(&f.name), valid_kind(&f.kind)) else {
        let msg = if valid_name(&f.name).is_none() {
            bt.err_name
        } else {
            bt.err_kind
        };
        return settings_error(&st, &cu, &p, msg.into()).await;
    };
    let mut tx = st.db.begin().await?;
    pipelines::update_stage(
        &mut tx,
        cu.workspace.id,
        stage,
        &name,
        kind,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    saved(&cu, &p, bt.saved).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BookedForm {
    stage_id: String,
}

/// `POST /pipelines/{id}/booked` (admin+): which stage is "booked" (or none).
pub(super) async fn set_booked_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
    Form(f): Form<BookedForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let stage = match f.stage_id.trim() {
        "" => None,
        raw => Some(stage_of(&p, known_id(raw)?)?),
    };
    let mut tx = st.db.begin().await?;
    pipelines::set_booked_stage(
        &mut tx,
        cu.workspace.id,
        p.pipeline.id,
        stage,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    saved(&cu, &p, bt(&cu).saved).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReorderForm {
    /// `up` or `down`.
    direction: String,
}

/// `POST /pipelines/{id}/stages/{stage_id}/reorder` (admin+): one step up
/// or down.
pub(super) async fn reorder_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, stage)): IdPath<(PipelineId, StageId)>,
    Form(f): Form<ReorderForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let stage = stage_of(&p, stage)?;
    let bt = bt(&cu);
    let mut order: Vec<StageId> = p.stages.iter().map(|s| s.id).collect();
    let i = order
        .iter()
        .position(|s| *s == stage)
        .ok_or(AppError::NotFound)?;
    let j = match f.direction.as_str() {
        "up" => i.checked_sub(1),
        "down" => Some(i + 1).filter(|j| *j < order.len()),
        _ => return settings_error(&st, &cu, &p, bt.err_order.into()).await,
    };
    let Some(j) = j else {
        return settings_error(&st, &cu, &p, bt.err_order.into()).await;
    };
    order.swap(i, j);
    let mut tx = st.db.begin().await?;
    pipelines::reorder_stages(
        &mut tx,
        cu.workspace.id,
        p.pipeline.id,
        &order,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    saved(&cu, &p, bt.saved).await
}

/// `POST /pipelines/{id}/stages/{stage_id}/delete` (admin+): refused, with a
/// message, while deals are in the stage.
pub(super) async fn delete_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, stage)): IdPath<(PipelineId, StageId)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let stage = stage_of(&p, stage)?;
    let bt = bt(&cu);
    let mut tx = st.db.begin().await?;
    let done = af_engine::ops::delete_stage(&mut tx, cu.workspace.id, stage, &cu.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    match done {
        StageDeletion::Deleted => {
            tx.commit().await?;
            saved(&cu, &p, bt.stage_deleted).await
        }
        StageDeletion::HasDeals(n) => {
            tx.rollback().await?;
            let msg = bt.err_stage_has_deals.replace("{n}", &count(&cu, n));
            settings_error(&st, &cu, &p, msg).await
        }
        StageDeletion::UsedByWorkflow(name) => {
            tx.rollback().await?;
            let msg = bt.err_stage_in_workflow.replace("{name}", &name);
            settings_error(&st, &cu, &p, msg).await
        }
    }
}
