//! The form builder (signed in): the workspace's forms, a new or existing
//! form's editor with live preview (in Spanish or English), where each
//! field's answer is saved on the contact (`maps_to`, with a "new custom
//! field" action), saving and deleting (admins).

use super::load_form;
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::contacts::ContactsTr;
use crate::i18n::forms::FormsTr;
use crate::pages::contacts::{kind_label, part_error};
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{FormId, Locale, Role};
use af_db::custom_fields::{self, FieldDef};
use af_db::forms::{self, Form};
use af_service::custom_fields::{self as field_defs, CreateError, NewField, Part};
use af_service::forms::{
    self as form_defs, FieldSpec, MappingError, MappingProblem, MapsTo, RawForm, Styling,
};
use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::json;
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
    /// What the builder script offers besides the fields ([`builder_json`]).
    builder_json: String,
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
    /// The default button text in each language, for the preview.
    submit_es: &'static str,
    submit_en: &'static str,
    /// The preview's first language: the reader's.
    preview_lang: &'static str,
    js: String,
}

/// The label of a contact field a form field may fill.
fn target_label(ft: &FormsTr, code: &str) -> &'static str {
    match code {
        "first_name" => ft.to_first_name,
        "last_name" => ft.to_last_name,
        "name" => ft.to_name,
        "email" => ft.to_email,
        "phone" => ft.to_phone,
        "company" => ft.to_company,
        _ => ft.maps_none,
    }
}

/// The translated name of a form field type.
fn type_label(ft: &FormsTr, kind: &str) -> &'static str {
    match kind {
        "email" => ft.type_email,
        "phone" => ft.type_phone,
        "select" => ft.type_select,
        "textarea" => ft.type_textarea,
        "checkbox" => ft.type_checkbox,
        "hidden" => ft.type_hidden,
        "multiselect" => ft.type_multiselect,
        "number" => ft.type_number,
        _ => ft.type_text,
    }
}

/// A custom field as the builder script lists it.
fn custom_json(ct: &ContactsTr, d: &FieldDef) -> serde_json::Value {
    json!({
        "key": d.key, "label": d.label, "kind": d.kind,
        "kind_label": kind_label(ct, &d.kind), "options": d.choices(),
    })
}

/// What the builder script needs besides the fields, in the reader's
/// language: the field types, the contact fields and custom fields an
/// answer can be saved to, the kinds of a new custom field, the rule that
/// picks a field's destination when it has none (so "automatic" says where
/// it goes), and whether the reader may create custom fields.
fn builder_json(cu: &CurrentUser, defs: &[FieldDef]) -> String {
    builder_json_for(cu, defs, &form_defs::FIELD_TYPES)
}

/// [`builder_json`] offering `types` (a booking calendar's questions
/// reuse the builder with their own kinds).
pub fn builder_json_for(cu: &CurrentUser, defs: &[FieldDef], types: &[&str]) -> String {
    let ft = FormsTr::get(cu.locale());
    let ct = ContactsTr::get(cu.locale());
    json!({
        "types": types.iter()
            .map(|k| json!({"code": k, "label": type_label(ft, k)})).collect::<Vec<_>>(),
        "targets": form_defs::CONTACT_TARGETS.iter()
            .map(|(code, _)| json!({"code": code, "label": target_label(ft, code)})).collect::<Vec<_>>(),
        "custom": defs.iter().map(|d| custom_json(ct, d)).collect::<Vec<_>>(),
        "kinds": field_defs::KINDS.iter()
            .map(|k| json!({"code": k, "label": kind_label(ct, k)})).collect::<Vec<_>>(),
        "infer": form_defs::inference_json(),
        "can_create": cu.role >= Role::Admin,
    })
    .to_string()
}

/// A refused part of the form (the validator's `(key, English message)`)
/// in the reader's language, by its key; fields are named by their label.
/// A key this version does not know keeps the validator's message.
fn refusal_message(
    ft: &FormsTr,
    locale: Locale,
    fields: &[FieldSpec],
    key: &str,
    english: &str,
) -> String {
    // `fields[3].name` → the field's label and the part after the dot.
    if let Some(rest) = key.strip_prefix("fields[")
        && let Some((index, part)) = rest.split_once("].")
    {
        let field = index
            .parse::<usize>()
            .ok()
            .and_then(|i| fields.get(i))
            .map_or(index.to_string(), |f| f.label_in(locale).to_string());
        let template = match part {
            "name" if english.contains("reserved") => ft.err_field_name_reserved,
            "name" if english.contains("twice") => ft.err_field_name_twice,
            "name" => ft.err_field_name,
            "type" => ft.err_field_type,
            "options" => ft.err_field_options,
            _ => ft.err_field_text,
        };
        return template.replace("{field}", &field);
    }
    let message = match key {
        "name" => ft.err_form_name,
        "fields" => ft.err_field_count,
        "styling.primary_color" | "styling.text_color" | "styling.background_color" => ft.err_color,
        "styling.font" => ft.err_font,
        "styling.radius" => ft.err_radius,
        "styling.button_text" | "styling.button_text_en" => ft.err_button_text,
        "success_message" => ft.err_success_message,
        "redirect_url" => ft.err_redirect_url,
        "consent_text" => ft.err_consent_text,
        "tags" => ft.err_tags,
        _ => return english.to_string(),
    };
    message.to_string()
}

