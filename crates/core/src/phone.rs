//! Phone numbers as people read and type them. Stored numbers are E.164
//! (`+525512345678`, see `contact::normalize_phone`); pages show them the
//! way the reader dials them — national format for a number of the
//! workspace's own country (`55 1234 5678`), international otherwise
//! (`+57 301 2345678`) — and search matches on digits whatever the
//! punctuation typed (`55 8765`, `+52 55-8765-4321`).

use phonenumber::{Mode, country};

/// How to show a stored number to someone in `home_country` (ISO
/// alpha-2). Text that is not a parseable number is returned as it is.
pub fn display(stored: &str, home_country: &str) -> String {
    let home = home_country.parse::<country::Id>().ok();
    let Ok(parsed) = phonenumber::parse(home, stored) else {
        return stored.to_string();
    };
    let same_country = home.is_some() && parsed.country().id() == home;
    let mode = if same_country {
        Mode::National
    } else {
        Mode::International
    };
    parsed.format().mode(mode).to_string()
}

/// The digits of what someone typed, for matching phone numbers by digits
/// (`"+52 (55) 8765-4321"` → `"525587654321"`).
pub fn digits(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_number_reads_national_and_a_foreign_one_international() {
        assert_eq!(display("+525512345678", "MX"), "55 1234 5678");
        assert_eq!(display("+573012345678", "MX"), "+57 301 2345678");
        assert_eq!(display("+56961234567", "CL"), "9 6123 4567");
        assert_eq!(display("+56961234567", "MX"), "+56 9 6123 4567");
        assert_eq!(display("+14155552671", "US"), "(415) 555-2671");
    }

    #[test]
    fn text_that_is_not_a_number_is_left_alone() {
        assert_eq!(display("no phone", "MX"), "no phone");
        assert_eq!(display("", "MX"), "");
        assert_eq!(display("+525512345678", "??"), "+52 55 1234 5678");
    }

    #[test]
    fn digits_ignore_punctuation() {
        assert_eq!(digits("+52 (55) 8765-4321"), "525587654321");
        assert_eq!(digits("55 8765"), "558765");
        assert_eq!(digits("ninguno"), "");
    }
}
