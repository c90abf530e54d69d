//! What a form submission must satisfy (the same rules embed.js applies
//! as the visitor types), and its mapping onto the one contact input and
//! its validator. Pure: no database, no HTTP.
//!
//! Everything here treats its input as hostile: lengths are capped, values
//! are checked against the form, and nothing is echoed unescaped.

pub use crate::forms::contact_field_of;
use crate::forms::{CONSENT, FieldSpec, MAX_TEXT, MapsTo, fields_of};
use af_core::contact::normalize_phone;
use af_core::contact_input::{
    ContactError, ContactField, ContactInput, CustomFieldDef, NO_CUSTOM_FIELDS, Problem,
    RawContact, RawUtm, check_custom_value, validate_contact,
};
use af_core::validate;
use af_db::forms::Form;

fn checked(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "on" | "true" | "1" | "yes" | "si" | "sí"
    )
}

/// A finite decimal number as a person types it (`12`, `-3.5`).
fn is_number(v: &str) -> bool {
    v.len() <= 30 && v.parse::<f64>().is_ok_and(f64::is_finite)
}

fn clean(v: &str, keep_newlines: bool, max: usize) -> String {
    v.trim()
        .chars()
        .filter(|c| !c.is_control() || (keep_newlines && (*c == '\n')))
        .take(max + 1)
        .collect()
}

/// Why a submitted field was refused; each door words it in the visitor's
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitProblem {
    Required,
    TooLong,
    InvalidEmail,
    InvalidPhone,
    InvalidChoice,
    /// Saved to a number custom field, and not a number.
    InvalidNumber,
    /// Saved to a date custom field, and not a date (2026-03-31).
    InvalidDate,
    ConsentRequired,
    /// Neither a name, an email nor a phone.
    NeedContact,
    /// Anything else the contact validator refused (English).
    Other(String),
}

/// A refused field of a submission, named as the form names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitError {
    pub field: String,
    pub problem: SubmitProblem,
}

impl SubmitError {
    fn new(field: &str, problem: SubmitProblem) -> Self {
        SubmitError {
            field: field.to_string(),
            problem,
        }
    }
}

/// A submission that passed validation.
#[derive(Debug, Clone)]
pub struct ValidSubmission {
    pub input: ContactInput,
    /// The form's fields and their values, for the submission and event.
    pub data: serde_json::Map<String, serde_json::Value>,
    pub attribution: serde_json::Value,
    pub consented: bool,
}

/// Checks a submission against its form (the same rules embed.js applies
/// in the browser) and maps it onto a contact through the one contact
/// validator; phones are read in `country` (the workspace's).
pub fn validate_submission<D: CustomFieldDef>(
    country: &str,
    defs: &[D],
    form: &Form,
    values: &[(String, String)],
) -> Result<ValidSubmission, Vec<SubmitError>> {
    let specs = fields_of(form);
    let asks = Asked {
        specs: &specs,
        consent_required: form.consent_text.is_some(),
        source: &form.name,
        tags: form.tag_list(),
    };
    validate_answers(country, defs, &asks, values)
}

/// What a visitor is asked and what her answers carry: a form's fields, or
/// a booking calendar's fixed fields and questions.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    pub specs: &'a [FieldSpec],
    /// The consent box ([`CONSENT`]) must be ticked.
    pub consent_required: bool,
    /// The contact's source (the form's or calendar's name: the
    /// workspace's own text).
    pub source: &'a str,
    pub tags: Vec<String>,
}