/// A refused `maps_to` in the reader's language, naming the field by its
/// label.
fn mapping_message(
    ft: &FormsTr,
    ct: &ContactsTr,
    locale: Locale,
    fields: &[FieldSpec],
    defs: &[FieldDef],
    e: &MappingError,
) -> String {
    let spec = fields.get(e.index);
    let field = spec.map_or(e.field.as_str(), |f| f.label_in(locale));
    let custom_label = |key: &str| {
        defs.iter()
            .find(|d| d.key == key)
            .map_or(key.to_string(), |d| d.label.clone())
    };
    let target = |code: &str| match MapsTo::parse(code) {
        Some(MapsTo::Custom(key)) => custom_label(&key),
        _ => target_label(ft, code).to_string(),
    };
    match &e.problem {
        MappingProblem::Unknown(code) => ft
            .map_err_unknown
            .replace("{field}", field)
            .replace("{code}", code),
        MappingProblem::NoSuchCustomField(key) => ft
            .map_err_no_custom
            .replace("{field}", field)
            .replace("{key}", key),
        MappingProblem::Checkbox => ft.map_err_checkbox.replace("{field}", field),
        MappingProblem::Unsuitable { key, kind } => ft
            .map_err_unsuitable
            .replace("{field}", field)
            .replace(
                "{type}",
                type_label(ft, spec.map_or("", |f| f.kind.as_str())),
            )
            .replace("{target}", &custom_label(key))
            .replace("{kind}", kind_label(ct, kind)),
        MappingProblem::Refused { key, values } => ft
            .map_err_refused
            .replace("{field}", field)
            .replace("{target}", &custom_label(key))
            .replace("{values}", &values.join(", ")),
        MappingProblem::Twice {
            other,
            target: code,
        } => {
            let other = fields
                .iter()
                .find(|f| &f.name == other)
                .map_or(other.as_str(), |f| f.label_in(locale));
            ft.map_err_twice
                .replace("{field}", field)
                .replace("{target}", &target(code))
                .replace("{other}", other)
        }
    }
}

pub async fn stage_choices(
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

/// The fields every new form (and every starter) begins with.
fn contact_fields() -> Vec<serde_json::Value> {
    let (es, en) = (&crate::i18n::forms::FORMS_ES, &crate::i18n::forms::FORMS_EN);
    vec![
        json!({"name": "name", "type": "text", "label": es.starter_name, "label_en": en.starter_name, "required": true}),
        json!({"name": "email", "type": "email", "label": es.starter_email, "label_en": en.starter_email, "required": true}),
        json!({"name": "phone", "type": "phone", "label": es.starter_phone, "label_en": en.starter_phone, "required": false}),
    ]
}

fn default_fields() -> String {
    serde_json::Value::Array(contact_fields()).to_string()
}

async fn edit_page(
    st: &AppState,
    cu: &CurrentUser,
    form: Option<&Form>,
    raw: Option<&RawForm>,
    errors: Vec<String>,
    defs: &[FieldDef],
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
        builder_json: builder_json(cu, defs),
        submit_es: crate::i18n::forms::FORMS_ES.submit,
        submit_en: crate::i18n::forms::FORMS_EN.submit,
        preview_lang: cu.locale().as_str(),
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
/// builder with; None for anything else. Labels come in both languages;
/// a select's choices (one list, shown to every visitor) and the form's
/// name are in the reader's.
fn starter(key: &str, locale: Locale) -> Option<RawForm> {
    let ft = FormsTr::get(locale);
    let (es, en) = (&crate::i18n::forms::FORMS_ES, &crate::i18n::forms::FORMS_EN);
    let field = |name: &str, kind: &str, label: fn(&FormsTr) -> &'static str, required: bool| json!({"name": name, "type": kind, "label": label(es), "label_en": label(en), "required": required});
    let select =
        |name: &str, label: fn(&FormsTr) -> &'static str, required: bool, options: Vec<&str>| {
            let mut f = field(name, "select", label, required);
            f["options"] = json!(options);
            f
        };
    let (name, extra) = match key {
        "contacto" => (
            ft.starter_contact,
            vec![field("mensaje", "textarea", |t| t.starter_message, false)],
        ),
        "cotizacion" => (
            ft.starter_quote,
            vec![
                field("empresa", "text", |t| t.starter_company, false),
                select(
                    "servicio",
                    |t| t.starter_service,
                    true,
                    vec![
                        ft.starter_service_seo,
                        ft.starter_service_ads,
                        ft.starter_service_social,
                        ft.starter_service_web,
                    ],
                ),
                field("presupuesto", "text", |t| t.starter_budget, false),
                field("mensaje", "textarea", |t| t.starter_details, false),
            ],
        ),
        "cita" => (
            ft.starter_appointment,
            vec![
                field("fecha_preferida", "text", |t| t.starter_date, true),
                select(
                    "horario",
                    |t| t.starter_time,
                    false,
                    vec![ft.starter_morning, ft.starter_afternoon],
                ),
                field("mensaje", "textarea", |t| t.starter_reason, false),
            ],
        ),
        _ => return None,
    };
    let mut fields = contact_fields();
    fields.extend(extra);
    serde_json::from_value(json!({"name": name, "fields": fields})).ok()
}

/// `GET /forms/new[?starter=contacto|cotizacion|cita]`
pub(super) async fn new_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    Query(q): Query<StarterQuery>,
) -> AppResult<Html<String>> {
    cu.require(Role::Admin)?;
    let raw = starter(&q.starter, cu.locale());
    let defs = custom_fields::list_fields(&st.db, cu.workspace.id).await?;
    render(&edit_page(&st, &cu, None, raw.as_ref(), vec![], &defs).await?)
}

