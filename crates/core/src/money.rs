//! Money amounts: integer minor units of an ISO 4217 currency, bounded so
//! that no door (API, UI, import, automation) can store a value whose
//! arithmetic overflows. Totals are summed in `i128`.
//!
//! This module is the one place that knows a country's currency, how many
//! minor units a currency has (ISO 4217: CLP has none, COP, MXN, PEN two) and
//! how an amount is written. An amount is written the way its currency's
//! home country writes it (`$15.000 CLP`, `$1,234.50 MXN`, `S/ 1,234.50 PEN`,
//! `1.234,50 €`), so the same deal reads the same on the board, the contact
//! page, exports and messages, whoever looks at it.

/// The largest magnitude of one amount, in minor units: |value| < 10^15
/// (ten trillion pesos with cents). A sum of up to ~9,000 such values still
/// fits in `i64`, and totals are computed wider than that anyway.
pub const MAX_ABS_MINOR: i64 = 999_999_999_999_999;

/// Checks one amount against [`MAX_ABS_MINOR`]; the message names the limit.
pub fn check_minor(value: i64) -> Result<i64, String> {
    if value.unsigned_abs() <= MAX_ABS_MINOR as u64 {
        Ok(value)
    } else {
        Err(format!(
            "must be between -{MAX_ABS_MINOR} and {MAX_ABS_MINOR} (integer minor units)"
        ))
    }
}

/// An amount sent as a JSON number: only whole numbers within
/// [`MAX_ABS_MINOR`] are money. A float (`12.5`, `1e20`) or a number past
/// `i64` is refused with a message a client can act on, not a parser error.
pub fn minor_from_json(value: &serde_json::Value) -> Result<i64, String> {
    match value.as_i64() {
        Some(v) => check_minor(v),
        None if value.is_number() => Err(format!(
            "must be a whole number of minor units (cents) between -{MAX_ABS_MINOR} and {MAX_ABS_MINOR}"
        )),
        None => Err("must be a number (integer minor units)".into()),
    }
}

/// A total rebuilt from the two partial sums SQL computes without overflow
/// (`SUM(v / 10^9)` and `SUM(v % 10^9)`, both truncating toward zero on
/// SQLite and PostgreSQL, so `v = (v / 10^9) * 10^9 + v % 10^9` exactly).
pub fn total_from_parts(high: i64, low: i64) -> i128 {
    i128::from(high) * 1_000_000_000 + i128::from(low)
}

/// The currency a workspace or contact of this country (ISO 3166 alpha-2)
/// deals in by default.
pub fn currency_for_country(country: &str) -> &'static str {
    match country {
        "MX" => "MXN",
        "CO" => "COP",
        "CL" => "CLP",
        "AR" => "ARS",
        "PE" => "PEN",
        "UY" => "UYU",
        "BR" => "BRL",
        "GT" => "GTQ",
        "CR" => "CRC",
        "BO" => "BOB",
        "PY" => "PYG",
        "DO" => "DOP",
        "ES" | "DE" | "FR" | "IT" | "PT" | "NL" | "BE" | "AT" | "IE" => "EUR",
        // Ecuador, El Salvador, Panama and Puerto Rico use the dollar.
        _ => "USD",
    }
}