/// Checks answers (`values`: name/value pairs as a form posts them; a
/// multiselect's name repeats) against what was asked, and maps them onto
/// a contact through the one contact validator.
pub fn validate_answers<D: CustomFieldDef>(
    country: &str,
    defs: &[D],
    asks: &Asked<'_>,
    values: &[(String, String)],
) -> Result<ValidSubmission, Vec<SubmitError>> {
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let specs = asks.specs;
    let mut errors = Vec::new();
    let mut data = serde_json::Map::new();
    let mut raw = RawContact::default();
    // Which form field filled each contact field, to name it in errors.
    let mut origin: Vec<(ContactField, String)> = Vec::new();
    for f in specs {
        let given = get(&f.name).or(if f.kind == "hidden" {
            f.value.as_deref()
        } else {
            None
        });
        let v = clean(given.unwrap_or(""), f.kind == "textarea", f.max_len());
        if f.kind == "checkbox" {
            let on = checked(&v);
            if f.required && !on {
                errors.push(SubmitError::new(&f.name, SubmitProblem::Required));
            }
            data.insert(f.name.clone(), serde_json::Value::Bool(on));
            continue;
        }
        if f.kind == "multiselect" {
            let chosen: Vec<String> = values
                .iter()
                .filter(|(n, _)| *n == f.name)
                .map(|(_, v)| clean(v, false, MAX_TEXT))
                .filter(|v| !v.is_empty())
                .take(f.options.len().max(1) + 1)
                .collect();
            if chosen.iter().any(|v| !f.options.contains(v)) {
                errors.push(SubmitError::new(&f.name, SubmitProblem::InvalidChoice));
            } else if chosen.is_empty() && f.required {
                errors.push(SubmitError::new(&f.name, SubmitProblem::Required));
            } else if !chosen.is_empty() {
                data.insert(f.name.clone(), serde_json::Value::from(chosen));
            }
            continue;
        }
        if v.chars().count() > f.max_len() {
            errors.push(SubmitError::new(&f.name, SubmitProblem::TooLong));
            continue;
        }
        if v.is_empty() {
            if f.required {
                errors.push(SubmitError::new(&f.name, SubmitProblem::Required));
            }
            continue;
        }
        match f.kind.as_str() {
            "email" if validate::email(&v).is_err() => {
                errors.push(SubmitError::new(&f.name, SubmitProblem::InvalidEmail));
                continue;
            }
            "phone" if normalize_phone(&v, country).is_err() => {
                errors.push(SubmitError::new(&f.name, SubmitProblem::InvalidPhone));
                continue;
            }
            "select" if !f.options.contains(&v) => {
                errors.push(SubmitError::new(&f.name, SubmitProblem::InvalidChoice));
                continue;
            }
            "number" if !is_number(&v) => {
                errors.push(SubmitError::new(&f.name, SubmitProblem::InvalidNumber));
                continue;
            }
            _ => {}
        }
        let stored = match v.parse::<f64>() {
            Ok(n) if f.kind == "number" => serde_json::Number::from_f64(n).map_or_else(
                || serde_json::Value::String(v.clone()),
                serde_json::Value::Number,
            ),
            _ => serde_json::Value::String(v.clone()),
        };
        data.insert(f.name.clone(), stored);
        let field = match f.target(defs) {
            MapsTo::Nothing => continue,
            MapsTo::Custom(key) => {
                // A custom field deleted since the form was saved: the
                // answer stays in the submission, visitors are not refused.
                let Some(def) = defs.iter().find(|d| d.key() == key) else {
                    continue;
                };
                // Checked here, with the custom field's own rule, so the
                // refusal lands on this form field in the visitor's words.
                match check_custom_value(def, &serde_json::Value::String(v)) {
                    Ok(value) => {
                        let field = ContactField::Custom(key.clone());
                        if !raw.custom.contains_key(&key) {
                            raw.custom.insert(key, value);
                            origin.push((field, f.name.clone()));
                        }
                    }
                    Err(_) => {
                        let problem = match def.kind() {
                            "number" => SubmitProblem::InvalidNumber,
                            "date" => SubmitProblem::InvalidDate,
                            "select" => SubmitProblem::InvalidChoice,
                            _ => SubmitProblem::TooLong,
                        };
                        errors.push(SubmitError::new(&f.name, problem));
                    }
                }
                continue;
            }
            MapsTo::Contact(field) => field,
        };
        let slot = match field {
            ContactField::FirstName => &mut raw.first_name,
            ContactField::LastName => &mut raw.last_name,
            ContactField::Name => &mut raw.name,
            ContactField::Email => &mut raw.email,
            ContactField::Phone => &mut raw.phone,
            ContactField::Company => &mut raw.company,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
            origin.push((field, f.name.clone()));
        }
    }
    let consented = asks.consent_required && get(CONSENT).is_some_and(checked);
    if asks.consent_required && !consented {
        errors.push(SubmitError::new(CONSENT, SubmitProblem::ConsentRequired));
    }
    let attr = |k: &str| {
        get(k)
            .map(|v| clean(v, false, MAX_TEXT))
            .filter(|v| !v.is_empty())
    };
    raw.utm = RawUtm {
        source: attr("utm_source"),
        medium: attr("utm_medium"),
        campaign: attr("utm_campaign"),
        term: attr("utm_term"),
        content: attr("utm_content"),
    };
    raw.referrer = attr("referrer");
    raw.landing_page = attr("landing_page");
    // The form's name is the workspace's own text, not the visitor's: a
    // stray control character in it must not refuse every submission.
    raw.source = Some(clean(
        asks.source,
        false,
        af_core::contact_input::MAX_SOURCE,
    ));
    raw.tags = asks.tags.clone();
    if !errors.is_empty() {
        return Err(errors);
    }
    let input = validate_contact(&raw, country, defs).map_err(|errs| {
        errs.into_iter()
            .map(|e| submit_error(specs, &origin, e))
            .collect::<Vec<_>>()
    })?;
    let attribution = serde_json::to_value(&input.attribution).unwrap_or_default();
    Ok(ValidSubmission {
        input,
        data,
        attribution,
        consented,
    })
}

