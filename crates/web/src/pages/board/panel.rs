//! The deal drawer: a card's details in a side panel (a full-screen sheet on
//! a phone), loaded by htmx from `GET /deals/{id}/panel`, and the changes
//! made there: stage, owner, won, lost (with its reason).
//!
//! A stage change here is the same `af_db::deals::move_deal` a drop makes
//! (mark lost is `mark_deal_lost`, that move plus the reason), so live
//! boards, events and automations cannot tell a drawer move from a drag.
//! Each htmx answer is the panel again plus an `HX-Trigger` naming the deal
//! and its stage, which the board script uses to re-render the card at
//! once (the live stream brings the same news to every other board).
//! Permissions are the board's: any member may move deals.

use super::deals::StageOption;
use super::{bt, load_pipeline, not_found_or};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath, render};
use crate::i18n::board::BoardTr;
use crate::pages::{ReachLinks, fmt_when};
use crate::state::AppState;
use af_core::contact::tag_name;
use af_core::money;
use af_core::{DealId, StageId, UserId};
use af_db::deals::{self, Deal, MAX_LOST_REASON};
use af_db::pipelines::PipelineWithStages;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;

/// How many timeline items the drawer shows (the contact page has the rest).
const TIMELINE_ITEMS: usize = 5;

pub struct OwnerOption {
    pub id: String,
    pub name: String,
}

/// The contact's next open task (the first of `list_contact_tasks`).
pub struct NextTask {
    pub title: String,
    /// When it is due, in the workspace's zone; empty when undated.
    pub due: String,
    pub overdue: bool,
    pub assignee: Option<String>,
}

pub struct ActivityItem {
    pub when: String,
    pub text: String,
    pub actor: String,
}

/// The deal as the drawer shows it.
pub struct PanelView {
    pub id: String,
    pub title: String,
    pub value: String,
    pub stage_id: String,
    pub stage_kind: String,
    pub lost_reason: Option<String>,
    pub stages: Vec<StageOption>,
    pub owner_id: String,
    pub owners: Vec<OwnerOption>,
    pub tags: Vec<String>,
    pub contact_id: String,
    pub contact_name: String,
    pub reach: ReachLinks,
    /// The phone as people write it in the workspace's country.
    pub phone_display: Option<String>,
    pub activity: Vec<ActivityItem>,
    pub next_task: Option<NextTask>,
    pub has_won: bool,
    pub has_lost: bool,
}

/// What the last change said (one of them, or nothing on a plain open).
#[derive(Default)]
struct Notice {
    ok: Option<String>,
    error: Option<String>,
    /// The lost reason as typed, re-shown with its error.
    reason: String,
}

#[derive(Template)]
#[template(path = "board/panel.html")]
struct PanelTemplate {
    bt: &'static BoardTr,
    csrf: String,
    deal: PanelView,
    ok: Option<String>,
    error: Option<String>,
    reason: String,
}

