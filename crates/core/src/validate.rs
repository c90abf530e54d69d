//! Validation of values people type: every check returns a message a user can
//! act on, naming what is wrong. Messages are English here; the web layer
//! shows them next to the field they belong to.

/// A workspace slug: 2–40 chars of `a-z`, `0-9` and inner `-`. Used in URLs and
/// subdomains, so it is strict.
pub fn slug(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_lowercase();
    let ok_chars = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(2..=40).contains(&s.len()) || !ok_chars || s.starts_with('-') || s.ends_with('-') {
        return Err(
            "slug must be 2-40 characters: lowercase letters, digits and inner hyphens".into(),
        );
    }
    if RESERVED_SLUGS.contains(&s.as_str()) {
        return Err(format!("slug {s:?} is reserved"));
    }
    Ok(s)
}

/// Slugs that would collide with our own paths or subdomains (`manage`:
/// `/book/manage/{token}` is the invitee's manage link).
const RESERVED_SLUGS: &[&str] = &[
    "www", "api", "app", "admin", "assets", "static", "login", "logout", "mail", "book", "f",
    "manage",
];

/// A display name (workspace, API key, person): trimmed, non-empty, bounded.
pub fn name(raw: &str, max: usize) -> Result<String, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("name is required".into());
    }
    if s.chars().count() > max {
        return Err(format!("name is longer than {max} characters"));
    }
    if s.chars().any(char::is_control) {
        return Err("name contains control characters".into());
    }
    Ok(s.to_string())
}

/// An email address, normalised: trimmed, domain lower-cased. The local part
/// keeps its case for display; comparisons use [`email_key`].
pub fn email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let err = || format!("{s:?} is not a valid email address");
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err());
    }
    let (local, domain) = s.rsplit_once('@').ok_or_else(err)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(err());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// The key emails are compared and de-duplicated by: fully lower-cased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A password for a new account: long enough to resist guessing.
pub fn new_password(raw: &str) -> Result<&str, String> {
    let n = raw.chars().count();
    if n < 10 {
        return Err("password must have at least 10 characters".into());
    }
    if n > 256 {
        return Err("password must have at most 256 characters".into());
    }
    Ok(raw)
}

/// An IANA time zone name known to the bundled tz database.
pub fn time_zone(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    match jiff::tz::TimeZone::get(s) {
        Ok(_) if !s.is_empty() => Ok(s.to_string()),
        _ => Err(format!(
            "{s:?} is not a known time zone (e.g. America/Mexico_City)"
        )),
    }
}

/// An ISO 3166-1 alpha-2 country code with a telephone numbering plan
/// (the default country phone numbers are read in).
pub fn country(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_uppercase();
    match s.parse::<phonenumber::country::Id>() {
        Ok(_) if s.len() == 2 => Ok(s),
        _ => Err(format!(
            "{s:?} is not a known country code (e.g. MX, CO, ES)"
        )),
    }
}

/// A brand colour as `#rrggbb`.
pub fn color(raw: &str) -> Result<String, String> {
    let s = raw.trim().to_ascii_lowercase();
    let hex = s.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err(format!("{raw:?} is not a colour like #4f46e5"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug(" Acme-MX "), Ok("acme-mx".into()));
        assert!(slug("a").is_err());
        assert!(slug("-acme").is_err());
        assert!(slug("acme_mx").is_err());
        assert!(slug("api").is_err());
        assert!(slug("manage").is_err(), "the booking manage link's path");
        assert!(slug("ácme").is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(email(" Ana@Example.COM "), Ok("Ana@example.com".into()));
        assert_eq!(email_key("Ana@Example.COM"), "ana@example.com");
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@x",
            "a b@x.com",
            "ana@x..com",
            "ana@.x.com",
        ] {
            assert!(email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn zones_countries_colours() {
        assert!(time_zone("America/Mexico_City").is_ok());
        assert!(time_zone("Mars/Olympus").is_err());
        assert!(time_zone("").is_err());
        assert_eq!(country("mx"), Ok("MX".into()));
        assert!(country("XX").is_err());
        assert_eq!(color("#4F46E5"), Ok("#4f46e5".into()));
        assert!(color("red").is_err());
        assert!(new_password("short").is_err());
        assert!(new_password("long enough pass").is_ok());
    }
}