/// One stored answer of a submission under its field's label.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The field's name (the stored key).
    pub key: String,
    /// The field's label in the reader's language, else its name.
    pub label: String,
    /// The field's type; empty for a key the form no longer has.
    pub kind: String,
    pub value: serde_json::Value,
}

/// A stored submission's answers (`data`, its JSON object) in the form's
/// field order, each under its label in `locale`; keys the form no longer
/// has follow under their own name. Nulls are skipped.
pub fn labelled_answers(form: &Form, data: &str, locale: af_core::Locale) -> Vec<Answer> {
    let map = match serde_json::from_str::<serde_json::Value>(data) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => return vec![],
    };
    let specs = fields_of(form);
    let mut out: Vec<Answer> = specs
        .iter()
        .filter_map(|f| {
            let v = map.get(&f.name).filter(|v| !v.is_null())?;
            Some(Answer {
                key: f.name.clone(),
                label: f.label_in(locale).to_string(),
                kind: f.kind.clone(),
                value: v.clone(),
            })
        })
        .collect();
    out.extend(
        map.iter()
            .filter(|(k, v)| !v.is_null() && !specs.iter().any(|f| &f.name == *k))
            .map(|(k, v)| Answer {
                key: k.clone(),
                label: k.clone(),
                kind: String::new(),
                value: v.clone(),
            }),
    );
    out
}

/// Longest value, and most answers, a one-line summary shows.
const SUMMARY_VALUE_CHARS: usize = 60;
const SUMMARY_ANSWERS: usize = 5;

