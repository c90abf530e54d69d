//! Lead intake shared by every public door (hosted form, embed, PAUTA
//! `/api/lead`): form definitions and their validation, submission
//! validation (the same rules embed.js applies as the visitor types), the
//! one transaction that accepts a lead, the signed minimum-fill-time token
//! and the database-backed rate limits.
//!
//! Everything here treats its input as hostile: lengths are capped, values
//! are checked against the form, and nothing is echoed unescaped.

use crate::contact_input::{RawContact, RawUtm, validate_contact};
use crate::state::AppState;
use af_core::contact::{normalize_phone, tag_name};
use af_core::crypto::SecretKey;
use af_core::{Actor, ContactId, DealId, FormId, Locale, PipelineId, StageId, validate};
use af_db::contacts::{self, ContactInput};
use af_db::custom_fields::FieldDef;
use af_db::deals::{self, NewDeal};
use af_db::forms::{self, Form, FormInput, NewSubmission, Submission};
use af_db::workspaces::Workspace;
use af_db::{DbResult, Ts, pipelines};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Largest body a public intake endpoint reads.
pub const MAX_PUBLIC_BODY: usize = 64 * 1024;
/// Largest value of a one-line field, and of a textarea.
pub const MAX_TEXT: usize = 500;
pub const MAX_TEXTAREA: usize = 5000;
/// Name of the honeypot input: hidden from people, filled by bots.
pub const HONEYPOT: &str = "_hp";
/// Name of the signed fill-time token input.
pub const TOKEN: &str = "_t";
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

/// A form in the API's shape.
pub fn form_json(form: &Form, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "id": form.id,
        "name": form.name,
        "fields": fields_of(form),
        "styling": styling_of(form),
        "success_message": form.success_message,
        "redirect_url": form.redirect_url,
        "pipeline_id": form.pipeline_id,
        "stage_id": form.stage_id,
        "tags": form.tag_list(),
        "consent_text": form.consent_text,
        "active": form.active,
        "url": format!("{base_url}/f/{}", form.id),
        "embed": embed_snippet(base_url, form.id),
        "created_at": form.created_at,
        "updated_at": form.updated_at,
    })
}

/// The ready-to-paste embed code of a form.
pub fn embed_snippet(base_url: &str, id: FormId) -> String {
    format!(
        "<script src=\"{base_url}/embed.js\" async></script>\n<div data-af-form=\"{id}\"></div>"
    )
}

// ------------------------------------------------------------ submissions

/// Submitted values as text: urlencoded bodies are text already; JSON
/// values are turned into text (true/false for checkboxes), and nested
/// values are refused.
pub fn values_from_json(v: serde_json::Value) -> Result<Vec<(String, String)>, &'static str> {
    let serde_json::Value::Object(map) = v else {
        return Err("the body must be a JSON object");
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let text = match v {
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => if b { "true" } else { "" }.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Null => String::new(),
            _ => return Err("field values must be text"),
        };
        out.push((k, text));
    }
    Ok(out)
}

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

