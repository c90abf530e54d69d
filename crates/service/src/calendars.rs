//! Booking calendars as use cases: a calendar's definition checked field by
//! field, its rules read into the slot engine, the slots of a date range
//! (one query for the hosts' held times), and a booking in one transaction
//! — the slot checked again, the host chosen by the calendar's policy, the
//! contact found or created by the one contact rule, the deal put on the
//! calendar's stage, the appointment and its claims, `appointment.booked`.
//! The database's claims decide a race: the loser gets
//! [`BookingError::SlotTaken`].

use crate::deals;
use crate::forms::FieldSpec;
use crate::intake::public_actor;
use crate::submissions::{Asked, SubmitError, validate_answers};
use af_core::booking::round_robin::{self, Candidate, Policy};
use af_core::booking::{BookingRules, HostTimes, Interval, Slot, Window, slots};
use af_core::jobs::Notice;
use af_core::vocab::EventKind;
use af_core::{Actor, CalendarId, ContactId, DealId, StageId, UserId};
use af_db::calendars::{self, Calendar, CalendarInput, NewBooking, is_slot_taken};
use af_db::workspaces::Workspace;
use af_db::{Db, DbError, Ts, Tx, appointments, contacts, pipelines};
use af_engine::bookings;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A calendar definition as the API and the settings page send it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarRequest {
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub location_kind: Option<String>,
    #[serde(default)]
    pub location: String,
    pub time_zone: String,
    pub duration_minutes: i64,
    #[serde(default)]
    pub slot_interval_minutes: Option<i64>,
    #[serde(default)]
    pub availability: Vec<WeeklyWindow>,
    /// `{"YYYY-MM-DD": [{"start","end"}]}`; an empty list is a day off.
    #[serde(default)]
    pub overrides: BTreeMap<String, Vec<TimeWindow>>,
    #[serde(default)]
    pub buffer_before_minutes: Option<i64>,
    #[serde(default)]
    pub buffer_after_minutes: Option<i64>,
    #[serde(default)]
    pub min_notice_minutes: Option<i64>,
    #[serde(default)]
    pub horizon_days: Option<i64>,
    #[serde(default)]
    pub daily_cap: Option<i64>,
    #[serde(default)]
    pub requires_confirmation: bool,
    #[serde(default)]
    pub cancel_cutoff_minutes: Option<i64>,
    #[serde(default)]
    pub reschedule_cutoff_minutes: Option<i64>,
    #[serde(default)]
    pub max_reschedules: Option<i64>,
    #[serde(default)]
    pub reminders_minutes: Option<Vec<i64>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `owner`, `availability` or `equal_distribution`.
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub stage_id: Option<StageId>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Members by email or user id, each alone or with its settings;
    /// none = the workspace's first owner.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    /// What the booking page asks besides name, email and phone: fields as
    /// forms have them ([`FieldSpec`]), of the [`QUESTION_TYPES`].
    #[serde(default)]
    pub questions: Vec<FieldSpec>,
}

/// A host as a definition names it: a member's email or user id alone
/// (the API's first contract: a host that stays keeps its settings, a new
/// one gets the defaults), or with its settings.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(untagged)]
pub enum HostSpec {
    Named(String),
    Detailed(HostSettings),
}

/// A host's own settings; an absent key keeps the default (weight 1,
/// priority 0, the calendar's hours, no cap of its own).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostSettings {
    /// Email or user id.
    pub user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The host's own weekly hours (instead of the calendar's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<Vec<WeeklyWindow>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<i64>,
}

impl HostSpec {
    /// The email or user id naming the member.
    pub fn user(&self) -> &str {
        match self {
            HostSpec::Named(u) => u,
            HostSpec::Detailed(h) => &h.user,
        }
    }
}

impl From<&str> for HostSpec {
    fn from(user: &str) -> Self {
        HostSpec::Named(user.to_string())
    }
}

impl From<String> for HostSpec {
    fn from(user: String) -> Self {
        HostSpec::Named(user)
    }
}

/// A stored host as its settings (the user by id): what the API shows and
/// PATCH merges back.
pub fn host_settings(h: &calendars::Host) -> HostSettings {
    let availability = h.weekly.as_deref().map(|w| {
        let lists: Vec<Vec<TimeWindow>> = serde_json::from_str(w).unwrap_or_default();
        weekly_windows(&lists)
    });
    HostSettings {
        user: h.user_id.to_string(),
        weight: Some(i64::from(h.weight)),
        priority: Some(i64::from(h.priority)),
        availability,
        daily_cap: h.daily_cap.map(i64::from),
    }
}

/// Seven stored day lists (Monday first) as weekly windows.
pub fn weekly_windows(lists: &[Vec<TimeWindow>]) -> Vec<WeeklyWindow> {
    lists
        .iter()
        .take(7)
        .enumerate()
        .flat_map(|(i, day)| {
            day.iter().map(move |w| WeeklyWindow {
                weekday: u8::try_from(i + 1).unwrap_or(7),
                start: w.start.clone(),
                end: w.end.clone(),
            })
        })
        .collect()
}

/// A stored calendar and its hosts as the request that would save it
/// again: the settings page's starting point.
pub fn request_of(c: &Calendar, hosts: &[calendars::Host]) -> CalendarRequest {
    let weekly: Vec<Vec<TimeWindow>> = serde_json::from_str(&c.availability).unwrap_or_default();
    CalendarRequest {
        name: c.name.clone(),
        slug: c.slug.clone(),
        description: c.description.clone(),
        location_kind: Some(c.location_kind.clone()),
        location: c.location.clone(),
        time_zone: c.time_zone.clone(),
        duration_minutes: i64::from(c.duration_minutes),
        slot_interval_minutes: Some(i64::from(c.slot_interval_minutes)),
        availability: weekly_windows(&weekly),
        overrides: serde_json::from_str(&c.overrides).unwrap_or_default(),
        buffer_before_minutes: Some(i64::from(c.buffer_before_minutes)),
        buffer_after_minutes: Some(i64::from(c.buffer_after_minutes)),
        min_notice_minutes: Some(i64::from(c.min_notice_minutes)),
        horizon_days: Some(i64::from(c.horizon_days)),
        daily_cap: c.daily_cap.map(i64::from),
        requires_confirmation: c.requires_confirmation,
        cancel_cutoff_minutes: Some(i64::from(c.cancel_cutoff_minutes)),
        reschedule_cutoff_minutes: Some(i64::from(c.reschedule_cutoff_minutes)),
        max_reschedules: Some(i64::from(c.max_reschedules)),
        reminders_minutes: Some(serde_json::from_str(&c.reminders).unwrap_or_default()),
        tags: serde_json::from_str(&c.tags).unwrap_or_default(),
        policy: Some(c.policy.clone()),
        stage_id: c.stage_id.map(StageId),
        active: c.active,
        hosts: hosts
            .iter()
            .map(|h| HostSpec::Detailed(host_settings(h)))
            .collect(),
        questions: questions_of(c),
    }
}

