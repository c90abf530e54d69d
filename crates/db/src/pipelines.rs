//! Pipelines and their ordered stages. Every new workspace gets a default
//! pipeline in its language; admins manage pipelines and stages from the
//! board's settings (functions at the end of this file).

use crate::events::{NewEvent, insert_event};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, Locale, PipelineId, StageId, WorkspaceId};
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

/// A stage of this workspace, read through the pool.
pub async fn find_stage(db: &crate::Db, ws: WorkspaceId, id: StageId) -> DbResult<Option<Stage>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Stage>(
            "SELECT id, pipeline_id, name, position, kind, is_booked FROM stages WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
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

/// The pipeline's "booked" stage, if it has one (bookings move deals there).
pub async fn booked_stage_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    pipeline: PipelineId,
) -> DbResult<Option<Stage>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Stage>(
            "SELECT id, pipeline_id, name, position, kind, is_booked FROM stages
             WHERE workspace_id = $1 AND pipeline_id = $2 AND is_booked",
        )
        .bind(ws.0).bind(pipeline.0).fetch_optional(&mut *c).await?
    }))
}

/// The workspace's default pipeline id (in a transaction).
pub async fn default_pipeline_tx(tx: &mut Tx, ws: WorkspaceId) -> DbResult<PipelineId> {
    let id: Option<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT id FROM pipelines WHERE workspace_id = $1 ORDER BY is_default DESC, position LIMIT 1")
            .bind(ws.0).fetch_optional(&mut *c).await?
    });
    id.map(PipelineId).ok_or(DbError::NotFound("pipeline"))
}

// ---- Pipeline and stage management (board settings, admin+). Each change
// writes an event in its transaction, like every other change.

/// Stage kinds a stage may have.
pub const STAGE_KINDS: [&str; 3] = ["open", "won", "lost"];

/// Writes a management event; `what` is (event kind, entity type, entity id).
async fn write_event(
    tx: &mut Tx,
    ws: WorkspaceId,
    what: (EventKind, &'static str, Uuid),
    actor: &Actor,
    data: serde_json::Value,
    now: Ts,
) -> DbResult<()> {
    let (kind, entity_type, id) = what;
    let e = NewEvent {
        workspace: ws,
        kind: kind.as_str(),
        entity_type,
        entity_id: Some(id.to_string()),
        actor,
        data,
    };
    insert_event(tx, &e, now).await?;
    Ok(())
}

/// A pipeline of this workspace (in a transaction), for scoping checks.
pub async fn get_pipeline_tx(tx: &mut Tx, ws: WorkspaceId, id: PipelineId) -> DbResult<Pipeline> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Pipeline>(
            "SELECT id, name, position, is_default FROM pipelines WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("pipeline"))
}

/// Creates a (non-default) pipeline with `stages` and writes `pipeline.created`.
pub async fn create_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    name: &str,
    stages: &[(&str, &str, bool)],
    actor: &Actor,
    now: Ts,
) -> DbResult<PipelineId> {
    let id = insert_pipeline(tx, ws, name, false, stages, now).await?;
    let names: Vec<&str> = stages.iter().map(|s| s.0).collect();
    let data = serde_json::json!({ "name": name, "stages": names });
    write_event(
        tx,
        ws,
        (EventKind::PipelineCreated, "pipeline", id.0),
        actor,
        data,
        now,
    )
    .await?;
    Ok(id)
}

