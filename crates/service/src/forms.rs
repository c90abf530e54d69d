//! Lead-capture form definitions: fields, styling, where leads go, and
//! their validation. Pure: no database, no HTTP. What a submission must
//! satisfy is [`crate::submissions`].

use af_core::contact::tag_name;
use af_core::contact_input::{ContactField, CustomFieldDef, check_custom_value};
use af_core::{Locale, PipelineId, StageId};
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
    /// The answer's key (a calendar's stored questions may call it `key`).
    #[serde(alias = "key")]
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
    /// Where the answer is saved on the contact ([`MapsTo`]): `first_name`,
    /// `last_name`, `name`, `email`, `phone`, `company`, `custom:<key>` or
    /// `none` (the submission only). Absent: inferred from the field's name
    /// and type, as forms did before it existed ([`FieldSpec::target`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_to: Option<String>,
}

/// Where a form field's answer is saved on the contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapsTo {
    /// One of the contact's own fields (only those of [`CONTACT_TARGETS`]).
    Contact(ContactField),
    /// The workspace's custom field with this key.
    Custom(String),
    /// Kept in the submission only.
    Nothing,
}

/// The contact fields a form field may fill, by their `maps_to` code.
pub const CONTACT_TARGETS: [(&str, ContactField); 6] = [
    ("first_name", ContactField::FirstName),
    ("last_name", ContactField::LastName),
    ("name", ContactField::Name),
    ("email", ContactField::Email),
    ("phone", ContactField::Phone),
    ("company", ContactField::Company),
];

/// `maps_to` of a field kept in the submission only.
pub const MAPS_TO_NONE: &str = "none";
/// Prefix of a `maps_to` naming a custom field.
pub const MAPS_TO_CUSTOM: &str = "custom:";

impl MapsTo {
    /// Reads a `maps_to` code; None for anything else.
    pub fn parse(code: &str) -> Option<MapsTo> {
        let code = code.trim();
        if code == MAPS_TO_NONE {
            return Some(MapsTo::Nothing);
        }
        if let Some(key) = code.strip_prefix(MAPS_TO_CUSTOM) {
            return (!key.is_empty()).then(|| MapsTo::Custom(key.to_string()));
        }
        CONTACT_TARGETS
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, f)| MapsTo::Contact(f.clone()))
    }

    /// The `maps_to` code of this target.
    pub fn code(&self) -> String {
        match self {
            MapsTo::Contact(f) => f.as_str().into_owned(),
            MapsTo::Custom(k) => format!("{MAPS_TO_CUSTOM}{k}"),
            MapsTo::Nothing => MAPS_TO_NONE.into(),
        }
    }
}

/// How a field without `maps_to` finds its contact field, as forms always
/// did: the first rule whose names hold the field's name, or whose type is
/// the field's type, wins (so `nombre` fills the name even as an email
/// field). The builder receives this table to show where "automatic" goes.
pub const INFERENCE: [(ContactField, &[&str], Option<&str>); 6] = [
    (
        ContactField::FirstName,
        &["first_name", "nombre_pila"],
        None,
    ),
    (
        ContactField::LastName,
        &["last_name", "apellido", "apellidos"],
        None,
    ),
    (ContactField::Name, &["name", "nombre", "full_name"], None),
    (ContactField::Email, &["email", "correo"], Some("email")),
    (
        ContactField::Phone,
        &["phone", "telefono", "whatsapp"],
        Some("phone"),
    ),
    (ContactField::Company, &["company", "empresa"], None),
];

/// The contact field a form field without `maps_to` fills, by its name or
/// its type ([`INFERENCE`]; custom fields aside).
pub fn contact_field_of(name: &str, kind: &str) -> Option<ContactField> {
    INFERENCE
        .iter()
        .find(|(_, names, k)| names.contains(&name) || *k == Some(kind))
        .map(|(f, _, _)| f.clone())
}