/// `GET /forms/{id}`
pub(super) async fn edit_form_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FormId>,
) -> AppResult<Html<String>> {
    let form = load_form(&st, &cu, id).await?;
    let defs = custom_fields::list_fields(&st.db, cu.workspace.id).await?;
    render(&edit_page(&st, &cu, Some(&form), None, vec![], &defs).await?)
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
    let defs = custom_fields::list_fields(&st.db, cu.workspace.id).await?;
    let raw = match raw_from_post(&post) {
        Ok(r) => r,
        Err(m) => {
            let page = edit_page(st, cu, existing.as_ref(), None, vec![m], &defs).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let input = match form_defs::validate_form_parts(&raw, &defs) {
        Ok(i) => i,
        Err(e) => {
            let locale = cu.locale();
            let (ft, ct) = (FormsTr::get(locale), ContactsTr::get(locale));
            let mut msgs: Vec<String> = e
                .errors
                .iter()
                .map(|(key, m)| refusal_message(ft, locale, &raw.fields, key, m))
                .collect();
            msgs.extend(
                e.mappings
                    .iter()
                    .map(|m| mapping_message(ft, ct, locale, &raw.fields, &defs, m)),
            );
            let page = edit_page(st, cu, existing.as_ref(), Some(&raw), msgs, &defs).await?;
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

/// `POST /forms/custom-fields`: the builder's "new custom field" (admins
/// only): a label, a kind and a select's choices; the key is made from the
/// label. The rules and the insert are the custom fields page's
/// (`af_service::custom_fields`). Answers the builder script in JSON:
/// 201 with the field as the builder lists it, 422 `{"errors": {part:
/// message}}` (`label`, `kind`, `options`), 403 `{"error"}` for members.
pub(super) async fn create_custom_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum::Form(f): axum::Form<NewField>,
) -> AppResult<Response> {
    let locale = cu.locale();
    let (ft, ct) = (FormsTr::get(locale), ContactsTr::get(locale));
    if cu.require(Role::Admin).is_err() {
        return Ok((
            StatusCode::FORBIDDEN,
            Json(json!({"error": ft.cf_forbidden})),
        )
            .into_response());
    }
    let refused = |errors: Vec<(&str, &str)>| {
        let errors: serde_json::Map<String, serde_json::Value> = errors
            .into_iter()
            .map(|(k, m)| (k.to_string(), m.into()))
            .collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"errors": errors})),
        )
            .into_response()
    };
    match field_defs::create_field_from_label(&st.db, cu.workspace.id, &f, st.now()).await {
        Ok(def) => Ok((StatusCode::CREATED, Json(custom_json(ct, &def))).into_response()),
        // The key is made from the label, so its problems are the label's.
        Err(CreateError::Invalid(parts)) => Ok(refused(
            parts
                .into_iter()
                .map(|p| match p {
                    Part::Key => ("label", ct.err_field_key),
                    p => part_error(ct, p),
                })
                .collect(),
        )),
        Err(CreateError::KeyTaken) => Ok(refused(vec![("label", ct.err_field_key_taken)])),
        Err(CreateError::Db(e)) => Err(e.into()),
    }
}