/// The form's own answers of a `form.submitted` event (its `answers`) in
/// one line: "Presupuesto 20000, Servicio SEO". Fields that fed the
/// contact's own fields (name, email, phone, company: by their `maps_to`,
/// else inferred as the submission was), hidden and empty ones and
/// unticked boxes are left out (answers saved to custom fields stay); a
/// ticked box is its label; long values end in "…".
/// Empty when there is nothing to add (or the event predates `answers`).
pub fn answers_summary(event_data: &serde_json::Value, locale: af_core::Locale) -> String {
    let Some(answers) = event_data.get("answers").and_then(|a| a.as_array()) else {
        return String::new();
    };
    let text = |a: &serde_json::Value, k: &str| {
        a.get(k)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut parts: Vec<String> = answers
        .iter()
        .filter_map(|a| {
            let (name, kind) = (text(a, "name"), text(a, "type"));
            let fed_contact = match a.get("maps_to").and_then(serde_json::Value::as_str) {
                Some(code) => matches!(MapsTo::parse(code), Some(MapsTo::Contact(_))),
                None => contact_field_of(&name, &kind).is_some(),
            };
            if kind == "hidden" || fed_contact {
                return None;
            }
            let label = match (locale, text(a, "label_en"), text(a, "label")) {
                (af_core::Locale::En, en, _) if !en.is_empty() => en,
                (_, _, es) if !es.is_empty() => es,
                _ => name,
            };
            let label = clean(&label, false, SUMMARY_VALUE_CHARS);
            match a.get("value") {
                Some(serde_json::Value::Bool(true)) => Some(label),
                Some(serde_json::Value::String(v)) => {
                    let one_line = v.split_whitespace().collect::<Vec<_>>().join(" ");
                    let v = clean(&one_line, false, SUMMARY_VALUE_CHARS);
                    if v.is_empty() {
                        return None;
                    }
                    let v = if v.chars().count() > SUMMARY_VALUE_CHARS {
                        let cut: String = v.chars().take(SUMMARY_VALUE_CHARS - 1).collect();
                        format!("{}…", cut.trim_end())
                    } else {
                        v
                    };
                    Some(format!("{label} {v}"))
                }
                _ => None,
            }
        })
        .collect();
    if parts.len() > SUMMARY_ANSWERS {
        parts.truncate(SUMMARY_ANSWERS);
        parts.push("…".into());
    }
    parts.join(", ")
}

/// A contact error as the form shows it: on the form's own field where
/// there is one.
fn submit_error(
    specs: &[FieldSpec],
    origin: &[(ContactField, String)],
    e: ContactError,
) -> SubmitError {
    let email_field = || {
        let to_email = MapsTo::Contact(ContactField::Email);
        specs
            .iter()
            .find(|f| f.target(&NO_CUSTOM_FIELDS) == to_email)
            .or_else(|| {
                specs
                    .iter()
                    .find(|f| f.kind == "email" || f.name == "email")
            })
            .map(|f| f.name.clone())
    };
    let field = origin
        .iter()
        .find(|(c, _)| *c == e.field)
        .map(|(_, name)| name.clone());
    let (field, problem) = match e.problem {
        Problem::NoContactPoint => (email_field(), SubmitProblem::NeedContact),
        Problem::TooLong => (field, SubmitProblem::TooLong),
        Problem::Email => (field, SubmitProblem::InvalidEmail),
        Problem::Phone => (field, SubmitProblem::InvalidPhone),
        _ => (field, SubmitProblem::Other(e.message)),
    };
    SubmitError {
        field: field.unwrap_or_else(|| e.field.as_str().into_owned()),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::{MAX_TEXTAREA, RawForm, validate_form};
    use af_db::Ts;
    use serde_json::json;

    fn form(fields: serde_json::Value, consent: Option<&str>) -> Form {
        let raw: RawForm = serde_json::from_value(json!({
            "name": "Landing primavera",
            "fields": fields,
            "tags": ["web"],
            "consent_text": consent,
        }))
        .expect("a raw form");
        let input = validate_form(&raw, &NO_CUSTOM_FIELDS).expect("a valid form");
        let now = Ts::new(jiff::Timestamp::UNIX_EPOCH);
        Form {
            id: af_core::FormId::new(),
            workspace_id: af_core::WorkspaceId::new(),
            name: input.name,
            fields: input.fields.to_string(),
            styling: input.styling.to_string(),
            success_message: None,
            redirect_url: None,
            pipeline_id: None,
            stage_id: None,
            tags: serde_json::to_string(&input.tags).expect("json"),
            consent_text: input.consent_text,
            active: true,
            created_at: now,
            updated_at: now,
        }
    }

    fn contract() -> Form {
        form(
            json!([
                {"name": "nombre", "type": "text", "label": "Nombre", "required": true},
                {"name": "correo", "type": "email", "label": "Correo", "required": false},
                {"name": "whatsapp", "type": "phone", "label": "WhatsApp", "required": false},
                {"name": "servicio", "type": "select", "label": "Servicio", "options": ["SEO", "Ads"]},
                {"name": "mensaje", "type": "textarea", "label": "Mensaje"},
                {"name": "campana", "type": "hidden", "value": "primavera"}
            ]),
            Some("Acepto"),
        )
    }

    fn values(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn problems(form: &Form, pairs: &[(&str, &str)]) -> Vec<(String, SubmitProblem)> {
        validate_submission("MX", &NO_CUSTOM_FIELDS, form, &values(pairs))
            .expect_err("refused")
            .into_iter()
            .map(|e| (e.field, e.problem))
            .collect()
    }

    #[test]
    fn a_submission_becomes_the_one_contact_input() {
        let v = validate_submission(
            "MX",
            &NO_CUSTOM_FIELDS,
            &contract(),
            &values(&[
                ("nombre", " María  López "),
                ("correo", "Maria@Example.com"),
                ("whatsapp", "81 1234 5678"),
                ("servicio", "SEO"),
                ("mensaje", "hola\nqué tal\u{0}"),
                ("_consent", "on"),
                ("utm_source", "google"),
            ]),
        )
        .expect("valid");
        assert_eq!(
            (v.input.first_name.as_str(), v.input.last_name.as_str()),
            ("María", "López")
        );
        assert_eq!(v.input.email.as_deref(), Some("Maria@example.com"));
        assert_eq!(v.input.phone.as_deref(), Some("+528112345678"));
        assert_eq!(v.input.source.as_deref(), Some("Landing primavera"));
        assert_eq!(v.input.tags, ["web"]);
        assert_eq!(v.data["mensaje"], "hola\nqué tal", "textareas keep lines");
        assert_eq!(
            v.data["campana"], "primavera",
            "hidden fields keep their value"
        );
        assert_eq!(v.attribution["utm_source"], "google");
        assert!(v.consented);
    }

    #[test]
    fn answers_read_under_their_labels_and_sum_up_in_one_line() {
        let f = contract();
        let data = r#"{"nombre": "Ana", "servicio": "SEO", "viejo": "x", "mensaje": null}"#;
        let answers = labelled_answers(&f, data, af_core::Locale::Es);
        let labels: Vec<_> = answers.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["Nombre", "Servicio", "viejo"]);
        assert_eq!(answers[2].kind, "", "a key the form no longer has");
        assert!(labelled_answers(&f, "not json", af_core::Locale::Es).is_empty());

        let event = json!({"answers": [
            {"name": "nombre", "type": "text", "label": "Nombre", "value": "Ana"},
            {"name": "correo", "type": "email", "label": "Correo", "value": "a@b.mx"},
            {"name": "presupuesto", "type": "text", "label": "Presupuesto", "label_en": "Budget", "value": "20000"},
            {"name": "servicio", "type": "select", "label": "Servicio", "value": "SEO"},
            {"name": "mensaje", "type": "textarea", "label": "Mensaje", "value": format!("hola\n{}", "x".repeat(100))},
            {"name": "boletin", "type": "checkbox", "label": "Boletín", "value": true},
            {"name": "otro", "type": "checkbox", "label": "Otro", "value": false},
            {"name": "campana", "type": "hidden", "value": "primavera"},
            {"name": "vacio", "type": "text", "label": "Vacío", "value": ""}
        ]});
        let es = answers_summary(&event, af_core::Locale::Es);
        assert!(
            es.starts_with("Presupuesto 20000, Servicio SEO, Mensaje hola xxx"),
            "{es}"
        );
        assert!(es.ends_with("…, Boletín"), "{es}");
        assert!(answers_summary(&event, af_core::Locale::En).starts_with("Budget 20000"));
        assert_eq!(answers_summary(&json!({}), af_core::Locale::Es), "");
    }

    #[test]
    fn refusals_name_the_forms_own_fields() {
        let f = contract();
        assert_eq!(
            problems(
                &f,
                &[
                    ("nombre", ""),
                    ("correo", "nope"),
                    ("servicio", "Otro"),
                    ("mensaje", &"x".repeat(MAX_TEXTAREA + 1)),
                ]
            ),
            [
                ("nombre".to_string(), SubmitProblem::Required),
                ("correo".to_string(), SubmitProblem::InvalidEmail),
                ("servicio".to_string(), SubmitProblem::InvalidChoice),
                ("mensaje".to_string(), SubmitProblem::TooLong),
                (CONSENT.to_string(), SubmitProblem::ConsentRequired),
            ]
        );
        // The contact validator's refusals land on the field that fed it.
        assert_eq!(
            problems(&f, &[("nombre", &"a".repeat(MAX_TEXT)), ("_consent", "on")]),
            [("nombre".to_string(), SubmitProblem::TooLong)]
        );
        assert_eq!(
            problems(&f, &[("nombre", "Eve \u{202e}evE"), ("_consent", "on")])[0].0,
            "nombre"
        );
        // No name, email or phone: said on the email field.
        let optional = form(
            json!([
                {"name": "nombre", "type": "text"},
                {"name": "correo", "type": "email"}
            ]),
            None,
        );
        assert_eq!(
            problems(&optional, &[]),
            [("correo".to_string(), SubmitProblem::NeedContact)]
        );
    }

    fn def(key: &str, kind: &str, options: &[&str]) -> af_db::custom_fields::FieldDef {
        af_db::custom_fields::FieldDef {
            id: af_core::FieldId::new(),
            key: key.into(),
            label: key.into(),
            kind: kind.into(),
            options: serde_json::to_string(options).expect("json"),
            position: 1,
        }
    }

    #[test]
    fn mapped_answers_go_where_the_form_says() {
        let defs = vec![
            def("budget", "number", &[]),
            def("plan", "select", &["Pro", "Basic"]),
        ];
        let raw: RawForm = serde_json::from_value(json!({
            "name": "Leads",
            "fields": [
                {"name": "quien", "type": "text", "maps_to": "name"},
                {"name": "correo", "type": "email", "maps_to": "none"},
                {"name": "contacto", "type": "email", "maps_to": "email"},
                {"name": "monto", "type": "text", "maps_to": "custom:budget"},
                {"name": "paquete", "type": "select", "options": ["Pro"], "maps_to": "custom:plan"},
                {"name": "agencia", "type": "text", "maps_to": "company"}
            ]
        }))
        .expect("raw");
        let input = validate_form(&raw, &defs).expect("valid");
        let mut f = form(json!([{"name": "x", "type": "text"}]), None);
        f.fields = input.fields.to_string();
        let v = validate_submission(
            "MX",
            &defs,
            &f,
            &values(&[
                ("quien", "Ana Ruiz"),
                ("correo", "personal@example.com"),
                ("contacto", "ana@agencia.mx"),
                ("monto", "12,5"),
                ("paquete", "Pro"),
                ("agencia", "Agencia Sol"),
            ]),
        )
        .expect("valid");
        assert_eq!(v.input.first_name, "Ana");
        assert_eq!(
            v.input.email.as_deref(),
            Some("ana@agencia.mx"),
            "none kept out"
        );
        assert_eq!(v.input.company.as_deref(), Some("Agencia Sol"));
        assert_eq!(v.input.custom["budget"], json!(12.5));
        assert_eq!(v.input.custom["plan"], "Pro");
        assert_eq!(
            v.data["correo"], "personal@example.com",
            "kept in the submission"
        );

        // A value the custom field refuses is said on the form's field.
        let refused = validate_submission(
            "MX",
            &defs,
            &f,
            &values(&[("contacto", "ana@agencia.mx"), ("monto", "mucho")]),
        )
        .expect_err("refused");
        assert_eq!(refused[0].field, "monto");
        assert_eq!(refused[0].problem, SubmitProblem::InvalidNumber);

        // A custom field deleted since: the answer stays in the submission.
        let v = validate_submission(
            "MX",
            &defs[1..],
            &f,
            &values(&[("contacto", "ana@agencia.mx"), ("monto", "mucho")]),
        )
        .expect("valid");
        assert!(!v.input.custom.contains_key("budget"));
        assert_eq!(v.data["monto"], "mucho");
    }

    #[test]
    fn the_summary_leaves_out_what_fed_the_contact_by_its_mapping() {
        let event = json!({"answers": [
            {"name": "correo", "type": "email", "label": "Correo", "value": "a@b.mx", "maps_to": "none"},
            {"name": "quien", "type": "text", "label": "Quién", "value": "Ana", "maps_to": "name"},
            {"name": "monto", "type": "text", "label": "Monto", "value": "20", "maps_to": "custom:budget"},
            {"name": "nombre", "type": "text", "label": "Nombre", "value": "Ana"}
        ]});
        assert_eq!(
            answers_summary(&event, af_core::Locale::Es),
            "Correo a@b.mx, Monto 20"
        );
    }
}
