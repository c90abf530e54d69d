//! The one contact input and its one validator. Every door a contact comes
//! in through (public form, PAUTA `/api/lead`, the REST API, the "new
//! contact" page, the board's new deal, CSV import, Cal.com, later the
//! booking page) maps what it received onto a [`RawContact`] and calls
//! [`validate_contact`]; what comes out is a [`ContactInput`] the upsert
//! rule stores. Doors only word the errors for their readers.
//!
//! The rules, the same for every door:
//! - Text (names, company, source): runs of whitespace (tabs and line
//!   breaks included) become one space and the ends are trimmed; an empty
//!   value is absent. Any other control character, or a bidirectional
//!   override that could make the text display as something else, is an
//!   error, never silently removed: a door that alters data without saying
//!   so loses it. Too long is an error too, never a silent cut. Lengths
//!   count characters, so accented and non-Latin names cost what they show.
//! - First and last name: at most [`MAX_NAME`]; a full `name` (at most
//!   [`MAX_FULL_NAME`]) is split at its first space when neither is given.
//!   Company and source: at most [`MAX_COMPANY`] / [`MAX_SOURCE`].
//! - Email: normalised by [`crate::validate::email`]; phone: E.164 in the
//!   workspace's country by [`crate::contact::normalize_phone`].
//! - A contact needs a name, an email or a phone (CSV import additionally
//!   asks every row for an email or a phone, the keys that make re-imports
//!   merge; see `af_db::imports`).
//! - Lifecycle: one of [`crate::contact::LIFECYCLES`]; at most [`MAX_TAGS`]
//!   tags, each a valid [`crate::contact::tag_name`]; custom values checked
//!   against the workspace's definitions ([`CustomFieldDef`]).
//! - Attribution (UTM, referrer, landing page) is tracking data, not typed
//!   by people: it is cleaned and bounded ([`Attribution::cleaned`]), never
//!   a reason to refuse a lead.

use crate::UserId;
use crate::contact::{Attribution, lifecycle, normalize_phone, split_name, tag_name};
use crate::validate;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Longest first or last name.
pub const MAX_NAME: usize = 100;
/// Longest full name (split into first and last).
pub const MAX_FULL_NAME: usize = 200;
/// Longest company name.
pub const MAX_COMPANY: usize = 200;
/// Longest source.
pub const MAX_SOURCE: usize = 200;
/// Most tags one contact input may carry.
pub const MAX_TAGS: usize = 50;
/// Longest text custom value.
pub const MAX_CUSTOM_TEXT: usize = 2000;

/// UTM parameters as doors receive them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RawUtm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

/// A contact as a door received it, before validation. This is also the
/// REST API's request body, so unknown fields are refused (a typo is
/// reported instead of silently dropped).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, utoipa::ToSchema)]
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
    /// Custom field values by key (text from forms and files, any JSON
    /// value from the API).
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
}

impl RawContact {
    /// The attribution as received (cleaned by the validator).
    pub fn attribution(&self) -> Attribution {
        Attribution {
            utm_source: self.utm.source.clone(),
            utm_medium: self.utm.medium.clone(),
            utm_campaign: self.utm.campaign.clone(),
            utm_term: self.utm.term.clone(),
            utm_content: self.utm.content.clone(),
            referrer: self.referrer.clone(),
            landing_page: self.landing_page.clone(),
        }
    }
}

/// Validated data for a contact create or upsert. `None` / empty fields
/// never erase what an existing contact already has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactInput {
    pub first_name: String,
    pub last_name: String,
    /// Normalised (see [`crate::validate::email`]).
    pub email: Option<String>,
    /// E.164 (see [`crate::contact::normalize_phone`]).
    pub phone: Option<String>,
    pub company: Option<String>,
    pub source: Option<String>,
    pub owner_id: Option<UserId>,
    pub lifecycle: Option<String>,
    pub attribution: Attribution,
    pub tags: Vec<String>,
    /// Already validated against the workspace's field definitions.
    pub custom: Map<String, Value>,
}

/// Which input field an error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactField {
    FirstName,
    LastName,
    Name,
    Email,
    Phone,
    Company,
    Source,
    Lifecycle,
    Tags,
    /// A custom field, by key.
    Custom(String),
}

