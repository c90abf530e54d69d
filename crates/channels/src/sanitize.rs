//! Header-injection defence and address checks. Everything that ends up in an
//! email header (subject, display names, addresses) passes through here, so a
//! subject like `"Hola\r\nBcc: x@y"` can never start a header line of its own,
//! whichever provider sends it.

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Not a plain `local@domain` email address.
    #[error("not a valid email address")]
    InvalidEmail,
    /// Not an E.164 phone number (`+` and 8 to 15 digits).
    #[error("not an E.164 phone number")]
    InvalidPhone,
    /// Not a Message-ID we can put in a header (see [`message_id`]).
    #[error("not a valid Message-ID")]
    InvalidMessageId,
}

/// Longest Message-ID accepted: with its angle brackets and a header name
/// it still fits the 998-character line limit of RFC 5322 several times
/// over in `References`, and no real mailer makes longer ones.
pub const MAX_MESSAGE_ID_LEN: usize = 250;

/// Checks a Message-ID given without angle brackets (`abc@host`) for the
/// `Message-ID`, `In-Reply-To` and `References` headers. Unlike subjects,
/// ids are refused rather than cleaned: a changed id no longer matches the
/// message it names, and a line break or a `>` in one is an attempt to
/// add a header or a second id. Accepted: 1 to 250 visible ASCII
/// characters without `<` or `>`; one pair of enclosing brackets (an id
/// copied from a received header) is taken off first. The `@` RFC 5322
/// asks for is not required here, because ids of received mail are quoted
/// as their sender wrote them.
pub fn message_id(input: &str) -> Result<String, AddressError> {
    let id = input
        .strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(input);
    let ok = !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    if ok {
        Ok(id.to_owned())
    } else {
        Err(AddressError::InvalidMessageId)
    }
}

/// Makes text safe for a single header line: CR, LF and tabs become spaces,
/// other control characters (including Unicode line/paragraph separators and
/// bidi controls' C1 neighbours) are dropped, runs of spaces collapse and the
/// ends are trimmed.
pub fn header_text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut last_space = true;
    for c in input.chars() {
        let c = match c {
            '\r' | '\n' | '\t' | '\u{2028}' | '\u{2029}' | '\u{85}' => ' ',
            c if c.is_control() => continue,
            c => c,
        };
        if c == ' ' {
            if last_space {
                continue;
            }
            last_space = true;
        } else {
            last_space = false;
        }
        out.push(c);
    }
    while out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Like [`header_text`], and also drops the characters that would let a
/// display name break out of its quoting (`"`, `<`, `>`, `\`) and caps the
/// length at 70 characters (Brevo's documented limit).
pub fn display_name(input: &str) -> String {
    let cleaned: String = header_text(input)
        .chars()
        .filter(|c| !matches!(c, '"' | '<' | '>' | '\\'))
        .take(70)
        .collect();
    cleaned.trim().to_owned()
}

/// Checks and normalises an email address (trimmed, domain lower-cased). Only
/// the plain `local@domain` form is accepted: no display names, no comments,
/// no quoted local parts, no whitespace or control characters.
pub fn email_address(input: &str) -> Result<String, AddressError> {
    let t = input.trim();
    if t.is_empty() || t.len() > 254 {
        return Err(AddressError::InvalidEmail);
    }
    let (local, domain) = t.rsplit_once('@').ok_or(AddressError::InvalidEmail)?;
    if local.is_empty() || local.len() > 64 || domain.is_empty() {
        return Err(AddressError::InvalidEmail);
    }
    let local_ok = local.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    }) && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !local_ok {
        return Err(AddressError::InvalidEmail);
    }
    let domain = domain.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(AddressError::InvalidEmail);
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
            });
        if !ok {
            return Err(AddressError::InvalidEmail);
        }
    }
    Ok(format!("{local}@{domain}"))
}

/// Checks an E.164 phone number (`+` then 8 to 15 digits, no leading zero).
pub fn phone_e164(input: &str) -> Result<String, AddressError> {
    let t = input.trim();
    let digits = t.strip_prefix('+').ok_or(AddressError::InvalidPhone)?;
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(t.to_owned())
    } else {
        Err(AddressError::InvalidPhone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_text_never_keeps_line_breaks() {
        assert_eq!(header_text("Hola\r\nBcc: x@y"), "Hola Bcc: x@y");
        assert_eq!(header_text("a\n\n\tb\u{0}c\u{7f}"), "a bc");
        assert_eq!(header_text("  x\u{2028}y  "), "x y");
        assert_eq!(header_text("Año nuevo 🎉"), "Año nuevo 🎉");
        for s in ["\r", "\n", "\u{2028}"] {
            assert!(!header_text(&format!("a{s}b")).contains(s));
        }
    }

    #[test]
    fn display_names_cannot_break_quoting() {
        assert_eq!(
            display_name("Ana \"<evil@x>\"\r\nBcc: y"),
            "Ana evil@x Bcc: y"
        );
        assert_eq!(display_name(&"n".repeat(100)).len(), 70);
    }

    #[test]
    fn email_addresses() {
        assert_eq!(
            email_address(" Ana.Perez+tag@Example.COM ").as_deref(),
            Ok("Ana.Perez+tag@example.com")
        );
        for bad in [
            "",
            "no-at",
            "@x.com",
            "a@",
            "a@localhost",
            "a b@x.com",
            "a@x.com\r\nBcc: y@z.com",
            "a@x..com",
            "a@-x.com",
            ".a@x.com",
            "a..b@x.com",
            "Ana <a@x.com>",
            "a@x.com,b@y.com",
            "\"q\"@x.com",
        ] {
            assert!(email_address(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn message_ids_are_refused_not_cleaned() {
        assert_eq!(
            message_id("abc@agencyflow.local").as_deref(),
            Ok("abc@agencyflow.local")
        );
        assert_eq!(message_id("<abc@x.test>").as_deref(), Ok("abc@x.test"));
        for bad in [
            "",
            "<>",
            "a b@x.test",
            "abc@x.test\r\nBcc: spy@evil.test",
            "abc@x.test\n",
            "a<b@x.test",
            "a@x.test> <b@y.test",
            "<<a@x.test>>",
            "añ@x.test",
            "a\u{7f}@x.test",
            &format!("{}@x.test", "a".repeat(MAX_MESSAGE_ID_LEN)),
        ] {
            assert!(message_id(bad).is_err(), "{bad:?} accepted");
        }
        assert!(message_id(&"a".repeat(MAX_MESSAGE_ID_LEN)).is_ok());
    }

    #[test]
    fn phones() {
        assert!(phone_e164("+525512345678").is_ok());
        for bad in [
            "525512345678",
            "+0123456789",
            "+52 55",
            "+12a4567890",
            "+1234567",
        ] {
            assert!(phone_e164(bad).is_err(), "{bad:?} accepted");
        }
    }
}
