//! Lead-capture forms: their definitions (fields, styling, where leads
//! go) and what a submission must satisfy (the same rules embed.js applies
//! as the visitor types), mapped onto the one contact input and its
//! validator. Pure: no database, no HTTP.
//!
//! Everything here treats its input as hostile: lengths are capped, values
//! are checked against the form, and nothing is echoed unescaped.

use af_core::contact::{normalize_phone, tag_name};
use af_core::contact_input::{
    ContactError, ContactField, ContactInput, CustomFieldDef, Problem, RawContact, RawUtm,
    validate_contact,
};
use af_core::{Locale, PipelineId, StageId, validate};
use af_db::forms::{Form, FormInput};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest value of a one-line field, and of a textarea.
pub const MAX_TEXT: usize = 500;
pub const MAX_TEXTAREA: usize = 5000;
/// Name of the consent checkbox.
pub const CONSENT: &str = "_consent";
/// Attribution keys a submission may carry besides its fields.
pub const ATTRIBUTION_KEYS: [&str; 7] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "referrer",
    "landing_page",
];

pub const FIELD_TYPES: [&str; 7] = [
    "text", "email", "phone", "select", "textarea", "checkbox", "hidden",
];

/// One field of a form.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder_en: Option<String>,
    #[serde(default)]
    pub required: bool,
    /// Choices of a select.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Fixed value of a hidden field (a URL parameter of the same name wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl FieldSpec {
    pub fn label_in(&self, locale: Locale) -> &str {
        match (locale, &self.label_en) {
            (Locale::En, Some(l)) if !l.is_empty() => l,
            _ if !self.label.is_empty() => &self.label,
            _ => &self.name,
        }
    }

    pub fn placeholder_in(&self, locale: Locale) -> &str {
        match (locale, &self.placeholder_en) {
            (Locale::En, Some(p)) if !p.is_empty() => p,
            _ => self.placeholder.as_deref().unwrap_or(""),
        }
    }

    pub fn max_len(&self) -> usize {
        if self.kind == "textarea" {
            MAX_TEXTAREA
        } else {
            MAX_TEXT
        }
    }
}

/// How a form looks. Every value is checked, so it can go into a style
/// attribute without letting CSS (or anything else) in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Styling {
    pub primary_color: String,
    pub text_color: String,
    pub background_color: String,
    /// system, serif or mono.
    pub font: String,
    /// Corner radius in pixels, 0..=24.
    pub radius: u8,
    pub button_text: Option<String>,
    pub button_text_en: Option<String>,
}

impl Default for Styling {
    fn default() -> Self {
        Self {
            primary_color: "#4f46e5".into(),
            text_color: "#111827".into(),
            background_color: "#ffffff".into(),
            font: "system".into(),
            radius: 6,
            button_text: None,
            button_text_en: None,
        }
    }
}

pub const FONTS: [&str; 3] = ["system", "serif", "mono"];

impl Styling {
    pub fn font_stack(&self) -> &'static str {
        match self.font.as_str() {
            "serif" => "Georgia, 'Times New Roman', serif",
            "mono" => "ui-monospace, Menlo, Consolas, monospace",
            _ => "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        }
    }

    pub fn button_in(&self, locale: Locale, default: &'static str) -> String {
        let t = match (locale, &self.button_text_en) {
            (Locale::En, Some(b)) if !b.is_empty() => Some(b.clone()),
            _ => self.button_text.clone().filter(|b| !b.is_empty()),
        };
        t.unwrap_or_else(|| default.to_string())
    }

    fn check(&self, errors: &mut Vec<(String, String)>) {
        for (k, v) in [
            ("styling.primary_color", &self.primary_color),
            ("styling.text_color", &self.text_color),
            ("styling.background_color", &self.background_color),
        ] {
            if !is_hex_color(v) {
                errors.push((k.into(), format!("{k} must be a colour like #4f46e5")));
            }
        }
        if !FONTS.contains(&self.font.as_str()) {
            errors.push((
                "styling.font".into(),
                "styling.font must be system, serif or mono".into(),
            ));
        }
        if self.radius > 24 {
            errors.push((
                "styling.radius".into(),
                "styling.radius must be between 0 and 24".into(),
            ));
        }
        for b in [&self.button_text, &self.button_text_en]
            .into_iter()
            .flatten()
        {
            if b.chars().count() > 60 {
                errors.push((
                    "styling.button_text".into(),
                    "button text must have at most 60 characters".into(),
                ));
            }
        }
    }
}

