//! The "new contact" form. It goes through the upsert rule, so typing the
//! email of an existing contact updates that contact instead of making a
//! twin; invalid input re-renders the form with field errors (422).

use super::{contacts_js, ct};
use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::i18n::contacts::ContactsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::contact::{normalize_phone, tag_name};
use af_core::validate;
use af_db::DbError;
use af_db::contacts::{self, ContactInput};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;

/// Longest name, company or source accepted.
pub(super) const MAX_TEXT: usize = 200;

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewContactForm {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    company: String,
    source: String,
    tags: String,
}

pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub value: String,
    pub input_type: &'static str,
    pub hint: Option<String>,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "contacts/new.html")]
struct NewContactPage {
    shell: Shell,
    ct: &'static ContactsTr,
    js: &'static str,
    fields: Vec<FormField>,
    has_errors: bool,
}

type Errors = HashMap<&'static str, String>;

fn form_fields(
    t: &'static ContactsTr,
    f: &NewContactForm,
    country: &str,
    errors: &Errors,
) -> Vec<FormField> {
    let field = |name, label, value: &str, input_type, hint: Option<String>| FormField {
        name,
        label,
        value: value.to_string(),
        input_type,
        hint,
        error: errors.get(name).cloned(),
    };
    vec![
        field("first_name", t.first_name, &f.first_name, "text", None),
        field("last_name", t.last_name, &f.last_name, "text", None),
        field("email", t.email, &f.email, "email", None),
        field(
            "phone",
            t.phone,
            &f.phone,
            "tel",
            Some(t.phone_hint.replace("{country}", country)),
        ),
        field("company", t.company, &f.company, "text", None),
        field("source", t.source, &f.source, "text", None),
        field("tags", t.tags_hint, &f.tags, "text", None),
    ]
}

/// Trimmed optional text of at most [`MAX_TEXT`] characters.
pub(super) fn short_text(raw: &str) -> Result<Option<String>, ()> {
    let s = raw.trim();
    if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
        return Err(());
    }
    Ok(Some(s.to_string()).filter(|s| !s.is_empty()))
}

fn validate_form(
    t: &'static ContactsTr,
    f: &NewContactForm,
    country: &str,
) -> Result<ContactInput, Errors> {
    let mut errors = Errors::new();
    let mut text = |name: &'static str, raw: &str| {
        short_text(raw)
            .map_err(|_| errors.insert(name, t.err_too_long.into()))
            .ok()
            .flatten()
    };
    let first_name = text("first_name", &f.first_name);
    let last_name = text("last_name", &f.last_name);
    let company = text("company", &f.company);
    let source = text("source", &f.source);
    let email = match f.email.trim() {
        "" => None,
        raw => validate::email(raw)
            .map_err(|_| errors.insert("email", t.err_email.into()))
            .ok(),
    };
    let phone = match f.phone.trim() {
        "" => None,
        raw => normalize_phone(raw, country)
            .map_err(|_| errors.insert("phone", t.err_phone.replace("{country}", country)))
            .ok(),
    };
    let mut tags = Vec::new();
    for raw in f.tags.split(',').filter(|s| !s.trim().is_empty()) {
        match tag_name(raw) {
            Ok(tag) => tags.push(tag),
            Err(_) => {
                errors.insert("tags", t.err_tag.into());
            }
        }
    }
    if first_name.is_none()
        && last_name.is_none()
        && f.email.trim().is_empty()
        && f.phone.trim().is_empty()
    {
        errors.insert("first_name", t.err_name_or_contact.into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ContactInput {
        first_name: first_name.unwrap_or_default(),
        last_name: last_name.unwrap_or_default(),
        email,
        phone,
        company,
        source,
        tags,
        ..Default::default()
    })
}

/// Field errors for a unique index hit: the email or phone belongs to
/// another contact than the one the upsert rule matched.
pub(super) fn unique_field(e: &DbError) -> Option<&'static str> {
    let c = e.unique_violation()?;
    if c.contains("email") {
        Some("email")
    } else if c.contains("phone") {
        Some("phone")
    } else {
        None
    }
}

/// `GET /contacts/new`.
pub async fn new_contact_page(cu: CurrentUser) -> AppResult<impl IntoResponse> {
    let t = ct(&cu);
    Ok(NewContactPage {
        fields: form_fields(
            t,
            &NewContactForm::default(),
            &cu.workspace.country,
            &Errors::new(),
        ),
        has_errors: false,
        shell: Shell::new(&cu, Area::Contacts).await?,
        js: contacts_js(),
        ct: t,
    })
}

/// `POST /contacts`: creates (or, by the upsert rule, updates) a contact.
pub async fn create_contact(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewContactForm>,
) -> AppResult<Response> {
    let t = ct(&cu);
    let country = cu.workspace.country.clone();
    let invalid = |shell: Shell, errors: Errors| {
        let page = NewContactPage {
            fields: form_fields(t, &f, &country, &errors),
            has_errors: true,
            shell,
            js: contacts_js(),
            ct: t,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let input = match validate_form(t, &f, &country) {
        Ok(i) => i,
        Err(errors) => return invalid(Shell::new(&cu, Area::Contacts).await?, errors),
    };
    let mut tx = st.db.begin().await?;
    let up = match contacts::upsert_contact(&mut tx, cu.workspace.id, &input, &cu.actor(), st.now())
        .await
    {
        Ok(up) => up,
        Err(e) => {
            drop(tx);
            return match unique_field(&e) {
                Some("email") => invalid(
                    Shell::new(&cu, Area::Contacts).await?,
                    Errors::from([("email", t.err_email_taken.into())]),
                ),
                Some(_) => invalid(
                    Shell::new(&cu, Area::Contacts).await?,
                    Errors::from([("phone", t.err_phone_taken.into())]),
                ),
                None => Err(AppError::from(e)),
            };
        }
    };
    tx.commit().await?;
    let message = if up.created {
        t.contact_created
    } else {
        t.contact_merged
    };
    set_flash(&cu.session, true, message).await?;
    Ok(Redirect::to(&format!("/contacts/{}", up.contact.id)).into_response())
}
