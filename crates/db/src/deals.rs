//! Deals ("leads" on the board): a contact in a pipeline stage with a title
//! and a value. Moving a deal to another stage writes `deal.stage_changed`
//! with from/to; reordering within a stage writes only the new position.

use crate::events::{NewEvent, insert_event};
use crate::pipelines::{first_stage_tx, get_stage_tx};
use crate::{DbError, DbResult, Ts, Tx, with_pool, with_tx};
use af_core::vocab::EventKind;
use af_core::{Actor, ContactId, DealId, PipelineId, StageId, UserId, WorkspaceId};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Deal {
    #[sqlx(try_from = "Uuid")]
    pub id: DealId,
    #[sqlx(try_from = "Uuid")]
    pub pipeline_id: PipelineId,
    #[sqlx(try_from = "Uuid")]
    pub stage_id: StageId,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub title: String,
    /// Integer minor units (cents).
    pub value_minor: i64,
    pub currency: String,
    pub owner_id: Option<Uuid>,
    pub position: f64,
    pub stage_entered_at: Ts,
    pub created_at: Ts,
    pub updated_at: Ts,
    /// Why it was lost (typed when it was marked lost); `None` outside lost
    /// stages.
    pub lost_reason: Option<String>,
}

macro_rules! deal_columns {
    () => {
        "id, pipeline_id, stage_id, contact_id, title, value_minor, currency, owner_id, position, stage_entered_at, \
         created_at, updated_at, lost_reason"
    };
}

/// Longest lost reason kept (a short sentence, not a report).
pub const MAX_LOST_REASON: usize = 500;

/// A new deal. Without a stage it starts in the pipeline's first stage;
/// without a pipeline, in the workspace's default pipeline.
#[derive(Debug, Clone)]
pub struct NewDeal {
    pub contact_id: ContactId,
    pub pipeline_id: Option<PipelineId>,
    pub stage_id: Option<StageId>,
    pub title: String,
    pub value_minor: i64,
    pub currency: String,
    pub owner_id: Option<UserId>,
}

