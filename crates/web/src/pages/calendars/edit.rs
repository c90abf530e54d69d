//! The calendar list and editor. The editor posts plain fields (repeated
//! names for the windows, override rows, reminders and hosts, so it works
//! without script) plus the questions as JSON kept by the form builder's
//! script (`forms.js`, reused as it is); the post is read into an
//! `af_service::calendars::CalendarRequest` and saved by `save_calendar`,
//! whose refusals are shown beside their fields in the reader's language.

use crate::auth::{CurrentUser, set_flash};
use crate::error::{AppError, AppResult};
use crate::extract::{IdPath, render};
use crate::i18n::calendars::CalendarsTr;
use crate::i18n::forms::FormsTr;
use crate::pages::forms::{StageChoice, builder_json_for, stage_choices};
use crate::pages::shell::{Area, Shell};
use crate::state::AppState;
use af_core::booking::links::calendar_page_url;
use af_core::{CalendarId, Role};
use af_db::DbError;
use af_db::calendars::{self, Calendar};
use af_service::calendars::{
    self as service, CalendarRequest, HostSettings, HostSpec, Problem, QUESTION_TYPES, SaveError,
    TimeWindow, WeeklyWindow,
};
use af_service::forms::FieldSpec;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// A calendar as the list shows it.
pub struct CalendarRow {
    pub id: String,
    pub name: String,
    pub duration: i32,
    pub hosts: String,
    pub active: bool,
    pub url: String,
}

#[derive(Template)]
#[template(path = "calendars/list.html")]
struct ListTemplate {
    shell: Shell,
    ct: &'static CalendarsTr,
    rows: Vec<CalendarRow>,
    can_edit: bool,
    js: String,
}

/// `GET /calendars`
pub(super) async fn list_page(
    State(st): State<AppState>,
    cu: CurrentUser,
) -> AppResult<Html<String>> {
    let ws = &cu.workspace;
    let members = af_db::workspaces::list_members(&st.db, ws.id).await?;
    let hosts = calendars::list_workspace_hosts(&st.db, ws.id).await?;
    let rows = calendars::list_calendars(&st.db, ws.id)
        .await?
        .into_iter()
        .map(|c| CalendarRow {
            hosts: hosts
                .iter()
                .filter(|(id, _)| *id == c.id)
                .filter_map(|(_, h)| members.iter().find(|m| m.user_id == h.user_id))
                .map(|m| m.name.clone())
                .collect::<Vec<_>>()
                .join(", "),
            url: calendar_page_url(&st.config.base_url, &ws.slug, &c.slug),
            id: c.id.to_string(),
            name: c.name,
            duration: c.duration_minutes,
            active: c.active,
        })
        .collect();
    render(&ListTemplate {
        ct: CalendarsTr::get(cu.locale()),
        can_edit: cu.role >= Role::Admin,
        rows,
        js: crate::assets::url_of("js/calendars.js"),
        shell: Shell::new(&cu, Area::Calendars).await?,
    })
}

/// One day of a weekly grid: its windows as `(start, end)` texts, at least
/// one (blank) row so it can be filled without script.
pub struct DayRows {
    pub n: u8,
    pub name: &'static str,
    pub windows: Vec<(String, String)>,
}

pub struct OverrideRow {
    pub date: String,
    pub start: String,
    pub end: String,
}

pub struct ReminderRow {
    pub hours: String,
    pub minutes: String,
}

pub struct HostRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub checked: bool,
    pub weight: i64,
    pub priority: i64,
    pub cap: String,
    pub has_own: bool,
    pub days: Vec<DayRows>,
}

