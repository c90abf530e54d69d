//! Numbers as a chart writes them: axis ticks, value labels, the table and
//! the CSV. Separators come from the workspace's country, like every count
//! in the product (`af_core::numbers`); money is written the way its
//! currency is written at home (`af_core::money::format`), whoever reads it.

use super::Unit;
use af_core::Locale;
use af_core::money;
use af_core::numbers::thousands_separator;

/// Most decimals a count shows (an average such as 3.25 days).
const COUNT_DECIMALS: u32 = 2;
/// Most decimals a percentage shows (42.5 %).
const PERCENT_DECIMALS: u32 = 1;

/// How one chart writes numbers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fmt<'a> {
    pub locale: Locale,
    pub thousands: char,
    pub decimal: char,
    pub unit: &'a Unit,
}

impl<'a> Fmt<'a> {
    /// The separators of `country` (ISO 3166 alpha-2); with no country, the
    /// language's usual ones (Spanish `1.234,5`, English `1,234.5`).
    pub fn new(country: &str, locale: Locale, unit: &'a Unit) -> Self {
        let thousands = if country.trim().is_empty() {
            match locale {
                Locale::Es => '.',
                Locale::En => ',',
            }
        } else {
            thousands_separator(country.trim())
        };
        let decimal = if thousands == '.' { ',' } else { '.' };
        Fmt {
            locale,
            thousands,
            decimal,
            unit,
        }
    }

    /// `v` rounded to `decimals`, grouped, with trailing zeros of the
    /// fraction kept (axis ticks line up: `0,5 1,0 1,5`).
    pub fn number(&self, v: f64, decimals: u32) -> String {
        digits(v, decimals, Some(self.thousands), self.decimal)
    }

    /// `v` with at most `max` decimals and no trailing zeros (`3,5`, `12`).
    fn trimmed(&self, v: f64, max: u32) -> String {
        let s = self.number(v, max);
        if max == 0 {
            return s;
        }
        let s = s.trim_end_matches('0');
        s.strip_suffix(self.decimal).unwrap_or(s).to_string()
    }

    /// A percentage as the language writes it: `42,5 %` (Spanish leaves a
    /// space before the sign), `42.5%`.
    fn percent(&self, number: String) -> String {
        match self.locale {
            Locale::Es => format!("{number}\u{a0}%"),
            Locale::En => format!("{number}%"),
        }
    }

    /// One value as the bars, tooltips and the table show it.
    pub fn value(&self, v: f64) -> String {
        match self.unit {
            Unit::Count => self.trimmed(v, COUNT_DECIMALS),
            Unit::Percent => self.percent(self.trimmed(v, PERCENT_DECIMALS)),
            Unit::Money { currency } => money::format(v.round() as i128, currency),
        }
    }

    /// A conversion rate between two stages (`45 %`), whatever the unit.
    pub fn rate(&self, pct: f64) -> String {
        self.percent(self.trimmed(pct, PERCENT_DECIMALS))
    }

    /// An axis tick. `step_exp` is the power of ten of the tick step in the
    /// values' own units (minor units for money), so every tick shows the
    /// decimals the step needs and no more. Millions are written `1,5 M`.
    pub fn tick(&self, v: f64, step_exp: i32, max_abs: f64) -> String {
        let (v, exp, max_abs) = match self.unit {
            Unit::Money { currency } => {
                let d = money::minor_digits(currency) as i32;
                (v / 10f64.powi(d), step_exp - d, max_abs / 10f64.powi(d))
            }
            _ => (v, step_exp, max_abs),
        };
        let (v, exp, suffix) = if max_abs >= 1e6 {
            (v / 1e6, exp - 6, "\u{a0}M")
        } else {
            (v, exp, "")
        };
        let s = if v == 0.0 {
            // The baseline reads 0, not `0,0 M`.
            "0".to_string()
        } else {
            let decimals = u32::try_from(-exp).unwrap_or(0);
            format!("{}{suffix}", self.number(v, decimals))
        };
        match self.unit {
            Unit::Percent => self.percent(s),
            _ => s,
        }
    }

    /// What the value axis is in, written above it: the currency code for
    /// money (ticks show plain numbers), nothing otherwise.
    pub fn axis_caption(&self) -> Option<&'a str> {
        match self.unit {
            Unit::Money { currency } => Some(currency.as_str()),
            _ => None,
        }
    }
}

/// One value as the CSV writes it: a plain `.` decimal, no grouping, the
/// same rounding as the label drawn (money in major units, as every export
/// of ours writes amounts: `12345.67`).
pub(super) fn plain(v: f64, unit: &Unit) -> String {
    match unit {
        Unit::Money { currency } => money::major_units(v.round() as i64, currency),
        Unit::Count => plain_trimmed(v, COUNT_DECIMALS),
        Unit::Percent => plain_trimmed(v, PERCENT_DECIMALS),
    }
}

fn plain_trimmed(v: f64, max: u32) -> String {
    let s = digits(v, max, None, '.');
    if max == 0 {
        return s;
    }
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// `v` rounded half away from zero to `decimals` (one rounding for the
/// labels, the table and the CSV, so they never disagree on a last digit),
/// the whole part grouped with `thousands` when given.
fn digits(v: f64, decimals: u32, thousands: Option<char>, decimal: char) -> String {
    let scaled = (v * 10f64.powi(decimals as i32)).round();
    let abs = scaled.abs() as u128;
    let pow = 10u128.pow(decimals);
    let mut s = match thousands {
        Some(sep) => money::group_digits(abs / pow, sep),
        None => (abs / pow).to_string(),
    };
    if decimals > 0 {
        s.push(decimal);
        s.push_str(&format!("{:0w$}", abs % pow, w = decimals as usize));
    }
    // A value that rounds to zero is written without a sign.
    if scaled < 0.0 && abs > 0 {
        format!("-{s}")
    } else {
        s
    }
}
