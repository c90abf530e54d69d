//! Custom field definitions (`/contacts/fields`, admin and owner only):
//! list, add (key, label, kind, options for choice lists) and delete.
//! Values on contacts are validated against these in `af_db::custom_fields`.

use super::{contacts_js, ct};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::IdPath;
use crate::i18n::contacts::ContactsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::{FieldId, Role};
use af_db::custom_fields::{self, FieldDef};
use af_service::custom_fields::{self as field_defs, CreateError, KINDS, NewField, Part};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct FieldForm {
    key: String,
    label: String,
    kind: String,
    options: String,
}

pub struct DefView {
    pub id: FieldId,
    pub key: String,
    pub label: String,
    pub kind: String,
    pub options: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/fields.html")]
struct FieldsPage {
    shell: Shell,
    ct: &'static ContactsTr,
    js: &'static str,
    defs: Vec<DefView>,
    kinds: Vec<(&'static str, &'static str)>,
    form: FieldForm,
    errors: HashMap<&'static str, &'static str>,
}

pub(crate) fn kind_label(t: &ContactsTr, kind: &str) -> &'static str {
    match kind {
        "number" => t.kind_number,
        "date" => t.kind_date,
        "select" => t.kind_select,
        _ => t.kind_text,
    }
}

async fn page(
    st: &AppState,
    cu: &CurrentUser,
    form: FieldForm,
    errors: HashMap<&'static str, &'static str>,
) -> AppResult<FieldsPage> {
    let t = ct(cu);
    let defs = custom_fields::list_fields(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .map(|d: FieldDef| DefView {
            options: d.choices().join(", "),
            kind: kind_label(t, &d.kind).to_string(),
            id: d.id,
            key: d.key,
            label: d.label,
        })
        .collect();
    Ok(FieldsPage {
        shell: Shell::new(cu, Area::Contacts).await?,
        ct: t,
        js: contacts_js(),
        defs,
        kinds: KINDS.iter().map(|k| (*k, kind_label(t, k))).collect(),
        form,
        errors,
    })
}

/// `GET /contacts/fields`.
pub async fn list_fields(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<impl IntoResponse> {
    cu.require(Role::Admin)?;
    let form = FieldForm {
        kind: "text".into(),
        ..Default::default()
    };
    page(&st, &cu, form, HashMap::new()).await
}

/// The page's words for a refused part of a definition.
pub(crate) fn part_error(t: &'static ContactsTr, part: Part) -> (&'static str, &'static str) {
    match part {
        Part::Key => ("key", t.err_field_key),
        Part::Label => ("label", t.err_field_label),
        Part::Kind => ("kind", t.err_field_kind),
        Part::Options => ("options", t.err_field_options),
    }
}

/// `POST /contacts/fields`: adds a definition (the rules are
/// `af_service::custom_fields`, shared with the form builder).
pub async fn create_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<FieldForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = ct(&cu);
    let new = NewField {
        key: f.key.clone(),
        label: f.label.clone(),
        kind: f.kind.clone(),
        options: f.options.clone(),
    };
    let errors: HashMap<&'static str, &'static str> =
        match field_defs::create_field(&st.db, cu.workspace.id, &new, st.now()).await {
            Ok(_) => {
                set_flash(&cu.session, true, t.field_added).await?;
                return Ok(Redirect::to("/contacts/fields").into_response());
            }
            Err(CreateError::Invalid(parts)) => {
                parts.into_iter().map(|p| part_error(t, p)).collect()
            }
            Err(CreateError::KeyTaken) => HashMap::from([("key", t.err_field_key_taken)]),
            Err(CreateError::Db(e)) => return Err(e.into()),
        };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(&st, &cu, f, errors).await?,
    )
        .into_response())
}

/// `POST /contacts/fields/{id}/delete`.
pub async fn delete_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<FieldId>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let key = custom_fields::list_fields(&st.db, cu.workspace.id)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .map(|f| f.key)
        .ok_or(AppError::NotFound)?;
    let mut tx = st.db.begin().await?;
    // Matches `"field": "custom.key"` and conditions on `contact.custom.key`.
    let needle = format!("custom.{key}\"");
    if let Some(name) =
        af_db::automations::active_workflow_mentioning(&mut tx, cu.workspace.id, &needle).await?
    {
        tx.rollback().await?;
        let msg = ct(&cu).field_in_workflow.replace("{name}", &name);
        set_flash(&cu.session, false, &msg).await?;
        return Ok(Redirect::to("/contacts/fields").into_response());
    }
    if !custom_fields::delete_field(&mut tx, cu.workspace.id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    set_flash(&cu.session, true, ct(&cu).field_deleted).await?;
    Ok(Redirect::to("/contacts/fields").into_response())
}