/// [`INFERENCE`] as JSON for the builder script:
/// `[{"field": "email", "names": ["email", "correo"], "type": "email"}, …]`.
pub fn inference_json() -> serde_json::Value {
    INFERENCE
        .iter()
        .map(|(f, names, kind)| serde_json::json!({"field": f.as_str(), "names": names, "type": kind}))
        .collect()
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

    /// Where this field's answer goes: its `maps_to`, else (fields saved
    /// before mappings existed, or left on "automatic") the contact field
    /// its name or type implies, else the custom field whose key is its
    /// name, else the submission only. A checkbox, and a `maps_to` this
    /// version cannot read, keep the answer in the submission only.
    pub fn target<D: CustomFieldDef>(&self, defs: &[D]) -> MapsTo {
        if matches!(self.kind.as_str(), "checkbox" | "multiselect") {
            return MapsTo::Nothing;
        }
        if let Some(code) = &self.maps_to {
            return MapsTo::parse(code).unwrap_or(MapsTo::Nothing);
        }
        if let Some(f) = contact_field_of(&self.name, &self.kind) {
            return MapsTo::Contact(f);
        }
        if defs.iter().any(|d| d.key() == self.name) {
            return MapsTo::Custom(self.name.clone());
        }
        MapsTo::Nothing
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

pub(crate) fn valid_field_name(n: &str) -> bool {
    let mut chars = n.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && n.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Why a field's `maps_to` was refused (see [`check_mappings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingProblem {
    /// Not a contact field, `custom:<key>` or `none`.
    Unknown(String),
    /// The workspace has no custom field with this key.
    NoSuchCustomField(String),
    /// A checkbox keeps its answer in the submission only.
    Checkbox,
    /// The custom field's kind cannot hold this type of answer (a number
    /// custom field fed by an email field, a select one by free text).
    Unsuitable { key: String, kind: String },
    /// Choices of a select (or the fixed value of a hidden field) that the
    /// custom field would refuse.
    Refused { key: String, values: Vec<String> },
    /// The field named `other` already fills `target` (a `maps_to` code).
    Twice { other: String, target: String },
}

/// A refused `maps_to`: the field's position and name, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError {
    pub index: usize,
    pub field: String,
    pub problem: MappingProblem,
}

impl MappingError {
    /// The error's key among a form's errors: `fields[2].maps_to`.
    pub fn key(&self) -> String {
        format!("fields[{}].maps_to", self.index)
    }

    /// In English, naming the field (the API's message).
    pub fn message(&self) -> String {
        let (at, f) = (self.key(), &self.field);
        match &self.problem {
            MappingProblem::Unknown(code) => format!(
                "{at}: field {f} cannot be saved to {code:?}; use first_name, last_name, name, email, phone, company, custom:<key> or none"
            ),
            MappingProblem::NoSuchCustomField(key) => format!(
                "{at}: field {f} is saved to the custom field {key}, which this workspace does not have"
            ),
            MappingProblem::Checkbox => {
                format!(
                    "{at}: field {f} is a checkbox or a multiple choice, whose answer stays in the submission (none)"
                )
            }
            MappingProblem::Unsuitable { key, kind } => {
                format!("{at}: field {f} cannot fill the {kind} custom field {key}")
            }
            MappingProblem::Refused { key, values } => format!(
                "{at}: the custom field {key} does not accept {} of field {f}",
                values.join(", ")
            ),
            MappingProblem::Twice { other, target } => {
                format!("{at}: field {f} is saved to {target}, which field {other} already fills")
            }
        }
    }
}

/// Whether a custom field of `def_kind` can hold the answers of a form
/// field of `field_kind` (its choices and fixed value are checked apart).
fn suits(field_kind: &str, def_kind: &str) -> bool {
    match def_kind {
        "text" => !matches!(field_kind, "checkbox" | "multiselect"),
        "number" => matches!(field_kind, "text" | "hidden" | "select" | "number"),
        "date" => matches!(field_kind, "text" | "hidden" | "select"),
        "select" => matches!(field_kind, "select" | "hidden"),
        _ => false,
    }
}

/// Checks the fields' explicit `maps_to` against the workspace's custom
/// fields: a known target; a custom field that exists and suits the
/// field's type and choices; no checkbox mapped; no target filled twice
/// because of an explicit mapping. Fields without `maps_to` are not
/// checked, so forms saved before mappings existed stay valid. Whatever
/// passes here can still be refused value by value at submit time.
pub fn check_mappings<D: CustomFieldDef>(fields: &[FieldSpec], defs: &[D]) -> Vec<MappingError> {
    let mut errors = Vec::new();
    let error = |index: usize, f: &FieldSpec, problem| MappingError {
        index,
        field: f.name.clone(),
        problem,
    };
    for (i, f) in fields.iter().enumerate() {
        let Some(code) = &f.maps_to else { continue };
        let Some(target) = MapsTo::parse(code) else {
            errors.push(error(i, f, MappingProblem::Unknown(code.clone())));
            continue;
        };
        if matches!(f.kind.as_str(), "checkbox" | "multiselect") {
            if target != MapsTo::Nothing {
                errors.push(error(i, f, MappingProblem::Checkbox));
            }
            continue;
        }
        let MapsTo::Custom(key) = target else {
            continue;
        };
        let Some(def) = defs.iter().find(|d| d.key() == key) else {
            errors.push(error(i, f, MappingProblem::NoSuchCustomField(key)));
            continue;
        };
        if !suits(&f.kind, def.kind()) {
            let kind = def.kind().to_string();
            errors.push(error(i, f, MappingProblem::Unsuitable { key, kind }));
            continue;
        }
        let offered: Vec<&String> = match f.kind.as_str() {
            "select" => f.options.iter().collect(),
            "hidden" => f.value.iter().filter(|v| !v.trim().is_empty()).collect(),
            _ => vec![],
        };
        let values: Vec<String> = offered
            .into_iter()
            .filter(|v| check_custom_value(def, &serde_json::Value::String((*v).clone())).is_err())
            .cloned()
            .collect();
        if !values.is_empty() {
            errors.push(error(i, f, MappingProblem::Refused { key, values }));
        }
    }
    // One target, one field: refused when an explicit mapping is involved
    // (two fields inferred onto one target keep today's first-wins rule).
    let mut filled: Vec<(MapsTo, usize)> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let target = f.target(defs);
        if target == MapsTo::Nothing || errors.iter().any(|e| e.index == i) {
            continue;
        }
        match filled.iter().find(|(t, _)| *t == target) {
            Some((_, j)) if f.maps_to.is_some() || fields[*j].maps_to.is_some() => {
                let other = fields[*j].name.clone();
                let target = target.code();
                errors.push(error(i, f, MappingProblem::Twice { other, target }));
            }
            Some(_) => {}
            None => filled.push((target, i)),
        }
    }
    errors.sort_by_key(|e| e.index);
    errors
}