async fn fetch(tx: &mut Tx, ws: WorkspaceId, id: DealId) -> DbResult<Deal> {
    with_tx!(tx, c => {
        sqlx::query_as::<_, Deal>(concat!("SELECT ", deal_columns!(), " FROM deals WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("deal"))
}

pub async fn get_deal_tx(tx: &mut Tx, ws: WorkspaceId, id: DealId) -> DbResult<Deal> {
    fetch(tx, ws, id).await
}

pub async fn find_deal(db: &crate::Db, ws: WorkspaceId, id: DealId) -> DbResult<Option<Deal>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Deal>(concat!("SELECT ", deal_columns!(), " FROM deals WHERE workspace_id = $1 AND id = $2"))
            .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

async fn top_position(tx: &mut Tx, ws: WorkspaceId, stage: StageId) -> DbResult<f64> {
    Ok(with_tx!(tx, c => {
        let min: Option<f64> = sqlx::query_scalar("SELECT MIN(position) FROM deals WHERE workspace_id = $1 AND stage_id = $2")
            .bind(ws.0).bind(stage.0).fetch_one(&mut *c).await?;
        min.map(|m| m - 1.0).unwrap_or(0.0)
    }))
}

/// Creates a deal at the top of its stage; writes `deal.created` (and, on
/// PostgreSQL, queues the live board NOTIFY). The contact, pipeline and
/// stage must belong to the workspace (else NotFound).
pub async fn insert_deal(
    tx: &mut Tx,
    ws: WorkspaceId,
    d: &NewDeal,
    actor: &Actor,
    now: Ts,
) -> DbResult<Deal> {
    let stage = match (d.stage_id, d.pipeline_id) {
        (Some(s), p) => {
            let stage = get_stage_tx(tx, ws, s).await?;
            if p.is_some_and(|p| p != stage.pipeline_id) {
                return Err(DbError::NotFound("stage in that pipeline"));
            }
            stage
        }
        (None, Some(p)) => first_stage_tx(tx, ws, p).await?,
        (None, None) => {
            let p = crate::pipelines::default_pipeline_tx(tx, ws).await?;
            first_stage_tx(tx, ws, p).await?
        }
    };
    let id = DealId::new();
    // One statement: the tenancy check (the contact must be this
    // workspace's — selected from, so no row means no insert), the top
    // position of the stage, the insert, and the row back.
    let deal = with_tx!(tx, c => {
        sqlx::query_as::<_, Deal>(concat!(
            "INSERT INTO deals (id, workspace_id, pipeline_id, stage_id, contact_id, title, value_minor, currency,
                                owner_id, position, stage_entered_at, created_at, updated_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9,
                    COALESCE((SELECT MIN(p.position) FROM deals p WHERE p.workspace_id = $2 AND p.stage_id = $4) - 1.0, 0.0),
                    $10, $10, $10
             FROM contacts WHERE workspace_id = $2 AND id = $5
             RETURNING ", deal_columns!()))
        .bind(id.0).bind(ws.0).bind(stage.pipeline_id.0).bind(stage.id.0).bind(d.contact_id.0).bind(&d.title)
        .bind(d.value_minor).bind(&d.currency).bind(d.owner_id.map(|u| u.0)).bind(now)
        .fetch_optional(&mut *c).await?
    })
    .ok_or(DbError::NotFound("contact"))?;
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::DealCreated.as_str(),
        entity_type: "deal",
        entity_id: Some(id.to_string()),
        actor,
        data: serde_json::json!({
            "contact_id": d.contact_id, "pipeline_id": stage.pipeline_id, "stage_id": stage.id,
            "stage": stage.name, "title": d.title, "value_minor": d.value_minor, "currency": d.currency,
        }),
    };
    insert_event(tx, &event, now).await?;
    crate::live::notify_tx(tx, &live_created(ws, &deal)).await?;
    Ok(deal)
}

/// Where a moved card lands among its new neighbours (ids of the cards
/// just above and below it in the target column, as the board sends them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Placement {
    pub after: Option<DealId>,
    pub before: Option<DealId>,
}

/// What a move did, for the live board and the API.
#[derive(Debug, Clone, Serialize)]
pub struct Moved {
    pub deal: Deal,
    pub from_stage: StageId,
    pub stage_changed: bool,
}

/// Moves a deal to `to` (any stage of the same pipeline) at `place`;
/// writes `deal.stage_changed` with from/to when the stage changes. The
/// live board event goes out when the transaction commits.
///
/// `place.after` is the card just above the drop, `place.before` the one
/// just below; either alone means "right next to it" (the board may not
/// have loaded the other neighbour). Neighbours that are not in the target
/// stage are ignored.
pub async fn move_deal(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: DealId,
    to: StageId,
    place: Placement,
    actor: &Actor,
    now: Ts,
) -> DbResult<Moved> {
    move_deal_inner(tx, ws, id, to, place, None, actor, now).await
}

/// Marks a deal lost: [`move_deal`] to `to` (a stage of kind `lost` of the
/// deal's pipeline, else NotFound) with the reason stored in
/// `deals.lost_reason` and added to the `deal.stage_changed` data, so the
/// move is the same one a drag makes and automations see the reason.
/// `reason` must already be checked (non-empty, at most
/// [`MAX_LOST_REASON`] characters).
pub async fn mark_deal_lost(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: DealId,
    to: StageId,
    reason: &str,
    actor: &Actor,
    now: Ts,
) -> DbResult<Moved> {
    let target = get_stage_tx(tx, ws, to).await?;
    if target.kind != "lost" {
        return Err(DbError::NotFound("lost stage"));
    }
    move_deal_inner(
        tx,
        ws,
        id,
        to,
        Placement::default(),
        Some(reason),
        actor,
        now,
    )
    .await
}

#[expect(
    clippy::too_many_arguments,
    reason = "move_deal's arguments plus the lost reason"
)]
async fn move_deal_inner(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: DealId,
    to: StageId,
    place: Placement,
    reason: Option<&str>,
    actor: &Actor,
    now: Ts,
) -> DbResult<Moved> {
    let deal = fetch(tx, ws, id).await?;
    let target = get_stage_tx(tx, ws, to).await?;
    if target.pipeline_id != deal.pipeline_id {
        return Err(DbError::NotFound("stage in the deal's pipeline"));
    }
    let from = get_stage_tx(tx, ws, deal.stage_id).await?;
    let mut placed = placed_position(tx, ws, &deal, to, place).await?;
    if placed == Placed::NoRoom {
        // Repeated halving ran out of precision between two neighbours:
        // respace the column once, then place again.
        respace_stage(tx, ws, to).await?;
        placed = placed_position(tx, ws, &deal, to, place).await?;
    }
    let position = match placed {
        Placed::At(p) => p,
        Placed::Top | Placed::NoRoom => top_position(tx, ws, to).await?,
    };
    let stage_changed = deal.stage_id != to;
    // A reason belongs to a loss: a new one replaces it, a move between or
    // within lost stages (a drag, a reorder) keeps it, and leaving the lost
    // stages clears it so a reopened deal reports no stale reason.
    let lost_reason = match (target.kind.as_str(), reason) {
        ("lost", Some(r)) => Some(r.to_string()),
        ("lost", None) if from.kind == "lost" => deal.lost_reason.clone(),
        _ => None,
    };
    with_tx!(tx, c => {
        sqlx::query(
            "UPDATE deals SET stage_id = $3, position = $4, updated_at = $5,
                    stage_entered_at = CASE WHEN stage_id = $3 THEN stage_entered_at ELSE $5 END,
                    lost_reason = $6
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws.0).bind(id.0).bind(to.0).bind(position).bind(now).bind(lost_reason.as_deref())
        .execute(&mut *c).await?;
    });
    if stage_changed {
        let mut data = serde_json::json!({
            "contact_id": deal.contact_id, "pipeline_id": deal.pipeline_id,
            "from_stage_id": from.id, "from_stage": from.name, "from_kind": from.kind,
            "to_stage_id": target.id, "to_stage": target.name, "to_kind": target.kind,
        });
        if let (Some(r), Some(obj)) = (reason, data.as_object_mut()) {
            obj.insert("lost_reason".into(), r.into());
        }
        let event = NewEvent {
            workspace: ws,
            kind: EventKind::DealStageChanged.as_str(),
            entity_type: "deal",
            entity_id: Some(id.to_string()),
            actor,
            data,
        };
        insert_event(tx, &event, now).await?;
    }
    let moved = Moved {
        deal: fetch(tx, ws, id).await?,
        from_stage: deal.stage_id,
        stage_changed,
    };
    crate::live::notify_tx(tx, &live_moved(ws, &moved)).await?;
    Ok(moved)
}

/// Gives a deal to `owner` (a member of the workspace, else NotFound) or
/// to nobody; writes `deal.updated` with the old and new owner when it
/// changes, and tells live boards (the card is re-read, as after a move).
pub async fn set_deal_owner(
    tx: &mut Tx,
    ws: WorkspaceId,
    id: DealId,
    owner: Option<UserId>,
    actor: &Actor,
    now: Ts,
) -> DbResult<Deal> {
    let deal = fetch(tx, ws, id).await?;
    if let Some(u) = owner {
        let member: i64 = with_tx!(tx, c => {
            sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND user_id = $2")
                .bind(ws.0).bind(u.0).fetch_one(&mut *c).await?
        });
        if member == 0 {
            return Err(DbError::NotFound("member"));
        }
    }
    let new = owner.map(|u| u.0);
    if deal.owner_id == new {
        return Ok(deal);
    }
    with_tx!(tx, c => {
        sqlx::query("UPDATE deals SET owner_id = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0).bind(id.0).bind(new).bind(now).execute(&mut *c).await?;
    });
    let event = NewEvent {
        workspace: ws,
        kind: EventKind::DealUpdated.as_str(),
        entity_type: "deal",
        entity_id: Some(id.to_string()),
        actor,
        data: serde_json::json!({
            "contact_id": deal.contact_id, "pipeline_id": deal.pipeline_id,
            "old": { "owner_id": deal.owner_id }, "new": { "owner_id": new },
        }),
    };
    insert_event(tx, &event, now).await?;
    let deal = fetch(tx, ws, id).await?;
    let moved = Moved {
        from_stage: deal.stage_id,
        stage_changed: false,
        deal: deal.clone(),
    };
    crate::live::notify_tx(tx, &live_moved(ws, &moved)).await?;
    Ok(deal)
}

/// A card of `stage` (other than `skip`) by id, with its sort key; `None`
/// when it is not in that stage of this workspace.
async fn neighbour(
    tx: &mut Tx,
    ws: WorkspaceId,
    stage: StageId,
    id: Option<DealId>,
    skip: DealId,
) -> DbResult<Option<(f64, Uuid)>> {
    let Some(id) = id.filter(|n| *n != skip) else {
        return Ok(None);
    };
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, (f64, Uuid)>(
            "SELECT position, id FROM deals WHERE workspace_id = $1 AND stage_id = $2 AND id = $3",
        )
        .bind(ws.0).bind(stage.0).bind(id.0).fetch_optional(&mut *c).await?
    }))
}

