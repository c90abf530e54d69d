//! The board area: the workspace's pipelines, the kanban board of one
//! pipeline (a column per stage, cards paged in on scroll so a pipeline with
//! 10,000 deals opens fast), drag & drop moves, live updates by server-sent
//! events, new deals from the board, and pipeline/stage settings (admin+).
//!
//! Routes are mounted in `crate::router` through [`routes`], inside the
//! session + CSRF layers. Every query is scoped by the signed-in user's
//! workspace; another workspace's id answers 404. The live fan-out itself is
//! `af_db::live` (PostgreSQL NOTIFY across processes, in-process on SQLite),
//! so nothing here keeps state another node would need.

use super::shell::{Area, Shell};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::i18n::board::BoardTr;
use crate::state::AppState;
use af_core::contact_input::{Problem, RawContact};
use af_core::money;
use af_core::{ContactId, DealId, PipelineId, Role, StageId, WorkspaceId};
use af_db::deals::{self, Card, Placement};
use af_db::live::{self, Recv};
use af_db::pipelines::{self, PipelineWithStages, StageDeletion};
use af_db::{DbError, Ts};
use af_service::deals::{DealContact, DealError, DealProblem, NewDealRequest};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::OnceLock;
use uuid::Uuid;

/// Cards per column page: enough to fill a tall screen, small enough that
/// a 10,000-deal pipeline renders in milliseconds.
pub const PAGE: i64 = 50;

/// This area's browser routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pipelines", get(list_pipelines).post(create_pipeline))
        .route("/pipelines/{id}", get(show_board))
        .route("/pipelines/{id}/summary", get(board_summary))
        .route("/pipelines/{id}/events", get(board_events))
        .route(
            "/pipelines/{id}/stages/{stage_id}/cards",
            get(list_stage_cards),
        )
        .route("/pipelines/{id}/contact-search", get(search_contacts))
        .route("/pipelines/{id}/deals", post(create_deal))
        .route("/pipelines/{id}/settings", get(pipeline_settings))
        .route("/pipelines/{id}/rename", post(rename_pipeline))
        .route("/pipelines/{id}/booked", post(set_booked_stage))
        .route("/pipelines/{id}/stages", post(create_stage))
        .route("/pipelines/{id}/stages/{stage_id}", post(update_stage))
        .route(
            "/pipelines/{id}/stages/{stage_id}/reorder",
            post(reorder_stage),
        )
        .route(
            "/pipelines/{id}/stages/{stage_id}/delete",
            post(delete_stage),
        )
        .route("/deals/{id}/card", get(show_card))
        .route("/deals/{id}/move", post(move_deal))
}

// ---------------------------------------------------------------- helpers

/// An id from the path; a malformed one is as unknown as a missing one.
fn path_id<T: From<Uuid>>(raw: &str) -> AppResult<T> {
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

fn not_found_or(e: DbError) -> AppError {
    match e {
        DbError::NotFound(_) => AppError::NotFound,
        e => e.into(),
    }
}

async fn load_pipeline(st: &AppState, ws: WorkspaceId, raw: &str) -> AppResult<PipelineWithStages> {
    let id: PipelineId = path_id(raw)?;
    pipelines::find_pipeline(&st.db, ws, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some()
}

fn bt(cu: &CurrentUser) -> &'static BoardTr {
    BoardTr::get(cu.locale())
}

/// The hashed URL of an embedded script of ours that the shared asset table
/// does not name (it embeds every `assets/js/*.js` under
/// `{stem}.{first 5 bytes of sha256 in hex}.{ext}`).
fn board_js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let data = include_bytes!("../../../../assets/js/board.js");
        let hash = hex::encode(&Sha256::digest(data)[..5]);
        format!("/assets/js/board.{hash}.js")
    })
}

// ---------------------------------------------------------------- money

/// Countries that write `1.234,56` (the rest of ours write `1,234.56`).
fn comma_decimal(country: &str) -> bool {
    matches!(
        country,
        "ES" | "CO"
            | "AR"
            | "CL"
            | "UY"
            | "PY"
            | "BO"
            | "VE"
            | "BR"
            | "DE"
            | "FR"
            | "IT"
            | "PT"
            | "NL"
            | "BE"
            | "AT"
    )
}

