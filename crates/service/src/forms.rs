//! Lead-capture form definitions: fields, styling, where leads go, and
//! their validation. Pure: no database, no HTTP. What a submission must
//! satisfy is [`crate::submissions`].

use af_core::contact::tag_name;
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