pub fn is_hex_color(v: &str) -> bool {
    v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A form as sent by the API or the builder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawForm {
    pub name: String,
    pub fields: Vec<FieldSpec>,
    pub styling: Option<Styling>,
    pub success_message: Option<String>,
    pub redirect_url: Option<String>,
    pub pipeline_id: Option<Uuid>,
    pub stage_id: Option<Uuid>,
    pub tags: Vec<String>,
    pub consent_text: Option<String>,
    pub active: Option<bool>,
}

fn opt_text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn valid_field_name(n: &str) -> bool {
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && n.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Validates a form definition; errors are `(field, message)` pairs.
pub fn validate_form(raw: &RawForm) -> Result<FormInput, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let name = raw.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(("name".into(), "name must have 1 to 120 characters".into()));
    }
    if raw.fields.is_empty() || raw.fields.len() > 30 {
        errors.push(("fields".into(), "a form needs 1 to 30 fields".into()));
    }
    let mut seen = std::collections::HashSet::new();
    let mut fields = Vec::new();
    for (i, f) in raw.fields.iter().enumerate() {
        let at = format!("fields[{i}]");
        let mut f = f.clone();
        f.name = f.name.trim().to_string();
        if !valid_field_name(&f.name) {
            errors.push((
                format!("{at}.name"),
                format!("{at}.name must be lower-case letters, digits and _ (starting with a letter, up to 40)"),
            ));
        } else if ATTRIBUTION_KEYS.contains(&f.name.as_str()) && f.kind != "hidden" {
            errors.push((
                format!("{at}.name"),
                format!("{at}.name {} is reserved for attribution", f.name),
            ));
        } else if !seen.insert(f.name.clone()) {
            errors.push((
                format!("{at}.name"),
                format!("{at}.name {} is used twice", f.name),
            ));
        }
        if !FIELD_TYPES.contains(&f.kind.as_str()) {
            errors.push((
                format!("{at}.type"),
                format!("{at}.type must be one of {}", FIELD_TYPES.join(", ")),
            ));
        }
        f.label = f.label.trim().to_string();
        for (k, v) in [
            ("label", Some(&f.label)),
            ("label_en", f.label_en.as_ref()),
            ("placeholder", f.placeholder.as_ref()),
            ("placeholder_en", f.placeholder_en.as_ref()),
            ("value", f.value.as_ref()),
        ] {
            if v.is_some_and(|v| v.chars().count() > 200) {
                errors.push((
                    format!("{at}.{k}"),
                    format!("{at}.{k} must have at most 200 characters"),
                ));
            }
        }
        if f.kind == "select" {
            f.options = f
                .options
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            if f.options.is_empty()
                || f.options.len() > 50
                || f.options.iter().any(|o| o.chars().count() > 200)
            {
                errors.push((
                    format!("{at}.options"),
                    format!("{at}.options: a select needs 1 to 50 choices of up to 200 characters"),
                ));
            }
        } else {
            f.options.clear();
        }
        fields.push(f);
    }
    let styling = raw.styling.clone().unwrap_or_default();
    styling.check(&mut errors);
    let success_message = opt_text(&raw.success_message);
    if success_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > 1000)
    {
        errors.push((
            "success_message".into(),
            "success_message must have at most 1000 characters".into(),
        ));
    }
    let redirect_url = opt_text(&raw.redirect_url);
    if let Some(u) = &redirect_url
        && (!(u.starts_with("https://") || u.starts_with("http://"))
            || u.len() > 500
            || u.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        errors.push((
            "redirect_url".into(),
            "redirect_url must be an http:// or https:// address".into(),
        ));
    }
    let consent_text = opt_text(&raw.consent_text);
    if consent_text
        .as_ref()
        .is_some_and(|m| m.chars().count() > 1000)
    {
        errors.push((
            "consent_text".into(),
            "consent_text must have at most 1000 characters".into(),
        ));
    }
    let mut tags = Vec::new();
    for t in raw.tags.iter().take(20) {
        match tag_name(t) {
            Ok(t) => tags.push(t),
            Err(m) => errors.push(("tags".into(), m)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FormInput {
        name,
        fields: serde_json::to_value(&fields).unwrap_or_default(),
        styling: serde_json::to_value(&styling).unwrap_or_default(),
        success_message,
        redirect_url,
        pipeline_id: raw.pipeline_id.map(PipelineId),
        stage_id: raw.stage_id.map(StageId),
        tags,
        consent_text,
        active: raw.active.unwrap_or(true),
    })
}

/// The stored fields of a form.
pub fn fields_of(form: &Form) -> Vec<FieldSpec> {
    serde_json::from_str(&form.fields).unwrap_or_default()
}

/// The stored styling of a form.
pub fn styling_of(form: &Form) -> Styling {
    serde_json::from_str(&form.styling).unwrap_or_default()
}

// ------------------------------------------------------------ submissions

fn checked(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "on" | "true" | "1" | "yes" | "si" | "sí"
    )
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
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let specs = fields_of(form);
    let mut errors = Vec::new();
    let mut data = serde_json::Map::new();
    let mut raw = RawContact::default();
    // Which form field filled each contact field, to name it in errors.
    let mut origin: Vec<(ContactField, String)> = Vec::new();
    for f in &specs {
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
            _ => {}
        }
        data.insert(f.name.clone(), serde_json::Value::String(v.clone()));
        let (field, slot) = match (f.name.as_str(), f.kind.as_str()) {
            ("first_name" | "nombre_pila", _) => (ContactField::FirstName, &mut raw.first_name),
            ("last_name" | "apellido" | "apellidos", _) => {
                (ContactField::LastName, &mut raw.last_name)
            }
            ("name" | "nombre" | "full_name", _) => (ContactField::Name, &mut raw.name),
            (_, "email") | ("email" | "correo", _) => (ContactField::Email, &mut raw.email),
            (_, "phone") | ("phone" | "telefono" | "whatsapp", _) => {
                (ContactField::Phone, &mut raw.phone)
            }
            ("company" | "empresa", _) => (ContactField::Company, &mut raw.company),
            (key, _) if defs.iter().any(|d| d.key() == key) => {
                raw.custom
                    .insert(key.to_string(), serde_json::Value::String(v));
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
            origin.push((field, f.name.clone()));
        }
    }
    let consented = form.consent_text.is_some() && get(CONSENT).is_some_and(checked);
    if form.consent_text.is_some() && !consented {
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
    raw.source = Some(clean(&form.name, false, af_core::contact_input::MAX_SOURCE));
    raw.tags = form.tag_list();
    if !errors.is_empty() {
        return Err(errors);
    }
    let input = validate_contact(&raw, country, defs).map_err(|errs| {
        errs.into_iter()
            .map(|e| submit_error(&specs, &origin, e))
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

/// A contact error as the form shows it: on the form's own field where
/// there is one.
fn submit_error(
    specs: &[FieldSpec],
    origin: &[(ContactField, String)],
    e: ContactError,
) -> SubmitError {
    let email_field = || {
        specs
            .iter()
            .find(|f| f.kind == "email" || f.name == "email")
            .map(|f| f.name.clone())
    };
    let field = match &e.field {
        ContactField::Custom(k) => Some(k.clone()),
        f => origin
            .iter()
            .find(|(c, _)| c == f)
            .map(|(_, name)| name.clone()),
    };
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
    use af_core::contact_input::NO_CUSTOM_FIELDS;
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
        let input = validate_form(&raw).expect("a valid form");
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
    fn form_definitions_are_checked() {
        let bad: RawForm = serde_json::from_value(json!({
            "name": " ",
            "fields": [{"name": "Bad Name", "type": "file"}],
            "styling": {"primary_color": "red;}</style>"},
            "redirect_url": "javascript:alert(1)"
        }))
        .expect("parses");
        let fields: Vec<String> = validate_form(&bad)
            .expect_err("invalid")
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "fields[0].name",
                "fields[0].type",
                "styling.primary_color",
                "redirect_url"
            ]
        );
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
}
