//! The public side of booking calendars, outside the session and CSRF
//! layers (strangers book; a signed link is the invitee's only key):
//! - [`public`]: a workspace's list of calendars (`/book/{workspace}`), a
//!   calendar's page with its month view, slots and questions
//!   (`/book/{workspace}/{calendar}`), the booking post, and the JSON the
//!   embed widget reads;
//! - [`manage`]: the invitee's page behind the signed manage link
//!   (`/book/manage/{token}`): confirmation, cancel, reschedule, `.ics`.
//!
//! With `BASE_DOMAIN` set, `{workspace}.{BASE_DOMAIN}/book` and
//! `/book/{calendar}` serve the same pages ([`host_workspace`]).
//!
//! Everything a visitor sees is rendered on the server and works without
//! JavaScript (the month, the day and the zone travel as query
//! parameters); `assets/js/booking.js` only detects the visitor's zone
//! and submits the zone picker on change.

pub mod manage;
pub mod public;

use crate::api::intake::preflight;
use crate::assets;
use crate::i18n::booking::{self as words, BookingTr};
use crate::i18n::forms::FormsTr;
use crate::state::AppState;
use af_core::Locale;
use af_core::booking::Slot;
use af_db::calendars::Calendar;
use af_db::workspaces::Workspace;
use af_service::forms::FieldSpec;
use axum::Router;
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, ToSpan};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Mounted with the public intake routes (no session, no CSRF): see
/// `lib.rs`. Static segments (`manage`) win over the slugs.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/book", get(public::host_list))
        .route(
            "/book/{slug}",
            get(public::list_or_host_calendar).post(public::host_book),
        )
        .route(
            "/book/{workspace}/{calendar}",
            get(public::calendar_page)
                .post(public::book)
                .options(preflight),
        )
        .route("/book/{workspace}/{calendar}/schema", get(public::schema))
        .route("/book/{workspace}/{calendar}/slots", get(public::slots))
        .route("/book/manage/{token}", get(manage::manage_page))
        .route("/book/manage/{token}/cancel", post(manage::cancel))
        .route("/book/manage/{token}/reschedule", post(manage::reschedule))
        .route("/book/manage/{token}/invite.ics", get(manage::invite))
}

/// The workspace slug a request names by its Host when `BASE_DOMAIN` is
/// set: `acme.agencyflow.app` → `acme` (one label only; the port is
/// ignored).
pub(crate) fn host_workspace(st: &AppState, headers: &HeaderMap) -> Option<String> {
    let domain = st.config.base_domain.as_deref()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    let label = host.strip_suffix(domain)?.strip_suffix('.')?;
    (!label.is_empty() && !label.contains('.')).then(|| label.to_string())
}

/// An active calendar of a workspace by slugs; `None` for anything a
/// visitor may not see (unknown, inactive, another workspace's).
pub(crate) async fn public_calendar(
    st: &AppState,
    ws_slug: &str,
    cal_slug: &str,
) -> Result<Option<(Workspace, Calendar)>, af_db::DbError> {
    let Some(ws) = af_db::workspaces::find_workspace_by_slug(&st.db, ws_slug).await? else {
        return Ok(None);
    };
    let cal = af_db::calendars::find_by_slug(&st.db, ws.id, cal_slug).await?;
    Ok(cal.filter(|c| c.active).map(|c| (ws, c)))
}

/// What every booking page shows around its content: the workspace's
/// name, logo and colour, the language switch, the assets.
pub(crate) struct Brand {
    pub lang: &'static str,
    pub ws_name: String,
    pub logo: Option<String>,
    pub brand_css: String,
    pub css: &'static str,
    pub js: String,
    /// What the language links keep of the page's query (`&month=…`),
    /// so switching language does not lose the chosen day and zone.
    pub keep: String,
}

impl Brand {
    pub fn of(ws: &Workspace, locale: Locale) -> Brand {
        Brand {
            lang: locale.as_str(),
            ws_name: ws.name.clone(),
            logo: ws.has_logo.then(|| format!("/w/{}/logo", ws.slug)),
            brand_css: assets::brand_css_path(ws.brand_color.as_deref().unwrap_or("")),
            css: assets::urls().css.as_str(),
            js: assets::url_of("js/booking.js"),
            keep: String::new(),
        }
    }

    /// Keeps the picker's month, day and zone in the language links.
    pub fn keeping(mut self, q: &PickerQuery) -> Brand {
        let pairs = [("month", &q.month), ("day", &q.day), ("tz", &q.tz)];
        self.keep = pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .map(|v| format!("&{k}={}", urlencoding::encode(v)))
            })
            .collect();
        self
    }
}

/// Every IANA zone name the bundled database knows, sorted (the picker).
pub(crate) fn zone_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut v: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.to_string())
            .filter(|n| n.contains('/') || n == "UTC")
            .collect();
        v.sort();
        v.dedup();
        v
    })
}

