//! Money amounts: integer minor units of an ISO 4217 currency, bounded so
//! that no door (API, UI, import, automation) can store a value whose
//! arithmetic overflows. Totals are summed in `i128`.

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
