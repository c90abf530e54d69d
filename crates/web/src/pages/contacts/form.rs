//! The "new contact" form. An email or phone that already belongs to a
//! contact (matched as the upsert rule matches) writes nothing: the form
//! comes back asking whether to open that contact or update it with the
//! typed values (showing what would change); only the confirmation
//! (`update_existing=<its id>`) updates it. Invalid input re-renders the
//! form with field errors (422).

use super::{contacts_js, ct};
use crate::auth::{CurrentUser, set_flash};
use crate::error::AppResult;
use crate::i18n::contacts::ContactsTr;
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::ContactId;
use af_core::contact_input::{ContactError, ContactField, Problem, RawContact};
use af_db::DbError;
use af_db::contacts::{self, Contact, FieldChange};
use af_db::custom_fields::FieldDef;
use af_service::intake::{IntakeError, PageSave};
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
    /// The contact the person chose to update (the prompt's second button).
    update_existing: String,
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
    duplicate: Option<DuplicateView>,
    /// A notice above the form (a confirmation that no longer applies).
    notice: Option<&'static str>,
}

/// The prompt shown when the email or phone belongs to a contact.
pub struct DuplicateView {
    pub id: ContactId,
    pub title: String,
    pub stale: bool,
    pub changes: Vec<ChangeRow>,
    /// The typed values, re-posted with the confirmation.
    pub hidden: Vec<(&'static str, String)>,
}

pub struct ChangeRow {
    pub label: &'static str,
    pub current: String,
    pub new: String,
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
        duplicate: None,
        notice: None,
        shell: Shell::new(&cu, Area::Contacts).await?,
        js: contacts_js(),
        ct: t,
    })
}

/// The typed values, as hidden inputs of the confirmation form.
fn hidden_values(f: &NewContactForm) -> Vec<(&'static str, String)> {
    vec![
        ("first_name", f.first_name.clone()),
        ("last_name", f.last_name.clone()),
        ("email", f.email.clone()),
        ("phone", f.phone.clone()),
        ("company", f.company.clone()),
        ("source", f.source.clone()),
        ("tags", f.tags.clone()),
    ]
}

/// The prompt for an existing contact: what an update would change, in the
/// user's words (phones as the contact page shows them).
async fn duplicate_view(
    st: &AppState,
    cu: &CurrentUser,
    t: &'static ContactsTr,
    f: &NewContactForm,
    existing: &Contact,
    changes: &[FieldChange],
    stale: bool,
) -> AppResult<DuplicateView> {
    let empty = |v: &str| {
        if v.is_empty() {
            t.dup_empty.to_string()
        } else {
            v.to_string()
        }
    };
    let phone = |v: &str| {
        if v.is_empty() {
            t.dup_empty.to_string()
        } else {
            af_core::phone::display(v, &cu.workspace.country)
        }
    };
    let mut rows: Vec<ChangeRow> = changes
        .iter()
        .map(|c| {
            let (label, current, new) = match c.field {
                "first_name" => (t.first_name, empty(&c.current), empty(&c.new)),
                "last_name" => (t.last_name, empty(&c.current), empty(&c.new)),
                "email" => (t.email, empty(&c.current), empty(&c.new)),
                "other_email" => (t.dup_other_email, empty(&c.current), empty(&c.new)),
                "phone" => (t.phone, phone(&c.current), phone(&c.new)),
                "company" => (t.company, empty(&c.current), empty(&c.new)),
                _ => (t.source, empty(&c.current), empty(&c.new)),
            };
            ChangeRow {
                label,
                current,
                new,
            }
        })
        .collect();
    // Tags are only ever added by an update.
    let has: Vec<String> = contacts::tags_of(&st.db, cu.workspace.id, &[existing.id])
        .await?
        .into_iter()
        .map(|(_, name)| af_core::contact::tag_key(&name))
        .collect();
    let new_tags: Vec<&str> = f
        .tags
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !has.contains(&af_core::contact::tag_key(s)))
        .collect();
    if !new_tags.is_empty() {
        rows.push(ChangeRow {
            label: t.dup_tags,
            current: String::new(),
            new: new_tags.join(", "),
        });
    }
    let name = existing.full_name();
    let name = if name.trim().is_empty() {
        existing
            .email
            .clone()
            .or_else(|| existing.phone.clone())
            .unwrap_or_default()
    } else {
        name
    };
    Ok(DuplicateView {
        id: existing.id,
        title: t.dup_title.replace("{name}", &name),
        stale,
        changes: rows,
        hidden: hidden_values(f),
    })
}

/// `POST /contacts`: creates a contact, or asks before touching the one
/// that already has this email or phone (see the module note).
pub async fn create_contact(
    State(st): State<AppState>,
    cu: CurrentUser,
    Form(f): Form<NewContactForm>,
) -> AppResult<Response> {
    let t = ct(&cu);
    let country = cu.workspace.country.clone();
    let page = |shell: Shell, errors: Errors, duplicate, notice| NewContactPage {
        fields: form_fields(t, &f, &country, &errors),
        has_errors: !errors.is_empty(),
        duplicate,
        notice,
        shell,
        js: contacts_js(),
        ct: t,
    };
    // A confirmation that is not an id confirms nothing: it is treated as
    // one for a contact that does not match (the prompt comes back).
    let confirm = match f.update_existing.trim() {
        "" => None,
        raw => Some(
            raw.parse::<ContactId>()
                .unwrap_or(ContactId(uuid::Uuid::nil())),
        ),
    };
    let defs: [FieldDef; 0] = [];
    let saved = af_service::intake::create_or_ask(
        &st.db,
        &cu.workspace,
        &defs,
        &raw_contact(&f),
        confirm,
        &cu.actor(),
        st.now(),
    )
    .await;
    let invalid = |errors: Errors| async {
        let shell = Shell::new(&cu, Area::Contacts).await?;
        AppResult::Ok(
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                page(shell, errors, None, None),
            )
                .into_response(),
        )
    };
    let (up, message) = match saved {
        Ok(PageSave::Created(up)) => (up, t.contact_created),
        Ok(PageSave::Updated(up)) => (up, t.contact_merged),
        Ok(PageSave::Exists {
            existing,
            changes,
            stale,
        }) => {
            let dup = duplicate_view(&st, &cu, t, &f, &existing, &changes, stale).await?;
            let shell = Shell::new(&cu, Area::Contacts).await?;
            let status = StatusCode::CONFLICT;
            return Ok((status, page(shell, Errors::new(), Some(dup), None)).into_response());
        }
        Ok(PageSave::NoLongerMatches) => {
            let shell = Shell::new(&cu, Area::Contacts).await?;
            let status = StatusCode::CONFLICT;
            let notice = Some(t.dup_gone);
            return Ok((status, page(shell, Errors::new(), None, notice)).into_response());
        }
        Err(IntakeError::Invalid(errors)) => {
            return invalid(form_errors(t, &errors, &country)).await;
        }
        Err(IntakeError::Taken(ContactField::Email)) => {
            return invalid(Errors::from([("email", t.err_email_taken.into())])).await;
        }
        Err(IntakeError::Taken(_)) => {
            return invalid(Errors::from([("phone", t.err_phone_taken.into())])).await;
        }
        Err(IntakeError::Db(e)) => return Err(e.into()),
    };
    set_flash(&cu.session, true, message).await?;
    Ok(Redirect::to(&format!("/contacts/{}", up.contact.id)).into_response())
}