impl ContactField {
    /// The field's name in the REST API (`custom.<key>` for custom fields).
    pub fn as_str(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ContactField::FirstName => "first_name",
            ContactField::LastName => "last_name",
            ContactField::Name => "name",
            ContactField::Email => "email",
            ContactField::Phone => "phone",
            ContactField::Company => "company",
            ContactField::Source => "source",
            ContactField::Lifecycle => "lifecycle",
            ContactField::Tags => "tags",
            ContactField::Custom(k) => return Cow::Owned(format!("custom.{k}")),
        })
    }
}

/// What is wrong, so each door can word it (and CSV reports can count it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Longer than the field's limit.
    TooLong,
    /// Control characters (other than whitespace) or bidirectional
    /// overrides.
    ControlCharacters,
    Email,
    Phone,
    /// Neither a name, an email nor a phone.
    NoContactPoint,
    Lifecycle,
    Tag,
    Custom,
}

/// One refused value. `message` is English, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactError {
    /// Where the error belongs. [`Problem::NoContactPoint`] is reported on
    /// the email, the field a sender most likely meant to fill.
    pub field: ContactField,
    pub problem: Problem,
    /// The offending value as received, when there is one.
    pub value: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ContactError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ContactError {}

/// A custom field definition as the validator sees it (the stored
/// definitions implement it).
pub trait CustomFieldDef {
    fn key(&self) -> &str;
    /// text, number, date or select.
    fn kind(&self) -> &str;
    /// Choices of a select.
    fn choices(&self) -> Vec<String>;
}

/// Checks and normalises one custom value against its definition; `Err`
/// is a message naming the field. JSON null (and an empty string) clears
/// the field.
pub fn check_custom_value(def: &impl CustomFieldDef, value: &Value) -> Result<Value, String> {
    let key = def.key();
    let kind = def.kind();
    if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(Value::Null);
    }
    let bad = || format!("{key}: invalid {kind} value");
    match kind {
        "text" => match value {
            Value::String(s) if s.chars().count() <= MAX_CUSTOM_TEXT => {
                Ok(Value::String(s.trim().to_string()))
            }
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err(bad()),
        },
        "number" => {
            let n = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok(),
                _ => None,
            };
            n.filter(|n| n.is_finite())
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(bad)
        }
        "date" => value
            .as_str()
            .and_then(|s| s.trim().parse::<jiff::civil::Date>().ok())
            .map(|d| Value::String(d.to_string()))
            .ok_or_else(|| format!("{key}: expected a date like 2026-03-31")),
        "select" => {
            let choices = def.choices();
            value
                .as_str()
                .map(str::trim)
                .and_then(|s| choices.iter().find(|c| *c == s).cloned())
                .map(Value::String)
                .ok_or_else(|| format!("{key}: expected one of {}", choices.join(", ")))
        }
        _ => Err(bad()),
    }
}

