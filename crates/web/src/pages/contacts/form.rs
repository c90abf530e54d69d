//! The "new contact" form. It goes through the upsert rule, so typing the
//! email of an existing contact updates that contact instead of making a
//! twin; invalid input re-renders the form with field errors (422).

use super::{contacts_js, ct};
use crate::auth::{CurrentUser, set_flash};
use crate::error::AppResult;
use crate::i18n::contacts::ContactsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::contact_input::{ContactError, ContactField, Problem, RawContact};
use af_db::DbError;
use af_db::custom_fields::FieldDef;
use af_service::intake::IntakeError;
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

/// The form as the one contact input (`af_core::contact_input`).
fn raw_contact(f: &NewContactForm) -> RawContact {
    RawContact {
        first_name: Some(f.first_name.clone()),
        last_name: Some(f.last_name.clone()),
        email: Some(f.email.clone()),
        phone: Some(f.phone.clone()),
        company: Some(f.company.clone()),
        source: Some(f.source.clone()),
        tags: f
            .tags
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
            .collect(),
        ..Default::default()
    }
}

/// The validator's errors in the user's words, on this form's inputs.
fn form_errors(t: &'static ContactsTr, errors: &[ContactError], country: &str) -> Errors {
    let mut out = Errors::new();
    for e in errors {
        let (field, message) = match (&e.field, e.problem) {
            (_, Problem::NoContactPoint) => ("first_name", t.err_name_or_contact.to_string()),
            (_, Problem::Email) => ("email", t.err_email.to_string()),
            (_, Problem::Phone) => ("phone", t.err_phone.replace("{country}", country)),
            (_, Problem::Tag) => ("tags", t.err_tag.to_string()),
            (ContactField::LastName, _) => ("last_name", t.err_too_long.to_string()),
            (ContactField::Company, _) => ("company", t.err_too_long.to_string()),
            (ContactField::Source, _) => ("source", t.err_too_long.to_string()),
            _ => ("first_name", t.err_too_long.to_string()),
        };
        out.entry(field).or_insert(message);
    }
    out
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
    let defs: [FieldDef; 0] = [];
    let up = match af_service::intake::create_contact(
        &st.db,
        &cu.workspace,
        &defs,
        &raw_contact(&f),
        &cu.actor(),
        st.now(),
    )
    .await
    {
        Ok(up) => up,
        Err(IntakeError::Invalid(errors)) => {
            let errors = form_errors(t, &errors, &country);
            return invalid(Shell::new(&cu, Area::Contacts).await?, errors);
        }
        Err(IntakeError::Taken(ContactField::Email)) => {
            return invalid(
                Shell::new(&cu, Area::Contacts).await?,
                Errors::from([("email", t.err_email_taken.into())]),
            );
        }
        Err(IntakeError::Taken(_)) => {
            return invalid(
                Shell::new(&cu, Area::Contacts).await?,
                Errors::from([("phone", t.err_phone_taken.into())]),
            );
        }
        Err(IntakeError::Db(e)) => return Err(e.into()),
    };
    let message = if up.created {
        t.contact_created
    } else {
        t.contact_merged
    };
    set_flash(&cu.session, true, message).await?;
    Ok(Redirect::to(&format!("/contacts/{}", up.contact.id)).into_response())
}
