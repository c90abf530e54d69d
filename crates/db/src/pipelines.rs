//! Pipelines and their ordered stages. Every new workspace gets a default
//! pipeline in its language.

use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::{Locale, PipelineId, StageId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Pipeline {
    #[sqlx(try_from = "Uuid")]
    pub id: PipelineId,
    pub name: String,
    pub position: i32,
    pub is_default: bool,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Stage {
    #[sqlx(try_from = "Uuid")]
    pub id: StageId,
    #[sqlx(try_from = "Uuid")]
    pub pipeline_id: PipelineId,
    pub name: String,
    pub position: i32,
    /// open, won or lost.
    pub kind: String,
    pub is_booked: bool,
}

/// A pipeline with its stages in order.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineWithStages {
    #[serde(flatten)]
    pub pipeline: Pipeline,
    pub stages: Vec<Stage>,
}

/// The stages of the default pipeline: (name, kind, is_booked).
pub fn default_stages(locale: Locale) -> [(&'static str, &'static str, bool); 6] {
    match locale {
        Locale::Es => [
            ("Contacto inicial", "open", false),
            ("Propuesta enviada", "open", false),
            ("Negociación", "open", false),
            ("Agendado", "open", true),
            ("Cerrado ganado", "won", false),
            ("Cerrado perdido", "lost", false),
        ],
        Locale::En => [
            ("First contact", "open", false),
            ("Proposal sent", "open", false),
            ("Negotiation", "open", false),
            ("Booked", "open", true),
            ("Closed won", "won", false),
            ("Closed lost", "lost", false),
        ],
    }
}

/// Creates a pipeline with the given stages.
pub async fn insert_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    is_default: bool,
    stages: &[(&str, &str, bool)],
    now: Ts,
) -> DbResult<PipelineId> {
    let id = PipelineId::new();
    with_tx!(tx, c => {
        let position: i32 = sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM pipelines WHERE workspace_id = $1")
            .bind(ws.0).fetch_one(&mut *c).await?;
        sqlx::query(
            "INSERT INTO pipelines (id, workspace_id, name, position, is_default, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.0).bind(ws.0).bind(name).bind(position).bind(is_default).bind(now)
        .execute(&mut *c).await?;
        for (i, (stage, kind, booked)) in stages.iter().enumerate() {
            sqlx::query(
                "INSERT INTO stages (id, workspace_id, pipeline_id, name, position, kind, is_booked, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7()).bind(ws.0).bind(id.0).bind(*stage).bind(i as i32 + 1).bind(*kind).bind(*booked).bind(now)
            .execute(&mut *c).await?;
        }
    });
    Ok(id)
}

/// The default pipeline for a new workspace, named in its language.
pub async fn insert_default_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    locale: Locale,
    now: Ts,
) -> DbResult<PipelineId> {
    let name = match locale {
        Locale::Es => "Ventas",
        Locale::En => "Sales",
    };
    insert_pipeline(tx, ws, name, true, &default_stages(locale), now).await
}

/// Every pipeline of the workspace with its stages, in order.
pub async fn list_pipelines(db: &crate::Db, ws: WorkspaceId) -> DbResult<Vec<PipelineWithStages>> {
    let (pipelines, stages): (Vec<Pipeline>, Vec<Stage>) = with_pool!(db, p => {
        let pipelines = sqlx::query_as::<_, Pipeline>(
            "SELECT id, name, position, is_default FROM pipelines WHERE workspace_id = $1 ORDER BY position, name",
        )
        .bind(ws.0).fetch_all(p).await?;
        let stages = sqlx::query_as::<_, Stage>(
            "SELECT id, pipeline_id, name, position, kind, is_booked FROM stages WHERE workspace_id = $1
             ORDER BY position",
        )
        .bind(ws.0).fetch_all(p).await?;
        (pipelines, stages)
    });
    Ok(pipelines
        .into_iter()
        .map(|pipeline| {
            let stages = stages
                .iter()
                .filter(|s| s.pipeline_id == pipeline.id)
                .cloned()
                .collect();
            PipelineWithStages { pipeline, stages }
        })
        .collect())
}

/// One pipeline of the workspace with its stages.
pub async fn find_pipeline(
    db: &crate::Db,
    ws: WorkspaceId,
    id: PipelineId,
) -> DbResult<Option<PipelineWithStages>> {
    Ok(list_pipelines(db, ws)
        .await?
        .into_iter()
        .find(|p| p.pipeline.id == id))
}

/// The workspace's default pipeline (or its first).
pub async fn default_pipeline(
    db: &crate::Db,
    ws: WorkspaceId,
) -> DbResult<Option<PipelineWithStages>> {
    let all = list_pipelines(db, ws).await?;
    let default = all.iter().position(|p| p.pipeline.is_default).unwrap_or(0);
    Ok(all.into_iter().nth(default))
}

/// A stage of this workspace (in a transaction).
pub async fn get_stage_tx(tx: &mut Tx, ws: WorkspaceId, id: StageId) -> DbResult<Stage> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Stage>(
            "SELECT id, pipeline_id, name, position, kind, is_booked FROM stages WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("stage"))
}

/// The first open stage of a pipeline (where new deals start).
pub async fn first_stage_tx(tx: &mut Tx, ws: WorkspaceId, pipeline: PipelineId) -> DbResult<Stage> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Stage>(
            "SELECT id, pipeline_id, name, position, kind, is_booked FROM stages
             WHERE workspace_id = $1 AND pipeline_id = $2 ORDER BY position LIMIT 1",
        )
        .bind(ws.0).bind(pipeline.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("stage"))
}

/// The workspace's default pipeline id (in a transaction).
pub async fn default_pipeline_tx(tx: &mut Tx, ws: WorkspaceId) -> DbResult<PipelineId> {
    let id: Option<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT id FROM pipelines WHERE workspace_id = $1 ORDER BY is_default DESC, position LIMIT 1")
            .bind(ws.0).fetch_optional(&mut *c).await?
    });
    id.map(PipelineId).ok_or(DbError::NotFound("pipeline"))
}