/// The card right after (`forward`) or right before `key` in `stage`,
/// leaving out `skip` (the card being moved).
async fn adjacent(
    tx: &mut Tx,
    ws: WorkspaceId,
    stage: StageId,
    key: (f64, Uuid),
    skip: DealId,
    forward: bool,
) -> DbResult<Option<f64>> {
    Ok(with_tx!(tx, c => {
        if forward {
            sqlx::query_scalar::<_, f64>(
                "SELECT position FROM deals WHERE workspace_id = $1 AND stage_id = $2 AND id <> $5
                   AND (position > $3 OR (position = $3 AND id > $4))
                 ORDER BY position, id LIMIT 1",
            )
            .bind(ws.0).bind(stage.0).bind(key.0).bind(key.1).bind(skip.0)
            .fetch_optional(&mut *c).await?
        } else {
            sqlx::query_scalar::<_, f64>(
                "SELECT position FROM deals WHERE workspace_id = $1 AND stage_id = $2 AND id <> $5
                   AND (position < $3 OR (position = $3 AND id < $4))
                 ORDER BY position DESC, id DESC LIMIT 1",
            )
            .bind(ws.0).bind(stage.0).bind(key.0).bind(key.1).bind(skip.0)
            .fetch_optional(&mut *c).await?
        }
    }))
}