pub struct Choice {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// Refused fields and their messages (several problems of one field are
/// joined).
#[derive(Default)]
pub struct Errors(HashMap<&'static str, Vec<&'static str>>);

impl Errors {
    /// The message of `field`, or empty.
    pub fn get(&self, field: &str) -> String {
        self.0.get(field).map(|m| m.join(" ")).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every message, once each.
    pub fn all(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = self.0.values().flatten().copied().collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[derive(Template)]
#[template(path = "calendars/edit.html")]
struct EditTemplate {
    shell: Shell,
    ct: &'static CalendarsTr,
    ft: &'static FormsTr,
    id: Option<String>,
    can_edit: bool,
    req: CalendarRequest,
    url: String,
    location_kinds: Vec<Choice>,
    policies: Vec<Choice>,
    zones: &'static [String],
    days: Vec<DayRows>,
    overrides: Vec<OverrideRow>,
    reminders: Vec<ReminderRow>,
    hosts: Vec<HostRow>,
    stages: Vec<StageChoice>,
    tags: String,
    daily_cap: String,
    questions_json: String,
    builder_json: String,
    errors: Errors,
    submit_es: &'static str,
    submit_en: &'static str,
    preview_lang: &'static str,
    forms_js: String,
    js: String,
}

/// Every IANA zone by name (the bundled database's, links to areas only).
fn zones() -> &'static [String] {
    static ZONES: OnceLock<Vec<String>> = OnceLock::new();
    ZONES.get_or_init(|| {
        let mut z: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_string())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("posix"))
            .collect();
        z.sort();
        z.dedup();
        z
    })
}

fn day_rows(ct: &'static CalendarsTr, windows: &[WeeklyWindow]) -> Vec<DayRows> {
    (1..=7u8)
        .map(|n| {
            let mut rows: Vec<(String, String)> = windows
                .iter()
                .filter(|w| w.weekday == n)
                .map(|w| (w.start.clone(), w.end.clone()))
                .collect();
            if rows.is_empty() {
                rows.push((String::new(), String::new()));
            }
            DayRows {
                n,
                name: ct.weekday(n),
                windows: rows,
            }
        })
        .collect()
}

/// The workspace's defaults for a new calendar: its zone, 30 minutes,
/// weekdays 9–17, the owner hosting.
fn new_request(cu: &CurrentUser) -> CalendarRequest {
    let availability = (1..=5)
        .map(|d| WeeklyWindow {
            weekday: d,
            start: "09:00".into(),
            end: "17:00".into(),
        })
        .collect();
    CalendarRequest {
        name: String::new(),
        slug: String::new(),
        description: String::new(),
        location_kind: Some("video".into()),
        location: String::new(),
        time_zone: cu.workspace.time_zone.clone(),
        duration_minutes: 30,
        slot_interval_minutes: Some(0),
        availability,
        overrides: BTreeMap::new(),
        buffer_before_minutes: Some(0),
        buffer_after_minutes: Some(0),
        min_notice_minutes: Some(60),
        horizon_days: Some(14),
        daily_cap: None,
        requires_confirmation: false,
        cancel_cutoff_minutes: Some(0),
        reschedule_cutoff_minutes: Some(0),
        max_reschedules: Some(3),
        reminders_minutes: Some(vec![1440, 60]),
        tags: vec![],
        policy: Some("owner".into()),
        stage_id: None,
        active: true,
        hosts: vec![HostSpec::Named(cu.user.id.to_string())],
        questions: vec![],
    }
}

async fn page(
    st: &AppState,
    cu: &CurrentUser,
    cal: Option<&Calendar>,
    req: CalendarRequest,
    errors: Errors,
) -> AppResult<EditTemplate> {
    let locale = cu.locale();
    let ct = CalendarsTr::get(locale);
    let members = af_db::workspaces::list_members(&st.db, cu.workspace.id).await?;
    let hosts = members
        .iter()
        .map(|m| {
            let spec = req.hosts.iter().find(|h| {
                let k = h.user().trim().to_lowercase();
                k == m.user_id.to_string() || k == m.email.to_lowercase()
            });
            let settings = match spec {
                Some(HostSpec::Detailed(s)) => Some(s.clone()),
                _ => None,
            };
            let own = settings
                .as_ref()
                .and_then(|s| s.availability.clone())
                .unwrap_or_default();
            HostRow {
                id: m.user_id.to_string(),
                name: m.name.clone(),
                email: m.email.clone(),
                checked: spec.is_some(),
                weight: settings.as_ref().and_then(|s| s.weight).unwrap_or(1),
                priority: settings.as_ref().and_then(|s| s.priority).unwrap_or(0),
                cap: settings
                    .as_ref()
                    .and_then(|s| s.daily_cap)
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                has_own: !own.is_empty(),
                days: day_rows(ct, &own),
            }
        })
        .collect();
    let mut overrides: Vec<OverrideRow> = req
        .overrides
        .iter()
        .flat_map(|(date, windows)| {
            if windows.is_empty() {
                vec![OverrideRow {
                    date: date.clone(),
                    start: String::new(),
                    end: String::new(),
                }]
            } else {
                windows
                    .iter()
                    .map(|w| OverrideRow {
                        date: date.clone(),
                        start: w.start.clone(),
                        end: w.end.clone(),
                    })
                    .collect()
            }
        })
        .collect();
    overrides.push(OverrideRow {
        date: String::new(),
        start: String::new(),
        end: String::new(),
    });
    let mut reminders: Vec<ReminderRow> = req
        .reminders_minutes
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|m| ReminderRow {
            hours: (m / 60).to_string(),
            minutes: (m % 60).to_string(),
        })
        .collect();
    reminders.push(ReminderRow {
        hours: String::new(),
        minutes: String::new(),
    });
    let kind = req.location_kind.clone().unwrap_or_else(|| "video".into());
    let location_kinds = [
        ("in_person", ct.loc_in_person),
        ("phone", ct.loc_phone),
        ("video", ct.loc_video),
        ("none", ct.loc_none),
    ]
    .into_iter()
    .map(|(code, label)| Choice {
        code,
        label,
        selected: kind == code,
    })
    .collect();
    let policy = req.policy.clone().unwrap_or_else(|| "owner".into());
    let policies = [
        ("owner", ct.policy_owner),
        ("availability", ct.policy_availability),
        ("equal_distribution", ct.policy_equal),
    ]
    .into_iter()
    .map(|(code, label)| Choice {
        code,
        label,
        selected: policy == code,
    })
    .collect();
    let defs = af_db::custom_fields::list_fields(&st.db, cu.workspace.id).await?;
    Ok(EditTemplate {
        ct,
        ft: FormsTr::get(locale),
        id: cal.map(|c| c.id.to_string()),
        can_edit: cu.role >= Role::Admin,
        url: cal
            .map(|c| calendar_page_url(&st.config.base_url, &cu.workspace.slug, &c.slug))
            .unwrap_or_default(),
        location_kinds,
        policies,
        zones: zones(),
        days: day_rows(ct, &req.availability),
        overrides,
        reminders,
        hosts,
        stages: stage_choices(st, cu, req.stage_id.map(|s| s.0)).await?,
        tags: req.tags.join(", "),
        daily_cap: req.daily_cap.map(|c| c.to_string()).unwrap_or_default(),
        questions_json: serde_json::to_string(&req.questions).unwrap_or_else(|_| "[]".into()),
        builder_json: builder_json_for(cu, &defs, &QUESTION_TYPES),
        errors,
        submit_es: crate::i18n::forms::FORMS_ES.submit,
        submit_en: crate::i18n::forms::FORMS_EN.submit,
        preview_lang: locale.as_str(),
        forms_js: crate::assets::url_of("js/forms.js"),
        js: crate::assets::url_of("js/calendars.js"),
        req,
        shell: Shell::new(cu, Area::Calendars).await?,
    })
}

