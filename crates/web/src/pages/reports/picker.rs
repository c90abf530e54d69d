//! The period picker every report page shares: 7 / 30 / 90 days as links
//! (keeping the other filters), a custom period as two dates, and the
//! period shown in words.

use super::Asked;
use crate::i18n::reports::ReportsTr;
use af_core::Locale;
use af_service::reports::ReportParams;

pub struct PresetLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

pub struct PeriodPicker {
    pub presets: Vec<PresetLink>,
    pub from: String,
    pub to: String,
    /// "Del 1 dic 2026 al 7 dic 2026".
    pub shown: String,
    /// Where the custom form goes.
    pub action: String,
    /// The other filters, carried by the custom form.
    pub hidden: Vec<(String, String)>,
}

fn href(path: &str, p: &ReportParams) -> String {
    let qs = serde_urlencoded::to_string(p).unwrap_or_default();
    if qs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{qs}")
    }
}

pub fn picker(a: &Asked, path: &str, rt: &'static ReportsTr, locale: Locale) -> PeriodPicker {
    let preset = a.q.period.preset(a.q.today);
    let presets = [(7, rt.last_7), (30, rt.last_30), (90, rt.last_90)]
        .into_iter()
        .map(|(days, label)| {
            let mut p = a.params.clone();
            p.period = (days != 30).then(|| days.to_string());
            p.from = None;
            p.to = None;
            PresetLink {
                label,
                href: href(path, &p),
                current: preset == Some(days),
            }
        })
        .collect();
    let mut rest = a.params.clone();
    rest.period = None;
    rest.from = None;
    rest.to = None;
    let hidden = super::hidden_fields(&rest);
    let utc = jiff::tz::TimeZone::UTC;
    let day = |d: jiff::civil::Date| {
        d.to_zoned(utc.clone())
            .map(|z| af_core::datetime::date(z.timestamp(), &utc, locale))
            .unwrap_or_else(|_| d.to_string())
    };
    PeriodPicker {
        presets,
        from: a.q.period.from.to_string(),
        to: a.q.period.to.to_string(),
        shown: rt
            .period_shown
            .replace("{from}", &day(a.q.period.from))
            .replace("{to}", &day(a.q.period.to)),
        action: path.to_string(),
        hidden,
    }
}
