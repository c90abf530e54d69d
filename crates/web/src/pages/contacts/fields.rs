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
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

const KINDS: [&str; 4] = ["text", "number", "date", "select"];

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

fn kind_label(t: &ContactsTr, kind: &str) -> &'static str {
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

/// A definition's validated parts: (key, label, kind, options).
type Valid = (String, String, String, Vec<String>);

fn validate_field(
    t: &'static ContactsTr,
    f: &FieldForm,
) -> Result<Valid, HashMap<&'static str, &'static str>> {
    let mut errors = HashMap::new();
    let key = f.key.trim().to_string();
    let key_ok = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !key_ok {
        errors.insert("key", t.err_field_key);
    }
    let label = f.label.trim().to_string();
    if label.is_empty() || label.chars().count() > 80 || label.chars().any(char::is_control) {
        errors.insert("label", t.err_field_label);
    }
    let kind = f.kind.trim().to_string();
    if !KINDS.contains(&kind.as_str()) {
        errors.insert("kind", t.err_field_kind);
    }
    let mut options: Vec<String> = Vec::new();
    if kind == "select" {
        for o in f
            .options
            .split([',', '\n'])
            .map(str::trim)
            .filter(|o| !o.is_empty())
        {
            if !options.iter().any(|x| x == o) {
                options.push(o.to_string());
            }
        }
        let bad = options.is_empty()
            || options.len() > 50
            || options
                .iter()
                .any(|o| o.chars().count() > 80 || o.chars().any(char::is_control));
        if bad {
            errors.insert("options", t.err_field_options);
        }
    }
    if errors.is_empty() {
        Ok((key, label, kind, options))
    } else {
        Err(errors)
    }
}

/// `POST /contacts/fields`: adds a definition.
pub async fn create_field(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<FieldForm>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let t = ct(&cu);
    let (key, label, kind, options) = match validate_field(t, &f) {
        Ok(v) => v,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&st, &cu, f, errors).await?,
            )
                .into_response());
        }
    };
    let mut tx = st.db.begin().await?;
    match custom_fields::insert_field(
        &mut tx,
        cu.workspace.id,
        &key,
        &label,
        &kind,
        &options,
        st.now(),
    )
    .await
    {
        Ok(_) => {}
        Err(e) if e.unique_violation().is_some() => {
            drop(tx);
            let errors = HashMap::from([("key", t.err_field_key_taken)]);
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(&st, &cu, f, errors).await?,
            )
                .into_response());
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    set_flash(&cu.session, true, t.field_added).await?;
    Ok(Redirect::to("/contacts/fields").into_response())
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
