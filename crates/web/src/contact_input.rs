//! Turning raw contact data from outside (the JSON API, and later forms and
//! the PAUTA intake) into a validated `ContactInput`: one set of rules for
//! every door a lead can come in through.

use af_core::contact::{Attribution, normalize_phone, tag_name};
use af_core::validate;
use af_db::contacts::ContactInput;
use af_db::custom_fields::{self, FieldDef};
use af_db::workspaces::Workspace;
use serde::Deserialize;

/// UTM parameters as sent by API clients.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawUtm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

/// A contact as sent by API clients. Unknown fields are refused so typos
/// are reported instead of silently dropped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawContact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Full name, split into first and last when those are absent.
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    pub lifecycle: Option<String>,
    pub utm: RawUtm,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub tags: Vec<String>,
    pub custom: serde_json::Map<String, serde_json::Value>,
}

fn text(v: &Option<String>, max: usize) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().filter(|c| !c.is_control()).take(max).collect())
}

/// Validates and normalises; errors are `(field, message)` pairs. A contact
/// needs a name, an email or a phone to be worth keeping.
pub fn validate_contact(
    ws: &Workspace,
    defs: &[FieldDef],
    raw: &RawContact,
) -> Result<ContactInput, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let (mut first, mut last) = (
        text(&raw.first_name, 100).unwrap_or_default(),
        text(&raw.last_name, 100).unwrap_or_default(),
    );
    if first.is_empty()
        && last.is_empty()
        && let Some(full) = text(&raw.name, 200)
    {
        (first, last) = af_core::contact::split_name(&full);
    }
    let email = match text(&raw.email, 254) {
        Some(e) => match validate::email(&e) {
            Ok(e) => Some(e),
            Err(m) => {
                errors.push(("email".to_string(), m));
                None
            }
        },
        None => None,
    };
    let phone = match text(&raw.phone, 40) {
        Some(p) => match normalize_phone(&p, &ws.country) {
            Ok(p) => Some(p),
            Err(m) => {
                errors.push(("phone".to_string(), m));
                None
            }
        },
        None => None,
    };
    if first.is_empty()
        && last.is_empty()
        && email.is_none()
        && phone.is_none()
        && errors.is_empty()
    {
        errors.push((
            "email".into(),
            "a contact needs a name, an email or a phone".into(),
        ));
    }
    let lifecycle = match text(&raw.lifecycle, 20) {
        Some(l) => match af_core::contact::lifecycle(&l) {
            Ok(l) => Some(l),
            Err(m) => {
                errors.push(("lifecycle".into(), m));
                None
            }
        },
        None => None,
    };
    let mut tags = Vec::new();
    for t in raw.tags.iter().take(50) {
        match tag_name(t) {
            Ok(t) => tags.push(t),
            Err(m) => errors.push(("tags".into(), m)),
        }
    }
    let custom = match custom_fields::validate_values(defs, &raw.custom) {
        Ok(c) => c,
        Err(errs) => {
            errors.extend(errs.into_iter().map(|(k, m)| (format!("custom.{k}"), m)));
            serde_json::Map::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ContactInput {
        first_name: first,
        last_name: last,
        email,
        phone,
        company: text(&raw.company, 200),
        source: text(&raw.source, 100),
        owner_id: None,
        lifecycle,
        attribution: Attribution {
            utm_source: raw.utm.source.clone(),
            utm_medium: raw.utm.medium.clone(),
            utm_campaign: raw.utm.campaign.clone(),
            utm_term: raw.utm.term.clone(),
            utm_content: raw.utm.content.clone(),
            referrer: raw.referrer.clone(),
            landing_page: raw.landing_page.clone(),
        }
        .cleaned(),
        tags,
        custom,
    })
}
