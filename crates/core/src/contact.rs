//! Contact rules that need no database: phone normalisation to E.164 in the
//! workspace's default country, name splitting, attribution, tag names.

use phonenumber::{Mode, country};
use serde::{Deserialize, Serialize};

/// Normalises a phone number to E.164, reading numbers without a `+` prefix
/// in `default_country` (ISO alpha-2). E.g. `8112345678` in MX is
/// `+528112345678`. An unparseable or impossible number is an error
/// message, never a panic.
pub fn normalize_phone(raw: &str, default_country: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("phone is empty".into());
    }
    if trimmed.len() > 40
        || trimmed
            .chars()
            .any(|c| !(c.is_ascii_digit() || " +-().".contains(c)))
    {
        return Err(format!("{trimmed:?} is not a phone number"));
    }
    let region = default_country.parse::<country::Id>().ok();
    let parsed = phonenumber::parse(region, trimmed)
        .map_err(|_| format!("{trimmed:?} is not a phone number"))?;
    if !phonenumber::is_valid(&parsed) {
        return Err(format!(
            "{trimmed:?} is not a valid phone number for {default_country}"
        ));
    }
    Ok(parsed.format().mode(Mode::E164).to_string())
}

/// Splits a full name into first and last name at the first space
/// (`"María José Pérez"` → `("María", "José Pérez")`), as the PAUTA intake did.
pub fn split_name(full: &str) -> (String, String) {
    let full = full.split_whitespace().collect::<Vec<_>>().join(" ");
    match full.split_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (full, String::new()),
    }
}

/// A tag name: trimmed, inner whitespace collapsed, 1–50 characters.
pub fn tag_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 50 || name.chars().any(char::is_control) {
        return Err(format!("{raw:?} is not a valid tag (1-50 characters)"));
    }
    Ok(name)
}

/// The key tags are compared by (case-insensitive).
pub fn tag_key(name: &str) -> String {
    name.to_lowercase()
}

/// Where a lead came from: UTM parameters, referrer and landing page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
}

impl Attribution {
    /// True when no field is set (nothing to record).
    pub fn is_empty(&self) -> bool {
        [
            &self.utm_source,
            &self.utm_medium,
            &self.utm_campaign,
            &self.utm_term,
            &self.utm_content,
            &self.referrer,
            &self.landing_page,
        ]
        .iter()
        .all(|f| f.as_deref().is_none_or(|v| v.trim().is_empty()))
    }

    /// Trims every field, drops empty ones, and bounds lengths (hostile input).
    pub fn cleaned(self) -> Self {
        let c = |v: Option<String>, max: usize| {
            v.map(|s| {
                s.trim()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(max)
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
        };
        Attribution {
            utm_source: c(self.utm_source, 200),
            utm_medium: c(self.utm_medium, 200),
            utm_campaign: c(self.utm_campaign, 200),
            utm_term: c(self.utm_term, 200),
            utm_content: c(self.utm_content, 200),
            referrer: c(self.referrer, 2000),
            landing_page: c(self.landing_page, 2000),
        }
    }
}

/// Lifecycle of a contact.
pub const LIFECYCLES: [&str; 5] = ["lead", "qualified", "customer", "churned", "other"];

/// Whether `raw` is a known lifecycle status.
pub fn lifecycle(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_lowercase();
    if LIFECYCLES.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!(
            "unknown lifecycle {raw:?}: expected one of {}",
            LIFECYCLES.join(", ")
        ))
    }
}

/// A currency code: three ASCII letters, upper-cased.
pub fn currency(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_uppercase();
    if s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(s)
    } else {
        Err(format!("{raw:?} is not a currency code like MXN"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_in_the_default_country() {
        assert_eq!(
            normalize_phone("8112345678", "MX"),
            Ok("+528112345678".into())
        );
        assert_eq!(
            normalize_phone("81 1234 5678", "MX"),
            Ok("+528112345678".into())
        );
        assert_eq!(
            normalize_phone("+52 81 1234 5678", "CO"),
            Ok("+528112345678".into()),
            "a + prefix wins"
        );
        assert_eq!(
            normalize_phone("300 123 4567", "CO"),
            Ok("+573001234567".into())
        );
        assert_eq!(
            normalize_phone("9 8765 4321", "CL"),
            Ok("+56987654321".into())
        );
        assert_eq!(
            normalize_phone("11 2345-6789", "AR"),
            Ok("+541123456789".into())
        );
        assert_eq!(
            normalize_phone("612 34 56 78", "ES"),
            Ok("+34612345678".into())
        );
        assert_eq!(
            normalize_phone("(415) 555-2671", "US"),
            Ok("+14155552671".into())
        );
        for bad in [
            "",
            "abc",
            "123",
            "+99 1",
            "81-1234-5678<script>",
            &"9".repeat(50),
        ] {
            assert!(normalize_phone(bad, "MX").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_tags_attribution() {
        assert_eq!(
            split_name("  María  José Pérez "),
            ("María".into(), "José Pérez".into())
        );
        assert_eq!(split_name("Cher"), ("Cher".into(), String::new()));
        assert_eq!(tag_name("  Hot   Lead "), Ok("Hot Lead".into()));
        assert!(tag_name("   ").is_err());
        assert_eq!(tag_key("Hot Lead"), "hot lead");
        let a = Attribution {
            utm_source: Some("  google ".into()),
            utm_medium: Some(" ".into()),
            ..Default::default()
        }
        .cleaned();
        assert_eq!(a.utm_source.as_deref(), Some("google"));
        assert_eq!(a.utm_medium, None);
        assert!(Attribution::default().is_empty() && !a.is_empty());
        assert_eq!(currency("mxn"), Ok("MXN".into()));
        assert!(currency("pesos").is_err());
    }
}