/// Renames a pipeline; writes `pipeline.renamed` with old and new names.
pub async fn rename_pipeline(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: PipelineId,
    name: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    let old = get_pipeline_tx(tx, ws, id).await?;
    with_tx!(tx, c => {
        sqlx::query("UPDATE pipelines SET name = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(name).bind(now).execute(&mut *c).await?;
    });
    let data = serde_json::json!({ "old": { "name": old.name }, "new": { "name": name } });
    write_event(
        tx,
        ws,
        (EventKind::PipelineRenamed, "pipeline", id.0),
        actor,
        data,
        now,
    )
    .await
}

/// Adds a stage at the end of a pipeline; writes `stage.created`.
pub async fn insert_stage(
    tx: &mut Tx,
    ws: WorkspaceId,
    pipeline: PipelineId,
    name: &str,
    kind: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<Stage> {
    get_pipeline_tx(tx, ws, pipeline).await?;
    let id = StageId::new();
    with_tx!(tx, c => {
        let position: i32 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM stages WHERE workspace_id = $1 AND pipeline_id = $2",
        )
        .bind(ws.0).bind(pipeline.0).fetch_one(&mut *c).await?;
        sqlx::query(
            "INSERT INTO stages (id, workspace_id, pipeline_id, name, position, kind, is_booked, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, $7)",
        )
        .bind(id.0).bind(ws.0).bind(pipeline.0).bind(name).bind(position).bind(kind).bind(now)
        .execute(&mut *c).await?;
    });
    let data = serde_json::json!({ "pipeline_id": pipeline, "name": name, "kind": kind });
    write_event(
        tx,
        ws,
        (EventKind::StageCreated, "stage", id.0),
        actor,
        data,
        now,
    )
    .await?;
    get_stage_tx(tx, ws, id).await
}

/// Renames a stage and sets its kind; writes `stage.updated` with old and
/// new values.
pub async fn update_stage(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: StageId,
    name: &str,
    kind: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<Stage> {
    let old = get_stage_tx(tx, ws, id).await?;
    with_tx!(tx, c => {
        sqlx::query("UPDATE stages SET name = $3, kind = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(name).bind(kind).execute(&mut *c).await?;
    });
    let data = serde_json::json!({
        "pipeline_id": old.pipeline_id,
        "old": { "name": old.name, "kind": old.kind },
        "new": { "name": name, "kind": kind },
    });
    write_event(
        tx,
        ws,
        (EventKind::StageUpdated, "stage", id.0),
        actor,
        data,
        now,
    )
    .await?;
    get_stage_tx(tx, ws, id).await
}

/// Marks `stage` as the pipeline's "booked" stage (bookings move deals
/// there), or clears the mark with `None`. At most one per pipeline.
pub async fn set_booked_stage(
    tx: &mut Tx,
    ws: WorkspaceId,
    pipeline: PipelineId,
    stage: Option<StageId>,
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    get_pipeline_tx(tx, ws, pipeline).await?;
    if let Some(s) = stage
        && get_stage_tx(tx, ws, s).await?.pipeline_id != pipeline
    {
        return Err(DbError::NotFound("stage in that pipeline"));
    }
    with_tx!(tx, c => {
        // Clear first: the unique index allows one booked stage per pipeline.
        sqlx::query("UPDATE stages SET is_booked = FALSE WHERE workspace_id = $1 AND pipeline_id = $2 AND is_booked")
            .bind(ws.0).bind(pipeline.0).execute(&mut *c).await?;
        if let Some(s) = stage {
            sqlx::query("UPDATE stages SET is_booked = TRUE WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(s.0).execute(&mut *c).await?;
        }
    });
    let data = serde_json::json!({ "booked_stage_id": stage });
    write_event(
        tx,
        ws,
        (EventKind::PipelineBookedStageSet, "pipeline", pipeline.0),
        actor,
        data,
        now,
    )
    .await
}

/// Puts a pipeline's stages in the given order (positions 1..n). `order`
/// must name each stage of the pipeline exactly once, else NotFound.
pub async fn reorder_stages(
    tx: &mut Tx,
    ws: WorkspaceId,
    pipeline: PipelineId,
    order: &[StageId],
    actor: &Actor,
    now: Ts,
) -> DbResult<()> {
    get_pipeline_tx(tx, ws, pipeline).await?;
    let mut current: Vec<Uuid> = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT id FROM stages WHERE workspace_id = $1 AND pipeline_id = $2")
            .bind(ws.0).bind(pipeline.0).fetch_all(&mut *c).await?
    });
    let mut wanted: Vec<Uuid> = order.iter().map(|s| s.0).collect();
    current.sort();
    wanted.sort();
    if current != wanted {
        return Err(DbError::NotFound("the pipeline's stages"));
    }
    with_tx!(tx, c => {
        for (i, s) in order.iter().enumerate() {
            sqlx::query("UPDATE stages SET position = $3 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(s.0).bind(i as i32 + 1).execute(&mut *c).await?;
        }
    });
    let data = serde_json::json!({ "order": order });
    write_event(
        tx,
        ws,
        (EventKind::PipelineStagesReordered, "pipeline", pipeline.0),
        actor,
        data,
        now,
    )
    .await
}

/// What [`delete_stage`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageDeletion {
    Deleted,
    /// Refused: this many deals are still in the stage.
    HasDeals(i64),
    /// Refused: this active workflow uses the stage (decided by
    /// `af_engine::ops::delete_stage`, which owns that rule).
    UsedByWorkflow(String),
}

/// Deletes an empty stage (writes `stage.deleted`); refuses while deals are
/// in it, so no deal is lost or moved behind the user's back. Callers go
/// through `af_engine::ops::delete_stage`, which first refuses a stage an
/// active workflow uses.
pub async fn delete_stage(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: StageId,
    actor: &Actor,
    now: Ts,
) -> DbResult<StageDeletion> {
    let stage = get_stage_tx(tx, ws, id).await?;
    let deals: i64 = with_tx!(tx, c => {
        sqlx::query_scalar("SELECT COUNT(*) FROM deals WHERE workspace_id = $1 AND stage_id = $2")
            .bind(ws.0).bind(id.0).fetch_one(&mut *c).await?
    });
    if deals > 0 {
        return Ok(StageDeletion::HasDeals(deals));
    }
    with_tx!(tx, c => {
        sqlx::query("DELETE FROM stages WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).execute(&mut *c).await?;
        // Close the gap so positions stay 1..n.
        sqlx::query(
            "UPDATE stages SET position = position - 1 WHERE workspace_id = $1 AND pipeline_id = $2 AND position > $3",
        )
        .bind(ws.0).bind(stage.pipeline_id.0).bind(stage.position).execute(&mut *c).await?;
    });
    let data = serde_json::json!({ "pipeline_id": stage.pipeline_id, "name": stage.name, "kind": stage.kind });
    write_event(
        tx,
        ws,
        (EventKind::StageDeleted, "stage", id.0),
        actor,
        data,
        now,
    )
    .await?;
    Ok(StageDeletion::Deleted)
}