/// The kinds of question a calendar may ask.
pub const QUESTION_TYPES: [&str; 8] = [
    "text",
    "textarea",
    "email",
    "phone",
    "select",
    "multiselect",
    "checkbox",
    "number",
];

/// Most questions one calendar asks.
pub const MAX_QUESTIONS: usize = 20;

/// The fields every booking asks first (a question may not reuse their
/// names): `name` and `email` required, `phone` optional.
pub fn fixed_fields() -> Vec<FieldSpec> {
    let field = |name: &str, kind: &str, label: &str, label_en: &str, required: bool| FieldSpec {
        name: name.into(),
        kind: kind.into(),
        label: label.into(),
        label_en: Some(label_en.into()),
        placeholder: None,
        placeholder_en: None,
        required,
        options: vec![],
        value: None,
        maps_to: Some(name.into()),
    };
    vec![
        field("name", "text", "Nombre", "Name", true),
        field("email", "email", "Correo electrónico", "Email", true),
        field("phone", "phone", "Teléfono", "Phone", false),
    ]
}

/// Checks the questions' shape (their `maps_to` against the workspace's
/// custom fields is [`crate::forms::check_mappings`], in
/// [`save_calendar`]); the cleaned list.
fn check_questions(questions: &[FieldSpec], problems: &mut Vec<Problem>) -> Vec<FieldSpec> {
    if questions.len() > MAX_QUESTIONS {
        problems.push(problem("questions", "too_many_questions"));
    }
    let reserved = fixed_fields();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for q in questions.iter().take(MAX_QUESTIONS) {
        let mut q = q.clone();
        q.name = q.name.trim().to_string();
        q.label = q.label.trim().to_string();
        let bad_name = !crate::forms::valid_field_name(&q.name)
            || reserved.iter().any(|f| f.name == q.name)
            || crate::forms::ATTRIBUTION_KEYS.contains(&q.name.as_str())
            || !seen.insert(q.name.clone());
        if bad_name {
            problems.push(problem("questions", "question_key"));
        }
        if !QUESTION_TYPES.contains(&q.kind.as_str()) {
            problems.push(problem("questions", "question_type"));
        }
        let too_long = [
            Some(&q.label),
            q.label_en.as_ref(),
            q.placeholder.as_ref(),
            q.placeholder_en.as_ref(),
        ]
        .into_iter()
        .flatten()
        .any(|t| t.chars().count() > 200);
        if q.label.is_empty() || too_long {
            problems.push(problem("questions", "question_label"));
        }
        if matches!(q.kind.as_str(), "select" | "multiselect") {
            q.options = q
                .options
                .iter()
                .map(|o| o.trim().to_string())
                .filter(|o| !o.is_empty())
                .collect();
            if q.options.is_empty()
                || q.options.len() > 50
                || q.options.iter().any(|o| o.chars().count() > 200)
            {
                problems.push(problem("questions", "question_options"));
            }
        } else {
            q.options.clear();
        }
        q.value = None;
        q.maps_to = q
            .maps_to
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        out.push(q);
    }
    out
}

/// The stored questions of a calendar.
pub fn questions_of(c: &Calendar) -> Vec<FieldSpec> {
    serde_json::from_str(&c.questions).unwrap_or_default()
}

fn yes() -> bool {
    true
}

/// One window of the weekly availability: weekday 1 (Monday) … 7.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeeklyWindow {
    pub weekday: u8,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub start: String,
    pub end: String,
}

/// A refused field: its name and a message key (`calendar.<problem>`),
/// which pages and the API translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub code: &'static str,
}

fn problem(field: &'static str, code: &'static str) -> Problem {
    Problem { field, code }
}

/// Minutes in a range and on the five-minute grid the claims use.
fn minutes(
    value: Option<i64>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    field: &'static str,
    problems: &mut Vec<Problem>,
) -> i32 {
    let v = value.unwrap_or(default);
    if !range.contains(&v) {
        problems.push(problem(field, "out_of_range"));
        return 0;
    }
    if v % 5 != 0 {
        problems.push(problem(field, "five_minute_steps"));
    }
    i32::try_from(v).unwrap_or(0)
}