/// `GET /calendars/new`
pub(super) async fn new_page(State(st): State<AppState>, cu: CurrentUser) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let req = new_request(&cu);
    Ok(render(&page(&st, &cu, None, req, Errors::default()).await?)?.into_response())
}

async fn load(st: &AppState, cu: &CurrentUser, id: CalendarId) -> AppResult<Calendar> {
    match calendars::get_calendar(&st.db, cu.workspace.id, id).await {
        Ok(c) => Ok(c),
        Err(DbError::NotFound(_)) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// `GET /calendars/{id}` (members see it read-only).
pub(super) async fn edit_page(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<CalendarId>,
) -> AppResult<Response> {
    let cal = load(&st, &cu, id).await?;
    let hosts = calendars::list_hosts(&st.db, cu.workspace.id, id).await?;
    let req = service::request_of(&cal, &hosts);
    Ok(render(&page(&st, &cu, Some(&cal), req, Errors::default()).await?)?.into_response())
}

/// The editor's post, read into a request; fields that are not numbers
/// are problems of their own (the service never sees them).
fn request_from_post(post: &[(String, String)]) -> (CalendarRequest, Vec<Problem>) {
    let mut problems = Vec::new();
    let all = |k: &str| -> Vec<&str> {
        post.iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    };
    let get = |k: &str| all(k).first().map(|v| v.to_string()).unwrap_or_default();
    let mut number = |field: &'static str, required: bool| -> Option<i64> {
        let raw = get(field);
        let raw = raw.trim();
        if raw.is_empty() {
            if required {
                problems.push(Problem {
                    field,
                    code: "not_a_number",
                });
            }
            return None;
        }
        match raw.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                problems.push(Problem {
                    field,
                    code: "not_a_number",
                });
                None
            }
        }
    };
    let duration = number("duration_minutes", true).unwrap_or(30);
    let interval = number("slot_interval_minutes", false);
    let before = number("buffer_before_minutes", false);
    let after = number("buffer_after_minutes", false);
    let notice = number("min_notice_minutes", false);
    let horizon = number("horizon_days", false);
    let cap = number("daily_cap", false);
    let cancel_cutoff = number("cancel_cutoff_minutes", false);
    let reschedule_cutoff = number("reschedule_cutoff_minutes", false);
    let max_reschedules = number("max_reschedules", false);

    // Weekly windows: `w{d}_start` / `w{d}_end` pairs, blank pairs skipped;
    // half a pair is a bad window (the service says so).
    let weekly = |prefix: &str| -> Vec<WeeklyWindow> {
        (1..=7u8)
            .flat_map(|d| {
                let starts = all(&format!("{prefix}w{d}_start"));
                let ends = all(&format!("{prefix}w{d}_end"));
                starts
                    .into_iter()
                    .zip(ends)
                    .filter(|(s, e)| !(s.trim().is_empty() && e.trim().is_empty()))
                    .map(|(s, e)| WeeklyWindow {
                        weekday: d,
                        start: s.trim().to_string(),
                        end: e.trim().to_string(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let availability = weekly("");

    // Overrides: rows of a date and an optional window; a date whose rows
    // have no window is a day off.
    let mut overrides: BTreeMap<String, Vec<TimeWindow>> = BTreeMap::new();
    for ((date, start), end) in all("ov_date")
        .into_iter()
        .zip(all("ov_start"))
        .zip(all("ov_end"))
    {
        let date = date.trim();
        if date.is_empty() {
            continue;
        }
        let list = overrides.entry(date.to_string()).or_default();
        if !(start.trim().is_empty() && end.trim().is_empty()) {
            list.push(TimeWindow {
                start: start.trim().to_string(),
                end: end.trim().to_string(),
            });
        }
    }

    // Reminders as hours and minutes before.
    let mut reminders = Vec::new();
    for (h, m) in all("rem_h").into_iter().zip(all("rem_m")) {
        if h.trim().is_empty() && m.trim().is_empty() {
            continue;
        }
        match (
            h.trim()
                .parse::<i64>()
                .or_else(|_| if h.trim().is_empty() { Ok(0) } else { Err(()) }),
            m.trim()
                .parse::<i64>()
                .or_else(|_| if m.trim().is_empty() { Ok(0) } else { Err(()) }),
        ) {
            (Ok(h), Ok(m)) => reminders.push(h.saturating_mul(60).saturating_add(m)),
            _ => problems.push(Problem {
                field: "reminders_minutes",
                code: "not_a_number",
            }),
        }
    }

    let hosts: Vec<HostSpec> = all("host")
        .into_iter()
        .map(|uid| {
            let field = |k: &str| get(&format!("h_{uid}_{k}"));
            let num = |k: &str| field(k).trim().parse::<i64>().ok();
            let own = weekly(&format!("h_{uid}_"));
            HostSpec::Detailed(HostSettings {
                user: uid.to_string(),
                weight: Some(num("weight").unwrap_or(1)),
                priority: Some(num("priority").unwrap_or(0)),
                availability: if field("own").is_empty() || own.is_empty() {
                    None
                } else {
                    Some(own)
                },
                daily_cap: num("cap"),
            })
        })
        .collect();

    let questions: Vec<FieldSpec> = match serde_json::from_str(&get("questions_json")) {
        Ok(q) => q,
        Err(_) if get("questions_json").trim().is_empty() => vec![],
        Err(_) => {
            problems.push(Problem {
                field: "questions",
                code: "questions_json",
            });
            vec![]
        }
    };
    let opt = |k: &str| Some(get(k)).filter(|v| !v.trim().is_empty());
    let req = CalendarRequest {
        name: get("name"),
        slug: get("slug"),
        description: get("description"),
        location_kind: opt("location_kind"),
        location: get("location"),
        time_zone: get("time_zone"),
        duration_minutes: duration,
        slot_interval_minutes: interval,
        availability,
        overrides,
        buffer_before_minutes: before,
        buffer_after_minutes: after,
        min_notice_minutes: notice,
        horizon_days: horizon,
        daily_cap: cap,
        requires_confirmation: !get("requires_confirmation").is_empty(),
        cancel_cutoff_minutes: cancel_cutoff,
        reschedule_cutoff_minutes: reschedule_cutoff,
        max_reschedules,
        reminders_minutes: Some(reminders),
        tags: get("tags")
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        policy: opt("policy"),
        stage_id: opt("stage_id").and_then(|s| s.trim().parse().ok()),
        active: !get("active").is_empty(),
        hosts,
        questions,
    };
    (req, problems)
}

fn errors_of(ct: &'static CalendarsTr, problems: &[Problem]) -> Errors {
    let mut e = Errors::default();
    for p in problems {
        let list = e.0.entry(p.field).or_default();
        let m = ct.problem(p.code);
        if !list.contains(&m) {
            list.push(m);
        }
    }
    e
}

async fn save(
    st: &AppState,
    cu: &CurrentUser,
    existing: Option<Calendar>,
    post: Vec<(String, String)>,
) -> AppResult<Response> {
    cu.require(Role::Admin)?;
    let ct = CalendarsTr::get(cu.locale());
    let (req, mut problems) = request_from_post(&post);
    if problems.is_empty() {
        match service::save_calendar(&st.db, &cu.workspace, existing.as_ref(), &req, st.now()).await
        {
            Ok(cal) => {
                set_flash(&cu.session, true, ct.saved).await?;
                return Ok(Redirect::to(&format!("/calendars/{}", cal.id)).into_response());
            }
            Err(SaveError::Invalid(p)) => problems = p,
            Err(SaveError::Db(DbError::NotFound(_))) => return Err(AppError::NotFound),
            Err(SaveError::Db(e)) => return Err(e.into()),
        }
    } else if let Err(more) = service::check(&req) {
        // Show the service's refusals too, so one round trip tells all.
        problems.extend(more);
    }
    let page = page(st, cu, existing.as_ref(), req, errors_of(ct, &problems)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

/// `POST /calendars/new`
pub(super) async fn create(
    State(st): State<AppState>,
    cu: CurrentUser,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    save(&st, &cu, None, post).await
}

/// `POST /calendars/{id}`
pub(super) async fn update(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<CalendarId>,
    axum_extra::extract::Form(post): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let cal = load(&st, &cu, id).await?;
    save(&st, &cu, Some(cal), post).await
}

/// `POST /calendars/{id}/delete` (its appointments stay).
pub(super) async fn delete(
    State(st): State<AppState>,
    cu: CurrentUser,
    IdPath(id): IdPath<CalendarId>,
) -> AppResult<Response> {
    let cal = load(&st, &cu, id).await?;
    cu.require(Role::Admin)?;
    let mut tx = st.db.begin().await?;
    calendars::delete_calendar(&mut tx, cu.workspace.id, cal.id).await?;
    tx.commit().await?;
    set_flash(&cu.session, true, CalendarsTr::get(cu.locale()).deleted).await?;
    Ok(Redirect::to("/calendars").into_response())
}

/// A contact's label for pages: its name, else its email.
pub(crate) fn contact_label(
    first: Option<&str>,
    last: Option<&str>,
    email: Option<&str>,
) -> String {
    let name = format!("{} {}", first.unwrap_or(""), last.unwrap_or(""))
        .trim()
        .to_string();
    if name.is_empty() {
        email.unwrap_or("").to_string()
    } else {
        name
    }
}