/// Where [`placed_position`] puts a card.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Placed {
    /// Strictly between its neighbours.
    At(f64),
    /// Floating point has no room left between the neighbours: respace.
    NoRoom,
    /// Nothing places it (another stage, no neighbours): on top.
    Top,
}

/// The position for `deal` in `to` at `place`.
async fn placed_position(
    tx: &mut Tx,
    ws: WorkspaceId,
    deal: &Deal,
    to: StageId,
    place: Placement,
) -> DbResult<Placed> {
    let after = neighbour(tx, ws, to, place.after, deal.id).await?;
    let before = neighbour(tx, ws, to, place.before, deal.id).await?;
    let (above, below) = match (after, before) {
        // In order: between them. Out of order (a stale board): next to `after`.
        (Some(a), Some(b)) if a < b => (Some(a.0), Some(b.0)),
        (Some(a), _) => (Some(a.0), adjacent(tx, ws, to, a, deal.id, true).await?),
        (None, Some(b)) => (adjacent(tx, ws, to, b, deal.id, false).await?, Some(b.0)),
        (None, None) if deal.stage_id == to => return Ok(Placed::At(deal.position)),
        (None, None) => return Ok(Placed::Top),
    };
    let p = match (above, below) {
        (Some(a), Some(b)) => (a + b) / 2.0,
        (Some(a), None) => a + 1.0,
        (None, Some(b)) => b - 1.0,
        (None, None) => return Ok(Placed::Top),
    };
    let fits = above.is_none_or(|a| a < p) && below.is_none_or(|b| p < b);
    Ok(if fits { Placed::At(p) } else { Placed::NoRoom })
}

/// Rewrites the positions of a stage's cards to 0, 1, 2, ... in their
/// current order. Rare (only when halving runs out of precision), so one
/// UPDATE per card is fine.
async fn respace_stage(tx: &mut Tx, ws: WorkspaceId, stage: StageId) -> DbResult<()> {
    with_tx!(tx, c => {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT id FROM deals WHERE workspace_id = $1 AND stage_id = $2 ORDER BY position, id",
        )
        .bind(ws.0).bind(stage.0).fetch_all(&mut *c).await?;
        for (i, id) in ids.iter().enumerate() {
            sqlx::query("UPDATE deals SET position = $3 WHERE workspace_id = $1 AND id = $2")
                .bind(ws.0).bind(*id).bind(i as f64).execute(&mut *c).await?;
        }
    });
    Ok(())
}

/// Filters of `GET /api/v1/deals`.
#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
}