/// Checks a map of custom values against the definitions: unknown keys and
/// bad values are errors `(key, message)`.
pub fn check_custom_values<D: CustomFieldDef>(
    defs: &[D],
    values: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for (k, v) in values {
        match defs.iter().find(|d| d.key() == k) {
            None => errors.push((k.clone(), format!("{k}: no such custom field"))),
            Some(d) => match check_custom_value(d, v) {
                Ok(v) => {
                    out.insert(k.clone(), v);
                }
                Err(e) => errors.push((k.clone(), e)),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// For callers with no custom fields to check against (`&NO_CUSTOM_FIELDS`).
pub const NO_CUSTOM_FIELDS: [NoCustomField; 0] = [];

/// The definition type of [`NO_CUSTOM_FIELDS`]; never constructed.
#[derive(Debug, Clone, Copy)]
pub enum NoCustomField {}

impl CustomFieldDef for NoCustomField {
    fn key(&self) -> &str {
        match *self {}
    }
    fn kind(&self) -> &str {
        match *self {}
    }
    fn choices(&self) -> Vec<String> {
        match *self {}
    }
}

/// Characters that reorder how the text around them is displayed
/// (embeddings, overrides, isolates): in a name they can make a contact
/// look like someone else in every list that shows it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// One text value by the text rule (see the module doc): `Ok(None)` when
/// absent or blank.
pub fn plain_text(
    field: ContactField,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, ContactError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Ok(None);
    }
    let name = field.as_str().into_owned();
    let err = |problem, message: String| ContactError {
        field: field.clone(),
        problem,
        value: Some(raw.to_string()),
        message,
    };
    if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(err(
            Problem::ControlCharacters,
            format!("{name} contains control characters"),
        ));
    }
    if s.chars().count() > max {
        return Err(err(
            Problem::TooLong,
            format!("{name} is longer than {max} characters"),
        ));
    }
    Ok(Some(s))
}

/// A trimmed value, `None` when absent or blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Validates and normalises `raw` (phones read in `country`, ISO
/// alpha-2); every error is reported, in the order of the fields.
pub fn validate_contact<D: CustomFieldDef>(
    raw: &RawContact,
    country: &str,
    defs: &[D],
) -> Result<ContactInput, Vec<ContactError>> {
    let mut errors = Vec::new();
    let text = |errors: &mut Vec<ContactError>, field, v: &Option<String>, max| {
        plain_text(field, v.as_deref(), max)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
    };
    let mut first = text(
        &mut errors,
        ContactField::FirstName,
        &raw.first_name,
        MAX_NAME,
    );
    let mut last = text(
        &mut errors,
        ContactField::LastName,
        &raw.last_name,
        MAX_NAME,
    );
    if first.is_none()
        && last.is_none()
        && let Some(full) = text(&mut errors, ContactField::Name, &raw.name, MAX_FULL_NAME)
    {
        let (f, l) = split_name(&full);
        first = Some(f).filter(|s| !s.is_empty());
        last = Some(l).filter(|s| !s.is_empty());
    }
    let email = given(&raw.email).and_then(|e| {
        validate::email(e)
            .map_err(|message| {
                errors.push(ContactError {
                    field: ContactField::Email,
                    problem: Problem::Email,
                    value: Some(e.to_string()),
                    message,
                })
            })
            .ok()
    });
    let phone = given(&raw.phone).and_then(|p| {
        normalize_phone(p, country)
            .map_err(|message| {
                errors.push(ContactError {
                    field: ContactField::Phone,
                    problem: Problem::Phone,
                    value: Some(p.to_string()),
                    message,
                })
            })
            .ok()
    });
    // Only when no name, email or phone was refused: a bad email is
    // reported as bad, not as missing.
    if first.is_none() && last.is_none() && email.is_none() && phone.is_none() && errors.is_empty()
    {
        errors.push(ContactError {
            field: ContactField::Email,
            problem: Problem::NoContactPoint,
            value: None,
            message: "a contact needs a name, an email or a phone".into(),
        });
    }
    let company = text(
        &mut errors,
        ContactField::Company,
        &raw.company,
        MAX_COMPANY,
    );
    let source = text(&mut errors, ContactField::Source, &raw.source, MAX_SOURCE);
    let lifecycle = given(&raw.lifecycle).and_then(|l| {
        lifecycle(l)
            .map_err(|message| {
                errors.push(ContactError {
                    field: ContactField::Lifecycle,
                    problem: Problem::Lifecycle,
                    value: Some(l.to_string()),
                    message,
                })
            })
            .ok()
    });
    let mut tags = Vec::with_capacity(raw.tags.len().min(MAX_TAGS));
    if raw.tags.len() > MAX_TAGS {
        errors.push(ContactError {
            field: ContactField::Tags,
            problem: Problem::Tag,
            value: None,
            message: format!("more than {MAX_TAGS} tags"),
        });
    } else {
        for t in &raw.tags {
            match tag_name(t) {
                Ok(t) => tags.push(t),
                Err(message) => errors.push(ContactError {
                    field: ContactField::Tags,
                    problem: Problem::Tag,
                    value: Some(t.clone()),
                    message,
                }),
            }
        }
    }
    let custom = check_custom_values(defs, &raw.custom).unwrap_or_else(|errs| {
        errors.extend(errs.into_iter().map(|(k, message)| ContactError {
            value: raw.custom.get(&k).map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            field: ContactField::Custom(k),
            problem: Problem::Custom,
            message,
        }));
        Map::new()
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ContactInput {
        first_name: first.unwrap_or_default(),
        last_name: last.unwrap_or_default(),
        email,
        phone,
        company,
        source,
        owner_id: None,
        lifecycle,
        attribution: raw.attribution().cleaned(),
        tags,
        custom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Def {
        key: &'static str,
        kind: &'static str,
        choices: &'static [&'static str],
    }

    impl CustomFieldDef for Def {
        fn key(&self) -> &str {
            self.key
        }
        fn kind(&self) -> &str {
            self.kind
        }
        fn choices(&self) -> Vec<String> {
            self.choices.iter().map(|c| c.to_string()).collect()
        }
    }

    fn check(raw: &RawContact) -> Result<ContactInput, Vec<ContactError>> {
        validate_contact(raw, "MX", &NO_CUSTOM_FIELDS)
    }

    fn errors(raw: &RawContact) -> Vec<(String, Problem)> {
        check(raw)
            .expect_err("invalid")
            .into_iter()
            .map(|e| (e.field.as_str().into_owned(), e.problem))
            .collect()
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn a_full_contact_is_normalised() {
        let raw = RawContact {
            first_name: some("  Ana  María "),
            last_name: some("Pérez\tGómez"),
            email: some(" Ana@Example.COM "),
            phone: some("81 1234 5678"),
            company: some(" Acme   S.A. "),
            source: some("landing"),
            lifecycle: some(" Lead "),
            utm: RawUtm {
                source: some(" google "),
                medium: some(" "),
                ..Default::default()
            },
            tags: vec!["  Hot   Lead ".into()],
            ..Default::default()
        };
        let c = check(&raw).expect("valid");
        assert_eq!(c.first_name, "Ana María");
        assert_eq!(c.last_name, "Pérez Gómez", "a tab is whitespace");
        assert_eq!(c.email.as_deref(), Some("Ana@example.com"));
        assert_eq!(c.phone.as_deref(), Some("+528112345678"));
        assert_eq!(c.company.as_deref(), Some("Acme S.A."));
        assert_eq!(c.lifecycle.as_deref(), Some("lead"));
        assert_eq!(c.attribution.utm_source.as_deref(), Some("google"));
        assert_eq!(c.attribution.utm_medium, None);
        assert_eq!(c.tags, ["Hot Lead"]);
    }

    #[test]
    fn a_name_an_email_or_a_phone_is_enough() {
        for raw in [
            RawContact {
                first_name: some("Ana"),
                ..Default::default()
            },
            RawContact {
                last_name: some("Pérez"),
                ..Default::default()
            },
            RawContact {
                email: some("a@b.co"),
                ..Default::default()
            },
            RawContact {
                phone: some("8112345678"),
                ..Default::default()
            },
        ] {
            assert!(check(&raw).is_ok(), "{raw:?}");
        }
        let nothing = RawContact {
            company: some("Solo empresa"),
            first_name: some("   "),
            email: some(""),
            ..Default::default()
        };
        assert_eq!(
            errors(&nothing),
            [("email".to_string(), Problem::NoContactPoint)]
        );
        // A bad email is reported as bad, not as missing.
        let bad = RawContact {
            email: some("nope"),
            phone: some("12"),
            ..Default::default()
        };
        assert_eq!(
            errors(&bad),
            [
                ("email".to_string(), Problem::Email),
                ("phone".to_string(), Problem::Phone)
            ]
        );
    }

    #[test]
    fn a_full_name_is_split_when_no_parts_are_given() {
        let c = check(&RawContact {
            name: some("  María  José Pérez "),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(
            (c.first_name.as_str(), c.last_name.as_str()),
            ("María", "José Pérez")
        );
        let c = check(&RawContact {
            name: some("Cher Full"),
            first_name: some("Cher"),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(
            (c.first_name.as_str(), c.last_name.as_str()),
            ("Cher", ""),
            "given parts win over the full name"
        );
    }

    #[test]
    fn unicode_names_are_kept_and_counted_in_characters() {
        for name in [
            "José Ñúñez",
            "Zoë Ångström",
            "李小龍",
            "Ольга",
            "محمد",
            "Nguyễn Văn A",
        ] {
            let c = check(&RawContact {
                name: some(name),
                ..Default::default()
            })
            .expect(name);
            assert_eq!(format!("{} {}", c.first_name, c.last_name).trim(), name);
        }
        // 100 two-byte characters fit in a 100-character name.
        let long = "ñ".repeat(MAX_NAME);
        assert!(
            check(&RawContact {
                first_name: Some(long.clone()),
                ..Default::default()
            })
            .is_ok()
        );
        // Joiners inside a script or an emoji are not controls.
        assert!(
            check(&RawContact {
                first_name: some("می\u{200c}خواهم 👩\u{200d}💻"),
                ..Default::default()
            })
            .is_ok()
        );
    }

    #[test]
    fn hostile_bytes_are_refused_not_stripped() {
        for bad in [
            "Ana\u{0}",
            "\u{1b}[31mAna",
            "Ana\u{7f}",
            "Ana\u{8}",
            "\u{202e}anA",
            "Ana\u{2066}x",
        ] {
            for (field, raw) in [
                (
                    "first_name",
                    RawContact {
                        first_name: some(bad),
                        email: some("a@b.co"),
                        ..Default::default()
                    },
                ),
                (
                    "company",
                    RawContact {
                        company: some(bad),
                        email: some("a@b.co"),
                        ..Default::default()
                    },
                ),
                (
                    "source",
                    RawContact {
                        source: some(bad),
                        email: some("a@b.co"),
                        ..Default::default()
                    },
                ),
            ] {
                assert_eq!(
                    errors(&raw),
                    [(field.to_string(), Problem::ControlCharacters)],
                    "{bad:?}"
                );
            }
        }
        // Emails and phones with control characters are invalid ones.
        let raw = RawContact {
            email: some("a\u{0}@b.co"),
            phone: some("81\u{0}12345678"),
            ..Default::default()
        };
        assert_eq!(
            errors(&raw),
            [
                ("email".to_string(), Problem::Email),
                ("phone".to_string(), Problem::Phone)
            ]
        );
        // Markup is only text: escaping is the templates' job.
        let c = check(&RawContact {
            first_name: some("<script>alert(1)</script>"),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(c.first_name, "<script>alert(1)</script>");
        // Attribution is cleaned, never a reason to refuse a lead.
        let c = check(&RawContact {
            email: some("a@b.co"),
            utm: RawUtm {
                campaign: some("pri\u{0}mavera"),
                ..Default::default()
            },
            referrer: Some("x".repeat(5000)),
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(c.attribution.utm_campaign.as_deref(), Some("primavera"));
        assert_eq!(c.attribution.referrer.map(|r| r.len()), Some(2000));
    }

    #[test]
    fn length_limits_refuse_instead_of_cutting() {
        let at = |n: usize| "a".repeat(n);
        type Make = fn(String) -> RawContact;
        let cases: [(&str, usize, Make); 5] = [
            ("first_name", MAX_NAME, |v| RawContact {
                first_name: Some(v),
                ..Default::default()
            }),
            ("last_name", MAX_NAME, |v| RawContact {
                last_name: Some(v),
                ..Default::default()
            }),
            ("name", MAX_FULL_NAME, |v| RawContact {
                name: Some(v),
                ..Default::default()
            }),
            ("company", MAX_COMPANY, |v| RawContact {
                company: Some(v),
                email: some("a@b.co"),
                ..Default::default()
            }),
            ("source", MAX_SOURCE, |v| RawContact {
                source: Some(v),
                email: some("a@b.co"),
                ..Default::default()
            }),
        ];
        for (field, max, make) in cases {
            assert!(check(&make(at(max))).is_ok(), "{field} at {max}");
            let errs = check(&make(at(max + 1))).expect_err(field);
            assert_eq!(errs[0].field.as_str(), field);
            assert_eq!(errs[0].problem, Problem::TooLong);
            assert!(
                errs[0].message.contains("longer than"),
                "{}",
                errs[0].message
            );
        }
        // Surrounding whitespace does not count.
        assert!(
            check(&RawContact {
                first_name: Some(format!("  {}  ", at(MAX_NAME))),
                ..Default::default()
            })
            .is_ok()
        );
        let email = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            errors(&RawContact {
                email: Some(email),
                ..Default::default()
            }),
            [("email".to_string(), Problem::Email)]
        );
    }

    #[test]
    fn tags_lifecycle_and_custom_values() {
        let tags = |n: usize| RawContact {
            email: some("a@b.co"),
            tags: (0..n).map(|i| format!("t{i}")).collect(),
            ..Default::default()
        };
        assert_eq!(
            check(&tags(MAX_TAGS)).expect("50 tags").tags.len(),
            MAX_TAGS
        );
        assert_eq!(
            errors(&tags(MAX_TAGS + 1)),
            [("tags".to_string(), Problem::Tag)]
        );
        let raw = RawContact {
            email: some("a@b.co"),
            tags: vec!["ok".into(), " ".into()],
            lifecycle: some("zombie"),
            ..Default::default()
        };
        assert_eq!(
            errors(&raw),
            [
                ("lifecycle".to_string(), Problem::Lifecycle),
                ("tags".to_string(), Problem::Tag)
            ]
        );

        let defs = [
            Def {
                key: "presupuesto",
                kind: "number",
                choices: &[],
            },
            Def {
                key: "plan",
                kind: "select",
                choices: &["Pro", "Basic"],
            },
            Def {
                key: "alta",
                kind: "date",
                choices: &[],
            },
        ];
        let mut raw = RawContact {
            email: some("a@b.co"),
            ..Default::default()
        };
        raw.custom
            .insert("presupuesto".into(), Value::String("12,5".into()));
        raw.custom
            .insert("plan".into(), Value::String(" Pro ".into()));
        raw.custom.insert("alta".into(), Value::Null);
        let c = validate_contact(&raw, "MX", &defs).expect("valid");
        assert_eq!(c.custom["presupuesto"], serde_json::json!(12.5));
        assert_eq!(c.custom["plan"], "Pro");
        assert_eq!(c.custom["alta"], Value::Null, "null clears");
        raw.custom
            .insert("plan".into(), Value::String("Gold".into()));
        raw.custom.insert("nope".into(), Value::from(1));
        let errs = validate_contact(&raw, "MX", &defs).expect_err("invalid");
        let got: Vec<(String, Option<String>)> = errs
            .iter()
            .map(|e| (e.field.as_str().into_owned(), e.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("custom.nope".to_string(), Some("1".to_string())),
                ("custom.plan".to_string(), Some("Gold".to_string()))
            ]
        );
        assert!(errs.iter().all(|e| e.problem == Problem::Custom));
    }

    #[test]
    fn errors_come_in_field_order_with_the_offending_value() {
        let raw = RawContact {
            first_name: Some("x".repeat(101)),
            email: some("no-es-correo"),
            phone: some("123"),
            company: some("a\u{0}"),
            ..Default::default()
        };
        let errs = check(&raw).expect_err("invalid");
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str().into_owned()).collect();
        assert_eq!(fields, ["first_name", "email", "phone", "company"]);
        assert_eq!(errs[1].value.as_deref(), Some("no-es-correo"));
        assert_eq!(errs[1].to_string(), errs[1].message);
    }

    #[test]
    fn the_api_body_refuses_unknown_fields() {
        let ok: RawContact = serde_json::from_str(
            r#"{"name": "Ana", "utm": {"source": "x"}, "custom": {"k": 1}, "first_name": null}"#,
        )
        .expect("parses");
        assert_eq!(ok.utm.source.as_deref(), Some("x"));
        assert!(serde_json::from_str::<RawContact>(r#"{"emial": "a@b.co"}"#).is_err());
        assert!(serde_json::from_str::<RawContact>(r#"{"utm": {"sorce": "x"}}"#).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_an_answer_never_a_panic(
            first in "\\PC{0,120}", email in ".{0,40}", phone in ".{0,20}", tag in ".{0,60}"
        ) {
            let raw = RawContact {
                first_name: Some(first),
                email: Some(email),
                phone: Some(phone),
                tags: vec![tag],
                ..Default::default()
            };
            if let Ok(c) = check(&raw) {
                proptest::prop_assert!(c.first_name.chars().count() <= MAX_NAME);
                proptest::prop_assert!(!c.first_name.chars().any(char::is_control));
            }
        }
    }
}
