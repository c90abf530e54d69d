//! The form builder (signed in): the workspace's forms, a new or existing
//! form's editor with live preview, saving and deleting (admins).

use super::load_form;
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::forms::FormsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{FormId, Role};
use af_db::forms::{self, Form};
use af_service::forms::{self as form_defs, FieldSpec, RawForm, Styling};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use uuid::Uuid;

pub struct FormRow {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub submissions: i64,
    pub url: String,
}

#[derive(Template)]
#[template(path = "forms/list.html")]
struct ListTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    forms: Vec<FormRow>,
    can_edit: bool,
}

/// `GET /forms`
pub(super) async fn list_forms_page(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Html<String>> {
    let rows = forms::list_forms(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|(f, n)| FormRow {
            url: st.link(&format!("/f/{}", f.id)),
            id: f.id.to_string(),
            name: f.name,
            active: f.active,
            submissions: n,
        })
        .collect();
    render(&ListTemplate {
        can_edit: cu.role >= Role::Admin,
        ft: FormsTr::get(cu.locale()),
        shell: Shell::new(&cu, Area::Forms).await?,
        forms: rows,
    })
}

/// A stage choice of the builder.
pub struct StageChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "forms/edit.html")]
struct EditTemplate {
    shell: Shell,
    ft: &'static FormsTr,
    /// None for a new form.
    id: Option<String>,
    name: String,
    /// The field list as JSON for the builder script (in a data attribute).
    fields_json: String,
    styling: Styling,
    success_message: String,
    redirect_url: String,
    tags: String,
    consent_text: String,
    active: bool,
    stages: Vec<StageChoice>,
    errors: Vec<String>,
    embed: String,
    hosted_url: String,
    fonts: [&'static str; 3],
    js: String,
}

async fn stage_choices(
    st: &AppState,
    cu: &CurrentUser,
    selected: Option<Uuid>,
) -> AppResult<Vec<StageChoice>> {
    let pipelines = af_db::pipelines::list_pipelines(&st.db, cu.workspace.id).await?;
    let mut out = Vec::new();
    for p in pipelines {
        for s in p.stages {
            out.push(StageChoice {
                label: format!("{} → {}", p.pipeline.name, s.name),
                selected: selected == Some(s.id.0),
                id: s.id.to_string(),
            });
        }
    }
    Ok(out)
}

fn default_fields() -> String {
    serde_json::json!([
        {"name": "name", "type": "text", "label": "Nombre", "label_en": "Name", "required": true},
        {"name": "email", "type": "email", "label": "Correo", "label_en": "Email", "required": true},
        {"name": "phone", "type": "phone", "label": "Teléfono", "label_en": "Phone", "required": false}
    ])
    .to_string()
}

async fn edit_page(
    st: &AppState,
    cu: &CurrentUser,
    form: Option<&Form>,
    raw: Option<&RawForm>,
    errors: Vec<String>,
) -> AppResult<EditTemplate> {
    let ft = FormsTr::get(cu.locale());
    let stage = raw
        .and_then(|r| r.stage_id)
        .or_else(|| form.and_then(|f| f.stage_id));
    let (name, fields_json, styling, success, redirect, tags, consent, active) = match (raw, form) {
        (Some(r), _) => (
            r.name.clone(),
            serde_json::to_string(&r.fields).unwrap_or_else(|_| "[]".into()),
            r.styling.clone().unwrap_or_default(),
            r.success_message.clone().unwrap_or_default(),
            r.redirect_url.clone().unwrap_or_default(),
            r.tags.join(", "),
            r.consent_text.clone().unwrap_or_default(),
            r.active.unwrap_or(true),
        ),
        (None, Some(f)) => (
            f.name.clone(),
            serde_json::to_string(&form_defs::fields_of(f)).unwrap_or_else(|_| "[]".into()),
            form_defs::styling_of(f),
            f.success_message.clone().unwrap_or_default(),
            f.redirect_url.clone().unwrap_or_default(),
            f.tag_list().join(", "),
            f.consent_text.clone().unwrap_or_default(),
            f.active,
        ),
        (None, None) => (
            String::new(),
            default_fields(),
            Styling::default(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            true,
        ),
    };
    Ok(EditTemplate {
        ft,
        id: form.map(|f| f.id.to_string()),
        embed: form
            .map(|f| crate::api::forms::embed_snippet(&st.config.base_url, f.id))
            .unwrap_or_default(),
        hosted_url: form
            .map(|f| st.link(&format!("/f/{}", f.id)))
            .unwrap_or_default(),
        name,
        fields_json,
        styling,
        success_message: success,
        redirect_url: redirect,
        tags,
        consent_text: consent,
        active,
        stages: stage_choices(st, cu, stage).await?,
        errors,
        fonts: form_defs::FONTS,
        js: crate::assets::url_of("js/forms.js"),
        shell: Shell::new(cu, Area::Forms).await?,
    })
}

/// `?starter=` of the new-form page.
#[derive(serde::Deserialize, Default)]
pub(super) struct StarterQuery {
    #[serde(default)]
    starter: String,
}

/// A starter form ("contacto", "cotizacion", "cita") to prefill the
/// builder with; None for anything else.
fn starter(key: &str, ft: &FormsTr) -> Option<RawForm> {
    let contact = serde_json::json!([
        {"name": "name", "type": "text", "label": "Nombre", "label_en": "Name", "required": true},
        {"name": "email", "type": "email", "label": "Correo", "label_en": "Email", "required": true},
        {"name": "phone", "type": "phone", "label": "Teléfono", "label_en": "Phone", "required": false}
    ]);
    let mut fields = contact.as_array().cloned().unwrap_or_default();
    let (name, extra) = match key {
        "contacto" => (
            ft.starter_contact,
            serde_json::json!([
                {"name": "mensaje", "type": "textarea", "label": "Mensaje", "label_en": "Message", "required": false}
            ]),
        ),
        "cotizacion" => (
            ft.starter_quote,
            serde_json::json!([
                {"name": "empresa", "type": "text", "label": "Empresa", "label_en": "Company", "required": false},
                {"name": "servicio", "type": "select", "label": "Servicio", "label_en": "Service", "required": true,
                 "options": ["SEO", "Publicidad", "Redes sociales", "Sitio web"]},
                {"name": "presupuesto", "type": "text", "label": "Presupuesto", "label_en": "Budget", "required": false},
                {"name": "mensaje", "type": "textarea", "label": "Detalles", "label_en": "Details", "required": false}
            ]),
        ),
        "cita" => (
            ft.starter_appointment,
            serde_json::json!([
                {"name": "fecha_preferida", "type": "text", "label": "Fecha preferida", "label_en": "Preferred date", "required": true},
                {"name": "horario", "type": "select", "label": "Horario", "label_en": "Time of day", "required": false,
                 "options": ["Mañana", "Tarde"]},
                {"name": "mensaje", "type": "textarea", "label": "Motivo", "label_en": "Reason", "required": false}
            ]),
        ),
        _ => return None,
    };
    fields.extend(extra.as_array().cloned().unwrap_or_default());
    serde_json::from_value(serde_json::json!({"name": name, "fields": fields})).ok()
}

/// `GET /forms/new[?starter=contacto|cotizacion|cita]`
pub(super) async fn new_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<StarterQuery>,
) -> AppResult<Html<String>> {
    cu.require(Role::Admin)?;
    let raw = starter(&q.starter, FormsTr::get(cu.locale()));
    render(&edit_page(&st, &cu, None, raw.as_ref(), vec![]).await?)
}

/// `GET /forms/{id}`
pub(super) async fn edit_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Html<String>> {
    let form = load_form(&st, &cu, id).await?;
    render(&edit_page(&st, &cu, Some(&form), None, vec![]).await?)
}

/// The builder's form post: plain fields plus the field list as JSON
/// (kept up to date by the builder script; without script, as typed).
fn raw_from_post(post: &[(String, String)]) -> Result<RawForm, String> {
    let get = |k: &str| post.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let opt = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    let fields: Vec<FieldSpec> = serde_json::from_str(&get("fields_json").unwrap_or_default())
        .map_err(|e| format!("fields: {e}"))?;
    Ok(RawForm {
        name: get("name").unwrap_or_default(),
        fields,
        styling: Some(Styling {
            primary_color: get("primary_color").unwrap_or_default(),
            text_color: get("text_color").unwrap_or_default(),
            background_color: get("background_color").unwrap_or_default(),
            font: get("font").unwrap_or_default(),
            radius: get("radius")
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or(255),
            button_text: opt("button_text"),
            button_text_en: opt("button_text_en"),
        }),
        success_message: opt("success_message"),
        redirect_url: opt("redirect_url"),
        pipeline_id: None,
        stage_id: opt("stage_id").and_then(|s| s.parse().ok()),
        tags: get("tags")
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        consent_text: opt("consent_text"),
        active: Some(get("active").is_some()),
    })
}

async fn save(
    st: &AppState,
    cu: &CurrentUser,
    existing: Option<Form>,
    post: Vec<(String, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let raw = match raw_from_post(&post) {
        Ok(r) => r,
        Err(m) => {
            let page = edit_page(st, cu, existing.as_ref(), None, vec![m]).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let input = match form_defs::validate_form(&raw) {
        Ok(i) => i,
        Err(errs) => {
            let msgs = errs.into_iter().map(|(_, m)| m).collect();
            let page = edit_page(st, cu, existing.as_ref(), Some(&raw), msgs).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let mut tx = st.db.begin().await?;
    let saved = match &existing {
        Some(f) => {
            forms::update_form(
                &mut tx,
                cu.workspace.id,
                f.id,
                &input,
                &cu.actor(),
                st.now(),
            )
            .await
        }
        None => forms::insert_form(&mut tx, cu.workspace.id, &input, &cu.actor(), st.now()).await,
    };
    let form = match saved {
        Ok(f) => f,
        Err(af_db::DbError::NotFound(_)) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).saved).await?;
    Ok(Redirect::to(&format!("/forms/{}", form.id)).into_response())
}

/// `POST /forms/new`
pub(super) async fn create_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    save(&st, &cu, None, post).await
}

/// `POST /forms/{id}`
pub(super) async fn save_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = load_form(&st, &cu, id).await?;
    save(&st, &cu, Some(form), post).await
}

/// `POST /forms/{id}/delete`
pub(super) async fn delete_form(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Response> {
    let form = load_form(&st, &cu, id).await?;
    cu.require(Role::Admin)?;
    let mut tx = st.db.begin().await?;
    forms::delete_form(&mut tx, cu.workspace.id, form.id, &cu.actor(), st.now()).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, FormsTr::get(cu.locale()).deleted).await?;
    Ok(Redirect::to("/forms").into_response())
}