/// Decimal places of a currency's minor unit (ISO 4217).
pub fn minor_digits(currency: &str) -> u32 {
    match currency {
        "CLP" | "PYG" | "JPY" | "KRW" | "ISK" | "UGX" | "VND" | "XAF" | "XOF" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// How a currency's home country writes an amount.
struct Style {
    /// Written before the number (`$`, `S/ `), or after it when `suffix`.
    symbol: &'static str,
    /// The symbol goes after the number (`1.234,50 €`).
    suffix: bool,
    /// The ISO code follows, telling dollar-sign currencies apart.
    code: bool,
    thousands: char,
    decimal: char,
}

fn style(currency: &str) -> Option<Style> {
    let s = |symbol, suffix, code, thousands, decimal| Style {
        symbol,
        suffix,
        code,
        thousands,
        decimal,
    };
    Some(match currency {
        "USD" | "MXN" => s("$", false, true, ',', '.'),
        "CLP" | "COP" | "ARS" => s("$", false, true, '.', ','),
        "UYU" => s("$U ", false, false, '.', ','),
        "PEN" => s("S/ ", false, true, ',', '.'),
        "BRL" => s("R$ ", false, false, '.', ','),
        "GTQ" => s("Q", false, true, ',', '.'),
        "DOP" => s("RD$", false, false, ',', '.'),
        "CRC" => s("₡", false, false, '.', ','),
        "BOB" => s("Bs ", false, false, '.', ','),
        "PYG" => s("₲ ", false, false, '.', ','),
        "EUR" => s(" €", true, false, '.', ','),
        _ => return None,
    })
}

/// `n` with `sep` between groups of three digits.
pub fn group_digits(mut n: u128, sep: char) -> String {
    let mut parts = Vec::new();
    loop {
        let chunk = n % 1000;
        n /= 1000;
        if n == 0 {
            parts.push(chunk.to_string());
            break;
        }
        parts.push(format!("{chunk:03}"));
    }
    parts.reverse();
    parts.join(&sep.to_string())
}

/// An amount in minor units as its currency is written at home:
/// `$15.000 CLP`, `$1,234.50 MXN`, `S/ 1,234.50 PEN`, `1.234,50 €`;
/// a currency without a known style reads `GBP 1.00`.
pub fn format(minor: impl Into<i128>, currency: &str) -> String {
    let minor: i128 = minor.into();
    let digits = minor_digits(currency);
    let st = style(currency);
    let (thousands, decimal) = st.as_ref().map_or((',', '.'), |s| (s.thousands, s.decimal));
    let abs = minor.unsigned_abs();
    let scale = 10u128.pow(digits);
    let mut number = group_digits(abs / scale, thousands);
    if digits > 0 {
        number.push(decimal);
        number.push_str(&format!("{:0w$}", abs % scale, w = digits as usize));
    }
    let sign = if minor < 0 { "-" } else { "" };
    match st {
        Some(s) if s.suffix => format!("{sign}{number}{}", s.symbol),
        Some(s) if s.code => format!("{sign}{}{number} {currency}", s.symbol),
        Some(s) => format!("{sign}{}{number}", s.symbol),
        None => format!("{sign}{currency} {number}"),
    }
}

/// An amount in major units with a plain `.` and the currency's ISO
/// decimals, for files other programs read (`15000` CLP, `12345.67` MXN).
pub fn major_units(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{m}");
    }
    let scale = 10u64.pow(digits);
    format!("{sign}{}.{:0w$}", m / scale, m % scale, w = digits as usize)
}

/// A typed amount (`1500`, `1500.50`, `1,500.50`, `1.500,50`, `$ 20`) in
/// minor units of `currency`. `None` when it is not a non-negative amount
/// within [`MAX_ABS_MINOR`] with at most the currency's decimals. Either
/// separator may be the decimal one: a lone separator followed by more
/// digits than the currency has decimals is a thousands separator.
pub fn parse(raw: &str, currency: &str) -> Option<i64> {
    let s: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '$' | '€' | '₡' | '₲'))
        .collect();
    // Symbols and codes around the number (`S/`, `R$`, `MXN`) are not part of it.
    let s = s
        .trim_matches(|c: char| c.is_ascii_alphabetic() || c == '/')
        .to_string();
    if s.is_empty() {
        // A blank field means no value; text without a number is an error.
        return raw.trim().is_empty().then_some(0);
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    let digits = minor_digits(currency) as usize;
    let (int_part, frac_part) = match s.rfind(['.', ',']) {
        None => (s.clone(), String::new()),
        Some(i) => {
            let sep = s[i..].chars().next()?;
            let other = if sep == '.' { ',' } else { '.' };
            let tail = &s[i + 1..];
            let head = &s[..i];
            let decimal = if s.contains(other) {
                true
            } else if s.matches(sep).count() > 1 {
                false
            } else {
                !tail.is_empty() && tail.len() <= digits
            };
            if decimal {
                if head.contains(sep) {
                    return None;
                }
                (head.replace(other, ""), tail.to_string())
            } else {
                // Thousands separators only: groups of exactly three.
                let groups: Vec<&str> = s.split(sep).collect();
                if groups[1..].iter().any(|g| g.len() != 3) || groups[0].is_empty() {
                    return None;
                }
                (s.replace(sep, ""), String::new())
            }
        }
    };
    if int_part.is_empty() && frac_part.is_empty() || frac_part.len() > digits {
        return None;
    }
    let whole: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let frac: i64 = if frac_part.is_empty() {
        0
    } else {
        format!("{frac_part:0<digits$}").parse().ok()?
    };
    whole
        .checked_mul(10i64.pow(digits as u32))?
        .checked_add(frac)
        .and_then(|v| check_minor(v).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_both_ways() {
        assert!(check_minor(MAX_ABS_MINOR).is_ok());
        assert!(check_minor(-MAX_ABS_MINOR).is_ok());
        assert!(check_minor(MAX_ABS_MINOR + 1).is_err());
        assert!(check_minor(i64::MAX).is_err());
        assert!(check_minor(i64::MIN).is_err());
    }

    #[test]
    fn json_amounts_must_be_whole_and_bounded() {
        use serde_json::json;
        assert_eq!(minor_from_json(&json!(1250)), Ok(1250));
        for bad in [
            json!(12.5),
            json!(1e20),
            json!(u64::MAX),
            json!("12"),
            json!(null),
        ] {
            assert!(minor_from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_read_as_at_home() {
        assert_eq!(format(1_500_000, "MXN"), "$15,000.00 MXN");
        assert_eq!(format(123_450, "MXN"), "$1,234.50 MXN");
        assert_eq!(format(150_000_000, "COP"), "$1.500.000,00 COP");
        assert_eq!(format(15_000, "CLP"), "$15.000 CLP");
        assert_eq!(format(990_000, "CLP"), "$990.000 CLP");
        assert_eq!(format(123_450, "PEN"), "S/ 1,234.50 PEN");
        assert_eq!(format(123_450, "EUR"), "1.234,50 €");
        assert_eq!(format(5, "USD"), "$0.05 USD");
        assert_eq!(format(-123_456, "USD"), "-$1,234.56 USD");
        assert_eq!(format(100, "GBP"), "GBP 1.00");
        assert_eq!(
            format(i128::from(i64::MAX) * 4, "USD"),
            "$368,934,881,474,191,032.28 USD"
        );
    }

    #[test]
    fn countries_have_one_currency() {
        for (country, currency) in [
            ("MX", "MXN"),
            ("CO", "COP"),
            ("CL", "CLP"),
            ("PE", "PEN"),
            ("AR", "ARS"),
            ("ES", "EUR"),
            ("US", "USD"),
            ("EC", "USD"),
        ] {
            assert_eq!(currency_for_country(country), currency);
        }
    }

    #[test]
    fn exports_use_iso_decimals() {
        assert_eq!(major_units(1_500_000, "MXN"), "15000.00");
        assert_eq!(major_units(-5, "USD"), "-0.05");
        assert_eq!(major_units(15_000, "CLP"), "15000");
        assert_eq!(major_units(150_000_000, "COP"), "1500000.00");
    }

    #[test]
    fn typed_amounts_parse_in_either_convention() {
        assert_eq!(parse("1500", "MXN"), Some(150_000));
        assert_eq!(parse("1500.5", "MXN"), Some(150_050));
        assert_eq!(parse("1,500.50", "MXN"), Some(150_050));
        assert_eq!(parse("1.500,50", "EUR"), Some(150_050));
        assert_eq!(parse("1500,50", "EUR"), Some(150_050));
        assert_eq!(parse("1.500", "EUR"), Some(150_000));
        assert_eq!(parse("1.500.000", "COP"), Some(150_000_000));
        assert_eq!(parse("990.000", "CLP"), Some(990_000));
        assert_eq!(parse("15000", "CLP"), Some(15_000));
        assert_eq!(parse("$ 20", "USD"), Some(2_000));
        assert_eq!(parse("S/ 1,234.50", "PEN"), Some(123_450));
        assert_eq!(parse("$1,234.50 MXN", "MXN"), Some(123_450));
        assert_eq!(parse("", "USD"), Some(0));
        assert_eq!(parse("-5", "USD"), None);
        assert_eq!(parse("1.2.3", "USD"), None);
        assert_eq!(parse("abc", "USD"), None);
        assert_eq!(parse("1.234", "USD"), Some(123_400));
        assert_eq!(parse("12,5", "CLP"), None);
        assert_eq!(parse("99999999999999999999", "USD"), None);
    }

    #[test]
    fn parts_rebuild_any_value() {
        for v in [
            0i64,
            1,
            -1,
            999_999_999,
            1_000_000_000,
            -1_234_567_890_123,
            MAX_ABS_MINOR,
        ] {
            let (hi, lo) = (v / 1_000_000_000, v % 1_000_000_000);
            assert_eq!(total_from_parts(hi, lo), i128::from(v));
        }
    }
}