/// The deal of this workspace, or 404.
async fn load_deal(st: &AppState, cu: &CurrentUser, id: DealId) -> AppResult<Deal> {
    deals::find_deal(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn panel(
    st: &AppState,
    cu: &CurrentUser,
    deal: &Deal,
    p: &PipelineWithStages,
    notice: Notice,
) -> AppResult<PanelTemplate> {
    let ws = cu.workspace.id;
    let contact = af_db::contacts::find_contact(&st.db, ws, deal.contact_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tags = deals::card_tags(&st.db, ws, &[contact.id])
        .await?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let owners = af_db::workspaces::list_members(&st.db, ws)
        .await?
        .into_iter()
        .map(|m| OwnerOption {
            id: m.user_id.to_string(),
            name: if m.name.trim().is_empty() {
                m.email
            } else {
                m.name
            },
        })
        .collect();
    let activity = crate::pages::contacts::recent_timeline(st, cu, &contact, TIMELINE_ITEMS)
        .await?
        .into_iter()
        .map(|i| ActivityItem {
            when: i.when,
            text: i.text,
            actor: i.actor,
        })
        .collect();
    let now = st.now();
    let next_task = af_db::tasks::list_contact_tasks(&st.db, ws, contact.id)
        .await?
        .into_iter()
        .find(|t| t.done_at.is_none())
        .map(|t| NextTask {
            overdue: t.is_overdue(now),
            due: t
                .due_at
                .map(|d| fmt_when(d, &cu.workspace.time_zone, cu.locale()))
                .unwrap_or_default(),
            assignee: t.assignee_name.clone(),
            title: t.title,
        });
    let stage = p.stages.iter().find(|s| s.id == deal.stage_id);
    let reach = ReachLinks::of(contact.phone.as_deref(), contact.email.as_deref());
    let view = PanelView {
        id: deal.id.to_string(),
        title: deal.title.clone(),
        value: money::format(deal.value_minor, &deal.currency),
        stage_id: deal.stage_id.to_string(),
        stage_kind: stage.map(|s| s.kind.clone()).unwrap_or_default(),
        lost_reason: deal.lost_reason.clone(),
        stages: p
            .stages
            .iter()
            .map(|s| StageOption {
                id: s.id.to_string(),
                name: s.name.clone(),
            })
            .collect(),
        owner_id: deal.owner_id.map(|u| u.to_string()).unwrap_or_default(),
        owners,
        tags,
        contact_id: contact.id.to_string(),
        contact_name: contact.full_name(),
        phone_display: reach
            .phone
            .as_deref()
            .map(|p| af_core::phone::display(p, &cu.workspace.country)),
        reach,
        activity,
        next_task,
        has_won: p.stages.iter().any(|s| s.kind == "won"),
        has_lost: p.stages.iter().any(|s| s.kind == "lost"),
    };
    Ok(PanelTemplate {
        bt: bt(cu),
        csrf: crate::auth::csrf_token(&cu.session).await?,
        deal: view,
        ok: notice.ok,
        error: notice.error,
        reason: notice.reason,
    })
}

/// `GET /deals/{id}/panel`: the drawer's content for one deal.
pub(super) async fn show_panel(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<DealId>,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    Ok(render(&panel(&st, &cu, &deal, &p, Notice::default()).await?)?.into_response())
}

/// A refused change: nothing was stored; htmx gets the panel with the
/// message (422), a plain form post the error page.
async fn refused(
    st: &AppState,
    cu: &CurrentUser,
    htmx: bool,
    deal: &Deal,
    p: &PipelineWithStages,
    message: String,
    reason: String,
) -> AppResult<Response> {
    if !htmx {
        return Err(AppError::BadRequest(message));
    }
    let notice = Notice {
        ok: None,
        error: Some(message),
        reason,
    };
    let html = render(&panel(st, cu, deal, p, notice).await?)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// A stored change: htmx gets the fresh panel and the `af-deal-changed`
/// event for the board script; a plain form post goes back to the board
/// with a flash.
async fn changed(
    st: &AppState,
    cu: &CurrentUser,
    htmx: bool,
    deal: &Deal,
    message: String,
) -> AppResult<Response> {
    if !htmx {
        set_flash(&cu.session, true, &message).await?;
        return Ok(Redirect::to(&format!("/pipelines/{}", deal.pipeline_id)).into_response());
    }
    let p = load_pipeline(st, cu.workspace.id, deal.pipeline_id).await?;
    let notice = Notice {
        ok: Some(message),
        ..Default::default()
    };
    let html = render(&panel(st, cu, deal, &p, notice).await?)?;
    let trigger = serde_json::json!({
        "af-deal-changed": {
            "deal_id": deal.id,
            "stage_id": deal.stage_id,
            "position": deal.position,
        }
    });
    Ok(([("HX-Trigger", trigger.to_string())], html).into_response())
}

/// The stage of `p` a form names, if it is one.
fn stage_in(p: &PipelineWithStages, raw: &str) -> Option<StageId> {
    let u = Uuid::parse_str(raw.trim()).ok()?;
    p.stages.iter().find(|s| s.id.0 == u).map(|s| s.id)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StageForm {
    stage_id: String,
}

/// `POST /deals/{id}/stage` (`stage_id`): the drawer's stage picker. The
/// deal goes on top of the target column, as a move through the API does.
pub(super) async fn change_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    let bt = bt(&cu);
    let Some(to) = stage_in(&p, &f.stage_id) else {
        let msg = bt.err_stage.to_string();
        return refused(&st, &cu, htmx, &deal, &p, msg, String::new()).await;
    };
    let moved = move_to(&st, &cu, &deal, to).await?;
    let name = p
        .stages
        .iter()
        .find(|s| s.id == to)
        .map(|s| s.name.as_str())
        .unwrap_or_default();
    let msg = bt.deal_moved.replace("{stage}", name);
    changed(&st, &cu, htmx, &moved, msg).await
}

/// Moves the deal on top of `to` through the one move path (the drop's).
async fn move_to(st: &AppState, cu: &CurrentUser, deal: &Deal, to: StageId) -> AppResult<Deal> {
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    let moved = deals::move_deal(
        &mut tx,
        ws,
        deal.id,
        to,
        deals::Placement::default(),
        &cu.actor(),
        st.now(),
    )
    .await
    .map_err(not_found_or)?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, deal.id = %deal.id, stage_changed = moved.stage_changed, "deal moved from the drawer");
    Ok(moved.deal)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct OwnerForm {
    owner_id: String,
}

/// `POST /deals/{id}/owner` (`owner_id`, empty for nobody): a member of
/// the workspace.
pub(super) async fn change_owner(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<OwnerForm>,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    let bt = bt(&cu);
    let raw = f.owner_id.trim();
    let owner = if raw.is_empty() {
        None
    } else {
        match Uuid::parse_str(raw) {
            Ok(u) => Some(UserId(u)),
            Err(_) => {
                let msg = bt.err_owner.to_string();
                return refused(&st, &cu, htmx, &deal, &p, msg, String::new()).await;
            }
        }
    };
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    let updated = match deals::set_deal_owner(&mut tx, ws, id, owner, &cu.actor(), st.now()).await {
        Ok(d) => d,
        Err(af_db::DbError::NotFound("member")) => {
            tx.rollback().await?;
            let msg = bt.err_owner.to_string();
            return refused(&st, &cu, htmx, &deal, &p, msg, String::new()).await;
        }
        Err(e) => return Err(not_found_or(e)),
    };
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, deal.id = %id, "deal owner changed from the drawer");
    changed(&st, &cu, htmx, &updated, bt.owner_saved.to_string()).await
}

/// The pipeline's first stage of `kind` (won or lost).
fn stage_of_kind(p: &PipelineWithStages, kind: &str) -> Option<StageId> {
    p.stages.iter().find(|s| s.kind == kind).map(|s| s.id)
}

/// `POST /deals/{id}/won`: to the pipeline's (first) won stage.
pub(super) async fn mark_won(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    let bt = bt(&cu);
    let Some(to) = stage_of_kind(&p, "won") else {
        let msg = bt.err_no_won_stage.to_string();
        return refused(&st, &cu, htmx, &deal, &p, msg, String::new()).await;
    };
    let moved = move_to(&st, &cu, &deal, to).await?;
    changed(&st, &cu, htmx, &moved, bt.marked_won.to_string()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct LostForm {
    reason: String,
}

/// A lost reason as typed: trimmed, 1 to [`MAX_LOST_REASON`] characters,
/// one line.
fn lost_reason(raw: &str) -> Option<String> {
    let r = raw.trim();
    let ok =
        !r.is_empty() && r.chars().count() <= MAX_LOST_REASON && !r.chars().any(char::is_control);
    ok.then(|| r.to_string())
}

/// `POST /deals/{id}/lost` (`reason`, required): to the pipeline's (first)
/// lost stage, the reason stored on the deal.
pub(super) async fn mark_lost(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<LostForm>,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    let bt = bt(&cu);
    let Some(reason) = lost_reason(&f.reason) else {
        let msg = bt.err_lost_reason.to_string();
        return refused(&st, &cu, htmx, &deal, &p, msg, f.reason).await;
    };
    let Some(to) = stage_of_kind(&p, "lost") else {
        let msg = bt.err_no_lost_stage.to_string();
        return refused(&st, &cu, htmx, &deal, &p, msg, f.reason).await;
    };
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    let moved = deals::mark_deal_lost(&mut tx, ws, id, to, &reason, &cu.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, deal.id = %id, "deal marked lost from the drawer");
    changed(&st, &cu, htmx, &moved.deal, bt.marked_lost.to_string()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TagForm {
    name: String,
}

/// `POST /deals/{id}/tags` (`name`): tags the deal's contact, as the
/// contact page does (the tag is the contact's; every card of hers shows it).
pub(super) async fn add_tag(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<TagForm>,
) -> AppResult<Response> {
    change_tag(st, cu, htmx, id, f.name, true).await
}

/// `POST /deals/{id}/tags/remove` (`name`): untags the deal's contact.
pub(super) async fn remove_tag(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<TagForm>,
) -> AppResult<Response> {
    change_tag(st, cu, htmx, id, f.name, false).await
}

async fn change_tag(
    st: AppState,
    cu: CurrentUser,
    htmx: bool,
    id: DealId,
    name: String,
    add: bool,
) -> AppResult<Response> {
    let deal = load_deal(&st, &cu, id).await?;
    let p = load_pipeline(&st, cu.workspace.id, deal.pipeline_id).await?;
    let bt = bt(&cu);
    let Ok(tag) = tag_name(&name) else {
        let msg = bt.err_tag.to_string();
        return refused(&st, &cu, htmx, &deal, &p, msg, String::new()).await;
    };
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    if add {
        af_db::contacts::add_tag(&mut tx, ws, deal.contact_id, &tag, &cu.actor(), st.now()).await?;
    } else {
        af_db::contacts::remove_tag(&mut tx, ws, deal.contact_id, &tag, &cu.actor(), st.now())
            .await?;
    }
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, deal.id = %id, add, "contact tag changed from the drawer");
    let msg = if add { bt.tag_added } else { bt.tag_removed };
    changed(&st, &cu, htmx, &deal, msg.replace("{tag}", &tag)).await
}