/// A whole number with the country's thousands separator.
pub fn format_count(n: i64, country: &str) -> String {
    let sep = if comma_decimal(country) { '.' } else { ',' };
    let s = af_core::money::group_digits(u128::from(n.unsigned_abs()), sep);
    if n < 0 { format!("-{s}") } else { s }
}

/// "hace 3 días" / "3 days": how long a card has been in its stage.
pub fn time_in_stage(bt: &BoardTr, since: Ts, now: Ts) -> String {
    let secs = (now.0.as_second() - since.0.as_second()).max(0);
    let fill = |pattern: &str, n: i64| pattern.replace("{n}", &n.to_string());
    match secs {
        s if s < 60 => bt.just_now.to_string(),
        s if s < 3600 => fill(bt.ago_minutes, s / 60),
        s if s < 7200 => bt.ago_hour.to_string(),
        s if s < 86_400 => fill(bt.ago_hours, s / 3600),
        s if s < 2 * 86_400 => bt.ago_day.to_string(),
        s => fill(bt.ago_days, s / 86_400),
    }
}

// ---------------------------------------------------------------- views

/// A card as the templates show it.
pub struct CardView {
    pub id: String,
    pub stage_id: String,
    pub title: String,
    pub name: String,
    pub value: String,
    pub tags: Vec<String>,
    pub score: i32,
    pub age: String,
    /// Shortest text that parses back to the same f64 (the client sorts by it).
    pub position: String,
}

async fn card_views(st: &AppState, cu: &CurrentUser, cards: &[Card]) -> AppResult<Vec<CardView>> {
    let ws = &cu.workspace;
    let ids: Vec<ContactId> = cards.iter().map(|c| c.contact_id).collect();
    let mut tags: HashMap<ContactId, Vec<String>> = HashMap::new();
    for (c, t) in deals::card_tags(&st.db, ws.id, &ids).await? {
        tags.entry(c).or_default().push(t);
    }
    let now = st.now();
    let bt = bt(cu);
    Ok(cards
        .iter()
        .map(|c| CardView {
            id: c.id.to_string(),
            stage_id: c.stage_id.to_string(),
            title: c.title.clone(),
            name: format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_string(),
            value: money::format(c.value_minor, &c.currency),
            tags: tags.get(&c.contact_id).cloned().unwrap_or_default(),
            score: c.score,
            age: time_in_stage(bt, c.stage_entered_at, now),
            position: c.position.to_string(),
        })
        .collect())
}

/// Count and per-currency total of one column, formatted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnSummary {
    pub count: String,
    pub total: String,
}

async fn summaries(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
) -> AppResult<HashMap<StageId, ColumnSummary>> {
    let country = &cu.workspace.country;
    let mut by_stage: HashMap<StageId, (i64, BTreeMap<String, i128>)> = HashMap::new();
    for (stage, currency, n, v) in
        deals::stage_totals(&st.db, cu.workspace.id, p.pipeline.id).await?
    {
        let e = by_stage.entry(stage).or_default();
        e.0 += n;
        *e.1.entry(currency).or_default() += v;
    }
    let empty = bt(cu).empty_total;
    Ok(p.stages
        .iter()
        .map(|s| {
            let (n, totals) = by_stage.remove(&s.id).unwrap_or_default();
            let total = if totals.is_empty() {
                empty.to_string()
            } else {
                totals
                    .iter()
                    .map(|(cur, v)| money::format(*v, cur))
                    .collect::<Vec<_>>()
                    .join(" · ")
            };
            (
                s.id,
                ColumnSummary {
                    count: format_count(n, country),
                    total,
                },
            )
        })
        .collect())
}

fn more_url(pipeline: PipelineId, stage: StageId, last: &Card) -> String {
    format!(
        "/pipelines/{pipeline}/stages/{stage}/cards?after_pos={}&after_id={}",
        last.position, last.id
    )
}