pub async fn list_deals(
    db: &crate::Db,
    ws: WorkspaceId,
    f: &DealFilter,
    limit: i64,
) -> DbResult<Vec<Deal>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Deal>(concat!("SELECT ", deal_columns!(), " FROM deals
             WHERE workspace_id = $1 AND ($2 IS NULL OR pipeline_id = $2) AND ($3 IS NULL OR stage_id = $3)
               AND ($4 IS NULL OR contact_id = $4)
             ORDER BY created_at DESC, id DESC LIMIT $5"))
        .bind(ws.0).bind(f.pipeline_id).bind(f.stage_id).bind(f.contact_id).bind(limit)
        .fetch_all(p).await?
    }))
}

/// A card on the board: the deal with what the card shows of its contact.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Card {
    #[sqlx(try_from = "Uuid")]
    pub id: DealId,
    #[sqlx(try_from = "Uuid")]
    pub stage_id: StageId,
    #[sqlx(try_from = "Uuid")]
    pub contact_id: ContactId,
    pub title: String,
    pub value_minor: i64,
    pub currency: String,
    pub position: f64,
    pub stage_entered_at: Ts,
    pub first_name: String,
    pub last_name: String,
    pub score: i32,
}

/// One page of a board column, in order, after position `after` (exclusive).
///
/// The page of deals is cut in a subquery before the join, so only its
/// `limit` rows meet `contacts` whatever plan the statistics (or their
/// absence after a bulk load) suggest.
pub async fn list_cards(
    db: &crate::Db,
    ws: WorkspaceId,
    stage: StageId,
    after: Option<(f64, Uuid)>,
    limit: i64,
) -> DbResult<Vec<Card>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Card>(
            "SELECT d.id, d.stage_id, d.contact_id, d.title, d.value_minor, d.currency, d.position,
                    d.stage_entered_at, c.first_name, c.last_name, c.score
             FROM (SELECT id, stage_id, contact_id, title, value_minor, currency, position, stage_entered_at
                   FROM deals
                   WHERE workspace_id = $1 AND stage_id = $2
                     AND ($3 IS NULL OR position > $3 OR (position = $3 AND id > $4))
                   ORDER BY position, id LIMIT $5) d
             JOIN contacts c ON c.id = d.contact_id AND c.workspace_id = $1
             ORDER BY d.position, d.id",
        )
        .bind(ws.0).bind(stage.0).bind(after.map(|a| a.0)).bind(after.map(|a| a.1)).bind(limit)
        .fetch_all(p).await?
    }))
}

/// The board's totals query (`$1` workspace, `$2` pipeline). Every column
/// it reads is in `deals_totals_idx` (migration 0007), so both backends
/// answer it from that index alone; `crates/db/tests/crm.rs` checks the
/// plan, so a column added here must be added to the index too.
pub const STAGE_TOTALS_SQL: &str = "SELECT stage_id, currency, COUNT(*),
        CAST(COALESCE(SUM(value_minor / 1000000000), 0) AS BIGINT),
        CAST(COALESCE(SUM(value_minor % 1000000000), 0) AS BIGINT)
 FROM deals
 WHERE workspace_id = $1 AND pipeline_id = $2 GROUP BY stage_id, currency";

/// Count and total value (per currency) of each stage of a pipeline. The
/// total is summed in two parts that cannot overflow and joined in `i128`
/// (see [`af_core::money::total_from_parts`]), so no set of stored values
/// can make the board fail.
pub async fn stage_totals(
    db: &crate::Db,
    ws: WorkspaceId,
    pipeline: PipelineId,
) -> DbResult<Vec<(StageId, String, i64, i128)>> {
    let rows: Vec<(Uuid, String, i64, i64, i64)> = with_pool!(db, p => {
        sqlx::query_as(STAGE_TOTALS_SQL)
        .bind(ws.0).bind(pipeline.0).fetch_all(p).await?
    });
    Ok(rows
        .into_iter()
        .map(|(s, cur, n, hi, lo)| (StageId(s), cur, n, af_core::money::total_from_parts(hi, lo)))
        .collect())
}

/// One card by deal id (for re-rendering a card a live event names).
pub async fn find_card(db: &crate::Db, ws: WorkspaceId, id: DealId) -> DbResult<Option<Card>> {
    Ok(with_pool!(db, p => {
        sqlx::query_as::<_, Card>(
            "SELECT d.id, d.stage_id, d.contact_id, d.title, d.value_minor, d.currency, d.position,
                    d.stage_entered_at, c.first_name, c.last_name, c.score
             FROM deals d JOIN contacts c ON c.id = d.contact_id
             WHERE d.workspace_id = $1 AND d.id = $2",
        )
        .bind(ws.0).bind(id.0).fetch_optional(p).await?
    }))
}