/// Checks a definition: every problem at once, or the row to store.
pub fn check(req: &CalendarRequest) -> Result<CalendarInput, Vec<Problem>> {
    let mut problems = Vec::new();
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        problems.push(problem("name", "required_short"));
    }
    let slug = req.slug.trim().to_ascii_lowercase();
    let slug_ok = !slug.is_empty()
        && slug.len() <= 60
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !slug_ok {
        problems.push(problem("slug", "slug_format"));
    }
    if TimeZone::get(req.time_zone.trim()).is_err() {
        problems.push(problem("time_zone", "unknown_zone"));
    }
    let duration = minutes(
        Some(req.duration_minutes),
        30,
        5..=720,
        "duration_minutes",
        &mut problems,
    );
    let interval = minutes(
        req.slot_interval_minutes,
        0,
        0..=720,
        "slot_interval_minutes",
        &mut problems,
    );
    let before = minutes(
        req.buffer_before_minutes,
        0,
        0..=240,
        "buffer_before_minutes",
        &mut problems,
    );
    let after = minutes(
        req.buffer_after_minutes,
        0,
        0..=240,
        "buffer_after_minutes",
        &mut problems,
    );
    let notice = minutes(
        req.min_notice_minutes,
        0,
        0..=60 * 24 * 60,
        "min_notice_minutes",
        &mut problems,
    );
    let cancel_cutoff = minutes(
        req.cancel_cutoff_minutes,
        0,
        0..=60 * 24 * 30,
        "cancel_cutoff_minutes",
        &mut problems,
    );
    let reschedule_cutoff = minutes(
        req.reschedule_cutoff_minutes,
        0,
        0..=60 * 24 * 30,
        "reschedule_cutoff_minutes",
        &mut problems,
    );
    let horizon = req.horizon_days.unwrap_or(14);
    if !(1..=365).contains(&horizon) {
        problems.push(problem("horizon_days", "out_of_range"));
    }
    let cap = match req.daily_cap {
        Some(c) if !(1..=500).contains(&c) => {
            problems.push(problem("daily_cap", "out_of_range"));
            None
        }
        other => other.and_then(|c| i32::try_from(c).ok()),
    };
    let max_reschedules = req.max_reschedules.unwrap_or(3);
    if !(0..=50).contains(&max_reschedules) {
        problems.push(problem("max_reschedules", "out_of_range"));
    }
    let reminders = req
        .reminders_minutes
        .clone()
        .unwrap_or_else(|| vec![1440, 60]);
    if reminders.len() > 5 || reminders.iter().any(|m| !(5..=60 * 24 * 14).contains(m)) {
        problems.push(problem("reminders_minutes", "out_of_range"));
    }

    let mut weekly: [Vec<TimeWindow>; 7] = Default::default();
    for w in &req.availability {
        if !(1..=7).contains(&w.weekday) {
            problems.push(problem("availability", "weekday_range"));
            continue;
        }
        match Window::parse(&w.start, &w.end) {
            Ok(win) if win.start_minute() % 5 == 0 && win.end_minute() % 5 == 0 => {
                weekly[usize::from(w.weekday - 1)].push(TimeWindow {
                    start: win.start_text(),
                    end: win.end_text(),
                });
            }
            Ok(_) => problems.push(problem("availability", "five_minute_steps")),
            Err(_) => problems.push(problem("availability", "bad_window")),
        }
    }
    let mut overrides = serde_json::Map::new();
    for (day, windows) in &req.overrides {
        if day.parse::<Date>().is_err() {
            problems.push(problem("overrides", "bad_date"));
            continue;
        }
        let mut list = Vec::new();
        for w in windows {
            match Window::parse(&w.start, &w.end) {
                Ok(win) => list.push(json!({"start": win.start_text(), "end": win.end_text()})),
                Err(_) => problems.push(problem("overrides", "bad_window")),
            }
        }
        overrides.insert(day.clone(), Value::Array(list));
    }
    let location_kind = req.location_kind.clone().unwrap_or_else(|| "video".into());
    if !matches!(
        location_kind.as_str(),
        "in_person" | "phone" | "video" | "none"
    ) {
        problems.push(problem("location_kind", "unknown_choice"));
    }
    let questions = check_questions(&req.questions, &mut problems);
    let policy = req.policy.clone().unwrap_or_else(|| "owner".into());
    if policy != "owner" && Policy::parse(&policy).is_none() {
        problems.push(problem("policy", "unknown_choice"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(CalendarInput {
        name,
        slug,
        description: req.description.trim().chars().take(2000).collect(),
        location_kind,
        location: req.location.trim().chars().take(500).collect(),
        time_zone: req.time_zone.trim().to_string(),
        duration_minutes: duration,
        slot_interval_minutes: interval,
        availability: serde_json::to_value(&weekly).unwrap_or(Value::Null),
        overrides: Value::Object(overrides),
        buffer_before_minutes: before,
        buffer_after_minutes: after,
        min_notice_minutes: notice,
        horizon_days: i32::try_from(horizon).unwrap_or(14),
        daily_cap: cap,
        questions: serde_json::to_value(&questions).unwrap_or_else(|_| json!([])),
        pipeline_id: None,
        stage_id: req.stage_id.map(|s| s.0),
        tags: req
            .tags
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        requires_confirmation: req.requires_confirmation,
        cancel_cutoff_minutes: cancel_cutoff,
        reschedule_cutoff_minutes: reschedule_cutoff,
        max_reschedules: i32::try_from(max_reschedules).unwrap_or(3),
        reminders: reminders
            .iter()
            .filter_map(|m| i32::try_from(*m).ok())
            .collect(),
        policy,
        active: req.active,
    })
}

/// A host's own weekly hours as the stored JSON (seven day lists, Monday
/// first), checked like the calendar's.
fn host_weekly(windows: &[WeeklyWindow]) -> Result<String, Problem> {
    let mut weekly: [Vec<TimeWindow>; 7] = Default::default();
    for w in windows {
        if !(1..=7).contains(&w.weekday) {
            return Err(problem("hosts", "weekday_range"));
        }
        match Window::parse(&w.start, &w.end) {
            Ok(win) if win.start_minute() % 5 == 0 && win.end_minute() % 5 == 0 => {
                weekly[usize::from(w.weekday - 1)].push(TimeWindow {
                    start: win.start_text(),
                    end: win.end_text(),
                });
            }
            Ok(_) => return Err(problem("hosts", "five_minute_steps")),
            Err(_) => return Err(problem("hosts", "bad_window")),
        }
    }
    Ok(serde_json::to_string(&weekly).unwrap_or_else(|_| "[]".into()))
}

/// Applies a host's given settings over `base` (the stored host, or the
/// defaults of a new one).
fn apply_settings(base: &mut calendars::Host, s: &HostSettings) -> Result<(), Problem> {
    if let Some(w) = s.weight {
        base.weight = i32::try_from(w)
            .ok()
            .filter(|w| (1..=100).contains(w))
            .ok_or(problem("hosts", "out_of_range"))?;
    }
    if let Some(p) = s.priority {
        base.priority = i32::try_from(p)
            .ok()
            .filter(|p| (0..=10).contains(p))
            .ok_or(problem("hosts", "out_of_range"))?;
    }
    // Given as a whole: an absent key means "none of its own".
    base.daily_cap = match s.daily_cap {
        Some(c) => Some(
            i32::try_from(c)
                .ok()
                .filter(|c| (1..=500).contains(c))
                .ok_or(problem("hosts", "out_of_range"))?,
        ),
        None => None,
    };
    base.weekly = match &s.availability {
        Some(w) if !w.is_empty() => Some(host_weekly(w)?),
        _ => None,
    };
    Ok(())
}

/// The hosts named by email or user id, each a member of the workspace,
/// with the settings given for them; none named = the workspace's first
/// owner. Each new host is credited the bookings it would have had at the
/// team's pace (round robin never resets); hosts that stay keep theirs.
pub async fn resolve_hosts(
    db: &Db,
    ws: &Workspace,
    named: &[HostSpec],
    current: &[calendars::Host],
    counts: &[(uuid::Uuid, i64)],
) -> Result<Vec<calendars::Host>, Problem> {
    let members = af_db::workspaces::list_members(db, ws.id)
        .await
        .map_err(|_| problem("hosts", "unknown_member"))?;
    let mut chosen: Vec<(UserId, Option<&HostSettings>)> = Vec::new();
    if named.is_empty() {
        let owner = members
            .iter()
            .find(|m| m.role() == af_core::Role::Owner)
            .or(members.first())
            .ok_or(problem("hosts", "unknown_member"))?;
        chosen.push((owner.user_id, None));
    }
    for spec in named {
        let key = spec.user().trim().to_lowercase();
        let found = members
            .iter()
            .find(|m| m.email.to_lowercase() == key || m.user_id.to_string() == key)
            .ok_or(problem("hosts", "unknown_member"))?;
        let settings = match spec {
            HostSpec::Named(_) => None,
            HostSpec::Detailed(s) => Some(s),
        };
        match chosen.iter_mut().find(|(id, _)| *id == found.user_id) {
            Some(entry) => entry.1 = settings.or(entry.1),
            None => chosen.push((found.user_id, settings)),
        }
    }
    if chosen.len() > 50 {
        return Err(problem("hosts", "out_of_range"));
    }
    let team: Vec<Candidate> = current
        .iter()
        .map(|h| Candidate {
            priority: h.priority,
            weight: u32::try_from(h.weight).unwrap_or(1),
            bookings: counts
                .iter()
                .find(|(id, _)| *id == h.user_id.0)
                .map_or(0, |(_, n)| u64::try_from(*n).unwrap_or(0)),
            adjustment: u64::try_from(h.adjustment).unwrap_or(0),
            last_booked: None,
        })
        .collect();
    let mut out = Vec::with_capacity(chosen.len());
    for (id, settings) in chosen {
        let mut host = match current.iter().find(|h| h.user_id == id) {
            Some(h) => h.clone(),
            None => calendars::Host {
                user_id: id,
                priority: 0,
                weight: 1,
                adjustment: 0,
                weekly: None,
                daily_cap: None,
            },
        };
        if let Some(s) = settings {
            apply_settings(&mut host, s)?;
        }
        if !current.iter().any(|h| h.user_id == id) {
            // Credited at the team's pace for its own weight, so it neither
            // takes every booking until it catches up nor starts behind.
            let weight = u32::try_from(host.weight).unwrap_or(1);
            host.adjustment =
                i64::try_from(round_robin::joining_adjustment(&team, weight)).unwrap_or(0);
        }
        out.push(host);
    }
    Ok(out)
}

/// Why a calendar was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// Refused fields, all at once.
    #[error("invalid calendar")]
    Invalid(Vec<Problem>),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates (`existing` None) or replaces a calendar and its hosts, as the
/// API and the settings pages both do: the definition checked, the stage
/// and hosts looked up in the workspace (pool reads, before the write
/// transaction), then the row and its hosts in one transaction.
pub async fn save_calendar(
    db: &Db,
    ws: &Workspace,
    existing: Option<&Calendar>,
    req: &CalendarRequest,
    now: Ts,
) -> Result<Calendar, SaveError> {
    let input = check(req).map_err(SaveError::Invalid)?;
    let defs = af_db::custom_fields::list_fields(db, ws.id).await?;
    let questions: Vec<FieldSpec> =
        serde_json::from_value(input.questions.clone()).unwrap_or_default();
    if !crate::forms::check_mappings(&questions, &defs).is_empty() {
        return Err(SaveError::Invalid(vec![problem(
            "questions",
            "question_mapping",
        )]));
    }
    if let Some(stage) = req.stage_id
        && pipelines::find_stage(db, ws.id, stage).await?.is_none()
    {
        return Err(SaveError::Invalid(vec![problem(
            "stage_id",
            "unknown_stage",
        )]));
    }
    let (current, counts) = match existing {
        Some(c) => (
            calendars::list_hosts(db, ws.id, c.id).await?,
            calendars::booking_counts(db, ws.id, c.id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let hosts = resolve_hosts(db, ws, &req.hosts, &current, &counts)
        .await
        .map_err(|p| SaveError::Invalid(vec![p]))?;
    let slug_taken = |e: DbError| {
        if e.unique_violation().is_some() {
            SaveError::Invalid(vec![problem("slug", "slug_taken")])
        } else {
            SaveError::Db(e)
        }
    };
    let mut tx = db.begin().await?;
    let cal = match existing {
        Some(c) => calendars::update_calendar(&mut tx, ws.id, c.id, &input, now)
            .await
            .map_err(slug_taken)?,
        None => calendars::insert_calendar(&mut tx, ws.id, &input, now)
            .await
            .map_err(slug_taken)?,
    };
    calendars::set_hosts(&mut tx, ws.id, cal.id, &hosts, now).await?;
    tx.commit().await?;
    Ok(cal)
}

fn windows_of(list: &[TimeWindow]) -> Vec<Window> {
    list.iter()
        .filter_map(|w| Window::parse(&w.start, &w.end).ok())
        .collect()
}

/// The stored weekly JSON as seven lists of windows (Monday first).
fn weekly_of(json: &str) -> [Vec<Window>; 7] {
    let lists: Vec<Vec<TimeWindow>> = serde_json::from_str(json).unwrap_or_default();
    std::array::from_fn(|i| lists.get(i).map(|l| windows_of(l)).unwrap_or_default())
}

/// A stored calendar's rules, as the slot engine reads them. A zone that
/// is no longer known (it was checked when saved) falls back to UTC.
pub fn rules_of(c: &Calendar) -> BookingRules {
    let overrides: BTreeMap<String, Vec<TimeWindow>> =
        serde_json::from_str(&c.overrides).unwrap_or_default();
    let mins = |m: i32| SignedDuration::from_mins(i64::from(m.max(0)));
    BookingRules {
        time_zone: TimeZone::get(&c.time_zone).unwrap_or(TimeZone::UTC),
        duration: mins(c.duration_minutes),
        interval: mins(c.slot_interval_minutes),
        weekly: weekly_of(&c.availability),
        overrides: overrides
            .iter()
            .filter_map(|(d, w)| Some((d.parse::<Date>().ok()?, windows_of(w))))
            .collect(),
        buffer_before: mins(c.buffer_before_minutes),
        buffer_after: mins(c.buffer_after_minutes),
        min_notice: mins(c.min_notice_minutes),
        horizon_days: u32::try_from(c.horizon_days).unwrap_or(14),
        daily_cap: c.daily_cap.and_then(|n| u32::try_from(n).ok()),
    }
}

/// What the slot engine needs of a calendar's hosts at a time.
pub struct Availability {
    pub rules: BookingRules,
    pub hosts: Vec<calendars::Host>,
    pub slots: Vec<Slot>,
}

/// The calendar's slots with a start on a local date in `from..=to` (its
/// zone): the hosts, their held times (one query) and the engine.
pub async fn availability(
    db: &Db,
    cal: &Calendar,
    from: Date,
    to: Date,
    now: Ts,
) -> Result<Availability, DbError> {
    let rules = rules_of(cal);
    let hosts = calendars::list_hosts(db, cal.workspace_id, cal.id).await?;
    let (lo, hi) = span_of(&rules, from, to);
    let held = calendars::held_times(db, cal.workspace_id, cal.id, lo, hi).await?;
    let slots = compute(&rules, cal.id, &hosts, &held, now, from, to);
    Ok(Availability {
        rules,
        hosts,
        slots,
    })
}

/// Longest range of dates one slots request may ask for.
pub const MAX_SLOT_DAYS: i32 = 62;

/// The calendar's slots whose start falls on a date in `from..=to` as
/// seen in `zone` (a visitor's zone: the API and the booking page).
pub async fn slots_in_zone(
    db: &Db,
    cal: &Calendar,
    zone: &TimeZone,
    from: Date,
    to: Date,
    now: Ts,
) -> Result<Vec<Slot>, DbError> {
    // The visitor's dates seen from the calendar's zone are at most a day
    // earlier or later.
    let wide_from = from.yesterday().unwrap_or(from);
    let wide_to = to.tomorrow().unwrap_or(to);
    let av = availability(db, cal, wide_from, wide_to, now).await?;
    Ok(av
        .slots
        .into_iter()
        .filter(|s| {
            let day = s.start.to_zoned(zone.clone()).date();
            day >= from && day <= to
        })
        .collect())
}

/// Instants wide enough to hold every slot (and its buffers) of the dates.
fn span_of(rules: &BookingRules, from: Date, to: Date) -> (Ts, Ts) {
    let day = SignedDuration::from_hours(48);
    let lo = af_core::booking::slots::day_start(&rules.time_zone, from)
        .and_then(|t| t.checked_sub(day).ok())
        .unwrap_or(Timestamp::MIN);
    let hi = to
        .tomorrow()
        .ok()
        .and_then(|d| af_core::booking::slots::day_start(&rules.time_zone, d))
        .and_then(|t| t.checked_add(day).ok())
        .unwrap_or(Timestamp::MAX);
    (Ts::new(lo), Ts::new(hi))
}

fn compute(
    rules: &BookingRules,
    calendar: CalendarId,
    hosts: &[calendars::Host],
    held: &[calendars::HeldTime],
    now: Ts,
    from: Date,
    to: Date,
) -> Vec<Slot> {
    let times: Vec<HostTimes> = hosts
        .iter()
        .map(|h| {
            let mine = held.iter().filter(|t| t.host_user_id == h.user_id);
            HostTimes {
                weekly: h.weekly.as_deref().map(weekly_of),
                busy: mine
                    .clone()
                    .map(|t| Interval::new(t.held_from.0, t.held_until.0))
                    .collect(),
                // External busy times block, but are not bookings: they
                // do not count against the host's daily cap.
                booked: mine
                    .filter(|t| t.id.is_some())
                    .map(|t| t.starts_at.0)
                    .collect(),
                daily_cap: h.daily_cap.and_then(|n| u32::try_from(n).ok()),
            }
        })
        .collect();
    let calendar_booked: Vec<Timestamp> = held
        .iter()
        .filter(|t| t.calendar_id == Some(calendar.0))
        .map(|t| t.starts_at.0)
        .collect();
    slots(rules, &times, &calendar_booked, now.0, from, to)
}

/// A booking as the page and the API send it.
#[derive(Debug, Clone, Deserialize)]
pub struct BookingRequest {
    pub start: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Answers to the calendar's questions by key: text, a number, a
    /// boolean (checkbox) or a list of texts (multiselect).
    #[serde(default)]
    pub answers: serde_json::Map<String, Value>,
    /// Attribution the page captured (`utm_source` … `landing_page`, as
    /// forms take them).
    #[serde(default)]
    pub attribution: BTreeMap<String, String>,
}

impl BookingRequest {
    /// The request as name/value pairs, the way a form posts them: the
    /// fixed fields, each answer (a list repeats its key; `true` is
    /// `on`), the consent box and the attribution keys.
    fn values(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("name".to_string(), self.name.clone()),
            ("email".to_string(), self.email.clone()),
            ("phone".to_string(), self.phone.clone().unwrap_or_default()),
        ];
        for (k, v) in &self.answers {
            match v {
                Value::String(t) => out.push((k.clone(), t.clone())),
                Value::Number(n) => out.push((k.clone(), n.to_string())),
                Value::Bool(b) => out.push((k.clone(), if *b { "on" } else { "" }.into())),
                Value::Array(items) => out.extend(
                    items
                        .iter()
                        .take(60)
                        .filter_map(|i| i.as_str().map(|t| (k.clone(), t.to_string()))),
                ),
                _ => {}
            }
        }
        for k in crate::forms::ATTRIBUTION_KEYS {
            if let Some(v) = self.attribution.get(k) {
                out.push((k.to_string(), v.clone()));
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The slot is not offered (any more): taken, outside the hours, too
    /// soon, past the horizon.
    #[error("that time is no longer available")]
    SlotTaken,
    /// The start is not an RFC 3339 instant.
    #[error("the start is not a valid time")]
    BadStart,
    /// Refused fields (name, email, phone or a question), each with why.
    #[error("invalid answers")]
    Answers(Vec<SubmitError>),
    /// The calendar takes no bookings (inactive, or without hosts).
    #[error("this calendar takes no bookings")]
    Closed,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A booking made.
#[derive(Debug, Clone)]
pub struct Booked {
    pub appointment: appointments::Appointment,
    pub contact_id: ContactId,
    pub deal_id: Option<DealId>,
    pub host: UserId,
}

/// Books `req` on `cal` in one transaction (see the module docs).
pub async fn book(
    db: &Db,
    ws: &Workspace,
    cal: &Calendar,
    req: &BookingRequest,
    now: Ts,
) -> Result<Booked, BookingError> {
    if !cal.active {
        return Err(BookingError::Closed);
    }
    let start: Timestamp = req
        .start
        .trim()
        .parse()
        .map_err(|_| BookingError::BadStart)?;
    let defs = af_db::custom_fields::list_fields(db, ws.id).await?;
    let mut specs = fixed_fields();
    specs.extend(questions_of(cal));
    let tags: Vec<String> = serde_json::from_str(&cal.tags).unwrap_or_default();
    let asks = Asked {
        specs: &specs,
        consent_required: false,
        source: &cal.name,
        tags,
    };
    let valid = validate_answers(&ws.country, &defs, &asks, &req.values())
        .map_err(BookingError::Answers)?;
    let input = valid.input;
    let mut answers = valid.data;
    for fixed in ["name", "email", "phone"] {
        answers.remove(fixed);
    }

    let rules = rules_of(cal);
    let day = start.to_zoned(rules.time_zone.clone()).date();
    // Concurrent bookings of one time on a round-robin calendar read the
    // same free hosts and may pick the same one: the loser's claims fail
    // (or PostgreSQL reports a deadlock between the two). Its transaction
    // is then run again: it now sees the winner's booking and takes
    // another free host, or finds the time full.
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tried = BookingAttempt {
            db,
            ws,
            cal,
            req,
            rules: &rules,
            day,
            start,
            input: &input,
            now,
        };
        match tried.run(answers.clone()).await {
            Ok(b) => return Ok(b),
            Err(Attempt::Failed(e)) => return Err(e),
            Err(Attempt::Raced) if attempt < MAX_BOOKING_ATTEMPTS => continue,
            Err(Attempt::Raced) => return Err(BookingError::SlotTaken),
        }
    }
}

/// How many times a booking that lost a race for a host is tried again.
const MAX_BOOKING_ATTEMPTS: u32 = 4;

/// Why one attempt at a booking ended without it.
enum Attempt {
    /// A final answer (no such slot, refused answers, a database failure).
    Failed(BookingError),
    /// Another booking took the host meanwhile: try again.
    Raced,
}

impl From<BookingError> for Attempt {
    fn from(e: BookingError) -> Self {
        Attempt::Failed(e)
    }
}

impl From<DbError> for Attempt {
    fn from(e: DbError) -> Self {
        if calendars::is_lost_race(&e) {
            Attempt::Raced
        } else {
            Attempt::Failed(BookingError::Db(e))
        }
    }
}

/// One transaction of [`book`], with what it was given checked.
struct BookingAttempt<'a> {
    db: &'a Db,
    ws: &'a Workspace,
    cal: &'a Calendar,
    req: &'a BookingRequest,
    rules: &'a BookingRules,
    day: Date,
    start: Timestamp,
    input: &'a af_core::contact_input::ContactInput,
    now: Ts,
}

impl BookingAttempt<'_> {
    async fn run(&self, answers: serde_json::Map<String, Value>) -> Result<Booked, Attempt> {
        let BookingAttempt {
            db,
            ws,
            cal,
            req,
            rules,
            day,
            start,
            input,
            now,
        } = *self;
        let mut tx = db.begin().await?;
        // The slot again, read by the booking's own transaction (on SQLite no
        // other writer can book meanwhile; on PostgreSQL the claims decide a
        // race). Reading through the pool instead could starve: every pooled
        // connection may be a booking waiting for the write lock.
        let hosts = calendars::list_hosts_tx(&mut tx, ws.id, cal.id).await?;
        if hosts.is_empty() {
            return Err(BookingError::Closed.into());
        }
        let (lo, hi) = span_of(rules, day, day);
        let held = calendars::held_times_tx(&mut tx, ws.id, cal.id, lo, hi).await?;
        let offered = compute(rules, cal.id, &hosts, &held, now, day, day);
        let Some(slot) = offered.into_iter().find(|s| s.start == start) else {
            return Err(BookingError::SlotTaken.into());
        };
        let Some(host) = choose_host(cal, &hosts, &held, &slot, &req.email) else {
            return Err(BookingError::SlotTaken.into());
        };

        let actor = public_actor("calendar");
        let upserted = contacts::upsert_contact_with_event_data(
            &mut tx,
            ws.id,
            input,
            &actor,
            now,
            serde_json::Map::from_iter([("via".to_string(), json!("calendar"))]),
        )
        .await?
        .contact;
        let contact = upserted.id;
        let attribution = attribution_of(&input.attribution, &upserted);
        let deal = deal_on_stage(&mut tx, ws, cal, contact, &actor, now).await?;
        let held_from = slot
            .start
            .checked_sub(rules.buffer_before)
            .unwrap_or(slot.start);
        let held_until = slot.end.checked_add(rules.buffer_after).unwrap_or(slot.end);
        let status = if cal.requires_confirmation {
            "pending"
        } else {
            "booked"
        };
        let booking = NewBooking {
            calendar_id: cal.id,
            host,
            contact_id: contact,
            deal_id: deal,
            title: cal.name.clone(),
            starts_at: Ts::new(slot.start),
            ends_at: Ts::new(slot.end),
            held_from: Ts::new(held_from),
            held_until: Ts::new(held_until),
            time_zone: req
                .time_zone
                .as_deref()
                .filter(|z| TimeZone::get(z).is_ok())
                .map(str::to_string),
            organizer_time_zone: cal.time_zone.clone(),
            status,
            answers: Value::Object(answers),
            metadata: json!({"calendar": cal.slug, "location_kind": cal.location_kind, "location": cal.location}),
        };
        let appointment = match calendars::insert_booking(&mut tx, ws.id, &booking, now).await {
            Ok(a) => a,
            Err(e) => return Err(e.into()),
        };
        let kind = if status == "pending" {
            EventKind::AppointmentRequested
        } else {
            EventKind::AppointmentBooked
        };
        appointments::write_event_with(
            &mut tx,
            ws.id,
            kind,
            &appointment,
            &actor,
            now,
            serde_json::Map::from_iter([("attribution".to_string(), attribution)]),
        )
        .await?;
        let notice = if status == "pending" {
            Notice::Requested
        } else {
            Notice::Booked
        };
        bookings::queue_notice(
            &mut tx,
            ws.id,
            &appointment,
            notice,
            &reminders_of(cal),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Booked {
            appointment,
            contact_id: contact,
            deal_id: deal,
            host,
        })
    }
}

/// The host for a slot: the first free host, or the calendar's round-robin
/// policy over the hosts free for it (counts from the held times read).
/// None when no host is free (the slot engine never offers such a slot).
fn choose_host(
    cal: &Calendar,
    hosts: &[calendars::Host],
    held: &[calendars::HeldTime],
    slot: &Slot,
    seed_text: &str,
) -> Option<UserId> {
    let free: Vec<&calendars::Host> = slot
        .free_hosts
        .iter()
        .filter_map(|i| hosts.get(*i))
        .collect();
    let Some(policy) = Policy::parse(&cal.policy) else {
        return free.first().map(|h| h.user_id);
    };
    let candidates: Vec<Candidate> = free
        .iter()
        .map(|h| {
            let mine = held
                .iter()
                .filter(|t| t.host_user_id == h.user_id && t.calendar_id == Some(cal.id.0));
            Candidate {
                priority: h.priority,
                weight: u32::try_from(h.weight).unwrap_or(1),
                bookings: u64::try_from(mine.clone().count()).unwrap_or(0),
                adjustment: u64::try_from(h.adjustment).unwrap_or(0),
                last_booked: mine.map(|t| t.starts_at.0).max(),
            }
        })
        .collect();
    let seed = slot.start.as_second().unsigned_abs()
        ^ seed_text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    round_robin::choose(policy, &candidates, seed)
        .and_then(|i| free.get(i))
        .map(|h| h.user_id)
}

/// The contact's open deal moved to the calendar's stage (the pipeline's
/// booked stage when the calendar names none), or a new deal there.
async fn deal_on_stage(
    tx: &mut Tx,
    ws: &Workspace,
    cal: &Calendar,
    contact: ContactId,
    actor: &Actor,
    now: Ts,
) -> Result<Option<DealId>, DbError> {
    let stage = match cal.stage_id {
        Some(s) => match pipelines::get_stage_tx(tx, ws.id, StageId(s)).await {
            Ok(stage) => Some(stage),
            Err(DbError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let pipeline = match &stage {
        Some(s) => s.pipeline_id,
        None => pipelines::default_pipeline_tx(tx, ws.id).await?,
    };
    let target = match stage {
        Some(s) => Some(s.id),
        None => pipelines::booked_stage_tx(tx, ws.id, pipeline)
            .await?
            .map(|s| s.id),
    };
    if let Some(deal) = af_db::deals::find_open_deal_tx(tx, ws.id, contact, Some(pipeline)).await? {
        if let Some(target) = target
            && target != deal.stage_id
        {
            af_db::deals::move_deal(tx, ws.id, deal.id, target, Default::default(), actor, now)
                .await?;
        }
        return Ok(Some(deal.id));
    }
    let c = contacts::get_contact_tx(tx, ws.id, contact).await?;
    let new = af_db::deals::NewDeal {
        contact_id: contact,
        pipeline_id: Some(pipeline),
        stage_id: target,
        title: c.deal_title(&cal.name),
        value_minor: 0,
        currency: af_core::money::currency_for_country(&ws.country).to_string(),
        owner_id: None,
    };
    Ok(Some(
        deals::create_deal_in(tx, ws, &new, actor, now).await?.id,
    ))
}

/// Why a booking could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such booking")]
    NotFound,
    /// Cancelled, completed or no-show bookings (or Cal.com's) do not move.
    #[error("a {0} booking cannot change")]
    Settled(String),
    /// Too close to the start for the invitee (the calendar's cut-off).
    #[error("too close to the start to change it")]
    PastCutoff,
    #[error("this booking was rescheduled as often as the calendar allows")]
    TooManyReschedules,
    #[error("that time is no longer available")]
    SlotTaken,
    #[error("the start is not a valid time")]
    BadStart,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Who asks for a change: the invitee (manage link) is held to the
/// calendar's cut-offs and reschedule cap; the agency (pages, API) is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    Invitee,
    Agency,
}

/// The native booking `id` and its calendar, or why not.
async fn native(
    tx: &mut Tx,
    ws: &Workspace,
    id: af_core::AppointmentId,
) -> Result<(appointments::Appointment, Calendar), ChangeError> {
    let a = match appointments::get_appointment_tx(tx, ws.id, id).await {
        Ok(a) => a,
        Err(DbError::NotFound(_)) => return Err(ChangeError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let Some(cal_id) = a.calendar_id.filter(|_| a.source == calendars::SOURCE) else {
        return Err(ChangeError::Settled(a.source.clone()));
    };
    if !matches!(a.status.as_str(), "booked" | "pending") {
        return Err(ChangeError::Settled(a.status.clone()));
    }
    let cal = calendars::get_calendar_tx(tx, ws.id, CalendarId(cal_id)).await?;
    Ok((a, cal))
}

fn within_cutoff(a: &appointments::Appointment, cutoff_minutes: i32, now: Ts) -> bool {
    let Some(start) = a.starts_at else {
        return false;
    };
    let cutoff = SignedDuration::from_mins(i64::from(cutoff_minutes.max(0)));
    start.0.checked_sub(cutoff).is_ok_and(|limit| now.0 > limit)
}

/// Cancels a native booking: its claims are released in the same
/// transaction (the slot is free at once) and `appointment.cancelled`
/// written.
pub async fn cancel(
    db: &Db,
    ws: &Workspace,
    id: af_core::AppointmentId,
    by: ChangedBy,
    actor: &Actor,
    now: Ts,
) -> Result<appointments::Appointment, ChangeError> {
    let mut tx = db.begin().await?;
    let (a, cal) = native(&mut tx, ws, id).await?;
    if by == ChangedBy::Invitee && within_cutoff(&a, cal.cancel_cutoff_minutes, now) {
        return Err(ChangeError::PastCutoff);
    }
    let a = calendars::set_booking_status(&mut tx, ws.id, a.id, "cancelled", now).await?;
    appointments::write_event(
        &mut tx,
        ws.id,
        EventKind::AppointmentCancelled,
        &a,
        actor,
        now,
    )
    .await?;
    bookings::queue_notice(&mut tx, ws.id, &a, Notice::Cancelled, &[], now).await?;
    tx.commit().await?;
    Ok(a)
}

/// Moves a native booking to `start` in one swap: the new time must be
/// offered (the booking's own time does not count against it), the same
/// host keeps it when free (else the calendar's policy picks one), and if
/// anything refuses the booking stays exactly as it was.
pub async fn reschedule(
    db: &Db,
    ws: &Workspace,
    id: af_core::AppointmentId,
    start: &str,
    by: ChangedBy,
    actor: &Actor,
    now: Ts,
) -> Result<appointments::Appointment, ChangeError> {
    let start: Timestamp = start.trim().parse().map_err(|_| ChangeError::BadStart)?;
    let mut tx = db.begin().await?;
    let (a, cal) = native(&mut tx, ws, id).await?;
    if by == ChangedBy::Invitee {
        if within_cutoff(&a, cal.reschedule_cutoff_minutes, now) {
            return Err(ChangeError::PastCutoff);
        }
        if a.reschedules >= cal.max_reschedules {
            return Err(ChangeError::TooManyReschedules);
        }
    }
    let rules = rules_of(&cal);
    let day = start.to_zoned(rules.time_zone.clone()).date();
    let hosts = calendars::list_hosts_tx(&mut tx, ws.id, cal.id).await?;
    let (lo, hi) = span_of(&rules, day, day);
    let held: Vec<calendars::HeldTime> = calendars::held_times_tx(&mut tx, ws.id, cal.id, lo, hi)
        .await?
        .into_iter()
        .filter(|h| h.id != Some(a.id.0))
        .collect();
    let offered = compute(&rules, cal.id, &hosts, &held, now, day, day);
    let Some(slot) = offered.into_iter().find(|s| s.start == start) else {
        return Err(ChangeError::SlotTaken);
    };
    let same = slot
        .free_hosts
        .iter()
        .filter_map(|i| hosts.get(*i))
        .find(|h| Some(h.user_id.0) == a.host_user_id)
        .map(|h| h.user_id);
    let host = match same {
        Some(h) => h,
        None => match choose_host(&cal, &hosts, &held, &slot, &a.id.to_string()) {
            Some(h) => h,
            None => return Err(ChangeError::SlotTaken),
        },
    };
    let held_from = slot
        .start
        .checked_sub(rules.buffer_before)
        .unwrap_or(slot.start);
    let held_until = slot.end.checked_add(rules.buffer_after).unwrap_or(slot.end);
    let moved = calendars::reschedule_booking(
        &mut tx,
        ws.id,
        a.id,
        host,
        Ts::new(slot.start),
        Ts::new(slot.end),
        (Ts::new(held_from), Ts::new(held_until)),
        now,
    )
    .await;
    let moved = match moved {
        Ok(m) => m,
        Err(e) if is_slot_taken(&e) => return Err(ChangeError::SlotTaken),
        Err(e) => return Err(e.into()),
    };
    appointments::write_event(
        &mut tx,
        ws.id,
        EventKind::AppointmentRescheduled,
        &moved,
        actor,
        now,
    )
    .await?;
    bookings::queue_notice(
        &mut tx,
        ws.id,
        &moved,
        Notice::Rescheduled,
        &reminders_of(&cal),
        now,
    )
    .await?;
    match tx.commit().await {
        Ok(()) => Ok(moved),
        Err(e) if is_slot_taken(&e) => Err(ChangeError::SlotTaken),
        Err(e) => Err(e.into()),
    }
}

/// The `.ics` invitation of a native booking as it stands (see
/// [`af_engine::bookings::invite_of`]).
pub async fn invitation(
    db: &Db,
    ws: &Workspace,
    id: af_core::AppointmentId,
) -> Result<String, ChangeError> {
    bookings::invitation(db, ws, id)
        .await?
        .ok_or(ChangeError::NotFound)
}

/// The calendar's reminders, minutes before the start.
fn reminders_of(cal: &Calendar) -> Vec<i32> {
    serde_json::from_str(&cal.reminders).unwrap_or_default()
}

/// What brought the booking's contact: the booking's own attribution when
/// it carries any, else the contact's last touch.
fn attribution_of(given: &af_core::contact::Attribution, c: &contacts::Contact) -> Value {
    let given = serde_json::to_value(given).unwrap_or(Value::Null);
    let carries = given
        .as_object()
        .is_some_and(|m| m.values().any(|v| !v.is_null()));
    if carries {
        return given;
    }
    json!({
        "utm_source": c.last_utm_source, "utm_medium": c.last_utm_medium,
        "utm_campaign": c.last_utm_campaign, "utm_term": c.last_utm_term,
        "utm_content": c.last_utm_content, "referrer": c.last_referrer,
        "landing_page": c.last_landing_page,
    })
}

/// What the invitee may still do with a booking through the manage link,
/// as `(cancel, reschedule)`: `Ok` or why not (the cut-offs and the
/// reschedule cap that [`cancel`] and [`reschedule`] apply to
/// [`ChangedBy::Invitee`]). The manage page asks before it shows its
/// buttons; the changes check again in their transactions.
pub fn invitee_may(
    a: &appointments::Appointment,
    cal: &Calendar,
    now: Ts,
) -> (Result<(), ChangeError>, Result<(), ChangeError>) {
    if a.source != calendars::SOURCE || !matches!(a.status.as_str(), "booked" | "pending") {
        return (
            Err(ChangeError::Settled(a.status.clone())),
            Err(ChangeError::Settled(a.status.clone())),
        );
    }
    let cancel = if within_cutoff(a, cal.cancel_cutoff_minutes, now) {
        Err(ChangeError::PastCutoff)
    } else {
        Ok(())
    };
    let reschedule = if within_cutoff(a, cal.reschedule_cutoff_minutes, now) {
        Err(ChangeError::PastCutoff)
    } else if a.reschedules >= cal.max_reschedules {
        Err(ChangeError::TooManyReschedules)
    } else {
        Ok(())
    };
    (cancel, reschedule)
}

/// Why a status could not be set.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error("no such appointment")]
    NotFound,
    /// Not one of the allowed moves (see [`allowed_transition`]), or a
    /// status that is no status.
    #[error("an appointment cannot go from {from} to {to}")]
    InvalidTransition { from: String, to: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The statuses the team may move an appointment between, with the event
/// each move writes: a pending booking is confirmed or cancelled, a booked
/// one ends completed, no-show or cancelled, and attendance may be
/// corrected (completed ↔ no-show). Everything else is refused.
pub fn allowed_transition(from: &str, to: &str) -> Option<EventKind> {
    match (from, to) {
        ("pending", "booked") => Some(EventKind::AppointmentConfirmed),
        ("pending" | "booked", "cancelled") => Some(EventKind::AppointmentCancelled),
        ("booked" | "no_show", "completed") => Some(EventKind::AppointmentCompleted),
        ("booked" | "completed", "no_show") => Some(EventKind::AppointmentNoShow),
        _ => None,
    }
}

/// Moves an appointment (native or Cal.com) to `target` as the team does
/// from the agenda, the contact page or the API. Each move writes its
/// event (audited in the contact's timeline); a cancel is [`cancel`], so a
/// native booking's claims are released in the same transaction. Cal.com
/// bookings are cancelled in Cal.com (its webhook tells us), not here.
pub async fn set_status(
    db: &Db,
    ws: &Workspace,
    id: af_core::AppointmentId,
    target: &str,
    actor: &Actor,
    now: Ts,
) -> Result<appointments::Appointment, StatusError> {
    let current = appointments::find_appointment(db, ws.id, id)
        .await?
        .ok_or(StatusError::NotFound)?;
    let invalid = |from: &str| StatusError::InvalidTransition {
        from: from.to_string(),
        to: target.to_string(),
    };
    let kind =
        allowed_transition(&current.status, target).ok_or_else(|| invalid(&current.status))?;
    if kind == EventKind::AppointmentCancelled {
        if current.source != calendars::SOURCE {
            return Err(invalid(&current.status));
        }
        return match cancel(db, ws, id, ChangedBy::Agency, actor, now).await {
            Ok(a) => Ok(a),
            Err(ChangeError::NotFound) => Err(StatusError::NotFound),
            Err(ChangeError::Db(e)) => Err(e.into()),
            // Settled meanwhile by someone else.
            Err(_) => Err(invalid(&current.status)),
        };
    }
    let Some(to) = af_db::appointments::STATUSES
        .iter()
        .copied()
        .find(|s| *s == target)
    else {
        return Err(invalid(&current.status));
    };
    let mut tx = db.begin().await?;
    // Compare-and-set on the status read: a concurrent change makes this
    // one a conflict instead of overwriting it.
    let Some(a) =
        calendars::transition_status(&mut tx, ws.id, id, &current.status, to, now).await?
    else {
        let now_status = appointments::get_appointment_tx(&mut tx, ws.id, id)
            .await
            .map(|a| a.status)
            .unwrap_or(current.status);
        return Err(invalid(&now_status));
    };
    appointments::write_event(&mut tx, ws.id, kind, &a, actor, now).await?;
    if a.source == calendars::SOURCE {
        if matches!(to, "completed" | "no_show") {
            // A settled booking holds no time: the claims go with it, as
            // the slot engine already ignores it.
            calendars::release_claims(&mut tx, ws.id, a.id).await?;
        }
        if current.status == "pending" && to == "booked" {
            // Confirmed: the invitee hears it and the reminders start.
            let reminders = match a.calendar_id {
                Some(c) => match calendars::get_calendar_tx(&mut tx, ws.id, CalendarId(c)).await {
                    Ok(cal) => reminders_of(&cal),
                    Err(DbError::NotFound(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                },
                None => Vec::new(),
            };
            bookings::queue_notice(&mut tx, ws.id, &a, Notice::Booked, &reminders, now).await?;
        }
    }
    tx.commit().await?;
    Ok(a)
}