/// One page of a column plus the URL of the next one (when there is more).
async fn column_cards(
    st: &AppState,
    cu: &CurrentUser,
    pipeline: PipelineId,
    stage: StageId,
    after: Option<(f64, Uuid)>,
) -> AppResult<(Vec<Card>, Option<String>)> {
    let mut cards = deals::list_cards(&st.db, cu.workspace.id, stage, after, PAGE + 1).await?;
    let more = cards.len() as i64 > PAGE;
    cards.truncate(PAGE as usize);
    let next = if more {
        cards.last().map(|l| more_url(pipeline, stage, l))
    } else {
        None
    };
    Ok((cards, next))
}

fn kind_label(bt: &BoardTr, kind: &str) -> &'static str {
    match kind {
        "won" => bt.kind_won,
        "lost" => bt.kind_lost,
        _ => bt.kind_open,
    }
}

pub struct Column {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub is_booked: bool,
    pub summary: ColumnSummary,
    pub cards: Vec<CardView>,
    pub more: Option<String>,
}

pub struct PipelineTab {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// The new-deal form's values and errors (re-shown on a 422).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct DealForm {
    pub contact_id: String,
    pub contact_label: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub title: String,
    pub value: String,
    pub currency: String,
    pub stage_id: String,
}

pub struct StageOption {
    pub id: String,
    pub name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/board.html")]
struct BoardTemplate {
    shell: Shell,
    bt: &'static BoardTr,
    tabs: Vec<PipelineTab>,
    pipeline_id: String,
    pipeline_name: String,
    columns: Vec<Column>,
    can_manage: bool,
    board_js: &'static str,
    form: NewDealForm,
}

/// The new-deal form as rendered (also alone, as an htmx fragment).
pub struct NewDealForm {
    pub pipeline_id: String,
    pub values: DealForm,
    pub stages: Vec<StageOption>,
    pub errors: Vec<String>,
    pub created: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/new_deal.html")]
struct NewDealTemplate {
    bt: &'static BoardTr,
    csrf: String,
    form: NewDealForm,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/cards.html")]
struct CardsTemplate {
    bt: &'static BoardTr,
    stage_id: String,
    cards: Vec<CardView>,
    more: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/card.html")]
struct CardTemplate {
    bt: &'static BoardTr,
    card: CardView,
}

fn new_deal_form(p: &PipelineWithStages, country: &str, values: Option<DealForm>) -> NewDealForm {
    let mut values = values.unwrap_or_default();
    if values.currency.is_empty() {
        values.currency = money::currency_for_country(country).to_string();
    }
    NewDealForm {
        pipeline_id: p.pipeline.id.to_string(),
        stages: p
            .stages
            .iter()
            .map(|s| StageOption {
                id: s.id.to_string(),
                name: s.name.clone(),
            })
            .collect(),
        values,
        errors: vec![],
        created: false,
    }
}

// ---------------------------------------------------------------- pipelines list

pub struct PipelineRow {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub stages: String,
    pub deals: String,
}

#[derive(Template, WebTemplate)]
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
    let country = &cu.workspace.country;
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
                .replace("{n}", &format_count(p.stages.len() as i64, country)),
            deals: bt.deals_count.replace(
                "{n}",
                &format_count(counts.get(&p.pipeline.id).copied().unwrap_or(0), country),
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
async fn list_pipelines(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    pipelines_page(&st, &cu, None, String::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewPipelineForm {
    name: String,
    stages: String,
}

fn valid_name(raw: &str) -> Option<String> {
    af_core::validate::name(raw, 80).ok()
}

/// `POST /pipelines` (admin+): a pipeline with the default stages or none.
async fn create_pipeline(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewPipelineForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let bt = bt(&cu);
    let Some(name) = valid_name(&f.name) else {
        let page = pipelines_page(&st, &cu, Some(bt.err_name.into()), f.name.clone()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
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

// ---------------------------------------------------------------- the board

async fn board_page(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
    form: NewDealForm,
) -> AppResult<BoardTemplate> {
    let shell = Shell::new(cu, Area::Pipelines).await?;
    let bt = bt(cu);
    let tabs = pipelines::list_pipelines(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|o| PipelineTab {
            id: o.pipeline.id.to_string(),
            name: o.pipeline.name,
            active: o.pipeline.id == p.pipeline.id,
        })
        .collect();
    let mut sums = summaries(st, cu, p).await?;
    // Every column's first page, then one query for all their tags.
    let mut pages = Vec::with_capacity(p.stages.len());
    for s in &p.stages {
        pages.push(column_cards(st, cu, p.pipeline.id, s.id, None).await?);
    }
    let all: Vec<Card> = pages.iter().flat_map(|(c, _)| c.iter().cloned()).collect();
    let mut views = card_views(st, cu, &all).await?.into_iter();
    let mut columns = Vec::with_capacity(p.stages.len());
    for (s, (cards, more)) in p.stages.iter().zip(pages) {
        let cards: Vec<CardView> = views.by_ref().take(cards.len()).collect();
        columns.push(Column {
            id: s.id.to_string(),
            name: s.name.clone(),
            kind: s.kind.clone(),
            kind_label: kind_label(bt, &s.kind),
            is_booked: s.is_booked,
            summary: sums.remove(&s.id).unwrap_or(ColumnSummary {
                count: "0".into(),
                total: bt.empty_total.into(),
            }),
            cards,
            more,
        });
    }
    Ok(BoardTemplate {
        shell,
        bt,
        tabs,
        pipeline_id: p.pipeline.id.to_string(),
        pipeline_name: p.pipeline.name.clone(),
        columns,
        can_manage: cu.role >= Role::Admin,
        board_js: board_js_url(),
        form,
    })
}

/// `GET /pipelines/{id}`: the kanban board.
async fn show_board(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let form = new_deal_form(&p, &cu.workspace.country, None);
    board_page(&st, &cu, &p, form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    after_pos: Option<String>,
    after_id: Option<String>,
}

/// `GET /pipelines/{id}/stages/{stage_id}/cards?after_pos=&after_id=`: the
/// next page of a column (htmx, when its sentinel scrolls into view).
async fn list_stage_cards(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((id, stage_id)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> AppResult<impl IntoResponse> {
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let stage: StageId = path_id(&stage_id)?;
    if !p.stages.iter().any(|s| s.id == stage) {
        return Err(AppError::NotFound);
    }
    let bad = || AppError::BadRequest("after_pos and after_id must come together".into());
    let after = match (q.after_pos.as_deref(), q.after_id.as_deref()) {
        (None, None) => None,
        (Some(pos), Some(id)) => {
            let pos: f64 = pos.parse().map_err(|_| bad())?;
            if !pos.is_finite() {
                return Err(bad());
            }
            Some((pos, Uuid::parse_str(id).map_err(|_| bad())?))
        }
        _ => return Err(bad()),
    };
    let (cards, more) = column_cards(&st, &cu, p.pipeline.id, stage, after).await?;
    Ok(CardsTemplate {
        bt: bt(&cu),
        stage_id: stage.to_string(),
        cards: card_views(&st, &cu, &cards).await?,
        more,
    })
}

/// `GET /pipelines/{id}/summary`: each column's count and totals, for the
/// board to refresh its headers after a move (its own or a live one).
async fn board_summary(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<serde_json::Value>> {
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let sums = summaries(&st, &cu, &p).await?;
    Ok(Json(summary_json(&sums)))
}

fn summary_json(sums: &HashMap<StageId, ColumnSummary>) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = sums
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                serde_json::json!({ "count": v.count, "total": v.total }),
            )
        })
        .collect();
    serde_json::json!({ "stages": map })
}

/// `GET /deals/{id}/card`: one card, for a live update to insert.
async fn show_card(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    let id: DealId = path_id(&id)?;
    let card = deals::find_card(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = card_views(&st, &cu, &[card])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    Ok(CardTemplate { bt: bt(&cu), card })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    stage_id: String,
    after: Option<String>,
    before: Option<String>,
}

/// `POST /deals/{id}/move` (`stage_id`, `after`, `before`): the board's drop.
/// Persisted in one transaction; answers the new position and the columns'
/// counts and totals.
async fn move_deal(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> AppResult<Json<serde_json::Value>> {
    let id: DealId = path_id(&id)?;
    let to: StageId = path_id(&f.stage_id)?;
    let place = Placement {
        after: form_id(f.after.as_deref())?,
        before: form_id(f.before.as_deref())?,
    };
    let ws = cu.workspace.id;
    let mut tx = st.db.begin().await?;
    let moved = deals::move_deal(&mut tx, ws, id, to, place, &cu.actor(), st.now())
        .await
        .map_err(not_found_or)?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, deal.id = %id, stage_changed = moved.stage_changed, "deal moved");
    let p = pipelines::find_pipeline(&st.db, ws, moved.deal.pipeline_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let sums = summaries(&st, &cu, &p).await?;
    Ok(Json(serde_json::json!({
        "deal_id": moved.deal.id,
        "stage_id": moved.deal.stage_id,
        "position": moved.deal.position,
        "summary": summary_json(&sums),
    })))
}

// ---------------------------------------------------------------- live

/// `GET /pipelines/{id}/events`: server-sent events of this pipeline's
/// deals (`deal` with the live payload; `resync` when some may have been
/// missed). Only the user's own workspace and this pipeline pass.
async fn board_events(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let sub = live::subscribe(&st.db).await?;
    let ws = cu.workspace.id;
    let pipeline = p.pipeline.id;
    let closing = st.shutdown.clone();
    let stream = futures::stream::unfold((sub, closing), move |(mut sub, closing)| async move {
        loop {
            let msg = tokio::select! {
                _ = closing.cancelled() => return None,
                msg = sub.recv() => msg,
            };
            let event = match msg {
                Recv::Event(ev) if ev.workspace_id == ws && ev.pipeline_id == pipeline => {
                    Event::default()
                        .event("deal")
                        .json_data(&ev)
                        .unwrap_or_else(|_| Event::default().event("resync").data("{}"))
                }
                Recv::Event(_) => continue,
                Recv::Resync => Event::default().event("resync").data("{}"),
                Recv::Closed => return None,
            };
            return Some((Ok(event), (sub, closing)));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

// ---------------------------------------------------------------- new deal

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchQuery {
    q: String,
}

pub struct ContactOption {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "board/contact_options.html")]
struct ContactOptionsTemplate {
    bt: &'static BoardTr,
    options: Vec<ContactOption>,
    searched: bool,
}

/// `GET /pipelines/{id}/contact-search?q=`: contacts to pick for a new deal
/// (htmx, as the user types).
async fn search_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<SearchQuery>,
) -> AppResult<impl IntoResponse> {
    load_pipeline(&st, cu.workspace.id, &id).await?;
    let text = q.q.trim();
    let options = if text.is_empty() {
        vec![]
    } else {
        let filter = af_db::contacts::ContactFilter {
            q: Some(text.chars().take(100).collect()),
            ..Default::default()
        };
        af_db::contacts::list_contacts(&st.db, cu.workspace.id, &filter, None, 8)
            .await?
            .into_iter()
            .map(|c| ContactOption {
                id: c.id.to_string(),
                name: c.full_name(),
                email: c.email.clone().unwrap_or_default(),
            })
            .collect()
    };
    Ok(ContactOptionsTemplate {
        bt: bt(&cu),
        options,
        searched: !text.is_empty(),
    })
}

/// The new-deal form as a request for the one create-deal path
/// (`af_service::deals`), with every problem worded for the user: this
/// form's own (a stage of this board, an amount typed in the currency)
/// and the deal's rules.
fn deal_request(
    bt: &BoardTr,
    cu: &CurrentUser,
    p: &PipelineWithStages,
    f: &DealForm,
) -> Result<NewDealRequest, Vec<String>> {
    let mut errors = Vec::new();
    let stage = if p.stages.is_empty() {
        errors.push(bt.err_no_stages.to_string());
        None
    } else if f.stage_id.trim().is_empty() {
        p.stages.first().map(|s| s.id)
    } else {
        let found = Uuid::parse_str(f.stage_id.trim())
            .ok()
            .and_then(|u| p.stages.iter().find(|s| s.id.0 == u))
            .map(|s| s.id);
        if found.is_none() {
            errors.push(bt.err_stage.to_string());
        }
        found
    };
    if af_service::deals::title(&f.title).is_err() {
        errors.push(bt.err_title.to_string());
    }
    let currency = af_core::contact::currency(&f.currency).ok();
    if currency.is_none() {
        errors.push(bt.err_currency.to_string());
    }
    let value = currency.as_deref().and_then(|c| money::parse(&f.value, c));
    if currency.is_some() && value.is_none() {
        errors.push(bt.err_value.to_string());
    }
    let contact = if !f.contact_id.trim().is_empty() {
        match Uuid::parse_str(f.contact_id.trim()) {
            Ok(u) => DealContact::Existing(ContactId(u)),
            Err(_) => {
                errors.push(bt.err_contact_gone.to_string());
                return Err(errors);
            }
        }
    } else {
        DealContact::New(Box::new(RawContact {
            first_name: Some(f.first_name.clone()),
            last_name: Some(f.last_name.clone()),
            email: Some(f.email.clone()),
            source: Some("board".into()),
            ..Default::default()
        }))
    };
    let req = NewDealRequest {
        contact,
        pipeline_id: Some(p.pipeline.id),
        stage_id: stage,
        title: f.title.clone(),
        value_minor: value.unwrap_or(0),
        currency,
        owner_id: Some(cu.user.id),
    };
    if let Err(problems) = af_service::deals::check(&req, &cu.workspace) {
        // Title and currency were reported above, in this form's terms.
        let rest = problems
            .iter()
            .filter(|p| !matches!(p, DealProblem::Title(_) | DealProblem::Currency(_)));
        for m in rest.map(|p| deal_problem(bt, p)) {
            if !errors.contains(&m) {
                errors.push(m);
            }
        }
    }
    if errors.is_empty() {
        Ok(req)
    } else {
        Err(errors)
    }
}

/// A deal rule's problem in the user's words.
fn deal_problem(bt: &BoardTr, p: &DealProblem) -> String {
    match p {
        DealProblem::Title(_) => bt.err_title,
        DealProblem::Currency(_) => bt.err_currency,
        DealProblem::Value(_) => bt.err_value,
        DealProblem::Contact(errors) if errors.iter().any(|e| e.problem == Problem::Email) => {
            bt.err_email
        }
        DealProblem::Contact(_) => bt.err_contact,
    }
    .to_string()
}

/// `POST /pipelines/{id}/deals`: a new deal from the board, for a picked
/// contact or a new one (name and/or email; the upsert rule applies).
async fn create_deal(
    State(st): State<AppState>,
    cu: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<DealForm>,
) -> AppResult<Response> {
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let bt = bt(&cu);
    let htmx = is_htmx(&headers);
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let invalid = |errors: Vec<String>| -> AppResult<Response> {
        if htmx {
            let mut form = new_deal_form(&p, &cu.workspace.country, Some(f.clone()));
            form.errors = errors;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                NewDealTemplate {
                    bt,
                    csrf: csrf.clone(),
                    form,
                },
            )
                .into_response())
        } else {
            Err(AppError::BadRequest(errors.join(" ")))
        }
    };
    let req = match deal_request(bt, &cu, &p, &f) {
        Ok(r) => r,
        Err(errors) => return invalid(errors),
    };
    let ws = cu.workspace.id;
    let deal =
        match af_service::deals::create_deal(&st.db, &cu.workspace, &req, &cu.actor(), st.now())
            .await
        {
            Ok(d) => d,
            Err(DealError::ContactTaken) => return invalid(vec![bt.err_contact_taken.to_string()]),
            Err(DealError::NotFound(_)) => return invalid(vec![bt.err_contact_gone.to_string()]),
            Err(DealError::Invalid(problems)) => {
                return invalid(problems.iter().map(|p| deal_problem(bt, p)).collect());
            }
            Err(DealError::Db(e)) => return Err(e.into()),
        };
    tracing::info!(workspace.id = %ws, deal.id = %deal.id, "deal created from the board");
    if htmx {
        let mut form = new_deal_form(&p, &cu.workspace.country, None);
        form.created = true;
        Ok((StatusCode::CREATED, NewDealTemplate { bt, csrf, form }).into_response())
    } else {
        set_flash(&cu.session, true, bt.deal_created).await?;
        Ok(Redirect::to(&format!("/pipelines/{}", p.pipeline.id)).into_response())
    }
}

// ---------------------------------------------------------------- settings

pub struct StageRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub is_booked: bool,
    pub first: bool,
    pub last: bool,
    pub deals: String,
}

#[derive(Template, WebTemplate)]
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
                deals: bt.deals_count.replace(
                    "{n}",
                    &format_count(
                        counts.get(&s.id).copied().unwrap_or(0),
                        &cu.workspace.country,
                    ),
                ),
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
async fn pipeline_settings(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    settings_page(&st, &cu, &p, None).await
}

/// The settings page again with an error and 422: nothing was changed.
async fn settings_error(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
    msg: String,
) -> AppResult<Response> {
    let page = settings_page(st, cu, p, Some(msg)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn saved(cu: &CurrentUser, p: &PipelineWithStages, msg: &str) -> AppResult<Response> {
    set_flash(&cu.session, true, msg).await?;
    Ok(Redirect::to(&format!("/pipelines/{}/settings", p.pipeline.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
}

/// `POST /pipelines/{id}/rename` (admin+).
async fn rename_pipeline(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<NameForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
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

#[derive(Deserialize, Default)]
#[serde(default)]
struct StageForm {
    name: String,
    kind: String,
}

fn valid_kind(raw: &str) -> Option<&'static str> {
    let k = if raw.is_empty() { "open" } else { raw };
    pipelines::STAGE_KINDS.iter().copied().find(|x| *x == k)
}

/// `POST /pipelines/{id}/stages` (admin+): a stage at the end.
async fn create_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
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

fn stage_of(p: &PipelineWithStages, raw: &str) -> AppResult<StageId> {
    let id: StageId = path_id(raw)?;
    if p.stages.iter().any(|s| s.id == id) {
        Ok(id)
    } else {
        Err(AppError::NotFound)
    }
}

/// `POST /pipelines/{id}/stages/{stage_id}` (admin+): rename, set the kind.
async fn update_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((id, stage_id)): Path<(String, String)>,
    Form(f): Form<StageForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let stage = stage_of(&p, &stage_id)?;
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
struct BookedForm {
    stage_id: String,
}

/// `POST /pipelines/{id}/booked` (admin+): which stage is "booked" (or none).
async fn set_booked_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<BookedForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let stage = match f.stage_id.trim() {
        "" => None,
        raw => Some(stage_of(&p, raw)?),
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
struct ReorderForm {
    /// `up` or `down`.
    direction: String,
}

/// `POST /pipelines/{id}/stages/{stage_id}/reorder` (admin+): one step up
/// or down.
async fn reorder_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((id, stage_id)): Path<(String, String)>,
    Form(f): Form<ReorderForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let stage = stage_of(&p, &stage_id)?;
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
async fn delete_stage(
    State(st): State<AppState>,
    cu: CurrentUser,
    Path((id, stage_id)): Path<(String, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let p = load_pipeline(&st, cu.workspace.id, &id).await?;
    let stage = stage_of(&p, &stage_id)?;
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
            let msg = bt
                .err_stage_has_deals
                .replace("{n}", &format_count(n, &cu.workspace.country));
            settings_error(&st, &cu, &p, msg).await
        }
        StageDeletion::UsedByWorkflow(name) => {
            tx.rollback().await?;
            let msg = bt.err_stage_in_workflow.replace("{name}", &name);
            settings_error(&st, &cu, &p, msg).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_countrys_separator() {
        assert_eq!(format_count(10_000, "MX"), "10,000");
        assert_eq!(format_count(10_000, "CO"), "10.000");
    }

    #[test]
    fn time_in_stage_reads_naturally() {
        let t = |s: &str| Ts::new(s.parse().expect("valid"));
        let now = t("2026-03-07T15:00:00Z");
        let es = BoardTr::get(af_core::Locale::Es);
        let en = BoardTr::get(af_core::Locale::En);
        assert_eq!(
            time_in_stage(es, t("2026-03-04T15:00:00Z"), now),
            "hace 3 días"
        );
        assert_eq!(time_in_stage(en, t("2026-03-04T15:00:00Z"), now), "3 days");
        assert_eq!(
            time_in_stage(es, t("2026-03-06T14:00:00Z"), now),
            "hace 1 día"
        );
        assert_eq!(
            time_in_stage(es, t("2026-03-07T12:00:00Z"), now),
            "hace 3 horas"
        );
        assert_eq!(time_in_stage(en, t("2026-03-07T14:55:00Z"), now), "5 min");
        assert_eq!(time_in_stage(es, now, now), "justo ahora");
    }
}
