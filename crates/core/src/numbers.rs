//! Whole numbers as people read them: counts ("10.000 contactos",
//! "1,234 deals") with the workspace country's thousands separator. Money
//! has its own rules (its currency decides, not the country): see
//! [`crate::money`].

/// Countries that write `1.234,56` (the rest of ours write `1,234.56`).
fn comma_decimal(country: &str) -> bool {
    matches!(
        country,
        "ES" | "CO"
            | "AR"
            | "CL"
            | "UY"
            | "PY"
            | "BO"
            | "VE"
            | "BR"
            | "DE"
            | "FR"
            | "IT"
            | "PT"
            | "NL"
            | "BE"
            | "AT"
    )
}

/// The thousands separator a country (ISO 3166 alpha-2) writes.
pub fn thousands_separator(country: &str) -> char {
    if comma_decimal(country) { '.' } else { ',' }
}

/// A whole number with the country's thousands separator: `10,000` in
/// Mexico, `10.000` in Colombia.
pub fn format_count(n: i64, country: &str) -> String {
    let s = crate::money::group_digits(u128::from(n.unsigned_abs()), thousands_separator(country));
    if n < 0 { format!("-{s}") } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_countrys_separator() {
        assert_eq!(format_count(10_000, "MX"), "10,000");
        assert_eq!(format_count(10_000, "CO"), "10.000");
        assert_eq!(format_count(-1_234_567, "ES"), "-1.234.567");
        assert_eq!(format_count(999, "US"), "999");
        assert_eq!(format_count(i64::MIN, "MX"), "-9,223,372,036,854,775,808");
    }
}
