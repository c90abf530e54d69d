//! Deals on the board: the new-deal form (a picked contact or a new one,
//! through the one create-deal path `af_service::deals`), its contact
//! picker, and drag & drop moves.

use super::view::{summaries, summary_json};
use super::{bt, form_id, known_id, load_pipeline, not_found_or};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{HxRequest, IdPath, render};
use crate::i18n::board::BoardTr;
use crate::state::AppState;
use af_core::contact_input::{Problem, RawContact};
use af_core::money;
use af_core::{ContactId, DealId, PipelineId, StageId};
use af_db::deals::{self, Placement};
use af_db::pipelines::{self, PipelineWithStages};
use af_service::deals::{DealContact, DealError, DealProblem, NewDealRequest};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use uuid::Uuid;

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

/// The new-deal form as rendered (also alone, as an htmx fragment).
pub struct NewDealForm {
    pub pipeline_id: String,
    pub values: DealForm,
    pub stages: Vec<StageOption>,
    pub errors: Vec<String>,
    pub created: bool,
}

#[derive(Template)]
#[template(path = "board/new_deal.html")]
struct NewDealTemplate {
    bt: &'static BoardTr,
    csrf: String,
    form: NewDealForm,
}

impl NewDealForm {
    /// The form for `p`, empty (the country's currency) or with `values`.
    pub(super) fn new(p: &PipelineWithStages, country: &str, values: Option<DealForm>) -> Self {
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
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SearchQuery {
    q: String,
}

pub struct ContactOption {
    pub id: String,
    pub name: String,
    pub email: String,
}

#[derive(Template)]
#[template(path = "board/contact_options.html")]
struct ContactOptionsTemplate {
    bt: &'static BoardTr,
    options: Vec<ContactOption>,
    searched: bool,
}

/// `GET /pipelines/{id}/contact-search?q=`: contacts to pick for a new deal
/// (htmx, as the user types).
pub(super) async fn search_contacts(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<PipelineId>,
    Query(q): Query<SearchQuery>,
) -> AppResult<Html<String>> {
    load_pipeline(&st, cu.workspace.id, id).await?;
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
    render(&ContactOptionsTemplate {
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
pub(super) async fn create_deal(
    State(st): State<AppState>,
    cu: CurrentUser,
    HxRequest(htmx): HxRequest,
    IdPath(id): IdPath<PipelineId>,
    Form(f): Form<DealForm>,
) -> AppResult<Response> {
    let p = load_pipeline(&st, cu.workspace.id, id).await?;
    let bt = bt(&cu);
    let csrf = crate::auth::csrf_token(&cu.session).await?;
    let invalid = |errors: Vec<String>| -> AppResult<Response> {
        if htmx {
            let mut form = NewDealForm::new(&p, &cu.workspace.country, Some(f.clone()));
            form.errors = errors;
            let html = render(&NewDealTemplate {
                bt,
                csrf: csrf.clone(),
                form,
            })?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
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
        let mut form = NewDealForm::new(&p, &cu.workspace.country, None);
        form.created = true;
        let html = render(&NewDealTemplate { bt, csrf, form })?;
        Ok((StatusCode::CREATED, html).into_response())
    } else {
        set_flash(&cu.session, true, bt.deal_created).await?;
        Ok(Redirect::to(&format!("/pipelines/{}", p.pipeline.id)).into_response())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MoveForm {
    stage_id: String,
    after: Option<String>,
    before: Option<String>,
}

/// `POST /deals/{id}/move` (`stage_id`, `after`, `before`): the board's drop.
/// Persisted in one transaction; answers the new position and the columns'
/// counts and totals.
pub(super) async fn move_deal(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<DealId>,
    Form(f): Form<MoveForm>,
) -> AppResult<Json<serde_json::Value>> {
    let to: StageId = known_id(&f.stage_id)?;
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