/// Number of deals per pipeline of the workspace (the pipeline list).
pub async fn count_deals_by_pipeline(
    db: &crate::Db,
    ws: WorkspaceId,
) -> DbResult<Vec<(PipelineId, i64)>> {
    let rows: Vec<(Uuid, i64)> = with_pool!(db, p => {
        sqlx::query_as("SELECT pipeline_id, COUNT(*) FROM deals WHERE workspace_id = $1 GROUP BY pipeline_id")
            .bind(ws.0).fetch_all(p).await?
    });
    Ok(rows.into_iter().map(|(p, n)| (PipelineId(p), n)).collect())
}

/// The tag names of the cards' contacts, for the board.
///
/// Written for the board's plan: `CROSS JOIN` makes SQLite start from the
/// contact ids (the `contact_tags` primary key) instead of scanning every
/// tag link of the workspace, which it otherwise prefers for
/// `workspace_id = $1`; PostgreSQL reads it as a plain join. The workspace
/// scope is on the tag.
pub async fn card_tags(
    db: &crate::Db,
    ws: WorkspaceId,
    contacts: &[ContactId],
) -> DbResult<Vec<(ContactId, String)>> {
    let mut ids: Vec<Uuid> = contacts.iter().map(|c| c.0).collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = String::from(
            "SELECT ct.contact_id, t.name FROM contact_tags ct CROSS JOIN tags t
             WHERE t.id = ct.tag_id AND t.workspace_id = $1 AND ct.contact_id IN (",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                q.push_str(", ");
            }
            q.push_str(&format!("${}", i + 2));
        }
        q.push_str(") ORDER BY t.name_key");
        let rows: Vec<(Uuid, String)> = with_pool!(db, p => {
            // Only placeholders are formatted into the text; values are bound.
            let mut query = sqlx::query_as::<_, (Uuid, String)>(sqlx::AssertSqlSafe(q.clone())).bind(ws.0);
            for id in chunk {
                query = query.bind(*id);
            }
            query.fetch_all(p).await?
        });
        out.extend(rows.into_iter().map(|(c, n)| (ContactId(c), n)));
    }
    Ok(out)
}

/// The contact's most recently updated deal in an open stage, optionally
/// only in `pipeline` (intake reuses it instead of adding a twin deal).
pub async fn find_open_deal_tx(
    tx: &mut Tx,
    ws: WorkspaceId,
    contact: ContactId,
    pipeline: Option<PipelineId>,
) -> DbResult<Option<Deal>> {
    Ok(with_tx!(tx, c => {
        sqlx::query_as::<_, Deal>(
            "SELECT d.id, d.pipeline_id, d.stage_id, d.contact_id, d.title, d.value_minor, d.currency, d.owner_id,
                    d.position, d.stage_entered_at, d.created_at, d.updated_at, d.lost_reason
             FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = $1 AND d.contact_id = $2 AND s.kind = 'open'
               AND ($3 IS NULL OR d.pipeline_id = $3)
             ORDER BY d.updated_at DESC, d.id DESC LIMIT 1",
        )
        .bind(ws.0).bind(contact.0).bind(pipeline.map(|p| p.0))
        .fetch_optional(&mut *c).await?
    }))
}

/// The live board event of a committed (or about to be committed) move.
/// Built here so the pub/sub module knows nothing of deals.
fn live_moved(ws: WorkspaceId, m: &Moved) -> crate::live::LiveEvent {
    crate::live::LiveEvent {
        workspace_id: ws,
        pipeline_id: m.deal.pipeline_id,
        deal_id: m.deal.id,
        kind: crate::live::LiveKind::Moved,
        from_stage: Some(m.from_stage),
        to_stage: m.deal.stage_id,
        position: m.deal.position,
    }
}

/// The live board event of a new deal.
fn live_created(ws: WorkspaceId, d: &Deal) -> crate::live::LiveEvent {
    crate::live::LiveEvent {
        workspace_id: ws,
        pipeline_id: d.pipeline_id,
        deal_id: d.id,
        kind: crate::live::LiveKind::Created,
        from_stage: None,
        to_stage: d.stage_id,
        position: d.position,
    }
}