/// Error texts of submission validation, in the visitor's language.
pub struct SubmitTexts {
    pub required: &'static str,
    pub too_long: &'static str,
    pub invalid_email: &'static str,
    pub invalid_phone: &'static str,
    pub invalid_choice: &'static str,
    pub consent_required: &'static str,
    pub need_contact: &'static str,
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
/// validation. Errors are `(field name, message)`.
pub fn validate_submission(
    ws: &Workspace,
    defs: &[FieldDef],
    form: &Form,
    values: &[(String, String)],
    texts: &SubmitTexts,
) -> Result<ValidSubmission, Vec<(String, String)>> {
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let specs = fields_of(form);
    let mut errors = Vec::new();
    let mut data = serde_json::Map::new();
    let mut raw = RawContact::default();
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
                errors.push((f.name.clone(), texts.required.to_string()));
            }
            data.insert(f.name.clone(), serde_json::Value::Bool(on));
            continue;
        }
        if v.chars().count() > f.max_len() {
            errors.push((f.name.clone(), texts.too_long.to_string()));
            continue;
        }
        if v.is_empty() {
            if f.required {
                errors.push((f.name.clone(), texts.required.to_string()));
            }
            continue;
        }
        match f.kind.as_str() {
            "email" if validate::email(&v).is_err() => {
                errors.push((f.name.clone(), texts.invalid_email.to_string()));
                continue;
            }
            "phone" if normalize_phone(&v, &ws.country).is_err() => {
                errors.push((f.name.clone(), texts.invalid_phone.to_string()));
                continue;
            }
            "select" if !f.options.contains(&v) => {
                errors.push((f.name.clone(), texts.invalid_choice.to_string()));
                continue;
            }
            _ => {}
        }
        data.insert(f.name.clone(), serde_json::Value::String(v.clone()));
        let slot = match (f.name.as_str(), f.kind.as_str()) {
            ("first_name" | "nombre_pila", _) => &mut raw.first_name,
            ("last_name" | "apellido" | "apellidos", _) => &mut raw.last_name,
            ("name" | "nombre" | "full_name", _) => &mut raw.name,
            (_, "email") | ("email" | "correo", _) => &mut raw.email,
            (_, "phone") | ("phone" | "telefono" | "whatsapp", _) => &mut raw.phone,
            ("company" | "empresa", _) => &mut raw.company,
            (key, _) if defs.iter().any(|d| d.key == key) => {
                raw.custom
                    .insert(key.to_string(), serde_json::Value::String(v));
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    let consented = form.consent_text.is_some() && get(CONSENT).is_some_and(checked);
    if form.consent_text.is_some() && !consented {
        errors.push((CONSENT.to_string(), texts.consent_required.to_string()));
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
    raw.source = Some(form.name.clone());
    raw.tags = form.tag_list();
    if !errors.is_empty() {
        return Err(errors);
    }
    let input = validate_contact(ws, defs, &raw).map_err(|errs| {
        errs.into_iter()
            .map(|(field, m)| {
                // Name the form's own field where there is one.
                let kind = match field.as_str() {
                    "email" => Some("email"),
                    "phone" => Some("phone"),
                    _ => None,
                };
                let named = kind
                    .and_then(|k| specs.iter().find(|f| f.kind == k || f.name == k))
                    .map(|f| f.name.clone());
                let message = if field == "email" && m.contains("needs a name") {
                    texts.need_contact.to_string()
                } else {
                    m
                };
                (named.unwrap_or(field), message)
            })
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

/// What [`accept_lead`] stores.
pub struct Lead<'a> {
    pub form: Option<&'a Form>,
    /// `form` or `api_lead`.
    pub channel: &'a str,
    pub input: ContactInput,
    pub data: serde_json::Value,
    pub attribution: serde_json::Value,
    pub consent_text: Option<String>,
    pub ip_hash: Option<String>,
    pub actor: Actor,
}

/// What an accepted lead became.
pub struct Accepted {
    pub submission: Submission,
    pub contact_id: ContactId,
    pub created: bool,
    pub deal_id: DealId,
}

/// Accepts a lead in one transaction: the contact upsert (first touch kept,
/// last touch updated, tags), a deal on the form's stage (or the contact's
/// open deal in that pipeline), the stored submission and its events. A
/// 2xx is answered only after this committed.
pub async fn accept_lead(st: &AppState, ws: &Workspace, lead: Lead<'_>) -> DbResult<Accepted> {
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let mut extra = serde_json::Map::new();
    extra.insert("via".into(), lead.channel.into());
    if let Some(f) = lead.form {
        extra.insert("form_id".into(), serde_json::json!(f.id));
    }
    let up = contacts::upsert_contact_with_event_data(
        &mut tx,
        ws.id,
        &lead.input,
        &lead.actor,
        now,
        extra,
    )
    .await?;
    // Where the deal goes: the form's stage, else its pipeline's first
    // stage, else the default pipeline's first stage.
    let (pipeline, stage) = match lead.form {
        Some(f) => (f.pipeline_id.map(PipelineId), f.stage_id.map(StageId)),
        None => (None, None),
    };
    let stage = match stage {
        Some(s) => match pipelines::get_stage_tx(&mut tx, ws.id, s).await {
            Ok(s) => Some(s),
            Err(af_db::DbError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let pipeline = match (&stage, pipeline) {
        (Some(s), _) => s.pipeline_id,
        (None, Some(p)) => p,
        (None, None) => pipelines::default_pipeline_tx(&mut tx, ws.id).await?,
    };
    let deal = match deals::find_open_deal_tx(&mut tx, ws.id, up.contact.id, Some(pipeline)).await?
    {
        Some(d) => d,
        None => {
            let c = &up.contact;
            let title = Some(c.full_name())
                .filter(|n| !n.is_empty())
                .or_else(|| c.email.clone())
                .or_else(|| c.phone.clone())
                .unwrap_or_else(|| "Lead".into());
            deals::insert_deal(
                &mut tx,
                ws.id,
                &NewDeal {
                    contact_id: c.id,
                    pipeline_id: Some(pipeline),
                    stage_id: stage.as_ref().map(|s| s.id),
                    title,
                    value_minor: 0,
                    currency: af_core::money::currency_for_country(&ws.country).to_string(),
                    owner_id: None,
                },
                &lead.actor,
                now,
            )
            .await?
        }
    };
    let submission = forms::insert_submission(
        &mut tx,
        ws.id,
        &NewSubmission {
            form: lead.form,
            channel: lead.channel,
            contact_id: up.contact.id,
            deal_id: Some(deal.id),
            data: lead.data,
            attribution: lead.attribution,
            consent_text: lead.consent_text,
            ip_hash: lead.ip_hash,
        },
        &lead.actor,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Accepted {
        submission,
        contact_id: up.contact.id,
        created: up.created,
        deal_id: deal.id,
    })
}

/// The actor recorded for anonymous public submissions.
pub fn public_actor(what: &str) -> Actor {
    Actor {
        kind: af_core::ActorKind::System,
        id: None,
        label: what.to_string(),
    }
}

// ------------------------------------------------------------ spam defences

const FILL_PURPOSE: &str = "form-fill";

/// A token saying "form `id` was shown at `now`", signed with the server key.
pub fn fill_token(secret: &SecretKey, id: FormId, now: Ts) -> String {
    let t = now.0.as_second();
    format!("{t}.{}", secret.sign(FILL_PURPOSE, &format!("{id}.{t}")))
}

/// True when the token is ours, for this form, and at least `min_secs`
/// (and at most two days) old.
pub fn fill_token_ok(secret: &SecretKey, id: FormId, token: &str, now: Ts, min_secs: i64) -> bool {
    let Some((t, sig)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = t.parse::<i64>() else {
        return false;
    };
    if !secret.verify(FILL_PURPOSE, &format!("{id}.{issued}"), sig) {
        return false;
    }
    let age = now.0.as_second() - issued;
    (min_secs..=2 * 86_400).contains(&age)
}

/// A keyed hash of the client IP: enough to count and compare, not to
/// recover the address.
pub fn ip_hash(secret: &SecretKey, ip: &str) -> String {
    secret.sign("client-ip", ip)
}

/// Counts one hit in each `(bucket, limit)`; `Err(retry_after_secs)` when
/// any is over its limit in the current window.
pub async fn rate_limit(st: &AppState, buckets: &[(String, i64)]) -> DbResult<Result<(), u64>> {
    rate_limit_in(st, st.config.intake_window_secs, buckets).await
}

/// [`rate_limit`] with fixed windows of `window_secs` (shared with other
/// public doors: password-reset requests, sign-in).
pub async fn rate_limit_in(
    st: &AppState,
    window_secs: i64,
    buckets: &[(String, i64)],
) -> DbResult<Result<(), u64>> {
    let window = window_secs.max(1);
    let now = st.now().0.as_second();
    let start = now - now.rem_euclid(window);
    let start_ts = Ts::new(jiff::Timestamp::from_second(start).unwrap_or(st.now().0));
    for (bucket, limit) in buckets {
        let hits = af_db::rate_limits::hit(&st.db, bucket, start_ts).await?;
        if hits > *limit {
            let retry = (start + window - now).max(1);
            return Ok(Err(u64::try_from(retry).unwrap_or(1)));
        }
    }
    Ok(Ok(()))
}

/// Reads a request body up to `max` bytes; `None` when it is bigger.
pub async fn read_body(body: axum::body::Body, max: usize) -> Option<axum::body::Bytes> {
    axum::body::to_bytes(body, max).await.ok()
}