/// The visitor's zone from `?tz=` when it is a known zone, else `fallback`.
pub(crate) fn zone_or(tz: Option<&str>, fallback: &str) -> (String, TimeZone) {
    if let Some(name) = tz.map(str::trim)
        && let Ok(z) = TimeZone::get(name)
    {
        return (name.to_string(), z);
    }
    let z = af_core::datetime::zone(fallback);
    (fallback.to_string(), z)
}

/// How the calendar meets, in the visitor's words.
pub(crate) fn location_text(t: &BookingTr, kind: &str, location: &str) -> String {
    let label = match kind {
        "in_person" => t.loc_in_person,
        "phone" => t.loc_phone,
        "video" => t.loc_video,
        _ => t.loc_none,
    };
    if location.trim().is_empty() {
        label.to_string()
    } else {
        format!("{label} · {}", location.trim())
    }
}

/// "lunes 9 mar 2026" / "Monday, Mar 9, 2026".
pub(crate) fn day_label(d: Date, locale: Locale) -> String {
    let wd = words::weekday_name(locale, d.weekday().to_monday_one_offset());
    let m = words::month_short(locale, d.month());
    match locale {
        Locale::Es => format!("{wd} {} {m} {}", d.day(), d.year()),
        Locale::En => format!("{wd}, {m} {}, {}", d.day(), d.year()),
    }
}

/// A cell of the month grid: blank (`day` 0) or a day, linked when it
/// has free times.
pub(crate) struct DayCell {
    pub day: i8,
    pub href: Option<String>,
    pub selected: bool,
    pub label: String,
}

/// A free time as a radio button: the value is the instant with the
/// visitor's offset (what the booking posts as `start`).
pub(crate) struct SlotView {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The month view, the chosen day and its times, in the visitor's zone.
pub(crate) struct Picker {
    /// The page the links point at (`/book/acme/demo`, `/book/manage/…`).
    pub path: String,
    pub zone: String,
    /// No zone was asked for: the page's script may switch to the
    /// browser's.
    pub detect: bool,
    pub month_title: String,
    pub month_value: String,
    pub weekdays: [&'static str; 7],
    pub weeks: Vec<Vec<DayCell>>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub any_in_month: bool,
    pub day_label: Option<String>,
    pub slots: Vec<SlotView>,
}

impl Picker {
    pub fn zones(&self) -> &'static [String] {
        zone_names()
    }
}

fn first_of_month(d: Date) -> Date {
    d.first_of_month()
}

fn link(path: &str, month: Date, day: Option<Date>, zone: &str) -> String {
    let mut q = format!("{path}?month={}", month.strftime("%Y-%m"));
    if let Some(d) = day {
        q.push_str(&format!("&day={d}"));
    }
    q.push_str(&format!("&tz={}", urlencoding::encode(zone)));
    q
}

/// What the picker was asked for (query parameters, all optional).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub(crate) struct PickerQuery {
    pub month: Option<String>,
    pub day: Option<String>,
    pub tz: Option<String>,
}

