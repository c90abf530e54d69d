//! Pipelines: the list, new pipelines (with the default stages or none),
//! the settings page of one pipeline (its stages, admin+) and renames.

use super::{bt, count, load_pipeline, not_found_or, valid_name};
use crate::auth::{CurrentUser, set_flash};
use crate::error::AppResult;
use crate::extract::{IdPath, render};
use crate::i18n::board::BoardTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{PipelineId, Role, StageId};
use af_db::deals;
use af_db::pipelines::{self, PipelineWithStages};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

pub struct PipelineRow {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub stages: String,
    pub deals: String,
}

#[derive(Template)]
#[template(path = "board/pipelines.html")]
struct PipelinesTemplate {
    shell: Shell,
    bt: &'static BoardTr,
    rows: Vec<PipelineRow>,
    can_manage: bool,
    error: Option<String>,
    name: String,
}

async fn pipelines_page(
    st: &AppState,
    cu: &CurrentUser,
    error: Option<String>,
    name: String,
) -> AppResult<PipelinesTemplate> {
    let shell = Shell::new(cu, Area::Pipelines).await?;
    let bt = bt(cu);
    let counts: HashMap<PipelineId, i64> = deals::count_deals_by_pipeline(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .collect();
    let rows = pipelines::list_pipelines(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|p| PipelineRow {
            id: p.pipeline.id.to_string(),
            name: p.pipeline.name.clone(),
            is_default: p.pipeline.is_default,
            stages: bt
                .stages_count
                .replace("{n}", &count(cu, p.stages.len() as i64)),
            deals: bt.deals_count.replace(
                "{n}",
                &count(cu, counts.get(&p.pipeline.id).copied().unwrap_or(0)),
            ),
        })
        .collect();
    Ok(PipelinesTemplate {
        shell,
        bt,
        rows,
        can_manage: cu.role >= Role::Admin,
        error,
        name,
    })
}

/// `GET /pipelines`: the workspace's pipelines.
pub(super) async fn list_pipelines(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Html<String>> {
    render(&pipelines_page(&st, &cu, None, String::new()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewPipelineForm {
    name: String,
    stages: String,
}

/// `POST /pipelines` (admin+): a pipeline with the default stages or none.
pub(super) async fn create_pipeline(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewPipelineForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let bt = bt(&cu);
    let Some(name) = valid_name(&f.name) else {
        let page = pipelines_page(&st, &cu, Some(bt.err_name.into()), f.name.clone()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let stages = match f.stages.as_str() {
        "empty" => vec![],
        _ => pipelines::default_stages(cu.workspace.locale()).to_vec(),
    };
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let id = pipelines::create_pipeline(&mut tx, cu.workspace.id, &name, &stages, &cu.actor(), now)
        .await?;
    tx.commit().await?;
    set_flash(&cu.session, true, bt.pipeline_created).await?;
    Ok(Redirect::to(&format!("/pipelines/{id}")).into_response())
}

pub struct StageRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub is_booked: bool,
    pub first: bool,
    pub last: bool,
    pub deals: String,
}

#[derive(Template)]
#[template(path = "board/settings.html")]
struct SettingsTemplate {
    shell: Shell,
    bt: &'static BoardTr,
    pipeline_id: String,
    pipeline_name: String,
    stages: Vec<StageRow>,
    booked: String,
    kinds: [(&'static str, &'static str); 3],
    error: Option<String>,
}

async fn settings_page(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
    error: Option<String>,
) -> AppResult<SettingsTemplate> {
    let shell = Shell::new(cu, Area::Pipelines).await?;
    let bt = bt(cu);
    let mut counts: HashMap<StageId, i64> = HashMap::new();
    for (stage, _, n, _) in deals::stage_totals(&st.db, cu.workspace.id, p.pipeline.id).await? {
        *counts.entry(stage).or_default() += n;
    }
    let last = p.stages.len().saturating_sub(1);
    Ok(SettingsTemplate {
        shell,
        bt,
        pipeline_id: p.pipeline.id.to_string(),
        pipeline_name: p.pipeline.name.clone(),
        stages: p
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StageRow {
                id: s.id.to_string(),
                name: s.name.clone(),
                kind: s.kind.clone(),
                is_booked: s.is_booked,
                first: i == 0,
                last: i == last,
                deals: bt
                    .deals_count
                    .replace("{n}", &count(cu, counts.get(&s.id).copied().unwrap_or(0))),
            })
            .collect(),
        booked: p
            .stages
            .iter()
            .find(|s| s.is_booked)
            .map(|s| s.id.to_string())
            .unwrap_or_default(),
        kinds: [
            ("open", bt.kind_open),
            ("won", bt.kind_won),
            ("lost", bt.kind_lost),
        ],
        error,
    })
}

/// `GET /pipelines/{id}/settings` (admin+).
pub(super) async fn pipeline_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
) -> AppResult<Html<String>> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    render(&settings_page(&st, &cu, &p, None).await?)
}

/// The settings page again with an error and 422: nothing was changed.
pub(super) async fn settings_error(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
    msg: String,
) -> AppResult<Response> {
    let page = settings_page(st, cu, p, Some(msg)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// Back to the settings page with a flash: the change was made.
pub(super) async fn saved(
    cu: &CurrentUser,
    p: &PipelineWithStages,
    msg: &str,
) -> AppResult<Response> {
    set_flash(&cu.session, true, msg).await?;
    Ok(Redirect::to(&format!("/pipelines/{}/settings", p.pipeline.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NameForm {
    name: String,
}

/// `POST /pipelines/{id}/rename` (admin+).
pub(super) async fn rename_pipeline(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let bt = bt(&cu);
    let Some(name) = valid_name(&f.name) else {
        return settings_error(&st, &cu, &p, bt.err_name.into()).await;
    };
    let mut tx = st.db.begin().await?;
    pipelines::rename_pipeline(
        &mut tx,
        cu.workspace.id,
        p.pipeline.id,
        &name,
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    saved(&cu, &p, bt.saved).await
}
