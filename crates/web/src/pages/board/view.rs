//! The board page and its parts: columns with their first page of cards,
//! the next pages (htmx, on scroll), one card (for a live insert) and the
//! columns' counts and totals.

use super::deals::NewDealForm;
use super::{bt, count, load_pipeline, stage_of};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::board::BoardTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::money;
use af_core::{ContactId, DealId, PipelineId, Role, StageId};
use af_db::Ts;
use af_db::deals::{self, Card};
use af_db::pipelines::{self, PipelineWithStages};
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use uuid::Uuid;

/// Cards per column page: enough to fill a tall screen, small enough that
/// a 10,000-deal pipeline renders in milliseconds.
pub const PAGE: i64 = 50;

/// The hashed URL of an embedded script of ours that the shared asset table
/// does not name (it embeds every `assets/js/*.js` under
/// `{stem}.{first 5 bytes of sha256 in hex}.{ext}`).
fn board_js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let data = include_bytes!("../../../../../assets/js/board.js");
        let hash = hex::encode(&Sha256::digest(data)[..5]);
        format!("/assets/js/board.{hash}.js")
    })
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

/// A card as the templates show it.
pub struct CardView {
    pub id: String,
    pub title: String,
    pub name: String,
    pub value: String,
    pub tags: Vec<String>,
    pub score: i32,
    /// Points of the last 7 days: the arrow, and its words for a screen
    /// reader ("sube 12 en 7 días"); `trend_dir` is `up`, `down` or `flat`.
    pub trend_dir: &'static str,
    pub trend: String,
    pub age: String,
    /// What a screen reader announces on focus: "Ana Test · Sitio web · $100.00 MXN".
    pub label: String,
    /// Shortest text that parses back to the same f64 (the client sorts by it).
    pub position: String,
}

pub(super) async fn card_views(
    st: &AppState,
    cu: &CurrentUser,
    cards: &[Card],
) -> AppResult<Vec<CardView>> {
    let ws = &cu.workspace;
    let ids: Vec<ContactId> = cards.iter().map(|c| c.contact_id).collect();
    let mut tags: HashMap<ContactId, Vec<String>> = HashMap::new();
    for (c, t) in deals::card_tags(&st.db, ws.id, &ids).await? {
        tags.entry(c).or_default().push(t);
    }
    let now = st.now();
    let bt = bt(cu);
    // One query for the page's contacts (not one per card).
    let contact_ids: Vec<uuid::Uuid> = ids.iter().map(|c| c.0).collect();
    let trends = af_service::scoring::trends(&st.db, ws.id, &contact_ids, now).await?;
    let sc = crate::i18n::scoring::ScoringTr::get(cu.locale());
    Ok(cards
        .iter()
        .map(|c| {
            let name = format!("{} {}", c.first_name, c.last_name)
                .trim()
                .to_string();
            let value = money::format(c.value_minor, &c.currency);
            let delta = trends.get(&c.contact_id.0).copied().unwrap_or(0);
            let trend = sc.trend(delta);
            CardView {
                id: c.id.to_string(),
                // The arrow is hidden from screen readers; its words join
                // the card's name when the score moved.
                label: if delta == 0 {
                    format!("{name} · {} · {value}", c.title)
                } else {
                    format!("{name} · {} · {value} · {trend}", c.title)
                },
                trend_dir: match delta {
                    0 => "flat",
                    d if d > 0 => "up",
                    _ => "down",
                },
                trend,
                title: c.title.clone(),
                name,
                value,
                tags: tags.get(&c.contact_id).cloned().unwrap_or_default(),
                score: c.score,
                age: time_in_stage(bt, c.stage_entered_at, now),
                position: c.position.to_string(),
            }
        })
        .collect())
}

/// Count and per-currency total of one column, formatted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnSummary {
    pub count: String,
    pub total: String,
}

pub(super) async fn summaries(
    st: &AppState,
    cu: &CurrentUser,
    p: &PipelineWithStages,
) -> AppResult<HashMap<StageId, ColumnSummary>> {
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
                    count: count(cu, n),
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

pub(super) fn kind_label(bt: &BoardTr, kind: &str) -> &'static str {
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

#[derive(Template)]
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

#[derive(Template)]
#[template(path = "board/cards.html")]
struct CardsTemplate {
    bt: &'static BoardTr,
    stage_id: String,
    cards: Vec<CardView>,
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "board/card.html")]
struct CardTemplate {
    bt: &'static BoardTr,
    card: CardView,
}

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
pub(super) async fn show_board(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
) -> AppResult<Html<String>> {
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let form = NewDealForm::new(&p, &cu.workspace.country, None);
    render(&board_page(&st, &cu, &p, form).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PageQuery {
    after_pos: Option<String>,
    after_id: Option<String>,
}

/// `GET /pipelines/{id}/stages/{stage_id}/cards?after_pos=&after_id=`: the
/// next page of a column (htmx, when its sentinel scrolls into view).
pub(super) async fn list_stage_cards(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath((id, stage)): IdPath<(PipelineId, StageId)>,
    Query(q): Query<PageQuery>,
) -> AppResult<Html<String>> {
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let stage = stage_of(&p, stage)?;
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
    render(&CardsTemplate {
        bt: bt(&cu),
        stage_id: stage.to_string(),
        cards: card_views(&st, &cu, &cards).await?,
        more,
    })
}

/// `GET /pipelines/{id}/summary`: each column's count and totals, for the
/// board to refresh its headers after a move (its own or a live one).
pub(super) async fn board_summary(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
) -> AppResult<Json<serde_json::Value>> {
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let sums = summaries(&st, &cu, &p).await?;
    Ok(Json(summary_json(&sums)))
}

pub(super) fn summary_json(sums: &HashMap<StageId, ColumnSummary>) -> serde_json::Value {
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
pub(super) async fn show_card(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<DealId>,
) -> AppResult<Html<String>> {
    let card = deals::find_card(&st.db, cu.workspace.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = card_views(&st, &cu, &[card])
        .await?
        .pop()
        .ok_or(AppError::NotFound)?;
    render(&CardTemplate { bt: bt(&cu), card })
}

#[cfg(test)]
mod tests {
    use super::*;

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