/// Validates a form definition against the workspace's custom fields
/// (`defs`, for the fields' `maps_to`); errors are `(field, message)`
/// pairs in English (the API's).
pub fn validate_form<D: CustomFieldDef>(
    raw: &RawForm,
    defs: &[D],
) -> Result<FormInput, Vec<(String, String)>> {
    validate_form_parts(raw, defs).map_err(|e| {
        let mut all = e.errors;
        all.extend(e.mappings.iter().map(|m| (m.key(), m.message())));
        all
    })
}

/// Why a form definition was refused: the mapping errors apart, so a
/// door can word them in its reader's language.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// Everything but the mappings, as `(field, message)` in English.
    pub errors: Vec<(String, String)>,
    pub mappings: Vec<MappingError>,
}

/// [`validate_form`] with the mapping errors kept typed.
pub fn validate_form_parts<D: CustomFieldDef>(
    raw: &RawForm,
    defs: &[D],
) -> Result<FormInput, FormErrors> {
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
        f.maps_to = f
            .maps_to
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        fields.push(f);
    }
    let mappings = check_mappings(&fields, defs);
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
    if !errors.is_empty() || !mappings.is_empty() {
        return Err(FormErrors { errors, mappings });
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

#[cfg(test)]
mod tests {
    use super::*;
    use af_core::contact_input::NO_CUSTOM_FIELDS;
    use serde_json::json;

    #[test]
    fn form_definitions_are_checked() {
        let bad: RawForm = serde_json::from_value(json!({
            "name": " ",
            "fields": [{"name": "Bad Name", "type": "file"}],
            "styling": {"primary_color": "red;}</style>"},
            "redirect_url": "javascript:alert(1)"
        }))
        .expect("parses");
        let fields: Vec<String> = validate_form(&bad, &NO_CUSTOM_FIELDS)
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
}

#[cfg(test)]
mod mapping_tests {
    use super::*;
    use af_db::custom_fields::FieldDef;
    use serde_json::json;

    fn def(key: &str, kind: &str, options: &[&str]) -> FieldDef {
        FieldDef {
            id: af_core::FieldId::new(),
            key: key.into(),
            label: key.to_uppercase(),
            kind: kind.into(),
            options: serde_json::to_string(options).expect("json"),
            position: 1,
        }
    }

    fn defs() -> Vec<FieldDef> {
        vec![
            def("budget", "number", &[]),
            def("plan", "select", &["Pro", "Basic"]),
            def("notes", "text", &[]),
            def("visit", "date", &[]),
        ]
    }

    fn raw(fields: serde_json::Value) -> RawForm {
        serde_json::from_value(json!({"name": "Leads", "fields": fields})).expect("raw form")
    }

    fn stored(input: &FormInput) -> Vec<FieldSpec> {
        serde_json::from_value(input.fields.clone()).expect("fields")
    }

    #[test]
    fn codes_read_and_write_back() {
        for code in [
            "first_name",
            "last_name",
            "name",
            "email",
            "phone",
            "company",
            "none",
            "custom:plan",
        ] {
            assert_eq!(MapsTo::parse(code).map(|m| m.code()).as_deref(), Some(code));
        }
        for bad in ["", "custom:", "source", "tags", "Email", "custom"] {
            assert_eq!(MapsTo::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_maps_to_the_target_is_inferred_as_before() {
        let spec = |name: &str, kind: &str| FieldSpec {
            name: name.into(),
            kind: kind.into(),
            label: String::new(),
            label_en: None,
            placeholder: None,
            placeholder_en: None,
            required: false,
            options: vec![],
            value: None,
            maps_to: None,
        };
        let d = defs();
        assert_eq!(
            spec("nombre", "email").target(&d),
            MapsTo::Contact(ContactField::Name)
        );
        assert_eq!(
            spec("x", "email").target(&d),
            MapsTo::Contact(ContactField::Email)
        );
        assert_eq!(
            spec("whatsapp", "text").target(&d),
            MapsTo::Contact(ContactField::Phone)
        );
        assert_eq!(
            spec("empresa", "text").target(&d),
            MapsTo::Contact(ContactField::Company)
        );
        assert_eq!(
            spec("budget", "text").target(&d),
            MapsTo::Custom("budget".into())
        );
        assert_eq!(spec("mensaje", "textarea").target(&d), MapsTo::Nothing);
        assert_eq!(spec("email", "checkbox").target(&d), MapsTo::Nothing);
        // An explicit mapping wins over the name, `none` included.
        let mut f = spec("email", "email");
        f.maps_to = Some("none".into());
        assert_eq!(f.target(&d), MapsTo::Nothing);
        f.maps_to = Some("custom:notes".into());
        assert_eq!(f.target(&d), MapsTo::Custom("notes".into()));
    }

    #[test]
    fn forms_without_mappings_validate_and_store_as_before() {
        let input = validate_form(
            &raw(json!([
                {"name": "email", "type": "email"},
                {"name": "budget", "type": "text"},
                {"name": "correo", "type": "text"}
            ])),
            &defs(),
        )
        .expect("valid");
        assert!(stored(&input).iter().all(|f| f.maps_to.is_none()));
        assert!(!input.fields.to_string().contains("maps_to"));
    }

    #[test]
    fn good_mappings_are_kept_trimmed() {
        let input = validate_form(
            &raw(json!([
                {"name": "correo_trabajo", "type": "email", "maps_to": " email "},
                {"name": "monto", "type": "text", "maps_to": "custom:budget"},
                {"name": "paquete", "type": "select", "options": ["Pro"], "maps_to": "custom:plan"},
                {"name": "email", "type": "text", "maps_to": "none"},
                {"name": "cuando", "type": "hidden", "value": "2026-03-31", "maps_to": "custom:visit"},
                {"name": "acepto", "type": "checkbox", "maps_to": "none"},
                {"name": "otro", "type": "text", "maps_to": ""}
            ])),
            &defs(),
        )
        .expect("valid");
        let maps: Vec<Option<String>> = stored(&input).into_iter().map(|f| f.maps_to).collect();
        assert_eq!(
            maps,
            [
                Some("email".into()),
                Some("custom:budget".into()),
                Some("custom:plan".into()),
                Some("none".into()),
                Some("custom:visit".into()),
                Some("none".into()),
                None
            ]
        );
    }

    #[test]
    fn bad_mappings_name_the_field() {
        let errors = validate_form_parts(
            &raw(json!([
                {"name": "a", "type": "text", "maps_to": "source"},
                {"name": "b", "type": "text", "maps_to": "custom:gone"},
                {"name": "c", "type": "checkbox", "maps_to": "email"},
                {"name": "d", "type": "email", "maps_to": "custom:budget"},
                {"name": "e", "type": "select", "options": ["Pro", "Gold", "Free"], "maps_to": "custom:plan"},
                {"name": "f", "type": "text", "maps_to": "custom:plan"},
                {"name": "g", "type": "select", "options": ["10", "mucho"], "maps_to": "custom:budget"},
                {"name": "email", "type": "email"},
                {"name": "h", "type": "text", "maps_to": "email"}
            ])),
            &defs(),
        )
        .expect_err("refused")
        .mappings;
        let problems: Vec<(usize, &str, MappingProblem)> = errors
            .iter()
            .map(|e| (e.index, e.field.as_str(), e.problem.clone()))
            .collect();
        assert_eq!(
            problems,
            [
                (0, "a", MappingProblem::Unknown("source".into())),
                (1, "b", MappingProblem::NoSuchCustomField("gone".into())),
                (2, "c", MappingProblem::Checkbox),
                (
                    3,
                    "d",
                    MappingProblem::Unsuitable {
                        key: "budget".into(),
                        kind: "number".into()
                    }
                ),
                (
                    4,
                    "e",
                    MappingProblem::Refused {
                        key: "plan".into(),
                        values: vec!["Gold".into(), "Free".into()]
                    }
                ),
                (
                    5,
                    "f",
                    MappingProblem::Unsuitable {
                        key: "plan".into(),
                        kind: "select".into()
                    }
                ),
                (
                    6,
                    "g",
                    MappingProblem::Refused {
                        key: "budget".into(),
                        values: vec!["mucho".into()]
                    }
                ),
                (
                    8,
                    "h",
                    MappingProblem::Twice {
                        other: "email".into(),
                        target: "email".into()
                    }
                ),
            ]
        );
        // The API's English names the field and where it was to go.
        assert_eq!(
            errors[1].message(),
            "fields[1].maps_to: field b is saved to the custom field gone, which this workspace does not have"
        );
        let all = validate_form(
            &raw(json!([{"name": "a", "type": "text", "maps_to": "nope"}])),
            &defs(),
        )
        .expect_err("refused");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, "fields[0].maps_to");
        assert!(
            all[0].1.contains("field a cannot be saved to \"nope\""),
            "{}",
            all[0].1
        );
    }
}