/// Builds the picker: the month asked for (within today … the horizon;
/// without one, the month of the first free time), its days with free
/// times, the chosen day (or the first one with times) and its slots.
/// `exclude` is a time not to offer (nothing today; kept for callers).
pub(crate) async fn picker(
    st: &AppState,
    cal: &Calendar,
    q: &PickerQuery,
    path: &str,
    checked: Option<&str>,
    locale: Locale,
) -> Result<Picker, af_db::DbError> {
    let (zone_name, zone) = zone_or(q.tz.as_deref(), &cal.time_zone);
    let now = st.now();
    let today = now.0.to_zoned(zone.clone()).date();
    let horizon = SignedDuration::from_hours(24 * i64::from(cal.horizon_days.max(1)));
    let last = now
        .0
        .checked_add(horizon)
        .map(|t| t.to_zoned(zone.clone()).date())
        .unwrap_or(today);
    let (min_month, max_month) = (first_of_month(today), first_of_month(last));
    let asked_day: Option<Date> = q.day.as_deref().and_then(|d| d.trim().parse().ok());
    let asked_month: Option<Date> = q
        .month
        .as_deref()
        .and_then(|m| format!("{}-01", m.trim()).parse().ok())
        .or_else(|| asked_day.map(first_of_month));
    let month = match asked_month {
        Some(m) => m.clamp(min_month, max_month),
        None => {
            // No month asked: open on the first one with a free time.
            let to = last.min(
                today
                    .checked_add((af_service::calendars::MAX_SLOT_DAYS - 1).days())
                    .unwrap_or(today),
            );
            let first = af_service::calendars::slots_in_zone(&st.db, cal, &zone, today, to, now)
                .await?
                .first()
                .map(|s| first_of_month(s.start.to_zoned(zone.clone()).date()));
            first.unwrap_or(min_month)
        }
    };
    let month_end = month.last_of_month();
    let from = month.max(today);
    let to = month_end.min(last);
    let slots: Vec<Slot> = if from <= to {
        af_service::calendars::slots_in_zone(&st.db, cal, &zone, from, to, now).await?
    } else {
        Vec::new()
    };
    let mut by_day: BTreeMap<Date, Vec<&Slot>> = BTreeMap::new();
    for s in &slots {
        by_day
            .entry(s.start.to_zoned(zone.clone()).date())
            .or_default()
            .push(s);
    }
    let day = match asked_day.filter(|d| first_of_month(*d) == month) {
        Some(d) => Some(d),
        None => by_day.keys().next().copied(),
    };
    // The grid: weeks from Monday, blanks before the 1st and after the end.
    let lead = usize::try_from(month.weekday().to_monday_zero_offset()).unwrap_or(0);
    let mut cells: Vec<DayCell> = (0..lead)
        .map(|_| DayCell {
            day: 0,
            href: None,
            selected: false,
            label: String::new(),
        })
        .collect();
    let mut d = month;
    while d <= month_end {
        let has = by_day.contains_key(&d);
        let mut label = day_label(d, locale);
        if has {
            label.push_str(&format!(" · {}", BookingTr::get(locale).has_times));
        }
        cells.push(DayCell {
            day: d.day(),
            href: has.then(|| link(path, month, Some(d), &zone_name)),
            selected: Some(d) == day,
            label,
        });
        match d.tomorrow() {
            Ok(n) => d = n,
            Err(_) => break,
        }
    }
    while !cells.len().is_multiple_of(7) {
        cells.push(DayCell {
            day: 0,
            href: None,
            selected: false,
            label: String::new(),
        });
    }
    let mut weeks = Vec::new();
    let mut it = cells.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    let prev_month = month.checked_sub(1.month()).ok().map(first_of_month);
    let next_month = month.checked_add(1.month()).ok().map(first_of_month);
    let slot_views = day
        .and_then(|d| by_day.get(&d))
        .map(|list| {
            list.iter()
                .map(|s| {
                    let value = s
                        .start
                        .to_zoned(zone.clone())
                        .strftime("%Y-%m-%dT%H:%M:%S%:z")
                        .to_string();
                    SlotView {
                        checked: checked.is_some_and(|c| same_instant(c, s.start)),
                        label: af_core::datetime::time(s.start, &zone, locale),
                        value,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Picker {
        path: path.to_string(),
        month_title: format!(
            "{} {}",
            words::month_name(locale, month.month()),
            month.year()
        ),
        month_value: month.strftime("%Y-%m").to_string(),
        weekdays: words::weekday_initials(locale),
        weeks,
        prev: prev_month
            .filter(|m| *m >= min_month)
            .map(|m| link(path, m, None, &zone_name)),
        next: next_month
            .filter(|m| *m <= max_month)
            .map(|m| link(path, m, None, &zone_name)),
        any_in_month: !by_day.is_empty(),
        day_label: day.map(|d| day_label(d, locale)),
        slots: slot_views,
        zone: zone_name,
        detect: q.tz.is_none(),
    })
}

fn same_instant(text: &str, at: jiff::Timestamp) -> bool {
    text.trim()
        .parse::<jiff::Timestamp>()
        .is_ok_and(|t| t == at)
}

/// One question (or fixed field) as the booking page renders it.
pub(crate) struct FieldView {
    pub name: String,
    pub kind: String,
    pub label: String,
    pub placeholder: String,
    pub required: bool,
    /// Choices and whether each is chosen (select, multiselect).
    pub options: Vec<(String, bool)>,
    pub value: String,
    pub checked: bool,
    pub error: Option<String>,
    pub max_len: usize,
}

/// The fields in the visitor's language with what they posted and why a
/// value was refused.
pub(crate) fn field_views(
    specs: &[FieldSpec],
    locale: Locale,
    values: &[(String, String)],
    errors: &HashMap<String, String>,
) -> Vec<FieldView> {
    specs
        .iter()
        .map(|f| {
            let given: Vec<&str> = values
                .iter()
                .filter(|(k, _)| *k == f.name)
                .map(|(_, v)| v.as_str())
                .collect();
            let value = given.first().map(|v| v.to_string()).unwrap_or_default();
            FieldView {
                name: f.name.clone(),
                kind: f.kind.clone(),
                label: f.label_in(locale).to_string(),
                placeholder: f.placeholder_in(locale).to_string(),
                required: f.required,
                options: f
                    .options
                    .iter()
                    .map(|o| (o.clone(), given.contains(&o.as_str())))
                    .collect(),
                checked: matches!(value.as_str(), "on" | "true" | "1" | "yes"),
                value,
                error: errors.get(&f.name).cloned(),
                max_len: f.max_len(),
            }
        })
        .collect()
}

/// The fields a booking asks: name, email, phone, then the calendar's
/// questions.
pub(crate) fn booking_fields(cal: &Calendar) -> Vec<FieldSpec> {
    let mut specs = af_service::calendars::fixed_fields();
    specs.extend(af_service::calendars::questions_of(cal));
    specs
}

/// The strings of both areas a booking page reads.
pub(crate) fn texts(locale: Locale) -> (&'static BookingTr, &'static FormsTr) {
    (BookingTr::get(locale), FormsTr::get(locale))
}
